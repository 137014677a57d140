//! The page header: name, tagline and the language switch.

use yew::prelude::*;

use crate::hooks::LangChoice;
use crate::i18n::Lang;

/// The top of the page, with one button per language; the current one is
/// pressed.
pub fn header(context: &LangChoice) -> Html {
    let strings = context.lang.strings();
    let buttons = Lang::ALL.into_iter().map(|lang| {
        let set = context.set.clone();
        let current = lang == context.lang;
        html! {
            <button
                type="button"
                data-lang={lang.code()}
                lang={lang.code()}
                class={current.then_some("current")}
                aria-pressed={if current { "true" } else { "false" }}
                onclick={move |_| set.emit(lang)}
            >
                { lang.native_name() }
            </button>
        }
    });
    html! {
        <header class="site-header">
            <div class="brand">
                <h1>{ "Socketlab" }</h1>
                <p class="tagline">{ strings.page.tagline }</p>
            </div>
            <div class="lang-switch" role="group" aria-label={strings.page.lang_switch_label}>
                { for buttons }
            </div>
        </header>
    }
}
