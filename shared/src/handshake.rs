//! The WebSocket opening handshake, as data.
//!
//! A WebSocket starts life as an ordinary HTTP/1.1 `GET` that asks to be
//! upgraded; the server agrees with `101 Switching Protocols`, and from then
//! on the same TCP connection carries WebSocket frames. `/ws/inspect` sends
//! the page a [`HandshakeReport`] so the visitor can read that exchange, and
//! [`accept_key_for`] lets the page redo the server's one computation.

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};

use crate::json::from_json_struct;

/// The GUID RFC 6455 (section 1.3) appends to the client's key.
pub const WEBSOCKET_GUID: &str = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// `base64(SHA-1(key + GUID))`: the `Sec-WebSocket-Accept` a server must
/// answer to a `Sec-WebSocket-Key`. It proves the server understood the
/// WebSocket request (a plain HTTP server or cache could not produce it).
pub fn accept_key_for(sec_websocket_key: &str) -> String {
    let mut sha = Sha1::new();
    sha.update(sec_websocket_key.trim().as_bytes());
    sha.update(WEBSOCKET_GUID.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(sha.finalize())
}

/// The HTTP request line and headers of an upgrade request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequestHead {
    /// Always `GET` for a WebSocket upgrade.
    pub method: String,
    /// Path and query, e.g. `/ws/inspect?x=1`.
    pub path: String,
    /// `HTTP/1.1`.
    pub version: String,
    /// Headers in the order received, names lowercase (HTTP/1.1 names are
    /// case-insensitive; the server's HTTP library normalizes them).
    pub headers: Vec<(String, String)>,
}

/// The status and headers of the server's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponseHead {
    /// `101` when the upgrade was accepted.
    pub status: u16,
    /// Headers as sent.
    pub headers: Vec<(String, String)>,
}

/// The whole opening handshake of one connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandshakeReport {
    /// What the client sent.
    pub request: HttpRequestHead,
    /// What the server answered.
    pub response: HttpResponseHead,
}

impl HttpRequestHead {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

impl HttpResponseHead {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

from_json_struct!(HandshakeReport {
    request: get,
    response: get,
});
from_json_struct!(HttpRequestHead {
    method: get,
    path: get,
    version: get,
    headers: get,
});
from_json_struct!(HttpResponseHead {
    status: get,
    headers: get,
});

fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_example() {
        // RFC 6455, section 1.3.
        assert_eq!(
            accept_key_for("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn header_lookup_ignores_case() {
        let head = HttpRequestHead {
            method: "GET".into(),
            path: "/".into(),
            version: "HTTP/1.1".into(),
            headers: vec![("sec-websocket-key".into(), "abc".into())],
        };
        assert_eq!(head.header("Sec-WebSocket-Key"), Some("abc"));
        assert_eq!(head.header("origin"), None);
    }
}
