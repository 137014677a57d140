//! Process supervision for the runner: the peers and helpers it starts in
//! the background ([`Daemon`]) and the pipes it drains, all stopped and
//! reaped by the time their owner is dropped.

use std::fs::{self, File};
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::workspace;

/// How long a process asked to stop (SIGTERM) may take before it is killed.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a peer may take to start listening.
pub const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A background process this run started: a peer, a sink, a server. It
/// is killed (with any children it forked) when dropped.
pub struct Daemon {
    /// For messages.
    pub name: String,
    /// The process.
    pub child: Child,
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
    pub fn pid(&self) -> u32 {
        self.child.id()
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
    pub fn terminate(&mut self) {
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
    pub fn stop(&mut self) {
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
}
