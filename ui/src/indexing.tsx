// What the folder watcher is doing, for the Documents page: polled while the page is
// open, so the user sees a file being indexed moments after saving it, the changes
// that reached the index, and any folder that cannot be watched.

import { useEffect, useRef, useState } from "preact/hooks";
import type { Api, IndexingStatus } from "./api";

/** How often the page asks; the watcher itself reacts within half a second. */
const POLL_MS = 1500;

/**
 * The watcher's status, asked for every POLL_MS while mounted; `onChange` runs when a
 * new change reached the index (so the page can reload its counts and files).
 */
export function useIndexing(api: Api, onChange: () => void): IndexingStatus | null {
  const [status, setStatus] = useState<IndexingStatus | null>(null);
  const latest = useRef<string | null>(null);
  const changed = useRef(onChange);
  changed.current = onChange;
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    async function poll() {
      try {
        const next = await api.indexing();
        if (stopped) return;
        setStatus(next);
        const newest = next.recent[0] ? `${next.recent[0].at}:${next.recent[0].path}:${next.recent[0].change}` : null;
        if (latest.current !== null && newest !== latest.current) changed.current();
        latest.current = newest ?? "";
      } catch {
        // A server that predates watching, or a moment of no connection: try again.
      }
      if (!stopped) timer = setTimeout(poll, POLL_MS);
    }
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api]);
  return status;
}

/** One line on what is being indexed now, or nothing when the watcher is idle. */
export function indexingLine(status: IndexingStatus | null): string | null {
  if (!status?.running) return null;
  const now = status.indexing;
  if (now) {
    const p = now.progress;
    const file = p?.path ? baseName(p.path) : null;
    if (p?.event === "reading" && file) return `Indexing “${now.collection}”: ${file}, reading scanned page ${p.done} of ${p.total} (OCR)`;
    if (p?.event === "embedding" && file) return `Indexing “${now.collection}”: ${file}, ${p.done} of ${p.total} passages`;
    if (file) return `Indexing “${now.collection}”: ${file}`;
    return now.rescan ? `Checking “${now.collection}” for files changed while Hearth was closed…` : `Indexing changes in “${now.collection}”…`;
  }
  if (status.waiting > 0) return `${status.waiting} change${status.waiting === 1 ? "" : "s"} seen; indexing when the folder is quiet…`;
  return null;
}

export function IndexingNote({ status }: { status: IndexingStatus | null }) {
  const line = indexingLine(status);
  if (!line) return null;
  return (
    <p class="indexing" role="status" aria-live="polite">
      {line}
    </p>
  );
}

/** The latest changes the watcher indexed in one collection, and folders it cannot watch. */
export function WatchDetails({ status, collection }: { status: IndexingStatus | null; collection: string }) {
  if (!status?.running) return null;
  const watched = status.collections.find((c) => c.name === collection);
  const recent = status.recent.filter((c) => c.collection === collection).slice(0, 8);
  return (
    <div class="watch-details">
      {watched?.problems.map((problem) => (
        <p key={problem} class="warning">
          {problem}
        </p>
      ))}
      {recent.length > 0 && (
        <ul class="recent-changes" aria-label="Recent changes">
          {recent.map((c) => (
            <li key={`${c.at}:${c.path}:${c.change}`}>
              <span class="path">{baseName(c.path)}</span> <span class="meta">{c.change} at {new Date(c.at).toLocaleTimeString()}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() || path;
}
