//! The page header: name, tagline and the language switch.

use yew::prelude::*;

use crate::i18n::{use_lang, use_strings, Lang};

/// The top of the page.
#[function_component]
pub fn Header() -> Html {
    let strings = use_strings();
    html! {
        <header class="site-header">
            <div class="brand">
                <h1>{ "Socketlab" }</h1>
                <p class="tagline">{ strings.tagline }</p>
            </div>
            <LanguageSwitch />
        </header>
    }
}

/// One button per language; the current one is pressed.
#[function_component]
fn LanguageSwitch() -> Html {
    let context = use_lang();
    let buttons = Lang::ALL.into_iter().map(|lang| {
        let set = context.set.clone();
        let current = lang == context.lang;
        html! {
            <button
                type="button"
                data-lang={lang.code()}
                lang={lang.code()}
                class={classes!(current.then_some("current"))}
                aria-pressed={current.to_string()}
                onclick={move |_| set.emit(lang)}
            >
                { lang.native_name() }
            </button>
        }
    });
    html! {
        <div class="lang-switch" role="group" aria-label={context.lang.strings().lang_switch_label}>
            { for buttons }
        </div>
    }
}
