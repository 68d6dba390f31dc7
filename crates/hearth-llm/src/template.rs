//! Chat formatting: the model's own template from its GGUF metadata, applied by
//! llama.cpp's template engine, or a fallback chosen by architecture when the file
//! carries none (base models) or carries one llama.cpp cannot run.
//!
//! Formatting happens on the caller's thread, never on the engine thread:
//! `llama_chat_apply_template` needs only the template text, not the model.

use std::ffi::{c_char, CString};

use serde::{Deserialize, Serialize};

use crate::error::LlmError;
use crate::request::ChatMessage;

/// Where the template in use came from, so the UI can say so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum TemplateSource {
    /// `tokenizer.chat_template` from the GGUF.
    Model,
    /// A llama.cpp built-in template picked from the architecture.
    Fallback { name: String, why: String },
    /// A remote provider's server formats the conversation itself.
    Remote,
}

/// Formats conversations for one model.
#[derive(Debug, Clone)]
pub struct ChatFormatter {
    model_template: Option<String>,
    fallback: &'static str,
    architecture: String,
}

impl ChatFormatter {
    pub fn new(model_template: Option<&str>, architecture: &str) -> Self {
        Self {
            model_template: model_template
                .filter(|t| !t.trim().is_empty())
                .map(str::to_owned),
            fallback: fallback_for_architecture(architecture),
            architecture: architecture.to_owned(),
        }
    }

    /// Turns messages into prompt text that ends with the assistant's turn opened.
    pub fn format(&self, messages: &[ChatMessage]) -> Result<(String, TemplateSource), LlmError> {
        if messages.is_empty() {
            return Err(LlmError::Template {
                reason: "the conversation has no messages".into(),
            });
        }
        if let Some(template) = &self.model_template {
            match apply_template(template, messages) {
                Ok(text) => return Ok((text, TemplateSource::Model)),
                Err(reason) => {
                    tracing::warn!(%reason, fallback = self.fallback, "model chat template not supported; using fallback");
                    let why = format!("llama.cpp cannot run the model's template ({reason})");
                    return self.format_fallback(messages, why);
                }
            }
        }
        let why = format!(
            "the model file has no chat template; chosen for architecture `{}`",
            self.architecture
        );
        self.format_fallback(messages, why)
    }

    fn format_fallback(
        &self,
        messages: &[ChatMessage],
        why: String,
    ) -> Result<(String, TemplateSource), LlmError> {
        let text = apply_template(self.fallback, messages)
            .map_err(|reason| LlmError::Template { reason })?;
        Ok((
            text,
            TemplateSource::Fallback {
                name: self.fallback.to_owned(),
                why,
            },
        ))
    }
}

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

/// Runs `llama_chat_apply_template` with `add_ass` set. The template may be a full
/// Jinja string (llama.cpp detects the family) or a built-in name such as "chatml".
fn apply_template(template: &str, messages: &[ChatMessage]) -> Result<String, String> {
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
                true,
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

#[cfg(test)]
mod tests {
    use super::*;

    const CHATML_JINJA: &str = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    fn chat() -> Vec<ChatMessage> {
        vec![
            ChatMessage::system("Be brief."),
            ChatMessage::user("Hi"),
            ChatMessage::assistant("Hello!"),
            ChatMessage::user("Name a colour."),
        ]
    }

    #[test]
    fn model_template_is_used_when_present() {
        let (text, source) = ChatFormatter::new(Some(CHATML_JINJA), "llama")
            .format(&chat())
            .unwrap();
        assert_eq!(source, TemplateSource::Model);
        assert_eq!(
            text,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nName a colour.<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn gemma_without_template_gets_gemma_turns_not_raw_text() {
        let (text, source) = ChatFormatter::new(None, "gemma3").format(&chat()).unwrap();
        assert!(matches!(source, TemplateSource::Fallback { ref name, .. } if name == "gemma"));
        assert_eq!(
            text,
            "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n<start_of_turn>user\nName a colour.<end_of_turn>\n<start_of_turn>model\n"
        );
    }

    #[test]
    fn unknown_architecture_falls_back_to_chatml() {
        let (text, source) = ChatFormatter::new(None, "mystery")
            .format(&[ChatMessage::user("x")])
            .unwrap();
        assert!(matches!(source, TemplateSource::Fallback { ref name, .. } if name == "chatml"));
        assert_eq!(
            text,
            "<|im_start|>user\nx<|im_end|>\n<|im_start|>assistant\n"
        );
    }

    #[test]
    fn unrecognised_model_template_falls_back_with_reason() {
        let (_, source) = ChatFormatter::new(Some("{{ nonsense }}"), "llama")
            .format(&chat())
            .unwrap();
        match source {
            TemplateSource::Fallback { name, why } => {
                assert_eq!(name, "chatml");
                assert!(why.contains("cannot run"), "{why}");
            }
            other => panic!("expected fallback, got {other:?}"),
        }
    }

    #[test]
    fn empty_conversation_is_an_error() {
        let err = ChatFormatter::new(None, "llama").format(&[]).unwrap_err();
        assert!(matches!(err, LlmError::Template { .. }));
    }
}
