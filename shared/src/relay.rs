//! The relay: how a page reaches a raw TCP or UDP socket through the server.
//!
//! A web page can only open WebSockets (and HTTP, WebRTC, WebTransport),
//! never a plain TCP or UDP socket. `/ws/relay/{name}` carries binary
//! WebSocket messages to and from a *named, allow-listed* target: the client
//! picks a name, never a host or port, so the relay is not an open proxy.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::json::{self, from_json_struct, FromJson, JsonError, Value};

/// Longest relay target name (same alphabet and limit as room names).
pub const TARGET_NAME_MAX: usize = 32;
/// The subprotocol websockify and noVNC use for raw binary relaying.
pub const BINARY_SUBPROTOCOL: &str = "binary";
/// Name of the built-in TCP echo target.
pub const TCP_ECHO: &str = "tcp-echo";
/// Name of the built-in UDP echo target.
pub const UDP_ECHO: &str = "udp-echo";

/// Whether a relay target speaks TCP (a byte stream), UDP (datagrams) or
/// is a Unix domain socket (a byte stream on this machine).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetKind {
    /// A byte stream: message boundaries are not preserved.
    Tcp,
    /// Datagrams: one WebSocket message is one datagram.
    Udp,
    /// A Unix domain stream socket: relayed exactly as TCP is.
    Unix,
}

impl fmt::Display for TargetKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TargetKind::Tcp => "tcp",
            TargetKind::Udp => "udp",
            TargetKind::Unix => "unix",
        })
    }
}

impl FromJson for TargetKind {
    fn from_json(value: Value<'_>, field: &'static str) -> Result<Self, JsonError> {
        match String::from_json(value, field)?.as_str() {
            "tcp" => Ok(TargetKind::Tcp),
            "udp" => Ok(TargetKind::Udp),
            "unix" => Ok(TargetKind::Unix),
            _ => Err(JsonError::Invalid(field)),
        }
    }
}

/// What the relay does with a WebSocket *text* frame from the client, per
/// target (`?text=` in `--relay-target`).
///
/// Relays carry bytes. Many real clients still send text frames (xterm.js's
/// attach addon sends keystrokes as text), so the default relays a text
/// frame's UTF-8 payload as bytes; `refuse` closes with 1003 instead, for
/// targets where text can only be a client's mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TextMode {
    /// A text frame's UTF-8 payload is relayed as bytes.
    #[default]
    Bytes,
    /// A text frame closes the relay with 1003.
    Refuse,
}

impl TextMode {
    /// The option's value as written in `?text=`.
    pub fn as_str(self) -> &'static str {
        match self {
            TextMode::Bytes => "bytes",
            TextMode::Refuse => "refuse",
        }
    }

    /// Reads `bytes` or `refuse`.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "bytes" => Some(TextMode::Bytes),
            "refuse" => Some(TextMode::Refuse),
            _ => None,
        }
    }
}

impl fmt::Display for TextMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromJson for TextMode {
    fn from_json(value: Value<'_>, field: &'static str) -> Result<Self, JsonError> {
        TextMode::parse(&String::from_json(value, field)?).ok_or(JsonError::Invalid(field))
    }
}

/// Checks a relay target name: 1–32 characters of `[a-z0-9_-]`, so names
/// are safe in URL paths.
pub fn validate_target_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > TARGET_NAME_MAX {
        return Err(format!(
            "a relay target name has 1 to {TARGET_NAME_MAX} characters, got {}",
            name.len()
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-'))
    {
        return Err(format!(
            "relay target name {name:?} may not contain {c:?}; use a-z, 0-9, '_' and '-'"
        ));
    }
    Ok(())
}

/// What the simulated network does to `udp-echo`'s replies, chosen by the
/// page per connection so UDP's nature shows even on loopback.
///
/// Passed as the relay URL's query: `?loss=0.2&duplicate=0.05&reorder=0.1&delay_ms=20`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Impairment {
    /// Probability (0–0.9) that a reply is dropped.
    pub loss: f64,
    /// Probability (0–0.5) that a reply is sent twice.
    pub duplicate: f64,
    /// Probability (0–0.9) that a reply is held back and overtaken.
    pub reorder: f64,
    /// Base delay of every reply, 0–1000 ms.
    pub delay_ms: u32,
}

impl Impairment {
    /// Largest accepted `loss` and `reorder`.
    pub const MAX_PROBABILITY: f64 = 0.9;
    /// Largest accepted `duplicate`.
    pub const MAX_DUPLICATE: f64 = 0.5;
    /// Largest accepted `delay_ms`.
    pub const MAX_DELAY_MS: u32 = 1000;

    /// Accepts only bounded parameters, so no client can make the server
    /// hold thousands of delayed datagrams or amplify traffic.
    pub fn validate(&self) -> Result<(), String> {
        let check = |name: &str, value: f64, max: f64| {
            if value.is_finite() && (0.0..=max).contains(&value) {
                Ok(())
            } else {
                Err(format!("{name} must be between 0 and {max}, got {value}"))
            }
        };
        check("loss", self.loss, Self::MAX_PROBABILITY)?;
        check("duplicate", self.duplicate, Self::MAX_DUPLICATE)?;
        check("reorder", self.reorder, Self::MAX_PROBABILITY)?;
        if self.delay_ms > Self::MAX_DELAY_MS {
            return Err(format!(
                "delay_ms must be at most {}, got {}",
                Self::MAX_DELAY_MS,
                self.delay_ms
            ));
        }
        Ok(())
    }

    /// Whether the network is perfect (nothing to simulate).
    pub fn is_none(&self) -> bool {
        *self == Self::default()
    }

    /// The query string for a relay URL (empty when nothing is simulated).
    pub fn to_query(&self) -> String {
        if self.is_none() {
            return String::new();
        }
        format!(
            "loss={}&duplicate={}&reorder={}&delay_ms={}",
            self.loss, self.duplicate, self.reorder, self.delay_ms
        )
    }
}

/// An [`Impairment`] whose probabilities are whole percents, as the page's
/// sliders choose them.
///
/// Its query and its validation are exactly those of the [`Impairment`] it
/// stands for ([`PercentImpairment::impairment`]), but computed with
/// integers: formatting floats would add about 16 KB of code to the page's
/// WebAssembly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PercentImpairment {
    /// Percent of replies dropped (0–90).
    pub loss: u32,
    /// Percent of replies sent twice (0–50).
    pub duplicate: u32,
    /// Percent of replies held back and overtaken (0–90).
    pub reorder: u32,
    /// Base delay of every reply, 0–1000 ms.
    pub delay_ms: u32,
}

impl PercentImpairment {
    /// The impairment it stands for: each probability is `percent / 100`.
    pub fn impairment(&self) -> Impairment {
        let probability = |percent: u32| f64::from(percent) / 100.0;
        Impairment {
            loss: probability(self.loss),
            duplicate: probability(self.duplicate),
            reorder: probability(self.reorder),
            delay_ms: self.delay_ms,
        }
    }

    /// [`Impairment::validate`] of [`PercentImpairment::impairment`], with
    /// the same messages.
    pub fn validate(&self) -> Result<(), String> {
        // Impairment's limits, in percent (90 and 50).
        const MAX_PROBABILITY: u32 = (Impairment::MAX_PROBABILITY * 100.0) as u32;
        const MAX_DUPLICATE: u32 = (Impairment::MAX_DUPLICATE * 100.0) as u32;
        let check = |name: &str, percent: u32, max: u32| {
            if percent <= max {
                Ok(())
            } else {
                Err(format!(
                    "{name} must be between 0 and {}, got {}",
                    percent_text(max),
                    percent_text(percent)
                ))
            }
        };
        check("loss", self.loss, MAX_PROBABILITY)?;
        check("duplicate", self.duplicate, MAX_DUPLICATE)?;
        check("reorder", self.reorder, MAX_PROBABILITY)?;
        if self.delay_ms > Impairment::MAX_DELAY_MS {
            return Err(format!(
                "delay_ms must be at most {}, got {}",
                Impairment::MAX_DELAY_MS,
                self.delay_ms
            ));
        }
        Ok(())
    }

    /// [`Impairment::to_query`] of [`PercentImpairment::impairment`]: empty
    /// when nothing is simulated.
    pub fn to_query(&self) -> String {
        if *self == Self::default() {
            return String::new();
        }
        format!(
            "loss={}&duplicate={}&reorder={}&delay_ms={}",
            percent_text(self.loss),
            percent_text(self.duplicate),
            percent_text(self.reorder),
            self.delay_ms
        )
    }
}

/// `percent / 100` as `f64`'s `Display` shows it: `0`, `0.07`, `0.5`, `1.5`.
fn percent_text(percent: u32) -> String {
    let (whole, hundredths) = (percent / 100, percent % 100);
    match hundredths {
        0 => whole.to_string(),
        _ if hundredths % 10 == 0 => format!("{whole}.{}", hundredths / 10),
        _ => format!("{whole}.{hundredths:02}"),
    }
}

/// The first bytes a client sent to the built-in `tcp-echo` socket.
///
/// Shows what a *browser* sends when pointed at a raw TCP port: not the
/// page's bytes, but an HTTP request (`GET ... Upgrade: websocket`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpCapture {
    /// The client's socket address, `IP:PORT`.
    pub peer: String,
    /// When the connection was accepted, ms since the Unix epoch.
    pub at_ms: u64,
    /// The first bytes received (at most [`TcpCapture::MAX_BYTES`]), as text
    /// with invalid UTF-8 replaced.
    pub text: String,
    /// How many bytes were captured.
    pub len: usize,
}

impl TcpCapture {
    /// How many bytes of each connection are kept.
    pub const MAX_BYTES: usize = 2048;

    /// Reads the body of `GET /api/tcp-echo/captures`, a JSON list (with the
    /// small reader in [`crate::json`], as the page does).
    pub fn list_from_json(text: &str) -> Result<Vec<Self>, JsonError> {
        json::from_str(text)
    }
}

from_json_struct!(TcpCapture {
    peer: get,
    at_ms: get,
    text: get,
    len: get,
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_names() {
        assert!(validate_target_name("tcp-echo").is_ok());
        assert!(validate_target_name("vnc_1").is_ok());
        assert!(validate_target_name("").is_err());
        assert!(validate_target_name("Bad").is_err());
        assert!(validate_target_name("a/b").is_err());
        assert!(validate_target_name(&"a".repeat(33)).is_err());
    }

    #[test]
    fn percent_impairments_act_as_the_impairments_they_stand_for() {
        for percent in 0..=1000 {
            assert_eq!(
                percent_text(percent),
                (f64::from(percent) / 100.0).to_string()
            );
        }
        for (loss, duplicate, reorder, delay_ms) in [
            (0, 0, 0, 0),
            (10, 5, 20, 20),
            (0, 0, 0, 1),
            (1, 0, 0, 0),
            (90, 50, 90, 1000),
            (91, 0, 0, 0),
            (0, 51, 0, 0),
            (0, 0, 100, 0),
            (0, 0, 0, 1001),
            (7, 33, 150, 5),
        ] {
            let percents = PercentImpairment {
                loss,
                duplicate,
                reorder,
                delay_ms,
            };
            let impairment = percents.impairment();
            assert_eq!(percents.validate(), impairment.validate(), "{percents:?}");
            assert_eq!(percents.to_query(), impairment.to_query(), "{percents:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn any_percent_impairment_acts_as_its_impairment(
            loss in 0_u32..200,
            duplicate in 0_u32..200,
            reorder in 0_u32..200,
            delay_ms in 0_u32..2000,
        ) {
            let percents = PercentImpairment { loss, duplicate, reorder, delay_ms };
            let impairment = percents.impairment();
            proptest::prop_assert_eq!(percents.validate(), impairment.validate());
            proptest::prop_assert_eq!(percents.to_query(), impairment.to_query());
        }
    }

    #[test]
    fn impairment_bounds() {
        assert!(Impairment::default().validate().is_ok());
        let ok = Impairment {
            loss: 0.2,
            duplicate: 0.1,
            reorder: 0.3,
            delay_ms: 50,
        };
        assert!(ok.validate().is_ok());
        for bad in [
            Impairment { loss: 1.0, ..ok },
            Impairment { loss: -0.1, ..ok },
            Impairment {
                loss: f64::NAN,
                ..ok
            },
            Impairment {
                duplicate: 0.6,
                ..ok
            },
            Impairment { reorder: 2.0, ..ok },
            Impairment {
                delay_ms: 5000,
                ..ok
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        assert_eq!(
            ok.to_query(),
            "loss=0.2&duplicate=0.1&reorder=0.3&delay_ms=50"
        );
        assert_eq!(Impairment::default().to_query(), "");
    }
}
