//! A small JSON reader and writer for the protocol's own messages.
//!
//! The server writes every message with serde_json. The web page reads them
//! with this module instead: serde's generic machinery compiled to
//! WebAssembly costs every visitor tens of kilobytes, and these few message
//! shapes need a few hundred lines. The reader is strict (the RFC 8259
//! grammar, no field given twice, at most 128 levels deep), never panics, and
//! the tests check that it reads every message exactly as serde_json does.

use std::fmt;

/// How deep arrays and objects may nest (serde_json's default limit too).
const MAX_DEPTH: usize = 128;

/// Why a text could not be read as a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonError {
    /// The text is not JSON; reading stopped at this byte offset.
    Syntax(usize),
    /// Arrays and objects nest deeper than 128 levels.
    TooDeep,
    /// A required field is absent.
    Missing(&'static str),
    /// A field (or, when empty, the document itself) has the wrong type or
    /// an invalid value, or is given twice.
    Invalid(&'static str),
    /// The `type` tag names no message of this protocol.
    UnknownType,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonError::Syntax(at) => write!(f, "not valid JSON (at byte {at})"),
            JsonError::TooDeep => f.write_str("JSON nested too deeply"),
            JsonError::Missing(field) => write!(f, "missing field `{field}`"),
            JsonError::Invalid("") => f.write_str("unexpected JSON value"),
            JsonError::Invalid(field) => write!(f, "invalid field `{field}`"),
            JsonError::UnknownType => f.write_str("unknown message type"),
        }
    }
}

impl std::error::Error for JsonError {}

/// A parsed JSON value. Numbers keep their text, so integers of any size
/// are judged by the field that reads them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    Number(&'a str),
    String(String),
    Array(Vec<Value<'a>>),
    Object(Vec<(String, Value<'a>)>),
}

/// Parses one JSON document (surrounding white space allowed).
pub(crate) fn parse(text: &str) -> Result<Value<'_>, JsonError> {
    let mut parser = Parser { text, at: 0 };
    let value = parser.value(0)?;
    parser.skip_space();
    if parser.at == text.len() {
        Ok(value)
    } else {
        parser.fail()
    }
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.at).copied()
    }

    fn fail<T>(&self) -> Result<T, JsonError> {
        Err(JsonError::Syntax(self.at))
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, byte: u8) -> Result<(), JsonError> {
        if self.eat(byte) {
            Ok(())
        } else {
            self.fail()
        }
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    /// The text from `start` to here; both ends sit next to ASCII bytes,
    /// so they are character boundaries.
    fn since(&self, start: usize) -> &'a str {
        self.text.get(start..self.at).unwrap_or_default()
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, JsonError> {
        self.skip_space();
        let Some(first) = self.peek() else {
            return self.fail();
        };
        if matches!(first, b'[' | b'{') {
            if depth == MAX_DEPTH {
                return Err(JsonError::TooDeep);
            }
            self.at += 1;
            let close = first + 2; // `]` and `}` follow `[` and `{` by two.
            let mut items = Vec::new();
            let mut fields = Vec::new();
            self.skip_space();
            if !self.eat(close) {
                loop {
                    if first == b'{' {
                        self.skip_space();
                        let key = self.string()?;
                        self.skip_space();
                        self.expect(b':')?;
                        fields.push((key, self.value(depth + 1)?));
                    } else {
                        items.push(self.value(depth + 1)?);
                    }
                    self.skip_space();
                    if self.eat(close) {
                        break;
                    }
                    self.expect(b',')?;
                }
            }
            return Ok(if first == b'{' {
                Value::Object(fields)
            } else {
                Value::Array(items)
            });
        }
        let literal = |word: &str| self.text.as_bytes()[self.at..].starts_with(word.as_bytes());
        let (value, len) = match first {
            b'"' => return self.string().map(Value::String),
            b't' if literal("true") => (Value::Bool(true), 4),
            b'f' if literal("false") => (Value::Bool(false), 5),
            b'n' if literal("null") => (Value::Null, 4),
            _ => return self.number(),
        };
        self.at += len;
        Ok(value)
    }

    fn digits(&mut self) -> Result<(), JsonError> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return self.fail();
        }
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        Ok(())
    }

    fn number(&mut self) -> Result<Value<'a>, JsonError> {
        let start = self.at;
        self.eat(b'-');
        if !self.eat(b'0') {
            self.digits()?;
        }
        if self.eat(b'.') {
            self.digits()?;
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            self.digits()?;
        }
        Ok(Value::Number(self.since(start)))
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut code = 0;
        for _ in 0..4 {
            let Some(digit) = self.peek().and_then(|b| char::from(b).to_digit(16)) else {
                return self.fail();
            };
            code = code * 16 + digit;
            self.at += 1;
        }
        Ok(code)
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            let start = self.at;
            while self
                .peek()
                .is_some_and(|b| b != b'"' && b != b'\\' && b >= 0x20)
            {
                self.at += 1;
            }
            out.push_str(self.since(start));
            // Anything else (a control character, the end) is an error.
            if self.eat(b'"') {
                return Ok(out);
            }
            self.expect(b'\\')?;
            let escaped = match self.peek() {
                Some(b'u') => {
                    self.at += 1;
                    let mut code = self.hex4()?;
                    if (0xD800..0xDC00).contains(&code) {
                        // A leading surrogate must be followed by a trailing one.
                        if !(self.eat(b'\\') && self.eat(b'u')) {
                            return self.fail();
                        }
                        let low = self.hex4()?;
                        if !(0xDC00..0xE000).contains(&low) {
                            return self.fail();
                        }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                    }
                    // A lone trailing surrogate is no character.
                    let Some(c) = char::from_u32(code) else {
                        return self.fail();
                    };
                    out.push(c);
                    continue;
                }
                Some(b'"') => '"',
                Some(b'\\') => '\\',
                Some(b'/') => '/',
                Some(b'b') => '\u{8}',
                Some(b'f') => '\u{c}',
                Some(b'n') => '\n',
                Some(b'r') => '\r',
                Some(b't') => '\t',
                _ => return self.fail(),
            };
            self.at += 1;
            out.push(escaped);
        }
    }
}

/// `text` as a JSON string literal: in double quotes, with `"`, `\` and
/// control characters escaped exactly as serde_json escapes them. The page
/// shows echoed text this way, so invisible characters can be seen.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    write_str(&mut out, text);
    out
}

/// Appends `text` as a JSON string, escaped exactly as serde_json does
/// (`"`, `\` and control characters only), so both write the same bytes.
pub(crate) fn write_str(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\0'..='\u{1f}' => {
                let byte = c as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[byte >> 4]));
                out.push(char::from(HEX[byte & 15]));
            }
            _ => out.push(c),
        }
    }
    out.push('"');
}

/// A type read from one JSON value; `field` names it in errors.
pub(crate) trait FromJson: Sized {
    fn from_json(value: Value<'_>, field: &'static str) -> Result<Self, JsonError>;
}

impl FromJson for String {
    fn from_json(value: Value<'_>, field: &'static str) -> Result<Self, JsonError> {
        match value {
            Value::String(text) => Ok(text),
            _ => Err(JsonError::Invalid(field)),
        }
    }
}

impl FromJson for bool {
    fn from_json(value: Value<'_>, field: &'static str) -> Result<Self, JsonError> {
        match value {
            Value::Bool(b) => Ok(b),
            _ => Err(JsonError::Invalid(field)),
        }
    }
}

impl FromJson for u64 {
    /// Only plain non-negative integers (`7`, not `7.0`, `7e0` or `-0`), as
    /// serde_json reads integers.
    fn from_json(value: Value<'_>, field: &'static str) -> Result<Self, JsonError> {
        match value {
            Value::Number(text) if text.bytes().all(|b| b.is_ascii_digit()) => {
                text.parse().map_err(|_| JsonError::Invalid(field))
            }
            _ => Err(JsonError::Invalid(field)),
        }
    }
}

impl FromJson for u16 {
    fn from_json(value: Value<'_>, field: &'static str) -> Result<Self, JsonError> {
        u64::from_json(value, field)?
            .try_into()
            .map_err(|_| JsonError::Invalid(field))
    }
}

impl FromJson for usize {
    fn from_json(value: Value<'_>, field: &'static str) -> Result<Self, JsonError> {
        u64::from_json(value, field)?
            .try_into()
            .map_err(|_| JsonError::Invalid(field))
    }
}

impl<T: FromJson> FromJson for Vec<T> {
    fn from_json(value: Value<'_>, field: &'static str) -> Result<Self, JsonError> {
        match value {
            Value::Array(items) => items
                .into_iter()
                .map(|item| T::from_json(item, field))
                .collect(),
            _ => Err(JsonError::Invalid(field)),
        }
    }
}

/// `null` reads as `None`, like a missing field.
impl<T: FromJson> FromJson for Option<T> {
    fn from_json(value: Value<'_>, field: &'static str) -> Result<Self, JsonError> {
        match value {
            Value::Null => Ok(None),
            value => T::from_json(value, field).map(Some),
        }
    }
}

/// A pair is an array of exactly two values.
impl FromJson for (String, String) {
    fn from_json(value: Value<'_>, field: &'static str) -> Result<Self, JsonError> {
        match value {
            Value::Array(items) => match <[Value<'_>; 2]>::try_from(items) {
                Ok([a, b]) => Ok((String::from_json(a, field)?, String::from_json(b, field)?)),
                Err(_) => Err(JsonError::Invalid(field)),
            },
            _ => Err(JsonError::Invalid(field)),
        }
    }
}

/// An object's fields, taken out one at a time by name. Fields nobody asks
/// for are ignored (newer servers may add some), as serde does.
pub(crate) struct Fields<'a>(Vec<(String, Value<'a>)>);

impl<'a> Fields<'a> {
    /// The fields of an object.
    pub(crate) fn of(value: Value<'a>, field: &'static str) -> Result<Self, JsonError> {
        match value {
            Value::Object(fields) => Ok(Fields(fields)),
            _ => Err(JsonError::Invalid(field)),
        }
    }

    /// The raw value of `name`, if present; an error if given twice.
    pub(crate) fn take(&mut self, name: &'static str) -> Result<Option<Value<'a>>, JsonError> {
        let mut found = None;
        for (key, value) in &mut self.0 {
            if key == name {
                if found.is_some() {
                    return Err(JsonError::Invalid(name));
                }
                found = Some(std::mem::replace(value, Value::Null));
            }
        }
        Ok(found)
    }

    /// A field that must be present.
    pub(crate) fn get<T: FromJson>(&mut self, name: &'static str) -> Result<T, JsonError> {
        match self.take(name)? {
            Some(value) => T::from_json(value, name),
            None => Err(JsonError::Missing(name)),
        }
    }

    /// A field that may be absent (or `null`, for an `Option`): then the
    /// default.
    pub(crate) fn get_or_default<T: FromJson + Default>(
        &mut self,
        name: &'static str,
    ) -> Result<T, JsonError> {
        match self.take(name)? {
            Some(value) => T::from_json(value, name),
            None => Ok(T::default()),
        }
    }
}

/// Reads a struct whose fields are all read with `get` (required) or
/// `get_or_default` (optional): implements [`FromJson`], and a
/// `from_fields` function for a struct whose fields sit beside a message's
/// `type` tag.
macro_rules! from_json_struct {
    ($type:ident { $($field:ident: $how:ident),* $(,)? }) => {
        impl $type {
            pub(crate) fn from_fields(
                fields: &mut $crate::json::Fields<'_>,
            ) -> Result<Self, $crate::json::JsonError> {
                Ok($type {
                    $($field: fields.$how(stringify!($field))?,)*
                })
            }
        }

        impl $crate::json::FromJson for $type {
            fn from_json(
                value: $crate::json::Value<'_>,
                field: &'static str,
            ) -> Result<Self, $crate::json::JsonError> {
                Self::from_fields(&mut $crate::json::Fields::of(value, field)?)
            }
        }
    };
}
pub(crate) use from_json_struct;

/// Reads a whole document as a `T`.
pub(crate) fn from_str<T: FromJson>(text: &str) -> Result<T, JsonError> {
    T::from_json(parse(text)?, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_every_kind_of_value() {
        let value = parse(
            r#" {"a":[1,-2.5e3,true,false,null],"b":"x\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00"} "#,
        )
        .unwrap();
        assert_eq!(
            value,
            Value::Object(vec![
                (
                    "a".into(),
                    Value::Array(vec![
                        Value::Number("1"),
                        Value::Number("-2.5e3"),
                        Value::Bool(true),
                        Value::Bool(false),
                        Value::Null,
                    ])
                ),
                (
                    "b".into(),
                    Value::String("x\"\\/\u{8}\u{c}\n\r\té😀".into())
                ),
            ])
        );
        assert_eq!(parse("[]").unwrap(), Value::Array(vec![]));
        assert_eq!(parse("{ }").unwrap(), Value::Object(vec![]));
        assert_eq!(parse("\"한국어\"").unwrap(), Value::String("한국어".into()));
    }

    #[test]
    fn refuses_what_serde_json_refuses() {
        for bad in [
            "",
            " ",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\" 1}",
            "{a:1}",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "tru",
            "nul",
            "\"a",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\ud800\"",
            "\"\\ud800\\u0041\"",
            "\"\\udc00\"",
            "\"tab\there\"",
            "1 2",
            "[1] x",
            "NaN",
            "'a'",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
            assert!(
                serde_json::from_str::<serde_json::Value>(bad).is_err(),
                "{bad:?} parsed by serde_json"
            );
        }
    }

    #[test]
    fn deep_nesting_is_refused_without_overflowing_the_stack() {
        let deep = "[".repeat(100_000);
        assert_eq!(parse(&deep), Err(JsonError::TooDeep));
        let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn integers_are_plain_and_in_range() {
        let read = |text: &str| u64::from_json(parse(text).unwrap(), "n");
        assert_eq!(read("0"), Ok(0));
        assert_eq!(read("18446744073709551615"), Ok(u64::MAX));
        for bad in [
            "18446744073709551616",
            "-1",
            "-0",
            "1.0",
            "1e2",
            "\"1\"",
            "null",
        ] {
            assert_eq!(read(bad), Err(JsonError::Invalid("n")), "{bad}");
            assert!(serde_json::from_str::<u64>(bad).is_err(), "{bad}");
        }
        assert_eq!(
            u16::from_json(parse("65536").unwrap(), "n"),
            Err(JsonError::Invalid("n"))
        );
    }

    #[test]
    fn fields_given_twice_are_refused() {
        let mut fields = Fields::of(parse(r#"{"a":1,"a":2,"b":3}"#).unwrap(), "").unwrap();
        assert_eq!(fields.take("a"), Err(JsonError::Invalid("a")));
        assert_eq!(fields.get::<u64>("b"), Ok(3));
        assert_eq!(fields.get::<u64>("c"), Err(JsonError::Missing("c")));
        assert_eq!(fields.get_or_default::<Option<u64>>("c"), Ok(None));
    }

    #[test]
    fn errors_read_well() {
        assert_eq!(
            parse("{x").unwrap_err().to_string(),
            "not valid JSON (at byte 1)"
        );
        assert_eq!(JsonError::Missing("you").to_string(), "missing field `you`");
    }

    proptest! {
        #[test]
        fn strings_are_written_as_serde_json_writes_them(text in "\\PC*|[\\x00-\\x7f]*") {
            let mut ours = String::new();
            write_str(&mut ours, &text);
            prop_assert_eq!(&ours, &serde_json::to_string(&text).unwrap());
            prop_assert_eq!(parse(&ours).unwrap(), Value::String(text));
        }

        #[test]
        fn any_text_is_read_like_serde_json_reads_it(text in "[\\[\\]{}\",:0-9eE.+\\-\\\\ntrufalsu ]{0,24}") {
            let ours = parse(&text);
            let theirs = serde_json::from_str::<serde_json::Value>(&text);
            prop_assert_eq!(ours.is_ok(), theirs.is_ok(), "{:?}: {:?} / {:?}", text, ours, theirs);
        }
    }
}
