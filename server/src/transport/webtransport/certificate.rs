//! The WebTransport listener's certificate.
//!
//! HTTP/3 always runs over TLS, so a lab on `http://127.0.0.1` has no
//! certificate a browser trusts. WebTransport's way out is
//! `serverCertificateHashes`: the page names the SHA-256 of the
//! certificate it expects, and the browser accepts exactly that one, if
//! it is ECDSA (P-256 here) and valid for at most 14 days (Chromium's
//! rule). So without `--tls-cert`, the server makes such a certificate at
//! start-up, publishes its hash in `/api/info`, and makes a fresh one
//! before it expires ([`ROTATE_AFTER`]); open sessions keep the one they
//! shook hands with. With `--tls-cert`/`--tls-key` the files are used, as
//! for `https://`, and no hash is published (browsers check them as usual).

use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context as _;
use rcgen::{CertificateParams, KeyPair, PKCS_ECDSA_P256_SHA256};
use rustls_pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::OffsetDateTime;

/// How long a generated certificate is valid: under Chromium's 14 days,
/// with an hour's allowance for a client clock that runs behind.
const VALIDITY: Duration = Duration::from_secs(13 * 24 * 3600);

/// How early the start of validity is put, for clients whose clock is
/// behind the server's.
const BACKDATE: Duration = Duration::from_secs(3600);

/// When a generated certificate is replaced: long before it expires, so a
/// page that fetched the hash just before can still connect for days.
pub const ROTATE_AFTER: Duration = Duration::from_secs(6 * 24 * 3600);

/// One certificate with its key, and what the page needs to trust it.
pub struct Certificate {
    /// The chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: PrivateKeyDer<'static>,
    /// What `/api/info` says about it.
    pub published: Published,
}

/// What `/api/info` publishes about the current certificate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Published {
    /// SHA-256 of the leaf, lowercase hex: the page's
    /// `serverCertificateHashes`. `None` for a `--tls-cert` certificate.
    pub sha256: Option<String>,
    /// When a generated certificate stops being valid (RFC 3339, UTC).
    pub expires: Option<String>,
}

/// The published facts of the certificate in use, shared between the
/// listener (which rotates it) and `/api/info` (which reads it).
#[derive(Debug, Clone, Default)]
pub struct PublishedCell(Arc<RwLock<Published>>);

impl PublishedCell {
    /// The current facts.
    pub fn get(&self) -> Published {
        self.0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Replaces them (after a rotation).
    pub fn set(&self, published: Published) {
        *self
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = published;
    }
}

/// A fresh self-signed ECDSA P-256 certificate for `names` (host names
/// and IP literals), valid from an hour ago for [`VALIDITY`].
pub fn self_signed(names: &[String]) -> anyhow::Result<Certificate> {
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
        .context("cannot generate a P-256 key for WebTransport")?;
    let mut params = CertificateParams::new(names.to_vec())
        .context("cannot build the WebTransport certificate's names")?;
    let not_before = OffsetDateTime::now_utc() - BACKDATE;
    let not_after = not_before + VALIDITY;
    params.not_before = not_before;
    params.not_after = not_after;
    let cert = params
        .self_signed(&key)
        .context("cannot sign the WebTransport certificate")?;
    let der = cert.der().clone();
    let expires = not_after
        .format(&time::format_description::well_known::Rfc3339)
        .ok();
    Ok(Certificate {
        published: Published {
            sha256: Some(sha256_hex(&der)),
            expires,
        },
        chain: vec![der],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    })
}

/// The `--tls-cert`/`--tls-key` files, for QUIC.
pub fn from_files(cert: &Path, key: &Path) -> anyhow::Result<Certificate> {
    let (chain, key) = crate::net::tls::read_pem(cert, key)?;
    Ok(Certificate {
        chain,
        key,
        published: Published::default(),
    })
}

/// SHA-256 of a DER certificate, lowercase hex.
fn sha256_hex(der: &CertificateDer<'_>) -> String {
    let provider = web_transport_quinn::crypto::default_provider();
    web_transport_quinn::crypto::sha256(&provider, der)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_certificate_is_what_chromium_accepts_by_hash() {
        let cert = self_signed(&["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let hash = cert.published.sha256.unwrap();
        assert_eq!(hash.len(), 64);
        assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(VALIDITY < Duration::from_secs(14 * 24 * 3600));
        assert!(ROTATE_AFTER < VALIDITY);
        let expires = cert.published.expires.unwrap();
        assert!(expires.ends_with('Z'), "{expires}");
        let again = self_signed(&["localhost".to_owned()]).unwrap();
        assert_ne!(again.published.sha256.unwrap(), hash);
    }
}
