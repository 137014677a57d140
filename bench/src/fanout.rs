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

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{bail, ensure, Context, Result};
use clap::Args;
use futures_util::{SinkExt, StreamExt};
use socketlab_shared::{ClientMessage, ServerMessage};
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::cpu::CpuMeter;
use crate::guard;
use crate::record::RunArgs;
use crate::stats::{round1, Latencies};
use crate::transport::{self, Ws};
use crate::wire::{opcode, WireWs};

/// The publisher's chat name; subscribers count only its messages.
const PUBLISHER: &str = "bench-pub";

/// Handshakes in progress at once while subscribers join.
const CONNECT_PARALLEL: usize = 64;

/// How long joining every subscriber may take.
const JOIN_TIMEOUT: Duration = Duration::from_secs(120);

/// How long after the last message is sent deliveries may still arrive.
const GRACE: Duration = Duration::from_secs(10);

/// Marks a message a subscriber never received.
const MISSING: u64 = u64::MAX;

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
    /// Labels and CPU sampling.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Where one subscriber landed, from its `welcome`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Landed {
    /// The instance's id.
    instance: String,
    /// The instance's bus.
    bus: String,
}

/// The text of message `index`, sent `sent_ns` after the run's epoch.
pub fn message_text(index: u32, sent_ns: u64) -> String {
    format!("{index} {sent_ns}")
}

/// Reads back [`message_text`].
pub fn parse_message_text(text: &str) -> Option<(u32, u64)> {
    let (index, sent) = text.split_once(' ')?;
    Some((index.parse().ok()?, sent.parse().ok()?))
}

/// A room name no earlier run used: `bench-` and a hex stamp, at most 32
/// characters of `a-z 0-9 -` as the chat requires.
fn fresh_room() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_nanos() as u64);
    format!("bench-{:x}-{:x}", std::process::id(), nanos)
}

/// What one subscriber saw.
struct Deliveries {
    /// Latency in ns of each message by index, [`MISSING`] if never seen.
    latency_ns: Vec<u64>,
    /// When the last delivery arrived, ns after the epoch.
    last_at_ns: u64,
    /// Messages seen twice or out of order, and error frames.
    anomalies: u64,
    /// Why the server closed this subscriber before it had every
    /// message, if it did.
    closed: Option<String>,
    /// The server closed it after it had every message (while the room
    /// was emptying): not a loss, but worth knowing.
    closed_late: bool,
    /// Where it landed, if its `welcome` said (older servers do not).
    landed: Option<Landed>,
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
        "fanout: {} subscribers over {} URL(s), {} messages at {}/s, room {room}",
        args.subscribers,
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
            tokio::spawn(subscriber(
                url,
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
    record.metrics.msgs_per_s = Some(round1(summary.delivered as f64 / span.as_secs_f64()));
    record.metrics.set_latency(summary.all.summary());
    if let Some(slowest) = summary.slowest.summary() {
        record.metrics.slowest_p50_us = Some(slowest.p50_us);
        record.metrics.slowest_p99_us = Some(slowest.p99_us);
    }
    record.metrics.delivered = Some(summary.delivered);
    record.metrics.lost = Some(summary.lost);
    record.metrics.errors = Some(summary.anomalies + summary.closed + publisher_errors);
    record
        .metrics
        .set_cpu(CpuMeter::usage(&cpu_start, &cpu_end));
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

/// Joins the room, reports readiness, records every publisher message and
/// reports when it has them all, then keeps reading until `stop` passes.
///
/// Staying until every subscriber is done matters: each one that leaves
/// sends a `left` event to all the others, and a few hundred of those at
/// once would push a subscriber still catching up past the server's
/// per-client queue (it is then closed with 1013): the harness would be
/// measuring its own departure, not the fan-out.
///
/// Subscribers use the lean [`WireWs`] client: with a thousand of them on
/// one core, a heavier client would put its own queueing into the
/// latencies it reports.
async fn subscriber(
    url: String,
    messages: u32,
    epoch: Instant,
    permits: Arc<Semaphore>,
    ready: mpsc::Sender<Result<()>>,
    done: mpsc::Sender<()>,
    mut stop: watch::Receiver<Instant>,
) -> Deliveries {
    let mut tally = Tally {
        deliveries: Deliveries {
            latency_ns: vec![MISSING; messages as usize],
            last_at_ns: 0,
            anomalies: 0,
            closed: None,
            closed_late: false,
            landed: None,
        },
        received: 0,
        highest: None,
    };
    let joined = async {
        let _permit = permits.acquire().await?;
        let mut ws = WireWs::connect(&url).await?;
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
            read = ws.read_messages(|kind, payload| {
                if kind == opcode::TEXT {
                    tally.record(payload, epoch.elapsed().as_nanos() as u64);
                }
            }) => {
                if let Err(err) = read.and(ws.flush().await) {
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

/// A subscriber's running count of what it has received.
struct Tally {
    deliveries: Deliveries,
    /// Distinct publisher messages received.
    received: u32,
    /// The highest message index seen, to spot reordering.
    highest: Option<u32>,
}

impl Tally {
    /// Records one text frame that arrived `at_ns` after the epoch.
    fn record(&mut self, payload: &[u8], at_ns: u64) {
        let deliveries = &mut self.deliveries;
        let Some(frame) = parse_frame(payload) else {
            deliveries.anomalies += 1;
            return;
        };
        let text = match frame {
            ServerMessage::Message(message) if message.from.as_str() == PUBLISHER => message.text,
            ServerMessage::Error { .. } => {
                deliveries.anomalies += 1;
                return;
            }
            _ => return,
        };
        let Some((index, sent_ns)) = parse_message_text(&text) else {
            deliveries.anomalies += 1;
            return;
        };
        let Some(slot) = deliveries.latency_ns.get_mut(index as usize) else {
            deliveries.anomalies += 1;
            return;
        };
        if *slot != MISSING || self.highest.is_some_and(|h| index <= h) {
            deliveries.anomalies += 1;
        }
        if *slot == MISSING {
            *slot = at_ns.saturating_sub(sent_ns);
            self.received += 1;
        }
        self.highest = self.highest.max(Some(index));
        deliveries.last_at_ns = at_ns;
    }
}

/// Reads until the server's `welcome` frame: the subscriber is in the
/// room. Returns the instance it names, if it names one.
async fn wait_for_welcome(ws: &mut WireWs) -> Result<Option<Landed>> {
    let wait = async {
        loop {
            let mut welcome = None;
            ws.read_messages(|kind, payload| {
                if kind != opcode::TEXT || welcome.is_some() {
                    return;
                }
                if let Some(ServerMessage::Welcome { instance, .. }) = parse_frame(payload) {
                    welcome = Some(instance.map(|instance| Landed {
                        instance: instance.id,
                        bus: instance.bus,
                    }));
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

/// A server text frame read with the shared protocol's parser, so the
/// harness reads exactly the frames the server writes; `None` for a frame
/// that is not one.
fn parse_frame(payload: &[u8]) -> Option<ServerMessage> {
    ServerMessage::parse(std::str::from_utf8(payload).ok()?).ok()
}

/// The URL subscriber `index` joins through: round-robin over `urls`.
fn subscriber_url(urls: &[String], index: u32) -> &str {
    &urls[index as usize % urls.len()]
}

/// How many distinct instances the subscribers landed on, and the bus
/// they share (`mixed` if they disagree); `None` when no `welcome` named
/// an instance.
fn spanned(results: &[Deliveries]) -> (Option<u32>, Option<String>) {
    let landed: BTreeSet<&Landed> = results.iter().filter_map(|r| r.landed.as_ref()).collect();
    if landed.is_empty() {
        return (None, None);
    }
    let instances: BTreeSet<&str> = landed.iter().map(|l| l.instance.as_str()).collect();
    let buses: BTreeSet<&str> = landed.iter().map(|l| l.bus.as_str()).collect();
    let bus = match buses.into_iter().collect::<Vec<_>>().as_slice() {
        [one] => (*one).to_owned(),
        _ => "mixed".to_owned(),
    };
    (Some(instances.len() as u32), Some(bus))
}

/// Everything the subscribers saw, combined.
struct Summary {
    /// Every delivery's latency.
    all: Latencies,
    /// Per message, the latency of the subscriber that got it last.
    slowest: Latencies,
    /// Deliveries that arrived.
    delivered: u64,
    /// Deliveries that did not.
    lost: u64,
    /// Duplicates, reordering and error frames.
    anomalies: u64,
    /// Subscribers the server closed (or that never joined).
    closed: u64,
    /// The last delivery, ns after the epoch.
    last_at_ns: u64,
}

/// Combines the subscribers' deliveries of `messages` messages.
fn summarize(results: &[Deliveries], messages: usize) -> Summary {
    let mut summary = Summary {
        all: Latencies::new(),
        slowest: Latencies::new(),
        delivered: 0,
        lost: 0,
        anomalies: 0,
        closed: 0,
        last_at_ns: 0,
    };
    let mut slowest = vec![0u64; messages];
    for result in results {
        summary.anomalies += result.anomalies;
        summary.closed += u64::from(result.closed.is_some());
        summary.last_at_ns = summary.last_at_ns.max(result.last_at_ns);
        for (index, &latency) in result.latency_ns.iter().enumerate() {
            if latency == MISSING {
                summary.lost += 1;
            } else {
                summary.delivered += 1;
                summary.all.record_nanos(latency);
                slowest[index] = slowest[index].max(latency);
            }
        }
    }
    for latency in slowest.into_iter().filter(|&latency| latency > 0) {
        summary.slowest.record_nanos(latency);
    }
    summary
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_texts_round_trip() {
        assert_eq!(
            parse_message_text(&message_text(7, 123_456)),
            Some((7, 123_456))
        );
        assert_eq!(parse_message_text("hello"), None);
        assert_eq!(parse_message_text("1 x"), None);
    }

    #[test]
    fn rooms_are_valid_chat_room_names() {
        let room = fresh_room();
        assert!(room.len() <= 32, "{room}");
        assert!(room
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
    }

    #[test]
    fn frames_are_read_with_the_shared_protocol() {
        let frame = parse_frame(
            br#"{"type":"message","room":"r","from":"bench-pub","text":"1 2","seq":3,"ts_ms":4}"#,
        )
        .unwrap();
        let ServerMessage::Message(message) = frame else {
            panic!("{frame:?}");
        };
        assert_eq!(message.from.as_str(), PUBLISHER);
        assert_eq!(message.text, "1 2");
        let welcome = parse_frame(
            br#"{"type":"welcome","you":"s1","room":"r","members":["a"],"history":[]}"#,
        )
        .unwrap();
        assert!(
            matches!(welcome, ServerMessage::Welcome { instance: None, .. }),
            "{welcome:?}"
        );
        let joined = parse_frame(br#"{"type":"joined","name":"s2","instance":"a"}"#).unwrap();
        assert!(matches!(joined, ServerMessage::Joined { .. }), "{joined:?}");
        let spread = parse_frame(
            br#"{"type":"welcome","you":"s1","room":"r","members":["s1"],"history":[],
                "instance":{"id":"b","listen":"127.0.0.1:9","bus":"nats"},
                "member_instances":{"s1":"b"}}"#,
        )
        .unwrap();
        let ServerMessage::Welcome {
            instance: Some(instance),
            ..
        } = spread
        else {
            panic!("{spread:?}");
        };
        assert_eq!((instance.id.as_str(), instance.bus.as_str()), ("b", "nats"));
        assert!(parse_frame(b"not json").is_none());
    }

    #[test]
    fn subscribers_are_dealt_round_robin_over_the_urls() {
        let urls = ["ws://a".to_owned(), "ws://b".to_owned()];
        let dealt: Vec<&str> = (0..5).map(|i| subscriber_url(&urls, i)).collect();
        assert_eq!(dealt, ["ws://a", "ws://b", "ws://a", "ws://b", "ws://a"]);
        assert_eq!(subscriber_url(&urls[..1], 7), "ws://a");
    }

    #[test]
    fn the_instances_and_bus_come_from_the_welcomes() {
        let landed = |instance: &str, bus: &str| Deliveries {
            latency_ns: Vec::new(),
            last_at_ns: 0,
            anomalies: 0,
            closed: None,
            closed_late: false,
            landed: Some(Landed {
                instance: instance.into(),
                bus: bus.into(),
            }),
        };
        let two = [
            landed("a", "nats"),
            landed("b", "nats"),
            landed("a", "nats"),
        ];
        assert_eq!(spanned(&two), (Some(2), Some("nats".into())));
        assert_eq!(spanned(&two[..1]), (Some(1), Some("nats".into())));
        let odd = [landed("a", "nats"), landed("b", "local")];
        assert_eq!(spanned(&odd), (Some(2), Some("mixed".into())));
        let mut unknown = landed("a", "local");
        unknown.landed = None;
        assert_eq!(spanned(&[unknown]), (None, None));
    }

    #[test]
    fn loss_and_the_slowest_receiver_are_counted_per_message() {
        let results = [
            Deliveries {
                latency_ns: vec![1_000, 2_000, MISSING],
                last_at_ns: 50,
                anomalies: 0,
                closed: None,
                closed_late: false,
                landed: None,
            },
            Deliveries {
                latency_ns: vec![3_000, 1_000, 5_000],
                last_at_ns: 70,
                anomalies: 1,
                closed: Some("1013".into()),
                closed_late: false,
                landed: None,
            },
        ];
        let summary = summarize(&results, 3);
        assert_eq!(summary.delivered, 5);
        assert_eq!(summary.lost, 1);
        assert_eq!(summary.closed, 1);
        assert_eq!(summary.anomalies, 1);
        assert_eq!(summary.last_at_ns, 70);
        assert_eq!(summary.slowest.count(), 3);
        // Slowest per message: 3, 2 and 5 µs.
        assert_eq!(summary.slowest.summary().unwrap().max_us, 5.0);
        assert_eq!(summary.slowest.summary().unwrap().p50_us, 3.0);
    }
}
