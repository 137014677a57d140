//! Socketlab's server: the page, chat rooms, echo, the handshake inspector
//! and a relay to allow-listed TCP and UDP targets, from one binary.
//!
//! The binary (`main.rs`) is a thin shell around [`Server`]; integration
//! tests start the same [`Server`] on `127.0.0.1:0`.
//!
//! # The map
//! One service, many transports: what a client can *use* is written once,
//! how it is *framed* on the wire once per transport, and the plumbing
//! under both once.
//!
//! - [`service`]: chat rooms (`service::chat`, with the in-process and NATS
//!   room buses), echo, the inspector, the relay, written against the
//!   session interface of `service::session`; the limits they apply.
//! - `transport`: WebSocket (the handshake, and the session interface
//!   framed as WebSocket messages) and the nc door (framed as lines).
//! - `net`: accepting, TLS, the client's address, admission (connection
//!   caps, the `Origin` allow-list), byte counts, the send deadline.
//! - `routes`: every HTTP route, one module per endpoint; `problem`: every
//!   refusal, with a body that says what to do.
//! - `demo`: the built-in raw sockets (tcp-echo, udp-echo).
//! - [`server`]: the listener and graceful shutdown; `state`: what every
//!   handler shares, built from [`Config`].
//! - [`config`], [`logging`], [`shutdown`], [`instance`]: flags, log
//!   set-up, the shutdown signal, this instance's identity; `gate`: polling
//!   a source only after it woke.

pub mod config;
pub mod instance;
pub mod logging;
pub mod server;
pub mod service;
pub mod shutdown;

mod clock;
mod demo;
mod gate;
mod net;
mod problem;
mod routes;
mod state;
mod sync;
mod telemetry;
mod transport;

pub use config::Config;
pub use server::Server;
