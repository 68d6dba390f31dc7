// Routes live in the URL hash (#/chat/ID, #/summarize, ...) so reloads keep the place.

/** The Workflows page's tabs. */
export type WorkflowsTab = "workflows" | "run" | "prompts";

export type Route =
  | { page: "chat"; id?: string }
  | { page: "workflows"; tab: WorkflowsTab }
  | { page: "documents" | "summarize" | "translate" | "check" | "models" | "activity" | "settings" };

export function parseRoute(hash: string): Route {
  const [page, id] = hash.replace(/^#\/?/, "").split("/");
  switch (page) {
    case "documents":
    case "summarize":
    case "translate":
    case "check":
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
