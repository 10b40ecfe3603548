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
//! - `node --test`: the built-in JUnit reporter to a file beside the spec reporter on stderr
//!   (<https://nodejs.org/api/test.html#test-reporters>), the flags right after `--test`
//!   (after a path they would be taken for a test file), this shard's test files as arguments;
//! - jest: its own JSON (`--json --outputFile=FILE --testLocationInResults`, read by
//!   [`super::jest`]; jest-junit needs a package the project may not have), this shard's files
//!   with `--runTestsByPath`; vitest: `--reporter=default --reporter=junit --outputFile=FILE`
//!   (<https://vitest.dev/guide/reporters#junit-reporter>); mocha: its xunit reporter to a
//!   file; ava `--tap` and node-tap `--reporter=tap` on stdout; playwright `--reporter=list,junit`
//!   with `PLAYWRIGHT_JUNIT_OUTPUT_NAME`; `bun test --reporter=junit`;
//! - Python's unittest and Django's `manage.py test`: verbose output on stderr
//!   ([`super::unittest`]); minitest (`rails test`, `ruby -Itest`, rake's `TESTOPTS`): verbose
//!   output on stdout ([`super::minitest`]); rspec: `--format progress --format json --out
//!   FILE` (rake's `SPEC_OPTS`); `prove -v` and `bats --tap`: TAP on stdout ([`super::tap`]);
//! - `go test`: sharded by package (`go list`), weighed by the packages' recorded times;
//! - package scripts (`npm test`, `pnpm -r run test`, …): the runner they call, found in
//!   `package.json` ([`super::scripts`]), gets its reporter through the script's arguments, the
//!   environment, or by running the script's chain command by command;
//! - anything else gets `JEST_JUNIT_OUTPUT_DIR`, `JEST_JUNIT_OUTPUT_NAME` and `MOCHA_FILE` in
//!   its environment, for jest-junit and mocha-junit-reporter, and is read when they wrote.
//!
//! A command that leaves no results is reported with why ([`Planned::if_empty`]); its exit
//! code decides. A previous run's result files are removed first, so they are never read as
//! this run's.
//!
//! With coverage asked for, each runner gets its own coverage flags and writes to the output
//! directory: pytest-cov Cobertura (`coverage-K.xml`), lcov from `node --test`, jest and vitest
//! (`lcov-K.info`), a Go coverprofile (`coverage-K.out`), cargo-llvm-cov lcov when installed.
//! Coverage is kept when a test fails (vitest's `coverage.reportOnFailure`; jest's lcov copied
//! whatever jest's exit status).
//!
//! A command that exits non-zero without writing results becomes one errored case, so a
//! crash never reads as an empty, passing run. Command output goes to stderr: stdout is data.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::Hint;

use super::report::{Collector, CommandRun};
use super::scripts::{self, JsRunner, Piece, Pm, Scope};
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
    /// A previous report, `timings.json`, or a directory holding them, with per-file timings.
    pub timings: Option<PathBuf>,
    /// Where coverage goes, when it is collected.
    pub coverage: Option<CoverageOut>,
}

/// Where and under which shard number coverage files are written.
#[derive(Debug, Clone, PartialEq)]
pub struct CoverageOut {
    /// The directory (the output directory, so artifacts carry it at their top).
    pub dir: PathBuf,
    /// The shard's index, in the file names (`coverage-2.xml`).
    pub shard: u32,
}

/// The result files of a run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ran {
    /// Result files of the first attempt.
    pub first: Vec<PathBuf>,
    /// Result files of each retry.
    pub retries: Vec<Vec<PathBuf>>,
    /// Coverage files of the first attempt.
    pub coverage: Vec<PathBuf>,
    /// Things worth a warning.
    pub warnings: Vec<String>,
    /// Each command as it last ran (a retried command's last attempt).
    pub commands: Vec<CommandRun>,
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
    /// A command was not found or is not executable (the shell's 127 or 126), and wrote no
    /// results.
    #[error("cannot run `{command}`: the shell exited with {code} ({})", if *code == 127 { "a command was not found" } else { "a command is not executable" })]
    CannotRun {
        /// The command.
        command: String,
        /// 126 or 127.
        code: i32,
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
            Self::CannotRun { .. } => Some(
                "install the project's dependencies before the tests (e.g. `npm ci`, `pip install -r requirements.txt`, `bundle install`), or fix the command (`--command`, `ci.test-commands`)"
                    .into(),
            ),
            Self::Io { .. } => Some("choose a writable `--output-dir`".into()),
        }
    }
}

/// Which output stream of a step is read as results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// A runner's text output that holds its results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextFormat {
    /// libtest's pretty output (`cargo test`), turned into JUnit ([`super::libtest`]).
    Libtest,
    /// unittest's verbose lines (`python -m unittest -v`, Django's `manage.py test -v 2`),
    /// turned into JUnit ([`super::unittest`]).
    Unittest,
    /// minitest's verbose lines (`rails test -v`, `TESTOPTS=-v rake test`), turned into JUnit
    /// ([`super::minitest`]).
    Minitest,
    /// TAP (ava `--tap`, `prove -v`, `bats --tap`, node-tap), kept as it is ([`super::tap`]).
    Tap,
}

/// A step's output stream copied (besides to stderr) into a file and read as results.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    /// The stream.
    pub stream: Stream,
    /// What it holds.
    pub format: TextFormat,
    /// The result file written from it (the copy itself for TAP).
    pub target: PathBuf,
}

/// One shell step of a command, and where its results land.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// The shell command.
    pub shell: String,
    /// Extra environment.
    pub env: Vec<(String, String)>,
    /// An output stream that holds results.
    pub capture: Option<Capture>,
    /// Result files (globs) the step writes.
    pub results: Vec<String>,
    /// The step's exit status does not matter when it matches this text (no doctests).
    pub ignore_failure_with: Option<&'static str>,
    /// Coverage files the step writes.
    pub coverage: Vec<PathBuf>,
    /// Runs only when the steps before it in the command succeeded (a script's `&&` chain).
    pub chained: bool,
}

/// How a command runs, and what to say when it leaves no results.
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    /// Its steps.
    pub steps: Vec<Step>,
    /// Why there may be no per-test results and what to do, said when none were written.
    pub if_empty: String,
    /// Worth saying whatever happens (a runner that prints nothing while it reports).
    pub note: Option<String>,
}

/// Runs the plan: every command, then retries of those whose tests failed.
pub fn run(plan: &Plan) -> Result<Ran, Error> {
    if plan.commands.is_empty() {
        return Err(Error::NoCommands);
    }
    let tools = Tools {
        nextest: has_cargo_tool(&plan.root, "nextest"),
        llvm_cov: plan.coverage.is_some() && has_cargo_tool(&plan.root, "llvm-cov"),
    };
    let timings = plan
        .timings
        .as_deref()
        .map(read_timings)
        .unwrap_or_default();
    let mut ran = Ran::default();
    let mut pending: Vec<usize> = (0..plan.commands.len()).collect();
    for attempt in 0..=plan.retries {
        let dir = plan.output_dir.join(format!("attempt-{}", attempt + 1));
        // NOTE: a previous run's result files must not be read as this run's (a runner that
        // crashes before writing would otherwise report the old results).
        let _ = std::fs::remove_dir_all(&dir);
        crate::fsutil::create_dir_all(&dir).map_err(|source| Error::Io {
            path: dir.clone(),
            source,
        })?;
        let mut files = Vec::new();
        let mut failing = Vec::new();
        for &i in &pending {
            let command = &plan.commands[i];
            let ctx = Context {
                root: &plan.root,
                dir: &dir,
                index: i,
                part: 0,
                retry: attempt > 0,
                shard: plan.shard,
                tools,
                timings: &timings,
                coverage: plan.coverage.as_ref().filter(|_| attempt == 0),
            };
            let planned = plan_command(command, &ctx);
            let steps = &planned.steps;
            if attempt == 0 {
                for step in steps {
                    for f in &step.coverage {
                        let _ = std::fs::remove_file(f);
                    }
                }
                if ctx.coverage.is_some()
                    && !steps.is_empty()
                    && steps.iter().all(|s| s.coverage.is_empty())
                {
                    ran.warnings.push(format!(
                        "no coverage for `{command}`: slipway collects it for pytest (pytest-cov), `node --test`, jest, vitest, `go test` and cargo (cargo-llvm-cov); pass `--coverage FILE` for others"
                    ));
                }
                if let Some(note) = &planned.note {
                    ran.warnings.push(note.clone());
                }
            }
            let done = run_steps(&plan.root, command, steps, &dir, i)?;
            if attempt == 0 {
                ran.coverage.extend(
                    steps
                        .iter()
                        .flat_map(|s| s.coverage.iter())
                        .filter(|f| f.is_file())
                        .cloned(),
                );
            }
            let mut done = done;
            let mut c = Collector::new();
            let mut readable = true;
            for f in &done.files {
                readable &= parse::result_file(f, &f.display().to_string(), &mut c).is_ok();
            }
            let r = c.finish();
            let mut failed = r.totals.failed + r.totals.errors;
            // NOTE: a runner that stops before any test (a syntax error in a spec) may still
            // write a valid, empty report (playwright's JUnit: `<testsuites tests="0">`); with
            // a failing exit code that is a crash, not an empty run.
            if r.totals.tests == 0
                && readable
                && matches!(done.written, Written::Results)
                && done.exit_code != Some(0)
            {
                done.files.push(crash_case(
                    &dir,
                    i,
                    command,
                    done.exit_code,
                    "and its test results hold no test: it stopped before any test ran",
                )?);
                failed = 1;
            } else if failed == 0
                && r.totals.tests > 0
                && let Some(code) = done.exit_code.filter(|c| *c != 0)
            {
                // NOTE: node-tap exits 1 below full coverage, jest below its
                // `coverageThreshold`: every test held, yet the run fails by the exit code.
                ran.warnings.push(format!(
                    "`{command}` exited with {code} although none of its {} tests failed, so the run fails by its exit code; its output says why (a runner's own check, e.g. node-tap's required full coverage or jest's `coverageThreshold`)",
                    r.totals.tests
                ));
            }
            if failed > 0 {
                failing.push(i);
            }
            let note = match (&done.written, done.exit_code) {
                // This shard had nothing to run.
                _ if steps.is_empty() => None,
                (Written::Results, _) => None,
                (Written::Nothing, Some(0)) => Some(planned.if_empty.clone()),
                (Written::Nothing, code) => Some(format!(
                    "the command exited with {} without writing test results: {}",
                    code.map_or_else(|| "a signal".to_owned(), |c| c.to_string()),
                    planned.if_empty
                )),
                (Written::Empty(files), code) => Some(format!(
                    "{} {} created but empty (the command exited with {}): {}",
                    files
                        .iter()
                        .map(|f| format!("`{}`", f.display()))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if files.len() == 1 { "was" } else { "were" },
                    code.map_or_else(|| "a signal".to_owned(), |c| c.to_string()),
                    planned.if_empty
                )),
            };
            if !matches!(done.written, Written::Results)
                && let Some(code @ (126 | 127)) = done.exit_code
            {
                return Err(Error::CannotRun {
                    command: command.clone(),
                    code,
                });
            }
            let run = CommandRun {
                command: command.clone(),
                exit_code: done.exit_code,
                failed,
                results: done.files.iter().map(|f| f.display().to_string()).collect(),
                note,
            };
            match ran.commands.iter_mut().find(|c| c.command == run.command) {
                Some(existing) => *existing = run,
                None => ran.commands.push(run),
            }
            files.extend(done.files);
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

/// What a command's steps left.
#[derive(Debug)]
struct Done {
    /// Result files to read (a crash's errored case included).
    files: Vec<PathBuf>,
    /// The command's exit code: the first failing step's, else 0; `None` for a signal.
    exit_code: Option<i32>,
    /// Whether the runner wrote results.
    written: Written,
}

#[derive(Debug)]
enum Written {
    Results,
    Nothing,
    Empty(Vec<PathBuf>),
}

fn run_steps(
    root: &Path,
    command: &str,
    steps: &[Step],
    dir: &Path,
    index: usize,
) -> Result<Done, Error> {
    let mut produced = Vec::new();
    let mut failure: Option<Option<i32>> = None;
    for step in steps {
        if step.chained && failure.is_some() {
            continue;
        }
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
        let (status, ignorable) = match &step.capture {
            Some(capture) => {
                let (status, text, other) = run_captured(cmd, capture.stream).map_err(spawn)?;
                let ignorable = step
                    .ignore_failure_with
                    .is_some_and(|t| text.contains(t) || other.contains(t));
                if !ignorable {
                    let converted = match capture.format {
                        TextFormat::Libtest => Some(libtest::to_junit(&text)),
                        TextFormat::Unittest => super::unittest::to_junit(&text),
                        TextFormat::Minitest => super::minitest::to_junit(&text),
                        TextFormat::Tap => super::tap::has_tests(&text).then(|| text.clone()),
                    };
                    if let Some(body) = converted {
                        crate::fsutil::write_atomic(&capture.target, body.as_bytes()).map_err(
                            |source| Error::Io {
                                path: capture.target.clone(),
                                source,
                            },
                        )?;
                        produced.push(capture.target.clone());
                    }
                }
                (status, ignorable)
            }
            None => {
                let out = cmd
                    .stdout(Stdio::from(std::io::stderr().as_fd_owned().map_err(spawn)?))
                    .status()
                    .map_err(spawn)?;
                (out, false)
            }
        };
        if step.capture.is_none() || !step.results.is_empty() {
            let found = super::expand(root, &step.results).unwrap_or_default();
            produced.extend(found);
        }
        if !status.success() && !ignorable && failure.is_none() {
            failure = Some(status.code());
        }
    }
    produced.sort();
    produced.dedup();
    // NOTE: a reporter that created its file and wrote nothing (a crash at start) left no
    // results: that file is not read as an unreadable report.
    let (empty, mut produced): (Vec<PathBuf>, Vec<PathBuf>) = produced
        .into_iter()
        .partition(|f| std::fs::metadata(f).is_ok_and(|m| m.len() == 0));
    let written = if !produced.is_empty() {
        Written::Results
    } else if !empty.is_empty() {
        Written::Empty(empty)
    } else {
        Written::Nothing
    };
    let exit_code = failure.unwrap_or(Some(0));
    if exit_code != Some(0) && produced.is_empty() {
        // NOTE: fail closed: a crash before any result was written is one errored case.
        produced.push(crash_case(
            dir,
            index,
            command,
            exit_code,
            "without writing test results",
        )?);
    }
    Ok(Done {
        files: produced,
        exit_code,
        written,
    })
}

/// Writes the JUnit file of one errored case, `(command)`, saying that `command` exited with
/// `exit_code` `why`; returns its path.
fn crash_case(
    dir: &Path,
    index: usize,
    command: &str,
    exit_code: Option<i32>,
    why: &str,
) -> Result<PathBuf, Error> {
    let code = exit_code.map_or_else(|| "a signal".to_owned(), |c| c.to_string());
    let file = dir.join(format!("command-{index}-error.xml"));
    let xml = format!(
        "<testsuites><testsuite name=\"{0}\"><testcase name=\"(command)\" classname=\"{0}\"><error message=\"the command exited with {code} {1}\"/></testcase></testsuite></testsuites>\n",
        libtest::escape(command),
        libtest::escape(why)
    );
    crate::fsutil::write_atomic(&file, xml.as_bytes()).map_err(|source| Error::Io {
        path: file.clone(),
        source,
    })?;
    Ok(file)
}

/// Runs `cmd` with both streams piped and copied to stderr as they come; returns the status,
/// the text of `stream` and the text of the other one.
fn run_captured(
    mut cmd: Command,
    stream: Stream,
) -> std::io::Result<(std::process::ExitStatus, String, String)> {
    use std::io::{Read as _, Write as _};
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn()?;
    let copy = |mut from: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut kept = Vec::new();
            let mut buf = [0u8; 8192];
            loop {
                match from.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        let _ = std::io::stderr().lock().write_all(&buf[..n]);
                        kept.extend_from_slice(&buf[..n]);
                    }
                }
            }
            String::from_utf8_lossy(&kept).into_owned()
        })
    };
    let out = child.stdout.take().map(|s| copy(Box::new(s)));
    let err = child.stderr.take().map(|s| copy(Box::new(s)));
    let status = child.wait()?;
    let join = |h: Option<std::thread::JoinHandle<String>>| {
        h.map(|h| h.join().unwrap_or_default()).unwrap_or_default()
    };
    let (out, err) = (join(out), join(err));
    let _ = std::io::stderr().flush();
    Ok(match stream {
        Stream::Stdout => (status, out, err),
        Stream::Stderr => (status, err, out),
    })
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

/// The optional tools found on this machine.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Tools {
    /// `cargo nextest` runs.
    pub nextest: bool,
    /// `cargo llvm-cov` runs.
    pub llvm_cov: bool,
}

/// Whether `cargo <tool>` runs here.
fn has_cargo_tool(root: &Path, tool: &str) -> bool {
    Command::new("cargo")
        .args([tool, "--version"])
        .current_dir(root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Per-file seconds from a previous `report*.json` or `timings.json`, or from every such file
/// under a directory (the timings of every shard, restored side by side).
pub fn read_timings(path: &Path) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut v: Vec<PathBuf> = ignore::WalkBuilder::new(path)
            .standard_filters(false)
            .build()
            .flatten()
            .map(ignore::DirEntry::into_path)
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    for file in files {
        let Some(value) = std::fs::read(&file)
            .ok()
            .and_then(|t| serde_json::from_slice::<serde_json::Value>(&t).ok())
        else {
            continue;
        };
        if let Some(map) = value.get("timings").and_then(serde_json::Value::as_object) {
            for (k, v) in map {
                if let Some(t) = v.as_f64().filter(|t| t.is_finite() && *t >= 0.0) {
                    out.insert(k.clone(), t);
                }
            }
        }
    }
    out
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

/// What `instrument` needs besides the command.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The repository root.
    pub root: &'a Path,
    /// This attempt's result directory.
    pub dir: &'a Path,
    /// The command's index (file names).
    pub index: usize,
    /// The runner's number within the command (file names), 0 for the first.
    pub part: usize,
    /// A retry of failed tests.
    pub retry: bool,
    /// This shard only.
    pub shard: Option<Shard>,
    /// Optional tools found.
    pub tools: Tools,
    /// Recorded seconds per test file (or Go package).
    pub timings: &'a BTreeMap<String, f64>,
    /// Where coverage goes, when collected.
    pub coverage: Option<&'a CoverageOut>,
}

impl Context<'_> {
    /// An absolute path in the result directory.
    fn file(&self, suffix: &str) -> PathBuf {
        absolute(&self.dir.join(format!("{}.{suffix}", self.stem())))
    }

    /// `command-I`, or `command-I-P` for a command's later runners.
    fn stem(&self) -> String {
        if self.part == 0 {
            format!("command-{}", self.index)
        } else {
            format!("command-{}-{}", self.index, self.part)
        }
    }

    /// An absolute coverage path: `<stem>-K.<ext>` for the first command, `<stem>-K-I.<ext>`
    /// for the others.
    fn coverage_file(&self, stem: &str, ext: &str) -> Option<PathBuf> {
        let out = self.coverage?;
        let name = match (self.index, self.part) {
            (0, 0) => format!("{stem}-{}.{ext}", out.shard),
            (i, 0) => format!("{stem}-{}-{i}.{ext}", out.shard),
            (i, p) => format!("{stem}-{}-{i}-{p}.{ext}", out.shard),
        };
        Some(absolute(&out.dir.join(name)))
    }

    /// The absolute directory a JavaScript runner writes its coverage reports to for this
    /// command.
    fn coverage_dir(&self) -> PathBuf {
        absolute(
            &self
                .dir
                .join(self.stem().replacen("command", "coverage", 1)),
        )
    }
}

/// `shell`, then the runner's `lcov.info` in `dir` copied to `to`, whether the tests passed or
/// not; the exit status stays the runner's.
fn then_copy_lcov(shell: &str, dir: &Path, to: &Path) -> String {
    format!(
        "{shell}; status=$?; cp {} {} 2>/dev/null; exit $status",
        quote(&dir.join("lcov.info")),
        quote(to)
    )
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    }
}

fn step(shell: String, results: Vec<String>) -> Step {
    Step {
        shell,
        env: Vec::new(),
        capture: None,
        results,
        ignore_failure_with: None,
        coverage: Vec::new(),
        chained: false,
    }
}

/// Appends this shard's files (quoted) to `shell`; `None` when the shard has nothing to run.
fn shard_args(shell: &mut String, files: &[shard::File], ctx: &Context<'_>) -> Option<()> {
    let Some(s) = ctx.shard.filter(|_| !ctx.retry) else {
        return Some(());
    };
    let mine = shard::files_of(files, s);
    if mine.is_empty() {
        return None;
    }
    for f in &mine {
        shell.push(' ');
        shell.push_str(&quote(Path::new(f)));
    }
    Some(())
}

/// The steps that run `command` with result flags.
pub fn instrument(command: &str, ctx: &Context<'_>) -> Vec<Step> {
    plan_command(command, ctx).steps
}

/// The steps of a command run as it is (its runner unknown), with the variables that tell
/// jest-junit and mocha-junit-reporter where to write, should the project use them.
fn as_is(shell: String, ctx: &Context<'_>) -> Step {
    let out = ctx.file("xml");
    let mut s = step(shell, vec![out.display().to_string()]);
    s.env = junit_env(&out);
    s.env.push(("MOCHA_FILE".into(), out.display().to_string()));
    s
}

/// True when the Python project at `rel` (or the repository root) names pytest-cov among its
/// dependencies: in its manifest, a lockfile or a requirements file. Files are read as
/// detection reads them (capped, never through a link out of the root).
fn declares_pytest_cov(root: &Path, rel: &str) -> bool {
    let mut candidates: Vec<String> = Vec::new();
    for dir in [rel, "."] {
        let join = |f: &str| crate::detect::join(dir, f);
        for f in [
            "pyproject.toml",
            "setup.cfg",
            "setup.py",
            "tox.ini",
            "Pipfile",
            "poetry.lock",
            "uv.lock",
            "pdm.lock",
        ] {
            candidates.push(join(f));
        }
        for sub in [".", "requirements"] {
            let Ok(entries) = std::fs::read_dir(root.join(dir).join(sub)) else {
                continue;
            };
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                let requirements = (sub == "requirements" && name.ends_with(".txt"))
                    || (name.starts_with("requirements") && name.ends_with(".txt"))
                    || (name.ends_with("requirements.txt"));
                if requirements {
                    candidates.push(join(&format!("{sub}/{name}")));
                }
            }
        }
        if dir == "." {
            break;
        }
    }
    candidates.iter().any(|c| {
        crate::detect::read_capped(root, c.trim_start_matches("./")).is_ok_and(|t| {
            let t = t.to_ascii_lowercase();
            t.contains("pytest-cov") || t.contains("pytest_cov")
        })
    })
}

/// True when a package starting with `prefix` (`@scope/name-`) is installed at the root
/// (`node_modules`), or a `package.json` of the repository (the root and up to three
/// directories down, not in `node_modules`) names one among its dependencies.
fn declares_node_package(root: &Path, prefix: &str) -> bool {
    if let Some((scope, name)) = prefix.split_once('/') {
        let installed = std::fs::read_dir(root.join("node_modules").join(scope))
            .into_iter()
            .flatten()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with(name));
        if installed {
            return true;
        }
    }
    fn walk(root: &Path, rel: &str, depth: usize, needle: &str) -> bool {
        let path = crate::detect::join(rel, "package.json");
        if crate::detect::read_capped(root, &path).is_ok_and(|t| t.contains(needle)) {
            return true;
        }
        if depth == 0 {
            return false;
        }
        let Ok(entries) = std::fs::read_dir(root.join(rel)) else {
            return false;
        };
        let mut dirs: Vec<String> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n != "node_modules" && !n.starts_with('.'))
            .collect();
        dirs.sort();
        dirs.iter()
            .any(|d| walk(root, &crate::detect::join(rel, d), depth - 1, needle))
    }
    walk(root, ".", 3, &format!("\"{prefix}"))
}

/// The steps of a command run directly (not through a package script).
fn direct(command: &str, ctx: &Context<'_>) -> Vec<Step> {
    let (cd, rest) = split_cd(command);
    let prefix = cd.map(|d| format!("cd {d} && ")).unwrap_or_default();
    let rel = cd.map(unquote).unwrap_or_else(|| ".".to_owned());
    let sub = ctx.root.join(&rel);
    let words: Vec<&str> = rest.split_whitespace().collect();
    let has = |w: &str| words.contains(&w);
    if has("pytest") || words.windows(2).any(|w| w == ["-m", "pytest"]) {
        let out = ctx.file("xml");
        let mut shell = format!(
            "{prefix}{rest} -o junit_family=xunit1 --junitxml={}",
            quote(&out)
        );
        // `--cov` is pytest-cov's flag: without the plugin pytest stops with a usage error
        // before any test runs, so coverage is asked for only when the project installs it.
        let cov = ctx
            .coverage_file("coverage", "xml")
            .filter(|_| declares_pytest_cov(ctx.root, &rel));
        if let Some(c) = &cov {
            // NOTE: pytest-cov (https://pytest-cov.readthedocs.io/en/latest/config.html).
            shell.push_str(&format!(" --cov --cov-report=xml:{}", quote(c)));
        }
        if ctx.retry {
            shell.push_str(" --last-failed");
        } else {
            let files = test_files(&sub, &rel, ctx.timings, false);
            if shard_args(&mut shell, &files, ctx).is_none() {
                return Vec::new();
            }
        }
        let mut s = step(shell, vec![out.display().to_string()]);
        s.coverage = cov.into_iter().collect();
        return vec![s];
    }
    if let Some((runner, at)) = scripts::js_runner(&words) {
        return direct_js(runner, at, rest, &prefix, &rel, ctx);
    }
    if words.starts_with(&["cargo", "test"]) {
        return cargo(&prefix, &words[2..], ctx);
    }
    if words.starts_with(&["go", "test"]) {
        let out = ctx.file("json");
        let mut args: Vec<String> = words[2..].iter().map(|w| (*w).to_owned()).collect();
        let cov = ctx.coverage_file("coverage", "out");
        let mut flags = String::from(" -json");
        if let Some(c) = &cov {
            flags.push_str(&format!(" -coverprofile={}", quote(c)));
        }
        if let Some(s) = ctx.shard.filter(|_| !ctx.retry) {
            // Sharded by package: the packages the patterns name, weighed by recorded times.
            let patterns: Vec<String> = args
                .iter()
                .filter(|a| !a.starts_with('-'))
                .cloned()
                .collect();
            let packages = go_packages(&sub, &patterns, ctx.timings);
            if !packages.is_empty() {
                let mine = shard::files_of(&packages, s);
                if mine.is_empty() {
                    return Vec::new();
                }
                args.retain(|a| a.starts_with('-'));
                args.extend(mine);
            }
        }
        let mut s = step(
            format!(
                "{prefix}go test{flags} {} > {}",
                args.join(" "),
                quote(&out)
            ),
            vec![out.display().to_string()],
        );
        s.coverage = cov.into_iter().collect();
        return vec![s];
    }
    if words.iter().any(|w| w.ends_with("phpunit")) {
        let out = ctx.file("xml");
        return vec![step(
            format!("{prefix}{rest} --log-junit {}", quote(&out)),
            vec![out.display().to_string()],
        )];
    }
    if words.starts_with(&["dotnet", "test"]) {
        let out = ctx.file("trx");
        return vec![step(
            format!(
                "{prefix}{rest} --logger \"trx;LogFileName={}\"",
                out.display()
            ),
            vec![out.display().to_string()],
        )];
    }
    if words
        .iter()
        .any(|w| w.ends_with("mvn") || w.ends_with("mvnw"))
    {
        return vec![step(
            format!("{prefix}{rest}"),
            vec![format!("{rel}/**/target/surefire-reports/TEST-*.xml")],
        )];
    }
    if words
        .iter()
        .any(|w| w.ends_with("gradle") || w.ends_with("gradlew"))
    {
        return vec![step(
            format!("{prefix}{rest}"),
            vec![format!("{rel}/**/build/test-results/**/*.xml")],
        )];
    }
    if let Some(steps) = other_runner(rest, &words, &prefix, ctx) {
        return steps;
    }
    vec![as_is(format!("{prefix}{rest}"), ctx)]
}

/// How `command` runs with result flags, and what to say when it leaves no results.
pub fn plan_command(command: &str, ctx: &Context<'_>) -> Planned {
    let (cd, rest) = split_cd(command);
    let prefix = cd.map(|d| format!("cd {d} && ")).unwrap_or_default();
    let rel = cd.map(unquote).unwrap_or_else(|| ".".to_owned());
    let words: Vec<&str> = rest.split_whitespace().collect();
    if let Some(call) = scripts::parse_call(&words) {
        return plan_script(&call, rest, &prefix, &rel, ctx);
    }
    let steps = direct(command, ctx);
    let known = !(steps.len() == 1 && steps[0].env.iter().any(|(k, _)| k == "MOCHA_FILE"));
    let if_empty = if known {
        format!(
            "`{rest}` was given its runner's reporter flags but wrote no result file; check that the project's own configuration does not replace the reporter, or write JUnit yourself and pass `--results GLOB`"
        )
    } else {
        format!(
            "slipway does not know the test runner of `{rest}`; have it write JUnit XML, TAP, TRX or `go test -json` and pass `--results GLOB` (e.g. `--results 'build/test-results/*.xml'`), or run the runner itself as the command"
        )
    };
    let note = scripts::js_runner(&words)
        .filter(|(r, _)| *r == JsRunner::Mocha)
        .map(|_| mocha_note(rest));
    Planned {
        steps,
        if_empty,
        note,
    }
}

fn mocha_note(command: &str) -> String {
    format!(
        "`{command}`: mocha runs one reporter at a time; it writes its xunit results for slipway, so its console output is the summary slipway prints after the run"
    )
}

/// A copy of `ctx` for the command's `part`-th runner (own result file names).
fn part<'a>(ctx: &Context<'a>, part: usize) -> Context<'a> {
    Context { part, ..*ctx }
}

/// What a JavaScript runner is given to write its results.
#[derive(Debug, Default)]
struct JsInst {
    /// Arguments (quoted) for the runner's command line.
    args: Vec<String>,
    /// Environment.
    env: Vec<(String, String)>,
    /// Flags for `NODE_OPTIONS` (quoted for it).
    node_options: Vec<String>,
    /// Result files.
    results: Vec<String>,
    /// Its stdout holds the results.
    capture: Option<Capture>,
    /// The coverage file, when collected.
    coverage: Option<PathBuf>,
    /// The coverage file is copied from the runner's coverage directory after the run.
    copy_lcov: bool,
}

/// The reporter of `runner` (see the module docs); `in_script` when it runs inside a package
/// script, where `node --test` is told through `NODE_OPTIONS` and shards use the runners' own
/// `--shard` flags.
fn js_inst(runner: JsRunner, ctx: &Context<'_>, in_script: bool) -> JsInst {
    let mut i = JsInst::default();
    let q = |p: &Path| quote(p);
    let shard = ctx.shard.filter(|_| !ctx.retry && in_script);
    match runner {
        JsRunner::Vitest => {
            let out = ctx.file("xml");
            i.args = vec![
                "--reporter=default".into(),
                "--reporter=junit".into(),
                format!("--outputFile={}", q(&out)),
            ];
            i.results.push(out.display().to_string());
            // NOTE: vitest's coverage needs a provider package (@vitest/coverage-v8 or
            // -istanbul); without one it stops with "MISSING DEPENDENCY" before any test runs.
            if let Some(c) = ctx
                .coverage_file("lcov", "info")
                .filter(|_| declares_node_package(ctx.root, "@vitest/coverage-"))
            {
                i.args.push(format!(
                    "--coverage.enabled --coverage.reportOnFailure --coverage.reporter=lcov --coverage.reportsDirectory={}",
                    q(&ctx.coverage_dir())
                ));
                i.coverage = Some(c);
                i.copy_lcov = true;
            }
            if let Some(s) = shard {
                i.args.push(format!("--shard={}/{}", s.index, s.total));
            }
        }
        JsRunner::Jest => {
            // NOTE: jest's own JSON (https://jestjs.io/docs/cli#--json), not jest-junit, which
            // a project may not have installed; `--testLocationInResults` adds each test's line.
            let out = ctx.file("jest.json");
            i.args = vec![
                "--ci".into(),
                "--json".into(),
                format!("--outputFile={}", q(&out)),
                "--testLocationInResults".into(),
            ];
            i.results.push(out.display().to_string());
            if let Some(c) = ctx.coverage_file("lcov", "info") {
                i.args.push(format!(
                    "--coverage --coverageReporters=lcov --coverageDirectory={}",
                    q(&ctx.coverage_dir())
                ));
                i.coverage = Some(c);
                i.copy_lcov = true;
            }
            if let Some(s) = shard {
                i.args.push(format!("--shard={}/{}", s.index, s.total));
            }
        }
        JsRunner::Mocha => {
            // NOTE: mocha's built-in xunit reporter (https://mochajs.org/#xunit).
            let out = ctx.file("xml");
            i.args = vec![
                "--reporter".into(),
                "xunit".into(),
                "--reporter-option".into(),
                q(Path::new(&format!("output={}", out.display()))),
            ];
            i.results.push(out.display().to_string());
        }
        JsRunner::NodeTest => {
            let out = ctx.file("xml");
            let flags = vec![
                "--test-reporter=spec".to_owned(),
                "--test-reporter-destination=stderr".to_owned(),
                "--test-reporter=junit".to_owned(),
                format!("--test-reporter-destination={}", out.display()),
            ];
            i.results.push(out.display().to_string());
            let mut cov_flags = Vec::new();
            // NOTE: Node refuses `--experimental-test-coverage` in NODE_OPTIONS ("is not allowed
            // in NODE_OPTIONS", exit 9), so through a package script coverage is not asked for.
            if let Some(c) = ctx.coverage_file("lcov", "info").filter(|_| !in_script) {
                cov_flags = vec![
                    "--experimental-test-coverage".to_owned(),
                    "--test-reporter=lcov".to_owned(),
                    format!("--test-reporter-destination={}", c.display()),
                ];
                i.coverage = Some(c);
            }
            if in_script {
                i.node_options = flags.into_iter().chain(cov_flags).collect();
            } else {
                i.args = flags
                    .into_iter()
                    .chain(cov_flags)
                    .map(|f| match f.split_once("destination=") {
                        Some((k, v)) if v != "stderr" => {
                            format!("{k}destination={}", q(Path::new(v)))
                        }
                        _ => f,
                    })
                    .collect();
            }
        }
        JsRunner::Ava => {
            // NOTE: ava's TAP reporter on stdout (https://github.com/avajs/ava/blob/main/docs/05-command-line.md).
            let out = ctx.file("tap");
            i.args = vec!["--tap".into()];
            i.capture = Some(Capture {
                stream: Stream::Stdout,
                format: TextFormat::Tap,
                target: out,
            });
            if let Some(s) = shard {
                // ava splits its files itself by these (https://github.com/avajs/ava/blob/main/docs/recipes/splitting-tests-ci.md).
                i.env
                    .push(("CI_NODE_INDEX".into(), (s.index - 1).to_string()));
                i.env.push(("CI_NODE_TOTAL".into(), s.total.to_string()));
            }
        }
        JsRunner::Playwright => {
            // NOTE: https://playwright.dev/docs/test-reporters#junit-reporter
            let out = ctx.file("xml");
            i.args = vec!["--reporter=list,junit".into()];
            i.env.push((
                "PLAYWRIGHT_JUNIT_OUTPUT_NAME".into(),
                out.display().to_string(),
            ));
            i.results.push(out.display().to_string());
            if let Some(s) = shard {
                i.args.push(format!("--shard={}/{}", s.index, s.total));
            }
        }
        JsRunner::NodeTap => {
            let out = ctx.file("tap");
            i.args = vec!["--reporter=tap".into()];
            i.capture = Some(Capture {
                stream: Stream::Stdout,
                format: TextFormat::Tap,
                target: out,
            });
        }
    }
    i
}

/// `NODE_OPTIONS` as the environment has it, with `flags` added (values with spaces in
/// double quotes, as Node reads them).
fn node_options(flags: &[String]) -> (String, String) {
    let mut value = std::env::var("NODE_OPTIONS").unwrap_or_default();
    for f in flags {
        if !value.is_empty() {
            value.push(' ');
        }
        if f.contains(' ') {
            value.push('"');
            value.push_str(&f.replace('"', "\\\""));
            value.push('"');
        } else {
            value.push_str(f);
        }
    }
    ("NODE_OPTIONS".into(), value)
}

/// A JavaScript runner run directly: its reporter flags (after `--test` for node), this
/// shard's test files.
fn direct_js(
    runner: JsRunner,
    at: usize,
    rest: &str,
    prefix: &str,
    rel: &str,
    ctx: &Context<'_>,
) -> Vec<Step> {
    let sub = ctx.root.join(rel);
    let words: Vec<&str> = rest.split_whitespace().collect();
    let inst = js_inst(runner, ctx, false);
    let args = inst.args.join(" ");
    let mut shell = if runner == JsRunner::NodeTest {
        // NOTE: `node --test dir/ --flag` takes the flag for a test file: flags go right
        // after `--test`.
        let mut out: Vec<String> = Vec::new();
        let mut done = false;
        for (k, w) in words.iter().enumerate() {
            out.push((*w).to_owned());
            if !done && k > at && *w == "--test" {
                out.push(args.clone());
                done = true;
            }
        }
        format!("{prefix}{}", out.join(" "))
    } else {
        format!("{prefix}{rest} {args}")
    };
    let files = test_files(&sub, rel, ctx.timings, true);
    match runner {
        JsRunner::NodeTest => {
            // NOTE: `node --test` runs the files it is given instead of discovering them; with
            // files already named on the command line, leave the selection to the user.
            let named = words
                .iter()
                .any(|w| w.ends_with(".js") || w.ends_with(".mjs"));
            if !named && shard_args(&mut shell, &files, ctx).is_none() {
                return Vec::new();
            }
        }
        JsRunner::Jest => {
            if ctx.shard.is_some() && !ctx.retry {
                shell = shell.replacen(" --ci", " --ci --runTestsByPath", 1);
                if shard_args(&mut shell, &files, ctx).is_none() {
                    return Vec::new();
                }
            }
        }
        JsRunner::Vitest | JsRunner::Mocha | JsRunner::NodeTap => {
            if shard_args(&mut shell, &files, ctx).is_none() {
                return Vec::new();
            }
        }
        JsRunner::Playwright => {
            if let Some(s) = ctx.shard.filter(|_| !ctx.retry) {
                shell.push_str(&format!(" --shard={}/{}", s.index, s.total));
            }
        }
        JsRunner::Ava => {
            if let Some(s) = ctx.shard.filter(|_| !ctx.retry) {
                let mut st = step(String::new(), Vec::new());
                st.env
                    .push(("CI_NODE_INDEX".into(), (s.index - 1).to_string()));
                st.env.push(("CI_NODE_TOTAL".into(), s.total.to_string()));
                return finish_js(shell, inst, st.env);
            }
        }
    }
    finish_js(shell, inst, Vec::new())
}

/// The step of a JavaScript runner's `shell`.
fn finish_js(mut shell: String, inst: JsInst, extra_env: Vec<(String, String)>) -> Vec<Step> {
    let mut s = step(String::new(), inst.results);
    if inst.copy_lcov
        && let Some(c) = &inst.coverage
        && let Some(dir) = coverage_dir_of(&shell)
    {
        shell = then_copy_lcov(&shell, &dir, c);
    }
    s.shell = shell;
    s.env = inst.env;
    s.env.extend(extra_env);
    if !inst.node_options.is_empty() {
        s.env.push(node_options(&inst.node_options));
    }
    s.capture = inst.capture;
    s.coverage = inst.coverage.into_iter().collect();
    vec![s]
}

/// The coverage directory named in a runner's flags (`--coverageDirectory=`,
/// `--coverage.reportsDirectory=`).
fn coverage_dir_of(shell: &str) -> Option<PathBuf> {
    let at = ["--coverageDirectory=", "--coverage.reportsDirectory="]
        .iter()
        .find_map(|k| shell.find(k).map(|i| i + k.len()))?;
    let rest = &shell[at..];
    let value = if let Some(r) = rest.strip_prefix('\'') {
        r.split('\'').next()?
    } else {
        rest.split_whitespace().next()?
    };
    Some(PathBuf::from(value))
}

/// The `node_modules/.bin` directories a package manager puts on `PATH` for a script run in
/// `dir`: its own and every parent's up to `root`, then the `PATH` as it is.
fn script_path(dir: &Path, root: &Path) -> (String, String) {
    let mut parts: Vec<String> = Vec::new();
    for d in dir.ancestors() {
        let bin = d.join("node_modules/.bin");
        if bin.is_dir() {
            parts.push(absolute(&bin).display().to_string());
        }
        if d == root {
            break;
        }
    }
    if let Ok(path) = std::env::var("PATH") {
        parts.push(path);
    }
    ("PATH".into(), parts.join(":"))
}

/// A package manager's script call (`npm test`, `pnpm -r run test`).
fn plan_script(
    call: &scripts::Call,
    rest: &str,
    prefix: &str,
    rel: &str,
    ctx: &Context<'_>,
) -> Planned {
    let dir = if rel == "." {
        ctx.root.to_path_buf()
    } else {
        ctx.root.join(rel)
    };
    let unresolved = |why: String| Planned {
        steps: vec![as_is(format!("{prefix}{rest}"), ctx)],
        if_empty: format!(
            "`{rest}`: {why}; set the command to the runner itself (`--command`, `ci.test-commands`), or have the script write JUnit and pass `--results GLOB`"
        ),
        note: None,
    };
    let manifest = match scripts::Manifest::read(&dir) {
        Ok(m) => m,
        Err(e) => return unresolved(format!("the script cannot be read: {e}")),
    };
    let mut next_part = 0;
    let selected: Vec<String> = match &call.scope {
        Scope::Here => {
            return match plan_here(call, prefix, &dir, &manifest, ctx, &mut next_part) {
                Ok(p) => p,
                Err(why) => unresolved(why),
            };
        }
        Scope::Workspaces => scripts::workspace_members(&dir, &manifest),
        Scope::Only(names) => {
            let all = scripts::workspace_members(&dir, &manifest);
            all.into_iter()
                .filter(|m| {
                    let name = scripts::Manifest::read(&dir.join(m))
                        .ok()
                        .and_then(|_| package_name(&dir.join(m)));
                    names.iter().any(|n| {
                        let n = n.trim_matches(['\'', '"']);
                        n.trim_start_matches("./").trim_end_matches('/') == m
                            || name.as_deref() == Some(n)
                    })
                })
                .collect()
        }
    };
    let mut steps = Vec::new();
    let mut whys = Vec::new();
    let mut notes = Vec::new();
    for member in &selected {
        let mdir = dir.join(member);
        let Ok(m) = scripts::Manifest::read(&mdir) else {
            continue;
        };
        if m.script(&call.script).is_none() {
            continue;
        }
        let mrel = if rel == "." {
            member.clone()
        } else {
            format!("{rel}/{member}")
        };
        let mprefix = format!("cd {} && ", crate::detect::shell_quote(&mrel));
        let here = scripts::Call {
            scope: Scope::Here,
            ..call.clone()
        };
        match plan_here(&here, &mprefix, &mdir, &m, ctx, &mut next_part) {
            Ok(p) => {
                let first = steps.len();
                steps.extend(p.steps);
                if let Some(s) = steps.get_mut(first) {
                    s.chained = false;
                }
                notes.extend(p.note);
            }
            Err(why) => {
                let c = part(ctx, next_part);
                next_part += 1;
                steps.push(as_is(
                    format!("{mprefix}{}", call.pm.run(&call.script, false, "")),
                    &c,
                ));
                whys.push(format!("`{member}`: {why}"));
            }
        }
    }
    if steps.is_empty() {
        return unresolved(format!(
            "no workspace member of `{}` has a `{}` script",
            dir.display(),
            call.script
        ));
    }
    let if_empty = if whys.is_empty() {
        format!(
            "`{rest}` ran `{}` in {} workspace members with their runners' reporter flags, and none wrote a result file; check that the projects' own configuration does not replace the reporter",
            call.script,
            selected.len()
        )
    } else {
        format!("`{rest}`: {}", whys.join("; "))
    };
    Planned {
        steps,
        if_empty,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

/// The `name` of `dir/package.json`.
fn package_name(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("package.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("name")?.as_str().map(str::to_owned)
}

/// A script of the package in `dir`, run by `call.pm`. When every runner that needs arguments
/// is the script's last command (or the runners take their reporter from the environment,
/// `node --test`), the script runs as it is with the arguments appended; otherwise its chain
/// runs command by command, each runner with its own reporter (npm's `pre`/`post` scripts
/// around it), `node_modules/.bin` on `PATH` as the package manager would put it.
fn plan_here(
    call: &scripts::Call,
    prefix: &str,
    dir: &Path,
    manifest: &scripts::Manifest,
    ctx: &Context<'_>,
    next_part: &mut usize,
) -> Result<Planned, String> {
    let name = &call.script;
    let Some(text) = manifest.script(name) else {
        let file = dir.join("package.json");
        return Err(if call.if_present {
            format!(
                "`{}` has no `{name}` script, so `--if-present` ran nothing",
                file.display()
            )
        } else {
            format!("`{}` has no `{name}` script", file.display())
        });
    };
    let Some(pieces) = scripts::pieces(text, manifest) else {
        return Err(format!(
            "its `{name}` script (`{text}`) uses `||`, a pipe, `&` or `$(…)`, so slipway cannot take it apart to find the runner"
        ));
    };
    let runner_of = |p: &Piece| match p {
        Piece::Runner(r, _) => Some(*r),
        Piece::Script { runner, .. } => *runner,
        Piece::Other(_) => None,
    };
    let known: Vec<&'static str> = pieces
        .iter()
        .filter_map(runner_of)
        .map(JsRunner::name)
        .collect();
    if known.is_empty() {
        let hidden = pieces.iter().any(|p| {
            matches!(
                p,
                Piece::Script {
                    hidden_runner: true,
                    ..
                }
            )
        });
        return Err(if hidden {
            format!(
                "its `{name}` script (`{text}`) calls a script whose runner is not its last command, and slipway follows scripts one level only"
            )
        } else {
            format!(
                "its `{name}` script runs `{text}`, in which slipway recognises no test runner (vitest, jest, mocha, `node --test`, ava, playwright, tap)"
            )
        });
    }
    // NOTE: mocha, `node --test` and node-tap have no shard flag a script could pass on: the
    // first shard runs their whole suite and the others nothing, so no test counts twice.
    let runners: Vec<JsRunner> = pieces.iter().filter_map(runner_of).collect();
    let unshardable = runners
        .iter()
        .all(|r| matches!(r, JsRunner::Mocha | JsRunner::NodeTest | JsRunner::NodeTap));
    if let Some(s) = ctx.shard.filter(|s| s.total > 1 && !ctx.retry)
        && unshardable
        && s.index > 1
    {
        return Ok(Planned {
            steps: Vec::new(),
            if_empty: String::new(),
            note: None,
        });
    }
    let user_args: Vec<String> = call.args.iter().map(|a| quote_word(a)).collect();
    let n = pieces.len();
    let needs_args = |p: &Piece| runner_of(p).is_some_and(|r| r != JsRunner::NodeTest);
    let appendable = pieces
        .iter()
        .enumerate()
        .all(|(i, p)| !needs_args(p) || (i + 1 == n && matches!(p, Piece::Runner(..))));
    let if_empty = format!(
        "its `{name}` script (`{text}`) runs {} with slipway's reporter, but no result file was written; check that the project's own runner configuration does not replace the reporter",
        known.join(", ")
    );
    if appendable {
        // Run the script itself: arguments reach its last command.
        let mut args = user_args.clone();
        let mut env = Vec::new();
        let mut node = Vec::new();
        let mut results = Vec::new();
        let mut capture = None;
        let mut coverage = None;
        let mut copy = false;
        for (i, p) in pieces.iter().enumerate() {
            let Some(r) = runner_of(p) else {
                continue;
            };
            let c = part(ctx, *next_part);
            *next_part += 1;
            let inst = js_inst(r, &c, true);
            env.extend(inst.env);
            node.extend(inst.node_options);
            results.extend(inst.results);
            if i + 1 == n && r != JsRunner::NodeTest {
                args.extend(inst.args);
                capture = inst.capture;
                copy = inst.copy_lcov;
            }
            if coverage.is_none() {
                coverage = inst.coverage;
            }
        }
        let shell = format!(
            "{prefix}{}",
            call.pm.run(name, call.if_present, &args.join(" "))
        );
        let inst = JsInst {
            env,
            node_options: node,
            results,
            capture,
            coverage,
            copy_lcov: copy,
            args: Vec::new(),
        };
        return Ok(Planned {
            steps: finish_js(shell, inst, Vec::new()),
            if_empty,
            note: None,
        });
    }
    // Command by command.
    let path = script_path(dir, ctx.root);
    let mut steps: Vec<Step> = Vec::new();
    let push = |mut s: Step, steps: &mut Vec<Step>| {
        s.chained = !steps.is_empty();
        steps.push(s);
    };
    let pre_post = call.pm == Pm::Npm;
    if pre_post && let Some(_) = manifest.script(&format!("pre{name}")) {
        push(
            step(format!("{prefix}npm run pre{name}"), Vec::new()),
            &mut steps,
        );
    }
    for (i, p) in pieces.iter().enumerate() {
        let extra: Vec<String> = if i + 1 == n {
            user_args.clone()
        } else {
            Vec::new()
        };
        match p {
            Piece::Runner(r, command) => {
                let c = part(ctx, *next_part);
                *next_part += 1;
                let with_args = if extra.is_empty() {
                    command.clone()
                } else {
                    format!("{command} {}", extra.join(" "))
                };
                let words: Vec<&str> = with_args.split_whitespace().collect();
                let at = scripts::js_runner(&words).map_or(0, |(_, at)| at);
                let noshard = Context { shard: None, ..c };
                let rel = dir.strip_prefix(ctx.root).map_or(".".to_owned(), |d| {
                    let d = d.display().to_string();
                    if d.is_empty() { ".".to_owned() } else { d }
                });
                for mut s in direct_js(*r, at, &with_args, prefix, &rel, &noshard) {
                    s.env.push(path.clone());
                    push(s, &mut steps);
                }
            }
            Piece::Script {
                name: called,
                runner: Some(r),
                ..
            } => {
                let c = part(ctx, *next_part);
                *next_part += 1;
                let inst = js_inst(*r, &c, true);
                let mut args = extra;
                if *r != JsRunner::NodeTest {
                    args.extend(inst.args.iter().cloned());
                }
                let shell = format!("{prefix}{}", call.pm.run(called, false, &args.join(" ")));
                for s in finish_js(
                    shell,
                    JsInst {
                        args: Vec::new(),
                        ..inst
                    },
                    Vec::new(),
                ) {
                    push(s, &mut steps);
                }
            }
            Piece::Script { name: called, .. } => {
                let shell = format!("{prefix}{}", call.pm.run(called, false, &extra.join(" ")));
                push(step(shell, Vec::new()), &mut steps);
            }
            Piece::Other(command) => {
                let mut s = step(
                    format!(
                        "{prefix}{command}{}",
                        extra.iter().map(|a| format!(" {a}")).collect::<String>()
                    ),
                    Vec::new(),
                );
                s.env.push(path.clone());
                push(s, &mut steps);
            }
        }
    }
    if pre_post && manifest.script(&format!("post{name}")).is_some() {
        push(
            step(format!("{prefix}npm run post{name}"), Vec::new()),
            &mut steps,
        );
    }
    let file = dir.join("package.json");
    Ok(Planned {
        steps,
        if_empty,
        note: Some(format!(
            "the `{name}` script of `{}` (`{text}`) runs command by command, so that each runner gets its reporter: arguments given to a script reach only its last command",
            file.display()
        )),
    })
}

/// A word for the shell, quoted when it needs it.
fn quote_word(w: &str) -> String {
    crate::detect::shell_quote(w)
}

/// Python's unittest and its runners (Django, nose2, nosetests), Ruby's minitest (`rails test`,
/// `ruby -Itest`, rake) and rspec, Perl's prove, bats and `bun test`.
fn other_runner(rest: &str, words: &[&str], prefix: &str, ctx: &Context<'_>) -> Option<Vec<Step>> {
    let start = scripts::command_start(words);
    let words = &words[start..];
    let base = |w: &str| w.rsplit('/').next().unwrap_or(w).to_owned();
    let after_bundle = if words.starts_with(&["bundle", "exec"]) {
        2
    } else {
        0
    };
    let ruby_words = &words[after_bundle..];
    let first = ruby_words.first().map(|w| base(w)).unwrap_or_default();
    let verbose = |flag: &str, stream: Stream, format: TextFormat| {
        let out = ctx.file("xml");
        let shell = if flag.is_empty() {
            format!("{prefix}{rest}")
        } else {
            format!("{prefix}{rest} {flag}")
        };
        let mut s = step(shell, Vec::new());
        s.capture = Some(Capture {
            stream,
            format,
            target: out,
        });
        vec![s]
    };
    let has_verbose = words.iter().any(|w| {
        matches!(*w, "-v" | "--verbose" | "-vv") || w.starts_with("--verbosity") || *w == "-v2"
    });
    // Python: unittest prints `name (id) ... ok` per test in verbose mode, on stderr
    // (https://docs.python.org/3/library/unittest.html#command-line-interface).
    if words.windows(2).any(|w| w == ["-m", "unittest"]) || base(words.first()?) == "nose2" {
        let flag = if has_verbose { "" } else { "-v" };
        return Some(verbose(flag, Stream::Stderr, TextFormat::Unittest));
    }
    let django = words
        .windows(2)
        .any(|w| (w[0].ends_with("manage.py") || base(w[0]) == "django-admin") && w[1] == "test");
    if django {
        // NOTE: Django's test runner is unittest's; `--verbosity 2` prints each test
        // (https://docs.djangoproject.com/en/stable/ref/django-admin/#test).
        let flag = if has_verbose { "" } else { "--verbosity 2" };
        return Some(verbose(flag, Stream::Stderr, TextFormat::Unittest));
    }
    if base(words.first()?) == "nosetests" {
        let out = ctx.file("xml");
        return Some(vec![step(
            format!("{prefix}{rest} --with-xunit --xunit-file={}", quote(&out)),
            vec![out.display().to_string()],
        )]);
    }
    // Ruby.
    if first == "rspec" {
        // NOTE: progress on the console, JSON to the file
        // (https://rspec.info/features/3-13/rspec-core/command-line/format/).
        let out = ctx.file("rspec.json");
        return Some(vec![step(
            format!(
                "{prefix}{rest} --format progress --format json --out {}",
                quote(&out)
            ),
            vec![out.display().to_string()],
        )]);
    }
    let rails_test = first == "rails"
        && ruby_words
            .get(1)
            .is_some_and(|w| *w == "test" || w.starts_with("test:"));
    let ruby_file = first == "ruby"
        && ruby_words
            .iter()
            .any(|w| w.ends_with("_test.rb") || base(w).starts_with("test_") && w.ends_with(".rb"));
    if rails_test || ruby_file {
        let flag = if has_verbose { "" } else { "-v" };
        return Some(verbose(flag, Stream::Stdout, TextFormat::Minitest));
    }
    if first == "rake" {
        let task = ruby_words.get(1).copied().unwrap_or("default");
        if matches!(task, "test" | "spec" | "default")
            || task.starts_with("test:")
            || task.starts_with("spec:")
        {
            // NOTE: Rake::TestTask reads TESTOPTS, RSpec's rake task SPEC_OPTS.
            let out = ctx.file("xml");
            let json = ctx.file("rspec.json");
            let mut s = step(format!("{prefix}{rest}"), vec![json.display().to_string()]);
            let testopts = std::env::var("TESTOPTS").unwrap_or_default();
            s.env.push((
                "TESTOPTS".into(),
                format!("{testopts} -v").trim().to_owned(),
            ));
            let specopts = std::env::var("SPEC_OPTS").unwrap_or_default();
            s.env.push((
                "SPEC_OPTS".into(),
                format!(
                    "{specopts} --format progress --format json --out {}",
                    quote(&json)
                )
                .trim()
                .to_owned(),
            ));
            s.capture = Some(Capture {
                stream: Stream::Stdout,
                format: TextFormat::Minitest,
                target: out,
            });
            return Some(vec![s]);
        }
    }
    // TAP.
    let head = base(words.first()?);
    if head == "prove" {
        let out = ctx.file("tap");
        let flag = if has_verbose { "" } else { "-v" };
        let mut v = verbose(flag, Stream::Stdout, TextFormat::Tap);
        if let Some(c) = v[0].capture.as_mut() {
            c.target = out;
        }
        return Some(v);
    }
    if head == "bats" {
        let out = ctx.file("tap");
        let tail = rest
            .split_whitespace()
            .skip(start + 1)
            .collect::<Vec<_>>()
            .join(" ");
        let lead = words_before(rest, start);
        let mut s = step(
            format!("{prefix}{lead}{} --tap {tail}", words[0]),
            Vec::new(),
        );
        s.capture = Some(Capture {
            stream: Stream::Stdout,
            format: TextFormat::Tap,
            target: out,
        });
        return Some(vec![s]);
    }
    if words.starts_with(&["bun", "test"]) {
        // NOTE: https://bun.sh/docs/test/reporters
        let out = ctx.file("xml");
        return Some(vec![step(
            format!(
                "{prefix}{rest} --reporter=junit --reporter-outfile={}",
                quote(&out)
            ),
            vec![out.display().to_string()],
        )]);
    }
    None
}

/// The first `n` words of `rest` and a space, or nothing.
fn words_before(rest: &str, n: usize) -> String {
    let w: Vec<&str> = rest.split_whitespace().take(n).collect();
    if w.is_empty() {
        String::new()
    } else {
        format!("{} ", w.join(" "))
    }
}

/// jest-junit's output directory and file name.
fn junit_env(out: &Path) -> Vec<(String, String)> {
    vec![
        (
            "JEST_JUNIT_OUTPUT_DIR".into(),
            out.parent().unwrap_or(Path::new(".")).display().to_string(),
        ),
        (
            "JEST_JUNIT_OUTPUT_NAME".into(),
            out.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        ),
        ("JEST_JUNIT_OUTPUT_FILE".into(), out.display().to_string()),
    ]
}

/// `cargo test`: nextest with a JUnit profile (and doctests beside), or libtest's text.
fn cargo(prefix: &str, rest: &[&str], ctx: &Context<'_>) -> Vec<Step> {
    let args = if rest.is_empty() {
        String::new()
    } else {
        format!(" {}", rest.join(" "))
    };
    let doc_step = Step {
        shell: format!("{prefix}cargo test --doc{args}"),
        capture: Some(Capture {
            stream: Stream::Stdout,
            format: TextFormat::Libtest,
            target: ctx.file("doctests.xml"),
        }),
        ignore_failure_with: Some("no library targets found"),
        ..step(String::new(), Vec::new())
    };
    let cov = ctx
        .coverage_file("lcov", "info")
        .filter(|_| ctx.tools.llvm_cov);
    if ctx.tools.nextest {
        let store = ctx.file("nextest");
        let config = ctx.file("nextest.toml");
        let toml = format!(
            "[store]\ndir = \"{}\"\n\n[profile.slipway]\nfail-fast = false\n\n[profile.slipway.junit]\npath = \"junit.xml\"\n",
            store
                .display()
                .to_string()
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
        );
        let _ = std::fs::create_dir_all(ctx.dir);
        let _ = std::fs::write(&config, toml);
        let junit = store.join("slipway").join("junit.xml");
        let _ = std::fs::remove_file(&junit);
        let partition = ctx
            .shard
            .map(|s| format!(" --partition count:{}/{}", s.index, s.total))
            .unwrap_or_default();
        let runner = match &cov {
            // NOTE: https://github.com/taiki-e/cargo-llvm-cov#get-coverage-of-external-tests
            Some(c) => format!("cargo llvm-cov nextest --lcov --output-path {}", quote(c)),
            None => "cargo nextest run".to_owned(),
        };
        let mut main = step(
            format!(
                "{prefix}{runner} --no-fail-fast --no-tests=warn --config-file {} --profile slipway{partition}{args}",
                quote(&config)
            ),
            vec![junit.display().to_string()],
        );
        main.coverage = cov.into_iter().collect();
        let mut steps = vec![main];
        if ctx.shard.is_none_or(|s| s.index == 1) {
            steps.push(doc_step);
        }
        return steps;
    }
    vec![Step {
        shell: format!("{prefix}cargo test --no-fail-fast{args}"),
        capture: Some(Capture {
            stream: Stream::Stdout,
            format: TextFormat::Libtest,
            target: ctx.file("xml"),
        }),
        ..step(String::new(), Vec::new())
    }]
}

/// The directory of `cd DIR`, unquoted (`'my app'` -> `my app`).
fn unquote(dir: &str) -> String {
    let d = dir.trim();
    if d.len() >= 2 && d.starts_with('\'') && d.ends_with('\'') {
        d[1..d.len() - 1].replace("'\\''", "'")
    } else {
        d.to_owned()
    }
}

/// pytest's default test files: `test_*.py`, `*_test.py`.
fn is_pytest_file(name: &str) -> bool {
    name.ends_with(".py") && (name.starts_with("test_") || name.ends_with("_test.py"))
}

/// node:test's, jest's and vitest's default test files: `*.test.js`, `*.spec.ts`,
/// `*_test.mjs`, `test-*.cjs`, files under `test/` or `__tests__/` ...
fn is_node_test_file(name: &str) -> bool {
    const EXT: &[&str] = &[".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx"];
    let Some(stem) = EXT.iter().find_map(|e| name.strip_suffix(e)) else {
        return false;
    };
    stem.ends_with(".test")
        || stem.ends_with(".spec")
        || stem.ends_with("-test")
        || stem.ends_with("_test")
        || stem.starts_with("test-")
        || stem == "test"
}

/// The test files under `dir` (ignoring what git ignores, and `node_modules`), paths relative
/// to `dir`, with their recorded time (keyed relative to the root or to `dir`) and size.
fn test_files(
    dir: &Path,
    rel: &str,
    timings: &BTreeMap<String, f64>,
    node: bool,
) -> Vec<shard::File> {
    let is_test = if node {
        is_node_test_file
    } else {
        is_pytest_file
    };
    let mut out = Vec::new();
    let walk = ignore::WalkBuilder::new(dir)
        .filter_entry(|e| e.file_name() != "node_modules")
        .build();
    for entry in walk.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(path) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let name = entry.file_name().to_string_lossy();
        let in_test_dir = path
            .components()
            .any(|c| matches!(c.as_os_str().to_str(), Some("test" | "__tests__")));
        if !(is_test(&name) || (node && in_test_dir && is_node_source(&name))) {
            continue;
        }
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

fn is_node_source(name: &str) -> bool {
    [".js", ".mjs", ".cjs"].iter().any(|e| name.ends_with(e))
}

/// The Go packages `patterns` name (`./...` by default), as `go list` prints them, weighed by
/// their recorded times; empty when `go list` fails.
fn go_packages(
    dir: &Path,
    patterns: &[String],
    timings: &BTreeMap<String, f64>,
) -> Vec<shard::File> {
    let mut cmd = Command::new("go");
    cmd.arg("list").current_dir(dir).stderr(Stdio::null());
    if patterns.is_empty() {
        cmd.arg("./...");
    } else {
        cmd.args(patterns);
    }
    let Ok(out) = cmd.output() else {
        return Vec::new();
    };
    if !out.status.success() {
        return Vec::new();
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|p| shard::File {
            path: p.to_owned(),
            size: 1,
            seconds: timings.get(p).copied(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx<'a>(dir: &'a Path, timings: &'a BTreeMap<String, f64>) -> Context<'a> {
        Context {
            root: Path::new("/repo"),
            dir,
            index: 0,
            part: 0,
            retry: false,
            shard: None,
            tools: Tools::default(),
            timings,
            coverage: None,
        }
    }

    #[test]
    fn pytest_gets_a_junit_file_and_keeps_its_directory() {
        let t = BTreeMap::new();
        let steps = instrument("cd api && uv run pytest -q", &ctx(Path::new("/out"), &t));
        assert_eq!(
            steps[0].shell,
            "cd api && uv run pytest -q -o junit_family=xunit1 --junitxml='/out/command-0.xml'"
        );
    }

    #[test]
    fn pytest_coverage_is_asked_for_only_when_the_project_installs_pytest_cov() {
        let repo = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            repo.path().join("pyproject.toml"),
            "[project]\nname = \"x\"\n[dependency-groups]\ndev = [\"pytest\"]\n",
        )
        .expect("pyproject");
        assert!(!declares_pytest_cov(repo.path(), "."));
        std::fs::create_dir(repo.path().join("requirements")).expect("mkdir");
        std::fs::write(
            repo.path().join("requirements/test.txt"),
            "pytest==8.3.4\npytest-cov==6.0.0\n",
        )
        .expect("requirements");
        assert!(declares_pytest_cov(repo.path(), "."));
        std::fs::create_dir(repo.path().join("api")).expect("mkdir");
        assert!(
            declares_pytest_cov(repo.path(), "api"),
            "the root's count too"
        );
    }

    #[test]
    fn pytest_coverage_goes_to_the_output_directory_under_the_shard_number() {
        let t = BTreeMap::new();
        let out = CoverageOut {
            dir: PathBuf::from("/res"),
            shard: 2,
        };
        let repo = tempfile::tempdir().expect("tempdir");
        std::fs::write(repo.path().join("requirements-dev.txt"), "pytest-cov\n").expect("write");
        let c = Context {
            coverage: Some(&out),
            root: repo.path(),
            ..ctx(Path::new("/out"), &t)
        };
        let steps = instrument("pytest", &c);
        assert!(
            steps[0]
                .shell
                .ends_with(" --cov --cov-report=xml:'/res/coverage-2.xml'"),
            "{}",
            steps[0].shell
        );
        assert_eq!(
            steps[0].coverage,
            vec![PathBuf::from("/res/coverage-2.xml")]
        );
    }

    #[test]
    fn go_test_writes_json() {
        let t = BTreeMap::new();
        let c = Context {
            index: 2,
            ..ctx(Path::new("/o"), &t)
        };
        let steps = instrument("go test ./...", &c);
        assert_eq!(steps[0].shell, "go test -json ./... > '/o/command-2.json'");
    }

    #[test]
    fn cargo_test_runs_doctests_beside_nextest() {
        let t = BTreeMap::new();
        let c = Context {
            tools: Tools {
                nextest: true,
                llvm_cov: false,
            },
            ..ctx(Path::new("/o"), &t)
        };
        let steps = instrument("cargo test --locked", &c);
        assert_eq!(steps.len(), 2);
        assert!(
            steps[0]
                .shell
                .starts_with("cargo nextest run --no-fail-fast")
        );
        assert!(steps[0].shell.ends_with("--profile slipway --locked"));
        assert_eq!(steps[1].shell, "cargo test --doc --locked");
    }

    #[test]
    fn node_test_gets_the_junit_reporter_and_its_shard_of_files() {
        let repo = tempfile::tempdir().unwrap();
        for f in [
            "a.test.js",
            "b.test.js",
            "test/c.js",
            "src/lib.js",
            "node_modules/x/y.test.js",
        ] {
            let p = repo.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "x".repeat(f.len())).unwrap();
        }
        let mut timings = BTreeMap::new();
        timings.insert("a.test.js".to_owned(), 10.0);
        timings.insert("b.test.js".to_owned(), 1.0);
        timings.insert("test/c.js".to_owned(), 1.0);
        let mut all = Vec::new();
        for k in 1..=2 {
            let c = Context {
                root: repo.path(),
                shard: Some(Shard { index: k, total: 2 }),
                ..ctx(Path::new("/o"), &timings)
            };
            let steps = instrument("node --test", &c);
            let shell = &steps[0].shell;
            assert!(
                shell.starts_with("node --test --test-reporter=spec --test-reporter-destination=stderr --test-reporter=junit --test-reporter-destination='/o/command-0.xml'"),
                "{shell}"
            );
            let files: Vec<&str> = shell.split(' ').filter(|w| w.ends_with(".js'")).collect();
            all.extend(files.iter().map(|f| f.to_string()));
            if k == 1 {
                assert_eq!(files, vec!["'a.test.js'"]);
            }
        }
        all.sort();
        assert_eq!(all, vec!["'a.test.js'", "'b.test.js'", "'test/c.js'"]);
    }

    #[test]
    fn jest_writes_its_own_json_and_vitest_its_junit_reporter() {
        let t = BTreeMap::new();
        let steps = instrument("npx jest", &ctx(Path::new("/o"), &t));
        assert_eq!(
            steps[0].shell,
            "npx jest --ci --json --outputFile='/o/command-0.jest.json' --testLocationInResults"
        );
        let steps = instrument("npx vitest run", &ctx(Path::new("/o"), &t));
        assert_eq!(
            steps[0].shell,
            "npx vitest run --reporter=default --reporter=junit --outputFile='/o/command-0.xml'"
        );
    }

    #[test]
    fn node_test_flags_go_before_the_test_paths() {
        let t = BTreeMap::new();
        let steps = instrument("node --test test/", &ctx(Path::new("/o"), &t));
        assert!(
            steps[0]
                .shell
                .starts_with("node --test --test-reporter=spec ")
                && steps[0].shell.ends_with("'/o/command-0.xml' test/"),
            "{}",
            steps[0].shell
        );
    }

    #[test]
    fn python_ruby_and_tap_runners_get_their_reporters() {
        let t = BTreeMap::new();
        let c = ctx(Path::new("/o"), &t);
        let one = |cmd: &str| instrument(cmd, &c).remove(0);
        let s = one("python -m unittest discover -s tests");
        assert_eq!(s.shell, "python -m unittest discover -s tests -v");
        assert_eq!(
            s.capture.as_ref().map(|c| (c.stream, c.format)),
            Some((Stream::Stderr, TextFormat::Unittest))
        );
        assert_eq!(
            one("python manage.py test").shell,
            "python manage.py test --verbosity 2"
        );
        assert_eq!(
            one("python manage.py test -v 3").shell,
            "python manage.py test -v 3"
        );
        let s = one("bin/rails test");
        assert_eq!(s.shell, "bin/rails test -v");
        assert_eq!(
            s.capture.as_ref().map(|c| c.format),
            Some(TextFormat::Minitest)
        );
        assert_eq!(
            one("bundle exec rspec").shell,
            "bundle exec rspec --format progress --format json --out '/o/command-0.rspec.json'"
        );
        let s = one("bundle exec rake test");
        assert!(
            s.env
                .iter()
                .any(|(k, v)| k == "TESTOPTS" && v.ends_with("-v")),
            "{s:?}"
        );
        assert!(
            s.env
                .iter()
                .any(|(k, v)| k == "SPEC_OPTS" && v.contains("--format json --out"))
        );
        let s = one("prove -lr t");
        assert_eq!(s.shell, "prove -lr t -v");
        assert_eq!(
            s.capture.as_ref().map(|c| c.target.clone()),
            Some(PathBuf::from("/o/command-0.tap"))
        );
        assert_eq!(one("bats test/").shell, "bats --tap test/");
        assert_eq!(
            one("bun test").shell,
            "bun test --reporter=junit --reporter-outfile='/o/command-0.xml'"
        );
        let s = one("npx ava");
        assert_eq!(s.shell, "npx ava --tap");
        assert_eq!(
            one("npx mocha --exit").shell,
            "npx mocha --exit --reporter xunit --reporter-option 'output=/o/command-0.xml'"
        );
        let s = one("npx playwright test");
        assert_eq!(s.shell, "npx playwright test --reporter=list,junit");
        assert!(s.env.contains(&(
            "PLAYWRIGHT_JUNIT_OUTPUT_NAME".into(),
            "/o/command-0.xml".into()
        )));
    }

    /// A package in a temp directory with `scripts`.
    fn package(scripts: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("package.json"),
            format!("{{\"name\": \"shop\", \"scripts\": {{{scripts}}}}}"),
        )
        .unwrap();
        dir
    }

    #[test]
    fn a_script_whose_last_command_is_the_runner_gets_the_flags_appended() {
        let t = BTreeMap::new();
        let repo = package(
            r#""test": "npm run lint && cross-env NODE_ENV=test mocha", "lint": "eslint .""#,
        );
        let c = Context {
            root: repo.path(),
            ..ctx(Path::new("/o"), &t)
        };
        let p = plan_command("npm test", &c);
        assert_eq!(p.steps.len(), 1);
        assert_eq!(
            p.steps[0].shell,
            "npm run test -- --reporter xunit --reporter-option 'output=/o/command-0.xml'"
        );
        let p = plan_command("pnpm run test --grep cart", &c);
        assert_eq!(
            p.steps[0].shell,
            "pnpm run test --grep cart --reporter xunit --reporter-option 'output=/o/command-0.xml'"
        );
        let p = plan_command("npm run test --if-present", &c);
        assert!(
            p.steps[0]
                .shell
                .starts_with("npm run test --if-present -- --reporter xunit")
        );
    }

    #[test]
    fn node_test_anywhere_in_a_script_is_told_through_node_options() {
        let t = BTreeMap::new();
        let repo = package(r#""test": "node --test && eslint .""#);
        let c = Context {
            root: repo.path(),
            ..ctx(Path::new("/o"), &t)
        };
        let p = plan_command("npm test", &c);
        assert_eq!(p.steps.len(), 1);
        assert_eq!(p.steps[0].shell, "npm run test");
        let opts = &p.steps[0]
            .env
            .iter()
            .find(|(k, _)| k == "NODE_OPTIONS")
            .unwrap()
            .1;
        assert!(
            opts.ends_with("--test-reporter=junit --test-reporter-destination=/o/command-0.xml"),
            "{opts}"
        );
    }

    #[test]
    fn a_script_whose_runner_is_not_last_runs_command_by_command() {
        let t = BTreeMap::new();
        let repo = package(
            r#""pretest": "echo pre", "test": "jest --coverage && npm run e2e && eslint .", "e2e": "tsc && playwright test""#,
        );
        let c = Context {
            root: repo.path(),
            ..ctx(Path::new("/o"), &t)
        };
        let p = plan_command("npm test -- --silent", &c);
        let shells: Vec<&str> = p.steps.iter().map(|s| s.shell.as_str()).collect();
        assert_eq!(
            shells,
            vec![
                "npm run pretest",
                "jest --coverage --ci --json --outputFile='/o/command-0.jest.json' --testLocationInResults",
                "npm run e2e -- --reporter=list,junit",
                "eslint . --silent",
            ]
        );
        assert_eq!(
            p.steps.iter().map(|s| s.chained).collect::<Vec<_>>(),
            vec![false, true, true, true]
        );
        assert!(p.steps[1].env.iter().any(|(k, _)| k == "PATH"));
        assert!(p.steps[2].env.contains(&(
            "PLAYWRIGHT_JUNIT_OUTPUT_NAME".into(),
            "/o/command-0-1.xml".into()
        )));
        assert!(p.note.is_some());
    }

    #[test]
    fn a_script_runner_without_a_shard_flag_runs_whole_in_the_first_shard_only() {
        let t = BTreeMap::new();
        let repo = package(r#""test": "mocha", "unit": "vitest run""#);
        let at = |k, cmd| {
            let c = Context {
                root: repo.path(),
                shard: Some(Shard { index: k, total: 2 }),
                ..ctx(Path::new("/o"), &t)
            };
            plan_command(cmd, &c).steps
        };
        assert_eq!(at(1, "npm test").len(), 1);
        assert!(at(2, "npm test").is_empty());
        assert!(at(2, "npm run unit")[0].shell.ends_with("--shard=2/2"));
    }

    #[test]
    fn a_script_slipway_cannot_read_runs_as_it_is_with_a_note() {
        let t = BTreeMap::new();
        let repo = package(r#""test": "karma start --single-run", "other": "jest || true""#);
        let c = Context {
            root: repo.path(),
            ..ctx(Path::new("/o"), &t)
        };
        let p = plan_command("npm test", &c);
        assert_eq!(p.steps[0].shell, "npm test");
        assert!(
            p.if_empty.contains("recognises no test runner"),
            "{}",
            p.if_empty
        );
        let p = plan_command("npm run other", &c);
        assert!(p.if_empty.contains("`||`"), "{}", p.if_empty);
        let p = plan_command("npm run missing", &c);
        assert!(
            p.if_empty.contains("has no `missing` script"),
            "{}",
            p.if_empty
        );
        let c = Context {
            root: Path::new("/nonexistent"),
            ..c
        };
        let p = plan_command("yarn test", &c);
        assert!(p.if_empty.contains("no `package.json`"), "{}", p.if_empty);
    }

    #[test]
    fn a_recursive_run_plans_every_member_that_has_the_script() {
        let t = BTreeMap::new();
        let repo = package(r#""test": "vitest run""#);
        std::fs::write(
            repo.path().join("pnpm-workspace.yaml"),
            "packages: ['packages/*']\n",
        )
        .unwrap();
        for (m, script) in [("a", "vitest run"), ("b", "node --test"), ("c", "")] {
            let d = repo.path().join("packages").join(m);
            std::fs::create_dir_all(&d).unwrap();
            let scripts = if script.is_empty() {
                String::new()
            } else {
                format!("\"test\": \"{script}\"")
            };
            std::fs::write(
                d.join("package.json"),
                format!("{{\"name\": \"@shop/{m}\", \"scripts\": {{{scripts}}}}}"),
            )
            .unwrap();
        }
        let c = Context {
            root: repo.path(),
            ..ctx(Path::new("/o"), &t)
        };
        let p = plan_command("pnpm -r --if-present run test", &c);
        let shells: Vec<&str> = p.steps.iter().map(|s| s.shell.as_str()).collect();
        assert_eq!(
            shells,
            vec![
                "cd packages/a && pnpm run --if-present test --reporter=default --reporter=junit --outputFile='/o/command-0.xml'",
                "cd packages/b && pnpm run --if-present test",
            ]
        );
        assert!(p.steps.iter().all(|s| !s.chained));
        let p = plan_command("pnpm --filter @shop/b run test", &c);
        assert_eq!(p.steps.len(), 1);
        assert!(
            p.steps[0]
                .env
                .iter()
                .any(|(k, v)| k == "NODE_OPTIONS" && v.contains("command-0.xml"))
        );
    }

    #[test]
    fn jest_and_vitest_keep_their_coverage_when_a_test_fails() {
        let t = BTreeMap::new();
        let dir = Path::new("/o");
        let out = CoverageOut {
            dir: dir.to_path_buf(),
            shard: 1,
        };
        let mut c = ctx(dir, &t);
        c.coverage = Some(&out);
        let steps = instrument("npx jest", &c);
        assert!(
            steps[0]
                .shell
                .ends_with("; status=$?; cp '/o/coverage-0/lcov.info' '/o/lcov-1.info' 2>/dev/null; exit $status"),
            "{}",
            steps[0].shell
        );
        // vitest is asked for coverage only with a provider package declared.
        let steps = instrument("npx vitest run", &c);
        assert!(!steps[0].shell.contains("--coverage"), "{}", steps[0].shell);
        let repo = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(repo.path().join("packages/web")).expect("mkdir");
        std::fs::write(
            repo.path().join("packages/web/package.json"),
            r#"{"devDependencies": {"vitest": "^4", "@vitest/coverage-v8": "^4"}}"#,
        )
        .expect("package.json");
        c.root = repo.path();
        let steps = instrument("npx vitest run", &c);
        assert!(
            steps[0].shell.contains(" --coverage.reportOnFailure "),
            "{}",
            steps[0].shell
        );
    }

    #[test]
    fn timings_are_read_from_a_directory_of_shards() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("1")).unwrap();
        std::fs::create_dir_all(dir.path().join("2")).unwrap();
        std::fs::write(
            dir.path().join("1/timings.json"),
            r#"{"version":1,"timings":{"a.py":2.5}}"#,
        )
        .unwrap();
        std::fs::write(
            dir.path().join("2/timings.json"),
            r#"{"version":1,"timings":{"b.py":1.0,"bad":"x"}}"#,
        )
        .unwrap();
        std::fs::write(dir.path().join("2/junk.json"), "not json").unwrap();
        let t = read_timings(dir.path());
        assert_eq!(t.len(), 2);
        assert_eq!(t["a.py"], 2.5);
        assert!(read_timings(&dir.path().join("missing.json")).is_empty());
    }

    /// Runs `command` (a stand-in runner writing where jest-junit is told to) in a temp root;
    /// returns the report of its first attempt.
    fn run_stand_in(command: &str) -> (Ran, super::super::report::Report) {
        let dir = tempfile::tempdir().unwrap();
        let plan = Plan {
            root: dir.path().to_path_buf(),
            commands: vec![command.to_owned()],
            output_dir: dir.path().join("out"),
            shard: None,
            retries: 0,
            timings: None,
            coverage: None,
        };
        let ran = run(&plan).unwrap();
        let mut c = Collector::new();
        for f in &ran.first {
            parse::result_file(f, &f.display().to_string(), &mut c).unwrap();
        }
        (ran, c.finish())
    }

    #[test]
    fn an_empty_report_and_a_failing_exit_code_is_a_crash_not_an_empty_run() {
        let write = r#"printf '<testsuites tests="0" failures="0"></testsuites>' > "$JEST_JUNIT_OUTPUT_FILE""#;
        let (_, r) = run_stand_in(&format!("{write}; exit 1"));
        assert_eq!((r.totals.tests, r.totals.errors), (1, 1), "{r:?}");
        assert_eq!(r.failures[0].name, "(command)");
        assert!(
            r.failures[0]
                .message
                .contains("exited with 1 and its test results hold no test"),
            "{r:?}"
        );
        // The same report with a passing exit code is an empty run: nothing is made up.
        let (_, r) = run_stand_in(&format!("{write}; exit 0"));
        assert_eq!(r.totals.tests, 0, "{r:?}");
    }

    #[test]
    fn a_failing_exit_code_with_every_test_held_is_explained() {
        let write = r#"printf '<testsuite name="s"><testcase name="a"/></testsuite>' > "$JEST_JUNIT_OUTPUT_FILE""#;
        let (ran, r) = run_stand_in(&format!("{write}; exit 1"));
        assert_eq!((r.totals.tests, r.totals.passed), (1, 1), "{r:?}");
        assert!(
            ran.warnings
                .iter()
                .any(|w| w.contains("exited with 1 although none of its 1 tests failed")),
            "{:?}",
            ran.warnings
        );
        let (ran, _) = run_stand_in(&format!("{write}; exit 0"));
        assert!(ran.warnings.is_empty(), "{:?}", ran.warnings);
    }
}
