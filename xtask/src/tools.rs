//! Idempotent tool installs: check first, install only what is missing,
//! and say which of the two happened, one line per tool.

use std::path::Path;

use anyhow::{bail, Result};

use crate::{cmd::Cmd, lockfile, workspace};

/// The Rust target the page compiles to.
const WASM_TARGET: &str = "wasm32-unknown-unknown";

/// trunk's version; 0.22 needs a newer rustc than the one we support.
const TRUNK_VERSION: &str = "0.21.14";

/// binaryen's version; Trunk.toml asks for exactly this wasm-opt.
const BINARYEN_VERSION: &str = "132";

/// Ensures everything needed to build the page: the wasm target, trunk,
/// wasm-bindgen-cli and wasm-opt.
pub fn ensure_web_tools() -> Result<()> {
    Tool {
        name: "wasm32 target",
        check: Cmd::new("rustup").args(["target", "list", "--installed"]),
        wanted: WASM_TARGET.to_owned(),
        installs: WASM_TARGET.to_owned(),
        install: Cmd::new("rustup")
            .args(["target", "add", WASM_TARGET])
            .fix("this needs rustup (https://rustup.rs) and network access"),
    }
    .ensure()?;

    Tool {
        name: "trunk",
        check: Cmd::new("trunk").arg("--version"),
        wanted: format!("trunk {TRUNK_VERSION}"),
        installs: format!("trunk {TRUNK_VERSION} (takes a few minutes)"),
        // A debug build: trunk's release profile is fat LTO with one codegen
        // unit, minutes of a fresh machine's two cores, to speed up a tool
        // whose own work (rewriting one HTML file, hashing a few more) takes
        // milliseconds; the page's wasm is built by cargo, wasm-bindgen and
        // wasm-opt either way. No debug info, no update check (it would ask
        // crates.io on every build) and no TLS: trunk needs HTTPS only to
        // download the tools Trunk.toml pins, and those are installed here.
        install: Cmd::new("cargo")
            .args(["install", "--locked", "trunk", "--version", TRUNK_VERSION])
            .args(["--debug", "--no-default-features"])
            .env("CARGO_PROFILE_DEV_DEBUG", "0")
            .fix("read cargo's error above; a network or disk problem is the usual cause"),
    }
    .ensure()?;

    Tool {
        name: "wasm-opt",
        check: Cmd::new(workspace::npm_bin_dir().join("wasm-opt")).arg("--version"),
        wanted: format!("version {BINARYEN_VERSION}"),
        installs: format!("binaryen {BINARYEN_VERSION} from npm"),
        // Debian's binaryen is too old; npm has every release.
        install: Cmd::new("npm")
            .arg("install")
            .arg("--prefix")
            .arg(workspace::npm_prefix())
            .args(["--no-audit", "--no-fund"])
            .arg(format!("binaryen@{BINARYEN_VERSION}"))
            .fix("install node and npm: apt-get install -y nodejs npm"),
    }
    .ensure()?;

    // Last, because it depends on the page's Cargo.lock being resolvable.
    let version = lockfile::locked_version("wasm-bindgen")?;
    Tool {
        name: "wasm-bindgen",
        check: Cmd::new("wasm-bindgen").arg("--version"),
        wanted: format!("wasm-bindgen {version}"),
        installs: format!("wasm-bindgen-cli {version}"),
        // Not `--locked`: one of its locked dependencies is missing from the
        // registry mirror this project is built against. A debug build
        // without debug info, as for trunk: 1 min 36 s on two cores instead
        // of 4 min 05 s for the release build, and it writes byte for byte
        // the same JavaScript and wasm for the page, in 0.9 s instead of
        // 0.2 s.
        install: Cmd::new("cargo")
            .args(["install", "wasm-bindgen-cli", "--version"])
            .arg(format!("={version}"))
            .arg("--debug")
            .env("CARGO_PROFILE_DEV_DEBUG", "0")
            .fix("read cargo's error above; a network or disk problem is the usual cause"),
    }
    .ensure()
}

/// Lighthouse's version; the scores in docs/BENCHMARKS.md were measured
/// with it, and another version weighs the audits differently.
const LIGHTHOUSE_VERSION: &str = "12.2.3";

/// Ensures Lighthouse is installed in its own npm prefix
/// ([`workspace::lighthouse_prefix`]) and returns its executable.
pub fn ensure_lighthouse() -> Result<std::path::PathBuf> {
    let prefix = workspace::lighthouse_prefix();
    let manifest = prefix
        .join("node_modules")
        .join("lighthouse")
        .join("package.json");
    let bin = prefix.join("node_modules").join(".bin").join("lighthouse");
    match installed_version(&manifest)? {
        Some(found) if found == LIGHTHOUSE_VERSION && bin.exists() => {
            eprintln!("{:<16} ok (found {found})", "lighthouse");
            return Ok(bin);
        }
        found => {
            let had = found.map_or_else(String::new, |v| format!(", found {v}"));
            eprintln!(
                "{:<16} installing lighthouse@{LIGHTHOUSE_VERSION} from npm{had} ...",
                "lighthouse"
            );
        }
    }
    Cmd::new("npm")
        .arg("install")
        .arg("--prefix")
        .arg(&prefix)
        .args(["--no-audit", "--no-fund"])
        .arg(format!("lighthouse@{LIGHTHOUSE_VERSION}"))
        .fix("install node and npm (apt-get install -y nodejs npm) and read npm's error above")
        .run()?;
    let found = installed_version(&manifest)?;
    if found.as_deref() != Some(LIGHTHOUSE_VERSION) || !bin.exists() {
        bail!(
            "{} has {found:?} after npm install, not lighthouse@{LIGHTHOUSE_VERSION}\n\
             fix: delete {} and rerun `cargo xtask lighthouse`",
            manifest.display(),
            prefix.display(),
        );
    }
    Ok(bin)
}

/// The npm packages of the real clients the browser tests drive through the
/// relay, and the version each must have (a prefix of the installed
/// version, ending at a dot). Bump one here and the next run installs it.
const CLIENT_PACKAGES: &[(&str, &str)] = &[
    ("@novnc/novnc", "1.7"),
    ("mqtt", "5"),
    ("@xterm/xterm", "6"),
    // The attach addon's release that goes with xterm.js 6.
    ("@xterm/addon-attach", "0.12"),
    // Node's `ws`, the native client of the relay's subprotocol tests.
    ("ws", "8.23"),
    // Drives Firefox over WebDriver BiDi in the Firefox browser tests; 25
    // needs Node 22, Debian has 20. Never downloads a browser of its own.
    ("puppeteer-core", "24"),
];

/// Ensures the system tools the browser tests and the NATS tests need,
/// installing the missing ones with a single apt-get run, then the
/// scripted WebSocket clients of `native_clients` tests and the real
/// browser clients' npm packages.
pub fn ensure_test_tools() -> Result<()> {
    ensure_apt_tools()?;
    // Whichever python3 is first on PATH must import it: the tests run
    // that one. Debian's (prefix /usr) gets python3-websockets from apt, as
    // its pip refuses to install into the system (PEP 668); any other (a
    // pyenv or a virtualenv first on PATH) gets it from its own pip.
    let debian_python = Cmd::new("python3")
        .args(["-c", "import sys; print(sys.prefix)"])
        .probe()?
        .is_none_or(|prefix| prefix.trim() == "/usr");
    let (installs, install) = if debian_python {
        (
            "python3-websockets from apt",
            Cmd::new("apt-get")
                .args(["install", "-y", "python3-websockets"])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .fix("run `apt-get install -y python3-websockets` as root"),
        )
    } else {
        (
            "websockets with python3's own pip",
            Cmd::new("python3")
                .args(["-m", "pip", "install", "--quiet", "websockets"])
                .fix("run `python3 -m pip install websockets` and read pip's error"),
        )
    };
    Tool {
        name: "py websockets",
        check: Cmd::new("python3")
            .args(["-c", "import websockets; print('websockets', 'importable')"]),
        wanted: "websockets importable".to_owned(),
        installs: installs.to_owned(),
        install,
    }
    .ensure()?;
    ensure_client_packages()
}

/// The Debian packages of [`ensure_test_tools`], in one apt-get run.
fn ensure_apt_tools() -> Result<()> {
    // The paths the tests are told to use, and the Debian packages that
    // provide them.
    const APT_TOOLS: &[(&str, &str)] = &[
        ("/usr/bin/chromium", "chromium"),
        ("/usr/bin/chromedriver", "chromium-driver"),
        // The page in a second engine; driven by puppeteer-core.
        ("/usr/bin/firefox-esr", "firefox-esr"),
        ("/usr/sbin/nats-server", "nats-server"),
        // Korean text in the browser tests' screenshots, not empty boxes.
        (
            "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
            "fonts-noto-cjk",
        ),
        // The real servers behind the relay in the browser client tests:
        // a VNC desktop for noVNC, an MQTT broker for MQTT.js, a shell on a
        // pty for xterm.js.
        ("/usr/bin/Xtigervnc", "tigervnc-standalone-server"),
        ("/usr/sbin/mosquitto", "mosquitto"),
        ("/usr/bin/socat", "socat"),
    ];

    let mut missing = Vec::new();
    for &(path, package) in APT_TOOLS {
        let name = file_name(path);
        if Path::new(path).exists() {
            eprintln!("{name:<16} ok (found {path})");
        } else {
            eprintln!("{name:<16} installing {package} ...");
            missing.push(package);
        }
    }
    if missing.is_empty() {
        return Ok(());
    }

    let packages = missing.join(" ");
    if !is_root()? {
        bail!(
            "installing {packages} needs root\n\
             fix: sudo apt-get update && sudo apt-get install -y {packages}"
        );
    }
    let fix = format!("run `apt-get update && apt-get install -y {packages}` and read its errors");
    Cmd::new("apt-get").arg("update").fix(&fix).run()?;
    Cmd::new("apt-get")
        .args(["install", "-y"])
        .args(&missing)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .fix(&fix)
        .run()?;

    for &(path, package) in APT_TOOLS {
        if !Path::new(path).exists() {
            bail!("{path} is still missing after installing {package}\nfix: {fix}");
        }
    }
    Ok(())
}

/// The real clients' npm packages, in their own prefix
/// ([`workspace::client_npm_prefix`]) so they and binaryen never prune each
/// other; the missing or outdated ones are installed with one npm run.
fn ensure_client_packages() -> Result<()> {
    let modules = workspace::client_npm_prefix().join("node_modules");
    let mut missing = Vec::new();
    for &(package, wanted) in CLIENT_PACKAGES {
        let manifest = modules.join(package).join("package.json");
        match installed_version(&manifest)? {
            Some(found) if version_matches(&found, wanted) => {
                eprintln!("{package:<16} ok (found {found})");
            }
            found => {
                let had = found.map_or_else(String::new, |v| format!(", found {v}"));
                eprintln!("{package:<16} installing {package}@{wanted}{had} ...");
                missing.push(format!("{package}@{wanted}"));
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    Cmd::new("npm")
        .arg("install")
        .arg("--prefix")
        .arg(workspace::client_npm_prefix())
        .args(["--no-audit", "--no-fund"])
        .args(&missing)
        // Browsers come from apt: no package may fetch one of its own.
        .env("PUPPETEER_SKIP_DOWNLOAD", "1")
        .fix("install node and npm (apt-get install -y nodejs npm) and read npm's error above")
        .run()?;
    for &(package, wanted) in CLIENT_PACKAGES {
        let manifest = modules.join(package).join("package.json");
        let found = installed_version(&manifest)?;
        if !found.as_deref().is_some_and(|v| version_matches(v, wanted)) {
            bail!(
                "{} has {found:?} after npm install, not {package}@{wanted}\n\
                 fix: delete {} and rerun `cargo xtask install-tools`",
                manifest.display(),
                workspace::client_npm_prefix().display(),
            );
        }
    }
    Ok(())
}

/// The `version` of an installed npm package, `None` when it is missing.
fn installed_version(manifest: &Path) -> Result<Option<String>> {
    let text = match std::fs::read_to_string(manifest) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => bail!("cannot read {}: {err}", manifest.display()),
    };
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|err| {
        anyhow::anyhow!(
            "{} is not JSON ({err})\nfix: delete it and rerun `cargo xtask install-tools`",
            manifest.display()
        )
    })?;
    Ok(json["version"].as_str().map(str::to_owned))
}

/// Whether `found` is release `wanted` or one of its patches: `1.7.0`
/// matches `1.7`, `1.70.0` and `1.7.0-beta` do not.
fn version_matches(found: &str, wanted: &str) -> bool {
    !found.contains('-')
        && found
            .strip_prefix(wanted)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
}

/// A tool that is checked by running a command and looking for a version
/// string in its output.
struct Tool {
    /// What the progress line calls it.
    name: &'static str,
    /// Prints what is installed, e.g. `trunk --version`.
    check: Cmd,
    /// Words that must appear together on a line of `check`'s output.
    wanted: String,
    /// What `install` installs, for the progress line.
    installs: String,
    /// Installs the wanted version.
    install: Cmd,
}

impl Tool {
    /// Installs the tool unless the wanted version is already there, then
    /// checks again so a broken install fails here, not in a later step.
    fn ensure(&self) -> Result<()> {
        if let Some(found) = self.found()? {
            eprintln!("{:<16} ok (found {found})", self.name);
            return Ok(());
        }
        eprintln!("{:<16} installing {} ...", self.name, self.installs);
        self.install.run()?;
        if self.found()?.is_none() {
            bail!(
                "`{}` still does not report `{}` after `{}`\n\
                 fix: remove the stale {} from your PATH and rerun `cargo xtask install-tools`",
                self.check,
                self.wanted,
                self.install,
                self.name,
            );
        }
        Ok(())
    }

    /// The line of `check`'s output showing the wanted version, if any.
    fn found(&self) -> Result<Option<String>> {
        Ok(self.check.probe()?.and_then(|output| {
            output
                .lines()
                .find(|line| has_words(line, &self.wanted))
                .map(|line| line.trim().to_owned())
        }))
    }
}

/// Whether `line` contains the words of `wanted` next to each other, so
/// `trunk 0.21.14` matches `trunk 0.21.14` but not `trunk 0.21.140`.
fn has_words(line: &str, wanted: &str) -> bool {
    let line: Vec<&str> = line.split_whitespace().collect();
    let wanted: Vec<&str> = wanted.split_whitespace().collect();
    !wanted.is_empty() && line.windows(wanted.len()).any(|words| words == wanted)
}

/// The last component of a path, for progress lines.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether xtask runs as root, which apt-get needs.
fn is_root() -> Result<bool> {
    let uid = Cmd::new("id").arg("-u").probe()?;
    Ok(uid.is_some_and(|uid| uid.trim() == "0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn has_words_matches_whole_words_only() {
        assert!(has_words("trunk 0.21.14", "trunk 0.21.14"));
        assert!(has_words(
            "wasm-opt version 132 (version_132)",
            "version 132"
        ));
        assert!(has_words("wasm32-unknown-unknown", WASM_TARGET));
        assert!(!has_words("trunk 0.21.140", "trunk 0.21.14"));
        assert!(!has_words("wasm-opt version 1320", "version 132"));
        assert!(!has_words("anything", ""));
    }

    #[test]
    fn client_versions_match_whole_components_only() {
        assert!(version_matches("1.7.0", "1.7"));
        assert!(version_matches("5.16.0", "5"));
        assert!(version_matches("0.12", "0.12"));
        assert!(!version_matches("1.70.0", "1.7"));
        assert!(!version_matches("1.7.0-beta", "1.7"));
        assert!(!version_matches("6.0.0", "5"));
    }

    #[test]
    fn a_missing_package_has_no_version_and_a_broken_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("package.json");
        assert_eq!(installed_version(&manifest).unwrap(), None);
        std::fs::write(&manifest, r#"{"name":"mqtt","version":"5.16.0"}"#).unwrap();
        assert_eq!(
            installed_version(&manifest).unwrap().as_deref(),
            Some("5.16.0")
        );
        std::fs::write(&manifest, "{").unwrap();
        let err = installed_version(&manifest).unwrap_err().to_string();
        assert!(
            err.contains("not JSON") && err.contains("install-tools"),
            "{err}"
        );
    }
}
