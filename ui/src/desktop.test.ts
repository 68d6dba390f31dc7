import { describe, expect, it } from "vitest";
import type { Channel } from "@tauri-apps/api/core";
import { inDesktop, IpcTransport, isLocalFile } from "./desktop";
import { documentSource } from "./document-input";
import { HearthError } from "./transport";
import type { SseEvent } from "./sse";
import { withAttachments } from "./composer";

type Call = { command: string; args: Record<string, unknown> };

/** A stand-in for Tauri's invoke: records calls, answers with `respond`. */
function fakeInvoke(respond: (call: Call) => Promise<unknown>) {
  const calls: Call[] = [];
  const invoke = (async (command: string, args: Record<string, unknown>) => {
    const call = { command, args };
    calls.push(call);
    return respond(call);
  }) as never;
  return { invoke, calls };
}

/** A channel whose messages the test delivers by hand. */
function fakeChannel() {
  const channel = { onmessage: (_: SseEvent) => {} };
  return { channel, make: () => channel as unknown as Channel<SseEvent> };
}

describe("IpcTransport", () => {
  it("sends the same requests as over HTTP and returns the answer", async () => {
    const { invoke, calls } = fakeInvoke(async () => [{ id: "c1" }]);
    const transport = new IpcTransport(invoke);
    expect(await transport.request("POST", "/api/conversations", { title: "x" })).toEqual([{ id: "c1" }]);
    expect(calls[0]).toEqual({ command: "api_request", args: { method: "POST", path: "/api/conversations", body: { title: "x" } } });
    await transport.request("GET", "/api/health");
    expect(calls[1].args.body).toBeNull();
  });

  it("turns a command's { code, message, details } into a HearthError with the field", async () => {
    const { invoke } = fakeInvoke(async () => {
      throw { code: "INVALID_REQUEST", message: "`content` is required", details: { field: "content" } };
    });
    const error = (await new IpcTransport(invoke).request("POST", "/api/x", {}).catch((e) => e)) as HearthError;
    expect(error).toBeInstanceOf(HearthError);
    expect(error.code).toBe("INVALID_REQUEST");
    expect(error.message).toBe("`content` is required");
    expect(error.field).toBe("content");
    const odd = (await new IpcTransport(fakeInvoke(async () => Promise.reject("window closed")).invoke).text("/api/export").catch((e) => e)) as HearthError;
    expect(odd.code).toBe("DESKTOP");
    expect(odd.message).toContain("window closed");
  });

  it("ends a stream only when its last event has arrived, in order", async () => {
    const { channel, make } = fakeChannel();
    const { invoke, calls } = fakeInvoke(async () => {
      channel.onmessage({ event: "started", data: "{}" });
      channel.onmessage({ event: "delta", data: '{"text":"Hi"}' });
      // The command answers before the channel's last messages land.
      setTimeout(() => {
        channel.onmessage({ event: "finished", data: "{}" });
        channel.onmessage({ event: "__end__", data: "" });
      }, 20);
      return null;
    });
    const seen: string[] = [];
    await new IpcTransport(invoke, make).stream("/api/conversations/c1/messages", { content: "Hello" }, (e) => seen.push(e.event));
    expect(seen).toEqual(["started", "delta", "finished"]);
    expect(calls[0].command).toBe("api_stream");
    expect(calls[0].args.path).toBe("/api/conversations/c1/messages");
    expect(calls[0].args.onEvent).toBe(channel);
  });

  it("stops a stream on abort through api_cancel, with the stream's own id", async () => {
    const { channel, make } = fakeChannel();
    let finish!: () => void;
    const { invoke, calls } = fakeInvoke(async (call) => {
      if (call.command === "api_cancel") {
        channel.onmessage({ event: "__end__", data: "" });
        finish();
        return true;
      }
      channel.onmessage({ event: "started", data: "{}" });
      await new Promise<void>((resolve) => (finish = resolve));
      return null;
    });
    const controller = new AbortController();
    const seen: string[] = [];
    const done = new IpcTransport(invoke, make).stream("/api/summarize", {}, (e) => seen.push(e.event), controller.signal);
    await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await done;
    const cancel = calls.find((c) => c.command === "api_cancel")!;
    expect(cancel.args.stream).toBe(calls[0].args.stream);
    expect(seen).toEqual(["started"]);
  });
});

describe("desktop helpers", () => {
  it("knows whether it runs inside the app", () => {
    expect(inDesktop({})).toBe(false);
    expect(inDesktop({ __TAURI_INTERNALS__: {} })).toBe(true);
  });

  it("sends a chosen file by the app's handle for it, never by a path", async () => {
    const chosen = { handle: "hearth-chosen:0123abcd", name: "report.pdf" };
    expect(isLocalFile(chosen)).toBe(true);
    expect(isLocalFile(new File(["x"], "a.txt"))).toBe(false);
    expect(await documentSource(chosen)).toEqual({ name: "report.pdf", path: "hearth-chosen:0123abcd" });
  });

  it("sends attached documents before the question, as the model will see them", () => {
    expect(withAttachments("Summarize it", [])).toBe("Summarize it");
    const sent = withAttachments("What is the deadline?", [
      { name: "a.md", markdown: "# Plan\n\nShip in May.\n", characters: 20 },
      { name: "b.txt", markdown: "Budget: 10", characters: 10 },
    ]);
    expect(sent).toBe("Document: a.md\n\n# Plan\n\nShip in May.\n\n---\n\nDocument: b.txt\n\nBudget: 10\n\n---\n\nWhat is the deadline?");
    expect(withAttachments("", [{ name: "a.md", markdown: "x", characters: 1 }])).toBe("Document: a.md\n\nx");
  });
});
