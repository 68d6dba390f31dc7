//! Time to first token on every turn of one long conversation: Hearth keeping its
//! context warm, Hearth restarted before every turn (contexts restored from disk), Hearth
//! with nothing to reuse, and (with `--llama-server URL`) llama.cpp's llama-server with
//! its prompt cache on and off, on the same model, threads and conversation.
//!
//! The conversation: `--turns` user messages of about 150 tokens each, answered with
//! `--answer-tokens` greedy tokens; the history is the one Hearth's warm run produced,
//! replayed for every other run, so each turn's prompt is the same everywhere. The warm,
//! restarted and cached-server runs are repeated `--rounds` times (each round its own
//! conversation, so no cache carries over) and each turn reports the median; the cached
//! server gets each turn right after Hearth's warm run answers it, so the pair sees the
//! same moment of a shared machine. The runs with nothing to reuse are slow and run once.
//!
//!   cargo run --release -p hearth-server --example turns_bench -- \
//!       --model .models/SmolLM2-135M-Instruct.Q4_1.gguf --threads 2 \
//!       [--llama-server http://127.0.0.1:8080]
//!
//! scripts/bench-turns.sh builds llama-server and runs everything side by side.

use std::path::{Path, PathBuf};
use std::time::Instant;

use hearth_core::{Hearth, Isolation, OpenOptions, Paths};
use hearth_llm::{ChatMessage, Completion, GenerationEvent, GenerationOptions};
use serde_json::json;

struct Args {
    model: PathBuf,
    turns: usize,
    answer_tokens: u32,
    context: u32,
    threads: Option<u32>,
    llama_server: Option<String>,
    rounds: usize,
}

fn args() -> Args {
    let mut args = Args {
        model: ".models/SmolLM2-135M-Instruct.Q4_1.gguf".into(),
        turns: 20,
        answer_tokens: 16,
        context: 4096,
        threads: None,
        llama_server: None,
        rounds: 3,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--model" => args.model = value().into(),
            "--turns" => args.turns = value().parse().expect("--turns N"),
            "--answer-tokens" => args.answer_tokens = value().parse().expect("--answer-tokens N"),
            "--context" => args.context = value().parse().expect("--context N"),
            "--threads" => args.threads = Some(value().parse().expect("--threads N")),
            "--llama-server" => args.llama_server = Some(value()),
            "--rounds" => args.rounds = value().parse().expect("--rounds N"),
            other => panic!("unknown argument {other}; see the file's header for usage"),
        }
    }
    args
}

/// About 150 tokens of varied English per message, the same on every run.
fn user_message(turn: usize) -> String {
    const SUBJECTS: [&str; 12] = [
        "the old harbour",
        "my grandmother's garden",
        "the night train",
        "a small bakery",
        "the mountain village",
        "our school library",
        "the river ferry",
        "a winter market",
        "the lighthouse keeper",
        "an abandoned factory",
        "the county fair",
        "a quiet museum",
    ];
    const VERBS: [&str; 10] = [
        "remembers",
        "hides",
        "changes",
        "welcomes",
        "loses",
        "collects",
        "repairs",
        "describes",
        "follows",
        "celebrates",
    ];
    const OBJECTS: [&str; 12] = [
        "every visitor who arrives before dawn",
        "the letters nobody ever answered",
        "a map drawn on the back of a recipe",
        "the sound of bells across the water",
        "three generations of careful work",
        "the smell of bread and wet stone",
        "a promise made during a long storm",
        "the names carved into the wooden benches",
        "the last light of an autumn evening",
        "a song that everyone half remembers",
        "the quarrels of two stubborn neighbours",
        "a key that opens no door anyone knows",
    ];
    let mut seed = (turn as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut text = format!("Part {} of my story. ", turn + 1);
    for _ in 0..9 {
        text.push_str(&format!(
            "{} {} {}. ",
            capitalize(SUBJECTS[next(SUBJECTS.len())]),
            VERBS[next(VERBS.len())],
            OBJECTS[next(OBJECTS.len())]
        ));
    }
    text.push_str("Please continue the story in one short sentence.");
    text
}

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// One turn's figures.
#[derive(Clone, Copy, Default)]
struct Turn {
    ttft_ms: f64,
    /// The engine's own prompt evaluation time (to the first sampled token).
    prompt_ms: f64,
    prompt_tokens: usize,
    reused: usize,
}

fn options(tokens: u32) -> GenerationOptions {
    GenerationOptions {
        max_tokens: Some(tokens),
        seed: Some(1),
        ..GenerationOptions::greedy()
    }
}

fn open_hearth(
    home: &Path,
    model: &Path,
    context: u32,
    threads: Option<u32>,
    saving: bool,
) -> Hearth {
    let paths = Paths::under(home);
    std::fs::create_dir_all(&paths.config).unwrap();
    let threads = threads
        .map(|t| format!("threads = {t}\n"))
        .unwrap_or_default();
    let saved = if saving { 2048 } else { 0 };
    std::fs::write(
        paths.config_file(),
        format!(
            "default_model = {:?}\ncontext_length = {context}\nsaved_contexts_mb = {saved}\n{threads}",
            model.display().to_string()
        ),
    )
    .unwrap();
    let hearth = Hearth::open(OpenOptions {
        paths,
        isolation: Some(Isolation::InProcess),
    })
    .unwrap();
    // Load the model before the clock starts: a restarted app loads it at start.
    hearth.engine(None).unwrap();
    hearth
}

/// One turn through the facade, timed from the call to the first streamed text.
fn hearth_turn(hearth: &Hearth, messages: &[ChatMessage], tokens: u32) -> (Turn, String) {
    let start = Instant::now();
    let mut generation = hearth.api_chat(None, messages, options(tokens)).unwrap();
    let mut first = None;
    let mut done: Option<Completion> = None;
    while let Some(event) = generation.next_event() {
        match event {
            // The first token is the first of anything the model wrote.
            GenerationEvent::Delta { .. }
            | GenerationEvent::Reasoning { .. }
            | GenerationEvent::ToolCall { .. } => {
                first.get_or_insert_with(Instant::now);
            }
            GenerationEvent::Done { completion } => {
                done = Some(completion);
                break;
            }
            GenerationEvent::Failed { error } => panic!("{error}"),
        }
    }
    let completion = done.expect("the turn finished");
    let first = first.unwrap_or_else(Instant::now);
    (
        Turn {
            ttft_ms: first.duration_since(start).as_secs_f64() * 1000.0,
            prompt_ms: completion.prompt_ms,
            prompt_tokens: completion.prompt_tokens,
            reused: completion.cached_tokens,
        },
        completion.text,
    )
}

/// One streamed turn against llama-server, timed at the client.
async fn server_turn(
    client: &reqwest::Client,
    base: &str,
    messages: &[ChatMessage],
    tokens: u32,
    cache: bool,
) -> Turn {
    let wire: Vec<_> = messages
        .iter()
        .map(|m| json!({ "role": m.role.as_str(), "content": m.content }))
        .collect();
    let body = json!({
        "messages": wire,
        "max_tokens": tokens,
        "temperature": 0,
        "seed": 1,
        "stream": true,
        "cache_prompt": cache,
    });
    let start = Instant::now();
    let mut response = client
        .post(format!("{base}/v1/chat/completions"))
        .json(&body)
        .send()
        .await
        .expect("llama-server request failed");
    assert!(response.status().is_success(), "{}", response.status());
    let mut first = None;
    let mut turn = Turn::default();
    let mut buffer = String::new();
    while let Some(chunk) = response.chunk().await.expect("stream failed") {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            let Some(data) = event.trim().strip_prefix("data: ") else {
                continue;
            };
            if data == "[DONE]" {
                continue;
            }
            let value: serde_json::Value = serde_json::from_str(data).expect("a JSON chunk");
            if value["choices"][0]["delta"]["content"]
                .as_str()
                .is_some_and(|t| !t.is_empty())
            {
                first.get_or_insert_with(Instant::now);
            }
            if let Some(timings) = value.get("timings") {
                let evaluated = timings["prompt_n"].as_u64().unwrap_or(0) as usize;
                let cached = timings["cache_n"].as_u64().unwrap_or(0) as usize;
                turn.prompt_tokens = evaluated + cached;
                turn.reused = cached;
                turn.prompt_ms = timings["prompt_ms"].as_f64().unwrap_or(0.0);
            }
        }
    }
    turn.ttft_ms = first
        .unwrap_or_else(Instant::now)
        .duration_since(start)
        .as_secs_f64()
        * 1000.0;
    turn
}

/// A conversation's prompts turn by turn, as Hearth's warm run produced them.
struct Conversation {
    prompts: Vec<Vec<ChatMessage>>,
    user_tokens: Vec<usize>,
}

/// Hearth, warm: one app for the whole conversation. Its answers become the history
/// the other runs replay. With a server, each turn is sent to it right after Hearth
/// answers it, so the two are timed side by side on the same machine state.
async fn warm_run(
    args: &Args,
    model: &Path,
    round: usize,
    server: Option<(&reqwest::Client, &str)>,
) -> (Conversation, Vec<Turn>, Vec<Turn>) {
    let mut history = vec![ChatMessage::system(format!(
        "You are a helpful storyteller. (Round {}.)",
        round + 1
    ))];
    let mut conversation = Conversation {
        prompts: Vec::new(),
        user_tokens: Vec::new(),
    };
    let mut turns = Vec::new();
    let mut server_turns = Vec::new();
    let home = tempfile::tempdir().unwrap();
    let hearth = open_hearth(home.path(), model, args.context, args.threads, true);
    let engine = hearth.engine(None).unwrap();
    for turn in 0..args.turns {
        let message = user_message(turn);
        conversation
            .user_tokens
            .push(engine.tokenize(&message, false).unwrap().len());
        history.push(ChatMessage::user(message));
        conversation.prompts.push(history.clone());
        let (figures, answer) = hearth_turn(&hearth, &history, args.answer_tokens);
        eprintln!(
            "round {} warm    turn {:2}: {:7.1} ms",
            round + 1,
            turn + 1,
            figures.ttft_ms
        );
        turns.push(figures);
        if let Some((client, base)) = server {
            let figures = server_turn(client, base, &history, args.answer_tokens, true).await;
            eprintln!(
                "round {} server  turn {:2}: {:7.1} ms",
                round + 1,
                turn + 1,
                figures.ttft_ms
            );
            server_turns.push(figures);
        }
        history.push(ChatMessage::assistant(answer));
    }
    (conversation, turns, server_turns)
}

/// Hearth opened afresh before every turn: with `saving`, the context comes back from
/// disk (dropping the app saves it, as closing it does); without, nothing is reused.
fn reopened_run(args: &Args, model: &Path, conversation: &Conversation, saving: bool) -> Vec<Turn> {
    let home = tempfile::tempdir().unwrap();
    let label = if saving { "restart" } else { "cold   " };
    conversation
        .prompts
        .iter()
        .enumerate()
        .map(|(turn, prompt)| {
            let hearth = open_hearth(home.path(), model, args.context, args.threads, saving);
            let (figures, _) = hearth_turn(&hearth, prompt, args.answer_tokens);
            eprintln!("{label} turn {:2}: {:7.1} ms", turn + 1, figures.ttft_ms);
            figures
        })
        .collect()
}

async fn server_run(
    client: &reqwest::Client,
    base: &str,
    args: &Args,
    conversation: &Conversation,
    cache: bool,
) -> Vec<Turn> {
    let mut turns = Vec::new();
    for (turn, prompt) in conversation.prompts.iter().enumerate() {
        let figures = server_turn(client, base, prompt, args.answer_tokens, cache).await;
        let label = if cache { "server " } else { "server0" };
        eprintln!("{label} turn {:2}: {:7.1} ms", turn + 1, figures.ttft_ms);
        turns.push(figures);
    }
    turns
}

/// Each turn's medians over rounds (reuse counts from the first round).
fn medians(rounds: &[Vec<Turn>]) -> Vec<Turn> {
    (0..rounds[0].len())
        .map(|turn| {
            let median = |value: fn(&Turn) -> f64| {
                let mut values: Vec<f64> = rounds.iter().map(|r| value(&r[turn])).collect();
                values.sort_by(|a, b| a.total_cmp(b));
                values[values.len() / 2]
            };
            Turn {
                ttft_ms: median(|t| t.ttft_ms),
                prompt_ms: median(|t| t.prompt_ms),
                ..rounds[0][turn]
            }
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let args = args();
    let model = std::fs::canonicalize(&args.model).expect("the model file");
    // A new connection per request: llama-server closes kept-alive connections after a
    // few requests, and a pooled one may already be closed.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    if let Some(base) = &args.llama_server {
        server_turn(&client, base, &[ChatMessage::user("Hello")], 4, false).await;
    }

    let mut conversations = Vec::new();
    let (mut warm, mut restarted, mut server_cached) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..args.rounds.max(1) {
        let server = args.llama_server.as_deref().map(|base| (&client, base));
        let (conversation, turns, server_turns) = warm_run(&args, &model, round, server).await;
        warm.push(turns);
        if server.is_some() {
            server_cached.push(server_turns);
        }
        restarted.push(reopened_run(&args, &model, &conversation, true));
        conversations.push(conversation);
    }
    let first = &conversations[0];
    let cold = reopened_run(&args, &model, first, false);
    let server_cold = match &args.llama_server {
        Some(base) => server_run(&client, base, &args, first, false).await,
        None => Vec::new(),
    };
    // Each llama-server turn ran right after Hearth's, so the ratio within a round
    // compares two runs at the same moment of the machine; its median over rounds is
    // the fairest per-turn comparison.
    let paired = |turn: usize, value: fn(&Turn) -> f64| -> f64 {
        let mut ratios: Vec<f64> = warm
            .iter()
            .zip(&server_cached)
            .map(|(w, s)| value(&w[turn]) / value(&s[turn]))
            .collect();
        ratios.sort_by(|a, b| a.total_cmp(b));
        ratios[ratios.len() / 2]
    };
    let overhead = |rounds: &[Vec<Turn>], turn: usize| -> f64 {
        let mut values: Vec<f64> = rounds
            .iter()
            .map(|r| r[turn].ttft_ms - r[turn].prompt_ms)
            .collect();
        values.sort_by(|a, b| a.total_cmp(b));
        values[values.len() / 2]
    };
    let paired_ratios: Vec<f64> = if server_cached.is_empty() {
        Vec::new()
    } else {
        (0..warm[0].len())
            .map(|t| paired(t, |x| x.ttft_ms))
            .collect()
    };
    let overheads: Vec<(f64, f64)> = if server_cached.is_empty() {
        Vec::new()
    } else {
        (0..warm[0].len())
            .map(|t| (overhead(&warm, t), overhead(&server_cached, t)))
            .collect()
    };
    let (warm, restarted) = (medians(&warm), medians(&restarted));
    let server_cached = if server_cached.is_empty() {
        Vec::new()
    } else {
        medians(&server_cached)
    };

    println!(
        "model {}, {} turns, {} answer tokens, greedy, context {} per sequence, threads {}, \
         medians of {} rounds (no-reuse columns: one round)",
        model.file_name().unwrap_or_default().to_string_lossy(),
        args.turns,
        args.answer_tokens,
        args.context,
        args.threads
            .map(|t| t.to_string())
            .unwrap_or_else(|| "default".into()),
        args.rounds.max(1)
    );
    println!(
        "time to first token in ms (reused = prompt tokens not evaluated again); user messages {}–{} tokens",
        first.user_tokens.iter().min().unwrap_or(&0),
        first.user_tokens.iter().max().unwrap_or(&0)
    );
    let server = args.llama_server.is_some();
    if server {
        println!("| turn | prompt tokens | Hearth warm (reused) | Hearth after restart (restored) | Hearth, no reuse | llama-server cache on (reused) | llama-server cache off | warm / llama-server (paired) | beyond prompt evaluation, Hearth / llama-server (ms) | restart / warm |");
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    } else {
        println!("| turn | prompt tokens | Hearth warm (reused) | Hearth after restart (restored) | Hearth, no reuse | restart / warm |");
        println!("|---:|---:|---:|---:|---:|---:|");
    }
    let mut worst_vs_server = 0.0f64;
    let mut worst_restart = 0.0f64;
    for turn in 0..warm.len() {
        let (w, r, c) = (warm[turn], restarted[turn], cold[turn]);
        let restart_ratio = r.ttft_ms / w.ttft_ms;
        worst_restart = worst_restart.max(restart_ratio);
        let hearth = format!(
            "| {} | {} | {:.0} ({}) | {:.0} ({}) | {:.0} |",
            turn + 1,
            w.prompt_tokens,
            w.ttft_ms,
            w.reused,
            r.ttft_ms,
            r.reused,
            c.ttft_ms
        );
        if server {
            let (s, s0) = (server_cached[turn], server_cold[turn]);
            let vs = paired_ratios[turn];
            worst_vs_server = worst_vs_server.max(vs);
            let (mine, theirs) = overheads[turn];
            println!(
                "{hearth} {:.0} ({}) | {:.0} | {vs:.2}x | {mine:.1} / {theirs:.1} | {restart_ratio:.2}x |",
                s.ttft_ms, s.reused, s0.ttft_ms
            );
        } else {
            println!("{hearth} {restart_ratio:.2}x |");
        }
    }
    let total = |turns: &[Turn]| turns.iter().map(|t| t.ttft_ms).sum::<f64>();
    if server {
        println!(
            "all {} turns: Hearth warm {:.1} s, after restarts {:.1} s, llama-server with its cache {:.1} s ({:.2}x)",
            warm.len(),
            total(&warm) / 1000.0,
            total(&restarted) / 1000.0,
            total(&server_cached) / 1000.0,
            total(&warm) / total(&server_cached)
        );
        println!(
            "worst turn: Hearth warm at {worst_vs_server:.2}x llama-server's time with its cache (paired median); at or below 1.00x on {} of {} turns",
            paired_ratios.iter().filter(|r| **r <= 1.0).count(),
            paired_ratios.len()
        );
        println!(
            "time beyond prompt evaluation at or below llama-server's on {} of {} turns",
            overheads
                .iter()
                .filter(|(mine, theirs)| mine <= theirs)
                .count(),
            overheads.len()
        );
        // What each spends outside evaluating the prompt (request handling, templating,
        // tokenizing, scheduling, and for llama-server the HTTP round trip).
        let outside = |turns: &[Turn]| {
            turns.iter().map(|t| t.ttft_ms - t.prompt_ms).sum::<f64>() / turns.len() as f64
        };
        println!(
            "time to first token beyond prompt evaluation, mean over turns: Hearth {:.1} ms, llama-server {:.1} ms",
            outside(&warm),
            outside(&server_cached)
        );
    }
    println!("worst turn: Hearth after a restart at {worst_restart:.2}x its warm time");
}
