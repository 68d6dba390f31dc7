// What every page shares with the shell: the API client, the history's change signal,
// navigation and the error box. Pages import these from here, never from app.tsx, so the
// shell (which imports every page) and the pages form no import cycle.

import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Api } from "./api";

export const ApiContext = createContext<Api>(null as unknown as Api);
export const useApi = () => useContext(ApiContext);

/** Bumped when conversations change, so the sidebar reloads. */
export const HistoryContext = createContext<{ version: number; changed: () => void }>({ version: 0, changed: () => {} });

export function navigate(hash: string) {
  if (location.hash !== hash) location.hash = hash;
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
