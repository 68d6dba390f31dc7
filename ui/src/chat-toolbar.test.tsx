// The chat's header and settings drawer, in jsdom: friendly model names in the picker,
// the context meter (and the note when older turns were folded), chips for settings
// that change the answers, and sampling from the drawer sent with the next message.
import { describe, expect, it } from "vitest";
import { act } from "preact/test-utils";
import { mount, settle, sendFromComposer } from "./test-mount";
import { Api, type ConversationView, type ModelEntry } from "./api";
import { ApiContext } from "./shell";
import { ChatPage } from "./chat";
import { settingChips } from "./chat-toolbar";
import type { Transport } from "./transport";

const SMOLLM: ModelEntry = {
  id: "smollm2",
  display_name: "SmolLM2 135M Instruct",
  path: "/m/SmolLM2-135M-Instruct.Q4_1.gguf",
  is_default: true,
  problem: null,
  details: null,
  summary: { architecture: "llama", name: "Smollm2 135M 8k Lc100K Mix1 Ep2", license: null, parameter_count: 134_515_008, quantization: "Q4_1", context_length: 8192, has_chat_template: true, file_size: 1 },
};

function view(): ConversationView {
  const base = { conversation_id: "c1", parent_id: null, kind: "message" as const, error: null, model: "smollm2", created_at: 0 };
  return {
    conversation: {
      id: "c1", title: "", title_source: "auto", model: "smollm2", system_prompt: null, persona_id: null, pinned: false, archived: false, created_at: 0, updated_at: 0, tags: [],
      settings: { collection: "Kitchen", context_use: { prompt_tokens: 1500, context_tokens: 2048 } },
    },
    messages: [
      { ...base, id: "q1", role: "user", content: "Hello", state: "done", token_count: null },
      { ...base, id: "a1", parent_id: "q1", role: "assistant", content: "Hi! ```js\nx()\n```", state: "done", token_count: 138 },
    ],
    siblings: {},
    summaries: [{ id: "s1", conversation_id: "c1", through_message_id: "q1", content: "Earlier.", model: null, created_at: 0 } as unknown as ConversationView["summaries"][number]],
  };
}

function transport(shown: ConversationView) {
  const sent: unknown[] = [];
  const api: Transport = {
    async request<T>(_method: string, path: string): Promise<T> {
      if (path === "/api/models") return [SMOLLM] as T;
      if (path.startsWith("/api/conversations/")) return structuredClone(shown) as T;
      if (path.startsWith("/api/providers")) return { providers: [], offline: false } as T;
      if (path.startsWith("/api/collections")) return [{ id: "k", name: "Kitchen" }] as T;
      return [] as T;
    },
    async stream(_path: string, body: unknown, onEvent) {
      sent.push(body);
      onEvent({ event: "started", data: JSON.stringify({ answer_id: "a2", user_message: null }) });
    },
    async text() {
      return "";
    },
  };
  return { api, sent };
}

describe("the chat's header", () => {
  it("names models as people know them, says how full the context is, and shows the settings in use", async () => {
    const { api } = transport(view());
    const page = mount(
      <ApiContext.Provider value={new Api(api)}>
        <ChatPage id="c1" />
      </ApiContext.Provider>,
    );
    await settle();
    const options = Array.from(page.querySelectorAll('select[aria-label="Model"] option')).map((o) => o.textContent);
    expect(options).toEqual(["Default (SmolLM2 135M Instruct)", "SmolLM2 135M Instruct · 135M · Q4_1"]);
    // A conversation the model has not titled yet says so instead of staying blank.
    const title = page.querySelector(".toolbar h1")!;
    expect(title.textContent).toBe("Untitled conversation");
    expect(title.classList.contains("untitled")).toBe(true);
    // 1500 prompt tokens and a 138-token answer of 2048: 80%, and the fold is said.
    const meter = page.querySelector(".context-meter")!;
    expect(meter.textContent).toContain("Context 80%");
    expect(meter.textContent).toContain("older turns summarized");
    expect((meter.querySelector("meter") as HTMLMeterElement).value).toBeCloseTo(1638 / 2048);
    expect(Array.from(page.querySelectorAll(".setting-chips .chip")).map((c) => c.textContent)).toEqual(["Documents: Kitchen"]);
    // The advanced controls are not in the header.
    expect(page.querySelector('.toolbar [aria-label="Answer from documents"]')).toBeNull();
  });

  it("opens the drawer from the button, and sends the sampling chosen there with the next message", async () => {
    const { api, sent } = transport(view());
    const page = mount(
      <ApiContext.Provider value={new Api(api)}>
        <ChatPage id="c1" />
      </ApiContext.Provider>,
    );
    await settle();
    const button = page.querySelector('button[aria-label="Chat settings"]') as HTMLButtonElement;
    expect(button.getAttribute("aria-expanded")).toBe("false");
    act(() => button.click());
    const drawer = page.querySelector("dialog.drawer") as HTMLDialogElement;
    expect(drawer).not.toBeNull();
    expect(button.getAttribute("aria-expanded")).toBe("true");
    expect((drawer.querySelector('select[aria-label="Answer from documents"]') as HTMLSelectElement).value).toBe("Kitchen");
    expect(drawer.querySelector('form[aria-label="LoRA adapter"]')).not.toBeNull();

    const temperature = drawer.querySelector('input[placeholder="from Settings"]') as HTMLInputElement;
    temperature.value = "0.3";
    act(() => {
      temperature.dispatchEvent(new Event("input", { bubbles: true }));
    });
    expect(Array.from(page.querySelectorAll(".setting-chips .chip")).map((c) => c.textContent)).toContain("Temperature 0.3");

    sendFromComposer(page, "Again");
    await settle();
    expect(sent).toEqual([{ content: "Again", options: { temperature: 0.3 } }]);
  });

  it("lists every setting that changes the answers as a chip", () => {
    const shown = view();
    shown.conversation.settings = { collection: "Notes", adapter: { path: "/a.gguf", scale: 1 }, thinking: false, tools: false };
    shown.tool_servers = 1;
    expect(settingChips(shown, { max_tokens: 64 })).toEqual(["Documents: Notes", "Adapter", "Thinking off", "Tools off", "Up to 64 tokens"]);
    expect(settingChips(null, {})).toEqual([]);
  });
});
