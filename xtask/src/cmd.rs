//! A tiny command runner. It prints every command before running it, so a
//! failure can be reproduced by copy-pasting, and turns failures into errors
//! that name the command and say how to fix it.

use std::{
    ffi::{OsStr, OsString},
    fmt,
    io::ErrorKind,
    process::{Command, Stdio},
};

use anyhow::{anyhow, bail, Context, Error, Result};

use crate::workspace;

/// A command to run in the workspace root, with PATH set up by
/// [`workspace::child_path`].
pub struct Cmd {
    /// The executable, found on the child's PATH unless it is a path.
    program: OsString,
    /// Its arguments.
    args: Vec<OsString>,
    /// Environment variables set on top of the inherited ones.
    envs: Vec<(OsString, OsString)>,
    /// What to do when it fails; shown in the error.
    fix: String,
}

impl Cmd {
    /// Starts describing a command; nothing runs until [`Cmd::run`],
    /// [`Cmd::output`], [`Cmd::probe`] or [`Cmd::exec`].
    pub fn new(program: impl AsRef<OsStr>) -> Self {
        Self {
            program: program.as_ref().to_owned(),
            args: Vec::new(),
            envs: Vec::new(),
            fix: "read its output above".to_owned(),
        }
    }

    /// Appends one argument.
    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    /// Appends several arguments.
    pub fn args(mut self, args: impl IntoIterator<Item = impl AsRef<OsStr>>) -> Self {
        self.args
            .extend(args.into_iter().map(|arg| arg.as_ref().to_owned()));
        self
    }

    /// Sets an environment variable for the child (shown when printed, so
    /// the printed line reproduces the run).
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.envs
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Says how to fix a failure of this command; every error includes it.
    pub fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = fix.into();
        self
    }

    /// Prints the command, runs it with inherited stdio, and fails unless it
    /// exits successfully.
    pub fn run(&self) -> Result<()> {
        eprintln!("$ {self}");
        let status = self
            .command()?
            .status()
            .map_err(|err| self.start_error(err))?;
        if !status.success() {
            bail!("`{self}` failed ({status})\nfix: {}", self.fix);
        }
        Ok(())
    }

    /// Like [`Cmd::run`], but captures and returns stdout instead of
    /// streaming it (stderr still streams).
    pub fn output(&self) -> Result<String> {
        eprintln!("$ {self}");
        let output = self
            .command()?
            .stderr(Stdio::inherit())
            .output()
            .map_err(|err| self.start_error(err))?;
        if !output.status.success() {
            bail!("`{self}` failed ({})\nfix: {}", output.status, self.fix);
        }
        String::from_utf8(output.stdout).with_context(|| format!("`{self}` printed non-UTF-8"))
    }

    /// Runs the command quietly to ask a question such as "which version is
    /// installed?". Returns its stdout, or `None` when the program is missing
    /// or fails: for a probe, that is an answer rather than an error.
    pub fn probe(&self) -> Result<Option<String>> {
        let output = match self.command()?.stderr(Stdio::null()).output() {
            Ok(output) => output,
            Err(err) if err.kind() == ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(self.start_error(err)),
        };
        if !output.status.success() {
            return Ok(None);
        }
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        Ok(Some(stdout))
    }

    /// Prints the command and replaces the current process with it, so
    /// signals (Ctrl-C) and the exit code belong to the command alone.
    /// Returns only if the command could not be started.
    #[cfg(unix)]
    pub fn exec(&self) -> Error {
        use std::os::unix::process::CommandExt as _;

        eprintln!("$ {self}");
        match self.command() {
            Ok(mut command) => self.start_error(command.exec()),
            Err(err) => err,
        }
    }

    /// Prints the command, runs it, and exits with its exit code.
    /// Returns only if the command could not be started.
    #[cfg(not(unix))]
    pub fn exec(&self) -> Error {
        eprintln!("$ {self}");
        match self.command().map(|mut command| command.status()) {
            Ok(Ok(status)) => std::process::exit(status.code().unwrap_or(1)),
            Ok(Err(err)) => self.start_error(err),
            Err(err) => err,
        }
    }

    /// The `std` command this describes.
    fn command(&self) -> Result<Command> {
        let mut command = Command::new(&self.program);
        for (key, _) in std::env::vars_os() {
            if is_own_package_var(&key) {
                command.env_remove(key);
            }
        }
        command
            .args(&self.args)
            .envs(self.envs.iter().map(|(key, value)| (key, value)))
            .env("PATH", workspace::child_path()?)
            .current_dir(workspace::root());
        Ok(command)
    }

    /// The error for a command that could not even be started.
    fn start_error(&self, err: std::io::Error) -> Error {
        anyhow!(
            "could not start `{}`: {err}\nfix: {}",
            self.program.to_string_lossy(),
            self.fix
        )
    }
}

/// Renders the command as a shell line: `KEY=value program arg ...`.
impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (key, value) in &self.envs {
            write!(f, "{}={} ", key.to_string_lossy(), quote(value))?;
        }
        write!(f, "{}", quote(&self.program))?;
        for arg in &self.args {
            write!(f, " {}", quote(arg))?;
        }
        Ok(())
    }
}

/// Quotes a word for a POSIX shell when it needs it, so printed commands
/// can be pasted back into a terminal.
fn quote(word: &OsStr) -> String {
    let word = word.to_string_lossy();
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_=./:,+@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.into_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// Whether `key` is one of the variables `cargo run` sets for the package
/// it runs (`CARGO_MANIFEST_DIR=…/xtask`, `CARGO_PKG_NAME=xtask`, …). xtask
/// keeps them from the commands it runs: a build script that watches one
/// (ring watches `CARGO_MANIFEST_DIR`) would otherwise see one value under
/// `cargo xtask` and none under a `cargo` typed by hand, and every switch
/// between the two would rebuild it and everything that depends on it.
fn is_own_package_var(key: &OsStr) -> bool {
    let Some(key) = key.to_str() else {
        return false;
    };
    key.starts_with("CARGO_PKG_")
        || key.starts_with("CARGO_MANIFEST_")
        || key == "CARGO_CRATE_NAME"
        || key == "CARGO_BIN_NAME"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_a_pasteable_shell_line() {
        let cmd = Cmd::new("cargo")
            .args(["test", "--", "--test-threads=1"])
            .arg("two words")
            .arg("it's")
            .arg("")
            .env("SOCKETLAB_BROWSER_TESTS", "1");
        assert_eq!(
            cmd.to_string(),
            r"SOCKETLAB_BROWSER_TESTS=1 cargo test -- --test-threads=1 'two words' 'it'\''s' ''"
        );
    }

    #[test]
    #[cfg(unix)]
    fn failure_names_the_command_and_the_fix() {
        let err = Cmd::new("false")
            .arg("--flag")
            .fix("do X")
            .run()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`false --flag` failed (exit status: 1)\nfix: do X"
        );
    }

    #[test]
    fn missing_program_names_the_fix() {
        let err = Cmd::new("socketlab-xtask-no-such-program")
            .fix("install it")
            .run()
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("could not start `socketlab-xtask-no-such-program`"));
        assert!(err.ends_with("\nfix: install it"));
    }

    #[test]
    #[cfg(unix)]
    fn children_do_not_inherit_the_variables_cargo_set_for_xtask() {
        // `cargo test` sets them for this test binary as `cargo run` does
        // for xtask.
        assert!(std::env::var_os("CARGO_MANIFEST_DIR").is_some());
        assert!(std::env::var_os("CARGO_PKG_NAME").is_some());
        let seen = Cmd::new("sh")
            .args([
                "-c",
                "echo \"${CARGO_MANIFEST_DIR-unset} ${CARGO_PKG_NAME-unset} $HOME\"",
            ])
            .output()
            .unwrap();
        let home = std::env::var("HOME").unwrap();
        assert_eq!(seen.trim(), format!("unset unset {home}"));
    }

    #[test]
    fn probe_of_a_missing_program_is_none() {
        let cmd = Cmd::new("socketlab-xtask-no-such-program");
        assert_eq!(cmd.probe().unwrap(), None);
    }
}
