//! Chat rooms: the study note's group chat, over WebSockets.
//!
//! The split follows the two things that vary independently:
//! - [`bus`]: *where a room lives*. The [`RoomBus`] trait is all a session
//!   knows about rooms; [`local::LocalBus`] keeps them in this process, and a
//!   message-bus implementation can span several server instances.
//! - [`session`]: *one member's session*, over any transport: its limits,
//!   forwarding room events to it, and closing it with the right code.
//! - [`fanout`] and [`roster`]: what both buses share: each member's
//!   backlog, bounded in bytes, and presence coalesced per tick.

pub mod bus;
pub mod fanout;
pub mod local;
pub mod nats;
pub mod roster;
pub mod session;

pub use bus::{
    BusError, BusStats, MembersPage, Membership, RoomBus, RoomEvent, RoomLimits, Seat, Snapshot,
};
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

/// Where a client asked to be: the room and the name, validated as the page
/// validates them, before anyone is told about it.
#[derive(Debug, Clone)]
pub struct Wanted {
    /// The room (the lobby when the client named none).
    pub room: socketlab_shared::RoomName,
    /// The name, or `None` for a fresh guest name.
    pub name: Option<socketlab_shared::DisplayName>,
}

/// Validates `room` (the lobby when `None`) and `name` (a guest name when
/// `None` or empty). Joining is a separate step ([`join`]) so that a
/// transport can refuse bad names before it commits to a connection, and
/// join only once the connection is open: a member that is announced must
/// be able to hear what follows.
pub fn wanted(room: Option<&str>, name: Option<&str>) -> Result<Wanted, JoinError> {
    let bad = |e: socketlab_shared::NameError| JoinError::BadName(e.to_string());
    let room = match room {
        None => socketlab_shared::RoomName::lobby(),
        Some(raw) => socketlab_shared::RoomName::parse(raw).map_err(bad)?,
    };
    let name = match name {
        None | Some("") => None,
        Some(raw) => Some(socketlab_shared::DisplayName::parse(raw).map_err(bad)?),
    };
    Ok(Wanted { room, name })
}

/// Joins the room a client asked for.
pub async fn join(bus: &dyn RoomBus, wanted: Wanted) -> Result<Membership, JoinError> {
    Ok(bus.join(wanted.room, wanted.name).await?)
}
