// An answer's MCP tool calls in the chat, above its text: a card for each call with the
// tool (server · tool) and the arguments the model wrote; while a call waits, the user's
// three choices (allow once, always allow, deny), since no tool runs without a decision
// unless the conversation said "always" for it; "Running…" while it runs; and what it
// returned folded like the thinking (a <details>, closed by default), because a tool's
// text can be long and the answer is what the user reads.

import { useState } from "preact/hooks";
import type { ToolCallRecord, ToolDecision } from "./api";
import { useApi } from "./shell";
import { MarkdownView } from "./markdown-view";

/** The calls with a call's new state: in its place when its id is there, else added at
 * the end (the stream sends the whole record each time a call changes). */
export function withToolCall(calls: ToolCallRecord[], call: ToolCallRecord): ToolCallRecord[] {
  const at = calls.findIndex((c) => c.id === call.id);
  if (at < 0) return [...calls, call];
  const next = calls.slice();
  // The round's text before its calls stays with the call, whether or not a later state repeats it.
  next[at] = { ...call, preamble: call.preamble ?? calls[at].preamble };
  return next;
}

/** "files · read_text_file": the server and the tool; the called name when the record has
 * neither (a tool the model made up). */
export function toolLabel(call: ToolCallRecord): string {
  return call.server && call.tool ? `${call.server} · ${call.tool}` : call.name;
}

/** The arguments as indented JSON; a model that wrote them as a JSON string gets them
 * parsed first, and text that is not JSON is shown as it is. */
export function prettyArguments(args: unknown): string {
  if (typeof args === "string") {
    try {
      return JSON.stringify(JSON.parse(args), null, 2);
    } catch {
      return args;
    }
  }
  return JSON.stringify(args ?? {}, null, 2) ?? String(args);
}

/** How the call was decided, in words; "" before it is. */
export function approvalNote(call: ToolCallRecord): string {
  switch (call.approval) {
    case "once":
      return "Allowed once";
    case "always":
      return "Always allowed in this conversation";
    case "never":
      return "Always denied in this conversation";
    default:
      return "";
  }
}

const DECISIONS: { decision: ToolDecision; label: string; title: string; class?: string }[] = [
  { decision: "once", label: "Allow once", title: "Run this call; ask again next time", class: "primary" },
  { decision: "always", label: "Always allow", title: "Run this call, and later calls of this tool in this conversation without asking" },
  { decision: "never", label: "Deny", title: "Do not run this call, nor later calls of this tool in this conversation", class: "danger" },
];

/** One call. `onDecide` is called with the user's choice while it is pending; `busy`
 * keeps the choices disabled (a decision is on its way); `error` is why the last one
 * failed. */
export function ToolCallCard({ call, onDecide, busy = false, error }: { call: ToolCallRecord; onDecide?: (decision: ToolDecision) => void; busy?: boolean; error?: string }) {
  const note = approvalNote(call);
  const failed = call.status === "failed" || (call.status === "done" && call.is_error);
  return (
    <div class={`tool-call ${call.status}`} role="group" aria-label={`Tool call: ${call.name}`} data-call-id={call.id} data-status={call.status} aria-busy={busy ? "true" : undefined}>
      <div class="tool-call-head">
        <span class="tool-name" title={call.name}>
          {toolLabel(call)}
        </span>
        {note && <small class="tool-approval">{note}</small>}
      </div>
      <pre class="tool-arguments">{prettyArguments(call.arguments)}</pre>
      {call.status === "pending" && (
        <div class="tool-decision">
          <span class="tool-status">Run this tool?</span>
          {DECISIONS.map((d) => (
            <button key={d.decision} type="button" class={d.class} title={d.title} disabled={busy || !onDecide} onClick={() => onDecide?.(d.decision)}>
              {d.label}
            </button>
          ))}
        </div>
      )}
      {call.status === "running" && (
        <p class="tool-status" role="status">
          Running…
        </p>
      )}
      {(call.status === "done" || call.status === "failed") && (
        <details class={`tool-result${failed ? " failed" : ""}`}>
          <summary>{failed ? "Error" : "Result"}</summary>
          <pre>{call.result ?? ""}</pre>
        </details>
      )}
      {call.status === "declined" && <p class="tool-status">Declined</p>}
      {error && (
        <p class="tool-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** An answer's calls in order, each round's text before its calls shown above them; the
 * choices post the user's decision on the answer's call. `onDecided` runs after a decision
 * was taken (a stored answer, not streaming here, is loaded again by it). */
export function ToolCalls({ answerId, calls, onDecided }: { answerId?: string; calls: ToolCallRecord[]; onDecided?: () => void }) {
  const api = useApi();
  // The call whose decision is being sent, and the calls decided here: their choices stay
  // off until the stream says what became of them, so a second click cannot race the first.
  const [busy, setBusy] = useState<string | null>(null);
  const [decided, setDecided] = useState<Record<string, true>>({});
  const [errors, setErrors] = useState<Record<string, string>>({});
  const decide = async (call: ToolCallRecord, decision: ToolDecision) => {
    if (!answerId) return;
    setBusy(call.id);
    setErrors((all) => {
      const rest = { ...all };
      delete rest[call.id];
      return rest;
    });
    try {
      await api.decideToolCall(answerId, call.id, decision);
      setDecided((d) => ({ ...d, [call.id]: true }));
      onDecided?.();
    } catch (e) {
      setErrors((all) => ({ ...all, [call.id]: e instanceof Error ? e.message : String(e) }));
    } finally {
      setBusy(null);
    }
  };
  return (
    <div class="tool-calls">
      {calls.map((call) => (
        <div key={call.id} class="tool-call-item">
          {call.preamble?.trim() && <MarkdownView text={call.preamble} class="tool-preamble" />}
          <ToolCallCard call={call} busy={busy === call.id || !!decided[call.id]} error={errors[call.id]} onDecide={answerId ? (decision) => decide(call, decision) : undefined} />
        </div>
      ))}
    </div>
  );
}
