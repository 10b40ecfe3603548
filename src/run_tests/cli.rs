//! The command line of `slipway run-tests`: clap types and their translation into
//! [`super::Settings`]. Every flag the run-tests action passes also reads its `SLIPWAY_*`
//! variable (`actions/run-tests/action.yml`).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use crate::error::{EXIT_FAILED, EXIT_OK, Failure};
use crate::setup::{Stack, parse_bool, parse_working_directory};
use crate::{config, detect, github};

use super::deltas::FailOn;
use super::{Mode, gates, publish};

/// Gate thresholds and report options shared by `run-tests` and `run-tests merge`.
#[derive(Debug, Args)]
pub struct RunTestsGateArgs {
    /// The config file, e.g. `deploy/slipway.yml` (default: `slipway.yml` in the root).
    #[arg(long, value_name = "FILE", env = "SLIPWAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// The lowest pass rate in percent, e.g. `--pass-rate 100` (default: `ci.pass-rate`).
    #[arg(long, value_name = "PERCENT", env = "SLIPWAY_PASS_RATE")]
    pub pass_rate: Option<f64>,
    /// The lowest line coverage in percent, e.g. `--coverage-min 75` (default: `ci.coverage.min`).
    #[arg(long, value_name = "PERCENT", env = "SLIPWAY_COVERAGE_MIN")]
    pub coverage_min: Option<f64>,
    /// The largest coverage drop against the baseline, in points, e.g. `--max-drop 0.5`
    /// (default: `ci.coverage.max-drop`).
    #[arg(long, value_name = "POINTS", env = "SLIPWAY_MAX_DROP")]
    pub max_drop: Option<f64>,
    /// A report of the default branch whose coverage is the baseline, e.g.
    /// `--baseline base/report.json` (a missing file skips the drop gate with a warning).
    #[arg(long, value_name = "FILE", env = "SLIPWAY_BASELINE")]
    pub baseline: Option<PathBuf>,
    /// What failing tests fail the run, e.g. `--fail-on regressions`: `any` (the pass rate
    /// decides) or `regressions` (only tests that fail now and passed or did not exist in the
    /// `--baseline`; without a baseline the merged results decide) (default: `ci.tests.fail-on`).
    #[arg(long, value_name = "any|regressions", env = "SLIPWAY_FAIL_ON")]
    pub fail_on: Option<String>,
    /// Fail the gates when a test passed only on retry, e.g. `--fail-on-flaky`.
    #[arg(long, env = "SLIPWAY_FAIL_ON_FLAKY")]
    pub fail_on_flaky: bool,
    /// Whether no per-test results at all is fine, e.g. `--allow-empty` in a docs-only repo or
    /// `--allow-empty=false` to make it an error. Default: when commands ran, `true` (a suite
    /// whose commands passed without results passes by its exit code, its pass rate not
    /// evaluated); with `--skip-run` and `merge`, `false`.
    #[arg(
        long,
        value_name = "BOOL",
        env = "SLIPWAY_ALLOW_EMPTY",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "true"
    )]
    pub allow_empty: Option<String>,
    /// Where to write the full report, e.g. `--report out/report.json` (default:
    /// `.slipway/test-results/report.json` under the root).
    #[arg(long, value_name = "FILE", env = "SLIPWAY_REPORT")]
    pub report: Option<PathBuf>,
    /// Print totals, coverage and gates as JSON on stdout, e.g. `--json | jq .gates`.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `slipway run-tests`.
#[derive(Debug, Args)]
pub struct RunTestsArgs {
    /// `merge`, or nothing to run the suites.
    #[command(subcommand)]
    pub command: Option<RunTestsCommand>,
    /// The repository root, e.g. `.` or `../shop`.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// Run nothing; only read `--results` and `--coverage`, e.g. `--skip-run`.
    #[arg(long, env = "SLIPWAY_SKIP_RUN")]
    pub skip_run: bool,
    /// Result files to read (JUnit, xUnit.net, TRX, `go test -json`), globs relative to the
    /// root, one per line in the environment, e.g. `--results 'build/test-results/**/*.xml'`.
    #[arg(long, value_name = "GLOB", num_args = 1.., env = "SLIPWAY_RESULTS")]
    pub results: Vec<String>,
    /// Coverage files (lcov, Cobertura, JaCoCo, Go coverprofile), e.g. `--coverage coverage.xml`.
    #[arg(long, value_name = "GLOB", num_args = 1.., env = "SLIPWAY_COVERAGE")]
    pub coverage: Vec<String>,
    /// The coverage format, e.g. `--coverage-format lcov` (default: from the content).
    #[arg(
        long,
        value_enum,
        default_value = "auto",
        env = "SLIPWAY_COVERAGE_FORMAT"
    )]
    pub coverage_format: crate::run_tests::coverage::Format,
    /// Run only shard k of n, split by recorded timings, e.g. `--shard 2/4`.
    #[arg(long, value_name = "K/N", env = "SLIPWAY_SHARD")]
    pub shard: Option<crate::run_tests::shard::Shard>,
    /// Recorded times that weigh the shards: a previous `timings.json` or report, or a
    /// directory of them (every shard's, restored from a cache), e.g. `--timings
    /// _slipway/timings`; a missing path weighs files by size.
    #[arg(long, value_name = "PATH", env = "SLIPWAY_TIMINGS")]
    pub timings: Option<String>,
    /// Re-run failed tests up to N times; a test that then passes is flaky, e.g. `--retries 2`.
    #[arg(long, value_name = "N", default_value_t = 0, env = "SLIPWAY_RETRIES")]
    pub retries: u32,
    /// Where runs write result files, e.g. `--output-dir out/tests` (default:
    /// `.slipway/test-results` under the root). With `--shard K/N` the report is
    /// `report-K.json` and the raw results go to `shard-K/`; `timings.json` is written beside.
    #[arg(long, value_name = "DIR", env = "SLIPWAY_OUTPUT_DIR")]
    pub output_dir: Option<PathBuf>,
    /// The stack whose detected test commands run, e.g. `--stack python`: `auto` (every stack
    /// detected), `rust`, `python`, `node`, `go`, `java`, `dotnet`, `ruby`, `php`.
    #[arg(
        long,
        value_name = "STACK",
        env = "SLIPWAY_STACK",
        default_value = "auto"
    )]
    pub stack: String,
    /// The subproject the tests run in, relative to the root, e.g. `--working-directory api`;
    /// detection looks there and `--command` runs there.
    #[arg(
        long,
        value_name = "DIR",
        env = "SLIPWAY_WORKING_DIRECTORY",
        default_value = "."
    )]
    pub working_directory: String,
    /// The test command instead of the configured or detected ones, e.g. `--command 'uv run
    /// pytest'`; result-file flags are added for the runners slipway knows.
    #[arg(long = "command", value_name = "COMMAND", env = "SLIPWAY_COMMAND")]
    pub test_command: Option<String>,
    /// Collect line coverage with the runner's own flags and gate it, e.g.
    /// `--collect-coverage true` (pytest-cov, `node --test` coverage, jest, vitest, `go test
    /// -coverprofile`, cargo-llvm-cov when installed).
    #[arg(
        long,
        value_name = "BOOL",
        env = "SLIPWAY_COLLECT_COVERAGE",
        default_value = "false"
    )]
    pub collect_coverage: String,
    /// Gates and report.
    #[command(flatten)]
    pub gates: RunTestsGateArgs,
}

/// `slipway run-tests` subcommands.
#[derive(Debug, Subcommand)]
pub enum RunTestsCommand {
    /// Combine the reports of shards into one report and one gate decision.
    #[command(
        after_help = "Examples:\n  slipway run-tests merge shard-1/report.json shard-2/report.json\n  slipway run-tests merge --json 'shards/*/report.json'"
    )]
    Merge(RunTestsMergeArgs),
}

/// Arguments of `slipway run-tests merge`.
#[derive(Debug, Args)]
pub struct RunTestsMergeArgs {
    /// Report files written by `slipway run-tests` (globs allowed), e.g. `shards/*/report.json`.
    #[arg(
        required = true,
        value_name = "REPORT",
        env = "SLIPWAY_REPORTS",
        value_delimiter = '\n'
    )]
    pub reports: Vec<String>,
    /// Gates and report.
    #[command(flatten)]
    pub gates: RunTestsGateArgs,
}

/// Runs `slipway run-tests` (or `merge`); returns the exit code: 0 every gate held, 1 one failed.
pub fn run(args: RunTestsArgs) -> Result<u8, Failure> {
    let RunTestsArgs {
        command,
        dir,
        skip_run,
        results,
        coverage,
        coverage_format,
        shard,
        timings,
        retries,
        output_dir,
        stack,
        working_directory,
        test_command,
        collect_coverage,
        gates,
    } = args;
    let stack = parse_stack(&stack)?;
    // An empty action input arrives as an empty variable: no timings.
    let timings = timings
        .filter(|t| !t.trim().is_empty())
        .map(|t| dir.join(t.trim()));
    let working_directory = parse_working_directory(&working_directory)?;
    let collect_coverage = parse_bool("coverage", &collect_coverage, false)?;
    if !dir.join(&working_directory).is_dir() {
        return Err(crate::setup::Error::NoWorkingDirectory(working_directory).into());
    }
    let (merge_reports, gates) = match command {
        Some(RunTestsCommand::Merge(RunTestsMergeArgs { reports, gates })) => {
            (Some(super::expand(&dir, &lines(reports))?), gates)
        }
        None => (None, gates),
    };
    let RunTestsGateArgs {
        config,
        pass_rate,
        coverage_min,
        max_drop,
        baseline,
        fail_on,
        fail_on_flaky,
        allow_empty,
        report,
        json,
    } = gates;
    let fail_on = parse_fail_on(fail_on.as_deref())?;
    let allow_empty = allow_empty
        .filter(|v| !v.trim().is_empty())
        .map(|v| parse_bool("allow-empty", &v, true))
        .transpose()?;
    let loaded = config::load(&dir, config.as_deref())?;
    let ci = &loaded.config.ci;
    let fail_on = fail_on.unwrap_or(ci.tests.fail_on);
    let mode = match merge_reports {
        Some(reports) => Mode::Merge { reports },
        None if skip_run => Mode::SkipRun,
        None => Mode::Run {
            commands: commands(
                &dir,
                &working_directory,
                stack,
                test_command.as_deref(),
                &ci.test_commands,
            )?,
            shard,
            retries,
            timings,
            collect_coverage,
        },
    };
    let output_dir = output_dir.unwrap_or_else(|| dir.join(super::DEFAULT_OUTPUT_DIR));
    let report_name = match shard {
        Some(s) if !matches!(mode, Mode::Merge { .. }) => format!("report-{}.json", s.index),
        _ => super::REPORT_FILE.to_owned(),
    };
    // NOTE: one shard's coverage is part of the suite's: its gates are decided where the shards
    // are merged (`run-tests merge`, `slipway quality gate`), not here.
    let partial = shard.is_some_and(|s| s.total > 1) && !matches!(mode, Mode::Merge { .. });
    let settings = super::Settings {
        mode,
        results: lines(results),
        coverage: lines(coverage),
        coverage_format,
        allow_empty,
        thresholds: gates::Thresholds {
            pass_rate: pass_rate.unwrap_or(ci.pass_rate.get()),
            coverage_min: coverage_min.unwrap_or(ci.coverage.min.get()),
            max_drop: max_drop.unwrap_or(ci.coverage.max_drop.get()),
            baseline: None,
            fail_on_flaky,
            partial,
            fail_on,
        },
        baseline,
        report: report.unwrap_or_else(|| output_dir.join(report_name)),
        output_dir,
        working_directory,
        root: dir,
    };
    let outcome = super::run(&settings)?;
    for warning in &outcome.warnings {
        say(&format!("warning: {warning}"));
    }
    for problem in &outcome.report.problems {
        say(&format!("error: {problem}"));
    }
    for c in &outcome.report.commands {
        if let Some(note) = &c.note {
            say(&format!("note: `{}`: {note}", c.command));
        }
    }
    let runtime = github::runtime();
    if runtime.in_actions() {
        publish::publish(
            runtime,
            &outcome.report,
            &outcome.report_path,
            outcome.baseline,
        )?;
    }
    let text = if json {
        let mut s = serde_json::to_string(&outcome.report.summary_json())
            .map_err(|e| Failure::new(e, None))?;
        s.push('\n');
        s
    } else {
        publish::text(&outcome.report)
    };
    print_stdout(&text)?;
    Ok(if outcome.report.passed() {
        EXIT_OK
    } else {
        EXIT_FAILED
    })
}

/// The `stack` input: `auto` (None) or one stack.
/// `any` or `regressions`; empty (an unset action input) is the config's.
pub(crate) fn parse_fail_on(text: Option<&str>) -> Result<Option<FailOn>, Failure> {
    use clap::ValueEnum as _;
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => FailOn::from_str(t, false).map(Some).map_err(|_| {
            Failure::msg(format!("invalid `--fail-on {t}`"))
                .with_hint("give `any` (every failure counts) or `regressions` (only new failures against the base branch)")
        }),
    }
}

fn parse_stack(text: &str) -> Result<Option<Stack>, Failure> {
    match text.trim() {
        "" | "auto" => Ok(None),
        name => Stack::parse(name).map(Some).ok_or_else(|| {
            Failure::from(crate::setup::Error::Input {
                input: "stack",
                value: name.to_owned(),
                expected: "`auto` or one of `rust`, `python`, `node`, `go`, `java`, `dotnet`, `ruby`, `php`".into(),
            })
        }),
    }
}

/// The commands to run, each relative to the root (`cd DIR && ...`): `--command` in the
/// working directory, else `ci.test-commands` (root only), else what detection finds in the
/// working directory for `stack`.
fn commands(
    root: &Path,
    working_directory: &str,
    stack: Option<Stack>,
    command: Option<&str>,
    configured: &[String],
) -> Result<Vec<String>, Failure> {
    let within = |dir: &str, cmd: &str| -> String {
        let full = match (working_directory, dir) {
            (".", d) => d.to_owned(),
            (w, ".") => w.to_owned(),
            (w, d) => format!("{w}/{d}"),
        };
        if full == "." {
            cmd.to_owned()
        } else {
            format!("cd {} && {cmd}", detect::shell_quote(&full))
        }
    };
    if let Some(cmd) = command.map(str::trim).filter(|c| !c.is_empty()) {
        return Ok(vec![within(".", cmd)]);
    }
    if working_directory == "." && !configured.is_empty() {
        return Ok(configured.to_vec());
    }
    let detection = detect::detect(&root.join(working_directory))?;
    Ok(detection
        .stacks
        .test_roots
        .iter()
        .filter(|r| match (stack, r.stack) {
            (None, _) => true,
            (Some(want), Some((language, pm))) => {
                Stack::of(language) == want || Stack::of_package_manager(pm) == want
            }
            (Some(_), None) => false,
        })
        .map(|r| within(&r.dir, &r.command))
        .collect())
}

/// Values as given on the command line, or one per line when they came from the environment.
fn lines(values: Vec<String>) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.lines())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Writes data to stdout; a closed pipe is not an error.
fn print_stdout(text: &str) -> Result<(), Failure> {
    let text = github::safe::neutralize(text);
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::new(e, None)),
        _ => Ok(()),
    }
}

/// A log line on stderr that can never start a workflow command.
fn say(line: &str) {
    eprintln!("{}", github::safe::neutralize(line));
}
