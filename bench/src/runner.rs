//! `socketlab-bench run`, what `cargo xtask bench` calls once it has built
//! the server and the harness: starts every peer pinned to its core, runs
//! the measurement plan and writes the report.
//!
//! The server under test (and each reference peer) runs on core 0, the
//! load generator and its TCP targets on core 1, so the two sides never
//! steal each other's CPU and each side's CPU use means something. All
//! measuring happens in the load-generating subcommands; this file only
//! starts, stops and sequences processes, and it kills everything it
//! started.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use clap::Args;

use crate::report::{self, ReportArgs};

/// The core the server under test runs on.
const SERVER_CORE: &str = "0";

/// The core the load generator and its TCP targets run on.
const LOAD_CORE: &str = "1";

/// Server limits for benchmarking: the defaults protect a public server
/// from one client (256 connections per IP, 10 chat frames/s), and the
/// benchmark *is* one client with thousands of connections.
const SERVER_LIMITS: &[&str] = &[
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
const SCALE_OUT_CHAT_QUEUE: u32 = 256;

/// Why [`SCALE_OUT_CHAT_QUEUE`] is what it is, for the report.
const SCALE_OUT_CHAT_QUEUE_WHY: &str = " (the default, as in the fan-out table: with every \
    subscriber staying in the room until all have every message, no subscriber's queue \
    overflowed at 256, so a larger queue would only have made the setups differ from the \
    fan-out table)";

/// How long a process asked to stop (SIGTERM) may take before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a peer may take to start listening.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The peers of the growth series: socketlab and the no-framework
/// reference (the others add nothing at 10,000 connections but minutes).
const GROWTH_PEERS: &[&str] = &["socketlab", "bare"];

/// What to measure: the full plan or the quick one.
struct Plan {
    /// Repetitions of every measurement.
    runs: u32,
    /// Measured seconds per echo run.
    echo_seconds: f64,
    /// Warm-up seconds per echo run.
    echo_warmup: f64,
    /// (connections, message size, messages in flight).
    echo: Vec<(u32, u64, u32)>,
    /// Connection counts of the growth series (32 B ping-pong each).
    growth: Vec<u32>,
    /// Seconds per relay run.
    relay_seconds: f64,
    /// Message sizes into the sink.
    sink_sizes: Vec<u64>,
    /// Message sizes through the TCP echo.
    echo_sizes: Vec<u64>,
    /// (subscribers, messages, rate per second).
    fanout: Vec<(u32, u32, u32)>,
    /// The scale-out room: (subscribers, messages, rate per second).
    scale_out: (u32, u32, u32),
    /// Idle connection counts, ascending.
    idle: &'static str,
    /// Seconds each idle step settles.
    idle_settle: f64,
    /// The peers measured for idle memory.
    idle_peers: &'static [&'static str],
    /// Fresh browser sessions loading the page (each cold, then warm).
    page_sessions: u32,
}

impl Plan {
    /// The plan for `cargo xtask bench` (`quick`: `--quick`).
    fn new(quick: bool) -> Self {
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

/// Where this run's files go.
struct Outputs {
    /// Results, one JSON line each.
    results: PathBuf,
    /// The scale-out section's results (kept apart so that it can be
    /// measured again on its own).
    scale_out_results: PathBuf,
    /// The Markdown report.
    report: PathBuf,
    /// The throughput plot.
    svg: PathBuf,
    /// Peers' stderr.
    logs: PathBuf,
}

impl Outputs {
    /// A full run writes the report into docs/; a quick one keeps
    /// everything under target/ so it never overwrites real results.
    fn new(quick: bool) -> Self {
        let bench = workspace::target_dir().join("bench");
        if quick {
            let dir = bench.join("quick");
            Self {
                results: dir.join("results.jsonl"),
                scale_out_results: dir.join("scale-out.jsonl"),
                report: dir.join("BENCHMARKS.md"),
                svg: dir.join("bench-relay-throughput.svg"),
                logs: dir.join("logs"),
            }
        } else {
            let docs = workspace::root().join("docs");
            Self {
                results: bench.join("results.jsonl"),
                scale_out_results: bench.join("scale-out.jsonl"),
                report: docs.join("BENCHMARKS.md"),
                svg: docs.join("bench-relay-throughput.svg"),
                logs: bench.join("logs"),
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

/// `socketlab-bench run`: what `cargo xtask bench` asks for, once it has
/// built the binaries and installed the peers. Runs in the workspace root.
#[derive(Debug, Clone, Args)]
pub struct RunnerArgs {
    /// One short run of a few configurations, written to
    /// target/bench/quick/ instead of docs/.
    #[arg(long)]
    pub quick: bool,
    /// Measure only this section again; the report keeps the other
    /// results, notes and commands of the previous run.
    #[arg(long, value_enum, value_name = "SECTION")]
    pub only: Option<Section>,
    /// websockify, if installed (else its rows are skipped).
    #[arg(long, value_name = "PROGRAM")]
    pub websockify: Option<PathBuf>,
    /// websocat 1.x, if installed (else its rows are skipped).
    #[arg(long, value_name = "PROGRAM")]
    pub websocat: Option<PathBuf>,
    /// nats-server, for the scale-out section.
    #[arg(long, value_name = "PROGRAM", default_value = "nats-server")]
    pub nats_server: PathBuf,
    /// A note for the report (a skipped peer, say); repeatable. The
    /// SOCKETLAB_BENCH_NOTE variable, if set, comes first.
    #[arg(long = "note")]
    pub notes: Vec<String>,
    /// Seconds spent building and installing before this run started, for
    /// the report's note on how long the measurements took.
    #[arg(long, default_value_t = 0.0)]
    pub prepared_secs: f64,
}

/// Runs the whole plan, or with `only` one section, keeping the other
/// results in the report.
pub fn run(args: RunnerArgs) -> Result<()> {
    let started = Instant::now() - Duration::from_secs_f64(args.prepared_secs.max(0.0));
    let (quick, only) = (args.quick, args.only);
    let plan = Plan::new(quick);
    let out = Outputs::new(quick);
    fs::create_dir_all(&out.logs)
        .with_context(|| format!("cannot create {}", out.logs.display()))?;
    let nats = NatsServer::probe(&args.nats_server)?;

    let mut notes = Vec::new();
    let mut commands = Vec::new();
    let mut failures = Vec::new();
    if only.is_none() {
        if let Ok(note) = std::env::var("SOCKETLAB_BENCH_NOTE") {
            notes.push(note);
        }
        notes.extend(args.notes.iter().cloned());
        notes.push(format!(
            "Load average (1, 5, 15 min) at the start: {}.",
            load_average()
        ));
        let mut bench = Bench::new(&out.results, plan.runs)?;
        let peers = Peers::start(
            &out.logs,
            args.websockify.as_deref(),
            args.websocat.as_deref(),
        )?;
        bench.commands = peers.commands();
        let jobs = jobs(&plan, &peers);
        let measuring = Instant::now();
        eprintln!(
            "bench: {} measurements x {} run(s), results in {}",
            jobs.len() + plan.idle_peers.len(),
            plan.runs,
            out.results.display()
        );
        for run in 1..=plan.runs {
            for job in &jobs {
                bench.run(job, run);
            }
            for idle_peer in plan.idle_peers {
                bench.idle(idle_peer, &plan, run, &out.logs);
            }
        }
        bench.run(
            &Job::new(
                "page-size".to_owned(),
                60.0,
                format!(
                    "page-size --dist {}",
                    workspace::root().join("dist").display()
                ),
            ),
            1,
        );
        match page_job(&plan, &peers) {
            Ok(job) => bench.run(&job, 1),
            Err(why) => {
                eprintln!("bench: page skipped: {why}");
                notes.push(format!("page: skipped; {why}."));
            }
        }
        drop(peers);
        notes.push(format!(
            "Load average (1, 5, 15 min) at the end: {}.",
            load_average()
        ));
        notes.push(format!(
            "The measurements took {:.1} minutes (building and installing before them: {:.1}).",
            measuring.elapsed().as_secs_f64() / 60.0,
            measuring.duration_since(started).as_secs_f64() / 60.0
        ));
        notes.extend(bench.failures.iter().map(|f| format!("Failed: {f}")));
        failures.append(&mut bench.failures);
        commands = bench.commands;
    } else {
        notes.extend(args.notes.iter().cloned());
    }

    let mut scale_out_notes = vec![match only {
        None => "Measured after the rest of the plan, in the same run.".to_owned(),
        Some(_) => "Measured on its own with `cargo xtask bench --only scale-out`; the other \
                    tables, the notes and the commands above come from the previous full run."
            .to_owned(),
    }];
    if only.is_some() {
        // The full run puts it among the main notes.
        if let Ok(note) = std::env::var("SOCKETLAB_BENCH_NOTE") {
            scale_out_notes.push(note);
        }
    }
    let mut bench = Bench::new(&out.scale_out_results, plan.runs)?;
    let measuring = Instant::now();
    let load_before = load_average();
    if let Err(err) = scale_out(&plan, &nats, &out.logs, &mut bench) {
        bench.failures.push(format!("scale-out: {err:#}"));
    }
    scale_out_notes.push(format!(
        "Load average (1, 5, 15 min) at the start: {load_before}; at the end: {}. The \
         measurements took {:.1} minutes.",
        load_average(),
        measuring.elapsed().as_secs_f64() / 60.0
    ));
    scale_out_notes.push(format!(
        "{} with JetStream, its store in a fresh temporary directory; socketlab with the fan-out \
         table's flags and `--chat-queue {SCALE_OUT_CHAT_QUEUE}`{}.",
        nats.version, SCALE_OUT_CHAT_QUEUE_WHY
    ));
    scale_out_notes.extend(bench.failures.iter().map(|f| format!("Failed: {f}")));
    failures.append(&mut bench.failures);

    // Relative paths: the report quotes them, and it runs in the root.
    let short = |path: &Path| PathBuf::from(short_path(path));
    let keep_notes_from = (only.is_some() && out.report.exists()).then(|| short(&out.report));
    report::run(ReportArgs {
        results: [&out.results, &out.scale_out_results]
            .into_iter()
            .filter(|results| results.exists())
            .map(|results| short(results))
            .collect(),
        out: short(&out.report),
        svg: short(&out.svg),
        notes,
        commands,
        scale_out_notes,
        scale_out_commands: bench.commands,
        keep_notes_from,
        quick,
    })?;
    eprintln!(
        "bench: done in {:.0} s; report {}",
        started.elapsed().as_secs_f64(),
        out.report.display()
    );
    if !failures.is_empty() {
        bail!(
            "{} measurement(s) failed:\n  {}\nfix: read their output above; logs are in {}",
            failures.len(),
            failures.join("\n  "),
            out.logs.display()
        );
    }
    Ok(())
}

/// `/proc/loadavg`'s first three fields, to tell how busy the machine was.
fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|text| {
            text.split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A background process this run started: a peer, a sink, a server. It
/// is killed (with any children it forked) when dropped.
struct Daemon {
    /// For messages.
    name: String,
    /// The process.
    child: Child,
    /// Its command line, for the report's "Reproduce" section.
    command: String,
    /// Its stdout lines, read by a thread.
    lines: mpsc::Receiver<String>,
}

impl Daemon {
    /// Starts `program args` pinned to `core`, with the open-file limit
    /// raised to the hard limit (idle runs need thousands of sockets) and
    /// stderr in `logs/NAME.log`.
    fn start(name: &str, core: &str, program: &Path, args: &[String], logs: &Path) -> Result<Self> {
        let log_path = logs.join(format!("{name}.log"));
        let log = File::create(&log_path)
            .with_context(|| format!("cannot create {}", log_path.display()))?;
        // `exec` keeps one PID from sh through taskset to the program, so
        // the PID we hold is the one whose CPU and memory are measured.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"ulimit -n "$(ulimit -Hn)" && exec taskset -c "$0" "$@""#)
            .arg(core)
            .arg(program)
            .args(args)
            .current_dir(workspace::root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("cannot start {}", program.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            // Keeps draining after the caller stops listening, so the
            // daemon never blocks on a full pipe.
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = sender.send(line);
            }
        });
        let command = std::iter::once(format!("taskset -c {core} {}", short_path(program)))
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" ");
        eprintln!("bench: started {name} (pid {}): {command}", child.id());
        Ok(Self {
            name: name.to_owned(),
            child,
            command,
            lines,
        })
    }

    /// The process ID.
    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a stdout line starting with `prefix` and returns the rest.
    fn wait_for_line(&mut self, prefix: &str) -> Result<String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return Ok(rest.trim().to_owned());
                    }
                }
                Err(_) => bail!(
                    "{} did not print `{prefix}...` within {START_TIMEOUT:?}\nfix: read its log",
                    self.name
                ),
            }
        }
    }

    /// Waits until `addr` accepts TCP connections (for peers that print
    /// nothing when ready).
    fn wait_for_port(&mut self, addr: SocketAddr) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "{} exited at start ({status})\nfix: read its log",
                    self.name
                );
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        bail!(
            "{} did not listen on {addr} within {START_TIMEOUT:?}",
            self.name
        )
    }

    /// Asks the process to stop (SIGTERM: socketlab closes its WebSockets
    /// and tells the bus its members left, nats-server closes its store),
    /// waits up to [`STOP_TIMEOUT`], then kills whatever is left.
    fn terminate(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(self.child.id().to_string())
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < deadline && self.child.try_wait().ok().flatten().is_none() {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        self.stop();
    }

    /// Kills the process and its descendants, then reaps it.
    fn stop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let mut pids = descendants(self.child.id());
            pids.push(self.child.id());
            let _ = Command::new("kill")
                .arg("-KILL")
                .args(pids.iter().map(u32::to_string))
                .stderr(Stdio::null())
                .status();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The PIDs of `root`'s descendants (websockify forks one process per
/// connection), read from `/proc/*/stat`.
fn descendants(root: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let parents: Vec<(u32, u32)> = entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = fs::read_to_string(entry.path().join("stat")).ok()?;
            // The fields after the command name: state, ppid, ...
            let ppid = stat
                .rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(1)?
                .parse()
                .ok()?;
            Some((pid, ppid))
        })
        .collect();
    let mut found = Vec::new();
    let mut stack = vec![root];
    while let Some(parent) = stack.pop() {
        for &(pid, ppid) in &parents {
            if ppid == parent && !found.contains(&pid) {
                found.push(pid);
                stack.push(pid);
            }
        }
    }
    found
}

/// A path relative to the workspace root when it is inside it.
fn short_path(path: &Path) -> String {
    path.strip_prefix(workspace::root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A free loopback port, for peers that cannot pick their own and print it.
fn free_port() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?)
}

/// Starts socketlab with the benchmark limits and the given relay targets;
/// returns it and its address.
fn start_socketlab(
    logs: &Path,
    name: &str,
    targets: &[(&str, SocketAddr)],
) -> Result<(Daemon, String)> {
    let args: Vec<String> = targets
        .iter()
        .flat_map(|(target, addr)| {
            [
                "--relay-target".to_owned(),
                format!("{target}=tcp://{addr}"),
            ]
        })
        .collect();
    start_socketlab_with(logs, name, &args)
}

/// Starts socketlab with the benchmark limits and `extra` flags; returns
/// it and its address.
fn start_socketlab_with(logs: &Path, name: &str, extra: &[String]) -> Result<(Daemon, String)> {
    let args: Vec<String> = ["--listen", "127.0.0.1:0"]
        .iter()
        .chain(SERVER_LIMITS)
        .map(|arg| (*arg).to_owned())
        .chain(extra.iter().cloned())
        .collect();
    let mut server = Daemon::start(name, SERVER_CORE, &workspace::server_binary(), &args, logs)?;
    let url = server.wait_for_line("open http://")?;
    Ok((server, url.trim_end_matches('/').to_owned()))
}

/// Starts one of the harness's own servers and returns it and its address.
fn start_helper(logs: &Path, name: &str, core: &str, args: &[String]) -> Result<(Daemon, String)> {
    let mut daemon = Daemon::start(name, core, &workspace::bench_binary(), args, logs)?;
    let addr = daemon.wait_for_line("listening ")?;
    Ok((daemon, addr))
}

/// A WebSocket relay under test, reached at one URL per target.
struct Relay {
    /// The peer's name in results.
    name: &'static str,
    /// URL relaying to the sink, and the PID serving it.
    sink: (String, u32),
    /// URL relaying to the TCP echo, and the PID serving it.
    echo: (String, u32),
}

/// Everything running during the measurements.
struct Peers {
    /// Every process, stopped on drop (in reverse order of start).
    daemons: Vec<Daemon>,
    /// The sink's address and PID.
    sink: (String, u32),
    /// The TCP echo's address and PID.
    tcp_echo: (String, u32),
    /// WebSocket echo servers: name, URL, PID.
    echoes: Vec<(&'static str, String, u32)>,
    /// WebSocket relays.
    relays: Vec<Relay>,
    /// socketlab's address (for the chat).
    socketlab: (String, u32),
}

impl Peers {
    /// Starts the targets, socketlab, the bare references and whichever
    /// of websockify and websocat are installed.
    fn start(logs: &Path, websockify: Option<&Path>, websocat: Option<&Path>) -> Result<Self> {
        let mut daemons = Vec::new();
        let helper = |name: &str, core: &str, args: &[&str]| {
            let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
            start_helper(logs, name, core, &args)
        };
        let (sink, sink_addr) = helper("sink", LOAD_CORE, &["sink", "--listen", "127.0.0.1:0"])?;
        let sink_target = (sink_addr.clone(), sink.pid());
        daemons.push(sink);
        let (echo, echo_addr) = helper(
            "tcp-echo",
            LOAD_CORE,
            &["tcp-echo", "--listen", "127.0.0.1:0"],
        )?;
        let echo_target = (echo_addr.clone(), echo.pid());
        daemons.push(echo);
        let sink_socket: SocketAddr = sink_addr.parse()?;
        let echo_socket: SocketAddr = echo_addr.parse()?;

        let (server, addr) = start_socketlab(
            logs,
            "socketlab",
            &[("sink", sink_socket), ("echo", echo_socket)],
        )?;
        let socketlab = (addr.clone(), server.pid());
        let mut echoes = vec![("socketlab", format!("ws://{addr}/ws/echo"), server.pid())];
        let mut relays = vec![Relay {
            name: "socketlab",
            sink: (format!("ws://{addr}/ws/relay/sink"), server.pid()),
            echo: (format!("ws://{addr}/ws/relay/echo"), server.pid()),
        }];
        daemons.push(server);

        let (bare, bare_addr) = helper(
            "bare-echo",
            SERVER_CORE,
            &["bare-echo", "--listen", "127.0.0.1:0"],
        )?;
        echoes.push(("bare", format!("ws://{bare_addr}/"), bare.pid()));
        daemons.push(bare);
        let (bare_sink, bare_sink_addr) = helper(
            "bare-relay-sink",
            SERVER_CORE,
            &[
                "bare-relay",
                "--listen",
                "127.0.0.1:0",
                "--target",
                &sink_addr,
            ],
        )?;
        let (bare_echo, bare_echo_addr) = helper(
            "bare-relay-echo",
            SERVER_CORE,
            &[
                "bare-relay",
                "--listen",
                "127.0.0.1:0",
                "--target",
                &echo_addr,
            ],
        )?;
        relays.push(Relay {
            name: "bare",
            sink: (format!("ws://{bare_sink_addr}/"), bare_sink.pid()),
            echo: (format!("ws://{bare_echo_addr}/"), bare_echo.pid()),
        });
        daemons.push(bare_sink);
        daemons.push(bare_echo);

        if let Some(websockify) = websockify {
            let mut start = |name: &str, target: &str| -> Result<(String, u32)> {
                let port = free_port()?;
                let args = vec![port.to_string(), target.to_owned()];
                let mut daemon = Daemon::start(name, SERVER_CORE, websockify, &args, logs)?;
                daemon.wait_for_port(port)?;
                let pid = daemon.pid();
                daemons.push(daemon);
                Ok((format!("ws://{port}/"), pid))
            };
            let sink = start("websockify-sink", &sink_addr)?;
            let echo = start("websockify-echo", &echo_addr)?;
            relays.push(Relay {
                name: "websockify",
                sink,
                echo,
            });
        }
        if let Some(websocat) = websocat {
            let mut start = |name: &str, to: String| -> Result<(String, u32)> {
                let port = free_port()?;
                // -b: binary messages; -E: close each connection when either
                // side ends (websocat warns that serving many clients without it
                // leaks sockets); -B: messages up to 1 MiB (default 64 KiB).
                let args = vec![
                    "-b".to_owned(),
                    "-E".to_owned(),
                    "-B".to_owned(),
                    "1048576".to_owned(),
                    format!("ws-l:{port}"),
                    to,
                ];
                let mut daemon = Daemon::start(name, SERVER_CORE, websocat, &args, logs)?;
                daemon.wait_for_port(port)?;
                let pid = daemon.pid();
                daemons.push(daemon);
                Ok((format!("ws://{port}/"), pid))
            };
            let (url, pid) = start("websocat-echo", "mirror:".to_owned())?;
            echoes.push(("websocat", url, pid));
            let sink = start("websocat-relay-sink", format!("tcp:{sink_addr}"))?;
            let echo = start("websocat-relay-echo", format!("tcp:{echo_addr}"))?;
            relays.push(Relay {
                name: "websocat",
                sink,
                echo,
            });
        }
        Ok(Self {
            daemons,
            sink: sink_target,
            tcp_echo: echo_target,
            echoes,
            relays,
            socketlab,
        })
    }

    /// Every command line started, for the report.
    fn commands(&self) -> Vec<String> {
        self.daemons.iter().map(|d| d.command.clone()).collect()
    }
}

impl Drop for Peers {
    fn drop(&mut self) {
        while let Some(mut daemon) = self.daemons.pop() {
            daemon.stop();
        }
    }
}

/// One invocation of the load generator.
struct Job {
    /// What the progress line calls it.
    label: String,
    /// `socketlab-bench` arguments (without `--run`).
    args: Vec<String>,
    /// Kill it after this long.
    timeout: Duration,
}

impl Job {
    /// A job running `command_line` (arguments separated by spaces; none
    /// of them, URLs, numbers and names, contains one), killed after
    /// `timeout_secs`.
    fn new(label: String, timeout_secs: f64, command_line: String) -> Self {
        Self {
            label,
            args: command_line.split_whitespace().map(str::to_owned).collect(),
            timeout: Duration::from_secs_f64(timeout_secs),
        }
    }
}

/// The plan's measurements against the running peers (idle runs excepted:
/// they need fresh servers).
fn jobs(plan: &Plan, peers: &Peers) -> Vec<Job> {
    let mut jobs = Vec::new();
    let (seconds, warmup) = (plan.echo_seconds, plan.echo_warmup);
    for &(conns, size, inflight) in &plan.echo {
        for (name, url, pid) in &peers.echoes {
            jobs.push(Job::new(
                format!("echo {name} {conns} conns x {size} B x {inflight}"),
                warmup + seconds + 60.0,
                format!(
                    "echo --url {url} --conns {conns} --size {size} --inflight {inflight} \
                     --seconds {seconds} --warmup {warmup} --peer {name} --server-pid {pid}"
                ),
            ));
        }
    }
    for &conns in &plan.growth {
        for (name, url, pid) in &peers.echoes {
            if !GROWTH_PEERS.contains(name) {
                continue;
            }
            jobs.push(Job::new(
                format!("growth {name} {conns} conns"),
                warmup + seconds + 120.0,
                format!(
                    "echo --url {url} --conns {conns} --size 32 --inflight 1 \
                     --seconds {seconds} --warmup {warmup} --peer {name} --server-pid {pid} \
                     --section growth"
                ),
            ));
        }
    }
    let timeout = plan.relay_seconds + 60.0;
    let seconds = plan.relay_seconds;
    let modes = plan
        .sink_sizes
        .iter()
        .map(|&size| ("sink", size))
        .chain(plan.echo_sizes.iter().map(|&size| ("echo", size)));
    for (mode, size) in modes {
        let (target, target_pid) = if mode == "sink" {
            &peers.sink
        } else {
            &peers.tcp_echo
        };
        for relay in &peers.relays {
            let (url, pid) = if mode == "sink" {
                &relay.sink
            } else {
                &relay.echo
            };
            jobs.push(Job::new(
                format!("relay {} {mode} {size} B", relay.name),
                timeout,
                format!(
                    "relay --url {url} --mode {mode} --size {size} --seconds {seconds} \
                     --peer {} --server-pid {pid} --load-pid {target_pid}",
                    relay.name
                ),
            ));
        }
        jobs.push(Job::new(
            format!("raw-tcp {mode} {size} B"),
            timeout,
            format!(
                "raw-tcp --target {target} --mode {mode} --size {size} --seconds {seconds} \
                 --load-pid {target_pid}"
            ),
        ));
    }
    let (echo_target, echo_pid) = &peers.tcp_echo;
    for relay in &peers.relays {
        let (url, pid) = &relay.echo;
        jobs.push(Job::new(
            format!("relay {} rtt 32 B", relay.name),
            timeout,
            format!(
                "relay --url {url} --rtt --size 32 --seconds {seconds} --peer {} \
                 --server-pid {pid} --load-pid {echo_pid}",
                relay.name
            ),
        ));
    }
    jobs.push(Job::new(
        "raw-tcp rtt 32 B".to_owned(),
        timeout,
        format!(
            "raw-tcp --target {echo_target} --rtt --size 32 --seconds {seconds} \
             --load-pid {echo_pid}"
        ),
    ));
    let (chat_addr, chat_pid) = &peers.socketlab;
    for &(subscribers, messages, rate) in &plan.fanout {
        jobs.push(Job::new(
            format!("fanout socketlab {subscribers} subscribers"),
            f64::from(messages) / f64::from(rate) + 180.0,
            format!(
                "fanout --url ws://{chat_addr}/ws/chat --subscribers {subscribers} \
                 --messages {messages} --rate {rate} --server-pid {chat_pid}"
            ),
        ));
    }
    jobs
}

/// The page measurement against the running socketlab, after everything
/// else; or why it cannot run (no Chromium or chromedriver).
fn page_job(plan: &Plan, peers: &Peers) -> std::result::Result<Job, String> {
    // The same defaults and variables `socketlab-bench page` uses.
    for (variable, default) in [
        ("CHROMEDRIVER", "/usr/bin/chromedriver"),
        ("CHROMIUM", "/usr/bin/chromium"),
    ] {
        let path = std::env::var(variable).unwrap_or_else(|_| default.to_owned());
        if !Path::new(&path).exists() {
            return Err(format!(
                "{path} is missing (`cargo xtask install-tools` installs it)"
            ));
        }
    }
    let (addr, _) = &peers.socketlab;
    let sessions = plan.page_sessions;
    Ok(Job::new(
        format!("page socketlab, {sessions} browser sessions"),
        f64::from(sessions) * 40.0 + 60.0,
        format!("page --url http://{addr}/ --runs {sessions}"),
    ))
}

/// nats-server, as `cargo xtask bench` found it.
struct NatsServer {
    /// The program.
    program: PathBuf,
    /// What `--version` says, e.g. `nats-server: v2.9.10`.
    version: String,
}

impl NatsServer {
    /// Asks `program` for its version, or fails saying how to install it.
    fn probe(program: &Path) -> Result<Self> {
        let output = Command::new(program)
            .arg("--version")
            .stderr(Stdio::null())
            .output()
            .ok()
            .filter(|output| output.status.success());
        let Some(output) = output else {
            bail!(
                "`{}` is missing (the scale-out section runs one)\n\
                 fix: apt-get install -y nats-server",
                program.display()
            );
        };
        Ok(Self {
            program: program.to_owned(),
            version: String::from_utf8_lossy(&output.stdout).trim().to_owned(),
        })
    }
}

/// A directory under the system's temporary directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh, empty one named after `name` and this process.
    fn new(name: &str) -> Result<Self> {
        let path = std::env::temp_dir().join(format!("{name}-{}", std::process::id()));
        if path.exists() {
            fs::remove_dir_all(&path)
                .with_context(|| format!("cannot empty {}", path.display()))?;
        }
        fs::create_dir_all(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// One way of serving the scale-out room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Setup {
    /// socketlab instances; subscribers are dealt over them round-robin.
    instances: usize,
    /// Whether the instances share rooms through NATS (else each keeps
    /// its rooms in the process: the default).
    nats: bool,
}

/// The scale-out setups: one instance as users run it, the same through
/// NATS (what the bus costs), and two instances sharing the room.
const SETUPS: [Setup; 3] = [
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
    fn slug(self) -> String {
        if self.nats {
            format!("nats-{}", self.instances)
        } else {
            "local".to_owned()
        }
    }

    /// `--instance-id` of instance `index`: `a`, `b` across instances;
    /// `solo` alone.
    fn instance_id(self, index: usize) -> String {
        if self.instances == 1 {
            "solo".to_owned()
        } else {
            char::from(b'a' + index as u8).to_string()
        }
    }

    /// socketlab's flags beyond the benchmark limits.
    fn server_args(self, index: usize, bus: &str) -> Vec<String> {
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

/// The scale-out section: nats-server and the setups' instances on the
/// server core, one fan-out per setup and run (interleaved, so that a
/// setup never gets the quieter minutes), each against freshly started
/// instances.
fn scale_out(plan: &Plan, nats: &NatsServer, logs: &Path, bench: &mut Bench) -> Result<()> {
    let store = TempDir::new("socketlab-bench-nats")?;
    let addr = free_port()?;
    let args = vec![
        "-js".to_owned(),
        "-sd".to_owned(),
        store.0.display().to_string(),
        "-a".to_owned(),
        addr.ip().to_string(),
        "-p".to_owned(),
        addr.port().to_string(),
    ];
    let mut server = Daemon::start("nats-server", SERVER_CORE, &nats.program, &args, logs)?;
    server.wait_for_port(addr)?;
    bench.commands.push(server.command.clone());
    let bus = format!("nats://{addr}");
    let (subscribers, messages, rate) = plan.scale_out;
    eprintln!(
        "bench: scale-out, {} setups x {} run(s), {subscribers} subscribers, NATS at {bus}",
        SETUPS.len(),
        plan.runs
    );
    for run in 1..=plan.runs {
        for setup in SETUPS {
            let label = format!(
                "scale-out {} instance(s), {} bus, {subscribers} subscribers",
                setup.instances,
                if setup.nats { "nats" } else { "local" }
            );
            let mut instances = Vec::new();
            let mut urls = Vec::new();
            let started = (0..setup.instances).try_for_each(|index| {
                let name = format!(
                    "scale-out-{}-{}-run{run}",
                    setup.slug(),
                    setup.instance_id(index)
                );
                let (daemon, addr) =
                    start_socketlab_with(logs, &name, &setup.server_args(index, &bus))?;
                urls.push(format!("ws://{addr}/ws/chat"));
                instances.push(daemon);
                anyhow::Ok(())
            });
            if let Err(err) = started {
                eprintln!("bench: FAILED {label} (run {run}): {err:#}");
                bench
                    .failures
                    .push(format!("{label} (run {run}): cannot start: {err}"));
            } else {
                for daemon in &instances {
                    if !bench.commands.contains(&daemon.command) {
                        bench.commands.push(daemon.command.clone());
                    }
                }
                let mut line = format!(
                    "fanout --subscribers {subscribers} --messages {messages} --rate {rate} \
                     --section scale-out --server-pid {}",
                    server.pid()
                );
                for (url, daemon) in urls.iter().zip(&instances) {
                    line.push_str(&format!(" --url {url} --server-pid {}", daemon.pid()));
                }
                let job = Job::new(label, f64::from(messages) / f64::from(rate) + 180.0, line);
                bench.run(&job, run);
            }
            for mut daemon in instances.into_iter().rev() {
                daemon.terminate();
            }
        }
    }
    server.terminate();
    Ok(())
}

/// Runs jobs and collects their results and failures.
struct Bench {
    /// The results file, appended to.
    results: File,
    /// Runs in the plan, for progress lines.
    runs: u32,
    /// Jobs run so far.
    done: usize,
    /// What failed, one line each.
    failures: Vec<String>,
    /// Command lines of the peers, for the report.
    commands: Vec<String>,
}

impl Bench {
    /// Starts a fresh results file at `path`.
    fn new(path: &Path, runs: u32) -> Result<Self> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let results =
            File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(Self {
            results,
            runs,
            done: 0,
            failures: Vec::new(),
            commands: Vec::new(),
        })
    }

    /// Runs one job pinned to the load core, appends its JSON lines to the
    /// results, and records a failure instead of stopping the whole run.
    fn run(&mut self, job: &Job, run: u32) {
        self.done += 1;
        eprintln!(
            "bench: [{} | run {run}/{}] {}",
            self.done, self.runs, job.label
        );
        if let Err(err) = self.try_run(job, run) {
            eprintln!("bench: FAILED {} (run {run}): {err:#}", job.label);
            self.failures.push(format!(
                "{} (run {run}): {}",
                job.label,
                format!("{err:#}").lines().last().unwrap_or_default()
            ));
        }
    }

    /// [`Bench::run`] without the bookkeeping.
    fn try_run(&mut self, job: &Job, run: u32) -> Result<()> {
        let mut child = Command::new("taskset")
            .args(["-c", LOAD_CORE])
            .arg(workspace::bench_binary())
            .args(&job.args)
            .arg("--run")
            .arg(run.to_string())
            .current_dir(workspace::root())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("cannot start socketlab-bench")?;
        let stdout = collect(child.stdout.take().context("no stdout")?);
        let stderr = collect(child.stderr.take().context("no stderr")?);
        let deadline = Instant::now() + job.timeout;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                bail!("killed after {:?}", job.timeout);
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let stdout = stdout.join().unwrap_or_default();
        let stderr = stderr.join().unwrap_or_default();
        for line in stdout.lines().filter(|line| line.starts_with('{')) {
            writeln!(self.results, "{line}")?;
            eprintln!("  {line}");
        }
        self.results.flush()?;
        if !status.success() {
            eprint!("{stderr}");
            bail!(
                "{status}: {}",
                stderr.lines().last().unwrap_or("no error message")
            );
        }
        Ok(())
    }

    /// One idle-memory run against a freshly started `peer`, so that each
    /// run starts from a server that never held a connection.
    fn idle(&mut self, peer: &str, plan: &Plan, run: u32, logs: &Path) {
        let started = match peer {
            "socketlab" => start_socketlab(logs, "socketlab-idle", &[])
                .map(|(daemon, addr)| (format!("ws://{addr}/ws/echo"), daemon)),
            _ => start_helper(
                logs,
                "bare-echo-idle",
                SERVER_CORE,
                &[
                    "bare-echo".to_owned(),
                    "--listen".to_owned(),
                    "127.0.0.1:0".to_owned(),
                ],
            )
            .map(|(daemon, addr)| (format!("ws://{addr}/"), daemon)),
        };
        let (url, daemon) = match started {
            Ok(started) => started,
            Err(err) => {
                self.failures
                    .push(format!("idle {peer} (run {run}): {err}"));
                return;
            }
        };
        let job = Job::new(
            format!("idle {peer} {} conns", plan.idle),
            120.0,
            format!(
                "idle --url {url} --conns {} --settle {} --pid {} --peer {peer}",
                plan.idle,
                plan.idle_settle,
                daemon.pid()
            ),
        );
        self.run(&job, run);
        drop(daemon);
    }
}

/// Reads a pipe to the end on a thread (so neither pipe can fill up and
/// block the child while the other is being read).
fn collect(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// Where things live: the run starts in the workspace root (`cargo xtask
/// bench` runs it there), and every path is derived from it.
mod workspace {
    use std::path::{Path, PathBuf};
    use std::sync::OnceLock;

    /// The workspace root: the directory the run started in.
    pub fn root() -> &'static Path {
        static ROOT: OnceLock<PathBuf> = OnceLock::new();
        ROOT.get_or_init(|| std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")))
    }

    /// Cargo's output directory.
    pub fn target_dir() -> PathBuf {
        root().join("target")
    }

    /// The release server binary, with the page embedded.
    pub fn server_binary() -> PathBuf {
        target_dir().join("release").join("socketlab")
    }

    /// The release harness binary.
    pub fn bench_binary() -> PathBuf {
        target_dir().join("release").join("socketlab-bench")
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

    #[test]
    fn quick_runs_never_write_into_docs() {
        let quick = Outputs::new(true);
        assert!(quick.report.starts_with(workspace::target_dir()));
        assert!(quick.scale_out_results.starts_with(workspace::target_dir()));
        let full = Outputs::new(false);
        assert!(full.report.ends_with("docs/BENCHMARKS.md"));
        assert_ne!(full.results, full.scale_out_results);
        assert!(full.svg.ends_with("docs/bench-relay-throughput.svg"));
    }

    #[test]
    fn descendants_of_a_process_include_its_children() {
        let mut child = Command::new("sleep").arg("5").spawn().unwrap();
        let found = descendants(std::process::id());
        let _ = child.kill();
        let _ = child.wait();
        assert!(found.contains(&child.id()));
    }

    #[test]
    fn jobs_are_labelled_and_bounded() {
        let job = Job::new("x".into(), 1.5, "echo  --conns 64\n  --size 32".into());
        assert_eq!(job.args, ["echo", "--conns", "64", "--size", "32"]);
        assert_eq!(job.timeout, Duration::from_millis(1500));
    }
}
