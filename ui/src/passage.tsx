// The passage a citation points to: its label (file, pages, section), its path, and its
// text, shown where the user clicked a source (Documents page and attached chats).

import type { Passage } from "./api";
import { MarkdownView } from "./markdown-view";

export function PassagePanel({ passage, onClose }: { passage: Passage & { label: string }; onClose: () => void }) {
  return (
    <aside class="source" aria-label="Passage">
      <h3>{passage.label}</h3>
      <p class="meta">{passage.path}</p>
      <MarkdownView text={passage.text} />
      <button type="button" class="ghost" onClick={onClose}>
        Close
      </button>
    </aside>
  );
}
