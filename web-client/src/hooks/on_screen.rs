//! Sections on screen stay laid out while their parts come alive.
//!
//! Off screen, a section is not laid out: it takes the height the browser
//! last rendered it at (`content-visibility: auto` with
//! `contain-intrinsic-size: auto 900px` in style.css), or 900 px if it never
//! was. When a part hydrates in a task of its own ([`super::use_own_task`]),
//! Yew's `<Suspense>` puts a copy of the part's nodes in place of those on
//! screen, and the copy is a new element with no height remembered: for the
//! frame before the browser finds it on screen it is 900 px tall, and
//! everything below it jumps and jumps back (a layout shift of 0.07 to 0.11
//! on the browser tests' window, seen about one load in eight).
//!
//! [`keep_sections_on_screen`] gives each section on screen, just before
//! Yew hydrates, `content-visibility: visible`. Yew copies the prerendered
//! nodes with their attributes when it starts to hydrate, so each copy of
//! such a section is laid out in the frame it arrives. Sections below the
//! window keep their placeholder, and whatever they do off screen moves
//! nothing a visitor sees. Their boxes are read while nothing has changed
//! since the page painted, so reading them lays nothing out again.

/// Lays out always every section (`<main>`'s children) that is on screen.
pub fn keep_sections_on_screen() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let Some(main) = window
        .document()
        .and_then(|d| d.query_selector("main").ok().flatten())
    else {
        return;
    };
    let bottom = window
        .inner_height()
        .ok()
        .and_then(|height| height.as_f64())
        .unwrap_or(0.0);
    let mut on_screen = Vec::new();
    let mut next = main.first_element_child();
    while let Some(element) = next {
        next = element.next_element_sibling();
        let rect = element.get_bounding_client_rect();
        if rect.bottom() > 0.0 && rect.top() < bottom {
            on_screen.push(element);
        }
    }
    // Every box first, then every write: a write between two reads would
    // make the second lay the page out again.
    for section in &on_screen {
        let _ = section.set_attribute("style", "content-visibility: visible");
    }
}
