//! Presence: who is in a room on other instances, and noticing when an
//! instance is gone.
//!
//! `joined` / `left` travel on core subjects (`socketlab.presence.<room>`),
//! not the stream: they only matter to members connected right now, and a
//! member list is read afresh from the members bucket at each join. Each
//! instance also heartbeats its members on `socketlab.instances`; an
//! instance that falls silent for [`PEER_TIMEOUT`] (crashed, SIGKILL) has
//! its names freed, and each instance that notices tells its own members
//! that they `left`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use socketlab_shared::{DisplayName, RoomName, ServerMessage};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::sync::lock;

use super::wire::{
    member_key, Heartbeat, MemberRecord, Presence, INSTANCES_SUBJECT, PRESENCE_SUBJECT,
};
use super::{unavailable, BusError, Inner, NatsBus, RoomEvent};

/// How often an instance announces itself and its members.
pub const HEARTBEAT_EVERY: Duration = Duration::from_secs(3);
/// Silence after which an instance counts as dead.
pub const PEER_TIMEOUT: Duration = Duration::from_secs(10);
/// How often dead instances are looked for.
pub const REAP_EVERY: Duration = Duration::from_secs(2);

/// Another instance, known from its heartbeats.
pub(super) struct Peer {
    last_seen: Instant,
    members: Vec<(RoomName, DisplayName)>,
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
                        lock(&inner.peers).insert(
                            beat.instance.id,
                            Peer {
                                last_seen: Instant::now(),
                                members: beat.members,
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
                        members: inner.local_members(),
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
    /// Tells other instances that `name` joined (or left) `room` here.
    pub(super) async fn announce(&self, room: &RoomName, name: &DisplayName, joined: bool) {
        let presence = Presence {
            joined,
            name: name.clone(),
            instance: self.me.id.clone(),
        };
        if let Ok(payload) = serde_json::to_vec(&presence) {
            let _ = self
                .client
                .publish(format!("{PRESENCE_SUBJECT}.{room}"), payload.into())
                .await;
        }
    }

    /// Forwards `joined` / `left` of members on other instances to the
    /// local members of `room`.
    pub(super) async fn watch_presence(
        &self,
        room: &RoomName,
        events: broadcast::Sender<RoomEvent>,
    ) -> Result<JoinHandle<()>, BusError> {
        let mut presence = self
            .client
            .subscribe(format!("{PRESENCE_SUBJECT}.{room}"))
            .await
            .map_err(unavailable)?;
        let me = self.me.id.clone();
        Ok(tokio::spawn(async move {
            while let Some(message) = presence.next().await {
                let Ok(p) = serde_json::from_slice::<Presence>(&message.payload) else {
                    continue;
                };
                if p.instance == me {
                    continue; // local joins and leaves are announced directly
                }
                let event = if p.joined {
                    ServerMessage::Joined {
                        name: p.name,
                        instance: Some(p.instance),
                    }
                } else {
                    ServerMessage::Left { name: p.name }
                };
                let _ = events.send(RoomEvent::new(event));
            }
        }))
    }

    /// The (room, name) pairs of members connected here.
    fn local_members(&self) -> Vec<(RoomName, DisplayName)> {
        let rooms = lock(&self.rooms);
        rooms
            .values()
            .flat_map(|room| {
                let state = lock(&room.state);
                state
                    .local
                    .iter()
                    .map(|name| (room.name.clone(), name.clone()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Announces `left` for members of instances that stopped heartbeating,
    /// and frees their names.
    async fn reap_dead_peers(&self) {
        let dead: Vec<(String, Peer)> = {
            let mut peers = lock(&self.peers);
            let ids: Vec<String> = peers
                .iter()
                .filter(|(_, peer)| peer.last_seen.elapsed() > PEER_TIMEOUT)
                .map(|(id, _)| id.clone())
                .collect();
            ids.into_iter()
                .filter_map(|id| peers.remove(&id).map(|peer| (id, peer)))
                .collect()
        };
        for (id, peer) in dead {
            tracing::warn!(instance = %id, members = peer.members.len(), "instance stopped heartbeating; its members left");
            for (room, name) in peer.members {
                // Free the name unless someone took it meanwhile.
                let key = member_key(&room, &name);
                if let Ok(Some(entry)) = self.members.entry(key.clone()).await {
                    let owner = serde_json::from_slice::<MemberRecord>(&entry.value)
                        .ok()
                        .map(|r| r.instance);
                    if owner.as_deref() == Some(id.as_str()) {
                        let _ = self.free_name(&key, entry.revision).await;
                    }
                }
                // Announce after freeing the name, so whoever sees `left`
                // can take it.
                let local_room = lock(&self.rooms).get(&room).cloned();
                if let Some(local_room) = local_room {
                    let _ = local_room
                        .events
                        .send(RoomEvent::new(ServerMessage::Left { name: name.clone() }));
                }
            }
        }
    }
}
