//! The height each section of the page has before the parts come alive.
//!
//! Off screen, a section is not laid out: it takes the height the browser
//! last rendered it at (`content-visibility: auto` with
//! `contain-intrinsic-size: auto 900px` in style.css), or 900 px if it never
//! was. When a part hydrates in a task of its own ([`super::use_own_task`]),
//! Yew's `<Suspense>` puts a copy of the part's nodes in place of those on
//! screen, and the copy is a new element with no height remembered: for the
//! frame before the browser finds it on screen it is 900 px tall, and
//! everything below it jumps and jumps back (a layout shift of 0.07 on the
//! browser tests' window, seen about one load in eight).
//!
//! [`keep_section_heights`] writes each section's height into its own
//! `contain-intrinsic-size` just before Yew hydrates. Yew copies the
//! prerendered nodes, attributes and all, when it starts to hydrate, so
//! each copy starts with the height of the section it replaces; once the
//! browser has rendered it, the height it remembers takes over (`auto`).
//! The heights are read once, while nothing has changed since the page
//! painted, so reading them lays nothing out again.

use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

/// Gives every section (`<main>`'s children) its present height as the
/// height to assume while it is not laid out.
pub fn keep_section_heights() {
    let Some(main) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector("main").ok().flatten())
    else {
        return;
    };
    let mut sections = Vec::new();
    let mut next = main.first_element_child();
    while let Some(element) = next {
        next = element.next_element_sibling();
        if let Ok(section) = element.dyn_into::<HtmlElement>() {
            sections.push(section);
        }
    }
    // Every height first, then every write: a write between two reads
    // would make the second lay the page out again.
    let heights: Vec<i32> = sections.iter().map(HtmlElement::offset_height).collect();
    for (section, height) in sections.iter().zip(heights) {
        if height > 0 {
            let style = format!("contain-intrinsic-size: auto {height}px");
            let _ = section.set_attribute("style", &style);
        }
    }
}
