//! Transports: how a client's messages are framed on the wire. A transport
//! only frames; the services behind it do the rest.
//!
//! - [`websocket`]: HTTP/1.1 upgraded to WebSocket, for browsers and
//!   WebSocket libraries.
//! - [`door`]: the nc door, a line-based TCP socket into the chat rooms.
//! - [`webtransport`]: HTTP/3 WebTransport on UDP: datagrams and streams.

pub mod door;
pub mod websocket;
pub mod webtransport;
