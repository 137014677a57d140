//! A lecture hall: a thousand ordinary clients join one room at once, hear
//! every message, and most leave together, and nobody who reads is cut off.
//!
//! The members are plain tokio-tungstenite clients reading as an
//! application reads (a loop of `next().await`), not a lean load generator:
//! before presence was coalesced and backlogs were bounded in bytes, about
//! 700 of 1,000 such members were closed with 1013 when the others left.

use std::time::Duration;

use futures_util::StreamExt;
use socketlab_shared::ServerMessage;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::Message;

use crate::common::{Client, TestServer};

/// Members in the hall.
const MEMBERS: usize = 1000;
/// Of whom this many stay after the others leave together.
const STAYING: usize = 100;
/// Messages said while everyone is there.
const SAID: u64 = 50;
/// The bound on the whole test.
const LIMIT: Duration = Duration::from_secs(180);

/// What one member saw.
#[derive(Debug, Default)]
struct Seen {
    seqs: Vec<u64>,
    presences: usize,
    /// A close or error the member did not ask for.
    cut_off: Option<String>,
}

/// Reads until a message with `text` arrives (true) or the connection ends.
async fn read_until<S>(ws: &mut S, text: &str, seen: &mut Seen) -> bool
where
    S: futures_util::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    while let Some(frame) = ws.next().await {
        match frame {
            Ok(Message::Text(frame)) => match ServerMessage::parse(&frame) {
                Ok(ServerMessage::Message(m)) => {
                    seen.seqs.push(m.seq);
                    if m.text == text {
                        return true;
                    }
                }
                // (`joined` / `left`: one frame per member, as before.)
                Ok(
                    ServerMessage::Presence { .. }
                    | ServerMessage::Joined { .. }
                    | ServerMessage::Left { .. },
                ) => seen.presences += 1,
                Ok(_) => {}
                Err(err) => {
                    seen.cut_off = Some(format!("unparsable frame: {err}"));
                    return false;
                }
            },
            Ok(Message::Close(frame)) => {
                seen.cut_off = Some(format!("closed: {frame:?}"));
                return false;
            }
            Ok(_) => {}
            Err(err) => {
                seen.cut_off = Some(format!("error: {err}"));
                return false;
            }
        }
    }
    seen.cut_off = Some("the stream ended".to_owned());
    false
}

#[tokio::test]
async fn a_thousand_members_join_hear_everything_and_leave_together() {
    // Two sockets per member in this one process.
    rlimit::increase_nofile_limit(4 * MEMBERS as u64 + 256).expect("raise the open-file limit");
    let server = TestServer::start_with(|c| {
        c.max_connections = 4 * MEMBERS as u32;
        c.max_connections_per_ip = 4 * MEMBERS as u32;
        c.chat_rate = 1000.0;
        c.chat_burst = 1000;
    })
    .await;
    let url = server.ws_url("/ws/chat?room=hall&name=");
    let (welcomed_tx, mut welcomed) = mpsc::channel::<()>(MEMBERS);
    let (leave_tx, leave) = watch::channel(false);
    let (done_tx, mut done) = mpsc::channel::<(usize, Seen)>(MEMBERS);

    let test = async {
        // Everyone joins at once.
        for i in 0..MEMBERS {
            let url = format!("{url}m{i:04}");
            let welcomed = welcomed_tx.clone();
            let mut leave = leave.clone();
            let done = done_tx.clone();
            tokio::spawn(async move {
                let (mut ws, _) = tokio_tungstenite::connect_async(&url)
                    .await
                    .expect("connect");
                let mut seen = Seen::default();
                match ws.next().await {
                    Some(Ok(Message::Text(t))) => assert!(
                        matches!(ServerMessage::parse(&t), Ok(ServerMessage::Welcome { .. })),
                        "{t}"
                    ),
                    other => panic!("no welcome: {other:?}"),
                }
                welcomed.send(()).await.unwrap();
                if read_until(&mut ws, "last", &mut seen).await {
                    if i >= STAYING {
                        // Leave together with the others.
                        let _ = leave.wait_for(|go| *go).await;
                        let _ = ws.close(None).await;
                        // What comes before the close's answer must not be
                        // a 1013.
                        while let Some(Ok(frame)) = ws.next().await {
                            if let Message::Close(Some(frame)) = frame {
                                if u16::from(frame.code) == 1013 {
                                    seen.cut_off = Some(format!("closed while leaving: {frame:?}"));
                                }
                            }
                        }
                    } else if read_until(&mut ws, "after", &mut seen).await {
                        let _ = ws.close(None).await;
                    }
                }
                done.send((i, seen)).await.unwrap();
            });
        }
        for _ in 0..MEMBERS {
            welcomed.recv().await.unwrap();
        }

        // A publisher speaks while all are there.
        let mut speaker = Client::connect(&server.ws_url("/ws/chat?room=hall&name=speaker")).await;
        for i in 1..SAID {
            speaker
                .send_text(&format!(r#"{{"type":"say","text":"m{i}"}}"#))
                .await;
        }
        speaker.send_text(r#"{"type":"say","text":"last"}"#).await;
        // 900 leave together; the 100 who stay then hear one more message.
        let _ = leave_tx.send(true);
        let mut finished = Vec::new();
        while finished.len() < MEMBERS - STAYING {
            finished.push(done.recv().await.unwrap());
        }
        speaker
            .recv_until(|m| matches!(m, ServerMessage::Presence { count, .. } if *count as usize == STAYING + 1))
            .await;
        speaker.send_text(r#"{"type":"say","text":"after"}"#).await;
        while finished.len() < MEMBERS {
            finished.push(done.recv().await.unwrap());
        }
        finished
    };
    let finished = tokio::time::timeout(LIMIT, test)
        .await
        .expect("the hall finishes within the bound");

    let cut_off: Vec<_> = finished
        .iter()
        .filter_map(|(i, seen)| seen.cut_off.as_ref().map(|why| (i, why)))
        .collect();
    assert!(
        cut_off.is_empty(),
        "{} of {MEMBERS} members were cut off, e.g. {:?}",
        cut_off.len(),
        &cut_off[..cut_off.len().min(3)]
    );
    let most_presences = finished.iter().map(|(_, s)| s.presences).max().unwrap();
    for (i, seen) in &finished {
        let expected = if *i < STAYING { SAID + 1 } else { SAID };
        assert_eq!(
            seen.seqs.len() as u64,
            expected,
            "member {i} missed messages"
        );
        assert!(
            seen.seqs.windows(2).all(|w| w[0] < w[1]),
            "member {i} got messages out of order"
        );
    }
    // One presence per join would be ~1,000 for the first members; one per
    // tick is a few dozen (it would take a 25-second join storm to reach
    // this bound).
    assert!(
        most_presences < MEMBERS / 4,
        "a member got {most_presences} presence frames for {MEMBERS} joins"
    );
    eprintln!("most presence frames to one member: {most_presences}");
    server.stop().await;
}
