// Remote model providers and offline mode, on the Settings page: what is connected,
// where each key is kept, connect another, and the switch that keeps Hearth from
// reaching any of them. Keys go to the keyring and are never shown again; a key is only
// sent to the address it was set for, so moving a provider elsewhere removes its key.

import { useEffect, useState } from "preact/hooks";
import type { Provider, ProviderKind } from "./api";
import { ErrorNote, useApi } from "./shell";

const KEY_PLACES = { keyring: "in the system keyring", sealed_file: "in Hearth's sealed key file" } as const;

export function RemoteProviders() {
  const api = useApi();
  const [providers, setProviders] = useState<Provider[] | null>(null);
  const [offline, setOffline] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState("");

  const reload = () =>
    api.providers().then((p) => {
      setProviders(p.providers);
      setOffline(p.offline);
    }, setError);
  useEffect(() => void reload(), []);

  async function act<T>(what: () => Promise<T>, done: string | ((result: T) => string)) {
    try {
      const result = await what();
      setError(null);
      setNote(typeof done === "function" ? done(result) : done);
      await reload();
    } catch (e) {
      setError(e);
    }
  }

  async function connect(event: Event) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const text = (name: string) => ((data.get(name) as string | null) ?? "").trim();
    const name = text("name");
    const key = text("api_key");
    await act(
      () =>
        api.saveProvider(name, {
          kind: text("kind") as ProviderKind,
          base_url: text("base_url") || undefined,
          models: text("models").split(",").map((m) => m.trim()).filter(Boolean),
          context_length: Number(text("context_length")) || undefined,
          api_key: key || undefined,
        }),
      (saved) =>
        saved.key_removed
          ? `Saved ${name}. Its address changed, so its key was removed (a key is only sent to the address it was set for); set it again with Set key….`
          : `Connected ${name}. Choose its models as ${name}:MODEL.`,
    );
    form.reset();
  }

  if (!providers) return <ErrorNote error={error} />;
  return (
    <div class="providers" aria-label="Remote providers">
      <label class="offline">
        <input
          type="checkbox"
          checked={offline}
          onChange={(e) => {
            const on = (e.target as HTMLInputElement).checked;
            setOffline(on);
            void act(() => api.setOffline(on), on ? "Offline: no remote provider will be contacted." : "Remote providers may be used again.");
          }}
        />{" "}
        Offline mode: never contact a remote provider (local models keep working)
      </label>
      {providers.length === 0 ? (
        <p>Everything runs on this computer. Nothing you type or open is sent anywhere; no remote model provider is connected.</p>
      ) : (
        <>
          <p>
            Answers from a remote model are written by its provider: what you send in those chats leaves this computer. Every answer says where it was
            written{offline ? ". Offline mode is on, so none of these is contacted now" : ""}.
          </p>
          <table class="provider-list">
            <thead>
              <tr>
                <th>Name</th>
                <th>Kind</th>
                <th>Address</th>
                <th>Models</th>
                <th>Key</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {providers.map((p) => (
                <tr key={p.name}>
                  <td>{p.name}</td>
                  <td>{p.kind === "openai" ? "OpenAI-compatible" : "Anthropic"}</td>
                  <td>
                    <code>{p.base_url}</code>
                  </td>
                  <td>{p.models?.length ? p.models.join(", ") : "any, by name"}</td>
                  <td>
                    {p.key ? KEY_PLACES[p.key] : "none"}
                    {p.problem && (
                      <p class="error">
                        {p.problem}
                      </p>
                    )}
                  </td>
                  <td>
                    <button
                      type="button"
                      class="ghost"
                      onClick={() => {
                        const key = prompt(`New API key for ${p.name}`);
                        if (key?.trim()) void act(() => api.setProviderKey(p.name, key.trim()), `The key of ${p.name} is replaced.`);
                      }}
                    >
                      Set key…
                    </button>
                    <button type="button" class="ghost danger" aria-label={`Disconnect ${p.name}`} onClick={() => act(() => api.removeProvider(p.name), `Disconnected ${p.name}; its key is forgotten.`)}>
                      Disconnect
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      <details>
        <summary>Connect a remote provider…</summary>
        <form class="provider-form" onSubmit={connect}>
          <label>
            Name <input name="name" required pattern="[a-z0-9_\-]{1,32}" placeholder="openai" title="lowercase letters, digits, - and _" />
          </label>
          <label>
            Kind{" "}
            <select name="kind">
              <option value="openai">OpenAI-compatible (OpenAI, vLLM, llama-server, Ollama, LM Studio…)</option>
              <option value="anthropic">Anthropic</option>
            </select>
          </label>
          <label>
            Address (empty = the kind's public API; http:// only on this computer) <input name="base_url" type="url" placeholder="http://localhost:11434/v1" />
          </label>
          <label>
            Models, comma-separated <input name="models" placeholder="gpt-4o-mini" />
          </label>
          <label>
            Context length (tokens) <input name="context_length" type="number" min={512} placeholder="32768" />
          </label>
          <label>
            API key (kept in the keyring, never shown again) <input name="api_key" type="password" autocomplete="off" />
          </label>
          <button type="submit">Connect</button>
        </form>
      </details>
      {note && <p role="status">{note}</p>}
      <ErrorNote error={error} onDismiss={() => setError(null)} />
    </div>
  );
}
