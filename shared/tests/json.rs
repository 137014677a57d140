//! The page reads messages with `socketlab_shared::json`, the server writes
//! them with serde_json: these tests check the two agree, for every message
//! type, on what the server sends and on hostile or broken input.

use std::collections::BTreeMap;

use proptest::prelude::*;
use socketlab_shared::{
    ChatMessage, ClientMessage, DisplayName, EndpointInfo, ErrorCode, HandshakeReport,
    HttpRequestHead, HttpResponseHead, InstanceInfo, RelayTargetInfo, RoomName, ServerInfo,
    ServerMessage, TargetKind, TcpCapture, TextMode, WebTransportInfo,
};

fn name(s: &str) -> DisplayName {
    DisplayName::parse(s).unwrap()
}

fn room(s: &str) -> RoomName {
    RoomName::parse(s).unwrap()
}

fn chat_message(text: &str) -> ChatMessage {
    ChatMessage {
        room: room("lobby"),
        from: name("김철수"),
        text: text.into(),
        seq: u64::MAX,
        ts_ms: 1_764_160_000_000,
    }
}

fn instance() -> InstanceInfo {
    InstanceInfo {
        id: "a1".into(),
        listen: "[::1]:8080".into(),
        bus: "nats".into(),
    }
}

/// One of each message, with optional parts present and absent.
fn every_variant() -> Vec<ServerMessage> {
    let mut messages = vec![
        ServerMessage::Welcome {
            you: name("ada-2"),
            room: room("lobby"),
            members: vec![name("ada-2"), name("bob")],
            count: 2,
            history: vec![
                chat_message("hi"),
                chat_message("two\nlines \"quoted\" \u{1b}"),
            ],
            instance: Some(instance()),
            member_instances: BTreeMap::from([
                (name("ada-2"), "a1".to_owned()),
                (name("bob"), "b2".to_owned()),
            ]),
        },
        ServerMessage::Welcome {
            you: name("guest-1"),
            room: room("r_1-2"),
            members: vec![],
            count: 0,
            history: vec![],
            instance: None,
            member_instances: BTreeMap::new(),
        },
        ServerMessage::Message(chat_message("안녕 😀 \\ / \u{0}")),
        ServerMessage::Joined {
            name: name("cy"),
            instance: Some("c3".into()),
        },
        ServerMessage::Joined {
            name: name("cy"),
            instance: None,
        },
        ServerMessage::Left { name: name("bob") },
        ServerMessage::Presence {
            joined: vec![name("cy"), name("김")],
            left: vec![name("bob")],
            count: 12,
            member_instances: BTreeMap::from([
                (name("cy"), "sl-a".to_owned()),
                (name("김"), "sl-b".to_owned()),
            ]),
        },
        ServerMessage::Presence {
            joined: vec![],
            left: vec![],
            count: 10_000,
            member_instances: BTreeMap::new(),
        },
        ServerMessage::Members {
            members: vec![name("ada-2"), name("bob")],
            next: Some(name("bob")),
            count: 250,
            member_instances: BTreeMap::from([
                (name("ada-2"), "sl-b".to_owned()),
                (name("bob"), "sl-a".to_owned()),
            ]),
        },
        ServerMessage::Members {
            members: vec![],
            next: None,
            count: 0,
            member_instances: BTreeMap::new(),
        },
        ServerMessage::Pong { id: 0 },
        ServerMessage::Pong { id: u64::MAX },
        ServerMessage::Handshake(HandshakeReport {
            request: HttpRequestHead {
                method: "GET".into(),
                path: "/ws/inspect?x=1&y=%20".into(),
                version: "HTTP/1.1".into(),
                headers: vec![
                    ("host".into(), "127.0.0.1:8080".into()),
                    (
                        "sec-websocket-key".into(),
                        "dGhlIHNhbXBsZSBub25jZQ==".into(),
                    ),
                ],
            },
            response: HttpResponseHead {
                status: 101,
                headers: vec![("upgrade".into(), "websocket".into())],
            },
        }),
    ];
    messages.extend(ErrorCode::ALL.map(|code| ServerMessage::Error {
        code,
        message: format!("bad {}", code.as_str()),
    }));
    messages
}

/// Both readers give the same answer: the same message, or both refuse.
fn assert_agree(frame: &str) {
    let ours = ServerMessage::from_json(frame);
    let theirs = ServerMessage::parse(frame);
    assert_eq!(
        ours.as_ref().ok(),
        theirs.as_ref().ok(),
        "{frame}\nours: {ours:?}\nserde_json: {theirs:?}"
    );
}

#[test]
fn every_variant_reads_back_as_serde_json_wrote_it() {
    for message in every_variant() {
        let frame = message.to_json();
        assert_eq!(ServerMessage::from_json(&frame), Ok(message), "{frame}");
        assert_agree(&frame);
        // Pretty-printed, with the fields in another order.
        let value: serde_json::Value = serde_json::from_str(&frame).unwrap();
        assert_agree(&serde_json::to_string_pretty(&value).unwrap());
    }
}

#[test]
fn error_codes_are_all_listed() {
    // Adding a variant without listing it in ALL fails to compile here.
    let position = |code: ErrorCode| match code {
        ErrorCode::BadJson => 0,
        ErrorCode::MissingType => 1,
        ErrorCode::UnknownType => 2,
        ErrorCode::BadField => 3,
        ErrorCode::EmptyText => 4,
        ErrorCode::TextTooLong => 5,
        ErrorCode::InvalidText => 6,
        ErrorCode::BinaryNotSupported => 7,
        ErrorCode::RateLimited => 8,
        ErrorCode::Unavailable => 9,
    };
    for (index, code) in ErrorCode::ALL.into_iter().enumerate() {
        assert_eq!(position(code), index);
    }
}

#[test]
fn broken_and_hostile_frames_are_judged_alike() {
    for frame in [
        "",
        "null",
        "[]",
        r#"{}"#,
        r#"{"type":"pong"}"#,
        r#"{"type":"pong","id":7,"extra":[1,{"a":null}]}"#,
        r#"{"type":"pong","id":7,"extra":1,"extra":2}"#,
        r#"{"type":"pong","id":7,"id":8}"#,
        r#"{"type":"pong","type":"pong","id":7}"#,
        r#"{"type":"pong","id":-1}"#,
        r#"{"type":"pong","id":-0}"#,
        r#"{"type":"pong","id":1.0}"#,
        r#"{"type":"pong","id":1e2}"#,
        r#"{"type":"pong","id":"7"}"#,
        r#"{"type":"pong","id":18446744073709551616}"#,
        r#"{"type":"pong","id":null}"#,
        r#"{"type":5,"id":7}"#,
        r#"{"type":"Pong","id":7}"#,
        r#"{"type":"shout"}"#,
        r#"{"type":"left","name":"  bob  "}"#,
        r#"{"type":"left","name":"   "}"#,
        r#"{"type":"left","name":"a\u0007"}"#,
        r#"{"type":"left","name":"evil\u202egnp"}"#,
        r#"{"type":"left","name":"ok\ud83d\ude00"}"#,
        r#"{"type":"left","name":"x\ud83d"}"#,
        r#"{"type":"left","name":"aaaaaaaaaaaaaaaaaaaaaaaaa"}"#,
        r#"{"type":"joined","name":"cy","instance":null}"#,
        r#"{"type":"joined","name":"cy","instance":3}"#,
        r#"{"type":"error","code":"bad_json","message":"x"}"#,
        r#"{"type":"error","code":"BadJson","message":"x"}"#,
        r#"{"type":"error","code":"nope","message":"x"}"#,
        r#"{"type":"message","room":"Lobby","from":"a","text":"t","seq":1,"ts_ms":2}"#,
        r#"{"type":"message","room":"lobby","from":"a","text":"t","seq":1}"#,
        r#"{"type":"message","room":"lobby","from":"a","text":"t\u0000","seq":1,"ts_ms":2}"#,
        r#"{"type":"welcome","you":"a","room":"r","members":["a"],"history":[]}"#,
        r#"{"type":"welcome","you":"a","room":"r","members":["a"],"history":[],"instance":null}"#,
        r#"{"type":"welcome","you":"a","room":"r","members":["a"],"history":[],"member_instances":null}"#,
        r#"{"type":"welcome","you":"a","room":"r","members":["a"],"history":[],"member_instances":{}}"#,
        r#"{"type":"welcome","you":"a","room":"r","members":["a"],"history":[],"member_instances":{"a":"1"," a ":"2"}}"#,
        r#"{"type":"welcome","you":"a","room":"r","members":["a"],"history":[],"member_instances":{"":"1"}}"#,
        r#"{"type":"welcome","you":"a","room":"r","members":["a"],"history":[],"member_instances":{"a":1}}"#,
        r#"{"type":"welcome","you":"a","room":"r","members":"a","history":[]}"#,
        r#"{"type":"members","members":["a"],"count":1,"member_instances":{"a":1}}"#,
        r#"{"type":"members","members":["a"],"count":1,"member_instances":{"":"1"}}"#,
        r#"{"type":"welcome","you":"a","room":"r","members":[null],"history":[]}"#,
        r#"{"type":"welcome","you":"a","room":"r","members":["a"],"history":[],"instance":{"id":"i","listen":"l"}}"#,
        r#"{"type":"handshake","request":{"method":"GET","path":"/","version":"HTTP/1.1","headers":[["a","b"]]},"response":{"status":101,"headers":[]}}"#,
        r#"{"type":"handshake","request":{"method":"GET","path":"/","version":"HTTP/1.1","headers":[["a"]]},"response":{"status":101,"headers":[]}}"#,
        r#"{"type":"handshake","request":{"method":"GET","path":"/","version":"HTTP/1.1","headers":[["a","b","c"]]},"response":{"status":101,"headers":[]}}"#,
        r#"{"type":"handshake","request":{"method":"GET","path":"/","version":"HTTP/1.1","headers":[]},"response":{"status":65536,"headers":[]}}"#,
        r#"{"type":"pong","id":7} "#,
        r#" {"type":"pong","id":7}x"#,
    ] {
        assert_agree(frame);
    }
}

#[test]
fn server_info_and_captures_read_as_serde_json_reads_them() {
    let info = ServerInfo {
        name: "socketlab".into(),
        version: "0.1.0".into(),
        endpoints: vec![
            EndpointInfo {
                name: "chat".into(),
                protocol: "ws".into(),
                addr: "127.0.0.1:8080".into(),
                path: Some("/ws/chat".into()),
            },
            EndpointInfo {
                name: "tcp-echo".into(),
                protocol: "tcp".into(),
                addr: "127.0.0.1:40731".into(),
                path: None,
            },
        ],
        relay_targets: vec![
            RelayTargetInfo {
                name: "tcp-echo".into(),
                kind: TargetKind::Tcp,
                addr: Some("127.0.0.1:40731".into()),
                protocols: vec![],
                text: TextMode::Bytes,
                token: false,
            },
            RelayTargetInfo {
                name: "udp-echo".into(),
                kind: TargetKind::Udp,
                addr: Some("127.0.0.1:40732".into()),
                protocols: vec![],
                text: TextMode::Refuse,
                token: false,
            },
            RelayTargetInfo {
                name: "mqtt".into(),
                kind: TargetKind::Unix,
                addr: None,
                protocols: vec!["mqtt".into(), "mqttv3.1".into()],
                text: TextMode::Bytes,
                token: true,
            },
        ],
        instance: Some(instance()),
        webtransport: Some(WebTransportInfo {
            url: "https://127.0.0.1:8080".into(),
            cert_sha256: Some("ab".repeat(32)),
            expires: Some("2026-12-14T11:00:00Z".into()),
        }),
    };
    assert_eq!(info.webtransport.as_ref().unwrap().port(), Some(8080));
    let text = serde_json::to_string(&info).unwrap();
    assert_eq!(ServerInfo::from_json(&text), Ok(info.clone()));
    let old = ServerInfo {
        instance: None,
        webtransport: None,
        ..info
    };
    let text = serde_json::to_string(&old).unwrap();
    assert!(!text.contains("instance\":{"));
    assert!(!text.contains("webtransport"));
    assert_eq!(ServerInfo::from_json(&text), Ok(old));
    for bad in [
        r#"{"name":"s","version":"1","endpoints":[],"relay_targets":[{"name":"x","kind":"sctp","addr":"a"}]}"#,
        r#"{"name":"s","version":"1","endpoints":[]}"#,
        r#"{"name":"s","version":"1","endpoints":[{"name":"a","protocol":"tcp"}],"relay_targets":[]}"#,
    ] {
        assert!(ServerInfo::from_json(bad).is_err(), "{bad}");
        assert!(serde_json::from_str::<ServerInfo>(bad).is_err(), "{bad}");
    }

    let captures = vec![
        TcpCapture {
            peer: "127.0.0.1:5555".into(),
            at_ms: 1,
            text: "GET / HTTP/1.1\r\nUpgrade: websocket\r\n\r\n".into(),
            len: 38,
        },
        TcpCapture {
            peer: "[::1]:5556".into(),
            at_ms: 2,
            text: "\u{fffd}binary\u{0}".into(),
            len: 9,
        },
    ];
    let text = serde_json::to_string(&captures).unwrap();
    assert_eq!(TcpCapture::list_from_json(&text), Ok(captures));
    assert_eq!(TcpCapture::list_from_json("[]"), Ok(vec![]));
    assert!(TcpCapture::list_from_json("{}").is_err());
}

fn display_name() -> impl Strategy<Value = DisplayName> {
    "[a-z0-9가-힣 ._-]{1,24}".prop_filter_map("a valid name", |s| DisplayName::parse(&s).ok())
}

fn room_name() -> impl Strategy<Value = RoomName> {
    "[a-z0-9_-]{1,32}".prop_map(|s| RoomName::parse(&s).unwrap())
}

fn chat_messages() -> impl Strategy<Value = ChatMessage> {
    (
        room_name(),
        display_name(),
        any::<String>(),
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(|(room, from, text, seq, ts_ms)| ChatMessage {
            room,
            from,
            text,
            seq,
            ts_ms,
        })
}

fn server_messages() -> impl Strategy<Value = ServerMessage> {
    let instance =
        ("\\PC{0,12}", "\\PC{0,12}", "local|nats").prop_map(|(id, listen, bus)| InstanceInfo {
            id,
            listen,
            bus: bus.to_owned(),
        });
    let headers = proptest::collection::vec(("\\PC{0,10}", any::<String>()), 0..4);
    prop_oneof![
        (
            display_name(),
            room_name(),
            proptest::collection::vec(display_name(), 0..4),
            proptest::collection::vec(chat_messages(), 0..3),
            proptest::option::of(instance),
            proptest::collection::btree_map(display_name(), "\\PC{0,8}", 0..3),
            any::<u64>(),
        )
            .prop_map(
                |(you, room, members, history, instance, member_instances, count)| {
                    ServerMessage::Welcome {
                        you,
                        room,
                        members,
                        count,
                        history,
                        instance,
                        member_instances,
                    }
                }
            ),
        chat_messages().prop_map(ServerMessage::Message),
        (display_name(), proptest::option::of("\\PC{0,12}"))
            .prop_map(|(name, instance)| ServerMessage::Joined { name, instance }),
        display_name().prop_map(|name| ServerMessage::Left { name }),
        (
            proptest::collection::vec(display_name(), 0..4),
            proptest::collection::vec(display_name(), 0..4),
            any::<u64>(),
            proptest::collection::btree_map(display_name(), "\\PC{0,8}", 0..3),
        )
            .prop_map(
                |(joined, left, count, member_instances)| ServerMessage::Presence {
                    joined,
                    left,
                    count,
                    member_instances,
                }
            ),
        (
            proptest::collection::vec(display_name(), 0..4),
            proptest::option::of(display_name()),
            any::<u64>(),
            proptest::collection::btree_map(display_name(), "\\PC{0,8}", 0..3),
        )
            .prop_map(
                |(members, next, count, member_instances)| ServerMessage::Members {
                    members,
                    next,
                    count,
                    member_instances,
                }
            ),
        any::<u64>().prop_map(|id| ServerMessage::Pong { id }),
        (0..ErrorCode::ALL.len(), any::<String>()).prop_map(|(i, message)| {
            ServerMessage::Error {
                code: ErrorCode::ALL[i],
                message,
            }
        }),
        (
            "[A-Z]{3,7}",
            "\\PC{0,20}",
            headers.clone(),
            any::<u16>(),
            headers
        )
            .prop_map(
                |(method, path, request_headers, status, response_headers)| {
                    ServerMessage::Handshake(HandshakeReport {
                        request: HttpRequestHead {
                            method,
                            path,
                            version: "HTTP/1.1".into(),
                            headers: request_headers,
                        },
                        response: HttpResponseHead {
                            status,
                            headers: response_headers,
                        },
                    })
                }
            ),
    ]
}

/// One small edit to a text: delete, insert or replace a character.
fn mutate(text: &str, at: usize, edit: u8, with: char) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = at % (chars.len() + 1);
    match edit % 3 {
        0 if at < chars.len() => {
            chars.remove(at);
        }
        1 if at < chars.len() => chars[at] = with,
        _ => chars.insert(at, with),
    }
    chars.into_iter().collect()
}

proptest! {
    #[test]
    fn any_message_reads_back_as_written(message in server_messages()) {
        let frame = message.to_json();
        prop_assert_eq!(ServerMessage::from_json(&frame), Ok(message));
    }

    #[test]
    fn damaged_frames_are_judged_alike(
        message in server_messages(),
        edits in proptest::collection::vec(
            (any::<usize>(), any::<u8>(), prop::sample::select(
                &[
                    '"', '\\', '{', '}', '[', ']', ',', ':', '-', '.', '0', '9', 'e', 'n',
                    'u', ' ', 'x', '\u{7}', '한',
                ][..],
            )),
            1..4,
        ),
    ) {
        let mut frame = message.to_json();
        for (at, edit, with) in edits {
            frame = mutate(&frame, at, edit, with);
        }
        let ours = ServerMessage::from_json(&frame);
        let theirs = ServerMessage::parse(&frame);
        prop_assert_eq!(ours.as_ref().ok(), theirs.as_ref().ok(), "{}", frame);
    }

    #[test]
    fn client_messages_are_written_as_serde_json_writes_them(
        text in any::<String>(),
        id in any::<u64>(),
    ) {
        for message in [ClientMessage::Say { text: text.clone() }, ClientMessage::Ping { id }] {
            prop_assert_eq!(message.to_json(), serde_json::to_string(&message).unwrap());
        }
    }

    #[test]
    fn from_json_never_panics(frame in "\\PC{0,200}|.{0,200}") {
        let _ = ServerMessage::from_json(&frame);
        let _ = ServerInfo::from_json(&frame);
        let _ = TcpCapture::list_from_json(&frame);
    }
}
