//! Fetches the history from the REST API with as few requests and round trips as the API
//! allows.
//!
//! - Lists ask for 100 items a page and follow the server's `Link` header, never a page count
//!   worked out from `total_count`: a server may serve fewer items a page than asked (GitHub
//!   Enterprise Server, a proxy). When the first page names its `rel="last"` page, the pages up
//!   to it are fetched concurrently, `concurrency` at a time; otherwise one `rel="next"` after
//!   another.
//! - Workflow runs are listed with `created=>=DATE`. GitHub returns at most 1,000 runs for a
//!   filtered query, so a window holding more is split into time slices that each hold fewer,
//!   fetched concurrently, on an hour grid that stays the same between runs
//!   (<https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-repository>).
//! - Every GET is conditional when the on-disk cache has an `ETag` for it: a `304 Not
//!   Modified` answer reuses the cached body and does not count against the rate limit
//!   (<https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api#use-conditional-requests-if-appropriate>).
//! - Retries (5xx, secondary rate limits with `retry-after`) are the client's
//!   ([`crate::github::client::Client::send`]).
//! - What REST only serves per item (each deployment's statuses, the pull request of its
//!   commit and that pull request's commits) comes from one GraphQL `nodes(ids:)` query per
//!   100 deployments, all queries at once ([`Client::graphql`] handles GraphQL's rate limits).
//!   A node GraphQL cannot resolve is read through REST; a commit it no longer knows has no
//!   lead time. Deployments whose outcome and pull request are settled are cached on disk and
//!   not asked for again. Where `/graphql` answers 404 or 401 (an older GitHub Enterprise
//!   Server), everything goes through the REST per-item path, with a note.
//! - Jobs are listed for a few recent runs per workflow (`job_sample`).
//! - With `--test-artifacts`, run-tests report artifacts are listed (newest first, up to the
//!   window's start), their zips downloaded through the API's redirect to storage (the token
//!   is not sent there) and read with [`super::zip`]; each artifact's reports are cached by id.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Mutex;

use futures_util::stream::{self, StreamExt};
use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::Error;
use super::model::{Deployment, DeploymentStatus, History, Job, Run, Step};
use super::time::{date, parse_ts, rfc3339};
use crate::github::client::{Client, Repo, encode, next_link};
use crate::run_tests::report::Report;

/// GitHub's cap on results of a filtered workflow-run query.
const RUNS_CAP: u64 = 1000;
/// Items per page.
const PER_PAGE: u64 = 100;

/// What the API cost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ApiStats {
    /// Requests sent (retries not counted).
    pub requests: u64,
    /// Of which answered `304 Not Modified` from the cache.
    pub not_modified: u64,
    /// Answers taken from the cache without a request: records that no longer change (a
    /// deployment's statuses once it finished, the commits of a merged pull request).
    pub settled: u64,
    /// The core rate limit left after the run, when known.
    pub rate_remaining: Option<u64>,
    /// Of the requests, GraphQL queries (one per 100 deployments).
    pub graphql: u64,
    /// The points those queries cost against the GraphQL rate limit (`rateLimit.cost`).
    pub graphql_points: u64,
}

/// One cached answer.
#[derive(Debug, Serialize, Deserialize)]
struct Cached {
    path: String,
    etag: String,
    link: Option<String>,
    body: String,
}

/// A page: its JSON and its `Link` header.
struct Page {
    value: Value,
    link: Option<String>,
}

/// What to fetch.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The repository.
    pub repo: Repo,
    /// The environment whose deployments count.
    pub environment: String,
    /// The window start (Unix seconds).
    pub from: i64,
    /// The window end.
    pub to: i64,
    /// Where ETags and bodies are kept; `None` for no cache.
    pub cache_dir: Option<PathBuf>,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Recent completed runs per workflow whose jobs are fetched (0: none).
    pub job_sample: usize,
}

/// Fetches pages for one plan.
pub struct Fetcher<'a> {
    client: &'a Client,
    plan: Plan,
    stats: Mutex<ApiStats>,
    notes: Mutex<Vec<String>>,
}

fn cache_key(path: &str) -> String {
    let digest = Sha256::digest(path.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn page_param(url: &str) -> Option<u64> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .find_map(|kv| kv.strip_prefix("page=")?.parse().ok())
}

/// Time slices of `[from, to]` for `total` runs, each meant to hold ~80 % of the 1,000 a
/// filtered query returns if runs were spread evenly: a power of two of them, each a whole
/// number of hours (minutes, seconds when shorter), from `from` on. The same window and a
/// similar total give the same slices, so a re-run asks the same queries and gets 304s.
fn slices(from: i64, to: i64, total: u64) -> Vec<(i64, i64)> {
    let want = total
        .div_ceil(RUNS_CAP * 8 / 10)
        .clamp(2, 1 << 16)
        .next_power_of_two() as i64;
    let span = (to - from + 1).max(1);
    let raw = (span + want - 1) / want;
    let unit = match raw {
        3600.. => 3600,
        60.. => 60,
        _ => 1,
    };
    let width = (raw + unit - 1) / unit * unit;
    (0..want)
        .map(|i| (from + i * width, (from + (i + 1) * width - 1).min(to)))
        .filter(|(a, b)| a <= b)
        .collect()
}

/// A deployment that reached `success`, `failure` or `error`: its outcome is settled (later
/// statuses such as `inactive` do not change the figures).
fn finished_statuses(v: &Value) -> bool {
    v.as_array().is_some_and(|a| {
        a.iter().any(|s| {
            matches!(
                s.get("state").and_then(Value::as_str),
                Some("success" | "failure" | "error")
            )
        })
    })
}

/// A commit whose merged pull request is known: that does not change.
fn has_merged_pull(v: &Value) -> bool {
    v.as_array().is_some_and(|a| {
        a.iter()
            .any(|p| p.get("merged_at").is_some_and(|m| !m.is_null()))
    })
}

/// The `rel="last"` URL of a `Link` header.
fn last_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params.contains("rel=\"last\"").then(|| {
            target
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

#[derive(Deserialize)]
struct RawRun {
    id: u64,
    name: Option<String>,
    #[serde(default)]
    path: String,
    status: Option<String>,
    conclusion: Option<String>,
    run_attempt: Option<u64>,
    created_at: String,
    updated_at: String,
    run_started_at: Option<String>,
}

#[derive(Deserialize)]
struct RawStep {
    name: String,
    started_at: Option<String>,
    completed_at: Option<String>,
}

#[derive(Deserialize)]
struct RawJob {
    run_id: u64,
    name: String,
    status: String,
    conclusion: Option<String>,
    created_at: Option<String>,
    started_at: Option<String>,
    completed_at: Option<String>,
    #[serde(default)]
    steps: Vec<RawStep>,
}

#[derive(Deserialize)]
struct RawDeployment {
    id: u64,
    #[serde(default)]
    node_id: Option<String>,
    sha: String,
    #[serde(rename = "ref")]
    git_ref: String,
    #[serde(default)]
    task: String,
    environment: String,
    description: Option<String>,
    created_at: String,
}

#[derive(Deserialize)]
struct RawStatus {
    state: String,
    created_at: String,
}

#[derive(Deserialize)]
struct RawPull {
    number: u64,
    merged_at: Option<String>,
}

#[derive(Deserialize)]
struct RawCommitPerson {
    date: Option<String>,
}

#[derive(Deserialize)]
struct RawCommitInner {
    author: Option<RawCommitPerson>,
    committer: Option<RawCommitPerson>,
}

#[derive(Deserialize)]
struct RawCommit {
    commit: RawCommitInner,
}

/// Artifacts read for test reports at most, the newest.
pub const MAX_ARTIFACTS: usize = 50;
/// Pages of the artifact list read at most (100 artifacts each).
const MAX_ARTIFACT_PAGES: u64 = 20;
/// Pages asked for by number when a server sends no `Link` header at all.
const MAX_BLIND_PAGES: u64 = 100;
/// An artifact larger than this is not downloaded.
const MAX_ARTIFACT_BYTES: usize = 64 << 20;
/// A `report.json` larger than this is not read.
const MAX_REPORT_BYTES: usize = 32 << 20;

#[derive(Deserialize)]
struct RawArtifact {
    id: u64,
    name: String,
    #[serde(default)]
    size_in_bytes: u64,
    #[serde(default)]
    expired: bool,
    created_at: Option<String>,
}

/// The `report.json` files of an artifact's zip: `(path inside, text)`.
fn report_texts(zip: &[u8]) -> Result<Vec<(String, String)>, super::zip::ZipError> {
    let mut out = Vec::new();
    for entry in super::zip::entries(zip)? {
        let is_report = entry
            .name
            .rsplit('/')
            .next()
            .is_some_and(|n| n == crate::run_tests::REPORT_FILE);
        if is_report {
            let bytes = super::zip::read(zip, &entry, MAX_REPORT_BYTES)?;
            out.push((entry.name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Ok(out)
}

/// Deployments per GraphQL query (`nodes(ids:)` takes at most 100).
const GRAPHQL_BATCH: usize = 100;

/// Statuses and the merged pull request of up to 100 deployments in one query. Its cost is
/// about 5 points: 100 status lists, 100 pull request lists and up to 300 commit lists, per
/// <https://docs.github.com/en/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api>.
const DEPLOYMENTS_QUERY: &str = "query($ids: [ID!]!) {
  rateLimit { cost remaining resetAt }
  nodes(ids: $ids) {
    ... on Deployment {
      id
      statuses(first: 100) { nodes { state createdAt } }
      commit {
        associatedPullRequests(first: 3) {
          nodes {
            number
            createdAt
            mergedAt
            commits(first: 100) { nodes { commit { authoredDate committedDate } } }
          }
        }
      }
    }
  }
}";

#[derive(Deserialize)]
struct GqlList<T> {
    #[serde(default = "Vec::new")]
    nodes: Vec<Option<T>>,
}

/// The nodes present in a connection that may itself be missing (a `null` field, or a node
/// GraphQL could not resolve).
fn present<T>(list: Option<GqlList<T>>) -> impl Iterator<Item = T> {
    list.into_iter().flat_map(|l| l.nodes).flatten()
}

#[derive(Deserialize)]
struct GqlDeployment {
    id: Option<String>,
    statuses: Option<GqlList<GqlStatus>>,
    commit: Option<GqlCommit>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GqlStatus {
    state: String,
    created_at: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GqlCommit {
    associated_pull_requests: Option<GqlList<GqlPull>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GqlPull {
    number: u64,
    merged_at: Option<String>,
    commits: Option<GqlList<GqlPullCommit>>,
}

#[derive(Deserialize)]
struct GqlPullCommit {
    commit: Option<GqlCommitDates>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GqlCommitDates {
    authored_date: Option<String>,
    committed_date: Option<String>,
}

/// What GraphQL said about one deployment; cached once [`Detail::settled`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Detail {
    /// `(state, created)`, states lower-cased as REST spells them.
    statuses: Vec<(String, i64)>,
    /// The merged pull request of the deployed commit.
    pull: Option<u64>,
    /// The earliest commit of that pull request.
    first_commit: Option<i64>,
}

impl Detail {
    fn apply(&self, d: &mut Deployment) {
        d.statuses = self
            .statuses
            .iter()
            .map(|(state, created)| DeploymentStatus {
                state: state.clone(),
                created: *created,
            })
            .collect();
        d.first_commit = if !d.is_rollback() && d.succeeded_at().is_some() {
            self.first_commit
        } else {
            None
        };
    }

    /// Finished (`success`, `failure` or `error`), and, when it shipped a change, its pull
    /// request known: nothing of it that the figures read changes any more.
    fn settled(&self, d: &Deployment) -> bool {
        let finished = self
            .statuses
            .iter()
            .any(|(s, _)| matches!(s.as_str(), "success" | "failure" | "error"));
        let needs_pull = !d.is_rollback() && d.succeeded_at().is_some();
        finished && (!needs_pull || self.first_commit.is_some())
    }
}

/// Deployments asked for in one GraphQL query: their index in the list and node id.
type Batch = Vec<(usize, String)>;

/// The nodes of one GraphQL answer, and the messages of errors that emptied other fields.
type NodeAnswers = (Vec<NodeAnswer>, Vec<String>);

/// One node of a GraphQL answer.
enum NodeAnswer {
    /// Resolved; with the error that nulled its commit, if any.
    Found(Detail, Option<String>),
    /// `null`, with GitHub's reason.
    Missing(String),
}

fn ts(path: &str, field: &str, value: &str) -> Result<i64, Error> {
    parse_ts(value).ok_or_else(|| Error::BadTimestamp {
        path: path.to_owned(),
        field: field.to_owned(),
        value: value.chars().take(40).collect(),
    })
}

fn opt_ts(path: &str, field: &str, value: Option<&str>) -> Result<Option<i64>, Error> {
    value.map(|v| ts(path, field, v)).transpose()
}

fn decode<T: serde::de::DeserializeOwned>(path: &str, value: Value) -> Result<T, Error> {
    serde_json::from_value(value).map_err(|source| Error::Decode {
        path: path.to_owned(),
        source,
    })
}

impl<'a> Fetcher<'a> {
    /// A fetcher for `plan` through `client`.
    pub fn new(client: &'a Client, plan: Plan) -> Self {
        Self {
            client,
            plan,
            stats: Mutex::default(),
            notes: Mutex::default(),
        }
    }

    /// What the report should explain about how the data was fetched.
    pub fn notes(&self) -> Vec<String> {
        self.notes.lock().map(|n| n.clone()).unwrap_or_default()
    }

    fn note(&self, text: String) {
        if let Ok(mut n) = self.notes.lock()
            && !n.contains(&text)
        {
            n.push(text);
        }
    }

    /// The requests made so far.
    pub fn stats(&self) -> ApiStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn bump(&self, f: impl FnOnce(&mut ApiStats)) {
        if let Ok(mut s) = self.stats.lock() {
            f(&mut s);
        }
    }

    fn repo_path(&self, rest: &str) -> String {
        format!(
            "/repos/{}/{}/{rest}",
            self.plan.repo.owner, self.plan.repo.name
        )
    }

    fn read_cache(&self, path: &str) -> Option<Cached> {
        let dir = self.plan.cache_dir.as_ref()?;
        let text = std::fs::read_to_string(dir.join(cache_key(path))).ok()?;
        // A damaged or foreign entry is a miss: the answer is fetched again and rewritten.
        serde_json::from_str::<Cached>(&text)
            .ok()
            .filter(|c| c.path == path)
    }

    fn write_cache(&self, entry: &Cached) {
        let Some(dir) = &self.plan.cache_dir else {
            return;
        };
        // The cache only saves requests: failing to write it must not fail the report.
        if crate::fsutil::create_dir_all(dir).is_ok()
            && let Ok(text) = serde_json::to_vec(entry)
        {
            let _ = crate::fsutil::write_atomic(&dir.join(cache_key(&entry.path)), &text);
        }
    }

    /// One conditional GET.
    async fn get(&self, path: &str, what: &'static str) -> Result<Page, Error> {
        self.get_settled(path, what, |_| false).await
    }

    /// A GET whose cached answer is used without asking when `settled` says it can no longer
    /// change; otherwise a conditional GET.
    async fn get_settled(
        &self,
        path: &str,
        what: &'static str,
        settled: fn(&Value) -> bool,
    ) -> Result<Page, Error> {
        let cached = self.read_cache(path);
        if let Some(c) = &cached
            && let Ok(value) = serde_json::from_str::<Value>(&c.body)
            && settled(&value)
        {
            self.bump(|s| s.settled += 1);
            return Ok(Page {
                value,
                link: c.link.clone(),
            });
        }
        let extra: Vec<(http::header::HeaderName, String)> = cached
            .iter()
            .map(|c| (http::header::IF_NONE_MATCH, c.etag.clone()))
            .collect();
        self.bump(|s| s.requests += 1);
        let resp = self
            .client
            .send_with_headers(Method::GET, path, None, &extra)
            .await
            .map_err(|source| Error::api(what, source))?;
        if let Some(remaining) = resp
            .headers
            .get("x-ratelimit-remaining")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
        {
            self.bump(|s| {
                s.rate_remaining = Some(
                    s.rate_remaining
                        .map_or(remaining, |r: u64| r.min(remaining)),
                );
            });
        }
        let (body, link) = if resp.status == StatusCode::NOT_MODIFIED {
            let Some(c) = cached else {
                return Err(Error::UnexpectedNotModified {
                    path: path.to_owned(),
                });
            };
            self.bump(|s| s.not_modified += 1);
            (c.body, c.link)
        } else {
            let link = resp
                .headers
                .get(http::header::LINK)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            if let Some(etag) = resp
                .headers
                .get(http::header::ETAG)
                .and_then(|v| v.to_str().ok())
            {
                self.write_cache(&Cached {
                    path: path.to_owned(),
                    etag: etag.to_owned(),
                    link: link.clone(),
                    body: resp.body.clone(),
                });
            }
            (resp.body, link)
        };
        let value = serde_json::from_str(&body).map_err(|source| Error::Decode {
            path: path.to_owned(),
            source,
        })?;
        Ok(Page { value, link })
    }

    /// Items of a page: the array itself, or the array under `field`.
    fn items(page: &Page, field: Option<&str>) -> Vec<Value> {
        let list = match field {
            Some(f) => page.value.get(f),
            None => Some(&page.value),
        };
        list.and_then(Value::as_array).cloned().unwrap_or_default()
    }

    /// GETs many paths, `concurrency` at a time, answers in the order asked.
    async fn get_all(&self, paths: Vec<String>, what: &'static str) -> Result<Vec<Page>, Error> {
        self.get_all_settled(paths, what, |_| false).await
    }

    /// [`Self::get_all`] with a settled rule (see [`Self::get_settled`]).
    async fn get_all_settled(
        &self,
        paths: Vec<String>,
        what: &'static str,
        settled: fn(&Value) -> bool,
    ) -> Result<Vec<Page>, Error> {
        let n = self.plan.concurrency.max(1);
        let answers: Vec<Result<Page, Error>> = stream::iter(paths)
            .map(|p| async move { self.get_settled(&p, what, settled).await })
            .buffered(n)
            .collect()
            .await;
        answers.into_iter().collect()
    }

    /// Every page of a list after `first`. The server's `Link` header decides: with a
    /// `rel="last"` page the pages up to it are fetched concurrently (capped at `cap` items when
    /// only that many can be read), then any `rel="next"` after the last one is followed; with
    /// only `rel="next"`, one page after another. The page size is the server's, never assumed:
    /// a server that serves fewer items than asked (GitHub Enterprise, a proxy) says so in its
    /// links. Without any `Link` header, pages are asked for in turn while `total` is not
    /// reached and they are not empty.
    async fn rest_of(
        &self,
        base: &str,
        first: Page,
        total: Option<u64>,
        cap: Option<u64>,
        field: Option<&str>,
        what: &'static str,
    ) -> Result<Vec<Value>, Error> {
        let mut out = Self::items(&first, field);
        let served = out.len() as u64;
        let last = first
            .link
            .as_deref()
            .and_then(last_link)
            .and_then(|u| page_param(&u))
            .map(|last| match cap {
                Some(cap) if served > 0 => last.min(cap.div_ceil(served)),
                _ => last,
            });
        match (last, &first.link) {
            (Some(last), _) => {
                let paths: Vec<String> = (2..=last)
                    .map(|p| format!("{base}&per_page={PER_PAGE}&page={p}"))
                    .collect();
                let mut tail = None;
                for page in self.get_all(paths, what).await? {
                    out.extend(Self::items(&page, field));
                    tail = Some(page);
                }
                let tail = tail.unwrap_or(first);
                if cap.is_none_or(|c| (out.len() as u64) < c) {
                    out.extend(self.follow_next(tail, field, what).await?);
                }
            }
            (None, Some(_)) => out.extend(self.follow_next(first, field, what).await?),
            (None, None) => {
                let Some(total) = total.map(|t| cap.map_or(t, |c| t.min(c))) else {
                    return Ok(out);
                };
                let mut page_no = 2;
                while (out.len() as u64) < total && served > 0 && page_no <= MAX_BLIND_PAGES {
                    let page = self
                        .get(&format!("{base}&per_page={PER_PAGE}&page={page_no}"), what)
                        .await?;
                    let items = Self::items(&page, field);
                    if items.is_empty() {
                        break;
                    }
                    out.extend(items);
                    page_no += 1;
                }
            }
        }
        Ok(out)
    }

    /// The items of every page after `page`, following `rel="next"` one at a time (a link
    /// seen twice or a page with no items ends it).
    async fn follow_next(
        &self,
        page: Page,
        field: Option<&str>,
        what: &'static str,
    ) -> Result<Vec<Value>, Error> {
        let mut out = Vec::new();
        let mut link = page.link;
        let mut seen = BTreeSet::new();
        while let Some(next) = link.as_deref().and_then(next_link) {
            let path = self.same_host(&next)?;
            if !seen.insert(path.clone()) {
                break;
            }
            let page = self.get(&path, what).await?;
            let items = Self::items(&page, field);
            if items.is_empty() {
                break;
            }
            out.extend(items);
            link = page.link;
        }
        Ok(out)
    }

    /// Each of `pages` with the items of the pages its `Link` header leads to.
    async fn with_next_pages(
        &self,
        pages: Vec<Page>,
        field: Option<&str>,
        what: &'static str,
    ) -> Result<Vec<Vec<Value>>, Error> {
        let mut out = Vec::with_capacity(pages.len());
        for page in pages {
            let mut items = Self::items(&page, field);
            items.extend(self.follow_next(page, field, what).await?);
            out.push(items);
        }
        Ok(out)
    }

    fn same_host(&self, url: &str) -> Result<String, Error> {
        let uri: http::Uri = url
            .parse()
            .map_err(|_| Error::ForeignLink(url.to_owned()))?;
        if uri.host() != Some(self.client.host()) {
            return Err(Error::ForeignLink(url.to_owned()));
        }
        uri.path_and_query()
            .map(|p| p.as_str().to_owned())
            .ok_or_else(|| Error::ForeignLink(url.to_owned()))
    }

    /// Runs created in `[from, to]`, `created` being the query's filter.
    fn runs_in<'s>(
        &'s self,
        created: String,
        from: i64,
        to: i64,
        depth: u32,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Value>, Error>> + 's>> {
        Box::pin(async move {
            let base = format!(
                "{}?created={}",
                self.repo_path("actions/runs"),
                encode(&created)
            );
            let first = self
                .get(
                    &format!("{base}&per_page={PER_PAGE}&page=1"),
                    "listing workflow runs",
                )
                .await?;
            let total = first.value.get("total_count").and_then(Value::as_u64);
            match total {
                Some(t) if t > RUNS_CAP && depth < 6 && to - from > 60 => {
                    let parts = slices(from, to, t);
                    let n = self.plan.concurrency.max(1);
                    let answers: Vec<Result<Vec<Value>, Error>> = stream::iter(parts)
                        .map(|(a, b)| {
                            self.runs_in(format!("{}..{}", rfc3339(a), rfc3339(b)), a, b, depth + 1)
                        })
                        .buffered(n)
                        .collect()
                        .await;
                    let mut out = Vec::new();
                    for a in answers {
                        out.extend(a?);
                    }
                    Ok(out)
                }
                _ => {
                    // A slice that cannot be cut finer: only its first 1,000 runs can be read
                    // (later pages answer empty), so ask for no more than those.
                    if let Some(t) = total.filter(|t| *t > RUNS_CAP) {
                        self.note(format!(
                            "{t} workflow runs were created between {created_from} and {created_to}, more than the {RUNS_CAP} one query returns: {} of them were left out",
                            t - RUNS_CAP,
                            created_from = rfc3339(from),
                            created_to = rfc3339(to),
                        ));
                    }
                    self.rest_of(
                        &base,
                        first,
                        total,
                        Some(RUNS_CAP),
                        Some("workflow_runs"),
                        "listing workflow runs",
                    )
                    .await
                }
            }
        })
    }

    /// Fetches everything the figures need.
    pub async fn history(&self) -> Result<History, Error> {
        let (from, to) = (self.plan.from, self.plan.to);
        // The slices of a split start at midnight of the first day, as the `>=DATE` filter
        // does, and span the window plus a day: the same queries all day long, so that a
        // re-run gets 304s for every slice whose runs did not change.
        let day0 = from.div_euclid(86_400) * 86_400;
        let runs_path = self.runs_in(
            format!(">={}", date(from)),
            day0,
            day0 + (to - from) + 86_399,
            0,
        );
        let deployments = self.deployments();
        let (raw_runs, deployments) = futures_util::future::join(runs_path, deployments).await;
        let mut seen = BTreeSet::new();
        let mut runs = Vec::new();
        for v in raw_runs? {
            let r: RawRun = decode("workflow runs", v)?;
            if !seen.insert(r.id) {
                continue;
            }
            let p = "workflow runs";
            let created = ts(p, "created_at", &r.created_at)?;
            if created < from || created >= to {
                continue;
            }
            runs.push(Run {
                id: r.id,
                workflow: r.name.unwrap_or_else(|| r.path.clone()),
                path: r.path,
                status: r.status.unwrap_or_default(),
                conclusion: r.conclusion,
                attempt: r.run_attempt.unwrap_or(1),
                created,
                started: opt_ts(p, "run_started_at", r.run_started_at.as_deref())?,
                updated: ts(p, "updated_at", &r.updated_at)?,
            });
        }
        runs.sort_by_key(|r| std::cmp::Reverse((r.created, r.id)));
        let jobs = self.jobs(&runs).await?;
        Ok(History {
            runs,
            jobs,
            deployments: deployments?,
            tests: Vec::new(),
            coverage: None,
        })
    }

    async fn jobs(&self, runs: &[Run]) -> Result<Vec<Job>, Error> {
        if self.plan.job_sample == 0 {
            return Ok(Vec::new());
        }
        let mut per_workflow: BTreeMap<&str, usize> = BTreeMap::new();
        let mut ids = Vec::new();
        for r in runs.iter().filter(|r| r.status == "completed") {
            let n = per_workflow.entry(&r.workflow).or_default();
            if *n < self.plan.job_sample {
                *n += 1;
                ids.push(r.id);
            }
        }
        let paths = ids
            .iter()
            .map(|id| self.repo_path(&format!("actions/runs/{id}/jobs?per_page={PER_PAGE}")))
            .collect();
        let what = "listing the jobs of a run";
        let pages = self.get_all(paths, what).await?;
        let mut jobs = Vec::new();
        for list in self.with_next_pages(pages, Some("jobs"), what).await? {
            for v in list {
                let p = "jobs";
                let j: RawJob = decode(p, v)?;
                let mut steps = Vec::new();
                for s in j.steps {
                    steps.push(Step {
                        name: s.name,
                        started: opt_ts(p, "started_at", s.started_at.as_deref())?,
                        completed: opt_ts(p, "completed_at", s.completed_at.as_deref())?,
                    });
                }
                jobs.push(Job {
                    run_id: j.run_id,
                    name: j.name,
                    status: j.status,
                    conclusion: j.conclusion,
                    created: opt_ts(p, "created_at", j.created_at.as_deref())?,
                    started: opt_ts(p, "started_at", j.started_at.as_deref())?,
                    completed: opt_ts(p, "completed_at", j.completed_at.as_deref())?,
                    steps,
                });
            }
        }
        Ok(jobs)
    }

    async fn deployments(&self) -> Result<Vec<Deployment>, Error> {
        let what = "listing deployments";
        let base = format!(
            "{}?environment={}",
            self.repo_path("deployments"),
            encode(&self.plan.environment)
        );
        let first = self
            .get(&format!("{base}&per_page={PER_PAGE}&page=1"), what)
            .await?;
        // Deployments come newest first: when the first page already reaches back before the
        // window, the other pages are not needed.
        let oldest = Self::items(&first, None)
            .last()
            .and_then(|d| d.get("created_at")?.as_str().and_then(parse_ts));
        let raw = match oldest {
            Some(t) if t < self.plan.from => Self::items(&first, None),
            _ => self.rest_of(&base, first, None, None, None, what).await?,
        };
        let mut deployments = Vec::new();
        let mut node_ids = Vec::new();
        let mut seen = BTreeSet::new();
        for v in raw {
            let d: RawDeployment = decode("deployments", v)?;
            let created = ts("deployments", "created_at", &d.created_at)?;
            if created < self.plan.from || created >= self.plan.to || !seen.insert(d.id) {
                continue;
            }
            node_ids.push(d.node_id.filter(|n| !n.is_empty()));
            deployments.push(Deployment {
                id: d.id,
                sha: d.sha,
                git_ref: d.git_ref,
                environment: d.environment,
                task: d.task,
                description: d.description.unwrap_or_default(),
                created,
                statuses: Vec::new(),
                first_commit: None,
            });
        }
        let rest = self.details(&mut deployments, &node_ids).await?;
        if !rest.is_empty() {
            let mut rest_deployments: Vec<Deployment> =
                rest.iter().map(|&i| deployments[i].clone()).collect();
            let gone = self.rest_statuses(&mut rest_deployments).await?;
            self.first_commits(&mut rest_deployments).await?;
            for (i, d) in rest.into_iter().zip(rest_deployments) {
                deployments[i] = d;
            }
            if !gone.is_empty() {
                self.note(format!(
                    "{} deployment(s) were deleted while being read: left out",
                    gone.len()
                ));
                deployments.retain(|d| !gone.contains(&d.id));
            }
        }
        Ok(deployments)
    }

    /// Statuses and first commits of `deployments` through GraphQL, 100 a query, every
    /// query at once (up to `concurrency`), settled ones from the cache. Returns the indexes
    /// left for the REST path: deployments without a node id, nodes GraphQL could not
    /// resolve, and all of them when the GraphQL API is not there (404/401).
    async fn details(
        &self,
        deployments: &mut [Deployment],
        node_ids: &[Option<String>],
    ) -> Result<Vec<usize>, Error> {
        let mut rest = Vec::new();
        let mut ask: Vec<(usize, String)> = Vec::new();
        for (i, id) in node_ids.iter().enumerate() {
            let Some(id) = id else {
                rest.push(i);
                continue;
            };
            if let Some(detail) = self.read_detail(id) {
                self.bump(|s| s.settled += 1);
                detail.apply(&mut deployments[i]);
            } else {
                ask.push((i, id.clone()));
            }
        }
        let batches: Vec<Batch> = ask
            .chunks(GRAPHQL_BATCH)
            .map(<[(usize, String)]>::to_vec)
            .collect();
        let n = self.plan.concurrency.max(1);
        let answers: Vec<(Batch, Result<NodeAnswers, Error>)> = stream::iter(batches)
            .map(|batch| async move {
                let ids: Vec<&str> = batch.iter().map(|(_, id)| id.as_str()).collect();
                let answer = self.query_deployments(&ids).await;
                (batch, answer)
            })
            .buffered(n)
            .collect()
            .await;
        let mut unresolved = 0usize;
        let mut first_reason: Option<String> = None;
        let mut no_commit = 0usize;
        let mut field_errors: Vec<String> = Vec::new();
        for (batch, answer) in answers {
            let nodes = match answer {
                Ok((nodes, errors)) => {
                    field_errors.extend(errors);
                    nodes
                }
                Err(Error::Api { source, .. })
                    if matches!(
                        *source,
                        crate::github::client::Error::NotFound { .. }
                            | crate::github::client::Error::Unauthorized { .. }
                    ) =>
                {
                    self.note(
                        "GitHub's GraphQL API is not available here (404/401 from /graphql): deployment statuses and pull requests were read one by one through REST".into(),
                    );
                    rest.extend(batch.iter().map(|(i, _)| *i));
                    continue;
                }
                Err(e) => return Err(e),
            };
            for ((i, id), node) in batch.into_iter().zip(nodes) {
                match node {
                    NodeAnswer::Missing(why) => {
                        unresolved += 1;
                        first_reason.get_or_insert(why);
                        rest.push(i);
                    }
                    NodeAnswer::Found(detail, commit_error) => {
                        if commit_error.is_some() {
                            no_commit += 1;
                        }
                        detail.apply(&mut deployments[i]);
                        if detail.settled(&deployments[i]) {
                            self.write_detail(&id, &detail);
                        }
                    }
                }
            }
        }
        if unresolved > 0 {
            self.note(format!(
                "{unresolved} deployment(s) could not be resolved through GraphQL ({}): read through REST instead",
                first_reason.unwrap_or_default()
            ));
        }
        if let Some(first) = field_errors.first() {
            self.note(format!(
                "GitHub's GraphQL API left {} field(s) empty ({}): lead times may be missing",
                field_errors.len(),
                first.chars().take(200).collect::<String>()
            ));
        }
        if no_commit > 0 {
            self.note(format!(
                "{no_commit} deployed commit(s) are no longer known to GitHub (force-pushed away or deleted): no lead time for them"
            ));
        }
        rest.sort_unstable();
        Ok(rest)
    }

    fn detail_key(node_id: &str) -> String {
        format!("graphql:deployment:{node_id}")
    }

    fn read_detail(&self, node_id: &str) -> Option<Detail> {
        let cached = self.read_cache(&Self::detail_key(node_id))?;
        serde_json::from_str(&cached.body).ok()
    }

    fn write_detail(&self, node_id: &str, detail: &Detail) {
        if let Ok(body) = serde_json::to_string(detail) {
            self.write_cache(&Cached {
                path: Self::detail_key(node_id),
                etag: String::new(),
                link: None,
                body,
            });
        }
    }

    /// One GraphQL query for up to 100 deployments: each node's answer, in the order asked.
    /// The second part: messages of errors that left some other field empty.
    async fn query_deployments(
        &self,
        ids: &[&str],
    ) -> Result<(Vec<NodeAnswer>, Vec<String>), Error> {
        let what = "reading deployments through GraphQL";
        self.bump(|s| {
            s.requests += 1;
            s.graphql += 1;
        });
        let resp = self
            .client
            .graphql(DEPLOYMENTS_QUERY, &serde_json::json!({ "ids": ids }))
            .await
            .map_err(|source| Error::api(what, source))?;
        if let Some(cost) = resp
            .data
            .get("rateLimit")
            .and_then(|r| r.get("cost"))
            .and_then(Value::as_u64)
        {
            self.bump(|s| s.graphql_points += cost);
        }
        let nodes = resp
            .data
            .get("nodes")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if nodes.len() != ids.len() {
            return Err(Error::GraphqlShape {
                detail: format!("{} node(s) for {} id(s)", nodes.len(), ids.len()),
            });
        }
        let error_at = |index: usize, field: Option<&str>| {
            resp.errors.iter().find(|e| {
                e.path.len() == 2 + usize::from(field.is_some())
                    && e.path.first().and_then(Value::as_str) == Some("nodes")
                    && e.path.get(1).and_then(Value::as_u64) == Some(index as u64)
                    && e.path.get(2).and_then(Value::as_str) == field
            })
        };
        let mut out = Vec::with_capacity(ids.len());
        for (index, (node, id)) in nodes.into_iter().zip(ids).enumerate() {
            if node.is_null() {
                let why = error_at(index, None)
                    .map(|e| e.message.chars().take(200).collect())
                    .unwrap_or_else(|| "null node".to_owned());
                out.push(NodeAnswer::Missing(why));
                continue;
            }
            let raw: GqlDeployment = decode("GraphQL deployment nodes", node)?;
            if raw.id.as_deref().is_some_and(|got| got != *id) {
                return Err(Error::GraphqlShape {
                    detail: format!("node {index} is not the deployment asked for"),
                });
            }
            let p = "GraphQL deployment statuses";
            let mut statuses = Vec::new();
            for st in present(raw.statuses) {
                statuses.push((
                    st.state.to_ascii_lowercase(),
                    ts(p, "createdAt", &st.created_at)?,
                ));
            }
            // The merged pull request is the one that shipped the commit.
            let merged = present(raw.commit.and_then(|c| c.associated_pull_requests))
                .find(|pr| pr.merged_at.is_some());
            let (pull, first_commit) = match merged {
                Some(pr) => {
                    let mut earliest = None;
                    for c in present(pr.commits) {
                        let Some(c) = c.commit else { continue };
                        let date = c.authored_date.or(c.committed_date);
                        if let Some(t) = opt_ts(
                            "GraphQL pull request commits",
                            "authoredDate",
                            date.as_deref(),
                        )? {
                            earliest = Some(earliest.map_or(t, |e: i64| e.min(t)));
                        }
                    }
                    (Some(pr.number), earliest)
                }
                None => (None, None),
            };
            let commit_error = error_at(index, Some("commit")).map(|e| e.message.clone());
            out.push(NodeAnswer::Found(
                Detail {
                    statuses,
                    pull,
                    first_commit,
                },
                commit_error,
            ));
        }
        // Any other error left a field empty (e.g. pull requests the token may not read):
        // the figures go on without it, and the report says so.
        let other: Vec<&str> = resp
            .errors
            .iter()
            .filter(|e| {
                let on_node = e.path.first().and_then(Value::as_str) == Some("nodes");
                let handled = on_node
                    && (e.path.len() == 2
                        || (e.path.len() == 3
                            && e.path.get(2).and_then(Value::as_str) == Some("commit")));
                !handled
            })
            .map(|e| e.message.as_str())
            .collect();
        let other = other.into_iter().map(str::to_owned).collect();
        Ok((out, other))
    }

    /// Each deployment's statuses, one REST request per deployment.
    /// Returns the ids of deployments that no longer exist (404).
    async fn rest_statuses(&self, deployments: &mut [Deployment]) -> Result<Vec<u64>, Error> {
        let paths: Vec<String> = deployments
            .iter()
            .map(|d| {
                self.repo_path(&format!(
                    "deployments/{}/statuses?per_page={PER_PAGE}",
                    d.id
                ))
            })
            .collect();
        let n = self.plan.concurrency.max(1);
        let answers: Vec<Result<Page, Error>> = stream::iter(paths)
            .map(|p: String| async move {
                self.get_settled(&p, "listing deployment statuses", finished_statuses)
                    .await
            })
            .buffered(n)
            .collect()
            .await;
        let mut gone = Vec::new();
        for (d, answer) in deployments.iter_mut().zip(answers) {
            let page = match answer {
                Ok(page) => page,
                // Deleted between the listing and this request.
                Err(Error::Api { source, .. })
                    if matches!(*source, crate::github::client::Error::NotFound { .. }) =>
                {
                    gone.push(d.id);
                    continue;
                }
                Err(e) => return Err(e),
            };
            let mut list = Self::items(&page, None);
            list.extend(
                self.follow_next(page, None, "listing deployment statuses")
                    .await?,
            );
            for v in list {
                let s: RawStatus = decode("deployment statuses", v)?;
                d.statuses.push(DeploymentStatus {
                    created: ts("deployment statuses", "created_at", &s.created_at)?,
                    state: s.state,
                });
            }
        }
        Ok(gone)
    }

    /// The first commit of the pull request that brought each successfully deployed commit.
    async fn first_commits(&self, deployments: &mut [Deployment]) -> Result<(), Error> {
        let shas: Vec<String> = deployments
            .iter()
            .filter(|d| !d.is_rollback() && d.succeeded_at().is_some())
            .map(|d| d.sha.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let n = self.plan.concurrency.max(1);
        let pulls: Vec<Result<Option<u64>, Error>> = stream::iter(&shas)
            .map(|sha| async move {
                let path = self.repo_path(&format!("commits/{}/pulls", encode(sha)));
                match self
                    .get_settled(&path, "listing pull requests for a commit", has_merged_pull)
                    .await
                {
                    Ok(page) => {
                        let prs: Vec<RawPull> = decode(&path, page.value)?;
                        // The merged pull request is the one that shipped the commit; an open
                        // one holding the same commit did not.
                        Ok(prs.iter().find(|p| p.merged_at.is_some()).map(|p| p.number))
                    }
                    // A commit GitHub no longer knows (force-pushed away) has no pull request.
                    Err(Error::Api { source, .. })
                        if matches!(
                            *source,
                            crate::github::client::Error::Status { status, .. }
                                if status == StatusCode::UNPROCESSABLE_ENTITY
                        ) =>
                    {
                        Ok(None)
                    }
                    Err(e) => Err(e),
                }
            })
            .buffered(n)
            .collect()
            .await;
        let mut by_sha: BTreeMap<String, u64> = BTreeMap::new();
        for (sha, pr) in shas.iter().zip(pulls) {
            if let Some(pr) = pr? {
                by_sha.insert(sha.clone(), pr);
            }
        }
        let numbers: Vec<u64> = by_sha
            .values()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let paths = numbers
            .iter()
            .map(|n| self.repo_path(&format!("pulls/{n}/commits?per_page={PER_PAGE}")))
            .collect();
        // Only merged pull requests are asked for (see above): their commits never change.
        let what = "listing the commits of a pull request";
        let pages = self
            .get_all_settled(paths, what, |v| v.as_array().is_some_and(|a| !a.is_empty()))
            .await?;
        let lists = self.with_next_pages(pages, None, what).await?;
        let mut first: BTreeMap<u64, i64> = BTreeMap::new();
        for (n, list) in numbers.iter().zip(lists) {
            let commits: Vec<RawCommit> = decode("pull request commits", Value::Array(list))?;
            let earliest = commits
                .iter()
                .filter_map(|c| {
                    let person = c.commit.author.as_ref().or(c.commit.committer.as_ref())?;
                    parse_ts(person.date.as_deref()?)
                })
                .min();
            if let Some(t) = earliest {
                first.insert(*n, t);
            }
        }
        for d in deployments.iter_mut() {
            d.first_commit = by_sha.get(&d.sha).and_then(|n| first.get(n)).copied();
        }
        Ok(())
    }

    /// run-tests reports from the repository's artifacts whose name starts with `prefix`
    /// (e.g. `test-results-`), created in the window, newest [`MAX_ARTIFACTS`] at most; oldest
    /// first. The artifact list is paged newest first and stops at the window's start; each
    /// artifact's zip is downloaded (the API redirects to storage) and every `report.json` in
    /// it read. What an artifact held is cached by its id: artifacts never change. Expired
    /// (410 Gone or `expired: true`), oversized and unreadable artifacts are skipped with a
    /// note.
    pub async fn test_reports(&self, prefix: &str) -> Result<Vec<Report>, Error> {
        let what = "listing artifacts";
        let mut found: Vec<(RawArtifact, i64)> = Vec::new();
        let (mut expired, mut oversized) = (0usize, 0usize);
        let mut path = self.repo_path(&format!("actions/artifacts?per_page={PER_PAGE}&page=1"));
        let mut seen = BTreeSet::new();
        for _ in 1..=MAX_ARTIFACT_PAGES {
            if !seen.insert(path.clone()) {
                break;
            }
            let listing = self.get(&path, what).await?;
            let items = Self::items(&listing, Some("artifacts"));
            let next = listing.link.as_deref().and_then(next_link);
            let mut reached_start = false;
            for v in items {
                let a: RawArtifact = decode("artifacts", v)?;
                let created = opt_ts("artifacts", "created_at", a.created_at.as_deref())?
                    .unwrap_or(self.plan.to);
                if created < self.plan.from {
                    reached_start = true;
                    continue;
                }
                if !a.name.starts_with(prefix) || found.len() >= MAX_ARTIFACTS {
                    continue;
                }
                if a.expired {
                    expired += 1;
                } else if a.size_in_bytes > MAX_ARTIFACT_BYTES as u64 {
                    oversized += 1;
                } else {
                    found.push((a, created));
                }
            }
            // The server's `Link` says whether there is more, whatever its page size.
            match next {
                Some(next) if !reached_start && found.len() < MAX_ARTIFACTS => {
                    path = self.same_host(&next)?;
                }
                _ => break,
            }
        }
        if found.is_empty() {
            self.note(format!(
                "no unexpired artifact named `{prefix}…` in the window: no flaky tests or coverage"
            ));
        }
        let n = self.plan.concurrency.max(1);
        let answers: Vec<Result<Option<Vec<Report>>, Error>> = stream::iter(&found)
            .map(|(a, _)| self.artifact_reports(a))
            .buffered(n)
            .collect()
            .await;
        let mut dated = Vec::new();
        for ((_, created), answer) in found.iter().zip(answers) {
            match answer? {
                Some(reports) => dated.extend(reports.into_iter().map(|r| (*created, r))),
                None => expired += 1,
            }
        }
        if expired > 0 {
            self.note(format!(
                "{expired} artifact(s) named `{prefix}…` have expired: their reports are not counted"
            ));
        }
        if oversized > 0 {
            self.note(format!(
                "{oversized} artifact(s) named `{prefix}…` are over {} MiB and were not downloaded",
                MAX_ARTIFACT_BYTES >> 20
            ));
        }
        dated.sort_by_key(|(t, _)| *t);
        Ok(dated.into_iter().map(|(_, r)| r).collect())
    }

    /// The reports of one artifact; `None` when it has expired (410).
    async fn artifact_reports(&self, a: &RawArtifact) -> Result<Option<Vec<Report>>, Error> {
        let key = format!("artifact:{}:reports", a.id);
        let label = format!("artifact `{}` ({})", a.name, a.id);
        let texts: Vec<(String, String)> = match self
            .read_cache(&key)
            .and_then(|c| serde_json::from_str(&c.body).ok())
        {
            Some(texts) => {
                self.bump(|s| s.settled += 1);
                texts
            }
            None => {
                let path = self.repo_path(&format!("actions/artifacts/{}/zip", a.id));
                self.bump(|s| s.requests += 1);
                let bytes = match self.client.download(&path, MAX_ARTIFACT_BYTES).await {
                    Ok(b) => b,
                    Err(crate::github::client::Error::Status { status, .. })
                        if status == StatusCode::GONE =>
                    {
                        return Ok(None);
                    }
                    Err(source) => return Err(Error::api("downloading an artifact", source)),
                };
                let texts = match report_texts(&bytes) {
                    Ok(t) => t,
                    Err(e) => {
                        self.note(format!("{label} is skipped: {e}"));
                        return Ok(Some(Vec::new()));
                    }
                };
                if let Ok(body) = serde_json::to_string(&texts) {
                    self.write_cache(&Cached {
                        path: key,
                        etag: String::new(),
                        link: None,
                        body,
                    });
                }
                texts
            }
        };
        let mut reports = Vec::new();
        for (name, text) in texts {
            let path = PathBuf::from(format!("{label}/{name}"));
            match super::reports::parse(&path, &text) {
                Ok(r) => reports.push(r),
                Err(e) => self.note(format!("skipped: {e}")),
            }
        }
        Ok(Some(reports))
    }

    /// The token's core rate limit (`GET /rate_limit` does not count against it).
    pub async fn rate_limit(&self) -> Result<Option<(u64, u64)>, Error> {
        let page = self.get("/rate_limit", "reading the rate limit").await?;
        let core = page.value.get("resources").and_then(|r| r.get("core"));
        Ok(core.and_then(|c| Some((c.get("remaining")?.as_u64()?, c.get("reset")?.as_u64()?))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_page_comes_from_the_link_header() {
        let h = r#"<https://api.github.com/repositories/1/deployments?page=2>; rel="next", <https://api.github.com/repositories/1/deployments?environment=p&page=20>; rel="last""#;
        let last = last_link(h).unwrap();
        assert_eq!(page_param(&last), Some(20));
        assert_eq!(last_link(r#"<https://x/y?page=2>; rel="next""#), None);
    }

    proptest::proptest! {
        #[test]
        fn link_headers_of_random_text_never_panic(s in "\\PC{0,80}") {
            let _ = last_link(&s).and_then(|u| page_param(&u));
            let _ = finished_statuses(&Value::String(s.clone()));
            let _ = has_merged_pull(&Value::String(s));
        }
    }

    #[test]
    fn slices_cover_the_window_without_overlap_in_whole_hours() {
        let from = 1_700_006_400; // a midnight
        let to = from + 31 * 86_400 - 1;
        let parts = slices(from, to, 10_000);
        assert_eq!(parts.len(), 16);
        assert_eq!(parts[0].0, from);
        assert_eq!(parts.last().unwrap().1, to);
        for w in parts.windows(2) {
            assert_eq!(w[0].1 + 1, w[1].0);
        }
        assert!(parts[..15].iter().all(|(a, b)| (b - a + 1) % 3600 == 0));
        // A few more runs the next hour: the same queries.
        assert_eq!(slices(from, to, 10_100), parts);
        // Short ranges cut into minutes, then seconds.
        let short = slices(from, from + 599, 5_000);
        assert_eq!(
            short.len(),
            5,
            "8 wanted, 2 minutes each: 5 cover 10 minutes"
        );
        assert!(short.iter().all(|(a, b)| a <= b));
        assert_eq!(slices(from, from + 3, 2_000).len(), 4);
    }

    proptest::proptest! {
        #[test]
        fn slices_always_cover_their_range(from in 0i64..2_000_000_000, len in 0i64..100_000_000, total in 0u64..10_000_000) {
            let to = from + len;
            let parts = slices(from, to, total);
            proptest::prop_assert!(!parts.is_empty());
            proptest::prop_assert_eq!(parts[0].0, from);
            proptest::prop_assert_eq!(parts.last().unwrap().1, to);
            for w in parts.windows(2) {
                proptest::prop_assert_eq!(w[0].1 + 1, w[1].0);
            }
        }
    }

    fn deployment(task: &str) -> Deployment {
        Deployment {
            id: 1,
            sha: "abc".into(),
            git_ref: "main".into(),
            environment: "production".into(),
            task: task.into(),
            description: String::new(),
            created: 100,
            statuses: Vec::new(),
            first_commit: None,
        }
    }

    #[test]
    fn a_deployment_is_settled_once_finished_and_its_change_known() {
        let detail = |states: &[&str], first_commit: Option<i64>| Detail {
            statuses: states.iter().map(|s| ((*s).to_owned(), 200)).collect(),
            pull: first_commit.map(|_| 7),
            first_commit,
        };
        let check = |task: &str, d: &Detail| {
            let mut dep = deployment(task);
            d.apply(&mut dep);
            (d.settled(&dep), dep.first_commit)
        };
        // Still running: asked again next time.
        assert_eq!(
            check("deploy", &detail(&["in_progress"], Some(50))),
            (false, None)
        );
        // Succeeded with its pull request: settled, with a lead time.
        assert_eq!(
            check("deploy", &detail(&["success"], Some(50))),
            (true, Some(50))
        );
        // Succeeded, pull request not known yet: asked again.
        assert_eq!(check("deploy", &detail(&["success"], None)), (false, None));
        // Failed, or a rollback: no change to trace, settled.
        assert_eq!(check("deploy", &detail(&["failure"], None)), (true, None));
        assert_eq!(
            check("deploy:rollback", &detail(&["success"], Some(50))),
            (true, None)
        );
    }

    #[test]
    fn cache_keys_are_hex_digests_of_the_path() {
        let k = cache_key("/repos/o/r/deployments?page=1");
        assert_eq!(k.len(), 64);
        assert!(k.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(k, cache_key("/repos/o/r/deployments?page=2"));
    }
}
