//! `cargo xtask soak`: builds the release server and the harness, then
//! runs `socketlab-bench soak` (bench/src/soak.rs): thousands of
//! connections opening and closing for minutes, checking that the server's
//! memory, descriptors and tasks come back. Not part of CI (it takes ten
//! minutes by default); its figures go into docs/BENCHMARKS.md.

use anyhow::Result;

use crate::cmd::Cmd;
use crate::workspace;

/// What `cargo xtask soak` takes.
#[derive(Debug, Clone, clap::Args)]
pub struct SoakArgs {
    /// Connections to open and close in all.
    #[arg(long, default_value_t = 10_000)]
    pub connections: u32,
    /// Minutes to spread them over (e.g. 2 for a shorter run).
    #[arg(long, default_value_t = 10.0)]
    pub minutes: f64,
    /// A sentence on the conditions, printed with the figures (e.g. how
    /// busy the machine was).
    #[arg(long)]
    pub note: Option<String>,
}

/// Builds, then soaks.
pub fn run(args: SoakArgs) -> Result<()> {
    Cmd::new("cargo")
        .args([
            "build",
            "--release",
            "-p",
            "socketlab-server",
            "-p",
            "socketlab-bench",
        ])
        .fix("fix the build errors above")
        .run()?;
    let bench = workspace::target_dir()
        .join("release")
        .join("socketlab-bench");
    let mut soak = Cmd::new(bench)
        .arg("soak")
        .arg("--connections")
        .arg(args.connections.to_string())
        .arg("--minutes")
        .arg(args.minutes.to_string())
        .arg("--report")
        .arg(workspace::root().join("docs").join("BENCHMARKS.md"))
        .arg("--logs")
        .arg(workspace::target_dir().join("bench").join("soak"));
    if let Some(note) = &args.note {
        soak = soak.arg("--note").arg(note);
    }
    soak.fix("read the verdict above; the server's log is under target/bench/soak/")
        .run()
}
