//! The raw attempt: a page pointing `WebSocket` and `fetch` at a plain TCP
//! port, and what that port really received.
//!
//! Both attempts fail, and the interesting part is why: the browser did
//! open a TCP connection, but the first bytes on it were an HTTP request,
//! not anything the page chose. The server's `tcp-echo` keeps those bytes,
//! and this module picks the right capture and marks the lines that give
//! the game away. No browser types, so it is tested natively.

use std::rc::Rc;

use socketlab_shared::{ServerInfo, TcpCapture};
use yew::Reducible;

/// The port of a socket address (`127.0.0.1:40731`, `[::1]:40731`).
pub fn port_of(addr: &str) -> Option<u16> {
    addr.rsplit_once(':')?.1.parse().ok()
}

/// The port of the endpoint called `name` in `/api/info`, if the server
/// runs it.
pub fn endpoint_port(info: &ServerInfo, name: &str) -> Option<u16> {
    info.endpoints
        .iter()
        .find(|endpoint| endpoint.name == name)
        .and_then(|endpoint| port_of(&endpoint.addr))
}

/// `ws://HOST:PORT/`: a WebSocket URL aimed at a port that does not speak
/// WebSocket. `hostname` is `location.hostname` (bracketed for IPv6).
pub fn raw_ws_url(hostname: &str, port: u16) -> String {
    format!("ws://{hostname}:{port}/")
}

/// `http://HOST:PORT/`: the same port, asked with `fetch`.
pub fn raw_http_url(hostname: &str, port: u16) -> String {
    format!("http://{hostname}:{port}/")
}

/// The host as a terminal command wants it: `::1`, not `[::1]`.
pub fn command_host(hostname: &str) -> &str {
    hostname
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(hostname)
}

/// Whether a captured request asked to become a WebSocket.
pub fn is_upgrade_request(text: &str) -> bool {
    text.lines().any(|line| {
        header(line).is_some_and(|(name, value)| {
            name.eq_ignore_ascii_case("upgrade") && value.eq_ignore_ascii_case("websocket")
        })
    })
}

/// Whether a request line is one that shows it is an HTTP WebSocket
/// upgrade: the `GET` line, `Upgrade: websocket` and `Sec-WebSocket-Key`.
pub fn is_telltale(line: &str) -> bool {
    line.starts_with("GET ")
        || header(line).is_some_and(|(name, _)| {
            name.eq_ignore_ascii_case("upgrade") || name.eq_ignore_ascii_case("sec-websocket-key")
        })
}

fn header(line: &str) -> Option<(&str, &str)> {
    let (name, value) = line.split_once(':')?;
    Some((name.trim(), value.trim()))
}

/// The captures worth showing, from the newest-first list.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Picked {
    /// The newest capture of a WebSocket upgrade (the `new WebSocket` try).
    pub websocket: Option<TcpCapture>,
    /// The newest plain request (the `fetch` try), if any.
    pub plain: Option<TcpCapture>,
}

/// Picks the page's two attempts out of the server's list. The newest
/// capture alone would be `fetch`'s, which ran last, and the list may hold
/// other visitors' or `nc`'s connections too: so each is chosen by what it
/// looks like.
pub fn pick_captures(newest_first: &[TcpCapture]) -> Picked {
    let find = |upgrade: bool| {
        newest_first
            .iter()
            .find(|capture| {
                is_upgrade_request(&capture.text) == upgrade && capture.text.starts_with("GET ")
            })
            .cloned()
    };
    Picked {
        websocket: find(true),
        plain: find(false),
    }
}

/// What `fetch("http://HOST:PORT/")` came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchOutcome {
    /// The promise rejected: `name` and `message` of the error (a
    /// `TypeError` whose message says nothing useful, on purpose).
    Failed {
        /// The error's class, e.g. `TypeError`.
        name: String,
        /// Its message, e.g. `Failed to fetch`.
        message: String,
    },
    /// The browser accepted an answer (not expected from an echo).
    Answered {
        /// Its HTTP status.
        status: u16,
    },
}

/// The fetch and capture steps of the raw attempt (the WebSocket step is a
/// `SocketStatus`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RawAttempt {
    /// Which try this is; `0` before the first.
    pub run: u32,
    /// The `fetch` result, once it settled.
    pub fetch: Option<FetchOutcome>,
    /// The captures, once fetched, or why they could not be.
    pub captures: Option<Result<Picked, String>>,
}

/// What happened during the raw attempt.
#[derive(Debug, Clone, PartialEq)]
pub enum RawAction {
    /// A new try starts: forget the last one.
    Start,
    /// `fetch` settled.
    Fetched {
        /// The try it belongs to.
        run: u32,
        /// How.
        outcome: FetchOutcome,
    },
    /// `GET /api/tcp-echo/captures` answered.
    Captured {
        /// The try it belongs to.
        run: u32,
        /// The captures, newest first, or the error.
        result: Result<Vec<TcpCapture>, String>,
    },
}

impl Reducible for RawAttempt {
    type Action = RawAction;

    fn reduce(self: Rc<Self>, action: RawAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            RawAction::Start => {
                next = RawAttempt {
                    run: self.run + 1,
                    ..RawAttempt::default()
                };
            }
            RawAction::Fetched { run, outcome } if run == self.run => next.fetch = Some(outcome),
            RawAction::Captured { run, result } if run == self.run => {
                next.captures = Some(result.map(|list| pick_captures(&list)));
            }
            // A slow answer to an earlier try.
            _ => return self,
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use socketlab_shared::EndpointInfo;

    const WS_REQUEST: &str = "GET / HTTP/1.1\r\nHost: 127.0.0.1:40731\r\nConnection: Upgrade\r\n\
        Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    const FETCH_REQUEST: &str = "GET / HTTP/1.1\r\nHost: 127.0.0.1:40731\r\nAccept: */*\r\n\r\n";

    fn capture(peer: &str, text: &str) -> TcpCapture {
        TcpCapture {
            peer: peer.into(),
            at_ms: 0,
            text: text.into(),
            len: text.len(),
        }
    }

    #[test]
    fn ports_come_from_socket_addresses() {
        assert_eq!(port_of("127.0.0.1:40731"), Some(40731));
        assert_eq!(port_of("[::1]:8080"), Some(8080));
        assert_eq!(port_of("localhost"), None);
        assert_eq!(port_of("h:99999"), None);
    }

    #[test]
    fn endpoints_are_found_by_name() {
        let info = ServerInfo {
            name: "socketlab".into(),
            version: "0".into(),
            endpoints: vec![EndpointInfo {
                name: "tcp-echo".into(),
                protocol: "tcp".into(),
                addr: "127.0.0.1:40731".into(),
                path: None,
            }],
            relay_targets: vec![],
            instance: None,
            webtransport: None,
        };
        assert_eq!(endpoint_port(&info, "tcp-echo"), Some(40731));
        assert_eq!(endpoint_port(&info, "tcp-chat"), None);
    }

    #[test]
    fn urls_and_commands_use_the_page_host() {
        assert_eq!(raw_ws_url("127.0.0.1", 5), "ws://127.0.0.1:5/");
        assert_eq!(raw_http_url("[::1]", 5), "http://[::1]:5/");
        assert_eq!(command_host("[::1]"), "::1");
        assert_eq!(command_host("lab.example"), "lab.example");
    }

    #[test]
    fn the_upgrade_lines_give_the_request_away() {
        assert!(is_upgrade_request(WS_REQUEST));
        assert!(!is_upgrade_request(FETCH_REQUEST));
        let marked: Vec<&str> = WS_REQUEST.lines().filter(|l| is_telltale(l)).collect();
        assert_eq!(
            marked,
            [
                "GET / HTTP/1.1",
                "Upgrade: websocket",
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="
            ]
        );
    }

    #[test]
    fn each_attempt_is_picked_by_its_shape_not_its_age() {
        let list = [
            capture("a", "hello from nc\n"),
            capture("b", FETCH_REQUEST),
            capture("c", WS_REQUEST),
            capture("d", WS_REQUEST),
        ];
        let picked = pick_captures(&list);
        assert_eq!(picked.websocket.unwrap().peer, "c");
        assert_eq!(picked.plain.unwrap().peer, "b");
        assert_eq!(pick_captures(&[]), Picked::default());
    }

    #[test]
    fn answers_to_an_earlier_try_are_dropped() {
        let mut state = Rc::new(RawAttempt::default()).reduce(RawAction::Start);
        state = state.reduce(RawAction::Start);
        let outcome = FetchOutcome::Answered { status: 200 };
        state = state.reduce(RawAction::Fetched {
            run: 1,
            outcome: outcome.clone(),
        });
        assert_eq!(state.fetch, None);
        state = state.reduce(RawAction::Fetched { run: 2, outcome });
        state = state.reduce(RawAction::Captured {
            run: 2,
            result: Ok(vec![capture("c", WS_REQUEST)]),
        });
        assert!(state.fetch.is_some());
        let picked = state.captures.clone().unwrap().unwrap();
        assert_eq!(picked.websocket.unwrap().peer, "c");
    }
}
