//! The `Origin` check that stops cross-site WebSocket hijacking.
//!
//! Browsers attach cookies and reach `localhost` for any page, and the
//! WebSocket handshake is not subject to CORS: without this check, any web
//! site a visitor opens could open a WebSocket to this server in their name.
//! A browser always sends `Origin`, so the check refuses foreign pages while
//! letting command-line clients (which send none) through, unless told not to.

/// Which `Origin`s may open WebSockets.
#[derive(Debug, Clone)]
pub struct OriginPolicy {
    /// Extra allowed origins, lowercase, e.g. `http://127.0.0.1:8081`.
    allowed: Vec<String>,
    /// Whether a request without `Origin` (not a browser) is allowed.
    allow_missing: bool,
}

/// `trunk serve`'s address, allowed with `--dev` so the dev loop works.
pub const TRUNK_SERVE_ORIGINS: &[&str] = &["http://127.0.0.1:8081", "http://localhost:8081"];

impl OriginPolicy {
    /// The page's own origin (same host as the request) is always allowed;
    /// `allowed` adds others (`*` allows any).
    pub fn new(allowed: &[String], allow_missing: bool) -> Self {
        Self {
            allowed: allowed
                .iter()
                .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
                .collect(),
            allow_missing,
        }
    }

    /// Checks a request's `Origin` against its `Host`; the error is the
    /// explanation sent with the 403.
    pub fn check(&self, origin: Option<&str>, host: Option<&str>) -> Result<(), String> {
        let Some(origin) = origin else {
            return if self.allow_missing {
                Ok(())
            } else {
                Err("this server requires an Origin header (--require-origin)".to_owned())
            };
        };
        let origin = origin.trim().to_ascii_lowercase();
        let same_host = host.is_some_and(|host| {
            let host = host.trim().to_ascii_lowercase();
            origin.strip_prefix("http://") == Some(host.as_str())
                || origin.strip_prefix("https://") == Some(host.as_str())
        });
        if same_host || self.allowed.iter().any(|a| a == "*" || *a == origin) {
            Ok(())
        } else {
            Err(format!(
                "WebSocket connections from pages at {origin} are not allowed; \
                 the server's operator can allow it with --allowed-origin {origin}"
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> OriginPolicy {
        let allowed: Vec<String> = TRUNK_SERVE_ORIGINS.iter().map(|s| s.to_string()).collect();
        OriginPolicy::new(&allowed, true)
    }

    #[test]
    fn same_host_and_listed_origins_pass() {
        let p = policy();
        assert!(p
            .check(Some("http://127.0.0.1:8080"), Some("127.0.0.1:8080"))
            .is_ok());
        assert!(p
            .check(Some("https://Lab.Example"), Some("lab.example"))
            .is_ok());
        assert!(p
            .check(Some("http://localhost:8081"), Some("127.0.0.1:8080"))
            .is_ok());
        assert!(p.check(None, Some("127.0.0.1:8080")).is_ok());
    }

    #[test]
    fn foreign_origins_fail() {
        let p = policy();
        let err = p
            .check(Some("https://evil.example"), Some("127.0.0.1:8080"))
            .unwrap_err();
        assert!(err.contains("--allowed-origin https://evil.example"));
        assert!(p
            .check(Some("http://127.0.0.1:8080.evil"), Some("127.0.0.1:8080"))
            .is_err());
        assert!(p.check(Some("null"), Some("127.0.0.1:8080")).is_err());
        let strict = OriginPolicy::new(&[], false);
        assert!(strict.check(None, Some("x")).is_err());
        let any = OriginPolicy::new(&["*".to_owned()], true);
        assert!(any.check(Some("https://anything"), Some("x")).is_ok());
    }
}
