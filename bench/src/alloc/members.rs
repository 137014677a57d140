//! The room's members, in a child process of their own so that their
//! allocations never mix with the server's: N tokio-tungstenite clients
//! join, say `ready`, wait for `go` on stdin, then one of them says M
//! things, and the process says `done` once every member has all M.

use std::io::Write as _;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

/// How long any one wait may take before the run fails.
pub const WAIT: Duration = Duration::from_secs(60);

/// Handshakes at once while the members join.
const PARALLEL_JOINS: usize = 50;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Prints one line for the parent and flushes it.
fn tell(line: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}")?;
    Ok(stdout.flush()?)
}

/// Runs the members of `room` on the server at `addr` (loopback).
pub async fn run(
    addr: std::net::SocketAddr,
    room: &str,
    members: u32,
    messages: u32,
    interval: Duration,
) -> Result<()> {
    anyhow::ensure!(addr.ip().is_loopback(), "{addr} is not a loopback address");
    let urls = (0..members).map(|i| format!("ws://{addr}/ws/chat?room={room}&name=m{i:05}"));
    let sockets: Vec<Ws> = futures_util::stream::iter(urls)
        .map(|url| async move { join(&url).await })
        .buffered(PARALLEL_JOINS)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    let (delivered_tx, mut delivered) = mpsc::unbounded_channel::<()>();
    let mut publisher = None;
    let mut writers = Vec::new();
    for (index, ws) in sockets.into_iter().enumerate() {
        let (sink, mut stream) = ws.split();
        if index == 0 {
            publisher = Some(sink);
        } else {
            writers.push(sink);
        }
        let delivered = delivered_tx.clone();
        tokio::spawn(async move {
            while let Some(Ok(frame)) = stream.next().await {
                if let Message::Text(text) = frame {
                    if text.starts_with(r#"{"type":"message""#) {
                        let _ = delivered.send(());
                    }
                }
            }
        });
    }
    drop(delivered_tx);
    let mut publisher = publisher.context("no member joined")?;
    tell("ready")?;

    let mut stdin = BufReader::new(tokio::io::stdin()).lines();
    match tokio::time::timeout(WAIT, stdin.next_line()).await {
        Ok(Ok(Some(line))) if line == "go" => {}
        _ => bail!("the parent never said go"),
    }
    for i in 0..messages {
        let say = format!(r#"{{"type":"say","text":"message {i} to the hall"}}"#);
        publisher.send(Message::text(say)).await?;
        tokio::time::sleep(interval).await;
    }
    let expected = u64::from(members) * u64::from(messages);
    let mut received = 0u64;
    while received < expected {
        match tokio::time::timeout(WAIT, delivered.recv()).await {
            Ok(Some(())) => received += 1,
            Ok(None) => bail!("the members stopped reading after {received} of {expected}"),
            Err(_) => bail!("only {received} of {expected} deliveries arrived within {WAIT:?}"),
        }
    }
    tell(&format!("done {received}"))?;
    // Stay in the room until the parent has counted.
    let _ = tokio::time::timeout(WAIT, stdin.next_line()).await;
    let _ = publisher.close().await;
    drop(writers);
    Ok(())
}

/// Joins the room at `url` and waits for the welcome.
async fn join(url: &str) -> Result<Ws> {
    let (mut ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(url))
        .await
        .context("joining timed out")?
        .with_context(|| format!("cannot join {url}"))?;
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await {
            Ok(Some(Ok(Message::Text(text)))) if text.starts_with(r#"{"type":"welcome""#) => {
                return Ok(ws)
            }
            Ok(Some(Ok(_))) => continue,
            Ok(Some(Err(err))) => return Err(err).context("the chat socket failed"),
            Ok(None) => bail!("the server closed before the welcome"),
            Err(_) => bail!("no welcome within {WAIT:?}"),
        }
    }
}
