import { describe, expect, it } from "vitest";
import type { StepOutput } from "./api";
import { applyProgress, cellText, clip, exportName, liveTable, recordColumns, runProgress, type LiveRun } from "./workflow-table";

const output = (step: string, text: string): StepOutput => ({ step, text, model: "smollm2", ms: 10 });

function started(): LiveRun {
  return applyProgress(null, { event: "started", run_id: "run-1234567890", items: ["a.txt", "b.txt"], steps: ["summary", "sentiment"] })!;
}

describe("a live run", () => {
  it("fills rows as steps finish and counts items × steps", () => {
    let live = started();
    expect(runProgress(live)).toEqual({ done: 0, total: 4 });
    live = applyProgress(live, { event: "step", item: 0, step: 0 })!;
    expect(live.current).toEqual({ item: 0, step: 0 });
    live = applyProgress(live, { event: "step_done", item: 0, step: 0, output: output("summary", "Short.") })!;
    expect(runProgress(live)).toEqual({ done: 1, total: 4 });
    expect(liveTable(live)).toEqual({
      columns: ["item", "summary", "sentiment", "error"],
      rows: [
        { item: "a.txt", summary: "Short.", error: null },
        { item: "b.txt", error: null },
      ],
    });
    live = applyProgress(live, { event: "item_done", item: 0, result: { item: "a.txt", outputs: [output("summary", "Short."), output("sentiment", "positive")] } })!;
    expect(live.current).toBeNull();
    // The second item fails at its first step: its skipped step counts as done.
    live = applyProgress(live, { event: "item_done", item: 1, result: { item: "b.txt", outputs: [], error: "summary: the document is empty" } })!;
    expect(runProgress(live)).toEqual({ done: 4, total: 4 });
    expect(liveTable(live).rows).toEqual([
      { item: "a.txt", summary: "Short.", sentiment: "positive", error: null },
      { item: "b.txt", error: "summary: the document is empty" },
    ]);
  });

  it("shows a scanned file's pages being read until its first step starts", () => {
    let live = started();
    live = applyProgress(live, { event: "reading", item: 1, done: 2, total: 5 })!;
    expect(live.reading).toEqual({ item: 1, done: 2, total: 5 });
    expect(runProgress(live)).toEqual({ done: 0, total: 4 });
    live = applyProgress(live, { event: "step", item: 1, step: 0 })!;
    expect(live.reading).toBeNull();
    expect(live.current).toEqual({ item: 1, step: 0 });
  });

  it("ignores events before it started or for items it does not have", () => {
    expect(applyProgress(null, { event: "step", item: 0, step: 0 })).toBeNull();
    const live = started();
    expect(applyProgress(live, { event: "step_done", item: 5, step: 0, output: output("summary", "x") })).toBe(live);
  });

  it("never changes the state it was given", () => {
    const live = started();
    const before = JSON.stringify(live);
    applyProgress(live, { event: "step_done", item: 1, step: 1, output: output("sentiment", "neutral") });
    expect(JSON.stringify(live)).toBe(before);
  });
});

describe("cells", () => {
  it("shows text as it is and JSON as JSON", () => {
    expect(cellText("positive")).toBe("positive");
    expect(cellText(null)).toBe("");
    expect(cellText(undefined)).toBe("");
    expect(cellText({ order: "A-1" })).toBe('{"order":"A-1"}');
    expect(cellText([1, 2])).toBe("[1,2]");
  });

  it("clips long text at a word, never inside a character", () => {
    expect(clip("short", 10)).toEqual({ text: "short", clipped: false });
    expect(clip("The quick brown fox jumps over the lazy dog", 22)).toEqual({ text: "The quick brown fox…", clipped: true });
    expect(clip("abcdefghijklmnopqrstuvwxyz", 10)).toEqual({ text: "abcdefghij…", clipped: true });
    const emoji = "😀".repeat(12);
    const clipped = clip(emoji, 5);
    expect(clipped.text).toBe(`${"😀".repeat(5)}…`);
    expect(clipped.clipped).toBe(true);
  });
});

describe("records and exports", () => {
  it("takes every key of the records as a column, in the order first seen", () => {
    expect(recordColumns([{ name: "A", age: 3 }, { city: "Lyon", name: "B" }])).toEqual(["name", "age", "city"]);
  });

  it("names an export like the server does", () => {
    expect(exportName("summarize-then-sentiment", "0123456789abcdef", "csv")).toBe("summarize-then-sentiment-01234567.csv");
    expect(exportName("my flow/2", "ab", "jsonl")).toBe("my_flow_2-ab.jsonl");
  });
});
