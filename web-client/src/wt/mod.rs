//! WebTransport from the page: [`session`] is the only code touching the
//! browser's `WebTransport`; [`use_webtransport`] gives a component one
//! session, its state and its datagrams.

mod session;

use std::cell::RefCell;
use std::rc::Rc;

use yew::prelude::*;

use crate::browser::now_ms;
pub use session::{available, hash_bytes, url, WtClosed, WtSession};

/// Where a component's session stands.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum WtState {
    /// Nothing started.
    #[default]
    Idle,
    /// `new WebTransport(…)` is waiting for `ready`.
    Connecting,
    /// Ready, after this many milliseconds.
    Open {
        /// The session.
        session: WtSession,
        /// From the constructor to `ready`.
        open_ms: f64,
    },
    /// It never became ready: the browser's message.
    Failed(String),
    /// It was open and ended.
    Closed(WtClosed),
}

impl WtState {
    /// Whether a run waiting for it may go on: it is open, or will not be.
    pub fn settled(&self) -> bool {
        !matches!(self, WtState::Connecting)
    }
}

/// Where datagrams go: their bytes and `performance.now()` on arrival.
pub type OnDatagram = Callback<(Vec<u8>, f64)>;

/// A component's handle on its WebTransport session.
#[derive(Clone)]
pub struct UseWtHandle {
    state: UseStateHandle<WtState>,
    current: Rc<RefCell<Option<WtSession>>>,
    generation: Rc<RefCell<u32>>,
    on_datagram: Rc<RefCell<OnDatagram>>,
}

impl PartialEq for UseWtHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.current, &other.current) && *self.state == *other.state
    }
}

impl UseWtHandle {
    /// The session's state as of this render.
    pub fn state(&self) -> &WtState {
        &self.state
    }

    /// Opens `url` (closing any previous session), trusting `hash`; every
    /// datagram that arrives goes to the hook's callback with its
    /// `performance.now()`.
    pub fn connect(&self, url: String, hash: Option<Vec<u8>>) {
        self.disconnect();
        let generation = *self.generation.borrow();
        let (state, current, live) = (
            self.state.clone(),
            Rc::clone(&self.current),
            Rc::clone(&self.generation),
        );
        let on_datagram = Rc::clone(&self.on_datagram);
        state.set(WtState::Connecting);
        wasm_bindgen_futures::spawn_local(async move {
            let started = now_ms();
            let session = match WtSession::connect(&url, hash.as_deref()).await {
                Ok(session) => session,
                Err(message) => {
                    if *live.borrow() == generation {
                        state.set(WtState::Failed(message));
                    }
                    return;
                }
            };
            if *live.borrow() != generation {
                session.close();
                return;
            }
            *current.borrow_mut() = Some(session.clone());
            state.set(WtState::Open {
                session: session.clone(),
                open_ms: now_ms() - started,
            });
            while let Some(bytes) = session.read_datagram().await {
                if *live.borrow() != generation {
                    return;
                }
                let callback = on_datagram.borrow().clone();
                callback.emit((bytes, now_ms()));
            }
            let closed = session.closed().await;
            if *live.borrow() == generation {
                state.set(WtState::Closed(closed));
            }
        });
    }

    /// Sends one datagram on the open session.
    pub fn send_datagram(&self, bytes: &[u8]) -> Result<(), String> {
        match &*self.current.borrow() {
            Some(session) => session.send_datagram(bytes),
            None => Err("no open WebTransport session".to_owned()),
        }
    }

    /// Gives up on a session still connecting (a firewall that drops UDP
    /// makes the browser wait long): it counts as failed with `reason`. An
    /// open session is left alone.
    pub fn give_up(&self, reason: &str) {
        if self.current.borrow().is_none() {
            *self.generation.borrow_mut() += 1;
            self.state.set(WtState::Failed(reason.to_owned()));
        }
    }

    /// Closes the session, if one is open; its late datagrams are ignored.
    pub fn disconnect(&self) {
        *self.generation.borrow_mut() += 1;
        if let Some(session) = self.current.borrow_mut().take() {
            session.close();
            self.state.set(WtState::Closed(WtClosed {
                code: Some(1000),
                reason: "done".to_owned(),
            }));
        }
    }
}

/// One WebTransport session owned by the component, closed when it
/// unmounts; `on_datagram` receives every datagram (the latest callback
/// is used).
#[hook]
pub fn use_webtransport(on_datagram: OnDatagram) -> UseWtHandle {
    let state = use_state(WtState::default);
    let current = use_mut_ref(|| None::<WtSession>);
    let generation = use_mut_ref(|| 0u32);
    let callback_cell = use_mut_ref(Callback::noop);
    *callback_cell.borrow_mut() = on_datagram;
    let handle = UseWtHandle {
        state,
        current,
        generation,
        on_datagram: callback_cell,
    };
    {
        let handle = handle.clone();
        use_effect_with((), move |_| move || handle.disconnect());
    }
    handle
}
