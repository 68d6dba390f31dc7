// The options of a model picker, the same wherever a model is chosen (a chat, a workflow
// step, generated data): the default model, the local models that load, then each
// remote provider's models as PROVIDER:MODEL, marked as sent to that provider.

import type { ModelEntry, Provider } from "./api";

export function ModelOptions({ models, providers, value, empty }: { models: ModelEntry[]; providers: Provider[]; value: string; empty?: string }) {
  const usable = models.filter((m) => !m.problem);
  const fallback = usable.find((m) => m.is_default);
  const known = usable.some((m) => m.id === value) || providers.some((p) => p.models?.some((m) => `${p.name}:${m}` === value));
  return (
    <>
      <option value="">{empty ?? `Default${fallback ? ` (${fallback.id})` : ""}`}</option>
      {usable.map((m) => (
        <option key={m.id} value={m.id}>
          {m.id}
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
