// Models: the models loaded now, with a button to unload each; choosing one (every local and remote model compared: where it runs, size,
// memory, speed measured here, context, license, cost; the catalog model recommended for
// this computer); the library with what each file's header says and whether it fits in
// memory; make one the default; add a file by path; scan other apps' folders; download
// from the catalog with progress.

import { useEffect, useState } from "preact/hooks";
import { useJob } from "./job";
import type { CatalogEntry, ModelChoices, ModelEntry } from "./api";
import { ErrorNote, useApi } from "./shell";
import { contextText, costText, memoryText, sortChoices, speedText, whereItRuns } from "./choices";
import { native } from "./desktop";
import { formatBytes, modelLabel } from "./format";
import { LoadedModelsPanel } from "./loaded-models";

const VERDICT: Record<string, [string, string]> = {
  Fits: ["fits", "Fits in memory"],
  Tight: ["tight", "Tight: other programs may swap"],
  WillNotFit: ["wont-fit", "Won't fit in free memory"],
};

export function ModelsPage() {
  const api = useApi();
  const [models, setModels] = useState<ModelEntry[] | null>(null);
  const [choices, setChoices] = useState<ModelChoices | null>(null);
  const [catalog, setCatalog] = useState<CatalogEntry[]>([]);
  const [path, setPath] = useState("");
  const [scan, setScan] = useState<string | null>(null);
  const download = useJob<{ id: string; downloaded: number; total: number | null }>();
  const pulling = download.progress;
  const [error, setError] = useState<unknown>(null);

  const load = () => {
    api.modelChoices().then(setChoices, setError);
    return api.models().then(setModels, setError);
  };
  useEffect(() => {
    load();
    api.catalog().then((c) => setCatalog(c.models), () => {});
  }, []);

  const act = (work: Promise<unknown>) => work.then(load, setError);

  async function pull(id: string) {
    await download.start(
      { id, downloaded: 0, total: null },
      ({ signal, report }) =>
        api.pull(id, (e) => {
          if (e.event === "progress") report({ id, ...e.data });
          else if (e.event === "error") setError(new Error(e.data.message));
        }, signal),
      setError,
    );
    load();
  }

  return (
    <section class="page models" aria-label="Models">
      <h1>Models</h1>
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      <LoadedModelsPanel />
      {choices && <Choosing choices={choices} pulling={pulling} onPull={pull} onCancel={download.cancel} />}
      <h2>Your models</h2>
      {models?.length === 0 && <p class="empty">No models yet. Add a .gguf file below, scan other apps' folders, or download one from the catalog.</p>}
      <ul class="model-list">
        {models?.map((m) => {
          const verdict = m.details?.verdict ? VERDICT[m.details.verdict] : null;
          return (
            <li key={m.id} class="model" aria-label={`Model ${m.id}`}>
              <div class="model-head">
                <strong>{modelLabel(m).name}</strong>
                <span class="meta">{m.id}</span>
                {m.is_default && <span class="badge default">Default</span>}
                {verdict && (
                  <span class={`badge ${verdict[0]}`} title={`Needs about ${formatBytes(m.details!.memory.total)} at ${m.details!.memory.n_ctx} tokens; ${formatBytes(m.details!.available_memory)} free`}>
                    {verdict[1]}
                  </span>
                )}
              </div>
              {m.problem ? (
                <p class="warning">{m.problem}</p>
              ) : (
                m.summary && (
                  <dl class="facts">
                    <dt>Architecture</dt>
                    <dd>{m.summary.architecture ?? "unknown"}</dd>
                    <dt>Parameters</dt>
                    <dd>{m.summary.parameter_count ? `${(m.summary.parameter_count / 1e6).toFixed(0)} M` : "unknown"}</dd>
                    <dt>Quantization</dt>
                    <dd>{m.summary.quantization}</dd>
                    <dt>Context</dt>
                    <dd>{m.summary.context_length ?? "unknown"} tokens</dd>
                    <dt>File</dt>
                    <dd>{formatBytes(m.summary.file_size)}</dd>
                    <dt>Chat template</dt>
                    <dd>{m.summary.has_chat_template ? "yes" : "no (a built-in one is used)"}</dd>
                    <dt>License</dt>
                    <dd>{m.summary.license ?? "not stated"}</dd>
                    <dt>Runs on</dt>
                    <dd>{whereLayersGo(m.details?.gpu)}</dd>
                  </dl>
                )
              )}
              <p class="path">{m.path}</p>
              {!m.is_default && !m.problem && (
                <button type="button" onClick={() => act(api.setDefaultModel(m.id))}>
                  Make default
                </button>
              )}
            </li>
          );
        })}
      </ul>

      <h2>Add a model file</h2>
      <form
        class="options"
        onSubmit={(e) => {
          e.preventDefault();
          if (path.trim()) act(api.addModel(path.trim(), false, false)).then(() => setPath(""));
        }}
      >
        {native ? (
          // The app opens only files chosen in its dialog: a typed path is refused.
          <button
            type="button"
            onClick={async () => {
              const file = await native!.pickGguf("Add a model file (.gguf)");
              if (file) act(api.addModel(file.handle, false, false));
            }}
          >
            Choose a .gguf file…
          </button>
        ) : (
          <>
            <label>
              Path to a .gguf file{" "}
              <input value={path} size={40} placeholder="/home/me/models/model.gguf" onInput={(e) => setPath((e.target as HTMLInputElement).value)} />
            </label>
            <button type="submit">Add</button>
          </>
        )}
      </form>

      <h2>Models other apps keep</h2>
      <button
        type="button"
        onClick={() =>
          api.scanModels(true).then((report) => {
            setScan(report.found.length ? `Found ${report.found.length}; added ${report.added.length}.` : "No models found in Hugging Face, LM Studio, Ollama or Jan folders.");
            load();
          }, setError)
        }
      >
        Scan and add
      </button>
      {scan && <p role="status">{scan}</p>}

      <h2>Download</h2>
      <ul class="catalog">
        {catalog.map((entry) => (
          <li key={entry.id}>
            <strong>{entry.name}</strong> <span class="meta">{entry.quantization} · {formatBytes(entry.size_bytes)} · needs about {formatBytes(entry.ram_bytes)}</span>{" "}
            {pulling?.id === entry.id ? (
              <>
                <progress value={pulling.downloaded} max={pulling.total ?? undefined} aria-label={`Downloading ${entry.name}`} /> {formatBytes(pulling.downloaded)}
                <button type="button" class="danger" onClick={download.cancel}>
                  Cancel
                </button>
              </>
            ) : (
              <button type="button" disabled={!!pulling} onClick={() => pull(entry.id)}>
                Download
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

type Pulling = { id: string; downloaded: number; total: number | null } | null;

/** The comparison of every model, and the catalog model recommended for this computer. */
function Choosing({ choices, pulling, onPull, onCancel }: { choices: ModelChoices; pulling: Pulling; onPull: (id: string) => void; onCancel: () => void }) {
  const recommended = choices.recommendation;
  return (
    <section class="choosing" aria-label="Choosing a model">
      <h2>Choosing a model</h2>
      {recommended && (
        <div class="recommendation" role="note" aria-label="Recommendation">
          <p>
            <strong>Recommended for this computer: {recommended.name}</strong> — {recommended.reason}
          </p>
          <p class="meta">
            {formatBytes(recommended.size_bytes)} download · license {recommended.license}
          </p>
          {recommended.installed ? (
            <span class="badge fits">installed</span>
          ) : pulling?.id === recommended.catalog_id ? (
            <>
              <progress value={pulling.downloaded} max={pulling.total ?? undefined} aria-label={`Downloading ${recommended.name}`} /> {formatBytes(pulling.downloaded)}{" "}
              <button type="button" class="danger" onClick={onCancel}>
                Cancel
              </button>
            </>
          ) : (
            <button type="button" class="primary" disabled={!!pulling} onClick={() => onPull(recommended.catalog_id)}>
              Download {recommended.name}
            </button>
          )}
        </div>
      )}
      {choices.models.length === 0 ? (
        <p class="empty">No models to compare yet.</p>
      ) : (
        <div class="table-scroll" tabIndex={0} role="region" aria-label="Models compared">
          <table class="choices">
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Where it runs</th>
                <th scope="col">Size</th>
                <th scope="col">Memory needed</th>
                <th scope="col">Speed measured here</th>
                <th scope="col">Context</th>
                <th scope="col">License</th>
                <th scope="col">Cost per 1,000 tokens (in / out)</th>
              </tr>
            </thead>
            <tbody>
              {sortChoices(choices.models).map((m) => (
                <tr key={m.id} aria-label={`Choice ${m.id}`} data-private={m.private ? "yes" : "no"}>
                  <th scope="row">
                    {m.display_name || m.name} {m.is_default && <span class="badge default">Default</span>} {m.embedding && <span class="badge">documents only</span>}
                    <span class="meta block">{m.id}</span>
                  </th>
                  <td class={m.private ? "where local" : "where remote"}>
                    {whereItRuns(m)}
                    {!m.private && <strong class="block leaves">text leaves this computer</strong>}
                  </td>
                  <td>
                    {m.private ? formatBytes(m.size_bytes) : "—"}
                    {(m.parameters || m.quantization) && (
                      <span class="meta block">{[m.parameters ? `${(m.parameters / 1e6).toFixed(0)} M parameters` : "", m.quantization ?? ""].filter(Boolean).join(" · ")}</span>
                    )}
                  </td>
                  <td data-fits={m.fits ?? undefined}>{memoryText(m)}</td>
                  <td class="speed">{speedText(m.speed)}</td>
                  <td>{contextText(m.context_length)}</td>
                  <td>{m.private ? (m.license ?? "not stated") : "the provider's terms"}</td>
                  <td class="cost">{costText(m)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="meta">
        {choices.available_memory != null && `${formatBytes(choices.available_memory)} of memory is free now. `}
        Speeds are measured from the answers models wrote on this computer; prices are as set for each provider.
      </p>
    </section>
  );
}

/** Where a model's layers would go: "CPU", or the GPU with its share and memory. */
export function whereLayersGo(gpu: NonNullable<ModelEntry["details"]>["gpu"]): string {
  if (!gpu) return "the CPU (no GPU found, or GPU layers are off in the settings)";
  const layers = gpu.gpu_layers >= gpu.layers ? `all ${gpu.layers} layers` : `${gpu.gpu_layers} of ${gpu.layers} layers (the rest on the CPU)`;
  const memory = { Fits: "fits", Tight: "tight", WillNotFit: "will not fit" }[gpu.vram_verdict];
  return `${gpu.device} (${gpu.backend}): ${layers}; needs ${formatBytes(gpu.vram_needed)} of its ${formatBytes(gpu.vram_free)} free, ${memory}`;
}
