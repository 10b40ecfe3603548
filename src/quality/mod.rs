//! `slipway quality`: the repository-wide quality decision over the run-tests reports of every
//! subproject, as the quality workflow's `gate` job runs it (`templates/workflows/quality.yml.j2`).
//!
//! `quality gate` reads, per subproject, the result of its coverage job (a `needs.<job>.result`:
//! `success`, `failure`, `cancelled`, `skipped`) and the `report-K.json` files its shards wrote
//! (downloaded to `--results DIR/<subproject>/`), merges the shards, and holds each subproject to
//! the gates of `slipway run-tests` ([`crate::run_tests::gates`]): pass rate, line coverage and
//! coverage drop against the default branch's last `quality.json` (the baseline). Two more
//! rules make it fail closed:
//! - a job that failed or was cancelled fails the `job` gate, whatever its reports say (a
//!   crashed shard leaves the others' reports looking complete);
//! - a job that ran but left no report, or a report that cannot be read, fails `readable`.
//!
//! A skipped job (a pull request that does not touch the subproject) is reported from the
//! baseline, so `quality.json` always describes the whole repository and can become the next
//! baseline. The result is `DIR/quality.json`, `DIR/summary.md` (the pull-request comment) and
//! the step summary; the exit code is 1 when a gate failed.

pub mod artifact;
pub mod cli;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::Hint;
use crate::github::{Priority, Summary};
use crate::run_tests::coverage::CoverageData;
use crate::run_tests::deltas::{self, Deltas, FailOn, TestIndex};
use crate::run_tests::gates::{self, Gate, Thresholds};
use crate::run_tests::patch::{self, PatchCoverage};
use crate::run_tests::report::{Counts, CoverageTotals, Report, round2};

/// The quality file's name in the report directory; also the baseline's shape.
pub const QUALITY_FILE: &str = "quality.json";
/// The Markdown summary's name in the report directory (posted as the pull-request comment).
pub const SUMMARY_FILE: &str = "summary.md";
/// The most bytes of `summary.md`: a pull-request comment holds 65536 characters.
pub const COMMENT_BUDGET: usize = 60_000;
/// Failures listed per subproject in the summary.
const SUMMARY_FAILURES: usize = 20;

/// The result of a job, as `needs.<job>.result` gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobResult {
    /// Every step passed.
    Success,
    /// A step failed.
    Failure,
    /// The run was cancelled.
    Cancelled,
    /// The job did not run (its `if:` was false).
    Skipped,
}

impl JobResult {
    /// Parses `success`, `failure`, `cancelled` or `skipped`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "success" => Some(Self::Success),
            "failure" => Some(Self::Failure),
            "cancelled" => Some(Self::Cancelled),
            "skipped" => Some(Self::Skipped),
            _ => None,
        }
    }

    /// The name as GitHub spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Cancelled => "cancelled",
            Self::Skipped => "skipped",
        }
    }
}

/// Where a subproject's numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// This run's reports.
    Run,
    /// The baseline (the job was skipped).
    Baseline,
    /// Nothing: skipped and not in the baseline, or no report.
    None,
}

/// One subproject's verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subproject {
    /// The subproject (unit) id, e.g. `api`.
    pub name: String,
    /// Its coverage job's result.
    pub job: JobResult,
    /// Where the numbers come from.
    pub source: Source,
    /// The counted tests of its shards.
    pub totals: Counts,
    /// Line coverage of its shards, when collected.
    pub coverage: Option<CoverageTotals>,
    /// The baseline's coverage of this subproject, when known.
    #[serde(default)]
    pub baseline_coverage: Option<f64>,
    /// The gates, decided.
    pub gates: Vec<Gate>,
    /// The report files read.
    #[serde(default)]
    pub reports: Vec<String>,
    /// Failed tests, at most `SUMMARY_FAILURES`.
    #[serde(default)]
    pub failures: Vec<Failure>,
    /// Things that could not be read.
    #[serde(default)]
    pub problems: Vec<String>,
    /// Why the coverage may count some lines twice (shard reports without per-line data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage_note: Option<String>,
    /// Every test's identity and outcome (merged shards): the next pull request's deltas
    /// compare with it when this file is the baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests: Option<TestIndex>,
    /// The tests against the baseline's: new failures, failures the base already has, added
    /// and removed tests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deltas: Option<Deltas>,
}

/// A failed test, as the summary lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// `class::name`.
    pub id: String,
    /// The first line of its message.
    pub message: String,
    /// `file:line`, when known.
    #[serde(default)]
    pub location: Option<String>,
}

/// The whole decision: `quality.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quality {
    /// The file format's version.
    pub version: u32,
    /// True when every gate of every subproject held.
    pub passed: bool,
    /// Totals over the subprojects.
    pub totals: Counts,
    /// Line coverage over the subprojects that have it.
    pub coverage: Option<CoverageTotals>,
    /// The baseline's overall coverage.
    #[serde(default)]
    pub baseline_coverage: Option<f64>,
    /// The gates that held or not, as `subproject:gate` (`patch-coverage` for the change).
    pub gates: Vec<Gate>,
    /// Line coverage of the lines the change adds, when a diff was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch_coverage: Option<PatchCoverage>,
    /// What failing tests fail the gate.
    #[serde(default)]
    pub fail_on: FailOn,
    /// Per subproject, by name.
    pub subprojects: Vec<Subproject>,
}

/// Everything `gate` needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// The subprojects and their job results, in order.
    pub subprojects: Vec<(String, JobResult)>,
    /// The directory of downloaded reports: `<results>/<subproject>/**/report*.json`.
    pub results: PathBuf,
    /// The previous `quality.json`, if any (missing on the first run).
    pub baseline: Option<PathBuf>,
    /// The thresholds (the baseline is filled per subproject).
    pub thresholds: Thresholds,
    /// Where `quality.json` and `summary.md` go.
    pub report: PathBuf,
    /// The change as a unified diff (`git diff --unified=0 BASE HEAD`), for patch coverage.
    pub diff: Option<PathBuf>,
    /// The lowest patch coverage, percent; 0 reports it without a gate.
    pub patch_min: f64,
}

/// What `gate` produced.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The decision.
    pub quality: Quality,
    /// `quality.json`.
    pub quality_path: PathBuf,
    /// `summary.md`.
    pub summary_path: PathBuf,
    /// The Markdown summary.
    pub summary: Summary,
    /// True when this result describes every subproject and can be the next baseline.
    pub complete: bool,
    /// Warnings (first run without a baseline).
    pub warnings: Vec<String>,
}

/// Why the gate could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A `--subproject` value is not `NAME=RESULT`.
    #[error(
        "invalid `--subproject {value}`: expected NAME=RESULT with RESULT one of `success`, `failure`, `cancelled`, `skipped`"
    )]
    Subproject {
        /// The value given.
        value: String,
    },
    /// No subproject was given.
    #[error("no subproject given")]
    NoSubprojects,
    /// The baseline exists but cannot be read.
    #[error("cannot read the baseline `{}`: {message}", path.display())]
    Baseline {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The diff cannot be read or parsed.
    #[error("cannot read the diff `{}`: {message}", path.display())]
    Diff {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// An output file cannot be written.
    #[error("writing `{}`", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Subproject { .. } | Self::NoSubprojects => Some(
                "pass each subproject with its job result, e.g. `--subproject api=${{ needs.coverage-api.result }}` through an env variable".into(),
            ),
            Self::Baseline { .. } => Some(
                "the baseline is the `quality.json` a default-branch run wrote; delete the cached copy to start a new baseline".into(),
            ),
            Self::Diff { .. } => Some(
                "write it with `git diff --unified=0 --no-color BASE HEAD > FILE` (a complete diff, no `--stat`), or leave `--diff` out to skip patch coverage".into(),
            ),
            Self::Write { .. } => Some("choose a writable `--report` directory".into()),
        }
    }
}

/// Parses `NAME=RESULT`.
///
/// ```
/// use slipway::quality::{parse_subproject, JobResult};
/// assert_eq!(parse_subproject("api=success").unwrap(), ("api".to_owned(), JobResult::Success));
/// assert!(parse_subproject("api=").is_err());
/// ```
pub fn parse_subproject(value: &str) -> Result<(String, JobResult), Error> {
    let bad = || Error::Subproject {
        value: value.to_owned(),
    };
    let (name, result) = value.split_once('=').ok_or_else(bad)?;
    let name = name.trim();
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name != "."
        && name != "..";
    if !valid {
        return Err(bad());
    }
    Ok((name.to_owned(), JobResult::parse(result).ok_or_else(bad)?))
}

/// Decides, writes `quality.json` and `summary.md`.
pub fn gate(settings: &Settings) -> Result<Outcome, Error> {
    if settings.subprojects.is_empty() {
        return Err(Error::NoSubprojects);
    }
    let mut warnings = Vec::new();
    let baseline = match &settings.baseline {
        Some(path) if path.exists() => Some(read_baseline(path)?),
        Some(path) => {
            warnings.push(format!(
                "no baseline at `{}` (the first run on the default branch writes it): the coverage-drop gates are skipped",
                path.display()
            ));
            None
        }
        None => None,
    };
    let added = match &settings.diff {
        Some(path) => {
            let text = std::fs::read(path).map_err(|e| Error::Diff {
                path: path.clone(),
                message: e.to_string(),
            })?;
            let text = String::from_utf8_lossy(&text);
            Some(
                crate::run_tests::diff::parse(&text).map_err(|e| Error::Diff {
                    path: path.clone(),
                    message: e.to_string(),
                })?,
            )
        }
        None => None,
    };
    let mut all_coverage = CoverageData::default();
    let mut subprojects = Vec::new();
    let mut complete = true;
    for (name, job) in &settings.subprojects {
        let base = baseline
            .as_ref()
            .and_then(|b| b.subprojects.iter().find(|s| &s.name == name));
        let no_base_tests = match (&settings.baseline, &baseline, base) {
            (None, ..) => "no baseline was given (`--baseline`)".to_owned(),
            (Some(p), None, _) => format!(
                "no baseline at `{}` (the first run on the default branch writes it)",
                p.display()
            ),
            (Some(p), Some(_), None) => {
                format!("the baseline `{}` has no subproject `{name}`", p.display())
            }
            (Some(p), Some(_), Some(_)) => format!(
                "the baseline `{}` has no per-test results for `{name}` (written by an older slipway): the next default-branch run writes them",
                p.display()
            ),
        };
        let sub = subproject(
            settings,
            name,
            *job,
            base,
            &no_base_tests,
            &mut all_coverage,
        );
        if let Some(note) = &sub.coverage_note {
            warnings.push(format!("`{name}` coverage: {note}"));
        }
        complete &= sub.source != Source::None || sub.job == JobResult::Skipped && base.is_none();
        complete &=
            sub.problems.is_empty() && matches!(sub.job, JobResult::Success | JobResult::Skipped);
        subprojects.push(sub);
    }
    let mut totals = Counts::default();
    let mut covered = (0u64, 0u64);
    let mut gates = Vec::new();
    for s in &subprojects {
        totals.add(&s.totals);
        if let Some(c) = s.coverage {
            covered.0 += c.covered;
            covered.1 += c.total;
        }
        for g in &s.gates {
            gates.push(Gate {
                name: format!("{}:{}", s.name, g.name),
                ..g.clone()
            });
        }
    }
    totals.time_s = (totals.time_s * 1000.0).round() / 1000.0;
    let patch_coverage = added.map(|a| patch::compute(&a, &all_coverage));
    if let Some(p) = &patch_coverage {
        match p.percent {
            Some(percent) if settings.patch_min > 0.0 => gates.push(Gate {
                name: "patch-coverage".into(),
                ok: percent >= settings.patch_min,
                actual: percent,
                required: settings.patch_min,
            }),
            None if p.changed > 0 => warnings.push(format!(
                "patch coverage not evaluated: none of the {} changed line(s) has coverage data (files no report measures, or lines that are not code)",
                p.changed
            )),
            _ => {}
        }
    }
    let coverage = (covered.1 > 0).then(|| CoverageTotals::new(covered.0, covered.1));
    let quality = Quality {
        version: 1,
        passed: gates.iter().all(|g| g.ok),
        totals,
        coverage,
        baseline_coverage: baseline
            .as_ref()
            .and_then(|b| b.coverage.map(|c| c.percent)),
        gates,
        patch_coverage,
        fail_on: settings.thresholds.fail_on,
        subprojects,
    };
    crate::fsutil::create_dir_all(&settings.report).map_err(|source| Error::Write {
        path: settings.report.clone(),
        source,
    })?;
    let quality_path = settings.report.join(QUALITY_FILE);
    let summary_path = settings.report.join(SUMMARY_FILE);
    let summary = summary(&quality, &warnings);
    let json = serde_json::to_string_pretty(&quality).map_err(|e| Error::Write {
        path: quality_path.clone(),
        source: std::io::Error::other(e),
    })? + "\n";
    crate::fsutil::write_atomic(&quality_path, json.as_bytes()).map_err(|source| Error::Write {
        path: quality_path.clone(),
        source,
    })?;
    // NOTE: a pull-request comment holds at most 65536 characters.
    crate::fsutil::write_atomic(
        &summary_path,
        summary.render_within(COMMENT_BUDGET).markdown.as_bytes(),
    )
    .map_err(|source| Error::Write {
        path: summary_path.clone(),
        source,
    })?;
    Ok(Outcome {
        quality,
        quality_path,
        summary_path,
        summary,
        complete,
        warnings,
    })
}

/// One subproject: its reports merged and gated, or the baseline when its job was skipped.
fn subproject(
    settings: &Settings,
    name: &str,
    job: JobResult,
    base: Option<&Subproject>,
    no_base_tests: &str,
    all_coverage: &mut CoverageData,
) -> Subproject {
    let mut sub = Subproject {
        name: name.to_owned(),
        job,
        source: Source::None,
        totals: Counts::default(),
        coverage: None,
        baseline_coverage: base.and_then(|b| b.coverage.map(|c| c.percent)),
        gates: Vec::new(),
        reports: Vec::new(),
        failures: Vec::new(),
        problems: Vec::new(),
        coverage_note: None,
        tests: None,
        deltas: None,
    };
    let files = report_files(&settings.results.join(name));
    if job == JobResult::Skipped && files.is_empty() {
        if let Some(b) = base {
            sub.source = Source::Baseline;
            sub.totals = b.totals.clone();
            sub.coverage = b.coverage;
            sub.tests = b.tests.clone();
        }
        return sub;
    }
    let mut merged = Report::default();
    for f in &files {
        let shown = f.display().to_string();
        match std::fs::read(f)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::from_slice::<Report>(&t).map_err(|e| e.to_string()))
        {
            Ok(mut r) => {
                r.gates.clear();
                merged.absorb(r);
                sub.reports.push(shown);
            }
            Err(e) => sub.problems.push(format!("`{shown}`: {e}")),
        }
    }
    if files.is_empty() {
        sub.problems.push(format!(
            "no run-tests report under `{}`",
            settings.results.join(name).display()
        ));
    }
    for p in &merged.problems {
        sub.problems.push(p.to_string());
    }
    merged.round_times();
    sub.source = if sub.reports.is_empty() {
        Source::None
    } else {
        Source::Run
    };
    let whole = sub.problems.is_empty() && job == JobResult::Success;
    merged.deltas = Some(match (&merged.tests, base.and_then(|b| b.tests.as_ref())) {
        (Some(now), Some(then)) => deltas::compare(now, then, whole),
        (_, None) => Deltas::not_evaluated(no_base_tests),
        (None, Some(_)) => Deltas::not_evaluated("this run has no per-test results"),
    });
    let thresholds = Thresholds {
        baseline: sub.baseline_coverage,
        partial: false,
        ..settings.thresholds.clone()
    };
    let mut gates = gates::evaluate(&merged, &thresholds);
    // `evaluate` adds `readable` for the reports' own problems; ours include unreadable
    // reports and missing ones.
    gates.retain(|g| g.name != "readable");
    if !sub.problems.is_empty() {
        gates.push(Gate {
            name: "readable".into(),
            ok: false,
            actual: sub.problems.len() as f64,
            required: 0.0,
        });
    }
    if matches!(job, JobResult::Failure | JobResult::Cancelled) {
        gates.push(Gate {
            name: "job".into(),
            ok: false,
            actual: 0.0,
            required: 1.0,
        });
    }
    sub.gates = gates;
    sub.tests = merged.tests.take();
    sub.deltas = merged.deltas.take();
    sub.totals = merged.totals.clone();
    sub.coverage = merged.coverage;
    sub.coverage_note = merged.coverage_note();
    if let Some(data) = merged.coverage_data.take() {
        all_coverage.merge(data);
    }
    sub.failures = merged
        .failures
        .iter()
        .take(SUMMARY_FAILURES)
        .map(|f| Failure {
            id: f.id.clone(),
            message: f.message.clone(),
            location: f.file.as_ref().map(|file| match f.line {
                Some(l) => format!("{file}:{l}"),
                None => file.clone(),
            }),
        })
        .collect();
    sub
}

/// The run-tests reports under `dir` (`report.json`, `report-K.json`), sorted.
fn report_files(dir: &Path) -> Vec<PathBuf> {
    if !dir.is_dir() {
        return Vec::new();
    }
    let mut out: Vec<PathBuf> = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .build()
        .flatten()
        .filter(|e| e.file_type().is_some_and(|t| t.is_file()))
        .map(ignore::DirEntry::into_path)
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n == "report.json"
                    || n.strip_prefix("report-")
                        .and_then(|r| r.strip_suffix(".json"))
                        .is_some_and(|k| !k.is_empty() && k.bytes().all(|b| b.is_ascii_digit()))
            })
        })
        .collect();
    out.sort();
    out
}

fn read_baseline(path: &Path) -> Result<Quality, Error> {
    let err = |message: String| Error::Baseline {
        path: path.to_path_buf(),
        message,
    };
    let text = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    serde_json::from_slice(&text).map_err(|e| {
        err(format!(
            "line {}, column {}: {}",
            e.line(),
            e.column(),
            lower_first(&e.to_string())
        ))
    })
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_lowercase().chain(c).collect())
        .unwrap_or_default()
}

fn pct(v: f64) -> String {
    format!("{v:.2}%")
}

/// The Markdown summary: verdict, a table of subprojects, the failing gates, then failures.
pub fn summary(q: &Quality, warnings: &[String]) -> Summary {
    let mut s = Summary::new();
    let verdict = if q.passed {
        "✅ quality gate passed"
    } else {
        "❌ quality gate failed"
    };
    let mut head = format!(
        "**{verdict}**: {} tests, {} passed, {} failed, {} skipped",
        q.totals.tests,
        q.totals.passed,
        q.totals.failed + q.totals.errors,
        q.totals.skipped
    );
    if let Some(c) = q.coverage {
        let _ = write!(head, "; line coverage {}", pct(c.percent));
        if let Some(b) = q.baseline_coverage {
            let _ = write!(
                head,
                " ({:+.2} points against the baseline {})",
                round2(c.percent - b),
                pct(b)
            );
        }
    }
    let rows: Vec<Vec<String>> = q
        .subprojects
        .iter()
        .map(|p| {
            let failed: Vec<String> = p
                .gates
                .iter()
                .filter(|g| !g.ok)
                .map(|g| g.name.clone())
                .collect();
            let state = match p.source {
                Source::Baseline => "⏭️ not changed (baseline)".to_owned(),
                Source::None if p.job == JobResult::Skipped => "⏭️ not measured".to_owned(),
                _ if failed.is_empty() => "✅".to_owned(),
                _ => format!("❌ {}", failed.join(", ")),
            };
            let coverage = p
                .coverage
                .map(|c| pct(c.percent))
                .unwrap_or_else(|| "–".into());
            let delta = match (p.coverage, p.baseline_coverage, p.source) {
                (Some(c), Some(b), Source::Run) => format!("{:+.2}", round2(c.percent - b)),
                _ => "–".into(),
            };
            vec![
                format!("`{}`", p.name),
                p.job.as_str().to_owned(),
                p.totals.tests.to_string(),
                (p.totals.failed + p.totals.errors).to_string(),
                format!("{:.2}%", p.totals.pass_rate()),
                coverage,
                delta,
                state,
            ]
        })
        .collect();
    let section = s.section(Priority::High, Some("Quality gate"));
    section.text(&head).table(
        &[
            "subproject",
            "job",
            "tests",
            "failed",
            "pass rate",
            "coverage",
            "Δ",
            "gates",
        ],
        &rows,
    );
    for w in warnings {
        section.text(&format!("_note: {w}_"));
    }
    if let Some(p) = &q.patch_coverage {
        let mut text = match p.percent {
            Some(pc) => format!(
                "{} of {} measurable changed lines covered: **{}** ({} changed lines in all; lines without coverage data are not counted)",
                p.covered,
                p.measured,
                pct(pc),
                p.changed
            ),
            None => format!(
                "not evaluated: none of the {} changed lines has coverage data",
                p.changed
            ),
        };
        if !p.uncovered.is_empty() {
            text.push_str("\n\nUncovered changed lines:\n");
            for (file, lines) in p.uncovered.iter().take(patch::LISTED_FILES) {
                let _ = writeln!(text, "- `{file}`: {}", patch::ranges(lines));
            }
            if p.uncovered.len() > patch::LISTED_FILES {
                let _ = writeln!(
                    text,
                    "- and {} more files",
                    p.uncovered.len() - patch::LISTED_FILES
                );
            }
        }
        s.section(Priority::High, Some("Patch coverage"))
            .text(text.trim_end());
    }
    let mut changes = String::new();
    for p in q.subprojects.iter().filter(|p| p.source == Source::Run) {
        if let Some(d) = &p.deltas {
            let _ = writeln!(changes, "**`{}`**\n", p.name);
            changes.push_str(&deltas::markdown(d));
            if q.fail_on == FailOn::Regressions
                && d.evaluated
                && d.new_failures.count == 0
                && d.known_failures.count > 0
            {
                let _ = writeln!(
                    changes,
                    "- _`fail-on: regressions`: the {} failing test(s) already fail on the base branch, so they do not fail this run_",
                    d.known_failures.count
                );
            } else if q.fail_on == FailOn::Regressions && !d.evaluated {
                changes.push_str(
                    "- _`fail-on: regressions` without base results: every failure counts (pass-rate gate)_\n",
                );
            }
            changes.push('\n');
        }
    }
    if !changes.is_empty() {
        s.section(Priority::High, Some("Tests against the base branch"))
            .text(changes.trim_end());
    }
    let failing: String = q
        .subprojects
        .iter()
        .flat_map(|p| p.gates.iter().filter(|g| !g.ok).map(move |g| (p, g)))
        .map(|(p, g)| format!("- `{}` {}\n", p.name, explain(g, p)))
        .chain(
            q.gates
                .iter()
                .filter(|g| !g.ok && g.name == "patch-coverage")
                .map(|g| {
                    format!(
                        "- patch coverage {:.2}% is below {}%\n",
                        g.actual, g.required
                    )
                }),
        )
        .collect();
    if !failing.is_empty() {
        s.section(Priority::High, Some("Failing gates"))
            .text(&failing);
    }
    let failures: Vec<Vec<String>> = q
        .subprojects
        .iter()
        .flat_map(|p| {
            p.failures.iter().map(move |f| {
                vec![
                    format!("`{}`", p.name),
                    format!("`{}`", f.id),
                    f.message.clone(),
                    f.location
                        .as_ref()
                        .map(|l| format!("`{l}`"))
                        .unwrap_or_default(),
                ]
            })
        })
        .collect();
    if !failures.is_empty() {
        s.section(Priority::Normal, Some("Failed tests"))
            .table(&["subproject", "test", "message", "location"], &failures);
    }
    s
}

/// One failing gate in words.
fn explain(g: &Gate, p: &Subproject) -> String {
    match g.name.as_str() {
        "pass-rate" => format!("pass rate {:.2}% is below {}%", g.actual, g.required),
        "coverage" => format!("line coverage {:.2}% is below {}%", g.actual, g.required),
        "coverage-drop" => format!(
            "line coverage dropped {:.2} points against the baseline (at most {})",
            g.actual, g.required
        ),
        "flaky" => format!("{} flaky tests", g.actual),
        "patch-coverage" => format!("patch coverage {:.2}% is below {}%", g.actual, g.required),
        "regressions" => format!(
            "{} test(s) fail that passed or did not exist on the base branch",
            g.actual
        ),
        "job" => format!(
            "the coverage job finished with `{}`: its reports may be incomplete",
            p.job.as_str()
        ),
        "readable" => format!("reports missing or unreadable: {}", p.problems.join("; ")),
        other => format!("{other}: {} (required {})", g.actual, g.required),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subprojects_parse_as_name_equals_result() {
        assert_eq!(
            parse_subproject("web-app=cancelled").unwrap(),
            ("web-app".into(), JobResult::Cancelled)
        );
        for bad in ["api", "api=ok", "=success", "../x=success", "a b=success"] {
            assert!(parse_subproject(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn only_report_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        for f in [
            "report-1.json",
            "report-2.json",
            "report.json",
            "report-x.json",
            "timings.json",
            "shard-1/report-1.json",
        ] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "{}").unwrap();
        }
        let names: Vec<String> = report_files(dir.path())
            .iter()
            .map(|p| p.strip_prefix(dir.path()).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "report-1.json",
                "report-2.json",
                "report.json",
                "shard-1/report-1.json"
            ]
        );
    }

    #[test]
    fn explain_says_what_failed() {
        let p = Subproject {
            name: "api".into(),
            job: JobResult::Cancelled,
            source: Source::Run,
            totals: Counts::default(),
            coverage: None,
            baseline_coverage: None,
            gates: Vec::new(),
            reports: Vec::new(),
            failures: Vec::new(),
            problems: Vec::new(),
            coverage_note: None,
            tests: None,
            deltas: None,
        };
        let g = Gate {
            name: "job".into(),
            ok: false,
            actual: 0.0,
            required: 1.0,
        };
        assert!(explain(&g, &p).contains("`cancelled`"));
    }
}
