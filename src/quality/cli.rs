//! The command line of `slipway quality`: clap types and their translation into
//! [`super::Settings`].

use std::io::Write as _;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::error::{EXIT_FAILED, EXIT_OK, Failure};
use crate::run_tests::gates::Thresholds;
use crate::{config, github};

/// `slipway quality` subcommands.
#[derive(Debug, Subcommand)]
pub enum QualityCommand {
    /// Merge every subproject's run-tests reports, apply the quality gates against the default
    /// branch's baseline, write quality.json and summary.md.
    #[command(
        after_help = "Examples:\n  slipway quality gate --subproject api=success --subproject web=skipped \\\n    --results _slipway/results --baseline _slipway/baseline/quality.json --report _slipway/quality\n  slipway quality gate --subproject app=success --coverage-min 85 --json\n\nReports are read from RESULTS/<subproject>/**/report-K.json (the run-tests action's files).\nA skipped subproject is reported from the baseline; a failed or cancelled job fails its `job`\ngate. Outputs: `report` (quality.json) and, when every subproject was measured, `baseline`.\n\nExit codes: 0 every gate held, 1 a gate failed, 2 could not run."
    )]
    Gate(GateArgs),
    /// Post the quality summary as a sticky pull-request comment, updated on every run.
    #[command(
        after_help = "Examples:\n  slipway quality comment --pull-request 42 --report _slipway/quality --marker slipway-quality\n\nPosts DIR/summary.md (written by `slipway quality gate --report DIR`). The comment carries a\nhidden marker; the next run updates it instead of adding another. Needs GITHUB_TOKEN with\n`pull-requests: write`."
    )]
    Comment(crate::notify::cli::QualityCommentArgs),
}

/// Arguments of `slipway quality gate`.
#[derive(Debug, Args)]
pub struct GateArgs {
    /// A subproject and its coverage job's result (`success`, `failure`, `cancelled`,
    /// `skipped`), repeatable, e.g. `--subproject api=success --subproject web=skipped`.
    #[arg(long = "subproject", value_name = "NAME=RESULT", required = true)]
    pub subprojects: Vec<String>,
    /// The directory of downloaded run-tests reports, one subdirectory per subproject, e.g.
    /// `--results _slipway/results`.
    #[arg(long, value_name = "DIR", default_value = "_slipway/results")]
    pub results: PathBuf,
    /// The default branch's last quality.json, e.g. `--baseline _slipway/baseline/quality.json`;
    /// a missing file (the first run) skips the coverage-drop gates with a note.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// The lowest line coverage in percent, e.g. `--coverage-min 80` (default: `ci.coverage.min`).
    #[arg(long, value_name = "PERCENT")]
    pub coverage_min: Option<f64>,
    /// The largest coverage drop against the baseline, in points, e.g. `--max-drop 2`
    /// (default: `ci.coverage.max-drop`).
    #[arg(long, value_name = "POINTS")]
    pub max_drop: Option<f64>,
    /// The lowest pass rate in percent, e.g. `--pass-rate 95` (default: `ci.pass-rate`).
    #[arg(long, value_name = "PERCENT")]
    pub pass_rate: Option<f64>,
    /// What failing tests fail the gate, e.g. `--fail-on regressions`: `any` (the pass rate
    /// decides) or `regressions` (only tests that fail now and passed or did not exist in the
    /// baseline; without base results every failure counts) (default: `ci.tests.fail-on`).
    #[arg(long, value_name = "any|regressions", env = "SLIPWAY_FAIL_ON")]
    pub fail_on: Option<String>,
    /// The change as a unified diff, for patch coverage, e.g. `--diff _slipway/change.diff`
    /// written by `git diff --unified=0 --no-color BASE HEAD`.
    /// An empty value (a push, where the workflow sets no diff) is no diff.
    #[arg(long, value_name = "FILE", env = "SLIPWAY_DIFF")]
    pub diff: Option<String>,
    /// The lowest line coverage of the changed lines, percent, e.g. `--patch-min 80`; 0
    /// reports it without a gate (default: `ci.coverage.patch-min`).
    #[arg(long, value_name = "PERCENT")]
    pub patch_min: Option<f64>,
    /// Where quality.json and summary.md are written, e.g. `--report _slipway/quality`.
    #[arg(long, value_name = "DIR", default_value = "_slipway/quality")]
    pub report: PathBuf,
    /// The config file for default thresholds, e.g. `--config deploy/slipway.yml` (default:
    /// `slipway.yml` when present).
    #[arg(long, value_name = "FILE", env = "SLIPWAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print quality.json on stdout, e.g. `--json | jq .passed`.
    #[arg(long)]
    pub json: bool,
}

/// Consecutive lines as `(start, end)` runs.
fn runs(lines: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &l in lines {
        match out.last_mut() {
            Some((_, end)) if l == *end + 1 => *end = l,
            _ => out.push((l, l)),
        }
    }
    out
}

/// Runs `slipway quality <command>`.
pub fn run(command: QualityCommand) -> Result<u8, Failure> {
    match command {
        QualityCommand::Gate(args) => gate(args),
        QualityCommand::Comment(args) => crate::notify::cli::run_quality_comment(args),
    }
}

fn gate(args: GateArgs) -> Result<u8, Failure> {
    let GateArgs {
        subprojects,
        results,
        baseline,
        coverage_min,
        max_drop,
        pass_rate,
        fail_on,
        diff,
        patch_min,
        report,
        config,
        json,
    } = args;
    let fail_on = crate::run_tests::cli::parse_fail_on(fail_on.as_deref())?;
    let subprojects = subprojects
        .iter()
        .map(|s| super::parse_subproject(s))
        .collect::<Result<Vec<_>, _>>()?;
    for range in [
        ("--coverage-min", coverage_min),
        ("--pass-rate", pass_rate),
        ("--patch-min", patch_min),
    ] {
        if let (name, Some(v)) = range
            && !(0.0..=100.0).contains(&v)
        {
            return Err(Failure::msg(format!("`{name} {v}` is not a percent"))
                .with_hint("give a number from 0 to 100, e.g. `--coverage-min 80`"));
        }
    }
    if max_drop.is_some_and(|v| !(0.0..=100.0).contains(&v)) {
        return Err(
            Failure::msg("`--max-drop` is not a number of points from 0 to 100")
                .with_hint("e.g. `--max-drop 2`"),
        );
    }
    let loaded = config::load(std::path::Path::new("."), config.as_deref())?;
    let ci = &loaded.config.ci;
    let fail_on = fail_on.unwrap_or(ci.tests.fail_on);
    let settings = super::Settings {
        subprojects,
        results,
        baseline,
        thresholds: Thresholds {
            pass_rate: pass_rate.unwrap_or(ci.pass_rate.get()),
            coverage_min: coverage_min.unwrap_or(ci.coverage.min.get()),
            max_drop: max_drop.unwrap_or(ci.coverage.max_drop.get()),
            baseline: None,
            fail_on_flaky: false,
            partial: false,
            fail_on,
        },
        report,
        diff: diff.filter(|d| !d.trim().is_empty()).map(PathBuf::from),
        patch_min: patch_min.unwrap_or(ci.coverage.patch_min.get()),
    };
    let outcome = super::gate(&settings)?;
    for w in &outcome.warnings {
        eprintln!("{}", github::safe::neutralize(&format!("note: {w}")));
    }
    let runtime = github::runtime();
    if runtime.in_actions() {
        runtime.set_output("report", &outcome.quality_path.display().to_string())?;
        let baseline = if outcome.complete {
            outcome.quality_path.display().to_string()
        } else {
            String::new()
        };
        runtime.set_output("baseline", &baseline)?;
        // Uncovered changed lines, a range per annotation, up to the per-step cap; the
        // summary lists them all.
        if let Some(p) = &outcome.quality.patch_coverage {
            'files: for (file, lines) in &p.uncovered {
                for (start, end) in runs(lines) {
                    let a = github::Annotation::warning(if start == end {
                        "this changed line is not covered by any test".to_owned()
                    } else {
                        format!("changed lines {start}-{end} are not covered by any test")
                    })
                    .title("slipway patch coverage")
                    .at(file.clone(), start);
                    let a = if end > start { a.end(end, None) } else { a };
                    if matches!(runtime.annotate(a), github::Emitted::Overflow(_)) {
                        break 'files;
                    }
                }
            }
        }
        runtime.write_summary(&outcome.summary)?;
        for g in outcome.quality.gates.iter().filter(|g| !g.ok) {
            runtime.annotate(
                github::Annotation::error(format!(
                    "{}: actual {}, required {}",
                    g.name, g.actual, g.required
                ))
                .title("slipway quality gate"),
            );
        }
    }
    let text = if json {
        serde_json::to_string_pretty(&outcome.quality).map_err(|e| Failure::new(e, None))? + "\n"
    } else {
        outcome.summary.render()
    };
    let text = github::safe::neutralize(&text);
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(Failure::new(e, None));
    }
    Ok(if outcome.quality.passed {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}
