//! Relaying a WebSocket to a UDP target.
//!
//! One message is one datagram and one datagram is one (binary) message:
//! unlike TCP, UDP keeps message boundaries, and that difference is part of
//! what the page shows. Each relay has its own socket `connect`ed to the
//! target, so only the target's replies reach it.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::Bytes;
use socketlab_shared::{close, Impairment, TextMode};
use tokio::net::UdpSocket;

use crate::demo::udp_echo::Impairments;
use crate::net::deadline::within;
use crate::service::session::{self, Data, Inbound, Incoming, Outbound, SendError};

/// The largest UDP payload over IPv4.
pub const MAX_DATAGRAM: usize = 65_507;

/// Relays `ws` to the UDP target at `addr` until the client leaves, the
/// relay idles out, or the server shuts down.
pub async fn run<C: Inbound<Data> + Outbound<Data>>(
    conn: &mut C,
    relay: super::Relay,
    addr: SocketAddr,
    impairment: Option<(Impairments, Impairment)>,
) -> Option<u16> {
    let super::Relay {
        name,
        shutdown,
        limits,
        metrics,
        send_timeout,
        text,
        ..
    } = relay;
    let local: SocketAddr = if addr.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = match UdpSocket::bind(local).await {
        Ok(socket) => socket,
        Err(err) => {
            conn.close(
                close::INTERNAL_ERROR,
                &format!("cannot open a UDP socket: {err}"),
            )
            .await;
            return Some(close::INTERNAL_ERROR);
        }
    };
    if let Err(err) = socket.connect(addr).await {
        conn.close(
            close::BAD_GATEWAY,
            &format!("cannot reach {name} ({addr}): {err}"),
        )
        .await;
        return Some(close::BAD_GATEWAY);
    }
    // Register this socket's simulated network with the built-in udp-echo,
    // which looks it up by the datagrams' source address; the guard removes
    // it when the relay ends.
    let _registration = match (&impairment, socket.local_addr()) {
        (Some((registry, profile)), Ok(local)) => Some(registry.register(local, *profile)),
        _ => None,
    };

    let counters = metrics.relay_counters(&name);
    let mut buffer = vec![0u8; MAX_DATAGRAM];
    let mut begun = shutdown.begun();
    let (code, reason) = loop {
        let idle = tokio::time::sleep(limits.udp_idle_timeout);
        tokio::select! {
            biased;
            () = &mut begun => break (close::GOING_AWAY, "server shutting down".to_owned()),
            () = idle => break (close::NORMAL, format!("idle for {:?}", limits.udp_idle_timeout)),
            received = socket.recv(&mut buffer) => match received {
                Ok(n) => {
                    let datagram = Data::Binary(Bytes::copy_from_slice(&buffer[..n]));
                    match session::send(conn, datagram, send_timeout).await {
                        Ok(()) => {}
                        Err(SendError::Timeout(limit)) => break (
                            close::TRY_AGAIN_LATER,
                            format!("not reading for {limit:?} (--send-timeout-secs)"),
                        ),
                        Err(SendError::Lost) => return None,
                    }
                    counters.to_client.inc_by(n as u64);
                }
                // ICMP "port unreachable" surfaces here on a connected socket.
                Err(err) => break (close::BAD_GATEWAY, format!("{name} ({addr}) is unreachable: {err}")),
            },
            incoming = conn.recv() => match incoming {
                Incoming::Message(Data::Text(_)) if text == TextMode::Refuse => break (
                    close::UNSUPPORTED_DATA,
                    format!("{name} takes bytes only (text=refuse): send binary frames, not text"),
                ),
                Incoming::Message(message) => {
                    // A text frame's UTF-8 payload is one datagram too.
                    let datagram = match message {
                        Data::Binary(bytes) => bytes,
                        Data::Text(utf8) => Bytes::from(utf8),
                    };
                    // A send waits only while the socket's buffer is full;
                    // it has the send deadline all the same.
                    match within(send_timeout, socket.send(&datagram)).await {
                        Ok(Ok(_)) => {}
                        Ok(Err(err)) => break (
                            close::BAD_GATEWAY,
                            format!("cannot send to {name} ({addr}): {err}"),
                        ),
                        Err(_) => break (
                            close::BAD_GATEWAY,
                            format!("{name} ({addr}) took no datagram for {send_timeout:?} (--send-timeout-secs)"),
                        ),
                    }
                    counters.to_target.inc_by(datagram.len() as u64);
                }
                Incoming::Heard => {}
                Incoming::Closed(code) => return code,
                Incoming::Invalid { code, reason } if code == close::MESSAGE_TOO_BIG => break (
                    code,
                    format!("{reason}: one message is one UDP datagram, at most {MAX_DATAGRAM} bytes"),
                ),
                Incoming::Invalid { code, reason } => break (code, reason),
                Incoming::Lost => return None,
            },
        }
    };
    conn.close(code, &reason).await;
    Some(code)
}
