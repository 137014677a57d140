//! WebSocket (RFC 6455) over HTTP/1.1: the handshake and the helpers every
//! WebSocket session shares.
//!
//! - [`upgrade`]: the opening handshake, done here to record it for the
//!   inspector and to set limits per endpoint.
//! - [`socket`]: the stream type, sending, closing politely, batching reads.
//! - [`keepalive`]: pinging quiet clients, giving up on silent ones.

pub mod keepalive;
pub mod socket;
pub mod upgrade;

pub use keepalive::{KeepAlive, KeepAliveAction, KeepAliveConfig};
pub use socket::{
    already_received, close, close_after_error, send, ReadGate, SendError, WebSocket,
};
