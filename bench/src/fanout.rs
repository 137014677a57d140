//! `fanout`: one chat publisher, N subscribers in one fresh room.
//!
//! Each message's text carries its index and send time, so every
//! subscriber can tell how long each delivery took and which messages it
//! never got. The run fails loudly on loss: a fast broadcast that drops
//! messages is not a result.
//!
//! Given several `--url`s (instances sharing rooms through a bus), the
//! subscribers are dealt round-robin over them and the publisher uses the
//! first, so most deliveries cross from one instance to another. Each
//! subscriber reads the instance and bus it landed on from its `welcome`,
//! and the result records how many instances the room spanned and which
//! bus carried it.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, ensure, Context, Result};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use socketlab_shared::{ClientMessage, ServerMessage};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::client::{classify, ChatClient, ClientKind, Frame};
use crate::cpu::CpuMeter;
use crate::guard;
use crate::record::RunArgs;
use crate::stats::round1;
use crate::transport::{self, Ws};

pub mod tally;

use tally::{message_text, spanned, summarize, Deliveries, Landed, Tally, PUBLISHER};

/// Handshakes in progress at once while subscribers join.
const CONNECT_PARALLEL: usize = 64;

/// How long joining every subscriber may take.
const JOIN_TIMEOUT: Duration = Duration::from_secs(120);

/// How long after the last message is sent deliveries may still arrive.
const GRACE: Duration = Duration::from_secs(10);

/// `socketlab-bench fanout`.
#[derive(Debug, Clone, Args)]
pub struct FanoutArgs {
    /// A chat endpoint, e.g. ws://127.0.0.1:8080/ws/chat (no query; the
    /// harness picks a fresh room and the names). Repeat it to spread one
    /// room over several instances: subscribers are dealt round-robin over
    /// the URLs, the publisher uses the first.
    #[arg(long = "url", required = true)]
    pub urls: Vec<String>,
    /// Subscribers in the room.
    #[arg(long, default_value_t = 100)]
    pub subscribers: u32,
    /// Messages the publisher sends.
    #[arg(long, default_value_t = 500)]
    pub messages: u32,
    /// Messages per second the publisher sends (the server's --chat-rate
    /// must allow it).
    #[arg(long, default_value_t = 100)]
    pub rate: u32,
    /// The client subscribers read with: `lean` (many frames per read,
    /// parsed in place) or `standard` (tokio-tungstenite, one
    /// `next().await` per message, as an application reads).
    #[arg(long, value_enum, default_value_t = ClientKind::Lean)]
    pub client: ClientKind,
    /// Loopback source addresses the subscribers are spread over
    /// (127.0.0.1, 127.0.0.2, ...), for rooms larger than one address's
    /// source ports.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=250))]
    pub source_ips: u32,
    /// Labels and CPU sampling.
    #[command(flatten)]
    pub run: RunArgs,
}

/// A room name no earlier run used: `bench-` and a hex stamp, at most 32
/// characters of `a-z 0-9 -` as the chat requires.
pub fn fresh_room() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64);
    format!("bench-{:x}-{:x}", std::process::id(), nanos)
}

/// Runs `fanout`.
pub async fn run(args: FanoutArgs) -> Result<()> {
    for url in &args.urls {
        guard::ws_url_addr(url)?;
        ensure!(
            !url.contains('?'),
            "give --url without a query; the harness adds room and name"
        );
    }
    ensure!(
        args.subscribers > 0 && args.messages > 0 && args.rate > 0,
        "counts must be positive"
    );
    transport::ensure_open_files(u64::from(args.subscribers) + 1)?;
    let room = fresh_room();
    eprintln!(
        "fanout: {} {} subscribers over {} URL(s), {} messages at {}/s, room {room}",
        args.subscribers,
        args.client,
        args.urls.len(),
        args.messages,
        args.rate
    );
    let epoch = Instant::now();
    let (stop_tx, stop_rx) = watch::channel(epoch + JOIN_TIMEOUT);
    let (ready_tx, mut ready_rx) = mpsc::channel::<Result<()>>(args.subscribers as usize);
    let (done_tx, mut done_rx) = mpsc::channel::<()>(args.subscribers as usize);
    let permits = Arc::new(Semaphore::new(CONNECT_PARALLEL));

    let subscribers: Vec<_> = (0..args.subscribers)
        .map(|i| {
            let url = format!("{}?room={room}&name=s{i}", subscriber_url(&args.urls, i));
            let seat = Seat {
                url,
                client: args.client,
                source: transport::source_ip(i, args.source_ips),
            };
            tokio::spawn(subscriber(
                seat,
                args.messages,
                epoch,
                Arc::clone(&permits),
                ready_tx.clone(),
                done_tx.clone(),
                stop_rx.clone(),
            ))
        })
        .collect();
    drop(ready_tx);
    drop(done_tx);
    let joined = async {
        for _ in 0..args.subscribers {
            ready_rx
                .recv()
                .await
                .context("a subscriber task ended early")??;
        }
        anyhow::Ok(())
    };
    if let Err(err) = tokio::time::timeout(JOIN_TIMEOUT, joined)
        .await
        .context("the subscribers did not all join in time")
        .and_then(|joined| joined)
    {
        stop_tx.send_replace(Instant::now());
        return Err(err);
    }
    eprintln!("fanout: {} subscribers joined {room}", args.subscribers);

    let publisher_url = format!("{}?room={room}&name={PUBLISHER}", args.urls[0]);
    let publisher = transport::connect_ws(&publisher_url, None).await?;
    let meter = args.run.meter();
    let cpu_start = meter.sample();
    let publish_start = Instant::now();
    let send_time = Duration::from_secs_f64(f64::from(args.messages) / f64::from(args.rate));
    let deadline = publish_start + send_time + GRACE;
    stop_tx.send_replace(deadline);
    let published = publish(publisher, args.messages, args.rate, epoch, stop_rx.clone()).await;
    let all_done = async {
        for _ in 0..args.subscribers {
            if done_rx.recv().await.is_none() {
                break;
            }
        }
    };
    let _ = tokio::time::timeout_at(deadline, all_done).await;
    let cpu_end = meter.sample();
    // Only now may the subscribers leave: see `subscriber`.
    stop_tx.send_replace(Instant::now());

    let mut results = Vec::with_capacity(subscribers.len());
    for task in subscribers {
        results.push(task.await.context("a subscriber task panicked")?);
    }
    let (sent, publisher_errors) = published?;
    ensure!(
        sent == args.messages,
        "only {sent} of {} messages were sent",
        args.messages
    );

    let summary = summarize(&results, args.messages as usize);
    for closed in results.iter().filter_map(|r| r.closed.as_deref()).take(3) {
        eprintln!("fanout: a subscriber was closed: {closed}");
    }
    let late = results.iter().filter(|r| r.closed_late).count();
    if late > 0 {
        eprintln!(
            "fanout: {late} subscriber(s) were closed by the server after receiving every \
             message, while the room emptied"
        );
    }
    let (instances, bus) = spanned(&results);
    if let Some(instances) = instances.filter(|&n| (n as usize) < args.urls.len()) {
        eprintln!(
            "fanout: the {} URLs reached only {instances} distinct instance(s)",
            args.urls.len()
        );
    }
    let publish_ns = publish_start.duration_since(epoch).as_nanos() as u64;
    let span = Duration::from_nanos(summary.last_at_ns.saturating_sub(publish_ns).max(1));

    let mut record = args.run.record("fanout");
    record.params.subscribers = Some(args.subscribers);
    record.params.messages = Some(args.messages);
    record.params.rate = Some(args.rate);
    record.params.instances = instances;
    record.params.bus = bus;
    record.params.client = Some(args.client.name().to_owned());
    record.metrics.msgs_per_s = Some(round1(summary.delivered as f64 / span.as_secs_f64()));
    record.metrics.set_latency(summary.all.summary());
    if let Some(slowest) = summary.slowest.summary() {
        record.metrics.slowest_p50_us = Some(slowest.p50_us);
        record.metrics.slowest_p99_us = Some(slowest.p99_us);
    }
    record.metrics.delivered = Some(summary.delivered);
    record.metrics.lost = Some(summary.lost);
    record.metrics.errors = Some(summary.anomalies + summary.closed + publisher_errors);
    record.metrics.presence_frames = Some(summary.presence);
    record
        .metrics
        .set_cpu(CpuMeter::usage(&cpu_start, &cpu_end));
    record.metrics.server_cpu_s = CpuMeter::server_seconds(&cpu_start, &cpu_end);
    record.metrics.duration_s = Some(round1(span.as_secs_f64()));
    record.emit()?;
    if summary.lost > 0 {
        bail!(
            "{} of {} deliveries were lost ({} subscribers closed by the server)",
            summary.lost,
            u64::from(args.messages) * u64::from(args.subscribers),
            summary.closed
        );
    }
    Ok(())
}

/// How one subscriber joins: its URL (room and name), its client, and
/// its loopback source address.
struct Seat {
    url: String,
    client: ClientKind,
    source: Option<std::net::IpAddr>,
}

/// Joins the room, reports readiness, records every publisher message and
/// reports when it has them all, then keeps reading until `stop` passes.
///
/// Staying until every subscriber is done matters: each one that leaves
/// sends a `left` event to all the others, and a few hundred of those at
/// once would push a subscriber still catching up past the server's
/// per-client queue (it is then closed with 1013): the harness would be
/// measuring its own departure, not the fan-out.
///
/// Subscribers use the lean client unless told otherwise: with a thousand
/// of them on one core, a heavier client puts its own queueing into the
/// latencies it reports. The standard client is there to show what a
/// server does to readers no faster than an application.
async fn subscriber(
    seat: Seat,
    messages: u32,
    epoch: Instant,
    permits: Arc<Semaphore>,
    ready: mpsc::Sender<Result<()>>,
    done: mpsc::Sender<()>,
    mut stop: watch::Receiver<Instant>,
) -> Deliveries {
    let mut tally = Tally::new(messages);
    let joined = async {
        let _permit = permits.acquire().await?;
        let mut ws = ChatClient::connect(seat.client, &seat.url, seat.source).await?;
        let landed = wait_for_welcome(&mut ws).await?;
        anyhow::Ok((ws, landed))
    };
    let mut ws = match joined.await {
        Ok((ws, landed)) => {
            tally.deliveries.landed = landed;
            let _ = ready.send(Ok(())).await;
            ws
        }
        Err(err) => {
            tally.deliveries.closed = Some(format!("{err:#}"));
            let _ = ready.send(Err(err)).await;
            return tally.deliveries;
        }
    };
    drop(ready);
    let mut deadline = *stop.borrow_and_update();
    let sleep = tokio::time::sleep_until(deadline);
    tokio::pin!(sleep);
    while Instant::now() < deadline {
        let complete_before = tally.received == messages;
        tokio::select! {
            read = ws.read_text(|payload| {
                tally.record(payload, epoch.elapsed().as_nanos() as u64);
            }) => {
                if let Err(err) = read {
                    if complete_before {
                        tally.deliveries.closed_late = true;
                    } else {
                        tally.deliveries.closed = Some(format!("{err:#}"));
                    }
                    break;
                }
                if !complete_before && tally.received == messages {
                    let _ = done.send(()).await;
                }
            }
            () = &mut sleep => break,
            changed = stop.changed() => {
                if changed.is_err() {
                    break;
                }
                deadline = *stop.borrow_and_update();
                sleep.as_mut().reset(deadline);
            }
        }
    }
    ws.close().await;
    tally.deliveries
}

/// Reads until the server's `welcome` frame: the subscriber is in the
/// room. Returns the instance it names, if it names one.
pub async fn wait_for_welcome(ws: &mut ChatClient) -> Result<Option<Landed>> {
    let wait = async {
        loop {
            let mut welcome = None;
            ws.read_text(|payload| {
                if welcome.is_some() {
                    return;
                }
                if let Frame::Welcome(instance) = classify(payload) {
                    welcome = Some(instance.map(|(instance, bus)| Landed { instance, bus }));
                }
            })
            .await?;
            if let Some(welcome) = welcome {
                return Ok(welcome);
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .context("no welcome within 30 s")?
}

/// Sends `messages` chat messages at `rate` per second, each stamped with
/// its send time, while draining the publisher's own stream (it receives
/// its messages too, and a client that does not read is closed as too
/// slow). Returns the messages sent and the error frames received.
async fn publish(
    ws: Ws,
    messages: u32,
    rate: u32,
    epoch: Instant,
    mut stop: watch::Receiver<Instant>,
) -> Result<(u32, u64)> {
    let (mut sink, mut stream) = ws.split();
    let send = async {
        let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(rate)));
        for index in 0..messages {
            ticks.tick().await;
            let sent_ns = epoch.elapsed().as_nanos() as u64;
            let say = ClientMessage::Say {
                text: message_text(index, sent_ns),
            };
            sink.send(Message::text(say.to_json())).await?;
        }
        anyhow::Ok(messages)
    };
    let drain = async {
        let mut own = 0;
        let mut errors = 0;
        while own < messages {
            let deadline = *stop.borrow_and_update();
            let frame = tokio::select! {
                frame = stream.next() => frame,
                () = tokio::time::sleep_until(deadline) => break,
                _ = stop.changed() => continue,
            };
            let Some(Ok(Message::Text(text))) = frame else {
                match frame {
                    Some(Ok(_)) => continue,
                    _ => break,
                }
            };
            match ServerMessage::parse(&text) {
                Ok(ServerMessage::Message(message)) if message.from.as_str() == PUBLISHER => {
                    own += 1;
                }
                Ok(ServerMessage::Error { .. }) => {
                    errors += 1;
                    eprintln!("fanout: the server answered the publisher with {text}");
                }
                _ => {}
            }
        }
        errors
    };
    let (sent, errors) = tokio::join!(send, drain);
    let mut ws = sink
        .reunite(stream)
        .context("the publisher's halves belong together")?;
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
    Ok((sent?, errors))
}

/// The URL subscriber `index` joins through: round-robin over `urls`.
fn subscriber_url(urls: &[String], index: u32) -> &str {
    &urls[index as usize % urls.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_are_valid_chat_room_names() {
        let room = fresh_room();
        assert!(room.len() <= 32, "{room}");
        assert!(room
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    }

    #[test]
    fn subscribers_are_dealt_round_robin_over_the_urls() {
        let urls = ["ws://a".to_owned(), "ws://b".to_owned()];
        let dealt: Vec<&str> = (0..5).map(|i| subscriber_url(&urls, i)).collect();
        assert_eq!(dealt, ["ws://a", "ws://b", "ws://a", "ws://b", "ws://a"]);
        assert_eq!(subscriber_url(&urls[..1], 7), "ws://a");
    }
}
