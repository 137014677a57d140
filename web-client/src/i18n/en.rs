//! The page in English.

use super::{CompareRow, Strings};

/// Every English text on the page.
pub const STRINGS: Strings = Strings {
    tagline: "A hands-on look at network sockets (TCP/UDP) and WebSockets.",
    lang_switch_label: "Language",
    footer: "Socketlab is written in Rust: the server, and this page compiled to WebAssembly.",

    sockets_title: "A socket is an address: IP + port",
    sockets_explain: "A socket is one end of a network conversation. The operating system \
        names it by an IP address (which machine) and a port (which program on that machine). \
        A server listens on a socket and waits for clients; the table shows the real sockets \
        this server is listening on right now.",
    endpoints_caption: "This server's sockets (GET /api/info)",
    endpoints_loading: "Asking the server…",
    endpoints_failed: "Could not reach the server:",
    endpoints_instance: "Answered by instance {id} at {addr} — rooms: {rooms}",
    endpoints_rooms_local: "in this process",
    endpoints_rooms_nats: "shared across instances through NATS",
    col_name: "Name",
    col_protocol: "Protocol",
    col_addr: "IP:PORT",
    col_path: "Path",
    tcp_title: "TCP — like a phone call",
    tcp_explain: "Before any data flows, TCP sets up a connection with a three-way handshake \
        (SYN, SYN-ACK, ACK). After that, bytes arrive complete and in the order they were sent; \
        whatever gets lost is sent again. Like a phone call: you dial first, then talk, and the \
        other side hears every word in order.",
    udp_title: "UDP — like a walkie-talkie",
    udp_explain: "UDP sends independent packets called datagrams, without setting up a \
        connection first. A datagram may arrive late, out of order, twice, or not at all, and \
        the program has to cope. Like a walkie-talkie: press the button and speak, and hope \
        someone is listening.",

    ws_title: "WebSocket — an HTTP request that stays open",
    ws_explain: "A WebSocket starts as an ordinary HTTP GET request carrying the header \
        “Upgrade: websocket”. The server answers “101 Switching Protocols”, and from then on \
        the same TCP connection carries messages both ways, whenever either side likes. Like a \
        group chat room: once you are in, anyone can speak at any time without asking again.",
    conn_title: "Connection",
    conn_url_label: "WebSocket URL",
    conn_connect: "Connect",
    conn_disconnect: "Disconnect",
    conn_state_label: "readyState",
    conn_timeline_title: "Timeline (ms since Connect)",
    conn_timeline_empty: "Press Connect and watch the state change.",
    conn_closed_title: "How it closed",
    conn_close_code: "Code",
    conn_close_reason: "Reason",
    conn_close_reason_none: "(empty)",
    conn_close_meaning: "Meaning",
    conn_error_event: "The browser fired an “error” event. It never says why, on purpose: \
        otherwise a web page could use it to scan your network.",
    conn_refused: "The browser refused this URL:",

    echo_title: "Echo",
    echo_explain: "/ws/echo sends every message straight back. A text frame carries UTF-8 \
        text; a binary frame carries raw bytes, shown here in hex. The time from sending to \
        getting the echo is the round-trip time (RTT).",
    echo_placeholder: "Type a message",
    echo_send_text: "Send text",
    echo_send_binary: "Send binary",
    echo_needs_open: "Connect to /ws/echo above first.",
    echo_empty: "Round trips will be listed here.",
    echo_sent: "sent",
    echo_back: "back",
    echo_match: "✓ same",
    echo_mismatch: "✗ different",
    echo_waiting: "waiting for the echo…",
    echo_lost: "no echo: the connection closed first",
    echo_unsolicited: "(nothing was sent)",
    kind_text: "text",
    kind_binary: "binary",

    chat_title: "Chat rooms",
    chat_explain: "Every tab in a room holds its own WebSocket to /ws/chat. When you send a \
        message, the server passes it to every socket in the room (yours too), numbered with a \
        sequence number, seq. Open this page in a second tab, join the same room and talk to \
        yourself. With several server instances behind a load balancer, one room spans sockets \
        on several machines, each still just an IP and a port: the badge beside each member shows \
        which server instance their socket is connected to.",
    chat_room_label: "Room",
    chat_name_label: "Your name",
    chat_name_placeholder: "empty = a guest name",
    chat_join: "Join",
    chat_leave: "Leave",
    chat_room_rule: "A room name has 1–32 characters: a–z, 0–9, _ and -.",
    chat_name_rule: "A name has 1–24 characters and no control characters.",
    chat_connecting: "Joining…",
    chat_you: "You are {name} in room {room}.",
    chat_instance: "Your socket is on instance {id} ({addr}).",
    chat_instance_same: "same instance as you",
    chat_instance_other: "on another instance",
    chat_instance_yours: "your instance",
    chat_members_title: "In the room",
    chat_empty: "No messages yet. Say hello!",
    chat_joined: "{name} joined",
    chat_left: "{name} left",
    chat_input_placeholder: "Write a message, Enter sends",
    chat_send: "Send",
    chat_rtt_label: "Ping round trip",
    chat_rtt_waiting: "measuring…",
    chat_unreadable: "A frame the page could not read:",
    chat_closed: "Disconnected.",
    chat_send_failed: "Could not send:",

    inspect_title: "Handshake inspector",
    inspect_explain: "Read the HTTP exchange that turns into a WebSocket. The browser sends a \
        random Sec-WebSocket-Key; the server must answer with Sec-WebSocket-Accept = \
        base64(SHA-1(key + a fixed GUID)). Only a server that really speaks WebSocket does \
        that, and this page checks it by doing the same computation in WebAssembly.",
    inspect_run: "Inspect a handshake",
    inspect_idle: "Press the button: the page opens a fresh WebSocket to /ws/inspect, and the \
        server reports the handshake as it saw it.",
    inspect_waiting: "Waiting for the server's report…",
    inspect_failed: "Could not read the report:",
    inspect_request_title: "Request (browser → server)",
    inspect_response_title: "Response (server → browser)",
    inspect_computed_label: "Computed in this page (WASM)",
    inspect_server_label: "The server's sec-websocket-accept",
    inspect_match: "✓ match",
    inspect_mismatch: "✗ mismatch",
    inspect_missing: "(missing)",

    limits_title: "What a web page can open",
    limits_explain: "A web page cannot open raw TCP or UDP sockets. If it could, any site you \
        visit could talk to the printer, the router or a database on your network. Browsers \
        offer only safer, higher-level doors, each of which the server has to agree to first.",
    limits_yes: "yes",
    limits_no: "no",
    limits_websocket: "two-way messages with a server; starts as HTTP",
    limits_http: "fetch / XMLHttpRequest: one request, one response",
    limits_webrtc: "audio, video and data between browsers, with consent",
    limits_webtransport: "streams and datagrams over HTTP/3",
    limits_tcp: "raw TCP: not available to pages",
    limits_udp: "raw UDP: not available to pages",

    lab_title: "The lab: a page meets a raw socket",
    lab_explain: "Enough reading: try it. First see what this browser offers, then point a \
        WebSocket at a plain TCP port and watch it fail, then reach the same port the way a \
        page can (through a relay on the server), race TCP against UDP, and finally open the \
        raw sockets yourself from a terminal. Everything here runs live against this server.",

    feat_title: "What this browser offers",
    feat_explain: "Checked just now on this page's window object. Chrome does have raw \
        sockets, TCPSocket and UDPSocket (the Direct Sockets API), but only for Isolated Web \
        Apps: installed, signed apps with strict rules. An ordinary web page gets HTTP (fetch), \
        WebSocket, WebRTC and WebTransport, and never a raw socket.",
    feat_present: "✓ present",
    feat_absent: "✗ absent",
    feat_tcp_note: "raw TCP: Direct Sockets, Isolated Web Apps only",
    feat_udp_note: "raw UDP: Direct Sockets, Isolated Web Apps only",
    feat_ws_note: "what this page uses for everything live",

    raw_title: "Knock on a raw TCP port",
    raw_explain: "tcp-echo is a plain TCP socket on this same machine, port {port}: it sends \
        back whatever bytes it gets. The button aims new WebSocket(…) and then fetch(…) straight \
        at it, and then asks the server what that socket actually received.",
    raw_run: "Try it",
    raw_disabled: "This server does not run tcp-echo, so there is no raw TCP port to knock on.",
    raw_ws_title: "1. A WebSocket to the raw port",
    raw_fetch_title: "2. fetch() to the raw port",
    raw_captured_title: "3. What the raw socket received",
    raw_waiting: "waiting…",
    raw_error_event: "The browser fired an “error” event.",
    raw_ws_why: "The TCP connection did open, but the browser's first bytes on it were an HTTP \
        request. The echo sent that request back, which is not “101 Switching Protocols”, so the \
        browser gave up without a WebSocket ever existing.",
    raw_fetch_failed: "The promise was rejected:",
    raw_fetch_why: "What came back is the browser's own request, not an HTTP response, so fetch \
        fails too. The error says nothing more, on purpose: otherwise pages could probe your \
        network port by port.",
    raw_fetch_answered: "Unexpected: the browser accepted an answer with HTTP status",
    raw_captured_why: "This is what the raw TCP socket actually received from your browser: an \
        HTTP request, not your bytes.",
    raw_captured_plain: "And this is what fetch() sent: a plain GET, no Upgrade.",
    raw_captured_none: "tcp-echo has no WebSocket request among its recent connections.",
    raw_captured_failed: "Could not read the captures:",

    relay_title: "Through the relay",
    relay_explain: "A page cannot open that TCP socket, but the server can. /ws/relay/tcp-echo \
        is a WebSocket (subprotocol “binary”, like websockify) whose binary messages the server \
        writes to tcp-echo, and whose replies it sends back as binary messages. TCP is a byte \
        stream without message boundaries, so the page collects chunks until as many bytes came \
        back as it sent.",
    relay_input_label: "Text to send as UTF-8 bytes",
    relay_run: "Send through the relay",
    relay_connect_label: "Connect (new WebSocket → open)",
    relay_rtt_label: "Round trip",
    relay_chunks_label: "Chunks received",
    relay_protocol_label: "Subprotocol",
    relay_sent_label: "Sent",
    relay_back_label: "Came back",
    relay_same: "✓ identical bytes",
    relay_different: "✗ different bytes",
    relay_waiting: "{missing} more bytes on their way…",
    relay_closed: "The relay closed before every byte came back:",
    relay_empty: "Type something to send.",

    race_title: "TCP vs UDP race",
    race_explain: "The page sends numbered packets of 8 bytes (the number as a big-endian u32, \
        then 4 bytes of padding), one every 10 ms, to tcp-echo and to udp-echo through the \
        relay. On loopback UDP never loses anything, so udp-echo's replies pass through a \
        simulated network you control. Each chart puts the arrival order across and the \
        packet number up: a clean diagonal means every packet came once and in order.",
    race_packets_label: "Packets per transport",
    race_network_title: "Simulated network (udp-echo's replies)",
    race_loss_label: "Loss",
    race_duplicate_label: "Duplicate",
    race_reorder_label: "Reorder",
    race_delay_label: "Delay (ms)",
    race_run: "Start the race",
    race_connecting: "Opening both relays…",
    race_sending: "Sending…",
    race_draining: "All sent; waiting 1.5 s for stragglers…",
    race_idle: "Press start: both charts fill in live.",
    race_invalid: "These settings are out of range:",
    race_tcp_title: "TCP via /ws/relay/tcp-echo",
    race_udp_title: "UDP via /ws/relay/udp-echo",
    race_received: "received",
    race_lost: "lost",
    race_duplicated: "duplicated",
    race_reordered: "out of order",
    race_rtt: "RTT min / median / max",
    race_axis_x: "arrival order →",
    race_axis_y: "seq →",
    race_legend_in_order: "in order",
    race_legend_late: "overtaken",
    race_legend_duplicate: "duplicate",
    race_legend_missing: "never came",
    race_lane_failed: "This lane could not connect:",
    race_unavailable: "This server runs neither tcp-echo nor udp-echo, so there is nothing to \
        race.",

    nc_title: "Try it with nc",
    nc_explain: "nc (netcat) opens a raw TCP or UDP socket from a terminal: exactly what this \
        page cannot do. Run these on a computer that can reach this server.",
    nc_chat_note: "Answer its two questions (name, room), then type a line in nc and watch it \
        appear in the chat room above.",
    nc_udp_note: "Every line you type leaves as one datagram and comes straight back.",
    nc_tcp_note: "Every byte comes back, and your first line shows up in what “Knock on a raw \
        TCP port” above reads from the server.",
    nc_missing: "not running on this server",

    compare_title: "Network socket vs WebSocket",
    compare_explain: "The two side by side. Cells marked “measured” are filled in by what the \
        lab above found in this browser, against this server.",
    compare_socket: "Network socket (TCP/UDP)",
    compare_websocket: "WebSocket",
    compare_layer: CompareRow {
        aspect: "Layer",
        socket: "Transport (L4): TCP or UDP, an operating-system API",
        websocket: "Application (L7): ws:// or wss:// (RFC 6455), on top of TCP",
    },
    compare_who: CompareRow {
        aspect: "Who can use it",
        socket: "Any program, through the OS (e.g. Rust's std::net, or nc)",
        websocket: "Web pages, and any program with a WebSocket library",
    },
    compare_handshake: CompareRow {
        aspect: "Handshake",
        socket: "TCP: three-way (SYN, SYN-ACK, ACK), done by the OS and invisible to a page. \
            UDP: none",
        websocket: "TCP handshake, then HTTP GET with Upgrade → 101 Switching Protocols",
    },
    compare_boundaries: CompareRow {
        aspect: "Message boundaries",
        socket: "TCP: a byte stream, no boundaries. UDP: one datagram is one message",
        websocket: "Messages (text or binary frames); boundaries are kept",
    },
    compare_ordering: CompareRow {
        aspect: "Ordering",
        socket: "TCP: in order, nothing lost. UDP: no promises",
        websocket: "In order, nothing lost (it runs on TCP)",
    },
    compare_support: CompareRow {
        aspect: "Browser support",
        socket: "None for ordinary pages",
        websocket: "Every modern browser (the WebSocket API)",
    },
    compare_not_measured: "— (run the lab)",
    compare_connect_measured: "Measured: the relay WebSocket opened in {ms} ms.",
    compare_tcp_chunks_measured: "Measured on the TCP relay: messages sent {messages} → \
        chunks received {chunks}. The stream is cut wherever a read ends.",
    compare_udp_messages_measured: "Measured on the UDP relay: {datagrams} datagrams came back \
        as {messages} messages, one each.",
    compare_order_measured: "Measured in the race ({sent} packets each): out of order TCP \
        {tcp}, UDP {udp}.",
    compare_support_measured: "This browser: TCPSocket {tcp}, UDPSocket {udp}.",
    compare_ws_support_measured: "This browser: WebSocket {ws}.",
    compare_raw_measured: "A WebSocket aimed at a raw TCP port closed with {code}.",

    close_normal: "Normal closure: the conversation is over and both sides agreed.",
    close_going_away: "Going away: the server is shutting down, or the page is being left.",
    close_protocol_error: "Protocol error: one side broke the WebSocket rules.",
    close_unsupported_data: "Unsupported data: this endpoint does not accept that kind of frame.",
    close_no_status: "No status: the close frame carried no code.",
    close_abnormal: "Abnormal closure: no close frame arrived. The connection dropped, or it \
        never became a WebSocket.",
    close_invalid_payload: "Invalid data: a text frame was not valid UTF-8.",
    close_policy_violation: "Policy violation: a rule of this endpoint was broken (for example, \
        too many messages).",
    close_message_too_big: "Message too big for this endpoint.",
    close_internal_error: "Internal error: the server hit an unexpected problem.",
    close_try_again_later: "Try again later: the server is overloaded.",
    close_bad_gateway: "Bad gateway: a server in between could not reach the one behind it.",
    close_application: "A code defined by the application, not by the standard.",
    close_unknown: "A code this page does not know.",
};
