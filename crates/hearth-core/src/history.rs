//! The history as the front ends may touch it: reading conversations, organizing them,
//! personas, export and import, the audit log. It is a view on the store with a chosen
//! set of calls, not the store itself: deleting a conversation is not here, since it
//! must also drop the models' saved contexts ([`Hearth::delete_conversation`]), and
//! starting or changing one goes through `conversations`. The front ends reach the
//! history only through [`Hearth::history`]; `tests/one_door.rs` holds them to it.

use std::io::Write;

use hearth_store::{
    AuditFilter, AuditRecord, ContextSummary, Conversation, ConversationFilter, ConversationId,
    ExportDocument, ExportScope, ImportOptions, ImportReport, Message, MessageId, NewPersona,
    Passage, Persona, PersonaId, Store,
};

use crate::error::Result;
use crate::hearth::Hearth;

/// The front ends' calls on the history; see the module's notes.
pub struct History<'a> {
    store: &'a Store,
}

impl Hearth {
    pub fn history(&self) -> History<'_> {
        History { store: &self.store }
    }
}

impl History<'_> {
    pub fn conversations(&self, filter: &ConversationFilter) -> Result<Vec<Conversation>> {
        Ok(self.store.list_conversations(filter)?)
    }

    pub fn conversation(&self, id: &ConversationId) -> Result<Conversation> {
        Ok(self.store.conversation(id)?)
    }

    /// The branch being shown, first message first.
    pub fn active_branch(&self, id: &ConversationId) -> Result<Vec<Message>> {
        Ok(self.store.active_branch(id)?)
    }

    /// Shows the branch that goes through `message`; returns it.
    pub fn switch_branch(&self, id: &ConversationId, message: &MessageId) -> Result<Vec<Message>> {
        Ok(self.store.switch_branch(id, message)?)
    }

    pub fn context_summaries(&self, id: &ConversationId) -> Result<Vec<ContextSummary>> {
        Ok(self.store.context_summaries(id)?)
    }

    pub fn rename(&self, id: &ConversationId, title: &str) -> Result<()> {
        Ok(self.store.rename(id, title)?)
    }

    pub fn set_pinned(&self, id: &ConversationId, pinned: bool) -> Result<()> {
        Ok(self.store.set_pinned(id, pinned)?)
    }

    pub fn set_archived(&self, id: &ConversationId, archived: bool) -> Result<()> {
        Ok(self.store.set_archived(id, archived)?)
    }

    pub fn export_markdown(&self, scope: &ExportScope) -> Result<String> {
        Ok(self.store.export_markdown(scope)?)
    }

    pub fn export_json(&self, scope: &ExportScope) -> Result<ExportDocument> {
        Ok(self.store.export_json(scope)?)
    }

    pub fn import_json(&self, bytes: &[u8], options: &ImportOptions) -> Result<ImportReport> {
        Ok(self.store.import_json(bytes, options)?)
    }

    pub fn personas(&self) -> Result<Vec<Persona>> {
        Ok(self.store.personas()?)
    }

    pub fn create_persona(&self, new: NewPersona) -> Result<Persona> {
        Ok(self.store.create_persona(new)?)
    }

    pub fn update_persona(&self, id: &PersonaId, update: NewPersona) -> Result<Persona> {
        Ok(self.store.update_persona(id, update)?)
    }

    /// Conversations started from it keep their system prompt.
    pub fn delete_persona(&self, id: &PersonaId) -> Result<()> {
        Ok(self.store.delete_persona(id)?)
    }

    pub fn audit_records(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        Ok(self.store.audit_records_where(filter)?)
    }

    /// Writes the matching audit records as JSON Lines; returns how many.
    pub fn export_audit_jsonl(&self, writer: impl Write, filter: &AuditFilter) -> Result<usize> {
        Ok(self.store.export_audit_jsonl(writer, filter)?)
    }

    /// Passages of the document collections, by id.
    pub fn passages(&self, ids: &[i64]) -> Result<Vec<Passage>> {
        Ok(self.store.passages(ids)?)
    }
}
