//! One room as seen from this instance: its recent history, its members
//! (local and on other instances), and the tasks that keep it up to date.
//!
//! An instance reads a room only while it has members there: the first
//! local join opens it (one reader, however many join at once), and the
//! last local leave retires it (see `NatsSeat`'s `Drop`).
//!
//! Presence is coalesced per tick (see `roster`): local joins and leaves
//! go out to the other instances as one message per room per tick (split
//! to stay under the server's `max_payload`), and what arrives from them is
//! merged into the same tick for the local members. The member list is read
//! from the members bucket once, when the room is opened, and kept up to
//! date from then on, so a join costs the same in any room.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use socketlab_shared::chat::HISTORY_LEN;
use socketlab_shared::{ChatMessage, DisplayName, RoomName, ServerMessage};
use tokio::sync::{oneshot, Notify};
use tokio::task::AbortHandle;

use crate::service::chat::bus::MembersPage;
use crate::service::chat::fanout::Fanout;
use crate::service::chat::roster::{self, Delta, TICK};
use crate::sync::lock;

use super::reader::Reader;
use super::resync::TickSeqs;
use super::wire::{PresenceTick, Said, PRESENCE_SUBJECT};
use super::{BusError, Inner, RoomEvent, PUBLISH_TIMEOUT};

/// One room as seen from this instance.
pub(super) struct Room {
    pub(super) name: RoomName,
    pub(super) events: Fanout,
    pub(super) state: Mutex<RoomState>,
    /// Wakes the room's ticker: something is waiting to be announced.
    pub(super) tick: Notify,
    /// This instance's id.
    me: String,
    /// Rooms larger than this get count-only presence.
    presence_names: usize,
    client: async_nats::Client,
    /// The reader and the presence watcher.
    pub(super) tasks: Mutex<Vec<AbortHandle>>,
    /// The ticker, which outlives a retired room by one last tick.
    ticker: Mutex<Option<AbortHandle>>,
    /// Set when the last local member left: the ticker announces what is
    /// pending, then ends.
    retired: AtomicBool,
    /// Presence messages sent to the other instances about this room.
    ticks_sent: AtomicU64,
    /// Set when the reader gave the room up: its members are being closed,
    /// and nobody may join it (a join waits for a fresh room instead).
    pub(super) lost: AtomicBool,
}

#[derive(Default)]
pub(super) struct RoomState {
    pub(super) history: VecDeque<ChatMessage>,
    /// Members connected through this instance.
    pub(super) local: BTreeSet<DisplayName>,
    /// Every member, on any instance, with its instance id.
    pub(super) members: BTreeMap<DisplayName, String>,
    /// Joins and leaves (anywhere) not yet announced to local members.
    pub(super) delta: Delta,
    /// Local joins and leaves not yet told to the other instances.
    pub(super) outgoing: Delta,
    /// The last presence message heard from each other instance.
    pub(super) heard: TickSeqs,
}

impl RoomState {
    /// A member joined on `instance` (this one when `outgoing`).
    pub(super) fn joined(&mut self, name: DisplayName, instance: &str, outgoing: bool) {
        self.members.insert(name.clone(), instance.to_owned());
        if outgoing {
            self.outgoing.join(name.clone());
        }
        self.delta.join(name);
    }

    /// A member of `instance` left; nothing if the name is (now) someone
    /// else's.
    pub(super) fn left(&mut self, name: &DisplayName, instance: &str, outgoing: bool) {
        if self.members.get(name).map(String::as_str) != Some(instance) {
            return;
        }
        self.members.remove(name);
        if outgoing {
            self.outgoing.leave(name.clone());
        }
        self.delta.leave(name.clone());
    }
}

impl Room {
    /// The page of members after `after`.
    pub(super) fn members(&self, after: Option<&DisplayName>) -> MembersPage {
        let state = lock(&self.state);
        roster::page(
            state
                .members
                .range::<DisplayName, _>(roster::after(after))
                .map(|(name, instance)| (name, instance.as_str())),
            state.members.len(),
        )
    }

    /// Announces this tick: one `presence` to the local members, and the
    /// local joins and leaves to the other instances.
    pub(super) async fn flush(&self) {
        let (sending, outgoing) = {
            let mut state = lock(&self.state);
            let sending = (!state.delta.is_empty()).then(|| {
                let delta = state.delta.take();
                let event = delta.event(state.members.len(), self.presence_names, |name| {
                    state.members.get(name).cloned()
                });
                self.events.queue(&event)
            });
            (sending, state.outgoing.take())
        };
        if let Some(sending) = sending {
            sending.deliver();
        }
        if outgoing.is_empty() {
            return;
        }
        let subject = format!("{PRESENCE_SUBJECT}.{}", self.name);
        // Well under the server's limit: a tick of a join storm names
        // thousands, and one message over `max_payload` is refused whole.
        let limit = (self.client.server_info().max_payload / 2).max(512);
        for mut tick in PresenceTick::split(&self.me, outgoing, limit) {
            // Numbered even when the publish fails: the others notice the
            // gap and re-read the members.
            tick.seq = self.ticks_sent.fetch_add(1, Ordering::Relaxed) + 1;
            if let Ok(payload) = serde_json::to_vec(&tick) {
                let publish = self.client.publish(subject.clone(), payload.into());
                if let Err(err) = publish.await {
                    tracing::warn!(room = %self.name, "presence not sent to the other instances: {err}");
                }
            }
        }
    }

    /// Gives the local members message `seq` of the stream.
    pub(super) fn deliver(&self, seq: u64, said: Said) {
        let chat = ChatMessage {
            room: self.name.clone(),
            from: said.from,
            text: said.text,
            seq,
            ts_ms: said.ts_ms,
        };
        let mut state = lock(&self.state);
        if state.history.len() == HISTORY_LEN {
            state.history.pop_front();
        }
        state.history.push_back(chat.clone());
        let sending = self
            .events
            .queue(&RoomEvent::new(ServerMessage::Message(chat)));
        drop(state);
        sending.deliver();
    }

    /// Stops the room's tasks at once (the bus is closing).
    pub(super) fn stop(&self) {
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
        if let Some(ticker) = lock(&self.ticker).take() {
            ticker.abort();
        }
    }

    /// Stops reading the room (its last local member left). The ticker
    /// still sends the last tick: aborting it mid-publish would lose the
    /// leaves it had taken.
    pub(super) fn retire(&self) {
        for task in lock(&self.tasks).drain(..) {
            task.abort();
        }
        self.retired.store(true, Ordering::Release);
        self.tick.notify_one();
    }
}

impl Inner {
    /// The room, subscribed and caught up with its history. Concurrent
    /// first joins of one room wait for a single setup.
    pub(super) async fn room(self: &Arc<Self>, name: &RoomName) -> Result<Arc<Room>, BusError> {
        if let Some(room) = lock(&self.rooms).get(name) {
            return Ok(room.clone());
        }
        let gate = lock(&self.creating)
            .entry(name.clone())
            .or_default()
            .clone();
        let result = {
            let _setting_up = gate.lock().await;
            let ready = lock(&self.rooms).get(name).cloned();
            match ready {
                Some(room) => Ok(room),
                None => self.open_room(name).await,
            }
        };
        let mut creating = lock(&self.creating);
        // Forget the gate unless another join still holds or awaits it (the
        // map's clone and ours are the only ones left then).
        if creating
            .get(name)
            .is_some_and(|g| Arc::ptr_eq(g, &gate) && Arc::strong_count(&gate) == 2)
        {
            creating.remove(name);
        }
        result
    }

    /// Subscribes to a room this instance does not read yet.
    async fn open_room(self: &Arc<Self>, name: &RoomName) -> Result<Arc<Room>, BusError> {
        if lock(&self.rooms).len() >= self.max_rooms {
            return Err(BusError::TooManyRooms);
        }
        let room = Arc::new(Room {
            name: name.clone(),
            events: Fanout::new(self.limits.backlog_bytes),
            state: Mutex::new(RoomState::default()),
            tick: Notify::new(),
            me: self.me.id.clone(),
            presence_names: self.limits.presence_names,
            client: self.client.clone(),
            tasks: Mutex::new(Vec::new()),
            ticker: Mutex::new(None),
            retired: AtomicBool::new(false),
            lost: AtomicBool::new(false),
            ticks_sent: AtomicU64::new(0),
        });
        let opened = self.start_room(&room).await;
        if let Err(err) = opened {
            room.stop();
            return Err(err);
        }
        let mut rooms = lock(&self.rooms);
        // Another join may have won the race; keep the first room.
        if let Some(existing) = rooms.get(name) {
            room.stop();
            return Ok(existing.clone());
        }
        rooms.insert(name.clone(), room.clone());
        Ok(room)
    }

    /// Starts `room`'s reader, presence watcher and ticker, and reads its
    /// history and members.
    async fn start_room(self: &Arc<Self>, room: &Arc<Room>) -> Result<(), BusError> {
        let name = &room.name;
        // Presence first, then the member list: a change made meanwhile is
        // in one or the other (applying it twice is harmless).
        let watcher = self.watch_presence(room).await?;
        lock(&room.tasks).push(watcher.abort_handle());
        // Tracked with the members' cleanup work, so that a shutdown waits
        // for the last tick (the leaves) to reach the other instances.
        let ticker = {
            let room = room.clone();
            self.cleanups.spawn(async move {
                loop {
                    room.tick.notified().await;
                    tokio::time::sleep(TICK).await;
                    room.flush().await;
                    if room.retired.load(Ordering::Acquire) {
                        return;
                    }
                }
            })
        };
        *lock(&room.ticker) = Some(ticker.abort_handle());

        // History first, then live: one consumer from the start of what the
        // stream keeps for this room, reopened by the reader when it lapses.
        self.counts.room_readers.fetch_add(1, Ordering::Relaxed);
        let reader = Reader::new(self, room);
        let feed = tokio::time::timeout(PUBLISH_TIMEOUT, reader.open())
            .await
            .map_err(|_| {
                BusError::Unavailable(
                    "JetStream did not open a reader for the room in time".to_owned(),
                )
            })??;
        let (caught_up, is_caught_up) = oneshot::channel();
        let reader = tokio::spawn(reader.run(feed, Some(caught_up)));
        lock(&room.tasks).push(reader.abort_handle());

        let members = self.members_of(name).await?;
        lock(&room.state).members.extend(members);

        if tokio::time::timeout(PUBLISH_TIMEOUT, is_caught_up)
            .await
            .is_err()
        {
            return Err(BusError::Unavailable(
                "reading the room's history timed out".to_owned(),
            ));
        }
        Ok(())
    }
}
