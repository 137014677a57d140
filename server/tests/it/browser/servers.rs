//! The real servers the client tests relay to: a TigerVNC desktop, a
//! mosquitto broker and a bash on a pty behind socat, each on its own free
//! loopback port, with its log in the test's temporary directory.
//!
//! Each runs in its own process group and is stopped by that id when the
//! test ends (passing or not): TERM first, so Xtigervnc removes its lock
//! file, then KILL for whatever is left. socat's shells run in sessions of
//! their own (job control, like a real terminal) and end with a hang-up
//! when socat, holding their pty, goes.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::WAIT;

/// Where Debian's packages put the servers (mosquitto is in sbin, which is
/// not on every user's PATH, so they are run by path).
pub const XTIGERVNC: &str = "/usr/bin/Xtigervnc";
pub const MOSQUITTO: &str = "/usr/sbin/mosquitto";
pub const SOCAT: &str = "/usr/bin/socat";

/// A server process and its log file; stopped with its process group on drop.
pub struct Background {
    child: Child,
    what: &'static str,
    log: PathBuf,
    /// The loopback port it serves.
    pub port: u16,
}

impl Background {
    /// Starts `command` in a process group of its own, stdout and stderr
    /// into `dir/<what>.log`, and waits until it accepts TCP on `port`.
    pub async fn start(what: &'static str, mut command: Command, dir: &Path, port: u16) -> Self {
        let log = dir.join(format!("{what}.log"));
        let out = File::create(&log).unwrap();
        let child = command
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what} ({command:?}): {e}"));
        let mut server = Self {
            child,
            what,
            log,
            port,
        };
        server.wait_listening().await;
        server
    }

    /// Polls the port until it accepts, failing with the server's log when
    /// the process exits or [`WAIT`] passes first.
    async fn wait_listening(&mut self) {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            let exited = self.child.try_wait().unwrap();
            if exited.is_some() || tokio::time::Instant::now() >= deadline {
                panic!(
                    "{} is not listening on 127.0.0.1:{} ({}); its log:\n{}",
                    self.what,
                    self.port,
                    exited.map_or("still running".to_owned(), |s| s.to_string()),
                    self.log_text()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What the server wrote so far, for failure messages.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Signals the whole process group by its id (the server's PID).
    fn signal_group(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([signal, "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.signal_group("-TERM");
        for _ in 0..50 {
            if self.child.try_wait().ok().flatten().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.signal_group("-KILL");
        let _ = self.child.wait();
    }
}

/// A free loopback port (bound and released; the server binds it next).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A TigerVNC X server with no authentication, listening on loopback only.
/// `-retro` paints X's classic grey weave on the root window, so the
/// desktop is visibly more than one colour.
pub async fn vnc_desktop(dir: &Path) -> Background {
    let port = free_port();
    let display = free_display();
    let mut command = Command::new(XTIGERVNC);
    command.args([
        &format!(":{display}"),
        "-rfbport",
        &port.to_string(),
        "-localhost",
        "-SecurityTypes",
        "None",
        "-geometry",
        "640x480",
        "-depth",
        "24",
        "-retro",
        "-nolisten",
        "tcp",
    ]);
    Background::start("Xtigervnc", command, dir, port).await
}

/// An X display number nobody holds a lock for.
fn free_display() -> u16 {
    let start = 100 + free_port() % 800;
    (start..start + 100)
        .find(|n| {
            !Path::new(&format!("/tmp/.X{n}-lock")).exists()
                && !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
        })
        .expect("a free X display number")
}

/// A mosquitto broker with its own config file: one listener on loopback,
/// anonymous clients allowed, nothing written to disk.
pub async fn mosquitto(dir: &Path) -> Background {
    let port = free_port();
    let config = dir.join("mosquitto.conf");
    std::fs::write(
        &config,
        format!(
            "listener {port} 127.0.0.1\n\
             allow_anonymous true\n\
             persistence false\n\
             log_dest stderr\n\
             log_type all\n"
        ),
    )
    .unwrap();
    let mut command = Command::new(MOSQUITTO);
    command.arg("-c").arg(&config);
    Background::start("mosquitto", command, dir, port).await
}

/// `socat TCP-LISTEN:P,bind=127.0.0.1,reuseaddr,fork EXEC:bash,pty,stderr`:
/// each connection gets an interactive bash on a pty, in a session of its
/// own with the pty as its terminal, with no rc files and a plain prompt,
/// at home in the test's directory.
pub async fn shell(dir: &Path) -> Background {
    let port = free_port();
    let mut command = Command::new(SOCAT);
    command
        .arg(format!("TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork"))
        .arg("EXEC:bash --norc --noprofile -i,pty,stderr,setsid,ctty")
        .env("HOME", dir)
        .env("PS1", "$ ")
        .env("TERM", "xterm-256color")
        .current_dir(dir);
    Background::start("socat", command, dir, port).await
}
