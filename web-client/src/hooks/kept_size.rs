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
//! A section on screen then is not left to that at all: it is laid out
//! always from then on (`content-visibility: visible`), so its copy is
//! too, in the frame it arrives, whatever height was noted. (With the
//! height alone, flickers of 57–114 px were still seen on a tall window.)
//! The heights are read once, while nothing has changed since the page
//! painted, so reading them lays nothing out again.

use wasm_bindgen::JsCast;
use web_sys::HtmlElement;

/// Gives every section (`<main>`'s children) on screen a layout always,
/// and every other one its present height as the height to assume while
/// it is not laid out.
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
    let Some(window) = web_sys::window() else {
        return;
    };
    let bottom = window
        .inner_height()
        .ok()
        .and_then(|height| height.as_f64())
        .unwrap_or(0.0);
    // Every height first, then every write: a write between two reads
    // would make the second lay the page out again.
    let boxes: Vec<(i32, bool)> = sections
        .iter()
        .map(|section| {
            let rect = section.get_bounding_client_rect();
            let on_screen = rect.bottom() > 0.0 && rect.top() < bottom;
            (section.offset_height(), on_screen)
        })
        .collect();
    for (section, (height, on_screen)) in sections.iter().zip(boxes) {
        let style = if on_screen {
            "content-visibility: visible".to_owned()
        } else if height > 0 {
            format!("contain-intrinsic-size: auto {height}px")
        } else {
            continue;
        };
        let _ = section.set_attribute("style", &style);
    }
}
