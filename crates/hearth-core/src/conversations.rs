//! Conversations on the facade: starting one (from a persona or not), the view the chat
//! screen shows, and changes to its model and system prompt. The server, the CLI and
//! the app call these instead of the store, so each rule is written once.

use std::collections::HashMap;

use hearth_store::{
    ContextSummary, Conversation, ConversationId, ConversationSettings, Message, NewConversation,
    PersonaId,
};
use serde::Serialize;

use crate::error::Result;
use crate::hearth::Hearth;

/// What a new conversation starts with; everything left out comes from the settings.
#[derive(Debug, Clone, Default)]
pub struct StartConversation {
    pub title: Option<String>,
    pub model: Option<String>,
    pub system_prompt: Option<String>,
    /// Its system prompt is the conversation's unless `system_prompt` is given too: what
    /// the user typed for this conversation wins over the persona's.
    pub persona: Option<PersonaId>,
}

/// A conversation as the chat screen shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationView {
    pub conversation: Conversation,
    /// The branch being shown, first message first.
    pub messages: Vec<Message>,
    /// For each shown message that has siblings (edits, regenerations): every sibling's
    /// id, in the store's order (oldest first, then as written), the order the
    /// switcher's "2 of 3" counts in.
    pub siblings: HashMap<String, Vec<String>>,
    /// Running summaries that stand in for turns folded out of the model's context.
    pub summaries: Vec<ContextSummary>,
    /// For answers in a conversation attached to a collection: the numbered passages
    /// each was given, by message id.
    pub sources: HashMap<String, serde_json::Value>,
    /// For those answers: the grounding check against their passages, by message id
    /// (none when the check is off).
    pub grounding: HashMap<String, crate::grounding::GroundingReport>,
}

/// A change to a conversation's model or system prompt: `None` leaves it, `Some(None)`
/// goes back to the default.
#[derive(Debug, Clone, Default)]
pub struct ConversationChange {
    pub model: Option<Option<String>>,
    pub system_prompt: Option<Option<String>>,
}

impl Hearth {
    pub fn start_conversation(&self, start: StartConversation) -> Result<Conversation> {
        let persona = match &start.persona {
            Some(id) => Some(self.store.persona(id)?),
            None => None,
        };
        let system_prompt = start
            .system_prompt
            .or_else(|| persona.as_ref().map(|p| p.system_prompt.clone()));
        Ok(self.store.create_conversation(NewConversation {
            title: start.title,
            model: start.model,
            system_prompt,
            persona_id: persona.map(|p| p.id),
            settings: serde_json::Value::Null,
        })?)
    }

    /// Starts a conversation; the model and system prompt default to the settings.
    pub fn new_conversation(
        &self,
        model: Option<&str>,
        system_prompt: Option<&str>,
    ) -> Result<Conversation> {
        self.start_conversation(StartConversation {
            model: model.map(str::to_owned),
            system_prompt: system_prompt.map(str::to_owned),
            ..StartConversation::default()
        })
    }

    pub fn conversation_view(&self, id: &ConversationId) -> Result<ConversationView> {
        let conversation = self.store.conversation(id)?;
        let messages = self.store.active_branch(id)?;
        let groups = self.store.sibling_groups(id)?;
        let mut siblings = HashMap::new();
        for message in &messages {
            if let Some(group) = groups.get(&message.parent_id) {
                if group.len() > 1 {
                    siblings.insert(
                        message.id.to_string(),
                        group.iter().map(ToString::to_string).collect(),
                    );
                }
            }
        }
        let summaries = self.store.context_summaries(id)?;
        let sources: HashMap<String, serde_json::Value> = self
            .store
            .message_sources(id)?
            .into_iter()
            .map(|(message, sources)| (message.to_string(), sources))
            .collect();
        // The check needs no model: it is made as the view is read, so answers written
        // before it existed are checked too.
        let mut grounding = HashMap::new();
        for message in &messages {
            let Some(listed) = sources.get(message.id.as_str()) else {
                continue;
            };
            let Ok(passages) =
                serde_json::from_value::<Vec<crate::ask::answer::Source>>(listed.clone())
            else {
                continue;
            };
            if let Some(report) = self.check_answer(&message.content, &passages) {
                grounding.insert(message.id.to_string(), report);
            }
        }
        Ok(ConversationView {
            conversation,
            messages,
            siblings,
            summaries,
            sources,
            grounding,
        })
    }

    /// Changes a conversation's model and system prompt; its persona and settings stay.
    pub fn change_conversation(
        &self,
        id: &ConversationId,
        change: ConversationChange,
    ) -> Result<Conversation> {
        let current = self.store.conversation(id)?;
        if change.model.is_none() && change.system_prompt.is_none() {
            return Ok(current);
        }
        let empty_is_none = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        Ok(self.store.update_settings(
            id,
            &ConversationSettings {
                model: match change.model {
                    Some(model) => empty_is_none(model),
                    None => current.model,
                },
                system_prompt: match change.system_prompt {
                    Some(prompt) => empty_is_none(prompt),
                    None => current.system_prompt,
                },
                persona_id: current.persona_id,
                settings: current.settings,
            },
        )?)
    }
}
