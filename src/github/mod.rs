//! Everything GitHub-specific: the Actions runtime and the REST API client.
//!
//! The runtime is one [`Runtime`] value that knows whether we run inside GitHub Actions and
//! where the runner's files are. Every writer works through it, so tests point it at explicit
//! files ([`Runtime::for_test`]) instead of the process environment:
//!
//! - [`outputs`]: step outputs in `GITHUB_OUTPUT`, multi-line values behind a random delimiter;
//! - [`env`](mod@env): `GITHUB_ENV` and `GITHUB_PATH` for later steps;
//! - [`summary`]: the job summary in `GITHUB_STEP_SUMMARY`, kept under the 1 MiB step limit;
//! - [`annotations`]: `::error file=…::` and friends, escaped, with the per-step caps;
//! - [`mask`]: `::add-mask::`, the [`mask::Secret`] type and redaction of our own logs;
//! - [`redact`](mod@redact): the one redactor: registered secrets and those slipway's secret
//!   rules recognise, in text and JSON documents;
//! - [`group`]: collapsible `::group::` sections of the log;
//! - [`client`]: the octocrab REST client with retries on 5xx and rate limits.
//!
//! GitHub documents all of these in
//! <https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands>
//! (workflow commands, environment files, the job summary and its 1 MiB limit); the toolkit's
//! `packages/core/src/command.ts` and `file-command.ts` are the reference implementation.
//!
//! Outside Actions the same calls print plain, readable lines on stderr (`output name: value`,
//! `error: file:line:col: message`, a `== title ==` heading for groups), so a local run shows
//! what a CI run would record. Nothing here writes to stdout: stdout carries command data.
//! Workflow commands go to stderr, which the runner scans like stdout.
// NOTE: the runner reads workflow commands from both stdout and stderr of a step
// (actions/runner `src/Runner.Worker/Handlers/ScriptHandler.cs`, both streams feed the
// command manager), so keeping stdout for data loses nothing.

pub mod annotations;
pub mod client;
pub mod comment;
pub mod env;
pub mod group;
pub mod mask;
pub mod outputs;
pub mod redact;
pub mod safe;
pub mod summary;

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use crate::error::Hint;

pub use annotations::{Annotation, Emitted, Level};
pub use client::Client;
pub use group::Group;
pub use mask::{Secret, redact};
pub use summary::{Priority, Summary};

/// `true` in GitHub Actions.
pub const ENV_ACTIONS: &str = "GITHUB_ACTIONS";
/// The file that collects step outputs.
pub const ENV_OUTPUT: &str = "GITHUB_OUTPUT";
/// The file that collects environment variables for later steps.
pub const ENV_ENV: &str = "GITHUB_ENV";
/// The file that collects directories to prepend to `PATH` for later steps.
pub const ENV_PATH: &str = "GITHUB_PATH";
/// The job summary file of the current step (Markdown).
pub const ENV_STEP_SUMMARY: &str = "GITHUB_STEP_SUMMARY";

/// What the runtime writers can fail on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An output or variable name GitHub would reject or misread.
    #[error("invalid {kind} name `{name}`: {reason}")]
    InvalidName {
        /// `output` or `environment variable`.
        kind: &'static str,
        /// The rejected name.
        name: String,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// A value that cannot be written safely (e.g. a path with a line break).
    #[error("invalid value for `{name}`: {reason}")]
    InvalidValue {
        /// The name the value was meant for.
        name: String,
        /// Why it is rejected.
        reason: &'static str,
    },
    /// No random delimiter could be found that the value does not contain.
    #[error("could not find a delimiter for the multi-line value of `{name}`")]
    Delimiter {
        /// The output or variable name.
        name: String,
    },
    /// The system random source failed.
    #[error("could not read random bytes for a delimiter: {0}")]
    Random(String),
    /// Appending to a runner file failed.
    #[error("writing `{}`", path.display())]
    Write {
        /// The runner file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Reading a runner file failed.
    #[error("reading `{}`", path.display())]
    Read {
        /// The runner file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::InvalidName { kind: "output", .. } => Some(
                "output names use letters, digits, `-` and `_`, and start with a letter or `_`"
                    .into(),
            ),
            Self::InvalidName { .. } => Some(
                "variable names use letters, digits and `_`, start with a letter or `_`, and \
                 are not reserved by the runner"
                    .into(),
            ),
            Self::Write { .. } | Self::Read { .. } => {
                Some("the runner creates these files; check the step's environment".into())
            }
            _ => None,
        }
    }
}

/// Where workflow commands and plain log lines go.
#[derive(Debug)]
enum Sink {
    /// The process's stderr.
    Stderr,
    /// An in-memory buffer, for tests.
    Capture(Mutex<String>),
}

/// The Actions runtime of this process: whether we are in Actions, the runner files, the
/// annotation counts of this step and where log lines go.
///
/// Use [`runtime()`] for the process-wide one; annotation caps are counted per value.
#[derive(Debug)]
pub struct Runtime {
    actions: bool,
    output: Option<PathBuf>,
    env: Option<PathBuf>,
    path: Option<PathBuf>,
    summary: Option<PathBuf>,
    sink: Sink,
    pub(crate) annotations: Mutex<annotations::Counts>,
}

impl Runtime {
    /// The runtime described by the process environment (`GITHUB_ACTIONS`, `GITHUB_OUTPUT`,
    /// `GITHUB_ENV`, `GITHUB_PATH`, `GITHUB_STEP_SUMMARY`).
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var_os(name))
    }

    /// The runtime described by `var`, a lookup of environment variables.
    pub fn from_vars(var: impl Fn(&str) -> Option<std::ffi::OsString>) -> Self {
        let file = |name: &str| var(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        Self {
            actions: var(ENV_ACTIONS).is_some_and(|v| v == "true"),
            output: file(ENV_OUTPUT),
            env: file(ENV_ENV),
            path: file(ENV_PATH),
            summary: file(ENV_STEP_SUMMARY),
            sink: Sink::Stderr,
            annotations: Mutex::default(),
        }
    }

    /// An Actions runtime whose runner files are `output`, `env`, `path` and `summary` in
    /// `dir` (created empty) and whose workflow commands are captured (see
    /// [`Runtime::captured`]).
    pub fn for_test(dir: &Path) -> Result<Self, Error> {
        let mut files = Vec::new();
        for name in ["output", "env", "path", "summary"] {
            let file = dir.join(name);
            std::fs::write(&file, "").map_err(|source| Error::Write {
                path: file.clone(),
                source,
            })?;
            files.push(file);
        }
        let mut files = files.into_iter();
        Ok(Self {
            actions: true,
            output: files.next(),
            env: files.next(),
            path: files.next(),
            summary: files.next(),
            sink: Sink::Capture(Mutex::default()),
            annotations: Mutex::default(),
        })
    }

    /// A runtime outside Actions, with no runner files, whose plain lines are captured.
    pub fn plain_for_test() -> Self {
        Self {
            actions: false,
            output: None,
            env: None,
            path: None,
            summary: None,
            sink: Sink::Capture(Mutex::default()),
            annotations: Mutex::default(),
        }
    }

    /// True inside GitHub Actions: workflow commands are understood.
    pub fn in_actions(&self) -> bool {
        self.actions
    }

    /// The `GITHUB_OUTPUT` file, when set.
    pub fn output_file(&self) -> Option<&Path> {
        self.output.as_deref()
    }

    /// The `GITHUB_ENV` file, when set.
    pub fn env_file(&self) -> Option<&Path> {
        self.env.as_deref()
    }

    /// The `GITHUB_PATH` file, when set.
    pub fn path_file(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The `GITHUB_STEP_SUMMARY` file, when set.
    pub fn summary_file(&self) -> Option<&Path> {
        self.summary.as_deref()
    }

    /// Everything written to the log so far, for a runtime made by [`Runtime::for_test`] or
    /// [`Runtime::plain_for_test`]; empty otherwise.
    pub fn captured(&self) -> String {
        match &self.sink {
            Sink::Stderr => String::new(),
            Sink::Capture(buf) => buf.lock().map(|b| b.clone()).unwrap_or_default(),
        }
    }

    /// Writes one line (a workflow command or a plain log line) to the log. `line` must not
    /// end with a newline.
    pub(crate) fn log_line(&self, line: &str) {
        match &self.sink {
            Sink::Stderr => {
                let mut err = std::io::stderr().lock();
                let _ = writeln!(err, "{line}");
                let _ = err.flush();
            }
            Sink::Capture(buf) => {
                if let Ok(mut b) = buf.lock() {
                    b.push_str(line);
                    b.push('\n');
                }
            }
        }
    }

    /// Writes plain text for people: redacted, one log line per text line.
    pub(crate) fn log_plain(&self, text: &str) {
        for line in redact(text).lines() {
            self.log_line(line);
        }
    }
}

/// The process-wide runtime, read from the environment on first use.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(Runtime::from_env)
}

/// True when running inside GitHub Actions (`GITHUB_ACTIONS=true`).
pub fn in_actions() -> bool {
    runtime().in_actions()
}

/// Appends `text` to `path`, creating it if needed; errors carry the path.
pub(crate) fn append(path: &Path, text: &str) -> Result<(), Error> {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// A random delimiter like the toolkit's `ghadelimiter_<uuid>`: 128 random bits in hex.
pub(crate) fn random_delimiter() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::Random(e.to_string()))?;
    let mut out = String::from("ghadelimiter_");
    for b in bytes {
        use std::fmt::Write as _;
        let _ = write!(out, "{b:02x}");
    }
    Ok(out)
}

/// Formats `name` and `value` for `GITHUB_OUTPUT` / `GITHUB_ENV`: `name=value` for one line,
/// `name<<DELIM\nvalue\nDELIM` otherwise. `delimiter` is asked again while the value contains
/// the delimiter it gave (at most a few times).
pub(crate) fn key_value(
    name: &str,
    value: &str,
    mut delimiter: impl FnMut() -> Result<String, Error>,
) -> Result<String, Error> {
    // NOTE: the toolkit refuses a value that contains its delimiter; we draw again instead
    // (actions/toolkit packages/core/src/file-command.ts, prepareKeyValueMessage).
    if !value.contains('\n') && !value.contains('\r') {
        return Ok(format!("{name}={value}\n"));
    }
    for _ in 0..8 {
        let delim = delimiter()?;
        if delim.is_empty() || value.contains(&delim) || name.contains(&delim) {
            continue;
        }
        return Ok(format!("{name}<<{delim}\n{value}\n{delim}\n"));
    }
    Err(Error::Delimiter {
        name: name.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_line_values_are_written_as_name_equals_value() {
        let text = key_value("version", "1.2.3", random_delimiter).unwrap();
        assert_eq!(text, "version=1.2.3\n");
    }

    #[test]
    fn multi_line_values_use_a_random_delimiter() {
        let text = key_value("notes", "a\nb", random_delimiter).unwrap();
        let first = text.lines().next().unwrap();
        let delim = first.strip_prefix("notes<<").unwrap();
        assert!(delim.starts_with("ghadelimiter_"));
        assert_eq!(delim.len(), "ghadelimiter_".len() + 32);
        assert_eq!(text, format!("notes<<{delim}\na\nb\n{delim}\n"));
    }

    #[test]
    fn a_delimiter_found_in_the_value_is_drawn_again() {
        let mut draws = vec!["fresh".to_owned(), "EOF".to_owned()];
        let text = key_value("body", "line\nEOF\nmore", || Ok(draws.pop().unwrap())).unwrap();
        assert_eq!(text, "body<<fresh\nline\nEOF\nmore\nfresh\n");
    }

    #[test]
    fn a_value_that_always_contains_the_delimiter_is_refused() {
        let err = key_value("body", "x\nEOF", || Ok("EOF".to_owned())).unwrap_err();
        assert!(matches!(err, Error::Delimiter { .. }), "{err}");
    }

    #[test]
    fn two_delimiters_differ() {
        assert_ne!(random_delimiter().unwrap(), random_delimiter().unwrap());
    }

    #[test]
    fn runtime_reads_the_runner_variables() {
        let rt = Runtime::from_vars(|name| match name {
            "GITHUB_ACTIONS" => Some("true".into()),
            "GITHUB_OUTPUT" => Some("/tmp/out".into()),
            "GITHUB_ENV" => Some("".into()),
            _ => None,
        });
        assert!(rt.in_actions());
        assert_eq!(rt.output_file(), Some(Path::new("/tmp/out")));
        assert_eq!(rt.env_file(), None);
    }
}
