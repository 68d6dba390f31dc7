// The prompt library beside the chat's composer: choose a template, fill in its
// variables, and Insert puts the filled text into the composer (Hearth renders it, so
// the text is exactly what a workflow step would send); the user sends it as usual.

import { useEffect, useState } from "preact/hooks";
import type { PromptView } from "./api";
import { ErrorNote, useApi } from "./shell";

export function PromptPicker({ onInsert, onClose }: { onInsert: (text: string) => void; onClose: () => void }) {
  const api = useApi();
  const [prompts, setPrompts] = useState<PromptView[] | null>(null);
  const [name, setName] = useState("");
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api.prompts().then((list) => {
      setPrompts(list);
      setName((current) => current || list[0]?.name || "");
    }, setError);
  }, []);

  const chosen = prompts?.find((p) => p.name === name);

  async function insert(event: Event) {
    event.preventDefault();
    if (!chosen) return;
    try {
      const variables = Object.fromEntries(chosen.variables.map((v) => [v, values[v] ?? ""]));
      const rendered = await api.renderPrompt(chosen.name, variables);
      onInsert(rendered.text);
    } catch (e) {
      setError(e);
    }
  }

  return (
    <form class="prompt-picker" aria-label="Insert a prompt" onSubmit={insert} onKeyDown={(e) => e.key === "Escape" && onClose()}>
      <header>
        <label>
          Prompt{" "}
          <select aria-label="Prompt template" value={name} onChange={(e) => setName((e.target as HTMLSelectElement).value)}>
            {prompts?.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
                {p.description ? ` — ${p.description}` : ""}
              </option>
            ))}
          </select>
        </label>
        <button type="button" class="ghost" aria-label="Close the prompt library" onClick={onClose}>
          ×
        </button>
      </header>
      {prompts?.length === 0 && <p class="empty">No prompts yet. Write some on the Workflows page.</p>}
      {chosen && (
        <>
          {chosen.variables.map((variable) => (
            <label key={`${chosen.name}/${variable}`} class="variable">
              {variable}
              <textarea
                rows={variable === chosen.variables[chosen.variables.length - 1] ? 3 : 1}
                required
                aria-label={`Variable ${variable}`}
                value={values[variable] ?? ""}
                onInput={(e) => setValues({ ...values, [variable]: (e.target as HTMLTextAreaElement).value })}
              />
            </label>
          ))}
          {chosen.system && <p class="meta">This template's system prompt is used in workflows; here only its text is inserted.</p>}
          <div class="options">
            <button type="submit" class="primary">
              Insert
            </button>
            <span class="meta">The filled-in text goes into your message; nothing is sent until you send it.</span>
          </div>
        </>
      )}
      <ErrorNote error={error} onDismiss={() => setError(null)} />
    </form>
  );
}
