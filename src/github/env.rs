//! Variables and `PATH` entries for later steps: `GITHUB_ENV` and `GITHUB_PATH`.
//!
//! `GITHUB_ENV` takes the same `name=value` / `name<<DELIM` format as `GITHUB_OUTPUT`;
//! `GITHUB_PATH` takes one directory per line.
//! See <https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#setting-an-environment-variable>
//! and <https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#adding-a-system-path>.
//!
//! Names that change how every later process runs (`NODE_OPTIONS`, `LD_PRELOAD`, `BASH_ENV`,
//! …) or that belong to the runner (`GITHUB_*`, `RUNNER_*`) are refused: slipway never needs
//! them, and writing them from data would be an injection path.
//!
//! Without the files (a local run) the values are printed on stderr as `env NAME: value` and
//! `path: DIR`.

use std::path::Path;

use super::{Error, Runtime, key_value, random_delimiter};

/// Variables that alter every later process of the job; never set through `GITHUB_ENV`.
// NOTE: the runner itself refuses NODE_OPTIONS in GITHUB_ENV
// (https://github.blog/changelog/2023-10-05-github-actions-node20-node_options-restrictions/);
// the others are the usual loader and shell start-up hooks.
pub const REFUSED_NAMES: &[&str] = &[
    "NODE_OPTIONS",
    "LD_PRELOAD",
    "LD_LIBRARY_PATH",
    "LD_AUDIT",
    "DYLD_INSERT_LIBRARIES",
    "DYLD_LIBRARY_PATH",
    "BASH_ENV",
    "ENV",
    "PROMPT_COMMAND",
    "PATH",
    "PYTHONSTARTUP",
    "PERL5OPT",
    "RUBYOPT",
    "JAVA_TOOL_OPTIONS",
];

/// Prefixes that belong to the runner.
pub const REFUSED_PREFIXES: &[&str] = &["GITHUB_", "RUNNER_"];

/// Checks an environment variable name: `[A-Za-z_][A-Za-z0-9_]*`, not refused.
pub fn validate_name(name: &str) -> Result<(), Error> {
    let invalid = |reason| {
        Err(Error::InvalidName {
            kind: "environment variable",
            name: name.to_owned(),
            reason,
        })
    };
    let Some(first) = name.chars().next() else {
        return invalid("it is empty");
    };
    if !(first.is_ascii_alphabetic() || first == '_')
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return invalid("use letters, digits and `_`, starting with a letter or `_`");
    }
    let upper = name.to_ascii_uppercase();
    if REFUSED_NAMES.contains(&upper.as_str()) {
        return invalid("it changes how every later process runs");
    }
    if REFUSED_PREFIXES.iter().any(|p| upper.starts_with(p)) {
        return invalid("the runner owns `GITHUB_*` and `RUNNER_*`");
    }
    Ok(())
}

impl Runtime {
    /// Sets `name` to `value` for the later steps of the job.
    pub fn export_env(&self, name: &str, value: &str) -> Result<(), Error> {
        validate_name(name)?;
        match self.env_file() {
            Some(path) => super::append(path, &key_value(name, value, random_delimiter)?),
            None => {
                let mut text = format!("env {name}: ");
                text.push_str(&value.replace('\n', "\n  "));
                self.log_plain(&text);
                Ok(())
            }
        }
    }

    /// Prepends `dir` to `PATH` for the later steps of the job.
    pub fn add_path(&self, dir: &Path) -> Result<(), Error> {
        let text = dir.to_string_lossy();
        if text.is_empty() || text.contains(['\n', '\r']) {
            return Err(Error::InvalidValue {
                name: "PATH".into(),
                reason: "a directory must be one non-empty line",
            });
        }
        match self.path_file() {
            Some(path) => super::append(path, &format!("{text}\n")),
            None => {
                self.log_plain(&format!("path: {text}"));
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_names_are_checked() {
        for ok in ["SLIPWAY_VERSION", "_x", "a1"] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "1A",
            "A-B",
            "A B",
            "A=B",
            "NODE_OPTIONS",
            "node_options",
            "LD_PRELOAD",
            "PATH",
            "GITHUB_TOKEN",
            "RUNNER_TEMP",
        ] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn env_and_path_append_to_their_files() {
        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::for_test(dir.path()).unwrap();
        rt.export_env("APP_VERSION", "1.2.3").unwrap();
        rt.add_path(Path::new("/opt/slipway/bin")).unwrap();
        rt.add_path(Path::new("/opt/other")).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("env")).unwrap(),
            "APP_VERSION=1.2.3\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("path")).unwrap(),
            "/opt/slipway/bin\n/opt/other\n"
        );
    }

    #[test]
    fn a_path_with_a_line_break_is_refused() {
        let rt = Runtime::plain_for_test();
        assert!(rt.add_path(Path::new("/a\n/b")).is_err());
    }

    #[test]
    fn outside_actions_env_and_path_are_plain_lines() {
        let rt = Runtime::plain_for_test();
        rt.export_env("A", "1").unwrap();
        rt.add_path(Path::new("/opt/bin")).unwrap();
        assert_eq!(rt.captured(), "env A: 1\npath: /opt/bin\n");
    }
}
