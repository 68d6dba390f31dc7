// The thinking block and the chat's handling of a reasoning model's turn, in jsdom. The
// end-to-end run has only SmolLM2, which does not think, so what streams live is tested
// here: the chat page on a scripted transport that replays a recorded Qwen3 answer as
// the server sends it (`reasoning` events, then `delta`s, then `finished`).

import { describe, expect, it } from "vitest";
import { act } from "preact/test-utils";
import { mount, settle, unmount, sendFromComposer } from "./test-mount";
import { Api, type ConversationView, type Message } from "./api";
import { ApiContext } from "./shell";
import { ChatPage } from "./chat";
import type { SseEvent } from "./sse";
import type { Transport } from "./transport";
import { addThinking, duration, thinkingLabel, thinkingMillis, ThinkingBlock, ThinkingSwitch } from "./thinking";

// Qwen3's answer to "How many r's are in strawberry?" as hearth-llm's recorded transcript
// splits it (crates/hearth-llm/src/transcripts.rs), piece by piece as the server streams it.
const THINKING_PIECES = ["Okay", ",", " the", " user", " is", " asking", " how", " many", " times", " the", " letter", " '", "r", "'", " appears", " in", ' "', "str", "aw", "berry", '".'];
const ANSWER_PIECES = ["There", " are", " **", "3", "**", " r", "'s", " in", ' "', "str", "aw", "berry", '".'];
const THINKING = THINKING_PIECES.join("");
const ANSWER = ANSWER_PIECES.join("");

describe("thinking labels", () => {
  it("says how long the model thought", () => {
    expect(duration(4_200)).toBe("4 s");
    expect(duration(65_000)).toBe("1 min 5 s");
    expect(thinkingLabel(4_200, false)).toBe("Thought for 4 s");
    expect(thinkingLabel(300, false)).toBe("Thought for less than a second");
    expect(thinkingLabel(null, false)).toBe("Thoughts");
    expect(thinkingLabel(2_000, true)).toBe("Thinking… 2 s");
    expect(thinkingLabel(undefined, true)).toBe("Thinking…");
  });

  it("times live thinking from its first piece to its last", () => {
    let live = { text: "" };
    live = addThinking(live, "Okay", 1_000);
    live = addThinking(live, ", the user", 3_500);
    expect(live.text).toBe("Okay, the user");
    expect(thinkingMillis(live)).toBe(2_500);
    expect(thinkingMillis(live, 5_000)).toBe(4_000);
    expect(thinkingMillis({ text: "" })).toBeUndefined();
  });
});

describe("ThinkingBlock", () => {
  it("is folded with its duration and opens on click, as a disclosure", () => {
    const page = mount(<ThinkingBlock text={THINKING} ms={4_200} />);
    const details = page.querySelector("details.thinking") as HTMLDetailsElement;
    const summary = details.querySelector("summary")!;
    expect(summary.textContent).toBe("Thought for 4 s");
    expect(details.open).toBe(false);
    expect(details.querySelector(".thinking-text")!.textContent).toContain("the letter 'r' appears");
    act(() => summary.click());
    expect(details.open).toBe(true);
    act(() => summary.click());
    expect(details.open).toBe(false);
  });

  it("renders the model's thinking as sanitized Markdown", () => {
    const page = mount(<ThinkingBlock text={'**bold** <img src=x onerror="window.__hacked=1">'} ms={1_000} />);
    const text = page.querySelector(".thinking-text")!;
    expect(text.querySelector("strong")?.textContent).toBe("bold");
    // The tag is shown as text, never made an element.
    expect(text.querySelector("img")).toBeNull();
    expect(text.textContent).toContain('<img src=x onerror="window.__hacked=1">');
  });

  it("says it is still thinking while it streams", () => {
    const page = mount(<ThinkingBlock text="Okay" ms={2_000} live />);
    const details = page.querySelector("details.thinking")!;
    expect(details.getAttribute("aria-busy")).toBe("true");
    expect(details.querySelector("summary")!.textContent).toBe("Thinking… 2 s");
  });
});

describe("ThinkingSwitch", () => {
  it("shows the conversation's setting and reports a change", () => {
    const chosen: string[] = [];
    const page = mount(<ThinkingSwitch value={false} onChange={(mode) => chosen.push(mode)} />);
    const select = page.querySelector('select[aria-label="Thinking"]') as HTMLSelectElement;
    expect(select.value).toBe("off");
    select.value = "on";
    act(() => {
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
    expect(chosen).toEqual(["on"]);
  });
});

/** A transport that answers the chat page's requests from memory and streams a turn
 * whose events the test releases one step at a time. */
function scriptedTransport(view: ConversationView) {
  const patches: unknown[] = [];
  let release: () => void = () => {};
  const transport: Transport = {
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      if (method === "PATCH") {
        patches.push(body);
        view.conversation.settings = { ...view.conversation.settings, thinking: (body as { thinking: string }).thinking === "off" ? false : undefined };
        return view.conversation as T;
      }
      if (path.startsWith("/api/conversations/")) return structuredClone(view) as T;
      if (path.startsWith("/api/providers")) return { providers: [], offline: false } as T;
      return [] as T;
    },
    async stream(_path: string, _body: unknown, onEvent: (event: SseEvent) => void) {
      const send = (event: string, data: unknown) => onEvent({ event, data: JSON.stringify(data) });
      send("started", { answer_id: "a2", user_message: null });
      for (const text of THINKING_PIECES) send("reasoning", { text });
      // Held here: the test looks at the page while the model is still thinking.
      await new Promise<void>((go) => (release = go));
      for (const text of ANSWER_PIECES) send("delta", { text });
      const answer: Message = { ...view.messages[1], id: "a2", content: ANSWER, reasoning: THINKING, reasoning_ms: 4_200, state: "done" };
      view.messages = [view.messages[0], answer];
      send("finished", { message: answer });
    },
    async text() {
      return "";
    },
  };
  return { transport, patches, release: () => release() };
}

function conversationView(): ConversationView {
  const base = { conversation_id: "c1", parent_id: null, kind: "message" as const, error: null, model: "qwen3", token_count: null, created_at: 0 };
  return {
    conversation: { id: "c1", title: "Strawberries", title_source: "user", model: "qwen3", system_prompt: null, persona_id: null, pinned: false, archived: false, created_at: 0, updated_at: 0, tags: [], settings: {} },
    messages: [
      { ...base, id: "q1", role: "user", content: "Before?", state: "done" },
      { ...base, id: "a1", parent_id: "q1", role: "assistant", content: "Earlier answer.", state: "done", reasoning: "An earlier thought.", reasoning_ms: 65_000 },
    ],
    siblings: {},
    summaries: [],
    thinking: { supports_thinking: true, thinking_switch: true },
  };
}

describe("ChatPage with a reasoning model", () => {
  it("streams the thinking folded above the answer, then shows it stored with its duration", async () => {
    const view = conversationView();
    const { transport, release } = scriptedTransport(view);
    const page = mount(
      <ApiContext.Provider value={new Api(transport)}>
        <ChatPage id="c1" />
      </ApiContext.Provider>,
    );
    await settle();
    // A stored answer's thinking, folded, with its duration.
    const stored = page.querySelector("details.thinking summary")!;
    expect(stored.textContent).toBe("Thought for 1 min 5 s");

    sendFromComposer(page, "How many r's are in strawberry?");
    await settle();
    // Mid-thought: the live block streams the thinking, folded, and no answer yet.
    const live = page.querySelector(".message.streaming details.thinking") as HTMLDetailsElement;
    expect(live).not.toBeNull();
    expect(live.classList.contains("live")).toBe(true);
    expect(live.open).toBe(false);
    expect(live.querySelector("summary")!.textContent).toMatch(/^Thinking…/);
    expect(live.querySelector(".thinking-text")!.textContent!.trim()).toBe(THINKING);
    expect(page.querySelector(".message.streaming .markdown:not(.thinking-text)")).toBeNull();
    // It opens on click while the model is still thinking.
    act(() => (live.querySelector("summary") as HTMLElement).click());
    expect(live.open).toBe(true);

    release();
    await settle();
    // Done: the stored answer shows its thinking folded, apart from the answer's text.
    const answers = page.querySelectorAll("article.message.assistant");
    const last = answers[answers.length - 1];
    expect(last.getAttribute("data-state")).toBe("done");
    const block = last.querySelector("details.thinking")!;
    expect(block.querySelector("summary")!.textContent).toBe("Thought for 4 s");
    expect(block.querySelector(".thinking-text")!.textContent!.trim()).toBe(THINKING);
    const text = Array.from(last.querySelectorAll(".markdown")).find((m) => !m.classList.contains("thinking-text"))!;
    expect(text.textContent!.trim()).toBe('There are 3 r\'s in "strawberry".');
    expect(text.textContent).not.toContain("Okay");
  });

  it("offers the thinking switch where the template has one, and saves it with the conversation", async () => {
    const view = conversationView();
    const { transport, patches } = scriptedTransport(view);
    const page = mount(
      <ApiContext.Provider value={new Api(transport)}>
        <ChatPage id="c1" />
      </ApiContext.Provider>,
    );
    await settle();
    // The switch is in the chat's settings drawer, closed until its button is pressed.
    expect(page.querySelector('select[aria-label="Thinking"]')).toBeNull();
    act(() => (page.querySelector('button[aria-label="Chat settings"]') as HTMLButtonElement).click());
    const select = page.querySelector('select[aria-label="Thinking"]') as HTMLSelectElement;
    expect(select.value).toBe("default");
    select.value = "off";
    act(() => {
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await settle();
    expect(patches).toEqual([{ thinking: "off" }]);
    expect((page.querySelector('select[aria-label="Thinking"]') as HTMLSelectElement).value).toBe("off");
    // The header says so while the drawer is closed.
    expect(Array.from(page.querySelectorAll(".setting-chips .chip")).map((c) => c.textContent)).toContain("Thinking off");

    // A model without a switch shows none.
    unmount();
    const plain = conversationView();
    plain.thinking = { supports_thinking: true, thinking_switch: false };
    const other = mount(
      <ApiContext.Provider value={new Api(scriptedTransport(plain).transport)}>
        <ChatPage id="c1" />
      </ApiContext.Provider>,
    );
    await settle();
    act(() => (other.querySelector('button[aria-label="Chat settings"]') as HTMLButtonElement).click());
    expect(other.querySelector("dialog.drawer")).not.toBeNull();
    expect(other.querySelector('select[aria-label="Thinking"]')).toBeNull();
  });
});
