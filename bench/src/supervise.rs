//! Process supervision for the runner: the peers and helpers it starts in
//! the background ([`Daemon`]) and the pipes it drains, all stopped and
//! reaped by the time their owner is dropped.
//!
//! Every child starts in a process group of its own ([`Group`]) and is
//! killed as a group, so whatever it forked (websockify's per-connection
//! processes, the page benchmark's chromedriver and Chromium) goes with
//! it: when its owner is dropped, when a job times out, and when the run
//! itself is interrupted ([`stop_all_on_signal`]).

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::workspace;

/// How long a process asked to stop (SIGTERM) may take before it is killed.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a peer may take to start listening.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The process groups alive now, for [`stop_all_on_signal`].
static GROUPS: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// A child in a process group of its own (its PID is the group's ID),
/// killed with its whole group when dropped.
pub struct Group {
    /// The group's leader.
    child: Child,
    /// Whether the group was killed and the leader reaped.
    done: bool,
}

impl Group {
    /// Spawns `command` as the leader of a new process group.
    pub fn spawn(command: &mut Command) -> std::io::Result<Self> {
        let child = command.process_group(0).spawn()?;
        lock_groups().push(child.id());
        Ok(Self { child, done: false })
    }

    /// The leader's PID, which is also the group's ID.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// The leader, to take its pipes.
    pub fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Whether the leader has exited (then it is reaped).
    pub fn try_wait(&mut self) -> std::io::Result<Option<std::process::ExitStatus>> {
        self.child.try_wait()
    }

    /// Kills the group, and any descendant of the leader that left it,
    /// then reaps the leader. Does nothing the second time.
    pub fn kill(&mut self) {
        if self.done {
            return;
        }
        self.done = true;
        let pgid = self.child.id();
        let mut targets: Vec<String> = descendants(pgid).iter().map(u32::to_string).collect();
        targets.push(format!("-{pgid}"));
        let _ = Command::new("kill")
            .arg("-KILL")
            .arg("--")
            .args(&targets)
            .stderr(Stdio::null())
            .status();
        let _ = self.child.wait();
        lock_groups().retain(|&group| group != pgid);
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.kill();
    }
}

/// [`GROUPS`], even if a thread panicked while holding it.
fn lock_groups() -> std::sync::MutexGuard<'static, Vec<u32>> {
    GROUPS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// On SIGINT (Ctrl-C) or SIGTERM, kills every process group still alive
/// and exits: the children live in groups of their own, so the terminal's
/// Ctrl-C no longer reaches them, and a run stopped halfway must not leave
/// servers behind.
pub fn stop_all_on_signal() -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .context("cannot start the signal watcher")?;
    // Registered here, before any child starts, not in the thread.
    let (mut interrupt, mut terminate) = {
        let _entered = runtime.enter();
        (
            signal(SignalKind::interrupt()).context("cannot watch SIGINT")?,
            signal(SignalKind::terminate()).context("cannot watch SIGTERM")?,
        )
    };
    std::thread::spawn(move || {
        runtime.block_on(async {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        });
        let groups = std::mem::take(&mut *lock_groups());
        eprintln!(
            "bench: interrupted; killing the {} process group(s) it started",
            groups.len()
        );
        for pgid in groups {
            let _ = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pgid}")])
                .stderr(Stdio::null())
                .status();
        }
        std::process::exit(130);
    });
    Ok(())
}

/// A background process this run started: a peer, a sink, a server. It
/// is killed with its process group (any children it forked) when dropped.
pub struct Daemon {
    /// For messages.
    pub name: String,
    /// The process, leading its own group.
    pub process: Group,
    /// Its command line, for the report's "Reproduce" section.
    pub command: String,
    /// Its stdout lines, read by a thread.
    pub lines: mpsc::Receiver<String>,
}

impl Daemon {
    /// Starts `program args` pinned to `core`, with the open-file limit
    /// raised to the hard limit (idle runs need thousands of sockets) and
    /// stderr in `logs/NAME.log`.
    pub fn start(
        name: &str,
        core: &str,
        program: &Path,
        args: &[String],
        logs: &Path,
    ) -> Result<Self> {
        let log_path = logs.join(format!("{name}.log"));
        let log = File::create(&log_path)
            .with_context(|| format!("cannot create {}", log_path.display()))?;
        // `exec` keeps one PID from sh through taskset to the program, so
        // the PID we hold is the one whose CPU and memory are measured.
        let mut process = Group::spawn(
            Command::new("sh")
                .arg("-c")
                .arg(r#"ulimit -n "$(ulimit -Hn)" && exec taskset -c "$0" "$@""#)
                .arg(core)
                .arg(program)
                .args(args)
                .current_dir(workspace::root())
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::from(log)),
        )
        .with_context(|| format!("cannot start {}", program.display()))?;
        let stdout = process.child_mut().stdout.take().context("no stdout")?;
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
        eprintln!("bench: started {name} (pid {}): {command}", process.id());
        Ok(Self {
            name: name.to_owned(),
            process,
            command,
            lines,
        })
    }

    /// The process ID.
    pub fn pid(&self) -> u32 {
        self.process.id()
    }

    /// Waits for a stdout line starting with `prefix` and returns the rest.
    pub fn wait_for_line(&mut self, prefix: &str) -> Result<String> {
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
    pub fn wait_for_port(&mut self, addr: SocketAddr) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        while Instant::now() < deadline {
            if let Some(status) = self.process.try_wait()? {
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
    pub fn terminate(&mut self) {
        if self.process.try_wait().ok().flatten().is_none() {
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(self.process.id().to_string())
                .stderr(Stdio::null())
                .status();
            let deadline = Instant::now() + STOP_TIMEOUT;
            while Instant::now() < deadline && self.process.try_wait().ok().flatten().is_none() {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        self.stop();
    }

    /// Kills the process, its group and its descendants, then reaps it.
    pub fn stop(&mut self) {
        self.process.kill();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The PIDs of `root`'s descendants (websockify forks one process per
/// connection), read from `/proc/*/stat`.
pub fn descendants(root: u32) -> Vec<u32> {
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
pub fn short_path(path: &Path) -> String {
    path.strip_prefix(workspace::root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// A free loopback port, for peers that cannot pick their own and print it.
pub fn free_port() -> Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot find a free port")?;
    Ok(listener.local_addr()?)
}

/// Reads a pipe to the end on a thread (so neither pipe can fill up and
/// block the child while the other is being read).
pub fn collect(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descendants_of_a_process_include_its_children() {
        let mut child = Command::new("sleep").arg("5").spawn().unwrap();
        let found = descendants(std::process::id());
        let _ = child.kill();
        let _ = child.wait();
        assert!(found.contains(&child.id()));
    }

    #[test]
    fn a_group_is_killed_with_what_it_forked() {
        let mut group =
            Group::spawn(Command::new("sh").args(["-c", "sleep 30 & sleep 30"])).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut forked = Vec::new();
        while forked.len() < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
            forked = descendants(group.id());
        }
        assert_eq!(forked.len(), 2, "{forked:?}");
        assert!(lock_groups().contains(&group.id()));
        group.kill();
        assert!(!lock_groups().contains(&group.id()));
        let deadline = Instant::now() + Duration::from_secs(5);
        let alive = |pid: &u32| {
            fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
                stat.rsplit_once(')')
                    .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
            })
        };
        while forked.iter().any(alive) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!forked.iter().any(alive), "{forked:?} outlived their group");
    }
}
