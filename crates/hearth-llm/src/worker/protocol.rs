//! The framed protocol between the app and its `hearth worker` child: each frame is a
//! little-endian u32 length followed by that many bytes of JSON.
//!
//! JSON keeps the protocol debuggable and versionable; at one frame per generated
//! token its cost is microseconds against milliseconds of decoding.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::engine::ModelInfo;
use crate::error::LlmError;
use crate::llama::EngineSettings;
use crate::request::{EngineRequest, GenerationEvent};

/// Frames larger than this are refused: a corrupt length must not allocate gigabytes.
pub const MAX_FRAME: usize = 256 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToWorker {
    Load {
        path: PathBuf,
        settings: EngineSettings,
    },
    Generate {
        id: u64,
        // Boxed (the same JSON): a request is far larger than the other messages.
        request: Box<EngineRequest>,
    },
    Cancel {
        id: u64,
    },
    Tokenize {
        id: u64,
        text: String,
        add_special: bool,
    },
    Detokenize {
        id: u64,
        tokens: Vec<u32>,
    },
    /// Drop every saved and cached conversation context (answered by `Forgotten`).
    ForgetContexts {
        id: u64,
    },
    Shutdown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FromWorker {
    /// How far the model has loaded (0.0 to 1.0), before `Ready`.
    Loading {
        progress: f32,
    },
    /// Sent before the weights are read when layers go to the GPU: how many.
    Placing {
        gpu_layers: u32,
    },
    Ready {
        /// Boxed: it is much larger than the frames sent while answering.
        info: Box<ModelInfo>,
    },
    LoadFailed {
        error: LlmError,
    },
    Event {
        id: u64,
        event: GenerationEvent,
    },
    Tokens {
        id: u64,
        result: Result<Vec<u32>, LlmError>,
    },
    Text {
        id: u64,
        result: Result<String, LlmError>,
    },
    Forgotten {
        id: u64,
        result: Result<(), LlmError>,
    },
}

pub fn write_frame<W: Write, T: Serialize>(writer: &mut W, message: &T) -> io::Result<()> {
    let body = serde_json::to_vec(message).map_err(io::Error::other)?;
    let len = u32::try_from(body.len()).map_err(|_| io::Error::other("frame too large"))?;
    writer.write_all(&len.to_le_bytes())?;
    writer.write_all(&body)?;
    writer.flush()
}

/// Reads one frame; `Ok(None)` at a clean end of stream.
pub fn read_frame<R: Read, T: DeserializeOwned>(reader: &mut R) -> io::Result<Option<T>> {
    let mut len = [0u8; 4];
    match reader.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("frame of {len} bytes exceeds the limit"),
        ));
    }
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{GenerationOptions, Prompt};

    #[test]
    fn frames_round_trip() {
        let messages = vec![
            ToWorker::Generate {
                id: 7,
                request: Box::new(EngineRequest {
                    prompt: Prompt::Text("héllo 🔥".into()),
                    options: GenerationOptions::greedy(),
                    grammar: None,
                    grammar_triggers: Vec::new(),
                    preserved_tokens: Vec::new(),
                    thinking_budget: None,
                }),
            },
            // A tool call's lazy grammar crosses to the worker whole.
            ToWorker::Generate {
                id: 9,
                request: Box::new(EngineRequest {
                    prompt: Prompt::Text("hi".into()),
                    options: GenerationOptions::greedy(),
                    grammar: Some("root ::= \"<tool_call>\" [a-z]+".into()),
                    grammar_triggers: vec!["(<tool_call>)".into()],
                    preserved_tokens: vec!["<tool_call>".into()],
                    thinking_budget: None,
                }),
            },
            // A thinking budget crosses to the worker whole.
            ToWorker::Generate {
                id: 10,
                request: Box::new(EngineRequest {
                    prompt: Prompt::Text("<|im_start|>assistant\n<think>\n".into()),
                    options: GenerationOptions::greedy(),
                    grammar: None,
                    grammar_triggers: Vec::new(),
                    preserved_tokens: vec!["<think>".into(), "</think>".into()],
                    thinking_budget: Some(crate::request::ThinkingBudget {
                        tokens: 64,
                        inside: true,
                        open: "<think>".into(),
                        end: "</think>".into(),
                        close: "</think>".into(),
                    }),
                }),
            },
            ToWorker::Cancel { id: 7 },
            ToWorker::ForgetContexts { id: 8 },
            ToWorker::Shutdown,
        ];
        let mut bytes = Vec::new();
        for m in &messages {
            write_frame(&mut bytes, m).unwrap();
        }
        let mut reader = bytes.as_slice();
        for m in &messages {
            let back: ToWorker = read_frame(&mut reader).unwrap().unwrap();
            assert_eq!(&back, m);
        }
        assert!(read_frame::<_, ToWorker>(&mut reader).unwrap().is_none());
    }

    #[test]
    fn oversized_and_garbage_frames_are_errors_not_panics() {
        let mut huge = (u32::MAX).to_le_bytes().to_vec();
        huge.extend_from_slice(b"xx");
        assert!(read_frame::<_, FromWorker>(&mut huge.as_slice()).is_err());
        let mut garbage = 3u32.to_le_bytes().to_vec();
        garbage.extend_from_slice(b"{{{");
        assert!(read_frame::<_, FromWorker>(&mut garbage.as_slice()).is_err());
        let truncated = 10u32.to_le_bytes().to_vec();
        assert!(read_frame::<_, FromWorker>(&mut truncated.as_slice()).is_err());
    }
}
