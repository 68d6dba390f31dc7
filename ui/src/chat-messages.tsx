// The chat's messages: the shown branch with each message's versions (‹ 1 / 2 ›), copy,
// edit and regenerate, its sources, where it was written and its speed; the summary that
// stands in for folded turns; and the answer being written, with its thinking and tool
// calls, below them.

import { useEffect, useRef, useState } from "preact/hooks";
import type { ConversationView, Message } from "./api";
import type { Live } from "./chat-live";
import { CopyButton, MarkdownView } from "./markdown-view";
import { ThinkingBlock, thinkingMillis } from "./thinking";
import { ToolCalls } from "./tool-calls";
import { GroundingNote } from "./grounding-note";
import { ShowEarlier, useMessageWindow } from "./message-window";
import { ChevronLeft, ChevronRight, MessageSquare, Pencil, RefreshCw } from "lucide-preact";

interface Props {
  /** The conversation shown; none for a new chat. */
  conversationId?: string;
  view: ConversationView | null;
  live: Live | null;
  /** The summary of turns folded out during this visit, before the view has it. */
  folded: string | null;
  /** Speed readouts of answers finished during this visit, by message id. */
  speeds: Record<string, string>;
  /** The provider the chat's model is at, when it is a remote one. */
  remoteProvider?: string;
  /** The name to show for the model an answer was recorded under (its header's name). */
  modelName?: (recorded: string) => string;
  onEdit: (messageId: string, text: string) => void;
  onRegenerate: (messageId: string) => void;
  onSwitch: (messageId: string) => void;
  onSource: (passageId: number) => void;
  /** A tool call of a finished answer was approved or declined. */
  onToolDecided: () => void;
}

export function ChatMessages({ conversationId: id, view, live, folded, speeds, remoteProvider, modelName, onEdit, onRegenerate, onSwitch, onSource, onToolDecided }: Props) {
  const [editing, setEditing] = useState<string | null>(null);
  const end = useRef<HTMLDivElement>(null);
  // The view follows the end of the conversation (a new answer as it is written) while
  // the reader is there; once they scroll up to read, it stays where they are.
  const following = useRef(true);
  const writing = !!live;
  useEffect(() => {
    following.current = true;
  }, [id]);
  useEffect(() => {
    if (writing) following.current = true;
  }, [writing]);
  useEffect(() => {
    const toEnd = () => following.current && end.current?.scrollIntoView?.({ block: "end" });
    toEnd();
    // Again once laid out: fonts and highlighted code can still change heights after this
    // effect (a first scroll short of the end was seen at phone width).
    const frame = requestAnimationFrame(toEnd);
    document.fonts?.ready.then(toEnd);
    return () => cancelAnimationFrame(frame);
  }, [live?.text, view]);
  const messages = view?.messages ?? [];
  // Long conversations render their newest messages first, earlier ones as scrolled to.
  const windowed = useMessageWindow(messages, view?.conversation.id);
  return (
    <div
      class="messages"
      aria-live="polite"
      onScroll={(e) => {
        const scroller = e.currentTarget as HTMLElement;
        following.current = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
      }}
    >
      {!id && !live && (
        <div class="empty-state">
          <MessageSquare size={32} class="icon" aria-hidden="true" />
          <h2>Ask anything</h2>
          <p class="empty">
            {remoteProvider ? `Messages in this chat are sent to ${remoteProvider}.` : "Your conversation stays on this computer."} Press <kbd>/</kbd> to type, <kbd>Ctrl</kbd>+<kbd>K</kbd> to search.
          </p>
        </div>
      )}
      {(folded !== null || (view?.summaries.length ?? 0) > 0) && (
        <details class="folded">
          <summary>Earlier messages were summarized to fit the model's context</summary>
          <MarkdownView text={folded ?? view!.summaries[view!.summaries.length - 1].content} />
        </details>
      )}
      <ShowEarlier messages={windowed} />
      {windowed.visible.map((m) => {
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
                  if (text) onEdit(m.id, text);
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
                {m.tool_calls && m.tool_calls.length > 0 && <ToolCalls answerId={m.id} calls={m.tool_calls} onDecided={onToolDecided} />}
                <MarkdownView text={m.content} />
              </>
            )}
            {m.state !== "done" && m.role === "assistant" && <p class="state">{stateNote(m)}</p>}
            {m.role === "assistant" && <GroundingNote report={view?.grounding?.[m.id]} />}
            {m.role === "assistant" && (view?.sources?.[m.id]?.length ?? 0) > 0 && (
              <ol class="sources" aria-label="Sources">
                {view!.sources![m.id].map((s) => (
                  <li key={s.number}>
                    <button type="button" class="ref" onClick={() => onSource(s.id)} aria-label={`Open source ${s.number}: ${s.label}`}>
                      [{s.number}] {s.label}
                    </button>
                  </li>
                ))}
              </ol>
            )}
            <footer>
              {siblings && (
                <span class="branches" aria-label="Versions">
                  <button type="button" class="ghost icon-only small" aria-label="Previous version" disabled={index <= 0 || !!live} onClick={() => onSwitch(siblings[index - 1])}>
                    <ChevronLeft size={14} aria-hidden="true" />
                  </button>
                  {index + 1} / {siblings.length}
                  <button type="button" class="ghost icon-only small" aria-label="Next version" disabled={index >= siblings.length - 1 || !!live} onClick={() => onSwitch(siblings[index + 1])}>
                    <ChevronRight size={14} aria-hidden="true" />
                  </button>
                </span>
              )}
              <span class="message-actions">
                <CopyButton text={m.content} label={m.role === "user" ? "Copy your message" : "Copy the answer"} />
                {m.role === "user" && !live && (
                  <button type="button" class="ghost small" onClick={() => setEditing(m.id)}>
                    <Pencil size={14} aria-hidden="true" /> Edit
                  </button>
                )}
                {m.role === "assistant" && !live && id && (
                  <button type="button" class="ghost small" onClick={() => onRegenerate(m.id)}>
                    <RefreshCw size={14} aria-hidden="true" /> Regenerate
                  </button>
                )}
              </span>
              {m.role === "assistant" && m.model && <Origin model={modelName ? modelName(m.model) : m.model} provider={m.provider} />}
              {speeds[m.id] && <span class="readout">{speeds[m.id]}</span>}
              {!speeds[m.id] && m.token_count != null && m.role === "assistant" && <span class="readout">{m.token_count} tokens</span>}
            </footer>
          </article>
        );
      })}
      {live && <LiveAnswer live={live} messages={messages} />}
      <div ref={end} />
    </div>
  );
}

/** The question just sent (until the history has it) and the answer being written. */
function LiveAnswer({ live, messages }: { live: Live; messages: Message[] }) {
  const waiting = live.calls.some((c) => c.status === "pending");
  const toolsBusy = live.calls.some((c) => c.status === "pending" || c.status === "running");
  return (
    <>
      {live.question && !messages.some((m) => m.content === live.question && m.role === "user") && (
        <article class="message user">
          <div class="user-text">{live.question}</div>
        </article>
      )}
      {/* Not busy while a call waits for the user: its choices are what to read now. */}
      <article class="message assistant streaming" data-state="streaming" aria-busy={waiting ? "false" : "true"}>
        {live.thinking.text && (
          <ThinkingBlock
            text={live.thinking.text}
            live={!live.text && live.calls.length === 0}
            ms={thinkingMillis(live.thinking, live.text || live.calls.length > 0 ? undefined : performance.now())}
          />
        )}
        {live.calls.length > 0 && <ToolCalls answerId={live.answerId} calls={live.calls} />}
        {live.text ? <MarkdownView text={live.text} /> : (live.calls.length > 0 ? !toolsBusy : !live.thinking.text) && <p class="state">Thinking…</p>}
      </article>
    </>
  );
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
