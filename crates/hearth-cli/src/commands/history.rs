//! `hearth history ...`: saved conversations on the command line.

use std::io::Write;

use anyhow::Context;
use hearth_core::Hearth;
use hearth_store::{
    format_utc, ConversationFilter, ConversationId, ExportScope, ImportOptions, SearchQuery,
};

use crate::args::{ExportFormat, HistoryCommand};
use crate::exit;

pub fn run(command: HistoryCommand, json: bool) -> anyhow::Result<i32> {
    let hearth = Hearth::open_default()?;
    let history = hearth.history();
    match command {
        HistoryCommand::List { all } => {
            let filter = ConversationFilter {
                archived: if all { None } else { Some(false) },
                ..Default::default()
            };
            let conversations = history.conversations(&filter)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&conversations)?);
            } else if conversations.is_empty() {
                eprintln!("No conversations yet; start one with `hearth chat`.");
            } else {
                for c in &conversations {
                    let pin = if c.pinned { "📌" } else { "  " };
                    let title = if c.title.is_empty() {
                        "(untitled)"
                    } else {
                        c.title.as_str()
                    };
                    println!("{pin} {}  {}  {}", c.id, format_utc(c.updated_at), title);
                }
            }
        }
        HistoryCommand::Show { id } => {
            let id = ConversationId::from(id);
            let conversation = history.conversation(&id)?;
            let branch = history.active_branch(&id)?;
            let summaries = history.context_summaries(&id)?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({
                        "conversation": conversation,
                        "messages": branch,
                        "summaries": summaries,
                    })
                );
            } else {
                println!(
                    "# {}",
                    if conversation.title.is_empty() {
                        "(untitled)"
                    } else {
                        &conversation.title
                    }
                );
                for message in &branch {
                    if let Some(thinking) = message.reasoning.as_deref() {
                        println!("\n[{} · thinking]\n{}", message.role, thinking.trim());
                    }
                    println!(
                        "\n[{} · {}]\n{}",
                        message.role, message.state, message.content
                    );
                    // Shown where it was cut, so the reader sees what the model saw
                    // in place of the messages above.
                    for summary in summaries
                        .iter()
                        .filter(|s| s.through_message_id == message.id)
                    {
                        println!("\n[summary of earlier messages]\n{}", summary.content);
                    }
                }
            }
        }
        HistoryCommand::Search {
            query,
            limit,
            thinking,
        } => {
            let hits = hearth.search(SearchQuery {
                limit,
                thinking,
                ..SearchQuery::text(query)
            })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&hits)?);
            } else if hits.is_empty() {
                eprintln!("No matches.");
            } else {
                for hit in &hits {
                    let snippet: String = hit
                        .segments
                        .iter()
                        .map(|s| {
                            if s.hit {
                                format!("[{}]", s.text)
                            } else {
                                s.text.clone()
                            }
                        })
                        .collect();
                    println!(
                        "{}  {}  {}: {}",
                        hit.conversation_id,
                        format_utc(hit.created_at),
                        hit.role,
                        snippet.replace('\n', " ")
                    );
                }
            }
        }
        HistoryCommand::Export { id, format, output } => {
            let scope = match id {
                Some(id) => ExportScope::Conversation(ConversationId::from(id)),
                None => ExportScope::All,
            };
            let text = match format {
                ExportFormat::Markdown => history.export_markdown(&scope)?,
                ExportFormat::Json => history.export_json(&scope)?.to_json()?,
            };
            match output {
                Some(path) => {
                    hearth_core::library::write_atomically(&path, text.as_bytes())?;
                    eprintln!("exported to {}", path.display());
                }
                None => std::io::stdout().write_all(text.as_bytes())?,
            }
        }
        HistoryCommand::Import { file } => {
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let report = history.import_json(&bytes, &ImportOptions::default())?;
            if json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                let mut said = format!(
                    "imported {} conversation(s), {} message(s)",
                    report.conversations.len(),
                    report.messages
                );
                for (n, what) in [
                    (report.workflows_added, "saved workflow(s)"),
                    (report.prompts_added, "saved prompt(s)"),
                    (report.workflow_runs_added, "workflow run(s)"),
                ] {
                    if n > 0 {
                        said.push_str(&format!(", {n} {what}"));
                    }
                }
                eprintln!("{said}");
            }
        }
        HistoryCommand::Rename { id, title } => {
            history.rename(&ConversationId::from(id), &title)?;
        }
        HistoryCommand::Rm { id } => {
            hearth.delete_conversation(&ConversationId::from(id))?;
            eprintln!("deleted");
        }
    }
    Ok(exit::OK)
}
