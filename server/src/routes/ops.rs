//! The operator's endpoints: `GET /healthz` (alive), `GET /readyz` (ready
//! for traffic; 503 while shutting down or while the chat bus is down) and
//! `GET /metrics` (Prometheus text format).

use warp::{Filter, Rejection, Reply};

use crate::state::AppState;

/// `GET /healthz`: the process answers HTTP.
pub fn healthz() -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("healthz").and(warp::get()).map(|| "ok")
}

/// `GET /readyz`: whether a load balancer should send traffic here.
pub fn readyz(state: AppState) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("readyz").and(warp::get()).map(move || {
        if state.shutdown.is_begun() {
            warp::reply::with_status("shutting down", http::StatusCode::SERVICE_UNAVAILABLE)
        } else if !state.bus.is_ready() {
            warp::reply::with_status(
                "chat bus unavailable",
                http::StatusCode::SERVICE_UNAVAILABLE,
            )
        } else {
            warp::reply::with_status("ready", http::StatusCode::OK)
        }
    })
}

/// `GET /metrics`: every counter, with the room gauges read from the bus
/// and the task gauges from the task tracker and the runtime.
pub fn metrics(state: AppState) -> impl Filter<Extract = (impl Reply,), Error = Rejection> + Clone {
    warp::path!("metrics").and(warp::get()).map(move || {
        let stats = state.bus.stats();
        state.metrics.chat_rooms.set(stats.rooms as i64);
        state.metrics.chat_members.set(stats.members as i64);
        // The bus counts; bring the counters up to its counts.
        for (counter, count) in [
            (&state.metrics.bus_reader_restarts, stats.reader_restarts),
            (&state.metrics.bus_rooms_lost, stats.rooms_lost),
        ] {
            counter.inc_by(count.saturating_sub(counter.get()));
        }
        let tasks = state.shutdown.open_tasks();
        state.metrics.tasks_open.set(tasks as i64);
        let alive = tokio::runtime::Handle::current()
            .metrics()
            .num_alive_tasks();
        state.metrics.runtime_tasks_alive.set(alive as i64);
        // The writer only counts up; bring the counter up to its count.
        let dropped = crate::logging::dropped_lines();
        let counted = state.metrics.log_lines_dropped.get();
        state
            .metrics
            .log_lines_dropped
            .inc_by(dropped.saturating_sub(counted));
        warp::reply::with_header(
            state.metrics.render(),
            http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )
    })
}
