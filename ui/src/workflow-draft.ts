// The workflow editor's state: every field as the user typed it, turned into the
// workflow the API takes, and a saved workflow turned back into fields. Pure, so it is
// tested without a page. Only what a form alone can get wrong is named here (a number
// that is not one, JSON that does not parse); the workflow's rules (limits, distinct
// names and labels, ranges) are the server's, asked through `POST /api/workflow-check`.

import type { JsonSchema, SummaryLength, SummaryStyle, TaskKind, Workflow, WorkflowStep } from "./api";
import { MAX_ADAPTER_SCALE, adapterLabel, parseAdapterScale } from "./adapter";

export const TASKS: { kind: TaskKind; label: string }[] = [
  { kind: "summarize", label: "Summarize" },
  { kind: "translate", label: "Translate" },
  { kind: "classify", label: "Classify" },
  { kind: "extract", label: "Extract fields (JSON)" },
  { kind: "prompt", label: "Prompt" },
  { kind: "generate", label: "Generate records (JSON)" },
];

/** Variables every prompt step has: the previous output, the item's text and its name. */
export const STEP_VARIABLES = ["input", "source", "item"];

export const EXAMPLE_SCHEMA = `{
  "type": "object",
  "properties": {
    "name": { "type": "string" },
    "city": { "type": "string" },
    "age": { "type": "integer", "minimum": 18, "maximum": 90 }
  },
  "required": ["name", "city", "age"]
}`;

/** One step as the editor holds it: text fields, whatever the task. */
export interface StepDraft {
  /** A key for the list, stable while steps move. */
  key: number;
  name: string;
  task: TaskKind;
  model: string;
  /** A LoRA adapter file for a local model ("" for none), and its scale ("" = 1). */
  adapterPath: string;
  adapterScale: string;
  temperature: string;
  maxTokens: string;
  // summarize
  style: SummaryStyle;
  length: "short" | "medium" | "long" | "words";
  words: string;
  language: string;
  // translate
  to: string;
  from: string;
  // classify (comma or line separated), extract, generate
  labels: string;
  instructions: string;
  schema: string;
  count: string;
  seed: string;
  // prompt: a template written here, or a library prompt by name
  promptFrom: "template" | "library";
  template: string;
  prompt: string;
  /** `name = value` lines. */
  variables: string;
  system: string;
}

export interface WorkflowDraft {
  name: string;
  description: string;
  steps: StepDraft[];
}

let nextKey = 1;

export function newStep(task: TaskKind = "summarize"): StepDraft {
  return {
    key: nextKey++,
    name: "",
    task,
    model: "",
    adapterPath: "",
    adapterScale: "",
    temperature: "",
    maxTokens: "",
    style: "paragraph",
    length: "short",
    words: "100",
    language: "",
    to: "English",
    from: "",
    labels: "positive, negative, neutral",
    instructions: "",
    schema: EXAMPLE_SCHEMA,
    count: "5",
    seed: "",
    promptFrom: "template",
    template: "{{input}}",
    prompt: "",
    variables: "",
    system: "",
  };
}

export function newDraft(): WorkflowDraft {
  return { name: "", description: "", steps: [newStep()] };
}

/** Moves the step at `index` by `by` places; out of range leaves the list as it is. */
export function moveStep<T>(steps: T[], index: number, by: number): T[] {
  const to = index + by;
  if (index < 0 || index >= steps.length || to < 0 || to >= steps.length) return steps;
  const moved = [...steps];
  const [step] = moved.splice(index, 1);
  moved.splice(to, 0, step);
  return moved;
}

/** The step's column name: its own, else the task's (as the server names it). */
export function stepTitle(step: { name?: string; task: TaskKind }): string {
  return step.name?.trim() || step.task;
}

/** The editor's fields for a workflow (from the list, a file, or a past run). */
export function draftFromWorkflow(workflow: Workflow): WorkflowDraft {
  return {
    name: workflow.name,
    description: workflow.description ?? "",
    steps: workflow.steps.map(draftFromStep),
  };
}

function draftFromStep(step: WorkflowStep): StepDraft {
  const draft: StepDraft = {
    ...newStep(step.task),
    name: step.name ?? "",
    model: step.model ?? "",
    adapterPath: step.adapter?.path ?? "",
    adapterScale: step.adapter?.scale != null ? String(step.adapter.scale) : "",
    temperature: step.temperature != null ? String(step.temperature) : "",
    maxTokens: step.max_tokens != null ? String(step.max_tokens) : "",
  };
  switch (step.task) {
    case "summarize": {
      const length = step.length ?? "medium";
      return {
        ...draft,
        style: step.style ?? "paragraph",
        length: typeof length === "object" ? "words" : length,
        words: typeof length === "object" ? String(length.words) : draft.words,
        language: step.language ?? "",
      };
    }
    case "translate":
      return { ...draft, to: step.to, from: step.from ?? "" };
    case "classify":
      return { ...draft, labels: step.labels.join(", "), instructions: step.instructions ?? "" };
    case "extract":
      return { ...draft, schema: JSON.stringify(step.schema, null, 2), instructions: step.instructions ?? "" };
    case "generate":
      return {
        ...draft,
        schema: JSON.stringify(step.schema, null, 2),
        count: String(step.count),
        instructions: step.instructions ?? "",
        seed: step.seed != null ? String(step.seed) : "",
      };
    case "prompt":
      return {
        ...draft,
        promptFrom: step.prompt ? "library" : "template",
        template: step.template ?? "",
        prompt: step.prompt ?? "",
        variables: Object.entries(step.variables ?? {})
          .map(([name, value]) => `${name} = ${value}`)
          .join("\n"),
        system: step.system ?? "",
      };
  }
}

/** The workflow the fields describe, or what in them is not a value at all, each naming
 * its step. The workflow still goes to the server's check before it is used. */
export function workflowFromDraft(draft: WorkflowDraft): { workflow: Workflow; errors: [] } | { workflow?: undefined; errors: string[] } {
  const errors: string[] = [];
  const name = draft.name.trim();
  const steps: WorkflowStep[] = [];
  draft.steps.forEach((fields, index) => {
    const at = `Step ${index + 1} (${stepTitle(fields)})`;
    const problems: string[] = [];
    const step = stepFromDraft(fields, problems);
    problems.forEach((p) => errors.push(`${at}: ${p}`));
    if (step) steps.push(step);
  });
  if (errors.length) return { errors };
  const workflow: Workflow = { name, steps };
  if (draft.description.trim()) workflow.description = draft.description.trim();
  return { workflow, errors: [] };
}

function stepFromDraft(fields: StepDraft, problems: string[]): WorkflowStep | null {
  const text = (value: string) => value.trim() || undefined;
  const settings: Pick<WorkflowStep, "name" | "model" | "adapter" | "temperature" | "max_tokens"> = {};
  if (text(fields.name)) settings.name = fields.name.trim();
  if (text(fields.model)) settings.model = fields.model.trim();
  if (text(fields.adapterPath)) {
    settings.adapter = { path: fields.adapterPath.trim() };
    if (text(fields.adapterScale)) {
      const parsed = parseAdapterScale(fields.adapterScale, -MAX_ADAPTER_SCALE, MAX_ADAPTER_SCALE);
      if (parsed.error !== undefined) problems.push(parsed.error);
      else settings.adapter.scale = parsed.scale;
    }
  } else if (text(fields.adapterScale)) problems.push("the adapter scale needs an adapter file; give its path or clear the scale.");
  if (text(fields.temperature)) {
    const t = Number(fields.temperature);
    if (!Number.isFinite(t)) problems.push("the temperature is a number (0 to 2).");
    else settings.temperature = t;
  }
  if (text(fields.maxTokens)) {
    const n = wholeNumber(fields.maxTokens);
    if (n == null) problems.push("max tokens is a whole number.");
    else settings.max_tokens = n;
  }
  const instructions = text(fields.instructions);
  // Fields left empty are left out, as the server writes them.
  const omitEmpty = (step: WorkflowStep): WorkflowStep =>
    Object.fromEntries(Object.entries(step).filter(([, v]) => v !== undefined)) as WorkflowStep;

  switch (fields.task) {
    case "summarize": {
      let length: SummaryLength = fields.length === "words" ? "medium" : fields.length;
      if (fields.length === "words") {
        const words = wholeNumber(fields.words);
        if (words == null || words < 10) problems.push("the length in words is a whole number of at least 10.");
        else length = { words };
      }
      return omitEmpty({ task: "summarize", style: fields.style, length, language: text(fields.language), ...settings });
    }
    case "translate":
      if (!text(fields.to)) problems.push("name the language to translate into.");
      return omitEmpty({ task: "translate", to: fields.to.trim(), from: text(fields.from), ...settings });
    case "classify": {
      const labels = splitLabels(fields.labels);
      return omitEmpty({ task: "classify", labels, instructions, ...settings });
    }
    case "extract": {
      const schema = parseSchema(fields.schema, problems);
      return schema ? omitEmpty({ task: "extract", schema, instructions, ...settings }) : null;
    }
    case "generate": {
      const schema = parseSchema(fields.schema, problems);
      const count = wholeNumber(fields.count);
      if (count == null) problems.push("the count is a whole number.");
      let seed: number | undefined;
      if (text(fields.seed)) {
        const n = wholeNumber(fields.seed);
        if (n == null || n < 0 || n > 0xffffffff) problems.push("the seed is a whole number from 0 to 4294967295.");
        else seed = n;
      }
      return schema && count != null ? omitEmpty({ task: "generate", schema, count, instructions, seed, ...settings }) : null;
    }
    case "prompt": {
      const { values, errors } = parseVariables(fields.variables);
      errors.forEach((e) => problems.push(e));
      const fromLibrary = fields.promptFrom === "library";
      if (fromLibrary && !text(fields.prompt)) problems.push("choose a prompt from the library.");
      return omitEmpty({
        task: "prompt",
        template: fromLibrary ? undefined : fields.template,
        prompt: fromLibrary ? fields.prompt.trim() : undefined,
        variables: Object.keys(values).length ? values : undefined,
        system: text(fields.system),
        ...settings,
      });
    }
  }
}

function wholeNumber(value: string): number | null {
  const trimmed = value.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : null;
}

/** Labels separated by commas or lines. */
export function splitLabels(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/** A JSON Schema typed in a text area: JSON, and an object schema (`"type": "object"`). */
export function parseSchema(text: string, problems: string[]): JsonSchema | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    problems.push(`the schema is not valid JSON (${(e as Error).message}).`);
    return null;
  }
  if (!value || typeof value !== "object" || Array.isArray(value) || (value as JsonSchema).type !== "object") {
    problems.push('the schema must describe an object ("type": "object").');
    return null;
  }
  return value as JsonSchema;
}

const VARIABLE_NAME = /^[\p{L}\p{N}_-]+$/u;

/** `name = value` lines (blank lines skipped) as a map, or what is wrong with a line. */
export function parseVariables(text: string): { values: Record<string, string>; errors: string[] } {
  const values: Record<string, string> = {};
  const errors: string[] = [];
  text.split("\n").forEach((raw, i) => {
    if (!raw.trim()) return;
    const equals = raw.indexOf("=");
    const name = equals < 0 ? "" : raw.slice(0, equals).trim();
    if (!VARIABLE_NAME.test(name)) errors.push(`variables line ${i + 1}: write it as “name = value”.`);
    else values[name] = raw.slice(equals + 1).trim();
  });
  return { values, errors };
}

/** The `{{variables}}` a template uses, in order of first use (as the server finds them). */
export function templateVariables(...texts: (string | undefined)[]): string[] {
  const names: string[] = [];
  for (const text of texts) {
    for (const match of (text ?? "").matchAll(/\{\{(.*?)\}\}/g)) {
      const name = match[1].trim();
      if (VARIABLE_NAME.test(name) && !names.includes(name)) names.push(name);
    }
  }
  return names;
}

/** One line saying what a step does, for the workflow's overview. */
export function describeStep(step: WorkflowStep): string {
  const adapter = step.adapter ? `adapter ${adapterLabel(step.adapter)}` : "";
  const model = step.model ? ` with ${step.model}${adapter ? ` and ${adapter}` : ""}` : adapter ? ` with ${adapter}` : "";
  switch (step.task) {
    case "summarize": {
      const length = typeof step.length === "object" ? `about ${step.length.words} words` : (step.length ?? "medium");
      return `Summarize (${(step.style ?? "paragraph").replace("_", " ")}, ${length}${step.language ? `, in ${step.language}` : ""})${model}`;
    }
    case "translate":
      return `Translate${step.from ? ` from ${step.from}` : ""} into ${step.to}${model}`;
    case "classify":
      return `Classify as ${step.labels.join(", ")}${model}`;
    case "extract":
      return `Extract ${Object.keys((step.schema.properties as object | undefined) ?? {}).join(", ") || "fields"}${model}`;
    case "prompt":
      return `${step.prompt ? `Prompt “${step.prompt}” from the library` : "Prompt"}${model}`;
    case "generate":
      return `Generate ${step.count} records${model}`;
  }
}
