//! The in-process room bus: rooms live in this server's memory.
//!
//! Each room is a small state (members, recent history, next `seq`, the
//! presence delta of this tick) behind a `std` mutex plus a [`Fanout`].
//! Events are sent while the room's lock is held, so every member sees one
//! order, and `seq` comes from the same critical section. The lock is never
//! held across an `.await`, which keeps it cheap.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use socketlab_shared::chat::HISTORY_LEN;
use socketlab_shared::{ChatMessage, DisplayName, RoomName, ServerMessage};

use crate::clock::now_ms;
use crate::sync::lock;

use super::bus::{
    BusError, BusStats, MembersPage, Membership, RoomBus, RoomEvent, RoomLimits, Seat, Snapshot,
};
use super::fanout::Fanout;
use super::roster::{self, Delta, TICK};

/// Limits of the in-process bus.
#[derive(Debug, Clone)]
pub struct LocalBusConfig {
    /// Each member's backlog budget and when presence drops the names.
    pub limits: RoomLimits,
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
    events: Fanout,
    /// This instance's id, every member's instance.
    instance: String,
    /// Rooms larger than this get count-only presence.
    presence_names: usize,
}

#[derive(Default)]
struct RoomState {
    members: BTreeSet<DisplayName>,
    history: VecDeque<ChatMessage>,
    next_seq: u64,
    /// Joins and leaves not yet announced.
    delta: Delta,
    /// Whether a tick will announce `delta`.
    tick_due: bool,
}

impl Room {
    /// Records a join or leave for the next tick, starting one if none is
    /// due. Called with the state locked.
    fn touch(self: &Arc<Self>, state: &mut RoomState) {
        if state.tick_due {
            return;
        }
        state.tick_due = true;
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let room = Arc::downgrade(self);
                runtime.spawn(async move {
                    tokio::time::sleep(TICK).await;
                    if let Some(room) = room.upgrade() {
                        room.tick();
                    }
                });
            }
            // No runtime to wait on (a drop outside one): announce at the
            // next join or leave instead of never.
            Err(_) => state.tick_due = false,
        }
    }

    /// Announces this tick's joins and leaves, once, to every member.
    fn tick(&self) {
        let mut state = lock(&self.state);
        state.tick_due = false;
        if state.delta.is_empty() {
            return;
        }
        let here = |_: &DisplayName| Some(self.instance.clone());
        let event = state
            .delta
            .take()
            .event(state.members.len(), self.presence_names, here);
        let sending = self.events.queue(&event);
        drop(state);
        sending.deliver();
    }
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
        let limits = self.inner.config.limits;
        let room = Arc::new(Room {
            name: name.clone(),
            state: Mutex::new(RoomState {
                next_seq: 1,
                ..RoomState::default()
            }),
            events: Fanout::new(limits.backlog_bytes),
            instance: self.inner.config.instance.clone(),
            presence_names: limits.presence_names,
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
        // Under the lock: the newcomer's snapshot and its subscription are
        // one instant, so it misses nothing after the snapshot.
        state.members.insert(you.clone());
        state.delta.join(you.clone());
        room.touch(&mut state);
        let events = room.events.subscribe();
        let first = first_page(&room, &state);
        let membership = Membership {
            you: you.clone(),
            room: room_name,
            snapshot: Snapshot {
                members: first.members,
                count: first.count,
                member_instances: first.instances,
                history: state.history.iter().cloned().collect(),
            },
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
            ..BusStats::default()
        }
    }
}

/// The page of `room`'s members after `after`.
fn members_after(room: &Room, state: &RoomState, after: Option<&DisplayName>) -> MembersPage {
    roster::page(
        state
            .members
            .range::<DisplayName, _>(roster::after(after))
            .map(|name| (name, room.instance.as_str())),
        state.members.len(),
    )
}

fn first_page(room: &Room, state: &RoomState) -> MembersPage {
    members_after(room, state, None)
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
        let sending = self
            .room
            .events
            .queue(&RoomEvent::new(ServerMessage::Message(message)));
        drop(state);
        sending.deliver();
        Ok(())
    }

    fn members(&self, after: Option<&DisplayName>) -> MembersPage {
        members_after(&self.room, &lock(&self.room.state), after)
    }
}

impl Drop for LocalSeat {
    fn drop(&mut self) {
        let mut state = lock(&self.room.state);
        if state.members.remove(&self.name) {
            state.delta.leave(self.name.clone());
            self.room.touch(&mut state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_room_being_joined_is_not_evicted() {
        let bus = LocalBus::new(LocalBusConfig {
            limits: RoomLimits::default(),
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
