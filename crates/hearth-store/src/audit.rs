//! The audit log: one record per generation, saying which model (and which exact file)
//! produced what, with which parameters, how many tokens and how long it took.
//!
//! Privacy by construction: a record holds SHA-256 hashes of the prompt and the output,
//! never their text. Whoever holds the conversation can prove that a record belongs to
//! it (hash it again and compare); whoever holds only the log learns nothing of what was
//! said. That is also why records have no foreign key to conversations: they outlive a
//! deleted conversation without keeping any of its words.

use std::collections::BTreeMap;
use std::io::Write;

use rusqlite::{params, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::limits::{self, MAX_SETTINGS_BYTES, MAX_SHORT_BYTES, MAX_TEXT_BYTES};
use crate::store::{now_ms, Store};

/// What a generation was for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditPurpose {
    /// The answer to a message in a conversation.
    Answer,
    /// A conversation's automatic title.
    Title,
    /// A summary of older turns, written to fit the context.
    Summary,
    /// A one-off question (`hearth run`).
    Run,
    /// A part of a document summary (map or reduce step).
    DocumentSummary,
    /// A part of a translation.
    Translation,
    /// A request another program sent to the OpenAI-compatible API (`/v1`).
    Api,
    /// An answer from a collection's passages, with citations.
    DocumentAnswer,
    /// A follow-up question rewritten to stand alone before retrieval.
    QueryRewrite,
    /// A step of a workflow.
    Workflow,
    /// A record of a "generate data" job.
    Generate,
    /// A call to an MCP server's tool (the model asked, the user approved, or the user
    /// called it from the command line).
    ToolCall,
    /// The grounding check's model judge: whether the sources support a sentence.
    GroundingCheck,
    /// Anything else made through the engine.
    #[default]
    Other,
}

impl AuditPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditPurpose::Answer => "answer",
            AuditPurpose::Title => "title",
            AuditPurpose::Summary => "summary",
            AuditPurpose::Run => "run",
            AuditPurpose::DocumentSummary => "document_summary",
            AuditPurpose::Translation => "translation",
            AuditPurpose::Api => "api",
            AuditPurpose::DocumentAnswer => "document_answer",
            AuditPurpose::QueryRewrite => "query_rewrite",
            AuditPurpose::Workflow => "workflow",
            AuditPurpose::Generate => "generate",
            AuditPurpose::ToolCall => "tool_call",
            AuditPurpose::GroundingCheck => "grounding_check",
            AuditPurpose::Other => "other",
        }
    }

    /// The purpose a name stands for; unknown names read as `other`.
    pub fn parse(text: &str) -> Self {
        match text {
            "answer" => AuditPurpose::Answer,
            "title" => AuditPurpose::Title,
            "summary" => AuditPurpose::Summary,
            "run" => AuditPurpose::Run,
            "document_summary" => AuditPurpose::DocumentSummary,
            "translation" => AuditPurpose::Translation,
            "api" => AuditPurpose::Api,
            "document_answer" => AuditPurpose::DocumentAnswer,
            "query_rewrite" => AuditPurpose::QueryRewrite,
            "workflow" => AuditPurpose::Workflow,
            "generate" => AuditPurpose::Generate,
            "tool_call" => AuditPurpose::ToolCall,
            "grounding_check" => AuditPurpose::GroundingCheck,
            // The CHECK constraint admits nothing else; a hand-edited row reads as other.
            _ => AuditPurpose::Other,
        }
    }
}

/// One generation to record. Hashes are lowercase hex SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewAuditRecord {
    /// The model's name as the engine reports it.
    pub model: String,
    /// SHA-256 of the model file; `None` while it is still being computed.
    pub model_sha256: Option<String>,
    /// Where the model ran: "local", or the remote provider's name.
    pub provider: String,
    /// The generation options, as JSON.
    pub parameters: serde_json::Value,
    pub prompt_tokens: Option<i64>,
    pub completion_tokens: Option<i64>,
    pub prompt_ms: Option<f64>,
    pub generation_ms: Option<f64>,
    /// Why generation ended (for a generation that finished).
    pub stop_reason: Option<String>,
    /// What went wrong (for a generation that failed).
    pub error: Option<String>,
    pub prompt_sha256: String,
    pub output_sha256: String,
    pub conversation_id: Option<String>,
    pub purpose: AuditPurpose,
    /// For a remote provider: values taken out before sending, by kind
    /// (`{"email": 2, "name": 1}`); empty when nothing was redacted.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub redactions: BTreeMap<String, u64>,
    /// For a remote provider: bytes of text sent to it (after redaction); `None` when
    /// the model ran on this computer and nothing left it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_bytes: Option<u64>,
    /// The LoRA adapter the model ran with ("file.gguf@0.8"), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter: Option<String>,
}

/// Which audit records to read; the default is all of them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditFilter {
    /// Only records made at or after this time (milliseconds since the Unix epoch).
    pub since: Option<i64>,
    /// Only this provider's ("local" for this computer).
    pub provider: Option<String>,
    /// Only generations whose text left the machine.
    pub remote_only: bool,
    pub purpose: Option<AuditPurpose>,
}

/// A stored audit record: the recorded generation plus its id and time. Reads of the
/// generation's fields go through `Deref`, and the JSON shape is flat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: i64,
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    #[serde(flatten)]
    pub generation: NewAuditRecord,
}

impl std::ops::Deref for AuditRecord {
    type Target = NewAuditRecord;
    fn deref(&self) -> &NewAuditRecord {
        &self.generation
    }
}

const COLUMNS: &str = "id, created_at, model, model_sha256, provider, parameters, prompt_tokens, \
     completion_tokens, prompt_ms, generation_ms, stop_reason, error, prompt_sha256, \
     output_sha256, conversation_id, purpose, redactions, sent_bytes, adapter";

fn record_from_row(row: &Row<'_>) -> rusqlite::Result<AuditRecord> {
    let parameters: String = row.get(5)?;
    let purpose: String = row.get(15)?;
    let redactions: Option<String> = row.get(16)?;
    let sent_bytes: Option<i64> = row.get(17)?;
    Ok(AuditRecord {
        id: row.get(0)?,
        created_at: row.get(1)?,
        generation: NewAuditRecord {
            model: row.get(2)?,
            model_sha256: row.get(3)?,
            provider: row.get(4)?,
            // The column is CHECKed to be valid JSON; keep the text if that ever fails.
            parameters: serde_json::from_str(&parameters)
                .unwrap_or(serde_json::Value::String(parameters)),
            prompt_tokens: row.get(6)?,
            completion_tokens: row.get(7)?,
            prompt_ms: row.get(8)?,
            generation_ms: row.get(9)?,
            stop_reason: row.get(10)?,
            error: row.get(11)?,
            prompt_sha256: row.get(12)?,
            output_sha256: row.get(13)?,
            conversation_id: row.get(14)?,
            purpose: AuditPurpose::parse(&purpose),
            redactions: redactions
                .and_then(|r| serde_json::from_str(&r).ok())
                .unwrap_or_default(),
            sent_bytes: sent_bytes.and_then(|b| u64::try_from(b).ok()),
            adapter: row.get(18)?,
        },
    })
}

/// How fast a model has been on this machine, from its recorded generations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MeasuredSpeed {
    pub model: String,
    pub provider: String,
    /// Finished generations measured.
    pub generations: u64,
    /// Answer tokens per second while generating.
    pub generation_tokens_per_second: f64,
    /// Prompt tokens per second while reading the prompt (0 when never measured).
    pub prompt_tokens_per_second: f64,
}

impl Store {
    /// Each model's speed over its last `recent` finished generations (without an
    /// error, with tokens and times), by model name and provider.
    pub fn measured_speeds(&self, recent: usize) -> Result<Vec<MeasuredSpeed>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT model, provider, count(*), sum(completion_tokens), sum(generation_ms),                     sum(prompt_tokens), sum(prompt_ms) FROM (                SELECT model, provider, completion_tokens, generation_ms, prompt_tokens, prompt_ms,                       row_number() OVER (PARTITION BY model, provider ORDER BY id DESC) AS n                FROM audit_log WHERE error IS NULL AND completion_tokens > 0 AND generation_ms > 0)              WHERE n <= ?1 GROUP BY model, provider ORDER BY model, provider",
        )?;
        let speeds = stmt
            .query_map([recent.max(1) as i64], |row| {
                let tokens: f64 = row.get(3)?;
                let ms: f64 = row.get(4)?;
                let prompt_tokens: Option<f64> = row.get(5)?;
                let prompt_ms: Option<f64> = row.get(6)?;
                Ok(MeasuredSpeed {
                    model: row.get(0)?,
                    provider: row.get(1)?,
                    generations: row.get::<_, i64>(2)? as u64,
                    generation_tokens_per_second: tokens / (ms / 1000.0),
                    prompt_tokens_per_second: match (prompt_tokens, prompt_ms) {
                        (Some(t), Some(ms)) if ms > 0.0 => t / (ms / 1000.0),
                        _ => 0.0,
                    },
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(speeds)
    }

    /// Records one generation and returns the record's id.
    pub fn add_audit_record(&self, record: &NewAuditRecord) -> Result<i64> {
        limits::check_len("model name", &record.model, MAX_SHORT_BYTES)?;
        limits::check_len("provider", &record.provider, MAX_SHORT_BYTES)?;
        limits::check_opt_len(
            "model hash",
            record.model_sha256.as_deref(),
            MAX_SHORT_BYTES,
        )?;
        limits::check_len("prompt hash", &record.prompt_sha256, MAX_SHORT_BYTES)?;
        limits::check_len("output hash", &record.output_sha256, MAX_SHORT_BYTES)?;
        limits::check_opt_len(
            "stop reason",
            record.stop_reason.as_deref(),
            MAX_SHORT_BYTES,
        )?;
        limits::check_opt_len("error", record.error.as_deref(), MAX_TEXT_BYTES)?;
        limits::check_opt_len("adapter", record.adapter.as_deref(), MAX_TEXT_BYTES)?;
        let parameters = serde_json::to_string(&record.parameters)
            .map_err(|e| StoreError::invalid("parameters", e.to_string()))?;
        limits::check_len("parameters", &parameters, MAX_SETTINGS_BYTES)?;
        let redactions = (!record.redactions.is_empty())
            .then(|| serde_json::to_string(&record.redactions))
            .transpose()
            .map_err(|e| StoreError::invalid("redactions", e.to_string()))?;
        let sent_bytes = record.sent_bytes.and_then(|b| i64::try_from(b).ok());
        self.write(|tx| {
            tx.execute(
                &format!(
                    "INSERT INTO audit_log ({}) VALUES (NULL, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
                    COLUMNS
                ),
                params![
                    now_ms(),
                    record.model,
                    record.model_sha256,
                    record.provider,
                    parameters,
                    record.prompt_tokens,
                    record.completion_tokens,
                    record.prompt_ms,
                    record.generation_ms,
                    record.stop_reason,
                    record.error,
                    record.prompt_sha256,
                    record.output_sha256,
                    record.conversation_id,
                    record.purpose.as_str(),
                    redactions,
                    sent_bytes,
                    record.adapter,
                ],
            )?;
            Ok(tx.last_insert_rowid())
        })
    }

    /// Fills in the model file's hash on records written before it was known; records
    /// that already have one keep it. Returns how many changed.
    pub fn set_audit_model_sha256(&self, ids: &[i64], sha256: &str) -> Result<usize> {
        limits::check_len("model hash", sha256, MAX_SHORT_BYTES)?;
        self.write(|tx| {
            let mut stmt = tx.prepare(
                "UPDATE audit_log SET model_sha256 = ?1 WHERE id = ?2 AND model_sha256 IS NULL",
            )?;
            let mut changed = 0;
            for id in ids {
                changed += stmt.execute(params![sha256, id])?;
            }
            Ok(changed)
        })
    }

    /// Audit records, oldest first; with `since`, only those made at or after that time
    /// (milliseconds since the Unix epoch).
    pub fn audit_records(&self, since: Option<i64>) -> Result<Vec<AuditRecord>> {
        self.audit_records_where(&AuditFilter {
            since,
            ..AuditFilter::default()
        })
    }

    /// The audit records `filter` selects, oldest first.
    pub fn audit_records_where(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!(
            "SELECT {COLUMNS} FROM audit_log WHERE created_at >= ?1 \
             AND (?2 IS NULL OR provider = ?2) AND (?3 = 0 OR sent_bytes IS NOT NULL) \
             AND (?4 IS NULL OR purpose = ?4) ORDER BY created_at, id"
        ))?;
        let records = stmt
            .query_map(
                params![
                    filter.since.unwrap_or(i64::MIN),
                    filter.provider,
                    filter.remote_only,
                    filter.purpose.map(AuditPurpose::as_str),
                ],
                record_from_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(records)
    }

    /// Writes the audit records `filter` selects as JSON Lines, one object per line,
    /// and returns how many were written.
    pub fn export_audit_jsonl(
        &self,
        mut writer: impl Write,
        filter: &AuditFilter,
    ) -> Result<usize> {
        let records = self.audit_records_where(filter)?;
        for record in &records {
            // Serializing plain data with string keys cannot fail; report it if it does.
            let line = serde_json::to_string(record)
                .map_err(|e| StoreError::invalid("audit record", e.to_string()))?;
            writer
                .write_all(line.as_bytes())
                .and_then(|()| writer.write_all(b"\n"))
                .map_err(|source| StoreError::Write { source })?;
        }
        writer
            .flush()
            .map_err(|source| StoreError::Write { source })?;
        Ok(records.len())
    }
}

#[cfg(test)]
impl NewAuditRecord {
    pub(crate) fn for_test() -> Self {
        NewAuditRecord {
            model: "smollm2".into(),
            model_sha256: None,
            provider: "local".into(),
            parameters: serde_json::json!({ "temperature": 0.0, "max_tokens": 4 }),
            prompt_tokens: Some(12),
            completion_tokens: Some(4),
            prompt_ms: Some(3.5),
            generation_ms: Some(20.25),
            stop_reason: Some("max_tokens".into()),
            error: None,
            prompt_sha256: "a".repeat(64),
            output_sha256: "b".repeat(64),
            conversation_id: Some("c1".into()),
            purpose: AuditPurpose::Answer,
            redactions: BTreeMap::new(),
            sent_bytes: None,
            adapter: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_purpose_reads_the_same_in_json_as_in_the_database() {
        use AuditPurpose::*;
        for purpose in [
            Answer,
            Title,
            Summary,
            Run,
            DocumentSummary,
            Translation,
            Api,
            DocumentAnswer,
            QueryRewrite,
            Workflow,
            Generate,
            ToolCall,
            Other,
        ] {
            let json = serde_json::to_value(purpose).unwrap();
            assert_eq!(json, purpose.as_str(), "{purpose:?}");
            assert_eq!(AuditPurpose::parse(purpose.as_str()), purpose);
        }
    }

    #[test]
    fn speeds_come_from_the_recent_finished_generations_of_each_model() {
        let store = Store::open_in_memory().unwrap();
        let record = |model: &str, tokens: i64, ms: f64, error: Option<&str>| NewAuditRecord {
            model: model.into(),
            completion_tokens: Some(tokens),
            generation_ms: Some(ms),
            prompt_tokens: Some(100),
            prompt_ms: Some(50.0),
            error: error.map(Into::into),
            ..NewAuditRecord::for_test()
        };
        // An old slow one that falls out of the window, two recent ones, a failure.
        store
            .add_audit_record(&record("a", 10, 10_000.0, None))
            .unwrap();
        store
            .add_audit_record(&record("a", 20, 1000.0, None))
            .unwrap();
        store
            .add_audit_record(&record("a", 40, 1000.0, None))
            .unwrap();
        store
            .add_audit_record(&record("a", 1, 1.0, Some("boom")))
            .unwrap();
        store
            .add_audit_record(&record("b", 5, 500.0, None))
            .unwrap();
        let speeds = store.measured_speeds(2).unwrap();
        assert_eq!(speeds.len(), 2);
        assert_eq!((speeds[0].model.as_str(), speeds[0].generations), ("a", 2));
        assert!((speeds[0].generation_tokens_per_second - 30.0).abs() < 1e-9);
        assert!((speeds[0].prompt_tokens_per_second - 2000.0).abs() < 1e-9);
        assert!((speeds[1].generation_tokens_per_second - 10.0).abs() < 1e-9);
    }

    #[test]
    fn what_left_the_machine_is_kept_and_filtered_on() {
        let store = Store::open_in_memory().unwrap();
        store.add_audit_record(&NewAuditRecord::for_test()).unwrap();
        let remote = NewAuditRecord {
            provider: "openai".into(),
            redactions: BTreeMap::from([("email".into(), 2), ("name".into(), 1)]),
            sent_bytes: Some(1234),
            purpose: AuditPurpose::Title,
            ..NewAuditRecord::for_test()
        };
        store.add_audit_record(&remote).unwrap();
        let all = store.audit_records(None).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!((all[0].sent_bytes, all[0].redactions.len()), (None, 0));
        assert_eq!(all[1].generation, remote);
        let left = store
            .audit_records_where(&AuditFilter {
                remote_only: true,
                ..AuditFilter::default()
            })
            .unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].provider, "openai");
        let by = |provider: &str, purpose| {
            store
                .audit_records_where(&AuditFilter {
                    provider: Some(provider.into()),
                    purpose,
                    ..AuditFilter::default()
                })
                .unwrap()
                .len()
        };
        assert_eq!(by("local", None), 1);
        assert_eq!(by("openai", Some(AuditPurpose::Title)), 1);
        assert_eq!(by("openai", Some(AuditPurpose::Answer)), 0);
        let mut out = Vec::new();
        store
            .export_audit_jsonl(&mut out, &AuditFilter::default())
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            !lines[0].contains("sent_bytes"),
            "local records stay as they were: {}",
            lines[0]
        );
        assert!(
            lines[1].contains(r#""redactions":{"email":2,"name":1}"#)
                && lines[1].contains(r#""sent_bytes":1234"#),
            "{}",
            lines[1]
        );
    }

    #[test]
    fn records_are_stored_and_listed_oldest_first() {
        let store = Store::open_in_memory().unwrap();
        let first = store.add_audit_record(&NewAuditRecord::for_test()).unwrap();
        let second = store
            .add_audit_record(&NewAuditRecord {
                purpose: AuditPurpose::Title,
                error: Some("the engine stopped".into()),
                stop_reason: None,
                ..NewAuditRecord::for_test()
            })
            .unwrap();
        let records = store.audit_records(None).unwrap();
        let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
        assert_eq!(ids, [first, second]);
        let stored = &records[0];
        let expected = NewAuditRecord::for_test();
        assert_eq!(stored.model, expected.model);
        assert_eq!(stored.parameters, expected.parameters);
        assert_eq!(stored.prompt_tokens, Some(12));
        assert_eq!(stored.completion_tokens, Some(4));
        assert_eq!(stored.prompt_ms, Some(3.5));
        assert_eq!(stored.generation_ms, Some(20.25));
        assert_eq!(stored.stop_reason.as_deref(), Some("max_tokens"));
        assert_eq!(stored.prompt_sha256, expected.prompt_sha256);
        assert_eq!(stored.conversation_id.as_deref(), Some("c1"));
        assert_eq!(stored.purpose, AuditPurpose::Answer);
        assert_eq!(records[1].purpose, AuditPurpose::Title);
        assert_eq!(records[1].error.as_deref(), Some("the engine stopped"));
    }

    #[test]
    fn since_leaves_out_older_records() {
        let store = Store::open_in_memory().unwrap();
        let old = store.add_audit_record(&NewAuditRecord::for_test()).unwrap();
        let new = store.add_audit_record(&NewAuditRecord::for_test()).unwrap();
        // Set the times by hand: two inserts in a row may share a millisecond.
        store
            .conn()
            .execute(
                "UPDATE audit_log SET created_at = CASE id WHEN ?1 THEN 1000 ELSE 5000 END",
                [old],
            )
            .unwrap();
        let ids = |since| -> Vec<i64> {
            store
                .audit_records(since)
                .unwrap()
                .iter()
                .map(|r| r.id)
                .collect()
        };
        assert_eq!(ids(None), [old, new]);
        assert_eq!(ids(Some(1000)), [old, new]);
        assert_eq!(ids(Some(1001)), [new]);
        assert_eq!(ids(Some(5001)), Vec::<i64>::new());
    }

    #[test]
    fn export_writes_one_parsable_json_object_per_line() {
        let store = Store::open_in_memory().unwrap();
        store.add_audit_record(&NewAuditRecord::for_test()).unwrap();
        store
            .add_audit_record(&NewAuditRecord {
                purpose: AuditPurpose::Run,
                conversation_id: None,
                ..NewAuditRecord::for_test()
            })
            .unwrap();
        let mut out = Vec::new();
        assert_eq!(
            store
                .export_audit_jsonl(&mut out, &AuditFilter::default())
                .unwrap(),
            2
        );
        let text = String::from_utf8(out).unwrap();
        assert!(text.ends_with('\n'));
        let lines: Vec<AuditRecord> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines, store.audit_records(None).unwrap());
        let raw: serde_json::Value = serde_json::from_str(text.lines().nth(1).unwrap()).unwrap();
        assert_eq!(raw["purpose"], "run");
        assert_eq!(raw["conversation_id"], serde_json::Value::Null);
        assert_eq!(raw["parameters"]["max_tokens"], 4);
    }

    #[test]
    fn a_late_model_hash_fills_only_records_without_one() {
        let store = Store::open_in_memory().unwrap();
        let missing = store.add_audit_record(&NewAuditRecord::for_test()).unwrap();
        let known = store
            .add_audit_record(&NewAuditRecord {
                model_sha256: Some("c".repeat(64)),
                ..NewAuditRecord::for_test()
            })
            .unwrap();
        let changed = store
            .set_audit_model_sha256(&[missing, known], &"d".repeat(64))
            .unwrap();
        assert_eq!(changed, 1);
        let hashes: Vec<Option<String>> = store
            .audit_records(None)
            .unwrap()
            .into_iter()
            .map(|r| r.generation.model_sha256)
            .collect();
        assert_eq!(hashes, [Some("d".repeat(64)), Some("c".repeat(64))]);
    }

    #[test]
    fn an_unknown_purpose_is_refused_by_the_schema() {
        let store = Store::open_in_memory().unwrap();
        let result = store.conn().execute(
            "INSERT INTO audit_log (created_at, model, provider, parameters, prompt_sha256, output_sha256, purpose) \
             VALUES (1, 'm', 'local', '{}', 'a', 'b', 'gossip')",
            [],
        );
        assert!(result.is_err());
    }
}

/// What identifies a file's contents well enough to reuse its hash: the same path, size
/// and modification time (nanoseconds since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStamp {
    pub path: String,
    pub size: u64,
    pub mtime_ns: i64,
}

impl Store {
    /// The SHA-256 remembered for a file with exactly this stamp, if any.
    pub fn cached_file_hash(&self, stamp: &FileStamp) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT sha256 FROM file_hashes WHERE path = ?1 AND size = ?2 AND mtime_ns = ?3",
                params![stamp.path, stamp.size as i64, stamp.mtime_ns],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Remembers a file's SHA-256 for its stamp, replacing what was known for the path.
    pub fn remember_file_hash(&self, stamp: &FileStamp, sha256: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO file_hashes (path, size, mtime_ns, sha256, hashed_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    stamp.path,
                    stamp.size as i64,
                    stamp.mtime_ns,
                    sha256,
                    now_ms()
                ],
            )?;
            Ok(())
        })
    }
}
