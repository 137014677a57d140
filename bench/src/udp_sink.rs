//! `socketlab-bench udp-sink`: the UDP target of the datagram relay
//! benchmarks, which counts what reaches it.
//!
//! UDP has no acknowledgement, so a sender that has sent everything knows
//! nothing about delivery. The sink keeps a tally per source address (a
//! relay session has its own socket, so its own source port) and answers
//! a query datagram with it:
//!
//! - `D…`: data; counted (datagrams, bytes, the time of the first and
//!   last one).
//! - `Q`: a query; answered with [`Tally::encode`]: datagrams, bytes and
//!   the microseconds from the first to the last data datagram, three
//!   big-endian u64s. Queries may be lost too, so the sender asks again.

use std::collections::HashMap;
use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, Result};
use tokio::net::UdpSocket;
use tokio::time::Instant;

use crate::serve::ServeArgs;

/// The first byte of a data datagram.
pub const DATA: u8 = b'D';

/// The first byte of a query.
pub const QUERY: u8 = b'Q';

/// Length of an answer: three u64s.
pub const ANSWER: usize = 24;

/// Sources remembered at most; the oldest runs are forgotten beyond this.
const MAX_SOURCES: usize = 1024;

/// What reached the sink from one source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    /// Data datagrams received.
    pub datagrams: u64,
    /// Their bytes, the marker included.
    pub bytes: u64,
    /// From the first to the last data datagram, µs.
    pub span_us: u64,
}

impl Tally {
    /// The answer to a query.
    pub fn encode(&self) -> [u8; ANSWER] {
        let mut out = [0u8; ANSWER];
        out[..8].copy_from_slice(&self.datagrams.to_be_bytes());
        out[8..16].copy_from_slice(&self.bytes.to_be_bytes());
        out[16..].copy_from_slice(&self.span_us.to_be_bytes());
        out
    }

    /// Reads an answer back; `None` if it is not one.
    pub fn decode(answer: &[u8]) -> Option<Self> {
        let word = |at: usize| Some(u64::from_be_bytes(answer.get(at..at + 8)?.try_into().ok()?));
        (answer.len() == ANSWER).then_some(())?;
        Some(Self {
            datagrams: word(0)?,
            bytes: word(8)?,
            span_us: word(16)?,
        })
    }
}

/// One source's tally and its clock.
struct Source {
    tally: Tally,
    first: Instant,
}

/// Serves the sink until its lifetime ends.
pub async fn serve(args: ServeArgs) -> Result<()> {
    let socket = UdpSocket::bind(args.listen)
        .await
        .with_context(|| format!("cannot bind UDP {}", args.listen))?;
    let addr = socket.local_addr()?;
    {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "listening {addr}")?;
        stdout.flush()?;
    }
    let deadline = Instant::now() + Duration::from_secs(args.lifetime_secs);
    let mut sources: HashMap<SocketAddr, Source> = HashMap::new();
    let mut buffer = vec![0u8; 65_536];
    loop {
        let Ok(received) = tokio::time::timeout_at(deadline, socket.recv_from(&mut buffer)).await
        else {
            eprintln!("lifetime of {} s is over; exiting", args.lifetime_secs);
            return Ok(());
        };
        let (n, from) = match received {
            Ok(pair) => pair,
            // ICMP errors of earlier answers surface here; keep serving.
            Err(_) => continue,
        };
        match buffer[..n].first() {
            Some(&DATA) => {
                if sources.len() >= MAX_SOURCES && !sources.contains_key(&from) {
                    sources.clear();
                }
                let now = Instant::now();
                let source = sources.entry(from).or_insert(Source {
                    tally: Tally::default(),
                    first: now,
                });
                source.tally.datagrams += 1;
                source.tally.bytes += n as u64;
                source.tally.span_us = (now - source.first).as_micros() as u64;
            }
            Some(&QUERY) => {
                let tally = sources.get(&from).map(|s| s.tally).unwrap_or_default();
                let _ = socket.send_to(&tally.encode(), from).await;
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_reads_back_and_anything_else_does_not() {
        let tally = Tally {
            datagrams: 3,
            bytes: 3000,
            span_us: 1_000_001,
        };
        assert_eq!(Tally::decode(&tally.encode()), Some(tally));
        assert_eq!(Tally::decode(&tally.encode()[..23]), None);
        assert_eq!(Tally::decode(b"hello"), None);
    }
}
