// A reasoning model's thinking in the chat: a folded "Thought for N s" block above the
// answer (a <details>, so it opens on click or Enter and says so to screen readers),
// streaming while the model thinks; and the conversation's thinking switch, shown when
// the model's template has one.

import type { ThinkingMode } from "./api";
import { MarkdownView } from "./markdown-view";

/** The thinking of an answer being written: its text, and when its first and last
 * pieces came (performance.now() milliseconds), for "thought for N s". */
export interface LiveThinking {
  text: string;
  first?: number;
  last?: number;
}

/** The live thinking with one more piece, arrived at `now`. */
export function addThinking(thinking: LiveThinking, piece: string, now: number): LiveThinking {
  return { text: thinking.text + piece, first: thinking.first ?? now, last: now };
}

/** Milliseconds thought so far: from the first piece to the last, or to `now` while the
 * model is still thinking. */
export function thinkingMillis(thinking: LiveThinking, now?: number): number | undefined {
  if (thinking.first === undefined) return undefined;
  return (now ?? thinking.last ?? thinking.first) - thinking.first;
}

/** "4 s", "1 min 5 s": how long, rounded to the second. */
export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}

/** The folded block's label. */
export function thinkingLabel(ms: number | null | undefined, live: boolean): string {
  if (live) return ms == null ? "Thinking…" : `Thinking… ${duration(ms)}`;
  if (ms == null) return "Thoughts";
  if (ms < 1000) return "Thought for less than a second";
  return `Thought for ${duration(ms)}`;
}

/** The model's thinking, folded above its answer; `live` while it is still thinking. */
export function ThinkingBlock({ text, ms, live = false }: { text: string; ms?: number | null; live?: boolean }) {
  return (
    <details class={`thinking${live ? " live" : ""}`} aria-busy={live ? "true" : undefined}>
      <summary>{thinkingLabel(ms, live)}</summary>
      <MarkdownView text={text} class="thinking-text" />
    </details>
  );
}

/** The conversation's switch: the model's default, on, or off. */
export function ThinkingSwitch({ value, onChange, disabled }: { value: boolean | undefined; onChange: (mode: ThinkingMode) => void; disabled?: boolean }) {
  const mode: ThinkingMode = value === true ? "on" : value === false ? "off" : "default";
  return (
    <label title="Whether the model thinks before it answers (it answers faster without)">
      Thinking{" "}
      <select value={mode} disabled={disabled} aria-label="Thinking" onChange={(e) => onChange((e.target as HTMLSelectElement).value as ThinkingMode)}>
        <option value="default">Model default</option>
        <option value="on">On</option>
        <option value="off">Off</option>
      </select>
    </label>
  );
}
