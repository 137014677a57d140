//! The page's components, one panel per file.
//!
//! Components render and forward clicks; state lives in hooks (`ws`, `api`,
//! the language context) and in the reducers of `echo`, `chat` and `lab`.

pub mod chat;
pub mod compare;
pub mod connection;
pub mod echo;
pub mod endpoints;
pub mod header;
pub mod inspector;
pub mod lab;
pub mod limits;
pub mod section;
pub mod transports;

use yew::prelude::*;

use crate::i18n::{template, Piece};

/// Renders a translated template, putting `slots[name]` where `{name}`
/// stands, so each language decides the word order around the values.
pub fn fill(text: &str, slots: &[(&str, Html)]) -> Html {
    template(text)
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) => html! { text.to_owned() },
            Piece::Slot(name) => slots
                .iter()
                .find(|(slot, _)| *slot == name)
                .map(|(_, value)| value.clone())
                .unwrap_or_else(|| html! { format!("{{{name}}}") }),
        })
        .collect()
}

/// Milliseconds with one decimal: finer than a person notices, coarse
/// enough not to pretend a precision browsers do not give.
pub fn format_ms(ms: f64) -> String {
    format!("{ms:.1}")
}
