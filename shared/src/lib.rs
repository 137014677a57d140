//! The Socketlab wire protocol, shared by the server and the web page.
//!
//! Both sides compile this crate (natively and for `wasm32-unknown-unknown`),
//! so a message type exists exactly once: if the server changes a field, the
//! page stops compiling instead of silently misreading a frame. Everything a
//! peer sends is treated as hostile until one of the `parse` functions here
//! has accepted it; they never panic, whatever the input.
//!
//! The format itself is documented, with examples, in `docs/PROTOCOL.md`.

pub mod chat;
pub mod close;
pub mod endpoints;
pub mod handshake;
pub mod info;
pub mod json;
pub mod names;
pub mod relay;

pub use chat::{ChatMessage, ClientMessage, ErrorCode, ProtocolError, ServerMessage};
pub use handshake::{accept_key_for, HandshakeReport, HttpRequestHead, HttpResponseHead};
pub use info::{EndpointInfo, InstanceInfo, RelayTargetInfo, ServerInfo, WebTransportInfo};
pub use json::JsonError;
pub use names::{DisplayName, NameError, RoomName};
pub use relay::{Impairment, PercentImpairment, TargetKind, TcpCapture, TextMode};
