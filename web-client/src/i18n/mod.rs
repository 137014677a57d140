//! Every sentence the page shows, once per language.
//!
//! [`Strings`] lists them all as fields, one nested struct per section of
//! the page (`s.chat.title`, `s.lab.race.run`, …) so that each component
//! reads its own section, and each language module defines one
//! `const STRINGS: Strings`. Adding a field therefore fails to compile
//! until every language has it: a translation cannot be forgotten. Sentences
//! that embed a value (a name, a room) are templates with `{slot}`
//! placeholders, so each language can put the value where its grammar wants
//! it; see [`template`].

mod en;
mod ko;
mod lab;
mod strings;

pub use self::lab::{
    ClientStrings, ClientsStrings, FeaturesStrings, NcStrings, RaceStrings, RawStrings,
};
pub use self::strings::{
    ChatStrings, CloseStrings, CompareRow, CompareStrings, ConnectionStrings, EchoStrings,
    EndpointsStrings, InspectorStrings, LimitsStrings, SocketsStrings, Strings,
};
use yew::Properties;

/// A language the page is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Korean, the first readers' language.
    Ko,
}

impl Lang {
    /// Every language, in the order the switch shows them.
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Ko];

    /// The BCP 47 tag, for `<html lang>` and `localStorage`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ko => "ko",
        }
    }

    /// The language's name in itself, as the switch shows it (a Korean
    /// reader looks for "한국어", not for its English name).
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "EN",
            Lang::Ko => "한국어",
        }
    }

    /// What the prerendered HTML says with JavaScript off.
    #[cfg(feature = "ssr")]
    pub fn noscript(self) -> &'static str {
        match self {
            Lang::En => en::NOSCRIPT,
            Lang::Ko => ko::NOSCRIPT,
        }
    }

    /// All of this language's sentences.
    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::En => &en::STRINGS,
            Lang::Ko => &ko::STRINGS,
        }
    }

    /// The language for a tag like `ko-KR` or `en`, if the page has it.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "ko" => Some(Lang::Ko),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The visitor's earlier choice wins; otherwise Korean browsers get
    /// Korean and everyone else English.
    pub fn detect(stored: Option<&str>, navigator: Option<&str>) -> Lang {
        stored
            .and_then(Lang::from_tag)
            .or_else(|| navigator.and_then(Lang::from_tag))
            .unwrap_or(Lang::En)
    }
}

/// Props of a component that needs nothing but the language.
#[derive(Debug, PartialEq, Properties)]
pub struct LangProps {
    /// The language to show the component in.
    pub lang: Lang,
}

/// A piece of a template: literal text or the name of a `{slot}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Text shown as is.
    Text(&'a str),
    /// A placeholder's name, without the braces.
    Slot(&'a str),
}

/// Splits `"You are {name}."` into text and slots. An unmatched `{` is kept
/// as text, so a typo in a translation shows up on the page instead of
/// hiding words.
pub fn template(text: &str) -> Vec<Piece<'_>> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let Some(len) = rest[open..].find('}') else {
            break;
        };
        if open > 0 {
            pieces.push(Piece::Text(&rest[..open]));
        }
        pieces.push(Piece::Slot(&rest[open + 1..open + len]));
        rest = &rest[open + len + 1..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use socketlab_shared::close;

    use super::*;

    #[test]
    fn korean_browsers_get_korean_unless_told_otherwise() {
        assert_eq!(Lang::detect(None, Some("ko-KR")), Lang::Ko);
        assert_eq!(Lang::detect(None, Some("ko")), Lang::Ko);
        assert_eq!(Lang::detect(None, Some("en-US")), Lang::En);
        assert_eq!(Lang::detect(None, Some("fr-FR")), Lang::En);
        assert_eq!(Lang::detect(None, None), Lang::En);
        assert_eq!(Lang::detect(Some("en"), Some("ko-KR")), Lang::En);
        assert_eq!(Lang::detect(Some("garbage"), Some("ko-KR")), Lang::Ko);
    }

    #[test]
    fn every_close_code_has_a_meaning_in_every_language() {
        for lang in Lang::ALL {
            let strings = lang.strings();
            for &code in close::ALL {
                let meaning = strings.close.meaning(code);
                assert_ne!(meaning, strings.close.unknown, "{lang:?} {code}");
                assert!(!meaning.is_empty());
            }
            assert_eq!(strings.close.meaning(4000), strings.close.application);
            assert_eq!(strings.close.meaning(999), strings.close.unknown);
        }
    }

    #[test]
    fn templates_keep_their_slots_in_every_language() {
        for lang in Lang::ALL {
            let s = lang.strings();
            for (text, slots) in [
                (s.chat.you, &["name", "room"][..]),
                (s.chat.joined, &["name"][..]),
                (s.chat.left, &["name"][..]),
                (s.chat.members_more, &["count"][..]),
                (s.chat.instance, &["addr", "id"][..]),
                (s.endpoints.instance, &["addr", "id", "rooms"][..]),
                (s.lab.reported_by, &["browser"][..]),
                (s.lab.raw.explain, &["port"][..]),
                (s.lab.relay.waiting, &["missing"][..]),
                (s.compare.connect_measured, &["ms"][..]),
                (s.compare.tcp_chunks_measured, &["chunks", "messages"][..]),
                (
                    s.compare.udp_messages_measured,
                    &["datagrams", "messages"][..],
                ),
                (s.compare.order_measured, &["sent", "tcp", "udp"][..]),
                (s.compare.support_measured, &["tcp", "udp"][..]),
                (s.compare.ws_support_measured, &["ws"][..]),
                (s.compare.raw_measured, &["code"][..]),
                (s.compare.wt_ready_measured, &["ms"][..]),
                (s.compare.wt_datagram_measured, &["ms"][..]),
                (s.compare.wt_stream_measured, &["ms"][..]),
                (s.compare.wt_size_measured, &["bytes"][..]),
                (
                    s.compare.wt_order_measured,
                    &["duplicated", "lost", "reordered", "sent"][..],
                ),
                (s.compare.wt_support_measured, &["wt"][..]),
            ] {
                let mut found: Vec<&str> = template(text)
                    .into_iter()
                    .filter_map(|p| match p {
                        Piece::Slot(name) => Some(name),
                        Piece::Text(_) => None,
                    })
                    .collect();
                found.sort_unstable();
                assert_eq!(found, slots, "{lang:?}: {text}");
            }
        }
    }

    #[test]
    fn template_splits_text_and_slots() {
        assert_eq!(
            template("You are {name} in {room}."),
            [
                Piece::Text("You are "),
                Piece::Slot("name"),
                Piece::Text(" in "),
                Piece::Slot("room"),
                Piece::Text("."),
            ]
        );
        assert_eq!(template("{name}"), [Piece::Slot("name")]);
        assert_eq!(template("a { b"), [Piece::Text("a { b")]);
        assert_eq!(template(""), []);
    }
}
