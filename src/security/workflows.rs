//! Workflow audits of `.github/workflows/*.yml` and every `action.yml`: expression injection
//! in `run:`, privileged triggers that check out untrusted code, missing or `write-all`
//! permissions, unpinned actions, checkout credentials left in `.git/config`, and secrets
//! handed to actions nobody pinned.
//!
//! Files are parsed into a tree of [`Node`]s that keep the line of every value (serde-saphyr's
//! `Spanned`), so each finding points at the line to change.

use std::fmt;
use std::path::Path;

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
        name: "Workflow token with write-all or default permissions",
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
        id: "secrets-to-unpinned-action",
        name: "Secrets passed to an action nobody pinned",
        help: "Whoever controls the action's tag receives the secret. Pin the action to a commit SHA, or do not pass it secrets.",
    },
];

/// Contexts an outsider controls: a pull request, issue or comment author, a branch name.
const UNTRUSTED: &[&str] = &[
    "github.head_ref",
    "github.event.issue.title",
    "github.event.issue.body",
    "github.event.pull_request.title",
    "github.event.pull_request.body",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.label",
    "github.event.pull_request.head.repo.default_branch",
    "github.event.comment.body",
    "github.event.review.body",
    "github.event.review_comment.body",
    "github.event.discussion.title",
    "github.event.discussion.body",
    "github.event.head_commit.message",
    "github.event.head_commit.author.email",
    "github.event.head_commit.author.name",
    "github.event.commits",
    "github.event.pages",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.head_commit.message",
    "github.event.workflow_run.head_commit.author",
    "github.event.workflow_run.display_title",
    "github.event.workflow_run.pull_requests",
    "github.event.check_suite.head_branch",
    "github.event.check_run.check_suite.head_branch",
    "github.event.release.name",
    "github.event.release.body",
    "github.event.inputs",
    "github.event.client_payload",
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
    });
    findings.sort_by_key(|f| (f.line, f.rule.clone()));
    findings.dedup_by(|a, b| a.line == b.line && a.rule == b.rule && a.message == b.message);
    Ok(findings)
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
        let privileged = triggers
            .iter()
            .any(|t| t == "pull_request_target" || t == "workflow_run");
        let top_permissions = doc.get("permissions");
        if let Some(p) = top_permissions {
            self.permissions(p, "workflow");
        }
        for (job_id, job) in doc.get("jobs").map(Node::entries).unwrap_or_default() {
            if let Some(p) = job.get("permissions") {
                self.permissions(p, &format!("job `{job_id}`"));
            } else if top_permissions.is_none() {
                self.push(
                    "excessive-permissions",
                    Level::Medium,
                    job.line.saturating_sub(1).max(1),
                    format!(
                        "job `{job_id}` runs with the repository's default token permissions (often read and write to everything): no `permissions:` in the job or the workflow"
                    ),
                    &format!("default:{job_id}"),
                );
            }
            if let Some(uses) = job.get("uses") {
                // A reusable workflow call.
                let passes_secrets = job.get("secrets").is_some();
                self.uses(uses, job_id, passes_secrets, "workflow");
            }
            let mut checked_out_untrusted = false;
            for (i, step) in job
                .get("steps")
                .map(Node::items)
                .unwrap_or_default()
                .iter()
                .enumerate()
            {
                self.step(step, job_id, i, privileged, &mut checked_out_untrusted);
            }
        }
    }

    fn action(&mut self, doc: &Node) {
        let Some(runs) = doc.get("runs") else { return };
        for (i, step) in runs
            .get("steps")
            .map(Node::items)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let mut untrusted = false;
            self.step(step, "action", i, false, &mut untrusted);
        }
    }

    fn permissions(&mut self, p: &Node, whose: &str) {
        if p.str() == Some("write-all") {
            self.push(
                "excessive-permissions",
                Level::High,
                p.line,
                format!("{whose} grants `permissions: write-all`: every step can push code, publish releases and change settings"),
                &format!("write-all:{whose}"),
            );
        }
    }

    fn step(
        &mut self,
        step: &Node,
        job: &str,
        index: usize,
        privileged: bool,
        untrusted_checkout: &mut bool,
    ) {
        let step_name = step
            .get("name")
            .and_then(Node::str)
            .or_else(|| step.get("id").and_then(Node::str))
            .map_or_else(|| format!("step {}", index + 1), |n| format!("step `{n}`"));
        if let Some(run) = step.get("run")
            && let Some(script) = run.str()
        {
            self.injection(script, run.line, job, &step_name);
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
                    uses_node.line,
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
            self.injection(text, script.line, job, &step_name);
        }
    }

    fn injection(&mut self, script: &str, line: u32, job: &str, step: &str) {
        let mut rest = script;
        let span = script.lines().count();
        while let Some(start) = rest.find("${{") {
            let after = &rest[start + 3..];
            let Some(end) = after.find("}}") else { break };
            let expr = after[..end].trim();
            rest = &after[end + 2..];
            let compact: String = expr.split_whitespace().collect::<Vec<_>>().join(" ");
            let hit = UNTRUSTED.iter().find(|u| {
                compact.contains(*u)
                    || (u.contains(".commits") && compact.contains("github.event.commits"))
            });
            let Some(context) = hit else { continue };
            let at = self
                .find_line(line, &format!("${{{{ {expr}"), span)
                .max(self.find_line(line, expr, span));
            self.push(
                "expression-injection",
                Level::High,
                at,
                format!("{step} of `{job}` expands `{context}` straight into its script: whoever controls it can run commands in the job; pass it through `env:`"),
                &format!("inject:{job}:{step}:{compact}"),
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
