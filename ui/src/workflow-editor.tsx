// The workflow editor: name, description and steps (add, remove, move), each step's task
// with its own fields, model, temperature and maximum tokens. Before a workflow is saved,
// run or downloaded the server checks it by its own rules (`POST /api/workflow-check`)
// and every problem is listed by step; the editor keeps no copy of those rules.

import { SummaryStyleOptions } from "./summary-styles";
import { useState } from "preact/hooks";
import type { ModelEntry, PromptView, Provider, TaskKind, Workflow, WorkflowView } from "./api";
import { ErrorNote, useApi } from "./shell";
import { ModelOptions } from "./model-options";
import { serverProblems, useWorkflowLimits } from "./workflow-limits";
import {
  STEP_VARIABLES,
  TASKS,
  moveStep,
  newStep,
  parseVariables,
  templateVariables,
  workflowFromDraft,
  type StepDraft,
  type WorkflowDraft,
} from "./workflow-draft";

interface Props {
  draft: WorkflowDraft;
  /** The saved workflow the draft was opened from; null for a new one. */
  from: string | null;
  /** Names already in use. */
  taken: string[];
  models: ModelEntry[];
  providers: Provider[];
  prompts: PromptView[];
  onChange: (draft: WorkflowDraft) => void;
  onCancel: () => void;
  onSaved: (saved: WorkflowView) => void;
  onRun: (workflow: Workflow) => void;
  onDownload: (workflow: Workflow) => void;
}

export function WorkflowEditor({ draft, from, taken, models, providers, prompts, onChange, onCancel, onSaved, onRun, onDownload }: Props) {
  const api = useApi();
  const [problems, setProblems] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const limits = useWorkflowLimits();

  const setSteps = (steps: StepDraft[]) => onChange({ ...draft, steps });
  const setStep = (index: number, step: StepDraft) => setSteps(draft.steps.map((s, i) => (i === index ? step : s)));

  /** The workflow, when the fields make one and the server finds nothing wrong with it;
   * otherwise the problems (or why the server could not be asked) are shown. */
  async function checked(): Promise<Workflow | null> {
    setError(null);
    const result = workflowFromDraft(draft);
    if (!result.workflow) {
      setProblems(result.errors);
      return null;
    }
    try {
      const problems = await serverProblems(api, result.workflow);
      setProblems(problems);
      return problems.length ? null : result.workflow;
    } catch (e) {
      setProblems([]);
      setError(e);
      return null;
    }
  }

  async function withWorkflow(use: (workflow: Workflow) => void) {
    const workflow = await checked();
    if (workflow) use(workflow);
  }

  async function save(event: Event) {
    event.preventDefault();
    const workflow = await checked();
    if (!workflow) return;
    try {
      onSaved(await api.saveWorkflow(workflow));
    } catch (e) {
      setError(e);
    }
  }

  const name = draft.name.trim();
  const replaces = name && name !== from && taken.some((t) => t.toLowerCase() === name.toLowerCase());
  return (
    <form class="workflow-editor job" aria-label="Workflow editor" onSubmit={save}>
      <h2>{from ? `Edit ${from}` : "New workflow"}</h2>
      <label>
        Name <input value={draft.name} required aria-label="Workflow name" onInput={(e) => onChange({ ...draft, name: (e.target as HTMLInputElement).value })} />
      </label>
      {replaces && <p class="warning">Saving replaces the saved workflow “{name}” (a built-in one cannot be replaced).</p>}
      <label>
        Description{" "}
        <input value={draft.description} aria-label="Workflow description" onInput={(e) => onChange({ ...draft, description: (e.target as HTMLInputElement).value })} />
      </label>
      <ol class="step-list">
        {draft.steps.map((step, i) => (
          <li key={step.key}>
            <StepEditor
              step={step}
              index={i}
              last={i === draft.steps.length - 1}
              models={models}
              providers={providers}
              prompts={prompts}
              onChange={(s) => setStep(i, s)}
              onMove={(by) => setSteps(moveStep(draft.steps, i, by))}
              onRemove={() => setSteps(draft.steps.filter((_, j) => j !== i))}
            />
          </li>
        ))}
      </ol>
      <div class="options">
        <button type="button" disabled={limits != null && draft.steps.length >= limits.max_steps} onClick={() => setSteps([...draft.steps, newStep(draft.steps.length ? "prompt" : "summarize")])}>
          Add a step
        </button>
      </div>
      {problems.length > 0 && (
        <ul class="error problems" role="alert" aria-label="What to fix">
          {problems.map((p, i) => (
            <li key={i}>{p}</li>
          ))}
        </ul>
      )}
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      <div class="options">
        <button type="submit" class="primary">
          Save
        </button>
        <button type="button" onClick={() => withWorkflow(onRun)}>
          Run without saving…
        </button>
        <button type="button" onClick={() => withWorkflow(onDownload)}>
          Download TOML
        </button>
        <button type="button" class="ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

interface StepProps {
  step: StepDraft;
  index: number;
  last: boolean;
  models: ModelEntry[];
  providers: Provider[];
  prompts: PromptView[];
  onChange: (step: StepDraft) => void;
  onMove: (by: number) => void;
  onRemove: () => void;
}

/** One step's fields; only the chosen task's are shown. */
function StepEditor({ step, index, last, models, providers, prompts, onChange, onMove, onRemove }: StepProps) {
  const n = index + 1;
  const isRemote = (model: string) => providers.some((p) => model === p.name || model.startsWith(`${p.name}:`));
  // Adapters apply to models on this computer; shown for a remote one only to clear one set.
  const adapterShown = !isRemote(step.model) || step.adapterPath.trim() !== "";
  const field = (key: keyof StepDraft) => ({
    value: step[key] as string,
    onInput: (e: Event) => onChange({ ...step, [key]: (e.target as HTMLInputElement).value }),
  });
  return (
    <fieldset class="step" aria-label={`Step ${n}`}>
      <legend>Step {n}</legend>
      <div class="options">
        <label>
          Task{" "}
          <select aria-label={`Step ${n} task`} value={step.task} onChange={(e) => onChange({ ...step, task: (e.target as HTMLSelectElement).value as TaskKind })}>
            {TASKS.map((t) => (
              <option key={t.kind} value={t.kind}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Column <input aria-label={`Step ${n} column name`} placeholder={step.task} size={14} {...field("name")} />
        </label>
        <span class="step-moves">
          <button type="button" class="ghost" aria-label={`Move step ${n} up`} disabled={index === 0} onClick={() => onMove(-1)}>
            ↑
          </button>
          <button type="button" class="ghost" aria-label={`Move step ${n} down`} disabled={last} onClick={() => onMove(1)}>
            ↓
          </button>
          <button type="button" class="ghost danger" aria-label={`Remove step ${n}`} onClick={onRemove}>
            Remove
          </button>
        </span>
      </div>
      <TaskFields step={step} n={n} prompts={prompts} field={field} onChange={onChange} />
      <div class="options">
        <label>
          Model{" "}
          <select
            aria-label={`Step ${n} model`}
            value={step.model}
            onChange={(e) => {
              const model = (e.target as HTMLSelectElement).value;
              onChange(isRemote(model) ? { ...step, model, adapterPath: "", adapterScale: "" } : { ...step, model });
            }}
          >
            <ModelOptions models={models} providers={providers} value={step.model} />
          </select>
        </label>
        <label>
          Temperature <input type="number" min={0} max={2} step={0.1} size={5} placeholder="default" aria-label={`Step ${n} temperature`} {...field("temperature")} />
        </label>
        <label>
          Max tokens <input type="number" min={1} size={6} placeholder="default" aria-label={`Step ${n} max tokens`} {...field("maxTokens")} />
        </label>
      </div>
      {adapterShown && (
        <div class="options">
          <label title="A LoRA adapter (.gguf) made for the step's model, on this computer">
            LoRA adapter <input size={28} placeholder="none (/path/to/adapter.gguf)" aria-label={`Step ${n} adapter file`} {...field("adapterPath")} />
          </label>
          <label>
            Scale <input type="number" step="any" size={5} placeholder="1" aria-label={`Step ${n} adapter scale`} {...field("adapterScale")} />
          </label>
        </div>
      )}
    </fieldset>
  );
}

type Field = (key: keyof StepDraft) => { value: string; onInput: (e: Event) => void };

function TaskFields({ step, n, prompts, field, onChange }: { step: StepDraft; n: number; prompts: PromptView[]; field: Field; onChange: (step: StepDraft) => void }) {
  switch (step.task) {
    case "summarize":
      return (
        <div class="options">
          <label>
            Style{" "}
            <select value={step.style} onChange={(e) => onChange({ ...step, style: (e.target as HTMLSelectElement).value as StepDraft["style"] })}>
              <SummaryStyleOptions />
            </select>
          </label>
          <label>
            Length{" "}
            <select value={step.length} onChange={(e) => onChange({ ...step, length: (e.target as HTMLSelectElement).value as StepDraft["length"] })}>
              <option value="short">Short</option>
              <option value="medium">Medium</option>
              <option value="long">Long</option>
              <option value="words">About … words</option>
            </select>
          </label>
          {step.length === "words" && (
            <label>
              Words <input type="number" min={10} size={6} {...field("words")} />
            </label>
          )}
          <label>
            Language <input size={14} placeholder="the text's own" {...field("language")} />
          </label>
        </div>
      );
    case "translate":
      return (
        <div class="options">
          <label>
            Into <input size={14} aria-label={`Step ${n} target language`} {...field("to")} />
          </label>
          <label>
            From <input size={14} placeholder="detected" {...field("from")} />
          </label>
        </div>
      );
    case "classify":
      return (
        <>
          <label>
            Labels (comma-separated) <input aria-label={`Step ${n} labels`} {...field("labels")} />
          </label>
          <label>
            What the labels mean <input placeholder="The sentiment of the text's author." {...field("instructions")} />
          </label>
        </>
      );
    case "extract":
    case "generate":
      return (
        <>
          <SchemaField step={step} n={n} field={field} />
          {step.task === "generate" && (
            <div class="options">
              <label>
                Records <input type="number" min={1} size={6} {...field("count")} />
              </label>
              <label>
                Seed <input type="number" min={0} size={10} placeholder="random" {...field("seed")} />
              </label>
            </div>
          )}
          <label>
            Instructions <input placeholder={step.task === "extract" ? "Dates as YYYY-MM-DD." : "Questions a new employee would ask."} {...field("instructions")} />
          </label>
        </>
      );
    case "prompt":
      return <PromptFields step={step} n={n} prompts={prompts} field={field} onChange={onChange} />;
  }
}

/** A JSON Schema typed as JSON, checked as the user types. */
function SchemaField({ step, n, field }: { step: StepDraft; n: number; field: Field }) {
  let problem = "";
  try {
    const value = JSON.parse(step.schema);
    if (value?.type !== "object") problem = 'The schema must describe an object ("type": "object").';
  } catch (e) {
    problem = `Not valid JSON: ${(e as Error).message}`;
  }
  return (
    <label>
      JSON Schema of {step.task === "extract" ? "the fields" : "one record"}
      <textarea rows={7} class="code" spellcheck={false} aria-label={`Step ${n} schema`} aria-invalid={problem ? "true" : undefined} {...field("schema")} />
      {problem && <span class="warning">{problem}</span>}
    </label>
  );
}

function PromptFields({ step, n, prompts, field, onChange }: { step: StepDraft; n: number; prompts: PromptView[]; field: Field; onChange: (step: StepDraft) => void }) {
  const library = prompts.find((p) => p.name === step.prompt);
  const used = step.promptFrom === "library" ? (library?.variables ?? []) : templateVariables(step.template, step.system);
  const given = Object.keys(parseVariables(step.variables).values);
  const missing = used.filter((v) => !STEP_VARIABLES.includes(v) && !given.includes(v));
  return (
    <>
      <div class="options" role="radiogroup" aria-label={`Step ${n} prompt source`}>
        <label>
          <input type="radio" checked={step.promptFrom === "template"} onChange={() => onChange({ ...step, promptFrom: "template" })} /> Write the prompt
        </label>
        <label>
          <input type="radio" checked={step.promptFrom === "library"} onChange={() => onChange({ ...step, promptFrom: "library" })} /> From the prompt library
        </label>
      </div>
      {step.promptFrom === "template" ? (
        <label>
          Prompt ({"{{input}}"} is the previous step's output, {"{{source}}"} the original text, {"{{item}}"} its name)
          <textarea rows={4} aria-label={`Step ${n} prompt`} {...field("template")} />
        </label>
      ) : (
        <label>
          Prompt{" "}
          <select value={step.prompt} onChange={(e) => onChange({ ...step, prompt: (e.target as HTMLSelectElement).value })}>
            <option value="">Choose…</option>
            {prompts.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
            {step.prompt && !library && <option value={step.prompt}>{step.prompt}</option>}
          </select>
        </label>
      )}
      <label>
        Variables (one “name = value” a line)
        <textarea rows={2} placeholder="tone = friendly" {...field("variables")} />
      </label>
      {missing.length > 0 && <p class="meta">Give these a value: {missing.join(", ")}.</p>}
      {step.promptFrom === "template" && (
        <label>
          System prompt <input placeholder="You are a helpful assistant." {...field("system")} />
        </label>
      )}
    </>
  );
}
