//! Keeping a conversation inside the model's context: when the active branch no longer
//! fits, the older turns are folded into a running summary written by the model and
//! stored, while the system prompt and the latest turns stay verbatim.
//!
//! Sizes are exact: the prompt is formatted with the model's own chat template and
//! tokenized by the engine, so the check here agrees with the engine's own limit.
//! The user's newest message is never cut: when it alone cannot fit, the caller gets
//! [`CoreError::MessageTooLong`] saying by how many tokens.

use hearth_llm::{ChatFormatter, ChatMessage, Engine, GenerationOptions, TemplateOptions};
use hearth_store::{
    ContextSummary, ConversationId, Message, MessageKind, MessageState, Role, Store,
};

use crate::chat::prompt_messages;
use crate::error::{CoreError, Result};

/// Room left for the answer when the request does not set `max_tokens`.
const DEFAULT_ANSWER_ROOM: usize = 256;
/// The longest summary the model is asked to write.
const SUMMARY_MAX_TOKENS: u32 = 200;

const SUMMARIZER_INSTRUCTIONS: &str = "You keep a running summary of a conversation. \
Write a short summary of the conversation below that keeps the facts, names, numbers, \
decisions and open questions someone would need to continue it. Reply with the summary only.";

/// The prompt for an answer, and the summary written to make it fit (if any).
pub(crate) struct FittedPrompt {
    pub messages: Vec<ChatMessage>,
    pub folded: Option<ContextSummary>,
}

/// Token sizes against one engine's context.
pub(crate) struct Budget<'a> {
    engine: &'a dyn Engine,
    formatter: ChatFormatter,
    /// The answer's tools and thinking switches, which the template writes too.
    template_options: TemplateOptions,
    remote: bool,
    context: usize,
    answer_room: usize,
}

impl<'a> Budget<'a> {
    pub(crate) fn new(engine: &'a dyn Engine, options: &GenerationOptions) -> Self {
        let info = engine.info();
        let context = info.context_length as usize;
        let answer_room = options
            .max_tokens
            .map_or(DEFAULT_ANSWER_ROOM, |m| m as usize)
            .min(context / 4);
        Self {
            engine,
            formatter: ChatFormatter::for_model(&info),
            template_options: TemplateOptions::from_generation(options),
            remote: info.provider.is_some(),
            context,
            answer_room,
        }
    }

    /// Tokens the prompt may use, leaving room for the answer.
    pub(crate) fn limit(&self) -> usize {
        self.context.saturating_sub(self.answer_room)
    }

    /// The size of `messages` as the engine will see them: exact for a local model
    /// (its own template and tokenizer), an estimate that errs high for a remote one
    /// (its server applies a template Hearth does not have).
    pub(crate) fn measure(&self, messages: &[ChatMessage]) -> Result<usize> {
        let (text, _) = self.formatter.format(messages, &self.template_options)?;
        if self.remote {
            return Ok(self.engine.count_tokens(&text)?);
        }
        Ok(self.engine.tokenize(&text, true)?.len())
    }

    fn fits(&self, messages: &[ChatMessage]) -> Result<bool> {
        Ok(self.measure(messages)? <= self.limit())
    }

    /// Fails when the system prompt and `question` alone leave no room for an answer.
    pub(crate) fn check_question(&self, system_prompt: Option<&str>, question: &str) -> Result<()> {
        let mut messages = Vec::with_capacity(2);
        if let Some(system) = system_prompt.filter(|s| !s.trim().is_empty()) {
            messages.push(ChatMessage::system(system));
        }
        messages.push(ChatMessage::user(question));
        let tokens = self.measure(&messages)? + self.answer_room;
        if tokens > self.context {
            return Err(CoreError::MessageTooLong {
                tokens,
                limit: self.context,
                over: tokens - self.context,
            });
        }
        Ok(())
    }
}

/// Builds the prompt for answering `branch` (which ends with the question), folding
/// older turns into a stored summary when the whole branch does not fit.
pub(crate) fn fit_prompt(
    store: &Store,
    engine: &dyn Engine,
    conversation: &ConversationId,
    system_prompt: Option<&str>,
    branch: &[Message],
    options: &GenerationOptions,
) -> Result<FittedPrompt> {
    let budget = Budget::new(engine, options);
    let full = prompt_messages(system_prompt, branch);
    if budget.fits(&full)? {
        return Ok(FittedPrompt {
            messages: full,
            folded: None,
        });
    }
    let Some(question) = branch.last() else {
        return Ok(FittedPrompt {
            messages: full,
            folded: None,
        });
    };
    budget.check_question(system_prompt, &question.content)?;

    // The newest summary that covers part of this branch (never the question itself).
    let last = branch.len() - 1;
    let previous = store
        .context_summaries(conversation)?
        .into_iter()
        .filter_map(|s| {
            let at = branch.iter().position(|m| m.id == s.through_message_id)?;
            (at < last).then_some((at, s))
        })
        .max_by_key(|(at, s)| (*at, s.created_at));
    if let Some((at, summary)) = &previous {
        let messages = with_summary(system_prompt, &summary.content, &branch[at + 1..]);
        if budget.fits(&messages)? {
            return Ok(FittedPrompt {
                messages,
                folded: None,
            });
        }
    }

    // Keep the latest turns that fit in half the budget; the other half is for the
    // summary, so the next few turns fit without folding again.
    let first_unsummarized = previous.as_ref().map_or(0, |(at, _)| at + 1);
    let mut keep_from = last;
    while keep_from > first_unsummarized {
        let candidate = prompt_messages(system_prompt, &branch[keep_from - 1..]);
        if budget.measure(&candidate)? > budget.limit() / 2 {
            break;
        }
        keep_from -= 1;
    }
    let folded_turns = &branch[first_unsummarized..keep_from];
    let through = match (folded_turns.last(), &previous) {
        (Some(message), _) => message.id.clone(),
        // Nothing new to fold: the summary alone is too long, so it is rewritten shorter.
        (None, Some((_, summary))) => summary.through_message_id.clone(),
        (None, None) => {
            return Ok(FittedPrompt {
                messages: full,
                folded: None,
            })
        }
    };
    let running = previous.as_ref().map(|(_, s)| s.content.as_str());
    let content = summarize(engine, running, folded_turns)?;
    let model = engine.info().name;
    let summary = store.add_context_summary(conversation, &through, &content, Some(&model))?;
    tracing::info!(
        conversation = %conversation,
        folded = folded_turns.len(),
        "older turns folded into a summary to fit the context"
    );
    Ok(FittedPrompt {
        messages: with_summary(system_prompt, &summary.content, &branch[keep_from..]),
        folded: Some(summary),
    })
}

/// System prompt, the summary as a system message, then `rest` verbatim.
fn with_summary(system_prompt: Option<&str>, summary: &str, rest: &[Message]) -> Vec<ChatMessage> {
    let mut messages = prompt_messages(system_prompt, &[]);
    messages.push(ChatMessage::system(format!(
        "Summary of the earlier conversation: {summary}"
    )));
    messages.extend(prompt_messages(None, rest));
    messages
}

/// Asks the model for a running summary of `turns`, continuing `running`. Turns that
/// do not fit one request are summarized in several passes, each continuing the last.
fn summarize(engine: &dyn Engine, running: Option<&str>, turns: &[Message]) -> Result<String> {
    let context = engine.info().context_length;
    let options = GenerationOptions {
        // Never more than the room `Budget` keeps, so the summary cannot run out of context.
        max_tokens: Some(SUMMARY_MAX_TOKENS.min(context / 4).max(1)),
        // The room is for the summary: a reasoning model with a switch does not think.
        thinking: Some(false),
        ..GenerationOptions::greedy()
    };
    let summarizer = Budget::new(engine, &options);
    let mut running = running.map(str::to_owned);
    let mut chunk: Vec<String> = Vec::new();
    for turn in turns.iter().filter_map(transcript_line) {
        let mut grown = chunk.clone();
        grown.push(turn.clone());
        if summarizer.fits(&summary_request(running.as_deref(), &grown))? {
            chunk = grown;
            continue;
        }
        if !chunk.is_empty() {
            running = Some(run_summary(engine, running.as_deref(), &chunk, &options)?);
        }
        // One turn too long for a request on its own: the summarizer reads its start.
        // This only shortens the summarizer's input; the stored message is untouched.
        let fixed = summarizer.measure(&summary_request(running.as_deref(), &[]))?;
        // A little slack for the line break that joins the turn to the request.
        let room = summarizer.limit().saturating_sub(fixed + 8);
        chunk = vec![truncate_bytes(&turn, room)];
    }
    if !chunk.is_empty() || running.is_none() {
        running = Some(run_summary(engine, running.as_deref(), &chunk, &options)?);
    } else if let Some(text) = &running {
        // Only the old summary is left to shorten.
        running = Some(run_summary(
            engine,
            None,
            &[format!("Summary: {text}")],
            &options,
        )?);
    }
    running.ok_or_else(|| CoreError::SummaryFailed {
        reason: "the model wrote nothing".into(),
    })
}

fn run_summary(
    engine: &dyn Engine,
    running: Option<&str>,
    chunk: &[String],
    options: &GenerationOptions,
) -> Result<String> {
    let request = summary_request(running, chunk);
    let (generation, _) = engine.chat(&request, options.clone())?;
    let completion = generation.wait()?;
    let text = completion.text.trim();
    if text.is_empty() {
        return Err(CoreError::SummaryFailed {
            reason: "the model wrote an empty summary".into(),
        });
    }
    Ok(text.to_owned())
}

fn summary_request(running: Option<&str>, chunk: &[String]) -> Vec<ChatMessage> {
    let mut text = String::new();
    if let Some(running) = running {
        text.push_str("Summary so far:\n");
        text.push_str(running);
        text.push_str("\n\n");
    }
    text.push_str("Conversation:\n");
    text.push_str(&chunk.join("\n"));
    text.push_str("\n\nWrite the updated summary.");
    vec![
        ChatMessage::system(SUMMARIZER_INSTRUCTIONS),
        ChatMessage::user(text),
    ]
}

/// A turn as a line of the transcript the summarizer reads; `None` for what the answer
/// prompt leaves out too (failed or empty messages).
fn transcript_line(message: &Message) -> Option<String> {
    if message.state == MessageState::Failed || message.content.is_empty() {
        return None;
    }
    let who = match (message.kind, message.role) {
        (MessageKind::Summary, _) => "Earlier summary",
        (_, Role::System) => "System",
        (_, Role::User) => "User",
        (_, Role::Assistant) => "Assistant",
    };
    Some(format!("{who}: {}", message.content))
}

/// At most `max` bytes of `text`, cut at a character boundary. A token covers at least
/// one byte, so the result has at most `max` tokens.
fn truncate_bytes(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_whole_characters() {
        assert_eq!(truncate_bytes("héron", 2), "h");
        assert_eq!(truncate_bytes("héron", 3), "hé");
        assert_eq!(truncate_bytes("abc", 10), "abc");
    }
}
