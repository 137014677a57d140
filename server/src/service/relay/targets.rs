//! The allow-list of relay targets, resolved from their [`TargetSpec`]s.
//!
//! Host names are resolved once, at start-up: what the relay can reach is
//! fixed when the server starts and shown in `/api/info`, and a DNS change
//! cannot redirect it later.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use socketlab_shared::{RelayTargetInfo, TargetKind};

use super::spec::{TargetOptions, TargetSpec};

/// A resolved target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayTarget {
    /// TCP or UDP.
    pub kind: TargetKind,
    /// The resolved socket address.
    pub addr: SocketAddr,
    /// Subprotocols, text frames, token (shared by every session to it).
    pub options: Arc<TargetOptions>,
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
            targets.insert_with(&spec.name, spec.kind, addr, spec.options.clone())?;
        }
        Ok(targets)
    }

    /// Adds a target with the default options; a name may be used once.
    pub fn insert(&mut self, name: &str, kind: TargetKind, addr: SocketAddr) -> anyhow::Result<()> {
        self.insert_with(name, kind, addr, TargetOptions::default())
    }

    /// Adds a target; a name may be used once.
    pub fn insert_with(
        &mut self,
        name: &str,
        kind: TargetKind,
        addr: SocketAddr,
        options: TargetOptions,
    ) -> anyhow::Result<()> {
        if self.targets.contains_key(name) {
            anyhow::bail!(
                "relay target {name:?} is defined twice (--relay-target, or a built-in demo socket \
                 of that name); give each target its own name"
            );
        }
        let options = Arc::new(options);
        self.targets.insert(
            name.to_owned(),
            RelayTarget {
                kind,
                addr,
                options,
            },
        );
        Ok(())
    }

    /// The target called `name`, if allow-listed.
    pub fn get(&self, name: &str) -> Option<RelayTarget> {
        self.targets.get(name).cloned()
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
