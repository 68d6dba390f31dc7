// Typed calls on Hearth's app API. The shapes mirror the server's JSON (see
// /api/openapi.json); every call goes through the Transport, so the same code runs in a
// browser and in the desktop app.

import type { Transport } from "./transport";
import type { SseEvent } from "./sse";

export interface Conversation {
  id: string;
  title: string;
  title_source: "auto" | "user";
  model: string | null;
  system_prompt: string | null;
  persona_id: string | null;
  pinned: boolean;
  archived: boolean;
  created_at: number;
  updated_at: number;
  tags: string[];
  /** The conversation's own settings: the document collection it answers from, the
   * LoRA adapter its local model answers through, sampling values. */
  settings?: ConversationSettings;
}

/** A LoRA adapter file on this computer and how strongly it is applied (1 as trained). */
export interface Adapter {
  path: string;
  scale: number;
}

export interface ConversationSettings {
  collection?: string;
  adapter?: Adapter;
  /** How much of the model's context the latest answer's prompt took (written by the
   * server at each turn, exact: the model's own template and tokenizer). */
  context_use?: { prompt_tokens: number; context_tokens: number };
  [key: string]: unknown;
}

export type MessageState = "streaming" | "done" | "stopped" | "failed" | "interrupted";

export interface Message {
  id: string;
  conversation_id: string;
  parent_id: string | null;
  role: "system" | "user" | "assistant";
  kind: "message" | "summary";
  content: string;
  state: MessageState;
  error: string | null;
  model: string | null;
  token_count: number | null;
  created_at: number;
  /** The remote provider that wrote an answer; null when written on this computer. */
  provider?: string | null;
  /** A reasoning model's thinking before this answer, kept apart from it. */
  reasoning?: string | null;
  /** How long the model thought: milliseconds from its first thinking token to its last. */
  reasoning_ms?: number | null;
  /** The MCP tools the model called while writing this answer, in call order; the
   * answer's text (`content`) is what it wrote after the last results. */
  tool_calls?: ToolCallRecord[] | null;
}

/** Where a tool call stands: waiting for the user, running, answered, failed, or refused. */
export type ToolCallStatus = "pending" | "running" | "done" | "failed" | "declined";

/** The user's decision on a tool call: this once, or for every call of that tool in the
 * conversation ("always" allows, "never" refuses). */
export type ToolDecision = "once" | "always" | "never";

/** One tool call in an answer, as stored and as the `tool_call` stream event sends it
 * each time it changes state. */
export interface ToolCallRecord {
  /** Unique within the answer. */
  id: string;
  /** The model's pass that made it: 0 for the first, 1 after the first results, ... */
  round: number;
  /** What the model called: "server__tool". */
  name: string;
  /** The MCP server, as named in the settings. */
  server: string;
  /** The tool's name on that server. */
  tool: string;
  /** The JSON arguments the model wrote. */
  arguments: unknown;
  status: ToolCallStatus;
  /** How it was decided; "always"/"never" may come from an earlier choice in the conversation. */
  approval?: ToolDecision | null;
  /** The tool's text (capped by the server), or why it failed; null when declined. */
  result?: string | null;
  /** The tool said it failed, or the call could not be made. */
  is_error: boolean;
  /** What the model wrote before its calls in this round (on the round's first call). */
  preamble?: string | null;
}

/** A conversation's thinking switch, as `PATCH /api/conversations/{id}` takes it. */
export type ThinkingMode = "on" | "off" | "default";

/** What a model's chat template says about thinking. */
export interface ThinkingSupport {
  /** The model thinks in marked blocks, shown apart from the answer. */
  supports_thinking: boolean;
  /** Its template can turn thinking on and off (`conversation.settings.thinking`). */
  thinking_switch: boolean;
}

/** One generation in the audit log: hashes, never text. */
export interface AuditRecord {
  id: number;
  created_at: number;
  model: string;
  model_sha256: string | null;
  /** "local", or the remote provider's name. */
  provider: string;
  purpose: string;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  stop_reason: string | null;
  error: string | null;
  prompt_sha256: string;
  output_sha256: string;
  conversation_id: string | null;
  /** Values replaced before sending, by kind. */
  redactions?: Record<string, number>;
  /** Bytes of text sent to the provider; absent when nothing left this computer. */
  sent_bytes?: number;
  /** The LoRA adapter the model ran with, as "file.gguf@scale". */
  adapter?: string;
}

export type ProviderKind = "openai" | "anthropic";

export interface Provider {
  name: string;
  kind: ProviderKind;
  /** The address in use (the kind's public API when none was set). */
  base_url: string;
  models?: string[];
  context_length: number;
  input_cost_per_1k?: number;
  output_cost_per_1k?: number;
  /** Where the API key is kept; null when it has none. */
  key: "keyring" | "sealed_file" | null;
  /** In the answer to a save that moved it to another address (scheme, host, port): its key was removed and must be set again. */
  key_removed?: boolean;
  /** Why it cannot be used as it is (config.toml edited by hand): an address refused, or a key set for another address. */
  problem?: string;
}

export interface ProviderInput {
  kind: ProviderKind;
  base_url?: string;
  models: string[];
  context_length?: number;
  input_cost_per_1k?: number;
  output_cost_per_1k?: number;
  /** Left out to keep the key already set. */
  api_key?: string;
}

export interface ContextSummary {
  id: string;
  content: string;
  covers_until?: string;
  [key: string]: unknown;
}

export interface ConversationView {
  conversation: Conversation;
  messages: Message[];
  siblings: Record<string, string[]>;
  summaries: ContextSummary[];
  /** For answers in a conversation attached to a collection: the passages each was given. */
  sources?: Record<string, AskSource[]>;
  /** For those answers: the grounding check against their passages, by message id. */
  grounding?: Record<string, GroundingReport>;
  /** Whether the conversation's model thinks, and can be told not to. */
  thinking?: ThinkingSupport;
  /** MCP tool servers that are on; their tools are offered unless `settings.tools` is false. */
  tool_servers?: number;
}

export interface SearchHit {
  conversation_id: string;
  conversation_title: string;
  message_id: string;
  role: string;
  created_at: number;
  snippet: string;
}

export interface ModelEntry {
  id: string;
  /** The name to show: the catalog's, else the header's cleaned, else the file's. */
  display_name?: string;
  /** An encoder-only model: it makes vectors for documents and cannot chat. */
  embedding?: boolean;
  path: string;
  is_default: boolean;
  problem: string | null;
  summary: {
    architecture: string | null;
    name: string | null;
    license: string | null;
    parameter_count: number;
    quantization: string;
    context_length: number | null;
    has_chat_template: boolean;
    file_size: number;
  } | null;
  details: {
    memory: { n_ctx: number; total: number };
    available_memory: number | null;
    /** For what stays in the computer's memory (all of it without a GPU). */
    verdict: "Fits" | "Tight" | "WillNotFit" | null;
    /** Its layers on a GPU found here, and whether the GPU's memory holds them. */
    gpu?: {
      device: string;
      backend: string;
      gpu_layers: number;
      layers: number;
      vram_needed: number;
      vram_free: number;
      vram_verdict: "Fits" | "Tight" | "WillNotFit";
    } | null;
  } | null;
}

export type Verdict = "Fits" | "Tight" | "WillNotFit";

/** One model as the chooser compares them (GET /api/models/choices). */
export interface ModelChoice {
  /** What to pass as the model: a library id, or `PROVIDER:MODEL`. */
  id: string;
  name: string;
  /** The name to show a person (see ModelEntry.display_name). */
  display_name?: string;
  /** The remote provider; null for a model on this computer. */
  provider: string | null;
  /** Whether text given to it stays on this computer. */
  private: boolean;
  is_default: boolean;
  embedding: boolean;
  size_bytes: number | null;
  /** Memory it needs at the configured context, and whether that fits now. */
  memory_bytes: number | null;
  fits: Verdict | null;
  parameters: number | null;
  quantization: string | null;
  context_length: number | null;
  license: string | null;
  /** Measured on this computer from its last generations; null until it has run. */
  speed: { generation_tokens_per_second: number; prompt_tokens_per_second: number; generations: number } | null;
  input_cost_per_1k: number | null;
  output_cost_per_1k: number | null;
}

/** The catalog model that suits this computer's memory. */
export interface Recommendation {
  catalog_id: string;
  name: string;
  ram_bytes: number;
  size_bytes: number;
  license: string;
  installed: boolean;
  reason: string;
}

export interface ModelChoices {
  models: ModelChoice[];
  total_memory: number | null;
  available_memory: number | null;
  recommendation: Recommendation | null;
}

/** What POST /api/delete-everything removed. */
export interface DeletedEverything {
  history: { conversations: number; messages: number; collections: number; audit_records: number; workflow_runs: number };
  /** Cache and log files removed, and their bytes. */
  files: number;
  bytes: number;
  /** Providers whose API key was forgotten. */
  keys: number;
}

/** What POST /api/import added (on any error, nothing is). */
export interface ImportReport {
  conversations: string[];
  messages: number;
  personas_added: number;
  workflows_added: number;
  prompts_added: number;
  workflow_runs_added: number;
}

/** The words POST /api/delete-everything wants, typed by the user. */
export const DELETE_EVERYTHING_CONFIRMATION = "delete everything";

export interface CatalogEntry {
  id: string;
  name: string;
  kind: string;
  repo: string;
  file: string;
  quantization: string;
  size_bytes: number;
  ram_bytes: number;
}

export interface Persona {
  id: string;
  name: string;
  system_prompt: string;
}

export interface SourceRef {
  part: number;
  /** The headings above the part, outermost first. */
  section: string[];
  first_page: number | null;
  last_page: number | null;
}

/** A fact of a generated text that its source does not have (the grounding check). */
export interface Finding {
  /** A fact's kind; `statement` (not supported as a whole) and `contradiction` come from thorough mode's similarity and judge. */
  kind: "number" | "percent" | "date" | "quote" | "code" | "name" | "statement" | "contradiction";
  /** The fact as the text writes it (the whole sentence for a statement or contradiction). */
  text: string;
  /** "the document has no 17%" */
  reason: string;
}

/** How many points the grounding check tested, and how many state what the source lacks. */
/** A layer of the grounding check: facts (fast), then similarity and the judge (thorough). */
export type GroundingLayer = "facts" | "similarity" | "judge";

export interface GroundingCount {
  checked: number;
  /** Points flagged: not found in the document, or contradicted by it. */
  not_found: number;
  /** "1 of 6 points not found in the document" */
  summary: string;
  /** What the check took. */
  millis: number;
  /** Of the flagged, those the judge read the document as contradicting (thorough). */
  contradicted?: number;
  layers?: GroundingLayer[];
  /** The judge's model, when it ran. */
  judge?: string;
}

/** One sentence of a checked text (`POST /api/check`). */
export interface SentenceCheck {
  /** Byte offsets in the text. */
  start: number;
  end: number;
  text: string;
  support: "supported" | "not_found" | "contradicted" | "unchecked";
  findings: Finding[];
  /** The layer that set `support`. */
  decided_by?: GroundingLayer;
  /** Thorough: how close the nearest source sentence is (cosine). */
  similarity?: number;
  /** Thorough: the source sentences it was compared with, closest first. */
  evidence?: string[];
}

export interface GroundingReport {
  sentences: SentenceCheck[];
  checked: number;
  /** Sentences flagged: not found, or contradicted. */
  not_found: number;
  contradicted?: number;
  /** "2 of 9 sentences not found in the document" */
  summary: string;
  layers?: GroundingLayer[];
  judge?: string;
  /** Layers that could not run, and why. */
  warnings?: string[];
}

/** How far the grounding check goes. */
export type GroundingMode = "off" | "fast" | "thorough";

export interface Summary {
  style: string;
  text: string;
  points: { text: string; parts: number[]; quote: string | null; paragraph: number; unsupported?: Finding[] }[];
  parts: SourceRef[];
  levels: number;
  steps: number;
  warnings: string[];
  /** Absent when the check is off in the settings. */
  grounding?: GroundingCount;
}

export interface Translation {
  from: { code: string; name: string };
  to: { code: string; name: string };
  detected: { language: { code: string; name: string }; confidence: number } | null;
  text: string;
  units: TranslatedUnit[];
  glossary_misses: { unit: number; term: string; expected: string }[];
  warnings: string[];
  /** Absent when the check is off in the settings. */
  grounding?: GroundingCount;
  /** Units the model did not translate, even when asked again. */
  not_translated: number;
  /** Which model to use instead, when some units were not translated. */
  advice?: TranslationAdvice;
}

/** Why the model's answer for a unit is not a translation. */
export type NotTranslated =
  | { kind: "copied" | "empty" | "incomplete" | "repeating" | "facts_lost" }
  | { kind: "wrong_language" | "untrained"; language: { code: string; name: string } };

export interface TranslatedUnit {
  kind: string;
  source: string;
  target: string;
  unsupported?: Finding[];
  not_translated?: NotTranslated;
}

export interface TranslationAdvice {
  message: string;
  /** A multilingual model on this computer (library id). */
  model?: string;
  model_name?: string;
  /** Otherwise a catalog model to download. */
  pull?: string;
}

/** A configured MCP tool server, without its secrets (GET /api/mcp/servers). */
export interface McpServer {
  name: string;
  transport: "stdio" | "http";
  /** The program and its arguments, or the address. */
  reach: string;
  enabled: boolean;
  state: "off" | "idle" | "connecting" | "connected";
  pid: number | null;
  remote: boolean;
}

/** A tool as the model sees it (GET /api/mcp/tools). */
export interface McpToolInfo {
  name: string;
  server: string;
  tool: string;
  title: string | null;
  description: string | null;
}

export interface McpToolList {
  tools: McpToolInfo[];
  errors: { server: string | null; message: string }[];
}

export interface Settings {
  default_model: string | null;
  threads: number | null;
  context_length: number;
  parallel: number;
  isolate_models: boolean;
  /** Model layers on the GPU where one is found: "auto", "off", or a number. */
  gpu_layers: "auto" | "off" | number;
  /** The GPU to use when there are several, by the name `hearth devices` lists. */
  gpu_device: string | null;
  /** Disk per model for conversation contexts kept across restarts, in MB; 0 = off. */
  saved_contexts_mb: number;
  /** Guess the next tokens from the text and check them in one step: same answers, faster copies. */
  speculative_decoding: boolean;
  /** A smaller model of the same family guessing tokens for the answering one: a library id or path, "auto" for the catalog's pair, null for none. */
  draft_model?: string | null;
  /** The KV cache's element type: more context in the same memory for a little quality. */
  kv_cache: "f16" | "q8_0" | "q8_0_k_q4_0_v";
  /** Memory the loaded models may hold together, in MB; 0 = 70% of the computer's. */
  memory_budget_mb: number;
  /** Minutes an unused model stays loaded; 0 = until Hearth quits. */
  unload_idle_minutes: number;
  /** The model new document collections are embedded with. */
  embedding_model: string;
  /** Personal data replaced by placeholders before text goes to a remote provider. */
  redaction: { enabled: boolean; names: string[] };
  sampling: {
    temperature: number;
    top_k: number;
    top_p: number;
    min_p: number;
    repeat_penalty: number;
    max_tokens: number | null;
    /** The most tokens a reasoning model may think before it is made to answer. */
    thinking_budget?: number | null;
  };
  /** Searches look into reasoning models' thinking too. */
  search_thinking?: boolean;
  /** Summaries, answers and translations checked against their source: facts (fast), then similarity and a model judge (thorough), or not. */
  grounding?: GroundingMode;
  /** The model that judges sentences in thorough mode; null for the model that wrote the text. */
  grounding_judge?: string | null;
}

export interface Collection {
  id: number;
  name: string;
  embedding_model: string;
  dimensions: number;
  sources: string[];
  files: number;
  failed: number;
  chunks: number;
  /** Its folders are watched while Hearth runs, so changes are indexed as they happen. */
  watch: boolean;
  created_at: number;
  updated_at: number;
}

/** What the folder watcher is doing (GET /api/indexing). */
export interface IndexingStatus {
  /** This Hearth watches folders at all (the server and the desktop app do). */
  running: boolean;
  collections: { name: string; watched: string[]; problems: string[] }[];
  /** The collection being brought up to date, with its latest progress event. */
  indexing: {
    collection: string;
    rescan: boolean;
    progress: { event: string; path?: string; done?: number; total?: number; files?: number } | null;
  } | null;
  /** Changed paths waiting for their folder to be quiet. */
  waiting: number;
  /** Latest changes that reached the index, newest first. */
  recent: { collection: string; path: string; change: "added" | "updated" | "renamed" | "failed" | "removed"; at: number }[];
}

export interface CollectionFile {
  id: number;
  path: string;
  title: string | null;
  format: string | null;
  pages: number | null;
  status: "indexed" | "failed";
  error: string | null;
  chunks: number;
  indexed_at: number;
}

export interface Passage {
  id: number;
  collection: string;
  path: string;
  title: string | null;
  section: string;
  first_page: number | null;
  last_page: number | null;
  text: string;
}

/** A passage the model read, numbered as the answer cites it. */
export interface AskSource extends Passage {
  number: number;
  label: string;
  similarity: number | null;
  vector_rank: number | null;
  keyword_rank: number | null;
}

/** A sentence of the answer Hearth traced to a source (not the model's own citation). */
export interface Attribution {
  start: number;
  end: number;
  source: number;
  similarity: number;
}

export interface DocumentSource {
  name?: string;
  text?: string;
  data_base64?: string;
  /** A file on the computer Hearth runs on (the desktop app's dialog and drops). */
  path?: string;
}

/** A model loading in the background, or the last load of it that failed. */
export interface ModelLoad {
  model: string;
  path: string;
  progress: number;
  error: string | null;
  /** Loaded models, busy answering, it waits for before there is memory for it. */
  waiting_for?: string[];
}

/** A model loaded now, with what it holds. */
export interface LoadedModel {
  /** What unloading names it by. */
  id: string;
  model: string;
  path: string;
  adapter: string | null;
  memory: { ram: number; vram: number; device: string | null };
  /** Answering now: it cannot be unloaded until the answer ends. */
  busy: boolean;
  idle_seconds: number;
}

export interface LoadedModels {
  models: LoadedModel[];
  budget_bytes: number;
  /** What the loaded models hold, embedding models included. */
  used_bytes: number;
  /** Of that, the embedding models loaded for documents. */
  embedding_bytes: number;
  unload_idle_minutes: number;
}

/** What was read from a document. */
export interface DocumentView {
  title: string | null;
  format: string;
  pages: number | null;
  characters: number;
  markdown: string;
  warnings: string[];
}

export type SummaryStyle = "paragraph" | "bullets" | "detailed" | "tldr" | "key_points";
export type SummaryLength = "short" | "medium" | "long" | { words: number };
/** A JSON Schema of one object. */
export type JsonSchema = Record<string, unknown>;

/** What a workflow step does with its input: the task and its own fields. */
export type WorkflowTask =
  | { task: "summarize"; style?: SummaryStyle; length?: SummaryLength; language?: string }
  | { task: "translate"; to: string; from?: string }
  | { task: "classify"; labels: string[]; instructions?: string }
  | { task: "extract"; schema: JsonSchema; instructions?: string }
  /** `{{input}}` is the previous step's output, `{{source}}` the item's text, `{{item}}` its name. */
  | { task: "prompt"; template?: string; prompt?: string; variables?: Record<string, string>; system?: string }
  | { task: "generate"; schema: JsonSchema; count: number; instructions?: string; seed?: number };

export type TaskKind = WorkflowTask["task"];

/** One step: a task, and the model and settings it runs with (the defaults when absent). */
export type WorkflowStep = WorkflowTask & {
  /** The step's column in the results; the task's name when absent. */
  name?: string;
  /** A local model or `PROVIDER:MODEL`; the default model when absent. */
  model?: string;
  /** A LoRA adapter for the step's local model; the scale is 1 when absent. */
  adapter?: { path: string; scale?: number };
  temperature?: number;
  max_tokens?: number;
};

export interface Workflow {
  name: string;
  description?: string;
  steps: WorkflowStep[];
}

export interface WorkflowView extends Workflow {
  builtin: boolean;
}

/** What a workflow may hold, as the server enforces it. */
export interface WorkflowLimits {
  max_steps: number;
  /** Items (texts, files) one run takes. */
  max_items: number;
  /** Records one generate job (or a generate step) makes. */
  max_records: number;
}

/** A workflow with its TOML text. */
export interface WorkflowText {
  workflow: Workflow;
  toml: string;
}

/** What a step made of one item. */
export interface StepOutput {
  step: string;
  text: string;
  model: string;
  provider?: string;
  warnings?: string[];
  ms: number;
}

/** One item's outputs in step order, or where it stopped. */
export interface ItemResult {
  item: string;
  outputs: StepOutput[];
  error?: string;
}

/** A running workflow's `progress` events; items and steps are indexes. */
export type WorkflowProgress =
  | { event: "started"; run_id: string; items: string[]; steps: string[] }
  | { event: "reading"; item: number; done: number; total: number }
  | { event: "step"; item: number; step: number }
  | { event: "step_done"; item: number; step: number; output: StepOutput }
  | { event: "item_done"; item: number; result: ItemResult };

export type RunState = "running" | "done" | "stopped" | "failed" | "interrupted";

export interface WorkflowRun {
  id: string;
  workflow: string;
  definition: Workflow;
  /** What it ran on, in words. */
  input: string;
  state: RunState;
  results: ItemResult[];
  error: string | null;
  started_at: number;
  finished_at: number | null;
}

/** A run with its results as a table: item, each step, error. Extract and generate
 * cells hold JSON. */
export interface RunTable {
  run: WorkflowRun;
  columns: string[];
  rows: Record<string, unknown>[];
}

/** A workflow's item: a text, an uploaded file, or a file or folder on this computer. */
export type WorkflowInput = { text: string; name?: string } | { name: string; data_base64: string } | { path: string };

export interface PromptTemplate {
  name: string;
  description?: string;
  /** The text with `{{variables}}`. */
  body: string;
  system?: string;
}

export interface PromptView extends PromptTemplate {
  variables: string[];
  builtin: boolean;
}

export interface GenerateRequest {
  schema: JsonSchema;
  count: number;
  instructions?: string;
  /** A document to draw the records from. */
  source?: DocumentSource;
  seed?: number;
  temperature?: number;
  model?: string;
}

/** Generated records, and what was thrown away on the way. */
export interface GeneratedData {
  records: Record<string, unknown>[];
  invalid: number;
  duplicates: number;
  attempts: number;
  seed: number;
  warnings: string[];
}

/** An event of a streamed job, with its JSON data parsed. */
export interface JobEvent {
  event: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function parsed(onEvent: (event: JobEvent) => void) {
  return (event: SseEvent) => {
    let data: unknown = event.data;
    try {
      data = JSON.parse(event.data);
    } catch {
      /* keep the text */
    }
    onEvent({ event: event.event, data });
  };
}

const q = (params: Record<string, string | number | boolean | undefined>) => {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== "") search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : "";
};

/** What `PATCH /api/conversations/{id}` changes; fields left out stay as they are. */
export type ConversationChange = Partial<Pick<Conversation, "title" | "pinned" | "archived" | "model" | "system_prompt">> & {
  collection?: string;
  /** A LoRA adapter file for the conversation's local model; a path of "" detaches it. */
  adapter?: { path: string; scale?: number };
  /** A reasoning model's thinking for this conversation: on, off, or the model's default. */
  thinking?: ThinkingMode;
  /** Offer the MCP servers' tools to this conversation's model (each call still asks). */
  tools?: boolean;
};

export class Api {
  constructor(private transport: Transport) {}

  conversations(archived = false) {
    return this.transport.request<Conversation[]>("GET", `/api/conversations${q({ archived })}`);
  }
  createConversation(body: { title?: string; model?: string; persona_id?: string; system_prompt?: string }) {
    return this.transport.request<Conversation>("POST", "/api/conversations", body);
  }
  conversation(id: string) {
    return this.transport.request<ConversationView>("GET", `/api/conversations/${encodeURIComponent(id)}`);
  }
  changeConversation(id: string, change: ConversationChange) {
    return this.transport.request<Conversation>("PATCH", `/api/conversations/${encodeURIComponent(id)}`, change);
  }
  /** Attaches a LoRA adapter to a conversation's local model; a file that does not fit
   * the model, or a remote model, is a 400 BAD_ADAPTER naming why. */
  setAdapter(id: string, adapter: { path: string; scale?: number } | null) {
    return this.changeConversation(id, { adapter: adapter ?? { path: "" } });
  }
  /** Deletes all history, documents, workflow runs, prompts, the audit log, caches, logs
   * and API keys; models and settings stay. */
  deleteEverything(confirm: string) {
    return this.transport.request<DeletedEverything>("POST", "/api/delete-everything", { confirm });
  }
  deleteConversation(id: string) {
    return this.transport.request<void>("DELETE", `/api/conversations/${encodeURIComponent(id)}`);
  }
  switchBranch(conversationId: string, messageId: string) {
    return this.transport.request<ConversationView>("POST", `/api/conversations/${encodeURIComponent(conversationId)}/branch`, {
      message_id: messageId,
    });
  }
  send(conversationId: string, content: string, onEvent: (e: JobEvent) => void, signal?: AbortSignal, options: Record<string, number> = {}) {
    return this.transport.stream(`/api/conversations/${encodeURIComponent(conversationId)}/messages`, { content, options }, parsed(onEvent), signal);
  }
  regenerate(messageId: string, onEvent: (e: JobEvent) => void, signal?: AbortSignal, options: Record<string, number> = {}) {
    return this.transport.stream(`/api/messages/${encodeURIComponent(messageId)}/regenerate`, { options }, parsed(onEvent), signal);
  }
  edit(messageId: string, content: string, onEvent: (e: JobEvent) => void, signal?: AbortSignal, options: Record<string, number> = {}) {
    return this.transport.stream(`/api/messages/${encodeURIComponent(messageId)}/edit`, { content, options }, parsed(onEvent), signal);
  }
  /** Decides a tool call the answer is waiting on (204); a call that is not waiting
   * (already decided, or the answer ended) is a 404 NO_PENDING_TOOL_CALL. */
  decideToolCall(answerId: string, callId: string, decision: ToolDecision) {
    return this.transport.request<void>("POST", `/api/messages/${encodeURIComponent(answerId)}/tool-calls/${encodeURIComponent(callId)}`, { decision });
  }
  search(text: string) {
    return this.transport.request<SearchHit[]>("GET", `/api/search${q({ q: text, limit: 30 })}`);
  }
  exportText(format: "json" | "markdown", conversationId?: string) {
    return this.transport.text(`/api/export${q({ format, conversation_id: conversationId })}`);
  }
  import(json: string, newIds: boolean) {
    return this.transport.request<ImportReport>("POST", `/api/import${q({ new_ids: newIds })}`, json);
  }
  personas() {
    return this.transport.request<Persona[]>("GET", "/api/personas");
  }
  models() {
    return this.transport.request<ModelEntry[]>("GET", "/api/models");
  }
  addModel(path: string, makeDefault: boolean, copy: boolean) {
    return this.transport.request<ModelEntry>("POST", "/api/models", { path, make_default: makeDefault, copy });
  }
  setDefaultModel(id: string) {
    return this.transport.request<unknown>("PUT", "/api/models/default", { id });
  }
  scanModels(add: boolean) {
    return this.transport.request<{ found: { name: string; source: string; path: string; size: number }[]; skipped: unknown[]; added: unknown[] }>(
      "POST",
      "/api/models/scan",
      { add },
    );
  }
  /** Every local and remote model with what matters for choosing, and the catalog model
   * recommended for this computer. */
  modelChoices() {
    return this.transport.request<ModelChoices>("GET", "/api/models/choices");
  }
  catalog() {
    return this.transport.request<{ models: CatalogEntry[] }>("GET", "/api/models/catalog");
  }
  pull(source: string, onEvent: (e: JobEvent) => void, signal?: AbortSignal) {
    return this.transport.stream("/api/models/pull", { source }, parsed(onEvent), signal);
  }
  settings() {
    return this.transport.request<Settings>("GET", "/api/settings");
  }
  providers() {
    return this.transport.request<{ providers: Provider[]; offline: boolean }>("GET", "/api/providers");
  }
  saveProvider(name: string, input: ProviderInput) {
    return this.transport.request<Provider>("PUT", `/api/providers/${encodeURIComponent(name)}`, input);
  }
  setProviderKey(name: string, apiKey: string) {
    return this.transport.request<{ key: string }>("PUT", `/api/providers/${encodeURIComponent(name)}/key`, { api_key: apiKey });
  }
  removeProvider(name: string) {
    return this.transport.request<void>("DELETE", `/api/providers/${encodeURIComponent(name)}`);
  }
  audit(filter: { remote?: boolean; provider?: string; since?: number } = {}) {
    const query = new URLSearchParams();
    if (filter.remote) query.set("remote", "true");
    if (filter.provider) query.set("provider", filter.provider);
    if (filter.since != null) query.set("since", String(filter.since));
    return this.transport.request<AuditRecord[]>("GET", `/api/audit?${query}`);
  }
  mcpServers() {
    return this.transport.request<{ servers: McpServer[]; offline: boolean }>("GET", "/api/mcp/servers");
  }
  mcpTools() {
    return this.transport.request<McpToolList>("GET", "/api/mcp/tools");
  }
  setMcpServerEnabled(name: string, enabled: boolean) {
    return this.transport.request<{ enabled: boolean }>("PUT", `/api/mcp/servers/${encodeURIComponent(name)}/enabled`, { enabled });
  }
  setOffline(offline: boolean) {
    return this.transport.request<{ offline: boolean }>("PUT", "/api/offline", { offline });
  }
  saveSettings(settings: Settings) {
    return this.transport.request<Settings>("PUT", "/api/settings", settings);
  }
  modelLoads() {
    return this.transport.request<ModelLoad[]>("GET", "/api/models/loading");
  }
  loadedModels() {
    return this.transport.request<LoadedModels>("GET", "/api/models/loaded");
  }
  unloadModel(id: string) {
    return this.transport.request<void>("POST", "/api/models/loaded/unload", { id });
  }
  readDocument(source: DocumentSource) {
    return this.transport.request<DocumentView>("POST", "/api/documents/read", source);
  }
  summarize(body: DocumentSource & { style: string; length: string; language?: string }, onEvent: (e: JobEvent) => void, signal?: AbortSignal) {
    return this.transport.stream("/api/summarize", body, parsed(onEvent), signal);
  }
  translate(
    body: DocumentSource & { to: string; from?: string; glossary: { term: string; translation: string }[]; model?: string },
    onEvent: (e: JobEvent) => void,
    signal?: AbortSignal,
  ) {
    return this.transport.stream("/api/translate", body, parsed(onEvent), signal);
  }
  about() {
    return this.transport.request<{ version: string; data_folder: string; config_file: string; logs_folder: string }>("GET", "/api/about");
  }
  collections() {
    return this.transport.request<Collection[]>("GET", "/api/collections");
  }
  collectionFiles(name: string) {
    return this.transport.request<CollectionFile[]>("GET", `/api/collections/${encodeURIComponent(name)}/files`);
  }
  setCollectionWatch(name: string, watch: boolean) {
    return this.transport.request<Collection>("PATCH", `/api/collections/${encodeURIComponent(name)}`, { watch });
  }
  indexing() {
    return this.transport.request<IndexingStatus>("GET", "/api/indexing");
  }
  deleteCollection(name: string) {
    return this.transport.request<void>("DELETE", `/api/collections/${encodeURIComponent(name)}`);
  }
  addToCollection(name: string, paths: string[], onEvent: (e: JobEvent) => void, signal?: AbortSignal) {
    return this.transport.stream(`/api/collections/${encodeURIComponent(name)}/add`, { paths }, parsed(onEvent), signal);
  }
  reindexCollection(name: string, onEvent: (e: JobEvent) => void, signal?: AbortSignal) {
    return this.transport.stream(`/api/collections/${encodeURIComponent(name)}/reindex`, {}, parsed(onEvent), signal);
  }
  removeFromCollection(name: string, path: string) {
    return this.transport.request<{ removed_files: number }>("POST", `/api/collections/${encodeURIComponent(name)}/remove`, { path });
  }
  passage(id: number) {
    return this.transport.request<Passage & { label: string }>("GET", `/api/passages/${id}`);
  }
  ask(
    body: { question: string; collections?: string[]; history?: { role: "user" | "assistant"; content: string }[] },
    onEvent: (e: JobEvent) => void,
    signal?: AbortSignal,
  ) {
    return this.transport.stream("/api/ask", body, parsed(onEvent), signal);
  }
  workflows() {
    return this.transport.request<WorkflowView[]>("GET", "/api/workflows");
  }
  workflow(name: string) {
    return this.transport.request<WorkflowText>("GET", `/api/workflows/${encodeURIComponent(name)}`);
  }
  /** Checks a workflow file's text (TOML or JSON) and gives it back with its TOML. */
  parseWorkflow(text: string) {
    return this.transport.request<WorkflowText>("POST", "/api/workflows/parse", { text });
  }
  /** Marks each sentence of `text` whose numbers, dates, names, quotes or code the
   * documents do not have; `thorough` adds similarity and a model judge (`judge`, or
   * the settings' one, or the default model). */
  check(text: string, sources: DocumentSource[], options: { mode?: "fast" | "thorough"; judge?: string } = {}) {
    return this.transport.request<GroundingReport>("POST", "/api/check", { text, sources, ...options });
  }
  /** Every problem the server's rules find in a workflow, each naming its step; empty
   * when it may be saved and run. Nothing is saved. */
  checkWorkflow(workflow: Workflow) {
    return this.transport.request<{ problems: string[] }>("POST", "/api/workflow-check", workflow);
  }
  workflowLimits() {
    return this.transport.request<WorkflowLimits>("GET", "/api/workflow-limits");
  }
  saveWorkflow(workflow: Workflow) {
    return this.transport.request<WorkflowView>("PUT", `/api/workflows/${encodeURIComponent(workflow.name)}`, workflow);
  }
  deleteWorkflow(name: string) {
    return this.transport.request<void>("DELETE", `/api/workflows/${encodeURIComponent(name)}`);
  }
  /** Runs a saved workflow (`name`) or a draft (`workflow`) on the inputs. */
  runWorkflow(body: ({ name: string } | { workflow: Workflow }) & { inputs: WorkflowInput[] }, onEvent: (e: JobEvent) => void, signal?: AbortSignal) {
    return this.transport.stream("/api/workflows/run", body, parsed(onEvent), signal);
  }
  workflowRuns() {
    return this.transport.request<WorkflowRun[]>("GET", "/api/workflow-runs");
  }
  workflowRun(id: string) {
    return this.transport.request<RunTable>("GET", `/api/workflow-runs/${encodeURIComponent(id)}`);
  }
  exportWorkflowRun(id: string, format: "csv" | "jsonl") {
    return this.transport.text(`/api/workflow-runs/${encodeURIComponent(id)}/export${q({ format })}`);
  }
  deleteWorkflowRun(id: string) {
    return this.transport.request<void>("DELETE", `/api/workflow-runs/${encodeURIComponent(id)}`);
  }
  prompts() {
    return this.transport.request<PromptView[]>("GET", "/api/prompts");
  }
  savePrompt(template: PromptTemplate) {
    const { name, ...body } = template;
    return this.transport.request<PromptView>("PUT", `/api/prompts/${encodeURIComponent(name)}`, { description: "", ...body });
  }
  deletePrompt(name: string) {
    return this.transport.request<void>("DELETE", `/api/prompts/${encodeURIComponent(name)}`);
  }
  /** Fills a template; a variable left out is a 400 MISSING_VARIABLES naming it. */
  renderPrompt(name: string, variables: Record<string, string>) {
    return this.transport.request<{ system: string | null; text: string }>("POST", `/api/prompts/${encodeURIComponent(name)}/render`, { variables });
  }
  generate(body: GenerateRequest, onEvent: (e: JobEvent) => void, signal?: AbortSignal) {
    return this.transport.stream("/api/generate", body, parsed(onEvent), signal);
  }
  cancelJob(id: string) {
    return this.transport.request<void>("POST", `/api/jobs/${encodeURIComponent(id)}/cancel`, {});
  }
}
