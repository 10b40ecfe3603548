//! Running the test commands with result-file flags added, and retrying failed ones.
//!
//! Each command (`cd api && uv run pytest`) is recognised by its runner and given the flag
//! that makes it write results we read:
//! - pytest: `-o junit_family=xunit1 --junitxml=FILE` (xunit1 keeps `file` and `line`;
//!   <https://docs.pytest.org/en/stable/how-to/output.html#creating-junitxml-format-files>),
//!   `--last-failed` on a retry, and this shard's test files (LPT split, [`super::shard`]);
//! - `cargo test`: cargo-nextest with a JUnit profile when it is installed
//!   (<https://nexte.st/docs/machine-readable/junit/>), `--partition count:k/n` for a shard, and
//!   `cargo test --doc` alongside since nextest skips doctests; plain `cargo test` otherwise,
//!   its output turned into JUnit ([`super::libtest`]);
//! - `go test`: `-json`, stdout to a file (<https://pkg.go.dev/cmd/test2json>);
//! - phpunit: `--log-junit FILE`; `dotnet test`: `--logger trx;LogFileName=FILE`;
//! - Maven and Gradle write their own reports (`target/surefire-reports/TEST-*.xml`,
//!   `build/test-results/**/*.xml`), which are collected;
//! - anything else (npm scripts running Jest or Mocha) gets `JEST_JUNIT_OUTPUT_FILE` and
//!   `MOCHA_FILE` in its environment, for jest-junit and mocha-junit-reporter.
//!
//! A command that exits non-zero without writing results becomes one errored case, so a
//! crash never reads as an empty, passing run. Command output goes to stderr: stdout is data.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::Hint;

use super::report::Collector;
use super::shard::{self, Shard};
use super::{libtest, parse};

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The repository root.
    pub root: PathBuf,
    /// The commands.
    pub commands: Vec<String>,
    /// Where result files go (one directory per attempt).
    pub output_dir: PathBuf,
    /// This shard only.
    pub shard: Option<Shard>,
    /// Re-runs of commands whose tests failed.
    pub retries: u32,
    /// A previous report with per-file timings.
    pub timings: Option<PathBuf>,
}

/// The result files of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ran {
    /// Result files of the first attempt.
    pub first: Vec<PathBuf>,
    /// Result files of each retry.
    pub retries: Vec<Vec<PathBuf>>,
    /// Things worth a warning.
    pub warnings: Vec<String>,
}

/// Why the suites could not be run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Neither detection nor the config gave a test command.
    #[error("no test command found")]
    NoCommands,
    /// A command could not be started.
    #[error("cannot start `{command}`")]
    Spawn {
        /// The command.
        command: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The output directory cannot be written.
    #[error("writing `{}`", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::NoCommands => Some(
                "set `ci.test-commands` in slipway.yml, or read existing results with `--skip-run --results GLOB`"
                    .into(),
            ),
            Self::Spawn { .. } => Some("is `sh` on the PATH?".into()),
            Self::Io { .. } => Some("choose a writable `--output-dir`".into()),
        }
    }
}

/// One shell step of a command, and where its results land.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The shell command.
    pub shell: String,
    /// Extra environment.
    pub env: Vec<(String, String)>,
    /// Stdout is libtest text to turn into JUnit at this path.
    pub libtest: Option<PathBuf>,
    /// Result files (globs) the step writes.
    pub results: Vec<String>,
    /// The step's exit status does not matter when it matches this text (no doctests).
    pub ignore_failure_with: Option<&'static str>,
}

/// Runs the plan: every command, then retries of those whose tests failed.
pub fn run(plan: &Plan) -> Result<Ran, Error> {
    if plan.commands.is_empty() {
        return Err(Error::NoCommands);
    }
    let nextest = has_nextest(&plan.root);
    let timings = plan
        .timings
        .as_deref()
        .map(read_timings)
        .unwrap_or_default();
    let mut ran = Ran::default();
    let mut pending: Vec<usize> = (0..plan.commands.len()).collect();
    for attempt in 0..=plan.retries {
        let dir = plan.output_dir.join(format!("attempt-{}", attempt + 1));
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        let mut files = Vec::new();
        let mut failing = Vec::new();
        for &i in &pending {
            let command = &plan.commands[i];
            let steps = instrument(
                command,
                &plan.root,
                &dir,
                i,
                attempt > 0,
                plan.shard,
                nextest,
                &timings,
            );
            let produced = run_steps(&plan.root, command, &steps, &dir, i)?;
            let mut c = Collector::new();
            for f in &produced {
                let _ = parse::result_file(f, &f.display().to_string(), &mut c);
            }
            let r = c.finish();
            if r.totals.failed + r.totals.errors > 0 {
                failing.push(i);
            }
            files.extend(produced);
        }
        if attempt == 0 {
            ran.first = files;
        } else {
            ran.retries.push(files);
        }
        if failing.is_empty() {
            break;
        }
        pending = failing;
    }
    Ok(ran)
}

fn run_steps(
    root: &Path,
    command: &str,
    steps: &[Step],
    dir: &Path,
    index: usize,
) -> Result<Vec<PathBuf>, Error> {
    let mut produced = Vec::new();
    let mut failure = None;
    for step in steps {
        eprintln!("$ {}", step.shell);
        let mut cmd = Command::new("sh");
        cmd.arg("-c").arg(&step.shell).current_dir(root);
        for (k, v) in &step.env {
            cmd.env(k, v);
        }
        let spawn = |source| Error::Spawn {
            command: step.shell.clone(),
            source,
        };
        let (status, captured) = if let Some(target) = &step.libtest {
            let out = cmd.stderr(Stdio::piped()).output().map_err(spawn)?;
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            eprint!("{stdout}{stderr}");
            let ignorable = step
                .ignore_failure_with
                .is_some_and(|t| stderr.contains(t) || stdout.contains(t));
            if !ignorable {
                let xml = libtest::to_junit(&stdout);
                std::fs::write(target, xml).map_err(|source| Error::Io {
                    path: target.clone(),
                    source,
                })?;
                produced.push(target.clone());
            }
            (out.status, ignorable)
        } else {
            let out = cmd
                .stdout(Stdio::from(std::io::stderr().as_fd_owned().map_err(spawn)?))
                .status()
                .map_err(spawn)?;
            (out, false)
        };
        if step.libtest.is_none() {
            let found = super::expand(root, &step.results).unwrap_or_default();
            produced.extend(found);
        }
        if !status.success() && !captured {
            failure = Some(status.code().unwrap_or(-1));
        }
    }
    produced.sort();
    produced.dedup();
    if let Some(code) = failure
        && produced.is_empty()
    {
        // NOTE: fail closed: a crash before any result was written is one errored case.
        let file = dir.join(format!("command-{index}-error.xml"));
        let xml = format!(
            "<testsuites><testsuite name=\"{0}\"><testcase name=\"(command)\" classname=\"{0}\"><error message=\"the command exited with {code} without writing test results\"/></testcase></testsuite></testsuites>\n",
            libtest::escape(command)
        );
        std::fs::write(&file, xml).map_err(|source| Error::Io {
            path: file.clone(),
            source,
        })?;
        produced.push(file);
    }
    Ok(produced)
}

trait AsFdOwned {
    fn as_fd_owned(&self) -> std::io::Result<std::os::fd::OwnedFd>;
}

impl AsFdOwned for std::io::Stderr {
    fn as_fd_owned(&self) -> std::io::Result<std::os::fd::OwnedFd> {
        use std::os::fd::AsFd as _;
        self.as_fd().try_clone_to_owned()
    }
}

/// Whether `cargo nextest` runs here.
fn has_nextest(root: &Path) -> bool {
    Command::new("cargo")
        .args(["nextest", "--version"])
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Per-file seconds from a previous report.
fn read_timings(path: &Path) -> std::collections::BTreeMap<String, f64> {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<super::report::Report>(&t).ok())
        .map(|r| r.timings)
        .unwrap_or_default()
}

/// Splits `cd DIR && rest` into the directory and the rest.
fn split_cd(command: &str) -> (Option<&str>, &str) {
    if let Some(after) = command.strip_prefix("cd ")
        && let Some((dir, rest)) = after.split_once(" && ")
    {
        return (Some(dir.trim()), rest.trim());
    }
    (None, command.trim())
}

fn quote(p: &Path) -> String {
    let s = p.display().to_string();
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The steps that run `command` with result flags.
#[allow(clippy::too_many_arguments)]
pub fn instrument(
    command: &str,
    root: &Path,
    dir: &Path,
    index: usize,
    retry: bool,
    shard: Option<Shard>,
    nextest: bool,
    timings: &std::collections::BTreeMap<String, f64>,
) -> Vec<Step> {
    let (cd, rest) = split_cd(command);
    let prefix = cd.map(|d| format!("cd {d} && ")).unwrap_or_default();
    let sub = cd.map_or_else(|| root.to_path_buf(), |d| root.join(d));
    let file = |ext: &str| {
        let p = dir.join(format!("command-{index}.{ext}"));
        if p.is_absolute() {
            p
        } else {
            std::env::current_dir().unwrap_or_default().join(p)
        }
    };
    let words: Vec<&str> = rest.split_whitespace().collect();
    let step = |shell: String, results: Vec<String>| Step {
        shell,
        env: Vec::new(),
        libtest: None,
        results,
        ignore_failure_with: None,
    };
    if words.contains(&"pytest") || words.windows(2).any(|w| w == ["-m", "pytest"]) {
        let out = file("xml");
        let mut shell = format!(
            "{prefix}{rest} -o junit_family=xunit1 --junitxml={}",
            quote(&out)
        );
        if retry {
            shell.push_str(" --last-failed");
        } else if let Some(s) = shard {
            let files = pytest_files(&sub, cd.unwrap_or("."), timings);
            let mine = shard::files_of(&files, s);
            for f in &mine {
                shell.push(' ');
                shell.push_str(&quote(Path::new(f)));
            }
            if mine.is_empty() {
                return Vec::new();
            }
        }
        return vec![step(shell, vec![out.display().to_string()])];
    }
    if words.starts_with(&["cargo", "test"]) {
        let args = words[2..].join(" ");
        let args = if args.is_empty() {
            String::new()
        } else {
            format!(" {args}")
        };
        let doc = file("doctests.xml");
        let doc_step = Step {
            shell: format!("{prefix}cargo test --doc{args}"),
            env: Vec::new(),
            libtest: Some(doc),
            results: Vec::new(),
            ignore_failure_with: Some("no library targets found"),
        };
        if nextest {
            let store = file("nextest");
            let config = file("nextest.toml");
            let toml = format!(
                "[store]\ndir = \"{}\"\n\n[profile.slipway]\nfail-fast = false\n\n[profile.slipway.junit]\npath = \"junit.xml\"\n",
                store
                    .display()
                    .to_string()
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
            );
            let _ = std::fs::create_dir_all(dir);
            let _ = std::fs::write(&config, toml);
            let junit = store.join("slipway").join("junit.xml");
            let _ = std::fs::remove_file(&junit);
            let partition = shard
                .map(|s| format!(" --partition count:{}/{}", s.index, s.total))
                .unwrap_or_default();
            let mut steps = vec![step(
                format!(
                    "{prefix}cargo nextest run --no-fail-fast --no-tests=warn --config-file {} --profile slipway{partition}{args}",
                    quote(&config)
                ),
                vec![junit.display().to_string()],
            )];
            if shard.is_none_or(|s| s.index == 1) {
                steps.push(doc_step);
            }
            return steps;
        }
        return vec![Step {
            shell: format!("{prefix}cargo test --no-fail-fast{args}"),
            env: Vec::new(),
            libtest: Some(file("xml")),
            results: Vec::new(),
            ignore_failure_with: None,
        }];
    }
    if words.starts_with(&["go", "test"]) {
        let out = file("json");
        let args = words[2..].join(" ");
        return vec![step(
            format!("{prefix}go test -json {args} > {}", quote(&out)),
            vec![out.display().to_string()],
        )];
    }
    if words.iter().any(|w| w.ends_with("phpunit")) {
        let out = file("xml");
        return vec![step(
            format!("{prefix}{rest} --log-junit {}", quote(&out)),
            vec![out.display().to_string()],
        )];
    }
    if words.starts_with(&["dotnet", "test"]) {
        let out = file("trx");
        return vec![step(
            format!(
                "{prefix}{rest} --logger \"trx;LogFileName={}\"",
                out.display()
            ),
            vec![out.display().to_string()],
        )];
    }
    let base = cd.unwrap_or(".");
    if words
        .iter()
        .any(|w| w.ends_with("mvn") || w.ends_with("mvnw"))
    {
        return vec![step(
            format!("{prefix}{rest}"),
            vec![format!("{base}/**/target/surefire-reports/TEST-*.xml")],
        )];
    }
    if words
        .iter()
        .any(|w| w.ends_with("gradle") || w.ends_with("gradlew"))
    {
        return vec![step(
            format!("{prefix}{rest}"),
            vec![format!("{base}/**/build/test-results/**/*.xml")],
        )];
    }
    let out = file("xml");
    let mut s = step(format!("{prefix}{rest}"), vec![out.display().to_string()]);
    s.env = vec![
        ("JEST_JUNIT_OUTPUT_FILE".into(), out.display().to_string()),
        ("MOCHA_FILE".into(), out.display().to_string()),
    ];
    vec![s]
}

/// pytest's default test files (`test_*.py`, `*_test.py`) under `dir`, with their recorded
/// time (keyed by path relative to the root) and size.
fn pytest_files(
    dir: &Path,
    rel: &str,
    timings: &std::collections::BTreeMap<String, f64>,
) -> Vec<shard::File> {
    let mut out = Vec::new();
    for entry in ignore::WalkBuilder::new(dir).build().flatten() {
        let name = entry.file_name().to_string_lossy();
        if !(name.ends_with(".py") && (name.starts_with("test_") || name.ends_with("_test.py"))) {
            continue;
        }
        let Ok(path) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let path = path.display().to_string();
        let key = if rel == "." {
            path.clone()
        } else {
            format!("{rel}/{path}")
        };
        out.push(shard::File {
            seconds: timings.get(&key).or_else(|| timings.get(&path)).copied(),
            size: entry.metadata().map(|m| m.len()).unwrap_or(0),
            path,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pytest_gets_a_junit_file_and_keeps_its_directory() {
        let steps = instrument(
            "cd api && uv run pytest -q",
            Path::new("/repo"),
            Path::new("/out"),
            0,
            false,
            None,
            false,
            &Default::default(),
        );
        assert_eq!(
            steps[0].shell,
            "cd api && uv run pytest -q -o junit_family=xunit1 --junitxml='/out/command-0.xml'"
        );
    }

    #[test]
    fn go_test_writes_json() {
        let steps = instrument(
            "go test ./...",
            Path::new("/r"),
            Path::new("/o"),
            2,
            false,
            None,
            false,
            &Default::default(),
        );
        assert_eq!(steps[0].shell, "go test -json ./... > '/o/command-2.json'");
    }

    #[test]
    fn cargo_test_runs_doctests_beside_nextest() {
        let steps = instrument(
            "cargo test --locked",
            Path::new("/r"),
            Path::new("/o"),
            0,
            false,
            None,
            true,
            &Default::default(),
        );
        assert_eq!(steps.len(), 2);
        assert!(
            steps[0]
                .shell
                .starts_with("cargo nextest run --no-fail-fast")
        );
        assert!(steps[0].shell.ends_with("--profile slipway --locked"));
        assert_eq!(steps[1].shell, "cargo test --doc --locked");
    }
}
