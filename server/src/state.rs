//! What every request handler shares.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use socketlab_shared::relay::{TCP_ECHO, UDP_ECHO};
use socketlab_shared::TargetKind;

use crate::config::Config;
use crate::demo::{tcp_echo, udp_echo};
use crate::instance::InstanceId;
use crate::net::admission::{Admission, ConnectionLimiter};
use crate::net::origin::OriginPolicy;
use crate::service::chat::local::LocalBusConfig;
use crate::service::chat::nats::NatsOptions;
use crate::service::chat::{LocalBus, NatsBus, RoomBus, RoomLimits};
use crate::service::relay::udp::MAX_DATAGRAM;
use crate::service::relay::RelayLimits;
use crate::service::relay::{LiveTargets, RelayTargets};
use crate::shutdown::Shutdown;
use crate::telemetry::Metrics;

/// Read buffer of echo connections. tungstenite's default (128 KiB), which
/// the server's stream keeps as its default too, would
/// make every idle connection cost that much; larger frames are still
/// read, in more steps.
const SMALL_READ_BUFFER: usize = 4 * 1024;
/// Read buffer of chat and inspector connections: their frames are short
/// JSON, and a room of 10,000 members keeps 10,000 of these for as long as
/// it lasts (the stream allocates it whole when the socket opens). A
/// message near `--chat-max-message` (4 KiB) takes a few reads instead of
/// one.
const CHAT_READ_BUFFER: usize = 1024;
/// Read buffer of relay connections, which are few and carry bulk data.
const RELAY_READ_BUFFER: usize = 64 * 1024;
/// What the stream collects before it writes to the socket (tungstenite's
/// default).
const WRITE_BUFFER: usize = 128 * 1024;
/// Room past the largest frame for a close frame and a pong.
const CONTROL_SLACK: usize = 1024;
/// The largest frame chat or the inspector sends: a `welcome` (50 messages
/// of at most 2 KiB of text, quotes escaped, and a page of 100 members
/// with their instances) or an inspector report (a request head of at most
/// 32 KiB, escaped) stays well under it.
const CHAT_LARGEST_FRAME: usize = 512 * 1024;

/// Shared server state, cheap to clone into every filter.
#[derive(Clone)]
pub struct AppState {
    /// The configuration the server started with.
    pub config: Arc<Config>,
    /// The address the HTTP listener actually bound.
    pub local_addr: SocketAddr,
    /// Where chat rooms live.
    pub bus: Arc<dyn RoomBus>,
    /// Tracks connection tasks and tells them when to stop.
    pub shutdown: Shutdown,
    /// Where the relay may go (reloaded from `--relay-targets-file`).
    pub relay: LiveTargets,
    /// The built-in demo sockets that are running.
    pub demo: DemoSockets,
    /// What `tcp-echo` received first on recent connections (when running).
    pub tcp_captures: Option<tcp_echo::Captures>,
    /// Simulated network profiles of `udp-echo` (when running).
    pub udp_impairments: Option<udp_echo::Impairments>,
    /// Origin allow-list, connection caps, the client-address rule.
    pub admission: Admission,
    /// The host names this server answers to.
    pub hosts: Arc<crate::net::host::HostPolicy>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// `--web DIR`, served under `/web/`.
    pub web: Option<crate::routes::web::WebRoot>,
    /// Whether clients connect with TLS (`https://`, `wss://`).
    pub tls: bool,
    /// This instance's name and address, shown to clients.
    pub instance: InstanceId,
    /// The WebTransport listener, when it runs.
    pub webtransport: Option<WebTransportInfo>,
}

/// Where the WebTransport listener is, and its certificate's published
/// facts (they change when a generated certificate rotates).
#[derive(Debug, Clone)]
pub struct WebTransportInfo {
    /// The UDP address it bound.
    pub addr: SocketAddr,
    /// The certificate's hash and expiry, for `/api/info`.
    pub certificate: crate::transport::webtransport::certificate::PublishedCell,
}

/// Addresses of the built-in demo sockets; `None` when disabled.
#[derive(Debug, Clone, Copy, Default)]
pub struct DemoSockets {
    /// `tcp-echo`.
    pub tcp_echo: Option<SocketAddr>,
    /// `udp-echo`.
    pub udp_echo: Option<SocketAddr>,
    /// `tcp-chat`.
    pub tcp_chat: Option<SocketAddr>,
}

impl AppState {
    /// Builds what every handler shares from `config`: the room bus (which
    /// connects to NATS when `--bus` is given), the relay's allow-list with
    /// the running demo sockets added, the Origin policy and the
    /// connection caps. `local_addr` is the HTTP listener's real address;
    /// `webtransport` the WebTransport listener, when it runs.
    pub async fn new(
        config: Config,
        local_addr: SocketAddr,
        tls: bool,
        demo: DemoSockets,
        webtransport: Option<WebTransportInfo>,
    ) -> anyhow::Result<Self> {
        let instance = InstanceId {
            id: config
                .instance_id
                .clone()
                .unwrap_or_else(crate::instance::random_id),
            listen: local_addr.to_string(),
        };
        let bus = connect_bus(&config, &instance).await?;
        let mut relay = RelayTargets::resolve(&config.relay_targets).await?;
        if let Some(addr) = demo.tcp_echo {
            relay.insert(TCP_ECHO, TargetKind::Tcp, addr)?;
        }
        if let Some(addr) = demo.udp_echo {
            relay.insert(UDP_ECHO, TargetKind::Udp, addr)?;
        }
        let web = config
            .web
            .as_deref()
            .map(crate::routes::web::WebRoot::new)
            .transpose()?;
        let metrics = Metrics::new();
        let relay =
            LiveTargets::load(relay, config.relay_targets_file.clone(), metrics.clone()).await?;
        Ok(Self {
            tcp_captures: demo.tcp_echo.map(|_| tcp_echo::Captures::default()),
            udp_impairments: demo.udp_echo.map(|_| udp_echo::Impairments::default()),
            local_addr,
            bus,
            instance,
            shutdown: Shutdown::default(),
            relay,
            web,
            demo,
            hosts: Arc::new(crate::net::host::HostPolicy::new(
                local_addr.ip(),
                &config.public_hosts,
            )),
            admission: Admission {
                origins: Arc::new(OriginPolicy::new(
                    &allowed_origins(&config),
                    !config.require_origin,
                )),
                connections: ConnectionLimiter::new(
                    config.max_connections as usize,
                    config.max_connections_per_ip as usize,
                ),
                trust_proxy: config.trust_proxy,
            },
            config: Arc::new(config),
            metrics,
            tls,
            webtransport,
        })
    }

    /// This instance as clients see it (in `/api/info` and `welcome`).
    pub fn instance_info(&self) -> socketlab_shared::InstanceInfo {
        socketlab_shared::InstanceInfo {
            id: self.instance.id.clone(),
            listen: self.instance.listen.clone(),
            bus: if self.config.bus.is_empty() {
                "local"
            } else {
                "nats"
            }
            .to_owned(),
        }
    }

    /// The limits of one chat member's session, from the flags.
    pub fn chat_limits(&self) -> crate::service::chat::session::ChatLimits {
        crate::service::chat::session::ChatLimits {
            send_timeout: self.config.send_timeout(),
            rate: self.config.chat_rate,
            burst: self.config.chat_burst,
            keepalive: Some(self.config.keepalive()),
            instance: self.instance_info(),
        }
    }

    /// WebSocket limits for chat and the inspector: small, since they carry
    /// short JSON frames, so a hostile client cannot make the server buffer
    /// megabytes.
    pub fn chat_ws_config(&self) -> WebSocketConfig {
        limited(
            self.config.chat_max_message as usize,
            CHAT_LARGEST_FRAME,
            CHAT_READ_BUFFER,
        )
    }

    /// WebSocket limits for a relay: UDP messages must fit one datagram.
    pub fn relay_ws_config(&self, kind: TargetKind) -> WebSocketConfig {
        let max = match kind {
            TargetKind::Tcp | TargetKind::Unix => self.config.relay_max_message as usize,
            TargetKind::Udp => MAX_DATAGRAM,
        };
        // A read from a TCP target is a 64 KiB chunk, rarely a little more
        // (BytesMut may keep a larger spare capacity).
        limited(max, max.max(4 * RELAY_READ_BUFFER), RELAY_READ_BUFFER)
    }

    /// The relay's admission checks over `targets` (a snapshot of the
    /// allow-list), the same for every transport.
    pub fn relay_access<'a>(
        &'a self,
        targets: &'a crate::service::relay::RelayTargets,
    ) -> crate::service::relay::access::Access<'a> {
        crate::service::relay::access::Access {
            targets,
            token: self.config.relay_token.as_deref(),
            impairable: self.udp_impairments.is_some(),
            metrics: &self.metrics,
        }
    }

    /// The relay's timeouts.
    pub fn relay_limits(&self) -> RelayLimits {
        self.config.relay_limits()
    }

    /// WebSocket limits for echo.
    pub fn echo_ws_config(&self) -> WebSocketConfig {
        // Echo sends back what it received: at most the incoming limit.
        let max = self.config.echo_max_message as usize;
        limited(max, max, SMALL_READ_BUFFER)
    }
}

/// A WebSocket configuration whose incoming messages and frames are at
/// most `max`, and whose write buffer holds at most its usual batch
/// ([`WRITE_BUFFER`]) plus the largest frame the endpoint sends
/// (`largest_out`) plus a close frame.
///
/// Sends wait for the write buffer to drain (with a deadline); the cap
/// bounds it besides, and the stream keeps only the latest unsent pong, so
/// a client that sends pings and never reads cannot grow it; that client
/// is cut off by the send deadline like any client that does not read. A
/// frame that would not fit closes its client with 1013 (see
/// `transport::websocket::session`).
fn limited(max: usize, largest_out: usize, read_buffer: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(read_buffer)
        .write_buffer_size(WRITE_BUFFER)
        .max_write_buffer_size(WRITE_BUFFER + largest_out.max(max) + CONTROL_SLACK)
        .max_message_size(Some(max))
        .max_frame_size(Some(max))
}

/// Every room's limits, from the flags.
fn room_limits(config: &Config) -> RoomLimits {
    RoomLimits {
        backlog_bytes: config.chat_backlog_bytes as usize,
        presence_names: config.chat_presence_names as usize,
    }
}

/// The room bus `config` asks for: rooms in this process, or on NATS
/// JetStream (shared with other instances) when `--bus` is given.
async fn connect_bus(config: &Config, instance: &InstanceId) -> anyhow::Result<Arc<dyn RoomBus>> {
    if config.bus.is_empty() {
        return Ok(Arc::new(LocalBus::new(LocalBusConfig {
            limits: room_limits(config),
            max_rooms: config.max_rooms as usize,
            instance: instance.id.clone(),
        })));
    }
    let options = NatsOptions {
        urls: config.bus.clone(),
        creds: config.bus_creds.clone(),
        user_password: config.bus_user.clone().zip(config.bus_password.clone()),
        token: config.bus_token.clone(),
        tls_ca: config.bus_tls_ca.clone(),
        tls_required: config.bus_tls,
        max_age: Some(std::time::Duration::from_secs(
            config.bus_history_days * 24 * 60 * 60,
        )),
        max_bytes: Some(config.bus_max_bytes as i64),
        replicas: config.bus_replicas as usize,
        recover_within: Some(std::time::Duration::from_secs(config.bus_recover_secs)),
    };
    let bus = NatsBus::connect(
        &options,
        instance.clone(),
        room_limits(config),
        config.max_rooms as usize,
    )
    .await?;
    Ok(Arc::new(bus))
}

/// `--allowed-origin`, plus `trunk serve`'s pages with `--dev`.
fn allowed_origins(config: &Config) -> Vec<String> {
    let mut origins = config.allowed_origins.clone();
    if config.dev {
        origins.extend(
            crate::net::origin::TRUNK_SERVE_ORIGINS
                .iter()
                .map(|s| s.to_string()),
        );
    }
    origins
}
