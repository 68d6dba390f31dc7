//! `hearth chat`: an interactive conversation on the terminal, saved as it goes.
//! Lines starting with `/` are commands; Ctrl-C stops the answer being written;
//! Ctrl-D or /exit quits. A tool call the model asks for (see `hearth mcp`) is shown
//! with its arguments and runs only when the user allows it on the next line.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::Context;
use hearth_core::conversations::{ConversationChange, StartConversation};
use hearth_core::{Hearth, TurnEvent};
use hearth_llm::GenerationOptions;
use hearth_store::{
    Conversation, ConversationFilter, ConversationId, MessageState, Role, ToolApproval,
    ToolCallRecord, ToolCallStatus,
};

use super::{apply_sampling, apply_thinking, spinner, ThinkingOutput};
use crate::args::{ChatArgs, ThinkingArgs};
use crate::exit;
use crate::interrupt::Interrupts;

const HELP: &str = "Commands:
  /help            show this help
  /new             start a new conversation (this one stays in the history)
  /regen           write the last answer again
  /title TEXT      rename this conversation
  /system [TEXT]   set the system prompt (no text: show it)
  /model [NAME]    switch model (no name: show the current one)
  /thinking [on|off|default]  a reasoning model's thinking for this conversation
  /exit            quit (or Ctrl-D)
Ctrl-C stops the answer being written. Conversations are saved; see `hearth history`.";

struct Chat<'h> {
    hearth: &'h Hearth,
    conversation: Conversation,
    options: GenerationOptions,
    interrupts: Interrupts,
    thinking: ThinkingArgs,
}

pub fn run(args: ChatArgs) -> anyhow::Result<i32> {
    let interactive = std::io::stdin().is_terminal();
    let interrupts = Interrupts::install(Some(
        "(no answer is being written; type /exit or press Ctrl-D to quit)",
    ));
    let hearth = Hearth::open_default()?;
    let options = apply_thinking(
        apply_sampling(hearth.default_options(), &args.sampling),
        &args.thinking,
    );
    let conversation = match args.resume.as_deref() {
        Some("") => latest(&hearth)?,
        Some(id) => hearth
            .history()
            .conversation(&ConversationId::from(id.to_owned()))?,
        None => {
            let persona = match &args.persona {
                Some(name) => Some(super::persona::find(&hearth, name)?),
                None => None,
            };
            hearth.start_conversation(StartConversation {
                model: args.model.model.clone(),
                system_prompt: args.system.clone(),
                persona: persona.map(|p| p.id),
                ..StartConversation::default()
            })?
        }
    };
    // The switch is the conversation's: kept for its later answers.
    let conversation = match args.thinking.thinking {
        Some(switch) => hearth.set_conversation_thinking(&conversation.id, switch.value())?,
        None => conversation,
    };
    let conversation = match &args.adapter {
        Some(path) => hearth.set_conversation_adapter(
            &conversation.id,
            Some(hearth_llm::LoraAdapter::new(path, args.adapter_scale)),
        )?,
        None => conversation,
    };
    let loading = spinner("loading the model", false);
    let loaded = hearth.engine(conversation.model.as_deref());
    loading.finish_and_clear();
    // Only the name is kept: a handle held for the whole chat would count the model
    // as busy, and a model switched to with /model could never take its memory.
    let model_name = loaded?.info().name;
    if interactive {
        eprintln!(
            "Chatting with {} (conversation {}). Type /help for commands.",
            model_name, conversation.id
        );
    }
    let mut chat = Chat {
        hearth: &hearth,
        conversation,
        options: GenerationOptions {
            // Left to the conversation's setting, which `--thinking` just set.
            thinking: None,
            ..options
        },
        interrupts,
        thinking: args.thinking,
    };

    loop {
        if interactive {
            eprint!(">>> ");
            let _ = std::io::stderr().flush();
        }
        let Some(line) = read_line()? else { break };
        let input = line.trim();
        if input.is_empty() {
            continue;
        }
        if let Some(command) = input.strip_prefix('/') {
            match chat.command(command) {
                Ok(Flow::Continue) => continue,
                Ok(Flow::Quit) => break,
                Err(e) => {
                    eprintln!("error: {e:#}");
                    continue;
                }
            }
        }
        let turn = chat
            .hearth
            .send_message(&chat.conversation.id, input, chat.options.clone());
        chat.show(turn.map_err(Into::into));
    }
    Ok(exit::OK)
}

fn latest(hearth: &Hearth) -> anyhow::Result<Conversation> {
    let filter = ConversationFilter {
        archived: Some(false),
        limit: Some(1),
        ..Default::default()
    };
    hearth
        .history()
        .conversations(&filter)?
        .into_iter()
        .max_by_key(|c| c.updated_at)
        .context("there is no saved conversation to continue; start one with `hearth chat`")
}

/// The next line of input, or `None` at its end. Stdin is locked per line, so the
/// approval of a tool call can read the line after a question.
fn read_line() -> std::io::Result<Option<String>> {
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line)? {
        0 => Ok(None),
        _ => Ok(Some(line.trim_end_matches(['\n', '\r']).to_owned())),
    }
}

/// Shows a call the model asks for and reads the user's decision: `o`nce, `a`lways
/// (for this tool in this conversation), or anything else, which refuses it now and
/// later in this conversation, as the UI's Deny does: a call the user never allowed
/// is not asked about again.
fn ask_approval(call: &ToolCallRecord) -> ToolApproval {
    let arguments = serde_json::to_string_pretty(&call.arguments).unwrap_or_default();
    eprintln!(
        "\nThe model asks to call {} · {} with:\n{arguments}",
        call.server, call.tool
    );
    eprint!("Allow it? [o]nce, [a]lways in this conversation, [n]o / never: ");
    let _ = std::io::stderr().flush();
    let answer = read_line().ok().flatten().unwrap_or_default();
    match answer.trim().to_ascii_lowercase().as_str() {
        "o" | "once" | "y" | "yes" => ToolApproval::Once,
        "a" | "always" => ToolApproval::Always,
        _ => ToolApproval::Never,
    }
}

enum Flow {
    Continue,
    Quit,
}

impl Chat<'_> {
    /// Streams an answer to stdout and reports how it ended.
    fn show(&self, turn: anyhow::Result<hearth_core::ChatTurn>) {
        let turn = match turn {
            Ok(turn) => turn,
            Err(e) => {
                eprintln!("error: {e:#}");
                return;
            }
        };
        self.interrupts.watch(turn.cancel_token());
        let mut stdout = std::io::stdout().lock();
        let mut thinking = ThinkingOutput::stderr(&self.thinking);
        let result = loop {
            match turn.next_event() {
                Some(TurnEvent::Folded { .. }) => {
                    eprintln!("(earlier messages were summarized to fit the model's context)")
                }
                Some(TurnEvent::Reasoning { text }) => thinking.thinking(&text),
                Some(TurnEvent::ToolCall { call }) => {
                    thinking.close();
                    self.tool_call(&turn, &call);
                }
                Some(TurnEvent::Delta { text }) => {
                    thinking.close();
                    let _ = stdout.write_all(text.as_bytes());
                    let _ = stdout.flush();
                }
                Some(TurnEvent::Finished { message }) => {
                    thinking.close();
                    break Ok(message);
                }
                None => {
                    break Err(hearth_core::CoreError::TurnLost {
                        id: turn.answer_id.to_string(),
                    })
                }
            }
        };
        self.interrupts.clear();
        let _ = writeln!(stdout);
        match result {
            Ok(answer) if answer.state == MessageState::Stopped => eprintln!("(stopped)"),
            Ok(answer) if answer.state == MessageState::Failed => {
                eprintln!(
                    "error: {}",
                    answer.error.as_deref().unwrap_or("the answer failed")
                )
            }
            Ok(_) => {}
            Err(e) => eprintln!("error: {e:#}"),
        }
    }

    /// A call's progress on stderr; a pending one waits for the user's decision.
    fn tool_call(&self, turn: &hearth_core::ChatTurn, call: &ToolCallRecord) {
        match call.status {
            ToolCallStatus::Pending => {
                let approval = ask_approval(call);
                if let Err(e) = self
                    .hearth
                    .decide_tool_call(&turn.answer_id, &call.id, approval)
                {
                    eprintln!("error: {e}");
                }
            }
            ToolCallStatus::Running => eprintln!("(running {} · {})", call.server, call.tool),
            ToolCallStatus::Done => eprintln!(
                "({} · {} answered, {} bytes)",
                call.server,
                call.tool,
                call.result.as_deref().map_or(0, str::len)
            ),
            ToolCallStatus::Failed => eprintln!(
                "({} · {} failed: {})",
                call.server,
                call.tool,
                call.result.as_deref().unwrap_or("no reason given")
            ),
            ToolCallStatus::Declined => eprintln!("(declined {} · {})", call.server, call.tool),
        }
    }

    fn command(&mut self, command: &str) -> anyhow::Result<Flow> {
        let (name, rest) = command
            .split_once(char::is_whitespace)
            .unwrap_or((command, ""));
        let rest = rest.trim();
        let history = self.hearth.history();
        match name {
            "help" | "?" => eprintln!("{HELP}"),
            "exit" | "quit" | "bye" => return Ok(Flow::Quit),
            "new" | "clear" => {
                self.conversation = self.hearth.new_conversation(
                    self.conversation.model.as_deref(),
                    self.conversation.system_prompt.as_deref(),
                )?;
                eprintln!("(new conversation {})", self.conversation.id);
            }
            "regen" => {
                let branch = history.active_branch(&self.conversation.id)?;
                match branch.iter().rev().find(|m| m.role == Role::Assistant) {
                    Some(answer) => self.show(
                        self.hearth
                            .regenerate(&answer.id, self.options.clone())
                            .map_err(Into::into),
                    ),
                    None => eprintln!("there is no answer to write again yet"),
                }
            }
            "title" if rest.is_empty() => eprintln!(
                "title: {}",
                history.conversation(&self.conversation.id)?.title
            ),
            "title" => {
                history.rename(&self.conversation.id, rest)?;
                eprintln!("(renamed)");
            }
            "system" if rest.is_empty() => {
                eprintln!(
                    "system prompt: {}",
                    self.conversation
                        .system_prompt
                        .as_deref()
                        .unwrap_or("(none)")
                )
            }
            "system" => {
                self.update(ConversationChange {
                    system_prompt: Some(Some(rest.to_owned())),
                    ..ConversationChange::default()
                })?;
                eprintln!("(system prompt set)");
            }
            "model" if rest.is_empty() => eprintln!(
                "model: {}",
                self.conversation.model.as_deref().unwrap_or("(default)")
            ),
            "model" => {
                self.hearth.resolve_model(Some(rest))?;
                self.update(ConversationChange {
                    model: Some(Some(rest.to_owned())),
                    ..ConversationChange::default()
                })?;
                eprintln!("(model set to {rest}; it loads with the next message)");
            }
            "thinking" => {
                let switch = match rest {
                    "" => {
                        let now = hearth_core::chat::conversation_thinking(&self.conversation);
                        let now = match now {
                            Some(true) => "on",
                            Some(false) => "off",
                            None => "the model's default",
                        };
                        eprintln!("thinking: {now}");
                        return Ok(Flow::Continue);
                    }
                    "on" => Some(true),
                    "off" => Some(false),
                    "default" => None,
                    other => {
                        eprintln!("/thinking takes on, off or default, not {other:?}");
                        return Ok(Flow::Continue);
                    }
                };
                self.conversation = self
                    .hearth
                    .set_conversation_thinking(&self.conversation.id, switch)?;
                eprintln!("(thinking set for this conversation's next answers)");
            }
            other => eprintln!("unknown command /{other}; type /help"),
        }
        Ok(Flow::Continue)
    }

    fn update(&mut self, change: ConversationChange) -> anyhow::Result<()> {
        self.conversation = self
            .hearth
            .change_conversation(&self.conversation.id, change)?;
        Ok(())
    }
}
