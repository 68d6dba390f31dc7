// The sidebar's virtualized conversation list (conversation-list.tsx), in jsdom: rows and
// headings for a history, the keys that move between conversations, and the list with
// 10,000 conversations rendering only a window of rows, headings included, as it
// scrolls; the open conversation marked, the menu's actions and the keyboard working.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { act } from "preact/test-utils";
import { mount, settle, typeInto } from "./test-mount";
import { Api, type Conversation } from "./api";
import { ApiContext } from "./shell";
import type { Transport } from "./transport";
import { ConversationList, HEADING_HEIGHT, ROW_HEIGHT, listRows, rowForKey } from "./conversation-list";

const HOUR = 3_600_000;
const now = new Date(2026, 10, 28, 12, 0, 0).getTime();

function conversation(i: number, updated_at: number, pinned = false): Conversation {
  return {
    id: `c${i}`, title: `Conversation ${i}`, title_source: "user", model: null, system_prompt: null, persona_id: null,
    pinned, archived: false, created_at: updated_at, updated_at, tags: [],
  };
}
/** `count` conversations, one every two hours back from now, the 3rd and the 5000th pinned. */
const history = (count: number) => Array.from({ length: count }, (_, i) => conversation(i, now - i * 2 * HOUR, i === 3 || i === 5000));

describe("listRows", () => {
  it("puts each group's heading before its conversations, pinned first", () => {
    const rows = listRows([conversation(1, now - HOUR), conversation(2, now - 30 * HOUR), conversation(3, now - 90 * 24 * HOUR, true), conversation(4, now - 2 * HOUR)], now);
    expect(rows.map((r) => (r.kind === "heading" ? `# ${r.group}` : r.conversation.id))).toEqual(["# Pinned", "c3", "# Today", "c1", "c4", "# Yesterday", "c2"]);
  });

  it("gives every row its own key", () => {
    const rows = listRows(history(10_000), now);
    expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
    expect(rows.filter((r) => r.kind === "conversation")).toHaveLength(10_000);
  });
});

describe("rowForKey", () => {
  const rows = listRows([conversation(1, now - HOUR), conversation(2, now - 2 * HOUR), conversation(3, now - 30 * HOUR), conversation(4, now - 31 * HOUR)], now);
  // # Today, c1, c2, # Yesterday, c3, c4
  it("moves between conversations, over the headings", () => {
    expect(rowForKey(rows, 1, "ArrowDown", 10)).toBe(2);
    expect(rowForKey(rows, 2, "ArrowDown", 10)).toBe(4);
    expect(rowForKey(rows, 4, "ArrowUp", 10)).toBe(2);
    expect(rowForKey(rows, 1, "ArrowUp", 10)).toBeNull();
    expect(rowForKey(rows, 5, "ArrowDown", 10)).toBeNull();
    expect(rowForKey(rows, 4, "Home", 10)).toBe(1);
    expect(rowForKey(rows, 1, "End", 10)).toBe(5);
    expect(rowForKey(rows, 1, "PageDown", 2)).toBe(2);
    expect(rowForKey(rows, 1, "PageDown", 3)).toBe(4);
    expect(rowForKey(rows, 5, "PageUp", 2)).toBe(4);
    expect(rowForKey(rows, 1, "Tab", 10)).toBeNull();
  });
});

/** The API calls the list makes, recorded; each answers with nothing. */
function recordingApi() {
  const calls: string[] = [];
  const transport: Transport = {
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      calls.push(`${method} ${path} ${JSON.stringify(body ?? null)}`);
      return {} as T;
    },
    async stream() {},
    async text() {
      return "";
    },
  };
  return { api: new Api(transport), calls };
}

describe("ConversationList", () => {
  // jsdom lays nothing out: the scroller is given the height of a sidebar's list.
  const VIEW = 600;
  beforeAll(() => {
    Object.defineProperty(HTMLElement.prototype, "clientHeight", {
      configurable: true,
      get() {
        return (this as HTMLElement).classList.contains("conversation-scroller") ? VIEW : 0;
      },
    });
  });
  // Back to jsdom's own (on Element.prototype).
  afterAll(() => delete (HTMLElement.prototype as { clientHeight?: number }).clientHeight);

  const list = (conversations: Conversation[], current?: string, api = recordingApi().api, changes: Promise<unknown>[] = []) =>
    mount(
      <ApiContext.Provider value={api}>
        <ConversationList conversations={conversations} current={current} onChange={(work) => changes.push(work)} onError={(e) => { throw e; }} />
      </ApiContext.Provider>,
    );
  const rendered = (page: HTMLElement) => [...page.querySelectorAll<HTMLLIElement>(".conversation-list > li")];
  const links = (page: HTMLElement) => [...page.querySelectorAll<HTMLAnchorElement>(".conversation-list a")];

  it("renders only a window of rows of 10,000 conversations, with their group headings", async () => {
    const conversations = history(10_000);
    const page = list(conversations);
    await settle();
    const rows = listRows(conversations);
    const items = rendered(page);
    expect(items.length).toBeGreaterThan(VIEW / ROW_HEIGHT);
    expect(items.length).toBeLessThan(60);
    // The pinned group's heading first, then the first date group's.
    const headings = [...page.querySelectorAll(".conversation-list h2.group")].map((h) => h.textContent);
    expect(headings.slice(0, 2)).toEqual(["Pinned", rows.find((r, i) => i > 0 && r.kind === "heading")!.key.slice("group:".length)]);
    expect(links(page)[0].textContent).toBe("Conversation 3");
    // The list is as tall as every row would be, and says how many there are.
    const total = rows.reduce((sum, r) => sum + (r.kind === "heading" ? HEADING_HEIGHT : ROW_HEIGHT), 0) + 4;
    expect(page.querySelector<HTMLElement>(".conversation-list")!.style.height).toBe(`${total}px`);
    expect(items[0].getAttribute("aria-setsize")).toBe(String(rows.length));
  });

  it("renders the rows scrolled to, and their heading where a group starts there", async () => {
    const conversations = history(10_000);
    const rows = listRows(conversations);
    const page = list(conversations);
    await settle();
    // Scroll to the heading of a group deep in the list.
    const target = rows.findIndex((r, i) => i > 5000 && r.kind === "heading");
    const offset = rows.slice(0, target).reduce((sum, r) => sum + (r.kind === "heading" ? HEADING_HEIGHT : ROW_HEIGHT), 0);
    const scroller = page.querySelector<HTMLElement>(".conversation-scroller")!;
    await act(async () => {
      scroller.scrollTop = offset;
      scroller.dispatchEvent(new Event("scroll"));
    });
    await settle();
    const indexes = rendered(page).map((li) => Number(li.dataset.index));
    expect(indexes).toContain(target);
    expect(Math.min(...indexes)).toBeGreaterThan(target - 20);
    expect(rendered(page).length).toBeLessThan(60);
    const heading = rendered(page).find((li) => Number(li.dataset.index) === target)!;
    expect(heading.querySelector("h2.group")!.textContent).toBe((rows[target] as { group: string }).group);
    expect(heading.style.transform).toBe(`translateY(${offset}px)`);
  });

  it("marks the open conversation", async () => {
    const page = list(history(50), "c5");
    await settle();
    const current = page.querySelector("li.current a")!;
    expect(current.textContent).toBe("Conversation 5");
    expect(current.getAttribute("aria-current")).toBe("page");
    expect(page.querySelectorAll("li.current")).toHaveLength(1);
    expect(page.querySelector("li .pinned")!.getAttribute("aria-label")).toBe("Pinned");
  });

  it("pins, renames and deletes from a conversation's menu", async () => {
    const { api, calls } = recordingApi();
    const changes: Promise<unknown>[] = [];
    const page = list(history(20), undefined, api, changes);
    await settle();
    const menuOf = (title: string) => page.querySelector(`summary[aria-label="Actions for ${title}"]`)!.closest("details")!;
    const press = (title: string, action: string) =>
      act(() => [...menuOf(title).querySelectorAll("button")].find((b) => b.textContent === action)!.click());

    await press("Conversation 7", "Pin");
    await press("Conversation 3", "Unpin");
    await press("Conversation 7", "Rename");
    const field = page.querySelector<HTMLInputElement>('input[aria-label="New title"]')!;
    expect(field.value).toBe("Conversation 7");
    await typeInto(field, "Bread notes");
    await act(async () => {
      field.form!.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    });
    expect(page.querySelector('input[aria-label="New title"]')).toBeNull();
    const confirm = window.confirm;
    window.confirm = () => true;
    try {
      await press("Conversation 9", "Delete");
    } finally {
      window.confirm = confirm;
    }
    await Promise.all(changes);
    expect(calls).toEqual([
      'PATCH /api/conversations/c7 {"pinned":true}',
      'PATCH /api/conversations/c3 {"pinned":false}',
      'PATCH /api/conversations/c7 {"title":"Bread notes"}',
      "DELETE /api/conversations/c9 null",
    ]);
  });

  it("keeps a row with its menu open drawn above the rows below it", async () => {
    const page = list(history(20));
    await settle();
    const details = page.querySelector<HTMLDetailsElement>(`summary[aria-label="Actions for Conversation 2"]`)!.closest("details")!;
    await act(async () => {
      details.open = true;
      details.dispatchEvent(new Event("toggle"));
    });
    expect(details.closest("li")!.classList.contains("menu-open")).toBe(true);
  });

  it("moves focus between conversations with the arrow keys, Home and End, over headings and beyond the rendered rows", async () => {
    const conversations = history(10_000);
    const page = list(conversations);
    await settle();
    const press = async (key: string) => {
      await act(async () => {
        document.activeElement!.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true, cancelable: true }));
      });
      await settle();
    };
    // The first conversation (the pinned one), then down over the next group's heading.
    links(page)[0].focus();
    await press("ArrowDown");
    expect(document.activeElement!.textContent).toBe("Conversation 5000");
    await press("ArrowDown");
    expect(document.activeElement!.textContent).toBe("Conversation 0");
    await press("ArrowUp");
    expect(document.activeElement!.textContent).toBe("Conversation 5000");
    // The last conversation is far beyond the rendered rows: it is rendered and focused.
    await press("End");
    expect(document.activeElement!.textContent).toBe("Conversation 9999");
    expect(document.activeElement!.closest("li")!.dataset.index).toBe(String(listRows(conversations).length - 1));
    await press("Home");
    expect(document.activeElement!.textContent).toBe("Conversation 3");
  });
});
