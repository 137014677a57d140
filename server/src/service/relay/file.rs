//! `--relay-targets-file FILE`: relay targets in a file of their own, in
//! one of two formats, chosen by the file's extension.
//!
//! - `*.toml`: one table per target, named by the table, with the options
//!   `--relay-target` takes in its query:
//!
//!   ```toml
//!   [mqtt]
//!   url = "tcp://127.0.0.1:1883"
//!   protocols = ["mqtt", "mqttv3.1"]   # or "mqtt,mqttv3.1"
//!   text = "bytes"                     # or "refuse"
//!   token = "a-long-random-secret"     # optional
//!   ```
//!
//! - anything else: websockify's token file (`--token-plugin TokenFile`),
//!   one `name: host:port` (or `name: unix_socket:/path`) per line, `#`
//!   comments, so its users point `socketlab` at the file they have.
//!
//! The extension decides rather than a guess from the content: a TOML
//! file with a typo must be reported as bad TOML at its line, not read as
//! some other format. Every error names the file and the line.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::spec::{parse_protocols, TargetSpec};

/// The targets in `text`, the content of the file at `path`.
pub fn parse(path: &Path, text: &str) -> Result<Vec<TargetSpec>, String> {
    let is_toml = path.extension().is_some_and(|e| e == "toml");
    let parsed = if is_toml {
        parse_toml(text)
    } else {
        parse_token_file(text)
    };
    parsed.map_err(|err| format!("{} (--relay-targets-file): {err}", path.display()))
}

/// One TOML table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Table {
    url: String,
    protocols: Option<Protocols>,
    text: Option<String>,
    token: Option<String>,
}

/// `protocols = ["a", "b"]` or `protocols = "a,b"`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Protocols {
    List(Vec<String>),
    Text(String),
}

fn parse_toml(text: &str) -> Result<Vec<TargetSpec>, String> {
    // toml's own errors say "at line N, column M" and quote the line.
    let tables: BTreeMap<String, toml::Spanned<Table>> = toml::from_str(text).map_err(|e| {
        format!(
            "not a valid targets file (TOML: each target is a table with url and \
             optionally protocols, text, token): {e}"
        )
    })?;
    let mut specs = Vec::with_capacity(tables.len());
    for (name, table) in tables {
        let line = line_of(text, table.span().start);
        let table = table.into_inner();
        let at = |err: String| format!("line {line}: [{name}]: {err}");
        if table.url.contains('?') {
            return Err(at(format!(
                "url {:?} has a query; write its options as keys of the table",
                table.url
            )));
        }
        let mut spec: TargetSpec = format!("{name}={}", table.url).parse().map_err(at)?;
        if let Some(protocols) = table.protocols {
            spec.options.protocols = match protocols {
                Protocols::List(list) => parse_protocols(list.iter().map(String::as_str), &name),
                Protocols::Text(text) => parse_protocols(text.split(','), &name),
            }
            .map_err(at)?;
        }
        if let Some(text) = table.text {
            spec.options.set("text", &text, &name).map_err(at)?;
        }
        if let Some(token) = table.token {
            spec.options.set("token", &token, &name).map_err(at)?;
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// websockify's `TokenFile`: `name: host:port` per line.
fn parse_token_file(text: &str) -> Result<Vec<TargetSpec>, String> {
    let mut specs: Vec<TargetSpec> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_number = index + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = |err: String| {
            format!(
                "line {line_number}: {err} (a websockify token file has one `name: host:port` \
                 per line; a file ending in .toml is read as TOML)"
            )
        };
        let Some((name, target)) = line.split_once(':') else {
            return Err(at(format!("{line:?} has no `:`")));
        };
        let (name, target) = (name.trim(), target.trim());
        let url = match target.strip_prefix("unix_socket:") {
            Some(path) => format!("unix://{}", path.trim()),
            None => format!("tcp://{target}"),
        };
        let spec: TargetSpec = format!("{name}={url}").parse().map_err(at)?;
        if specs.iter().any(|s| s.name == spec.name) {
            return Err(at(format!("{name:?} is given twice")));
        }
        specs.push(spec);
    }
    Ok(specs)
}

/// The 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(0, |before| before.matches('\n').count())
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::relay::SpecAddress;
    use socketlab_shared::{TargetKind, TextMode};

    #[test]
    fn reads_toml_tables() {
        let text = "# targets\n[mqtt]\nurl = \"tcp://127.0.0.1:1883\"\nprotocols = [\"mqtt\", \"mqttv3.1\"]\n\n\
                    [shell]\nurl = \"tcp://127.0.0.1:7000\"\ntext = \"refuse\"\ntoken = \"s\"\n\n\
                    [app]\nurl = \"unix:///run/app.sock\"\nprotocols = \"a,b\"\n";
        let specs = parse(Path::new("t.toml"), text).unwrap();
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["app", "mqtt", "shell"]);
        assert_eq!(specs[0].options.protocols, ["a", "b"]);
        assert_eq!(specs[0].kind, TargetKind::Unix);
        assert_eq!(specs[1].options.protocols, ["mqtt", "mqttv3.1"]);
        assert_eq!(specs[2].options.text, TextMode::Refuse);
        assert_eq!(specs[2].options.token.as_deref(), Some("s"));
    }

    #[test]
    fn toml_errors_name_the_file_and_the_line() {
        for (text, says) in [
            (
                "[a]\nurl = \"tcp://h:1\"\n\n[b]\nurl = \"tcp://h\"\n",
                "line 4: [b]",
            ),
            ("[a]\nurl = \"tcp://h:1\"\ntokn = \"x\"\n", "line 3"),
            ("[a]\nurl = \"tcp://h:1\"\ntext = \"yes\"\n", "line 1: [a]"),
            ("[a]\nurl = \"tcp://h:1?text=refuse\"\n", "has a query"),
            ("[a]\nurl = \"tcp://h:1\"\n[a]\n", "line 3"),
            ("[Bad]\nurl = \"tcp://h:1\"\n", "line 1"),
            ("[a\n", "line 1"),
        ] {
            let err = parse(Path::new("/etc/t.toml"), text).unwrap_err();
            assert!(
                err.starts_with("/etc/t.toml (--relay-targets-file): "),
                "{err}"
            );
            assert!(err.contains(says), "{text:?}: {err}");
        }
    }

    #[test]
    fn the_example_in_docs_is_valid() {
        let text = include_str!("../../../../docs/deploy/relay-targets.toml");
        let specs = parse(Path::new("relay-targets.toml"), text).unwrap();
        assert_eq!(specs.len(), 5);
    }

    #[test]
    fn reads_websockify_token_files() {
        let text = "# websockify tokens\nvnc1: 127.0.0.1:5901\n\n  vnc2 : localhost:5902\n\
                    app: unix_socket:/run/app.sock\n";
        let specs = parse(Path::new("tokens.conf"), text).unwrap();
        assert_eq!(specs.len(), 3);
        assert_eq!(specs[1].name, "vnc2");
        assert_eq!(
            specs[1].address,
            SpecAddress::Host {
                host: "localhost".to_owned(),
                port: 5902
            }
        );
        assert_eq!(specs[2].address, SpecAddress::Unix("/run/app.sock".into()));
        for (text, says) in [
            ("vnc1: 127.0.0.1:5901\nnonsense\n", "line 2"),
            ("vnc1 127.0.0.1\n", "no `:`"),
            ("a: h:1\na: h:2\n", "twice"),
            ("A: h:1\n", "line 1"),
        ] {
            let err = parse(Path::new("tokens"), text).unwrap_err();
            assert!(err.contains(says), "{text:?}: {err}");
        }
    }
}
