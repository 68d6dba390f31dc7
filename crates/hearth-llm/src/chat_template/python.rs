//! Python's ways of turning values into text, as chat templates see them under
//! jinja2: `str()` (what `{{ value }}`, `|string` and `|join` write), `repr()` (how a
//! dict or list writes its items) and `json.dumps` (transformers' `tojson`).
//!
//! Templates are written against Python, so `{{ none }}` must write `None`, a dict
//! `{'a': 1}`, and `tojson` must space its separators as `json.dumps` does; minijinja's
//! own choices (`none`, `{"a": 1}`, compact JSON) would change the prompt a model was
//! trained on.

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex};

use minijinja::value::{Enumerator, Object, ObjectRepr, Value, ValueKind};
use minijinja::{Error, ErrorKind};

/// Python's `None` as transformers passes it for `tools` and `documents` when there
/// are none. minijinja's own none iterates as an empty list, where Python's fails
/// (`for tool in tools` with no tools is a TypeError, and the reference test expects
/// the error); this one is falsy, `is none`, prints `None`, dumps as `null`, and
/// cannot be iterated or measured.
#[derive(Debug)]
pub(crate) struct PyNone;

impl Object for PyNone {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    fn is_true(self: &Arc<Self>) -> bool {
        false
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("None")
    }
}

/// A Python generator, what jinja2's `map`, `select`, `selectattr`, `items`... yield:
/// always true, no length, not JSON, and walked once (a second loop over it sees
/// nothing). A loop over it still knows `loop.last`, as jinja2's looks ahead.
#[derive(Debug)]
pub(crate) struct Generator(Mutex<Option<std::vec::IntoIter<Value>>>);

impl Generator {
    pub fn value(items: Vec<Value>) -> Value {
        Value::from_object(Generator(Mutex::new(Some(items.into_iter()))))
    }
}

impl Object for Generator {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Iterable
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        let rest = self.0.lock().ok().and_then(|mut items| items.take());
        match rest {
            Some(items) => Enumerator::Iter(Box::new(items)),
            None => Enumerator::Empty,
        }
    }

    // Never asks `enumerate`, which would use the generator up.
    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        None
    }

    fn is_true(self: &Arc<Self>) -> bool {
        true
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<generator object>")
    }
}

/// A fresh Python `None`.
pub(crate) fn none() -> Value {
    Value::from_object(PyNone)
}

/// Whether `value` is None, minijinja's or Python's.
pub(crate) fn is_none(value: &Value) -> bool {
    value.is_none() || value.downcast_object_ref::<PyNone>().is_some()
}

/// Python's `str(value)`.
pub(crate) fn str_of(value: &Value) -> String {
    match value.kind() {
        ValueKind::String => value.as_str().unwrap_or_default().to_owned(),
        ValueKind::Undefined => String::new(),
        _ => repr(value),
    }
}

/// Python's `repr(value)`.
pub(crate) fn repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, value, 0);
    out
}

/// Containers nested deeper than this are written as `...`, as a guard against
/// self-referencing values (Python writes `[...]` for those).
const MAX_DEPTH: usize = 64;

fn write_repr(out: &mut String, value: &Value, depth: usize) {
    if depth > MAX_DEPTH {
        out.push_str("...");
        return;
    }
    match value.kind() {
        ValueKind::Undefined => {}
        ValueKind::None => out.push_str("None"),
        ValueKind::Bool => out.push_str(if value.is_true() { "True" } else { "False" }),
        ValueKind::Number => out.push_str(&number(value)),
        ValueKind::String => write_str_repr(out, value.as_str().unwrap_or_default()),
        ValueKind::Bytes => {
            out.push('b');
            write_str_repr(
                out,
                &String::from_utf8_lossy(value.as_bytes().unwrap_or(&[])),
            );
        }
        ValueKind::Seq => {
            let (open, close) = if value.is_tuple() {
                ("(", ")")
            } else {
                ("[", "]")
            };
            out.push_str(open);
            let mut count = 0;
            if let Ok(items) = value.try_iter() {
                for (i, item) in items.enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_repr(out, &item, depth + 1);
                    count += 1;
                }
            }
            if value.is_tuple() && count == 1 {
                out.push(',');
            }
            out.push_str(close);
        }
        ValueKind::Map => {
            out.push('{');
            if let Ok(keys) = value.try_iter() {
                for (i, key) in keys.enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_repr(out, &key, depth + 1);
                    out.push_str(": ");
                    let item = value.get_item(&key).unwrap_or(Value::UNDEFINED);
                    write_repr(out, &item, depth + 1);
                }
            }
            out.push('}');
        }
        // Generators, namespaces, macros: Python writes `<generator object ...>`;
        // minijinja's own description is as close as anything.
        _ => {
            let _ = write!(out, "{value}");
        }
    }
}

/// A string as Python's `repr` quotes it: single quotes unless the text has a single
/// quote and no double quote, backslash escapes for quotes, backslashes and controls.
fn write_str_repr(out: &mut String, s: &str) {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in s.chars() {
        match c {
            c if c == quote || c == '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x7f || printable(c) => out.push(c),
            c if (c as u32) <= 0xff => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) <= 0xffff => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push(quote);
}

/// Python's `str.isprintable` for characters past ASCII, for the ones that matter in
/// practice: C1 controls, separators other than the space, format characters and
/// private use are escaped by `repr`.
fn printable(c: char) -> bool {
    let code = c as u32;
    !(matches!(code, 0x80..=0xa0 | 0xad | 0x2000..=0x200f | 0x2028..=0x202f | 0x205f..=0x206f
        | 0x3000 | 0xfeff | 0xfff9..=0xfffb | 0xe000..=0xf8ff | 0xd800..=0xdfff)
        || c == '\u{1680}'
        || c == '\u{180e}')
}

/// A number as Python writes it: integers plainly, floats by `float.__repr__`.
pub(crate) fn number(value: &Value) -> String {
    if value.is_integer() {
        return value.to_string();
    }
    match f64::try_from(value.clone()) {
        Ok(f) => float(f),
        Err(_) => value.to_string(),
    }
}

/// `float.__repr__`: the shortest digits that read back the same, in fixed notation
/// for exponents -4 to 15 and scientific (`1e-05`, `1e+16`) beyond.
pub(crate) fn float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    // Rust's `{:e}` gives the shortest round-trip digits too, as d.ddde±x.
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    if (-4..16).contains(&exponent) {
        if exponent < 0 {
            out.push_str("0.");
            out.push_str(&"0".repeat((-exponent - 1) as usize));
            out.push_str(&digits);
        } else {
            let point = exponent as usize + 1;
            if digits.len() <= point {
                out.push_str(&digits);
                out.push_str(&"0".repeat(point - digits.len()));
                out.push_str(".0");
            } else {
                out.push_str(&digits[..point]);
                out.push('.');
                out.push_str(&digits[point..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.abs()
        );
    }
    out
}

/// The options of Python's `json.dumps` that transformers' `tojson` passes on.
pub(crate) struct JsonStyle {
    pub ensure_ascii: bool,
    /// `None` for one line; otherwise the text repeated once per level.
    pub indent: Option<String>,
    pub item_separator: String,
    pub key_separator: String,
    pub sort_keys: bool,
}

impl JsonStyle {
    /// json.dumps' defaults for these arguments: `", "` and `": "` on one line, `","`
    /// before a newline when indenting.
    pub fn new(
        ensure_ascii: bool,
        indent: Option<String>,
        separators: Option<(String, String)>,
        sort_keys: bool,
    ) -> Self {
        let (item_separator, key_separator) = separators.unwrap_or_else(|| {
            let item = if indent.is_some() { "," } else { ", " };
            (item.to_owned(), ": ".to_owned())
        });
        Self {
            ensure_ascii,
            indent,
            item_separator,
            key_separator,
            sort_keys,
        }
    }
}

/// Python's `json.dumps(value, ...)`. Fails, as Python does, on values JSON has no
/// form for (undefined, generators, namespaces, macros).
pub(crate) fn dumps(value: &Value, style: &JsonStyle) -> Result<String, Error> {
    let mut out = String::new();
    write_json(&mut out, value, style, 0)?;
    Ok(out)
}

fn not_serializable(value: &Value) -> Error {
    let kind = match value.kind() {
        _ if value.downcast_object_ref::<PyNone>().is_some() => "NoneType".to_owned(),
        ValueKind::Undefined => "Undefined".to_owned(),
        _ if value.downcast_object_ref::<Generator>().is_some() => "generator".to_owned(),
        ValueKind::Iterable => "iterator".to_owned(),
        other => other.to_string(),
    };
    Error::new(
        ErrorKind::InvalidOperation,
        format!("Object of type {kind} is not JSON serializable"),
    )
}

fn write_json(
    out: &mut String,
    value: &Value,
    style: &JsonStyle,
    level: usize,
) -> Result<(), Error> {
    if level > MAX_DEPTH {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "value nested too deeply for tojson",
        ));
    }
    match value.kind() {
        _ if is_none(value) => out.push_str("null"),
        ValueKind::Bool => out.push_str(if value.is_true() { "true" } else { "false" }),
        ValueKind::Number => {
            if value.is_integer() {
                out.push_str(&value.to_string());
            } else {
                match f64::try_from(value.clone()) {
                    Ok(f) if f.is_nan() => out.push_str("NaN"),
                    Ok(f) if f.is_infinite() => {
                        out.push_str(if f > 0.0 { "Infinity" } else { "-Infinity" })
                    }
                    Ok(f) => out.push_str(&float(f)),
                    Err(_) => out.push_str(&value.to_string()),
                }
            }
        }
        ValueKind::String => write_json_str(out, value.as_str().unwrap_or_default(), style),
        ValueKind::Seq => {
            let items: Vec<Value> = value.try_iter()?.collect();
            if items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(&style.item_separator);
                }
                newline(out, style, level + 1);
                write_json(out, item, style, level + 1)?;
            }
            newline(out, style, level);
            out.push(']');
        }
        ValueKind::Map => {
            let mut entries = Vec::new();
            for key in value.try_iter()? {
                let item = value.get_item(&key)?;
                entries.push((json_key(&key)?, item));
            }
            if style.sort_keys {
                entries.sort_by(|a, b| a.0.cmp(&b.0));
            }
            if entries.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(&style.item_separator);
                }
                newline(out, style, level + 1);
                write_json_str(out, key, style);
                out.push_str(&style.key_separator);
                write_json(out, item, style, level + 1)?;
            }
            newline(out, style, level);
            out.push('}');
        }
        _ => return Err(not_serializable(value)),
    }
    Ok(())
}

fn newline(out: &mut String, style: &JsonStyle, level: usize) {
    if let Some(indent) = &style.indent {
        out.push('\n');
        for _ in 0..level {
            out.push_str(indent);
        }
    }
}

/// json.dumps turns keys that are not strings into strings; other keys are an error.
fn json_key(key: &Value) -> Result<String, Error> {
    match key.kind() {
        ValueKind::String => Ok(key.as_str().unwrap_or_default().to_owned()),
        ValueKind::Number => Ok(number(key)),
        ValueKind::Bool => Ok(if key.is_true() { "true" } else { "false" }.to_owned()),
        ValueKind::None => Ok("null".to_owned()),
        other => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("keys must be str, int, float, bool or None, not {other}"),
        )),
    }
}

fn write_json_str(out: &mut String, s: &str, style: &JsonStyle) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if style.ensure_ascii && (c as u32) > 0x7e => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Python's `str.isspace`, which also counts the information separators U+001C to
/// U+001F that Rust's `char::is_whitespace` does not.
pub(crate) fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.splitlines()`: every line break Python knows, breaks dropped.
pub(crate) fn splitlines(s: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let is_break = matches!(
            c,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if is_break {
            lines.push(&s[start..i]);
            let mut end = i + c.len_utf8();
            if c == '\r' {
                if let Some(&(j, '\n')) = chars.peek() {
                    chars.next();
                    end = j + 1;
                }
            }
            start = end;
        }
    }
    if start < s.len() {
        lines.push(&s[start..]);
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_written_as_python_writes_them() {
        for (f, want) in [
            (1.0, "1.0"),
            (0.5, "0.5"),
            (-2.25, "-2.25"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (1e16, "1e+16"),
            (123456789012345.0, "123456789012345.0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.5e300, "1.5e+300"),
        ] {
            assert_eq!(float(f), want, "{f}");
        }
    }

    #[test]
    fn repr_quotes_like_python() {
        let v = Value::from(minijinja::value::Serde(serde_json::json!({
            "a": "it's",
            "b": [1, 2.0, true, null, "x\"y'z\n"],
        })));
        assert_eq!(
            repr(&v),
            r#"{'a': "it's", 'b': [1, 2.0, True, None, 'x"y\'z\n']}"#
        );
    }

    #[test]
    fn dumps_spaces_and_escapes_like_python() {
        let v = Value::from(minijinja::value::Serde(
            serde_json::json!({"k": ["é", 1, {}], "z": null}),
        ));
        let style = JsonStyle::new(false, None, None, false);
        assert_eq!(
            dumps(&v, &style).unwrap(),
            r#"{"k": ["é", 1, {}], "z": null}"#
        );
        let style = JsonStyle::new(true, Some("  ".into()), None, false);
        assert_eq!(
            dumps(&v, &style).unwrap(),
            "{\n  \"k\": [\n    \"\\u00e9\",\n    1,\n    {}\n  ],\n  \"z\": null\n}"
        );
    }

    #[test]
    fn splitlines_knows_every_break() {
        assert_eq!(splitlines("a\r\nb\rc\n\nd\n"), vec!["a", "b", "c", "", "d"]);
        assert!(splitlines("").is_empty());
    }
}
