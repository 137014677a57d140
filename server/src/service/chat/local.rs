//! The in-process room bus: rooms live in this server's memory.
//!
//! Each room is a small state (members, recent history, next `seq`) behind a
//! `std` mutex plus a `tokio::sync::broadcast` channel. Events are sent while
//! the room's lock is held, so every member sees one order, and `seq` comes
//! from the same critical section. The lock is never held across an
//! `.await`, which keeps it cheap.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use socketlab_shared::chat::HISTORY_LEN;
use socketlab_shared::{ChatMessage, DisplayName, RoomName, ServerMessage};
use tokio::sync::broadcast;

use crate::clock::now_ms;
use crate::sync::lock;

use super::bus::{BusError, BusStats, Membership, RoomBus, RoomEvent, Seat};

/// Limits of the in-process bus.
#[derive(Debug, Clone)]
pub struct LocalBusConfig {
    /// Events buffered per member before it is "lagging" (the channel size).
    pub queue: usize,
    /// Most rooms kept; empty rooms are evicted to make space.
    pub max_rooms: usize,
    /// This instance's id, reported as every member's instance.
    pub instance: String,
}

/// Rooms kept in this process. Cheap to clone: clones share the rooms.
#[derive(Clone)]
pub struct LocalBus {
    inner: Arc<Inner>,
}

struct Inner {
    config: LocalBusConfig,
    rooms: Mutex<HashMap<RoomName, Arc<Room>>>,
    guests: AtomicU64,
}

struct Room {
    name: RoomName,
    state: Mutex<RoomState>,
    events: broadcast::Sender<RoomEvent>,
}

#[derive(Default)]
struct RoomState {
    members: BTreeSet<DisplayName>,
    history: VecDeque<ChatMessage>,
    next_seq: u64,
}

impl LocalBus {
    /// An empty bus.
    pub fn new(config: LocalBusConfig) -> Self {
        Self {
            inner: Arc::new(Inner {
                config,
                rooms: Mutex::new(HashMap::new()),
                guests: AtomicU64::new(1),
            }),
        }
    }

    /// The room called `name`, created if needed (evicting an empty room
    /// when the cap is reached).
    fn room(&self, name: &RoomName) -> Result<Arc<Room>, BusError> {
        let mut rooms = lock(&self.inner.rooms);
        if let Some(room) = rooms.get(name) {
            return Ok(room.clone());
        }
        if rooms.len() >= self.inner.config.max_rooms {
            // Only a room nobody holds: a joiner that has looked a room up
            // holds it until it is in, and evicting the room under it would
            // split one room name into two rooms.
            let empty = rooms
                .iter()
                .find(|(_, room)| {
                    Arc::strong_count(room) == 1 && lock(&room.state).members.is_empty()
                })
                .map(|(name, _)| name.clone());
            match empty {
                Some(empty) => {
                    rooms.remove(&empty);
                }
                None => return Err(BusError::TooManyRooms),
            }
        }
        let (events, _) = broadcast::channel(self.inner.config.queue);
        let room = Arc::new(Room {
            name: name.clone(),
            state: Mutex::new(RoomState {
                next_seq: 1,
                ..RoomState::default()
            }),
            events,
        });
        rooms.insert(name.clone(), room.clone());
        Ok(room)
    }
}

#[async_trait]
impl RoomBus for LocalBus {
    async fn join(
        &self,
        room_name: RoomName,
        name: Option<DisplayName>,
    ) -> Result<Membership, BusError> {
        let room = self.room(&room_name)?;
        let mut state = lock(&room.state);
        let wanted = name.unwrap_or_else(|| {
            DisplayName::guest(self.inner.guests.fetch_add(1, Ordering::Relaxed))
        });
        let you = unique_name(&wanted, &state.members);
        // Announce before subscribing, under the lock: the newcomer gets the
        // snapshot instead of its own `joined`, and misses nothing after it.
        let _ = room.events.send(RoomEvent::new(ServerMessage::Joined {
            name: you.clone(),
            instance: Some(self.inner.config.instance.clone()),
        }));
        state.members.insert(you.clone());
        let events = room.events.subscribe();
        let membership = Membership {
            you: you.clone(),
            room: room_name,
            members: state.members.iter().cloned().collect(),
            member_instances: state
                .members
                .iter()
                .map(|m| (m.clone(), self.inner.config.instance.clone()))
                .collect(),
            history: state.history.iter().cloned().collect(),
            events,
            seat: Box::new(LocalSeat {
                room: room.clone(),
                name: you,
            }),
        };
        drop(state);
        Ok(membership)
    }

    fn stats(&self) -> BusStats {
        let rooms = lock(&self.inner.rooms);
        BusStats {
            rooms: rooms.len(),
            members: rooms.values().map(|r| lock(&r.state).members.len()).sum(),
        }
    }
}

/// `wanted`, or `wanted-2`, `wanted-3`, ... whichever is free first.
fn unique_name(wanted: &DisplayName, taken: &BTreeSet<DisplayName>) -> DisplayName {
    if !taken.contains(wanted) {
        return wanted.clone();
    }
    (2..)
        .map(|n| wanted.with_suffix(n))
        .find(|candidate| !taken.contains(candidate))
        .unwrap_or_else(|| wanted.clone())
}

struct LocalSeat {
    room: Arc<Room>,
    name: DisplayName,
}

#[async_trait]
impl Seat for LocalSeat {
    async fn say(&self, text: String) -> Result<(), BusError> {
        let mut state = lock(&self.room.state);
        let message = ChatMessage {
            room: self.room.name.clone(),
            from: self.name.clone(),
            text,
            seq: state.next_seq,
            ts_ms: now_ms(),
        };
        state.next_seq += 1;
        if state.history.len() == HISTORY_LEN {
            state.history.pop_front();
        }
        state.history.push_back(message.clone());
        let _ = self
            .room
            .events
            .send(RoomEvent::new(ServerMessage::Message(message)));
        Ok(())
    }
}

impl Drop for LocalSeat {
    fn drop(&mut self) {
        let mut state = lock(&self.room.state);
        if state.members.remove(&self.name) {
            let _ = self.room.events.send(RoomEvent::new(ServerMessage::Left {
                name: self.name.clone(),
            }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_being_joined_is_not_evicted() {
        let bus = LocalBus::new(LocalBusConfig {
            queue: 8,
            max_rooms: 1,
            instance: "test".to_owned(),
        });
        let a = RoomName::parse("a").unwrap();
        let b = RoomName::parse("b").unwrap();
        // A joiner has looked `a` up and not yet entered it.
        let held = bus.room(&a).unwrap();
        assert!(matches!(bus.room(&b), Err(BusError::TooManyRooms)));
        drop(held);
        // Nobody holds `a` now: it makes room for `b`.
        assert!(bus.room(&b).is_ok());
    }
}
