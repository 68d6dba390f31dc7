// The sidebar's list of conversations: pinned first, then by date under a heading each,
// with the open one marked and each one's menu (rename, pin, export, delete). A history
// can hold thousands of conversations, so the list is virtualized (virtual.ts): it
// scrolls on its own and only the rows in and near view are in the DOM, each at its
// offset with a fixed height (a heading or a conversation), so opening and scrolling it
// costs the same for ten conversations as for ten thousand. A row that is focused, being
// renamed or has its menu open stays in the DOM while scrolled away, and the arrow keys,
// Page Up/Down, Home and End move between conversations however far the next one is.

import { useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import { Ellipsis, Pin } from "lucide-preact";
import type { Conversation } from "./api";
import { groupConversations } from "./format";
import { navigate, useApi } from "./shell";
import { saveText } from "./save";
import { keepingRows, useVirtualizer } from "./virtual";
import "./conversation-list.css";

/** Heights the virtualizer places rows at (conversation-list.css holds rows to them). */
export const ROW_HEIGHT = 32;
export const HEADING_HEIGHT = 36;
/** Rows rendered beyond each end of the view, so a quick scroll shows no gap. */
const OVERSCAN = 12;

export type ListRow =
  | { kind: "heading"; key: string; group: string }
  | { kind: "conversation"; key: string; conversation: Conversation };

/** The list as rows: each group's heading, then its conversations. */
export function listRows(conversations: Conversation[], now: number = Date.now()): ListRow[] {
  const rows: ListRow[] = [];
  for (const [group, list] of groupConversations(conversations, now)) {
    // Ids are letters, digits, '-' and '_': a heading's key never equals one.
    rows.push({ kind: "heading", key: `group:${group}`, group });
    for (const conversation of list) rows.push({ kind: "conversation", key: conversation.id, conversation });
  }
  return rows;
}

/** The conversation row a key moves focus to from row `from`, or null when the key does
 * not move it (or there is nowhere to go). `page` is how many rows Page Up/Down jump. */
export function rowForKey(rows: ListRow[], from: number, key: string, page: number): number | null {
  const isConversation = (i: number) => rows[i]?.kind === "conversation";
  /** The first conversation from `start` on in `step`'s direction. */
  const seek = (start: number, step: 1 | -1) => {
    for (let i = start; i >= 0 && i < rows.length; i += step) if (isConversation(i)) return i;
    return null;
  };
  let to: number | null;
  switch (key) {
    case "ArrowDown":
      to = seek(from + 1, 1);
      break;
    case "ArrowUp":
      to = seek(from - 1, -1);
      break;
    case "Home":
      to = seek(0, 1);
      break;
    case "End":
      to = seek(rows.length - 1, -1);
      break;
    case "PageDown":
      to = seek(Math.min(rows.length - 1, from + page), -1);
      break;
    case "PageUp":
      to = seek(Math.max(0, from - page), 1);
      break;
    default:
      return null;
  }
  return to === from ? null : to;
}

interface Props {
  conversations: Conversation[];
  /** The conversation open in the chat. */
  current?: string;
  /** Runs a change of the history (rename, pin, delete), after which the list reloads. */
  onChange: (work: Promise<unknown>) => void;
  onError: (error: unknown) => void;
}

export function ConversationList({ conversations, current, onChange, onError }: Props) {
  const api = useApi();
  const rows = useMemo(() => listRows(conversations), [conversations]);
  const indexOf = useMemo(() => new Map(rows.map((row, i) => [row.key, i])), [rows]);
  const scroller = useRef<HTMLDivElement>(null);
  const [renaming, setRenaming] = useState<string | null>(null);
  const [menu, setMenu] = useState<string | null>(null);
  const [focused, setFocused] = useState<string | null>(null);
  // A row the keyboard moved to, focused once it is rendered.
  const focusNext = useRef<string | null>(null);

  const sizes = useMemo(
    () => ({ estimateSize: (i: number) => (rows[i].kind === "heading" ? HEADING_HEIGHT : ROW_HEIGHT), getItemKey: (i: number) => rows[i].key }),
    [rows],
  );
  const virtualizer = useVirtualizer<HTMLDivElement, HTMLLIElement>({
    count: rows.length,
    getScrollElement: () => scroller.current,
    ...sizes,
    overscan: OVERSCAN,
    // Room below the last row for its focus ring, which the scroller would clip.
    paddingEnd: 4,
    rangeExtractor: keepingRows([focused, renaming, menu].map((key) => (key == null ? null : indexOf.get(key)))),
  });

  useLayoutEffect(() => {
    if (focusNext.current == null) return;
    const items = scroller.current?.querySelectorAll<HTMLElement>("li[data-key]") ?? [];
    const link = [...items].find((li) => li.dataset.key === focusNext.current)?.querySelector("a");
    if (link) {
      focusNext.current = null;
      link.focus({ preventScroll: true });
    }
  });

  const onKeyDown = (event: KeyboardEvent) => {
    const item = (event.target as HTMLElement).closest?.("li[data-key]") as HTMLElement | null;
    if (!item || (event.target as HTMLElement).tagName !== "A" || event.altKey || event.ctrlKey || event.metaKey) return;
    const page = Math.max(1, Math.floor((scroller.current?.clientHeight ?? 0) / ROW_HEIGHT) - 1);
    const to = rowForKey(rows, Number(item.dataset.index), event.key, page);
    if (to == null) return;
    event.preventDefault();
    focusNext.current = rows[to].key;
    setFocused(rows[to].key);
    virtualizer.scrollToIndex(to, { align: "auto" });
  };

  return (
    <div
      ref={scroller}
      class="conversation-scroller"
      onKeyDown={onKeyDown}
      onFocusIn={(event) => setFocused(((event.target as HTMLElement).closest("li[data-key]") as HTMLElement | null)?.dataset.key ?? null)}
      onFocusOut={(event) => {
        if (!scroller.current?.contains(event.relatedTarget as Node | null)) setFocused(null);
      }}
    >
      <ul class="conversation-list" style={{ height: `${virtualizer.getTotalSize()}px` }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index];
          const common = {
            "data-key": row.key,
            "data-index": item.index,
            "aria-setsize": rows.length,
            "aria-posinset": item.index + 1,
            style: { transform: `translateY(${item.start}px)`, height: `${item.size}px` },
          };
          if (row.kind === "heading") {
            return (
              <li key={row.key} {...common} class="group-row">
                <h2 class="group">{row.group}</h2>
              </li>
            );
          }
          const c = row.conversation;
          const classes = [c.id === current && "current", menu === c.id && "menu-open"].filter(Boolean).join(" ");
          return (
            <li key={row.key} {...common} class={classes}>
              {renaming === c.id ? (
                <form
                  onSubmit={(e) => {
                    e.preventDefault();
                    const title = (new FormData(e.currentTarget as HTMLFormElement).get("title") as string).trim();
                    setRenaming(null);
                    if (title) onChange(api.changeConversation(c.id, { title }));
                  }}
                >
                  <input name="title" aria-label="New title" value={c.title} autoFocus onBlur={() => setRenaming(null)} />
                </form>
              ) : (
                <a href={`#/chat/${encodeURIComponent(c.id)}`} aria-current={c.id === current ? "page" : undefined}>
                  {c.pinned && <Pin size={13} class="icon pinned" aria-label="Pinned" />}
                  {c.title || "Untitled"}
                </a>
              )}
              <details
                class="actions"
                onToggle={(e) => {
                  const open = (e.currentTarget as HTMLDetailsElement).open;
                  setMenu((shown) => (open ? c.id : shown === c.id ? null : shown));
                }}
              >
                <summary aria-label={`Actions for ${c.title || "Untitled"}`}>
                  <Ellipsis size={16} aria-hidden="true" />
                </summary>
                <div class="menu">
                  <button type="button" onClick={() => setRenaming(c.id)}>
                    Rename
                  </button>
                  <button type="button" onClick={() => onChange(api.changeConversation(c.id, { pinned: !c.pinned }))}>
                    {c.pinned ? "Unpin" : "Pin"}
                  </button>
                  <button
                    type="button"
                    onClick={() => api.exportText("markdown", c.id).then((text) => saveText(`${c.title || "conversation"}.md`, text, "text/markdown")).catch(onError)}
                  >
                    Export
                  </button>
                  <button
                    type="button"
                    class="danger"
                    onClick={() => {
                      if (confirm(`Delete “${c.title || "Untitled"}”? This cannot be undone.`)) {
                        onChange(api.deleteConversation(c.id));
                        if (c.id === current) navigate("#/chat");
                      }
                    }}
                  >
                    Delete
                  </button>
                </div>
              </details>
            </li>
          );
        })}
      </ul>
    </div>
  );
}
