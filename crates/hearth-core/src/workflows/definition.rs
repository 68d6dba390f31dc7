//! What a workflow is: a name and a list of steps, each a task with its own model and
//! settings, the output of one feeding the next. Read from and written to TOML or JSON
//! files; checked before anything runs, so a typo in step 3 is reported before step 1
//! spends ten minutes on a folder.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::documents::{Language, SummaryLength, SummaryStyle};
use crate::error::{CoreError, Result};

/// The most steps a workflow may have.
pub const MAX_STEPS: usize = 20;

/// A pipeline of steps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub steps: Vec<Step>,
}

/// One step: a task, and the model and settings it runs with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// The step's column in the results table; defaults to the task's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub task: Task,
    /// A local model (library id, file) or a remote one (`PROVIDER:MODEL`); the default
    /// model when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// A LoRA adapter for the step's local model (`{ path = "…", scale = 0.8 }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub adapter: Option<hearth_llm::LoraAdapter>,
    /// Sampling temperature; each task has its own default (0 for classify and extract).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f32>,
    /// Upper bound on the tokens of the step's answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
}

/// What a step does with its input text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "task", rename_all = "snake_case")]
pub enum Task {
    /// Summarize, however long the input (the document summarizer).
    Summarize {
        #[serde(default)]
        style: SummaryStyle,
        #[serde(default)]
        length: SummaryLength,
        /// Write the summary in this language; the input's own when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        language: Option<String>,
    },
    /// Translate, keeping the structure.
    Translate {
        to: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        from: Option<String>,
    },
    /// Pick one of the labels (sentiment: positive, negative, neutral).
    Classify {
        labels: Vec<String>,
        /// What the labels mean ("the writer's sentiment").
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instructions: Option<String>,
    },
    /// Fill a JSON object that follows a schema from the text.
    Extract {
        schema: serde_json::Value,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instructions: Option<String>,
    },
    /// Any prompt: a template written here, or one from the prompt library. `{{input}}`
    /// is the previous step's output, `{{source}}` the item's original text, `{{item}}`
    /// its name; other variables come from `variables`.
    Prompt {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        template: Option<String>,
        /// A prompt library template's name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        prompt: Option<String>,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        variables: BTreeMap<String, String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        system: Option<String>,
    },
    /// Make records that follow a schema from the input (question/answer pairs drawn
    /// from a document, test data); the output is a JSON array.
    Generate {
        schema: serde_json::Value,
        count: usize,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instructions: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seed: Option<u32>,
    },
}

impl Task {
    pub fn kind(&self) -> &'static str {
        match self {
            Task::Summarize { .. } => "summarize",
            Task::Translate { .. } => "translate",
            Task::Classify { .. } => "classify",
            Task::Extract { .. } => "extract",
            Task::Prompt { .. } => "prompt",
            Task::Generate { .. } => "generate",
        }
    }
}

impl Step {
    /// A step named `name` doing `task` on the default model with the task's settings.
    pub fn new(name: &str, task: Task) -> Step {
        Step {
            name: Some(name.to_owned()),
            task,
            model: None,
            adapter: None,
            temperature: None,
            max_tokens: None,
        }
    }

    /// The step's column name: its own, else the task's ("summarize").
    pub fn title(&self) -> String {
        self.name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| self.task.kind().to_owned())
    }
}

impl Workflow {
    /// Reads a workflow file: JSON when it ends in `.json` or starts with `{`, TOML
    /// otherwise.
    pub fn from_file(path: &Path) -> Result<Workflow> {
        let text = std::fs::read_to_string(path).map_err(|source| CoreError::Io {
            what: format!("reading workflow {}", path.display()),
            source,
        })?;
        let json = path.extension().is_some_and(|e| e == "json");
        let workflow = Self::parse(&text, json).map_err(|e| CoreError::InvalidWorkflow {
            reason: format!("{}: {e}", path.display()),
        })?;
        Ok(workflow)
    }

    /// Parses TOML or JSON (JSON also when the text starts with `{`), then checks it.
    pub fn parse(text: &str, json: bool) -> Result<Workflow> {
        let workflow: Workflow = if json || text.trim_start().starts_with('{') {
            serde_json::from_str(text).map_err(|e| CoreError::InvalidWorkflow {
                reason: e.to_string(),
            })?
        } else {
            toml::from_str(text).map_err(|e| CoreError::InvalidWorkflow {
                reason: e.to_string(),
            })?
        };
        workflow.check()?;
        Ok(workflow)
    }

    pub fn to_toml(&self) -> Result<String> {
        toml::to_string_pretty(self).map_err(|e| CoreError::InvalidWorkflow {
            reason: format!("cannot be written as TOML: {e}"),
        })
    }

    pub fn to_json(&self) -> String {
        // Plain data with string keys: serializing cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Everything that can be checked without a model: names, labels, languages,
    /// schemas, counts and settings. The first problem is the error.
    pub fn check(&self) -> Result<()> {
        match self.problems().into_iter().next() {
            None => Ok(()),
            Some(reason) => Err(CoreError::InvalidWorkflow { reason }),
        }
    }

    /// Every problem [`Workflow::check`] would find, each naming its step, in order: what
    /// an editor shows at once, so the user fixes them all in one pass.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.name.trim().is_empty() {
            problems.push("the workflow needs a name".into());
        }
        if self.steps.is_empty() {
            problems.push(format!("`{}` has no steps; add one", self.name));
        }
        if self.steps.len() > MAX_STEPS {
            problems.push(format!(
                "`{}` has {} steps; at most {MAX_STEPS} are allowed",
                self.name,
                self.steps.len()
            ));
        }
        let mut titles = std::collections::BTreeSet::new();
        for (index, step) in self.steps.iter().enumerate() {
            let mut at = |reason: String| {
                problems.push(format!("step {} ({}): {reason}", index + 1, step.title()))
            };
            if !titles.insert(step.title().to_lowercase()) {
                at("another step has the same name; give one of them a `name`".into());
            }
            if let Some(t) = step.temperature {
                if !(0.0..=2.0).contains(&t) {
                    at(format!("temperature {t} is outside 0 to 2"));
                }
            }
            if let Some(adapter) = &step.adapter {
                if !adapter.scale.is_finite() || adapter.scale.abs() > hearth_llm::MAX_ADAPTER_SCALE
                {
                    at(format!(
                        "adapter scale {} is outside -{max} to {max}",
                        adapter.scale,
                        max = hearth_llm::MAX_ADAPTER_SCALE
                    ));
                }
            }
            if step.max_tokens == Some(0) {
                at("max_tokens must be at least 1".into());
            }
            if let Err(reason) = check_task(&step.task) {
                at(reason);
            }
        }
        problems
    }
}

fn check_task(task: &Task) -> std::result::Result<(), String> {
    match task {
        Task::Summarize { language, .. } => {
            if let Some(language) = language {
                Language::parse(language).map_err(|e| e.to_string())?;
            }
        }
        Task::Translate { to, from } => {
            Language::parse(to).map_err(|e| e.to_string())?;
            if let Some(from) = from {
                Language::parse(from).map_err(|e| e.to_string())?;
            }
        }
        Task::Classify { labels, .. } => {
            let mut unique: Vec<String> = labels.iter().map(|l| l.trim().to_lowercase()).collect();
            unique.sort();
            unique.dedup();
            if labels.len() < 2 || unique.len() != labels.len() {
                return Err("give at least two different labels".into());
            }
            if labels.iter().any(|l| l.trim().is_empty()) {
                return Err("a label is empty".into());
            }
        }
        Task::Extract { schema, .. } => check_schema(schema)?,
        Task::Generate { schema, count, .. } => {
            check_schema(schema)?;
            if !(1..=crate::generate::MAX_RECORDS).contains(count) {
                return Err(format!(
                    "count must be 1 to {}",
                    crate::generate::MAX_RECORDS
                ));
            }
        }
        Task::Prompt {
            template, prompt, ..
        } => match (template, prompt) {
            (Some(t), None) if !t.trim().is_empty() => {}
            (None, Some(p)) if !p.trim().is_empty() => {}
            (Some(_), Some(_)) => return Err("give `template` or `prompt`, not both".into()),
            _ => return Err("give a `template` text or the name of a library `prompt`".into()),
        },
    }
    Ok(())
}

/// A schema for an object that a validator accepts.
pub(crate) fn check_schema(schema: &serde_json::Value) -> std::result::Result<(), String> {
    if schema.get("type").and_then(|t| t.as_str()) != Some("object") {
        return Err("the schema must describe an object (\"type\": \"object\")".into());
    }
    jsonschema::validator_for(schema)
        .map(|_| ())
        .map_err(|e| format!("the schema is not valid JSON Schema: {e}"))
}

/// The workflows every installation has.
impl crate::saved::Definition for Workflow {
    const KIND: hearth_store::SavedKind = hearth_store::SavedKind::Workflow;
    const NOUN: &'static str = "workflow";
    fn name(&self) -> &str {
        &self.name
    }
    fn builtins() -> Vec<Self> {
        builtin_workflows()
    }
    fn check(&self) -> Result<()> {
        Workflow::check(self)
    }
    fn unknown(name: &str) -> CoreError {
        CoreError::UnknownWorkflow { name: name.into() }
    }
    fn invalid(reason: String) -> CoreError {
        CoreError::InvalidWorkflow { reason }
    }
}

pub fn builtin_workflows() -> Vec<Workflow> {
    let short_summary = || Task::Summarize {
        style: SummaryStyle::Paragraph,
        length: SummaryLength::Short,
        language: None,
    };
    vec![
        Workflow {
            name: "summarize-then-sentiment".into(),
            description: "A short summary of each text, then its sentiment".into(),
            steps: vec![
                Step::new("summary", short_summary()),
                Step::new(
                    "sentiment",
                    Task::Classify {
                        labels: vec!["positive".into(), "negative".into(), "neutral".into()],
                        instructions: Some("The sentiment of the text's author.".into()),
                    },
                ),
            ],
        },
        Workflow {
            name: "translate-then-summarize".into(),
            description: "Translate each text into English, then summarize the translation".into(),
            steps: vec![
                Step::new(
                    "english",
                    Task::Translate {
                        to: "English".into(),
                        from: None,
                    },
                ),
                Step::new("summary", short_summary()),
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRIAGE: &str = r#"
name = "triage"
description = "Sort customer mail"

[[steps]]
task = "summarize"
length = "short"

[[steps]]
name = "mood"
task = "classify"
labels = ["happy", "angry"]
model = "work:gpt-4o-mini"
temperature = 0.0

[[steps]]
task = "extract"
schema = { type = "object", properties = { order = { type = "string" } }, required = ["order"] }

[[steps]]
task = "prompt"
template = "Draft a reply to: {{source}}\nSummary: {{input}}"
"#;

    #[test]
    fn a_toml_workflow_reads_and_round_trips_through_both_formats() {
        let workflow = Workflow::parse(TRIAGE, false).unwrap();
        assert_eq!(workflow.steps.len(), 4);
        assert_eq!(workflow.steps[1].title(), "mood");
        assert_eq!(workflow.steps[1].model.as_deref(), Some("work:gpt-4o-mini"));
        assert_eq!(workflow.steps[2].title(), "extract");
        let again = Workflow::parse(&workflow.to_toml().unwrap(), false).unwrap();
        assert_eq!(again, workflow);
        let json = Workflow::parse(&workflow.to_json(), true).unwrap();
        assert_eq!(json, workflow);
    }

    #[test]
    fn mistakes_are_reported_with_the_step() {
        let cases = [
            (
                TRIAGE.replace("[\"happy\", \"angry\"]", "[\"happy\"]"),
                "step 2 (mood): give at least two",
            ),
            (
                TRIAGE.replace("type = \"object\"", "type = \"string\""),
                "step 3 (extract): the schema must describe an object",
            ),
            (
                TRIAGE.replace("task = \"summarize\"", "task = \"summarise\""),
                "unknown variant `summarise`",
            ),
            (
                TRIAGE.replace("temperature = 0.0", "temperature = 9.0"),
                "temperature 9 is outside",
            ),
            (
                TRIAGE.replace("name = \"mood\"", "name = \"summarize\""),
                "same name",
            ),
            (
                format!("{TRIAGE}\n[[steps]]\ntask = \"translate\"\nto = \"Klingon\"\n"),
                "unknown language `Klingon`",
            ),
            ("name = \"empty\"\nsteps = []\n".to_owned(), "has no steps"),
        ];
        for (text, expected) in cases {
            let error = Workflow::parse(&text, false).unwrap_err().to_string();
            assert!(error.contains(expected), "{expected:?} not in {error:?}");
        }
    }

    #[test]
    fn problems_names_every_mistake_with_its_step_and_check_reports_the_first() {
        let text = r#"
name = "many"
[[steps]]
task = "classify"
labels = ["yes", "Yes"]
temperature = 3.0
[[steps]]
task = "classify"
labels = ["a", "b"]
max_tokens = 0
"#;
        let workflow: Workflow = toml::from_str(text).unwrap();
        let problems = workflow.problems();
        assert_eq!(
            problems,
            [
                "step 1 (classify): temperature 3 is outside 0 to 2",
                "step 1 (classify): give at least two different labels",
                "step 2 (classify): another step has the same name; give one of them a `name`",
                "step 2 (classify): max_tokens must be at least 1",
            ]
        );
        let error = workflow.check().unwrap_err().to_string();
        assert!(error.contains(&problems[0]), "{error}");
    }

    #[test]
    fn the_builtins_are_valid() {
        for workflow in builtin_workflows() {
            workflow.check().unwrap();
        }
    }
}
