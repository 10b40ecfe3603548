//! The GitHub client against a local mock of the REST API, and the runtime through the binary.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::github_mock::{MockGitHub, Reply, fixture};
use common::slipway;
use slipway::error::Hint;
use slipway::github::client::{Client, Error, FakeClock, Repo, RetryPolicy, RunsQuery, Settings};
use slipway::github::mask::Secret;

const TOKEN: &str = "ghs_mockToken0123456789";
const NOW: u64 = 1_700_000_000;
const LATEST: &str = "/repos/octo-org/octo-repo/releases/latest";
const RUNS: &str = "/repos/octo-org/octo-repo/actions/runs";

fn settings(api_url: &str) -> Settings {
    Settings {
        api_url: api_url.to_owned(),
        token: Secret::new(TOKEN),
        repository: Some(Repo::parse("octo-org/octo-repo").unwrap()),
        retry: RetryPolicy::default(),
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(5),
    }
}

fn client(mock: &MockGitHub) -> (Client, Arc<FakeClock>) {
    let clock = Arc::new(FakeClock::at(NOW));
    let client = Client::new(settings(mock.url()))
        .unwrap()
        .with_clock(clock.clone());
    (client, clock)
}

fn secs(list: &[u64]) -> Vec<Duration> {
    list.iter().copied().map(Duration::from_secs).collect()
}

#[tokio::test]
async fn requests_carry_the_token_the_api_version_and_the_user_agent() {
    let mock = MockGitHub::start();
    mock.on("GET", LATEST)
        .then(Reply::json(200, fixture("release-latest.json")));
    let (client, clock) = client(&mock);
    let release = client.get_latest_release().await.unwrap().unwrap();
    assert_eq!(release.tag_name, "v1.0.0");
    assert_eq!(release.id, 1);
    let reqs = mock.requests();
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!((req.method.as_str(), req.path.as_str()), ("GET", LATEST));
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(req.header("x-github-api-version"), Some("2022-11-28"));
    assert_eq!(req.header("accept"), Some("application/vnd.github+json"));
    let agent = format!("slipway/{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        req.headers_named("user-agent").first(),
        Some(&agent.as_str())
    );
    assert!(clock.waits().is_empty());
}

#[tokio::test]
async fn a_bad_gateway_is_retried_with_backoff_and_then_succeeds() {
    let mock = MockGitHub::start();
    mock.on("GET", LATEST)
        .then(Reply::error(502, "Server Error"))
        .then(Reply::status(503))
        .then(Reply::json(200, fixture("release-latest.json")));
    let (client, clock) = client(&mock);
    assert!(client.get_latest_release().await.unwrap().is_some());
    assert_eq!(mock.requests().len(), 3);
    assert_eq!(clock.waits(), secs(&[1, 2]));
}

#[tokio::test]
async fn server_errors_that_persist_end_in_an_error_after_the_retries() {
    let mock = MockGitHub::start();
    mock.on("GET", LATEST)
        .then(Reply::error(500, "Server Error"));
    let (client, clock) = client(&mock);
    let err = client.get_latest_release().await.unwrap_err();
    assert!(matches!(err, Error::Server { attempts: 4, .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("GitHub answered `500 Internal Server Error` to `GET {LATEST}` 4 times")
    );
    assert_eq!(mock.requests().len(), 4);
    assert_eq!(clock.waits(), secs(&[1, 2, 4]));
}

#[tokio::test]
async fn a_secondary_limit_with_retry_after_waits_that_long() {
    let mock = MockGitHub::start();
    mock.on("GET", LATEST)
        .then(Reply::secondary_limit(1))
        .then(Reply::json(200, fixture("release-latest.json")));
    let (client, clock) = client(&mock);
    assert!(client.get_latest_release().await.unwrap().is_some());
    assert_eq!(clock.waits(), secs(&[1]));
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn a_secondary_limit_without_retry_after_waits_a_minute_then_longer() {
    let mock = MockGitHub::start();
    let limited = Reply::error(403, "You have exceeded a secondary rate limit.")
        .header("x-ratelimit-remaining", "4000");
    mock.on("GET", LATEST)
        .then(limited.clone())
        .then(limited)
        .then(Reply::json(200, fixture("release-latest.json")));
    let (client, clock) = client(&mock);
    assert!(client.get_latest_release().await.unwrap().is_some());
    assert_eq!(clock.waits(), secs(&[60, 120]));
}

#[tokio::test]
async fn a_429_without_headers_backs_off_like_a_secondary_limit() {
    let mock = MockGitHub::start();
    mock.on("GET", LATEST)
        .then(Reply::status(429))
        .then(Reply::json(200, fixture("release-latest.json")));
    let (client, clock) = client(&mock);
    assert!(client.get_latest_release().await.unwrap().is_some());
    assert_eq!(clock.waits(), secs(&[60]));
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn a_503_with_retry_after_waits_that_long_instead_of_the_backoff() {
    let mock = MockGitHub::start();
    mock.on("GET", LATEST)
        .then(Reply::status(503).header("retry-after", "7"))
        .then(Reply::json(200, fixture("release-latest.json")));
    let (client, clock) = client(&mock);
    assert!(client.get_latest_release().await.unwrap().is_some());
    assert_eq!(clock.waits(), secs(&[7]));
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn a_primary_limit_waits_until_the_reset() {
    let mock = MockGitHub::start();
    mock.on("GET", LATEST)
        .then(Reply::primary_limit(NOW + 30))
        .then(Reply::json(200, fixture("release-latest.json")));
    let (client, clock) = client(&mock);
    assert!(client.get_latest_release().await.unwrap().is_some());
    assert_eq!(clock.waits(), secs(&[31]));
}

#[tokio::test]
async fn a_primary_limit_that_resets_too_late_fails_at_once() {
    let mock = MockGitHub::start();
    mock.on("GET", LATEST)
        .then(Reply::primary_limit(NOW + 3600));
    let (client, clock) = client(&mock);
    let err = client.get_latest_release().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "GitHub's primary rate limit stops `GET {LATEST}`: it needs a wait of 3601s, more than the allowed 300s"
        )
    );
    assert!(clock.waits().is_empty());
    assert_eq!(mock.requests().len(), 1);
}

/// GraphQL's rate-limit answer: 200 with a `RATE_LIMITED` error.
fn graphql_limited() -> Reply {
    Reply::json(
        200,
        r#"{"errors":[{"type":"RATE_LIMITED","message":"API rate limit exceeded."}]}"#,
    )
}

#[tokio::test]
async fn a_graphql_secondary_limit_backs_off_like_rest_then_answers() {
    let mock = MockGitHub::start();
    mock.on("POST", "/graphql")
        .then(graphql_limited())
        .then(graphql_limited())
        .then(Reply::json(200, r#"{"data":{"viewer":{"login":"octo"}}}"#));
    let (client, clock) = client(&mock);
    let answer = client
        .graphql("query { viewer { login } }", &serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(answer.data["viewer"]["login"], "octo");
    assert_eq!(clock.waits(), secs(&[60, 120]));
}

#[tokio::test]
async fn a_graphql_limit_that_persists_honours_retry_after_then_fails() {
    let mock = MockGitHub::start();
    mock.on("POST", "/graphql")
        .then(graphql_limited().header("retry-after", "2"));
    let (client, clock) = client(&mock);
    let err = client
        .graphql("query { viewer { login } }", &serde_json::json!({}))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "GitHub's GraphQL secondary rate limit stops `POST /graphql`: still limited after 3 retries"
    );
    assert_eq!(clock.waits(), secs(&[2, 2, 2]));
    assert_eq!(mock.requests().len(), 4);
}

fn runs_page(first_id: u64) -> String {
    let mut page: serde_json::Value = serde_json::from_str(&fixture("workflow-runs.json")).unwrap();
    let run = page["workflow_runs"][0].clone();
    let runs: Vec<serde_json::Value> = (0..2)
        .map(|i| {
            let mut r = run.clone();
            r["id"] = (first_id + i).into();
            r
        })
        .collect();
    page["workflow_runs"] = runs.into();
    page["total_count"] = 6.into();
    page.to_string()
}

#[tokio::test]
async fn workflow_runs_follow_link_headers_across_three_pages() {
    let mock = MockGitHub::start();
    mock.on("GET", &format!("{RUNS}?branch=main&per_page=2"))
        .then(
            Reply::json(200, runs_page(1))
                .next_page(&format!("{RUNS}?branch=main&per_page=2&page=2")),
        );
    mock.on("GET", &format!("{RUNS}?branch=main&per_page=2&page=2"))
        .then(
            Reply::json(200, runs_page(3))
                .next_page(&format!("{RUNS}?branch=main&per_page=2&page=3")),
        );
    mock.on("GET", &format!("{RUNS}?branch=main&per_page=2&page=3"))
        .then(Reply::json(200, runs_page(5)));
    let (client, _) = client(&mock);
    let query = RunsQuery {
        branch: Some("main".into()),
        per_page: Some(2),
        ..RunsQuery::default()
    };
    let runs = client.list_workflow_runs(&query, 100).await.unwrap();
    let ids: Vec<u64> = runs.iter().map(|r| r.id).collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    assert_eq!(runs[0].head_sha, "acb5820ced9479c074f688cc328bf03f341a511d");
    let reqs = mock.requests();
    let queries: Vec<&str> = reqs.iter().map(|r| r.query.as_str()).collect();
    assert_eq!(
        queries,
        [
            "branch=main&per_page=2",
            "branch=main&per_page=2&page=2",
            "branch=main&per_page=2&page=3"
        ]
    );
    assert!(reqs.iter().all(|r| r.header("authorization").is_some()));
}

#[tokio::test]
async fn paging_stops_at_the_limit() {
    let mock = MockGitHub::start();
    mock.on("GET", RUNS)
        .then(Reply::json(200, runs_page(1)).next_page(&format!("{RUNS}?page=2")));
    let (client, _) = client(&mock);
    let runs = client
        .list_workflow_runs(&RunsQuery::default(), 2)
        .await
        .unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test]
async fn paging_stops_when_a_next_link_repeats_a_page_already_fetched() {
    let mock = MockGitHub::start();
    let page2 = format!("{RUNS}?page=2");
    mock.on("GET", RUNS)
        .then(Reply::json(200, runs_page(1)).next_page(&page2));
    // Page 2 links back to itself, forever.
    let looping = Reply::json(200, runs_page(3)).next_page(&page2);
    mock.on("GET", &page2)
        .then(looping.clone())
        .then(looping.clone())
        .then(looping);
    let (client, _) = client(&mock);
    let runs = client
        .list_workflow_runs(&RunsQuery::default(), 100)
        .await
        .unwrap();
    let ids: Vec<u64> = runs.iter().map(|r| r.id).collect();
    assert_eq!(ids, [1, 2, 3, 4]);
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn paging_stops_at_an_empty_page_even_with_a_next_link() {
    let mut empty: serde_json::Value = serde_json::from_str(&runs_page(1)).unwrap();
    empty["workflow_runs"] = serde_json::Value::Array(Vec::new());
    let mock = MockGitHub::start();
    mock.on("GET", RUNS)
        .then(Reply::json(200, runs_page(1)).next_page(&format!("{RUNS}?page=2")));
    mock.on("GET", &format!("{RUNS}?page=2"))
        .then(Reply::json(200, empty.to_string()).next_page(&format!("{RUNS}?page=3")));
    mock.on("GET", &format!("{RUNS}?page=3"))
        .then(Reply::json(200, runs_page(5)));
    let (client, _) = client(&mock);
    let runs = client
        .list_workflow_runs(&RunsQuery::default(), 100)
        .await
        .unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn a_missing_resource_names_the_path() {
    let mock = MockGitHub::start();
    let (client, clock) = client(&mock);
    let err = client
        .list_workflow_runs(&RunsQuery::default(), 10)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("not found: `{RUNS}` (404 for `GET`)")
    );
    assert!(err.hint().unwrap().contains("404"));
    assert!(clock.waits().is_empty());
}

#[tokio::test]
async fn no_latest_release_is_none() {
    let mock = MockGitHub::start();
    let (client, _) = client(&mock);
    assert_eq!(client.get_latest_release().await.unwrap(), None);
}

#[tokio::test]
async fn a_forbidden_answer_names_the_permission_it_needs() {
    let mock = MockGitHub::start();
    mock.on("GET", RUNS).then(
        Reply::error(403, "Resource not accessible by integration")
            .header("x-accepted-github-permissions", "actions=read")
            .header("x-ratelimit-remaining", "999"),
    );
    let (client, clock) = client(&mock);
    let err = client
        .list_workflow_runs(&RunsQuery::default(), 10)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "GitHub denied `GET {RUNS}` (403 Forbidden): Resource not accessible by integration"
        )
    );
    assert!(
        err.hint().unwrap().contains("`actions=read`"),
        "{:?}",
        err.hint()
    );
    assert!(clock.waits().is_empty());
}

#[tokio::test]
async fn the_token_never_shows_in_debug_or_error_output() {
    let mock = MockGitHub::start();
    mock.on("GET", LATEST)
        .then(Reply::error(401, "Bad credentials"));
    let s = settings(mock.url());
    assert!(!format!("{s:?}").contains(TOKEN));
    let (client, _) = client(&mock);
    assert!(!format!("{client:?}").contains(TOKEN));
    let err = client.get_latest_release().await.unwrap_err();
    assert!(matches!(err, Error::Unauthorized { .. }));
    let failure = slipway::error::Failure::from(err);
    let text = format!("{}{failure:?}", failure.render());
    assert!(!text.contains(TOKEN), "{text}");
    assert!(text.contains("GITHUB_TOKEN"), "{text}");
}

#[tokio::test]
async fn enterprise_server_urls_keep_their_api_path() {
    let mock = MockGitHub::start();
    mock.on("GET", &format!("/api/v3{LATEST}"))
        .then(Reply::json(200, fixture("release-latest.json")));
    mock.on("GET", &format!("/api/v3{RUNS}"))
        .then(Reply::json(200, runs_page(1)).next_page(&format!("/api/v3{RUNS}?page=2")));
    mock.on("GET", &format!("/api/v3{RUNS}?page=2"))
        .then(Reply::json(200, runs_page(3)));
    let clock = Arc::new(FakeClock::at(NOW));
    let client = Client::new(settings(&format!("{}/api/v3/", mock.url())))
        .unwrap()
        .with_clock(clock);
    assert!(client.get_latest_release().await.unwrap().is_some());
    let runs = client
        .list_workflow_runs(&RunsQuery::default(), 10)
        .await
        .unwrap();
    assert_eq!(runs.len(), 4);
    let paths: Vec<String> = mock.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        [
            format!("/api/v3{LATEST}"),
            format!("/api/v3{RUNS}"),
            format!("/api/v3{RUNS}")
        ]
    );
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused() {
    let mock = MockGitHub::start();
    mock.on("GET", RUNS).then(
        Reply::json(200, runs_page(1))
            .header("link", "<https://evil.example/x?page=2>; rel=\"next\""),
    );
    let (client, _) = client(&mock);
    let err = client
        .list_workflow_runs(&RunsQuery::default(), 10)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::ForeignLink { .. }), "{err:?}");
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test]
async fn network_errors_name_the_host_after_the_retries() {
    // Port 9 (discard) on localhost refuses connections in test environments.
    let clock = Arc::new(FakeClock::at(NOW));
    let client = Client::new(settings("http://127.0.0.1:9"))
        .unwrap()
        .with_clock(clock.clone());
    let err = client.get_latest_release().await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("could not reach `127.0.0.1` for `GET "),
        "{err}"
    );
    assert_eq!(clock.waits(), secs(&[1, 2, 4]));
}

#[tokio::test]
async fn rate_limit_reads_the_core_bucket() {
    let mock = MockGitHub::start();
    mock.on("GET", "/rate_limit")
        .then(Reply::json(200, fixture("rate-limit.json")));
    let (client, _) = client(&mock);
    let limit = client.rate_limit().await.unwrap();
    assert_eq!((limit.core.limit, limit.core.remaining), (5000, 4999));
}

#[test]
fn a_missing_token_asks_to_set_github_token() {
    let err = Settings::from_vars(|_| None).unwrap_err();
    assert_eq!(
        err.to_string(),
        "no GitHub token: `GITHUB_TOKEN` and `GH_TOKEN` are not set"
    );
    assert!(err.hint().unwrap().starts_with("set GITHUB_TOKEN"));
}

#[test]
fn a_failing_command_in_actions_also_prints_an_error_annotation() {
    let t = slipway()
        .args(["detect", "/nonexistent-dir-for-slipway"])
        .in_actions()
        .run();
    t.code(2);
    assert!(t.stderr.starts_with("error: "), "{t}");
    let annotation = t
        .stderr
        .lines()
        .find(|l| l.starts_with("::error title=slipway detect::"));
    assert!(annotation.is_some(), "{t}");
    assert!(t.stdout.is_empty(), "{t}");
}

#[test]
fn a_failing_command_outside_actions_prints_no_workflow_command() {
    let t = slipway()
        .args(["detect", "/nonexistent-dir-for-slipway"])
        .run();
    t.code(2);
    assert!(!t.stderr.contains("::error"), "{t}");
}
