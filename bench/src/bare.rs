//! The "no framework" references: a WebSocket echo and a WebSocket→TCP
//! relay written the straightforward way with tokio-tungstenite alone.
//!
//! Socketlab adds HTTP routing (warp, hyper), limits, keep-alives and
//! shutdown handling on top of the same WebSocket library; these servers
//! show what that costs. They are deliberately plain: no tuning a reader
//! would not write on a first attempt.

use std::net::SocketAddr;

use anyhow::{Context, Result};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

use crate::guard;
use crate::serve::{self, ServeArgs};

/// `socketlab-bench bare-echo`.
#[derive(Debug, Clone, Args)]
pub struct BareEchoArgs {
    /// Where to listen.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// `socketlab-bench bare-relay`.
#[derive(Debug, Clone, Args)]
pub struct BareRelayArgs {
    /// The TCP target every WebSocket is relayed to.
    #[arg(long, value_parser = guard::parse_loopback)]
    pub target: SocketAddr,
    /// Where to listen.
    #[command(flatten)]
    pub serve: ServeArgs,
}

/// Runs the bare echo server.
pub async fn echo(args: BareEchoArgs) -> Result<()> {
    let listener = serve::bind(&args.serve).await?;
    serve::accept_loop(listener, &args.serve, |stream| async move {
        let mut ws = tokio_tungstenite::accept_async(stream).await?;
        while let Some(message) = ws.next().await {
            let message = message?;
            if message.is_text() || message.is_binary() {
                ws.send(message).await?;
            }
        }
        Ok(())
    })
    .await
}

/// Runs the bare relay.
pub async fn relay(args: BareRelayArgs) -> Result<()> {
    let target = args.target;
    let listener = serve::bind(&args.serve).await?;
    serve::accept_loop(listener, &args.serve, move |stream| {
        relay_one(stream, target)
    })
    .await
}

/// Relays one WebSocket to a fresh connection to `target` until either
/// side ends.
async fn relay_one(stream: TcpStream, target: SocketAddr) -> Result<()> {
    let ws = tokio_tungstenite::accept_async(stream).await?;
    let tcp = TcpStream::connect(target)
        .await
        .with_context(|| format!("cannot reach {target}"))?;
    tcp.set_nodelay(true)?;
    let (mut from_target, mut to_target) = tcp.into_split();
    let (mut to_client, mut from_client) = ws.split();

    let upstream = async {
        while let Some(message) = from_client.next().await {
            match message? {
                Message::Binary(bytes) => to_target.write_all(&bytes).await?,
                Message::Close(_) => break,
                _ => {}
            }
        }
        to_target.shutdown().await?;
        anyhow::Ok(())
    };
    let downstream = async {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            let n = from_target.read(&mut buffer).await?;
            if n == 0 {
                break;
            }
            to_client
                .send(Message::binary(buffer[..n].to_vec()))
                .await?;
        }
        to_client.close().await?;
        anyhow::Ok(())
    };
    tokio::select! {
        result = upstream => result,
        result = downstream => result,
    }
}
