//! Chat rooms: the study note's group chat, over WebSockets.
//!
//! The split follows the two things that vary independently:
//! - [`bus`]: *where a room lives*. The [`RoomBus`] trait is all a session
//!   knows about rooms; [`local::LocalBus`] keeps them in this process, and a
//!   message-bus implementation can span several server instances.
//! - [`session`]: *one client's connection*: parsing its frames, forwarding
//!   room events to it, and closing it with the right code.

pub mod bus;
pub mod local;
pub mod nats;
pub mod route;
pub mod session;

pub use bus::{BusError, BusStats, Membership, RoomBus, RoomEvent, Seat};
pub use local::LocalBus;
pub use nats::NatsBus;
