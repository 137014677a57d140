//! 한국어 페이지 (the page in Korean).

use super::lab::{
    ClientStrings, ClientsStrings, FeaturesStrings, LabStrings, NcStrings, RaceStrings, RawStrings,
    RelayStrings, WtStrings,
};
use super::strings::{
    ChatStrings, CloseStrings, CompareRow, CompareStrings, ConnectionStrings, EchoStrings,
    EndpointsStrings, InspectorStrings, LimitsStrings, PageStrings, SocketsStrings, Strings,
    WebSocketStrings,
};

/// Every Korean text on the page.
pub const STRINGS: Strings = Strings {
    page: PageStrings {
        tagline: "네트워크 소켓(TCP/UDP)과 웹소켓이 어떻게 다른지 직접 해 보며 알아봐요.",
        lang_switch_label: "언어",
        footer: "Socketlab은 Rust로 만들었어요. 서버도, WebAssembly로 컴파일된 이 페이지도요.",
        starting: "직접 해 보는 부분을 준비하는 중…",
    },

    sockets: SocketsStrings {
        title: "소켓은 주소예요: IP + 포트",
        explain: "소켓은 네트워크 대화의 한쪽 끝이에요. 운영체제는 소켓을 IP 주소(어느 \
            컴퓨터인지)와 포트 번호(그 컴퓨터의 어느 프로그램인지)로 구분해요. 서버는 소켓을 열어 \
            두고 클라이언트가 찾아오기를 기다려요. 표에 있는 것이 지금 이 서버가 실제로 열어 둔 \
            소켓들이에요.",
        tcp_title: "TCP — 전화 통화처럼",
        tcp_explain: "TCP는 데이터를 보내기 전에 3-way 핸드셰이크(SYN, SYN-ACK, ACK)로 먼저 연결을 \
            맺어요. 그다음부터는 바이트가 보낸 순서 그대로 빠짐없이 도착해요. 중간에 잃어버린 건 \
            다시 보내 주거든요. 전화처럼 먼저 번호를 눌러 연결한 뒤에 말하고, 상대는 내 말을 \
            순서대로 전부 듣게 돼요.",
        udp_title: "UDP — 무전기처럼",
        udp_explain: "UDP는 연결을 맺지 않고 데이터그램이라는 독립된 패킷을 그냥 보내요. \
            데이터그램은 늦게 오거나, 순서가 바뀌거나, 두 번 오거나, 아예 안 올 수도 있어서 \
            프로그램이 알아서 챙겨야 해요. 무전기처럼 버튼을 누르고 말하면 끝이고, 누군가 듣고 \
            있기를 바랄 뿐이에요.",
    },

    endpoints: EndpointsStrings {
        caption: "이 서버의 소켓 (GET /api/info)",
        loading: "서버에 물어보는 중…",
        failed: "서버에 연결하지 못했어요:",
        instance: "응답한 인스턴스: {id} ({addr}) — 채팅방은 {rooms}",
        rooms_local: "이 프로세스 안에만 있어요",
        rooms_nats: "NATS를 거쳐 여러 인스턴스가 함께 써요",
        col_name: "이름",
        col_protocol: "프로토콜",
        col_addr: "IP:포트",
        col_path: "경로",
        relay_caption: "릴레이 대상: 페이지는 /ws/relay/이름 으로 닿아요",
        col_protocols: "서브프로토콜",
        col_text: "텍스트 프레임",
        text_bytes: "바이트로 전달",
        text_refuse: "거부 (1003)",
        needs_token: "숨김: 토큰이 필요해요",
    },

    websocket: WebSocketStrings {
        title: "웹소켓 — 계속 열려 있는 HTTP 요청",
        explain: "웹소켓은 “Upgrade: websocket” 헤더가 붙은 평범한 HTTP GET 요청으로 시작해요. \
            서버가 “101 Switching Protocols”로 답하면, 그때부터 같은 TCP 연결로 양쪽 누구든 원할 \
            때 메시지를 보낼 수 있어요. 단체 채팅방처럼 한 번 들어가 있으면 다시 묻지 않아도 \
            언제든 말할 수 있죠.",
    },

    connection: ConnectionStrings {
        title: "연결",
        url_label: "웹소켓 URL",
        connect: "연결",
        disconnect: "연결 끊기",
        state_label: "readyState",
        timeline_title: "타임라인 (연결을 누른 뒤 ms)",
        timeline_empty: "연결 버튼을 누르고 상태가 어떻게 바뀌는지 보세요.",
        closed_title: "어떻게 닫혔나요",
        close_code: "코드",
        close_reason: "이유",
        close_reason_none: "(비어 있음)",
        close_meaning: "뜻",
        error_event: "브라우저가 “error” 이벤트를 보냈어요. 이유는 일부러 알려 주지 않아요. \
            알려 준다면 웹 페이지가 그걸로 여러분의 네트워크를 몰래 살펴볼 수 있으니까요.",
        refused: "브라우저가 이 URL을 받아 주지 않았어요:",
    },

    echo: EchoStrings {
        title: "에코",
        explain: "/ws/echo는 받은 메시지를 그대로 돌려보내요. 텍스트 프레임에는 UTF-8 글자가, \
            바이너리 프레임에는 날것의 바이트가 담겨요(여기서는 16진수로 보여 줘요). 보낸 뒤 \
            되돌아올 때까지 걸린 시간이 왕복 시간(RTT)이에요.",
        placeholder: "보낼 메시지를 입력하세요",
        send_text: "텍스트 보내기",
        send_binary: "바이너리 보내기",
        needs_open: "먼저 위에서 /ws/echo에 연결하세요.",
        empty: "주고받은 기록이 여기에 나와요.",
        sent: "보냄",
        back: "돌아옴",
        matched: "✓ 같음",
        mismatched: "✗ 다름",
        waiting: "에코를 기다리는 중…",
        lost: "돌아오지 않았어요. 그 전에 연결이 닫혔어요.",
        unsolicited: "(보낸 것 없음)",
        kind_text: "텍스트",
        kind_binary: "바이너리",
    },

    chat: ChatStrings {
        title: "채팅방",
        explain: "방에 들어간 탭은 저마다 /ws/chat으로 웹소켓을 하나씩 열어요. 메시지를 \
            보내면 서버가 같은 방의 모든 소켓에(내 소켓에도) 순번 seq를 붙여 전해 줘요. 이 \
            페이지를 탭 하나에 더 열고 같은 방에 들어가서 나 자신과 이야기해 보세요. 서버 \
            인스턴스 여러 개를 로드 밸런서 뒤에 두면 방 하나가 여러 컴퓨터의 소켓에 걸쳐 있게 돼요. \
            그래도 소켓은 저마다 IP와 포트일 뿐이에요. 이름 옆의 배지를 보면 그 사람의 소켓이 어느 \
            서버 인스턴스에 연결돼 있는지 알 수 있어요.",
        room_label: "방 이름",
        name_label: "내 이름",
        name_placeholder: "비워 두면 손님 이름",
        join: "들어가기",
        leave: "나가기",
        room_rule: "방 이름은 1–32자이고 영문 소문자 a–z, 숫자 0–9, _, - 만 쓸 수 있어요.",
        name_rule: "이름은 1–24자이고 제어 문자는 쓸 수 없어요.",
        connecting: "들어가는 중…",
        you: "{room} 방에 들어왔어요. 내 이름: {name}",
        instance: "내 소켓이 연결된 인스턴스: {id} ({addr})",
        instance_same: "나와 같은 인스턴스",
        instance_other: "다른 인스턴스에 연결됨",
        instance_yours: "내 인스턴스",
        members_title: "방에 있는 사람",
        members_more: "외 {count}명",
        members_show_more: "더 보기",
        empty: "아직 메시지가 없어요. 먼저 인사해 보세요!",
        joined: "{name} 님이 들어왔어요",
        left: "{name} 님이 나갔어요",
        input_placeholder: "메시지를 쓰고 Enter를 누르세요",
        send: "보내기",
        rtt_label: "핑 왕복 시간",
        rtt_waiting: "재는 중…",
        unreadable: "페이지가 읽지 못한 프레임:",
        closed: "연결이 끊어졌어요.",
        send_failed: "보내지 못했어요:",
    },

    inspector: InspectorStrings {
        title: "핸드셰이크 들여다보기",
        explain: "HTTP 대화가 웹소켓으로 바뀌는 순간을 직접 읽어 봐요. 브라우저는 무작위 \
            Sec-WebSocket-Key를 보내고, 서버는 Sec-WebSocket-Accept = base64(SHA-1(key + 정해진 \
            GUID))로 답해야 해요. 웹소켓을 정말 아는 서버만 이 값을 만들 수 있어요. 이 페이지도 \
            WebAssembly로 같은 계산을 해서 맞는지 확인해요.",
        run: "핸드셰이크 살펴보기",
        idle: "버튼을 누르면 /ws/inspect로 새 웹소켓을 열고, 서버가 자기가 본 \
            핸드셰이크를 알려 줘요.",
        waiting: "서버의 보고를 기다리는 중…",
        failed: "보고를 읽지 못했어요:",
        request_title: "요청 (브라우저 → 서버)",
        response_title: "응답 (서버 → 브라우저)",
        computed_label: "이 페이지에서 계산한 값 (WASM)",
        server_label: "서버가 보낸 sec-websocket-accept",
        matched: "✓ 일치",
        mismatched: "✗ 불일치",
        missing: "(없음)",
    },

    limits: LimitsStrings {
        title: "웹 페이지가 열 수 있는 것",
        explain: "웹 페이지는 날것의 TCP나 UDP 소켓을 열 수 없어요. 만약 열 수 있다면 \
            아무 사이트에 들어가기만 해도 그 사이트가 집에 있는 공유기나 프린터, 회사 \
            데이터베이스에 말을 걸 수 있겠죠. 그래서 브라우저는 서버가 먼저 동의해야 하는, 더 \
            안전한 방법만 열어 줘요.",
        yes: "가능",
        no: "불가",
        websocket: "서버와 양방향으로 메시지를 주고받아요. HTTP로 시작해요.",
        http: "fetch / XMLHttpRequest: 요청 하나에 응답 하나.",
        webrtc: "브라우저끼리 음성·영상·데이터를 주고받아요(사용자 동의 필요).",
        webtransport: "HTTP/3 위에서 스트림과 데이터그램을 써요.",
        tcp: "날것의 TCP: 웹 페이지에서는 쓸 수 없어요.",
        udp: "날것의 UDP: 웹 페이지에서는 쓸 수 없어요.",
    },

    lab: LabStrings {
        title: "실험실: 웹 페이지가 날것의 소켓을 만나면",
        explain: "읽기는 이쯤 하고 직접 해 봐요. 먼저 이 브라우저가 무엇을 주는지 확인하고, \
            웹소켓을 평범한 TCP 포트에 겨눠 실패하는 모습을 본 다음, 페이지가 쓸 수 있는 \
            방법(서버의 릴레이)으로 같은 포트에 닿아 봐요. 이어서 TCP와 UDP를 경주시키고, \
            마지막으로 터미널에서 날것의 소켓을 직접 열어 봐요. 모두 이 서버를 상대로 실제로 \
            돌아가요.",
        reported_by: "{browser} 기준 결과예요. 아래의 오류 메시지, 종료 코드, WebTransport 지원 \
            여부는 이 브라우저가 직접 내놓은 것이라 다른 브라우저에서는 다르게 나올 수 있어요.",
        this_browser: "이 브라우저",
        features: FeaturesStrings {
            title: "이 브라우저가 주는 것",
            explain: "지금 이 페이지의 window 객체에서 직접 확인한 결과예요. 크롬에도 날것의 \
                소켓인 TCPSocket과 UDPSocket(Direct Sockets API)이 있긴 하지만, 설치해서 쓰는 서명된 \
                앱인 Isolated Web App에서만 쓸 수 있어요. 평범한 웹 페이지가 받는 건 HTTP(fetch), \
                웹소켓, WebRTC, WebTransport뿐이고, 날것의 소켓은 절대 받지 못해요.",
            present: "✓ 있음",
            absent: "✗ 없음",
            checking: "… 확인 중",
            tcp_note: "날것의 TCP: Direct Sockets, Isolated Web App 전용",
            udp_note: "날것의 UDP: Direct Sockets, Isolated Web App 전용",
            ws_note: "이 페이지가 실시간 기능에 쓰는 바로 그것",
            wt_note: "UDP 위의 HTTP/3: TCP 같은 스트림과 UDP 같은 데이터그램 (아래에서 직접 해 보세요)",
        },
        raw: RawStrings {
            title: "날것의 TCP 포트 두드리기",
            explain: "tcp-echo는 같은 컴퓨터의 {port}번 포트에서 기다리는 평범한 TCP 소켓이에요. \
                받은 바이트를 그대로 돌려보내죠. 버튼을 누르면 new WebSocket(…)과 fetch(…)를 차례로 \
                이 포트에 곧장 겨누고, 그 소켓이 실제로 무엇을 받았는지 서버에 물어봐요.",
            run: "해 보기",
            disabled: "이 서버는 tcp-echo를 띄우지 않아서 두드려 볼 TCP 포트가 없어요.",
            ws_title: "1. 날것의 포트로 웹소켓 열기",
            fetch_title: "2. 날것의 포트로 fetch() 하기",
            captured_title: "3. 날것의 소켓이 받은 것",
            waiting: "기다리는 중…",
            error_event: "브라우저가 “error” 이벤트를 보냈어요.",
            ws_why: "TCP 연결 자체는 열렸어요. 그런데 브라우저가 그 위로 처음 보낸 건 HTTP \
                요청이었고, 에코 서버는 그 요청을 그대로 돌려보냈어요. 그건 “101 Switching \
                Protocols”가 아니니까 브라우저는 웹소켓을 만들어 보지도 못하고 포기했어요.",
            fetch_failed: "프라미스가 거부됐어요:",
            fetch_why: "돌아온 건 HTTP 응답이 아니라 브라우저 자신의 요청이라서 fetch도 \
                실패해요. 에러에는 일부러 아무 설명도 없어요. 설명이 있다면 웹 페이지가 여러분의 \
                네트워크를 포트마다 하나씩 떠볼 수 있으니까요.",
            fetch_answered: "뜻밖에도 브라우저가 응답을 받아들였어요. HTTP 상태:",
            captured_why: "이게 날것의 TCP 소켓이 여러분의 브라우저에게서 실제로 받은 거예요. \
                여러분이 보내려던 바이트가 아니라 HTTP 요청이죠.",
            captured_plain: "그리고 이건 fetch()가 보낸 거예요. Upgrade 없는 평범한 GET이에요.",
            captured_none: "tcp-echo의 최근 연결 중에 웹소켓 요청이 없어요.",
            captured_failed: "받은 내용을 읽지 못했어요:",
        },
        relay: RelayStrings {
            title: "릴레이를 거쳐서",
            explain: "페이지는 그 TCP 소켓을 열 수 없지만 서버는 열 수 있어요. \
                /ws/relay/tcp-echo는 웹소켓(websockify처럼 서브프로토콜 “binary”)이고, 서버는 여기로 \
                온 바이너리 메시지를 tcp-echo에 쓰고 돌아온 바이트를 다시 바이너리 메시지로 보내 \
                줘요. TCP는 메시지 경계가 없는 바이트 흐름이라서, 페이지는 보낸 만큼의 바이트가 \
                모일 때까지 조각을 이어 붙여요.",
            input_label: "UTF-8 바이트로 보낼 글",
            run: "릴레이로 보내기",
            connect_label: "연결 (new WebSocket → open)",
            rtt_label: "왕복 시간",
            chunks_label: "받은 조각 수",
            protocol_label: "서브프로토콜",
            sent_label: "보낸 것",
            back_label: "돌아온 것",
            same: "✓ 바이트가 똑같아요",
            different: "✗ 바이트가 달라요",
            waiting: "아직 {missing}바이트가 오는 중…",
            closed: "모든 바이트가 돌아오기 전에 릴레이가 닫혔어요:",
            empty: "보낼 글을 입력하세요.",
        },
        race: RaceStrings {
            title: "TCP와 UDP의 경주",
            explain: "페이지가 번호를 붙인 8바이트 패킷(번호를 빅 엔디언 u32로, 그 뒤에 채움 \
                4바이트)을 10ms마다 하나씩 릴레이를 거쳐 tcp-echo와 udp-echo로 보내요. 루프백에서는 \
                UDP도 아무것도 잃어버리지 않아서, udp-echo의 응답은 직접 조절하는 가상 네트워크를 \
                거치게 했어요. 그래프의 가로는 도착한 순서, 세로는 패킷 번호예요. 깔끔한 대각선이면 \
                모든 패킷이 한 번씩, 순서대로 왔다는 뜻이에요.",
            packets_label: "전송 방식별 패킷 수",
            network_title: "가상 네트워크 (udp-echo의 응답)",
            loss_label: "손실",
            duplicate_label: "중복",
            reorder_label: "순서 뒤바뀜",
            delay_label: "지연 (ms)",
            run: "경주 시작",
            connecting: "릴레이 두 개를 여는 중…",
            sending: "보내는 중…",
            draining: "다 보냈어요. 늦게 오는 패킷을 1.5초 기다리는 중…",
            idle: "시작을 누르면 두 그래프가 실시간으로 채워져요.",
            invalid: "설정값이 허용 범위를 벗어났어요:",
            tcp_title: "TCP (/ws/relay/tcp-echo 경유)",
            udp_title: "UDP (/ws/relay/udp-echo 경유)",
            received: "받음",
            lost: "손실",
            duplicated: "중복",
            reordered: "순서 어긋남",
            rtt: "RTT 최소 / 중앙값 / 최대",
            axis_x: "도착 순서 →",
            axis_y: "번호 →",
            legend_in_order: "순서대로",
            legend_late: "추월당함",
            legend_duplicate: "중복",
            legend_missing: "안 옴",
            lane_failed: "이 쪽은 연결하지 못했어요:",
            unavailable: "이 서버는 tcp-echo도 udp-echo도 띄우지 않아서 경주할 상대가 없어요.",
            wt_title: "UDP (WebTransport 데이터그램, /wt/relay/udp-echo 경유)",
            tcp_hops: "브라우저 → 서버: TCP(웹소켓). 서버 → tcp-echo: TCP.",
            udp_hops: "브라우저 → 서버: TCP(웹소켓). 서버 → udp-echo: UDP. 손실과 순서 뒤바뀜은 \
                흉내 낸 두 번째 구간에서만 일어나요.",
            wt_hops: "브라우저 → 서버: UDP(QUIC 데이터그램, 순서도 도착도 보장 없음). 서버 → \
                udp-echo: UDP. 가는 길 어디에도 TCP가 없어요.",
            wt_no_browser: "이 브라우저에는 WebTransport가 없어서 이 쪽은 달릴 수 없어요. 나머지 \
                둘은 그대로 돼요.",
            wt_no_server: "이 서버는 WebTransport를 띄우지 않아서(--no-webtransport) 이 쪽은 \
                달릴 수 없어요.",
        },
        wt: WtStrings {
            title: "WebTransport 세션, 실시간으로",
            explain: "WebTransport는 QUIC 위의 HTTP/3라서 UDP로 달려요. 이 서버에서는 페이지의 TCP \
                포트와 같은 번호의 UDP 포트예요(소켓은 주소, 포트, 그리고 프로토콜이에요). 실습용 \
                인증서는 스스로 서명한 것이라, 페이지가 /api/info의 SHA-256을 \
                serverCertificateHashes로 넘겨요. 버튼을 누르면 /wt/echo를 열고 데이터그램 하나와 \
                양방향 스트림 하나를 보내 각각 시간을 재요.",
            run: "세션 열기",
            session: "세션",
            ready: "준비까지",
            max_datagram: "이 브라우저가 보내는 가장 큰 데이터그램(maxDatagramSize)",
            datagram_rtt: "데이터그램 왕복",
            stream_rtt: "스트림 왕복",
            waiting: "기다리는 중…",
            failed: "세션을 열지 못했어요:",
        },
        nc: NcStrings {
            title: "nc로 직접 해 보기",
            explain: "nc(netcat)는 터미널에서 날것의 TCP나 UDP 소켓을 여는 도구예요. 바로 이 \
                페이지가 못 하는 일이죠. 이 서버에 닿을 수 있는 컴퓨터에서 실행해 보세요.",
            chat_note: "두 가지 질문(이름, 방)에 답한 뒤 nc에 한 줄을 입력하고, 위의 채팅방에 \
                그대로 나타나는 걸 보세요.",
            udp_note: "입력한 줄마다 데이터그램 하나로 나가서 곧장 돌아와요.",
            tcp_note: "보낸 바이트가 모두 돌아오고, 처음 입력한 줄은 위의 “날것의 TCP 포트 \
                두드리기”가 서버에서 읽어 온 내용에도 나타나요.",
            missing: "이 서버에서는 돌아가지 않아요",
        },
        clients: ClientsStrings {
            title: "릴레이로 쓰는 실제 클라이언트",
            explain: "릴레이는 이 페이지만을 위한 게 아니에요. 사람들이 이미 쓰는 브라우저 앱, \
                VNC 뷰어나 MQTT 대시보드, 웹 터미널도 릴레이 대상을 거쳐 자기 서버에 닿아요. \
                프로토콜마다 릴레이에 바라는 게 조금씩 달라서, 대상 URL의 옵션으로 그걸 정해 줘요.",
            vnc: ClientStrings {
                protocol: "VNC (원격 데스크톱)",
                clients: "noVNC",
                relay_does: "RFB는 바이트 프로토콜이에요. 웹소켓 메시지는 모두 바이너리이고 그대로 \
                    VNC 서버로 가며, 서버의 바이트도 같은 길로 돌아와요. noVNC 같은 websockify용 \
                    클라이언트는 서브프로토콜 binary를 요청하기도 하는데, 모든 대상이 받아 주니 \
                    websockify 설정이 그대로 동작해요.",
            },
            mqtt: ClientStrings {
                protocol: "MQTT (메시징)",
                clients: "MQTT.js, Paho",
                relay_does: "MQTT 클라이언트는 서브프로토콜 mqtt(또는 mqttv3.1)를 제안하고, \
                    핸드셰이크에서 아무것도 선택되지 않으면 포기해요. 브라우저가 연결을 실패시키죠. \
                    대상의 protocols=에 적어 두면 릴레이가 클라이언트가 제안한 것 중 허용된 첫 번째를 \
                    골라요. 허용되지 않은 것만 제안한 클라이언트는 허용 목록이 담긴 HTTP 400을 받아요.",
            },
            terminal: ClientStrings {
                protocol: "SSH / 터미널",
                clients: "xterm.js와 attach 애드온, 브라우저 속 SSH",
                relay_does: "웹 터미널은 키 입력을 하나하나 텍스트 프레임으로 보내요. text=bytes(기본값)이면 \
                    릴레이가 텍스트 프레임의 UTF-8을 바이트로 셸에 쓰고, 셸의 출력은 바이너리 프레임으로 \
                    돌아와 xterm.js가 그려요. text=refuse면 텍스트 프레임에 1003으로 닫아요. 페이지 속 \
                    SSH 클라이언트는 ssh=tcp://HOST:22 같은 대상으로 바이너리 프레임을 보내고, 암호화는 \
                    끝에서 끝까지 그대로예요.",
            },
        },
    },

    compare: CompareStrings {
        title: "네트워크 소켓 vs 웹소켓",
        explain: "둘을 나란히 놓고 비교해 봐요. “측정” 칸은 위의 실험실이 이 브라우저와 \
            이 서버에서 실제로 잰 값으로 채워져요.",
        socket: "네트워크 소켓 (TCP/UDP)",
        websocket: "웹소켓",
        webtransport: "WebTransport",
        layer: CompareRow {
            aspect: "계층",
            socket: "전송 계층(L4): TCP 또는 UDP, 운영체제가 주는 API",
            websocket: "응용 계층(L7): ws:// 또는 wss:// (RFC 6455), TCP 위에서 동작",
            webtransport: "응용 계층(L7): QUIC 위의 HTTP/3, QUIC는 UDP 위에서 동작",
        },
        who: CompareRow {
            aspect: "누가 쓸 수 있나",
            socket: "운영체제를 통해 어떤 프로그램이든 (예: Rust의 std::net, nc)",
            websocket: "웹 페이지, 그리고 웹소켓 라이브러리를 쓰는 모든 프로그램",
            webtransport: "웹 페이지(https, 또는 자체 서명 서버라면 인증서 해시), 그리고 QUIC 라이브러리를 쓰는 프로그램",
        },
        handshake: CompareRow {
            aspect: "핸드셰이크",
            socket: "TCP: 3-way(SYN, SYN-ACK, ACK). 운영체제가 처리해서 페이지에는 보이지 \
                않아요. UDP: 없음",
            websocket: "TCP 핸드셰이크 후 Upgrade가 붙은 HTTP GET → 101 Switching Protocols",
            webtransport: "QUIC 핸드셰이크(TLS 1.3이 들어 있어 왕복 한 번) 후 HTTP/3 CONNECT",
        },
        boundaries: CompareRow {
            aspect: "메시지 경계",
            socket: "TCP: 경계 없는 바이트 흐름. UDP: 데이터그램 하나가 메시지 하나",
            websocket: "메시지 단위(텍스트·바이너리 프레임), 경계가 그대로 유지돼요",
            webtransport: "데이터그램: 데이터그램 하나가 메시지 하나, 크기 제한 안에서. 스트림: TCP처럼 바이트 흐름",
        },
        ordering: CompareRow {
            aspect: "순서",
            socket: "TCP: 순서대로, 빠짐없이. UDP: 아무것도 보장하지 않아요",
            websocket: "순서대로, 빠짐없이 (TCP 위에서 돌아가니까요)",
            webtransport: "데이터그램: UDP처럼 아무것도 보장하지 않아요. 스트림 하나하나: 순서대로, 빠짐없이",
        },
        support: CompareRow {
            aspect: "브라우저 지원",
            socket: "평범한 웹 페이지에서는 없음",
            websocket: "요즘 브라우저는 모두 지원해요 (WebSocket API)",
            webtransport: "Chrome/Edge 97 이상, Firefox 114 이상, Safari 26.4 이상 (WebTransport API)",
        },
        not_measured: "— (실험실을 실행해 보세요)",
        connect_measured: "측정: 릴레이 웹소켓이 {ms}ms 만에 열렸어요.",
        tcp_chunks_measured: "TCP 릴레이에서 측정: 보낸 메시지 {messages}개 → 받은 \
            조각 {chunks}개. 바이트 흐름은 한 번 읽을 때마다 끝난 자리에서 잘려요.",
        udp_messages_measured: "UDP 릴레이에서 측정: 데이터그램 {datagrams}개가 메시지 \
            {messages}개로, 하나씩 그대로 돌아왔어요.",
        order_measured: "경주에서 측정 (각각 {sent}개): 순서 어긋남 TCP {tcp}개, UDP \
            {udp}개.",
        support_measured: "이 브라우저: TCPSocket {tcp}, UDPSocket {udp}.",
        ws_support_measured: "이 브라우저: WebSocket {ws}.",
        raw_measured: "날것의 TCP 포트에 겨눈 웹소켓은 {code} 코드로 닫혔어요.",
        wt_unavailable: "이 브라우저에서는 쓸 수 없어요.",
        wt_ready_measured: "측정: /wt/echo 세션이 {ms}ms 만에 준비됐어요.",
        wt_datagram_measured: "데이터그램 왕복: {ms}ms.",
        wt_stream_measured: "스트림 왕복: {ms}ms.",
        wt_size_measured: "측정: 이 브라우저는 데이터그램을 {bytes}바이트까지 보내요. \
            더 큰 메시지는 페이지가 나눠 보내야 해요.",
        wt_order_measured: "경주의 데이터그램 레인에서 측정 ({sent}개 보냄): 손실 {lost}개, \
            순서 어긋남 {reordered}개, 중복 {duplicated}개.",
        wt_support_measured: "이 브라우저: WebTransport {wt}.",
    },

    close: CloseStrings {
        normal: "정상 종료: 대화가 끝났고 양쪽 모두 동의했어요.",
        going_away: "떠남: 서버가 꺼지는 중이거나 페이지를 떠나는 중이에요.",
        protocol_error: "프로토콜 오류: 한쪽이 웹소켓 규칙을 어겼어요.",
        unsupported_data: "지원하지 않는 데이터: 이 엔드포인트가 받지 않는 종류의 \
            프레임이에요.",
        no_status: "코드 없음: 닫기 프레임에 상태 코드가 들어 있지 않았어요.",
        abnormal: "비정상 종료: 닫기 프레임이 오지 않았어요. 연결이 갑자기 끊겼거나, \
            처음부터 웹소켓이 되지 못했어요.",
        invalid_payload: "잘못된 데이터: 텍스트 프레임이 올바른 UTF-8이 아니었어요.",
        policy_violation: "정책 위반: 이 엔드포인트의 규칙을 어겼어요(예: 메시지를 너무 \
            많이 보냄).",
        message_too_big: "메시지가 너무 커서 이 엔드포인트가 받을 수 없어요.",
        internal_error: "내부 오류: 서버에 예상하지 못한 문제가 생겼어요.",
        try_again_later: "나중에 다시: 지금은 서버가 너무 바빠요.",
        bad_gateway: "게이트웨이 오류: 중간 서버가 뒤에 있는 서버에 닿지 못했어요.",
        application: "표준이 아니라 애플리케이션이 정한 코드예요.",
        unknown: "이 페이지가 모르는 코드예요.",
    },
};

/// Shown only with JavaScript off, at the foot of the window: the page
/// reads, the live parts need JavaScript. Only the prerendered HTML has it
/// (`crate::prerender`), so it costs the WebAssembly nothing.
#[cfg(feature = "ssr")]
pub const NOSCRIPT: &str =
    "JavaScript가 꺼져 있어서 이 페이지는 읽기만 할 수 있어요. 직접 해 보는 부분(소켓, \
    채팅, 핸드셰이크 보기, 실험실)은 JavaScript와 WebAssembly가 있어야 동작해요.";
