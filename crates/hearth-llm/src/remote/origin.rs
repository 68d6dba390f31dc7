//! Where a provider's API is, as far as trust goes: the origin (scheme, host and port)
//! of its address. Hearth binds an API key to the origin it was given for, so a changed
//! address can never take the key along, and sends nothing over plain http:// except
//! to this computer, where no one on the network can read the key or the text.

use std::fmt;
use std::net::IpAddr;

use ureq::http::Uri;

/// The scheme, host (lowercased; an IPv6 address in brackets) and port of an address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    https: bool,
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of `url`, or what is wrong with it (not http:// or https://, no
    /// host, or a user name or password in it).
    pub fn of(url: &str) -> Result<Self, String> {
        let url = url.trim();
        let not_http = || format!("the address must start with http:// or https://, got '{url}'");
        let uri: Uri = url.parse().map_err(|_| {
            if url.contains("://") {
                format!("'{url}' is not a valid address")
            } else {
                not_http()
            }
        })?;
        let https = match uri.scheme_str() {
            Some(s) if s.eq_ignore_ascii_case("https") => true,
            Some(s) if s.eq_ignore_ascii_case("http") => false,
            _ => return Err(not_http()),
        };
        let authority = uri
            .authority()
            .filter(|a| !a.host().is_empty())
            .ok_or_else(|| format!("the address '{url}' names no host"))?;
        if authority.as_str().contains('@') {
            // `https://api.openai.com@elsewhere.example` goes to elsewhere.example.
            return Err(format!(
                "the address '{url}' must not hold a user name or password (the part before @); give the key as the provider's API key"
            ));
        }
        Ok(Self {
            https,
            host: authority.host().to_ascii_lowercase(),
            port: authority.port_u16().unwrap_or(if https { 443 } else { 80 }),
        })
    }

    /// This computer: `localhost`, 127.0.0.0/8 or ::1.
    pub fn is_loopback(&self) -> bool {
        if self.host == "localhost" {
            return true;
        }
        let bare = self
            .host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(&self.host);
        match bare.parse::<IpAddr>() {
            Ok(IpAddr::V4(ip)) => ip.is_loopback(),
            Ok(IpAddr::V6(ip)) => {
                ip.is_loopback() || ip.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
            }
            Err(_) => false,
        }
    }

    pub fn is_https(&self) -> bool {
        self.https
    }

    /// Refuses plain http:// to anything but this computer: on the way to another
    /// machine anyone on the network could read the API key and everything sent.
    pub fn check_transport(&self) -> Result<(), String> {
        if self.https || self.is_loopback() {
            return Ok(());
        }
        Err(format!(
            "plain http:// is only allowed to this computer (localhost, 127.0.0.1, [::1]); {self} would carry the API key and everything sent unencrypted, so use https://, or reach the server through a tunnel to localhost"
        ))
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(url: &str) -> String {
        Origin::of(url).unwrap().to_string()
    }

    #[test]
    fn origins_name_scheme_host_and_port() {
        assert_eq!(
            origin("https://api.openai.com/v1"),
            "https://api.openai.com:443"
        );
        assert_eq!(
            origin(" HTTPS://API.OpenAI.com:443/v1/ "),
            "https://api.openai.com:443"
        );
        assert_eq!(origin("http://127.0.0.1:8080/v1"), "http://127.0.0.1:8080");
        assert_eq!(origin("http://[::1]/v1"), "http://[::1]:80");
        assert_ne!(
            origin("http://localhost:1/v1"),
            origin("http://localhost:2/v1")
        );
        assert_ne!(origin("https://host/v1"), origin("http://host:443/v1"));
    }

    #[test]
    fn bad_addresses_say_what_is_wrong() {
        for (url, says) in [
            ("api.example.com", "http:// or https://"),
            ("ftp://example.com", "http:// or https://"),
            ("http://exa mple/v1", "not a valid address"),
            (
                "https://api.openai.com@evil.example/v1",
                "user name or password",
            ),
        ] {
            let error = Origin::of(url).unwrap_err();
            assert!(error.contains(says), "{url}: {error}");
        }
    }

    #[test]
    fn plain_http_only_to_this_computer() {
        for url in [
            "http://localhost:11434/v1",
            "http://LOCALHOST/v1",
            "http://127.0.0.1:8000/v1",
            "http://127.9.9.9/v1",
            "http://[::1]:8000/v1",
            "http://[::ffff:127.0.0.1]/v1",
            "https://10.0.0.5/v1",
            "https://api.anthropic.com/v1",
        ] {
            Origin::of(url).unwrap().check_transport().unwrap();
        }
        for url in [
            "http://10.0.0.5:8000/v1",
            "http://api.example.com/v1",
            "http://localhost.evil.example/v1",
            "http://128.0.0.1/v1",
            "http://[::2]/v1",
        ] {
            let error = Origin::of(url).unwrap().check_transport().unwrap_err();
            assert!(
                error.contains("only allowed to this computer"),
                "{url}: {error}"
            );
        }
    }
}
