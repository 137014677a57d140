//! What the fan-out's subscribers saw: each one's deliveries, tallied
//! frame by frame, and their sum over the room.

use std::collections::BTreeSet;

use crate::client::{classify, Frame};
use crate::stats::Latencies;

/// The publisher's chat name; subscribers count only its messages.
pub const PUBLISHER: &str = "bench-pub";

/// Marks a message a subscriber never received.
pub const MISSING: u64 = u64::MAX;

/// Where one subscriber landed, from its `welcome`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Landed {
    /// The instance's id.
    pub instance: String,
    /// The instance's bus.
    pub bus: String,
}

/// The text of message `index`, sent `sent_ns` after the run's epoch.
pub fn message_text(index: u32, sent_ns: u64) -> String {
    format!("{index} {sent_ns}")
}

/// Reads back [`message_text`].
pub fn parse_message_text(text: &str) -> Option<(u32, u64)> {
    let (index, sent) = text.split_once(' ')?;
    Some((index.parse().ok()?, sent.parse().ok()?))
}

/// What one subscriber saw.
pub struct Deliveries {
    /// Latency in ns of each message by index, [`MISSING`] if never seen.
    pub latency_ns: Vec<u64>,
    /// When the last delivery arrived, ns after the epoch.
    pub last_at_ns: u64,
    /// Messages seen twice or out of order, and error frames.
    pub anomalies: u64,
    /// Frames other than room messages after the `welcome` (presence,
    /// whatever its shape).
    pub presence: u64,
    /// Why the server closed this subscriber before it had every
    /// message, if it did.
    pub closed: Option<String>,
    /// The server closed it after it had every message (while the room
    /// was emptying): not a loss, but worth knowing.
    pub closed_late: bool,
    /// Where it landed, if its `welcome` said (older servers do not).
    pub landed: Option<Landed>,
}

/// A subscriber's running count of what it has received.
pub struct Tally {
    /// What it has seen so far.
    pub deliveries: Deliveries,
    /// Distinct publisher messages received.
    pub received: u32,
    /// The highest message index seen, to spot reordering.
    highest: Option<u32>,
}

impl Tally {
    /// A subscriber that has seen none of `messages` messages yet.
    pub fn new(messages: u32) -> Self {
        Self {
            deliveries: Deliveries {
                latency_ns: vec![MISSING; messages as usize],
                last_at_ns: 0,
                anomalies: 0,
                presence: 0,
                closed: None,
                closed_late: false,
                landed: None,
            },
            received: 0,
            highest: None,
        }
    }

    /// Records one text frame that arrived `at_ns` after the epoch.
    pub fn record(&mut self, payload: &[u8], at_ns: u64) {
        let deliveries = &mut self.deliveries;
        let text = match classify(payload) {
            Frame::Message(message) if message.from.as_str() == PUBLISHER => message.text,
            Frame::Message(_) => return,
            Frame::Error | Frame::Garbage => {
                deliveries.anomalies += 1;
                return;
            }
            Frame::Welcome(_) | Frame::Other => {
                deliveries.presence += 1;
                return;
            }
        };
        let Some((index, sent_ns)) = parse_message_text(&text) else {
            deliveries.anomalies += 1;
            return;
        };
        let Some(slot) = deliveries.latency_ns.get_mut(index as usize) else {
            deliveries.anomalies += 1;
            return;
        };
        if *slot != MISSING || self.highest.is_some_and(|h| index <= h) {
            deliveries.anomalies += 1;
        }
        if *slot == MISSING {
            *slot = at_ns.saturating_sub(sent_ns);
            self.received += 1;
        }
        self.highest = self.highest.max(Some(index));
        deliveries.last_at_ns = at_ns;
    }
}

/// How many distinct instances the subscribers landed on, and the bus
/// they share (`mixed` if they disagree); `None` when no `welcome` named
/// an instance.
pub fn spanned(results: &[Deliveries]) -> (Option<u32>, Option<String>) {
    let landed: BTreeSet<&Landed> = results.iter().filter_map(|r| r.landed.as_ref()).collect();
    if landed.is_empty() {
        return (None, None);
    }
    let instances: BTreeSet<&str> = landed.iter().map(|l| l.instance.as_str()).collect();
    let buses: BTreeSet<&str> = landed.iter().map(|l| l.bus.as_str()).collect();
    let bus = match buses.into_iter().collect::<Vec<_>>().as_slice() {
        [one] => (*one).to_owned(),
        _ => "mixed".to_owned(),
    };
    (Some(instances.len() as u32), Some(bus))
}

/// Everything the subscribers saw, combined.
pub struct Summary {
    /// Every delivery's latency.
    pub all: Latencies,
    /// Per message, the latency of the subscriber that got it last.
    pub slowest: Latencies,
    /// Deliveries that arrived.
    pub delivered: u64,
    /// Deliveries that did not.
    pub lost: u64,
    /// Duplicates, reordering and error frames.
    pub anomalies: u64,
    /// Frames other than room messages, all subscribers together.
    pub presence: u64,
    /// Subscribers the server closed (or that never joined).
    pub closed: u64,
    /// The last delivery, ns after the epoch.
    pub last_at_ns: u64,
}

/// Combines the subscribers' deliveries of `messages` messages.
pub fn summarize(results: &[Deliveries], messages: usize) -> Summary {
    let mut summary = Summary {
        all: Latencies::new(),
        slowest: Latencies::new(),
        delivered: 0,
        lost: 0,
        anomalies: 0,
        presence: 0,
        closed: 0,
        last_at_ns: 0,
    };
    let mut slowest = vec![0u64; messages];
    for result in results {
        summary.anomalies += result.anomalies;
        summary.presence += result.presence;
        summary.closed += u64::from(result.closed.is_some());
        summary.last_at_ns = summary.last_at_ns.max(result.last_at_ns);
        for (index, &latency) in result.latency_ns.iter().enumerate() {
            if latency == MISSING {
                summary.lost += 1;
            } else {
                summary.delivered += 1;
                summary.all.record_nanos(latency);
                slowest[index] = slowest[index].max(latency);
            }
        }
    }
    for latency in slowest.into_iter().filter(|&latency| latency > 0) {
        summary.slowest.record_nanos(latency);
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_texts_round_trip() {
        assert_eq!(
            parse_message_text(&message_text(7, 123_456)),
            Some((7, 123_456))
        );
        assert_eq!(parse_message_text("hello"), None);
        assert_eq!(parse_message_text("1 x"), None);
    }

    #[test]
    fn publisher_messages_count_and_every_other_frame_is_presence() {
        let mut tally = Tally::new(2);
        let say = |index: u32| {
            format!(
                r#"{{"type":"message","room":"r","from":"{PUBLISHER}","text":"{}","seq":{index},"ts_ms":4}}"#,
                message_text(index, 100)
            )
        };
        tally.record(say(0).as_bytes(), 1_100);
        tally.record(br#"{"type":"joined","name":"s2"}"#, 1_200);
        tally.record(
            br#"{"type":"presence","joined":[],"left":["s2"],"count":1}"#,
            1_300,
        );
        tally.record(
            br#"{"type":"message","room":"r","from":"s9","text":"hi","seq":9,"ts_ms":4}"#,
            1_400,
        );
        tally.record(say(1).as_bytes(), 1_500);
        tally.record(b"not json", 1_600);
        assert_eq!(tally.received, 2);
        assert_eq!(tally.deliveries.latency_ns, [1_000, 1_400]);
        assert_eq!(tally.deliveries.presence, 2);
        assert_eq!(tally.deliveries.anomalies, 1);
    }

    #[test]
    fn the_instances_and_bus_come_from_the_welcomes() {
        let landed = |instance: &str, bus: &str| Deliveries {
            latency_ns: Vec::new(),
            last_at_ns: 0,
            anomalies: 0,
            presence: 0,
            closed: None,
            closed_late: false,
            landed: Some(Landed {
                instance: instance.into(),
                bus: bus.into(),
            }),
        };
        let two = [
            landed("a", "nats"),
            landed("b", "nats"),
            landed("a", "nats"),
        ];
        assert_eq!(spanned(&two), (Some(2), Some("nats".into())));
        assert_eq!(spanned(&two[..1]), (Some(1), Some("nats".into())));
        let odd = [landed("a", "nats"), landed("b", "local")];
        assert_eq!(spanned(&odd), (Some(2), Some("mixed".into())));
        let mut unknown = landed("a", "local");
        unknown.landed = None;
        assert_eq!(spanned(&[unknown]), (None, None));
    }

    #[test]
    fn loss_and_the_slowest_receiver_are_counted_per_message() {
        let results = [
            Deliveries {
                latency_ns: vec![1_000, 2_000, MISSING],
                last_at_ns: 50,
                anomalies: 0,
                presence: 3,
                closed: None,
                closed_late: false,
                landed: None,
            },
            Deliveries {
                latency_ns: vec![3_000, 1_000, 5_000],
                last_at_ns: 70,
                anomalies: 1,
                presence: 4,
                closed: Some("1013".into()),
                closed_late: false,
                landed: None,
            },
        ];
        let summary = summarize(&results, 3);
        assert_eq!(summary.delivered, 5);
        assert_eq!(summary.lost, 1);
        assert_eq!(summary.closed, 1);
        assert_eq!(summary.anomalies, 1);
        assert_eq!(summary.presence, 7);
        assert_eq!(summary.last_at_ns, 70);
        assert_eq!(summary.slowest.count(), 3);
        // Slowest per message: 3, 2 and 5 µs.
        assert_eq!(summary.slowest.summary().unwrap().max_us, 5.0);
        assert_eq!(summary.slowest.summary().unwrap().p50_us, 3.0);
    }
}
