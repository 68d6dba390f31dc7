// What the Models page's comparison table says about each model: where it runs (and so
// whether text leaves this computer), memory and fit, measured speed, cost. Pure, so it
// is tested without a page.

import type { ModelChoice, Verdict } from "./api";
import { formatBytes } from "./format";

/** Where the model runs, in words; a remote one says that text leaves this computer. */
export function whereItRuns(model: Pick<ModelChoice, "provider" | "private">): string {
  return model.private || !model.provider ? "On this computer" : `At ${model.provider}`;
}

const FIT: Record<Verdict, string> = {
  Fits: "fits",
  Tight: "tight",
  WillNotFit: "won't fit",
};

/** The memory it needs and whether that fits now: "1.2 GB, fits"; "—" for remote models. */
export function memoryText(model: Pick<ModelChoice, "memory_bytes" | "fits" | "private">): string {
  if (!model.private) return "—";
  if (model.memory_bytes == null) return "unknown";
  return model.fits ? `${formatBytes(model.memory_bytes)}, ${FIT[model.fits]}` : formatBytes(model.memory_bytes);
}

/** Tokens per second measured here: "41.3 tokens/s over 7 answers", or "not measured yet". */
export function speedText(speed: ModelChoice["speed"]): string {
  if (!speed || speed.generations === 0) return "not measured yet";
  const rate = speed.generation_tokens_per_second;
  const shown = rate >= 100 ? Math.round(rate).toLocaleString("en-US") : rate.toFixed(1);
  return `${shown} tokens/s over ${speed.generations} ${speed.generations === 1 ? "generation" : "generations"}`;
}

/** Price per 1,000 tokens in / out: "free" on this computer, "not set" without prices. */
export function costText(model: Pick<ModelChoice, "private" | "input_cost_per_1k" | "output_cost_per_1k">): string {
  if (model.private) return "free";
  const { input_cost_per_1k: input, output_cost_per_1k: output } = model;
  if (input == null && output == null) return "not set";
  const price = (value: number | null) => (value == null ? "not set" : String(Number(value.toPrecision(6))));
  return `${price(input)} in / ${price(output)} out`;
}

/** Tokens as "8,192 tokens"; "unknown" when the file does not say. */
export function contextText(tokens: number | null): string {
  return tokens == null ? "unknown" : `${tokens.toLocaleString("en-US")} tokens`;
}

/** Chat models first (default first among them), local before remote, then by name;
 * embedding models last, as they cannot chat. */
export function sortChoices(models: ModelChoice[]): ModelChoice[] {
  const rank = (m: ModelChoice) => (m.embedding ? 3 : m.is_default ? 0 : m.private ? 1 : 2);
  return [...models].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id));
}
