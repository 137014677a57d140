//! [`use_server_info`]: the server's description, fetched once.

use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::use_effect_after_parts;
use crate::api::{fetch_info, InfoState};

/// Fetches `/api/info` once, when the calling component (the page's root)
/// has mounted and every part has hydrated: the endpoints table, the lab and the `nc` commands all read the
/// same ports without asking again.
#[hook]
pub fn use_server_info() -> InfoState {
    let state = use_state(|| InfoState::Loading);
    {
        let state = state.clone();
        use_effect_after_parts(move || {
            spawn_local(async move {
                state.set(match fetch_info().await {
                    Ok(info) => InfoState::Ready(Rc::new(info)),
                    Err(error) => InfoState::Failed(error),
                });
            });
        });
    }
    (*state).clone()
}
