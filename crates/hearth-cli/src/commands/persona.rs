//! `hearth persona ...`: saved system prompts, picked by name in `hearth chat --persona`.

use anyhow::Context;
use hearth_core::Hearth;
use hearth_store::{NewPersona, Persona};

use crate::args::PersonaCommand;
use crate::exit;

/// A persona by name (case-insensitive) or id.
pub fn find(hearth: &Hearth, name: &str) -> anyhow::Result<Persona> {
    hearth
        .history()
        .personas()?
        .into_iter()
        .find(|p| p.name.eq_ignore_ascii_case(name) || p.id.as_str() == name)
        .with_context(|| format!("no persona named \"{name}\"; see `hearth persona list`"))
}

pub fn run(command: PersonaCommand, json: bool) -> anyhow::Result<i32> {
    let hearth = Hearth::open_default()?;
    let history = hearth.history();
    match command {
        PersonaCommand::List => {
            let personas = history.personas()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&personas)?);
            } else if personas.is_empty() {
                eprintln!(
                    "No personas yet; add one with `hearth persona add NAME \"system prompt\"`."
                );
            } else {
                for p in &personas {
                    let first_line = p.system_prompt.lines().next().unwrap_or_default();
                    println!("{:<20} {first_line}", p.name);
                }
            }
        }
        PersonaCommand::Add {
            name,
            system_prompt,
        } => {
            let persona = history.create_persona(NewPersona {
                name,
                system_prompt,
                settings: serde_json::Value::Null,
            })?;
            print(&persona, json)?;
        }
        PersonaCommand::Show { name } => print(&find(&hearth, &name)?, json)?,
        PersonaCommand::Rm { name } => {
            let persona = find(&hearth, &name)?;
            history.delete_persona(&persona.id)?;
            eprintln!("deleted persona {}", persona.name);
        }
    }
    Ok(exit::OK)
}

fn print(persona: &Persona, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(persona)?);
    } else {
        println!("{}\n\n{}", persona.name, persona.system_prompt);
    }
    Ok(())
}
