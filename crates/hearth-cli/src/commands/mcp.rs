//! `hearth mcp ...`: the MCP tool servers in the settings, their tools, and a call made
//! by hand (written to the audit log like a model's).

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use hearth_core::Hearth;
use hearth_mcp::{McpServerConfig, McpTransport, Secret};
use serde_json::json;

use crate::args::McpCommand;
use crate::exit;

pub fn run(command: McpCommand, json: bool) -> anyhow::Result<i32> {
    let hearth = Hearth::open_default()?;
    match command {
        McpCommand::List => list(&hearth, json)?,
        McpCommand::Add {
            name,
            url,
            bearer_env,
            env,
            cwd,
            off,
            command,
        } => {
            let transport = match url {
                Some(url) => McpTransport::Http {
                    url,
                    headers: bearer(bearer_env.as_deref())?,
                },
                None => {
                    let Some((program, args)) = command.split_first() else {
                        bail!("give the server's program after `--` (for example `hearth mcp add files -- npx -y @modelcontextprotocol/server-filesystem ~/Documents`), or its address with --url");
                    };
                    McpTransport::Stdio {
                        command: program.clone(),
                        args: args.to_vec(),
                        env: variables(&env)?,
                        cwd,
                    }
                }
            };
            hearth.save_mcp_server(McpServerConfig {
                name: name.clone(),
                transport,
                enabled: !off,
            })?;
            if json {
                println!("{}", json!({ "saved": name }));
            } else {
                eprintln!(
                    "MCP server {name} saved; `hearth mcp tools` starts it and lists its tools. A model that can call tools is offered them, and each call waits for your approval."
                );
            }
        }
        McpCommand::Rm { name } => {
            if !hearth.remove_mcp_server(&name)? {
                bail!("no MCP server is named '{name}'; see `hearth mcp list`");
            }
            if json {
                println!("{}", json!({ "removed": name }));
            } else {
                eprintln!("MCP server {name} removed");
            }
        }
        McpCommand::On { name } => switch(&hearth, &name, true, json)?,
        McpCommand::Off { name } => switch(&hearth, &name, false, json)?,
        McpCommand::Tools => {
            let listing = hearth.mcp_tools()?;
            if json {
                let tools: Vec<_> = listing
                    .tools
                    .iter()
                    .map(|t| {
                        json!({
                            "name": t.spec.name,
                            "server": t.server,
                            "tool": t.tool,
                            "description": t.spec.description,
                            "parameters": t.spec.parameters,
                        })
                    })
                    .collect();
                let errors: Vec<String> = listing.errors.iter().map(|e| e.to_string()).collect();
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({ "tools": tools, "errors": errors }))?
                );
            } else {
                for tool in &listing.tools {
                    let description = tool.spec.description.as_deref().unwrap_or("");
                    let first_line = description.lines().next().unwrap_or("");
                    println!("{:<40} {first_line}", tool.spec.name);
                }
                if listing.tools.is_empty() && listing.errors.is_empty() {
                    eprintln!(
                        "No tools: add a server with `hearth mcp add NAME -- PROGRAM ARGS...`."
                    );
                }
                for error in &listing.errors {
                    eprintln!("{error}");
                }
            }
            if !listing.errors.is_empty() {
                return Ok(exit::ERROR);
            }
        }
        McpCommand::Call { name, arguments } => {
            let arguments: serde_json::Value = serde_json::from_str(&arguments).context(
                "the arguments are not JSON; give an object such as '{\"message\":\"hi\"}'",
            )?;
            let outcome = hearth.call_mcp_tool(&name, arguments, None)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&json!({
                        "name": outcome.name,
                        "text": outcome.text,
                        "is_error": outcome.is_error,
                        "truncated": outcome.truncated,
                    }))?
                );
            } else {
                println!("{}", outcome.text);
                if outcome.is_error {
                    eprintln!("the tool reported a failure");
                }
            }
            if outcome.is_error {
                return Ok(exit::ERROR);
            }
        }
    }
    Ok(exit::OK)
}

fn list(hearth: &Hearth, json: bool) -> anyhow::Result<()> {
    let servers = hearth.mcp_servers();
    if json {
        let listed: Vec<_> = servers
            .iter()
            .map(|s| json!({ "name": s.name, "enabled": s.enabled, "where": s.reach() }))
            .collect();
        println!("{}", serde_json::to_string_pretty(&listed)?);
    } else if servers.is_empty() {
        eprintln!("No MCP servers. Add one with `hearth mcp add NAME -- PROGRAM ARGS...` or `hearth mcp add NAME --url URL`.");
    } else {
        for server in &servers {
            let state = if server.enabled { "on" } else { "off" };
            println!("{:<24} {state:<4} {}", server.name, server.reach());
        }
        if hearth.is_offline() {
            eprintln!("Offline mode is on: servers at network addresses are not contacted; programs on this computer still run (and may reach the network themselves).");
        }
    }
    Ok(())
}

fn switch(hearth: &Hearth, name: &str, enabled: bool, json: bool) -> anyhow::Result<()> {
    if !hearth.set_mcp_server_enabled(name, enabled)? {
        bail!("no MCP server is named '{name}'; see `hearth mcp list`");
    }
    let state = if enabled { "on" } else { "off" };
    if json {
        println!("{}", json!({ "name": name, "enabled": enabled }));
    } else {
        eprintln!("MCP server {name} is {state}");
    }
    Ok(())
}

fn bearer(variable: Option<&str>) -> anyhow::Result<BTreeMap<String, Secret>> {
    let mut headers = BTreeMap::new();
    if let Some(variable) = variable {
        let token = std::env::var(variable)
            .with_context(|| format!("the environment variable {variable} is not set"))?;
        headers.insert(
            "Authorization".to_owned(),
            Secret::new(format!("Bearer {}", token.trim())),
        );
    }
    Ok(headers)
}

fn variables(pairs: &[String]) -> anyhow::Result<BTreeMap<String, Secret>> {
    pairs
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), Secret::new(value))),
            _ => bail!("--env takes KEY=VALUE, got `{pair}`"),
        })
        .collect()
}
