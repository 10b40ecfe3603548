//! The release pull request (`release.trigger: pr`): one branch, one pull request, opened or
//! updated on each push to the default branch, carrying the version bump of every manifest and
//! the changelog section. Its commit is made through the Git Data API (blob per file, a tree on
//! the base commit's tree, a commit, the branch ref) so that GitHub signs it
//! (<https://docs.github.com/en/rest/git/blobs>, <https://docs.github.com/en/rest/git/trees>,
//! <https://docs.github.com/en/rest/git/commits>, <https://docs.github.com/en/rest/git/refs>,
//! <https://docs.github.com/en/rest/pulls/pulls>). Merging it brings the release commit to
//! the default branch, where `release plan` and `release publish` tag and publish as usual.
//!
//! Everything that can be refused is checked before the first write: every manifest is read
//! and bumped in memory, the default branch must still be at the checked-out commit, and an
//! existing release branch must hold only slipway's commit (a hand-edited release pull request
//! is not overwritten).

use std::path::PathBuf;

use http::Method;
use semver::Version;
use serde::Deserialize;
use serde_json::json;

use super::{changelog, manifests};
use crate::error::Hint;
use crate::github::client::{self, Client, encode};

/// The subject every release-branch commit starts with.
pub const SUBJECT_PREFIX: &str = "chore(release): ";

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
    /// The tag of the next version, e.g. `v1.3.0`.
    pub tag: String,
    /// The version being released from (`0.0.0` for a first release).
    pub previous: String,
    /// The next version.
    pub next: Version,
    /// The changelog file, relative to the root.
    pub changelog: String,
    /// The changelog section of the release.
    pub notes: String,
    /// `release.extra-files`.
    pub extra_files: Vec<String>,
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
            Self::Api { source, .. } => source.hint(),
            Self::Read { .. } => None,
        }
    }
}

/// The files of the release commit: the changelog with the new section on top, and every
/// manifest with its version bumped (files already at the new version are left out).
pub fn changes(input: &Input) -> Result<Vec<FileChange>, Error> {
    let read = |rel: &str| -> Result<Option<String>, Error> {
        match std::fs::read_to_string(input.root.join(rel)) {
            Ok(t) => Ok(Some(t)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::Read {
                path: rel.to_owned(),
                source,
            }),
        }
    };
    let mut out = Vec::new();
    let existing = read(&input.changelog)?;
    out.push(FileChange {
        path: input.changelog.clone(),
        text: changelog::prepend(existing.as_deref(), &input.notes),
    });
    for rel in manifests::find(&input.root, &input.extra_files)? {
        let Some(text) = read(&rel)? else { continue };
        let bumped = manifests::bump(&rel, &text, &input.previous, &input.next)?;
        if bumped.text != text {
            out.push(FileChange {
                path: rel,
                text: bumped.text,
            });
        }
    }
    Ok(out)
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
    let message = format!("{SUBJECT_PREFIX}{}", input.tag);
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
    let body = format!(
        "This pull request releases `{}` when merged.\n\nFiles: {}\n\n{}",
        input.tag,
        files
            .iter()
            .map(|f| format!("`{}`", f.path))
            .collect::<Vec<_>>()
            .join(", "),
        input.notes
    );
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

fn api(step: &'static str, source: client::Error) -> Error {
    Error::Api {
        step,
        source: Box::new(source),
    }
}
