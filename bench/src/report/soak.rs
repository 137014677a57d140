//! The "Soak" section of the report: written by `socketlab-bench soak`
//! (`cargo xtask soak`), which is not part of a benchmark run, and carried
//! over unchanged when the benchmark rewrites the rest of the report.

/// The section's heading line.
pub const HEADING: &str = "## Soak";

/// The "Soak" section of `markdown` (heading included, up to the next
/// `## ` heading), if it has one.
pub fn section(markdown: &str) -> Option<&str> {
    let start = find_heading(markdown)?;
    let rest = &markdown[start + HEADING.len()..];
    let end = rest
        .find("\n## ")
        .map_or(markdown.len(), |i| start + HEADING.len() + i + 1);
    Some(&markdown[start..end])
}

/// `markdown` with its "Soak" section replaced by `new` (or `new` added
/// at the end).
pub fn replace(markdown: &str, new: &str) -> String {
    match (find_heading(markdown), section(markdown)) {
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
fn find_heading(markdown: &str) -> Option<usize> {
    if markdown.starts_with(&format!("{HEADING}\n")) {
        return Some(0);
    }
    markdown.find(&format!("\n{HEADING}\n")).map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_section_is_replaced_in_place_or_added_and_carried_over() {
        let doc = "# B\n\n## Idle\n\nx\n\n## Soak\n\nold\n\n## Notes\n\n- n\n";
        assert_eq!(section(doc), Some("## Soak\n\nold\n\n"));
        let new = "## Soak\n\nnew\n\n";
        assert_eq!(
            replace(doc, new),
            "# B\n\n## Idle\n\nx\n\n## Soak\n\nnew\n\n## Notes\n\n- n\n"
        );
        let last = "# B\n\n## Soak\n\nold\n";
        assert_eq!(section(last), Some("## Soak\n\nold\n"));
        assert_eq!(replace("# B\n", new), "# B\n\n## Soak\n\nnew\n\n");
        assert_eq!(section("# B\n\n## Soaked\n"), None);
    }
}
