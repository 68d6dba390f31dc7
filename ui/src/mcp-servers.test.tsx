// The Settings page's MCP tool servers, in jsdom, on the real HTTP transport over a
// fake fetch that plays the server: the servers listed with their state, the tools
// shown with the words the model reads, a server turned off (the request sent, the
// list read again), and a server that could not start named with its reason.

import { describe, expect, it } from "vitest";
import { act } from "preact/test-utils";
import { mount, settle } from "./test-mount";
import { Api, type McpServer, type McpToolList } from "./api";
import { ApiContext } from "./shell";
import { McpServers } from "./mcp-servers";
import { HttpTransport } from "./transport";

const json = (value: unknown, status = 200) => new Response(JSON.stringify(value), { status, headers: { "Content-Type": "application/json" } });

function server(change: Partial<McpServer> = {}): McpServer {
  return { name: "files", transport: "stdio", reach: "npx -y @modelcontextprotocol/server-filesystem /notes", enabled: true, state: "idle", pid: null, remote: false, ...change };
}

/** Plays `/api/mcp`: a list of servers the test can change, and the tools it answers. */
function fakeServer(servers: McpServer[], tools: McpToolList) {
  const requests: { url: string; method: string; body: unknown }[] = [];
  const impl = (async (url: string, init: RequestInit) => {
    const method = init.method ?? "GET";
    const body = typeof init.body === "string" ? JSON.parse(init.body) : undefined;
    requests.push({ url, method, body });
    if (url === "/api/mcp/servers") return json({ servers, offline: false });
    if (url === "/api/mcp/tools") {
      servers.forEach((s) => s.enabled && (s.state = "connected"));
      return json(tools);
    }
    const switched = url.match(/^\/api\/mcp\/servers\/([^/]+)\/enabled$/);
    if (switched && method === "PUT") {
      const found = servers.find((s) => s.name === decodeURIComponent(switched[1]));
      if (!found) return json({ code: "NOT_FOUND", message: "no MCP server has that name" }, 404);
      found.enabled = body.enabled;
      found.state = body.enabled ? "idle" : "off";
      return json({ enabled: body.enabled });
    }
    return json({ code: "NOT_FOUND", message: url }, 404);
  }) as unknown as typeof fetch;
  return { impl, requests };
}

function page(impl: typeof fetch) {
  return mount(
    <ApiContext.Provider value={new Api(new HttpTransport("", "", impl))}>
      <McpServers />
    </ApiContext.Provider>,
  );
}

const button = (root: Element, name: string) => Array.from(root.querySelectorAll("button")).find((b) => b.textContent!.includes(name)) as HTMLButtonElement;

describe("MCP servers in the settings", () => {
  it("lists the servers, shows their tools, and turns one off", async () => {
    const servers = [server(), server({ name: "far", transport: "http", reach: "https://mcp.example.com/mcp", enabled: false, state: "off", remote: true })];
    const tools: McpToolList = {
      tools: [{ name: "files__read_text_file", server: "files", tool: "read_text_file", title: "Read text file", description: "Read the complete contents of a file as text." }],
      errors: [],
    };
    const fake = fakeServer(servers, tools);
    const root = page(fake.impl);
    await settle(30);

    const rows = Array.from(root.querySelectorAll("tbody tr"));
    expect(rows.map((r) => r.querySelectorAll("td")[1].textContent)).toEqual(["files", "far"]);
    expect(rows[0].textContent).toContain("on, not started yet");
    expect(rows[1].textContent).toContain("on the network");
    expect((rows[1].querySelector("input[type=checkbox]") as HTMLInputElement).checked).toBe(false);

    await act(async () => button(root, "Show their tools").click());
    await settle(30);
    expect(root.querySelector(".mcp-tools dt")!.textContent).toContain("files__read_text_file");
    expect(root.querySelector(".mcp-tools dd")!.textContent).toBe("Read the complete contents of a file as text.");
    expect(root.querySelector("tbody tr")!.textContent).toContain("running");

    const box = root.querySelector('input[aria-label="Offer the tools of files"]') as HTMLInputElement;
    await act(async () => {
      box.checked = false;
      box.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await settle(30);
    expect(fake.requests.find((r) => r.method === "PUT")).toEqual({ url: "/api/mcp/servers/files/enabled", method: "PUT", body: { enabled: false } });
    expect(root.querySelector("tbody tr")!.textContent).toContain("off");
    // The tools shown before the switch are gone with it.
    expect(root.querySelector(".mcp-tools")).toBeNull();
  });

  it("names a server that could not start, and says how to add one when there is none", async () => {
    const failing = fakeServer([server({ name: "broken", reach: "no-such-program" })], {
      tools: [],
      errors: [{ server: "broken", message: "could not start MCP server 'broken' (no-such-program): No such file or directory" }],
    });
    const root = page(failing.impl);
    await settle(30);
    await act(async () => button(root, "Show their tools").click());
    await settle(30);
    expect(root.querySelector('.mcp-tools [role="alert"]')!.textContent).toContain("could not start MCP server 'broken'");

    const empty = page(fakeServer([], { tools: [], errors: [] }).impl);
    await settle(30);
    expect(empty.textContent).toContain("hearth mcp add");
    expect(empty.querySelector("table")).toBeNull();
  });
});
