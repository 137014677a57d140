//! One room as seen from this instance: its recent history, its local
//! members, and the tasks that keep it up to date.
//!
//! An instance reads a room only while it has members there: the first
//! local join opens it (one reader, however many join at once), and the
//! last local leave retires it (see `NatsSeat`'s `Drop`).

use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use async_nats::jetstream::consumer;
use futures_util::StreamExt;
use socketlab_shared::chat::HISTORY_LEN;
use socketlab_shared::{ChatMessage, DisplayName, RoomName, ServerMessage};
use tokio::sync::{broadcast, oneshot};
use tokio::task::AbortHandle;

use crate::sync::lock;

use super::wire::{Said, CHAT_SUBJECT};
use super::{unavailable, BusError, Inner, RoomEvent, PUBLISH_TIMEOUT};

/// One room as seen from this instance.
pub(super) struct Room {
    pub(super) name: RoomName,
    pub(super) events: broadcast::Sender<RoomEvent>,
    /// Shared with the room's reader task (which holds it weakly).
    pub(super) state: Arc<Mutex<RoomState>>,
    pub(super) tasks: Vec<AbortHandle>,
}

#[derive(Default)]
pub(super) struct RoomState {
    pub(super) history: VecDeque<ChatMessage>,
    /// Members connected through this instance.
    pub(super) local: BTreeSet<DisplayName>,
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
        let (events, _) = broadcast::channel(self.queue);
        let state = Arc::new(Mutex::new(RoomState::default()));

        // History first, then live: one ordered consumer from the start of
        // what the stream keeps for this room.
        self.counts.room_readers.fetch_add(1, Ordering::Relaxed);
        let consumer = self
            .chat_stream
            .create_consumer(consumer::push::OrderedConfig {
                deliver_subject: self.client.new_inbox(),
                filter_subject: format!("{CHAT_SUBJECT}.{name}"),
                deliver_policy: consumer::DeliverPolicy::All,
                ..Default::default()
            })
            .await
            .map_err(unavailable)?;
        let pending = consumer.cached_info().num_pending;
        let mut messages = consumer.messages().await.map_err(unavailable)?;
        let (caught_up, is_caught_up) = oneshot::channel();
        let mut caught_up = if pending == 0 {
            let _ = caught_up.send(());
            None
        } else {
            Some(caught_up)
        };
        let reader = {
            let events = events.clone();
            let room_name = name.clone();
            let state = Arc::downgrade(&state);
            tokio::spawn(async move {
                while let Some(message) = messages.next().await {
                    let Ok(message) = message else {
                        // The ordered consumer recreates itself after
                        // outages; errors here are transient.
                        continue;
                    };
                    let Ok(info) = message.info() else { continue };
                    let (seq, left) = (info.stream_sequence, info.pending);
                    if let Ok(said) = serde_json::from_slice::<Said>(&message.payload) {
                        let chat = ChatMessage {
                            room: room_name.clone(),
                            from: said.from,
                            text: said.text,
                            seq,
                            ts_ms: said.ts_ms,
                        };
                        let Some(state) = state.upgrade() else { return };
                        let mut state = lock(&state);
                        if state.history.len() == HISTORY_LEN {
                            state.history.pop_front();
                        }
                        state.history.push_back(chat.clone());
                        let _ = events.send(RoomEvent::new(ServerMessage::Message(chat)));
                    }
                    if left == 0 {
                        if let Some(signal) = caught_up.take() {
                            let _ = signal.send(());
                        }
                    }
                }
            })
        };

        // Presence of members on other instances.
        let watcher = self.watch_presence(name, events.clone()).await?;

        if tokio::time::timeout(PUBLISH_TIMEOUT, is_caught_up)
            .await
            .is_err()
        {
            reader.abort();
            watcher.abort();
            return Err(BusError::Unavailable(
                "reading the room's history timed out".to_owned(),
            ));
        }
        let room = Arc::new(Room {
            name: name.clone(),
            events,
            state,
            tasks: vec![reader.abort_handle(), watcher.abort_handle()],
        });
        let mut rooms = lock(&self.rooms);
        // Another join may have won the race; keep the first room.
        if let Some(existing) = rooms.get(name) {
            for task in &room.tasks {
                task.abort();
            }
            return Ok(existing.clone());
        }
        rooms.insert(name.clone(), room.clone());
        Ok(room)
    }
}
