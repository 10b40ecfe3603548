//! The quality gates: pure decisions on a [`Report`].
//!
//! - `pass-rate`: 100 × passed / (tests − skipped) ≥ `ci.pass-rate` (default 95); flaky tests
//!   passed on retry and count as passed;
//! - `coverage`: line coverage ≥ `ci.coverage.min` (default 80), when coverage was given;
//! - `coverage-drop`: baseline − coverage ≤ `ci.coverage.max-drop` (default 2 points), when
//!   both coverage and a baseline were given;
//! - `regressions` (in place of `pass-rate` under `fail-on: regressions`): no test fails that
//!   passed, was skipped or did not exist on the base branch ([`super::deltas`]); failures the
//!   base already has are listed, not gated. Without a baseline the decision is left to the
//!   merged results (`not evaluated`); with a baseline that has no per-test results the
//!   `pass-rate` gate decides, as under `fail-on: any`;
//! - `flaky`: no flaky test, only when asked (`--fail-on-flaky`);
//! - `readable`: every result and coverage file could be read; a malformed file fails the
//!   gates closed (actual = the files that could not be read, required = 0);
//! - `exit-code`: a test command that exited non-zero although its results show no failed
//!   test (a coverage threshold, a linter after the tests in a script, a crash after the last
//!   test) fails it (actual = such commands, required = 0); listed only when it fails.
//!
//! A gate that needs counts is not evaluated when there are none ([`not_evaluated`]): the
//! pass rate when no test ran (a command that passed without leaving per-test results: its
//! exit code decided), the coverage when coverage was asked for and none was written. Such a
//! gate is neither held nor failed: it is listed apart, with the reason.

use serde::{Deserialize, Serialize};

use super::deltas::FailOn;
use super::report::{NotEvaluated, Report, round2};

/// One gate decision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gate {
    /// The gate's id: `pass-rate`, `coverage`, `coverage-drop`, `flaky`, `readable`.
    pub name: String,
    /// Whether it held.
    pub ok: bool,
    /// The measured value.
    pub actual: f64,
    /// The bound it was held to (a minimum, or a maximum for `coverage-drop`, `flaky`,
    /// `readable`).
    pub required: f64,
}

/// The thresholds to hold a report to.
#[derive(Debug, Clone, PartialEq)]
pub struct Thresholds {
    /// The lowest pass rate, percent.
    pub pass_rate: f64,
    /// The lowest line coverage, percent.
    pub coverage_min: f64,
    /// The largest coverage drop against the baseline, percentage points.
    pub max_drop: f64,
    /// The baseline's coverage percent, when there is one.
    pub baseline: Option<f64>,
    /// Whether a flaky test fails the gates.
    pub fail_on_flaky: bool,
    /// The report is one shard of several: coverage is reported but its gates are decided on
    /// the merged shards.
    pub partial: bool,
    /// What fails the pass-rate decision.
    pub fail_on: FailOn,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            pass_rate: 95.0,
            coverage_min: 80.0,
            max_drop: 2.0,
            baseline: None,
            fail_on_flaky: false,
            partial: false,
            fail_on: FailOn::Any,
        }
    }
}

/// How the pass-rate decision is made for `report` under `t`.
enum PassDecision {
    /// The pass-rate gate.
    Rate,
    /// The `regressions` gate: this many new failures.
    Regressions(u64),
    /// Not here: no baseline, the merged results decide.
    Deferred,
}

fn pass_decision(report: &Report, t: &Thresholds) -> PassDecision {
    match (t.fail_on, &report.deltas) {
        (FailOn::Any, _) => PassDecision::Rate,
        (FailOn::Regressions, None) => PassDecision::Deferred,
        (FailOn::Regressions, Some(d)) if d.evaluated => {
            PassDecision::Regressions(d.new_failures.count)
        }
        (FailOn::Regressions, Some(_)) => PassDecision::Rate,
    }
}

/// The gates of `report` under `t`, in a fixed order.
///
/// ```
/// # use slipway::run_tests::gates::{evaluate, Thresholds};
/// # use slipway::run_tests::report::{Counts, Report};
/// let report = Report {
///     totals: Counts { tests: 12, passed: 9, failed: 2, errors: 1, ..Counts::default() },
///     ..Report::default()
/// };
/// let gates = evaluate(&report, &Thresholds::default());
/// assert_eq!((gates[0].name.as_str(), gates[0].ok, gates[0].actual), ("pass-rate", false, 75.0));
/// ```
pub fn evaluate(report: &Report, t: &Thresholds) -> Vec<Gate> {
    let mut gates = Vec::new();
    let rate = report.totals.pass_rate();
    match pass_decision(report, t) {
        PassDecision::Rate if report.totals.tests > report.totals.skipped => {
            gates.push(Gate {
                name: "pass-rate".into(),
                ok: rate >= t.pass_rate,
                actual: rate,
                required: t.pass_rate,
            });
        }
        PassDecision::Regressions(new) => gates.push(Gate {
            name: "regressions".into(),
            ok: new == 0,
            actual: new as f64,
            required: 0.0,
        }),
        PassDecision::Rate | PassDecision::Deferred => {}
    }
    if let Some(c) = report.coverage.filter(|_| !t.partial) {
        gates.push(Gate {
            name: "coverage".into(),
            ok: c.percent >= t.coverage_min,
            actual: c.percent,
            required: t.coverage_min,
        });
        if let Some(base) = t.baseline {
            let drop = round2(base - c.percent);
            gates.push(Gate {
                name: "coverage-drop".into(),
                ok: drop <= t.max_drop,
                actual: drop,
                required: t.max_drop,
            });
        }
    }
    if t.fail_on_flaky {
        gates.push(Gate {
            name: "flaky".into(),
            ok: report.flaky.is_empty(),
            actual: report.flaky.len() as f64,
            required: 0.0,
        });
    }
    let unexplained = report
        .commands
        .iter()
        .filter(|c| c.exit_code != Some(0) && c.failed == 0)
        .count();
    if unexplained > 0 {
        gates.push(Gate {
            name: "exit-code".into(),
            ok: false,
            actual: unexplained as f64,
            required: 0.0,
        });
    }
    if !report.problems.is_empty() {
        gates.push(Gate {
            name: "readable".into(),
            ok: false,
            actual: report.problems.len() as f64,
            required: 0.0,
        });
    }
    gates
}

/// The gates of `report` that could not be decided, and why: the pass rate when no test
/// ran, the coverage when it was `expected` and none was read (one shard's coverage is
/// decided on the merged shards, not here).
pub fn not_evaluated(
    report: &Report,
    t: &Thresholds,
    coverage_expected: bool,
) -> Vec<NotEvaluated> {
    let mut out = Vec::new();
    if matches!(pass_decision(report, t), PassDecision::Deferred)
        && report.totals.tests > report.totals.skipped
    {
        out.push(NotEvaluated {
            gate: "pass-rate".into(),
            reason: "`fail-on: regressions` and no baseline here: new failures are decided against the base branch's results where the shards are merged (`slipway quality gate`), or pass `--baseline`".into(),
        });
    } else if report.totals.tests <= report.totals.skipped {
        let notes: Vec<String> = report
            .commands
            .iter()
            .filter_map(|c| c.note.as_ref().map(|n| format!("`{}`: {n}", c.command)))
            .collect();
        let reason = if report.totals.tests > 0 {
            "every test was skipped".to_owned()
        } else if !report.commands.is_empty()
            && report.commands.iter().all(|c| c.exit_code == Some(0))
        {
            let mut r = "no per-test results: the test commands exited 0, so they passed by their exit code".to_owned();
            if !notes.is_empty() {
                r.push_str(" (");
                r.push_str(&notes.join("; "));
                r.push(')');
            }
            r
        } else {
            "no test results".to_owned()
        };
        out.push(NotEvaluated {
            gate: "pass-rate".into(),
            reason,
        });
    }
    if coverage_expected && report.coverage.is_none() && !t.partial {
        out.push(NotEvaluated {
            gate: "coverage".into(),
            reason: "no coverage file was read".into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_tests::report::{CoverageTotals, Problem};

    #[test]
    fn coverage_gates_appear_only_with_coverage() {
        let mut r = Report::default();
        r.totals.tests = 1;
        r.totals.passed = 1;
        assert_eq!(evaluate(&r, &Thresholds::default()).len(), 1);
        r.coverage = Some(CoverageTotals::new(31, 34));
        let t = Thresholds {
            baseline: Some(94.0),
            ..Thresholds::default()
        };
        let g = evaluate(&r, &t);
        assert_eq!(g[1].actual, 91.18);
        assert!(g[1].ok);
        assert_eq!(
            (g[2].name.as_str(), g[2].actual, g[2].ok),
            ("coverage-drop", 2.82, false)
        );
    }

    #[test]
    fn an_unreadable_file_fails_closed() {
        let r = Report {
            totals: crate::run_tests::report::Counts {
                tests: 1,
                passed: 1,
                ..Default::default()
            },
            problems: vec![Problem {
                file: "a.xml".into(),
                line: 1,
                column: 1,
                message: "bad".into(),
            }],
            ..Report::default()
        };
        let g = evaluate(&r, &Thresholds::default());
        assert!(g[0].ok);
        assert!(!g.iter().all(|g| g.ok));
    }

    #[test]
    fn without_tests_the_pass_rate_is_not_evaluated_and_an_unexplained_exit_code_fails() {
        use crate::run_tests::report::CommandRun;
        let run = |code, failed| CommandRun {
            command: "npm test".into(),
            exit_code: Some(code),
            failed,
            results: Vec::new(),
            note: Some("no runner".into()),
        };
        let mut r = Report {
            commands: vec![run(0, 0)],
            ..Report::default()
        };
        let t = Thresholds::default();
        assert!(evaluate(&r, &t).is_empty());
        let ne = not_evaluated(&r, &t, true);
        assert_eq!(ne.len(), 2);
        assert!(
            ne[0].reason.contains("exited 0") && ne[0].reason.contains("no runner"),
            "{ne:?}"
        );
        r.commands = vec![run(1, 0)];
        let g = evaluate(&r, &t);
        assert_eq!((g[0].name.as_str(), g[0].ok), ("exit-code", false));
        r.commands = vec![run(1, 2)];
        assert!(evaluate(&r, &t).is_empty());
    }

    fn failing_report(deltas: Option<crate::run_tests::deltas::Deltas>) -> Report {
        Report {
            totals: crate::run_tests::report::Counts {
                tests: 10,
                passed: 5,
                failed: 5,
                ..Default::default()
            },
            deltas,
            ..Report::default()
        }
    }

    #[test]
    fn under_fail_on_regressions_only_new_failures_fail() {
        use crate::run_tests::deltas::{Deltas, Listed};
        let t = Thresholds {
            fail_on: FailOn::Regressions,
            ..Thresholds::default()
        };
        let known_only = Deltas {
            evaluated: true,
            known_failures: Listed {
                count: 5,
                ids: Vec::new(),
            },
            ..Deltas::default()
        };
        let g = evaluate(&failing_report(Some(known_only.clone())), &t);
        assert_eq!(g.len(), 1);
        assert_eq!((g[0].name.as_str(), g[0].ok), ("regressions", true));
        let with_new = Deltas {
            new_failures: Listed {
                count: 1,
                ids: vec!["s::t".into()],
            },
            ..known_only
        };
        let g = evaluate(&failing_report(Some(with_new)), &t);
        assert_eq!((g[0].name.as_str(), g[0].ok), ("regressions", false));
        // The same report under `any` fails its pass rate.
        let g = evaluate(&failing_report(None), &Thresholds::default());
        assert_eq!((g[0].name.as_str(), g[0].ok), ("pass-rate", false));
    }

    #[test]
    fn regressions_without_base_results_fall_back_or_defer_never_pass() {
        use crate::run_tests::deltas::Deltas;
        let t = Thresholds {
            fail_on: FailOn::Regressions,
            ..Thresholds::default()
        };
        // A baseline without per-test results: the pass rate decides.
        let r = failing_report(Some(Deltas::not_evaluated("old baseline")));
        let g = evaluate(&r, &t);
        assert_eq!((g[0].name.as_str(), g[0].ok), ("pass-rate", false));
        // No baseline at all: the merged results decide, and it says so.
        let r = failing_report(None);
        assert!(evaluate(&r, &t).is_empty());
        let ne = not_evaluated(&r, &t, false);
        assert_eq!(ne[0].gate, "pass-rate");
        assert!(ne[0].reason.contains("fail-on: regressions"), "{ne:?}");
    }
}
