//! A release server started for one task (Autobahn, Lighthouse) on a free
//! loopback port, stopped when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use anyhow::{Context, Result};

/// The server under test, stopped when dropped.
pub struct Server {
    child: Child,
    /// `host:port` it listens on.
    pub addr: String,
}

impl Server {
    /// Starts `binary --listen 127.0.0.1:0 --log warn` with `args` and waits
    /// for the address it prints.
    pub fn start(binary: &Path, args: &[&str]) -> Result<Self> {
        let mut child = Command::new(binary)
            .args(["--listen", "127.0.0.1:0", "--log", "warn"])
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .with_context(|| {
                format!(
                    "cannot start {}; build it with `cargo xtask dist`",
                    binary.display()
                )
            })?;
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

    /// Stops the server (also done on drop).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}
