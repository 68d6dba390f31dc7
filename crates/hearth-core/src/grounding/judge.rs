//! The model judge of the thorough check: a model reads a sentence beside the source
//! sentences closest to it and answers, as JSON a schema constrains, whether they
//! support it, contradict it, or do not say it. It sees what the fact check cannot —
//! a "not" that flips the meaning, a clause nobody wrote — at the cost of a generation
//! per sentence, so it runs only in thorough mode and only on sentences the earlier
//! layers did not already flag.
//!
//! The engine comes from `Hearth::audited_engine`, so a remote judge gets the same
//! redaction, offline refusal and audit record as any other generation.

use hearth_llm::{ChatMessage, Engine, GenerationOptions};
use serde::Deserialize;
use serde_json::json;

use crate::documents::{run_all, Cancellation};

/// What the judge says of one sentence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Verdict {
    Supported,
    Contradicted,
    NotInSource,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct Judgement {
    pub verdict: Verdict,
    /// The judge's own words, one short sentence.
    #[serde(default)]
    pub reason: String,
}

/// The longest reason the schema allows: a sentence, not an essay.
const REASON_CHARS: u64 = 160;

const INSTRUCTIONS: &str = "You check whether a statement is supported by excerpts \
of a source. Judge only by the excerpts, not by what you know. Answer \"supported\" if \
the excerpts state it, \"contradicted\" if they state something that conflicts with \
it (another number, name or date, or the opposite), and \"not_in_source\" if they do \
not state it. Give the reason in one short sentence.";

fn schema() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "reason": { "type": "string", "maxLength": REASON_CHARS },
            "verdict": { "type": "string", "enum": ["supported", "contradicted", "not_in_source"] }
        },
        "required": ["reason", "verdict"],
        "additionalProperties": false
    })
}

fn prompt(claim: &str, evidence: &[&str]) -> Vec<ChatMessage> {
    let mut excerpts = String::new();
    for (i, sentence) in evidence.iter().enumerate() {
        excerpts.push_str(&format!("[{}] {}\n", i + 1, sentence.trim()));
    }
    if excerpts.is_empty() {
        excerpts.push_str("(no excerpt of the source is about this)\n");
    }
    vec![
        ChatMessage::system(INSTRUCTIONS),
        ChatMessage::user(format!(
            "Excerpts of the source:\n{excerpts}\nStatement: {}\n\nAnswer as JSON with \
             \"reason\" and \"verdict\".",
            claim.trim()
        )),
    ]
}

/// The judge's verdict on each (sentence, evidence) pair, in order; `None` where its
/// answer was not the JSON asked for (a remote model that ignores the schema).
pub(crate) fn judge_all(
    engine: &dyn Engine,
    items: &[(&str, Vec<&str>)],
    cancel: &Cancellation,
) -> crate::Result<Vec<Option<Judgement>>> {
    let options = GenerationOptions {
        max_tokens: Some(96),
        json_schema: Some(schema()),
        // A thinking model answers at once: the schema leaves no room for thoughts.
        thinking: Some(false),
        seed: Some(0),
        ..GenerationOptions::greedy()
    };
    let prompts = items
        .iter()
        .map(|(claim, evidence)| (prompt(claim, evidence), options.clone()))
        .collect();
    let window = (engine.info().parallel as usize).max(1);
    let completions = run_all(engine, prompts, window, cancel, &mut |_| {})?;
    Ok(completions.iter().map(|c| parse(&c.text)).collect())
}

/// The judgement in an answer, also when a remote model wrapped the JSON in prose or a
/// code fence.
fn parse(text: &str) -> Option<Judgement> {
    let start = text.find('{')?;
    let end = text.rfind('}')?;
    let mut judgement: Judgement = serde_json::from_str(text.get(start..=end)?).ok()?;
    judgement.reason = judgement.reason.trim().to_owned();
    Some(judgement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_from_json_even_inside_prose() {
        let plain = parse(r#"{"reason": "The excerpt says 1932.", "verdict": "contradicted"}"#);
        assert_eq!(plain.unwrap().verdict, Verdict::Contradicted);
        let fenced = parse("Sure:\n```json\n{\"verdict\":\"supported\",\"reason\":\" ok \"}\n```");
        assert_eq!(
            fenced,
            Some(Judgement {
                verdict: Verdict::Supported,
                reason: "ok".into()
            })
        );
        assert_eq!(parse("I cannot tell."), None);
        assert_eq!(parse(r#"{"verdict": "maybe"}"#), None);
    }

    #[test]
    fn the_prompt_numbers_the_excerpts_and_says_when_there_are_none() {
        let messages = prompt("It opened in 1931.", &["It opened in 1932.", "It is red."]);
        let user = &messages[1].content;
        assert!(
            user.contains("[1] It opened in 1932.\n[2] It is red.\n"),
            "{user}"
        );
        assert!(user.contains("Statement: It opened in 1931."));
        let empty = prompt("Zebras graze.", &[]);
        assert!(empty[1].content.contains("no excerpt"));
    }

    #[test]
    fn the_schema_allows_only_the_three_verdicts() {
        let validator = jsonschema::validator_for(&schema()).unwrap();
        assert!(validator.is_valid(&json!({"reason": "x", "verdict": "not_in_source"})));
        assert!(!validator.is_valid(&json!({"reason": "x", "verdict": "unsure"})));
        assert!(!validator.is_valid(&json!({"verdict": "supported"})));
    }
}
