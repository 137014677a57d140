//! The benchmark plan: which configurations are measured against which
//! peers, on which cores, with which server flags. The runner executes it
//! and the report describes it, both from these definitions.

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

/// The peers of the growth series: socketlab and the no-framework
/// reference (the others add nothing at 10,000 connections but minutes).
pub const GROWTH_PEERS: &[&str] = &["socketlab", "bare"];

/// What to measure: the full plan or the quick one.
pub struct Plan {
    /// Repetitions of every measurement.
    pub runs: u32,
    /// Measured seconds per echo run.
    pub echo_seconds: f64,
    /// Warm-up seconds per echo run.
    pub echo_warmup: f64,
    /// (connections, message size, messages in flight).
    pub echo: Vec<(u32, u64, u32)>,
    /// Connection counts of the growth series (32 B ping-pong each).
    pub growth: Vec<u32>,
    /// Seconds per relay run.
    pub relay_seconds: f64,
    /// Message sizes into the sink.
    pub sink_sizes: Vec<u64>,
    /// Message sizes through the TCP echo.
    pub echo_sizes: Vec<u64>,
    /// (subscribers, messages, rate per second).
    pub fanout: Vec<(u32, u32, u32)>,
    /// The scale-out room: (subscribers, messages, rate per second).
    pub scale_out: (u32, u32, u32),
    /// Idle connection counts, ascending.
    pub idle: &'static str,
    /// Seconds each idle step settles.
    pub idle_settle: f64,
    /// The peers measured for idle memory.
    pub idle_peers: &'static [&'static str],
    /// Fresh browser sessions loading the page (each cold, then warm).
    pub page_sessions: u32,
}

impl Plan {
    /// The plan for `cargo xtask bench` (`quick`: `--quick`).
    pub fn new(quick: bool) -> Self {
        if quick {
            Self {
                runs: 1,
                echo_seconds: 1.0,
                echo_warmup: 0.3,
                echo: vec![(64, 32, 1), (64, 32, 16)],
                growth: vec![],
                relay_seconds: 1.0,
                sink_sizes: vec![4096, 65_536],
                echo_sizes: vec![],
                fanout: vec![(100, 100, 100)],
                scale_out: (100, 100, 100),
                idle: "1000",
                idle_settle: 1.0,
                idle_peers: &["socketlab"],
                page_sessions: 2,
            }
        } else {
            Self {
                runs: 3,
                echo_seconds: 3.0,
                echo_warmup: 1.0,
                echo: vec![
                    (1, 32, 1),
                    (1, 4096, 1),
                    (64, 32, 1),
                    (64, 4096, 1),
                    (512, 32, 1),
                    (512, 4096, 1),
                    (64, 32, 16),
                ],
                growth: vec![1, 10, 100, 1000, 10_000],
                relay_seconds: 3.0,
                sink_sizes: vec![1024, 4096, 16_384, 65_536],
                echo_sizes: vec![4096, 65_536],
                fanout: vec![(100, 500, 100), (500, 500, 100), (1000, 500, 100)],
                scale_out: (500, 500, 100),
                idle: "1000,5000,10000",
                idle_settle: 2.0,
                idle_peers: &["socketlab", "bare"],
                page_sessions: 5,
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
        assert!(quick.page_sessions < full.page_sessions);
        let subscribers: Vec<u32> = full.fanout.iter().map(|f| f.0).collect();
        assert_eq!(subscribers, [100, 500, 1000]);
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
}
