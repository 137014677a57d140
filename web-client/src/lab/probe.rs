//! One round trip through `/ws/relay/tcp-echo`, as plain data.
//!
//! The page sends its bytes as one binary message; `tcp-echo` writes them
//! back, and the relay forwards whatever each read of the TCP socket
//! returned as a message of its own. TCP is a byte stream, so the answer
//! may come in several chunks: the probe collects them until as many bytes
//! came back as were sent, and only then judges.

use std::rc::Rc;

use yew::Reducible;

use crate::ws::{Payload, Received};

/// What the page is doing on the relay, and what came back.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Probe {
    /// The relay connection this probe runs on; `0` before the first run.
    pub connection: u32,
    /// The bytes to send (and expect back).
    pub sent: Vec<u8>,
    /// `performance.now()` when they were sent, once they were.
    pub sent_at: Option<f64>,
    /// Milliseconds from `connect` to the `open` event.
    pub connect_ms: Option<f64>,
    /// Every byte that came back, in order.
    pub received: Vec<u8>,
    /// The size of each chunk (WebSocket message) they came in.
    pub chunks: Vec<usize>,
    /// `performance.now()` of the last chunk.
    pub last_at: Option<f64>,
}

impl Probe {
    /// Whether as many bytes came back as were sent.
    pub fn is_complete(&self) -> bool {
        self.sent_at.is_some() && self.received.len() >= self.sent.len()
    }

    /// Bytes still expected.
    pub fn missing(&self) -> usize {
        self.sent.len().saturating_sub(self.received.len())
    }

    /// Once complete: whether the bytes came back exactly as sent.
    pub fn identical(&self) -> Option<bool> {
        self.is_complete().then(|| self.received == self.sent)
    }

    /// Once complete: milliseconds from sending to the last byte's arrival.
    pub fn rtt_ms(&self) -> Option<f64> {
        if !self.is_complete() {
            return None;
        }
        Some(self.last_at? - self.sent_at?)
    }
}

/// What happened on the relay connection.
#[derive(Debug, Clone, PartialEq)]
pub enum ProbeAction {
    /// A new relay connection was started to carry `bytes`.
    Start {
        /// Its number (`SocketStatus::connection`).
        connection: u32,
        /// What will be sent once it opens.
        bytes: Vec<u8>,
    },
    /// The socket opened after `connect_ms` and the bytes went out at `at`.
    Sent {
        /// `performance.now()` just before sending.
        at: f64,
        /// Milliseconds from `connect` to `open`.
        connect_ms: Option<f64>,
    },
    /// A message arrived.
    Chunk(Received),
}

impl Reducible for Probe {
    type Action = ProbeAction;

    fn reduce(self: Rc<Self>, action: ProbeAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ProbeAction::Start { connection, bytes } => {
                next = Probe {
                    connection,
                    sent: bytes,
                    ..Probe::default()
                };
            }
            ProbeAction::Sent { at, connect_ms } if self.sent_at.is_none() => {
                next.sent_at = Some(at);
                next.connect_ms = connect_ms;
            }
            ProbeAction::Chunk(Received {
                connection,
                payload: Payload::Binary(bytes),
                at_ms,
            }) if connection == self.connection && self.sent_at.is_some() => {
                next.chunks.push(bytes.len());
                next.received.extend_from_slice(&bytes);
                next.last_at = Some(at_ms);
            }
            // A text frame never comes from a relay; a chunk of another
            // connection or before sending is stale.
            _ => return self,
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(connection: u32, bytes: &[u8], at_ms: f64) -> ProbeAction {
        ProbeAction::Chunk(Received {
            connection,
            payload: Payload::Binary(bytes.to_vec()),
            at_ms,
        })
    }

    fn run(actions: impl IntoIterator<Item = ProbeAction>) -> Probe {
        let mut probe = Rc::new(Probe::default());
        for action in actions {
            probe = probe.reduce(action);
        }
        (*probe).clone()
    }

    fn started() -> Vec<ProbeAction> {
        vec![
            ProbeAction::Start {
                connection: 2,
                bytes: b"hello, socket".to_vec(),
            },
            ProbeAction::Sent {
                at: 100.0,
                connect_ms: Some(3.5),
            },
        ]
    }

    #[test]
    fn chunks_are_collected_until_every_byte_is_back() {
        let mut actions = started();
        actions.push(chunk(2, b"hello", 101.0));
        let probe = run(actions.clone());
        assert!(!probe.is_complete());
        assert_eq!(probe.missing(), 8);
        assert_eq!(probe.identical(), None);

        actions.push(chunk(2, b", socket", 102.5));
        let probe = run(actions);
        assert_eq!(probe.identical(), Some(true));
        assert_eq!(probe.chunks, [5, 8]);
        assert_eq!(probe.rtt_ms(), Some(2.5));
        assert_eq!(probe.connect_ms, Some(3.5));
    }

    #[test]
    fn different_bytes_are_judged_different() {
        let mut actions = started();
        actions.push(chunk(2, b"HELLO, SOCKET", 101.0));
        assert_eq!(run(actions).identical(), Some(false));
    }

    #[test]
    fn stale_and_textual_frames_are_ignored() {
        let mut actions = started();
        actions.push(chunk(1, b"hello, socket", 101.0));
        actions.push(ProbeAction::Chunk(Received {
            connection: 2,
            payload: Payload::Text("hello, socket".into()),
            at_ms: 101.0,
        }));
        let probe = run(actions);
        assert!(probe.received.is_empty());
        assert!(probe.chunks.is_empty());
    }

    #[test]
    fn nothing_counts_before_the_bytes_were_sent() {
        let probe = run([
            ProbeAction::Start {
                connection: 1,
                bytes: b"x".to_vec(),
            },
            chunk(1, b"x", 1.0),
        ]);
        assert!(!probe.is_complete());
        assert!(probe.received.is_empty());
    }
}
