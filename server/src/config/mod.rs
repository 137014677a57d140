//! Command-line flags, each also readable from a `SOCKETLAB_*` variable.
//!
//! Every tunable lives here, with its default, so `socketlab --help` is the
//! complete list and the README's flags table can be checked against it.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;

mod file;

use crate::service::relay::{TargetList, TargetSpec};

/// The server's configuration.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "socketlab",
    version,
    about = "Socketlab: see and use the difference between network sockets and WebSockets.",
    long_about = "Serves the Socketlab page and its WebSocket endpoints (/ws/chat, /ws/echo, \
                  /ws/inspect) from one binary. Every flag can also be set through the \
                  environment variable shown next to it."
)]
pub struct Config {
    /// A TOML file with any of these settings (keys are the flag names:
    /// `listen = "0.0.0.0:8080"`, `relay-target = ["vnc=tcp://127.0.0.1:5900"]`).
    /// Flags and environment variables override it.
    #[arg(long, env = "SOCKETLAB_CONFIG", value_name = "FILE")]
    pub config: Option<std::path::PathBuf>,

    /// Address for HTTP and WebSocket clients; port 0 picks a free port.
    #[arg(long, env = "SOCKETLAB_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// PEM certificate chain: serve https:// and wss:// (with --tls-key).
    /// SIGHUP reloads it.
    #[arg(
        long,
        env = "SOCKETLAB_TLS_CERT",
        value_name = "PEM",
        requires = "tls_key"
    )]
    pub tls_cert: Option<std::path::PathBuf>,

    /// PEM private key of --tls-cert.
    #[arg(
        long,
        env = "SOCKETLAB_TLS_KEY",
        value_name = "PEM",
        requires = "tls_cert"
    )]
    pub tls_key: Option<std::path::PathBuf>,

    /// Serve this directory under /web/ (index.html for directories, no
    /// listings, nothing outside it), e.g. --web /usr/share/novnc: another
    /// application's page, on the relay's own origin.
    #[arg(long, env = "SOCKETLAB_WEB", value_name = "DIR")]
    pub web: Option<std::path::PathBuf>,

    /// UDP address of the WebTransport (HTTP/3) listener. Default: the IP
    /// and port number of --listen, on UDP (a socket is an address, a port
    /// and a protocol, so both can have the same number).
    #[arg(
        long,
        env = "SOCKETLAB_WEBTRANSPORT_LISTEN",
        value_name = "ADDR",
        conflicts_with = "no_webtransport"
    )]
    pub webtransport_listen: Option<SocketAddr>,

    /// Do not start the WebTransport listener (/wt/echo, /wt/relay/NAME).
    #[arg(long, env = "SOCKETLAB_NO_WEBTRANSPORT")]
    pub no_webtransport: bool,

    /// Log filter in `RUST_LOG` syntax (RUST_LOG, when set, wins).
    #[arg(long, env = "SOCKETLAB_LOG", default_value = "info")]
    pub log: String,

    /// Log line format: `text` for people, `json` for log collectors.
    #[arg(long, env = "SOCKETLAB_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Seconds to keep serving HTTP after a shutdown signal, with /readyz
    /// answering 503, so a load balancer stops sending traffic first.
    /// WebSockets are closed with 1001 at once either way.
    #[arg(long, env = "SOCKETLAB_DRAIN_SECS", default_value_t = 0,
          value_parser = clap::value_parser!(u64).range(0..=600))]
    pub drain_secs: u64,

    /// NATS server for chat rooms shared by many instances, e.g.
    /// nats://127.0.0.1:4222 (repeatable for a cluster; needs JetStream).
    /// Without it, rooms live in this process.
    #[arg(
        long = "bus",
        value_name = "NATS_URL",
        env = "SOCKETLAB_BUS",
        value_delimiter = ','
    )]
    pub bus: Vec<String>,

    /// NATS credentials file (.creds, JWT + NKey).
    #[arg(long, env = "SOCKETLAB_BUS_CREDS", value_name = "FILE")]
    pub bus_creds: Option<std::path::PathBuf>,

    /// NATS user (with --bus-password).
    #[arg(long, env = "SOCKETLAB_BUS_USER", requires = "bus_password")]
    pub bus_user: Option<String>,

    /// NATS password (with --bus-user).
    #[arg(
        long,
        env = "SOCKETLAB_BUS_PASSWORD",
        hide_env_values = true,
        requires = "bus_user"
    )]
    pub bus_password: Option<String>,

    /// NATS token.
    #[arg(long, env = "SOCKETLAB_BUS_TOKEN", hide_env_values = true)]
    pub bus_token: Option<String>,

    /// CA certificate (PEM) for TLS to NATS; turns TLS on.
    #[arg(long, env = "SOCKETLAB_BUS_TLS_CA", value_name = "PEM")]
    pub bus_tls_ca: Option<std::path::PathBuf>,

    /// Require TLS to NATS (with the system's roots unless --bus-tls-ca).
    #[arg(long, env = "SOCKETLAB_BUS_TLS")]
    pub bus_tls: bool,

    /// Days a chat message stays in the NATS stream (the newest 50 per room
    /// are the history; this ends rooms nobody uses any more).
    #[arg(long, env = "SOCKETLAB_BUS_HISTORY_DAYS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3650))]
    pub bus_history_days: u64,

    /// Size limit of the NATS chat stream in bytes; the oldest messages go
    /// first.
    #[arg(long, env = "SOCKETLAB_BUS_MAX_BYTES", default_value_t = 1 << 30,
          value_parser = clap::value_parser!(u64).range(1_048_576..=1 << 40))]
    pub bus_max_bytes: u64,

    /// Copies NATS keeps of the chat stream and the members bucket: 3 on a
    /// three-node JetStream cluster survives losing a node; at most the
    /// cluster's size. Applied when the stream is created (the chat
    /// stream's is updated at every start).
    #[arg(long, env = "SOCKETLAB_BUS_REPLICAS", default_value_t = 1,
          value_parser = clap::value_parser!(u8).range(1..=5))]
    pub bus_replicas: u8,

    /// Seconds a chat room's reader may try to reopen its feed from NATS
    /// after losing it (a node or the stream's leader gone) before the
    /// room's members here are closed with 1013, so that their clients
    /// reconnect, rather than left in a room that hears nothing.
    #[arg(long, env = "SOCKETLAB_BUS_RECOVER_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub bus_recover_secs: u64,

    /// This instance's name in /api/info and in heartbeats to other
    /// instances (default: a random one).
    #[arg(long, env = "SOCKETLAB_INSTANCE_ID")]
    pub instance_id: Option<String>,

    /// No longer used (accepted so existing command lines still start): a
    /// chat member's backlog is bounded in bytes, see --chat-backlog-bytes.
    #[arg(long, env = "SOCKETLAB_CHAT_QUEUE", default_value_t = 256, hide = true,
          value_parser = clap::value_parser!(u32).range(8..=65_536))]
    pub chat_queue: u32,

    /// Bytes of room events a chat member may leave unread before it is
    /// closed as too slow (1013). A member whose socket accepts nothing for
    /// --send-timeout-secs is closed too, whatever its backlog.
    #[arg(long, env = "SOCKETLAB_CHAT_BACKLOG_BYTES", default_value_t = 1 << 20,
          value_parser = clap::value_parser!(u64).range(4096..=(1 << 30)))]
    pub chat_backlog_bytes: u64,

    /// Rooms with more members than this get `presence` with counts only;
    /// the page asks for names in pages.
    #[arg(long, env = "SOCKETLAB_CHAT_PRESENCE_NAMES", default_value_t = 500,
          value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub chat_presence_names: u32,

    /// Most chat rooms kept at once; empty rooms are forgotten first.
    #[arg(long, env = "SOCKETLAB_MAX_ROOMS", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_rooms: u32,

    /// Seconds a write to a client may take before the client is dropped.
    #[arg(long, env = "SOCKETLAB_SEND_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub send_timeout_secs: u64,

    /// Seconds a client may take to send its HTTP request head.
    #[arg(long, env = "SOCKETLAB_HEADER_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout_secs: u64,

    /// Largest HTTP request head (request line and headers) in bytes;
    /// bigger is answered 431, as nginx and other front ends do.
    #[arg(long, env = "SOCKETLAB_MAX_REQUEST_HEAD", default_value_t = 32 * 1024,
          value_parser = clap::value_parser!(u32).range(8192..=1_048_576))]
    pub max_request_head: u32,

    /// Longest single line of a request head in bytes: the request line
    /// (414 above, as nginx answers) or one header line (431 above).
    /// 8 KiB, as nginx's and Apache's defaults.
    #[arg(long, env = "SOCKETLAB_MAX_HEADER_LINE", default_value_t = 8 * 1024,
          value_parser = clap::value_parser!(u32).range(1024..=1_048_576))]
    pub max_header_line: u32,

    /// A relay target, NAME=tcp://HOST:PORT or NAME=udp://HOST:PORT, with
    /// options in the query: ?protocols=P1,P2 (subprotocols its clients may
    /// select besides `binary`), text=bytes|refuse (what a text frame
    /// becomes; default bytes), token=SECRET (its own token, required
    /// instead of --relay-token). Repeatable (comma-separated in the
    /// variable). Clients reach it at /ws/relay/NAME and can reach nothing
    /// else.
    #[arg(
        long = "relay-target",
        value_name = "NAME=URL",
        env = "SOCKETLAB_RELAY_TARGETS"
    )]
    relay_target_lists: Vec<TargetList>,

    /// Every `--relay-target`, one entry per target (filled from the flag
    /// by [`Config::load_from`] and [`Config::with_listen`]; set it directly
    /// when embedding).
    #[arg(skip)]
    pub relay_targets: Vec<TargetSpec>,

    /// More relay targets, in a file read again on SIGHUP and when it
    /// changes (running relays are left alone; a bad file keeps the old
    /// targets). FILE.toml: one table per target (url, protocols, text,
    /// token); any other name: websockify's token file (`name: host:port`
    /// per line).
    #[arg(long, env = "SOCKETLAB_RELAY_TARGETS_FILE", value_name = "FILE")]
    pub relay_targets_file: Option<std::path::PathBuf>,

    /// Seconds the relay waits for a TCP target to accept a connection.
    #[arg(long, env = "SOCKETLAB_RELAY_CONNECT_TIMEOUT_SECS", default_value_t = 5,
          value_parser = clap::value_parser!(u64).range(1..=300))]
    pub relay_connect_timeout_secs: u64,

    /// Seconds without a byte in either direction before a TCP relay closes.
    #[arg(long, env = "SOCKETLAB_RELAY_TCP_IDLE_SECS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub relay_tcp_idle_secs: u64,

    /// Seconds without a datagram in either direction before a UDP relay closes.
    #[arg(long, env = "SOCKETLAB_RELAY_UDP_IDLE_SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub relay_udp_idle_secs: u64,

    /// Port of the built-in TCP echo socket (on --listen's IP; 0 picks one).
    #[arg(long, env = "SOCKETLAB_TCP_ECHO_PORT", default_value_t = 0)]
    pub tcp_echo_port: u16,

    /// Port of the built-in UDP echo socket (on --listen's IP; 0 picks one).
    #[arg(long, env = "SOCKETLAB_UDP_ECHO_PORT", default_value_t = 0)]
    pub udp_echo_port: u16,

    /// Port of the built-in line-based TCP chat door (on --listen's IP; 0 picks one).
    #[arg(long, env = "SOCKETLAB_TCP_CHAT_PORT", default_value_t = 0)]
    pub tcp_chat_port: u16,

    /// Seconds an nc door client may type nothing before it is closed.
    #[arg(long, env = "SOCKETLAB_DOOR_IDLE_SECS", default_value_t = 600,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub door_idle_secs: u64,

    /// Seconds a tcp-echo client may send nothing before it is closed.
    #[arg(long, env = "SOCKETLAB_DEMO_IDLE_SECS", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub demo_idle_secs: u64,

    /// Do not start the built-in TCP echo socket (nor its relay target).
    #[arg(long, env = "SOCKETLAB_NO_TCP_ECHO")]
    pub no_tcp_echo: bool,

    /// Do not start the built-in UDP echo socket (nor its relay target).
    #[arg(long, env = "SOCKETLAB_NO_UDP_ECHO")]
    pub no_udp_echo: bool,

    /// Do not start the built-in TCP chat door.
    #[arg(long, env = "SOCKETLAB_NO_TCP_CHAT")]
    pub no_tcp_chat: bool,

    /// Largest chat message (frame) in bytes; bigger closes with 1009.
    #[arg(long, env = "SOCKETLAB_CHAT_MAX_MESSAGE", default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(256..=1_048_576))]
    pub chat_max_message: u32,

    /// Largest echo message in bytes; bigger closes with 1009.
    #[arg(long, env = "SOCKETLAB_ECHO_MAX_MESSAGE", default_value_t = 16 * 1024 * 1024,
          value_parser = clap::value_parser!(u32).range(256..=67_108_864))]
    pub echo_max_message: u32,

    /// Largest message into a TCP relay in bytes; bigger closes with 1009.
    #[arg(long, env = "SOCKETLAB_RELAY_MAX_MESSAGE", default_value_t = 1024 * 1024,
          value_parser = clap::value_parser!(u32).range(1024..=67_108_864))]
    pub relay_max_message: u32,

    /// Most open WebSocket connections; more get HTTP 503.
    #[arg(long, env = "SOCKETLAB_MAX_CONNECTIONS", default_value_t = 10_000,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Most open WebSocket connections from one IP address; more get HTTP 503.
    #[arg(long, env = "SOCKETLAB_MAX_CONNECTIONS_PER_IP", default_value_t = 256,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_ip: u32,

    /// Chat frames per second one connection may send (sustained).
    #[arg(long, env = "SOCKETLAB_CHAT_RATE", default_value_t = 10.0,
          value_parser = rate_per_second)]
    pub chat_rate: f64,

    /// Chat frames one connection may send at once before the rate applies.
    #[arg(long, env = "SOCKETLAB_CHAT_BURST", default_value_t = 20,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    pub chat_burst: u32,

    /// Seconds of silence after which the server pings a WebSocket client.
    #[arg(long, env = "SOCKETLAB_PING_INTERVAL_SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub ping_interval_secs: u64,

    /// Seconds to wait for any frame after a ping before closing (1001).
    #[arg(long, env = "SOCKETLAB_PONG_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub pong_timeout_secs: u64,

    /// A page origin allowed to open WebSockets besides the server's own
    /// (repeatable; `*` allows any).
    #[arg(
        long = "allowed-origin",
        value_name = "ORIGIN",
        env = "SOCKETLAB_ALLOWED_ORIGINS",
        value_delimiter = ','
    )]
    pub allowed_origins: Vec<String>,

    /// A host name this server answers to besides localhost, loopback and
    /// the --listen IP (repeatable): its public name, e.g. lab.example.org.
    /// Requests for other names get 421 (that stops DNS rebinding).
    #[arg(
        long = "public-host",
        value_name = "NAME",
        env = "SOCKETLAB_PUBLIC_HOSTS",
        value_delimiter = ','
    )]
    pub public_hosts: Vec<String>,

    /// Development: also allow the pages of `trunk serve` (127.0.0.1:8081,
    /// localhost:8081) to open WebSockets. Never in production.
    #[arg(long, env = "SOCKETLAB_DEV")]
    pub dev: bool,

    /// Refuse WebSocket upgrades that carry no Origin header (non-browser clients).
    #[arg(long, env = "SOCKETLAB_REQUIRE_ORIGIN")]
    pub require_origin: bool,

    /// Behind a reverse proxy: take the client's address from the last
    /// X-Forwarded-For entry (for per-IP limits and logs). Only set this when
    /// every connection comes through a proxy you run.
    #[arg(long, env = "SOCKETLAB_TRUST_PROXY")]
    pub trust_proxy: bool,

    /// A secret the relay requires, as `?token=` or as a `token.SECRET`
    /// subprotocol; missing gives 401, wrong gives 403.
    #[arg(long, env = "SOCKETLAB_RELAY_TOKEN", hide_env_values = true)]
    pub relay_token: Option<String>,
}

/// `--chat-rate`: a finite number of messages per second, 0.01 to 1,000,000
/// (NaN or infinity would turn the limit off without saying so).
fn rate_per_second(raw: &str) -> Result<f64, String> {
    let rate: f64 = raw
        .trim()
        .parse()
        .map_err(|_| format!("{raw:?} is not a number; give messages per second, e.g. 10"))?;
    if rate.is_finite() && (0.01..=1_000_000.0).contains(&rate) {
        Ok(rate)
    } else {
        Err(format!(
            "{raw:?} is out of range; give 0.01 to 1000000 messages per second"
        ))
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

impl Config {
    /// Reads the command line and environment, then fills whatever neither
    /// set from the `--config` file. Errors (including a bad file) are clap
    /// errors: printed with the offending key and exit code 2.
    pub fn load() -> Result<Self, clap::Error> {
        Self::load_from(std::env::args_os())
    }

    /// [`Config::load`] with explicit arguments (the first is the program name).
    pub fn load_from<I, T>(args: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::{CommandFactory, FromArgMatches};
        let args: Vec<std::ffi::OsString> = args.into_iter().map(Into::into).collect();
        let command = Self::command().args_override_self(true);
        let matches = command.clone().try_get_matches_from(&args)?;
        let first = Self::from_arg_matches(&matches)?.flattened();
        let Some(path) = &first.config else {
            return Ok(first);
        };
        let file_args = file::to_args(path, &command, &matches)?;
        // File settings go first, so anything on the real command line
        // (which `args_override_self` lets win) overrides them.
        let mut merged = vec![args.first().cloned().unwrap_or_else(|| "socketlab".into())];
        merged.extend(file_args);
        merged.extend(args.into_iter().skip(1));
        let matches = command.try_get_matches_from(merged)?;
        Ok(Self::from_arg_matches(&matches)?.flattened())
    }

    /// Moves the targets of every `--relay-target` value into
    /// [`Config::relay_targets`].
    fn flattened(mut self) -> Self {
        for list in std::mem::take(&mut self.relay_target_lists) {
            self.relay_targets.extend(list.0);
        }
        self
    }

    /// The defaults, listening on `listen`; what tests and embedders start from.
    pub fn with_listen(listen: SocketAddr) -> Self {
        let mut config = Self::parse_from(["socketlab"]).flattened();
        config.listen = listen;
        config
    }

    /// `--send-timeout-secs` as a duration.
    pub fn send_timeout(&self) -> Duration {
        Duration::from_secs(self.send_timeout_secs)
    }

    /// The relay's timeouts.
    pub fn relay_limits(&self) -> crate::service::relay::RelayLimits {
        crate::service::relay::RelayLimits {
            connect_timeout: Duration::from_secs(self.relay_connect_timeout_secs),
            udp_idle_timeout: Duration::from_secs(self.relay_udp_idle_secs),
            tcp_idle_timeout: Duration::from_secs(self.relay_tcp_idle_secs),
        }
    }

    /// The keep-alive schedule.
    pub fn keepalive(&self) -> crate::service::keepalive::KeepAliveConfig {
        crate::service::keepalive::KeepAliveConfig {
            interval: Duration::from_secs(self.ping_interval_secs),
            timeout: Duration::from_secs(self.pong_timeout_secs),
        }
    }

    /// `--header-timeout-secs` as a duration.
    pub fn header_timeout(&self) -> Duration {
        Duration::from_secs(self.header_timeout_secs)
    }
}
