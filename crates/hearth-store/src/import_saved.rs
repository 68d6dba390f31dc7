//! Importing the saved workflows, saved prompts and workflow runs of a whole-history
//! export (format version 3), with the same rules as the rest of an import: every check
//! before any write, and nothing already in the history is overwritten.
//!
//! A saved workflow or prompt whose name is taken keeps the one in the history: an
//! identical definition is skipped, a different one is added as "name (imported)" (its
//! definition's `name` follows, since the core reads the name from the definition). A
//! run keeps its id like a conversation does ([`ImportMode::KeepIds`] refuses one
//! already there, [`ImportMode::NewIds`] gives it a new one); a run that was still going
//! when it was exported comes back as interrupted.

use std::collections::HashSet;

use rusqlite::{params, OptionalExtension, Transaction};
use serde_json::Value;

use crate::error::{Result, StoreError};
use crate::export::ExportDocument;
use crate::import::{at, check_id, check_time, free_name, ImportMode};
use crate::limits::{self, MAX_PERSONA_NAME_BYTES, MAX_SHORT_BYTES, MAX_TEXT_BYTES};
use crate::workflows::{
    json_text, RunState, SavedDefinition, SavedKind, WorkflowRun, MAX_RUN_RESULTS_BYTES,
};

/// What the saved part of an import added.
#[derive(Debug, Default)]
pub(crate) struct SavedAdded {
    pub workflows: usize,
    pub prompts: usize,
    pub workflow_runs: usize,
}

/// Every check on the saved part that needs only the document.
pub(crate) fn validate_saved(doc: &ExportDocument) -> Result<()> {
    for (kind, list) in [
        (SavedKind::Workflow, &doc.workflows),
        (SavedKind::Prompt, &doc.prompts),
    ] {
        let mut names = HashSet::new();
        for (i, saved) in list.iter().enumerate() {
            let place = || format!("{}s[{i}]", kind.what());
            let name = at(
                place,
                limits::check_name(kind.what(), &saved.name, MAX_PERSONA_NAME_BYTES),
            )?;
            if !names.insert(name.to_lowercase()) {
                return Err(StoreError::import(format!(
                    "two saved {}s are named {name:?}",
                    kind.what()
                )));
            }
            if !saved.definition.is_object() {
                return Err(StoreError::import(format!(
                    "saved {} {name:?}: its definition is not a JSON object",
                    kind.what()
                )));
            }
            at(
                place,
                json_text(kind.what(), &saved.definition, MAX_TEXT_BYTES),
            )?;
            check_time(kind.what(), &name, saved.created_at)?;
            check_time(kind.what(), &name, saved.updated_at)?;
        }
    }
    let mut run_ids = HashSet::new();
    for run in &doc.workflow_runs {
        check_id("workflow run", &run.id)?;
        if !run_ids.insert(run.id.as_str()) {
            return Err(StoreError::import(format!(
                "workflow run {} appears twice",
                run.id
            )));
        }
        let place = || format!("workflow run {}", run.id);
        at(
            place,
            limits::check_len("workflow name", &run.workflow, MAX_SHORT_BYTES),
        )?;
        at(
            place,
            limits::check_len("run input", &run.input, MAX_TEXT_BYTES),
        )?;
        at(
            place,
            limits::check_opt_len("run error", run.error.as_deref(), MAX_TEXT_BYTES),
        )?;
        at(
            place,
            json_text("workflow", &run.definition, MAX_TEXT_BYTES),
        )?;
        at(
            place,
            json_text("run results", &run.results, MAX_RUN_RESULTS_BYTES),
        )?;
        check_time("workflow run", &run.id, run.started_at)?;
        if let Some(finished) = run.finished_at {
            check_time("workflow run", &run.id, finished)?;
        }
    }
    Ok(())
}

/// Writes the saved part of a validated document.
pub(crate) fn insert_saved(
    tx: &Transaction<'_>,
    doc: &ExportDocument,
    mode: ImportMode,
) -> Result<SavedAdded> {
    let mut added = SavedAdded::default();
    for saved in &doc.workflows {
        added.workflows += usize::from(insert_definition(tx, SavedKind::Workflow, saved)?);
    }
    for saved in &doc.prompts {
        added.prompts += usize::from(insert_definition(tx, SavedKind::Prompt, saved)?);
    }
    for run in &doc.workflow_runs {
        insert_run(tx, run, mode)?;
        added.workflow_runs += 1;
    }
    Ok(added)
}

/// Adds one saved definition; false when the same one is already saved under its name.
fn insert_definition(
    tx: &Transaction<'_>,
    kind: SavedKind,
    saved: &SavedDefinition,
) -> Result<bool> {
    let table = kind.table();
    let name = saved.name.trim();
    let existing = |candidate: &str| -> Result<Option<Value>> {
        let text: Option<String> = tx
            .query_row(
                &format!("SELECT definition FROM {table} WHERE name = ?1"),
                [candidate],
                |row| row.get(0),
            )
            .optional()?;
        Ok(text.map(|t| serde_json::from_str(&t).unwrap_or(Value::Null)))
    };
    let mut definition = saved.definition.clone();
    let free = match existing(name)? {
        None => name.to_owned(),
        Some(there) => {
            if there == with_name(&definition, &there_name(&there, name)) {
                return Ok(false);
            }
            free_name(kind.what(), name, |candidate| {
                Ok(existing(candidate)?.is_some())
            })?
        }
    };
    definition = with_name(&definition, &free);
    tx.execute(
        &format!(
            "INSERT INTO {table} (name, definition, created_at, updated_at) VALUES (?1, ?2, ?3, ?4)"
        ),
        params![
            free,
            definition.to_string(),
            saved.created_at,
            saved.updated_at
        ],
    )?;
    Ok(true)
}

/// The name a stored definition carries (falling back to the row's name).
fn there_name(definition: &Value, row_name: &str) -> String {
    definition
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or(row_name)
        .to_owned()
}

/// `definition` with its `name` field set to `name`.
fn with_name(definition: &Value, name: &str) -> Value {
    let mut definition = definition.clone();
    if let Some(object) = definition.as_object_mut() {
        object.insert("name".into(), Value::String(name.to_owned()));
    }
    definition
}

fn insert_run(tx: &Transaction<'_>, run: &WorkflowRun, mode: ImportMode) -> Result<()> {
    let id = match mode {
        ImportMode::NewIds => uuid::Uuid::new_v4().to_string(),
        ImportMode::KeepIds => {
            let there = tx
                .query_row(
                    "SELECT 1 FROM workflow_runs WHERE id = ?1",
                    [&run.id],
                    |_| Ok(()),
                )
                .optional()?;
            if there.is_some() {
                return Err(StoreError::AlreadyExists {
                    what: "workflow run",
                    id: run.id.clone(),
                });
            }
            run.id.clone()
        }
    };
    // A run cannot still be going in a history it was just imported into.
    let state = match run.state {
        RunState::Running => RunState::Interrupted,
        other => other,
    };
    tx.execute(
        "INSERT INTO workflow_runs (id, workflow, definition, input, state, results, error, \
         started_at, finished_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            id,
            run.workflow,
            run.definition.to_string(),
            run.input,
            state.as_str(),
            serde_json::to_string(&run.results).unwrap_or_else(|_| "[]".into()),
            run.error,
            run.started_at,
            run.finished_at
                .or((state != run.state).then_some(run.started_at)),
        ],
    )?;
    Ok(())
}
