//! The peers under test and the targets they relay to, started for the
//! measurements and stopped together.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{bail, Result};

use crate::plan::{Peer, LOAD_CORE, SERVER_CORE, SERVER_LIMITS};
use crate::supervise::{free_port, Daemon};
use crate::workspace;

/// The relay target name of the UDP sink on the main socketlab.
pub const UDP_SINK: &str = "udp-sink";

/// Starts socketlab with the benchmark limits and the given relay targets;
/// returns it and its address.
pub fn start_socketlab(
    logs: &Path,
    name: &str,
    targets: &[(&str, SocketAddr)],
) -> Result<(Daemon, String)> {
    let args: Vec<String> = targets
        .iter()
        .flat_map(|(target, addr)| {
            [
                "--relay-target".to_owned(),
                format!("{target}=tcp://{addr}"),
            ]
        })
        .collect();
    start_socketlab_with(logs, name, &args)
}

/// Starts socketlab with the benchmark limits and `extra` flags; returns
/// it and its address.
pub fn start_socketlab_with(logs: &Path, name: &str, extra: &[String]) -> Result<(Daemon, String)> {
    let args: Vec<String> = ["--listen", "127.0.0.1:0"]
        .iter()
        .chain(SERVER_LIMITS)
        .map(|arg| (*arg).to_owned())
        .chain(extra.iter().cloned())
        .collect();
    let mut server = Daemon::start(name, SERVER_CORE, &workspace::server_binary(), &args, logs)?;
    let url = server.wait_for_line("open http://")?;
    Ok((server, url.trim_end_matches('/').to_owned()))
}

/// The Bun peers' scripts, relative to the workspace root (the runner's
/// working directory, so that the report's commands read well).
pub const BUN_CHAT: &str = "bench/peers/chat.js";
/// See [`BUN_CHAT`].
pub const BUN_ECHO: &str = "bench/peers/echo.js";

/// Starts one of the Bun peers (`script`) on the server's core and returns
/// it and its address.
pub fn start_bun(logs: &Path, name: &str, bun: &Path, script: &str) -> Result<(Daemon, String)> {
    let mut daemon = Daemon::start(name, SERVER_CORE, bun, &[script.to_owned()], logs)?;
    let addr = daemon.wait_for_line("listening ")?;
    Ok((daemon, addr))
}

/// Starts a fresh chat server of `peer` (socketlab with the benchmark
/// limits, or Bun's chat room) and returns it and its `/ws/chat` URL.
pub fn start_chat(
    logs: &Path,
    name: &str,
    peer: Peer,
    bun: Option<&Path>,
) -> Result<(Daemon, String)> {
    let (daemon, addr) = match (peer, bun) {
        (Peer::Socketlab, _) => start_socketlab(logs, name, &[])?,
        (Peer::Bun, Some(bun)) => start_bun(logs, name, bun, BUN_CHAT)?,
        (peer, _) => bail!("{peer} has no chat room to start"),
    };
    Ok((daemon, format!("ws://{addr}/ws/chat")))
}

/// Starts one of the harness's own servers and returns it and its address.
pub fn start_helper(
    logs: &Path,
    name: &str,
    core: &str,
    args: &[String],
) -> Result<(Daemon, String)> {
    let mut daemon = Daemon::start(name, core, &workspace::bench_binary(), args, logs)?;
    let addr = daemon.wait_for_line("listening ")?;
    Ok((daemon, addr))
}

/// A WebSocket relay under test, reached at one URL per target.
pub struct Relay {
    /// The peer.
    pub name: Peer,
    /// URL relaying to the sink, and the PID serving it.
    pub sink: (String, u32),
    /// URL relaying to the TCP echo, and the PID serving it.
    pub echo: (String, u32),
}

/// Everything running during the measurements.
pub struct Peers {
    /// Every process, stopped on drop (in reverse order of start).
    pub daemons: Vec<Daemon>,
    /// The sink's address and PID.
    pub sink: (String, u32),
    /// The TCP echo's address and PID.
    pub tcp_echo: (String, u32),
    /// WebSocket echo servers: name, URL, PID.
    pub echoes: Vec<(Peer, String, u32)>,
    /// WebSocket relays.
    pub relays: Vec<Relay>,
    /// socketlab's address (for the page and the datagram runs) and PID.
    pub socketlab: (String, u32),
    /// The UDP sink's PID (socketlab relays to it as [`UDP_SINK`]).
    pub udp_sink: u32,
    /// Chat rooms under test: name, `/ws/chat` URL, PID.
    pub chats: Vec<(Peer, String, u32)>,
    /// Why a peer that was asked for is missing, for the report's notes.
    pub skipped: Vec<String>,
}

impl Peers {
    /// Starts the targets, socketlab, the bare references and whichever
    /// of Bun, websockify and websocat are installed.
    pub fn start(
        logs: &Path,
        bun: Option<&Path>,
        websockify: Option<&Path>,
        websocat: Option<&Path>,
    ) -> Result<Self> {
        let mut daemons = Vec::new();
        let helper = |name: &str, core: &str, args: &[&str]| {
            let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
            start_helper(logs, name, core, &args)
        };
        let (sink, sink_addr) = helper("sink", LOAD_CORE, &["sink", "--listen", "127.0.0.1:0"])?;
        let sink_target = (sink_addr.clone(), sink.pid());
        daemons.push(sink);
        let (echo, echo_addr) = helper(
            "tcp-echo",
            LOAD_CORE,
            &["tcp-echo", "--listen", "127.0.0.1:0"],
        )?;
        let echo_target = (echo_addr.clone(), echo.pid());
        daemons.push(echo);
        let (udp_sink, udp_sink_addr) = helper(
            "udp-sink",
            LOAD_CORE,
            &["udp-sink", "--listen", "127.0.0.1:0"],
        )?;
        let udp_sink_pid = udp_sink.pid();
        daemons.push(udp_sink);
        let sink_socket: SocketAddr = sink_addr.parse()?;
        let echo_socket: SocketAddr = echo_addr.parse()?;

        let mut args: Vec<String> = [("sink", sink_socket), ("echo", echo_socket)]
            .iter()
            .flat_map(|(target, addr)| {
                [
                    "--relay-target".to_owned(),
                    format!("{target}=tcp://{addr}"),
                ]
            })
            .collect();
        args.extend([
            "--relay-target".to_owned(),
            format!("{UDP_SINK}=udp://{udp_sink_addr}"),
        ]);
        let (server, addr) = start_socketlab_with(logs, "socketlab", &args)?;
        let socketlab = (addr.clone(), server.pid());
        let mut chats = vec![(
            Peer::Socketlab,
            format!("ws://{addr}/ws/chat"),
            server.pid(),
        )];
        let mut echoes = vec![(
            Peer::Socketlab,
            format!("ws://{addr}/ws/echo"),
            server.pid(),
        )];
        let mut relays = vec![Relay {
            name: Peer::Socketlab,
            sink: (format!("ws://{addr}/ws/relay/sink"), server.pid()),
            echo: (format!("ws://{addr}/ws/relay/echo"), server.pid()),
        }];
        daemons.push(server);

        let mut skipped = Vec::new();
        if let Some(bun) = bun {
            // A Bun that installed but does not start (an old CPU, say)
            // costs its rows, not the whole run.
            let started = start_bun(logs, "bun-echo", bun, BUN_ECHO)
                .and_then(|echo| Ok((echo, start_bun(logs, "bun-chat", bun, BUN_CHAT)?)));
            match started {
                Ok(((echo, echo_addr), (chat, chat_addr))) => {
                    echoes.push((Peer::Bun, format!("ws://{echo_addr}/"), echo.pid()));
                    chats.push((Peer::Bun, format!("ws://{chat_addr}/ws/chat"), chat.pid()));
                    daemons.push(echo);
                    daemons.push(chat);
                }
                Err(err) => {
                    eprintln!("bench: Bun skipped: {err:#}");
                    skipped.push(format!(
                        "bun: skipped; it did not start ({}; its log is under the run's logs/).",
                        format!("{err:#}").lines().next().unwrap_or_default()
                    ));
                }
            }
        }

        let (bare, bare_addr) = helper(
            "bare-echo",
            SERVER_CORE,
            &["bare-echo", "--listen", "127.0.0.1:0"],
        )?;
        echoes.push((Peer::Bare, format!("ws://{bare_addr}/"), bare.pid()));
        daemons.push(bare);
        let (bare_sink, bare_sink_addr) = helper(
            "bare-relay-sink",
            SERVER_CORE,
            &[
                "bare-relay",
                "--listen",
                "127.0.0.1:0",
                "--target",
                &sink_addr,
            ],
        )?;
        let (bare_echo, bare_echo_addr) = helper(
            "bare-relay-echo",
            SERVER_CORE,
            &[
                "bare-relay",
                "--listen",
                "127.0.0.1:0",
                "--target",
                &echo_addr,
            ],
        )?;
        relays.push(Relay {
            name: Peer::Bare,
            sink: (format!("ws://{bare_sink_addr}/"), bare_sink.pid()),
            echo: (format!("ws://{bare_echo_addr}/"), bare_echo.pid()),
        });
        daemons.push(bare_sink);
        daemons.push(bare_echo);

        if let Some(websockify) = websockify {
            let mut start = |name: &str, target: &str| -> Result<(String, u32)> {
                let port = free_port()?;
                let args = vec![port.to_string(), target.to_owned()];
                let mut daemon = Daemon::start(name, SERVER_CORE, websockify, &args, logs)?;
                daemon.wait_for_port(port)?;
                let pid = daemon.pid();
                daemons.push(daemon);
                Ok((format!("ws://{port}/"), pid))
            };
            let sink = start("websockify-sink", &sink_addr)?;
            let echo = start("websockify-echo", &echo_addr)?;
            relays.push(Relay {
                name: Peer::Websockify,
                sink,
                echo,
            });
        }
        if let Some(websocat) = websocat {
            let mut start = |name: &str, to: String| -> Result<(String, u32)> {
                let port = free_port()?;
                // -b: binary messages; -E: close each connection when either
                // side ends (websocat warns that serving many clients without it
                // leaks sockets); -B: messages up to 1 MiB (default 64 KiB).
                let args = vec![
                    "-b".to_owned(),
                    "-E".to_owned(),
                    "-B".to_owned(),
                    "1048576".to_owned(),
                    format!("ws-l:{port}"),
                    to,
                ];
                let mut daemon = Daemon::start(name, SERVER_CORE, websocat, &args, logs)?;
                daemon.wait_for_port(port)?;
                let pid = daemon.pid();
                daemons.push(daemon);
                Ok((format!("ws://{port}/"), pid))
            };
            let (url, pid) = start("websocat-echo", "mirror:".to_owned())?;
            echoes.push((Peer::Websocat, url, pid));
            let sink = start("websocat-relay-sink", format!("tcp:{sink_addr}"))?;
            let echo = start("websocat-relay-echo", format!("tcp:{echo_addr}"))?;
            relays.push(Relay {
                name: Peer::Websocat,
                sink,
                echo,
            });
        }
        Ok(Self {
            daemons,
            sink: sink_target,
            tcp_echo: echo_target,
            echoes,
            relays,
            socketlab,
            udp_sink: udp_sink_pid,
            chats,
            skipped,
        })
    }

    /// Every command line started, for the report.
    pub fn commands(&self) -> Vec<String> {
        self.daemons.iter().map(|d| d.command.clone()).collect()
    }
}

impl Drop for Peers {
    fn drop(&mut self) {
        while let Some(mut daemon) = self.daemons.pop() {
            daemon.stop();
        }
    }
}
