//! Noticing a lost presence tick, and putting the member list right.
//!
//! Presence travels between instances on core NATS (see `presence`), which
//! delivers at most once: a tick sent while this instance was reconnecting,
//! or dropped for a slow subscriber, is gone, and the member list here would
//! stay wrong (a ghost, or a member nobody sees) until the room is reopened.
//! So each instance numbers its ticks per room, from 1 each time it opens
//! the room ([`PresenceTick::seq`](super::wire::PresenceTick)); a receiver
//! that finds a number missing re-reads the room's members from the members
//! bucket and announces the difference to its local members as one
//! `presence` update.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::sync::lock;

use super::room::Room;
use super::Inner;

/// The last presence tick heard from each other instance in one room.
#[derive(Debug, Default)]
pub(super) struct TickSeqs {
    last: HashMap<String, u64>,
}

/// Whether a tick followed the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TickOrder {
    /// Nothing was missed (as far as can be told).
    InOrder,
    /// This many ticks before it never arrived.
    Missed(u64),
}

impl TickSeqs {
    /// Notes tick `seq` from `instance`.
    pub(super) fn heard(&mut self, instance: &str, seq: u64) -> TickOrder {
        if seq == 0 {
            // An instance of an earlier version, which does not number its
            // ticks: nothing to tell.
            return TickOrder::InOrder;
        }
        match self.last.insert(instance.to_owned(), seq) {
            // The first heard: what came before is in the member list read
            // when this instance opened the room.
            None => TickOrder::InOrder,
            Some(last) if seq == last + 1 => TickOrder::InOrder,
            Some(last) if seq > last + 1 => TickOrder::Missed(seq - last - 1),
            // Counting again: the instance retired the room and opened it
            // anew, from 1.
            Some(_) if seq == 1 => TickOrder::InOrder,
            Some(_) => TickOrder::Missed(seq - 1),
        }
    }
}

impl Inner {
    /// Re-reads `room`'s members from the members bucket after a lost tick,
    /// and merges the difference into the room's next tick: members of
    /// other instances that are not in the bucket left, those in it that
    /// were not known joined. This instance's own members are known here
    /// first-hand and are left as they are.
    pub(super) async fn resync_members(&self, room: &Arc<Room>) {
        self.counts.presence_resyncs.fetch_add(1, Ordering::Relaxed);
        let members = match self.members_of(&room.name).await {
            Ok(members) => members,
            Err(err) => {
                tracing::warn!(
                    room = %room.name,
                    "cannot re-read the room's members after a lost presence update ({err}); \
                     the member list here may be off until the next loss is noticed or the \
                     room is reopened"
                );
                return;
            }
        };
        let me = self.me.id.as_str();
        let (gone, came) = {
            let mut state = lock(&room.state);
            let gone: Vec<_> = state
                .members
                .iter()
                .filter(|(name, instance)| {
                    instance.as_str() != me && members.get(*name) != Some(*instance)
                })
                .map(|(name, instance)| (name.clone(), instance.clone()))
                .collect();
            for (name, instance) in &gone {
                state.left(name, instance, false);
            }
            let mut came = 0;
            for (name, instance) in members {
                if instance != me && !state.members.contains_key(&name) {
                    state.joined(name, &instance, false);
                    came += 1;
                }
            }
            (gone.len(), came)
        };
        tracing::info!(
            room = %room.name,
            left = gone,
            joined = came,
            "a presence update from another instance was lost; the member list was re-read"
        );
        room.tick.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_number_is_a_lost_tick_and_a_fresh_count_is_not() {
        let mut seqs = TickSeqs::default();
        assert_eq!(seqs.heard("a", 5), TickOrder::InOrder, "first heard");
        assert_eq!(seqs.heard("a", 6), TickOrder::InOrder);
        assert_eq!(seqs.heard("a", 9), TickOrder::Missed(2));
        assert_eq!(seqs.heard("a", 10), TickOrder::InOrder);
        // Another instance has its own numbers.
        assert_eq!(seqs.heard("b", 1), TickOrder::InOrder);
        assert_eq!(seqs.heard("b", 3), TickOrder::Missed(1));
        // The room reopened over there: counting from 1 again...
        assert_eq!(seqs.heard("a", 1), TickOrder::InOrder);
        assert_eq!(seqs.heard("a", 2), TickOrder::InOrder);
        // ...unless its first ticks were the ones lost.
        assert_eq!(seqs.heard("b", 2), TickOrder::Missed(1));
        // Unnumbered ticks (an earlier version) say nothing.
        assert_eq!(seqs.heard("old", 0), TickOrder::InOrder);
        assert_eq!(seqs.heard("old", 0), TickOrder::InOrder);
    }
}
