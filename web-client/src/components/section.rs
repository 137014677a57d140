//! The page's building blocks: a section (explanation beside its panels)
//! and a panel (a titled card).
//!
//! Plain functions rather than components: they hold no state, and every
//! component type adds its own copy of Yew's lifecycle code to the page.

use yew::prelude::*;

/// One topic of the page: the explanation first (left on wide screens,
/// above on phones), then what the learner can try. `id` is the section's
/// anchor; a `wide` section puts its explanation above full-width panels,
/// for panels that need the room (charts, hex dumps).
pub fn section(
    id: &'static str,
    title: &'static str,
    explain: &'static str,
    wide: bool,
    panels: Html,
) -> Html {
    let heading = format!("{id}-title");
    let class = if wide {
        "lab-section wide"
    } else {
        "lab-section"
    };
    html! {
        <section {class} {id} aria-labelledby={heading.clone()}>
            <div class="explain">
                <h2 id={heading}>{ title }</h2>
                <p>{ explain }</p>
            </div>
            <div class="panels">{ panels }</div>
        </section>
    }
}

/// A polite live region: screen readers say `text` when it changes, once,
/// without moving focus; sighted visitors read the same thing in the panel,
/// so the region itself is hidden from sight. Always rendered, even empty:
/// a region that appears together with its text is often not read at all.
pub fn announce(text: String) -> Html {
    html! { <p class="sr-only" role="status">{ text }</p> }
}

/// A card holding one interactive thing, with a heading unless the
/// section's heading says it all. `class` is the card's CSS classes
/// (`panel`, plus any for a panel with its own layout).
pub fn panel(class: &'static str, title: Option<&'static str>, content: Html) -> Html {
    html! {
        <div {class}>
            if let Some(title) = title {
                <h3>{ title }</h3>
            }
            { content }
        </div>
    }
}
