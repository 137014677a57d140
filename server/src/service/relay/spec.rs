//! A relay target as an operator writes it:
//! `NAME=tcp://HOST:PORT?protocols=a,b&text=bytes&token=SECRET`.
//!
//! A target is more than an address: which WebSocket subprotocols its
//! clients speak, what a text frame becomes, and whether it has a token of
//! its own are properties of the service behind it, so they are written
//! next to its address, in the URL's query. An option this server does not
//! know is an error at start-up, not silently ignored: a typo in `token`
//! must never leave a target open.

use std::str::FromStr;

use socketlab_shared::relay::{validate_target_name, BINARY_SUBPROTOCOL};
use socketlab_shared::{TargetKind, TextMode};

/// The options a target accepts, in the order the error messages list them.
pub const OPTIONS: [&str; 3] = ["protocols", "text", "token"];

/// What the example in every error message shows.
const USAGE: &str = "expected NAME=tcp://HOST:PORT, NAME=udp://HOST:PORT or \
                     NAME=unix:///PATH, optionally \
                     followed by ?protocols=P1,P2&text=bytes|refuse&token=SECRET, \
                     e.g. --relay-target vnc=tcp://127.0.0.1:5900";

/// A target as written on the command line, before name resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    /// The name clients use.
    pub name: String,
    /// TCP, UDP or a Unix socket.
    pub kind: TargetKind,
    /// Where it is.
    pub address: SpecAddress,
    /// Subprotocols, text frames, token.
    pub options: TargetOptions,
}

/// Where a target is, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SpecAddress {
    /// `HOST:PORT` of a TCP or UDP target; the host is resolved at start-up.
    Host {
        /// Host name or IP address.
        host: String,
        /// Port number.
        port: u16,
    },
    /// The absolute path of a Unix socket (`unix:///run/app.sock`); it
    /// need not exist yet: each relay connects when it starts.
    Unix(std::path::PathBuf),
}

/// A target's options (the URL's query).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetOptions {
    /// Subprotocols the target's clients may select besides `binary`
    /// (`protocols=mqtt,mqttv3.1`), in the operator's order.
    pub protocols: Vec<String>,
    /// What a text frame from the client becomes (`text=bytes|refuse`).
    pub text: TextMode,
    /// The target's own token (`token=SECRET`): when set, it is required
    /// instead of `--relay-token` for this target.
    pub token: Option<String>,
}

impl TargetOptions {
    /// Reads a query string (`protocols=a,b&text=refuse`); `target` names
    /// the target in errors. Values may be percent-encoded.
    pub fn parse_query(query: &str, target: &str) -> Result<Self, String> {
        let mut options = Self::default();
        let mut seen: Vec<&str> = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
            let value = crate::net::percent::decode(raw).ok_or_else(|| {
                format!(
                    "relay target {target:?}: option {key:?} is not valid percent-encoded UTF-8"
                )
            })?;
            options.set(key, &value, target)?;
            if seen.contains(&key) {
                return Err(format!(
                    "relay target {target:?}: option {key:?} is given twice; give it once"
                ));
            }
            seen.push(key);
        }
        Ok(options)
    }

    /// Sets one option from its text value.
    pub fn set(&mut self, key: &str, value: &str, target: &str) -> Result<(), String> {
        match key {
            "protocols" => self.protocols = parse_protocols(value.split(','), target)?,
            "text" => {
                self.text = TextMode::parse(value).ok_or_else(|| {
                    format!(
                        "relay target {target:?}: text={value:?} is not an option; \
                         use text=bytes (relay text frames as their UTF-8 bytes) or \
                         text=refuse (close with 1003)"
                    )
                })?
            }
            "token" => {
                if value.is_empty() {
                    return Err(format!(
                        "relay target {target:?}: token= is empty; give a long random secret"
                    ));
                }
                self.token = Some(value.to_owned());
            }
            other => {
                return Err(format!(
                    "relay target {target:?}: unknown option {other:?}; the options are {}",
                    OPTIONS.join(", ")
                ))
            }
        }
        Ok(())
    }
}

/// Checks a list of subprotocol names: each is an HTTP token (RFC 6455
/// section 4.1), the list has no duplicates; `binary` is always accepted
/// and so is dropped from the list.
pub fn parse_protocols<'a>(
    names: impl IntoIterator<Item = &'a str>,
    target: &str,
) -> Result<Vec<String>, String> {
    let mut protocols: Vec<String> = Vec::new();
    for name in names.into_iter().map(str::trim) {
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(format!(
                "relay target {target:?}: {name:?} is not a subprotocol name; a name is \
                 letters, digits and !#$%&'*+-.^_`|~ (RFC 6455), e.g. protocols=mqtt,mqttv3.1"
            ));
        }
        if name.starts_with(super::access::TOKEN_SUBPROTOCOL_PREFIX) {
            return Err(format!(
                "relay target {target:?}: subprotocol {name:?} would be read as a token; \
                 use the token= option for a token"
            ));
        }
        if name != BINARY_SUBPROTOCOL && !protocols.iter().any(|p| p == name) {
            protocols.push(name.to_owned());
        }
    }
    Ok(protocols)
}

/// RFC 7230 `tchar`: what a subprotocol name may be made of.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

impl FromStr for TargetSpec {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let (name, url) = spec
            .split_once('=')
            .ok_or_else(|| format!("{spec:?}: {USAGE}"))?;
        let name = name.trim();
        validate_target_name(name)?;
        let (address, query) = url.split_once('?').unwrap_or((url, ""));
        let options = TargetOptions::parse_query(query, name)?;
        if let Some(path) = address.strip_prefix("unix://") {
            if !path.starts_with('/') || path.len() < 2 {
                return Err(format!(
                    "{spec:?}: a Unix socket target needs an absolute path, \
                     e.g. app=unix:///run/app.sock (three slashes); {USAGE}"
                ));
            }
            return Ok(Self {
                name: name.to_owned(),
                kind: TargetKind::Unix,
                address: SpecAddress::Unix(path.into()),
                options,
            });
        }
        let (kind, rest) = if let Some(rest) = address.strip_prefix("tcp://") {
            (TargetKind::Tcp, rest)
        } else if let Some(rest) = address.strip_prefix("udp://") {
            (TargetKind::Udp, rest)
        } else {
            return Err(format!("{spec:?}: unknown scheme; {USAGE}"));
        };
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| format!("{spec:?}: missing port; {USAGE}"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(format!("{spec:?}: missing host; {USAGE}"));
        }
        let port: u16 = port
            .parse()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("{spec:?}: port must be 1-65535; {USAGE}"))?;
        Ok(Self {
            name: name.to_owned(),
            kind,
            address: SpecAddress::Host {
                host: host.to_owned(),
                port,
            },
            options,
        })
    }
}

/// One `--relay-target` value or `SOCKETLAB_RELAY_TARGETS`: one target, or
/// several separated by commas.
///
/// A comma also separates `protocols=a,b`, so a comma starts a new target
/// only where `NAME=SCHEME://` follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetList(pub Vec<TargetSpec>);

impl FromStr for TargetList {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut pieces: Vec<String> = Vec::new();
        for piece in text.split(',') {
            match pieces.last_mut() {
                Some(last) if !starts_a_target(piece) => {
                    last.push(',');
                    last.push_str(piece);
                }
                _ => pieces.push(piece.to_owned()),
            }
        }
        pieces
            .iter()
            .map(|p| p.trim().parse())
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

/// Whether `piece` begins with `NAME=SCHEME://`.
fn starts_a_target(piece: &str) -> bool {
    let Some((name, url)) = piece.trim_start().split_once('=') else {
        return false;
    };
    validate_target_name(name).is_ok()
        && url
            .split_once("://")
            .is_some_and(|(scheme, _)| scheme.bytes().all(|b| b.is_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let spec: TargetSpec = "vnc=tcp://127.0.0.1:5900".parse().unwrap();
        assert_eq!(spec.name, "vnc");
        assert_eq!(spec.kind, TargetKind::Tcp);
        let host = |host: &str, port| SpecAddress::Host {
            host: host.to_owned(),
            port,
        };
        assert_eq!(spec.address, host("127.0.0.1", 5900));
        assert_eq!(spec.options, TargetOptions::default());
        let spec: TargetSpec = "dns=udp://[::1]:53".parse().unwrap();
        assert_eq!(
            (spec.kind, spec.address),
            (TargetKind::Udp, host("::1", 53))
        );
        let spec: TargetSpec = "app=unix:///run/app.sock?text=refuse".parse().unwrap();
        assert_eq!(spec.kind, TargetKind::Unix);
        assert_eq!(spec.address, SpecAddress::Unix("/run/app.sock".into()));
        assert_eq!(spec.options.text, TextMode::Refuse);
        for bad in [
            "vnc",
            "vnc=127.0.0.1:5900",
            "vnc=http://x:1",
            "vnc=tcp://x",
            "vnc=tcp://:80",
            "vnc=tcp://x:0",
            "vnc=tcp://x:99999",
            "VNC=tcp://x:1",
            "=tcp://x:1",
            "app=unix://run/app.sock",
            "app=unix:///",
            "app=unix:///x?tokn=1",
        ] {
            assert!(bad.parse::<TargetSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn parses_options() {
        let spec: TargetSpec =
            "mqtt=tcp://127.0.0.1:1883?protocols=mqtt,mqttv3.1,binary&text=refuse&token=a%26b"
                .parse()
                .unwrap();
        assert!(matches!(spec.address, SpecAddress::Host { port: 1883, .. }));
        assert_eq!(spec.options.protocols, ["mqtt", "mqttv3.1"]);
        assert_eq!(spec.options.text, TextMode::Refuse);
        assert_eq!(spec.options.token.as_deref(), Some("a&b"));
        let spec: TargetSpec = "shell=tcp://127.0.0.1:7000?text=bytes".parse().unwrap();
        assert_eq!(spec.options.text, TextMode::Bytes);
        for (bad, says) in [
            (
                "x=tcp://h:1?tokn=s",
                "unknown option \"tokn\"; the options are protocols, text, token",
            ),
            ("x=tcp://h:1?text=yes", "text=bytes"),
            ("x=tcp://h:1?token=", "empty"),
            ("x=tcp://h:1?token=a&token=b", "twice"),
            ("x=tcp://h:1?protocols=a,,b", "not a subprotocol name"),
            ("x=tcp://h:1?protocols=a%20b", "not a subprotocol name"),
            ("x=tcp://h:1?protocols=token.x", "token="),
            ("x=tcp://h:1?token=%zz", "percent-encoded"),
        ] {
            let err = bad.parse::<TargetSpec>().unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }

    #[test]
    fn a_list_splits_only_where_a_target_starts() {
        let list: TargetList =
            "mqtt=tcp://127.0.0.1:1883?protocols=mqtt,mqttv3.1, dns=udp://127.0.0.1:53"
                .parse()
                .unwrap();
        let names: Vec<&str> = list.0.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["mqtt", "dns"]);
        assert_eq!(list.0[0].options.protocols, ["mqtt", "mqttv3.1"]);
        assert!("a=tcp://h:1,b=tcp://h".parse::<TargetList>().is_err());
    }
}
