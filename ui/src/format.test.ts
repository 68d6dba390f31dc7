import { describe, expect, it } from "vitest";
import { backupFileName, confirmsDeletion, contextFullness, dateGroup, formatParameters, modelLabel, deletedSummary, importedSummary, formatBytes, groupConversations, linkCitations, referenceLabel } from "./format";
import type { Conversation, ConversationView, Message, ModelEntry } from "./api";

const noon = new Date(2026, 10, 28, 12, 0, 0).getTime();
const hour = 60 * 60 * 1000;

function conversation(id: string, updated_at: number, pinned = false): Conversation {
  return { id, title: id, title_source: "user", model: null, system_prompt: null, persona_id: null, pinned, archived: false, created_at: updated_at, updated_at, tags: [] };
}

describe("dateGroup", () => {
  it("names recent days and falls back to the month", () => {
    expect(dateGroup(noon - hour, noon)).toBe("Today");
    expect(dateGroup(noon - 24 * hour, noon)).toBe("Yesterday");
    expect(dateGroup(noon - 5 * 24 * hour, noon)).toBe("Previous 7 days");
    expect(dateGroup(noon - 20 * 24 * hour, noon)).toBe("Previous 30 days");
    expect(dateGroup(new Date(2025, 0, 5).getTime(), noon)).toMatch(/2025/);
  });
});

describe("groupConversations", () => {
  it("puts pinned first, then newest first by day", () => {
    const groups = groupConversations(
      [conversation("old", noon - 3 * 24 * hour), conversation("new", noon - hour), conversation("pin", noon - 90 * 24 * hour, true), conversation("newer", noon - 60_000)],
      noon,
    );
    expect(groups.map(([name, list]) => [name, list.map((c) => c.id)])).toEqual([
      ["Pinned", ["pin"]],
      ["Today", ["newer", "new"]],
      ["Previous 7 days", ["old"]],
    ]);
  });
});

describe("formatBytes and referenceLabel", () => {
  it("formats sizes", () => {
    expect(formatBytes(98_362_432)).toBe("93.8 MB");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(null)).toBe("unknown");
  });
  it("labels references as the summary text does", () => {
    const ref = { part: 0, section: [], first_page: null, last_page: null };
    expect(referenceLabel({ ...ref, first_page: 4, last_page: 4 }, 0)).toBe("p. 4");
    expect(referenceLabel({ ...ref, first_page: 4, last_page: 6 }, 0)).toBe("pp. 4–6");
    expect(referenceLabel({ ...ref, section: ["Guide", "Intro"] }, 0)).toBe("§ Intro");
    expect(referenceLabel(ref, 2)).toBe("part 3");
  });
});

describe("linkCitations", () => {
  it("links citations to existing sources and leaves everything else", () => {
    expect(linkCitations("Sun [2]. Winter [1][3].", 3)).toBe("Sun [[2]](#source-2). Winter [[1]](#source-1)[[3]](#source-3).");
    expect(linkCitations("Both [1, 2].", 2)).toBe("Both [[1]](#source-1)[[2]](#source-2).");
    expect(linkCitations("No such [7], a link [1](http://x), array[0]", 3)).toBe("No such [7], a link [1](http://x), array[0]");
  });
});

describe("deleting everything", () => {
  it("needs the phrase, whatever the capitals and surrounding spaces", () => {
    expect(confirmsDeletion("delete everything")).toBe(true);
    expect(confirmsDeletion("  Delete Everything ")).toBe(true);
    expect(confirmsDeletion("delete")).toBe(false);
    expect(confirmsDeletion("delete  everything")).toBe(false);
    expect(confirmsDeletion("")).toBe(false);
  });

  it("says what was deleted with every count", () => {
    expect(
      deletedSummary({
        history: { conversations: 3, messages: 12, collections: 1, audit_records: 40, workflow_runs: 0 },
        files: 5,
        bytes: 2048,
        keys: 1,
      }),
    ).toBe(
      "Deleted 3 conversations (12 messages), 1 document collection, 0 workflow runs, 40 activity records, 5 cache and log files (2.0 KB) and 1 API key.",
    );
  });
});

describe("importedSummary", () => {
  const report = { conversations: ["a", "b"], messages: 9, personas_added: 0, workflows_added: 0, prompts_added: 0, workflow_runs_added: 0 };
  it("names only what the backup had", () => {
    expect(importedSummary(report)).toBe("Restored 2 conversations (9 messages).");
    expect(importedSummary({ ...report, conversations: ["a"], messages: 1, personas_added: 1, workflows_added: 2, workflow_runs_added: 1 })).toBe(
      "Restored 1 conversation (1 message), 1 persona, 2 saved workflows and 1 workflow run.",
    );
  });
});

describe("backupFileName", () => {
  it("carries the day, zero-padded so names sort by date", () => {
    expect(backupFileName(new Date(2026, 0, 5, 23, 59))).toBe("hearth-backup-2026-01-05.json");
  });
});

describe("model names", () => {
  const entry = (over: Partial<ModelEntry>): ModelEntry => ({
    id: "smollm2",
    path: "/m/SmolLM2-135M-Instruct.Q4_1.gguf",
    is_default: true,
    problem: null,
    details: null,
    summary: { architecture: "llama", name: "Smollm2 135M 8k Lc100K Mix1 Ep2", license: null, parameter_count: 134_515_008, quantization: "Q4_1", context_length: 8192, has_chat_template: true, file_size: 1 },
    ...over,
  });

  it("shows the server's display name with size and quantization as detail", () => {
    expect(modelLabel(entry({ display_name: "SmolLM2 135M Instruct" }))).toEqual({ name: "SmolLM2 135M Instruct", detail: "135M · Q4_1" });
  });

  it("falls back to the header's name, then the id", () => {
    expect(modelLabel(entry({})).name).toBe("Smollm2 135M 8k Lc100K Mix1 Ep2");
    expect(modelLabel(entry({ summary: null }))).toEqual({ name: "smollm2", detail: "" });
  });

  it("writes parameter counts as people say them", () => {
    expect(formatParameters(134_515_008)).toBe("135M");
    expect(formatParameters(1_543_714_304)).toBe("1.5B");
    expect(formatParameters(12_000_000_000)).toBe("12B");
    expect(formatParameters(null)).toBe("");
  });
});

describe("contextFullness", () => {
  const message = (role: Message["role"], token_count: number | null): Message => ({
    id: role + token_count, conversation_id: "c", parent_id: null, role, kind: "message", content: "", state: "done", error: null, model: null, token_count, created_at: 0,
  });
  const view = (settings: Conversation["settings"], messages: Message[]): ConversationView => ({
    conversation: { ...conversation("c", 0), settings },
    messages,
    siblings: {},
    summaries: [],
  });

  it("is the latest prompt plus its answer, out of the context", () => {
    const full = contextFullness(view({ context_use: { prompt_tokens: 900, context_tokens: 2048 } }, [message("user", null), message("assistant", 124)]));
    expect(full).toEqual({ used: 1024, limit: 2048, share: 0.5 });
  });

  it("is unknown before an answer measured it, and never above full", () => {
    expect(contextFullness(view({}, []))).toBeNull();
    expect(contextFullness(null)).toBeNull();
    expect(contextFullness(view({ context_use: { prompt_tokens: 2000, context_tokens: 2048 } }, [message("assistant", 300)]))!.share).toBe(1);
  });
});
