//! Which values inside `${{ }}` an outsider controls, for the expression-injection audit.
//!
//! An expression is split into the context references whose value flows into its result
//! (`github.head_ref`, `format('{0}', inputs.name)`); a reference only compared
//! (`github.ref == 'refs/heads/main'`) or tested (`contains(github.event.pull_request.labels.*.name, 'x')`)
//! yields a boolean and is left out. Each reference then gets a [`Capability`]: what an
//! attacker can put in it. Contexts: <https://docs.github.com/en/actions/reference/workflows-and-actions/contexts>;
//! event payloads: <https://docs.github.com/en/webhooks/webhook-events-and-payloads>.

/// What an outsider can make a context expand to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Capability {
    /// Nothing that changes a script's structure (numbers, ids, booleans, the repository name).
    Fixed,
    /// A value of some fixed shape whose contents vary (a choice input, a matrix built from
    /// expressions): medium risk.
    Structured,
    /// Any text at all: a branch name, a pull request title, a string input.
    Arbitrary,
    /// Not known to be attacker-controlled, but not known to be safe either (step and job
    /// outputs, `env` set from expressions, `vars`): low risk, worth a look.
    Opaque,
}

/// One context reference in an expression, as written (`github.event.issue.title`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub text: String,
}

/// The expressions `${{ … }}` in `text`, with the byte offset of each body.
pub fn expressions(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("${{") {
        let body_start = from + start + 3;
        let Some(end) = text[body_start..].find("}}") else {
            break;
        };
        out.push((body_start, &text[body_start..body_start + end]));
        from = body_start + end + 2;
    }
    out
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// A context path: `github.event.pull_request.title`, `steps.x.outputs['a']`.
    Path(String),
    /// A function name (an identifier followed by `(`).
    Call(String),
    Open,
    Close,
    Comma,
    /// `==`, `!=`, `<`, `<=`, `>`, `>=`, `!`.
    Compare,
    /// `&&`, `||`.
    Logic,
    Literal,
}

fn tokenize(expr: &str) -> Vec<Token> {
    let b = expr.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'\'' => {
                // A string literal; `''` escapes a quote.
                i += 1;
                while i < b.len() {
                    if b[i] == b'\'' {
                        if b.get(i + 1) == Some(&b'\'') {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
                out.push(Token::Literal);
            }
            b'(' => {
                out.push(Token::Open);
                i += 1;
            }
            b')' => {
                out.push(Token::Close);
                i += 1;
            }
            b',' => {
                out.push(Token::Comma);
                i += 1;
            }
            b'=' | b'!' | b'<' | b'>' => {
                i += 1;
                if b.get(i) == Some(&b'=') {
                    i += 1;
                }
                out.push(Token::Compare);
            }
            b'&' | b'|' => {
                i += 1;
                if b.get(i) == Some(&c) {
                    i += 1;
                }
                out.push(Token::Logic);
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let start = i;
                while i < b.len() {
                    let d = b[i];
                    if d.is_ascii_alphanumeric() || matches!(d, b'_' | b'-' | b'.' | b'*') {
                        i += 1;
                    } else if d == b'[' {
                        // An index: `['name']` or `[0]` or `[*]`.
                        match expr[i..].find(']') {
                            Some(e) => i += e + 1,
                            None => i = b.len(),
                        }
                    } else {
                        break;
                    }
                }
                let word = &expr[start..i];
                let mut j = i;
                while j < b.len() && b[j] == b' ' {
                    j += 1;
                }
                if b.get(j) == Some(&b'(') {
                    out.push(Token::Call(word.to_ascii_lowercase()));
                } else if matches!(word, "true" | "false" | "null") {
                    out.push(Token::Literal);
                } else {
                    out.push(Token::Path(word.to_owned()));
                }
            }
            _ => {
                // Numbers and anything else: literals.
                while i < b.len() && !matches!(b[i], b' ' | b'(' | b')' | b',') {
                    i += 1;
                }
                out.push(Token::Literal);
            }
        }
    }
    out
}

/// Functions whose result is a boolean or a hash: what they are given does not reach the
/// script.
const NO_FLOW: &[&str] = &[
    "contains",
    "startswith",
    "endswith",
    "success",
    "failure",
    "always",
    "cancelled",
    "hashfiles",
];

/// The references whose value can reach the expansion of `expr`.
pub fn flowing(expr: &str) -> Vec<Reference> {
    let tokens = tokenize(expr);
    let mut out = Vec::new();
    // For each open parenthesis: whether it belongs to a no-flow function.
    let mut stack: Vec<bool> = Vec::new();
    let mut pending_call: Option<bool> = None;
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::Call(name) => pending_call = Some(NO_FLOW.contains(&name.as_str())),
            Token::Open => stack.push(pending_call.take().unwrap_or(false)),
            Token::Close => {
                stack.pop();
            }
            Token::Path(p) => {
                let blocked = stack.iter().any(|b| *b);
                let compared = (i > 0 && tokens[i - 1] == Token::Compare)
                    || tokens.get(i + 1) == Some(&Token::Compare);
                if !blocked && !compared {
                    out.push(Reference { text: p.clone() });
                }
            }
            _ => {}
        }
    }
    out
}

/// The `github` context values that are fixed by GitHub (ids, names of the repository, the
/// run, the actor's login).
const GITHUB_FIXED: &[&str] = &[
    "action",
    "action_path",
    "action_ref",
    "action_repository",
    "action_status",
    "actor",
    "actor_id",
    "api_url",
    "env",
    "event_name",
    "event_path",
    "graphql_url",
    "job",
    "output",
    "path",
    "ref_protected",
    "ref_type",
    "repository",
    "repository_id",
    "repository_owner",
    "repository_owner_id",
    "repositoryurl",
    "retention_days",
    "run_attempt",
    "run_id",
    "run_number",
    "secret_source",
    "server_url",
    "sha",
    "state",
    "step_summary",
    "token",
    "triggering_actor",
    "workflow_ref",
    "workflow_sha",
    "workspace",
];

/// Last segments of event payload fields that are numbers, booleans, enums or commit ids.
const EVENT_FIXED_LEAVES: &[&str] = &[
    "number",
    "id",
    "draft",
    "locked",
    "merged",
    "mergeable",
    "rebaseable",
    "maintainer_can_modify",
    "additions",
    "deletions",
    "changed_files",
    "comments",
    "review_comments",
    "state",
    "forced",
    "created",
    "deleted",
    "before",
    "after",
    "distinct",
    "private",
    "fork",
    "forks",
    "archived",
    "disabled",
    "prerelease",
    "size",
    "run_number",
    "run_attempt",
    "run_id",
    "workflow_id",
    "check_suite_id",
    "installation",
    "ref_type",
    "sha",
];

/// What an outsider can put in `reference`. `input` says what a workflow declares for an
/// `inputs.<name>`; `env_static` whether an `env.<name>` is set to a constant; `matrix_static`
/// whether a `matrix.<name>` only takes constants.
pub fn capability(
    reference: &str,
    input: impl Fn(&str) -> Option<Capability>,
    env_static: impl Fn(&str) -> bool,
    matrix_static: impl Fn(&str) -> bool,
) -> Capability {
    let lower = reference.to_ascii_lowercase();
    let parts: Vec<&str> = lower.split('.').collect();
    // Names as written: `env` and `matrix` keys are looked up as the workflow spells them.
    let written: Vec<&str> = reference.split('.').collect();
    let leaf = parts.last().copied().unwrap_or_default();
    let leaf = leaf.split('[').next().unwrap_or(leaf);
    match parts[0] {
        "secrets" | "runner" | "strategy" | "job" => Capability::Fixed,
        "needs" if parts.len() == 3 && parts[2] == "result" => Capability::Fixed,
        "steps" if parts.len() == 3 && matches!(parts[2], "outcome" | "conclusion") => {
            Capability::Fixed
        }
        "inputs" if parts.len() == 2 => input(parts[1]).unwrap_or(Capability::Opaque),
        "env" if parts.len() == 2 => {
            if env_static(written[1]) {
                Capability::Fixed
            } else {
                Capability::Opaque
            }
        }
        "matrix" if parts.len() >= 2 => {
            if matrix_static(written[1]) {
                Capability::Fixed
            } else {
                Capability::Structured
            }
        }
        "github" if parts.len() == 2 => {
            if GITHUB_FIXED.contains(&parts[1]) {
                Capability::Fixed
            } else {
                // `ref`, `ref_name`, `head_ref`, `base_ref`, `workflow` ... branch and
                // workflow names are any text their author chose.
                Capability::Arbitrary
            }
        }
        "github" if parts.get(1) == Some(&"event") => {
            let fixed = parts.len() > 2
                && (EVENT_FIXED_LEAVES.contains(&leaf)
                    || leaf.ends_with("_count")
                    || leaf.starts_with("has_")
                    || leaf.starts_with("allow_")
                    || leaf.ends_with("_id") && leaf != "node_id");
            if fixed {
                Capability::Fixed
            } else {
                Capability::Arbitrary
            }
        }
        "github" => Capability::Arbitrary,
        _ => Capability::Opaque,
    }
}

/// An environment variable name for a context: `github.head_ref` → `HEAD_REF`.
pub fn env_name(reference: &str) -> String {
    let leaf = reference
        .rsplit('.')
        .find(|s| *s != "*" && !s.is_empty())
        .unwrap_or("VALUE");
    let mut name: String = leaf
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert(0, '_');
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(expr: &str) -> Vec<String> {
        flowing(expr).into_iter().map(|r| r.text).collect()
    }

    #[test]
    fn only_references_whose_value_flows_are_kept() {
        assert_eq!(texts(" github.head_ref "), ["github.head_ref"]);
        assert_eq!(
            texts("format('{0}-{1}', github.ref_name, inputs.tag)"),
            ["github.ref_name", "inputs.tag"]
        );
        assert!(texts("github.ref == 'refs/heads/main'").is_empty());
        assert!(texts("contains(github.event.pull_request.labels.*.name, 'ci')").is_empty());
        assert!(texts("!github.event.pull_request.draft").is_empty());
        assert_eq!(
            texts("github.event_name == 'push' && 'a' || github.event.pull_request.title"),
            ["github.event.pull_request.title"]
        );
        assert_eq!(texts("toJSON(github.event)"), ["github.event"]);
        assert_eq!(
            texts("steps.meta.outputs['tags']"),
            ["steps.meta.outputs['tags']"]
        );
        assert!(texts("'it''s' ").is_empty());
    }

    #[test]
    fn capabilities_follow_who_writes_the_value() {
        let cap = |r: &str| {
            capability(
                r,
                |name| (name == "flag").then_some(Capability::Fixed),
                |name| name == "STATIC",
                |name| name == "os",
            )
        };
        for arbitrary in [
            "github.ref_name",
            "github.head_ref",
            "github.base_ref",
            "github.ref",
            "github.event.pull_request.title",
            "github.event.pull_request.head.repo.full_name",
            "github.event.issue.body",
            "github.event.comment.body",
            "github.event.review.body",
            "github.event.head_commit.message",
            "github.event.workflow_run.head_branch",
            "github.event",
        ] {
            assert_eq!(cap(arbitrary), Capability::Arbitrary, "{arbitrary}");
        }
        for fixed in [
            "github.sha",
            "github.repository",
            "github.run_id",
            "github.event.pull_request.number",
            "github.event.pull_request.head.sha",
            "github.event.issue.id",
            "github.event.repository.stargazers_count",
            "secrets.TOKEN",
            "runner.temp",
            "needs.build.result",
            "steps.x.outcome",
            "env.STATIC",
            "matrix.os",
            "inputs.flag",
        ] {
            assert_eq!(cap(fixed), Capability::Fixed, "{fixed}");
        }
        assert_eq!(cap("matrix.image"), Capability::Structured);
        for opaque in [
            "env.FROM_EXPR",
            "steps.v.outputs.version",
            "needs.a.outputs.b",
            "vars.X",
            "inputs.other",
        ] {
            assert_eq!(cap(opaque), Capability::Opaque, "{opaque}");
        }
    }

    #[test]
    fn env_names_come_from_the_last_segment() {
        assert_eq!(env_name("github.head_ref"), "HEAD_REF");
        assert_eq!(env_name("github.event.pull_request.title"), "TITLE");
        assert_eq!(env_name("inputs.node-version"), "NODE_VERSION");
    }
}
