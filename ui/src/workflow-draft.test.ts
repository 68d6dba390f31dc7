import { describe, expect, it } from "vitest";
import type { Workflow } from "./api";
import {
  EXAMPLE_SCHEMA,
  describeStep,
  draftFromWorkflow,
  moveStep,
  newDraft,
  newStep,
  parseVariables,
  templateVariables,
  workflowFromDraft,
  type WorkflowDraft,
} from "./workflow-draft";

const builtin: Workflow = {
  name: "summarize-then-sentiment",
  description: "A short summary of each text, then its sentiment",
  steps: [
    { name: "summary", task: "summarize", style: "paragraph", length: "short" },
    { name: "sentiment", task: "classify", labels: ["positive", "negative", "neutral"], instructions: "The sentiment of the text's author." },
  ],
};

const everyTask: Workflow = {
  name: "triage",
  steps: [
    { task: "summarize", style: "bullets", length: { words: 120 }, language: "German", model: "work:gpt-4o-mini", temperature: 0.2, max_tokens: 300 },
    { task: "translate", to: "French", from: "English" },
    { name: "mood", task: "classify", labels: ["happy", "angry"] },
    { task: "extract", schema: { type: "object", properties: { order: { type: "string" } }, required: ["order"] }, instructions: "Order numbers only." },
    { task: "prompt", template: "Reply to {{item}}: {{input}} in a {{tone}} tone", variables: { tone: "warm" }, system: "Be brief." },
    { name: "mail", task: "prompt", prompt: "email", variables: { tone: "formal", recipient: "Sam", points: "the order" } },
    { task: "generate", schema: { type: "object", properties: { q: { type: "string" } } }, count: 3, seed: 7 },
  ],
};

const withAdapters: Workflow = {
  name: "styled",
  steps: [
    { task: "summarize", style: "paragraph", length: "short", model: "smollm2", adapter: { path: "/home/me/adapters/terse.gguf", scale: 0.5 } },
    { name: "reply", task: "prompt", template: "{{input}}", adapter: { path: "/home/me/adapters/warm.gguf" } },
    { name: "formal", task: "prompt", template: "{{input}}", adapter: { path: "/a/b.gguf", scale: -1.5 } },
  ],
};

describe("workflowFromDraft", () => {
  it("round-trips a workflow through the editor's fields unchanged", () => {
    for (const workflow of [builtin, everyTask, withAdapters]) {
      expect(workflowFromDraft(draftFromWorkflow(workflow))).toEqual({ workflow, errors: [] });
    }
  });

  it("leaves out what was left empty, as the server writes it", () => {
    const draft = newDraft();
    draft.name = "  plain  ";
    const result = workflowFromDraft(draft);
    expect(result.workflow).toEqual({ name: "plain", steps: [{ task: "summarize", style: "paragraph", length: "short" }] });
  });

  it("names every field that is not a value with its step, and leaves the rules to the server", () => {
    const step = (changes: Partial<ReturnType<typeof newStep>>) => ({ ...newStep(changes.task), ...changes });
    const draft: WorkflowDraft = {
      name: "",
      description: "",
      steps: [
        step({ task: "classify", labels: "yes, Yes" }),
        step({ task: "extract", schema: "{ not json" }),
        step({ task: "generate", name: "rows", schema: '{"type": "array"}', count: "many" }),
        step({ task: "summarize", temperature: "warm", maxTokens: "1.5", length: "words", words: "5" }),
        step({ task: "prompt", template: " ", variables: "oops" }),
        step({ task: "translate", name: "classify", to: "" }),
      ],
    };
    const { errors } = workflowFromDraft(draft);
    expect(errors).toEqual([
      expect.stringMatching(/^Step 2 \(extract\): the schema is not valid JSON/),
      'Step 3 (rows): the schema must describe an object ("type": "object").',
      "Step 3 (rows): the count is a whole number.",
      "Step 4 (summarize): the temperature is a number (0 to 2).",
      "Step 4 (summarize): max tokens is a whole number.",
      "Step 4 (summarize): the length in words is a whole number of at least 10.",
      "Step 5 (prompt): variables line 1: write it as “name = value”.",
      "Step 6 (classify): name the language to translate into.",
    ]);
  });

  it("passes what only the server's rules forbid on to the server's check", () => {
    const step = (changes: Partial<ReturnType<typeof newStep>>) => ({ ...newStep(changes.task), ...changes });
    const draft: WorkflowDraft = {
      name: "",
      description: "",
      steps: [step({ task: "classify", labels: "yes, Yes", temperature: "3" }), step({ task: "generate", schema: EXAMPLE_SCHEMA, count: "0" })],
    };
    const result = workflowFromDraft(draft);
    expect(result.errors).toEqual([]);
    expect(result.workflow?.steps).toEqual([
      { task: "classify", labels: ["yes", "Yes"], temperature: 3 },
      { task: "generate", schema: JSON.parse(EXAMPLE_SCHEMA), count: 0 },
    ]);
  });

  it("keeps a step's adapter, with its scale only when one was given, and checks the scale", () => {
    const draft = draftFromWorkflow(withAdapters);
    expect(draft.steps.map((s) => [s.adapterPath, s.adapterScale])).toEqual([
      ["/home/me/adapters/terse.gguf", "0.5"],
      ["/home/me/adapters/warm.gguf", ""],
      ["/a/b.gguf", "-1.5"],
    ]);
    draft.steps[0].adapterPath = "  ";
    draft.steps[0].adapterScale = "";
    draft.steps[1].adapterPath = " /x/y.gguf ";
    draft.steps[1].adapterScale = "0.25";
    expect(workflowFromDraft(draft).workflow?.steps.slice(0, 2)).toEqual([
      { task: "summarize", style: "paragraph", length: "short", model: "smollm2" },
      { name: "reply", task: "prompt", template: "{{input}}", adapter: { path: "/x/y.gguf", scale: 0.25 } },
    ]);
    draft.steps[0].adapterScale = "0.5";
    draft.steps[2].adapterScale = "9";
    expect(workflowFromDraft(draft).errors).toEqual([
      "Step 1 (summarize): the adapter scale needs an adapter file; give its path or clear the scale.",
      "Step 3 (formal): the adapter scale is a number from -4 to 4.",
    ]);
  });

  it("asks for a library prompt when the step uses the library", () => {
    const draft = newDraft();
    draft.name = "x";
    draft.steps = [{ ...newStep("prompt"), promptFrom: "library", prompt: "" }];
    expect(workflowFromDraft(draft).errors).toEqual(["Step 1 (prompt): choose a prompt from the library."]);
  });
});

describe("moveStep", () => {
  it("moves within the list and ignores moves past either end", () => {
    expect(moveStep(["a", "b", "c"], 0, 1)).toEqual(["b", "a", "c"]);
    expect(moveStep(["a", "b", "c"], 2, -2)).toEqual(["c", "a", "b"]);
    const list = ["a", "b"];
    expect(moveStep(list, 0, -1)).toBe(list);
    expect(moveStep(list, 1, 1)).toBe(list);
  });
});

describe("variables", () => {
  it("reads name = value lines, keeping = inside values", () => {
    expect(parseVariables("tone = warm\n\nformula = a=b\n")).toEqual({ values: { tone: "warm", formula: "a=b" }, errors: [] });
    expect(parseVariables("no equals").errors).toEqual(["variables line 1: write it as “name = value”."]);
  });

  it("finds a template's variables in order of first use, as the server does", () => {
    expect(templateVariables("Write a {{tone}} email to {{ recipient }} about {{tone}}: {{not a name}} {{points}}", "{{system_var}}")).toEqual([
      "tone",
      "recipient",
      "points",
      "system_var",
    ]);
  });
});

describe("describeStep", () => {
  it("says what each step does in a line", () => {
    expect(everyTask.steps.map(describeStep)).toEqual([
      "Summarize (bullets, about 120 words, in German) with work:gpt-4o-mini",
      "Translate from English into French",
      "Classify as happy, angry",
      "Extract order",
      "Prompt",
      "Prompt “email” from the library",
      "Generate 3 records",
    ]);
    expect(withAdapters.steps.map(describeStep)).toEqual([
      "Summarize (paragraph, short) with smollm2 and adapter terse.gguf @ 0.5",
      "Prompt with adapter warm.gguf @ 1",
      "Prompt with adapter b.gguf @ -1.5",
    ]);
  });
});
