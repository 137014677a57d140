//! The lab's state: what the experiments found, as plain data.
//!
//! Each experiment ([`raw`], [`probe`], [`race`]) keeps its own reducer;
//! this module gathers the few numbers the comparison table shows into
//! [`Measurements`], so the table can say "measured here" instead of
//! quoting a textbook. Nothing in here touches the browser, so all of it is
//! tested natively.

pub mod hexdump;
pub mod probe;
pub mod race;
pub mod raw;

use std::rc::Rc;

use socketlab_shared::{endpoints, PercentImpairment};
use yew::Reducible;

use self::race::LaneStats;

/// The path of the relay to `target`, with the simulated network's query
/// when there is anything to simulate (the server refuses parameters on
/// targets other than `udp-echo`, so a perfect network adds none).
pub fn relay_path(target: &str, impairment: &PercentImpairment) -> String {
    let query = impairment.to_query();
    let mut path = format!("{}{target}", endpoints::WS_RELAY_PREFIX);
    if !query.is_empty() {
        path.push('?');
        path.push_str(&query);
    }
    path
}

/// Which socket APIs this browser puts on `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Features {
    /// `TCPSocket` (Direct Sockets; Isolated Web Apps only).
    pub tcp_socket: bool,
    /// `UDPSocket` (Direct Sockets; Isolated Web Apps only).
    pub udp_socket: bool,
    /// `WebSocket`, which every page has.
    pub websocket: bool,
    /// `WebTransport` (HTTP/3: streams and datagrams).
    pub webtransport: bool,
}

impl Features {
    /// The socket APIs a global object offers, told by `has_global`
    /// whether it has a property of a name (on the page,
    /// `browser::has_global`, so this module stays free of browser calls).
    pub fn detect(has_global: impl Fn(&str) -> bool) -> Self {
        Self {
            tcp_socket: has_global("TCPSocket"),
            udp_socket: has_global("UDPSocket"),
            websocket: has_global("WebSocket"),
            webtransport: has_global("WebTransport"),
        }
    }
}

/// How the relay cut a TCP byte stream into WebSocket messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chunking {
    /// Messages the page sent.
    pub messages: u32,
    /// Messages (chunks) that came back carrying the same bytes.
    pub chunks: u32,
}

/// What the race found on each transport.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RaceResult {
    /// The TCP lane's numbers.
    pub tcp: LaneStats,
    /// The UDP lane's numbers.
    pub udp: LaneStats,
    /// WebSocket messages the UDP lane received (one per datagram).
    pub udp_messages: u32,
    /// The WebTransport datagram lane's numbers (nothing sent when the
    /// browser or the server has no WebTransport).
    pub wt: LaneStats,
}

/// What the WebTransport session to `/wt/echo` found; `None` for what
/// did not come back.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WtFindings {
    /// Milliseconds from `new WebTransport` to `ready`.
    pub ready_ms: Option<f64>,
    /// One datagram's round trip, ms.
    pub datagram_ms: Option<f64>,
    /// One bidirectional stream's round trip, ms.
    pub stream_ms: Option<f64>,
    /// `datagrams.maxDatagramSize`, bytes.
    pub max_datagram: Option<u32>,
}

/// Everything measured in this visit so far; `None` until measured.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Measurements {
    /// The feature check (done as soon as the page loads).
    pub features: Option<Features>,
    /// The close code of the WebSocket aimed at a raw TCP port.
    pub raw_close_code: Option<u16>,
    /// Milliseconds from `new WebSocket` to `open` on the relay.
    pub connect_ms: Option<f64>,
    /// How TCP's stream came back through the relay, last measured.
    pub tcp_chunking: Option<Chunking>,
    /// The last race.
    pub race: Option<RaceResult>,
    /// The last WebTransport session's findings.
    pub webtransport: Option<WtFindings>,
}

/// A finding, reported by one experiment.
#[derive(Debug, Clone, PartialEq)]
pub enum Measured {
    /// What the browser offers.
    Features(Features),
    /// The raw attempt's WebSocket closed with this code.
    RawClose(u16),
    /// A round trip through the TCP relay.
    Relay {
        /// Connect time, if the socket opened.
        connect_ms: Option<f64>,
        /// Messages sent and chunks received.
        chunking: Chunking,
    },
    /// A WebTransport session to `/wt/echo` ended (whatever it found).
    WebTransport(WtFindings),
    /// A finished race.
    Race {
        /// The TCP relay socket's connect time, if it opened.
        connect_ms: Option<f64>,
        /// Messages sent and chunks received on the TCP lane.
        tcp_chunking: Chunking,
        /// Both lanes' numbers.
        result: RaceResult,
    },
}

impl Reducible for Measurements {
    type Action = Measured;

    fn reduce(self: Rc<Self>, action: Measured) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Measured::Features(features) => next.features = Some(features),
            Measured::RawClose(code) => next.raw_close_code = Some(code),
            Measured::WebTransport(findings) => next.webtransport = Some(findings),
            Measured::Relay {
                connect_ms,
                chunking,
            } => {
                next.connect_ms = connect_ms.or(self.connect_ms);
                next.tcp_chunking = Some(chunking);
            }
            Measured::Race {
                connect_ms,
                tcp_chunking,
                result,
            } => {
                next.connect_ms = connect_ms.or(self.connect_ms);
                // A race whose TCP lane never opened says nothing about
                // how TCP cuts its stream.
                if tcp_chunking.messages > 0 {
                    next.tcp_chunking = Some(tcp_chunking);
                }
                next.race = Some(result);
            }
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(sent: u32) -> LaneStats {
        LaneStats {
            sent,
            received: sent,
            lost: 0,
            duplicated: 0,
            reordered: 0,
            rtt: None,
        }
    }

    #[test]
    fn the_latest_measurement_of_each_kind_wins() {
        let mut m = Rc::new(Measurements::default());
        m = m.reduce(Measured::Relay {
            connect_ms: Some(4.0),
            chunking: Chunking {
                messages: 1,
                chunks: 2,
            },
        });
        m = m.reduce(Measured::Race {
            connect_ms: None,
            tcp_chunking: Chunking {
                messages: 50,
                chunks: 48,
            },
            result: RaceResult {
                tcp: stats(50),
                udp: stats(50),
                udp_messages: 50,
                wt: stats(50),
            },
        });
        // A race that could not time its connection keeps the relay's time.
        assert_eq!(m.connect_ms, Some(4.0));
        assert_eq!(m.tcp_chunking.map(|c| c.chunks), Some(48));
        assert_eq!(m.race.map(|r| r.udp_messages), Some(50));
    }

    #[test]
    fn a_race_without_tcp_keeps_the_relays_chunking() {
        let relay = Chunking {
            messages: 1,
            chunks: 1,
        };
        let m = Rc::new(Measurements::default())
            .reduce(Measured::Relay {
                connect_ms: None,
                chunking: relay,
            })
            .reduce(Measured::Race {
                connect_ms: None,
                tcp_chunking: Chunking {
                    messages: 0,
                    chunks: 0,
                },
                result: RaceResult {
                    tcp: stats(0),
                    udp: stats(5),
                    udp_messages: 5,
                    wt: stats(0),
                },
            });
        assert_eq!(m.tcp_chunking, Some(relay));
    }

    #[test]
    fn relay_paths_carry_a_query_only_when_simulating() {
        assert_eq!(
            relay_path("tcp-echo", &PercentImpairment::default()),
            "/ws/relay/tcp-echo"
        );
        let lossy = PercentImpairment {
            loss: 20,
            ..PercentImpairment::default()
        };
        assert_eq!(
            relay_path("udp-echo", &lossy),
            "/ws/relay/udp-echo?loss=0.2&duplicate=0&reorder=0&delay_ms=0"
        );
    }

    #[test]
    fn features_and_the_raw_close_are_kept() {
        let features = Features {
            tcp_socket: false,
            udp_socket: false,
            websocket: true,
            webtransport: true,
        };
        let m = Rc::new(Measurements::default())
            .reduce(Measured::Features(features))
            .reduce(Measured::RawClose(1006));
        assert_eq!(m.features, Some(features));
        assert_eq!(m.raw_close_code, Some(1006));
        let findings = WtFindings {
            ready_ms: Some(12.0),
            datagram_ms: None,
            stream_ms: Some(1.5),
            max_datagram: Some(1200),
        };
        let m = m.reduce(Measured::WebTransport(findings));
        assert_eq!(m.webtransport, Some(findings));
    }
}
