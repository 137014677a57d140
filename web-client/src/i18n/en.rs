//! The page in English.

use super::lab::{
    ClientStrings, ClientsStrings, FeaturesStrings, LabStrings, NcStrings, RaceStrings, RawStrings,
    RelayStrings, WtStrings,
};
use super::strings::{
    ChatStrings, CloseStrings, CompareRow, CompareStrings, ConnectionStrings, EchoStrings,
    EndpointsStrings, InspectorStrings, LimitsStrings, PageStrings, SocketsStrings, Strings,
    WebSocketStrings,
};

/// Every English text on the page.
pub const STRINGS: Strings = Strings {
    page: PageStrings {
        tagline: "A hands-on look at network sockets (TCP/UDP) and WebSockets.",
        lang_switch_label: "Language",
        footer: "Socketlab is written in Rust: the server, and this page compiled to WebAssembly.",
        starting: "Starting the live parts…",
    },

    sockets: SocketsStrings {
        title: "A socket is an address: IP + port",
        explain: "A socket is one end of a network conversation. The operating system \
            names it by an IP address (which machine) and a port (which program on that machine). \
            A server listens on a socket and waits for clients; the table shows the real sockets \
            this server is listening on right now.",
        tcp_title: "TCP — like a phone call",
        tcp_explain: "Before any data flows, TCP sets up a connection with a three-way handshake \
            (SYN, SYN-ACK, ACK). After that, bytes arrive complete and in the order they were \
            sent; whatever gets lost is sent again. Like a phone call: you dial first, then talk, \
            and the other side hears every word in order.",
        udp_title: "UDP — like a walkie-talkie",
        udp_explain: "UDP sends independent packets called datagrams, without setting up a \
            connection first. A datagram may arrive late, out of order, twice, or not at all, and \
            the program has to cope. Like a walkie-talkie: press the button and speak, and hope \
            someone is listening.",
    },

    endpoints: EndpointsStrings {
        caption: "This server's sockets (GET /api/info)",
        loading: "Asking the server…",
        failed: "Could not reach the server:",
        instance: "Answered by instance {id} at {addr} — rooms: {rooms}",
        rooms_local: "in this process",
        rooms_nats: "shared across instances through NATS",
        col_name: "Name",
        col_protocol: "Protocol",
        col_addr: "IP:PORT",
        col_path: "Path",
        relay_caption: "Relay targets: a page reaches them at /ws/relay/NAME",
        col_protocols: "Subprotocols",
        col_text: "Text frames",
        text_bytes: "relayed as bytes",
        text_refuse: "refused (1003)",
        needs_token: "hidden: needs a token",
    },

    websocket: WebSocketStrings {
        title: "WebSocket — an HTTP request that stays open",
        explain: "A WebSocket starts as an ordinary HTTP GET request carrying the header \
            “Upgrade: websocket”. The server answers “101 Switching Protocols”, and from then on \
            the same TCP connection carries messages both ways, whenever either side likes. Like a \
            group chat room: once you are in, anyone can speak at any time without asking again.",
    },

    connection: ConnectionStrings {
        title: "Connection",
        url_label: "WebSocket URL",
        connect: "Connect",
        disconnect: "Disconnect",
        state_label: "readyState",
        timeline_title: "Timeline (ms since Connect)",
        timeline_empty: "Press Connect and watch the state change.",
        closed_title: "How it closed",
        close_code: "Code",
        close_reason: "Reason",
        close_reason_none: "(empty)",
        close_meaning: "Meaning",
        error_event: "The browser fired an “error” event. It never says why, on purpose: \
            otherwise a web page could use it to scan your network.",
        refused: "The browser refused this URL:",
    },

    echo: EchoStrings {
        title: "Echo",
        explain: "/ws/echo sends every message straight back. A text frame carries UTF-8 \
            text; a binary frame carries raw bytes, shown here in hex. The time from sending to \
            getting the echo is the round-trip time (RTT).",
        placeholder: "Type a message",
        send_text: "Send text",
        send_binary: "Send binary",
        needs_open: "Connect to /ws/echo above first.",
        empty: "Round trips will be listed here.",
        sent: "sent",
        back: "back",
        matched: "✓ same",
        mismatched: "✗ different",
        waiting: "waiting for the echo…",
        lost: "no echo: the connection closed first",
        unsolicited: "(nothing was sent)",
        kind_text: "text",
        kind_binary: "binary",
    },

    chat: ChatStrings {
        title: "Chat rooms",
        explain: "Every tab in a room holds its own WebSocket to /ws/chat. When you send a \
            message, the server passes it to every socket in the room (yours too), numbered with a \
            sequence number, seq. Open this page in a second tab, join the same room and talk to \
            yourself. With several server instances behind a load balancer, one room spans sockets \
            on several machines, each still just an IP and a port: the badge beside each member \
            shows which server instance their socket is connected to.",
        room_label: "Room",
        name_label: "Your name",
        name_placeholder: "empty = a guest name",
        join: "Join",
        leave: "Leave",
        room_rule: "A room name has 1–32 characters: a–z, 0–9, _ and -.",
        name_rule: "A name has 1–24 characters and no control characters.",
        connecting: "Joining…",
        you: "You are {name} in room {room}.",
        instance: "Your socket is on instance {id} ({addr}).",
        instance_same: "same instance as you",
        instance_other: "on another instance",
        instance_yours: "your instance",
        members_title: "In the room",
        members_more: "and {count} more",
        members_show_more: "Show more",
        empty: "No messages yet. Say hello!",
        joined: "{name} joined",
        left: "{name} left",
        input_placeholder: "Write a message, Enter sends",
        send: "Send",
        rtt_label: "Ping round trip",
        rtt_waiting: "measuring…",
        unreadable: "A frame the page could not read:",
        closed: "Disconnected.",
        send_failed: "Could not send:",
    },

    inspector: InspectorStrings {
        title: "Handshake inspector",
        explain: "Read the HTTP exchange that turns into a WebSocket. The browser sends a \
            random Sec-WebSocket-Key; the server must answer with Sec-WebSocket-Accept = \
            base64(SHA-1(key + a fixed GUID)). Only a server that really speaks WebSocket does \
            that, and this page checks it by doing the same computation in WebAssembly.",
        run: "Inspect a handshake",
        idle: "Press the button: the page opens a fresh WebSocket to /ws/inspect, and the \
            server reports the handshake as it saw it.",
        waiting: "Waiting for the server's report…",
        failed: "Could not read the report:",
        request_title: "Request (browser → server)",
        response_title: "Response (server → browser)",
        computed_label: "Computed in this page (WASM)",
        server_label: "The server's sec-websocket-accept",
        matched: "✓ match",
        mismatched: "✗ mismatch",
        missing: "(missing)",
    },

    limits: LimitsStrings {
        title: "What a web page can open",
        explain: "A web page cannot open raw TCP or UDP sockets. If it could, any site you \
            visit could talk to the printer, the router or a database on your network. Browsers \
            offer only safer, higher-level doors, each of which the server has to agree to first.",
        yes: "yes",
        no: "no",
        websocket: "two-way messages with a server; starts as HTTP",
        http: "fetch / XMLHttpRequest: one request, one response",
        webrtc: "audio, video and data between browsers, with consent",
        webtransport: "streams and datagrams over HTTP/3",
        tcp: "raw TCP: not available to pages",
        udp: "raw UDP: not available to pages",
    },

    lab: LabStrings {
        title: "The lab: a page meets a raw socket",
        explain: "Enough reading: try it. First see what this browser offers, then point a \
            WebSocket at a plain TCP port and watch it fail, then reach the same port the way a \
            page can (through a relay on the server), race TCP against UDP, and finally open the \
            raw sockets yourself from a terminal. Everything here runs live against this server.",
        reported_by: "Reported by {browser}: the error messages, close codes and WebTransport \
            support below are this browser's own, and another browser may answer differently.",
        this_browser: "this browser",
        features: FeaturesStrings {
            title: "What this browser offers",
            explain:
                "Checked just now on this page's window object. Chrome does have raw sockets, \
                TCPSocket and UDPSocket (the Direct Sockets API), but only for Isolated Web Apps: \
                installed, signed apps with strict rules. An ordinary web page gets HTTP (fetch), \
                WebSocket, WebRTC and WebTransport, and never a raw socket.",
            present: "✓ present",
            absent: "✗ absent",
            checking: "… checking",
            tcp_note: "raw TCP: Direct Sockets, Isolated Web Apps only",
            udp_note: "raw UDP: Direct Sockets, Isolated Web Apps only",
            ws_note: "what this page uses for everything live",
            wt_note: "HTTP/3 on UDP: streams like TCP, datagrams like UDP (try it below)",
        },
        raw: RawStrings {
            title: "Knock on a raw TCP port",
            explain: "tcp-echo is a plain TCP socket on this same machine, port {port}: it sends \
                back whatever bytes it gets. The button aims new WebSocket(…) and then fetch(…) \
                straight at it, and then asks the server what that socket actually received.",
            run: "Try it",
            disabled: "This server does not run tcp-echo, so there is no raw TCP port to knock on.",
            ws_title: "1. A WebSocket to the raw port",
            fetch_title: "2. fetch() to the raw port",
            captured_title: "3. What the raw socket received",
            waiting: "waiting…",
            error_event: "The browser fired an “error” event.",
            ws_why:
                "The TCP connection did open, but the browser's first bytes on it were an HTTP \
                request. The echo sent that request back, which is not “101 Switching Protocols”, \
                so the browser gave up without a WebSocket ever existing.",
            fetch_failed: "The promise was rejected:",
            fetch_why: "What came back is the browser's own request, not an HTTP response, so \
                fetch fails too. The error says nothing more, on purpose: otherwise pages could \
                probe your network port by port.",
            fetch_answered: "Unexpected: the browser accepted an answer with HTTP status",
            captured_why:
                "This is what the raw TCP socket actually received from your browser: an \
                HTTP request, not your bytes.",
            captured_plain: "And this is what fetch() sent: a plain GET, no Upgrade.",
            captured_none: "tcp-echo has no WebSocket request among its recent connections.",
            captured_failed: "Could not read the captures:",
        },
        relay: RelayStrings {
            title: "Through the relay",
            explain: "A page cannot open that TCP socket, but the server can. /ws/relay/tcp-echo \
                is a WebSocket (subprotocol “binary”, like websockify) whose binary messages the \
                server writes to tcp-echo, and whose replies it sends back as binary messages. TCP \
                is a byte stream without message boundaries, so the page collects chunks until as \
                many bytes came back as it sent.",
            input_label: "Text to send as UTF-8 bytes",
            run: "Send through the relay",
            connect_label: "Connect (new WebSocket → open)",
            rtt_label: "Round trip",
            chunks_label: "Chunks received",
            protocol_label: "Subprotocol",
            sent_label: "Sent",
            back_label: "Came back",
            same: "✓ identical bytes",
            different: "✗ different bytes",
            waiting: "{missing} more bytes on their way…",
            closed: "The relay closed before every byte came back:",
            empty: "Type something to send.",
        },
        race: RaceStrings {
            title: "TCP vs UDP race",
            explain: "The page sends numbered packets of 8 bytes (the number as a big-endian u32, \
                then 4 bytes of padding), one every 10 ms, to tcp-echo and to udp-echo through the \
                relay. On loopback UDP never loses anything, so udp-echo's replies pass through a \
                simulated network you control. Each chart puts the arrival order across and the \
                packet number up: a clean diagonal means every packet came once and in order.",
            packets_label: "Packets per transport",
            network_title: "Simulated network (udp-echo's replies)",
            loss_label: "Loss",
            duplicate_label: "Duplicate",
            reorder_label: "Reorder",
            delay_label: "Delay (ms)",
            run: "Start the race",
            connecting: "Opening both relays…",
            sending: "Sending…",
            draining: "All sent; waiting 1.5 s for stragglers…",
            idle: "Press start: both charts fill in live.",
            invalid: "These settings are out of range:",
            tcp_title: "TCP via /ws/relay/tcp-echo",
            udp_title: "UDP via /ws/relay/udp-echo",
            received: "received",
            lost: "lost",
            duplicated: "duplicated",
            reordered: "out of order",
            rtt: "RTT min / median / max",
            axis_x: "arrival order →",
            axis_y: "seq →",
            legend_in_order: "in order",
            legend_late: "overtaken",
            legend_duplicate: "duplicate",
            legend_missing: "never came",
            lane_failed: "This lane could not connect:",
            unavailable: "This server runs neither tcp-echo nor udp-echo, so there is nothing to \
                race.",
            wt_title: "UDP via WebTransport datagrams, /wt/relay/udp-echo",
            tcp_hops: "Browser → server: TCP (a WebSocket). Server → tcp-echo: TCP.",
            udp_hops: "Browser → server: TCP (a WebSocket). Server → udp-echo: UDP. Loss and \
                reordering can only happen on the simulated second hop.",
            wt_hops: "Browser → server: UDP (QUIC datagrams, unordered and unreliable). Server → \
                udp-echo: UDP. No TCP anywhere on the way.",
            wt_no_browser: "This browser has no WebTransport, so this lane cannot run; the other \
                two work as before.",
            wt_no_server: "This server runs no WebTransport listener (--no-webtransport), so \
                this lane cannot run.",
        },
        wt: WtStrings {
            title: "A WebTransport session, live",
            explain: "WebTransport is HTTP/3 on QUIC, so it runs on UDP: on this server, the UDP \
                port with the same number as the page's TCP port (a socket is an address, a port \
                and a protocol). The lab's certificate is self-signed, so the page passes its \
                SHA-256 from /api/info as serverCertificateHashes. The button opens /wt/echo, \
                sends one datagram and one bidirectional stream, and times both.",
            run: "Open a session",
            session: "session",
            ready: "ready after",
            max_datagram: "largest datagram this browser sends (maxDatagramSize)",
            datagram_rtt: "datagram round trip",
            stream_rtt: "stream round trip",
            waiting: "waiting…",
            failed: "The session failed:",
        },
        nc: NcStrings {
            title: "Try it with nc",
            explain:
                "nc (netcat) opens a raw TCP or UDP socket from a terminal: exactly what this \
                page cannot do. Run these on a computer that can reach this server.",
            chat_note:
                "Answer its two questions (name, room), then type a line in nc and watch it \
                appear in the chat room above.",
            udp_note: "Every line you type leaves as one datagram and comes straight back.",
            tcp_note:
                "Every byte comes back, and your first line shows up in what “Knock on a raw \
                TCP port” above reads from the server.",
            missing: "not running on this server",
        },
        clients: ClientsStrings {
            title: "Real clients through the relay",
            explain: "The relay is not only for this page. Browser apps people already use, a VNC \
                viewer, an MQTT dashboard, a web terminal, reach their servers through a relay \
                target too. Each protocol wants something a little different from the relay, and \
                the target's options in its URL say what.",
            vnc: ClientStrings {
                protocol: "VNC (remote desktop)",
                clients: "noVNC",
                relay_does:
                    "RFB is a byte protocol: every WebSocket message is binary and goes to \
                    the VNC server as it is, and the server's bytes come back the same way. noVNC \
                    and other websockify clients may ask for the subprotocol binary; every target \
                    accepts it, so a websockify setup works unchanged.",
            },
            mqtt: ClientStrings {
                protocol: "MQTT (messaging)",
                clients: "MQTT.js, Paho",
                relay_does:
                    "MQTT clients offer the subprotocol mqtt (or mqttv3.1) and give up when \
                    the handshake selects none: the browser fails the connection. List them in the \
                    target's protocols= and the relay selects the first one the client offers; a \
                    client offering only others gets HTTP 400 naming the allowed ones.",
            },
            terminal: ClientStrings {
                protocol: "SSH / terminal",
                clients: "xterm.js with its attach addon, SSH in the browser",
                relay_does:
                    "A web terminal sends every keystroke as a text frame. With text=bytes \
                    (the default) the relay writes each text frame's UTF-8 to the shell as bytes, \
                    and the shell's output comes back as binary frames for xterm.js to draw; \
                    text=refuse closes on text frames with 1003 instead. An SSH client in the page \
                    sends binary frames to a target like ssh=tcp://HOST:22, encrypted end to end.",
            },
        },
    },

    compare: CompareStrings {
        title: "Network socket vs WebSocket",
        explain: "The two side by side. Cells marked “measured” are filled in by what the \
            lab above found in this browser, against this server.",
        socket: "Network socket (TCP/UDP)",
        websocket: "WebSocket",
        webtransport: "WebTransport",
        layer: CompareRow {
            aspect: "Layer",
            socket: "Transport (L4): TCP or UDP, an operating-system API",
            websocket: "Application (L7): ws:// or wss:// (RFC 6455), on top of TCP",
            webtransport: "Application (L7): HTTP/3 over QUIC, which runs on UDP",
        },
        who: CompareRow {
            aspect: "Who can use it",
            socket: "Any program, through the OS (e.g. Rust's std::net, or nc)",
            websocket: "Web pages, and any program with a WebSocket library",
            webtransport: "Web pages (https, or a certificate hash for a self-signed server), and programs with a QUIC library",
        },
        handshake: CompareRow {
            aspect: "Handshake",
            socket: "TCP: three-way (SYN, SYN-ACK, ACK), done by the OS and invisible to a page. \
                UDP: none",
            websocket: "TCP handshake, then HTTP GET with Upgrade → 101 Switching Protocols",
            webtransport: "QUIC handshake (TLS 1.3 built in, one round trip), then an HTTP/3 CONNECT",
        },
        boundaries: CompareRow {
            aspect: "Message boundaries",
            socket: "TCP: a byte stream, no boundaries. UDP: one datagram is one message",
            websocket: "Messages (text or binary frames); boundaries are kept",
            webtransport: "Datagrams: one datagram is one message, up to a size limit. Streams: byte streams, like TCP",
        },
        ordering: CompareRow {
            aspect: "Ordering",
            socket: "TCP: in order, nothing lost. UDP: no promises",
            websocket: "In order, nothing lost (it runs on TCP)",
            webtransport: "Datagrams: no promises, like UDP. Each stream: in order, nothing lost",
        },
        support: CompareRow {
            aspect: "Browser support",
            socket: "None for ordinary pages",
            websocket: "Every modern browser (the WebSocket API)",
            webtransport: "Chrome/Edge 97+, Firefox 114+, Safari 26.4+ (the WebTransport API)",
        },
        not_measured: "— (run the lab)",
        connect_measured: "Measured: the relay WebSocket opened in {ms} ms.",
        tcp_chunks_measured: "Measured on the TCP relay: messages sent {messages} → \
            chunks received {chunks}. The stream is cut wherever a read ends.",
        udp_messages_measured: "Measured on the UDP relay: {datagrams} datagrams came back \
            as {messages} messages, one each.",
        order_measured: "Measured in the race ({sent} packets each): out of order TCP \
            {tcp}, UDP {udp}.",
        support_measured: "This browser: TCPSocket {tcp}, UDPSocket {udp}.",
        ws_support_measured: "This browser: WebSocket {ws}.",
        raw_measured: "A WebSocket aimed at a raw TCP port closed with {code}.",
        wt_unavailable: "Not available in this browser.",
        wt_ready_measured: "Measured: the session to /wt/echo was ready in {ms} ms.",
        wt_datagram_measured: "A datagram's round trip: {ms} ms.",
        wt_stream_measured: "A stream's round trip: {ms} ms.",
        wt_size_measured: "Measured: this browser sends datagrams of up to {bytes} bytes; \
            a larger message must be split by the page.",
        wt_order_measured: "Measured in the race's datagram lane ({sent} sent): lost {lost}, \
            out of order {reordered}, duplicated {duplicated}.",
        wt_support_measured: "This browser: WebTransport {wt}.",
    },

    close: CloseStrings {
        normal: "Normal closure: the conversation is over and both sides agreed.",
        going_away: "Going away: the server is shutting down, or the page is being left.",
        protocol_error: "Protocol error: one side broke the WebSocket rules.",
        unsupported_data: "Unsupported data: this endpoint does not accept that kind of frame.",
        no_status: "No status: the close frame carried no code.",
        abnormal: "Abnormal closure: no close frame arrived. The connection dropped, or it \
            never became a WebSocket.",
        invalid_payload: "Invalid data: a text frame was not valid UTF-8.",
        policy_violation: "Policy violation: a rule of this endpoint was broken (for example, \
            too many messages).",
        message_too_big: "Message too big for this endpoint.",
        internal_error: "Internal error: the server hit an unexpected problem.",
        try_again_later: "Try again later: the server is overloaded.",
        bad_gateway: "Bad gateway: a server in between could not reach the one behind it.",
        application: "A code defined by the application, not by the standard.",
        unknown: "A code this page does not know.",
    },
};

/// Shown only with JavaScript off, at the foot of the window: the page
/// reads, the live parts need JavaScript. Only the prerendered HTML has it
/// (`crate::prerender`), so it costs the WebAssembly nothing.
#[cfg(feature = "ssr")]
pub const NOSCRIPT: &str =
    "JavaScript is off, so this page is a document only: the live parts (sockets, \
    chat, inspector and lab) need JavaScript and WebAssembly.";
