//! `slipway security-scan`: committed secrets, dependencies with known advisories and risky
//! workflow patterns, in one pass, reported as JSON, SARIF, a step summary and annotations.
//!
//! Each part produces [`Finding`]s; this module decides what is reported (allowlists,
//! baseline) and whether the scan fails (`security.fail-on`).

use serde::Serialize;

pub mod deps;

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
    pub fingerprint: String,
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
