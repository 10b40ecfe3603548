//! The kubernetes and command deploy targets, deployment windows, promotion gates and GitHub
//! deployment statuses.
//!
//! No cluster runs here: the kubernetes target drives `tests/fixtures/deploy/fake-kubectl`, which
//! records every call and simulates rollout states. GitHub is the local mock server, answering
//! with bodies cut from the REST description's examples.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::github_mock::{MockGitHub, Reply, Request};
use serde_json::{Value, json};
use slipway::deploy::github::{Bookkeeper, Record, Recorder, State};
use slipway::deploy::promoted::{self, Verdict};
use slipway::github::Secret;
use slipway::github::client::{Client, FakeClock, Repo, RetryPolicy, Settings};

const LIVE: &str = "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d";
const OLDER: &str = "6dcb09b5b57875f334f61aebed695e2e4193db5e";

fn fixture(name: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/deploy/github/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json")
}

fn client(mock: &MockGitHub) -> Client {
    Client::new(Settings {
        api_url: mock.url().to_owned(),
        token: Secret::new("ghs_testtoken"),
        repository: Some(Repo::parse("octocat/example").expect("repo")),
        retry: RetryPolicy::default(),
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(5),
    })
    .expect("client")
    .with_clock(Arc::new(FakeClock::at(1_700_000_000)))
}

fn deployment(id: u64, sha: &str, env: &str, created: &str) -> Value {
    let mut d = fixture("deployment.json");
    d["id"] = json!(id);
    d["sha"] = json!(sha);
    d["environment"] = json!(env);
    d["original_environment"] = json!(env);
    d["created_at"] = json!(created);
    d["url"] = json!(format!(
        "https://api.github.com/repos/octocat/example/deployments/{id}"
    ));
    d
}

fn status(id: u64, state: &str, created: &str) -> Value {
    let mut s = fixture("deployment-status.json");
    s["id"] = json!(id);
    s["state"] = json!(state);
    s["created_at"] = json!(created);
    s
}

fn comparison(status: &str, ahead: u64, behind: u64) -> String {
    let mut c = fixture("compare.json");
    c["status"] = json!(status);
    c["ahead_by"] = json!(ahead);
    c["behind_by"] = json!(behind);
    c.to_string()
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// staging: deployment 3 (newest) failed, 2 is live with `LIVE`, 1 is inactive.
fn staging(mock: &MockGitHub) {
    mock.on("GET", "/repos/octocat/example/deployments")
        .then(Reply::json(
            200,
            json!([
                deployment(2, LIVE, "staging", "2024-01-02T10:00:00Z"),
                deployment(
                    3,
                    "1111111111111111111111111111111111111111",
                    "staging",
                    "2024-01-03T10:00:00Z"
                ),
                deployment(1, OLDER, "staging", "2024-01-01T10:00:00Z"),
            ])
            .to_string(),
        ));
    mock.on("GET", "/repos/octocat/example/deployments/3/statuses")
        .then(Reply::json(
            200,
            json!([
                status(31, "in_progress", "2024-01-03T10:00:01Z"),
                status(32, "failure", "2024-01-03T10:05:00Z"),
            ])
            .to_string(),
        ));
    mock.on("GET", "/repos/octocat/example/deployments/2/statuses")
        .then(Reply::json(
            200,
            json!([status(22, "success", "2024-01-02T10:05:00Z")]).to_string(),
        ));
    mock.on("GET", "/repos/octocat/example/deployments/1/statuses")
        .then(Reply::json(
            200,
            json!([
                status(12, "inactive", "2024-01-02T10:05:00Z"),
                status(11, "success", "2024-01-01T10:05:00Z"),
            ])
            .to_string(),
        ));
}

fn paths(requests: &[Request]) -> Vec<String> {
    requests
        .iter()
        .map(|r| {
            if r.query.is_empty() {
                format!("{} {}", r.method, r.path)
            } else {
                format!("{} {}?{}", r.method, r.path, r.query)
            }
        })
        .collect()
}

#[test]
fn promoted_finds_the_newest_successful_deployment_and_matches_its_sha() {
    let mock = MockGitHub::start();
    staging(&mock);
    let verdict =
        block(async { promoted::check(&client(&mock), "staging", LIVE).await }).expect("check");
    let Verdict::Exact { deployment } = &verdict else {
        panic!("expected exact, got {verdict:?}");
    };
    assert_eq!(deployment.id, 2);
    assert_eq!(
        paths(&mock.requests()),
        [
            "GET /repos/octocat/example/deployments?environment=staging&per_page=50",
            "GET /repos/octocat/example/deployments/3/statuses?per_page=100",
            "GET /repos/octocat/example/deployments/2/statuses?per_page=100",
        ]
    );
    // An abbreviated sha matches too.
    assert!(
        block(async { promoted::check(&client(&mock), "staging", &LIVE[..10]).await })
            .expect("check")
            .is_live()
    );
}

#[test]
fn promoted_accepts_an_ancestor_of_the_live_commit_through_compare() {
    let mock = MockGitHub::start();
    staging(&mock);
    mock.on(
        "GET",
        &format!("/repos/octocat/example/compare/{OLDER}...{LIVE}"),
    )
    .then(Reply::json(200, comparison("ahead", 3, 0)));
    let verdict =
        block(async { promoted::check(&client(&mock), "staging", OLDER).await }).expect("check");
    assert!(
        matches!(verdict, Verdict::Ancestor { ahead_by: 3, .. }),
        "{verdict:?}"
    );
    assert_eq!(
        verdict.describe("staging", OLDER),
        "`6dcb09b5b578` is live in `staging`: the live commit `a84d88e7554f` (deployment 2) contains it, 3 commit(s) later"
    );
}

#[test]
fn promoted_refuses_a_commit_the_live_one_does_not_contain() {
    let mock = MockGitHub::start();
    staging(&mock);
    let newer = "abcdef0123456789abcdef0123456789abcdef01";
    mock.on(
        "GET",
        &format!("/repos/octocat/example/compare/{newer}...{LIVE}"),
    )
    .then(Reply::json(200, comparison("behind", 0, 2)));
    let verdict =
        block(async { promoted::check(&client(&mock), "staging", newer).await }).expect("check");
    assert!(!verdict.is_live());
    assert_eq!(
        verdict.describe("staging", newer),
        "`abcdef012345` is not live in `staging`: the live commit `a84d88e7554f` (deployment 2) does not contain it (it is behind)"
    );
}

#[test]
fn promoted_says_nothing_is_live_when_no_deployment_succeeded() {
    let mock = MockGitHub::start();
    mock.on("GET", "/repos/octocat/example/deployments")
        .then(Reply::json(
            200,
            json!([deployment(7, LIVE, "qa", "2024-01-01T00:00:00Z")]).to_string(),
        ));
    mock.on("GET", "/repos/octocat/example/deployments/7/statuses")
        .then(Reply::json(
            200,
            json!([status(71, "inactive", "2024-01-01T00:01:00Z")]).to_string(),
        ));
    let verdict =
        block(async { promoted::check(&client(&mock), "qa", LIVE).await }).expect("check");
    assert_eq!(verdict, Verdict::NothingLive { searched: 1 });
    // An environment without any deployment.
    let empty = MockGitHub::start();
    empty
        .on("GET", "/repos/octocat/example/deployments")
        .then(Reply::json(200, "[]"));
    let verdict =
        block(async { promoted::check(&client(&empty), "qa", LIVE).await }).expect("check");
    assert_eq!(verdict, Verdict::NothingLive { searched: 0 });
}

#[test]
fn promoted_names_an_unknown_commit_and_a_refused_token() {
    let mock = MockGitHub::start();
    staging(&mock);
    let unknown = "0000000000000000000000000000000000000000";
    let err = block(async { promoted::check(&client(&mock), "staging", unknown).await })
        .expect_err("404");
    assert_eq!(
        err.to_string(),
        "GitHub does not know the commit `0000000000000000000000000000000000000000`"
    );
    let denied = MockGitHub::start();
    denied
        .on("GET", "/repos/octocat/example/deployments")
        .then(Reply::error(403, "Resource not accessible by integration"));
    let err =
        block(async { promoted::check(&client(&denied), "staging", LIVE).await }).expect_err("403");
    let failure = slipway::error::Failure::from(err);
    assert!(
        failure
            .render()
            .contains("Resource not accessible by integration"),
        "{}",
        failure.render()
    );
    assert!(failure.hint().is_some());
}

fn record() -> Record {
    Record {
        environment: "production".to_owned(),
        sha: LIVE.to_owned(),
        version: "1.4.2".to_owned(),
        task: "deploy".to_owned(),
        environment_url: Some("https://shop.example.com".to_owned()),
        log_url: Some("https://github.com/octocat/example/actions/runs/42".to_owned()),
    }
}

fn recorder(mock: &MockGitHub) -> Recorder {
    Recorder::new(client(mock), record()).with_backoff(vec![Duration::from_millis(1); 3])
}

fn bodies(mock: &MockGitHub, method: &str, path: &str) -> Vec<Value> {
    mock.requests()
        .iter()
        .filter(|r| r.method == method && r.path == path)
        .map(|r| serde_json::from_str(&r.body).expect("json body"))
        .collect()
}

#[test]
fn statuses_go_on_the_deployment_github_created_for_the_job() {
    let mock = MockGitHub::start();
    mock.on("GET", "/repos/octocat/example/deployments")
        .then(Reply::json(
            200,
            json!([
                deployment(41, LIVE, "production", "2024-01-01T00:00:00Z"),
                deployment(42, LIVE, "production", "2024-01-02T00:00:00Z"),
            ])
            .to_string(),
        ));
    mock.on("POST", "/repos/octocat/example/deployments/42/statuses")
        .then(Reply::json(
            201,
            fixture("deployment-status.json").to_string(),
        ));
    let mut book = Bookkeeper::new(|| Some(recorder(&mock)));
    book.record(State::InProgress, "deploying 1.4.2 with blue-green");
    book.record(State::Success, "1.4.2 is live");
    assert!(book.warnings.is_empty(), "{:?}", book.warnings);
    assert_eq!(book.deployment(), Some(42));
    // Looked up once by sha and environment; never created.
    let list: Vec<_> = mock
        .requests()
        .into_iter()
        .filter(|r| r.path == "/repos/octocat/example/deployments")
        .collect();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].method, "GET");
    assert_eq!(
        list[0].query,
        format!("environment=production&sha={LIVE}&per_page=30")
    );
    let statuses = bodies(
        &mock,
        "POST",
        "/repos/octocat/example/deployments/42/statuses",
    );
    assert_eq!(
        statuses,
        [
            json!({"state": "in_progress", "description": "deploying 1.4.2 with blue-green", "environment": "production", "environment_url": "https://shop.example.com", "log_url": "https://github.com/octocat/example/actions/runs/42"}),
            json!({"state": "success", "description": "1.4.2 is live", "environment": "production", "environment_url": "https://shop.example.com", "log_url": "https://github.com/octocat/example/actions/runs/42"}),
        ]
    );
}

#[test]
fn a_deployment_is_created_only_when_none_exists() {
    let mock = MockGitHub::start();
    mock.on("GET", "/repos/octocat/example/deployments")
        .then(Reply::json(200, "[]"));
    let mut created = deployment(99, LIVE, "production", "2024-01-02T00:00:00Z");
    created["task"] = json!("deploy");
    mock.on("POST", "/repos/octocat/example/deployments")
        .then(Reply::json(201, created.to_string()));
    mock.on("POST", "/repos/octocat/example/deployments/99/statuses")
        .then(Reply::json(
            201,
            fixture("deployment-status.json").to_string(),
        ));
    let mut book = Bookkeeper::new(|| Some(recorder(&mock)));
    book.record(State::InProgress, "deploying 1.4.2");
    book.record(
        State::Failure,
        "1.4.2 failed its health check; 1.4.1 serves",
    );
    assert!(book.warnings.is_empty(), "{:?}", book.warnings);
    assert_eq!(
        bodies(&mock, "POST", "/repos/octocat/example/deployments"),
        [json!({
            "ref": LIVE,
            "task": "deploy",
            "auto_merge": false,
            "required_contexts": [],
            "environment": "production",
            "description": "slipway deploy 1.4.2",
            "payload": {"version": "1.4.2"},
            "production_environment": true,
        })]
    );
    let states: Vec<Value> = bodies(
        &mock,
        "POST",
        "/repos/octocat/example/deployments/99/statuses",
    )
    .into_iter()
    .map(|b| b["state"].clone())
    .collect();
    assert_eq!(states, [json!("in_progress"), json!("failure")]);
}

#[test]
fn server_errors_are_retried_without_creating_a_second_deployment() {
    let mock = MockGitHub::start();
    // Nothing at first; after the failed create, the deployment it did make shows up.
    mock.on("GET", "/repos/octocat/example/deployments")
        .then(Reply::json(200, "[]"))
        .then(Reply::json(
            200,
            json!([deployment(7, LIVE, "production", "2024-01-02T00:00:00Z")]).to_string(),
        ));
    mock.on("POST", "/repos/octocat/example/deployments")
        .then(Reply::error(502, "Server Error"));
    mock.on("POST", "/repos/octocat/example/deployments/7/statuses")
        .then(Reply::error(500, "Server Error"))
        .then(Reply::error(503, "Server Error"))
        .then(Reply::json(
            201,
            fixture("deployment-status.json").to_string(),
        ));
    let mut book = Bookkeeper::new(|| Some(recorder(&mock)));
    book.record(State::Success, "1.4.2 is live");
    assert!(book.warnings.is_empty(), "{:?}", book.warnings);
    assert_eq!(
        bodies(&mock, "POST", "/repos/octocat/example/deployments").len(),
        1
    );
    assert_eq!(
        bodies(
            &mock,
            "POST",
            "/repos/octocat/example/deployments/7/statuses"
        )
        .len(),
        3
    );
}

#[test]
fn a_token_without_deployments_scope_is_a_warning_not_a_failure() {
    let mock = MockGitHub::start();
    mock.on("GET", "/repos/octocat/example/deployments")
        .then(Reply::json(
            200,
            json!([deployment(5, LIVE, "production", "2024-01-02T00:00:00Z")]).to_string(),
        ));
    mock.on("POST", "/repos/octocat/example/deployments/5/statuses")
        .then(
            Reply::error(403, "Resource not accessible by integration")
                .header("x-accepted-github-permissions", "deployments=write"),
        );
    // The warning goes to a log this test reads, not to the test run's stderr.
    let log: &'static slipway::github::Runtime =
        Box::leak(Box::new(slipway::github::Runtime::plain_for_test()));
    let mut book = Bookkeeper::new(|| Some(recorder(&mock))).with_log(log);
    book.record(State::InProgress, "deploying 1.4.2");
    // After the first refusal it stops asking.
    book.record(State::Success, "1.4.2 is live");
    assert_eq!(book.warnings.len(), 1, "{:?}", book.warnings);
    let logged = log.captured();
    assert_eq!(logged.lines().count(), 1, "{logged}");
    assert!(
        logged.contains("could not record the `in_progress` deployment status"),
        "{logged}"
    );
    let warning = &book.warnings[0];
    assert!(warning.contains("403 Forbidden"), "{warning}");
    assert!(warning.contains("deployments: write"), "{warning}");
    assert!(
        warning.contains("the deploy itself is not affected"),
        "{warning}"
    );
    assert!(!warning.contains("ghs_testtoken"));
    assert_eq!(
        bodies(
            &mock,
            "POST",
            "/repos/octocat/example/deployments/5/statuses"
        )
        .len(),
        1
    );
}

mod command_target {
    use slipway::config::{self, CommandTarget};
    use slipway::deploy::HealthSettings;
    use slipway::deploy::command::{CommandDeploy, Outcome};

    /// A "platform" made of files: `deploy` writes the version to `live`, every command
    /// appends what it saw to `log`.
    struct Platform {
        dir: tempfile::TempDir,
    }

    impl Platform {
        fn new() -> Self {
            Self {
                dir: tempfile::tempdir().expect("dir"),
            }
        }

        fn path(&self, name: &str) -> String {
            self.dir.path().join(name).display().to_string()
        }

        fn script(&self, name: &str, body: &str) -> String {
            format!(
                "echo \"{name} v=$SLIPWAY_VERSION env=$SLIPWAY_ENVIRONMENT prev=$SLIPWAY_PREVIOUS_VERSION strategy=$SLIPWAY_STRATEGY\" >> '{}'; {body}",
                self.path("log")
            )
        }

        fn target(&self, rollback: bool, health: &str, switch: bool) -> CommandDeploy {
            let live = self.path("live");
            let health_cfg = HealthSettings {
                interval: std::time::Duration::from_millis(50),
                deadline: std::time::Duration::from_millis(600),
                ..HealthSettings::default()
            };
            CommandDeploy {
                commands: CommandTarget {
                    deploy: self.script("deploy", &format!("echo \"$SLIPWAY_VERSION\" > '{live}'")),
                    rollback: rollback.then(|| {
                        self.script("rollback", &format!("echo \"$SLIPWAY_VERSION\" > '{live}'"))
                    }),
                    health: Some(self.script("health", health)),
                    switch: switch.then(|| self.script("switch", "true")),
                    timeout: config::Duration::from_secs(5),
                },
                environment: "production".to_owned(),
                strategy: "blue-green".to_owned(),
                health: health_cfg,
            }
        }

        fn log(&self) -> Vec<String> {
            std::fs::read_to_string(self.path("log"))
                .unwrap_or_default()
                .lines()
                .map(str::to_owned)
                .collect()
        }

        fn live(&self) -> String {
            std::fs::read_to_string(self.path("live"))
                .expect("live")
                .trim()
                .to_owned()
        }
    }

    /// Healthy unless the live version contains `bad`.
    fn healthy_unless_bad(p: &Platform) -> String {
        format!("! grep -q bad '{}'", p.path("live"))
    }

    #[test]
    fn a_deploy_runs_deploy_health_and_switch_with_the_versions_in_the_environment() {
        let p = Platform::new();
        let target = p.target(true, &healthy_unless_bad(&p), true);
        let report = target.deploy("1.4.2", Some("1.4.1")).expect("deploy");
        assert_eq!(report.outcome, Outcome::Deployed);
        assert_eq!(p.live(), "1.4.2");
        assert_eq!(
            p.log(),
            [
                "deploy v=1.4.2 env=production prev=1.4.1 strategy=blue-green",
                "health v=1.4.2 env=production prev=1.4.1 strategy=blue-green",
                "switch v=1.4.2 env=production prev=1.4.1 strategy=blue-green",
            ]
        );
    }

    #[test]
    fn an_unhealthy_version_is_rolled_back_with_the_rollback_command() {
        let p = Platform::new();
        let target = p.target(true, &healthy_unless_bad(&p), true);
        let report = target.deploy("1.5.0-bad", Some("1.4.2")).expect("deploy");
        let Outcome::RolledBack { reason } = &report.outcome else {
            panic!("{report:?}");
        };
        assert!(
            reason.starts_with("`health` did not pass within 600ms"),
            "{reason}"
        );
        assert_eq!(p.live(), "1.4.2");
        let log = p.log();
        // Retried until the deadline, never switched, then the old version back.
        assert!(
            log.iter()
                .filter(|l| l.starts_with("health v=1.5.0-bad"))
                .count()
                >= 3,
            "{log:?}"
        );
        assert!(
            !log.iter().any(|l| l.starts_with("switch v=1.5.0-bad")),
            "{log:?}"
        );
        assert_eq!(
            log.iter().rev().take(2).rev().cloned().collect::<Vec<_>>(),
            [
                "rollback v=1.4.2 env=production prev=1.5.0-bad strategy=blue-green",
                "health v=1.4.2 env=production prev=1.5.0-bad strategy=blue-green",
            ]
        );
    }

    #[test]
    fn without_a_rollback_command_the_previous_version_is_deployed_again() {
        let p = Platform::new();
        let target = p.target(false, &healthy_unless_bad(&p), true);
        let report = target.deploy("2.0.0-bad", Some("1.9.0")).expect("deploy");
        assert!(
            matches!(report.outcome, Outcome::RolledBack { .. }),
            "{report:?}"
        );
        assert_eq!(p.live(), "1.9.0");
        let log = p.log();
        assert_eq!(
            log.iter().rev().take(3).rev().cloned().collect::<Vec<_>>(),
            [
                "deploy v=1.9.0 env=production prev=2.0.0-bad strategy=blue-green",
                "health v=1.9.0 env=production prev=2.0.0-bad strategy=blue-green",
                "switch v=1.9.0 env=production prev=2.0.0-bad strategy=blue-green",
            ]
        );
    }

    #[test]
    fn a_failed_first_deploy_has_nothing_to_put_back() {
        let p = Platform::new();
        let mut target = p.target(true, "true", false);
        target.commands.deploy = p.script("deploy", "echo 'no such app' >&2; exit 7");
        let report = target.deploy("0.1.0", None).expect("deploy");
        assert_eq!(
            report.outcome,
            Outcome::Failed {
                reason: "`deploy` failed: exit code 7; no previous version to put back".into()
            }
        );
        assert_eq!(report.steps.len(), 1);
    }

    #[test]
    fn a_deploy_command_that_hangs_is_stopped_and_rolled_back() {
        let p = Platform::new();
        let mut target = p.target(true, "true", false);
        target.commands.deploy = p.script("deploy", "sleep 30");
        target.commands.timeout = config::Duration::from_millis(500);
        let started = std::time::Instant::now();
        let report = target.deploy("1.1.0", Some("1.0.0")).expect("deploy");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        let Outcome::RolledBack { reason } = &report.outcome else {
            panic!("{report:?}");
        };
        assert!(reason.starts_with("`deploy` failed: timed out"), "{reason}");
        assert_eq!(p.live(), "1.0.0");
    }

    #[test]
    fn a_rollback_puts_the_asked_version_back() {
        let p = Platform::new();
        let target = p.target(true, &healthy_unless_bad(&p), true);
        let report = target.rollback("1.4.1", Some("1.4.2")).expect("rollback");
        assert_eq!(report.outcome, Outcome::Deployed);
        assert_eq!(p.live(), "1.4.1");
        assert_eq!(
            p.log(),
            [
                "rollback v=1.4.1 env=production prev=1.4.2 strategy=blue-green",
                "health v=1.4.1 env=production prev=1.4.2 strategy=blue-green",
            ]
        );
    }
}

#[test]
fn a_rollback_marks_the_replaced_deployment_inactive() {
    let mock = MockGitHub::start();
    let mut rec = record();
    rec.task = "rollback".to_owned();
    rec.version = "1.4.1".to_owned();
    mock.on(
        "GET",
        &format!(
            "/repos/octocat/example/deployments?environment=production&sha={LIVE}&per_page=30"
        ),
    )
    .then(Reply::json(
        200,
        json!([deployment(50, LIVE, "production", "2024-01-03T00:00:00Z")]).to_string(),
    ));
    mock.on("GET", "/repos/octocat/example/deployments")
        .then(Reply::json(
            200,
            json!([
                deployment(50, LIVE, "production", "2024-01-03T00:00:00Z"),
                deployment(49, OLDER, "production", "2024-01-02T00:00:00Z"),
                deployment(48, OLDER, "production", "2024-01-01T00:00:00Z"),
            ])
            .to_string(),
        ));
    mock.on("GET", "/repos/octocat/example/deployments/49/statuses")
        .then(Reply::json(
            200,
            json!([status(491, "success", "2024-01-02T00:05:00Z")]).to_string(),
        ));
    for id in [49, 50] {
        mock.on(
            "POST",
            &format!("/repos/octocat/example/deployments/{id}/statuses"),
        )
        .then(Reply::json(
            201,
            fixture("deployment-status.json").to_string(),
        ));
    }
    let mut book = Bookkeeper::new(|| {
        Some(Recorder::new(client(&mock), rec).with_backoff(vec![Duration::from_millis(1)]))
    });
    book.record(State::InProgress, "rolling back to 1.4.1");
    book.finish(&Ok(slipway::deploy::Outcome {
        status: slipway::deploy::Status::Success,
        previous: Some("1.4.2".to_owned()),
        live: slipway::deploy::Live {
            version: Some("1.4.1".to_owned()),
            ..Default::default()
        },
        reason: None,
        steps: Vec::new(),
    }));
    assert!(book.warnings.is_empty(), "{:?}", book.warnings);
    let retired = bodies(
        &mock,
        "POST",
        "/repos/octocat/example/deployments/49/statuses",
    );
    assert_eq!(retired.len(), 1);
    assert_eq!(retired[0]["state"], "inactive");
    assert_eq!(retired[0]["description"], "rolled back to 1.4.1");
    let ours: Vec<Value> = bodies(
        &mock,
        "POST",
        "/repos/octocat/example/deployments/50/statuses",
    )
    .into_iter()
    .map(|b| b["state"].clone())
    .collect();
    assert_eq!(ours, [json!("in_progress"), json!("success")]);
    // Deployment 48 was never looked at: 49 was the live one.
    assert!(
        !mock
            .requests()
            .iter()
            .any(|r| r.path.contains("/deployments/48")),
        "{:?}",
        paths(&mock.requests())
    );
}

/// A project whose environments deploy through the fake kubectl.
struct Cluster {
    dir: tempfile::TempDir,
}

const KUBECONFIG: &str = "apiVersion: v1\nkind: Config\nclusters:\n- name: ci\n  cluster:\n    server: https://127.0.0.1:6443\nusers:\n- name: deployer\n  user:\n    token: kube-secret-token-8c1f0a\ncontexts:\n- name: ci\n  context: { cluster: ci, user: deployer }\ncurrent-context: ci\n";

impl Cluster {
    fn new(state: Value) -> Self {
        let dir = tempfile::tempdir().expect("dir");
        std::fs::write(
            dir.path().join("slipway.yml"),
            "version: 1\nproject: { name: shop }\nenvironments:\n  staging: { strategy: rolling }\n  production: { strategy: blue-green }\ndeploy:\n  target: kubernetes\n  kubernetes: { namespace: shop-prod, deployment: shop, service: shop }\n  health: { interval: 100ms, timeout: 1s, deadline: 3s }\n",
        )
        .expect("config");
        std::fs::write(dir.path().join("cluster.json"), state.to_string()).expect("state");
        std::fs::create_dir(dir.path().join("tmp")).expect("tmp");
        Self { dir }
    }

    fn slipway(&self, args: &[&str]) -> common::Run {
        let d = self.dir.path();
        common::slipway()
            .args(args)
            .arg_path("--config")
            .arg_path(d.join("slipway.yml"))
            .env(
                "SLIPWAY_KUBECTL",
                format!(
                    "{}/tests/fixtures/deploy/fake-kubectl",
                    env!("CARGO_MANIFEST_DIR")
                ),
            )
            .env("FAKE_KUBECTL_STATE", d.join("cluster.json"))
            .env("FAKE_KUBECTL_LOG", d.join("calls.log"))
            .env("SLIPWAY_STATE_DIR", d.join("state"))
            .env("KUBECONFIG", KUBECONFIG)
            .env("TMPDIR", d.join("tmp"))
            .filter_temp(d)
    }

    /// Every kubectl call, in order.
    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The calls that change the cluster (not `get`), without the connection flags.
    fn changes(&self) -> Vec<String> {
        self.calls()
            .iter()
            .map(|c| {
                c.strip_prefix("--kubeconfig=[KUBECONFIG] --namespace=shop-prod ")
                    .unwrap_or_else(|| panic!("a call without the kubeconfig and namespace: {c}"))
                    .to_owned()
            })
            .filter(|c| !c.starts_with("get "))
            .collect()
    }

    fn state(&self) -> Value {
        serde_json::from_str(
            &std::fs::read_to_string(self.dir.path().join("cluster.json")).expect("state"),
        )
        .expect("json")
    }
}

fn rolling_cluster() -> Cluster {
    Cluster::new(json!({
        "deployments": {"shop": {"image": "ghcr.io/acme/shop:1.4.1", "replicas": 3, "container": "web", "port": 3000}},
        "services": {}
    }))
}

fn blue_green_cluster(live: &str) -> Cluster {
    let (blue, green) = if live == "blue" {
        (
            json!({"image": "ghcr.io/acme/shop:1.4.1", "replicas": 2}),
            json!({"image": "ghcr.io/acme/shop:1.4.0", "replicas": 0, "ready": 0}),
        )
    } else {
        (
            json!({"image": "ghcr.io/acme/shop:1.4.1", "replicas": 2}),
            json!({"image": "ghcr.io/acme/shop:1.4.2", "replicas": 2}),
        )
    };
    Cluster::new(json!({
        "deployments": {"shop-blue": blue, "shop-green": green},
        "services": {"shop": {"selector": {"app": "shop", "color": live}}}
    }))
}

#[test]
fn kubernetes_rolling_sets_the_image_and_waits_for_the_rollout() {
    let c = rolling_cluster();
    let t = c
        .slipway(&["deploy", "--env", "staging", "--version", "1.4.2"])
        .run();
    t.code(0);
    assert_eq!(
        c.changes(),
        [
            "set image deployment/shop web=ghcr.io/acme/shop:1.4.2",
            "rollout status deployment/shop --timeout=3s",
        ]
    );
    assert_eq!(
        c.state()["deployments"]["shop"]["image"],
        "ghcr.io/acme/shop:1.4.2"
    );
    assert!(t.stderr.contains("`staging` runs `1.4.2`"), "{t}");
    // The kubeconfig reached kubectl in a private file (the fake checks 0600), whole, and
    // its token never reached the log.
    let seen = std::fs::read_to_string(c.dir.path().join("calls.log.kubeconfig")).expect("seen");
    assert_eq!(seen, KUBECONFIG);
    assert!(!t.stderr.contains("kube-secret-token-8c1f0a"), "{t}");
    let leftovers: Vec<_> = std::fs::read_dir(c.dir.path().join("tmp"))
        .expect("tmp")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    assert!(
        leftovers.is_empty(),
        "kubeconfig left behind: {leftovers:?}"
    );
}

#[test]
fn kubernetes_rolling_undoes_a_rollout_that_does_not_finish() {
    for failure in ["timeout", "unready"] {
        let c = rolling_cluster();
        let t = c
            .slipway(&["deploy", "--env", "staging", "--version", "1.5.0-bad"])
            .env("FAKE_KUBECTL_FAIL_IMAGE", "1.5.0-bad")
            .env("FAKE_KUBECTL_FAILURE", failure)
            .run();
        t.code(1);
        assert_eq!(
            c.changes(),
            [
                "set image deployment/shop web=ghcr.io/acme/shop:1.5.0-bad",
                "rollout status deployment/shop --timeout=3s",
                "rollout undo deployment/shop",
                "rollout status deployment/shop --timeout=3s",
            ],
            "{failure}"
        );
        assert_eq!(
            c.state()["deployments"]["shop"]["image"],
            "ghcr.io/acme/shop:1.4.1"
        );
        assert!(
            t.stderr
                .contains("rolled-back: the rollout of `shop` did not finish"),
            "{t}"
        );
        assert!(t.stderr.contains("`staging` runs `1.4.1`"), "{t}");
        // The history says why.
        let status = c
            .slipway(&["deploy", "status", "--env", "staging", "--json"])
            .run();
        status.code(0);
        let v: Value = serde_json::from_str(&status.stdout).expect("json");
        assert_eq!(v["history"][0]["outcome"], "rolled-back");
        assert_eq!(v["history"][0]["version"], "1.5.0-bad");
        let why = if failure == "timeout" {
            "timed out waiting for the condition"
        } else {
            "exceeded its progress deadline"
        };
        assert!(
            v["history"][0]["reason"]
                .as_str()
                .unwrap_or_default()
                .contains(why),
            "{v}"
        );
        assert_eq!(v["live"]["version"], "1.4.1");
    }
}

#[test]
fn kubernetes_blue_green_starts_the_idle_colour_checks_it_and_switches_the_service() {
    let c = blue_green_cluster("blue");
    let t = c
        .slipway(&["deploy", "--env", "production", "--version", "1.4.2"])
        .run();
    t.code(0);
    assert_eq!(
        c.changes(),
        [
            "set image deployment/shop-green app=ghcr.io/acme/shop:1.4.2",
            "scale deployment/shop-green --replicas=2",
            "rollout status deployment/shop-green --timeout=3s",
            "port-forward deployment/shop-green :8080",
            r#"patch service shop --type=merge -p {"spec":{"selector":{"color":"green"}}}"#,
        ]
    );
    let state = c.state();
    assert_eq!(state["services"]["shop"]["selector"]["color"], "green");
    // The old colour keeps running for an instant rollback.
    assert_eq!(state["deployments"]["shop-blue"]["replicas"], 2);
    let status = c
        .slipway(&["deploy", "status", "--env", "production", "--json"])
        .run();
    status.code(0);
    let v: Value = serde_json::from_str(&status.stdout).expect("json");
    assert_eq!(v["live"]["version"], "1.4.2");
    assert_eq!(v["live"]["color"], "green");
    assert_eq!(v["live"]["retained"], json!(["1.4.1"]));
}

#[test]
fn kubernetes_blue_green_leaves_the_live_colour_alone_when_the_new_one_fails() {
    // Unhealthy over HTTP, then a rollout that never gets ready.
    for (var, value) in [
        ("FAKE_KUBECTL_UNHEALTHY", "1.5.0"),
        ("FAKE_KUBECTL_FAIL_IMAGE", "1.5.0"),
    ] {
        let c = blue_green_cluster("blue");
        let t = c
            .slipway(&["deploy", "--env", "production", "--version", "1.5.0"])
            .env(var, value)
            .run();
        t.code(1);
        let mut expected = vec![
            "set image deployment/shop-green app=ghcr.io/acme/shop:1.5.0",
            "scale deployment/shop-green --replicas=2",
            "rollout status deployment/shop-green --timeout=3s",
        ];
        if var == "FAKE_KUBECTL_UNHEALTHY" {
            expected.push("port-forward deployment/shop-green :8080");
        }
        expected.push("scale deployment/shop-green --replicas=0");
        assert_eq!(c.changes(), expected, "{var}");
        let state = c.state();
        assert_eq!(state["services"]["shop"]["selector"]["color"], "blue");
        assert_eq!(state["deployments"]["shop-blue"]["replicas"], 2);
        assert!(t.stderr.contains("failure: "), "{t}");
        assert!(t.stderr.contains("`production` runs `1.4.1`"), "{t}");
        if var == "FAKE_KUBECTL_UNHEALTHY" {
            assert!(t.stderr.contains("`shop-green` is not healthy"), "{t}");
            assert!(t.stderr.contains("answered 503"), "{t}");
        }
    }
}

#[test]
fn kubernetes_blue_green_rollback_switches_back_to_the_retained_colour() {
    let c = blue_green_cluster("green");
    let t = c
        .slipway(&["deploy", "rollback", "--env", "production", "--to", "1.4.1"])
        .run();
    t.code(0);
    assert_eq!(
        c.changes(),
        [r#"patch service shop --type=merge -p {"spec":{"selector":{"color":"blue"}}}"#]
    );
    assert_eq!(c.state()["services"]["shop"]["selector"]["color"], "blue");
    // A version that is not retained is refused before anything changes.
    let c = blue_green_cluster("green");
    let t = c
        .slipway(&["deploy", "rollback", "--env", "production", "--to", "1.3.0"])
        .run();
    t.code(2);
    assert!(c.changes().is_empty(), "{:?}", c.changes());
    assert!(
        t.stderr
            .contains("the idle colour runs `1.4.1`, not `1.3.0`"),
        "{t}"
    );
}

#[test]
fn kubernetes_blue_green_rollback_scales_a_stopped_colour_up_first() {
    let c = blue_green_cluster("blue");
    let t = c
        .slipway(&["deploy", "rollback", "--env", "production", "--to", "1.4.0"])
        .run();
    t.code(0);
    assert_eq!(
        c.changes(),
        [
            "scale deployment/shop-green --replicas=2",
            "rollout status deployment/shop-green --timeout=3s",
            r#"patch service shop --type=merge -p {"spec":{"selector":{"color":"green"}}}"#,
        ]
    );
}

#[test]
fn kubernetes_names_missing_objects_before_changing_anything() {
    let c = Cluster::new(
        json!({"deployments": {}, "services": {"shop": {"selector": {"app": "shop"}}}}),
    );
    let t = c
        .slipway(&["deploy", "--env", "staging", "--version", "1.4.2"])
        .run();
    t.code(2);
    assert!(
        t.stderr
            .contains("deployment `shop` does not exist in namespace `shop-prod`"),
        "{t}"
    );
    let t = c
        .slipway(&["deploy", "--env", "production", "--version", "1.4.2"])
        .run();
    t.code(2);
    assert!(
        t.stderr
            .contains("service `shop` has no `color` in its selector"),
        "{t}"
    );
    assert!(t.stderr.contains("hint: add `color: blue`"), "{t}");
    assert!(c.changes().is_empty(), "{:?}", c.changes());
    // No kubectl at all.
    let t = c
        .slipway(&["deploy", "--env", "staging", "--version", "1.4.2"])
        .env("SLIPWAY_KUBECTL", "/nonexistent/kubectl")
        .run();
    t.code(2);
    assert!(t.stderr.contains("SLIPWAY_KUBECTL"), "{t}");
}

#[test]
fn kubernetes_dry_run_prints_the_plan_and_changes_nothing() {
    let c = blue_green_cluster("blue");
    let t = c
        .slipway(&[
            "deploy",
            "--env",
            "production",
            "--version",
            "1.4.2",
            "--dry-run",
        ])
        .run();
    t.code(0);
    assert!(c.changes().is_empty(), "{:?}", c.changes());
    insta::assert_snapshot!("kubernetes-blue-green-plan", t.stdout);
}

#[test]
fn deploy_window_exits_0_inside_and_1_outside_with_the_next_opening() {
    let inside = common::slipway()
        .args([
            "deploy",
            "window",
            "--window",
            "Mon-Thu 09:00-16:00 UTC",
            "--at",
            "2024-01-01T10:00:00Z",
        ])
        .in_actions()
        .run();
    inside.code(0);
    assert_eq!(
        inside.stdout,
        "inside `Mon-Thu 09:00-16:00 UTC` at 2024-01-01T10:00:00Z\n"
    );
    assert!(inside.outputs.contains("inside=true"), "{inside}");
    let outside = common::slipway()
        .args([
            "deploy",
            "window",
            "--window",
            "Mon-Fri 09:00-17:00 +02:00",
            "--at",
            "2024-01-05T17:30:00+02:00",
        ])
        .in_actions()
        .run();
    outside.code(1);
    assert_eq!(
        outside.stdout,
        "outside `Mon-Fri 09:00-17:00 +02:00` at 2024-01-05T15:30:00Z; opens next at 2024-01-08T07:00:00Z (2024-01-08T09:00:00+02:00)\n"
    );
    assert!(
        outside.outputs.contains("next-open=2024-01-08T07:00:00Z"),
        "{outside}"
    );
}

#[test]
fn deploy_window_reads_the_environment_and_rejects_bad_input() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("slipway.yml");
    std::fs::write(
        &config,
        "version: 1\nenvironments:\n  staging: {}\n  production: { window: \"Mon-Thu 09:00-16:00 UTC\" }\n",
    )
    .expect("config");
    let run = |args: &[&str]| {
        common::slipway()
            .args(["deploy", "window"])
            .args(args)
            .arg_path("--config")
            .arg_path(&config)
            .filter_temp(dir.path())
            .run()
    };
    run(&["--env", "production", "--at", "2024-01-05T10:00:00Z"]).code(1);
    run(&["--env", "production", "--at", "2024-01-04T10:00:00Z"]).code(0);
    let open = run(&["--env", "staging"]);
    open.code(0);
    assert_eq!(
        open.stdout,
        "open: the environment has no deployment window\n"
    );
    let unknown = run(&["--env", "qa"]);
    unknown.code(2);
    assert!(
        unknown
            .stderr
            .contains("environment `qa` is not in the config"),
        "{unknown}"
    );
    let bad_time = run(&["--env", "production", "--at", "friday"]);
    bad_time.code(2);
    assert!(
        bad_time.stderr.contains("`friday` is not an RFC 3339 time"),
        "{bad_time}"
    );
    assert!(
        bad_time
            .stderr
            .contains("hint: write a full time with a zone"),
        "{bad_time}"
    );
    let bad_window = common::slipway()
        .args(["deploy", "window", "--window", "weekdays 9-5"])
        .run();
    bad_window.code(2);
    assert!(
        bad_window
            .stderr
            .contains("`--window`: `weekdays 9-5` is not a window"),
        "{bad_window}"
    );
    let nothing = common::slipway().args(["deploy", "window"]).run();
    nothing.code(2);
    assert!(nothing.stderr.contains("no window to check"), "{nothing}");
}

#[test]
fn deploy_promoted_exits_0_when_live_1_when_not_and_2_without_a_token() {
    let mock = MockGitHub::start();
    staging(&mock);
    let newer = "abcdef0123456789abcdef0123456789abcdef01";
    mock.on(
        "GET",
        &format!("/repos/octocat/example/compare/{newer}...{LIVE}"),
    )
    .then(Reply::json(200, comparison("behind", 0, 2)));
    let run = |commit: &str| {
        common::slipway()
            .args([
                "deploy", "promoted", "--from", "staging", "--commit", commit,
            ])
            .env("GITHUB_TOKEN", "ghs_testtoken")
            .env("GITHUB_REPOSITORY", "octocat/example")
            .env("GITHUB_API_URL", mock.url())
            .run()
    };
    let live = run(LIVE);
    live.code(0);
    assert_eq!(
        live.stdout,
        "`a84d88e7554f` is live in `staging` (deployment 2 at 2024-01-02T10:00:00Z)\n"
    );
    let not = run(newer);
    not.code(1);
    assert!(not.stdout.contains("is not live in `staging`"), "{not}");
    assert!(
        not.stderr
            .contains("hint: deploy `abcdef012345` to `staging` first"),
        "{not}"
    );
    let bad = run("main");
    bad.code(2);
    assert!(bad.stderr.contains("`main` is not a commit sha"), "{bad}");
    let no_token = common::slipway()
        .args(["deploy", "promoted", "--from", "staging", "--commit", LIVE])
        .run();
    no_token.code(2);
    assert!(no_token.stderr.contains("no GitHub token"), "{no_token}");
}

/// A project deployed by shell commands, with GitHub statuses through the mock.
fn command_project(dir: &std::path::Path, health: &str) -> std::path::PathBuf {
    let live = dir.join("live");
    let config = dir.join("slipway.yml");
    std::fs::write(
        &config,
        format!(
            "version: 1\nproject: {{ name: shop }}\nenvironments:\n  production: {{ strategy: blue-green, url: \"https://shop.example.com\" }}\ndeploy:\n  target: command\n  command:\n    deploy: echo \"deploying $SLIPWAY_VERSION over $SLIPWAY_PREVIOUS_VERSION\" && echo \"$SLIPWAY_VERSION\" > '{live}'\n    health: {health}\n    rollback: echo \"$SLIPWAY_VERSION\" > '{live}'\n    timeout: 10s\n  health: {{ interval: 50ms, deadline: 500ms }}\n",
            live = live.display()
        ),
    )
    .expect("config");
    config
}

fn command_run(
    dir: &std::path::Path,
    config: &std::path::Path,
    mock: &MockGitHub,
    args: &[&str],
) -> common::Transcript {
    common::slipway()
        .args(args)
        .arg_path("--config")
        .arg_path(config)
        .env("SLIPWAY_STATE_DIR", dir.join("state"))
        .env("GITHUB_TOKEN", "ghs_testtoken")
        .env("GITHUB_REPOSITORY", "octocat/example")
        .env("GITHUB_API_URL", mock.url())
        .env("GITHUB_SHA", LIVE)
        .env("GITHUB_SERVER_URL", "https://github.com")
        .env("GITHUB_RUN_ID", "42")
        .filter_temp(dir)
        .run()
}

#[test]
fn the_command_target_deploys_rolls_back_and_records_statuses_on_github() {
    let dir = tempfile::tempdir().expect("dir");
    // Healthy unless the live version is a `bad` one.
    let live = dir.path().join("live");
    let health = format!("\"! grep -q bad '{}'\"", live.display());
    let config = command_project(dir.path(), &health);
    let mock = MockGitHub::start();
    mock.on("GET", "/repos/octocat/example/deployments")
        .then(Reply::json(
            200,
            json!([deployment(77, LIVE, "production", "2024-01-02T00:00:00Z")]).to_string(),
        ));
    mock.on("POST", "/repos/octocat/example/deployments/77/statuses")
        .then(Reply::json(
            201,
            fixture("deployment-status.json").to_string(),
        ));
    let first = command_run(
        dir.path(),
        &config,
        &mock,
        &["deploy", "--env", "production", "--version", "1.4.1"],
    );
    first.code(0);
    assert!(
        first.stderr.contains("deploy | deploying 1.4.1 over "),
        "{first}"
    );
    let second = command_run(
        dir.path(),
        &config,
        &mock,
        &["deploy", "--env", "production", "--version", "1.5.0-bad"],
    );
    second.code(1);
    assert!(
        second
            .stderr
            .contains("deploy | deploying 1.5.0-bad over 1.4.1"),
        "{second}"
    );
    assert!(
        second
            .stderr
            .contains("rolled-back: `health` did not pass within 500ms"),
        "{second}"
    );
    assert_eq!(
        std::fs::read_to_string(&live).expect("live").trim(),
        "1.4.1"
    );
    let states: Vec<(String, String)> = bodies(
        &mock,
        "POST",
        "/repos/octocat/example/deployments/77/statuses",
    )
    .into_iter()
    .map(|b| {
        (
            b["state"].as_str().unwrap_or_default().to_owned(),
            b["description"].as_str().unwrap_or_default().to_owned(),
        )
    })
    .collect();
    assert_eq!(states.len(), 4, "{states:?}");
    assert_eq!(
        states[0],
        (
            "in_progress".to_owned(),
            "deploying 1.4.1 (blue-green)".to_owned()
        )
    );
    assert_eq!(
        states[1],
        ("success".to_owned(), "1.4.1 is live".to_owned())
    );
    assert_eq!(states[2].0, "in_progress");
    assert_eq!(states[3].0, "failure");
    assert!(
        states[3]
            .1
            .starts_with("rolled back: `health` did not pass"),
        "{states:?}"
    );
    assert!(states[3].1.ends_with("1.4.1 serves"), "{states:?}");
    for b in bodies(
        &mock,
        "POST",
        "/repos/octocat/example/deployments/77/statuses",
    ) {
        assert_eq!(b["environment_url"], "https://shop.example.com");
        assert_eq!(
            b["log_url"],
            "https://github.com/octocat/example/actions/runs/42"
        );
    }
    // Never a second Deployment: GitHub made one for the job.
    assert!(bodies(&mock, "POST", "/repos/octocat/example/deployments").is_empty());
    // The history has both, and status names the live version.
    let status = command_run(
        dir.path(),
        &config,
        &mock,
        &["deploy", "status", "--env", "production", "--json"],
    );
    status.code(0);
    let v: Value = serde_json::from_str(&status.stdout).expect("json");
    assert_eq!(v["target"], "command");
    assert_eq!(v["live"]["version"], "1.4.1");
    assert_eq!(v["history"][0]["outcome"], "rolled-back");
    assert_eq!(v["history"][1]["outcome"], "success");
}

#[test]
fn a_token_without_deployment_rights_warns_and_the_deploy_still_succeeds() {
    let dir = tempfile::tempdir().expect("dir");
    let config = command_project(dir.path(), "\"true\"");
    let mock = MockGitHub::start();
    mock.on("GET", "/repos/octocat/example/deployments")
        .then(Reply::error(403, "Resource not accessible by integration"));
    let t = command_run(
        dir.path(),
        &config,
        &mock,
        &["deploy", "--env", "production", "--version", "2.0.0"],
    );
    t.code(0);
    assert!(
        t.stderr
            .contains("could not record the `in_progress` deployment status on GitHub"),
        "{t}"
    );
    assert!(t.stderr.contains("deployments: write"), "{t}");
    assert!(t.stderr.contains("`production` runs `2.0.0`"), "{t}");
    assert!(!t.stderr.contains("ghs_testtoken"), "{t}");
    // One refusal, then no more requests.
    assert_eq!(mock.requests().len(), 1, "{:?}", paths(&mock.requests()));
}

#[test]
fn the_deploy_action_output_names_the_deployment_its_statuses_went_to() {
    let dir = tempfile::tempdir().expect("dir");
    let config = command_project(dir.path(), "true");
    let mock = MockGitHub::start();
    mock.on("GET", "/repos/octocat/example/deployments")
        .then(Reply::json(
            200,
            json!([deployment(77, LIVE, "production", "2024-01-02T00:00:00Z")]).to_string(),
        ));
    mock.on("POST", "/repos/octocat/example/deployments/77/statuses")
        .then(Reply::json(
            201,
            fixture("deployment-status.json").to_string(),
        ));
    let t = common::slipway()
        .in_actions()
        .args(["deploy", "--env", "production", "--version", "1.4.1"])
        .arg_path("--config")
        .arg_path(&config)
        .env("SLIPWAY_STATE_DIR", dir.path().join("state"))
        .env("GITHUB_TOKEN", "ghs_testtoken")
        .env("GITHUB_REPOSITORY", "octocat/example")
        .env("GITHUB_API_URL", mock.url())
        .env("GITHUB_SHA", LIVE)
        .filter_temp(dir.path())
        .run();
    t.code(0);
    assert!(t.outputs.contains("deployment-id=77\n"), "{t}");
    assert!(t.outputs.contains("status=success\n"), "{t}");
}

#[test]
fn outside_the_window_a_deploy_refuses_before_anything_changes_unless_forced_with_a_reason() {
    let dir = tempfile::tempdir().expect("dir");
    let config = command_project(dir.path(), "true");
    // A window open only tomorrow: closed now, whatever the day.
    let days = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        / 86_400;
    let tomorrow = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][((days + 5) % 7) as usize];
    let text = std::fs::read_to_string(&config).expect("config").replace(
        "production: { strategy: blue-green,",
        &format!("production: {{ window: \"{tomorrow} 09:00-10:00 UTC\", strategy: blue-green,"),
    );
    std::fs::write(&config, text).expect("config");
    let deploy = |extra: &[&str]| {
        let mut args = vec!["deploy", "--env", "production", "--version", "1.4.1"];
        args.extend_from_slice(extra);
        common::slipway()
            .args(&args)
            .arg_path("--config")
            .arg_path(&config)
            .env("SLIPWAY_STATE_DIR", dir.path().join("state"))
            .filter_temp(dir.path())
            .run()
    };
    let live = dir.path().join("live");

    let t = deploy(&[]);
    t.code(2);
    assert!(
        t.stderr.contains(&format!(
            "the deployment window of `production` ({tomorrow} 09:00-10:00 UTC) is closed; it opens next at "
        )),
        "{t}"
    );
    assert!(t.stderr.contains("--force-window --reason"), "{t}");
    assert!(!live.exists(), "nothing may be deployed outside the window");

    let t = deploy(&["--force-window"]);
    assert_ne!(t.code, Some(0), "{t}");
    assert!(!live.exists(), "a forced deploy needs a reason");

    let t = deploy(&["--force-window", "--reason", "hotfix for checkout errors"]);
    t.code(0);
    assert!(
        t.stderr
            .contains("deploying outside the window of `production`"),
        "{t}"
    );
    assert_eq!(
        std::fs::read_to_string(&live).expect("live").trim(),
        "1.4.1"
    );
}

#[test]
fn the_command_target_without_commands_is_a_config_error() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("slipway.yml");
    std::fs::write(
        &config,
        "version: 1\nenvironments:\n  production: {}\ndeploy:\n  target: command\n",
    )
    .expect("config");
    let t = common::slipway()
        .args(["deploy", "--env", "production", "--version", "1.0.0"])
        .arg_path("--config")
        .arg_path(&config)
        .env("SLIPWAY_STATE_DIR", dir.path().join("state"))
        .run();
    t.code(2);
    assert!(t.stderr.contains("`deploy.command` is not set"), "{t}");
    assert!(t.stderr.contains("hint: add `deploy: { command:"), "{t}");
}

fn interrupted(c: &Cluster, phase: &str, version: &str) {
    let dir = c.dir.path().join("state/production");
    std::fs::create_dir_all(&dir).expect("state");
    std::fs::write(
        dir.join("journal.json"),
        json!({
            "operation": "deploy",
            "environment": "production",
            "version": version,
            "previous": "1.4.1",
            "strategy": "blue-green",
            "actor": "alice",
            "started": 1_704_103_200,
            "phase": phase,
            "data": {"live": "blue", "idle": "green"},
        })
        .to_string(),
    )
    .expect("journal");
}

#[test]
fn kubernetes_finishes_a_deploy_killed_after_the_switch_and_reverts_one_killed_before() {
    // Killed after the patch: green serves and is ready, so the deploy is completed.
    let c = blue_green_cluster("green");
    interrupted(&c, "switching", "1.4.2");
    let t = c
        .slipway(&["deploy", "status", "--env", "production", "--json"])
        .run();
    t.code(0);
    let v: Value = serde_json::from_str(&t.stdout).expect("json");
    assert_eq!(v["interrupted"]["phase"], "switching");
    let t = c
        .slipway(&["deploy", "rollback", "--env", "production", "--to", "1.4.1"])
        .run();
    t.code(0);
    assert!(
        t.stderr.contains("found an interrupted deploy of `1.4.2`"),
        "{t}"
    );
    assert!(t.stderr.contains("deploy completed"), "{t}");
    assert_eq!(
        c.changes(),
        [
            "rollout status deployment/shop-green --timeout=3s",
            r#"patch service shop --type=merge -p {"spec":{"selector":{"color":"blue"}}}"#,
        ]
    );
    // Killed while the idle colour was starting: the service never moved; green goes down.
    let c = blue_green_cluster("blue");
    interrupted(&c, "starting-idle", "1.5.0");
    let t = c
        .slipway(&["deploy", "--env", "production", "--version", "1.4.2"])
        .run();
    t.code(0);
    let changes = c.changes();
    assert_eq!(
        changes[0], "scale deployment/shop-green --replicas=0",
        "{changes:?}"
    );
    assert_eq!(
        changes.last().map(String::as_str),
        Some(r#"patch service shop --type=merge -p {"spec":{"selector":{"color":"green"}}}"#)
    );
    let status = c
        .slipway(&["deploy", "status", "--env", "production", "--json"])
        .run();
    let v: Value = serde_json::from_str(&status.stdout).expect("json");
    assert_eq!(v["interrupted"], Value::Null);
    assert_eq!(v["history"][1]["outcome"], "interrupted");
    assert_eq!(v["history"][0]["outcome"], "success");
}

#[test]
fn deployment_status_bodies_leave_redacted() {
    let mock = MockGitHub::start();
    mock.on("GET", "/repos/octocat/example/deployments")
        .then(Reply::json(
            200,
            json!([deployment(42, LIVE, "production", "2024-01-02T00:00:00Z")]).to_string(),
        ));
    mock.on("POST", "/repos/octocat/example/deployments/42/statuses")
        .then(Reply::json(
            201,
            fixture("deployment-status.json").to_string(),
        ));
    let mut book = Bookkeeper::new(|| Some(recorder(&mock)));
    book.record(
        State::Failure,
        "green-3 failed: DATABASE_URL=postgres://shop:Kp4xZ9qW2@db/shop",
    );
    let statuses = bodies(
        &mock,
        "POST",
        "/repos/octocat/example/deployments/42/statuses",
    );
    assert_eq!(
        statuses[0]["description"],
        "green-3 failed: DATABASE_URL=postgres://shop:***@db/shop"
    );
}

#[test]
fn a_command_targets_declared_secrets_are_masked_and_never_stream_or_get_recorded() {
    let dir = tempfile::tempdir().expect("dir");
    let secret = "shop-deploy-token-Hq72LmZ9";
    let config = dir.path().join("slipway.yml");
    std::fs::write(
        &config,
        "version: 1\nproject: { name: shop }\nenvironments:\n  production: { strategy: blue-green, secrets: [SHOP_DEPLOY_TOKEN] }\ndeploy:\n  target: command\n  command:\n    deploy: echo \"pushing with $SHOP_DEPLOY_TOKEN\" && echo \"denied for $SHOP_DEPLOY_TOKEN\" >&2 && exit 1\n    rollback: \"true\"\n    timeout: 10s\n",
    )
    .expect("config");
    let t = common::slipway()
        .args([
            "deploy",
            "--env",
            "production",
            "--version",
            "1.0.0",
            "--json",
        ])
        .arg_path("--config")
        .arg_path(&config)
        .env("SLIPWAY_STATE_DIR", dir.path().join("state"))
        .env("SHOP_DEPLOY_TOKEN", secret)
        .in_actions()
        .run();
    assert_ne!(t.code, Some(0), "{}", t.stderr);
    assert!(
        t.stderr.contains(&format!("::add-mask::{secret}")),
        "masked before anything runs: {}",
        t.stderr
    );
    let mask_at = t.stderr.find("::add-mask::").expect("mask");
    let echoed_at = t
        .stderr
        .find("pushing with")
        .expect("the command's output streams");
    assert!(mask_at < echoed_at, "{}", t.stderr);
    let history = std::fs::read_to_string(dir.path().join("state/production/history.jsonl"))
        .unwrap_or_default();
    let logged: String = t
        .stderr
        .lines()
        .filter(|l| !l.starts_with("::add-mask::"))
        .collect::<Vec<_>>()
        .join("\n");
    for (sink, text) in [
        ("stderr", &logged),
        ("stdout", &t.stdout),
        ("summary", &t.summary),
        ("outputs", &t.outputs),
        ("history", &history),
    ] {
        assert!(!text.contains(secret), "{sink} leaks it: {text}");
    }
    assert!(logged.contains("pushing with ***"), "{logged}");
}
