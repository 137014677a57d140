//! Prometheus metrics: what an operator graphs and alerts on.
//!
//! One [`Metrics`] per server (not a process global), so tests can run
//! several servers in one process and still read exact numbers. `GET
//! /metrics` renders it in the Prometheus text format.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// Which endpoint a connection is on.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct EndpointLabel {
    /// `chat`, `echo`, `inspect`, `relay` or `tcp-chat`.
    pub endpoint: String,
}

/// A relay target and direction.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RelayLabel {
    /// The target's name.
    pub target: String,
    /// `to_target` or `to_client`.
    pub direction: String,
}

/// A relay target.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TargetLabel {
    /// The target's name.
    pub target: String,
}

/// One endpoint's message counters. Cloning a counter shares it, so these
/// count into the same `/metrics` series as the registry's copy.
#[derive(Debug, Clone)]
pub struct MessageCounters {
    /// Messages received from clients.
    pub inbound: Counter,
    /// Messages sent to clients.
    pub outbound: Counter,
}

/// One relay's byte counters, by direction (shared with `/metrics`).
#[derive(Debug, Clone)]
pub struct RelayCounters {
    /// Bytes from the client to the target.
    pub to_target: Counter,
    /// Bytes from the target to the client.
    pub to_client: Counter,
}

/// Why a handshake was refused.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    /// e.g. `forbidden_origin`, `over_capacity`, `unknown_target`.
    pub reason: String,
}

/// How a reload went: `ok` or `invalid`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    /// `ok` or `invalid`.
    pub result: String,
}

/// How a connection on an endpoint closed.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CloseLabel {
    /// The endpoint.
    pub endpoint: String,
    /// The close code, or `none` when the connection ended without one.
    pub code: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every metric the server exports.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    /// Open WebSocket connections by endpoint.
    pub connections_open: Family<EndpointLabel, Gauge>,
    /// Accepted WebSocket connections by endpoint, ever.
    pub connections_total: Family<EndpointLabel, Counter>,
    /// Data messages received from clients, by endpoint.
    pub messages_in: Family<EndpointLabel, Counter>,
    /// Data messages sent to clients, by endpoint.
    pub messages_out: Family<EndpointLabel, Counter>,
    /// Bytes carried by the relay, by target and direction.
    pub relay_bytes: Family<RelayLabel, Counter>,
    /// Refused upgrades, by reason.
    pub handshake_failures: Family<ReasonLabel, Counter>,
    /// Ended connections, by endpoint and close code.
    pub closes: Family<CloseLabel, Counter>,
    /// Time to connect to a relay target.
    pub relay_connect_seconds: HistogramFamily<TargetLabel>,
    /// Chat rooms in existence (set when scraped).
    pub chat_rooms: Gauge,
    /// Chat members across rooms (set when scraped).
    pub chat_members: Gauge,
    /// Log lines dropped because nobody read the log (caught up when
    /// scraped).
    pub log_lines_dropped: Counter,
    /// Times a chat room's reader lost its feed from the bus and reopened
    /// it (caught up when scraped).
    pub bus_reader_restarts: Counter,
    /// Chat rooms given up because their feed could not be reopened in
    /// time; their members were closed with 1013 (caught up when scraped).
    pub bus_rooms_lost: Counter,
    /// Reads of `--relay-targets-file` after start-up, by result.
    pub relay_target_reloads: Family<ResultLabel, Counter>,
    /// Tasks the server tracks for shutdown: sessions, demo sockets and
    /// their clients (set when scraped). Back to its idle value once the
    /// clients are gone, or something leaks; the soak checks it.
    pub tasks_open: Gauge,
    /// Every task alive on the runtime, HTTP connections and bus readers
    /// included (set when scraped).
    pub runtime_tasks_alive: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers every metric under the `socketlab_` prefix.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("socketlab");
        let connections_open = Family::default();
        let connections_total = Family::default();
        let messages_in = Family::default();
        let messages_out = Family::default();
        let relay_bytes = Family::default();
        let handshake_failures = Family::default();
        let closes = Family::default();
        let relay_connect_seconds: HistogramFamily<TargetLabel> =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.0001, 2.0, 16)));
        let chat_rooms = Gauge::default();
        let chat_members = Gauge::default();
        let log_lines_dropped = Counter::default();
        let bus_reader_restarts = Counter::default();
        let bus_rooms_lost = Counter::default();
        let relay_target_reloads = Family::default();
        let tasks_open = Gauge::default();
        let runtime_tasks_alive = Gauge::default();
        registry.register(
            "connections_open",
            "Open WebSocket connections",
            connections_open.clone(),
        );
        registry.register(
            "connections",
            "Accepted WebSocket connections",
            connections_total.clone(),
        );
        registry.register(
            "messages_received",
            "Data messages received from clients",
            messages_in.clone(),
        );
        registry.register(
            "messages_sent",
            "Data messages sent to clients",
            messages_out.clone(),
        );
        registry.register(
            "relay_bytes",
            "Bytes carried by the relay",
            relay_bytes.clone(),
        );
        registry.register(
            "handshake_failures",
            "WebSocket upgrades refused before the 101",
            handshake_failures.clone(),
        );
        registry.register(
            "closes",
            "Ended WebSocket connections by close code",
            closes.clone(),
        );
        registry.register(
            "relay_connect_seconds",
            "Time to connect to a relay target",
            relay_connect_seconds.clone(),
        );
        registry.register(
            "chat_rooms",
            "Chat rooms kept by this instance",
            chat_rooms.clone(),
        );
        registry.register(
            "chat_members",
            "Chat members connected to this instance",
            chat_members.clone(),
        );
        registry.register(
            "log_lines_dropped",
            "Log lines dropped because stderr was not read fast enough",
            log_lines_dropped.clone(),
        );
        registry.register(
            "bus_reader_restarts",
            "Times a chat room's reader lost its feed from the bus (NATS) and reopened it",
            bus_reader_restarts.clone(),
        );
        registry.register(
            "bus_rooms_lost",
            "Chat rooms whose feed from the bus could not be reopened within --bus-recover-secs (members closed with 1013)",
            bus_rooms_lost.clone(),
        );
        registry.register(
            "relay_target_reloads",
            "Reloads of --relay-targets-file by result (invalid: the old targets stay)",
            relay_target_reloads.clone(),
        );
        registry.register(
            "tasks_open",
            "Tasks tracked for shutdown: sessions, demo sockets and their clients",
            tasks_open.clone(),
        );
        registry.register(
            "runtime_tasks_alive",
            "Tasks alive on the tokio runtime",
            runtime_tasks_alive.clone(),
        );
        Self {
            registry: Arc::new(registry),
            connections_open,
            connections_total,
            messages_in,
            messages_out,
            relay_bytes,
            handshake_failures,
            closes,
            relay_connect_seconds,
            chat_rooms,
            chat_members,
            log_lines_dropped,
            bus_reader_restarts,
            bus_rooms_lost,
            relay_target_reloads,
            tasks_open,
            runtime_tasks_alive,
        }
    }

    /// Counts a reload of the relay targets file.
    pub fn relay_targets_reloaded(&self, ok: bool) {
        let result = if ok { "ok" } else { "invalid" };
        self.relay_target_reloads
            .get_or_create(&ResultLabel {
                result: result.to_owned(),
            })
            .inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }

    /// Counts a refused upgrade.
    pub fn refused(&self, reason: &str) {
        self.handshake_failures
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// `endpoint`'s message counters, looked up once per connection: the
    /// label lookup (a lock and a hash) then stays off the per-message path,
    /// where it would cost more than echoing a small message.
    pub fn message_counters(&self, endpoint: &'static str) -> MessageCounters {
        let label = endpoint_label(endpoint);
        MessageCounters {
            inbound: self.messages_in.get_or_create(&label).clone(),
            outbound: self.messages_out.get_or_create(&label).clone(),
        }
    }

    /// The byte counters of one relay to `target`, looked up once per
    /// relay so that moving a chunk costs an atomic add, not a label lookup.
    pub fn relay_counters(&self, target: &str) -> RelayCounters {
        let counter = |direction: &str| {
            self.relay_bytes
                .get_or_create(&RelayLabel {
                    target: target.to_owned(),
                    direction: direction.to_owned(),
                })
                .clone()
        };
        RelayCounters {
            to_target: counter("to_target"),
            to_client: counter("to_client"),
        }
    }

    /// Records how long connecting to a relay target took.
    pub fn relay_connected(&self, target: &str, took: Duration) {
        self.relay_connect_seconds
            .get_or_create(&TargetLabel {
                target: target.to_owned(),
            })
            .observe(took.as_secs_f64());
    }

    /// Marks a connection open on `endpoint`; the guard marks it closed.
    pub fn opened(&self, endpoint: &'static str) -> OpenConnection {
        let label = endpoint_label(endpoint);
        self.connections_total.get_or_create(&label).inc();
        self.connections_open.get_or_create(&label).inc();
        OpenConnection {
            metrics: self.clone(),
            endpoint,
        }
    }
}

fn endpoint_label(endpoint: &str) -> EndpointLabel {
    EndpointLabel {
        endpoint: endpoint.to_owned(),
    }
}

/// One open connection in the metrics; records its close when finished.
pub struct OpenConnection {
    metrics: Metrics,
    endpoint: &'static str,
}

impl OpenConnection {
    /// Records the close code (`None`: ended without one) and the close.
    pub fn closed(self, code: Option<u16>) {
        let code = close_code_label(code);
        self.metrics
            .closes
            .get_or_create(&CloseLabel {
                endpoint: self.endpoint.to_owned(),
                code,
            })
            .inc();
    }
}

/// A close code as a label with a bounded set of values: the standard
/// codes as themselves, the ranges a client may choose (3000–3999 for
/// libraries, 4000–4999 for applications) as `3xxx` and `4xxx`. A client
/// picks its own close code, and one series per code it picks would let it
/// grow `/metrics` without bound.
fn close_code_label(code: Option<u16>) -> String {
    match code {
        None => "none".to_owned(),
        Some(code @ 1000..=1015) => code.to_string(),
        Some(3000..=3999) => "3xxx".to_owned(),
        Some(4000..=4999) => "4xxx".to_owned(),
        Some(_) => "other".to_owned(),
    }
}

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.metrics
            .connections_open
            .get_or_create(&endpoint_label(self.endpoint))
            .dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_chosen_close_codes_fall_into_a_few_labels() {
        assert_eq!(close_code_label(None), "none");
        assert_eq!(close_code_label(Some(1000)), "1000");
        assert_eq!(close_code_label(Some(1013)), "1013");
        assert_eq!(close_code_label(Some(3001)), "3xxx");
        assert_eq!(close_code_label(Some(4321)), "4xxx");
        assert_eq!(close_code_label(Some(4999)), "4xxx");
        assert_eq!(close_code_label(Some(2999)), "other");
        assert_eq!(close_code_label(Some(1016)), "other");
    }
}
