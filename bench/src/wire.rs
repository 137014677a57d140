//! A lean WebSocket client for the load generators that must outrun the
//! server they measure.
//!
//! A load generator that costs as much per message as the server it drives
//! measures itself: on this two-core machine the server and the generator
//! get one core each, so the generator must be several times cheaper per
//! message than any server. tungstenite masks, frames and allocates every
//! message on the way out and builds a `Message` on the way in; here a
//! connection frames and masks its payload once ([`WireWs::frame`]), sends
//! copies of those bytes, and parses the replies in place, many per read.
//!
//! It is still a conforming client: a real opening handshake (with the
//! `Sec-WebSocket-Accept` check), masked frames, pongs for pings, and a
//! close frame at the end. It refuses what it does not need to understand
//! (fragmented messages, extensions) rather than guess.

use std::net::IpAddr;
use std::time::Duration;

use anyhow::{bail, ensure, Context, Result};
use base64::Engine as _;
use bytes::{Buf, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{guard, transport};

/// How long the opening handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest response head accepted.
const MAX_HEAD: usize = 16 * 1024;
/// The largest frame accepted from the server.
const MAX_FRAME: u64 = 64 * 1024 * 1024;
/// How much to read at once: many small frames per system call.
const READ_CHUNK: usize = 64 * 1024;

/// RFC 6455 opcodes the load generators meet.
pub mod opcode {
    /// A text message.
    pub const TEXT: u8 = 0x1;
    /// A binary message.
    pub const BINARY: u8 = 0x2;
    /// The closing handshake.
    pub const CLOSE: u8 = 0x8;
    /// A ping, answered with a pong.
    pub const PING: u8 = 0x9;
    /// A pong, ignored.
    pub const PONG: u8 = 0xA;
}

/// One client connection: a socket, what has been read but not parsed,
/// and what is queued to be written.
pub struct WireWs {
    stream: TcpStream,
    read: BytesMut,
    write: Vec<u8>,
    mask: [u8; 4],
}

impl WireWs {
    /// Opens a WebSocket to a loopback `ws://` URL with the opening
    /// handshake done by hand, checking the server's accept key.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_from(url, None).await
    }

    /// [`WireWs::connect`] from a chosen loopback source address.
    pub async fn connect_from(url: &str, source: Option<IpAddr>) -> Result<Self> {
        let addr = guard::ws_url_addr(url)?;
        let path = path_of(url)?;
        let handshake = async {
            let mut stream = transport::connect_tcp_from(addr, source).await?;
            let key = base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 16]>());
            let request = format!(
                "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n\
                 Sec-WebSocket-Version: 13\r\n\r\n"
            );
            stream.write_all(request.as_bytes()).await?;
            let mut read = BytesMut::with_capacity(READ_CHUNK);
            let head_len = loop {
                if let Some(end) = find(&read, b"\r\n\r\n") {
                    break end + 4;
                }
                ensure!(
                    read.len() < MAX_HEAD,
                    "the response head exceeds {MAX_HEAD} bytes"
                );
                if stream.read_buf(&mut read).await? == 0 {
                    bail!("the server closed the connection during the handshake");
                }
            };
            let head = String::from_utf8_lossy(&read[..head_len]).into_owned();
            check_response(&head, &key).with_context(|| format!("handshake with {url}"))?;
            read.advance(head_len);
            anyhow::Ok(Self {
                stream,
                read,
                write: Vec::with_capacity(READ_CHUNK),
                mask: rand::random(),
            })
        };
        tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake)
            .await
            .with_context(|| format!("opening {url} timed out"))?
    }

    /// One complete masked frame carrying `payload`, to be queued as often
    /// as needed with [`WireWs::queue`]: the masking is paid once.
    pub fn frame(&self, opcode: u8, payload: &[u8]) -> Vec<u8> {
        encode(opcode, payload, self.mask)
    }

    /// Queues bytes (whole frames) to be written by [`WireWs::flush`].
    pub fn queue(&mut self, frame: &[u8]) {
        self.write.extend_from_slice(frame);
    }

    /// Writes everything queued in as few system calls as the socket takes.
    pub async fn flush(&mut self) -> Result<()> {
        if !self.write.is_empty() {
            self.stream.write_all(&self.write).await?;
            self.write.clear();
        }
        Ok(())
    }

    /// Hands every complete text or binary message already received to
    /// `on_message` (opcode and payload), reading from the socket only when
    /// none is complete yet; returns how many there were (at least one).
    /// Bytes that came with the handshake response count too: a server may
    /// send its first message in the same segment as its `101`.
    ///
    /// Pings are answered (the pong goes out before the next wait). A close
    /// frame, a fragmented message or a closed socket is an error.
    pub async fn read_messages(&mut self, mut on_message: impl FnMut(u8, &[u8])) -> Result<usize> {
        loop {
            let delivered = self.parse_buffered(&mut on_message)?;
            if delivered > 0 {
                return Ok(delivered);
            }
            self.flush().await?;
            if self.read.capacity() - self.read.len() < READ_CHUNK / 4 {
                self.read.reserve(READ_CHUNK);
            }
            if self.stream.read_buf(&mut self.read).await? == 0 {
                bail!("the server closed the connection");
            }
        }
    }

    /// Parses the complete frames in the read buffer, delivering data
    /// messages and answering pings; returns how many were delivered.
    fn parse_buffered(&mut self, on_message: &mut impl FnMut(u8, &[u8])) -> Result<usize> {
        let mut delivered = 0;
        while let Some(head) = parse_head(&self.read)? {
            let total = head.header_len + head.payload_len;
            if self.read.len() < total {
                self.read.reserve(total - self.read.len());
                break;
            }
            let payload = &self.read[head.header_len..total];
            match head.opcode {
                opcode::TEXT | opcode::BINARY => {
                    on_message(head.opcode, payload);
                    delivered += 1;
                }
                opcode::PING => {
                    let pong = encode(opcode::PONG, payload, self.mask);
                    self.write.extend_from_slice(&pong);
                }
                opcode::PONG => {}
                opcode::CLOSE => bail!(
                    "the server closed the WebSocket: {}",
                    describe_close(payload)
                ),
                other => bail!("unexpected frame opcode {other:#x}"),
            }
            self.read.advance(total);
        }
        Ok(delivered)
    }

    /// Sends a close frame and waits briefly for the server's, so the
    /// server sees a clean close rather than a reset.
    pub async fn close(mut self) {
        let frame = encode(opcode::CLOSE, &1000u16.to_be_bytes(), self.mask);
        self.write.extend_from_slice(&frame);
        let _ = tokio::time::timeout(Duration::from_secs(1), self.drain_until_closed()).await;
    }

    /// Flushes, then reads until the server's close frame (an error here).
    async fn drain_until_closed(&mut self) -> Result<()> {
        self.flush().await?;
        loop {
            self.read_messages(|_, _| {}).await?;
        }
    }
}

/// The head of one server frame.
#[derive(Debug, PartialEq, Eq)]
struct FrameHead {
    opcode: u8,
    header_len: usize,
    payload_len: usize,
}

/// Parses a frame head at the start of `bytes`; `None` until all of the
/// head has arrived.
fn parse_head(bytes: &[u8]) -> Result<Option<FrameHead>> {
    let [first, second, ..] = *bytes else {
        return Ok(None);
    };
    ensure!(
        first & 0x70 == 0,
        "the server set reserved bits (no extension was agreed)"
    );
    ensure!(
        first & 0x80 != 0,
        "the server fragmented a message; the load generator does not reassemble"
    );
    ensure!(
        second & 0x80 == 0,
        "the server masked a frame (RFC 6455 5.1 forbids it)"
    );
    let (header_len, payload_len) = match second & 0x7f {
        126 => {
            let Some(len) = bytes.get(2..4) else {
                return Ok(None);
            };
            (4, u64::from(u16::from_be_bytes([len[0], len[1]])))
        }
        127 => {
            let Some(len) = bytes.get(2..10) else {
                return Ok(None);
            };
            (10, u64::from_be_bytes(len.try_into().expect("8 bytes")))
        }
        short => (2, u64::from(short)),
    };
    ensure!(
        payload_len <= MAX_FRAME,
        "a frame of {payload_len} bytes exceeds {MAX_FRAME}"
    );
    Ok(Some(FrameHead {
        opcode: first & 0x0f,
        header_len,
        payload_len: payload_len as usize,
    }))
}

/// A complete, masked client frame.
fn encode(opcode: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(payload.len() + 14);
    frame.push(0x80 | opcode);
    match payload.len() {
        len @ 0..=125 => frame.push(0x80 | len as u8),
        len @ 126..=0xffff => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(len as u16).to_be_bytes());
        }
        len => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&mask);
    frame.extend(
        payload
            .iter()
            .enumerate()
            .map(|(i, byte)| byte ^ mask[i % 4]),
    );
    frame
}

/// `code reason` of a close frame's payload, for error messages.
pub fn describe_close(payload: &[u8]) -> String {
    match payload {
        [high, low, reason @ ..] => format!(
            "{} {}",
            u16::from_be_bytes([*high, *low]),
            String::from_utf8_lossy(reason)
        ),
        _ => "no code".to_owned(),
    }
}

/// The path and query of a `ws://host:port/path` URL (`/` when absent).
fn path_of(url: &str) -> Result<String> {
    let rest = url.strip_prefix("ws://").with_context(|| {
        format!("`{url}` is not a ws:// URL (the load generators speak plain ws)")
    })?;
    Ok(match rest.find('/') {
        Some(slash) => rest[slash..].to_owned(),
        None => "/".to_owned(),
    })
}

/// Checks a handshake response: status 101 and the accept key that proves
/// the server computed it from our key.
fn check_response(head: &str, key: &str) -> Result<()> {
    let status = head.lines().next().unwrap_or_default();
    ensure!(
        status.starts_with("HTTP/1.1 101"),
        "the server answered `{status}` instead of 101 Switching Protocols"
    );
    let accept = head
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("sec-websocket-accept"))
        .map(|(_, value)| value.trim())
        .context("the response has no Sec-WebSocket-Accept")?;
    ensure!(
        accept == socketlab_shared::accept_key_for(key),
        "Sec-WebSocket-Accept `{accept}` does not match the key sent"
    );
    ensure!(
        !head
            .to_ascii_lowercase()
            .contains("sec-websocket-extensions"),
        "the server agreed an extension the load generator does not speak"
    );
    Ok(())
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_masked_and_sized_per_rfc_6455() {
        let mask = [1, 2, 3, 4];
        let small = encode(opcode::BINARY, b"abcd", mask);
        assert_eq!(&small[..6], &[0x82, 0x84, 1, 2, 3, 4]);
        assert_eq!(&small[6..], &[b'a' ^ 1, b'b' ^ 2, b'c' ^ 3, b'd' ^ 4]);
        let medium = encode(opcode::TEXT, &[0; 300], mask);
        assert_eq!(&medium[..4], &[0x81, 0x80 | 126, 1, 44]);
        let large = encode(opcode::BINARY, &[0; 70_000], mask);
        assert_eq!(large[1], 0x80 | 127);
        assert_eq!(large.len(), 70_000 + 14);
    }

    #[test]
    fn server_heads_parse_only_when_complete() {
        assert_eq!(parse_head(&[0x82]).unwrap(), None);
        assert_eq!(
            parse_head(&[0x82, 5]).unwrap(),
            Some(FrameHead {
                opcode: 2,
                header_len: 2,
                payload_len: 5
            })
        );
        assert_eq!(parse_head(&[0x81, 126, 1]).unwrap(), None);
        assert_eq!(
            parse_head(&[0x81, 126, 1, 0]).unwrap(),
            Some(FrameHead {
                opcode: 1,
                header_len: 4,
                payload_len: 256
            })
        );
        assert!(parse_head(&[0x02, 5]).is_err(), "fragments are refused");
        assert!(
            parse_head(&[0x82, 0x85]).is_err(),
            "masked server frames are refused"
        );
    }

    #[test]
    fn handshakes_need_101_and_the_right_accept_key() {
        let key = "dGhlIHNhbXBsZSBub25jZQ==";
        let good = "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\
                    sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
        check_response(good, key).unwrap();
        assert!(check_response(&good.replace("s3pP", "xxxx"), key).is_err());
        assert!(check_response("HTTP/1.1 403 Forbidden\r\n\r\n", key).is_err());
        assert_eq!(path_of("ws://127.0.0.1:1/ws/echo").unwrap(), "/ws/echo");
        assert_eq!(path_of("ws://127.0.0.1:1").unwrap(), "/");
    }

    /// A server may send its first message in the same segment as the
    /// `101` (the chat's `welcome` often does): it must be delivered
    /// without waiting for more bytes that may never come.
    #[tokio::test]
    async fn a_message_that_came_with_the_handshake_is_not_lost() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            while find(&request, b"\r\n\r\n").is_none() {
                let mut chunk = [0u8; 1024];
                let n = socket.read(&mut chunk).await.unwrap();
                request.extend_from_slice(&chunk[..n]);
            }
            let request = String::from_utf8(request).unwrap();
            let key = request
                .lines()
                .find_map(|line| line.strip_prefix("Sec-WebSocket-Key: "))
                .unwrap();
            let accept = socketlab_shared::accept_key_for(key);
            let mut reply = format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                 Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            )
            .into_bytes();
            reply.extend_from_slice(&[0x81, 5]);
            reply.extend_from_slice(b"hello");
            socket.write_all(&reply).await.unwrap();
            // Keep the connection open and silent.
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        let mut ws = WireWs::connect(&format!("ws://{addr}/")).await.unwrap();
        let mut got = Vec::new();
        let read = ws.read_messages(|kind, payload| got.push((kind, payload.to_vec())));
        tokio::time::timeout(Duration::from_secs(2), read)
            .await
            .expect("the buffered message was not delivered")
            .unwrap();
        assert_eq!(got, vec![(opcode::TEXT, b"hello".to_vec())]);
        server.abort();
    }
}
