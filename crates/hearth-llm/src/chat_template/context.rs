//! The variables a chat template reads, in the shape Hugging Face templates are written
//! for: what transformers' `apply_chat_template` passes (`messages`, `tools`,
//! `documents`, `add_generation_prompt`, the special tokens, extra switches such as
//! `enable_thinking`), with messages in the OpenAI shape llama.cpp's server builds
//! (common/chat.cpp).
//!
//! - A message is `{role, content}`, plus `reasoning_content` on an assistant turn with
//!   thinking (also copied to `thinking`, first, as transformers does for gpt-oss),
//!   `name` and `tool_call_id` on a tool result, and `tool_calls` as
//!   `[{id, type: "function", function: {name, arguments}}]`.
//! - Tool-call arguments are a JSON string, as an OpenAI client sends them, unless the
//!   template only reads them as a mapping (see `Arguments`).
//! - `tools` is `[{type: "function", function: {name, description, parameters}}]`, or
//!   None when there are none (transformers passes None, so `tools is not none` works);
//!   `documents` is None.
//! - `enable_thinking` and `reasoning_effort` are only defined when the caller set them,
//!   so a template's own default (`enable_thinking is not defined`) still applies.

use minijinja::value::{Serde, Value};

use super::python;
use crate::request::{ChatMessage, Role, ToolSpec};

/// How tool-call arguments reach the template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arguments {
    /// The arguments object as compact JSON text.
    Text,
    /// The arguments object itself, for templates that iterate `arguments.items()`.
    Object,
}

/// What one render is given.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Inputs<'a> {
    pub messages: &'a [ChatMessage],
    pub tools: &'a [ToolSpec],
    pub add_generation_prompt: bool,
    pub enable_thinking: Option<bool>,
    pub reasoning_effort: Option<&'a str>,
    pub bos_token: &'a str,
    pub eos_token: &'a str,
}

/// The template's global variables.
pub(crate) fn variables(inputs: &Inputs<'_>, arguments: Arguments) -> Value {
    let mut vars: Vec<(&str, Value)> = vec![
        (
            "messages",
            inputs
                .messages
                .iter()
                .map(|m| message(m, arguments))
                .collect(),
        ),
        ("tools", tools(inputs.tools)),
        ("documents", python::none()),
        (
            "add_generation_prompt",
            Value::from(inputs.add_generation_prompt),
        ),
        ("bos_token", Value::from(inputs.bos_token)),
        ("eos_token", Value::from(inputs.eos_token)),
    ];
    if let Some(enabled) = inputs.enable_thinking {
        vars.push(("enable_thinking", Value::from(enabled)));
    }
    if let Some(effort) = inputs.reasoning_effort {
        vars.push(("reasoning_effort", Value::from(effort)));
    }
    Value::from_pairs(vars)
}

fn message(m: &ChatMessage, arguments: Arguments) -> Value {
    let reasoning = m
        .reasoning
        .as_deref()
        .filter(|r| m.role == Role::Assistant && !r.is_empty());
    let mut fields: Vec<(&str, Value)> = Vec::with_capacity(8);
    if let Some(reasoning) = reasoning {
        fields.push(("thinking", Value::from(reasoning)));
    }
    fields.push(("role", Value::from(m.role.as_str())));
    fields.push(("content", Value::from(m.content.as_str())));
    if let Some(reasoning) = reasoning {
        fields.push(("reasoning_content", Value::from(reasoning)));
    }
    if let Some(name) = m.name.as_deref().filter(|n| !n.is_empty()) {
        fields.push(("name", Value::from(name)));
    }
    if let Some(id) = m.tool_call_id.as_deref().filter(|id| !id.is_empty()) {
        fields.push(("tool_call_id", Value::from(id)));
    }
    if !m.tool_calls.is_empty() {
        let calls: Vec<Value> = m
            .tool_calls
            .iter()
            .map(|call| {
                let args = match (arguments, &call.arguments) {
                    // Arguments kept as text (a model's call that was not JSON) stay
                    // that text; for a mapping, text that is JSON is read, as
                    // llama.cpp does.
                    (Arguments::Text, serde_json::Value::String(text)) => {
                        Value::from(text.as_str())
                    }
                    (Arguments::Text, object) => Value::from(object.to_string()),
                    (Arguments::Object, serde_json::Value::String(text)) => {
                        match serde_json::from_str::<serde_json::Value>(text) {
                            Ok(parsed) => Value::from(Serde(parsed)),
                            Err(_) => Value::from(text.as_str()),
                        }
                    }
                    (Arguments::Object, object) => Value::from(Serde(object)),
                };
                Value::from_pairs([
                    ("id", Value::from(call.id.as_str())),
                    ("type", Value::from("function")),
                    (
                        "function",
                        Value::from_pairs([
                            ("name", Value::from(call.name.as_str())),
                            ("arguments", args),
                        ]),
                    ),
                ])
            })
            .collect();
        fields.push(("tool_calls", Value::from(calls)));
    }
    Value::from_pairs(fields)
}

fn tools(tools: &[ToolSpec]) -> Value {
    if tools.is_empty() {
        return python::none();
    }
    tools
        .iter()
        .map(|tool| {
            let mut function: Vec<(&str, Value)> = vec![("name", Value::from(tool.name.as_str()))];
            if let Some(description) = &tool.description {
                function.push(("description", Value::from(description.as_str())));
            }
            function.push(("parameters", Value::from(Serde(&tool.parameters))));
            Value::from_pairs([
                ("type", Value::from("function")),
                ("function", Value::from_pairs(function)),
            ])
        })
        .collect()
}
