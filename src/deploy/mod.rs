//! `slipway deploy`: move one version of an app to one environment with that environment's
//! strategy, prove it healthy, and put the previous version back when it is not.
//!
//! This module is the front door: the [`Request`] a deploy is asked to do, the [`Outcome`] it
//! reports, the [`Live`] state of an environment, and the [`Target`] trait that each place an
//! app can run implements (`hosts` in [`hosts`]; `kubernetes` and `command` beside it). The
//! orchestration around a target is the same for all of them ([`deploy`], [`rollback`]):
//!
//! 1. take the environment's [`lock::Lock`] (one deploy per environment; a stale lock, whose
//!    process is gone, is taken over; a live one names its holder);
//! 2. finish or revert a deploy that was killed half-way ([`Target::recover`], driven by the
//!    [`journal::Journal`] the target keeps of every step that changes traffic);
//! 3. [`Target::preflight`]: every check that can fail before anything changes (unknown
//!    version, missing nginx, a port in use, an unreachable host);
//! 4. report the live version (the action's `previous-version` output) before changing
//!    anything, then [`Target::deploy`] or [`Target::rollback`];
//! 5. append the result to the [`history`] (JSON lines in the target's state directory).
//!
//! Strategies (rolling, blue-green, canary) are the target's to carry out, because what a
//! batch, a colour or a traffic weight is depends on the target.

pub mod cli;
pub mod command;
pub mod github;
pub mod health;
pub mod history;
pub mod hosts;
pub mod journal;
pub mod kubernetes;
pub mod lock;
pub mod promoted;
pub mod render;
pub mod select;
pub mod store;
pub mod window;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::config::Strategy;
use crate::error::Hint;

pub use history::{Change, Operation, Record, RecordOutcome};
pub use journal::Journal;
pub use lock::{Holder, Lock};
pub use store::{DirStore, Store};

/// What one deploy is asked to do, resolved from flags, action inputs and `slipway.yml`.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The environment, a key of `environments:`, e.g. `staging`.
    pub environment: String,
    /// The deployable in a repository of several apps; `None` for the project itself.
    pub app: Option<String>,
    /// The version label, e.g. a tag `v1.4.2` or a commit SHA.
    pub version: String,
    /// How the new version replaces the old one.
    pub strategy: Strategy,
    /// What to run: a directory or file (hosts) or an image reference. `None`: a version
    /// the target already holds (retained from an earlier deploy).
    pub artifact: Option<PathBuf>,
    /// Health checks.
    pub health: HealthSettings,
    /// Smoke tests run against the new version before it gets traffic.
    pub smoke: crate::config::Smoke,
    /// Who asked (`GITHUB_ACTOR`, else the login name).
    pub actor: String,
    /// The commit being deployed, when known (`GITHUB_SHA`).
    pub commit: Option<String>,
    /// Why, when given (`--reason`); recorded in the history.
    pub reason: Option<String>,
}

/// Health-check settings of one deploy: `deploy.health`, the environment's overrides, then
/// flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthSettings {
    /// The HTTP path that answers 2xx when an instance is healthy, e.g. `/up`.
    pub path: String,
    /// Time between probes.
    pub interval: Duration,
    /// Time one probe may take.
    pub timeout: Duration,
    /// Time an instance has to become healthy.
    pub deadline: Duration,
    /// Time the old version keeps serving in-flight requests after traffic moved; the new
    /// version is watched meanwhile and traffic moves back if it fails.
    pub drain: Duration,
}

impl Default for HealthSettings {
    fn default() -> Self {
        let h = crate::config::Health::default();
        Self {
            path: h.path,
            interval: h.interval.as_std(),
            timeout: h.timeout.as_std(),
            deadline: h.deadline.as_std(),
            drain: h.drain.as_std(),
        }
    }
}

/// What a rollback is asked to do.
#[derive(Debug, Clone, PartialEq)]
pub struct RollbackRequest {
    /// The environment.
    pub environment: String,
    /// The deployable, as in [`Request::app`].
    pub app: Option<String>,
    /// The retained version to return to; `None`: the last successful one before the live one.
    pub to: Option<String>,
    /// Health checks of the version brought back.
    pub health: HealthSettings,
    /// Who asked.
    pub actor: String,
    /// Why, when given.
    pub reason: Option<String>,
}

/// How a deploy or rollback ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// The requested version is live and healthy.
    Success,
    /// The new version failed before it took traffic; the old version kept it throughout.
    Failure,
    /// The new version took traffic, then failed; the old version has it back.
    RolledBack,
}

impl Status {
    /// The value of the action's `status` output.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::RolledBack => "rolled-back",
        }
    }
}

/// The result of a deploy or rollback that ran to the end (whether or not the new version
/// made it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// How it ended.
    pub status: Status,
    /// The version live before.
    pub previous: Option<String>,
    /// What is live now.
    pub live: Live,
    /// Why it failed or was rolled back, in one sentence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The steps taken, in order, for the log and the job summary.
    pub steps: Vec<String>,
}

/// A colour of a blue-green pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Color {
    /// The first colour.
    Blue,
    /// The second colour.
    Green,
}

impl Color {
    /// The other colour.
    pub fn other(self) -> Self {
        match self {
            Self::Blue => Self::Green,
            Self::Green => Self::Blue,
        }
    }

    /// `blue` or `green`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Blue => "blue",
            Self::Green => "green",
        }
    }
}

impl std::fmt::Display for Color {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What serves an environment right now.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Live {
    /// The version that has the traffic; `None` before the first deploy.
    pub version: Option<String>,
    /// The colour that has the traffic, for blue-green and canary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
    /// The instances that take traffic.
    pub instances: Vec<Instance>,
    /// Versions kept for rollback, newest first.
    pub retained: Vec<String>,
    /// The address users reach the environment at, when the target knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Where the recorded state and what actually serves disagree (a deploy killed between
    /// its switch and recording it); the fields above follow what actually serves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disagreement: Option<String>,
}

/// One running copy of the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instance {
    /// A stable name, e.g. `blue-0` or `slot-3`.
    pub name: String,
    /// Where it listens, e.g. `127.0.0.1:8001`.
    pub address: String,
    /// The version it runs.
    pub version: String,
    /// Its colour, for blue-green and canary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
    /// Its share of traffic as an nginx weight, when weighted (canary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
}

/// What recovery found and did about a deploy that was killed half-way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The interrupted operation, as its journal recorded it.
    pub interrupted: journal::Entry,
    /// What was done: `completed` (the new version had traffic and is healthy) or `reverted`.
    pub action: RecoveryAction,
    /// One sentence for the log and the history.
    pub detail: String,
}

/// Whether an interrupted deploy was finished or undone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecoveryAction {
    /// The new version had all traffic and passed its checks: the deploy was finished.
    Completed,
    /// The old version was put back (or had never lost the traffic).
    Reverted,
}

/// Progress of a running deploy: steps for the log, and the live version before anything
/// changes (the action writes it as `previous-version` at once, so a later failure of the
/// step still lets the workflow roll back).
pub trait Progress {
    /// A step started or finished, e.g. `green-0 healthy on 127.0.0.1:8003`.
    fn step(&mut self, message: &str);
    /// The version live before the deploy; called once, before anything changes.
    fn previous(&mut self, version: Option<&str>);
}

/// A [`Progress`] that keeps the steps (tests, and callers that print at the end).
#[derive(Debug, Default)]
pub struct Steps {
    /// The steps, in order.
    pub steps: Vec<String>,
    /// What [`Progress::previous`] was told.
    pub previous: Option<Option<String>>,
}

impl Progress for Steps {
    fn step(&mut self, message: &str) {
        self.steps.push(message.to_owned());
    }

    fn previous(&mut self, version: Option<&str>) {
        self.previous = Some(version.map(str::to_owned));
    }
}

/// How a target's own deploy or rollback ended (the kubernetes and command targets), before the
/// engine turns it into an [`Outcome`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// The new version serves.
    Deployed,
    /// The new version was refused; the previous one was put back and serves.
    RolledBack {
        /// Why the new version was refused.
        reason: String,
    },
    /// It failed, and the previous version could not be put back or confirmed serving.
    Failed {
        /// Why.
        reason: String,
    },
}

/// A place an app runs, driven through one interface by [`deploy`] and [`rollback`].
///
/// Methods that change things record each step that moves traffic in the [`Journal`] before
/// taking it, so that [`Target::recover`] can finish or revert it after a `kill -9`.
pub trait Target {
    /// The stable id, e.g. `hosts`.
    fn id(&self) -> &'static str;

    /// Where the lock, the journal and the history live.
    fn store(&self) -> &dyn Store;

    /// Every check that can fail before anything changes: the version exists, tools are
    /// installed, ports are free, hosts answer. Changes nothing.
    fn preflight(&mut self, request: &Request) -> Result<(), Error>;

    /// The steps a deploy of `request` would take, for `--dry-run`. Changes nothing.
    fn plan(&mut self, request: &Request) -> Result<Vec<String>, Error>;

    /// What serves the environment now.
    fn status(&mut self) -> Result<Live, Error>;

    /// Deploys `request.version` with `request.strategy`. A new version that fails before
    /// taking traffic is an `Ok` outcome with [`Status::Failure`]; `Err` means the target could
    /// not be driven (a command failed to run, a file could not be written).
    fn deploy(
        &mut self,
        request: &Request,
        journal: &Journal<'_>,
        progress: &mut dyn Progress,
    ) -> Result<Outcome, Error>;

    /// Puts a retained version back. `to` is resolved by the caller (history) when not given.
    fn rollback(
        &mut self,
        request: &RollbackRequest,
        to: &str,
        journal: &Journal<'_>,
        progress: &mut dyn Progress,
    ) -> Result<Outcome, Error>;

    /// Finishes or reverts the operation `entry` (read from the journal) that was killed
    /// half-way. Called under the lock before anything else.
    fn recover(
        &mut self,
        entry: &journal::Entry,
        journal: &Journal<'_>,
        progress: &mut dyn Progress,
    ) -> Result<Recovery, Error>;
}

/// Why a deploy could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The environment is not in `slipway.yml`.
    #[error("unknown environment `{name}`")]
    UnknownEnvironment {
        /// The name given.
        name: String,
        /// The environments defined.
        known: Vec<String>,
    },
    /// The version label is empty or unsafe to use in file names and commands.
    #[error("`{0}` is not a usable version label")]
    BadVersion(String),
    /// The version is neither given as an artifact nor retained by the target.
    #[error("version `{version}` does not exist on the `{environment}` target")]
    UnknownVersion {
        /// The version asked for.
        version: String,
        /// The environment.
        environment: String,
        /// The versions the target holds.
        retained: Vec<String>,
    },
    /// Another deploy holds the environment's lock.
    #[error("`{environment}` is being deployed by {holder}")]
    Locked {
        /// The environment.
        environment: String,
        /// Who holds the lock, in words.
        holder: String,
    },
    /// The environment's deployment window is closed.
    #[error(
        "the deployment window of `{environment}` ({window}) is closed; it opens next at {next_open}"
    )]
    WindowClosed {
        /// The environment.
        environment: String,
        /// The window as written.
        window: String,
        /// The next opening, RFC 3339 in the window's own offset.
        next_open: String,
    },
    /// Nothing to roll back to.
    #[error("no version to roll back to in `{environment}`")]
    NothingToRollBack {
        /// The environment.
        environment: String,
    },
    /// The strategy is not supported by the target.
    #[error("the `{target}` target does not support the `{strategy}` strategy")]
    UnsupportedStrategy {
        /// The target id.
        target: &'static str,
        /// The strategy.
        strategy: &'static str,
    },
    /// The target's configuration is missing something it needs.
    #[error("{message}")]
    Config {
        /// What is wrong, naming the key.
        message: String,
        /// What to do.
        hint: String,
    },
    /// A check before the deploy failed; nothing was changed.
    #[error("{message}")]
    Preflight {
        /// What failed.
        message: String,
        /// What to do.
        hint: Option<String>,
    },
    /// A command the target runs could not be started or failed.
    #[error("{what}")]
    Command {
        /// The command and how it failed.
        what: String,
        /// Its stderr, trimmed.
        stderr: String,
    },
    /// Reading or writing the target's state failed.
    #[error("{what}")]
    State {
        /// The file and the operation.
        what: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A state file holds something slipway cannot read.
    #[error("`{path}` is corrupt: {detail}")]
    Corrupt {
        /// The file.
        path: String,
        /// What is wrong.
        detail: String,
    },
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::UnknownEnvironment { name, known } => {
                let refs: Vec<&str> = known.iter().map(String::as_str).collect();
                Some(match suggest(name, &refs) {
                    Some(s) => format!("did you mean `{s}`? environments: {}", known.join(", ")),
                    None if known.is_empty() => {
                        "slipway.yml defines no environments: add one under `environments:`"
                            .to_owned()
                    }
                    None => format!("environments in slipway.yml: {}", known.join(", ")),
                })
            }
            Self::BadVersion(_) => Some(
                "use letters, digits and `.`, `-`, `_`, `+` (a tag or a commit SHA), e.g. `--version 1.4.2`"
                    .to_owned(),
            ),
            Self::UnknownVersion { retained, .. } if retained.is_empty() => Some(
                "pass what to run with `--artifact PATH` (the action's `artifact` input)".to_owned(),
            ),
            Self::UnknownVersion { retained, .. } => Some(format!(
                "pass what to run with `--artifact PATH`, or pick a retained version: {}",
                retained.join(", ")
            )),
            Self::Locked { .. } => Some(
                "wait for it to finish, or pass `--wait` to queue behind it; a lock whose process is gone is taken over by itself"
                    .to_owned(),
            ),
            Self::WindowClosed { .. } => Some(
                "deploy inside the window, or pass `--force-window --reason \"...\"` (recorded in the history)"
                    .to_owned(),
            ),
            Self::NothingToRollBack { .. } => Some(
                "a rollback returns to a version deployed before; `slipway deploy status` lists them"
                    .to_owned(),
            ),
            Self::UnsupportedStrategy { .. } => {
                Some("use `--strategy rolling` or `--strategy blue-green`".to_owned())
            }
            Self::Config { hint, .. } => Some(hint.clone()),
            Self::Preflight { hint, .. } => hint.clone(),
            Self::Command { stderr, .. } if !stderr.is_empty() => {
                Some(format!("the command said: {stderr}"))
            }
            Self::Command { .. } => None,
            Self::State { .. } => {
                Some("check that the state directory exists and is writable".to_owned())
            }
            Self::Corrupt { .. } => Some(
                "move the file aside; slipway starts a new one (history lines are kept when readable)"
                    .to_owned(),
            ),
        }
    }
}

/// Opens the target `deploy.target` names for `resolved`'s environment (and `app`).
/// `credentials` is secret material for it (an ssh key, a token), already masked.
pub fn open(
    resolved: &cli::Resolved,
    app: Option<&str>,
    credentials: Option<crate::github::Secret>,
) -> Result<Box<dyn Target>, Error> {
    use crate::config::Target as Kind;
    match resolved.config.deploy.target {
        Kind::Hosts => hosts::open(resolved, app, credentials),
        Kind::Kubernetes => Ok(Box::new(kubernetes::KubeTarget::open(
            resolved,
            app,
            credentials,
        )?)),
        Kind::Command => Ok(Box::new(command::CommandDeploy::open(resolved, app)?)),
    }
}

/// Version labels end up in file names, process arguments and nginx comments: keep them to a
/// safe alphabet.
///
/// ```
/// assert!(slipway::deploy::check_version("v1.4.2+build.7").is_ok());
/// assert!(slipway::deploy::check_version("../etc").is_err());
/// ```
pub fn check_version(version: &str) -> Result<(), Error> {
    let ok = !version.is_empty()
        && version.len() <= 128
        && !version.starts_with(['.', '-'])
        && version
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-+".contains(c));
    if ok {
        Ok(())
    } else {
        Err(Error::BadVersion(version.to_owned()))
    }
}

/// Seconds since the Unix epoch.
pub fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// An RFC 3339 UTC timestamp (`2024-01-01T10:00:00Z`) for seconds since the epoch.
///
/// ```
/// assert_eq!(slipway::deploy::rfc3339(1_704_103_200), "2024-01-01T10:00:00Z");
/// ```
pub fn rfc3339(unix: u64) -> String {
    crate::metrics::time::rfc3339(i64::try_from(unix).unwrap_or(i64::MAX))
}

/// Deploys `request` to `target` under the environment's lock: recovers an interrupted
/// deploy, runs the preflight checks, reports the previous version, deploys and appends the
/// history record.
pub fn deploy(
    target: &mut dyn Target,
    request: &Request,
    wait: Option<Duration>,
    progress: &mut dyn Progress,
) -> Result<Outcome, Error> {
    check_version(&request.version)?;
    let store = target.store().clone_box();
    let holder = Holder::current(&request.actor, &format!("deploy {}", request.version));
    let _lock = Lock::acquire(&*store, &request.environment, holder, wait)?;
    let journal = Journal::new(&*store);
    recover_pending(target, &journal, progress)?;
    target.preflight(request)?;
    let before = target.status()?;
    progress.previous(before.version.as_deref());
    let started = now_unix();
    let result = target.deploy(request, &journal, progress);
    let ended = now_unix();
    let (outcome, reason) = match &result {
        Ok(o) => (RecordOutcome::from(o.status), o.reason.clone()),
        Err(e) => (RecordOutcome::Error, Some(e.to_string())),
    };
    let record = Record {
        change: Change::deploy(request, before.version.clone()),
        started: rfc3339(started),
        ended: rfc3339(ended),
        outcome,
        reason: join_reason(request.reason.as_deref(), reason.as_deref()),
    };
    history::append(&*store, &record)?;
    result
}

/// Rolls `request.environment` back to `request.to`, or to the last successful version before
/// the live one, under the lock; appends the history record.
pub fn rollback(
    target: &mut dyn Target,
    request: &RollbackRequest,
    wait: Option<Duration>,
    progress: &mut dyn Progress,
) -> Result<Outcome, Error> {
    if let Some(to) = &request.to {
        check_version(to)?;
    }
    let store = target.store().clone_box();
    let holder = Holder::current(&request.actor, "rollback");
    let _lock = Lock::acquire(&*store, &request.environment, holder, wait)?;
    let journal = Journal::new(&*store);
    recover_pending(target, &journal, progress)?;
    let before = target.status()?;
    progress.previous(before.version.as_deref());
    let to = match &request.to {
        Some(v) => v.clone(),
        None => {
            let records = history::read(&*store)?;
            history::previous_success(&records, before.version.as_deref()).ok_or_else(|| {
                Error::NothingToRollBack {
                    environment: request.environment.clone(),
                }
            })?
        }
    };
    let started = now_unix();
    let result = target.rollback(request, &to, &journal, progress);
    let ended = now_unix();
    let (outcome, reason) = match &result {
        Ok(o) => (RecordOutcome::from(o.status), o.reason.clone()),
        Err(e) => (RecordOutcome::Error, Some(e.to_string())),
    };
    let record = Record {
        change: Change::rollback(request, &to, before.version.clone()),
        started: rfc3339(started),
        ended: rfc3339(ended),
        outcome,
        reason: join_reason(request.reason.as_deref(), reason.as_deref()),
    };
    history::append(&*store, &record)?;
    result
}

/// Recovers an interrupted operation when the journal holds one, and records it.
fn recover_pending(
    target: &mut dyn Target,
    journal: &Journal<'_>,
    progress: &mut dyn Progress,
) -> Result<(), Error> {
    let Some(entry) = journal.read()? else {
        return Ok(());
    };
    progress.step(&format!(
        "found an interrupted {} of `{}` (step `{}`): recovering",
        entry.change.operation.as_str(),
        entry.change.version,
        entry.phase
    ));
    let recovery = target.recover(&entry, journal, progress)?;
    progress.step(&recovery.detail);
    let record = Record {
        change: entry.change.clone(),
        started: rfc3339(entry.started),
        ended: rfc3339(now_unix()),
        outcome: match recovery.action {
            RecoveryAction::Completed => RecordOutcome::Success,
            RecoveryAction::Reverted => RecordOutcome::Interrupted,
        },
        reason: Some(format!(
            "interrupted at `{}`; {}",
            entry.phase, recovery.detail
        )),
    };
    history::append(target.store(), &record)?;
    journal.clear()?;
    Ok(())
}

/// The closest candidate to `word`, when one is close enough to be a typo.
fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

fn join_reason(given: Option<&str>, found: Option<&str>) -> Option<String> {
    match (given, found) {
        (Some(g), Some(f)) => Some(format!("{f} (reason given: {g})")),
        (Some(g), None) => Some(g.to_owned()),
        (None, Some(f)) => Some(f.to_owned()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_709_251_199), "2024-02-29T23:59:59Z");
    }

    #[test]
    fn version_labels_are_checked() {
        for good in ["1.4.2", "v1.4.2", "0123abcd", "1.0.0-rc.1+b7", "main_2"] {
            assert!(check_version(good).is_ok(), "{good}");
        }
        for bad in ["", "..", "../x", "a b", "-rf", "a;b", "$(id)", "x/y", "é"] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
    }
}
