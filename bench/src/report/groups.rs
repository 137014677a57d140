//! The report's data model: results grouped by configuration, and the
//! lookups every section's tables and sentences share.

use std::collections::BTreeMap;

use crate::plan::Peer;
use crate::record::{Metrics, Params, Record};
use crate::stats::{spread, Spread};

/// Repeats of one configuration, in file order.
pub type Groups = BTreeMap<Params, Vec<Metrics>>;

/// Groups repeats of each configuration.
pub fn group(records: &[Record]) -> Groups {
    let mut groups = Groups::new();
    for record in records {
        groups
            .entry(record.params.clone())
            .or_default()
            .push(record.metrics.clone());
    }
    groups
}

/// The spread of one metric over a group's runs.
pub fn metric(runs: &[Metrics], field: impl Fn(&Metrics) -> Option<f64>) -> Option<Spread> {
    let values: Vec<f64> = runs.iter().filter_map(field).collect();
    spread(&values)
}

/// The groups of one benchmark, sorted for a table by `key` then peer.
pub fn rows<K: Ord>(
    groups: &Groups,
    keep: impl Fn(&Params) -> bool,
    key: impl Fn(&Params) -> K,
) -> Vec<(&Params, &[Metrics])> {
    let mut rows: Vec<_> = groups
        .iter()
        .filter(|(params, _)| keep(params))
        .map(|(params, runs)| (params, runs.as_slice()))
        .collect();
    rows.sort_by(|a, b| {
        key(a.0)
            .cmp(&key(b.0))
            .then_with(|| peer_rank(&a.0.peer).cmp(&peer_rank(&b.0.peer)))
    });
    rows
}

/// Peers in the order tables list them: the server under test, the
/// references, then the ceiling.
pub fn peer_rank(peer: &str) -> (usize, &str) {
    let rank = Peer::of(peer)
        .and_then(|known| Peer::ALL.iter().position(|p| *p == known))
        .unwrap_or(usize::MAX);
    (rank, peer)
}

/// The client a chat result was measured with (older results: lean).
pub fn client_of(params: &Params) -> &str {
    params.client.as_deref().unwrap_or("lean")
}

/// The median of `field` for the group matching `find`, if there is one.
pub fn median_of(
    groups: &Groups,
    find: impl Fn(&Params) -> bool,
    field: impl Fn(&Metrics) -> Option<f64>,
) -> Option<f64> {
    groups
        .iter()
        .find(|(params, _)| find(params))
        .and_then(|(_, runs)| metric(runs, &field))
        .map(|s| s.median)
}

/// `ours` as a multiple of `theirs`, e.g. `5.2×`.
pub fn times(ours: f64, theirs: f64) -> String {
    if theirs > 0.0 {
        format!("{:.1}×", ours / theirs)
    } else {
        "–".to_owned()
    }
}

/// `X % of` phrasing for a ratio.
pub fn percent_of(part: f64, whole: f64) -> String {
    format!("{:.0} %", part / whole * 100.0)
}
