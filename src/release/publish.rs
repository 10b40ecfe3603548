//! The GitHub release, published in an order that never shows it without its assets:
//! create it as a draft, upload each asset and a `SHA256SUMS` file, then publish it.
//!
//! Follows the REST docs for releases and release assets
//! (<https://docs.github.com/en/rest/releases/releases>,
//! <https://docs.github.com/en/rest/releases/assets>). Drafts have no tag yet and are not
//! returned by "get a release by tag name", so an existing release is found by listing. A
//! re-run after a failure at any step resumes: it finds the draft, skips assets already
//! uploaded with the same sha256 (the `digest` GitHub reports), replaces the ones that differ,
//! and never creates a second release. Only stable releases are marked latest
//! (`make_latest`); pre-releases are marked `prerelease`. The token needs `contents: write`
//! (<https://docs.github.com/en/rest/authentication/permissions-required-for-github-apps#repository-permissions-for-contents>).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use http::{Method, StatusCode, Uri};
use octocrab::Octocrab;
use octocrab::service::middleware::retry::RetryConfig;
use serde::Deserialize;
use serde_json::json;

use crate::error::Hint;
use crate::generate::files::sha256_hex;
use crate::github::client::{self, Client, Clock, Release, SystemClock, encode};

/// The name of the checksum file attached to every release with assets.
pub const CHECKSUMS: &str = "SHA256SUMS";

/// What publishing can fail on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A GitHub API call failed.
    #[error(transparent)]
    Api(#[from] client::Error),
    /// An asset could not be read.
    #[error("reading the asset `{}`", path.display())]
    ReadAsset {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// Two assets have the same file name.
    #[error("two assets are named `{0}`")]
    DuplicateAsset(String),
    /// The upload client could not be built.
    #[error("could not set up the upload client")]
    Build(#[source] Box<octocrab::Error>),
    /// An upload URL that is not on GitHub's hosts.
    #[error("the upload URL `{0}` is not on the API host or its uploads host")]
    ForeignUpload(String),
    /// An upload was refused.
    #[error("uploading `{name}` failed: GitHub answered `{status}`: {message}")]
    Upload {
        /// The asset.
        name: String,
        /// The status.
        status: StatusCode,
        /// GitHub's message.
        message: String,
    },
    /// An upload never got an answer.
    #[error("uploading `{name}` failed")]
    UploadNetwork {
        /// The asset.
        name: String,
        /// What failed.
        #[source]
        source: Box<octocrab::Error>,
    },
    /// Creating the release was refused as a duplicate, yet no release has the tag.
    #[error("GitHub says a release for `{0}` exists, but none was found")]
    Vanished(String),
    /// No async runtime could be started.
    #[error("could not start the async runtime")]
    Runtime(#[source] std::io::Error),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Api(client::Error::Forbidden { .. })
            | Self::Upload {
                status: StatusCode::FORBIDDEN,
                ..
            } => Some(
                "the token lacks `contents: write`: add `permissions: { contents: write }` to the release job"
                    .into(),
            ),
            Self::Api(e) => e.hint(),
            Self::DuplicateAsset(_) => Some("give each asset a distinct file name".into()),
            Self::Upload { .. } | Self::UploadNetwork { .. } => Some(
                "run slipway release again: it resumes the draft and skips assets already uploaded"
                    .into(),
            ),
            _ => None,
        }
    }
}

/// A file to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Asset {
    /// The file name on the release.
    pub name: String,
    /// The contents.
    pub bytes: Vec<u8>,
}

impl Asset {
    /// Reads each file; names are the file names and must be distinct.
    pub fn read_all(paths: &[PathBuf]) -> Result<Vec<Self>, Error> {
        let mut out: Vec<Self> = Vec::new();
        for path in paths {
            let bytes = std::fs::read(path).map_err(|source| Error::ReadAsset {
                path: path.clone(),
                source,
            })?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string());
            if out.iter().any(|a| a.name == name) || name == CHECKSUMS {
                return Err(Error::DuplicateAsset(name));
            }
            out.push(Self { name, bytes });
        }
        Ok(out)
    }
}

/// The `SHA256SUMS` file for `assets`, as `sha256sum` writes it (sorted by name).
///
/// ```
/// use slipway::release::publish::{checksums, Asset};
/// let a = Asset { name: "a.txt".into(), bytes: b"hi\n".to_vec() };
/// assert_eq!(checksums(&[a]), "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4  a.txt\n");
/// ```
pub fn checksums(assets: &[Asset]) -> String {
    let mut lines: Vec<String> = assets
        .iter()
        .map(|a| format!("{}  {}\n", sha256_hex(&a.bytes), a.name))
        .collect();
    lines.sort_by(|a, b| a.get(66..).cmp(&b.get(66..)));
    lines.concat()
}

/// The single-threaded runtime a synchronous caller publishes on.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(Error::Runtime)
}

/// What to publish.
#[derive(Debug, Clone)]
pub struct Request {
    /// The tag, pushed already, e.g. `v1.3.0`.
    pub tag: String,
    /// The release title.
    pub name: String,
    /// The body (the changelog section).
    pub body: String,
    /// A pre-release: marked as such and never latest.
    pub prerelease: bool,
    /// The commit GitHub creates the tag at when the release is published and the tag does not
    /// exist yet (`target_commitish`); `None` when the tag is pushed first.
    pub target: Option<String>,
    /// The assets; `SHA256SUMS` is added when there are any.
    pub assets: Vec<Asset>,
}

/// What was published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// The release id.
    pub id: u64,
    /// The release page.
    pub html_url: String,
    /// An existing draft or release was reused.
    pub resumed: bool,
    /// Assets uploaded by this run.
    pub uploaded: Vec<String>,
    /// Assets already there with the same checksum.
    pub kept: Vec<String>,
}

/// A draft with its assets, ready to publish ([`Publisher::stage`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staged {
    /// The release id.
    pub id: u64,
    /// Still a draft (`false`: an earlier run published it).
    pub draft: bool,
    /// What was done so far.
    pub published: Published,
}

/// A release asset (the fields we use).
#[derive(Debug, Clone, Deserialize)]
struct RemoteAsset {
    id: u64,
    name: String,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    digest: Option<String>,
}

/// Publishes releases: the API client and an upload client for binary bodies.
pub struct Publisher {
    client: Client,
    upload: Octocrab,
    api: Uri,
    clock: Arc<dyn Clock>,
    retries: u32,
}

impl std::fmt::Debug for Publisher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Publisher")
            .field("client", &self.client)
            .finish_non_exhaustive()
    }
}

impl Publisher {
    /// A publisher from `GITHUB_TOKEN`/`GH_TOKEN`, `GITHUB_API_URL` and `GITHUB_REPOSITORY`.
    pub fn from_env() -> Result<Self, Error> {
        let settings = client::Settings::from_env()?;
        if settings.repository.is_none() {
            return Err(client::Error::MissingRepository.into());
        }
        Self::new(settings, Arc::new(SystemClock))
    }

    /// A publisher from explicit settings and a clock (tests pass a fake one). Call it inside
    /// a tokio runtime (see [`runtime`]): the HTTP clients start their workers there.
    pub fn new(settings: client::Settings, clock: Arc<dyn Clock>) -> Result<Self, Error> {
        let api: Uri = settings
            .api_url
            .trim_end_matches('/')
            .parse()
            .map_err(|_| client::Error::InvalidApiUrl(settings.api_url.clone()))?;
        let upload = Octocrab::builder()
            .personal_token(settings.token.expose().to_owned())
            .add_retry_config(RetryConfig::None)
            .set_connect_timeout(Some(settings.connect_timeout))
            .set_read_timeout(Some(Duration::from_secs(600)))
            .build()
            .map_err(|e| Error::Build(Box::new(e)))?;
        let retries = settings.retry.max_server_retries;
        let client = Client::new(settings)?.with_clock(clock.clone());
        Ok(Self {
            client,
            upload,
            api,
            clock,
            retries,
        })
    }

    fn releases_path(&self) -> Result<String, Error> {
        let repo = self.client.repo()?;
        Ok(format!("/repos/{}/{}/releases", repo.owner, repo.name))
    }

    /// The release (draft or not) whose tag is `tag`, if any.
    async fn find(&self, tag: &str) -> Result<Option<Release>, Error> {
        let path = format!("{}?per_page=100", self.releases_path()?);
        let releases: Vec<Release> = self.client.paginate(&path, 1000, Some).await?;
        Ok(releases.into_iter().find(|r| r.tag_name == tag))
    }

    /// Creates the draft, uploads the assets and `SHA256SUMS`, then publishes; resumes a draft
    /// left by an earlier run and does nothing to a release that is published already.
    pub async fn publish(&self, request: &Request) -> Result<Published, Error> {
        let staged = self.stage(request).await?;
        self.finish(request, staged).await
    }

    /// Whether the release of `tag` is published: `None` when there is none, `Some(false)` for
    /// a draft.
    pub async fn state(&self, tag: &str) -> Result<Option<bool>, Error> {
        Ok(self.find(tag).await?.map(|r| !r.draft))
    }

    /// The first half of [`Self::publish`]: the draft (found or created) with every asset and
    /// `SHA256SUMS` uploaded. Nothing is public yet.
    pub async fn stage(&self, request: &Request) -> Result<Staged, Error> {
        let releases = self.releases_path()?;
        let (release, resumed) = match self.find(&request.tag).await? {
            Some(r) => (r, true),
            None => {
                let body = json!({
                    "tag_name": request.tag,
                    "name": request.name,
                    "body": request.body,
                    "draft": true,
                    "prerelease": request.prerelease,
                });
                let mut body = body;
                if let Some(target) = &request.target {
                    body["target_commitish"] = json!(target);
                }
                match self.client.send(Method::POST, &releases, Some(&body)).await {
                    Ok(resp) => (resp.json::<Release>(&releases)?, false),
                    // 422 `already_exists`: another run created it between our list and create.
                    Err(client::Error::Status { status, .. })
                        if status == StatusCode::UNPROCESSABLE_ENTITY =>
                    {
                        match self.find(&request.tag).await? {
                            Some(r) => (r, true),
                            None => return Err(Error::Vanished(request.tag.clone())),
                        }
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        let mut published = Published {
            id: release.id,
            html_url: release.html_url.clone(),
            resumed,
            uploaded: Vec::new(),
            kept: Vec::new(),
        };
        if !release.draft {
            // Published by an earlier run: assets of a published release are left alone.
            return Ok(Staged {
                id: release.id,
                draft: false,
                published,
            });
        }
        let mut assets = request.assets.clone();
        if !assets.is_empty() {
            assets.push(Asset {
                name: CHECKSUMS.to_owned(),
                bytes: checksums(&request.assets).into_bytes(),
            });
        }
        let list = format!("{releases}/{}/assets?per_page=100", release.id);
        let remote: Vec<RemoteAsset> = if assets.is_empty() {
            Vec::new()
        } else {
            self.client.paginate(&list, 1000, Some).await?
        };
        for asset in &assets {
            let digest = format!("sha256:{}", sha256_hex(&asset.bytes));
            if let Some(existing) = remote.iter().find(|r| r.name == asset.name) {
                let complete = existing.state.as_deref().is_none_or(|s| s == "uploaded");
                if complete && existing.digest.as_deref() == Some(digest.as_str()) {
                    published.kept.push(asset.name.clone());
                    continue;
                }
                // A different or half-uploaded file with the name: replace it.
                self.client
                    .send(
                        Method::DELETE,
                        &format!("{releases}/assets/{}", existing.id),
                        None,
                    )
                    .await?;
            }
            self.upload(&release, asset).await?;
            published.uploaded.push(asset.name.clone());
        }
        Ok(Staged {
            id: release.id,
            draft: true,
            published,
        })
    }

    /// The second half of [`Self::publish`]: publishes a staged draft (a published release is
    /// left as it is). With a `target`, GitHub creates the tag there if it does not exist.
    pub async fn finish(&self, request: &Request, staged: Staged) -> Result<Published, Error> {
        let mut published = staged.published;
        if !staged.draft {
            return Ok(published);
        }
        let releases = self.releases_path()?;
        let mut body = json!({
            "draft": false,
            "prerelease": request.prerelease,
            "make_latest": if request.prerelease { "false" } else { "true" },
        });
        if let Some(target) = &request.target {
            body["target_commitish"] = json!(target);
        }
        let path = format!("{releases}/{}", staged.id);
        let resp = self.client.send(Method::PATCH, &path, Some(&body)).await?;
        let release: Release = resp.json(&path)?;
        published.html_url = release.html_url;
        Ok(published)
    }

    /// Uploads one asset to the release's `upload_url`, retrying 5xx and network errors.
    async fn upload(&self, release: &Release, asset: &Asset) -> Result<(), Error> {
        let template = release
            .upload_url
            .split('{')
            .next()
            .unwrap_or(&release.upload_url);
        let url: Uri = template
            .parse()
            .map_err(|_| Error::ForeignUpload(template.to_owned()))?;
        // NOTE: the token goes only to the API host or its `uploads.` sibling
        // (uploads.github.com, or the same host on GitHub Enterprise Server).
        let api_host = self.api.host().unwrap_or_default();
        let host_ok = url.host().is_some_and(|h| {
            h == api_host
                || h == "uploads.github.com"
                || h.strip_prefix("uploads.") == Some(api_host)
        });
        if !host_ok {
            return Err(Error::ForeignUpload(template.to_owned()));
        }
        let target = format!("{template}?name={}", encode(&asset.name));
        let mut attempt = 0u32;
        loop {
            let request = http::Request::builder()
                .method(Method::POST)
                .uri(&target)
                .header(http::header::ACCEPT, "application/vnd.github+json")
                .header("x-github-api-version", client::API_VERSION)
                .header(http::header::USER_AGENT, client::USER_AGENT)
                .header(http::header::CONTENT_TYPE, "application/octet-stream")
                .body(asset.bytes.clone())
                .map_err(|source| client::Error::Request {
                    path: target.clone(),
                    source,
                })?;
            let wait = Duration::from_secs(1u64 << attempt.min(5));
            match self.upload.execute(request).await {
                Ok(resp) => {
                    let status = resp.status();
                    if status.is_success() {
                        return Ok(());
                    }
                    let body = self.upload.body_to_string(resp).await.unwrap_or_default();
                    if status.is_server_error() && attempt < self.retries {
                        attempt += 1;
                        self.clock.sleep(wait).await;
                        continue;
                    }
                    let message = serde_json::from_str::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| v.get("message")?.as_str().map(str::to_owned))
                        .unwrap_or(body);
                    return Err(Error::Upload {
                        name: asset.name.clone(),
                        status,
                        message,
                    });
                }
                Err(source) => {
                    if attempt < self.retries {
                        attempt += 1;
                        self.clock.sleep(wait).await;
                        continue;
                    }
                    return Err(Error::UploadNetwork {
                        name: asset.name.clone(),
                        source: Box::new(source),
                    });
                }
            }
        }
    }
}
