//! The Jinja environment chat templates run in: minijinja set up to behave as
//! transformers' (`ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
//! extensions=[loopcontrols])` with its `tojson`, `raise_exception` and
//! `strftime_now`), plus the Python behaviour templates lean on: string and dict
//! methods (`.strip()`, `.split()`, `.items()`...), `str()` of values, and jinja2's
//! tests and filters where minijinja's differ.
//!
//! Templates come from model files, which anyone can write, so rendering is bounded:
//! minijinja has no file or network access, and a fuel budget caps both the steps a
//! render may take and the memory it may fill.

use std::borrow::Cow;

use chrono::format::{Item, StrftimeItems};
use chrono::NaiveDateTime;
use minijinja::syntax::SyntaxConfig;
use minijinja::value::{Kwargs, Rest, Value, ValueKind};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, UndefinedBehavior};

use super::context::{self, Arguments, Inputs};
use super::python;
use crate::request::{ChatMessage, ToolCall};

/// The most work one render may do: about that many instructions, or 64 times as many
/// bytes of text. The largest of llama.cpp's 70 reference templates uses well under a
/// tenth of it for a conversation with tools.
pub(crate) const FUEL: u64 = 2_000_000;

/// The name a template is compiled under in its environment.
pub(crate) const TEMPLATE_NAME: &str = "chat_template";

/// What `strftime_now` reads: the clock, or a fixed moment (tests, so that a template
/// that writes today's date renders the same every day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Clock {
    #[default]
    Local,
    Fixed(NaiveDateTime),
}

impl Clock {
    fn now(self) -> NaiveDateTime {
        match self {
            Clock::Local => chrono::Local::now().naive_local(),
            Clock::Fixed(at) => at,
        }
    }
}

/// A chat template compiled in its environment, with the way it wants tool-call
/// arguments found out once.
#[derive(Debug)]
pub(crate) struct CompiledTemplate {
    env: Environment<'static>,
    arguments: Arguments,
}

impl CompiledTemplate {
    pub fn new(source: &str, clock: Clock) -> Result<Self, Error> {
        let mut env = environment(clock)?;
        env.add_template_owned(TEMPLATE_NAME, prepare_source(source))?;
        let mut template = Self {
            env,
            arguments: Arguments::Text,
        };
        template.arguments = template.probe_arguments();
        Ok(template)
    }

    pub fn render(&self, inputs: &Inputs<'_>) -> Result<String, Error> {
        self.render_with(inputs, self.arguments)
    }

    fn render_with(&self, inputs: &Inputs<'_>, arguments: Arguments) -> Result<String, Error> {
        self.env
            .get_template(TEMPLATE_NAME)?
            .render(context::variables(inputs, arguments))
    }

    /// Whether tool-call arguments go in as text or as a mapping. OpenAI clients send
    /// text and most templates write it as it is; some only read a mapping
    /// (`arguments.items()`, `arguments|tojson`). As llama.cpp's capability probe does:
    /// render a call both ways, and choose the mapping only when the text fails or never
    /// appears as JSON while the mapping renders with its key.
    fn probe_arguments(&self) -> Arguments {
        const KEY: &str = "argument_needle";
        let arguments = serde_json::json!({ KEY: "print('Hello, World!')" });
        let messages = [
            ChatMessage::user("Hey"),
            ChatMessage {
                tool_calls: vec![ToolCall {
                    id: "call00001".into(),
                    name: "probe_tool".into(),
                    arguments,
                }],
                ..ChatMessage::assistant("")
            },
        ];
        let inputs = Inputs {
            messages: &messages,
            tools: &[],
            add_generation_prompt: false,
            enable_thinking: None,
            reasoning_effort: None,
            bos_token: "<s>",
            eos_token: "</s>",
        };
        let Ok(as_object) = self.render_with(&inputs, Arguments::Object) else {
            return Arguments::Text;
        };
        match self.render_with(&inputs, Arguments::Text) {
            Err(_) => Arguments::Object,
            Ok(as_text) if as_object.contains(KEY) && !as_text.contains(&format!("\"{KEY}\"")) => {
                Arguments::Object
            }
            Ok(_) => Arguments::Text,
        }
    }
}

/// transformers registers a `{% generation %}` block (it marks the assistant's tokens
/// for training masks and otherwise renders its body); minijinja has no custom tags, and
/// an `if true` block renders the same body with the same whitespace control.
fn prepare_source(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(start) = rest.find("{%") {
        out.push_str(&rest[..start]);
        let tag = &rest[start..];
        let Some(end) = tag.find("%}") else {
            out.push_str(tag);
            return out;
        };
        let inner = &tag[2..end];
        let open_trim = inner.starts_with(['-', '+']);
        let close_trim = inner.ends_with(['-', '+']);
        let body = inner
            .trim_start_matches(['-', '+'])
            .trim_end_matches(['-', '+'])
            .trim();
        let replacement = match body {
            "generation" => Some("if true"),
            "endgeneration" => Some("endif"),
            _ => None,
        };
        match replacement {
            Some(word) => {
                out.push_str("{%");
                if open_trim {
                    out.push_str(&inner[..1]);
                }
                out.push(' ');
                out.push_str(word);
                out.push(' ');
                if close_trim {
                    out.push_str(&inner[inner.len() - 1..]);
                }
                out.push_str("%}");
            }
            None => out.push_str(&tag[..end + 2]),
        }
        rest = &tag[end + 2..];
    }
    out.push_str(rest);
    out
}

fn environment(clock: Clock) -> Result<Environment<'static>, Error> {
    let mut env = Environment::new();
    let syntax = SyntaxConfig::builder()
        .trim_blocks(true)
        .lstrip_blocks(true)
        .keep_trailing_newline(false)
        .build()?;
    env.set_syntax(syntax);
    env.set_auto_escape_callback(|_| AutoEscape::None);
    env.set_undefined_behavior(UndefinedBehavior::Lenient);
    env.set_fuel(Some(FUEL));
    env.set_formatter(|out, _state, value| {
        out.write_str(&python::str_of(value))
            .map_err(|_| Error::new(ErrorKind::WriteFailure, "could not write the output"))
    });
    env.set_unknown_method_callback(method);

    env.add_function("raise_exception", raise_exception);
    env.add_function("strftime_now", move |format: &str| {
        strftime(clock.now(), format)
    });

    env.add_filter("tojson", tojson);
    env.add_filter("string", |value: &Value| python::str_of(value));
    env.add_filter("trim", trim);
    env.add_filter("join", join);
    env.add_filter("indent", indent);

    // jinja2's filters that yield: their results are one-pass generators, which Python
    // cannot measure, serialize or walk twice (minijinja's give lists). The built-ins
    // stay registered under names no template can write.
    for name in [
        "map",
        "select",
        "reject",
        "selectattr",
        "rejectattr",
        "unique",
        "items",
        "reverse",
    ] {
        let builtin = format!("builtin {name}");
        match name {
            "map" => env.add_filter(builtin.clone(), minijinja::filters::map),
            "select" => env.add_filter(builtin.clone(), minijinja::filters::select),
            "reject" => env.add_filter(builtin.clone(), minijinja::filters::reject),
            "selectattr" => env.add_filter(builtin.clone(), minijinja::filters::selectattr),
            "rejectattr" => env.add_filter(builtin.clone(), minijinja::filters::rejectattr),
            "unique" => env.add_filter(builtin.clone(), minijinja::filters::unique),
            "items" => env.add_filter(builtin.clone(), minijinja::filters::items),
            _ => env.add_filter(builtin.clone(), minijinja::filters::reverse),
        }
        env.add_filter(name, move |state: &mut State, args: Rest<Value>| {
            let value = args.first().cloned().unwrap_or_default();
            // jinja2's map/select/reject start with `if value:`: None or an empty
            // value yields nothing rather than failing.
            let guarded = matches!(
                name,
                "map" | "select" | "reject" | "selectattr" | "rejectattr"
            );
            if guarded && !value.is_true() {
                return Ok(python::Generator::value(Vec::new()));
            }
            if name == "reverse" && value.kind() == ValueKind::String {
                return state.apply_filter(&builtin, &args);
            }
            if !guarded && python::is_none(&value) {
                return Err(Error::new(
                    ErrorKind::InvalidOperation,
                    format!("{name}: 'NoneType' object is not iterable"),
                ));
            }
            let result = state.apply_filter(&builtin, &args)?;
            let items: Vec<Value> = result.try_iter()?.collect();
            Ok(python::Generator::value(items))
        });
    }
    env.add_filter("last", |state: &mut State, args: Rest<Value>| {
        match args.first() {
            Some(v) if v.downcast_object_ref::<python::Generator>().is_some() => Err(Error::new(
                ErrorKind::InvalidOperation,
                "'generator' object is not reversible",
            )),
            _ => state.apply_filter("builtin last", &args),
        }
    });
    env.add_filter("builtin last", minijinja::filters::last);

    env.add_test("none", |value: &Value| python::is_none(value));
    env.add_test("sequence", is_sequence);
    env.add_test("iterable", is_iterable);
    env.add_test("number", |value: &Value| {
        matches!(value.kind(), ValueKind::Number | ValueKind::Bool)
    });
    Ok(env)
}

/// transformers' `raise_exception(message)`: the template refuses the conversation.
fn raise_exception(message: Value) -> Result<Value, Error> {
    Err(Error::new(
        ErrorKind::InvalidOperation,
        format!(
            "the template raised an exception: {}",
            python::str_of(&message)
        ),
    ))
}

/// Python's `datetime.strftime` for the specifiers C's strftime knows; chrono's agree
/// with them in the C locale.
fn strftime(now: NaiveDateTime, format: &str) -> Result<String, Error> {
    let items: Vec<Item<'_>> = StrftimeItems::new(format).collect();
    if items.iter().any(|item| matches!(item, Item::Error)) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("strftime_now: unsupported format {format:?}"),
        ));
    }
    Ok(now.format_with_items(items.into_iter()).to_string())
}

/// transformers' `tojson(x, ensure_ascii=False, indent=None, separators=None,
/// sort_keys=False)`: `json.dumps` with those arguments, never HTML-escaped.
fn tojson(value: &Value, args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let names = ["ensure_ascii", "indent", "separators", "sort_keys"];
    if args.len() > names.len() {
        return Err(Error::from(ErrorKind::TooManyArguments));
    }
    let mut given: [Option<Value>; 4] = Default::default();
    for (i, arg) in args.iter().enumerate() {
        given[i] = Some(arg.clone());
    }
    for (i, name) in names.iter().enumerate() {
        if let Some(value) = kwargs.get::<Option<Value>>(name)? {
            if given[i].is_some() {
                return Err(Error::new(
                    ErrorKind::TooManyArguments,
                    format!("tojson got multiple values for argument {name:?}"),
                ));
            }
            given[i] = Some(value);
        }
    }
    kwargs.assert_all_used()?;
    let [ensure_ascii, indent, separators, sort_keys] = given;
    let indent = match indent {
        Some(v) if v.is_none() || v.is_undefined() => None,
        Some(v) if v.kind() == ValueKind::String => Some(v.as_str().unwrap_or_default().to_owned()),
        Some(v) if v.is_integer() => {
            let n = i64::try_from(v).unwrap_or(0).clamp(0, 64) as usize;
            Some(" ".repeat(n))
        }
        Some(v) => {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!(
                    "tojson: indent must be a number or a string, not {}",
                    v.kind()
                ),
            ))
        }
        None => None,
    };
    let separators = match separators {
        Some(v) if v.is_none() || v.is_undefined() => None,
        Some(v) => {
            let parts: Vec<Value> = v.try_iter()?.collect();
            match parts.as_slice() {
                [item, key] if item.as_str().is_some() && key.as_str().is_some() => Some((
                    item.as_str().unwrap_or_default().to_owned(),
                    key.as_str().unwrap_or_default().to_owned(),
                )),
                _ => {
                    return Err(Error::new(
                        ErrorKind::InvalidOperation,
                        "tojson: separators must be two strings",
                    ))
                }
            }
        }
        None => None,
    };
    let style = python::JsonStyle::new(
        ensure_ascii.is_some_and(|v| v.is_true()),
        indent,
        separators,
        sort_keys.is_some_and(|v| v.is_true()),
    );
    // A plain string, as json.dumps returns (not Markup).
    Ok(Value::from(python::dumps(value, &style)?))
}

/// jinja2's `trim(value, chars=None)`: `str(value).strip(chars)`.
fn trim(value: &Value, chars: Option<Cow<'_, str>>) -> String {
    let text = python::str_of(value);
    match chars {
        Some(chars) => text.trim_matches(|c| chars.contains(c)).to_owned(),
        None => text.trim_matches(python::is_space).to_owned(),
    }
}

/// jinja2's `join(value, d='', attribute=None)`: each item through `str()`.
fn join(
    state: &State,
    value: &Value,
    separator: Option<Cow<'_, str>>,
    attribute: Option<Value>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let attribute = match attribute {
        Some(a) => Some(a),
        None => kwargs.get::<Option<Value>>("attribute")?,
    };
    let separator = match separator {
        Some(s) => s.into_owned(),
        None => kwargs.get::<Option<String>>("d")?.unwrap_or_default(),
    };
    kwargs.assert_all_used()?;
    let mut out = String::new();
    for (i, item) in value.try_iter()?.enumerate() {
        if i > 0 {
            out.push_str(&separator);
        }
        let item = match &attribute {
            Some(attribute) => lookup_path(&item, attribute)?,
            None => item,
        };
        out.push_str(&python::str_of(&item));
        state.consume_fuel(1 + (out.len() / 4096) as u64)?;
    }
    Ok(out)
}

/// jinja2's attribute paths: `"a.b"` looks up `a` then `b`, digits index lists.
fn lookup_path(item: &Value, attribute: &Value) -> Result<Value, Error> {
    let Some(path) = attribute.as_str() else {
        return item.get_item(attribute);
    };
    let mut current = item.clone();
    for part in path.split('.') {
        current = match part.parse::<i64>() {
            Ok(index) if current.kind() == ValueKind::Seq => {
                current.get_item(&Value::from(index))?
            }
            _ => current.get_attr(part)?,
        };
    }
    Ok(current)
}

/// jinja2's `indent(s, width=4, first=False, blank=False)`, with its quirk of adding a
/// newline before splitting so that a trailing line break survives.
fn indent(
    value: &Value,
    width: Option<Value>,
    first: Option<bool>,
    blank: Option<bool>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let width = match width {
        Some(w) => Some(w),
        None => kwargs.get::<Option<Value>>("width")?,
    };
    let first = first
        .or(kwargs.get::<Option<bool>>("first")?)
        .unwrap_or(false);
    let blank = blank
        .or(kwargs.get::<Option<bool>>("blank")?)
        .unwrap_or(false);
    kwargs.assert_all_used()?;
    let indention = match width {
        None => "    ".to_owned(),
        Some(w) if w.kind() == ValueKind::String => w.as_str().unwrap_or_default().to_owned(),
        Some(w) => " ".repeat(i64::try_from(w).unwrap_or(4).clamp(0, 1024) as usize),
    };
    let text = python::str_of(value) + "\n";
    let lines = python::splitlines(&text);
    let mut out = String::new();
    if blank {
        out = lines.join(&format!("\n{indention}"));
    } else if let Some((head, tail)) = lines.split_first() {
        out.push_str(head);
        if !tail.is_empty() {
            out.push('\n');
            let rest: Vec<String> = tail
                .iter()
                .map(|line| {
                    if line.is_empty() {
                        String::new()
                    } else {
                        format!("{indention}{line}")
                    }
                })
                .collect();
            out.push_str(&rest.join("\n"));
        }
    }
    if first {
        out.insert_str(0, &indention);
    }
    Ok(out)
}

/// jinja2's `sequence` test: anything with a length and items: lists, strings, dicts,
/// and Undefined too.
fn is_sequence(value: &Value) -> bool {
    matches!(
        value.kind(),
        ValueKind::Seq | ValueKind::String | ValueKind::Map | ValueKind::Undefined
    )
}

/// jinja2's `iterable` test: `iter(value)` works.
fn is_iterable(value: &Value) -> bool {
    matches!(
        value.kind(),
        ValueKind::Seq
            | ValueKind::String
            | ValueKind::Map
            | ValueKind::Iterable
            | ValueKind::Undefined
    )
}

/// Python methods on values (`text.strip()`, `d.items()`): minijinja-contrib's
/// pycompat, after the methods it lacks. Methods that change a list or dict in place
/// stay refused, as transformers' immutable sandbox refuses them.
fn method(state: &mut State, value: &Value, name: &str, args: &[Value]) -> Result<Value, Error> {
    if matches!(
        name,
        "append"
            | "extend"
            | "insert"
            | "pop"
            | "popitem"
            | "remove"
            | "clear"
            | "update"
            | "setdefault"
            | "sort"
            | "reverse"
            | "add"
            | "discard"
    ) && matches!(value.kind(), ValueKind::Seq | ValueKind::Map)
    {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!(
                "access to attribute '{name}' of '{}' object is unsafe",
                if value.kind() == ValueKind::Seq {
                    "list"
                } else {
                    "dict"
                }
            ),
        ));
    }
    minijinja_contrib::pycompat::unknown_method_callback(state, value, name, args)
}
