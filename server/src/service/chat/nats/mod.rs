//! The NATS JetStream room bus: rooms that span many `socketlab` instances.
//!
//! Each concern uses the NATS feature made for it, rather than links
//! between instances of our own making:
//!
//! - **Order and history**: every `say` is published to the JetStream stream
//!   `SOCKETLAB_CHAT` on subject `socketlab.chat.<room>`. The stream's
//!   sequence number *is* the message's `seq`, so every member on every
//!   instance sees the same order. The stream keeps the last 50 messages per
//!   subject, which is `welcome.history`.
//! - **Delivery**: each instance reads a room through one ordered consumer
//!   (history first, then live) and fans messages out to its local members
//!   through the same byte-bounded fan-out as the in-process bus.
//! - **Unique names**: the key-value bucket `socketlab_members` holds one key
//!   per member; `create` (create-if-absent) decides who gets a name, across
//!   all instances, and `-2`, `-3`... suffixes follow.
//! - **Presence**: joins and leaves, coalesced per tick, travel on core
//!   subject `socketlab.presence.<room>`; each instance says it is alive every few
//!   seconds on `socketlab.instances` (one small message, whatever its
//!   number of members), and an instance that falls silent (crashed,
//!   SIGKILL) has its members, found in the member records, announced
//!   `left` everywhere within [`PEER_TIMEOUT`] plus one [`REAP_EVERY`].
//!
//! The code is split the same way. This module holds the bus itself
//! (connecting, and the [`RoomBus`] / [`Seat`] impls that join, say and
//! leave); its children each hold one concern:
//!
//! - `names`: unique names, claimed in the members bucket.
//! - `presence`: `joined` / `left`, heartbeats, and reaping instances that
//!   fell silent.
//! - `room`: one room as seen from this instance, and the reader that
//!   keeps it up to date from the stream.
//! - `startup`: waiting for a just-started cluster's JetStream.
//! - `wire`: what travels over NATS (subjects, payloads, member keys), which
//!   every instance must agree on.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, kv, stream};
use async_trait::async_trait;
use socketlab_shared::chat::HISTORY_LEN;
use socketlab_shared::{DisplayName, RoomName};
use tokio::task::AbortHandle;

use crate::clock::now_ms;
use crate::sync::lock;

use super::bus::{
    BusError, BusStats, MembersPage, Membership, RoomBus, RoomEvent, RoomLimits, Seat, Snapshot,
};
use super::fanout;

mod names;
mod presence;
mod reader;
mod resync;
mod room;
mod startup;
mod wire;

use crate::instance::InstanceId;
use presence::Peer;
pub use presence::{HEARTBEAT_EVERY, PEER_TIMEOUT, REAP_EVERY};
use room::Room;
use wire::{member_key, Said, CHAT_SUBJECT, MEMBERS_BUCKET, MEMBERS_STREAM, STREAM};

/// How long a publish may wait for the stream's acknowledgement.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(3);

/// How long a room's reader may try to reopen its consumer before the room
/// is given up and its members closed, when `NatsOptions::recover_within`
/// is not set.
pub const RECOVER_WITHIN: Duration = Duration::from_secs(60);

/// How to reach NATS.
#[derive(Debug, Clone, Default)]
pub struct NatsOptions {
    /// Server URLs, e.g. `nats://127.0.0.1:4222` (several for a cluster).
    pub urls: Vec<String>,
    /// A `.creds` file (JWT + NKey).
    pub creds: Option<std::path::PathBuf>,
    /// User and password.
    pub user_password: Option<(String, String)>,
    /// A token.
    pub token: Option<String>,
    /// A CA certificate for TLS to NATS (implies TLS required).
    pub tls_ca: Option<std::path::PathBuf>,
    /// Whether TLS to NATS is required.
    pub tls_required: bool,
    /// Messages older than this leave the chat stream (`None`: kept until
    /// the per-room history limit pushes them out).
    pub max_age: Option<Duration>,
    /// The chat stream's size limit in bytes; the oldest messages go first
    /// (`None`: no limit).
    pub max_bytes: Option<i64>,
    /// Copies JetStream keeps of the chat stream and the members bucket
    /// (0 counts as 1); 3 on a three-node cluster survives losing a node.
    pub replicas: usize,
    /// How long a room's reader may try to reopen its consumer after losing
    /// it before the room's members are closed (1013) so that they
    /// reconnect (`None`: [`RECOVER_WITHIN`]).
    pub recover_within: Option<Duration>,
}

/// Rooms on NATS JetStream. Cheap to clone.
#[derive(Clone)]
pub struct NatsBus {
    inner: Arc<Inner>,
}

struct Inner {
    me: InstanceId,
    client: async_nats::Client,
    js: jetstream::Context,
    members: kv::Store,
    /// The stream under `members`, read by room (subject filter) and purged
    /// key by key.
    members_stream: stream::Stream,
    /// The chat stream, kept to create room readers without a lookup.
    chat_stream: stream::Stream,
    limits: RoomLimits,
    max_rooms: usize,
    /// See [`NatsOptions::recover_within`].
    recover_within: Duration,
    rooms: Mutex<HashMap<RoomName, Arc<Room>>>,
    /// One lock per room being set up, so that concurrent first joins of a
    /// room wait for one reader instead of each creating their own.
    creating: Mutex<HashMap<RoomName, Arc<tokio::sync::Mutex<()>>>>,
    counts: Counts,
    peers: Mutex<HashMap<String, Peer>>,
    guests: AtomicU64,
    tasks: Mutex<Vec<AbortHandle>>,
    /// Members' leaving work (freeing names, announcing `left`), which
    /// outlives the members.
    cleanups: tokio_util::task::TaskTracker,
}

/// Work counters, for tests that check cost without timing anything.
#[derive(Default)]
struct Counts {
    room_readers: AtomicU64,
    member_entries_read: AtomicU64,
    heartbeats_heard: AtomicU64,
    peers_reaped: AtomicU64,
    reader_restarts: AtomicU64,
    rooms_lost: AtomicU64,
    presence_resyncs: AtomicU64,
}

/// Work done so far by a [`NatsBus`]; tests assert on these instead of on
/// time, which is unreliable on a busy machine.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NatsBusCounts {
    /// Room readers (ordered consumers on the chat stream) created: one per
    /// room per instance, however many members join it at once.
    pub room_readers: u64,
    /// Entries of the members bucket read to list rooms' members: bounded by
    /// the size of the rooms joined, not by the whole bucket.
    pub member_entries_read: u64,
    /// Heartbeats heard from other instances.
    pub heartbeats_heard: u64,
    /// Other instances found silent and reaped.
    pub peers_reaped: u64,
    /// Times a room's reader lost its consumer and reopened it (or tried).
    pub reader_restarts: u64,
    /// Rooms given up because their reader could not be reopened in time.
    pub rooms_lost: u64,
    /// Member lists re-read because a presence message from another
    /// instance was found missing.
    pub presence_resyncs: u64,
}

impl NatsBus {
    /// Connects, creates the stream and bucket if missing, and starts the
    /// heartbeat. Fails with a message naming `--bus` when NATS is
    /// unreachable at start (later outages are survived).
    pub async fn connect(
        options: &NatsOptions,
        me: InstanceId,
        limits: RoomLimits,
        max_rooms: usize,
    ) -> anyhow::Result<Self> {
        let client = connect_options(options)
            .await?
            .connect(options.urls.as_slice())
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot connect to NATS at {} (--bus / SOCKETLAB_BUS): {e}; is nats-server running with -js?",
                    options.urls.join(", ")
                )
            })?;
        let js = jetstream::new(client.clone());
        // Created or updated: the limits follow the flags of the instance
        // that started last, so a stream made before them gets them too.
        // Without them every room ever used kept its history forever.
        let chat_config = stream::Config {
            name: STREAM.to_owned(),
            subjects: vec![format!("{CHAT_SUBJECT}.*")],
            max_messages_per_subject: HISTORY_LEN as i64,
            max_age: options.max_age.unwrap_or_default(),
            max_bytes: options.max_bytes.unwrap_or(-1),
            num_replicas: options.replicas.max(1),
            storage: stream::StorageType::File,
            ..Default::default()
        };
        startup::until_ready(STREAM, || js.create_or_update_stream(chat_config.clone()))
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "cannot create the JetStream stream {STREAM} within {}s (is JetStream enabled, -js?): {e}",
                    startup::READY_WITHIN.as_secs()
                )
            })?;
        // A key-value bucket is a stream with a naming convention. Creating
        // that stream directly (rather than with `create_key_value`) keeps to
        // the fields nats-server 2.9 understands.
        let members_config = stream::Config {
            name: MEMBERS_STREAM.to_owned(),
            subjects: vec![format!("$KV.{MEMBERS_BUCKET}.>")],
            max_messages_per_subject: 1,
            discard: stream::DiscardPolicy::New,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            num_replicas: options.replicas.max(1),
            storage: stream::StorageType::File,
            ..Default::default()
        };
        let members_stream = startup::until_ready(MEMBERS_BUCKET, || {
            js.get_or_create_stream(members_config.clone())
        })
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the key-value bucket {MEMBERS_BUCKET}: {e}"))?;
        let chat_stream = js
            .get_stream(STREAM)
            .await
            .map_err(|e| anyhow::anyhow!("cannot open the JetStream stream {STREAM}: {e}"))?;
        let members = js.get_key_value(MEMBERS_BUCKET).await.map_err(|e| {
            anyhow::anyhow!("cannot open the key-value bucket {MEMBERS_BUCKET}: {e}")
        })?;
        let bus = Self {
            inner: Arc::new(Inner {
                me,
                client,
                js,
                members,
                members_stream,
                chat_stream,
                limits,
                max_rooms,
                recover_within: options.recover_within.unwrap_or(RECOVER_WITHIN),
                rooms: Mutex::new(HashMap::new()),
                creating: Mutex::new(HashMap::new()),
                counts: Counts::default(),
                peers: Mutex::new(HashMap::new()),
                guests: AtomicU64::new(1),
                tasks: Mutex::new(Vec::new()),
                cleanups: tokio_util::task::TaskTracker::new(),
            }),
        };
        bus.start_heartbeats().await?;
        Ok(bus)
    }

    /// This instance's identity.
    pub fn instance(&self) -> &InstanceId {
        &self.inner.me
    }

    /// Counters of work done, so tests can check costs without timing.
    #[doc(hidden)]
    pub fn debug_counts(&self) -> NatsBusCounts {
        let counts = &self.inner.counts;
        NatsBusCounts {
            room_readers: counts.room_readers.load(Ordering::Relaxed),
            member_entries_read: counts.member_entries_read.load(Ordering::Relaxed),
            heartbeats_heard: counts.heartbeats_heard.load(Ordering::Relaxed),
            peers_reaped: counts.peers_reaped.load(Ordering::Relaxed),
            reader_restarts: counts.reader_restarts.load(Ordering::Relaxed),
            rooms_lost: counts.rooms_lost.load(Ordering::Relaxed),
            presence_resyncs: counts.presence_resyncs.load(Ordering::Relaxed),
        }
    }

    /// Messages in the members bucket's stream (values and markers alike),
    /// so tests can check that leaving leaves nothing behind.
    #[doc(hidden)]
    pub async fn debug_member_bucket_len(&self) -> anyhow::Result<u64> {
        let mut stream = self.inner.members_stream.clone();
        Ok(stream.info().await?.state.messages)
    }

    /// Stops the background tasks (heartbeats, room readers).
    pub fn close(&self) {
        for task in lock(&self.inner.tasks).drain(..) {
            task.abort();
        }
        for room in lock(&self.inner.rooms).values() {
            room.stop();
        }
    }
}

#[async_trait]
impl RoomBus for NatsBus {
    async fn join(
        &self,
        room_name: RoomName,
        name: Option<DisplayName>,
    ) -> Result<Membership, BusError> {
        let inner = &self.inner;
        let room = inner.room(&room_name).await?;
        let wanted = name.unwrap_or_else(|| {
            // Unique enough across instances: the instance id is in the suffix space.
            DisplayName::guest(inner.guests.fetch_add(1, Ordering::Relaxed))
        });
        let (you, revision) = inner.claim_name(&room_name, &wanted).await?;
        // From here on, a failed join, or this future dropped mid-way (the
        // client went away), must not keep a name nobody will use.
        let claim = Claim {
            inner: Some(self.inner.clone()),
            key: member_key(&room_name, &you),
            revision,
        };
        let mut room = room;
        loop {
            let joined = {
                let rooms = lock(&inner.rooms);
                let mut state = lock(&room.state);
                // A lost room is closing its members: a join would hear
                // nothing. It is retired once they are gone.
                if room.lost.load(Ordering::Acquire) {
                    return Err(BusError::Unavailable(
                        "the chat bus lost this room a moment ago; try again in a few seconds"
                            .to_owned(),
                    ));
                }
                // The room may have been retired (its last local member
                // left) while this join waited on NATS: take the fresh one.
                if rooms.get(&room_name).is_some_and(|r| Arc::ptr_eq(r, &room)) {
                    // Under the lock: the snapshot and the subscription are
                    // one instant, so the newcomer misses nothing after it.
                    state.local.insert(you.clone());
                    state.joined(you.clone(), &inner.me.id, true);
                    room.tick.notify_one();
                    Some((
                        room.events.subscribe(),
                        state.history.iter().cloned().collect::<Vec<_>>(),
                    ))
                } else {
                    None
                }
            };
            if let Some((events, history)) = joined {
                // The seat owns the name now: dropping it leaves the room
                // (announcing `left`) and frees the name.
                claim.keep();
                let first = room.members(None);
                return Ok(Membership {
                    you: you.clone(),
                    room: room_name,
                    snapshot: Snapshot {
                        members: first.members,
                        count: first.count,
                        member_instances: first.instances,
                        history,
                    },
                    events,
                    seat: Box::new(NatsSeat {
                        inner: self.inner.clone(),
                        room,
                        name: you,
                        revision,
                    }),
                });
            }
            room = inner.room(&room_name).await?;
        }
    }

    fn stats(&self) -> BusStats {
        let rooms = lock(&self.inner.rooms);
        let counts = &self.inner.counts;
        BusStats {
            rooms: rooms.len(),
            members: rooms.values().map(|r| lock(&r.state).local.len()).sum(),
            reader_restarts: counts.reader_restarts.load(Ordering::Relaxed),
            rooms_lost: counts.rooms_lost.load(Ordering::Relaxed),
        }
    }

    fn is_ready(&self) -> bool {
        self.inner.client.connection_state() == async_nats::connection::State::Connected
    }

    async fn finish(&self, within: Duration) {
        let cleanups = &self.inner.cleanups;
        cleanups.close();
        if tokio::time::timeout(within, cleanups.wait()).await.is_err() {
            tracing::warn!(
                "{} member cleanup(s) on NATS did not finish within {within:?}; the other instances will free those names when they find this one gone",
                cleanups.len()
            );
        }
    }
}

/// A name claimed in the members bucket by a join that has not finished.
/// Dropped before [`Claim::keep`], it frees the name: a join that fails, or
/// whose future is dropped mid-way, leaves nothing behind.
struct Claim {
    inner: Option<Arc<Inner>>,
    key: String,
    revision: u64,
}

impl Claim {
    /// The join succeeded; its seat frees the name from now on.
    fn keep(mut self) {
        self.inner = None;
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let Some(inner) = self.inner.take() else {
            return;
        };
        let key = std::mem::take(&mut self.key);
        let revision = self.revision;
        inner.clone().spawn_cleanup(async move {
            let _ = tokio::time::timeout(PUBLISH_TIMEOUT, inner.free_name(&key, revision)).await;
        });
    }
}

struct NatsSeat {
    inner: Arc<Inner>,
    room: Arc<Room>,
    name: DisplayName,
    /// The revision of this member's key, to free exactly that value.
    revision: u64,
}

#[async_trait]
impl Seat for NatsSeat {
    fn members(&self, after: Option<&DisplayName>) -> MembersPage {
        self.room.members(after)
    }

    async fn say(&self, text: String) -> Result<(), BusError> {
        // While disconnected, say so at once instead of after a timeout.
        if self.inner.client.connection_state() != async_nats::connection::State::Connected {
            return Err(BusError::Unavailable(
                "the message bus (NATS) is unreachable; your message was not sent".to_owned(),
            ));
        }
        let said = Said {
            from: self.name.clone(),
            text,
            ts_ms: now_ms(),
        };
        let payload =
            serde_json::to_vec(&said).map_err(|e| BusError::Unavailable(e.to_string()))?;
        let subject = format!("{CHAT_SUBJECT}.{}", self.room.name);
        let publish = async {
            self.inner
                .js
                .publish(subject, payload.into())
                .await
                .map_err(unavailable)?
                .await
                .map_err(unavailable)
        };
        match tokio::time::timeout(PUBLISH_TIMEOUT, publish).await {
            Ok(Ok(_ack)) => Ok(()),
            Ok(Err(err)) => Err(err),
            Err(_) => Err(BusError::Unavailable(
                "the message bus did not confirm the message; it was not delivered".to_owned(),
            )),
        }
    }
}

impl Drop for NatsSeat {
    fn drop(&mut self) {
        let was_here = lock(&self.room.state).local.remove(&self.name);
        if !was_here {
            return;
        }
        let inner = self.inner.clone();
        let room = self.room.clone();
        let name = self.name.clone();
        let revision = self.revision;
        self.inner.spawn_cleanup(async move {
            // Free the name first, so whoever hears of the leave can take it.
            let key = member_key(&room.name, &name);
            let _ = tokio::time::timeout(PUBLISH_TIMEOUT, inner.free_name(&key, revision)).await;
            let retire = {
                let mut rooms = lock(&inner.rooms);
                let mut state = lock(&room.state);
                state.left(&name, &inner.me.id, true);
                // The last local member gone: stop reading the room, so an
                // instance does not keep every room it ever served (rooms
                // count against --max-rooms). The stream keeps its history.
                let retire = state.local.is_empty()
                    && rooms.get(&room.name).is_some_and(|r| Arc::ptr_eq(r, &room));
                if retire {
                    rooms.remove(&room.name);
                }
                retire
            };
            if retire {
                room.retire();
            } else {
                room.tick.notify_one();
            }
        });
    }
}

impl Inner {
    /// Gives `room` up: its reader cannot be reopened. Every local member
    /// is closed with `closed`; the room is retired when the last of them
    /// has left (so their leaves still reach the other instances), or now
    /// if it has none. Until then a join is refused rather than let into a
    /// room that hears nothing.
    fn lose_room(&self, room: &Arc<Room>, closed: fanout::Closed) {
        self.counts.rooms_lost.fetch_add(1, Ordering::Relaxed);
        let retire = {
            let mut rooms = lock(&self.rooms);
            let state = lock(&room.state);
            room.lost.store(true, Ordering::Release);
            let empty = state.local.is_empty()
                && rooms.get(&room.name).is_some_and(|r| Arc::ptr_eq(r, room));
            if empty {
                rooms.remove(&room.name);
            }
            empty
        };
        room.events.close(closed);
        if retire {
            room.retire();
        }
    }

    /// Runs `work` that frees what a member held on the bus (its name, its
    /// presence) after the member itself is gone.
    /// Tracked, so that shutdown waits for it ([`RoomBus::finish`]).
    fn spawn_cleanup(&self, work: impl std::future::Future<Output = ()> + Send + 'static) {
        self.cleanups.spawn(work);
    }
}

async fn connect_options(options: &NatsOptions) -> anyhow::Result<async_nats::ConnectOptions> {
    let mut connect = async_nats::ConnectOptions::new()
        .name("socketlab")
        .retry_on_initial_connect()
        .max_reconnects(None::<usize>);
    if let Some(path) = &options.creds {
        connect = connect.credentials_file(path).await.map_err(|e| {
            anyhow::anyhow!(
                "cannot read the NATS credentials {} (--bus-creds): {e}",
                path.display()
            )
        })?;
    }
    if let Some((user, password)) = &options.user_password {
        connect = connect.user_and_password(user.clone(), password.clone());
    }
    if let Some(token) = &options.token {
        connect = connect.token(token.clone());
    }
    if let Some(ca) = &options.tls_ca {
        connect = connect.add_root_certificates(ca.clone()).require_tls(true);
    } else if options.tls_required {
        connect = connect.require_tls(true);
    }
    Ok(connect)
}

fn unavailable(err: impl std::fmt::Display) -> BusError {
    BusError::Unavailable(format!("the message bus (NATS) failed: {err}"))
}
