//! `/api/mcp` on a real MCP server from npm (the protocol's reference test server,
//! installed by `scripts/fetch-mcp-servers.sh`): the servers listed without their
//! secrets, their tools listed with the descriptions the model reads, a server turned
//! off and on; and the settings endpoint, which neither shows the servers' secrets nor
//! adds a server.

use crate::support;

use crate::mcp_servers;

use std::collections::BTreeMap;

use hearth_mcp::{McpServerConfig, McpTransport, Secret};
use serde_json::json;
use support::{start, Setup};

const SECRET: &str = "token-that-must-stay-home";

fn everything() -> McpServerConfig {
    let entry = mcp_servers::everything_entry();
    let mut server =
        McpServerConfig::stdio("everything", "node", [entry.to_str().unwrap(), "stdio"]);
    if let McpTransport::Stdio { env, .. } = &mut server.transport {
        env.insert("EVERYTHING_TOKEN".into(), Secret::new(SECRET));
    }
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn servers_and_tools_are_listed_without_secrets_and_turned_off_and_on() {
    let server = start(Setup::default()).await;
    server.hearth.save_mcp_server(everything()).unwrap();
    let mut remote = McpServerConfig::http("far", "https://mcp.example.com/mcp");
    if let McpTransport::Http { headers, .. } = &mut remote.transport {
        headers.insert(
            "Authorization".into(),
            Secret::new(format!("Bearer {SECRET}")),
        );
    }
    remote.enabled = false;
    server.hearth.save_mcp_server(remote).unwrap();

    let (status, listed) = server.get_json("/api/mcp/servers").await;
    assert_eq!(status, 200, "{listed}");
    assert!(!listed.to_string().contains(SECRET), "{listed}");
    let servers = listed["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 2, "{listed}");
    assert_eq!(servers[0]["name"], "everything");
    assert_eq!(servers[0]["transport"], "stdio");
    assert!(servers[0]["reach"].as_str().unwrap().starts_with("node "));
    assert_eq!(
        servers[0]["state"], "idle",
        "listing starts nothing: {listed}"
    );
    assert_eq!(servers[0]["remote"], false);
    assert_eq!(servers[1]["state"], "off", "{listed}");
    assert_eq!(servers[1]["remote"], true);
    assert_eq!(servers[1]["reach"], "https://mcp.example.com/mcp");

    // The tools, started on demand, with the words the model will read.
    let (status, tools) = server.get_json("/api/mcp/tools").await;
    assert_eq!(status, 200, "{tools}");
    let echo = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "everything__echo")
        .unwrap_or_else(|| panic!("no echo tool: {tools}"));
    assert_eq!(echo["server"], "everything");
    assert_eq!(echo["tool"], "echo");
    assert!(
        !echo["description"].as_str().unwrap_or("").is_empty(),
        "{echo}"
    );
    assert_eq!(
        tools["errors"],
        json!([]),
        "the off server is not asked: {tools}"
    );
    let (_, listed) = server.get_json("/api/mcp/servers").await;
    assert_eq!(listed["servers"][0]["state"], "connected", "{listed}");
    assert!(listed["servers"][0]["pid"].as_u64().is_some(), "{listed}");

    // Off: its tools are gone and it is not running; on again: back.
    let (status, body) = server
        .put_json(
            "/api/mcp/servers/everything/enabled",
            json!({ "enabled": false }),
        )
        .await;
    assert_eq!((status, body), (200, json!({ "enabled": false })));
    let (_, tools) = server.get_json("/api/mcp/tools").await;
    assert_eq!(tools["tools"], json!([]), "{tools}");
    let (_, listed) = server.get_json("/api/mcp/servers").await;
    assert_eq!(listed["servers"][0]["state"], "off", "{listed}");
    assert!(!server.hearth.mcp_servers()[0].enabled);
    server
        .put_json(
            "/api/mcp/servers/everything/enabled",
            json!({ "enabled": true }),
        )
        .await;
    assert!(server.hearth.mcp_servers()[0].enabled);

    let (status, error) = server
        .put_json(
            "/api/mcp/servers/nobody/enabled",
            json!({ "enabled": true }),
        )
        .await;
    assert_eq!(status, 404, "{error}");
    let (status, error) = server
        .put_json(
            "/api/mcp/servers/everything/enabled",
            json!({ "enabled": true, "command": "sh" }),
        )
        .await;
    assert_eq!(status, 400, "an unknown field is refused: {error}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_settings_endpoint_neither_shows_nor_changes_mcp_servers() {
    let server = start(Setup::default()).await;
    server.hearth.save_mcp_server(everything()).unwrap();

    let (status, mut settings) = server.get_json("/api/settings").await;
    assert_eq!(status, 200);
    assert!(!settings.to_string().contains(SECRET), "{settings}");
    assert_eq!(settings["mcp_servers"], json!([]), "{settings}");

    // Saving the page (which has no servers) keeps the configured one, and a server
    // slipped into the body is not added: no request names a program to run.
    settings["mcp_servers"] = json!([{
        "name": "evil",
        "transport": { "type": "stdio", "command": "sh", "args": ["-c", "touch /tmp/pwned"] }
    }]);
    let (status, saved) = server.put_json("/api/settings", settings).await;
    assert_eq!(status, 200, "{saved}");
    let names: Vec<String> = server
        .hearth
        .mcp_servers()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, vec!["everything".to_string()]);
    let kept: BTreeMap<String, Secret> = match &server.hearth.mcp_servers()[0].transport {
        McpTransport::Stdio { env, .. } => env.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(kept["EVERYTHING_TOKEN"].expose(), SECRET);
}
