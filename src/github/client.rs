//! The GitHub REST client: octocrab (rustls only) with our own retries, errors and paging.
//!
//! [`Client::from_env`] reads `GITHUB_TOKEN` (or `GH_TOKEN`), `GITHUB_API_URL` (default
//! `https://api.github.com`; GitHub Enterprise Server URLs such as
//! `https://ghe.example.com/api/v3` work) and `GITHUB_REPOSITORY` (`owner/name`). Every request
//! sends `Accept: application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28` and a
//! `slipway/<version>` user agent.
//!
//! octocrab's own retry layer is off; [`Client::send`] retries by the rules of
//! <https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api>
//! (see [`decide`]), sleeping through a [`Clock`] that tests replace with a [`FakeClock`].
//! Pagination follows `Link: <…>; rel="next"`
//! (<https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api>).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, Method, StatusCode, Uri};
use octocrab::Octocrab;
use octocrab::service::middleware::retry::RetryConfig;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::mask::Secret;
use crate::error::Hint;

/// The token variable the Actions runner documents.
pub const ENV_TOKEN: &str = "GITHUB_TOKEN";
/// The token variable of the `gh` CLI, accepted as a fallback.
pub const ENV_GH_TOKEN: &str = "GH_TOKEN";
/// The REST API root, set by the runner (differs on GitHub Enterprise Server).
pub const ENV_API_URL: &str = "GITHUB_API_URL";
/// `owner/name` of the repository the workflow runs for.
pub const ENV_REPOSITORY: &str = "GITHUB_REPOSITORY";
/// The API root of github.com.
pub const DEFAULT_API_URL: &str = "https://api.github.com";
/// The REST API version we speak.
pub const API_VERSION: &str = "2022-11-28";
/// The user agent: `slipway/<version>`.
pub const USER_AGENT: &str = concat!("slipway/", env!("CARGO_PKG_VERSION"));

/// What talking to the GitHub API can fail on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Neither `GITHUB_TOKEN` nor `GH_TOKEN` is set.
    #[error("no GitHub token: `GITHUB_TOKEN` and `GH_TOKEN` are not set")]
    MissingToken,
    /// The token cannot be sent in a header (line breaks, control characters).
    #[error("the GitHub token in `{var}` is not a valid header value")]
    InvalidToken {
        /// The variable it came from.
        var: &'static str,
    },
    /// `GITHUB_REPOSITORY` is not set.
    #[error("no repository: `GITHUB_REPOSITORY` is not set")]
    MissingRepository,
    /// `GITHUB_REPOSITORY` is not `owner/name`.
    #[error("`GITHUB_REPOSITORY` is `{0}`, expected `owner/name`")]
    InvalidRepository(String),
    /// `GITHUB_API_URL` is not an http(s) URL.
    #[error("`GITHUB_API_URL` is `{0}`, expected a URL like `https://api.github.com`")]
    InvalidApiUrl(String),
    /// The client could not be built.
    #[error("could not set up the GitHub client")]
    Build(#[source] Box<octocrab::Error>),
    /// The request could not be built (e.g. an invalid path).
    #[error("could not build the request for `{path}`")]
    Request {
        /// The path and query.
        path: String,
        /// What was wrong.
        #[source]
        source: http::Error,
    },
    /// The request never got an answer (DNS, connection, TLS, timeout).
    #[error("could not reach `{host}` for `{method} {path}`")]
    Network {
        /// The API host.
        host: String,
        /// The method.
        method: Method,
        /// The path and query.
        path: String,
        /// What failed.
        #[source]
        source: Box<octocrab::Error>,
    },
    /// 401: the token was refused.
    #[error("GitHub refused the token for `{method} {path}` (401 Unauthorized)")]
    Unauthorized {
        /// The method.
        method: Method,
        /// The path and query.
        path: String,
    },
    /// 403 that is not a rate limit: the token lacks a permission.
    #[error("GitHub denied `{method} {path}` (403 Forbidden): {message}")]
    Forbidden {
        /// The method.
        method: Method,
        /// The path and query.
        path: String,
        /// GitHub's message.
        message: String,
        /// The permissions GitHub accepts (`x-accepted-github-permissions`), e.g.
        /// `contents=write`.
        accepted: Option<String>,
    },
    /// 404: the resource does not exist or the token cannot see it.
    #[error("not found: `{path}` (404 for `{method}`)")]
    NotFound {
        /// The method.
        method: Method,
        /// The path and query.
        path: String,
    },
    /// A rate limit whose wait is longer than we are allowed to wait, or that persisted.
    #[error("GitHub's {kind} rate limit stops `{method} {path}`: {detail}")]
    RateLimited {
        /// `primary` or `secondary`.
        kind: &'static str,
        /// The method.
        method: Method,
        /// The path and query.
        path: String,
        /// Why we stopped.
        detail: String,
    },
    /// 5xx that persisted through the retries.
    #[error("GitHub answered `{status}` to `{method} {path}` {attempts} times")]
    Server {
        /// The last status.
        status: StatusCode,
        /// The method.
        method: Method,
        /// The path and query.
        path: String,
        /// Requests made.
        attempts: u32,
    },
    /// Any other unsuccessful status.
    #[error("GitHub answered `{status}` to `{method} {path}`: {message}")]
    Status {
        /// The status.
        status: StatusCode,
        /// The method.
        method: Method,
        /// The path and query.
        path: String,
        /// GitHub's message.
        message: String,
    },
    /// The body was not the JSON we expected.
    #[error("unexpected response to `{path}`")]
    Decode {
        /// The path and query.
        path: String,
        /// The parse error.
        #[source]
        source: serde_json::Error,
    },
    /// A download larger than allowed.
    #[error("`{path}` is larger than {limit} bytes")]
    TooLarge {
        /// The API path asked for (never the signed storage URL it redirected to).
        path: String,
        /// The cap.
        limit: usize,
    },
    /// A redirect without a usable `Location`.
    #[error("`{path}` redirected without a usable location")]
    BadRedirect {
        /// The API path asked for.
        path: String,
    },
    /// A GraphQL answer whose `errors` stop the whole query (no `data`).
    #[error("GitHub's GraphQL API refused the query: {message}")]
    Graphql {
        /// The first error's `type`, e.g. `INSUFFICIENT_SCOPES`, when given.
        kind: Option<String>,
        /// The error messages, joined.
        message: String,
    },
    /// A `Link: rel="next"` URL that points away from the API host.
    #[error("the next page of `{path}` points to another host: `{next}`")]
    ForeignLink {
        /// The path that was paged.
        path: String,
        /// The URL GitHub gave.
        next: String,
    },
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::MissingToken => Some(
                "set GITHUB_TOKEN on the step, e.g. `env: GITHUB_TOKEN: ${{ github.token }}`"
                    .into(),
            ),
            Self::InvalidToken { var } => Some(format!(
                "set {var} to the token alone, without spaces or line breaks, e.g. `env: {var}: ${{{{ github.token }}}}`"
            )),
            Self::MissingRepository | Self::InvalidRepository(_) => Some(
                "set GITHUB_REPOSITORY to `owner/name` (the runner sets it in Actions)".into(),
            ),
            Self::InvalidApiUrl(_) => {
                Some("unset GITHUB_API_URL for github.com, or use `https://HOST/api/v3`".into())
            }
            Self::Network { .. } => Some(
                "check the network and `GITHUB_API_URL`; the request is retried a few times first"
                    .into(),
            ),
            Self::Unauthorized { .. } => Some(
                "check that GITHUB_TOKEN (or GH_TOKEN) holds a valid, unexpired token".into(),
            ),
            Self::Forbidden {
                accepted: Some(p), ..
            } => Some(format!(
                "grant the job the permission GitHub asks for (`{p}`) under `permissions:` in the workflow"
            )),
            Self::Forbidden { .. } => Some(
                "check the job's `permissions:` in the workflow and the token's scopes".into(),
            ),
            Self::NotFound { .. } => Some(
                "check the repository and names; private resources answer 404 when the token cannot read them"
                    .into(),
            ),
            Self::RateLimited { .. } => Some(
                "wait for the rate limit to reset, or spread the jobs that call the API".into(),
            ),
            _ => None,
        }
    }
}

/// A repository: `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repo {
    /// The owner (user or organisation).
    pub owner: String,
    /// The repository name.
    pub name: String,
}

impl Repo {
    /// Parses `owner/name`.
    pub fn parse(s: &str) -> Result<Self, Error> {
        match s.split_once('/') {
            // `.` and `..` would change the API path they are put in (`/repos/../x`).
            Some((owner, name))
                if ![owner, name].iter().any(|p| matches!(*p, "" | "." | ".."))
                    && !name.contains('/')
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) =>
            {
                Ok(Self {
                    owner: owner.to_owned(),
                    name: name.to_owned(),
                })
            }
            _ => Err(Error::InvalidRepository(s.to_owned())),
        }
    }
}

impl fmt::Display for Repo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

/// How requests are retried and how long we are willing to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries of a 5xx answer or a network error (idempotent methods only).
    pub max_server_retries: u32,
    /// The first 5xx backoff; doubled per retry.
    pub base_delay: Duration,
    /// The longest 5xx backoff.
    pub max_delay: Duration,
    /// Retries after a primary or secondary rate limit.
    pub max_rate_limit_retries: u32,
    /// The first wait after a secondary rate limit without `retry-after`; doubled per retry.
    pub secondary_min_wait: Duration,
    /// The longest single wait we accept; a rate limit that needs longer fails at once.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_server_retries: 3,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_rate_limit_retries: 3,
            // NOTE: "wait for at least one minute before retrying ... increase the time between
            // retries exponentially" https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#handle-rate-limit-errors-appropriately
            secondary_min_wait: Duration::from_secs(60),
            max_wait: Duration::from_secs(5 * 60),
        }
    }
}

/// Time for the retry loop: what time it is (to read `x-ratelimit-reset`) and how to wait.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current time.
    fn now(&self) -> SystemTime;
    /// Waits `duration`.
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The real clock: system time and tokio's sleep.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock for tests: never sleeps, records each wait and moves its time forward by it.
#[derive(Debug)]
pub struct FakeClock {
    now: Mutex<SystemTime>,
    waits: Mutex<Vec<Duration>>,
}

impl FakeClock {
    /// A clock that starts at `start` seconds after the Unix epoch.
    pub fn at(start: u64) -> Self {
        Self {
            now: Mutex::new(UNIX_EPOCH + Duration::from_secs(start)),
            waits: Mutex::default(),
        }
    }

    /// The waits requested so far, in order.
    pub fn waits(&self) -> Vec<Duration> {
        self.waits.lock().map(|w| w.clone()).unwrap_or_default()
    }
}

impl Clock for FakeClock {
    fn now(&self) -> SystemTime {
        self.now.lock().map(|n| *n).unwrap_or(UNIX_EPOCH)
    }

    fn sleep(&self, duration: Duration) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        if let Ok(mut w) = self.waits.lock() {
            w.push(duration);
        }
        if let Ok(mut n) = self.now.lock() {
            *n += duration;
        }
        Box::pin(std::future::ready(()))
    }
}

/// Everything a [`Client`] is built from.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The API root, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`.
    pub api_url: String,
    /// The token; never printed.
    pub token: Secret,
    /// The repository the calls are about, when known.
    pub repository: Option<Repo>,
    /// Retries and waits.
    pub retry: RetryPolicy,
    /// Connecting must take at most this long.
    pub connect_timeout: Duration,
    /// Each read must take at most this long.
    pub read_timeout: Duration,
}

impl Settings {
    /// Settings from the process environment.
    pub fn from_env() -> Result<Self, Error> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Settings from `var`, a lookup of environment variables (empty counts as unset).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let (token, token_var) = match (var(ENV_TOKEN), var(ENV_GH_TOKEN)) {
            (Some(t), _) => (t, ENV_TOKEN),
            (None, Some(t)) => (t, ENV_GH_TOKEN),
            (None, None) => return Err(Error::MissingToken),
        };
        let token = token.trim().to_owned();
        // The same test the client makes before sending it, so the error names the variable
        // the token really came from.
        if token.chars().any(|c| c.is_control() || c == ' ') || !valid_bearer(&token) {
            return Err(Error::InvalidToken { var: token_var });
        }
        super::runtime().mask_str(&token);
        let repository = var(ENV_REPOSITORY).map(|r| Repo::parse(&r)).transpose()?;
        Ok(Self {
            api_url: var(ENV_API_URL).unwrap_or_else(|| DEFAULT_API_URL.to_owned()),
            token: Secret::new(token),
            repository,
            retry: RetryPolicy::default(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
        })
    }
}

/// True when `token` can be sent as `Authorization: Bearer <token>`.
fn valid_bearer(token: &str) -> bool {
    http::HeaderValue::from_str(&format!("Bearer {token}")).is_ok()
}

/// An answer from the API (any status that is not an error we raise).
#[derive(Debug, Clone)]
pub struct Response {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
}

impl Response {
    /// The body parsed as JSON of type `T`; errors name `path`.
    pub fn json<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        serde_json::from_str(&self.body).map_err(|source| Error::Decode {
            path: path.to_owned(),
            source,
        })
    }

    /// The `rel="next"` URL of the `Link` header, if any.
    pub fn next_link(&self) -> Option<String> {
        let link = self.headers.get(http::header::LINK)?.to_str().ok()?;
        next_link(link)
    }
}

/// A release (the fields slipway uses).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Release {
    /// The release id.
    pub id: u64,
    /// The tag, e.g. `v1.0.0`.
    pub tag_name: String,
    /// The branch or commit the tag is created from, if it does not exist yet.
    pub target_commitish: String,
    /// The title.
    pub name: Option<String>,
    /// The web page.
    pub html_url: String,
    /// The asset upload URL template.
    pub upload_url: String,
    /// A draft, visible to writers only.
    pub draft: bool,
    /// Marked as a pre-release.
    pub prerelease: bool,
    /// When it was created (RFC 3339).
    pub created_at: Option<String>,
    /// When it was published (RFC 3339).
    pub published_at: Option<String>,
}

/// A workflow run (the fields metrics use).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct WorkflowRun {
    /// The run id.
    pub id: u64,
    /// The workflow name.
    pub name: Option<String>,
    /// The workflow id.
    pub workflow_id: u64,
    /// The branch.
    pub head_branch: Option<String>,
    /// The commit.
    pub head_sha: String,
    /// The event that triggered the run, e.g. `push`.
    pub event: String,
    /// `queued`, `in_progress`, `completed`, …
    pub status: Option<String>,
    /// `success`, `failure`, … once completed.
    pub conclusion: Option<String>,
    /// The run number within the workflow.
    pub run_number: u64,
    /// The attempt (re-runs increase it).
    pub run_attempt: Option<u64>,
    /// When it was created (RFC 3339).
    pub created_at: String,
    /// Last update; the end time once completed (RFC 3339).
    pub updated_at: String,
    /// Start of the latest attempt (RFC 3339).
    pub run_started_at: Option<String>,
    /// The web page.
    pub html_url: String,
}

/// Which workflow runs to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunsQuery {
    /// One workflow (id or file name such as `ci.yml`); all workflows when `None`.
    pub workflow: Option<String>,
    /// Only runs of this branch.
    pub branch: Option<String>,
    /// Only runs with this status or conclusion (`completed`, `success`, …).
    pub status: Option<String>,
    /// Only runs of this event (`push`, …).
    pub event: Option<String>,
    /// Only runs created in this range, in search syntax (`>=2024-01-01`).
    pub created: Option<String>,
    /// Results per page (1 to 100; GitHub's default 30 when `None`).
    pub per_page: Option<u8>,
}

/// One rate-limit bucket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct RateBucket {
    /// Requests allowed per window.
    pub limit: u64,
    /// Requests used in this window.
    pub used: u64,
    /// Requests left.
    pub remaining: u64,
    /// When the window resets (Unix seconds).
    pub reset: u64,
}

/// The rate-limit status of the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// The REST budget.
    pub core: RateBucket,
}

/// What to do after an unsuccessful answer (see [`decide`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait, then send again.
    Retry {
        /// How long.
        wait: Duration,
        /// Why: `server`, `primary` or `secondary`.
        reason: Reason,
    },
    /// A rate limit that would need a longer wait than allowed.
    TooLong {
        /// The wait it needs.
        wait: Duration,
        /// `primary` or `secondary`.
        reason: Reason,
    },
    /// Do not retry.
    Fail,
}

/// Why a request is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// 5xx or a network error.
    Server,
    /// `x-ratelimit-remaining: 0`.
    Primary,
    /// A secondary (abuse) rate limit.
    Secondary,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Self::Server => "server",
            Self::Primary => "primary",
            Self::Secondary => "secondary",
        }
    }
}

/// Retries made so far for one request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempts {
    /// 5xx and network retries.
    pub server: u32,
    /// Rate-limit retries.
    pub rate_limit: u32,
    /// Secondary-limit waits without `retry-after` (for the exponential backoff).
    pub secondary_backoff: u32,
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// The retry rule for one unsuccessful answer, per GitHub's rate-limit documentation:
/// - 403/429 with `retry-after`: a secondary limit; wait that many seconds;
/// - 403/429 with `x-ratelimit-remaining: 0`: a primary limit; wait until
///   `x-ratelimit-reset` (plus one second for clock skew);
/// - 403/429 whose message mentions a secondary rate limit, or any other 429: wait
///   `secondary_min_wait`, doubled on each such retry;
/// - 5xx on an idempotent method: `base_delay` doubled per retry up to `max_delay`, or the
///   `retry-after` of a 503;
/// - anything else, or retries used up: fail.
///
/// A rate-limit wait over `max_wait` is [`Decision::TooLong`].
// NOTE: https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
pub fn decide(
    status: StatusCode,
    headers: &HeaderMap,
    body: &str,
    idempotent: bool,
    now: SystemTime,
    attempts: Attempts,
    policy: &RetryPolicy,
) -> Decision {
    if status == StatusCode::FORBIDDEN || status == StatusCode::TOO_MANY_REQUESTS {
        let retry_after = header_u64(headers, "retry-after");
        let remaining = header_u64(headers, "x-ratelimit-remaining");
        let reset = header_u64(headers, "x-ratelimit-reset");
        let secondary_message = body.to_ascii_lowercase().contains("secondary rate limit");
        let (wait, reason) = if let Some(secs) = retry_after {
            (Duration::from_secs(secs), Reason::Secondary)
        } else if let (Some(0), Some(reset)) = (remaining, reset) {
            let now = now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
            let reason = if secondary_message {
                Reason::Secondary
            } else {
                Reason::Primary
            };
            (Duration::from_secs(reset.saturating_sub(now) + 1), reason)
        } else if secondary_message || status == StatusCode::TOO_MANY_REQUESTS {
            let factor = 2u32.saturating_pow(attempts.secondary_backoff);
            (
                policy.secondary_min_wait.saturating_mul(factor),
                Reason::Secondary,
            )
        } else {
            return Decision::Fail;
        };
        if wait > policy.max_wait {
            return Decision::TooLong { wait, reason };
        }
        if attempts.rate_limit >= policy.max_rate_limit_retries {
            return Decision::Fail;
        }
        return Decision::Retry { wait, reason };
    }
    if status.is_server_error() && idempotent {
        if attempts.server >= policy.max_server_retries {
            return Decision::Fail;
        }
        let wait = match header_u64(headers, "retry-after") {
            Some(secs) if status == StatusCode::SERVICE_UNAVAILABLE => Duration::from_secs(secs),
            _ => policy
                .base_delay
                .saturating_mul(2u32.saturating_pow(attempts.server)),
        };
        return Decision::Retry {
            wait: wait.min(policy.max_delay),
            reason: Reason::Server,
        };
    }
    Decision::Fail
}

/// The `rel="next"` URL of a `Link` header value.
///
/// ```
/// use slipway::github::client::next_link;
/// let link = r#"<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last""#;
/// assert_eq!(next_link(link).as_deref(), Some("https://api.github.com/x?page=2"));
/// ```
pub fn next_link(header: &str) -> Option<String> {
    // NOTE: RFC 8288 link values; GitHub puts one URL per rel, comma-separated
    // https://docs.github.com/en/rest/using-the-rest-api/using-pagination-in-the-rest-api#using-link-headers
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        let url = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let is_next = params.split(';').any(|p| {
            p.trim()
                .strip_prefix("rel=")
                .map(|v| v.trim_matches('"').split_whitespace().any(|r| r == "next"))
                .unwrap_or(false)
        });
        is_next.then(|| url.to_owned())
    })
}

/// Percent-encodes a query value or path segment (RFC 3986 unreserved characters stay).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Where GraphQL lives when it is not `/graphql` under the REST root: GitHub Enterprise
/// Server serves REST at `/api/v3` and GraphQL at `/api/graphql`.
fn graphql_root(base: &Uri) -> Option<Uri> {
    let path = base.path().trim_end_matches('/');
    let root = path.strip_suffix("/v3")?;
    format!(
        "{}://{}{root}",
        base.scheme_str()?,
        base.authority()?.as_str()
    )
    .parse()
    .ok()
}

/// One entry of a GraphQL answer's `errors`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GraphqlError {
    /// GitHub's error type, e.g. `NOT_FOUND`, `RATE_LIMITED`, `FORBIDDEN`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The message.
    #[serde(default)]
    pub message: String,
    /// Where in `data` it happened: field names and list indexes.
    #[serde(default)]
    pub path: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawGraphql {
    #[serde(default)]
    data: Option<serde_json::Value>,
    #[serde(default)]
    errors: Vec<GraphqlError>,
}

/// A GraphQL answer with data.
#[derive(Debug, Clone)]
pub struct GraphqlResponse {
    /// `data`.
    pub data: serde_json::Value,
    /// Errors beside the data (fields that resolved to `null`).
    pub errors: Vec<GraphqlError>,
    /// The response headers.
    pub headers: HeaderMap,
}

/// How [`Client::send_with_headers`]'s retry loop treats answers.
#[derive(Debug, Clone, Copy)]
struct Mode {
    /// 5xx and network errors may be retried.
    idempotent: bool,
    /// A 3xx is returned rather than an error.
    redirect_ok: bool,
}

impl Mode {
    /// A GraphQL query: a POST that only reads.
    const QUERY: Self = Self {
        idempotent: true,
        redirect_ok: false,
    };
    /// A GET whose redirect the caller follows.
    const REDIRECT: Self = Self {
        idempotent: true,
        redirect_ok: true,
    };
}

/// The GitHub REST client.
pub struct Client {
    octo: Octocrab,
    /// The GraphQL endpoint's client when it is not under `base` (GitHub Enterprise Server:
    /// `/api/graphql` beside `/api/v3`).
    graphql_octo: Option<Octocrab>,
    /// A client without the token, for the storage URLs downloads redirect to; built on the
    /// first download.
    download_octo: Mutex<Option<Octocrab>>,
    /// The connect and read timeouts, for that client.
    timeouts: (Duration, Duration),
    base: Uri,
    repository: Option<Repo>,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.to_string())
            .field("repository", &self.repository)
            .field("retry", &self.retry)
            .field("token", &"***")
            .finish()
    }
}

impl Client {
    /// A client from `GITHUB_TOKEN`/`GH_TOKEN`, `GITHUB_API_URL` and `GITHUB_REPOSITORY`.
    pub fn from_env() -> Result<Self, Error> {
        Self::new(Settings::from_env()?)
    }

    /// A client from explicit settings.
    pub fn new(settings: Settings) -> Result<Self, Error> {
        let Settings {
            api_url,
            token,
            repository,
            retry,
            connect_timeout,
            read_timeout,
        } = settings;
        let base: Uri = api_url
            .trim_end_matches('/')
            .parse()
            .map_err(|_| Error::InvalidApiUrl(api_url.clone()))?;
        if !matches!(base.scheme_str(), Some("http" | "https")) || base.host().is_none() {
            return Err(Error::InvalidApiUrl(api_url));
        }
        if !valid_bearer(token.expose()) {
            // Settings from the environment were checked already, naming their variable.
            return Err(Error::InvalidToken { var: ENV_TOKEN });
        }
        let build = |base: Uri| {
            Octocrab::builder()
                .base_uri(base)
                .map_err(|e| Error::Build(Box::new(e)))?
                .personal_token(token.expose().to_owned())
                // NOTE: our loop in `send` retries; octocrab's would retry 5xx immediately and
                // hide rate limits from us.
                .add_retry_config(RetryConfig::None)
                .set_connect_timeout(Some(connect_timeout))
                .set_read_timeout(Some(read_timeout))
                .build()
                .map_err(|e| Error::Build(Box::new(e)))
        };
        let octo = build(base.clone())?;
        let graphql_octo = graphql_root(&base).map(build).transpose()?;
        Ok(Self {
            octo,
            graphql_octo,
            download_octo: Mutex::new(None),
            timeouts: (connect_timeout, read_timeout),
            base,
            repository,
            retry,
            clock: Arc::new(SystemClock),
        })
    }

    /// Replaces the clock (tests use a [`FakeClock`] so nothing sleeps).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The repository from `GITHUB_REPOSITORY`.
    pub fn repo(&self) -> Result<&Repo, Error> {
        self.repository.as_ref().ok_or(Error::MissingRepository)
    }

    /// The host of the API, for messages.
    pub fn host(&self) -> &str {
        self.base.host().unwrap_or("api.github.com")
    }

    /// Sends one request to `path` (relative to the API root, query included), retrying by
    /// [`decide`]. Success (2xx, 304) is returned; other statuses become an [`Error`].
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> Result<Response, Error> {
        self.send_with_headers(method, path, body, &[]).await
    }

    /// Like [`Client::send`], with extra request headers (e.g. `if-none-match` for a
    /// conditional request whose 304 does not count against the rate limit).
    pub async fn send_with_headers(
        &self,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        extra: &[(http::header::HeaderName, String)],
    ) -> Result<Response, Error> {
        let idempotent = matches!(
            method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        );
        let mode = Mode {
            idempotent,
            redirect_ok: false,
        };
        self.send_via(&self.octo, method, path, body, extra, mode)
            .await
    }

    /// The retry loop of [`Client::send_with_headers`] through `octo`; `idempotent` says
    /// whether a 5xx or a network error may be retried.
    async fn send_via(
        &self,
        octo: &Octocrab,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        extra: &[(http::header::HeaderName, String)],
        mode: Mode,
    ) -> Result<Response, Error> {
        let Mode {
            idempotent,
            redirect_ok,
        } = mode;
        let body = body.map(serde_json::Value::to_string);
        let mut attempts = Attempts::default();
        loop {
            let mut request = http::Request::builder()
                .method(method.clone())
                .uri(path)
                .header(http::header::ACCEPT, "application/vnd.github+json")
                .header("x-github-api-version", API_VERSION)
                .header(http::header::USER_AGENT, USER_AGENT);
            if body.is_some() {
                request = request.header(http::header::CONTENT_TYPE, "application/json");
            }
            for (name, value) in extra {
                request = request.header(name, value.as_str());
            }
            let request = request
                .body(body.clone().unwrap_or_default())
                .map_err(|source| Error::Request {
                    path: path.to_owned(),
                    source,
                })?;
            let answer = match octo.execute(request).await {
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    octo.body_to_string(resp).await.map(|body| Response {
                        status,
                        headers,
                        body,
                    })
                }
                Err(e) => Err(e),
            };
            let resp = match answer {
                Ok(resp) => resp,
                Err(source) => {
                    if idempotent && attempts.server < self.retry.max_server_retries {
                        let wait = self
                            .retry
                            .base_delay
                            .saturating_mul(2u32.saturating_pow(attempts.server))
                            .min(self.retry.max_delay);
                        attempts.server += 1;
                        self.clock.sleep(wait).await;
                        continue;
                    }
                    return Err(Error::Network {
                        host: self.host().to_owned(),
                        method,
                        path: path.to_owned(),
                        source: Box::new(source),
                    });
                }
            };
            if resp.status.is_success()
                || resp.status == StatusCode::NOT_MODIFIED
                || (redirect_ok && resp.status.is_redirection())
            {
                return Ok(resp);
            }
            match decide(
                resp.status,
                &resp.headers,
                &resp.body,
                idempotent,
                self.clock.now(),
                attempts,
                &self.retry,
            ) {
                Decision::Retry { wait, reason } => {
                    match reason {
                        Reason::Server => attempts.server += 1,
                        Reason::Primary | Reason::Secondary => attempts.rate_limit += 1,
                    }
                    if reason == Reason::Secondary && resp.headers.get("retry-after").is_none() {
                        attempts.secondary_backoff += 1;
                    }
                    self.clock.sleep(wait).await;
                }
                Decision::TooLong { wait, reason } => {
                    return Err(Error::RateLimited {
                        kind: reason.as_str(),
                        method,
                        path: path.to_owned(),
                        detail: format!(
                            "it needs a wait of {}s, more than the allowed {}s",
                            wait.as_secs(),
                            self.retry.max_wait.as_secs()
                        ),
                    });
                }
                Decision::Fail => {
                    return Err(self.status_error(method, path, &resp, attempts));
                }
            }
        }
    }

    fn status_error(
        &self,
        method: Method,
        path: &str,
        resp: &Response,
        attempts: Attempts,
    ) -> Error {
        let message = serde_json::from_str::<serde_json::Value>(&resp.body)
            .ok()
            .and_then(|v| v.get("message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or_else(|| resp.body.chars().take(200).collect());
        let path = path.to_owned();
        match resp.status {
            StatusCode::UNAUTHORIZED => Error::Unauthorized { method, path },
            StatusCode::NOT_FOUND => Error::NotFound { method, path },
            StatusCode::FORBIDDEN | StatusCode::TOO_MANY_REQUESTS
                if attempts.rate_limit > 0
                    || resp.status == StatusCode::TOO_MANY_REQUESTS
                    || message.to_ascii_lowercase().contains("rate limit") =>
            {
                Error::RateLimited {
                    kind: if message.to_ascii_lowercase().contains("secondary") {
                        "secondary"
                    } else {
                        "primary"
                    },
                    method,
                    path,
                    detail: format!(
                        "still limited after {} retries: {message}",
                        attempts.rate_limit
                    ),
                }
            }
            StatusCode::FORBIDDEN => Error::Forbidden {
                method,
                path,
                message,
                accepted: resp
                    .headers
                    .get("x-accepted-github-permissions")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned),
            },
            status if status.is_server_error() => Error::Server {
                status,
                method,
                path,
                attempts: attempts.server + 1,
            },
            status => Error::Status {
                status,
                method,
                path,
                message,
            },
        }
    }

    /// Sends one GraphQL query (`POST /graphql`, or `/api/graphql` on GitHub Enterprise
    /// Server) and returns its `data` with any per-field `errors`.
    ///
    /// A query only reads, so 5xx answers are retried like a GET. Rate limits: a 403/429 is
    /// handled as in [`Client::send`]; an answer whose `errors` hold `type: RATE_LIMITED`
    /// (GraphQL's primary limit, `x-ratelimit-resource: graphql`) is decided by [`decide`] as a
    /// 429 would be: `retry-after`, else until `x-ratelimit-reset` when
    /// `x-ratelimit-remaining` is `0`, else a backoff from `secondary_min_wait`; it gives up as
    /// [`Error::RateLimited`] when the wait is too long or the retries are used up. Errors without `data` are [`Error::Graphql`]; errors beside
    /// `data` (a node that could not be resolved) are the caller's to read.
    // NOTE: https://docs.github.com/en/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api
    pub async fn graphql(
        &self,
        query: &str,
        variables: &serde_json::Value,
    ) -> Result<GraphqlResponse, Error> {
        let path = "/graphql";
        let body = serde_json::json!({ "query": query, "variables": variables });
        let octo = self.graphql_octo.as_ref().unwrap_or(&self.octo);
        let mut attempts = Attempts::default();
        loop {
            let resp = self
                .send_via(octo, Method::POST, path, Some(&body), &[], Mode::QUERY)
                .await?;
            let answer: RawGraphql = resp.json(path)?;
            let limited = answer
                .errors
                .iter()
                .any(|e| e.kind.as_deref() == Some("RATE_LIMITED"));
            if limited {
                // GraphQL reports its limits in a 200 answer, with the same headers as REST:
                // the REST rule decides, as for a 429.
                let decision = decide(
                    StatusCode::TOO_MANY_REQUESTS,
                    &resp.headers,
                    "",
                    false,
                    self.clock.now(),
                    attempts,
                    &self.retry,
                );
                let kind = |reason| match reason {
                    Reason::Primary => "GraphQL primary",
                    _ => "GraphQL secondary",
                };
                let (kind, detail) = match decision {
                    Decision::Retry { wait, reason } => {
                        attempts.rate_limit += 1;
                        if reason == Reason::Secondary && resp.headers.get("retry-after").is_none()
                        {
                            attempts.secondary_backoff += 1;
                        }
                        self.clock.sleep(wait).await;
                        continue;
                    }
                    Decision::TooLong { wait, reason } => (
                        kind(reason),
                        format!(
                            "it needs a wait of {}s, more than the allowed {}s",
                            wait.as_secs(),
                            self.retry.max_wait.as_secs()
                        ),
                    ),
                    Decision::Fail => (
                        kind(
                            if header_u64(&resp.headers, "x-ratelimit-remaining") == Some(0) {
                                Reason::Primary
                            } else {
                                Reason::Secondary
                            },
                        ),
                        format!("still limited after {} retries", attempts.rate_limit),
                    ),
                };
                return Err(Error::RateLimited {
                    kind,
                    method: Method::POST,
                    path: path.to_owned(),
                    detail,
                });
            }
            let data = answer.data.unwrap_or(serde_json::Value::Null);
            if data.is_null() && !answer.errors.is_empty() {
                let message = answer
                    .errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                return Err(Error::Graphql {
                    kind: answer.errors.iter().find_map(|e| e.kind.clone()),
                    message: message.chars().take(500).collect(),
                });
            }
            return Ok(GraphqlResponse {
                data,
                errors: answer.errors,
                headers: resp.headers,
            });
        }
    }

    /// Downloads what `path` redirects to (e.g. an artifact's `/zip`, which answers `302` with
    /// a short-lived signed storage URL): the redirect is asked for with the token, the
    /// storage URL fetched without it (it carries its own signature and may be on any host),
    /// at most `max_bytes`. 5xx and network errors on either leg are retried as for GET.
    /// Errors name `path`, never the signed URL.
    pub async fn download(&self, path: &str, max_bytes: usize) -> Result<Vec<u8>, Error> {
        let resp = self
            .send_via(&self.octo, Method::GET, path, None, &[], Mode::REDIRECT)
            .await?;
        if !resp.status.is_redirection() {
            // Answered in place (no storage redirect): the body is already here.
            if resp.body.len() > max_bytes {
                return Err(Error::TooLarge {
                    path: path.to_owned(),
                    limit: max_bytes,
                });
            }
            return Ok(resp.body.into_bytes());
        }
        let bad = || Error::BadRedirect {
            path: path.to_owned(),
        };
        let location = resp
            .headers
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(bad)?;
        let url: Uri = location.parse().map_err(|_| bad())?;
        if !matches!(url.scheme_str(), Some("http" | "https")) || url.host().is_none() {
            return Err(bad());
        }
        let storage = self.download_client()?;
        let mut retries = 0u32;
        loop {
            let request = http::Request::builder()
                .method(Method::GET)
                .uri(url.clone())
                .header(http::header::USER_AGENT, USER_AGENT)
                .body(String::new())
                .map_err(|source| Error::Request {
                    path: path.to_owned(),
                    source,
                })?;
            let answer = match storage.execute(request).await {
                Ok(r) if r.status().is_server_error() => Err(Some(r.status())),
                Ok(r) => Ok(r),
                Err(_) => Err(None),
            };
            let r = match answer {
                Ok(r) => r,
                Err(_) if retries < self.retry.max_server_retries => {
                    let wait = self
                        .retry
                        .base_delay
                        .saturating_mul(2u32.saturating_pow(retries))
                        .min(self.retry.max_delay);
                    retries += 1;
                    self.clock.sleep(wait).await;
                    continue;
                }
                Err(Some(status)) => {
                    return Err(Error::Server {
                        status,
                        method: Method::GET,
                        path: path.to_owned(),
                        attempts: retries + 1,
                    });
                }
                Err(None) => {
                    return Err(Error::Status {
                        status: StatusCode::BAD_GATEWAY,
                        method: Method::GET,
                        path: path.to_owned(),
                        message: "the download from storage failed".into(),
                    });
                }
            };
            let status = r.status();
            if !status.is_success() {
                return Err(Error::Status {
                    status,
                    method: Method::GET,
                    path: path.to_owned(),
                    message: "the download from storage was refused".into(),
                });
            }
            let mut body = r.into_body();
            let mut out = Vec::new();
            use http_body_util::BodyExt as _;
            while let Some(frame) = body.frame().await {
                let Ok(frame) = frame else {
                    return Err(Error::Status {
                        status: StatusCode::BAD_GATEWAY,
                        method: Method::GET,
                        path: path.to_owned(),
                        message: "the download from storage broke off".into(),
                    });
                };
                if let Ok(data) = frame.into_data() {
                    if out.len() + data.len() > max_bytes {
                        return Err(Error::TooLarge {
                            path: path.to_owned(),
                            limit: max_bytes,
                        });
                    }
                    out.extend_from_slice(&data);
                }
            }
            return Ok(out);
        }
    }

    /// The token-less client for storage downloads (built once, inside the runtime).
    fn download_client(&self) -> Result<Octocrab, Error> {
        let mut slot = self
            .download_octo
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(octo) = slot.as_ref() {
            return Ok(octo.clone());
        }
        let octo = Octocrab::builder()
            .add_retry_config(RetryConfig::None)
            .set_connect_timeout(Some(self.timeouts.0))
            .set_read_timeout(Some(self.timeouts.1))
            .build()
            .map_err(|e| Error::Build(Box::new(e)))?;
        *slot = Some(octo.clone());
        Ok(octo)
    }

    /// `GET path`, parsed as JSON.
    pub async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, Error> {
        self.send(Method::GET, path, None).await?.json(path)
    }

    /// Follows `Link: rel="next"` from `path`, collecting items until there is no next page,
    /// a page is empty, the next link names a page already fetched, or `limit` items were read.
    /// `items` takes each page's JSON and returns its items.
    pub async fn paginate<T: DeserializeOwned>(
        &self,
        path: &str,
        limit: usize,
        items: impl Fn(serde_json::Value) -> Option<serde_json::Value>,
    ) -> Result<Vec<T>, Error> {
        let mut out = Vec::new();
        let mut fetched: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut next = Some(path.to_owned());
        while let Some(page) = next.take() {
            fetched.insert(page.clone());
            let resp = self.send(Method::GET, &page, None).await?;
            let value: serde_json::Value = resp.json(&page)?;
            let list: Vec<T> = match items(value) {
                Some(v) => serde_json::from_value(v).map_err(|source| Error::Decode {
                    path: page.clone(),
                    source,
                })?,
                None => Vec::new(),
            };
            // An empty page ends the list whatever its links say, and a link back to a page
            // already fetched would loop: both stop here.
            if list.is_empty() {
                break;
            }
            out.extend(list);
            if out.len() >= limit {
                out.truncate(limit);
                break;
            }
            if let Some(url) = resp.next_link() {
                let link = self.same_origin(path, &url)?;
                if !fetched.contains(&link) {
                    next = Some(link);
                }
            }
        }
        Ok(out)
    }

    /// The path and query of `url` when it is on the API host; the token never leaves it.
    fn same_origin(&self, path: &str, url: &str) -> Result<String, Error> {
        let foreign = || Error::ForeignLink {
            path: path.to_owned(),
            next: url.to_owned(),
        };
        let uri: Uri = url.parse().map_err(|_| foreign())?;
        if uri.scheme() != self.base.scheme() || uri.authority() != self.base.authority() {
            return Err(foreign());
        }
        uri.path_and_query()
            .map(|pq| pq.as_str().to_owned())
            .ok_or_else(foreign)
    }

    /// The latest published, non-prerelease release; `None` when there is none.
    pub async fn get_latest_release(&self) -> Result<Option<Release>, Error> {
        let repo = self.repo()?;
        match self
            .get_json(&format!(
                "/repos/{}/{}/releases/latest",
                repo.owner, repo.name
            ))
            .await
        {
            Ok(release) => Ok(Some(release)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Workflow runs of the repository, newest first, following pages up to `limit` runs.
    pub async fn list_workflow_runs(
        &self,
        query: &RunsQuery,
        limit: usize,
    ) -> Result<Vec<WorkflowRun>, Error> {
        let repo = self.repo()?;
        let mut path = format!("/repos/{}/{}/actions", repo.owner, repo.name);
        if let Some(w) = &query.workflow {
            path.push_str(&format!("/workflows/{}", encode(w)));
        }
        path.push_str("/runs");
        let mut params = Vec::new();
        for (key, value) in [
            ("branch", &query.branch),
            ("status", &query.status),
            ("event", &query.event),
            ("created", &query.created),
        ] {
            if let Some(v) = value {
                params.push(format!("{key}={}", encode(v)));
            }
        }
        if let Some(n) = query.per_page {
            params.push(format!("per_page={}", n.clamp(1, 100)));
        }
        if !params.is_empty() {
            path.push('?');
            path.push_str(&params.join("&"));
        }
        self.paginate(&path, limit, |mut v| {
            v.get_mut("workflow_runs").map(serde_json::Value::take)
        })
        .await
    }

    /// The token's REST rate-limit status (`GET /rate_limit`, which does not count).
    pub async fn rate_limit(&self) -> Result<RateLimit, Error> {
        #[derive(Deserialize)]
        struct Resources {
            core: RateBucket,
        }
        #[derive(Deserialize)]
        struct Body {
            resources: Resources,
        }
        let body: Body = self.get_json("/rate_limit").await?;
        Ok(RateLimit {
            core: body.resources.core,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    const NOW: u64 = 1_700_000_000;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn decide_with(status: u16, h: &[(&'static str, &str)], body: &str, a: Attempts) -> Decision {
        decide(
            StatusCode::from_u16(status).unwrap(),
            &headers(h),
            body,
            true,
            at(NOW),
            a,
            &RetryPolicy::default(),
        )
    }

    #[test]
    fn link_headers_give_the_next_page() {
        let h = r#"<https://api.github.com/r?page=1>; rel="prev", <https://api.github.com/r?page=3>; rel="next", <https://api.github.com/r?page=5>; rel="last""#;
        assert_eq!(
            next_link(h).as_deref(),
            Some("https://api.github.com/r?page=3")
        );
        assert_eq!(next_link(r#"<https://x/r?page=1>; rel="first""#), None);
        assert_eq!(next_link(""), None);
        assert_eq!(
            next_link(r#"<https://x/r?after=abc>;rel=next"#).as_deref(),
            Some("https://x/r?after=abc")
        );
    }

    #[test]
    fn server_errors_back_off_exponentially_up_to_the_cap() {
        let waits: Vec<Decision> = (0..4)
            .map(|n| {
                decide_with(
                    502,
                    &[],
                    "",
                    Attempts {
                        server: n,
                        ..Attempts::default()
                    },
                )
            })
            .collect();
        let server = |s| Decision::Retry {
            wait: Duration::from_secs(s),
            reason: Reason::Server,
        };
        assert_eq!(waits, [server(1), server(2), server(4), Decision::Fail]);
    }

    #[test]
    fn post_is_not_retried_on_a_server_error() {
        let d = decide(
            StatusCode::BAD_GATEWAY,
            &HeaderMap::new(),
            "",
            false,
            at(NOW),
            Attempts::default(),
            &RetryPolicy::default(),
        );
        assert_eq!(d, Decision::Fail);
    }

    #[test]
    fn retry_after_is_a_secondary_limit_wait() {
        assert_eq!(
            decide_with(403, &[("retry-after", "7")], "", Attempts::default()),
            Decision::Retry {
                wait: Duration::from_secs(7),
                reason: Reason::Secondary
            }
        );
    }

    #[test]
    fn an_exhausted_primary_limit_waits_until_the_reset() {
        let reset = (NOW + 42).to_string();
        assert_eq!(
            decide_with(
                403,
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", &reset)
                ],
                r#"{"message":"API rate limit exceeded"}"#,
                Attempts::default()
            ),
            Decision::Retry {
                wait: Duration::from_secs(43),
                reason: Reason::Primary
            }
        );
        let far = (NOW + 3600).to_string();
        assert!(matches!(
            decide_with(
                429,
                &[("x-ratelimit-remaining", "0"), ("x-ratelimit-reset", &far)],
                "",
                Attempts::default()
            ),
            Decision::TooLong {
                reason: Reason::Primary,
                ..
            }
        ));
    }

    #[test]
    fn a_secondary_limit_without_retry_after_waits_a_minute_then_doubles() {
        let body = r#"{"message":"You have exceeded a secondary rate limit."}"#;
        let d = |n| {
            decide_with(
                403,
                &[("x-ratelimit-remaining", "12")],
                body,
                Attempts {
                    rate_limit: n,
                    secondary_backoff: n,
                    ..Attempts::default()
                },
            )
        };
        let secondary = |s| Decision::Retry {
            wait: Duration::from_secs(s),
            reason: Reason::Secondary,
        };
        assert_eq!(
            [d(0), d(1), d(2)],
            [secondary(60), secondary(120), secondary(240)]
        );
        assert_eq!(
            d(3),
            Decision::TooLong {
                wait: Duration::from_secs(480),
                reason: Reason::Secondary
            }
        );
    }

    #[test]
    fn a_plain_forbidden_is_not_retried() {
        assert_eq!(
            decide_with(
                403,
                &[("x-ratelimit-remaining", "4999")],
                r#"{"message":"Resource not accessible by integration"}"#,
                Attempts::default()
            ),
            Decision::Fail
        );
    }

    #[test]
    fn repositories_are_owner_slash_name() {
        assert_eq!(
            Repo::parse("octo-org/hello.world").unwrap().to_string(),
            "octo-org/hello.world"
        );
        for bad in [
            "", "x", "/x", "x/", "a/b/c", "a b/c", "./x", "../x", "x/.", "x/..", "../..",
        ] {
            assert!(Repo::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn settings_prefer_github_token_and_default_the_api_url() {
        let s = Settings::from_vars(|n| match n {
            "GITHUB_TOKEN" => Some("ghs_first".into()),
            "GH_TOKEN" => Some("ghs_second".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(s.token.expose(), "ghs_first");
        assert_eq!(s.api_url, DEFAULT_API_URL);
        assert!(!format!("{s:?}").contains("ghs_first"));
        let s = Settings::from_vars(|n| (n == "GH_TOKEN").then(|| "ghs_gh".into())).unwrap();
        assert_eq!(s.token.expose(), "ghs_gh");
    }

    #[test]
    fn an_invalid_token_error_names_the_variable_it_came_from() {
        for var in ["GH_TOKEN", "GITHUB_TOKEN"] {
            for bad in ["ghs_a\nb", "ghs a", "ghs_\u{7f}"] {
                let err = Settings::from_vars(|n| (n == var).then(|| bad.to_owned())).unwrap_err();
                assert_eq!(
                    err.to_string(),
                    format!("the GitHub token in `{var}` is not a valid header value"),
                    "{bad:?}"
                );
                let hint = err.hint().unwrap();
                assert!(hint.starts_with(&format!("set {var} ")), "{hint}");
                assert!(hint.contains("${{ github.token }}"), "{hint}");
            }
        }
    }

    #[test]
    fn a_missing_token_says_to_set_github_token() {
        let err = Settings::from_vars(|_| None).unwrap_err();
        assert!(matches!(err, Error::MissingToken));
        assert!(err.hint().unwrap().contains("set GITHUB_TOKEN"));
    }

    #[test]
    fn graphql_sits_beside_v3_on_enterprise_server_and_at_the_root_elsewhere() {
        let root = |u: &str| graphql_root(&u.parse().unwrap()).map(|u| u.to_string());
        assert_eq!(
            root("https://ghe.example.com/api/v3").as_deref(),
            Some("https://ghe.example.com/api")
        );
        assert_eq!(
            root("https://ghe.example.com/api/v3/").as_deref(),
            Some("https://ghe.example.com/api")
        );
        assert_eq!(root("https://api.github.com"), None);
        assert_eq!(root("http://127.0.0.1:8080"), None);
    }

    #[test]
    fn query_values_are_percent_encoded() {
        assert_eq!(encode(">=2024-01-01 x/y"), "%3E%3D2024-01-01%20x%2Fy");
    }
}
