//! One chat client's connection, from `welcome` to close.
//!
//! A single task owns the socket and `select!`s over three sources: the
//! client's frames, the room's events and the shutdown signal. Room events
//! are written with `feed` and flushed once per burst, so a busy room costs
//! one syscall per burst rather than one per message.

use std::time::Duration;

use futures_util::SinkExt;
use socketlab_shared::close;
use socketlab_shared::{ClientMessage, ErrorCode, ProtocolError, ServerMessage};
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::tungstenite::{self, Message};

use super::bus::{Membership, RoomEvent};
use crate::service::limits::{Strikes, TokenBucket};
use crate::shutdown::Shutdown;
use crate::telemetry::{MessageCounters, Metrics};
use crate::transport::websocket::{
    self, KeepAlive, KeepAliveAction, KeepAliveConfig, SendError, WebSocket,
};

/// Most queued events written before one flush.
const BURST: usize = 64;

/// Rate-limited frames tolerated within [`ABUSE_WINDOW`] before close 1008.
const ABUSE_STRIKES: usize = 50;
/// The window over which rate-limit strikes are counted.
const ABUSE_WINDOW: Duration = Duration::from_secs(10);

/// Per-connection limits of a chat session.
#[derive(Debug, Clone)]
pub struct ChatLimits {
    /// How long one write may take.
    pub send_timeout: Duration,
    /// Sustained frames per second.
    pub rate: f64,
    /// Frames allowed at once.
    pub burst: u32,
    /// Ping schedule.
    pub keepalive: KeepAliveConfig,
    /// This server instance, named in the welcome.
    pub instance: socketlab_shared::InstanceInfo,
}

/// How a chat session ended, for the log.
#[derive(Debug)]
enum End {
    ClientClosed(Option<u16>),
    Shutdown,
    TooSlow(u64),
    Lost(SendError),
    ClientError(tungstenite::Error),
    Abuse,
    Silent,
}

/// A session's per-connection state besides the socket.
struct Session<'a> {
    membership: &'a mut Membership,
    shutdown: &'a Shutdown,
    limits: ChatLimits,
    bucket: TokenBucket,
    strikes: Strikes,
    keepalive: KeepAlive,
    counters: MessageCounters,
    client_code: Option<u16>,
}

/// Runs one chat connection until it ends; returns its close code.
pub async fn run(
    mut ws: WebSocket,
    mut membership: Membership,
    shutdown: Shutdown,
    limits: ChatLimits,
    metrics: Metrics,
) -> Option<u16> {
    let send_timeout = limits.send_timeout;
    let you = membership.you.clone();
    let room = membership.room.clone();
    tracing::debug!(%room, %you, "chat member joined");

    let welcome = Message::text(membership.welcome(&limits.instance).to_json());
    let end = match websocket::send(&mut ws, welcome, send_timeout).await {
        Err(err) => End::Lost(err),
        Ok(()) => {
            let mut session = Session {
                membership: &mut membership,
                shutdown: &shutdown,
                bucket: TokenBucket::new(limits.rate, limits.burst),
                strikes: Strikes::new(ABUSE_STRIKES, ABUSE_WINDOW),
                keepalive: KeepAlive::new(limits.keepalive),
                limits,
                counters: metrics.message_counters("chat"),
                client_code: None,
            };
            session.serve(&mut ws).await
        }
    };
    // Leave the room before the (possibly slow) close handshake, so the
    // others see `left` at once.
    drop(membership);
    let code = match &end {
        End::Shutdown => {
            websocket::close(&mut ws, close::GOING_AWAY, "server shutting down").await;
            Some(close::GOING_AWAY)
        }
        End::TooSlow(missed) => {
            let reason = format!("too slow: missed {missed} room events");
            websocket::close(&mut ws, close::TRY_AGAIN_LATER, &reason).await;
            Some(close::TRY_AGAIN_LATER)
        }
        End::ClientError(err) => websocket::close_after_error(&mut ws, err).await,
        End::Abuse => {
            websocket::close(
                &mut ws,
                close::POLICY_VIOLATION,
                "sending too fast, repeatedly",
            )
            .await;
            Some(close::POLICY_VIOLATION)
        }
        End::Silent => {
            websocket::close(&mut ws, close::GOING_AWAY, "no answer to ping").await;
            Some(close::GOING_AWAY)
        }
        End::Lost(err) => {
            tracing::debug!(%room, %you, "chat connection lost: {err}");
            None
        }
        End::ClientClosed(code) => *code,
    };
    tracing::debug!(%room, %you, ?end, "chat member left");
    code
}

impl Session<'_> {
    async fn serve(&mut self, ws: &mut WebSocket) -> End {
        // One shutdown future for the whole session, rather than a new one
        // (registered and unregistered with the token) on every event.
        let shutdown = Shutdown::begun(self.shutdown);
        tokio::pin!(shutdown);
        let reading = websocket::ReadGate::new();
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => return End::Shutdown,
                event = self.membership.events.recv() => {
                    match forward(ws, self.membership, event, self.limits.send_timeout).await {
                        Ok(sent) => {
                            self.counters.outbound.inc_by(sent);
                        }
                        Err(end) => return end,
                    }
                }
                action = self.keepalive.due() => {
                    let ping = match action {
                        KeepAliveAction::Ping => Message::Ping(Default::default()),
                        KeepAliveAction::Dead => return End::Silent,
                    };
                    if let Err(err) = websocket::send(ws, ping, self.limits.send_timeout).await {
                        return End::Lost(err);
                    }
                }
                frame = reading.next(ws) => {
                    self.keepalive.heard();
                    let reply = match frame {
                        None => return End::ClientClosed(self.client_code),
                        Some(Err(err)) => return End::ClientError(err),
                        Some(Ok(frame)) => match self.handle_frame(frame).await {
                            Ok(reply) => reply,
                            Err(end) => return end,
                        },
                    };
                    if let Some(reply) = reply {
                        self.counters.outbound.inc();
                        let reply = Message::text(reply.to_json());
                        if let Err(err) = websocket::send(ws, reply, self.limits.send_timeout).await {
                            return End::Lost(err);
                        }
                    }
                }
            }
        }
    }

    /// Acts on one client frame; returns the reply to send, if any.
    async fn handle_frame(&mut self, frame: Message) -> Result<Option<ServerMessage>, End> {
        let text =
            match frame {
                Message::Text(text) => text,
                Message::Binary(_) => return Ok(Some(
                    ProtocolError::new(
                        ErrorCode::BinaryNotSupported,
                        "chat speaks JSON text frames; send {\"type\":\"say\",\"text\":\"...\"}",
                    )
                    .into(),
                )),
                // tungstenite answers the close, then ends the stream.
                Message::Close(frame) => {
                    self.client_code = frame.map(|f| u16::from(f.code));
                    return Ok(None);
                }
                // tungstenite answers pings itself.
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => return Ok(None),
            };
        self.counters.inbound.inc();
        if !self.bucket.try_take() {
            if self.strikes.strike() {
                return Err(End::Abuse);
            }
            return Ok(Some(
                ProtocolError::new(
                    ErrorCode::RateLimited,
                    format!(
                        "slow down: at most {} messages per second (bursts of {}); this one was dropped",
                        self.limits.rate, self.limits.burst
                    ),
                )
                .into(),
            ));
        }
        match ClientMessage::parse(&text) {
            Err(err) => Ok(Some(err.into())),
            Ok(ClientMessage::Ping { id }) => Ok(Some(ServerMessage::Pong { id })),
            Ok(ClientMessage::Say { text }) => match self.membership.seat.say(text).await {
                // The sender's copy arrives through the room, like everyone's.
                Ok(()) => Ok(None),
                Err(err) => Ok(Some(
                    ProtocolError::new(ErrorCode::Unavailable, err.to_string()).into(),
                )),
            },
        }
    }
}

/// Writes one room event, plus whatever else is already queued, then flushes.
async fn forward(
    ws: &mut WebSocket,
    membership: &mut Membership,
    first: Result<RoomEvent, RecvError>,
    send_timeout: Duration,
) -> Result<u64, End> {
    let mut next = Some(first);
    let mut written: u64 = 0;
    let burst = async {
        while let Some(event) = next.take() {
            match event {
                Ok(event) => ws.feed(Message::Text(event.frame)).await?,
                Err(RecvError::Lagged(missed)) => return Ok(Err(End::TooSlow(missed))),
                // The room is gone: only happens when the bus shuts down.
                Err(RecvError::Closed) => return Ok(Err(End::Shutdown)),
            }
            written += 1;
            if written < BURST as u64 {
                next = membership.events.try_recv().ok().map(Ok);
            }
        }
        ws.flush().await?;
        Ok::<_, tungstenite::Error>(Ok(written))
    };
    match crate::net::deadline::within(send_timeout, burst).await {
        Ok(Ok(result)) => result,
        Ok(Err(err)) => Err(End::Lost(SendError::Connection(err))),
        Err(_) => Err(End::Lost(SendError::Timeout(send_timeout))),
    }
}
