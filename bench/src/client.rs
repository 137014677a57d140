//! The chat clients of the fan-out and the storms, and how they read what
//! a chat server sends.
//!
//! Two clients: the lean one ([`WireWs`]: many frames parsed in place per
//! read), which keeps the load generator cheaper than any server, and a
//! standard one: tokio-tungstenite's `WebSocketStream`, read with
//! `next().await` one message at a time, as an application reads. A
//! server that keeps up only with a reader faster than real clients does
//! not keep up, so every chat series can be run with either
//! (`--client`), and results name the client they were measured with.
//!
//! Frames are classified, not fully understood ([`classify`]): a room
//! message counts, an error is an anomaly, and every other frame the
//! server sends (`joined`, `left`, a coalesced `presence`, whatever the
//! protocol grows next) counts as presence, so the same client measures
//! today's server, tomorrow's, and the Bun peer.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use anyhow::{bail, Result};
use futures_util::{SinkExt, StreamExt};
use socketlab_shared::{ChatMessage, ServerMessage};
use tokio_tungstenite::tungstenite::Message;

use crate::transport::{self, Ws};
use crate::wire::{describe_close, opcode, WireWs};

/// Which client a chat series reads with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
pub enum ClientKind {
    /// The lean client in bench/src/wire.rs.
    Lean,
    /// tokio-tungstenite, one `next().await` per message.
    Standard,
}

impl ClientKind {
    /// Its name in results and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            ClientKind::Lean => "lean",
            ClientKind::Standard => "standard",
        }
    }
}

impl fmt::Display for ClientKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One open chat connection.
pub enum ChatClient {
    /// The lean client.
    Lean(WireWs),
    /// The standard client.
    Standard(Box<Ws>),
}

impl ChatClient {
    /// Opens `url` (a loopback `ws://` URL with room and name) with the
    /// `kind` of client, from `source` if given.
    pub async fn connect(kind: ClientKind, url: &str, source: Option<IpAddr>) -> Result<Self> {
        Ok(match kind {
            ClientKind::Lean => ChatClient::Lean(WireWs::connect_from(url, source).await?),
            ClientKind::Standard => ChatClient::Standard(Box::new(
                transport::connect_ws_from(url, None, source).await?,
            )),
        })
    }

    /// Waits for text frames and hands each to `on_text`; returns how many
    /// (at least one). The lean client hands over all that one read
    /// brought, the standard one a single message, as an application's
    /// `while let Some(message) = ws.next().await` loop sees them. Pings
    /// are answered by both. A close frame or a closed socket is an error
    /// naming the close code and reason.
    pub async fn read_text(&mut self, mut on_text: impl FnMut(&[u8])) -> Result<usize> {
        match self {
            ChatClient::Lean(ws) => {
                let mut texts = 0;
                ws.read_messages(|kind, payload| {
                    if kind == opcode::TEXT {
                        on_text(payload);
                        texts += 1;
                    }
                })
                .await?;
                Ok(texts)
            }
            ChatClient::Standard(ws) => loop {
                match ws.next().await {
                    Some(Ok(Message::Text(text))) => {
                        on_text(text.as_bytes());
                        return Ok(1);
                    }
                    Some(Ok(Message::Close(frame))) => bail!(
                        "the server closed the WebSocket: {}",
                        frame.map_or_else(
                            || "no code".to_owned(),
                            |frame| {
                                let mut payload = u16::from(frame.code).to_be_bytes().to_vec();
                                payload.extend_from_slice(frame.reason.as_bytes());
                                describe_close(&payload)
                            }
                        )
                    ),
                    Some(Ok(_)) => continue,
                    Some(Err(err)) => bail!("reading from the server failed: {err}"),
                    None => bail!("the server closed the connection"),
                }
            },
        }
    }

    /// Sends one text frame (the lean client writes it at once).
    pub async fn send_text(&mut self, text: &str) -> Result<()> {
        match self {
            ChatClient::Lean(ws) => {
                let frame = ws.frame(opcode::TEXT, text.as_bytes());
                ws.queue(&frame);
                ws.flush().await
            }
            ChatClient::Standard(ws) => Ok(ws.send(Message::text(text)).await?),
        }
    }

    /// Leaves with a close handshake, waiting at most a second for the
    /// server's answer.
    pub async fn close(self) {
        match self {
            ChatClient::Lean(ws) => ws.close().await,
            ChatClient::Standard(mut ws) => {
                let _ =
                    tokio::time::timeout(Duration::from_secs(1), Ws::close(&mut ws, None)).await;
            }
        }
    }
}

/// What a chat server's text frame is to the benchmarks.
#[derive(Debug, PartialEq)]
pub enum Frame {
    /// The first frame after joining, with the instance it names, if any.
    Welcome(Option<(String, String)>),
    /// A room message.
    Message(ChatMessage),
    /// An error frame: the server refused something the client sent.
    Error,
    /// Any other frame with a `type`: presence, a pong, a type this
    /// harness does not know.
    Other,
    /// Not a JSON object with a `type`: a broken server.
    Garbage,
}

/// Classifies a text frame: with the shared protocol's parser first, so
/// the harness reads exactly the frames the server writes, then by its
/// `type` alone for frames this build of the protocol does not know (a
/// newer server's presence, the Bun peer's welcome with extra fields).
pub fn classify(payload: &[u8]) -> Frame {
    let Ok(text) = std::str::from_utf8(payload) else {
        return Frame::Garbage;
    };
    match ServerMessage::parse(text) {
        Ok(ServerMessage::Welcome { instance, .. }) => {
            return Frame::Welcome(instance.map(|i| (i.id, i.bus)))
        }
        Ok(ServerMessage::Message(message)) => return Frame::Message(message),
        Ok(ServerMessage::Error { .. }) => return Frame::Error,
        Ok(_) => return Frame::Other,
        Err(_) => {}
    }
    let kind = serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|value| value.get("type")?.as_str().map(str::to_owned));
    match kind.as_deref() {
        // A message or an error that the protocol's parser refused is
        // malformed, not merely new.
        None | Some("message" | "error") => Frame::Garbage,
        Some("welcome") => Frame::Welcome(None),
        Some(_) => Frame::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_classified_without_knowing_every_type() {
        let message =
            classify(br#"{"type":"message","room":"r","from":"p","text":"1 2","seq":3,"ts_ms":4}"#);
        assert!(
            matches!(&message, Frame::Message(m) if m.text == "1 2" && m.seq == 3),
            "{message:?}"
        );
        assert_eq!(classify(br#"{"type":"joined","name":"s2"}"#), Frame::Other);
        assert_eq!(
            classify(br#"{"type":"presence","joined":["a"],"left":[],"count":3}"#),
            Frame::Other
        );
        assert_eq!(
            classify(br#"{"type":"welcome","you":"s1","room":"r","members":["s1"],"history":[]}"#),
            Frame::Welcome(None)
        );
        // A welcome of another shape (counts, pages) is still a welcome.
        assert_eq!(
            classify(br#"{"type":"welcome","you":"s1","count":9}"#),
            Frame::Welcome(None)
        );
        assert_eq!(
            classify(br#"{"type":"error","code":"bad_json","message":"x"}"#),
            Frame::Error
        );
        assert_eq!(
            classify(br#"{"type":"message","text":"no seq"}"#),
            Frame::Garbage
        );
        assert_eq!(classify(b"not json"), Frame::Garbage);
        assert_eq!(classify(b"\xff"), Frame::Garbage);
    }

    #[test]
    fn sources_spread_over_loopback_addresses() {
        assert_eq!(transport::source_ip(5, 1), None);
        assert_eq!(
            transport::source_ip(0, 4),
            Some("127.0.0.1".parse().unwrap())
        );
        assert_eq!(
            transport::source_ip(5, 4),
            Some("127.0.0.2".parse().unwrap())
        );
    }
}
