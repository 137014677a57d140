//! `GET /api/info`: the server describing its own sockets.
//!
//! The study note's first lesson is that a socket is an IP address plus a
//! port. This document lists every socket the server listens on, so the page
//! can show real addresses instead of telling the visitor about them.

use serde::{Deserialize, Serialize};

use crate::json::{self, from_json_struct, JsonError};

/// The body of `GET /api/info`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    /// The server's name, `socketlab`.
    pub name: String,
    /// The server's version (its crate version).
    pub version: String,
    /// Every endpoint, with the socket address it is reached at.
    pub endpoints: Vec<EndpointInfo>,
    /// Relay targets a page may reach through `/ws/relay/{name}`.
    pub relay_targets: Vec<RelayTargetInfo>,
    /// Which server instance answered: with several instances behind a
    /// load balancer, one chat room spans sockets on several machines.
    #[serde(default)]
    pub instance: Option<InstanceInfo>,
    /// The WebTransport listener, when the server runs one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webtransport: Option<WebTransportInfo>,
}

/// Where a page opens WebTransport sessions, and how it trusts the
/// server's certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebTransportInfo {
    /// `https://IP:PORT`, the listener (UDP); a page puts its own host name
    /// in front of the port, and a path (`/wt/echo`) after it.
    pub url: String,
    /// SHA-256 of the server's self-signed certificate, lowercase hex: what
    /// a page passes as `serverCertificateHashes`. Absent when the server
    /// has a certificate browsers trust (`--tls-cert`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_sha256: Option<String>,
    /// When that certificate expires (RFC 3339, UTC); the server replaces
    /// it days before, so a page fetches the hash before each connect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

impl WebTransportInfo {
    /// The listener's port, from [`WebTransportInfo::url`].
    pub fn port(&self) -> Option<u16> {
        self.url
            .rsplit_once(':')?
            .1
            .trim_end_matches('/')
            .parse()
            .ok()
    }
}

/// One `socketlab` process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceInfo {
    /// Its name (`--instance-id`, or random).
    pub id: String,
    /// Where it listens, `IP:PORT`.
    pub listen: String,
    /// `local` (rooms in this process) or `nats` (rooms shared by instances).
    pub bus: String,
}

/// One thing a client can connect to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointInfo {
    /// Short name, e.g. `chat`.
    pub name: String,
    /// `http`, `ws`, `tcp` or `udp`: how a client talks to it.
    pub protocol: String,
    /// The listening socket, `IP:PORT`.
    pub addr: String,
    /// The URL path, for HTTP and WebSocket endpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// A named, allow-listed relay target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayTargetInfo {
    /// The name used in `/ws/relay/{name}`.
    pub name: String,
    /// TCP, UDP or Unix.
    pub kind: crate::relay::TargetKind,
    /// The target socket, `IP:PORT` (or `unix:///PATH`); absent when the
    /// target needs a token: who may not use it need not know where it is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub addr: Option<String>,
    /// Subprotocols a client may select besides `binary`, which every
    /// target accepts.
    #[serde(default)]
    pub protocols: Vec<String>,
    /// What a text frame becomes: `bytes` (relayed) or `refuse` (1003).
    #[serde(default)]
    pub text: crate::relay::TextMode,
    /// Whether a token is needed (`?token=` or subprotocol `token.SECRET`).
    #[serde(default)]
    pub token: bool,
}

impl ServerInfo {
    /// Reads the body of `GET /api/info` (with the small reader in
    /// [`crate::json`], as the page does).
    pub fn from_json(text: &str) -> Result<Self, JsonError> {
        json::from_str(text)
    }
}

from_json_struct!(ServerInfo {
    name: get,
    version: get,
    endpoints: get,
    relay_targets: get,
    instance: get_or_default,
    webtransport: get_or_default,
});
from_json_struct!(WebTransportInfo {
    url: get,
    cert_sha256: get_or_default,
    expires: get_or_default,
});
from_json_struct!(InstanceInfo {
    id: get,
    listen: get,
    bus: get,
});
from_json_struct!(EndpointInfo {
    name: get,
    protocol: get,
    addr: get,
    path: get_or_default,
});
from_json_struct!(RelayTargetInfo {
    name: get,
    kind: get,
    addr: get_or_default,
    protocols: get_or_default,
    text: get_or_default,
    token: get_or_default,
});
