//! `slipway run-tests`: run the test suites, read every common result and coverage format,
//! shard, gate and report.
//!
//! The flow: [`runner`] runs the detected (or configured) test commands with result-file flags
//! added, retrying failed tests; [`parse`] reads each result file (JUnit in its dialects,
//! xUnit.net, TRX, `go test -json`) and coverage file (lcov, Cobertura, JaCoCo, Go
//! coverprofile) as a stream into one [`report::Report`]; [`gates`] decides; [`publish`] writes
//! the outputs, summary and annotations at the edge. `merge` combines the report files of
//! shards into one report and one decision. [`shard`] splits test files across matrix jobs.
//!
//! A file that cannot be parsed is reported with its file, line and column, the other files are
//! still counted, and the `readable` gate fails: never a silent pass.

pub mod cli;
pub mod coverage;
pub mod deltas;
pub mod diff;
pub mod gates;
pub mod gotest;
pub mod jest;
pub mod junit;
pub mod libtest;
pub mod minitest;
pub mod parse;
pub mod patch;
pub mod publish;
pub mod report;
pub mod rspec;
pub mod runner;
pub mod scripts;
pub mod shard;
pub mod tap;
pub mod trx;
pub mod unittest;
pub mod xml;

use std::path::{Path, PathBuf};

use crate::error::Hint;

use report::{Collector, Report};

/// Where the report file goes by default, under the repository root.
pub const DEFAULT_OUTPUT_DIR: &str = ".slipway/test-results";
/// The report file's name in the output directory.
pub const REPORT_FILE: &str = "report.json";
/// Per-file test times of this run, in the output directory, for sharding the next one.
pub const TIMINGS_FILE: &str = "timings.json";

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    /// Run the test commands, then read their results (and `results` globs).
    Run {
        /// The commands, in order; each may start with `cd DIR && `.
        commands: Vec<String>,
        /// Only this shard's part of the suite.
        shard: Option<shard::Shard>,
        /// Re-runs of failed tests.
        retries: u32,
        /// A previous report, `timings.json`, or a directory of them, whose timings weigh
        /// the shards.
        timings: Option<PathBuf>,
        /// Collect coverage with the runners' flags.
        collect_coverage: bool,
    },
    /// Run nothing; read the `results` globs.
    SkipRun,
    /// Combine report files (of shards) into one.
    Merge {
        /// The report files.
        reports: Vec<PathBuf>,
    },
}

/// Everything `run` needs, clap-free.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The repository root; relative globs and commands start here.
    pub root: PathBuf,
    /// The subproject the tests run in, relative to the root (`.` for the root); test file
    /// paths in results are read relative to it when they are not relative to the root.
    pub working_directory: String,
    /// Run, read only, or merge.
    pub mode: Mode,
    /// Globs of result files, relative to `root` unless absolute.
    pub results: Vec<String>,
    /// Globs of coverage files.
    pub coverage: Vec<String>,
    /// The coverage format (sniffed by default).
    pub coverage_format: coverage::Format,
    /// No result at all is fine (`Some(true)`) or an error (`Some(false)`). By default a run
    /// whose commands passed without leaving results passes (its pass-rate gate is not
    /// evaluated), and reading or merging nothing is an error.
    pub allow_empty: Option<bool>,
    /// The gate thresholds (the baseline is read from `baseline`).
    pub thresholds: gates::Thresholds,
    /// A report file (a previous `report.json` or `--json` output, or a `quality.json`) whose
    /// coverage is the baseline, and whose per-test results the deltas compare with.
    pub baseline: Option<PathBuf>,
    /// Where result files of runs go.
    pub output_dir: PathBuf,
    /// Where the full report is written.
    pub report: PathBuf,
}

/// What `run` produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    /// The report, gates decided.
    pub report: Report,
    /// Where it was written.
    pub report_path: PathBuf,
    /// The baseline coverage, when a baseline was read.
    pub baseline: Option<f64>,
    /// Things worth a warning (a missing baseline).
    pub warnings: Vec<String>,
}

/// Why `run-tests` could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Nothing matched the result globs, or the commands left no results (`--allow-empty
    /// false`).
    #[error("no test results found (looked for {patterns})")]
    NoResults {
        /// The globs, joined.
        patterns: String,
    },
    /// A glob does not parse.
    #[error("invalid glob `{pattern}`")]
    Glob {
        /// The glob.
        pattern: String,
        /// Why.
        #[source]
        source: globset::Error,
    },
    /// The baseline report cannot be read.
    #[error("cannot read the baseline report `{}`: {message}", path.display())]
    Baseline {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A report given to `merge` cannot be read.
    #[error("cannot read the report `{}`: {message}", path.display())]
    Merge {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The report file cannot be written.
    #[error("writing `{}`", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Running the suites failed before any test ran.
    #[error(transparent)]
    Run(#[from] runner::Error),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::NoResults { .. } => Some(
                "check `--results` (e.g. `--results 'target/**/junit.xml'`), or pass `--allow-empty` when no tests is fine"
                    .into(),
            ),
            Self::Glob { .. } => Some("globs use `*`, `**`, `?`, `[ab]` and `{a,b}`".into()),
            Self::Baseline { .. } => Some(
                "pass the `report.json` of a default-branch run (or its `--json` output) as `--baseline`"
                    .into(),
            ),
            Self::Merge { .. } => {
                Some("merge reads the `report.json` files that `slipway run-tests` writes".into())
            }
            Self::Write { .. } => Some("choose a writable path with `--report`".into()),
            Self::Run(e) => e.hint(),
        }
    }
}

/// Runs, reads or merges, decides the gates and writes the report file.
pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let mut warnings = Vec::new();
    let mut runs = Vec::new();
    let mut report = match &settings.mode {
        Mode::Merge { reports } => merge(reports)?,
        Mode::SkipRun => read(settings, &[], &[])?,
        Mode::Run {
            commands,
            shard,
            retries,
            timings,
            collect_coverage,
        } => {
            let work = match shard {
                Some(s) => settings.output_dir.join(format!("shard-{}", s.index)),
                None => settings.output_dir.clone(),
            };
            let plan = runner::Plan {
                root: settings.root.clone(),
                commands: commands.clone(),
                output_dir: work,
                shard: *shard,
                retries: *retries,
                timings: timings.clone(),
                coverage: collect_coverage.then(|| runner::CoverageOut {
                    dir: settings.output_dir.clone(),
                    shard: shard.map_or(1, |s| s.index),
                }),
            };
            let ran = runner::run(&plan)?;
            warnings.extend(ran.warnings.iter().cloned());
            runs = ran.commands.clone();
            let mut report = read(settings, &ran.first, &ran.coverage)?;
            for attempt in &ran.retries {
                let mut c = Collector::new();
                for f in attempt {
                    let _ = parse::result_file(f, &f.display().to_string(), &mut c);
                }
                let retry = c.finish();
                report.mark_flaky(&retry);
            }
            report
        }
    };
    for c in &mut runs {
        for r in &mut c.results {
            *r = label(&settings.root, Path::new(r.as_str()));
        }
    }
    // A result file a command wrote that cannot be read: the note says which command and how
    // it ended.
    for p in &report.problems {
        if let Some(c) = runs.iter_mut().find(|c| c.results.contains(&p.file)) {
            let code = c
                .exit_code
                .map_or_else(|| "a signal".to_owned(), |n| n.to_string());
            c.note = Some(format!(
                "`{}` cannot be read ({}); the command exited with {code}: a truncated file means the runner was killed or ran out of disk, run the command locally to see its output",
                p.file, p.message
            ));
        }
    }
    let empty = report.files.is_empty() && report.problems.is_empty() && report.totals.tests == 0;
    let allow_empty = settings
        .allow_empty
        .unwrap_or(matches!(settings.mode, Mode::Run { .. }));
    if empty && !allow_empty {
        let patterns = if settings.results.is_empty() && !runs.is_empty() {
            format!(
                "the result files of {}",
                runs.iter()
                    .map(|c| format!("`{}`", c.command))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        } else if settings.results.is_empty() {
            "the result files of the test commands".to_owned()
        } else {
            settings
                .results
                .iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        return Err(Error::NoResults { patterns });
    }
    let mut thresholds = settings.thresholds.clone();
    let mut baseline = None;
    if let Some(path) = &settings.baseline {
        if path.exists() {
            let base = read_baseline(path)?;
            report.deltas = Some(match (&report.tests, base.tests) {
                (Some(now), Some(tests)) => {
                    deltas::compare(now, &tests, base.whole && !thresholds.partial)
                }
                (_, None) => deltas::Deltas::not_evaluated(format!(
                    "the baseline `{}` has no per-test results (written by an older slipway, or without tests): the next default-branch run writes them",
                    path.display()
                )),
                (None, Some(_)) => {
                    deltas::Deltas::not_evaluated("this run has no per-test results to compare")
                }
            });
            if thresholds.fail_on == deltas::FailOn::Regressions
                && report.deltas.as_ref().is_some_and(|d| !d.evaluated)
            {
                warnings.push(
                    "`fail-on: regressions` without per-test results on both sides: every failure counts (the pass-rate gate decides)".into(),
                );
            }
            baseline = match base.coverage {
                Ok(c) => Some(c),
                // Under `regressions` a baseline may serve for its tests alone.
                Err(_) if report.deltas.as_ref().is_some_and(|d| d.evaluated) => None,
                Err(message) => {
                    return Err(Error::Baseline {
                        path: path.clone(),
                        message,
                    });
                }
            };
            thresholds.baseline = baseline;
        } else {
            report.deltas = Some(deltas::Deltas::not_evaluated(format!(
                "no baseline at `{}`",
                path.display()
            )));
            warnings.push(format!(
                "no baseline report at `{}`: the coverage-drop gate is skipped and the test deltas are not evaluated",
                path.display()
            ));
        }
    }
    report.commands.extend(runs);
    relativize(&mut report, &settings.root, &settings.working_directory);
    report.gates = gates::evaluate(&report, &thresholds);
    let coverage_expected = matches!(
        settings.mode,
        Mode::Run {
            collect_coverage: true,
            ..
        }
    ) || !settings.coverage.is_empty();
    report.not_evaluated = gates::not_evaluated(&report, &thresholds, coverage_expected);
    write_report(&settings.report, &report)?;
    if matches!(settings.mode, Mode::Run { .. }) {
        let path = settings.output_dir.join(TIMINGS_FILE);
        let text = serde_json::json!({ "version": 1, "timings": report.timings });
        write_json(&path, &text)?;
    }
    if thresholds.partial && report.coverage.is_some() {
        warnings.push(
            "this is one shard of several: the coverage gates are decided on the merged shards (`slipway run-tests merge`, `slipway quality gate`)".into(),
        );
    }
    Ok(Outcome {
        report,
        report_path: settings.report.clone(),
        baseline,
        warnings,
    })
}

/// Reads the result globs (plus `extra` files) and coverage globs (plus `extra_coverage`).
fn read(
    settings: &Settings,
    extra: &[PathBuf],
    extra_coverage: &[PathBuf],
) -> Result<Report, Error> {
    let mut c = Collector::new();
    let mut files = expand(&settings.root, &settings.results)?;
    for f in extra {
        if !files.contains(f) {
            files.push(f.clone());
        }
    }
    let mut report = Report::default();
    for parsed in parse_all(&settings.root, &files) {
        match parsed {
            Ok(one) => report.absorb(one),
            Err(p) => c.problem(p),
        }
    }
    let mut coverage = expand_coverage(&settings.root, &settings.coverage, &mut c)?;
    for f in extra_coverage {
        if !coverage.contains(f) {
            coverage.push(f.clone());
        }
    }
    for path in coverage {
        let name = label(&settings.root, &path);
        match parse::coverage_file(&path, &name, settings.coverage_format) {
            Ok(totals) => {
                c.coverage(totals);
                c.file(&name);
            }
            Err(p) => c.problem(p),
        }
    }
    report.absorb(c.finish());
    report.round_times();
    Ok(report)
}

/// Parses result files on every core, one collector per file (a file that turns out malformed
/// halfway counts nothing); the results come back in the order of `files`.
fn parse_all(root: &Path, files: &[PathBuf]) -> Vec<Result<Report, report::Problem>> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    parse_on(root, files, threads)
}

/// [`parse_all`] on at most `threads` threads.
fn parse_on(
    root: &Path,
    files: &[PathBuf],
    threads: usize,
) -> Vec<Result<Report, report::Problem>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let one = |path: &PathBuf| {
        let mut c = Collector::new();
        parse::result_file(path, &label(root, path), &mut c).map(|()| c.finish())
    };
    let threads = threads.min(files.len());
    if threads <= 1 {
        return files.iter().map(one).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Result<Report, report::Problem>)> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(i) else {
                            break;
                        };
                        mine.push((i, one(path)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Coverage globs; a pattern without glob characters that names no file is a problem (the
/// gate fails closed rather than skipping coverage).
fn expand_coverage(
    root: &Path,
    patterns: &[String],
    c: &mut Collector,
) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for p in patterns {
        let found = expand(root, std::slice::from_ref(p))?;
        if found.is_empty() {
            c.problem(report::Problem {
                file: p.clone(),
                line: 0,
                column: 0,
                message: "no coverage file matches".into(),
            });
        }
        out.extend(found);
    }
    Ok(out)
}

/// The path as shown: relative to `root` when inside it.
fn label(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The files matching `patterns`, sorted, each once. A glob walks only below its literal
/// prefix (`target/nextest/**/junit.xml` walks `target/nextest`), hidden and ignored files
/// included: result files usually live in ignored build directories.
pub fn expand(root: &Path, patterns: &[String]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for pattern in patterns {
        let full = if Path::new(pattern).is_absolute() {
            PathBuf::from(pattern)
        } else {
            root.join(pattern)
        };
        let full_text = full.to_string_lossy().into_owned();
        let meta = full_text.find(['*', '?', '[', '{']);
        let Some(meta) = meta else {
            if full.is_file() {
                out.push(full);
            }
            continue;
        };
        let base = match full_text[..meta].rfind('/') {
            Some(i) => PathBuf::from(&full_text[..=i]),
            None => PathBuf::from("."),
        };
        let matcher = globset::GlobBuilder::new(&full_text)
            .literal_separator(true)
            .build()
            .map_err(|source| Error::Glob {
                pattern: pattern.clone(),
                source,
            })?
            .compile_matcher();
        if !base.is_dir() {
            continue;
        }
        let walk = ignore::WalkBuilder::new(&base)
            .standard_filters(false)
            .follow_links(false)
            .build();
        for entry in walk.flatten() {
            if entry.file_type().is_some_and(|t| t.is_file()) && matcher.is_match(entry.path()) {
                out.push(entry.into_path());
            }
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Combines the report files of shards.
pub fn merge(reports: &[PathBuf]) -> Result<Report, Error> {
    let mut merged = Report::default();
    for path in reports {
        let text = std::fs::read_to_string(path).map_err(|e| Error::Merge {
            path: path.clone(),
            message: e.to_string(),
        })?;
        let mut r: Report = serde_json::from_str(&text).map_err(|e| Error::Merge {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if r.files.is_empty() {
            r.files.push(path.display().to_string());
        }
        r.gates.clear();
        merged.absorb(r);
    }
    merged.round_times();
    Ok(merged)
}

/// A baseline, read once: its coverage percent (or why it has none) and its per-test results.
struct Baseline {
    coverage: Result<f64, String>,
    tests: Option<deltas::TestIndex>,
    /// Whether the tests describe a whole suite (so tests absent from this run were removed).
    whole: bool,
}

/// Reads a baseline: a report file (`report.json`, `--json` output, a `quality.json` whose
/// subprojects' test indexes are combined), or the directory of a previous run's downloaded
/// artifact, whose `quality.json` or `report*.json` files are read (shard reports merged).
fn read_baseline(path: &Path) -> Result<Baseline, Error> {
    let err = |message: String| Error::Baseline {
        path: path.to_path_buf(),
        message,
    };
    if path.is_dir() {
        let quality = expand(path, &["**/quality.json".to_owned()])?;
        if let Some(q) = quality.first() {
            return read_baseline(q);
        }
        let reports = expand(path, &["**/report*.json".to_owned()])?;
        if reports.is_empty() {
            return Err(err(
                "the directory holds no `quality.json` or `report*.json`".into(),
            ));
        }
        let merged = merge(&reports).map_err(|e| err(e.to_string()))?;
        return Ok(Baseline {
            coverage: merged
                .coverage
                .map(|c| c.percent)
                .ok_or_else(|| "its reports have no coverage".to_owned()),
            tests: merged.tests,
            whole: true,
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        err(format!(
            "line {}, column {}: {e} (a truncated file? download it again or delete it to start a new baseline)",
            e.line(),
            e.column()
        ))
    })?;
    let coverage = value
        .pointer("/coverage/percent")
        .and_then(serde_json::Value::as_f64)
        .ok_or_else(|| "it has no `coverage.percent`".to_owned());
    let index = |v: Option<&serde_json::Value>| -> Result<Option<deltas::TestIndex>, Error> {
        v.filter(|v| !v.is_null())
            .map(|v| {
                serde_json::from_value(v.clone())
                    .map_err(|e| err(format!("its `tests` cannot be read: {e}")))
            })
            .transpose()
    };
    if let Some(subs) = value
        .get("subprojects")
        .and_then(serde_json::Value::as_array)
    {
        let mut all: Option<deltas::TestIndex> = None;
        for sub in subs {
            if let Some(i) = index(sub.get("tests"))? {
                all.get_or_insert_with(Default::default).merge(i);
            }
        }
        return Ok(Baseline {
            coverage,
            tests: all,
            whole: subs.len() == 1,
        });
    }
    Ok(Baseline {
        coverage,
        tests: index(value.get("tests"))?,
        whole: true,
    })
}

fn write_report(path: &Path, report: &Report) -> Result<(), Error> {
    write_json(path, report)
}

/// Writes `value` as pretty JSON, atomically, creating the directory.
pub(crate) fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<(), Error> {
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::fsutil::create_dir_all(dir).map_err(err)?;
    }
    let text = serde_json::to_string_pretty(value).map_err(|e| err(std::io::Error::other(e)))?;
    crate::fsutil::write_atomic(path, (text + "\n").as_bytes()).map_err(err)
}

/// Makes the failures' file paths repository-relative, so annotations land on the file in the
/// pull request: results often carry the runner's absolute path (`/home/runner/work/app/app/
/// tests/test_a.py`) or a path relative to the subproject (`tests/test_a.py` for `api/`).
pub fn relativize(report: &mut Report, root: &Path, working_directory: &str) {
    let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let workspace = std::env::var_os("GITHUB_WORKSPACE").map(PathBuf::from);
    let mut dirs: Vec<String> = Vec::new();
    if working_directory != "." {
        dirs.push(working_directory.to_owned());
    }
    for s in &report.suites {
        if let Some(parent) = s.file.as_deref().and_then(|f| Path::new(f).parent())
            && !parent.as_os_str().is_empty()
            && parent.is_relative()
        {
            let p = parent.display().to_string();
            if !dirs.contains(&p) && dirs.len() < 32 {
                dirs.push(p);
            }
        }
    }
    // jest's JSON names suites by absolute path: the same names, repository-relative.
    let bases: Vec<String> = [Some(root), Some(canonical.as_path()), workspace.as_deref()]
        .into_iter()
        .flatten()
        .map(|b| format!("{}/", b.display().to_string().trim_end_matches('/')))
        .collect();
    let strip = |s: &mut String| {
        if let Some(b) = bases.iter().find(|b| s.starts_with(b.as_str())) {
            s.drain(..b.len());
        }
    };
    for s in &mut report.suites {
        strip(&mut s.name);
        if let Some(f) = s.file.as_mut() {
            strip(f);
        }
    }
    for f in &mut report.failures {
        strip(&mut f.id);
        strip(&mut f.suite);
    }
    if report.timings.keys().any(|k| k.starts_with('/')) {
        report.timings = std::mem::take(&mut report.timings)
            .into_iter()
            .map(|(mut k, v)| {
                strip(&mut k);
                (k, v)
            })
            .collect();
    }
    for f in &mut report.failures {
        if let Some(file) = f.file.as_deref() {
            f.file = Some(repo_path(
                file,
                root,
                &canonical,
                workspace.as_deref(),
                &dirs,
                (working_directory != ".").then_some(working_directory),
            ));
        }
    }
}

fn repo_path(
    file: &str,
    root: &Path,
    canonical: &Path,
    workspace: Option<&Path>,
    dirs: &[String],
    fallback: Option<&str>,
) -> String {
    let path = Path::new(file.strip_prefix("file://").unwrap_or(file));
    if path.is_absolute() {
        for base in [Some(root), Some(canonical), workspace]
            .into_iter()
            .flatten()
        {
            if let Ok(rel) = path.strip_prefix(base) {
                return rel.display().to_string();
            }
        }
        return file.to_owned();
    }
    let rel = path.strip_prefix(".").unwrap_or(path);
    if root.join(rel).is_file() {
        return rel.display().to_string();
    }
    for d in dirs {
        let candidate = Path::new(d).join(rel);
        if root.join(&candidate).is_file() {
            return candidate.display().to_string();
        }
    }
    if let Some(d) = fallback {
        return Path::new(d).join(rel).display().to_string();
    }
    rel.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reports of several shapes, one malformed: parsed on one thread and on several, they
    /// merge into the same report, in the order of the files.
    #[test]
    fn parsing_in_parallel_gives_the_serial_report() {
        let dir = tempfile::tempdir().unwrap();
        let mut files = Vec::new();
        for n in 0..9 {
            let path = dir.path().join(format!("r{n}.xml"));
            let mut xml = String::from("<testsuites>");
            for s in 0..3 {
                xml.push_str(&format!("<testsuite name=\"s{}\">", (n + s) % 4));
                for i in 0..40 {
                    let case =
                        format!("<testcase classname=\"c{s}\" name=\"t{i}_{n}\" time=\"0.01\"");
                    match (i + n) % 13 {
                        0 => xml.push_str(&format!(
                            "{case}><failure message=\"m{i}\">at x.py:{i}</failure></testcase>"
                        )),
                        5 => xml.push_str(&format!("{case}><skipped/></testcase>")),
                        _ => xml.push_str(&format!("{case}/>")),
                    }
                    // The same names in every file: merging must deduplicate them.
                    xml.push_str(&format!(
                        "<testcase classname=\"c{s}\" name=\"shared{i}\"/>"
                    ));
                }
                xml.push_str("</testsuite>");
            }
            if n == 4 {
                xml.push_str("<testsuite>");
            }
            xml.push_str("</testsuites>");
            std::fs::write(&path, xml).unwrap();
            files.push(path);
        }
        let merged = |threads: usize| {
            let mut report = Report::default();
            let mut problems = Vec::new();
            for parsed in parse_on(dir.path(), &files, threads) {
                match parsed {
                    Ok(one) => report.absorb(one),
                    Err(p) => problems.push(p),
                }
            }
            (report, problems)
        };
        let (serial, serial_problems) = merged(1);
        assert_eq!(serial.totals.tests, 8 * 3 * 80);
        assert_eq!(serial_problems.len(), 1);
        assert!(serial.tests.as_ref().unwrap().owners["c1"].passed.len() > 40);
        for threads in [2, 3, 8] {
            let (parallel, problems) = merged(threads);
            assert_eq!(parallel, serial, "{threads} threads");
            assert_eq!(problems, serial_problems, "{threads} threads");
            assert_eq!(
                serde_json::to_string(&parallel).unwrap(),
                serde_json::to_string(&serial).unwrap()
            );
        }
    }
}
