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

pub mod coverage;
pub mod gates;
pub mod gotest;
pub mod junit;
pub mod libtest;
pub mod parse;
pub mod publish;
pub mod report;
pub mod runner;
pub mod shard;
pub mod trx;
pub mod xml;

use std::path::{Path, PathBuf};

use crate::error::Hint;

use report::{Collector, Report};

/// Where the report file goes by default, under the repository root.
pub const DEFAULT_OUTPUT_DIR: &str = ".slipway/test-results";
/// The report file's name in the output directory.
pub const REPORT_FILE: &str = "report.json";

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
        /// A previous report whose timings weigh the shards.
        timings: Option<PathBuf>,
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
    /// Run, read only, or merge.
    pub mode: Mode,
    /// Globs of result files, relative to `root` unless absolute.
    pub results: Vec<String>,
    /// Globs of coverage files.
    pub coverage: Vec<String>,
    /// The coverage format (sniffed by default).
    pub coverage_format: coverage::Format,
    /// No result at all is fine.
    pub allow_empty: bool,
    /// The gate thresholds (the baseline is read from `baseline`).
    pub thresholds: gates::Thresholds,
    /// A report file (a previous `report.json` or `--json` output) whose coverage is the
    /// baseline.
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
    /// Nothing matched the result globs and nothing ran.
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
    let mut report = match &settings.mode {
        Mode::Merge { reports } => merge(reports)?,
        Mode::SkipRun => read(settings, &[])?,
        Mode::Run {
            commands,
            shard,
            retries,
            timings,
        } => {
            let plan = runner::Plan {
                root: settings.root.clone(),
                commands: commands.clone(),
                output_dir: settings.output_dir.clone(),
                shard: *shard,
                retries: *retries,
                timings: timings.clone(),
            };
            let ran = runner::run(&plan)?;
            warnings.extend(ran.warnings.iter().cloned());
            let mut report = read(settings, &ran.first)?;
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
    if report.files.is_empty()
        && report.problems.is_empty()
        && report.totals.tests == 0
        && !settings.allow_empty
    {
        let patterns = if settings.results.is_empty() {
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
            baseline = Some(read_baseline(path)?);
            thresholds.baseline = baseline;
        } else {
            warnings.push(format!(
                "no baseline report at `{}`: the coverage-drop gate is skipped",
                path.display()
            ));
        }
    }
    report.gates = gates::evaluate(&report, &thresholds);
    write_report(&settings.report, &report)?;
    Ok(Outcome {
        report,
        report_path: settings.report.clone(),
        baseline,
        warnings,
    })
}

/// Reads the result globs (plus `extra` files) and coverage globs.
fn read(settings: &Settings, extra: &[PathBuf]) -> Result<Report, Error> {
    let mut c = Collector::new();
    let mut files = expand(&settings.root, &settings.results)?;
    for f in extra {
        if !files.contains(f) {
            files.push(f.clone());
        }
    }
    let mut report = Report::default();
    for path in &files {
        // One collector per file: a file that turns out malformed halfway counts nothing.
        let mut one = Collector::new();
        match parse::result_file(path, &label(&settings.root, path), &mut one) {
            Ok(()) => report.absorb(one.finish()),
            Err(p) => c.problem(p),
        }
    }
    for path in expand_coverage(&settings.root, &settings.coverage, &mut c)? {
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

/// The coverage percent of a baseline report (`report.json` or `--json` output).
fn read_baseline(path: &Path) -> Result<f64, Error> {
    let err = |message: String| Error::Baseline {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| err(e.to_string()))?;
    value
        .pointer("/coverage/percent")
        .and_then(serde_json::Value::as_f64)
        .ok_or_else(|| err("it has no `coverage.percent`".into()))
}

fn write_report(path: &Path, report: &Report) -> Result<(), Error> {
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(err)?;
    }
    let text = serde_json::to_string_pretty(report).map_err(|e| err(std::io::Error::other(e)))?;
    std::fs::write(path, text + "\n").map_err(err)
}
