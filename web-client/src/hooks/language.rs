//! The visitor's choice of language.
//!
//! The page's root owns it ([`use_language_choice`]) and hands the
//! language to each component that shows text as a prop
//! (`i18n::LangProps`, or a `lang` field of its own props), so switching
//! language re-renders every text. (Props rather than a Yew context: a
//! context provider and its hooks would add their own code to the page's
//! WebAssembly.)
//!
//! The first render must be the language the page's HTML was rendered in
//! (the server picked it from the `lang` cookie or `Accept-Language`), or
//! hydration would not match; so the root gets that language as a prop,
//! and a choice saved only in `localStorage` (by an older page) is applied
//! once every part has hydrated, and copied into the cookie.

use yew::prelude::*;

use super::use_effect_after_parts;
use crate::browser;
use crate::i18n::Lang;

/// The current language and a way to change it.
#[derive(Debug, Clone, PartialEq)]
pub struct LangChoice {
    /// The language the page is shown in.
    pub lang: Lang,
    /// Switches the page to another language (and remembers it).
    pub set: Callback<Lang>,
}

/// Owns the language choice: starts in `initial` (the language the HTML
/// was rendered in), keeps `<html lang>` in step, and remembers changes in
/// `localStorage` and the `lang` cookie. Used once, by the page's root.
#[hook]
pub fn use_language_choice(initial: Lang) -> LangChoice {
    let lang = use_state(|| initial);
    use_effect_with(*lang, |lang| browser::set_document_lang(lang.code()));
    {
        let lang = lang.clone();
        use_effect_after_parts(move || {
            if let Some(saved) = browser::stored_language()
                .as_deref()
                .and_then(Lang::from_tag)
            {
                browser::store_language(saved.code());
                if saved != initial {
                    lang.set(saved);
                }
            }
        });
    }

    // The same callback every render, so a choice that did not change
    // compares equal (the page's parts re-render only when it does).
    let set = {
        let lang = lang.setter();
        use_callback((), move |next: Lang, _| {
            browser::store_language(next.code());
            lang.set(next);
        })
    };
    LangChoice { lang: *lang, set }
}
