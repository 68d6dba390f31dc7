// The Settings page's danger zone: delete everything the user wrote or gave Hearth,
// after typing the phrase, and say what went. Models and settings stay.

import { useContext, useState } from "preact/hooks";
import { DELETE_EVERYTHING_CONFIRMATION, type DeletedEverything } from "./api";
import { ErrorNote, HistoryContext, useApi } from "./shell";
import { confirmsDeletion, deletedSummary } from "./format";

export function DeleteEverything({ onDeleted }: { onDeleted: () => void }) {
  const api = useApi();
  const { changed } = useContext(HistoryContext);
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [deleted, setDeleted] = useState<DeletedEverything | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function erase(event: Event) {
    event.preventDefault();
    if (!confirmsDeletion(typed) || busy) return;
    setBusy(true);
    setError(null);
    try {
      setDeleted(await api.deleteEverything(DELETE_EVERYTHING_CONFIRMATION));
      setTyped("");
      changed();
      onDeleted();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="danger-zone" aria-label="Delete everything" onSubmit={erase}>
      <fieldset>
        <legend>Delete everything</legend>
        <p>This removes from this computer, for good (there is no undo, and nothing is kept in a trash; download a backup above first if you may want any of it back):</p>
        <ul>
          <li>every conversation and its messages, and your personas;</li>
          <li>document collections: their passages and search index (your files themselves are not touched);</li>
          <li>workflow runs and their results, your saved workflows and prompts (the built-in ones come back);</li>
          <li>the activity log of what ran where;</li>
          <li>saved conversation contexts and every other cache, and Hearth's logs;</li>
          <li>the API keys of remote providers, and the names listed for redaction.</li>
        </ul>
        <p>
          <strong>What stays:</strong> your models, and the other settings (including which remote providers are connected, without their keys).
          Running jobs are stopped first.
        </p>
        <label>
          Type “{DELETE_EVERYTHING_CONFIRMATION}” to confirm{" "}
          <input
            value={typed}
            autoComplete="off"
            spellcheck={false}
            aria-label="Type delete everything to confirm"
            onInput={(e) => setTyped((e.target as HTMLInputElement).value)}
          />
        </label>
        <ErrorNote error={error} onDismiss={() => setError(null)} />
        <div>
          <button type="submit" class="danger" disabled={!confirmsDeletion(typed) || busy}>
            {busy ? "Deleting…" : "Delete everything"}
          </button>
        </div>
        {deleted && (
          <p role="status" class="deleted">
            {deletedSummary(deleted)} Models and settings were kept.
          </p>
        )}
      </fieldset>
    </form>
  );
}
