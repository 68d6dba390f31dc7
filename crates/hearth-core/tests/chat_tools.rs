//! MCP tools in a conversation, on the scripted fake model with Qwen2.5's real chat
//! template (`.testdata/chat-templates`, fetched by scripts/fetch-test-templates.sh)
//! and the protocol's real reference server from npm (`server-everything`, installed
//! by scripts/fetch-mcp-servers.sh), not a stand-in: a call the model writes is shown
//! pending, runs only when allowed (once, always, never), its result reaches the
//! model's next pass and the audit log, stopping while it waits declines it, a
//! conversation with tools off or a template without tools is offered none, later
//! prompts replay the calls, and the rounds are capped.
//!
//! Every blocking read of the turn's events comes after the fake was told what to say
//! (or after a tool call, which has the MCP client's own timeout), so a broken turn
//! fails a check instead of hanging the test.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use hearth_core::chat_tools::{MAX_TOOL_ROUNDS, TOOL_APPROVALS_KEY};
use hearth_core::{ChatTurn, Hearth, Isolation, OpenOptions, Paths, TurnEvent};
use hearth_llm::fake::{FakeEngine, FakeStream};
use hearth_llm::transcripts;
use hearth_llm::{EngineRequest, GenerationOptions, Prompt, StopReason};
use hearth_mcp::McpServerConfig;
use hearth_store::{
    AuditFilter, AuditPurpose, ConversationId, Message, MessageState, ToolApproval, ToolCallRecord,
    ToolCallStatus,
};
use serde_json::json;

use crate::servers;
use servers::everything_entry;

const QWEN25: &str = "Qwen-Qwen2.5-7B-Instruct.jinja";

/// SmolLM2's template: ChatML with no tools section.
const SMOLLM2: &str = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

/// What the model writes to call the echo tool, as Qwen2.5 writes a call.
const ECHO_CALL: &str =
    "<tool_call>\n{\"name\": \"everything__echo\", \"arguments\": {\"message\": \"hello hearth\"}}\n</tool_call>";

/// The echo call with another message: a new call, not a repeat of an earlier one.
fn echo_call(message: &str) -> String {
    format!(
        "<tool_call>\n{{\"name\": \"everything__echo\", \"arguments\": {{\"message\": \"{message}\"}}}}\n</tool_call>"
    )
}

/// What the model was told about a declined call (chat_tools.rs).
const DECLINED_NOTE: &str = "The user declined this tool call";

/// A failure guard only: a request that has not come by then never will.
const WAIT: Duration = Duration::from_secs(60);

struct Fixture {
    _dir: tempfile::TempDir,
    fake: Arc<FakeEngine>,
    hearth: Hearth,
}

/// A Hearth on the fake with `template`, and the everything server saved (on).
fn fixture_with_template(template: String) -> Fixture {
    // Tool schemas make the system prompt long; a byte is a token to the fake.
    fixture_with(template, 65_536)
}

fn fixture_with(template: String, context_length: u32) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let fake = Arc::new(
        FakeEngine::new()
            .with_template(template)
            .with_context_length(context_length),
    );
    let hearth = Hearth::open(OpenOptions {
        paths: Paths::under(dir.path()),
        isolation: Some(Isolation::Provided(fake.clone())),
    })
    .unwrap();
    let entry = everything_entry();
    hearth
        .save_mcp_server(McpServerConfig::stdio(
            "everything",
            "node",
            [entry.to_str().unwrap(), "stdio"],
        ))
        .unwrap();
    Fixture {
        _dir: dir,
        fake,
        hearth,
    }
}

fn fixture() -> Fixture {
    let template = transcripts::chat_template(QWEN25).unwrap_or_else(|e| panic!("{e}"));
    fixture_with_template(template)
}

impl Fixture {
    /// A conversation with a title already, so no background title request comes
    /// between the answer's requests.
    fn conversation(&self) -> ConversationId {
        let conversation = self.hearth.new_conversation(None, None).unwrap();
        self.hearth
            .store()
            .rename(&conversation.id, "Tools")
            .unwrap();
        conversation.id
    }

    fn ask(&self, conversation: &ConversationId, question: &str) -> ChatTurn {
        self.hearth
            .send_message(conversation, question, GenerationOptions::greedy())
            .unwrap()
    }

    /// A new conversation whose model asked to echo "hello hearth", the call waiting
    /// for the user's decision.
    fn echo_waiting(&self) -> (ConversationId, ChatTurn, ToolCallRecord) {
        let conversation = self.conversation();
        let turn = self.ask(&conversation, "Echo hello hearth.");
        say(self.request(), &[ECHO_CALL]);
        let pending = next_call(&turn);
        assert_pending_echo(&pending);
        (conversation, turn, pending)
    }

    /// [`Fixture::echo_waiting`], allowed with `approval`, run and answered.
    fn echo_allowed(&self, approval: ToolApproval) -> (ConversationId, ChatTurn) {
        let (conversation, turn, pending) = self.echo_waiting();
        self.hearth
            .decide_tool_call(&turn.answer_id, &pending.id, approval)
            .unwrap();
        assert_runs_and_echoes(&turn, &pending.id, approval);
        (conversation, turn)
    }

    fn request(&self) -> FakeStream {
        self.fake
            .next_request(WAIT)
            .expect("the model was asked to write")
    }

    fn tool_call_records(&self, conversation: &ConversationId) -> usize {
        self.hearth
            .store()
            .audit_records_where(&AuditFilter {
                purpose: Some(AuditPurpose::ToolCall),
                ..AuditFilter::default()
            })
            .unwrap()
            .iter()
            .filter(|r| r.conversation_id.as_deref() == Some(conversation.as_str()))
            .count()
    }
}

fn prompt_of(request: &EngineRequest) -> &str {
    match &request.prompt {
        Prompt::Text(text) => text,
        Prompt::Tokens(_) => panic!("a text prompt was expected"),
    }
}

/// The model's pass: the chunks, then the end.
fn say(mut stream: FakeStream, chunks: &[&str]) {
    for chunk in chunks {
        assert!(stream.push(chunk), "the turn went away");
    }
    stream.finish(StopReason::EndOfGeneration);
}

/// Reads the turn's events up to its next tool call event; the text that streamed
/// before it must not show the call's markup. Only called once the model's pass was
/// written (or a call was decided), so it cannot wait forever.
fn next_call(turn: &ChatTurn) -> ToolCallRecord {
    loop {
        match turn.next_event() {
            Some(TurnEvent::ToolCall { call }) => return call,
            Some(TurnEvent::Delta { text }) => {
                assert!(
                    !text.contains("tool_call"),
                    "the call leaked as text: {text:?}"
                )
            }
            Some(TurnEvent::Reasoning { .. } | TurnEvent::Folded { .. }) => {}
            Some(TurnEvent::Finished { message }) => {
                panic!("the answer ended before a tool call event: {message:?}")
            }
            None => panic!("the turn ended without its final state"),
        }
    }
}

/// Reads the turn's events to the end: the text of the deltas and the stored answer.
/// Tool call events there fail the test.
fn finish(turn: &ChatTurn) -> (String, Message) {
    let mut text = String::new();
    loop {
        match turn.next_event() {
            Some(TurnEvent::Delta { text: delta }) => text.push_str(&delta),
            Some(TurnEvent::Reasoning { .. } | TurnEvent::Folded { .. }) => {}
            Some(TurnEvent::ToolCall { call }) => panic!("an unexpected tool call event: {call:?}"),
            Some(TurnEvent::Finished { message }) => return (text, message),
            None => panic!("the turn ended without its final state"),
        }
    }
}

/// The call the model asked for in `a`, waiting: checks what it shows.
fn assert_pending_echo(call: &ToolCallRecord) {
    assert_eq!(call.status, ToolCallStatus::Pending, "{call:?}");
    assert_eq!(call.name, "everything__echo");
    assert_eq!(
        (call.server.as_str(), call.tool.as_str()),
        ("everything", "echo")
    );
    assert_eq!(call.arguments, json!({"message": "hello hearth"}));
    assert_eq!(call.approval, None);
    assert_eq!(call.result, None);
    assert_eq!(call.round, 0);
}

/// Runs the call of a pass through `running` and `done` after it was allowed.
fn assert_runs_and_echoes(turn: &ChatTurn, id: &str, approval: ToolApproval) -> ToolCallRecord {
    let running = next_call(turn);
    assert_eq!(
        (running.id.as_str(), running.status, running.approval),
        (id, ToolCallStatus::Running, Some(approval))
    );
    let done = next_call(turn);
    assert_eq!(done.id, id);
    assert_eq!(done.status, ToolCallStatus::Done, "{done:?}");
    assert!(!done.is_error, "{done:?}");
    let result = done.result.clone().unwrap_or_default();
    assert!(result.contains("hello hearth"), "{result:?}");
    done
}

#[test]
fn a_call_allowed_once_runs_its_result_reaches_the_model_and_the_audit_log() {
    let f = fixture();
    let conversation = f.conversation();
    let turn = f.ask(&conversation, "Echo hello hearth, please.");

    // The first pass is offered the server's tools, described by the template.
    let first = f.request();
    let names: Vec<&str> = first
        .request
        .options
        .tools
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    assert!(names.contains(&"everything__echo"), "{names:?}");
    let prompt = prompt_of(&first.request);
    assert!(
        prompt.contains("<tools>") && prompt.contains("everything__echo"),
        "{prompt}"
    );
    say(first, &[ECHO_CALL]);

    let pending = next_call(&turn);
    assert_pending_echo(&pending);
    // Stored as it waits, and nothing ran: no tool call in the audit log.
    let stored = f.hearth.store().message(&turn.answer_id).unwrap();
    assert_eq!(stored.state, MessageState::Streaming);
    assert_eq!(
        stored.tool_calls.as_deref(),
        Some(std::slice::from_ref(&pending))
    );
    assert_eq!(f.tool_call_records(&conversation), 0);

    f.hearth
        .decide_tool_call(&turn.answer_id, &pending.id, ToolApproval::Once)
        .unwrap();
    let done = assert_runs_and_echoes(&turn, &pending.id, ToolApproval::Once);

    // The second pass has the call and its result in its prompt, as Qwen2.5 writes them.
    let second = f.request();
    let prompt = prompt_of(&second.request).to_owned();
    let response = format!(
        "<tool_response>\n{}\n</tool_response>",
        done.result.as_deref().unwrap()
    );
    assert!(prompt.contains(&response), "{prompt}");
    assert!(
        prompt.contains("<tool_call>\n{\"name\": \"everything__echo\", \"arguments\": {\"message\": \"hello hearth\"}}\n</tool_call>"),
        "{prompt}"
    );
    assert!(prompt.ends_with("<|im_start|>assistant\n"), "{prompt}");
    // Still offered the tools: this is not the last round.
    assert!(!second.request.options.tools.is_empty());
    say(second, &["The tool said: ", "hello hearth."]);

    let (text, message) = finish(&turn);
    assert_eq!(text, "The tool said: hello hearth.");
    assert_eq!(message.state, MessageState::Done);
    assert_eq!(message.content, "The tool said: hello hearth.");
    let calls = message
        .tool_calls
        .clone()
        .expect("the answer keeps its calls");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0], done);
    assert_eq!(calls[0].approval, Some(ToolApproval::Once));
    // As stored, not only as streamed.
    assert_eq!(f.hearth.store().message(&turn.answer_id).unwrap(), message);

    // Exactly one tool call in the audit log, for this conversation, the echo tool.
    let records = f
        .hearth
        .store()
        .audit_records_where(&AuditFilter {
            purpose: Some(AuditPurpose::ToolCall),
            ..AuditFilter::default()
        })
        .unwrap();
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(
        records[0].conversation_id.as_deref(),
        Some(conversation.as_str())
    );
    assert_eq!(records[0].provider, "mcp:everything");
    assert_eq!(records[0].model, "everything/echo");
    assert!(records[0].error.is_none(), "{:?}", records[0]);

    // "Once" is not remembered: the conversation has no standing decision.
    let settings = f
        .hearth
        .store()
        .conversation(&conversation)
        .unwrap()
        .settings;
    assert!(settings.get(TOOL_APPROVALS_KEY).is_none(), "{settings}");
}

#[test]
fn always_is_kept_for_the_conversation_and_later_calls_run_without_asking() {
    let f = fixture();
    let (conversation, turn) = f.echo_allowed(ToolApproval::Always);
    say(f.request(), &["Done."]);
    let (_, first) = finish(&turn);
    assert_eq!(first.state, MessageState::Done);

    let settings = f
        .hearth
        .store()
        .conversation(&conversation)
        .unwrap()
        .settings;
    assert_eq!(
        settings[TOOL_APPROVALS_KEY],
        json!({"everything__echo": "always"}),
        "{settings}"
    );

    // The next question's call runs at once: running, then done, no pending event.
    let turn = f.ask(&conversation, "Again, please.");
    say(f.request(), &[ECHO_CALL]);
    let first_event = next_call(&turn);
    assert_eq!(
        first_event.status,
        ToolCallStatus::Running,
        "{first_event:?}"
    );
    assert_eq!(first_event.approval, Some(ToolApproval::Always));
    let done = next_call(&turn);
    assert_eq!(done.status, ToolCallStatus::Done, "{done:?}");
    // Nothing waits on a decision.
    let decided = f
        .hearth
        .decide_tool_call(&turn.answer_id, &done.id, ToolApproval::Once)
        .unwrap_err();
    assert_eq!(decided.code(), "NO_PENDING_TOOL_CALL");
    say(f.request(), &["Done again."]);
    let (text, second) = finish(&turn);
    assert_eq!(text, "Done again.");
    assert_eq!(second.tool_calls.as_ref().map(Vec::len), Some(1));
    assert_eq!(f.tool_call_records(&conversation), 2);
}

#[test]
fn never_declines_the_call_tells_the_model_and_declines_later_calls_without_asking() {
    let f = fixture();
    let (conversation, turn, pending) = f.echo_waiting();
    f.hearth
        .decide_tool_call(&turn.answer_id, &pending.id, ToolApproval::Never)
        .unwrap();
    let declined = next_call(&turn);
    assert_eq!(
        (declined.status, declined.approval),
        (ToolCallStatus::Declined, Some(ToolApproval::Never))
    );
    assert_eq!(declined.result, None);

    // The model is told, in the call's tool turn.
    let second = f.request();
    let prompt = prompt_of(&second.request).to_owned();
    assert!(
        prompt.contains(&format!("<tool_response>\n{DECLINED_NOTE}")),
        "{prompt}"
    );
    say(second, &["I will not use it."]);
    let (text, message) = finish(&turn);
    assert_eq!(text, "I will not use it.");
    assert_eq!(message.state, MessageState::Done);
    assert_eq!(
        message.tool_calls.as_ref().map(|c| c[0].status),
        Some(ToolCallStatus::Declined)
    );
    let settings = f
        .hearth
        .store()
        .conversation(&conversation)
        .unwrap()
        .settings;
    assert_eq!(
        settings[TOOL_APPROVALS_KEY],
        json!({"everything__echo": "never"})
    );

    // Asked again in a later answer: declined at once, never pending, never run.
    let turn = f.ask(&conversation, "Try again.");
    say(f.request(), &[ECHO_CALL]);
    let again = next_call(&turn);
    assert_eq!(
        (again.status, again.approval),
        (ToolCallStatus::Declined, Some(ToolApproval::Never)),
        "{again:?}"
    );
    let third = f.request();
    assert!(prompt_of(&third.request).contains(DECLINED_NOTE));
    say(third, &["Still no."]);
    let (_, message) = finish(&turn);
    assert_eq!(message.state, MessageState::Done);
    assert_eq!(f.tool_call_records(&conversation), 0);
}

#[test]
fn stopping_while_a_call_waits_declines_it_and_leaves_nothing_to_decide() {
    let f = fixture();
    let (conversation, turn, pending) = f.echo_waiting();

    turn.stop();
    let declined = next_call(&turn);
    assert_eq!(declined.id, pending.id);
    assert_eq!(
        (declined.status, declined.approval),
        (ToolCallStatus::Declined, None)
    );
    let (_, message) = finish(&turn);
    assert_eq!(message.state, MessageState::Stopped);
    assert_eq!(
        message.tool_calls.as_ref().map(|c| c[0].status),
        Some(ToolCallStatus::Declined)
    );
    let stored = f.hearth.store().message(&turn.answer_id).unwrap();
    assert_eq!(stored, message);

    let error = f
        .hearth
        .decide_tool_call(&turn.answer_id, &pending.id, ToolApproval::Once)
        .unwrap_err();
    assert_eq!(error.code(), "NO_PENDING_TOOL_CALL");
    assert_eq!(f.tool_call_records(&conversation), 0);
    // The model was not asked again.
    assert_eq!(f.fake.received().len(), 1);

    // The stopped answer wrote no text, only the call; the next prompt still shows the
    // call, and that it was declined.
    assert_eq!(message.content.trim(), "", "{message:?}");
    let turn = f.ask(&conversation, "Never mind.");
    let next = f.request();
    let prompt = prompt_of(&next.request).to_owned();
    say(next, &["Fine."]);
    finish(&turn);
    let order = [
        "Echo hello hearth.",
        "<tool_call>\n{\"name\": \"everything__echo\"",
        &format!("<tool_response>\n{DECLINED_NOTE}"),
        "Never mind.",
    ];
    assert_in_order(&prompt, &order);
}

#[test]
fn no_tools_are_offered_when_the_conversation_turns_them_off_or_the_template_has_no_place() {
    // Qwen2.5 with tools on: offered (the check below can tell).
    let f = fixture();
    let conversation = f.conversation();
    let turn = f.ask(&conversation, "Hi");
    say(f.request(), &["Hello."]);
    finish(&turn);
    // Off for this conversation: none, and the template writes no tools section.
    let updated = f
        .hearth
        .set_conversation_tools(&conversation, false)
        .unwrap();
    assert_eq!(updated.settings["tools"], false);
    let turn = f.ask(&conversation, "Hi again");
    say(f.request(), &["Hello again."]);
    let (_, message) = finish(&turn);
    assert_eq!(message.tool_calls, None);
    // On again: offered again.
    f.hearth
        .set_conversation_tools(&conversation, true)
        .unwrap();
    let turn = f.ask(&conversation, "And again");
    say(f.request(), &["Hello."]);
    finish(&turn);
    let received = f.fake.received();
    assert_eq!(received.len(), 3);
    assert!(!received[0].options.tools.is_empty());
    assert!(prompt_of(&received[0]).contains("<tools>"));
    assert!(received[1].options.tools.is_empty());
    assert!(
        !prompt_of(&received[1]).contains("<tools>"),
        "{}",
        prompt_of(&received[1])
    );
    assert!(!received[2].options.tools.is_empty());

    // A template without a tools section (SmolLM2's): the server is on, none offered.
    let f = fixture_with_template(SMOLLM2.to_owned());
    let conversation = f.conversation();
    let turn = f.ask(&conversation, "Hi");
    say(f.request(), &["Hello."]);
    let (_, message) = finish(&turn);
    assert_eq!(message.state, MessageState::Done);
    let received = f.fake.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].options.tools.is_empty());
    assert!(!prompt_of(&received[0]).contains("everything__echo"));
}

#[test]
fn later_prompts_replay_the_calls_and_their_results() {
    let f = fixture();
    let conversation = f.conversation();
    let turn = f.ask(&conversation, "Echo hello hearth.");
    say(f.request(), &["Let me call it.\n", ECHO_CALL]);
    let pending = next_call(&turn);
    assert_eq!(
        pending.preamble.as_deref().map(str::trim),
        Some("Let me call it.")
    );
    f.hearth
        .decide_tool_call(&turn.answer_id, &pending.id, ToolApproval::Once)
        .unwrap();
    let done = assert_runs_and_echoes(&turn, &pending.id, ToolApproval::Once);
    say(f.request(), &["It said hello hearth."]);
    let (_, first) = finish(&turn);
    assert_eq!(first.content, "It said hello hearth.");

    let turn = f.ask(&conversation, "What did the tool say?");
    let next = f.request();
    let prompt = prompt_of(&next.request).to_owned();
    say(next, &["It said: hello hearth."]);
    finish(&turn);
    // The first question, the call as the model wrote it, its result, the answer, then
    // the new question, in that order.
    let order = [
        "Echo hello hearth.",
        "<tool_call>\n{\"name\": \"everything__echo\"",
        &format!(
            "<tool_response>\n{}\n</tool_response>",
            done.result.as_deref().unwrap()
        ),
        "It said hello hearth.",
        "What did the tool say?",
    ];
    assert_in_order(&prompt, &order);
}

/// Each piece is in `prompt`, after the one before it.
fn assert_in_order(prompt: &str, pieces: &[&str]) {
    let mut from = 0;
    for piece in pieces {
        let at = prompt[from..]
            .find(piece)
            .unwrap_or_else(|| panic!("{piece:?} missing after byte {from} of:\n{prompt}"));
        from += at + piece.len();
    }
}

#[test]
fn the_last_round_is_offered_no_tools() {
    let f = fixture();
    let (_, turn) = f.echo_allowed(ToolApproval::Always);
    // The model calls again, with new arguments, in every pass that is offered tools.
    for round in 1..MAX_TOOL_ROUNDS - 1 {
        let stream = f.request();
        assert!(!stream.request.options.tools.is_empty(), "round {round}");
        say(stream, &[&echo_call(&format!("hello hearth {round}"))]);
        let running = next_call(&turn);
        assert_eq!(
            (running.round, running.status),
            (round, ToolCallStatus::Running)
        );
        let done = next_call(&turn);
        assert_eq!(done.status, ToolCallStatus::Done, "{done:?}");
    }
    // The last pass has none, so what it writes is the answer.
    let last = f.request();
    assert!(last.request.options.tools.is_empty());
    say(last, &["Enough echoes."]);
    let (text, message) = finish(&turn);
    assert_eq!(text, "Enough echoes.");
    assert_eq!(message.state, MessageState::Done);
    let calls = message.tool_calls.unwrap();
    assert_eq!(calls.len(), (MAX_TOOL_ROUNDS - 1) as usize);
    // Unique ids, so each decision and each tool turn finds its call.
    let mut ids: Vec<&str> = calls.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), calls.len(), "{calls:?}");
    assert_eq!(f.fake.received().len(), MAX_TOOL_ROUNDS as usize);
}

#[test]
fn a_model_that_repeats_a_call_it_made_is_made_to_answer_without_tools() {
    let f = fixture();
    let (_, turn) = f.echo_allowed(ToolApproval::Once);
    // The same call again, with its result already in the prompt: not asked about,
    // and the next pass is offered no tools.
    let second = f.request();
    assert!(!second.request.options.tools.is_empty());
    say(second, &[ECHO_CALL]);
    let third = f.request();
    assert!(
        third.request.options.tools.is_empty(),
        "tools offered again"
    );
    // The prompt is the one before the repeat: one call, one result.
    let prompt = prompt_of(&third.request);
    assert_eq!(prompt.matches("<tool_response>").count(), 1, "{prompt}");
    say(third, &["It says hello hearth."]);
    let (text, message) = finish(&turn);
    assert_eq!(text, "It says hello hearth.");
    assert_eq!(message.content, "It says hello hearth.");
    assert_eq!(message.tool_calls.map(|c| c.len()), Some(1));
}

#[test]
fn streaming_without_anyone_to_ask_declines_the_call() {
    let f = fixture();
    let conversation = f.conversation();
    let turn = f.ask(&conversation, "Echo hello hearth.");
    say(f.request(), &[ECHO_CALL]);
    // A failure guard: if the decline never reached the turn, stopping it ends the
    // wait, and the answer is `stopped` instead of `done`.
    let cancel = turn.cancel_token();
    let over = Arc::new(AtomicBool::new(false));
    let guard = {
        let over = over.clone();
        std::thread::spawn(move || {
            for _ in 0..600 {
                if over.load(Ordering::SeqCst) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
            cancel.cancel();
        })
    };
    // The second pass is answered by a helper as soon as it is asked for.
    let fake = f.fake.clone();
    let writer = std::thread::spawn(move || {
        if let Some(stream) = fake.next_request(WAIT) {
            say(stream, &["Without the tool, then."]);
        }
    });
    let mut text = String::new();
    let message = turn.stream(|t| text.push_str(t)).unwrap();
    over.store(true, Ordering::SeqCst);
    guard.join().unwrap();
    writer.join().unwrap();
    assert_eq!(message.state, MessageState::Done, "{message:?}");
    assert_eq!(text, "Without the tool, then.");
    let calls = message.tool_calls.unwrap();
    assert_eq!(
        (calls[0].status, calls[0].approval),
        (ToolCallStatus::Declined, Some(ToolApproval::Never))
    );
    // Declined for this answer only: the conversation keeps no "never".
    let settings = f
        .hearth
        .store()
        .conversation(&conversation)
        .unwrap()
        .settings;
    assert!(settings.get(TOOL_APPROVALS_KEY).is_none(), "{settings}");
    assert_eq!(f.tool_call_records(&conversation), 0);
}

/// The tools' descriptions are part of the prompt the conversation must fit: a history
/// that fits beside the question alone, but not beside the tools too, is folded first.
#[test]
fn the_tools_descriptions_count_when_the_conversation_is_fitted() {
    let template = transcripts::chat_template(QWEN25).unwrap_or_else(|e| panic!("{e}"));
    // How long a first prompt is with the tools described.
    let measure = fixture_with_template(template.clone());
    let conversation = measure.conversation();
    let turn = measure.ask(&conversation, "Hi");
    let first = measure.request();
    let with_tools = prompt_of(&first.request).len();
    say(first, &["Hello."]);
    finish(&turn);

    // Room for that, the answer (256) and a little more, not for a long earlier answer.
    let context = with_tools + 256 + 400;
    let f = fixture_with(template, context as u32);
    let conversation = f.conversation();
    let turn = f.ask(&conversation, "Hi");
    say(f.request(), &[&"All about herons. ".repeat(100)]);
    finish(&turn);
    // The earlier turn is summarised while the question is sent (the scripted reply),
    // then the answer is asked for.
    let before = f.fake.received().len();
    f.fake.reply_with(["We talked about herons."]);
    let turn = f.ask(&conversation, "Next?");
    let summary = &f.fake.received()[before];
    assert!(
        summary.options.tools.is_empty(),
        "the summary was offered tools"
    );
    let answer = f.request();
    assert!(!answer.request.options.tools.is_empty());
    let prompt = prompt_of(&answer.request).len();
    assert!(
        prompt + 256 <= context,
        "a prompt of {prompt} tokens for a context of {context}"
    );
    say(answer, &["More herons."]);
    finish_folded(&turn);
}

/// [`finish`] for a turn that folded its history first.
fn finish_folded(turn: &ChatTurn) -> Message {
    loop {
        match turn.next_event() {
            Some(TurnEvent::Finished { message }) => return message,
            Some(TurnEvent::ToolCall { call }) => panic!("an unexpected tool call: {call:?}"),
            Some(_) => {}
            None => panic!("the turn ended without its final state"),
        }
    }
}
