//! What travels over NATS: the names of the stream, bucket and subjects,
//! the JSON payloads, and how member keys are spelled.
//!
//! Every instance must agree on all of this, across versions; changing any
//! of it changes the protocol between instances, not just this code.

use serde::{Deserialize, Serialize};

use crate::instance::InstanceId;
use crate::service::chat::roster::Delta;
use socketlab_shared::{DisplayName, RoomName};

/// The stream holding every room's messages.
pub(super) const STREAM: &str = "SOCKETLAB_CHAT";
/// The key-value bucket of members, one key per (room, name).
pub(super) const MEMBERS_BUCKET: &str = "socketlab_members";
/// The stream under the members bucket.
pub(super) const MEMBERS_STREAM: &str = "KV_socketlab_members";
/// Subject prefix of chat messages: `socketlab.chat.<room>`.
pub(super) const CHAT_SUBJECT: &str = "socketlab.chat";
/// Subject prefix of presence events: `socketlab.presence.<room>`.
pub(super) const PRESENCE_SUBJECT: &str = "socketlab.presence";
/// Subject of instance heartbeats.
pub(super) const INSTANCES_SUBJECT: &str = "socketlab.instances";

/// What travels on the stream (the `seq` is the stream's own).
#[derive(Serialize, Deserialize)]
pub(super) struct Said {
    pub(super) from: DisplayName,
    pub(super) text: String,
    pub(super) ts_ms: u64,
}

/// What travels on presence subjects: one instance's joins and leaves in
/// a room during one tick. Receivers apply `left`, then `joined`.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub(super) struct PresenceTick {
    pub(super) instance: String,
    /// This message's number among the instance's messages about this
    /// room, from 1 each time the instance opens the room: a receiver that
    /// finds one missing re-reads the members (see `resync`). 0 (absent)
    /// from instances of earlier versions.
    #[serde(default)]
    pub(super) seq: u64,
    #[serde(default)]
    pub(super) joined: Vec<DisplayName>,
    #[serde(default)]
    pub(super) left: Vec<DisplayName>,
}

impl PresenceTick {
    /// `delta` as messages of about `limit` bytes at most, leaves first, so
    /// that applying them in order gives the same result as one message.
    pub(super) fn split(instance: &str, delta: Delta, limit: usize) -> Vec<PresenceTick> {
        let mut ticks = Vec::new();
        let fresh = || PresenceTick {
            instance: instance.to_owned(),
            seq: 0,
            joined: Vec::new(),
            left: Vec::new(),
        };
        let mut tick = fresh();
        let mut size = 64 + instance.len();
        let names = delta
            .left
            .into_iter()
            .map(|n| (false, n))
            .chain(delta.joined.into_iter().map(|n| (true, n)));
        for (joined, name) in names {
            // Quoted, escaped (at most 6 bytes a character), and a comma.
            let cost = name.as_str().len() * 6 + 3;
            let started = !tick.joined.is_empty() || !tick.left.is_empty();
            if started && size + cost > limit {
                ticks.push(std::mem::replace(&mut tick, fresh()));
                size = 64 + instance.len();
            }
            size += cost;
            if joined {
                tick.joined.push(name);
            } else {
                tick.left.push(name);
            }
        }
        if !tick.joined.is_empty() || !tick.left.is_empty() {
            ticks.push(tick);
        }
        ticks
    }
}

/// What travels on the heartbeat subject: that an instance is alive.
///
/// Members are not listed: a list of every local member outgrew the
/// server's `max_payload` at a few thousand long names, the heartbeat was
/// then refused, and the others reaped a live instance. Who is where is in
/// the member records, which the reaper reads.
#[derive(Serialize, Deserialize)]
pub(super) struct Heartbeat {
    pub(super) instance: InstanceId,
    /// Always empty; kept so that instances of earlier versions, which
    /// require the field, still hear this one as alive.
    #[serde(default)]
    pub(super) members: Vec<(RoomName, DisplayName)>,
}

/// The value of a member key.
#[derive(Serialize, Deserialize)]
pub(super) struct MemberRecord {
    pub(super) name: DisplayName,
    pub(super) instance: String,
}

/// Member keys: `<room>.<hex of the name>`; names may hold any printable
/// character, key names may not.
pub(super) fn member_key(room: &RoomName, name: &DisplayName) -> String {
    let hex: String = name.as_str().bytes().map(|b| format!("{b:02x}")).collect();
    format!("{room}.{hex}")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn member_keys_are_valid_and_distinct_for_any_name() {
        let room = RoomName::parse("lab").unwrap();
        let keys: Vec<String> = ["ada", "김철수", "a b.c*>", "ada-2"]
            .into_iter()
            .map(|raw| member_key(&room, &DisplayName::parse(raw).unwrap()))
            .collect();
        for key in &keys {
            assert!(key.starts_with("lab."));
            assert!(key
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_'));
        }
        let distinct: BTreeSet<&String> = keys.iter().collect();
        assert_eq!(distinct.len(), keys.len());
    }

    #[test]
    fn a_big_tick_is_split_under_the_limit_with_leaves_first() {
        let mut delta = Delta::default();
        for i in 0..1000 {
            delta.join(DisplayName::parse(&format!("newcomer-{i:04}")).unwrap());
        }
        delta.leave(DisplayName::parse("gone").unwrap());
        let ticks = PresenceTick::split("inst-a", delta, 4096);
        assert!(ticks.len() > 1);
        for tick in &ticks {
            assert!(serde_json::to_vec(tick).unwrap().len() <= 4096);
        }
        assert_eq!(ticks[0].left.len(), 1);
        let joined: usize = ticks.iter().map(|t| t.joined.len()).sum();
        assert_eq!(joined, 1000);
    }
}
