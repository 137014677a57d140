//! The allow-list of relay targets, resolved from their [`TargetSpec`]s.
//!
//! Host names are resolved once, at start-up (a Unix socket's path is
//! kept as written): what the relay can reach is
//! fixed when the server starts and shown in `/api/info`, and a DNS change
//! cannot redirect it later.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use socketlab_shared::{RelayTargetInfo, TargetKind};

use super::spec::{SpecAddress, TargetOptions, TargetSpec};

/// Where a resolved target is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetAddr {
    /// A TCP target.
    Tcp(SocketAddr),
    /// A UDP target.
    Udp(SocketAddr),
    /// A Unix domain stream socket, relayed as TCP is.
    Unix(PathBuf),
}

impl TargetAddr {
    /// TCP, UDP or Unix.
    pub fn kind(&self) -> TargetKind {
        match self {
            TargetAddr::Tcp(_) => TargetKind::Tcp,
            TargetAddr::Udp(_) => TargetKind::Udp,
            TargetAddr::Unix(_) => TargetKind::Unix,
        }
    }
}

impl fmt::Display for TargetAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TargetAddr::Tcp(addr) | TargetAddr::Udp(addr) => addr.fmt(f),
            TargetAddr::Unix(path) => write!(f, "unix://{}", path.display()),
        }
    }
}

/// A resolved target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayTarget {
    /// Where it is (and so whether it is TCP, UDP or Unix).
    pub addr: TargetAddr,
    /// Subprotocols, text frames, token (shared by every session to it).
    pub options: Arc<TargetOptions>,
}

impl RelayTarget {
    /// TCP, UDP or Unix.
    pub fn kind(&self) -> TargetKind {
        self.addr.kind()
    }
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
        targets.add_resolved(specs).await?;
        Ok(targets)
    }

    /// Resolves and adds every spec, failing as [`RelayTargets::resolve`].
    pub async fn add_resolved(&mut self, specs: &[TargetSpec]) -> anyhow::Result<()> {
        for spec in specs {
            self.insert_with(&spec.name, resolve(spec).await?, spec.options.clone())?;
        }
        Ok(())
    }

    /// Every target's name, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.targets.keys().map(String::as_str)
    }

    /// Adds a TCP or UDP target with the default options (the built-in
    /// demo sockets); a name may be used once.
    pub fn insert(&mut self, name: &str, kind: TargetKind, addr: SocketAddr) -> anyhow::Result<()> {
        let addr = match kind {
            TargetKind::Udp => TargetAddr::Udp(addr),
            TargetKind::Tcp | TargetKind::Unix => TargetAddr::Tcp(addr),
        };
        self.insert_with(name, addr, TargetOptions::default())
    }

    /// Adds a target; a name may be used once.
    pub fn insert_with(
        &mut self,
        name: &str,
        addr: TargetAddr,
        options: TargetOptions,
    ) -> anyhow::Result<()> {
        if self.targets.contains_key(name) {
            anyhow::bail!(
                "relay target {name:?} is defined twice (in --relay-target, --relay-targets-file, \
                 or as a built-in demo socket); give each target its own name"
            );
        }
        let options = Arc::new(options);
        self.targets
            .insert(name.to_owned(), RelayTarget { addr, options });
        Ok(())
    }

    /// The target called `name`, if allow-listed.
    pub fn get(&self, name: &str) -> Option<RelayTarget> {
        self.targets.get(name).cloned()
    }

    /// Every target, by name, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &RelayTarget)> {
        self.targets
            .iter()
            .map(|(name, target)| (name.as_str(), target))
    }

    /// For `/api/info`: each target's options, and its address unless it
    /// needs a token (its own, or `--relay-token` when `global_token`).
    pub fn describe(&self, global_token: bool) -> Vec<RelayTargetInfo> {
        self.iter()
            .map(|(name, target)| {
                let token = global_token || target.options.token.is_some();
                RelayTargetInfo {
                    name: name.to_owned(),
                    kind: target.kind(),
                    addr: (!token).then(|| target.addr.to_string()),
                    protocols: target.options.protocols.clone(),
                    text: target.options.text,
                    token,
                }
            })
            .collect()
    }
}

/// Where `spec` is: its host name resolved (the first address), or its
/// Unix socket's path.
async fn resolve(spec: &TargetSpec) -> anyhow::Result<TargetAddr> {
    let (host, port) = match &spec.address {
        SpecAddress::Unix(path) => return Ok(TargetAddr::Unix(path.clone())),
        SpecAddress::Host { host, port } => (host.as_str(), *port),
    };
    let addr = tokio::net::lookup_host((host, port))
        .await
        .ok()
        .and_then(|mut addrs| addrs.next())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "relay target {:?} (--relay-target, --relay-targets-file): \
                 cannot resolve host {host:?}; use an IP address or a name this machine resolves",
                spec.name,
            )
        })?;
    Ok(match spec.kind {
        TargetKind::Udp => TargetAddr::Udp(addr),
        TargetKind::Tcp | TargetKind::Unix => TargetAddr::Tcp(addr),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn resolves_once_and_rejects_duplicates() {
        let specs: Vec<TargetSpec> = vec![
            "a=tcp://localhost:7".parse().unwrap(),
            "b=udp://127.0.0.1:9".parse().unwrap(),
        ];
        let targets = RelayTargets::resolve(&specs).await.unwrap();
        assert!(
            matches!(targets.get("a").unwrap().addr, TargetAddr::Tcp(a) if a.ip().is_loopback())
        );
        assert_eq!(targets.get("b").unwrap().kind(), TargetKind::Udp);
        assert!(targets.get("c").is_none());
        let dup = vec![specs[0].clone(), specs[0].clone()];
        let err = RelayTargets::resolve(&dup).await.unwrap_err().to_string();
        assert!(err.contains("twice"), "{err}");
    }
}
