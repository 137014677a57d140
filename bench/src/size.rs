//! `page-size`: how many bytes of WebAssembly a visitor downloads.
//!
//! The page is one `.wasm` file plus a little HTML and JavaScript; the wasm
//! is what grows with every dependency. Its size is reported raw and as
//! `gzip -9` would send it, the figure a web server with compression on
//! puts on the wire.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, ensure, Context, Result};
use clap::Args;

use crate::record::RunArgs;

/// `socketlab-bench page-size`.
#[derive(Debug, Clone, Args)]
pub struct PageSizeArgs {
    /// The built page (`trunk build --release` writes it to `dist/`).
    #[arg(long, default_value = "dist")]
    pub dist: PathBuf,
    /// Labels.
    #[command(flatten)]
    pub run: RunArgs,
}

/// Runs `page-size`.
pub fn run(args: PageSizeArgs) -> Result<()> {
    let wasm = only_wasm(&args.dist)?;
    let raw = std::fs::metadata(&wasm)
        .with_context(|| format!("cannot read {}", wasm.display()))?
        .len();
    let gzip = gzip_len(&wasm)?;
    eprintln!("page-size: {} is {raw} B, {gzip} B gzip -9", wasm.display());
    let mut record = args.run.record("page-size");
    record.metrics.wasm_raw_bytes = Some(raw);
    record.metrics.wasm_gzip_bytes = Some(gzip);
    record.emit()
}

/// The one `.wasm` file in `dist`.
fn only_wasm(dist: &Path) -> Result<PathBuf> {
    let entries = std::fs::read_dir(dist).with_context(|| {
        format!(
            "cannot read {} (build the page first: `cargo xtask dist`)",
            dist.display()
        )
    })?;
    let mut found = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "wasm") {
            found.push(path);
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => bail!(
            "no .wasm in {} (build the page first: `cargo xtask dist`)",
            dist.display()
        ),
        n => bail!(
            "{n} .wasm files in {}; remove stale builds (`rm -r {0}` and rebuild)",
            dist.display()
        ),
    }
}

/// Bytes of `gzip -9 -c FILE`: Debian's gzip, the reference every reader
/// can reproduce by hand.
fn gzip_len(file: &Path) -> Result<u64> {
    let output = Command::new("gzip")
        .arg("-9")
        .arg("-c")
        .arg(file)
        .output()
        .context("cannot run gzip (apt-get install gzip)")?;
    ensure!(
        output.status.success(),
        "gzip -9 failed on {}: {}",
        file.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(output.stdout.len() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_wasm_file_is_measured_raw_and_compressed() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = dir.path().join("page_bg.wasm");
        std::fs::write(&wasm, vec![0u8; 100_000]).unwrap();
        std::fs::write(dir.path().join("index.html"), "<html>").unwrap();
        assert_eq!(only_wasm(dir.path()).unwrap(), wasm);
        let gzip = gzip_len(&wasm).unwrap();
        assert!(gzip > 0 && gzip < 1_000, "zeros compress well: {gzip}");
        std::fs::write(dir.path().join("stale_bg.wasm"), b"x").unwrap();
        assert!(only_wasm(dir.path()).is_err(), "two builds are ambiguous");
    }
}
