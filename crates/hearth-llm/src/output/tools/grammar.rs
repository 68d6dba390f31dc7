//! The GBNF grammar that holds a model's tool calls to their schemas. Each tool's
//! argument schema goes through llama.cpp's own JSON-schema converter; its rules are
//! renamed apart (`t0-…`, `t1-…`) and joined under rules for the family's call syntax
//! (`tc-…`). With `tool_choice: auto` the grammar is lazy: trigger patterns for the
//! family's call opener leave free text alone until the model starts a call; with
//! `required` or a named function it holds from the first token.

use std::collections::HashSet;
use std::fmt::Write as _;

use serde_json::Value;

use super::{command_r, deepseek, gpt_oss, granite, hermes, llama3, mistral, Family};
use crate::error::LlmError;
use crate::request::ToolSpec;

/// What the sampler needs to hold calls to their schemas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolGrammar {
    /// GBNF with a `root` rule, starting at the call's opener.
    pub grammar: String,
    /// Regular expressions that wake the grammar (empty: it holds from the start).
    pub triggers: Vec<String>,
    /// The family's markers, written out as text when the model generates them.
    pub preserved: Vec<String>,
}

/// The rules for tool `index`'s arguments, renamed `t{index}-…`; `t{index}-root` is the
/// whole arguments object. An error says why llama.cpp cannot use the schema.
pub(super) fn args_grammar(index: usize, schema: &Value) -> Result<String, String> {
    let Some(object) = schema.as_object() else {
        return Err("the parameters must be a JSON schema object, such as {\"type\": \"object\", \"properties\": {…}}".into());
    };
    if let Some(kind) = object.get("type") {
        if kind != "object" {
            return Err(format!(
                "the parameters must describe an object (\"type\": \"object\"), not {kind}"
            ));
        }
    }
    let text = serde_json::to_string(schema).map_err(|e| e.to_string())?;
    // llama.cpp's converter throws on what it cannot express (an unknown type, a $ref it
    // cannot resolve, a malformed keyword); the binding turns that into an error.
    let grammar = llama_cpp_2::json_schema_to_grammar(&text).map_err(|_| {
        "llama.cpp cannot turn it into a grammar: check it is a valid JSON schema (known types, $refs that resolve within it, well-formed keywords)".to_owned()
    })?;
    Ok(prefix_rules(&grammar, &format!("t{index}-")))
}

/// Renames every rule of `grammar` (one `name ::= body` per line, as llama.cpp's
/// converter writes them) and every reference to it, outside literals and character
/// classes.
fn prefix_rules(grammar: &str, prefix: &str) -> String {
    let names: HashSet<&str> = grammar
        .lines()
        .filter_map(|line| line.split_once(" ::= ").map(|(name, _)| name.trim()))
        .collect();
    let mut out = String::with_capacity(grammar.len() + 64);
    for line in grammar.lines() {
        let Some((name, body)) = line.split_once(" ::= ") else {
            continue;
        };
        let _ = write!(out, "{prefix}{} ::= ", name.trim());
        let mut chars = body.chars().peekable();
        let mut word = String::new();
        let flush = |word: &mut String, out: &mut String| {
            if !word.is_empty() {
                if names.contains(word.as_str()) {
                    out.push_str(prefix);
                }
                out.push_str(word);
                word.clear();
            }
        };
        while let Some(c) = chars.next() {
            match c {
                '"' | '[' => {
                    flush(&mut word, &mut out);
                    let close = if c == '"' { '"' } else { ']' };
                    out.push(c);
                    while let Some(d) = chars.next() {
                        out.push(d);
                        if d == '\\' {
                            if let Some(e) = chars.next() {
                                out.push(e);
                            }
                        } else if d == close {
                            break;
                        }
                    }
                }
                c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => word.push(c),
                c => {
                    flush(&mut word, &mut out);
                    out.push(c);
                }
            }
        }
        flush(&mut word, &mut out);
        out.push('\n');
    }
    out
}

/// A GBNF string literal for `text`.
fn lit(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\x{:02X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A GBNF literal for `text` as a JSON string (`"name"` with its quotes).
fn json_lit(text: &str) -> String {
    lit(&serde_json::to_string(text).unwrap_or_default())
}

/// Whitespace in trigger patterns, as `tc-ws` in the grammar: a trigger matching text
/// the grammar refuses would make llama.cpp throw when it replays that text.
const WS: &str = r"[ \t\n]{0,40}";

/// A regular expression matching `text` literally.
fn regex_escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\^$.|?*+()[]{}/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `item (sep item)*` when several are allowed, else `item`.
fn some(item: &str, sep: &str, parallel: bool) -> String {
    if parallel {
        format!("{item} ({sep} {item})*")
    } else {
        item.to_owned()
    }
}

/// A call as a JSON object: the name under `name_key`, the arguments under `args_key`.
fn json_call(index: usize, name: &str, name_key: &str, args_key: &str) -> String {
    format!(
        "\"{{\" tc-ws {} tc-ws \":\" tc-ws {} tc-ws \",\" tc-ws {} tc-ws \":\" tc-ws t{index}-root tc-ws \"}}\"",
        json_lit(name_key),
        json_lit(name),
        json_lit(args_key),
    )
}

pub(super) fn build(
    family: Family,
    tools: &[&ToolSpec],
    lazy: bool,
    parallel: bool,
) -> Result<ToolGrammar, LlmError> {
    let mut grammar = String::new();
    for (i, tool) in tools.iter().enumerate() {
        let rules =
            args_grammar(i, &tool.parameters).map_err(|reason| LlmError::InvalidSchema {
                reason: format!("tool `{}`: {reason}", tool.name),
            })?;
        grammar.push_str(&rules);
    }
    // The same whitespace as the triggers' `WS`: what wakes the grammar must fit it.
    grammar.push_str("tc-ws ::= [ \\t\\n]{0,40}\n");
    let call_rule = |body: &dyn Fn(usize, &str) -> String, grammar: &mut String| {
        let mut names = Vec::new();
        for (i, tool) in tools.iter().enumerate() {
            let _ = writeln!(grammar, "t{i}-call ::= {}", body(i, &tool.name));
            names.push(format!("t{i}-call"));
        }
        let _ = writeln!(grammar, "tc-call ::= {}", names.join(" | "));
    };
    let hermes_call = |i: usize, name: &str| json_call(i, name, "name", "arguments");
    let (root, triggers, preserved): (String, Vec<String>, Vec<&str>) = match family {
        Family::Hermes => {
            call_rule(&hermes_call, &mut grammar);
            let block = format!(
                "{} tc-ws tc-call tc-ws {}",
                lit(hermes::OPEN),
                lit(hermes::CLOSE)
            );
            let _ = writeln!(grammar, "tc-block ::= {block}");
            // Qwen2.5-Coder writes its calls in a ```json fence, or bare, at the start.
            let fence = lit(hermes::FENCE);
            let _ = writeln!(
                grammar,
                "tc-fenced ::= {fence} (\"json\")? \"\\n\" tc-ws tc-call tc-ws {fence}"
            );
            (
                format!(
                    "{} | tc-fenced | tc-call",
                    some("tc-block", "tc-ws", parallel)
                ),
                vec![
                    regex_escape(hermes::OPEN),
                    format!(r#"^{WS}(```(?:json)?\n{WS}\{{{WS}"name")"#),
                    format!(r#"^{WS}(\{{{WS}"name")"#),
                ],
                vec![hermes::OPEN, hermes::CLOSE],
            )
        }
        Family::Llama3 => {
            call_rule(
                &|i, name| {
                    json_call(i, name, "name", "parameters").replacen(
                        "\"{\" tc-ws",
                        "\"{\" tc-ws (\"\\\"type\\\"\" tc-ws \":\" tc-ws \"\\\"function\\\"\" tc-ws \",\" tc-ws)?",
                        1,
                    )
                },
                &mut grammar,
            );
            (
                format!("({})? tc-call", lit(llama3::PYTHON_TAG)),
                vec![
                    format!(r#"^{WS}(\{{{WS}(?:"type"{WS}:{WS}"function"{WS},{WS})?"name")"#),
                    regex_escape(llama3::PYTHON_TAG),
                ],
                vec![llama3::PYTHON_TAG],
            )
        }
        Family::MistralNemo => {
            call_rule(
                &|i, name| {
                    let call = json_call(i, name, "name", "arguments");
                    let end = "tc-ws \"}\"";
                    format!(
                        "{} tc-ws \",\" tc-ws \"\\\"id\\\"\" tc-ws \":\" tc-ws \"\\\"\" [a-zA-Z0-9]{{9}} \"\\\"\" {end}",
                        call.strip_suffix(end).unwrap_or(&call)
                    )
                },
                &mut grammar,
            );
            (
                format!(
                    "{} tc-ws \"[\" tc-ws {} tc-ws \"]\"",
                    lit(mistral::TOOL_CALLS),
                    some("tc-call", "tc-ws \",\" tc-ws", parallel)
                ),
                vec![regex_escape(mistral::TOOL_CALLS)],
                vec![mistral::TOOL_CALLS],
            )
        }
        Family::MistralArgs { call_id } => {
            call_rule(
                &|i, name| {
                    let id = if call_id {
                        format!("{} [a-zA-Z0-9]{{9}} ", lit(mistral::CALL_ID))
                    } else {
                        String::new()
                    };
                    format!("{} {id}{} t{i}-root", lit(name), lit(mistral::ARGS))
                },
                &mut grammar,
            );
            let block = format!("{} tc-call", lit(mistral::TOOL_CALLS));
            let _ = writeln!(grammar, "tc-block ::= {block}");
            (
                some("tc-block", "", parallel),
                vec![regex_escape(mistral::TOOL_CALLS)],
                vec![mistral::TOOL_CALLS, mistral::CALL_ID, mistral::ARGS],
            )
        }
        Family::GptOss => {
            call_rule(
                &|i, name| {
                    format!(
                        "{} tc-ws ({})? {} t{i}-root",
                        lit(name),
                        lit(&format!("{}json", gpt_oss::CONSTRAIN)),
                        lit(gpt_oss::MESSAGE)
                    )
                },
                &mut grammar,
            );
            let opener = format!("{}commentary to=functions.", gpt_oss::CHANNEL);
            (
                format!("{} tc-call", lit(&opener)),
                vec![regex_escape(&opener)],
                vec![
                    gpt_oss::START,
                    gpt_oss::CHANNEL,
                    gpt_oss::MESSAGE,
                    gpt_oss::CONSTRAIN,
                    gpt_oss::CALL,
                    gpt_oss::END,
                ],
            )
        }
        Family::FunctionaryV32 => {
            call_rule(
                &|i, name| format!("{} t{i}-root", lit(&format!("{name}\n"))),
                &mut grammar,
            );
            let names: Vec<String> = tools.iter().map(|t| regex_escape(&t.name)).collect();
            let names = names.join("|");
            (
                format!(
                    "({})? {}",
                    lit(super::functionary::SEPARATOR),
                    some("tc-call", &lit(super::functionary::SEPARATOR), parallel)
                ),
                vec![format!("^((?:{names})\\n)"), format!("(>>>(?:{names})\\n)")],
                vec![],
            )
        }
        Family::CommandR7b => {
            call_rule(
                &|i, name| {
                    format!(
                        "\"{{\" tc-ws \"\\\"tool_call_id\\\"\" tc-ws \":\" tc-ws \"\\\"\" [0-9]{{1,10}} \"\\\"\" tc-ws \",\" tc-ws \"\\\"tool_name\\\"\" tc-ws \":\" tc-ws {} tc-ws \",\" tc-ws \"\\\"parameters\\\"\" tc-ws \":\" tc-ws t{i}-root tc-ws \"}}\"",
                        json_lit(name)
                    )
                },
                &mut grammar,
            );
            (
                format!(
                    "{} tc-ws \"[\" tc-ws {} tc-ws \"]\" tc-ws {}",
                    lit(command_r::START_ACTION),
                    some("tc-call", "tc-ws \",\" tc-ws", parallel),
                    lit(command_r::END_ACTION)
                ),
                vec![regex_escape(command_r::START_ACTION)],
                vec![
                    command_r::START_ACTION,
                    command_r::END_ACTION,
                    command_r::START_RESPONSE,
                    command_r::END_RESPONSE,
                    "<|START_THINKING|>",
                    "<|END_THINKING|>",
                ],
            )
        }
        Family::Granite => {
            call_rule(&hermes_call, &mut grammar);
            (
                format!(
                    "{} tc-ws \"[\" tc-ws {} tc-ws \"]\"",
                    lit(granite::TOOL_CALL),
                    some("tc-call", "tc-ws \",\" tc-ws", parallel)
                ),
                vec![regex_escape(granite::TOOL_CALL)],
                vec![granite::TOOL_CALL],
            )
        }
        Family::DeepSeekR1 | Family::DeepSeekV31 => {
            let r1 = family == Family::DeepSeekR1;
            call_rule(
                &|i, name| {
                    if r1 {
                        format!(
                            "{} t{i}-root {}",
                            lit(&format!(
                                "{}function{}{name}\n```json\n",
                                deepseek::CALL_BEGIN,
                                deepseek::SEP
                            )),
                            lit(&format!("\n```{}", deepseek::CALL_END))
                        )
                    } else {
                        format!(
                            "{} t{i}-root {}",
                            lit(&format!("{}{name}{}", deepseek::CALL_BEGIN, deepseek::SEP)),
                            lit(deepseek::CALL_END)
                        )
                    }
                },
                &mut grammar,
            );
            (
                format!(
                    "{} {} {}",
                    lit(deepseek::CALLS_BEGIN),
                    some("tc-call", "tc-ws", parallel),
                    lit(deepseek::CALLS_END)
                ),
                vec![regex_escape(deepseek::CALLS_BEGIN)],
                vec![
                    deepseek::CALLS_BEGIN,
                    deepseek::CALL_BEGIN,
                    deepseek::SEP,
                    deepseek::CALL_END,
                    deepseek::CALLS_END,
                ],
            )
        }
        Family::Generic => {
            call_rule(&hermes_call, &mut grammar);
            // Only keys the grammar has may wake it.
            let keys = if parallel {
                "tool_call|tool_calls|name"
            } else {
                "tool_call|name"
            };
            let single = "\"{\" tc-ws \"\\\"tool_call\\\"\" tc-ws \":\" tc-ws tc-call tc-ws \"}\"";
            let root = if parallel {
                format!(
                    "{single} | \"{{\" tc-ws \"\\\"tool_calls\\\"\" tc-ws \":\" tc-ws \"[\" tc-ws {} tc-ws \"]\" tc-ws \"}}\" | tc-call",
                    some("tc-call", "tc-ws \",\" tc-ws", true)
                )
            } else {
                format!("{single} | tc-call")
            };
            (root, vec![format!(r#"^{WS}(\{{{WS}"(?:{keys})")"#)], vec![])
        }
    };
    let _ = writeln!(grammar, "root ::= {root}");
    Ok(ToolGrammar {
        grammar,
        triggers: if lazy { triggers } else { Vec::new() },
        preserved: preserved.into_iter().map(str::to_owned).collect(),
    })
}
