// History: conversations by date with pin, rename, delete and export; search across all
// of them with the hits highlighted; links to the other pages.

import { useContext, useEffect, useState } from "preact/hooks";
import type { Conversation, SearchHit } from "./api";
import { ErrorNote, HistoryContext, navigate, useApi } from "./shell";
import { type Route } from "./routes";
import { groupConversations } from "./format";
import { sanitizeSnippet } from "./markdown";
import { saveText } from "./save";

export function Sidebar({ route }: { route: Route }) {
  const api = useApi();
  const { version, changed } = useContext(HistoryContext);
  const [conversations, setConversations] = useState<Conversation[] | null>(null);
  const [query, setQuery] = useState("");
  const [hits, setHits] = useState<SearchHit[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [renaming, setRenaming] = useState<string | null>(null);

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
      <div class="brand">Hearth</div>
      <button type="button" class="primary new-chat" onClick={() => navigate("#/chat")} title="New chat (Ctrl+Shift+O)">
        New chat
      </button>
      <ul class="pages">
        {(["documents", "summarize", "translate", "check", "workflows", "models", "activity", "settings"] as const).map((page) => (
          <li key={page}>
            <a href={`#/${page}`} aria-current={route.page === page ? "page" : undefined}>
              {page[0].toUpperCase() + page.slice(1)}
            </a>
          </li>
        ))}
      </ul>
      <label class="visually-hidden" for="history-search">
        Search history
      </label>
      <input
        id="history-search"
        type="search"
        placeholder="Search history (Ctrl+K)"
        value={query}
        onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
      />
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
          {conversations &&
            groupConversations(conversations).map(([group, list]) => (
              <div key={group}>
                <h2 class="group">{group}</h2>
                <ul>
                  {list.map((c) => (
                    <li key={c.id} class={c.id === current ? "current" : ""}>
                      {renaming === c.id ? (
                        <form
                          onSubmit={(e) => {
                            e.preventDefault();
                            const title = (new FormData(e.currentTarget as HTMLFormElement).get("title") as string).trim();
                            setRenaming(null);
                            if (title) act(api.changeConversation(c.id, { title }));
                          }}
                        >
                          <input name="title" aria-label="New title" value={c.title} autoFocus onBlur={() => setRenaming(null)} />
                        </form>
                      ) : (
                        <a href={`#/chat/${encodeURIComponent(c.id)}`} aria-current={c.id === current ? "page" : undefined}>
                          {c.pinned ? "📌 " : ""}
                          {c.title || "Untitled"}
                        </a>
                      )}
                      <details class="actions">
                        <summary aria-label={`Actions for ${c.title || "Untitled"}`}>⋯</summary>
                        <div class="menu">
                          <button type="button" onClick={() => setRenaming(c.id)}>
                            Rename
                          </button>
                          <button type="button" onClick={() => act(api.changeConversation(c.id, { pinned: !c.pinned }))}>
                            {c.pinned ? "Unpin" : "Pin"}
                          </button>
                          <button
                            type="button"
                            onClick={() => api.exportText("markdown", c.id).then((text) => saveText(`${c.title || "conversation"}.md`, text, "text/markdown")).catch(setError)}
                          >
                            Export
                          </button>
                          <button
                            type="button"
                            class="danger"
                            onClick={() => {
                              if (confirm(`Delete “${c.title || "Untitled"}”? This cannot be undone.`)) {
                                act(api.deleteConversation(c.id));
                                if (c.id === current) navigate("#/chat");
                              }
                            }}
                          >
                            Delete
                          </button>
                        </div>
                      </details>
                    </li>
                  ))}
                </ul>
              </div>
            ))}
        </section>
      )}
    </nav>
  );
}
