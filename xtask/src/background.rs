//! The test tools (Debian packages, npm clients), installed by a second
//! xtask process while this one installs the page's tools. apt and npm wait
//! on the network and the disk, `cargo install` on the CPU, so on a fresh
//! machine the two overlap instead of adding up.
//!
//! The child writes to a log file, not the terminal, so its lines never
//! interleave with cargo's; the log is printed in one piece when it ends.

use std::fs::{self, File};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use crate::workspace;

/// A running `cargo xtask install-tools --test-tools`.
pub struct TestToolsInstall {
    /// The child xtask; `None` once waited for.
    child: Option<Child>,
    /// Where its output goes.
    log: PathBuf,
    /// When it started, for the summary line.
    started: Instant,
}

impl TestToolsInstall {
    /// Starts the child. It checks every tool first and installs only the
    /// missing ones, so on a machine that has them all it ends at once.
    pub fn start() -> Result<Self> {
        let log = workspace::tools_dir().join("test-tools.log");
        fs::create_dir_all(workspace::tools_dir())
            .with_context(|| format!("cannot create {}", workspace::tools_dir().display()))?;
        let file =
            File::create(&log).with_context(|| format!("cannot create {}", log.display()))?;
        let exe = std::env::current_exe().context("cannot find xtask's own executable")?;
        let child = Command::new(exe)
            .args(["install-tools", "--test-tools"])
            .current_dir(workspace::root())
            .stdout(file.try_clone()?)
            .stderr(file)
            .spawn()
            .context("cannot start `cargo xtask install-tools --test-tools`")?;
        eprintln!(
            "test tools       checking and installing in the background (log: {})",
            log.display()
        );
        Ok(Self {
            child: Some(child),
            log,
            started: Instant::now(),
        })
    }

    /// Waits for the child, prints its log, and fails if it failed.
    pub fn finish(mut self) -> Result<()> {
        let status = self.wait()?;
        eprintln!(
            "\n==> test tools (installed in the background, done after {:.0?})",
            self.started.elapsed()
        );
        match fs::read_to_string(&self.log) {
            Ok(text) => eprint!("{text}"),
            Err(err) => eprintln!("(cannot read {}: {err})", self.log.display()),
        }
        if !status.success() {
            bail!(
                "installing the test tools failed ({status}); its output is above and in {}\n\
                 fix: read the error above, or run `cargo xtask install-tools` to watch it",
                self.log.display()
            );
        }
        Ok(())
    }

    /// Waits for the child once; later calls find nothing to wait for.
    fn wait(&mut self) -> Result<std::process::ExitStatus> {
        match self.child.take() {
            Some(mut child) => child
                .wait()
                .context("cannot wait for the test tools install"),
            None => bail!("the test tools install was already waited for"),
        }
    }
}

/// When a check fails before [`TestToolsInstall::finish`], the child is
/// left to finish rather than killed: a killed apt-get can leave dpkg
/// half-configured, which breaks every later install on the machine.
impl Drop for TestToolsInstall {
    fn drop(&mut self) {
        if self.child.is_some() {
            eprintln!(
                "(waiting for the test tools install to finish; log: {})",
                self.log.display()
            );
            let _ = self.wait();
        }
    }
}
