//! The `command` target: the user's own deploy, health, switch and rollback commands
//! (`deploy.command`), for platforms driven by a CLI (fly, heroku, a PaaS, a script).
//!
//! Each command runs with `sh -c` in its own process group, with `SLIPWAY_VERSION`,
//! `SLIPWAY_ENVIRONMENT`, `SLIPWAY_PREVIOUS_VERSION` and `SLIPWAY_STRATEGY` in its
//! environment, its output streamed line by line to stderr with registered secrets masked
//! ([`crate::github::redact`]) and workflow commands neutralised, and a timeout
//! (`deploy.command.timeout`) after which the whole group gets SIGTERM, then SIGKILL.
//!
//! A deploy runs `deploy`, then `health` until it passes or `deploy.health.deadline` passes,
//! then `switch`. When any of them fails, the previous version is put back: `rollback` with
//! `SLIPWAY_VERSION` set to it, or `deploy` again with that version when there is no
//! `rollback` command.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::cli::Resolved;
use super::history::{self, RecordOutcome};
use super::journal::{Entry, Journal};
use super::{
    DirStore, HealthSettings, Live, Outcome as DeployOutcome, Progress, Recovery, RecoveryAction,
    Request, RollbackRequest, Status, Store, Target,
};
use crate::config::{self, CommandTarget};
use crate::error::Hint;

/// How long a stopped group has between SIGTERM and SIGKILL.
pub const KILL_GRACE: Duration = Duration::from_secs(5);
/// How many of a command's last output lines a failure keeps.
pub const TAIL_LINES: usize = 20;
/// The journal phase while the user's commands run: a run killed then is found at it.
const RUNNING: &str = "running-commands";

/// What running a command can fail on (not its exit status: that is a [`Ran`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The shell could not be started.
    #[error("could not start `{label}` (`sh -c`)")]
    Spawn {
        /// The step.
        label: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Waiting for the command failed.
    #[error("lost track of `{label}`")]
    Wait {
        /// The step.
        label: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        Some("check that `sh` is on PATH and the working directory exists".into())
    }
}

/// One command to run.
#[derive(Debug, Clone)]
pub struct Step {
    /// The name in logs, e.g. `deploy` or `kubectl`.
    pub label: String,
    /// The program and its arguments.
    pub program: PathBuf,
    /// The arguments.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    /// Variables removed from the inherited environment.
    pub env_remove: Vec<String>,
    /// The longest it may run.
    pub timeout: Duration,
    /// Print each output line as it arrives (otherwise only keep them).
    pub stream: bool,
}

impl Step {
    /// `sh -c script`.
    pub fn shell(label: &str, script: &str, timeout: Duration) -> Self {
        Self {
            label: label.to_owned(),
            program: PathBuf::from("sh"),
            args: vec!["-c".to_owned(), script.to_owned()],
            env: Vec::new(),
            env_remove: Vec::new(),
            timeout,
            stream: true,
        }
    }

    /// Adds an environment variable.
    #[must_use]
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }
}

/// How a command ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    /// The exit code; `None` when it was killed by a signal.
    pub code: Option<i32>,
    /// Whether slipway stopped it at its timeout.
    pub timed_out: bool,
    /// How long it ran.
    pub elapsed: Duration,
    /// Standard output, masked.
    pub stdout: String,
    /// The last [`TAIL_LINES`] lines of both streams, masked.
    pub tail: Vec<String>,
    /// The last non-empty line of standard error, masked: usually the reason.
    pub last_error: Option<String>,
}

impl Ran {
    /// Exit 0 in time.
    pub fn success(&self) -> bool {
        self.code == Some(0) && !self.timed_out
    }

    /// Why it failed, in a few words: `exit code 3`, `timed out after 10s`, `killed by a
    /// signal`.
    pub fn failure(&self) -> String {
        if self.timed_out {
            format!("timed out after {}s", self.elapsed.as_secs())
        } else {
            match self.code {
                Some(c) => format!("exit code {c}"),
                None => "killed by a signal".to_owned(),
            }
        }
    }
}

enum Line {
    Out(String),
    Err(String),
}

/// Runs `step` to completion or its timeout, streaming its output.
pub fn run(step: &Step) -> Result<Ran, Error> {
    let mut cmd = Command::new(&step.program);
    cmd.args(&step.args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so a timeout stops what the shell started too.
        .process_group(0);
    for key in &step.env_remove {
        cmd.env_remove(key);
    }
    for (k, v) in &step.env {
        cmd.env(k, v);
    }
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|source| Error::Spawn {
        label: step.label.clone(),
        source,
    })?;
    let (tx, rx) = mpsc::channel();
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        std::thread::spawn(move || read_lines(out, |l| tx.send(Line::Out(l)).is_ok()));
    }
    if let Some(err) = child.stderr.take() {
        let tx = tx.clone();
        std::thread::spawn(move || read_lines(err, |l| tx.send(Line::Err(l)).is_ok()));
    }
    drop(tx);
    let pid = i32::try_from(child.id()).unwrap_or(0);
    let mut stdout = String::new();
    let mut tail: std::collections::VecDeque<String> = std::collections::VecDeque::new();
    let mut last_error: Option<String> = None;
    let mut timed_out = false;
    let mut term_sent: Option<Instant> = None;
    let mut exited: Option<(std::process::ExitStatus, Instant)> = None;
    let mut take = |line: Line, stdout: &mut String| {
        let (text, is_out) = match line {
            Line::Out(t) => (t, true),
            Line::Err(t) => (t, false),
        };
        let masked = crate::github::redact(&text).into_owned();
        if step.stream {
            eprintln!(
                "{}",
                crate::github::safe::neutralize(&format!("  {} | {masked}", step.label))
            );
        }
        if is_out {
            stdout.push_str(&masked);
            stdout.push('\n');
        } else if !masked.trim().is_empty() {
            last_error = Some(masked.clone());
        }
        tail.push_back(masked);
        if tail.len() > TAIL_LINES {
            tail.pop_front();
        }
    };
    loop {
        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok(line) => take(line, &mut stdout),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                if exited.is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if exited.is_none()
            && let Some(status) = child.try_wait().map_err(|source| Error::Wait {
                label: step.label.clone(),
                source,
            })?
        {
            exited = Some((status, Instant::now()));
        }
        match exited {
            // Output of background children that keep the pipes open is not waited for long.
            Some((_, at)) if at.elapsed() > Duration::from_millis(300) => break,
            Some(_) => {}
            None => {
                if started.elapsed() >= step.timeout && term_sent.is_none() {
                    timed_out = true;
                    signal_group(pid, libc::SIGTERM);
                    term_sent = Some(Instant::now());
                }
                if term_sent.is_some_and(|t| t.elapsed() >= KILL_GRACE) {
                    signal_group(pid, libc::SIGKILL);
                }
            }
        }
    }
    // Whatever is left in the channel arrived before the end.
    while let Ok(line) = rx.try_recv() {
        take(line, &mut stdout);
    }
    let (status, _) = exited.expect("the loop ends only after the child exited");
    if timed_out {
        // Anything the shell left behind in its group goes too.
        signal_group(pid, libc::SIGKILL);
    }
    Ok(Ran {
        code: status.code(),
        timed_out,
        elapsed: started.elapsed(),
        stdout,
        tail: tail.into_iter().collect(),
        last_error,
    })
}

fn signal_group(pid: i32, signal: i32) {
    if pid > 0 {
        // SAFETY: killpg only sends a signal; the group id is our child's own pid, which
        // `process_group(0)` made a group leader, and it is not reaped before this call.
        unsafe {
            libc::killpg(pid, signal);
        }
    }
}

fn read_lines(stream: impl Read, mut send: impl FnMut(String) -> bool) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => return,
            Ok(_) => {
                let text = String::from_utf8_lossy(&buf);
                let line = text.trim_end_matches(['\n', '\r']).to_owned();
                if !send(line) {
                    return;
                }
            }
        }
    }
}

/// A deploy or rollback through the user's commands.
#[derive(Debug, Clone)]
pub struct CommandDeploy {
    /// The commands.
    pub commands: CommandTarget,
    /// The environment deployed to.
    pub environment: String,
    /// The strategy name passed on as `SLIPWAY_STRATEGY`.
    pub strategy: String,
    /// Health-check timing (interval, timeout and deadline apply to the `health` command).
    pub health: HealthSettings,
}

/// One command slipway ran and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// `deploy`, `health`, `switch` or `rollback`.
    pub name: String,
    /// The version it was run for.
    pub version: String,
    /// `ok` or why it failed.
    pub result: String,
}

/// How a deploy or rollback ended.
pub use super::Ending as Outcome;

/// Everything a deploy or rollback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The result.
    pub outcome: Outcome,
    /// The commands run, in order.
    pub steps: Vec<StepReport>,
}

impl CommandDeploy {
    fn step(&self, name: &str, script: &str, version: &str, previous: Option<&str>) -> Step {
        Step::shell(name, script, self.commands.timeout.as_std())
            .env("SLIPWAY_VERSION", version)
            .env("SLIPWAY_ENVIRONMENT", &self.environment)
            .env("SLIPWAY_PREVIOUS_VERSION", previous.unwrap_or(""))
            .env("SLIPWAY_STRATEGY", &self.strategy)
    }

    fn exec(
        &self,
        steps: &mut Vec<StepReport>,
        name: &str,
        script: &str,
        version: &str,
        previous: Option<&str>,
    ) -> Result<Result<(), String>, Error> {
        let ran = run(&self.step(name, script, version, previous))?;
        let result = if ran.success() {
            Ok(())
        } else {
            Err(format!("`{name}` failed: {}", ran.failure()))
        };
        steps.push(StepReport {
            name: name.to_owned(),
            version: version.to_owned(),
            result: result.clone().err().unwrap_or_else(|| "ok".to_owned()),
        });
        Ok(result)
    }

    /// Runs `health` every interval until it exits 0 or the deadline passes.
    fn wait_healthy(
        &self,
        steps: &mut Vec<StepReport>,
        version: &str,
        previous: Option<&str>,
    ) -> Result<Result<(), String>, Error> {
        let Some(script) = self.commands.health.clone() else {
            return Ok(Ok(()));
        };
        let deadline = Instant::now() + self.health.deadline;
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            let mut step = self.step("health", &script, version, previous);
            // Never let one probe run past the deadline.
            step.timeout = step.timeout.min(self.health.timeout).min(
                deadline
                    .saturating_duration_since(Instant::now())
                    .max(Duration::from_millis(100)),
            );
            let ran = run(&step)?;
            if ran.success() {
                steps.push(StepReport {
                    name: "health".to_owned(),
                    version: version.to_owned(),
                    result: "ok".to_owned(),
                });
                return Ok(Ok(()));
            }
            if Instant::now() + self.health.interval >= deadline {
                let reason = format!(
                    "`health` did not pass within {} ({attempts} attempt(s), last: {})",
                    shown(self.health.deadline),
                    ran.failure()
                );
                steps.push(StepReport {
                    name: "health".to_owned(),
                    version: version.to_owned(),
                    result: reason.clone(),
                });
                return Ok(Err(reason));
            }
            std::thread::sleep(self.health.interval);
        }
    }

    /// Deploys `version`; `previous` is the version live now (none on a first deploy).
    pub fn deploy(&self, version: &str, previous: Option<&str>) -> Result<Report, Error> {
        let mut steps = Vec::new();
        let mut result = self.exec(
            &mut steps,
            "deploy",
            &self.commands.deploy,
            version,
            previous,
        )?;
        if result.is_ok() {
            result = self.wait_healthy(&mut steps, version, previous)?;
        }
        if result.is_ok()
            && let Some(switch) = self.commands.switch.clone()
        {
            result = self.exec(&mut steps, "switch", &switch, version, previous)?;
        }
        let Err(reason) = result else {
            return Ok(Report {
                outcome: Outcome::Deployed,
                steps,
            });
        };
        let Some(previous) = previous else {
            return Ok(Report {
                outcome: Outcome::Failed {
                    reason: format!("{reason}; no previous version to put back"),
                },
                steps,
            });
        };
        let restored = self.restore(&mut steps, previous, version)?;
        let outcome = match restored {
            Ok(()) => Outcome::RolledBack { reason },
            Err(why) => Outcome::Failed {
                reason: format!("{reason}; putting {previous} back failed too: {why}"),
            },
        };
        Ok(Report { outcome, steps })
    }

    /// Puts `to` back in place of `from`, without rebuilding anything.
    pub fn rollback(&self, to: &str, from: Option<&str>) -> Result<Report, Error> {
        let mut steps = Vec::new();
        let outcome = match self.restore(&mut steps, to, from.unwrap_or(""))? {
            Ok(()) => Outcome::Deployed,
            Err(reason) => Outcome::Failed { reason },
        };
        Ok(Report { outcome, steps })
    }

    fn restore(
        &self,
        steps: &mut Vec<StepReport>,
        to: &str,
        from: &str,
    ) -> Result<Result<(), String>, Error> {
        let from = (!from.is_empty()).then_some(from);
        let result = match self.commands.rollback.clone() {
            Some(script) => self.exec(steps, "rollback", &script, to, from)?,
            None => self.exec(steps, "deploy", &self.commands.deploy.clone(), to, from)?,
        };
        if result.is_err() {
            return Ok(result);
        }
        let result = self.wait_healthy(steps, to, from)?;
        if result.is_err() || self.commands.rollback.is_some() {
            return Ok(result);
        }
        // Redeployed with `deploy`: traffic moves the same way a deploy moves it.
        match self.commands.switch.clone() {
            Some(switch) => self.exec(steps, "switch", &switch, to, from),
            None => Ok(Ok(())),
        }
    }
}

/// A duration as slipway.yml writes it (`600ms`, `30s`).
fn shown(d: Duration) -> String {
    config::Duration::from_millis(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)).to_string()
}

/// The `command` target as the deploy engine drives it: [`CommandDeploy`] plus the state
/// directory that holds its lock, journal and history. The live version is what the history
/// says (the commands cannot be asked).
#[derive(Debug)]
pub struct Hooks {
    /// The commands and their settings.
    pub commands: CommandDeploy,
    /// Lock, journal and history.
    pub store: DirStore,
    /// The environment's URL.
    pub url: Option<String>,
}

impl CommandDeploy {
    /// The command target of `resolved`'s environment.
    pub fn open(resolved: &Resolved, app: Option<&str>) -> Result<Hooks, super::Error> {
        let Some(commands) = resolved.config.deploy.command.clone() else {
            return Err(super::Error::Config {
                message: "`deploy.target` is `command` but `deploy.command` is not set".into(),
                hint: "add `deploy: { command: { deploy: \"./deploy.sh\", rollback: \"./rollback.sh\" } }` to slipway.yml".into(),
            });
        };
        Ok(Hooks {
            commands: CommandDeploy {
                commands,
                environment: resolved.environment.clone(),
                strategy: strategy_name(resolved.env.strategy).to_owned(),
                health: super::select::health(resolved),
            },
            store: DirStore::new(super::select::state_dir(resolved, app)?),
            url: resolved.env.url.clone(),
        })
    }
}

fn strategy_name(s: config::Strategy) -> &'static str {
    match s {
        config::Strategy::Rolling => "rolling",
        config::Strategy::BlueGreen => "blue-green",
        config::Strategy::Canary => "canary",
    }
}

impl Hooks {
    fn live_version(&self) -> Result<Option<String>, super::Error> {
        let records = history::read(&self.store)?;
        Ok(live_from_history(&records))
    }

    fn finish(
        &self,
        report: Report,
        version: &str,
        previous: Option<String>,
        journal: &Journal<'_>,
        progress: &mut dyn Progress,
    ) -> Result<DeployOutcome, super::Error> {
        journal.clear()?;
        let steps: Vec<String> = report
            .steps
            .iter()
            .map(|s| format!("`{}` for {}: {}", s.name, s.version, s.result))
            .collect();
        for step in &steps {
            progress.step(step);
        }
        let (status, live, reason) = match report.outcome {
            Outcome::Deployed => (Status::Success, Some(version.to_owned()), None),
            Outcome::RolledBack { reason } => (Status::RolledBack, previous.clone(), Some(reason)),
            Outcome::Failed { reason } if previous.is_none() => {
                (Status::Failure, None, Some(reason))
            }
            Outcome::Failed { reason } => {
                return Err(super::Error::Command {
                    what: reason,
                    stderr: String::new(),
                });
            }
        };
        Ok(DeployOutcome {
            status,
            previous,
            live: Live {
                version: live,
                url: self.url.clone(),
                ..Live::default()
            },
            reason,
            steps,
        })
    }
}

/// What serves, according to the history: the newest record that says so.
fn live_from_history(records: &[history::Record]) -> Option<String> {
    for r in records.iter().rev() {
        match r.outcome {
            RecordOutcome::Success => return Some(r.change.version.clone()),
            RecordOutcome::Failure | RecordOutcome::RolledBack | RecordOutcome::Interrupted => {
                return r.change.previous.clone();
            }
            RecordOutcome::Error => {}
        }
    }
    None
}

impl Target for Hooks {
    fn id(&self) -> &'static str {
        "command"
    }

    fn store(&self) -> &dyn Store {
        &self.store
    }

    fn preflight(&mut self, _request: &Request) -> Result<(), super::Error> {
        if self.commands.commands.deploy.trim().is_empty() {
            return Err(super::Error::Config {
                message: "`deploy.command.deploy` is empty".into(),
                hint: "set it to the command that deploys `$SLIPWAY_VERSION`".into(),
            });
        }
        Ok(())
    }

    fn plan(&mut self, request: &Request) -> Result<Vec<String>, super::Error> {
        let previous = self.live_version()?;
        let c = &self.commands.commands;
        let mut steps = vec![format!(
            "run `deploy` with SLIPWAY_VERSION={} SLIPWAY_PREVIOUS_VERSION={} (timeout {})",
            request.version,
            previous.as_deref().unwrap_or(""),
            c.timeout
        )];
        if c.health.is_some() {
            steps.push(format!(
                "run `health` every {} until it passes, for at most {}",
                shown(request.health.interval),
                shown(request.health.deadline)
            ));
        }
        if c.switch.is_some() {
            steps.push("run `switch` to move traffic to the new version".to_owned());
        }
        steps.push(match (&previous, &c.rollback) {
            (None, _) => "on failure: nothing to put back (first deploy)".to_owned(),
            (Some(p), Some(_)) => format!("on failure: run `rollback` with SLIPWAY_VERSION={p}"),
            (Some(p), None) => format!("on failure: run `deploy` again with SLIPWAY_VERSION={p}"),
        });
        Ok(steps)
    }

    fn status(&mut self) -> Result<Live, super::Error> {
        let records = history::read(&self.store)?;
        let version = live_from_history(&records);
        let mut retained: Vec<String> = Vec::new();
        for r in records.iter().rev() {
            if r.outcome == RecordOutcome::Success
                && Some(&r.change.version) != version.as_ref()
                && !retained.contains(&r.change.version)
            {
                retained.push(r.change.version.clone());
            }
        }
        Ok(Live {
            version,
            retained,
            url: self.url.clone(),
            ..Live::default()
        })
    }

    fn deploy(
        &mut self,
        request: &Request,
        journal: &Journal<'_>,
        progress: &mut dyn Progress,
    ) -> Result<DeployOutcome, super::Error> {
        let previous = self.live_version()?;
        journal.write(&Entry::new(
            super::Change::deploy(request, previous.clone()),
            RUNNING,
        ))?;
        let mut run = self.commands.clone();
        run.health = request.health.clone();
        run.strategy = strategy_name(request.strategy).to_owned();
        progress.step(&format!("running `deploy` for {}", request.version));
        let report = run
            .deploy(&request.version, previous.as_deref())
            .map_err(|e| super::Error::Command {
                what: e.to_string(),
                stderr: String::new(),
            })?;
        self.finish(report, &request.version, previous, journal, progress)
    }

    fn rollback(
        &mut self,
        request: &RollbackRequest,
        to: &str,
        journal: &Journal<'_>,
        progress: &mut dyn Progress,
    ) -> Result<DeployOutcome, super::Error> {
        let live = self.live_version()?;
        journal.write(&Entry::new(
            super::Change::rollback(request, to, live.clone()),
            RUNNING,
        ))?;
        let mut run = self.commands.clone();
        run.health = request.health.clone();
        progress.step(&format!("putting {to} back"));
        let report = run
            .rollback(to, live.as_deref())
            .map_err(|e| super::Error::Command {
                what: e.to_string(),
                stderr: String::new(),
            })?;
        // A failed rollback leaves what was live (as far as the commands tell).
        let report = match report.outcome {
            Outcome::Failed { reason } => Report {
                outcome: Outcome::RolledBack { reason },
                steps: report.steps,
            },
            o => Report {
                outcome: o,
                steps: report.steps,
            },
        };
        let mut outcome = self.finish(report, to, live, journal, progress)?;
        if outcome.status == Status::RolledBack {
            outcome.status = Status::Failure;
        }
        Ok(outcome)
    }

    fn recover(
        &mut self,
        entry: &Entry,
        journal: &Journal<'_>,
        progress: &mut dyn Progress,
    ) -> Result<Recovery, super::Error> {
        // The commands cannot say how far they got: put the version live before back.
        let detail = match entry.change.previous.as_deref() {
            Some(previous) => {
                progress.step(&format!(
                    "putting {previous} back after the interrupted run"
                ));
                let report = self
                    .commands
                    .rollback(previous, Some(&entry.change.version))
                    .map_err(|e| super::Error::Command {
                        what: e.to_string(),
                        stderr: String::new(),
                    })?;
                match report.outcome {
                    Outcome::Deployed => format!("put {previous} back"),
                    Outcome::RolledBack { reason } | Outcome::Failed { reason } => {
                        return Err(super::Error::Command {
                            what: format!(
                                "could not put {previous} back after an interrupted run: {reason}"
                            ),
                            stderr: String::new(),
                        });
                    }
                }
            }
            None => "nothing was live before; nothing to put back".to_owned(),
        };
        journal.clear()?;
        Ok(Recovery {
            interrupted: entry.clone(),
            action: RecoveryAction::Reverted,
            detail,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Step {
        let mut s = Step::shell("t", script, Duration::from_secs(10));
        s.stream = false;
        s
    }

    #[test]
    fn exit_codes_and_output_come_back() {
        let ran = run(&sh("echo one; echo two >&2; exit 3")).expect("run");
        assert_eq!(ran.code, Some(3));
        assert!(!ran.success());
        assert_eq!(ran.failure(), "exit code 3");
        assert_eq!(ran.stdout, "one\n");
        assert!(ran.tail.contains(&"two".to_owned()));
    }

    #[test]
    fn a_timeout_stops_the_whole_process_group() {
        let dir = tempfile::tempdir().expect("dir");
        let marker = dir.path().join("survived");
        let script = format!("(sleep 2; touch '{}') & sleep 30", marker.display());
        let mut step = sh(&script);
        step.timeout = Duration::from_millis(300);
        let ran = run(&step).expect("run");
        assert!(ran.timed_out);
        assert!(ran.elapsed < Duration::from_secs(5), "{:?}", ran.elapsed);
        assert_eq!(ran.failure().split(' ').next(), Some("timed"));
        std::thread::sleep(Duration::from_millis(2500));
        assert!(
            !marker.exists(),
            "a child of the shell outlived the timeout"
        );
    }

    #[test]
    fn background_children_holding_the_pipes_do_not_hang_the_step() {
        let started = Instant::now();
        let ran = run(&sh("sleep 5 & echo started")).expect("run");
        assert!(ran.success());
        assert_eq!(ran.stdout, "started\n");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn registered_secrets_are_masked_in_the_output() {
        crate::github::runtime().mask_str("hunter2-deploy-secret");
        let ran = run(&sh("echo token=hunter2-deploy-secret")).expect("run"); // slipway:allow generic-secret (a test value)
        assert_eq!(ran.stdout, "token=***\n");
    }

    #[test]
    fn a_missing_program_is_a_spawn_error() {
        let mut step = sh("true");
        step.program = PathBuf::from("/nonexistent/sh");
        assert!(matches!(run(&step), Err(Error::Spawn { .. })));
    }
}
