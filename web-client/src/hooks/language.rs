//! The visitor's choice of language.
//!
//! The page's root owns it ([`use_language_choice`]) and hands the
//! language to each component that shows text as a prop
//! (`i18n::LangProps`, or a `lang` field of its own props), so switching
//! language re-renders every text. (Props rather than a Yew context: a
//! context provider and its hooks would add their own code to the page's
//! WebAssembly.)

use yew::prelude::*;

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

/// Owns the language choice: starts from the visitor's earlier choice or
/// their browser's language, keeps `<html lang>` in step, and remembers
/// changes in `localStorage`. Used once, by the page's root.
#[hook]
pub fn use_language_choice() -> LangChoice {
    let lang = use_state(|| {
        Lang::detect(
            browser::stored_language().as_deref(),
            browser::navigator_language().as_deref(),
        )
    });
    use_effect_with(*lang, |lang| browser::set_document_lang(lang.code()));

    let set = {
        let lang = lang.clone();
        Callback::from(move |next: Lang| {
            browser::store_language(next.code());
            lang.set(next);
        })
    };
    LangChoice { lang: *lang, set }
}
