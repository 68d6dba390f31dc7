//! `hearth ask "question"`: an answer from the user's documents, streamed, followed by
//! the passages it was given, the cited ones marked, each with its file, page and
//! section; or, when nothing relevant is found, a plain statement of that.

use hearth_core::ask::{cited, AskOptions, AskReply, Attribution, RetrievalOptions, Source};
use hearth_core::Hearth;
use hearth_llm::StopReason;

use super::{apply_sampling, print_generation, spinner};
use crate::args::AskArgs;
use crate::exit;
use crate::interrupt::Interrupts;

pub fn run(args: AskArgs, json: bool) -> anyhow::Result<i32> {
    let interrupts = Interrupts::install(None);
    let hearth = Hearth::open_default()?;
    let retrieval = RetrievalOptions {
        collections: args.collection.clone(),
        file: args.file.clone(),
        limit: args.passages.max(1),
        ..RetrievalOptions::default()
    };
    if args.search_only {
        let found = hearth.retrieve(&args.question, &retrieval)?;
        if json {
            println!("{}", serde_json::to_string_pretty(&found)?);
        } else if found.is_empty() {
            println!("Nothing relevant found.");
        } else {
            for (i, p) in found.iter().enumerate() {
                println!(
                    "[{}] {} (similarity {:.2})\n{}\n",
                    i + 1,
                    hearth_core::ask::label(&p.passage),
                    p.similarity.unwrap_or(0.0),
                    p.passage.text
                );
            }
        }
        return Ok(exit::OK);
    }
    let options = AskOptions {
        retrieval,
        model: args.model.model.clone(),
        generation: apply_sampling(hearth.default_options(), &args.sampling),
        history: Vec::new(),
    };
    let loading = spinner("searching your documents", json);
    let reply = hearth.ask_documents(&args.question, &options);
    loading.finish_and_clear();
    match reply? {
        AskReply::NothingRelevant { query, message } => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "query": query, "answer": message, "nothing_relevant": true, "sources": [] })
                );
            } else {
                println!("{message}");
            }
            Ok(exit::OK)
        }
        AskReply::Answering {
            query,
            sources,
            generation,
        } => {
            interrupts.watch(generation.cancel_token());
            // A reasoning model's thinking shows as on `hearth run`, dimmed on a terminal.
            let thinking = crate::args::ThinkingArgs::default();
            let completion = print_generation(generation, json, &thinking)?;
            interrupts.clear();
            let cited = cited(&completion.text, sources.len());
            let matched = hearth.attribute(&completion.text, &sources)?;
            let grounding =
                hearth.check_new_answer(&completion.text, &sources, args.model.model.as_deref());
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "query": query,
                        "answer": completion.text,
                        "nothing_relevant": false,
                        "cited": cited,
                        "matched": matched,
                        "grounding": grounding,
                        "sources": sources,
                        "stop_reason": completion.stop_reason,
                    })
                );
            } else {
                print_sources(&sources, &cited, &matched);
                if let Some(report) = grounding.as_ref().filter(|r| r.not_found > 0) {
                    eprintln!("check: {}:", report.summary);
                    for sentence in report.flagged() {
                        eprintln!("  ✗ {}", sentence.text);
                        for finding in &sentence.findings {
                            eprintln!("      {}", finding.reason);
                        }
                    }
                }
            }
            Ok(if completion.stop_reason == StopReason::Cancelled {
                exit::INTERRUPTED
            } else {
                exit::OK
            })
        }
    }
}

fn print_sources(sources: &[Source], cited: &[usize], matched: &[Attribution]) {
    println!();
    println!(
        "Sources (the passages the model read; * cited by the model, ~ an answer sentence matches it):"
    );
    for source in sources {
        let mark = if cited.contains(&source.number) {
            "*"
        } else if matched.iter().any(|m| m.source == source.number) {
            "~"
        } else {
            " "
        };
        println!("{mark}[{}] {}", source.number, source.label);
        println!("     {}", source.retrieved.passage.path);
    }
}
