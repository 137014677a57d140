//! Results: one JSON object per line on stdout, and the flags every load
//! subcommand shares to label and measure them.
//!
//! One line per result keeps the output appendable (`>> results.jsonl`)
//! and greppable; the report reads the same type back, so a field can
//! never be written under one name and read under another.

use std::io::Write as _;

use anyhow::{Context, Result};
use clap::Args;
use serde::{Deserialize, Serialize};

use crate::cpu::{CpuMeter, CpuUsage};
use crate::stats::{round1, LatencySummary};

/// One measurement: what was measured and what came out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The configuration; records with equal parameters are repeats.
    #[serde(flatten)]
    pub params: Params,
    /// The measured values.
    #[serde(flatten)]
    pub metrics: Metrics,
    /// Which repetition this was (1, 2, 3), when the caller numbers them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<u32>,
}

/// What a measurement was of. Ordered and hashable so that the report can
/// group repeats and sort tables without knowing each benchmark.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Params {
    /// The benchmark: `echo`, `relay`, `raw-tcp`, `fanout`, `idle`.
    pub bench: String,
    /// The server under test, e.g. `socketlab`, `bare`, `websockify`.
    pub peer: String,
    /// `sink`, `echo` or `rtt` for the byte-stream benchmarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
    /// Datagram: the door the messages went through, `webtransport`
    /// (datagrams) or `websocket`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub door: Option<String>,
    /// Connections open at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conns: Option<u32>,
    /// Message (or write) size in bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// Messages each connection keeps in flight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inflight: Option<u32>,
    /// Chat subscribers in the fan-out room.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribers: Option<u32>,
    /// Chat messages the fan-out publisher sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<u32>,
    /// The fan-out publisher's rate, messages per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate: Option<u32>,
    /// Fan-out: the server instances the room spanned (read from the
    /// subscribers' `welcome`s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instances: Option<u32>,
    /// Fan-out: the bus that carried the room, `local` or `nats`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bus: Option<String>,
    /// Fan-out and storm: the client the members read with, `lean` or
    /// `standard` (absent in older results: lean).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Page: fresh browser sessions measured, each a cold load and a
    /// warm reload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessions: Option<u32>,
    /// Page: the browser and its version, e.g. `chrome 156.0.8078.108`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
    /// The report section a result belongs to when it is not its
    /// benchmark's own table (`scale-out`): results of different sections
    /// never count as repeats of each other.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub section: Option<String>,
}

/// What a measurement found. Every field is optional because each
/// benchmark fills the ones that mean something for it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Messages per second (echo: replies; fan-out: deliveries).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msgs_per_s: Option<f64>,
    /// Payload throughput in megabytes (10^6 bytes) per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mb_per_s: Option<f64>,
    /// Median latency, µs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p50_us: Option<f64>,
    /// 99th-percentile latency, µs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_us: Option<f64>,
    /// 99.9th-percentile latency, µs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p999_us: Option<f64>,
    /// Slowest latency, µs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_us: Option<f64>,
    /// Fan-out: median over messages of the slowest subscriber's latency, µs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slowest_p50_us: Option<f64>,
    /// Fan-out: 99th percentile of the slowest subscriber's latency, µs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slowest_p99_us: Option<f64>,
    /// Fan-out: deliveries that arrived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered: Option<u64>,
    /// Fan-out: deliveries that never arrived (must be 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost: Option<u64>,
    /// Fan-out and storm: frames other than room messages (presence,
    /// pongs) the members received, all of them together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presence_frames: Option<u64>,
    /// Storm: members the server closed while they were reading (goal 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<u64>,
    /// Storm: messages owed to a member that had not arrived when it
    /// left, a second or more after they were sent (nor anything later).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late: Option<u64>,
    /// Storm: members that could not join (refused, no `welcome`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_failed: Option<u64>,
    /// Storm: from the first join to the last member's `welcome`, ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_welcome_ms: Option<f64>,
    /// Storm: the server's peak resident memory (`VmHWM` of a fresh
    /// server), bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rss: Option<u64>,
    /// The server's CPU time over the measured window, seconds (fan-out:
    /// from the first message sent to the last delivery; storm: the
    /// whole storm).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_cpu_s: Option<f64>,
    /// Payload bytes moved (one direction).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// Idle: the server's resident memory before any connection, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_before: Option<u64>,
    /// Idle: the server's resident memory with the connections open, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rss_after: Option<u64>,
    /// Idle: resident memory per open connection, bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes_per_conn: Option<u64>,
    /// The server's CPU use over the measured window, % of one core.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_cpu_pct: Option<f64>,
    /// The load side's (this process, sinks) CPU use, % of one core.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_cpu_pct: Option<f64>,
    /// Failures seen (refused connections, unexpected closes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<u64>,
    /// Length of the measured window, seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_s: Option<f64>,
    /// Alloc: heap allocations the server made per delivered room
    /// message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocs_per_delivery: Option<f64>,
    /// Alloc: bytes those allocations asked for, per delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alloc_bytes_per_delivery: Option<f64>,
    /// Alloc: allocations the server made in a window as long with
    /// nothing said.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_allocs: Option<u64>,
    /// Page size: bytes of the page's WebAssembly file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm_raw_bytes: Option<u64>,
    /// Page size: the same file after `gzip -9`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm_gzip_bytes: Option<u64>,
    /// Page: loads in a fresh browser session (empty cache).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold: Option<PageLoad>,
    /// Page: reloads in the same session (warm cache).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warm: Option<PageLoad>,
}

/// Page: where the time of one kind of load (cold or warm) went, over the
/// sessions. Milliseconds on the browser's clock from navigation start;
/// medians unless named otherwise.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PageLoad {
    /// The chat usable (`welcome` received, message box enabled): median.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usable_p50_ms: Option<f64>,
    /// The chat usable: fastest session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usable_min_ms: Option<f64>,
    /// The chat usable: slowest session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usable_max_ms: Option<f64>,
    /// The HTML document fully received (`responseEnd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html_ms: Option<f64>,
    /// `DOMContentLoaded` handled (`domContentLoadedEventEnd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dom_content_loaded_ms: Option<f64>,
    /// The `load` event handled (`loadEventEnd`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_ms: Option<f64>,
    /// The WebAssembly app rendered its join form.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_form_ms: Option<f64>,
    /// From clicking Join to usable: WebSocket handshake, `welcome`, render.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_ms: Option<f64>,
    /// Of `join_ms`, the time spent in Join's click handler itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_click_ms: Option<f64>,
    /// Bytes of WebAssembly over the wire (`transferSize`; 0 from cache).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wasm_bytes: Option<u64>,
    /// Bytes of the document and every resource over the wire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_bytes: Option<u64>,
}

impl Metrics {
    /// Fills the four latency fields from a summary (left empty without one).
    pub fn set_latency(&mut self, summary: Option<LatencySummary>) {
        if let Some(summary) = summary {
            self.p50_us = Some(summary.p50_us);
            self.p99_us = Some(summary.p99_us);
            self.p999_us = Some(summary.p999_us);
            self.max_us = Some(summary.max_us);
        }
    }

    /// Fills the CPU fields.
    pub fn set_cpu(&mut self, usage: CpuUsage) {
        self.server_cpu_pct = usage.server_pct.map(round1);
        self.load_cpu_pct = Some(round1(usage.load_pct));
    }
}

impl Record {
    /// The JSON line for this record (no trailing newline).
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("a record always serializes")
    }

    /// Prints the record as one line on stdout, flushed at once so a
    /// caller reading the pipe sees each result as it is made.
    pub fn emit(&self) -> Result<()> {
        let mut stdout = std::io::stdout().lock();
        writeln!(stdout, "{}", self.to_line()).context("cannot write the result to stdout")?;
        stdout.flush().context("cannot flush stdout")
    }
}

/// Flags every load subcommand shares: how to label its results and whose
/// CPU to measure.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Name of the server under test, copied into every result
    /// (default: `raw-tcp` for raw-tcp, `socketlab` otherwise).
    #[arg(long)]
    pub peer: Option<String>,
    /// Repetition number, copied into every result.
    #[arg(long)]
    pub run: Option<u32>,
    /// PID of the server under test, whose CPU use (with its child
    /// processes) is sampled over the measured window; repeatable (several
    /// instances and their bus), the uses add up.
    #[arg(long = "server-pid")]
    pub server_pids: Vec<u32>,
    /// PID of another process on the load side (a sink, an echo target),
    /// counted with this one's CPU use; repeatable.
    #[arg(long = "load-pid")]
    pub load_pids: Vec<u32>,
    /// The report section the results belong to, copied into every result
    /// (e.g. `scale-out`; default: the benchmark's own table).
    #[arg(long)]
    pub section: Option<String>,
}

impl RunArgs {
    /// The CPU meter for these PIDs (this process is always on the load side).
    pub fn meter(&self) -> CpuMeter {
        CpuMeter::new(&self.server_pids, &self.load_pids)
    }

    /// An empty record labelled with `bench` and this run's peer and number.
    pub fn record(&self, bench: &str) -> Record {
        Record {
            params: Params {
                bench: bench.to_owned(),
                peer: self.peer.clone().unwrap_or_else(|| match bench {
                    "raw-tcp" => "raw-tcp".to_owned(),
                    _ => "socketlab".to_owned(),
                }),
                section: self.section.clone(),
                ..Params::default()
            },
            metrics: Metrics::default(),
            run: self.run,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn echo_record() -> Record {
        let mut record = Record {
            params: Params {
                bench: "echo".into(),
                peer: "socketlab".into(),
                conns: Some(64),
                size: Some(32),
                inflight: Some(1),
                ..Params::default()
            },
            run: Some(2),
            ..Record::default()
        };
        record.metrics.msgs_per_s = Some(51234.5);
        record.metrics.set_latency(Some(LatencySummary {
            p50_us: 1200.0,
            p99_us: 2500.5,
            p999_us: 4000.0,
            max_us: 9000.1,
        }));
        record.metrics.set_cpu(CpuUsage {
            server_pct: Some(99.04),
            load_pct: 87.66,
        });
        record.metrics.duration_s = Some(3.0);
        record
    }

    #[test]
    fn a_record_is_one_flat_json_line_without_empty_fields() {
        assert_eq!(
            echo_record().to_line(),
            r#"{"bench":"echo","peer":"socketlab","conns":64,"size":32,"inflight":1,"msgs_per_s":51234.5,"p50_us":1200.0,"p99_us":2500.5,"p999_us":4000.0,"max_us":9000.1,"server_cpu_pct":99.0,"load_cpu_pct":87.7,"duration_s":3.0,"run":2}"#
        );
    }

    #[test]
    fn a_record_reads_back_as_itself() {
        let record = echo_record();
        let back: Record = serde_json::from_str(&record.to_line()).unwrap();
        assert_eq!(back, record);
    }

    #[test]
    fn unknown_fields_from_newer_harnesses_are_ignored() {
        let line =
            r#"{"bench":"idle","peer":"bare","conns":1000,"bytes_per_conn":9000,"future":1}"#;
        let record: Record = serde_json::from_str(line).unwrap();
        assert_eq!(record.params.conns, Some(1000));
        assert_eq!(record.metrics.bytes_per_conn, Some(9000));
        assert_eq!(record.run, None);
    }
}
