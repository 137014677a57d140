//! TLS for `https://` and `wss://`, with rustls.
//!
//! warp 0.4 has no TLS of its own, so the listener wraps each accepted TCP
//! connection in a rustls handshake before HTTP starts. The certificate can
//! be replaced without a restart: on SIGHUP the files are read again and
//! new connections use them (open ones keep theirs).

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::Context as _;
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

/// The current certificate, swappable at run time.
#[derive(Clone)]
pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    acceptor: Arc<RwLock<TlsAcceptor>>,
}

impl Tls {
    /// Loads `cert` (PEM chain) and `key` (PEM private key); fails with a
    /// message naming the flag and the file.
    pub fn load(cert: &Path, key: &Path) -> anyhow::Result<Self> {
        let acceptor = acceptor(cert, key)?;
        Ok(Self {
            cert: cert.to_owned(),
            key: key.to_owned(),
            acceptor: Arc::new(RwLock::new(acceptor)),
        })
    }

    /// The acceptor for the next connection.
    pub fn acceptor(&self) -> TlsAcceptor {
        self.acceptor
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Reads the files again; on failure the old certificate stays in use.
    pub fn reload(&self) -> anyhow::Result<()> {
        let fresh = acceptor(&self.cert, &self.key)?;
        *self
            .acceptor
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        Ok(())
    }

    /// Reloads the certificate on every SIGHUP, until the process ends.
    #[cfg(unix)]
    pub async fn reload_on_sighup(self) {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hangups) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; certificate reload is off");
            return;
        };
        while hangups.recv().await.is_some() {
            match self.reload() {
                Ok(()) => tracing::info!(cert = %self.cert.display(), "TLS certificate reloaded"),
                Err(err) => {
                    tracing::error!("TLS certificate reload failed, keeping the old one: {err:#}")
                }
            }
        }
    }
}

/// Reads `cert` (PEM chain, `--tls-cert`) and `key` (PEM private key,
/// `--tls-key`); errors name the flag and the file. WebTransport's QUIC
/// listener reads the same files.
pub fn read_pem(
    cert: &Path,
    key: &Path,
) -> anyhow::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect())
        .with_context(|| {
            format!(
                "cannot read the certificate chain {} (--tls-cert): expected PEM \"BEGIN CERTIFICATE\" blocks",
                cert.display()
            )
        })?;
    if certs.is_empty() {
        anyhow::bail!("{} (--tls-cert) holds no certificate", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key).with_context(|| {
        format!(
            "cannot read the private key {} (--tls-key): expected a PEM private key",
            key.display()
        )
    })?;
    Ok((certs, key))
}

fn acceptor(cert: &Path, key: &Path) -> anyhow::Result<TlsAcceptor> {
    let (certs, key) = read_pem(cert, key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS set-up failed")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the certificate and key (--tls-cert, --tls-key) do not belong together")?;
    // WebSocket upgrades run over HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
