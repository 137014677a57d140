//! What a storm's members saw, and what it adds up to: members closed,
//! messages lost, deliveries' latency, presence frames, the last welcome.
//!
//! Kept apart from the clocks and sockets so that the accounting, which
//! decides whether a storm meets its goals, is tested on its own.

use crate::stats::Latencies;

/// Marks a message a member never received.
pub const MISSING: u64 = u64::MAX;

/// How long before leaving a member no longer owes a message: one sent
/// less than this before the member left may still have been on its way.
pub const LEAVE_GRACE_NS: u64 = 1_000_000_000;

/// What one member saw; times in ns after the storm's epoch.
#[derive(Debug, Clone, Default)]
pub struct Member {
    /// When its `welcome` arrived, if it ever did.
    pub welcome_ns: Option<u64>,
    /// Why it could not join (refused, timed out, no welcome).
    pub join_error: Option<String>,
    /// Why the server closed it before it left, if it did.
    pub closed: Option<String>,
    /// When it stopped reading: its leave time, or when it was closed.
    pub end_ns: u64,
    /// Latency of each publisher message by index, [`MISSING`] if never
    /// seen.
    pub latency_ns: Vec<u64>,
    /// Frames other than room messages after the welcome.
    pub presence: u64,
    /// Error frames, unparseable frames, duplicates.
    pub anomalies: u64,
}

/// The storm's totals.
pub struct Outcome {
    /// Members closed by the server while they were reading.
    pub closed: u64,
    /// Members that never got in.
    pub join_failed: u64,
    /// Messages a member never got although it got a later one: a room
    /// delivers in order, so a gap is a message dropped.
    pub lost: u64,
    /// Messages a member was owed (sent after its welcome and at least
    /// [`LEAVE_GRACE_NS`] before it stopped reading) that had not arrived
    /// when it stopped, with nothing later arriving either: delivery fell
    /// more than a second behind, or stopped.
    pub late: u64,
    /// Messages members received.
    pub delivered: u64,
    /// Every delivery's latency.
    pub latency: Latencies,
    /// Presence frames, all members together.
    pub presence: u64,
    /// Anomalies, all members together.
    pub anomalies: u64,
    /// The last welcome, ns after the epoch.
    pub last_welcome_ns: Option<u64>,
}

/// Adds up the members, given when each publisher message was sent (ns
/// after the epoch, by index).
pub fn outcome(members: &[Member], sent_ns: &[u64]) -> Outcome {
    let mut out = Outcome {
        closed: 0,
        join_failed: 0,
        lost: 0,
        late: 0,
        delivered: 0,
        latency: Latencies::new(),
        presence: 0,
        anomalies: 0,
        last_welcome_ns: None,
    };
    for member in members {
        out.presence += member.presence;
        out.anomalies += member.anomalies;
        let Some(welcome) = member.welcome_ns else {
            out.join_failed += 1;
            continue;
        };
        out.closed += u64::from(member.closed.is_some());
        out.last_welcome_ns = out.last_welcome_ns.max(Some(welcome));
        let last_received = member.latency_ns.iter().rposition(|&l| l != MISSING);
        for (index, &sent) in sent_ns.iter().enumerate() {
            let got = member.latency_ns.get(index).copied().unwrap_or(MISSING);
            if got != MISSING {
                out.delivered += 1;
                out.latency.record_nanos(got);
            } else if sent > welcome && last_received.is_some_and(|last| index < last) {
                out.lost += 1;
            } else if sent > welcome && sent.saturating_add(LEAVE_GRACE_NS) < member.end_ns {
                out.late += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: u64 = 1_000_000_000;

    fn member(welcome: u64, end: u64, latency: Vec<u64>) -> Member {
        Member {
            welcome_ns: Some(welcome),
            end_ns: end,
            latency_ns: latency,
            ..Member::default()
        }
    }

    #[test]
    fn a_member_owes_only_what_was_sent_while_it_was_in() {
        // Sent at 1 s, 2 s, 3 s, 4 s, 5 s.
        let sent: Vec<u64> = (1..=5).map(|s| s * S).collect();
        // In from 1.5 s to 5 s: owes 2 s and 3 s (4 s is within the grace).
        let got_all = member(S + S / 2, 5 * S, vec![MISSING, 10, 10, MISSING, MISSING]);
        let behind = member(
            S + S / 2,
            5 * S,
            vec![MISSING, 10, MISSING, MISSING, MISSING],
        );
        let gap = member(
            S + S / 2,
            5 * S,
            vec![MISSING, MISSING, 10, MISSING, MISSING],
        );
        let out = outcome(&[got_all, behind, gap], &sent);
        // A gap is a loss; a message not yet there when the member left,
        // with nothing after it, is late.
        assert_eq!(out.lost, 1);
        assert_eq!(out.late, 1);
        assert_eq!(out.delivered, 4);
        assert_eq!(out.closed, 0);
        assert_eq!(out.last_welcome_ns, Some(S + S / 2));
    }

    #[test]
    fn closed_and_refused_members_are_counted_apart() {
        let sent = [S, 2 * S, 3 * S];
        let mut closed = member(S / 2, 3 * S + S / 2, vec![5, MISSING, MISSING]);
        closed.closed = Some("1013 too slow".into());
        closed.presence = 7;
        let refused = Member {
            join_error: Some("503".into()),
            presence: 1,
            ..Member::default()
        };
        let out = outcome(&[closed, refused], &sent);
        assert_eq!(out.closed, 1);
        assert_eq!(out.join_failed, 1);
        // Owed 1 s and 2 s (3 s is within the grace of 3.5 s): 2 s late.
        assert_eq!(out.lost, 0);
        assert_eq!(out.late, 1);
        assert_eq!(out.presence, 8);
        assert_eq!(out.latency.count(), 1);
    }
}
