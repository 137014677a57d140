//! The server's URL paths, named once for the server's routes and the page.

/// Echoes every message back unchanged.
pub const WS_ECHO: &str = "/ws/echo";
/// Chat rooms: `?room=ROOM&name=NAME`.
pub const WS_CHAT: &str = "/ws/chat";
/// Sends the connection's own opening handshake.
pub const WS_INSPECT: &str = "/ws/inspect";
/// What this server is and where its sockets are ([`crate::ServerInfo`]).
pub const API_INFO: &str = "/api/info";
/// Liveness probe: `200 ok` while the process serves requests.
pub const HEALTHZ: &str = "/healthz";
/// Relay to a named target: `/ws/relay/{name}`.
pub const WS_RELAY_PREFIX: &str = "/ws/relay/";
/// What the built-in `tcp-echo` socket received recently ([`crate::TcpCapture`] list).
pub const API_TCP_CAPTURES: &str = "/api/tcp-echo/captures";
/// WebTransport echo: every datagram, and each bidirectional stream, back.
pub const WT_ECHO: &str = "/wt/echo";
/// WebTransport relay to a named target: `/wt/relay/{name}` (a UDP target
/// over datagrams, a TCP target over one bidirectional stream).
pub const WT_RELAY_PREFIX: &str = "/wt/relay/";
