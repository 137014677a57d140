//! Presence that scales: joins and leaves coalesced per room per tick.
//!
//! Announcing each join to every member costs N frames per join, N² per
//! join storm (a lecture hall of 10,000 is 100 million frames). A room
//! instead collects who came and went in a [`Delta`], and at most once per
//! [`TICK`] sends one `presence` event, serialized once, to every member:
//! a storm costs O(N) frames. Above `--chat-presence-names` members the
//! event carries only the count (names are asked for in pages), and a
//! member that fell behind gets the latest count once (see `fanout`).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::time::Duration;

use socketlab_shared::chat::MEMBERS_PAGE;
use socketlab_shared::{DisplayName, ServerMessage};

use super::bus::{MembersPage, RoomEvent};

/// How long joins and leaves are collected before one `presence` goes out.
pub const TICK: Duration = Duration::from_millis(100);

/// Who came and went in a room since the last tick.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delta {
    /// Joined (and still there).
    pub joined: BTreeSet<DisplayName>,
    /// Left (and were there before the tick began, or came back).
    pub left: BTreeSet<DisplayName>,
}

impl Delta {
    /// `name` joined.
    pub fn join(&mut self, name: DisplayName) {
        self.joined.insert(name);
    }

    /// `name` left. One that joined within this tick was never announced:
    /// its join and leave cancel out.
    pub fn leave(&mut self, name: DisplayName) {
        if !self.joined.remove(&name) {
            self.left.insert(name);
        }
    }

    /// Whether nothing happened.
    pub fn is_empty(&self) -> bool {
        self.joined.is_empty() && self.left.is_empty()
    }

    /// This tick's changes, leaving an empty delta behind.
    pub fn take(&mut self) -> Delta {
        std::mem::take(self)
    }

    /// The `presence` event for these changes in a room of `count`
    /// members: names only up to `list_max` members, each joined name with
    /// its instance (`instance_of`), the count always.
    pub fn event(
        self,
        count: usize,
        list_max: usize,
        instance_of: impl Fn(&DisplayName) -> Option<String>,
    ) -> RoomEvent {
        let count = count as u64;
        if count as usize > list_max {
            return RoomEvent::replaceable(ServerMessage::Presence {
                joined: Vec::new(),
                left: Vec::new(),
                count,
                member_instances: BTreeMap::new(),
            });
        }
        let member_instances = self
            .joined
            .iter()
            .filter_map(|name| Some((name.clone(), instance_of(name)?)))
            .collect();
        RoomEvent::new(ServerMessage::Presence {
            joined: self.joined.into_iter().collect(),
            left: self.left.into_iter().collect(),
            count,
            member_instances,
        })
    }
}

/// The bounds of the names after `after` (all names when `None`), for
/// `BTreeMap::range`: a page costs its own size, not the room's.
pub fn after(after: Option<&DisplayName>) -> (Bound<&DisplayName>, Bound<&DisplayName>) {
    match after {
        Some(after) => (Bound::Excluded(after), Bound::Unbounded),
        None => (Bound::Unbounded, Bound::Unbounded),
    }
}

/// A page of a room of `count` members, from `members` (name → instance,
/// sorted, starting where the page starts).
pub fn page<'a>(
    members: impl Iterator<Item = (&'a DisplayName, &'a str)>,
    count: usize,
) -> MembersPage {
    let mut names = Vec::with_capacity(MEMBERS_PAGE.min(count));
    let mut instances = BTreeMap::new();
    let mut more = false;
    for (name, instance) in members {
        if names.len() == MEMBERS_PAGE {
            more = true;
            break;
        }
        names.push(name.clone());
        instances.insert(name.clone(), instance.to_owned());
    }
    MembersPage {
        next: if more { names.last().cloned() } else { None },
        members: names,
        instances,
        count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(name: &str) -> DisplayName {
        DisplayName::parse(name).unwrap()
    }

    #[test]
    fn a_join_and_leave_within_a_tick_cancel_out_but_a_return_does_not() {
        let mut delta = Delta::default();
        delta.join(n("ada"));
        delta.leave(n("ada"));
        assert!(delta.is_empty());
        delta.leave(n("bob"));
        delta.join(n("bob"));
        delta.leave(n("bob"));
        assert_eq!(delta.left, BTreeSet::from([n("bob")]));
        assert!(delta.joined.is_empty());
    }

    #[test]
    fn large_rooms_get_counts_only() {
        let mut delta = Delta::default();
        delta.join(n("ada"));
        let here = |_: &DisplayName| Some("sl-1".to_owned());
        let small = delta.clone().event(10, 500, here);
        assert_eq!(
            small.message.as_ref(),
            &ServerMessage::Presence {
                joined: vec![n("ada")],
                left: vec![],
                count: 10,
                member_instances: BTreeMap::from([(n("ada"), "sl-1".to_owned())]),
            }
        );
        assert!(!small.replaceable);
        let large = delta.event(501, 500, here);
        assert!(large.replaceable);
        assert!(matches!(
            large.message.as_ref(),
            ServerMessage::Presence { joined, count: 501, .. } if joined.is_empty()
        ));
    }

    #[test]
    fn pages_cover_every_member_once() {
        let members: BTreeMap<DisplayName, String> = (0..250)
            .map(|i| (n(&format!("m{i:03}")), "i".to_owned()))
            .collect();
        let mut after = None;
        let mut seen = Vec::new();
        loop {
            let page = page(
                members
                    .range::<DisplayName, _>(super::after(after.as_ref()))
                    .map(|(k, v)| (k, v.as_str())),
                members.len(),
            );
            assert!(page.members.len() <= MEMBERS_PAGE);
            assert_eq!(page.count, 250);
            seen.extend(page.members);
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, members.keys().cloned().collect::<Vec<_>>());
    }
}
