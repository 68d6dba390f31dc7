// The window on a long conversation (message-window.tsx), in jsdom: which messages are
// shown as a conversation opens, grows, changes branch and is scrolled up, and the chat
// rendering only its newest messages of 2,000.

import { afterEach, describe, expect, it, vi } from "vitest";
import { act } from "preact/test-utils";
import { mount } from "./test-mount";
import type { ConversationView, Message } from "./api";
import { ChatMessages } from "./chat-messages";
import { INITIAL, STEP, ShowEarlier, nextWindow, revealEarlier, useMessageWindow } from "./message-window";

describe("nextWindow", () => {
  it("opens a conversation on its newest messages, or all of a short one", () => {
    expect(nextWindow(null, "a", 2000)).toEqual({ key: "a", total: 2000, start: 2000 - INITIAL });
    expect(nextWindow(null, "a", 10)).toEqual({ key: "a", total: 10, start: 0 });
    expect(nextWindow(null, undefined, 0)).toEqual({ key: undefined, total: 0, start: 0 });
  });

  it("keeps the first shown message as the conversation grows", () => {
    const opened = nextWindow(null, "a", 2000);
    expect(nextWindow(opened, "a", 2002).start).toBe(opened.start);
  });

  it("starts afresh for another conversation", () => {
    const revealed = revealEarlier(nextWindow(null, "a", 2000));
    expect(nextWindow(revealed, "b", 500)).toEqual({ key: "b", total: 500, start: 500 - INITIAL });
  });

  it("keeps at most what was shown and at least the newest when a branch is shorter", () => {
    const opened = nextWindow(null, "a", 2000);
    expect(nextWindow(opened, "a", 1000).start).toBe(1000 - INITIAL);
    const revealed = { key: "a", total: 2000, start: 100 };
    expect(nextWindow(revealed, "a", 1000).start).toBe(100);
    expect(nextWindow(revealed, "a", 30).start).toBe(0);
  });
});

describe("revealEarlier", () => {
  it("adds a step of earlier messages, down to the first", () => {
    let shown = nextWindow(null, "a", INITIAL + 2 * STEP + 10);
    expect(shown.start).toBe(2 * STEP + 10);
    shown = revealEarlier(shown);
    expect(shown.start).toBe(STEP + 10);
    shown = revealEarlier(shown);
    expect(shown.start).toBe(10);
    shown = revealEarlier(shown);
    expect(shown.start).toBe(0);
    expect(revealEarlier(shown).start).toBe(0);
    expect(revealEarlier({ key: "a", total: 100, start: 50 }, 20).start).toBe(30);
  });
});

function List({ items, id }: { items: number[]; id: string }) {
  const windowed = useMessageWindow(items, id);
  return (
    <div class="messages">
      <ShowEarlier messages={windowed} />
      {windowed.visible.map((n) => (
        <p key={n} class="item">
          {n}
        </p>
      ))}
    </div>
  );
}
const numbers = (count: number) => Array.from({ length: count }, (_, i) => i);
const shownItems = (page: HTMLElement) => [...page.querySelectorAll(".item")].map((p) => Number(p.textContent));
const button = (page: HTMLElement) => page.querySelector<HTMLButtonElement>("button.show-earlier");

describe("useMessageWindow", () => {
  afterEach(() => vi.unstubAllGlobals());

  it("renders the newest messages and reveals earlier ones from the button", () => {
    const total = INITIAL + 2 * STEP + 5;
    const page = mount(<List items={numbers(total)} id="a" />);
    expect(shownItems(page)).toEqual(numbers(total).slice(total - INITIAL));
    expect(button(page)!.textContent).toBe(`Show earlier messages (${total - INITIAL})`);
    act(() => button(page)!.click());
    expect(shownItems(page)[0]).toBe(total - INITIAL - STEP);
    act(() => button(page)!.click());
    act(() => button(page)!.click());
    expect(shownItems(page)).toEqual(numbers(total));
    expect(button(page)).toBeNull();
  });

  it("reveals earlier messages when the sentinel nears the view, watching again after each batch", () => {
    const observers: { callback: IntersectionObserverCallback; target?: Element; live: boolean }[] = [];
    vi.stubGlobal(
      "IntersectionObserver",
      class {
        entry: (typeof observers)[number];
        constructor(callback: IntersectionObserverCallback) {
          this.entry = { callback, live: true };
          observers.push(this.entry);
        }
        observe(target: Element) {
          this.entry.target = target;
        }
        disconnect() {
          this.entry.live = false;
        }
      },
    );
    const page = mount(<List items={numbers(1000)} id="a" />);
    const watching = () => observers.filter((o) => o.live);
    expect(watching()).toHaveLength(1);
    expect(watching()[0].target).toBe(button(page));
    const near = () => {
      const { callback, target } = watching()[0];
      act(() => callback([{ isIntersecting: true, target } as unknown as IntersectionObserverEntry], {} as IntersectionObserver));
    };
    near();
    expect(shownItems(page)).toHaveLength(INITIAL + STEP);
    expect(watching()).toHaveLength(1);
    near();
    expect(shownItems(page)).toHaveLength(INITIAL + 2 * STEP);
  });

  it("opens another conversation on its newest messages", () => {
    const page = mount(<List items={numbers(300)} id="a" />);
    act(() => button(page)!.click());
    expect(shownItems(page)).toHaveLength(INITIAL + STEP);
    const other = mount(<List items={numbers(300)} id="b" />);
    expect(shownItems(other)).toHaveLength(INITIAL);
  });
});

describe("ChatMessages with a long conversation", () => {
  it("renders only the newest messages of 2,000, the last one last", () => {
    const messages: Message[] = numbers(2000).map((i) => ({
      id: `m${i}`,
      conversation_id: "long",
      parent_id: i ? `m${i - 1}` : null,
      role: i % 2 ? "assistant" : "user",
      kind: "message",
      content: i % 2 ? `Answer **${i}**` : `Question ${i}`,
      state: "done",
      error: null,
      model: null,
      token_count: null,
      created_at: i,
    }));
    const view: ConversationView = {
      conversation: { id: "long", title: "Long", title_source: "user", model: null, system_prompt: null, persona_id: null, pinned: false, archived: false, created_at: 0, updated_at: 0, tags: [] },
      messages,
      siblings: {},
      summaries: [],
    };
    const noop = () => {};
    const page = mount(
      <ChatMessages conversationId="long" view={view} live={null} folded={null} speeds={{}} onEdit={noop} onRegenerate={noop} onSwitch={noop} onSource={noop} onToolDecided={noop} />,
    );
    const articles = page.querySelectorAll("article.message");
    expect(articles).toHaveLength(INITIAL);
    expect(articles[articles.length - 1].textContent).toContain("Answer 1999");
    expect(articles[0].textContent).toContain(`Question ${2000 - INITIAL}`);
    expect(button(page)!.textContent).toBe(`Show earlier messages (${2000 - INITIAL})`);
    act(() => button(page)!.click());
    expect(page.querySelectorAll("article.message")).toHaveLength(INITIAL + STEP);
  });
});
