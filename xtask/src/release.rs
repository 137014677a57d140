//! The release build shared by `run` and `dist`: the page first, because
//! the server embeds it at compile time.

use std::path::PathBuf;

use anyhow::Result;

use crate::{cmd::Cmd, page, workspace};

/// `cargo` arguments that build the release server binary, which embeds
/// the page; `run`, `dist`, the test steps and Autobahn all build it so.
pub const BUILD_SERVER: &[&str] = &[
    "build",
    "--release",
    "-p",
    "socketlab-server",
    "--bin",
    "socketlab",
];

/// Builds the page and then the server in release mode, returning the
/// server binary's path. Expects [`crate::tools::ensure_web_tools`] first.
pub fn build() -> Result<PathBuf> {
    build_page()?;
    Cmd::new("cargo")
        .args(BUILD_SERVER)
        .fix("fix the server's build errors above (see server/)")
        .run()?;
    Ok(workspace::server_binary())
}

/// Builds the page into `dist/`, which the next release build of the
/// server embeds, unless it is already built from the current inputs (see
/// [`crate::page`]). Expects [`crate::tools::ensure_web_tools`] first.
pub fn build_page() -> Result<()> {
    page::build()
}

/// A byte count for humans, e.g. `4.2 MiB`.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut size = bytes as f64;
    let mut unit = 0;
    while size >= 1024.0 && unit + 1 < UNITS.len() {
        size /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{size:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(format_size(512), "512 B");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(5 * 1024 * 1024), "5.0 MiB");
    }
}
