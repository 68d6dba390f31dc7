// A thin bar above every page while a model loads in the background (the desktop app
// starts loading the default model at launch; a first message loads it too), with how
// far it is, or why it failed. History, settings and every page stay usable meanwhile.

import { useEffect, useState } from "preact/hooks";
import type { ModelLoad } from "./api";
import { useApi } from "./shell";

/** How often to look: often while something loads, rarely when nothing does. */
const LOADING_MS = 400;
const IDLE_MS = 3000;

export function ModelLoading() {
  const api = useApi();
  const [loads, setLoads] = useState<ModelLoad[]>([]);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const look = async () => {
      let next = IDLE_MS;
      try {
        const now = await api.modelLoads();
        if (stopped) return;
        setLoads(now);
        if (now.some((l) => !l.error)) next = LOADING_MS;
      } catch {
        /* an older server without the endpoint, or Hearth going away: keep quiet */
      }
      if (!stopped) timer = setTimeout(look, next);
    };
    look();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api]);
  if (loads.length === 0) return null;
  return (
    <div class="loading-banner" role="status" aria-label="Model loading">
      {loads.map((l) =>
        l.error ? (
          <span key={l.path} class="error-text">
            {l.model} did not load: {l.error}. <a href="#/models">Models</a>
          </span>
        ) : l.waiting_for?.length ? (
          <span key={l.path}>
            {l.model} waits for memory: {l.waiting_for.join(", ")} {l.waiting_for.length === 1 ? "is" : "are"} answering.{" "}
            <a href="#/models">Loaded models</a>
          </span>
        ) : (
          <span key={l.path}>
            Loading {l.model}… <progress value={l.progress} max={1} aria-label={`Loading ${l.model}`} /> {Math.round(l.progress * 100)}%
          </span>
        ),
      )}
    </div>
  );
}
