//! Deploys and rollbacks as GitHub Deployments and deployment statuses.
//!
//! When a job declares `environment:`, GitHub creates a Deployment for the job's commit itself
//! (<https://docs.github.com/en/actions/managing-workflow-runs-and-deployments/managing-deployments/managing-environments-for-deployment>).
//! slipway must not create a second one: [`Recorder::deployment`] looks the Deployment up by
//! sha and environment (newest first) and creates one only when none exists. The outcome of
//! each step is then a status on it: `in_progress` when the deploy starts, `success` or
//! `failure` at the end, `inactive` when a rollback takes the version out of service, each with
//! `environment_url` and `log_url` (the run's page)
//! (<https://docs.github.com/en/rest/deployments/statuses#create-a-deployment-status>).
//!
//! Bookkeeping never fails a deploy: [`Bookkeeper`] turns API errors into warnings that say
//! what to fix (a token without `deployments: write` answers 403).
//!
//! POST is not retried by the client (it is not idempotent). Here a status is safe to send
//! again (the newest wins), and a Deployment is looked up again before a retried create, so a
//! 5xx whose request did land does not leave two Deployments.

use std::time::Duration;

use http::Method;
use serde::Deserialize;
use serde_json::json;

use crate::github::client::{Client, Error, encode};

/// The state of a deployment status (GitHub's `deployment-status.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// The deploy is running.
    InProgress,
    /// The version is live.
    Success,
    /// The deploy failed (and was rolled back).
    Failure,
    /// The version no longer serves (a rollback moved traffic away from it).
    Inactive,
    /// The deploy could not run.
    Error,
    /// Queued.
    Queued,
    /// Pending.
    Pending,
}

impl State {
    /// The API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InProgress => "in_progress",
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Inactive => "inactive",
            Self::Error => "error",
            Self::Queued => "queued",
            Self::Pending => "pending",
        }
    }
}

/// A Deployment (the fields slipway reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Deployment {
    /// Its id.
    pub id: u64,
    /// The commit deployed.
    pub sha: String,
    /// The ref it was created for.
    #[serde(default)]
    pub r#ref: String,
    /// The environment.
    #[serde(default)]
    pub environment: String,
    /// When it was created (RFC 3339).
    #[serde(default)]
    pub created_at: String,
}

/// A deployment status (the fields slipway reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Status {
    /// Its id.
    pub id: u64,
    /// The state.
    pub state: State,
    /// When it was created (RFC 3339).
    #[serde(default)]
    pub created_at: String,
}

/// `BASE...HEAD` of the compare API (the fields slipway reads).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Comparison {
    /// `ahead`, `behind`, `identical` or `diverged` (HEAD relative to BASE).
    pub status: String,
    /// Commits HEAD has that BASE does not.
    pub ahead_by: u64,
    /// Commits BASE has that HEAD does not.
    pub behind_by: u64,
}

/// The Deployments of `environment` (optionally of one `sha`), newest first, up to `limit`.
pub async fn list_deployments(
    client: &Client,
    environment: &str,
    sha: Option<&str>,
    limit: usize,
) -> Result<Vec<Deployment>, Error> {
    let repo = client.repo()?;
    let mut path = format!(
        "/repos/{}/{}/deployments?environment={}",
        repo.owner,
        repo.name,
        encode(environment)
    );
    if let Some(sha) = sha {
        path.push_str(&format!("&sha={}", encode(sha)));
    }
    path.push_str(&format!("&per_page={}", limit.clamp(1, 100)));
    let mut list: Vec<Deployment> = client.paginate(&path, limit, Some).await?;
    // NOTE: the API lists newest first; sorting keeps that promise whatever the server does.
    list.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    Ok(list)
}

/// The newest status of deployment `id`, if it has any.
pub async fn latest_status(client: &Client, id: u64) -> Result<Option<Status>, Error> {
    let repo = client.repo()?;
    let path = format!(
        "/repos/{}/{}/deployments/{id}/statuses?per_page=100",
        repo.owner, repo.name
    );
    let mut list: Vec<Status> = client.paginate(&path, 100, Some).await?;
    list.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    Ok(list.into_iter().next())
}

/// Compares `base...head`.
pub async fn compare(client: &Client, base: &str, head: &str) -> Result<Comparison, Error> {
    let repo = client.repo()?;
    let path = format!(
        "/repos/{}/{}/compare/{}...{}?per_page=1",
        repo.owner,
        repo.name,
        encode(base),
        encode(head)
    );
    client.get_json(&path).await
}

/// What one deploy or rollback records on GitHub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The environment, e.g. `production`.
    pub environment: String,
    /// The commit the deployed version was built from.
    pub sha: String,
    /// The version, e.g. `1.4.2` (in the Deployment's payload and descriptions).
    pub version: String,
    /// `deploy` or `rollback` (the Deployment's task when slipway creates one).
    pub task: String,
    /// The environment's URL, shown on the deployment.
    pub environment_url: Option<String>,
    /// The run's log page.
    pub log_url: Option<String>,
}

impl Record {
    /// The run's page from the runner's variables
    /// (`$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/actions/runs/$GITHUB_RUN_ID`).
    pub fn log_url_from(var: impl Fn(&str) -> Option<String>) -> Option<String> {
        let server = var("GITHUB_SERVER_URL")?;
        let repo = var("GITHUB_REPOSITORY")?;
        let run = var("GITHUB_RUN_ID")?;
        Some(format!(
            "{}/{repo}/actions/runs/{run}",
            server.trim_end_matches('/')
        ))
    }
}

/// Finds or creates the Deployment of one [`Record`] and adds statuses to it.
#[derive(Debug)]
pub struct Recorder {
    client: Client,
    record: Record,
    /// Waits before each retry of a POST that got a 5xx.
    backoff: Vec<Duration>,
}

impl Recorder {
    /// A recorder with the default backoff (1 s, 2 s, 4 s).
    pub fn new(client: Client, record: Record) -> Self {
        Self {
            client,
            record,
            backoff: vec![
                Duration::from_secs(1),
                Duration::from_secs(2),
                Duration::from_secs(4),
            ],
        }
    }

    /// Replaces the waits between POST retries (tests use milliseconds).
    #[must_use]
    pub fn with_backoff(mut self, backoff: Vec<Duration>) -> Self {
        self.backoff = backoff;
        self
    }

    /// The Deployment for the record's sha and environment: the newest existing one (GitHub
    /// created it for a job with `environment:`), or a new one when there is none.
    pub async fn deployment(&self) -> Result<u64, Error> {
        if let Some(found) = self.find().await? {
            return Ok(found);
        }
        let repo = self.client.repo()?;
        let path = format!("/repos/{}/{}/deployments", repo.owner, repo.name);
        let r = &self.record;
        let mut body = json!({
            "ref": r.sha,
            "task": r.task,
            // The version was built and tested already: no merge of the default branch, no
            // wait for commit statuses.
            "auto_merge": false,
            "required_contexts": [],
            "environment": r.environment,
            "description": truncate(&format!("slipway {} {}", r.task, r.version)),
            "payload": { "version": r.version },
            "production_environment": r.environment == "production",
        });
        crate::github::redact::redact_json(&mut body);
        let mut waits = self.backoff.iter();
        loop {
            match self.client.send(Method::POST, &path, Some(&body)).await {
                Ok(resp) => {
                    #[derive(Deserialize)]
                    struct Created {
                        id: Option<u64>,
                        message: Option<String>,
                    }
                    let created: Created = resp.json(&path)?;
                    return match (created.id, created.message) {
                        (Some(id), _) => Ok(id),
                        // 202: GitHub merged the default branch instead (not with
                        // `auto_merge: false`, but the API documents it).
                        (None, message) => Err(Error::Status {
                            status: resp.status,
                            method: Method::POST,
                            path,
                            message: message.unwrap_or_default(),
                        }),
                    };
                }
                Err(Error::Server { .. }) if waits.len() > 0 => {
                    if let Some(wait) = waits.next() {
                        tokio::time::sleep(*wait).await;
                    }
                    // The failed request may have landed: look again before creating.
                    if let Some(found) = self.find().await? {
                        return Ok(found);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }

    async fn find(&self) -> Result<Option<u64>, Error> {
        let r = &self.record;
        let found = list_deployments(&self.client, &r.environment, Some(&r.sha), 30).await?;
        Ok(found.first().map(|d| d.id))
    }

    /// Adds a status to deployment `id`.
    pub async fn status(&self, id: u64, state: State, description: &str) -> Result<(), Error> {
        let repo = self.client.repo()?;
        let path = format!(
            "/repos/{}/{}/deployments/{id}/statuses",
            repo.owner, repo.name
        );
        let r = &self.record;
        let mut body = json!({
            "state": state.as_str(),
            "description": truncate(&crate::github::redact(description)),
            "environment": r.environment,
        });
        if let Some(url) = &r.environment_url {
            body["environment_url"] = json!(url);
        }
        if let Some(url) = &r.log_url {
            body["log_url"] = json!(url);
        }
        // Every string of the body, whatever built it, leaves redacted.
        crate::github::redact::redact_json(&mut body);
        let mut waits = self.backoff.iter();
        loop {
            match self.client.send(Method::POST, &path, Some(&body)).await {
                Ok(_) => return Ok(()),
                Err(Error::Server { .. }) if waits.len() > 0 => {
                    if let Some(wait) = waits.next() {
                        tokio::time::sleep(*wait).await;
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
}

impl Recorder {
    /// Marks `inactive` the newest other Deployment of the environment whose latest status is
    /// `success`: the version a rollback took out of service. GitHub's `auto_inactive` does
    /// this only for non-production environments. Returns its id.
    pub async fn retire_previous(&self, current: u64) -> Result<Option<u64>, Error> {
        let list = list_deployments(&self.client, &self.record.environment, None, 30).await?;
        for d in list.iter().filter(|d| d.id != current) {
            if latest_status(&self.client, d.id)
                .await?
                .is_some_and(|s| s.state == State::Success)
            {
                let description = format!("rolled back to {}", self.record.version);
                self.status(d.id, State::Inactive, &description).await?;
                return Ok(Some(d.id));
            }
        }
        Ok(None)
    }
}

/// GitHub allows 140 characters in a description.
fn truncate(text: &str) -> String {
    const MAX: usize = 140;
    if text.chars().count() <= MAX {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(MAX - 1).collect();
    out.push('…');
    out
}

/// The bookkeeping a deploy does on the side: statuses on one Deployment, where every failure is
/// a warning and never the deploy's failure.
#[derive(Debug)]
pub struct Bookkeeper {
    recorder: Option<Recorder>,
    deployment: Option<u64>,
    runtime: Option<tokio::runtime::Runtime>,
    /// A rollback: its success retires the version that was live.
    rollback: bool,
    /// The warnings so far, also printed on stderr.
    pub warnings: Vec<String>,
    /// Where warnings are annotated: the process's Actions runtime, or a capturing one.
    log: &'static crate::github::Runtime,
}

impl Bookkeeper {
    /// Bookkeeping that does nothing (no token).
    pub fn off() -> Self {
        Self {
            recorder: None,
            deployment: None,
            runtime: None,
            rollback: false,
            warnings: Vec::new(),
            log: crate::github::runtime(),
        }
    }

    /// Bookkeeping for `record` when the environment holds a GitHub token and repository;
    /// [`Bookkeeper::off`] otherwise.
    pub fn from_env(record: Record) -> Self {
        let settings = match crate::github::client::Settings::from_env() {
            Ok(s) if s.repository.is_some() => s,
            _ => return Self::off(),
        };
        let mut failed = None;
        let mut book = Self::new(|| match Client::new(settings) {
            Ok(client) => Some(Recorder::new(client, record)),
            Err(e) => {
                failed = Some(e);
                None
            }
        });
        if let Some(e) = failed {
            book.warn(&format!("deployment statuses are not recorded: {e}"));
        }
        book
    }

    /// Bookkeeping through the recorder `build` makes (inside the runtime the API client needs).
    pub fn new(build: impl FnOnce() -> Option<Recorder>) -> Self {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return Self::off();
        };
        let recorder = {
            let _inside = runtime.enter();
            build()
        };
        Self {
            rollback: recorder
                .as_ref()
                .is_some_and(|r| r.record.task == "rollback"),
            recorder,
            deployment: None,
            runtime: Some(runtime),
            warnings: Vec::new(),
            log: crate::github::runtime(),
        }
    }

    /// Annotates warnings through `log` instead of the process's runtime (e.g. a runtime made by
    /// [`crate::github::Runtime::plain_for_test`], whose lines are captured).
    pub fn with_log(mut self, log: &'static crate::github::Runtime) -> Self {
        self.log = log;
        self
    }

    /// The id of the GitHub Deployment the statuses went to, once one was found or created.
    pub fn deployment_id(&self) -> Option<u64> {
        self.deployment
    }

    /// Whether statuses are recorded at all.
    pub fn is_on(&self) -> bool {
        self.recorder.is_some()
    }

    /// Records `state` with `description`; finds or creates the Deployment first. Errors are
    /// warnings; after the first one, bookkeeping stops (the next would fail the same way).
    pub fn record(&mut self, state: State, description: &str) {
        let (Some(recorder), Some(runtime)) = (&self.recorder, &self.runtime) else {
            return;
        };
        let result = runtime.block_on(async {
            let id = match self.deployment {
                Some(id) => id,
                None => recorder.deployment().await?,
            };
            recorder.status(id, state, description).await?;
            Ok::<u64, Error>(id)
        });
        match result {
            Ok(id) => self.deployment = Some(id),
            Err(e) => {
                let hint = match &e {
                    Error::Forbidden { .. } | Error::NotFound { .. } => {
                        "; give the job `permissions: deployments: write`"
                    }
                    _ => "",
                };
                let message = format!(
                    "could not record the `{}` deployment status on GitHub: {e}{hint} (the deploy itself is not affected)",
                    state.as_str()
                );
                self.warn(&message);
                self.recorder = None;
            }
        }
    }

    /// Marks the version a rollback left `inactive` (see [`Recorder::retire_previous`]).
    pub fn retire(&mut self) {
        let (Some(recorder), Some(runtime)) = (&self.recorder, &self.runtime) else {
            return;
        };
        let result = runtime.block_on(async {
            let id = match self.deployment {
                Some(id) => id,
                None => recorder.deployment().await?,
            };
            recorder.retire_previous(id).await.map(|_| id)
        });
        match result {
            Ok(id) => self.deployment = Some(id),
            Err(e) => {
                let message = format!(
                    "could not mark the replaced deployment `inactive` on GitHub: {e} (the rollback itself is not affected)"
                );
                self.warn(&message);
            }
        }
    }

    fn warn(&mut self, message: &str) {
        self.log
            .annotate(crate::github::Annotation::warning(message.to_owned()));
        self.warnings.push(message.to_owned());
    }

    /// The Deployment's id once one was found or created.
    pub fn deployment(&self) -> Option<u64> {
        self.deployment
    }

    /// Bookkeeping of one deploy: `in_progress` at once, when a token, the repository and the
    /// commit (`GITHUB_SHA`) are known.
    pub fn for_deploy(request: &super::Request, url: Option<&str>) -> Self {
        let Some(sha) = request.commit.clone() else {
            return Self::off();
        };
        let strategy = match request.strategy {
            crate::config::Strategy::Rolling => "rolling",
            crate::config::Strategy::BlueGreen => "blue-green",
            crate::config::Strategy::Canary => "canary",
        };
        let mut book = Self::from_env(Record {
            environment: request.environment.clone(),
            sha,
            version: request.version.clone(),
            task: "deploy".to_owned(),
            environment_url: url.map(str::to_owned),
            log_url: Record::log_url_from(|n| std::env::var(n).ok().filter(|v| !v.is_empty())),
        });
        book.record(
            State::InProgress,
            &format!("deploying {} ({strategy})", request.version),
        );
        book
    }

    /// Bookkeeping of one rollback, on the workflow commit's Deployment.
    pub fn for_rollback(request: &super::RollbackRequest, url: Option<&str>) -> Self {
        let Some(sha) = std::env::var("GITHUB_SHA").ok().filter(|v| !v.is_empty()) else {
            return Self::off();
        };
        let version = request
            .to
            .clone()
            .unwrap_or_else(|| "the previous version".to_owned());
        let mut book = Self::from_env(Record {
            environment: request.environment.clone(),
            sha,
            version: version.clone(),
            task: "rollback".to_owned(),
            environment_url: url.map(str::to_owned),
            log_url: Record::log_url_from(|n| std::env::var(n).ok().filter(|v| !v.is_empty())),
        });
        book.record(State::InProgress, &format!("rolling back to {version}"));
        book
    }

    /// Records how the deploy or rollback ended: `success`, `failure` (refused or rolled
    /// back, with the reason) or `error` (could not run).
    pub fn finish(&mut self, result: &Result<super::Outcome, super::Error>) {
        if !self.is_on() {
            return;
        }
        match result {
            Ok(o) => {
                let live = o.live.version.as_deref().unwrap_or("nothing");
                let why = o.reason.as_deref().unwrap_or("the new version failed");
                match o.status {
                    super::Status::Success => {
                        if self.rollback {
                            self.retire();
                        }
                        self.record(State::Success, &format!("{live} is live"));
                    }
                    super::Status::Failure => {
                        self.record(State::Failure, &format!("{why}; {live} serves"));
                    }
                    super::Status::RolledBack => {
                        self.record(
                            State::Failure,
                            &format!("rolled back: {why}; {live} serves"),
                        );
                    }
                }
            }
            Err(e) => self.record(State::Error, &crate::github::redact(&e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_stay_within_140_characters() {
        assert_eq!(truncate("short"), "short");
        let long = "x".repeat(200);
        let cut = truncate(&long);
        assert_eq!(cut.chars().count(), 140);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn the_log_url_is_the_run_page() {
        let vars = |name: &str| match name {
            "GITHUB_SERVER_URL" => Some("https://github.com/".to_owned()),
            "GITHUB_REPOSITORY" => Some("acme/shop".to_owned()),
            "GITHUB_RUN_ID" => Some("42".to_owned()),
            _ => None,
        };
        assert_eq!(
            Record::log_url_from(vars).as_deref(),
            Some("https://github.com/acme/shop/actions/runs/42")
        );
        assert_eq!(Record::log_url_from(|_| None), None);
    }

    #[test]
    fn states_parse_from_the_api_spelling() {
        for (text, state) in [
            ("\"in_progress\"", State::InProgress),
            ("\"success\"", State::Success),
            ("\"inactive\"", State::Inactive),
        ] {
            let parsed: State = serde_json::from_str(text).expect("state");
            assert_eq!(parsed, state);
            assert_eq!(format!("\"{}\"", parsed.as_str()), text);
        }
    }
}
