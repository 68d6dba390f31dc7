import { describe, expect, it } from "vitest";
import { HearthError, HttpTransport, LOGIN_NEEDED } from "./transport";

function fakeFetch(respond: (url: string, init: RequestInit) => Response) {
  const calls: { url: string; init: RequestInit }[] = [];
  const impl = (async (url: string, init: RequestInit) => {
    calls.push({ url, init });
    return respond(url, init);
  }) as unknown as typeof fetch;
  return { impl, calls };
}

describe("HttpTransport", () => {
  it("sends the token and JSON, and reads JSON", async () => {
    const { impl, calls } = fakeFetch(() => new Response(JSON.stringify([{ id: "c1" }]), { status: 200 }));
    const transport = new HttpTransport("hearth-abc", "", impl);
    expect(await transport.request("POST", "/api/conversations", { title: "x" })).toEqual([{ id: "c1" }]);
    const headers = calls[0].init.headers as Record<string, string>;
    expect(headers.Authorization).toBe("Bearer hearth-abc");
    expect(headers["Content-Type"]).toBe("application/json");
    expect(calls[0].init.body).toBe('{"title":"x"}');
  });

  it("sends no token of its own but the same-origin session cookie", async () => {
    const { impl, calls } = fakeFetch(() => new Response("[]", { status: 200 }));
    await new HttpTransport("", "", impl).request("GET", "/api/conversations");
    await new HttpTransport("", "", impl).stream("/api/x", {}, () => {});
    for (const call of calls) {
      expect((call.init.headers as Record<string, string>).Authorization).toBeUndefined();
      expect(call.init.credentials).toBe("same-origin");
    }
  });

  it("says how to log in when Hearth answers 401", async () => {
    const body = { code: "UNAUTHORIZED", message: "this request needs a bearer token or a browser login" };
    const { impl } = fakeFetch(() => new Response(JSON.stringify(body), { status: 401 }));
    let told = 0;
    const transport = new HttpTransport("", "", impl, () => told++);
    const error = (await transport.request("GET", "/api/x").catch((e: HearthError) => e)) as HearthError;
    expect(error.code).toBe("UNAUTHORIZED");
    expect(error.status).toBe(401);
    expect(error.message).toBe(LOGIN_NEEDED);
    expect(error.message).toContain("login link that `hearth serve` printed");
    expect(error.message).toContain("hearth serve --login-link");
    await transport.stream("/api/x", {}, () => {}).catch(() => {});
    expect(told).toBe(2);
  });

  it("reads an answer without a body (a cancelled job's 202) as nothing", async () => {
    const { impl } = fakeFetch(() => new Response(null, { status: 202 }));
    expect(await new HttpTransport("t", "", impl).request("POST", "/api/jobs/j1/cancel", {})).toBeUndefined();
  });

  it("turns Hearth's error body into a HearthError with the field", async () => {
    const body = { code: "INVALID_REQUEST", message: "`content` is required", details: { field: "content" } };
    const { impl } = fakeFetch(() => new Response(JSON.stringify(body), { status: 400 }));
    const error = (await new HttpTransport("t", "", impl).request("GET", "/api/x").catch((e: HearthError) => e)) as HearthError;
    expect(error).toBeInstanceOf(HearthError);
    expect(error.code).toBe("INVALID_REQUEST");
    expect(error.field).toBe("content");
    expect(error.status).toBe(400);
    expect(error.message).toBe("`content` is required");
  });

  it("says what to do when the server is gone", async () => {
    const impl = (async () => {
      throw new TypeError("Failed to fetch");
    }) as unknown as typeof fetch;
    const error = (await new HttpTransport("t", "", impl).request("GET", "/api/x").catch((e: HearthError) => e)) as HearthError;
    expect(error.code).toBe("OFFLINE");
    expect(error.message).toContain("hearth serve");
  });

  it("streams named events", async () => {
    const { impl } = fakeFetch(
      () => new Response('event: started\ndata: {"answer_id":"a"}\n\nevent: delta\ndata: {"text":"Hi"}\n\n', { status: 200, headers: { "content-type": "text/event-stream" } }),
    );
    const seen: string[] = [];
    await new HttpTransport("t", "", impl).stream("/api/x", {}, (e) => seen.push(`${e.event}:${e.data}`));
    expect(seen).toEqual(['started:{"answer_id":"a"}', 'delta:{"text":"Hi"}']);
  });
});
