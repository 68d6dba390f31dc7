//! The command line, as clap types. Help texts are written for a person reading
//! `hearth --help` for the first time.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "hearth",
    version,
    about = "A private AI assistant that runs open models on this computer",
    long_about = "Hearth runs quantized open models (GGUF) on this computer with llama.cpp. \
Nothing you type leaves the machine.\n\nStart with `hearth run \"your question\"` or `hearth chat`.",
    after_help = "Folders: set HEARTH_HOME to keep models, history and settings in one folder.\n\
Exit codes: 0 ok, 1 error, 2 bad usage, 3 model missing, 4 model file invalid, 5 input too large, 130 interrupted."
)]
pub struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Model layers on the GPU for this command: auto (as many as its memory holds),
    /// off, all, or a number. Overrides gpu_layers in the settings.
    #[arg(long, global = true, value_name = "LAYERS", value_parser = parse_gpu_layers)]
    pub gpu_layers: Option<hearth_llm::GpuLayers>,
    /// The GPU to use, by the name `hearth devices` lists (Vulkan0).
    #[arg(long, global = true, value_name = "NAME")]
    pub gpu_device: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

fn parse_gpu_layers(value: &str) -> Result<hearth_llm::GpuLayers, String> {
    value.parse()
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Answer one prompt and stream the answer to stdout.
    Run(RunArgs),
    /// Talk with a model interactively (/help inside for commands).
    Chat(ChatArgs),
    /// Summarize a document (txt, md, html, pdf, docx, epub, odt, rtf, pptx, xlsx, ods, csv, eml, mbox) of any length.
    Summarize(SummarizeArgs),
    /// Translate a document or text, keeping its structure. Units the model did not
    /// translate (copied, or in another language) are listed with a better model to use
    /// (exit 7).
    Translate(TranslateArgs),
    /// Check a text against documents: each sentence whose numbers, dates, names,
    /// quotes or code the documents do not have is shown with what is missing (exit 6).
    Check(CheckArgs),
    /// Document collections to ask questions about: add, ls, rm, reindex.
    Docs {
        #[command(subcommand)]
        command: DocsCommand,
    },
    /// Answer a question from your documents, citing the passages used.
    Ask(AskArgs),
    /// Saved system prompts: list, add, show, rm.
    Persona {
        #[command(subcommand)]
        command: PersonaCommand,
    },
    /// Saved conversations: list, show, search, export, import, rename, rm.
    History {
        #[command(subcommand)]
        command: HistoryCommand,
    },
    /// The audit log of every generation: list, export (by time, provider, purpose, or
    /// only what left the machine).
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Remote model providers (OpenAI-compatible or Anthropic): list, add, key, rm.
    Providers {
        #[command(subcommand)]
        command: ProvidersCommand,
    },
    /// MCP tool servers whose tools models may call: list, add, rm, tools, call.
    Mcp {
        #[command(subcommand)]
        command: McpCommand,
    },
    /// Workflows: pipelines of steps (summarize, translate, classify, extract, prompt,
    /// generate), each with its own model: ls, show, run, save, rm, runs.
    Workflow {
        #[command(subcommand)]
        command: WorkflowCommand,
    },
    /// The prompt library: reusable templates with {{variables}}: list, show, save, rm,
    /// render.
    Prompts {
        #[command(subcommand)]
        command: PromptsCommand,
    },
    /// Delete every conversation, document collection, workflow run, saved prompt, the
    /// audit log, caches, logs and API keys; models and settings stay.
    DeleteEverything {
        /// Do it without asking (for scripts).
        #[arg(long)]
        yes: bool,
    },
    /// Generate N records that follow a JSON Schema (test data, or question/answer
    /// pairs drawn from a document), validated and de-duplicated.
    Generate(GenerateArgs),
    /// Offline mode: `on` stops every remote call before it connects, `off` allows
    /// configured providers again; with no argument, says which it is.
    Offline {
        #[arg(value_enum)]
        state: Option<Switch>,
    },
    /// Manage models: list, add, scan other apps, info, pull, rm, default.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// The compute devices llama.cpp can use: the CPU and each GPU, with its memory.
    Devices,
    /// Measure prompt processing and generation speed, optionally beside llama-bench.
    Bench(BenchArgs),
    /// Serve the web UI, the app API and an OpenAI-compatible API on this computer.
    Serve(ServeArgs),
    /// Serve a model to the app over stdin/stdout (started by Hearth itself).
    #[command(hide = true)]
    Worker,
    /// Read one document's scanned pages with OCR over stdin/stdout (started by Hearth
    /// itself, so a hostile image can only take this process down).
    #[command(hide = true, name = "ocr-worker")]
    OcrWorker,
}

#[derive(Debug, Args, Clone)]
pub struct ModelArgs {
    /// Model to use: a path to a .gguf file, or a name from `hearth models list`.
    #[arg(short, long)]
    pub model: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub struct SamplingArgs {
    /// Randomness; 0 always picks the most likely word.
    #[arg(long)]
    pub temperature: Option<f32>,
    /// Stop after this many tokens.
    #[arg(long, short = 'n')]
    pub max_tokens: Option<u32>,
    /// Same seed, same answer.
    #[arg(long)]
    pub seed: Option<u32>,
    #[arg(long)]
    pub top_k: Option<i32>,
    #[arg(long)]
    pub top_p: Option<f32>,
    #[arg(long)]
    pub min_p: Option<f32>,
    #[arg(long)]
    pub repeat_penalty: Option<f32>,
    /// End the answer when this text appears (repeatable).
    #[arg(long = "stop")]
    pub stop: Vec<String>,
}

/// A reasoning model's thinking: shown dimmed on stderr when stderr is a terminal (the
/// answer alone goes to stdout), switched, and limited.
#[derive(Debug, Default, Args)]
pub struct ThinkingArgs {
    /// Write the model's thinking to stderr even when stderr is not a terminal.
    #[arg(long)]
    pub show_thinking: bool,
    /// Thinking on or off for models whose template has a switch (Qwen3, …); `hearth
    /// chat` keeps the choice with the conversation.
    #[arg(long, value_enum, value_name = "on|off|default")]
    pub thinking: Option<ThinkingSwitch>,
    /// The most tokens the model may think before it is made to answer.
    #[arg(long, value_name = "TOKENS")]
    pub thinking_budget: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ThinkingSwitch {
    On,
    Off,
    /// The model's own default.
    Default,
}

impl ThinkingSwitch {
    pub fn value(self) -> Option<bool> {
        match self {
            ThinkingSwitch::On => Some(true),
            ThinkingSwitch::Off => Some(false),
            ThinkingSwitch::Default => None,
        }
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The prompt; `-` reads it from stdin.
    #[arg(required_unless_present = "template")]
    pub prompt: Option<String>,
    /// Fill a prompt library template instead (see `hearth prompts list`).
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// A template variable, as NAME=VALUE (repeat for each).
    #[arg(long = "var", value_name = "NAME=VALUE", requires = "template")]
    pub vars: Vec<String>,
    #[command(flatten)]
    pub model: ModelArgs,
    /// A system prompt that sets the assistant's role.
    #[arg(long, short)]
    pub system: Option<String>,
    #[command(flatten)]
    pub sampling: SamplingArgs,
    /// Answer with JSON that follows this JSON Schema file.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// Print timing figures to stderr after the answer.
    #[arg(long)]
    pub stats: bool,
    #[command(flatten)]
    pub thinking: ThinkingArgs,
}

#[derive(Debug, Args)]
pub struct SummarizeArgs {
    /// The document; `-` reads text from stdin.
    pub file: String,
    #[command(flatten)]
    pub model: ModelArgs,
    /// How the summary is written.
    #[arg(long, value_enum, default_value = "paragraph")]
    pub style: StyleArg,
    /// short, medium, long, or a number of words.
    #[arg(long, default_value = "medium", value_parser = parse_length)]
    pub length: hearth_core::documents::SummaryLength,
    /// The summary's language (name or code); default: the document's own.
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,
    /// Write the summary to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Largest part of the document read in one step, in tokens.
    #[arg(long, value_name = "TOKENS")]
    pub part_tokens: Option<usize>,
    /// Steps run at once (default: all the model's sequences; 1: one at a time).
    #[arg(long, value_name = "N")]
    pub parallel: Option<usize>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum StyleArg {
    Paragraph,
    Bullets,
    Detailed,
    Tldr,
    KeyPoints,
}

impl From<StyleArg> for hearth_core::documents::SummaryStyle {
    fn from(style: StyleArg) -> Self {
        use hearth_core::documents::SummaryStyle;
        match style {
            StyleArg::Paragraph => SummaryStyle::Paragraph,
            StyleArg::Bullets => SummaryStyle::Bullets,
            StyleArg::Detailed => SummaryStyle::Detailed,
            StyleArg::Tldr => SummaryStyle::Tldr,
            StyleArg::KeyPoints => SummaryStyle::KeyPoints,
        }
    }
}

fn parse_length(text: &str) -> Result<hearth_core::documents::SummaryLength, String> {
    use hearth_core::documents::SummaryLength;
    match text {
        "short" => Ok(SummaryLength::Short),
        "medium" => Ok(SummaryLength::Medium),
        "long" => Ok(SummaryLength::Long),
        words => match words.parse::<u32>() {
            Ok(n) if n > 0 => Ok(SummaryLength::Words(n)),
            _ => Err("expected short, medium, long or a number of words".into()),
        },
    }
}

#[derive(Debug, Args)]
pub struct TranslateArgs {
    /// The document or text file; `-` reads text from stdin.
    pub file: String,
    /// The language to translate into (name or code: German, de).
    #[arg(long, value_name = "LANG")]
    pub to: String,
    /// The source language; detected when not given.
    #[arg(long, value_name = "LANG")]
    pub from: Option<String>,
    /// Terms that must be translated a given way: `term = translation` per line.
    #[arg(long, value_name = "FILE")]
    pub glossary: Option<PathBuf>,
    /// Write the translation to this file instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// markdown keeps headings, lists and tables as Markdown; text drops the marks.
    #[arg(long, value_enum)]
    pub format: Option<TextFormatArg>,
    #[command(flatten)]
    pub model: ModelArgs,
    /// Units translated at once (default: all the model's sequences).
    #[arg(long, value_name = "N")]
    pub parallel: Option<usize>,
    /// Write N candidate translations of each paragraph (and, into French, one asked in
    /// French) and keep the one they agree on most: about N times slower; measured with 5,
    /// +1.8 chrF into French over one candidate, and into German +0.7 on average (one run
    /// lands between −0.2 and +1.9; more than 5 adds nothing; EVALUATION.md).
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u8).range(1..=8))]
    pub best_of: u8,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// A document the text should rest on (txt, md, html, pdf, docx, epub, odt, rtf, pptx, xlsx, ods, csv, eml, mbox); repeat for
    /// several.
    #[arg(long = "source", value_name = "FILE", required = true)]
    pub sources: Vec<PathBuf>,
    /// The text to check; `-` or nothing reads it from stdin.
    pub text: Option<String>,
    /// The text is a translation of the (one) source: compare their numbers, code and
    /// acronyms both ways instead of looking each fact up.
    #[arg(long)]
    pub translation: bool,
    /// How far to check: `fast` (facts, no model) or `thorough` (facts, then the
    /// embedding model's similarity and a model judge per sentence); the `grounding`
    /// setting when absent (fast when it is off).
    #[arg(long, value_enum, conflicts_with = "translation")]
    pub mode: Option<CheckModeArg>,
    /// The judge's model in thorough mode (a library id or PROVIDER:MODEL); the
    /// `grounding_judge` setting, else the default model, when absent.
    #[arg(long, value_name = "MODEL", conflicts_with = "translation")]
    pub judge: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckModeArg {
    Fast,
    Thorough,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TextFormatArg {
    Markdown,
    Text,
}

#[derive(Debug, Args)]
pub struct ChatArgs {
    /// Continue a saved conversation (its id from `hearth history list`; no id: the latest).
    #[arg(long = "continue", visible_alias = "conversation", value_name = "ID", num_args = 0..=1, default_missing_value = "")]
    pub resume: Option<String>,
    /// Start with a saved persona's system prompt (see `hearth persona list`).
    #[arg(long, conflicts_with = "system")]
    pub persona: Option<String>,
    #[command(flatten)]
    pub model: ModelArgs,
    /// A system prompt that sets the assistant's role.
    #[arg(long, short)]
    pub system: Option<String>,
    /// Answer through this LoRA adapter (a GGUF file made for the model); kept with the
    /// conversation.
    #[arg(long, value_name = "FILE")]
    pub adapter: Option<PathBuf>,
    /// How strongly the adapter applies: 1 as trained, 0 not at all.
    #[arg(
        long,
        default_value_t = 1.0,
        requires = "adapter",
        allow_negative_numbers = true
    )]
    pub adapter_scale: f32,
    #[command(flatten)]
    pub sampling: SamplingArgs,
    #[command(flatten)]
    pub thinking: ThinkingArgs,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on. Anything but 127.0.0.1 or ::1 lets other machines reach
    /// your models and history (they still need the token).
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on; 0 picks a free one (printed at start).
    #[arg(long, short, default_value_t = 8765)]
    pub port: u16,
    /// The built web UI (default: ui/dist beside the program, or $HEARTH_UI_DIR).
    #[arg(long, value_name = "DIR")]
    pub ui: Option<PathBuf>,
    /// Let web pages from this origin call the APIs (repeatable); CORS is closed without it.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// Load the default model at start, so the first answer does not wait for it.
    #[arg(long)]
    pub preload: bool,
    /// Also answer to this name in the `Host` header (repeatable; `NAME[:PORT]`), e.g.
    /// the machine's LAN name or address when listening on 0.0.0.0. Other names are
    /// refused, which stops DNS rebinding.
    #[arg(long = "allowed-host", value_name = "NAME[:PORT]")]
    pub allowed_hosts: Vec<String>,
    /// Let API requests name documents on this computer by path (to read, summarize,
    /// translate, add to a collection or run a workflow on). Off by default: clients
    /// upload a document's contents instead. Only documents (.txt, .md, .html, .pdf,
    /// .docx, .epub, .odt, .rtf, .pptx, .xlsx, .ods, .csv, .eml, .mbox, by name and
    /// content) are read, never Hearth's own folders.
    #[arg(long)]
    pub allow_paths: bool,
    /// Print the API token and where it is kept, and exit.
    #[arg(long)]
    pub show_token: bool,
    /// Ask the server already running on --host/--port for a new one-time login link
    /// for a browser, print it, and exit.
    #[arg(long, conflicts_with = "show_token")]
    pub login_link: bool,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub model: ModelArgs,
    /// Prompt tokens to process (llama-bench's pp test).
    #[arg(long, default_value_t = 512)]
    pub prompt_tokens: u32,
    /// Tokens to generate (llama-bench's tg test).
    #[arg(long, default_value_t = 128)]
    pub gen_tokens: u32,
    /// Repetitions of each test in a round.
    #[arg(long, short = 'r', default_value_t = 5)]
    pub repetitions: u32,
    /// Rounds, alternating the runners; the table shows the median round.
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,
    /// CPU threads (default: one per physical core).
    #[arg(long, short = 't')]
    pub threads: Option<u32>,
    /// Path to llama.cpp's llama-bench, to run it on the same model and print ratios.
    #[arg(long, value_name = "PATH")]
    pub llama_bench: Option<PathBuf>,
    /// Also measure through the isolated worker process.
    #[arg(long)]
    pub worker: bool,
    /// Print the ggml CPU variant this machine uses, and exit.
    #[arg(long)]
    pub print_cpu_variant: bool,
    /// Time document work instead: rewrite, quote, extract, summarize, translate, or
    /// all (repeat the flag for several), on passages of --document.
    #[arg(long, value_name = "NAME", value_parser = parse_task)]
    pub task: Vec<TaskChoice>,
    /// The document the tasks' passages come from (any format Hearth reads).
    #[arg(long, value_name = "FILE", requires = "task")]
    pub document: Option<PathBuf>,
    /// Passages per task.
    #[arg(long, default_value_t = 3, requires = "task")]
    pub passages: u32,
    /// The most tokens of each answer (default: each task's own).
    #[arg(long, requires = "task")]
    pub max_tokens: Option<u32>,
    /// Path to llama.cpp's llama-server, to run the tasks through it too, without and
    /// with each --server-spec setting.
    #[arg(long, value_name = "PATH", requires = "task")]
    pub llama_server: Option<PathBuf>,
    /// llama-server's speculative arguments to compare, as one string each (default:
    /// "--spec-type ngram-mod" and "--spec-type ngram-simple").
    #[arg(long, value_name = "ARGS", requires = "llama_server")]
    pub server_spec: Vec<String>,
    /// A smaller model of the same tokenizer (a .gguf path): Hearth also runs with it
    /// guessing the next tokens ("hearth, draft model"); compare llama-server's with
    /// --server-spec "-md PATH".
    #[arg(long, value_name = "PATH", requires = "task")]
    pub draft_model: Option<PathBuf>,
}

/// A `--task` value: one task, or all of them.
#[derive(Debug, Clone)]
pub enum TaskChoice {
    One(hearth_core::bench::tasks::Task),
    All,
}

fn parse_task(value: &str) -> Result<TaskChoice, String> {
    if value == "all" {
        return Ok(TaskChoice::All);
    }
    hearth_core::bench::tasks::Task::parse(value)
        .map(TaskChoice::One)
        .ok_or_else(|| {
            format!(
                "no task named `{value}`: use rewrite, quote, extract, summarize, translate or all"
            )
        })
}

#[derive(Debug, Subcommand)]
pub enum DocsCommand {
    /// Add files and folders to a collection (made if new) and index them; files
    /// already indexed with the same content are skipped.
    Add {
        /// The collection's name.
        collection: String,
        /// Files and folders (folders are searched for txt, md, html, pdf, docx, epub, odt, rtf, pptx, xlsx, ods, csv, eml, mbox).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// List collections, or one collection's files.
    Ls { collection: Option<String> },
    /// Remove a file or folder from a collection, or (with no path) the whole
    /// collection. Files on disk are never touched.
    Rm {
        collection: String,
        path: Option<PathBuf>,
    },
    /// Scan a collection's files and folders again: index new and changed files, drop
    /// deleted ones.
    Reindex { collection: String },
    /// With a collection and --on or --off: turn watching its folders on or off (on for
    /// new collections). Alone: watch every watched collection in the foreground until
    /// Ctrl-C, printing each change as it is indexed (`hearth serve` and the desktop
    /// app watch while they run).
    Watch {
        collection: Option<String>,
        /// Watch the collection's folders.
        #[arg(long, conflicts_with = "off", requires = "collection")]
        on: bool,
        /// Stop watching the collection's folders (rescan by hand with `hearth docs reindex`).
        #[arg(long, requires = "collection")]
        off: bool,
    },
}

#[derive(Debug, Args, Clone)]
pub struct AskArgs {
    /// The question.
    pub question: String,
    /// Search only this collection (repeat for several; default: all).
    #[arg(long, short)]
    pub collection: Vec<String>,
    /// Search only this file of the collection (path or file name).
    #[arg(long)]
    pub file: Option<String>,
    /// Passages to give the model at most.
    #[arg(long, default_value_t = 6)]
    pub passages: usize,
    /// Print the passages found, without asking a model.
    #[arg(long)]
    pub search_only: bool,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub sampling: SamplingArgs,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List the models in the library.
    List,
    /// Compare every local and remote model for choosing one: where it runs, size,
    /// memory, speed measured here, context, license, cost; and the model recommended
    /// for this computer's memory.
    Compare,
    /// Add a GGUF file to the library (its header is checked first).
    Add {
        path: PathBuf,
        /// A short name to use instead of one made from the file name.
        #[arg(long)]
        id: Option<String>,
        /// Copy the file into Hearth's models folder instead of linking to it.
        #[arg(long)]
        copy: bool,
        /// Also make it the default model.
        #[arg(long)]
        default: bool,
    },
    /// Convert a sentence-transformers BERT folder (an embedding model such as
    /// all-MiniLM-L6-v2: config.json, model.safetensors, vocab.txt) to GGUF and add it.
    Convert {
        dir: PathBuf,
        /// A short name for the model (default: the folder's name).
        #[arg(long)]
        id: Option<String>,
    },
    /// Find models other apps keep (Hugging Face cache, LM Studio, Ollama, Jan).
    Scan {
        /// Add every model found to the library (by path, nothing is copied).
        #[arg(long)]
        add: bool,
    },
    /// What a model file says about itself, and whether it fits in memory.
    Info {
        /// Library id or path (default: the default model).
        model: Option<String>,
        /// Context length to estimate memory for (default: from the settings).
        #[arg(long)]
        ctx_size: Option<u32>,
    },
    /// Download a model: a catalog id (see --catalog) or ORG/REPO/FILE.gguf from Hugging Face.
    Pull {
        #[arg(required_unless_present = "catalog")]
        source: Option<String>,
        /// Also make it the default model.
        #[arg(long)]
        default: bool,
        /// List the catalog of well-known models instead.
        #[arg(long)]
        catalog: bool,
    },
    /// Install the model recommended for this computer's memory (from the catalog,
    /// downloaded from Hugging Face, resumable and SHA-256 checked) and make it the
    /// default. When the hub cannot be reached the current default stays, and running
    /// this again later gets it; an interrupted download resumes.
    Setup,
    /// Remove a model from the library.
    Rm {
        model: String,
        /// Also delete the file, if Hearth copied or downloaded it.
        #[arg(long)]
        delete: bool,
    },
    /// Show the default model, or set it.
    Default { model: Option<String> },
}

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// List conversations, pinned first, then the most recent.
    List {
        /// Include archived conversations.
        #[arg(long)]
        all: bool,
    },
    /// Print a conversation's active branch.
    Show { id: String },
    /// Search every message (accents and case ignored; `word*` for prefixes).
    Search {
        query: String,
        #[arg(long)]
        limit: Option<u32>,
        /// Look into reasoning models' thinking too (always, with the
        /// `search_thinking` setting).
        #[arg(long)]
        thinking: bool,
    },
    /// Export one conversation (or all) as Markdown or JSON.
    Export {
        /// Conversation id; all conversations when absent.
        id: Option<String>,
        #[arg(long, value_enum, default_value = "markdown")]
        format: ExportFormat,
        /// Write to this file instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Import a JSON export (all or nothing).
    Import { file: PathBuf },
    /// Rename a conversation.
    Rename { id: String, title: String },
    /// Delete a conversation for good.
    Rm { id: String },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List generations: when, what for, model, where it ran, what left the machine.
    List {
        #[command(flatten)]
        filter: AuditFilterArgs,
    },
    /// Write every generation's record (model, file hash, parameters, token counts,
    /// timings, provider, redactions and bytes sent, and hashes of prompt and output,
    /// never their text) as JSON Lines.
    Export {
        #[command(flatten)]
        filter: AuditFilterArgs,
        /// Write to this file instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args, Clone)]
pub struct AuditFilterArgs {
    /// Only records made at or after this time, in milliseconds since 1970 (UTC).
    #[arg(long, value_name = "MS")]
    pub since: Option<i64>,
    /// Only this provider's generations (`local` for this computer).
    #[arg(long)]
    pub provider: Option<String>,
    /// Only generations whose text was sent to a remote provider.
    #[arg(long)]
    pub remote: bool,
    /// Only records made for this: answer, title, summary, run, document_summary,
    /// translation, api, document_answer, query_rewrite, workflow, generate, tool_call
    /// (calls to MCP tools), other.
    #[arg(long)]
    pub purpose: Option<String>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    Markdown,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Switch {
    On,
    Off,
}

#[derive(Debug, Subcommand)]
pub enum ProvidersCommand {
    /// List connected providers and where their keys are kept.
    List,
    /// Connect a provider, or change one; its models are then `NAME:MODEL`.
    ///
    /// The API key is read from --key-env, or typed at a hidden prompt, or piped on
    /// stdin; never from the command line, where it would stay in the shell's history.
    Add {
        /// Lowercase letters, digits, - and _ (shown on every answer it writes).
        name: String,
        /// openai (any OpenAI-compatible server: vLLM, llama-server, Ollama, LM Studio,
        /// hosted services) or anthropic.
        #[arg(long, value_parser = parse_protocol)]
        kind: hearth_llm::Protocol,
        /// The API's base address, such as http://localhost:11434/v1 (default: the
        /// public API of that kind). Plain http:// only to this computer; another
        /// scheme, host or port than before removes the key kept for the old one.
        #[arg(long)]
        url: Option<String>,
        /// A model to offer when choosing one (repeatable); the first is used for NAME.
        #[arg(long = "model")]
        models: Vec<String>,
        /// Tokens a model takes (prompt and answer).
        #[arg(long, default_value_t = 32_768)]
        context: u32,
        /// Price per 1,000 prompt tokens, for the model list.
        #[arg(long)]
        input_cost: Option<f64>,
        /// Price per 1,000 generated tokens.
        #[arg(long)]
        output_cost: Option<f64>,
        /// Read the API key from this environment variable.
        #[arg(long, value_name = "VAR")]
        key_env: Option<String>,
        /// Connect without a key (a local server that needs none).
        #[arg(long, conflicts_with = "key_env")]
        no_key: bool,
    },
    /// Set a provider's API key (from --key-env, a hidden prompt, or stdin).
    Key {
        name: String,
        #[arg(long, value_name = "VAR")]
        key_env: Option<String>,
    },
    /// Disconnect a provider and forget its key.
    Rm { name: String },
}

#[derive(Debug, Subcommand)]
pub enum McpCommand {
    /// The configured servers: how each is reached, on or off, and its last problem.
    List,
    /// Add a server, or replace the one of that name.
    ///
    /// A program Hearth starts: `hearth mcp add files -- npx -y
    /// @modelcontextprotocol/server-filesystem ~/Documents`. A server at an address:
    /// `hearth mcp add search --url https://example.com/mcp --bearer-env SEARCH_TOKEN`.
    Add {
        /// Lowercase letters, digits, - and _; its tools are named NAME__TOOL.
        name: String,
        /// A streamable HTTP address instead of a program (plain http:// only to this
        /// computer).
        #[arg(long, conflicts_with_all = ["command", "env", "cwd"])]
        url: Option<String>,
        /// Send `Authorization: Bearer` with the token read from this environment
        /// variable (never from the command line, where it would stay in the history).
        #[arg(long, value_name = "VAR", requires = "url")]
        bearer_env: Option<String>,
        /// KEY=VALUE set for the program (repeatable).
        #[arg(long = "env", value_name = "KEY=VALUE")]
        env: Vec<String>,
        /// The program's working folder.
        #[arg(long)]
        cwd: Option<std::path::PathBuf>,
        /// Keep it in the settings but do not start it.
        #[arg(long)]
        off: bool,
        /// The program and its arguments, after `--`.
        #[arg(last = true, value_name = "COMMAND")]
        command: Vec<String>,
    },
    /// Remove a server (it is stopped).
    Rm { name: String },
    /// Turn a server on: its tools are offered again.
    On { name: String },
    /// Turn a server off: kept in the settings, never started or contacted.
    Off { name: String },
    /// The tools every server that is on offers (starting the servers to ask them).
    Tools,
    /// Call a tool yourself, as a model would: `hearth mcp call everything__echo
    /// '{"message":"hi"}'`. The call is written to the audit log.
    Call {
        /// SERVER__TOOL, as `hearth mcp tools` lists it.
        name: String,
        /// The arguments as a JSON object.
        #[arg(default_value = "{}")]
        arguments: String,
    },
}

fn parse_protocol(value: &str) -> Result<hearth_llm::Protocol, String> {
    value.parse()
}

#[derive(Debug, Subcommand)]
pub enum PersonaCommand {
    /// List saved personas.
    List,
    /// Save a persona: a name and the system prompt it sets.
    Add { name: String, system_prompt: String },
    /// Show one persona.
    Show { name: String },
    /// Delete a persona.
    Rm { name: String },
}

#[derive(Debug, Subcommand)]
pub enum WorkflowCommand {
    /// List the built-in and saved workflows.
    Ls,
    /// Print a workflow as TOML (or JSON with --json).
    Show {
        /// A workflow's name, or a .toml/.json file.
        workflow: String,
    },
    /// Run a workflow on a text, a file, or every document in a folder.
    Run(WorkflowRunArgs),
    /// Save a workflow file (.toml or .json) in the database under its name.
    Save { file: PathBuf },
    /// Delete a saved workflow (its past runs stay).
    Rm { name: String },
    /// Past runs, newest first; with an id, that run's results table.
    Runs {
        id: Option<String>,
        /// Write the run's results to this file (.csv or .jsonl).
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Args)]
pub struct WorkflowRunArgs {
    /// A workflow's name, or a .toml/.json file.
    pub workflow: String,
    /// A file or folder to run on; `-` reads text from stdin.
    pub input: Option<String>,
    /// Run on this text instead of a file.
    #[arg(long, conflicts_with = "input")]
    pub text: Option<String>,
    /// Write the results table here: .csv, or .jsonl (JSON Lines).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum PromptsCommand {
    /// List the templates and their variables.
    List,
    /// Print a template.
    Show { name: String },
    /// Save a template; its text from --file, or stdin with `-`.
    Save {
        name: String,
        /// The template's text (with {{variables}}); `-` reads stdin.
        #[arg(long, value_name = "FILE")]
        file: String,
        #[arg(long, default_value = "")]
        description: String,
        /// A system prompt sent before it.
        #[arg(long)]
        system: Option<String>,
    },
    /// Delete a saved template.
    Rm { name: String },
    /// Print a template filled with --var NAME=VALUE.
    Render {
        name: String,
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// The JSON Schema of one record (a file).
    #[arg(long, value_name = "FILE")]
    pub schema: PathBuf,
    /// How many records.
    #[arg(long, short = 'c', default_value_t = 10)]
    pub count: usize,
    /// What the records are ("customers of a bakery in Lyon").
    #[arg(long, short)]
    pub instructions: Option<String>,
    /// Draw the records from this document (question/answer pairs for evaluation).
    #[arg(long, value_name = "FILE")]
    pub from: Option<PathBuf>,
    #[command(flatten)]
    pub model: ModelArgs,
    /// The first record's seed (the same seed gives the same records).
    #[arg(long)]
    pub seed: Option<u32>,
    /// Variety: 0.9 by default.
    #[arg(long)]
    pub temperature: Option<f32>,
    /// Write the records here: .jsonl (default) or .csv; stdout without it.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// The format on stdout.
    #[arg(long, default_value = "jsonl")]
    pub format: String,
}
