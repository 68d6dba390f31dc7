// Settings: theme, default model, GPU layers, sampling (with reasoning models' thinking budget),
// context and parallel answers, the grounding check and its judge, whether search looks into thinking, remote providers,
// MCP tool servers, where the data lives, what stays private, backups, and deleting everything.

import { useEffect, useState } from "preact/hooks";
import type { GroundingMode, ModelEntry, Provider, Settings } from "./api";
import { ModelOptions } from "./model-options";
import { ErrorNote, useApi } from "./shell";
import { modelLabel } from "./format";
import { RemoteProviders } from "./providers";
import { McpServers } from "./mcp-servers";
import { Backup } from "./backup";
import { DeleteEverything } from "./delete-everything";
import { applyTheme, storedTheme, type Theme } from "./theme";

export function SettingsPage() {
  const api = useApi();
  const [settings, setSettings] = useState<Settings | null>(null);
  const [models, setModels] = useState<ModelEntry[]>([]);
  const [about, setAbout] = useState<{ data_folder: string; config_file: string; logs_folder: string } | null>(null);
  const [theme, setTheme] = useState<Theme>(storedTheme());
  const [saved, setSaved] = useState(false);
  // The names box as typed (a new line is kept while it is still empty).
  const [names, setNames] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  // Bumped after deleting everything, so the providers' keys are read again.
  const [erased, setErased] = useState(0);

  useEffect(() => {
    api.settings().then(setSettings, setError);
    api.models().then(setModels, () => {});
    api.about().then(setAbout, () => {});
  }, []);

  if (!settings) return <section class="page">{error ? <ErrorNote error={error} /> : <p>Loading settings…</p>}</section>;

  const number = (value: string) => (value.trim() === "" ? null : Number(value));
  const set = (change: (s: Settings) => void) => {
    const next = structuredClone(settings);
    change(next);
    setSettings(next);
    setSaved(false);
  };

  async function save(event: Event) {
    event.preventDefault();
    try {
      setSettings(await api.saveSettings(settings!));
      setSaved(true);
      setError(null);
    } catch (e) {
      setError(e);
    }
  }

  return (
    <section class="page settings" aria-label="Settings">
      <h1>Settings</h1>
      <fieldset>
        <legend>Appearance</legend>
        {(["system", "light", "dark"] as Theme[]).map((t) => (
          <label key={t}>
            <input
              type="radio"
              name="theme"
              checked={theme === t}
              onChange={() => {
                setTheme(t);
                applyTheme(t);
              }}
            />{" "}
            {t[0].toUpperCase() + t.slice(1)}
          </label>
        ))}
      </fieldset>
      <form onSubmit={save}>
        <fieldset>
          <legend>Model</legend>
          <label>
            Default model{" "}
            <select value={settings.default_model ?? ""} onChange={(e) => set((s) => (s.default_model = (e.target as HTMLSelectElement).value || null))}>
              <option value="">None</option>
              {models
                .filter((m) => !m.embedding || m.id === settings.default_model)
                .map((m) => (
                  <option key={m.id} value={m.id}>
                    {modelLabel(m).name}
                  </option>
                ))}
            </select>
          </label>
          <label>
            Context length (tokens per conversation, 0 = the model's own){" "}
            <input type="number" min={0} value={settings.context_length} onInput={(e) => set((s) => (s.context_length = Number((e.target as HTMLInputElement).value)))} />
          </label>
          <label>
            Answers at once{" "}
            <input type="number" min={1} max={64} value={settings.parallel} onInput={(e) => set((s) => (s.parallel = Number((e.target as HTMLInputElement).value)))} />
          </label>
          <label>
            CPU threads (empty = one per core){" "}
            <input type="number" min={1} value={settings.threads ?? ""} onInput={(e) => set((s) => (s.threads = number((e.target as HTMLInputElement).value)))} />
          </label>
          <label title="Where a GPU is found (Vulkan, Metal or CUDA), this many of a model's layers run on it; the rest, and everything on a computer without one, on the CPU">
            GPU{" "}
            <select
              aria-label="GPU layers"
              value={typeof settings.gpu_layers === "number" ? "count" : settings.gpu_layers}
              onChange={(e) => {
                const choice = (e.target as HTMLSelectElement).value;
                set((s) => (s.gpu_layers = choice === "count" ? 999 : (choice as "auto" | "off")));
              }}
            >
              <option value="auto">As many layers as its memory holds</option>
              <option value="off">Off: the CPU alone</option>
              <option value="count">A number of layers</option>
            </select>
          </label>
          {typeof settings.gpu_layers === "number" && (
            <label>
              Layers on the GPU{" "}
              <input type="number" min={1} value={settings.gpu_layers} onInput={(e) => set((s) => (s.gpu_layers = Math.max(1, Number((e.target as HTMLInputElement).value) || 1)))} />
            </label>
          )}
          <label>
            GPU to use when there are several (empty = any; `hearth devices` lists their names){" "}
            <input value={settings.gpu_device ?? ""} placeholder="Vulkan0" onInput={(e) => set((s) => (s.gpu_device = (e.target as HTMLInputElement).value.trim() || null))} />
          </label>
          <label>
            Embedding model for new document collections{" "}
            <input value={settings.embedding_model} onInput={(e) => set((s) => (s.embedding_model = (e.target as HTMLInputElement).value))} />
          </label>
          <label>
            Disk for resuming long chats quickly after a restart (MB per model, 0 = off){" "}
            <input type="number" min={0} value={settings.saved_contexts_mb} onInput={(e) => set((s) => (s.saved_contexts_mb = Number((e.target as HTMLInputElement).value)))} />
          </label>
          <label title="When a model would not fit beside those already loaded, the ones used least recently (and not answering) are unloaded first.">
            Memory for loaded models together (MB, 0 = 70% of this computer's){" "}
            <input type="number" min={0} value={settings.memory_budget_mb} onInput={(e) => set((s) => (s.memory_budget_mb = Number((e.target as HTMLInputElement).value)))} />
          </label>
          <label>
            Unload a model after this many idle minutes (0 = keep it loaded){" "}
            <input type="number" min={0} value={settings.unload_idle_minutes} onInput={(e) => set((s) => (s.unload_idle_minutes = Number((e.target as HTMLInputElement).value)))} />
          </label>
          <label title="The model's answer often copies the text it is about (a rewrite, a quote, names and figures): Hearth guesses those tokens and checks the guess in one step. The answers are the same; they come faster.">
            <input type="checkbox" checked={settings.speculative_decoding} onChange={(e) => set((s) => (s.speculative_decoding = (e.target as HTMLInputElement).checked))} /> Write copied text faster
            (speculative decoding)
          </label>
          <label title="A smaller model of the same family (Qwen2.5 0.5B for the larger Qwen2.5 models) guesses the next tokens and the answering model checks them in one step: the same answers, faster where a batch costs little more than one token (a GPU). On a CPU Hearth guesses only where its measured step costs say it pays. 'auto' uses the catalog's pair when your library has it.">
            Draft model (a library id, "auto", or empty for none){" "}
            <input value={settings.draft_model ?? ""} placeholder="none" disabled={!settings.speculative_decoding} onInput={(e) => set((s) => (s.draft_model = (e.target as HTMLInputElement).value.trim() || null))} />
          </label>
          <label title="How the conversation's working memory (the KV cache) is stored. Smaller types fit longer conversations and documents in the same memory, for a small loss of quality measured in BENCHMARKS.md.">
            Conversation memory{" "}
            <select aria-label="KV cache type" value={settings.kv_cache} onChange={(e) => set((s) => (s.kv_cache = (e.target as HTMLSelectElement).value as "f16" | "q8_0" | "q8_0_k_q4_0_v"))}>
              <option value="f16">Full precision (f16)</option>
              <option value="q8_0">8-bit: about twice the context, nearly the same answers (q8_0)</option>
              <option value="q8_0_k_q4_0_v">8-bit keys, 4-bit values: about 2.5 times the context (q8_0 / q4_0)</option>
            </select>
          </label>
        </fieldset>
        <fieldset>
          <legend>Sampling</legend>
          <label>
            Temperature{" "}
            <input type="number" step="0.05" min={0} value={settings.sampling.temperature} onInput={(e) => set((s) => (s.sampling.temperature = Number((e.target as HTMLInputElement).value)))} />
          </label>
          <label>
            Top-p{" "}
            <input type="number" step="0.05" min={0} max={1} value={settings.sampling.top_p} onInput={(e) => set((s) => (s.sampling.top_p = Number((e.target as HTMLInputElement).value)))} />
          </label>
          <label>
            Top-k{" "}
            <input type="number" min={0} value={settings.sampling.top_k} onInput={(e) => set((s) => (s.sampling.top_k = Number((e.target as HTMLInputElement).value)))} />
          </label>
          <label>
            Longest answer (tokens){" "}
            <input type="number" min={1} value={settings.sampling.max_tokens ?? ""} onInput={(e) => set((s) => (s.sampling.max_tokens = number((e.target as HTMLInputElement).value)))} />
          </label>
          <label title="Reasoning models think before they answer; past this many tokens they are made to answer with what they have">
            Longest thinking (tokens, empty = no limit){" "}
            <input
              type="number"
              min={1}
              value={settings.sampling.thinking_budget ?? ""}
              aria-label="Thinking budget"
              onInput={(e) => set((s) => (s.sampling.thinking_budget = number((e.target as HTMLInputElement).value)))}
            />
          </label>
        </fieldset>
        <fieldset>
          <legend>Checking</legend>
          <label title="Fast looks up each number, date, name, quote and code span in the source, without a model. Thorough then compares each sentence with the closest ones in the source (the embedding model) and asks a model whether they support it: slower by a generation per sentence.">
            Check what the model wrote against its source{" "}
            <select aria-label="Grounding check" value={settings.grounding ?? "fast"} onChange={(e) => set((s) => (s.grounding = (e.target as HTMLSelectElement).value as GroundingMode))}>
              <option value="off">Off</option>
              <option value="fast">Fast: numbers, dates, names, quotes and code</option>
              <option value="thorough">Thorough: also similarity and a model judge</option>
            </select>
          </label>
          <p class="hint">
            Summary points, answers from documents and translated pieces whose facts the source does not have are marked with the reason. Thorough also catches a flipped “not” or an
            added claim, for a generation per sentence.
          </p>
          {settings.grounding === "thorough" && (
            <label>
              Judge{" "}
              <select aria-label="Judge model" value={settings.grounding_judge ?? ""} onChange={(e) => set((s) => (s.grounding_judge = (e.target as HTMLSelectElement).value || null))}>
                <JudgeOptions models={models} value={settings.grounding_judge ?? ""} />
              </select>
            </label>
          )}
        </fieldset>
        <fieldset>
          <legend>Search</legend>
          <label>
            <input type="checkbox" checked={settings.search_thinking ?? false} onChange={(e) => set((s) => (s.search_thinking = (e.target as HTMLInputElement).checked))} /> Search
            reasoning models' thinking too, not only their answers
          </label>
        </fieldset>
        <fieldset>
          <legend>Privacy</legend>
          <label>
            <input type="checkbox" checked={settings.redaction.enabled} onChange={(e) => set((s) => (s.redaction.enabled = (e.target as HTMLInputElement).checked))} /> Before
            anything goes to a remote provider, replace email addresses, phone numbers, IBANs, card numbers and IP addresses with placeholders (put back in the
            answer you read)
          </label>
          <label>
            Names to hide the same way, one per line (people, clients, companies){" "}
            <textarea
              rows={3}
              value={names ?? settings.redaction.names.join("\n")}
              onInput={(e) => {
                const typed = (e.target as HTMLTextAreaElement).value;
                setNames(typed);
                set((s) => (s.redaction.names = typed.split("\n").map((n) => n.trim()).filter(Boolean)));
              }}
            />
          </label>
          <label>
            <input type="checkbox" checked={settings.isolate_models} onChange={(e) => set((s) => (s.isolate_models = (e.target as HTMLInputElement).checked))} /> Run models in a separate process (a model crash cannot take Hearth down)
          </label>
        </fieldset>
        <ErrorNote error={error} onDismiss={() => setError(null)} />
        <button type="submit" class="primary">
          Save
        </button>
        {saved && <span role="status"> Saved. Models already loaded keep their settings until Hearth restarts.</span>}
      </form>
      <fieldset>
        <legend>Remote models</legend>
        <RemoteProviders key={erased} />
      </fieldset>
      <fieldset>
        <legend>Tool servers (MCP)</legend>
        <McpServers />
      </fieldset>
      {about && (
        <fieldset>
          <legend>Data folder</legend>
          <p>
            History, models and the audit log: <code>{about.data_folder}</code>
          </p>
          <p>
            Settings file: <code>{about.config_file}</code>
          </p>
          <p>
            Logs: <code>{about.logs_folder}</code>
          </p>
          <p>Set HEARTH_HOME before starting Hearth to keep everything in another folder.</p>
        </fieldset>
      )}
      <Backup />
      <DeleteEverything
        onDeleted={() => {
          // The names listed for redaction went too: show the settings as they are now,
          // so saving the form does not put them back.
          api.settings().then((s) => {
            setSettings(s);
            setNames(null);
            setSaved(false);
          }, setError);
          setErased((n) => n + 1);
        }}
      />
    </section>
  );
}

/** The judge's choices: the local models, then the connected providers' models, which
 * this fetches itself (so their arrival redraws only this list). */
function JudgeOptions({ models, value }: { models: ModelEntry[]; value: string }) {
  const api = useApi();
  const [providers, setProviders] = useState<Provider[]>([]);
  useEffect(() => {
    api.providers().then((p) => setProviders(p.providers), () => {});
  }, []);
  return <ModelOptions models={models} providers={providers} value={value} empty="The model that wrote the text" />;
}
