// Check: any text (an email draft, a report, another app's answer) against the documents
// it should rest on. Each sentence whose numbers, dates, names, quotes or code the
// documents do not have is marked with what is missing; the rest are marked found or
// unchecked (nothing in them to test). Thorough also compares each sentence with the
// closest source sentences (shown under it) and has a model judge it: supported, not
// in the documents, or contradicted.

import { useEffect, useState } from "preact/hooks";
import type { GroundingReport, ModelEntry, Provider } from "./api";
import { ModelOptions } from "./model-options";
import { ErrorNote, useApi } from "./shell";
import { ChooseDocument, documentSource, useArrivingDocuments, type PickedDocument } from "./document-input";

const MARKS = { supported: "✓", not_found: "⚠", contradicted: "✗", unchecked: "·" } as const;
const LABELS = {
  supported: "Found in the documents",
  not_found: "Not found in the documents",
  contradicted: "The documents say otherwise",
  unchecked: "Nothing to check",
} as const;
const LAYERS = { facts: "facts", similarity: "similarity", judge: "the judge" } as const;

export function CheckPage() {
  const api = useApi();
  const [text, setText] = useState("");
  const [files, setFiles] = useState<PickedDocument[]>([]);
  const [report, setReport] = useState<GroundingReport | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [thorough, setThorough] = useState(false);
  const [judge, setJudge] = useState("");
  const [models, setModels] = useState<ModelEntry[]>([]);
  const [providers, setProviders] = useState<Provider[]>([]);
  useEffect(() => {
    api.settings().then((s) => setThorough(s.grounding === "thorough"), () => {});
    api.models().then(setModels, () => {});
    api.providers().then((p) => setProviders(p.providers), () => {});
  }, []);
  useArrivingDocuments((arrived) => setFiles((list) => [...list, ...arrived]));

  async function run(event: Event) {
    event.preventDefault();
    setError(null);
    setReport(null);
    if (!text.trim()) return setError(new Error("Paste the text to check."));
    if (files.length === 0) return setError(new Error("Choose the documents the text should rest on."));
    setBusy(true);
    try {
      const options = thorough ? { mode: "thorough" as const, judge: judge || undefined } : { mode: "fast" as const };
      setReport(await api.check(text, await Promise.all(files.map(documentSource)), options));
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
          <label title="Also compare each sentence with the closest ones in the documents and ask a model whether they support it (a generation per sentence)">
            <input type="checkbox" checked={thorough} onChange={(e) => setThorough((e.target as HTMLInputElement).checked)} /> Thorough
          </label>
          {thorough && (
            <label>
              Judge{" "}
              <select aria-label="Judge model" value={judge} onChange={(e) => setJudge((e.target as HTMLSelectElement).value)}>
                <ModelOptions models={models} providers={providers} value={judge} empty="As in Settings" />
              </select>
            </label>
          )}
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
            </span>{" "}
            {report.layers && (
              <span class="hint">
                checked by {report.layers.map((l) => LAYERS[l]).join(", ")}
                {report.judge ? ` (judge: ${report.judge})` : ""}
              </span>
            )}
            {report.warnings?.map((w, i) => (
              <p key={i} class="warning" role="alert">
                {w}
              </p>
            ))}
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
                {s.evidence && s.evidence.length > 0 && (
                  <details class="evidence">
                    <summary>
                      Closest in the documents{s.similarity !== undefined ? ` (similarity ${s.similarity.toFixed(2)})` : ""}
                    </summary>
                    <ol>
                      {s.evidence.map((e, j) => (
                        <li key={j}>{e}</li>
                      ))}
                    </ol>
                  </details>
                )}
              </li>
            ))}
          </ol>
        </article>
      )}
    </section>
  );
}
