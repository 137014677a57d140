//! Where things live: `socketlab-bench run` starts in the workspace root
//! (`cargo xtask bench` runs it there), and every path is derived from it.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The workspace root: the directory the run started in.
pub fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")))
}

/// Cargo's output directory.
pub fn target_dir() -> PathBuf {
    root().join("target")
}

/// The release server binary, with the page embedded.
pub fn server_binary() -> PathBuf {
    target_dir().join("release").join("socketlab")
}

/// The release harness binary.
pub fn bench_binary() -> PathBuf {
    target_dir().join("release").join("socketlab-bench")
}

/// The release allocation counter (`socketlab-alloc`).
pub fn alloc_binary() -> PathBuf {
    target_dir().join("release").join("socketlab-alloc")
}
