//! What the user configures for one MCP server: its name, how to reach it (a program
//! Hearth starts and talks to over its stdin/stdout, or a streamable HTTP address), and
//! whether it is on. Plain serde data, so it reads from the settings' TOML or JSON.
//!
//! Header values and environment values often hold tokens, so they are kept as
//! [`Secret`]s: written out in full (the settings must round-trip) but never shown by
//! `Debug`, and so never in a log line that formats a config.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;

use hearth_llm::remote::Origin;
use serde::{Deserialize, Serialize};

use crate::error::McpError;

/// The longest server name: it prefixes every tool name the model sees, and OpenAI
/// allows 64 characters for those, so a short prefix leaves room for the tool's own.
pub const MAX_SERVER_NAME_LEN: usize = 24;

/// One MCP server as the user configured it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct McpServerConfig {
    /// Short and unique: `[a-z0-9_-]`, starting and ending with a letter or digit, no
    /// `__` (the separator in tool names, `name__tool`).
    pub name: String,
    pub transport: McpTransport,
    /// An off server is kept in the settings but never started or contacted.
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

/// How Hearth reaches a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum McpTransport {
    /// A local program Hearth starts; JSON-RPC over its stdin and stdout. Its stderr
    /// goes to Hearth's log at debug level.
    Stdio {
        /// The program: a path, or a name looked up on `PATH`.
        command: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        args: Vec<String>,
        /// Set for the program on top of the few variables every program needs (PATH,
        /// HOME, USER, ...). Nothing else of Hearth's environment is passed on, so an
        /// API key in Hearth's environment never reaches a server by accident.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        env: BTreeMap<String, Secret>,
        /// The program's working directory; Hearth's own when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cwd: Option<PathBuf>,
    },
    /// A server at a streamable HTTP address (`https://…/mcp`). Plain `http://` only to
    /// this computer; while offline, only addresses on this computer.
    Http {
        url: String,
        /// Sent with every request, e.g. `Authorization: Bearer …`.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        headers: BTreeMap<String, Secret>,
    },
}

/// A value that must not appear in logs: `Debug` and `Display` print `<redacted>`.
/// Serde writes it in full, since the settings file has to keep it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The value itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Headers a user may not set: the transport owns them, and letting a config set
/// `host` or `content-length` would be a way to confuse the server or a proxy.
const RESERVED_HEADERS: &[&str] = &[
    "accept",
    "connection",
    "content-length",
    "content-type",
    "host",
    "last-event-id",
    "mcp-protocol-version",
    "mcp-session-id",
    "transfer-encoding",
];

impl McpServerConfig {
    /// A stdio server with no extra environment, enabled.
    pub fn stdio(
        name: impl Into<String>,
        command: impl Into<String>,
        args: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            name: name.into(),
            transport: McpTransport::Stdio {
                command: command.into(),
                args: args.into_iter().map(Into::into).collect(),
                env: BTreeMap::new(),
                cwd: None,
            },
            enabled: true,
        }
    }

    /// How the server is reached, for a list shown to the user: the program and its
    /// arguments, or the address. Environment values and headers, which often hold
    /// tokens, are left out.
    pub fn reach(&self) -> String {
        match &self.transport {
            McpTransport::Stdio { command, args, .. } => std::iter::once(command.as_str())
                .chain(args.iter().map(String::as_str))
                .collect::<Vec<_>>()
                .join(" "),
            McpTransport::Http { url, .. } => url.clone(),
        }
    }

    /// `stdio` or `http`.
    pub fn transport_kind(&self) -> &'static str {
        match &self.transport {
            McpTransport::Stdio { .. } => "stdio",
            McpTransport::Http { .. } => "http",
        }
    }

    /// A streamable HTTP server with no extra headers, enabled.
    pub fn http(name: impl Into<String>, url: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            transport: McpTransport::Http {
                url: url.into(),
                headers: BTreeMap::new(),
            },
            enabled: true,
        }
    }

    /// Checks everything that can be checked without starting or contacting the server.
    pub fn validate(&self) -> Result<(), McpError> {
        check_server_name(&self.name)?;
        let invalid = |reason: String| McpError::InvalidConfig {
            server: self.name.clone(),
            reason,
        };
        match &self.transport {
            McpTransport::Stdio {
                command, args, env, ..
            } => {
                if command.trim().is_empty() {
                    return Err(invalid(
                        "the command is empty; give the program to start".into(),
                    ));
                }
                if command.contains('\0') || args.iter().any(|a| a.contains('\0')) {
                    return Err(invalid(
                        "the command or an argument holds a NUL character".into(),
                    ));
                }
                for (key, value) in env {
                    if key.is_empty() || key.contains('=') || key.contains('\0') {
                        return Err(invalid(format!(
                            "'{key}' is not a valid environment variable name"
                        )));
                    }
                    if value.expose().contains('\0') {
                        return Err(invalid(format!(
                            "the value of environment variable {key} holds a NUL character"
                        )));
                    }
                }
            }
            McpTransport::Http { url, headers } => {
                let origin = Origin::of(url).map_err(invalid)?;
                check_plain_http(&origin).map_err(invalid)?;
                for (name, value) in headers {
                    check_header(name, value.expose()).map_err(invalid)?;
                }
            }
        }
        Ok(())
    }
}

/// `name` as a server name, or why not.
pub fn check_server_name(name: &str) -> Result<(), McpError> {
    let invalid = |reason: &str| {
        McpError::InvalidConfig {
        server: name.to_string(),
        reason: format!(
            "the server name {reason}; use 1 to {MAX_SERVER_NAME_LEN} of a-z, 0-9, '_' and '-', starting and ending with a letter or digit, without '__'"
        ),
    }
    };
    if name.is_empty() || name.len() > MAX_SERVER_NAME_LEN {
        return Err(invalid("has the wrong length"));
    }
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
    {
        return Err(invalid(
            "holds a character other than a-z, 0-9, '_' and '-'",
        ));
    }
    let edge_ok = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !edge_ok(name.as_bytes()[0]) || !edge_ok(name.as_bytes()[name.len() - 1]) {
        return Err(invalid("starts or ends with '_' or '-'"));
    }
    if name.contains("__") {
        return Err(invalid(
            "holds '__', which separates the server from the tool in tool names",
        ));
    }
    Ok(())
}

/// Plain http:// only to this computer: on the way to another machine anyone on the
/// network could read the tokens in the headers and everything the tools are sent.
pub(crate) fn check_plain_http(origin: &Origin) -> Result<(), String> {
    if origin.is_https() || origin.is_loopback() {
        return Ok(());
    }
    Err(format!(
        "plain http:// is only allowed to this computer (localhost, 127.0.0.1, [::1]); {origin} would carry the headers and every tool call unencrypted, so use https://"
    ))
}

fn check_header(name: &str, value: &str) -> Result<(), String> {
    reqwest::header::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("'{name}' is not a valid HTTP header name"))?;
    if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(format!(
            "the header {name} is set by the MCP transport itself and cannot be configured"
        ));
    }
    // HeaderValue refuses CR and LF, so a value cannot smuggle in a header of its own.
    reqwest::header::HeaderValue::from_str(value).map_err(|_| {
        format!("the value of header {name} holds characters a header cannot carry (line breaks or control characters)")
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names_are_short_plain_and_separable() {
        for good in ["files", "a", "web-search", "git_2", "x1-y_z"] {
            check_server_name(good).unwrap();
        }
        for (bad, says) in [
            ("", "wrong length"),
            ("a-very-long-server-name-xyz", "wrong length"),
            ("Files", "other than"),
            ("my server", "other than"),
            ("fs.local", "other than"),
            ("_files", "starts or ends"),
            ("files-", "starts or ends"),
            ("a__b", "'__'"),
        ] {
            let error = check_server_name(bad).unwrap_err().to_string();
            assert!(error.contains(says), "{bad}: {error}");
            assert!(error.contains(&format!("'{bad}'")), "{bad}: {error}");
        }
    }

    #[test]
    fn secrets_never_show_in_debug() {
        let mut config = McpServerConfig::http("remote", "https://mcp.example.com/mcp");
        if let McpTransport::Http { headers, .. } = &mut config.transport {
            headers.insert("Authorization".into(), "Bearer sk-top-secret".into());
        }
        let mut stdio = McpServerConfig::stdio("gh", "github-mcp", ["stdio"]);
        if let McpTransport::Stdio { env, .. } = &mut stdio.transport {
            env.insert("GITHUB_TOKEN".into(), "ghp_hunter2".into());
        }
        let shown = format!("{config:?} {config:#?} {stdio:?}");
        assert!(!shown.contains("sk-top-secret"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("Authorization") && shown.contains("<redacted>"));
        assert!(shown.contains("GITHUB_TOKEN"));
    }

    #[test]
    fn configs_read_from_toml_and_json_and_round_trip() {
        let toml_text = r#"
            name = "files"
            [transport]
            type = "stdio"
            command = "node"
            args = ["server.js", "/home/me/notes"]
            env = { LOG_LEVEL = "debug" }
            cwd = "/tmp"
        "#;
        let from_toml: McpServerConfig = toml::from_str(toml_text).unwrap();
        assert!(from_toml.enabled, "servers are on unless turned off");
        from_toml.validate().unwrap();
        let json = serde_json::json!({
            "name": "remote",
            "enabled": false,
            "transport": {"type": "http", "url": "https://mcp.example.com/mcp",
                          "headers": {"Authorization": "Bearer abc"}}
        });
        let from_json: McpServerConfig = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(serde_json::to_value(&from_json).unwrap(), json);
        let again: McpServerConfig = toml::from_str(&toml::to_string(&from_toml).unwrap()).unwrap();
        assert_eq!(again, from_toml);
        // a misspelt field is an error, not a silently ignored setting
        let typo = r#"
            name = "files"
            [transport]
            type = "stdio"
            comand = "node"
        "#;
        let error = toml::from_str::<McpServerConfig>(typo)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("comand") || error.contains("command"),
            "{error}"
        );
    }

    #[test]
    fn http_addresses_and_headers_are_checked() {
        McpServerConfig::http("local", "http://127.0.0.1:3001/mcp")
            .validate()
            .unwrap();
        McpServerConfig::http("remote", "https://mcp.example.com/mcp")
            .validate()
            .unwrap();
        let error = McpServerConfig::http("lan", "http://192.168.1.20:3001/mcp")
            .validate()
            .unwrap_err()
            .to_string();
        assert!(error.contains("only allowed to this computer"), "{error}");
        assert!(error.contains("'lan'"), "{error}");
        let error = McpServerConfig::http("x", "ftp://example.com")
            .validate()
            .unwrap_err()
            .to_string();
        assert!(error.contains("http:// or https://"), "{error}");

        for (name, value, says) in [
            ("X-Token", "a\r\nHost: evil", "line breaks"),
            ("Bad Header", "v", "not a valid HTTP header name"),
            ("Mcp-Session-Id", "v", "set by the MCP transport"),
            ("host", "evil", "set by the MCP transport"),
        ] {
            let mut config = McpServerConfig::http("remote", "https://mcp.example.com/mcp");
            if let McpTransport::Http { headers, .. } = &mut config.transport {
                headers.insert(name.into(), value.into());
            }
            let error = config.validate().unwrap_err().to_string();
            assert!(error.contains(says), "{name}: {error}");
        }
    }

    #[test]
    fn stdio_commands_are_checked() {
        let error = McpServerConfig::stdio("x", "  ", Vec::<String>::new())
            .validate()
            .unwrap_err()
            .to_string();
        assert!(error.contains("command is empty"), "{error}");
        let mut config = McpServerConfig::stdio("x", "node", ["a"]);
        if let McpTransport::Stdio { env, .. } = &mut config.transport {
            env.insert("A=B".into(), "v".into());
        }
        let error = config.validate().unwrap_err().to_string();
        assert!(
            error.contains("not a valid environment variable name"),
            "{error}"
        );
    }
}
