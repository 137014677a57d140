//! Validated room and member names.
//!
//! Names arrive in a URL query string from anyone on the network, and are then
//! shown to every other member of a room. Parsing them into these types once,
//! at the edge, means the rest of the code can never display a 10 KB name, a
//! name made of control characters, or a room called `../../etc`.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::json::{FromJson, JsonError, Value};

/// Longest room name, in characters. Short enough to show in a tab title.
pub const ROOM_MAX_CHARS: usize = 32;
/// Longest display name, in characters, after trimming.
pub const NAME_MAX_CHARS: usize = 24;
/// The room a client joins when it names none.
pub const DEFAULT_ROOM: &str = "lobby";

/// Why a room or display name was refused; the text is shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// The name was empty (or only white space).
    #[error("the {what} is empty")]
    Empty {
        /// `"room name"` or `"name"`.
        what: &'static str,
    },
    /// The name had more characters than allowed.
    #[error("the {what} is longer than {max} characters")]
    TooLong {
        /// `"room name"` or `"name"`.
        what: &'static str,
        /// The limit that was exceeded.
        max: usize,
    },
    /// The name contained a character that is not allowed.
    #[error("the {what} may not contain {found:?}; {allowed}")]
    BadChar {
        /// `"room name"` or `"name"`.
        what: &'static str,
        /// The first offending character.
        found: char,
        /// Which characters are allowed, in words.
        allowed: &'static str,
    },
}

/// A chat room's name: 1–32 characters of `[a-z0-9_-]`.
///
/// Rooms are addressed in URLs and (with a message bus) in subject names, so
/// the alphabet is kept to characters that need no escaping anywhere.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoomName(String);

impl RoomName {
    /// Accepts a room name exactly as given (no trimming, no case folding),
    /// so that what the user typed and the room they are in never differ.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        const WHAT: &str = "room name";
        if raw.is_empty() {
            return Err(NameError::Empty { what: WHAT });
        }
        if let Some(found) = raw
            .chars()
            .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
        {
            return Err(NameError::BadChar {
                what: WHAT,
                found,
                allowed: "use lowercase letters a-z, digits, '_' and '-'",
            });
        }
        if raw.len() > ROOM_MAX_CHARS {
            return Err(NameError::TooLong {
                what: WHAT,
                max: ROOM_MAX_CHARS,
            });
        }
        Ok(Self(raw.to_owned()))
    }

    /// The room everyone lands in by default.
    pub fn lobby() -> Self {
        Self(DEFAULT_ROOM.to_owned())
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RoomName {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<RoomName> for String {
    fn from(value: RoomName) -> Self {
        value.0
    }
}

impl fmt::Display for RoomName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A member's display name: 1–24 printable characters after trimming.
///
/// "Printable" excludes control characters (including newlines, which would
/// let one member forge extra lines in a line-based client) and the Unicode
/// bidirectional overrides that can make a name display as something else.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);

impl DisplayName {
    /// Trims the input and accepts it if what remains is printable and short.
    pub fn parse(raw: &str) -> Result<Self, NameError> {
        const WHAT: &str = "name";
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(NameError::Empty { what: WHAT });
        }
        if let Some(found) = trimmed.chars().find(|c| !is_printable(*c)) {
            return Err(NameError::BadChar {
                what: WHAT,
                found,
                allowed: "control and direction-override characters are not allowed",
            });
        }
        if trimmed.chars().count() > NAME_MAX_CHARS {
            return Err(NameError::TooLong {
                what: WHAT,
                max: NAME_MAX_CHARS,
            });
        }
        Ok(Self(trimmed.to_owned()))
    }

    /// The name for a client that gave none: `guest-N`.
    pub fn guest(n: u64) -> Self {
        Self(format!("guest-{n}"))
    }

    /// This name with a numeric suffix (`alice-2`), shortening the base so
    /// the result still fits the length limit. Used when a name is taken.
    pub fn with_suffix(&self, n: u64) -> Self {
        let suffix = format!("-{n}");
        let keep = NAME_MAX_CHARS.saturating_sub(suffix.chars().count());
        let base: String = self.0.chars().take(keep).collect();
        Self(format!("{}{suffix}", base.trim_end()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for DisplayName {
    type Error = NameError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<DisplayName> for String {
    fn from(value: DisplayName) -> Self {
        value.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromJson for RoomName {
    fn from_json(value: Value<'_>, field: &'static str) -> Result<Self, JsonError> {
        Self::parse(&String::from_json(value, field)?).map_err(|_| JsonError::Invalid(field))
    }
}

impl FromJson for DisplayName {
    fn from_json(value: Value<'_>, field: &'static str) -> Result<Self, JsonError> {
        Self::parse(&String::from_json(value, field)?).map_err(|_| JsonError::Invalid(field))
    }
}

/// Whether a character may appear in a display name.
fn is_printable(c: char) -> bool {
    const BIDI_CONTROLS: &[char] = &[
        '\u{200E}', '\u{200F}', '\u{202A}', '\u{202B}', '\u{202C}', '\u{202D}', '\u{202E}',
        '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}',
    ];
    !c.is_control() && !BIDI_CONTROLS.contains(&c) && c != '\u{FEFF}'
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn room_names() {
        assert_eq!(RoomName::parse("lobby").unwrap().as_str(), "lobby");
        assert_eq!(RoomName::parse("a_b-9").unwrap().as_str(), "a_b-9");
        assert!(matches!(RoomName::parse(""), Err(NameError::Empty { .. })));
        assert!(matches!(
            RoomName::parse("Lobby"),
            Err(NameError::BadChar { found: 'L', .. })
        ));
        assert!(matches!(
            RoomName::parse("../x"),
            Err(NameError::BadChar { found: '.', .. })
        ));
        assert!(RoomName::parse(&"a".repeat(32)).is_ok());
        assert!(matches!(
            RoomName::parse(&"a".repeat(33)),
            Err(NameError::TooLong { max: 32, .. })
        ));
    }

    #[test]
    fn display_names() {
        assert_eq!(DisplayName::parse("  Ada ").unwrap().as_str(), "Ada");
        assert_eq!(DisplayName::parse("김철수").unwrap().as_str(), "김철수");
        assert!(matches!(
            DisplayName::parse("   "),
            Err(NameError::Empty { .. })
        ));
        assert!(matches!(
            DisplayName::parse("a\nb"),
            Err(NameError::BadChar { found: '\n', .. })
        ));
        assert!(matches!(
            DisplayName::parse("evil\u{202E}gnp"),
            Err(NameError::BadChar { .. })
        ));
        // 24 multi-byte characters are fine; 25 are not.
        assert!(DisplayName::parse(&"가".repeat(24)).is_ok());
        assert!(DisplayName::parse(&"가".repeat(25)).is_err());
    }

    #[test]
    fn suffix_keeps_within_limit() {
        let long = DisplayName::parse(&"x".repeat(24)).unwrap();
        let suffixed = long.with_suffix(12);
        assert_eq!(suffixed.as_str().chars().count(), 24);
        assert!(suffixed.as_str().ends_with("-12"));
        assert_eq!(
            DisplayName::parse("ada").unwrap().with_suffix(2).as_str(),
            "ada-2"
        );
    }

    #[test]
    fn serde_validates() {
        assert!(serde_json::from_str::<RoomName>("\"ok\"").is_ok());
        assert!(serde_json::from_str::<RoomName>("\"NOT OK\"").is_err());
        assert!(serde_json::from_str::<DisplayName>("\"\\u0007\"").is_err());
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_accepted_names_round_trip(s in "\\PC{0,40}|.{0,40}") {
            if let Ok(room) = RoomName::parse(&s) {
                prop_assert_eq!(RoomName::parse(room.as_str()).unwrap(), room);
            }
            if let Ok(name) = DisplayName::parse(&s) {
                prop_assert!(name.as_str().chars().count() <= NAME_MAX_CHARS);
                prop_assert_eq!(DisplayName::parse(name.as_str()).unwrap(), name.clone());
                let suffixed = name.with_suffix(99);
                prop_assert!(DisplayName::parse(suffixed.as_str()).is_ok());
            }
        }
    }
}
