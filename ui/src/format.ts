// Small pure helpers for what the screens show: date groups, sizes, references.

import { DELETE_EVERYTHING_CONFIRMATION, type Conversation, type ConversationView, type DeletedEverything, type ImportReport, type ModelEntry, type SourceRef } from "./api";

const DAY = 24 * 60 * 60 * 1000;

let monthFormat: Intl.DateTimeFormat | undefined;

/** The sidebar's group for a conversation last touched at `at` (ms), seen at `now`. */
export function dateGroup(at: number, now: number = Date.now()): string {
  const startOfToday = new Date(now);
  startOfToday.setHours(0, 0, 0, 0);
  const today = startOfToday.getTime();
  if (at >= today) return "Today";
  if (at >= today - DAY) return "Yesterday";
  if (at >= today - 7 * DAY) return "Previous 7 days";
  if (at >= today - 30 * DAY) return "Previous 30 days";
  // One formatter for every call: toLocaleDateString makes a new one each time, which for
  // a history of 10,000 conversations took half a second.
  monthFormat ??= new Intl.DateTimeFormat(undefined, { year: "numeric", month: "long" });
  return monthFormat.format(at);
}

/** Pinned first, then groups by date, newest first within each. */
export function groupConversations(list: Conversation[], now: number = Date.now()): [string, Conversation[]][] {
  const groups = new Map<string, Conversation[]>();
  const pinned = list.filter((c) => c.pinned);
  if (pinned.length) groups.set("Pinned", pinned);
  for (const conversation of [...list].filter((c) => !c.pinned).sort((a, b) => b.updated_at - a.updated_at)) {
    const group = dateGroup(conversation.updated_at, now);
    if (!groups.has(group)) groups.set(group, []);
    groups.get(group)!.push(conversation);
  }
  return [...groups.entries()];
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null) return "unknown";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

/** "p. 4", "pp. 4–6", "§ Heading" or "part 3", as the summary text writes them. */
export function referenceLabel(ref: SourceRef, index: number): string {
  if (ref.first_page != null) {
    return ref.last_page != null && ref.last_page !== ref.first_page
      ? `pp. ${ref.first_page}–${ref.last_page}`
      : `p. ${ref.first_page}`;
  }
  const heading = ref.section?.[ref.section.length - 1];
  if (heading) return `§ ${heading}`;
  return `part ${index + 1}`;
}

/** Tokens per second from a count and milliseconds. */
export function speed(tokens: number, ms: number): string {
  if (!ms || tokens < 2) return "";
  return `${((tokens - 1) * 1000 / ms).toFixed(1)} tokens/s`;
}

/** Turns the answer's citations `[2]`, `[1][3]`, `[1, 3]` into links `#source-N` for the
 * sources that exist, so a click can open the passage; other brackets stay text. */
export function linkCitations(text: string, sources: number): string {
  return text.replace(/\[(\d+(?:\s*,\s*\d+)*)\](?!\()/g, (whole, inside: string) => {
    const numbers = inside.split(",").map((n) => Number(n.trim()));
    if (!numbers.every((n) => n >= 1 && n <= sources)) return whole;
    return numbers.map((n) => `[[${n}]](#source-${n})`).join("");
  });
}

/** "1 conversation", "3 conversations". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
}

/** What deleting everything removed, in one sentence with every count. */
export function deletedSummary(d: DeletedEverything): string {
  const h = d.history;
  const parts = [
    `${count(h.conversations, "conversation")} (${count(h.messages, "message")})`,
    count(h.collections, "document collection"),
    count(h.workflow_runs, "workflow run"),
    count(h.audit_records, "activity record"),
    `${count(d.files, "cache and log file", "cache and log files")} (${formatBytes(d.bytes)})`,
    count(d.keys, "API key"),
  ];
  return `Deleted ${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}.`;
}

/** What a restored backup added, in one sentence that names only what it had. */
export function importedSummary(r: ImportReport): string {
  const parts = [
    `${count(r.conversations.length, "conversation")} (${count(r.messages, "message")})`,
    r.personas_added > 0 ? count(r.personas_added, "persona") : "",
    r.workflows_added > 0 ? count(r.workflows_added, "saved workflow") : "",
    r.prompts_added > 0 ? count(r.prompts_added, "saved prompt") : "",
    r.workflow_runs_added > 0 ? count(r.workflow_runs_added, "workflow run") : "",
  ].filter(Boolean);
  return parts.length === 1 ? `Restored ${parts[0]}.` : `Restored ${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}.`;
}

/** The name a backup file gets: the day it was made, so several sort by date. */
export function backupFileName(now: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `hearth-backup-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}.json`;
}

/** Whether the typed text is the phrase that confirms deleting everything (spaces around
 * it and capitals do not matter). */
export function confirmsDeletion(typed: string): boolean {
  return typed.trim().toLowerCase() === DELETE_EVERYTHING_CONFIRMATION;
}

/** A parameter count as people say it: "135M", "1.5B", "12B". */
export function formatParameters(count: number | null | undefined): string {
  if (!count) return "";
  if (count >= 1e9) return `${(count / 1e9).toFixed(count >= 1e10 ? 0 : 1)}B`;
  return `${Math.round(count / 1e6)}M`;
}

/** A model as a person reads it: its name (the catalog's, or its header's cleaned by the
 * server), and its size and quantization as detail. */
export function modelLabel(model: ModelEntry): { name: string; detail: string } {
  const name = model.display_name || model.summary?.name || model.id;
  const detail = [formatParameters(model.summary?.parameter_count), model.summary?.quantization].filter(Boolean).join(" · ");
  return { name, detail };
}

/** How full the model's context was at the latest answer: its prompt plus the answer,
 * out of the context; null before the first answer measured it. */
export function contextFullness(view: ConversationView | null): { used: number; limit: number; share: number } | null {
  const measured = view?.conversation.settings?.context_use;
  if (!measured || !measured.context_tokens) return null;
  const last = [...(view!.messages ?? [])].reverse().find((m) => m.role === "assistant");
  const used = measured.prompt_tokens + (last?.token_count ?? 0);
  return { used, limit: measured.context_tokens, share: Math.min(1, used / measured.context_tokens) };
}
