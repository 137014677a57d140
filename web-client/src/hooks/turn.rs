//! The page comes alive one part per task.
//!
//! Hydrating the whole prerendered page at once is one task of a few
//! hundred milliseconds on a phone, during which a tap waits (Lighthouse's
//! total blocking time, issue 18). Instead each part of the page waits, in
//! a `<Suspense>` that keeps its prerendered HTML on screen, for a task of
//! its own ([`use_own_task`]): the browser can paint and answer input
//! between two parts. A control the keyboard was in when its part came
//! alive keeps focus, caret and text (`held_focus`).
//!
//! A part hydrates with the props it was prerendered with, or its first
//! render would not match its HTML; so whatever changes what the parts
//! show (the lab's findings, the server's answer, a saved language) starts
//! only once every part has hydrated ([`use_effect_after_parts`]).

use yew::prelude::*;
use yew::suspense::{Suspension, SuspensionResult};

/// Suspends the calling component's first render, while the page hydrates
/// ([`hydrate_in_turns`]), until a task of its own; later renders, a page
/// rendered without prerendered HTML, and the prerender never wait.
///
/// Each call queues its task when the component first renders, so the
/// parts hydrate in the order they render, one per task.
#[hook]
pub fn use_own_task() -> SuspensionResult<()> {
    let pending = use_memo((), |_| queue_own_task());
    match &*pending {
        Some(suspension) if !suspension.resumed() => Err(suspension.clone()),
        _ => Ok(()),
    }
}

thread_local! {
    /// Whether the page is hydrating prerendered HTML: only then is there
    /// HTML to show while a part waits. Rendered without it, a waiting part
    /// would show nothing, and then move what follows it.
    static HYDRATING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Tells [`use_own_task`] that the page hydrates its HTML, and keeps the
/// sections on screen laid out as they come alive (`on_screen`); called
/// before Yew hydrates it.
#[cfg(feature = "hydrate")]
pub fn hydrate_in_turns() {
    HYDRATING.set(true);
    #[cfg(target_arch = "wasm32")]
    super::on_screen::keep_sections_on_screen();
}

/// A suspension that resumes in a task queued now, when the page hydrates
/// in the browser.
#[cfg(target_arch = "wasm32")]
fn queue_own_task() -> Option<Suspension> {
    if !HYDRATING.get() {
        return None;
    }
    let (suspension, handle) = Suspension::new();
    gloo_timers::callback::Timeout::new(0, move || {
        // Resuming puts the part's hydrated nodes in place of those on
        // screen, which takes focus from a control in them.
        let held = super::held_focus::Held::take();
        handle.resume();
        // Yew renders at the end of this task (its scheduler runs in a
        // `spawn_local`, queued by `resume`); the restore is queued after.
        if let Some(held) = held {
            wasm_bindgen_futures::spawn_local(async move { held.restore() });
        }
    })
    .forget();
    Some(suspension)
}

/// Natively (the prerender) there is no browser to yield to.
#[cfg(not(target_arch = "wasm32"))]
fn queue_own_task() -> Option<Suspension> {
    None
}

/// Runs `f` once, in a task after those in which the parts hydrate.
///
/// Effects run after every first render, so the task queued here comes
/// after every part's [`use_own_task`]: timers of equal delay run in the
/// order they were set.
#[hook]
pub fn use_effect_after_parts<F>(f: F)
where
    F: FnOnce() + 'static,
{
    use_effect_with((), move |_| {
        gloo_timers::callback::Timeout::new(0, move || {
            // Every part has hydrated: a component mounted from now on
            // has no HTML to show while it waits, so it renders at once.
            HYDRATING.set(false);
            f();
        })
        .forget();
    });
}
