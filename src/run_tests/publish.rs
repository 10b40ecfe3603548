//! What a report looks like in GitHub: step outputs, the job summary and annotations.
//!
//! Follows <https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands>:
//! - annotations at `file:line` for failed tests, at most 10 errors per step (GitHub's cap,
//!   counted by [`crate::github::Runtime::annotate`]); the rest are listed in the summary;
//! - the job summary: the verdict and gates, failures first (message and location), flaky
//!   tests, coverage and its delta, then the per-suite table, shortened least important first to
//!   stay under the 1 MiB step limit ([`crate::github::Summary`]);
//! - outputs `tests`, `passed`, `failed`, `skipped`, `pass-rate`, `coverage`, `flaky`, `report`.

use std::fmt::Write as _;
use std::path::Path;

use crate::github::{self, Annotation, Emitted, Priority, Runtime, Summary};

use super::report::{Outcome, Report};

/// Failures listed in the summary's failure table.
const SUMMARY_FAILURES: usize = 200;

/// Writes outputs, annotations and the summary of `report` through `rt`.
pub fn publish(
    rt: &Runtime,
    report: &Report,
    report_path: &Path,
    baseline: Option<f64>,
) -> Result<(), github::Error> {
    for (name, value) in outputs(report, report_path) {
        rt.set_output(name, &value)?;
    }
    let mut overflow = Vec::new();
    for f in &report.failures {
        let kind = if f.outcome == Outcome::Error {
            "errored"
        } else {
            "failed"
        };
        let mut a = Annotation::error(if f.message.is_empty() {
            format!("{} {kind}", f.name)
        } else {
            f.message.clone()
        })
        .title(format!("{} {kind}", f.id));
        if let (Some(file), Some(line)) = (&f.file, f.line) {
            a = a.at(file.clone(), line);
        }
        if let Emitted::Overflow(a) = rt.annotate(a) {
            overflow.push(a);
        }
    }
    for p in &report.problems {
        let mut a = Annotation::error(p.message.clone()).title("unreadable test report");
        if p.line > 0 {
            a = a
                .at(p.file.clone(), u32::try_from(p.line).unwrap_or(u32::MAX))
                .col(u32::try_from(p.column).unwrap_or(u32::MAX));
        } else {
            a = a.title(format!("unreadable test report `{}`", p.file));
        }
        if let Emitted::Overflow(a) = rt.annotate(a) {
            overflow.push(a);
        }
    }
    rt.write_summary(&summary(report, baseline, overflow.len()))?;
    Ok(())
}

/// The step outputs, by name.
pub fn outputs(report: &Report, report_path: &Path) -> Vec<(&'static str, String)> {
    let t = &report.totals;
    vec![
        ("tests", t.tests.to_string()),
        ("passed", t.passed.to_string()),
        ("failed", (t.failed + t.errors).to_string()),
        ("skipped", t.skipped.to_string()),
        (
            "pass-rate",
            if report.not_evaluated.iter().any(|n| n.gate == "pass-rate") {
                String::new()
            } else {
                format!("{:.2}", t.pass_rate())
            },
        ),
        (
            "coverage",
            report
                .coverage
                .map(|c| format!("{:.2}", c.percent))
                .unwrap_or_default(),
        ),
        ("flaky", report.flaky.len().to_string()),
        ("report", report_path.display().to_string()),
    ]
}

/// The job summary of `report`; `unannotated` failures did not fit GitHub's annotation cap.
pub fn summary(report: &Report, baseline: Option<f64>, unannotated: usize) -> Summary {
    let t = &report.totals;
    let mut s = Summary::new();
    let by_exit_code = t.tests == 0 && !report.commands.is_empty();
    let verdict = match (report.passed(), by_exit_code) {
        (true, false) => "✅ tests passed",
        (true, true) => "✅ tests passed (by the commands' exit code: no per-test results)",
        (false, _) => "❌ tests failed",
    };
    let mut head = format!(
        "**{verdict}**: {} tests, {} passed, {} failed, {} errors, {} skipped, {} flaky in {:.2}s",
        t.tests,
        t.passed,
        t.failed,
        t.errors,
        t.skipped,
        report.flaky.len(),
        t.time_s
    );
    if let Some(c) = report.coverage {
        let _ = write!(head, "; line coverage {:.2}%", c.percent);
        if let Some(b) = baseline {
            let _ = write!(
                head,
                " ({:+.2} against the baseline {b:.2}%)",
                c.percent - b
            );
        }
    }
    let mut gates: Vec<Vec<String>> = report
        .gates
        .iter()
        .map(|g| {
            vec![
                g.name.clone(),
                if g.ok { "✅" } else { "❌" }.into(),
                format!("{}", g.actual),
                format!("{}", g.required),
            ]
        })
        .collect();
    for n in &report.not_evaluated {
        gates.push(vec![
            n.gate.clone(),
            "➖ not evaluated".into(),
            "–".into(),
            "–".into(),
        ]);
    }
    let tests = s.section(Priority::High, Some("Tests"));
    tests
        .text(&head)
        .table(&["gate", "ok", "actual", "required"], &gates);
    if let Some(note) = report.coverage_note() {
        tests.text(&format!("_note: {note}_"));
    }
    for n in &report.not_evaluated {
        tests.text(&format!("_`{}` not evaluated: {}_", n.gate, n.reason));
    }
    let notes: String = report
        .commands
        .iter()
        .filter_map(|c| {
            c.note.as_ref().map(|n| {
                let code = c
                    .exit_code
                    .map_or_else(|| "a signal".to_owned(), |x| x.to_string());
                format!("- `{}` (exit code {code}): {n}\n", c.command)
            })
        })
        .collect();
    if !notes.is_empty() {
        s.section(Priority::High, Some("Per-test results not available"))
            .text(&notes);
    }
    if !report.problems.is_empty() {
        let lines: String = report.problems.iter().map(|p| format!("- {p}\n")).collect();
        s.section(
            Priority::High,
            Some("Unreadable reports (the gates fail closed)"),
        )
        .text(&lines);
    }
    if !report.failures.is_empty() {
        let rows: Vec<Vec<String>> = report
            .failures
            .iter()
            .take(SUMMARY_FAILURES)
            .map(|f| {
                let at = match (&f.file, f.line) {
                    (Some(file), Some(line)) => format!("`{file}:{line}`"),
                    (Some(file), None) => format!("`{file}`"),
                    _ => String::new(),
                };
                vec![f.id.clone(), f.message.clone(), at]
            })
            .collect();
        let title = format!("Failures ({})", t.failed + t.errors);
        let section = s.section(Priority::High, Some(&title));
        section.table(&["test", "message", "location"], &rows);
        let more =
            report.failures.len().saturating_sub(SUMMARY_FAILURES) as u64 + report.failures_omitted;
        if more > 0 {
            section.text(&format!("_… and {more} more failures in the report file_"));
        }
        if unannotated > 0 {
            section.text(&format!(
                "_{unannotated} failures are not annotated: GitHub shows 10 error annotations per step_"
            ));
        }
        let details: String = report
            .failures
            .iter()
            .take(SUMMARY_FAILURES)
            .filter(|f| !f.details.is_empty())
            .map(|f| format!("── {} ──\n{}\n", f.id, f.details))
            .collect();
        if !details.is_empty() {
            s.section(Priority::Low, Some("Failure details"))
                .code("text", &details);
        }
    }
    if !report.flaky.is_empty() {
        let lines: String = report.flaky.iter().map(|f| format!("- `{f}`\n")).collect();
        s.section(Priority::Normal, Some("Flaky (passed on retry)"))
            .text(&lines);
    }
    if report.suites.len() > 1 {
        let rows: Vec<Vec<String>> = report
            .suites
            .iter()
            .map(|s| {
                let c = &s.counts;
                vec![
                    s.name.clone(),
                    c.tests.to_string(),
                    c.passed.to_string(),
                    (c.failed + c.errors).to_string(),
                    c.skipped.to_string(),
                    format!("{:.2}", c.time_s),
                ]
            })
            .collect();
        s.section(Priority::Low, Some("Suites")).table(
            &["suite", "tests", "passed", "failed", "skipped", "time (s)"],
            &rows,
        );
    }
    s
}

/// The plain text report for a terminal.
pub fn text(report: &Report) -> String {
    let t = &report.totals;
    let mut out = String::new();
    for f in &report.failures {
        let at = match (&f.file, f.line) {
            (Some(file), Some(line)) => format!(" ({file}:{line})"),
            _ => String::new(),
        };
        let kind = if f.outcome == Outcome::Error {
            "ERROR"
        } else {
            "FAIL"
        };
        let _ = writeln!(out, "{kind}  {}{at}: {}", f.id, f.message);
    }
    for id in &report.flaky {
        let _ = writeln!(out, "FLAKY {id}");
    }
    let _ = writeln!(
        out,
        "tests: {}  passed: {}  failed: {}  errors: {}  skipped: {}  time: {:.2}s",
        t.tests, t.passed, t.failed, t.errors, t.skipped, t.time_s
    );
    if let Some(c) = report.coverage {
        let _ = writeln!(
            out,
            "coverage: {:.2}% ({} of {} lines)",
            c.percent, c.covered, c.total
        );
        if let Some(note) = report.coverage_note() {
            let _ = writeln!(out, "note: {note}");
        }
    }
    for g in &report.gates {
        let _ = writeln!(
            out,
            "gate {}: {} (actual {}, required {})",
            g.name,
            if g.ok { "ok" } else { "failed" },
            g.actual,
            g.required
        );
    }
    for n in &report.not_evaluated {
        let _ = writeln!(out, "gate {}: not evaluated ({})", n.gate, n.reason);
    }
    out
}
