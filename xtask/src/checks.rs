//! `cargo xtask test`: the checks CI runs, as a list of steps run in order,
//! each announced and timed, stopping at the first failure.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::{background::TestToolsInstall, cmd::Cmd, page, tools, workspace};

/// What a step needs installed besides cargo; also decides `--quick`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// The page's build tools only; runs in `--quick` mode too.
    WebTools,
    /// Also the system test tools (chromium, chromedriver, firefox-esr,
    /// nats-server); skipped by `--quick`, which is for the inner dev loop.
    TestTools,
}

/// One step of `cargo xtask test`. Adding a check means adding one entry
/// to [`STEPS`].
struct Step {
    /// Short name for the header and summary lines.
    name: &'static str,
    /// What it runs.
    action: Action,
    /// What to do when a command fails (a task's errors say it themselves).
    fix: &'static str,
    /// What must be installed before it runs.
    needs: Needs,
}

/// What a step runs.
enum Action {
    /// A program found on PATH.
    Command {
        /// The program.
        program: &'static str,
        /// Its arguments.
        args: &'static [&'static str],
        /// Extra environment variables.
        env: &'static [(&'static str, &'static str)],
    },
    /// cargo, with the workspace's crates compiled by clippy ([`CLIPPY`]).
    Cargo {
        /// Its arguments.
        args: &'static [&'static str],
        /// Extra environment variables.
        env: &'static [(&'static str, &'static str)],
    },
    /// One of xtask's own tasks.
    Task(fn() -> Result<()>),
}

/// The environment of every cargo command that builds native code here:
/// cargo runs the workspace's own crates through clippy-driver, as `cargo
/// clippy` does for `cargo check`, with `-D warnings`, so the build the
/// tests need is also the lint pass. A separate `cargo clippy` would
/// compile every dependency once more in check mode (minutes on a fresh
/// machine). Dependencies are compiled by rustc as always. cargo keeps the
/// wrapper in its fingerprints and clippy-driver its arguments, so a crate
/// built without them is linted (rebuilt) here all the same.
const CLIPPY: &[(&str, &str)] = &[
    ("RUSTC_WORKSPACE_WRAPPER", "clippy-driver"),
    (
        "CLIPPY_ARGS",
        "-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__",
    ),
];

/// The steps, cheapest and most likely to fail first.
///
/// Every cargo command here after the page selects what `clippy and build`
/// built: `--workspace --features socketlab-web/ssr`, with [`CLIPPY`]'s
/// environment, and every test target (`--tests`, the filter picks the
/// tests) even when the tests it runs are in one. cargo
/// resolves features over what a command builds, dev-dependencies
/// included, so `-p socketlab-server`, no `ssr` or `--test it` each gave
/// the dependencies other features than the `tests` step did, and rebuilt
/// nkeys, async-nats, the server and the test binary for nothing (two
/// minutes of CI each time).
const STEPS: &[Step] = &[
    Step {
        name: "format",
        action: Action::Command {
            program: "cargo",
            args: &["fmt", "--all", "--", "--check"],
            env: &[],
        },
        fix: "run `cargo fmt --all`",
        needs: Needs::WebTools,
    },
    Step {
        name: "clippy (wasm)",
        action: Action::Command {
            program: "cargo",
            args: &[
                "clippy",
                "-p",
                "socketlab-web",
                "--target",
                "wasm32-unknown-unknown",
                "--",
                "-D",
                "warnings",
            ],
            env: &[],
        },
        fix: "fix the warnings above",
        needs: Needs::WebTools,
    },
    Step {
        name: "page build",
        // Skipped when no input of the page changed, so the tests and the
        // servers that embed dist/ need no recompiling either.
        action: Action::Task(page::build),
        fix: "fix the page's build errors above",
        needs: Needs::WebTools,
    },
    Step {
        // Every target, as `cargo clippy --all-targets` checks them, built
        // with clippy's lints (see [`CLIPPY`]). After the page, which the
        // server embeds at compile time.
        name: "clippy and build",
        action: Action::Cargo {
            args: &[
                "build",
                "--workspace",
                "--all-targets",
                // The page's prerenderer (native) is only built with it.
                "--features",
                "socketlab-web/ssr",
            ],
            env: &[],
        },
        fix: "fix the warnings and errors above",
        needs: Needs::WebTools,
    },
    Step {
        // Debug builds: the server's integration tests are one binary
        // (server/tests/it/), and optimizing it costs more than it saves.
        name: "tests",
        action: Action::Cargo {
            args: &["test", "--workspace", "--features", "socketlab-web/ssr"],
            env: &[],
        },
        fix: "fix the failing tests above",
        needs: Needs::WebTools,
    },
    Step {
        // Against the debug server the tests step built: a page load is
        // the server sending files compressed at build time, so it scores
        // as the release server does. The thresholds are
        // lighthouse::THRESHOLDS. CI never rewrites docs/.
        name: "lighthouse",
        action: Action::Task(|| crate::lighthouse::run(false, &workspace::test_server_binary())),
        fix: "see the audits above and the report under target/lighthouse/",
        needs: Needs::TestTools,
    },
    Step {
        name: "native client tests",
        action: Action::Cargo {
            args: &[
                "test",
                "--workspace",
                "--features",
                "socketlab-web/ssr",
                "--tests",
                "--",
                "--ignored",
                "native_clients::",
            ],
            env: &[],
        },
        fix: "fix the failing tests above; they run Node's ws and Python's websockets against the relay",
        needs: Needs::TestTools,
    },
    Step {
        name: "browser tests",
        action: Action::Cargo {
            args: &[
                "test",
                "--workspace",
                "--features",
                "socketlab-web/ssr",
                "--tests",
                "--",
                "--ignored",
                "browser::",
                "--test-threads=1",
            ],
            // The server they start is the debug one the tests step built
            // (CARGO_BIN_EXE_socketlab); no release build in CI, which on a
            // fresh machine would compile every dependency a second time.
            env: &[
                ("CHROMEDRIVER", "/usr/bin/chromedriver"),
                ("CHROMIUM", "/usr/bin/chromium"),
                // browser::firefox:: drives it through puppeteer-core.
                ("FIREFOX", "/usr/bin/firefox-esr"),
            ],
        },
        fix: "fix the failing browser tests above; screenshots are in target/screenshots/",
        needs: Needs::TestTools,
    },
    Step {
        name: "conformance (Autobahn)",
        action: Action::Task(|| crate::autobahn::run(Some(&workspace::test_server_binary()))),
        fix: "see docs/CONFORMANCE.md and the report under target/autobahn/",
        needs: Needs::TestTools,
    },
];

/// Runs the steps (all of them, or with `quick` those that need no system
/// test tools), then prints how long each took.
pub fn run(quick: bool) -> Result<()> {
    let steps = selected(quick);

    header("tools");
    let test_tools = steps
        .iter()
        .any(|step| step.needs == Needs::TestTools)
        .then(TestToolsInstall::start)
        .transpose()?;
    tools::ensure_web_tools()?;
    if let Some(install) = test_tools {
        install.finish()?;
    }

    let mut timings = Vec::new();
    let result = run_steps(&steps, &mut timings);
    print_summary(&steps, &timings, result.is_ok());
    result
}

/// The steps to run: all, or with `quick` those needing only web tools.
fn selected(quick: bool) -> Vec<&'static Step> {
    STEPS
        .iter()
        .filter(|step| !quick || step.needs == Needs::WebTools)
        .collect()
}

/// Runs `steps` in order, recording each finished step's duration, and
/// stops at the first failure.
fn run_steps(steps: &[&Step], timings: &mut Vec<Duration>) -> Result<()> {
    for (index, step) in steps.iter().enumerate() {
        let position = format!("{}/{}", index + 1, steps.len());
        header(&format!("[{position}] {}", step.name));
        let start = Instant::now();
        let result = run_step(step);
        let elapsed = start.elapsed();
        timings.push(elapsed);
        result.with_context(|| format!("step {position} `{}` failed", step.name))?;
        eprintln!("==> {} ok in {}", step.name, format_duration(elapsed));
    }
    Ok(())
}

/// Runs one step.
fn run_step(step: &Step) -> Result<()> {
    match step.action {
        Action::Command { program, args, env } => with_env(Cmd::new(program).args(args), env)
            .fix(step.fix)
            .run(),
        Action::Cargo { args, env } => {
            with_env(with_env(Cmd::new("cargo").args(args), CLIPPY), env)
                .fix(step.fix)
                .run()
        }
        // Its errors say how to fix them themselves.
        Action::Task(task) => task(),
    }
}

/// `cmd` with the variables `env` set.
fn with_env(cmd: Cmd, env: &[(&str, &str)]) -> Cmd {
    env.iter()
        .fold(cmd, |cmd, (key, value)| cmd.env(key, value))
}

/// Prints one line per step: its result and duration, or that it did not
/// run because an earlier step failed.
fn print_summary(steps: &[&Step], timings: &[Duration], passed: bool) {
    header("summary");
    for (index, step) in steps.iter().enumerate() {
        let (status, time) = match timings.get(index) {
            Some(&time) if index + 1 == timings.len() && !passed => ("FAILED", time),
            Some(&time) => ("ok", time),
            None => {
                eprintln!("    {:<8} {:>8}  {}", "not run", "", step.name);
                continue;
            }
        };
        eprintln!(
            "    {status:<8} {:>8}  {}",
            format_duration(time),
            step.name
        );
    }
    let total = timings.iter().sum();
    eprintln!("    {:<8} {:>8}", "total", format_duration(total));
}

/// Prints a line that stands out in long cargo output.
fn header(title: &str) {
    eprintln!("\n==> {title}");
}

/// A duration for humans: `4.2s`, or `8m 05s` past a minute.
fn format_duration(duration: Duration) -> String {
    let seconds = duration.as_secs();
    if seconds < 60 {
        format!("{:.1}s", duration.as_secs_f64())
    } else {
        format!("{}m {:02}s", seconds / 60, seconds % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_switch_to_minutes() {
        assert_eq!(format_duration(Duration::from_millis(4200)), "4.2s");
        assert_eq!(format_duration(Duration::from_secs(485)), "8m 05s");
    }

    #[test]
    fn quick_skips_the_lighthouse_native_client_browser_and_conformance_steps() {
        let names = |quick| {
            selected(quick)
                .iter()
                .map(|step| step.name)
                .collect::<Vec<_>>()
        };
        assert_eq!(names(false).len(), STEPS.len());
        assert!(names(false).contains(&"browser tests"));
        assert_eq!(names(true).len(), STEPS.len() - 4);
        assert!(!names(true).contains(&"lighthouse"));
        assert!(!names(true).contains(&"native client tests"));
        assert!(!names(true).contains(&"browser tests"));
        assert!(!names(true).contains(&"conformance (Autobahn)"));
    }
}
