//! Advisories in the OSV schema (<https://ossf.github.io/osv-schema/>): the model, a local
//! database directory and the range evaluation.
//!
//! A directory is read in osv.dev's export layout (`<Ecosystem>/<ID>.json`, as unpacked from
//! `https://osv-vulnerabilities.storage.googleapis.com/<Ecosystem>/all.zip`) or flat (every
//! `*.json` anywhere below it). Only ecosystem directories the lockfiles need are read, and each
//! file is first read for its `affected[].package` keys alone; only advisories about a package
//! in the lockfiles are parsed in full.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{Ecosystem, version};
use crate::security::{Level, Skipped};

/// One OSV record; fields the scan does not use are not kept.
#[derive(Debug, Clone, Deserialize)]
pub struct Vuln {
    pub id: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub summary: Option<String>,
    /// Set when the advisory was withdrawn: it is then ignored.
    #[serde(default)]
    pub withdrawn: Option<String>,
    #[serde(default)]
    pub severity: Vec<Severity>,
    #[serde(default)]
    pub affected: Vec<Affected>,
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

/// `severity[]`: a scoring system and its vector.
#[derive(Debug, Clone, Deserialize)]
pub struct Severity {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

/// `affected[]`: one package, its ranges and explicit versions.
#[derive(Debug, Clone, Deserialize)]
pub struct Affected {
    #[serde(default)]
    pub package: Option<PackageRef>,
    #[serde(default)]
    pub ranges: Vec<Range>,
    #[serde(default)]
    pub versions: Vec<String>,
    #[serde(default)]
    pub severity: Vec<Severity>,
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
    #[serde(default)]
    pub ecosystem_specific: Option<serde_json::Value>,
}

/// `affected[].package`.
#[derive(Debug, Clone, Deserialize)]
pub struct PackageRef {
    pub ecosystem: String,
    pub name: String,
}

/// `affected[].ranges[]`.
#[derive(Debug, Clone, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub events: Vec<Event>,
}

/// One range event; exactly one field is set in a valid record.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Event {
    pub introduced: Option<String>,
    pub fixed: Option<String>,
    pub last_affected: Option<String>,
    pub limit: Option<String>,
}

/// The ecosystem an OSV `ecosystem` string names (`Debian:11` style suffixes ignored); `None`
/// for ecosystems the scan has no lockfile reader for.
pub fn ecosystem(osv: &str) -> Option<Ecosystem> {
    let base = osv.split(':').next().unwrap_or(osv);
    Ecosystem::ALL
        .into_iter()
        .find(|e| e.osv_name().eq_ignore_ascii_case(base))
}

/// A package name as the ecosystem compares names: PyPI per PEP 503 (lower case, runs of
/// `-_.` are one `-`), NuGet, Packagist and npm case-insensitively; Go module paths, Maven
/// `group:artifact`, crates and gems exactly.
pub fn normalize_name(eco: Ecosystem, name: &str) -> String {
    let name = name.trim();
    match eco {
        Ecosystem::PyPI => {
            let mut out = String::with_capacity(name.len());
            let mut sep = false;
            for c in name.chars() {
                if matches!(c, '-' | '_' | '.') {
                    sep = true;
                } else {
                    if sep && !out.is_empty() {
                        out.push('-');
                    }
                    sep = false;
                    out.push(c.to_ascii_lowercase());
                }
            }
            out
        }
        Ecosystem::NuGet | Ecosystem::Packagist | Ecosystem::Npm => name.to_ascii_lowercase(),
        Ecosystem::CratesIo | Ecosystem::Go | Ecosystem::Maven | Ecosystem::RubyGems => {
            name.to_owned()
        }
    }
}

/// Why a package version is affected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// The lowest fixed version above the package's version in the matching range.
    pub fixed: Option<String>,
}

impl Vuln {
    /// Whether `version` of package `name` in `eco` is affected, and the way out.
    pub fn affects(&self, eco: Ecosystem, name: &str, version: &str) -> Option<Hit> {
        if self.withdrawn.is_some() {
            return None;
        }
        let key = normalize_name(eco, name);
        for affected in &self.affected {
            let Some(pkg) = &affected.package else {
                continue;
            };
            if ecosystem(&pkg.ecosystem) != Some(eco) || normalize_name(eco, &pkg.name) != key {
                continue;
            }
            if let Some(hit) = affected.affects(eco, version) {
                return Some(hit);
            }
        }
        None
    }

    /// The CVSS v3 vector of the record or of the package entry, else any vector given.
    pub fn cvss(&self, eco: Ecosystem, name: &str) -> Option<String> {
        self.cvss_of(self.entry(eco, name))
    }

    /// [`Vuln::cvss`] with the package's entry already found.
    pub fn cvss_of(&self, entry: Option<&Affected>) -> Option<String> {
        let all = self
            .severity
            .iter()
            .chain(entry.into_iter().flat_map(|a| a.severity.iter()));
        let mut first = None;
        for s in all {
            if s.kind.starts_with("CVSS_V3") {
                return Some(s.score.clone());
            }
            first.get_or_insert_with(|| s.score.clone());
        }
        // RustSec keeps its vector in `affected[].database_specific.cvss`.
        first.or_else(|| {
            let v = entry?.database_specific.as_ref()?.get("cvss")?.as_str()?;
            Some(v.to_owned())
        })
    }

    /// The level: the CVSS v3 base score when there is one, else low for RustSec's
    /// informational advisories, else the database's severity word
    /// (`database_specific.severity`, as GitHub's advisories give it), else medium, since an
    /// advisory without a rating is still a known vulnerability.
    pub fn level(&self, eco: Ecosystem, name: &str) -> Level {
        self.level_of(self.entry(eco, name))
    }

    /// [`Vuln::level`] with the package's entry already found.
    pub fn level_of(&self, entry: Option<&Affected>) -> Level {
        if let Some(l) = self
            .cvss_of(entry)
            .and_then(|v| super::cvss::base_score(&v))
            .map(|s| super::cvss::level(s).unwrap_or(Level::Low))
        {
            return l;
        }
        // RustSec's informational advisories (`unmaintained`, `unsound`, `notice`) warn
        // rather than name an exploitable flaw.
        if entry
            .and_then(|a| a.database_specific.as_ref()?.get("informational")?.as_str())
            .is_some()
        {
            return Level::Low;
        }
        let words = [
            self.database_specific.as_ref(),
            entry.and_then(|a| a.database_specific.as_ref()),
            entry.and_then(|a| a.ecosystem_specific.as_ref()),
        ];
        words
            .into_iter()
            .flatten()
            .filter_map(|v| v.get("severity")?.as_str())
            .find_map(super::cvss::level_from_word)
            .unwrap_or(Level::Medium)
    }

    fn entry(&self, eco: Ecosystem, name: &str) -> Option<&Affected> {
        let key = normalize_name(eco, name);
        self.affected.iter().find(|a| {
            a.package.as_ref().is_some_and(|p| {
                ecosystem(&p.ecosystem) == Some(eco) && normalize_name(eco, &p.name) == key
            })
        })
    }

    /// The lowest fixed version above `version` in any range of the package's entries.
    pub fn fixed_for(&self, eco: Ecosystem, name: &str, version: &str) -> Option<String> {
        let key = normalize_name(eco, name);
        let mut best: Option<String> = None;
        for a in &self.affected {
            let Some(p) = &a.package else { continue };
            if ecosystem(&p.ecosystem) != Some(eco) || normalize_name(eco, &p.name) != key {
                continue;
            }
            for r in &a.ranges {
                let Some(cmp) = comparator(&r.kind, eco) else {
                    continue;
                };
                for f in r.events.iter().filter_map(|e| e.fixed.as_deref()) {
                    if cmp(f, version) == Some(Ordering::Greater)
                        && best
                            .as_deref()
                            .is_none_or(|b| cmp(f, b) == Some(Ordering::Less))
                    {
                        best = Some(f.to_owned());
                    }
                }
            }
        }
        best
    }
}

type Cmp = Box<dyn Fn(&str, &str) -> Option<Ordering>>;

fn comparator(kind: &str, eco: Ecosystem) -> Option<Cmp> {
    match kind {
        "SEMVER" => Some(Box::new(version::compare_semver)),
        "ECOSYSTEM" => Some(Box::new(move |a, b| version::compare(eco, a, b))),
        _ => None, // GIT ranges name commits, not versions
    }
}

impl Affected {
    /// OSV's evaluation (<https://ossf.github.io/osv-schema/#evaluation>): explicit versions,
    /// then each range's events in version order.
    pub fn affects(&self, eco: Ecosystem, v: &str) -> Option<Hit> {
        let listed = self
            .versions
            .iter()
            .any(|x| x == v || version::compare(eco, x, v) == Some(Ordering::Equal));
        let mut in_range = None;
        for range in &self.ranges {
            let Some(cmp) = comparator(&range.kind, eco) else {
                continue;
            };
            if let Some(hit) = evaluate(&range.events, v, &cmp) {
                in_range = Some(hit);
                break;
            }
        }
        match (in_range, listed) {
            (Some(hit), _) => Some(hit),
            (None, true) => Some(Hit { fixed: None }),
            (None, false) => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Introduced,
    Fixed,
    LastAffected,
}

fn evaluate(events: &[Event], v: &str, cmp: &Cmp) -> Option<Hit> {
    // The package version itself must parse, or nothing can be said.
    cmp(v, v)?;
    let mut list: Vec<(Kind, &str)> = Vec::new();
    for e in events {
        if let Some(x) = &e.introduced {
            list.push((Kind::Introduced, x));
        } else if let Some(x) = &e.fixed {
            list.push((Kind::Fixed, x));
        } else if let Some(x) = &e.last_affected {
            list.push((Kind::LastAffected, x));
        } else if let Some(limit) = &e.limit {
            // `limit`: versions at or above it are outside this range.
            if limit != "*" && cmp(v, limit).is_some_and(|o| o != Ordering::Less) {
                return None;
            }
        }
    }
    // "0" means "since the first version" and parses in no scheme but sorts first.
    let key = |x: &str| x == "0";
    list.retain(|(_, x)| key(x) || cmp(x, x).is_some());
    list.sort_by(|a, b| match (key(a.1), key(b.1)) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => cmp(a.1, b.1).unwrap_or(Ordering::Equal),
    });
    let mut affected = false;
    let mut fixed = None;
    for (kind, x) in &list {
        let at_or_below = key(x) || cmp(x, v).is_some_and(|o| o != Ordering::Greater);
        match kind {
            Kind::Introduced if at_or_below => affected = true,
            Kind::Fixed if at_or_below => affected = false,
            Kind::LastAffected if !key(x) && cmp(x, v) == Some(Ordering::Less) => affected = false,
            Kind::Fixed if affected && fixed.is_none() => fixed = Some((*x).to_owned()),
            _ => {}
        }
        if !at_or_below && !affected {
            break;
        }
    }
    affected.then_some(Hit { fixed })
}

/// What [`load_dir`] found.
#[derive(Debug, Default)]
pub struct Loaded {
    /// Advisories about at least one wanted package, withdrawn ones left out.
    pub vulns: Vec<Vuln>,
    /// Files that are not valid OSV records, with the line of the problem.
    pub skipped: Vec<Skipped>,
    /// How many files were looked at.
    pub files: usize,
}

/// The largest advisory file read; real ones are a few KiB, the largest a few hundred.
pub const MAX_ADVISORY_BYTES: u64 = 16 * 1024 * 1024;

/// `affected[].package` alone, for the first pass.
#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    withdrawn: Option<IgnoredAny>,
    #[serde(default)]
    affected: Vec<HeadAffected>,
}

#[derive(Deserialize)]
struct HeadAffected {
    #[serde(default)]
    package: Option<PackageRef>,
}

/// Reads the advisories in `dir` that concern `wanted` (ecosystem, normalized name) keys.
/// `dir` must exist (the caller checks, to give its own error).
pub fn load_dir(dir: &Path, wanted: &HashSet<(Ecosystem, String)>) -> std::io::Result<Loaded> {
    let ecosystems: HashSet<Ecosystem> = wanted.iter().map(|(e, _)| *e).collect();
    let mut out = Loaded::default();
    let mut stack: Vec<(PathBuf, usize)> = vec![(dir.to_path_buf(), 0)];
    while let Some((path, depth)) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&path)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(std::fs::DirEntry::file_name);
        // osv.dev's export layout: one directory per ecosystem, including many without a
        // lockfile reader here (`Debian:12`, `Alpine:v3.20`, `Hex` ...), all skipped.
        let export_layout = depth == 0
            && entries.iter().any(|e| {
                e.file_type().is_ok_and(|t| t.is_dir())
                    && ecosystem(&e.file_name().to_string_lossy()).is_some()
            });
        for entry in entries {
            let p = entry.path();
            let ft = entry.file_type()?;
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if ft.is_dir() {
                // `<Ecosystem>/`: skip the ecosystems no lockfile uses.
                if depth == 0
                    && export_layout
                    && ecosystem(&name).is_none_or(|e| !ecosystems.contains(&e))
                {
                    continue;
                }
                if depth < 8 && !name.starts_with('.') {
                    stack.push((p, depth + 1));
                }
            } else if name.ends_with(".json") {
                out.files += 1;
                if entry.metadata()?.len() > MAX_ADVISORY_BYTES {
                    out.skipped.push(Skipped {
                        file: p.display().to_string(),
                        line: None,
                        reason: format!(
                            "larger than {} MiB: not an advisory, not read",
                            MAX_ADVISORY_BYTES >> 20
                        ),
                    });
                    continue;
                }
                let bytes = std::fs::read(&p)?;
                load_file(&p, &bytes, wanted, &mut out);
            } else if name.ends_with(".zip") {
                out.skipped.push(Skipped {
                    file: p.display().to_string(),
                    line: None,
                    reason: "a zip archive is not read: unzip it into this directory".into(),
                });
            }
        }
    }
    Ok(out)
}

/// Adds one advisory file's record to `out` when it concerns a wanted package.
pub fn load_file(
    path: &Path,
    bytes: &[u8],
    wanted: &HashSet<(Ecosystem, String)>,
    out: &mut Loaded,
) {
    let skip = |out: &mut Loaded, line: usize, why: String| {
        out.skipped.push(Skipped {
            file: path.display().to_string(),
            line: u32::try_from(line).ok().filter(|l| *l > 0),
            reason: format!("not a valid OSV advisory: {why}"),
        });
    };
    let head: Head = match serde_json::from_slice(bytes) {
        Ok(h) => h,
        Err(e) => return skip(out, e.line(), e.to_string()),
    };
    if head.withdrawn.is_some() {
        return;
    }
    let relevant = head.affected.iter().any(|a| {
        a.package.as_ref().is_some_and(|p| {
            ecosystem(&p.ecosystem)
                .is_some_and(|e| wanted.contains(&(e, normalize_name(e, &p.name))))
        })
    });
    if !relevant {
        return;
    }
    match serde_json::from_slice::<Vuln>(bytes) {
        Ok(v) => out.vulns.push(v),
        Err(e) => skip(out, e.line(), e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(kind: &str, events: &[(&str, &str)]) -> Affected {
        Affected {
            package: None,
            ranges: vec![Range {
                kind: kind.into(),
                events: events
                    .iter()
                    .map(|(k, v)| {
                        let mut e = Event::default();
                        let v = Some((*v).to_owned());
                        match *k {
                            "introduced" => e.introduced = v,
                            "fixed" => e.fixed = v,
                            "last_affected" => e.last_affected = v,
                            _ => e.limit = v,
                        }
                        e
                    })
                    .collect(),
            }],
            versions: vec![],
            severity: vec![],
            database_specific: None,
            ecosystem_specific: None,
        }
    }

    #[test]
    fn introduced_fixed_bounds_are_half_open() {
        let a = range("SEMVER", &[("introduced", "0"), ("fixed", "1.2.3")]);
        assert_eq!(
            a.affects(Ecosystem::Npm, "1.2.2"),
            Some(Hit {
                fixed: Some("1.2.3".into())
            })
        );
        assert_eq!(a.affects(Ecosystem::Npm, "1.2.3"), None);
        assert_eq!(
            a.affects(Ecosystem::Npm, "0.0.1"),
            Some(Hit {
                fixed: Some("1.2.3".into())
            })
        );
    }

    #[test]
    fn several_introduced_fixed_pairs_are_evaluated_in_version_order() {
        // Given out of order, as some databases do.
        let a = range(
            "ECOSYSTEM",
            &[
                ("introduced", "2.0.0"),
                ("fixed", "2.3.1"),
                ("introduced", "1.0.0"),
                ("fixed", "1.4.2"),
            ],
        );
        let eco = Ecosystem::CratesIo;
        assert_eq!(a.affects(eco, "0.9.0"), None);
        assert_eq!(
            a.affects(eco, "1.0.0"),
            Some(Hit {
                fixed: Some("1.4.2".into())
            })
        );
        assert_eq!(a.affects(eco, "1.4.2"), None);
        assert_eq!(a.affects(eco, "1.9.0"), None);
        assert_eq!(
            a.affects(eco, "2.3.0"),
            Some(Hit {
                fixed: Some("2.3.1".into())
            })
        );
        assert_eq!(a.affects(eco, "2.3.1"), None);
    }

    #[test]
    fn last_affected_is_inclusive_and_limit_exclusive() {
        let a = range(
            "ECOSYSTEM",
            &[("introduced", "1.0"), ("last_affected", "1.5")],
        );
        assert_eq!(a.affects(Ecosystem::PyPI, "1.5"), Some(Hit { fixed: None }));
        assert_eq!(a.affects(Ecosystem::PyPI, "1.5.post1"), None);
        assert_eq!(a.affects(Ecosystem::PyPI, "0.9"), None);
        let a = range("ECOSYSTEM", &[("introduced", "0"), ("limit", "2.0")]);
        assert_eq!(a.affects(Ecosystem::PyPI, "1.9"), Some(Hit { fixed: None }));
        assert_eq!(a.affects(Ecosystem::PyPI, "2.0"), None);
    }

    #[test]
    fn explicit_versions_and_git_ranges() {
        let mut a = range("GIT", &[("introduced", "0"), ("fixed", "abcdef")]);
        a.versions = vec!["1.0.0".into(), "1.0.1".into()];
        assert_eq!(
            a.affects(Ecosystem::Npm, "1.0.1"),
            Some(Hit { fixed: None })
        );
        assert_eq!(a.affects(Ecosystem::Npm, "1.0.2"), None);
        // An unparseable package version matches no range.
        let a = range("ECOSYSTEM", &[("introduced", "0")]);
        assert_eq!(a.affects(Ecosystem::Npm, "latest"), None);
    }

    #[test]
    fn names_are_normalised_per_ecosystem() {
        assert_eq!(normalize_name(Ecosystem::PyPI, "Jinja2"), "jinja2");
        assert_eq!(
            normalize_name(Ecosystem::PyPI, "zope.interface"),
            "zope-interface"
        );
        assert_eq!(
            normalize_name(Ecosystem::PyPI, "Foo__Bar-.baz"),
            "foo-bar-baz"
        );
        assert_eq!(
            normalize_name(Ecosystem::NuGet, "System.Text.Encodings.Web"),
            "system.text.encodings.web"
        );
        assert_eq!(
            normalize_name(Ecosystem::Npm, "@Babel/traverse"),
            "@babel/traverse"
        );
        assert_eq!(
            normalize_name(Ecosystem::Go, "github.com/BurntSushi/toml"),
            "github.com/BurntSushi/toml"
        );
        assert_eq!(ecosystem("Debian:11"), None);
        assert_eq!(ecosystem("crates.io"), Some(Ecosystem::CratesIo));
        assert_eq!(ecosystem("pypi"), Some(Ecosystem::PyPI));
    }

    #[test]
    fn rustsec_vectors_and_informational_advisories() {
        let v: Vuln = serde_json::from_str(
            r#"{"id": "RUSTSEC-2024-0375", "affected": [{"package": {"ecosystem": "crates.io", "name": "atty"},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.0.0-0"}]}],
                "database_specific": {"categories": [], "cvss": null, "informational": "unmaintained"}}]}"#,
        )
        .unwrap();
        assert_eq!(v.level(Ecosystem::CratesIo, "atty"), Level::Low);
        let v: Vuln = serde_json::from_str(
            r#"{"id": "RUSTSEC-2023-0065", "affected": [{"package": {"ecosystem": "crates.io", "name": "tungstenite"},
                "database_specific": {"cvss": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "informational": null}}]}"#,
        )
        .unwrap();
        assert_eq!(v.level(Ecosystem::CratesIo, "tungstenite"), Level::High);
    }
}
