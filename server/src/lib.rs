//! Socketlab's server: the page, chat rooms, echo and a handshake inspector,
//! over real WebSockets, from one binary.
//!
//! The binary (`main.rs`) is a thin shell around [`Server`]; integration
//! tests start the same [`Server`] on `127.0.0.1:0`.
//!
//! Module map:
//! - [`config`]: flags and their defaults.
//! - [`server`]: the listener, accept loop and graceful shutdown.
//! - [`routes`]: the warp filter tree; one module per endpoint
//!   ([`chat`], [`echo`], [`inspect`], [`assets`], [`info`]).
//! - [`upgrade`] and [`websocket`]: the WebSocket handshake and helpers every
//!   session shares.
//! - [`relay`]: WebSocket to allow-listed TCP/UDP targets.
//! - [`demo`]: built-in raw TCP/UDP sockets (echo, chat door).
//! - [`shutdown`]: one signal, fanned out to every connection task.

pub mod clock;
pub mod config;
pub mod config_file;
pub mod demo;
pub mod instance;
pub mod logging;
pub mod net;
pub mod routes;
pub mod server;
pub mod service;
pub mod shutdown;
pub mod state;
pub mod sync;
pub mod telemetry;
pub mod transport;

pub use config::Config;
pub use server::Server;
