//! Echo: every text and binary message comes back unchanged.
//!
//! The simplest possible service, and so the one the page uses to show a
//! round trip and the one the conformance suite exercises.

use std::time::Duration;

use socketlab_shared::close;

use crate::service::keepalive::{self, KeepAlive, KeepAliveAction, KeepAliveConfig};
use crate::service::session::{self, Data, Inbound, Incoming, Outbound};
use crate::shutdown::Shutdown;
use crate::telemetry::Metrics;

/// Most replies written before one flush: enough to batch a pipelining
/// client's messages into one system call, few enough that one busy
/// connection cannot hold the task for long.
const BATCH: usize = 64;

/// Echoes until the client closes or the server shuts down; returns the
/// close code the connection ended with.
///
/// Replies are fed and flushed once no further message is already
/// waiting (or after [`BATCH`]): a client that sends 16 messages at once
/// gets 16 replies in one write instead of 16 writes. A client that sends
/// but does not read is closed after `send_timeout` (its replies would
/// otherwise wait in memory forever). `keepalive` is `None` on a
/// transport that watches liveness itself.
pub async fn run<C>(
    conn: &mut C,
    shutdown: Shutdown,
    keepalive: Option<KeepAliveConfig>,
    send_timeout: Duration,
    metrics: &Metrics,
) -> Option<u16>
where
    C: Inbound<Data> + Outbound<Data>,
{
    let counters = metrics.message_counters("echo");
    let mut keepalive = keepalive.map(KeepAlive::new);
    let shutdown = shutdown.begun();
    tokio::pin!(shutdown);
    loop {
        let incoming = tokio::select! {
            biased;
            () = &mut shutdown => {
                conn.close(close::GOING_AWAY, "server shutting down").await;
                return Some(close::GOING_AWAY);
            }
            action = keepalive::due(&mut keepalive) => {
                if action == KeepAliveAction::Dead {
                    conn.close(close::GOING_AWAY, "no answer to ping").await;
                    return Some(close::GOING_AWAY);
                }
                if session::ping(conn, send_timeout).await.is_err() {
                    return None;
                }
                continue;
            }
            incoming = conn.recv() => incoming,
        };
        if let Some(keepalive) = &mut keepalive {
            keepalive.heard();
        }
        let mut next = Some(incoming);
        let mut fed = 0;
        let mut stuck = false;
        while let Some(incoming) = next.take() {
            match incoming {
                Incoming::Message(data) => {
                    counters.inbound.inc();
                    // `feed` writes out once the transport's buffer is
                    // full, so it can block on a client that does not
                    // read, too.
                    match session::flush(send_timeout, conn.feed(data)).await {
                        Ok(Ok(())) => fed += 1,
                        Ok(Err(_)) => return None,
                        Err(_) => {
                            stuck = true;
                            break;
                        }
                    }
                }
                Incoming::Heard => {}
                Incoming::Closed(code) => return code,
                Incoming::Lost => return None,
                Incoming::Invalid { code, reason } => {
                    conn.close(code, &reason).await;
                    return Some(code);
                }
            }
            if fed < BATCH {
                next = conn.recv_now().await;
            }
        }
        if fed > 0 && !stuck {
            match session::flush(send_timeout, conn.flush()).await {
                Ok(Ok(())) => {
                    counters.outbound.inc_by(fed as u64);
                }
                Ok(Err(_)) => return None,
                Err(_) => stuck = true,
            }
        }
        if stuck {
            let reason = format!("not reading replies for {send_timeout:?}");
            conn.close(close::TRY_AGAIN_LATER, &reason).await;
            return Some(close::TRY_AGAIN_LATER);
        }
    }
}
