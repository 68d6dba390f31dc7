//! llama.cpp's built-in chat templates (`llama_chat_apply_template`): the fallback
//! for a model whose file carries no template (base models) or one that cannot render
//! a conversation. They are named ("chatml", "gemma", ...), chosen by architecture, and
//! know only roles and text: no tools and no thinking.

use std::ffi::{c_char, CString};

use crate::request::ChatMessage;

/// The llama.cpp built-in template that matches an architecture's instruction-tuned
/// releases. ChatML is the default: it is the most widely trained-on convention.
pub fn fallback_for_architecture(architecture: &str) -> &'static str {
    match architecture {
        a if a.starts_with("gemma") => "gemma",
        "phi3" => "phi3",
        "command-r" | "cohere2" => "command-r",
        "deepseek2" => "deepseek2",
        "exaone" => "exaone3",
        "granite" | "granitemoe" => "granite",
        "glm4" | "chatglm" => "chatglm4",
        _ => "chatml",
    }
}

/// Runs `llama_chat_apply_template`, opening the assistant's turn when `add_assistant`
/// says so. The template may be a built-in name such as "chatml" or a full Jinja string
/// (llama.cpp guesses the family from marker text and runs none of its Jinja).
pub(crate) fn apply_template(
    template: &str,
    messages: &[ChatMessage],
    add_assistant: bool,
) -> Result<String, String> {
    let template =
        CString::new(template).map_err(|_| "template contains a NUL byte".to_string())?;
    let owned: Vec<(CString, CString)> = messages
        .iter()
        .map(|m| {
            let content = CString::new(m.content.replace('\0', ""))
                .map_err(|_| "message contains a NUL byte".to_string())?;
            Ok((
                CString::new(m.role.as_str()).map_err(|e| e.to_string())?,
                content,
            ))
        })
        .collect::<Result<_, String>>()?;
    let raw: Vec<llama_cpp_sys_2::llama_chat_message> = owned
        .iter()
        .map(|(role, content)| llama_cpp_sys_2::llama_chat_message {
            role: role.as_ptr(),
            content: content.as_ptr(),
        })
        .collect();
    let total: usize = messages.iter().map(|m| m.content.len() + 16).sum();
    let mut buffer: Vec<u8> = vec![0; (total * 2).max(1024)];
    for _ in 0..2 {
        let capacity = i32::try_from(buffer.len())
            .map_err(|_| "conversation too large to format".to_string())?;
        // SAFETY: every pointer stays alive in `owned`/`template`/`buffer` during the call,
        // and llama.cpp writes at most `capacity` bytes into `buffer`.
        let written = unsafe {
            llama_cpp_sys_2::llama_chat_apply_template(
                template.as_ptr(),
                raw.as_ptr(),
                raw.len(),
                add_assistant,
                buffer.as_mut_ptr().cast::<c_char>(),
                capacity,
            )
        };
        if written < 0 {
            return Err("template not recognised".into());
        }
        let written = written as usize;
        if written <= buffer.len() {
            buffer.truncate(written);
            return String::from_utf8(buffer).map_err(|e| e.to_string());
        }
        buffer.resize(written, 0);
    }
    Err("template output kept growing".into())
}
