//! [`use_websocket`]: a WebSocket owned by a component, and the handle
//! through which the component reads its status and uses it.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use yew::prelude::*;

use super::socket::{Received, WsConnection, WsError, WsEvent};
use super::status::{SocketStatus, StatusAction};
use crate::browser::now_ms;

/// The hook's mutable, non-rendering part: the live socket and a counter.
#[derive(Default)]
struct Slot {
    current: Option<WsConnection>,
    started: u32,
}

/// A component's handle on its WebSocket: read the status, connect,
/// disconnect, send. Cheap to clone and to pass as a prop.
#[derive(Clone)]
pub struct UseWebSocketHandle {
    status: UseReducerHandle<SocketStatus>,
    slot: Rc<RefCell<Slot>>,
    on_message: Rc<RefCell<Callback<Received>>>,
}

impl fmt::Debug for UseWebSocketHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UseWebSocketHandle")
            .field("status", &*self.status)
            .finish_non_exhaustive()
    }
}

impl PartialEq for UseWebSocketHandle {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.slot, &other.slot) && self.status == other.status
    }
}

impl UseWebSocketHandle {
    /// The current (or last) connection's status.
    pub fn status(&self) -> &SocketStatus {
        &self.status
    }

    /// Opens a new connection to `url`, closing the previous one if any.
    pub fn connect(&self, url: &str) {
        self.connect_with(url, &[]);
    }

    /// Opens a new connection to `url` offering `protocols` as
    /// subprotocols, closing the previous one if any. Returns the new
    /// connection's number ([`SocketStatus::connection`]), so the caller can
    /// tell its frames from a previous connection's before re-rendering.
    pub fn connect_with(&self, url: &str, protocols: &[&str]) -> u32 {
        let mut slot = self.slot.borrow_mut();
        // Detach and close the old socket first, so none of its late events
        // can land in the new connection's timeline.
        slot.current = None;
        slot.started += 1;
        let connection = slot.started;

        let on_event = route_events(
            connection,
            self.status.dispatcher(),
            Rc::clone(&self.on_message),
        );
        let at = now_ms();
        let opened =
            WsConnection::open(url, protocols, on_event).map(|socket| slot.current = Some(socket));
        // Release the slot before telling the reducer, which may re-render.
        drop(slot);
        let url = url.to_owned();
        self.status.dispatch(match opened {
            Ok(()) => StatusAction::Started {
                connection,
                url,
                at,
            },
            Err(error) => StatusAction::Failed {
                url,
                message: error.to_string(),
            },
        });
        connection
    }

    /// Starts the closing handshake (code 1000). The `close` event, with the
    /// code the server answered, arrives when the handshake is done.
    pub fn disconnect(&self) {
        let state = self.slot.borrow().current.as_ref().map(WsConnection::close);
        if let Some(state) = state {
            self.status.dispatch(StatusAction::Changed {
                state,
                at: now_ms(),
            });
        }
    }

    /// Sends a text frame on the open connection.
    pub fn send_text(&self, text: &str) -> Result<(), WsError> {
        match &self.slot.borrow().current {
            Some(socket) => socket.send_text(text),
            None => Err(WsError::not_open()),
        }
    }

    /// Sends a binary frame on the open connection.
    pub fn send_binary(&self, bytes: &[u8]) -> Result<(), WsError> {
        match &self.slot.borrow().current {
            Some(socket) => socket.send_binary(bytes),
            None => Err(WsError::not_open()),
        }
    }
}

/// Turns one connection's events into status changes and stamped messages.
fn route_events(
    connection: u32,
    status: UseReducerDispatcher<SocketStatus>,
    on_message: Rc<RefCell<Callback<Received>>>,
) -> Callback<WsEvent> {
    Callback::from(move |event: WsEvent| {
        let at = now_ms();
        match event {
            WsEvent::Open(protocol) => status.dispatch(StatusAction::Opened { protocol, at }),
            WsEvent::Message(payload) => {
                // Clone out of the cell: the callback may re-render the
                // component, which stores a new callback in it.
                let on_message = on_message.borrow().clone();
                on_message.emit(Received {
                    connection,
                    payload,
                    at_ms: at,
                });
            }
            WsEvent::Error => status.dispatch(StatusAction::ErrorEvent),
            WsEvent::Close(info) => status.dispatch(StatusAction::Closed { info, at }),
        }
    })
}

/// A WebSocket owned by the calling component.
///
/// Incoming frames go to `on_message` (the latest one passed, so it may be
/// rebuilt on every render); state changes are kept in the returned handle's
/// [`SocketStatus`]. The socket is closed when the component unmounts.
#[hook]
pub fn use_websocket(on_message: Callback<Received>) -> UseWebSocketHandle {
    let status = use_reducer(SocketStatus::default);
    let slot = use_mut_ref(Slot::default);
    let latest_on_message = use_mut_ref(|| on_message.clone());
    *latest_on_message.borrow_mut() = on_message;

    {
        let slot = Rc::clone(&slot);
        use_effect_with((), move |_| move || slot.borrow_mut().current = None);
    }

    UseWebSocketHandle {
        status,
        slot,
        on_message: latest_on_message,
    }
}
