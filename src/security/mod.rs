//! `slipway security-scan`: committed secrets, dependencies with known advisories and risky
//! workflow patterns, in one pass, reported as JSON, SARIF, a step summary and annotations.
//!
//! Each part produces [`Finding`]s; this module decides what is reported (allowlists,
//! baseline) and whether the scan fails (`security.fail-on`).

pub mod allow;
pub mod cli;
pub mod code_scanning;
pub mod deps;
pub mod licenses;
pub mod report;
pub mod sarif;
pub mod secrets;
pub mod workflows;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::config::Severity;
use crate::error::Hint;

/// How bad a finding is. Ordered: `Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Low,
    Medium,
    High,
    Critical,
}

/// Which part of the scan found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Secret,
    Dependency,
    Workflow,
    /// A dependency's licence against `security.licenses`.
    License,
}

/// What a dependency finding adds: the package, the advisory and the way out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Advisory {
    /// Advisory id, e.g. `GHSA-xxxx-xxxx-xxxx` or `RUSTSEC-2024-0001`.
    pub id: String,
    /// Other ids of the same advisory (CVE, GHSA ...).
    pub aliases: Vec<String>,
    pub package: String,
    pub version: String,
    /// OSV ecosystem name: `crates.io`, `npm`, `PyPI`, `Go`, `Maven`, `NuGet`, `RubyGems`, `Packagist`.
    pub ecosystem: String,
    /// The lowest version that fixes it, when the advisory names one.
    pub fixed: Option<String>,
    /// The advisory's one-line summary.
    pub summary: Option<String>,
    /// The CVSS vector or score when the advisory gives one.
    pub cvss: Option<String>,
}

/// One finding. `file` is relative to the scanned root, with `/` separators; `line` and
/// `column` start at 1. `excerpt` is already redacted: no part of a secret is ever stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub kind: Kind,
    /// Rule id, e.g. `github-token`, `expression-injection`, or the advisory id.
    pub rule: String,
    pub level: Level,
    pub file: String,
    pub line: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// One sentence a developer can act on.
    pub message: String,
    /// The offending text, redacted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    /// The commit that added it (`--history`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// Stable across runs and line moves: used by the baseline and SARIF `partialFingerprints`.
    /// It never carries information about a secret (see [`secrets::fingerprint`]).
    pub fingerprint: String,
    /// A secret's fingerprint as baseline version 1 made it (over the secret): compared with
    /// an old baseline only, never serialized.
    #[serde(skip)]
    pub legacy_fingerprint: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub advisory: Option<Advisory>,
}

/// Something a part could not check (a malformed lockfile, a binary file): reported in the
/// summary so nobody mistakes "not checked" for "clean".
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    pub reason: String,
}

impl Level {
    /// The lower-case name: `low`, `medium`, `high`, `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Every level, most severe first.
    pub const ALL: [Self; 4] = [Self::Critical, Self::High, Self::Medium, Self::Low];

    /// True when a finding of this level fails a scan whose policy is `fail_on`.
    pub fn fails(self, fail_on: Severity) -> bool {
        let threshold = match fail_on {
            Severity::None => return false,
            Severity::Low => Self::Low,
            Severity::Medium => Self::Medium,
            Severity::High => Self::High,
            Severity::Critical => Self::Critical,
        };
        self >= threshold
    }
}

impl Kind {
    /// The lower-case name: `secret`, `dependency`, `workflow`, `license`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secret => "secret",
            Self::Dependency => "dependency",
            Self::Workflow => "workflow",
            Self::License => "license",
        }
    }

    /// The name of the part that finds this kind: `secrets`, `dependencies`, `workflows`,
    /// `licenses`.
    pub fn part(self) -> &'static str {
        match self {
            Self::Secret => "secrets",
            Self::Dependency => "dependencies",
            Self::Workflow => "workflows",
            Self::License => "licenses",
        }
    }

    /// Every kind, in report order.
    pub const ALL: [Self; 4] = [
        Self::Secret,
        Self::Dependency,
        Self::Workflow,
        Self::License,
    ];
}

/// What a scan does. Built by the command line from flags, the action's environment and
/// `slipway.yml`.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The repository root.
    pub root: PathBuf,
    pub secrets: bool,
    pub dependencies: bool,
    pub workflows: bool,
    /// Also scan every commit's added lines.
    pub history: bool,
    /// Files larger than this are skipped with a note; 0 scans every file.
    pub max_file_bytes: u64,
    /// `security.allow`.
    pub allow: Vec<crate::config::Allow>,
    /// The config file, for errors in `security.allow`.
    pub config_file: String,
    /// Accepted fingerprints; findings in it are not reported.
    pub baseline: Option<PathBuf>,
    /// A local OSV database (`--osv-db`).
    pub osv_db: Option<PathBuf>,
    /// The lowest level that fails the scan.
    pub fail_on: Severity,
    /// `security.licenses`: checked with the dependencies when given.
    pub licenses: Option<crate::config::Licenses>,
}

/// How one part of the scan went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "reason")]
pub enum PartState {
    /// It ran over everything it was meant to.
    Checked,
    /// Turned off by configuration or a flag.
    Disabled,
    /// It could not run: nobody may read its silence as "clean".
    NotChecked(String),
    /// It ran, but part of what it was meant to check could not be read (a malformed lockfile,
    /// a version no scheme parses); each such part is an error finding, and the scan fails on
    /// it unless `security.allow` names it.
    Incomplete(String),
}

/// One part and how it went, with what it looked at.
#[derive(Debug, Clone, Serialize)]
pub struct Part {
    pub kind: Kind,
    #[serde(flatten)]
    pub state: PartState,
    /// What it covered, for people: `1,234 files (56 MiB)`, `3 lockfiles, 412 packages`.
    pub scope: String,
}

/// The result of a scan: the findings that count, and what was set aside.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Findings after the allowlist and the baseline, most severe first.
    pub findings: Vec<Finding>,
    /// What could not be checked.
    pub skipped: Vec<Skipped>,
    pub parts: Vec<Part>,
    /// Findings silenced by `security.allow` or `slipway:allow`.
    pub allowed: usize,
    /// Findings accepted by the baseline.
    pub baselined: usize,
    /// Bytes of files and history scanned for secrets.
    pub bytes: u64,
    pub fail_on: Severity,
    /// Workflow files with findings that `slipway gen-workflows` did not generate (no slipway
    /// header): a repository's older workflows, whose findings predate the generated pipeline.
    pub foreign_workflows: Vec<String>,
    /// What the user should do about the scan's inputs (an old baseline format).
    pub notices: Vec<String>,
}

impl Outcome {
    /// The most severe level found.
    pub fn highest(&self) -> Option<Level> {
        self.findings.iter().map(|f| f.level).max()
    }

    /// The findings of one level.
    pub fn count(&self, level: Level) -> usize {
        self.findings.iter().filter(|f| f.level == level).count()
    }

    /// True when a finding reaches the `fail_on` level, or when a part is incomplete (a
    /// finding that says so remains after `security.allow`) and `fail_on` is not `none`.
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| {
            f.level.fails(self.fail_on) || (self.fail_on != Severity::None && is_incompleteness(f))
        })
    }
}

/// Why a scan could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The root is not a directory.
    #[error("`{}` is not a directory", path.display())]
    NotADirectory { path: PathBuf },
    /// A file could not be read.
    #[error("reading `{}`", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("writing `{}`", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The baseline file is not a baseline.
    #[error("`{}`:{line}:{column}: not a slipway baseline: {reason}", path.display())]
    Baseline {
        path: PathBuf,
        line: usize,
        column: usize,
        reason: String,
    },
    /// An entry of `security.allow` cannot be used.
    #[error("{file}: `security.allow[{index}]`: invalid {what} `{value}`: {reason}")]
    Allow {
        file: String,
        index: usize,
        what: String,
        value: String,
        reason: String,
    },
    /// `git log` failed (`--history`).
    #[error("reading the history of `{}`: {reason}", root.display())]
    Git { root: PathBuf, reason: String },
    /// The dependency audit could not run.
    #[error(transparent)]
    Deps(#[from] deps::Error),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::NotADirectory { .. } => Some("pass the repository root, e.g. `slipway security-scan .`".into()),
            Self::Read { .. } => Some("check that the file exists and is readable".into()),
            Self::Write { .. } => Some("check that the directory is writable".into()),
            Self::Baseline { .. } => Some("write a fresh one with `slipway security-scan baseline`".into()),
            Self::Allow { .. } => Some("each entry takes `path` (a glob such as `tests/fixtures/**`), `rule` (e.g. `jwt`) and `regex`; fix or remove it".into()),
            Self::Git { .. } => Some("`--history` needs git and a clone with its history (`fetch-depth: 0` in actions/checkout)".into()),
            Self::Deps(e) => e.hint(),
        }
    }

    fn location(&self) -> Option<crate::error::Location> {
        match self {
            Self::Baseline {
                path,
                line,
                column,
                reason,
            } => Some(crate::error::Location {
                file: path.display().to_string(),
                line: *line,
                column: *column,
                summary: reason.clone(),
            }),
            _ => None,
        }
    }
}

/// Runs the enabled parts over `settings.root` and applies the allowlist, the baseline and
/// the policy.
pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let root = &settings.root;
    if !root.is_dir() {
        return Err(Error::NotADirectory { path: root.clone() });
    }
    let policy = allow::Policy::new(&settings.allow, &settings.config_file)?;
    let baseline = match &settings.baseline {
        Some(p) => Some(allow::Baseline::read(p)?),
        None => None,
    };
    let mut found: Vec<Finding> = Vec::new();
    let mut skipped = Vec::new();
    let mut parts = Vec::new();
    let mut allowed = 0usize;
    let mut bytes = 0u64;

    if settings.secrets {
        let scanner = secrets::Scanner::new();
        let tree = secrets::tree::scan(root, &scanner, &policy, settings.max_file_bytes);
        bytes += tree.bytes;
        let mut scope = format!("{} files ({})", tree.files, human_bytes(tree.bytes));
        let mut secret_findings = tree.findings;
        skipped.extend(tree.skipped);
        if settings.history {
            let history = secrets::history::scan(root, &scanner, &policy)?;
            bytes += history.bytes;
            scope.push_str(&format!(
                ", {} commits ({} added)",
                history.commits,
                human_bytes(history.bytes)
            ));
            merge_history(&mut secret_findings, history.findings);
        }
        found.extend(secret_findings);
        parts.push(Part {
            kind: Kind::Secret,
            state: PartState::Checked,
            scope,
        });
    } else {
        parts.push(Part {
            kind: Kind::Secret,
            state: PartState::Disabled,
            scope: String::new(),
        });
    }

    if settings.dependencies {
        let (state, scope) = dependencies(settings, &mut found, &mut skipped)?;
        parts.push(Part {
            kind: Kind::Dependency,
            state,
            scope,
        });
    } else {
        parts.push(Part {
            kind: Kind::Dependency,
            state: PartState::Disabled,
            scope: String::new(),
        });
    }

    if let Some(cfg) = settings.licenses.as_ref().filter(|_| settings.dependencies) {
        let report = licenses::check(root, cfg);
        let state = if cfg.allow.is_empty() && cfg.deny.is_empty() {
            PartState::NotChecked(
                "`security.licenses` has neither `allow` nor `deny`: give one of them".to_owned(),
            )
        } else if report.lockfiles == 0 && !report.not_recorded.is_empty() {
            PartState::NotChecked(format!(
                "licences not recorded in {}: not checked",
                report.not_recorded.join(", ")
            ))
        } else {
            PartState::Checked
        };
        parts.push(Part {
            kind: Kind::License,
            state,
            scope: report.scope(),
        });
        found.extend(report.findings);
        skipped.extend(report.skipped);
    }

    if settings.workflows {
        let report = workflows::audit(root);
        let scope = format!("{} files", report.files.len());
        found.extend(report.findings);
        skipped.extend(report.skipped);
        parts.push(Part {
            kind: Kind::Workflow,
            state: PartState::Checked,
            scope,
        });
    } else {
        parts.push(Part {
            kind: Kind::Workflow,
            state: PartState::Disabled,
            scope: String::new(),
        });
    }

    disambiguate(&mut found);
    // Secrets met the allowlist while their raw text was at hand; the rest meet it here.
    found.retain(|f| {
        let keep = f.kind == Kind::Secret || !policy.allows_finding(f);
        if !keep {
            allowed += 1;
        }
        keep
    });
    let mut baselined = 0usize;
    let mut notices = Vec::new();
    if let Some(b) = &baseline {
        let accepted = b.fingerprints();
        let legacy = b.version == 1;
        found.retain(|f| {
            let old = legacy
                && f.legacy_fingerprint
                    .as_deref()
                    .is_some_and(|l| accepted.contains(l));
            let keep = !accepted.contains(f.fingerprint.as_str()) && !old;
            if !keep {
                baselined += 1;
            }
            keep
        });
    }
    if let Some(b) = baseline.as_ref().filter(|b| b.version == 1) {
        let secrets = b
            .findings
            .iter()
            .filter(|e| secrets::rules::RULES.iter().any(|r| r.id == e.rule))
            .count();
        if secrets > 0 {
            notices.push(format!(
                "the baseline `{}` is in format 1, whose {secrets} secret fingerprints are hashes over the secrets themselves: anyone who reads it can test a guessed secret against them. It still works for now; rewrite it with `slipway security-scan baseline` and commit the result",
                settings.baseline.as_deref().map(Path::display).map(|d| d.to_string()).unwrap_or_default()
            ));
        }
    }
    found.sort_by(|a, b| {
        (std::cmp::Reverse(a.level), a.kind, &a.file, a.line, &a.rule).cmp(&(
            std::cmp::Reverse(b.level),
            b.kind,
            &b.file,
            b.line,
            &b.rule,
        ))
    });
    let mut foreign_workflows: Vec<String> = found
        .iter()
        .filter(|f| f.kind == Kind::Workflow && f.level.fails(settings.fail_on))
        .map(|f| f.file.clone())
        .filter(|file| !generated_by_slipway(root, file))
        .collect();
    foreign_workflows.sort();
    foreign_workflows.dedup();
    Ok(Outcome {
        findings: found,
        skipped,
        parts,
        allowed,
        baselined,
        bytes,
        fail_on: settings.fail_on,
        foreign_workflows,
        notices,
    })
}

/// Two secrets whose lines read the same but for the secret (`password = "…"` in two sections
/// of one file) would share a fingerprint: the second and later, in line order, get their
/// ordinal mixed in, so accepting one never accepts the other.
pub fn disambiguate(found: &mut [Finding]) {
    use std::collections::HashMap;
    let mut order: Vec<usize> = (0..found.len())
        .filter(|&i| found[i].kind == Kind::Secret)
        .collect();
    order.sort_by_key(|&i| (found[i].line, found[i].column));
    let mut seen: HashMap<(String, String), u32> = HashMap::new();
    for i in order {
        let f = &mut found[i];
        let n = seen
            .entry((f.file.clone(), f.fingerprint.clone()))
            .or_insert(0);
        if *n > 0 {
            let mixed =
                crate::generate::files::sha256_hex(format!("{}\0{n}", f.fingerprint).as_bytes());
            f.fingerprint = mixed[..32].to_owned();
        }
        *n += 1;
    }
}

/// True when the finding says part of the scan could not be done, rather than that something
/// is wrong with what was checked.
pub fn is_incompleteness(f: &Finding) -> bool {
    f.kind == Kind::Dependency
        && matches!(
            f.rule.as_str(),
            deps::LOCKFILE_UNREADABLE | deps::VERSION_UNREADABLE
        )
}

/// True when `file` (relative to `root`) starts with the header `slipway gen-workflows` writes.
/// Only the first line is read, never through a symbolic link.
fn generated_by_slipway(root: &Path, file: &str) -> bool {
    use std::io::{BufRead as _, Read as _};
    let path = root.join(file);
    let is_file = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_file());
    let Some(f) = is_file.then(|| std::fs::File::open(&path).ok()).flatten() else {
        return false;
    };
    let mut first = String::new();
    let _ = std::io::BufReader::new(f.take(512)).read_line(&mut first);
    first.starts_with("# Generated by slipway ")
}

/// The OSV API, used when no `--osv-db` is given.
pub const OSV_API: &str = "https://api.osv.dev";

/// The dependency part: lockfiles against the local OSV export (`--osv-db DIR`) or the OSV
/// API. Without `--osv-db`, an API that cannot be reached leaves the part "not checked"
/// rather than passing it silently; a database that was asked for and fails is an error.
fn dependencies(
    settings: &Settings,
    found: &mut Vec<Finding>,
    skipped: &mut Vec<Skipped>,
) -> Result<(PartState, String), Error> {
    let db = match &settings.osv_db {
        Some(p) => {
            let text = p.to_string_lossy();
            if text.starts_with("https://") || text.starts_with("http://") {
                deps::Db::Api {
                    url: text.into_owned(),
                }
            } else {
                deps::Db::Dir(p.clone())
            }
        }
        None => deps::Db::Api {
            url: OSV_API.to_owned(),
        },
    };
    let options = deps::Options {
        root: settings.root.clone(),
        db,
    };
    match deps::scan(&options) {
        Ok(report) => {
            let mut scope = format!(
                "{} lockfiles, {} packages",
                report.lockfiles.len(),
                report.packages
            );
            let unread: Vec<String> = report
                .findings
                .iter()
                .filter(|f| is_incompleteness(f))
                .map(|f| format!("`{}:{}` ({})", f.file, f.line, f.rule))
                .collect();
            found.extend(report.findings);
            skipped.extend(report.skipped);
            if !unread.is_empty() {
                scope.push_str(&format!("; could not read {}", unread.len()));
                let mut shown: Vec<String> = unread.iter().take(5).cloned().collect();
                if unread.len() > 5 {
                    shown.push(format!("and {} more", unread.len() - 5));
                }
                skipped.extend(report.unaudited);
                return Ok((
                    PartState::Incomplete(format!("could not read {}", shown.join(", "))),
                    scope,
                ));
            }
            // A build without a lockfile was not audited: with nothing else checked, the part
            // is "not checked" (never "checked 0 packages", which reads as clean); beside
            // lockfiles that were, each such build is named in the scope and listed as skipped.
            if report.unaudited.is_empty() {
                return Ok((PartState::Checked, scope));
            }
            let named: Vec<String> = report
                .unaudited
                .iter()
                .map(|u| format!("`{}`: {}", u.file, u.reason))
                .collect();
            if report.lockfiles.is_empty() {
                return Ok((PartState::NotChecked(named.join("; ")), String::new()));
            }
            let files: Vec<&str> = report.unaudited.iter().map(|u| u.file.as_str()).collect();
            scope.push_str(&format!(
                "; not audited (no lockfile): {}",
                files.join(", ")
            ));
            skipped.extend(report.unaudited);
            Ok((PartState::Checked, scope))
        }
        Err(e @ (deps::Error::Api { .. } | deps::Error::Runtime(_)))
            if settings.osv_db.is_none() =>
        {
            let mut reason = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                reason.push_str(": ");
                reason.push_str(&s.to_string());
                source = s.source();
            }
            Ok((
                PartState::NotChecked(format!(
                    "the OSV API could not be reached ({reason}); pass --osv-db DIR with a local export"
                )),
                String::new(),
            ))
        }
        Err(e) => Err(Error::Deps(e)),
    }
}

/// History findings join the tree's: a secret still in the tree gets the commit that added
/// it (the oldest, as `git log` lists newest first); one that was removed since is reported
/// from the history alone, once per file.
fn merge_history(tree: &mut Vec<Finding>, history: Vec<Finding>) {
    use std::collections::HashMap;
    let mut oldest: HashMap<String, Finding> = HashMap::new();
    for f in history {
        oldest.insert(f.fingerprint.clone(), f);
    }
    for f in tree.iter_mut() {
        if let Some(h) = oldest.remove(&f.fingerprint) {
            f.message = h.message;
            f.commit = h.commit;
        }
    }
    let mut rest: Vec<Finding> = oldest.into_values().collect();
    rest.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    tree.extend(rest);
}

/// `12.3 MiB`, `512 B`.
pub fn human_bytes(n: u64) -> String {
    #[allow(clippy::cast_precision_loss)]
    let f = n as f64;
    if n >= 1024 * 1024 * 1024 {
        format!("{:.1} GiB", f / (1024.0 * 1024.0 * 1024.0))
    } else if n >= 1024 * 1024 {
        format!("{:.1} MiB", f / (1024.0 * 1024.0))
    } else if n >= 1024 {
        format!("{:.1} KiB", f / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// The root-relative path of the config file for messages.
pub fn config_label(root: &Path, path: Option<&Path>) -> String {
    path.map_or_else(
        || root.join(crate::config::FILE_NAME).display().to_string(),
        |p| p.display().to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_fail_from_the_policy_up() {
        assert!(Level::High.fails(Severity::High));
        assert!(Level::Critical.fails(Severity::High));
        assert!(!Level::Medium.fails(Severity::High));
        assert!(Level::Low.fails(Severity::Low));
        assert!(!Level::Critical.fails(Severity::None));
    }
}
