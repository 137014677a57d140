//! What the page knows about a socket's life, as a plain reducer.
//!
//! [`SocketStatus`] records the `readyState` changes of a hook's current
//! connection, with timestamps, and how it ended. It holds no browser
//! types, so its rules are unit-tested natively.

use std::rc::Rc;

use yew::Reducible;

/// The four values of `WebSocket.readyState`, in the only order a socket
/// can go through them (which is why they are ordered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReadyState {
    /// `0`: the HTTP upgrade request is on its way.
    Connecting,
    /// `1`: the server answered `101`; frames can flow both ways.
    Open,
    /// `2`: a close frame was sent; waiting for the other side's.
    Closing,
    /// `3`: the TCP connection is gone.
    Closed,
}

impl ReadyState {
    /// Reads the number the browser reports in `readyState`.
    pub fn from_code(code: u16) -> Self {
        match code {
            0 => Self::Connecting,
            1 => Self::Open,
            2 => Self::Closing,
            _ => Self::Closed,
        }
    }

    /// The number, as `WebSocket.readyState` shows it.
    pub fn code(self) -> u16 {
        match self {
            Self::Connecting => 0,
            Self::Open => 1,
            Self::Closing => 2,
            Self::Closed => 3,
        }
    }

    /// The constant's name (`WebSocket.OPEN` …): what learners will meet in
    /// JavaScript documentation, so it is never translated.
    pub fn name(self) -> &'static str {
        match self {
            Self::Connecting => "CONNECTING",
            Self::Open => "OPEN",
            Self::Closing => "CLOSING",
            Self::Closed => "CLOSED",
        }
    }
}

/// What the browser's `CloseEvent` said about how the connection ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseInfo {
    /// The close code (see `socketlab_shared::close`).
    pub code: u16,
    /// The reason text the closing side sent, often empty.
    pub reason: String,
    /// Whether both sides exchanged close frames (`false` means the TCP
    /// connection just died, or never became a WebSocket).
    pub was_clean: bool,
}

/// One entry of the `readyState` timeline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StateChange {
    /// The state the socket entered.
    pub state: ReadyState,
    /// Milliseconds since `connect` was called.
    pub at_ms: f64,
}

/// Everything the page knows about a hook's current (or last) connection.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SocketStatus {
    /// How many connections this hook has started; `0` means none yet.
    pub connection: u32,
    /// The URL of the current connection.
    pub url: String,
    /// Every state the socket was seen entering, oldest first.
    pub timeline: Vec<StateChange>,
    /// How the connection ended, once it has.
    pub close: Option<CloseInfo>,
    /// Why the browser refused to even create the socket.
    pub failure: Option<String>,
    /// Whether the browser fired an `error` event on this connection.
    pub saw_error_event: bool,
    /// The subprotocol the server chose, once open (empty: none).
    pub protocol: Option<String>,
    started_at: f64,
}

impl SocketStatus {
    /// The socket's current state; `None` before the first connect.
    pub fn state(&self) -> Option<ReadyState> {
        self.timeline.last().map(|change| change.state)
    }

    /// Whether frames can be sent right now.
    pub fn is_open(&self) -> bool {
        self.state() == Some(ReadyState::Open)
    }

    /// Whether a connection is being made or is in use (so "Connect" would
    /// replace it).
    pub fn is_active(&self) -> bool {
        matches!(
            self.state(),
            Some(ReadyState::Connecting | ReadyState::Open)
        )
    }

    /// Milliseconds from `connect` to the `open` event: the TCP handshake
    /// plus the HTTP upgrade, as far as a page can time them.
    pub fn open_ms(&self) -> Option<f64> {
        self.timeline
            .iter()
            .find(|change| change.state == ReadyState::Open)
            .map(|change| change.at_ms)
    }

    /// Whether this connection is over, or never started because the
    /// browser refused its URL: either way nothing more will happen on it.
    pub fn is_finished(&self) -> bool {
        self.failure.is_some() || self.state() == Some(ReadyState::Closed)
    }

    /// Notes a state, ignoring repeats and impossible steps backwards (a
    /// socket never leaves `CLOSED`).
    fn record(&mut self, state: ReadyState, at: f64) {
        if self.state().is_some_and(|last| state > last) {
            self.timeline.push(StateChange {
                state,
                at_ms: at - self.started_at,
            });
        }
    }
}

/// What happened to the socket, as told to [`SocketStatus`].
#[derive(Debug, Clone, PartialEq)]
pub enum StatusAction {
    /// A new socket was created: the timeline starts over at `CONNECTING`.
    Started {
        /// Its number.
        connection: u32,
        /// Where it connects.
        url: String,
        /// `performance.now()` just before it was created.
        at: f64,
    },
    /// The `open` event arrived.
    Opened {
        /// The subprotocol the server chose (empty: none).
        protocol: String,
        /// `performance.now()` when it arrived.
        at: f64,
    },
    /// The socket was seen in a new state.
    Changed {
        /// The new state.
        state: ReadyState,
        /// `performance.now()` when it was seen.
        at: f64,
    },
    /// The `close` event arrived.
    Closed {
        /// What it said.
        info: CloseInfo,
        /// `performance.now()` when it arrived.
        at: f64,
    },
    /// The `error` event arrived.
    ErrorEvent,
    /// The browser refused to create the socket.
    Failed {
        /// The URL it refused.
        url: String,
        /// Its explanation.
        message: String,
    },
}

impl Reducible for SocketStatus {
    type Action = StatusAction;

    fn reduce(self: Rc<Self>, action: StatusAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            StatusAction::Started {
                connection,
                url,
                at,
            } => {
                next = SocketStatus {
                    connection,
                    url,
                    timeline: vec![StateChange {
                        state: ReadyState::Connecting,
                        at_ms: 0.0,
                    }],
                    started_at: at,
                    ..SocketStatus::default()
                };
            }
            StatusAction::Opened { protocol, at } => {
                next.record(ReadyState::Open, at);
                next.protocol = Some(protocol);
            }
            StatusAction::Changed { state, at } => next.record(state, at),
            StatusAction::Closed { info, at } => {
                next.record(ReadyState::Closed, at);
                next.close = Some(info);
            }
            StatusAction::ErrorEvent => next.saw_error_event = true,
            StatusAction::Failed { url, message } => {
                next = SocketStatus {
                    connection: self.connection,
                    url,
                    failure: Some(message),
                    ..SocketStatus::default()
                };
            }
        }
        Rc::new(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reduce(status: SocketStatus, action: StatusAction) -> SocketStatus {
        (*Rc::new(status).reduce(action)).clone()
    }

    fn started() -> SocketStatus {
        reduce(
            SocketStatus::default(),
            StatusAction::Started {
                connection: 1,
                url: "ws://h/ws/echo".into(),
                at: 100.0,
            },
        )
    }

    fn states(status: &SocketStatus) -> Vec<&'static str> {
        status.timeline.iter().map(|c| c.state.name()).collect()
    }

    #[test]
    fn a_full_life_is_recorded_relative_to_the_start() {
        let mut status = started();
        for (state, at) in [(ReadyState::Open, 103.5), (ReadyState::Closing, 200.0)] {
            status = reduce(status, StatusAction::Changed { state, at });
        }
        let info = CloseInfo {
            code: 1000,
            reason: String::new(),
            was_clean: true,
        };
        status = reduce(
            status,
            StatusAction::Closed {
                info: info.clone(),
                at: 201.0,
            },
        );
        assert_eq!(states(&status), ["CONNECTING", "OPEN", "CLOSING", "CLOSED"]);
        assert_eq!(status.timeline[1].at_ms, 3.5);
        assert_eq!(status.close, Some(info));
        assert!(!status.is_open());
    }

    #[test]
    fn opening_records_the_subprotocol_and_the_connect_time() {
        let status = reduce(
            started(),
            StatusAction::Opened {
                protocol: "binary".into(),
                at: 104.25,
            },
        );
        assert!(status.is_open());
        assert_eq!(status.protocol.as_deref(), Some("binary"));
        assert_eq!(status.open_ms(), Some(4.25));
        assert!(!status.is_finished());
    }

    #[test]
    fn a_refused_or_closed_connection_is_finished() {
        let refused = reduce(
            started(),
            StatusAction::Failed {
                url: "ws://h:1/".into(),
                message: "blocked".into(),
            },
        );
        assert!(refused.is_finished());
        let closed = reduce(
            started(),
            StatusAction::Closed {
                info: CloseInfo {
                    code: 1006,
                    reason: String::new(),
                    was_clean: false,
                },
                at: 150.0,
            },
        );
        assert!(closed.is_finished());
        assert_eq!(closed.open_ms(), None);
    }

    #[test]
    fn repeats_and_steps_backwards_are_ignored() {
        let mut status = started();
        for state in [ReadyState::Open, ReadyState::Open, ReadyState::Connecting] {
            status = reduce(status, StatusAction::Changed { state, at: 101.0 });
        }
        assert_eq!(states(&status), ["CONNECTING", "OPEN"]);
        assert!(status.is_open());
    }

    #[test]
    fn nothing_is_recorded_before_a_connection_starts() {
        let status = reduce(
            SocketStatus::default(),
            StatusAction::Changed {
                state: ReadyState::Open,
                at: 1.0,
            },
        );
        assert_eq!(status.state(), None);
    }

    #[test]
    fn a_refused_url_clears_the_old_connection() {
        let status = reduce(
            started(),
            StatusAction::Failed {
                url: "http://nope".into(),
                message: "bad scheme".into(),
            },
        );
        assert_eq!(status.state(), None);
        assert_eq!(status.failure.as_deref(), Some("bad scheme"));
        assert_eq!(status.connection, 1);
    }

    #[test]
    fn ready_state_codes_round_trip() {
        for code in 0..4 {
            assert_eq!(ReadyState::from_code(code).code(), code);
        }
    }
}
