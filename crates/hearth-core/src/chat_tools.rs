//! MCP tools in a conversation: which tools an answer is offered, the user's approval of
//! every call, running the approved ones, and giving the results back to the model.
//!
//! A model that can call tools (its chat template has a tools section, or it is a
//! remote provider's) is offered the tools of the MCP servers that are on, unless the
//! conversation turned tools off (`tools: false` in its settings). When the model asks
//! for a call, the answer waits: the call is shown with its arguments (a `ToolCall`
//! turn event) and runs only when the user allows it, once or always for that tool in
//! this conversation; "never" refuses it now and later. The decision, the arguments
//! and the result stay on the answer (`Message::tool_calls`), the call and its result
//! go to the audit log, and the model then writes again with the results in its
//! prompt, for at most [`MAX_TOOL_ROUNDS`] rounds.
//!
//! Nothing here runs a tool the user did not allow: a call that no one decides on
//! waits until the answer is stopped, and then counts as declined.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hearth_llm::{CancelToken, ChatMessage, Completion, GenerationOptions, ModelInfo, ToolChoice};
use hearth_mcp::McpHub;
use hearth_store::{
    Conversation, ConversationId, MessageId, Store, ToolApproval, ToolCallRecord, ToolCallStatus,
};

use crate::chat::TurnEvent;
use crate::error::{CoreError, Result};
use crate::hearth::poisoned;
use crate::Hearth;

/// Where a conversation's choice to offer tools is kept in its settings: absent or
/// `true` offers them, `false` does not.
pub const TOOLS_KEY: &str = "tools";

/// Where a conversation's standing decisions are kept: `{"server__tool": "always" |
/// "never"}`.
pub const TOOL_APPROVALS_KEY: &str = "tool_approvals";

/// The model writes at most this many times with tool results in one answer; the last
/// round is offered no tools, so it has to answer with what it has.
pub const MAX_TOOL_ROUNDS: u32 = 6;

/// What the model is told when the user refused a call.
const DECLINED: &str = "The user declined this tool call. Do not call it again; answer without it.";

/// The calls waiting for a decision, by answer and call id. Shared by the turns (which
/// wait on them) and [`Hearth::decide_tool_call`] (which answers them).
#[derive(Default)]
pub(crate) struct PendingCalls {
    waiting: Mutex<HashMap<(MessageId, String), flume::Sender<ToolApproval>>>,
}

impl PendingCalls {
    fn register(&self, answer: &MessageId, call: &str) -> Result<flume::Receiver<ToolApproval>> {
        let (sender, receiver) = flume::bounded(1);
        self.waiting
            .lock()
            .map_err(|_| poisoned())?
            .insert((answer.clone(), call.to_owned()), sender);
        Ok(receiver)
    }

    fn forget(&self, answer: &MessageId, call: &str) {
        if let Ok(mut waiting) = self.waiting.lock() {
            waiting.remove(&(answer.clone(), call.to_owned()));
        }
    }

    fn is_waiting(&self, answer: &MessageId, call: &str) -> bool {
        self.waiting
            .lock()
            .is_ok_and(|w| w.contains_key(&(answer.clone(), call.to_owned())))
    }

    /// Gives the decision to the turn waiting on it; false when none waits.
    pub(crate) fn decide(&self, answer: &MessageId, call: &str, approval: ToolApproval) -> bool {
        let sender = match self.waiting.lock() {
            Ok(mut waiting) => waiting.remove(&(answer.clone(), call.to_owned())),
            Err(_) => None,
        };
        sender.is_some_and(|s| s.send(approval).is_ok())
    }
}

impl Hearth {
    /// Decides on a tool call an answer is waiting on: allow it once, always for this
    /// tool in the conversation, or never (refused now and later). "Always" and "never"
    /// are kept in the conversation's settings before the answer goes on.
    pub fn decide_tool_call(
        &self,
        answer: &MessageId,
        call: &str,
        approval: ToolApproval,
    ) -> Result<()> {
        if !self.pending_calls.is_waiting(answer, call) {
            return Err(CoreError::NoPendingToolCall {
                answer: answer.to_string(),
                call: call.to_owned(),
            });
        }
        if approval != ToolApproval::Once {
            let message = self.store.message(answer)?;
            let name = message
                .tool_calls
                .iter()
                .flatten()
                .find(|c| c.id == call)
                .map(|c| c.name.clone());
            if let Some(name) = name {
                self.remember_tool_approval(&message.conversation_id, &name, approval)?;
            }
        }
        if !self.pending_calls.decide(answer, call, approval) {
            return Err(CoreError::NoPendingToolCall {
                answer: answer.to_string(),
                call: call.to_owned(),
            });
        }
        Ok(())
    }

    /// Turns the offer of MCP tools to a conversation's model on or off.
    pub fn set_conversation_tools(
        &self,
        conversation: &ConversationId,
        offered: bool,
    ) -> Result<Conversation> {
        let value = (!offered).then_some(serde_json::Value::Bool(false));
        self.set_conversation_setting(conversation, TOOLS_KEY, value)
    }

    fn remember_tool_approval(
        &self,
        conversation: &ConversationId,
        tool: &str,
        approval: ToolApproval,
    ) -> Result<()> {
        let current = self.store.conversation(conversation)?;
        let mut approvals = current
            .settings
            .get(TOOL_APPROVALS_KEY)
            .and_then(|v| v.as_object().cloned())
            .unwrap_or_default();
        let word = match approval {
            ToolApproval::Always => "always",
            ToolApproval::Never => "never",
            ToolApproval::Once => return Ok(()),
        };
        approvals.insert(tool.to_owned(), word.into());
        self.set_conversation_setting(
            conversation,
            TOOL_APPROVALS_KEY,
            Some(serde_json::Value::Object(approvals)),
        )?;
        Ok(())
    }

    /// The tools to offer an answer in this conversation, or `None` when it gets none:
    /// tools are off for it, no MCP server is on, the caller already chose tools, or
    /// the model's template has no place for them. Servers that cannot be reached are
    /// logged and left out; the others' tools are offered.
    pub(crate) fn conversation_tools(
        &self,
        conversation: &Conversation,
        info: &ModelInfo,
        options: &GenerationOptions,
    ) -> Result<Option<OfferedTools>> {
        let off = conversation.settings.get(TOOLS_KEY) == Some(&serde_json::Value::Bool(false));
        if off || !options.tools.is_empty() || options.tool_choice == ToolChoice::None {
            return Ok(None);
        }
        if !self.mcp_servers().iter().any(|s| s.enabled)
            || !can_call_tools(info.chat_template.as_deref(), info.provider.is_some())
        {
            return Ok(None);
        }
        let hub = self.mcp_hub()?;
        let listing = hub.tools();
        for error in &listing.errors {
            tracing::warn!(%error, "an MCP server's tools are not offered");
        }
        if listing.tools.is_empty() {
            return Ok(None);
        }
        let names = listing
            .tools
            .iter()
            .map(|t| (t.spec.name.clone(), (t.server.clone(), t.tool.clone())))
            .collect();
        Ok(Some(OfferedTools {
            specs: listing.tools.into_iter().map(|t| t.spec).collect(),
            names,
            hub,
            pending: self.pending_calls.clone(),
        }))
    }
}

/// Whether a model can be offered tools: its template has a section for them (what
/// llama-server checks too), or it is a remote provider's, whose API takes them.
fn can_call_tools(template: Option<&str>, remote: bool) -> bool {
    match template {
        Some(template) => template.contains("tools"),
        None => remote,
    }
}

/// The tools offered to one answer, and what running them needs.
pub(crate) struct OfferedTools {
    specs: Vec<hearth_llm::ToolSpec>,
    /// The model's name of each tool (`server__tool`) to its server and tool.
    names: HashMap<String, (String, String)>,
    hub: Arc<McpHub>,
    pending: Arc<PendingCalls>,
}

impl OfferedTools {
    /// The options that offer the tools to the model.
    pub(crate) fn offer(&self, options: &mut GenerationOptions) {
        options.tools = self.specs.clone();
        options.tool_choice = ToolChoice::Auto;
    }
}

/// What an answer with tools needs after the model's first pass: the prompt to extend
/// with each round's calls and results, and the engine to write again with.
pub(crate) struct ToolLoop {
    pub(crate) tools: OfferedTools,
    pub(crate) engine: Arc<dyn hearth_llm::Engine>,
    pub(crate) prompt: Vec<ChatMessage>,
    pub(crate) options: GenerationOptions,
    pub(crate) store: Arc<Store>,
    pub(crate) conversation: ConversationId,
    pub(crate) answer: MessageId,
    /// The turn's own token: stopping the turn cancels the generation that runs now
    /// (through `current`), a wait for approval, and a running tool.
    pub(crate) cancel: CancelToken,
    pub(crate) current: Arc<Mutex<CancelToken>>,
    /// Every call of the answer so far, as stored.
    pub(crate) calls: Vec<ToolCallRecord>,
    pub(crate) round: u32,
}

/// How a round of calls ended.
pub(crate) enum RoundEnd {
    /// The model writes again with the results.
    Next(hearth_llm::Generation),
    /// The user stopped the answer while a call waited or ran.
    Stopped,
    /// The model could not be asked again.
    Failed(String),
}

impl ToolLoop {
    /// Shows, decides and runs the calls of one finished pass, then starts the next
    /// pass with their results.
    pub(crate) fn run_round(
        &mut self,
        completion: &Completion,
        events: &flume::Sender<TurnEvent>,
    ) -> RoundEnd {
        // A model that asks again for calls it made in this answer (small models do,
        // with the result right there in their prompt) is not asked about them again:
        // it writes once more without tools, so it answers from what it has.
        let repeated = completion.tool_calls.iter().all(|call| {
            self.calls
                .iter()
                .any(|made| made.name == call.name && made.arguments == call.arguments)
        });
        if repeated {
            tracing::debug!("the model repeated its tool calls; it answers without tools");
            return self.next_pass(true);
        }
        let first = self.calls.len();
        for (i, call) in completion.tool_calls.iter().enumerate() {
            let (server, tool) = self
                .tools
                .names
                .get(&call.name)
                .cloned()
                .unwrap_or_default();
            // Ids must be unique within the answer for the approval to find its call.
            let id = if call.id.is_empty() || self.calls.iter().any(|c| c.id == call.id) {
                format!("call_{}_{}", self.round, i)
            } else {
                call.id.clone()
            };
            self.calls.push(ToolCallRecord {
                id,
                round: self.round,
                name: call.name.clone(),
                server,
                tool,
                arguments: call.arguments.clone(),
                status: ToolCallStatus::Pending,
                approval: None,
                result: None,
                is_error: false,
                preamble: (i == 0 && !completion.text.trim().is_empty())
                    .then(|| completion.text.clone()),
            });
        }
        for index in first..self.calls.len() {
            if !self.decide_and_run(index, events) {
                // Whatever was not decided counts as declined; the answer stops.
                for call in &mut self.calls[index..] {
                    if matches!(
                        call.status,
                        ToolCallStatus::Pending | ToolCallStatus::Running
                    ) {
                        call.status = ToolCallStatus::Declined;
                    }
                }
                self.save();
                for call in &self.calls[index..] {
                    let _ = events.send(TurnEvent::ToolCall { call: call.clone() });
                }
                return RoundEnd::Stopped;
            }
        }
        self.prompt.push(ChatMessage {
            reasoning: completion.reasoning.clone().filter(|r| !r.is_empty()),
            tool_calls: self.calls[first..].iter().map(model_call).collect(),
            ..ChatMessage::assistant(completion.text.clone())
        });
        for call in &self.calls[first..] {
            self.prompt.push(tool_message(call));
        }
        self.round += 1;
        self.next_pass(self.round + 1 >= MAX_TOOL_ROUNDS)
    }

    /// Starts the model's next pass on the prompt as it stands; `answer_now` offers no
    /// tools, so the model answers with what it has (the last round, or one that only
    /// repeated earlier calls).
    fn next_pass(&mut self, answer_now: bool) -> RoundEnd {
        let mut options = self.options.clone();
        if answer_now {
            options.tools.clear();
            options.tool_choice = ToolChoice::Auto;
        }
        if self.cancel.is_cancelled() {
            return RoundEnd::Stopped;
        }
        match self.engine.chat(&self.prompt, options) {
            Ok((generation, _)) => {
                if let Ok(mut current) = self.current.lock() {
                    *current = generation.cancel_token();
                }
                // A stop that came between the check and the swap.
                if self.cancel.is_cancelled() {
                    generation.cancel_token().cancel();
                }
                RoundEnd::Next(generation)
            }
            Err(e) => RoundEnd::Failed(e.to_string()),
        }
    }

    /// Gets the decision on one call (the conversation's standing one, or the user's)
    /// and runs the call if it is allowed. False when the answer was stopped first.
    fn decide_and_run(&mut self, index: usize, events: &flume::Sender<TurnEvent>) -> bool {
        let name = self.calls[index].name.clone();
        if !self.tools.names.contains_key(&name) {
            let offered = self.offered_names();
            let call = &mut self.calls[index];
            call.status = ToolCallStatus::Failed;
            call.is_error = true;
            call.result = Some(format!(
                "There is no tool named {name:?}; the tools offered are {offered}."
            ));
            self.publish(index, events);
            return true;
        }
        let approval = match self.standing_approval(&name) {
            Some(approval) => approval,
            None => {
                // Waiting before it is shown: a caller that decides as soon as it sees
                // the pending call must find it.
                let id = self.calls[index].id.clone();
                let Ok(decision) = self.tools.pending.register(&self.answer, &id) else {
                    return false;
                };
                self.publish(index, events);
                let decided = self.wait_for(&decision);
                self.tools.pending.forget(&self.answer, &id);
                match decided {
                    Some(approval) => approval,
                    None => return false,
                }
            }
        };
        self.calls[index].approval = Some(approval);
        if approval == ToolApproval::Never {
            self.calls[index].status = ToolCallStatus::Declined;
            self.publish(index, events);
            return true;
        }
        self.calls[index].status = ToolCallStatus::Running;
        self.publish(index, events);
        let call = &self.calls[index];
        let (server, tool) = (call.server.clone(), call.tool.clone());
        let outcome = crate::mcp::call_tool_audited(
            &self.store,
            &self.tools.hub,
            &name,
            call.arguments.clone(),
            Some(self.conversation.as_str()),
            Some(&self.cancel),
        );
        let call = &mut self.calls[index];
        match outcome {
            Ok(outcome) => {
                call.status = if outcome.is_error {
                    ToolCallStatus::Failed
                } else {
                    ToolCallStatus::Done
                };
                call.is_error = outcome.is_error;
                call.result = Some(outcome.text);
            }
            Err(_) if self.cancel.is_cancelled() => return false,
            Err(e) => {
                call.status = ToolCallStatus::Failed;
                call.is_error = true;
                call.result = Some(format!("The call to {server} · {tool} failed: {e}"));
            }
        }
        self.publish(index, events);
        true
    }

    /// Waits for the user's decision; `None` when the answer is stopped first.
    fn wait_for(&self, decision: &flume::Receiver<ToolApproval>) -> Option<ToolApproval> {
        loop {
            match decision.recv_timeout(Duration::from_millis(100)) {
                Ok(approval) => return Some(approval),
                Err(flume::RecvTimeoutError::Timeout) if self.cancel.is_cancelled() => return None,
                Err(flume::RecvTimeoutError::Timeout) => {}
                Err(flume::RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// The conversation's "always" or "never" for a tool, read now, so a choice made
    /// on an earlier call of this answer counts.
    fn standing_approval(&self, name: &str) -> Option<ToolApproval> {
        let conversation = self.store.conversation(&self.conversation).ok()?;
        match conversation
            .settings
            .get(TOOL_APPROVALS_KEY)?
            .get(name)?
            .as_str()?
        {
            "always" => Some(ToolApproval::Always),
            "never" => Some(ToolApproval::Never),
            _ => None,
        }
    }

    fn offered_names(&self) -> String {
        let mut names: Vec<&str> = self.tools.names.keys().map(String::as_str).collect();
        names.sort_unstable();
        names.join(", ")
    }

    /// Stores the calls and tells the caller about one that changed.
    fn publish(&self, index: usize, events: &flume::Sender<TurnEvent>) {
        self.save();
        let _ = events.send(TurnEvent::ToolCall {
            call: self.calls[index].clone(),
        });
    }

    fn save(&self) {
        if let Err(e) = self.store.set_tool_calls(&self.answer, &self.calls) {
            tracing::error!(error = %e, "could not store the answer's tool calls");
        }
    }
}

/// A stored call as the model made it, for its assistant turn.
fn model_call(call: &ToolCallRecord) -> hearth_llm::ToolCall {
    hearth_llm::ToolCall {
        id: call.id.clone(),
        name: call.name.clone(),
        arguments: call.arguments.clone(),
    }
}

/// The `tool` turn that gives a call's outcome back to the model.
fn tool_message(call: &ToolCallRecord) -> ChatMessage {
    let content = match call.status {
        ToolCallStatus::Declined => DECLINED.to_owned(),
        _ => call.result.clone().unwrap_or_default(),
    };
    ChatMessage {
        tool_call_id: Some(call.id.clone()),
        name: Some(call.name.clone()),
        ..ChatMessage::new(hearth_llm::Role::Tool, content)
    }
}

/// A stored answer's calls as the turns the model saw: per round, its assistant turn
/// with the calls, then a tool turn per result. Calls left undecided (an answer cut
/// off while one waited) read as declined.
pub(crate) fn replay_tool_rounds(calls: &[ToolCallRecord], messages: &mut Vec<ChatMessage>) {
    let mut rounds: Vec<u32> = calls.iter().map(|c| c.round).collect();
    rounds.dedup();
    for round in rounds {
        let in_round: Vec<&ToolCallRecord> = calls.iter().filter(|c| c.round == round).collect();
        let preamble = in_round
            .first()
            .and_then(|c| c.preamble.clone())
            .unwrap_or_default();
        messages.push(ChatMessage {
            tool_calls: in_round.iter().copied().map(model_call).collect(),
            ..ChatMessage::assistant(preamble)
        });
        for call in in_round {
            let mut call = call.clone();
            if matches!(
                call.status,
                ToolCallStatus::Pending | ToolCallStatus::Running
            ) {
                call.status = ToolCallStatus::Declined;
            }
            messages.push(tool_message(&call));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, round: u32, status: ToolCallStatus) -> ToolCallRecord {
        ToolCallRecord {
            id: id.into(),
            round,
            name: "files__read".into(),
            server: "files".into(),
            tool: "read".into(),
            arguments: serde_json::json!({"path": "/tmp/a"}),
            status,
            approval: None,
            result: Some(format!("result of {id}")),
            is_error: false,
            preamble: (id == "a").then(|| "Let me look.".into()),
        }
    }

    #[test]
    fn stored_calls_replay_as_one_assistant_turn_per_round_and_a_tool_turn_per_call() {
        let calls = [
            record("a", 0, ToolCallStatus::Done),
            record("b", 0, ToolCallStatus::Declined),
            record("c", 1, ToolCallStatus::Pending),
        ];
        let mut messages = Vec::new();
        replay_tool_rounds(&calls, &mut messages);
        let roles: Vec<_> = messages.iter().map(|m| m.role).collect();
        use hearth_llm::Role::{Assistant, Tool};
        assert_eq!(roles, [Assistant, Tool, Tool, Assistant, Tool]);
        assert_eq!(messages[0].content, "Let me look.");
        assert_eq!(messages[0].tool_calls.len(), 2);
        assert_eq!(messages[1].content, "result of a");
        assert_eq!(messages[1].tool_call_id.as_deref(), Some("a"));
        assert_eq!(messages[2].content, DECLINED);
        // Cut off while waiting: the model is told it was declined.
        assert_eq!(messages[4].content, DECLINED);
    }

    #[test]
    fn a_decision_reaches_only_the_call_that_waits_for_it() {
        let pending = PendingCalls::default();
        let answer = MessageId::from("answer".to_owned());
        let receiver = pending.register(&answer, "call_1").unwrap();
        assert!(!pending.decide(&answer, "call_2", ToolApproval::Once));
        assert!(pending.decide(&answer, "call_1", ToolApproval::Always));
        assert_eq!(receiver.try_recv().unwrap(), ToolApproval::Always);
        // Decided once: a second decision finds nothing waiting.
        assert!(!pending.decide(&answer, "call_1", ToolApproval::Never));
    }

    #[test]
    fn only_templates_with_a_tools_section_and_remote_models_are_offered_tools() {
        let plain = "{% for m in messages %}{{ m.content }}{% endfor %}";
        assert!(!can_call_tools(Some(plain), false));
        let with_tools = "{% if tools %}{{ tools | tojson }}{% endif %}";
        assert!(can_call_tools(Some(with_tools), false));
        assert!(!can_call_tools(None, false));
        assert!(can_call_tools(None, true));
    }
}
