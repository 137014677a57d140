//! `--config FILE`: settings from TOML, turned into flags.
//!
//! Each key is a flag's long name (`listen`, `relay-target`, ...), so the
//! file needs no documentation of its own beyond `--help`, and every value
//! goes through exactly the validation the flag does. Precedence: command
//! line, then environment, then the file, then defaults.

use std::ffi::OsString;
use std::path::Path;

use clap::parser::ValueSource;
use clap::{ArgMatches, Command};

/// The file's settings as command-line arguments, skipping keys that the
/// command line or the environment already set.
pub fn to_args(
    path: &Path,
    command: &Command,
    matches: &ArgMatches,
) -> Result<Vec<OsString>, clap::Error> {
    let fail = |message: String| {
        command
            .clone()
            .error(clap::error::ErrorKind::InvalidValue, message)
    };
    let text = std::fs::read_to_string(path).map_err(|e| {
        fail(format!(
            "cannot read the config file {} (--config): {e}",
            path.display()
        ))
    })?;
    let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
        fail(format!(
            "the config file {} is not valid TOML: {e}",
            path.display()
        ))
    })?;

    let mut args = Vec::new();
    for (key, value) in table {
        let flag = key.replace('_', "-");
        let Some(arg) = command
            .get_arguments()
            .find(|a| a.get_long() == Some(flag.as_str()))
        else {
            let known: Vec<&str> = command
                .get_arguments()
                .filter_map(|a| a.get_long())
                .filter(|l| !matches!(*l, "config" | "help" | "version"))
                .collect();
            return Err(fail(format!(
                "unknown key `{key}` in {}; valid keys are the flag names: {}",
                path.display(),
                known.join(", ")
            )));
        };
        if flag == "config" {
            return Err(fail(format!(
                "`config` cannot be set inside {}",
                path.display()
            )));
        }
        let id = arg.get_id().as_str();
        if matches!(
            matches.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        ) {
            continue;
        }
        let long = format!("--{flag}");
        let values: Vec<toml::Value> = match value {
            toml::Value::Array(items) => items,
            single => vec![single],
        };
        for value in values {
            match value {
                toml::Value::Boolean(true) => args.push(OsString::from(&long)),
                toml::Value::Boolean(false) => {}
                toml::Value::String(s) => args.push(format!("{long}={s}").into()),
                toml::Value::Integer(n) => args.push(format!("{long}={n}").into()),
                toml::Value::Float(x) => args.push(format!("{long}={x}").into()),
                other => {
                    return Err(fail(format!(
                        "key `{key}` in {} has an unsupported value {other}; use a string, number, boolean or list",
                        path.display()
                    )))
                }
            }
        }
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use crate::Config;
    use std::io::Write;

    fn file(text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::NamedTempFile::new().unwrap();
        f.write_all(text.as_bytes()).unwrap();
        f
    }

    fn load(args: &[&str]) -> Result<Config, clap::Error> {
        Config::load_from(std::iter::once("socketlab").chain(args.iter().copied()))
    }

    #[test]
    fn file_values_apply_and_flags_override_them() {
        let f = file(
            "listen = \"127.0.0.1:9999\"\nchat-queue = 64\nno_tcp_chat = true\n\
             relay-target = [\"vnc=tcp://127.0.0.1:5900\", \"dns=udp://127.0.0.1:53\"]\n",
        );
        let path = f.path().to_str().unwrap();
        let config = load(&["--config", path]).unwrap();
        assert_eq!(config.listen.port(), 9999);
        assert_eq!(config.chat_queue, 64);
        assert!(config.no_tcp_chat);
        assert_eq!(config.relay_targets.len(), 2);
        let config = load(&["--config", path, "--listen", "127.0.0.1:1234"]).unwrap();
        assert_eq!(config.listen.port(), 1234);
    }

    #[test]
    fn bad_files_name_the_key() {
        let unknown = file("lissen = \"x\"\n");
        let err = load(&["--config", unknown.path().to_str().unwrap()]).unwrap_err();
        assert!(err.to_string().contains("unknown key `lissen`"), "{err}");
        assert_eq!(err.exit_code(), 2);

        let bad_value = file("chat-queue = 1\n");
        let err = load(&["--config", bad_value.path().to_str().unwrap()]).unwrap_err();
        assert!(err.to_string().contains("chat-queue"), "{err}");
        assert_eq!(err.exit_code(), 2);

        let not_toml = file("listen = \n");
        let err = load(&["--config", not_toml.path().to_str().unwrap()]).unwrap_err();
        assert!(err.to_string().contains("not valid TOML"), "{err}");

        let err = load(&["--config", "/no/such/file.toml"]).unwrap_err();
        assert!(err.to_string().contains("cannot read"), "{err}");
    }
}
