//! The echo panel's log of round trips.
//!
//! The echo endpoint answers every frame in order, so the n-th reply on a
//! connection belongs to the n-th frame sent on it. This reducer pairs them
//! up (by connection, so a reconnect never pairs a new reply with an old
//! question) and leaves the view nothing to compute but text.

use std::rc::Rc;

use yew::Reducible;

use crate::ws::{Payload, Received};

/// The log keeps this many round trips; older ones scroll away.
const MAX_TRIPS: usize = 100;

/// A frame the page sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    /// The connection it was sent on (see `SocketStatus::connection`).
    pub connection: u32,
    /// What was sent.
    pub payload: Payload,
    /// `performance.now()` just before sending.
    pub at_ms: f64,
}

/// One line of the log: a frame sent, its echo, or both.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundTrip {
    /// What the page sent; `None` for a frame that arrived unasked.
    pub sent: Option<Sent>,
    /// What came back, once it has.
    pub reply: Option<Received>,
}

impl RoundTrip {
    /// Whether the echo equals what was sent (same kind, same bytes);
    /// `None` while the echo is still on its way.
    pub fn matched(&self) -> Option<bool> {
        let reply = self.reply.as_ref()?;
        Some(
            self.sent
                .as_ref()
                .is_some_and(|s| s.payload == reply.payload),
        )
    }

    /// Milliseconds from sending to receiving the echo.
    pub fn rtt_ms(&self) -> Option<f64> {
        Some(self.reply.as_ref()?.at_ms - self.sent.as_ref()?.at_ms)
    }
}

/// Every round trip so far, oldest first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EchoLog {
    /// The log's lines.
    pub trips: Vec<RoundTrip>,
}

/// What happened on the echo connection.
#[derive(Debug, Clone, PartialEq)]
pub enum EchoAction {
    /// The page sent a frame.
    Sent(Sent),
    /// A frame arrived.
    Received(Received),
}

impl Reducible for EchoLog {
    type Action = EchoAction;

    fn reduce(self: Rc<Self>, action: EchoAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            EchoAction::Sent(sent) => next.trips.push(RoundTrip {
                sent: Some(sent),
                reply: None,
            }),
            EchoAction::Received(reply) => {
                let waiting = next.trips.iter_mut().find(|trip| {
                    trip.reply.is_none()
                        && trip
                            .sent
                            .as_ref()
                            .is_some_and(|s| s.connection == reply.connection)
                });
                match waiting {
                    Some(trip) => trip.reply = Some(reply),
                    None => next.trips.push(RoundTrip {
                        sent: None,
                        reply: Some(reply),
                    }),
                }
            }
        }
        let excess = next.trips.len().saturating_sub(MAX_TRIPS);
        next.trips.drain(..excess);
        Rc::new(next)
    }
}

/// Bytes as space-separated lowercase hex pairs (`68 69`), the usual way
/// to look at binary data.
pub fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, &byte) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        push_hex(&mut out, byte);
    }
    out
}

/// Appends `byte` as two lowercase hex digits: written out rather than
/// with `{:02x}`, whose formatting machinery costs the page more bytes.
pub fn push_hex(out: &mut String, byte: u8) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.push(char::from(DIGITS[usize::from(byte >> 4)]));
    out.push(char::from(DIGITS[usize::from(byte & 15)]));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(connection: u32, text: &str, at_ms: f64) -> EchoAction {
        EchoAction::Sent(Sent {
            connection,
            payload: Payload::Text(text.into()),
            at_ms,
        })
    }

    fn received(connection: u32, payload: Payload, at_ms: f64) -> EchoAction {
        EchoAction::Received(Received {
            connection,
            payload,
            at_ms,
        })
    }

    fn run(actions: Vec<EchoAction>) -> EchoLog {
        let mut log = Rc::new(EchoLog::default());
        for action in actions {
            log = log.reduce(action);
        }
        (*log).clone()
    }

    #[test]
    fn replies_pair_with_sends_in_order() {
        let log = run(vec![
            sent(1, "a", 10.0),
            sent(1, "b", 11.0),
            received(1, Payload::Text("a".into()), 13.0),
            received(1, Payload::Binary(b"b".to_vec()), 14.0),
        ]);
        assert_eq!(log.trips[0].matched(), Some(true));
        assert_eq!(log.trips[0].rtt_ms(), Some(3.0));
        // Same bytes in a binary frame is not the same message.
        assert_eq!(log.trips[1].matched(), Some(false));
    }

    #[test]
    fn a_reply_on_a_new_connection_skips_unanswered_old_sends() {
        let log = run(vec![
            sent(1, "lost", 1.0),
            sent(2, "new", 2.0),
            received(2, Payload::Text("new".into()), 3.0),
        ]);
        assert_eq!(log.trips[0].matched(), None);
        assert_eq!(log.trips[1].matched(), Some(true));
    }

    #[test]
    fn an_unasked_frame_is_logged_as_a_mismatch() {
        let log = run(vec![received(1, Payload::Text("hi".into()), 1.0)]);
        assert_eq!(log.trips.len(), 1);
        assert_eq!(log.trips[0].matched(), Some(false));
        assert_eq!(log.trips[0].rtt_ms(), None);
    }

    #[test]
    fn the_log_is_bounded() {
        let log = run((0..MAX_TRIPS + 5).map(|i| sent(1, "x", i as f64)).collect());
        assert_eq!(log.trips.len(), MAX_TRIPS);
        assert_eq!(log.trips[0].sent.as_ref().unwrap().at_ms, 5.0);
    }

    #[test]
    fn hex_pairs() {
        assert_eq!(hex("hi 한".as_bytes()), "68 69 20 ed 95 9c");
        assert_eq!(hex(&[]), "");
    }
}
