// Check: any text (an email draft, a report, another app's answer) against the documents
// it should rest on. Each sentence whose numbers, dates, names, quotes or code the
// documents do not have is marked with what is missing; the rest are marked found or
// unchecked (nothing in them to test).

import { useState } from "preact/hooks";
import type { GroundingReport } from "./api";
import { ErrorNote, useApi } from "./shell";
import { ChooseDocument, documentSource, useArrivingDocuments, type PickedDocument } from "./document-input";

const MARKS = { supported: "✓", not_found: "⚠", unchecked: "·" } as const;
const LABELS = { supported: "Found in the documents", not_found: "Not found in the documents", unchecked: "Nothing to check" } as const;

export function CheckPage() {
  const api = useApi();
  const [text, setText] = useState("");
  const [files, setFiles] = useState<PickedDocument[]>([]);
  const [report, setReport] = useState<GroundingReport | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  useArrivingDocuments((arrived) => setFiles((list) => [...list, ...arrived]));

  async function run(event: Event) {
    event.preventDefault();
    setError(null);
    setReport(null);
    if (!text.trim()) return setError(new Error("Paste the text to check."));
    if (files.length === 0) return setError(new Error("Choose the documents the text should rest on."));
    setBusy(true);
    try {
      setReport(await api.check(text, await Promise.all(files.map(documentSource))));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="check" aria-label="Check a text">
      <h1>Check a text against documents</h1>
      <form class="job" onSubmit={run}>
        <label for="check-text">Text to check</label>
        <textarea id="check-text" rows={8} value={text} placeholder="Paste a draft, a summary or an answer" onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        <div class="options">
          <ChooseDocument label="Add a document…" ariaLabel="Document to check against" onPick={(d) => d && setFiles((list) => [...list, d])} />
          {files.map((f, i) => (
            <span class="chip" key={i}>
              {f.name}{" "}
              <button type="button" class="ghost" aria-label={`Remove ${f.name}`} onClick={() => setFiles((list) => list.filter((_, j) => j !== i))}>
                ×
              </button>
            </span>
          ))}
        </div>
        <div class="options">
          <button type="submit" class="primary" disabled={busy}>
            {busy ? "Checking…" : "Check"}
          </button>
        </div>
      </form>
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {report && (
        <article class="result" aria-label="Check result">
          <header>
            <span class={report.not_found > 0 ? "grounding warning" : "grounding"} role="status">
              {report.not_found > 0 ? `⚠ ${report.summary}` : `✓ ${report.summary}`}
            </span>
          </header>
          <ol class="checked-sentences">
            {report.sentences.map((s, i) => (
              <li key={i} class={s.support} data-grounding={s.support}>
                <span class="mark" title={LABELS[s.support]} aria-label={LABELS[s.support]}>
                  {MARKS[s.support]}
                </span>{" "}
                {s.text}
                {s.findings.length > 0 && (
                  <ul class="warning not-found">
                    {s.findings.map((f, j) => (
                      <li key={j}>{f.reason}</li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ol>
        </article>
      )}
    </section>
  );
}
