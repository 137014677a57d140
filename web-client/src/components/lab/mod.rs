//! The lab: six panels that let a learner test, in this browser, what the
//! rest of the page explains.
//!
//! Each panel owns its experiment (its sockets and reducer, from
//! `crate::lab`) and reports what it measured through [`LabProps::report`],
//! so the comparison table further down can show real numbers.

mod chart;
mod clients;
mod features;
mod nc;
mod props;
mod race;
mod raw;
mod relay;
mod webtransport;

use yew::prelude::*;

use self::clients::clients_panel;
use self::features::feature_check;
use self::nc::nc_panel;
use self::props::LabProps;
use self::race::RacePanel;
use self::raw::RawAttemptPanel;
use self::relay::RelayPanel;
use self::webtransport::WtPanel;
use crate::api::InfoState;
use crate::browser::browser_label;
use crate::components::fill;
use crate::i18n::Lang;
use crate::lab::{Features, Measurements};

/// The lab's panels, in the order of the story: what the browser has
/// (`features`, detected by the page's root), what happens without a relay,
/// with one, TCP against UDP, the same sockets from a terminal, and the
/// real apps the relay serves. Above them, one line names the browser they
/// report for, since browsers differ in exactly what the lab shows.
pub fn lab_panels(
    lang: Lang,
    features: Option<Features>,
    info: &InfoState,
    report: &UseReducerDispatcher<Measurements>,
) -> Html {
    let strings = lang.strings();
    let props = || LabProps {
        report: report.clone(),
        info: info.clone(),
        lang,
    };
    // Read only once the page is live (features are detected in an effect):
    // the first render, and the prerendered HTML, read nothing from the
    // browser, so they say "this browser".
    let browser = features.and_then(|_| browser_label());
    let name = browser
        .clone()
        .unwrap_or_else(|| strings.lab.this_browser.to_owned());
    let name = html! { <strong>{ name }</strong> };
    html! {
        <>
            <p id="lab-browser" class="hint" data-browser={browser}>
                { fill(strings.lab.reported_by, &[("browser", name)]) }
            </p>
            <div class="lab-grid">
                { feature_check(&strings.lab.features, features) }
                <WtPanel ..props() />
                <RawAttemptPanel ..props() />
                <RelayPanel ..props() />
                <RacePanel ..props() />
                { nc_panel(&strings.lab.nc, info) }
                { clients_panel(&strings.lab.clients) }
            </div>
        </>
    }
}
