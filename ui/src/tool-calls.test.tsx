// The tool-call cards and the chat's handling of an answer that calls MCP tools, in jsdom.
// The page runs on the real HTTP transport over a fake fetch: the answer's stream is a
// server-sent-events body the test writes event by event (as `hearth serve` sends them),
// and each decision is a request the test reads back (method, address, body).

import { describe, expect, it } from "vitest";
import { act } from "preact/test-utils";
import { mount, settle, unmount, sendFromComposer } from "./test-mount";
import { Api, type ConversationView, type Message, type ToolCallRecord } from "./api";
import { ApiContext } from "./shell";
import { ChatPage } from "./chat";
import { HttpTransport } from "./transport";
import { approvalNote, prettyArguments, ToolCallCard, ToolCalls, toolLabel, withToolCall } from "./tool-calls";

const PATH = "/tmp/hearth-notes/notes.txt";
const SENTENCE = "The lighthouse keeper feeds the cat at seven.";

function call(change: Partial<ToolCallRecord> = {}): ToolCallRecord {
  return {
    id: "call_1",
    round: 0,
    name: "files__read_text_file",
    server: "files",
    tool: "read_text_file",
    arguments: { path: PATH },
    status: "pending",
    approval: null,
    result: null,
    is_error: false,
    ...change,
  };
}

/** A fetch that answers from `respond`, recording every request. */
function fakeFetch(respond: (url: string, init: RequestInit) => Response | Promise<Response>) {
  const requests: { url: string; method: string; body: unknown }[] = [];
  const impl = (async (url: string, init: RequestInit) => {
    requests.push({ url, method: init.method ?? "GET", body: typeof init.body === "string" ? JSON.parse(init.body) : undefined });
    return respond(url, init);
  }) as unknown as typeof fetch;
  return { impl, requests };
}

const json = (value: unknown, status = 200) => new Response(JSON.stringify(value), { status, headers: { "Content-Type": "application/json" } });

/** The buttons of a card, by their accessible names. */
function buttons(card: Element): Record<string, HTMLButtonElement> {
  return Object.fromEntries(Array.from(card.querySelectorAll("button")).map((b) => [b.textContent!.trim(), b as HTMLButtonElement]));
}

describe("tool call helpers", () => {
  it("replaces a call by its id and adds a new one at the end", () => {
    let calls: ToolCallRecord[] = [];
    calls = withToolCall(calls, call({ preamble: "Let me look." }));
    calls = withToolCall(calls, call({ id: "call_2", arguments: { path: "/tmp/other.txt" } }));
    calls = withToolCall(calls, call({ status: "running", approval: "once" }));
    expect(calls.map((c) => [c.id, c.status])).toEqual([
      ["call_1", "running"],
      ["call_2", "pending"],
    ]);
    // The round's lead-in stays with its call when a later state leaves it out.
    expect(calls[0].preamble).toBe("Let me look.");
  });

  it("shows arguments as indented JSON, parsing a JSON string", () => {
    expect(prettyArguments({ path: PATH })).toBe(`{\n  "path": "${PATH}"\n}`);
    expect(prettyArguments(`{"path":"${PATH}"}`)).toBe(`{\n  "path": "${PATH}"\n}`);
    expect(prettyArguments("not json")).toBe("not json");
    expect(prettyArguments(null)).toBe("{}");
  });

  it("names the tool and how the call was decided", () => {
    expect(toolLabel(call())).toBe("files · read_text_file");
    expect(toolLabel(call({ server: "", tool: "" }))).toBe("files__read_text_file");
    expect(approvalNote(call())).toBe("");
    expect(approvalNote(call({ approval: "once" }))).toBe("Allowed once");
    expect(approvalNote(call({ approval: "always" }))).toBe("Always allowed in this conversation");
    expect(approvalNote(call({ approval: "never" }))).toBe("Always denied in this conversation");
  });
});

describe("ToolCallCard", () => {
  it("shows the tool and the arguments the model wrote, as a named group", () => {
    const page = mount(<ToolCallCard call={call({ arguments: { path: PATH, head: 3 } })} />);
    const card = page.querySelector('[role="group"]')!;
    expect(card.getAttribute("aria-label")).toBe("Tool call: files__read_text_file");
    expect(card.querySelector(".tool-name")!.textContent).toBe("files · read_text_file");
    const pre = card.querySelector("pre.tool-arguments")!;
    expect(JSON.parse(pre.textContent!)).toEqual({ path: PATH, head: 3 });
    expect(pre.textContent).toContain("\n  "); // indented, not one line
  });

  it("offers the three decisions only while the call is pending", () => {
    const chosen: string[] = [];
    const page = mount(<ToolCallCard call={call()} onDecide={(d) => chosen.push(d)} />);
    const card = page.querySelector('[role="group"]')!;
    const choices = buttons(card);
    expect(Object.keys(choices)).toEqual(["Allow once", "Always allow", "Deny"]);
    for (const button of Object.values(choices)) {
      expect(button.disabled).toBe(false);
      expect(button.type).toBe("button");
      button.focus();
      expect(document.activeElement).toBe(button);
    }
    act(() => choices["Allow once"].click());
    act(() => choices["Always allow"].click());
    act(() => choices["Deny"].click());
    expect(chosen).toEqual(["once", "always", "never"]);

    for (const status of ["running", "done", "failed", "declined"] as const) {
      unmount();
      const other = mount(<ToolCallCard call={call({ status, approval: "once", result: status === "done" ? SENTENCE : status === "failed" ? "no such file" : null })} onDecide={() => {}} />);
      expect(other.querySelectorAll("button")).toHaveLength(0);
    }
  });

  it("says it is running, then folds the result or the error, or says it was declined", () => {
    let page = mount(<ToolCallCard call={call({ status: "running", approval: "always" })} />);
    expect(page.querySelector('[role="status"]')!.textContent).toBe("Running…");
    expect(page.querySelector(".tool-approval")!.textContent).toBe("Always allowed in this conversation");
    expect(page.querySelector("details")).toBeNull();

    unmount();
    page = mount(<ToolCallCard call={call({ status: "done", approval: "once", result: SENTENCE })} />);
    const details = page.querySelector("details.tool-result") as HTMLDetailsElement;
    expect(details.open).toBe(false);
    expect(details.querySelector("summary")!.textContent).toBe("Result");
    expect(details.querySelector("pre")!.textContent).toBe(SENTENCE);
    expect(page.querySelector(".tool-approval")!.textContent).toBe("Allowed once");
    act(() => (details.querySelector("summary") as HTMLElement).click());
    expect(details.open).toBe(true);

    unmount();
    page = mount(<ToolCallCard call={call({ status: "failed", approval: "once", result: "ENOENT: no such file", is_error: true })} />);
    const error = page.querySelector("details.tool-result") as HTMLDetailsElement;
    expect(error.open).toBe(false);
    expect(error.querySelector("summary")!.textContent).toBe("Error");
    expect(error.querySelector("pre")!.textContent).toBe("ENOENT: no such file");

    unmount();
    page = mount(<ToolCallCard call={call({ status: "declined", approval: "never" })} />);
    expect(page.querySelector(".tool-status")!.textContent).toBe("Declined");
    expect(page.querySelector(".tool-approval")!.textContent).toBe("Always denied in this conversation");
    expect(page.querySelector("details")).toBeNull();
  });

  it("shows a tool's text as text, never as markup", () => {
    const page = mount(<ToolCallCard call={call({ status: "done", result: '<img src=x onerror="window.__hacked=1">', arguments: { path: "<b>x</b>" } })} />);
    expect(page.querySelector("img")).toBeNull();
    expect(page.querySelector("b")).toBeNull();
    expect(page.querySelector(".tool-result pre")!.textContent).toBe('<img src=x onerror="window.__hacked=1">');
  });
});

describe("ToolCalls decisions", () => {
  it("posts the decision for the answer's call, with the choices off while it goes", async () => {
    let answer: (response: Response) => void = () => {};
    const { impl, requests } = fakeFetch(() => new Promise<Response>((ok) => (answer = ok)));
    const page = mount(
      <ApiContext.Provider value={new Api(new HttpTransport("", "", impl))}>
        <ToolCalls answerId="a 2" calls={[call({ id: "call/1" })]} />
      </ApiContext.Provider>,
    );
    const card = page.querySelector('[role="group"]')!;
    act(() => buttons(card)["Always allow"].click());
    await settle();
    expect(requests).toEqual([{ url: "/api/messages/a%202/tool-calls/call%2F1", method: "POST", body: { decision: "always" } }]);
    // While the request runs, no second decision can be sent.
    expect(Object.values(buttons(card)).every((b) => b.disabled)).toBe(true);
    answer(new Response(null, { status: 204 }));
    await settle();
    // Decided: the choices stay off until the stream says what became of the call.
    expect(Object.values(buttons(card)).every((b) => b.disabled)).toBe(true);
    expect(card.querySelector('[role="alert"]')).toBeNull();
  });

  it("each button sends its own decision", async () => {
    for (const [label, decision] of [
      ["Allow once", "once"],
      ["Deny", "never"],
    ]) {
      const { impl, requests } = fakeFetch(() => new Response(null, { status: 204 }));
      const page = mount(
        <ApiContext.Provider value={new Api(new HttpTransport("", "", impl))}>
          <ToolCalls answerId="a2" calls={[call()]} />
        </ApiContext.Provider>,
      );
      act(() => buttons(page.querySelector('[role="group"]')!)[label].click());
      await settle();
      expect(requests).toEqual([{ url: "/api/messages/a2/tool-calls/call_1", method: "POST", body: { decision } }]);
      unmount();
    }
  });

  it("shows why a decision was refused and lets the user try again", async () => {
    const refusal = { code: "NO_PENDING_TOOL_CALL", message: "tool call call_1 is not waiting for a decision; it was already decided or the answer ended" };
    const { impl, requests } = fakeFetch(() => json(refusal, 404));
    const page = mount(
      <ApiContext.Provider value={new Api(new HttpTransport("", "", impl))}>
        <ToolCalls answerId="a2" calls={[call()]} />
      </ApiContext.Provider>,
    );
    const card = page.querySelector('[role="group"]')!;
    act(() => buttons(card)["Allow once"].click());
    await settle();
    expect(requests).toHaveLength(1);
    expect(card.querySelector('[role="alert"]')!.textContent).toBe(refusal.message);
    expect(Object.values(buttons(card)).every((b) => !b.disabled)).toBe(true);
  });
});

/** An SSE body the test writes to, one event at a time. */
function sseBody() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => (controller = c) });
  const encoder = new TextEncoder();
  return {
    body,
    send: (event: string, data: unknown) => controller.enqueue(encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)),
    end: () => controller.close(),
  };
}

function conversationView(): ConversationView {
  const base = { conversation_id: "c1", parent_id: null, kind: "message" as const, error: null, model: "qwen2.5-coder", token_count: null, created_at: 0 };
  return {
    conversation: { id: "c1", title: "Notes", title_source: "user", model: "qwen2.5-coder", system_prompt: null, persona_id: null, pinned: false, archived: false, created_at: 0, updated_at: 0, tags: [], settings: {} },
    messages: [{ ...base, id: "q0", role: "user", content: "Hello?", state: "done" }],
    siblings: {},
    summaries: [],
  };
}

/** The chat page on a fake server: the conversation, the other lists empty, the answer's
 * stream written by the test, decisions answered 204. */
function fakeServer(view: ConversationView) {
  const stream = sseBody();
  const { impl, requests } = fakeFetch((url, init) => {
    if (url === "/api/conversations/c1/messages") return new Response(stream.body, { status: 200, headers: { "Content-Type": "text/event-stream" } });
    if (url.includes("/tool-calls/")) return new Response(null, { status: 204 });
    if (url === "/api/conversations/c1" && (init.method ?? "GET") === "GET") return json(view);
    if (url.startsWith("/api/providers")) return json({ providers: [], offline: false });
    return json([]);
  });
  return { impl, requests, stream };
}

function cards(page: HTMLElement, within = ".message.assistant") {
  return page.querySelectorAll(`${within} [role="group"][aria-label^="Tool call:"]`);
}

describe("ChatPage with a model that calls tools", () => {
  it("streams a call pending → running → done in one card, and the answer after it", async () => {
    const view = conversationView();
    const server = fakeServer(view);
    const page = mount(
      <ApiContext.Provider value={new Api(new HttpTransport("", "", server.impl))}>
        <ChatPage id="c1" />
      </ApiContext.Provider>,
    );
    await settle();
    sendFromComposer(page, `Read ${PATH}`);
    await settle();

    const { send, end } = server.stream;
    send("started", { answer_id: "a1", user_message: { ...view.messages[0], id: "q1", content: `Read ${PATH}` } });
    send("delta", { text: "Let me read " });
    send("delta", { text: "the file." });
    await settle();
    const live = () => page.querySelector(".message.streaming")!;
    expect(live().querySelector(".markdown")!.textContent).toContain("Let me read the file.");

    send("tool_call", { call: call({ preamble: "Let me read the file." }) });
    await settle();
    expect(cards(page, ".message.streaming")).toHaveLength(1);
    const card = () => cards(page, ".message.streaming")[0];
    expect(card().getAttribute("data-status")).toBe("pending");
    expect(JSON.parse(card().querySelector("pre.tool-arguments")!.textContent!)).toEqual({ path: PATH });
    // The lead-in is shown once, above the card, not as the answer's text.
    expect(live().querySelector(".tool-preamble")!.textContent).toContain("Let me read the file.");
    expect(live().querySelectorAll(".markdown:not(.tool-preamble)")).toHaveLength(0);
    // The answer waits for the user: not busy, and the stop button is still there.
    expect(live().getAttribute("aria-busy")).toBe("false");
    expect(Array.from(page.querySelectorAll("form.composer button")).some((b) => b.textContent?.trim() === "Stop")).toBe(true);

    act(() => buttons(card())["Allow once"].click());
    await settle();
    expect(server.requests.filter((r) => r.url.includes("/tool-calls/"))).toEqual([{ url: "/api/messages/a1/tool-calls/call_1", method: "POST", body: { decision: "once" } }]);

    send("tool_call", { call: call({ status: "running", approval: "once" }) });
    await settle();
    expect(cards(page, ".message.streaming")).toHaveLength(1);
    expect(card().getAttribute("data-status")).toBe("running");
    expect(card().querySelector('[role="status"]')!.textContent).toBe("Running…");
    expect(card().querySelectorAll("button")).toHaveLength(0);
    expect(card().querySelector(".tool-approval")!.textContent).toBe("Allowed once");

    send("tool_call", { call: call({ status: "done", approval: "once", result: SENTENCE }) });
    await settle();
    expect(cards(page, ".message.streaming")).toHaveLength(1);
    expect(card().getAttribute("data-status")).toBe("done");
    const details = card().querySelector("details.tool-result") as HTMLDetailsElement;
    expect(details.open).toBe(false);
    expect(details.querySelector("summary")!.textContent).toBe("Result");
    expect(details.querySelector("pre")!.textContent).toBe(SENTENCE);
    // The model writes again: the page says so until its text comes.
    expect(live().querySelector("p.state")!.textContent).toBe("Thinking…");

    send("delta", { text: "The file says: " });
    send("delta", { text: SENTENCE });
    await settle();
    const text = live().querySelector(".markdown:not(.tool-preamble)")!;
    expect(text.textContent!.trim()).toBe(`The file says: ${SENTENCE}`);
    expect(text.textContent).not.toContain("Let me read");

    const stored: Message = {
      ...view.messages[0],
      id: "a1",
      parent_id: "q1",
      role: "assistant",
      content: `The file says: ${SENTENCE}`,
      state: "done",
      token_count: 30,
      tool_calls: [call({ status: "done", approval: "once", result: SENTENCE, preamble: "Let me read the file." })],
    };
    view.messages = [view.messages[0], { ...view.messages[0], id: "q1", content: `Read ${PATH}` }, stored];
    send("finished", { message: stored });
    end();
    await settle();
    expect(page.querySelector(".message.streaming")).toBeNull();
    const answers = page.querySelectorAll("article.message.assistant");
    const last = answers[answers.length - 1];
    expect(last.getAttribute("data-state")).toBe("done");
    expect(cards(page)).toHaveLength(1);
    expect((last.querySelector("details.tool-result") as HTMLDetailsElement).open).toBe(false);
    // No speed from a turn that waited on the user: the stored count is shown instead.
    expect(last.querySelector(".readout")!.textContent).toBe("30 tokens");
  });

  it("shows a stored answer's calls with their results folded above its text", async () => {
    const view = conversationView();
    const base = view.messages[0];
    view.messages.push({
      ...base,
      id: "a0",
      parent_id: "q0",
      role: "assistant",
      content: "Both files were read; the second was missing.",
      state: "done",
      tool_calls: [
        call({ status: "done", approval: "always", result: SENTENCE, preamble: "I will read both files." }),
        call({ id: "call_2", arguments: { path: "/tmp/missing.txt" }, status: "failed", approval: "always", result: "ENOENT: no such file", is_error: true }),
        call({ id: "call_3", round: 1, name: "files__write_file", tool: "write_file", arguments: { path: "/tmp/x", content: "x" }, status: "declined", approval: "never" }),
      ],
    });
    const server = fakeServer(view);
    const page = mount(
      <ApiContext.Provider value={new Api(new HttpTransport("", "", server.impl))}>
        <ChatPage id="c1" />
      </ApiContext.Provider>,
    );
    await settle();
    const answer = page.querySelector("article.message.assistant")!;
    const shown = cards(page);
    expect(Array.from(shown).map((c) => c.getAttribute("aria-label"))).toEqual(["Tool call: files__read_text_file", "Tool call: files__read_text_file", "Tool call: files__write_file"]);
    const [read, missing, write] = Array.from(shown);
    const result = read.querySelector("details.tool-result") as HTMLDetailsElement;
    expect(result.open).toBe(false);
    expect(result.querySelector("summary")!.textContent).toBe("Result");
    expect(result.querySelector("pre")!.textContent).toBe(SENTENCE);
    expect(read.querySelector(".tool-approval")!.textContent).toBe("Always allowed in this conversation");
    const error = missing.querySelector("details.tool-result") as HTMLDetailsElement;
    expect(error.open).toBe(false);
    expect(error.querySelector("summary")!.textContent).toBe("Error");
    expect(write.querySelector(".tool-status")!.textContent).toBe("Declined");
    expect(answer.querySelectorAll("button")).not.toHaveLength(0);
    expect(Array.from(answer.querySelectorAll('[role="group"] button'))).toHaveLength(0);
    // The calls come before the answer's text, the round's lead-in before its calls.
    const order = Array.from(answer.querySelectorAll(".tool-preamble, [role='group'], .markdown:not(.tool-preamble)")).map((e) => (e.getAttribute("role") === "group" ? "call" : e.classList.contains("tool-preamble") ? "preamble" : "text"));
    expect(order).toEqual(["preamble", "call", "call", "call", "text"]);
    expect(answer.querySelector(".markdown:not(.tool-preamble)")!.textContent!.trim()).toBe("Both files were read; the second was missing.");
  });
});
