//! The services a client can use: chat rooms, echo, the handshake
//! inspector and the relay to allow-listed TCP/UDP targets.

pub mod chat;
pub mod echo;
pub mod inspect;
pub mod keepalive;
pub mod limits;
pub mod relay;
pub mod session;
