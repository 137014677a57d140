//! The chat panel's state: a fold over the frames the room sends.
//!
//! The server is the source of truth (who is in the room, the order of
//! messages), so the page keeps no state of its own beyond what the frames
//! say, plus the pings it is waiting to see answered. Kept free of browser
//! types so the rules are tested natively.

use std::rc::Rc;

use socketlab_shared::{
    ChatMessage, ClientMessage, DisplayName, InstanceInfo, RoomName, ServerMessage,
};
use yew::Reducible;

use crate::ws::{Payload, Received};

/// How often the page pings the room to measure the round-trip time.
pub const PING_INTERVAL_MS: u32 = 2_000;
/// Lines kept in the message list; older ones scroll away.
const MAX_ENTRIES: usize = 500;
/// Unanswered pings remembered; a server that never answers must not make
/// this grow forever.
const MAX_PINGS_IN_FLIGHT: usize = 16;
/// Most names of one `presence` shown as notice lines; more only update
/// the count (a join storm would otherwise flood the message list).
const MAX_PRESENCE_NOTICES: usize = 3;
/// How much of an unreadable frame is shown.
const UNREADABLE_PREVIEW_CHARS: usize = 120;

/// One line of the message list.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatEntry {
    /// Someone said something.
    Message(ChatMessage),
    /// Someone entered the room.
    Joined(DisplayName),
    /// Someone left the room.
    Left(DisplayName),
    /// The server refused one of our frames.
    Error {
        /// The machine-readable reason as on the wire (`empty_text`), which
        /// is what a learner reading the protocol document will recognize.
        code: String,
        /// The server's explanation.
        message: String,
    },
    /// A frame the page could not parse (shown, not hidden: it is a bug).
    Unreadable(String),
}

/// Everything the chat panel shows about the room.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ChatState {
    /// Our name in the room, as the server settled it (maybe suffixed).
    pub you: Option<DisplayName>,
    /// The room we are in.
    pub room: Option<RoomName>,
    /// The members the page knows of, sorted by name: everyone in a small
    /// room, the first page in a large one.
    pub members: Vec<Member>,
    /// How many are in the room, as the server last said.
    pub count: u64,
    /// Where the next page of the member list starts (the `after` of a
    /// `members` request), while the server has more names than the page
    /// knows.
    pub more_after: Option<DisplayName>,
    /// A `members` request is on its way: the "show more" control waits.
    pub fetching_members: bool,
    /// The server instance our socket landed on, when the server says.
    pub instance: Option<InstanceInfo>,
    /// The message list, oldest first.
    pub entries: Vec<ChatEntry>,
    /// The last measured ping round trip, in milliseconds.
    pub rtt_ms: Option<f64>,
    pings: Vec<(u64, f64)>,
}

/// Someone in the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Their name.
    pub name: DisplayName,
    /// The id of the server instance their socket is on, when the server
    /// says (with several instances, one room spans several machines).
    pub instance: Option<String>,
}

/// Where a member's socket is, seen from ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// On the same server instance as our socket.
    SameInstance,
    /// On another instance: the room reaches it through the bus.
    OtherInstance,
    /// The server did not say where one of the two sockets is.
    Unknown,
}

/// What happened in the chat.
#[derive(Debug, Clone, PartialEq)]
pub enum ChatAction {
    /// A new connection starts: forget the old room.
    Reset,
    /// A frame arrived from the room.
    Frame(Received),
    /// The page asked for the next page of members.
    MembersRequested,
    /// The page sent `{"type":"ping","id":id}` at `at_ms`.
    PingSent {
        /// The ping's id.
        id: u64,
        /// `performance.now()` when it was sent.
        at_ms: f64,
    },
}

impl Reducible for ChatState {
    type Action = ChatAction;

    fn reduce(self: Rc<Self>, action: ChatAction) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            ChatAction::Reset => next = ChatState::default(),
            ChatAction::MembersRequested => next.fetching_members = true,
            ChatAction::PingSent { id, at_ms } => {
                next.pings.push((id, at_ms));
                let excess = next.pings.len().saturating_sub(MAX_PINGS_IN_FLIGHT);
                next.pings.drain(..excess);
            }
            ChatAction::Frame(frame) => match frame.payload {
                Payload::Text(text) => match ServerMessage::from_json(&text) {
                    Ok(message) => next.apply(message, frame.at_ms),
                    Err(error) => next.push(ChatEntry::Unreadable(format!(
                        "{error}: {}",
                        preview(&text)
                    ))),
                },
                Payload::Binary(bytes) => next.push(ChatEntry::Unreadable(format!(
                    "binary frame of {} bytes",
                    bytes.len()
                ))),
            },
        }
        Rc::new(next)
    }
}

impl ChatState {
    fn apply(&mut self, message: ServerMessage, at_ms: f64) {
        match message {
            ServerMessage::Welcome {
                you,
                room,
                members,
                count,
                history,
                instance,
                member_instances,
            } => {
                self.count = count;
                self.members = Vec::with_capacity(members.len());
                for name in members {
                    // We are where we landed, even if the map forgot us.
                    let ours = instance.as_ref().filter(|_| name == you);
                    let placed = member_instances.get(&name).cloned();
                    let member = Member {
                        instance: placed.or_else(|| ours.map(|i| i.id.clone())),
                        name,
                    };
                    // Sorted by inserting in place: the list is short, and a
                    // sort routine would cost the page kilobytes of code.
                    let at = self.members.partition_point(|m| m.name <= member.name);
                    self.members.insert(at, member);
                }
                // The welcome carries the first page; the rest starts
                // after its last name.
                self.more_after = (count > self.members.len() as u64)
                    .then(|| self.members.last().map(|m| m.name.clone()))
                    .flatten();
                self.fetching_members = false;
                self.you = Some(you);
                self.room = Some(room);
                self.instance = instance;
                self.entries = history.into_iter().map(ChatEntry::Message).collect();
            }
            ServerMessage::Message(message) => self.push(ChatEntry::Message(message)),
            ServerMessage::Joined { name, instance } => {
                self.add_member(name.clone(), instance);
                self.push(ChatEntry::Joined(name));
            }
            ServerMessage::Left { name } => {
                self.members.retain(|member| member.name != name);
                self.push(ChatEntry::Left(name));
            }
            ServerMessage::Presence {
                joined,
                left,
                count,
                member_instances,
            } => {
                self.count = count;
                // One notice line per name while few come and go at once;
                // a crowd only moves the count.
                let notices = joined.len() + left.len() <= MAX_PRESENCE_NOTICES;
                for name in left {
                    self.members.retain(|member| member.name != name);
                    if notices {
                        self.push(ChatEntry::Left(name));
                    }
                }
                for name in joined {
                    let placed = member_instances.get(&name).cloned();
                    self.add_member(name.clone(), placed);
                    if notices && self.you.as_ref() != Some(&name) {
                        self.push(ChatEntry::Joined(name));
                    }
                }
            }
            ServerMessage::Members {
                members,
                count,
                next,
                member_instances,
            } => {
                self.count = count;
                for name in members {
                    let placed = member_instances.get(&name).cloned();
                    self.add_member(name, placed);
                }
                self.more_after = next;
                self.fetching_members = false;
            }
            ServerMessage::Pong { id } => {
                if let Some(index) = self.pings.iter().position(|(sent, _)| *sent == id) {
                    self.rtt_ms = Some(at_ms - self.pings[index].1);
                    // Older pings were lost or answered out of order.
                    self.pings.drain(..=index);
                }
            }
            ServerMessage::Error { code, message } => self.push(ChatEntry::Error {
                code: code.as_str().to_owned(),
                message,
            }),
            ServerMessage::Handshake(_) => self.push(ChatEntry::Unreadable(
                "a handshake report, which only /ws/inspect sends".to_owned(),
            )),
        }
    }

    /// Adds `name` (or updates where it is), keeping the list sorted.
    fn add_member(&mut self, name: DisplayName, instance: Option<String>) {
        match self.members.binary_search_by(|m| m.name.cmp(&name)) {
            Ok(at) => {
                if instance.is_some() {
                    self.members[at].instance = instance;
                }
            }
            Err(at) => self.members.insert(at, Member { name, instance }),
        }
    }

    /// The `members` request for the next page, if there is one to ask
    /// for and none is on its way.
    pub fn next_members_request(&self) -> Option<ClientMessage> {
        let after = self.more_after.clone()?;
        (!self.fetching_members && self.count > self.members.len() as u64)
            .then_some(ClientMessage::Members { after: Some(after) })
    }

    /// Whether `member` shares our server instance.
    pub fn placement(&self, member: &Member) -> Placement {
        match (self.instance.as_ref(), member.instance.as_deref()) {
            (Some(ours), Some(theirs)) if ours.id == theirs => Placement::SameInstance,
            (Some(_), Some(_)) => Placement::OtherInstance,
            _ => Placement::Unknown,
        }
    }

    fn push(&mut self, entry: ChatEntry) {
        self.entries.push(entry);
        let excess = self.entries.len().saturating_sub(MAX_ENTRIES);
        self.entries.drain(..excess);
    }
}

fn preview(text: &str) -> String {
    let mut shown: String = text.chars().take(UNREADABLE_PREVIEW_CHARS).collect();
    if shown.len() < text.len() {
        shown.push('…');
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> DisplayName {
        DisplayName::parse(s).unwrap()
    }

    fn frame(json: &str, at_ms: f64) -> ChatAction {
        ChatAction::Frame(Received {
            connection: 1,
            payload: Payload::Text(json.to_owned()),
            at_ms,
        })
    }

    fn names(state: &ChatState) -> Vec<&str> {
        state.members.iter().map(|m| m.name.as_str()).collect()
    }

    fn member<'a>(state: &'a ChatState, who: &str) -> Option<&'a Member> {
        state.members.iter().find(|m| m.name.as_str() == who)
    }

    /// `Some(instance id or None)` for a member, `None` for a stranger.
    fn instance_of<'a>(state: &'a ChatState, who: &str) -> Option<Option<&'a str>> {
        member(state, who).map(|m| m.instance.as_deref())
    }

    fn placement(state: &ChatState, who: &str) -> Placement {
        state.placement(member(state, who).expect(who))
    }

    fn run(actions: Vec<ChatAction>) -> ChatState {
        let mut state = Rc::new(ChatState::default());
        for action in actions {
            state = state.reduce(action);
        }
        (*state).clone()
    }

    const WELCOME: &str = r#"{"type":"welcome","you":"ada-2","room":"lobby",
        "members":["bob","ada-2"],"history":[{"room":"lobby","from":"bob",
        "text":"hi","seq":1,"ts_ms":5}]}"#;

    #[test]
    fn welcome_sets_who_and_where() {
        let state = run(vec![frame(WELCOME, 0.0)]);
        assert_eq!(state.you, Some(name("ada-2")));
        assert_eq!(state.room.as_ref().map(RoomName::as_str), Some("lobby"));
        assert_eq!(names(&state), ["ada-2", "bob"]);
        assert!(matches!(&state.entries[..], [ChatEntry::Message(m)] if m.seq == 1));
    }

    #[test]
    fn members_follow_joins_and_leaves() {
        let state = run(vec![
            frame(WELCOME, 0.0),
            frame(r#"{"type":"joined","name":"cy"}"#, 1.0),
            frame(r#"{"type":"joined","name":"cy"}"#, 1.0),
            frame(r#"{"type":"left","name":"bob"}"#, 2.0),
        ]);
        assert_eq!(names(&state), ["ada-2", "cy"]);
        assert!(matches!(state.entries.last(), Some(ChatEntry::Left(n)) if n.as_str() == "bob"));
    }

    #[test]
    fn presence_updates_members_and_count_and_a_crowd_only_the_count() {
        let state = run(vec![
            frame(WELCOME, 0.0),
            frame(
                r#"{"type":"presence","joined":["cy"],"left":["bob"],"count":2}"#,
                1.0,
            ),
        ]);
        assert_eq!(names(&state), ["ada-2", "cy"]);
        assert_eq!(state.count, 2);
        assert!(matches!(state.entries.last(), Some(ChatEntry::Joined(n)) if n.as_str() == "cy"));
        let state = run(vec![
            frame(WELCOME, 0.0),
            frame(
                r#"{"type":"presence","joined":["d1","d2","d3","d4"],"left":[],"count":6}"#,
                1.0,
            ),
            frame(
                r#"{"type":"presence","joined":[],"left":[],"count":900}"#,
                2.0,
            ),
        ]);
        assert_eq!(state.count, 900);
        assert_eq!(state.members.len(), 6);
        // Only the history's message: a crowd adds no notice lines.
        assert_eq!(state.entries.len(), 1);
    }

    #[test]
    fn pong_gives_the_round_trip_of_its_ping() {
        let state = run(vec![
            ChatAction::PingSent {
                id: 1,
                at_ms: 100.0,
            },
            ChatAction::PingSent {
                id: 2,
                at_ms: 2100.0,
            },
            frame(r#"{"type":"pong","id":2}"#, 2104.5),
            frame(r#"{"type":"pong","id":1}"#, 2105.0),
        ]);
        assert_eq!(state.rtt_ms, Some(4.5));
        assert!(state.pings.is_empty());
    }

    #[test]
    fn errors_and_garbage_are_shown() {
        let state = run(vec![
            frame(
                r#"{"type":"error","code":"empty_text","message":"say something"}"#,
                0.0,
            ),
            frame("not json", 0.0),
        ]);
        assert!(matches!(&state.entries[0], ChatEntry::Error { code, .. } if code == "empty_text"));
        assert!(matches!(&state.entries[1], ChatEntry::Unreadable(t) if t.contains("not json")));
    }

    const WELCOME_PLACED: &str = r#"{"type":"welcome","you":"ada","room":"lobby",
        "members":["bob","ada","cy"],"history":[],
        "instance":{"id":"a1","listen":"10.0.0.1:8080","bus":"nats"},
        "member_instances":{"ada":"a1","bob":"b2","zed":"b2"}}"#;

    #[test]
    fn welcome_places_members_on_instances() {
        let state = run(vec![frame(WELCOME_PLACED, 0.0)]);
        assert_eq!(state.instance.as_ref().map(|i| i.id.as_str()), Some("a1"));
        assert_eq!(names(&state), ["ada", "bob", "cy"]);
        assert_eq!(instance_of(&state, "ada"), Some(Some("a1")));
        assert_eq!(instance_of(&state, "bob"), Some(Some("b2")));
        assert_eq!(instance_of(&state, "cy"), Some(None));
        // Placed but not a member: not shown.
        assert_eq!(instance_of(&state, "zed"), None);
        assert_eq!(placement(&state, "ada"), Placement::SameInstance);
        assert_eq!(placement(&state, "bob"), Placement::OtherInstance);
        assert_eq!(placement(&state, "cy"), Placement::Unknown);
    }

    #[test]
    fn you_are_on_your_instance_even_if_unlisted() {
        let welcome = r#"{"type":"welcome","you":"ada","room":"lobby","members":["ada","bob"],
            "history":[],"instance":{"id":"a1","listen":"10.0.0.1:8080","bus":"local"}}"#;
        let state = run(vec![frame(welcome, 0.0)]);
        assert_eq!(instance_of(&state, "ada"), Some(Some("a1")));
        assert_eq!(placement(&state, "ada"), Placement::SameInstance);
        // Only our own socket is placed without the server saying so.
        assert_eq!(instance_of(&state, "bob"), Some(None));
    }

    #[test]
    fn instances_follow_joins_and_leaves() {
        let state = run(vec![
            frame(WELCOME_PLACED, 0.0),
            frame(r#"{"type":"joined","name":"dee","instance":"a1"}"#, 1.0),
            frame(r#"{"type":"joined","name":"eve","instance":"c3"}"#, 1.0),
            frame(r#"{"type":"left","name":"bob"}"#, 2.0),
        ]);
        assert_eq!(names(&state), ["ada", "cy", "dee", "eve"]);
        assert_eq!(placement(&state, "dee"), Placement::SameInstance);
        assert_eq!(placement(&state, "eve"), Placement::OtherInstance);
        assert_eq!(instance_of(&state, "bob"), None);
        // bob comes back through a server that does not say where he is;
        // a later `joined` for cy says where cy is now.
        let state = run(vec![
            frame(WELCOME_PLACED, 0.0),
            frame(r#"{"type":"left","name":"bob"}"#, 1.0),
            frame(r#"{"type":"joined","name":"bob"}"#, 2.0),
            frame(r#"{"type":"joined","name":"cy","instance":"a1"}"#, 3.0),
        ]);
        assert_eq!(names(&state), ["ada", "bob", "cy"]);
        assert_eq!(placement(&state, "bob"), Placement::Unknown);
        assert_eq!(placement(&state, "cy"), Placement::SameInstance);
    }

    #[test]
    fn old_servers_place_nobody() {
        let state = run(vec![
            frame(WELCOME, 0.0),
            frame(r#"{"type":"joined","name":"cy"}"#, 1.0),
        ]);
        assert_eq!(state.instance, None);
        assert!(state.members.iter().all(|m| m.instance.is_none()));
        assert_eq!(placement(&state, "ada-2"), Placement::Unknown);
    }

    #[test]
    fn a_new_room_forgets_the_old_placements() {
        let state = run(vec![
            frame(WELCOME_PLACED, 0.0),
            ChatAction::Reset,
            frame(WELCOME, 1.0),
        ]);
        assert_eq!(state.instance, None);
        assert!(state.members.iter().all(|m| m.instance.is_none()));
    }

    /// A welcome to a room of `count` whose first page is `m000`..`m099`.
    fn big_welcome(count: u64) -> String {
        let page: Vec<String> = (0..100).map(|i| format!("\"m{i:03}\"")).collect();
        format!(
            r#"{{"type":"welcome","you":"m150","room":"hall","members":[{}],"count":{count},"history":[]}}"#,
            page.join(",")
        )
    }

    #[test]
    fn a_large_room_is_fetched_page_by_page() {
        let mut state = Rc::new(ChatState::default()).reduce(frame(&big_welcome(250), 0.0));
        assert_eq!(state.members.len(), 100);
        let request = state.next_members_request().expect("more to fetch");
        assert_eq!(request.to_json(), r#"{"type":"members","after":"m099"}"#);
        state = state.reduce(ChatAction::MembersRequested);
        assert_eq!(state.next_members_request(), None, "one request at a time");
        let page: Vec<String> = (100..200).map(|i| format!("\"m{i:03}\"")).collect();
        let reply = format!(
            r#"{{"type":"members","members":[{}],"next":"m199","count":250}}"#,
            page.join(",")
        );
        state = state.reduce(frame(&reply, 1.0));
        assert_eq!(state.members.len(), 200);
        let request = state.next_members_request().expect("a third page");
        assert_eq!(request.to_json(), r#"{"type":"members","after":"m199"}"#);
        let last: Vec<String> = (200..250).map(|i| format!("\"m{i:03}\"")).collect();
        let reply = format!(
            r#"{{"type":"members","members":[{}],"count":250}}"#,
            last.join(",")
        );
        state = state.reduce(frame(&reply, 2.0));
        assert_eq!(state.members.len(), 250);
        assert!(names(&state).windows(2).all(|w| w[0] < w[1]), "sorted");
        assert_eq!(state.next_members_request(), None, "the last page");
    }

    #[test]
    fn a_small_room_has_nothing_more_to_fetch() {
        let state = run(vec![frame(WELCOME, 0.0)]);
        assert_eq!(state.next_members_request(), None);
        let state = run(vec![frame(&big_welcome(100), 0.0)]);
        assert_eq!(state.next_members_request(), None);
    }

    #[test]
    fn reset_forgets_the_room() {
        let state = run(vec![frame(WELCOME, 0.0), ChatAction::Reset]);
        assert_eq!(state, ChatState::default());
    }
}
