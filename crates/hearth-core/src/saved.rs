//! Definitions that come built in or are saved by the user (prompt templates, workflows):
//! one set of rules for finding one by name (built-ins first, names without regard to
//! case), listing them, saving (never over a built-in's name) and deleting (never a
//! built-in). Each kind says only what it is: its store kind, its built-ins, its errors.

use hearth_store::{SavedKind, Store, StoreError};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{CoreError, Result};

/// A kind of definition kept this way.
pub(crate) trait Definition: Serialize + DeserializeOwned + Clone {
    const KIND: SavedKind;
    /// What people call one: "prompt", "workflow".
    const NOUN: &'static str;
    fn name(&self) -> &str;
    fn builtins() -> Vec<Self>;
    /// Checks everything that can be checked before saving.
    fn check(&self) -> Result<()>;
    fn unknown(name: &str) -> CoreError;
    fn invalid(reason: String) -> CoreError;
}

/// A definition as listed, with whether it is built in.
pub(crate) struct Listed<D> {
    pub definition: D,
    pub builtin: bool,
}

pub(crate) fn list<D: Definition>(store: &Store) -> Result<Vec<Listed<D>>> {
    let mut listed: Vec<Listed<D>> = D::builtins()
        .into_iter()
        .map(|definition| Listed {
            definition,
            builtin: true,
        })
        .collect();
    for saved in store.definitions(D::KIND)? {
        match serde_json::from_value::<D>(saved.definition) {
            Ok(definition) => listed.push(Listed {
                definition,
                builtin: false,
            }),
            Err(error) => {
                tracing::warn!(kind = D::NOUN, name = saved.name, %error, "unreadable saved definition")
            }
        }
    }
    Ok(listed)
}

/// A built-in or saved definition by name, without regard to case.
pub(crate) fn find<D: Definition>(store: &Store, name: &str) -> Result<D> {
    let name = name.trim();
    if let Some(builtin) = builtin::<D>(name) {
        return Ok(builtin);
    }
    let saved = store
        .definition(D::KIND, name)?
        .ok_or_else(|| D::unknown(name))?;
    serde_json::from_value(saved.definition).map_err(|e| {
        D::invalid(format!(
            "saved {} `{name}` is unreadable: {e}; save it again",
            D::NOUN
        ))
    })
}

/// Checks and saves a definition, replacing a saved one of the same name.
pub(crate) fn save<D: Definition>(store: &Store, definition: &D) -> Result<()> {
    definition.check()?;
    if builtin::<D>(definition.name()).is_some() {
        return Err(D::invalid(format!(
            "`{}` is a built-in {}; save yours under another name",
            definition.name(),
            D::NOUN
        )));
    }
    let value = serde_json::to_value(definition).map_err(|e| D::invalid(e.to_string()))?;
    store.save_definition(D::KIND, definition.name(), &value)?;
    Ok(())
}

/// Deletes a saved definition; built-ins cannot be deleted.
pub(crate) fn delete<D: Definition>(store: &Store, name: &str) -> Result<()> {
    if builtin::<D>(name).is_some() {
        return Err(D::invalid(format!(
            "`{name}` is built in and cannot be deleted"
        )));
    }
    match store.delete_definition(D::KIND, name) {
        Err(StoreError::NotFound { .. }) => Err(D::unknown(name)),
        other => Ok(other?),
    }
}

fn builtin<D: Definition>(name: &str) -> Option<D> {
    let name = name.trim();
    D::builtins()
        .into_iter()
        .find(|d| d.name().eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prompts::{builtin_prompts, PromptTemplate};
    use crate::workflows::Workflow;

    fn prompt(name: &str) -> PromptTemplate {
        PromptTemplate {
            name: name.into(),
            description: String::new(),
            body: "Say {{thing}}".into(),
            system: None,
        }
    }

    #[test]
    fn built_ins_come_first_and_cannot_be_replaced_or_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().join("h.db")).unwrap();
        let builtin = builtin_prompts().remove(0);
        let shouted = builtin.name.to_uppercase();

        let refused = save(&store, &prompt(&shouted)).unwrap_err();
        assert_eq!(refused.code(), "INVALID_PROMPT");
        assert!(refused.to_string().contains("built-in prompt"), "{refused}");
        let refused = delete::<PromptTemplate>(&store, &shouted).unwrap_err();
        assert!(refused.to_string().contains("built in"), "{refused}");
        assert_eq!(find::<PromptTemplate>(&store, &shouted).unwrap(), builtin);

        save(&store, &prompt("Mine")).unwrap();
        assert_eq!(
            find::<PromptTemplate>(&store, " mine ").unwrap().name,
            "Mine"
        );
        let listed = list::<PromptTemplate>(&store).unwrap();
        assert!(listed[0].builtin);
        assert!(listed
            .last()
            .is_some_and(|l| !l.builtin && l.definition.name == "Mine"));

        delete::<PromptTemplate>(&store, "Mine").unwrap();
        assert_eq!(
            delete::<PromptTemplate>(&store, "Mine").unwrap_err().code(),
            "UNKNOWN_PROMPT"
        );
        // Each kind keeps its own names and errors.
        assert_eq!(
            find::<Workflow>(&store, "Mine").unwrap_err().code(),
            "UNKNOWN_WORKFLOW"
        );
    }
}
