//! Socketlab's web page.
//!
//! One page that lets a learner open a real WebSocket, watch it change
//! state, bounce frames off the server, chat with another tab and read the
//! HTTP handshake that started it all — next to short explanations of how
//! that differs from the plain TCP and UDP sockets a program can open.
//!
//! Layout: [`ws`] is the only module that touches `web_sys::WebSocket`;
//! [`echo`], [`chat`] and [`lab`] hold the panels' state as plain reducers
//! (so they can be tested natively); [`api`] makes the plain HTTP requests;
//! [`hooks`] hold the stateful logic components call; [`components`] only
//! render; [`i18n`] holds every sentence the page shows, once per language.
//!
//! A library with two programs: `socketlab-web` (the page, built for
//! WebAssembly by trunk) and `socketlab-prerender` (native, with the `ssr`
//! feature: writes the page's HTML before any WebAssembly runs).

mod api;
mod app;
mod browser;
mod chat;
mod components;
mod echo;
mod hooks;
mod i18n;
mod lab;
mod ws;
mod wt;

#[cfg(feature = "ssr")]
pub mod prerender;

/// Starts the page in the browser, in the language its HTML was rendered
/// in ahead of time (`socketlab-prerender`), or, on a page that was not
/// (`trunk serve`), in the visitor's saved or browser language.
///
/// The first render equals that HTML, so rendering it in its place (it is
/// replaced in one go, before the next paint) moves nothing. With the
/// `hydrate` feature Yew hydrates the HTML instead, one part of the page
/// per task (`hooks::use_own_task`), the HTML on screen meanwhile.
pub fn start() {
    let (served, prerendered) = browser::served_language();
    let lang = match served.as_deref().and_then(i18n::Lang::from_tag) {
        Some(lang) if prerendered => lang,
        _ => i18n::Lang::detect(
            browser::stored_language().as_deref(),
            browser::navigator_language().as_deref(),
        ),
    };
    let renderer = yew::Renderer::<app::App>::with_props(app::AppProps { lang });
    #[cfg(feature = "hydrate")]
    if prerendered {
        // A task after the one that compiled and started the WebAssembly,
        // like each part after it (`hooks::use_own_task`).
        hooks::hydrate_in_turns();
        gloo_timers::callback::Timeout::new(0, move || {
            renderer.hydrate();
        })
        .forget();
        return;
    }
    renderer.render();
}
