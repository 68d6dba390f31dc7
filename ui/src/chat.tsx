// The chat page: the shown branch of a conversation, streaming answers with stop,
// regenerate, edit, branch switching, copy, a token and speed readout, the model and
// persona pickers, the summary that stands in for folded turns, documents dropped on
// the chat (or on the desktop app's window) sent with the next message, prompts from
// the library filled in and put into the composer, and a reasoning model's thinking
// folded above its answer (streaming while it thinks) with the conversation's switch,
// and the MCP tool calls an answer makes, each waiting for the user's approval.

import { useContext, useEffect, useRef, useState } from "preact/hooks";
import type { Collection, ConversationView, DocumentSource, Message, ModelEntry, Passage, Persona, Provider, ToolCallRecord } from "./api";
import { ErrorNote, HistoryContext, navigate, useApi } from "./shell";
import { CopyButton, MarkdownView } from "./markdown-view";
import { PassagePanel } from "./passage";
import { ChooseDocument, documentSource, useArrivingDocuments } from "./document-input";
import { ModelOptions } from "./model-options";
import { PromptPicker } from "./prompt-picker";
import { adapterLabel, parseAdapterScale } from "./adapter";
import { native } from "./desktop";
import { addThinking, thinkingMillis, ThinkingBlock, ThinkingSwitch, type LiveThinking } from "./thinking";
import { ToolCalls, withToolCall } from "./tool-calls";

interface Live {
  answerId?: string;
  question?: string;
  text: string;
  started: number;
  firstDelta?: number;
  /** The model's thinking so far, before the answer. */
  thinking: LiveThinking;
  /** The tools it called so far, each in its latest state. */
  calls: ToolCallRecord[];
  /** Where the model runs: "CPU", or the GPU and its layers. */
  ranOn?: string;
}

export function ChatPage({ id }: { id?: string }) {
  const api = useApi();
  const { changed } = useContext(HistoryContext);
  const [view, setView] = useState<ConversationView | null>(null);
  const [models, setModels] = useState<ModelEntry[]>([]);
  const [personas, setPersonas] = useState<Persona[]>([]);
  const [model, setModel] = useState("");
  const [persona, setPersona] = useState("");
  const [draft, setDraft] = useState("");
  const [live, setLive] = useState<Live | null>(null);
  const [folded, setFolded] = useState<string | null>(null);
  const [speeds, setSpeeds] = useState<Record<string, string>>({});
  const [editing, setEditing] = useState<string | null>(null);
  const [collections, setCollections] = useState<Collection[]>([]);
  const [providers, setProviders] = useState<Provider[]>([]);
  const [passage, setPassage] = useState<(Passage & { label: string }) | null>(null);
  const [error, setError] = useState<unknown>(null);
  const abort = useRef<AbortController | null>(null);
  // The conversation on screen, for work that finishes after the user moved on.
  const shown = useRef(id);
  shown.current = id;
  // Left the chat page: background looks for a title stop, so nothing asks for a
  // conversation that "delete everything" on another page may have removed.
  useEffect(
    () => () => {
      shown.current = undefined;
    },
    [],
  );
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [choosingPrompt, setChoosingPrompt] = useState(false);
  const attachDocuments = async (sources: { name: string; source: () => Promise<DocumentSource> }[]) => {
    for (const { name, source } of sources) {
      try {
        const read = await api.readDocument(await source());
        setAttachments((list) => [...list, { name, markdown: read.markdown, characters: read.characters }]);
      } catch (e) {
        setError(e);
      }
    }
  };
  useArrivingDocuments((files) => attachDocuments(files.map((f) => ({ name: f.name, source: () => documentSource(f) }))));
  const end = useRef<HTMLDivElement>(null);

  useEffect(() => {
    api.models().then(setModels, () => {});
    api.personas().then(setPersonas, () => {});
    api.collections().then(setCollections, () => {});
    api.providers().then((p) => setProviders(p.providers), () => {});
  }, []);

  const load = (conversationId: string): Promise<ConversationView | undefined> =>
    api.conversation(conversationId).then(
      (v) => {
        setView(v);
        setModel(v.conversation.model ?? "");
        return v;
      },
      (e) => {
        setError(e);
        return undefined;
      },
    );

  useEffect(() => {
    setError(null);
    setFolded(null);
    if (id) load(id);
    else setView(null);
  }, [id]);

  useEffect(() => end.current?.scrollIntoView?.({ block: "end" }), [live?.text, view]);

  /** Runs a streamed turn and reloads the conversation when it ends. */
  async function runTurn(conversationId: string, question: string | undefined, start: (onEvent: (e: { event: string; data: any }) => void, signal: AbortSignal) => Promise<void>) {
    const controller = new AbortController();
    abort.current = controller;
    const state: Live = { text: "", question, started: performance.now(), thinking: { text: "" }, calls: [] };
    setLive({ ...state });
    try {
      await start((event) => {
        if (event.event === "started") {
          state.answerId = event.data.answer_id;
          state.ranOn = event.data.ran_on ?? undefined;
        }
        else if (event.event === "folded") setFolded(event.data.summary?.content ?? "");
        else if (event.event === "reasoning") state.thinking = addThinking(state.thinking, event.data.text, performance.now());
        else if (event.event === "tool_call") {
          let call: ToolCallRecord = event.data.call;
          if (!state.calls.some((c) => c.round === call.round)) {
            // A round's first call: what the model wrote so far was its lead-in to the
            // calls (shown with them), and the text after the results starts afresh.
            if (!call.preamble && state.text.trim()) call = { ...call, preamble: state.text };
            state.text = "";
          }
          state.calls = withToolCall(state.calls, call);
        } else if (event.event === "delta") {
          state.firstDelta ??= performance.now();
          state.text += event.data.text;
        } else if (event.event === "finished") {
          const message: Message = event.data.message;
          // Not after tool calls: the time spent waiting on the user and the tools is no speed.
          if (message.token_count && state.firstDelta && state.calls.length === 0) {
            const seconds = (performance.now() - state.firstDelta) / 1000;
            const where = state.ranOn ? ` on ${state.ranOn}` : "";
            setSpeeds((s) => ({ ...s, [message.id]: `${message.token_count} tokens · ${(Math.max(message.token_count! - 1, 0) / Math.max(seconds, 0.001)).toFixed(1)} tokens/s${where}` }));
          }
          if (message.state === "failed") setError(new Error(message.error ?? "the answer failed"));
        } else if (event.event === "error") setError(new Error(event.data.message));
        setLive({ ...state });
      }, controller.signal);
    } catch (e) {
      setError(e);
    } finally {
      abort.current = null;
      setLive(null);
      const loaded = await load(conversationId);
      changed();
      if (loaded && !loaded.conversation.title) awaitTitle(conversationId);
    }
  }

  /** The model titles a new conversation in the background after its first answer:
   * look again for a while, so the header and the history show the title once it is
   * written (nothing else would tell the page). */
  async function awaitTitle(conversationId: string) {
    for (let attempt = 0; attempt < 30; attempt++) {
      await new Promise((wake) => setTimeout(wake, 1000));
      if (shown.current !== conversationId) return;
      // The list, not the conversation itself: the conversation may have been deleted
      // meanwhile, and a 404 would be an error in the console for nothing.
      const listed = await api.conversations().catch(() => null);
      const conversation = listed?.find((c) => c.id === conversationId);
      if (!conversation) return;
      if (conversation.title) {
        if (shown.current === conversationId) await load(conversationId);
        changed();
        return;
      }
    }
  }

  async function send(event?: Event) {
    event?.preventDefault();
    const text = withAttachments(draft.trim(), attachments);
    if (!text || live) return;
    let conversationId = id;
    try {
      if (!conversationId) {
        const conversation = await api.createConversation({ model: model || undefined, persona_id: persona || undefined });
        conversationId = conversation.id;
        navigate(`#/chat/${encodeURIComponent(conversationId)}`);
      }
    } catch (e) {
      setError(e);
      return;
    }
    setDraft("");
    setAttachments([]);
    await runTurn(conversationId!, text, (onEvent, signal) => api.send(conversationId!, text, onEvent, signal));
  }

  const stop = () => abort.current?.abort();

  const switchTo = async (messageId: string) => {
    if (!id) return;
    try {
      setView(await api.switchBranch(id, messageId));
    } catch (e) {
      setError(e);
    }
  };

  const attached = view?.conversation.settings?.collection ?? "";
  const attach = async (value: string) => {
    if (!id) return;
    try {
      await api.changeConversation(id, { collection: value });
      await load(id);
    } catch (e) {
      setError(e);
    }
  };

  const thinkingSetting = view?.conversation.settings?.thinking;
  const changeThinking = async (mode: "on" | "off" | "default") => {
    if (!id) return;
    try {
      await api.changeConversation(id, { thinking: mode });
      await load(id);
    } catch (e) {
      setError(e);
    }
  };

  // Tools are offered unless the conversation turned them off.
  const toolsOn = view?.conversation.settings?.tools !== false;
  const changeTools = async (on: boolean) => {
    if (!id) return;
    try {
      await api.changeConversation(id, { tools: on });
      await load(id);
    } catch (e) {
      setError(e);
    }
  };

  const changeModel = async (value: string) => {
    setModel(value);
    if (id) await api.changeConversation(id, { model: value }).catch(setError);
  };

  const messages = view?.messages ?? [];
  // The provider this chat's messages go to, when its model is a remote one.
  const remoteProvider = providers.find((p) => model === p.name || model.startsWith(`${p.name}:`))?.name;
  return (
    <section class="chat" aria-label="Chat">
      <header class="toolbar">
        <h1>{view?.conversation.title || "New chat"}</h1>
        <label>
          Model{" "}
          <select value={model} onChange={(e) => changeModel((e.target as HTMLSelectElement).value)} aria-label="Model">
            <ModelOptions models={models} providers={providers} value={model} />
          </select>
        </label>
        {id && view?.thinking?.thinking_switch && (
          <ThinkingSwitch value={typeof thinkingSetting === "boolean" ? thinkingSetting : undefined} disabled={!!live} onChange={changeThinking} />
        )}
        {id && (view?.tool_servers ?? 0) > 0 && (
          <label title="Offer the tools of your MCP servers to the model; every call still asks you first">
            <input type="checkbox" checked={toolsOn} disabled={!!live} onChange={(e) => changeTools((e.target as HTMLInputElement).checked)} /> Tools
          </label>
        )}
        {id && collections.length > 0 && (
          <label>
            Documents{" "}
            <select value={attached} onChange={(e) => attach((e.target as HTMLSelectElement).value)} aria-label="Answer from documents">
              <option value="">None</option>
              {collections.map((c) => (
                <option key={c.id} value={c.name}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
        )}
        {id && view && !remoteProvider && (
          <AdapterControl
            key={id}
            attached={view.conversation.settings?.adapter ?? null}
            onChange={async (adapter) => {
              try {
                await api.setAdapter(id, adapter);
                setError(null);
              } catch (e) {
                setError(e);
              } finally {
                await load(id);
              }
            }}
          />
        )}
        {!id && (
          <label>
            Persona{" "}
            <select value={persona} onChange={(e) => setPersona((e.target as HTMLSelectElement).value)} aria-label="Persona">
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
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {passage && <PassagePanel passage={passage} onClose={() => setPassage(null)} />}
      <div class="messages" aria-live="polite">
        {!id && !live && (
          <p class="empty">
            Ask anything.{" "}
            {remoteProvider ? `Messages in this chat are sent to ${remoteProvider}.` : "Your conversation stays on this computer."} Press / to type, Ctrl+K to search.
          </p>
        )}
        {(folded !== null || (view?.summaries.length ?? 0) > 0) && (
          <details class="folded">
            <summary>Earlier messages were summarized to fit the model's context</summary>
            <MarkdownView text={folded ?? view!.summaries[view!.summaries.length - 1].content} />
          </details>
        )}
        {messages.map((m) => {
          const siblings = view?.siblings[m.id];
          const index = siblings?.indexOf(m.id) ?? 0;
          return (
            <article key={m.id} class={`message ${m.role} ${m.state}`} data-state={m.state} aria-label={m.role === "user" ? "You" : "Assistant"}>
              {editing === m.id ? (
                <form
                  class="edit"
                  onSubmit={(e) => {
                    e.preventDefault();
                    const text = (new FormData(e.currentTarget as HTMLFormElement).get("text") as string).trim();
                    setEditing(null);
                    if (text && id) runTurn(id, text, (onEvent, signal) => api.edit(m.id, text, onEvent, signal));
                  }}
                >
                  <textarea name="text" aria-label="Edit your message" defaultValue={m.content} rows={3} />
                  <button type="submit" class="primary">
                    Send
                  </button>
                  <button type="button" onClick={() => setEditing(null)}>
                    Cancel
                  </button>
                </form>
              ) : m.role === "user" ? (
                <div class="user-text">{m.content}</div>
              ) : (
                <>
                  {m.reasoning && <ThinkingBlock text={m.reasoning} ms={m.reasoning_ms} />}
                  {m.tool_calls && m.tool_calls.length > 0 && <ToolCalls answerId={m.id} calls={m.tool_calls} onDecided={() => id && !live && load(id)} />}
                  <MarkdownView text={m.content} />
                </>
              )}
              {m.state !== "done" && m.role === "assistant" && <p class="state">{stateNote(m)}</p>}
              {m.role === "assistant" && (view?.sources?.[m.id]?.length ?? 0) > 0 && (
                <ol class="sources" aria-label="Sources">
                  {view!.sources![m.id].map((s) => (
                    <li key={s.number}>
                      <button type="button" class="ref" onClick={() => api.passage(s.id).then(setPassage, setError)} aria-label={`Open source ${s.number}: ${s.label}`}>
                        [{s.number}] {s.label}
                      </button>
                    </li>
                  ))}
                </ol>
              )}
              <footer>
                {siblings && (
                  <span class="branches" aria-label="Versions">
                    <button type="button" class="ghost" aria-label="Previous version" disabled={index <= 0 || !!live} onClick={() => switchTo(siblings[index - 1])}>
                      ‹
                    </button>
                    {index + 1} / {siblings.length}
                    <button type="button" class="ghost" aria-label="Next version" disabled={index >= siblings.length - 1 || !!live} onClick={() => switchTo(siblings[index + 1])}>
                      ›
                    </button>
                  </span>
                )}
                <CopyButton text={m.content} />
                {m.role === "user" && !live && (
                  <button type="button" class="ghost" onClick={() => setEditing(m.id)}>
                    Edit
                  </button>
                )}
                {m.role === "assistant" && !live && id && (
                  <button type="button" class="ghost" onClick={() => runTurn(id, undefined, (onEvent, signal) => api.regenerate(m.id, onEvent, signal))}>
                    Regenerate
                  </button>
                )}
                {m.role === "assistant" && m.model && <Origin model={m.model} provider={m.provider} />}
                {speeds[m.id] && <span class="readout">{speeds[m.id]}</span>}
                {!speeds[m.id] && m.token_count != null && m.role === "assistant" && <span class="readout">{m.token_count} tokens</span>}
              </footer>
            </article>
          );
        })}
        {live && (
          <>
            {live.question && !messages.some((m) => m.content === live.question && m.role === "user") && (
              <article class="message user">
                <div class="user-text">{live.question}</div>
              </article>
            )}
            {/* Not busy while a call waits for the user: its choices are what to read now. */}
            <article class="message assistant streaming" data-state="streaming" aria-busy={live.calls.some((c) => c.status === "pending") ? "false" : "true"}>
              {live.thinking.text && (
                <ThinkingBlock
                  text={live.thinking.text}
                  live={!live.text && live.calls.length === 0}
                  ms={thinkingMillis(live.thinking, live.text || live.calls.length > 0 ? undefined : performance.now())}
                />
              )}
              {live.calls.length > 0 && <ToolCalls answerId={live.answerId} calls={live.calls} />}
              {live.text ? (
                <MarkdownView text={live.text} />
              ) : (
                (live.calls.length > 0 ? !live.calls.some((c) => c.status === "pending" || c.status === "running") : !live.thinking.text) && <p class="state">Thinking…</p>
              )}
            </article>
          </>
        )}
        <div ref={end} />
      </div>
      {attachments.length > 0 && (
        <ul class="attachments" aria-label="Documents sent with the next message">
          {attachments.map((a, i) => (
            <li key={i} class="chip">
              {a.name} · {a.characters.toLocaleString()} characters{" "}
              <button type="button" class="ghost" aria-label={`Remove ${a.name}`} onClick={() => setAttachments((list) => list.filter((_, j) => j !== i))}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      {choosingPrompt && (
        <PromptPicker
          onClose={() => setChoosingPrompt(false)}
          onInsert={(text) => {
            setDraft((current) => (current.trim() ? `${current.trimEnd()}\n\n${text}` : text));
            setChoosingPrompt(false);
            document.getElementById("composer")?.focus();
          }}
        />
      )}
      <form
        class="composer"
        onSubmit={send}
        onDragOver={(e) => e.preventDefault()}
        onDrop={(e) => {
          e.preventDefault();
          const files = Array.from(e.dataTransfer?.files ?? []);
          attachDocuments(files.map((f) => ({ name: f.name, source: () => documentSource(f) })));
        }}
      >
        <label class="visually-hidden" for="composer">
          Message
        </label>
        <textarea
          id="composer"
          rows={3}
          placeholder="Message Hearth (Enter to send, Shift+Enter for a new line)"
          value={draft}
          onInput={(e) => setDraft((e.target as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              send();
            } else if (e.key === "Escape" && live) stop();
          }}
        />
        <button type="button" aria-expanded={choosingPrompt} onClick={() => setChoosingPrompt(!choosingPrompt)}>
          Prompts
        </button>
        <ChooseDocument label="Attach…" ariaLabel="Attach a document to the next message" onPick={(d) => d && attachDocuments([{ name: d.name, source: () => documentSource(d) }])} />
        {live ? (
          <button type="button" class="danger" onClick={stop}>
            Stop
          </button>
        ) : (
          <button type="submit" class="primary" disabled={!draft.trim() && attachments.length === 0}>
            Send
          </button>
        )}
      </form>
    </section>
  );
}

/** The conversation's LoRA adapter: the attached one with Detach, or a path and scale to
 * attach (the server loads the model with it at once, so a file that does not fit the
 * model is refused with its reason, shown in the chat's error box). */
function AdapterControl({ attached, onChange }: { attached: { path: string; scale: number } | null; onChange: (adapter: { path: string; scale: number } | null) => Promise<void> }) {
  const [path, setPath] = useState("");
  const [chosenName, setChosenName] = useState("");
  const [scale, setScale] = useState("1");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState("");
  const run = async (adapter: { path: string; scale: number } | null) => {
    setBusy(true);
    try {
      await onChange(adapter);
    } finally {
      setBusy(false);
    }
  };
  if (attached) {
    return (
      <span class="adapter attached" aria-label="LoRA adapter">
        Adapter{" "}
        <span class="chip" title={`${attached.path} at scale ${attached.scale}`}>
          {adapterLabel(attached)}
        </span>{" "}
        <button type="button" class="ghost" disabled={busy} onClick={() => run(null)}>
          Detach
        </button>
      </span>
    );
  }
  return (
    <form
      class="adapter"
      aria-label="LoRA adapter"
      onSubmit={(e) => {
        e.preventDefault();
        const parsed = parseAdapterScale(scale);
        if (parsed.error !== undefined) return setProblem(parsed.error[0].toUpperCase() + parsed.error.slice(1));
        setProblem("");
        if (path.trim()) run({ path: path.trim(), scale: parsed.scale });
      }}
    >
      {native ? (
        // The app opens only files chosen in its dialog; the handle stands for the path.
        <button
          type="button"
          class="ghost"
          title="A LoRA adapter (.gguf) made for this chat's model, on this computer"
          onClick={async () => {
            const file = await native!.pickGguf("Choose a LoRA adapter (.gguf)");
            if (file) {
              setPath(file.handle);
              setChosenName(file.name);
            }
          }}
        >
          {chosenName ? `Adapter: ${chosenName}` : "Choose adapter…"}
        </button>
      ) : (
        <label title="A LoRA adapter (.gguf) made for this chat's model, on this computer">
          Adapter{" "}
          <input value={path} size={16} placeholder="/path/to/adapter.gguf" aria-label="Adapter file" onInput={(e) => setPath((e.target as HTMLInputElement).value)} />
        </label>
      )}
      <label>
        Scale{" "}
        <input
          type="number"
          min={0}
          max={1}
          step="any"
          value={scale}
          aria-label="Adapter scale"
          aria-invalid={problem ? "true" : undefined}
          onInput={(e) => setScale((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit" disabled={busy || !path.trim()}>
        {busy ? "Attaching…" : "Attach"}
      </button>
      {problem && (
        <span class="warning" role="alert">
          {problem}
        </span>
      )}
    </form>
  );
}

/** A document dropped on the chat, sent as part of the next message. */
interface Attachment {
  name: string;
  markdown: string;
  characters: number;
}

/** The message the model sees: each attached document's text, then what the user wrote.
 * Stored as sent, so the history shows exactly what the model was given. */
export function withAttachments(text: string, attachments: Attachment[]): string {
  if (attachments.length === 0) return text;
  const documents = attachments.map((a) => `Document: ${a.name}\n\n${a.markdown.trim()}`).join("\n\n---\n\n");
  return text ? `${documents}\n\n---\n\n${text}` : documents;
}

function stateNote(m: Message): string {
  switch (m.state) {
    case "stopped":
      return "Stopped. Regenerate to get a whole answer.";
    case "failed":
      return `Failed: ${m.error ?? "unknown error"}. Regenerate to try again.`;
    case "interrupted":
      return "Cut off when Hearth stopped. Regenerate to finish it.";
    case "streaming":
      return "Still being written…";
    default:
      return "";
  }
}

/** Where an answer was written: on this computer, or by which remote provider (so the
 * text sent with it left the machine). */
function Origin({ model, provider }: { model: string; provider?: string | null }) {
  return provider ? (
    <span class="origin remote" data-origin="remote" title={`Written by ${model} at ${provider}: the conversation was sent there`}>
      {model} · via {provider}
    </span>
  ) : (
    <span class="origin local" data-origin="local" title="Written on this computer; nothing was sent anywhere">
      {model} · on this computer
    </span>
  );
}
