//! `hearth history ...`: saved conversations on the command line.

use std::io::Write;

use anyhow::Context;
use hearth_core::Hearth;
use hearth_store::{ConversationFilter, ConversationId, ExportScope, ImportOptions, SearchQuery};

use crate::args::{ExportFormat, HistoryCommand};
use crate::exit;

pub fn run(command: HistoryCommand, json: bool) -> anyhow::Result<i32> {
    let hearth = Hearth::open_default()?;
    let store = hearth.store();
    match command {
        HistoryCommand::List { all } => {
            let filter = ConversationFilter {
                archived: if all { None } else { Some(false) },
                ..Default::default()
            };
            let conversations = store.list_conversations(&filter)?;
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
                    println!("{pin} {}  {}  {}", c.id, date(c.updated_at), title);
                }
            }
        }
        HistoryCommand::Show { id } => {
            let id = ConversationId::from(id);
            let conversation = store.conversation(&id)?;
            let branch = store.active_branch(&id)?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "conversation": conversation, "messages": branch })
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
                    println!(
                        "\n[{} · {}]\n{}",
                        message.role, message.state, message.content
                    );
                }
            }
        }
        HistoryCommand::Search { query, limit } => {
            let hits = store.search(&SearchQuery {
                limit,
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
                        date(hit.created_at),
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
                ExportFormat::Markdown => store.export_markdown(&scope)?,
                ExportFormat::Json => store.export_json(&scope)?.to_json()?,
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
            let report = store.import_json(&bytes, &ImportOptions::default())?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "conversations": report.conversations, "messages": report.messages })
                );
            } else {
                eprintln!(
                    "imported {} conversation(s), {} message(s)",
                    report.conversations.len(),
                    report.messages
                );
            }
        }
        HistoryCommand::Rename { id, title } => {
            store.rename(&ConversationId::from(id), &title)?;
        }
        HistoryCommand::Rm { id } => {
            store.delete_conversation(&ConversationId::from(id))?;
            eprintln!("deleted");
        }
    }
    Ok(exit::OK)
}

/// `YYYY-MM-DD HH:MM` in UTC from milliseconds since the epoch.
fn date(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn dates() {
        assert_eq!(super::date(0), "1970-01-01 00:00");
        assert_eq!(super::date(1_795_000_000_000), "2026-11-18 11:06");
    }
}
