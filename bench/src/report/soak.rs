//! The sections of the report written by tasks that are not part of a
//! benchmark run, carried over unchanged when the benchmark rewrites the
//! rest: "Soak" (`socketlab-bench soak`, `cargo xtask soak`) and the
//! page's Lighthouse scores (`cargo xtask lighthouse --write-docs`).

/// The "Soak" section's heading line.
pub const HEADING: &str = "## Soak";

/// The Lighthouse section's heading line; xtask/src/lighthouse.rs writes it.
pub const LIGHTHOUSE_HEADING: &str = "## The page: Lighthouse";

/// The sections a benchmark run keeps.
pub const KEPT: &[&str] = &[HEADING, LIGHTHOUSE_HEADING];

/// `markdown` with its "Soak" section replaced by `new` (or `new` added
/// at the end).
pub fn replace(markdown: &str, new: &str) -> String {
    replace_named(markdown, HEADING, new)
}

/// The section of `markdown` under `heading` (heading included, up to the
/// next `## ` heading), if it has one.
pub fn section_named<'a>(markdown: &'a str, heading: &str) -> Option<&'a str> {
    let start = find_heading(markdown, heading)?;
    let rest = &markdown[start + heading.len()..];
    let end = rest
        .find("\n## ")
        .map_or(markdown.len(), |i| start + heading.len() + i + 1);
    Some(&markdown[start..end])
}

/// `markdown` with its section under `heading` replaced by `new` (or `new`
/// added at the end).
pub fn replace_named(markdown: &str, heading: &str, new: &str) -> String {
    match (
        find_heading(markdown, heading),
        section_named(markdown, heading),
    ) {
        (Some(start), Some(old)) => {
            let mut out = String::with_capacity(markdown.len() + new.len());
            out.push_str(&markdown[..start]);
            out.push_str(new);
            out.push_str(&markdown[start + old.len()..]);
            out
        }
        _ => {
            let mut out = markdown.trim_end().to_owned();
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(new);
            out
        }
    }
}

/// Where the heading starts: at the start of a line.
fn find_heading(markdown: &str, heading: &str) -> Option<usize> {
    if markdown.starts_with(&format!("{heading}\n")) {
        return Some(0);
    }
    markdown.find(&format!("\n{heading}\n")).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_replaced_in_place_or_added_and_carried_over() {
        let doc = "# B\n\n## Idle\n\nx\n\n## Soak\n\nold\n\n## Notes\n\n- n\n";
        assert_eq!(section_named(doc, HEADING), Some("## Soak\n\nold\n\n"));
        let new = "## Soak\n\nnew\n\n";
        assert_eq!(
            replace(doc, new),
            "# B\n\n## Idle\n\nx\n\n## Soak\n\nnew\n\n## Notes\n\n- n\n"
        );
        let last = "# B\n\n## Soak\n\nold\n";
        assert_eq!(section_named(last, HEADING), Some("## Soak\n\nold\n"));
        assert_eq!(replace("# B\n", new), "# B\n\n## Soak\n\nnew\n\n");
        assert_eq!(section_named("# B\n\n## Soaked\n", HEADING), None);
    }

    #[test]
    fn the_lighthouse_section_is_kept_by_its_own_heading() {
        let doc = "# B\n\n## Soak\n\ns\n\n## The page: Lighthouse\n\nscores\n";
        assert_eq!(
            section_named(doc, LIGHTHOUSE_HEADING),
            Some("## The page: Lighthouse\n\nscores\n")
        );
        assert_eq!(section_named("# B\n", LIGHTHOUSE_HEADING), None);
        assert!(KEPT.contains(&HEADING) && KEPT.contains(&LIGHTHOUSE_HEADING));
    }
}
