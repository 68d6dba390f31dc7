// A window on a long conversation: the chat renders its newest messages first (the last
// INITIAL) and earlier ones in batches of STEP as the reader scrolls up to them, so a
// conversation of thousands of messages opens as fast as a short one; Markdown is only
// parsed, highlighted and laid out for what is reached. The earlier messages come in
// when a sentinel above the first shown message nears the view (an IntersectionObserver
// on the messages' scroller), or when the sentinel, a "Show earlier messages" button for
// keyboard and screen reader users, is pressed. What is being read stays where it is
// while a batch is added above it: the scroll position is moved by the height added.

import type { Ref } from "preact";
import { useCallback, useEffect, useLayoutEffect, useReducer, useRef } from "preact/hooks";
import "./message-window.css";

/** How many of the newest messages a conversation opens with. */
export const INITIAL = 60;
/** How many earlier messages each reveal adds. */
export const STEP = 20;
/** How far above the view (px) the sentinel starts the next batch coming. */
const AHEAD = 2000;

/** Which messages of a conversation are shown: those from `start` on. */
export interface MessageWindow {
  /** The conversation shown (its messages are counted afresh when it changes). */
  key: string | undefined;
  total: number;
  start: number;
}

/** The window for `total` messages of conversation `key`, from the one before. A new
 * conversation opens on its last `initial` messages; one that grew (a new turn) keeps
 * its first shown message; one that shrank (another branch shown) keeps at most what was
 * shown and at least its last `initial`. */
export function nextWindow(previous: MessageWindow | null, key: string | undefined, total: number, initial: number = INITIAL): MessageWindow {
  if (!previous || previous.key !== key) return { key, total, start: Math.max(0, total - initial) };
  if (total < previous.total) return { key, total, start: Math.max(0, Math.min(previous.start, total - initial)) };
  return { key, total, start: previous.start };
}

/** The window with `step` earlier messages shown. */
export function revealEarlier(shown: MessageWindow, step: number = STEP): MessageWindow {
  return { ...shown, start: Math.max(0, shown.start - step) };
}

export interface WindowedMessages<T> {
  /** The messages to render, oldest first. */
  visible: T[];
  /** How many earlier ones are not rendered yet. */
  hidden: number;
  showEarlier: () => void;
  /** For the element above the first shown message (see ShowEarlier). */
  sentinel: Ref<HTMLButtonElement>;
}

/** The shown part of `messages` (oldest first) of conversation `key`. */
export function useMessageWindow<T>(messages: T[], key: string | undefined, { initial = INITIAL, step = STEP } = {}): WindowedMessages<T> {
  const shown = useRef<MessageWindow | null>(null);
  shown.current = nextWindow(shown.current, key, messages.length, initial);
  const [, rerender] = useReducer((n: number) => n + 1, 0);
  const sentinel = useRef<HTMLButtonElement>(null);
  // Where the view was before a reveal: its distance from the end of the scroller's
  // content, which messages added above do not change.
  const kept = useRef<{ scroller: HTMLElement; fromEnd: number } | null>(null);

  const showEarlier = useCallback(() => {
    if (!shown.current || shown.current.start === 0) return;
    const scroller = scrollerOf(sentinel.current);
    if (scroller) {
      kept.current = { scroller, fromEnd: scroller.scrollHeight - scroller.scrollTop };
      // The view is put back by hand below, the same in every browser (WebKit, in the
      // desktop app, has no scroll anchoring); Chromium's anchoring is held off
      // meanwhile so that it does not move the view a second time.
      scroller.style.overflowAnchor = "none";
    }
    shown.current = revealEarlier(shown.current, step);
    rerender(undefined);
  }, [step]);

  const start = shown.current.start;
  useLayoutEffect(() => {
    if (!kept.current) return;
    const { scroller, fromEnd } = kept.current;
    kept.current = null;
    scroller.scrollTop = scroller.scrollHeight - fromEnd;
    scroller.style.overflowAnchor = "";
  }, [start]);

  // Observed afresh after each reveal: an observer reports on being started, so if the
  // sentinel is still near the view (the batch was short) the next batch comes too.
  useEffect(() => {
    const target = sentinel.current;
    if (!target || start === 0 || typeof IntersectionObserver === "undefined") return;
    const observer = new IntersectionObserver((entries) => entries.some((e) => e.isIntersecting) && showEarlier(), {
      root: scrollerOf(target),
      rootMargin: `${AHEAD}px 0px 0px 0px`,
    });
    observer.observe(target);
    return () => observer.disconnect();
  }, [start, key, showEarlier]);

  return { visible: start === 0 ? messages : messages.slice(start), hidden: start, showEarlier, sentinel };
}

/** The sentinel: a button above the first shown message, while there are earlier ones. */
export function ShowEarlier({ messages }: { messages: WindowedMessages<unknown> }) {
  if (messages.hidden === 0) return null;
  return (
    <button type="button" class="ghost show-earlier" ref={messages.sentinel} onClick={messages.showEarlier}>
      Show earlier messages ({messages.hidden})
    </button>
  );
}

/** The element that scrolls `element`: its nearest ancestor with scrolling overflow. */
function scrollerOf(element: Element | null): HTMLElement | null {
  for (let el = element?.parentElement; el; el = el.parentElement) {
    if (/(auto|scroll)/.test(getComputedStyle(el).overflowY)) return el;
  }
  return null;
}
