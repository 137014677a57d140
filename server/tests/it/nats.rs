//! A real `nats-server` with JetStream for tests, on a free port with a
//! temporary store, stopped (by PID) when dropped.

#![allow(dead_code, missing_docs)]

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// One running nats-server.
pub struct NatsServer {
    child: Option<Child>,
    pub port: u16,
    store: tempfile::TempDir,
    /// A configuration file given with `-c`, if any.
    config: Option<std::path::PathBuf>,
}

impl NatsServer {
    pub fn start() -> Self {
        Self::start_with_config("")
    }

    /// A server with `config` (nats-server configuration syntax, e.g.
    /// `max_payload: 4096`) on top of the usual flags.
    pub fn start_with_config(config: &str) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let store = tempfile::tempdir().unwrap();
        let config = (!config.is_empty()).then(|| {
            let path = store.path().join("nats.conf");
            std::fs::write(&path, config).unwrap();
            path
        });
        let mut server = Self {
            child: None,
            port,
            store,
            config,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let binary = ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
            .into_iter()
            .find(|p| std::path::Path::new(p).exists())
            .unwrap_or("nats-server");
        let mut command = Command::new(binary);
        if let Some(config) = &self.config {
            command.arg("-c").arg(config);
        }
        let child = command
            .args(["-js", "-sd"])
            .arg(self.store.path())
            .args(["-a", "127.0.0.1", "-p", &self.port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start nats-server ({e}); install it with `apt-get install nats-server` or run `cargo xtask test`")
            });
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL), keeping its store.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port and store.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A TCP proxy in front of a NATS server whose connections can be cut, as
/// a network fault would: while cut, every connection through it is closed
/// and new ones are closed at once.
pub struct CutProxy {
    pub port: u16,
    cut: tokio::sync::watch::Sender<bool>,
    _accept: tokio::task::JoinHandle<()>,
}

impl CutProxy {
    pub async fn start(nats: &NatsServer) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let upstream = ("127.0.0.1", nats.port);
        let (cut, _) = tokio::sync::watch::channel(false);
        let watch = cut.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let mut cut = watch.subscribe();
                if *cut.borrow_and_update() {
                    continue; // dropped: closed at once
                }
                tokio::spawn(async move {
                    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.wait_for(|cut| *cut) => {}
                    }
                });
            }
        });
        Self {
            port,
            cut,
            _accept: accept,
        }
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Closes every connection through the proxy, and refuses new ones
    /// until [`CutProxy::mend`].
    pub fn cut(&self) {
        self.cut.send_replace(true);
    }

    /// Lets connections through again.
    pub fn mend(&self) {
        self.cut.send_replace(false);
    }
}
