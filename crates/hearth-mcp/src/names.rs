//! The names the model sees: `server__tool`, within OpenAI's `^[a-zA-Z0-9_-]{1,64}$`
//! (the strictest of the APIs and chat templates Hearth feeds). MCP allows tool names
//! of up to 128 characters with dots and more, so a name that does not fit is made to:
//! other characters become `_`, and a name that was changed or is too long ends in a
//! short hash of the original, so two tools never end up with the same name.

/// Separates the server's name from the tool's. Server names cannot hold it, so the
/// first occurrence in a tool name always ends the server's part.
pub const SEPARATOR: &str = "__";

/// OpenAI's limit on function names.
pub const MAX_TOOL_NAME_LEN: usize = 64;

/// Whether `name` fits `^[a-zA-Z0-9_-]{1,64}$`.
pub fn is_valid_tool_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_TOOL_NAME_LEN
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The name the model sees for `tool` of `server` (a valid server name).
pub fn exposed_name(server: &str, tool: &str) -> String {
    let plain = format!("{server}{SEPARATOR}{tool}");
    if is_valid_tool_name(&plain) {
        return plain;
    }
    let cleaned: String = tool
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    with_hash(server, &cleaned, tool)
}

/// `server__stem_hash`, cut to fit: the hash of the original name keeps two names that
/// clean or cut to the same stem apart.
pub(crate) fn with_hash(server: &str, stem: &str, original: &str) -> String {
    let hash = format!("{:08x}", fnv1a(original.as_bytes()));
    let room = MAX_TOOL_NAME_LEN - server.len() - SEPARATOR.len() - 1 - hash.len();
    // `stem` is ASCII here, so any byte index is a character boundary
    let stem = &stem[..stem.len().min(room)];
    format!("{server}{SEPARATOR}{stem}_{hash}")
}

/// The server part of an exposed name.
pub fn server_of(exposed: &str) -> Option<&str> {
    exposed
        .split_once(SEPARATOR)
        .map(|(server, _)| server)
        .filter(|server| !server.is_empty())
}

/// 32-bit FNV-1a: tiny, stable across versions and platforms (names end up in saved
/// conversations), and collisions only matter between tools of one server.
fn fnv1a(bytes: &[u8]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for &b in bytes {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::MAX_SERVER_NAME_LEN;

    #[test]
    fn plain_names_are_kept() {
        assert_eq!(exposed_name("files", "read_file"), "files__read_file");
        assert_eq!(exposed_name("everything", "get-sum"), "everything__get-sum");
        assert_eq!(server_of("files__read_file"), Some("files"));
        assert_eq!(server_of("files__tool__with__seps"), Some("files"));
        assert_eq!(server_of("read_file"), None);
        assert_eq!(server_of("__x"), None);
    }

    #[test]
    fn other_names_are_made_to_fit_and_stay_apart() {
        let dotted = exposed_name("gh", "repos.list");
        let underscored = exposed_name("gh", "repos_list");
        assert!(is_valid_tool_name(&dotted), "{dotted}");
        assert!(dotted.starts_with("gh__repos_list_"), "{dotted}");
        assert_ne!(dotted, underscored, "cleaning must not merge two tools");

        let server = "s".repeat(MAX_SERVER_NAME_LEN);
        let long_a = exposed_name(&server, &format!("{}a", "x".repeat(120)));
        let long_b = exposed_name(&server, &format!("{}b", "x".repeat(120)));
        assert_eq!(long_a.len(), MAX_TOOL_NAME_LEN);
        assert!(is_valid_tool_name(&long_a) && is_valid_tool_name(&long_b));
        assert_ne!(long_a, long_b);
        assert_eq!(server_of(&long_a), Some(server.as_str()));

        let unicode = exposed_name("fs", "lire_le_fichier_été");
        assert!(is_valid_tool_name(&unicode), "{unicode}");
        // the same input always gives the same name (saved conversations refer to it)
        assert_eq!(unicode, exposed_name("fs", "lire_le_fichier_été"));
    }
}
