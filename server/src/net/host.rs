//! The `Host` allow-list that stops DNS rebinding.
//!
//! A web page can point its own name at 127.0.0.1 (rebind it) and then talk
//! to this server as a same-origin page: the browser sends `Host` and
//! `Origin` both with the page's name, and the Origin check passes. Only
//! the `Host` header tells: the server answers the names it is known by
//! (`localhost`, loopback, the IP it listens on, and every `--public-host`)
//! and refuses any other with 421, naming the flag that would allow it.

use std::net::IpAddr;

/// The host names this server answers.
#[derive(Debug, Clone)]
pub struct HostPolicy {
    /// Lowercase names and IP literals (IPv6 in brackets).
    allowed: Vec<String>,
}

impl HostPolicy {
    /// `localhost`, `127.0.0.1`, `[::1]`, the listen IP (unless it is the
    /// unspecified 0.0.0.0 or ::) and each of `public`.
    pub fn new(listen: IpAddr, public: &[String]) -> Self {
        let mut allowed: Vec<String> = ["localhost", "127.0.0.1", "[::1]"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if !listen.is_unspecified() {
            allowed.push(literal(listen));
        }
        allowed.extend(public.iter().map(|h| normalize(h)));
        Self { allowed }
    }

    /// Checks a request's `Host` header; the error is the text of the 421.
    /// A request without one (not a browser) passes.
    pub fn check(&self, host: Option<&str>) -> Result<(), String> {
        let Some(host) = host else {
            return Ok(());
        };
        let name = normalize(host);
        if self.allowed.contains(&name) {
            Ok(())
        } else {
            Err(format!(
                "this server does not answer to the host name {name:?} (a page that rebinds \
                 its name to this address would look like this); if that is this server's \
                 public name, its operator can allow it with --public-host {}",
                name.trim_start_matches('[').trim_end_matches(']')
            ))
        }
    }
}

/// An IP as it stands in a `Host` header.
fn literal(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

/// The host name of a `Host` value or a flag: lowercase, without the port
/// or a trailing dot, IPv6 literals in brackets.
fn normalize(host: &str) -> String {
    let host = host.trim().to_ascii_lowercase();
    let name = if let Some(rest) = host.strip_prefix('[') {
        // [v6]:port or [v6]
        match rest.split_once(']') {
            Some((v6, _)) => format!("[{v6}]"),
            None => host.clone(),
        }
    } else if let Ok(v6) = host.parse::<std::net::Ipv6Addr>() {
        // A bare IPv6 address, as a flag may give it.
        format!("[{v6}]")
    } else {
        match host.rsplit_once(':') {
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name.to_owned(),
            _ => host.clone(),
        }
    };
    name.trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> HostPolicy {
        HostPolicy::new("127.0.0.1".parse().unwrap(), &["Lab.Example".to_owned()])
    }

    #[test]
    fn known_names_pass_with_or_without_a_port() {
        let p = policy();
        for host in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST",
            "[::1]:8080",
            "lab.example",
            "lab.example.:443",
        ] {
            assert!(p.check(Some(host)).is_ok(), "{host}");
        }
        assert!(p.check(None).is_ok());
    }

    #[test]
    fn other_names_are_refused_naming_the_flag() {
        let p = policy();
        let err = p.check(Some("rebound.example:8080")).unwrap_err();
        assert!(err.contains("--public-host rebound.example"), "{err}");
        assert!(p.check(Some("127.0.0.1.evil:8080")).is_err());
        assert!(p.check(Some("lab.example.evil")).is_err());
        let any = HostPolicy::new("0.0.0.0".parse().unwrap(), &[]);
        assert!(any.check(Some("0.0.0.0:8080")).is_err());
        let v6 = HostPolicy::new("::".parse().unwrap(), &["2001:db8::1".to_owned()]);
        assert!(v6.check(Some("[2001:db8::1]:8080")).is_ok());
    }
}
