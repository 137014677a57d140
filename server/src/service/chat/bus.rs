//! The room-bus interface: everything a chat session may ask of a room.
//!
//! A session joins a room and gets a [`Membership`]: the welcome snapshot
//! (history, the first page of members, the count: the same size in any
//! room), an [`Inbox`] of [`RoomEvent`]s bounded in bytes, and a [`Seat`]
//! to speak from. Leaving is dropping the seat, so a session that ends in
//! any way (close, error, panic, shutdown) always leaves its room.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use socketlab_shared::{ChatMessage, DisplayName, InstanceInfo, RoomName, ServerMessage};
use tokio_tungstenite::tungstenite::Utf8Bytes;

use super::fanout::Inbox;

/// Something that happened in a room, serialized once for all receivers.
///
/// Fan-out to N members clones two reference counts, never the JSON: the
/// frame is built once per event, not once per recipient.
#[derive(Debug, Clone)]
pub struct RoomEvent {
    /// The event, for consumers that render it themselves.
    pub message: Arc<ServerMessage>,
    /// The event as a ready-to-send JSON text frame.
    pub frame: Utf8Bytes,
    /// Whether a newer replaceable event makes this one useless when it is
    /// still unsent (a count-only `presence`).
    pub replaceable: bool,
}

impl RoomEvent {
    /// Serializes `message` once.
    pub fn new(message: ServerMessage) -> Self {
        let frame = Utf8Bytes::from(message.to_json());
        Self {
            message: Arc::new(message),
            frame,
            replaceable: false,
        }
    }

    /// Serializes `message` once, as an event a newer one may replace.
    pub fn replaceable(message: ServerMessage) -> Self {
        Self {
            replaceable: true,
            ..Self::new(message)
        }
    }
}

/// Limits of every room, whichever bus holds it.
#[derive(Debug, Clone, Copy)]
pub struct RoomLimits {
    /// Bytes of events a member may leave untaken before it is closed as
    /// too slow (`--chat-backlog-bytes`).
    pub backlog_bytes: usize,
    /// Rooms larger than this get count-only `presence`
    /// (`--chat-presence-names`).
    pub presence_names: usize,
}

impl Default for RoomLimits {
    fn default() -> Self {
        Self {
            backlog_bytes: 1 << 20,
            presence_names: 500,
        }
    }
}

/// One page of a room's member list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MembersPage {
    /// Up to `MEMBERS_PAGE` names, sorted.
    pub members: Vec<DisplayName>,
    /// The instance of each of them.
    pub instances: BTreeMap<DisplayName, String>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<DisplayName>,
    /// Members in the room.
    pub count: usize,
}

/// Why a room operation failed; the text is shown to the user.
#[derive(Debug, Clone, thiserror::Error)]
pub enum BusError {
    /// The server keeps too many rooms already.
    #[error("the server has too many rooms open; try an existing room or come back later")]
    TooManyRooms,
    /// The bus (e.g. a message broker) cannot be reached right now.
    #[error("the chat service is unavailable right now: {0}")]
    Unavailable(String),
}

/// Where rooms live. Chat sessions hold an `Arc<dyn RoomBus>` and never know
/// which implementation they were given.
#[async_trait]
pub trait RoomBus: Send + Sync + 'static {
    /// Enters `room` as `name` (or as a fresh `guest-N` when `None`). A name
    /// already present in the room gets a numeric suffix.
    async fn join(&self, room: RoomName, name: Option<DisplayName>)
        -> Result<Membership, BusError>;

    /// How many rooms and members this instance holds, for metrics.
    fn stats(&self) -> BusStats;

    /// Whether the bus can take new messages now (for `/readyz`).
    fn is_ready(&self) -> bool {
        true
    }

    /// Waits, for at most `within`, for the work members left behind when
    /// they went (freeing names on a shared bus), so that a shutdown does not
    /// cut it off. Called once the sessions have ended.
    async fn finish(&self, within: std::time::Duration) {
        let _ = within;
    }
}

/// Sizes reported by a bus, for `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BusStats {
    /// Rooms held.
    pub rooms: usize,
    /// Members connected through this instance.
    pub members: usize,
    /// Times a room's reader lost its feed from the bus and reopened it
    /// (or tried to), since start.
    pub reader_restarts: u64,
    /// Rooms whose feed could not be reopened in time, since start: their
    /// members were closed so that they reconnect.
    pub rooms_lost: u64,
}

/// A member's place in a room; dropping it leaves the room.
#[async_trait]
pub trait Seat: Send + Sync {
    /// Says `text` to the room. Returns once the bus has ordered the message;
    /// the sender then receives it as a [`RoomEvent`] like everyone else.
    async fn say(&self, text: String) -> Result<(), BusError>;

    /// The page of the room's members after `after` (from the first when
    /// `None`), as this instance knows them now.
    fn members(&self, after: Option<&DisplayName>) -> MembersPage;
}

/// The room as a newcomer found it: what its `welcome` tells it.
///
/// Sent once, then dropped ([`Membership::welcome`]). In a busy room it is
/// tens of kilobytes (50 messages, 100 names and the instance of each), so
/// a member that kept it for as long as it stayed would cost the server
/// more than twice what its connection does (about 27 KiB against 12).
#[derive(Debug, Default)]
pub struct Snapshot {
    /// The first page of those present at the moment of joining, sorted
    /// (`you` included, unless on a later page).
    pub members: Vec<DisplayName>,
    /// How many were present, `you` included.
    pub count: usize,
    /// The room's recent messages, oldest first.
    pub history: Vec<ChatMessage>,
    /// Which instance each member of `members` is connected to.
    pub member_instances: BTreeMap<DisplayName, String>,
}

/// What joining a room yields.
pub struct Membership {
    /// The name the member got (possibly suffixed).
    pub you: DisplayName,
    /// The room joined.
    pub room: RoomName,
    /// The room at the moment of joining, until the welcome takes it.
    pub snapshot: Snapshot,
    /// Everything that happens in the room after the snapshot above.
    /// Bounded in bytes: a member whose backlog passes the budget gets an
    /// overflow instead of more events.
    pub events: Inbox,
    /// Where to speak from; dropping it leaves the room.
    pub seat: Box<dyn Seat>,
}

impl Membership {
    /// The first frame a chat client receives; `instance` is the server
    /// instance the client is connected to. Takes the [`Snapshot`]: from
    /// here on the member holds only its inbox and its seat.
    pub fn welcome(&mut self, instance: &InstanceInfo) -> ServerMessage {
        let Snapshot {
            members,
            count,
            history,
            member_instances,
        } = std::mem::take(&mut self.snapshot);
        ServerMessage::Welcome {
            you: self.you.clone(),
            room: self.room.clone(),
            members,
            count: count as u64,
            history,
            instance: Some(instance.clone()),
            member_instances,
        }
    }
}
