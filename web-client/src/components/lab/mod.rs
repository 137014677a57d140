//! The lab: five panels that let a learner test, in this browser, what the
//! rest of the page explains.
//!
//! Each panel owns its experiment (its sockets and reducer, from
//! `crate::lab`) and reports what it measured through [`LabProps::report`],
//! so the comparison table further down can show real numbers.

mod chart;
mod features;
mod nc;
mod race;
mod raw;
mod relay;

use yew::prelude::*;

use self::features::FeatureCheck;
use self::nc::NcPanel;
use self::race::RacePanel;
use self::raw::RawAttemptPanel;
use self::relay::RelayPanel;
use crate::lab::Measurements;

/// Props of the lab and of each of its experiments.
#[derive(Debug, PartialEq, Properties)]
pub struct LabProps {
    /// Where findings go (the page's [`Measurements`]).
    pub report: UseReducerDispatcher<Measurements>,
}

/// The lab's panels, in the order of the story: what the browser has, what
/// happens without a relay, with one, TCP against UDP, and the same
/// sockets from a terminal.
#[function_component]
pub fn LabPanels(props: &LabProps) -> Html {
    let report = props.report.clone();
    html! {
        <div class="lab-grid">
            <FeatureCheck report={report.clone()} />
            <RawAttemptPanel report={report.clone()} />
            <RelayPanel report={report.clone()} />
            <RacePanel {report} />
            <NcPanel />
        </div>
    }
}
