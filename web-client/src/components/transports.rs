//! TCP and UDP, side by side, in plain words.

use yew::prelude::*;

use crate::i18n::Strings;

/// Two cards contrasting the transports a program (but not a page) can use.
pub fn transport_cards(strings: &'static Strings) -> Html {
    html! {
        <div class="cards">
            <article class="card tcp">
                <h3>{ strings.sockets.tcp_title }</h3>
                <p>{ strings.sockets.tcp_explain }</p>
            </article>
            <article class="card udp">
                <h3>{ strings.sockets.udp_title }</h3>
                <p>{ strings.sockets.udp_explain }</p>
            </article>
        </div>
    }
}
