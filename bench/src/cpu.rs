//! CPU and memory use of processes, read from Linux's `/proc`.
//!
//! A throughput number means little without the CPU it cost: a server that
//! is twice as fast at 100 % of a core is a different finding from one that
//! is twice as fast at 30 %. The harness samples `/proc/PID/stat` at the
//! start and end of exactly the measured window, which an outside sampler
//! (that sees only the whole process lifetime) could not do.

use std::collections::HashMap;
use std::time::Instant;

use anyhow::{Context, Result};

/// Clock ticks per second in `/proc/PID/stat`: the kernel's `USER_HZ`,
/// which is part of the user-space ABI and 100 on every Linux architecture
/// (unlike the kernel's internal `CONFIG_HZ`).
const USER_HZ: f64 = 100.0;

/// The fields of one `/proc/PID/stat` line that CPU accounting needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcStat {
    /// The process.
    pub pid: u32,
    /// Its parent, to find the children a forking server (websockify) starts.
    pub ppid: u32,
    /// User + system time of the process itself (all its threads), in ticks.
    pub ticks: u64,
    /// User + system time of its children that have exited and been
    /// waited for, in ticks.
    pub child_ticks: u64,
}

/// Parses one `/proc/PID/stat` line.
///
/// The command name (field 2) is in parentheses and may itself contain
/// spaces and parentheses, so the fields are counted from the *last* `)`.
pub fn parse_stat(line: &str) -> Option<ProcStat> {
    let (head, tail) = line.rsplit_once(')')?;
    let pid = head.split_once(" (")?.0.trim().parse().ok()?;
    // Fields after the name, numbered from 3 (state) as in proc(5).
    let fields: Vec<&str> = tail.split_whitespace().collect();
    let field = |number: usize| -> Option<u64> { fields.get(number - 3)?.parse().ok() };
    Some(ProcStat {
        pid,
        ppid: u32::try_from(field(4)?).ok()?,
        ticks: field(14)? + field(15)?,
        child_ticks: field(16)? + field(17)?,
    })
}

/// CPU time, in ticks, of `root` and all its live descendants, including
/// what their exited children used. `None` when `root` is not in `stats`.
///
/// A forking server's per-connection children count toward the server:
/// while alive through their own entries, after exiting through their
/// parent's `child_ticks`, so the total never jumps when one ends.
pub fn tree_ticks(stats: &[ProcStat], root: u32) -> Option<u64> {
    let by_pid: HashMap<u32, &ProcStat> = stats.iter().map(|stat| (stat.pid, stat)).collect();
    by_pid.get(&root)?;
    let mut children: HashMap<u32, Vec<u32>> = HashMap::new();
    for stat in stats {
        children.entry(stat.ppid).or_default().push(stat.pid);
    }
    let mut total = 0;
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        if let Some(stat) = by_pid.get(&pid) {
            total += stat.ticks + stat.child_ticks;
        }
        if let Some(kids) = children.get(&pid) {
            stack.extend(kids.iter().copied().filter(|&kid| kid != pid));
        }
    }
    Some(total)
}

/// Every process's stat line (processes that exit while being read are
/// skipped).
fn all_stats() -> Vec<ProcStat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            entry.file_name().to_str()?.parse::<u32>().ok()?;
            let line = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            parse_stat(&line)
        })
        .collect()
}

/// Parses `VmRSS:` from a `/proc/PID/status` text, in bytes.
pub fn parse_vm_rss(status: &str) -> Option<u64> {
    parse_status_kb(status, "VmRSS:")
}

/// Parses a `kB` field such as `VmHWM:` (peak resident memory) from a
/// `/proc/PID/status` text, in bytes.
pub fn parse_status_kb(status: &str, field: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with(field))?;
    let mut words = line[field.len()..].split_whitespace();
    let value: u64 = words.next()?.parse().ok()?;
    match words.next() {
        Some("kB") => Some(value * 1024),
        _ => None,
    }
}

/// The resident memory of process `pid`, in bytes.
pub fn rss_bytes(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {path}: is {pid} running?"))?;
    parse_vm_rss(&status).with_context(|| format!("no VmRSS line in {path}"))
}

/// The peak resident memory of process `pid` since it started
/// (`VmHWM`), in bytes.
pub fn peak_rss_bytes(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {path}: is {pid} running?"))?;
    parse_status_kb(&status, "VmHWM:").with_context(|| format!("no VmHWM line in {path}"))
}

/// Samples the CPU time of the server under test and of the load side.
pub struct CpuMeter {
    /// The server's processes (several instances and their bus add up;
    /// raw TCP has none).
    server: Vec<u32>,
    /// This process and the other load-side processes.
    load: Vec<u32>,
}

/// One reading of a [`CpuMeter`].
pub struct CpuSample {
    /// When it was taken.
    at: Instant,
    /// The server's total ticks, if every server process was found.
    server: Option<u64>,
    /// The load side's total ticks.
    load: u64,
}

/// CPU use between two samples, in % of one core (100 = one core busy).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CpuUsage {
    /// The server's share, when a server was measured.
    pub server_pct: Option<f64>,
    /// The load side's share.
    pub load_pct: f64,
}

impl CpuMeter {
    /// A meter for the `server` processes and for this process plus `load`.
    pub fn new(server: &[u32], load: &[u32]) -> Self {
        let mut pids = vec![std::process::id()];
        pids.extend(load.iter().copied());
        Self {
            server: server.to_vec(),
            load: pids,
        }
    }

    /// Reads the current totals.
    pub fn sample(&self) -> CpuSample {
        let stats = all_stats();
        CpuSample {
            at: Instant::now(),
            server: if self.server.is_empty() {
                None
            } else {
                self.server
                    .iter()
                    .map(|&pid| tree_ticks(&stats, pid))
                    .sum::<Option<u64>>()
            },
            load: self
                .load
                .iter()
                .filter_map(|&pid| tree_ticks(&stats, pid))
                .sum(),
        }
    }

    /// The server's CPU time between `start` and `end`, in seconds: what
    /// a burst (a storm, a fan-out) cost, whatever the window's length.
    pub fn server_seconds(start: &CpuSample, end: &CpuSample) -> Option<f64> {
        match (start.server, end.server) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / USER_HZ),
            _ => None,
        }
    }

    /// CPU use between `start` and `end`.
    pub fn usage(start: &CpuSample, end: &CpuSample) -> CpuUsage {
        let seconds = end.at.duration_since(start.at).as_secs_f64().max(1e-9);
        let pct = |ticks: u64| ticks as f64 / USER_HZ / seconds * 100.0;
        CpuUsage {
            server_pct: match (start.server, end.server) {
                (Some(a), Some(b)) => Some(pct(b.saturating_sub(a))),
                _ => None,
            },
            load_pct: pct(end.load.saturating_sub(start.load)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_parse_even_with_odd_names() {
        let line = "4242 (web (socket) x) S 1 4242 4242 0 -1 4194560 300 0 0 0 \
                    150 50 7 3 20 0 2 0 12345 1000000 200 18446744073709551615";
        assert_eq!(
            parse_stat(line),
            Some(ProcStat {
                pid: 4242,
                ppid: 1,
                ticks: 200,
                child_ticks: 10
            })
        );
        assert_eq!(parse_stat("garbage"), None);
        assert_eq!(parse_stat("1 (x) S 0"), None);
    }

    #[test]
    fn our_own_stat_parses() {
        let line = std::fs::read_to_string("/proc/self/stat").unwrap();
        let stat = parse_stat(&line).unwrap();
        assert_eq!(stat.pid, std::process::id());
    }

    #[test]
    fn tree_ticks_include_descendants_but_not_strangers() {
        let stat = |pid, ppid, ticks, child_ticks| ProcStat {
            pid,
            ppid,
            ticks,
            child_ticks,
        };
        let stats = [
            stat(1, 0, 1000, 0),
            stat(10, 1, 5, 2),
            stat(11, 10, 7, 0),
            stat(12, 11, 1, 0),
            stat(20, 1, 100, 0),
        ];
        assert_eq!(tree_ticks(&stats, 10), Some(15));
        assert_eq!(tree_ticks(&stats, 12), Some(1));
        assert_eq!(tree_ticks(&stats, 99), None);
    }

    #[test]
    fn vm_rss_is_read_in_bytes() {
        let status = "Name:\tsocketlab\nVmPeak:\t  9000 kB\nVmRSS:\t   12345 kB\nThreads:\t2\n";
        assert_eq!(parse_vm_rss(status), Some(12345 * 1024));
        assert_eq!(parse_status_kb(status, "VmPeak:"), Some(9000 * 1024));
        assert!(peak_rss_bytes(std::process::id()).unwrap() > 0);
        assert_eq!(parse_vm_rss("Name:\tx\n"), None);
        assert!(rss_bytes(std::process::id()).unwrap() > 0);
    }

    #[test]
    fn several_server_processes_add_up_and_a_missing_one_spoils_the_sum() {
        let me = std::process::id();
        assert!(CpuMeter::new(&[me, me], &[]).sample().server.is_some());
        assert_eq!(CpuMeter::new(&[me, u32::MAX], &[]).sample().server, None);
        assert_eq!(CpuMeter::new(&[], &[]).sample().server, None);
    }

    #[test]
    fn usage_is_percent_of_one_core() {
        let now = Instant::now();
        let start = CpuSample {
            at: now,
            server: Some(1000),
            load: 50,
        };
        let end = CpuSample {
            at: now + std::time::Duration::from_secs(2),
            server: Some(1200),
            load: 150,
        };
        let usage = CpuMeter::usage(&start, &end);
        assert_eq!(usage.server_pct, Some(100.0));
        assert_eq!(CpuMeter::server_seconds(&start, &end), Some(2.0));
        assert_eq!(usage.load_pct, 50.0);
    }
}
