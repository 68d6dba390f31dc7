//! Running a workflow over a batch: the items a text, a file or a folder make; each
//! item through every step in order; progress events; the run and its results table
//! saved as it goes. Also the facade's calls to list, save and delete workflows.

use std::path::{Path, PathBuf};

use hearth_store::{AuditPurpose, RunState, WorkflowRun};
use serde::{Deserialize, Serialize};

use super::definition::{Task, Workflow};
use super::step::{ReadyStep, StepInput, StepOutput};
use crate::access::DocumentGuard;
use crate::audit::AuditContext;
use crate::documents::Cancellation;
use crate::error::{CoreError, Result};
use crate::hearth::Hearth;
use crate::saved;

/// The most items (files) one run may take.
pub const MAX_ITEMS: usize = 10_000;

/// What a workflow runs on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkflowInput {
    /// One text, with a name for its row.
    Text { name: String, text: String },
    /// A file, or a folder whose readable files (hidden ones skipped) are the items.
    Path(PathBuf),
}

/// A workflow as listed: where it comes from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowView {
    #[serde(flatten)]
    pub workflow: Workflow,
    pub builtin: bool,
}

/// One item's row: each step's output in order, or where it stopped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemResult {
    pub item: String,
    pub outputs: Vec<StepOutput>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What a running workflow reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum WorkflowProgress {
    Started {
        run_id: String,
        items: Vec<String>,
        steps: Vec<String>,
    },
    /// Item `item`'s file has scanned pages: OCR has read `done` of `total`.
    Reading {
        item: usize,
        done: u32,
        total: u32,
    },
    /// Item `item` (index) starts step `step` (index).
    Step {
        item: usize,
        step: usize,
    },
    StepDone {
        item: usize,
        step: usize,
        output: StepOutput,
    },
    ItemDone {
        item: usize,
        result: ItemResult,
    },
}

/// An item to run: its name and where its text comes from.
enum Item {
    Text { name: String, text: String },
    File(PathBuf),
}

impl Item {
    fn name(&self) -> String {
        match self {
            Item::Text { name, .. } => name.clone(),
            Item::File(path) => path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string()),
        }
    }
}

/// Every input's items, in order, and a description of them for the run's record.
fn items_of_all(inputs: &[WorkflowInput], guard: &DocumentGuard) -> Result<(Vec<Item>, String)> {
    let mut items = Vec::new();
    let mut described = Vec::new();
    for input in inputs {
        let (more, what) = items_of(input, guard)?;
        items.extend(more);
        described.push(what);
    }
    if items.is_empty() {
        return Err(CoreError::EmptyDocument);
    }
    if items.len() > MAX_ITEMS {
        return Err(CoreError::InvalidWorkflow {
            reason: format!("{} items; a run takes at most {MAX_ITEMS}", items.len()),
        });
    }
    let described = match described.len() {
        1 => described.remove(0),
        n if n <= 3 => described.join(", "),
        n => format!("{n} inputs: {}, …", described[..2].join(", ")),
    };
    Ok((items, described))
}

fn items_of(input: &WorkflowInput, guard: &DocumentGuard) -> Result<(Vec<Item>, String)> {
    match input {
        WorkflowInput::Text { name, text } => {
            if text.trim().is_empty() {
                return Err(CoreError::EmptyDocument);
            }
            Ok((
                vec![Item::Text {
                    name: name.clone(),
                    text: text.clone(),
                }],
                format!("text \"{name}\""),
            ))
        }
        WorkflowInput::Path(path) => {
            if !path.exists() {
                return Err(CoreError::SourceNotFound { path: path.clone() });
            }
            // Never in (or through a link into) Hearth's own folders.
            let resolved = guard.resolve(path)?;
            if resolved.is_file() {
                return Ok((vec![Item::File(path.clone())], path.display().to_string()));
            }
            let files = crate::ask::ingest::find_files(std::slice::from_ref(&resolved), guard);
            if files.is_empty() {
                return Err(CoreError::NothingToIndex {
                    path: path.clone(),
                    why: format!(
                        " (no file in it that Hearth reads: {})",
                        hearth_docs::READABLE
                    ),
                });
            }
            if files.len() > MAX_ITEMS {
                return Err(CoreError::InvalidWorkflow {
                    reason: format!(
                        "{} holds {} files; a run takes at most {MAX_ITEMS}, so split the folder",
                        path.display(),
                        files.len()
                    ),
                });
            }
            let described = format!("{} files in {}", files.len(), path.display());
            Ok((files.into_iter().map(Item::File).collect(), described))
        }
    }
}

impl Hearth {
    /// Built-in workflows, then saved ones.
    pub fn workflows(&self) -> Result<Vec<WorkflowView>> {
        Ok(saved::list::<Workflow>(&self.store)?
            .into_iter()
            .map(|listed| WorkflowView {
                workflow: listed.definition,
                builtin: listed.builtin,
            })
            .collect())
    }

    /// A workflow by name (built-in or saved, without regard to case), or read from a
    /// `.toml`/`.json` file when `spec` is a path to one.
    pub fn workflow(&self, spec: &str) -> Result<Workflow> {
        let path = Path::new(spec);
        if path.is_file() {
            return Workflow::from_file(path);
        }
        saved::find(&self.store, spec)
    }

    /// Checks and saves a workflow in the database (replacing one of the same name).
    pub fn save_workflow(&self, workflow: &Workflow) -> Result<WorkflowView> {
        saved::save(&self.store, workflow)?;
        Ok(WorkflowView {
            workflow: workflow.clone(),
            builtin: false,
        })
    }

    /// Deletes a saved workflow; its past runs stay.
    pub fn delete_workflow(&self, name: &str) -> Result<()> {
        saved::delete::<Workflow>(&self.store, name)
    }

    /// Past runs, newest first.
    pub fn workflow_runs(&self, limit: usize) -> Result<Vec<WorkflowRun>> {
        Ok(self.store.workflow_runs(limit)?)
    }

    pub fn workflow_run(&self, id: &str) -> Result<WorkflowRun> {
        Ok(self.store.workflow_run(id)?)
    }

    pub fn delete_workflow_run(&self, id: &str) -> Result<()> {
        Ok(self.store.delete_workflow_run(id)?)
    }

    /// Runs `workflow` on every item of `inputs` (a folder is one input of many items),
    /// reporting each step. Returns the run
    /// as saved: done, or stopped when `cancel` fired (the items finished before it
    /// keep their results).
    pub fn run_workflow(
        &self,
        workflow: &Workflow,
        inputs: &[WorkflowInput],
        progress: &mut dyn FnMut(WorkflowProgress),
        cancel: &Cancellation,
    ) -> Result<WorkflowRun> {
        workflow.check()?;
        let guard = self.document_guard();
        let (items, described) = items_of_all(inputs, &guard)?;
        let steps = self.ready_steps(workflow)?;
        let definition =
            serde_json::to_value(workflow).map_err(|e| CoreError::InvalidWorkflow {
                reason: e.to_string(),
            })?;
        let run_id = self
            .store
            .start_workflow_run(&workflow.name, &definition, &described)?;
        progress(WorkflowProgress::Started {
            run_id: run_id.clone(),
            items: items.iter().map(Item::name).collect(),
            steps: workflow.steps.iter().map(|s| s.title()).collect(),
        });
        let mut results: Vec<serde_json::Value> = Vec::with_capacity(items.len());
        let mut state = RunState::Done;
        for (index, item) in items.iter().enumerate() {
            if cancel.is_cancelled() {
                state = RunState::Stopped;
                break;
            }
            let mut result = run_item(&steps, index, item, self, progress, cancel);
            if cancel.is_cancelled() {
                // The item was cut short: keep the steps it finished, marked as such.
                state = RunState::Stopped;
                if !result.outputs.is_empty() {
                    result.error = Some("stopped before every step ran".into());
                    results.push(serde_json::to_value(&result).unwrap_or_default());
                }
                break;
            }
            progress(WorkflowProgress::ItemDone {
                item: index,
                result: result.clone(),
            });
            results.push(serde_json::to_value(&result).unwrap_or_default());
            self.store
                .update_workflow_run(&run_id, &results, RunState::Running, None)?;
        }
        self.store
            .update_workflow_run(&run_id, &results, state, None)?;
        Ok(self.store.workflow_run(&run_id)?)
    }

    /// Each step's engine (loading local models, checking remote ones are allowed) and
    /// library prompt, before the first item runs.
    fn ready_steps(&self, workflow: &Workflow) -> Result<Vec<ReadyStep>> {
        workflow
            .steps
            .iter()
            .map(|step| {
                let engine = self.audited_engine_with(
                    step.model.as_deref(),
                    step.adapter.as_ref(),
                    AuditContext::new(AuditPurpose::Workflow, None),
                )?;
                if let Some(provider) = engine.info().provider.filter(|_| self.is_offline()) {
                    return Err(hearth_llm::LlmError::Offline { provider }.into());
                }
                let library_prompt = match &step.task {
                    Task::Prompt {
                        prompt: Some(name), ..
                    } => Some(self.prompt(name)?),
                    _ => None,
                };
                let cannot_write = match &step.task {
                    Task::Translate { to, .. } => {
                        self.cannot_write(&engine.info(), &crate::documents::Language::parse(to)?)?
                    }
                    _ => false,
                };
                Ok(ReadyStep {
                    step: step.clone(),
                    engine,
                    library_prompt,
                    cannot_write,
                })
            })
            .collect()
    }
}

/// One item through every step; a failing step ends the item with its error.
fn run_item(
    steps: &[ReadyStep],
    index: usize,
    item: &Item,
    hearth: &Hearth,
    progress: &mut dyn FnMut(WorkflowProgress),
    cancel: &Cancellation,
) -> ItemResult {
    let name = item.name();
    let mut result = ItemResult {
        item: name.clone(),
        outputs: Vec::new(),
        error: None,
    };
    let (source, document) = match item {
        Item::Text { text, .. } => (text.clone(), None),
        Item::File(path) => match read_item(path, hearth, index, progress, cancel) {
            Ok(read) => read,
            Err(error) => {
                result.error = Some(error.to_string());
                return result;
            }
        },
    };
    let mut text = source.clone();
    for (step_index, step) in steps.iter().enumerate() {
        progress(WorkflowProgress::Step {
            item: index,
            step: step_index,
        });
        let input = StepInput {
            text: &text,
            source: &source,
            item: &name,
            document: document.as_ref().filter(|_| step_index == 0),
        };
        match step.run(&input, cancel) {
            Ok(output) => {
                text = output.text.clone();
                progress(WorkflowProgress::StepDone {
                    item: index,
                    step: step_index,
                    output: output.clone(),
                });
                result.outputs.push(output);
            }
            Err(error) => {
                result.error = Some(format!("{}: {error}", step.step.title()));
                break;
            }
        }
    }
    result
}

/// A file's text (Markdown rebuilt from its structure) and the document itself; each
/// scanned page OCR reads is reported as item `index` reading.
fn read_item(
    path: &Path,
    hearth: &Hearth,
    index: usize,
    progress: &mut dyn FnMut(WorkflowProgress),
    cancel: &Cancellation,
) -> Result<(String, Option<hearth_docs::Document>)> {
    let mut reading = |p: crate::ocr::OcrProgress| {
        progress(WorkflowProgress::Reading {
            item: index,
            done: p.done,
            total: p.total,
        })
    };
    let document = hearth.read_document_with(path, &mut reading, cancel)?;
    let text = document.to_markdown();
    if text.trim().is_empty() {
        return Err(CoreError::EmptyDocument);
    }
    Ok((text, Some(document)))
}

/// A run's results as a table: the column names (item, each step, error) and one JSON
/// object per item, for CSV and JSON Lines. An extract or generate step's JSON stays
/// JSON in the rows.
pub fn run_table(run: &WorkflowRun) -> (Vec<String>, Vec<serde_json::Value>) {
    let workflow: Option<Workflow> = serde_json::from_value(run.definition.clone()).ok();
    let steps: Vec<String> = workflow
        .as_ref()
        .map(|w| w.steps.iter().map(|s| s.title()).collect())
        .unwrap_or_default();
    let structured: Vec<bool> = workflow
        .as_ref()
        .map(|w| {
            w.steps
                .iter()
                .map(|s| matches!(s.task, Task::Extract { .. } | Task::Generate { .. }))
                .collect()
        })
        .unwrap_or_default();
    let mut columns = vec!["item".to_owned()];
    columns.extend(steps.iter().cloned());
    columns.push("error".to_owned());
    let rows = run
        .results
        .iter()
        .filter_map(|value| serde_json::from_value::<ItemResult>(value.clone()).ok())
        .map(|result| {
            let mut row = serde_json::Map::new();
            row.insert("item".into(), result.item.into());
            for output in &result.outputs {
                let json = steps
                    .iter()
                    .position(|s| *s == output.step)
                    .is_some_and(|i| structured[i]);
                let value = if json {
                    serde_json::from_str(&output.text)
                        .unwrap_or(serde_json::Value::String(output.text.clone()))
                } else {
                    serde_json::Value::String(output.text.clone())
                };
                row.insert(output.step.clone(), value);
            }
            row.insert(
                "error".into(),
                result
                    .error
                    .map(Into::into)
                    .unwrap_or(serde_json::Value::Null),
            );
            serde_json::Value::Object(row)
        })
        .collect();
    (columns, rows)
}
