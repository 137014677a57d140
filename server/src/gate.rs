//! Polling a source only after it woke.
//!
//! A session `select!`s over several sources (the socket, the room, the
//! keep-alive timer, the shutdown signal), and every time one of them wakes
//! the task, `select!` polls all of them again. Some are costly to poll
//! for nothing: a WebSocket stream tries to parse what it holds and asks
//! the socket, under the socket's lock, whether it became readable. A
//! [`Gate`] stands in front of such a
//! source: it polls the source with a waker of its own, which notes that
//! the source woke before waking the task, and until then a poll through
//! the gate costs one atomic swap and a waker registration.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;

/// A gate in front of one source; see the module documentation.
#[derive(Debug)]
pub struct Gate {
    signal: Arc<Signal>,
    waker: Waker,
}

/// The gate's waker: a flag plus the task to wake.
#[derive(Debug, Default)]
struct Signal {
    woken: AtomicBool,
    task: AtomicWaker,
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.task.wake();
    }
}

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

impl Gate {
    /// A gate that polls its source on first use.
    pub fn new() -> Self {
        let signal = Arc::new(Signal::default());
        signal.woken.store(true, Ordering::Relaxed);
        Self {
            waker: Waker::from(signal.clone()),
            signal,
        }
    }

    /// Runs `poll` (the source's own poll) with the gate's waker if the
    /// source woke since the last time, else returns `Pending` with the
    /// task registered for the source's next wake-up. After a ready poll
    /// the source is polled again next time: a stream may hold further
    /// items without a new wake-up.
    ///
    /// The task's waker is registered only on the way to `Pending`: a
    /// session that reads a batch of messages polls ready many times in a
    /// row, and each registration costs two atomic exchanges.
    pub fn poll<T>(
        &self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        if self.signal.woken.swap(false, Ordering::AcqRel) {
            let polled = poll(&mut Context::from_waker(&self.waker));
            if polled.is_ready() {
                self.signal.woken.store(true, Ordering::Release);
                return polled;
            }
        }
        self.signal.task.register(cx.waker());
        // The source may have woken before the task was registered, its
        // wake-up then lost on an older waker: the task polls again.
        if self.signal.woken.load(Ordering::Acquire) {
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

// Tested through its one user, `transport::websocket::socket::ReadGate`:
// polled only after a wake-up, and again after a ready poll.
