//! Locking `std` mutexes the way the whole server does.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a mutex, ignoring poisoning.
///
/// Every critical section in the server leaves its state consistent at each
/// step, so a panic in one connection's task must not take the shared
/// state (a room, the limiter) down for every other client.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
