// The answer being written, folded from a turn's stream events: its text, the model's
// thinking, the tool calls it made, and what the page should do besides showing it (the
// summary that stands in for folded turns, a speed readout, an error). Pure, so the
// event rules are tested without a page or a server.

import type { Message, ToolCallRecord } from "./api";
import { addThinking, type LiveThinking } from "./thinking";
import { withToolCall } from "./tool-calls";

export interface Live {
  answerId?: string;
  question?: string;
  text: string;
  started: number;
  firstDelta?: number;
  /** The model's thinking so far, before the answer. */
  thinking: LiveThinking;
  /** The tools it called so far, each in its latest state. */
  calls: ToolCallRecord[];
  /** Where the model runs: "CPU", or the GPU and its layers. */
  ranOn?: string;
}

/** One event of a streamed turn, as the API sends it. */
export interface TurnEvent {
  event: string;
  data: any;
}

/** What an event asks of the page beyond the live answer. */
export interface TurnEffects {
  /** The summary now standing in for the turns folded out of the context. */
  folded?: string;
  /** The finished answer's speed readout. */
  speed?: { messageId: string; text: string };
  error?: string;
}

export function newLive(question: string | undefined, now: number): Live {
  return { text: "", question, started: now, thinking: { text: "" }, calls: [] };
}

/** The live answer after one event (a new object; `live` is not changed), and its effects. */
export function withTurnEvent(live: Live, event: TurnEvent, now: number): { live: Live; effects: TurnEffects } {
  const next: Live = { ...live };
  const effects: TurnEffects = {};
  switch (event.event) {
    case "started":
      next.answerId = event.data.answer_id;
      next.ranOn = event.data.ran_on ?? undefined;
      break;
    case "folded":
      effects.folded = event.data.summary?.content ?? "";
      break;
    case "reasoning":
      next.thinking = addThinking(next.thinking, event.data.text, now);
      break;
    case "tool_call": {
      let call: ToolCallRecord = event.data.call;
      if (!next.calls.some((c) => c.round === call.round)) {
        // A round's first call: what the model wrote so far was its lead-in to the
        // calls (shown with them), and the text after the results starts afresh.
        if (!call.preamble && next.text.trim()) call = { ...call, preamble: next.text };
        next.text = "";
      }
      next.calls = withToolCall(next.calls, call);
      break;
    }
    case "delta":
      next.firstDelta ??= now;
      next.text += event.data.text;
      break;
    case "finished": {
      const message: Message = event.data.message;
      // Not after tool calls: the time spent waiting on the user and the tools is no speed.
      if (message.token_count && next.firstDelta !== undefined && next.calls.length === 0) {
        effects.speed = { messageId: message.id, text: speedReadout(message.token_count, now - next.firstDelta, next.ranOn) };
      }
      if (message.state === "failed") effects.error = message.error ?? "the answer failed";
      break;
    }
    case "error":
      effects.error = event.data.message;
      break;
  }
  return { live: next, effects };
}

/** "42 tokens · 12.3 tokens/s on CPU": the first token is the clock's start, so it is
 * not counted in the rate. */
export function speedReadout(tokens: number, millis: number, ranOn?: string): string {
  const seconds = millis / 1000;
  const where = ranOn ? ` on ${ranOn}` : "";
  return `${tokens} tokens · ${(Math.max(tokens - 1, 0) / Math.max(seconds, 0.001)).toFixed(1)} tokens/s${where}`;
}
