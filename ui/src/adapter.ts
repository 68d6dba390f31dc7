// LoRA adapters as the chat and the workflow editor show them: the file's name with its
// scale, and the scale as typed, checked. Pure, so it is tested without a page.

/** The strongest scale the server takes (hearth-llm's MAX_ADAPTER_SCALE), either sign. */
export const MAX_ADAPTER_SCALE = 4;

/** The adapter as one short label: "style.gguf @ 0.5". */
export function adapterLabel(adapter: { path: string; scale?: number }): string {
  const name = adapter.path.split(/[\\/]/).filter(Boolean).pop() ?? adapter.path;
  return `${name} @ ${adapter.scale ?? 1}`;
}

/** A scale typed in a field: empty means 1 (as trained); otherwise a number within
 * [min, max], or what is wrong with it. */
export function parseAdapterScale(text: string, min = 0, max = 1): { scale: number; error?: undefined } | { scale?: undefined; error: string } {
  const trimmed = text.trim();
  if (!trimmed) return { scale: 1 };
  const scale = Number(trimmed);
  if (!Number.isFinite(scale) || scale < min || scale > max) return { error: `the adapter scale is a number from ${min} to ${max}.` };
  return { scale };
}
