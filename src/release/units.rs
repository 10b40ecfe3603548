//! Per-unit releases (`release.units: per-unit`): each unit of a monorepo gets its own version,
//! tag `<name>-v1.2.3` and changelog, decided from the commits that touch its directory.
//!
//! The units are what detection ([`crate::detect`]) lists: Cargo packages, npm, pnpm, yarn and
//! bun packages, Python projects (`pyproject.toml`). Each is named and versioned by its
//! manifest ([`super::manifests`] reads the version); `release.unit-overrides` renames one or
//! leaves it out. Manifests without a version of their own are no unit to release: a workspace
//! root (`[workspace]` without `[package]`, a `package.json` with `workspaces`), a private npm
//! package without `version`, a `pyproject.toml` without a project name, Go modules (their
//! versions live in tags only). Those are listed as notes.
//!
//! The history is read once ([`read_history`]): one `git log --name-only` over the commits
//! since the oldest unit tag, then each commit goes to the units whose files it changes, the
//! deepest unit directory owning a file (a root unit `.` owns what no other unit does). A
//! commit that touches no unit (`README.md`, CI files, a root lockfile in a repository without
//! a root unit) releases nothing; the plan counts it as untracked.
//!
//! Each unit's commits are read with the rules of the single release ([`super::commits`],
//! [`super::bump`]); linked units (`release.linked`, and Cargo members that share the
//! workspace's `version.workspace = true`) all take the highest level of their group. A unit
//! without a tag is released for the first time at the version its manifest holds (it was
//! developed as that version; `0.0.0` counts as no version, and the first release is then
//! `0.1.0` or `1.0.0` by `release.pre-1-0`).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use semver::Version;

use super::bump::{self, Bump};
use super::commits::{self, Change, Level, RawCommit};
use super::git::{self, Tag};
use super::{changelog, manifests};
use crate::config::{self, Located};
use crate::error::Hint;

/// Field and record separators of our `git log` format (ASCII unit and record separators).
const FIELD: char = '\u{1f}';
const RECORD: char = '\u{1e}';

mod discover;

use discover::list;
pub use discover::{Unit, Units, discover, is_tag_name};

/// Why the units or their plan could not be read.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading the repository failed.
    #[error(transparent)]
    Git(#[from] git::Error),
    /// Detection could not start.
    #[error(transparent)]
    Detect(#[from] crate::detect::Error),
    /// A manifest's version is missing or not SemVer.
    #[error("{source}")]
    Version {
        /// What [`manifests`] found wrong.
        source: manifests::Error,
        /// The unit's directory.
        dir: String,
    },
    /// A manifest could not be read, or holds no usable name.
    #[error("`{path}`: {message}")]
    Manifest {
        /// The file, relative to the root.
        path: String,
        /// What is wrong.
        message: String,
        /// What to do.
        hint: String,
    },
    /// `release.linked` names something that is not a unit.
    #[error("{at}`release.linked` names `{}`, which is not a unit of this repository", name.value)]
    UnknownLinked {
        /// `file:line:column: ` of the name, when known.
        at: String,
        /// The name.
        name: Located<String>,
        /// The config file.
        file: String,
        /// The unit names.
        known: String,
    },
    /// `release.unit-overrides` names a directory that is not a unit.
    #[error("`release.unit-overrides` names `{dir}`, which is no unit directory")]
    UnknownOverride {
        /// The key.
        dir: String,
        /// The unit directories.
        known: String,
    },
    /// Two units would make the same tags.
    #[error(
        "the units `{first}` and `{second}` are both named `{name}`: their tags `{name}-v…` would collide"
    )]
    Collision {
        /// The name.
        name: String,
        /// The first unit's directory.
        first: String,
        /// The second unit's directory.
        second: String,
    },
    /// A name cannot be part of a git tag.
    #[error("`{path}`: the name `{name}` cannot be part of a tag")]
    BadName {
        /// The manifest or config file.
        path: String,
        /// The name, escaped.
        name: String,
    },
    /// The tag of a unit's next version exists already.
    #[error("the tag `{0}` exists already")]
    TagExists(String),
    /// A changelog could not be rendered.
    #[error(transparent)]
    Changelog(#[from] changelog::RenderError),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Git(e) => e.hint(),
            Self::Detect(e) => e.hint(),
            Self::Version { source, dir } => Some(format!(
                "{}; or leave the unit out: `release.unit-overrides: {{ {dir}: {{ skip: true }} }}`",
                source.hint
            )),
            Self::Manifest { hint, .. } => Some(hint.clone()),
            Self::UnknownLinked { known, .. } => Some(format!(
                "use the names of units (the names in their manifests, or `release.unit-overrides`): {known}"
            )),
            Self::UnknownOverride { known, .. } => Some(format!(
                "use a unit directory as `slipway detect` lists it: {known}"
            )),
            Self::Collision { second, name, .. } => Some(format!(
                "give one of them another name for its tags, e.g. `release.unit-overrides: {{ {second}: {{ name: {name}-2 }} }}`"
            )),
            Self::BadName { .. } => Some(
                "use letters, digits and `.`, `_`, `-`, `/`, `@`, `+` (no `..`), or set `release.unit-overrides.<dir>.name`"
                    .into(),
            ),
            Self::TagExists(_) => Some(
                "the version was released already; fetch the tags (`git fetch --tags`)".into(),
            ),
            Self::Changelog(_) => None,
        }
    }

    fn location(&self) -> Option<crate::error::Location> {
        match self {
            Self::UnknownLinked { name, file, .. } if name.line > 0 => {
                Some(crate::error::Location {
                    file: file.clone(),
                    line: name.line,
                    column: name.column,
                    summary: self.to_string(),
                })
            }
            _ => None,
        }
    }
}

/// One commit of the history read for units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogCommit {
    /// The commit as the release rules read it.
    pub raw: RawCommit,
    /// Its parents' SHAs.
    pub parents: Vec<String>,
    /// The files it changes (none for a merge).
    pub files: Vec<String>,
}

/// Parses `git log -z --name-only` with our format (see [`read_history`]).
pub fn parse_history(out: &str) -> Vec<LogCommit> {
    out.split(RECORD)
        .filter_map(|record| {
            let mut fields = record.splitn(6, FIELD);
            let sha = fields.next()?;
            // A body holding our separators cannot forge a record: a record starts with a SHA.
            if !(sha.len() == 40 || sha.len() == 64) || !sha.chars().all(|c| c.is_ascii_hexdigit())
            {
                return None;
            }
            let parents = fields
                .next()?
                .split_whitespace()
                .map(str::to_owned)
                .collect();
            let author = fields.next()?.to_owned();
            let subject = fields.next()?.to_owned();
            let body = fields.next()?.trim_end().to_owned();
            let files = fields
                .next()
                .unwrap_or_default()
                .split('\0')
                .map(|f| f.trim_start_matches('\n'))
                .filter(|f| !f.is_empty())
                .map(str::to_owned)
                .collect();
            Some(LogCommit {
                raw: RawCommit {
                    sha: sha.to_owned(),
                    author,
                    subject,
                    body,
                    pr: None,
                },
                parents,
                files,
            })
        })
        .collect()
}

/// Runs git in `dir`, with the settings [`git::Repo`] uses.
fn run_git(dir: &Path, args: &[&str]) -> Result<String, git::Error> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("LC_ALL", "C")
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(git::Error::Spawn)?;
    if !out.status.success() {
        return Err(git::Error::Failed {
            args: args.join(" "),
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The tags of the repository: every name, and those reachable from `rev` with their commit.
struct TagList {
    all: HashSet<String>,
    reachable: Vec<(String, String)>,
}

fn read_tags(repo: &git::Repo, rev: &str) -> Result<TagList, git::Error> {
    let all = run_git(
        repo.dir(),
        &["for-each-ref", "--format=%(refname:strip=2)", "refs/tags"],
    )?;
    let merged = run_git(
        repo.dir(),
        &[
            "for-each-ref",
            "--merged",
            rev,
            "--format=%(refname:strip=2)%00%(objectname)%00%(*objectname)",
            "refs/tags",
        ],
    )?;
    let reachable = merged
        .lines()
        .filter_map(|l| {
            let mut parts = l.split('\0');
            let name = parts.next()?;
            let object = parts.next()?;
            let peeled = parts.next().filter(|p| !p.is_empty()).unwrap_or(object);
            Some((name.to_owned(), peeled.to_owned()))
        })
        .collect();
    Ok(TagList {
        all: all.lines().map(str::to_owned).collect(),
        reachable,
    })
}

/// The history a plan needs, read with one `git log`: the commits reachable from `rev` and not
/// from the common ancestor of every unit's base tag (all of it when some unit has none).
pub fn read_history(
    repo: &git::Repo,
    rev: &str,
    bases: &[Option<String>],
) -> Result<Vec<LogCommit>, git::Error> {
    let mut exclude = None;
    if !bases.is_empty() && bases.iter().all(Option::is_some) {
        let unique: BTreeSet<&str> = bases.iter().flatten().map(String::as_str).collect();
        exclude = if unique.len() == 1 {
            unique.iter().next().map(|s| (*s).to_owned())
        } else {
            let mut args = vec!["merge-base", "--octopus"];
            args.extend(unique.iter().copied());
            run_git(repo.dir(), &args)
                .ok()
                .and_then(|o| o.lines().next().map(str::to_owned))
        };
    }
    let format = format!("--format={RECORD}%H{FIELD}%P{FIELD}%an{FIELD}%s{FIELD}%b{FIELD}");
    let not = exclude.map(|e| format!("^{e}"));
    let mut args = vec![
        "log",
        "--topo-order",
        "--reverse",
        "--no-color",
        "--no-renames",
        "--root",
        "-z",
        "--name-only",
        &format,
        rev,
    ];
    if let Some(n) = &not {
        args.push(n);
    }
    args.push("--");
    Ok(parse_history(&run_git(repo.dir(), &args)?))
}

/// The pull request that brought each commit in, from the `Merge pull request #N from …`
/// merges on the first-parent line of `history` (oldest first), as [`git::Repo::commits_since`]
/// reads them: the commits reachable from the merge's second parent and not from its first.
fn pull_requests(history: &[LogCommit], index: &HashMap<&str, usize>) -> HashMap<usize, u64> {
    let mut out = HashMap::new();
    let Some(tip) = history.last() else {
        return out;
    };
    // The first-parent line, newest first, inside the history.
    let mut line = Vec::new();
    let mut at = index.get(tip.raw.sha.as_str()).copied();
    while let Some(i) = at {
        line.push(i);
        at = history[i]
            .parents
            .first()
            .and_then(|p| index.get(p.as_str()).copied());
    }
    let mut seen = vec![false; history.len()];
    let mut stack = Vec::new();
    for &i in line.iter().rev() {
        let c = &history[i];
        if let (Some(n), Some(second)) = (git::merge_pr_number(&c.raw.subject), c.parents.get(1))
            && let Some(&s) = index.get(second.as_str())
        {
            stack.push(s);
            while let Some(j) = stack.pop() {
                if seen[j] {
                    continue;
                }
                seen[j] = true;
                out.insert(j, n);
                stack.extend(
                    history[j]
                        .parents
                        .iter()
                        .filter_map(|p| index.get(p.as_str()).copied()),
                );
            }
        }
        // Everything reachable from this line commit is in by now: mark its ancestors.
        stack.push(i);
        while let Some(j) = stack.pop() {
            if seen[j] && j != i {
                continue;
            }
            seen[j] = true;
            stack.extend(
                history[j]
                    .parents
                    .iter()
                    .filter_map(|p| index.get(p.as_str()).copied())
                    .filter(|&p| !seen[p]),
            );
        }
    }
    out
}

/// The decision for one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitPlan {
    /// The unit.
    pub unit: Unit,
    /// Its latest tag reachable from the release commit (stable or pre-release).
    pub previous: Option<Tag>,
    /// The next version; `None` when the unit has nothing to release.
    pub next: Option<Version>,
    /// The tag of the next version, `<name>-v<version>`.
    pub tag: Option<String>,
    /// The kind of step.
    pub bump: Bump,
    /// The level of its own changes (before its linked group).
    pub level: Level,
    /// Commits since its last stable tag that touch it.
    pub commits: usize,
    /// Of those, the ones that do not move the version.
    pub skipped: usize,
    /// Its changes, oldest first.
    pub changes: Vec<Change>,
    /// The other units of its linked group.
    pub linked: Vec<String>,
    /// Why there is no release, when there is none.
    pub reason: Option<String>,
    /// Its changelog section, when it releases.
    pub notes: Option<String>,
}

/// The decision for every unit: the list a release (or a release pull request) works from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// One entry per unit, by path.
    pub units: Vec<UnitPlan>,
    /// Commits read that touch no unit: they release nothing.
    pub untracked: usize,
    /// Directories that are no unit, with the reason.
    pub notes: Vec<String>,
    /// Tags with a unit's prefix that are not SemVer, ignored.
    pub ignored_tags: Vec<String>,
}

impl Plan {
    /// The units that release, in path order.
    pub fn releases(&self) -> impl Iterator<Item = &UnitPlan> {
        self.units.iter().filter(|u| u.next.is_some())
    }

    /// The `--json` form.
    pub fn to_json(&self) -> serde_json::Value {
        let units: Vec<serde_json::Value> = self
            .units
            .iter()
            .map(|u| {
                serde_json::json!({
                    "name": u.unit.name,
                    "path": u.unit.path,
                    "previous": u.previous.as_ref().map(|t| t.version.to_string()),
                    "next": u.next.as_ref().map(Version::to_string),
                    "tag": u.tag,
                    "bump": u.bump,
                    "commits": u.commits,
                    "skipped": u.skipped,
                    "linked": u.linked,
                    "changelog": u.unit.changelog,
                })
            })
            .collect();
        serde_json::json!({ "units": units, "untracked": self.untracked })
    }
}

/// What a plan is decided with.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    /// The `release` section.
    pub release: &'a config::Release,
    /// The config file, for located errors.
    pub config_file: String,
    /// The commit to release (`HEAD`).
    pub rev: String,
    /// Tags that may exist already because they point at this commit (a release that is
    /// being finished).
    pub done_at: Option<String>,
}

/// Decides every unit's next release at `options.rev`, changing nothing.
pub fn plan(repo: &git::Repo, units: &Units, options: &Options<'_>) -> Result<Plan, Error> {
    let release = options.release;
    let groups = groups(units, release, &options.config_file)?;
    let mut plan = Plan {
        notes: units.notes.clone(),
        ..Plan::default()
    };
    let has_head = run_git(
        repo.dir(),
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("{}^{{commit}}", options.rev),
        ],
    )
    .is_ok();
    let tags = if has_head {
        read_tags(repo, &options.rev)?
    } else {
        TagList {
            all: HashSet::new(),
            reachable: Vec::new(),
        }
    };
    // Each unit's tags reachable from the commit, highest first, with their commits.
    let mut unit_tags: Vec<Vec<(Tag, String)>> = vec![Vec::new(); units.units.len()];
    let prefixes: Vec<String> = units.units.iter().map(Unit::tag_prefix).collect();
    for (name, sha) in &tags.reachable {
        for (u, prefix) in prefixes.iter().enumerate() {
            let Some(rest) = name.strip_prefix(prefix.as_str()) else {
                continue;
            };
            match Version::parse(rest) {
                Ok(version) => unit_tags[u].push((
                    Tag {
                        name: name.clone(),
                        version,
                    },
                    sha.clone(),
                )),
                Err(_) if rest.starts_with(|c: char| c.is_ascii_digit()) => {
                    plan.ignored_tags.push(name.clone());
                }
                Err(_) => {}
            }
        }
    }
    for list in &mut unit_tags {
        list.sort_by(|a, b| b.0.version.cmp(&a.0.version));
    }
    let bases: Vec<Option<(Tag, String)>> = unit_tags
        .iter()
        .map(|l| l.iter().find(|(t, _)| t.version.pre.is_empty()).cloned())
        .collect();
    let history = if has_head {
        let base_shas: Vec<Option<String>> = bases
            .iter()
            .map(|b| b.as_ref().map(|(_, s)| s.clone()))
            .collect();
        read_history(repo, &options.rev, &base_shas)?
    } else {
        Vec::new()
    };
    let index: HashMap<&str, usize> = history
        .iter()
        .enumerate()
        .map(|(i, c)| (c.raw.sha.as_str(), i))
        .collect();
    let prs = pull_requests(&history, &index);
    // The commits each base tag reaches inside the history.
    let mut reached: HashMap<&str, Vec<bool>> = HashMap::new();
    for (_, sha) in bases.iter().flatten() {
        if reached.contains_key(sha.as_str()) {
            continue;
        }
        let mut mark = vec![false; history.len()];
        let mut stack: Vec<usize> = index.get(sha.as_str()).copied().into_iter().collect();
        while let Some(j) = stack.pop() {
            if mark[j] {
                continue;
            }
            mark[j] = true;
            stack.extend(
                history[j]
                    .parents
                    .iter()
                    .filter_map(|p| index.get(p.as_str()).copied()),
            );
        }
        reached.insert(sha.as_str(), mark);
    }
    let dirs: HashMap<&str, usize> = units
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.path.as_str(), i))
        .collect();
    let owner = |file: &str| -> Option<usize> {
        let mut at = file;
        while let Some((parent, _)) = at.rsplit_once('/') {
            if let Some(&u) = dirs.get(parent) {
                return Some(u);
            }
            at = parent;
        }
        dirs.get(".").copied()
    };
    let mut per_unit: Vec<Vec<RawCommit>> = vec![Vec::new(); units.units.len()];
    let all_reached = |i: usize| {
        !bases.is_empty()
            && bases.iter().all(|b| {
                b.as_ref()
                    .is_some_and(|(_, s)| reached.get(s.as_str()).is_some_and(|m| m[i]))
            })
    };
    let mut touched: Vec<usize> = Vec::new();
    for (i, c) in history.iter().enumerate() {
        if c.parents.len() > 1 {
            continue;
        }
        touched.clear();
        for f in &c.files {
            if let Some(u) = owner(f)
                && !touched.contains(&u)
            {
                touched.push(u);
            }
        }
        if touched.is_empty() {
            if !all_reached(i) {
                plan.untracked += 1;
            }
            continue;
        }
        for &u in &touched {
            let before_base = bases[u]
                .as_ref()
                .is_some_and(|(_, s)| reached.get(s.as_str()).is_some_and(|m| m[i]));
            if !before_base {
                let mut raw = c.raw.clone();
                raw.pr = prs.get(&i).copied();
                per_unit[u].push(raw);
            }
        }
    }
    let rules = commits::Rules::from_config(release);
    let analyses: Vec<commits::Analysis> = per_unit
        .iter()
        .map(|c| commits::analyze_with(c, &rules))
        .collect();
    let date = if has_head {
        run_git(repo.dir(), &["log", "-1", "--format=%cs", &options.rev])
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    } else {
        String::new()
    };
    let github = repo.origin_url().as_deref().and_then(git::github_slug);
    let done_at = options.done_at.as_deref();
    for (u, unit) in units.units.iter().enumerate() {
        let analysis = &analyses[u];
        let own = analysis.level();
        let group = &groups[u];
        let level = group
            .iter()
            .map(|&g| analyses[g].level())
            .chain([own])
            .max()
            .unwrap_or(Level::None);
        let base = bases[u].as_ref().map(|(t, _)| t);
        let previous = unit_tags[u].first().map(|(t, _)| t.clone());
        let mut reason = None;
        let next = if level == Level::None {
            reason = Some(match (base, analysis.commits) {
                (Some(t), 0) => format!("no commits since `{}` touch `{}`", t.name, unit.path),
                (Some(t), n) => format!(
                    "none of the {n} commits since `{}` is a feature, a fix or a breaking change",
                    t.name
                ),
                (None, 0) => format!("no commit touches `{}`", unit.path),
                (None, n) => {
                    format!("none of the {n} commits is a feature, a fix or a breaking change")
                }
            });
            None
        } else {
            match base {
                Some(t) => bump::next_stable(Some(&t.version), level, release.pre_1_0),
                None => first_release(unit, &unit_tags[u], level, release.pre_1_0),
            }
        };
        let tag = next.as_ref().map(|v| format!("{}{v}", unit.tag_prefix()));
        if let Some(t) = &tag
            && tags.all.contains(t)
        {
            let at_done = done_at.is_some_and(|d| {
                run_git(
                    repo.dir(),
                    &[
                        "rev-parse",
                        "--verify",
                        "--quiet",
                        &format!("refs/tags/{t}^{{commit}}"),
                    ],
                )
                .is_ok_and(|s| s.trim() == d)
            });
            if !at_done {
                return Err(Error::TagExists(t.clone()));
            }
        }
        let notes = match (&next, &tag) {
            (Some(v), Some(t)) => Some(changelog::render(&changelog::Input {
                version: v.to_string(),
                tag: t.clone(),
                previous_tag: previous.as_ref().map(|p| p.name.clone()),
                date: date.clone(),
                github: github.clone(),
                changes: &analysis.changes,
                include_other: release.include_other_commits,
            })?),
            _ => None,
        };
        plan.units.push(UnitPlan {
            unit: unit.clone(),
            previous,
            bump: next
                .as_ref()
                .map_or(Bump::None, |n| Bump::between(base.map(|t| &t.version), n)),
            next,
            tag,
            level: own,
            commits: analysis.commits,
            skipped: analysis.skipped,
            changes: analysis.changes.clone(),
            linked: group.iter().map(|&g| units.units[g].name.clone()).collect(),
            reason,
            notes,
        });
    }
    plan.ignored_tags.sort();
    plan.ignored_tags.dedup();
    Ok(plan)
}

/// The first release of a unit without a stable tag: the manifest's version, unless it is
/// `0.0.0` (a placeholder) or tagged already (a pre-release of it), then the usual step.
fn first_release(
    unit: &Unit,
    tags: &[(Tag, String)],
    level: Level,
    policy: config::PreOnePolicy,
) -> Option<Version> {
    let manifest = Version::parse(&unit.version).ok();
    match manifest {
        Some(v) if v == Version::new(0, 0, 0) => bump::next_stable(None, level, policy),
        Some(v) if tags.iter().any(|(t, _)| t.version == v) => {
            bump::next_stable(Some(&v), level, policy)
        }
        Some(v) if !v.pre.is_empty() => {
            // A manifest at `2.0.0-rc.1` releases `2.0.0` first.
            Some(Version::new(v.major, v.minor, v.patch))
        }
        Some(v) => Some(v),
        None => bump::next_stable(None, level, policy),
    }
}

/// For each unit, the other units it moves with: its `release.linked` group, and the Cargo
/// members that follow the same workspace version.
fn groups(
    units: &Units,
    release: &config::Release,
    config_file: &str,
) -> Result<Vec<Vec<usize>>, Error> {
    let n = units.units.len();
    let mut parent: Vec<usize> = (0..n).collect();
    fn find(parent: &mut [usize], mut i: usize) -> usize {
        while parent[i] != i {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        i
    }
    let union = |parent: &mut Vec<usize>, a: usize, b: usize| {
        let (ra, rb) = (find(parent, a), find(parent, b));
        if ra != rb {
            parent[ra] = rb;
        }
    };
    for group in &release.linked {
        let mut first = None;
        for name in group {
            let Some(i) = units.units.iter().position(|u| u.name == name.value) else {
                return Err(Error::UnknownLinked {
                    at: if name.line > 0 {
                        format!("{config_file}:{}:{}: ", name.line, name.column)
                    } else {
                        String::new()
                    },
                    name: name.clone(),
                    file: config_file.to_owned(),
                    known: list(units.units.iter().map(|u| u.name.as_str())),
                });
            };
            match first {
                None => first = Some(i),
                Some(f) => union(&mut parent, f, i),
            }
        }
    }
    for i in 0..n {
        for j in i + 1..n {
            if units.units[i].follows.is_some() && units.units[i].follows == units.units[j].follows
            {
                union(&mut parent, i, j);
            }
        }
    }
    Ok((0..n)
        .map(|i| {
            let root = find(&mut parent, i);
            (0..n)
                .filter(|&j| j != i && find(&mut parent, j) == root)
                .collect()
        })
        .collect())
}

/// The human form of a plan: one line per unit, then each release's changelog section.
pub fn render_plan(plan: &Plan, dry_run: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let releasing = plan.releases().count();
    let _ = writeln!(
        out,
        "units:    {} ({releasing} to release)",
        plan.units.len()
    );
    let width = plan
        .units
        .iter()
        .map(|u| u.unit.name.len())
        .max()
        .unwrap_or(0);
    for u in &plan.units {
        let previous = u
            .previous
            .as_ref()
            .map_or_else(|| "none".to_owned(), |t| t.name.clone());
        let what = match (&u.tag, &u.reason) {
            (Some(tag), _) => {
                let verb = if dry_run { "next" } else { "released" };
                let linked = if u.linked.is_empty() {
                    String::new()
                } else {
                    format!(", linked with {}", u.linked.join(", "))
                };
                format!("{verb} {tag} ({}{linked})", u.bump.as_str())
            }
            (None, Some(reason)) => format!("no release: {reason}"),
            (None, None) => "no release".to_owned(),
        };
        let _ = writeln!(
            out,
            "  {:width$}  {}  previous {previous}, {} commits ({} skipped): {what}",
            u.unit.name, u.unit.path, u.commits, u.skipped
        );
    }
    if plan.untracked > 0 {
        let _ = writeln!(
            out,
            "untracked: {} commits touch no unit; they release nothing",
            plan.untracked
        );
    }
    for u in plan.releases() {
        if let Some(notes) = &u.notes {
            let _ = write!(out, "\n{} ({}):\n{notes}", u.unit.name, u.unit.changelog);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_with_names_splits_into_commits_with_their_files() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let out = format!(
            "{RECORD}{a}{FIELD}{FIELD}Ada{FIELD}feat: one{FIELD}body\n{FIELD}\0\nweb/x.js\0core/y.rs\0\
             {RECORD}{b}{FIELD}{a}{FIELD}Bob{FIELD}fix: two{FIELD}{FIELD}\0\nweb/we ird\nname\0"
        );
        let log = parse_history(&out);
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].files, ["web/x.js", "core/y.rs"]);
        assert_eq!(log[0].raw.body, "body");
        assert_eq!(log[1].parents, [a]);
        assert_eq!(log[1].files, ["web/we ird\nname"]);
    }

    #[test]
    fn a_body_holding_the_separators_does_not_forge_a_commit() {
        let a = "a".repeat(40);
        let out = format!(
            "{RECORD}{a}{FIELD}{FIELD}Ada{FIELD}chore: x{FIELD}text{RECORD}feat!: fake{FIELD}{FIELD}\0\nREADME.md\0"
        );
        let log = parse_history(&out);
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].raw.subject, "chore: x");
    }

    #[test]
    fn a_commit_brought_in_by_a_pull_request_merge_gets_its_number() {
        let commit = |sha: &str, parents: &[&str], subject: &str| LogCommit {
            raw: RawCommit {
                sha: sha.into(),
                subject: subject.into(),
                ..RawCommit::default()
            },
            parents: parents.iter().map(|p| (*p).to_owned()).collect(),
            files: Vec::new(),
        };
        // main: a -> m1 (merges b1, b2) -> c -> m2 (merges d, a plain branch merge)
        let history = [
            commit("a", &[], "chore: init"),
            commit("b1", &["a"], "feat: one"),
            commit("b2", &["b1"], "fix: two"),
            commit("m1", &["a", "b2"], "Merge pull request #5 from octo/one"),
            commit("c", &["m1"], "fix: direct"),
            commit("d", &["m1"], "feat: side"),
            commit("m2", &["c", "d"], "Merge branch 'side'"),
        ];
        let index: HashMap<&str, usize> = history
            .iter()
            .enumerate()
            .map(|(i, c)| (c.raw.sha.as_str(), i))
            .collect();
        let prs = pull_requests(&history, &index);
        let mut got: Vec<(usize, u64)> = prs.into_iter().collect();
        got.sort_unstable();
        assert_eq!(got, [(1, 5), (2, 5)]);
    }

    #[test]
    fn tag_names_follow_git_rules_and_carry_no_structure() {
        for ok in ["core", "@acme/web", "py_lib.v2", "a+b"] {
            assert!(is_tag_name(ok), "{ok}");
        }
        for bad in [
            "", "-rf", ".hidden", "a..b", "a b", "a\nb", "x.lock", "a//b", "a/", "a@{1}", "$(x)",
            "a:b", "a~1", "a^", "a*", "`x`",
        ] {
            assert!(!is_tag_name(bad), "{bad:?}");
        }
    }

    fn unit(name: &str, version: &str) -> Unit {
        Unit {
            name: name.into(),
            path: name.into(),
            manifest: format!("{name}/package.json"),
            version: version.into(),
            changelog: format!("{name}/CHANGELOG.md"),
            follows: None,
        }
    }

    #[test]
    fn a_first_release_is_the_manifest_version_unless_it_is_a_placeholder() {
        let p = config::PreOnePolicy::Minor;
        let v = |s: &str| Version::parse(s).unwrap();
        assert_eq!(
            first_release(&unit("a", "2.4.0"), &[], Level::Patch, p),
            Some(v("2.4.0"))
        );
        assert_eq!(
            first_release(&unit("a", "0.0.0"), &[], Level::Patch, p),
            Some(v("0.1.0"))
        );
        assert_eq!(
            first_release(&unit("a", "3.0.0-rc.2"), &[], Level::Minor, p),
            Some(v("3.0.0"))
        );
        let tagged = [(
            Tag {
                name: "a-v2.4.0".into(),
                version: v("2.4.0"),
            },
            String::new(),
        )];
        assert_eq!(
            first_release(&unit("a", "2.4.0"), &tagged, Level::Minor, p),
            Some(v("2.5.0"))
        );
    }

    #[test]
    fn linked_names_and_shared_workspace_versions_make_groups() {
        let mut units = Units {
            units: vec![unit("a", "1.0.0"), unit("b", "1.0.0"), unit("c", "1.0.0")],
            notes: Vec::new(),
        };
        units.units[1].follows = Some("Cargo.toml".into());
        units.units[2].follows = Some("Cargo.toml".into());
        let release = config::Release {
            units: config::ReleaseUnits::PerUnit,
            linked: vec![vec![Located::new("a".into()), Located::new("b".into())]],
            ..config::Release::default()
        };
        let g = groups(&units, &release, "slipway.yml").unwrap();
        assert_eq!(g, [vec![1, 2], vec![0, 2], vec![0, 1]]);
        let release = config::Release {
            linked: vec![vec![Located::new("a".into()), Located::new("zz".into())]],
            ..release
        };
        let e = groups(&units, &release, "slipway.yml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`release.linked` names `zz`, which is not a unit of this repository"
        );
        assert!(e.hint().unwrap().contains("`a`, `b`, `c`"));
    }
}
