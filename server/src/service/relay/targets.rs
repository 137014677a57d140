//! The allow-list of relay targets: `NAME=tcp://HOST:PORT` or `NAME=udp://HOST:PORT`.
//!
//! Host names are resolved once, at start-up: what the relay can reach is
//! fixed when the server starts and shown in `/api/info`, and a DNS change
//! cannot redirect it later.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::str::FromStr;

use socketlab_shared::relay::validate_target_name;
use socketlab_shared::{RelayTargetInfo, TargetKind};

/// A target as written on the command line, before name resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    /// The name clients use.
    pub name: String,
    /// TCP or UDP.
    pub kind: TargetKind,
    /// Host name or IP address.
    pub host: String,
    /// Port number.
    pub port: u16,
}

impl FromStr for TargetSpec {
    type Err = String;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let usage = "expected NAME=tcp://HOST:PORT or NAME=udp://HOST:PORT, \
                     e.g. --relay-target vnc=tcp://127.0.0.1:5900";
        let (name, url) = spec
            .split_once('=')
            .ok_or_else(|| format!("{spec:?}: {usage}"))?;
        let name = name.trim();
        validate_target_name(name)?;
        let (kind, rest) = if let Some(rest) = url.strip_prefix("tcp://") {
            (TargetKind::Tcp, rest)
        } else if let Some(rest) = url.strip_prefix("udp://") {
            (TargetKind::Udp, rest)
        } else {
            return Err(format!("{spec:?}: unknown scheme; {usage}"));
        };
        let (host, port) = rest
            .rsplit_once(':')
            .ok_or_else(|| format!("{spec:?}: missing port; {usage}"))?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() {
            return Err(format!("{spec:?}: missing host; {usage}"));
        }
        let port: u16 = port
            .parse()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| format!("{spec:?}: port must be 1-65535; {usage}"))?;
        Ok(Self {
            name: name.to_owned(),
            kind,
            host: host.to_owned(),
            port,
        })
    }
}

/// A resolved target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayTarget {
    /// TCP or UDP.
    pub kind: TargetKind,
    /// The resolved socket address.
    pub addr: SocketAddr,
}

/// Every target the relay may reach, by name.
#[derive(Debug, Clone, Default)]
pub struct RelayTargets {
    targets: BTreeMap<String, RelayTarget>,
}

impl RelayTargets {
    /// Resolves every spec; fails naming the flag and the target that did
    /// not resolve, or a name given twice.
    pub async fn resolve(specs: &[TargetSpec]) -> anyhow::Result<Self> {
        let mut targets = Self::default();
        for spec in specs {
            let addr = tokio::net::lookup_host((spec.host.as_str(), spec.port))
                .await
                .ok()
                .and_then(|mut addrs| addrs.next())
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "relay target {:?} (--relay-target / SOCKETLAB_RELAY_TARGETS): \
                         cannot resolve host {:?}; use an IP address or a name this machine resolves",
                        spec.name,
                        spec.host
                    )
                })?;
            targets.insert(&spec.name, spec.kind, addr)?;
        }
        Ok(targets)
    }

    /// Adds a target; a name may be used once.
    pub fn insert(&mut self, name: &str, kind: TargetKind, addr: SocketAddr) -> anyhow::Result<()> {
        if self.targets.contains_key(name) {
            anyhow::bail!(
                "relay target {name:?} is defined twice (--relay-target, or a built-in demo socket \
                 of that name); give each target its own name"
            );
        }
        self.targets
            .insert(name.to_owned(), RelayTarget { kind, addr });
        Ok(())
    }

    /// The target called `name`, if allow-listed.
    pub fn get(&self, name: &str) -> Option<RelayTarget> {
        self.targets.get(name).copied()
    }

    /// For `/api/info`.
    pub fn describe(&self) -> Vec<RelayTargetInfo> {
        self.targets
            .iter()
            .map(|(name, target)| RelayTargetInfo {
                name: name.clone(),
                kind: target.kind,
                addr: target.addr.to_string(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_specs() {
        let spec: TargetSpec = "vnc=tcp://127.0.0.1:5900".parse().unwrap();
        assert_eq!(spec.name, "vnc");
        assert_eq!(spec.kind, TargetKind::Tcp);
        assert_eq!((spec.host.as_str(), spec.port), ("127.0.0.1", 5900));
        let spec: TargetSpec = "dns=udp://[::1]:53".parse().unwrap();
        assert_eq!((spec.kind, spec.host.as_str()), (TargetKind::Udp, "::1"));
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
        ] {
            assert!(bad.parse::<TargetSpec>().is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn resolves_once_and_rejects_duplicates() {
        let specs: Vec<TargetSpec> = vec![
            "a=tcp://localhost:7".parse().unwrap(),
            "b=udp://127.0.0.1:9".parse().unwrap(),
        ];
        let targets = RelayTargets::resolve(&specs).await.unwrap();
        assert!(targets.get("a").unwrap().addr.ip().is_loopback());
        assert_eq!(targets.get("b").unwrap().kind, TargetKind::Udp);
        assert!(targets.get("c").is_none());
        let dup = vec![specs[0].clone(), specs[0].clone()];
        let err = RelayTargets::resolve(&dup).await.unwrap_err().to_string();
        assert!(err.contains("twice"), "{err}");
    }
}
