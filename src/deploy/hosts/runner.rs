//! Starting, stopping and watching instances: processes from the `start` template, or podman /
//! docker containers. Each operation is one shell script run through [`Exec`], on this
//! machine or over ssh.
//!
//! A process starts in its own session (`setsid`) with its output appended to a log file, so
//! it outlives slipway (and a `kill -9` of it). Its pid and the kernel's start time of that pid
//! (`/proc/<pid>/stat`, field 22) are recorded, in the state and in `pids/<name>` on the host
//! (written before slipway records it, so a slipway killed in between leaves a trace the next
//! run stops): a pid reused by another process is never signalled.
//!
//! The pid leads a session and a process group. Whatever the start command runs stays in them:
//! a `sh -c` that does not `exec` the app, children it forks, an app that ignores SIGTERM. An
//! instance is alive while any process of its group or session is (the leader may be gone
//! already), so stopping sends SIGTERM to all of them, waits for all of them, and sends SIGKILL
//! to whatever is left after the grace period. The kernel does not reuse a pid while a group
//! or session of that id has members, so signalling the group of a dead leader is safe.

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

/// Shell functions on the host.
///
/// - `table` prints `pid pgid sid state` for every process (`ps`, else a pass over `/proc`).
/// - `members P` prints the pids of the running (not zombie) processes whose process group or
///   session is `P`: an instance's leader, the app it started and their children.
/// - `left G...` prints those of the groups `G...` that still have such processes (one pass
///   for all of them).
/// - `mine PID:START` succeeds when the instance led by PID still runs: the leader runs and,
///   when START is not `-`, was started at START (field 22 of `/proc/PID/stat`; a different
///   start time means the pid was reused, so our group is gone), or the leader is gone and
///   members of its group remain.
/// - `hit SIG P` sends SIG to group P and to every other member of session P.
/// - `now` sets `$now` to the uptime in centiseconds (empty without `/proc/uptime`).
///
/// Without `/proc` (not Linux) a signal 0 to the group stands in for the scans.
const MINE: &str = r#"table() { ps -e -o pid= -o pgid= -o sid= -o stat= 2>/dev/null && return 0; [ -r /proc/self/stat ] || return 1; for f in /proc/[0-9]*/stat; do l=; read -r l 2>/dev/null < "$f" || continue; q=${f#/proc/}; q=${q%/stat}; l=${l##*) }; set -- $l; echo "$q $3 $4 $1"; done; }
members() { table | awk -v g="$1" '$4 !~ /^Z/ && ($2 == g || $3 == g) { print $1 }'; [ -r /proc/self/stat ] || { kill -0 "-$1" 2>/dev/null && echo "$1"; }; return 0; }
left() { if ! table > /dev/null; then for g; do kill -0 "-$g" 2>/dev/null && echo "$g"; done; return 0; fi; table | awk -v t=" $* " '$4 !~ /^Z/ { if (index(t, " " $2 " ")) s[$2] = 1; if (index(t, " " $3 " ")) s[$3] = 1 } END { for (g in s) print g }'; }
mine() { p=${1%%:*}; st=${1#*:}; [ "$p" -gt 1 ] 2>/dev/null || return 1; if [ -r /proc/$p/stat ]; then l=; read -r l 2>/dev/null < /proc/$p/stat; l=${l##*) }; set -- $l; if [ "${1:-Z}" != Z ]; then [ "$st" = - ] || [ "${20:-}" = "$st" ]; return; fi; fi; [ -n "$(left "$p")" ]; }
hit() { kill "-$1" "-$2" 2>/dev/null; for q in $(members "$2"); do kill "-$1" "$q" 2>/dev/null; done; return 0; }
now() { now=; u=; read -r u u2 2>/dev/null < /proc/uptime && now=${u%.*}${u#*.}; }"#;

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

    /// The directory of the pid files of running instances.
    pub fn pids_dir(&self) -> String {
        format!("{}/pids", self.state_dir)
    }

    /// The pid file of an instance: its handle, written as it starts.
    pub fn pid_file(&self, name: &str) -> String {
        format!("{}/{name}", self.pids_dir())
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
                // NOTE: a background job of a non-interactive sh is not a process group
                // leader, so `setsid` calls setsid(2) itself instead of forking: `$!` is the
                // session and group leader (util-linux `setsid.c`).
                // The directories are made in the foreground: the `&` below puts the whole
                // `&&` list in the background, and the pid file is written beside it.
                Ok(format!(
                    "mkdir -p {logs} {pids} || exit 1\ncd {dir} && SLIPWAY_PORT={port} SLIPWAY_VERSION={v} nohup setsid sh -c {cmd} >> {log} 2>&1 < /dev/null &\npid=$!; st=$(sed 's/^.*) //' /proc/$pid/stat 2>/dev/null | cut -d' ' -f20); echo \"$pid $st\" > {pidfile}; echo \"$pid $st\"",
                    logs = quote(&format!("{}/logs", self.state_dir)),
                    pids = quote(&self.pids_dir()),
                    dir = quote(&dir),
                    v = quote(version),
                    cmd = quote(&cmd),
                    log = quote(&log),
                    pidfile = quote(&self.pid_file(name)),
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

    /// The script that stops `procs`: SIGTERM to every process of their groups and sessions,
    /// up to `grace_ms` for all of them to exit, then SIGKILL to what is left; it exits 1 when
    /// a process survives even that. Their pid files are removed.
    pub fn stop_script(&self, procs: &[&Proc], grace_ms: u64) -> String {
        match self.runtime {
            HostsRuntime::Process => {
                let mut pairs = String::new();
                let mut files = String::new();
                for p in procs {
                    let mut w = p.handle.split_whitespace();
                    let pid = w.next().unwrap_or("0");
                    let st = w.next().unwrap_or("");
                    if pid.chars().all(|c| c.is_ascii_digit()) && pid != "0" && pid != "1" {
                        pairs.push_str(&format!(" {pid}:{}", if st.is_empty() { "-" } else { st }));
                    }
                    if !p.name.is_empty() {
                        files.push(' ');
                        files.push_str(&quote(&self.pid_file(&p.name)));
                    }
                }
                let rounds = (grace_ms / 50).max(1);
                let grace_cs = grace_ms.div_ceil(10);
                // The grace period is measured on the uptime clock: a pass over /proc can
                // take longer than the 50 ms between passes on a busy host.
                format!(
                    r#"{MINE}
t=; for x in{pairs}; do mine "$x" && t="$t ${{x%%:*}}"; done
[ -z "$t" ] && {{ rm -f{files}; exit 0; }}
for p in $t; do kill -TERM "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null; done
now; end=${{now:+$((now + {grace_cs}))}}; i=0; sleep 0.02; w=$(left $t)
for p in $w; do hit TERM "$p"; done
while [ -n "$w" ]; do if [ -n "$end" ]; then now; [ "$now" -ge "$end" ] && break; else [ $i -ge {rounds} ] && break; fi; sleep 0.05; i=$((i+1)); w=$(left $w); done
for p in $w; do hit KILL "$p"; done
i=0; while [ -n "$w" ] && [ $i -lt 40 ]; do sleep 0.05; w=$(left $w); i=$((i+1)); done
rm -f{files}
[ -z "$w" ] || {{ echo "processes of group(s)$w survive SIGKILL" >&2; exit 1; }}"#
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

    /// The script that stops `procs` after `delay_ms`, detached from this process (its own
    /// session, so it outlives slipway), and prints its handle (`pid start`).
    pub fn stop_later_script(&self, procs: &[&Proc], delay_ms: u64, grace_ms: u64) -> String {
        let stop = self.stop_script(procs, grace_ms);
        let script = format!("sleep {}.{:03}\n{stop}", delay_ms / 1000, delay_ms % 1000);
        format!(
            "nohup setsid sh -c {} >/dev/null 2>&1 < /dev/null &\npid=$!; st=$(sed 's/^.*) //' /proc/$pid/stat 2>/dev/null | cut -d' ' -f20); echo \"$pid ${{st:--}}\"",
            quote(&script)
        )
    }

    /// Stops `procs` in the background after `delay_ms`; returns the stopper's handle.
    pub fn stop_later(
        &self,
        procs: &[&Proc],
        delay_ms: u64,
        grace_ms: u64,
    ) -> Result<String, Error> {
        let out = self.exec.check(
            "stopping instances in the background",
            &self.stop_later_script(procs, delay_ms, grace_ms),
            None,
        )?;
        Ok(out.trim().to_owned())
    }

    /// Waits up to `timeout` for the background stopper `handle` (`pid start`) to finish;
    /// true when it did.
    pub fn wait_stopper(&self, handle: &str, timeout: std::time::Duration) -> Result<bool, Error> {
        let mut w = handle.split_whitespace();
        let pid = w
            .next()
            .filter(|p| p.chars().all(|c| c.is_ascii_digit()))
            .unwrap_or("0");
        let st = w.next().map_or_else(|| "-".to_owned(), quote);
        let rounds = (timeout.as_millis() / 50).max(1);
        let script = format!(
            "{MINE}\ni=0; while mine {pid}:{st}; do [ $i -ge {rounds} ] && exit 1; sleep 0.05; i=$((i+1)); done; exit 0"
        );
        Ok(self.exec.run(&script, None)?.ok())
    }

    /// The handles in the pid files of the host: `(name, handle)` of every instance started
    /// and not stopped, including ones slipway did not get to record.
    pub fn pid_files(&self) -> Result<Vec<(String, String)>, Error> {
        if self.runtime != HostsRuntime::Process {
            return Ok(Vec::new());
        }
        let script = format!(
            "for f in {}/*; do [ -f \"$f\" ] && printf '%s %s\\n' \"${{f##*/}}\" \"$(head -n 1 \"$f\")\"; done; exit 0",
            quote(&self.pids_dir())
        );
        let out = self.exec.check("listing instances", &script, None)?;
        Ok(out
            .lines()
            .filter_map(|l| {
                let (name, handle) = l.trim().split_once(' ')?;
                Some((name.to_owned(), handle.trim().to_owned()))
            })
            .filter(|(_, h)| !h.is_empty())
            .collect())
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

    /// Non-zombie processes whose process group is `pgid`.
    fn group(pgid: &str) -> Vec<String> {
        let mut out = Vec::new();
        for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                continue;
            };
            let Some((_, rest)) = stat.rsplit_once(") ") else {
                continue;
            };
            let f: Vec<&str> = rest.split_whitespace().collect();
            if f.first() != Some(&"Z") && f.get(2) == Some(&pgid) {
                out.push(e.file_name().to_string_lossy().into_owned());
            }
        }
        out
    }

    #[test]
    fn stopping_reaches_apps_that_do_not_exec_ignore_sigterm_and_fork() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = runner(HostsRuntime::Process);
        r.state_dir = dir.path().display().to_string();
        // The leader `sh -c` waits (no exec); a child ignores SIGTERM; a grandchild is
        // detached from the leader but stays in its group.
        r.start = Some(
            PortCommand::try_from(
                "(trap '' TERM; exec sleep 60) & (sleep 61 &) ; echo {port} > started; wait"
                    .to_owned(),
            )
            .expect("t"),
        );
        std::fs::create_dir_all(r.release_dir("1.0.0")).expect("release");
        let p = r.start("blue-1", 8124, "1.0.0", None, None).expect("start");
        let pgid = p.handle.split_whitespace().next().expect("pid").to_owned();
        assert!(
            std::path::Path::new(&r.pid_file("blue-1")).exists(),
            "the pid file is written as the instance starts"
        );
        let started = std::time::Instant::now();
        while group(&pgid).len() < 3 {
            assert!(started.elapsed().as_secs() < 5, "{:?}", group(&pgid));
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        assert_eq!(
            r.pid_files().expect("pid files"),
            [("blue-1".to_owned(), p.handle.clone())]
        );
        // The leader alone dying leaves the instance alive: its app still runs.
        let _ = std::process::Command::new("kill")
            .args(["-KILL", &pgid])
            .status();
        std::thread::sleep(std::time::Duration::from_millis(100));
        assert_eq!(r.alive(&[&p]).expect("alive"), [true], "{:?}", group(&pgid));
        let started = std::time::Instant::now();
        r.stop(&[&p], 300).expect("stop");
        assert!(started.elapsed().as_secs() < 5);
        assert_eq!(
            group(&pgid),
            Vec::<String>::new(),
            "the whole group is gone"
        );
        assert_eq!(r.alive(&[&p]).expect("alive"), [false]);
        assert!(r.pid_files().expect("pid files").is_empty());
    }

    #[test]
    fn a_background_stop_outlives_its_caller_and_can_be_waited_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut r = runner(HostsRuntime::Process);
        r.state_dir = dir.path().display().to_string();
        r.start = Some(PortCommand::try_from("sleep 60; echo {port}".to_owned()).expect("t"));
        std::fs::create_dir_all(r.release_dir("1.0.0")).expect("release");
        let p = r.start("blue-2", 8125, "1.0.0", None, None).expect("start");
        let started = std::time::Instant::now();
        let stopper = r.stop_later(&[&p], 300, 1000).expect("stop later");
        assert!(
            started.elapsed().as_millis() < 300,
            "returns before the delay"
        );
        assert_eq!(r.alive(&[&p]).expect("alive"), [true], "not yet: it drains");
        assert!(
            r.wait_stopper(&stopper, std::time::Duration::from_secs(10))
                .expect("wait")
        );
        assert_eq!(r.alive(&[&p]).expect("alive"), [false]);
    }
}
