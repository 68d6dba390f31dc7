import { describe, expect, it } from "vitest";
import type { ToolCallRecord } from "./api";
import { newLive, speedReadout, withTurnEvent, type Live, type TurnEvent } from "./chat-live";

/** Folds events at the given times, collecting every effect. */
function fold(events: [TurnEvent, number][], question?: string) {
  let live: Live = newLive(question, 0);
  const effects = [];
  for (const [event, now] of events) {
    const before = live;
    const step = withTurnEvent(live, event, now);
    expect(step.live).not.toBe(before);
    live = step.live;
    if (Object.keys(step.effects).length) effects.push(step.effects);
  }
  return { live, effects };
}

const call = (id: string, round: number, status: ToolCallRecord["status"]): ToolCallRecord => ({
  id,
  round,
  name: "files__read",
  server: "files",
  tool: "read",
  arguments: { path: "notes.md" },
  status,
  is_error: false,
});

describe("withTurnEvent", () => {
  it("writes the answer, times its speed from the first piece, and keeps where it ran", () => {
    const { live, effects } = fold([
      [{ event: "started", data: { answer_id: "a1", ran_on: "CPU" } }, 5],
      [{ event: "delta", data: { text: "Hel" } }, 1000],
      [{ event: "delta", data: { text: "lo" } }, 1500],
      [{ event: "finished", data: { message: { id: "a1", state: "done", token_count: 11 } } }, 3000],
    ]);
    expect(live).toMatchObject({ answerId: "a1", ranOn: "CPU", text: "Hello", firstDelta: 1000 });
    // Ten tokens after the first in two seconds.
    expect(effects).toEqual([{ speed: { messageId: "a1", text: "11 tokens · 5.0 tokens/s on CPU" } }]);
  });

  it("moves the lead-in text to a round's first tool call and gives no speed after tools", () => {
    const { live, effects } = fold([
      [{ event: "delta", data: { text: "Let me look." } }, 10],
      [{ event: "tool_call", data: { call: call("c1", 0, "pending") } }, 20],
      [{ event: "tool_call", data: { call: call("c1", 0, "done") } }, 30],
      [{ event: "delta", data: { text: "It says hi." } }, 40],
      [{ event: "finished", data: { message: { id: "a1", state: "done", token_count: 9 } } }, 50],
    ]);
    expect(live.text).toBe("It says hi.");
    expect(live.calls).toEqual([{ ...call("c1", 0, "done"), preamble: "Let me look." }]);
    expect(effects).toEqual([]);
  });

  it("keeps the thinking apart from the answer, timed from its first piece to its last", () => {
    const { live } = fold([
      [{ event: "reasoning", data: { text: "Hmm, " } }, 100],
      [{ event: "reasoning", data: { text: "yes." } }, 400],
      [{ event: "delta", data: { text: "Yes." } }, 500],
    ]);
    expect(live.thinking).toEqual({ text: "Hmm, yes.", first: 100, last: 400 });
    expect(live.text).toBe("Yes.");
  });

  it("passes the folded summary, a failed answer's reason and a stream error to the page", () => {
    const { effects } = fold([
      [{ event: "folded", data: { summary: { content: "Earlier: the user asked about bread." } } }, 1],
      [{ event: "finished", data: { message: { id: "a1", state: "failed", error: "the model file is gone" } } }, 2],
      [{ event: "error", data: { message: "the server stopped" } }, 3],
    ]);
    expect(effects).toEqual([{ folded: "Earlier: the user asked about bread." }, { error: "the model file is gone" }, { error: "the server stopped" }]);
  });

  it("ignores events it does not know", () => {
    const { live, effects } = fold([[{ event: "something-new", data: {} }, 1]], "Hi?");
    expect(live).toEqual(newLive("Hi?", 0));
    expect(effects).toEqual([]);
  });
});

describe("speedReadout", () => {
  it("says where without dividing by zero", () => {
    expect(speedReadout(1, 0)).toBe("1 tokens · 0.0 tokens/s");
    expect(speedReadout(3, 1000, "GPU (all layers)")).toBe("3 tokens · 2.0 tokens/s on GPU (all layers)");
  });
});
