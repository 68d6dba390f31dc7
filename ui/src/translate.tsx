// Translate: text or a file in, target language, optional source language (detected
// otherwise) and glossary; the result side by side, unit by unit, with glossary misses
// marked; units the model did not translate marked, with the model to use instead (and a
// button to translate again with it when it is on this computer); copy or save the
// translation.

import { useState } from "preact/hooks";
import { jobError, useJob } from "./job";
import type { DocumentSource, NotTranslated, Translation } from "./api";
import { ErrorNote, useApi } from "./shell";
import { parseGlossary } from "./files";
import { ChooseDocument, documentSource, useArrivingDocuments, type PickedDocument } from "./document-input";
import { native } from "./desktop";
import { CopyButton } from "./markdown-view";
import { saveText } from "./save";

const TARGETS = ["English", "German", "French", "Spanish", "Italian", "Portuguese", "Dutch", "Polish", "Japanese", "Chinese", "Korean", "Russian", "Arabic"];

export function TranslatePage() {
  const api = useApi();
  const [text, setText] = useState("");
  const [file, setFile] = useState<PickedDocument | null>(null);
  const [to, setTo] = useState("French");
  const [from, setFrom] = useState("");
  const [glossary, setGlossary] = useState("");
  const job = useJob<{ done: number; total: number; reading?: boolean }>();
  const progress = job.progress;
  const [result, setResult] = useState<Translation | null>(null);
  const [error, setError] = useState<unknown>(null);
  useArrivingDocuments((files) => setFile(files[0]));

  async function run(event: Event | null, model?: string) {
    event?.preventDefault();
    setError(null);
    setResult(null);
    const parsed = parseGlossary(glossary);
    if (parsed.errors.length) {
      setError(new Error(`Glossary: ${parsed.errors.join("; ")}`));
      return;
    }
    let input: DocumentSource;
    if (file) input = await documentSource(file);
    else if (text.trim()) input = { text, name: "pasted.md" };
    else {
      setError(new Error("Type or paste text, or choose a file, to translate."));
      return;
    }
    await job.start(
      { done: 0, total: 1 },
      ({ signal, report }) =>
        api.translate({ ...input, to, from: from || undefined, glossary: parsed.entries, model }, (e) => {
          if (e.event === "progress") report({ done: e.data.done, total: e.data.total, reading: e.data.stage === "reading" });
          else if (e.event === "done") {
            setResult(e.data.translation);
            void native?.notifyFinished("Translation ready", file ? `${file.name} is translated.` : "Your text is translated.");
          } else if (e.event === "error") setError(jobError(e.data));
        }, signal),
      setError,
    );
  }

  const misses = new Set(result?.glossary_misses.map((m) => m.unit));
  return (
    <section class="page translate" aria-label="Translate">
      <h1>Translate</h1>
      <form class="job" onSubmit={run}>
        <div class="options">
          <label>
            From{" "}
            <input value={from} placeholder="detect" size={10} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} aria-label="Source language" />
          </label>
          <label>
            To{" "}
            <input list="targets" value={to} size={12} onInput={(e) => setTo((e.target as HTMLInputElement).value)} aria-label="Target language" />
            <datalist id="targets">
              {TARGETS.map((t) => (
                <option key={t} value={t} />
              ))}
            </datalist>
          </label>
          <ChooseDocument label={file ? file.name : "Translate a file…"} ariaLabel="File to translate" onPick={setFile} />
          {file && (
            <button type="button" class="ghost" onClick={() => setFile(null)}>
              Clear file
            </button>
          )}
          {progress ? (
            <button type="button" class="danger" onClick={job.cancel}>
              Cancel
            </button>
          ) : (
            <button type="submit" class="primary">
              Translate
            </button>
          )}
        </div>
        {!file && (
          <>
            <label for="translate-text">Text</label>
            <textarea id="translate-text" rows={6} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
          </>
        )}
        <details>
          <summary>Glossary</summary>
          <label for="glossary">One “term = translation” per line; Hearth checks the translation follows it.</label>
          <textarea id="glossary" rows={3} value={glossary} onInput={(e) => setGlossary((e.target as HTMLTextAreaElement).value)} />
        </details>
      </form>
      {progress && (
        <div class="progress" role="status">
          <progress value={progress.done} max={progress.total} aria-label="Translation progress" />{" "}
          {progress.reading ? `Reading scanned page ${progress.done} of ${progress.total} (OCR)` : `${progress.done} of ${progress.total} pieces`}
        </div>
      )}
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {result && (
        <article class="result" aria-label="Translation">
          <header>
            <span class="meta">
              {result.detected
                ? `Detected ${result.detected.language.name} (${Math.round(result.detected.confidence * 100)}% sure)`
                : `From ${result.from.name}`}{" "}
              → {result.to.name}
            </span>
            {result.not_translated > 0 && (
              <span class="warning" role="status">
                ⚠ {result.not_translated} of {result.units.length} not translated
              </span>
            )}
            {result.grounding && result.grounding.not_found > 0 && (
              <span class="grounding warning" role="status" aria-label="Checked against the source">
                ⚠ {result.grounding.summary}
              </span>
            )}
            <CopyButton text={result.text} />
            <button type="button" onClick={() => saveText(`translation.${result.to.code}.md`, result.text, "text/markdown").catch(setError)}>
              Save
            </button>
          </header>
          {result.advice && (
            <div class="advice" role="alert">
              <p>{result.advice.message}</p>
              {result.advice.model ? (
                <button type="button" class="primary" onClick={() => void run(null, result.advice?.model)}>
                  Translate again with {result.advice.model_name}
                </button>
              ) : (
                result.advice.pull && <a href="#/models">Get {result.advice.model_name} on the Models page</a>
              )}
            </div>
          )}
          <table class="side-by-side">
            <thead>
              <tr>
                <th scope="col">{result.from.name}</th>
                <th scope="col">{result.to.name}</th>
              </tr>
            </thead>
            <tbody>
              {result.units.map((unit, i) => (
                <tr
                  key={i}
                  class={unit.not_translated ? "untranslated" : misses.has(i) || unit.unsupported?.length ? "miss" : ""}
                  data-grounding={unit.unsupported?.length ? "not-found" : undefined}
                >
                  <td>{unit.source}</td>
                  <td>
                    {unit.not_translated && (
                      <p class="warning not-translated">⚠ Not translated: the model {notTranslated(unit.not_translated, result.from.name)}.</p>
                    )}
                    {unit.target}
                    {unit.unsupported && unit.unsupported.length > 0 && (
                      <p class="warning not-found" aria-label="Differs from the source">
                        ⚠ {unit.unsupported.map((f) => f.reason).join("; ")}
                      </p>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {result.glossary_misses.map((m, i) => (
            <p class="warning" key={i}>
              Piece {m.unit + 1} has “{m.term}” but not its required translation “{m.expected}”.
            </p>
          ))}
          {result.warnings.map((w, i) => (
            <p class="warning" key={`w${i}`}>
              {w}
            </p>
          ))}
        </article>
      )}
    </section>
  );
}

/** Why a unit is not a translation, after "the model". */
export function notTranslated(reason: NotTranslated, from: string): string {
  switch (reason.kind) {
    case "copied":
      return `copied the ${from} text`;
    case "empty":
      return "wrote nothing";
    case "incomplete":
      return "left out most of the text";
    case "repeating":
      return "repeated itself instead of translating";
    case "facts_lost":
      return "wrote something without the text’s names, numbers and code";
    case "wrong_language":
      return `answered in ${reason.language.name}`;
    case "untrained":
      return `is not trained to write ${reason.language.name}`;
  }
}
