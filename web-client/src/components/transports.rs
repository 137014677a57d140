//! TCP and UDP, side by side, in plain words.

use yew::prelude::*;

use crate::i18n::SocketsStrings;

/// Two cards contrasting the transports a program (but not a page) can use.
pub fn transport_cards(strings: &'static SocketsStrings) -> Html {
    html! {
        <div class="cards">
            <article class="card tcp">
                <h3>{ strings.tcp_title }</h3>
                <p>{ strings.tcp_explain }</p>
            </article>
            <article class="card udp">
                <h3>{ strings.udp_title }</h3>
                <p>{ strings.udp_explain }</p>
            </article>
        </div>
    }
}
