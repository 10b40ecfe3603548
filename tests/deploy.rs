//! `slipway deploy` on the hosts target, end to end: a real nginx on loopback ports (its own
//! prefix, pid file, logs and temp paths in a temp dir), real app processes
//! (`examples/deploy-app.rs`, whose `mode` file makes a version unhealthy, slow, crashing or
//! failing its smoke test), and a load generator in the test.
//!
//! nginx comes from `SLIPWAY_NGINX` (scripts/test.d/nginx.sh installs it). When the variable is
//! unset and `CI` is not `true`, an nginx on the usual paths is used, or the tests skip with a
//! note.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use common::slipway;
use slipway::deploy::health;

// ---------------------------------------------------------------------------------------------
// Harness

/// The nginx binary, or `None` (with a note) when the tests may skip.
fn nginx_binary() -> Option<PathBuf> {
    match std::env::var("SLIPWAY_NGINX") {
        Ok(p) if !p.is_empty() => {
            let out = Command::new(&p).arg("-v").output();
            assert!(
                matches!(&out, Ok(o) if o.status.success()),
                "SLIPWAY_NGINX={p} is set but does not run (`{p} -v`): {out:?}"
            );
            Some(PathBuf::from(p))
        }
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "SLIPWAY_NGINX is not set; scripts/test.d/nginx.sh installs nginx and exports it"
            );
            let found = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
                .into_iter()
                .map(PathBuf::from)
                .find(|p| p.exists());
            if found.is_none() {
                eprintln!("note: skipping: nginx is not installed and SLIPWAY_NGINX is not set");
            }
            found
        }
    }
}

/// The test app, built on first use when `cargo test --test deploy` did not build examples.
fn app() -> &'static Path {
    static APP: OnceLock<PathBuf> = OnceLock::new();
    APP.get_or_init(|| {
        let exe = std::env::current_exe().expect("test exe");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("target/<profile>");
        let app = profile_dir.join("examples").join("deploy-app");
        if !app.exists() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
            let mut cmd = Command::new(cargo);
            cmd.args(["build", "--quiet", "--example", "deploy-app"]);
            if profile_dir.file_name().and_then(|n| n.to_str()) == Some("release") {
                cmd.arg("--release");
            }
            let status = cmd
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("cargo build --example deploy-app");
            assert!(status.success(), "building examples/deploy-app.rs failed");
        }
        app
    })
}

/// `n` consecutive free loopback ports.
fn free_ports(n: u16) -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let seed = 20_000 + u16::try_from(std::process::id() % 60).unwrap_or(0) * 400;
    loop {
        let off = NEXT.fetch_add(n + 1, Ordering::SeqCst) % 20_000;
        let base = seed.wrapping_add(off);
        if base < 20_000 || u32::from(base) + u32::from(n) > 60_000 {
            continue;
        }
        let free = (0..n).all(|i| std::net::TcpListener::bind(("127.0.0.1", base + i)).is_ok());
        if free {
            return base;
        }
    }
}

/// A `slipway` command for background runs, with the same clean environment as
/// [`common::slipway`].
fn slipway_cmd(dir: &Path) -> Command {
    let mut cmd = Command::new(common::bin());
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if ["GITHUB_", "RUNNER_", "ACTIONS_", "SLIPWAY_", "INPUT_"]
            .iter()
            .any(|p| key.starts_with(p))
            || key == "CI"
        {
            cmd.env_remove(key);
        }
    }
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// One environment (`staging`) of a project behind its own nginx.
struct Site {
    dir: tempfile::TempDir,
    nginx: PathBuf,
    port: u16,
    base: u16,
}

/// Options of a [`Site`].
struct SiteOptions {
    instances: u16,
    strategy: &'static str,
    /// Extra lines under `deploy:` (indented two spaces).
    deploy_extra: String,
    /// Extra lines under `deploy.hosts:` (indented four spaces).
    hosts_extra: String,
    /// `deploy.health`.
    health: &'static str,
    /// The nginx binary in slipway.yml; default: the real one.
    nginx_binary: Option<String>,
    /// `deploy.hosts.start`, with `{app}` for the test app; default: the app itself.
    start: Option<String>,
    /// Extra keys of the `staging` environment (flow style, with a leading `, `).
    env_extra: &'static str,
}

impl Default for SiteOptions {
    fn default() -> Self {
        Self {
            instances: 2,
            strategy: "blue-green",
            deploy_extra: String::new(),
            hosts_extra: String::new(),
            health: "{ interval: 100ms, timeout: 2s, deadline: 10s, drain: 1s }",
            nginx_binary: None,
            start: None,
            env_extra: "",
        }
    }
}

impl Site {
    fn new(options: SiteOptions) -> Option<Self> {
        let nginx = nginx_binary()?;
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_ports(1);
        let base = free_ports(options.instances * 2);
        let site = Self {
            dir,
            nginx,
            port,
            base,
        };
        site.write_config(&options);
        site.start_nginx();
        Some(site)
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    fn write_config(&self, o: &SiteOptions) {
        let d = self.dir.path().display();
        let binary = o
            .nginx_binary
            .clone()
            .unwrap_or_else(|| self.nginx.display().to_string());
        let yaml = format!(
            r#"version: 1
project: {{ name: shop }}
environments:
  staging: {{ strategy: {strategy}, url: "http://127.0.0.1:{port}"{env_extra} }}
deploy:
  target: hosts
  hosts:
    instances: {instances}
    base-port: {base}
    start: "{start}"
    state-dir: {d}/state
    nginx:
      binary: {binary}
      config: {d}/nginx/nginx.conf
      prefix: {d}/nginx
      upstream-file: {d}/nginx/upstream.conf
      access-log: {d}/nginx/access.log
{hosts_extra}  health: {health}
{deploy_extra}"#,
            strategy = o.strategy,
            port = self.port,
            instances = o.instances,
            base = self.base,
            start = o
                .start
                .as_deref()
                .unwrap_or("{app} --port {port} --version {version}")
                .replace("{app}", &app().display().to_string())
                .replace('\\', "\\\\")
                .replace('"', "\\\""),
            hosts_extra = o.hosts_extra,
            env_extra = o.env_extra,
            health = o.health,
            deploy_extra = o.deploy_extra,
        );
        std::fs::write(self.path("slipway.yml"), yaml).expect("slipway.yml");
    }

    fn start_nginx(&self) {
        let d = self.dir.path().display();
        std::fs::create_dir_all(self.path("nginx")).expect("nginx dir");
        // As root, nginx's workers would run as `nobody` and could not use the temp dir.
        let user = if unsafe_geteuid_is_root() {
            "user root;\n"
        } else {
            ""
        };
        let conf = format!(
            r#"{user}worker_processes 1;
pid {d}/nginx/nginx.pid;
error_log {d}/nginx/error.log;
events {{ worker_connections 1024; }}
http {{
  log_format slipway '$upstream_addr $upstream_status';
  access_log {d}/nginx/access.log slipway;
  client_body_temp_path {d}/nginx/body;
  proxy_temp_path {d}/nginx/proxy;
  fastcgi_temp_path {d}/nginx/fastcgi;
  uwsgi_temp_path {d}/nginx/uwsgi;
  scgi_temp_path {d}/nginx/scgi;
  include {d}/nginx/upstream.conf;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://shop-staging;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
"#,
            port = self.port
        );
        std::fs::write(self.path("nginx/nginx.conf"), conf).expect("nginx.conf");
        std::fs::write(
            self.path("nginx/upstream.conf"),
            "upstream shop-staging {\n    server 127.0.0.1:1 down;\n}\n",
        )
        .expect("upstream");
        let out = Command::new(&self.nginx)
            .arg("-p")
            .arg(self.path("nginx"))
            .arg("-c")
            .arg(self.path("nginx/nginx.conf"))
            .output()
            .expect("start nginx");
        assert!(
            out.status.success(),
            "nginx did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// A directory artifact whose app behaves as `mode` says.
    fn artifact(&self, version: &str, mode: &str) -> PathBuf {
        let dir = self.path(&format!("artifacts/{version}"));
        std::fs::create_dir_all(&dir).expect("artifact");
        std::fs::write(dir.join("mode"), mode).expect("mode");
        dir
    }

    /// `slipway deploy --env staging <args>` in the site's directory.
    fn slipway(&self, args: &[&str]) -> common::Run {
        slipway()
            .current_dir(self.dir.path())
            .args(["deploy", "--env", "staging"])
            .args(args)
    }

    /// Deploys `version` (a healthy artifact unless one exists) and asserts it succeeded.
    fn deploy_ok(&self, version: &str) {
        let art = self.path(&format!("artifacts/{version}"));
        if !art.exists() {
            self.artifact(version, "healthy");
        }
        self.slipway(&["--version", version, "--artifact"])
            .arg_path(&art)
            .run()
            .code(0);
    }

    fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// The version nginx serves now.
    fn version(&self) -> String {
        let r =
            health::get(&self.addr(), "/version", Duration::from_secs(5)).expect("GET /version");
        assert_eq!(r.status, 200, "{r:?}");
        r.body
    }

    fn history(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.path("state/staging/history.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("history line"))
            .collect()
    }

    fn state(&self) -> serde_json::Value {
        serde_json::from_str(
            &std::fs::read_to_string(self.path("state/staging/hosts.json")).expect("hosts.json"),
        )
        .expect("json")
    }

    fn upstream(&self) -> String {
        std::fs::read_to_string(self.path("nginx/upstream.conf")).expect("upstream file")
    }

    /// The end of nginx's error log.
    fn nginx_errors(&self) -> String {
        let text = std::fs::read_to_string(self.path("nginx/error.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(15)..].join("\n")
    }

    /// Pids of app processes started from this site (their working directory is in it).
    fn app_pids(&self) -> Vec<(i32, String)> {
        let root = self.dir.path().canonicalize().expect("canon");
        let mut out = Vec::new();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<i32>().ok())
            else {
                continue;
            };
            let Ok(cwd) = std::fs::read_link(entry.path().join("cwd")) else {
                continue;
            };
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            let zombie = std::fs::read_to_string(entry.path().join("stat"))
                .ok()
                .and_then(|s| s.rsplit_once(") ").map(|(_, r)| r.starts_with('Z')))
                .unwrap_or(true);
            if cwd.starts_with(&root)
                && cmdline.starts_with(&app().display().to_string())
                && !zombie
            {
                out.push((pid, cmdline));
            }
        }
        out
    }
}

fn unsafe_geteuid_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

impl Drop for Site {
    fn drop(&mut self) {
        // The process groups of the instances in the state (leaders that did not exec the
        // app, and their children), the app processes this site started (found by their
        // working directory), then nginx.
        if self.path("state/staging/hosts.json").exists() {
            for pgid in recorded_groups(self) {
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{pgid}")])
                    .status();
            }
        }
        for (pid, _) in self.app_pids() {
            let _ = Command::new("kill")
                .arg("-KILL")
                .arg(pid.to_string())
                .status();
        }
        let _ = Command::new(&self.nginx)
            .arg("-p")
            .arg(self.path("nginx"))
            .arg("-c")
            .arg(self.path("nginx/nginx.conf"))
            .args(["-s", "stop"])
            .output();
    }
}

/// One request of the load generator: when it started and what it got.
#[derive(Debug)]
struct Sample {
    at: Instant,
    result: Result<String, String>,
}

/// Constant traffic to nginx from a few threads.
struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<std::thread::JoinHandle<Vec<Sample>>>,
}

impl Load {
    fn start(addr: String, threads: usize) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..threads)
            .map(|_| {
                let stop = Arc::clone(&stop);
                let addr = addr.clone();
                std::thread::spawn(move || {
                    let mut samples = Vec::new();
                    while !stop.load(Ordering::SeqCst) {
                        let at = Instant::now();
                        let result = health::get(&addr, "/version", Duration::from_secs(20))
                            .and_then(|r| {
                                if r.status == 200 {
                                    Ok(r.body)
                                } else {
                                    Err(format!("status {}", r.status))
                                }
                            });
                        samples.push(Sample { at, result });
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    samples
                })
            })
            .collect();
        Self { stop, threads }
    }

    fn finish(self) -> Vec<Sample> {
        self.stop.store(true, Ordering::SeqCst);
        let mut all: Vec<Sample> = self
            .threads
            .into_iter()
            .flat_map(|t| t.join().expect("load thread"))
            .collect();
        all.sort_by_key(|s| s.at);
        all
    }
}

fn failures(samples: &[Sample]) -> Vec<&Sample> {
    samples.iter().filter(|s| s.result.is_err()).collect()
}

fn wait_for(what: &str, timeout: Duration, mut ok: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ok() {
        assert!(started.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn journal_phase(site: &Site) -> Option<String> {
    let text = std::fs::read_to_string(site.path("state/staging/journal.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v["phase"].as_str().map(str::to_owned)
}

/// Starts `slipway deploy --env staging --version VERSION` of its artifact, waits until the
/// journal says `phase` (then `settle` more), and kills it with SIGKILL.
fn kill_deploy_in_phase(site: &Site, version: &str, phase: &str, settle: Duration) {
    let mut child = slipway_cmd(site.dir.path())
        .args([
            "deploy",
            "--env",
            "staging",
            "--version",
            version,
            "--artifact",
        ])
        .arg(site.path(&format!("artifacts/{version}")))
        .spawn()
        .expect("spawn");
    wait_for(
        &format!("the `{phase}` phase"),
        Duration::from_secs(30),
        || journal_phase(site).as_deref() == Some(phase),
    );
    std::thread::sleep(settle);
    child.kill().expect("kill -9");
    let _ = child.wait();
}

// ---------------------------------------------------------------------------------------------
// Deploys under load

#[test]
fn blue_green_under_load_fails_no_request_and_then_only_the_new_version_answers() {
    let Some(site) = Site::new(SiteOptions::default()) else {
        return;
    };
    site.deploy_ok("1.0.0");
    assert_eq!(site.version(), "1.0.0");
    site.artifact("2.0.0", "healthy");
    let load = Load::start(site.addr(), 3);
    std::thread::sleep(Duration::from_millis(300));
    let t = site
        .slipway(&["--version", "2.0.0", "--artifact"])
        .arg_path(site.path("artifacts/2.0.0"))
        .run();
    let done = Instant::now();
    std::thread::sleep(Duration::from_millis(500));
    let samples = load.finish();
    t.code(0);
    assert!(samples.len() > 100, "too little load: {}", samples.len());
    assert!(
        failures(&samples).is_empty(),
        "{} failed requests, first {:?}\nnginx error log:\n{}",
        failures(&samples).len(),
        failures(&samples).first(),
        site.nginx_errors()
    );
    let after: Vec<&Sample> = samples.iter().filter(|s| s.at > done).collect();
    assert!(!after.is_empty());
    assert!(
        after.iter().all(|s| s.result.as_deref() == Ok("2.0.0")),
        "old version answered after the switch"
    );
    assert!(samples.iter().any(|s| s.result.as_deref() == Ok("1.0.0")));
    let history = site.history();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["version"], "2.0.0");
    assert_eq!(history[1]["previous"], "1.0.0");
    assert_eq!(history[1]["outcome"], "success");
    assert_eq!(history[1]["strategy"], "blue-green");
    // The old colour is stopped; its version is retained for rollback.
    let state = site.state();
    assert_eq!(state["instances"].as_array().map(Vec::len), Some(2));
    assert_eq!(state["live_color"], "green");
    assert_eq!(site.app_pids().len(), 2, "{:?}", site.app_pids());
    assert!(site.path("state/staging/releases/1.0.0/mode").exists());
    assert!(!site.path("state/staging/lock.json").exists());
    assert!(!site.path("state/staging/journal.json").exists());
}

#[test]
fn rolling_under_load_fails_no_request_and_replaces_every_instance() {
    let Some(site) = Site::new(SiteOptions {
        instances: 3,
        strategy: "rolling",
        deploy_extra: "  rolling: { max-surge: 1, max-unavailable: 0 }\n".to_owned(),
        health: "{ interval: 100ms, timeout: 2s, deadline: 10s, drain: 300ms }",
        ..SiteOptions::default()
    }) else {
        return;
    };
    site.deploy_ok("1.0.0");
    site.artifact("2.0.0", "healthy");
    let load = Load::start(site.addr(), 3);
    std::thread::sleep(Duration::from_millis(300));
    let t = site
        .slipway(&["--version", "2.0.0", "--artifact"])
        .arg_path(site.path("artifacts/2.0.0"))
        .run();
    let done = Instant::now();
    std::thread::sleep(Duration::from_millis(300));
    let samples = load.finish();
    t.code(0);
    assert!(t.stderr.contains("batch 3 done"), "{}", t.stderr);
    assert!(
        failures(&samples).is_empty(),
        "{} failed requests, first {:?}\nnginx error log:\n{}",
        failures(&samples).len(),
        failures(&samples).first(),
        site.nginx_errors()
    );
    // Mid-rollout both versions served; afterwards only the new one.
    assert!(samples.iter().any(|s| s.result.as_deref() == Ok("1.0.0")));
    assert!(
        samples
            .iter()
            .filter(|s| s.at > done)
            .all(|s| s.result.as_deref() == Ok("2.0.0"))
    );
    let state = site.state();
    let versions: Vec<&str> = state["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .map(|p| p["version"].as_str().expect("version"))
        .collect();
    assert_eq!(versions, ["2.0.0", "2.0.0", "2.0.0"]);
    assert_eq!(site.history()[1]["strategy"], "rolling");
}

#[test]
fn canary_shifts_weighted_traffic_then_promotes() {
    let Some(site) = Site::new(SiteOptions {
        strategy: "canary",
        deploy_extra: "  canary: { steps: [50, 100], pause: 1s }\n".to_owned(),
        ..SiteOptions::default()
    }) else {
        return;
    };
    site.deploy_ok("1.0.0");
    site.artifact("2.0.0", "healthy");
    let load = Load::start(site.addr(), 2);
    let t = site
        .slipway(&["--version", "2.0.0", "--artifact"])
        .arg_path(site.path("artifacts/2.0.0"))
        .run();
    let samples = load.finish();
    t.code(0);
    assert!(t.stderr.contains("50% of traffic on 2.0.0"), "{}", t.stderr);
    assert!(
        t.stderr.contains("requests to the new version failed"),
        "{}",
        t.stderr
    );
    assert!(
        failures(&samples).is_empty(),
        "{} failed requests, first {:?}\nnginx error log:\n{}",
        failures(&samples).len(),
        failures(&samples).first(),
        site.nginx_errors()
    );
    assert_eq!(site.version(), "2.0.0");
    assert!(!site.upstream().contains("weight="), "{}", site.upstream());
}

#[test]
fn a_canary_that_crashes_under_its_share_of_traffic_is_rolled_back() {
    let Some(site) = Site::new(SiteOptions {
        strategy: "canary",
        deploy_extra: "  canary: { steps: [50, 100], pause: 2s }\n".to_owned(),
        ..SiteOptions::default()
    }) else {
        return;
    };
    site.deploy_ok("1.0.0");
    site.artifact("2.0.0", "crash-after=5");
    let load = Load::start(site.addr(), 2);
    let t = site
        .slipway(&["--version", "2.0.0", "--artifact"])
        .arg_path(site.path("artifacts/2.0.0"))
        .run();
    let _ = load.finish();
    t.code(1);
    assert_eq!(site.version(), "1.0.0");
    let last = site.history().pop().expect("record");
    assert_eq!(last["outcome"], "rolled-back");
    assert_eq!(site.app_pids().len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Failures: the old version keeps or regains the traffic

#[test]
fn a_new_version_failing_its_health_check_never_gets_traffic() {
    let Some(site) = Site::new(SiteOptions {
        health: "{ interval: 100ms, timeout: 1s, deadline: 1500ms, drain: 500ms }",
        ..SiteOptions::default()
    }) else {
        return;
    };
    site.deploy_ok("1.0.0");
    let before = site.upstream();
    site.artifact("2.0.0", "unhealthy");
    let t = site
        .slipway(&["--version", "2.0.0", "--artifact"])
        .arg_path(site.path("artifacts/2.0.0"))
        .run();
    t.code(1);
    assert!(t.stderr.contains("failed its health check"), "{}", t.stderr);
    assert!(t.stderr.contains("answered 503"), "{}", t.stderr);
    assert_eq!(site.version(), "1.0.0");
    assert_eq!(site.upstream(), before);
    let last = site.history().pop().expect("record");
    assert_eq!(last["outcome"], "failure");
    assert!(
        last["reason"]
            .as_str()
            .is_some_and(|r| r.contains("health check")),
        "{last}"
    );
    assert_eq!(
        site.app_pids().len(),
        2,
        "the unhealthy instances were stopped"
    );
}

#[test]
fn a_failing_smoke_test_leaves_the_live_version_untouched() {
    let Some(site) = Site::new(SiteOptions {
        deploy_extra: "  smoke: { paths: [/smoke] }\n".to_owned(),
        ..SiteOptions::default()
    }) else {
        return;
    };
    site.deploy_ok("1.0.0");
    site.artifact("2.0.0", "fail-smoke");
    let t = site
        .slipway(&["--version", "2.0.0", "--artifact"])
        .arg_path(site.path("artifacts/2.0.0"))
        .run();
    t.code(1);
    assert_eq!(site.version(), "1.0.0");
    let last = site.history().pop().expect("record");
    assert_eq!(last["outcome"], "failure");
    assert!(
        last["reason"]
            .as_str()
            .is_some_and(|r| r.contains("smoke test GET /smoke") && r.contains("answered 500")),
        "{last}"
    );
}

#[test]
fn a_failing_smoke_command_gets_the_new_versions_url_and_blocks_the_switch() {
    let Some(site) = Site::new(SiteOptions {
        deploy_extra: "  smoke: { command: 'test \"$SLIPWAY_VERSION\" = 1.0.0 || { echo \"checked $SLIPWAY_URL\"; exit 3; }' }\n".to_owned(),
        ..SiteOptions::default()
    }) else {
        return;
    };
    site.deploy_ok("1.0.0");
    site.artifact("2.0.0", "healthy");
    let t = site
        .slipway(&["--version", "2.0.0", "--artifact"])
        .arg_path(site.path("artifacts/2.0.0"))
        .run();
    t.code(1);
    let url = format!("http://127.0.0.1:{}", site.base + 2);
    assert!(
        t.stderr.contains(&format!(
            "the smoke command failed against {url} (exit 3): checked {url}"
        )),
        "{}",
        t.stderr
    );
    assert_eq!(site.version(), "1.0.0");
}

#[test]
fn a_version_crashing_after_the_switch_gives_the_traffic_back_to_the_old_one() {
    let Some(site) = Site::new(SiteOptions {
        health: "{ interval: 100ms, timeout: 1s, deadline: 5s, drain: 4s }",
        ..SiteOptions::default()
    }) else {
        return;
    };
    site.deploy_ok("1.0.0");
    site.artifact("2.0.0", "crash-after=20");
    let load = Load::start(site.addr(), 2);
    let t = site
        .slipway(&["--version", "2.0.0", "--artifact"])
        .arg_path(site.path("artifacts/2.0.0"))
        .run();
    let done = Instant::now();
    std::thread::sleep(Duration::from_millis(300));
    let samples = load.finish();
    t.code(1);
    assert!(t.stderr.contains("rolled-back"), "{}", t.stderr);
    assert!(
        samples
            .iter()
            .filter(|s| s.at > done)
            .all(|s| s.result.as_deref() == Ok("1.0.0")),
        "the old version must have all traffic back"
    );
    assert_eq!(site.version(), "1.0.0");
    let last = site.history().pop().expect("record");
    assert_eq!(last["outcome"], "rolled-back");
    assert!(
        last["reason"]
            .as_str()
            .is_some_and(|r| r.contains("after taking traffic")),
        "{last}"
    );
    assert_eq!(site.state()["live"], "1.0.0");
    assert_eq!(site.state()["live_color"], "blue");
}

#[test]
fn a_rolling_deploy_with_an_unhealthy_batch_restores_the_old_version_everywhere() {
    let Some(site) = Site::new(SiteOptions {
        instances: 2,
        strategy: "rolling",
        health: "{ interval: 100ms, timeout: 1s, deadline: 1s, drain: 200ms }",
        ..SiteOptions::default()
    }) else {
        return;
    };
    site.deploy_ok("1.0.0");
    site.artifact("2.0.0", "unhealthy");
    let t = site
        .slipway(&["--version", "2.0.0", "--artifact"])
        .arg_path(site.path("artifacts/2.0.0"))
        .run();
    t.code(1);
    assert_eq!(site.version(), "1.0.0");
    let state = site.state();
    let versions: Vec<&str> = state["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .map(|p| p["version"].as_str().expect("v"))
        .collect();
    assert_eq!(versions, ["1.0.0", "1.0.0"]);
    assert_eq!(site.history().pop().expect("record")["outcome"], "failure");
}

// ---------------------------------------------------------------------------------------------
// Rollback, status, dry run

#[test]
fn rollback_returns_to_the_previous_version_and_is_recorded() {
    let Some(site) = Site::new(SiteOptions::default()) else {
        return;
    };
    site.deploy_ok("1.0.0");
    site.deploy_ok("2.0.0");
    let started = Instant::now();
    slipway()
        .current_dir(site.dir.path())
        .args([
            "deploy",
            "rollback",
            "--env",
            "staging",
            "--reason",
            "errors after 2.0.0",
        ])
        .run()
        .code(0);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(site.version(), "1.0.0");
    let last = site.history().pop().expect("record");
    assert_eq!(last["operation"], "rollback");
    assert_eq!(last["version"], "1.0.0");
    assert_eq!(last["previous"], "2.0.0");
    assert_eq!(last["reason"], "errors after 2.0.0");
    // And forward again to a retained version, without an artifact.
    slipway()
        .current_dir(site.dir.path())
        .args(["deploy", "rollback", "--env", "staging", "--to", "2.0.0"])
        .run()
        .code(0);
    assert_eq!(site.version(), "2.0.0");
    let t = slipway()
        .current_dir(site.dir.path())
        .args(["deploy", "rollback", "--env", "staging", "--to", "0.9.0"])
        .run();
    t.code(2);
    assert!(
        t.stderr.contains("version `0.9.0` does not exist"),
        "{}",
        t.stderr
    );
    assert!(t.stderr.contains("2.0.0, 1.0.0"), "{}", t.stderr);
}

#[test]
fn status_shows_the_live_version_instances_and_history() {
    let Some(site) = Site::new(SiteOptions::default()) else {
        return;
    };
    site.deploy_ok("1.0.0");
    site.deploy_ok("2.0.0");
    let t = slipway()
        .current_dir(site.dir.path())
        .args(["deploy", "status", "--env", "staging", "--json"])
        .run();
    t.code(0);
    let v: serde_json::Value = serde_json::from_str(&t.stdout).expect("json");
    assert_eq!(v["live"]["version"], "2.0.0");
    assert_eq!(v["live"]["color"], "green");
    assert_eq!(v["live"]["instances"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["live"]["retained"], serde_json::json!(["2.0.0", "1.0.0"]));
    assert_eq!(v["history"][0]["version"], "2.0.0");
    assert_eq!(v["lock"], serde_json::Value::Null);
    let t = slipway()
        .current_dir(site.dir.path())
        .args(["deploy", "status", "--env", "staging"])
        .run();
    t.code(0);
    assert!(
        t.stdout.contains("live:        2.0.0 (green)"),
        "{}",
        t.stdout
    );
    assert!(
        t.stdout.contains("retained:    2.0.0, 1.0.0"),
        "{}",
        t.stdout
    );
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let Some(site) = Site::new(SiteOptions::default()) else {
        return;
    };
    site.artifact("1.0.0", "healthy");
    let before = site.upstream();
    let t = site
        .slipway(&["--version", "1.0.0", "--dry-run", "--artifact"])
        .arg_path(site.path("artifacts/1.0.0"))
        .run();
    t.code(0);
    assert!(
        t.stdout
            .starts_with("plan: deploy `1.0.0` to `staging` (blue-green, hosts target)\n"),
        "{}",
        t.stdout
    );
    assert!(
        t.stdout.contains("`nginx -t`, `nginx -s reload`"),
        "{}",
        t.stdout
    );
    assert_eq!(site.upstream(), before);
    assert!(!site.path("state").exists());
    assert!(site.app_pids().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Crash safety and the lock

#[test]
fn a_deploy_killed_mid_switch_leaves_the_old_version_serving_and_the_next_run_completes_it() {
    let Some(nginx) = nginx_binary() else {
        return;
    };
    // nginx behind a wrapper that makes the reload slow while a marker file exists, so the
    // deploy can be killed in the middle of its switch.
    let wrapper_dir = tempfile::tempdir().expect("tempdir");
    let wrapper = wrapper_dir.path().join("nginx");
    let marker = wrapper_dir.path().join("slow");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\nfor a; do if [ \"$a\" = reload ] && [ -f {m} ]; then sleep 3; fi; done\nexec {n} \"$@\"\n",
            m = marker.display(),
            n = nginx.display()
        ),
    )
    .expect("wrapper");
    Command::new("chmod")
        .arg("+x")
        .arg(&wrapper)
        .status()
        .expect("chmod");
    let site = Site::new(SiteOptions {
        nginx_binary: Some(wrapper.display().to_string()),
        ..SiteOptions::default()
    })
    .expect("site");
    site.deploy_ok("1.0.0");
    site.artifact("2.0.0", "healthy");
    std::fs::write(&marker, "").expect("marker");
    kill_deploy_in_phase(&site, "2.0.0", "switching", Duration::from_millis(300));
    // Killed mid-switch: nginx has not reloaded, the old version serves.
    assert_eq!(site.version(), "1.0.0");
    assert!(site.path("state/staging/lock.json").exists());
    std::fs::remove_file(&marker).expect("marker");
    std::thread::sleep(Duration::from_secs(4));
    // The next run finds the journal, completes the interrupted deploy (2.0.0 is healthy and
    // had its switch written), then deploys.
    let t = site
        .slipway(&["--version", "3.0.0", "--artifact"])
        .arg_path(site.artifact("3.0.0", "healthy"))
        .run();
    t.code(0);
    assert!(
        t.stderr
            .contains("found an interrupted deploy of `2.0.0` (step `switching`)"),
        "{}",
        t.stderr
    );
    assert_eq!(site.version(), "3.0.0");
    let history = site.history();
    let interrupted = &history[1];
    assert_eq!(interrupted["version"], "2.0.0");
    assert!(
        interrupted["reason"]
            .as_str()
            .is_some_and(|r| r.starts_with("interrupted at `switching`")),
        "{interrupted}"
    );
    assert_eq!(history[2]["version"], "3.0.0");
    assert_eq!(site.app_pids().len(), 2, "{:?}", site.app_pids());
    assert!(!site.path("state/staging/journal.json").exists());
}

#[test]
fn a_deploy_killed_while_checking_the_new_version_is_reverted_by_the_next_run() {
    let Some(site) = Site::new(SiteOptions::default()) else {
        return;
    };
    site.deploy_ok("1.0.0");
    site.artifact("2.0.0", "start-delay=3000");
    kill_deploy_in_phase(&site, "2.0.0", "checking", Duration::ZERO);
    assert_eq!(site.version(), "1.0.0");
    assert_eq!(
        site.app_pids().len(),
        4,
        "the new instances were left running"
    );
    slipway()
        .current_dir(site.dir.path())
        .args(["deploy", "rollback", "--env", "staging", "--to", "1.0.0"])
        .run()
        .code(0);
    let pids = site.app_pids();
    assert_eq!(pids.len(), 2, "{pids:?}");
    assert!(
        pids.iter().all(|(_, cmd)| cmd.contains("1.0.0")),
        "{pids:?}"
    );
    let history = site.history();
    assert_eq!(history[1]["outcome"], "interrupted");
    assert!(
        history[1]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("reverted: 1.0.0 is live again")),
        "{}",
        history[1]
    );
    assert_eq!(site.version(), "1.0.0");
}

#[test]
fn a_second_deploy_fails_naming_the_lock_holder_or_waits_with_wait() {
    let Some(site) = Site::new(SiteOptions::default()) else {
        return;
    };
    site.deploy_ok("1.0.0");
    site.artifact("2.0.0", "start-delay=1500");
    site.artifact("3.0.0", "healthy");
    let child = slipway_cmd(site.dir.path())
        .args([
            "deploy",
            "--env",
            "staging",
            "--version",
            "2.0.0",
            "--artifact",
        ])
        .arg(site.path("artifacts/2.0.0"))
        .spawn()
        .expect("spawn");
    let pid = child.id();
    wait_for("the lock", Duration::from_secs(30), || {
        site.path("state/staging/lock.json").exists()
    });
    let t = site
        .slipway(&["--version", "3.0.0", "--artifact"])
        .arg_path(site.path("artifacts/3.0.0"))
        .run();
    t.code(2);
    assert!(
        t.stderr.contains("error: `staging` is being deployed by ")
            && t.stderr.contains(&format!("(deploy 2.0.0, pid {pid} on ")),
        "{}",
        t.stderr
    );
    assert!(
        t.stderr
            .contains("hint: wait for it to finish, or pass `--wait`"),
        "{}",
        t.stderr
    );
    let t = site
        .slipway(&["--version", "3.0.0", "--wait", "1m", "--artifact"])
        .arg_path(site.path("artifacts/3.0.0"))
        .run();
    t.code(0);
    let out = child.wait_with_output().expect("first deploy");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(site.version(), "3.0.0");
    let versions: Vec<String> = site
        .history()
        .iter()
        .map(|r| r["version"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(versions, ["1.0.0", "2.0.0", "3.0.0"]);
}

// ---------------------------------------------------------------------------------------------
// Bad input: a clear error before anything changes

/// Runs a deploy expected to fail with exit 2 before changing anything.
#[track_caller]
fn refused(site: &Site, args: &[&str], message: &str) -> String {
    let upstream = site.upstream();
    let history = site.history().len();
    let pids = site.app_pids().len();
    let t = site.slipway(args).run();
    t.code(2);
    assert!(
        t.stderr.contains(message),
        "expected `{message}` in\n{}",
        t.stderr
    );
    assert_eq!(site.upstream(), upstream, "the upstream changed");
    assert_eq!(site.history().len(), history, "the history changed");
    assert_eq!(
        site.app_pids().len(),
        pids,
        "instances were started or stopped"
    );
    t.stderr
}

#[test]
fn bad_input_is_refused_before_anything_changes() {
    let Some(site) = Site::new(SiteOptions::default()) else {
        return;
    };
    site.deploy_ok("1.0.0");
    let art = site.artifact("2.0.0", "healthy").display().to_string();
    let e = refused(&site, &[], "error: no version given");
    assert!(e.contains("hint: pass `--version V`"), "{e}");
    let t = slipway()
        .current_dir(site.dir.path())
        .args(["deploy", "--env", "stagign", "--version", "2.0.0"])
        .run();
    t.code(2);
    assert!(
        t.stderr.contains("error: unknown environment `stagign`"),
        "{}",
        t.stderr
    );
    assert!(t.stderr.contains("did you mean `staging`?"), "{}", t.stderr);
    refused(
        &site,
        &[
            "--version",
            "2.0.0",
            "--strategy",
            "big-bang",
            "--artifact",
            &art,
        ],
        "invalid value `big-bang` for `--strategy` (input `strategy`)",
    );
    let e = refused(
        &site,
        &["--version", "9.9.9"],
        "version `9.9.9` does not exist on the `staging` target",
    );
    assert!(
        e.contains("pick a retained version: 2.0.0, 1.0.0") || e.contains("1.0.0"),
        "{e}"
    );
    refused(
        &site,
        &["--version", "../../etc"],
        "`../../etc` is not a usable version label",
    );
    refused(
        &site,
        &["--version", "2.0.0", "--artifact", "/nonexistent/build"],
        "the artifact `/nonexistent/build` does not exist",
    );
    refused(
        &site,
        &[
            "--version",
            "2.0.0",
            "--health-interval",
            "soon",
            "--artifact",
            &art,
        ],
        "invalid value `soon` for `--health-interval`",
    );
    // A port of the pool taken by a process slipway did not start.
    let squatter = std::net::TcpListener::bind(("127.0.0.1", site.base + 2)).expect("bind");
    refused(
        &site,
        &["--version", "2.0.0", "--artifact", &art],
        &format!(
            "port {} on 127.0.0.1 is in use by a process slipway did not start",
            site.base + 2
        ),
    );
    drop(squatter);
    site.slipway(&["--version", "2.0.0", "--artifact", &art])
        .run()
        .code(0);
}

#[test]
fn a_missing_nginx_is_refused_before_anything_changes() {
    let Some(site) = Site::new(SiteOptions {
        nginx_binary: Some("/nonexistent/sbin/nginx".to_owned()),
        ..SiteOptions::default()
    }) else {
        return;
    };
    let art = site.artifact("1.0.0", "healthy").display().to_string();
    let e = refused(
        &site,
        &["--version", "1.0.0", "--artifact", &art],
        "error: nginx not found: `/nonexistent/sbin/nginx` on this machine",
    );
    assert!(e.contains("hint: install nginx"), "{e}");
}

#[test]
fn an_unreachable_ssh_host_is_refused_before_anything_changes() {
    let Some(site) = Site::new(SiteOptions {
        hosts_extra: "    ssh: deploy@app-1.invalid\n    address: 127.0.0.1\n".to_owned(),
        ..SiteOptions::default()
    }) else {
        return;
    };
    let ssh = site.path("unreachable-ssh");
    std::fs::write(
        &ssh,
        "#!/bin/sh\necho 'ssh: Could not resolve hostname app-1.invalid: Name or service not known' >&2\nexit 255\n",
    )
    .expect("fake ssh");
    Command::new("chmod")
        .arg("+x")
        .arg(&ssh)
        .status()
        .expect("chmod");
    let art = site.artifact("1.0.0", "healthy").display().to_string();
    let t = site
        .slipway(&["--version", "1.0.0", "--artifact", &art])
        .env("SLIPWAY_SSH", &ssh)
        .run();
    t.code(2);
    assert!(
        t.stderr
            .contains("cannot reach deploy@app-1.invalid over ssh (exit 255)"),
        "{}",
        t.stderr
    );
    assert!(
        t.stderr.contains("Could not resolve hostname"),
        "{}",
        t.stderr
    );
    assert!(site.app_pids().is_empty());
}

// ---------------------------------------------------------------------------------------------
// Over ssh, and inside GitHub Actions

#[test]
fn a_deploy_over_ssh_runs_every_host_command_through_ssh() {
    let Some(site) = Site::new(SiteOptions {
        hosts_extra: "    ssh: deploy@app-1\n    address: 127.0.0.1\n".to_owned(),
        ..SiteOptions::default()
    }) else {
        return;
    };
    // A fake ssh that records the destination and options, then runs the remote command
    // line locally the way sshd hands it to the login shell.
    let ssh = site.path("fake-ssh");
    let log = site.path("ssh.log");
    std::fs::write(
        &ssh,
        format!(
            r#"#!/bin/sh
opts=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o|-i|-p|-l) opts="$opts $1 $2"; shift 2 ;;
    --) shift; break ;;
    -*) opts="$opts $1"; shift ;;
    *) dest=$1; shift ;;
  esac
done
echo "$dest$opts" >> {log}
exec sh -c "$*"
"#,
            log = log.display()
        ),
    )
    .expect("fake ssh");
    Command::new("chmod")
        .arg("+x")
        .arg(&ssh)
        .status()
        .expect("chmod");
    for v in ["1.0.0", "2.0.0"] {
        let art = site.artifact(v, "healthy");
        site.slipway(&["--version", v, "--artifact"])
            .arg_path(&art)
            .env("SLIPWAY_SSH", &ssh)
            .env(
                "SLIPWAY_CREDENTIALS",
                "-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n-----END OPENSSH PRIVATE KEY-----\n",
            )
            .run()
            .code(0);
    }
    assert_eq!(site.version(), "2.0.0");
    let calls = std::fs::read_to_string(&log).expect("ssh log");
    assert!(calls.lines().count() > 10, "{calls}");
    for line in calls.lines() {
        assert!(
            line.starts_with("deploy@app-1 -o BatchMode=yes -o ConnectTimeout=10"),
            "{line}"
        );
        assert!(line.contains(" -o IdentitiesOnly=yes -i "), "{line}");
    }
    // The key file lived only as long as the run.
    let key = calls
        .lines()
        .next()
        .and_then(|l| l.split(" -i ").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .expect("key path");
    assert!(!Path::new(key).exists(), "{key} was left behind");
    assert_eq!(site.history().len(), 2);
}

#[test]
fn the_action_inputs_drive_a_deploy_and_every_output_is_written() {
    let Some(site) = Site::new(SiteOptions::default()) else {
        return;
    };
    site.deploy_ok("1.0.0");
    let art = site.artifact("2.0.0", "healthy");
    let secret = "s3cr3t-deploy-key-value";
    let t = slipway()
        .current_dir(site.dir.path())
        .args(["deploy"])
        .in_actions()
        .env("SLIPWAY_ENVIRONMENT", "staging")
        .env("SLIPWAY_APP", "")
        .env("SLIPWAY_VERSION", "2.0.0")
        .env("SLIPWAY_ARTIFACT", &art)
        .env("SLIPWAY_STRATEGY", "")
        .env("SLIPWAY_MODE", "deploy")
        .env("SLIPWAY_HEALTH_PATH", "/up")
        .env("SLIPWAY_HEALTH_INTERVAL", "100ms")
        .env("SLIPWAY_HEALTH_TIMEOUT", "")
        .env("SLIPWAY_HEALTH_DEADLINE", "10s")
        .env("SLIPWAY_DRAIN_TIMEOUT", "500ms")
        .env("SLIPWAY_CREDENTIALS", secret)
        .env("GITHUB_TOKEN", "ghs_faketoken0123456789")
        .run();
    t.code(0);
    assert!(
        t.stderr.contains(&format!("::add-mask::{secret}")),
        "{}",
        t.stderr
    );
    for text in [&t.stdout, &t.outputs, &t.summary] {
        assert!(!text.contains(secret), "{text}");
    }
    let url = format!("http://127.0.0.1:{}", site.port);
    let outputs = parse_outputs(&t.outputs);
    assert_eq!(
        outputs.get("previous-version").map(String::as_str),
        Some("1.0.0")
    );
    assert_eq!(
        outputs.get("deployed-version").map(String::as_str),
        Some("2.0.0")
    );
    assert_eq!(outputs.get("status").map(String::as_str), Some("success"));
    assert_eq!(outputs.get("url").map(String::as_str), Some(url.as_str()));
    assert_eq!(outputs.get("deployment-id").map(String::as_str), Some(""));
    assert!(
        t.summary
            .contains("### Deploy (blue-green) to staging: success"),
        "{}",
        t.summary
    );
    // `mode: rollback` with an empty version: back to the previous one.
    let t = slipway()
        .current_dir(site.dir.path())
        .args(["deploy"])
        .in_actions()
        .env("SLIPWAY_ENVIRONMENT", "staging")
        .env("SLIPWAY_VERSION", "")
        .env("SLIPWAY_MODE", "rollback")
        .env("SLIPWAY_DRAIN_TIMEOUT", "200ms")
        .run();
    t.code(0);
    let outputs = parse_outputs(&t.outputs);
    assert_eq!(
        outputs.get("previous-version").map(String::as_str),
        Some("2.0.0")
    );
    assert_eq!(
        outputs.get("deployed-version").map(String::as_str),
        Some("1.0.0")
    );
    assert!(
        t.summary.contains("### Rollback to staging: success"),
        "{}",
        t.summary
    );
}

/// `name<<delim\nvalue\ndelim` or `name=value` lines of GITHUB_OUTPUT.
fn parse_outputs(text: &str) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delim)) = line.split_once("<<") {
            let mut value = Vec::new();
            for l in lines.by_ref() {
                if l == delim {
                    break;
                }
                value.push(l);
            }
            out.insert(name.to_owned(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            out.insert(name.to_owned(), value.to_owned());
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The deploy action end to end under act (host mode, offline)

#[test]
fn act_runs_the_deploy_action_blue_green_to_a_local_nginx_with_its_outputs_and_summary() {
    let Some(site) = Site::new(SiteOptions::default()) else {
        return;
    };
    let Some(act) = common::act::act() else {
        return;
    };
    site.deploy_ok("1.0.0");
    let art = site.artifact("2.0.0", "healthy");
    let workflow = format!(
        r#"on: push
permissions: {{}}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: {checkout}
        with:
          persist-credentials: false
      - id: deploy
        uses: ./actions/deploy
        with:
          environment: staging
          version: 2.0.0
          artifact: {art}
          strategy: blue-green
          health-interval: 100ms
          health-deadline: 10s
          drain-timeout: 500ms
          credentials: ${{{{ secrets.DEPLOY_KEY }}}}
      - name: Show the outputs
        env:
          PREVIOUS: ${{{{ steps.deploy.outputs.previous-version }}}}
          DEPLOYED: ${{{{ steps.deploy.outputs.deployed-version }}}}
          STATUS: ${{{{ steps.deploy.outputs.status }}}}
          URL: ${{{{ steps.deploy.outputs.url }}}}
        run: echo "OUT previous=$PREVIOUS deployed=$DEPLOYED status=$STATUS url=$URL"
"#,
        checkout = common::act::CHECKOUT,
        art = art.display()
    );
    let config = std::fs::read_to_string(site.path("slipway.yml")).expect("config");
    let repo = common::act::repo(&[("slipway.yml", &config)], &workflow);
    let (code, log) = common::act::run(
        &act,
        repo.path(),
        &common::act::Options {
            args: &["-s", "DEPLOY_KEY=k3y-material-for-the-host"],
            ..Default::default()
        },
    );
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("Job succeeded"), "{log}");
    assert!(
        log.contains(&format!(
            "OUT previous=1.0.0 deployed=2.0.0 status=success url=http://127.0.0.1:{}",
            site.port
        )),
        "{log}"
    );
    assert!(
        log.contains("Deploy (blue-green) to staging: success"),
        "{log}"
    );
    assert!(!log.contains("k3y-material-for-the-host"), "{log}");
    assert_eq!(site.version(), "2.0.0");
    let last = site.history().pop().expect("record");
    assert_eq!(last["version"], "2.0.0");
    assert_eq!(last["outcome"], "success");
}

#[test]
fn a_deploy_that_cannot_run_inside_actions_sets_status_failure() {
    let Some(site) = Site::new(SiteOptions::default()) else {
        return;
    };
    site.deploy_ok("1.0.0");
    let t = slipway()
        .current_dir(site.dir.path())
        .args(["deploy", "--env", "staging", "--version", "9.9.9"])
        .in_actions()
        .run();
    t.code(2);
    let outputs = parse_outputs(&t.outputs);
    assert_eq!(
        outputs.get("status").map(String::as_str),
        Some("failure"),
        "{}",
        t.outputs
    );
    assert!(
        t.stderr
            .contains("::error title=slipway deploy::version `9.9.9` does not exist"),
        "{}",
        t.stderr
    );
    assert_eq!(site.version(), "1.0.0");
}

#[test]
fn a_deploy_killed_while_draining_is_completed_by_the_next_run() {
    let Some(site) = Site::new(SiteOptions {
        health: "{ interval: 100ms, timeout: 2s, deadline: 10s, drain: 20s }",
        ..SiteOptions::default()
    }) else {
        return;
    };
    site.deploy_ok("1.0.0");
    site.artifact("2.0.0", "healthy");
    kill_deploy_in_phase(&site, "2.0.0", "draining", Duration::ZERO);
    // The switch was done: the new version serves, the old one still runs.
    assert_eq!(site.version(), "2.0.0");
    assert_eq!(site.app_pids().len(), 4);
    let t = slipway()
        .current_dir(site.dir.path())
        .args(["deploy", "rollback", "--env", "staging", "--to", "2.0.0"])
        .run();
    t.code(0);
    assert!(
        t.stderr
            .contains("found an interrupted deploy of `2.0.0` (step `draining`)"),
        "{}",
        t.stderr
    );
    let pids = site.app_pids();
    assert_eq!(pids.len(), 2, "{pids:?}");
    assert!(
        pids.iter().all(|(_, cmd)| cmd.contains("2.0.0")),
        "{pids:?}"
    );
    let record = &site.history()[1];
    assert_eq!(record["outcome"], "success");
    assert!(
        record["reason"]
            .as_str()
            .is_some_and(|r| r.contains("completed: 2.0.0 is live and healthy")),
        "{record}"
    );
}

// ---------------------------------------------------------------------------------------------
// Stopping instances

/// Non-zombie processes in process group `pgid`.
fn group_members(pgid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.first() != Some(&"Z") && fields.get(2) == Some(&pgid.to_string().as_str()) {
            out.push(pid);
        }
    }
    out
}

/// The process groups of the instances in the state file.
fn recorded_groups(site: &Site) -> Vec<i32> {
    site.state()["instances"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| {
                    p["handle"]
                        .as_str()?
                        .split_whitespace()
                        .next()?
                        .parse()
                        .ok()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn ten_blue_green_switches_in_a_row_stop_apps_that_do_not_exec_ignore_sigterm_and_fork() {
    // The start command does not exec: its `sh -c` stays the leader, forks a child that
    // lingers and the app itself, which ignores SIGTERM.
    let Some(site) = Site::new(SiteOptions {
        start: Some(
            "sleep 300 & (trap '' TERM; exec {app} --port {port} --version {version}) & wait"
                .to_owned(),
        ),
        ..SiteOptions::default()
    }) else {
        return;
    };
    site.deploy_ok("1.0.0");
    site.deploy_ok("2.0.0");
    let mut groups = recorded_groups(&site);
    let mut ok = 0;
    let mut failed = Vec::new();
    for i in 0..10 {
        let t = slipway()
            .current_dir(site.dir.path())
            .args(["deploy", "rollback", "--env", "staging"])
            .run();
        let want = if i % 2 == 0 { "1.0.0" } else { "2.0.0" };
        if t.code == Some(0) && site.version() == want {
            ok += 1;
        } else {
            failed.push(format!("switch {}: {}", i + 1, t.stderr));
        }
        groups.extend(recorded_groups(&site));
    }
    eprintln!("blue-green switches in a row: {ok}/10");
    assert_eq!(ok, 10, "{failed:#?}");
    // Only the live colour runs; every other group slipway started is gone, children too.
    wait_for("the old colours to stop", Duration::from_secs(15), || {
        site.app_pids().len() == 2
    });
    let live = recorded_groups(&site);
    groups.sort_unstable();
    groups.dedup();
    for g in groups.iter().filter(|g| !live.contains(g)) {
        assert_eq!(group_members(*g), Vec::<i32>::new(), "group {g} survived");
    }
}

// ---------------------------------------------------------------------------------------------
// Status after a crash

#[test]
fn status_after_a_crash_between_the_switch_and_its_record_names_what_nginx_serves() {
    let Some(nginx) = nginx_binary() else {
        return;
    };
    // nginx behind a wrapper that, while a marker file exists, reloads and then kills slipway
    // (its grandparent: slipway runs `sh -c <script>`, which runs the wrapper) with SIGKILL:
    // the switch is done, the state was not written.
    let wrapper_dir = tempfile::tempdir().expect("tempdir");
    let wrapper = wrapper_dir.path().join("nginx");
    let marker = wrapper_dir.path().join("crash");
    std::fs::write(
        &wrapper,
        format!(
            "#!/bin/sh\n{n} \"$@\"; rc=$?\nfor a; do if [ \"$a\" = reload ] && [ -f {m} ]; then rm -f {m}; read -r l < /proc/$PPID/stat; set -- ${{l##*) }}; kill -9 \"$2\"; fi; done\nexit $rc\n",
            m = marker.display(),
            n = nginx.display()
        ),
    )
    .expect("wrapper");
    Command::new("chmod")
        .arg("+x")
        .arg(&wrapper)
        .status()
        .expect("chmod");
    let site = Site::new(SiteOptions {
        nginx_binary: Some(wrapper.display().to_string()),
        ..SiteOptions::default()
    })
    .expect("site");
    site.deploy_ok("1.0.0");
    site.artifact("2.0.0", "healthy");
    std::fs::write(&marker, "").expect("marker");
    let t = site
        .slipway(&["--version", "2.0.0", "--artifact"])
        .arg_path(site.path("artifacts/2.0.0"))
        .run();
    assert_eq!(t.code, None, "killed: {}", t.stderr);
    wait_for("nginx to serve 2.0.0", Duration::from_secs(10), || {
        site.version() == "2.0.0"
    });
    assert_eq!(site.state()["live"], "1.0.0", "the state was not written");
    let t = status_of(&site, true);
    t.code(0);
    let v: serde_json::Value = serde_json::from_str(&t.stdout).expect("json");
    assert_eq!(v["live"]["version"], "2.0.0", "{}", t.stdout);
    assert_eq!(v["live"]["color"], "green", "{}", t.stdout);
    let versions: Vec<&str> = v["live"]["instances"]
        .as_array()
        .expect("instances")
        .iter()
        .map(|i| i["version"].as_str().expect("version"))
        .collect();
    assert_eq!(versions, ["2.0.0", "2.0.0"], "{}", t.stdout);
    assert!(
        v["live"]["disagreement"]
            .as_str()
            .is_some_and(|d| d.contains("records `1.0.0` live but nginx serves `2.0.0`")),
        "{}",
        t.stdout
    );
    let text = status_of(&site, false);
    assert!(
        text.stdout.contains("live:        2.0.0 (green)"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("warning:"), "{}", text.stdout);
    // The next deploy reconciles: it completes the interrupted switch, and status agrees.
    site.deploy_ok("3.0.0");
    let t = status_of(&site, true);
    let v: serde_json::Value = serde_json::from_str(&t.stdout).expect("json");
    assert_eq!(v["live"]["version"], "3.0.0");
    assert!(v["live"].get("disagreement").is_none(), "{}", t.stdout);
}

/// `slipway deploy status --env staging [--json]`.
fn status_of(site: &Site, json: bool) -> common::Transcript {
    let mut args = vec!["deploy", "status", "--env", "staging"];
    if json {
        args.push("--json");
    }
    slipway().current_dir(site.dir.path()).args(args).run()
}

// ---------------------------------------------------------------------------------------------
// Secrets in what leaves slipway

#[test]
fn secrets_an_app_prints_as_it_fails_reach_no_log_summary_output_json_or_history() {
    // The app prints a database URL with its password and a declared secret, then fails its
    // health check: the end of its log is quoted in the reason of the failure.
    let password = "Zq8vK2pLm4xR";
    let api_key = "shop-api-key-Vq93xLm2Tt";
    let Some(site) = Site::new(SiteOptions {
        start: Some(format!(
            "echo DATABASE_URL=postgres://shop:{password}@db.internal:5432/shop; echo key=$SHOP_API_KEY; exec {{app}} --port {{port}} --version {{version}}"
        )),
        env_extra: ", secrets: [SHOP_API_KEY]",
        health: "{ interval: 100ms, timeout: 1s, deadline: 1500ms, drain: 200ms }",
        ..SiteOptions::default()
    }) else {
        return;
    };
    site.deploy_ok("1.0.0");
    let art = site.artifact("2.0.0", "unhealthy");
    let t = slipway()
        .current_dir(site.dir.path())
        .args([
            "deploy",
            "--env",
            "staging",
            "--version",
            "2.0.0",
            "--json",
            "--artifact",
        ])
        .arg_path(&art)
        .in_actions()
        .env("SHOP_API_KEY", api_key)
        .run();
    t.code(1);
    assert!(
        t.stderr.contains(&format!("::add-mask::{api_key}")),
        "the declared secret is masked early: {}",
        t.stderr
    );
    let history =
        std::fs::read_to_string(site.path("state/staging/history.jsonl")).expect("history");
    let last = site.history().pop().expect("record");
    let reason = last["reason"].as_str().expect("reason").to_owned();
    assert!(
        reason.contains("DATABASE_URL=postgres://shop:***@db.internal"),
        "the log tail is quoted, redacted: {reason}"
    );
    assert!(reason.contains("key=***"), "{reason}");
    let stderr_without_masks: String = t
        .stderr
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect::<Vec<_>>()
        .join("\n");
    for (sink, text) in [
        ("stderr", &stderr_without_masks),
        ("stdout (--json)", &t.stdout),
        ("outputs", &t.outputs),
        ("summary", &t.summary),
        ("history", &history),
    ] {
        assert!(
            !text.contains(password),
            "{sink} leaks the password: {text}"
        );
        assert!(
            !text.contains(api_key),
            "{sink} leaks the declared secret: {text}"
        );
    }
    assert!(t.stdout.contains("postgres://shop:***@"), "{}", t.stdout);
    let status = status_of(&site, true);
    assert!(!status.stdout.contains(password), "{}", status.stdout);
}

#[test]
fn an_instance_started_but_never_recorded_is_stopped_by_the_next_run() {
    let Some(site) = Site::new(SiteOptions::default()) else {
        return;
    };
    site.deploy_ok("1.0.0");
    // What a slipway killed between starting an instance and recording it leaves: a process
    // group whose handle is only in the pid file (here an app that does not exec and ignores
    // SIGTERM).
    let pids = site.path("state/staging/pids");
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "cd {d} && nohup setsid sh -c \"(trap '' TERM; exec sleep 300) & wait\" >/dev/null 2>&1 < /dev/null &\npid=$!; st=$(sed 's/^.*) //' /proc/$pid/stat | cut -d' ' -f20); echo \"$pid $st\" > {pids}/blue-99; echo $pid",
            d = site.dir.path().display(),
            pids = pids.display()
        ))
        .output()
        .expect("orphan");
    let pgid: i32 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("pid");
    wait_for("the orphan's child", Duration::from_secs(5), || {
        group_members(pgid).len() == 2
    });
    site.deploy_ok("2.0.0");
    assert_eq!(
        group_members(pgid),
        Vec::<i32>::new(),
        "the orphan group survived"
    );
    assert!(!pids.join("blue-99").exists());
    assert_eq!(site.version(), "2.0.0");
}
