//! The page's components, one panel per file.
//!
//! Components render and forward clicks; state lives in `crate::hooks` and
//! in the reducers of `echo`, `chat` and `lab`.
//! Only the parts that own state are Yew components; everything else is a
//! plain function returning `Html`, because each component type adds its
//! own copy of Yew's lifecycle code to the page's WebAssembly.

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

use std::fmt::Write as _;

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
    let mut out = String::new();
    push_tenths(&mut out, ms);
    out
}

/// Appends `value` rounded to one decimal (`12.3`, `-0.5`; halves round
/// away from zero). The same text as `{:.1}`, save for exact halves, but
/// made of integer arithmetic: float formatting would add about 10 KB to
/// the page's WebAssembly.
pub fn push_tenths(out: &mut String, value: f64) {
    let tenths = (value * 10.0).round();
    if tenths < 0.0 {
        out.push('-');
    }
    // Saturates for absurd values; the page's numbers are far smaller.
    let tenths = tenths.abs() as u64;
    let _ = write!(out, "{}.{}", tenths / 10, tenths % 10);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenths_are_rounded_like_float_formatting() {
        for value in [0.0, 0.04, 1.06, 3.5, 12.34, 99.96, 1234.5678, -0.5, -7.26] {
            assert_eq!(format_ms(value), format!("{value:.1}"), "{value}");
        }
        assert_eq!(format_ms(-0.01), "0.0");
    }
}
