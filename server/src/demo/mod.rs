//! Built-in raw sockets to experiment with: plain TCP and UDP servers that
//! a browser cannot talk to directly, but the relay (and `nc`) can.
//!
//! - [`tcp_echo`]: echoes bytes, and remembers what each client sent first,
//!   which shows that a browser pointed at a raw port sends HTTP.
//! - [`udp_echo`]: echoes datagrams through a simulated lossy network.
//!
//! The line-based chat door beside them is a transport of the chat service:
//! [`crate::transport::door`].

pub mod tcp_echo;
pub mod udp_echo;

use std::net::{IpAddr, SocketAddr};

use tokio::net::{TcpListener, UdpSocket};

use crate::config::Config;
use crate::state::{AppState, DemoSockets};

/// The demo sockets, bound but not yet serving.
#[derive(Default)]
pub struct DemoListeners {
    tcp_echo: Option<TcpListener>,
    udp_echo: Option<UdpSocket>,
    tcp_chat: Option<TcpListener>,
}

impl DemoListeners {
    /// Binds every demo socket that is not turned off, on `ip` (the page's
    /// IP, so a browser that reached the page can try, and fail, to reach
    /// them too). Errors name the flag that sets the port and the one that
    /// turns the socket off.
    pub async fn bind(config: &Config, ip: IpAddr) -> anyhow::Result<(Self, DemoSockets)> {
        let mut demo = Self::default();
        let mut addrs = DemoSockets::default();
        if !config.no_tcp_echo {
            let listener =
                bind_tcp(ip, config.tcp_echo_port, "--tcp-echo-port", "--no-tcp-echo").await?;
            addrs.tcp_echo = Some(listener.local_addr()?);
            demo.tcp_echo = Some(listener);
        }
        if !config.no_udp_echo {
            let socket = UdpSocket::bind((ip, config.udp_echo_port))
                .await
                .map_err(|err| {
                    bind_error(
                        ip,
                        config.udp_echo_port,
                        "--udp-echo-port",
                        "--no-udp-echo",
                        err,
                    )
                })?;
            addrs.udp_echo = Some(socket.local_addr()?);
            demo.udp_echo = Some(socket);
        }
        if !config.no_tcp_chat {
            let listener =
                bind_tcp(ip, config.tcp_chat_port, "--tcp-chat-port", "--no-tcp-chat").await?;
            addrs.tcp_chat = Some(listener.local_addr()?);
            demo.tcp_chat = Some(listener);
        }
        Ok((demo, addrs))
    }

    /// Starts serving every bound socket, as tasks the shutdown waits for.
    pub fn serve(self, state: &AppState) {
        let shutdown = &state.shutdown;
        if let (Some(listener), Some(captures)) = (self.tcp_echo, state.tcp_captures.clone()) {
            shutdown.spawn(tcp_echo::serve(listener, captures, shutdown.clone()));
        }
        if let (Some(socket), Some(impairments)) = (self.udp_echo, state.udp_impairments.clone()) {
            shutdown.spawn(udp_echo::serve(socket, impairments, shutdown.clone()));
        }
        if let Some(listener) = self.tcp_chat {
            shutdown.spawn(crate::transport::door::serve(listener, state.clone()));
        }
    }
}

/// Binds a demo TCP socket, naming its flags on failure.
async fn bind_tcp(ip: IpAddr, port: u16, flag: &str, off: &str) -> anyhow::Result<TcpListener> {
    TcpListener::bind((ip, port))
        .await
        .map_err(|err| bind_error(ip, port, flag, off, err))
}

fn bind_error(ip: IpAddr, port: u16, flag: &str, off: &str, err: std::io::Error) -> anyhow::Error {
    anyhow::anyhow!(
        "cannot listen on {} ({flag}): {err}; {}; or pass {flag} 0 for any free port, or {off} to turn it off",
        SocketAddr::new(ip, port),
        crate::server::hint(&err)
    )
}
