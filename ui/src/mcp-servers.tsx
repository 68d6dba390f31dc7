// MCP tool servers, on the Settings page: the servers configured (with `hearth mcp add`
// or the settings file), whether each is on and running, the tools they offer with the
// words the model reads, and a switch per server. Servers are not added here: a stdio
// server is a program Hearth runs, and the page never names one.

import { useEffect, useState } from "preact/hooks";
import type { McpServer, McpToolList } from "./api";
import { ErrorNote, useApi } from "./shell";

const STATES = {
  off: "off",
  idle: "on, not started yet",
  connecting: "starting…",
  connected: "running",
} as const;

export function McpServers() {
  const api = useApi();
  const [servers, setServers] = useState<McpServer[] | null>(null);
  const [offline, setOffline] = useState(false);
  const [tools, setTools] = useState<McpToolList | null>(null);
  const [listing, setListing] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const reload = () =>
    api.mcpServers().then((s) => {
      setServers(s.servers);
      setOffline(s.offline);
    }, setError);
  useEffect(() => void reload(), []);

  async function listTools() {
    setListing(true);
    try {
      setTools(await api.mcpTools());
      setError(null);
      await reload();
    } catch (e) {
      setError(e);
    } finally {
      setListing(false);
    }
  }

  async function turn(server: McpServer, enabled: boolean) {
    // Shown switched at once: the box is drawn from this list, and any redraw before the
    // server answers would otherwise flip it back.
    setServers((list) => list?.map((s) => (s.name === server.name ? { ...s, enabled } : s)) ?? list);
    try {
      await api.setMcpServerEnabled(server.name, enabled);
      setError(null);
      // A list shown before the switch would name tools no longer offered (or miss some).
      setTools(null);
      await reload();
    } catch (e) {
      setError(e);
      await reload();
    }
  }

  if (!servers) return <ErrorNote error={error} />;
  return (
    <div class="mcp-servers" aria-label="Tool servers">
      {servers.length === 0 ? (
        <p>
          No tool servers. Add one from a terminal, for example <code>hearth mcp add files -- npx -y @modelcontextprotocol/server-filesystem ~/Documents</code>;
          models that can call tools are then offered its tools, and every call waits for your approval.
        </p>
      ) : (
        <>
          <p>
            Models that can call tools are offered these servers' tools; every call is shown and waits for your approval. Add or remove servers with{" "}
            <code>hearth mcp</code>.
          </p>
          <table class="mcp-server-list">
            <thead>
              <tr>
                <th>On</th>
                <th>Name</th>
                <th>Runs</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {servers.map((s) => (
                <tr key={s.name}>
                  <td>
                    <input type="checkbox" checked={s.enabled} aria-label={`Offer the tools of ${s.name}`} onChange={(e) => turn(s, (e.target as HTMLInputElement).checked)} />
                  </td>
                  <td>{s.name}</td>
                  <td>
                    <code>{s.reach}</code>
                    {s.remote && <span class="note"> on the network{offline ? ": not contacted while offline" : ""}</span>}
                  </td>
                  <td>
                    {STATES[s.state]}
                    {s.pid != null && ` (process ${s.pid})`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <button type="button" onClick={listTools} disabled={listing}>
            {listing ? "Asking the servers…" : "Show their tools"}
          </button>
        </>
      )}
      {tools && (
        <div class="mcp-tools" aria-label="Tools offered">
          {tools.tools.length === 0 && tools.errors.length === 0 && <p>No tools: every server is off.</p>}
          {tools.tools.length > 0 && (
            <>
              <p>What the model reads about each tool (a server's own words, which can steer the model):</p>
              <dl>
                {tools.tools.map((t) => (
                  <div key={t.name}>
                    <dt>
                      <code>{t.name}</code>
                      {t.title && ` ${t.title}`}
                    </dt>
                    <dd>{t.description ?? "No description."}</dd>
                  </div>
                ))}
              </dl>
            </>
          )}
          {tools.errors.map((e, i) => (
            <p key={i} class="error" role="alert">
              {e.message}
            </p>
          ))}
        </div>
      )}
      <ErrorNote error={error} onDismiss={() => setError(null)} />
    </div>
  );
}
