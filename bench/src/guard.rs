//! The loopback guard: every address the harness dials or listens on must be
//! on this machine.
//!
//! A load generator pointed at someone else's host is a denial-of-service
//! tool, so the harness refuses anything but loopback *before* opening a
//! socket. It accepts IP literals only: a host name would need a resolver,
//! and a resolver's answer is not something this check could vouch for.

use std::net::{IpAddr, SocketAddr};

use anyhow::{bail, Context, Result};

/// Accepts `addr` only if its IP is loopback (127.0.0.0/8 or ::1).
pub fn loopback(addr: SocketAddr) -> Result<SocketAddr> {
    if addr.ip().is_loopback() {
        Ok(addr)
    } else {
        bail!(
            "{addr} is not a loopback address; the benchmark harness only talks to \
             127.0.0.1 or [::1]"
        )
    }
}

/// Parses `IP:PORT` (`[::1]:PORT` for IPv6) and accepts it only on loopback;
/// what `--listen` and `--target` flags go through.
pub fn parse_loopback(text: &str) -> Result<SocketAddr> {
    let addr: SocketAddr = text.parse().with_context(|| {
        format!("`{text}` is not IP:PORT (host names are refused; use 127.0.0.1)")
    })?;
    loopback(addr)
}

/// The socket address a `ws://` URL points at, accepted only on loopback.
///
/// `wss://` is refused too: the benchmarks measure the server, not TLS, and
/// the harness carries no TLS stack.
pub fn ws_url_addr(url: &str) -> Result<SocketAddr> {
    url_addr(url, "ws")
}

/// The socket address an `http://` URL points at (what the `page`
/// benchmark's browser loads), accepted only on loopback; `https://` is
/// refused like `wss://`.
pub fn http_url_addr(url: &str) -> Result<SocketAddr> {
    url_addr(url, "http")
}

/// The address of a `SCHEME://IP[:PORT]/...` URL (port 80 by default),
/// accepted only on loopback.
fn url_addr(url: &str, scheme: &str) -> Result<SocketAddr> {
    let rest = url
        .strip_prefix(scheme)
        .and_then(|rest| rest.strip_prefix("://"))
        .with_context(|| format!("`{url}` is not a {scheme}:// URL"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        bail!("`{url}` carries user information; give {scheme}://IP:PORT/PATH");
    }
    let addr = match authority.parse::<SocketAddr>() {
        Ok(addr) => addr,
        // No port: ws:// and http:// default to 80.
        Err(_) => {
            let host = authority.trim_start_matches('[').trim_end_matches(']');
            let ip: IpAddr = host.parse().with_context(|| {
                format!(
                    "the host of `{url}` is not an IP address (host names are refused; \
                     use 127.0.0.1)"
                )
            })?;
            SocketAddr::new(ip, 80)
        }
    };
    loopback(addr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_urls_are_accepted() {
        assert_eq!(
            ws_url_addr("ws://127.0.0.1:8080/ws/echo").unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(
            ws_url_addr("ws://[::1]:9/ws/chat?room=a").unwrap(),
            "[::1]:9".parse().unwrap()
        );
        assert_eq!(
            ws_url_addr("ws://127.3.2.1").unwrap(),
            "127.3.2.1:80".parse().unwrap()
        );
        assert_eq!(ws_url_addr("ws://[::1]").unwrap().port(), 80);
    }

    #[test]
    fn other_hosts_are_refused() {
        for url in [
            "ws://10.0.0.1:80/ws/echo",
            "ws://192.168.1.2:80/",
            "ws://8.8.8.8/",
            "ws://[2001:db8::1]:80/",
            "ws://0.0.0.0:80/",
            "ws://localhost:80/",
            "ws://example.com/",
            "ws://127.0.0.1@10.0.0.1:80/",
            "wss://127.0.0.1:443/",
            "http://127.0.0.1:80/",
            "127.0.0.1:80",
        ] {
            assert!(ws_url_addr(url).is_err(), "{url} was accepted");
        }
    }

    #[test]
    fn page_urls_must_be_loopback_http() {
        assert_eq!(
            http_url_addr("http://127.0.0.1:8080/").unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(http_url_addr("http://[::1]/").unwrap().port(), 80);
        for url in [
            "https://127.0.0.1:443/",
            "ws://127.0.0.1:80/",
            "http://localhost:80/",
            "http://10.0.0.1:80/",
            "http://127.0.0.1@10.0.0.1:80/",
        ] {
            assert!(http_url_addr(url).is_err(), "{url} was accepted");
        }
    }

    #[test]
    fn listen_and_target_addresses_must_be_loopback() {
        assert!(parse_loopback("127.0.0.1:0").is_ok());
        assert!(parse_loopback("[::1]:5900").is_ok());
        assert!(parse_loopback("0.0.0.0:0").is_err());
        assert!(parse_loopback("[::]:0").is_err());
        assert!(parse_loopback("10.1.1.1:22").is_err());
        assert!(parse_loopback("localhost:80").is_err());
        let err = parse_loopback("192.168.0.1:80").unwrap_err().to_string();
        assert!(err.contains("not a loopback address"), "{err}");
    }
}
