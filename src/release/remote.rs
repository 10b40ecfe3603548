//! `slipway release publish`: a release made through the REST API alone, for a job that has
//! write access and checks out nothing.
//!
//! In order: the annotated tag object and its ref
//! (<https://docs.github.com/en/rest/git/tags#create-a-tag-object>,
//! <https://docs.github.com/en/rest/git/refs#create-a-reference>), the GitHub release with
//! [`publish`] (draft, assets and `SHA256SUMS`, publish), the floating major tag of a stable
//! release (<https://docs.github.com/en/rest/git/refs#update-a-reference>, `force: true`), then
//! a `workflow_dispatch` of the cd workflow at the tag
//! (<https://docs.github.com/en/rest/actions/workflows#create-a-workflow-dispatch-event>): a
//! release made with `GITHUB_TOKEN` fires no `release` event. Each step first reads what is
//! there, so a re-run after a failure resumes without a second tag, release or asset.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use http::{Method, StatusCode};
use semver::Version;
use serde::Deserialize;
use serde_json::json;

use super::publish::{self, Asset, Publisher};
use crate::error::Hint;
use crate::generate::files::sha256_hex;
use crate::github::client::{self, Client, Clock, SystemClock, encode};

/// The `workflow_dispatch` input the cd workflow reads, and the value that deploys the tag.
pub const DISPATCH_INPUT: (&str, &str) = ("environment", "release");

/// What `slipway release publish` is asked to do.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The tag to create, e.g. `v1.3.0`: a prefix, then a SemVer version.
    pub tag: String,
    /// The commit the tag points at, e.g. `$GITHUB_SHA`.
    pub target: String,
    /// The release notes file written by `slipway release plan`.
    pub notes: Option<PathBuf>,
    /// A directory whose files are attached to the release.
    pub assets: Option<PathBuf>,
    /// Move the major tag (`v1`) to the target, for a stable release.
    pub floating_major_tag: bool,
    /// The workflow file to dispatch at the tag, e.g. `cd.yml`.
    pub dispatch_workflow: Option<String>,
}

/// Whether the tag was made by this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagState {
    /// Created by this run.
    Created,
    /// There already, at the target (an earlier run made it).
    Existing,
}

/// What a publish did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The tag.
    pub tag: String,
    /// The version the tag names.
    pub version: Version,
    /// Whether the tag was created or found.
    pub tag_state: TagState,
    /// The GitHub release.
    pub release: publish::Published,
    /// The floating major tag moved, e.g. `v1`.
    pub floating_tag: Option<String>,
    /// The workflow dispatched at the tag.
    pub dispatched: Option<String>,
    /// Why a requested step was skipped.
    pub notes: Vec<String>,
}

/// Why the release could not be published.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The token or repository is missing or invalid.
    #[error(transparent)]
    Setup(Box<client::Error>),
    /// `--tag` does not end in a SemVer version.
    #[error("the tag `{0}` does not end in a semantic version, e.g. `v1.3.0`")]
    BadTag(String),
    /// `--target` is not a full commit SHA.
    #[error("`--target {0}` is not a full commit SHA")]
    BadTarget(String),
    /// The notes file could not be read.
    #[error("reading the release notes `{}`", path.display())]
    Notes {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The assets directory could not be read.
    #[error("reading the assets directory `{}`", path.display())]
    AssetsDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An asset could not be read, or two share a name.
    #[error(transparent)]
    Assets(publish::Error),
    /// A file does not match its line in the `SHA256SUMS` shipped with the assets.
    #[error("`{0}` does not match its checksum in `SHA256SUMS`")]
    ChecksumMismatch(String),
    /// The tag exists at another commit.
    #[error("the tag `{tag}` exists at `{existing}`, not at the target `{target}`")]
    TagElsewhere {
        /// The tag.
        tag: String,
        /// The commit it points at.
        existing: String,
        /// The commit asked for.
        target: String,
    },
    /// A call about the tag or the floating tag failed.
    #[error("{step} `{tag}`")]
    Ref {
        /// What was being done, e.g. `creating the tag`.
        step: &'static str,
        /// The tag.
        tag: String,
        /// The API error.
        #[source]
        source: Box<client::Error>,
    },
    /// Publishing the GitHub release failed.
    #[error("publishing the GitHub release `{tag}`")]
    Publish {
        /// The tag.
        tag: String,
        /// What failed.
        #[source]
        source: publish::Error,
    },
    /// The workflow dispatch failed.
    #[error("dispatching `{workflow}` at `{tag}`")]
    Dispatch {
        /// The workflow file.
        workflow: String,
        /// The tag.
        tag: String,
        /// The API error.
        #[source]
        source: Box<client::Error>,
    },
    /// No async runtime could be started.
    #[error(transparent)]
    Runtime(publish::Error),
}

const CONTENTS_WRITE: &str =
    "the token lacks `contents: write`: add `permissions: { contents: write }` to the publish job";

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Setup(e) => e.hint(),
            Self::BadTag(_) => Some("pass the `tag` output of `slipway release plan`".into()),
            Self::BadTarget(_) => Some("pass the 40-character SHA, e.g. `--target \"$GITHUB_SHA\"`".into()),
            Self::ChecksumMismatch(_) => Some(
                "the assets changed after `SHA256SUMS` was written; rebuild them or remove the stale `SHA256SUMS`"
                    .into(),
            ),
            Self::TagElsewhere { .. } => Some(
                "a release of this version exists at another commit; plan a new version or delete the tag"
                    .into(),
            ),
            Self::Ref { source, .. } if matches!(**source, client::Error::Forbidden { .. }) => {
                Some(CONTENTS_WRITE.into())
            }
            Self::Ref { source, .. } => source.hint(),
            Self::Publish { source, .. } | Self::Assets(source) => source.hint(),
            Self::Dispatch { source, .. } if matches!(**source, client::Error::Forbidden { .. }) => Some(
                "the token lacks `actions: write`: add `actions: write` to the publish job's `permissions:`"
                    .into(),
            ),
            Self::Dispatch {
                source, workflow, ..
            } if matches!(**source, client::Error::NotFound { .. }) => Some(format!(
                "check that `.github/workflows/{workflow}` exists at the tag and has a `workflow_dispatch` trigger"
            )),
            Self::Dispatch { source, .. } => source.hint(),
            _ => None,
        }
    }
}

/// Splits a tag into its prefix and version: the longest tail that is a SemVer version.
///
/// ```
/// use slipway::release::remote::split_tag;
/// let (prefix, version) = split_tag("mytool-v2.0.1-rc.1").unwrap();
/// assert_eq!((prefix, version.to_string().as_str()), ("mytool-v", "2.0.1-rc.1"));
/// assert!(split_tag("latest").is_none());
/// ```
pub fn split_tag(tag: &str) -> Option<(&str, Version)> {
    tag.char_indices()
        .filter(|(_, c)| c.is_ascii_digit())
        .find_map(|(i, _)| {
            let version = Version::parse(tag.get(i..)?).ok()?;
            Some((tag.get(..i)?, version))
        })
}

/// True for a full commit SHA (SHA-1 or SHA-256, lower-case hex).
fn is_sha(s: &str) -> bool {
    matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Reads every file of `dir` (sorted by name) as an asset. A `SHA256SUMS` there is not
/// attached twice: each file it lists must match it, and the publisher writes a fresh one.
pub fn read_assets(dir: &Path) -> Result<Vec<Asset>, Error> {
    let dir_error = |source| Error::AssetsDir {
        path: dir.to_path_buf(),
        source,
    };
    let mut paths = Vec::new();
    let mut sums = None;
    for entry in std::fs::read_dir(dir).map_err(dir_error)? {
        let entry = entry.map_err(dir_error)?;
        let path = entry.path();
        if !entry.file_type().map_err(dir_error)?.is_file() {
            continue;
        }
        if entry.file_name() == publish::CHECKSUMS {
            sums = Some(
                std::fs::read_to_string(&path).map_err(|source| Error::AssetsDir {
                    path: path.clone(),
                    source,
                })?,
            );
        } else {
            paths.push(path);
        }
    }
    paths.sort();
    let assets = Asset::read_all(&paths).map_err(Error::Assets)?;
    if let Some(sums) = sums {
        for line in sums.lines() {
            let Some((hash, name)) = line.split_once(' ') else {
                continue;
            };
            let name = name.trim_start_matches([' ', '*']);
            if let Some(asset) = assets.iter().find(|a| a.name == name)
                && !sha256_hex(&asset.bytes).eq_ignore_ascii_case(hash)
            {
                return Err(Error::ChecksumMismatch(name.to_owned()));
            }
        }
    }
    Ok(assets)
}

/// A git reference (the fields we use).
#[derive(Debug, Clone, Deserialize)]
struct GitRef {
    object: GitObject,
}

/// The object a reference or tag points at.
#[derive(Debug, Clone, Deserialize)]
struct GitObject {
    #[serde(rename = "type")]
    kind: String,
    sha: String,
}

/// An annotated tag object (the fields we use).
#[derive(Debug, Clone, Deserialize)]
struct GitTag {
    sha: String,
    object: GitObject,
}

/// Runs `slipway release publish` with the token and repository from the environment.
pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    // Usage errors first: they need no token to be explained.
    split_tag(&settings.tag).ok_or_else(|| Error::BadTag(settings.tag.clone()))?;
    if !is_sha(&settings.target) {
        return Err(Error::BadTarget(settings.target.clone()));
    }
    let client_settings = client::Settings::from_env().map_err(|e| Error::Setup(Box::new(e)))?;
    if client_settings.repository.is_none() {
        return Err(Error::Setup(Box::new(client::Error::MissingRepository)));
    }
    let runtime = publish::runtime().map_err(Error::Runtime)?;
    runtime.block_on(run_with(settings, client_settings, Arc::new(SystemClock)))
}

/// [`run`] with explicit client settings and clock (tests pass a mock server and a fake clock).
pub async fn run_with(
    settings: &Settings,
    client_settings: client::Settings,
    clock: Arc<dyn Clock>,
) -> Result<Outcome, Error> {
    let tag = settings.tag.as_str();
    let (prefix, version) = split_tag(tag).ok_or_else(|| Error::BadTag(tag.to_owned()))?;
    if !is_sha(&settings.target) {
        return Err(Error::BadTarget(settings.target.clone()));
    }
    let target = settings.target.to_ascii_lowercase();
    let body = match &settings.notes {
        Some(path) => std::fs::read_to_string(path).map_err(|source| Error::Notes {
            path: path.clone(),
            source,
        })?,
        None => String::new(),
    };
    let assets = match &settings.assets {
        Some(dir) => read_assets(dir)?,
        None => Vec::new(),
    };
    let publisher = Publisher::new(client_settings.clone(), clock.clone()).map_err(|source| {
        Error::Publish {
            tag: tag.to_owned(),
            source,
        }
    })?;
    let client = Client::new(client_settings)
        .map_err(|e| Error::Setup(Box::new(e)))?
        .with_clock(clock);
    let git = Git::new(&client).map_err(|e| Error::Setup(Box::new(e)))?;

    let tag_state = git.ensure_tag(tag, &target).await?;
    let prerelease = !version.pre.is_empty();
    let release = publisher
        .publish(&publish::Request {
            tag: tag.to_owned(),
            name: tag.to_owned(),
            body,
            prerelease,
            assets,
            target: None,
        })
        .await
        .map_err(|source| Error::Publish {
            tag: tag.to_owned(),
            source,
        })?;
    let mut outcome = Outcome {
        tag: tag.to_owned(),
        version: version.clone(),
        tag_state,
        release,
        floating_tag: None,
        dispatched: None,
        notes: Vec::new(),
    };
    if settings.floating_major_tag {
        if prerelease {
            outcome.notes.push(format!(
                "the floating major tag stays: `{tag}` is a pre-release"
            ));
        } else {
            let major = format!("{prefix}{}", version.major);
            git.move_tag(&major, &target).await?;
            outcome.floating_tag = Some(major);
        }
    }
    if let Some(workflow) = &settings.dispatch_workflow {
        // NOTE: the cd workflow deploys on `release` events only for stable releases; the
        // dispatch stands in for that event, so a pre-release does not deploy either.
        if prerelease {
            outcome.notes.push(format!(
                "`{workflow}` is not dispatched: `{tag}` is a pre-release"
            ));
        } else {
            git.dispatch(workflow, tag).await?;
            outcome.dispatched = Some(workflow.clone());
        }
    }
    Ok(outcome)
}

/// The git database and workflow endpoints of one repository.
struct Git<'a> {
    client: &'a Client,
    base: String,
}

impl<'a> Git<'a> {
    fn new(client: &'a Client) -> Result<Self, client::Error> {
        let repo = client.repo()?;
        let base = format!("/repos/{}/{}", repo.owner, repo.name);
        Ok(Self { client, base })
    }

    /// `tags/<name>` with each segment encoded, as the ref endpoints take it.
    fn tag_ref(name: &str) -> String {
        let segments: Vec<String> = name.split('/').map(encode).collect();
        format!("tags/{}", segments.join("/"))
    }

    /// The commit `refs/tags/<name>` points at (through an annotated tag), or `None`.
    async fn resolve(&self, name: &str, step: &'static str) -> Result<Option<String>, Error> {
        let err = |source| Error::Ref {
            step,
            tag: name.to_owned(),
            source: Box::new(source),
        };
        let path = format!("{}/git/ref/{}", self.base, Self::tag_ref(name));
        let found: GitRef = match self.client.get_json(&path).await {
            Ok(r) => r,
            Err(client::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        if found.object.kind != "tag" {
            return Ok(Some(found.object.sha));
        }
        let path = format!("{}/git/tags/{}", self.base, found.object.sha);
        let tag: GitTag = self.client.get_json(&path).await.map_err(err)?;
        Ok(Some(tag.object.sha))
    }

    /// Creates the annotated tag at `target`, or accepts one there already.
    async fn ensure_tag(&self, tag: &str, target: &str) -> Result<TagState, Error> {
        let step = "creating the tag";
        let check = |existing: String| {
            if existing.eq_ignore_ascii_case(target) {
                Ok(TagState::Existing)
            } else {
                Err(Error::TagElsewhere {
                    tag: tag.to_owned(),
                    existing,
                    target: target.to_owned(),
                })
            }
        };
        if let Some(existing) = self.resolve(tag, step).await? {
            return check(existing);
        }
        let err = |source| Error::Ref {
            step,
            tag: tag.to_owned(),
            source: Box::new(source),
        };
        let path = format!("{}/git/tags", self.base);
        let object = json!({ "tag": tag, "message": tag, "object": target, "type": "commit" });
        let created: GitTag = self
            .client
            .send(Method::POST, &path, Some(&object))
            .await
            .and_then(|r| r.json(&path))
            .map_err(err)?;
        let path = format!("{}/git/refs", self.base);
        let reference = json!({ "ref": format!("refs/tags/{tag}"), "sha": created.sha });
        match self
            .client
            .send(Method::POST, &path, Some(&reference))
            .await
        {
            Ok(_) => Ok(TagState::Created),
            // 422 `Reference already exists`: another run made it between our read and write.
            Err(client::Error::Status { status, .. })
                if status == StatusCode::UNPROCESSABLE_ENTITY =>
            {
                match self.resolve(tag, step).await? {
                    Some(existing) => check(existing),
                    None => Err(err(client::Error::Status {
                        status,
                        method: Method::POST,
                        path,
                        message: "the reference could not be created".into(),
                    })),
                }
            }
            Err(e) => Err(err(e)),
        }
    }

    /// Points the lightweight tag `name` at `target`: created, moved with `force`, or left.
    async fn move_tag(&self, name: &str, target: &str) -> Result<(), Error> {
        let step = "moving the floating tag";
        let err = |source| Error::Ref {
            step,
            tag: name.to_owned(),
            source: Box::new(source),
        };
        match self.resolve(name, step).await? {
            Some(existing) if existing.eq_ignore_ascii_case(target) => Ok(()),
            Some(_) => {
                let path = format!("{}/git/refs/{}", self.base, Self::tag_ref(name));
                let body = json!({ "sha": target, "force": true });
                self.client
                    .send(Method::PATCH, &path, Some(&body))
                    .await
                    .map(drop)
                    .map_err(err)
            }
            None => {
                let path = format!("{}/git/refs", self.base);
                let body = json!({ "ref": format!("refs/tags/{name}"), "sha": target });
                self.client
                    .send(Method::POST, &path, Some(&body))
                    .await
                    .map(drop)
                    .map_err(err)
            }
        }
    }

    /// Starts `workflow` at `tag` with `environment: release` (answered with 204).
    async fn dispatch(&self, workflow: &str, tag: &str) -> Result<(), Error> {
        let path = format!(
            "{}/actions/workflows/{}/dispatches",
            self.base,
            encode(workflow)
        );
        let (input, value) = DISPATCH_INPUT;
        let body = json!({ "ref": tag, "inputs": { input: value } });
        self.client
            .send(Method::POST, &path, Some(&body))
            .await
            .map(drop)
            .map_err(|source| Error::Dispatch {
                workflow: workflow.to_owned(),
                tag: tag.to_owned(),
                source: Box::new(source),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tag_splits_into_prefix_and_version() {
        let (p, v) = split_tag("v1.3.0").unwrap();
        assert_eq!((p, v.to_string()), ("v", "1.3.0".to_owned()));
        let (p, v) = split_tag("1.0.0").unwrap();
        assert_eq!((p, v.to_string()), ("", "1.0.0".to_owned()));
        let (p, v) = split_tag("tool2-v10.1.0").unwrap();
        assert_eq!((p, v.to_string()), ("tool2-v", "10.1.0".to_owned()));
        assert!(split_tag("v1.3").is_none());
    }

    #[test]
    fn only_full_hex_shas_are_targets() {
        assert!(is_sha("c3d0be41ecbe669545ee3e94d31ed9a4bc91ee3c"));
        assert!(!is_sha("main"));
        assert!(!is_sha("c3d0be4"));
    }

    #[test]
    fn an_assets_dir_with_sha256sums_is_read_once_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.tar.gz"), "bee").unwrap();
        std::fs::write(dir.path().join("a.tar.gz"), "ay").unwrap();
        let sums = publish::checksums(&[Asset {
            name: "a.tar.gz".into(),
            bytes: b"ay".to_vec(),
        }]);
        std::fs::write(dir.path().join("SHA256SUMS"), &sums).unwrap();
        let names: Vec<String> = read_assets(dir.path())
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["a.tar.gz", "b.tar.gz"]);
        std::fs::write(dir.path().join("a.tar.gz"), "changed").unwrap();
        let err = read_assets(dir.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`a.tar.gz` does not match its checksum in `SHA256SUMS`"
        );
    }
}
