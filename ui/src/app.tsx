// The shell: sidebar with history, the page for the current route, keyboard shortcuts.
// What pages share with it is in shell.tsx; the routes are in routes.ts.

import { useCallback, useEffect, useState } from "preact/hooks";
import type { Api } from "./api";
import { Sidebar } from "./sidebar";
import { ChatPage } from "./chat";
import { SummarizePage } from "./summarize";
import { TranslatePage } from "./translate";
import { CheckPage } from "./check";
import { ModelsPage } from "./models";
import { SettingsPage } from "./settings";
import { DocumentsPage } from "./documents";
import { ActivityPage } from "./activity";
import { WorkflowsPage } from "./workflows";
import { ApiContext, HistoryContext, navigate } from "./shell";
import { parseRoute, type Route } from "./routes";
import { native, type LocalFile } from "./desktop";
import { deliverDocuments } from "./document-input";
import { ModelLoading } from "./model-loading";

/** Ctrl/Cmd + a digit opens a page, as in the desktop app's Go menu (src-tauri/src/menu.rs). */
const PAGE_KEYS: Record<string, string> = {
  "2": "#/summarize",
  "3": "#/translate",
  "4": "#/documents",
  "5": "#/models",
  "6": "#/activity",
  "7": "#/workflows",
};

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
            {route.page === "check" && <CheckPage />}
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
