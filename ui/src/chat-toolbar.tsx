// The chat's header: its title and the conversation's settings. The model; the thinking
// switch (for a reasoning model) and the MCP tools switch; the document collection its
// answers draw on; a LoRA adapter (for a local model); the persona, for a new chat.

import type { Collection, ConversationChange, ConversationView, ModelEntry, Persona, Provider } from "./api";
import { AdapterControl } from "./adapter-control";
import { ModelOptions } from "./model-options";
import { ThinkingSwitch } from "./thinking";

interface Props {
  /** The conversation shown; none for a new chat. */
  conversationId?: string;
  view: ConversationView | null;
  model: string;
  models: ModelEntry[];
  providers: Provider[];
  /** The provider the chat's model is at, when it is a remote one. */
  remoteProvider?: string;
  collections: Collection[];
  persona: string;
  personas: Persona[];
  /** An answer is being written: switches that change it wait. */
  busy: boolean;
  onModel: (model: string) => void;
  onPersona: (persona: string) => void;
  onChange: (change: ConversationChange) => void;
  onAdapter: (adapter: { path: string; scale: number } | null) => Promise<void>;
}

export function ChatToolbar({ conversationId: id, view, model, models, providers, remoteProvider, collections, persona, personas, busy, onModel, onPersona, onChange, onAdapter }: Props) {
  const settings = view?.conversation.settings;
  const thinking = settings?.thinking;
  // Tools are offered unless the conversation turned them off.
  const toolsOn = settings?.tools !== false;
  return (
    <header class="toolbar">
      <h1>{view?.conversation.title || "New chat"}</h1>
      <label>
        Model{" "}
        <select value={model} onChange={(e) => onModel((e.target as HTMLSelectElement).value)} aria-label="Model">
          <ModelOptions models={models} providers={providers} value={model} />
        </select>
      </label>
      {id && view?.thinking?.thinking_switch && (
        <ThinkingSwitch value={typeof thinking === "boolean" ? thinking : undefined} disabled={busy} onChange={(mode) => onChange({ thinking: mode })} />
      )}
      {id && (view?.tool_servers ?? 0) > 0 && (
        <label title="Offer the tools of your MCP servers to the model; every call still asks you first">
          <input type="checkbox" checked={toolsOn} disabled={busy} onChange={(e) => onChange({ tools: (e.target as HTMLInputElement).checked })} /> Tools
        </label>
      )}
      {id && collections.length > 0 && (
        <label>
          Documents{" "}
          <select value={settings?.collection ?? ""} onChange={(e) => onChange({ collection: (e.target as HTMLSelectElement).value })} aria-label="Answer from documents">
            <option value="">None</option>
            {collections.map((c) => (
              <option key={c.id} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {id && view && !remoteProvider && <AdapterControl key={id} attached={settings?.adapter ?? null} onChange={onAdapter} />}
      {!id && (
        <label>
          Persona{" "}
          <select value={persona} onChange={(e) => onPersona((e.target as HTMLSelectElement).value)} aria-label="Persona">
            <option value="">None</option>
            {personas.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      )}
    </header>
  );
}
