//! `storm`: N members join one chat room within a second, stay, then all
//! leave within a second, while a publisher sends 20 messages/s: what a
//! lecture hall does to a chat server at the start and end of a class.
//!
//! A storm is judged by its readers: how many the server closed although
//! they were reading (goal 0), how many messages a member that was in the
//! room never got while it got later ones (goal 0), how many had not
//! arrived a second before it left, how long the last member waited for its
//! `welcome`, and what the storm cost the server: CPU-seconds, peak
//! resident memory (`VmHWM`: the runner starts a fresh server for each
//! storm), and the presence frames it made the members read (O(N) per
//! storm, not O(N²)).
//!
//! Members read with the standard client by default (tokio-tungstenite,
//! one `next().await` per message), because a storm that only a faster
//! reader than an application survives has not been survived. They are
//! spread over several loopback source addresses, and every member task
//! ends by the storm's deadline whatever the server does.

use std::time::Duration;

use anyhow::{ensure, Context, Result};
use clap::Args;
use socketlab_shared::ClientMessage;
use tokio::time::Instant;

use crate::client::{classify, ChatClient, ClientKind, Frame};
use crate::cpu::{self, CpuMeter};
use crate::fanout::tally::{message_text, parse_message_text, PUBLISHER};
use crate::fanout::{fresh_room, wait_for_welcome};
use crate::guard;
use crate::record::RunArgs;
use crate::stats::round1;
use crate::transport;

mod outcome;

use outcome::{outcome, Member, MISSING};

/// The publisher starts this long before the first member joins.
const LEAD: Duration = Duration::from_millis(500);

/// The publisher goes on this long after the last member left.
const TAIL: Duration = Duration::from_secs(1);

/// After the storm, the server's CPU is read once more this much later,
/// so that work it queued during the storm is counted.
const SETTLE: Duration = Duration::from_secs(1);

/// `socketlab-bench storm`.
#[derive(Debug, Clone, Args)]
pub struct StormArgs {
    /// A chat endpoint, e.g. ws://127.0.0.1:8080/ws/chat (no query; the
    /// harness picks a fresh room and the names).
    #[arg(long)]
    pub url: String,
    /// Members that join and leave.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    pub members: u32,
    /// Seconds over which the members join (evenly spread).
    #[arg(long, default_value_t = 1.0)]
    pub join_secs: f64,
    /// Seconds between the last join and the first leave.
    #[arg(long, default_value_t = 5.0)]
    pub stay_secs: f64,
    /// Seconds over which the members leave (evenly spread).
    #[arg(long, default_value_t = 1.0)]
    pub leave_secs: f64,
    /// Messages per second the publisher sends throughout.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub rate: u32,
    /// The client the members read with.
    #[arg(long, value_enum, default_value_t = ClientKind::Standard)]
    pub client: ClientKind,
    /// Loopback source addresses the members are spread over (127.0.0.1,
    /// 127.0.0.2, ...).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=250))]
    pub source_ips: u32,
    /// Labels and CPU sampling.
    #[command(flatten)]
    pub run: RunArgs,
}

/// The storm's clock, ns after its epoch.
#[derive(Debug, Clone, Copy)]
struct Schedule {
    epoch: Instant,
    members: u32,
    /// The first join.
    join_ns: u64,
    join_span_ns: u64,
    /// The first leave.
    leave_ns: u64,
    leave_span_ns: u64,
}

impl Schedule {
    /// When member `index` joins and when it leaves.
    fn slots(&self, index: u32) -> (Instant, Instant) {
        let share = |span: u64| span * u64::from(index) / u64::from(self.members.max(1));
        (
            self.at(self.join_ns + share(self.join_span_ns)),
            self.at(self.leave_ns + share(self.leave_span_ns)),
        )
    }

    /// The instant `ns` after the epoch.
    fn at(&self, ns: u64) -> Instant {
        self.epoch + Duration::from_nanos(ns)
    }

    /// Now, in ns after the epoch.
    fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    /// The last leave.
    fn last_leave(&self) -> Instant {
        self.at(self.leave_ns + self.leave_span_ns)
    }
}

/// Runs `storm`.
pub async fn run(args: StormArgs) -> Result<()> {
    guard::ws_url_addr(&args.url)?;
    ensure!(
        !args.url.contains('?'),
        "give --url without a query; the harness adds room and name"
    );
    let spans = [args.join_secs, args.stay_secs, args.leave_secs];
    ensure!(
        spans
            .iter()
            .all(|s| s.is_finite() && (0.0..=600.0).contains(s)),
        "--join-secs, --stay-secs and --leave-secs must be 0 to 600"
    );
    transport::ensure_open_files(u64::from(args.members) + 16)?;
    let room = fresh_room();
    eprintln!(
        "storm: {} {} members join {room} over {} s, stay {} s, leave over {} s; {} messages/s",
        args.members, args.client, args.join_secs, args.stay_secs, args.leave_secs, args.rate
    );
    let meter = args.run.meter();
    let cpu_start = meter.sample();

    let publisher_url = format!("{}?room={room}&name={PUBLISHER}", args.url);
    let mut publisher = ChatClient::connect(ClientKind::Lean, &publisher_url, None).await?;
    wait_for_welcome(&mut publisher)
        .await
        .context("the publisher did not get into the room")?;
    let epoch = Instant::now();
    let secs = |s: f64| Duration::from_secs_f64(s).as_nanos() as u64;
    let join_ns = LEAD.as_nanos() as u64;
    let schedule = Schedule {
        epoch,
        members: args.members,
        join_ns,
        join_span_ns: secs(args.join_secs),
        leave_ns: join_ns + secs(args.join_secs) + secs(args.stay_secs),
        leave_span_ns: secs(args.leave_secs),
    };
    let publish_end = schedule.last_leave() + TAIL;
    let expected = ((publish_end - epoch).as_secs_f64() * f64::from(args.rate)).ceil() as usize + 1;

    let members: Vec<_> = (0..args.members)
        .map(|i| {
            let url = format!("{}?room={room}&name=m{i}", args.url);
            let source = transport::source_ip(i, args.source_ips);
            tokio::spawn(member(url, args.client, source, i, schedule, expected))
        })
        .collect();
    let publisher = tokio::spawn(publish(publisher, args.rate, schedule, publish_end));

    let mut results = Vec::with_capacity(members.len());
    for task in members {
        results.push(task.await.context("a member task panicked")?);
    }
    let (sent_ns, publisher_closed) = publisher.await.context("the publisher panicked")?;
    tokio::time::sleep(SETTLE).await;
    let cpu_end = meter.sample();

    let out = outcome(&results, &sent_ns);
    for why in results.iter().filter_map(|m| m.closed.as_deref()).take(3) {
        eprintln!("storm: a member was closed: {why}");
    }
    for why in results
        .iter()
        .filter_map(|m| m.join_error.as_deref())
        .take(3)
    {
        eprintln!("storm: a member could not join: {why}");
    }
    if let Some(why) = &publisher_closed {
        eprintln!("storm: the publisher was closed: {why}");
    }
    eprintln!(
        "storm: {} closed, {} lost, {} late, {} could not join, {} presence frames",
        out.closed, out.lost, out.late, out.join_failed, out.presence
    );

    let mut record = args.run.record("storm");
    record.params.subscribers = Some(args.members);
    record.params.rate = Some(args.rate);
    record.params.client = Some(args.client.name().to_owned());
    record.metrics.closed = Some(out.closed);
    record.metrics.lost = Some(out.lost);
    record.metrics.late = Some(out.late);
    record.metrics.join_failed = Some(out.join_failed);
    record.metrics.delivered = Some(out.delivered);
    record.metrics.presence_frames = Some(out.presence);
    record.metrics.errors = Some(out.anomalies + u64::from(publisher_closed.is_some()));
    record.metrics.last_welcome_ms = out
        .last_welcome_ns
        .map(|ns| round1(ns.saturating_sub(schedule.join_ns) as f64 / 1e6));
    record.metrics.set_latency(out.latency.summary());
    record
        .metrics
        .set_cpu(CpuMeter::usage(&cpu_start, &cpu_end));
    record.metrics.server_cpu_s = CpuMeter::server_seconds(&cpu_start, &cpu_end);
    record.metrics.peak_rss = args
        .run
        .server_pids
        .first()
        .and_then(|&pid| cpu::peak_rss_bytes(pid).ok());
    record.metrics.duration_s = Some(round1(epoch.elapsed().as_secs_f64()));
    record.emit()
}

/// One member: joins at its slot, reads until its leave slot (or until
/// the server closes it), then leaves with a close handshake.
async fn member(
    url: String,
    kind: ClientKind,
    source: Option<std::net::IpAddr>,
    index: u32,
    schedule: Schedule,
    expected: usize,
) -> Member {
    let (join_at, leave_at) = schedule.slots(index);
    let mut seen = Member {
        latency_ns: vec![MISSING; expected],
        ..Member::default()
    };
    tokio::time::sleep_until(join_at).await;
    let joined = tokio::time::timeout_at(leave_at, async {
        let mut ws = ChatClient::connect(kind, &url, source).await?;
        wait_for_welcome(&mut ws).await?;
        anyhow::Ok(ws)
    })
    .await;
    let mut ws = match joined {
        Ok(Ok(ws)) => ws,
        Ok(Err(err)) => {
            seen.join_error = Some(format!("{err:#}"));
            return seen;
        }
        Err(_) => {
            seen.join_error = Some("no welcome before its time to leave".to_owned());
            return seen;
        }
    };
    seen.welcome_ns = Some(schedule.now_ns());
    let leave = tokio::time::sleep_until(leave_at);
    tokio::pin!(leave);
    loop {
        tokio::select! {
            read = ws.read_text(|payload| record(&mut seen, payload, schedule.now_ns())) => {
                if let Err(err) = read {
                    seen.closed = Some(format!("{err:#}"));
                    seen.end_ns = schedule.now_ns();
                    return seen;
                }
            }
            () = &mut leave => break,
        }
    }
    seen.end_ns = schedule.now_ns();
    ws.close().await;
    seen
}

/// Records one frame a member received `at_ns` after the epoch.
fn record(seen: &mut Member, payload: &[u8], at_ns: u64) {
    match classify(payload) {
        Frame::Message(message) if message.from.as_str() == PUBLISHER => {
            let slot = parse_message_text(&message.text)
                .and_then(|(index, sent)| Some((seen.latency_ns.get_mut(index as usize)?, sent)));
            match slot {
                Some((slot, sent)) if *slot == MISSING => *slot = at_ns.saturating_sub(sent),
                _ => seen.anomalies += 1,
            }
        }
        Frame::Message(_) => {}
        Frame::Error | Frame::Garbage => seen.anomalies += 1,
        Frame::Welcome(_) | Frame::Other => seen.presence += 1,
    }
}

/// Sends `rate` messages per second until `end`, each stamped with its
/// index and send time, while reading the publisher's own stream (a
/// publisher that does not read is closed as too slow). Returns when each
/// message was sent, and why the server closed the publisher if it did.
async fn publish(
    mut ws: ChatClient,
    rate: u32,
    schedule: Schedule,
    end: Instant,
) -> (Vec<u64>, Option<String>) {
    let mut sent = Vec::new();
    let period = Duration::from_secs_f64(1.0 / f64::from(rate));
    let mut next = Instant::now();
    while next < end {
        // Read until the next message is due (reading is cancel-safe);
        // a publisher behind its schedule sends first.
        if Instant::now() < next {
            match tokio::time::timeout_at(next, ws.read_text(|_| {})).await {
                Ok(Ok(_)) => continue,
                Ok(Err(err)) => return (sent, Some(format!("{err:#}"))),
                Err(_) => {}
            }
        }
        let sent_ns = schedule.now_ns();
        let say = ClientMessage::Say {
            text: message_text(sent.len() as u32, sent_ns),
        };
        if let Err(err) = ws.send_text(&say.to_json()).await {
            return (sent, Some(format!("{err:#}")));
        }
        sent.push(sent_ns);
        next += period;
    }
    ws.close().await;
    (sent, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_spread_over_the_join_and_leave_spans() {
        let schedule = Schedule {
            epoch: Instant::now(),
            members: 4,
            join_ns: 500,
            join_span_ns: 1000,
            leave_ns: 10_000,
            leave_span_ns: 1000,
        };
        let (join0, leave0) = schedule.slots(0);
        let (join3, leave3) = schedule.slots(3);
        assert_eq!(join0 - schedule.epoch, Duration::from_nanos(500));
        assert_eq!(join3 - schedule.epoch, Duration::from_nanos(1250));
        assert_eq!(leave0 - schedule.epoch, Duration::from_nanos(10_000));
        assert_eq!(leave3 - schedule.epoch, Duration::from_nanos(10_750));
        assert_eq!(
            schedule.last_leave() - schedule.epoch,
            Duration::from_nanos(11_000)
        );
    }

    #[test]
    fn a_member_records_its_messages_once_and_counts_the_rest() {
        let mut seen = Member {
            latency_ns: vec![MISSING; 2],
            ..Member::default()
        };
        let say = |index: u32| {
            format!(
                r#"{{"type":"message","room":"r","from":"{PUBLISHER}","text":"{}","seq":1,"ts_ms":1}}"#,
                message_text(index, 100)
            )
        };
        record(&mut seen, say(1).as_bytes(), 400);
        record(&mut seen, say(1).as_bytes(), 500);
        record(&mut seen, say(7).as_bytes(), 500);
        record(&mut seen, br#"{"type":"presence","count":3}"#, 600);
        assert_eq!(seen.latency_ns, [MISSING, 300]);
        assert_eq!(seen.anomalies, 2);
        assert_eq!(seen.presence, 1);
    }
}
