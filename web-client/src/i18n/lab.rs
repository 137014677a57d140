//! The shape of the lab's text: [`LabStrings`] and one struct per panel,
//! apart from [`super::strings`] so each file stays one readable size.

/// The lab section and its panels.
#[derive(Debug, PartialEq, Eq)]
pub struct LabStrings {
    /// Title of the lab section.
    pub title: &'static str,
    /// What the lab is for.
    pub explain: &'static str,
    /// Template with `{browser}` ("Firefox 153"): whose error messages,
    /// close codes and WebTransport support the lab shows.
    pub reported_by: &'static str,
    /// `{browser}` when the user agent is not one the page knows.
    pub this_browser: &'static str,
    /// The lab's feature check panel.
    pub features: FeaturesStrings,
    /// The lab's "knock on a raw TCP port" panel.
    pub raw: RawStrings,
    /// The lab's relay panel.
    pub relay: RelayStrings,
    /// The lab's "TCP vs UDP race" panel.
    pub race: RaceStrings,
    /// The lab's `nc` panel: the same sockets from a terminal.
    pub nc: NcStrings,
    /// The lab's WebTransport panel.
    pub wt: WtStrings,
    /// The lab's "real clients" panel: what the relay does per protocol.
    pub clients: ClientsStrings,
}

/// The lab's WebTransport panel: a live session to `/wt/echo`.
#[derive(Debug, PartialEq, Eq)]
pub struct WtStrings {
    /// Panel title.
    pub title: &'static str,
    /// What a WebTransport session is, and what the button does.
    pub explain: &'static str,
    /// Button: open a session and measure.
    pub run: &'static str,
    /// Label: the session's URL.
    pub session: &'static str,
    /// Label: milliseconds until `ready`.
    pub ready: &'static str,
    /// Label: `datagrams.maxDatagramSize`.
    pub max_datagram: &'static str,
    /// Label: a datagram's round trip.
    pub datagram_rtt: &'static str,
    /// Label: a stream's round trip.
    pub stream_rtt: &'static str,
    /// Shown while a step runs.
    pub waiting: &'static str,
    /// Shown before the browser's message when the session failed.
    pub failed: &'static str,
}

/// The lab's feature check panel.
#[derive(Debug, PartialEq, Eq)]
pub struct FeaturesStrings {
    /// Feature check panel title.
    pub title: &'static str,
    /// Why a page has no raw sockets even in Chrome.
    pub explain: &'static str,
    /// Verdict: the API exists on `window`.
    pub present: &'static str,
    /// Verdict: it does not.
    pub absent: &'static str,
    /// Verdict until the page has run and looked.
    pub checking: &'static str,
    /// Note beside `TCPSocket`.
    pub tcp_note: &'static str,
    /// Note beside `UDPSocket`.
    pub udp_note: &'static str,
    /// Note beside `WebSocket`.
    pub ws_note: &'static str,
    /// Note beside `WebTransport`.
    pub wt_note: &'static str,
}

/// The lab's "knock on a raw TCP port" panel.
#[derive(Debug, PartialEq, Eq)]
pub struct RawStrings {
    /// Raw attempt panel title.
    pub title: &'static str,
    /// Template with `{port}`: what the button will try.
    pub explain: &'static str,
    /// Button: run the raw attempt.
    pub run: &'static str,
    /// Shown when the server does not run `tcp-echo`.
    pub disabled: &'static str,
    /// Heading of the WebSocket step.
    pub ws_title: &'static str,
    /// Heading of the `fetch` step.
    pub fetch_title: &'static str,
    /// Heading of the capture step.
    pub captured_title: &'static str,
    /// Shown while a step has not finished.
    pub waiting: &'static str,
    /// Shown when the `error` event fired.
    pub error_event: &'static str,
    /// Why the WebSocket failed.
    pub ws_why: &'static str,
    /// Shown before the rejected promise's error.
    pub fetch_failed: &'static str,
    /// Why `fetch` failed.
    pub fetch_why: &'static str,
    /// Shown before the status if `fetch` unexpectedly got an answer.
    pub fetch_answered: &'static str,
    /// The point of the capture.
    pub captured_why: &'static str,
    /// Caption of the `fetch` request's capture.
    pub captured_plain: &'static str,
    /// Shown when no WebSocket request was captured.
    pub captured_none: &'static str,
    /// Shown before the error when the captures could not be read.
    pub captured_failed: &'static str,
}

/// The lab's relay panel.
#[derive(Debug, PartialEq, Eq)]
pub struct RelayStrings {
    /// Relay panel title.
    pub title: &'static str,
    /// What the relay does, and why chunks are collected.
    pub explain: &'static str,
    /// Label of the text to send.
    pub input_label: &'static str,
    /// Button: send through the relay.
    pub run: &'static str,
    /// Label: connect time.
    pub connect_label: &'static str,
    /// Label: round-trip time.
    pub rtt_label: &'static str,
    /// Label: chunks received.
    pub chunks_label: &'static str,
    /// Label: negotiated subprotocol.
    pub protocol_label: &'static str,
    /// Heading of the sent bytes' dump.
    pub sent_label: &'static str,
    /// Heading of the received bytes' dump.
    pub back_label: &'static str,
    /// Verdict: identical bytes.
    pub same: &'static str,
    /// Verdict: different bytes.
    pub different: &'static str,
    /// Template with `{missing}`: bytes still expected.
    pub waiting: &'static str,
    /// Shown before the close code when the relay closed early.
    pub closed: &'static str,
    /// Shown when there is nothing to send.
    pub empty: &'static str,
}

/// The lab's "TCP vs UDP race" panel.
#[derive(Debug, PartialEq, Eq)]
pub struct RaceStrings {
    /// Race panel title.
    pub title: &'static str,
    /// How the race works and how to read the charts.
    pub explain: &'static str,
    /// Label of the packet count.
    pub packets_label: &'static str,
    /// Legend of the simulated network's controls.
    pub network_title: &'static str,
    /// Label of the loss slider.
    pub loss_label: &'static str,
    /// Label of the duplicate slider.
    pub duplicate_label: &'static str,
    /// Label of the reorder slider.
    pub reorder_label: &'static str,
    /// Label of the delay slider.
    pub delay_label: &'static str,
    /// Button: start the race.
    pub run: &'static str,
    /// Shown while the relays open.
    pub connecting: &'static str,
    /// Shown while packets are sent.
    pub sending: &'static str,
    /// Shown while waiting for stragglers.
    pub draining: &'static str,
    /// Shown before the first race.
    pub idle: &'static str,
    /// Shown before the reason when the settings are out of range.
    pub invalid: &'static str,
    /// Caption of the TCP lane.
    pub tcp_title: &'static str,
    /// Caption of the UDP lane.
    pub udp_title: &'static str,
    /// Stat label: packets received of sent.
    pub received: &'static str,
    /// Stat label: lost.
    pub lost: &'static str,
    /// Stat label: duplicated.
    pub duplicated: &'static str,
    /// Stat label: out of order.
    pub reordered: &'static str,
    /// Stat label: RTT spread.
    pub rtt: &'static str,
    /// Chart axis: arrival order.
    pub axis_x: &'static str,
    /// Chart axis: sequence number.
    pub axis_y: &'static str,
    /// Legend: arrived in order.
    pub legend_in_order: &'static str,
    /// Legend: overtaken.
    pub legend_late: &'static str,
    /// Legend: duplicate.
    pub legend_duplicate: &'static str,
    /// Legend: never arrived.
    pub legend_missing: &'static str,
    /// Shown before the close code when a lane could not connect.
    pub lane_failed: &'static str,
    /// Shown when the server runs neither echo socket.
    pub unavailable: &'static str,
    /// Caption of the WebTransport lane.
    pub wt_title: &'static str,
    /// Which hops of the TCP lane are TCP and which UDP.
    pub tcp_hops: &'static str,
    /// Which hops of the UDP lane are TCP and which UDP.
    pub udp_hops: &'static str,
    /// Which hops of the WebTransport lane are TCP and which UDP.
    pub wt_hops: &'static str,
    /// Why the WebTransport lane (or panel) cannot run: the browser.
    pub wt_no_browser: &'static str,
    /// Why it cannot run: the server has no WebTransport listener.
    pub wt_no_server: &'static str,
}

/// The lab's `nc` panel: the same sockets from a terminal.
#[derive(Debug, PartialEq, Eq)]
pub struct NcStrings {
    /// `nc` panel title.
    pub title: &'static str,
    /// What `nc` is and why it can do what a page cannot.
    pub explain: &'static str,
    /// What to do with `nc` on `tcp-chat`.
    pub chat_note: &'static str,
    /// What to do with `nc -u` on `udp-echo`.
    pub udp_note: &'static str,
    /// What to do with `nc` on `tcp-echo`.
    pub tcp_note: &'static str,
    /// Shown for a socket the server does not run.
    pub missing: &'static str,
}

/// The lab's "real clients" panel: what the relay does for the browser
/// apps people already use, one row per protocol.
#[derive(Debug, PartialEq, Eq)]
pub struct ClientsStrings {
    /// "Real clients" panel title.
    pub title: &'static str,
    /// That the relay serves other apps' pages too, and why per protocol.
    pub explain: &'static str,
    /// The VNC row (noVNC).
    pub vnc: ClientStrings,
    /// The MQTT row (MQTT.js).
    pub mqtt: ClientStrings,
    /// The SSH / terminal row (xterm.js).
    pub terminal: ClientStrings,
}

/// One protocol of the "real clients" panel.
#[derive(Debug, PartialEq, Eq)]
pub struct ClientStrings {
    /// The protocol and what it is for, e.g. "VNC (remote desktop)".
    pub protocol: &'static str,
    /// The browser clients that speak it.
    pub clients: &'static str,
    /// What the relay does for it (subprotocol, frames → bytes).
    pub relay_does: &'static str,
}
