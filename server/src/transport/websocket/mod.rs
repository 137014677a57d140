//! WebSocket (RFC 6455) over HTTP/1.1: the handshake and the helpers every
//! WebSocket session shares.
//!
//! - [`upgrade`]: the opening handshake, done here to record it for the
//!   inspector and to set limits per endpoint.
//! - [`endpoints`]: `/ws/chat`, `/ws/echo`, `/ws/inspect`: checks, limits
//!   and the service each runs.
//! - [`session`]: a WebSocket as the services see it (the session
//!   interface, framed).
//! - [`stream`]: the server's side of RFC 6455 over a byte stream, with
//!   [`frame`]: frame heads, masks and close payloads, without I/O.
//! - [`socket`]: the stream type, gated reads, closing politely.
//! - [`subprotocol`]: which subprotocol a relay answers with.
//! - [`wire`]: the socket under a plain-TCP WebSocket, shared with the
//!   publisher of a chat member's room.

pub mod endpoints;
pub mod frame;
pub mod session;
pub mod socket;
pub mod stream;
pub mod subprotocol;
pub mod upgrade;
pub mod wire;

pub use socket::WebSocket;
