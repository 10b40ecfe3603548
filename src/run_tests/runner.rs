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
//!   (<https://nodejs.org/api/test.html#test-reporters>), this shard's test files as arguments;
//! - jest: jest-junit as a second reporter, told where to write by `JEST_JUNIT_OUTPUT_DIR` and
//!   `JEST_JUNIT_OUTPUT_NAME` (<https://github.com/jest-community/jest-junit#configuration>),
//!   suites named by test file and each case given its `file`, this shard's files with
//!   `--runTestsByPath`; vitest: `--reporter=default
//!   --reporter=junit --outputFile=FILE` (<https://vitest.dev/guide/reporters#junit-reporter>);
//! - `go test`: sharded by package (`go list`), weighed by the packages' recorded times;
//! - anything else (npm scripts running Jest or Mocha) gets `JEST_JUNIT_OUTPUT_DIR`,
//!   `JEST_JUNIT_OUTPUT_NAME` and `MOCHA_FILE` in its environment, for jest-junit and
//!   mocha-junit-reporter.
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
    /// Coverage files the step writes.
    pub coverage: Vec<PathBuf>,
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
        std::fs::create_dir_all(&dir).map_err(|source| Error::Io {
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
                retry: attempt > 0,
                shard: plan.shard,
                tools,
                timings: &timings,
                coverage: plan.coverage.as_ref().filter(|_| attempt == 0),
            };
            let steps = instrument(command, &ctx);
            if attempt == 0 {
                for step in &steps {
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
            }
            let produced = run_steps(&plan.root, command, &steps, &dir, i)?;
            if attempt == 0 {
                ran.coverage.extend(
                    steps
                        .iter()
                        .flat_map(|s| s.coverage.iter())
                        .filter(|f| f.is_file())
                        .cloned(),
                );
            }
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
        absolute(&self.dir.join(format!("command-{}.{suffix}", self.index)))
    }

    /// An absolute coverage path: `<stem>-K.<ext>` for the first command, `<stem>-K-I.<ext>`
    /// for the others.
    fn coverage_file(&self, stem: &str, ext: &str) -> Option<PathBuf> {
        let out = self.coverage?;
        let name = if self.index == 0 {
            format!("{stem}-{}.{ext}", out.shard)
        } else {
            format!("{stem}-{}-{}.{ext}", out.shard, self.index)
        };
        Some(absolute(&out.dir.join(name)))
    }

    /// The absolute directory a JavaScript runner writes its coverage reports to for this
    /// command.
    fn coverage_dir(&self) -> PathBuf {
        absolute(&self.dir.join(format!("coverage-{}", self.index)))
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
        libtest: None,
        results,
        ignore_failure_with: None,
        coverage: Vec::new(),
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
        let cov = ctx.coverage_file("coverage", "xml");
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
    if words.first() == Some(&"node") && has("--test") {
        let out = ctx.file("xml");
        let mut shell = format!(
            "{prefix}{rest} --test-reporter=spec --test-reporter-destination=stderr --test-reporter=junit --test-reporter-destination={}",
            quote(&out)
        );
        let cov = ctx.coverage_file("lcov", "info");
        if let Some(c) = &cov {
            shell.push_str(&format!(
                " --experimental-test-coverage --test-reporter=lcov --test-reporter-destination={}",
                quote(c)
            ));
        }
        let files = test_files(&sub, &rel, ctx.timings, true);
        // NOTE: `node --test` runs the files it is given instead of discovering them; with
        // files already named on the command line, leave the selection to the user.
        let named = words
            .iter()
            .any(|w| w.ends_with(".js") || w.ends_with(".mjs"));
        if !named && shard_args(&mut shell, &files, ctx).is_none() {
            return Vec::new();
        }
        let mut s = step(shell, vec![out.display().to_string()]);
        s.coverage = cov.into_iter().collect();
        return vec![s];
    }
    if words.iter().any(|w| *w == "jest" || w.ends_with("/jest")) {
        let out = ctx.file("xml");
        let mut shell = format!("{prefix}{rest} --ci --reporters=default --reporters=jest-junit");
        let cov = ctx.coverage_file("lcov", "info");
        let mut env = junit_env(&out);
        // Suites named by test file, cases by describe block and title, with the file on each
        // case: ids stay stable across shards and failures get their file.
        for (k, v) in [
            ("JEST_JUNIT_SUITE_NAME", "{filepath}"),
            ("JEST_JUNIT_CLASSNAME", "{classname}"),
            ("JEST_JUNIT_TITLE", "{title}"),
            ("JEST_JUNIT_ADD_FILE_ATTRIBUTE", "true"),
        ] {
            env.push((k.into(), v.into()));
        }
        if let Some(c) = &cov {
            shell.push_str(&format!(
                " --coverage --coverageReporters=lcov --coverageDirectory={}",
                quote(&ctx.coverage_dir())
            ));
            env.push(("SLIPWAY_LCOV".into(), c.display().to_string()));
        }
        let files = test_files(&sub, &rel, ctx.timings, true);
        if ctx.shard.is_some() && !ctx.retry {
            shell = shell.replacen(" --ci", " --ci --runTestsByPath", 1);
            if shard_args(&mut shell, &files, ctx).is_none() {
                return Vec::new();
            }
        }
        if let Some(c) = &cov {
            shell = then_copy_lcov(&shell, &ctx.coverage_dir(), c);
        }
        let mut s = step(shell, vec![out.display().to_string()]);
        s.env = env;
        s.coverage = cov.into_iter().collect();
        return vec![s];
    }
    if has("vitest") {
        let out = ctx.file("xml");
        let mut shell = format!(
            "{prefix}{rest} --reporter=default --reporter=junit --outputFile={}",
            quote(&out)
        );
        let cov = ctx.coverage_file("lcov", "info");
        if cov.is_some() {
            shell.push_str(&format!(
                " --coverage.enabled --coverage.reportOnFailure --coverage.reporter=lcov --coverage.reportsDirectory={}",
                quote(&ctx.coverage_dir())
            ));
        }
        let files = test_files(&sub, &rel, ctx.timings, true);
        if shard_args(&mut shell, &files, ctx).is_none() {
            return Vec::new();
        }
        if let Some(c) = &cov {
            shell = then_copy_lcov(&shell, &ctx.coverage_dir(), c);
        }
        let mut s = step(shell, vec![out.display().to_string()]);
        s.coverage = cov.into_iter().collect();
        return vec![s];
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
    let out = ctx.file("xml");
    let mut s = step(format!("{prefix}{rest}"), vec![out.display().to_string()]);
    s.env = junit_env(&out);
    s.env.push(("MOCHA_FILE".into(), out.display().to_string()));
    vec![s]
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
        libtest: Some(ctx.file("doctests.xml")),
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
        libtest: Some(ctx.file("xml")),
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
    fn pytest_coverage_goes_to_the_output_directory_under_the_shard_number() {
        let t = BTreeMap::new();
        let out = CoverageOut {
            dir: PathBuf::from("/res"),
            shard: 2,
        };
        let c = Context {
            coverage: Some(&out),
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
    fn jest_writes_through_jest_junit_and_vitest_through_its_junit_reporter() {
        let t = BTreeMap::new();
        let steps = instrument("npx jest", &ctx(Path::new("/o"), &t));
        assert_eq!(
            steps[0].shell,
            "npx jest --ci --reporters=default --reporters=jest-junit"
        );
        assert!(
            steps[0]
                .env
                .contains(&("JEST_JUNIT_OUTPUT_DIR".into(), "/o".into()))
        );
        assert!(
            steps[0]
                .env
                .contains(&("JEST_JUNIT_OUTPUT_NAME".into(), "command-0.xml".into()))
        );
        let steps = instrument("npx vitest run", &ctx(Path::new("/o"), &t));
        assert_eq!(
            steps[0].shell,
            "npx vitest run --reporter=default --reporter=junit --outputFile='/o/command-0.xml'"
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
        assert!(
            steps[0]
                .env
                .contains(&("JEST_JUNIT_SUITE_NAME".into(), "{filepath}".into()))
        );
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
}
