//! Unique names: who is called what in which room, across all instances.
//!
//! The members bucket holds one key per (room, name) (see
//! `wire::member_key`). Creating a key is create-if-absent, so NATS decides
//! who gets a name when two instances want it at once; a taken name is
//! retried with `-2`, `-3`... suffixes. A member's key is freed (purged at
//! its revision) when it leaves, or when its instance is found dead.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_nats::jetstream::{consumer, kv};
use futures_util::StreamExt;
use socketlab_shared::{DisplayName, RoomName};

use super::wire::{member_key, MemberRecord, MEMBERS_BUCKET};
use super::{unavailable, BusError, Inner, PUBLISH_TIMEOUT};

/// One member record as read from the bucket.
pub(super) struct RecordEntry {
    /// The key, `<room>.<hex of the name>`.
    pub(super) key: String,
    /// The revision of the value read, to free exactly that value.
    pub(super) revision: u64,
    /// Who, and on which instance.
    pub(super) record: MemberRecord,
}

/// Most suffixes tried for a taken name.
const MAX_SUFFIX: u64 = 1000;

impl Inner {
    /// Claims `wanted` (or the first free suffix) in `room`, across
    /// instances; returns the name and the revision of its key.
    pub(super) async fn claim_name(
        &self,
        room: &RoomName,
        wanted: &DisplayName,
    ) -> Result<(DisplayName, u64), BusError> {
        for n in 1..=MAX_SUFFIX {
            let candidate = if n == 1 {
                wanted.clone()
            } else {
                wanted.with_suffix(n)
            };
            let record = MemberRecord {
                name: candidate.clone(),
                instance: self.me.id.clone(),
            };
            let value = serde_json::to_vec(&record).unwrap_or_default();
            match self
                .members
                .create(member_key(room, &candidate), value.into())
                .await
            {
                Ok(revision) => return Ok((candidate, revision)),
                Err(err) if err.kind() == kv::CreateErrorKind::AlreadyExists => continue,
                Err(err) => return Err(unavailable(err)),
            }
        }
        Err(BusError::Unavailable(format!(
            "no free variant of the name {wanted}"
        )))
    }

    /// Everyone in `room`, on every instance, with the instance each is
    /// connected to, from the members bucket.
    ///
    /// Reads only the room's keys (see [`Inner::records`]), whatever the
    /// size of other rooms. Every instance named there is noted as a peer:
    /// one that crashed before this instance ever heard its heartbeat is
    /// found dead that way, and its members reaped.
    pub(super) async fn members_of(
        &self,
        room: &RoomName,
    ) -> Result<BTreeMap<DisplayName, String>, BusError> {
        let records = self
            .records(&format!("$KV.{MEMBERS_BUCKET}.{room}.*"), PUBLISH_TIMEOUT)
            .await?;
        let members: BTreeMap<DisplayName, String> = records
            .into_iter()
            .map(|entry| (entry.record.name, entry.record.instance))
            .collect();
        for instance in members.values() {
            self.note_peer(instance);
        }
        Ok(members)
    }

    /// The live member records under `filter` (a subject of the members
    /// bucket's stream), with their keys and revisions, read within `limit`.
    ///
    /// One pass of a consumer that delivers the last value of each key
    /// (what `keys()` + `get()` did key by key). nats-server 2.9 accepts this
    /// consumer; its single `filter_subject` is all it needs.
    pub(super) async fn records(
        &self,
        filter: &str,
        limit: Duration,
    ) -> Result<Vec<RecordEntry>, BusError> {
        let consumer = self
            .members_stream
            .create_consumer(consumer::push::OrderedConfig {
                deliver_subject: self.client.new_inbox(),
                filter_subject: filter.to_owned(),
                deliver_policy: consumer::DeliverPolicy::LastPerSubject,
                ..Default::default()
            })
            .await
            .map_err(unavailable)?;
        let consumer_name = consumer.cached_info().name.clone();
        let mut pending = consumer.cached_info().num_pending;
        let mut records = Vec::new();
        if pending == 0 {
            self.drop_consumer(consumer_name);
            return Ok(records);
        }
        let mut entries = consumer.messages().await.map_err(unavailable)?;
        let prefix = format!("$KV.{MEMBERS_BUCKET}.");
        let read = async {
            while pending > 0 {
                let Some(message) = entries.next().await else {
                    return Err(BusError::Unavailable(
                        "the member list ended early".to_owned(),
                    ));
                };
                let message = message.map_err(unavailable)?;
                self.counts
                    .member_entries_read
                    .fetch_add(1, Ordering::Relaxed);
                let info = message.info().map_err(unavailable)?;
                pending = info.pending;
                let revision = info.stream_sequence;
                let removed = message.headers.as_ref().is_some_and(|headers| {
                    headers.get("KV-Operation").is_some() // DEL or PURGE
                });
                if removed {
                    continue;
                }
                let Some(key) = message.subject.as_str().strip_prefix(&prefix) else {
                    continue;
                };
                if let Ok(record) = serde_json::from_slice::<MemberRecord>(&message.payload) {
                    records.push(RecordEntry {
                        key: key.to_owned(),
                        revision,
                        record,
                    });
                }
            }
            Ok(())
        };
        let outcome = tokio::time::timeout(limit, read).await;
        drop(entries);
        self.drop_consumer(consumer_name);
        match outcome {
            Ok(result) => result.map(|()| records),
            Err(_) => Err(BusError::Unavailable(
                "reading the member list timed out".to_owned(),
            )),
        }
    }

    /// Deletes a one-shot consumer in the background, rather than leaving
    /// it to push to nobody until the server's inactivity timeout.
    fn drop_consumer(&self, name: String) {
        let stream = self.members_stream.clone();
        tokio::spawn(async move {
            let _ = stream.delete_consumer(&name).await;
        });
    }

    /// Frees a member key: removes the value written at `revision` (and
    /// anything older) from the stream, leaving no delete marker behind. A
    /// newer value (someone took the name meanwhile) is kept. Other
    /// instances learn of the leave on the presence subject, and member
    /// lists are read afresh at each join, so no marker is needed.
    pub(super) async fn free_name(&self, key: &str, revision: u64) -> Result<(), BusError> {
        self.members_stream
            .purge()
            .filter(format!("$KV.{MEMBERS_BUCKET}.{key}"))
            .sequence(revision + 1)
            .await
            .map(drop)
            .map_err(unavailable)
    }
}
