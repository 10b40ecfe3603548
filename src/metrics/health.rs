//! Pipeline health per workflow and job: runs, success rate, duration p50/p95, queue time,
//! slowest steps, and the flakiest tests.
//!
//! - A run's duration is `updated_at − run_started_at` of its latest attempt (GitHub's run
//!   object carries only that attempt's start); re-run runs are counted apart as `reruns`.
//! - Queue time is `run_started_at − created_at`, for first attempts only (for a re-run it
//!   would include the earlier attempts).
//! - Runs not completed yet are left out of every figure and counted as `in_progress`.
//! - Clock skew (a start before the creation, an end before the start) is clamped to zero and
//!   counted as `clamped`, so one bad timestamp cannot make a duration negative.
//! - The success rate is `success` over completed runs that were decided: `cancelled`,
//!   `skipped` and `neutral` runs do not count either way.

use std::collections::BTreeMap;

use serde::Serialize;

use super::dora::percentile;
use super::model::{Job, Run, TestStat};

/// Figures of one workflow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkflowHealth {
    /// The workflow's name.
    pub workflow: String,
    /// Its file.
    pub path: String,
    /// Completed runs.
    pub runs: u64,
    /// Runs still queued or in progress (left out).
    pub in_progress: u64,
    /// Runs re-run at least once.
    pub reruns: u64,
    /// `success` over decided runs, in percent; `None` when none was decided.
    pub success_rate: Option<f64>,
    /// Median duration in seconds.
    pub p50_s: Option<f64>,
    /// 95th-percentile duration.
    pub p95_s: Option<f64>,
    /// Median queue time.
    pub queue_p50_s: Option<f64>,
    /// Timestamps that went backwards and were clamped to zero.
    pub clamped: u64,
    /// Its jobs, from the runs sampled.
    pub jobs: Vec<JobHealth>,
}

/// Figures of one job of a workflow.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobHealth {
    /// The job's name.
    pub job: String,
    /// Completed jobs sampled.
    pub runs: u64,
    /// Success over decided jobs.
    pub success_rate: Option<f64>,
    /// Median duration.
    pub p50_s: Option<f64>,
    /// 95th-percentile duration.
    pub p95_s: Option<f64>,
    /// Median queue time (queued to picked up).
    pub queue_p50_s: Option<f64>,
}

/// A slow step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SlowStep {
    /// `workflow / job / step`.
    pub step: String,
    /// Times seen.
    pub samples: u64,
    /// Median duration.
    pub p50_s: f64,
}

/// All pipeline figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Health {
    /// Per workflow, by name.
    pub workflows: Vec<WorkflowHealth>,
    /// The ten slowest steps by median.
    pub slowest_steps: Vec<SlowStep>,
    /// The ten flakiest tests.
    pub flaky_tests: Vec<TestStat>,
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

fn rate(ok: u64, decided: u64) -> Option<f64> {
    (decided > 0).then(|| (10_000.0 * ok as f64 / decided as f64).round() / 100.0)
}

fn decided(conclusion: Option<&str>) -> bool {
    !matches!(conclusion, None | Some("cancelled" | "skipped" | "neutral"))
}

/// A span that never goes negative; `clamped` counts the ones that would have.
fn span(from: i64, to: i64, clamped: &mut u64) -> f64 {
    if to < from {
        *clamped += 1;
        0.0
    } else {
        (to - from) as f64
    }
}

/// Computes the figures.
pub fn compute(runs: &[Run], jobs: &[Job], tests: &[TestStat]) -> Health {
    let mut by_workflow: BTreeMap<&str, Vec<&Run>> = BTreeMap::new();
    for r in runs {
        by_workflow.entry(&r.workflow).or_default().push(r);
    }
    let run_workflow: BTreeMap<u64, &str> =
        runs.iter().map(|r| (r.id, r.workflow.as_str())).collect();
    let mut steps: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut workflows = Vec::new();
    for (name, rs) in by_workflow {
        let mut clamped = 0;
        let done: Vec<&&Run> = rs.iter().filter(|r| r.status == "completed").collect();
        let mut durations = Vec::new();
        let mut queues = Vec::new();
        for r in &done {
            let Some(started) = r.started else { continue };
            durations.push(span(started, r.updated, &mut clamped));
            if r.attempt <= 1 {
                queues.push(span(r.created, started, &mut clamped));
            }
        }
        let decided_runs = done
            .iter()
            .filter(|r| decided(r.conclusion.as_deref()))
            .count() as u64;
        let ok = done
            .iter()
            .filter(|r| r.conclusion.as_deref() == Some("success"))
            .count() as u64;
        let (durations, queues) = (sorted(durations), sorted(queues));
        let mut by_job: BTreeMap<&str, Vec<&Job>> = BTreeMap::new();
        for j in jobs {
            if run_workflow.get(&j.run_id) == Some(&name) && j.status == "completed" {
                by_job.entry(&j.name).or_default().push(j);
            }
        }
        let mut job_figures = Vec::new();
        for (job, js) in by_job {
            let mut d = Vec::new();
            let mut q = Vec::new();
            for j in &js {
                if let (Some(s), Some(c)) = (j.started, j.completed) {
                    d.push(span(s, c, &mut clamped));
                }
                if let (Some(c), Some(s)) = (j.created, j.started) {
                    q.push(span(c, s, &mut clamped));
                }
                for step in &j.steps {
                    if let (Some(s), Some(c)) = (step.started, step.completed) {
                        steps
                            .entry(format!("{name} / {job} / {}", step.name))
                            .or_default()
                            .push(span(s, c, &mut clamped));
                    }
                }
            }
            let (d, q) = (sorted(d), sorted(q));
            let dec = js
                .iter()
                .filter(|j| decided(j.conclusion.as_deref()))
                .count() as u64;
            let ok = js
                .iter()
                .filter(|j| j.conclusion.as_deref() == Some("success"))
                .count() as u64;
            job_figures.push(JobHealth {
                job: job.to_owned(),
                runs: js.len() as u64,
                success_rate: rate(ok, dec),
                p50_s: percentile(&d, 50.0),
                p95_s: percentile(&d, 95.0),
                queue_p50_s: percentile(&q, 50.0),
            });
        }
        workflows.push(WorkflowHealth {
            workflow: name.to_owned(),
            path: rs[0].path.clone(),
            runs: done.len() as u64,
            in_progress: (rs.len() - done.len()) as u64,
            reruns: done.iter().filter(|r| r.attempt > 1).count() as u64,
            success_rate: rate(ok, decided_runs),
            p50_s: percentile(&durations, 50.0),
            p95_s: percentile(&durations, 95.0),
            queue_p50_s: percentile(&queues, 50.0),
            clamped,
            jobs: job_figures,
        });
    }
    let mut slowest: Vec<SlowStep> = steps
        .into_iter()
        .map(|(step, d)| {
            let d = sorted(d);
            SlowStep {
                step,
                samples: d.len() as u64,
                p50_s: percentile(&d, 50.0).unwrap_or(0.0),
            }
        })
        .collect();
    slowest.sort_by(|a, b| b.p50_s.total_cmp(&a.p50_s).then(a.step.cmp(&b.step)));
    slowest.truncate(10);
    let mut flaky: Vec<TestStat> = tests.iter().filter(|t| t.flaky > 0).cloned().collect();
    flaky.sort_by(|a, b| {
        b.flaky
            .cmp(&a.flaky)
            .then(b.failed.cmp(&a.failed))
            .then(a.id.cmp(&b.id))
    });
    flaky.truncate(10);
    Health {
        workflows,
        slowest_steps: slowest,
        flaky_tests: flaky,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(id: u64, conclusion: Option<&str>, created: i64, started: i64, updated: i64) -> Run {
        Run {
            id,
            workflow: "ci".into(),
            path: ".github/workflows/ci.yml".into(),
            status: if conclusion.is_some() {
                "completed".into()
            } else {
                "in_progress".into()
            },
            conclusion: conclusion.map(str::to_owned),
            attempt: 1,
            created,
            started: Some(started),
            updated,
        }
    }

    #[test]
    fn in_progress_runs_are_counted_apart_and_skew_is_clamped() {
        let runs = [
            run(1, Some("success"), 0, 10, 130),
            run(2, Some("failure"), 0, 20, 320),
            run(3, Some("cancelled"), 0, 5, 6),
            run(4, None, 0, 5, 6),
            // started before it was created: queue clamped to 0
            run(5, Some("success"), 100, 90, 150),
        ];
        let h = compute(&runs, &[], &[]);
        let w = &h.workflows[0];
        assert_eq!((w.runs, w.in_progress, w.clamped), (4, 1, 1));
        // 2 successes over 3 decided runs (the cancelled one does not count)
        assert_eq!(w.success_rate, Some(66.67));
        // durations 1, 60, 120, 300
        assert_eq!(w.p50_s, Some(60.0));
        assert_eq!(w.p95_s, Some(300.0));
        // queues 0 (clamped), 5, 10, 20
        assert_eq!(w.queue_p50_s, Some(5.0));
    }
}
