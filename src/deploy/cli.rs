//! `slipway deploy`, `deploy rollback` and `deploy status`: the clap types and the edge
//! (settings from flags, action inputs and `slipway.yml`; outputs, summary and exit codes).
//!
//! The deploy action passes its inputs as `SLIPWAY_*` variables (see `actions/deploy/action.yml`);
//! an empty input means "not given". Its outputs are written here: `previous-version` before
//! anything changes, then `deployed-version`, `url`, `deployment-id` and `status`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use super::{Error, HealthSettings, Outcome, Progress, Request, RollbackRequest, Status};
use crate::config::{self, Strategy};
use crate::error::{EXIT_FAILED, EXIT_OK, Failure};
use crate::github::{self, Secret};

/// Arguments of `slipway deploy`.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// `rollback` or `status`, or nothing to deploy.
    #[command(subcommand)]
    pub command: Option<DeployCommand>,
    /// What to deploy.
    #[command(flatten)]
    pub deploy: DeployRunArgs,
}

/// `slipway deploy` subcommands.
#[derive(Debug, Subcommand)]
pub enum DeployCommand {
    /// Put a retained version back without rebuilding: the previous successful one, or `--to`.
    #[command(
        disable_version_flag = true,
        after_help = "Examples:\n  slipway deploy rollback --env production             the version before the live one\n  slipway deploy rollback --env production --to 1.4.1  a retained version\n  slipway deploy rollback --env staging --reason \"error rate after 1.5.0\"\n\nExit codes: 0 the version is back and healthy, 1 it failed its health check (the live\nversion kept the traffic), 2 could not run."
    )]
    Rollback(RollbackArgs),
    /// Show what serves an environment: live version and colour, instances, recent history.
    #[command(
        disable_version_flag = true,
        after_help = "Examples:\n  slipway deploy status --env production\n  slipway deploy status --env staging --json | jq -r .live.version"
    )]
    Status(StatusArgs),
    /// Check whether a deploy may start now: exit 0 inside the deployment window, 1 outside
    /// (with the next opening).
    #[command(
        disable_version_flag = true,
        after_help = "Examples:\n  slipway deploy window --window \"Mon-Thu 09:00-16:00 UTC\"\n  slipway deploy window --env production                 the environment's `window`\n  slipway deploy window --env production --at 2024-01-05T17:30:00Z\n\nExit codes: 0 inside (or no window), 1 outside, 2 bad input. In Actions the step outputs\n`inside` (true/false) and `next-open` (RFC 3339)."
    )]
    Window(super::window::WindowArgs),
    /// Check that a commit is live in an environment, through GitHub's deployments: a gate
    /// before promoting it further.
    #[command(
        disable_version_flag = true,
        after_help = "Examples:\n  slipway deploy promoted --from staging --commit \"$GITHUB_SHA\"\n  slipway deploy promoted --from staging --commit 6dcb09b\n\nLive means: the commit of the newest `staging` deployment whose latest status is success,\nor an ancestor of it. Needs GITHUB_TOKEN (deployments: read, contents: read) and\nGITHUB_REPOSITORY. Exit codes: 0 live, 1 not live, 2 could not check."
    )]
    Promoted(super::promoted::PromotedArgs),
}

/// Where the configuration and the environment come from: shared by every deploy command.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The environment, a key of `environments:` in slipway.yml, e.g. `--env staging`.
    #[arg(
        long = "env",
        visible_alias = "environment",
        value_name = "NAME",
        env = "SLIPWAY_ENVIRONMENT"
    )]
    pub environment: Option<String>,
    /// The deployable in a repository of several apps, e.g. `--app backend` (default: the
    /// project itself).
    #[arg(long, value_name = "NAME", env = "SLIPWAY_APP")]
    pub app: Option<String>,
    /// The config file, e.g. `--config deploy/slipway.yml` (default: `slipway.yml` in the
    /// current directory when present).
    #[arg(long, value_name = "FILE", env = "SLIPWAY_CONFIG")]
    pub config: Option<PathBuf>,
}

/// Health settings a run may override (the action's `health-*` and `drain-timeout` inputs).
#[derive(Debug, Args)]
pub struct HealthArgs {
    /// The HTTP path that answers 2xx when an instance is healthy, e.g. `--health-path /up`.
    #[arg(long, value_name = "PATH", env = "SLIPWAY_HEALTH_PATH")]
    pub health_path: Option<String>,
    /// Time between probes, e.g. `--health-interval 500ms`.
    #[arg(long, value_name = "DURATION", env = "SLIPWAY_HEALTH_INTERVAL")]
    pub health_interval: Option<String>,
    /// Time one probe may take, e.g. `--health-timeout 2s`.
    #[arg(long, value_name = "DURATION", env = "SLIPWAY_HEALTH_TIMEOUT")]
    pub health_timeout: Option<String>,
    /// Time an instance has to become healthy, e.g. `--health-deadline 1m`.
    #[arg(long, value_name = "DURATION", env = "SLIPWAY_HEALTH_DEADLINE")]
    pub health_deadline: Option<String>,
    /// Time the old version keeps serving in-flight requests after traffic moved, e.g.
    /// `--drain-timeout 10s`; the new version is watched meanwhile.
    #[arg(long, value_name = "DURATION", env = "SLIPWAY_DRAIN_TIMEOUT")]
    pub drain_timeout: Option<String>,
}

/// Arguments of a deploy (`slipway deploy` without a subcommand).
#[derive(Debug, Args)]
pub struct DeployRunArgs {
    /// Environment, app and config.
    #[command(flatten)]
    pub target: TargetArgs,
    /// The version label to deploy, e.g. `--version 1.4.2` or a commit SHA. With
    /// `--mode rollback`: the version to return to (empty: the one before the live one).
    #[arg(long, value_name = "VERSION", env = "SLIPWAY_VERSION")]
    pub version: Option<String>,
    /// `rolling`, `blue-green` or `canary`, e.g. `--strategy blue-green` (default: the
    /// environment's `strategy` in slipway.yml).
    #[arg(long, value_name = "STRATEGY", env = "SLIPWAY_STRATEGY")]
    pub strategy: Option<String>,
    /// What to run: a directory or file (hosts) or an image reference, e.g.
    /// `--artifact _slipway/deploy` (default: a version the target retained earlier).
    #[arg(long, value_name = "PATH", env = "SLIPWAY_ARTIFACT")]
    pub artifact: Option<String>,
    /// `deploy` or `rollback` (the action's `mode` input), e.g. `--mode rollback`.
    #[arg(long, value_name = "MODE", env = "SLIPWAY_MODE")]
    pub mode: Option<String>,
    /// Print the plan step by step and change nothing, e.g. `--dry-run`.
    #[arg(long, env = "SLIPWAY_DRY_RUN", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub dry_run: Option<bool>,
    /// Deploy outside the environment's window; needs `--reason`, e.g.
    /// `--force-window --reason "hotfix for checkout errors"`.
    #[arg(long, requires = "reason")]
    pub force_window: bool,
    /// Why, recorded in the history, e.g. `--reason "hotfix"`.
    #[arg(long, value_name = "TEXT", env = "SLIPWAY_REASON")]
    pub reason: Option<String>,
    /// Wait up to this long for another deploy of the environment to finish instead of
    /// failing, e.g. `--wait 10m`.
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "30m")]
    pub wait: Option<String>,
    /// Print the outcome as JSON on stdout, e.g. `--json | jq -r .status`.
    #[arg(long)]
    pub json: bool,
    /// Health overrides.
    #[command(flatten)]
    pub health: HealthArgs,
    /// Secret material for the target (SSH key, token), e.g. from the action's `credentials`
    /// input; masked before any log line.
    #[arg(long, value_name = "SECRET", env = "SLIPWAY_CREDENTIALS", hide_env_values = true, value_parser = parse_secret)]
    pub credentials: Option<Secret>,
    /// A GitHub token that records deployment statuses.
    #[arg(long, value_name = "TOKEN", env = "GITHUB_TOKEN", hide_env_values = true, hide = true, value_parser = parse_secret)]
    pub github_token: Option<Secret>,
}

/// Arguments of `slipway deploy rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Environment, app and config.
    #[command(flatten)]
    pub target: TargetArgs,
    /// The retained version to return to, e.g. `--to 1.4.1` (default: the last successful
    /// version before the live one).
    #[arg(long, value_name = "VERSION", env = "SLIPWAY_VERSION")]
    pub to: Option<String>,
    /// Why, recorded in the history, e.g. `--reason "5xx after 1.5.0"`.
    #[arg(long, value_name = "TEXT", env = "SLIPWAY_REASON")]
    pub reason: Option<String>,
    /// Wait up to this long for a running deploy to finish, e.g. `--wait 10m`.
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = "30m")]
    pub wait: Option<String>,
    /// Print the outcome as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Health overrides.
    #[command(flatten)]
    pub health: HealthArgs,
}

/// Arguments of `slipway deploy status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Environment, app and config.
    #[command(flatten)]
    pub target: TargetArgs,
    /// How many history records to show, e.g. `--history 20`.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub history: usize,
    /// Print live state and history as JSON on stdout, e.g. `--json | jq .live`.
    #[arg(long)]
    pub json: bool,
}

impl DeployArgs {
    /// The command's name, for annotations (`deploy rollback`).
    pub fn name(&self) -> &'static str {
        match self.command {
            Some(DeployCommand::Rollback(_)) => "deploy rollback",
            Some(DeployCommand::Status(_)) => "deploy status",
            Some(DeployCommand::Window(_)) => "deploy window",
            Some(DeployCommand::Promoted(_)) => "deploy promoted",
            None => "deploy",
        }
    }
}

fn parse_secret(s: &str) -> Result<Secret, std::convert::Infallible> {
    Ok(Secret::new(s))
}

/// An empty value (an action input left empty) is no value.
fn given(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

/// Runs `slipway deploy` and its subcommands.
pub fn run(args: DeployArgs) -> Result<u8, Failure> {
    let DeployArgs { command, deploy } = args;
    match command {
        Some(DeployCommand::Rollback(a)) => run_rollback(a),
        Some(DeployCommand::Status(a)) => run_status(a),
        Some(DeployCommand::Window(a)) => super::window::run(a),
        Some(DeployCommand::Promoted(a)) => super::promoted::run(a),
        None => run_deploy(deploy),
    }
}

/// An invalid flag or input value: names the flag and the action input.
#[derive(Debug, thiserror::Error)]
#[error("invalid value `{value}` for `--{flag}` (input `{input}`): {reason}")]
pub struct BadInput {
    flag: &'static str,
    input: &'static str,
    value: String,
    reason: String,
}

impl crate::error::Hint for BadInput {}

fn parse_strategy(value: &str) -> Result<Strategy, BadInput> {
    match value {
        "rolling" => Ok(Strategy::Rolling),
        "blue-green" | "bluegreen" => Ok(Strategy::BlueGreen),
        "canary" => Ok(Strategy::Canary),
        _ => Err(BadInput {
            flag: "strategy",
            input: "strategy",
            value: value.to_owned(),
            reason: "use `rolling`, `blue-green` or `canary`".to_owned(),
        }),
    }
}

fn parse_duration(
    flag: &'static str,
    input: &'static str,
    value: Option<String>,
) -> Result<Option<Duration>, BadInput> {
    given(value)
        .map(|v| {
            v.parse::<config::Duration>()
                .map(config::Duration::as_std)
                .map_err(|e| BadInput {
                    flag,
                    input,
                    value: v.clone(),
                    reason: e.split(config_hint_mark()).collect::<Vec<_>>().join(": "),
                })
        })
        .transpose()
}

/// The separator config value errors put before their hint.
fn config_hint_mark() -> &'static str {
    "\u{1f}hint: "
}

/// Everything a deploy command needs from `slipway.yml` for one environment.
pub struct Resolved {
    /// The whole configuration.
    pub config: config::Config,
    /// The environment's name.
    pub environment: String,
    /// Its settings.
    pub env: config::Environment,
    /// The project root (the config file's directory, or the current one).
    pub root: PathBuf,
}

/// Loads the config and finds the environment.
pub fn resolve(target: &TargetArgs) -> Result<Resolved, Failure> {
    let root = match target.config.as_deref().and_then(std::path::Path::parent) {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let loaded = config::load(&root, target.config.as_deref())?;
    let Some(name) = given(target.environment.clone()) else {
        return Err(Failure::msg("no environment given").with_hint(
            "pass `--env NAME` (the action's `environment` input), e.g. `--env staging`",
        ));
    };
    let Some(env) = loaded.config.environments.get(&name).cloned() else {
        return Err(Error::UnknownEnvironment {
            name,
            known: loaded
                .config
                .environments
                .iter()
                .map(|(n, _)| n.to_string())
                .collect(),
        }
        .into());
    };
    mask_declared_secrets(&env);
    Ok(Resolved {
        config: loaded.config,
        environment: name,
        env,
        root,
    })
}

/// Registers the values of the environment's declared secrets (`environments.*.secrets`,
/// which the workflow passes as variables of the same names) before anything runs, so
/// `::add-mask::` and our redactor hide them in every line: a deploy command that echoes one,
/// an app that prints one as it fails.
fn mask_declared_secrets(env: &config::Environment) {
    let runtime = github::runtime();
    for name in &env.secrets {
        if let Some(value) = std::env::var_os(name.as_str()) {
            let value = value.to_string_lossy();
            if !value.trim().is_empty() {
                runtime.mask_str(&value);
            }
        }
    }
}

/// `deploy.health` with the environment's overrides.
pub fn configured_health(resolved: &Resolved) -> HealthSettings {
    let base = &resolved.config.deploy.health;
    let over = resolved.env.health.clone().unwrap_or_default();
    HealthSettings {
        path: over.path.unwrap_or_else(|| base.path.clone()),
        interval: over.interval.unwrap_or(base.interval).as_std(),
        timeout: over.timeout.unwrap_or(base.timeout).as_std(),
        deadline: over.deadline.unwrap_or(base.deadline).as_std(),
        drain: over.drain.unwrap_or(base.drain).as_std(),
    }
}

/// `deploy.health`, the environment's overrides, then the flags.
pub fn health_settings(resolved: &Resolved, args: HealthArgs) -> Result<HealthSettings, Failure> {
    let HealthArgs {
        health_path,
        health_interval,
        health_timeout,
        health_deadline,
        drain_timeout,
    } = args;
    let mut h = configured_health(resolved);
    if let Some(p) = given(health_path) {
        if !p.starts_with('/') || p.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(BadInput {
                flag: "health-path",
                input: "health-path",
                value: p,
                reason: "write an absolute path without spaces, e.g. `/up`".to_owned(),
            }
            .into());
        }
        h.path = p;
    }
    if let Some(d) = parse_duration("health-interval", "health-interval", health_interval)? {
        h.interval = d;
    }
    if let Some(d) = parse_duration("health-timeout", "health-timeout", health_timeout)? {
        h.timeout = d;
    }
    if let Some(d) = parse_duration("health-deadline", "health-deadline", health_deadline)? {
        h.deadline = d;
    }
    if let Some(d) = parse_duration("drain-timeout", "drain-timeout", drain_timeout)? {
        h.drain = d;
    }
    Ok(h)
}

/// Who is deploying: `GITHUB_ACTOR`, else `USER`, else `unknown`.
pub fn actor() -> String {
    ["GITHUB_ACTOR", "USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Progress lines on stderr (redacted, neutralised).
struct Log;

impl Progress for Log {
    fn step(&mut self, message: &str) {
        let line = github::redact(message);
        eprintln!("{}", github::safe::neutralize(&format!("  {line}")));
    }

    fn previous(&mut self, version: Option<&str>) {
        let runtime = github::runtime();
        let v = version.unwrap_or("");
        if runtime.in_actions() {
            let _ = runtime.set_output("previous-version", v);
        }
        let shown = if v.is_empty() { "none" } else { v };
        eprintln!(
            "{}",
            github::safe::neutralize(&format!("  live before: {shown}"))
        );
    }
}

fn run_deploy(args: DeployRunArgs) -> Result<u8, Failure> {
    let DeployRunArgs {
        target,
        version,
        strategy,
        artifact,
        mode,
        dry_run,
        force_window,
        reason,
        wait,
        json,
        health,
        credentials,
        github_token,
    } = args;
    let runtime = github::runtime();
    // Secrets first, before any line that could echo them.
    for secret in credentials.iter().chain(github_token.iter()) {
        runtime.mask(secret);
    }
    let mode = given(mode).unwrap_or_else(|| "deploy".to_owned());
    if mode == "rollback" {
        return run_rollback(RollbackArgs {
            target,
            to: version,
            reason,
            wait,
            json,
            health,
        });
    }
    if mode != "deploy" {
        return Err(BadInput {
            flag: "mode",
            input: "mode",
            value: mode,
            reason: "use `deploy` or `rollback`".to_owned(),
        }
        .into());
    }
    let strategy = given(strategy).map(|s| parse_strategy(&s)).transpose()?;
    let wait = parse_duration("wait", "wait", wait)?;
    let resolved = resolve(&target)?;
    let Some(version) = given(version) else {
        return Err(Failure::msg("no version given").with_hint(
            "pass `--version V` (the action's `version` input), e.g. `--version 1.4.2`",
        ));
    };
    super::check_version(&version)?;
    let health = health_settings(&resolved, health)?;
    let reason = given(reason);
    check_window(&resolved, force_window, reason.as_deref())?;
    let request = Request {
        environment: resolved.environment.clone(),
        app: given(target.app.clone()),
        version,
        strategy: strategy.unwrap_or(resolved.env.strategy),
        artifact: given(artifact).map(PathBuf::from),
        health,
        smoke: resolved.config.deploy.smoke.clone(),
        actor: actor(),
        commit: std::env::var("GITHUB_SHA").ok().filter(|s| !s.is_empty()),
        reason,
    };
    let mut target = super::open(&resolved, request.app.as_deref(), credentials)?;
    if dry_run.unwrap_or(false) {
        let steps = target.plan(&request)?;
        let mut out = format!(
            "plan: deploy `{}` to `{}` ({}, {} target)\n",
            request.version,
            request.environment,
            strategy_name(request.strategy),
            target.id()
        );
        for (i, step) in steps.iter().enumerate() {
            out.push_str(&format!("{:>3}. {step}\n", i + 1));
        }
        print_stdout(&out)?;
        return Ok(EXIT_OK);
    }
    say(&format!(
        "deploying `{}` to `{}` ({})",
        request.version,
        request.environment,
        strategy_name(request.strategy)
    ));
    let mut book = super::github::Bookkeeper::for_deploy(&request, resolved.env.url.as_deref());
    let outcome = super::deploy(&mut *target, &request, wait, &mut Log);
    book.finish(&outcome);
    let outcome = outcome.map_err(failed)?;
    finish(
        &outcome,
        json,
        &request.environment,
        Some(request.strategy),
        book.deployment_id(),
    )
}

fn run_rollback(args: RollbackArgs) -> Result<u8, Failure> {
    let RollbackArgs {
        target,
        to,
        reason,
        wait,
        json,
        health,
    } = args;
    let wait = parse_duration("wait", "wait", wait)?;
    let resolved = resolve(&target)?;
    let health = health_settings(&resolved, health)?;
    let request = RollbackRequest {
        environment: resolved.environment.clone(),
        app: given(target.app.clone()),
        to: given(to),
        health,
        actor: actor(),
        reason: given(reason),
    };
    let mut t = super::open(&resolved, request.app.as_deref(), None)?;
    say(&format!(
        "rolling `{}` back to {}",
        request.environment,
        request
            .to
            .as_deref()
            .map_or_else(|| "the previous version".to_owned(), |v| format!("`{v}`"))
    ));
    let mut book = super::github::Bookkeeper::for_rollback(&request, resolved.env.url.as_deref());
    let outcome = super::rollback(&mut *t, &request, wait, &mut Log);
    book.finish(&outcome);
    let outcome = outcome.map_err(failed)?;
    finish(
        &outcome,
        json,
        &request.environment,
        None,
        book.deployment_id(),
    )
}

fn run_status(args: StatusArgs) -> Result<u8, Failure> {
    let StatusArgs {
        target,
        history,
        json,
    } = args;
    let resolved = resolve(&target)?;
    let mut t = super::open(&resolved, given(target.app.clone()).as_deref(), None)?;
    let live = t.status()?;
    let records = super::history::read(t.store())?;
    let skip = records.len().saturating_sub(history);
    let recent = &records[skip..];
    let lock = super::lock::read(t.store())?;
    let pending = super::Journal::new(t.store()).read()?;
    let text = if json {
        let mut value = serde_json::json!({
            "environment": resolved.environment,
            "target": t.id(),
            "live": live,
            "lock": lock,
            "interrupted": pending,
            "history": recent.iter().rev().collect::<Vec<_>>(),
        });
        github::redact::redact_json(&mut value);
        let mut s = serde_json::to_string_pretty(&value).map_err(|e| Failure::new(e, None))?;
        s.push('\n');
        s
    } else {
        super::render::status(
            &resolved.environment,
            t.id(),
            &live,
            lock.as_ref(),
            pending.as_ref(),
            recent,
        )
    };
    print_stdout(&text)?;
    Ok(EXIT_OK)
}

/// A deploy or rollback that could not run still sets the action's `status` output, so a
/// workflow can tell it from one that never started.
fn failed(error: Error) -> Failure {
    let runtime = github::runtime();
    if runtime.in_actions() {
        let _ = runtime.set_output("status", "failure");
    }
    error.into()
}

fn check_window(resolved: &Resolved, force: bool, reason: Option<&str>) -> Result<(), Failure> {
    let Some(window) = resolved.env.window else {
        return Ok(());
    };
    let now = i64::try_from(super::now_unix()).unwrap_or(i64::MAX);
    let Err(outside) = super::window::check(&window, now) else {
        return Ok(());
    };
    if force && reason.is_some() {
        say(&format!(
            "warning: deploying outside the window of `{}` ({window}): {}",
            resolved.environment,
            reason.unwrap_or_default()
        ));
        return Ok(());
    }
    Err(Error::WindowClosed {
        environment: resolved.environment.clone(),
        window: window.to_string(),
        next_open: outside.next_open_local(),
    }
    .into())
}

fn strategy_name(s: Strategy) -> &'static str {
    match s {
        Strategy::Rolling => "rolling",
        Strategy::BlueGreen => "blue-green",
        Strategy::Canary => "canary",
    }
}

/// Outputs, summary, the result line and the exit code.
fn finish(
    outcome: &Outcome,
    json: bool,
    environment: &str,
    strategy: Option<Strategy>,
    deployment_id: Option<u64>,
) -> Result<u8, Failure> {
    let runtime = github::runtime();
    if runtime.in_actions() {
        runtime.set_output(
            "deployed-version",
            outcome.live.version.as_deref().unwrap_or(""),
        )?;
        runtime.set_output(
            "url",
            &github::redact(outcome.live.url.as_deref().unwrap_or("")),
        )?;
        runtime.set_output(
            "deployment-id",
            &deployment_id.map(|id| id.to_string()).unwrap_or_default(),
        )?;
        runtime.set_output("status", outcome.status.as_str())?;
        let mut summary = github::Summary::new();
        super::render::summary(&mut summary, environment, strategy, outcome);
        runtime.write_summary(&summary)?;
    }
    if json {
        let value =
            github::redact::to_redacted_value(outcome).map_err(|e| Failure::new(e, None))?;
        let mut s = serde_json::to_string_pretty(&value).map_err(|e| Failure::new(e, None))?;
        s.push('\n');
        print_stdout(&s)?;
    }
    match outcome.status {
        Status::Success => {
            say(&format!(
                "`{environment}` runs `{}`",
                outcome.live.version.as_deref().unwrap_or("nothing")
            ));
            Ok(EXIT_OK)
        }
        Status::Failure | Status::RolledBack => {
            let why = outcome
                .reason
                .as_deref()
                .unwrap_or("the new version failed");
            let line = format!(
                "{}: {why}; `{environment}` runs `{}`",
                outcome.status.as_str(),
                outcome.live.version.as_deref().unwrap_or("nothing")
            );
            say(&format!("error: {line}"));
            if runtime.in_actions() {
                runtime.annotate(github::Annotation::error(line).title("slipway deploy"));
            }
            Ok(EXIT_FAILED)
        }
    }
}

fn say(line: &str) {
    eprintln!("{}", github::safe::neutralize(&github::redact(line)));
}

fn print_stdout(text: &str) -> Result<u8, Failure> {
    use std::io::Write as _;
    let text = github::safe::neutralize(&github::redact(text)).into_owned();
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(EXIT_OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(EXIT_OK),
        Err(e) => Err(Failure::new(e, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategies_parse_and_unknown_ones_name_the_input() {
        assert_eq!(
            parse_strategy("blue-green").expect("bg"),
            Strategy::BlueGreen
        );
        let e = parse_strategy("big-bang").expect_err("unknown");
        assert_eq!(
            e.to_string(),
            "invalid value `big-bang` for `--strategy` (input `strategy`): use `rolling`, `blue-green` or `canary`"
        );
    }

    #[test]
    fn empty_inputs_are_not_given() {
        assert_eq!(given(Some(String::new())), None);
        assert_eq!(given(Some("  ".to_owned())), None);
        assert_eq!(given(Some(" 1.2 ".to_owned())).as_deref(), Some("1.2"));
        assert_eq!(
            parse_duration("wait", "wait", Some(String::new())).expect("empty"),
            None
        );
        assert!(parse_duration("wait", "wait", Some("soon".to_owned())).is_err());
    }
}
