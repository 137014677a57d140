//! The shape of the page's text: [`Strings`], which every language fills
//! in completely.

use socketlab_shared::close;

/// One row of the "network socket vs WebSocket" table.
#[derive(Debug, PartialEq, Eq)]
pub struct CompareRow {
    /// What is compared, e.g. "Layer".
    pub aspect: &'static str,
    /// The answer for a TCP/UDP socket.
    pub socket: &'static str,
    /// The answer for a WebSocket.
    pub websocket: &'static str,
}

/// Every text on the page in one language. Field names are grouped by the
/// panel that shows them.
#[derive(Debug, PartialEq, Eq)]
pub struct Strings {
    /// The line under the title.
    pub tagline: &'static str,
    /// Accessible name of the language switch.
    pub lang_switch_label: &'static str,
    /// The footer line.
    pub footer: &'static str,

    /// Title of the "a socket is IP + port" section.
    pub sockets_title: &'static str,
    /// What a socket is.
    pub sockets_explain: &'static str,
    /// Caption of the endpoints table.
    pub endpoints_caption: &'static str,
    /// Shown while `/api/info` loads.
    pub endpoints_loading: &'static str,
    /// Shown before the error when `/api/info` failed.
    pub endpoints_failed: &'static str,
    /// Template with `{id}`, `{addr}` and `{rooms}`: which instance
    /// answered `/api/info`, and where its chat rooms live.
    pub endpoints_instance: &'static str,
    /// `{rooms}` for the `local` bus: rooms live in this one process.
    pub endpoints_rooms_local: &'static str,
    /// `{rooms}` for the `nats` bus: rooms are shared by instances.
    pub endpoints_rooms_nats: &'static str,
    /// Column header: endpoint name.
    pub col_name: &'static str,
    /// Column header: protocol.
    pub col_protocol: &'static str,
    /// Column header: `IP:PORT`.
    pub col_addr: &'static str,
    /// Column header: URL path.
    pub col_path: &'static str,
    /// TCP card title.
    pub tcp_title: &'static str,
    /// What TCP does.
    pub tcp_explain: &'static str,
    /// UDP card title.
    pub udp_title: &'static str,
    /// What UDP does.
    pub udp_explain: &'static str,

    /// Title of the WebSocket section.
    pub ws_title: &'static str,
    /// How a WebSocket starts and lives.
    pub ws_explain: &'static str,
    /// Connection panel title.
    pub conn_title: &'static str,
    /// Label of the URL field.
    pub conn_url_label: &'static str,
    /// Connect button.
    pub conn_connect: &'static str,
    /// Disconnect button.
    pub conn_disconnect: &'static str,
    /// Label before the current state.
    pub conn_state_label: &'static str,
    /// Timeline heading.
    pub conn_timeline_title: &'static str,
    /// Shown while the timeline is empty.
    pub conn_timeline_empty: &'static str,
    /// Heading of the close report.
    pub conn_closed_title: &'static str,
    /// Close report: code.
    pub conn_close_code: &'static str,
    /// Close report: reason.
    pub conn_close_reason: &'static str,
    /// Close report: shown for an empty reason.
    pub conn_close_reason_none: &'static str,
    /// Close report: what the code means.
    pub conn_close_meaning: &'static str,
    /// Shown when the browser fired an `error` event.
    pub conn_error_event: &'static str,
    /// Shown before the browser's message when it refused the URL.
    pub conn_refused: &'static str,

    /// Echo panel title.
    pub echo_title: &'static str,
    /// What the echo endpoint does and what RTT is.
    pub echo_explain: &'static str,
    /// Placeholder of the echo input.
    pub echo_placeholder: &'static str,
    /// Button: send a text frame.
    pub echo_send_text: &'static str,
    /// Button: send a binary frame.
    pub echo_send_binary: &'static str,
    /// Shown while there is no open connection.
    pub echo_needs_open: &'static str,
    /// Shown while the log is empty.
    pub echo_empty: &'static str,
    /// Log label: what was sent.
    pub echo_sent: &'static str,
    /// Log label: what came back.
    pub echo_back: &'static str,
    /// Verdict: the echo equals what was sent.
    pub echo_match: &'static str,
    /// Verdict: it does not.
    pub echo_mismatch: &'static str,
    /// A sent frame whose echo has not come yet.
    pub echo_waiting: &'static str,
    /// A sent frame whose connection closed before the echo came.
    pub echo_lost: &'static str,
    /// A frame that arrived without being asked for.
    pub echo_unsolicited: &'static str,
    /// Frame kind: text.
    pub kind_text: &'static str,
    /// Frame kind: binary.
    pub kind_binary: &'static str,

    /// Chat section title.
    pub chat_title: &'static str,
    /// How the chat uses one WebSocket per tab.
    pub chat_explain: &'static str,
    /// Label of the room field.
    pub chat_room_label: &'static str,
    /// Label of the name field.
    pub chat_name_label: &'static str,
    /// Placeholder of the name field.
    pub chat_name_placeholder: &'static str,
    /// Join button.
    pub chat_join: &'static str,
    /// Leave button.
    pub chat_leave: &'static str,
    /// Shown for an invalid room name.
    pub chat_room_rule: &'static str,
    /// Shown for an invalid display name.
    pub chat_name_rule: &'static str,
    /// Shown while joining.
    pub chat_connecting: &'static str,
    /// Template with `{name}` and `{room}`: who and where you are.
    pub chat_you: &'static str,
    /// Template with `{id}` and `{addr}`: the instance your socket is on.
    pub chat_instance: &'static str,
    /// Title of a member's badge: on your instance.
    pub chat_instance_same: &'static str,
    /// Title of a member's badge: on another instance.
    pub chat_instance_other: &'static str,
    /// Title of your own badge.
    pub chat_instance_yours: &'static str,
    /// Members list heading.
    pub chat_members_title: &'static str,
    /// Shown while there are no messages.
    pub chat_empty: &'static str,
    /// Template with `{name}`: someone joined.
    pub chat_joined: &'static str,
    /// Template with `{name}`: someone left.
    pub chat_left: &'static str,
    /// Placeholder of the message input.
    pub chat_input_placeholder: &'static str,
    /// Send button.
    pub chat_send: &'static str,
    /// Label of the ping round-trip time.
    pub chat_rtt_label: &'static str,
    /// Shown until the first pong.
    pub chat_rtt_waiting: &'static str,
    /// Shown before a frame the page could not parse.
    pub chat_unreadable: &'static str,
    /// Shown when the chat connection closed.
    pub chat_closed: &'static str,
    /// Shown before the browser's message when a send failed.
    pub chat_send_failed: &'static str,

    /// Inspector section title.
    pub inspect_title: &'static str,
    /// What the handshake proves.
    pub inspect_explain: &'static str,
    /// Button: run the inspection.
    pub inspect_run: &'static str,
    /// Shown before the first run.
    pub inspect_idle: &'static str,
    /// Shown while waiting for the report.
    pub inspect_waiting: &'static str,
    /// Shown before the error when the report was unreadable.
    pub inspect_failed: &'static str,
    /// Heading of the request block.
    pub inspect_request_title: &'static str,
    /// Heading of the response block.
    pub inspect_response_title: &'static str,
    /// Label of the accept key computed in the page.
    pub inspect_computed_label: &'static str,
    /// Label of the accept key the server sent.
    pub inspect_server_label: &'static str,
    /// Verdict: the keys match.
    pub inspect_match: &'static str,
    /// Verdict: they do not.
    pub inspect_mismatch: &'static str,
    /// Shown for a header that is absent.
    pub inspect_missing: &'static str,

    /// Title of the "what a page may open" section.
    pub limits_title: &'static str,
    /// Why pages get no raw sockets.
    pub limits_explain: &'static str,
    /// "Available in a page".
    pub limits_yes: &'static str,
    /// "Not available in a page".
    pub limits_no: &'static str,
    /// Note on the WebSocket API.
    pub limits_websocket: &'static str,
    /// Note on HTTP (`fetch`).
    pub limits_http: &'static str,
    /// Note on WebRTC.
    pub limits_webrtc: &'static str,
    /// Note on WebTransport.
    pub limits_webtransport: &'static str,
    /// Note on raw TCP.
    pub limits_tcp: &'static str,
    /// Note on raw UDP.
    pub limits_udp: &'static str,

    /// Title of the lab section.
    pub lab_title: &'static str,
    /// What the lab is for.
    pub lab_explain: &'static str,

    /// Feature check panel title.
    pub feat_title: &'static str,
    /// Why a page has no raw sockets even in Chrome.
    pub feat_explain: &'static str,
    /// Verdict: the API exists on `window`.
    pub feat_present: &'static str,
    /// Verdict: it does not.
    pub feat_absent: &'static str,
    /// Note beside `TCPSocket`.
    pub feat_tcp_note: &'static str,
    /// Note beside `UDPSocket`.
    pub feat_udp_note: &'static str,
    /// Note beside `WebSocket`.
    pub feat_ws_note: &'static str,

    /// Raw attempt panel title.
    pub raw_title: &'static str,
    /// Template with `{port}`: what the button will try.
    pub raw_explain: &'static str,
    /// Button: run the raw attempt.
    pub raw_run: &'static str,
    /// Shown when the server does not run `tcp-echo`.
    pub raw_disabled: &'static str,
    /// Heading of the WebSocket step.
    pub raw_ws_title: &'static str,
    /// Heading of the `fetch` step.
    pub raw_fetch_title: &'static str,
    /// Heading of the capture step.
    pub raw_captured_title: &'static str,
    /// Shown while a step has not finished.
    pub raw_waiting: &'static str,
    /// Shown when the `error` event fired.
    pub raw_error_event: &'static str,
    /// Why the WebSocket failed.
    pub raw_ws_why: &'static str,
    /// Shown before the rejected promise's error.
    pub raw_fetch_failed: &'static str,
    /// Why `fetch` failed.
    pub raw_fetch_why: &'static str,
    /// Shown before the status if `fetch` unexpectedly got an answer.
    pub raw_fetch_answered: &'static str,
    /// The point of the capture.
    pub raw_captured_why: &'static str,
    /// Caption of the `fetch` request's capture.
    pub raw_captured_plain: &'static str,
    /// Shown when no WebSocket request was captured.
    pub raw_captured_none: &'static str,
    /// Shown before the error when the captures could not be read.
    pub raw_captured_failed: &'static str,

    /// Relay panel title.
    pub relay_title: &'static str,
    /// What the relay does, and why chunks are collected.
    pub relay_explain: &'static str,
    /// Label of the text to send.
    pub relay_input_label: &'static str,
    /// Button: send through the relay.
    pub relay_run: &'static str,
    /// Label: connect time.
    pub relay_connect_label: &'static str,
    /// Label: round-trip time.
    pub relay_rtt_label: &'static str,
    /// Label: chunks received.
    pub relay_chunks_label: &'static str,
    /// Label: negotiated subprotocol.
    pub relay_protocol_label: &'static str,
    /// Heading of the sent bytes' dump.
    pub relay_sent_label: &'static str,
    /// Heading of the received bytes' dump.
    pub relay_back_label: &'static str,
    /// Verdict: identical bytes.
    pub relay_same: &'static str,
    /// Verdict: different bytes.
    pub relay_different: &'static str,
    /// Template with `{missing}`: bytes still expected.
    pub relay_waiting: &'static str,
    /// Shown before the close code when the relay closed early.
    pub relay_closed: &'static str,
    /// Shown when there is nothing to send.
    pub relay_empty: &'static str,

    /// Race panel title.
    pub race_title: &'static str,
    /// How the race works and how to read the charts.
    pub race_explain: &'static str,
    /// Label of the packet count.
    pub race_packets_label: &'static str,
    /// Legend of the simulated network's controls.
    pub race_network_title: &'static str,
    /// Label of the loss slider.
    pub race_loss_label: &'static str,
    /// Label of the duplicate slider.
    pub race_duplicate_label: &'static str,
    /// Label of the reorder slider.
    pub race_reorder_label: &'static str,
    /// Label of the delay slider.
    pub race_delay_label: &'static str,
    /// Button: start the race.
    pub race_run: &'static str,
    /// Shown while the relays open.
    pub race_connecting: &'static str,
    /// Shown while packets are sent.
    pub race_sending: &'static str,
    /// Shown while waiting for stragglers.
    pub race_draining: &'static str,
    /// Shown before the first race.
    pub race_idle: &'static str,
    /// Shown before the reason when the settings are out of range.
    pub race_invalid: &'static str,
    /// Caption of the TCP lane.
    pub race_tcp_title: &'static str,
    /// Caption of the UDP lane.
    pub race_udp_title: &'static str,
    /// Stat label: packets received of sent.
    pub race_received: &'static str,
    /// Stat label: lost.
    pub race_lost: &'static str,
    /// Stat label: duplicated.
    pub race_duplicated: &'static str,
    /// Stat label: out of order.
    pub race_reordered: &'static str,
    /// Stat label: RTT spread.
    pub race_rtt: &'static str,
    /// Chart axis: arrival order.
    pub race_axis_x: &'static str,
    /// Chart axis: sequence number.
    pub race_axis_y: &'static str,
    /// Legend: arrived in order.
    pub race_legend_in_order: &'static str,
    /// Legend: overtaken.
    pub race_legend_late: &'static str,
    /// Legend: duplicate.
    pub race_legend_duplicate: &'static str,
    /// Legend: never arrived.
    pub race_legend_missing: &'static str,
    /// Shown before the close code when a lane could not connect.
    pub race_lane_failed: &'static str,
    /// Shown when the server runs neither echo socket.
    pub race_unavailable: &'static str,

    /// `nc` panel title.
    pub nc_title: &'static str,
    /// What `nc` is and why it can do what a page cannot.
    pub nc_explain: &'static str,
    /// What to do with `nc` on `tcp-chat`.
    pub nc_chat_note: &'static str,
    /// What to do with `nc -u` on `udp-echo`.
    pub nc_udp_note: &'static str,
    /// What to do with `nc` on `tcp-echo`.
    pub nc_tcp_note: &'static str,
    /// Shown for a socket the server does not run.
    pub nc_missing: &'static str,

    /// Comparison section title.
    pub compare_title: &'static str,
    /// What the table is, and that the lab fills it.
    pub compare_explain: &'static str,
    /// Column header: network socket.
    pub compare_socket: &'static str,
    /// Column header: WebSocket.
    pub compare_websocket: &'static str,
    /// Row: layer.
    pub compare_layer: CompareRow,
    /// Row: who can use it.
    pub compare_who: CompareRow,
    /// Row: handshake.
    pub compare_handshake: CompareRow,
    /// Row: framing and message boundaries.
    pub compare_boundaries: CompareRow,
    /// Row: ordering.
    pub compare_ordering: CompareRow,
    /// Row: browser support.
    pub compare_support: CompareRow,
    /// A cell the lab can measure but has not yet.
    pub compare_not_measured: &'static str,
    /// Template with `{ms}`: the relay's connect time.
    pub compare_connect_measured: &'static str,
    /// Template with `{messages}` and `{chunks}`: TCP through the relay.
    pub compare_tcp_chunks_measured: &'static str,
    /// Template with `{datagrams}` and `{messages}`: UDP through the relay.
    pub compare_udp_messages_measured: &'static str,
    /// Template with `{tcp}`, `{udp}` and `{sent}`: the race's
    /// out-of-order counts.
    pub compare_order_measured: &'static str,
    /// Template with `{tcp}` and `{udp}`: the raw socket APIs' presence.
    pub compare_support_measured: &'static str,
    /// Template with `{ws}`: the WebSocket API's presence.
    pub compare_ws_support_measured: &'static str,
    /// Template with `{code}`: how the raw attempt's WebSocket closed.
    pub compare_raw_measured: &'static str,

    /// Close code 1000.
    pub close_normal: &'static str,
    /// Close code 1001.
    pub close_going_away: &'static str,
    /// Close code 1002.
    pub close_protocol_error: &'static str,
    /// Close code 1003.
    pub close_unsupported_data: &'static str,
    /// Close code 1005.
    pub close_no_status: &'static str,
    /// Close code 1006.
    pub close_abnormal: &'static str,
    /// Close code 1007.
    pub close_invalid_payload: &'static str,
    /// Close code 1008.
    pub close_policy_violation: &'static str,
    /// Close code 1009.
    pub close_message_too_big: &'static str,
    /// Close code 1011.
    pub close_internal_error: &'static str,
    /// Close code 1013.
    pub close_try_again_later: &'static str,
    /// Close code 1014.
    pub close_bad_gateway: &'static str,
    /// Close codes 3000–4999, which applications define.
    pub close_application: &'static str,
    /// Any other code.
    pub close_unknown: &'static str,
}

impl Strings {
    /// What a close code means, in this language: the page explains the
    /// number instead of leaving the learner to look it up.
    pub fn close_meaning(&self, code: u16) -> &'static str {
        match code {
            close::NORMAL => self.close_normal,
            close::GOING_AWAY => self.close_going_away,
            close::PROTOCOL_ERROR => self.close_protocol_error,
            close::UNSUPPORTED_DATA => self.close_unsupported_data,
            close::NO_STATUS_RECEIVED => self.close_no_status,
            close::ABNORMAL => self.close_abnormal,
            close::INVALID_PAYLOAD => self.close_invalid_payload,
            close::POLICY_VIOLATION => self.close_policy_violation,
            close::MESSAGE_TOO_BIG => self.close_message_too_big,
            close::INTERNAL_ERROR => self.close_internal_error,
            close::TRY_AGAIN_LATER => self.close_try_again_later,
            close::BAD_GATEWAY => self.close_bad_gateway,
            3000..=4999 => self.close_application,
            _ => self.close_unknown,
        }
    }
}
