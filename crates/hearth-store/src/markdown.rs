//! The Markdown export: a conversation as a document a person can read, print or paste.
//!
//! It shows the branch the user is looking at (the active branch) and says how many
//! messages on other branches it leaves out; the JSON export is the complete copy.
//! Message text is written as it is, since answers are usually Markdown already. A
//! reasoning model's thinking comes before its answer in a folded "Thinking" section
//! (`<details>`, which Markdown viewers show closed).

use std::fmt::Write as _;

use rusqlite::Connection;

use crate::conversations::load_conversation;
use crate::error::Result;
use crate::messages::active_branch_of;
use crate::personas::load_persona;
use crate::store::Store;
use crate::types::{Conversation, ConversationId, Message, MessageKind, MessageState, Role};
use crate::ExportScope;

impl Store {
    /// Exports as Markdown: one conversation, or all of them oldest first separated by
    /// horizontal rules. Only active branches are included, and the text says so.
    pub fn export_markdown(&self, scope: &ExportScope) -> Result<String> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let ids: Vec<ConversationId> = match scope {
            ExportScope::Conversation(id) => vec![id.clone()],
            ExportScope::All => tx
                .prepare("SELECT id FROM conversations ORDER BY created_at, id")?
                .query_map([], |row| row.get(0))?
                .collect::<rusqlite::Result<_>>()?,
        };
        let mut out = String::new();
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                out.push_str("\n---\n\n");
            }
            render_conversation(&tx, id, &mut out)?;
        }
        Ok(out)
    }
}

fn render_conversation(conn: &Connection, id: &ConversationId, out: &mut String) -> Result<()> {
    let c = load_conversation(conn, id)?;
    let branch = active_branch_of(conn, id)?;
    let total: i64 = conn.query_row(
        "SELECT count(*) FROM messages WHERE conversation_id = ?1",
        [id],
        |row| row.get(0),
    )?;
    let persona = match &c.persona_id {
        Some(persona) => Some(load_persona(conn, persona)?.name),
        None => None,
    };
    render_header(&c, persona.as_deref(), out);
    let hidden = usize::try_from(total)
        .unwrap_or(0)
        .saturating_sub(branch.len());
    if hidden > 0 {
        let what = if hidden == 1 {
            "1 message on another branch (an earlier version of an edited question or a \
             regenerated answer) is"
                .to_owned()
        } else {
            format!(
                "{hidden} messages on other branches (earlier versions of edited questions and \
                 regenerated answers) are"
            )
        };
        let _ = writeln!(
            out,
            "> This file shows the branch that was open in Hearth. {what} not included; export \
             as JSON to keep every branch.\n"
        );
    }
    if let Some(prompt) = c.system_prompt.as_deref().filter(|p| !p.trim().is_empty()) {
        let _ = writeln!(out, "## System prompt\n\n{}\n", prompt.trim_end());
    }
    for message in &branch {
        render_message(message, out);
    }
    Ok(())
}

fn render_header(c: &Conversation, persona: Option<&str>, out: &mut String) {
    let title = if c.title.trim().is_empty() {
        "Untitled conversation"
    } else {
        c.title.trim()
    };
    // A title is one line; a heading must be too.
    let title = title.replace(['\n', '\r'], " ");
    let _ = writeln!(out, "# {title}\n");
    let _ = writeln!(out, "- Created: {}", format_utc(c.created_at));
    let _ = writeln!(out, "- Updated: {}", format_utc(c.updated_at));
    if let Some(model) = &c.model {
        let _ = writeln!(out, "- Model: {model}");
    }
    if let Some(persona) = persona {
        let _ = writeln!(out, "- Persona: {persona}");
    }
    if !c.tags.is_empty() {
        let _ = writeln!(out, "- Tags: {}", c.tags.join(", "));
    }
    if c.settings.as_object().is_some_and(|o| !o.is_empty()) {
        let _ = writeln!(out, "- Settings: `{}`", c.settings);
    }
    if c.pinned {
        let _ = writeln!(out, "- Pinned");
    }
    if c.archived {
        let _ = writeln!(out, "- Archived");
    }
    let _ = writeln!(out, "- Conversation id: {}", c.id);
    out.push('\n');
}

fn render_message(m: &Message, out: &mut String) {
    let heading = match (m.kind, m.role) {
        (MessageKind::Summary, _) => "Summary of earlier messages",
        (MessageKind::Message, Role::System) => "System",
        (MessageKind::Message, Role::User) => "User",
        (MessageKind::Message, Role::Assistant) => "Assistant",
    };
    match (&m.model, m.role) {
        (Some(model), Role::Assistant) => {
            let _ = writeln!(out, "## {heading} ({model})\n");
        }
        _ => {
            let _ = writeln!(out, "## {heading}\n");
        }
    }
    let _ = writeln!(out, "*{}*\n", format_utc(m.created_at));
    if let Some(thinking) = m.reasoning.as_deref().filter(|t| !t.trim().is_empty()) {
        render_thinking(thinking, m.reasoning_ms, out);
    }
    for call in m.tool_calls.iter().flatten() {
        render_tool_call(call, out);
    }
    if !m.content.trim().is_empty() {
        let _ = writeln!(out, "{}\n", m.content.trim_end());
    }
    let note = match m.state {
        MessageState::Done => None,
        MessageState::Streaming => {
            Some("Still being written when this file was exported.".to_owned())
        }
        MessageState::Stopped => Some("Stopped before the end.".to_owned()),
        MessageState::Interrupted => {
            Some("Interrupted: Hearth closed before this answer was finished.".to_owned())
        }
        MessageState::Failed => Some(match &m.error {
            Some(error) => format!("Failed: {}", error.replace(['\n', '\r'], " ")),
            None => "Failed.".to_owned(),
        }),
    };
    if let Some(note) = note {
        let _ = writeln!(out, "> {note}\n");
    }
}

/// The thinking, folded. Its text is the model's: a `</details>` in it would end the
/// fold early, so that one tag is written as text.
fn render_thinking(thinking: &str, ms: Option<u32>, out: &mut String) {
    let summary = match ms {
        Some(ms) => format!("Thinking ({})", thought_for(ms)),
        None => "Thinking".to_owned(),
    };
    let text = escape_details_end(thinking.trim());
    let _ = writeln!(
        out,
        "<details>\n<summary>{summary}</summary>\n\n{text}\n\n</details>\n"
    );
}

/// A tool call: the tool and what was decided on one line, the arguments and the
/// result folded. Both are the model's and the tool's text, so `</details>` is escaped.
fn render_tool_call(call: &crate::types::ToolCallRecord, out: &mut String) {
    use crate::types::ToolCallStatus;
    let status = match call.status {
        ToolCallStatus::Pending => "waiting for approval",
        ToolCallStatus::Running => "running",
        ToolCallStatus::Done => "done",
        ToolCallStatus::Failed => "failed",
        ToolCallStatus::Declined => "declined",
    };
    let arguments = serde_json::to_string_pretty(&call.arguments).unwrap_or_default();
    let _ = writeln!(
        out,
        "<details>\n<summary>Tool call: {} · {} ({status})</summary>\n\n```json\n{}\n```\n",
        call.server.replace(['\n', '\r', '<'], " "),
        call.tool.replace(['\n', '\r', '<'], " "),
        escape_details_end(&arguments)
    );
    if let Some(result) = call.result.as_deref() {
        let _ = writeln!(out, "{}\n", escape_details_end(result.trim()));
    }
    let _ = writeln!(out, "</details>\n");
}

/// "12 s", "1 min 5 s": how long a model thought.
pub fn thought_for(ms: u32) -> String {
    let secs = (ms + 500) / 1000;
    if secs < 60 {
        format!("{secs} s")
    } else {
        format!("{} min {} s", secs / 60, secs % 60)
    }
}

fn escape_details_end(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.to_ascii_lowercase().find("</details") {
        out.push_str(&rest[..at]);
        out.push_str("&lt;/details");
        rest = &rest[at + "</details".len()..];
    }
    out.push_str(rest);
    out
}

/// `2024-05-01 14:03 UTC` for milliseconds since the epoch. UTC because the file may be
/// read anywhere; the store has no notion of the user's time zone.
pub fn format_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Howard Hinnant's days-to-civil conversion (proleptic Gregorian calendar).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinking_is_folded_and_cannot_close_its_fold() {
        let mut out = String::new();
        render_thinking(
            "Let me see.\nA </DETAILS> tag, then </details>.",
            Some(12_400),
            &mut out,
        );
        assert_eq!(
            out,
            "<details>\n<summary>Thinking (12 s)</summary>\n\nLet me see.\nA &lt;/details> tag, then &lt;/details>.\n\n</details>\n\n"
        );
        assert_eq!(thought_for(65_000), "1 min 5 s");
        assert_eq!(thought_for(400), "0 s");
    }

    #[test]
    fn dates_are_formatted_in_utc() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(1_714_572_180_000), "2024-05-01 14:03 UTC");
        assert_eq!(format_utc(-60_000), "1969-12-31 23:59 UTC");
        assert_eq!(format_utc(253_402_300_799_999), "9999-12-31 23:59 UTC");
    }
}
