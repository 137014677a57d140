//! One chat member's session, from `welcome` to close, over any transport.
//!
//! A single task owns the connection and `select!`s over four sources: the
//! client's messages, the room's events, the keep-alive timer and the
//! shutdown signal. Room events are fed and flushed once per burst, so a
//! busy room costs one write per burst rather than one per message. Every
//! limit lives here, so the WebSocket chat and the nc door obey the same
//! ones: the token bucket, the strikes that turn a burst into abuse, the
//! validation of what is said, and the send deadline.

use std::time::Duration;

use socketlab_shared::close;
use socketlab_shared::{ClientMessage, ErrorCode, ProtocolError, ServerMessage};

use super::bus::{Membership, RoomEvent};
use super::fanout::{Closed, Ended, Next, Overflow};
use crate::service::keepalive::{due, KeepAlive, KeepAliveAction, KeepAliveConfig};
use crate::service::limits::{Strikes, TokenBucket};
use crate::service::session::{self, Inbound, Incoming, Outbound, SendError};
use crate::shutdown::Shutdown;
use crate::telemetry::{MessageCounters, Metrics};

/// Most queued events written before one flush.
const BURST: usize = 64;

/// Rate-limited messages tolerated within [`ABUSE_WINDOW`] before close 1008.
const ABUSE_STRIKES: usize = 50;
/// The window over which rate-limit strikes are counted.
const ABUSE_WINDOW: Duration = Duration::from_secs(10);

/// What a chat client sent, as its transport decoded it.
#[derive(Debug)]
pub enum ChatInput {
    /// A well-formed message (a JSON frame, or a line typed at the door).
    Message(ClientMessage),
    /// A message that was read but is wrong (bad JSON, an unknown type,
    /// invalid text, a WebSocket binary frame): counted against the rate
    /// limit like every message, answered with the error.
    Invalid(ProtocolError),
    /// The client asked how to use the chat (`/help` at the door).
    Help,
}

/// What the chat service sends a client.
#[derive(Debug)]
pub enum ChatOutput {
    /// Something that happened in the room, encoded once for every member.
    Event(RoomEvent),
    /// A reply to this client alone: `welcome`, `pong`, `error`.
    Reply(ServerMessage),
    /// How to use the chat from this transport (the answer to
    /// [`ChatInput::Help`]).
    Help,
}

/// Per-connection limits of a chat session.
#[derive(Debug, Clone)]
pub struct ChatLimits {
    /// How long one write may take.
    pub send_timeout: Duration,
    /// Sustained messages per second.
    pub rate: f64,
    /// Messages allowed at once.
    pub burst: u32,
    /// Ping schedule, for transports that can ping.
    pub keepalive: Option<KeepAliveConfig>,
    /// This server instance, named in the welcome.
    pub instance: socketlab_shared::InstanceInfo,
}

/// How a chat session ended, for the log.
#[derive(Debug)]
enum End {
    ClientClosed(Option<u16>),
    Shutdown,
    TooSlow(Overflow),
    /// The bus closed the room for everyone.
    RoomClosed(Closed),
    Lost(SendError),
    ClientError {
        code: u16,
        reason: String,
    },
    Abuse,
    Silent,
}

/// A session's per-connection state besides the connection.
struct Session<'a> {
    membership: &'a mut Membership,
    shutdown: &'a Shutdown,
    limits: ChatLimits,
    bucket: TokenBucket,
    strikes: Strikes,
    keepalive: Option<KeepAlive>,
    counters: MessageCounters,
}

/// Runs one chat member on `conn` until the session ends; returns its
/// close code. `endpoint` names the transport in the metrics.
pub async fn run<C>(
    conn: &mut C,
    mut membership: Membership,
    shutdown: Shutdown,
    limits: ChatLimits,
    metrics: &Metrics,
    endpoint: &'static str,
) -> Option<u16>
where
    C: Inbound<ChatInput> + Outbound<ChatOutput>,
{
    let send_timeout = limits.send_timeout;
    let you = membership.you.clone();
    let room = membership.room.clone();
    tracing::debug!(%room, %you, endpoint, "chat member joined");

    let welcome = ChatOutput::Reply(membership.welcome(&limits.instance));
    let end = match session::send(conn, welcome, send_timeout).await {
        Err(err) => End::Lost(err),
        Ok(()) => {
            let counters = metrics.message_counters(endpoint);
            // From here on the room may write to this member's socket itself
            // while the member is idle (the welcome came first).
            if let Some(direct) = conn.direct() {
                membership.events.attach(direct, counters.outbound.clone());
            }
            let mut session = Session {
                membership: &mut membership,
                shutdown: &shutdown,
                bucket: TokenBucket::new(limits.rate, limits.burst),
                strikes: Strikes::new(ABUSE_STRIKES, ABUSE_WINDOW),
                keepalive: limits.keepalive.map(KeepAlive::new),
                limits,
                counters,
            };
            session.serve(conn).await
        }
    };
    // Leave the room before the (possibly slow) close handshake, so the
    // others see `left` at once.
    drop(membership);
    let (code, reason) = match &end {
        End::Shutdown => (close::GOING_AWAY, "server shutting down".to_owned()),
        End::TooSlow(overflow) => (
            close::TRY_AGAIN_LATER,
            format!(
                "too slow: {} KiB of room events unread (--chat-backlog-bytes)",
                overflow.bytes / 1024
            ),
        ),
        End::RoomClosed(closed) => (closed.code, closed.reason.to_string()),
        End::ClientError { code, reason } => (*code, reason.clone()),
        End::Abuse => (
            close::POLICY_VIOLATION,
            "sending too fast, repeatedly".to_owned(),
        ),
        End::Silent => (close::GOING_AWAY, "no answer to ping".to_owned()),
        End::Lost(err) => {
            tracing::debug!(%room, %you, "chat connection lost: {err}");
            return None;
        }
        End::ClientClosed(code) => {
            tracing::debug!(%room, %you, ?end, "chat member left");
            return *code;
        }
    };
    conn.close(code, &reason).await;
    tracing::debug!(%room, %you, ?end, "chat member left");
    Some(code)
}

impl Session<'_> {
    async fn serve<C>(&mut self, conn: &mut C) -> End
    where
        C: Inbound<ChatInput> + Outbound<ChatOutput>,
    {
        // One shutdown future for the whole session, rather than a new one
        // (registered and unregistered with the token) on every event.
        let shutdown = Shutdown::begun(self.shutdown);
        tokio::pin!(shutdown);
        let send_timeout = self.limits.send_timeout;
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => return End::Shutdown,
                event = self.membership.events.recv() => {
                    match forward(conn, self.membership, event, send_timeout).await {
                        Ok(sent) => {
                            self.counters.outbound.inc_by(sent);
                        }
                        Err(end) => return end,
                    }
                }
                action = due(&mut self.keepalive) => {
                    if action == KeepAliveAction::Dead {
                        return End::Silent;
                    }
                    if let Err(err) = session::ping(conn, send_timeout).await {
                        return End::Lost(err);
                    }
                }
                incoming = conn.recv() => {
                    if let Some(keepalive) = &mut self.keepalive {
                        keepalive.heard();
                    }
                    let input = match incoming {
                        Incoming::Message(input) => input,
                        Incoming::Heard => continue,
                        Incoming::Closed(code) => return End::ClientClosed(code),
                        Incoming::Lost => return End::ClientClosed(None),
                        Incoming::Invalid { code, reason } => {
                            return End::ClientError { code, reason }
                        }
                    };
                    let reply = match self.handle(input).await {
                        Ok(reply) => reply,
                        Err(end) => return end,
                    };
                    if let Some(reply) = reply {
                        self.counters.outbound.inc();
                        if let Err(err) = session::send(conn, reply, send_timeout).await {
                            return End::Lost(err);
                        }
                    }
                }
            }
        }
    }

    /// Acts on one client message; returns the reply to send, if any.
    async fn handle(&mut self, input: ChatInput) -> Result<Option<ChatOutput>, End> {
        let message = match input {
            ChatInput::Message(message) => Ok(message),
            ChatInput::Invalid(err) => Err(err),
            ChatInput::Help => return Ok(Some(ChatOutput::Help)),
        };
        self.counters.inbound.inc();
        if !self.bucket.try_take() {
            if self.strikes.strike() {
                return Err(End::Abuse);
            }
            return Ok(Some(ChatOutput::Reply(
                ProtocolError::new(
                    ErrorCode::RateLimited,
                    format!(
                        "slow down: at most {} messages per second (bursts of {}); this one was dropped",
                        self.limits.rate, self.limits.burst
                    ),
                )
                .into(),
            )));
        }
        let reply = match message {
            Err(err) => Some(err.into()),
            Ok(ClientMessage::Ping { id }) => Some(ServerMessage::Pong { id }),
            Ok(ClientMessage::Members { after }) => {
                let page = self.membership.seat.members(after.as_ref());
                Some(ServerMessage::Members {
                    members: page.members,
                    next: page.next,
                    count: page.count as u64,
                    member_instances: page.instances,
                })
            }
            Ok(ClientMessage::Say { text }) => match self.membership.seat.say(text).await {
                // The sender's copy arrives through the room, like everyone's.
                Ok(()) => None,
                Err(err) => {
                    Some(ProtocolError::new(ErrorCode::Unavailable, err.to_string()).into())
                }
            },
        };
        Ok(reply.map(ChatOutput::Reply))
    }
}

/// Writes one room event, plus whatever else is already queued, then
/// flushes (which also sends what the transport holds of an event the room
/// wrote itself); then the room may write to the member again.
async fn forward<C: Outbound<ChatOutput>>(
    conn: &mut C,
    membership: &mut Membership,
    first: Result<Next, Ended>,
    send_timeout: Duration,
) -> Result<u64, End> {
    let mut next = match first {
        Ok(Next::Write(event)) => Some(Ok(event)),
        Ok(Next::Flush) => None,
        Err(ended) => Some(Err(ended)),
    };
    let mut written: u64 = 0;
    let burst = async {
        while let Some(event) = next.take() {
            match event {
                Ok(event) => conn.feed(ChatOutput::Event(event)).await?,
                Err(Ended::TooSlow(overflow)) => return Ok(Err(End::TooSlow(overflow))),
                Err(Ended::Closed(closed)) => return Ok(Err(End::RoomClosed(closed))),
            }
            written += 1;
            if written < BURST as u64 {
                next = membership.events.try_recv();
            }
        }
        conn.flush().await?;
        Ok::<_, session::Lost>(Ok(written))
    };
    let flushed = session::flush(send_timeout, burst).await;
    membership.events.written();
    match flushed {
        Ok(Ok(result)) => result,
        Ok(Err(session::Lost)) => Err(End::Lost(SendError::Lost)),
        Err(err) => Err(End::Lost(err)),
    }
}
