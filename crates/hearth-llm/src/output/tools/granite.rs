//! Granite 3.x: `<|tool_call|>` then a JSON list of `{"name": …, "arguments": …}`.

use super::scan::{self, Found};
use super::{Read, Syntax};

pub(super) const TOOL_CALL: &str = "<|tool_call|>";

pub(super) struct Granite;

impl Syntax for Granite {
    fn find(&self, text: &str, _fresh: bool) -> Found {
        scan::find_literals(text, &[TOOL_CALL])
    }

    fn read(&self, text: &str, end: bool) -> Read {
        let Some(rest) = text.strip_prefix(TOOL_CALL) else {
            return Read::Text(1);
        };
        super::command_r::json_list(text, TOOL_CALL.len(), rest, end, "name", &["arguments"], "")
    }
}
