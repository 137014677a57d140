//! Chat rooms: the study note's group chat, over WebSockets.
//!
//! The split follows the two things that vary independently:
//! - [`bus`]: *where a room lives*. The [`RoomBus`] trait is all a session
//!   knows about rooms; [`local::LocalBus`] keeps them in this process, and a
//!   message-bus implementation can span several server instances.
//! - [`session`]: *one member's session*, over any transport: its limits,
//!   forwarding room events to it, and closing it with the right code.

pub mod bus;
pub mod local;
pub mod nats;
pub mod session;

pub use bus::{BusError, BusStats, Membership, RoomBus, RoomEvent, Seat};
pub use local::LocalBus;
pub use nats::NatsBus;

/// Why a client could not join.
#[derive(Debug, thiserror::Error)]
pub enum JoinError {
    /// The room or the name is not acceptable; the text says why.
    #[error("{0}")]
    BadName(String),
    /// The bus refused or is unreachable.
    #[error(transparent)]
    Bus(#[from] BusError),
}

/// Joins `room` (the lobby when `None`) as `name` (a guest name when
/// `None` or empty), validating both as the page does.
pub async fn join(
    bus: &dyn RoomBus,
    room: Option<&str>,
    name: Option<&str>,
) -> Result<Membership, JoinError> {
    let bad = |e: socketlab_shared::NameError| JoinError::BadName(e.to_string());
    let room = match room {
        None => socketlab_shared::RoomName::lobby(),
        Some(raw) => socketlab_shared::RoomName::parse(raw).map_err(bad)?,
    };
    let name = match name {
        None | Some("") => None,
        Some(raw) => Some(socketlab_shared::DisplayName::parse(raw).map_err(bad)?),
    };
    Ok(bus.join(room, name).await?)
}
