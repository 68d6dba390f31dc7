//! `hearth providers ...` and `hearth offline`: remote model providers and the switch
//! that keeps Hearth from reaching them.

use std::io::{BufRead, IsTerminal};

use anyhow::{bail, Context};
use hearth_core::{Hearth, ProviderConfig, ProviderView};
use hearth_llm::ApiKey;

use crate::args::{ProvidersCommand, Switch};
use crate::exit;

pub fn run(command: ProvidersCommand, json: bool) -> anyhow::Result<i32> {
    let hearth = Hearth::open_default()?;
    match command {
        ProvidersCommand::List => {
            let providers = hearth.providers();
            if json {
                println!("{}", serde_json::to_string_pretty(&providers)?);
            } else if providers.is_empty() {
                eprintln!("No remote providers; Hearth uses only the models on this computer.");
                eprintln!("Connect one with `hearth providers add NAME --kind openai|anthropic`.");
            } else {
                for p in &providers {
                    println!("{}", describe(p));
                    if let Some(problem) = &p.problem {
                        eprintln!("  {}: {problem}", p.config.name);
                    }
                }
                if hearth.is_offline() {
                    eprintln!(
                        "Offline mode is on: none of these is contacted (`hearth offline off`)."
                    );
                }
            }
        }
        ProvidersCommand::Add {
            name,
            kind,
            url,
            models,
            context,
            input_cost,
            output_cost,
            key_env,
            no_key,
        } => {
            let key = if no_key {
                None
            } else {
                Some(read_key(&name, key_env.as_deref())?)
            };
            let view = hearth.save_provider(
                ProviderConfig {
                    name,
                    kind,
                    base_url: url,
                    models,
                    context_length: context,
                    input_cost_per_1k: input_cost,
                    output_cost_per_1k: output_cost,
                },
                key,
            )?;
            if view.key_removed {
                eprintln!(
                    "the address of {0} changed, so its key was removed (a key is only sent to the address it was set for); set it again with `hearth providers key {0}`",
                    view.config.name
                );
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&view)?);
            } else {
                println!("{}", describe(&view));
                eprintln!(
                    "Use its models as {}:MODEL, e.g. `hearth run -m {}:{} \"Hello\"`.",
                    view.config.name,
                    view.config.name,
                    view.config.models.first().map_or("MODEL", String::as_str)
                );
            }
        }
        ProvidersCommand::Key { name, key_env } => {
            let key = read_key(&name, key_env.as_deref())?;
            let place = hearth.set_provider_key(&name, key)?;
            let address = hearth
                .providers()
                .into_iter()
                .find(|p| p.config.name == name)
                .map(|p| p.base_url)
                .unwrap_or_default();
            eprintln!(
                "the key of {name} is kept in {}, and is only sent to {address}",
                place_name(Some(place))
            );
        }
        ProvidersCommand::Rm { name } => {
            hearth.remove_provider(&name)?;
            eprintln!("disconnected {name} and forgot its key");
        }
    }
    Ok(exit::OK)
}

/// `hearth offline [on|off]`.
pub fn offline(state: Option<Switch>, json: bool) -> anyhow::Result<i32> {
    let hearth = Hearth::open_default()?;
    if let Some(state) = state {
        hearth.set_offline(state == Switch::On)?;
    }
    let offline = hearth.is_offline();
    if json {
        println!("{}", serde_json::json!({ "offline": offline }));
    } else if offline {
        println!("offline: remote providers are never contacted; local models work as always");
    } else {
        println!(
            "online: remote providers you chose by name ({}) may be contacted",
            match hearth.providers().len() {
                0 => "none connected".to_owned(),
                n => format!("{n} connected"),
            }
        );
    }
    Ok(exit::OK)
}

fn describe(p: &ProviderView) -> String {
    let models = if p.config.models.is_empty() {
        "any model by name".to_owned()
    } else {
        p.config.models.join(", ")
    };
    format!(
        "{:<14} {:<9} {:<40} key: {:<12} models: {models}",
        p.config.name,
        p.config.kind.as_str(),
        p.base_url,
        place_name(p.key)
    )
}

fn place_name(place: Option<hearth_core::KeyPlace>) -> &'static str {
    match place {
        Some(hearth_core::KeyPlace::Keyring) => "the keyring",
        Some(hearth_core::KeyPlace::SealedFile) => "sealed file",
        None => "none",
    }
}

/// The key from an environment variable, a hidden prompt, or the first line of stdin.
fn read_key(provider: &str, env: Option<&str>) -> anyhow::Result<ApiKey> {
    let key = match env {
        Some(var) => std::env::var(var)
            .with_context(|| format!("the environment variable {var} is not set"))?,
        None if std::io::stdin().is_terminal() => {
            rpassword::prompt_password(format!("API key for {provider} (not shown): "))
                .context("could not read the key from the terminal")?
        }
        None => {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .context("could not read the key from stdin")?;
            line
        }
    };
    let key = key.trim();
    if key.is_empty() {
        bail!("no API key given; type it at the prompt, pipe it on stdin, or use --key-env VAR (or --no-key for a server that needs none)");
    }
    Ok(ApiKey::new(key))
}
