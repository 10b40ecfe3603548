//! The report as a terminal table and as Markdown with mermaid charts (for the step summary,
//! a pull-request comment or a file).

use std::fmt::Write as _;

use super::Report;
use super::dora::{Band, Spread};
use super::time::human;

fn band(b: Band) -> &'static str {
    b.as_str()
}

fn opt_h(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), human)
}

fn opt_pct(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |p| format!("{p}%"))
}

/// The four DORA rows: figure, value, band.
pub fn dora_rows(r: &Report) -> Vec<[String; 3]> {
    let d = &r.dora;
    let no = || "no data".to_string();
    let spread = |s: &Option<Spread>| match s {
        Some(s) => [
            format!(
                "median {}, p90 {} ({} sample{})",
                human(s.median_s),
                human(s.p90_s),
                s.samples,
                if s.samples == 1 { "" } else { "s" }
            ),
            band(s.band).into(),
        ],
        None => [no(), "-".into()],
    };
    let [lt, ltb] = spread(&d.lead_time);
    let [ttr, ttrb] = spread(&d.time_to_restore);
    vec![
        match &d.frequency {
            Some(f) => [
                "deployment frequency".into(),
                format!(
                    "{} a day, {} a week ({} deployments)",
                    f.per_day, f.per_week, f.deployments
                ),
                band(f.band).into(),
            ],
            None => ["deployment frequency".into(), no(), "-".into()],
        },
        ["lead time for changes".into(), lt, ltb],
        match &d.change_failure_rate {
            Some(c) => [
                "change failure rate".into(),
                format!("{}% ({} of {})", c.percent, c.failed, c.total),
                band(c.band).into(),
            ],
            None => ["change failure rate".into(), no(), "-".into()],
        },
        ["time to restore".into(), ttr, ttrb],
    ]
}

fn pad(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, cell)| format!("{cell:<w$}", w = widths[i]))
            .collect();
        let _ = writeln!(out, "  {}", line.join("  ").trim_end());
    }
    out
}

/// The terminal form.
pub fn table(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}  {} .. {}  environment `{}`\n",
        r.repository, r.from, r.to, r.dora.environment
    );
    let _ = writeln!(out, "DORA");
    let rows: Vec<Vec<String>> = dora_rows(r).into_iter().map(Vec::from).collect();
    out.push_str(&pad(&rows));
    let _ = writeln!(out, "\nPipelines");
    let mut rows = vec![
        [
            "workflow",
            "runs",
            "success",
            "p50",
            "p95",
            "queue p50",
            "reruns",
        ]
        .map(String::from)
        .to_vec(),
    ];
    for w in &r.pipelines.workflows {
        rows.push(vec![
            w.workflow.clone(),
            w.runs.to_string(),
            opt_pct(w.success_rate),
            opt_h(w.p50_s),
            opt_h(w.p95_s),
            opt_h(w.queue_p50_s),
            w.reruns.to_string(),
        ]);
        for j in &w.jobs {
            rows.push(vec![
                format!("  {}", j.job),
                j.runs.to_string(),
                opt_pct(j.success_rate),
                opt_h(j.p50_s),
                opt_h(j.p95_s),
                opt_h(j.queue_p50_s),
                String::new(),
            ]);
        }
    }
    if r.pipelines.workflows.is_empty() {
        rows.push(vec!["(no runs)".into()]);
    }
    out.push_str(&pad(&rows));
    if !r.pipelines.slowest_steps.is_empty() {
        let _ = writeln!(out, "\nSlowest steps (median)");
        let rows: Vec<Vec<String>> = r
            .pipelines
            .slowest_steps
            .iter()
            .map(|s| vec![human(s.p50_s), s.step.clone()])
            .collect();
        out.push_str(&pad(&rows));
    }
    if !r.pipelines.flaky_tests.is_empty() {
        let _ = writeln!(out, "\nFlakiest tests");
        let rows: Vec<Vec<String>> = r
            .pipelines
            .flaky_tests
            .iter()
            .map(|t| {
                vec![
                    format!("flaky in {} of {} reports", t.flaky, t.reports),
                    t.id.clone(),
                ]
            })
            .collect();
        out.push_str(&pad(&rows));
    }
    if let Some(c) = r.coverage {
        let _ = writeln!(out, "\nCoverage: {c}%");
    }
    if r.breaches.is_empty() {
        let _ = writeln!(out, "\nTargets: all met");
    } else {
        let _ = writeln!(out, "\nTargets missed");
        for b in &r.breaches {
            let _ = writeln!(out, "  {}: {}", b.target, b.message);
        }
    }
    for n in &r.notes {
        let _ = writeln!(out, "note: {n}");
    }
    let _ = writeln!(
        out,
        "\nAPI: {} requests, {} of them answered 304 from the cache; {} settled answers reused without a request",
        r.api.requests, r.api.not_modified, r.api.settled
    );
    out
}

/// Escapes a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// A mermaid label: no quotes or brackets.
fn label(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || " -_./".contains(*c))
        .collect()
}

/// The Markdown form, with mermaid `xychart-beta` charts of the weekly DORA series and the
/// workflow durations.
pub fn markdown(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Delivery metrics: {} (`{}`)\n\n{} .. {}\n",
        cell(&r.repository),
        cell(&r.dora.environment),
        r.from,
        r.to
    );
    let _ = writeln!(out, "| figure | value | DORA band |\n|---|---|---|");
    for [a, b, c] in dora_rows(r) {
        let _ = writeln!(out, "| {} | {} | {} |", cell(&a), cell(&b), cell(&c));
    }
    let weeks = &r.dora.weeks;
    if r.dora.frequency.is_some() && !weeks.is_empty() {
        let gaps = weeks
            .iter()
            .any(|w| w.lead_time_s.is_none() || w.failure_rate.is_none() || w.restore_s.is_none());
        let x: Vec<String> = weeks
            .iter()
            .map(|w| format!("\"{}\"", &w.start[5..]))
            .collect();
        let series = |title: &str, unit: &str, v: Vec<f64>| {
            format!(
                "\n```mermaid\nxychart-beta\n  title \"{title}\"\n  x-axis [{}]\n  y-axis \"{unit}\"\n  bar [{}]\n```\n",
                x.join(", "),
                v.iter()
                    .map(|f| format!("{f:.2}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        out.push_str(&series(
            "Deployments per week",
            "deployments",
            weeks.iter().map(|w| w.deployments as f64).collect(),
        ));
        out.push_str(&series(
            "Lead time (median, hours)",
            "hours",
            weeks
                .iter()
                .map(|w| w.lead_time_s.unwrap_or(0.0) / 3600.0)
                .collect(),
        ));
        out.push_str(&series(
            "Change failure rate (%)",
            "percent",
            weeks
                .iter()
                .map(|w| w.failure_rate.unwrap_or(0.0))
                .collect(),
        ));
        out.push_str(&series(
            "Time to restore (median, minutes)",
            "minutes",
            weeks
                .iter()
                .map(|w| w.restore_s.unwrap_or(0.0) / 60.0)
                .collect(),
        ));
        if gaps {
            // NOTE: xychart-beta has no gaps: a week without data has to be drawn as 0.
            out.push_str(
                "\n_A week without data (no deployment, failure or restore) is drawn as 0._\n",
            );
        }
    }
    let _ = writeln!(
        out,
        "\n### Pipelines\n\n| workflow | runs | success | p50 | p95 | queue p50 | reruns |\n|---|---|---|---|---|---|---|"
    );
    for w in &r.pipelines.workflows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            cell(&w.workflow),
            w.runs,
            opt_pct(w.success_rate),
            opt_h(w.p50_s),
            opt_h(w.p95_s),
            opt_h(w.queue_p50_s),
            w.reruns
        );
    }
    let timed: Vec<_> = r
        .pipelines
        .workflows
        .iter()
        .filter_map(|w| Some((label(&w.workflow), w.p50_s? / 60.0)))
        .collect();
    if !timed.is_empty() {
        let _ = write!(
            out,
            "\n```mermaid\nxychart-beta\n  title \"Workflow duration (median, minutes)\"\n  x-axis [{}]\n  y-axis \"minutes\"\n  bar [{}]\n```\n",
            timed
                .iter()
                .map(|(n, _)| format!("\"{n}\""))
                .collect::<Vec<_>>()
                .join(", "),
            timed
                .iter()
                .map(|(_, v)| format!("{v:.2}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if !r.pipelines.slowest_steps.is_empty() {
        let _ = writeln!(
            out,
            "\n### Slowest steps\n\n| step | median | samples |\n|---|---|---|"
        );
        for s in &r.pipelines.slowest_steps {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                cell(&s.step),
                human(s.p50_s),
                s.samples
            );
        }
    }
    if !r.pipelines.flaky_tests.is_empty() {
        let _ = writeln!(
            out,
            "\n### Flakiest tests\n\n| test | flaky | failed | reports |\n|---|---|---|---|"
        );
        for t in &r.pipelines.flaky_tests {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                cell(&t.id),
                t.flaky,
                t.failed,
                t.reports
            );
        }
    }
    if r.breaches.is_empty() {
        let _ = writeln!(out, "\n**Targets:** all met.");
    } else {
        let _ = writeln!(out, "\n### Targets missed\n");
        for b in &r.breaches {
            let _ = writeln!(out, "- **{}**: {}", b.target, cell(&b.message));
        }
    }
    if !r.notes.is_empty() {
        let _ = writeln!(out);
        for n in &r.notes {
            let _ = writeln!(out, "> {}", cell(n));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::client::Repo;
    use crate::metrics::model::{Deployment, DeploymentStatus, History, Run};

    /// A fixed history: two weeks from 2024-03-04, three deployments (one failed and fixed),
    /// four CI runs (one in progress).
    pub(crate) fn sample() -> Report {
        let day = 86_400;
        let from = 1_709_510_400; // 2024-03-04T00:00:00Z
        let dep = |id: u64, at: i64, state: &str, after: i64| Deployment {
            id,
            sha: format!("{id:040x}"),
            git_ref: "main".into(),
            environment: "production".into(),
            task: "deploy".into(),
            description: String::new(),
            created: at,
            statuses: vec![DeploymentStatus {
                state: state.into(),
                created: at + after,
            }],
            first_commit: Some(at - 5 * 3600),
        };
        let run = |id: u64, at: i64, dur: i64, conclusion: Option<&str>| Run {
            id,
            workflow: "ci".into(),
            path: ".github/workflows/ci.yml@main".into(),
            status: if conclusion.is_some() {
                "completed"
            } else {
                "queued"
            }
            .into(),
            conclusion: conclusion.map(str::to_owned),
            attempt: 1,
            created: at,
            started: Some(at + 20),
            updated: at + 20 + dur,
        };
        let history = History {
            runs: vec![
                run(1, from + day, 200, Some("success")),
                run(2, from + 2 * day, 400, Some("failure")),
                run(3, from + 3 * day, 380, Some("success")),
                run(4, from + 4 * day, 0, None),
            ],
            jobs: Vec::new(),
            deployments: vec![
                dep(1, from + day, "success", 300),
                dep(2, from + 8 * day, "failure", 120),
                dep(3, from + 8 * day + 3000, "success", 200),
            ],
            tests: Vec::new(),
            coverage: Some(78.5),
        };
        let repo = Repo::parse("octo/shop").unwrap();
        super::super::report(
            &repo,
            &history,
            "production",
            from,
            from + 14 * day,
            &crate::config::Metrics::default(),
        )
    }

    #[test]
    fn the_table_reads_as_a_report() {
        insta::assert_snapshot!(table(&sample()));
    }

    #[test]
    fn the_markdown_has_tables_and_mermaid_charts() {
        insta::assert_snapshot!(markdown(&sample()));
    }

    #[test]
    fn the_html_page_is_self_contained() {
        let page = crate::metrics::html::page(&sample());
        assert!(!page.contains("<script"));
        assert!(page.contains("default-src 'none'"));
        insta::assert_snapshot!(page);
    }
}
