//! WebTransport (HTTP/3 over QUIC, on UDP): the third door, beside
//! WebSocket and the nc door, and the closest a web page gets to a UDP
//! socket.
//!
//! - [`listener`]: the QUIC endpoint, its accept loop and connection caps.
//! - [`certificate`]: the certificate (generated and rotated, or the
//!   `--tls-cert` files) and the hash `/api/info` publishes.
//! - [`endpoints`]: `/wt/echo`, `/wt/relay/{name}`: checks and services.
//! - [`session`]: a session as the services see it, framed as datagrams
//!   (UDP-like) or as one bidirectional stream (TCP-like).

pub mod certificate;
pub mod endpoints;
pub mod listener;
pub mod session;

pub use listener::{CertSource, Listener};
