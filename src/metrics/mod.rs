//! `slipway metrics`: DORA figures and pipeline health from the GitHub API, checked against
//! the targets of `slipway.yml` (`metrics:`), as a table, JSON, Markdown with mermaid charts,
//! or a self-contained HTML page.
//!
//! Data: workflow runs, jobs and deployments from the REST API, each deployment's statuses
//! and the pull request of its commit from the GraphQL API, 100 at a time ([`fetch`]);
//! per-test counts and coverage from run-tests `report.json` files, in a directory of
//! downloaded artifacts (`--test-reports`) or straight from the repository's artifacts
//! (`--test-artifacts`; [`reports`], [`zip`]). The figures are pure functions of that history
//! ([`dora`], [`health`]).

pub mod cli;
pub mod dora;
pub mod fetch;
pub mod health;
pub mod html;
pub mod model;
pub mod render;
pub mod reports;
pub mod time;
pub mod zip;

use std::path::PathBuf;

use serde::Serialize;

use crate::config;
use crate::error::Hint;
use crate::github::client::{self, Client, Repo};

/// What `slipway metrics` can fail on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request failed; `what` says which.
    #[error("{what} failed")]
    Api {
        /// What was being fetched, e.g. `listing deployments`.
        what: &'static str,
        /// The client's error.
        #[source]
        source: Box<client::Error>,
    },
    /// A body that is not the JSON expected.
    #[error("unexpected answer for {path}")]
    Decode {
        /// The request or list.
        path: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// A timestamp that is not RFC 3339.
    #[error("`{field}` in {path} is `{value}`, not an RFC 3339 time")]
    BadTimestamp {
        /// The list.
        path: String,
        /// The field.
        field: String,
        /// The value (shortened).
        value: String,
    },
    /// A `304` for a request that had no cached copy.
    #[error("GitHub answered 304 Not Modified to `{path}` without a cached copy")]
    UnexpectedNotModified {
        /// The request.
        path: String,
    },
    /// A GraphQL answer that does not match the query.
    #[error("GitHub's GraphQL answer does not match the deployments asked for: {detail}")]
    GraphqlShape {
        /// What was off.
        detail: String,
    },
    /// A next-page link to another host.
    #[error("a next-page link points away from the API host: `{0}`")]
    ForeignLink(String),
    /// The rate limit is used up.
    #[error("the GitHub rate limit is used up until {reset}")]
    RateLimitExhausted {
        /// When it resets (RFC 3339).
        reset: String,
    },
    /// `--since` is not a span.
    #[error("`--since {0}` is not a span like `30d`, `4w` or `48h`")]
    BadSince(String),
    /// No repository given and none found.
    #[error(
        "no repository: `--repo` not given, `GITHUB_REPOSITORY` not set, and no GitHub `origin` remote"
    )]
    NoRepository,
    /// A test report that cannot be read.
    #[error("cannot read the test report `{path}`")]
    Report {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A test report that is not run-tests JSON.
    #[error("`{path}`:{line}:{column}: not a run-tests report: {message}")]
    ReportJson {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parse error.
        message: String,
    },
    /// slipway's deploy history cannot be read.
    #[error("cannot read the deploy history `{path}`")]
    DeployHistory {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Writing an output file failed.
    #[error("cannot write `{path}`")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The async runtime could not start.
    #[error("cannot start the async runtime")]
    Runtime(#[source] std::io::Error),
}

impl Error {
    fn api(what: &'static str, source: client::Error) -> Self {
        Self::Api {
            what,
            source: Box::new(source),
        }
    }

    /// The permission the request of `what` needs.
    fn permission(what: &str) -> &'static str {
        if what.contains("deployment") {
            "deployments: read"
        } else if what.contains("pull request") {
            "pull-requests: read"
        } else if what.contains("rate limit") {
            "none (any valid token)"
        } else {
            "actions: read"
        }
    }
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Api { what, source } => match source.as_ref() {
                client::Error::Forbidden { .. } | client::Error::NotFound { .. } => {
                    let p = Self::permission(what);
                    Some(format!(
                        "the token cannot read this: {what} needs `{p}` (in a workflow add it under `permissions:`; a fine-grained token needs that repository permission; a classic token on a private repository needs the `repo` scope)"
                    ))
                }
                client::Error::Graphql { .. } => Some(format!(
                    "the token cannot run this query: {what} needs `deployments: read`, `pull-requests: read` and `contents: read` (in a workflow add them under `permissions:`)"
                )),
                other => other.hint(),
            },
            Self::RateLimitExhausted { .. } => Some(
                "wait for the reset, or run with a token that has its own budget (a GitHub App installation token)".into(),
            ),
            Self::BadSince(_) => Some("use a number and a unit: `m`, `h`, `d` or `w`, e.g. `--since 30d`".into()),
            Self::NoRepository => Some("pass `--repo owner/name`".into()),
            Self::DeployHistory { .. } => Some(
                "point `--deploy-history` at `history.jsonl` in the deploy target's state directory (`slipway deploy status` runs where it lives)".into(),
            ),
            Self::ReportJson { .. } => Some(
                "point `--test-reports` at the downloaded `report.json` artifacts of `slipway run-tests`".into(),
            ),
            Self::BadTimestamp { .. } | Self::Decode { .. } | Self::GraphqlShape { .. } => Some(
                "check `GITHUB_API_URL`: the answer does not look like GitHub's REST API".into(),
            ),
            Self::UnexpectedNotModified { .. } => {
                Some("remove the cache directory (`--cache-dir`) or run with `--no-cache`".into())
            }
            _ => None,
        }
    }
}

/// What to compute.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The repository.
    pub repo: Repo,
    /// The environment whose deployments count.
    pub environment: String,
    /// Window length in seconds, ending now.
    pub since_s: i64,
    /// Now (Unix seconds).
    pub now: i64,
    /// The ETag cache; `None` for none.
    pub cache_dir: Option<PathBuf>,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Recent completed runs per workflow whose jobs are fetched.
    pub job_sample: usize,
    /// A directory of run-tests `report.json` files.
    pub test_reports: Option<PathBuf>,
    /// Read run-tests reports from the repository's artifacts whose name starts with this.
    pub test_artifacts: Option<String>,
    /// slipway's deploy history file, counted when GitHub lists no deployments.
    pub deploy_history: Option<PathBuf>,
    /// The targets.
    pub targets: config::Metrics,
}

/// A target that was missed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Breach {
    /// The target's key in `metrics:`.
    pub target: &'static str,
    /// What was measured.
    pub actual: String,
    /// The limit.
    pub limit: String,
    /// One sentence.
    pub message: String,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// `owner/name`.
    pub repository: String,
    /// Window start, RFC 3339.
    pub from: String,
    /// Window end, RFC 3339.
    pub to: String,
    /// The DORA figures.
    pub dora: dora::Dora,
    /// Pipeline health.
    pub pipelines: health::Health,
    /// Line coverage of the newest test report.
    pub coverage: Option<f64>,
    /// Targets missed.
    pub breaches: Vec<Breach>,
    /// What the API cost.
    pub api: fetch::ApiStats,
    /// Explanations: missing data, clamped times, excluded runs.
    pub notes: Vec<String>,
}

/// Computes the report from a fetched history (pure).
pub fn report(
    repo: &Repo,
    history: &model::History,
    environment: &str,
    from: i64,
    to: i64,
    targets: &config::Metrics,
) -> Report {
    let dora = dora::compute(&history.deployments, environment, from, to);
    let pipelines = health::compute(&history.runs, &history.jobs, &history.tests);
    let mut notes = dora.notes.clone();
    let in_progress: u64 = pipelines.workflows.iter().map(|w| w.in_progress).sum();
    if in_progress > 0 {
        notes.push(format!(
            "{in_progress} run(s) still queued or in progress: left out of durations and success rates"
        ));
    }
    let clamped: u64 = pipelines.workflows.iter().map(|w| w.clamped).sum();
    if clamped > 0 {
        notes.push(format!(
            "{clamped} time span(s) went backwards (a start before its creation or an end before its start: clock skew) and were counted as 0"
        ));
    }
    if history.runs.is_empty() {
        notes.push("no workflow runs in the window: pipeline health has no data".into());
    }
    let breaches = breaches(&dora, &pipelines, history.coverage, targets);
    Report {
        repository: repo.to_string(),
        from: time::rfc3339(from),
        to: time::rfc3339(to),
        dora,
        pipelines,
        coverage: history.coverage,
        breaches,
        api: fetch::ApiStats::default(),
        notes,
    }
}

/// The targets missed. A figure without data breaches nothing.
pub fn breaches(
    dora: &dora::Dora,
    health: &health::Health,
    coverage: Option<f64>,
    t: &config::Metrics,
) -> Vec<Breach> {
    let mut out = Vec::new();
    let limit_s = f64::from(t.build_minutes) * 60.0;
    // The build is the CI workflow; without one, every workflow that is not a deployment.
    let is_ci = |w: &&health::WorkflowHealth| {
        w.workflow.eq_ignore_ascii_case("ci")
            || w.path
                .split('@')
                .next()
                .is_some_and(|p| p.ends_with("/ci.yml"))
    };
    let builds: Vec<&health::WorkflowHealth> = if health.workflows.iter().any(|w| is_ci(&w)) {
        health.workflows.iter().filter(is_ci).collect()
    } else {
        health
            .workflows
            .iter()
            .filter(|w| {
                let n = w.workflow.to_ascii_lowercase();
                !["cd", "deploy", "rollback", "release"]
                    .iter()
                    .any(|k| n.contains(k))
            })
            .collect()
    };
    for w in builds {
        if let Some(p50) = w.p50_s
            && p50 > limit_s
        {
            out.push(Breach {
                target: "build-minutes",
                actual: time::human(p50),
                limit: format!("{}m", t.build_minutes),
                message: format!(
                    "`{}` takes {} (median), over the {} minute target",
                    w.workflow,
                    time::human(p50),
                    t.build_minutes
                ),
            });
        }
    }
    if let Some(cfr) = &dora.change_failure_rate
        && cfr.percent > t.change_failure_rate.get()
    {
        out.push(Breach {
            target: "change-failure-rate",
            actual: format!("{}%", cfr.percent),
            limit: format!("{}%", t.change_failure_rate.get()),
            message: format!(
                "{} of {} deployments to `{}` failed ({}%), over the {}% target",
                cfr.failed,
                cfr.total,
                dora.environment,
                cfr.percent,
                t.change_failure_rate.get()
            ),
        });
    }
    let ttr_limit = t.time_to_restore.as_std().as_secs_f64();
    if let Some(ttr) = &dora.time_to_restore
        && ttr.median_s > ttr_limit
    {
        out.push(Breach {
            target: "time-to-restore",
            actual: time::human(ttr.median_s),
            limit: time::human(ttr_limit),
            message: format!(
                "`{}` takes {} to restore (median), over the {} target",
                dora.environment,
                time::human(ttr.median_s),
                time::human(ttr_limit)
            ),
        });
    }
    if let Some(c) = coverage
        && c < t.coverage.get()
    {
        out.push(Breach {
            target: "coverage",
            actual: format!("{c}%"),
            limit: format!("{}%", t.coverage.get()),
            message: format!(
                "line coverage is {c}%, under the {}% target",
                t.coverage.get()
            ),
        });
    }
    out
}

/// Fetches and computes. The client must be built inside the runtime that runs this.
pub async fn run(settings: &Settings, client: &Client) -> Result<Report, Error> {
    let from = settings.now - settings.since_s;
    let fetcher = fetch::Fetcher::new(
        client,
        fetch::Plan {
            repo: settings.repo.clone(),
            environment: settings.environment.clone(),
            from,
            to: settings.now,
            cache_dir: settings.cache_dir.clone(),
            concurrency: settings.concurrency,
            job_sample: settings.job_sample,
        },
    );
    if let Some((0, reset)) = fetcher.rate_limit().await? {
        return Err(Error::RateLimitExhausted {
            reset: time::rfc3339(i64::try_from(reset).unwrap_or(i64::MAX)),
        });
    }
    // Report artifacts are listed and downloaded beside the rest of the history.
    let artifacts = async {
        match &settings.test_artifacts {
            Some(prefix) => fetcher.test_reports(prefix).await.map(Some),
            None => Ok(None),
        }
    };
    let (history, artifacts) = futures_util::future::join(fetcher.history(), artifacts).await;
    let mut history = history?;
    if let Some(dir) = &settings.test_reports {
        let (tests, coverage) = reports::read_dir(dir)?;
        history.tests = tests;
        history.coverage = coverage;
    }
    if let Some(found) = artifacts? {
        let (tests, coverage) = reports::tally(&found);
        history.tests = tests;
        history.coverage = coverage;
    }
    let mut from_history = None;
    if let Some(path) = &settings.deploy_history {
        let listed = history
            .deployments
            .iter()
            .any(|d| d.environment == settings.environment);
        if !listed {
            let bytes = std::fs::read(path).map_err(|source| Error::DeployHistory {
                path: path.clone(),
                source,
            })?;
            let records = crate::deploy::history::parse(&bytes);
            let added = model::from_deploy_history(&records, &settings.environment);
            from_history = Some((path.clone(), added.len()));
            history.deployments.extend(added);
        }
    }
    let mut report = report(
        &settings.repo,
        &history,
        &settings.environment,
        from,
        settings.now,
        &settings.targets,
    );
    report.api = fetcher.stats();
    report.notes.extend(fetcher.notes());
    if let Some((path, n)) = from_history {
        report.notes.push(format!(
            "GitHub lists no deployments to `{}`: {n} deploy(s) and rollback(s) read from slipway's history `{}`",
            settings.environment,
            path.display()
        ));
    }
    Ok(report)
}
