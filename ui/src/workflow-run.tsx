// Running a workflow: on pasted text (whole, or one item a line), uploaded files, and
// files or folders on the computer Hearth runs on; a progress bar over items × steps, the
// results table filling in as steps finish, Stop (the rows finished so far are kept),
// CSV and JSON Lines exports, and the past runs to open again or delete.

import { useEffect, useState } from "preact/hooks";
import { jobError, useJob } from "./job";
import type { RunTable, Workflow, WorkflowInput, WorkflowRun, WorkflowView } from "./api";
import { ErrorNote, navigate, useApi } from "./shell";
import { DOCUMENT_ACCEPT, documentSource, useArrivingDocuments, type PickedDocument } from "./document-input";
import { native } from "./desktop";
import { saveText } from "./save";
import { ResultsTable } from "./results-table";
import { applyProgress, exportName, liveTable, runProgress, type LiveRun } from "./workflow-table";

/** What the Run tab runs: a saved or built-in workflow by name, or the editor's draft. */
export type RunChoice = { name: string } | { draft: Workflow };

const DRAFT = "\u0000draft";

export function RunPanel({ workflows, choice, onChoose }: { workflows: WorkflowView[]; choice: RunChoice | null; onChoose: (choice: RunChoice) => void }) {
  const api = useApi();
  const [text, setText] = useState("");
  const [perLine, setPerLine] = useState(false);
  const [files, setFiles] = useState<PickedDocument[]>([]);
  const [paths, setPaths] = useState("");
  const [live, setLive] = useState<LiveRun | null>(null);
  const job = useJob<true>();
  const running = job.running;
  const [table, setTable] = useState<RunTable | null>(null);
  const [runs, setRuns] = useState<WorkflowRun[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useArrivingDocuments((arrived) => {
    setFiles((list) => [...list, ...arrived]);
    navigate("#/workflows/run");
  });

  const reloadRuns = () => api.workflowRuns().then(setRuns, setError);
  useEffect(() => void reloadRuns(), []);

  // The editor's last draft stays in the list while another workflow is chosen.
  const [draft, setDraft] = useState<Workflow | null>(null);
  useEffect(() => {
    if (choice && "draft" in choice) setDraft(choice.draft);
  }, [choice]);
  const selected = choice ? ("draft" in choice ? DRAFT : choice.name) : (workflows[0]?.name ?? "");

  async function inputs(): Promise<WorkflowInput[]> {
    const list: WorkflowInput[] = [];
    if (text.trim()) {
      // The server reads a named text by its name's extension, so each line's name has one;
      // a text without a name is called "text".
      if (perLine) text.split("\n").forEach((line, i) => line.trim() && list.push({ text: line.trim(), name: `line ${i + 1}.txt` }));
      else list.push({ text });
    }
    for (const file of files) list.push((await documentSource(file)) as WorkflowInput);
    for (const path of paths.split("\n").map((p) => p.trim()).filter(Boolean)) list.push({ path });
    return list;
  }

  async function run(event: Event) {
    event.preventDefault();
    setError(null);
    let items: WorkflowInput[];
    try {
      items = await inputs();
    } catch (e) {
      setError(e);
      return;
    }
    if (items.length === 0) {
      setError(new Error("Paste some text, choose files, or give a file or folder to run the workflow on."));
      return;
    }
    const target = selected === DRAFT && draft ? { workflow: draft } : { name: selected };
    setTable(null);
    setLive(null);
    await job.start(
      true,
      ({ signal, identify }) =>
        api.runWorkflow(
          { ...target, inputs: items },
          (e) => {
            if (e.event === "started") identify(e.data.job_id);
            else if (e.event === "progress") setLive((current) => applyProgress(current, e.data));
            else if (e.event === "done") {
              setTable(e.data);
              setLive(null);
              const state = (e.data as RunTable).run.state;
              void native?.notifyFinished("Workflow finished", `${(e.data as RunTable).run.workflow}: ${state === "done" ? "every item is done" : state}.`);
            } else if (e.event === "error") setError(jobError(e.data, "Stopped."));
          },
          signal,
        ),
      setError,
    );
    void reloadRuns();
  }

  /** Asks the server to stop: the run ends with the rows finished so far. */
  const stop = job.cancel;

  async function open(id: string) {
    try {
      setTable(await api.workflowRun(id));
      setLive(null);
    } catch (e) {
      setError(e);
    }
  }

  async function remove(run: WorkflowRun) {
    if (!confirm(`Delete the run of “${run.workflow}” on ${run.input}?`)) return;
    try {
      await api.deleteWorkflowRun(run.id);
      if (table?.run.id === run.id) setTable(null);
      await reloadRuns();
    } catch (e) {
      setError(e);
    }
  }

  async function exportAs(run: WorkflowRun, format: "csv" | "jsonl") {
    try {
      const body = await api.exportWorkflowRun(run.id, format);
      await saveText(exportName(run.workflow, run.id, format), body, format === "csv" ? "text/csv" : "application/jsonl");
    } catch (e) {
      setError(e);
    }
  }

  const progress = live ? runProgress(live) : null;
  const shown = live ? liveTable(live) : table;
  return (
    <div class="run-panel">
      <form class="job" onSubmit={run} aria-label="Run a workflow">
        <label>
          Workflow{" "}
          <select
            aria-label="Workflow to run"
            value={selected}
            onChange={(e) => {
              const value = (e.target as HTMLSelectElement).value;
              onChoose(value === DRAFT && draft ? { draft } : { name: value });
            }}
          >
            {draft && <option value={DRAFT}>{draft.name} (unsaved draft)</option>}
            {workflows.map((w) => (
              <option key={w.name} value={w.name}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
        <label for="workflow-text">Paste text</label>
        <textarea id="workflow-text" rows={5} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        <label>
          <input type="checkbox" checked={perLine} onChange={(e) => setPerLine((e.target as HTMLInputElement).checked)} /> Each line is an item of its own
        </label>
        <div
          class="drop"
          onDragOver={(e) => e.preventDefault()}
          onDrop={(e) => {
            e.preventDefault();
            setFiles((list) => [...list, ...Array.from(e.dataTransfer?.files ?? [])]);
          }}
        >
          <p>Drop files here, or</p>
          <ChooseFiles onPick={(picked) => setFiles((list) => [...list, ...picked])} />
          {files.length > 0 && (
            <ul class="attachments" aria-label="Files to run on">
              {files.map((f, i) => (
                <li key={i} class="chip">
                  {f.name}{" "}
                  <button type="button" class="ghost" aria-label={`Remove ${f.name}`} onClick={() => setFiles((list) => list.filter((_, j) => j !== i))}>
                    ×
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        {native ? (
          <div class="options">
            <span>Or a folder (every document in it is an item):</span>
            <button
              type="button"
              onClick={async () => {
                const folder = await native!.pickFolder().catch(setError);
                if (folder) setFiles((list) => [...list, folder]);
              }}
            >
              Choose a folder…
            </button>
          </div>
        ) : (
          <>
            <label for="workflow-paths">Or files and folders on the computer Hearth runs on, one path a line (every document in a folder is an item; the server reads paths only when started with --allow-paths)</label>
            <div class="options">
              <textarea id="workflow-paths" rows={2} class="code" placeholder="/home/me/notes" value={paths} onInput={(e) => setPaths((e.target as HTMLTextAreaElement).value)} />
            </div>
          </>
        )}
        <div class="options">
          {running ? (
            <button type="button" class="danger" onClick={stop}>
              Stop
            </button>
          ) : (
            <button type="submit" class="primary" disabled={!selected}>
              Run
            </button>
          )}
        </div>
      </form>
      {running && (
        <div class="progress" role="status">
          <progress value={progress?.done ?? 0} max={progress?.total || 1} aria-label="Workflow progress" />{" "}
          {live?.reading
            ? `item ${live.reading.item + 1} of ${live.items.length} (${live.items[live.reading.item]}): reading scanned page ${live.reading.done} of ${live.reading.total} (OCR)`
            : live?.current
              ? `${progress!.done} of ${progress!.total} steps · item ${live.current.item + 1} of ${live.items.length} (${live.items[live.current.item]}): ${live.steps[live.current.step]}`
              : "Starting…"}
        </div>
      )}
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {shown && (
        <section class="result" aria-label="Results">
          <header>
            <h2>{table && !live ? table.run.workflow : "Results"}</h2>
            {table && !live && (
              <>
                <span class="meta">
                  {table.run.input} · {new Date(table.run.started_at).toLocaleString()} · {stateLabel(table.run)}
                </span>
                <button type="button" onClick={() => exportAs(table.run, "csv")}>
                  Export CSV
                </button>
                <button type="button" onClick={() => exportAs(table.run, "jsonl")}>
                  Export JSON Lines
                </button>
              </>
            )}
          </header>
          <ResultsTable columns={shown.columns} rows={shown.rows} running={live?.current ? { row: live.current.item, column: live.steps[live.current.step] } : null} />
          {table && !live && <Warnings run={table.run} />}
        </section>
      )}
      <PastRuns runs={runs} current={table?.run.id} onOpen={open} onDelete={remove} />
    </div>
  );
}

/** Several documents: the native dialog in the desktop app (paths), else a file input. */
function ChooseFiles({ onPick }: { onPick: (files: PickedDocument[]) => void }) {
  if (native) {
    return (
      <button type="button" aria-label="Documents to run on" onClick={async () => onPick(await native!.pickDocuments(true))}>
        Choose files
      </button>
    );
  }
  return (
    <label class="button">
      Choose files
      <input
        type="file"
        multiple
        accept={DOCUMENT_ACCEPT}
        class="visually-hidden"
        aria-label="Documents to run on"
        onChange={(e) => {
          const input = e.target as HTMLInputElement;
          onPick(Array.from(input.files ?? []));
          input.value = "";
        }}
      />
    </label>
  );
}

function stateLabel(run: WorkflowRun): string {
  const items = `${run.results.length} item${run.results.length === 1 ? "" : "s"}`;
  switch (run.state) {
    case "done":
      return `${items} done`;
    case "stopped":
      return `stopped after ${items}`;
    case "running":
      return `running, ${items} so far`;
    case "failed":
      return `failed${run.error ? `: ${run.error}` : ""}`;
    case "interrupted":
      return `cut off when Hearth stopped, after ${items}`;
  }
}

/** What the models did not see, or what was odd, item by item. */
function Warnings({ run }: { run: WorkflowRun }) {
  const warnings = run.results.flatMap((r) => r.outputs.flatMap((o) => (o.warnings ?? []).map((w) => `${r.item} › ${o.step}: ${w}`)));
  return (
    <>
      {warnings.map((w, i) => (
        <p class="warning" key={i}>
          {w}
        </p>
      ))}
    </>
  );
}

function PastRuns({ runs, current, onOpen, onDelete }: { runs: WorkflowRun[] | null; current?: string; onOpen: (id: string) => void; onDelete: (run: WorkflowRun) => void }) {
  if (!runs) return null;
  return (
    <section class="past-runs" aria-label="Past runs">
      <h2>Past runs</h2>
      {runs.length === 0 ? (
        <p class="empty">No runs yet.</p>
      ) : (
        <table class="audit-log">
          <thead>
            <tr>
              <th>When</th>
              <th>Workflow</th>
              <th>On</th>
              <th>Outcome</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {runs.map((run) => (
              <tr key={run.id} aria-current={run.id === current ? "true" : undefined}>
                <td>{new Date(run.started_at).toLocaleString()}</td>
                <td>{run.workflow}</td>
                <td>{run.input}</td>
                <td>{stateLabel(run)}</td>
                <td>
                  <button type="button" class="ghost" onClick={() => onOpen(run.id)}>
                    Open
                  </button>
                  <button type="button" class="ghost danger" aria-label={`Delete the run of ${run.workflow}`} onClick={() => onDelete(run)}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
