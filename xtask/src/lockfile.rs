//! Reads package versions from `Cargo.lock`.
//!
//! wasm-bindgen-cli must be exactly the version of the wasm-bindgen crate the
//! page links, or the generated glue does not match; Cargo.lock is where that
//! version is decided.

use std::fs;

use anyhow::{bail, Context, Result};

use crate::{cmd::Cmd, workspace};

/// The locked version of `package`, resolving the lockfile first if it does
/// not mention the package yet (e.g. right after a dependency was added).
pub fn locked_version(package: &str) -> Result<String> {
    if let Some(version) = read_version(package)? {
        return Ok(version);
    }
    // `cargo metadata` brings Cargo.lock up to date without upgrading
    // anything already locked (unlike `cargo generate-lockfile`).
    Cmd::new("cargo")
        .args(["metadata", "--format-version", "1"])
        .fix("make the workspace's Cargo.toml files valid")
        .output()?;
    match read_version(package)? {
        Some(version) => Ok(version),
        None => bail!(
            "Cargo.lock has no `{package}` package, so there is no version to match\n\
             fix: make socketlab-web depend on `{package}`"
        ),
    }
}

/// The version of `package` in the workspace's Cargo.lock, if any.
fn read_version(package: &str) -> Result<Option<String>> {
    let path = workspace::root().join("Cargo.lock");
    if !path.exists() {
        return Ok(None);
    }
    let lockfile =
        fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(package_version(&lockfile, package).map(str::to_owned))
}

/// The version of the first `[[package]]` named `package` in a lockfile's
/// text. (Two semver-incompatible wasm-bindgen versions cannot link into one
/// page, so "first" is "the" in practice.)
fn package_version<'a>(lockfile: &'a str, package: &str) -> Option<&'a str> {
    lockfile
        .split("[[package]]")
        .skip(1)
        .find(|block| field(block, "name") == Some(package))
        .and_then(|block| field(block, "version"))
}

/// The value of a `key = "value"` line in a lockfile block.
fn field<'a>(block: &'a str, key: &str) -> Option<&'a str> {
    block.lines().find_map(|line| {
        line.strip_prefix(key)?
            .trim_start()
            .strip_prefix('=')?
            .trim()
            .strip_prefix('"')?
            .strip_suffix('"')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCKFILE: &str = r#"
version = 4

[[package]]
name = "wasm-bindgen-macro"
version = "0.2.99"

[[package]]
name = "wasm-bindgen"
version = "0.2.100"
source = "registry+https://github.com/rust-lang/crates.io-index"
dependencies = [
 "wasm-bindgen-macro",
]
"#;

    #[test]
    fn finds_the_package_by_exact_name() {
        assert_eq!(package_version(LOCKFILE, "wasm-bindgen"), Some("0.2.100"));
        assert_eq!(
            package_version(LOCKFILE, "wasm-bindgen-macro"),
            Some("0.2.99")
        );
    }

    #[test]
    fn missing_package_is_none() {
        assert_eq!(package_version(LOCKFILE, "wasm"), None);
        assert_eq!(package_version("", "wasm-bindgen"), None);
    }
}
