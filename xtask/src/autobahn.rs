//! `cargo xtask autobahn`: the Autobahn|Testsuite conformance run against
//! `/ws/echo` of a freshly built release server.
//!
//! The suite's scripts live in the repository (`xtask/autobahn/`): its
//! `install.sh` sets up the Python 2.7 `wstest` in the project's own prefix
//! under `target/`, its `run.sh` runs the fuzzing client and prints a
//! summary, exiting non-zero on any FAILED case.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result};

use crate::{cmd::Cmd, workspace};

/// Where the suite's scripts are.
fn suite_dir() -> PathBuf {
    workspace::root().join("xtask").join("autobahn")
}

/// Where install.sh puts wstest: under `target/`, so every clone has its
/// own install and `cargo clean` removes it.
fn prefix() -> PathBuf {
    workspace::tools_dir().join("autobahn")
}

/// Installs the suite if needed, builds the server, runs the suite against
/// `/ws/echo`, and fails if any case FAILED.
pub fn run() -> Result<()> {
    let suite = suite_dir();
    let prefix = prefix();
    // install.sh checks its own stamp first (same recipe, wstest works) and
    // exits in under a second when the suite is already installed.
    Cmd::new("bash")
        .arg(suite.join("install.sh"))
        .env("AUTOBAHN_PREFIX", &prefix)
        .fix(format!(
            "read install.sh's message above; it needs apt, gcc and the network to the package mirrors \
             (see xtask/autobahn/README.md; `rm -rf {}` starts over)",
            prefix.display()
        ))
        .run()?;
    // The server embeds dist/ and its build script watches it; cargo treats
    // a watched path that does not exist as changed on every build, so
    // without a page each run would recompile the whole server. An empty
    // dist/ embeds the same nothing and lets cargo see nothing changed.
    let dist = workspace::root().join("dist");
    fs::create_dir_all(&dist).with_context(|| format!("cannot create {}", dist.display()))?;
    Cmd::new("cargo")
        .args(crate::release::BUILD_SERVER)
        .fix("fix the server's build errors above")
        .run()?;

    let mut server = Server::start(&workspace::server_binary())?;
    let url = format!("ws://{}/ws/echo", server.addr);
    let report = workspace::target_dir().join("autobahn");
    let result = Cmd::new("bash")
        .arg(suite.join("run.sh"))
        .env("AUTOBAHN_PREFIX", &prefix)
        .arg(&url)
        .arg("socketlab")
        .arg(&report)
        .fix(format!(
            "open {}/reports/servers/index.html for each failed case",
            report.display()
        ))
        .run();
    server.stop();
    result
}

/// The server under test, stopped when dropped.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(binary: &Path) -> Result<Self> {
        // The suite's 9.* cases send messages of up to 16 MiB.
        let mut child = Command::new(binary)
            .args([
                "--listen",
                "127.0.0.1:0",
                "--echo-max-message",
                "16777216",
                "--no-tcp-echo",
                "--no-udp-echo",
                "--no-tcp-chat",
                "--log",
                "warn",
            ])
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let addr = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                line.strip_prefix("open http://")
                    .map(|rest| rest.trim_end_matches('/').to_owned())
            })
            .context("the server exited without printing its address")?;
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Ok(Self { child, addr })
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
