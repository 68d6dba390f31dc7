// The chat page: loads the conversation and the lists its pickers need, runs turns
// (send, edit, regenerate) as streams folded into the answer being written, and keeps
// the conversation's settings in step with the server. What is shown is in its parts:
// the header with the model and context meter (chat-toolbar), the settings drawer
// (chat-settings), the messages and the live answer (chat-messages), the composer with
// attached documents and the prompt picker (composer); the stream's event rules are in
// chat-live. Sampling set in the drawer is this page's, sent with each turn.

import { useContext, useEffect, useRef, useState } from "preact/hooks";
import type { Collection, ConversationChange, ConversationView, ModelEntry, Passage, Persona, Provider } from "./api";
import { ErrorNote, HistoryContext, navigate, useApi } from "./shell";
import { PassagePanel } from "./passage";
import { documentSource, useArrivingDocuments } from "./document-input";
import { newLive, withTurnEvent, type Live, type TurnEvent } from "./chat-live";
import { ChatToolbar } from "./chat-toolbar";
import { ChatSettings, type ChatSampling } from "./chat-settings";
import { ChatMessages } from "./chat-messages";
import { Composer, withAttachments, type Attachment, type IncomingDocument } from "./composer";

/** Starts a turn's stream: events go to `onEvent` until it ends or `signal` aborts it. */
type StartTurn = (onEvent: (e: TurnEvent) => void, signal: AbortSignal) => Promise<void>;

export function ChatPage({ id }: { id?: string }) {
  const api = useApi();
  const { changed } = useContext(HistoryContext);
  const [view, setView] = useState<ConversationView | null>(null);
  const [models, setModels] = useState<ModelEntry[]>([]);
  const [personas, setPersonas] = useState<Persona[]>([]);
  const [collections, setCollections] = useState<Collection[]>([]);
  const [providers, setProviders] = useState<Provider[]>([]);
  const [model, setModel] = useState("");
  const [persona, setPersona] = useState("");
  const [draft, setDraft] = useState("");
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [live, setLive] = useState<Live | null>(null);
  const [folded, setFolded] = useState<string | null>(null);
  const [speeds, setSpeeds] = useState<Record<string, string>>({});
  const [passage, setPassage] = useState<(Passage & { label: string }) | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [settingsOpen, setSettingsOpen] = useState(false);
  // Sampling set in the drawer, per conversation ("" for a new chat), for this visit.
  const [samplings, setSamplings] = useState<Record<string, ChatSampling>>({});
  const sampling = samplings[id ?? ""] ?? {};
  const samplingOptions = (): Record<string, number> => Object.fromEntries(Object.entries(sampling).filter(([, v]) => v !== undefined)) as Record<string, number>;
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

  const attachDocuments = async (documents: IncomingDocument[]) => {
    for (const { name, source } of documents) {
      try {
        const read = await api.readDocument(await source());
        setAttachments((list) => [...list, { name, markdown: read.markdown, characters: read.characters }]);
      } catch (e) {
        setError(e);
      }
    }
  };
  useArrivingDocuments((files) => attachDocuments(files.map((f) => ({ name: f.name, source: () => documentSource(f) }))));

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

  /** Runs a streamed turn and reloads the conversation when it ends. */
  async function runTurn(conversationId: string, question: string | undefined, start: StartTurn) {
    const controller = new AbortController();
    abort.current = controller;
    let state = newLive(question, performance.now());
    setLive(state);
    try {
      await start((event) => {
        const { live: next, effects } = withTurnEvent(state, event, performance.now());
        state = next;
        if (effects.folded !== undefined) setFolded(effects.folded);
        if (effects.speed) setSpeeds((s) => ({ ...s, [effects.speed!.messageId]: effects.speed!.text }));
        if (effects.error) setError(new Error(effects.error));
        setLive(state);
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

  async function send() {
    const text = withAttachments(draft.trim(), attachments);
    if (!text || live) return;
    let conversationId = id;
    const options = samplingOptions();
    try {
      if (!conversationId) {
        const conversation = await api.createConversation({ model: model || undefined, persona_id: persona || undefined });
        conversationId = conversation.id;
        // The new chat keeps the sampling chosen before it had an id.
        setSamplings((all) => ({ ...all, [conversation.id]: all[""] ?? {}, "": {} }));
        navigate(`#/chat/${encodeURIComponent(conversationId)}`);
      }
    } catch (e) {
      setError(e);
      return;
    }
    setDraft("");
    setAttachments([]);
    await runTurn(conversationId!, text, (onEvent, signal) => api.send(conversationId!, text, onEvent, signal, options));
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

  /** A setting of the shown conversation (thinking, tools, documents), then the view again. */
  const change = async (settings: ConversationChange) => {
    if (!id) return;
    try {
      await api.changeConversation(id, settings);
      await load(id);
    } catch (e) {
      setError(e);
    }
  };

  const changeModel = async (value: string) => {
    setModel(value);
    if (id) await api.changeConversation(id, { model: value }).catch(setError);
  };

  const changeAdapter = async (adapter: { path: string; scale: number } | null) => {
    if (!id) return;
    try {
      await api.setAdapter(id, adapter);
      setError(null);
    } catch (e) {
      setError(e);
    } finally {
      await load(id);
    }
  };

  // The provider this chat's messages go to, when its model is a remote one.
  const remoteProvider = providers.find((p) => model === p.name || model.startsWith(`${p.name}:`))?.name;
  return (
    <section class="chat" aria-label="Chat">
      <ChatToolbar
        conversationId={id}
        view={view}
        model={model}
        models={models}
        providers={providers}
        sampling={sampling}
        settingsOpen={settingsOpen}
        onModel={changeModel}
        onOpenSettings={() => setSettingsOpen(true)}
      />
      {settingsOpen && (
        <ChatSettings
          conversationId={id}
          view={view}
          remote={!!remoteProvider}
          collections={collections}
          persona={persona}
          personas={personas}
          sampling={sampling}
          busy={!!live}
          onPersona={setPersona}
          onChange={change}
          onAdapter={changeAdapter}
          onSampling={(next) => setSamplings((all) => ({ ...all, [id ?? ""]: next }))}
          onClose={() => setSettingsOpen(false)}
          error={error}
          onDismissError={() => setError(null)}
        />
      )}
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {passage && <PassagePanel passage={passage} onClose={() => setPassage(null)} />}
      <ChatMessages
        conversationId={id}
        view={view}
        live={live}
        folded={folded}
        speeds={speeds}
        remoteProvider={remoteProvider}
        modelName={(recorded) => models.find((m) => m.summary?.name === recorded || m.id === recorded)?.display_name ?? recorded}
        onEdit={(messageId, text) => id && runTurn(id, text, (onEvent, signal) => api.edit(messageId, text, onEvent, signal, samplingOptions()))}
        onRegenerate={(messageId) => id && runTurn(id, undefined, (onEvent, signal) => api.regenerate(messageId, onEvent, signal, samplingOptions()))}
        onSwitch={switchTo}
        onSource={(passageId) => api.passage(passageId).then(setPassage, setError)}
        onToolDecided={() => id && !live && load(id)}
      />
      <Composer
        draft={draft}
        onDraft={setDraft}
        attachments={attachments}
        onAttach={attachDocuments}
        onRemove={(index) => setAttachments((list) => list.filter((_, j) => j !== index))}
        busy={!!live}
        onSend={send}
        onStop={stop}
      />
    </section>
  );
}
