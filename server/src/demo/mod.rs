//! Built-in raw sockets to experiment with: plain TCP and UDP servers that
//! a browser cannot talk to directly, but the relay (and `nc`) can.
//!
//! - [`tcp_echo`]: echoes bytes, and remembers what each client sent first,
//!   which shows that a browser pointed at a raw port sends HTTP.
//! - [`udp_echo`]: echoes datagrams through a simulated lossy network.
//!
//! The line-based chat door beside them is a transport of the chat service:
//! `transport/door.rs`.

pub mod tcp_echo;
pub mod udp_echo;
