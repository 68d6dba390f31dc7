// The chat's composer: the message box (Enter sends, Shift+Enter breaks the line, Escape
// stops an answer), documents attached to the next message (dropped, chosen or arriving
// from the desktop window) shown as chips, and the prompt library's picker.

import { useState } from "preact/hooks";
import type { DocumentSource } from "./api";
import { ChooseDocument, documentSource } from "./document-input";
import { PromptPicker } from "./prompt-picker";
import { BookMarked, FileText, Paperclip, SendHorizontal, Square, X } from "lucide-preact";

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
    <div class="composer-area">
      {attachments.length > 0 && (
        <ul class="attachments" aria-label="Documents sent with the next message">
          {attachments.map((a, i) => (
            <li key={i} class="chip">
              <FileText size={14} aria-hidden="true" />
              {a.name} · {a.characters.toLocaleString()} characters{" "}
              <button type="button" class="ghost icon-only small" aria-label={`Remove ${a.name}`} onClick={() => onRemove(i)}>
                <X size={14} aria-hidden="true" />
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
          rows={2}
          placeholder="Message Hearth"
          aria-describedby="composer-hint"
          value={draft}
          onInput={(e) => onDraft((e.target as HTMLTextAreaElement).value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              onSend();
            } else if (e.key === "Escape" && busy) onStop();
          }}
        />
        <div class="composer-actions">
          <ChooseDocument
            className="ghost"
            label={<Paperclip size={17} aria-hidden="true" />}
            ariaLabel="Attach a document to the next message"
            onPick={(d) => d && onAttach([{ name: d.name, source: () => documentSource(d) }])}
          />
          <button type="button" class="ghost" aria-expanded={choosingPrompt} onClick={() => setChoosingPrompt(!choosingPrompt)}>
            <BookMarked size={17} aria-hidden="true" /> Prompts
          </button>
          {busy ? (
            <button type="button" class="danger send" onClick={onStop}>
              <Square size={15} aria-hidden="true" /> Stop
            </button>
          ) : (
            <button type="submit" class="primary send" disabled={!draft.trim() && attachments.length === 0}>
              <SendHorizontal size={16} aria-hidden="true" /> Send
            </button>
          )}
        </div>
      </form>
      <p class="composer-hint" id="composer-hint">
        Enter sends · Shift+Enter starts a new line{busy ? " · Escape stops the answer" : ""}
      </p>
    </div>
  );
}
