//! The page's building blocks: a section (explanation beside its panels)
//! and a panel (a titled card).

use yew::prelude::*;

/// Props of [`Section`].
#[derive(Debug, PartialEq, Properties)]
pub struct SectionProps {
    /// The section's anchor, so it can be linked to.
    pub id: &'static str,
    /// Its heading.
    pub title: &'static str,
    /// The plain-language explanation shown beside the panels.
    pub explain: &'static str,
    /// Explanation above full-width panels instead of beside them, for
    /// sections whose panels need the room (charts, hex dumps).
    #[prop_or_default]
    pub wide: bool,
    /// The panels.
    #[prop_or_default]
    pub children: Html,
}

/// One topic of the page: the explanation first (left on wide screens,
/// above on phones), then what the learner can try.
#[function_component]
pub fn Section(props: &SectionProps) -> Html {
    let heading = format!("{}-title", props.id);
    html! {
        <section class={classes!("lab-section", props.wide.then_some("wide"))} id={props.id}
            aria-labelledby={heading.clone()}>
            <div class="explain">
                <h2 id={heading}>{ props.title }</h2>
                <p>{ props.explain }</p>
            </div>
            <div class="panels">{ props.children.clone() }</div>
        </section>
    }
}

/// Props of [`Panel`].
#[derive(Debug, PartialEq, Properties)]
pub struct PanelProps {
    /// The panel's heading; none when the section's heading says it all.
    #[prop_or_default]
    pub title: Option<AttrValue>,
    /// Extra CSS class, for panels with their own layout.
    #[prop_or_default]
    pub class: Classes,
    /// The content.
    #[prop_or_default]
    pub children: Html,
}

/// A card holding one interactive thing.
#[function_component]
pub fn Panel(props: &PanelProps) -> Html {
    html! {
        <div class={classes!("panel", props.class.clone())}>
            if let Some(title) = &props.title {
                <h3>{ title.clone() }</h3>
            }
            { props.children.clone() }
        </div>
    }
}
