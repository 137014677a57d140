//! The shape of the page's text: [`Strings`], which every language fills
//! in completely.

use socketlab_shared::close;

use super::lab::LabStrings;

/// One row of the "network socket vs WebSocket" table.
#[derive(Debug, PartialEq, Eq)]
pub struct CompareRow {
    /// What is compared, e.g. "Layer".
    pub aspect: &'static str,
    /// The answer for a TCP/UDP socket.
    pub socket: &'static str,
    /// The answer for a WebSocket.
    pub websocket: &'static str,
    /// The answer for WebTransport.
    pub webtransport: &'static str,
}

/// Every text on the page in one language, one field per section of the
/// page (and per panel of the lab), so each component reads its own.
#[derive(Debug, PartialEq, Eq)]
pub struct Strings {
    /// The page's frame: the header and the footer.
    pub page: PageStrings,
    /// The "a socket is IP + port" section and its TCP and UDP cards.
    pub sockets: SocketsStrings,
    /// The table of this server's sockets, in the sockets section.
    pub endpoints: EndpointsStrings,
    /// The WebSocket section's heading.
    pub websocket: WebSocketStrings,
    /// The connection panel: open a WebSocket and watch its states.
    pub connection: ConnectionStrings,
    /// The echo panel: frames sent to `/ws/echo` and back.
    pub echo: EchoStrings,
    /// The chat section: join a room and talk.
    pub chat: ChatStrings,
    /// The handshake inspector section.
    pub inspector: InspectorStrings,
    /// The "what a page may open" section.
    pub limits: LimitsStrings,
    /// The lab section and its panels.
    pub lab: LabStrings,
    /// The "network socket vs WebSocket" comparison section.
    pub compare: CompareStrings,
    /// What each WebSocket close code means.
    pub close: CloseStrings,
}

/// The page's frame: the header and the footer.
#[derive(Debug, PartialEq, Eq)]
pub struct PageStrings {
    /// The line under the title.
    pub tagline: &'static str,
    /// Accessible name of the language switch.
    pub lang_switch_label: &'static str,
    /// The footer line.
    pub footer: &'static str,
    /// Shown, without moving anything, until the page's WebAssembly has
    /// started: the text is there, the live parts are not yet.
    pub starting: &'static str,
}

/// The "a socket is IP + port" section and its TCP and UDP cards.
#[derive(Debug, PartialEq, Eq)]
pub struct SocketsStrings {
    /// Title of the "a socket is IP + port" section.
    pub title: &'static str,
    /// What a socket is.
    pub explain: &'static str,
    /// TCP card title.
    pub tcp_title: &'static str,
    /// What TCP does.
    pub tcp_explain: &'static str,
    /// UDP card title.
    pub udp_title: &'static str,
    /// What UDP does.
    pub udp_explain: &'static str,
}

/// The table of this server's sockets, in the sockets section.
#[derive(Debug, PartialEq, Eq)]
pub struct EndpointsStrings {
    /// Caption of the endpoints table.
    pub caption: &'static str,
    /// Shown while `/api/info` loads.
    pub loading: &'static str,
    /// Shown before the error when `/api/info` failed.
    pub failed: &'static str,
    /// Template with `{id}`, `{addr}` and `{rooms}`: which instance
    /// answered `/api/info`, and where its chat rooms live.
    pub instance: &'static str,
    /// `{rooms}` for the `local` bus: rooms live in this one process.
    pub rooms_local: &'static str,
    /// `{rooms}` for the `nats` bus: rooms are shared by instances.
    pub rooms_nats: &'static str,
    /// Column header: endpoint name.
    pub col_name: &'static str,
    /// Column header: protocol.
    pub col_protocol: &'static str,
    /// Column header: `IP:PORT`.
    pub col_addr: &'static str,
    /// Column header: URL path.
    pub col_path: &'static str,
    /// Caption of the relay targets table.
    pub relay_caption: &'static str,
    /// Column header: the subprotocols a relay target allows.
    pub col_protocols: &'static str,
    /// Column header: what a text frame becomes.
    pub col_text: &'static str,
    /// A text frame is relayed as its UTF-8 bytes (`text=bytes`).
    pub text_bytes: &'static str,
    /// A text frame closes the relay (`text=refuse`).
    pub text_refuse: &'static str,
    /// In place of the address of a target that needs a token.
    pub needs_token: &'static str,
}

/// The WebSocket section's heading.
#[derive(Debug, PartialEq, Eq)]
pub struct WebSocketStrings {
    /// Title of the WebSocket section.
    pub title: &'static str,
    /// How a WebSocket starts and lives.
    pub explain: &'static str,
}

/// The connection panel: open a WebSocket and watch its states.
#[derive(Debug, PartialEq, Eq)]
pub struct ConnectionStrings {
    /// Connection panel title.
    pub title: &'static str,
    /// Label of the URL field.
    pub url_label: &'static str,
    /// Connect button.
    pub connect: &'static str,
    /// Disconnect button.
    pub disconnect: &'static str,
    /// Label before the current state.
    pub state_label: &'static str,
    /// Timeline heading.
    pub timeline_title: &'static str,
    /// Shown while the timeline is empty.
    pub timeline_empty: &'static str,
    /// Heading of the close report.
    pub closed_title: &'static str,
    /// Close report: code.
    pub close_code: &'static str,
    /// Close report: reason.
    pub close_reason: &'static str,
    /// Close report: shown for an empty reason.
    pub close_reason_none: &'static str,
    /// Close report: what the code means.
    pub close_meaning: &'static str,
    /// Shown when the browser fired an `error` event.
    pub error_event: &'static str,
    /// Shown before the browser's message when it refused the URL.
    pub refused: &'static str,
}

/// The echo panel: frames sent to `/ws/echo` and back.
#[derive(Debug, PartialEq, Eq)]
pub struct EchoStrings {
    /// Echo panel title.
    pub title: &'static str,
    /// What the echo endpoint does and what RTT is.
    pub explain: &'static str,
    /// Placeholder of the echo input.
    pub placeholder: &'static str,
    /// Button: send a text frame.
    pub send_text: &'static str,
    /// Button: send a binary frame.
    pub send_binary: &'static str,
    /// Shown while there is no open connection.
    pub needs_open: &'static str,
    /// Shown while the log is empty.
    pub empty: &'static str,
    /// Log label: what was sent.
    pub sent: &'static str,
    /// Log label: what came back.
    pub back: &'static str,
    /// Verdict: the echo equals what was sent.
    pub matched: &'static str,
    /// Verdict: it does not.
    pub mismatched: &'static str,
    /// A sent frame whose echo has not come yet.
    pub waiting: &'static str,
    /// A sent frame whose connection closed before the echo came.
    pub lost: &'static str,
    /// A frame that arrived without being asked for.
    pub unsolicited: &'static str,
    /// Frame kind: text.
    pub kind_text: &'static str,
    /// Frame kind: binary.
    pub kind_binary: &'static str,
}

/// The chat section: join a room and talk.
#[derive(Debug, PartialEq, Eq)]
pub struct ChatStrings {
    /// Chat section title.
    pub title: &'static str,
    /// How the chat uses one WebSocket per tab.
    pub explain: &'static str,
    /// Label of the room field.
    pub room_label: &'static str,
    /// Label of the name field.
    pub name_label: &'static str,
    /// Placeholder of the name field.
    pub name_placeholder: &'static str,
    /// Join button.
    pub join: &'static str,
    /// Leave button.
    pub leave: &'static str,
    /// Shown for an invalid room name.
    pub room_rule: &'static str,
    /// Shown for an invalid display name.
    pub name_rule: &'static str,
    /// Shown while joining.
    pub connecting: &'static str,
    /// Template with `{name}` and `{room}`: who and where you are.
    pub you: &'static str,
    /// Template with `{id}` and `{addr}`: the instance your socket is on.
    pub instance: &'static str,
    /// Title of a member's badge: on your instance.
    pub instance_same: &'static str,
    /// Title of a member's badge: on another instance.
    pub instance_other: &'static str,
    /// Title of your own badge.
    pub instance_yours: &'static str,
    /// Members list heading.
    pub members_title: &'static str,
    /// Template with `{count}`: members not in the list (a large room
    /// sends the first page of names and then counts only).
    pub members_more: &'static str,
    /// The button that asks the server for the next page of members.
    pub members_show_more: &'static str,
    /// Shown while there are no messages.
    pub empty: &'static str,
    /// Template with `{name}`: someone joined.
    pub joined: &'static str,
    /// Template with `{name}`: someone left.
    pub left: &'static str,
    /// Placeholder of the message input.
    pub input_placeholder: &'static str,
    /// Send button.
    pub send: &'static str,
    /// Label of the ping round-trip time.
    pub rtt_label: &'static str,
    /// Shown until the first pong.
    pub rtt_waiting: &'static str,
    /// Shown before a frame the page could not parse.
    pub unreadable: &'static str,
    /// Shown when the chat connection closed.
    pub closed: &'static str,
    /// Shown before the browser's message when a send failed.
    pub send_failed: &'static str,
}

/// The handshake inspector section.
#[derive(Debug, PartialEq, Eq)]
pub struct InspectorStrings {
    /// Inspector section title.
    pub title: &'static str,
    /// What the handshake proves.
    pub explain: &'static str,
    /// Button: run the inspection.
    pub run: &'static str,
    /// Shown before the first run.
    pub idle: &'static str,
    /// Shown while waiting for the report.
    pub waiting: &'static str,
    /// Shown before the error when the report was unreadable.
    pub failed: &'static str,
    /// Heading of the request block.
    pub request_title: &'static str,
    /// Heading of the response block.
    pub response_title: &'static str,
    /// Label of the accept key computed in the page.
    pub computed_label: &'static str,
    /// Label of the accept key the server sent.
    pub server_label: &'static str,
    /// Verdict: the keys match.
    pub matched: &'static str,
    /// Verdict: they do not.
    pub mismatched: &'static str,
    /// Shown for a header that is absent.
    pub missing: &'static str,
}

/// The "what a page may open" section.
#[derive(Debug, PartialEq, Eq)]
pub struct LimitsStrings {
    /// Title of the "what a page may open" section.
    pub title: &'static str,
    /// Why pages get no raw sockets.
    pub explain: &'static str,
    /// "Available in a page".
    pub yes: &'static str,
    /// "Not available in a page".
    pub no: &'static str,
    /// Note on the WebSocket API.
    pub websocket: &'static str,
    /// Note on HTTP (`fetch`).
    pub http: &'static str,
    /// Note on WebRTC.
    pub webrtc: &'static str,
    /// Note on WebTransport.
    pub webtransport: &'static str,
    /// Note on raw TCP.
    pub tcp: &'static str,
    /// Note on raw UDP.
    pub udp: &'static str,
}

/// The "network socket vs WebSocket" comparison section.
#[derive(Debug, PartialEq, Eq)]
pub struct CompareStrings {
    /// Comparison section title.
    pub title: &'static str,
    /// What the table is, and that the lab fills it.
    pub explain: &'static str,
    /// Column header: network socket.
    pub socket: &'static str,
    /// Column header: WebSocket.
    pub websocket: &'static str,
    /// Column header: WebTransport.
    pub webtransport: &'static str,
    /// Row: layer.
    pub layer: CompareRow,
    /// Row: who can use it.
    pub who: CompareRow,
    /// Row: handshake.
    pub handshake: CompareRow,
    /// Row: framing and message boundaries.
    pub boundaries: CompareRow,
    /// Row: ordering.
    pub ordering: CompareRow,
    /// Row: browser support.
    pub support: CompareRow,
    /// A cell the lab can measure but has not yet.
    pub not_measured: &'static str,
    /// Template with `{ms}`: the relay's connect time.
    pub connect_measured: &'static str,
    /// Template with `{messages}` and `{chunks}`: TCP through the relay.
    pub tcp_chunks_measured: &'static str,
    /// Template with `{datagrams}` and `{messages}`: UDP through the relay.
    pub udp_messages_measured: &'static str,
    /// Template with `{tcp}`, `{udp}` and `{sent}`: the race's
    /// out-of-order counts.
    pub order_measured: &'static str,
    /// Template with `{tcp}` and `{udp}`: the raw socket APIs' presence.
    pub support_measured: &'static str,
    /// Template with `{ws}`: the WebSocket API's presence.
    pub ws_support_measured: &'static str,
    /// Template with `{code}`: how the raw attempt's WebSocket closed.
    pub raw_measured: &'static str,
    /// A WebTransport cell in a browser without WebTransport.
    pub wt_unavailable: &'static str,
    /// Template with `{ms}`: the WebTransport session's set-up time.
    pub wt_ready_measured: &'static str,
    /// Template with `{ms}`: one datagram's round trip.
    pub wt_datagram_measured: &'static str,
    /// Template with `{ms}`: one stream's round trip.
    pub wt_stream_measured: &'static str,
    /// Template with `{bytes}`: `datagrams.maxDatagramSize`.
    pub wt_size_measured: &'static str,
    /// Template with `{sent}`, `{lost}`, `{reordered}` and `{duplicated}`:
    /// the race's datagram lane.
    pub wt_order_measured: &'static str,
    /// Template with `{wt}`: the WebTransport API's presence.
    pub wt_support_measured: &'static str,
}

/// What each WebSocket close code means.
#[derive(Debug, PartialEq, Eq)]
pub struct CloseStrings {
    /// Any other code. Declared first on purpose: with a code's text at
    /// offset 0, `meaning` compiles to a jump table instead of a lookup
    /// table, 50 bytes more WebAssembly. (Struct literals may list the
    /// fields in any order, so the languages keep theirs.)
    pub unknown: &'static str,
    /// Close code 1000.
    pub normal: &'static str,
    /// Close code 1001.
    pub going_away: &'static str,
    /// Close code 1002.
    pub protocol_error: &'static str,
    /// Close code 1003.
    pub unsupported_data: &'static str,
    /// Close code 1005.
    pub no_status: &'static str,
    /// Close code 1006.
    pub abnormal: &'static str,
    /// Close code 1007.
    pub invalid_payload: &'static str,
    /// Close code 1008.
    pub policy_violation: &'static str,
    /// Close code 1009.
    pub message_too_big: &'static str,
    /// Close code 1011.
    pub internal_error: &'static str,
    /// Close code 1013.
    pub try_again_later: &'static str,
    /// Close code 1014.
    pub bad_gateway: &'static str,
    /// Close codes 3000–4999, which applications define.
    pub application: &'static str,
}

impl CloseStrings {
    /// What a close code means, in this language: the page explains the
    /// number instead of leaving the learner to look it up.
    pub fn meaning(&self, code: u16) -> &'static str {
        match code {
            close::NORMAL => self.normal,
            close::GOING_AWAY => self.going_away,
            close::PROTOCOL_ERROR => self.protocol_error,
            close::UNSUPPORTED_DATA => self.unsupported_data,
            close::NO_STATUS_RECEIVED => self.no_status,
            close::ABNORMAL => self.abnormal,
            close::INVALID_PAYLOAD => self.invalid_payload,
            close::POLICY_VIOLATION => self.policy_violation,
            close::MESSAGE_TOO_BIG => self.message_too_big,
            close::INTERNAL_ERROR => self.internal_error,
            close::TRY_AGAIN_LATER => self.try_again_later,
            close::BAD_GATEWAY => self.bad_gateway,
            3000..=4999 => self.application,
            _ => self.unknown,
        }
    }
}
