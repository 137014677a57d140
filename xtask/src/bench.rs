//! `cargo xtask bench`: checks and installs the tools the benchmark needs,
//! builds the server, the page and the harness, then hands over to
//! `socketlab-bench run` (bench/src/runner.rs), which owns the plan, the
//! processes and the report.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Result};

use crate::{cmd::Cmd, release, tools, workspace};

/// Where Debian's nats-server package puts the server.
const NATS_SERVER: &str = "/usr/sbin/nats-server";

/// The Bun release line the plan compares with, as npm resolves it.
const BUN_VERSION: &str = "1.4";

/// The npm package that carries Bun's Linux x64 binary (the `bun` package
/// itself only downloads it in a postinstall step).
const BUN_PACKAGE: &str = "@oven/bun-linux-x64";

/// The websocat major version the plan uses (its CLI changed in 4.x).
const WEBSOCAT_VERSION: &str = "^1";

/// A part of the plan that `--only` can measure on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Section {
    /// One chat room across socketlab instances sharing it through NATS,
    /// next to one instance.
    ScaleOut,
}

impl Section {
    /// Its name on `socketlab-bench run --only`.
    fn arg(self) -> &'static str {
        match self {
            Section::ScaleOut => "scale-out",
        }
    }
}

/// Runs `cargo xtask bench`: the whole plan, or with `only` one section,
/// keeping the other results in the report.
pub fn run(quick: bool, only: Option<Section>) -> Result<()> {
    let started = Instant::now();
    let tools: &[&str] = match only {
        None => &["taskset", "python3"],
        Some(Section::ScaleOut) => &["taskset"],
    };
    for tool in tools {
        if Cmd::new(tool).arg("--version").probe()?.is_none() {
            bail!("`{tool}` is missing\nfix: apt-get install -y util-linux python3 python3-venv");
        }
    }
    // Before the long build and measurements, not after them.
    let nats = nats_server()?;
    if only.is_none() {
        // The page benchmark loads the page the server embeds, so the
        // page is built (as `cargo xtask dist` does) before the server.
        tools::ensure_web_tools()?;
        release::build_page()?;
    }

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

    let mut runner = Cmd::new(bench_binary())
        .arg("run")
        .arg("--nats-server")
        .arg(&nats);
    if quick {
        runner = runner.arg("--quick");
    }
    if let Some(section) = only {
        runner = runner.args(["--only", section.arg()]);
    }
    if only.is_none() {
        let mut notes = Vec::new();
        if let Some(bun) = ensure_bun(&mut notes) {
            runner = runner.arg("--bun").arg(bun);
        }
        if let Some(websockify) = ensure_websockify(&mut notes) {
            runner = runner.arg("--websockify").arg(websockify);
        }
        if let Some(websocat) = ensure_websocat(quick, &mut notes) {
            runner = runner.arg("--websocat").arg(websocat);
        }
        for note in &notes {
            runner = runner.arg("--note").arg(note);
        }
    }
    runner
        .arg("--prepared-secs")
        .arg(format!("{:.3}", started.elapsed().as_secs_f64()))
        .fix("read the failed measurements above; the peers' logs are under target/bench/")
        .run()
}

/// The release harness binary.
fn bench_binary() -> PathBuf {
    workspace::target_dir()
        .join("release")
        .join("socketlab-bench")
}

/// Installs Bun 1.4 from npm under target/bench/bun unless it is there;
/// returns its path, or records why it is skipped.
fn ensure_bun(notes: &mut Vec<String>) -> Option<PathBuf> {
    let prefix = workspace::target_dir().join("bench").join("bun");
    let program = prefix
        .join("node_modules")
        .join(BUN_PACKAGE)
        .join("bin")
        .join("bun");
    let version = |program: &Path| {
        Cmd::new(program)
            .arg("--version")
            .probe()
            .ok()
            .flatten()
            .filter(|version| version.trim().starts_with(&format!("{BUN_VERSION}.")))
    };
    if let Some(found) = version(&program) {
        eprintln!("bun              ok (found {})", found.trim());
        return Some(program);
    }
    eprintln!(
        "bun              installing {BUN_PACKAGE}@{BUN_VERSION} from npm into {} ...",
        prefix.display()
    );
    let install = Cmd::new("npm")
        .arg("install")
        .arg("--prefix")
        .arg(&prefix)
        .args(["--no-audit", "--no-fund", "--no-save"])
        .arg(format!("{BUN_PACKAGE}@{BUN_VERSION}"))
        .fix("install node and npm (apt-get install -y nodejs npm) and check the network to npm")
        .run();
    match install {
        Ok(()) if version(&program).is_some() => Some(program),
        outcome => {
            let why = outcome.err().map_or_else(
                || {
                    format!(
                        "{} does not report version {BUN_VERSION}.x",
                        program.display()
                    )
                },
                |err| err.to_string(),
            );
            eprintln!("bun              skipped: {why}");
            notes.push(format!(
                "bun: skipped; installing {BUN_PACKAGE}@{BUN_VERSION} failed ({}).",
                why.lines().next().unwrap_or_default()
            ));
            None
        }
    }
}

/// Installs websockify into a private virtualenv unless it is there;
/// returns its path, or records why it is skipped.
fn ensure_websockify(notes: &mut Vec<String>) -> Option<PathBuf> {
    let venv = workspace::target_dir().join("bench").join("venv");
    let program = venv.join("bin").join("websockify");
    let installed = |program: &Path| {
        Cmd::new(program)
            .arg("--help")
            .probe()
            .ok()
            .flatten()
            .is_some()
    };
    if installed(&program) {
        eprintln!("websockify       ok (found {})", program.display());
        return Some(program);
    }
    eprintln!(
        "websockify       installing from PyPI into {} ...",
        venv.display()
    );
    let install = Cmd::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .fix("apt-get install -y python3-venv")
        .run()
        .and_then(|()| {
            Cmd::new(venv.join("bin").join("pip"))
                .args(["install", "--quiet", "websockify"])
                .fix("check the network to PyPI")
                .run()
        });
    match install {
        Ok(()) if installed(&program) => Some(program),
        Ok(()) => {
            notes.push("websockify: skipped; pip installed it but it does not start.".into());
            None
        }
        Err(err) => {
            eprintln!("websockify       skipped: {err:#}");
            notes.push(format!(
                "websockify: skipped; installing it failed ({err})."
            ));
            None
        }
    }
}

/// Installs websocat 1.x with `cargo install --root target/bench/cargo`
/// unless it is there; returns its path, or records why it is skipped. A
/// quick run never starts the long compile.
fn ensure_websocat(quick: bool, notes: &mut Vec<String>) -> Option<PathBuf> {
    let root = workspace::target_dir().join("bench").join("cargo");
    let program = root.join("bin").join("websocat");
    let version = |program: &Path| {
        Cmd::new(program)
            .arg("--version")
            .probe()
            .ok()
            .flatten()
            .filter(|version| version.starts_with("websocat 1."))
    };
    if let Some(found) = version(&program) {
        eprintln!("websocat         ok (found {})", found.trim());
        return Some(program);
    }
    if quick {
        eprintln!("websocat         skipped: not installed (a full run installs it)");
        notes.push("websocat: skipped; not installed, and a quick run does not compile it.".into());
        return None;
    }
    eprintln!("websocat         installing {WEBSOCAT_VERSION} (a long compile) ...");
    let install = Cmd::new("cargo")
        .args([
            "install",
            "websocat",
            "--version",
            WEBSOCAT_VERSION,
            "--root",
        ])
        .arg(&root)
        .fix("read cargo's error above")
        .run();
    match install {
        Ok(()) if version(&program).is_some() => Some(program),
        outcome => {
            let why = outcome.err().map_or_else(
                || "it installed but does not report version 1.x".to_owned(),
                |err| err.to_string(),
            );
            eprintln!("websocat         skipped: {why}");
            notes.push(format!(
                "websocat: skipped; `cargo install websocat` failed ({}).",
                why.lines().next().unwrap_or_default()
            ));
            None
        }
    }
}

/// Finds nats-server where Debian installs it or on PATH, or fails saying
/// how to install it.
fn nats_server() -> Result<PathBuf> {
    for program in [PathBuf::from(NATS_SERVER), PathBuf::from("nats-server")] {
        if let Some(version) = Cmd::new(&program).arg("--version").probe()? {
            eprintln!("nats-server      ok ({})", version.trim());
            return Ok(program);
        }
    }
    bail!(
        "`nats-server` is missing (the scale-out section runs one)\n\
         fix: apt-get install -y nats-server"
    )
}
