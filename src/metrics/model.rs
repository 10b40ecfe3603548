//! The history the figures are computed from, as plain values: workflow runs, jobs,
//! deployments with their statuses, and test reports. [`super::fetch`] fills it from the REST
//! API; tests build it by hand.

use serde::Serialize;

/// A workflow run (its latest attempt, as the list endpoint returns it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Run {
    /// The run id.
    pub id: u64,
    /// The workflow's name.
    pub workflow: String,
    /// The workflow file, e.g. `.github/workflows/ci.yml`.
    pub path: String,
    /// `queued`, `in_progress`, `completed`, …
    pub status: String,
    /// `success`, `failure`, … once completed.
    pub conclusion: Option<String>,
    /// The attempt: 1, or more after re-runs.
    pub attempt: u64,
    /// When the run was created (Unix seconds).
    pub created: i64,
    /// When its latest attempt started.
    pub started: Option<i64>,
    /// The last update; the end once completed.
    pub updated: i64,
}

/// A step of a job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// The step's name.
    pub name: String,
    /// When it started.
    pub started: Option<i64>,
    /// When it finished.
    pub completed: Option<i64>,
}

/// A job of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Job {
    /// The run it belongs to.
    pub run_id: u64,
    /// The job's name.
    pub name: String,
    /// `completed`, …
    pub status: String,
    /// `success`, `failure`, …
    pub conclusion: Option<String>,
    /// When it was queued.
    pub created: Option<i64>,
    /// When a runner picked it up.
    pub started: Option<i64>,
    /// When it finished.
    pub completed: Option<i64>,
    /// Its steps.
    pub steps: Vec<Step>,
}

/// One status of a deployment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeploymentStatus {
    /// `success`, `failure`, `error`, `inactive`, `in_progress`, `queued`, `pending`.
    pub state: String,
    /// When it was posted.
    pub created: i64,
}

/// A deployment with its statuses.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deployment {
    /// The deployment id.
    pub id: u64,
    /// The commit deployed.
    pub sha: String,
    /// The ref deployed (branch, tag or sha).
    pub git_ref: String,
    /// The environment.
    pub environment: String,
    /// The task, `deploy` by default; slipway's rollback uses `deploy:rollback`.
    pub task: String,
    /// The description.
    pub description: String,
    /// When it was created.
    pub created: i64,
    /// Its statuses, any order.
    pub statuses: Vec<DeploymentStatus>,
    /// The first commit of the change it shipped (from the pull request of `sha`), when known.
    pub first_commit: Option<i64>,
}

/// slipway's own deploy history as deployments of `environment`, oldest first: each deploy or
/// rollback one deployment whose single status is its outcome at its end. Records whose times
/// do not parse are left out.
pub fn from_deploy_history(
    records: &[crate::deploy::history::Record],
    environment: &str,
) -> Vec<Deployment> {
    use crate::deploy::history::{Operation, RecordOutcome};
    records
        .iter()
        .filter(|r| r.change.environment == environment)
        .filter_map(|r| {
            let created = super::time::parse_ts(&r.started)?;
            let ended = super::time::parse_ts(&r.ended)?;
            let state = match r.outcome {
                RecordOutcome::Success => "success",
                RecordOutcome::Failure | RecordOutcome::RolledBack => "failure",
                RecordOutcome::Interrupted | RecordOutcome::Error => "error",
            };
            Some((r, created, ended, state))
        })
        .enumerate()
        .map(|(i, (r, created, ended, state))| Deployment {
            id: i as u64 + 1,
            sha: r
                .change
                .commit
                .clone()
                .unwrap_or_else(|| r.change.version.clone()),
            git_ref: r.change.version.clone(),
            environment: r.change.environment.clone(),
            task: match r.change.operation {
                Operation::Deploy => "deploy".to_owned(),
                Operation::Rollback => "deploy:rollback".to_owned(),
            },
            description: r.reason.clone().unwrap_or_default(),
            created,
            statuses: vec![DeploymentStatus {
                state: state.to_owned(),
                created: ended,
            }],
            first_commit: None,
        })
        .collect()
}

impl Deployment {
    /// A rollback: its task or description says so.
    pub fn is_rollback(&self) -> bool {
        self.task.to_ascii_lowercase().contains("rollback")
            || self.description.to_ascii_lowercase().contains("rollback")
    }

    /// A hotfix: its ref is a `hotfix/` or `hotfix-` branch or its description says so.
    pub fn is_hotfix(&self) -> bool {
        let r = self.git_ref.to_ascii_lowercase();
        r.starts_with("hotfix")
            || r.contains("/hotfix")
            || self.description.to_ascii_lowercase().contains("hotfix")
    }

    /// When it first reported `success`.
    pub fn succeeded_at(&self) -> Option<i64> {
        self.statuses
            .iter()
            .filter(|s| s.state == "success")
            .map(|s| s.created)
            .min()
    }

    /// When it first reported `failure` or `error`, if it never succeeded before that.
    pub fn failed_at(&self) -> Option<i64> {
        let failed = self
            .statuses
            .iter()
            .filter(|s| s.state == "failure" || s.state == "error")
            .map(|s| s.created)
            .min()?;
        match self.succeeded_at() {
            Some(ok) if ok < failed => None,
            _ => Some(failed),
        }
    }
}

/// A flaky or failed test counted from run-tests reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TestStat {
    /// `suite::name`.
    pub id: String,
    /// Reports in which it failed and passed on a retry.
    pub flaky: u64,
    /// Reports in which it failed.
    pub failed: u64,
    /// Reports read.
    pub reports: u64,
}

/// Everything fetched for one repository and window.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct History {
    /// Workflow runs created in the window.
    pub runs: Vec<Run>,
    /// Jobs of the runs sampled for job and step figures.
    pub jobs: Vec<Job>,
    /// Deployments of the environment created in the window.
    pub deployments: Vec<Deployment>,
    /// Per-test counts from run-tests reports.
    pub tests: Vec<TestStat>,
    /// Line coverage of the newest report, when reports were given.
    pub coverage: Option<f64>,
}

#[cfg(test)]
mod deploy_history_tests {
    use super::*;

    const HISTORY: &str = concat!(
        r#"{"operation":"deploy","environment":"production","version":"1.0.0","actor":"alice","commit":"aaa111","started":"2024-01-01T10:00:00Z","ended":"2024-01-01T10:01:00Z","outcome":"success"}"#,
        "\n",
        r#"{"operation":"deploy","environment":"staging","version":"1.1.0","actor":"alice","started":"2024-01-02T09:00:00Z","ended":"2024-01-02T09:01:00Z","outcome":"success"}"#,
        "\n",
        "not json\n",
        r#"{"operation":"deploy","environment":"production","version":"1.1.0","actor":"bob","commit":"bbb222","started":"2024-01-02T10:00:00Z","ended":"2024-01-02T10:02:00Z","outcome":"rolled-back","reason":"health check failed"}"#,
        "\n",
        r#"{"operation":"rollback","environment":"production","version":"1.0.0","actor":"bob","started":"2024-01-02T10:20:00Z","ended":"2024-01-02T10:20:30Z","outcome":"success"}"#,
        "\n",
        r#"{"operation":"deploy","environment":"production","version":"1.1.1","actor":"bob","commit":"ccc333","started":"2024-01-02T10:30:00Z","ended":"2024-01-02T10:31:00Z","outcome":"success"}"#,
        "\n",
    );

    #[test]
    fn slipway_history_becomes_deployments_of_one_environment() {
        let records = crate::deploy::history::parse(HISTORY.as_bytes());
        let d = from_deploy_history(&records, "production");
        let summary: Vec<(&str, &str, &str, &str)> = d
            .iter()
            .map(|d| {
                (
                    d.sha.as_str(),
                    d.git_ref.as_str(),
                    d.task.as_str(),
                    d.statuses[0].state.as_str(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("aaa111", "1.0.0", "deploy", "success"),
                ("bbb222", "1.1.0", "deploy", "failure"),
                ("1.0.0", "1.0.0", "deploy:rollback", "success"),
                ("ccc333", "1.1.1", "deploy", "success"),
            ]
        );
        assert!(d[2].is_rollback());
        assert_eq!(d[1].description, "health check failed");
        assert_eq!(d[1].created, 1_704_189_600);
        assert_eq!(d[1].statuses[0].created, 1_704_189_720);
    }

    #[test]
    fn dora_figures_come_out_of_the_history() {
        let records = crate::deploy::history::parse(HISTORY.as_bytes());
        let d = from_deploy_history(&records, "production");
        let from = 1_704_067_200; // 2024-01-01T00:00:00Z
        let dora = super::super::dora::compute(&d, "production", from, from + 7 * 86_400);
        // Three deploys of a change (the rollback is not one), one of them failed.
        let rate = dora.change_failure_rate.clone().expect("a failure rate");
        assert_eq!((rate.failed, rate.total), (1, 3), "{dora:#?}");
        // Service came back with the rollback: failed at 10:02:00, restored at 10:20:30.
        let restore = dora.time_to_restore.clone().expect("a restore time");
        assert_eq!(
            (restore.samples, restore.median_s),
            (1, 1110.0),
            "{dora:#?}"
        );
        // 1.0.0 and 1.1.1 shipped.
        let frequency = dora.frequency.clone().expect("a frequency");
        assert_eq!(frequency.deployments, 2, "{dora:#?}");
    }
}
