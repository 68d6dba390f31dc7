// The Settings page's backup: download everything the user wrote as one JSON file, and
// restore such a file. A restore adds to the history and never overwrites: a file whose
// conversations are already here is refused (nothing is written), and can then be
// restored as copies.

import { useContext, useRef, useState } from "preact/hooks";
import type { ImportReport } from "./api";
import { ErrorNote, HistoryContext, useApi } from "./shell";
import { backupFileName, importedSummary } from "./format";
import { saveText } from "./save";
import { HearthError } from "./transport";

export function Backup() {
  const api = useApi();
  const { changed } = useContext(HistoryContext);
  const fileInput = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState<"export" | "import" | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  // Where the desktop app saved the last backup (a browser says so itself).
  const [savedTo, setSavedTo] = useState<string | null>(null);
  // The file's text, kept when it was refused as already here, to restore as copies.
  const [refused, setRefused] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function backUp() {
    setBusy("export");
    setError(null);
    setSavedTo(null);
    try {
      setSavedTo(await saveText(backupFileName(new Date()), await api.exportText("json"), "application/json"));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(null);
    }
  }

  async function restore(text: string, copies: boolean) {
    setBusy("import");
    setError(null);
    setReport(null);
    setRefused(null);
    try {
      setReport(await api.import(text, copies));
      changed();
    } catch (e) {
      if (e instanceof HearthError && e.code === "CONFLICT") setRefused(text);
      setError(e);
    } finally {
      setBusy(null);
    }
  }

  async function chosen(event: Event) {
    const input = event.target as HTMLInputElement;
    const file = input.files?.[0];
    input.value = "";
    if (file) await restore(await file.text(), false);
  }

  return (
    <fieldset aria-label="Backup">
      <legend>Backup</legend>
      <p>
        One file with every conversation (all branches), your personas, saved workflows and prompts, and workflow runs with their results. Keep it
        somewhere safe; models, document collections (add the files again) and API keys are not in it.
      </p>
      <div class="options">
        <button type="button" onClick={backUp} disabled={busy !== null}>
          {busy === "export" ? "Preparing…" : "Download a backup"}
        </button>
        <button type="button" onClick={() => fileInput.current?.click()} disabled={busy !== null}>
          {busy === "import" ? "Restoring…" : "Restore from a backup…"}
        </button>
        <input ref={fileInput} type="file" accept=".json,application/json" hidden aria-label="Backup file to restore" onChange={chosen} />
      </div>
      {savedTo && <p role="status">Backup saved to {savedTo}.</p>}
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {refused !== null && (
        <p>
          Nothing was restored: some of it is already here.{" "}
          <button type="button" onClick={() => restore(refused, true)} disabled={busy !== null}>
            Restore as copies
          </button>
        </p>
      )}
      {report && <p role="status">{importedSummary(report)}</p>}
    </fieldset>
  );
}
