//! Chat messages: what a page may say to a room, and what the room says back.
//!
//! Every frame is a JSON text frame with a `type` tag. Client frames are
//! parsed with [`ClientMessage::parse`], which turns each way a frame can be
//! wrong into a distinct [`ErrorCode`], so the page can tell the user what
//! to fix instead of the server just hanging up.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::handshake::HandshakeReport;
use crate::json::{self, from_json_struct, Fields, FromJson, JsonError, Value};
use crate::names::{DisplayName, RoomName};

/// Most bytes of text one `say` may carry. Keeps a chat frame under the
/// chat endpoint's 4 KiB frame limit even after JSON escaping of ASCII.
pub const MAX_SAY_BYTES: usize = 2048;
/// How many past messages a newcomer receives in `welcome.history`.
pub const HISTORY_LEN: usize = 50;
/// Most names in `welcome.members` and in one `members` page: a welcome
/// costs the same in a room of ten and in a hall of ten thousand.
pub const MEMBERS_PAGE: usize = 100;

/// A frame a client sends to `/ws/chat`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientMessage {
    /// Say something to everyone in the room (the sender included).
    Say {
        /// The text, 1 to [`MAX_SAY_BYTES`] bytes, not only white space.
        text: String,
    },
    /// An application-level ping. Browsers cannot send WebSocket ping
    /// frames from JavaScript, so round-trip time is measured with this.
    Ping {
        /// Any number; it comes back unchanged in the `pong`.
        id: u64,
    },
    /// Asks for a page of the room's member list (sorted by name), e.g.
    /// after a `welcome` or `presence` whose `count` is larger than the
    /// names known. Answered with [`ServerMessage::Members`].
    Members {
        /// Start after this name (the previous page's `next`); from the
        /// first name when absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<DisplayName>,
    },
}

/// The client frame types the server understands, for error messages.
const CLIENT_TYPES: &[&str] = &["say", "ping", "members"];

impl ClientMessage {
    /// Parses and validates one text frame from a client.
    ///
    /// Never panics. Each failure maps to its own [`ErrorCode`] so the reply
    /// says exactly what was wrong with the frame.
    pub fn parse(frame: &str) -> Result<Self, ProtocolError> {
        let value: serde_json::Value = serde_json::from_str(frame)
            .map_err(|e| ProtocolError::new(ErrorCode::BadJson, format!("not valid JSON: {e}")))?;
        let Some(kind) = value.get("type") else {
            return Err(ProtocolError::new(
                ErrorCode::MissingType,
                "a message needs a \"type\" field, e.g. {\"type\":\"say\",\"text\":\"hi\"}",
            ));
        };
        let Some(kind) = kind.as_str() else {
            return Err(ProtocolError::new(
                ErrorCode::MissingType,
                "\"type\" must be a string",
            ));
        };
        let Some(kind) = CLIENT_TYPES.iter().copied().find(|t| *t == kind) else {
            return Err(ProtocolError::new(
                ErrorCode::UnknownType,
                format!(
                    "unknown message type {:?}; expected one of: {}",
                    truncate(kind, 40),
                    CLIENT_TYPES.join(", ")
                ),
            ));
        };
        let message: ClientMessage = serde_json::from_value(value).map_err(|e| {
            ProtocolError::new(ErrorCode::BadField, format!("bad {kind:?} message: {e}"))
        })?;
        message.validate()?;
        Ok(message)
    }

    /// Checks what a message carries (the text of a `say`: not empty, no
    /// control characters but newlines and tabs, at most [`MAX_SAY_BYTES`]),
    /// for messages that arrive other than as JSON (a line at the nc door).
    pub fn validate(&self) -> Result<(), ProtocolError> {
        match self {
            ClientMessage::Say { text } if text.trim().is_empty() => Err(ProtocolError::new(
                ErrorCode::EmptyText,
                "the text is empty; type something before sending",
            )),
            ClientMessage::Say { text }
                if text
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t') =>
            {
                Err(ProtocolError::new(
                    ErrorCode::InvalidText,
                    "the text contains control characters; only newlines and tabs are allowed",
                ))
            }
            ClientMessage::Say { text } if text.len() > MAX_SAY_BYTES => Err(ProtocolError::new(
                ErrorCode::TextTooLong,
                format!(
                    "the text is {} bytes; the limit is {MAX_SAY_BYTES}",
                    text.len()
                ),
            )),
            _ => Ok(()),
        }
    }

    /// Serializes the message for sending: the same bytes serde_json
    /// writes, without needing it (the page sends these).
    pub fn to_json(&self) -> String {
        match self {
            ClientMessage::Say { text } => {
                let mut out = String::from(r#"{"type":"say","text":"#);
                json::write_str(&mut out, text);
                out.push('}');
                out
            }
            ClientMessage::Ping { id } => format!(r#"{{"type":"ping","id":{id}}}"#),
            ClientMessage::Members { after: None } => r#"{"type":"members"}"#.to_owned(),
            ClientMessage::Members { after: Some(after) } => {
                let mut out = String::from(r#"{"type":"members","after":"#);
                json::write_str(&mut out, after.as_str());
                out.push('}');
                out
            }
        }
    }
}

/// One chat line as stored in a room's history and delivered live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// The room it was said in.
    pub room: RoomName,
    /// Who said it.
    pub from: DisplayName,
    /// What was said.
    pub text: String,
    /// Position in the room's order, strictly increasing: everyone sees the
    /// room's messages sorted by this, so gaps reveal lost messages.
    pub seq: u64,
    /// When the server accepted it, in milliseconds since the Unix epoch.
    pub ts_ms: u64,
}

/// A frame the server sends on `/ws/chat` (and `/ws/inspect`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerMessage {
    /// The first frame after joining: who you are and what you missed.
    Welcome {
        /// Your name in the room; may carry a suffix if yours was taken.
        you: DisplayName,
        /// The room you joined.
        room: RoomName,
        /// The first [`MEMBERS_PAGE`] members, sorted by name (you may be
        /// on a later page); ask for more with a `members` message.
        members: Vec<DisplayName>,
        /// How many members the room has now, you included.
        #[serde(default)]
        count: u64,
        /// The room's last messages, oldest first (at most [`HISTORY_LEN`]).
        history: Vec<ChatMessage>,
        /// The server instance this connection is on. With several
        /// instances behind a load balancer, one room spans sockets on
        /// several machines.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instance: Option<crate::info::InstanceInfo>,
        /// Which instance each member of `members` is connected to (by
        /// instance id).
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        member_instances: BTreeMap<DisplayName, String>,
    },
    /// Someone (possibly you) said something.
    Message(ChatMessage),
    /// Who came and went since the last `presence`, at most one per room
    /// per tick (100 ms), however many came and went. Apply `left`, then
    /// `joined`, as set operations (a name may already be known); `count`
    /// is the room's size afterwards. In rooms larger than the server's
    /// `--chat-presence-names`, both lists are empty: only the count moves.
    Presence {
        /// Who joined, sorted.
        joined: Vec<DisplayName>,
        /// Who left, sorted.
        left: Vec<DisplayName>,
        /// Members in the room now.
        count: u64,
        /// Which instance each member of `joined` is connected to (by
        /// instance id), as in `welcome`.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        member_instances: BTreeMap<DisplayName, String>,
    },
    /// A page of the member list: the answer to a client's `members`.
    Members {
        /// Up to [`MEMBERS_PAGE`] names, sorted.
        members: Vec<DisplayName>,
        /// The `after` of the next page; absent on the last page.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<DisplayName>,
        /// Members in the room now.
        count: u64,
        /// Which instance each member of `members` is connected to (by
        /// instance id), as in `welcome`.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        member_instances: BTreeMap<DisplayName, String>,
    },
    /// Someone entered the room. Sent by servers before `presence`; kept so
    /// that their frames still parse.
    Joined {
        /// Their name.
        name: DisplayName,
        /// The instance they are connected to, when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instance: Option<String>,
    },
    /// Someone left the room (servers before `presence`).
    Left {
        /// Their name.
        name: DisplayName,
    },
    /// The answer to a client's `ping`.
    Pong {
        /// The `id` of the ping it answers.
        id: u64,
    },
    /// A frame from you was refused; the connection stays usable.
    Error {
        /// A stable code for programs.
        code: ErrorCode,
        /// What went wrong and how to fix it, for people.
        message: String,
    },
    /// The HTTP upgrade as the server saw it (sent on `/ws/inspect`).
    Handshake(crate::handshake::HandshakeReport),
}

impl ServerMessage {
    /// Serializes the message for sending. Infallible for these types.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Parses a server frame with serde_json (used by the server's tests).
    pub fn parse(frame: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(frame)
    }

    /// Parses a server frame with the small reader in [`crate::json`] (used
    /// by the page). Accepts exactly what [`ServerMessage::parse`] accepts,
    /// except structs written as JSON arrays, which no server sends.
    pub fn from_json(frame: &str) -> Result<Self, JsonError> {
        let mut fields = Fields::of(json::parse(frame)?, "")?;
        let kind: String = fields.get("type")?;
        Ok(match kind.as_str() {
            "welcome" => ServerMessage::Welcome {
                you: fields.get("you")?,
                room: fields.get("room")?,
                members: fields.get("members")?,
                count: fields.get_or_default("count")?,
                history: fields.get("history")?,
                instance: fields.get_or_default("instance")?,
                member_instances: match fields.take("member_instances")? {
                    Some(value) => member_instances(value)?,
                    None => BTreeMap::new(),
                },
            },
            "message" => ServerMessage::Message(ChatMessage::from_fields(&mut fields)?),
            "presence" => ServerMessage::Presence {
                joined: fields.get("joined")?,
                left: fields.get("left")?,
                count: fields.get("count")?,
                member_instances: match fields.take("member_instances")? {
                    Some(value) => member_instances(value)?,
                    None => BTreeMap::new(),
                },
            },
            "members" => ServerMessage::Members {
                members: fields.get("members")?,
                next: fields.get_or_default("next")?,
                count: fields.get("count")?,
                member_instances: match fields.take("member_instances")? {
                    Some(value) => member_instances(value)?,
                    None => BTreeMap::new(),
                },
            },
            "joined" => ServerMessage::Joined {
                name: fields.get("name")?,
                instance: fields.get_or_default("instance")?,
            },
            "left" => ServerMessage::Left {
                name: fields.get("name")?,
            },
            "pong" => ServerMessage::Pong {
                id: fields.get("id")?,
            },
            "error" => ServerMessage::Error {
                code: fields.get("code")?,
                message: fields.get("message")?,
            },
            "handshake" => ServerMessage::Handshake(HandshakeReport::from_fields(&mut fields)?),
            _ => return Err(JsonError::UnknownType),
        })
    }
}

/// `member_instances` of `welcome`, `presence` and `members`: an object from member name to instance id.
/// A name given twice (maybe differently spaced) keeps its last value.
fn member_instances(value: Value<'_>) -> Result<BTreeMap<DisplayName, String>, JsonError> {
    const FIELD: &str = "member_instances";
    let Value::Object(pairs) = value else {
        return Err(JsonError::Invalid(FIELD));
    };
    let mut map = BTreeMap::new();
    // Inserted one by one: collecting would sort them, with a sort routine
    // that costs the page kilobytes of code.
    for (name, id) in pairs {
        map.insert(
            DisplayName::from_json(Value::String(name), FIELD)?,
            String::from_json(id, FIELD)?,
        );
    }
    Ok(map)
}

from_json_struct!(ChatMessage {
    room: get,
    from: get,
    text: get,
    seq: get,
    ts_ms: get,
});

impl From<ProtocolError> for ServerMessage {
    fn from(e: ProtocolError) -> Self {
        ServerMessage::Error {
            code: e.code,
            message: e.message,
        }
    }
}

/// Stable, machine-readable reasons for an `error` frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The frame was not JSON.
    BadJson,
    /// The frame had no string `type` field.
    MissingType,
    /// The `type` is not one the endpoint understands.
    UnknownType,
    /// A field was missing, of the wrong type, or not expected.
    BadField,
    /// A `say` with nothing to say.
    EmptyText,
    /// A `say` over [`MAX_SAY_BYTES`].
    TextTooLong,
    /// A `say` with control characters other than newline and tab.
    InvalidText,
    /// A binary frame on an endpoint that speaks JSON text.
    BinaryNotSupported,
    /// The client is sending faster than the endpoint allows.
    RateLimited,
    /// The server could not deliver the message (e.g. its bus is down).
    Unavailable,
}

impl ErrorCode {
    /// Every code, in declaration order.
    pub const ALL: [ErrorCode; 10] = [
        ErrorCode::BadJson,
        ErrorCode::MissingType,
        ErrorCode::UnknownType,
        ErrorCode::BadField,
        ErrorCode::EmptyText,
        ErrorCode::TextTooLong,
        ErrorCode::InvalidText,
        ErrorCode::BinaryNotSupported,
        ErrorCode::RateLimited,
        ErrorCode::Unavailable,
    ];

    /// The code as it appears on the wire (`"bad_json"`), for display.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::BadJson => "bad_json",
            ErrorCode::MissingType => "missing_type",
            ErrorCode::UnknownType => "unknown_type",
            ErrorCode::BadField => "bad_field",
            ErrorCode::EmptyText => "empty_text",
            ErrorCode::TextTooLong => "text_too_long",
            ErrorCode::InvalidText => "invalid_text",
            ErrorCode::BinaryNotSupported => "binary_not_supported",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unavailable => "unavailable",
        }
    }
}

impl FromJson for ErrorCode {
    fn from_json(value: Value<'_>, field: &'static str) -> Result<Self, JsonError> {
        let text = String::from_json(value, field)?;
        ErrorCode::ALL
            .into_iter()
            .find(|code| code.as_str() == text)
            .ok_or(JsonError::Invalid(field))
    }
}

/// A refused client frame: the code and a sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ProtocolError {
    /// What kind of problem.
    pub code: ErrorCode,
    /// What was wrong and how to fix it.
    pub message: String,
}

impl ProtocolError {
    /// A refusal with its explanation.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// At most `max` characters of `s`, so echoing hostile input stays short.
fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn code(frame: &str) -> ErrorCode {
        ClientMessage::parse(frame).unwrap_err().code
    }

    #[test]
    fn parses_valid_frames() {
        assert_eq!(
            ClientMessage::parse(r#"{"type":"say","text":"hi"}"#).unwrap(),
            ClientMessage::Say { text: "hi".into() }
        );
        assert_eq!(
            ClientMessage::parse(r#"{"type":"ping","id":7}"#).unwrap(),
            ClientMessage::Ping { id: 7 }
        );
        assert_eq!(
            ClientMessage::parse(r#"{"type":"members"}"#).unwrap(),
            ClientMessage::Members { after: None }
        );
        let after = ClientMessage::Members {
            after: Some(DisplayName::parse("김 \"q\"").unwrap()),
        };
        assert_eq!(ClientMessage::parse(&after.to_json()).unwrap(), after);
        assert_eq!(
            ClientMessage::Members { after: None }.to_json(),
            r#"{"type":"members"}"#
        );
    }

    #[test]
    fn a_members_page_may_not_start_after_a_bad_name() {
        assert_eq!(
            code(r#"{"type":"members","after":""}"#),
            ErrorCode::BadField
        );
        assert_eq!(code(r#"{"type":"members","after":7}"#), ErrorCode::BadField);
        let long = format!(r#"{{"type":"members","after":"{}"}}"#, "x".repeat(100));
        assert_eq!(code(&long), ErrorCode::BadField);
    }

    #[test]
    fn presence_and_pages_have_the_documented_shape_and_parse_both_ways() {
        let ada = DisplayName::parse("ada").unwrap();
        let presence = ServerMessage::Presence {
            joined: vec![ada.clone()],
            left: vec![],
            count: 3,
            member_instances: BTreeMap::from([(ada.clone(), "sl-a1".to_owned())]),
        };
        assert_eq!(
            presence.to_json(),
            r#"{"type":"presence","joined":["ada"],"left":[],"count":3,"member_instances":{"ada":"sl-a1"}}"#
        );
        let page = ServerMessage::Members {
            members: vec![ada.clone()],
            next: Some(ada.clone()),
            count: 200,
            member_instances: BTreeMap::new(),
        };
        assert_eq!(
            page.to_json(),
            r#"{"type":"members","members":["ada"],"next":"ada","count":200}"#
        );
        let placed = ServerMessage::Members {
            members: vec![ada.clone()],
            next: None,
            count: 1,
            member_instances: BTreeMap::from([(ada, "sl-a1".to_owned())]),
        };
        assert_eq!(
            placed.to_json(),
            r#"{"type":"members","members":["ada"],"count":1,"member_instances":{"ada":"sl-a1"}}"#
        );
        for message in [presence, page, placed] {
            assert_eq!(
                ServerMessage::from_json(&message.to_json()).unwrap(),
                message
            );
            assert_eq!(ServerMessage::parse(&message.to_json()).unwrap(), message);
        }
    }

    #[test]
    fn each_mistake_has_its_code() {
        assert_eq!(code("not json"), ErrorCode::BadJson);
        assert_eq!(code(""), ErrorCode::BadJson);
        assert_eq!(code(r#"{"text":"hi"}"#), ErrorCode::MissingType);
        assert_eq!(code(r#"{"type":5}"#), ErrorCode::MissingType);
        assert_eq!(code(r#"[1,2]"#), ErrorCode::MissingType);
        assert_eq!(code(r#"{"type":"shout"}"#), ErrorCode::UnknownType);
        assert_eq!(code(r#"{"type":"say"}"#), ErrorCode::BadField);
        assert_eq!(code(r#"{"type":"say","text":1}"#), ErrorCode::BadField);
        assert_eq!(code(r#"{"type":"ping","id":-1}"#), ErrorCode::BadField);
        assert_eq!(
            code(r#"{"type":"say","text":"x","extra":1}"#),
            ErrorCode::BadField
        );
        assert_eq!(code(r#"{"type":"say","text":"  "}"#), ErrorCode::EmptyText);
        assert_eq!(
            code(r#"{"type":"say","text":"a\u0000"}"#),
            ErrorCode::InvalidText
        );
        assert_eq!(
            code(r#"{"type":"say","text":"a\u001b[31m"}"#),
            ErrorCode::InvalidText
        );
        assert!(ClientMessage::parse(r#"{"type":"say","text":"two\nlines\tok"}"#).is_ok());
        let long = format!(
            r#"{{"type":"say","text":"{}"}}"#,
            "a".repeat(MAX_SAY_BYTES + 1)
        );
        assert_eq!(code(&long), ErrorCode::TextTooLong);
    }

    #[test]
    fn unknown_type_is_not_echoed_in_full() {
        let frame = format!(r#"{{"type":"{}"}}"#, "x".repeat(10_000));
        let err = ClientMessage::parse(&frame).unwrap_err();
        assert!(err.message.len() < 200, "{}", err.message);
    }

    #[test]
    fn server_messages_have_the_documented_shape() {
        let msg = ServerMessage::Message(ChatMessage {
            room: RoomName::lobby(),
            from: DisplayName::parse("ada").unwrap(),
            text: "hi".into(),
            seq: 3,
            ts_ms: 10,
        });
        assert_eq!(
            msg.to_json(),
            r#"{"type":"message","room":"lobby","from":"ada","text":"hi","seq":3,"ts_ms":10}"#
        );
        let err: ServerMessage = ProtocolError::new(ErrorCode::BadJson, "x").into();
        assert_eq!(
            err.to_json(),
            r#"{"type":"error","code":"bad_json","message":"x"}"#
        );
        assert_eq!(ServerMessage::parse(&msg.to_json()).unwrap(), msg);
    }

    #[test]
    fn error_code_names_match_the_wire() {
        for code in ErrorCode::ALL {
            assert_eq!(
                serde_json::to_string(&code).unwrap(),
                format!("\"{}\"", code.as_str())
            );
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in ".{0,200}") {
            let _ = ClientMessage::parse(&s);
        }

        #[test]
        fn say_round_trips(text in "\\PC{1,100}") {
            let msg = ClientMessage::Say { text: text.clone() };
            match ClientMessage::parse(&msg.to_json()) {
                Ok(parsed) => prop_assert_eq!(parsed, msg),
                Err(e) => prop_assert!(matches!(e.code, ErrorCode::EmptyText | ErrorCode::InvalidText)),
            }
        }
    }
}
