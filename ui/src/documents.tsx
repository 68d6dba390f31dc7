// Documents: collections of the user's files and a chat about them. Add files and
// folders by path (the app reads them where they are), watch ingestion progress, see
// which files failed and why, rescan, remove, keep a collection's folders watched (what
// the watcher indexes shows as it happens); ask questions and follow-ups, with
// citations that open the passage the answer came from.

import { useEffect, useState } from "preact/hooks";
import { jobError, useJob } from "./job";
import type { AskSource, Attribution, Collection, CollectionFile, GroundingReport, Passage } from "./api";
import { GroundingNote } from "./grounding-note";
import { ErrorNote, useApi } from "./shell";
import { linkCitations } from "./format";
import { MarkdownView } from "./markdown-view";
import { PassagePanel } from "./passage";
import { native, type LocalFile } from "./desktop";
import { IndexingNote, WatchDetails, useIndexing } from "./indexing";

interface Exchange {
  question: string;
  query?: string;
  answer: string;
  sources: AskSource[];
  cited: number[];
  matched: Attribution[];
  /** The grounding check against the passages; absent when it is off. */
  grounding?: GroundingReport | null;
  /** The answer is written and the thorough check is reading it. */
  checking?: boolean;
  nothing?: boolean;
  done: boolean;
}

export function DocumentsPage() {
  const api = useApi();
  const [collections, setCollections] = useState<Collection[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [files, setFiles] = useState<CollectionFile[]>([]);
  const [name, setName] = useState("");
  const [paths, setPaths] = useState("");
  // In the desktop app: files and folders chosen in its dialogs, sent by their handles.
  const [chosen, setChosen] = useState<LocalFile[]>([]);
  const ingestion = useJob<{ label: string; value: number; max: number }>();
  const progress = ingestion.progress;
  const [report, setReport] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  async function reload(keep: string | null = selected) {
    try {
      const list = await api.collections();
      setCollections(list);
      const still = keep && list.some((c) => c.name === keep) ? keep : (list[0]?.name ?? null);
      setSelected(still);
      setFiles(still ? await api.collectionFiles(still) : []);
    } catch (e) {
      setError(e);
    }
  }

  useEffect(() => {
    reload();
  }, []);

  // A change the folder watcher indexed: the counts and the file list are new.
  const indexing = useIndexing(api, () => {
    if (!ingestion.progress) reload();
  });

  async function ingest(run: (onEvent: (e: { event: string; data: any }) => void, signal: AbortSignal) => Promise<void>, target: string) { // eslint-disable-line @typescript-eslint/no-explicit-any
    setError(null);
    setReport(null);
    let total = 1;
    await ingestion.start(
      { label: "Looking for files…", value: 0, max: 1 },
      ({ signal, report: show }) =>
        run((e) => {
          if (e.event === "progress") {
            const p = e.data;
            if (p.event === "scanned") {
              total = Math.max(p.files, 1);
              show({ label: `${p.files} files to look at`, value: 0, max: total });
            } else if (p.event === "reading") show({ label: `${baseName(p.path)}: reading scanned page ${p.done} of ${p.total} (OCR)`, value: p.index - 1, max: total });
            else if (p.event === "embedding") show({ label: `${baseName(p.path)}: ${p.done} of ${p.total} passages`, value: p.index - 1, max: total });
            else if (p.event === "file") show({ label: `${baseName(p.path)}: ${p.outcome}`, value: p.index, max: total });
          } else if (e.event === "done") {
            const r = e.data.report;
            setReport(
              `${r.added} added, ${r.updated} updated, ${r.unchanged} unchanged, ${r.renamed ?? 0} renamed, ${r.removed} removed, ${r.failed.length} failed — ${r.passages} passages in ${r.seconds.toFixed(1)} s` +
                (r.missing_sources?.length ? `. Not found (kept indexed until you remove them): ${r.missing_sources.join(", ")}` : ""),
            );
          } else if (e.event === "error") setError(jobError(e.data, "Cancelled; the files finished so far are indexed."));
        }, signal),
      setError,
    );
    await reload(target);
  }

  function add(event: Event) {
    event.preventDefault();
    const target = (name.trim() || selected || "").trim();
    const list = [...chosen.map((c) => c.handle), ...paths.split("\n").map((p) => p.trim()).filter(Boolean)];
    if (!target) return setError(new Error("Name the collection (for example “Work notes”)."));
    if (!list.length) return setError(new Error(native ? "Choose at least one file or folder." : "Type the path of at least one file or folder, one per line."));
    ingest((onEvent, signal) => api.addToCollection(target, list, onEvent, signal), target).then(() => {
      setPaths("");
      setChosen([]);
    });
  }

  const current = collections?.find((c) => c.name === selected) ?? null;

  return (
    <section class="page documents" aria-label="Documents">
      <h1>Documents</h1>
      <div class="columns">
        <nav class="collections" aria-label="Collections">
          {collections?.length === 0 && <p class="empty">No collections yet. Add files or folders below to start one.</p>}
          <ul>
            {collections?.map((c) => (
              <li key={c.id}>
                <button
                  type="button"
                  class={`collection ${c.name === selected ? "current" : ""}`}
                  aria-current={c.name === selected ? "true" : undefined}
                  onClick={async () => {
                    setSelected(c.name);
                    setFiles(await api.collectionFiles(c.name));
                  }}
                >
                  <strong>{c.name}</strong>
                  <span class="meta">
                    {c.files} files · {c.chunks} passages{c.failed ? ` · ${c.failed} failed` : ""}
                    {c.watch ? " · watched" : ""}
                  </span>
                </button>
              </li>
            ))}
          </ul>
          <form class="job" onSubmit={add} aria-label="Add files">
            <label>
              Collection
              <input value={name} placeholder={selected ?? "New collection name"} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
            </label>
            {native ? (
              <>
                {chosen.length > 0 && (
                  <ul class="attachments" aria-label="Files and folders to add">
                    {chosen.map((c, i) => (
                      <li key={c.handle} class="chip">
                        {c.name}{" "}
                        <button type="button" class="ghost" aria-label={`Remove ${c.name}`} onClick={() => setChosen((list) => list.filter((_, j) => j !== i))}>
                          ×
                        </button>
                      </li>
                    ))}
                  </ul>
                )}
                <span class="browse">
                  <button
                    type="button"
                    onClick={async () => {
                      const folder = await native!.pickFolder().catch(setError);
                      if (folder) setChosen((list) => [...list, folder]);
                    }}
                  >
                    Add a folder…
                  </button>{" "}
                  <button
                    type="button"
                    onClick={async () => {
                      const files = (await native!.pickDocuments(true).catch(setError)) ?? [];
                      if (files.length) setChosen((list) => [...list, ...files]);
                    }}
                  >
                    Add files…
                  </button>
                </span>
              </>
            ) : (
              <label>
                Files and folders on the computer Hearth runs on, one per line (the server reads paths only when started with --allow-paths)
                <textarea rows={3} value={paths} placeholder="/home/me/Documents/manuals" onInput={(e) => setPaths((e.target as HTMLTextAreaElement).value)} />
              </label>
            )}
            {progress ? (
              <button type="button" class="danger" onClick={ingestion.cancel}>
                Cancel
              </button>
            ) : (
              <button type="submit" class="primary">
                Add and index
              </button>
            )}
          </form>
          {progress && (
            <div class="progress" role="status">
              <progress value={progress.value} max={progress.max} aria-label="Indexing progress" /> {progress.label}
            </div>
          )}
          {report && (
            <p class="report" role="status">
              {report}
            </p>
          )}
          <IndexingNote status={indexing} />
          <ErrorNote error={error} onDismiss={() => setError(null)} />
        </nav>
        <div class="collection-detail">
          {current && (
            <details class="files">
              <summary>
                {current.name}: {current.files} files, {current.chunks} passages ({current.embedding_model})
              </summary>
              <div class="actions">
                <button type="button" disabled={!!progress} onClick={() => ingest((onEvent, signal) => api.reindexCollection(current.name, onEvent, signal), current.name)}>
                  Rescan
                </button>
                <label class="toggle" title="While Hearth runs, new, changed, renamed and deleted files in this collection's folders are indexed as they happen">
                  <input
                    type="checkbox"
                    checked={current.watch}
                    onChange={async (e) => {
                      const watch = (e.target as HTMLInputElement).checked;
                      await api.setCollectionWatch(current.name, watch).catch(setError);
                      await reload(current.name);
                    }}
                  />{" "}
                  Keep up to date as files change
                </label>
                <button
                  type="button"
                  class="danger"
                  onClick={async () => {
                    if (!confirm(`Delete the collection “${current.name}”? Your files stay where they are.`)) return;
                    await api.deleteCollection(current.name).catch(setError);
                    await reload(null);
                  }}
                >
                  Delete collection
                </button>
              </div>
              {current.watch && <WatchDetails status={indexing} collection={current.name} />}
              <ul>
                {files.map((f) => (
                  <li key={f.id} class={f.status}>
                    <span class="path">{f.path}</span>{" "}
                    {f.status === "indexed" ? <span class="meta">{f.chunks} passages</span> : <span class="warning">not indexed: {f.error}</span>}{" "}
                    <button
                      type="button"
                      class="ghost"
                      aria-label={`Remove ${baseName(f.path)}`}
                      onClick={async () => {
                        await api.removeFromCollection(current.name, f.path).catch(setError);
                        await reload(current.name);
                      }}
                    >
                      Remove
                    </button>
                  </li>
                ))}
              </ul>
            </details>
          )}
          {collections && collections.length > 0 && <AskPanel collection={selected} />}
        </div>
      </div>
    </section>
  );
}

/** A chat about one collection (or all): each answer streams, then shows its sources. */
export function AskPanel({ collection }: { collection: string | null }) {
  const api = useApi();
  const [scope, setScope] = useState<"one" | "all">("one");
  const [question, setQuestion] = useState("");
  const [exchanges, setExchanges] = useState<Exchange[]>([]);
  const [passage, setPassage] = useState<(Passage & { label: string }) | null>(null);
  const [error, setError] = useState<unknown>(null);
  const answering = useJob<true>();

  useEffect(() => setExchanges([]), [collection, scope]);

  function update(index: number, change: (e: Exchange) => Exchange) {
    setExchanges((list) => list.map((e, i) => (i === index ? change(e) : e)));
  }

  async function ask(event: Event) {
    event.preventDefault();
    const text = question.trim();
    if (!text) return;
    setError(null);
    setQuestion("");
    const history = exchanges.filter((e) => e.done && !e.nothing).flatMap((e) => [
      { role: "user" as const, content: e.question },
      { role: "assistant" as const, content: e.answer },
    ]);
    const index = exchanges.length;
    setExchanges((list) => [...list, { question: text, answer: "", sources: [], cited: [], matched: [], done: false }]);
    await answering.start(
      true,
      ({ signal }) =>
        api.ask(
          { question: text, collections: scope === "one" && collection ? [collection] : [], history },
          (e) => {
            if (e.event === "started") update(index, (x) => ({ ...x, query: e.data.query, sources: e.data.sources }));
            else if (e.event === "delta") update(index, (x) => ({ ...x, answer: x.answer + e.data.text }));
            else if (e.event === "checking") update(index, (x) => ({ ...x, checking: true }));
            else if (e.event === "done")
              update(index, (x) => ({ ...x, answer: e.data.completion.text, cited: e.data.cited, matched: e.data.matched, grounding: e.data.grounding, checking: false, done: true }));
            else if (e.event === "nothing_relevant") update(index, (x) => ({ ...x, query: e.data.query, answer: e.data.message, nothing: true, done: true }));
            else if (e.event === "error") setError(new Error(e.data.message));
          },
          signal,
        ),
      setError,
    );
    update(index, (x) => ({ ...x, done: true }));
  }

  async function open(exchange: Exchange, number: number) {
    const source = exchange.sources.find((s) => s.number === number);
    if (!source) return;
    try {
      setPassage(await api.passage(source.id));
    } catch (e) {
      setError(e);
    }
  }

  return (
    <div class="ask" aria-label="Ask your documents">
      <h2>Ask</h2>
      <ol class="exchanges">
        {exchanges.map((x, i) => (
          <li key={i}>
            <p class="question">{x.question}</p>
            {x.query && x.query !== x.question && <p class="meta">Searched for: {x.query}</p>}
            <div
              class={`answer ${x.nothing ? "nothing" : ""}`}
              onClick={(event) => {
                const link = (event.target as HTMLElement).closest("a");
                const href = link?.getAttribute("href") ?? "";
                if (href.startsWith("#source-")) {
                  event.preventDefault();
                  open(x, Number(href.slice("#source-".length)));
                }
              }}
            >
              <MarkdownView text={linkCitations(x.answer || "…", x.sources.length)} />
            </div>
            {x.checking && (
              <p class="hint" role="status">
                Checking the answer against its passages (thorough: a model reads each sentence)…
              </p>
            )}
            <GroundingNote report={x.grounding} />
            {x.sources.length > 0 && (
              <ol class="sources" aria-label="Sources">
                {x.sources.map((s) => {
                  const cited = x.cited.includes(s.number);
                  const matched = x.matched.some((m) => m.source === s.number);
                  return (
                    <li key={s.number} class={cited ? "cited" : matched ? "matched" : ""}>
                      <button type="button" class="ref" onClick={() => open(x, s.number)} aria-label={`Open source ${s.number}: ${s.label}`}>
                        [{s.number}] {s.label}
                      </button>
                      {cited && <span class="meta"> cited</span>}
                      {!cited && matched && <span class="meta"> matches a sentence of the answer</span>}
                    </li>
                  );
                })}
              </ol>
            )}
          </li>
        ))}
      </ol>
      {passage && <PassagePanel passage={passage} onClose={() => setPassage(null)} />}
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      <form class="composer" onSubmit={ask}>
        <label for="ask-question" class="visually-hidden">
          Question about your documents
        </label>
        <input id="ask-question" value={question} placeholder="Ask about your documents…" onInput={(e) => setQuestion((e.target as HTMLInputElement).value)} />
        <select value={scope} aria-label="Where to look" onChange={(e) => setScope((e.target as HTMLSelectElement).value as "one" | "all")}>
          <option value="one">{collection ?? "this collection"}</option>
          <option value="all">All collections</option>
        </select>
        {answering.running ? (
          <button type="button" class="danger" onClick={answering.cancel}>
            Stop
          </button>
        ) : (
          <button type="submit" class="primary">
            Ask
          </button>
        )}
      </form>
    </div>
  );
}

function baseName(path: string): string {
  return path.split(/[\\/]/).pop() ?? path;
}
