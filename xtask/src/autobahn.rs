//! `cargo xtask autobahn`: the Autobahn|Testsuite conformance run against
//! `/ws/echo` of a freshly built release server, or, in `cargo xtask
//! test`, of the debug server its tests built.
//!
//! The suite's scripts live in the repository (`xtask/autobahn/`): its
//! `install.sh` sets up the Python 2.7 `wstest` in the project's own prefix
//! under `target/`, its `run.sh` runs the fuzzing client and prints a
//! summary, exiting non-zero on any FAILED case.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::{cmd::Cmd, server::Server, workspace};

/// Where the suite's scripts are.
fn suite_dir() -> PathBuf {
    workspace::root().join("xtask").join("autobahn")
}

/// Where install.sh puts wstest: under `target/`, so every clone has its
/// own install and `cargo clean` removes it.
fn prefix() -> PathBuf {
    workspace::tools_dir().join("autobahn")
}

/// Installs the suite if needed, runs it against `/ws/echo` of `server`
/// (or, with `None`, of a release server it builds), and fails if any case
/// FAILED.
pub fn run(server: Option<&Path>) -> Result<()> {
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
    let binary = match server {
        Some(binary) => binary.to_owned(),
        None => {
            // The server embeds dist/ and its build script watches it;
            // cargo treats a watched path that does not exist as changed on
            // every build, so without a page each run would recompile the
            // whole server. An empty dist/ embeds the same nothing and lets
            // cargo see nothing changed.
            let dist = workspace::root().join("dist");
            fs::create_dir_all(&dist)
                .with_context(|| format!("cannot create {}", dist.display()))?;
            Cmd::new("cargo")
                .args(crate::release::BUILD_SERVER)
                .fix("fix the server's build errors above")
                .run()?;
            workspace::server_binary()
        }
    };

    // The suite's 9.* cases send messages of up to 16 MiB.
    let mut server = Server::start(
        &binary,
        &[
            "--echo-max-message",
            "16777216",
            "--no-tcp-echo",
            "--no-udp-echo",
            "--no-tcp-chat",
        ],
    )?;
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
