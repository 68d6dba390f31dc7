// The models loaded now, on the Models page: what each holds, whether it is answering,
// how long it has sat idle, and a button to unload it; the memory budget they share.
// Hearth unloads on its own too (least recently used first when a model needs room,
// and after the idle timeout); this is where the user sees it and can act first.

import { useEffect, useState } from "preact/hooks";
import type { LoadedModel, LoadedModels } from "./api";
import { ErrorNote, useApi } from "./shell";
import { formatBytes } from "./format";

/** How often the list is refreshed while the page is open. */
const REFRESH_MS = 3000;

/** "idle 4 min", "answering", "just used". */
export function usageText(model: Pick<LoadedModel, "busy" | "idle_seconds">): string {
  if (model.busy) return "answering";
  const s = model.idle_seconds;
  if (s < 60) return "just used";
  if (s < 3600) return `idle ${Math.floor(s / 60)} min`;
  return `idle ${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** "Using 1.2 GB of 11.2 GB (90 MB of it for document search); idle models unload after
 * 30 minutes." */
export function budgetText(loaded: Pick<LoadedModels, "used_bytes" | "budget_bytes" | "embedding_bytes" | "unload_idle_minutes">): string {
  const idle =
    loaded.unload_idle_minutes > 0
      ? `idle models unload after ${loaded.unload_idle_minutes} minute${loaded.unload_idle_minutes === 1 ? "" : "s"}`
      : "models stay loaded until Hearth quits";
  const embedding = loaded.embedding_bytes > 0 ? ` (${formatBytes(loaded.embedding_bytes)} of it for document search)` : "";
  return `Using ${formatBytes(loaded.used_bytes)} of ${formatBytes(loaded.budget_bytes)}${embedding}; ${idle}.`;
}

/** What a model holds: "1.1 GB" or "300 MB + 800 MB on Vulkan0". */
export function memoryHeld(memory: LoadedModel["memory"]): string {
  const ram = formatBytes(memory.ram);
  return memory.vram > 0 && memory.device ? `${ram} + ${formatBytes(memory.vram)} on ${memory.device}` : ram;
}

export function LoadedModelsPanel() {
  const api = useApi();
  const [loaded, setLoaded] = useState<LoadedModels | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [unloading, setUnloading] = useState<string | null>(null);

  const refresh = () => api.loadedModels().then(setLoaded, () => {});
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, REFRESH_MS);
    return () => clearInterval(timer);
  }, [api]);

  async function unload(id: string) {
    setUnloading(id);
    try {
      await api.unloadModel(id);
    } catch (e) {
      setError(e);
    } finally {
      setUnloading(null);
      refresh();
    }
  }

  if (!loaded) return null;
  return (
    <section class="loaded-models" aria-label="Loaded models">
      <h2>Loaded now</h2>
      <p class="hint">
        <meter min={0} max={loaded.budget_bytes} value={loaded.used_bytes} aria-label="Memory the loaded models hold" /> {budgetText(loaded)} When a model needs room,
        the one used least recently is unloaded first; one that is answering never is.
      </p>
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {loaded.models.length === 0 ? (
        <p class="empty">No model is loaded. A model loads when it is first asked.</p>
      ) : (
        <ul class="model-list">
          {loaded.models.map((m) => (
            <li key={m.id} class="model" aria-label={`Loaded ${m.model}`}>
              <div class="model-head">
                <strong>{m.model}</strong>
                <span class={`badge ${m.busy ? "tight" : "fits"}`}>{usageText(m)}</span>
              </div>
              <p>
                Holds about {memoryHeld(m.memory)}
                {m.adapter && <> · adapter {m.adapter}</>}
              </p>
              <button type="button" disabled={m.busy || unloading === m.id} title={m.busy ? "It is answering; unload it when the answer ends" : "Give its memory back now; it loads again when asked"} onClick={() => unload(m.id)}>
                {unloading === m.id ? "Unloading…" : "Unload"}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
