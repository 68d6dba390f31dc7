// The prompt library on the Workflows page: the built-in and saved templates with their
// {{variables}}, and a form to write, change or delete saved ones. The chat inserts them
// (prompt-picker.tsx); a workflow's prompt step can use one by name.

import { useState } from "preact/hooks";
import type { PromptView } from "./api";
import { ErrorNote, useApi } from "./shell";
import { templateVariables } from "./workflow-draft";

interface Fields {
  name: string;
  description: string;
  body: string;
  system: string;
}

const EMPTY: Fields = { name: "", description: "", body: "", system: "" };

export function PromptLibrary({ prompts, onChanged }: { prompts: PromptView[]; onChanged: () => Promise<unknown> }) {
  const api = useApi();
  const [fields, setFields] = useState<Fields | null>(null);
  /** The saved template the form was opened from. */
  const [from, setFrom] = useState<PromptView | null>(null);
  const [note, setNote] = useState("");
  const [error, setError] = useState<unknown>(null);

  function edit(prompt: PromptView | null) {
    setFrom(prompt);
    setNote("");
    setError(null);
    setFields(
      prompt
        ? { name: prompt.builtin ? `${prompt.name}-mine` : prompt.name, description: prompt.description ?? "", body: prompt.body, system: prompt.system ?? "" }
        : EMPTY,
    );
  }

  async function save(event: Event) {
    event.preventDefault();
    if (!fields) return;
    try {
      const saved = await api.savePrompt({ name: fields.name.trim(), description: fields.description.trim(), body: fields.body, system: fields.system.trim() || undefined });
      await onChanged();
      setFields(null);
      setNote(`Saved “${saved.name}”.`);
    } catch (e) {
      setError(e);
    }
  }

  async function remove(prompt: PromptView) {
    if (!confirm(`Delete the prompt “${prompt.name}”?`)) return;
    try {
      await api.deletePrompt(prompt.name);
      await onChanged();
      if (from?.name === prompt.name) setFields(null);
      setNote(`Deleted “${prompt.name}”.`);
    } catch (e) {
      setError(e);
    }
  }

  const set = (key: keyof Fields) => ({
    value: fields?.[key] ?? "",
    onInput: (e: Event) => fields && setFields({ ...fields, [key]: (e.target as HTMLInputElement).value }),
  });
  const variables = fields ? templateVariables(fields.body, fields.system) : [];
  return (
    <section class="prompt-library" aria-label="Prompt library">
      <h2>Prompt library</h2>
      <p class="meta">Templates with {"{{variables}}"}: insert one in a chat with the Prompts button by the message box, or use it in a workflow's prompt step.</p>
      <table class="audit-log">
        <thead>
          <tr>
            <th>Name</th>
            <th>What it is for</th>
            <th>Variables</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {prompts.map((p) => (
            <tr key={p.name} data-prompt={p.name}>
              <td>
                {p.name} {p.builtin && <span class="badge">built in</span>}
              </td>
              <td>{p.description}</td>
              <td>{p.variables.join(", ") || "—"}</td>
              <td>
                <button type="button" class="ghost" onClick={() => edit(p)}>
                  {p.builtin ? "Copy to edit" : "Edit"}
                </button>
                {!p.builtin && (
                  <button type="button" class="ghost danger" aria-label={`Delete the prompt ${p.name}`} onClick={() => remove(p)}>
                    Delete
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {!fields && (
        <button type="button" onClick={() => edit(null)}>
          New prompt
        </button>
      )}
      {note && <p role="status">{note}</p>}
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {fields && (
        <form class="job prompt-form" aria-label="Prompt editor" onSubmit={save}>
          <label>
            Name <input required {...set("name")} />
          </label>
          <label>
            Description <input {...set("description")} />
          </label>
          <label>
            Text, with {"{{variables}}"}
            <textarea rows={6} required {...set("body")} />
          </label>
          <label>
            System prompt (optional) <input {...set("system")} />
          </label>
          <p class="meta">Variables: {variables.length ? variables.join(", ") : "none"}</p>
          <div class="options">
            <button type="submit" class="primary">
              Save
            </button>
            <button type="button" class="ghost" onClick={() => setFields(null)}>
              Cancel
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
