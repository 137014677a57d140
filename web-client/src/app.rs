//! The whole page: the language provider around the header, one section per
//! topic, and the footer.

use yew::prelude::*;

use crate::api::ServerInfoProvider;
use crate::components::chat::ChatPanel;
use crate::components::compare::ComparisonTable;
use crate::components::connection::ConnectionPanel;
use crate::components::echo::EchoPanel;
use crate::components::endpoints::ServerEndpoints;
use crate::components::header::Header;
use crate::components::inspector::InspectorPanel;
use crate::components::lab::LabPanels;
use crate::components::limits::BrowserApis;
use crate::components::section::Section;
use crate::components::transports::TransportCards;
use crate::echo::{EchoAction, EchoLog};
use crate::i18n::{use_strings, LanguageProvider};
use crate::lab::Measurements;
use crate::ws::use_websocket;

/// The root component: the language and the server's description are
/// shared with every section.
#[function_component]
pub fn App() -> Html {
    html! {
        <LanguageProvider>
            <ServerInfoProvider>
                <Page />
            </ServerInfoProvider>
        </LanguageProvider>
    }
}

/// The sections, in the order a learner should meet them: what a socket
/// is, a WebSocket's life, many sockets in a room, the handshake up close,
/// what a page may open, the lab that tries it all, and the summary, which
/// shows what the lab measured.
#[function_component]
fn Page() -> Html {
    let s = use_strings();
    let measurements = use_reducer(Measurements::default);
    html! {
        <>
            <Header />
            <main>
                <Section id="sockets" title={s.sockets_title} explain={s.sockets_explain}>
                    <ServerEndpoints />
                    <TransportCards />
                </Section>
                <Section id="websocket" title={s.ws_title} explain={s.ws_explain}>
                    <EchoLab />
                </Section>
                <Section id="chat" title={s.chat_title} explain={s.chat_explain}>
                    <ChatPanel />
                </Section>
                <Section id="inspector" title={s.inspect_title} explain={s.inspect_explain}>
                    <InspectorPanel />
                </Section>
                <Section id="limits" title={s.limits_title} explain={s.limits_explain}>
                    <BrowserApis />
                </Section>
                <Section id="lab" title={s.lab_title} explain={s.lab_explain} wide=true>
                    <LabPanels report={measurements.dispatcher()} />
                </Section>
                <Section id="compare" title={s.compare_title} explain={s.compare_explain}>
                    <ComparisonTable measured={(*measurements).clone()} />
                </Section>
            </main>
            <footer class="site-footer">{ s.footer }</footer>
        </>
    }
}

/// The connection and echo panels share one socket: the first opens it,
/// the second talks over it. This component owns that socket and the echo
/// log its frames feed.
#[function_component]
fn EchoLab() -> Html {
    let log = use_reducer(EchoLog::default);
    let ws = {
        let log = log.dispatcher();
        use_websocket(Callback::from(move |frame| {
            log.dispatch(EchoAction::Received(frame))
        }))
    };
    html! {
        <>
            <ConnectionPanel ws={ws.clone()} />
            <EchoPanel {ws} {log} />
        </>
    }
}
