// The Activity page: the audit log of every generation — when, what for, which model,
// where it ran, and for remote models how much text left this computer and what was
// redacted first. Hashes only: the log never holds what was said. Export as JSON Lines.

import { useEffect, useState } from "preact/hooks";
import type { AuditRecord } from "./api";
import { ErrorNote, useApi } from "./shell";
import { saveText } from "./save";

export function ActivityPage() {
  const api = useApi();
  const [records, setRecords] = useState<AuditRecord[] | null>(null);
  const [remoteOnly, setRemoteOnly] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    api.audit({ remote: remoteOnly }).then((r) => setRecords(r.reverse()), setError);
  }, [remoteOnly]);

  const sent = (records ?? []).filter((r) => r.sent_bytes != null);
  const sentBytes = sent.reduce((total, r) => total + (r.sent_bytes ?? 0), 0);

  function exportLines() {
    const lines = [...(records ?? [])].reverse().map((r) => JSON.stringify(r)).join("\n") + "\n";
    saveText("hearth-audit.jsonl", lines, "application/x-ndjson").catch(setError);
  }

  return (
    <section class="page activity" aria-label="Activity">
      <h1>Activity</h1>
      <p>
        Every answer, title, summary and translation any model wrote, newest first. The log keeps fingerprints (SHA-256) of what was asked and
        answered, never the text.
      </p>
      <p role="status">
        {sent.length === 0
          ? "Nothing in this list left this computer."
          : `${sent.length} of these were sent to a remote provider: ${sentBytes.toLocaleString()} bytes of text in all.`}
      </p>
      <label>
        <input type="checkbox" checked={remoteOnly} onChange={(e) => setRemoteOnly((e.target as HTMLInputElement).checked)} /> Only what left this
        computer
      </label>{" "}
      <button type="button" onClick={exportLines} disabled={!records?.length}>
        Export (JSON Lines)
      </button>
      <ErrorNote error={error} onDismiss={() => setError(null)} />
      {records && (
        <table class="audit-log">
          <thead>
            <tr>
              <th>When</th>
              <th>For</th>
              <th>Model</th>
              <th>Where</th>
              <th>Sent</th>
              <th>Redacted</th>
              <th>Outcome</th>
            </tr>
          </thead>
          <tbody>
            {records.map((r) => (
              <tr key={r.id} data-remote={r.sent_bytes != null ? "yes" : "no"}>
                <td>{new Date(r.created_at).toLocaleString()}</td>
                <td>{r.purpose.replace(/_/g, " ")}</td>
                <td>
                  {r.model}
                  {r.adapter && <span class="meta"> + adapter {r.adapter}</span>}
                </td>
                <td>{r.provider === "local" ? "this computer" : r.provider}</td>
                <td>{r.sent_bytes != null ? `${r.sent_bytes.toLocaleString()} bytes` : "nothing"}</td>
                <td>
                  {r.redactions && Object.keys(r.redactions).length
                    ? Object.entries(r.redactions)
                        .map(([kind, n]) => `${n} ${kind}`)
                        .join(", ")
                    : "—"}
                </td>
                <td>{r.error ? `failed: ${r.error}` : (r.stop_reason ?? "").replace(/_/g, " ")}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
