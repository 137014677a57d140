//! The allow-list as it is now: the fixed targets (`--relay-target` and
//! the built-in demo sockets) plus those of `--relay-targets-file`, which
//! is read again on SIGHUP and whenever it changes.
//!
//! A reload builds a whole new [`RelayTargets`] and swaps it in, so a
//! request sees either the old set or the new one, never half of each. A
//! relay that is already running holds its own copy of its target and is
//! left alone; a removed target only refuses *new* connections (404). A
//! file that does not parse, or names a host that does not resolve, keeps
//! the old set and logs why, with the line.
//!
//! Changes are noticed by polling the file's modification time and size
//! (one `stat` every [`POLL`]): no watcher crate and no inotify limits,
//! and it works the same on every file system, including the bind mounts
//! and ConfigMaps containers get.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, SystemTime};

use super::{file, RelayTargets};
use crate::shutdown::Shutdown;
use crate::telemetry::Metrics;

/// How often the file's modification time is checked.
pub const POLL: Duration = Duration::from_secs(1);

/// The current allow-list; cheap to clone.
#[derive(Clone)]
pub struct LiveTargets {
    inner: Arc<Inner>,
}

struct Inner {
    current: RwLock<Arc<RelayTargets>>,
    /// `--relay-target` and the demo sockets, resolved once.
    fixed: RelayTargets,
    /// `--relay-targets-file`, if any.
    file: Option<PathBuf>,
    /// The file's modification time and size when it was last read.
    stamp: Mutex<Option<(SystemTime, u64)>>,
    metrics: Metrics,
}

impl LiveTargets {
    /// The fixed targets plus those of `file`. At start-up a bad file is
    /// an error: there is no old set to keep.
    pub async fn load(
        fixed: RelayTargets,
        file: Option<PathBuf>,
        metrics: Metrics,
    ) -> anyhow::Result<Self> {
        let stamp = match &file {
            Some(path) => stamp(path).await,
            None => None,
        };
        let live = Self {
            inner: Arc::new(Inner {
                current: RwLock::new(Arc::new(fixed.clone())),
                fixed,
                file,
                stamp: Mutex::new(stamp),
                metrics,
            }),
        };
        let targets = live.read().await?;
        live.swap(targets);
        Ok(live)
    }

    /// The targets now.
    pub fn current(&self) -> Arc<RelayTargets> {
        self.inner
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reads the file again; on failure the current set stays, and the
    /// error (naming the file and the line) is returned.
    pub async fn reload(&self) -> anyhow::Result<()> {
        let Some(path) = &self.inner.file else {
            return Ok(());
        };
        *self
            .inner
            .stamp
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = stamp(path).await;
        let read = self.read().await;
        self.inner.metrics.relay_targets_reloaded(read.is_ok());
        let fresh = read?;
        let old = self.current();
        let names = |t: &RelayTargets| t.names().map(str::to_owned).collect::<Vec<_>>();
        let (before, after) = (names(&old), names(&fresh));
        let added: Vec<&str> = after
            .iter()
            .filter(|n| !before.contains(n))
            .map(String::as_str)
            .collect();
        let removed: Vec<&str> = before
            .iter()
            .filter(|n| !after.contains(n))
            .map(String::as_str)
            .collect();
        tracing::info!(
            file = %path.display(),
            targets = after.len(),
            added = %added.join(","),
            removed = %removed.join(","),
            "relay targets reloaded; running relays are left alone"
        );
        self.swap(fresh);
        Ok(())
    }

    /// Reloads on SIGHUP and when the file changes, until the server
    /// shuts down. Does nothing without a file. SIGHUP is listened for
    /// from this call on, before the future first runs, so a SIGHUP sent
    /// once the server answers is never missed (or fatal).
    pub fn watch(self, shutdown: Shutdown) -> impl std::future::Future<Output = ()> + Send {
        let mut hangups = self.inner.file.as_ref().and_then(|_| hangups());
        async move {
            let Some(path) = self.inner.file.clone() else {
                return;
            };
            let mut poll = tokio::time::interval(POLL);
            poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let why = tokio::select! {
                    () = shutdown.begun() => return,
                    _ = poll.tick() => {
                        let now = stamp(&path).await;
                        if now == *self.inner.stamp.lock().unwrap_or_else(PoisonError::into_inner) {
                            continue;
                        }
                        "the file changed"
                    }
                    Some(()) = next_hangup(&mut hangups) => "SIGHUP",
                };
                if let Err(err) = self.reload().await {
                    tracing::error!(
                        reason = why,
                        "relay targets not reloaded, keeping the {} current ones: {err:#}",
                        self.current().names().count()
                    );
                }
            }
        }
    }

    /// The fixed targets plus the file's, resolved.
    async fn read(&self) -> anyhow::Result<RelayTargets> {
        let mut targets = self.inner.fixed.clone();
        let Some(path) = &self.inner.file else {
            return Ok(targets);
        };
        let text = tokio::fs::read_to_string(path).await.map_err(|e| {
            anyhow::anyhow!("cannot read {} (--relay-targets-file): {e}", path.display())
        })?;
        let specs = file::parse(path, &text).map_err(anyhow::Error::msg)?;
        targets.add_resolved(&specs).await?;
        Ok(targets)
    }

    fn swap(&self, targets: RelayTargets) {
        *self
            .inner
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Arc::new(targets);
    }
}

/// The file's modification time and size, `None` when it cannot be read.
async fn stamp(path: &std::path::Path) -> Option<(SystemTime, u64)> {
    let meta = tokio::fs::metadata(path).await.ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = Option<()>;

#[cfg(unix)]
fn hangups() -> Hangups {
    use tokio::signal::unix::{signal, SignalKind};
    signal(SignalKind::hangup())
        .inspect_err(|e| tracing::warn!("cannot listen for SIGHUP ({e}); the targets file is still reloaded when it changes"))
        .ok()
}
#[cfg(not(unix))]
fn hangups() -> Hangups {
    None
}

/// The next SIGHUP; never, if they cannot be listened for.
async fn next_hangup(hangups: &mut Hangups) -> Option<()> {
    #[cfg(unix)]
    if let Some(signal) = hangups {
        return signal.recv().await;
    }
    let _ = hangups;
    std::future::pending().await
}
