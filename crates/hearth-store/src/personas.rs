//! Personas: saved system prompts with default settings, picked by name when starting a
//! conversation.
//!
//! Names are unique without regard to case ("Lawyer" and "lawyer" would be
//! indistinguishable in a picker). Deleting a persona leaves the conversations that used
//! it alone: they keep their own copy of the prompt and lose only the link.

use rusqlite::{params, Connection, ErrorCode, OptionalExtension, Row};

use crate::error::{Result, StoreError};
use crate::limits::{self, MAX_PERSONA_NAME_BYTES, MAX_TEXT_BYTES};
use crate::store::{now_ms, Store};
use crate::types::{NewPersona, Persona, PersonaId};

pub(crate) const PERSONA_COLUMNS: &str =
    "p.id, p.name, p.system_prompt, p.settings, p.created_at, p.updated_at";

pub(crate) fn persona_from_row(row: &Row<'_>) -> rusqlite::Result<Persona> {
    let settings: String = row.get(3)?;
    Ok(Persona {
        id: row.get(0)?,
        name: row.get(1)?,
        system_prompt: row.get(2)?,
        settings: limits::parse_settings(&settings)?,
        created_at: row.get(4)?,
        updated_at: row.get(5)?,
    })
}

pub(crate) fn load_persona(conn: &Connection, id: &PersonaId) -> Result<Persona> {
    let sql = format!("SELECT {PERSONA_COLUMNS} FROM personas p WHERE p.id = ?1");
    conn.query_row(&sql, [id], persona_from_row)
        .optional()?
        .ok_or_else(|| StoreError::not_found("persona", id.as_str()))
}

/// A trimmed, non-empty name within the size limit.
pub(crate) fn check_name(name: &str) -> Result<String> {
    limits::check_name("persona name", name, MAX_PERSONA_NAME_BYTES)
}

/// Turns the UNIQUE violation on `name` into [`StoreError::NameTaken`].
fn name_taken(name: &str) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
    move |err| match err.sqlite_error_code() {
        Some(ErrorCode::ConstraintViolation) => StoreError::NameTaken {
            what: "persona",
            name: name.to_owned(),
        },
        _ => err.into(),
    }
}

impl Store {
    /// Saves a new persona.
    pub fn create_persona(&self, new: NewPersona) -> Result<Persona> {
        let name = check_name(&new.name)?;
        limits::check_len("system prompt", &new.system_prompt, MAX_TEXT_BYTES)?;
        let settings = limits::settings_json(&new.settings)?;
        let id = PersonaId::random();
        self.write(|tx| {
            tx.execute(
                "INSERT INTO personas (id, name, system_prompt, settings, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
                params![id, name, new.system_prompt, settings, now_ms()],
            )
            .map_err(name_taken(&name))?;
            load_persona(tx, &id)
        })
    }

    /// One persona.
    pub fn persona(&self, id: &PersonaId) -> Result<Persona> {
        load_persona(&self.conn(), id)
    }

    /// All personas, by name.
    pub fn personas(&self) -> Result<Vec<Persona>> {
        let conn = self.conn();
        let sql = format!("SELECT {PERSONA_COLUMNS} FROM personas p ORDER BY p.name, p.id");
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt.query_map([], persona_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Replaces a persona's name, prompt and settings.
    pub fn update_persona(&self, id: &PersonaId, update: NewPersona) -> Result<Persona> {
        let name = check_name(&update.name)?;
        limits::check_len("system prompt", &update.system_prompt, MAX_TEXT_BYTES)?;
        let settings = limits::settings_json(&update.settings)?;
        self.write(|tx| {
            let changed = tx
                .execute(
                    "UPDATE personas SET name = ?2, system_prompt = ?3, settings = ?4, \
                     updated_at = ?5 WHERE id = ?1",
                    params![id, name, update.system_prompt, settings, now_ms()],
                )
                .map_err(name_taken(&name))?;
            if changed == 0 {
                return Err(StoreError::not_found("persona", id.as_str()));
            }
            load_persona(tx, id)
        })
    }

    /// Deletes a persona; conversations that used it keep their prompt and lose the link.
    pub fn delete_persona(&self, id: &PersonaId) -> Result<()> {
        self.write(|tx| {
            if tx.execute("DELETE FROM personas WHERE id = ?1", [id])? == 0 {
                return Err(StoreError::not_found("persona", id.as_str()));
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{NewConversation, TitleSource};

    fn lawyer() -> NewPersona {
        NewPersona {
            name: "Lawyer".into(),
            system_prompt: "You review contracts.".into(),
            settings: serde_json::json!({"temperature": 0.2}),
        }
    }

    #[test]
    fn personas_are_created_listed_updated_and_deleted() {
        let store = Store::open_in_memory().unwrap();
        let p = store.create_persona(lawyer()).unwrap();
        let q = store
            .create_persona(NewPersona {
                name: "Editor".into(),
                ..lawyer()
            })
            .unwrap();
        assert_eq!(store.persona(&p.id).unwrap(), p);
        let names: Vec<String> = store
            .personas()
            .unwrap()
            .into_iter()
            .map(|p| p.name)
            .collect();
        assert_eq!(names, ["Editor", "Lawyer"]);

        let updated = store
            .update_persona(
                &p.id,
                NewPersona {
                    name: " Counsel ".into(),
                    system_prompt: "You review leases.".into(),
                    settings: serde_json::Value::Null,
                },
            )
            .unwrap();
        assert_eq!(updated.name, "Counsel");
        assert_eq!(updated.settings, serde_json::json!({}));

        store.delete_persona(&q.id).unwrap();
        assert!(matches!(
            store.persona(&q.id),
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.delete_persona(&q.id),
            Err(StoreError::NotFound { .. })
        ));
    }

    #[test]
    fn names_are_unique_without_case() {
        let store = Store::open_in_memory().unwrap();
        let p = store.create_persona(lawyer()).unwrap();
        let dup = NewPersona {
            name: "LAWYER".into(),
            ..lawyer()
        };
        assert!(matches!(
            store.create_persona(dup.clone()),
            Err(StoreError::NameTaken { .. })
        ));
        let other = store
            .create_persona(NewPersona {
                name: "Editor".into(),
                ..lawyer()
            })
            .unwrap();
        assert!(matches!(
            store.update_persona(&other.id, dup),
            Err(StoreError::NameTaken { .. })
        ));
        // Renaming a persona to its own name in another case is fine.
        store
            .update_persona(
                &p.id,
                NewPersona {
                    name: "lawyer".into(),
                    ..lawyer()
                },
            )
            .unwrap();
        assert!(matches!(
            store.create_persona(NewPersona {
                name: "  ".into(),
                ..lawyer()
            }),
            Err(StoreError::Invalid { .. })
        ));
    }

    #[test]
    fn deleting_a_persona_unlinks_its_conversations() {
        let store = Store::open_in_memory().unwrap();
        let p = store.create_persona(lawyer()).unwrap();
        let c = store
            .create_conversation(NewConversation {
                persona_id: Some(p.id.clone()),
                system_prompt: Some(p.system_prompt.clone()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(c.persona_id.as_ref(), Some(&p.id));
        assert_eq!(c.title_source, TitleSource::Auto);
        store.delete_persona(&p.id).unwrap();
        let c = store.conversation(&c.id).unwrap();
        assert_eq!(c.persona_id, None);
        assert_eq!(c.system_prompt.as_deref(), Some("You review contracts."));
    }
}
