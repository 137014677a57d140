//! Where things live. Every path is derived from xtask's own location, so
//! xtask behaves the same whatever directory it is started from.

use std::{
    env,
    ffi::OsString,
    path::{Path, PathBuf},
};

use anyhow::{Context, Result};

/// The workspace root (xtask's parent directory); every command runs here.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask is a member of the workspace, so it has a parent directory")
}

/// Cargo's output directory, which also holds tools installed locally so
/// that `cargo clean` resets them too.
pub fn target_dir() -> PathBuf {
    root().join("target")
}

/// Where xtask installs the tools it keeps per clone (wasm-opt, the
/// Autobahn suite), so nothing outside the repository is needed or touched.
pub fn tools_dir() -> PathBuf {
    target_dir().join("tools")
}

/// The npm prefix binaryen is installed into, kept out of the global npm
/// prefix so xtask never needs to touch the system's node setup.
pub fn npm_prefix() -> PathBuf {
    tools_dir()
}

/// The npm prefix of the real clients the tests drive (noVNC, MQTT.js,
/// xterm.js, Node's `ws`); `server/tests/it/` loads them from its
/// `node_modules`.
pub fn client_npm_prefix() -> PathBuf {
    tools_dir().join("npm")
}

/// The npm prefix of Lighthouse, kept apart from the others: it is large,
/// and only `cargo xtask lighthouse` needs it.
pub fn lighthouse_prefix() -> PathBuf {
    tools_dir().join("lighthouse")
}

/// Where npm puts the executables of locally installed packages (wasm-opt).
pub fn npm_bin_dir() -> PathBuf {
    npm_prefix().join("node_modules").join(".bin")
}

/// Where `cargo install` puts binaries. CI shells often lack it on PATH,
/// so xtask adds it itself.
pub fn cargo_bin_dir() -> Option<PathBuf> {
    let cargo_home = env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))?;
    Some(cargo_home.join("bin"))
}

/// The release server binary, with the page embedded.
pub fn server_binary() -> PathBuf {
    target_dir().join("release").join("socketlab")
}

/// The debug server binary, with the page embedded: cargo builds it for
/// the server's integration tests, so it exists after the `tests` step of
/// `cargo xtask test`, which drives it in every later step.
pub fn test_server_binary() -> PathBuf {
    target_dir().join("debug").join("socketlab")
}

/// PATH for every child process: locally installed tools first, so trunk
/// finds wasm-opt 132 and freshly `cargo install`ed tools are found even
/// when `~/.cargo/bin` is not on the caller's PATH.
pub fn child_path() -> Result<OsString> {
    let inherited = env::var_os("PATH").unwrap_or_default();
    let dirs = [Some(npm_bin_dir()), cargo_bin_dir()]
        .into_iter()
        .flatten()
        .chain(env::split_paths(&inherited));
    env::join_paths(dirs).context("cannot build PATH for child processes")
}
