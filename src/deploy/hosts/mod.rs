//! The `hosts` target: app instances as processes or containers on this machine or on one
//! host over ssh, behind nginx.
//!
//! Instances listen on a pool of `2 * instances` ports from `deploy.hosts.base-port`: the live
//! version holds at most half of them, so a new version always has room beside it. What runs
//! where is kept in `hosts.json` in the environment's state directory, next to the lock, the
//! journal and the history; retained versions live in `releases/<version>` there (processes) or
//! are image references (containers).
//!
//! Strategies: [`bluegreen`] (also the way a rollback and the last canary step switch),
//! [`rolling`] and [`canary`]. Every step that changes traffic is journalled first, so
//! [`Target::recover`] can finish or undo a deploy that was killed half-way.
//!
//! Stopping an instance stops every process of its group and session ([`runner`]), SIGKILL
//! after a grace period (the drain, 1 to 10 s), then checks its port is free. A rollback
//! returns as soon as the traffic is back: the colour it left drains and stops in a detached
//! process recorded in the state (`stopping`), which the next run finishes first. `deploy
//! status` reports what nginx's upstream file serves, and names a disagreement with the state.

pub mod bluegreen;
pub mod canary;
pub mod exec;
pub mod nginx;
pub mod remote_store;
pub mod rolling;
pub mod runner;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use self::exec::{Exec, Ssh, quote};
use self::nginx::{Nginx, Server};
use self::runner::{Proc, Runner};
use super::cli::Resolved;
use super::journal::Entry;
use super::{
    Color, Error, HealthSettings, Instance, Journal, Live, Outcome, Progress, Recovery,
    RecoveryAction, Request, RollbackRequest, Status, Store, Target, health,
};
use crate::config::{HostsRuntime, Strategy};
use crate::github::Secret;

/// The state file's name in the store.
pub const STATE_FILE: &str = "hosts.json";

/// Retained versions kept besides the live one; older releases are removed.
pub const KEEP_RELEASES: usize = 5;

/// What runs where, as slipway left it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The version that has the traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live: Option<String>,
    /// Its colour, for blue-green and canary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub live_color: Option<Color>,
    /// Every instance slipway started and has not stopped.
    #[serde(default)]
    pub instances: Vec<Proc>,
    /// Versions that can be started again, newest first.
    #[serde(default)]
    pub retained: Vec<Retained>,
    /// The next instance number (names are unique: `blue-7`, `r8`).
    #[serde(default)]
    pub next_id: u64,
    /// Instances being drained and stopped in the background, which the next run waits for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopping: Option<Stopping>,
}

/// A background stop: the detached process that drains and stops instances after a command
/// returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stopping {
    /// The stopper's pid and start time.
    pub handle: String,
    /// The instances it stops.
    pub names: Vec<String>,
}

/// A version that can be started again without a new artifact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retained {
    /// The version.
    pub version: String,
    /// The image reference, for containers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

/// The hosts target of one environment.
pub struct Hosts {
    environment: String,
    instances: usize,
    base_port: u16,
    address: String,
    runtime: HostsRuntime,
    image: Option<String>,
    runner: Runner,
    nginx: Nginx,
    store: Box<dyn Store>,
    rolling: crate::config::Rolling,
    canary: crate::config::Canary,
    access_log: Option<String>,
    url: Option<String>,
    /// The environment's health settings (recovery checks with them).
    health: HealthSettings,
    /// The ssh key written from the credentials; removed when the target is dropped.
    _key: Option<tempfile::NamedTempFile>,
    /// Drain and stop the colour that lost its traffic in the background (rollbacks return as
    /// soon as the traffic is back).
    background_drain: bool,
}

/// Opens the target configured for `resolved`'s environment.
pub fn open(
    resolved: &Resolved,
    app: Option<&str>,
    credentials: Option<Secret>,
) -> Result<Box<dyn Target>, Error> {
    Ok(Box::new(Hosts::new(resolved, app, credentials)?))
}

impl Hosts {
    /// The target of `resolved`'s environment (and `app`), reading `deploy.hosts`.
    pub fn new(
        resolved: &Resolved,
        app: Option<&str>,
        credentials: Option<Secret>,
    ) -> Result<Self, Error> {
        let cfg = &resolved.config.deploy.hosts;
        let project = &resolved.config.project.name;
        let env = &resolved.environment;
        let instances = usize::try_from(cfg.instances.get()).unwrap_or(usize::MAX);
        let top = u32::from(cfg.base_port) + 2 * u32::try_from(instances).unwrap_or(u32::MAX);
        if cfg.base_port == 0 || top > 65_536 {
            return Err(Error::Config {
                message: format!(
                    "`deploy.hosts.base-port` {} leaves no room for {} ports",
                    cfg.base_port,
                    2 * instances
                ),
                hint: "pick a base port so that `base-port + 2 * instances` stays under 65536, e.g. `8000`".to_owned(),
            });
        }
        let rolling = resolved.config.deploy.rolling.clone();
        if rolling.max_unavailable + rolling.max_surge == 0 {
            return Err(Error::Config {
                message: "`deploy.rolling` has `max-unavailable: 0` and `max-surge: 0`: a rollout could never start".to_owned(),
                hint: "allow at least one: `max-surge: 1` keeps every instance serving".to_owned(),
            });
        }
        let mut key_file = None;
        let exec = match &cfg.ssh {
            None => Exec::Local,
            Some(destination) => {
                let identity = match credentials
                    .as_ref()
                    .filter(|c| !c.expose().trim().is_empty())
                {
                    Some(key) => {
                        let file = write_key(key)?;
                        let path = file.path().to_path_buf();
                        key_file = Some(file);
                        Some(path)
                    }
                    None => None,
                };
                Exec::Ssh(Ssh {
                    program: std::env::var("SLIPWAY_SSH")
                        .ok()
                        .filter(|s| !s.is_empty())
                        .unwrap_or_else(|| "ssh".to_owned()),
                    destination: destination.clone(),
                    identity,
                })
            }
        };
        let address = cfg.address.clone().unwrap_or_else(|| match &cfg.ssh {
            Some(d) => d.rsplit('@').next().unwrap_or(d).to_owned(),
            None => "127.0.0.1".to_owned(),
        });
        let base = cfg
            .state_dir
            .clone()
            .unwrap_or_else(|| default_state_dir(project));
        let mut state_dir = format!("{}/{env}", base.trim_end_matches('/'));
        if let Some(a) = app {
            state_dir.push('/');
            state_dir.push_str(a);
        }
        let label = match app {
            Some(a) => format!("{project}-{env}-{a}"),
            None => format!("{project}-{env}"),
        };
        let upstream = nginx::upstream_name(cfg.upstream.as_deref().unwrap_or(&label));
        let nginx = Nginx {
            exec: exec.clone(),
            binary: cfg.nginx.binary.clone(),
            config: cfg.nginx.config.clone(),
            prefix: cfg.nginx.prefix.clone(),
            upstream_file: cfg
                .nginx
                .upstream_file
                .clone()
                .unwrap_or_else(|| format!("/etc/nginx/conf.d/{upstream}.upstream.conf")),
            upstream,
        };
        let store: Box<dyn Store> = match &exec {
            Exec::Local => Box::new(super::DirStore::new(&state_dir)),
            Exec::Ssh(_) => Box::new(remote_store::RemoteStore {
                exec: exec.clone(),
                dir: state_dir.clone(),
            }),
        };
        let loopback = address == "127.0.0.1" || address == "localhost" || address == "::1";
        let runner = Runner {
            exec,
            runtime: cfg.runtime,
            start: cfg.start.clone(),
            container_port: cfg.container_port,
            prefix: format!("slipway-{}", nginx::upstream_name(&label)),
            state_dir,
            loopback,
        };
        Ok(Self {
            environment: env.clone(),
            instances,
            base_port: cfg.base_port,
            address,
            runtime: cfg.runtime,
            image: cfg.image.clone(),
            runner,
            nginx,
            store,
            rolling,
            canary: resolved.config.deploy.canary.clone(),
            access_log: cfg.nginx.access_log.clone(),
            url: resolved.env.url.clone(),
            health: super::cli::configured_health(resolved),
            _key: key_file,
            background_drain: false,
        })
    }

    fn load(&self) -> Result<State, Error> {
        match self.store.read(STATE_FILE)? {
            None => Ok(State::default()),
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| Error::Corrupt {
                path: format!("{}/{STATE_FILE}", self.store.describe()),
                detail: e.to_string(),
            }),
        }
    }

    fn save(&self, state: &State) -> Result<(), Error> {
        let body = serde_json::to_vec_pretty(state).map_err(|e| Error::Corrupt {
            path: STATE_FILE.to_owned(),
            detail: e.to_string(),
        })?;
        self.store.write(STATE_FILE, &body)
    }

    fn addr(&self, port: u16) -> String {
        if self.address.contains(':') {
            format!("[{}]:{port}", self.address)
        } else {
            format!("{}:{port}", self.address)
        }
    }

    /// The port pool.
    fn pool(&self) -> Vec<u16> {
        let n = u16::try_from(2 * self.instances).unwrap_or(u16::MAX);
        (0..n).map(|i| self.base_port.saturating_add(i)).collect()
    }

    /// `k` pool ports no instance of ours uses.
    fn free_ports(&self, state: &State, k: usize) -> Result<Vec<u16>, Error> {
        let used: BTreeSet<u16> = state.instances.iter().map(|p| p.port).collect();
        let free: Vec<u16> = self
            .pool()
            .into_iter()
            .filter(|p| !used.contains(p))
            .take(k)
            .collect();
        if free.len() < k {
            return Err(Error::Preflight {
                message: format!(
                    "no free ports: {} instances of this environment are running on the {} ports from {}",
                    state.instances.len(),
                    2 * self.instances,
                    self.base_port
                ),
                hint: Some("`slipway deploy status` lists them; a rollback or the next deploy stops the extra ones".to_owned()),
            });
        }
        Ok(free)
    }

    /// The nginx servers of the instances that take traffic.
    fn servers(&self, state: &State) -> Vec<Server> {
        state
            .instances
            .iter()
            .filter(|p| p.in_lb)
            .map(|p| Server {
                address: self.addr(p.port),
                weight: p.weight,
            })
            .collect()
    }

    /// Writes the upstream of `state`, tests and reloads nginx.
    fn apply(&self, state: &State, note: &str) -> Result<(), Error> {
        let text = nginx::render(
            &self.nginx.upstream,
            &self.servers(state),
            &format!("{} {note}", self.environment),
        );
        self.nginx.apply(&text)
    }

    fn next_name(state: &mut State, color: Option<Color>) -> String {
        state.next_id += 1;
        match color {
            Some(c) => format!("{c}-{}", state.next_id),
            None => format!("r{}", state.next_id),
        }
    }

    /// The image of `version` for containers.
    fn image_for(&self, state: &State, version: &str, artifact: Option<&Path>) -> Option<String> {
        if let Some(a) = artifact {
            return Some(a.display().to_string());
        }
        state
            .retained
            .iter()
            .find(|r| r.version == version)
            .and_then(|r| r.image.clone())
            .or_else(|| self.image.as_ref().map(|i| format!("{i}:{version}")))
    }

    /// Starts `k` instances of `version`, recording each in the state as it starts.
    fn start_many(
        &self,
        state: &mut State,
        version: &str,
        color: Option<Color>,
        k: usize,
        progress: &mut dyn Progress,
    ) -> Result<Vec<String>, Error> {
        let ports = self.free_ports(state, k)?;
        let image = self.image_for(state, version, None);
        let mut names = Vec::new();
        for port in ports {
            let name = Self::next_name(state, color);
            let proc = self
                .runner
                .start(&name, port, version, color, image.as_deref())?;
            progress.step(&format!(
                "started {name} ({version}) on {}",
                self.addr(port)
            ));
            state.instances.push(proc);
            self.save(state)?;
            names.push(name);
        }
        Ok(names)
    }

    fn procs<'a>(state: &'a State, names: &[String]) -> Vec<&'a Proc> {
        state
            .instances
            .iter()
            .filter(|p| names.contains(&p.name))
            .collect()
    }

    /// Health-checks the named instances in parallel; the error names the first that failed
    /// and shows the end of its log.
    fn check_health(
        &self,
        state: &State,
        names: &[String],
        health: &HealthSettings,
    ) -> Result<(), String> {
        let procs = Self::procs(state, names);
        let results: Vec<(String, Result<Duration, String>)> = std::thread::scope(|s| {
            let handles: Vec<_> = procs
                .iter()
                .map(|p| {
                    let addr = self.addr(p.port);
                    let name = p.name.clone();
                    s.spawn(move || {
                        (
                            name,
                            health::wait_healthy(
                                &addr,
                                &health.path,
                                health.interval,
                                health.timeout,
                                health.deadline,
                            ),
                        )
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        (String::new(), Err("health check panicked".to_owned()))
                    })
                })
                .collect()
        });
        for (name, r) in results {
            if let Err(e) = r {
                let tail = self.runner.log_tail(&name);
                let tail = if tail.is_empty() {
                    String::new()
                } else {
                    format!(" (last log lines: {})", tail.replace('\n', " | "))
                };
                return Err(format!("{name} failed its health check: {e}{tail}"));
            }
        }
        // A process that could not bind its port exits; whatever answered was not it.
        let alive = self.runner.alive(&procs).map_err(|e| e.to_string())?;
        if let Some((p, _)) = procs.iter().zip(&alive).find(|(_, a)| !**a) {
            let tail = self.runner.log_tail(&p.name).replace('\n', " | ");
            return Err(format!(
                "{} exited although {} answered its health check (is the port taken by another process?){}",
                p.name,
                self.addr(p.port),
                if tail.is_empty() {
                    String::new()
                } else {
                    format!(" (last log lines: {tail})")
                }
            ));
        }
        Ok(())
    }

    /// Runs the smoke tests against the first named instance.
    fn smoke(
        &self,
        state: &State,
        names: &[String],
        smoke: &crate::config::Smoke,
        health: &HealthSettings,
    ) -> Result<(), String> {
        let Some(p) = Self::procs(state, names).into_iter().next() else {
            return Ok(());
        };
        let addr = self.addr(p.port);
        for path in &smoke.paths {
            let r = health::get(&addr, path, health.timeout)?;
            if !r.is_success() {
                return Err(format!(
                    "smoke test GET {path} on {addr} answered {}",
                    r.status
                ));
            }
        }
        if let Some(cmd) = &smoke.command {
            let url = format!("http://{addr}");
            let mut child = std::process::Command::new("sh")
                .arg("-c")
                .arg(cmd)
                .env("SLIPWAY_URL", &url)
                .env("SLIPWAY_ENVIRONMENT", &self.environment)
                .env("SLIPWAY_VERSION", &p.version)
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot run the smoke command: {e}"))?;
            let started = Instant::now();
            let status = loop {
                match child.try_wait() {
                    Ok(Some(s)) => break s,
                    Ok(None) if started.elapsed() > health.deadline => {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Err(format!(
                            "the smoke command did not finish within {}s",
                            health.deadline.as_secs()
                        ));
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                    Err(e) => return Err(format!("waiting for the smoke command: {e}")),
                }
            };
            if !status.success() {
                let out = child
                    .wait_with_output()
                    .map(|o| {
                        let mut s = String::from_utf8_lossy(&o.stdout).into_owned();
                        s.push_str(&String::from_utf8_lossy(&o.stderr));
                        s
                    })
                    .unwrap_or_default();
                let last = out.trim().lines().last().unwrap_or("").to_owned();
                let last = crate::github::redact(&last).into_owned();
                return Err(format!(
                    "the smoke command failed against {url} ({}){}",
                    status
                        .code()
                        .map_or_else(|| "killed".to_owned(), |c| format!("exit {c}")),
                    if last.is_empty() {
                        String::new()
                    } else {
                        format!(": {last}")
                    }
                ));
            }
        }
        Ok(())
    }

    /// Probes the named instances every interval for `period`; the first instance that fails
    /// two probes in a row, or whose process is gone, ends the watch with the reason.
    fn watch(
        &self,
        state: &State,
        names: &[String],
        period: Duration,
        health: &HealthSettings,
    ) -> Result<(), String> {
        let procs = Self::procs(state, names);
        let started = Instant::now();
        let mut misses = vec![0u32; procs.len()];
        loop {
            for (i, p) in procs.iter().enumerate() {
                let addr = self.addr(p.port);
                match health::probe(&addr, &health.path, health.timeout) {
                    Ok(()) => misses[i] = 0,
                    Err(e) => {
                        misses[i] += 1;
                        let gone = e.contains("refused")
                            && !self.runner.alive(&[p]).map(|a| a[0]).unwrap_or(true);
                        if misses[i] >= 2 || gone {
                            let what = if gone { "exited" } else { "became unhealthy" };
                            return Err(format!("{} {what} after taking traffic: {e}", p.name));
                        }
                    }
                }
            }
            if started.elapsed() >= period {
                return Ok(());
            }
            let left = period.saturating_sub(started.elapsed());
            std::thread::sleep(health.interval.min(left).max(Duration::from_millis(10)));
        }
    }

    /// How long an instance has to exit after SIGTERM before it gets SIGKILL: as long as it
    /// had to drain, at least 1 s and at most 10 s.
    fn grace(&self) -> Duration {
        self.health
            .drain
            .clamp(Duration::from_secs(1), Duration::from_secs(10))
    }

    /// Stops the named instances (every process of their groups), checks that their ports
    /// are free, and forgets them.
    fn stop(&self, state: &mut State, names: &[String]) -> Result<(), Error> {
        let procs = Self::procs(state, names);
        if procs.is_empty() {
            return Ok(());
        }
        let ports: Vec<(String, u16)> = procs.iter().map(|p| (p.name.clone(), p.port)).collect();
        self.runner.stop(&procs, millis(self.grace()))?;
        state.instances.retain(|p| !names.contains(&p.name));
        self.save(state)?;
        self.check_ports_freed(&ports)
    }

    /// Fails when one of `ports` still accepts connections a moment after its instance was
    /// stopped: something outside the instance's process group holds it.
    fn check_ports_freed(&self, ports: &[(String, u16)]) -> Result<(), Error> {
        for (name, port) in ports {
            let addr = self.addr(*port);
            let started = Instant::now();
            while port_in_use(&addr) {
                if started.elapsed() > Duration::from_secs(2) {
                    return Err(Error::Command {
                        what: format!(
                            "port {port} on {} still accepts connections after {name} was stopped",
                            self.address
                        ),
                        stderr: "a process outside the instance's process group holds it (one that started its own session, e.g. a daemon that forks twice); run the app in the foreground".to_owned(),
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Ok(())
    }

    /// Takes the named instances out of service now and stops them in a detached process
    /// after `delay` (the drain), so the command can return; the next run waits for it.
    fn stop_later(
        &self,
        state: &mut State,
        names: &[String],
        delay: Duration,
    ) -> Result<(), Error> {
        self.finish_stopping(state)?;
        let procs = Self::procs(state, names);
        if procs.is_empty() {
            return Ok(());
        }
        let grace = self.grace();
        let handle = self
            .runner
            .stop_later(&procs, millis(delay), millis(grace))?;
        state.stopping = Some(Stopping {
            handle,
            names: names.to_vec(),
        });
        self.save(state)
    }

    /// Finishes a background stop of an earlier run at once: the stopper (still draining, or
    /// killed with its host) is stopped, and so is whatever it has not stopped yet. Their
    /// traffic moved away when that run returned.
    fn finish_stopping(&self, state: &mut State) -> Result<(), Error> {
        let Some(stopping) = state.stopping.clone() else {
            return Ok(());
        };
        let stopper = Proc {
            name: String::new(),
            port: 0,
            version: String::new(),
            color: None,
            handle: stopping.handle.clone(),
            in_lb: false,
            weight: None,
        };
        let left: Vec<String> = stopping
            .names
            .iter()
            .filter(|n| {
                Self::procs(state, std::slice::from_ref(n))
                    .iter()
                    .any(|p| !p.in_lb)
            })
            .cloned()
            .collect();
        state.stopping = None;
        if self.runtime == HostsRuntime::Process {
            // One pass stops the stopper and the instances together.
            let mut procs = Self::procs(state, &left);
            let ports: Vec<(String, u16)> =
                procs.iter().map(|p| (p.name.clone(), p.port)).collect();
            procs.insert(0, &stopper);
            self.runner.stop(&procs, millis(self.grace()))?;
            state.instances.retain(|p| !left.contains(&p.name));
            self.save(state)?;
            return self.check_ports_freed(&ports);
        }
        // The stopper is a process whatever runs the instances.
        let processes = Runner {
            runtime: HostsRuntime::Process,
            ..self.runner.clone()
        };
        processes.stop(&[&stopper], 1_000)?;
        self.stop(state, &left)?;
        self.save(state)
    }

    /// Stops instances whose pid file is on the host but which the state does not know: a
    /// slipway killed between starting one and recording it.
    fn stop_unrecorded(&self, state: &mut State) -> Result<(), Error> {
        let orphans: Vec<Proc> = self
            .runner
            .pid_files()?
            .into_iter()
            .filter(|(name, _)| !state.instances.iter().any(|p| &p.name == name))
            .map(|(name, handle)| Proc {
                name,
                port: 0,
                version: String::new(),
                color: None,
                handle,
                in_lb: false,
                weight: None,
            })
            .collect();
        if orphans.is_empty() {
            return Ok(());
        }
        let refs: Vec<&Proc> = orphans.iter().collect();
        self.runner.stop(&refs, millis(self.grace()))
    }

    /// Makes `version` startable: copies the artifact into `releases/<version>` (processes)
    /// or records the image (containers). A version already retained is kept as it is:
    /// version labels are immutable.
    fn stage(
        &self,
        state: &mut State,
        request: &Request,
        progress: &mut dyn Progress,
    ) -> Result<(), Error> {
        let version = &request.version;
        if self.runtime != HostsRuntime::Process {
            let image = self.image_for(state, version, request.artifact.as_deref());
            state.retained.retain(|r| &r.version != version);
            state.retained.insert(
                0,
                Retained {
                    version: version.clone(),
                    image,
                },
            );
            return self.save(state);
        }
        let dst = self.runner.release_dir(version);
        let exists = self
            .runner
            .exec
            .run(&format!("[ -d {} ]", quote(&dst)), None)?
            .ok();
        if let Some(src) = &request.artifact {
            if exists {
                progress.step(&format!(
                    "version {version} is already retained; its artifact is kept"
                ));
            } else {
                self.copy_artifact(src, &dst)?;
                progress.step(&format!("retained {} as {dst}", src.display()));
            }
        } else if !exists {
            return Err(self.unknown_version(state, version));
        }
        if !state.retained.iter().any(|r| &r.version == version) {
            state.retained.insert(
                0,
                Retained {
                    version: version.clone(),
                    image: None,
                },
            );
        }
        self.save(state)
    }

    fn copy_artifact(&self, src: &Path, dst: &str) -> Result<(), Error> {
        let tar = std::process::Command::new("tar")
            .arg("-C")
            .arg(if src.is_dir() {
                src
            } else {
                src.parent().unwrap_or(Path::new("."))
            })
            .arg("-cf")
            .arg("-")
            .arg(if src.is_dir() {
                std::ffi::OsString::from(".")
            } else {
                src.file_name()
                    .map(std::ffi::OsStr::to_os_string)
                    .unwrap_or_default()
            })
            .output()
            .map_err(|e| Error::Command {
                what: format!("packing `{}` with tar: {e}", src.display()),
                stderr: String::new(),
            })?;
        if !tar.status.success() {
            return Err(Error::Command {
                what: format!("packing `{}` with tar", src.display()),
                stderr: String::from_utf8_lossy(&tar.stderr).trim().to_owned(),
            });
        }
        let d = quote(dst);
        let script = format!(
            "t={d}.incoming.$$; rm -rf \"$t\" && mkdir -p \"$t\" && tar -C \"$t\" -xf - && mv \"$t\" {d}"
        );
        self.runner
            .exec
            .check(
                &format!("copying the artifact to `{dst}`"),
                &script,
                Some(&tar.stdout),
            )
            .map(|_| ())
    }

    fn unknown_version(&self, state: &State, version: &str) -> Error {
        Error::UnknownVersion {
            version: version.to_owned(),
            environment: self.environment.clone(),
            retained: state.retained.iter().map(|r| r.version.clone()).collect(),
        }
    }

    /// Removes releases beyond [`KEEP_RELEASES`], never the live one or one running.
    fn prune(&self, state: &mut State) -> Result<(), Error> {
        let running: BTreeSet<String> = state.instances.iter().map(|p| p.version.clone()).collect();
        let mut kept = 0;
        let mut drop = Vec::new();
        state.retained.retain(|r| {
            let keep = state.live.as_deref() == Some(&r.version)
                || running.contains(&r.version)
                || kept < KEEP_RELEASES;
            if keep {
                kept += 1;
            } else {
                drop.push(r.version.clone());
            }
            keep
        });
        if self.runtime == HostsRuntime::Process && !drop.is_empty() {
            let dirs: Vec<String> = drop
                .iter()
                .map(|v| quote(&self.runner.release_dir(v)))
                .collect();
            self.runner.exec.check(
                "removing old releases",
                &format!("rm -rf {}", dirs.join(" ")),
                None,
            )?;
        }
        self.save(state)
    }

    fn live(&self, state: &State) -> Live {
        Live {
            version: state.live.clone(),
            color: state.live_color,
            instances: state
                .instances
                .iter()
                .filter(|p| p.in_lb)
                .map(|p| Instance {
                    name: p.name.clone(),
                    address: self.addr(p.port),
                    version: p.version.clone(),
                    color: p.color,
                    weight: p.weight,
                })
                .collect(),
            retained: state.retained.iter().map(|r| r.version.clone()).collect(),
            url: self.url.clone(),
            disagreement: None,
        }
    }

    /// `live` corrected to what nginx is configured to serve (the `server` lines of the
    /// upstream file), when that differs from the state: a deploy killed after its switch and
    /// before recording it leaves the state one version behind. The disagreement is named.
    fn actually_serving(&self, state: &State, live: &mut Live, upstream: &str) {
        let served = nginx::parse_servers(upstream);
        let recorded: BTreeSet<&str> = live.instances.iter().map(|i| i.address.as_str()).collect();
        let actual: BTreeSet<&str> = served.iter().map(|s| s.address.as_str()).collect();
        if recorded == actual {
            return;
        }
        let instances: Vec<Instance> = served
            .iter()
            .map(|s| {
                match state
                    .instances
                    .iter()
                    .find(|p| self.addr(p.port) == s.address)
                {
                    Some(p) => Instance {
                        name: p.name.clone(),
                        address: s.address.clone(),
                        version: p.version.clone(),
                        color: p.color,
                        weight: s.weight,
                    },
                    None => Instance {
                        name: "unknown".to_owned(),
                        address: s.address.clone(),
                        version: "unknown".to_owned(),
                        color: None,
                        weight: s.weight,
                    },
                }
            })
            .collect();
        // The version with the most traffic (weights count; unweighted servers count 1).
        let mut shares: Vec<(String, Option<Color>, u64)> = Vec::new();
        for i in &instances {
            let w = u64::from(i.weight.unwrap_or(1));
            match shares.iter_mut().find(|(v, _, _)| *v == i.version) {
                Some(entry) => entry.2 += w,
                None => shares.push((i.version.clone(), i.color, w)),
            }
        }
        let top = shares.iter().max_by_key(|(_, _, w)| *w).cloned();
        let was = live.version.clone().unwrap_or_else(|| "nothing".to_owned());
        let now = top
            .as_ref()
            .map_or("nothing", |(v, _, _)| v.as_str())
            .to_owned();
        let addresses: Vec<&str> = actual.iter().copied().collect();
        live.disagreement = Some(format!(
            "the state records `{was}` live but nginx serves `{now}` ({}); a deploy was interrupted before recording its switch, and the next deploy or rollback reconciles the two",
            if addresses.is_empty() {
                "no server".to_owned()
            } else {
                addresses.join(", ")
            }
        ));
        live.version = top.as_ref().map(|(v, _, _)| v.clone());
        live.color = top.and_then(|(_, c, _)| c);
        live.instances = instances;
    }

    fn outcome(
        &self,
        state: &State,
        status: Status,
        previous: Option<String>,
        reason: Option<String>,
        steps: Vec<String>,
    ) -> Outcome {
        Outcome {
            status,
            previous,
            live: self.live(state),
            reason,
            steps,
        }
    }

    /// Finishes an earlier background stop, stops instances slipway started but never
    /// recorded, and forgets instances whose processes are gone (crashed, or stopped by hand).
    fn reconcile(&self, state: &mut State) -> Result<(), Error> {
        self.finish_stopping(state)?;
        self.stop_unrecorded(state)?;
        if self.forget_gone(state)? {
            self.save(state)?;
        }
        Ok(())
    }

    /// Drops instances whose process is gone from `state` (in memory); true when any was.
    fn forget_gone(&self, state: &mut State) -> Result<bool, Error> {
        let procs: Vec<&Proc> = state.instances.iter().collect();
        let alive = self.runner.alive(&procs)?;
        let gone: Vec<String> = state
            .instances
            .iter()
            .zip(alive)
            .filter(|(_, a)| !a)
            .map(|(p, _)| p.name.clone())
            .collect();
        state.instances.retain(|p| !gone.contains(&p.name));
        Ok(!gone.is_empty())
    }

    /// Checks that change nothing: the host answers (ssh), the start command is set, nginx
    /// is installed and its current config passes `nginx -t`.
    fn check_host(&self) -> Result<(), Error> {
        if let Exec::Ssh(_) = &self.runner.exec {
            let out = self.runner.exec.run("true", None)?;
            if !out.ok() {
                let e = self.runner.exec.failed("connecting", &out);
                return Err(Error::Preflight {
                    message: format!("cannot reach the deploy host: {e}"),
                    hint: Some(format!(
                        "check `deploy.hosts.ssh`, that the host is up and that the `credentials` input holds a key it accepts; ssh said: {}",
                        crate::github::redact(out.stderr.trim().lines().last().unwrap_or(""))
                    )),
                });
            }
        }
        if self.runtime == HostsRuntime::Process && self.runner.start.is_none() {
            return Err(Error::Config {
                message: "`deploy.hosts.start` is not set".to_owned(),
                hint: "set how one instance starts, e.g. `start: ./app --port {port}`".to_owned(),
            });
        }
        self.nginx.preflight()
    }

    /// Checks that the `need` ports new instances would take are not used by processes
    /// slipway did not start.
    fn check_ports(&self, state: &State, need: usize) -> Result<(), Error> {
        for port in self.free_ports(state, need)? {
            let addr = self.addr(port);
            if port_in_use(&addr) {
                return Err(Error::Preflight {
                    message: format!(
                        "port {port} on {} is in use by a process slipway did not start",
                        self.address
                    ),
                    hint: Some(format!(
                        "stop it, or move the pool with `deploy.hosts.base-port` (ports {} to {} are used)",
                        self.base_port,
                        u32::from(self.base_port) + 2 * u32::try_from(self.instances).unwrap_or(0)
                            - 1
                    )),
                });
            }
        }
        Ok(())
    }

    /// Puts `version` back as the only version with traffic: keeps its running instances,
    /// starts more up to the instance count, checks them, switches nginx, stops the rest.
    /// With no version (a first deploy that never finished) every instance is stopped.
    fn restore(
        &self,
        state: &mut State,
        version: Option<&str>,
        health: &HealthSettings,
        progress: &mut dyn Progress,
    ) -> Result<(), Error> {
        self.reconcile(state)?;
        let Some(version) = version else {
            for p in &mut state.instances {
                p.in_lb = false;
                p.weight = None;
            }
            self.apply(state, "nothing live")?;
            let all: Vec<String> = state.instances.iter().map(|p| p.name.clone()).collect();
            self.stop(state, &all)?;
            state.live = None;
            state.live_color = None;
            return self.save(state);
        };
        let mut keep: Vec<String> = state
            .instances
            .iter()
            .filter(|p| p.version == version)
            .map(|p| p.name.clone())
            .collect();
        keep.truncate(self.instances);
        let color = Self::procs(state, &keep).first().and_then(|p| p.color);
        if keep.len() < self.instances {
            let missing = self.instances - keep.len();
            progress.step(&format!(
                "starting {missing} instance(s) of {version} again"
            ));
            let started = self.start_many(state, version, color, missing, progress)?;
            if let Err(why) = self.check_health(state, &started, health) {
                return Err(Error::Command {
                    what: format!("the previous version {version} could not be restored: {why}"),
                    stderr: String::new(),
                });
            }
            keep.extend(started);
        }
        for p in &mut state.instances {
            p.in_lb = keep.contains(&p.name);
            p.weight = None;
        }
        self.apply(state, version)?;
        state.live = Some(version.to_owned());
        state.live_color = color;
        self.save(state)?;
        let rest: Vec<String> = state
            .instances
            .iter()
            .filter(|p| !keep.contains(&p.name))
            .map(|p| p.name.clone())
            .collect();
        self.stop(state, &rest)
    }
}

/// `$XDG_STATE_HOME/slipway/<project>`, or `~/.local/state/slipway/<project>`.
fn default_state_dir(project: &str) -> String {
    let base = std::env::var("XDG_STATE_HOME")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| {
            std::env::var("HOME")
                .ok()
                .filter(|s| !s.is_empty())
                .map(|h| format!("{h}/.local/state"))
        })
        .unwrap_or_else(|| "/var/tmp".to_owned());
    format!("{base}/slipway/{project}")
}

/// Writes an ssh private key to a 0600 temporary file.
fn write_key(key: &Secret) -> Result<tempfile::NamedTempFile, Error> {
    use std::io::Write as _;
    let err = |source| Error::State {
        what: "writing the ssh key from the credentials to a temporary file".to_owned(),
        source,
    };
    let mut file = tempfile::Builder::new()
        .prefix("slipway-ssh-key.")
        .tempfile()
        .map_err(err)?;
    let mut text = key.expose().trim_end().replace("\r\n", "\n");
    text.push('\n');
    file.write_all(text.as_bytes()).map_err(err)?;
    file.as_file().sync_all().map_err(err)?;
    // tempfile creates files 0600 on unix.
    Ok(file)
}

impl Target for Hosts {
    fn id(&self) -> &'static str {
        "hosts"
    }

    fn store(&self) -> &dyn Store {
        &*self.store
    }

    fn preflight(&mut self, request: &Request) -> Result<(), Error> {
        self.check_host()?;
        let state = self.load()?;
        match self.runtime {
            HostsRuntime::Process => match &request.artifact {
                Some(a) if !a.exists() => {
                    return Err(Error::Preflight {
                        message: format!("the artifact `{}` does not exist", a.display()),
                        hint: Some("pass the directory or file the build produced, e.g. `--artifact dist/`".to_owned()),
                    });
                }
                Some(_) => {}
                None => {
                    let dir = self.runner.release_dir(&request.version);
                    if !self
                        .runner
                        .exec
                        .run(&format!("[ -d {} ]", quote(&dir)), None)?
                        .ok()
                    {
                        return Err(self.unknown_version(&state, &request.version));
                    }
                }
            },
            HostsRuntime::Podman | HostsRuntime::Docker => {
                let Some(image) =
                    self.image_for(&state, &request.version, request.artifact.as_deref())
                else {
                    return Err(Error::Config {
                        message: "no image to run".to_owned(),
                        hint: "pass the image as `--artifact` (the action's `artifact` input) or set `deploy.hosts.image`".to_owned(),
                    });
                };
                let out = self
                    .runner
                    .exec
                    .run(&self.runner.image_script(&image), None)?;
                if !out.ok() {
                    return Err(Error::UnknownVersion {
                        version: format!("{} ({image})", request.version),
                        environment: self.environment.clone(),
                        retained: state.retained.iter().map(|r| r.version.clone()).collect(),
                    });
                }
            }
        }
        // The ports the new instances will take must be free of processes slipway did not
        // start (a leftover dev server, another app).
        // (Instances that are gone are left out here, in memory only: a preflight writes
        // nothing.)
        let mut state = state;
        self.forget_gone(&mut state)?;
        let need = match request.strategy {
            Strategy::Rolling if state.live.is_some() => usize::try_from(self.rolling.max_surge)
                .unwrap_or(usize::MAX)
                .min(self.instances)
                .max(1),
            _ => self.instances,
        };
        self.check_ports(&state, need)
    }

    fn plan(&mut self, request: &Request) -> Result<Vec<String>, Error> {
        let state = self.load()?;
        let mut steps = Vec::new();
        if let Ok(Some(entry)) = Journal::new(&*self.store).read() {
            steps.push(format!(
                "recover the interrupted {} of {} (step `{}`): complete it if the new version is healthy, else revert",
                entry.change.operation.as_str(),
                entry.change.version,
                entry.phase
            ));
        }
        steps.push(format!(
            "take the lock of `{}` in {}",
            self.environment,
            self.store.describe()
        ));
        steps.push(format!(
            "check nginx (`{}`), the ports from {} on {}, and that version {} exists{}",
            self.nginx.binary,
            self.base_port,
            self.runner.exec.describe(),
            request.version,
            request
                .artifact
                .as_ref()
                .map(|a| format!(" (artifact `{}`)", a.display()))
                .unwrap_or_default()
        ));
        let live = state.live.clone().unwrap_or_else(|| "nothing".to_owned());
        let h = &request.health;
        let n = self.instances;
        match request.strategy {
            Strategy::BlueGreen => {
                let color = state.live_color.map_or(Color::Blue, Color::other);
                steps.push(format!(
                    "start {n} {color} instance(s) of {} beside the live {live}",
                    request.version
                ));
                steps.push(format!(
                    "GET {} on each until 2xx (every {:?}, timeout {:?}, deadline {:?})",
                    h.path, h.interval, h.timeout, h.deadline
                ));
                if !request.smoke.is_empty() {
                    steps.push("run the smoke tests against a new instance".to_owned());
                }
                steps.push(format!(
                    "write `{}` with only the {color} instances, `nginx -t`, `nginx -s reload`",
                    self.nginx.upstream_file
                ));
                steps.push(format!("drain the old instances for {:?} while watching the new ones; switch back if they fail", h.drain));
                steps.push("stop the old instances; keep their version for rollback".to_owned());
            }
            Strategy::Rolling => {
                let b = (self.rolling.max_surge + self.rolling.max_unavailable).max(1);
                steps.push(format!(
                    "replace the {n} instance(s) of {live} in batches of {b} (max-surge {}, max-unavailable {}): start, check {}, add to nginx, take an old one out, drain {:?}, stop it",
                    self.rolling.max_surge, self.rolling.max_unavailable, h.path, h.drain
                ));
                steps.push("on the first unhealthy batch: stop, and restore the old version on the instances replaced".to_owned());
            }
            Strategy::Canary => {
                let weights: Vec<String> = self
                    .canary
                    .steps
                    .steps()
                    .iter()
                    .map(|p| format!("{}%", p.get()))
                    .collect();
                steps.push(format!(
                    "start {n} instance(s) of {} beside the live {live} and check them",
                    request.version
                ));
                steps.push(format!(
                    "shift traffic in steps of {} (nginx weight=), {:?} each, checking health and an error rate under {}%",
                    weights.join(", "),
                    self.canary.pause.as_std(),
                    self.canary.max_error_rate.get()
                ));
                steps.push("promote at 100%, or roll back to the live version".to_owned());
            }
        }
        steps.push(format!(
            "append the result to {}/{}",
            self.store.describe(),
            super::history::FILE
        ));
        Ok(steps)
    }

    fn status(&mut self) -> Result<Live, Error> {
        let state = self.load()?;
        let mut live = self.live(&state);
        // What nginx is configured to serve is the truth; the state is what slipway last
        // recorded.
        match self.nginx.read() {
            Ok(Some(upstream)) => self.actually_serving(&state, &mut live, &upstream),
            Ok(None) => {}
            Err(e) => {
                live.disagreement = Some(format!(
                    "what nginx serves could not be read, so this is the recorded state only: {e}"
                ));
            }
        }
        Ok(live)
    }

    fn deploy(
        &mut self,
        request: &Request,
        journal: &Journal<'_>,
        progress: &mut dyn Progress,
    ) -> Result<Outcome, Error> {
        let mut state = self.load()?;
        self.reconcile(&mut state)?;
        self.stage(&mut state, request, progress)?;
        let mut entry = Entry::new(
            super::Change::deploy(request, state.live.clone()),
            "starting",
        );
        journal.write(&entry)?;
        let result = match request.strategy {
            Strategy::BlueGreen => {
                bluegreen::deploy(self, &mut state, request, &mut entry, journal, progress)
            }
            Strategy::Rolling => {
                rolling::deploy(self, &mut state, request, &mut entry, journal, progress)
            }
            Strategy::Canary => {
                canary::deploy(self, &mut state, request, &mut entry, journal, progress)
            }
        };
        if result.is_ok() {
            let _ = self.prune(&mut state);
            journal.clear()?;
        }
        result
    }

    fn rollback(
        &mut self,
        request: &RollbackRequest,
        to: &str,
        journal: &Journal<'_>,
        progress: &mut dyn Progress,
    ) -> Result<Outcome, Error> {
        let mut state = self.load()?;
        self.reconcile(&mut state)?;
        let previous = state.live.clone();
        if previous.as_deref() == Some(to) {
            progress.step(&format!("{to} is already live"));
            return Ok(self.outcome(
                &state,
                Status::Success,
                previous,
                None,
                vec![format!("{to} is already live")],
            ));
        }
        let retained = state.retained.iter().any(|r| r.version == to)
            && (self.runtime != HostsRuntime::Process
                || self
                    .runner
                    .exec
                    .run(
                        &format!("[ -d {} ]", quote(&self.runner.release_dir(to))),
                        None,
                    )?
                    .ok());
        if !retained {
            return Err(self.unknown_version(&state, to));
        }
        self.check_host()?;
        self.check_ports(&state, self.instances)?;
        let mut entry = Entry::new(super::Change::rollback(request, to, previous), "starting");
        journal.write(&entry)?;
        let r = Request {
            environment: request.environment.clone(),
            app: request.app.clone(),
            version: to.to_owned(),
            strategy: Strategy::BlueGreen,
            artifact: None,
            health: request.health.clone(),
            smoke: crate::config::Smoke::default(),
            actor: request.actor.clone(),
            commit: None,
            reason: request.reason.clone(),
        };
        self.background_drain = true;
        let result = bluegreen::deploy(self, &mut state, &r, &mut entry, journal, progress);
        self.background_drain = false;
        if result.is_ok() {
            journal.clear()?;
        }
        result
    }

    fn recover(
        &mut self,
        entry: &Entry,
        _journal: &Journal<'_>,
        progress: &mut dyn Progress,
    ) -> Result<Recovery, Error> {
        let mut state = self.load()?;
        self.reconcile(&mut state)?;
        let health = self.health.clone();
        let new: Vec<String> = entry
            .data
            .get("new")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_default();
        let switched = matches!(
            entry.phase.as_str(),
            "switching" | "draining" | "stopping-old"
        );
        let all_new_running = !new.is_empty() && Self::procs(&state, &new).len() == new.len();
        if switched && all_new_running {
            // Instances that had traffic answer at once or not at all.
            let quick = HealthSettings {
                deadline: health.deadline.min(Duration::from_secs(5)),
                ..health.clone()
            };
            if self.check_health(&state, &new, &quick).is_ok() {
                for p in &mut state.instances {
                    p.in_lb = new.contains(&p.name);
                    p.weight = None;
                }
                self.apply(&state, &entry.change.version)?;
                state.live = Some(entry.change.version.clone());
                state.live_color = Self::procs(&state, &new).first().and_then(|p| p.color);
                self.save(&state)?;
                let rest: Vec<String> = state
                    .instances
                    .iter()
                    .filter(|p| !new.contains(&p.name))
                    .map(|p| p.name.clone())
                    .collect();
                self.stop(&mut state, &rest)?;
                progress.step(&format!(
                    "{} had the traffic and is healthy: deploy completed",
                    entry.change.version
                ));
                return Ok(Recovery {
                    interrupted: entry.clone(),
                    action: RecoveryAction::Completed,
                    detail: format!("completed: {} is live and healthy", entry.change.version),
                });
            }
        }
        self.restore(
            &mut state,
            entry.change.previous.as_deref(),
            &health,
            progress,
        )?;
        let detail = match &entry.change.previous {
            Some(v) => format!("reverted: {v} is live again"),
            None => "reverted: nothing was live before; the new instances were stopped".to_owned(),
        };
        Ok(Recovery {
            interrupted: entry.clone(),
            action: RecoveryAction::Reverted,
            detail,
        })
    }
}

/// `d` in whole milliseconds.
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Whether something accepts connections at `addr` (a quick connect, 300 ms).
fn port_in_use(addr: &str) -> bool {
    use std::net::ToSocketAddrs as _;
    addr.to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .is_some_and(|a| {
            std::net::TcpStream::connect_timeout(&a, Duration::from_millis(300)).is_ok()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolved(yaml: &str) -> Resolved {
        let config = crate::config::parse(yaml.as_bytes(), "slipway.yml").expect("config");
        let env = config
            .environments
            .get("staging")
            .cloned()
            .expect("staging");
        Resolved {
            config,
            environment: "staging".to_owned(),
            env,
            root: std::path::PathBuf::from("."),
        }
    }

    const BASE: &str = "project: { name: shop }\nenvironments:\n  staging: {}\n";

    #[test]
    fn names_ports_and_state_follow_the_project_environment_and_app() {
        let r = resolved(&format!(
            "{BASE}deploy:\n  hosts:\n    start: ./app --port {{port}}\n    state-dir: /srv/state/\n    base-port: 9000\n"
        ));
        let h = Hosts::new(&r, Some("api"), None).expect("hosts");
        assert_eq!(h.nginx.upstream, "shop-staging-api");
        assert_eq!(
            h.nginx.upstream_file,
            "/etc/nginx/conf.d/shop-staging-api.upstream.conf"
        );
        assert_eq!(h.store.describe(), "/srv/state/staging/api");
        assert_eq!(h.pool(), [9000, 9001, 9002, 9003]);
        assert_eq!(h.addr(9001), "127.0.0.1:9001");
        assert_eq!(h.runner.exec, Exec::Local);
    }

    #[test]
    fn an_ssh_host_is_health_checked_at_its_address_and_keeps_its_state_there() {
        let r = resolved(&format!(
            "{BASE}deploy:\n  hosts:\n    start: ./app --port {{port}}\n    ssh: deploy@app-1.internal\n    state-dir: /var/lib/slipway\n"
        ));
        let key = Secret::new(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----",
        );
        let h = Hosts::new(&r, None, Some(key)).expect("hosts");
        assert_eq!(h.addr(8000), "app-1.internal:8000");
        assert_eq!(
            h.store.describe(),
            "deploy@app-1.internal:/var/lib/slipway/staging"
        );
        let Exec::Ssh(ssh) = &h.runner.exec else {
            panic!("not ssh");
        };
        let key_file = ssh.identity.clone().expect("key file");
        let text = std::fs::read_to_string(&key_file).expect("key");
        assert!(text.ends_with("-----END OPENSSH PRIVATE KEY-----\n"));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file)
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
        drop(h);
        assert!(!key_file.exists(), "the key outlived the target");
    }

    #[test]
    fn impossible_settings_are_config_errors_naming_the_key() {
        let r = resolved(&format!(
            "{BASE}deploy:\n  hosts:\n    instances: 10\n    base-port: 65530\n"
        ));
        let e = Hosts::new(&r, None, None).err().expect("ports");
        assert!(
            e.to_string().contains("`deploy.hosts.base-port` 65530"),
            "{e}"
        );
        let r = resolved(&format!(
            "{BASE}deploy:\n  rolling: {{ max-surge: 0, max-unavailable: 0 }}\n"
        ));
        let e = Hosts::new(&r, None, None).err().expect("rolling");
        assert!(e.to_string().contains("a rollout could never start"), "{e}");
    }

    #[test]
    fn free_ports_skip_the_ones_instances_hold() {
        let r = resolved(&format!("{BASE}deploy:\n  hosts:\n    base-port: 9000\n"));
        let h = Hosts::new(&r, None, None).expect("hosts");
        let mut state = State::default();
        for port in [9000, 9002] {
            state.instances.push(Proc {
                name: format!("p{port}"),
                port,
                version: "1".into(),
                color: None,
                handle: "1 1".into(),
                in_lb: true,
                weight: None,
            });
        }
        assert_eq!(h.free_ports(&state, 2).expect("two"), [9001, 9003]);
        assert!(h.free_ports(&state, 3).is_err());
    }
}
