//! `tcp-chat`: a line-based TCP door into the page's chat rooms.
//!
//! `nc 127.0.0.1 PORT` asks for a name and a room, then every line typed is
//! said in that room and everything said there (by browsers too) arrives as
//! a line. One room bus, two transports: a raw TCP socket, where the
//! program invents its own framing (lines), beside WebSockets, where the
//! protocol frames messages.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use socketlab_shared::chat::MAX_SAY_BYTES;
use socketlab_shared::{DisplayName, RoomName, ServerMessage};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::codec::{Framed, LinesCodec, LinesCodecError};

use crate::service::chat::{Membership, RoomBus};
use crate::shutdown::Shutdown;

/// Longest line accepted from a TCP client, in bytes.
const MAX_LINE: usize = MAX_SAY_BYTES + 2;
/// Most simultaneous TCP chat clients.
const MAX_CONNECTIONS: usize = 1024;
/// Time allowed to answer each question at the door.
const PROMPT_TIMEOUT: Duration = Duration::from_secs(120);

type Lines = Framed<TcpStream, LinesCodec>;

/// Accepts TCP chat clients until shutdown.
pub async fn serve(
    listener: TcpListener,
    bus: Arc<dyn RoomBus>,
    shutdown: Shutdown,
    send_timeout: Duration,
) {
    let stop = shutdown.clone();
    crate::net::accept::accept_loop(
        "tcp-chat",
        listener,
        MAX_CONNECTIONS,
        shutdown,
        move |stream, peer| {
            let bus = bus.clone();
            let stop = stop.clone();
            async move {
                let lines = Framed::new(stream, LinesCodec::new_with_max_length(MAX_LINE));
                session(lines, bus, stop, send_timeout).await;
                tracing::debug!(%peer, "tcp-chat client left");
            }
        },
    )
    .await;
}

async fn session(
    mut lines: Lines,
    bus: Arc<dyn RoomBus>,
    shutdown: Shutdown,
    send_timeout: Duration,
) {
    let greeting =
        "Welcome to Socketlab chat: the same rooms as the web page, over a plain TCP socket.";
    if lines.send(greeting).await.is_err() {
        return;
    }
    let door = async {
        let name = ask(&mut lines, "Your name (Enter for a guest name):", |raw| {
            if raw.trim().is_empty() {
                Ok(None)
            } else {
                DisplayName::parse(raw).map(Some).map_err(|e| e.to_string())
            }
        })
        .await?;
        let room = ask(&mut lines, "Room (Enter for lobby):", |raw| {
            if raw.trim().is_empty() {
                Ok(RoomName::lobby())
            } else {
                RoomName::parse(raw.trim()).map_err(|e| e.to_string())
            }
        })
        .await?;
        Some((name, room))
    };
    let answers = tokio::select! {
        () = shutdown.begun() => None,
        answers = door => answers,
    };
    let Some((name, room)) = answers else {
        return;
    };
    let mut membership = match bus.join(room, name).await {
        Ok(membership) => membership,
        Err(err) => {
            let _ = lines.send(format!("! {err}")).await;
            return;
        }
    };
    let intro = format!(
        "* you are {} in room {}; here now: {}. Type a line and press Enter to say it; /quit to leave.",
        membership.you,
        membership.room,
        membership.members.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", ")
    );
    for line in std::iter::once(intro).chain(
        membership
            .history
            .iter()
            .map(|m| render(&ServerMessage::Message(m.clone()))),
    ) {
        if lines.feed(line).await.is_err() {
            return;
        }
    }
    if SinkExt::<String>::flush(&mut lines).await.is_err() {
        return;
    }
    chat(&mut lines, &mut membership, &shutdown, send_timeout).await;
}

/// Asks `question` until `parse` accepts the answer (three tries).
async fn ask<T>(
    lines: &mut Lines,
    question: &str,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    for _ in 0..3 {
        lines.send(question).await.ok()?;
        let answer = match tokio::time::timeout(PROMPT_TIMEOUT, lines.next()).await {
            Ok(Some(Ok(answer))) => answer,
            Ok(Some(Err(LinesCodecError::MaxLineLengthExceeded))) => {
                lines.send("! that line is too long").await.ok()?;
                continue;
            }
            _ => return None,
        };
        match parse(&answer) {
            Ok(value) => return Some(value),
            Err(err) => lines.send(format!("! {err}; try again")).await.ok()?,
        }
    }
    let _ = lines.send("! too many tries; goodbye").await;
    None
}

async fn chat(
    lines: &mut Lines,
    membership: &mut Membership,
    shutdown: &Shutdown,
    send_timeout: Duration,
) {
    loop {
        let outgoing = tokio::select! {
            biased;
            () = shutdown.begun() => Some("* the server is shutting down; goodbye".to_owned()),
            event = membership.events.recv() => match event {
                Ok(event) => Some(render(&event.message)),
                Err(RecvError::Lagged(missed)) => {
                    let _ = send(lines, format!("! too slow: missed {missed} messages; goodbye"), send_timeout).await;
                    return;
                }
                Err(RecvError::Closed) => return,
            },
            line = lines.next() => match line {
                None | Some(Err(LinesCodecError::Io(_))) => return,
                Some(Err(LinesCodecError::MaxLineLengthExceeded)) => {
                    Some(format!("! lines are limited to {MAX_SAY_BYTES} bytes"))
                }
                Some(Ok(line)) => match line.trim() {
                    "/quit" => return,
                    "" => None,
                    "/help" => Some("* type a line to say it; /quit leaves".to_owned()),
                    text => match membership.seat.say(text.to_owned()).await {
                        Ok(()) => None,
                        Err(err) => Some(format!("! {err}")),
                    },
                },
            },
        };
        let Some(outgoing) = outgoing else { continue };
        let last = shutdown.is_begun();
        if send(lines, outgoing, send_timeout).await.is_err() || last {
            return;
        }
    }
}

async fn send(lines: &mut Lines, line: String, timeout: Duration) -> Result<(), ()> {
    match tokio::time::timeout(timeout, lines.send(line)).await {
        Ok(Ok(())) => Ok(()),
        _ => Err(()),
    }
}

/// One room event as one line. Control characters in text (a browser can
/// send newlines) become spaces, so no one can forge extra lines.
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
    }
}
