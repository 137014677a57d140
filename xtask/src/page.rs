//! The page build (`trunk build --release`), done only when something the
//! page is built from changed, and written into `dist/` without touching
//! the files that stay the same.
//!
//! The server embeds `dist/` at compile time (`server/build.rs` watches it),
//! so a `dist/` rewritten with the same bytes but new timestamps recompiles
//! and relinks the server. trunk rewrites every file on every build, and its
//! wasm-opt pass alone takes most of a minute. So xtask:
//!
//! 1. hashes the page's inputs ([`INPUT_FILES`], [`INPUT_DIRS`], the tool
//!    versions and the build environment) and compares that, and a hash of
//!    every file in `dist/`, with the stamp the last build left in
//!    `target/page/stamp`; when both match there is nothing to do;
//! 2. otherwise runs trunk into a staging directory (`target/page/dist`),
//!    renders the page's HTML into it for every language ([`prerender`]),
//!    and copies into `dist/` only the files whose bytes differ, removing
//!    the ones no longer written ([`sync_dir`]).

use std::collections::BTreeMap;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use sha2::{Digest, Sha256};

use crate::{cmd::Cmd, workspace};

/// Files trunk and cargo read to build the page, relative to the root.
/// Optional ones (`.cargo/config.toml`, a toolchain file) count when present.
const INPUT_FILES: &[&str] = &[
    "index.html",
    "Trunk.toml",
    "Cargo.toml",
    "Cargo.lock",
    ".cargo/config.toml",
    ".cargo/config",
    "rust-toolchain",
    "rust-toolchain.toml",
];

/// Directories whose every file is an input: the page's crate (sources,
/// style sheet, manifest) and the protocol crate it links.
const INPUT_DIRS: &[&str] = &["web-client", "shared"];

/// Environment variables that change what trunk or cargo build.
const INPUT_ENV: &[&str] = &[
    "RUSTFLAGS",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
];

/// Environment variable prefixes that do the same (trunk's own settings,
/// cargo's profile overrides).
const INPUT_ENV_PREFIXES: &[&str] = &["TRUNK_", "CARGO_PROFILE_"];

/// Names skipped when hashing or copying a tree: build output, and the
/// directory trunk assembles its output in.
const SKIPPED: &[&str] = &["target", ".stage"];

/// Builds the page into `dist/` unless it is already built from the
/// current inputs. Expects [`crate::tools::ensure_web_tools`] first.
pub fn build() -> Result<()> {
    let root = workspace::root();
    let dist = root.join("dist");
    let work = workspace::target_dir().join("page");
    let stamp_path = work.join("stamp");

    let inputs = inputs_digest(root)?;
    if is_up_to_date(&stamp_path, &inputs, &dist)? {
        eprintln!(
            "page             up to date (no input changed since the last build; dist/ untouched)"
        );
        return Ok(());
    }

    let staging = work.join("dist");
    Cmd::new("trunk")
        .args(["build", "--release", "--dist"])
        .arg(&staging)
        .fix("fix the page's build errors above (see web-client/)")
        .run()?;
    if !staging.join("index.html").is_file() {
        bail!(
            "trunk finished but wrote no {}\nfix: check Trunk.toml's [build] target",
            staging.join("index.html").display()
        );
    }
    let trunk_done = Instant::now();
    prerender(&staging)?;
    eprintln!(
        "page             prerendered the HTML of every language in {:.1} s",
        trunk_done.elapsed().as_secs_f64()
    );
    let report = sync_dir(&staging, &dist)?;
    eprintln!(
        "page             dist/: {} written, {} removed, {} unchanged",
        report.written, report.removed, report.unchanged
    );
    write_stamp(&stamp_path, &inputs, &dist)
}

/// Renders the page's HTML into trunk's output (`socketlab-prerender`,
/// native, from the same components): `index.html` and one
/// `index.LANG.html` per language, which the WebAssembly hydrates.
///
/// Built with the `tests` step's selection (`--workspace --features
/// socketlab-web/ssr`, see [`crate::checks`]): cargo resolves features over
/// the packages a command selects, so with `-p socketlab-web` yew, web-sys,
/// tokio, serde and 50 more got other features than the tests give them and
/// were compiled twice on a fresh machine. `--bin` still builds only what
/// the prerenderer needs.
fn prerender(staging: &Path) -> Result<()> {
    let fix = "fix the errors above: the page's first render must also run natively, \
               so it may not read the browser (see web-client/src/prerender.rs)";
    Cmd::new("cargo")
        .args([
            "build",
            "--quiet",
            "--workspace",
            "--features",
            "socketlab-web/ssr",
        ])
        .args(["--bin", "socketlab-prerender"])
        .fix(fix)
        .run()?;
    Cmd::new(
        workspace::target_dir()
            .join("debug")
            .join("socketlab-prerender"),
    )
    .arg(staging.join("index.html"))
    .arg(staging)
    .fix(fix)
    .run()
}

/// One hash over everything the page build depends on.
fn inputs_digest(root: &Path) -> Result<String> {
    let mut hasher = Sha256::new();
    hash_inputs(&mut hasher, root, INPUT_FILES, INPUT_DIRS)?;
    for (name, version) in tool_versions()? {
        hash_field(&mut hasher, "tool", name.as_bytes());
        hash_field(&mut hasher, "version", version.as_bytes());
    }
    let mut env: Vec<(String, String)> = std::env::vars()
        .filter(|(key, _)| {
            INPUT_ENV.contains(&key.as_str())
                || INPUT_ENV_PREFIXES
                    .iter()
                    .any(|prefix| key.starts_with(prefix))
        })
        .collect();
    env.sort();
    for (key, value) in env {
        hash_field(&mut hasher, "env", format!("{key}={value}").as_bytes());
    }
    Ok(hex(&hasher.finalize()))
}

/// The versions of the tools that turn the inputs into the page; a new
/// compiler or optimiser means new output.
fn tool_versions() -> Result<Vec<(&'static str, String)>> {
    let probes = [
        ("rustc", Cmd::new("rustc").arg("-vV")),
        ("trunk", Cmd::new("trunk").arg("--version")),
        ("wasm-bindgen", Cmd::new("wasm-bindgen").arg("--version")),
        (
            "wasm-opt",
            Cmd::new(workspace::npm_bin_dir().join("wasm-opt")).arg("--version"),
        ),
    ];
    probes
        .into_iter()
        .map(|(name, cmd)| Ok((name, cmd.probe()?.unwrap_or_default())))
        .collect()
}

/// Feeds the named files and every file under the named directories into
/// `hasher`, each with its path, in a fixed order.
fn hash_inputs(hasher: &mut Sha256, root: &Path, files: &[&str], dirs: &[&str]) -> Result<()> {
    for file in files {
        hash_field(hasher, "file", file.as_bytes());
        match fs::read(root.join(file)) {
            Ok(bytes) => hash_field(hasher, "bytes", &bytes),
            Err(err) if err.kind() == ErrorKind::NotFound => hash_field(hasher, "missing", b""),
            Err(err) => {
                return Err(err)
                    .with_context(|| format!("cannot read {}", root.join(file).display()))
            }
        }
    }
    for dir in dirs {
        hash_field(hasher, "dir", dir.as_bytes());
        for (path, digest) in tree_digests(&root.join(dir))? {
            hash_field(hasher, "path", path.as_bytes());
            hash_field(hasher, "sha256", digest.as_bytes());
        }
    }
    Ok(())
}

/// Writes a tagged, length-prefixed field, so no two different sequences
/// of fields hash the same bytes.
fn hash_field(hasher: &mut Sha256, tag: &str, bytes: &[u8]) {
    hasher.update(tag.as_bytes());
    hasher.update((bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

/// Every file under `dir` (skipping [`SKIPPED`] names), by path relative to
/// `dir` with `/` separators, with the SHA-256 of its bytes. A missing
/// `dir` has no files.
fn tree_digests(dir: &Path) -> Result<BTreeMap<String, String>> {
    let mut digests = BTreeMap::new();
    for path in tree_files(dir)? {
        let bytes = fs::read(dir.join(&path))
            .with_context(|| format!("cannot read {}", dir.join(&path).display()))?;
        digests.insert(path, hex(&Sha256::digest(&bytes)));
    }
    Ok(digests)
}

/// The files under `dir`, relative, sorted, skipping [`SKIPPED`] names.
fn tree_files(dir: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let entries = match fs::read_dir(dir.join(&relative)) {
            Ok(entries) => entries,
            Err(err) if err.kind() == ErrorKind::NotFound && relative.as_os_str().is_empty() => {
                return Ok(files)
            }
            Err(err) => {
                return Err(err)
                    .with_context(|| format!("cannot list {}", dir.join(&relative).display()))
            }
        };
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
            let name = entry.file_name();
            if SKIPPED.iter().any(|skipped| name == *skipped) {
                continue;
            }
            let path = relative.join(&name);
            // Follows symbolic links, as trunk and cargo do.
            let meta = fs::metadata(dir.join(&path))
                .with_context(|| format!("cannot read {}", dir.join(&path).display()))?;
            if meta.is_dir() {
                pending.push(path);
            } else {
                files.push(slash_path(&path)?);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A relative path with `/` separators, as stored in the stamp.
fn slash_path(path: &Path) -> Result<String> {
    let parts: Option<Vec<&str>> = path.iter().map(|part| part.to_str()).collect();
    match parts {
        Some(parts) => Ok(parts.join("/")),
        None => bail!("{} is not valid UTF-8", path.display()),
    }
}

/// Lowercase hex.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The stamp's text: the inputs' digest, then one line per file of `dist`.
fn stamp_text(inputs: &str, dist: &Path) -> Result<String> {
    let mut text = format!("inputs {inputs}\n");
    for (path, digest) in tree_digests(dist)? {
        text.push_str(&format!("{digest}  {path}\n"));
    }
    Ok(text)
}

/// Whether the last build used these inputs and `dist` still holds exactly
/// what it wrote (nobody deleted, edited or added a file since).
fn is_up_to_date(stamp: &Path, inputs: &str, dist: &Path) -> Result<bool> {
    let recorded = match fs::read_to_string(stamp) {
        Ok(text) => text,
        Err(err) if err.kind() == ErrorKind::NotFound => return Ok(false),
        Err(err) => return Err(err).with_context(|| format!("cannot read {}", stamp.display())),
    };
    // Checking the inputs first spares hashing dist/ when they changed.
    if recorded.lines().next() != Some(&format!("inputs {inputs}")) {
        return Ok(false);
    }
    Ok(dist.join("index.html").is_file() && recorded == stamp_text(inputs, dist)?)
}

/// Records that `dist` was built from `inputs`.
fn write_stamp(stamp: &Path, inputs: &str, dist: &Path) -> Result<()> {
    let text = stamp_text(inputs, dist)?;
    if let Some(parent) = stamp.parent() {
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
    }
    fs::write(stamp, text).with_context(|| format!("cannot write {}", stamp.display()))
}

/// What [`sync_dir`] did.
#[derive(Debug, Default, PartialEq, Eq)]
struct SyncReport {
    /// Files copied because they were new or their bytes differed.
    written: usize,
    /// Files (and emptied directories) removed because `from` lacks them.
    removed: usize,
    /// Files left alone, timestamps included, because their bytes match.
    unchanged: usize,
}

/// Makes `to` hold exactly the files of `from`, writing only files whose
/// bytes differ (each through a temporary file and a rename, so a reader
/// never sees half a file) and removing what `from` lacks.
fn sync_dir(from: &Path, to: &Path) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    let wanted = tree_files(from)?;
    fs::create_dir_all(to).with_context(|| format!("cannot create {}", to.display()))?;
    for path in &wanted {
        let source = from.join(path);
        let target = to.join(path);
        let bytes =
            fs::read(&source).with_context(|| format!("cannot read {}", source.display()))?;
        if fs::read(&target).is_ok_and(|old| old == bytes) {
            report.unchanged += 1;
            continue;
        }
        if target.is_dir() {
            fs::remove_dir_all(&target)
                .with_context(|| format!("cannot remove {}", target.display()))?;
        }
        let parent = target
            .parent()
            .context("a file in a directory has a parent")?;
        fs::create_dir_all(parent)
            .with_context(|| format!("cannot create {}", parent.display()))?;
        let temporary = parent.join(format!(
            ".{}.xtask-tmp",
            target
                .file_name()
                .context("a file has a name")?
                .to_string_lossy()
        ));
        fs::write(&temporary, &bytes)
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        fs::rename(&temporary, &target).with_context(|| {
            format!(
                "cannot rename {} to {}",
                temporary.display(),
                target.display()
            )
        })?;
        report.written += 1;
    }
    report.removed = remove_stale(to, Path::new(""), &wanted)?;
    Ok(report)
}

/// Removes everything under `root/relative` that is neither a file in
/// `wanted` nor a directory holding one; returns how many entries went.
fn remove_stale(root: &Path, relative: &Path, wanted: &[String]) -> Result<usize> {
    let dir = root.join(relative);
    let mut removed = 0;
    for entry in fs::read_dir(&dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        let path = relative.join(entry.file_name());
        let full = root.join(&path);
        let name = slash_path(&path)?;
        let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
        if is_dir {
            let prefix = format!("{name}/");
            if wanted.iter().any(|file| file.starts_with(&prefix)) {
                removed += remove_stale(root, &path, wanted)?;
            } else {
                fs::remove_dir_all(&full)
                    .with_context(|| format!("cannot remove {}", full.display()))?;
                removed += 1;
            }
        } else if wanted.binary_search(&name).is_err() {
            fs::remove_file(&full).with_context(|| format!("cannot remove {}", full.display()))?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let path = root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn inputs_of(root: &Path) -> String {
        let mut hasher = Sha256::new();
        hash_inputs(
            &mut hasher,
            root,
            &["index.html", "absent.toml"],
            &["web-client"],
        )
        .unwrap();
        hex(&hasher.finalize())
    }

    /// Sets a file's modification time far into the past, so a rewrite
    /// would be visible even on a coarse-grained file system.
    fn age(path: &Path) -> SystemTime {
        let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        old
    }

    fn modified(path: &Path) -> SystemTime {
        fs::metadata(path).unwrap().modified().unwrap()
    }

    #[test]
    fn the_inputs_digest_changes_with_any_input_and_nothing_else() {
        let root = tempfile::tempdir().unwrap();
        let root = root.path();
        write(root, "index.html", "<html>");
        write(root, "web-client/src/main.rs", "fn main() {}");
        write(root, "web-client/style.css", "body {}");
        let first = inputs_of(root);
        assert_eq!(first, inputs_of(root), "the digest is deterministic");

        // Build output and unlisted files are not inputs.
        write(root, "web-client/target/debug/junk", "x");
        write(root, "server/src/main.rs", "fn main() {}");
        assert_eq!(first, inputs_of(root));

        write(root, "web-client/src/main.rs", "fn main() { }");
        let edited = inputs_of(root);
        assert_ne!(first, edited, "an edited source");

        fs::rename(
            root.join("web-client/src/main.rs"),
            root.join("web-client/src/lib.rs"),
        )
        .unwrap();
        assert_ne!(edited, inputs_of(root), "a renamed source");

        write(root, "absent.toml", "");
        assert_ne!(
            edited,
            inputs_of(root),
            "an optional file appearing, even empty"
        );
    }

    #[test]
    fn sync_writes_only_what_differs_and_removes_what_is_gone() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("staging"), dir.path().join("dist"));
        write(&from, "index.html", "new page");
        write(&from, "app-1.wasm", "same wasm");
        write(&from, "snippets/a/b.js", "new js");
        write(&to, "index.html", "old page");
        write(&to, "app-1.wasm", "same wasm");
        write(&to, "app-0.wasm", "stale wasm");
        write(&to, "old/deep/x.js", "stale dir");
        let kept = age(&to.join("app-1.wasm"));

        let report = sync_dir(&from, &to).unwrap();

        assert_eq!(
            report,
            SyncReport {
                written: 2,
                removed: 2,
                unchanged: 1
            }
        );
        assert_eq!(tree_files(&to).unwrap(), tree_files(&from).unwrap());
        assert_eq!(
            fs::read_to_string(to.join("index.html")).unwrap(),
            "new page"
        );
        assert_eq!(
            fs::read_to_string(to.join("snippets/a/b.js")).unwrap(),
            "new js"
        );
        assert_eq!(
            modified(&to.join("app-1.wasm")),
            kept,
            "unchanged file untouched"
        );

        // A second sync of the same output touches nothing at all.
        let page = age(&to.join("index.html"));
        assert_eq!(
            sync_dir(&from, &to).unwrap(),
            SyncReport {
                written: 0,
                removed: 0,
                unchanged: 3
            }
        );
        assert_eq!(modified(&to.join("index.html")), page);
    }

    #[test]
    fn sync_into_a_missing_directory_creates_it() {
        let dir = tempfile::tempdir().unwrap();
        let (from, to) = (dir.path().join("staging"), dir.path().join("dist"));
        write(&from, "index.html", "page");
        assert_eq!(sync_dir(&from, &to).unwrap().written, 1);
        assert_eq!(fs::read_to_string(to.join("index.html")).unwrap(), "page");
    }

    #[test]
    fn up_to_date_only_with_the_same_inputs_and_an_untouched_dist() {
        let dir = tempfile::tempdir().unwrap();
        let (stamp, dist) = (dir.path().join("page/stamp"), dir.path().join("dist"));
        write(&dist, "index.html", "page");
        write(&dist, "app.wasm", "wasm");
        assert!(!is_up_to_date(&stamp, "abc", &dist).unwrap(), "never built");

        write_stamp(&stamp, "abc", &dist).unwrap();
        assert!(is_up_to_date(&stamp, "abc", &dist).unwrap());
        assert!(
            !is_up_to_date(&stamp, "abd", &dist).unwrap(),
            "inputs changed"
        );

        write(&dist, "app.wasm", "edited");
        assert!(
            !is_up_to_date(&stamp, "abc", &dist).unwrap(),
            "output edited"
        );
        write(&dist, "app.wasm", "wasm");
        assert!(is_up_to_date(&stamp, "abc", &dist).unwrap());

        write(&dist, "extra.js", "");
        assert!(
            !is_up_to_date(&stamp, "abc", &dist).unwrap(),
            "output added"
        );
        fs::remove_file(dist.join("extra.js")).unwrap();

        fs::remove_dir_all(&dist).unwrap();
        assert!(
            !is_up_to_date(&stamp, "abc", &dist).unwrap(),
            "output deleted"
        );
    }
}
