//! An in-memory conversation: the turns so far, the system prompt and the model, so
//! every front end's chat behaves the same. (The persistent history store builds on
//! this shape.)

use hearth_llm::{ChatMessage, Generation, GenerationOptions};

use crate::error::Result;
use crate::hearth::Hearth;

pub struct ChatSession<'h> {
    hearth: &'h Hearth,
    model: Option<String>,
    system: Option<String>,
    turns: Vec<ChatMessage>,
    options: GenerationOptions,
}

impl<'h> ChatSession<'h> {
    pub fn new(
        hearth: &'h Hearth,
        model: Option<String>,
        system: Option<String>,
        options: GenerationOptions,
    ) -> Self {
        Self {
            hearth,
            model,
            system,
            turns: Vec::new(),
            options,
        }
    }

    pub fn model(&self) -> Option<&str> {
        self.model.as_deref()
    }

    /// Switches model; the conversation so far is kept and sent to the new model.
    pub fn set_model(&mut self, model: Option<String>) -> Result<()> {
        self.hearth.resolve_model(model.as_deref())?;
        self.model = model;
        Ok(())
    }

    pub fn system(&self) -> Option<&str> {
        self.system.as_deref()
    }

    pub fn set_system(&mut self, system: Option<String>) {
        self.system = system.filter(|s| !s.trim().is_empty());
    }

    /// Forgets the turns, keeping model and system prompt.
    pub fn clear(&mut self) {
        self.turns.clear();
    }

    pub fn turns(&self) -> &[ChatMessage] {
        &self.turns
    }

    /// Adds the user's message and starts the answer. Call [`ChatSession::record_answer`]
    /// with what was shown, or [`ChatSession::abandon`] if it failed.
    pub fn send(&mut self, text: &str) -> Result<Generation> {
        self.turns.push(ChatMessage::user(text));
        let mut messages = Vec::with_capacity(self.turns.len() + 1);
        if let Some(system) = &self.system {
            messages.push(ChatMessage::system(system.clone()));
        }
        messages.extend(self.turns.iter().cloned());
        match self
            .hearth
            .chat(self.model.as_deref(), &messages, self.options.clone())
        {
            Ok((generation, _)) => Ok(generation),
            Err(e) => {
                self.turns.pop();
                Err(e)
            }
        }
    }

    /// Keeps the answer, even a stopped one, as the assistant's turn.
    pub fn record_answer(&mut self, text: &str) {
        self.turns.push(ChatMessage::assistant(text));
    }

    /// Drops the last user message after a failed answer, so it can be sent again.
    pub fn abandon(&mut self) {
        if matches!(self.turns.last(), Some(m) if m.role == hearth_llm::Role::User) {
            self.turns.pop();
        }
    }
}
