//! `slipway release`: the next version from conventional commits, the changelog, the tag and
//! the GitHub release.
//!
//! Deciding needs only the local repository ([`git`]): the latest tag with the prefix that
//! parses as SemVer 2.0.0 (<https://semver.org/spec/v2.0.0.html>), the commits since it read as
//! Conventional Commits 1.0.0 (<https://www.conventionalcommits.org/en/v1.0.0/>) by
//! [`commits`], and the version rules of [`bump`]. A dry run stops there and prints the
//! decision. A real run then refuses a dirty work tree, prepends the [`changelog`], commits it,
//! stages the draft GitHub release with its assets ([`publish`]), pushes the commit, publishes
//! the release (GitHub makes the tag), then tags locally and moves the floating major tag: a
//! tag never exists without its release, and a re-run after any failure finishes the job
//! ([`run`]).
//!
//! Workflows split the same release by privilege: `slipway release plan` decides in a
//! read-only job and writes the notes ([`run_plan`]); `slipway release publish` ([`remote`])
//! makes the tag and the release through the REST API in a job that checks out nothing.
//!
//! With `release.trigger: pr`, `slipway release pr` ([`pr`]) opens or updates a release pull
//! request instead, and `release plan` releases only the push of its merged commit
//! ([`run_merged_plan`]).

pub mod archive;
pub mod binary;
pub mod bump;
pub mod changelog;
pub mod commits;
pub mod git;
pub mod installer;
pub mod manifests;
pub mod pr;
pub mod publish;
pub mod registries;
pub mod remote;
pub mod trusted;
pub mod units;

use std::path::PathBuf;

use semver::Version;
use serde::Serialize;

use crate::config;
use crate::error::Hint;
use bump::Bump;
use commits::Change;

/// What `slipway release` is asked to do.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The repository root.
    pub root: PathBuf,
    /// The `release` section of `slipway.yml`.
    pub release: config::Release,
    /// The tag prefix (`release.tag-prefix` unless overridden).
    pub tag_prefix: String,
    /// Decide and print; change nothing.
    pub dry_run: bool,
    /// A pre-release channel, e.g. `rc` for `1.3.0-rc.1`.
    pub pre: Option<String>,
    /// A forced version, e.g. `2.0.0`.
    pub version: Option<String>,
    /// Files to attach to the GitHub release.
    pub assets: Vec<PathBuf>,
}

/// The decision: what the next release is, or why there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The latest version tag reachable from `HEAD` (stable or pre-release).
    pub previous: Option<git::Tag>,
    /// The next version; `None` when there is nothing to release.
    pub next: Option<Version>,
    /// The tag of the next version, e.g. `v1.3.0`.
    pub tag: Option<String>,
    /// The kind of step.
    pub bump: Bump,
    /// Commits read since the last stable release.
    pub commits: usize,
    /// Commits that do not move the version.
    pub skipped: usize,
    /// The changes, oldest first.
    pub changes: Vec<Change>,
    /// Why there is no release, when there is none.
    pub reason: Option<String>,
    /// Tags with the prefix that are not SemVer, ignored.
    pub ignored_tags: Vec<String>,
    /// The changelog section of the release.
    pub changelog: Option<String>,
}

impl Summary {
    /// The JSON text, spaced as documented:
    /// `{"previous": "1.2.3", "next": "1.3.0", "bump": "minor", "commits": 14, "skipped": 3}`.
    pub fn to_json(&self) -> String {
        let text = |v: &Option<String>| {
            v.as_ref().map_or_else(
                || "null".to_owned(),
                |s| serde_json::Value::from(s.as_str()).to_string(),
            )
        };
        format!(
            "{{\"previous\": {}, \"next\": {}, \"bump\": \"{}\", \"commits\": {}, \"skipped\": {}}}",
            text(&self.previous),
            text(&self.next),
            self.bump.as_str(),
            self.commits,
            self.skipped
        )
    }
}

impl Plan {
    /// The `--json` form: `{"previous", "next", "bump", "commits", "skipped"}`.
    pub fn summary(&self) -> Summary {
        Summary {
            previous: self.previous.as_ref().map(|t| t.version.to_string()),
            next: self.next.as_ref().map(Version::to_string),
            bump: self.bump,
            commits: self.commits,
            skipped: self.skipped,
        }
    }
}

/// What `--json` prints; checks read this shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// The previous version; `null` for a first release.
    pub previous: Option<String>,
    /// The next version; `null` when there is nothing to release.
    pub next: Option<String>,
    /// `major`, `minor`, `patch`, `prerelease` or `none`.
    pub bump: Bump,
    /// Commits read.
    pub commits: usize,
    /// Commits that do not move the version.
    pub skipped: usize,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The decision.
    pub plan: Plan,
    /// The changelog file written, on a real run.
    pub changelog: Option<PathBuf>,
    /// The floating major tag moved, e.g. `v1`.
    pub floating_tag: Option<String>,
    /// The GitHub release, on a real run.
    pub published: Option<publish::Published>,
}

/// Why a release could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing the repository failed.
    #[error(transparent)]
    Git(#[from] git::Error),
    /// `--version` is not a version.
    #[error("`--version {text}` is not a version")]
    BadVersion {
        /// What was given.
        text: String,
        /// Why.
        #[source]
        source: semver::Error,
    },
    /// `--pre` is not a usable channel name.
    #[error(transparent)]
    BadChannel(#[from] bump::BadChannel),
    /// The tag of the next version exists already.
    #[error("the tag `{0}` exists already")]
    TagExists(String),
    /// A forced version is not above the previous one.
    #[error("`{next}` is not above the previous version `{previous}`")]
    NotNewer {
        /// The forced version.
        next: String,
        /// The previous version.
        previous: String,
    },
    /// The changelog could not be rendered.
    #[error(transparent)]
    Changelog(#[from] changelog::RenderError),
    /// The changelog file could not be read or written.
    #[error("writing `{}`", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Publishing the GitHub release failed.
    #[error(transparent)]
    Publish(#[from] publish::Error),
    /// Per-unit releases: the units or their plan could not be read.
    #[error(transparent)]
    Units(#[from] units::Error),
    /// A step failed after the release commit was pushed: a re-run completes it.
    #[error("{done}, but the release is not finished")]
    Unfinished {
        /// What is done already.
        done: String,
        /// What failed.
        #[source]
        source: Box<Error>,
    },
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Git(e) => e.hint(),
            Self::Publish(e) => e.hint(),
            Self::Units(e) => e.hint(),
            Self::BadVersion { .. } => {
                Some("give three numbers, e.g. `--version 2.0.0` or `--version 2.0.0-rc.1`".into())
            }
            Self::BadChannel(_) => {
                Some("use letters, digits and `-`, e.g. `--pre rc` or `--pre beta`".into())
            }
            Self::TagExists(_) => Some(
                "the version was released already; fetch the tags (`git fetch --tags`) or pick another `--version`"
                    .into(),
            ),
            Self::NotNewer { .. } => Some("give a version above the previous one".into()),
            Self::Unfinished { source, .. } => Some(match source.hint() {
                Some(h) => format!(
                    "{h}; then run `slipway release` again: it finishes this release without making a second one"
                ),
                None => "run `slipway release` again: it finishes this release without making a second one"
                    .into(),
            }),
            _ => None,
        }
    }

    fn location(&self) -> Option<crate::error::Location> {
        match self {
            Self::Units(e) => e.location(),
            _ => None,
        }
    }
}

/// Decides the next release from the repository, without changing anything.
pub fn plan(settings: &Settings, repo: &git::Repo) -> Result<Plan, Error> {
    let prefix = settings.tag_prefix.as_str();
    let tags = repo.tags(prefix)?;
    let previous = tags.reachable.first().cloned();
    let base = tags.reachable.iter().find(|t| t.version.pre.is_empty());
    let raw = repo.commits_since(base.map(|t| t.name.as_str()))?;
    let analysis = commits::analyze_with(&raw, &commits::Rules::from_config(&settings.release));
    let existing: Vec<Version> = tags.all.iter().map(|t| t.version.clone()).collect();
    let mut reason = None;
    let next = match &settings.version {
        Some(text) => {
            let forced = bump::parse_forced(text, prefix).map_err(|source| Error::BadVersion {
                text: text.clone(),
                source,
            })?;
            if let Some(prev) = &previous
                && forced <= prev.version
            {
                return Err(Error::NotNewer {
                    next: forced.to_string(),
                    previous: prev.version.to_string(),
                });
            }
            Some(forced)
        }
        None => {
            let base_version = base.map(|t| &t.version);
            match bump::next_stable(base_version, analysis.level(), settings.release.pre_1_0) {
                None => {
                    reason = Some(match (&base, analysis.commits) {
                        (Some(t), 0) => format!("no commits since `{}`", t.name),
                        (Some(t), n) => format!(
                            "none of the {n} commits since `{}` is a feature, a fix or a breaking change",
                            t.name
                        ),
                        (None, 0) => "the repository has no commits".to_owned(),
                        (None, n) => format!(
                            "none of the {n} commits is a feature, a fix or a breaking change"
                        ),
                    });
                    None
                }
                Some(stable) => match &settings.pre {
                    Some(channel) => {
                        let candidate = bump::next_prerelease(&stable, channel, &existing)?;
                        // Nothing new since the last pre-release of this version: no new one.
                        match &previous {
                            Some(p)
                                if !p.version.pre.is_empty()
                                    && (p.version.major, p.version.minor, p.version.patch)
                                        == (stable.major, stable.minor, stable.patch)
                                    && repo.commits_since(Some(&p.name))?.is_empty() =>
                            {
                                reason = Some(format!("no commits since `{}`", p.name));
                                None
                            }
                            _ => Some(candidate),
                        }
                    }
                    None => Some(stable),
                },
            }
        }
    };
    let tag = next.as_ref().map(|v| format!("{prefix}{v}"));
    if let Some(t) = &tag
        && tags.all.iter().any(|x| &x.name == t)
    {
        return Err(Error::TagExists(t.clone()));
    }
    let bump = match (&next, &settings.version) {
        (None, _) => Bump::None,
        (Some(n), Some(_)) => Bump::between(previous.as_ref().map(|t| &t.version), n),
        (Some(n), None) => Bump::between(base.map(|t| &t.version), n),
    };
    let changelog = match (&next, &tag) {
        (Some(v), Some(t)) => Some(changelog::render(&changelog::Input {
            version: v.to_string(),
            tag: t.clone(),
            previous_tag: previous.as_ref().map(|p| p.name.clone()),
            date: repo.head_date().unwrap_or_default(),
            github: repo.origin_url().as_deref().and_then(git::github_slug),
            changes: &analysis.changes,
            include_other: settings.release.include_other_commits,
        })?),
        _ => None,
    };
    Ok(Plan {
        previous,
        next,
        tag,
        bump,
        commits: analysis.commits,
        skipped: analysis.skipped,
        changes: analysis.changes,
        reason,
        ignored_tags: tags.ignored,
        changelog,
    })
}

/// The subject of the release commit of `tag`.
fn release_subject(tag: &str) -> String {
    format!("chore(release): {tag}")
}

/// Runs `slipway release`: decides, and unless it is a dry run, releases in an order that
/// leaves nothing half-done, the order `release publish` keeps (the release is complete before
/// anyone sees its tag):
///
/// 1. the changelog commit, made locally;
/// 2. the draft release and its assets (invisible to readers), then the commit pushed (no
///    tag); a failure in either undoes the local commit, and the draft is resumed next time;
/// 3. the release published: GitHub creates the tag at the pushed commit;
/// 4. the tag made locally and pushed with the floating major tag (the version tag is on
///    GitHub already, at the same commit, so its push changes nothing there).
///
/// A re-run after a failure at any step completes the release: it reuses the release commit
/// at `HEAD`, the draft and the assets already uploaded, and when `HEAD` carries a tag whose
/// release is missing or a draft, it publishes that release.
pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let repo = git::Repo::open(&settings.root)?;
    let plan = plan(settings, &repo)?;
    let mut outcome = Outcome {
        plan,
        changelog: None,
        floating_tag: None,
        published: None,
    };
    if settings.dry_run {
        return Ok(outcome);
    }
    let (Some(next), Some(tag)) = (outcome.plan.next.clone(), outcome.plan.tag.clone()) else {
        return resume(settings, &repo, outcome);
    };
    repo.ensure_clean()?;
    // Fail before changing anything when the release cannot be published.
    let runtime = publish::runtime()?;
    let publisher = {
        let _inside = runtime.enter();
        publish::Publisher::from_env()?
    };
    let assets = publish::Asset::read_all(&settings.assets)?;
    let body = outcome.plan.changelog.clone().unwrap_or_default();
    let path = settings.root.join(&settings.release.changelog);
    let before = repo.head()?;
    // A release commit left by a run that failed after pushing it is reused as it is.
    let reused = repo.head_subject()? == release_subject(&tag);
    if !reused {
        // Through the repository root: a changelog that is a link (to `/proc/self/environ`, to
        // a file outside) is refused, never read, committed or pushed.
        let rel = std::path::Path::new(&settings.release.changelog);
        let write_error = |source| Error::Write {
            path: path.clone(),
            source,
        };
        let root = crate::fsutil::Root::open(&settings.root).map_err(write_error)?;
        let existing = root.read_optional(rel).map_err(write_error)?;
        let text = changelog::prepend(existing.as_deref(), &body);
        root.write_atomic(rel, text.as_bytes())
            .map_err(write_error)?;
        repo.commit(
            &[settings.release.changelog.as_str()],
            &release_subject(&tag),
        )?;
    }
    let prerelease = !next.pre.is_empty();
    let request = publish::Request {
        tag: tag.clone(),
        name: tag.clone(),
        body,
        prerelease,
        assets,
        target: Some(repo.head()?),
    };
    let has_origin = repo.origin_url().is_some();
    // Nothing is public until the push: a failure up to there leaves the repository as it was.
    let undo = |e: Error| {
        if !reused {
            // NOTE: the tree was clean and only the changelog changed, so `--keep` cannot lose
            // work; if it fails anyway, the commit stays and a re-run reuses it.
            let _ = repo.reset_to(&before);
        }
        e
    };
    let staged = runtime
        .block_on(publisher.stage(&request))
        .map_err(|e| undo(e.into()))?;
    if has_origin {
        repo.push_head().map_err(|e| undo(e.into()))?;
    }
    let published = runtime
        .block_on(publisher.finish(&request, staged))
        .map_err(|source| Error::Unfinished {
            done: format!("the release commit of `{tag}` is pushed and its draft is ready"),
            source: Box::new(source.into()),
        })?;
    outcome.floating_tag = tag_and_push(settings, &repo, &tag, &next, has_origin)?;
    outcome.changelog = Some(path);
    outcome.published = Some(published);
    Ok(outcome)
}

/// Step 4 of [`run`]: the version tag at `HEAD` (unless there already) and the floating major
/// tag of a stable release, pushed together.
fn tag_and_push(
    settings: &Settings,
    repo: &git::Repo,
    tag: &str,
    version: &Version,
    has_origin: bool,
) -> Result<Option<String>, Error> {
    let unfinished = |source: git::Error| Error::Unfinished {
        done: format!("the release `{tag}` is published"),
        source: Box::new(source.into()),
    };
    if repo.tag_commit(tag).is_none() {
        repo.lightweight_tag(tag, false).map_err(unfinished)?;
    }
    let mut forced = Vec::new();
    let mut floating = None;
    if let Some(major) = floating_name(settings, version) {
        repo.lightweight_tag(&major, true).map_err(unfinished)?;
        forced.push(major.clone());
        floating = Some(major);
    }
    if has_origin {
        repo.push_tags(&[tag.to_owned()], &forced)
            .map_err(unfinished)?;
    }
    Ok(floating)
}

/// The floating major tag of `version` (`v1`), when it is configured and `version` is stable.
fn floating_name(settings: &Settings, version: &Version) -> Option<String> {
    (settings.release.floating_major_tag && version.pre.is_empty())
        .then(|| format!("{}{}", settings.tag_prefix, version.major))
}

/// A run with nothing new to release: when `HEAD` carries the latest tag and its GitHub release
/// is missing or still a draft (an earlier run, or an older slipway, stopped after pushing),
/// publishes it now. Without a token there is nothing to ask, and the decision stands.
fn resume(settings: &Settings, repo: &git::Repo, mut outcome: Outcome) -> Result<Outcome, Error> {
    let Some(previous) = outcome.plan.previous.clone() else {
        return Ok(outcome);
    };
    if repo.tag_commit(&previous.name) != Some(repo.head()?) {
        return Ok(outcome);
    }
    let runtime = publish::runtime()?;
    let publisher = {
        let _inside = runtime.enter();
        match publish::Publisher::from_env() {
            Ok(p) => p,
            Err(_) => return Ok(outcome),
        }
    };
    let tag = previous.name.clone();
    let has_origin = repo.origin_url().is_some();
    if runtime.block_on(publisher.state(&tag))? == Some(true) {
        // Published: only the tags may be missing on `origin` (a failed last step).
        if has_origin {
            let head = repo.head()?;
            let mut wanted = vec![tag.clone()];
            wanted.extend(floating_name(settings, &previous.version));
            let there = repo.remote_tags(&wanted)?;
            if wanted.iter().any(|t| there.get(t) != Some(&head)) {
                outcome.floating_tag =
                    tag_and_push(settings, repo, &tag, &previous.version, has_origin)?;
            }
        }
        return Ok(outcome);
    }
    repo.ensure_clean()?;
    let path = settings.root.join(&settings.release.changelog);
    let body = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| changelog::section(&text, &previous.version.to_string()))
        .unwrap_or_default();
    let request = publish::Request {
        tag: tag.clone(),
        name: tag.clone(),
        body: body.clone(),
        prerelease: !previous.version.pre.is_empty(),
        assets: publish::Asset::read_all(&settings.assets)?,
        target: Some(repo.head()?),
    };
    let staged = runtime.block_on(publisher.stage(&request))?;
    if has_origin {
        repo.push_head()?;
    }
    let published = runtime.block_on(publisher.finish(&request, staged))?;
    outcome.floating_tag = tag_and_push(settings, repo, &tag, &previous.version, has_origin)?;
    outcome.plan.next = Some(previous.version.clone());
    outcome.plan.tag = Some(tag);
    outcome.plan.reason = None;
    outcome.plan.changelog = Some(body).filter(|b| !b.is_empty());
    outcome.changelog = Some(path);
    outcome.published = Some(published);
    Ok(outcome)
}

/// Runs `slipway release plan`: decides, and writes the changelog section of the next release
/// to `notes` (parent directories created) when there is one. Changes nothing else.
pub fn run_plan(settings: &Settings, notes: Option<&std::path::Path>) -> Result<Plan, Error> {
    let repo = git::Repo::open(&settings.root)?;
    let plan = plan(settings, &repo)?;
    write_notes(&plan, notes)?;
    Ok(plan)
}

/// `slipway release plan` under `release.trigger: pr`: only a merged release pull request
/// releases. The plan is the computed one when `HEAD` brings a release commit that
/// [`pr::verify`] accepts (its subject names the version the commits call for, the manifests
/// hold it, the changelog has its section, whose text becomes the notes); otherwise there is no
/// release, with the reason. The second value is a warning when a commit says it is a release
/// commit and is not one (a hand-written `chore(release): v9.9.9`).
pub fn run_merged_plan(
    settings: &Settings,
    notes: Option<&std::path::Path>,
) -> Result<(Plan, Option<String>), Error> {
    let repo = git::Repo::open(&settings.root)?;
    let mut plan = plan(settings, &repo)?;
    let expected = pr::unit_of(settings, &plan);
    let subject = pr::head_release_subject(&repo)?;
    let (merged, warning) = match pr::verify(&settings.root, &subject, expected.as_ref()) {
        Ok(merged) => (merged, None),
        Err(why) => (None, Some(format!("{why}: not released"))),
    };
    match merged {
        Some(m) => {
            plan.next = Some(m.version);
            plan.tag = Some(m.tag);
            plan.changelog = Some(m.notes);
            plan.reason = None;
        }
        None => {
            plan.reason = Some(match (&warning, &plan.tag) {
                (Some(_), _) => {
                    "`HEAD` is not a merged release pull request (see the warning)".to_owned()
                }
                (None, Some(tag)) => format!(
                    "`release.trigger` is `pr` and `HEAD` is not a merged release pull request; the release pull request carries `{tag}`"
                ),
                (None, None) => plan
                    .reason
                    .clone()
                    .unwrap_or_else(|| "no version to release".to_owned()),
            });
            plan.next = None;
            plan.tag = None;
            plan.changelog = None;
            plan.bump = Bump::None;
        }
    }
    write_notes(&plan, notes)?;
    Ok((plan, warning))
}

/// Writes the changelog section of `plan` to `notes` (parent directories created) when there
/// is a release.
fn write_notes(plan: &Plan, notes: Option<&std::path::Path>) -> Result<(), Error> {
    if let (Some(path), Some(changelog)) = (notes, &plan.changelog) {
        let write_error = |source| Error::Write {
            path: path.to_path_buf(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            crate::fsutil::create_dir_all(parent).map_err(write_error)?;
        }
        crate::fsutil::write_atomic(path, changelog.as_bytes()).map_err(write_error)?;
    }
    Ok(())
}

/// The human form of a decision: a few aligned lines, then the changelog section.
pub fn render_plan(plan: &Plan, dry_run: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let previous = plan
        .previous
        .as_ref()
        .map_or_else(|| "none (first release)".to_owned(), |t| t.name.clone());
    let _ = writeln!(out, "previous: {previous}");
    match (&plan.tag, &plan.reason) {
        (Some(tag), _) => {
            let verb = if dry_run { "next:    " } else { "released:" };
            let _ = writeln!(out, "{verb} {tag} ({})", plan.bump.as_str());
        }
        (None, Some(reason)) => {
            let _ = writeln!(out, "next:     none");
            let _ = writeln!(out, "no release: {reason}");
        }
        (None, None) => {
            let _ = writeln!(out, "next:     none");
        }
    }
    let _ = writeln!(out, "commits:  {} ({} skipped)", plan.commits, plan.skipped);
    if let Some(changelog) = &plan.changelog {
        let _ = write!(out, "\n{changelog}");
    }
    out
}

// ----- per-unit releases (`release.units: per-unit`) -----

/// What a per-unit run did.
#[derive(Debug, Clone)]
pub struct UnitsOutcome {
    /// The decision.
    pub plan: units::Plan,
    /// The GitHub releases, by tag, on a real run.
    pub published: Vec<(String, publish::Published)>,
    /// The release commit at `HEAD` was made by an earlier run that did not finish.
    pub resumed: bool,
}

/// The subject of the release commit of a per-unit plan: every tag it releases.
fn units_subject(plan: &units::Plan) -> String {
    let tags: Vec<&str> = plan.releases().filter_map(|u| u.tag.as_deref()).collect();
    release_subject(&tags.join(", "))
}

fn units_options<'a>(
    settings: &'a Settings,
    config_file: &str,
    rev: &str,
    done_at: Option<String>,
) -> units::Options<'a> {
    units::Options {
        release: &settings.release,
        config_file: config_file.to_owned(),
        rev: rev.to_owned(),
        done_at,
    }
}

/// Decides every unit's next release (`slipway release plan` and `--dry-run` under
/// `release.units: per-unit`), and writes each release's changelog section to
/// `<notes>/<tag>.md` (`/` in a tag written `%2F`) when `notes` is given.
pub fn run_units_plan(
    settings: &Settings,
    config_file: &str,
    notes: Option<&std::path::Path>,
) -> Result<units::Plan, Error> {
    let repo = git::Repo::open(&settings.root)?;
    let found = units::discover(&settings.root, &settings.release)?;
    let plan = units::plan(
        &repo,
        &found,
        &units_options(settings, config_file, "HEAD", None),
    )?;
    write_units_notes(&plan, notes)?;
    Ok(plan)
}

/// Writes each release's changelog section of `plan` to `<notes>/<tag>.md` (`/` in a tag
/// written `%2F`) when `notes` is given.
fn write_units_notes(plan: &units::Plan, notes: Option<&std::path::Path>) -> Result<(), Error> {
    let Some(dir) = notes else { return Ok(()) };
    for u in plan.releases() {
        let (Some(tag), Some(text)) = (&u.tag, &u.notes) else {
            continue;
        };
        let path = dir.join(format!("{}.md", tag.replace('/', "%2F")));
        let write_error = |source| Error::Write {
            path: path.clone(),
            source,
        };
        crate::fsutil::create_dir_all(dir).map_err(write_error)?;
        crate::fsutil::write_atomic(&path, text.as_bytes()).map_err(write_error)?;
    }
    Ok(())
}

/// `slipway release plan` under `release.units: per-unit` and `release.trigger: pr`: only a
/// merged release pull request releases. The plan keeps its releases when `HEAD` brings a
/// release commit that [`pr::verify_units`] accepts (its subject names exactly the tags the
/// commits call for, every unit's manifest holds its version, every unit's changelog has its
/// section, whose text becomes that unit's notes); otherwise no unit releases, with the
/// reason. The second value is a warning when a commit says it is a release commit and is not
/// one.
pub fn run_units_merged_plan(
    settings: &Settings,
    config_file: &str,
    notes: Option<&std::path::Path>,
) -> Result<(units::Plan, Option<String>), Error> {
    let repo = git::Repo::open(&settings.root)?;
    let found = units::discover(&settings.root, &settings.release)?;
    let mut plan = units::plan(
        &repo,
        &found,
        &units_options(settings, config_file, "HEAD", None),
    )?;
    let expected = pr::units_of(&plan);
    let subject = pr::head_release_subject(&repo)?;
    let (merged, warning) = match pr::verify_units(&settings.root, &subject, &expected) {
        Ok(merged) => (merged, None),
        Err(why) => (None, Some(format!("{why}: not released"))),
    };
    for u in &mut plan.units {
        let Some(tag) = u.tag.clone() else { continue };
        match merged
            .as_ref()
            .and_then(|m| m.iter().find(|m| m.tag == tag))
        {
            Some(m) => u.notes = Some(m.notes.clone()),
            None => {
                u.reason = Some(if warning.is_some() {
                    "`HEAD` is not a merged release pull request (see the warning)".to_owned()
                } else {
                    format!(
                        "`release.trigger` is `pr` and `HEAD` is not a merged release pull request; the release pull request carries `{tag}`"
                    )
                });
                u.next = None;
                u.tag = None;
                u.notes = None;
                u.bump = Bump::None;
            }
        }
    }
    write_units_notes(&plan, notes)?;
    Ok((plan, warning))
}

/// Runs `slipway release` under `release.units: per-unit`: decides, and unless it is a dry
/// run, releases every unit that has something to release in the order of [`run`]:
///
/// 1. each unit's changelog section prepended to its changelog, all in one release commit
///    (`chore(release): a-v1.2.0, b-v0.4.1`);
/// 2. one draft GitHub release per unit, then the commit pushed; a failure up to here undoes
///    the local commit;
/// 3. each release published (GitHub makes its tag at the release commit);
/// 4. the tags made locally and pushed in one atomic push.
///
/// A re-run after a failure finishes the job: when `HEAD` is the release commit of the plan
/// decided at its parent, that plan is released again; drafts, published releases and tags
/// already there are reused, and nothing is made twice.
pub fn run_units(settings: &Settings, config_file: &str) -> Result<UnitsOutcome, Error> {
    let repo = git::Repo::open(&settings.root)?;
    let found = units::discover(&settings.root, &settings.release)?;
    let head_plan = units::plan(
        &repo,
        &found,
        &units_options(settings, config_file, "HEAD", None),
    )?;
    let mut outcome = UnitsOutcome {
        plan: head_plan,
        published: Vec::new(),
        resumed: false,
    };
    if settings.dry_run {
        return Ok(outcome);
    }
    let subject = repo.head_subject().unwrap_or_default();
    if subject.starts_with(&release_subject("")) {
        let head = repo.head()?;
        let earlier = units::plan(
            &repo,
            &found,
            &units_options(settings, config_file, "HEAD^", Some(head.clone())),
        );
        if let Ok(earlier) = earlier {
            let unfinished = earlier
                .releases()
                .filter_map(|u| u.tag.as_deref())
                .any(|t| repo.tag_commit(t).as_deref() != Some(head.as_str()));
            if units_subject(&earlier) == subject && unfinished {
                outcome.plan = earlier;
                outcome.resumed = true;
            }
        }
    }
    if outcome.plan.releases().next().is_none() {
        return Ok(outcome);
    }
    repo.ensure_clean()?;
    // Fail before changing anything when the releases cannot be published.
    let runtime = publish::runtime()?;
    let publisher = {
        let _inside = runtime.enter();
        publish::Publisher::from_env()?
    };
    let before = repo.head()?;
    let subject = units_subject(&outcome.plan);
    if !outcome.resumed {
        let root = crate::fsutil::Root::open(&settings.root).map_err(|source| Error::Write {
            path: settings.root.clone(),
            source,
        })?;
        let mut paths: Vec<&str> = Vec::new();
        for u in outcome.plan.releases() {
            let rel = std::path::Path::new(&u.unit.changelog);
            let write_error = |source| Error::Write {
                path: settings.root.join(rel),
                source,
            };
            // Through the repository root: a changelog that is a link is refused.
            let existing = root.read_optional(rel).map_err(write_error)?;
            let text = changelog::prepend(existing.as_deref(), u.notes.as_deref().unwrap_or(""));
            root.write_atomic(rel, text.as_bytes())
                .map_err(write_error)?;
            paths.push(&u.unit.changelog);
        }
        if let Err(e) = repo.commit(&paths, &subject) {
            let _ = repo.reset_to(&before);
            return Err(e.into());
        }
    }
    let target = repo.head()?;
    let requests: Vec<publish::Request> = outcome
        .plan
        .releases()
        .filter_map(|u| {
            let tag = u.tag.clone()?;
            Some(publish::Request {
                name: tag.clone(),
                tag,
                body: u.notes.clone().unwrap_or_default(),
                prerelease: u.next.as_ref().is_some_and(|v| !v.pre.is_empty()),
                assets: Vec::new(),
                target: Some(target.clone()),
            })
        })
        .collect();
    let has_origin = repo.origin_url().is_some();
    let resumed = outcome.resumed;
    let undo = |e: Error| {
        if !resumed {
            // NOTE: the tree was clean and only the changelogs changed, so `--keep` cannot
            // lose work; if it fails anyway, the commit stays and a re-run reuses it.
            let _ = repo.reset_to(&before);
        }
        e
    };
    let mut staged = Vec::new();
    for request in &requests {
        staged.push(
            runtime
                .block_on(publisher.stage(request))
                .map_err(|e| undo(e.into()))?,
        );
    }
    if has_origin {
        repo.push_head().map_err(|e| undo(e.into()))?;
    }
    let unfinished = |source: Error| Error::Unfinished {
        done: format!("the release commit `{subject}` is pushed and its drafts are ready"),
        source: Box::new(source),
    };
    for (request, staged) in requests.iter().zip(staged) {
        let published = runtime
            .block_on(publisher.finish(request, staged))
            .map_err(|e| unfinished(e.into()))?;
        outcome.published.push((request.tag.clone(), published));
    }
    let tags: Vec<String> = requests.iter().map(|r| r.tag.clone()).collect();
    for tag in &tags {
        if repo.tag_commit(tag).is_none() {
            repo.lightweight_tag(tag, false)
                .map_err(|e| unfinished(e.into()))?;
        }
    }
    if has_origin {
        repo.push_tags(&tags, &[])
            .map_err(|e| unfinished(e.into()))?;
    }
    Ok(outcome)
}
