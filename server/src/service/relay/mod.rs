//! The relay: a client's session on one side, a raw TCP or UDP socket (or a
//! Unix domain socket) on the other.
//!
//! This is the job websockify and wstunnel do, and the way around the
//! browser's rule that a page may not open network sockets. Targets are
//! named in the server's configuration ([`targets`]); a client chooses a
//! name, never an address.

pub mod access;
pub mod file;
pub mod live;
pub mod spec;
pub mod targets;
pub mod tcp;
pub mod udp;

pub use live::LiveTargets;
pub use spec::{SpecAddress, TargetList, TargetOptions, TargetSpec};
pub use targets::{RelayTarget, RelayTargets, TargetAddr};

use std::time::Duration;

/// Timeouts shared by TCP and UDP relays.
#[derive(Debug, Clone, Copy)]
pub struct RelayLimits {
    /// How long connecting to a TCP target may take.
    pub connect_timeout: Duration,
    /// How long a UDP relay may see no traffic before it is closed.
    pub udp_idle_timeout: Duration,
    /// How long a TCP relay may see no traffic before it is closed.
    pub tcp_idle_timeout: Duration,
}

/// What a relay session needs besides its WebSocket.
pub struct Relay {
    /// The target's name (for logs, metrics and close reasons).
    pub name: String,
    /// Where the target is.
    pub addr: TargetAddr,
    /// Tells the relay to stop.
    pub shutdown: crate::shutdown::Shutdown,
    /// Timeouts.
    pub limits: RelayLimits,
    /// How long one write to the client may take (`--send-timeout-secs`).
    pub send_timeout: Duration,
    /// Where to count bytes.
    pub metrics: crate::telemetry::Metrics,
    /// What a text frame from the client becomes (the target's `text=`).
    pub text: socketlab_shared::TextMode,
}
