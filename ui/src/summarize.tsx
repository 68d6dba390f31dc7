// Summarize: drop or pick a file, or paste text; style, length, language; progress
// while it runs (cancellable); the summary with clickable source references, copy and
// export.

import { SummaryStyleOptions } from "./summary-styles";
import { useState } from "preact/hooks";
import { jobError, useJob } from "./job";
import type { DocumentSource, Summary } from "./api";
import { ErrorNote, useApi } from "./shell";
import { ChooseDocument, documentSource, useArrivingDocuments, type PickedDocument } from "./document-input";
import { native } from "./desktop";
import { referenceLabel } from "./format";
import { CopyButton, MarkdownView } from "./markdown-view";
import { saveText } from "./save";

export function SummarizePage() {
  const api = useApi();
  const [file, setFile] = useState<PickedDocument | null>(null);
  const [text, setText] = useState("");
  const [style, setStyle] = useState("bullets");
  const [length, setLength] = useState("medium");
  const [language, setLanguage] = useState("");
  const job = useJob<{ label: string; value: number; max: number }>();
  const progress = job.progress;
  const [document, setDocument] = useState<{ title: string | null; pages: number | null; warnings: string[] } | null>(null);
  const [summary, setSummary] = useState<Summary | null>(null);
  const [source, setSource] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [dragging, setDragging] = useState(false);
  useArrivingDocuments((files) => setFile(files[0]));

  async function run(event: Event) {
    event.preventDefault();
    setError(null);
    setSummary(null);
    setSource(null);
    let input: DocumentSource;
    if (file) input = await documentSource(file);
    else if (text.trim()) input = { text };
    else {
      setError(new Error("Choose a file or paste some text to summarize."));
      return;
    }
    await job.start(
      { label: "Reading the document…", value: 0, max: 1 },
      ({ signal, report }) =>
        api.summarize({ ...input, style, length, language: language || undefined }, (e) => {
          if (e.event === "document") setDocument(e.data);
          else if (e.event === "progress") {
            if (e.data.stage === "reading") report({ label: `Reading scanned page ${e.data.done} of ${e.data.total} (OCR)`, value: e.data.done, max: e.data.total });
            else if (e.data.stage === "chunked") report({ label: `${e.data.parts} parts`, value: 0, max: e.data.parts });
            else report({ label: `Level ${e.data.level}: step ${e.data.done} of ${e.data.total}`, value: e.data.done, max: e.data.total });
          } else if (e.event === "done") {
            setSummary(e.data.summary);
            void native?.notifyFinished("Summary ready", file ? `${file.name} is summarized.` : "Your text is summarized.");
          } else if (e.event === "error") setError(jobError(e.data));
        }, signal),
      setError,
    );
  }

  return (
    <section class="page summarize" aria-label="Summarize">
      <h1>Summarize</h1>
      <form onSubmit={run} class="job">
        <div
          class={`drop ${dragging ? "dragging" : ""}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            const dropped = e.dataTransfer?.files[0];
            if (dropped) setFile(dropped);
          }}
        >
          <p>{file ? `File: ${file.name}` : "Drop a PDF, DOCX, EPUB, HTML, Markdown or text file here, or"}</p>
          <ChooseDocument label="Choose a file" ariaLabel="Document to summarize" onPick={setFile} />
          {file && (
            <button type="button" class="ghost" onClick={() => setFile(null)}>
              Clear
            </button>
          )}
        </div>
        {!file && (
          <>
            <label for="summary-text">Or paste text</label>
            <textarea id="summary-text" rows={6} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
          </>
        )}
        <div class="options">
          <label>
            Style{" "}
            <select value={style} onChange={(e) => setStyle((e.target as HTMLSelectElement).value)}>
              <SummaryStyleOptions />
            </select>
          </label>
          <label>
            Length{" "}
            <select value={length} onChange={(e) => setLength((e.target as HTMLSelectElement).value)}>
              <option value="short">Short</option>
              <option value="medium">Medium</option>
              <option value="long">Long</option>
            </select>
          </label>
          <label>
            Language{" "}
            <input value={language} placeholder="the document's own" onInput={(e) => setLanguage((e.target as HTMLInputElement).value)} size={14} />
          </label>
          {progress ? (
            <button type="button" class="danger" onClick={job.cancel}>
              Cancel
            </button>
          ) : (
            <button type="submit" class="primary">
              Summarize
            </button>
          )}
        </div>
      </form>
      {progress && (
        <div class="progress" role="status">
          <progress value={progress.value} max={progress.max} aria-label="Summary progress" /> {progress.label}
        </div>
      )}
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {summary && (
        <article class="result" aria-label="Summary">
          <header>
            <h2>{document?.title ?? "Summary"}</h2>
            <span class="meta">
              {summary.parts.length} parts · {summary.levels} levels{document?.pages ? ` · ${document.pages} pages` : ""}
            </span>
            {summary.grounding && (
              <span class={summary.grounding.not_found > 0 ? "grounding warning" : "grounding"} role="status" aria-label="Checked against the document">
                {summary.grounding.not_found > 0
                  ? `⚠ ${summary.grounding.summary}`
                  : summary.grounding.layers?.includes("judge")
                    ? `✓ every point found in the document (judge: ${summary.grounding.judge})`
                    : `✓ every number, date, name and quote found in the document`}
              </span>
            )}
            <CopyButton text={summary.text} />
            <button type="button" onClick={() => saveText("summary.md", summary.text, "text/markdown").catch(setError)}>
              Export
            </button>
          </header>
          <ul class="points">
            {summary.points.map((point, i) => (
              <li key={i} class={point.unsupported?.length ? "unsupported" : undefined} data-grounding={point.unsupported?.length ? "not-found" : undefined}>
                <MarkdownView text={point.text} class="inline" />
                {point.quote && <blockquote>“{point.quote}”</blockquote>}
                {point.unsupported && point.unsupported.length > 0 && (
                  <p class="warning not-found" aria-label="Not found in the document">
                    ⚠ {capitalized(point.unsupported.map((f) => f.reason).join("; "))}.
                  </p>
                )}
                <span class="refs">
                  {point.parts.map((part) => (
                    <button type="button" class="ref" key={part} aria-label={`Source ${referenceLabel(summary.parts[part], part)}`} onClick={() => setSource(part)}>
                      {referenceLabel(summary.parts[part], part)}
                    </button>
                  ))}
                </span>
              </li>
            ))}
          </ul>
          {source !== null && (
            <aside class="source" aria-label="Source">
              <h3>
                Source: {referenceLabel(summary.parts[source], source)}
                {summary.parts[source].section.length > 0 && ` — ${summary.parts[source].section.join(" › ")}`}
              </h3>
              {(summary as Summary & { part_notes?: string[][] }).part_notes?.[source]?.length ? (
                <ul>
                  {(summary as Summary & { part_notes: string[][] }).part_notes[source].map((note, i) => (
                    <li key={i}>{note}</li>
                  ))}
                </ul>
              ) : (
                <p>The whole document fit in one step; this part was read directly.</p>
              )}
              <button type="button" class="ghost" onClick={() => setSource(null)}>
                Close
              </button>
            </aside>
          )}
          {[...(document?.warnings ?? []), ...summary.warnings].map((w, i) => (
            <p class="warning" key={i}>
              {w}
            </p>
          ))}
        </article>
      )}
    </section>
  );
}

/** "the document has no 17%" → "The document has no 17%" */
function capitalized(text: string): string {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}
