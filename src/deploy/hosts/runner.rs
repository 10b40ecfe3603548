//! Starting, stopping and watching instances: processes from the `start` template, or podman /
//! docker containers. Each operation is one shell script run through [`Exec`], on this
//! machine or over ssh.
//!
//! A process starts in its own session (`setsid`) with its output appended to a log file, so
//! it outlives slipway (and a `kill -9` of it). Its pid and the kernel's start time of that pid
//! (`/proc/<pid>/stat`, field 22) are recorded: a pid reused by another process is never
//! signalled. Stopping sends SIGTERM to the process group, waits, then SIGKILL.

use serde::{Deserialize, Serialize};

use super::exec::{Exec, quote};
use crate::config::{HostsRuntime, PortCommand};
use crate::deploy::{Color, Error};

/// One instance slipway started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proc {
    /// A stable name, e.g. `green-1` or `r7`.
    pub name: String,
    /// The port it listens on.
    pub port: u16,
    /// The version it runs.
    pub version: String,
    /// Its colour (blue-green and canary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<Color>,
    /// The pid and its start time (`4242 81723`), or the container name.
    pub handle: String,
    /// Whether nginx sends it traffic.
    #[serde(default)]
    pub in_lb: bool,
    /// Its nginx weight while traffic is split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight: Option<u32>,
}

/// A shell function: `mine PID:START` succeeds when process PID runs (not a zombie) and, when
/// START is not `-`, was started at START (field 22 of `/proc/PID/stat`), so a reused pid is
/// never taken for ours. Without `/proc` only the pid is checked.
const MINE: &str = r#"mine() { p=${1%%:*}; st=${1#*:}; [ -r /proc/$p/stat ] || { [ "$st" = - ] && kill -0 "$p" 2>/dev/null; return; }; set -- $(sed 's/^.*) //' /proc/$p/stat 2>/dev/null); [ "${1:-Z}" != Z ] && { [ "$st" = - ] || [ "${20:-}" = "$st" ]; }; }"#;

/// How instances are run.
#[derive(Debug, Clone)]
pub struct Runner {
    /// Where.
    pub exec: Exec,
    /// Process or container.
    pub runtime: HostsRuntime,
    /// The process template.
    pub start: Option<PortCommand>,
    /// The port inside containers.
    pub container_port: u16,
    /// Container names and log files start with this, e.g. `slipway-shop-staging`.
    pub prefix: String,
    /// The state directory on the host (releases and logs live in it).
    pub state_dir: String,
    /// Whether instances publish on loopback only (containers).
    pub loopback: bool,
}

impl Runner {
    /// The directory of a retained version on the host.
    pub fn release_dir(&self, version: &str) -> String {
        format!("{}/releases/{version}", self.state_dir)
    }

    /// The log file of an instance.
    pub fn log_file(&self, name: &str) -> String {
        format!("{}/logs/{name}.log", self.state_dir)
    }

    fn program(&self) -> &'static str {
        match self.runtime {
            HostsRuntime::Docker => "docker",
            _ => "podman",
        }
    }

    fn container(&self, name: &str) -> String {
        format!("{}-{name}", self.prefix)
    }

    /// The script that starts `name` on `port` with `version` (`image` for containers) and
    /// prints its handle.
    pub fn start_script(
        &self,
        name: &str,
        port: u16,
        version: &str,
        image: Option<&str>,
    ) -> Result<String, Error> {
        match self.runtime {
            HostsRuntime::Process => {
                let Some(start) = &self.start else {
                    return Err(Error::Config {
                        message: "`deploy.hosts.start` is not set".to_owned(),
                        hint: "set how one instance starts, e.g. `start: ./app --port {port}`"
                            .to_owned(),
                    });
                };
                let dir = self.release_dir(version);
                let cmd = start
                    .render(port)
                    .replace("{version}", version)
                    .replace("{dir}", &dir);
                let log = self.log_file(name);
                Ok(format!(
                    "mkdir -p {logs} && cd {dir} && SLIPWAY_PORT={port} SLIPWAY_VERSION={v} nohup setsid sh -c {cmd} >> {log} 2>&1 < /dev/null &\npid=$!; st=$(sed 's/^.*) //' /proc/$pid/stat 2>/dev/null | cut -d' ' -f20); echo \"$pid $st\"",
                    logs = quote(&format!("{}/logs", self.state_dir)),
                    dir = quote(&dir),
                    v = quote(version),
                    cmd = quote(&cmd),
                    log = quote(&log),
                ))
            }
            HostsRuntime::Podman | HostsRuntime::Docker => {
                let image = image.ok_or_else(|| Error::Config {
                    message: "no image to run".to_owned(),
                    hint: "pass the image as `--artifact` (the action's `artifact` input) or set `deploy.hosts.image`".to_owned(),
                })?;
                let publish = if self.loopback {
                    format!("127.0.0.1:{port}:{}", self.container_port)
                } else {
                    format!("{port}:{}", self.container_port)
                };
                let c = self.container(name);
                Ok(format!(
                    "{p} rm -f {c} >/dev/null 2>&1; {p} run -d --name {c} --label slipway.instance={c} --label slipway.version={v} -p {publish} -e SLIPWAY_VERSION={v} -e PORT={cp} {image} >/dev/null && echo {c}",
                    p = self.program(),
                    c = quote(&c),
                    v = quote(version),
                    cp = self.container_port,
                    image = quote(image),
                ))
            }
        }
    }

    /// Starts an instance.
    pub fn start(
        &self,
        name: &str,
        port: u16,
        version: &str,
        color: Option<Color>,
        image: Option<&str>,
    ) -> Result<Proc, Error> {
        let script = self.start_script(name, port, version, image)?;
        let out = self
            .exec
            .check(&format!("starting `{name}`"), &script, None)?;
        let handle = out.trim().to_owned();
        if handle.is_empty() {
            return Err(Error::Command {
                what: format!("starting `{name}` printed no handle"),
                stderr: String::new(),
            });
        }
        Ok(Proc {
            name: name.to_owned(),
            port,
            version: version.to_owned(),
            color,
            handle,
            in_lb: false,
            weight: None,
        })
    }

    /// The script that stops `procs`: SIGTERM, up to `grace_ms`, then SIGKILL.
    pub fn stop_script(&self, procs: &[&Proc], grace_ms: u64) -> String {
        match self.runtime {
            HostsRuntime::Process => {
                let mut pairs = String::new();
                for p in procs {
                    let mut w = p.handle.split_whitespace();
                    let pid = w.next().unwrap_or("0");
                    let st = w.next().unwrap_or("");
                    if pid.chars().all(|c| c.is_ascii_digit()) && pid != "0" {
                        pairs.push_str(&format!(" {pid}:{}", if st.is_empty() { "-" } else { st }));
                    }
                }
                let rounds = (grace_ms / 50).max(1);
                format!(
                    r#"{MINE}
for x in{pairs}; do mine "$x" && {{ kill -TERM "-${{x%%:*}}" 2>/dev/null || kill -TERM "${{x%%:*}}" 2>/dev/null; }}; done
i=0; while [ $i -lt {rounds} ]; do left=0; for x in{pairs}; do mine "$x" && left=1; done; [ $left = 0 ] && exit 0; sleep 0.05; i=$((i+1)); done
for x in{pairs}; do mine "$x" && {{ kill -KILL "-${{x%%:*}}" 2>/dev/null || kill -KILL "${{x%%:*}}" 2>/dev/null; }}; done; exit 0"#
                )
            }
            HostsRuntime::Podman | HostsRuntime::Docker => {
                let names: Vec<String> = procs.iter().map(|p| quote(&p.handle)).collect();
                if names.is_empty() {
                    return "exit 0".to_owned();
                }
                format!(
                    "{p} stop -t {secs} {n} >/dev/null 2>&1; {p} rm -f {n} >/dev/null 2>&1; exit 0",
                    p = self.program(),
                    secs = grace_ms.div_ceil(1000),
                    n = names.join(" ")
                )
            }
        }
    }

    /// Stops `procs` (those already gone are skipped).
    pub fn stop(&self, procs: &[&Proc], grace_ms: u64) -> Result<(), Error> {
        if procs.is_empty() {
            return Ok(());
        }
        self.exec
            .check(
                "stopping instances",
                &self.stop_script(procs, grace_ms),
                None,
            )
            .map(|_| ())
    }

    /// The script that prints `1` or `0` per proc: whether it runs.
    pub fn alive_script(&self, procs: &[&Proc]) -> String {
        let mut s = String::new();
        for p in procs {
            match self.runtime {
                HostsRuntime::Process => {
                    let mut w = p.handle.split_whitespace();
                    let pid = w.next().unwrap_or("0");
                    let pid = if pid.chars().all(|c| c.is_ascii_digit()) { pid } else { "0" };
                    let st = w.next().map_or_else(|| "-".to_owned(), quote);
                    if s.is_empty() {
                        s.push_str(MINE);
                        s.push('\n');
                    }
                    s.push_str(&format!("mine {pid}:{st} && echo 1 || echo 0\n"));
                }
                HostsRuntime::Podman | HostsRuntime::Docker => s.push_str(&format!(
                    "[ \"$({} container inspect -f '{{{{.State.Running}}}}' {} 2>/dev/null)\" = true ] && echo 1 || echo 0\n",
                    self.program(),
                    quote(&p.handle)
                )),
            }
        }
        s
    }

    /// Whether each of `procs` runs.
    pub fn alive(&self, procs: &[&Proc]) -> Result<Vec<bool>, Error> {
        if procs.is_empty() {
            return Ok(Vec::new());
        }
        let out = self
            .exec
            .check("checking instances", &self.alive_script(procs), None)?;
        let flags: Vec<bool> = out.lines().map(|l| l.trim() == "1").collect();
        Ok(procs
            .iter()
            .enumerate()
            .map(|(i, _)| flags.get(i).copied().unwrap_or(false))
            .collect())
    }

    /// The last lines of an instance's log, for error messages (empty for containers).
    pub fn log_tail(&self, name: &str) -> String {
        let script = match self.runtime {
            HostsRuntime::Process => {
                format!("tail -n 5 {} 2>/dev/null", quote(&self.log_file(name)))
            }
            _ => format!(
                "{} logs --tail 5 {} 2>&1",
                self.program(),
                quote(&self.container(name))
            ),
        };
        self.exec
            .run(&script, None)
            .map(|o| crate::github::redact(o.stdout.trim()).into_owned())
            .unwrap_or_default()
    }

    /// The script that checks a container image exists, pulling it when missing.
    pub fn image_script(&self, image: &str) -> String {
        let p = self.program();
        let i = quote(image);
        format!("{p} image inspect {i} >/dev/null 2>&1 || {p} pull -q {i} >/dev/null")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runner(runtime: HostsRuntime) -> Runner {
        Runner {
            exec: Exec::Local,
            runtime,
            start: Some(
                PortCommand::try_from("./app --port {port} --version {version}".to_owned())
                    .expect("template"),
            ),
            container_port: 8080,
            prefix: "slipway-shop-staging".to_owned(),
            state_dir: "/var/lib/slipway/shop/staging".to_owned(),
            loopback: true,
        }
    }

    #[test]
    fn podman_and_docker_instances_are_containers_published_on_loopback() {
        let r = runner(HostsRuntime::Podman);
        let s = r
            .start_script(
                "green-0",
                8002,
                "1.4.2",
                Some("ghcr.io/acme/shop@sha256:abc"),
            )
            .expect("script");
        assert_eq!(
            s,
            "podman rm -f slipway-shop-staging-green-0 >/dev/null 2>&1; podman run -d --name slipway-shop-staging-green-0 --label slipway.instance=slipway-shop-staging-green-0 --label slipway.version=1.4.2 -p 127.0.0.1:8002:8080 -e SLIPWAY_VERSION=1.4.2 -e PORT=8080 ghcr.io/acme/shop@sha256:abc >/dev/null && echo slipway-shop-staging-green-0"
        );
        let d = runner(HostsRuntime::Docker);
        let p = Proc {
            name: "green-0".into(),
            port: 8002,
            version: "1.4.2".into(),
            color: None,
            handle: "slipway-shop-staging-green-0".into(),
            in_lb: false,
            weight: None,
        };
        assert_eq!(
            d.stop_script(&[&p], 30_000),
            "docker stop -t 30 slipway-shop-staging-green-0 >/dev/null 2>&1; docker rm -f slipway-shop-staging-green-0 >/dev/null 2>&1; exit 0"
        );
        assert_eq!(
            d.alive_script(&[&p]),
            "[ \"$(docker container inspect -f '{{.State.Running}}' slipway-shop-staging-green-0 2>/dev/null)\" = true ] && echo 1 || echo 0\n"
        );
        assert_eq!(
            d.image_script("ghcr.io/acme/shop:1.4.2"),
            "docker image inspect ghcr.io/acme/shop:1.4.2 >/dev/null 2>&1 || docker pull -q ghcr.io/acme/shop:1.4.2 >/dev/null"
        );
        assert!(d.start_script("x", 1, "1", None).is_err());
    }

    #[test]
    fn processes_start_detached_and_stop_by_process_group() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = runner(HostsRuntime::Process);
        r.state_dir = dir.path().display().to_string();
        r.start = Some(
            PortCommand::try_from("echo {port} {version} > started; exec sleep 30".to_owned())
                .expect("t"),
        );
        std::fs::create_dir_all(r.release_dir("1.0.0")).expect("release");
        let p = r.start("blue-0", 8123, "1.0.0", None, None).expect("start");
        assert!(p.handle.split_whitespace().count() == 2, "{}", p.handle);
        assert_eq!(r.alive(&[&p]).expect("alive"), [true]);
        std::thread::sleep(std::time::Duration::from_millis(200));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("releases/1.0.0/started")).expect("ran in dir"),
            "8123 1.0.0\n"
        );
        r.stop(&[&p], 2000).expect("stop");
        assert_eq!(r.alive(&[&p]).expect("alive"), [false]);
        // A recorded pid whose start time differs (reused) is neither signalled nor alive.
        let reused = Proc {
            handle: format!("{} 1", std::process::id()),
            ..p
        };
        assert_eq!(r.alive(&[&reused]).expect("alive"), [false]);
        r.stop(&[&reused], 100).expect("stop skips it");
    }
}
