// The Workflows page: three tabs. Workflows lists the built-in and saved pipelines, shows
// one's steps, and opens the editor (new, a copy, or a .toml/.json file); Run runs one
// on texts, files or folders with a live results table and the past runs; Prompts and
// data holds the prompt library and the form that generates records to a schema. The
// tabs stay mounted, so a run keeps going while another tab is shown.

import { useEffect, useState } from "preact/hooks";
import type { ModelEntry, PromptView, Provider, Workflow, WorkflowView } from "./api";
import { ErrorNote, navigate, useApi } from "./shell";
import { saveText } from "./save";
import { describeStep, draftFromWorkflow, newDraft, stepTitle, type WorkflowDraft } from "./workflow-draft";
import { WorkflowEditor } from "./workflow-editor";
import { RunPanel, type RunChoice } from "./workflow-run";
import { PromptLibrary } from "./prompt-library";
import { GenerateData } from "./generate-data";
import type { WorkflowsTab } from "./routes";


const TABS: { tab: WorkflowsTab; label: string; hash: string }[] = [
  { tab: "workflows", label: "Workflows", hash: "#/workflows" },
  { tab: "run", label: "Run", hash: "#/workflows/run" },
  { tab: "prompts", label: "Prompts and data", hash: "#/workflows/prompts" },
];

export function WorkflowsPage({ tab }: { tab: WorkflowsTab }) {
  const api = useApi();
  const [workflows, setWorkflows] = useState<WorkflowView[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  /** The editor's fields while it is open, and the saved name it was opened from. */
  const [editing, setEditing] = useState<{ draft: WorkflowDraft; from: string | null } | null>(null);
  const [choice, setChoice] = useState<RunChoice | null>(null);
  const [models, setModels] = useState<ModelEntry[]>([]);
  const [providers, setProviders] = useState<Provider[]>([]);
  const [prompts, setPrompts] = useState<PromptView[]>([]);
  const [error, setError] = useState<unknown>(null);

  const reload = () => api.workflows().then(setWorkflows, setError);
  const reloadPrompts = () => api.prompts().then(setPrompts, setError);
  useEffect(() => {
    void reload();
    void reloadPrompts();
    api.models().then(setModels, () => {});
    api.providers().then((p) => setProviders(p.providers), () => {});
  }, []);

  const shown = workflows?.find((w) => w.name === selected) ?? null;

  function run(next: RunChoice) {
    setChoice(next);
    navigate("#/workflows/run");
  }

  async function importFile(file: File | undefined) {
    if (!file) return;
    try {
      const parsed = await api.parseWorkflow(await file.text());
      setEditing({ draft: draftFromWorkflow(parsed.workflow), from: null });
      setError(null);
    } catch (e) {
      setError(e);
    }
  }

  async function downloadToml(workflow: Workflow, saved: boolean) {
    try {
      const { toml } = saved ? await api.workflow(workflow.name) : await api.parseWorkflow(JSON.stringify(workflow));
      await saveText(`${workflow.name}.toml`, toml, "application/toml");
    } catch (e) {
      setError(e);
    }
  }

  async function remove(name: string) {
    if (!confirm(`Delete the workflow “${name}”? Its past runs stay.`)) return;
    try {
      await api.deleteWorkflow(name);
      setSelected(null);
      await reload();
    } catch (e) {
      setError(e);
    }
  }

  return (
    <section class="page workflows" aria-label="Workflows">
      <h1>Workflows</h1>
      <div class="tabs" role="tablist" aria-label="Workflows sections">
        {TABS.map((t) => (
          <button key={t.tab} type="button" role="tab" id={`tab-${t.tab}`} aria-selected={tab === t.tab} aria-controls={`panel-${t.tab}`} onClick={() => navigate(t.hash)}>
            {t.label}
          </button>
        ))}
      </div>
      <ErrorNote error={error} onDismiss={() => setError(null)} />

      <div role="tabpanel" id="panel-workflows" aria-labelledby="tab-workflows" hidden={tab !== "workflows"} class="columns">
        <aside class="workflow-list" aria-label="Workflow list">
          <div class="options">
            <button type="button" class="primary" onClick={() => setEditing({ draft: newDraft(), from: null })}>
              New workflow
            </button>
            <label class="button">
              Import file…
              <input
                type="file"
                accept=".toml,.json"
                class="visually-hidden"
                aria-label="Import a workflow file"
                onChange={(e) => {
                  const input = e.target as HTMLInputElement;
                  void importFile(input.files?.[0]).then(() => (input.value = ""));
                }}
              />
            </label>
          </div>
          {workflows && (
            <ul>
              {workflows.map((w) => (
                <li key={w.name}>
                  <button
                    type="button"
                    class={`collection ${w.name === selected && !editing ? "current" : ""}`}
                    aria-current={w.name === selected ? "true" : undefined}
                    onClick={() => {
                      setSelected(w.name);
                      setEditing(null);
                    }}
                  >
                    <strong>{w.name}</strong>
                    <span class="meta">
                      {w.builtin ? "built in · " : ""}
                      {w.steps.map((s) => stepTitle(s)).join(" → ")}
                    </span>
                  </button>
                </li>
              ))}
            </ul>
          )}
        </aside>
        <div>
          {editing ? (
            <WorkflowEditor
              draft={editing.draft}
              from={editing.from}
              taken={(workflows ?? []).map((w) => w.name)}
              models={models}
              providers={providers}
              prompts={prompts}
              onChange={(draft) => setEditing({ ...editing, draft })}
              onCancel={() => setEditing(null)}
              onSaved={async (saved) => {
                await reload();
                setSelected(saved.name);
                setEditing(null);
              }}
              onRun={(workflow) => run({ draft: workflow })}
              onDownload={(workflow) => downloadToml(workflow, false)}
            />
          ) : shown ? (
            <WorkflowDetails
              workflow={shown}
              onRun={() => run({ name: shown.name })}
              onEdit={() =>
                setEditing({
                  draft: { ...draftFromWorkflow(shown), name: shown.builtin ? `${shown.name}-copy` : shown.name },
                  from: shown.builtin ? null : shown.name,
                })
              }
              onDownload={() => downloadToml(shown, true)}
              onDelete={() => remove(shown.name)}
            />
          ) : (
            <p class="empty">
              Choose a workflow to see its steps, start a new one, or import a .toml or .json file. A workflow runs each text or file through its
              steps in order, each step reading the one before.
            </p>
          )}
        </div>
      </div>

      <div role="tabpanel" id="panel-run" aria-labelledby="tab-run" hidden={tab !== "run"}>
        <RunPanel workflows={workflows ?? []} choice={choice} onChoose={setChoice} />
      </div>

      <div role="tabpanel" id="panel-prompts" aria-labelledby="tab-prompts" hidden={tab !== "prompts"}>
        <PromptLibrary prompts={prompts} onChanged={reloadPrompts} />
        <GenerateData models={models} providers={providers} />
      </div>
    </section>
  );
}

/** A workflow's steps, read-only, with what can be done with it. */
function WorkflowDetails({
  workflow,
  onRun,
  onEdit,
  onDownload,
  onDelete,
}: {
  workflow: WorkflowView;
  onRun: () => void;
  onEdit: () => void;
  onDownload: () => void;
  onDelete: () => void;
}) {
  return (
    <article class="workflow-details" aria-label={`Workflow ${workflow.name}`}>
      <header class="options">
        <h2>{workflow.name}</h2>
        {workflow.builtin && <span class="badge">built in</span>}
      </header>
      {workflow.description && <p>{workflow.description}</p>}
      <ol class="steps">
        {workflow.steps.map((step, i) => (
          <li key={i}>
            <strong>{stepTitle(step)}</strong>: {describeStep(step)}
          </li>
        ))}
      </ol>
      <div class="options">
        <button type="button" class="primary" onClick={onRun}>
          Run…
        </button>
        <button type="button" onClick={onEdit}>
          {workflow.builtin ? "Edit a copy" : "Edit"}
        </button>
        <button type="button" onClick={onDownload}>
          Download TOML
        </button>
        {!workflow.builtin && (
          <button type="button" class="danger" onClick={onDelete}>
            Delete
          </button>
        )}
      </div>
    </article>
  );
}
