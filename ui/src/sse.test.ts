import { describe, expect, it } from "vitest";
import { SseParser, readEvents, type SseEvent } from "./sse";

describe("SseParser", () => {
  it("reads named events with JSON data", () => {
    const parser = new SseParser();
    const events = parser.push('event: delta\ndata: {"text":"Hi"}\n\nevent: finished\ndata: {}\n\n');
    expect(events).toEqual([
      { event: "delta", data: '{"text":"Hi"}' },
      { event: "finished", data: "{}" },
    ]);
  });

  it("keeps an event split across chunks until it is complete", () => {
    const parser = new SseParser();
    expect(parser.push("event: del")).toEqual([]);
    expect(parser.push('ta\ndata: {"text":')).toEqual([]);
    expect(parser.push('"a"}\n')).toEqual([]);
    expect(parser.push("\n")).toEqual([{ event: "delta", data: '{"text":"a"}' }]);
  });

  it("skips comments, joins multi-line data and accepts CRLF", () => {
    const parser = new SseParser();
    const events = parser.push(": keep-alive\r\n\r\ndata: one\r\ndata: two\r\n\r\n");
    expect(events).toEqual([{ event: "message", data: "one\ntwo" }]);
  });
});

describe("readEvents", () => {
  it("decodes UTF-8 split inside a character", async () => {
    const bytes = new TextEncoder().encode('data: {"text":"héllo ✓"}\n\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside "é"
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes.slice(0, cut));
        controller.enqueue(bytes.slice(cut));
        controller.close();
      },
    });
    const seen: SseEvent[] = [];
    await readEvents(body, (e) => seen.push(e));
    expect(JSON.parse(seen[0].data).text).toBe("héllo ✓");
  });
});
