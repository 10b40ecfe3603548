//! Dependencies with known advisories: every lockfile under the root is read, each pinned
//! package is matched against OSV advisories (<https://ossf.github.io/osv-schema/>) from a
//! local export directory or the OSV API, and every affected package becomes a [`Finding`].
//!
//! A lockfile or advisory that cannot be read is a [`Skipped`] entry naming the file and line,
//! and the scan goes on; a missing advisory directory stops the scan with an [`Error`].

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::error::Hint;
use crate::generate::files::sha256_hex;
use crate::security::{Advisory, Finding, Kind, Skipped};

pub mod api;
pub mod cvss;
pub mod cvss4;
pub mod lockfiles;
pub mod osv;
pub mod version;

use lockfiles::{Format, Package};

/// Lockfiles larger than this are skipped with a note (the largest real ones are tens of MB).
pub const MAX_LOCKFILE_BYTES: u64 = 256 * 1024 * 1024;

/// Where advisories come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Db {
    /// A directory of OSV JSON files (`--osv-db DIR`).
    Dir(PathBuf),
    /// The OSV API (`--osv-db https://api.osv.dev`).
    Api { url: String },
}

/// What to scan.
#[derive(Debug, Clone)]
pub struct Options {
    /// The repository root; lockfiles are found below it, honouring `.gitignore`.
    pub root: PathBuf,
    pub db: Db,
}

/// What the scan found.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    /// Lockfiles, entries and advisories that were not checked, and why.
    pub skipped: Vec<Skipped>,
    /// Lockfiles read, relative to the root with `/` separators.
    pub lockfiles: Vec<String>,
    /// Distinct packages checked.
    pub packages: usize,
    /// Builds whose dependencies could not be audited because they have no lockfile (a Maven
    /// `pom.xml`, a Gradle build without dependency locking), with what to do.
    pub unaudited: Vec<Skipped>,
}

/// A package ecosystem with a lockfile reader and OSV advisories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Ecosystem {
    CratesIo,
    Npm,
    PyPI,
    Go,
    Maven,
    NuGet,
    RubyGems,
    Packagist,
}

impl Ecosystem {
    /// Every ecosystem.
    pub const ALL: [Self; 8] = [
        Self::CratesIo,
        Self::Npm,
        Self::PyPI,
        Self::Go,
        Self::Maven,
        Self::NuGet,
        Self::RubyGems,
        Self::Packagist,
    ];

    /// The name OSV uses (`affected[].package.ecosystem`, export directory names).
    pub fn osv_name(self) -> &'static str {
        match self {
            Self::CratesIo => "crates.io",
            Self::Npm => "npm",
            Self::PyPI => "PyPI",
            Self::Go => "Go",
            Self::Maven => "Maven",
            Self::NuGet => "NuGet",
            Self::RubyGems => "RubyGems",
            Self::Packagist => "Packagist",
        }
    }
}

/// Why the dependency scan could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--osv-db DIR` names nothing.
    #[error("advisory database `{0}` does not exist")]
    DbMissing(PathBuf),
    /// `--osv-db DIR` names a file.
    #[error("advisory database `{0}` is not a directory")]
    DbNotDir(PathBuf),
    /// The advisory directory could not be read.
    #[error("could not read advisory database `{path}`")]
    DbRead {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The root to scan is not a directory.
    #[error("`{0}` is not a directory to scan")]
    Root(PathBuf),
    /// The OSV API URL does not parse.
    #[error("invalid OSV API URL `{0}`")]
    ApiUrl(String),
    /// The OSV API did not answer as documented.
    #[error("OSV API request `{what}` to `{url}` failed")]
    Api {
        url: String,
        what: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The async runtime for API calls could not start.
    #[error("could not start the runtime for OSV API calls")]
    Runtime(#[source] std::io::Error),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::DbMissing(p) | Self::DbNotDir(p) => format!(
                "download the ecosystems you use, e.g. `curl -O https://osv-vulnerabilities.storage.googleapis.com/crates.io/all.zip` \
                 and `unzip all.zip -d {}/crates.io`, or pass `--osv-db https://api.osv.dev` to query the OSV API",
                p.display()
            ),
            Self::DbRead { .. } => "check the directory's permissions".into(),
            Self::Root(_) => "run the scan from the repository, or pass its path".into(),
            Self::ApiUrl(_) => "pass an http(s) URL such as `https://api.osv.dev`".into(),
            Self::Api { .. } => {
                "check network access to the OSV API, or pass `--osv-db DIR` with a local export"
                    .into()
            }
            Self::Runtime(_) => return None,
        })
    }
}

/// A lockfile found by the walk.
struct Found {
    rel: String,
    path: PathBuf,
    format: Format,
}

/// What to do about a Maven build: it has no lockfile to audit.
pub const MAVEN_UNAUDITED: &str = "dependencies not audited (no lockfile): Maven keeps no lockfile, and auditing a `pom.xml`'s resolved dependencies is not supported yet";

/// What to do about a Gradle build without dependency locking.
pub const GRADLE_UNAUDITED: &str = "dependencies not audited (no lockfile): turn on Gradle dependency locking (`dependencyLocking { lockAllConfigurations() }`), run `./gradlew dependencies --write-locks` and commit the `gradle.lockfile`s";

/// The builds that declare dependencies without a lockfile slipway reads: every outermost
/// `pom.xml`, and every outermost Gradle build (`settings.gradle(.kts)` or
/// `build.gradle(.kts)`) with no `gradle.lockfile` below it. `manifests` and `lockfiles` are
/// root-relative paths.
fn unaudited(manifests: &[String], lockfiles: &[Found]) -> Vec<Skipped> {
    let dir = |p: &str| {
        p.rsplit_once('/')
            .map_or(String::new(), |(d, _)| d.to_owned())
    };
    let inside = |path: &str, d: &str| d.is_empty() || path.starts_with(&format!("{d}/"));
    let outermost = |names: &[&str]| -> Vec<&String> {
        let of_kind: Vec<&String> = manifests
            .iter()
            .filter(|m| names.contains(&m.rsplit('/').next().unwrap_or(m)))
            .collect();
        let mut keep: Vec<&String> = Vec::new();
        for m in &of_kind {
            let d = dir(m);
            let nested = of_kind.iter().any(|o| {
                let od = dir(o);
                od != d && inside(&d, &od)
            });
            let same_dir_first = keep.iter().any(|k| dir(k) == d);
            if !nested && !same_dir_first {
                keep.push(m);
            }
        }
        keep
    };
    let mut out = Vec::new();
    for pom in outermost(&["pom.xml"]) {
        out.push(Skipped {
            file: pom.clone(),
            line: None,
            reason: MAVEN_UNAUDITED.to_owned(),
        });
    }
    let gradle = [
        "settings.gradle",
        "settings.gradle.kts",
        "build.gradle",
        "build.gradle.kts",
    ];
    for build in outermost(&gradle) {
        let d = dir(build);
        let locked = lockfiles
            .iter()
            .any(|f| f.format == Format::Gradle && inside(&f.rel, &d));
        if !locked {
            out.push(Skipped {
                file: build.clone(),
                line: None,
                reason: GRADLE_UNAUDITED.to_owned(),
            });
        }
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    out
}

/// Finds lockfiles below `root` in one walk that honours `.gitignore` and skips dependency
/// and build directories (`node_modules`, `vendor`, `target`); Maven and Gradle build files
/// are collected in `manifests` (they have no lockfile slipway reads, or need one).
fn find_lockfiles(
    root: &Path,
    skipped: &mut Vec<Skipped>,
    manifests: &mut Vec<String>,
) -> Vec<Found> {
    let walk = ignore::WalkBuilder::new(root)
        .hidden(true)
        .require_git(false)
        .filter_entry(|e| {
            !(e.file_type().is_some_and(|t| t.is_dir())
                && matches!(
                    e.file_name().to_str(),
                    Some("node_modules" | "vendor" | "target")
                ))
        })
        .build();
    let mut found = Vec::new();
    for entry in walk {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                skipped.push(Skipped {
                    file: root.display().to_string(),
                    line: None,
                    reason: format!("part of the tree could not be read: {e}"),
                });
                continue;
            }
        };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Some(name) = entry.file_name().to_str() else {
            continue;
        };
        let rel = relative(root, entry.path());
        if matches!(
            name,
            "pom.xml"
                | "build.gradle"
                | "build.gradle.kts"
                | "settings.gradle"
                | "settings.gradle.kts"
        ) {
            manifests.push(rel);
            continue;
        }
        if name == "bun.lockb" {
            skipped.push(Skipped {
                file: rel,
                line: None,
                reason:
                    "bun.lockb is binary: run `bun install --save-text-lockfile` to get a bun.lock"
                        .into(),
            });
            continue;
        }
        if let Some(format) = Format::detect(name) {
            found.push(Found {
                rel,
                path: entry.path().to_path_buf(),
                format,
            });
        }
    }
    // go.sum lists every version ever hashed; go.mod beside it is the build list.
    let mods: HashSet<PathBuf> = found
        .iter()
        .filter(|f| f.format == Format::GoMod)
        .filter_map(|f| f.path.parent().map(Path::to_path_buf))
        .collect();
    found
        .retain(|f| f.format != Format::GoSum || f.path.parent().is_none_or(|p| !mods.contains(p)));
    found.sort_by(|a, b| a.rel.cmp(&b.rel));
    found
}

/// The lockfiles below `root` as the dependency audit finds them: root-relative path (`/`
/// separators), path and format, in path order; what could not be walked goes to `skipped`.
pub(crate) fn lockfiles_under(
    root: &Path,
    skipped: &mut Vec<Skipped>,
) -> Vec<(String, PathBuf, Format)> {
    let mut manifests = Vec::new();
    find_lockfiles(root, skipped, &mut manifests)
        .into_iter()
        .map(|f| (f.rel, f.path, f.format))
        .collect()
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Rule id of a lockfile that could not be read: its dependencies were not checked.
pub const LOCKFILE_UNREADABLE: &str = "lockfile-unreadable";
/// Rule id of a pinned version no ecosystem scheme can read: it matches no range.
pub const VERSION_UNREADABLE: &str = "version-unreadable";

/// A finding that says part of the audit could not be done: the part is incomplete, and
/// `fail-on` fails on it unless `security.allow` names it.
fn incomplete(rule: &str, file: &str, line: Option<u32>, detail: &str, message: String) -> Finding {
    Finding {
        kind: Kind::Dependency,
        rule: rule.to_owned(),
        level: crate::security::Level::High,
        file: file.to_owned(),
        line: line.unwrap_or(1),
        column: None,
        message,
        excerpt: None,
        commit: None,
        fingerprint: sha256_hex(format!("dependency\0{rule}\0{file}\0{detail}").as_bytes())[..32]
            .to_owned(),
        legacy_fingerprint: None,
        advisory: None,
    }
}

/// Reads one lockfile; `None` when it could not be read (an error finding in `findings`) or
/// was skipped (the reason is in `skipped`).
fn read_lockfile(
    f: &Found,
    skipped: &mut Vec<Skipped>,
    findings: &mut Vec<Finding>,
) -> Option<Vec<Package>> {
    let skip = |skipped: &mut Vec<Skipped>, line: Option<u32>, reason: String| {
        skipped.push(Skipped {
            file: f.rel.clone(),
            line,
            reason,
        });
    };
    match std::fs::metadata(&f.path) {
        Ok(m) if m.len() > MAX_LOCKFILE_BYTES => {
            skip(
                skipped,
                None,
                format!("larger than {} MiB: not read", MAX_LOCKFILE_BYTES >> 20),
            );
            return None;
        }
        Ok(_) => {}
        Err(e) => {
            skip(skipped, None, format!("could not read it: {e}"));
            return None;
        }
    }
    let bytes = match std::fs::read(&f.path) {
        Ok(b) => b,
        Err(e) => {
            skip(skipped, None, format!("could not read it: {e}"));
            return None;
        }
    };
    match f.format.read(&bytes) {
        Ok(parsed) => {
            for (line, note) in parsed.notes {
                skip(skipped, line, note);
            }
            let mut seen = HashSet::new();
            let mut packages = parsed.packages;
            packages.retain(|p| {
                seen.insert((
                    p.ecosystem,
                    osv::normalize_name(p.ecosystem, &p.name),
                    p.version.clone(),
                ))
            });
            Some(packages)
        }
        Err(m) => {
            findings.push(incomplete(
                LOCKFILE_UNREADABLE,
                &f.rel,
                m.line,
                "",
                format!(
                    "`{}` could not be read ({}), so none of its dependencies were checked; fix the file (regenerate it with its package manager) or name it in `security.allow`",
                    f.rel, m.reason
                ),
            ));
            None
        }
    }
}

/// Stable across runs, versions and line moves: the lockfile, the package and the advisory.
fn fingerprint(file: &str, eco: Ecosystem, name: &str, id: &str) -> String {
    let key = format!(
        "dependency\0{file}\0{}\0{}\0{id}",
        eco.osv_name(),
        osv::normalize_name(eco, name)
    );
    sha256_hex(key.as_bytes())
}

fn finding(
    file: &str,
    p: &Package,
    v: &osv::Vuln,
    entry: Option<&osv::Affected>,
    fixed: Option<String>,
) -> Finding {
    let aliases = if v.aliases.is_empty() {
        String::new()
    } else {
        format!(" ({})", v.aliases.join(", "))
    };
    let way_out = match &fixed {
        Some(f) => format!("upgrade to {f} or later"),
        None => "no fixed version is published yet".to_owned(),
    };
    let summary = v
        .summary
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let message = format!(
        "`{}` {} ({}) is affected by {}{}{}; {way_out}",
        p.name,
        p.version,
        p.ecosystem.osv_name(),
        v.id,
        aliases,
        summary.map(|s| format!(": {s}")).unwrap_or_default(),
    );
    Finding {
        kind: Kind::Dependency,
        rule: v.id.clone(),
        level: match entry {
            Some(e) => v.level_of(Some(e)),
            None => v.level(p.ecosystem, &p.name),
        },
        file: file.to_owned(),
        line: p.line.unwrap_or(1),
        column: None,
        message,
        excerpt: None,
        commit: None,
        fingerprint: fingerprint(file, p.ecosystem, &p.name, &v.id),
        legacy_fingerprint: None,
        advisory: Some(Advisory {
            id: v.id.clone(),
            aliases: v.aliases.clone(),
            package: p.name.clone(),
            version: p.version.clone(),
            ecosystem: p.ecosystem.osv_name().to_owned(),
            fixed,
            summary: summary.map(str::to_owned),
            cvss: match entry {
                Some(e) => v.cvss_of(Some(e)),
                None => v.cvss(p.ecosystem, &p.name),
            },
        }),
    }
}

/// An advisory (its index) and the indexes of its `affected` entries for one package.
type EntriesOf = (usize, Vec<usize>);

/// A lockfile and a package version in it (ecosystem, name, version).
type TwinKey = (String, Option<(String, String, String)>);

/// One finding per vulnerability: databases publish the same one under several ids (a
/// `PYSEC-` record and its `GHSA-` twin name each other in `aliases`). For the same package in
/// the same lockfile, findings whose ids or aliases meet are merged; the one with a CVSS vector
/// (else the lowest id) stays and gathers the others' ids as aliases.
fn merge_aliases(findings: Vec<Finding>) -> Vec<Finding> {
    let ids = |f: &Finding| -> HashSet<String> {
        let a = f.advisory.as_ref();
        std::iter::once(f.rule.clone())
            .chain(a.into_iter().flat_map(|a| a.aliases.iter().cloned()))
            .collect()
    };
    let better = |x: &Finding, y: &Finding| {
        let cx = x.advisory.as_ref().is_some_and(|a| a.cvss.is_some());
        let cy = y.advisory.as_ref().is_some_and(|a| a.cvss.is_some());
        (cx && !cy) || (cx == cy && x.rule < y.rule)
    };
    // Only findings about the same package version in the same file can be twins.
    let mut groups: HashMap<TwinKey, Vec<Finding>> = HashMap::new();
    let mut order = Vec::new();
    for f in findings {
        let a = f.advisory.as_ref();
        let key = (
            f.file.clone(),
            a.map(|a| (a.ecosystem.clone(), a.package.clone(), a.version.clone())),
        );
        let group = groups.entry(key.clone()).or_default();
        if group.is_empty() {
            order.push(key);
        }
        let mine = ids(&f);
        let Some(i) = group.iter().position(|g| !ids(g).is_disjoint(&mine)) else {
            group.push(f);
            continue;
        };
        let other = group.swap_remove(i);
        let (mut keep, other) = if better(&f, &other) {
            (f, other)
        } else {
            (other, f)
        };
        let mut all: Vec<String> = ids(&keep).union(&ids(&other)).cloned().collect();
        all.retain(|id| *id != keep.rule);
        all.sort();
        if let Some(a) = keep.advisory.as_mut() {
            a.aliases = all;
        }
        group.push(keep);
    }
    order
        .into_iter()
        .flat_map(|k| groups.remove(&k).unwrap_or_default())
        .collect()
}

/// Scans the lockfiles under `opts.root` against the advisory database.
pub fn scan(opts: &Options) -> Result<Report, Error> {
    if let Db::Dir(dir) = &opts.db {
        match std::fs::metadata(dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => return Err(Error::DbNotDir(dir.clone())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::DbMissing(dir.clone()));
            }
            Err(e) => {
                return Err(Error::DbRead {
                    path: dir.clone(),
                    source: e,
                });
            }
        }
    }
    if !opts.root.is_dir() {
        return Err(Error::Root(opts.root.clone()));
    }
    let mut report = Report::default();
    let mut files: Vec<(String, Vec<Package>)> = Vec::new();
    let mut manifests = Vec::new();
    let found = find_lockfiles(&opts.root, &mut report.skipped, &mut manifests);
    manifests.sort();
    report.unaudited = unaudited(&manifests, &found);
    for f in found {
        if let Some(mut packages) = read_lockfile(&f, &mut report.skipped, &mut report.findings) {
            report.lockfiles.push(f.rel.clone());
            packages.retain(|p| match version::readable(p.ecosystem, &p.version) {
                version::Readable::Yes => true,
                version::Readable::Branch => {
                    report.skipped.push(Skipped {
                        file: f.rel.clone(),
                        line: p.line,
                        reason: format!(
                            "`{}` is pinned to the branch `{}`, not a release: no advisory range can say whether it is affected",
                            p.name, p.version
                        ),
                    });
                    false
                }
                version::Readable::No => {
                    report.findings.push(incomplete(
                        VERSION_UNREADABLE,
                        &f.rel,
                        p.line,
                        &format!("{}\0{}", osv::normalize_name(p.ecosystem, &p.name), p.version),
                        format!(
                            "`{}` {} ({}) has a version slipway cannot read, so it was not checked against advisories; pin a published release or name it in `security.allow`",
                            p.name,
                            p.version,
                            p.ecosystem.osv_name()
                        ),
                    ));
                    false
                }
            });
            files.push((f.rel, packages));
        }
    }
    let unreadable = std::mem::take(&mut report.findings);
    let mut distinct: Vec<(Ecosystem, String, String)> = Vec::new();
    let mut seen = HashSet::new();
    for p in files.iter().flat_map(|(_, ps)| ps) {
        let key = (
            p.ecosystem,
            osv::normalize_name(p.ecosystem, &p.name),
            p.version.clone(),
        );
        if seen.insert(key.clone()) {
            distinct.push((p.ecosystem, p.name.clone(), p.version.clone()));
        }
    }
    report.packages = distinct.len();
    if distinct.is_empty() {
        report.findings = unreadable;
        return Ok(report);
    }
    match &opts.db {
        Db::Dir(dir) => {
            let wanted: HashSet<(Ecosystem, String)> = distinct
                .iter()
                .map(|(e, n, _)| (*e, osv::normalize_name(*e, n)))
                .collect();
            let loaded = osv::load_dir(dir, &wanted).map_err(|e| Error::DbRead {
                path: dir.clone(),
                source: e,
            })?;
            report.skipped.extend(loaded.skipped);
            // Each package's entries in each advisory, found once: an advisory may list
            // thousands of packages, and looking through all of them for every package of a
            // lockfile would be quadratic.
            let mut index: HashMap<(Ecosystem, String), Vec<EntriesOf>> = HashMap::new();
            for (i, v) in loaded.vulns.iter().enumerate() {
                if v.withdrawn.is_some() {
                    continue;
                }
                for (j, a) in v.affected.iter().enumerate() {
                    let Some(p) = &a.package else { continue };
                    let Some(e) = osv::ecosystem(&p.ecosystem) else {
                        continue;
                    };
                    let list = index
                        .entry((e, osv::normalize_name(e, &p.name)))
                        .or_default();
                    match list.last_mut() {
                        Some((last, entries)) if *last == i => entries.push(j),
                        _ => list.push((i, vec![j])),
                    }
                }
            }
            for (file, packages) in &files {
                for p in packages {
                    let key = (p.ecosystem, osv::normalize_name(p.ecosystem, &p.name));
                    for (i, entries) in index.get(&key).into_iter().flatten() {
                        let v = &loaded.vulns[*i];
                        let first = entries.first().map(|j| &v.affected[*j]);
                        let hit = entries
                            .iter()
                            .find_map(|j| v.affected[*j].affects(p.ecosystem, &p.version));
                        if let Some(hit) = hit {
                            report.findings.push(finding(file, p, v, first, hit.fixed));
                        }
                    }
                }
            }
        }
        Db::Api { url } => {
            let answers = api::query(url, &distinct)?;
            let by_key: HashMap<(Ecosystem, String, String), &Vec<osv::Vuln>> = distinct
                .iter()
                .zip(answers.iter())
                .map(|((e, n, v), vulns)| ((*e, osv::normalize_name(*e, n), v.clone()), vulns))
                .collect();
            for (file, packages) in &files {
                for p in packages {
                    let key = (
                        p.ecosystem,
                        osv::normalize_name(p.ecosystem, &p.name),
                        p.version.clone(),
                    );
                    for v in by_key.get(&key).into_iter().flat_map(|v| v.iter()) {
                        if v.withdrawn.is_some() {
                            continue;
                        }
                        // The API decided the version is affected; the ranges give the way out.
                        let fixed = v
                            .affects(p.ecosystem, &p.name, &p.version)
                            .and_then(|h| h.fixed)
                            .or_else(|| v.fixed_for(p.ecosystem, &p.name, &p.version));
                        report.findings.push(finding(file, p, v, None, fixed));
                    }
                }
            }
        }
    }
    report.findings = merge_aliases(std::mem::take(&mut report.findings));
    report
        .findings
        .sort_by(|a, b| (&a.file, a.line, &a.rule).cmp(&(&b.file, b.line, &b.rule)));
    report.findings.dedup_by(|a, b| {
        a.fingerprint == b.fingerprint
            && a.advisory.as_ref().map(|x| &x.version) == b.advisory.as_ref().map(|x| &x.version)
    });
    report.findings.extend(unreadable);
    Ok(report)
}
