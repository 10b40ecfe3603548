//! The workflows a repository already has, and which of ours they overlap.
//!
//! Every `*.yml` / `*.yaml` in the workflows directory that slipway did not write (no header,
//! see [`super::files`]) is parsed as YAML and classified by what its jobs run: tests, CodeQL,
//! a security scanner, a release tool, a deployment. Each kind maps to the workflow of ours
//! that does the same job ([`overlaps`]), so `gen-workflows` can say "your `tests.yml` runs
//! `cargo test`; our `ci.yml` does too" and offer the choice: keep theirs and skip ours
//! (`--only`, `workflows.skip`), or replace theirs (`--replace`, `workflows.replace`).
//!
//! A symlink is reported, never followed (it may point outside the repository); a file that
//! cannot be read or parsed is reported and left alone.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use super::files;

/// What a workflow of someone else's does that one of ours also does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// Runs the project's tests (`cargo test`, `npm test`, `pytest`, `go test` ...).
    Tests,
    /// Runs CodeQL (`github/codeql-action`).
    CodeQl,
    /// Runs a security scanner (trivy, gitleaks, zizmor, osv-scanner, snyk).
    Scanner,
    /// Runs a release tool (goreleaser, release-please, semantic-release, release-plz,
    /// cargo-dist).
    Release,
    /// Deploys (a job with an `environment:`, or a known deploy action or command).
    Deploy,
}

impl Kind {
    /// Our workflows that do the same job.
    pub fn ours(self) -> &'static [&'static str] {
        match self {
            Self::Tests => &["ci"],
            Self::CodeQl | Self::Scanner => &["security"],
            Self::Release => &["release"],
            Self::Deploy => &["cd", "rollback"],
        }
    }

    /// What it does, in a sentence's words.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Tests => "runs tests",
            Self::CodeQl => "runs CodeQL",
            Self::Scanner => "runs a security scanner",
            Self::Release => "runs a release tool",
            Self::Deploy => "deploys",
        }
    }
}

/// One thing a workflow runs, and the evidence for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// What kind of job it is.
    pub kind: Kind,
    /// The evidence: the action or the command, e.g. `cargo test` or
    /// `aquasecurity/trivy-action`.
    pub evidence: String,
}

/// A workflow file slipway did not write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workflow {
    /// The file name (`tests.yml`).
    pub name: String,
    /// What it runs, one finding per kind (the first evidence found).
    pub findings: Vec<Finding>,
}

/// A file that was not classified, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The file name.
    pub name: String,
    /// Why: a symlink, unreadable, not YAML.
    pub reason: String,
}

/// The workflows directory as found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scan {
    /// Workflows of other tools or people, sorted by name.
    pub workflows: Vec<Workflow>,
    /// Files that could not be looked at.
    pub skipped: Vec<Skipped>,
}

/// One overlap: a workflow of ours and a workflow of theirs that does the same job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overlap {
    /// Our workflow (`ci`).
    pub ours: &'static str,
    /// Their file (`tests.yml`).
    pub theirs: String,
    /// What theirs does and the evidence.
    pub finding: Finding,
}

impl Scan {
    /// Every overlap, ours in the usual order, then theirs by name.
    pub fn overlaps(&self, selected: &[&str]) -> Vec<Overlap> {
        let mut out = Vec::new();
        for ours in super::WORKFLOWS {
            if !selected.contains(&ours) {
                continue;
            }
            for w in &self.workflows {
                if let Some(f) = w.findings.iter().find(|f| f.kind.ours().contains(&ours)) {
                    out.push(Overlap {
                        ours,
                        theirs: w.name.clone(),
                        finding: f.clone(),
                    });
                }
            }
        }
        out
    }
}

/// Reads and classifies the workflows in `dir` (nothing when it does not exist).
pub fn scan(dir: &Path) -> std::io::Result<Scan> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Scan::default()),
        Err(e) => return Err(e),
    };
    let mut scan = Scan::default();
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        let skip = |reason: String| Skipped {
            name: name.clone(),
            reason,
        };
        let path = entry.path();
        let meta = match std::fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(e) => {
                scan.skipped.push(skip(format!("cannot be read: {e}")));
                continue;
            }
        };
        if meta.file_type().is_symlink() {
            scan.skipped
                .push(skip("is a symlink; not followed".to_owned()));
            continue;
        }
        if !meta.is_file() {
            continue;
        }
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                scan.skipped.push(skip(format!("cannot be read: {e}")));
                continue;
            }
        };
        if files::classify(&text) != files::Existing::Foreign {
            continue;
        }
        match classify(&text) {
            Ok(findings) => scan.workflows.push(Workflow { name, findings }),
            Err(reason) => scan.skipped.push(skip(reason)),
        }
    }
    scan.workflows.sort_by(|a, b| a.name.cmp(&b.name));
    scan.skipped.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(scan)
}

/// What a workflow's text runs, one finding per kind. `Err` with a reason when it is not a
/// workflow (not YAML, not a mapping).
pub fn classify(text: &str) -> Result<Vec<Finding>, String> {
    let doc: Value = serde_saphyr::from_str(text).map_err(|e| {
        format!(
            "is not valid YAML: {}",
            e.to_string().lines().next().unwrap_or("")
        )
    })?;
    let Some(jobs) = doc.get("jobs").and_then(Value::as_object) else {
        return Err("has no `jobs` mapping".to_owned());
    };
    let mut found: Vec<Finding> = Vec::new();
    let mut add = |kind: Kind, evidence: String| {
        if !found.iter().any(|f| f.kind == kind) {
            found.push(Finding { kind, evidence });
        }
    };
    for job in jobs.values() {
        if job.get("environment").is_some_and(|e| !e.is_null()) {
            add(Kind::Deploy, "a job with `environment:`".to_owned());
        }
        // A reusable workflow called by the job.
        if let Some(uses) = job.get("uses").and_then(Value::as_str) {
            for (kind, evidence) in by_action(uses) {
                add(kind, evidence);
            }
        }
        let steps = job.get("steps").and_then(Value::as_array);
        let mut sets_up_toolchain = false;
        let mut runs_test_word = None;
        for step in steps.into_iter().flatten() {
            if let Some(uses) = step.get("uses").and_then(Value::as_str) {
                for (kind, evidence) in by_action(uses) {
                    add(kind, evidence);
                }
                let action = action_name(uses);
                if action.starts_with("actions/setup-") || action.contains("/setup-") {
                    sets_up_toolchain = true;
                }
            }
            if let Some(run) = step.get("run").and_then(Value::as_str) {
                for (kind, evidence) in by_command(run) {
                    add(kind, evidence);
                }
                if runs_test_word.is_none() {
                    runs_test_word = run
                        .lines()
                        .map(str::trim)
                        .find(|l| words(l).any(|w| w == "test" || w == "tests"))
                        .map(|l| format!("`{}`", shorten(l)));
                }
            }
        }
        // `setup-node` then `make test`: a test job, whatever the runner.
        if let (true, Some(line)) = (sets_up_toolchain, runs_test_word) {
            add(Kind::Tests, line);
        }
    }
    found.sort();
    Ok(found)
}

/// `owner/repo/path@ref` without the ref, lower-case.
fn action_name(uses: &str) -> String {
    uses.split('@')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Kinds told by the action a step (or a job) uses.
fn by_action(uses: &str) -> Vec<(Kind, String)> {
    const ACTIONS: &[(&str, Kind)] = &[
        ("github/codeql-action/analyze", Kind::CodeQl),
        ("github/codeql-action/init", Kind::CodeQl),
        ("aquasecurity/trivy-action", Kind::Scanner),
        ("gitleaks/gitleaks-action", Kind::Scanner),
        ("zizmorcore/zizmor-action", Kind::Scanner),
        ("google/osv-scanner-action", Kind::Scanner),
        ("snyk/actions", Kind::Scanner),
        ("goreleaser/goreleaser-action", Kind::Release),
        ("googleapis/release-please-action", Kind::Release),
        ("google-github-actions/release-please-action", Kind::Release),
        ("cycjimmy/semantic-release-action", Kind::Release),
        ("release-plz/action", Kind::Release),
        ("axodotdev/cargo-dist", Kind::Release),
        ("actions/deploy-pages", Kind::Deploy),
        ("peaceiris/actions-gh-pages", Kind::Deploy),
        ("azure/webapps-deploy", Kind::Deploy),
        ("google-github-actions/deploy-cloudrun", Kind::Deploy),
        (
            "aws-actions/amazon-ecs-deploy-task-definition",
            Kind::Deploy,
        ),
        ("superfly/flyctl-actions", Kind::Deploy),
        ("amondnet/vercel-action", Kind::Deploy),
    ];
    let action = action_name(uses);
    ACTIONS
        .iter()
        .filter(|(prefix, _)| {
            action == *prefix
                || action
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .map(|(_, kind)| (*kind, format!("`{action}`")))
        .collect()
}

/// Kinds told by the commands of a `run:` script: each line's words, after `sudo`, `npx`,
/// `uv run` and the like.
fn by_command(run: &str) -> Vec<(Kind, String)> {
    // Word sequences, matched at any word position of a line.
    const COMMANDS: &[(&[&str], Kind)] = &[
        (&["cargo", "test"], Kind::Tests),
        (&["cargo", "nextest"], Kind::Tests),
        (&["npm", "test"], Kind::Tests),
        (&["npm", "run", "test"], Kind::Tests),
        (&["npm", "t"], Kind::Tests),
        (&["yarn", "test"], Kind::Tests),
        (&["pnpm", "test"], Kind::Tests),
        (&["pnpm", "run", "test"], Kind::Tests),
        (&["bun", "test"], Kind::Tests),
        (&["pytest"], Kind::Tests),
        (&["tox"], Kind::Tests),
        (&["nox"], Kind::Tests),
        (&["go", "test"], Kind::Tests),
        (&["mvn", "test"], Kind::Tests),
        (&["mvn", "verify"], Kind::Tests),
        (&["./mvnw", "test"], Kind::Tests),
        (&["./mvnw", "verify"], Kind::Tests),
        (&["gradle", "test"], Kind::Tests),
        (&["./gradlew", "test"], Kind::Tests),
        (&["./gradlew", "check"], Kind::Tests),
        (&["dotnet", "test"], Kind::Tests),
        (&["rspec"], Kind::Tests),
        (&["rails", "test"], Kind::Tests),
        (&["rake", "test"], Kind::Tests),
        (&["phpunit"], Kind::Tests),
        (&["vendor/bin/phpunit"], Kind::Tests),
        (&["trivy"], Kind::Scanner),
        (&["gitleaks"], Kind::Scanner),
        (&["zizmor"], Kind::Scanner),
        (&["osv-scanner"], Kind::Scanner),
        (&["snyk", "test"], Kind::Scanner),
        (&["goreleaser"], Kind::Release),
        (&["release-please"], Kind::Release),
        (&["semantic-release"], Kind::Release),
        (&["release-plz"], Kind::Release),
        (&["cargo", "dist"], Kind::Release),
        (&["cargo-dist"], Kind::Release),
        (&["dist", "build"], Kind::Release),
        (&["dist", "host"], Kind::Release),
        (&["kubectl", "apply"], Kind::Deploy),
        (&["kubectl", "set", "image"], Kind::Deploy),
        (&["helm", "upgrade"], Kind::Deploy),
        (&["flyctl", "deploy"], Kind::Deploy),
        (&["fly", "deploy"], Kind::Deploy),
        (&["vercel", "deploy"], Kind::Deploy),
        (&["netlify", "deploy"], Kind::Deploy),
    ];
    let mut out = Vec::new();
    for line in run.lines() {
        let line = line.trim();
        if line.starts_with('#') {
            continue;
        }
        let ws: Vec<&str> = words(line).collect();
        for (seq, kind) in COMMANDS {
            let hit = ws.windows(seq.len()).any(|w| {
                w.iter()
                    .zip(seq.iter())
                    .all(|(a, b)| a.eq_ignore_ascii_case(b))
            });
            if hit && !out.iter().any(|(k, _)| k == kind) {
                out.push((*kind, format!("`{}`", shorten(line))));
            }
        }
    }
    out
}

/// The words of a shell line: split on blanks and shell punctuation, a leading path of a
/// program (`node_modules/.bin/semantic-release`) reduced to its name.
fn words(line: &str) -> impl Iterator<Item = &str> {
    line.split(|c: char| c.is_whitespace() || ";&|()`\"'".contains(c))
        .filter(|w| !w.is_empty())
        .map(|w| match w.rsplit_once('/') {
            Some((dir, name)) if !name.is_empty() && dir != "." && dir != "vendor/bin" => name,
            _ => w,
        })
}

/// A command line for a message: at most 60 characters.
fn shorten(line: &str) -> String {
    let mut out: String = line.chars().take(60).collect();
    if line.chars().count() > 60 {
        out.push('…');
    }
    out
}

/// The names of our workflows that overlap none of theirs: the `--only` list of "keep yours".
pub fn keep_theirs<'a>(selected: &[&'a str], overlaps: &[Overlap]) -> Vec<&'a str> {
    let taken: BTreeSet<&str> = overlaps.iter().map(|o| o.ours).collect();
    selected
        .iter()
        .copied()
        .filter(|w| !taken.contains(w))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, String)> {
        classify(text)
            .expect("a workflow")
            .into_iter()
            .map(|f| (f.kind, f.evidence))
            .collect()
    }

    #[test]
    fn test_commands_of_every_ecosystem_are_tests() {
        for cmd in [
            "cargo test --all-features",
            "npm test",
            "npm run test -- --ci",
            "uv run pytest -q",
            "go test ./...",
            "./gradlew check",
            "bundle exec rspec",
            "python -m pytest",
        ] {
            let wf = format!(
                "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: {cmd}\n"
            );
            assert_eq!(kinds(&wf), vec![(Kind::Tests, format!("`{cmd}`"))], "{cmd}");
        }
    }

    #[test]
    fn a_setup_action_and_a_test_word_make_a_test_job() {
        let wf = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/setup-python@v5\n      - run: |\n          make deps\n          make test\n";
        assert_eq!(kinds(wf), vec![(Kind::Tests, "`make test`".into())]);
        // The word alone, without a toolchain set up, is not enough (e.g. `echo test`).
        let wf = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo test\n";
        assert_eq!(kinds(wf), vec![]);
    }

    #[test]
    fn scanners_codeql_release_tools_and_deploys_are_told_apart() {
        let wf = r#"
name: everything
on: push
jobs:
  codeql:
    runs-on: ubuntu-latest
    steps:
      - uses: github/codeql-action/init@v3
      - uses: github/codeql-action/analyze@v3
  trivy:
    runs-on: ubuntu-latest
    steps:
      - uses: aquasecurity/trivy-action@0.28.0
  release:
    runs-on: ubuntu-latest
    steps:
      - run: npx semantic-release
  ship:
    runs-on: ubuntu-latest
    environment: production
    steps:
      - run: kubectl apply -f k8s/
"#;
        assert_eq!(
            kinds(wf),
            vec![
                (Kind::CodeQl, "`github/codeql-action/init`".into()),
                (Kind::Scanner, "`aquasecurity/trivy-action`".into()),
                (Kind::Release, "`npx semantic-release`".into()),
                (Kind::Deploy, "a job with `environment:`".into()),
            ]
        );
    }

    #[test]
    fn lookalikes_are_not_findings() {
        let wf = "on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: github/codeql-action-lookalike/analyze@v1\n      - uses: aquasecurity/trivy-action-fork@v1\n      - run: '# cargo test is run elsewhere'\n      - run: echo gitleaksish\n";
        assert_eq!(kinds(wf), vec![]);
    }

    #[test]
    fn a_file_that_is_not_a_workflow_is_reported() {
        assert!(
            classify("jobs: [unclosed")
                .expect_err("not yaml")
                .starts_with("is not valid YAML")
        );
        assert_eq!(
            classify("name: x\n").expect_err("no jobs"),
            "has no `jobs` mapping"
        );
    }

    #[test]
    fn overlaps_map_their_kinds_to_ours_and_keep_theirs_lists_the_rest() {
        let scan = Scan {
            workflows: vec![
                Workflow {
                    name: "codeql.yml".into(),
                    findings: vec![Finding {
                        kind: Kind::CodeQl,
                        evidence: "x".into(),
                    }],
                },
                Workflow {
                    name: "tests.yml".into(),
                    findings: vec![Finding {
                        kind: Kind::Tests,
                        evidence: "y".into(),
                    }],
                },
            ],
            skipped: vec![],
        };
        let all = &super::super::WORKFLOWS;
        let overlaps = scan.overlaps(all);
        let pairs: Vec<(&str, &str)> = overlaps
            .iter()
            .map(|o| (o.ours, o.theirs.as_str()))
            .collect();
        assert_eq!(pairs, vec![("ci", "tests.yml"), ("security", "codeql.yml")]);
        assert_eq!(
            keep_theirs(all, &overlaps),
            vec!["cd", "quality", "quality-comment", "release", "rollback"]
        );
        assert!(scan.overlaps(&["cd"]).is_empty());
    }
}
