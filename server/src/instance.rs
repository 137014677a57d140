//! This server instance's identity: its name and the address its clients
//! use, shown in `/api/info` and `welcome`, and carried in heartbeats to
//! the other instances that share rooms over NATS.

use serde::{Deserialize, Serialize};

/// This instance, as other instances and clients see it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct InstanceId {
    /// Unique per process.
    pub id: String,
    /// Where its clients connect (`IP:PORT`).
    pub listen: String,
}

/// A short random instance name, e.g. `sl-3f9a1c`.
pub fn random_id() -> String {
    format!("sl-{:06x}", rand::random::<u32>() & 0x00ff_ffff)
}
