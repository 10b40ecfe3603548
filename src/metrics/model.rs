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
