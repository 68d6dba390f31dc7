//! Generating data: N records that follow a JSON schema (synthetic test data, or
//! question/answer pairs drawn from a document for evaluation).
//!
//! Each record is one constrained generation (the schema becomes a grammar locally, a
//! `response_format` remotely) with its own seed, so the same request gives the same
//! records and a different seed gives others. What comes back is validated against the
//! schema and compared with what is already kept (whitespace, case and key order
//! ignored); invalid and duplicate records are counted and replaced, up to a bounded
//! number of tries, so a model that keeps repeating itself ends with fewer records and a
//! warning rather than looping.

use std::collections::HashSet;

use hearth_llm::{ChatMessage, Engine, GenerationOptions};
use hearth_store::AuditPurpose;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::audit::AuditContext;
use crate::documents::{run_all, Cancellation};
use crate::error::{CoreError, Result};
use crate::hearth::Hearth;
use crate::workflows::check_schema;

/// The most records one request may ask for.
pub const MAX_RECORDS: usize = 10_000;

/// What to generate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GenerateRequest {
    /// A JSON Schema for one record (an object).
    pub schema: Value,
    pub count: usize,
    /// What the records are ("customers of a bakery in Lyon").
    #[serde(default)]
    pub instructions: Option<String>,
    /// A document to draw the records from; each record sees one part of it, in turn.
    #[serde(default)]
    pub source: Option<String>,
    /// The first record's seed; record `i` uses `seed + i`. Random when absent.
    #[serde(default)]
    pub seed: Option<u32>,
    /// 0.9 when absent: variety matters more than the likeliest record.
    #[serde(default)]
    pub temperature: Option<f32>,
    #[serde(default)]
    pub max_tokens: Option<u32>,
}

/// The records, and what was thrown away on the way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GeneratedData {
    pub records: Vec<Value>,
    /// Answers that were not JSON or did not follow the schema.
    pub invalid: usize,
    /// Records equal to one already kept.
    pub duplicates: usize,
    /// Generations made in all.
    pub attempts: usize,
    pub seed: u32,
    /// Stopped before all records were made; `records` holds those made before.
    #[serde(default)]
    pub stopped: bool,
    pub warnings: Vec<String>,
}

/// How far a generate job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerateProgress {
    pub kept: usize,
    pub wanted: usize,
    pub attempts: usize,
}

impl GenerateRequest {
    pub fn check(&self) -> Result<()> {
        let invalid = |reason: String| CoreError::GenerateFailed { reason };
        check_schema(&self.schema).map_err(invalid)?;
        if !(1..=MAX_RECORDS).contains(&self.count) {
            return Err(invalid(format!("ask for 1 to {MAX_RECORDS} records")));
        }
        if let Some(t) = self.temperature {
            if !(0.0..=2.0).contains(&t) {
                return Err(invalid(format!("temperature {t} is outside 0 to 2")));
            }
        }
        Ok(())
    }
}

impl Hearth {
    /// Generates `request.count` records with a model (the default when `None`).
    pub fn generate_records(
        &self,
        model: Option<&str>,
        request: &GenerateRequest,
        progress: &mut dyn FnMut(GenerateProgress),
        cancel: &Cancellation,
    ) -> Result<GeneratedData> {
        request.check()?;
        let engine = self.audited_engine(model, AuditContext::new(AuditPurpose::Generate, None))?;
        generate(engine.as_ref(), request, progress, cancel)
    }
}

/// Tries per wanted record before giving up on variety.
const TRIES_PER_RECORD: usize = 3;

pub(crate) fn generate(
    engine: &dyn Engine,
    request: &GenerateRequest,
    progress: &mut dyn FnMut(GenerateProgress),
    cancel: &Cancellation,
) -> Result<GeneratedData> {
    request.check()?;
    let validator =
        jsonschema::validator_for(&request.schema).map_err(|e| CoreError::GenerateFailed {
            reason: format!("the schema is not valid JSON Schema: {e}"),
        })?;
    let info = engine.info();
    let seed = request.seed.unwrap_or_else(rand_seed);
    let parts = source_parts(request.source.as_deref(), info.context_length as usize);
    let window = (info.parallel as usize).max(1);
    let budget = request.count * TRIES_PER_RECORD + 2;
    let mut data = GeneratedData {
        records: Vec::with_capacity(request.count),
        invalid: 0,
        duplicates: 0,
        attempts: 0,
        seed,
        stopped: false,
        warnings: Vec::new(),
    };
    let mut seen = HashSet::new();
    while data.records.len() < request.count && data.attempts < budget {
        if cancel.is_cancelled() {
            data.stopped = true;
            break;
        }
        let batch = (request.count - data.records.len())
            .min(window)
            .min(budget - data.attempts);
        let prompts = (0..batch)
            .map(|i| {
                let attempt = data.attempts + i;
                let messages = record_prompt(request, &data.records, &parts, attempt);
                let options = GenerationOptions {
                    temperature: request.temperature.unwrap_or(0.9),
                    seed: Some(seed.wrapping_add(attempt as u32)),
                    max_tokens: Some(request.max_tokens.unwrap_or(512)),
                    json_schema: Some(request.schema.clone()),
                    ..GenerationOptions::default()
                };
                (messages, options)
            })
            .collect();
        let completions = match run_all(engine, prompts, window, cancel, &mut |_| {}) {
            Ok(completions) => completions,
            // Stopped: the records kept so far are the result.
            Err(CoreError::Cancelled) => {
                data.stopped = true;
                break;
            }
            Err(error) => return Err(error),
        };
        for completion in completions {
            data.attempts += 1;
            let record = match serde_json::from_str::<Value>(completion.text.trim()) {
                Ok(record) if validator.is_valid(&record) => record,
                _ => {
                    data.invalid += 1;
                    continue;
                }
            };
            if data.records.len() < request.count {
                if seen.insert(fingerprint(&record)) {
                    data.records.push(record);
                } else {
                    data.duplicates += 1;
                }
            }
        }
        progress(GenerateProgress {
            kept: data.records.len(),
            wanted: request.count,
            attempts: data.attempts,
        });
    }
    if data.stopped {
        data.warnings.push(format!(
            "stopped after {} of {} records",
            data.records.len(),
            request.count
        ));
    } else if data.records.len() < request.count {
        data.warnings.push(format!(
            "only {} of {} records after {} tries ({} invalid, {} duplicates); try a higher \
             temperature, broader instructions, or a larger model",
            data.records.len(),
            request.count,
            data.attempts,
            data.invalid,
            data.duplicates
        ));
    }
    Ok(data)
}

/// The same record however it is spaced, cased or ordered (serde_json's maps are
/// sorted, so serializing orders the keys).
fn fingerprint(record: &Value) -> String {
    fn lower(value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(s.trim().to_lowercase()),
            Value::Array(items) => Value::Array(items.iter().map(lower).collect()),
            Value::Object(map) => {
                Value::Object(map.iter().map(|(k, v)| (k.clone(), lower(v))).collect())
            }
            other => other.clone(),
        }
    }
    lower(record).to_string()
}

fn rand_seed() -> u32 {
    let mut bytes = [0u8; 4];
    // A seed only needs to differ between runs; the clock serves if randomness fails.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        return nanos;
    }
    u32::from_le_bytes(bytes)
}

/// The source cut into parts that fit the context with room for the instructions and
/// the record (about three characters a token, erring short).
fn source_parts(source: Option<&str>, context_length: usize) -> Vec<String> {
    let Some(source) = source.map(str::trim).filter(|s| !s.is_empty()) else {
        return Vec::new();
    };
    let room_tokens = context_length.saturating_sub(900).max(256);
    let part_chars = room_tokens * 3;
    let mut parts = Vec::new();
    let mut current = String::new();
    for paragraph in source.split("\n\n") {
        if !current.is_empty() && current.len() + paragraph.len() > part_chars {
            parts.push(std::mem::take(&mut current));
        }
        let mut rest = paragraph;
        while rest.len() > part_chars {
            let mut cut = part_chars;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            parts.push(rest[..cut].to_owned());
            rest = &rest[cut..];
        }
        if !current.is_empty() {
            current.push_str("\n\n");
        }
        current.push_str(rest);
    }
    if !current.trim().is_empty() {
        parts.push(current);
    }
    parts
}

/// The prompt for attempt `attempt`: what to make, a few records already kept (so the
/// model can tell what "different" means), and the part of the source it draws from.
fn record_prompt(
    request: &GenerateRequest,
    kept: &[Value],
    parts: &[String],
    attempt: usize,
) -> Vec<ChatMessage> {
    let mut text = String::new();
    if let Some(part) = (!parts.is_empty()).then(|| &parts[attempt % parts.len()]) {
        text.push_str("Source text:\n\"\"\"\n");
        text.push_str(part);
        text.push_str("\n\"\"\"\n\nUsing only the source text above, write one record.");
    } else {
        text.push_str("Write one realistic, specific record.");
    }
    if let Some(instructions) = request
        .instructions
        .as_deref()
        .filter(|i| !i.trim().is_empty())
    {
        text.push_str(" The records are: ");
        text.push_str(instructions.trim());
    }
    text.push_str(&format!(
        "\nThis is record {} of {}; make it clearly different from the others.",
        kept.len() + 1,
        request.count
    ));
    let recent: Vec<String> = kept.iter().rev().take(3).map(Value::to_string).collect();
    if !recent.is_empty() {
        text.push_str("\nAlready written (do not repeat):\n");
        for record in recent {
            let short: String = record.chars().take(200).collect();
            text.push_str(&short);
            text.push('\n');
        }
    }
    text.push_str("\nAnswer with the JSON object only.");
    vec![
        ChatMessage::system("You write varied, realistic data records as JSON."),
        ChatMessage::user(text),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_llm::fake::FakeEngine;
    use serde_json::json;

    fn scripted(answers: &[&str]) -> FakeEngine {
        let engine = FakeEngine::new();
        for answer in answers {
            engine.reply_with([*answer]);
        }
        engine
    }

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
            "required": ["name", "age"]
        })
    }

    #[test]
    fn invalid_and_duplicate_records_are_replaced_and_counted() {
        let engine = scripted(&[
            r#"{"name": "Ana", "age": 31}"#,
            "not json",
            r#"{"age": 31, "name": " ana "}"#,
            r#"{"name": "Bo", "age": -4}"#,
            r#"{"name": "Bo", "age": 40}"#,
        ]);
        let request = GenerateRequest {
            schema: schema(),
            count: 2,
            instructions: Some("people".into()),
            source: None,
            seed: Some(7),
            temperature: None,
            max_tokens: None,
        };
        let mut seen = Vec::new();
        let data = generate(
            &engine,
            &request,
            &mut |p| seen.push(p),
            &Cancellation::new(),
        )
        .unwrap();
        assert_eq!(
            data.records,
            [
                json!({"name": "Ana", "age": 31}),
                json!({"name": "Bo", "age": 40})
            ]
        );
        assert_eq!((data.invalid, data.duplicates, data.attempts), (2, 1, 5));
        assert_eq!(seen.last().map(|p| p.kept), Some(2));
        assert!(data.warnings.is_empty());
    }

    #[test]
    fn a_model_that_repeats_itself_ends_with_a_warning() {
        let engine = scripted(&[r#"{"name": "A", "age": 1}"#; 50]);
        let request = GenerateRequest {
            schema: schema(),
            count: 3,
            instructions: None,
            source: None,
            seed: Some(1),
            temperature: None,
            max_tokens: None,
        };
        let data = generate(&engine, &request, &mut |_| {}, &Cancellation::new()).unwrap();
        assert_eq!(data.records.len(), 1);
        assert_eq!(data.attempts, 3 * TRIES_PER_RECORD + 2);
        assert!(
            data.warnings[0].contains("only 1 of 3"),
            "{:?}",
            data.warnings
        );
    }

    #[test]
    fn a_stopped_job_keeps_the_records_made_before() {
        // The fake decodes four at once: the first batch is four records.
        let engine = scripted(&[
            r#"{"name": "Ana", "age": 31}"#,
            r#"{"name": "Bo", "age": 4}"#,
            r#"{"name": "Cy", "age": 50}"#,
            r#"{"name": "Di", "age": 9}"#,
        ]);
        let request = GenerateRequest {
            schema: schema(),
            count: 5,
            instructions: None,
            source: None,
            seed: Some(2),
            temperature: None,
            max_tokens: None,
        };
        let cancel = Cancellation::new();
        let stopper = cancel.clone();
        let data = generate(
            &engine,
            &request,
            &mut |p| {
                if p.kept >= 4 {
                    stopper.cancel();
                }
            },
            &cancel,
        )
        .unwrap();
        assert!(data.stopped);
        assert_eq!(data.records.len(), 4);
        assert_eq!(data.warnings, ["stopped after 4 of 5 records"]);
    }

    #[test]
    fn the_source_is_cut_into_parts_that_fit() {
        let source = "para one\n\n".repeat(400);
        let parts = source_parts(Some(&source), 1024);
        assert!(parts.len() > 1);
        assert!(parts.iter().all(|p| p.len() <= 256 * 3 + 10));
        assert!(source_parts(Some("  "), 1024).is_empty());
    }
}
