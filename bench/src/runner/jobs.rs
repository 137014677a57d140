//! The load generator's invocations: the plan's measurements against the
//! running peers, each run pinned to the load core, bounded in time, its
//! results appended to the results file.

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use super::peers::{start_chat, start_helper, start_socketlab, Peers, UDP_SINK};
use crate::client::ClientKind;
use crate::plan::{Bench, Peer, Plan, GROWTH_PEERS, GROWTH_SIZE, LOAD_CORE, RTT_SIZE, SERVER_CORE};
use crate::supervise::{collect, Group};
use crate::workspace;

/// One invocation of the load generator.
pub struct Job {
    /// What the progress line calls it.
    pub label: String,
    /// The program: `socketlab-bench` unless [`Job::with_program`].
    pub program: PathBuf,
    /// `socketlab-bench` arguments (without `--run`).
    pub args: Vec<String>,
    /// Kill it after this long.
    pub timeout: Duration,
}

impl Job {
    /// A job running `command_line` (arguments separated by spaces; none
    /// of them, URLs, numbers and names, contains one), killed after
    /// `timeout_secs`.
    pub fn new(label: String, timeout_secs: f64, command_line: String) -> Self {
        Self {
            label,
            program: workspace::bench_binary(),
            args: command_line.split_whitespace().map(str::to_owned).collect(),
            timeout: Duration::from_secs_f64(timeout_secs),
        }
    }

    /// The same job run by another of the harness's binaries.
    pub fn with_program(mut self, program: PathBuf) -> Self {
        self.program = program;
        self
    }
}

/// Allocations per delivered room message, counted by `socketlab-alloc`
/// around its own in-process server (so no peer is involved).
pub fn alloc_job(plan: &Plan) -> Job {
    Job::new(
        format!("alloc {} members", plan.alloc_rooms),
        180.0,
        format!("--members {}", plan.alloc_rooms),
    )
    .with_program(workspace::alloc_binary())
}

/// The plan's measurements against the running peers (idle runs excepted:
/// they need fresh servers).
pub fn jobs(plan: &Plan, peers: &Peers) -> Vec<Job> {
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
    let growth = Bench::Growth.section().unwrap_or_default();
    for &conns in &plan.growth {
        for (name, url, pid) in &peers.echoes {
            if !GROWTH_PEERS.contains(name) {
                continue;
            }
            jobs.push(Job::new(
                format!("growth {name} {conns} conns"),
                warmup + seconds + 120.0,
                format!(
                    "echo --url {url} --conns {conns} --size {GROWTH_SIZE} --inflight 1 \
                     --seconds {seconds} --warmup {warmup} --peer {name} --server-pid {pid} \
                     --section {growth}"
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
            format!("{} {mode} {size} B", Peer::RawTcp),
            timeout,
            format!(
                "{} --target {target} --mode {mode} --size {size} --seconds {seconds} \
                 --load-pid {target_pid}",
                Peer::RawTcp
            ),
        ));
    }
    let (echo_target, echo_pid) = &peers.tcp_echo;
    for relay in &peers.relays {
        let (url, pid) = &relay.echo;
        jobs.push(Job::new(
            format!("relay {} rtt {RTT_SIZE} B", relay.name),
            timeout,
            format!(
                "relay --url {url} --rtt --size {RTT_SIZE} --seconds {seconds} --peer {} \
                 --server-pid {pid} --load-pid {echo_pid}",
                relay.name
            ),
        ));
    }
    jobs.push(Job::new(
        format!("{} rtt {RTT_SIZE} B", Peer::RawTcp),
        timeout,
        format!(
            "{} --target {echo_target} --rtt --size {RTT_SIZE} --seconds {seconds} \
             --load-pid {echo_pid}",
            Peer::RawTcp
        ),
    ));
    jobs.extend(datagram_jobs(plan, peers));
    for &(subscribers, messages, rate) in &plan.fanout {
        for &client in plan.fanout_clients {
            for (peer, url, pid) in &peers.chats {
                jobs.push(Job::new(
                    format!("fanout {peer} {subscribers} subscribers, {client} client"),
                    f64::from(messages) / f64::from(rate) + 180.0,
                    format!(
                        "fanout --url {url} --subscribers {subscribers} --messages {messages} \
                         --rate {rate} --client {client} --source-ips {} --peer {peer} \
                         --server-pid {pid}",
                        source_ips(subscribers)
                    ),
                ));
            }
        }
    }
    jobs
}

/// WebTransport datagrams next to a WebSocket, against the main socketlab:
/// the echo, then the relay into the UDP sink, each through both doors.
fn datagram_jobs(plan: &Plan, peers: &Peers) -> Vec<Job> {
    let (addr, pid) = &peers.socketlab;
    let seconds = plan.datagram_seconds;
    let mut jobs = Vec::new();
    for door in ["webtransport", "websocket"] {
        for &(size, inflight) in &plan.datagram_echo {
            jobs.push(Job::new(
                format!("datagram {door} echo {size} B x {inflight}"),
                seconds + 60.0,
                format!(
                    "datagram --server {addr} --door {door} --mode echo --size {size} \
                     --inflight {inflight} --seconds {seconds} --server-pid {pid}"
                ),
            ));
        }
        for &size in &plan.datagram_sink_sizes {
            jobs.push(Job::new(
                format!("datagram {door} relay to {UDP_SINK} {size} B"),
                seconds + 60.0,
                format!(
                    "datagram --server {addr} --door {door} --mode sink --target {UDP_SINK} \
                     --size {size} --seconds {seconds} --server-pid {pid} --load-pid {}",
                    peers.udp_sink
                ),
            ));
        }
    }
    jobs
}

/// Loopback source addresses for `connections` to one server: one per
/// 2,500, so that no address runs short of source ports even with the
/// previous run's connections still in `TIME_WAIT`.
pub fn source_ips(connections: u32) -> u32 {
    connections.div_ceil(2500).clamp(1, 250)
}

/// The page measurement against the running socketlab, after everything
/// else; or why it cannot run (no Chromium or chromedriver).
pub fn page_job(plan: &Plan, peers: &Peers) -> std::result::Result<Job, String> {
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

/// One storm of the plan.
#[derive(Debug, Clone, Copy)]
pub struct Storm<'a> {
    /// The chat server.
    pub peer: Peer,
    /// How many join and leave.
    pub members: u32,
    /// What they read with.
    pub client: ClientKind,
    /// Bun, for its peer.
    pub bun: Option<&'a Path>,
}

/// Runs jobs and collects their results and failures.
pub struct Measurements {
    /// The results file, appended to.
    pub results: File,
    /// Runs in the plan, for progress lines.
    pub runs: u32,
    /// Jobs run so far.
    pub done: usize,
    /// What failed, one line each.
    pub failures: Vec<String>,
    /// Command lines of the peers, for the report.
    pub commands: Vec<String>,
}

impl Measurements {
    /// Starts a fresh results file at `path`.
    pub fn new(path: &Path, runs: u32) -> Result<Self> {
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
    pub fn run(&mut self, job: &Job, run: u32) {
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

    /// [`Measurements::run`] without the bookkeeping.
    pub fn try_run(&mut self, job: &Job, run: u32) -> Result<()> {
        // Its own process group, so that a job killed on its timeout takes
        // what it started (the page's chromedriver and Chromium) with it.
        let mut child = Group::spawn(
            Command::new("taskset")
                .args(["-c", LOAD_CORE])
                .arg(&job.program)
                .args(&job.args)
                .arg("--run")
                .arg(run.to_string())
                .current_dir(workspace::root())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped()),
        )
        .context("cannot start socketlab-bench")?;
        let stdout = collect(child.child_mut().stdout.take().context("no stdout")?);
        let stderr = collect(child.child_mut().stderr.take().context("no stderr")?);
        let deadline = Instant::now() + job.timeout;
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if Instant::now() >= deadline {
                child.kill();
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

    /// One storm of `members` against a freshly started chat server of
    /// `peer`, so that its peak memory is the storm's and nothing else's.
    pub fn storm(&mut self, storm: Storm<'_>, plan: &Plan, run: u32, logs: &Path) {
        let Storm {
            peer,
            members,
            client,
            bun,
        } = storm;
        let (daemon, url) = match start_chat(logs, &format!("{peer}-storm"), peer, bun) {
            Ok(started) => started,
            Err(err) => {
                self.failures
                    .push(format!("storm {peer} (run {run}): {err:#}"));
                return;
            }
        };
        let job = Job::new(
            format!("storm {peer} {members} members, {client} client"),
            plan.storm_stay + 90.0,
            format!(
                "storm --url {url} --members {members} --stay-secs {} --client {client} \
                 --source-ips {} --peer {peer} --server-pid {}",
                plan.storm_stay,
                source_ips(members),
                daemon.pid()
            ),
        );
        self.run(&job, run);
        drop(daemon);
    }

    /// One idle-memory run against a freshly started `peer`, so that each
    /// run starts from a server that never held a connection.
    pub fn idle(&mut self, peer: Peer, plan: &Plan, run: u32, logs: &Path) {
        let started = match peer {
            Peer::Socketlab => start_socketlab(logs, "socketlab-idle", &[])
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_are_labelled_and_bounded() {
        let job = Job::new("x".into(), 1.5, "echo  --conns 64\n  --size 32".into());
        assert_eq!(job.args, ["echo", "--conns", "64", "--size", "32"]);
        assert_eq!(job.timeout, Duration::from_millis(1500));
    }

    #[test]
    fn large_rooms_spread_over_source_addresses() {
        assert_eq!(source_ips(1), 1);
        assert_eq!(source_ips(2500), 1);
        assert_eq!(source_ips(5000), 2);
        assert_eq!(source_ips(10_000), 4);
    }
}
