//! The quality gates: pure decisions on a [`Report`].
//!
//! - `pass-rate`: 100 × passed / (tests − skipped) ≥ `ci.pass-rate` (default 95); flaky tests
//!   passed on retry and count as passed;
//! - `coverage`: line coverage ≥ `ci.coverage.min` (default 80), when coverage was given;
//! - `coverage-drop`: baseline − coverage ≤ `ci.coverage.max-drop` (default 2 points), when
//!   both coverage and a baseline were given;
//! - `flaky`: no flaky test, only when asked (`--fail-on-flaky`);
//! - `readable`: every result and coverage file could be read; a malformed file fails the
//!   gates closed (actual = the files that could not be read, required = 0).

use serde::{Deserialize, Serialize};

use super::report::{Report, round2};

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
        }
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
    gates.push(Gate {
        name: "pass-rate".into(),
        ok: rate >= t.pass_rate,
        actual: rate,
        required: t.pass_rate,
    });
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_tests::report::{CoverageTotals, Problem};

    #[test]
    fn coverage_gates_appear_only_with_coverage() {
        let mut r = Report::default();
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
}
