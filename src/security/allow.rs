//! What a team has accepted: `security.allow` entries from `slipway.yml` (path glob, rule,
//! regex) and the baseline file of accepted fingerprints.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobMatcher};
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::config::Allow;
use crate::security::{Error, Finding};

/// One compiled allow entry: every part it has must match.
#[derive(Debug)]
struct Entry {
    path: Option<GlobMatcher>,
    rule: Option<String>,
    regex: Option<Regex>,
}

/// The compiled allowlist.
#[derive(Debug, Default)]
pub struct Policy {
    entries: Vec<Entry>,
}

impl Policy {
    /// Compiles `security.allow`; `file` names the config in errors.
    pub fn new(allow: &[Allow], file: &str) -> Result<Self, Error> {
        let mut entries = Vec::new();
        for (i, a) in allow.iter().enumerate() {
            let bad = |what: &str, value: &str, reason: String| Error::Allow {
                file: file.to_owned(),
                index: i,
                what: what.to_owned(),
                value: value.to_owned(),
                reason,
            };
            if a.path.is_none() && a.rule.is_none() && a.regex.is_none() {
                return Err(bad(
                    "entry",
                    "",
                    "it needs `path`, `rule` or `regex`".into(),
                ));
            }
            let path = match &a.path {
                Some(p) => Some(
                    Glob::new(p)
                        .map_err(|e| bad("path", p, e.kind().to_string()))?
                        .compile_matcher(),
                ),
                None => None,
            };
            let regex = match &a.regex {
                Some(r) => Some(Regex::new(r).map_err(|e| bad("regex", r, e.to_string()))?),
                None => None,
            };
            entries.push(Entry {
                path,
                rule: a.rule.clone(),
                regex,
            });
        }
        Ok(Self { entries })
    }

    /// True when an entry allows a finding of `rule` in `file` whose matched text is `text`.
    pub fn allows(&self, rule: &str, file: &str, text: &str) -> bool {
        self.entries.iter().any(|e| {
            e.path.as_ref().is_none_or(|g| g.is_match(file))
                && e.rule.as_deref().is_none_or(|r| r == rule)
                && e.regex.as_ref().is_none_or(|re| re.is_match(text))
        })
    }

    /// [`Policy::allows`] for a secret: `text` is the raw secret, never stored.
    pub fn allows_secret(&self, rule: &str, file: &str, secret: &str) -> bool {
        self.allows(rule, file, secret)
    }

    /// [`Policy::allows`] for a dependency or workflow finding: the regex sees the message,
    /// the excerpt and the package name.
    pub fn allows_finding(&self, f: &Finding) -> bool {
        let mut text = f.message.clone();
        if let Some(e) = &f.excerpt {
            text.push('\n');
            text.push_str(e);
        }
        if let Some(a) = &f.advisory {
            text.push('\n');
            text.push_str(&a.package);
            for alias in &a.aliases {
                text.push('\n');
                text.push_str(alias);
            }
        }
        let aliased = f.advisory.as_ref().is_some_and(|a| {
            a.aliases
                .iter()
                .any(|alias| self.allows(alias, &f.file, &text))
        });
        aliased || self.allows(&f.rule, &f.file, &text)
    }
}

/// The default baseline file, relative to the root.
pub const DEFAULT_BASELINE: &str = ".slipway/security-baseline.json";

/// The baseline file: accepted findings by fingerprint. Rule and file are kept for readers
/// (and reviews of the file); only the fingerprint decides.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    /// Format version: `2`; `1` (secret fingerprints over the secret) is still read.
    pub version: u32,
    pub findings: Vec<BaselineEntry>,
}

/// One accepted finding.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineEntry {
    pub fingerprint: String,
    pub rule: String,
    pub file: String,
}

impl Baseline {
    /// The baseline of these findings, sorted, one entry per fingerprint.
    pub fn of(findings: &[Finding]) -> Self {
        let set: BTreeSet<BaselineEntry> = findings
            .iter()
            .map(|f| BaselineEntry {
                fingerprint: f.fingerprint.clone(),
                rule: f.rule.clone(),
                file: f.file.clone(),
            })
            .collect();
        let mut findings: Vec<BaselineEntry> = set.into_iter().collect();
        findings.sort_by(|a, b| {
            (&a.file, &a.rule, &a.fingerprint).cmp(&(&b.file, &b.rule, &b.fingerprint))
        });
        findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        Self {
            version: 2,
            findings,
        }
    }

    /// The fingerprints it accepts.
    pub fn fingerprints(&self) -> BTreeSet<&str> {
        self.findings
            .iter()
            .map(|e| e.fingerprint.as_str())
            .collect()
    }

    /// Reads a baseline file; a missing or malformed file is an error naming it.
    pub fn read(path: &Path) -> Result<Self, Error> {
        let text = crate::fsutil::read(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let baseline: Self = serde_json::from_slice(&text).map_err(|e| Error::Baseline {
            path: path.to_path_buf(),
            line: e.line(),
            column: e.column(),
            reason: e.to_string(),
        })?;
        // Version 1 fingerprinted secrets by hashing them; it is still honoured (with a notice)
        // so an upgrade does not fail a scan that passed.
        if !matches!(baseline.version, 1 | 2) {
            return Err(Error::Baseline {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                reason: format!("unsupported version `{}`", baseline.version),
            });
        }
        Ok(baseline)
    }

    /// Writes the file atomically, creating its directory.
    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let write_err = |source| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            crate::fsutil::create_dir_all(dir).map_err(write_err)?;
        }
        let mut text = serde_json::to_string_pretty(self).map_err(|e| Error::Write {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
        text.push('\n');
        crate::fsutil::write_atomic(path, text.as_bytes()).map_err(write_err)
    }
}

/// Where the baseline comes from: `--baseline`, else `security.baseline` under the root.
pub fn baseline_path(root: &Path, flag: Option<PathBuf>, config: Option<&str>) -> Option<PathBuf> {
    flag.or_else(|| config.map(|c| root.join(c)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::security::{Kind, Level};

    fn allow(path: Option<&str>, rule: Option<&str>, regex: Option<&str>) -> Allow {
        Allow {
            path: path.map(str::to_owned),
            rule: rule.map(str::to_owned),
            regex: regex.map(str::to_owned),
            reason: None,
        }
    }

    #[test]
    fn every_given_part_of_an_entry_must_match() {
        let p = Policy::new(
            &[
                allow(Some("tests/fixtures/**"), None, None),
                allow(Some("docs/*.md"), Some("jwt"), None),
                allow(None, None, Some("^sk_test_")),
            ],
            "slipway.yml",
        )
        .unwrap();
        assert!(p.allows("github-token", "tests/fixtures/a/b.txt", "x"));
        assert!(p.allows("jwt", "docs/auth.md", "x"));
        assert!(!p.allows("github-token", "docs/auth.md", "x"));
        assert!(p.allows("stripe-test-key", "src/pay.rs", "sk_test_abc"));
        assert!(!p.allows("stripe-live-key", "src/pay.rs", "sk_live_abc"));
    }

    #[test]
    fn bad_entries_are_errors_naming_the_entry() {
        let e = Policy::new(&[allow(None, None, Some("(unclosed"))], "slipway.yml").unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("security.allow[0]") && text.contains("regex"),
            "{text}"
        );
        let e = Policy::new(&[allow(None, None, None)], "slipway.yml").unwrap_err();
        assert!(e.to_string().contains("security.allow[0]"), "{e}");
        let e = Policy::new(&[allow(Some("a/[b"), None, None)], "slipway.yml").unwrap_err();
        assert!(e.to_string().contains("path"), "{e}");
    }

    fn finding(fp: &str, file: &str) -> Finding {
        Finding {
            kind: Kind::Secret,
            rule: "jwt".into(),
            level: Level::Medium,
            file: file.into(),
            line: 1,
            column: None,
            message: "m".into(),
            excerpt: None,
            commit: None,
            fingerprint: fp.into(),
            legacy_fingerprint: None,
            advisory: None,
        }
    }

    #[test]
    fn a_baseline_round_trips_sorted_and_deduplicated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/baseline.json");
        let b = Baseline::of(&[finding("b", "z"), finding("a", "y"), finding("b", "z")]);
        b.write(&path).unwrap();
        let read = Baseline::read(&path).unwrap();
        assert_eq!(read, b);
        assert_eq!(read.findings.len(), 2);
        assert_eq!(read.findings[0].file, "y");
    }

    #[test]
    fn a_malformed_baseline_names_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("b.json");
        std::fs::write(&path, "{\n  \"version\": 1,\n  \"findings\": [1]\n}").unwrap();
        let e = Baseline::read(&path).unwrap_err().to_string();
        assert!(e.contains("b.json") && e.contains(":3:"), "{e}");
        std::fs::write(&path, "{\"version\": 3, \"findings\": []}").unwrap();
        assert!(
            Baseline::read(&path)
                .unwrap_err()
                .to_string()
                .contains("version")
        );
    }
}
