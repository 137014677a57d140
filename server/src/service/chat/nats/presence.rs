//! Presence: who is in a room on other instances, and noticing when an
//! instance is gone.
//!
//! Joins and leaves travel on core subjects (`socketlab.presence.<room>`),
//! one message per room per instance per tick, not on the stream: they only
//! matter to members connected right now, and an instance reads a room's
//! member list from the members bucket when it opens the room. Each
//! instance also heartbeats on `socketlab.instances`; an instance that falls
//! silent for [`PEER_TIMEOUT`] (crashed, SIGKILL) has its names freed, and
//! each instance that notices tells its own members that they `left`.
//!
//! A dead instance's members are found in the member records it owns (each
//! record names its instance), not in what its heartbeats said: a member
//! that joined less than a heartbeat before the crash is in no heartbeat.
//! And an instance is known as a peer from the first sign of it — a
//! heartbeat, a `joined` it announced, or a member record naming it — so
//! one that crashed before this instance heard a single heartbeat from it
//! is noticed too: from then on it has [`PEER_TIMEOUT`] to be heard.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use socketlab_shared::RoomName;
use tokio::task::JoinHandle;

use crate::sync::lock;

use super::resync::TickOrder;
use super::room::Room;
use super::wire::{Heartbeat, PresenceTick, INSTANCES_SUBJECT, MEMBERS_BUCKET, PRESENCE_SUBJECT};
use super::{unavailable, BusError, Inner, NatsBus};

/// How often an instance says it is alive.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(3);
/// Silence after which an instance counts as dead.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(10);
/// How often dead instances are looked for.
pub const REAP_EVERY: Duration = Duration::from_secs(2);

/// How long a search of the whole members bucket for a dead instance's
/// records may take.
const REAP_SCAN_TIMEOUT: Duration = Duration::from_secs(30);

/// Another instance, known from its heartbeats or any other sign of it.
pub(super) struct Peer {
    /// When it was last heard from (or first heard of).
    last_seen: Instant,
}

impl NatsBus {
    /// Starts listening to other instances' heartbeats, sending this one's
    /// every [`HEARTBEAT_EVERY`], and looking for silent instances every
    /// [`REAP_EVERY`].
    pub(super) async fn start_heartbeats(&self) -> anyhow::Result<()> {
        let mut beats = self.inner.client.subscribe(INSTANCES_SUBJECT).await?;
        let listener = {
            let inner = Arc::downgrade(&self.inner);
            tokio::spawn(async move {
                while let Some(message) = beats.next().await {
                    let Some(inner) = inner.upgrade() else { return };
                    let Ok(beat) = serde_json::from_slice::<Heartbeat>(&message.payload) else {
                        continue;
                    };
                    if beat.instance.id != inner.me.id {
                        inner
                            .counts
                            .heartbeats_heard
                            .fetch_add(1, Ordering::Relaxed);
                        lock(&inner.peers).insert(
                            beat.instance.id,
                            Peer {
                                last_seen: Instant::now(),
                            },
                        );
                    }
                }
            })
        };
        let sender = {
            let inner = Arc::downgrade(&self.inner);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(HEARTBEAT_EVERY);
                loop {
                    tick.tick().await;
                    let Some(inner) = inner.upgrade() else { return };
                    let beat = Heartbeat {
                        instance: inner.me.clone(),
                        members: Vec::new(),
                    };
                    if let Ok(payload) = serde_json::to_vec(&beat) {
                        let _ = inner
                            .client
                            .publish(INSTANCES_SUBJECT, payload.into())
                            .await;
                    }
                }
            })
        };
        let reaper = {
            let inner = Arc::downgrade(&self.inner);
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(REAP_EVERY);
                loop {
                    tick.tick().await;
                    let Some(inner) = inner.upgrade() else { return };
                    inner.reap_dead_peers().await;
                }
            })
        };
        lock(&self.inner.tasks).extend([
            listener.abort_handle(),
            sender.abort_handle(),
            reaper.abort_handle(),
        ]);
        Ok(())
    }
}

impl Inner {
    /// Notes that instance `id` exists (a member record or a presence
    /// announcement names it). Unlike a heartbeat this does not prove it
    /// alive, so a peer already known keeps its last heartbeat's time; a new
    /// one has [`PEER_TIMEOUT`] from now to be heard.
    pub(super) fn note_peer(&self, id: &str) {
        if id == self.me.id {
            return;
        }
        let mut peers = lock(&self.peers);
        if !peers.contains_key(id) {
            peers.insert(
                id.to_owned(),
                Peer {
                    last_seen: Instant::now(),
                },
            );
        }
    }

    /// Merges other instances' joins and leaves in `room` into the room's
    /// members and its next tick.
    pub(super) async fn watch_presence(
        self: &Arc<Self>,
        room: &Arc<Room>,
    ) -> Result<JoinHandle<()>, BusError> {
        let mut presence = self
            .client
            .subscribe(format!("{PRESENCE_SUBJECT}.{}", room.name))
            .await
            .map_err(unavailable)?;
        let inner = Arc::downgrade(self);
        let room = Arc::downgrade(room);
        Ok(tokio::spawn(async move {
            while let Some(message) = presence.next().await {
                let Ok(tick) = serde_json::from_slice::<PresenceTick>(&message.payload) else {
                    continue;
                };
                let (Some(inner), Some(room)) = (inner.upgrade(), room.upgrade()) else {
                    return;
                };
                if tick.instance == inner.me.id {
                    continue; // local joins and leaves are in the tick already
                }
                inner.note_peer(&tick.instance);
                let order = {
                    let mut state = lock(&room.state);
                    let order = state.heard.heard(&tick.instance, tick.seq);
                    for name in &tick.left {
                        state.left(name, &tick.instance, false);
                    }
                    for name in tick.joined {
                        state.joined(name, &tick.instance, false);
                    }
                    order
                };
                if let TickOrder::Missed(missed) = order {
                    tracing::debug!(room = %room.name, instance = %tick.instance, missed, "presence messages lost");
                    // Inline: the ticks that arrive meanwhile wait, and are
                    // applied after the list read, in order.
                    inner.resync_members(&room).await;
                }
                room.tick.notify_one();
            }
        }))
    }

    /// Announces `left` for members of instances that stopped heartbeating,
    /// and frees their names.
    async fn reap_dead_peers(&self) {
        let dead: Vec<String> = {
            let mut peers = lock(&self.peers);
            let ids: Vec<String> = peers
                .iter()
                .filter(|(_, peer)| peer.last_seen.elapsed() > PEER_TIMEOUT)
                .map(|(id, _)| id.clone())
                .collect();
            for id in &ids {
                peers.remove(id);
            }
            ids
        };
        for id in dead {
            self.counts.peers_reaped.fetch_add(1, Ordering::Relaxed);
            self.reap(&id).await;
        }
    }

    /// Frees every name instance `id` holds, from the member records (the
    /// whole bucket: its members may be in rooms this instance does not
    /// read), and tells local members of those rooms that they `left`.
    async fn reap(&self, id: &str) {
        let filter = format!("$KV.{MEMBERS_BUCKET}.>");
        let records = match self.records(&filter, REAP_SCAN_TIMEOUT).await {
            Ok(records) => records,
            Err(err) => {
                tracing::warn!(instance = %id, "cannot read the member records of a silent instance (will retry): {err}");
                // Due again at the next reaping round.
                let overdue = Instant::now()
                    .checked_sub(PEER_TIMEOUT)
                    .unwrap_or_else(Instant::now);
                lock(&self.peers).insert(id.to_owned(), Peer { last_seen: overdue });
                return;
            }
        };
        let theirs: Vec<_> = records
            .into_iter()
            .filter(|entry| entry.record.instance == id)
            .collect();
        tracing::warn!(instance = %id, members = theirs.len(), "instance stopped heartbeating; its members left");
        for entry in theirs {
            // Exactly the value it wrote: a newer one (the name taken again
            // meanwhile) is kept.
            let _ = self.free_name(&entry.key, entry.revision).await;
            let Some(room) = entry
                .key
                .split_once('.')
                .and_then(|(room, _)| RoomName::parse(room).ok())
            else {
                continue;
            };
            // Announce after freeing the name, so whoever sees `left` can
            // take it.
            let local_room = lock(&self.rooms).get(&room).cloned();
            if let Some(local_room) = local_room {
                lock(&local_room.state).left(&entry.record.name, id, false);
                local_room.tick.notify_one();
            }
        }
    }
}
