// Generate data: records that follow a JSON Schema (test data, question/answer pairs
// drawn from a document), made by a model with a seed so a run can be repeated; the
// records as a table, what was thrown away, and JSON Lines or CSV downloads.

import { useState } from "preact/hooks";
import { jobError, useJob } from "./job";
import type { GeneratedData, ModelEntry, Provider } from "./api";
import { ErrorNote, useApi } from "./shell";
import { ChooseDocument, documentSource, type PickedDocument } from "./document-input";
import { saveText } from "./save";
import { ModelOptions } from "./model-options";
import { EXAMPLE_SCHEMA, parseSchema } from "./workflow-draft";
import { useWorkflowLimits } from "./workflow-limits";
import { ResultsTable } from "./results-table";
import { recordColumns } from "./workflow-table";

interface Result {
  data: GeneratedData;
  jsonl: string;
  csv: string;
}

export function GenerateData({ models, providers }: { models: ModelEntry[]; providers: Provider[] }) {
  const api = useApi();
  const [schema, setSchema] = useState(EXAMPLE_SCHEMA);
  const [count, setCount] = useState("5");
  const [instructions, setInstructions] = useState("");
  const [file, setFile] = useState<PickedDocument | null>(null);
  const [seed, setSeed] = useState("");
  const [temperature, setTemperature] = useState("");
  const [model, setModel] = useState("");
  const job = useJob<{ kept: number; wanted: number; attempts: number }>();
  const progress = job.progress;
  const [result, setResult] = useState<Result | null>(null);
  const [error, setError] = useState<unknown>(null);
  const limits = useWorkflowLimits();

  const schemaProblems: string[] = [];
  const parsedSchema = parseSchema(schema, schemaProblems);

  async function run(event: Event) {
    event.preventDefault();
    setError(null);
    const wanted = Number(count);
    if (!parsedSchema) return;
    // The range is the server's (it says so when a count is past it); the form only
    // needs a whole number.
    if (!Number.isInteger(wanted) || wanted < 1) {
      setError(new Error("Ask for a whole number of records, at least 1."));
      return;
    }
    setResult(null);
    await job.start(
      { kept: 0, wanted, attempts: 0 },
      async ({ signal, report, identify }) =>
        api.generate(
          {
            schema: parsedSchema,
            count: wanted,
            instructions: instructions.trim() || undefined,
            source: file ? await documentSource(file) : undefined,
            seed: seed.trim() ? Number(seed) : undefined,
            temperature: temperature.trim() ? Number(temperature) : undefined,
            model: model || undefined,
          },
          (e) => {
            if (e.event === "started") identify(e.data.job_id);
            else if (e.event === "progress") report(e.data);
            else if (e.event === "done") setResult(e.data);
            else if (e.event === "error") setError(jobError(e.data, "Stopped."));
          },
          signal,
        ),
      setError,
    );
  }

  const stop = job.cancel;

  const columns = result ? recordColumns(result.data.records) : [];
  return (
    <section class="generate-data" aria-label="Generate data">
      <h2>Generate data</h2>
      <form class="job" onSubmit={run}>
        <label for="generate-schema">JSON Schema of one record</label>
        <textarea
          id="generate-schema"
          class="code"
          rows={9}
          spellcheck={false}
          aria-invalid={schemaProblems.length ? "true" : undefined}
          value={schema}
          onInput={(e) => setSchema((e.target as HTMLTextAreaElement).value)}
        />
        {schemaProblems.map((p, i) => (
          <span class="warning" key={i}>
            The schema: {p}
          </span>
        ))}
        <label>
          What the records are <input value={instructions} placeholder="Customers of a bakery in Lyon" onInput={(e) => setInstructions((e.target as HTMLInputElement).value)} />
        </label>
        <div class="drop">
          <p>{file ? `Drawn from: ${file.name}` : "Optionally, draw the records from a document:"}</p>
          <ChooseDocument label="Choose a document" ariaLabel="Document to draw records from" onPick={setFile} />
          {file && (
            <button type="button" class="ghost" onClick={() => setFile(null)}>
              Clear
            </button>
          )}
        </div>
        <div class="options">
          <label>
            Records <input type="number" min={1} max={limits?.max_records} size={6} value={count} onInput={(e) => setCount((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Seed <input type="number" min={0} size={10} placeholder="random" value={seed} onInput={(e) => setSeed((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Temperature <input type="number" min={0} max={2} step={0.1} size={5} placeholder="0.9" value={temperature} onInput={(e) => setTemperature((e.target as HTMLInputElement).value)} />
          </label>
          <label>
            Model{" "}
            <select aria-label="Model for generated data" value={model} onChange={(e) => setModel((e.target as HTMLSelectElement).value)}>
              <ModelOptions models={models} providers={providers} value={model} />
            </select>
          </label>
          {progress ? (
            <button type="button" class="danger" onClick={stop}>
              Stop
            </button>
          ) : (
            <button type="submit" class="primary" disabled={!parsedSchema}>
              Generate
            </button>
          )}
        </div>
      </form>
      {progress && (
        <div class="progress" role="status">
          <progress value={progress.kept} max={progress.wanted} aria-label="Generation progress" /> {progress.kept} of {progress.wanted} records ·{" "}
          {progress.attempts} tries
        </div>
      )}
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {result && (
        <article class="result" aria-label="Generated records">
          <header>
            <h2>{result.data.records.length} records</h2>
            <span class="meta">
              seed {result.data.seed} · {result.data.attempts} tries · {result.data.invalid} invalid · {result.data.duplicates} duplicates dropped
            </span>
            <button type="button" onClick={() => saveText("records.jsonl", result.jsonl, "application/jsonl").catch(setError)}>
              Download JSON Lines
            </button>
            <button type="button" onClick={() => saveText("records.csv", result.csv, "text/csv").catch(setError)}>
              Download CSV
            </button>
          </header>
          <ResultsTable columns={columns} rows={result.data.records} />
          {result.data.warnings.map((w, i) => (
            <p class="warning" key={i}>
              {w}
            </p>
          ))}
        </article>
      )}
    </section>
  );
}
