//! What each of the lab's experiments is given.

use yew::prelude::*;

use crate::api::InfoState;
use crate::i18n::Lang;
use crate::lab::Measurements;

/// Props of each of the lab's experiments.
#[derive(Debug, PartialEq, Properties)]
pub struct LabProps {
    /// Where findings go (the page's [`Measurements`]).
    pub report: UseReducerDispatcher<Measurements>,
    /// The server's description, for its ports and relay targets.
    pub info: InfoState,
    /// The language to show the panel in.
    pub lang: Lang,
}
