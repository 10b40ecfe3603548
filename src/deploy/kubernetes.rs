//! The `kubernetes` target: everything through a `kubectl` binary
//! (`SLIPWAY_KUBECTL`, else `kubectl` on PATH).
//!
//! - **rolling**: the Deployment's own rolling update. `kubectl set image` puts the new image
//!   in, `kubectl rollout status --timeout` waits for the new pods to be ready (readiness
//!   probes), and an unfinished rollout is reverted with `kubectl rollout undo`
//!   (<https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#rolling-back-a-deployment>).
//!   With an environment `url`, the HTTP health check must pass too.
//! - **blue-green**: two Deployments `<name>-blue` and `<name>-green` and one Service whose
//!   selector's `color` label names the live one. The idle colour gets the new image and the
//!   live colour's replica count, must finish its rollout and answer the HTTP health check
//!   through `kubectl port-forward`, then `kubectl patch` switches the selector. The old colour
//!   stays scaled, so a rollback is one more patch.
//!
//! The version becomes an image by replacing the tag of the Deployment's current image
//! (`ghcr.io/acme/shop:1.4.1` deploys `1.4.2` as `ghcr.io/acme/shop:1.4.2`); a version with a
//! `/` or `@` is used as the whole image reference.
//!
//! The kubeconfig comes from the secret named by `deploy.kubernetes.kubeconfig-secret`
//! (default `KUBECONFIG`). What it holds is decided by its content, never by its shape: a
//! YAML or JSON document (block or flow style, one line or many, or that document in base64)
//! with `apiVersion`, `clusters`, `users` or `contexts` is a kubeconfig. It is written to a
//! 0600 temporary file for `--kubeconfig` and removed afterwards, and every credential in it
//! (tokens, keys, passwords, auth-provider secrets) is registered as a mask first. Anything
//! else must be the path of a kubeconfig file; a value that is neither is refused without
//! being echoed. Credentials never reach kubectl's command line.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::cli::Resolved;
use super::command::{self, Ran, Step};
use super::journal::{Entry, Journal};
use super::{
    Color, DirStore, HealthSettings, Instance, Live, Outcome as DeployOutcome, Progress, Recovery,
    RecoveryAction, Request, RollbackRequest, Status as DeployStatus, Store, Target, health,
};
use crate::config;
use crate::error::Hint;
use crate::github::Secret;

/// The variable naming the kubectl binary to use.
pub const ENV_KUBECTL: &str = "SLIPWAY_KUBECTL";
/// The Service selector label that names the live colour.
pub const COLOR_LABEL: &str = "color";
/// How long a kubectl call other than `rollout status` may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// What the kubernetes target can fail on before or while it changes anything.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// kubectl could not be run.
    #[error(transparent)]
    Run(#[from] command::Error),
    /// A kubectl call failed where nothing can be rolled back.
    #[error("`kubectl {call}` failed: {why}")]
    Kubectl {
        /// The call, without the kubeconfig.
        call: String,
        /// The exit and the last line of output.
        why: String,
    },
    /// An object the target needs does not exist.
    #[error("{kind} `{name}` does not exist{namespace}")]
    Missing {
        /// `deployment` or `service`.
        kind: &'static str,
        /// Its name.
        name: String,
        /// ` in namespace ...` or empty.
        namespace: String,
    },
    /// kubectl answered something that is not the object we asked for.
    #[error("`kubectl get {kind} {name} -o json` answered something unexpected: {why}")]
    Unexpected {
        /// The kind.
        kind: &'static str,
        /// The name.
        name: String,
        /// What was wrong.
        why: String,
    },
    /// The Service has no colour in its selector.
    #[error("service `{0}` has no `color` in its selector, so the live colour is unknown")]
    NoColor(String),
    /// The kubeconfig could not be written.
    #[error("could not write the kubeconfig to a temporary file")]
    Kubeconfig(#[source] std::io::Error),
    /// The kubeconfig secret is neither a kubeconfig nor the path of an existing file.
    #[error(
        "the kubeconfig secret ({chars} characters) is neither a kubeconfig nor the path of a file"
    )]
    KubeconfigValue {
        /// Its length: the value itself may be a mangled credential and is never shown.
        chars: usize,
    },
    /// `--to` was asked of a blue-green rollback whose idle colour runs another version.
    #[error("the idle colour runs `{idle}`, not `{to}`")]
    NotRetained {
        /// The idle colour's version.
        idle: String,
        /// The version asked for.
        to: String,
    },
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Run(_) => Some(format!(
                "install kubectl or point `{ENV_KUBECTL}` at it, e.g. `{ENV_KUBECTL}=/usr/local/bin/kubectl`"
            )),
            Self::Kubectl { .. } => Some(
                "check the kubeconfig secret, the context's permissions and `deploy.kubernetes` in slipway.yml"
                    .into(),
            ),
            Self::Missing { kind: "service", .. } => Some(
                "create the Service first, selecting `color: blue`, or set `deploy.kubernetes.service`"
                    .into(),
            ),
            Self::Missing { .. } => Some(
                "create the Deployment(s) first (blue-green needs `<name>-blue` and `<name>-green`), or set `deploy.kubernetes.deployment`"
                    .into(),
            ),
            Self::NoColor(_) => Some(
                "add `color: blue` to the Service's selector and the label `color: blue|green` to the two Deployments' pod templates"
                    .into(),
            ),
            Self::Unexpected { .. } => Some("check that kubectl talks to a Kubernetes API".into()),
            Self::Kubeconfig(_) => Some("check that the temporary directory is writable".into()),
            Self::KubeconfigValue { .. } => Some(
                "store the whole kubeconfig (YAML or JSON with `apiVersion` and `clusters`, or it in base64) in the secret, or the path of a kubeconfig file on the runner"
                    .into(),
            ),
            Self::NotRetained { .. } => Some(
                "blue-green keeps only the previous version; deploy the older one as a new version instead"
                    .into(),
            ),
        }
    }
}

/// A kubectl binary with its connection flags.
#[derive(Debug)]
pub struct Kubectl {
    program: PathBuf,
    namespace: Option<String>,
    /// Kept open for as long as kubectl is used; removed on drop.
    kubeconfig: Option<tempfile::NamedTempFile>,
    kubeconfig_path: Option<String>,
    /// Print kubectl's output as it runs.
    pub stream: bool,
}

impl Kubectl {
    /// kubectl from `SLIPWAY_KUBECTL` or PATH, the kubeconfig from the secret `cfg` names.
    pub fn from_env(cfg: &config::Kubernetes) -> Result<Self, Error> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let program = var(ENV_KUBECTL).map_or_else(|| PathBuf::from("kubectl"), PathBuf::from);
        let secret = cfg
            .kubeconfig_secret
            .as_ref()
            .map_or("KUBECONFIG", |s| s.as_str());
        Self::new(program, cfg.namespace.clone(), var(secret).as_deref())
    }

    /// kubectl at `program`; `kubeconfig` is YAML content or a path.
    pub fn new(
        program: PathBuf,
        namespace: Option<String>,
        kubeconfig: Option<&str>,
    ) -> Result<Self, Error> {
        let mut me = Self {
            program,
            namespace,
            kubeconfig: None,
            kubeconfig_path: None,
            stream: true,
        };
        match kubeconfig.map(classify) {
            Some(Kubeconfig::Content(text, doc)) => {
                mask_credentials(&text, doc.as_ref());
                // NOTE: tempfile creates files with mode 0600.
                let mut file = tempfile::Builder::new()
                    .prefix("slipway-kubeconfig-")
                    .tempfile()
                    .map_err(Error::Kubeconfig)?;
                file.write_all(text.as_bytes())
                    .and_then(|()| file.flush())
                    .map_err(Error::Kubeconfig)?;
                me.kubeconfig_path = Some(file.path().display().to_string());
                me.kubeconfig = Some(file);
            }
            Some(Kubeconfig::Path(path)) => me.kubeconfig_path = Some(path),
            Some(Kubeconfig::Neither(chars)) => {
                // Whatever it is, it may be a credential: hidden from every later line.
                if let Some(text) = kubeconfig {
                    crate::github::runtime().mask_str(text.trim());
                }
                return Err(Error::KubeconfigValue { chars });
            }
            None => {}
        }
        Ok(me)
    }

    fn args(&self, call: &[&str]) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(path) = &self.kubeconfig_path {
            args.push(format!("--kubeconfig={path}"));
        }
        if let Some(ns) = &self.namespace {
            args.push(format!("--namespace={ns}"));
        }
        args.extend(call.iter().map(|s| (*s).to_owned()));
        args
    }

    fn step(&self, call: &[&str], timeout: Duration) -> Step {
        Step {
            label: "kubectl".to_owned(),
            program: self.program.clone(),
            args: self.args(call),
            env: Vec::new(),
            // The secret may have been exported as KUBECONFIG with content, not a path.
            env_remove: if self.kubeconfig.is_some() {
                vec!["KUBECONFIG".to_owned()]
            } else {
                Vec::new()
            },
            timeout,
            stream: self.stream,
        }
    }

    /// Runs one call; its exit status is the caller's to judge.
    pub fn call(&self, call: &[&str], timeout: Duration) -> Result<Ran, Error> {
        Ok(command::run(&self.step(call, timeout))?)
    }

    /// Runs one call that must succeed.
    pub fn must(&self, call: &[&str]) -> Result<Ran, Error> {
        let ran = self.call(call, CALL_TIMEOUT)?;
        if ran.success() {
            Ok(ran)
        } else {
            Err(Error::Kubectl {
                call: call.join(" "),
                why: why(&ran),
            })
        }
    }

    /// `kubectl get KIND NAME -o json`; `None` when it does not exist.
    pub fn get(&self, kind: &'static str, name: &str) -> Result<Option<Value>, Error> {
        let mut quiet = self.step(&["get", kind, name, "-o", "json"], CALL_TIMEOUT);
        quiet.stream = false;
        let ran = command::run(&quiet)?;
        if !ran.success() {
            if ran.tail.iter().any(|l| l.contains("(NotFound)")) {
                return Ok(None);
            }
            return Err(Error::Kubectl {
                call: format!("get {kind} {name} -o json"),
                why: why(&ran),
            });
        }
        let value: Value = serde_json::from_str(&ran.stdout).map_err(|e| Error::Unexpected {
            kind,
            name: name.to_owned(),
            why: e.to_string(),
        })?;
        Ok(Some(value))
    }

    fn missing(&self, kind: &'static str, name: &str) -> Error {
        Error::Missing {
            kind,
            name: name.to_owned(),
            namespace: self
                .namespace
                .as_ref()
                .map(|n| format!(" in namespace `{n}`"))
                .unwrap_or_default(),
        }
    }

    /// Starts `kubectl port-forward deployment/NAME :PORT` and returns the local port.
    fn port_forward(&self, deployment: &str, port: u16) -> Result<(Forward, u16), Error> {
        let target = format!("deployment/{deployment}");
        let remote = format!(":{port}");
        let call = ["port-forward", target.as_str(), remote.as_str()];
        let mut cmd = Command::new(&self.program);
        cmd.args(self.args(&call))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if self.kubeconfig.is_some() {
            cmd.env_remove("KUBECONFIG");
        }
        let mut child = cmd.spawn().map_err(|source| command::Error::Spawn {
            label: "kubectl port-forward".into(),
            source,
        })?;
        let (tx, rx) = mpsc::channel();
        // Both streams are read until kubectl exits: it prints `Handling connection for ...`
        // on every probe, and a closed pipe would stop it (SIGPIPE).
        if let Some(out) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    let _ = tx.send(line);
                }
            });
        }
        let errors = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        if let Some(err) = child.stderr.take() {
            let errors = std::sync::Arc::clone(&errors);
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(Result::ok) {
                    if let Ok(mut e) = errors.lock() {
                        e.push(line);
                        if e.len() > 20 {
                            e.remove(0);
                        }
                    }
                }
            });
        }
        let mut forward = Forward(child);
        // NOTE: kubectl prints `Forwarding from 127.0.0.1:PORT -> REMOTE` once listening.
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    if let Some(local) = parse_forwarding(&line) {
                        return Ok((forward, local));
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if forward.0.try_wait().ok().flatten().is_some() {
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        forward.stop();
        // The reader has until kubectl's exit closed the pipe to collect the last lines.
        std::thread::sleep(Duration::from_millis(50));
        let last = errors
            .lock()
            .ok()
            .and_then(|e| e.iter().rev().find(|l| !l.trim().is_empty()).cloned())
            .unwrap_or_else(|| "it did not report a local port".to_owned());
        Err(Error::Kubectl {
            call: call.join(" "),
            why: crate::github::redact(&last).into_owned(),
        })
    }
}

/// A running port-forward; stopped on drop.
struct Forward(Child);

impl Forward {
    fn stop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Forward {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The local port of kubectl's `Forwarding from 127.0.0.1:PORT -> REMOTE` line.
fn parse_forwarding(line: &str) -> Option<u16> {
    let rest = line.trim().strip_prefix("Forwarding from ")?;
    let (addr, _) = rest.split_once(" -> ")?;
    addr.rsplit_once(':')?.1.parse().ok()
}

/// What the kubeconfig secret holds.
#[derive(Debug)]
enum Kubeconfig {
    /// A kubeconfig: its text (decoded when it was base64) and the parsed document.
    Content(String, Option<Value>),
    /// The path of a kubeconfig file.
    Path(String),
    /// Neither; its length in characters.
    Neither(usize),
}

/// The keys whose values are credentials, in `users[].user` and its `auth-provider.config`.
const CREDENTIAL_KEYS: [&str; 10] = [
    "token",
    "client-key-data",
    "client-certificate-data",
    "password",
    "id-token",
    "refresh-token",
    "access-token",
    "client-secret",
    "secret",
    "idp-certificate-authority-data",
];

/// The parsed document when `text` is a kubeconfig: a YAML or JSON mapping (JSON is YAML)
/// with one of the top-level keys kubectl reads.
fn parse_kubeconfig(text: &str) -> Option<Value> {
    let doc: Value = serde_saphyr::from_str(text).ok()?;
    let map = doc.as_object()?;
    ["apiVersion", "clusters", "users", "contexts"]
        .iter()
        .any(|k| map.contains_key(*k))
        .then_some(doc)
}

/// Decides what the kubeconfig secret holds, by its content.
fn classify(value: &str) -> Kubeconfig {
    use base64::Engine as _;
    let trimmed = value.trim();
    if let Some(doc) = parse_kubeconfig(trimmed) {
        return Kubeconfig::Content(value.to_owned(), Some(doc));
    }
    let compact: String = trimmed.split_whitespace().collect();
    if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(compact.as_bytes())
        && let Ok(text) = String::from_utf8(bytes)
        && let Some(doc) = parse_kubeconfig(text.trim())
    {
        // The encoded form is a credential too.
        crate::github::runtime().mask_str(trimmed);
        return Kubeconfig::Content(text, Some(doc));
    }
    if trimmed.contains('\n') {
        // Several lines that do not parse: still content (kubectl will say what is wrong),
        // never a path on a command line.
        return Kubeconfig::Content(value.to_owned(), None);
    }
    if !trimmed.is_empty() && std::path::Path::new(trimmed).is_file() {
        return Kubeconfig::Path(trimmed.to_owned());
    }
    Kubeconfig::Neither(trimmed.chars().count())
}

/// Registers the credential values of a kubeconfig (tokens, keys, passwords) as masks: from
/// the parsed document when there is one (any style), else line by line.
fn mask_credentials(kubeconfig: &str, doc: Option<&Value>) {
    fn walk(v: &Value) {
        match v {
            Value::Object(map) => {
                for (k, v) in map {
                    match v {
                        Value::String(s) if CREDENTIAL_KEYS.contains(&k.as_str()) => mask(s),
                        _ => walk(v),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(walk),
            _ => {}
        }
    }
    fn mask(value: &str) {
        let value = value.trim();
        if value.len() >= 6 {
            crate::github::runtime().mask_str(value);
        }
    }
    if let Some(doc) = doc {
        walk(doc);
        return;
    }
    for line in kubeconfig.lines() {
        let trimmed = line.trim_start().trim_start_matches("- ");
        for key in CREDENTIAL_KEYS {
            if let Some(value) = trimmed
                .strip_prefix(key)
                .and_then(|rest| rest.strip_prefix(':'))
            {
                mask(value.trim().trim_matches(['"', '\'']));
            }
        }
    }
}

fn why(ran: &Ran) -> String {
    let last = ran
        .last_error
        .as_ref()
        .or_else(|| ran.tail.iter().rev().find(|l| !l.trim().is_empty()));
    match last {
        Some(last) => format!("{}: {last}", ran.failure()),
        None => ran.failure(),
    }
}

/// The image reference for `version`, from the current image `current`.
///
/// ```
/// use slipway::deploy::kubernetes::image_for;
/// assert_eq!(image_for("ghcr.io/acme/shop:1.4.1", "1.4.2"), "ghcr.io/acme/shop:1.4.2");
/// assert_eq!(image_for("localhost:5000/shop", "2.0.0"), "localhost:5000/shop:2.0.0");
/// assert_eq!(image_for("shop@sha256:abc", "1.0.0"), "shop:1.0.0");
/// assert_eq!(image_for("shop:1", "ghcr.io/acme/shop@sha256:def"), "ghcr.io/acme/shop@sha256:def");
/// ```
pub fn image_for(current: &str, version: &str) -> String {
    if version.contains('/') || version.contains('@') {
        return version.to_owned();
    }
    format!("{}:{version}", repository(current))
}

/// The image without tag or digest.
fn repository(image: &str) -> &str {
    let image = image.split('@').next().unwrap_or(image);
    let slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[slash..].rfind(':') {
        Some(i) => &image[..slash + i],
        None => image,
    }
}

/// The version an image runs: its tag, else its digest, else `latest`.
///
/// ```
/// use slipway::deploy::kubernetes::version_of;
/// assert_eq!(version_of("ghcr.io/acme/shop:1.4.1"), "1.4.1");
/// assert_eq!(version_of("localhost:5000/shop"), "latest");
/// ```
pub fn version_of(image: &str) -> String {
    if let Some((_, digest)) = image.split_once('@') {
        return digest.to_owned();
    }
    let repo = repository(image);
    match image.get(repo.len() + 1..) {
        Some(tag) if !tag.is_empty() => tag.to_owned(),
        _ => "latest".to_owned(),
    }
}

/// What slipway reads of a Deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// Its name.
    pub name: String,
    /// The first container's name.
    pub container: String,
    /// The first container's image.
    pub image: String,
    /// The first container's first port (8080 when none is declared).
    pub port: u16,
    /// `spec.replicas`.
    pub replicas: u64,
    /// `status.readyReplicas`.
    pub ready: u64,
}

impl Workload {
    fn parse(name: &str, v: &Value) -> Result<Self, Error> {
        let bad = |why: &str| Error::Unexpected {
            kind: "deployment",
            name: name.to_owned(),
            why: why.to_owned(),
        };
        if v["kind"].as_str() != Some("Deployment") {
            return Err(bad("`kind` is not `Deployment`"));
        }
        let container = v["spec"]["template"]["spec"]["containers"]
            .get(0)
            .ok_or_else(|| bad("no container in `spec.template.spec.containers`"))?;
        let text = |v: &Value, what: &str| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad(&format!("no `{what}`")))
        };
        Ok(Self {
            name: name.to_owned(),
            container: text(&container["name"], "containers[0].name")?,
            image: text(&container["image"], "containers[0].image")?,
            port: container["ports"][0]["containerPort"]
                .as_u64()
                .and_then(|p| u16::try_from(p).ok())
                .unwrap_or(8080),
            replicas: v["spec"]["replicas"].as_u64().unwrap_or(1),
            ready: v["status"]["readyReplicas"].as_u64().unwrap_or(0),
        })
    }

    /// The version it runs.
    pub fn version(&self) -> String {
        version_of(&self.image)
    }
}

/// Where and how the kubernetes target deploys.
#[derive(Debug)]
pub struct KubeTarget {
    /// kubectl.
    pub kubectl: Kubectl,
    /// The Deployment (blue-green: the prefix of `-blue` / `-green`).
    pub deployment: String,
    /// The Service whose selector blue-green switches.
    pub service: String,
    /// Health-check settings.
    pub health: HealthSettings,
    /// The environment's URL, checked after a rolling update when set.
    pub url: Option<String>,
    /// The environment's strategy (what `status` reads: one Deployment or a colour pair).
    pub strategy: config::Strategy,
    /// Lock, journal and history.
    pub store: DirStore,
    /// Steps taken since the last `KubeTarget::drain_notes`, for the log.
    pub notes: std::sync::Mutex<Vec<String>>,
}

/// How a deploy or rollback ended.
pub use super::Ending as Outcome;

/// Everything a deploy or rollback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The result.
    pub outcome: Outcome,
    /// The version that served before.
    pub previous: Option<String>,
    /// The image put in.
    pub image: String,
    /// The colour that serves afterwards (blue-green).
    pub color: Option<String>,
}

/// What `status` shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// The live colour (blue-green).
    pub color: Option<String>,
    /// The live Deployment.
    pub live: Workload,
    /// The idle colour's Deployment (blue-green).
    pub idle: Option<Workload>,
}

/// The other colour.
fn other(color: &str) -> &'static str {
    if color == "blue" { "green" } else { "blue" }
}

impl KubeTarget {
    fn note(&self, message: &str) {
        if let Ok(mut notes) = self.notes.lock() {
            notes.push(message.to_owned());
        }
    }

    fn rollout_timeout(&self) -> String {
        format!("--timeout={}s", self.health.deadline.as_secs().max(1))
    }

    fn rollout_status(&self, deployment: &str) -> Result<Result<(), String>, Error> {
        let target = format!("deployment/{deployment}");
        let timeout = self.rollout_timeout();
        let ran = self.kubectl.call(
            &["rollout", "status", &target, &timeout],
            self.health.deadline + Duration::from_secs(30),
        )?;
        Ok(if ran.success() {
            Ok(())
        } else {
            Err(format!(
                "the rollout of `{deployment}` did not finish ({})",
                why(&ran)
            ))
        })
    }

    fn workload(&self, name: &str) -> Result<Workload, Error> {
        let v = self
            .kubectl
            .get("deployment", name)?
            .ok_or_else(|| self.kubectl.missing("deployment", name))?;
        Workload::parse(name, &v)
    }

    fn live_color(&self) -> Result<String, Error> {
        let svc = self
            .kubectl
            .get("service", &self.service)?
            .ok_or_else(|| self.kubectl.missing("service", &self.service))?;
        match svc["spec"]["selector"][COLOR_LABEL].as_str() {
            Some(c @ ("blue" | "green")) => Ok(c.to_owned()),
            _ => Err(Error::NoColor(self.service.clone())),
        }
    }

    fn switch(&self, color: &str) -> Result<(), Error> {
        let patch =
            serde_json::json!({ "spec": { "selector": { COLOR_LABEL: color } } }).to_string();
        self.kubectl.must(&[
            "patch",
            "service",
            &self.service,
            "--type=merge",
            "-p",
            &patch,
        ])?;
        Ok(())
    }

    /// Rolling: `set image`, `rollout status`, and `rollout undo` when it does not finish or the
    /// environment URL stays unhealthy.
    pub fn deploy_rolling(
        &self,
        version: &str,
        phase: &mut dyn FnMut(&str, Value),
    ) -> Result<Report, Error> {
        let live = self.workload(&self.deployment)?;
        let image = image_for(&live.image, version);
        let target = format!("deployment/{}", self.deployment);
        let set = format!("{}={image}", live.container);
        phase(
            "rolling-out",
            serde_json::json!({ "deployment": self.deployment, "from": live.image, "to": image }),
        );
        self.note(&format!("`{}`: {} -> {image}", self.deployment, live.image));
        self.kubectl.must(&["set", "image", &target, &set])?;
        let mut result = self.rollout_status(&self.deployment)?;
        if result.is_ok()
            && let Some(url) = &self.url
        {
            result = check_url(url, &self.health);
        }
        let outcome = match result {
            Ok(()) => Outcome::Deployed,
            Err(reason) => {
                self.note(&format!("{reason}: `rollout undo`"));
                let undo = self
                    .kubectl
                    .call(&["rollout", "undo", &target], CALL_TIMEOUT)?;
                if !undo.success() {
                    Outcome::Failed {
                        reason: format!("{reason}; `rollout undo` failed too: {}", why(&undo)),
                    }
                } else {
                    match self.rollout_status(&self.deployment)? {
                        Ok(()) => Outcome::RolledBack { reason },
                        Err(again) => Outcome::Failed {
                            reason: format!("{reason}; after `rollout undo`: {again}"),
                        },
                    }
                }
            }
        };
        Ok(Report {
            outcome,
            previous: Some(live.version()),
            image,
            color: None,
        })
    }

    /// Blue-green: new image on the idle colour, scaled like the live one, ready and healthy
    /// through a port-forward, then the Service selector switched. The old colour keeps
    /// running; a refused version is scaled back to zero and the live colour never changes.
    pub fn deploy_blue_green(
        &self,
        version: &str,
        phase: &mut dyn FnMut(&str, Value),
    ) -> Result<Report, Error> {
        let live_color = self.live_color()?;
        let idle_color = other(&live_color);
        let live = self.workload(&format!("{}-{live_color}", self.deployment))?;
        let idle = self.workload(&format!("{}-{idle_color}", self.deployment))?;
        let image = image_for(&live.image, version);
        let target = format!("deployment/{}", idle.name);
        let set = format!("{}={image}", idle.container);
        let replicas = format!("--replicas={}", live.replicas.max(1));
        phase(
            "starting-idle",
            serde_json::json!({ "live": live_color, "idle": idle_color }),
        );
        self.note(&format!(
            "`{live_color}` serves {}; starting {image} on `{idle_color}`",
            live.version()
        ));
        self.kubectl.must(&["set", "image", &target, &set])?;
        self.kubectl.must(&["scale", &target, &replicas])?;
        let mut result = self.rollout_status(&idle.name)?;
        if result.is_ok() {
            self.note(&format!(
                "`{}` ready; HTTP check through port-forward",
                idle.name
            ));
            result = self.check_through_forward(&idle.name, idle.port)?;
        }
        let report = |outcome, color: &str| Report {
            outcome,
            previous: Some(live.version()),
            image: image.clone(),
            color: Some(color.to_owned()),
        };
        if let Err(reason) = result {
            // The live colour never changed; the refused one stops using the cluster.
            let down = self
                .kubectl
                .call(&["scale", &target, "--replicas=0"], CALL_TIMEOUT)?;
            let reason = if down.success() {
                reason
            } else {
                format!(
                    "{reason} (scaling `{}` down failed: {})",
                    idle.name,
                    why(&down)
                )
            };
            return Ok(report(Outcome::RolledBack { reason }, &live_color));
        }
        phase(
            "switching",
            serde_json::json!({ "live": live_color, "idle": idle_color }),
        );
        self.note(&format!(
            "`{}` healthy; switching service `{}` to `{idle_color}`",
            idle.name, self.service
        ));
        if let Err(e) = self.switch(idle_color) {
            return Ok(report(
                Outcome::Failed {
                    reason: format!("switching service `{}` failed: {e}", self.service),
                },
                &live_color,
            ));
        }
        Ok(report(Outcome::Deployed, idle_color))
    }

    fn check_through_forward(
        &self,
        deployment: &str,
        port: u16,
    ) -> Result<Result<(), String>, Error> {
        let (forward, local) = match self.kubectl.port_forward(deployment, port) {
            Ok(f) => f,
            Err(Error::Kubectl { why, .. }) => {
                return Ok(Err(format!("port-forward to `{deployment}` failed: {why}")));
            }
            Err(e) => return Err(e),
        };
        let h = &self.health;
        let result = health::wait_healthy(
            &format!("127.0.0.1:{local}"),
            &h.path,
            h.interval,
            h.timeout,
            h.deadline,
        )
        .map(|_| ())
        .map_err(|e| format!("`{deployment}` is not healthy: {e}"));
        drop(forward);
        Ok(result)
    }

    /// Rolling rollback: `rollout undo` (or `set image` to `to`), then `rollout status`.
    pub fn rollback_rolling(&self, to: Option<&str>) -> Result<Report, Error> {
        let live = self.workload(&self.deployment)?;
        let target = format!("deployment/{}", self.deployment);
        let image = match to {
            Some(version) => {
                let image = image_for(&live.image, version);
                let set = format!("{}={image}", live.container);
                self.kubectl.must(&["set", "image", &target, &set])?;
                image
            }
            None => {
                self.kubectl.must(&["rollout", "undo", &target])?;
                String::new()
            }
        };
        let outcome = match self.rollout_status(&self.deployment)? {
            Ok(()) => Outcome::Deployed,
            Err(reason) => Outcome::Failed { reason },
        };
        let image = if image.is_empty() {
            self.workload(&self.deployment)?.image
        } else {
            image
        };
        Ok(Report {
            outcome,
            previous: Some(live.version()),
            image,
            color: None,
        })
    }

    /// Blue-green rollback: the retained colour is scaled (if it was not) and ready, then the
    /// selector switches back to it.
    pub fn rollback_blue_green(&self, to: Option<&str>) -> Result<Report, Error> {
        let live_color = self.live_color()?;
        let back = other(&live_color);
        let live = self.workload(&format!("{}-{live_color}", self.deployment))?;
        let retained = self.workload(&format!("{}-{back}", self.deployment))?;
        if let Some(to) = to
            && retained.version() != to
            && retained.image != to
        {
            return Err(Error::NotRetained {
                idle: retained.version(),
                to: to.to_owned(),
            });
        }
        let report = |outcome, color: &str| Report {
            outcome,
            previous: Some(live.version()),
            image: retained.image.clone(),
            color: Some(color.to_owned()),
        };
        if retained.replicas == 0 || retained.ready < retained.replicas {
            let target = format!("deployment/{}", retained.name);
            let replicas = format!("--replicas={}", live.replicas.max(1));
            self.kubectl.must(&["scale", &target, &replicas])?;
            if let Err(reason) = self.rollout_status(&retained.name)? {
                return Ok(report(Outcome::Failed { reason }, &live_color));
            }
        }
        self.switch(back)?;
        Ok(report(Outcome::Deployed, back))
    }

    /// What runs: the live Deployment (and for blue-green, the colour and the idle one).
    pub fn status(&self, blue_green: bool) -> Result<Status, Error> {
        if !blue_green {
            return Ok(Status {
                color: None,
                live: self.workload(&self.deployment)?,
                idle: None,
            });
        }
        let color = self.live_color()?;
        Ok(Status {
            live: self.workload(&format!("{}-{color}", self.deployment))?,
            idle: Some(self.workload(&format!("{}-{}", self.deployment, other(&color)))?),
            color: Some(color),
        })
    }
}

impl KubeTarget {
    /// The kubernetes target of `resolved`'s environment: names from `deploy.kubernetes`
    /// (default: the project name), the kubeconfig from `credentials` (the action's input) or
    /// the secret `kubeconfig-secret` names.
    pub fn open(
        resolved: &Resolved,
        app: Option<&str>,
        credentials: Option<Secret>,
    ) -> Result<Self, super::Error> {
        let cfg = &resolved.config.deploy.kubernetes;
        let project = super::select::project_name(resolved);
        let credentials = credentials.or_else(|| {
            std::env::var("SLIPWAY_CREDENTIALS")
                .ok()
                .filter(|v| !v.trim().is_empty())
                .map(Secret::new)
        });
        let kubectl = match &credentials {
            Some(secret) => {
                let program = std::env::var(ENV_KUBECTL)
                    .ok()
                    .filter(|v| !v.trim().is_empty())
                    .map_or_else(|| PathBuf::from("kubectl"), PathBuf::from);
                Kubectl::new(program, cfg.namespace.clone(), Some(secret.expose()))
            }
            None => Kubectl::from_env(cfg),
        }
        .map_err(to_deploy_error)?;
        Ok(Self {
            kubectl,
            deployment: cfg.deployment.clone().unwrap_or_else(|| project.clone()),
            service: cfg.service.clone().unwrap_or(project),
            health: super::select::health(resolved),
            url: resolved.env.url.clone(),
            strategy: resolved.env.strategy,
            store: DirStore::new(super::select::state_dir(resolved, app)?),
            notes: std::sync::Mutex::default(),
        })
    }

    fn drain_notes(&self, progress: &mut dyn Progress) -> Vec<String> {
        let notes = self
            .notes
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default();
        for n in &notes {
            progress.step(n);
        }
        notes
    }

    fn outcome(
        &self,
        report: Report,
        rollback: bool,
        progress: &mut dyn Progress,
    ) -> Result<DeployOutcome, super::Error> {
        let steps = self.drain_notes(progress);
        let live = self.status_live()?;
        let (status, reason) = match report.outcome {
            Outcome::Deployed => (DeployStatus::Success, None),
            // Blue-green refuses before the switch: the old version never lost traffic. A
            // rolling update had replaced some pods before `rollout undo`. A rollback that did
            // not finish left the live version.
            Outcome::RolledBack { reason } if report.color.is_some() || rollback => {
                (DeployStatus::Failure, Some(reason))
            }
            Outcome::RolledBack { reason } => (DeployStatus::RolledBack, Some(reason)),
            Outcome::Failed { reason } => {
                return Err(super::Error::Command {
                    what: reason,
                    stderr: String::new(),
                });
            }
        };
        Ok(DeployOutcome {
            status,
            previous: report.previous,
            live,
            reason,
            steps,
        })
    }

    fn status_live(&self) -> Result<Live, super::Error> {
        let blue_green = self.strategy == config::Strategy::BlueGreen;
        let st = self.status(blue_green).map_err(to_deploy_error)?;
        let color = match st.color.as_deref() {
            Some("blue") => Some(Color::Blue),
            Some("green") => Some(Color::Green),
            _ => None,
        };
        let instance = |w: &Workload, c: Option<Color>| Instance {
            name: w.name.clone(),
            address: format!("{}/{} ready", w.ready, w.replicas),
            version: w.version(),
            color: c,
            weight: None,
        };
        let mut instances = vec![instance(&st.live, color)];
        let mut retained = Vec::new();
        if let Some(idle) = &st.idle
            && idle.replicas > 0
        {
            instances.push(instance(idle, color.map(Color::other)));
            retained.push(idle.version());
        }
        Ok(Live {
            version: Some(st.live.version()),
            color,
            instances,
            retained,
            url: self.url.clone(),
            disagreement: None,
        })
    }
}

fn to_deploy_error(e: Error) -> super::Error {
    match e {
        Error::Missing { .. } | Error::NoColor(_) | Error::NotRetained { .. } => {
            super::Error::Preflight {
                hint: e.hint(),
                message: e.to_string(),
            }
        }
        Error::Run(ref inner) => super::Error::Preflight {
            message: format!(
                "{e}: {}",
                std::error::Error::source(inner)
                    .map(ToString::to_string)
                    .unwrap_or_default()
            ),
            hint: e.hint(),
        },
        other => super::Error::Command {
            stderr: String::new(),
            what: other.to_string(),
        },
    }
}

impl Target for KubeTarget {
    fn id(&self) -> &'static str {
        "kubernetes"
    }

    fn store(&self) -> &dyn Store {
        &self.store
    }

    fn preflight(&mut self, request: &Request) -> Result<(), super::Error> {
        match request.strategy {
            config::Strategy::Canary => Err(super::Error::UnsupportedStrategy {
                target: "kubernetes",
                strategy: "canary",
            }),
            config::Strategy::Rolling => {
                self.workload(&self.deployment).map_err(to_deploy_error)?;
                Ok(())
            }
            config::Strategy::BlueGreen => {
                let color = self.live_color().map_err(to_deploy_error)?;
                for c in [color.as_str(), other(&color)] {
                    self.workload(&format!("{}-{c}", self.deployment))
                        .map_err(to_deploy_error)?;
                }
                Ok(())
            }
        }
    }

    fn plan(&mut self, request: &Request) -> Result<Vec<String>, super::Error> {
        self.health = request.health.clone();
        let d = &self.deployment;
        let t = self.rollout_timeout();
        Ok(match request.strategy {
            config::Strategy::BlueGreen => {
                let live = self.live_color().map_err(to_deploy_error)?;
                let idle = other(&live);
                let w = self
                    .workload(&format!("{d}-{live}"))
                    .map_err(to_deploy_error)?;
                let image = image_for(&w.image, &request.version);
                vec![
                    format!(
                        "kubectl set image deployment/{d}-{idle} {}={image}",
                        w.container
                    ),
                    format!(
                        "kubectl scale deployment/{d}-{idle} --replicas={}",
                        w.replicas.max(1)
                    ),
                    format!("kubectl rollout status deployment/{d}-{idle} {t}"),
                    format!(
                        "kubectl port-forward deployment/{d}-{idle} :{} and GET {} until 2xx",
                        w.port, request.health.path
                    ),
                    format!(
                        "kubectl patch service {} --type=merge -p '{{\"spec\":{{\"selector\":{{\"color\":\"{idle}\"}}}}}}'",
                        self.service
                    ),
                    format!(
                        "keep deployment/{d}-{live} ({}) scaled for instant rollback",
                        w.version()
                    ),
                    format!(
                        "on failure: kubectl scale deployment/{d}-{idle} --replicas=0 (service stays on `{live}`)"
                    ),
                ]
            }
            _ => {
                let w = self.workload(d).map_err(to_deploy_error)?;
                let image = image_for(&w.image, &request.version);
                let mut steps = vec![
                    format!("kubectl set image deployment/{d} {}={image}", w.container),
                    format!("kubectl rollout status deployment/{d} {t}"),
                ];
                if let Some(url) = &self.url {
                    steps.push(format!("GET {url}{} until 2xx", request.health.path));
                }
                steps.push(format!(
                    "on failure: kubectl rollout undo deployment/{d} (back to {})",
                    w.version()
                ));
                steps
            }
        })
    }

    fn status(&mut self) -> Result<Live, super::Error> {
        self.status_live()
    }

    fn deploy(
        &mut self,
        request: &Request,
        journal: &Journal<'_>,
        progress: &mut dyn Progress,
    ) -> Result<DeployOutcome, super::Error> {
        self.health = request.health.clone();
        let previous = self.status_live()?.version;
        let mut entry = Entry::new(super::Change::deploy(request, previous), "starting");
        let mut failed = None;
        let mut phase = |name: &str, data: Value| {
            if let Err(e) = journal.advance(&mut entry, name, data) {
                failed.get_or_insert(e);
            }
        };
        let report = match request.strategy {
            config::Strategy::BlueGreen => self.deploy_blue_green(&request.version, &mut phase),
            config::Strategy::Rolling => self.deploy_rolling(&request.version, &mut phase),
            config::Strategy::Canary => {
                return Err(super::Error::UnsupportedStrategy {
                    target: "kubernetes",
                    strategy: "canary",
                });
            }
        };
        if let Some(e) = failed {
            return Err(e);
        }
        let report = report.map_err(to_deploy_error)?;
        journal.clear()?;
        self.outcome(report, false, progress)
    }

    fn rollback(
        &mut self,
        request: &RollbackRequest,
        to: &str,
        journal: &Journal<'_>,
        progress: &mut dyn Progress,
    ) -> Result<DeployOutcome, super::Error> {
        self.health = request.health.clone();
        let previous = self.status_live()?.version;
        let mut entry = Entry::new(super::Change::rollback(request, to, previous), "starting");
        entry.change.strategy = Some(self.strategy);
        journal.advance(&mut entry, "switching-back", Value::Null)?;
        let report = match self.strategy {
            config::Strategy::BlueGreen => self.rollback_blue_green(Some(to)),
            _ => self.rollback_rolling(Some(to)),
        }
        .map_err(to_deploy_error)?;
        journal.clear()?;
        self.outcome(report, true, progress)
    }

    fn recover(
        &mut self,
        entry: &Entry,
        journal: &Journal<'_>,
        progress: &mut dyn Progress,
    ) -> Result<Recovery, super::Error> {
        let (action, detail) = self.recover_entry(entry).map_err(to_deploy_error)?;
        self.drain_notes(progress);
        journal.clear()?;
        Ok(Recovery {
            interrupted: entry.clone(),
            action,
            detail,
        })
    }
}

impl KubeTarget {
    fn recover_entry(&self, entry: &Entry) -> Result<(RecoveryAction, String), Error> {
        let data = &entry.data;
        match entry.phase.as_str() {
            "rolling-out" => {
                let target = format!("deployment/{}", self.deployment);
                match self.rollout_status(&self.deployment)? {
                    Ok(()) if entry.change.operation == super::Operation::Deploy => {
                        // The rollout finished, but its checks never ran: revert.
                        self.kubectl.must(&["rollout", "undo", &target])?;
                        let _ = self.rollout_status(&self.deployment)?;
                        Ok((
                            RecoveryAction::Reverted,
                            format!("`rollout undo` of `{}`", self.deployment),
                        ))
                    }
                    _ => {
                        self.kubectl.must(&["rollout", "undo", &target])?;
                        let _ = self.rollout_status(&self.deployment)?;
                        Ok((
                            RecoveryAction::Reverted,
                            format!("`rollout undo` of `{}`", self.deployment),
                        ))
                    }
                }
            }
            "starting-idle" | "switching" => {
                let (Some(live), Some(idle)) = (data["live"].as_str(), data["idle"].as_str())
                else {
                    return Ok((
                        RecoveryAction::Reverted,
                        "nothing recorded to undo".to_owned(),
                    ));
                };
                let now = self.live_color()?;
                let name = format!("{}-{idle}", self.deployment);
                if now == idle {
                    // The switch happened, and the new colour had passed its checks before
                    // it: finish the deploy when it is still ready.
                    if self.rollout_status(&name)?.is_ok() {
                        return Ok((
                            RecoveryAction::Completed,
                            format!(
                                "service `{}` had switched to `{idle}` and `{name}` is ready: deploy completed",
                                self.service
                            ),
                        ));
                    }
                    self.switch(live)?;
                }
                let target = format!("deployment/{name}");
                self.kubectl.must(&["scale", &target, "--replicas=0"])?;
                Ok((
                    RecoveryAction::Reverted,
                    format!(
                        "service `{}` on `{live}`; `{name}` scaled to 0",
                        self.service
                    ),
                ))
            }
            _ => Ok((
                RecoveryAction::Reverted,
                "nothing had changed yet".to_owned(),
            )),
        }
    }
}

/// Checks the environment's URL (plain `http://` only: the probe is slipway's own HTTP/1.1
/// client) with the health path appended.
fn check_url(url: &str, h: &HealthSettings) -> Result<(), String> {
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(format!(
            "`{url}` cannot be probed: only `http://` URLs are checked; the rollout's readiness probes passed"
        ));
    };
    let (authority, base) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    let address = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let path = format!("{base}/{}", h.path.trim_start_matches('/'));
    health::wait_healthy(&address, &path, h.interval, h.timeout, h.deadline)
        .map(|_| ())
        .map_err(|e| format!("`{url}` is not healthy: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_keep_their_registry_port_and_lose_tag_or_digest() {
        assert_eq!(repository("ghcr.io/acme/shop:1.4.1"), "ghcr.io/acme/shop");
        assert_eq!(repository("localhost:5000/shop:1"), "localhost:5000/shop");
        assert_eq!(repository("localhost:5000/shop"), "localhost:5000/shop");
        assert_eq!(repository("shop@sha256:00"), "shop");
        assert_eq!(version_of("shop@sha256:00"), "sha256:00");
        assert_eq!(version_of("shop:"), "latest");
    }

    #[test]
    fn forwarding_lines_give_the_local_port() {
        assert_eq!(
            parse_forwarding("Forwarding from 127.0.0.1:43117 -> 8080"),
            Some(43117)
        );
        assert_eq!(
            parse_forwarding("Forwarding from [::1]:43117 -> 8080"),
            Some(43117)
        );
        assert_eq!(parse_forwarding("Handling connection for 43117"), None);
    }

    #[test]
    fn deployments_that_are_not_deployments_are_refused() {
        let err = Workload::parse("shop", &serde_json::json!({"kind": "Service"}))
            .expect_err("not a deployment");
        assert!(err.to_string().contains("`kind` is not `Deployment`"));
        let err = Workload::parse(
            "shop",
            &serde_json::json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": []}}}}),
        )
        .expect_err("no container");
        assert!(err.to_string().contains("no container"));
    }

    #[test]
    fn kubeconfig_content_goes_to_a_private_file_and_its_token_is_masked() {
        use std::os::unix::fs::PermissionsExt as _;
        let config =
            "apiVersion: v1\nusers:\n- name: ci\n  user:\n    token: kube-token-0123456789\n"; // slipway:allow generic-secret (a test value)
        let k = Kubectl::new(PathBuf::from("kubectl"), None, Some(config)).expect("kubectl");
        let path = k.kubeconfig_path.clone().expect("path");
        let mode = std::fs::metadata(&path).expect("file").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(std::fs::read_to_string(&path).expect("read"), config);
        assert_eq!(crate::github::redact("t=kube-token-0123456789"), "t=***");
        drop(k);
        assert!(
            !std::path::Path::new(&path).exists(),
            "the kubeconfig outlived kubectl"
        );
        let file = tempfile::NamedTempFile::new().expect("file");
        let path = file.path().display().to_string();
        let by_path = Kubectl::new(PathBuf::from("kubectl"), None, Some(&path)).expect("kubectl");
        assert_eq!(
            by_path.args(&["get"]),
            [format!("--kubeconfig={path}"), "get".to_owned()]
        );
    }

    /// The argv of a kubectl call with `kubeconfig`, and the file it names.
    fn argv_and_file(kubeconfig: &str) -> (Vec<String>, String) {
        let k = Kubectl::new(PathBuf::from("kubectl"), None, Some(kubeconfig)).expect("kubectl");
        let argv = k.step(&["get", "pods"], CALL_TIMEOUT).args;
        let path = k.kubeconfig_path.clone().expect("a file");
        let text = std::fs::read_to_string(&path).expect("read");
        (argv, text)
    }

    #[test]
    fn a_one_line_kubeconfig_is_content_in_any_style_and_never_on_argv() {
        use base64::Engine as _;
        // slipway:allow generic-secret (test values)
        let flow = "{apiVersion: v1, clusters: [{name: c, cluster: {server: 'https://k:6443'}}], users: [{name: u, user: {token: flow-token-9f8e7d6c}}]}";
        let json = r#"{"apiVersion":"v1","clusters":[],"users":[{"name":"u","user":{"token":"json-token-1a2b3c4d","auth-provider":{"config":{"refresh-token":"json-refresh-5e6f7a8b"}}}}]}"#;
        let block = "apiVersion: v1\nusers:\n- name: u\n  user:\n    password: block-pass-0c9d8e\n";
        let b64 = base64::engine::general_purpose::STANDARD.encode(block);
        for (config, secrets) in [
            (flow.to_owned(), vec!["flow-token-9f8e7d6c"]),
            (
                json.to_owned(),
                vec!["json-token-1a2b3c4d", "json-refresh-5e6f7a8b"],
            ),
            (b64.clone(), vec!["block-pass-0c9d8e"]),
        ] {
            let (argv, text) = argv_and_file(&config);
            for a in &argv {
                assert!(!a.contains("token") && !a.contains(&config), "on argv: {a}");
            }
            assert!(argv[0].starts_with("--kubeconfig="), "{argv:?}");
            for secret in secrets {
                assert!(text.contains(secret), "the file holds the config");
                assert_eq!(
                    crate::github::redact(&format!("x {secret} y")),
                    "x *** y",
                    "{secret} is masked"
                );
            }
        }
        assert_eq!(crate::github::redact(&format!("[{b64}]")), "[***]");
    }

    #[test]
    fn a_value_that_is_neither_a_kubeconfig_nor_a_file_is_refused_unshown() {
        let value = "token-looking-but-broken-77aa";
        let e = Kubectl::new(PathBuf::from("kubectl"), None, Some(value)).expect_err("refused");
        let shown = format!("{e} {}", e.hint().unwrap_or_default());
        assert!(!shown.contains("token-looking"), "{shown}");
        assert!(
            shown.contains("neither a kubeconfig nor the path"),
            "{shown}"
        );
        assert_eq!(crate::github::redact(value), "***");
    }

    proptest::proptest! {
        #[test]
        fn image_references_never_panic(image in ".{0,60}", version in "[a-z0-9.:/@-]{0,20}") {
            let _ = image_for(&image, &version);
            let _ = version_of(&image);
        }
    }
}
