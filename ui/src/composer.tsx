// The chat's composer: the message box (Enter sends, Shift+Enter breaks the line, Escape
// stops an answer), documents attached to the next message (dropped, chosen or arriving
// from the desktop window) shown as chips, and the prompt library's picker.

import { useState } from "preact/hooks";
import type { DocumentSource } from "./api";
import { ChooseDocument, documentSource } from "./document-input";
import { PromptPicker } from "./prompt-picker";

/** A document dropped on the chat, sent as part of the next message. */
export interface Attachment {
  name: string;
  markdown: string;
  characters: number;
}

/** A document to read and attach: its name, and how to get its bytes when read. */
export type IncomingDocument = { name: string; source: () => Promise<DocumentSource> };

/** The message the model sees: each attached document's text, then what the user wrote.
 * Stored as sent, so the history shows exactly what the model was given. */
export function withAttachments(text: string, attachments: Attachment[]): string {
  if (attachments.length === 0) return text;
  const documents = attachments.map((a) => `Document: ${a.name}\n\n${a.markdown.trim()}`).join("\n\n---\n\n");
  return text ? `${documents}\n\n---\n\n${text}` : documents;
}

interface Props {
  draft: string;
  onDraft: (draft: string | ((current: string) => string)) => void;
  attachments: Attachment[];
  onAttach: (documents: IncomingDocument[]) => void;
  onRemove: (index: number) => void;
  /** An answer is being written: the Send button is Stop. */
  busy: boolean;
  onSend: () => void;
  onStop: () => void;
}

export function Composer({ draft, onDraft, attachments, onAttach, onRemove, busy, onSend, onStop }: Props) {
  const [choosingPrompt, setChoosingPrompt] = useState(false);
  const dropped = (files: File[]) => onAttach(files.map((f) => ({ name: f.name, source: () => documentSource(f) })));
  return (
    <>
      {attachments.length > 0 && (
        <ul class="attachments" aria-label="Documents sent with the next message">
          {attachments.map((a, i) => (
            <li key={i} class="chip">
              {a.name} · {a.characters.toLocaleString()} characters{" "}
              <button type="button" class="ghost" aria-label={`Remove ${a.name}`} onClick={() => onRemove(i)}>
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
            onDraft((current) => (current.trim() ? `${current.trimEnd()}\n\n${text}` : text));
            setChoosingPrompt(false);
            document.getElementById("composer")?.focus();
          }}
        />
      )}
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          onSend();
        }}
        onDragOver={(e) => e.preventDefault()}
        onDrop={(e) => {
          e.preventDefault();
          dropped(Array.from(e.dataTransfer?.files ?? []));
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
          onInput={(e) => onDraft((e.target as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              onSend();
            } else if (e.key === "Escape" && busy) onStop();
          }}
        />
        <button type="button" aria-expanded={choosingPrompt} onClick={() => setChoosingPrompt(!choosingPrompt)}>
          Prompts
        </button>
        <ChooseDocument label="Attach…" ariaLabel="Attach a document to the next message" onPick={(d) => d && onAttach([{ name: d.name, source: () => documentSource(d) }])} />
        {busy ? (
          <button type="button" class="danger" onClick={onStop}>
            Stop
          </button>
        ) : (
          <button type="submit" class="primary" disabled={!draft.trim() && attachments.length === 0}>
            Send
          </button>
        )}
      </form>
    </>
  );
}
