//! `udp-echo`: a UDP echo server behind a simulated imperfect network.
//!
//! On loopback, UDP never loses or reorders anything, which would make the
//! page's TCP-vs-UDP race look like a tie. Each relay connection may register
//! an [`Impairment`] for its socket; replies to that socket are then dropped,
//! duplicated, delayed or reordered as the profile says.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use socketlab_shared::Impairment;
use tokio::net::UdpSocket;

use crate::shutdown::Shutdown;

/// Extra delay given to a reordered reply, so later ones overtake it.
const REORDER_EXTRA: Duration = Duration::from_millis(40);
/// Most replies waiting in simulated flight at once; beyond it, new delayed
/// replies are dropped (as a full router queue would).
const MAX_IN_FLIGHT: usize = 1024;

/// Impairment profiles by client socket address.
#[derive(Debug, Clone, Default)]
pub struct Impairments {
    inner: Arc<Mutex<HashMap<SocketAddr, Impairment>>>,
}

/// Removes a registration when dropped.
#[derive(Debug)]
pub struct Registration {
    impairments: Impairments,
    addr: SocketAddr,
}

impl Impairments {
    /// Applies `profile` to replies sent to `addr` while the guard lives.
    pub fn register(&self, addr: SocketAddr, profile: Impairment) -> Registration {
        self.map().insert(addr, profile);
        Registration {
            impairments: self.clone(),
            addr,
        }
    }

    fn get(&self, addr: &SocketAddr) -> Option<Impairment> {
        let map = self.map();
        map.get(addr)
            .copied()
            // The relay's socket is bound to the unspecified address; the
            // datagram arrives from the concrete one, so match by port too.
            .or_else(|| {
                map.iter()
                    .find(|(a, _)| a.port() == addr.port() && a.ip().is_unspecified())
                    .map(|(_, p)| *p)
            })
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<SocketAddr, Impairment>> {
        crate::sync::lock(&self.inner)
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        self.impairments.map().remove(&self.addr);
    }
}

/// Echoes datagrams until shutdown.
pub async fn serve(socket: UdpSocket, impairments: Impairments, shutdown: Shutdown) {
    let socket = Arc::new(socket);
    let in_flight = Arc::new(tokio::sync::Semaphore::new(MAX_IN_FLIGHT));
    let mut buffer = vec![0u8; 65_535];
    let mut begun = shutdown.begun();
    loop {
        let (n, peer) = tokio::select! {
            () = &mut begun => return,
            received = socket.recv_from(&mut buffer) => match received {
                Ok(pair) => pair,
                // e.g. ICMP errors from an earlier reply; keep serving.
                Err(_) => continue,
            },
        };
        let datagram = buffer[..n].to_vec();
        let Some(profile) = impairments.get(&peer) else {
            reply(&socket, &datagram, peer);
            continue;
        };
        let copies = {
            let mut rng = rand::rng();
            if rng.random_bool(profile.loss) {
                0
            } else if rng.random_bool(profile.duplicate) {
                2
            } else {
                1
            }
        };
        for _ in 0..copies {
            let delay = {
                let mut rng = rand::rng();
                let jitter =
                    Duration::from_millis(rng.random_range(0..=profile.delay_ms / 4 + 1) as u64);
                let base = Duration::from_millis(profile.delay_ms as u64) + jitter;
                if rng.random_bool(profile.reorder) {
                    base + REORDER_EXTRA
                } else {
                    base
                }
            };
            let Ok(permit) = in_flight.clone().try_acquire_owned() else {
                continue;
            };
            let socket = socket.clone();
            let datagram = datagram.clone();
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                reply(&socket, &datagram, peer);
                drop(permit);
            });
        }
    }
}

/// Sends one reply without waiting. The socket is shared by every client:
/// a send that waited for room in a full send buffer would stop the echo
/// for all of them (and has no deadline to end it). UDP may drop, so a
/// reply that does not fit now is dropped, as a full router queue would.
fn reply(socket: &UdpSocket, datagram: &[u8], peer: SocketAddr) {
    if let Err(err) = socket.try_send_to(datagram, peer) {
        tracing::debug!(%peer, "udp-echo reply dropped: {err}");
    }
}
