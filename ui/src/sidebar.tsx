// History: conversations by date with pin, rename, delete and export; search across all
// of them with the hits highlighted; links to the other pages.

import { useContext, useEffect, useState } from "preact/hooks";
import type { Conversation, SearchHit } from "./api";
import { ErrorNote, HistoryContext, navigate, useApi } from "./shell";
import { type Route } from "./routes";
import { sanitizeSnippet } from "./markdown";
import { ConversationList } from "./conversation-list";
import { Activity, BookOpen, Cpu, FileText, Flame, Languages, MessageSquarePlus, Search, Settings, ShieldCheck, Workflow } from "lucide-preact";

/** The pages besides the chat, in the order of the desktop app's Go menu. */
const PAGES = [
  { page: "documents", label: "Documents", Icon: BookOpen },
  { page: "summarize", label: "Summarize", Icon: FileText },
  { page: "translate", label: "Translate", Icon: Languages },
  { page: "check", label: "Check", Icon: ShieldCheck },
  { page: "workflows", label: "Workflows", Icon: Workflow },
  { page: "models", label: "Models", Icon: Cpu },
  { page: "activity", label: "Activity", Icon: Activity },
  { page: "settings", label: "Settings", Icon: Settings },
] as const;

export function Sidebar({ route }: { route: Route }) {
  const api = useApi();
  const { version, changed } = useContext(HistoryContext);
  const [conversations, setConversations] = useState<Conversation[] | null>(null);
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api.conversations().then(setConversations, setError);
  }, [version]);

  useEffect(() => {
    if (!query.trim()) {
      setHits(null);
      return;
    }
    const timer = setTimeout(() => api.search(query).then(setHits, setError), 200);
    return () => clearTimeout(timer);
  }, [query, version]);

  const act = (work: Promise<unknown>) => work.then(changed, setError);
  const current = route.page === "chat" ? route.id : undefined;

  return (
    <nav class="sidebar" aria-label="History and pages">
      <div class="brand">
        <Flame size={20} class="icon" aria-hidden="true" /> Hearth
      </div>
      <button type="button" class="primary new-chat" onClick={() => navigate("#/chat")} title="New chat (Ctrl+Shift+O)">
        <MessageSquarePlus size={16} class="icon" aria-hidden="true" /> New chat
      </button>
      <ul class="pages">
        {PAGES.map(({ page, label, Icon }) => (
          <li key={page}>
            <a href={`#/${page}`} aria-current={route.page === page ? "page" : undefined}>
              <Icon size={17} class="icon" aria-hidden="true" />
              {label}
            </a>
          </li>
        ))}
      </ul>
      <label class="visually-hidden" for="history-search">
        Search history
      </label>
      <div class="search-box">
        <Search size={15} class="icon" aria-hidden="true" />
        <input
          id="history-search"
          type="search"
          placeholder="Search history (Ctrl+K)"
          value={query}
          onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
        />
      </div>
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {hits !== null ? (
        <section aria-label="Search results" class="hits">
          {hits.length === 0 && <p class="empty">No messages match “{query}”.</p>}
          <ul>
            {hits.map((hit) => (
              <li key={hit.message_id}>
                <a href={`#/chat/${encodeURIComponent(hit.conversation_id)}`} class="hit">
                  <strong>{hit.conversation_title || "Untitled"}</strong>
                  <span class="snippet" dangerouslySetInnerHTML={{ __html: sanitizeSnippet(hit.snippet) }} />
                </a>
              </li>
            ))}
          </ul>
        </section>
      ) : (
        <section aria-label="Conversations" class="conversations">
          {conversations?.length === 0 && <p class="empty">No conversations yet. Start one with New chat.</p>}
          {conversations && <ConversationList conversations={conversations} current={current} onChange={act} onError={setError} />}
        </section>
      )}
    </nav>
  );
}
