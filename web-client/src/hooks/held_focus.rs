//! What a keyboard user holds when a part of the page comes alive: the
//! focused control, its caret and the text typed into it.
//!
//! Until the page starts, its live controls take no pointer, but the
//! keyboard reaches them: a visitor can Tab into the chat's name field and
//! type while the WebAssembly is still downloading. When that part then
//! hydrates in a task of its own ([`super::use_own_task`]), Yew's
//! `<Suspense>` puts the part's hydrated nodes in place of those on screen,
//! and focus falls back to the page's body: the visitor's next keys go
//! nowhere, and a screen reader starts again from the top.
//!
//! [`Held::take`] notes the focused element by its place in the document
//! just before a part resumes; [`Held::restore`], after Yew has rendered
//! it, gives the element in the same place back its focus, caret and text
//! (if focus was lost), and tells the part about the text with an `input`
//! event, as if it had been typed there.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement, HtmlInputElement};

/// The focused element, noted by its place in the document.
pub struct Held {
    /// Child element indices from `<body>` down to it.
    path: Vec<u32>,
    /// Its tag, to tell the same place holding something else.
    tag: String,
    /// A text field's value and selection.
    field: Option<Field>,
}

struct Field {
    value: String,
    start: Option<u32>,
    end: Option<u32>,
}

impl Held {
    /// The element that has focus now, if one below `<body>` has.
    pub fn take() -> Option<Held> {
        let document = web_sys::window()?.document()?;
        let body: Element = document.body()?.into();
        let active = document.active_element()?;
        let mut path = Vec::new();
        let mut node = active.clone();
        while node != body {
            let mut index = 0;
            let mut before = node.previous_element_sibling();
            while let Some(sibling) = before {
                index += 1;
                before = sibling.previous_element_sibling();
            }
            path.push(index);
            node = node.parent_element()?;
        }
        if path.is_empty() {
            return None;
        }
        path.reverse();
        let field = active.dyn_ref::<HtmlInputElement>().map(|input| Field {
            value: input.value(),
            start: input.selection_start().ok().flatten(),
            end: input.selection_end().ok().flatten(),
        });
        Some(Held {
            path,
            tag: active.tag_name(),
            field,
        })
    }

    /// Gives focus back to the element now in the held place, if focus was
    /// lost (it is on `<body>`, or nowhere) and the place holds the same
    /// kind of element.
    pub fn restore(self) {
        let Some(document) = web_sys::window().and_then(|w| w.document()) else {
            return;
        };
        let Some(body) = document.body() else {
            return;
        };
        let body: Element = body.into();
        if document
            .active_element()
            .is_some_and(|active| active != body)
        {
            return;
        }
        let mut node = body;
        for &index in &self.path {
            let mut child = node.first_element_child();
            for _ in 0..index {
                child = child.and_then(|c| c.next_element_sibling());
            }
            match child {
                Some(child) => node = child,
                None => return,
            }
        }
        if node.tag_name() != self.tag {
            return;
        }
        if let Some(element) = node.dyn_ref::<HtmlElement>() {
            let _ = element.focus();
        }
        if let (Some(field), Some(input)) = (self.field, node.dyn_ref::<HtmlInputElement>()) {
            if input.value() != field.value {
                input.set_value(&field.value);
                let init = web_sys::EventInit::new();
                init.set_bubbles(true);
                if let Ok(event) = web_sys::Event::new_with_event_init_dict("input", &init) {
                    let _ = input.dispatch_event(&event);
                }
            }
            if let (Some(start), Some(end)) = (field.start, field.end) {
                let _ = input.set_selection_range(start, end);
            }
        }
    }
}
