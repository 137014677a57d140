//! The TCP targets that relays deliver to: a counting sink and an echo.
//!
//! A sender that has *written* everything has proved nothing: its bytes may
//! still sit in its own socket buffer, in the relay's buffers, or in the
//! kernel. So the sink acknowledges what it has *read*, and a throughput
//! run stops its clock only when the sink has acknowledged the last byte.
//!
//! The sink protocol: the client first sends `ack_every` as a big-endian
//! u64; then data. Whenever the bytes read (after the header) cross a
//! multiple of `ack_every`, the sink writes that multiple back as a
//! big-endian u64. Senders send whole multiples of `ack_every`, so the
//! last acknowledgement equals the total.

use anyhow::{ensure, Result};
use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::serve::{self, ServeArgs};

/// Length of the header and of each acknowledgement.
pub const WORD: usize = 8;

/// The smallest acknowledgement interval: acknowledging every message
/// would make the sink's replies part of what is measured.
pub const MIN_BATCH: u64 = 1024 * 1024;

/// The header announcing the acknowledgement interval.
pub fn header(ack_every: u64) -> [u8; WORD] {
    ack_every.to_be_bytes()
}

/// The acknowledgement interval for messages of `size` bytes: the smallest
/// multiple of `size` that is at least 1 MiB, so a run can always end on a
/// message boundary that the sink will acknowledge.
pub fn batch_bytes(size: usize) -> u64 {
    let size = size.max(1) as u64;
    size * MIN_BATCH.div_ceil(size)
}

/// The sink's side of the protocol: counts bytes, says when to acknowledge.
#[derive(Debug)]
pub struct AckCounter {
    /// The interval the client asked for.
    every: u64,
    /// Bytes read so far.
    received: u64,
    /// The last value acknowledged.
    acked: u64,
}

impl AckCounter {
    /// A counter for acknowledgements every `every` bytes (at least 1).
    pub fn new(every: u64) -> Self {
        Self {
            every: every.max(1),
            received: 0,
            acked: 0,
        }
    }

    /// Counts `n` more bytes; returns the value to acknowledge if a
    /// multiple of the interval was crossed (the latest one only, since
    /// acknowledgements are cumulative).
    pub fn add(&mut self, n: u64) -> Option<u64> {
        self.received += n;
        let due = self.received - self.received % self.every;
        (due > self.acked).then(|| {
            self.acked = due;
            due
        })
    }
}

/// The sender's side: turns the acknowledgement byte stream (which a relay
/// may split anywhere) back into numbers.
#[derive(Debug, Default)]
pub struct AckReader {
    /// The latest acknowledgement.
    last: Option<u64>,
}

impl AckReader {
    /// Consumes every complete acknowledgement in `buffer`, leaving a
    /// partial one for the next call.
    pub fn push(&mut self, buffer: &mut BytesMut) {
        while buffer.len() >= WORD {
            self.last = Some(buffer.get_u64());
        }
    }

    /// The highest byte count the sink has acknowledged.
    pub fn last(&self) -> Option<u64> {
        self.last
    }
}

/// `socketlab-bench sink`: serves the sink protocol until its lifetime ends.
pub async fn serve_sink(args: ServeArgs) -> Result<()> {
    let listener = serve::bind(&args).await?;
    serve::accept_loop(listener, &args, sink_connection).await
}

/// One sink connection: header, then count and acknowledge until EOF.
async fn sink_connection(mut stream: TcpStream) -> Result<()> {
    let mut header = [0u8; WORD];
    stream.read_exact(&mut header).await?;
    let every = u64::from_be_bytes(header);
    ensure!(every > 0, "the acknowledgement interval must not be 0");
    let mut counter = AckCounter::new(every);
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = stream.read(&mut buffer).await?;
        if n == 0 {
            return Ok(());
        }
        if let Some(ack) = counter.add(n as u64) {
            stream.write_all(&ack.to_be_bytes()).await?;
        }
    }
}

/// `socketlab-bench tcp-echo`: writes back every byte it reads, the target
/// of the relay's echo mode and of its round-trip measurement.
pub async fn serve_echo(args: ServeArgs) -> Result<()> {
    let listener = serve::bind(&args).await?;
    serve::accept_loop(listener, &args, |mut stream: TcpStream| async move {
        let (mut read, mut write) = stream.split();
        tokio::io::copy(&mut read, &mut write).await?;
        Ok(())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_whole_messages_of_at_least_a_mebibyte() {
        assert_eq!(batch_bytes(65_536), 1 << 20);
        assert_eq!(batch_bytes(4096), 1 << 20);
        assert_eq!(batch_bytes(1000), 1_049_000);
        assert_eq!(batch_bytes(3 << 20), 3 << 20);
        assert_eq!(batch_bytes(0), 1 << 20);
    }

    #[test]
    fn the_sink_acknowledges_each_crossed_multiple_once() {
        let mut counter = AckCounter::new(100);
        assert_eq!(counter.add(99), None);
        assert_eq!(counter.add(1), Some(100));
        assert_eq!(counter.add(50), None);
        // A read that crosses two multiples acknowledges the latest.
        assert_eq!(counter.add(260), Some(400));
        assert_eq!(counter.add(0), None);
    }

    #[test]
    fn acknowledgements_split_anywhere_are_reassembled() {
        let mut stream = Vec::new();
        for value in [1u64 << 20, 2 << 20, 3 << 20] {
            stream.extend_from_slice(&value.to_be_bytes());
        }
        let mut reader = AckReader::default();
        let mut buffer = BytesMut::new();
        for piece in stream.chunks(5) {
            buffer.extend_from_slice(piece);
            reader.push(&mut buffer);
        }
        assert_eq!(reader.last(), Some(3 << 20));
        assert!(buffer.is_empty());
    }
}
