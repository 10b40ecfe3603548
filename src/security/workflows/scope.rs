//! What a step's audit needs to know about its surroundings: the workflow's declared inputs,
//! the `env` and `matrix` around it, whether outsiders start the workflow, and whether it
//! publishes (for cache poisoning).

use std::collections::HashMap;

use super::contexts::Capability;
use super::{Node, Value};

/// The surroundings of a step.
#[derive(Debug, Clone)]
pub(super) struct Scope<'a> {
    /// `inputs.<name>` of `workflow_dispatch` / `workflow_call`, by what they may hold.
    pub inputs: HashMap<String, Capability>,
    /// In an `action.yml`, every input is text the caller chose.
    pub action_inputs: bool,
    pub workflow_env: Option<&'a Node>,
    pub job_env: Option<&'a Node>,
    pub matrix: Option<&'a Node>,
    /// Started by `pull_request_target`, `workflow_run` or `issue_comment`.
    pub outsiders: bool,
    /// Started by a release or a tag push, or the job has a publishing step.
    pub publishing: bool,
}

/// The declared inputs: a `string` (the default type) is any text; `boolean` and `number`
/// are fixed; a `choice` or `environment` is one of a known set.
pub(super) fn workflow_inputs(on: Option<&Node>) -> HashMap<String, Capability> {
    let mut out = HashMap::new();
    let Some(on) = on else { return out };
    for trigger in ["workflow_dispatch", "workflow_call"] {
        let Some(inputs) = on.get(trigger).and_then(|t| t.get("inputs")) else {
            continue;
        };
        for (name, spec) in inputs.entries() {
            let cap = match spec.get("type").and_then(Node::str) {
                Some("boolean" | "number") => Capability::Fixed,
                Some("choice" | "environment") => Capability::Structured,
                _ => Capability::Arbitrary,
            };
            let entry = out.entry(name.to_ascii_lowercase()).or_insert(cap);
            *entry = (*entry).max(cap);
        }
    }
    out
}

/// A release, a tag push, or a push to a release branch.
pub(super) fn publishing_triggers(on: Option<&Node>, triggers: &[String]) -> bool {
    if triggers.iter().any(|t| t == "release") {
        return true;
    }
    let Some(push) = on.and_then(|o| o.get("push")) else {
        return false;
    };
    if push.get("tags").is_some() || push.get("tags-ignore").is_some() {
        return true;
    }
    push.get("branches").is_some_and(|b| {
        let names: Vec<&str> = match &b.value {
            Value::Scalar(s) => vec![s.as_str()],
            _ => b.items().iter().filter_map(Node::str).collect(),
        };
        names
            .iter()
            .any(|n| n.to_ascii_lowercase().contains("release"))
    })
}

/// Actions that publish packages, releases, images or deployments.
const PUBLISHERS: &[&str] = &[
    "pypa/gh-action-pypi-publish",
    "rubygems/release-gem",
    "jreleaser/release-action",
    "goreleaser/goreleaser-action",
    "softprops/action-gh-release",
    "release-drafter/release-drafter",
    "googleapis/release-please-action",
    "redhat-actions/push-to-registry",
    "aws-actions/amazon-ecs-deploy-task-definition",
    "aws-actions/aws-cloudformation-github-deploy",
    "azure/aci-deploy",
    "azure/container-apps-deploy-action",
    "azure/functions-action",
    "azure/sql-action",
    "cloudflare/wrangler-action",
    "google-github-actions/deploy-appengine",
    "google-github-actions/deploy-cloudrun",
    "google-github-actions/deploy-cloud-functions",
];

/// The action of a `uses:` in lower case, without its ref.
fn action_of(uses: &str) -> String {
    uses.split('@')
        .next()
        .unwrap_or(uses)
        .trim()
        .to_ascii_lowercase()
}

fn input<'a>(with: Option<&'a Node>, name: &str) -> Option<&'a str> {
    with?.get(name)?.str()
}

fn truthy(v: Option<&str>) -> bool {
    v.is_some_and(|s| s.eq_ignore_ascii_case("true"))
}

fn falsy(v: Option<&str>) -> bool {
    v.is_some_and(|s| s.eq_ignore_ascii_case("false"))
}

/// The step publishes something.
pub(super) fn publishes(step: &Node) -> bool {
    let Some(uses) = step.get("uses").and_then(Node::str) else {
        return false;
    };
    let action = action_of(uses);
    if action == "docker/build-push-action" {
        return truthy(input(step.get("with"), "push"));
    }
    PUBLISHERS.contains(&action.as_str())
}

/// The major version a `uses:` ref or its `# vN` comment names.
fn major(uses: &str, comment: Option<&str>) -> Option<u64> {
    let r = uses.rsplit_once('@').map(|(_, r)| r)?;
    let text = if r.len() == 40 { comment? } else { r };
    let digits: String = text
        .trim_start_matches(['v', 'V'])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// How a cache-aware action restores a cache with these inputs, if it does.
pub(super) fn cache_enabled(
    uses: &str,
    with: Option<&Node>,
    comment: Option<&str>,
) -> Option<String> {
    let action = action_of(uses);
    let opt_in = |field: &str| {
        input(with, field)
            .filter(|v| !v.trim().is_empty() && !falsy(Some(v)))
            .map(|v| format!("`{field}: {v}`"))
    };
    let opt_out =
        |field: &str| (!truthy(input(with, field))).then(|| format!("`{field}` is not `true`"));
    let default_on =
        |field: &str| (!falsy(input(with, field))).then(|| format!("`{field}` is on by default"));
    match action.as_str() {
        "actions/cache" | "swatinem/rust-cache" => opt_out("lookup-only"),
        "actions/setup-java" | "actions/setup-python" | "graalvm/setup-graalvm" => opt_in("cache"),
        "actions/setup-go" | "actions-rust-lang/setup-rust-toolchain" | "jdx/mise-action" => {
            default_on("cache")
        }
        "actions/setup-dotnet" => opt_in("cache"),
        "actions/setup-node" => {
            if let Some(v) = input(with, "cache")
                && matches!(v, "npm" | "yarn" | "pnpm")
            {
                return Some(format!("`cache: {v}`"));
            }
            if truthy(input(with, "package-manager-cache")) {
                return Some("`package-manager-cache: true`".into());
            }
            // `package-manager-cache` is on by default from v5.
            (major(uses, comment).is_some_and(|m| m >= 5)
                && !falsy(input(with, "package-manager-cache")))
            .then(|| "`package-manager-cache` is on by default from v5".into())
        }
        "astral-sh/setup-uv" => {
            if input(with, "enable-cache") == Some("true") {
                return Some("`enable-cache: true`".into());
            }
            (major(uses, comment).is_some_and(|m| m < 10) && !falsy(input(with, "enable-cache")))
                .then(|| "`enable-cache` is on by default before v10".into())
        }
        "ruby/setup-ruby" => {
            truthy(input(with, "bundler-cache")).then(|| "`bundler-cache: true`".into())
        }
        "pyo3/maturin-action" => truthy(input(with, "sccache")).then(|| "`sccache: true`".into()),
        "oven-sh/setup-bun" => opt_out("no-cache"),
        "gradle/actions/setup-gradle" => opt_out("cache-disabled"),
        _ => None,
    }
}

/// The matrix values of `name` are all constants.
pub(super) fn matrix_is_static(matrix: Option<&Node>, name: &str) -> bool {
    let Some(matrix) = matrix else { return false };
    if matrix.str().is_some() {
        return false; // `matrix: ${{ fromJSON(...) }}`
    }
    let constant = |n: &Node| match &n.value {
        Value::Scalar(s) => !s.contains("${{"),
        Value::Null => true,
        Value::Seq(items) => items
            .iter()
            .all(|i| i.str().is_none_or(|s| !s.contains("${{"))),
        Value::Map(_) => false,
    };
    let mut found = false;
    if let Some(values) = matrix.get(name) {
        found = true;
        if !constant(values) {
            return false;
        }
    }
    for key in ["include", "exclude"] {
        let Some(list) = matrix.get(key) else {
            continue;
        };
        if list.str().is_some() {
            return false;
        }
        for entry in list.items() {
            if let Some(v) = entry.get(name) {
                found = true;
                if !constant(v) {
                    return false;
                }
            }
        }
    }
    found
}

/// `image` with `${{ matrix.X }}` replaced by each constant value of `X`; the image itself
/// when it has no such reference or the matrix is not constant.
pub(super) fn expand_matrix(image: &str, matrix: Option<&Node>) -> Vec<String> {
    let trimmed = image.trim();
    let Some(body) = trimmed
        .strip_prefix("${{")
        .and_then(|r| r.strip_suffix("}}"))
        .map(str::trim)
    else {
        return vec![image.to_owned()];
    };
    let Some(name) = body.strip_prefix("matrix.") else {
        return vec![image.to_owned()];
    };
    if !matrix_is_static(matrix, name) {
        return vec![image.to_owned()];
    }
    let Some(matrix) = matrix else {
        return vec![image.to_owned()];
    };
    let mut out = Vec::new();
    let mut take = |n: &Node| match &n.value {
        Value::Scalar(s) => out.push(s.clone()),
        Value::Seq(items) => out.extend(items.iter().filter_map(Node::str).map(str::to_owned)),
        _ => {}
    };
    if let Some(v) = matrix.get(name) {
        take(v);
    }
    for entry in matrix.get("include").map(Node::items).unwrap_or_default() {
        if let Some(v) = entry.get(name) {
            take(v);
        }
    }
    out.sort();
    out.dedup();
    out
}
