// Models: the library with what each file's header says and whether it fits in memory;
// make one the default; add a file by path; scan other apps' folders; download from the
// catalog with progress.

import { useEffect, useRef, useState } from "preact/hooks";
import type { CatalogEntry, ModelEntry } from "./api";
import { ErrorNote, useApi } from "./app";
import { formatBytes } from "./format";

const VERDICT: Record<string, [string, string]> = {
  Fits: ["fits", "Fits in memory"],
  Tight: ["tight", "Tight: other programs may swap"],
  WillNotFit: ["wont-fit", "Won't fit in free memory"],
};

export function ModelsPage() {
  const api = useApi();
  const [models, setModels] = useState<ModelEntry[] | null>(null);
  const [catalog, setCatalog] = useState<CatalogEntry[]>([]);
  const [path, setPath] = useState("");
  const [scan, setScan] = useState<string | null>(null);
  const [pulling, setPulling] = useState<{ id: string; downloaded: number; total: number | null } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const abort = useRef<AbortController | null>(null);

  const load = () => api.models().then(setModels, setError);
  useEffect(() => {
    load();
    api.catalog().then((c) => setCatalog(c.models), () => {});
  }, []);

  const act = (work: Promise<unknown>) => work.then(load, setError);

  async function pull(id: string) {
    const controller = new AbortController();
    abort.current = controller;
    setPulling({ id, downloaded: 0, total: null });
    try {
      await api.pull(id, (e) => {
        if (e.event === "progress") setPulling({ id, ...e.data });
        else if (e.event === "error") setError(new Error(e.data.message));
      }, controller.signal);
    } catch (e) {
      setError(e);
    } finally {
      setPulling(null);
      load();
    }
  }

  return (
    <section class="page models" aria-label="Models">
      <h1>Models</h1>
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {models?.length === 0 && <p class="empty">No models yet. Add a .gguf file below, scan other apps' folders, or download one from the catalog.</p>}
      <ul class="model-list">
        {models?.map((m) => {
          const verdict = m.details?.verdict ? VERDICT[m.details.verdict] : null;
          return (
            <li key={m.id} class="model" aria-label={`Model ${m.id}`}>
              <div class="model-head">
                <strong>{m.id}</strong>
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
        <label>
          Path to a .gguf file{" "}
          <input value={path} size={40} placeholder="/home/me/models/model.gguf" onInput={(e) => setPath((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Add</button>
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
                <button type="button" class="danger" onClick={() => abort.current?.abort()}>
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
