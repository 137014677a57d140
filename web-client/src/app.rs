//! The whole page: the header, one section per topic, and the footer.

use socketlab_shared::endpoints;
use yew::prelude::*;

use crate::api::InfoState;
use crate::browser::{has_global, ws_url};
use crate::components::chat::ChatPanel;
use crate::components::compare::comparison_table;
use crate::components::connection::connection_panel;
use crate::components::echo::echo_panel;
use crate::components::endpoints::server_endpoints;
use crate::components::header::header;
use crate::components::inspector::InspectorPanel;
use crate::components::lab::lab_panels;
use crate::components::limits::browser_apis;
use crate::components::section::section;
use crate::components::transports::transport_cards;
use crate::echo::{EchoAction, EchoLog};
use crate::hooks::{
    use_effect_after_parts, use_language_choice, use_own_task, use_server_info, use_websocket,
    LangChoice,
};
use crate::i18n::Lang;
use crate::i18n::LangProps;
use crate::lab::{Features, Measured, Measurements};

/// What the page starts with.
#[derive(Debug, PartialEq, Properties)]
pub struct AppProps {
    /// The language the page's HTML was rendered in.
    pub lang: Lang,
}

/// The root component. It owns what the parts share: the language
/// (handed to every component that shows text), the server's description,
/// and what the lab measured.
///
/// The sections come in the order a learner should meet them (see
/// [`Part`]); each is a [`PagePart`].
///
/// Its first render is the same natively (`socketlab-prerender`, which
/// writes the page's HTML) and in the browser, so the browser's first
/// render matches the HTML it received: nothing here reads the browser
/// while rendering. What only the browser knows (its APIs, the server's
/// answers, the page's own address) arrives through effects, and until
/// then the live parts say they are starting.
#[function_component]
pub fn App(props: &AppProps) -> Html {
    let lang = use_language_choice(props.lang);
    let info = use_server_info();
    let measurements = use_reducer(Measurements::default);
    {
        let report = measurements.dispatcher();
        use_effect_after_parts(move || {
            report.dispatch(Measured::Features(Features::detect(has_global)));
        });
    }
    // Every part has hydrated: the page is live (the HTML alone is not).
    let started = measurements.features.is_some();

    // Each part gets only what it shows, so that the server's answer and
    // the lab's findings re-render only the parts that show them.
    let part = |part: Part| {
        let info = part.shows_info().then(|| info.clone());
        let measurements = part.shows_measurements().then(|| measurements.clone());
        // Each part hydrates in a task of its own (`use_own_task`),
        // showing its prerendered HTML until then.
        html! {
            <Suspense>
                <PagePart {part} lang={lang.clone()} {info} {measurements} />
            </Suspense>
        }
    };
    let s = lang.lang.strings();
    html! {
        <>
            { part(Part::Header) }
            // Fixed to the window's edge, so it goes without moving a line.
            <p class="live-status" role="status" hidden={started}>{ s.page.starting }</p>
            <main class={(!started).then_some("starting")}>
                { for Part::SECTIONS.into_iter().map(part) }
            </main>
            <footer class="site-footer">{ s.page.footer }</footer>
        </>
    }
}

/// The page's parts: the header, then the sections in the order a learner
/// should meet them: what a socket is, a WebSocket's life, many sockets in
/// a room, the handshake up close, what a page may open, the lab that
/// tries it all, and the summary, which shows what the lab measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Part {
    Header,
    Sockets,
    WebSocket,
    Chat,
    Inspector,
    Limits,
    Lab,
    Compare,
}

impl Part {
    /// The sections, in the page's order.
    const SECTIONS: [Part; 7] = [
        Part::Sockets,
        Part::WebSocket,
        Part::Chat,
        Part::Inspector,
        Part::Limits,
        Part::Lab,
        Part::Compare,
    ];

    /// Whether the part shows the server's description (`/api/info`).
    fn shows_info(self) -> bool {
        matches!(self, Part::Sockets | Part::Lab)
    }

    /// Whether the part shows what the lab measured.
    fn shows_measurements(self) -> bool {
        matches!(self, Part::Lab | Part::Compare)
    }
}

/// What every part is given: one props type, so that a re-render of the
/// page's root compares these few values instead of each part's whole
/// content, and re-renders only the parts whose inputs changed.
#[derive(PartialEq, Properties)]
struct PartProps {
    part: Part,
    lang: LangChoice,
    /// For the parts that show it ([`Part::shows_info`]).
    info: Option<InfoState>,
    /// For the parts that show it ([`Part::shows_measurements`]).
    measurements: Option<UseReducerHandle<Measurements>>,
}

/// One part of the page. One component for all of them rather than one
/// per part: each component type adds its own copy of Yew's lifecycle
/// code to the page's WebAssembly.
#[function_component]
fn PagePart(props: &PartProps) -> HtmlResult {
    use_own_task()?;
    let lang = props.lang.lang;
    let s = lang.strings();
    let (info, measurements) = (&props.info, &props.measurements);
    Ok(match (props.part, info, measurements) {
        (Part::Header, _, _) => header(&props.lang),
        (Part::Sockets, Some(info), _) => section(
            "sockets",
            s.sockets.title,
            s.sockets.explain,
            false,
            html! { <>{ server_endpoints(&s.endpoints, info) }{ transport_cards(&s.sockets) }</> },
        ),
        (Part::WebSocket, _, _) => section(
            "websocket",
            s.websocket.title,
            s.websocket.explain,
            false,
            html! { <EchoLab {lang} /> },
        ),
        (Part::Chat, _, _) => section(
            "chat",
            s.chat.title,
            s.chat.explain,
            false,
            html! { <ChatPanel {lang} /> },
        ),
        (Part::Inspector, _, _) => section(
            "inspector",
            s.inspector.title,
            s.inspector.explain,
            false,
            html! { <InspectorPanel {lang} /> },
        ),
        (Part::Limits, _, _) => section(
            "limits",
            s.limits.title,
            s.limits.explain,
            false,
            browser_apis(&s.limits),
        ),
        (Part::Lab, Some(info), Some(measurements)) => section(
            "lab",
            s.lab.title,
            s.lab.explain,
            true,
            lab_panels(
                lang,
                measurements.features,
                info,
                &measurements.dispatcher(),
            ),
        ),
        (Part::Compare, _, Some(measurements)) => section(
            "compare",
            s.compare.title,
            s.compare.explain,
            false,
            comparison_table(s, measurements),
        ),
        // Not given what it shows: the root always gives it (`shows_info`,
        // `shows_measurements`).
        (Part::Sockets | Part::Lab | Part::Compare, _, _) => Html::default(),
    })
}

/// The connection and echo panels share one socket: the first opens it,
/// the second talks over it. This component owns that socket, the echo
/// log its frames feed, and both panels' fields.
#[function_component]
fn EchoLab(props: &LangProps) -> Html {
    let strings = props.lang.strings();
    let log = use_reducer(EchoLog::default);
    let ws = {
        let log = log.dispatcher();
        use_websocket(Callback::from(move |frame| {
            log.dispatch(EchoAction::Received(frame))
        }))
    };
    // The page's own address is known only in the browser: the field is
    // empty in the HTML and filled in once the page runs.
    let url = use_state(String::new);
    {
        let url = url.clone();
        use_effect_with((), move |_| url.set(ws_url(endpoints::WS_ECHO)));
    }
    let text = use_state(String::new);
    let error = use_state(|| None::<String>);
    html! {
        <>
            { connection_panel(strings, &ws, &url) }
            { echo_panel(&strings.echo, &ws, &log, &text, &error) }
        </>
    }
}
