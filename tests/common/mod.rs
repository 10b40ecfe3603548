//! Shared test harness: run the built binary in a clean environment and capture one transcript.
#![allow(dead_code)]

pub mod act;
pub mod github_mock;

use std::fmt;
use std::path::{Path, PathBuf};

/// Environment variables that leak from a developer's shell or a CI runner and would change
/// what slipway does. They are removed before every run.
const AMBIENT_PREFIXES: &[&str] = &["GITHUB_", "RUNNER_", "ACTIONS_", "SLIPWAY_", "INPUT_"];
const AMBIENT_VARS: &[&str] = &[
    "CI",
    "NO_COLOR",
    "CLICOLOR",
    "CLICOLOR_FORCE",
    "FORCE_COLOR",
    "TERM",
    "COLUMNS",
];

/// The path of the built binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_slipway"))
}

/// A `slipway` command with a clean environment: no ambient GitHub, runner or colour variables,
/// and `GITHUB_OUTPUT` / `GITHUB_STEP_SUMMARY` unset (use [`Run::in_actions`] to set them).
pub fn slipway() -> Run {
    Run::new()
}

/// A prepared run of the binary.
pub struct Run {
    cmd: std::process::Command,
    actions: Option<tempfile::TempDir>,
    temp_dirs: Vec<PathBuf>,
}

impl Run {
    fn new() -> Self {
        let mut cmd = std::process::Command::new(bin());
        for (key, _) in std::env::vars_os() {
            let Some(key) = key.to_str() else { continue };
            if AMBIENT_PREFIXES.iter().any(|p| key.starts_with(p)) || AMBIENT_VARS.contains(&key) {
                cmd.env_remove(key);
            }
        }
        cmd.env("TERM", "dumb")
            .env("COLUMNS", "100")
            .stdin(std::process::Stdio::null());
        Self {
            cmd,
            actions: None,
            temp_dirs: Vec::new(),
        }
    }

    /// Adds arguments.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    /// Adds one path argument.
    pub fn arg_path(mut self, path: impl AsRef<Path>) -> Self {
        self.cmd.arg(path.as_ref());
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }

    /// Runs in `dir`.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    /// Replaces this path by `[TEMP]` in the transcript.
    pub fn filter_temp(mut self, dir: impl AsRef<Path>) -> Self {
        self.temp_dirs.push(dir.as_ref().to_path_buf());
        self
    }

    /// Pretends to run inside GitHub Actions: `GITHUB_ACTIONS=true` and fresh `GITHUB_OUTPUT`,
    /// `GITHUB_ENV`, `GITHUB_STEP_SUMMARY` files whose contents land in the transcript.
    pub fn in_actions(mut self) -> Self {
        let dir = tempfile::tempdir().expect("temp dir for runner files");
        for (var, file) in [
            ("GITHUB_OUTPUT", "output"),
            ("GITHUB_ENV", "env"),
            ("GITHUB_STEP_SUMMARY", "summary"),
        ] {
            let path = dir.path().join(file);
            std::fs::write(&path, "").expect("create runner file");
            self.cmd.env(var, &path);
        }
        self.cmd.env("GITHUB_ACTIONS", "true");
        self.actions = Some(dir);
        self
    }

    /// Runs the binary to completion.
    pub fn run(mut self) -> Transcript {
        let out = self.cmd.output().expect("run the slipway binary");
        let read = |name: &str| {
            self.actions
                .as_ref()
                .map(|d| std::fs::read_to_string(d.path().join(name)).expect("read runner file"))
                .unwrap_or_default()
        };
        let mut t = Transcript {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            outputs: read("output"),
            env: read("env"),
            summary: read("summary"),
        };
        for dir in &self.temp_dirs {
            t.replace(&dir.display().to_string(), "[TEMP]");
            if let Ok(canon) = dir.canonicalize() {
                t.replace(&canon.display().to_string(), "[TEMP]");
            }
        }
        t.replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
        t
    }
}

/// Everything one run produced.
#[derive(Debug, Clone)]
pub struct Transcript {
    /// Exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
    /// What was written to `GITHUB_OUTPUT`.
    pub outputs: String,
    /// What was written to `GITHUB_ENV`.
    pub env: String,
    /// What was written to `GITHUB_STEP_SUMMARY`.
    pub summary: String,
}

impl Transcript {
    fn replace(&mut self, from: &str, to: &str) {
        for s in [
            &mut self.stdout,
            &mut self.stderr,
            &mut self.outputs,
            &mut self.env,
            &mut self.summary,
        ] {
            *s = s.replace(from, to);
        }
    }

    /// Asserts the exit code, printing the whole transcript when it differs.
    #[track_caller]
    pub fn code(&self, expected: i32) -> &Self {
        assert_eq!(self.code, Some(expected), "unexpected exit code\n{self}");
        self
    }
}

impl fmt::Display for Transcript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self
            .code
            .map_or_else(|| "signal".to_owned(), |c| c.to_string());
        writeln!(f, "exit code: {code}")?;
        writeln!(f, "----- stdout -----\n{}", self.stdout)?;
        writeln!(f, "----- stderr -----\n{}", self.stderr)?;
        if !self.outputs.is_empty() {
            writeln!(f, "----- outputs -----\n{}", self.outputs)?;
        }
        if !self.env.is_empty() {
            writeln!(f, "----- env -----\n{}", self.env)?;
        }
        if !self.summary.is_empty() {
            writeln!(f, "----- summary -----\n{}", self.summary)?;
        }
        Ok(())
    }
}

/// The directory of fixture repositories.
pub fn repos() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/repos")
}

/// Runs `git -C dir ARGS` as a fixed author (Ada), ignoring the machine's and the user's git
/// configuration, and returns its trimmed stdout; panics with git's stderr on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    git_with(dir, args, None)
}

/// [`git`] with the author and committer dates pinned to `date` (e.g. `2025-01-02T10:00:00Z`),
/// so commit ids and changelog dates are the same on every run.
pub fn git_dated(dir: &Path, args: &[&str], date: &str) -> String {
    git_with(dir, args, Some(date))
}

fn git_with(dir: &Path, args: &[&str], date: Option<&str>) -> String {
    let mut cmd = std::process::Command::new("git");
    cmd.arg("-C")
        .arg(dir)
        .args(["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"])
        .args(args)
        .env("GIT_AUTHOR_NAME", "Ada")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir);
    if let Some(date) = date {
        cmd.env("GIT_AUTHOR_DATE", date)
            .env("GIT_COMMITTER_DATE", date);
    }
    let out = cmd.output().expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}
