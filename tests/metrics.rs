//! `slipway metrics` against a local server that answers like GitHub: several pages fetched
//! concurrently, an ETag 304 from the on-disk cache, a secondary rate limit with
//! `retry-after`, a 502, a token without scope, a repository without deployments, and the HTML
//! dashboard rendered by headless Chromium. Deployment statuses and pull requests come from a
//! GraphQL endpoint answering `nodes(ids:)` like GitHub's (nodes in order, `null` plus
//! `errors` for what it cannot resolve, `RATE_LIMITED`), or through REST where it answers 404;
//! the run listing enforces GitHub's 1,000-result cap per filtered query; report artifacts are
//! served as zips behind a 302 to storage.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use common::github_mock::{MockGitHub, Reply, Request, fixture};
use common::slipway;
use serde_json::{Value, json};

const REPO: &str = "/repos/octo-org/octo-repo";
const DAY: i64 = 86_400;

fn metrics_fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/metrics/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn ts(t: i64) -> String {
    slipway::metrics::time::rfc3339(t)
}

/// A workflow run shaped like GitHub's example, with our times and outcome.
fn run(
    id: u64,
    workflow: &str,
    conclusion: Option<&str>,
    created: i64,
    started: i64,
    updated: i64,
) -> Value {
    let mut r = metrics_fixture("workflow-run.json");
    r["id"] = json!(id);
    r["name"] = json!(workflow);
    r["path"] = json!(format!(".github/workflows/{workflow}.yml@main"));
    r["status"] = json!(if conclusion.is_some() {
        "completed"
    } else {
        "in_progress"
    });
    r["conclusion"] = json!(conclusion);
    r["created_at"] = json!(ts(created));
    r["run_started_at"] = json!(ts(started));
    r["updated_at"] = json!(ts(updated));
    r
}

/// The GraphQL node id of deployment `id`.
fn node_id(id: u64) -> String {
    format!("DE_kwDOHb{id:06}")
}

fn deployment(id: u64, sha: &str, task: &str, created: i64) -> Value {
    let mut d = metrics_fixture("deployment.json");
    d["id"] = json!(id);
    d["node_id"] = json!(node_id(id));
    d["sha"] = json!(sha);
    d["ref"] = json!("main");
    d["task"] = json!(task);
    d["environment"] = json!("production");
    d["description"] = json!(format!("{task} {sha}"));
    d["created_at"] = json!(ts(created));
    d
}

fn statuses(list: &[(&str, i64)]) -> String {
    let mut out: Vec<Value> = list
        .iter()
        .map(|(state, at)| {
            let mut s = metrics_fixture("deployment-status.json");
            s["state"] = json!(state);
            s["created_at"] = json!(ts(*at));
            s
        })
        .collect();
    out.reverse(); // newest first, as GitHub lists them
    Value::Array(out).to_string()
}

fn pull(number: u64) -> String {
    let mut p = metrics_fixture("pull.json");
    p["number"] = json!(number);
    json!([p]).to_string()
}

fn commits(dates: &[i64]) -> String {
    let list: Vec<Value> = dates
        .iter()
        .map(|d| {
            let mut c = metrics_fixture("commit.json");
            c["commit"]["author"]["date"] = json!(ts(*d));
            c["commit"]["committer"]["date"] = json!(ts(*d + 60));
            c
        })
        .collect();
    Value::Array(list).to_string()
}

/// A `Deployment` node as GitHub's GraphQL API answers the metrics query: its statuses
/// (newest first) and the merged pull request of its commit with that pull request's commit
/// dates (author date `d`, committer date `d + 60`).
fn gql_node(id: u64, statuses: &[(&str, i64)], pull: Option<(u64, &[i64])>) -> Value {
    let mut list: Vec<Value> = statuses
        .iter()
        .map(|(state, at)| json!({ "state": state.to_ascii_uppercase(), "createdAt": ts(*at) }))
        .collect();
    list.reverse();
    let pulls: Vec<Value> = pull
        .map(|(number, dates)| {
            let commits: Vec<Value> = dates
                .iter()
                .map(|d| json!({ "commit": { "authoredDate": ts(*d), "committedDate": ts(*d + 60) } }))
                .collect();
            json!({
                "number": number,
                "createdAt": ts(dates.first().copied().unwrap_or(0)),
                "mergedAt": ts(dates.last().copied().unwrap_or(0) + 600),
                "commits": { "nodes": commits },
            })
        })
        .into_iter()
        .collect();
    json!({
        "id": node_id(id),
        "statuses": { "nodes": list },
        "commit": { "associatedPullRequests": { "nodes": pulls } },
    })
}

/// What the mock's GraphQL API knows and how it answers.
#[derive(Default)]
struct Graphql {
    /// Nodes by id; an id not here resolves to `null` with a `NOT_FOUND` error.
    nodes: BTreeMap<String, Value>,
    /// Ids whose commit is gone: `commit` is `null` with a `NOT_FOUND` error.
    lost_commits: Vec<String>,
    /// Ids whose pull requests the token may not read: `null` with a `FORBIDDEN` error.
    forbidden_pulls: Vec<String>,
    /// Replies sent before any computed one (a 502, a `RATE_LIMITED` answer).
    first: VecDeque<Reply>,
}

/// The ids a `nodes(ids:)` query asked for.
fn asked_ids(req: &Request) -> Vec<String> {
    let body: Value = serde_json::from_str(&req.body).unwrap_or_default();
    body["variables"]["ids"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Serves `POST /graphql` from `g`, like GitHub: nodes in the order asked, `null` plus an
/// `errors` entry for what cannot be resolved, at most 100 ids a query.
fn serve_graphql(mock: &MockGitHub, g: Graphql) {
    let g = Arc::new(Mutex::new(g));
    mock.handle("POST", "/graphql", move |req| {
        let mut g = g.lock().unwrap();
        if let Some(reply) = g.first.pop_front() {
            return reply;
        }
        let body: Value = serde_json::from_str(&req.body).unwrap_or_default();
        let query = body["query"].as_str().unwrap_or_default();
        assert!(query.contains("nodes(ids: $ids)"), "unexpected query {query}");
        let ids = asked_ids(req);
        if ids.len() > 100 {
            return Reply::json(
                200,
                json!({ "errors": [{ "type": "EXCESSIVE_PAGINATION", "message": format!("{} ids given, at most 100 are allowed", ids.len()) }] })
                    .to_string(),
            );
        }
        let mut errors = Vec::new();
        let nodes: Vec<Value> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| match g.nodes.get(id) {
                Some(node) if g.lost_commits.contains(id) => {
                    errors.push(json!({
                        "type": "NOT_FOUND",
                        "path": ["nodes", i, "commit"],
                        "locations": [{ "line": 6, "column": 7 }],
                        "message": "Could not resolve to a Commit.",
                    }));
                    let mut node = node.clone();
                    node["commit"] = Value::Null;
                    node
                }
                Some(node) if g.forbidden_pulls.contains(id) => {
                    errors.push(json!({
                        "type": "FORBIDDEN",
                        "path": ["nodes", i, "commit", "associatedPullRequests"],
                        "locations": [{ "line": 7, "column": 9 }],
                        "message": "Resource not accessible by integration",
                    }));
                    let mut node = node.clone();
                    node["commit"]["associatedPullRequests"] = Value::Null;
                    node
                }
                Some(node) => node.clone(),
                None => {
                    errors.push(json!({
                        "type": "NOT_FOUND",
                        "path": ["nodes", i],
                        "locations": [{ "line": 3, "column": 3 }],
                        "message": format!("Could not resolve to a node with the global id of '{id}'"),
                    }));
                    Value::Null
                }
            })
            .collect();
        let cost = (ids.len() * 5).div_ceil(100).max(1);
        let mut answer = json!({
            "data": {
                "rateLimit": { "cost": cost, "remaining": 990, "resetAt": "2100-01-01T00:00:00Z" },
                "nodes": nodes,
            }
        });
        if !errors.is_empty() {
            answer["errors"] = Value::Array(errors);
        }
        Reply::json(200, answer.to_string())
            .header("x-ratelimit-limit", "1000")
            .header("x-ratelimit-remaining", "990")
            .header("x-ratelimit-resource", "graphql")
    });
}

/// How the script serves deployment statuses and pull requests.
#[derive(Clone, Copy, PartialEq)]
enum Api {
    /// Through GraphQL (the first query answers 502).
    Graphql,
    /// Only through REST: `/graphql` answers 404 as on a server without it.
    Rest,
}

/// The history whose figures are worked out by hand in [`figures_match_the_hand_computed_history`].
///
/// Deployments to production, T = 20 days ago:
/// - d1 T: success at T+100; PR 11's first commit at T-7200            lead 7300
/// - d2 T+1d: success at +200; PR 12's first commit one day earlier    lead 86600
/// - d3 T+2d: failure at +60                                           incident (failed)
/// - d4 T+2d+1h: success at +100; PR 14 first commit T+2d-1h           lead 7300, restores d3 after 3640
/// - d5 T+3d: success at +100; no pull request                         rolled back by d6
/// - d6 T+3d+30m: task deploy:rollback, success at +50                 restores d5 after 1750
/// - d7 T+4d: queued only                                              pending
/// - d0 40 days ago: outside the window, on the last page
///
/// Workflow runs: 200 `ci` runs (100 of 2 minutes, 100 of 10 minutes; one in four failed;
/// queued 30 s, one started 10 s before it was created), 3 `ci` runs in progress, 2 `cd` runs
/// of 15 minutes of which one is a re-run: 205 runs, three pages.
fn script(mock: &MockGitHub, with_etag: bool, api: Api) -> i64 {
    let now = now();
    let t = now - 20 * DAY;
    mock.on("GET", "/rate_limit")
        .then(Reply::json(200, fixture("rate-limit.json")));

    let mut runs = Vec::new();
    for i in 0..200u64 {
        let created = t + i as i64 * 600;
        let started = if i == 0 { created - 10 } else { created + 30 };
        let dur = if i < 100 { 120 } else { 600 };
        let c = if i % 4 == 3 { "failure" } else { "success" };
        runs.push(run(
            1000 + i,
            "ci",
            Some(c),
            created,
            started,
            started + dur,
        ));
    }
    for i in 0..3u64 {
        runs.push(run(2000 + i, "ci", None, now - 300, now - 200, now - 100));
    }
    for i in 0..2u64 {
        let mut r = run(
            3000 + i,
            "cd",
            Some("success"),
            t + DAY,
            t + DAY + 60,
            t + DAY + 960,
        );
        r["run_attempt"] = json!(i + 1);
        runs.push(r);
    }
    runs.reverse(); // newest first
    let since = slipway::metrics::time::date(now - 30 * DAY);
    let base = format!("{REPO}/actions/runs?created=%3E%3D{since}&per_page=100");
    for (page, chunk) in runs.chunks(100).enumerate() {
        let body = json!({ "total_count": 205, "workflow_runs": chunk }).to_string();
        let route = mock.on("GET", &format!("{base}&page={}", page + 1));
        if page == 1 {
            // A secondary rate limit first: the client waits `retry-after` and asks again.
            route
                .then(Reply::secondary_limit(1))
                .then(Reply::json(200, body));
        } else {
            route.then(Reply::json(200, body));
        }
    }
    // Jobs of the newest completed run of each workflow (--job-sample 1).
    let mut job = metrics_fixture("job.json");
    job["run_id"] = json!(1199);
    job["name"] = json!("test");
    mock.on("GET", &format!("{REPO}/actions/runs/1199/jobs"))
        .then(Reply::json(
            200,
            json!({ "total_count": 1, "jobs": [job] }).to_string(),
        ));
    let mut job = metrics_fixture("job.json");
    job["run_id"] = json!(3001);
    job["name"] = json!("deploy");
    mock.on("GET", &format!("{REPO}/actions/runs/3001/jobs"))
        .then(Reply::json(
            200,
            json!({ "total_count": 1, "jobs": [job] }).to_string(),
        ));

    let deps = [
        deployment(7, "s7", "deploy", t + 4 * DAY),
        deployment(6, "s4", "deploy:rollback", t + 3 * DAY + 1800),
        deployment(5, "s5", "deploy", t + 3 * DAY),
        deployment(4, "s4", "deploy", t + 2 * DAY + 3600),
        deployment(3, "s3", "deploy", t + 2 * DAY),
        deployment(2, "s2", "deploy", t + DAY),
        deployment(1, "s1", "deploy", t),
        deployment(100, "s0", "deploy", now - 40 * DAY),
    ];
    let base = format!("{REPO}/deployments?environment=production&per_page=100");
    for (page, chunk) in deps.chunks(3).enumerate() {
        // Like GitHub, the last page has no `rel="next"`.
        let next = if page < 2 {
            format!("<{{base}}{base}&page={}>; rel=\"next\", ", page + 2)
        } else {
            String::new()
        };
        let mut reply = Reply::json(200, Value::Array(chunk.to_vec()).to_string()).header(
            "link",
            &format!("{next}<{{base}}{base}&page=3>; rel=\"last\""),
        );
        if page == 0 && with_etag {
            reply = reply.header("etag", "W/\"deployments-1\"");
        }
        let route = mock.on("GET", &format!("{base}&page={}", page + 1));
        if page == 0 && with_etag {
            route
                .then(reply)
                .then(Reply::status(304).header("etag", "W/\"deployments-1\""));
        } else {
            route.then(reply);
        }
    }
    let st = |id: u64, list: &[(&str, i64)]| {
        mock.on("GET", &format!("{REPO}/deployments/{id}/statuses"))
            .then(Reply::json(200, statuses(list)).header("etag", &format!("\"statuses-{id}\"")));
    };
    let s1: &[(&str, i64)] = &[("in_progress", t + 10), ("success", t + 100)];
    let s2: &[(&str, i64)] = &[("success", t + DAY + 200)];
    let s3: &[(&str, i64)] = &[("failure", t + 2 * DAY + 60)];
    let s4: &[(&str, i64)] = &[("success", t + 2 * DAY + 3700)];
    let s5: &[(&str, i64)] = &[("success", t + 3 * DAY + 100)];
    let s6: &[(&str, i64)] = &[("success", t + 3 * DAY + 1850)];
    let s7: &[(&str, i64)] = &[("queued", t + 4 * DAY + 5)];
    let (pr11, pr12, pr14) = ([t - 7200, t - 3600], [t], [t + 2 * DAY - 3600]);
    st(1, s1);
    mock.on("GET", &format!("{REPO}/deployments/2/statuses"))
        .then(Reply::error(502, "Server Error"))
        .then(Reply::json(200, statuses(s2)));
    st(3, s3);
    st(4, s4);
    st(5, s5);
    st(6, s6);
    st(7, s7);
    if api == Api::Graphql {
        let mut g = Graphql::default();
        for node in [
            gql_node(1, s1, Some((11, &pr11))),
            gql_node(2, s2, Some((12, &pr12))),
            gql_node(3, s3, None),
            gql_node(4, s4, Some((14, &pr14))),
            gql_node(5, s5, None),
            gql_node(6, s6, Some((14, &pr14))),
            gql_node(7, s7, None),
        ] {
            g.nodes
                .insert(node["id"].as_str().unwrap().to_owned(), node);
        }
        // A 502 first: the query only reads, so it is sent again.
        g.first.push_back(Reply::error(502, "Server Error"));
        serve_graphql(mock, g);
    }

    for (sha, pr) in [
        ("s1", Some(11)),
        ("s2", Some(12)),
        ("s4", Some(14)),
        ("s5", None),
    ] {
        let body = pr.map_or_else(|| "[]".to_owned(), pull);
        mock.on("GET", &format!("{REPO}/commits/{sha}/pulls"))
            .then(Reply::json(200, body));
    }
    mock.on("GET", &format!("{REPO}/pulls/11/commits"))
        .then(Reply::json(200, commits(&pr11)));
    mock.on("GET", &format!("{REPO}/pulls/12/commits"))
        .then(Reply::json(200, commits(&pr12)));
    mock.on("GET", &format!("{REPO}/pulls/14/commits"))
        .then(Reply::json(200, commits(&pr14)));
    now
}

/// `slipway metrics --json` against `mock`, which must succeed, and its parsed report.
fn metrics_json(mock: &MockGitHub, cache: &std::path::Path) -> (common::Transcript, Value) {
    let t = metrics(mock, cache, &["--json"]);
    t.code(0);
    let r = serde_json::from_str(&t.stdout).unwrap();
    (t, r)
}

fn metrics(mock: &MockGitHub, cache: &std::path::Path, extra: &[&str]) -> common::Transcript {
    slipway()
        .env("GITHUB_TOKEN", "ghs_metricstoken")
        .env("GITHUB_API_URL", mock.url())
        .args([
            "metrics",
            "--repo",
            "octo-org/octo-repo",
            "--job-sample",
            "1",
            "--cache-dir",
        ])
        .arg_path(cache)
        .args(extra)
        .current_dir(cache)
        .run()
}

/// The figures of [`script`]'s history, worked out by hand.
fn assert_hand_computed_figures(r: &Value) {
    let d = &r["dora"];
    // d1, d2, d4, d5 succeeded (the rollback d6 is not a change); 4 in 30 days.
    assert_eq!(d["frequency"]["deployments"], 4);
    assert_eq!(d["frequency"]["per_day"], 0.13);
    assert_eq!(d["frequency"]["per_week"], 0.93);
    assert_eq!(d["frequency"]["band"], "medium");
    assert_eq!(d["pending"], 1);
    // Lead times 7300, 86600, 7300: median 7300, p90 86600.
    assert_eq!(d["lead_time"]["samples"], 3);
    assert_eq!(d["lead_time"]["median_s"], 7300.0);
    assert_eq!(d["lead_time"]["p90_s"], 86600.0);
    assert_eq!(d["lead_time"]["band"], "high");
    // d3 failed, d5 was rolled back: 2 of 5 finished changes.
    assert_eq!(d["change_failure_rate"]["failed"], 2);
    assert_eq!(d["change_failure_rate"]["total"], 5);
    assert_eq!(d["change_failure_rate"]["percent"], 40.0);
    assert_eq!(d["change_failure_rate"]["band"], "low");
    let kinds: Vec<&str> = d["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["failed", "rolled-back"]);
    // Restores 3640 and 1750.
    assert_eq!(d["time_to_restore"]["samples"], 2);
    assert_eq!(d["time_to_restore"]["median_s"], 1750.0);
    assert_eq!(d["time_to_restore"]["p90_s"], 3640.0);
    assert_eq!(d["time_to_restore"]["band"], "elite");

    let wf = r["pipelines"]["workflows"].as_array().unwrap();
    let ci = wf.iter().find(|w| w["workflow"] == "ci").unwrap();
    assert_eq!(ci["runs"], 200);
    assert_eq!(ci["in_progress"], 3);
    assert_eq!(ci["success_rate"], 75.0);
    assert_eq!(ci["p50_s"], 120.0);
    assert_eq!(ci["p95_s"], 600.0);
    assert_eq!(ci["queue_p50_s"], 30.0);
    assert_eq!(ci["clamped"], 1);
    assert_eq!(ci["jobs"][0]["job"], "test");
    let cd = wf.iter().find(|w| w["workflow"] == "cd").unwrap();
    assert_eq!(
        (cd["runs"].as_u64(), cd["reruns"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(
        !r["pipelines"]["slowest_steps"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // Default targets: failure rate 40 % > 5 %, restore 29m 10s > 15m; the build is fine.
    let targets: Vec<&str> = r["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["change-failure-rate", "time-to-restore"]);
    let notes = r["notes"].as_array().unwrap();
    assert!(notes.iter().any(|n| {
        n.as_str()
            .unwrap()
            .contains("3 run(s) still queued or in progress")
    }));
    assert!(
        notes
            .iter()
            .any(|n| n.as_str().unwrap().contains("clock skew"))
    );
}

fn request_list(mock: &MockGitHub) -> Vec<String> {
    mock.requests()
        .iter()
        .map(|r| format!("{} {}?{}", r.method, r.path, r.query))
        .collect()
}

#[test]
fn figures_match_the_hand_computed_history() {
    let mock = MockGitHub::start();
    script(&mock, false, Api::Graphql);
    let dir = tempfile::tempdir().unwrap();
    let (t, r) = metrics_json(&mock, dir.path());
    assert_hand_computed_figures(&r);

    // One request per page, one GraphQL query for the seven deployments' statuses and pull
    // requests, none of them twice except retries: rate limit, 3 run pages (+1 after the
    // secondary limit), 3 deployment pages, 1 GraphQL query (+1 after the 502), 2 job lists.
    let reqs = request_list(&mock);
    assert_eq!(reqs.len(), 1 + 4 + 3 + 2 + 2, "{reqs:#?}");
    assert!(
        !reqs
            .iter()
            .any(|r| r.contains("/statuses") || r.contains("/pulls")),
        "no per-deployment REST request: {reqs:#?}"
    );
    let queries: Vec<Request> = mock
        .requests()
        .into_iter()
        .filter(|r| r.path == "/graphql")
        .collect();
    assert_eq!(queries[0].method, "POST");
    assert_eq!(
        queries[1].header("authorization"),
        Some("Bearer ghs_metricstoken")
    );
    let ids = asked_ids(&queries[1]);
    assert_eq!(ids, (1..=7).rev().map(node_id).collect::<Vec<_>>());
    assert_eq!(r["api"]["requests"], 1 + 3 + 3 + 1 + 2);
    assert_eq!(r["api"]["graphql"], 1);
    assert_eq!(r["api"]["graphql_points"], 1);
    assert!(!t.stdout.contains("ghs_metricstoken") && !t.stderr.contains("ghs_metricstoken"));
}

#[test]
fn without_graphql_the_same_figures_come_from_rest_one_deployment_at_a_time() {
    let mock = MockGitHub::start();
    script(&mock, false, Api::Rest);
    let dir = tempfile::tempdir().unwrap();
    let (t, r) = metrics_json(&mock, dir.path());
    assert_hand_computed_figures(&r);
    // The 404 from /graphql, then per item: rate limit, 3 run pages (+1 after the secondary
    // limit), 3 deployment pages, 7 status lists (+1 after the 502), 4 pull lookups, 3 pull
    // commit lists, 2 job lists.
    let reqs = request_list(&mock);
    assert_eq!(reqs.len(), 1 + 1 + 4 + 3 + 8 + 4 + 3 + 2, "{reqs:#?}");
    assert_eq!(r["api"]["requests"], 1 + 1 + 3 + 3 + 7 + 4 + 3 + 2);
    assert!(
        r["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("GraphQL API is not available")),
        "{}",
        t.stdout
    );
    let human = metrics(&mock, dir.path(), &[]);
    human.code(0);
    assert!(
        human.stdout.contains("read one by one through REST")
            || human.stderr.contains("read one by one through REST"),
        "{human}"
    );
}

#[test]
fn a_rerun_sends_the_etag_and_reuses_the_cached_page_on_304() {
    let mock = MockGitHub::start();
    script(&mock, true, Api::Graphql);
    let dir = tempfile::tempdir().unwrap();
    let first = metrics(&mock, dir.path(), &["--json"]);
    first.code(0);
    let second = metrics(&mock, dir.path(), &["--json"]);
    second.code(0);
    let page1 = "environment=production&per_page=100&page=1";
    let asked: Vec<_> = mock
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/deployments") && r.query == page1)
        .collect();
    assert_eq!(asked.len(), 2);
    assert_eq!(asked[0].header("if-none-match"), None);
    assert_eq!(
        asked[1].header("if-none-match"),
        Some("W/\"deployments-1\"")
    );
    let a: Value = serde_json::from_str(&first.stdout).unwrap();
    let b: Value = serde_json::from_str(&second.stdout).unwrap();
    assert_eq!(b["api"]["not_modified"], 1);
    // Settled deployments are not asked for again: d5 (succeeded, but no pull request known
    // yet) and the queued d7 are.
    let queries: Vec<Vec<String>> = mock
        .requests()
        .iter()
        .filter(|r| r.path == "/graphql")
        .map(asked_ids)
        .collect();
    assert_eq!(
        queries.len(),
        3,
        "a 502, the first run's query, the second's"
    );
    assert_eq!(queries[2], [node_id(7), node_id(5)]);
    assert_eq!(b["api"]["settled"], 5);
    assert_eq!(b["api"]["graphql"], 1);
    assert_eq!(a["dora"], b["dora"]);
}

#[test]
fn the_table_and_markdown_show_bands_and_missed_targets() {
    let mock = MockGitHub::start();
    script(&mock, false, Api::Graphql);
    let dir = tempfile::tempdir().unwrap();
    let t = metrics(
        &mock,
        dir.path(),
        &["--markdown", "m.md", "--fail-on-breach"],
    );
    t.code(1);
    assert!(
        t.stdout.contains("change failure rate    40% (2 of 5)"),
        "{}",
        t.stdout
    );
    assert!(t.stdout.contains("Targets missed"));
    let md = std::fs::read_to_string(dir.path().join("m.md")).unwrap();
    assert!(
        md.contains("| change failure rate | 40% (2 of 5) | low |"),
        "{md}"
    );
    assert!(md.contains("```mermaid\nxychart-beta"));
    assert!(md.contains("- **time-to-restore**"));
}

/// A repository with no workflow runs in the last 30 days whose deployments list answers
/// `deployments`.
fn no_runs_mock(deployments: Reply) -> MockGitHub {
    let mock = MockGitHub::start();
    let since = slipway::metrics::time::date(now() - 30 * DAY);
    mock.on("GET", "/rate_limit")
        .then(Reply::json(200, fixture("rate-limit.json")));
    mock.on(
        "GET",
        &format!("{REPO}/actions/runs?created=%3E%3D{since}&per_page=100&page=1"),
    )
    .then(Reply::json(200, r#"{"total_count":0,"workflow_runs":[]}"#));
    mock.on("GET", &format!("{REPO}/deployments"))
        .then(deployments);
    mock
}

#[test]
fn a_repository_without_deployments_has_no_data_not_zero() {
    let mock = no_runs_mock(Reply::json(200, "[]"));
    let dir = tempfile::tempdir().unwrap();
    let (_, r) = metrics_json(&mock, dir.path());
    assert_eq!(r["dora"]["frequency"], Value::Null);
    assert_eq!(r["dora"]["change_failure_rate"], Value::Null);
    assert!(
        r["notes"][0]
            .as_str()
            .unwrap()
            .contains("no data (not zero)")
    );
    assert_eq!(r["breaches"], json!([]));
    let t = metrics(&mock, dir.path(), &[]);
    assert!(
        t.stdout.contains("deployment frequency   no data"),
        "{}",
        t.stdout
    );
}

#[test]
fn slipway_s_deploy_history_counts_when_github_lists_no_deployments() {
    let mock = no_runs_mock(Reply::json(200, "[]"));
    // Two days ago: 1.0.0 shipped; yesterday 1.1.0 failed its checks and was rolled back
    // 15 minutes after its failure, then 1.1.1 shipped. Staging's deploy does not count.
    let day = |d: i64, secs: i64| ts(now() - d * DAY + secs);
    let line = |op: &str, env: &str, version: &str, start: String, end: String, outcome: &str| {
        format!(
            r#"{{"operation":"{op}","environment":"{env}","version":"{version}","actor":"ci","started":"{start}","ended":"{end}","outcome":"{outcome}"}}"#
        )
    };
    let history = [
        line(
            "deploy",
            "production",
            "1.0.0",
            day(2, 0),
            day(2, 60),
            "success",
        ),
        line(
            "deploy",
            "staging",
            "1.1.0",
            day(1, 0),
            day(1, 60),
            "success",
        ),
        line(
            "deploy",
            "production",
            "1.1.0",
            day(1, 100),
            day(1, 200),
            "rolled-back",
        ),
        line(
            "rollback",
            "production",
            "1.0.0",
            day(1, 1000),
            day(1, 1100),
            "success",
        ),
        line(
            "deploy",
            "production",
            "1.1.1",
            day(1, 2000),
            day(1, 2100),
            "success",
        ),
    ]
    .join("\n");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.jsonl");
    std::fs::write(&file, history).unwrap();
    let file = file.to_str().unwrap();
    let t = metrics(&mock, dir.path(), &["--json", "--deploy-history", file]);
    t.code(0);
    let r: Value = serde_json::from_str(&t.stdout).unwrap();
    assert_eq!(
        r["dora"]["frequency"]["deployments"],
        json!(2),
        "{}",
        t.stdout
    );
    assert_eq!(r["dora"]["change_failure_rate"]["failed"], json!(1));
    assert_eq!(r["dora"]["change_failure_rate"]["total"], json!(3));
    // Failed at +200 s, restored by the rollback at +1100 s.
    assert_eq!(r["dora"]["time_to_restore"]["median_s"], json!(900.0));
    assert!(
        r["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("read from slipway's history")),
        "{}",
        t.stdout
    );

    let t = metrics(
        &mock,
        dir.path(),
        &["--deploy-history", "/nonexistent/history.jsonl"],
    );
    t.code(2);
    assert!(t.stderr.contains("cannot read the deploy history"), "{t}");
    assert!(t.stderr.contains("--deploy-history"), "{t}");
}

#[test]
fn a_token_without_the_deployments_permission_is_explained() {
    let mock = no_runs_mock(Reply::error(403, "Resource not accessible by integration"));
    let dir = tempfile::tempdir().unwrap();
    let t = metrics(&mock, dir.path(), &[]);
    t.code(2);
    assert!(
        t.stderr.contains("error: listing deployments failed"),
        "{}",
        t.stderr
    );
    assert!(
        t.stderr.contains("Resource not accessible by integration"),
        "{}",
        t.stderr
    );
    assert!(
        t.stderr.contains("needs `deployments: read`"),
        "{}",
        t.stderr
    );
}

#[test]
fn bad_arguments_exit_2_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let t = slipway()
        .env("GITHUB_TOKEN", "ghs_x")
        .args(["metrics", "--repo", "o/r", "--since", "30"])
        .current_dir(dir.path())
        .run();
    t.code(2);
    assert!(
        t.stderr.contains("`--since 30` is not a span"),
        "{}",
        t.stderr
    );
    assert!(t.stderr.contains("hint: use a number and a unit"));
}

/// Pixels of `color` in an RGBA screenshot.
fn count_color(png_bytes: &[u8], rgb: (u8, u8, u8)) -> usize {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let step = info.color_type.samples();
    buf[..info.buffer_size()]
        .chunks(step)
        .filter(|p| {
            let close = |a: u8, b: u8| a.abs_diff(b) <= 6;
            close(p[0], rgb.0) && close(p[1], rgb.1) && close(p[2], rgb.2)
        })
        .count()
}

#[test]
fn the_html_dashboard_renders_every_chart_in_headless_chromium() {
    let chromium = match std::env::var("SLIPWAY_CHROMIUM") {
        Ok(c) if !c.is_empty() => c,
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("SLIPWAY_CHROMIUM is not set on CI: scripts/test.d/metrics.sh installs chromium")
        }
        _ => {
            eprintln!(
                "note: SLIPWAY_CHROMIUM not set: the HTML dashboard is not opened in a browser"
            );
            return;
        }
    };
    let mock = MockGitHub::start();
    script(&mock, false, Api::Graphql);
    let dir = tempfile::tempdir().unwrap();
    let t = metrics(&mock, dir.path(), &["--html", "report.html"]);
    t.code(0);
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(!html.contains("<script"), "no script needed");
    for external in ["src=", "href=", "url(", "@import"] {
        assert!(
            !html.contains(external),
            "`{external}` in the page: it must not load anything"
        );
    }
    let profile = tempfile::tempdir().unwrap();
    let shot = dir.path().join("shot.png");
    let out = std::process::Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1000,1400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!(
            "file://{}",
            dir.path().join("report.html").display()
        ))
        .output()
        .unwrap_or_else(|e| panic!("SLIPWAY_CHROMIUM={chromium} does not run: {e}"));
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "chromium failed:\n{log}");
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("Refused to"))
        .collect();
    assert!(
        console.is_empty(),
        "console errors:\n{}",
        console.join("\n")
    );
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    for (chart, hex) in slipway::metrics::html::COLORS {
        let rgb = (
            u8::from_str_radix(&hex[1..3], 16).unwrap(),
            u8::from_str_radix(&hex[3..5], 16).unwrap(),
            u8::from_str_radix(&hex[5..7], 16).unwrap(),
        );
        let n = count_color(&png, rgb);
        assert!(n > 200, "the {chart} chart is blank ({n} pixels of {hex})");
    }
}

#[test]
fn a_used_up_rate_limit_stops_before_any_listing() {
    let mock = MockGitHub::start();
    let body = r#"{"resources":{"core":{"limit":5000,"used":5000,"remaining":0,"reset":4102444800}},"rate":{"limit":5000,"used":5000,"remaining":0,"reset":4102444800}}"#;
    mock.on("GET", "/rate_limit").then(Reply::json(200, body));
    let dir = tempfile::tempdir().unwrap();
    let t = metrics(&mock, dir.path(), &[]);
    t.code(2);
    assert!(
        t.stderr
            .contains("error: the GitHub rate limit is used up until 2100-01-01T00:00:00Z"),
        "{}",
        t.stderr
    );
    assert_eq!(mock.requests().len(), 1);
}

#[test]
fn the_report_becomes_a_sticky_comment() {
    let mock = MockGitHub::start();
    script(&mock, false, Api::Graphql);
    let comments = format!("{REPO}/issues/17/comments");
    mock.on("GET", &comments).then(Reply::json(200, "[]"));
    let mut posted = metrics_fixture("issue-comment.json");
    posted["html_url"] = json!("https://github.com/octo-org/octo-repo/issues/17#issuecomment-1");
    mock.on("POST", &comments)
        .then(Reply::json(201, posted.to_string()));
    let dir = tempfile::tempdir().unwrap();
    let t = metrics(&mock, dir.path(), &["--comment", "17"]);
    t.code(0);
    let post = mock
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == comments)
        .unwrap();
    let body: Value = serde_json::from_str(&post.body).unwrap();
    let text = body["body"].as_str().unwrap();
    assert!(
        text.starts_with("<!-- slipway-metrics -->\n## Delivery metrics: octo-org/octo-repo"),
        "{text}"
    );
    assert!(
        t.stderr.contains("posted the report on #17"),
        "{}",
        t.stderr
    );
}

#[test]
fn inside_actions_the_report_goes_to_the_step_summary_and_breaches_become_warnings() {
    let mock = MockGitHub::start();
    script(&mock, false, Api::Graphql);
    let dir = tempfile::tempdir().unwrap();
    let t = slipway()
        .in_actions()
        .env("GITHUB_TOKEN", "ghs_metricstoken")
        .env("GITHUB_API_URL", mock.url())
        .env("GITHUB_REPOSITORY", "octo-org/octo-repo")
        .args(["metrics", "--job-sample", "0", "--cache-dir"])
        .arg_path(dir.path())
        .current_dir(dir.path())
        .run();
    t.code(0);
    assert!(
        t.summary
            .contains("## Delivery metrics: octo-org/octo-repo (`production`)"),
        "{}",
        t.summary
    );
    assert!(t.summary.contains("```mermaid"));
    assert!(t.summary.len() < 1024 * 1024);
    assert!(
        t.stderr
            .contains("::warning title=slipway metrics%3A target missed::2 of 5 deployments"),
        "{}",
        t.stderr
    );
    assert!(!t.summary.contains("ghs_metricstoken"));
}

#[test]
fn missed_targets_go_to_the_configured_webhook_with_notify() {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut len = 0;
        loop {
            let mut h = String::new();
            reader.read_line(&mut h).unwrap();
            if h.trim_end().is_empty() {
                break;
            }
            if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        let mut s = stream;
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        tx.send(String::from_utf8(body).unwrap()).unwrap();
    });
    let mock = MockGitHub::start();
    script(&mock, false, Api::Graphql);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("slipway.yml"),
        "version: 1\nnotify: { webhook-secret: METRICS_HOOK }\n",
    )
    .unwrap();
    let t = slipway()
        .env("GITHUB_TOKEN", "ghs_metricstoken")
        .env("GITHUB_API_URL", mock.url())
        .env("METRICS_HOOK", &hook)
        .args([
            "metrics",
            "--repo",
            "octo-org/octo-repo",
            "--job-sample",
            "0",
            "--no-cache",
            "--notify",
            "--fail-on-breach",
        ])
        .current_dir(dir.path())
        .run();
    t.code(1);
    let body: Value =
        serde_json::from_str(&rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap())
            .unwrap();
    assert_eq!(body["event"]["event"], "metrics-breach");
    assert_eq!(
        body["event"]["breaches"][0]["target"],
        "change-failure-rate"
    );
    assert_eq!(
        body["title"],
        "octo-org/octo-repo: 2 delivery target(s) missed"
    );
    assert!(t.stderr.contains("note: sent to webhook"), "{}", t.stderr);
}

/// GitHub's cap on the results of a filtered workflow-run query.
const RUNS_CAP: usize = 1000;

/// A time in a `created` filter: RFC 3339 or a bare date (midnight UTC).
fn filter_time(s: &str) -> i64 {
    let full = if s.contains('T') {
        s.to_owned()
    } else {
        format!("{s}T00:00:00Z")
    };
    slipway::metrics::time::parse_ts(&full).unwrap_or_else(|| panic!("bad created filter {s}"))
}

/// Serves `GET /repos/.../actions/runs` over `runs` (newest first) like GitHub: the `created`
/// filter (`>=DATE` or `A..B`), `total_count` of every match, but at most 1,000 results
/// reachable through the pages of one query, and a `Link` header to the next and last pages.
fn serve_runs(mock: &MockGitHub, runs: Vec<Value>) {
    serve_runs_paged(mock, runs, 100);
}

/// [`serve_runs`] by a server that serves at most `max_per` runs a page whatever it is asked
/// (GitHub Enterprise Server's setting, a proxy).
fn serve_runs_paged(mock: &MockGitHub, runs: Vec<Value>, max_per: usize) {
    use common::github_mock::query_param;
    let path = format!("{REPO}/actions/runs");
    mock.handle("GET", &path.clone(), move |req| {
        let created = query_param(req, "created").unwrap_or_default();
        let (lo, hi) = if let Some(from) = created.strip_prefix(">=") {
            (filter_time(from), i64::MAX)
        } else if let Some((a, b)) = created.split_once("..") {
            (filter_time(a), filter_time(b))
        } else {
            (i64::MIN, i64::MAX)
        };
        let page: usize = query_param(req, "page").map_or(1, |p| p.parse().unwrap());
        let per: usize = query_param(req, "per_page")
            .map_or(30, |p| p.parse().unwrap())
            .min(max_per);
        let found: Vec<&Value> = runs
            .iter()
            .filter(|r| {
                let t = filter_time(r["created_at"].as_str().unwrap());
                lo <= t && t <= hi
            })
            .collect();
        let reachable = &found[..found.len().min(RUNS_CAP)];
        let start = ((page - 1) * per).min(reachable.len());
        let end = (page * per).min(reachable.len());
        let body = json!({ "total_count": found.len(), "workflow_runs": reachable[start..end] })
            .to_string();
        let last = reachable.len().div_ceil(per).max(1);
        let others: Vec<&str> = req
            .query
            .split('&')
            .filter(|kv| !kv.starts_with("page="))
            .collect();
        let url = |p: usize| format!("<{{base}}{path}?{}&page={p}>", others.join("&"));
        let mut link = Vec::new();
        if page < last {
            link.push(format!("{}; rel=\"next\"", url(page + 1)));
            link.push(format!("{}; rel=\"last\"", url(last)));
        }
        // A weak ETag of the body, and 304 when the client already has it.
        let etag = format!(
            "W/\"{:x}\"",
            body.bytes()
                .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b))
                    .wrapping_mul(0x0100_0000_01b3))
        );
        if req.header("if-none-match") == Some(etag.as_str()) {
            return Reply::status(304).header("etag", &etag);
        }
        let reply = Reply::json(200, body).header("etag", &etag);
        if link.is_empty() {
            reply
        } else {
            reply.header("link", &link.join(", "))
        }
    });
}

/// Serves the deployments list over `deployments` (newest first), 100 a page with `Link`.
fn serve_deployments(mock: &MockGitHub, deployments: Vec<Value>) {
    use common::github_mock::query_param;
    let path = format!("{REPO}/deployments");
    mock.handle("GET", &path.clone(), move |req| {
        let page: usize = query_param(req, "page").map_or(1, |p| p.parse().unwrap());
        let per: usize = query_param(req, "per_page").map_or(30, |p| p.parse().unwrap());
        let last = deployments.len().div_ceil(per).max(1);
        let start = ((page - 1) * per).min(deployments.len());
        let end = (page * per).min(deployments.len());
        let url =
            |p: usize| format!("<{{base}}{path}?environment=production&per_page={per}&page={p}>");
        let mut link = Vec::new();
        if page < last {
            link.push(format!("{}; rel=\"next\"", url(page + 1)));
        }
        link.push(format!("{}; rel=\"last\"", url(last)));
        Reply::json(
            200,
            Value::Array(deployments[start..end].to_vec()).to_string(),
        )
        .header("link", &link.join(", "))
    });
}

/// `n` successful deployments one per 2 hours up to now, each from its own pull request whose
/// first commit is 3 hours before it; and the GraphQL nodes for them.
fn many_deployments(n: u64, now: i64) -> (Vec<Value>, Graphql) {
    let mut list = Vec::new();
    let mut g = Graphql::default();
    for i in 0..n {
        let id = 10_000 + i;
        let created = now - (n - i) as i64 * 7200;
        list.push(deployment(id, &format!("{i:040x}"), "deploy", created));
        let node = gql_node(
            id,
            &[("in_progress", created + 5), ("success", created + 300)],
            Some((500 + i, &[created - 3 * 3600, created - 3600])),
        );
        g.nodes.insert(node_id(id), node);
    }
    list.reverse();
    (list, g)
}

fn empty_runs(mock: &MockGitHub) {
    mock.on("GET", "/rate_limit")
        .then(Reply::json(200, fixture("rate-limit.json")));
    serve_runs(mock, Vec::new());
}

fn graphql_queries(mock: &MockGitHub) -> Vec<Vec<String>> {
    mock.requests()
        .iter()
        .filter(|r| r.path == "/graphql")
        .map(asked_ids)
        .collect()
}

#[test]
fn deployments_are_read_a_hundred_to_a_graphql_query_with_unresolved_nodes_per_node() {
    let now = now();
    let mock = MockGitHub::start();
    empty_runs(&mock);
    let (list, mut g) = many_deployments(250, now);
    // Deployment 10017 was deleted after the listing: `null` and NOT_FOUND; REST answers it.
    g.nodes.remove(&node_id(10_017));
    let d17 = list.iter().find(|d| d["id"] == 10_017).unwrap().clone();
    let created = filter_time(d17["created_at"].as_str().unwrap());
    mock.on("GET", &format!("{REPO}/deployments/10017/statuses"))
        .then(Reply::json(200, statuses(&[("success", created + 300)])));
    let sha17 = d17["sha"].as_str().unwrap().to_owned();
    mock.on("GET", &format!("{REPO}/commits/{sha17}/pulls"))
        .then(Reply::json(200, pull(517)));
    mock.on("GET", &format!("{REPO}/pulls/517/commits"))
        .then(Reply::json(200, commits(&[created - 3 * 3600])));
    // Deployment 10018 was deleted too, and REST says so (404): it is left out.
    g.nodes.remove(&node_id(10_018));
    mock.on("GET", &format!("{REPO}/deployments/10018/statuses"))
        .then(Reply::error(404, "Not Found"));
    // Deployment 10042's commit was force-pushed away: its `commit` is null.
    g.lost_commits.push(node_id(10_042));
    // Deployment 10100's pull requests are hidden from the token: `FORBIDDEN` on that field.
    g.forbidden_pulls.push(node_id(10_100));
    serve_deployments(&mock, list);
    serve_graphql(&mock, g);
    let dir = tempfile::tempdir().unwrap();
    let t = metrics(&mock, dir.path(), &["--json", "--concurrency", "8"]);
    t.code(0);
    let r: Value = serde_json::from_str(&t.stdout).unwrap();

    let queries = graphql_queries(&mock);
    let mut sizes: Vec<usize> = queries.iter().map(Vec::len).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [50, 100, 100]);
    let asked: std::collections::BTreeSet<&String> = queries.iter().flatten().collect();
    assert_eq!(asked.len(), 250, "every deployment asked once");
    let reqs = request_list(&mock);
    let per_item: Vec<&String> = reqs
        .iter()
        .filter(|r| r.contains("/statuses") || r.contains("/pulls"))
        .collect();
    assert_eq!(
        per_item.len(),
        4,
        "only the unresolved deployments go through REST: {per_item:#?}"
    );
    // rate limit, 1 run page, 3 deployment pages, 3 queries, 3 REST lookups for 10017 and
    // one for 10018.
    assert_eq!(reqs.len(), 1 + 1 + 3 + 3 + 3 + 1, "{reqs:#?}");
    assert_eq!(r["api"]["graphql"], 3);
    assert_eq!(r["api"]["graphql_points"], 3 + 5 + 5);

    let d = &r["dora"];
    assert_eq!(d["frequency"]["deployments"], 249);
    // Every change's first commit is 3 h before its deployment, which succeeds 300 s in;
    // 10042 has no commit left and 10100's pull request cannot be read: no lead time.
    assert_eq!(d["lead_time"]["samples"], 247);
    assert_eq!(d["lead_time"]["median_s"], 3.0 * 3600.0 + 300.0);
    let notes: Vec<&str> = r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("2 deployment(s) could not be resolved through GraphQL")),
        "{notes:#?}"
    );
    assert!(
        notes.contains(&"1 deployment(s) were deleted while being read: left out"),
        "{notes:#?}"
    );
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("1 deployed commit(s) are no longer known")),
        "{notes:#?}"
    );
    assert!(
        notes.contains(
            &"GitHub's GraphQL API left 1 field(s) empty (Resource not accessible by integration): lead times may be missing"
        ),
        "{notes:#?}"
    );
}

/// GraphQL's primary rate limit, as GitHub answers it: 200 with a `RATE_LIMITED` error.
fn graphql_rate_limited(reset: i64) -> Reply {
    Reply::json(
        200,
        json!({ "errors": [{ "type": "RATE_LIMITED", "message": "API rate limit already exceeded for installation ID 1." }] })
            .to_string(),
    )
    .header("x-ratelimit-limit", "1000")
    .header("x-ratelimit-remaining", "0")
    .header("x-ratelimit-used", "1000")
    .header("x-ratelimit-reset", &reset.to_string())
    .header("x-ratelimit-resource", "graphql")
}

#[test]
fn a_rate_limited_graphql_query_waits_for_the_reset_then_succeeds() {
    let now = now();
    let mock = MockGitHub::start();
    empty_runs(&mock);
    let (list, mut g) = many_deployments(3, now);
    // The reset has just passed: the wait is the one second of clock-skew margin.
    g.first.push_back(graphql_rate_limited(now - 5));
    serve_deployments(&mock, list);
    serve_graphql(&mock, g);
    let dir = tempfile::tempdir().unwrap();
    let (_, r) = metrics_json(&mock, dir.path());
    assert_eq!(graphql_queries(&mock).len(), 2);
    assert_eq!(r["dora"]["frequency"]["deployments"], 3);
    assert_eq!(r["dora"]["lead_time"]["samples"], 3);
    assert_eq!(r["api"]["graphql"], 1, "the retry is the client's");
}

#[test]
fn a_graphql_rate_limit_that_resets_too_late_stops_with_an_explanation() {
    let now = now();
    let mock = MockGitHub::start();
    empty_runs(&mock);
    let (list, mut g) = many_deployments(3, now);
    g.first.push_back(graphql_rate_limited(now + 3600));
    serve_deployments(&mock, list);
    serve_graphql(&mock, g);
    let dir = tempfile::tempdir().unwrap();
    let t = metrics(&mock, dir.path(), &[]);
    t.code(2);
    assert!(
        t.stderr
            .contains("error: reading deployments through GraphQL failed"),
        "{t}"
    );
    assert!(
        t.stderr
            .contains("GitHub's GraphQL primary rate limit stops `POST /graphql`"),
        "{t}"
    );
    assert!(
        t.stderr.contains("hint: wait for the rate limit to reset"),
        "{t}"
    );
    assert_eq!(graphql_queries(&mock).len(), 1);
}

#[test]
fn more_runs_than_one_filtered_query_returns_are_all_read_in_time_slices() {
    let now = now();
    let mock = MockGitHub::start();
    mock.on("GET", "/rate_limit")
        .then(Reply::json(200, fixture("rate-limit.json")));
    // 2,500 runs, one every 15 minutes: 2.5 times what one filtered query can return.
    let n = 2500u64;
    let mut runs: Vec<Value> = (0..n)
        .map(|i| {
            let created = now - 27 * DAY + i as i64 * 900;
            run(
                50_000 + i,
                if i % 2 == 0 { "ci" } else { "quality" },
                Some("success"),
                created,
                created + 20,
                created + 200,
            )
        })
        .collect();
    runs.reverse();
    serve_runs(&mock, runs);
    mock.on("GET", &format!("{REPO}/deployments"))
        .then(Reply::json(200, "[]"));
    // --job-sample 1: the newest run of each workflow.
    for id in [52_498, 52_499] {
        let mut job = metrics_fixture("job.json");
        job["run_id"] = json!(id);
        mock.on("GET", &format!("{REPO}/actions/runs/{id}/jobs"))
            .then(Reply::json(
                200,
                json!({ "total_count": 1, "jobs": [job] }).to_string(),
            ));
    }
    let dir = tempfile::tempdir().unwrap();
    let t = metrics(&mock, dir.path(), &["--json", "--concurrency", "8"]);
    t.code(0);
    let r: Value = serde_json::from_str(&t.stdout).unwrap();
    let total: u64 = r["pipelines"]["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["runs"].as_u64().unwrap())
        .sum();
    assert_eq!(total, n, "{}", t.stdout);
    // No page past the cap was asked for, and no slice held more than the cap.
    let run_requests: Vec<Request> = mock
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/actions/runs"))
        .collect();
    for req in &run_requests {
        let page: usize = common::github_mock::query_param(req, "page")
            .unwrap()
            .parse()
            .unwrap();
        assert!(page * 100 <= RUNS_CAP, "page {page} is past the cap");
    }
    let slices: std::collections::BTreeSet<String> = run_requests
        .iter()
        .filter_map(|r| common::github_mock::query_param(r, "created"))
        .filter(|c| c.contains(".."))
        .collect();
    assert!(slices.len() >= 3, "{slices:#?}");
    // One first page for the whole window, then every page of each slice once.
    let expected: usize = 1 + slices
        .iter()
        .map(|c| {
            let (a, b) = c.split_once("..").unwrap();
            let (a, b) = (filter_time(a), filter_time(b));
            let held = (0..n as i64)
                .map(|i| now - 27 * DAY + i * 900)
                .filter(|t| a <= *t && *t <= b)
                .count();
            assert!(held <= RUNS_CAP, "{c} holds {held}");
            held.div_ceil(100).max(1)
        })
        .sum::<usize>();
    assert_eq!(run_requests.len(), expected);

    // The next run asks the same slices again, each conditionally: all 304s.
    let day = slipway::metrics::time::date(now);
    let again = metrics(&mock, dir.path(), &["--json", "--concurrency", "8"]);
    again.code(0);
    if slipway::metrics::time::date(self::now()) == day {
        let b: Value = serde_json::from_str(&again.stdout).unwrap();
        let second: Vec<Request> = mock
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/actions/runs"))
            .skip(run_requests.len())
            .collect();
        assert_eq!(second.len(), run_requests.len());
        assert!(second.iter().all(|r| r.header("if-none-match").is_some()));
        assert!(b["api"]["not_modified"].as_u64().unwrap() >= second.len() as u64);
    }
}

#[test]
fn a_burst_of_runs_no_time_slice_can_split_is_read_to_the_cap_and_explained() {
    let now = now();
    let mock = MockGitHub::start();
    mock.on("GET", "/rate_limit")
        .then(Reply::json(200, fixture("rate-limit.json")));
    // 1,200 runs created in the same second (a matrix of re-runs): no `created` range can
    // split them, and GitHub returns only 1,000 of them.
    let at = now - 3 * DAY;
    let runs: Vec<Value> = (0..1200u64)
        .map(|i| run(70_000 + i, "ci", Some("success"), at, at + 5, at + 65))
        .collect();
    serve_runs(&mock, runs);
    mock.on("GET", &format!("{REPO}/deployments"))
        .then(Reply::json(200, "[]"));
    mock.on("GET", &format!("{REPO}/actions/runs/70999/jobs"))
        .then(Reply::json(200, r#"{"total_count":0,"jobs":[]}"#));
    let dir = tempfile::tempdir().unwrap();
    let (t, r) = metrics_json(&mock, dir.path());
    assert_eq!(r["pipelines"]["workflows"][0]["runs"], 1000, "{}", t.stdout);
    assert!(
        r["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("200 of them were left out")),
        "{}",
        t.stdout
    );
    let past_cap = mock.requests().iter().any(|r| {
        r.path.ends_with("/actions/runs")
            && common::github_mock::query_param(r, "page")
                .is_some_and(|p| p.parse::<usize>().unwrap() > 10)
    });
    assert!(
        !past_cap,
        "pages past the cap answer nothing and are not asked for"
    );
}

/// An artifact as `GET /repos/{owner}/{repo}/actions/artifacts` lists it.
fn artifact(id: u64, name: &str, created: i64, expired: bool) -> Value {
    json!({
        "id": id,
        "node_id": format!("MDg6QXJ0aWZhY3Qx{id}"),
        "name": name,
        "size_in_bytes": 2317,
        "url": format!("https://api.github.com/repos/octo-org/octo-repo/actions/artifacts/{id}"),
        "archive_download_url": format!("https://api.github.com/repos/octo-org/octo-repo/actions/artifacts/{id}/zip"),
        "expired": expired,
        "created_at": ts(created),
        "expires_at": ts(created + 30 * DAY),
        "updated_at": ts(created),
        "digest": "sha256:cfc213f6a2f1bbd0b8fdb8b1f3c3f9c9a9e3c8d7e6f5a4b3c2d1e0f9a8b7c6d5",
        "workflow_run": {
            "id": 2000 + id,
            "repository_id": 1296269,
            "head_repository_id": 1296269,
            "head_branch": "main",
            "head_sha": "009b8a3a9ccbb128af87f9b1c0f4c62e8a304f6d"
        }
    })
}

#[test]
fn flaky_tests_and_coverage_come_straight_from_report_artifacts() {
    let now = now();
    let mock = MockGitHub::start();
    empty_runs(&mock);
    mock.on("GET", &format!("{REPO}/deployments"))
        .then(Reply::json(200, "[]"));
    let zip = std::fs::read(format!(
        "{}/tests/fixtures/metrics/artifact.zip",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    // Newest first, as GitHub lists them: two shard reports, a build output, an expired report,
    // one whose storage is gone (410), then one from before the window, which ends the listing.
    let list = [
        artifact(901, "test-results-app-1", now - DAY, false),
        artifact(902, "test-results-app-2", now - DAY - 60, false),
        artifact(903, "build-app", now - DAY - 120, false),
        artifact(904, "test-results-app-1", now - 20 * DAY, true),
        artifact(905, "test-results-app-1", now - 21 * DAY, false),
        artifact(906, "test-results-app-1", now - 40 * DAY, false),
    ];
    mock.on(
        "GET",
        &format!("{REPO}/actions/artifacts?per_page=100&page=1"),
    )
    .then(Reply::json(
        200,
        json!({ "total_count": 6, "artifacts": list }).to_string(),
    ));
    for id in [901, 902] {
        mock.on("GET", &format!("{REPO}/actions/artifacts/{id}/zip"))
            .then(Reply::status(302).header(
                "location",
                &format!(
                    "{{base}}/storage/artifacts/{id}.zip?sig=c2VjcmV0LXNpZ25hdHVyZQ&se=2100-01-01"
                ),
            ));
        mock.on("GET", &format!("/storage/artifacts/{id}.zip"))
            .then(Reply::bytes(200, "application/zip", zip.clone()));
    }
    mock.on("GET", &format!("{REPO}/actions/artifacts/905/zip"))
        .then(Reply::error(410, "Artifact has expired"));
    let dir = tempfile::tempdir().unwrap();
    let args = ["--json", "--test-artifacts", "test-results-"];
    let t = metrics(&mock, dir.path(), &args);
    t.code(0);
    let r: Value = serde_json::from_str(&t.stdout).unwrap();
    // The fixture's report: coverage 70 %, one test that passed on a retry; two reports.
    assert_eq!(r["coverage"], 70.0, "{}", t.stdout);
    let flaky = &r["pipelines"]["flaky_tests"];
    let retried = flaky
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "com.shop.CartTest::retriedThenPassed")
        .unwrap_or_else(|| panic!("{}", t.stdout));
    assert_eq!(retried["flaky"], 2);
    assert_eq!(retried["reports"], 2);
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("2 artifact(s) named `test-results-…` have expired"),
        "{notes}"
    );
    // The storage legs carry no token, and the signed URL is printed nowhere.
    let reqs = mock.requests();
    let storage: Vec<&Request> = reqs
        .iter()
        .filter(|r| r.path.starts_with("/storage/"))
        .collect();
    assert_eq!(storage.len(), 2);
    assert!(storage.iter().all(|r| r.header("authorization").is_none()));
    assert!(!t.stdout.contains("c2VjcmV0") && !t.stderr.contains("c2VjcmV0"));
    assert!(
        !reqs
            .iter()
            .any(|r| r.path.ends_with("/903/zip") || r.path.ends_with("/906/zip")),
        "only matching artifacts in the window are downloaded"
    );

    // A re-run reads the two reports from the cache: no download.
    let again = metrics(&mock, dir.path(), &args);
    again.code(0);
    let b: Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(b["coverage"], 70.0);
    let storage_after = mock
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/storage/"))
        .count();
    assert_eq!(storage_after, 2);
}

#[test]
fn a_damaged_artifact_is_skipped_with_a_note() {
    let now = now();
    let mock = MockGitHub::start();
    empty_runs(&mock);
    mock.on("GET", &format!("{REPO}/deployments"))
        .then(Reply::json(200, "[]"));
    let list = [artifact(911, "test-results-app-1", now - DAY, false)];
    mock.on(
        "GET",
        &format!("{REPO}/actions/artifacts?per_page=100&page=1"),
    )
    .then(Reply::json(
        200,
        json!({ "total_count": 1, "artifacts": list }).to_string(),
    ));
    mock.on("GET", &format!("{REPO}/actions/artifacts/911/zip"))
        .then(Reply::status(302).header("location", "{base}/storage/911.zip?sig=x"));
    // Cut short in transit: the end of the archive is missing.
    let zip = std::fs::read(format!(
        "{}/tests/fixtures/metrics/artifact.zip",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    mock.on("GET", "/storage/911.zip").then(Reply::bytes(
        200,
        "application/zip",
        zip[..zip.len() / 2].to_vec(),
    ));
    let dir = tempfile::tempdir().unwrap();
    let t = metrics(
        &mock,
        dir.path(),
        &["--json", "--test-artifacts", "test-results-"],
    );
    t.code(0);
    let r: Value = serde_json::from_str(&t.stdout).unwrap();
    assert_eq!(r["coverage"], Value::Null);
    let notes = r["notes"].to_string();
    assert!(
        notes.contains("artifact `test-results-app-1` (911) is skipped: not a zip archive"),
        "{notes}"
    );
}

#[test]
fn a_server_serving_fewer_runs_a_page_than_asked_loses_none() {
    let now = now();
    let mock = MockGitHub::start();
    mock.on("GET", "/rate_limit")
        .then(Reply::json(200, fixture("rate-limit.json")));
    // 250 runs, and a server that serves 30 a page although 100 are asked for: `total_count`
    // says 250, which would be 3 pages of 100; the `Link` header says 9 pages of 30.
    let n = 250u64;
    let mut runs: Vec<Value> = (0..n)
        .map(|i| {
            let created = now - 20 * DAY + i as i64 * 3600;
            run(
                80_000 + i,
                "ci",
                Some("success"),
                created,
                created + 20,
                created + 200,
            )
        })
        .collect();
    runs.reverse();
    serve_runs_paged(&mock, runs, 30);
    mock.on("GET", &format!("{REPO}/deployments"))
        .then(Reply::json(200, "[]"));
    mock.on("GET", &format!("{REPO}/actions/runs/80249/jobs"))
        .then(Reply::json(200, r#"{"total_count":0,"jobs":[]}"#));
    let dir = tempfile::tempdir().unwrap();
    let t = metrics(&mock, dir.path(), &["--json"]);
    t.code(0);
    let r: Value = serde_json::from_str(&t.stdout).unwrap();
    let total: u64 = r["pipelines"]["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["runs"].as_u64().unwrap())
        .sum();
    assert_eq!(total, n, "{}", t.stdout);
    let pages: std::collections::BTreeSet<String> = mock
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/actions/runs"))
        .filter_map(|r| common::github_mock::query_param(&r, "page"))
        .collect();
    assert_eq!(pages.len(), 9, "{pages:?}");
}
