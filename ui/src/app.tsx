// The shell: sidebar with history, the page for the current route, keyboard shortcuts.
// Routes live in the URL hash (#/chat/ID, #/summarize, ...) so reloads keep the place.

import { createContext } from "preact";
import { useCallback, useContext, useEffect, useState } from "preact/hooks";
import type { Api } from "./api";
import { Sidebar } from "./sidebar";
import { ChatPage } from "./chat";
import { SummarizePage } from "./summarize";
import { TranslatePage } from "./translate";
import { ModelsPage } from "./models";
import { SettingsPage } from "./settings";
import { DocumentsPage } from "./documents";
import { ActivityPage } from "./activity";
import { WorkflowsPage, type WorkflowsTab } from "./workflows";
import { native, type LocalFile } from "./desktop";
import { deliverDocuments } from "./document-input";
import { ModelLoading } from "./model-loading";

export const ApiContext = createContext<Api>(null as unknown as Api);
export const useApi = () => useContext(ApiContext);

/** Bumped when conversations change, so the sidebar reloads. */
export const HistoryContext = createContext<{ version: number; changed: () => void }>({ version: 0, changed: () => {} });

export type Route =
  | { page: "chat"; id?: string }
  | { page: "workflows"; tab: WorkflowsTab }
  | { page: "documents" | "summarize" | "translate" | "models" | "activity" | "settings" };

export function parseRoute(hash: string): Route {
  const [page, id] = hash.replace(/^#\/?/, "").split("/");
  switch (page) {
    case "documents":
    case "summarize":
    case "translate":
    case "models":
    case "activity":
    case "settings":
      return { page };
    case "workflows":
      return { page: "workflows", tab: id === "run" || id === "prompts" ? id : "workflows" };
    case "chat":
      return { page: "chat", id: id ? decodeURIComponent(id) : undefined };
    default:
      return { page: "chat" };
  }
}

/** Ctrl/Cmd + a digit opens a page, as in the desktop app's Go menu (src-tauri/src/menu.rs). */
const PAGE_KEYS: Record<string, string> = {
  "2": "#/summarize",
  "3": "#/translate",
  "4": "#/documents",
  "5": "#/models",
  "6": "#/activity",
  "7": "#/workflows",
};

export function navigate(hash: string) {
  if (location.hash !== hash) location.hash = hash;
}

export function App({ api }: { api: Api }) {
  const [route, setRoute] = useState<Route>(parseRoute(location.hash));
  const [version, setVersion] = useState(0);
  const [menuOpen, setMenuOpen] = useState(false);
  const changed = useCallback(() => setVersion((v) => v + 1), []);

  useEffect(() => {
    const onHash = () => {
      setRoute(parseRoute(location.hash));
      setMenuOpen(false);
    };
    window.addEventListener("hashchange", onHash);
    return () => window.removeEventListener("hashchange", onHash);
  }, []);

  useEffect(() => {
    if (!native) return;
    // Documents dropped on the window or opened from the menu go to the page that takes
    // them: this one if it does, else Summarize.
    const arrive = (files: LocalFile[]) => {
      if (!["summarize", "translate", "chat", "workflows"].includes(parseRoute(location.hash).page)) navigate("#/summarize");
      deliverDocuments(files);
    };
    const listening = [
      native.onNavigate(navigate),
      native.onOpened(arrive),
      native.onDrop(arrive, (dragging) => document.body.classList.toggle("dragging-files", dragging)),
    ];
    return () => listening.forEach((l) => l.then((unlisten) => unlisten()));
  }, []);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const mod = event.ctrlKey || event.metaKey;
      if (mod && event.shiftKey && event.key.toLowerCase() === "o") {
        event.preventDefault();
        navigate("#/chat");
        document.getElementById("composer")?.focus();
      } else if (mod && !event.shiftKey && !event.altKey && PAGE_KEYS[event.key]) {
        event.preventDefault();
        navigate(PAGE_KEYS[event.key]);
      } else if (mod && event.key.toLowerCase() === "k") {
        event.preventDefault();
        document.getElementById("history-search")?.focus();
      } else if (event.key === "/" && !(event.target instanceof HTMLInputElement || event.target instanceof HTMLTextAreaElement)) {
        event.preventDefault();
        document.getElementById("composer")?.focus();
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  return (
    <ApiContext.Provider value={api}>
      <HistoryContext.Provider value={{ version, changed }}>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <div class={`layout ${menuOpen ? "menu-open" : ""}`}>
          <button type="button" class="menu-toggle ghost" aria-label="Show history" aria-expanded={menuOpen} onClick={() => setMenuOpen(!menuOpen)}>
            ☰
          </button>
          <Sidebar route={route} />
          <main id="main" tabIndex={-1}>
            <ModelLoading />
            {route.page === "chat" && <ChatPage id={route.id} />}
            {route.page === "documents" && <DocumentsPage />}
            {route.page === "summarize" && <SummarizePage />}
            {route.page === "translate" && <TranslatePage />}
            {route.page === "models" && <ModelsPage />}
            {route.page === "activity" && <ActivityPage />}
            {route.page === "workflows" && <WorkflowsPage tab={route.tab} />}
            {route.page === "settings" && <SettingsPage />}
          </main>
        </div>
      </HistoryContext.Provider>
    </ApiContext.Provider>
  );
}

/** An error box that says what went wrong and, from Hearth's message, what to do. */
export function ErrorNote({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <div class="error" role="alert">
      <span>{message}</span>
      {onDismiss && (
        <button type="button" class="ghost" aria-label="Dismiss" onClick={onDismiss}>
          ×
        </button>
      )}
    </div>
  );
}
