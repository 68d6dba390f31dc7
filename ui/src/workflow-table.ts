// A workflow run as a table while it runs and after: the progress events folded into
// one row per item and one column per step, how far it is, cells as text and clipped to
// a length a table can show, and the columns of generated records. Pure, and tested.

import type { StepOutput, WorkflowProgress } from "./api";

/** A run being watched: what each item has so far. */
export interface LiveRun {
  runId: string;
  items: string[];
  steps: string[];
  /** `outputs[item][step]`, filled as steps finish. */
  outputs: (StepOutput | undefined)[][];
  errors: (string | undefined)[];
  finished: boolean[];
  /** The step running now. */
  current: { item: number; step: number } | null;
  /** An item's scanned pages being read by OCR, before its first step. */
  reading?: { item: number; done: number; total: number } | null;
}

/** The run with one more progress event; events before `started` are ignored. */
export function applyProgress(live: LiveRun | null, event: WorkflowProgress): LiveRun | null {
  if (event.event === "started") {
    return {
      runId: event.run_id,
      items: event.items,
      steps: event.steps,
      outputs: event.items.map(() => []),
      errors: event.items.map(() => undefined),
      finished: event.items.map(() => false),
      current: null,
    };
  }
  if (!live || event.item < 0 || event.item >= live.items.length) return live;
  const next = { ...live };
  switch (event.event) {
    case "reading":
      next.reading = { item: event.item, done: event.done, total: event.total };
      break;
    case "step":
      next.current = { item: event.item, step: event.step };
      next.reading = null;
      break;
    case "step_done":
      next.outputs = replaceAt(live.outputs, event.item, replaceAt(live.outputs[event.item], event.step, event.output));
      break;
    case "item_done":
      next.outputs = replaceAt(live.outputs, event.item, event.result.outputs);
      next.errors = replaceAt(live.errors, event.item, event.result.error);
      next.finished = replaceAt(live.finished, event.item, true);
      if (next.current?.item === event.item) next.current = null;
      break;
  }
  return next;
}

function replaceAt<T>(list: T[], index: number, value: T): T[] {
  const copy = [...list];
  copy[index] = value;
  return copy;
}

/** Steps done of all there are (items × steps); a failed item's skipped steps count as done. */
export function runProgress(live: LiveRun): { done: number; total: number } {
  const total = live.items.length * live.steps.length;
  const done = live.items.reduce(
    (sum, _, i) => sum + (live.finished[i] ? live.steps.length : live.outputs[i].filter(Boolean).length),
    0,
  );
  return { done: Math.min(done, total), total };
}

/** The live run in the shape of a finished run's table: item, each step, error. */
export function liveTable(live: LiveRun): { columns: string[]; rows: Record<string, unknown>[] } {
  const columns = ["item", ...live.steps, "error"];
  const rows = live.items.map((item, i) => {
    const row: Record<string, unknown> = { item };
    for (const output of live.outputs[i]) if (output) row[output.step] = output.text;
    row.error = live.errors[i] ?? null;
    return row;
  });
  return { columns, rows };
}

/** A cell's value as text: strings as they are, JSON (extract, generate) as JSON. */
export function cellText(value: unknown): string {
  if (value == null) return "";
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** The first `max` characters (never half a character), cut at a word when one ends
 * near there, with an ellipsis; `clipped` says whether anything was left out. */
export function clip(text: string, max = 200): { text: string; clipped: boolean } {
  const chars = Array.from(text);
  if (chars.length <= max) return { text, clipped: false };
  let cut = chars.slice(0, max).join("");
  const space = cut.search(/\s\S*$/);
  if (space > max * 0.8) cut = cut.slice(0, space);
  return { text: `${cut.trimEnd()}…`, clipped: true };
}

/** The columns of generated records: every key, in the order first seen. */
export function recordColumns(records: Record<string, unknown>[]): string[] {
  const columns: string[] = [];
  for (const record of records) for (const key of Object.keys(record)) if (!columns.includes(key)) columns.push(key);
  return columns;
}

/** A download's file name: the workflow's name and the run's first characters, as the
 * server names it. */
export function exportName(workflow: string, runId: string, extension: string): string {
  return `${workflow.replace(/[^\p{L}\p{N}-]/gu, "_")}-${runId.slice(0, 8)}.${extension}`;
}
