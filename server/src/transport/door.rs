//! The nc door: a line-based TCP socket into the page's chat rooms.
//!
//! `nc 127.0.0.1 PORT` asks for a name and a room, then every line typed is
//! said in that room and everything said there (by browsers too) arrives as
//! a line. On a raw TCP socket the program invents its own framing; here a
//! line in is a `say` and an event out is a rendered line. That is all this
//! transport does: the chat service behind it is the WebSocket chat's, with
//! the same rate limit, validation, send deadline and per-IP cap.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use socketlab_shared::chat::MAX_SAY_BYTES;
use socketlab_shared::ServerMessage;
use socketlab_shared::{close, ClientMessage, DisplayName, ErrorCode, ProtocolError, RoomName};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{AnyDelimiterCodec, AnyDelimiterCodecError, Decoder, Encoder, Framed};

use crate::net::deadline::within;
use crate::service::chat::session::{ChatInput, ChatOutput};
use crate::service::chat::{self, Membership};
use crate::service::session::{Inbound, Incoming, Lost, Outbound};
use crate::state::AppState;

/// Longest line accepted from a client, in bytes.
const MAX_LINE: usize = MAX_SAY_BYTES + 2;
/// Most simultaneous door clients (each also counts under the server's
/// connection caps).
const MAX_CONNECTIONS: usize = 1024;
/// Time allowed to answer each question at the door.
const PROMPT_TIMEOUT: Duration = Duration::from_secs(120);
/// How long the last line before a close may take.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(1);

/// Lines in and out.
type Lines = Framed<TcpStream, LineCodec>;

/// A line from the client, or word that it was too long.
#[derive(Debug)]
enum Line {
    /// The line's bytes, without the `\n`.
    Text(Bytes),
    /// The line passed [`MAX_LINE`]; its bytes up to the next `\n` are
    /// skipped.
    TooLong,
}

/// Lines split at `\n` and written with `\n`, of at most [`MAX_LINE`]
/// bytes. Unlike the codec it wraps, an over-long line is an item, not an
/// error: `Framed` ends the stream after any decoder error, and one long
/// line must not end the session.
struct LineCodec(AnyDelimiterCodec);

impl LineCodec {
    fn new() -> Self {
        Self(AnyDelimiterCodec::new_with_max_length(
            b"\n".to_vec(),
            b"\n".to_vec(),
            MAX_LINE,
        ))
    }

    fn item(
        result: Result<Option<Bytes>, AnyDelimiterCodecError>,
    ) -> Result<Option<Line>, AnyDelimiterCodecError> {
        match result {
            Ok(line) => Ok(line.map(Line::Text)),
            Err(AnyDelimiterCodecError::MaxChunkLengthExceeded) => Ok(Some(Line::TooLong)),
            Err(err) => Err(err),
        }
    }
}

impl Decoder for LineCodec {
    type Item = Line;
    type Error = AnyDelimiterCodecError;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Line>, Self::Error> {
        Self::item(self.0.decode(buf))
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Line>, Self::Error> {
        Self::item(self.0.decode_eof(buf))
    }
}

impl Encoder<String> for LineCodec {
    type Error = AnyDelimiterCodecError;

    fn encode(&mut self, line: String, buf: &mut BytesMut) -> Result<(), Self::Error> {
        self.0.encode(line, buf)
    }
}

/// A door client's connection, as the chat service sees it.
pub struct Door {
    lines: Lines,
    /// How long a client may type nothing before the door closes.
    idle: Duration,
    /// When that time runs out, from the last line received.
    idle_until: tokio::time::Instant,
}

/// Accepts door clients until shutdown.
pub async fn serve(listener: TcpListener, state: AppState) {
    let shutdown = state.shutdown.clone();
    crate::net::accept::accept_loop(
        "tcp-chat",
        listener,
        MAX_CONNECTIONS,
        shutdown,
        move |stream, peer| {
            let state = state.clone();
            async move {
                session(stream, peer, state).await;
                tracing::debug!(%peer, "tcp-chat client left");
            }
        },
    )
    .await;
}

async fn session(stream: TcpStream, peer: SocketAddr, state: AppState) {
    let idle = Duration::from_secs(state.config.door_idle_secs);
    let mut door = Door {
        lines: Framed::new(stream, LineCodec::new()),
        idle,
        idle_until: tokio::time::Instant::now() + idle,
    };
    let send_timeout = state.config.send_timeout();
    // The same caps as a WebSocket: one address cannot take every slot.
    let _permit = match state.admission.connections.try_acquire(peer.ip()) {
        Ok(permit) => permit,
        Err(refused) => {
            state.metrics.refused("over_capacity");
            let _ = door.say(format!("! {refused}"), send_timeout).await;
            return;
        }
    };
    let greeting =
        "Welcome to Socketlab chat: the same rooms as the web page, over a plain TCP socket.";
    if door.say(greeting.to_owned(), send_timeout).await.is_err() {
        return;
    }
    let answers = tokio::select! {
        () = state.shutdown.begun() => None,
        answers = door.questions(send_timeout) => answers,
    };
    let Some((name, room)) = answers else {
        return;
    };
    let membership: Membership = match state.bus.join(room, name).await {
        Ok(membership) => membership,
        Err(err) => {
            let _ = door.say(format!("! {err}"), send_timeout).await;
            return;
        }
    };
    let mut limits = state.chat_limits();
    // TCP has no ping; a quiet nc client is simply a listener.
    limits.keepalive = None;
    let shutdown = state.shutdown.clone();
    chat::session::run(
        &mut door,
        membership,
        shutdown,
        limits,
        &state.metrics,
        "tcp-chat",
    )
    .await;
}

impl Door {
    /// Writes one line, with the send deadline.
    async fn say(&mut self, line: String, limit: Duration) -> Result<(), Lost> {
        match within(limit, self.lines.send(line)).await {
            Ok(Ok(())) => Ok(()),
            _ => Err(Lost),
        }
    }

    /// Asks for a name, then a room.
    async fn questions(&mut self, limit: Duration) -> Option<(Option<DisplayName>, RoomName)> {
        let name = self
            .ask("Your name (Enter for a guest name):", limit, |raw| {
                if raw.trim().is_empty() {
                    Ok(None)
                } else {
                    DisplayName::parse(raw).map(Some).map_err(|e| e.to_string())
                }
            })
            .await?;
        let room = self
            .ask("Room (Enter for lobby):", limit, |raw| {
                if raw.trim().is_empty() {
                    Ok(RoomName::lobby())
                } else {
                    RoomName::parse(raw.trim()).map_err(|e| e.to_string())
                }
            })
            .await?;
        Some((name, room))
    }

    /// Asks `question` until `parse` accepts the answer (three tries).
    async fn ask<T>(
        &mut self,
        question: &str,
        limit: Duration,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Option<T> {
        for _ in 0..3 {
            self.say(question.to_owned(), limit).await.ok()?;
            let answer = match tokio::time::timeout(PROMPT_TIMEOUT, self.lines.next()).await {
                Ok(Some(Ok(Line::Text(line)))) => line,
                Ok(Some(Ok(Line::TooLong))) => {
                    self.say("! that line is too long; try again".to_owned(), limit)
                        .await
                        .ok()?;
                    continue;
                }
                _ => return None,
            };
            let parsed = match text(&answer) {
                Some(answer) => parse(answer),
                None => Err("that line is not UTF-8 text".to_owned()),
            };
            match parsed {
                Ok(value) => return Some(value),
                Err(err) => self.say(format!("! {err}; try again"), limit).await.ok()?,
            }
        }
        let _ = self
            .say("! too many tries; goodbye".to_owned(), limit)
            .await;
        None
    }

    async fn feed_line(&mut self, line: String) -> Result<(), Lost> {
        self.lines.feed(line).await.map_err(|_| Lost)
    }
}

/// A line as text, without its line ending; `None` if it is not UTF-8.
fn text(line: &Bytes) -> Option<&str> {
    let line = std::str::from_utf8(line).ok()?;
    Some(line.strip_suffix('\r').unwrap_or(line))
}

/// What a typed line means.
fn decode(line: &str) -> Incoming<ChatInput> {
    match line.trim() {
        "/quit" => Incoming::Closed(None),
        "" => Incoming::Heard,
        "/help" => Incoming::Message(ChatInput::Help),
        "/who" => Incoming::Message(ChatInput::Message(ClientMessage::Members { after: None })),
        text if text.starts_with("/who ") => match DisplayName::parse(&text["/who ".len()..]) {
            Ok(after) => Incoming::Message(ChatInput::Message(ClientMessage::Members {
                after: Some(after),
            })),
            Err(err) => Incoming::Message(ChatInput::Invalid(ProtocolError::new(
                ErrorCode::BadField,
                format!("/who NAME lists the members after NAME: {err}"),
            ))),
        },
        text => {
            let say = ClientMessage::Say {
                text: text.to_owned(),
            };
            match say.validate() {
                Ok(()) => Incoming::Message(ChatInput::Message(say)),
                Err(err) => Incoming::Message(ChatInput::Invalid(err)),
            }
        }
    }
}

impl Inbound<ChatInput> for Door {
    async fn recv(&mut self) -> Incoming<ChatInput> {
        // The deadline is kept across calls: the service calls this anew
        // after every room event, and a quiet client must not be kept
        // alive by a busy room.
        let Ok(line) = tokio::time::timeout_at(self.idle_until, self.lines.next()).await else {
            return Incoming::Invalid {
                code: close::GOING_AWAY,
                reason: format!("nothing typed for {:?} (--door-idle-secs)", self.idle),
            };
        };
        self.idle_until = tokio::time::Instant::now() + self.idle;
        match line {
            None | Some(Err(_)) => Incoming::Lost,
            Some(Ok(Line::TooLong)) => Incoming::Message(ChatInput::Invalid(ProtocolError::new(
                ErrorCode::TextTooLong,
                format!("lines are limited to {MAX_SAY_BYTES} bytes"),
            ))),
            Some(Ok(Line::Text(line))) => match text(&line) {
                Some(line) => decode(line),
                None => Incoming::Message(ChatInput::Invalid(ProtocolError::new(
                    ErrorCode::InvalidText,
                    "that line is not UTF-8 text",
                ))),
            },
        }
    }
}

impl Outbound<ChatOutput> for Door {
    async fn feed(&mut self, item: ChatOutput) -> Result<(), Lost> {
        match item {
            ChatOutput::Event(event) => self.feed_line(render(&event.message)).await,
            ChatOutput::Reply(ServerMessage::Welcome {
                you,
                room,
                members,
                count,
                history,
                ..
            }) => {
                let here: Vec<&str> = members.iter().map(|m| m.as_str()).collect();
                let more = if count as usize > members.len() {
                    format!(" and {} more (/who lists them)", count as usize - members.len())
                } else {
                    String::new()
                };
                let intro = format!(
                    "* you are {you} in room {room}; here now: {}{more}. Type a line and press Enter to say it; /quit to leave.",
                    here.join(", ")
                );
                self.feed_line(intro).await?;
                for message in history {
                    self.feed_line(render(&ServerMessage::Message(message)))
                        .await?;
                }
                Ok(())
            }
            ChatOutput::Reply(reply) => self.feed_line(render(&reply)).await,
            ChatOutput::Help => {
                self.feed_line(
                    "* type a line to say it; /who lists who is here (/who NAME: after NAME); /quit leaves"
                        .to_owned(),
                )
                .await
            }
        }
    }

    async fn flush(&mut self) -> Result<(), Lost> {
        SinkExt::<String>::flush(&mut self.lines)
            .await
            .map_err(|_| Lost)
    }

    async fn close(&mut self, code: u16, reason: &str) {
        let line = if matches!(code, close::NORMAL | close::GOING_AWAY) {
            format!("* {reason}; goodbye")
        } else {
            format!("! {reason}; goodbye")
        };
        let _ = self.say(line, GOODBYE_TIMEOUT).await;
        // As a WebSocket close handshake does: end our side, then read
        // (and drop) what the client still sends until it ends its side.
        // Closing a socket with unread input resets it, and the reset can
        // destroy the goodbye before the client has read it.
        let linger = async {
            let _ = self.lines.get_mut().shutdown().await;
            while let Some(Ok(_)) = self.lines.next().await {}
        };
        let _ = tokio::time::timeout(GOODBYE_TIMEOUT, linger).await;
    }
}

/// One server message as one line. Control characters in text (a browser
/// can send newlines) become spaces, so no one can forge extra lines.
fn render(message: &ServerMessage) -> String {
    let clean = |s: &str| {
        s.chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect::<String>()
    };
    match message {
        ServerMessage::Message(m) => format!("[{}] {}: {}", m.seq, m.from, clean(&m.text)),
        ServerMessage::Joined { name, .. } => format!("* {name} joined"),
        ServerMessage::Left { name } => format!("* {name} left"),
        ServerMessage::Presence {
            joined,
            left,
            count,
            ..
        } => {
            let names = |names: &[DisplayName]| {
                names
                    .iter()
                    .map(|n| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let mut parts = Vec::new();
            if !joined.is_empty() {
                parts.push(format!("{} joined", names(joined)));
            }
            if !left.is_empty() {
                parts.push(format!("{} left", names(left)));
            }
            parts.push(format!("{count} here"));
            format!("* {}", parts.join("; "))
        }
        ServerMessage::Members {
            members,
            next,
            count,
            ..
        } => {
            let listed: Vec<&str> = members.iter().map(|m| m.as_str()).collect();
            let more = match next {
                Some(next) => format!("; /who {next} for more"),
                None => String::new(),
            };
            format!("* here ({count} in all): {}{more}", listed.join(", "))
        }
        ServerMessage::Error { message, .. } => format!("! {}", clean(message)),
        other => format!("* {}", clean(&other.to_json())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use socketlab_shared::ChatMessage;

    #[test]
    fn rendering_cannot_forge_lines() {
        let line = render(&ServerMessage::Message(ChatMessage {
            room: RoomName::lobby(),
            from: DisplayName::parse("eve").unwrap(),
            text: "hi\r\n[9] admin: fake".into(),
            seq: 3,
            ts_ms: 0,
        }));
        assert_eq!(line, "[3] eve: hi  [9] admin: fake");
        assert!(!line.contains('\n'));
        let presence = render(&ServerMessage::Presence {
            joined: vec![
                DisplayName::parse("ada").unwrap(),
                DisplayName::parse("bob").unwrap(),
            ],
            left: vec![DisplayName::parse("cy").unwrap()],
            count: 4,
            member_instances: Default::default(),
        });
        assert_eq!(presence, "* ada, bob joined; cy left; 4 here");
    }

    #[test]
    fn a_line_is_a_validated_say() {
        assert!(matches!(
            decode("  hello "),
            Incoming::Message(ChatInput::Message(ClientMessage::Say { text })) if text == "hello"
        ));
        assert!(matches!(
            decode("bell\u{7}"),
            Incoming::Message(ChatInput::Invalid(err)) if err.code == ErrorCode::InvalidText
        ));
        assert!(matches!(decode("/quit"), Incoming::Closed(None)));
        assert!(matches!(decode(""), Incoming::Heard));
        assert!(matches!(
            decode("/who"),
            Incoming::Message(ChatInput::Message(ClientMessage::Members { after: None }))
        ));
        assert!(matches!(
            decode("/who ada"),
            Incoming::Message(ChatInput::Message(ClientMessage::Members { after: Some(a) })) if a.as_str() == "ada"
        ));
        assert!(matches!(
            decode("/help"),
            Incoming::Message(ChatInput::Help)
        ));
    }
}
