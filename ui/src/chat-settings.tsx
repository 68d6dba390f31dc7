// A chat's advanced settings, in a drawer over the right edge rather than the header:
// the thinking switch (for a reasoning model), MCP tools, the document collection its
// answers draw on, a LoRA adapter (for a local model), the persona of a new chat, and
// sampling for this chat. A native modal <dialog>: it keeps focus inside, Escape closes
// it, and focus goes back to the button that opened it.

import { useEffect, useRef } from "preact/hooks";
import { X } from "lucide-preact";
import type { Collection, ConversationChange, ConversationView, Persona } from "./api";
import { AdapterControl } from "./adapter-control";
import { ThinkingSwitch } from "./thinking";
import { ErrorNote } from "./shell";

/** Sampling the user set for this chat's next answers; left out comes from the settings. */
export interface ChatSampling {
  temperature?: number;
  max_tokens?: number;
}

interface Props {
  conversationId?: string;
  view: ConversationView | null;
  /** The chat's model is at a remote provider: no adapter then. */
  remote: boolean;
  collections: Collection[];
  persona: string;
  personas: Persona[];
  sampling: ChatSampling;
  busy: boolean;
  onPersona: (persona: string) => void;
  onChange: (change: ConversationChange) => void;
  onAdapter: (adapter: { path: string; scale: number } | null) => Promise<void>;
  onSampling: (sampling: ChatSampling) => void;
  onClose: () => void;
  /** The chat's error, shown here too: the drawer covers the chat's own error box. */
  error: unknown;
  onDismissError: () => void;
}

export function ChatSettings({ conversationId: id, view, remote, collections, persona, personas, sampling, busy, onPersona, onChange, onAdapter, onSampling, onClose, error, onDismissError }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) {
      // jsdom has no showModal; there the dialog is shown open without the modal layer.
      if (typeof element.showModal === "function") element.showModal();
      else element.setAttribute("open", "");
    }
  }, []);
  const settings = view?.conversation.settings;
  const thinking = settings?.thinking;
  const toolsOn = settings?.tools !== false;
  return (
    <dialog
      ref={dialog}
      class="drawer"
      aria-labelledby="chat-settings-title"
      onClose={onClose}
      onCancel={onClose}
      onClick={(e) => {
        // A click on the backdrop (the dialog itself, outside its contents) closes it.
        if (e.target === dialog.current) dialog.current?.close();
      }}
    >
      <div class="drawer-panel">
        <header>
          <h2 id="chat-settings-title">Chat settings</h2>
          <button type="button" class="ghost icon-only" aria-label="Close chat settings" onClick={() => dialog.current?.close()}>
            <X size={18} aria-hidden="true" />
          </button>
        </header>
        <div class="drawer-body">
          <ErrorNote error={error} onDismiss={onDismissError} />
          {!id && (
            <NoneOrOne
              label="Persona"
              value={persona}
              choices={personas.map((p) => ({ value: p.id, name: p.name }))}
              onChoose={onPersona}
              hint="How the model is told to behave in the new chat."
            />
          )}
          {id && view?.thinking?.thinking_switch && (
            <div class="setting">
              <ThinkingSwitch value={typeof thinking === "boolean" ? thinking : undefined} disabled={busy} onChange={(mode) => onChange({ thinking: mode })} />
              <p class="hint">A reasoning model answers faster without thinking first.</p>
            </div>
          )}
          {id && (view?.tool_servers ?? 0) > 0 && (
            <div class="setting">
              <label title="Offer the tools of your MCP servers to the model; every call still asks you first">
                <input type="checkbox" checked={toolsOn} disabled={busy} onChange={(e) => onChange({ tools: (e.target as HTMLInputElement).checked })} /> Tools
              </label>
              <p class="hint">The model may ask to use your MCP servers' tools; every call asks you first.</p>
            </div>
          )}
          {id && collections.length > 0 && (
            <NoneOrOne
              label="Answer from documents"
              value={settings?.collection ?? ""}
              choices={collections.map((c) => ({ value: c.name, name: c.name }))}
              onChoose={(collection) => onChange({ collection })}
              hint="Answers come from the collection's passages, with sources."
            />
          )}
          {id && view && !remote && (
            <div class="setting">
              <span class="label">LoRA adapter</span>
              <AdapterControl key={id} attached={settings?.adapter ?? null} onChange={onAdapter} />
            </div>
          )}
          <fieldset class="setting">
            <legend>Sampling for this chat</legend>
            <SamplingField label="Temperature" field="temperature" min={0} max={2} step={0.1} sampling={sampling} onSampling={onSampling} />
            <SamplingField label="Longest answer (tokens)" field="max_tokens" min={1} step={1} sampling={sampling} onSampling={onSampling} />
            <p class="hint">Used for this chat's answers while this window is open; empty fields follow Settings.</p>
          </fieldset>
        </div>
      </div>
    </dialog>
  );
}

/** A labelled choice of one of `choices` or none ("" is none), with a hint below. */
function NoneOrOne({ label, value, choices, onChoose, hint }: { label: string; value: string; choices: { value: string; name: string }[]; onChoose: (value: string) => void; hint: string }) {
  return (
    <label class="setting">
      <span class="label">{label}</span>
      <select value={value} onChange={(e) => onChoose((e.target as HTMLSelectElement).value)} aria-label={label}>
        <option value="">None</option>
        {choices.map((c) => (
          <option key={c.value} value={c.value}>
            {c.name}
          </option>
        ))}
      </select>
      <p class="hint">{hint}</p>
    </label>
  );
}

/** One sampling value for this chat; empty means the value from Settings. */
function SamplingField({ label, field, min, max, step, sampling, onSampling }: { label: string; field: keyof ChatSampling; min: number; max?: number; step: number; sampling: ChatSampling; onSampling: (sampling: ChatSampling) => void }) {
  return (
    <label>
      {label}{" "}
      <input
        type="number"
        min={min}
        max={max}
        step={step}
        placeholder="from Settings"
        value={sampling[field] ?? ""}
        onInput={(e) => onSampling({ ...sampling, [field]: numberOrUndefined((e.target as HTMLInputElement).value) })}
      />
    </label>
  );
}

function numberOrUndefined(text: string): number | undefined {
  const value = Number(text);
  return text.trim() === "" || !Number.isFinite(value) ? undefined : value;
}
