// The options of a model picker, the same wherever a model is chosen (a chat, a workflow
// step, generated data): the default model, the local models that load and can write
// (not embedding models) under the names people know them by (size and quantization as
// detail), then each remote provider's models as PROVIDER:MODEL, marked as sent there.

import type { ModelEntry, Provider } from "./api";
import { modelLabel } from "./format";

export function ModelOptions({ models, providers, value, empty }: { models: ModelEntry[]; providers: Provider[]; value: string; empty?: string }) {
  // A model that only makes vectors (for documents) cannot answer: it is not offered.
  const usable = models.filter((m) => !m.problem && !m.embedding);
  const fallback = usable.find((m) => m.is_default);
  const known = usable.some((m) => m.id === value) || providers.some((p) => p.models?.some((m) => `${p.name}:${m}` === value));
  const text = (m: ModelEntry) => {
    const { name, detail } = modelLabel(m);
    return detail ? `${name} · ${detail}` : name;
  };
  return (
    <>
      <option value="">{empty ?? `Default${fallback ? ` (${modelLabel(fallback).name})` : ""}`}</option>
      {usable.map((m) => (
        <option key={m.id} value={m.id}>
          {text(m)}
        </option>
      ))}
      {providers
        .filter((p) => p.models?.length)
        .map((p) => (
          <optgroup key={p.name} label={`${p.name} — sent to this provider`}>
            {p.models!.map((m) => (
              <option key={m} value={`${p.name}:${m}`}>
                {p.name}:{m}
              </option>
            ))}
          </optgroup>
        ))}
      {value && !known && <option value={value}>{value}</option>}
    </>
  );
}
