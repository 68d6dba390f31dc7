//! The prompt library: reusable templates with `{{variables}}` (an email, a post, a
//! piece of code, a report), filled in from the chat or used as a workflow step.
//!
//! Templates are plain text. `{{name}}` is replaced by the variable's value; names are
//! letters, digits, `_` and `-`. A variable left without a value is an error naming it,
//! so a half-filled prompt never reaches a model. A few templates are built in; saved
//! ones live in the history database and may not take a built-in's name.

use std::collections::{BTreeMap, BTreeSet};

use hearth_store::SavedKind;
use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::hearth::Hearth;
use crate::saved::{self, Definition};

/// A reusable prompt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PromptTemplate {
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The text with `{{variables}}`.
    pub body: String,
    /// An optional system prompt sent before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
}

/// A template as listed: built in or saved, with its variables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PromptView {
    #[serde(flatten)]
    pub template: PromptTemplate,
    pub variables: Vec<String>,
    pub builtin: bool,
}

/// A filled-in template, ready to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RenderedPrompt {
    pub system: Option<String>,
    pub text: String,
}

impl PromptTemplate {
    /// The variables the body (and system prompt) use, in order of first use.
    pub fn variables(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut names = Vec::new();
        for text in std::iter::once(self.body.as_str()).chain(self.system.as_deref()) {
            for name in variables_in(text) {
                if seen.insert(name.clone()) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// Fills every variable; one without a value is an error that names it.
    pub fn render(&self, values: &BTreeMap<String, String>) -> Result<RenderedPrompt> {
        let missing: Vec<String> = self
            .variables()
            .into_iter()
            .filter(|name| !values.contains_key(name))
            .collect();
        if !missing.is_empty() {
            return Err(CoreError::MissingVariables {
                prompt: self.name.clone(),
                missing: missing.join(", "),
            });
        }
        Ok(RenderedPrompt {
            system: self.system.as_deref().map(|s| fill(s, values)),
            text: fill(&self.body, values),
        })
    }

    /// A name, a non-empty body, and variable names that can be filled.
    pub fn check(&self) -> Result<()> {
        let invalid = |reason: String| CoreError::InvalidPrompt { reason };
        if self.name.trim().is_empty() {
            return Err(invalid("the prompt needs a name".into()));
        }
        if self.body.trim().is_empty() {
            return Err(invalid(format!("prompt `{}` has no text", self.name)));
        }
        Ok(())
    }
}

/// `{{ name }}` occurrences in `text`; spaces inside the braces are allowed.
fn variables_in(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim();
        if is_variable_name(name) {
            names.push(name.to_owned());
        }
        rest = &after[end + 2..];
    }
    names
}

fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

/// Replaces each `{{name}}` that has a value in one pass, so a value that itself
/// contains `{{…}}` is left as written rather than filled again.
pub(crate) fn fill(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim();
        out.push_str(&rest[..start]);
        match values.get(name).filter(|_| is_variable_name(name)) {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// Parses `NAME=VALUE` pairs (the CLI's `--var`).
pub fn parse_variables(pairs: &[String]) -> Result<BTreeMap<String, String>> {
    pairs
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                .filter(|(k, _)| is_variable_name(k))
                .ok_or_else(|| CoreError::InvalidPrompt {
                    reason: format!("`{pair}` is not NAME=VALUE"),
                })
        })
        .collect()
}

/// The templates every installation has.
pub fn builtin_prompts() -> Vec<PromptTemplate> {
    let template = |name: &str, description: &str, body: &str| PromptTemplate {
        name: name.into(),
        description: description.into(),
        body: body.into(),
        system: None,
    };
    vec![
        template(
            "email",
            "A short email in a given tone",
            "Write a {{tone}} email to {{recipient}} about the following. Keep it short and \
             end with a clear next step.\n\n{{points}}",
        ),
        template(
            "post",
            "A social media post",
            "Write a {{platform}} post for {{audience}} about the following. At most three \
             short paragraphs, no hashtags unless they help.\n\n{{topic}}",
        ),
        template(
            "code",
            "Code for a described task",
            "Write {{language}} code that does the following. Give the code in one block, \
             then one sentence on how to run it.\n\n{{task}}",
        ),
        template(
            "report",
            "A structured report from notes",
            "Turn these notes into a report for {{audience}} with the headings Summary, \
             Findings and Next steps.\n\n{{notes}}",
        ),
    ]
}

impl Definition for PromptTemplate {
    const KIND: SavedKind = SavedKind::Prompt;
    const NOUN: &'static str = "prompt";
    fn name(&self) -> &str {
        &self.name
    }
    fn builtins() -> Vec<Self> {
        builtin_prompts()
    }
    fn check(&self) -> Result<()> {
        PromptTemplate::check(self)
    }
    fn unknown(name: &str) -> CoreError {
        CoreError::UnknownPrompt { name: name.into() }
    }
    fn invalid(reason: String) -> CoreError {
        CoreError::InvalidPrompt { reason }
    }
}

impl Hearth {
    /// Built-in templates, then saved ones, by name.
    pub fn prompts(&self) -> Result<Vec<PromptView>> {
        Ok(saved::list::<PromptTemplate>(&self.store)?
            .into_iter()
            .map(|listed| view(listed.definition, listed.builtin))
            .collect())
    }

    /// A template by name (without regard to case).
    pub fn prompt(&self, name: &str) -> Result<PromptTemplate> {
        saved::find(&self.store, name)
    }

    /// Saves a template (replacing a saved one of the same name).
    pub fn save_prompt(&self, template: &PromptTemplate) -> Result<PromptView> {
        saved::save(&self.store, template)?;
        Ok(view(template.clone(), false))
    }

    /// Deletes a saved template; built-ins cannot be deleted.
    pub fn delete_prompt(&self, name: &str) -> Result<()> {
        saved::delete::<PromptTemplate>(&self.store, name)
    }

    /// Fills a template by name.
    pub fn render_prompt(
        &self,
        name: &str,
        values: &BTreeMap<String, String>,
    ) -> Result<RenderedPrompt> {
        self.prompt(name)?.render(values)
    }
}

fn view(template: PromptTemplate, builtin: bool) -> PromptView {
    PromptView {
        variables: template.variables(),
        template,
        builtin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn variables_are_found_once_in_order_and_filled() {
        let template = PromptTemplate {
            name: "t".into(),
            description: String::new(),
            body: "Dear {{ name }}, about {{topic}}: {{name}}. {{not a var}} {{".into(),
            system: Some("Write as {{role}}.".into()),
        };
        assert_eq!(template.variables(), ["name", "topic", "role"]);
        let rendered = template
            .render(&values(&[
                ("name", "Ana {{topic}}"),
                ("topic", "rent"),
                ("role", "a clerk"),
            ]))
            .unwrap();
        // A value containing braces is not filled again.
        assert_eq!(
            rendered.text,
            "Dear Ana {{topic}}, about rent: Ana {{topic}}. {{not a var}} {{"
        );
        assert_eq!(rendered.system.as_deref(), Some("Write as a clerk."));
    }

    #[test]
    fn a_missing_variable_is_named() {
        let email = builtin_prompts().remove(0);
        let error = email
            .render(&values(&[("tone", "friendly")]))
            .unwrap_err()
            .to_string();
        assert!(error.contains("recipient, points"), "{error}");
    }

    #[test]
    fn variables_parse_from_pairs() {
        let parsed = parse_variables(&["a=1".into(), "b= x=y".into()]).unwrap();
        assert_eq!(parsed, values(&[("a", "1"), ("b", " x=y")]));
        assert!(parse_variables(&["novalue".into()]).is_err());
        assert!(parse_variables(&["bad name=1".into()]).is_err());
    }

    #[test]
    fn every_builtin_is_valid_and_has_variables() {
        for prompt in builtin_prompts() {
            prompt.check().unwrap();
            assert!(!prompt.variables().is_empty(), "{}", prompt.name);
        }
    }
}
