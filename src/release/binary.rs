//! slipway's own binary release: the source digest that ties a release archive to the sources
//! it was built from, and `slipway release pin-binary`, which records a published release's
//! version, digest and archive sums in `scripts/release-checksums.txt` through a pull request.
//!
//! The commit of that pull request is made with the Git Data API
//! (<https://docs.github.com/en/rest/git/blobs#create-a-blob>, `trees`, `commits`, `refs`) and
//! no author or committer, so GitHub signs it; then
//! <https://docs.github.com/en/rest/pulls/pulls#create-a-pull-request> opens the pull request.
//! `scripts/install.sh` computes the same digest over the action's checkout and uses the pinned
//! archive only when both agree: a commit between two releases builds from its own sources.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use http::{Method, StatusCode};
use semver::Version;
use serde::Deserialize;
use serde_json::json;

use crate::error::Hint;
use crate::generate::files::sha256_hex;
use crate::github::client::{self, Client, Clock, SystemClock, encode};

/// The file install.sh reads, relative to the repository root.
pub const PIN_FILE: &str = "scripts/release-checksums.txt";

/// The targets install.sh knows, in the order the pin file lists them.
pub const TARGETS: [&str; 5] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

/// Files at the root that are build inputs.
const ROOT_FILES: [&str; 5] = [
    "Cargo.toml",
    "Cargo.lock",
    "build.rs",
    "rust-toolchain",
    "rust-toolchain.toml",
];
/// Directories whose every file is a build input (or must agree with the binary).
const INPUT_DIRS: [&str; 4] = ["src", "templates", "actions", "scripts"];

/// Why a digest or a pin failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file of the sources could not be read.
    #[error("reading `{}`", path.display())]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A path the shell digest would spell differently (`sha256sum` escapes `\` and newlines).
    #[error("`{0}` has a backslash or a newline in its name")]
    OddName(String),
    /// The version is not SemVer.
    #[error("`--version {0}` is not a semantic version")]
    BadVersion(String),
    /// The sums file lists no archive of a known target.
    #[error("`{}` lists no slipway-{version}-<target> archive", path.display())]
    NoArchives {
        /// The sums file.
        path: PathBuf,
        /// The version.
        version: String,
    },
    /// A sums line is not `<64 hex>  <name>`.
    #[error("`{}` line {line}: expected `<sha256>  <file>`", path.display())]
    BadSums {
        /// The sums file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
    },
    /// The token or repository is missing or invalid.
    #[error(transparent)]
    Setup(Box<client::Error>),
    /// An API call failed.
    #[error("{step}")]
    Api {
        /// What was being done.
        step: &'static str,
        /// The API error.
        #[source]
        source: Box<client::Error>,
    },
    /// No async runtime could be started.
    #[error("starting the async runtime")]
    Runtime(#[source] std::io::Error),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::BadVersion(_) => Some("pass the released version, e.g. `--version 1.3.0`".into()),
            Self::NoArchives { .. } => Some(
                "pass the release's SHA256SUMS, whose lines name slipway-<version>-<target>.tar.gz or .zip".into(),
            ),
            Self::Setup(e) => e.hint(),
            Self::Api { source, .. } if matches!(**source, client::Error::Forbidden { .. }) => Some(
                "the token needs `contents: write` and `pull-requests: write` (and the repository must allow Actions to create pull requests)".into(),
            ),
            Self::Api { source, .. } => source.hint(),
            _ => None,
        }
    }
}

/// The digest of `root`'s build inputs: sha256 of the `sha256sum` lines (`<hex>  <path>\n`) of
/// [`ROOT_FILES`] and every regular file under [`INPUT_DIRS`] except [`PIN_FILE`], sorted
/// bytewise by path. `scripts/install.sh` (`source_digest`) computes the same.
pub fn source_digest(root: &Path) -> Result<String, Error> {
    let mut paths = Vec::new();
    for name in ROOT_FILES {
        let path = root.join(name);
        let meta = std::fs::symlink_metadata(&path);
        if meta.is_ok_and(|m| m.is_file()) {
            paths.push(name.to_owned());
        }
    }
    for dir in INPUT_DIRS {
        collect(root, Path::new(dir), &mut paths)?;
    }
    paths.retain(|p| p != PIN_FILE);
    paths.sort();
    let mut lines = String::new();
    for rel in &paths {
        if rel.contains(['\\', '\n']) {
            return Err(Error::OddName(rel.clone()));
        }
        let path = root.join(rel);
        let bytes = std::fs::read(&path).map_err(|source| Error::Read { path, source })?;
        lines.push_str(&sha256_hex(&bytes));
        lines.push_str("  ");
        lines.push_str(rel);
        lines.push('\n');
    }
    Ok(sha256_hex(lines.as_bytes()))
}

/// Regular files under `root/rel` (symlinks are not followed, as `find -type f`).
fn collect(root: &Path, rel: &Path, out: &mut Vec<String>) -> Result<(), Error> {
    let dir = root.join(rel);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(source) => return Err(Error::Read { path: dir, source }),
    };
    for entry in entries {
        let entry = entry.map_err(|source| Error::Read {
            path: dir.clone(),
            source,
        })?;
        let kind = entry.file_type().map_err(|source| Error::Read {
            path: entry.path(),
            source,
        })?;
        let child = rel.join(entry.file_name());
        if kind.is_dir() {
            collect(root, &child, out)?;
        } else if kind.is_file() {
            let Some(text) = child.to_str() else {
                return Err(Error::OddName(child.display().to_string()));
            };
            out.push(text.replace(std::path::MAIN_SEPARATOR, "/"));
        }
    }
    Ok(())
}

/// The pin file for `version`: its comment, `version`, `source` and one `sha256sum` line per
/// archive of a known target found in `sums` (the release's `SHA256SUMS`).
pub fn pin_file(
    version: &str,
    source: &str,
    sums: &str,
    sums_path: &Path,
) -> Result<String, Error> {
    let mut found = Vec::new();
    for (i, line) in sums.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || Error::BadSums {
            path: sums_path.to_path_buf(),
            line: i + 1,
        };
        let (hash, name) = line.split_once(' ').ok_or_else(bad)?;
        let name = name.trim_start_matches([' ', '*']);
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        for (order, target) in TARGETS.iter().enumerate() {
            let ext = if target.contains("windows") {
                "zip"
            } else {
                "tar.gz"
            };
            if name == format!("slipway-{version}-{target}.{ext}") {
                found.push((order, hash.to_ascii_lowercase(), name.to_owned()));
            }
        }
    }
    if found.is_empty() {
        return Err(Error::NoArchives {
            path: sums_path.to_path_buf(),
            version: version.to_owned(),
        });
    }
    found.sort();
    found.dedup_by(|a, b| a.0 == b.0);
    let mut out = String::from(
        "# The slipway release that the composite actions install (read by scripts/install.sh),\n\
         # written by `slipway release pin-binary` after the release workflow published it.\n\
         #\n\
         # `version` is the release; `source` the digest of the build inputs it was built from\n\
         # (install.sh uses an archive only when its checkout has the same digest, so a commit\n\
         # between two releases builds from its own sources); each other line is\n\
         # `<sha256>  <archive>` in `sha256sum` format, as in the release's SHA256SUMS.\n",
    );
    out.push_str(&format!("version {version}\nsource {source}\n"));
    for (_, hash, name) in found {
        out.push_str(&format!("{hash}  {name}\n"));
    }
    Ok(out)
}

/// What `slipway release pin-binary` is asked to do.
#[derive(Debug, Clone)]
pub struct PinSettings {
    /// The released version, e.g. `1.3.0`.
    pub version: String,
    /// The release's `SHA256SUMS`.
    pub sums: PathBuf,
    /// The checkout of the released commit (for the source digest).
    pub source_dir: PathBuf,
    /// The branch the pull request targets, e.g. `main`.
    pub base: String,
}

/// What a pin did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinOutcome {
    /// The branch the commit is on.
    pub branch: String,
    /// The commit made (signed by GitHub).
    pub commit: String,
    /// The pull request's URL; `None` when one was open already for the branch.
    pub pull_request: Option<String>,
}

/// Runs `slipway release pin-binary` with the token and repository from the environment.
pub fn pin(settings: &PinSettings) -> Result<PinOutcome, Error> {
    let client_settings = client::Settings::from_env().map_err(|e| Error::Setup(Box::new(e)))?;
    if client_settings.repository.is_none() {
        return Err(Error::Setup(Box::new(client::Error::MissingRepository)));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)?;
    runtime.block_on(pin_with(settings, client_settings, Arc::new(SystemClock)))
}

#[derive(Deserialize)]
struct Sha {
    sha: String,
}

#[derive(Deserialize)]
struct Ref {
    object: Sha,
}

#[derive(Deserialize)]
struct Commit {
    tree: Sha,
}

#[derive(Deserialize)]
struct Pull {
    html_url: String,
}

/// [`pin`] with explicit client settings and clock (tests pass a mock server).
pub async fn pin_with(
    settings: &PinSettings,
    client_settings: client::Settings,
    clock: Arc<dyn Clock>,
) -> Result<PinOutcome, Error> {
    let version = Version::parse(&settings.version)
        .map_err(|_| Error::BadVersion(settings.version.clone()))?
        .to_string();
    let sums = std::fs::read_to_string(&settings.sums).map_err(|source| Error::Read {
        path: settings.sums.clone(),
        source,
    })?;
    let digest = source_digest(&settings.source_dir)?;
    let content = pin_file(&version, &digest, &sums, &settings.sums)?;

    let client = Client::new(client_settings)
        .map_err(|e| Error::Setup(Box::new(e)))?
        .with_clock(clock);
    let repo = client.repo().map_err(|e| Error::Setup(Box::new(e)))?;
    let base = format!("/repos/{}/{}", repo.owner, repo.name);
    let api = |step| {
        move |source| Error::Api {
            step,
            source: Box::new(source),
        }
    };
    let branch = format!("slipway/pin-binary-{version}");

    let path = format!("{base}/git/ref/heads/{}", encode_ref(&settings.base));
    let head: Ref = client
        .get_json(&path)
        .await
        .map_err(api("reading the base branch"))?;
    let path = format!("{base}/git/commits/{}", head.object.sha);
    let parent: Commit = client
        .get_json(&path)
        .await
        .map_err(api("reading the base commit"))?;
    let path = format!("{base}/git/blobs");
    let blob: Sha = client
        .send(
            Method::POST,
            &path,
            Some(&json!({ "content": content, "encoding": "utf-8" })),
        )
        .await
        .and_then(|r| r.json(&path))
        .map_err(api("creating the blob"))?;
    let path = format!("{base}/git/trees");
    let tree: Sha = client
        .send(
            Method::POST,
            &path,
            Some(&json!({
                "base_tree": parent.tree.sha,
                "tree": [{ "path": PIN_FILE, "mode": "100644", "type": "blob", "sha": blob.sha }],
            })),
        )
        .await
        .and_then(|r| r.json(&path))
        .map_err(api("creating the tree"))?;
    // No author nor committer: GitHub makes the commit and signs it.
    let message = format!(
        "release: install slipway {version} from its release archives\n\nVersion, source digest and archive sums of the {version} release in {PIN_FILE}."
    );
    let path = format!("{base}/git/commits");
    let commit: Sha = client
        .send(
            Method::POST,
            &path,
            Some(&json!({ "message": message, "tree": tree.sha, "parents": [head.object.sha] })),
        )
        .await
        .and_then(|r| r.json(&path))
        .map_err(api("creating the commit"))?;
    let path = format!("{base}/git/refs");
    let created = client
        .send(
            Method::POST,
            &path,
            Some(&json!({ "ref": format!("refs/heads/{branch}"), "sha": commit.sha })),
        )
        .await;
    match created {
        Ok(_) => {}
        // A re-run: the branch is there from the first attempt; point it at the new commit.
        Err(client::Error::Status { status, .. }) if status == StatusCode::UNPROCESSABLE_ENTITY => {
            let path = format!("{base}/git/refs/heads/{}", encode_ref(&branch));
            client
                .send(
                    Method::PATCH,
                    &path,
                    Some(&json!({ "sha": commit.sha, "force": true })),
                )
                .await
                .map_err(api("updating the branch"))?;
        }
        Err(e) => return Err(api("creating the branch")(e)),
    }
    let path = format!("{base}/pulls");
    let body = format!(
        "Pins the slipway {version} release in `{PIN_FILE}`: the composite actions then install its verified archives instead of building slipway.\n\nMade by `slipway release pin-binary` after the release was published."
    );
    let opened = client
        .send(
            Method::POST,
            &path,
            Some(&json!({
                "title": format!("release: install slipway {version} from its release archives"),
                "head": branch,
                "base": settings.base,
                "body": body,
            })),
        )
        .await;
    let pull_request = match opened {
        Ok(r) => Some(
            r.json::<Pull>(&path)
                .map_err(api("opening the pull request"))?
                .html_url,
        ),
        // `A pull request already exists`: the re-run updated its branch.
        Err(client::Error::Status { status, .. }) if status == StatusCode::UNPROCESSABLE_ENTITY => {
            None
        }
        Err(e) => return Err(api("opening the pull request")(e)),
    };
    Ok(PinOutcome {
        branch,
        commit: commit.sha,
        pull_request,
    })
}

/// A branch name with each segment encoded, as the ref endpoints take it.
fn encode_ref(name: &str) -> String {
    name.split('/').map(encode).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_covers_build_inputs_but_not_the_pin_file_nor_docs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("src/a")).unwrap();
        std::fs::create_dir_all(root.join("scripts")).unwrap();
        std::fs::write(root.join("Cargo.toml"), "[package]\n").unwrap();
        std::fs::write(root.join("src/a/b.rs"), "fn b() {}\n").unwrap();
        std::fs::write(root.join("scripts/release-checksums.txt"), "version 1\n").unwrap();
        let first = source_digest(root).unwrap();
        assert_eq!(first.len(), 64);
        std::fs::write(root.join("README.md"), "docs").unwrap();
        std::fs::write(root.join("scripts/release-checksums.txt"), "version 2\n").unwrap();
        assert_eq!(source_digest(root).unwrap(), first);
        std::fs::write(root.join("src/a/b.rs"), "fn b() { }\n").unwrap();
        assert_ne!(source_digest(root).unwrap(), first);
    }

    #[test]
    fn the_pin_file_lists_known_targets_in_order_and_refuses_bad_sums() {
        let a = "a".repeat(64);
        let b = "B".repeat(64);
        let sums = format!(
            "{a}  slipway-1.2.0-x86_64-pc-windows-msvc.zip\n{b} *slipway-1.2.0-x86_64-unknown-linux-musl.tar.gz\n{a}  other.tar.gz\n"
        );
        let text = pin_file("1.2.0", "d1g", &sums, Path::new("SUMS")).unwrap();
        let body: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(
            body,
            [
                "version 1.2.0".to_owned(),
                "source d1g".to_owned(),
                format!(
                    "{}  slipway-1.2.0-x86_64-unknown-linux-musl.tar.gz",
                    "b".repeat(64)
                ),
                format!("{a}  slipway-1.2.0-x86_64-pc-windows-msvc.zip"),
            ]
        );
        let err = pin_file("1.2.0", "d", "zz  x\n", Path::new("SUMS")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`SUMS` line 1: expected `<sha256>  <file>`"
        );
        let err = pin_file("1.3.0", "d", &sums, Path::new("SUMS")).unwrap_err();
        assert!(matches!(err, Error::NoArchives { .. }), "{err}");
    }
}
