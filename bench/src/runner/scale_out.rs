//! The scale-out section: one chat room spread over socketlab instances
//! sharing it through nats-server.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use super::jobs::{Job, Measurements};
use super::peers::start_socketlab_with;
use crate::plan::{Bench, Plan, SERVER_CORE, SETUPS};
use crate::supervise::{free_port, Daemon};

/// nats-server, as `cargo xtask bench` found it.
pub struct NatsServer {
    /// The program.
    pub program: PathBuf,
    /// What `--version` says, e.g. `nats-server: v2.9.10`.
    pub version: String,
}

impl NatsServer {
    /// Asks `program` for its version, or fails saying how to install it.
    pub fn probe(program: &Path) -> Result<Self> {
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

/// The scale-out section: nats-server and the setups' instances on the
/// server core, one fan-out per setup and run (interleaved, so that a
/// setup never gets the quieter minutes), each against freshly started
/// instances.
pub fn scale_out(
    plan: &Plan,
    nats: &NatsServer,
    logs: &Path,
    bench: &mut Measurements,
) -> Result<()> {
    // nats-server's JetStream store, removed when the section ends.
    let store = tempfile::Builder::new()
        .prefix("socketlab-bench-nats-")
        .tempdir()
        .context("cannot create a temporary directory for nats-server's store")?;
    let addr = free_port()?;
    let args = vec![
        "-js".to_owned(),
        "-sd".to_owned(),
        store.path().display().to_string(),
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
    let scale_out = Bench::ScaleOut.section().unwrap_or_default();
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
                     --section {scale_out} --server-pid {}",
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
