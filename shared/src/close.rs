//! WebSocket close codes used by Socketlab (RFC 6455 section 7.4).
//!
//! A closed WebSocket tells its peer *why* with a number. The server picks
//! one of these for each way a connection can end, and the page explains the
//! number it received, so both sides name them from this one list.

/// The conversation is over; both sides agreed.
pub const NORMAL: u16 = 1000;
/// The server is shutting down (or the page is navigating away).
pub const GOING_AWAY: u16 = 1001;
/// The peer broke the WebSocket protocol.
pub const PROTOCOL_ERROR: u16 = 1002;
/// A frame of a kind this endpoint does not accept (e.g. text on a relay).
pub const UNSUPPORTED_DATA: u16 = 1003;
/// A close frame without a code; never sent by Socketlab, but browsers
/// report it when a peer closes that way.
pub const NO_STATUS_RECEIVED: u16 = 1005;
/// No close frame was received: never sent on the wire, only reported by
/// browsers when the TCP connection died or never became a WebSocket.
pub const ABNORMAL: u16 = 1006;
/// A text frame that was not valid UTF-8.
pub const INVALID_PAYLOAD: u16 = 1007;
/// The peer broke a rule of this endpoint (rate limit, abuse).
pub const POLICY_VIOLATION: u16 = 1008;
/// A message bigger than this endpoint accepts.
pub const MESSAGE_TOO_BIG: u16 = 1009;
/// The server hit an unexpected condition.
pub const INTERNAL_ERROR: u16 = 1011;
/// The server is overloaded, or the client could not keep up; try later.
pub const TRY_AGAIN_LATER: u16 = 1013;
/// A gateway could not reach the server behind it (relay target down).
pub const BAD_GATEWAY: u16 = 1014;

/// Every code above, for tables and tests.
pub const ALL: &[u16] = &[
    NORMAL,
    GOING_AWAY,
    PROTOCOL_ERROR,
    UNSUPPORTED_DATA,
    NO_STATUS_RECEIVED,
    ABNORMAL,
    INVALID_PAYLOAD,
    POLICY_VIOLATION,
    MESSAGE_TOO_BIG,
    INTERNAL_ERROR,
    TRY_AGAIN_LATER,
    BAD_GATEWAY,
];
