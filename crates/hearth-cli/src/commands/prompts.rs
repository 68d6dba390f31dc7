//! `hearth prompts ...`: the prompt library — list, show, save, delete, and fill a
//! template with `--var NAME=VALUE` (`hearth run --template NAME` sends one).

use std::io::Read;

use anyhow::Context;
use hearth_core::prompts::{parse_variables, PromptTemplate};
use hearth_core::Hearth;

use crate::args::PromptsCommand;
use crate::exit;

pub fn run(command: PromptsCommand, json: bool) -> anyhow::Result<i32> {
    let hearth = Hearth::open_default()?;
    match command {
        PromptsCommand::List => {
            let prompts = hearth.prompts()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&prompts)?);
                return Ok(exit::OK);
            }
            for view in prompts {
                println!(
                    "{:<20} {:<9} {}  ({})",
                    view.template.name,
                    if view.builtin { "built-in" } else { "saved" },
                    view.template.description,
                    view.variables.join(", ")
                );
            }
        }
        PromptsCommand::Show { name } => {
            let template = hearth.prompt(&name)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&template)?);
            } else {
                if let Some(system) = &template.system {
                    println!("[system] {system}\n");
                }
                println!("{}", template.body);
            }
        }
        PromptsCommand::Save {
            name,
            file,
            description,
            system,
        } => {
            let body = if file == "-" {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .context("reading the template from stdin")?;
                text
            } else {
                std::fs::read_to_string(&file).with_context(|| format!("reading {file}"))?
            };
            let view = hearth.save_prompt(&PromptTemplate {
                name,
                description,
                body,
                system,
            })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                eprintln!(
                    "Saved prompt `{}` (variables: {}).",
                    view.template.name,
                    view.variables.join(", ")
                );
            }
        }
        PromptsCommand::Rm { name } => {
            hearth.delete_prompt(&name)?;
            if !json {
                eprintln!("Deleted prompt `{name}`.");
            }
        }
        PromptsCommand::Render { name, vars } => {
            let rendered = hearth.render_prompt(&name, &parse_variables(&vars)?)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rendered)?);
            } else {
                println!("{}", rendered.text);
            }
        }
    }
    Ok(exit::OK)
}
