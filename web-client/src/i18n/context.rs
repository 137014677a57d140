//! The chosen language as a Yew context.
//!
//! One provider near the root owns the choice; any component reads it with
//! [`use_strings`] (or [`use_lang`] to change it), so switching language
//! re-renders every text without passing it through props.

use yew::prelude::*;

use super::{Lang, Strings};
use crate::browser;

/// The current language and a way to change it.
#[derive(Debug, Clone, PartialEq)]
pub struct LangContext {
    /// The language the page is shown in.
    pub lang: Lang,
    /// Switches the page to another language (and remembers it).
    pub set: Callback<Lang>,
}

/// Props of [`LanguageProvider`].
#[derive(Debug, PartialEq, Properties)]
pub struct LanguageProviderProps {
    /// The part of the page that follows the language.
    pub children: Html,
}

/// Owns the language choice: starts from the visitor's earlier choice or
/// their browser's language, keeps `<html lang>` in step, and remembers
/// changes in `localStorage`.
#[function_component]
pub fn LanguageProvider(props: &LanguageProviderProps) -> Html {
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
    let context = LangContext { lang: *lang, set };

    html! {
        <ContextProvider<LangContext> {context}>
            { props.children.clone() }
        </ContextProvider<LangContext>>
    }
}

/// The language context. Outside a [`LanguageProvider`] (e.g. in a test
/// rendering one component) it is English and cannot be changed.
#[hook]
pub fn use_lang() -> LangContext {
    use_context::<LangContext>().unwrap_or_else(|| LangContext {
        lang: Lang::En,
        set: Callback::noop(),
    })
}

/// Every text of the current language.
#[hook]
pub fn use_strings() -> &'static Strings {
    use_lang().lang.strings()
}
