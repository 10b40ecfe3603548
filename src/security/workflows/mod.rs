//! Workflow audits of `.github/workflows/*.yml` and every `action.yml`: expression injection
//! in `run:`, privileged triggers that check out untrusted code, missing or broad token
//! permissions, unpinned actions, checkout credentials left in `.git/config`, and secrets
//! handed to actions nobody pinned.
//!
//! Files are parsed into a tree of [`Node`]s that keep the line of every value (serde-saphyr's
//! `Spanned`), so each finding points at the line to change.

pub mod contexts;
mod permissions;
mod scope;

use std::fmt;
use std::path::Path;

use contexts::Capability;
use scope::{
    Scope, cache_enabled, expand_matrix, matrix_is_static, publishes, publishing_triggers,
    workflow_inputs,
};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use sha2::{Digest as _, Sha256};

use crate::security::{Finding, Kind, Level, Skipped};

/// Workflow files larger than this are not parsed.
const MAX_FILE_BYTES: u64 = 2 * 1024 * 1024;

/// A YAML value with the line it starts on (1-based; 0 when unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub line: u32,
}

/// The shapes a YAML value takes. Scalars keep their text (`true`, `12` as written).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Scalar(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The text of a scalar.
    pub fn str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// The entries of a mapping (empty otherwise).
    pub fn entries(&self) -> &[(String, Node)] {
        match &self.value {
            Value::Map(e) => e,
            _ => &[],
        }
    }

    /// The items of a sequence (empty otherwise).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(i) => i,
            _ => &[],
        }
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<Value>::deserialize(d)?;
        Ok(Self {
            value: spanned.value,
            line: u32::try_from(spanned.referenced.line()).unwrap_or(0),
        })
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_string()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Scalar(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        Ok(Value::Scalar(v))
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Value, E> {
        Ok(Value::Scalar(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(n) = seq.next_element::<Node>()? {
            items.push(n);
        }
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some(k) = map.next_key::<Value>()? {
            let key = match k {
                Value::Scalar(s) => s,
                Value::Null => "null".to_owned(),
                _ => String::new(),
            };
            let v = map.next_value::<Node>()?;
            entries.push((key, v));
        }
        Ok(Value::Map(entries))
    }
}

/// Parses YAML text into a [`Node`] tree; the error names the line.
pub fn parse(text: &str) -> Result<Node, (u32, String)> {
    let options = serde_saphyr::Options::default();
    serde_saphyr::from_str_with_options::<Node>(text, options).map_err(|e| {
        let line = e
            .location()
            .map_or(0, |l| u32::try_from(l.line()).unwrap_or(0));
        let first = e.to_string().lines().next().unwrap_or_default().to_owned();
        (line, first)
    })
}

/// What the audit looked at and found.
#[derive(Debug, Default)]
pub struct WorkflowReport {
    pub findings: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    /// Files audited, relative to the root.
    pub files: Vec<String>,
}

/// One audit rule, for SARIF and documentation.
#[derive(Debug)]
pub struct Rule {
    pub id: &'static str,
    pub name: &'static str,
    pub help: &'static str,
}

/// Every workflow rule.
pub const RULES: &[Rule] = &[
    Rule {
        id: "expression-injection",
        name: "Untrusted input expanded into a shell script",
        help: "`${{ }}` in `run:` is pasted into the script before it runs, so a pull request title or branch name becomes code. Pass the value through `env:` (`env: TITLE: ${{ github.event.pull_request.title }}`) and use \"$TITLE\" in the script.",
    },
    Rule {
        id: "untrusted-checkout",
        name: "Privileged trigger checks out untrusted code",
        help: "`pull_request_target` and `workflow_run` run with the base repository's secrets and a write token; checking out the pull request's head and running its code hands both to the author. Use `pull_request`, or never build or run the checked-out code in this job.",
    },
    Rule {
        id: "excessive-permissions",
        name: "Workflow token with default, read-all, write-all or workflow-wide write permissions",
        help: "Set `permissions: {}` at the top of the workflow and grant each job only what it uses (`contents: read`, `pull-requests: write` ...).",
    },
    Rule {
        id: "unpinned-action",
        name: "Action not pinned to a full commit SHA",
        help: "A tag or branch can be moved to malicious code at any time. Pin `uses:` to the 40-character commit SHA and keep the version in a comment: `uses: owner/repo@<sha> # v1.2.3`.",
    },
    Rule {
        id: "checkout-persist-credentials",
        name: "Checkout keeps the token in .git/config",
        help: "actions/checkout writes the token into `.git/config`, where every later step (and any uploaded artifact of the workspace) can read it. Set `with: persist-credentials: false` unless the job pushes.",
    },
    Rule {
        id: "dangerous-triggers",
        name: "Workflow started by a trigger that runs with secrets on outsiders' input",
        help: "`pull_request_target` and `workflow_run` run in the base repository's context, with its secrets and a write token, for events an outsider starts; `issue_comment` runs for anyone's comment. Prefer `pull_request`; otherwise never check out or run the event's code, and keep `permissions:` minimal.",
    },
    Rule {
        id: "unpinned-image",
        name: "Container image on a floating tag",
        help: "`latest` (or no tag, which means `latest`) is whatever was pushed last, and any tag can be moved to another image. Pin `container:`, `services:` and `docker://` images to a digest: `image: postgres:16@sha256:<digest>`.",
    },
    Rule {
        id: "cache-poisoning",
        name: "Cache restored in a workflow that publishes",
        help: "A cache can be written by any workflow of the repository, including one a pull request runs; restoring it in a release, deploy or tag-push workflow lets that code into what is published. Turn the cache off in publishing workflows (`cache: false`, `lookup-only: true`, or no cache step).",
    },
    Rule {
        id: "self-hosted-runner",
        name: "Self-hosted runner on a pull request trigger",
        help: "On a public repository, any fork can open a pull request that runs code on a self-hosted runner, which keeps state between jobs. Use GitHub-hosted runners for pull request triggers, or ephemeral, isolated runners.",
    },
    Rule {
        id: "secrets-inherit",
        name: "Reusable workflow inherits every secret",
        help: "`secrets: inherit` hands the called workflow every secret of the caller. Pass only the secrets it needs: `secrets: { token: ${{ secrets.NPM_TOKEN }} }`.",
    },
    Rule {
        id: "github-env",
        name: "GITHUB_ENV or GITHUB_PATH written from untrusted input",
        help: "A line written to `$GITHUB_ENV` sets a variable (e.g. `LD_PRELOAD`, `NODE_OPTIONS`) for every later step; `$GITHUB_PATH` decides which program runs. In a workflow started by outsiders' events, or with a value they control, that is code execution. Write only constant names and validated values, or use step outputs.",
    },
    Rule {
        id: "secrets-to-unpinned-action",
        name: "Secrets passed to an action nobody pinned",
        help: "Whoever controls the action's tag receives the secret. Pin the action to a commit SHA, or do not pass it secrets.",
    },
];

/// Refs of a checkout that point at the pull request author's code.
const UNTRUSTED_REFS: &[&str] = &[
    "github.event.pull_request.head.sha",
    "github.event.pull_request.head.ref",
    "github.head_ref",
    "github.event.workflow_run.head_sha",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.head_commit.id",
    "refs/pull/",
    "merge_commit_sha",
];

/// Audits the workflows and actions under `root`.
pub fn audit(root: &Path) -> WorkflowReport {
    let mut report = WorkflowReport::default();
    for (path, rel) in files(root) {
        let meta = std::fs::metadata(&path);
        if meta.as_ref().is_ok_and(|m| m.len() > MAX_FILE_BYTES) {
            report.skipped.push(Skipped {
                file: rel,
                line: None,
                reason: "workflow file larger than 2 MiB".into(),
            });
            continue;
        }
        let text = match std::fs::read(&path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                report.skipped.push(Skipped {
                    file: rel,
                    line: None,
                    reason: format!("unreadable: {e}"),
                });
                continue;
            }
        };
        match audit_text(&text, &rel) {
            Ok(findings) => report.findings.extend(findings),
            Err(s) => report.skipped.push(s),
        }
        report.files.push(rel);
    }
    report
}

/// The files audited: `.github/workflows/*.{yml,yaml}` and every `action.{yml,yaml}` in the
/// tree (`.gitignore` honoured), sorted.
fn files(root: &Path) -> Vec<(std::path::PathBuf, String)> {
    let mut out = Vec::new();
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .require_git(false)
        .parents(false)
        .filter_entry(|e| e.file_name() != ".git" && e.file_name() != "node_modules")
        .build();
    for entry in walker.flatten() {
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let rel = crate::security::secrets::tree::relative(root, entry.path());
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        let in_workflows = rel.starts_with(".github/workflows/")
            && rel.matches('/').count() == 2
            && (name.ends_with(".yml") || name.ends_with(".yaml"));
        if in_workflows || name == "action.yml" || name == "action.yaml" {
            out.push((entry.path().to_path_buf(), rel));
        }
    }
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

/// Audits one workflow or action file. A file that is not valid YAML is returned as
/// [`Skipped`] with its line.
pub fn audit_text(text: &str, file: &str) -> Result<Vec<Finding>, Skipped> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc = parse(text).map_err(|(line, reason)| Skipped {
        file: file.to_owned(),
        line: (line > 0).then_some(line),
        reason: format!("not valid YAML: {reason}"),
    })?;
    let lines: Vec<&str> = text.lines().collect();
    let mut a = Auditor {
        file,
        lines: &lines,
        findings: Vec::new(),
    };
    let name = file.rsplit('/').next().unwrap_or(file);
    if name == "action.yml" || name == "action.yaml" {
        a.action(&doc);
    } else {
        a.workflow(&doc);
    }
    let mut findings = a.findings;
    findings.retain(|f| {
        let line = lines
            .get(f.line.saturating_sub(1) as usize)
            .copied()
            .unwrap_or("");
        !crate::security::secrets::inline_allowed(line.as_bytes(), &f.rule)
            && !zizmor_ignored(line, &f.rule)
    });
    findings.sort_by_key(|f| (f.line, f.rule.clone()));
    findings.dedup_by(|a, b| a.line == b.line && a.rule == b.rule && a.message == b.message);
    Ok(findings)
}

/// zizmor's name for each rule both audit, so a `# zizmor: ignore[<audit>]` comment a
/// repository already has silences slipway's finding too.
const ZIZMOR_NAMES: &[(&str, &str)] = &[
    ("expression-injection", "template-injection"),
    ("dangerous-triggers", "dangerous-triggers"),
    ("unpinned-image", "unpinned-images"),
    ("cache-poisoning", "cache-poisoning"),
    ("secrets-inherit", "secrets-inherit"),
    ("github-env", "github-env"),
    ("self-hosted-runner", "self-hosted-runner"),
    ("excessive-permissions", "excessive-permissions"),
    ("checkout-persist-credentials", "artipacked"),
    ("unpinned-action", "unpinned-uses"),
];

/// The line carries `zizmor: ignore[<audit>]` naming the rule's zizmor audit
/// (<https://docs.zizmor.sh/usage/#ignoring-results>).
fn zizmor_ignored(line: &str, rule: &str) -> bool {
    let Some(name) = ZIZMOR_NAMES
        .iter()
        .find(|(r, _)| *r == rule)
        .map(|(_, z)| *z)
    else {
        return false;
    };
    let Some((_, comment)) = line.split_once('#') else {
        return false;
    };
    let Some((_, rest)) = comment.split_once("zizmor: ignore[") else {
        return false;
    };
    let list = rest.split(']').next().unwrap_or_default();
    list.split(',').any(|n| n.trim() == name)
}

struct Auditor<'a> {
    file: &'a str,
    lines: &'a [&'a str],
    findings: Vec<Finding>,
}

impl Auditor<'_> {
    fn push(&mut self, rule: &str, level: Level, line: u32, message: String, key: &str) {
        let excerpt = self
            .lines
            .get(line.saturating_sub(1) as usize)
            .map(|l| l.trim().chars().take(160).collect::<String>());
        let mut h = Sha256::new();
        h.update(b"slipway-workflow-v1\0");
        for part in [rule, self.file, key] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        let fingerprint = h.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        self.findings.push(Finding {
            kind: Kind::Workflow,
            rule: rule.to_owned(),
            level,
            file: self.file.to_owned(),
            line: line.max(1),
            column: None,
            message,
            excerpt,
            commit: None,
            fingerprint,
            legacy_fingerprint: None,
            advisory: None,
        });
    }

    /// The first line at or after `from` (1-based) that contains `needle`, within `span`
    /// lines; `from` when none does.
    fn find_line(&self, from: u32, needle: &str, span: usize) -> u32 {
        let start = from.saturating_sub(1) as usize;
        for (i, l) in self.lines.iter().enumerate().skip(start).take(span + 2) {
            if l.contains(needle) {
                return u32::try_from(i + 1).unwrap_or(from);
            }
        }
        from
    }

    /// The line of the top-level `on:` key (`true:` to YAML 1.1 readers).
    fn on_line(&self, on: Option<&Node>) -> u32 {
        for (i, l) in self.lines.iter().enumerate() {
            let t = l.trim_end();
            if ["on:", "\"on\":", "'on':", "true:"]
                .iter()
                .any(|k| t.starts_with(k))
            {
                return u32::try_from(i + 1).unwrap_or(1);
            }
        }
        on.map_or(1, |n| n.line.max(1))
    }

    /// The first occurrence of `needle` at or after `(line, column)`, within `span` lines:
    /// its line and the column just past it; `from` when there is none.
    fn find_after(&self, from: (u32, usize), needle: &str, span: usize) -> (u32, usize) {
        let start = from.0.saturating_sub(1) as usize;
        for (i, l) in self.lines.iter().enumerate().skip(start).take(span + 2) {
            let skip = if i == start { from.1.min(l.len()) } else { 0 };
            if let Some(at) = l.get(skip..).and_then(|rest| rest.find(needle)) {
                return (
                    u32::try_from(i + 1).unwrap_or(from.0),
                    skip + at + needle.len(),
                );
            }
        }
        from
    }

    fn workflow(&mut self, doc: &Node) {
        // YAML 1.1 readers turn the key `on` into `true`.
        let on = doc.get("on").or_else(|| doc.get("true"));
        let triggers: Vec<String> = match on.map(|n| &n.value) {
            Some(Value::Scalar(s)) => vec![s.clone()],
            Some(Value::Seq(items)) => items
                .iter()
                .filter_map(|n| n.str().map(str::to_owned))
                .collect(),
            Some(Value::Map(entries)) => entries.iter().map(|(k, _)| k.clone()).collect(),
            _ => Vec::new(),
        };
        let has = |t: &str| triggers.iter().any(|x| x == t);
        let privileged = has("pull_request_target") || has("workflow_run");
        let jobs = doc.get("jobs").map(Node::entries).unwrap_or_default();
        self.dangerous_triggers(&triggers, on, jobs);
        let scope = Scope {
            inputs: workflow_inputs(on),
            action_inputs: false,
            workflow_env: doc.get("env"),
            job_env: None,
            matrix: None,
            outsiders: privileged || has("issue_comment"),
            publishing: publishing_triggers(on, &triggers),
        };
        let pr_trigger = has("pull_request") || has("pull_request_target") || has("issue_comment");
        self.excessive_permissions(doc, jobs, &triggers);
        for (job_id, job) in jobs {
            if let Some(uses) = job.get("uses") {
                // A reusable workflow call.
                let passes_secrets = job.get("secrets").is_some();
                self.uses(uses, job_id, passes_secrets, "workflow");
                let secrets = job.get("secrets");
                let ignored = secrets.is_some_and(|n| {
                    self.lines
                        .get(n.line.saturating_sub(1) as usize)
                        .is_some_and(|l| zizmor_ignored(l, "secrets-inherit"))
                });
                if !ignored && secrets.and_then(Node::str) == Some("inherit") {
                    self.push(
                        "secrets-inherit",
                        Level::Medium,
                        uses.line,
                        format!("job `{job_id}` calls `{}` with `secrets: inherit`: it receives every secret of this repository; pass only the ones it needs", uses.str().unwrap_or_default()),
                        &format!("inherit:{job_id}"),
                    );
                }
            }
            if pr_trigger {
                self.self_hosted(job, job_id);
            }
            self.images(job, job_id);
            let steps = job.get("steps").map(Node::items).unwrap_or_default();
            let job_scope = Scope {
                job_env: job.get("env"),
                matrix: job.get("strategy").and_then(|s| s.get("matrix")),
                publishing: scope.publishing || steps.iter().any(publishes),
                ..scope.clone()
            };
            let mut checked_out_untrusted = false;
            for (i, step) in steps.iter().enumerate() {
                self.step(
                    step,
                    job_id,
                    i,
                    privileged,
                    &mut checked_out_untrusted,
                    &job_scope,
                );
            }
        }
    }

    fn dangerous_triggers(
        &mut self,
        triggers: &[String],
        on: Option<&Node>,
        jobs: &[(String, Node)],
    ) {
        // A lone `actions/labeler` step is what `pull_request_target` was made for.
        let labeler_only = jobs.len() == 1
            && jobs[0].1.get("steps").map(Node::items).is_some_and(|s| {
                s.len() == 1
                    && s[0]
                        .get("uses")
                        .and_then(Node::str)
                        .is_some_and(|u| u.to_ascii_lowercase().starts_with("actions/labeler@"))
            });
        let line = self.on_line(on);
        for t in triggers {
            let (level, why) = match t.as_str() {
                "pull_request_target" if !labeler_only => (
                    Level::High,
                    "runs for pull requests from forks with the base repository's secrets and a write token",
                ),
                "workflow_run" => (
                    Level::High,
                    "runs with the repository's secrets after a workflow that a pull request may have started, on its artifacts and branch names",
                ),
                "issue_comment" => (
                    Level::Medium,
                    "runs with the repository's secrets for a comment anyone can write",
                ),
                _ => continue,
            };
            // The trigger's own key or list item, not a comment that names it.
            let trigger_line = self
                .lines
                .iter()
                .enumerate()
                .skip(line.saturating_sub(1) as usize)
                .find(|(_, l)| l.split('#').next().unwrap_or_default().contains(t.as_str()))
                .map_or(line, |(i, _)| u32::try_from(i + 1).unwrap_or(line));
            // zizmor points at `on:`; an ignore comment there (or on a line up to the
            // trigger) silences this finding too.
            let ignored = (line..=trigger_line).any(|n| {
                self.lines
                    .get(n.saturating_sub(1) as usize)
                    .is_some_and(|l| zizmor_ignored(l, "dangerous-triggers"))
            });
            if ignored {
                continue;
            }
            self.push(
                "dangerous-triggers",
                level,
                trigger_line,
                format!("the workflow is started by `{t}`, which {why}: make sure no step runs or interpolates the event's content"),
                &format!("trigger:{t}"),
            );
        }
    }

    fn self_hosted(&mut self, job: &Node, job_id: &str) {
        let Some(runs_on) = job.get("runs-on") else {
            return;
        };
        let labels: Vec<&str> = match &runs_on.value {
            Value::Scalar(s) => vec![s.as_str()],
            Value::Seq(items) => items.iter().filter_map(Node::str).collect(),
            Value::Map(_) => runs_on
                .get("labels")
                .map(|l| match &l.value {
                    Value::Scalar(s) => vec![s.as_str()],
                    _ => l.items().iter().filter_map(Node::str).collect(),
                })
                .unwrap_or_default(),
            Value::Null => Vec::new(),
        };
        if labels.iter().any(|l| l.eq_ignore_ascii_case("self-hosted")) {
            self.push(
                "self-hosted-runner",
                Level::Medium,
                runs_on.line,
                format!("job `{job_id}` runs on a self-hosted runner in a workflow started by pull requests or comments: on a public repository, any fork's code runs there"),
                &format!("self-hosted:{job_id}"),
            );
        }
    }

    /// `container:`, `services:` and their images.
    fn images(&mut self, job: &Node, job_id: &str) {
        let mut images: Vec<&Node> = Vec::new();
        if let Some(c) = job.get("container") {
            images.extend(if c.str().is_some() {
                Some(c)
            } else {
                c.get("image")
            });
        }
        for (_, service) in job.get("services").map(Node::entries).unwrap_or_default() {
            images.extend(service.get("image"));
        }
        let matrix = job.get("strategy").and_then(|s| s.get("matrix"));
        for node in images {
            let Some(image) = node.str() else { continue };
            for candidate in expand_matrix(image, matrix) {
                self.image(&candidate, node.line, job_id);
            }
        }
    }

    fn image(&mut self, image: &str, line: u32, job_id: &str) {
        let image = image.trim();
        if image.is_empty() || image.contains("@sha256:") {
            return;
        }
        let (level, what) = if image.contains("${{") {
            (
                Level::Medium,
                "comes from an expression and may not be pinned to a digest".to_owned(),
            )
        } else {
            let name = image.rsplit('/').next().unwrap_or(image);
            match name.split_once(':').map(|(_, t)| t) {
                None => (
                    Level::High,
                    "has no tag at all (it means `latest`)".to_owned(),
                ),
                Some("latest") => (Level::High, "uses the floating `latest` tag".to_owned()),
                // A fixed tag can still be moved, but it names a version someone chose;
                // like zizmor's default, only floating references are findings.
                Some(_) => return,
            }
        };
        self.push(
            "unpinned-image",
            level,
            line,
            format!("image `{image}` in job `{job_id}` {what}: pin it as `image@sha256:<digest>`"),
            &format!("image:{job_id}:{image}"),
        );
    }

    fn action(&mut self, doc: &Node) {
        let Some(runs) = doc.get("runs") else { return };
        if let Some(image) = runs.get("image").and_then(|n| n.str().map(|s| (s, n.line)))
            && let Some(rest) = image.0.strip_prefix("docker://")
        {
            self.image(rest, image.1, "action");
        }
        let scope = Scope {
            inputs: std::collections::HashMap::new(),
            action_inputs: true,
            workflow_env: None,
            job_env: None,
            matrix: None,
            outsiders: false,
            publishing: false,
        };
        for (i, step) in runs
            .get("steps")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let mut untrusted = false;
            self.step(step, "action", i, false, &mut untrusted, &scope);
        }
    }

    fn step(
        &mut self,
        step: &Node,
        job: &str,
        index: usize,
        privileged: bool,
        untrusted_checkout: &mut bool,
        scope: &Scope<'_>,
    ) {
        let step_name = step
            .get("name")
            .and_then(Node::str)
            .or_else(|| step.get("id").and_then(Node::str))
            .map_or_else(|| format!("step {}", index + 1), |n| format!("step `{n}`"));
        if let Some(run) = step.get("run")
            && let Some(script) = run.str()
        {
            self.injection(script, run.line, job, &step_name, step, scope);
            self.github_env(script, run.line, job, &step_name, step, scope);
        }
        let Some(uses_node) = step.get("uses") else {
            return;
        };
        let Some(uses) = uses_node.str() else { return };
        let with = step.get("with");
        let passes_secrets = [with, step.get("env")]
            .into_iter()
            .flatten()
            .flat_map(Node::entries)
            .any(|(_, v)| v.str().is_some_and(|s| s.contains("secrets.")));
        self.uses(uses_node, job, passes_secrets, &step_name);
        if let Some(image) = uses.strip_prefix("docker://") {
            self.image(image, uses_node.line, job);
        }
        if scope.publishing {
            let comment = self
                .lines
                .get(uses_node.line.saturating_sub(1) as usize)
                .and_then(|l| l.split_once('#').map(|(_, c)| c.trim().to_owned()));
            if let Some(how) = cache_enabled(uses, with, comment.as_deref()) {
                self.push(
                    "cache-poisoning",
                    Level::High,
                    uses_node.line,
                    format!("{step_name} of `{job}` restores a cache ({how}) in a workflow that publishes (release, tag push or a publishing step): a cache written by other workflows can end up in what is published"),
                    &format!("cache:{job}:{index}"),
                );
            }
        }
        let action = uses.split('@').next().unwrap_or(uses).to_ascii_lowercase();
        if action == "actions/checkout" {
            let persist = with.and_then(|w| w.get("persist-credentials"));
            match persist.and_then(Node::str) {
                Some("false") => {}
                Some(value) => self.push(
                    "checkout-persist-credentials",
                    Level::Low,
                    persist.map_or(uses_node.line, |n| n.line),
                    format!("{step_name} of `{job}` keeps the token in .git/config (`persist-credentials: {value}`); fine only in a job that pushes"),
                    &format!("persist:{job}:{index}"),
                ),
                None => self.push(
                    "checkout-persist-credentials",
                    Level::Medium,
                    step.line.max(1),
                    format!("{step_name} of `{job}` leaves the token in .git/config (`persist-credentials` is not `false`)"),
                    &format!("persist:{job}:{index}"),
                ),
            }
            let reference = with.and_then(|w| w.get("ref"));
            if let Some(r) = reference.and_then(Node::str)
                && UNTRUSTED_REFS.iter().any(|u| r.contains(u))
            {
                *untrusted_checkout = true;
                if privileged {
                    let line = reference.map_or(uses_node.line, |n| n.line);
                    self.push(
                        "untrusted-checkout",
                        Level::Critical,
                        line,
                        format!("{step_name} of `{job}` checks out the pull request's code (`ref: {r}`) in a workflow started by `pull_request_target` or `workflow_run`, which holds secrets and a write token"),
                        &format!("checkout:{job}:{r}"),
                    );
                }
            }
        }
        if action == "actions/github-script"
            && let Some(script) = with.and_then(|w| w.get("script"))
            && let Some(text) = script.str()
        {
            self.injection(text, script.line, job, &step_name, step, scope);
        }
    }

    /// The capability of each context flowing into the script's expressions.
    fn classify(&self, reference: &str, step: &Node, scope: &Scope<'_>) -> Capability {
        contexts::capability(
            reference,
            |name| {
                if scope.action_inputs {
                    Some(Capability::Arbitrary)
                } else {
                    scope.inputs.get(name).copied()
                }
            },
            |name| {
                [step.get("env"), scope.job_env, scope.workflow_env]
                    .into_iter()
                    .flatten()
                    .find_map(|env| env.get(name))
                    .is_some_and(|v| v.str().is_none_or(|s| !s.contains("${{")))
            },
            |name| matrix_is_static(scope.matrix, name),
        )
    }

    fn injection(
        &mut self,
        script: &str,
        line: u32,
        job: &str,
        step_name: &str,
        step: &Node,
        scope: &Scope<'_>,
    ) {
        let span = script.lines().count();
        let mut cursor = (line, 0usize);
        for (_, expr) in contexts::expressions(script) {
            for r in contexts::flowing(expr) {
                let (level, how) = match self.classify(&r.text, step, scope) {
                    Capability::Fixed => continue,
                    Capability::Arbitrary => (
                        Level::High,
                        "whoever controls it can run commands in the job",
                    ),
                    Capability::Structured => (
                        Level::Medium,
                        "its value is not a constant, so it may carry shell syntax",
                    ),
                    Capability::Opaque => (Level::Low, "it may carry a value someone else chose"),
                };
                let (at, col) = self.find_after(cursor, &r.text, span);
                cursor = (at, col);
                let var = contexts::env_name(&r.text);
                self.push(
                    "expression-injection",
                    level,
                    at,
                    format!("{step_name} of `{job}` expands `{}` straight into its script: {how}; move it to `env:` (`env: {var}: ${{{{ {} }}}}`) and use \"${var}\"", r.text, r.text),
                    &format!("inject:{job}:{step_name}:{}", r.text),
                );
            }
        }
    }

    /// Writes to `$GITHUB_ENV` / `$GITHUB_PATH` in workflows outsiders start, or of values they
    /// control.
    fn github_env(
        &mut self,
        script: &str,
        line: u32,
        job: &str,
        step_name: &str,
        step: &Node,
        scope: &Scope<'_>,
    ) {
        let span = script.lines().count();
        for l in script.lines() {
            let Some(file) = ["GITHUB_ENV", "GITHUB_PATH"].into_iter().find(|f| {
                l.contains(&format!(">> ${f}"))
                    || l.contains(&format!(">>${f}"))
                    || l.contains(&format!(">> \"${f}\""))
                    || l.contains(&format!(">>\"${f}\""))
                    || l.contains(&format!(">> ${{{f}}}"))
                    || l.contains(&format!(">> \"${{{f}}}\""))
                    || l.contains(&format!("$env:{f}"))
            }) else {
                continue;
            };
            let untrusted_value = contexts::expressions(l).into_iter().any(|(_, e)| {
                contexts::flowing(e)
                    .iter()
                    .any(|r| self.classify(&r.text, step, scope) == Capability::Arbitrary)
            });
            if !(scope.outsiders || untrusted_value) {
                continue;
            }
            let at = self.find_line(line, l.trim(), span);
            let why = if untrusted_value {
                "a value an outsider controls"
            } else {
                "in a workflow started by `pull_request_target`, `workflow_run` or `issue_comment`"
            };
            self.push(
                "github-env",
                Level::High,
                at,
                format!("{step_name} of `{job}` writes to `${file}` {why}: later steps would run with what it sets"),
                &format!("env:{job}:{step_name}:{}", l.trim()),
            );
        }
    }

    fn uses(&mut self, node: &Node, job: &str, passes_secrets: bool, step: &str) {
        let Some(uses) = node.str() else { return };
        let uses = uses.trim();
        if uses.starts_with("./") || uses.starts_with("../") {
            return;
        }
        let pinned = if let Some(image) = uses.strip_prefix("docker://") {
            image.contains("@sha256:")
        } else {
            uses.rsplit_once('@').is_some_and(|(_, r)| {
                r.len() == 40
                    && r.bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            })
        };
        if pinned {
            return;
        }
        let owner = uses
            .trim_start_matches("docker://")
            .split('/')
            .next()
            .unwrap_or("");
        let first_party = matches!(owner.to_ascii_lowercase().as_str(), "actions" | "github");
        let level = if first_party { Level::Low } else { Level::High };
        let what = if uses.starts_with("docker://") {
            "is not pinned to an image digest (`@sha256:…`)"
        } else if uses.contains('@') {
            "is not pinned to a full commit SHA"
        } else {
            "has no version at all"
        };
        self.push(
            "unpinned-action",
            level,
            node.line,
            format!("`{uses}` in {step} of `{job}` {what}"),
            &format!("uses:{job}:{uses}"),
        );
        if passes_secrets {
            self.push(
                "secrets-to-unpinned-action",
                if first_party {
                    Level::Medium
                } else {
                    Level::High
                },
                node.line,
                format!(
                    "{step} of `{job}` passes secrets to `{uses}`, which is not pinned to a commit"
                ),
                &format!("secrets:{job}:{uses}"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> Vec<(String, u32)> {
        audit_text(text, ".github/workflows/x.yml")
            .unwrap()
            .into_iter()
            .map(|f| (f.rule, f.line))
            .collect()
    }

    #[test]
    fn lines_are_kept_through_the_tree() {
        let doc = parse("a:\n  b: [1, 2]\n  c: |\n    x\n").unwrap();
        assert_eq!(doc.get("a").unwrap().get("b").unwrap().line, 2);
        assert_eq!(doc.get("a").unwrap().get("b").unwrap().items()[1].line, 2);
    }

    #[test]
    fn injection_points_at_the_line_of_the_expression() {
        let text = "on: issues\npermissions: {}\njobs:\n  triage:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          echo start\n          echo \"${{ github.event.issue.title }}\"\n";
        assert_eq!(rules(text), vec![("expression-injection".to_owned(), 9)]);
    }

    #[test]
    fn safe_expressions_and_env_indirection_pass() {
        let text = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - env:\n          TITLE: ${{ github.event.pull_request.title }}\n        run: echo \"$TITLE\" ${{ github.sha }}\n";
        assert!(rules(text).is_empty(), "{:?}", rules(text));
    }

    #[test]
    fn yaml_errors_are_skipped_with_their_line() {
        let s = audit_text("on: push\njobs:\n  a: [\n", "w.yml").unwrap_err();
        assert!(s.reason.contains("not valid YAML"), "{s:?}");
    }

    fn only(text: &str, rule: &str) -> Vec<(u32, Level)> {
        audit_text(text, ".github/workflows/x.yml")
            .unwrap()
            .into_iter()
            .filter(|f| f.rule == rule)
            .map(|f| (f.line, f.level))
            .collect()
    }

    #[test]
    fn every_attacker_controlled_context_in_a_script_is_an_injection() {
        let text = "on:\n  pull_request:\n  workflow_dispatch:\n    inputs:\n      tag: {type: string}\n      dry: {type: boolean}\n      level: {type: choice, options: [a, b]}\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    env:\n      FIXED: x\n      FROM_PR: ${{ github.head_ref }}\n    steps:\n      - id: v\n        run: |\n          echo ${{ github.ref_name }} ${{ github.base_ref }}\n          echo \"${{ github.event.pull_request.head.repo.full_name }}\"\n          echo ${{ inputs.tag }} ${{ inputs.dry }} ${{ inputs.level }}\n          echo ${{ env.FIXED }} ${{ env.FROM_PR }} ${{ steps.v.outputs.x }}\n          echo ${{ github.event.pull_request.number }} ${{ github.sha }}\n          test ${{ github.ref == 'refs/heads/main' }}\n      - uses: actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea # v7.0.1\n        with:\n          script: |\n            core.info('${{ github.event.comment.body }}')\n";
        let got = only(text, "expression-injection");
        assert_eq!(
            got,
            vec![
                (18, Level::High),
                (18, Level::High),
                (19, Level::High),
                (20, Level::High),
                (20, Level::Medium),
                (21, Level::Low),
                (21, Level::Low),
                (27, Level::High),
            ],
            "{got:?}"
        );
        let messages: Vec<String> = audit_text(text, ".github/workflows/x.yml")
            .unwrap()
            .into_iter()
            .filter(|f| f.rule == "expression-injection")
            .map(|f| f.message)
            .collect();
        assert!(
            messages[0].contains("move it to `env:` (`env: REF_NAME: ${{ github.ref_name }}`)"),
            "{messages:?}"
        );
        // An action's inputs are the caller's text.
        let action = "runs:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo ${{ inputs.version }}\n";
        let found = audit_text(action, "action.yml").unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].level, Level::High);
    }

    #[test]
    fn dangerous_triggers_are_named_at_their_line() {
        let text = "name: x\non:\n  # workflow_run is mentioned here\n  pull_request_target:\n  workflow_run:\n    workflows: [ci]\n  issue_comment:\npermissions: {}\njobs: {}\n";
        assert_eq!(
            only(text, "dangerous-triggers"),
            vec![(4, Level::High), (5, Level::High), (7, Level::Medium)]
        );
        let ignored = "on: # zizmor: ignore[dangerous-triggers]\n  workflow_run:\n    workflows: [ci]\npermissions: {}\njobs: {}\n";
        assert!(only(ignored, "dangerous-triggers").is_empty());
        let labeler = "on: pull_request_target\npermissions: {}\njobs:\n  l:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/labeler@8558fd74291d67161a8a78ce36a881fa63b766a9 # v5.0.0\n";
        assert!(only(labeler, "dangerous-triggers").is_empty());
    }

    #[test]
    fn images_not_pinned_to_a_digest() {
        let text = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix:\n        img: ['redis', 'redis:7', 'redis@sha256:0123']\n    container: node:latest\n    services:\n      db:\n        image: postgres\n      cache:\n        image: ${{ matrix.img }}\n      pinned:\n        image: postgres:16@sha256:abcd\n    steps:\n      - uses: docker://alpine\n      - uses: docker://alpine:3.20\n";
        assert_eq!(
            only(text, "unpinned-image"),
            vec![
                (9, Level::High),
                (12, Level::High),
                (14, Level::High),
                (18, Level::High)
            ]
        );
    }

    #[test]
    fn caches_restored_in_publishing_workflows() {
        let text = "on:\n  push:\n    tags: ['v*']\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/cache@0057852bfaa89a56745cba8c7296529d2fc39830 # v4.3.0\n        with: {path: x, key: k}\n      - uses: actions/cache@0057852bfaa89a56745cba8c7296529d2fc39830 # v4.3.0\n        with: {path: x, key: k, lookup-only: true}\n      - uses: actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020 # v4.4.0\n        with: {cache: npm}\n      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065 # v5.6.0\n";
        assert_eq!(
            only(text, "cache-poisoning"),
            vec![(9, Level::High), (13, Level::High)]
        );
        // The same steps in a workflow that publishes nothing.
        let ci = text.replace("push:\n    tags: ['v*']", "pull_request:");
        assert!(only(&ci, "cache-poisoning").is_empty());
        // A publishing step makes its job a publishing one.
        let job = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: Swatinem/rust-cache@98c8021b550208e191a6a3145459bfc9fb29c4c0 # v2.8.0\n      - uses: pypa/gh-action-pypi-publish@76f52bc884231f62b9a034ebfe128415bbaabdfc # v1.12.4\n";
        assert_eq!(only(job, "cache-poisoning"), vec![(7, Level::High)]);
    }

    #[test]
    fn self_hosted_runners_secrets_inherit_and_github_env() {
        let text = "on: [pull_request_target]\npermissions: {}\njobs:\n  a:\n    runs-on: [self-hosted, linux]\n    steps:\n      - run: echo \"X=1\" >> \"$GITHUB_ENV\"\n  b:\n    uses: org/repo/.github/workflows/w.yml@0123456789012345678901234567890123456789\n    secrets: inherit\n  c:\n    uses: org/repo/.github/workflows/w.yml@0123456789012345678901234567890123456789\n    secrets: inherit # zizmor: ignore[secrets-inherit]\n";
        assert_eq!(only(text, "self-hosted-runner"), vec![(5, Level::Medium)]);
        assert_eq!(only(text, "secrets-inherit"), vec![(9, Level::Medium)]);
        assert_eq!(only(text, "github-env"), vec![(7, Level::High)]);
        // Outside such triggers, only an untrusted value written there counts.
        let push = "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: |\n          echo \"A=1\" >> $GITHUB_ENV\n          echo \"B=${{ github.head_ref }}\" >> $GITHUB_ENV\n";
        assert_eq!(only(push, "github-env"), vec![(9, Level::High)]);
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = audit_text(&text, ".github/workflows/x.yml");
            let _ = audit_text(&text, "action.yml");
        }

        #[test]
        fn workflow_shaped_soup_never_panics(parts in proptest::collection::vec(proptest::sample::select(vec![
            "on:", " pull_request_target", "\njobs:", "\n  a:", "\n    steps:", "\n      - uses: actions/checkout@v4",
            "\n        with:", "\n          ref: ${{ github.head_ref }}", "\n      - run: echo ${{ github.event.issue.title }}",
            "\n    permissions: write-all", "\n  - ", ": ", "[", "]", "{", "}", "&a ", "*a", "\"", "'", "|", ">", "\t",
        ]), 0..60)) {
            let text = parts.concat();
            let _ = audit_text(&text, ".github/workflows/x.yml");
        }
    }
}
