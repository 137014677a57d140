//! Small shared helpers for state behind `std` mutexes, and the wall clock.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

/// Locks a mutex, ignoring poisoning.
///
/// Every critical section in the server leaves its state consistent at each
/// step, so a panic in one connection's task must not take the shared
/// state (a room, the limiter) down for every other client.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Milliseconds since the Unix epoch: the `ts_ms` of chat messages and
/// captures (0 if the clock is before 1970).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
