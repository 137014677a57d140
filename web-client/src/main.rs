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

fn main() {
    yew::Renderer::<app::App>::new().render();
}
