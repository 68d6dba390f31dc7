//! A tool's answer as Hearth uses it: the text for the model, whether the tool says it
//! failed, and the raw result for the audit log.
//!
//! Everything a server sends is untrusted: a tool that reads a web page or a file hands
//! back whatever that page or file says, including text written to steer the model
//! (prompt injection). So the text is capped (64 KiB by default) with a line saying it
//! was cut, control characters that could rewrite a terminal (ESC sequences) are
//! removed, and binary parts are summarised in a line instead of passed on. What the
//! model may do with the text is the caller's decision (approval, framing).

use serde_json::Value;

/// The result of one tool call.
#[derive(Debug, Clone, PartialEq)]
pub struct ToolOutcome {
    /// The server that ran the tool.
    pub server: String,
    /// The tool's name on that server.
    pub tool: String,
    /// The name the model called (`server__tool`).
    pub name: String,
    /// The text parts joined by blank lines; images, audio and resources as a line
    /// each saying what they were. Capped, see [`ToolOutcome::truncated`].
    pub text: String,
    /// The tool reports that it failed (`isError`); `text` says why.
    pub is_error: bool,
    /// `text` was cut to the size limit; its last line says so.
    pub truncated: bool,
    /// The result as the server sent it, for the audit log, except that base64
    /// payloads (images, audio, blobs) are replaced by a note of their size, and a
    /// result still over the raw size limit is replaced by a note of its size.
    pub raw: Value,
}

/// Characters kept from the server's text: line breaks and tabs, and no other control
/// character (C0, DEL, C1): ESC and CSI sequences could move the cursor or rewrite what
/// the user sees in a terminal, and the model has no use for them.
pub(crate) fn clean_text(text: &str) -> String {
    text.chars()
        .filter(|&c| c == '\n' || c == '\t' || !(c.is_control()))
        .collect()
}

/// `text` cut to at most `limit` bytes at a character boundary, with a last line saying
/// it was cut and how long it was; `true` when it was cut.
pub(crate) fn cap_text(text: String, limit: usize) -> (String, bool) {
    if text.len() <= limit {
        return (text, false);
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let total = text.len();
    let mut cut = text;
    cut.truncate(end);
    cut.push_str(&format!(
        "\n[the tool's result was cut here: it had {total} bytes, more than the {limit} bytes passed on]"
    ));
    (cut, true)
}

/// The text for the model from a `CallToolResult` as JSON (its `content` blocks, or
/// its `structuredContent` when no block has text).
pub(crate) fn text_of(result: &Value) -> String {
    let mut parts: Vec<String> = Vec::new();
    let blocks = result
        .get("content")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for block in blocks {
        let str_field = |key: &str| block.get(key).and_then(Value::as_str);
        let kind = str_field("type").unwrap_or("unknown");
        let part = match kind {
            "text" => str_field("text").unwrap_or_default().to_string(),
            "image" | "audio" => format!(
                "[{kind}: {}, {} bytes, not shown]",
                str_field("mimeType").unwrap_or("unknown type"),
                base64_len(str_field("data").unwrap_or_default())
            ),
            "resource" => {
                let resource = block.get("resource").unwrap_or(&Value::Null);
                let field = |key: &str| resource.get(key).and_then(Value::as_str);
                let uri = field("uri").unwrap_or("(no address)");
                match (field("text"), field("blob")) {
                    (Some(text), _) => format!("[resource {uri}]\n{text}"),
                    (None, blob) => format!(
                        "[resource {uri}: {}, {} bytes, not shown]",
                        field("mimeType").unwrap_or("unknown type"),
                        base64_len(blob.unwrap_or_default())
                    ),
                }
            }
            "resource_link" => {
                let uri = str_field("uri").unwrap_or("(no address)");
                let name = str_field("name").unwrap_or_default();
                match str_field("description") {
                    Some(about) => format!("[link to resource {uri} ({name}): {about}]"),
                    None => format!("[link to resource {uri} ({name})]"),
                }
            }
            other => format!("[a part of type '{other}' Hearth does not read]"),
        };
        parts.push(part);
    }
    let has_text = blocks
        .iter()
        .any(|b| b.get("type").and_then(Value::as_str) == Some("text"));
    if !has_text {
        if let Some(structured) = result.get("structuredContent").filter(|v| !v.is_null()) {
            parts.push(structured.to_string());
        }
    }
    clean_text(&parts.join("\n\n"))
}

/// The result for the audit log: as sent, with base64 payloads replaced by their size
/// (an image is megabytes the log has no use for), and as a note of its size when it
/// is still larger than `limit` bytes.
pub(crate) fn raw_for_audit(mut result: Value, limit: usize) -> Value {
    elide_payloads(&mut result);
    let size = result.to_string().len();
    if size > limit {
        return serde_json::json!({
            "omitted": format!("the result had {size} bytes, more than the {limit} kept for the log"),
            "isError": result.get("isError").cloned().unwrap_or(Value::Null),
        });
    }
    result
}

fn elide_payloads(value: &mut Value) {
    match value {
        Value::Object(map) => {
            let is_binary = matches!(
                map.get("type").and_then(Value::as_str),
                Some("image" | "audio")
            );
            for (key, field) in map.iter_mut() {
                let payload = (key == "data" && is_binary) || key == "blob";
                match field {
                    Value::String(s) if payload => {
                        *field = Value::String(format!("[{} bytes of base64 not kept]", s.len()));
                    }
                    _ => elide_payloads(field),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(elide_payloads),
        _ => {}
    }
}

/// The decoded size of base64 text (padding and line breaks aside).
fn base64_len(data: &str) -> usize {
    let chars = data
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b'=')
        .count();
    chars * 3 / 4
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn text_parts_join_and_other_parts_are_summarised() {
        let result = json!({
            "content": [
                {"type": "text", "text": "first"},
                {"type": "image", "data": "iVBORw0KGgo=", "mimeType": "image/png"},
                {"type": "audio", "data": "AAAA", "mimeType": "audio/wav"},
                {"type": "resource", "resource": {"uri": "file:///a.txt", "text": "inside"}},
                {"type": "resource", "resource": {"uri": "file:///b.bin", "blob": "AAAAAAAA", "mimeType": "application/zip"}},
                {"type": "resource_link", "uri": "file:///c.md", "name": "c.md", "description": "notes"},
                {"type": "hologram"},
                {"type": "text", "text": "last"}
            ]
        });
        expect_test::expect![[r#"
            first

            [image: image/png, 8 bytes, not shown]

            [audio: audio/wav, 3 bytes, not shown]

            [resource file:///a.txt]
            inside

            [resource file:///b.bin: application/zip, 6 bytes, not shown]

            [link to resource file:///c.md (c.md): notes]

            [a part of type 'hologram' Hearth does not read]

            last"#]]
        .assert_eq(&text_of(&result));
    }

    #[test]
    fn structured_content_stands_in_for_missing_text() {
        let result = json!({"content": [], "structuredContent": {"temperature": 21}});
        assert_eq!(text_of(&result), r#"{"temperature":21}"#);
        let both = json!({"content": [{"type": "text", "text": "21 degrees"}],
                          "structuredContent": {"temperature": 21}});
        assert_eq!(text_of(&both), "21 degrees");
    }

    #[test]
    fn terminal_escapes_and_control_characters_are_removed() {
        let result = json!({"content": [{"type": "text",
            "text": "ok\u{1b}[2J\u{1b}]0;pwned\u{7}\r\nnext\tcol\u{0}\u{9b}31m\u{7f}"}]});
        assert_eq!(text_of(&result), "ok[2J]0;pwned\nnext\tcol31m");
    }

    #[test]
    fn long_text_is_cut_at_a_character_boundary_and_says_so() {
        let (text, cut) = cap_text("short".into(), 10);
        assert_eq!((text.as_str(), cut), ("short", false));
        let (text, cut) = cap_text("ééééé".into(), 5); // 10 bytes; 5 is mid-character
        assert!(cut);
        assert!(text.starts_with("éé\n"), "{text}");
        assert!(
            text.contains("it had 10 bytes, more than the 5 bytes"),
            "{text}"
        );
    }

    #[test]
    fn audit_copy_drops_payloads_and_oversized_results() {
        let result = json!({
            "content": [
                {"type": "image", "data": "A".repeat(4000), "mimeType": "image/png"},
                {"type": "text", "text": "data is a word here", "data": "kept"},
                {"type": "resource", "resource": {"uri": "x", "blob": "B".repeat(100)}}
            ],
            "isError": false
        });
        let raw = raw_for_audit(result, 10_000);
        assert_eq!(raw["content"][0]["data"], "[4000 bytes of base64 not kept]");
        assert_eq!(raw["content"][1]["data"], "kept");
        assert_eq!(
            raw["content"][2]["resource"]["blob"],
            "[100 bytes of base64 not kept]"
        );
        let big = json!({"content": [{"type": "text", "text": "x".repeat(5000)}], "isError": true});
        let raw = raw_for_audit(big, 1000);
        assert!(raw["omitted"]
            .as_str()
            .unwrap()
            .contains("more than the 1000"));
        assert_eq!(raw["isError"], true);
    }
}
