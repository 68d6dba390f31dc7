//! Running one step on one text: each task turned into model calls through the step's
//! (audited) engine, its answer checked (a label from the list, JSON that follows the
//! schema), and what the model was not shown said in a warning.

use std::collections::BTreeMap;
use std::time::Instant;

use hearth_docs::{Document, Format, Limits};
use hearth_llm::{ChatMessage, Engine, GenerationOptions};
use serde::{Deserialize, Serialize};

use super::definition::{Step, Task};
use crate::documents::{self, Cancellation, Language, SummaryOptions, TranslateOptions};
use crate::error::{CoreError, Result};
use crate::generate::{self, GenerateRequest};
use crate::prompts::{fill, PromptTemplate};

/// What a step made of one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepOutput {
    /// The step's column name.
    pub step: String,
    pub text: String,
    /// The model that wrote it, and its provider when it ran remotely.
    pub model: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// What the model did not see or what was odd ("input cut to fit").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub ms: u64,
}

/// What a step reads: the previous output, and the item it came from.
pub(crate) struct StepInput<'a> {
    pub text: &'a str,
    /// The item's text before any step.
    pub source: &'a str,
    /// The item's name (a file name, "text").
    pub item: &'a str,
    /// The item's document as read, when `text` is still that document (the first
    /// step): the summarizer cites its pages.
    pub document: Option<&'a Document>,
}

/// A resolved step: its definition, its engine, and a library prompt when it uses one.
pub(crate) struct ReadyStep {
    pub step: Step,
    pub engine: std::sync::Arc<dyn Engine>,
    pub library_prompt: Option<PromptTemplate>,
    /// A translate step's model writes English only (see [`crate::multilingual`]).
    pub cannot_write: bool,
}

impl ReadyStep {
    pub(crate) fn run(&self, input: &StepInput<'_>, cancel: &Cancellation) -> Result<StepOutput> {
        let started = Instant::now();
        let info = self.engine.info();
        let mut warnings = Vec::new();
        let text = match &self.step.task {
            Task::Summarize {
                style,
                length,
                language,
            } => {
                let owned;
                let document = match input.document {
                    Some(document) => document,
                    None => {
                        owned = text_document(input.text)?;
                        &owned
                    }
                };
                let options = SummaryOptions {
                    style: *style,
                    length: *length,
                    language: language.as_deref().map(Language::parse).transpose()?,
                    max_part_tokens: None,
                    parallel: None,
                };
                let summary = documents::summarize(
                    self.engine.as_ref(),
                    document,
                    &options,
                    &mut |_| {},
                    cancel,
                )?;
                warnings.extend(summary.warnings.iter().cloned());
                summary.text
            }
            Task::Translate { to, from } => {
                let options = TranslateOptions {
                    from: from.as_deref().map(Language::parse).transpose()?,
                    ..TranslateOptions::new(Language::parse(to)?)
                };
                let translation = documents::translate(
                    self.engine.as_ref(),
                    input.text,
                    &options,
                    self.cannot_write,
                    &mut |_| {},
                    cancel,
                )?;
                warnings.extend(translation.warnings);
                translation.text
            }
            Task::Classify {
                labels,
                instructions,
            } => {
                let schema = serde_json::json!({
                    "type": "object",
                    "properties": {"label": {"type": "string", "enum": labels}},
                    "required": ["label"]
                });
                let (text, cut) = self.fit(input.text, 64)?;
                warnings.extend(cut);
                let question = format!(
                    "{}Choose the one label that fits the text best: {}.\n\nText:\n\"\"\"\n{}\n\"\"\"",
                    instructions
                        .as_deref()
                        .map(|i| format!("{}\n", i.trim()))
                        .unwrap_or_default(),
                    labels.join(", "),
                    text
                );
                let answer = self.ask(
                    "You classify texts. Answer with JSON naming one label from the list.",
                    question,
                    Some(schema),
                    0.0,
                    64,
                )?;
                label_from(&answer, labels)?
            }
            Task::Extract {
                schema,
                instructions,
            } => {
                let (text, cut) = self.fit(input.text, self.max_tokens(512))?;
                warnings.extend(cut);
                let question = format!(
                    "{}Fill the fields from the text below. Use only what the text says.\n\nText:\n\"\"\"\n{}\n\"\"\"",
                    instructions
                        .as_deref()
                        .map(|i| format!("{}\n", i.trim()))
                        .unwrap_or_default(),
                    text
                );
                let answer = self.ask(
                    "You extract information from texts into JSON.",
                    question,
                    Some(schema.clone()),
                    0.0,
                    512,
                )?;
                valid_json(&answer, schema)?.to_string()
            }
            Task::Prompt {
                template,
                variables,
                system,
                ..
            } => {
                let reserve = self.max_tokens(1024);
                let (text, cut) = self.fit(input.text, reserve)?;
                warnings.extend(cut);
                let mut values = BTreeMap::from([
                    ("input".to_owned(), text),
                    ("source".to_owned(), input.source.to_owned()),
                    ("item".to_owned(), input.item.to_owned()),
                ]);
                // A library prompt's variables may name the step's own: `points =
                // "{{input}}"` hands the previous step's output to the template.
                let own: Vec<(String, String)> = variables
                    .iter()
                    .map(|(name, value)| (name.clone(), fill(value, &values)))
                    .collect();
                values.extend(own);
                let (body, library_system) = match (&self.library_prompt, template) {
                    (Some(library), _) => {
                        let rendered = library.render(&values)?;
                        (rendered.text, rendered.system)
                    }
                    (None, Some(template)) => (fill(template, &values), None),
                    (None, None) => {
                        return Err(CoreError::InvalidWorkflow {
                            reason: "a prompt step needs a template".into(),
                        })
                    }
                };
                // A template that never mentions the input gets it after the text, so
                // the step still works on each item.
                let mentions_input = template.as_deref().unwrap_or_default().contains("{{")
                    || self.library_prompt.is_some();
                let body = if mentions_input {
                    body
                } else {
                    format!("{body}\n\n{}", values["input"])
                };
                let system = system.clone().or(library_system);
                self.ask(
                    system.as_deref().unwrap_or("You are a helpful assistant."),
                    body,
                    None,
                    0.7,
                    1024,
                )?
            }
            Task::Generate {
                schema,
                count,
                instructions,
                seed,
            } => {
                let request = GenerateRequest {
                    schema: schema.clone(),
                    count: *count,
                    instructions: instructions.clone(),
                    source: Some(input.text.to_owned()),
                    seed: *seed,
                    temperature: self.step.temperature,
                    max_tokens: self.step.max_tokens,
                };
                let data = generate::generate(self.engine.as_ref(), &request, &mut |_| {}, cancel)?;
                warnings.extend(data.warnings);
                serde_json::Value::Array(data.records).to_string()
            }
        };
        Ok(StepOutput {
            step: self.step.title(),
            text: text.trim().to_owned(),
            model: info.name,
            provider: info.provider,
            warnings,
            ms: started.elapsed().as_millis() as u64,
        })
    }

    fn max_tokens(&self, default: u32) -> u32 {
        self.step.max_tokens.unwrap_or(default)
    }

    /// One question with the step's settings; the answer's text.
    fn ask(
        &self,
        system: &str,
        question: String,
        json_schema: Option<serde_json::Value>,
        default_temperature: f32,
        default_max_tokens: u32,
    ) -> Result<String> {
        let options = GenerationOptions {
            temperature: self.step.temperature.unwrap_or(default_temperature),
            max_tokens: Some(self.max_tokens(default_max_tokens)),
            json_schema,
            // A fixed seed: the same workflow on the same text gives the same answer.
            seed: Some(0),
            ..GenerationOptions::default()
        };
        let messages = [ChatMessage::system(system), ChatMessage::user(question)];
        let (generation, _template) = self.engine.chat(&messages, options)?;
        Ok(generation.wait()?.text)
    }

    /// The text cut to what fits the model's context with `reserve` tokens left for
    /// the answer and ~200 for the instructions, with a warning when it was cut (the
    /// results say what the model did not see).
    fn fit(&self, text: &str, reserve: u32) -> Result<(String, Option<String>)> {
        let context = self.engine.info().context_length as usize;
        let room = context.saturating_sub(reserve as usize + 200);
        if room < 64 {
            return Err(CoreError::ContextTooSmall {
                context,
                needed: reserve as usize + 264,
            });
        }
        let total = self.engine.count_tokens(text)?;
        if total <= room {
            return Ok((text.to_owned(), None));
        }
        // Cut by the share that fits, then by a tenth more until it does.
        let mut share = room as f64 / total as f64;
        loop {
            let mut cut = ((text.len() as f64) * share) as usize;
            while cut > 0 && !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let part = &text[..cut];
            if cut == 0 || self.engine.count_tokens(part)? <= room {
                let shown = self.engine.count_tokens(part)?;
                return Ok((
                    part.to_owned(),
                    Some(format!(
                        "the model saw the first {shown} of {total} tokens of its input (its context holds {context})"
                    )),
                ));
            }
            share *= 0.9;
        }
    }
}

/// Text as a document for the summarizer (Markdown, so headings become sections).
fn text_document(text: &str) -> Result<Document> {
    Ok(hearth_docs::read_bytes(
        text.as_bytes(),
        Format::Markdown,
        &Limits::default(),
    )?)
}

/// The label the model chose: the constrained JSON's, or a label named in a free answer
/// (a remote model without JSON mode).
fn label_from(answer: &str, labels: &[String]) -> Result<String> {
    let chosen = serde_json::from_str::<serde_json::Value>(answer.trim())
        .ok()
        .and_then(|v| v.get("label").and_then(|l| l.as_str()).map(str::to_owned))
        .unwrap_or_else(|| answer.trim().to_owned());
    labels
        .iter()
        .find(|label| label.eq_ignore_ascii_case(chosen.trim()))
        .or_else(|| {
            let lower = chosen.to_lowercase();
            labels
                .iter()
                .find(|label| lower.contains(&label.to_lowercase()))
        })
        .cloned()
        .ok_or_else(|| CoreError::InvalidWorkflow {
            reason: format!(
                "the model answered `{}`, which is none of the labels {}",
                chosen.chars().take(80).collect::<String>(),
                labels.join(", ")
            ),
        })
}

/// The answer as JSON that follows `schema`, or an error saying how it does not.
fn valid_json(answer: &str, schema: &serde_json::Value) -> Result<serde_json::Value> {
    let value: serde_json::Value =
        serde_json::from_str(answer.trim()).map_err(|e| CoreError::InvalidWorkflow {
            reason: format!("the model's answer is not JSON ({e})"),
        })?;
    let validator = jsonschema::validator_for(schema).map_err(|e| CoreError::InvalidWorkflow {
        reason: format!("the schema is not valid JSON Schema: {e}"),
    })?;
    if let Some(error) = validator.iter_errors(&value).next() {
        return Err(CoreError::InvalidWorkflow {
            reason: format!("the model's answer does not follow the schema: {error}"),
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_library_prompt_gets_the_previous_output_through_its_variables() {
        let engine = std::sync::Arc::new(hearth_llm::fake::FakeEngine::new());
        engine.reply_with(["Dear Bo, thanks."]);
        let step = ReadyStep {
            step: Step {
                name: None,
                task: Task::Prompt {
                    template: None,
                    prompt: Some("email".into()),
                    variables: BTreeMap::from([
                        ("tone".to_owned(), "warm".to_owned()),
                        ("recipient".to_owned(), "{{item}}".to_owned()),
                        ("points".to_owned(), "{{input}}".to_owned()),
                    ]),
                    system: None,
                },
                model: None,
                adapter: None,
                temperature: None,
                max_tokens: None,
            },
            engine: engine.clone(),
            library_prompt: crate::prompts::builtin_prompts()
                .into_iter()
                .find(|p| p.name == "email"),
            cannot_write: false,
        };
        let output = step
            .run(
                &StepInput {
                    text: "the parcel came on time",
                    source: "original",
                    item: "Bo",
                    document: None,
                },
                &Cancellation::new(),
            )
            .unwrap();
        assert_eq!(output.text, "Dear Bo, thanks.");
        let prompt = format!("{:?}", engine.received()[0].prompt);
        assert!(prompt.contains("Write a warm email to Bo"), "{prompt}");
        assert!(prompt.contains("the parcel came on time"), "{prompt}");
        assert!(!prompt.contains("{{"), "{prompt}");
    }

    #[test]
    fn labels_are_read_from_json_or_free_text() {
        let labels = vec!["positive".to_owned(), "negative".to_owned()];
        assert_eq!(
            label_from(r#"{"label": "negative"}"#, &labels).unwrap(),
            "negative"
        );
        assert_eq!(label_from("Positive.", &labels).unwrap(), "positive");
        assert!(label_from("unsure", &labels)
            .unwrap_err()
            .to_string()
            .contains("none of the labels positive, negative"));
    }

    #[test]
    fn json_is_checked_against_the_schema() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {"n": {"type": "integer"}},
            "required": ["n"]
        });
        assert!(valid_json(r#"{"n": 3}"#, &schema).is_ok());
        let error = valid_json(r#"{"n": "x"}"#, &schema)
            .unwrap_err()
            .to_string();
        assert!(error.contains("does not follow the schema"), "{error}");
        assert!(valid_json("nope", &schema).is_err());
    }
}
