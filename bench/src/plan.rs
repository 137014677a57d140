//! The benchmark plan: which benchmarks ([`Bench`]) are measured against
//! which servers ([`Peer`]), in which configurations ([`Plan`]), on which
//! cores, with which server flags. The runner executes it and the report
//! describes it, both from these definitions.

use std::fmt;

use crate::client::ClientKind;
use crate::record::Params;

/// A server under test, as results name it in their `peer` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Peer {
    /// The server this workspace builds.
    Socketlab,
    /// Bun 1.4 (uWebSockets underneath): the echo and chat room of about
    /// 30 lines each in bench/peers/, speaking socketlab's wire format.
    Bun,
    /// The no-framework references: a tokio-tungstenite echo and relay in
    /// bench/src/bare.rs.
    Bare,
    /// websocat 1.x (`ws-l:` to `mirror:` or `tcp:`).
    Websocat,
    /// websockify, the Python WebSocket-to-TCP proxy.
    Websockify,
    /// No WebSocket at all: the same loops over plain loopback TCP, the
    /// ceiling.
    RawTcp,
}

impl Peer {
    /// Every peer, in the order tables list them: the server under test,
    /// the references, then the ceiling.
    pub const ALL: [Peer; 6] = [
        Peer::Socketlab,
        Peer::Bun,
        Peer::Bare,
        Peer::Websocat,
        Peer::Websockify,
        Peer::RawTcp,
    ];

    /// Its name in results and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Peer::Socketlab => "socketlab",
            Peer::Bun => "bun",
            Peer::Bare => "bare",
            Peer::Websocat => "websocat",
            Peer::Websockify => "websockify",
            Peer::RawTcp => "raw-tcp",
        }
    }

    /// The peer a result names, if it is one of the plan's.
    pub fn of(name: &str) -> Option<Peer> {
        Peer::ALL.into_iter().find(|peer| peer.name() == name)
    }
}

impl fmt::Display for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A benchmark of the plan: one table (or two, for the relay) of the
/// report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bench {
    /// `/ws/echo` round trips at a few connection counts and sizes.
    Echo,
    /// The echo's cost per message from one connection to thousands.
    Growth,
    /// WebSocket → TCP throughput and round trips (and raw TCP's).
    Relay,
    /// One chat publisher, N subscribers.
    Fanout,
    /// N chat members join and leave one room at once.
    Storm,
    /// The fan-out over instances sharing a room through NATS.
    ScaleOut,
    /// Resident memory per idle connection.
    Idle,
    /// The size of the page's WebAssembly.
    PageSize,
    /// The page's time to a usable chat in headless Chromium.
    Page,
    /// WebTransport datagrams next to a WebSocket: echo and UDP relay.
    Datagram,
    /// Heap allocations per delivered room message.
    Alloc,
}

impl Bench {
    /// The `section` its results carry when they share a load generator
    /// with another benchmark's (growth runs the echo, scale-out the
    /// fan-out), so that they never count as repeats of each other.
    pub fn section(self) -> Option<&'static str> {
        match self {
            Bench::Growth => Some("growth"),
            Bench::ScaleOut => Some("scale-out"),
            _ => None,
        }
    }

    /// The benchmark a result belongs to, from its `bench` and `section`.
    pub fn of(params: &Params) -> Option<Bench> {
        let section = params.section.as_deref();
        Some(match params.bench.as_str() {
            "echo" if section == Bench::Growth.section() => Bench::Growth,
            "echo" => Bench::Echo,
            "relay" | "raw-tcp" => Bench::Relay,
            "fanout" if section == Bench::ScaleOut.section() => Bench::ScaleOut,
            "fanout" if section.is_none() => Bench::Fanout,
            "storm" => Bench::Storm,
            "idle" => Bench::Idle,
            "page-size" => Bench::PageSize,
            "page" => Bench::Page,
            "datagram" => Bench::Datagram,
            "alloc" => Bench::Alloc,
            _ => return None,
        })
    }
}

/// The core the server under test runs on.
pub const SERVER_CORE: &str = "0";

/// The core the load generator and its TCP targets run on.
pub const LOAD_CORE: &str = "1";

/// Server limits for benchmarking: the defaults protect a public server
/// from one client (256 connections per IP, 10 chat frames/s), and the
/// benchmark *is* one client with thousands of connections.
pub const SERVER_LIMITS: &[&str] = &[
    "--log",
    "warn",
    "--chat-rate",
    "100000",
    "--chat-burst",
    "10000",
    "--max-connections",
    "20000",
    "--max-connections-per-ip",
    "20000",
];

/// `--chat-queue` of the scale-out instances: the server's default, given
/// explicitly so that the report's commands show it. Since every fan-out
/// subscriber stays in the room until all have every message, no `left`
/// storm hits a subscriber that is still catching up, and 256 loses
/// nothing at 500 subscribers on either bus.
pub const SCALE_OUT_CHAT_QUEUE: u32 = 256;

/// Why [`SCALE_OUT_CHAT_QUEUE`] is what it is, for the report.
pub const SCALE_OUT_CHAT_QUEUE_WHY: &str = " (the default, as in the fan-out table: with every \
    subscriber staying in the room until all have every message, no subscriber's queue \
    overflowed at 256, so a larger queue would only have made the setups differ from the \
    fan-out table)";

/// Message size of the growth series, bytes (one in flight).
pub const GROWTH_SIZE: u64 = 32;

/// Message size of the relay round-trip runs, bytes.
pub const RTT_SIZE: u64 = 32;

/// An echo configuration: (connections, message size, messages in flight).
pub type EchoConfig = (u32, u64, u32);

/// Echo: many connections ping-ponging small messages.
pub const ECHO_PING_PONG: EchoConfig = (64, 32, 1);

/// Echo: the same connections, each with many messages in flight.
pub const ECHO_PIPELINED: EchoConfig = (64, 32, 16);

/// Echo: the most connections ping-ponging the larger messages.
pub const ECHO_LARGE: EchoConfig = (512, 4096, 1);

/// The echo configurations "What the numbers say" quotes, in its order
/// (all in the full plan).
pub const ECHO_QUOTED: [EchoConfig; 3] = [ECHO_PING_PONG, ECHO_PIPELINED, ECHO_LARGE];

/// Datagram echo, one in flight: the round trip.
pub const DATAGRAM_RTT: (u64, u32) = (32, 1);

/// Datagram echo, 16 in flight: the rate.
pub const DATAGRAM_RATE: (u64, u32) = (32, 16);

/// The peers of the growth series: socketlab and the no-framework
/// reference (the others add nothing at 10,000 connections but minutes).
pub const GROWTH_PEERS: &[Peer] = &[Peer::Socketlab, Peer::Bare];

/// What to measure: the full plan or the quick one.
pub struct Plan {
    /// Repetitions of every measurement.
    pub runs: u32,
    /// Measured seconds per echo run.
    pub echo_seconds: f64,
    /// Warm-up seconds per echo run.
    pub echo_warmup: f64,
    /// (connections, message size, messages in flight).
    pub echo: Vec<EchoConfig>,
    /// Connection counts of the growth series ([`GROWTH_SIZE`] ping-pong
    /// each), ascending.
    pub growth: Vec<u32>,
    /// Seconds per relay run.
    pub relay_seconds: f64,
    /// Message sizes into the sink.
    pub sink_sizes: Vec<u64>,
    /// Message sizes through the TCP echo.
    pub echo_sizes: Vec<u64>,
    /// (subscribers, messages, rate per second).
    pub fanout: Vec<(u32, u32, u32)>,
    /// The clients the fan-out is measured with.
    pub fanout_clients: &'static [ClientKind],
    /// Storm sizes (members), ascending.
    pub storms: Vec<u32>,
    /// Seconds the storm's members stay between joining and leaving.
    pub storm_stay: f64,
    /// The clients storms are measured with.
    pub storm_clients: &'static [ClientKind],
    /// The scale-out room: (subscribers, messages, rate per second).
    pub scale_out: (u32, u32, u32),
    /// Idle connection counts, ascending.
    pub idle: &'static str,
    /// Seconds each idle step settles.
    pub idle_settle: f64,
    /// The peers measured for idle memory.
    pub idle_peers: &'static [Peer],
    /// Fresh browser sessions loading the page (each cold, then warm).
    pub page_sessions: u32,
    /// Seconds per datagram run.
    pub datagram_seconds: f64,
    /// Datagram echo: (message size, messages in flight), each through
    /// both doors.
    pub datagram_echo: Vec<(u64, u32)>,
    /// Datagram relay into the UDP sink: message sizes.
    pub datagram_sink_sizes: Vec<u64>,
    /// Room sizes whose allocations per delivery are counted.
    pub alloc_rooms: &'static str,
}

impl Plan {
    /// The plan for `cargo xtask bench` (`quick`: `--quick`).
    pub fn new(quick: bool) -> Self {
        if quick {
            Self {
                runs: 1,
                echo_seconds: 1.0,
                echo_warmup: 0.3,
                echo: vec![ECHO_PING_PONG, ECHO_PIPELINED],
                growth: vec![],
                relay_seconds: 1.0,
                sink_sizes: vec![4096, 65_536],
                echo_sizes: vec![],
                fanout: vec![(100, 100, 100)],
                fanout_clients: &[ClientKind::Lean, ClientKind::Standard],
                storms: vec![1000],
                storm_stay: 2.0,
                storm_clients: &[ClientKind::Standard],
                scale_out: (100, 100, 100),
                idle: "1000",
                idle_settle: 1.0,
                idle_peers: &[Peer::Socketlab],
                page_sessions: 2,
                datagram_seconds: 1.0,
                datagram_echo: vec![DATAGRAM_RTT, DATAGRAM_RATE],
                datagram_sink_sizes: vec![1024],
                alloc_rooms: "100,1000",
            }
        } else {
            Self {
                runs: 3,
                echo_seconds: 3.0,
                echo_warmup: 1.0,
                echo: vec![
                    (1, 32, 1),
                    (1, 4096, 1),
                    ECHO_PING_PONG,
                    (64, 4096, 1),
                    (512, 32, 1),
                    ECHO_LARGE,
                    ECHO_PIPELINED,
                    (64, 4096, 16),
                    (512, 32, 16),
                    (512, 4096, 16),
                ],
                growth: vec![1, 10, 100, 1000, 10_000],
                relay_seconds: 3.0,
                sink_sizes: vec![1024, 4096, 16_384, 65_536],
                echo_sizes: vec![4096, 65_536],
                fanout: vec![(500, 500, 100), (1000, 500, 100), (5000, 200, 20)],
                fanout_clients: &[ClientKind::Lean, ClientKind::Standard],
                storms: vec![1000, 5000, 10_000],
                storm_stay: 5.0,
                storm_clients: &[ClientKind::Standard, ClientKind::Lean],
                scale_out: (500, 500, 100),
                idle: "1000,5000,10000",
                idle_settle: 2.0,
                idle_peers: &[Peer::Socketlab, Peer::Bare],
                page_sessions: 5,
                datagram_seconds: 3.0,
                datagram_echo: vec![DATAGRAM_RTT, DATAGRAM_RATE, (1024, 16)],
                datagram_sink_sizes: vec![64, 1024],
                alloc_rooms: "100,1000",
            }
        }
    }
}

/// A part of the plan that `--only` can measure on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    /// One chat room across socketlab instances sharing it through NATS,
    /// next to one instance.
    ScaleOut,
}

impl Section {
    /// Its name on the command line (`--only scale-out`).
    pub fn name(self) -> &'static str {
        match self {
            Section::ScaleOut => "scale-out",
        }
    }
}

/// One way of serving the scale-out room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setup {
    /// socketlab instances; subscribers are dealt over them round-robin.
    pub instances: usize,
    /// Whether the instances share rooms through NATS (else each keeps
    /// its rooms in the process: the default).
    pub nats: bool,
}

/// The scale-out setups: one instance as users run it, the same through
/// NATS (what the bus costs), and two instances sharing the room.
pub const SETUPS: [Setup; 3] = [
    Setup {
        instances: 1,
        nats: false,
    },
    Setup {
        instances: 1,
        nats: true,
    },
    Setup {
        instances: 2,
        nats: true,
    },
];

impl Setup {
    /// For file names: `local`, `nats-1`, `nats-2`.
    pub fn slug(self) -> String {
        if self.nats {
            format!("nats-{}", self.instances)
        } else {
            "local".to_owned()
        }
    }

    /// `--instance-id` of instance `index`: `a`, `b` across instances;
    /// `solo` alone.
    pub fn instance_id(self, index: usize) -> String {
        if self.instances == 1 {
            "solo".to_owned()
        } else {
            char::from(b'a' + index as u8).to_string()
        }
    }

    /// socketlab's flags beyond the benchmark limits.
    pub fn server_args(self, index: usize, bus: &str) -> Vec<String> {
        let mut args = vec![
            "--chat-queue".to_owned(),
            SCALE_OUT_CHAT_QUEUE.to_string(),
            "--instance-id".to_owned(),
            self.instance_id(index),
        ];
        if self.nats {
            args.extend(["--bus".to_owned(), bus.to_owned()]);
        }
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quick_plan_is_small_and_the_full_plan_repeats() {
        let quick = Plan::new(true);
        let full = Plan::new(false);
        assert_eq!(quick.runs, 1);
        assert_eq!(full.runs, 3);
        assert!(quick.echo.len() < full.echo.len());
        assert!(full.sink_sizes.contains(&4096) && full.sink_sizes.contains(&65_536));
        assert_eq!(full.idle, "1000,5000,10000");
        assert_eq!(full.page_sessions, 5);
        for config in [DATAGRAM_RTT, DATAGRAM_RATE] {
            assert!(quick.datagram_echo.contains(&config));
            assert!(full.datagram_echo.contains(&config));
        }
        assert!(full.datagram_sink_sizes.contains(&1024));
        assert!(quick.page_sessions < full.page_sessions);
        let subscribers: Vec<u32> = full.fanout.iter().map(|f| f.0).collect();
        assert_eq!(subscribers, [500, 1000, 5000]);
        assert_eq!(full.storms, [1000, 5000, 10_000]);
        assert!(full.storm_clients.contains(&ClientKind::Standard));
        assert!(full.fanout_clients.contains(&ClientKind::Standard));
        // Echo next to Bun: 64 and 512 connections, 32 B and 4 KiB,
        // ping-pong and 16 in flight.
        for conns in [64, 512] {
            for size in [32, 4096] {
                for inflight in [1, 16] {
                    assert!(full.echo.contains(&(conns, size, inflight)));
                }
            }
        }
    }

    #[test]
    fn scale_out_spreads_one_room_over_two_instances() {
        assert_eq!(Plan::new(false).scale_out.0, 500);
        assert_eq!(Plan::new(true).scale_out.0, 100);
        let two = SETUPS.iter().find(|s| s.instances == 2).unwrap();
        assert!(two.nats);
        let args = two.server_args(1, "nats://127.0.0.1:4222");
        assert_eq!(
            args,
            [
                "--chat-queue",
                &SCALE_OUT_CHAT_QUEUE.to_string(),
                "--instance-id",
                "b",
                "--bus",
                "nats://127.0.0.1:4222"
            ]
        );
        let local = SETUPS[0].server_args(0, "nats://127.0.0.1:4222");
        assert!(!local.contains(&"--bus".to_owned()), "{local:?}");
        let slugs: Vec<String> = SETUPS.iter().map(|s| s.slug()).collect();
        assert_eq!(slugs, ["local", "nats-1", "nats-2"]);
    }

    #[test]
    fn the_report_quotes_configurations_of_the_full_plan() {
        let full = Plan::new(false);
        for config in ECHO_QUOTED {
            assert!(full.echo.contains(&config), "{config:?}");
        }
        assert!(full.growth.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn peers_and_benchmarks_read_back_from_results() {
        for peer in Peer::ALL {
            assert_eq!(Peer::of(peer.name()), Some(peer));
        }
        assert_eq!(Peer::of("nginx"), None);
        let params = |bench: &str, section: Option<&str>| Params {
            bench: bench.to_owned(),
            section: section.map(str::to_owned),
            ..Params::default()
        };
        assert_eq!(Bench::of(&params("echo", None)), Some(Bench::Echo));
        assert_eq!(
            Bench::of(&params("echo", Some("growth"))),
            Some(Bench::Growth)
        );
        assert_eq!(Bench::of(&params("raw-tcp", None)), Some(Bench::Relay));
        assert_eq!(Bench::of(&params("fanout", None)), Some(Bench::Fanout));
        assert_eq!(
            Bench::of(&params("fanout", Some("scale-out"))),
            Some(Bench::ScaleOut)
        );
        assert_eq!(Bench::of(&params("page-size", None)), Some(Bench::PageSize));
        assert_eq!(Bench::of(&params("storm", None)), Some(Bench::Storm));
        assert_eq!(Bench::of(&params("datagram", None)), Some(Bench::Datagram));
        assert_eq!(Bench::of(&params("nope", None)), None);
    }
}
