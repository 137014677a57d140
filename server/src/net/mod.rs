//! Plumbing under every transport: accepting connections, TLS, who the
//! client is, whether it may come in, and how many bytes it moved.
//!
//! - [`accept`]: accept loops that back off instead of spinning on EMFILE.
//! - [`deadline`]: the time limit on every send and flush.
//! - [`head`]: the per-line cap on a request head (414/431).
//! - [`listen`]: listening sockets with a backlog for a crowd.
//! - [`tls`]: the rustls acceptor, reloaded on SIGHUP.
//! - [`peer`]: the client's address ([`peer::PeerAddr`], X-Forwarded-For).
//! - [`admission`], [`origin`] and [`host`]: connection caps, the `Origin`
//!   allow-list, the `Host` allow-list.
//! - [`metered`]: byte counts per connection, below every codec.
//! - [`percent`]: `%XX` decoding of URL parts.
//! - [`write_deadline`]: the write deadline under hyper (HTTP answers
//!   included), a backstop behind the services' own.

pub mod accept;
pub mod admission;
pub mod deadline;
pub mod head;
pub mod host;
pub mod listen;
pub mod metered;
pub mod origin;
pub mod peer;
pub mod percent;
pub mod tls;
pub mod write_deadline;
