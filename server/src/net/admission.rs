//! Admission: how many connections, in total and per client address.
//!
//! Checked at the edge, cheaply, before any service runs, so one client (or
//! one address) cannot take the capacity everyone else shares.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use super::origin::OriginPolicy;

/// What the edge checks before a connection may become a session, on any
/// transport: where the page comes from, how many connections there are,
/// and whose address a connection carries.
#[derive(Debug, Clone)]
pub struct Admission {
    /// Which pages may open WebSockets.
    pub origins: Arc<OriginPolicy>,
    /// Open connections, in total and per IP.
    pub connections: ConnectionLimiter,
    /// Whether the client's address comes from `X-Forwarded-For`
    /// (`--trust-proxy`).
    pub trust_proxy: bool,
}

/// Counts open connections, in total and per client IP address.
#[derive(Debug, Clone)]
pub struct ConnectionLimiter {
    inner: Arc<Mutex<Counts>>,
    max_total: usize,
    max_per_ip: usize,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Why a connection was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// The server holds `--max-connections` already.
    #[error("the server is at its connection limit ({0}); try again later")]
    Total(usize),
    /// This IP address holds `--max-connections-per-ip` already.
    #[error("too many connections from your address (limit {0}); close some and try again")]
    PerIp(usize),
}

/// One admitted connection; dropping it frees the slot.
#[derive(Debug)]
pub struct ConnectionPermit {
    limiter: ConnectionLimiter,
    ip: IpAddr,
}

impl ConnectionLimiter {
    /// A limiter with the given caps.
    pub fn new(max_total: usize, max_per_ip: usize) -> Self {
        Self {
            inner: Arc::default(),
            max_total,
            max_per_ip,
        }
    }

    /// Takes a slot for `ip`, or says which cap is reached. IPv6 clients
    /// count by their /64, the block one subscriber gets: a single host
    /// can pick any address in it.
    pub fn try_acquire(&self, ip: IpAddr) -> Result<ConnectionPermit, Refused> {
        let ip = per_ip_key(ip);
        let mut counts = self.counts();
        if counts.total >= self.max_total {
            return Err(Refused::Total(self.max_total));
        }
        let mine = counts.per_ip.entry(ip).or_default();
        if *mine >= self.max_per_ip {
            return Err(Refused::PerIp(self.max_per_ip));
        }
        *mine += 1;
        counts.total += 1;
        Ok(ConnectionPermit {
            limiter: self.clone(),
            ip,
        })
    }

    /// Open connections right now.
    #[cfg(test)]
    pub fn open(&self) -> usize {
        self.counts().total
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        crate::sync::lock(&self.inner)
    }
}

/// The address a client counts under: an IPv4 address as it is (also when
/// it arrives IPv4-mapped), an IPv6 address as its /64 network.
fn per_ip_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        },
    }
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let mut counts = self.limiter.counts();
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.per_ip.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.per_ip.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let key = |s: &str| per_ip_key(s.parse().unwrap());
        assert_eq!(key("2001:db8:1:2::1"), key("2001:db8:1:2:ffff::9"));
        assert_ne!(key("2001:db8:1:2::1"), key("2001:db8:1:3::1"));
        assert_eq!(key("::ffff:192.0.2.1"), key("192.0.2.1"));
        assert_eq!(key("192.0.2.1").to_string(), "192.0.2.1");
    }

    #[test]
    fn connection_caps() {
        let limiter = ConnectionLimiter::new(3, 2);
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let a1 = limiter.try_acquire(a).unwrap();
        let _a2 = limiter.try_acquire(a).unwrap();
        assert_eq!(limiter.try_acquire(a).unwrap_err(), Refused::PerIp(2));
        let _b1 = limiter.try_acquire(b).unwrap();
        assert_eq!(limiter.try_acquire(b).unwrap_err(), Refused::Total(3));
        drop(a1);
        assert_eq!(limiter.open(), 2);
        assert!(limiter.try_acquire(b).is_ok());
    }
}
