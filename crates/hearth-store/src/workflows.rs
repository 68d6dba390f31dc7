//! Saved workflows, saved prompt templates, and the runs of workflows with their results.
//!
//! The core owns what a workflow or a prompt is; the store keeps each one's JSON
//! definition under its name (unique without regard to case, as a picker could not tell
//! "Triage" from "triage"). A run keeps the definition it ran with, so its results stay
//! readable after the workflow changes or is deleted.

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use crate::error::{Result, StoreError};
use crate::limits::{self, MAX_PERSONA_NAME_BYTES, MAX_SHORT_BYTES, MAX_TEXT_BYTES};
use crate::owner;
use crate::store::{now_ms, Store};

/// The largest results table a run may keep (JSON bytes); a folder of documents run
/// through several steps fits comfortably, a runaway loop does not fill the disk.
pub const MAX_RUN_RESULTS_BYTES: usize = 64 * 1024 * 1024;

/// Which named-definition table: the SQL is the same for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavedKind {
    Workflow,
    Prompt,
}

impl SavedKind {
    pub(crate) fn table(self) -> &'static str {
        match self {
            SavedKind::Workflow => "workflows",
            SavedKind::Prompt => "prompts",
        }
    }

    pub(crate) fn what(self) -> &'static str {
        match self {
            SavedKind::Workflow => "workflow",
            SavedKind::Prompt => "prompt",
        }
    }
}

/// A saved workflow or prompt: its name and JSON definition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedDefinition {
    pub name: String,
    pub definition: serde_json::Value,
    pub created_at: i64,
    pub updated_at: i64,
}

fn saved_from_row(row: &Row<'_>) -> rusqlite::Result<SavedDefinition> {
    let definition: String = row.get(1)?;
    Ok(SavedDefinition {
        name: row.get(0)?,
        // The column is CHECKed to be valid JSON.
        definition: serde_json::from_str(&definition).unwrap_or(serde_json::Value::Null),
        created_at: row.get(2)?,
        updated_at: row.get(3)?,
    })
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunState {
    Running,
    Done,
    Stopped,
    Failed,
    /// The app stopped while it ran.
    Interrupted,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Running => "running",
            RunState::Done => "done",
            RunState::Stopped => "stopped",
            RunState::Failed => "failed",
            RunState::Interrupted => "interrupted",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "running" => RunState::Running,
            "done" => RunState::Done,
            "stopped" => RunState::Stopped,
            "failed" => RunState::Failed,
            _ => RunState::Interrupted,
        }
    }
}

/// One run of a workflow: what ran, on what, and the results table (one JSON value per
/// input item, in the core's shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkflowRun {
    pub id: String,
    pub workflow: String,
    pub definition: serde_json::Value,
    /// What it ran on, for people ("3 files in ~/reports", "pasted text").
    pub input: String,
    pub state: RunState,
    pub results: Vec<serde_json::Value>,
    pub error: Option<String>,
    pub started_at: i64,
    pub finished_at: Option<i64>,
}

const RUN_COLUMNS: &str =
    "id, workflow, definition, input, state, results, error, started_at, finished_at";

fn run_from_row(row: &Row<'_>) -> rusqlite::Result<WorkflowRun> {
    let definition: String = row.get(2)?;
    let state: String = row.get(4)?;
    let results: String = row.get(5)?;
    Ok(WorkflowRun {
        id: row.get(0)?,
        workflow: row.get(1)?,
        definition: serde_json::from_str(&definition).unwrap_or(serde_json::Value::Null),
        input: row.get(3)?,
        state: RunState::parse(&state),
        results: serde_json::from_str(&results).unwrap_or_default(),
        error: row.get(6)?,
        started_at: row.get(7)?,
        finished_at: row.get(8)?,
    })
}

/// Every saved workflow or prompt, by name.
pub(crate) fn load_definitions(conn: &Connection, kind: SavedKind) -> Result<Vec<SavedDefinition>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT name, definition, created_at, updated_at FROM {} ORDER BY name",
        kind.table()
    ))?;
    let rows = stmt.query_map([], saved_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// At most `limit` runs in `order` (an ORDER BY clause of this module's own).
pub(crate) fn load_runs(conn: &Connection, order: &str, limit: usize) -> Result<Vec<WorkflowRun>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {RUN_COLUMNS} FROM workflow_runs ORDER BY {order} LIMIT ?1"
    ))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt.query_map([limit], run_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn load_run(conn: &Connection, id: &str) -> Result<WorkflowRun> {
    conn.query_row(
        &format!("SELECT {RUN_COLUMNS} FROM workflow_runs WHERE id = ?1"),
        [id],
        run_from_row,
    )
    .optional()?
    .ok_or_else(|| StoreError::not_found("workflow run", id))
}

pub(crate) fn json_text(what: &'static str, value: &impl Serialize, max: usize) -> Result<String> {
    let text =
        serde_json::to_string(value).map_err(|e| StoreError::invalid(what, e.to_string()))?;
    limits::check_len(what, &text, max)?;
    Ok(text)
}

impl Store {
    /// Saves a workflow or prompt under `name`, replacing one of the same name.
    pub fn save_definition(
        &self,
        kind: SavedKind,
        name: &str,
        definition: &serde_json::Value,
    ) -> Result<SavedDefinition> {
        let name = limits::check_name(kind.what(), name, MAX_PERSONA_NAME_BYTES)?;
        let text = json_text(kind.what(), definition, MAX_TEXT_BYTES)?;
        let table = kind.table();
        self.write(|tx| {
            let now = now_ms();
            tx.execute(
                &format!(
                    "INSERT INTO {table} (name, definition, created_at, updated_at) \
                     VALUES (?1, ?2, ?3, ?3) ON CONFLICT(name) DO UPDATE SET \
                     name = excluded.name, definition = excluded.definition, \
                     updated_at = excluded.updated_at"
                ),
                params![name, text, now],
            )?;
            tx.query_row(
                &format!(
                    "SELECT name, definition, created_at, updated_at FROM {table} WHERE name = ?1"
                ),
                [&name],
                saved_from_row,
            )
            .map_err(Into::into)
        })
    }

    /// Every saved workflow or prompt, by name.
    pub fn definitions(&self, kind: SavedKind) -> Result<Vec<SavedDefinition>> {
        load_definitions(&self.conn(), kind)
    }

    /// One saved workflow or prompt, found without regard to case.
    pub fn definition(&self, kind: SavedKind, name: &str) -> Result<Option<SavedDefinition>> {
        Ok(self
            .conn()
            .query_row(
                &format!(
                    "SELECT name, definition, created_at, updated_at FROM {} WHERE name = ?1",
                    kind.table()
                ),
                [name.trim()],
                saved_from_row,
            )
            .optional()?)
    }

    /// Deletes a saved workflow or prompt; its past runs stay.
    pub fn delete_definition(&self, kind: SavedKind, name: &str) -> Result<()> {
        self.write(|tx| {
            let deleted = tx.execute(
                &format!("DELETE FROM {} WHERE name = ?1", kind.table()),
                [name.trim()],
            )?;
            if deleted == 0 {
                return Err(StoreError::not_found(kind.what(), name));
            }
            Ok(())
        })
    }

    /// Records a run starting and returns its id.
    pub fn start_workflow_run(
        &self,
        workflow: &str,
        definition: &serde_json::Value,
        input: &str,
    ) -> Result<String> {
        limits::check_len("workflow name", workflow, MAX_SHORT_BYTES)?;
        limits::check_len("run input", input, MAX_TEXT_BYTES)?;
        let definition = json_text("workflow", definition, MAX_TEXT_BYTES)?;
        let id = uuid::Uuid::new_v4().to_string();
        // Leased to this process, so another one starting meanwhile leaves it running.
        let (owner_pid, owner_start) = owner::current_columns();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO workflow_runs (id, workflow, definition, input, state, started_at, \
                 owner_pid, owner_start) VALUES (?1, ?2, ?3, ?4, 'running', ?5, ?6, ?7)",
                params![
                    id,
                    workflow,
                    definition,
                    input,
                    now_ms(),
                    owner_pid,
                    owner_start
                ],
            )?;
            Ok(())
        })?;
        Ok(id)
    }

    /// Saves a run's results so far (called after each item, so a killed app keeps
    /// what was done) and, with a final state, when it ended.
    pub fn update_workflow_run(
        &self,
        id: &str,
        results: &[serde_json::Value],
        state: RunState,
        error: Option<&str>,
    ) -> Result<()> {
        let results = json_text("run results", &results, MAX_RUN_RESULTS_BYTES)?;
        limits::check_opt_len("run error", error, MAX_TEXT_BYTES)?;
        let finished = (state != RunState::Running).then(now_ms);
        self.write(|tx| {
            let changed = tx.execute(
                "UPDATE workflow_runs SET results = ?2, state = ?3, error = ?4, \
                 finished_at = ?5 WHERE id = ?1",
                params![id, results, state.as_str(), error, finished],
            )?;
            if changed == 0 {
                return Err(StoreError::not_found("workflow run", id));
            }
            Ok(())
        })
    }

    /// One run with its results.
    pub fn workflow_run(&self, id: &str) -> Result<WorkflowRun> {
        load_run(&self.conn(), id)
    }

    /// Runs, newest first, with their results; at most `limit`.
    pub fn workflow_runs(&self, limit: usize) -> Result<Vec<WorkflowRun>> {
        load_runs(&self.conn(), "started_at DESC, id", limit.min(10_000))
    }

    /// Deletes a run and its results.
    pub fn delete_workflow_run(&self, id: &str) -> Result<()> {
        self.write(|tx| {
            if tx.execute("DELETE FROM workflow_runs WHERE id = ?1", [id])? == 0 {
                return Err(StoreError::not_found("workflow run", id));
            }
            Ok(())
        })
    }

    /// Labels runs left running by a process that has died; returns how many. A run
    /// whose process still runs (another process opened the history meanwhile) is left
    /// alone, as in [`Store::mark_interrupted`].
    pub fn mark_runs_interrupted(&self) -> Result<usize> {
        self.write(|tx| {
            Ok(owner::mark_dead_owners(
                tx,
                "workflow_runs",
                "running",
                "state = 'interrupted', finished_at = ?1",
                now_ms(),
            )?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn definitions_are_saved_replaced_found_without_case_and_deleted() {
        let store = Store::open_in_memory().unwrap();
        let first = store
            .save_definition(SavedKind::Workflow, "Triage", &json!({"steps": [1]}))
            .unwrap();
        let second = store
            .save_definition(SavedKind::Workflow, "triage", &json!({"steps": [1, 2]}))
            .unwrap();
        assert_eq!(second.created_at, first.created_at);
        assert_eq!(second.name, "triage");
        let all = store.definitions(SavedKind::Workflow).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].definition, json!({"steps": [1, 2]}));
        // Prompts are a separate table.
        assert!(store.definitions(SavedKind::Prompt).unwrap().is_empty());
        assert!(store
            .definition(SavedKind::Workflow, "TRIAGE")
            .unwrap()
            .is_some());
        store
            .delete_definition(SavedKind::Workflow, "Triage")
            .unwrap();
        assert!(matches!(
            store.delete_definition(SavedKind::Workflow, "Triage"),
            Err(StoreError::NotFound { .. })
        ));
        assert!(store
            .save_definition(SavedKind::Prompt, "  ", &json!({}))
            .is_err());
    }

    #[test]
    fn a_run_keeps_its_results_as_they_grow_and_is_marked_when_cut_off() {
        let store = Store::open_in_memory().unwrap();
        let id = store
            .start_workflow_run("w", &json!({"name": "w"}), "pasted text")
            .unwrap();
        store
            .update_workflow_run(&id, &[json!({"item": "a"})], RunState::Running, None)
            .unwrap();
        let run = store.workflow_run(&id).unwrap();
        assert_eq!((run.state, run.results.len()), (RunState::Running, 1));
        assert_eq!(run.finished_at, None);
        // Running in this process: left alone until its writer is gone.
        assert_eq!(store.mark_runs_interrupted().unwrap(), 0);
        store.forget_writers();
        assert_eq!(store.mark_runs_interrupted().unwrap(), 1);
        let run = store.workflow_run(&id).unwrap();
        assert_eq!(run.state, RunState::Interrupted);
        assert!(run.finished_at.is_some());
        let other = store.start_workflow_run("w", &json!({}), "x").unwrap();
        store
            .update_workflow_run(&other, &[], RunState::Failed, Some("model gone"))
            .unwrap();
        let runs = store.workflow_runs(10).unwrap();
        assert_eq!(runs.len(), 2);
        assert_eq!(runs.iter().filter(|r| r.error.is_some()).count(), 1);
        store.delete_workflow_run(&id).unwrap();
        assert_eq!(store.workflow_runs(10).unwrap().len(), 1);
    }
}
