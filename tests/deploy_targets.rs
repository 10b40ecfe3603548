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
    mock.on("GET", "/repos/octocat/example/deployments").then(Reply::json(
        200,
        json!([
            deployment(2, LIVE, "staging", "2024-01-02T10:00:00Z"),
            deployment(3, "1111111111111111111111111111111111111111", "staging", "2024-01-03T10:00:00Z"),
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
    let verdict = block(async { promoted::check(&client(&mock), "staging", LIVE).await }).expect("check");
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
    let verdict = block(async { promoted::check(&client(&mock), "staging", OLDER).await }).expect("check");
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
    let verdict = block(async { promoted::check(&client(&mock), "staging", newer).await }).expect("check");
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
    let verdict = block(async { promoted::check(&client(&mock), "qa", LIVE).await }).expect("check");
    assert_eq!(verdict, Verdict::NothingLive { searched: 1 });
    // An environment without any deployment.
    let empty = MockGitHub::start();
    empty
        .on("GET", "/repos/octocat/example/deployments")
        .then(Reply::json(200, "[]"));
    let verdict = block(async { promoted::check(&client(&empty), "qa", LIVE).await }).expect("check");
    assert_eq!(verdict, Verdict::NothingLive { searched: 0 });
}

#[test]
fn promoted_names_an_unknown_commit_and_a_refused_token() {
    let mock = MockGitHub::start();
    staging(&mock);
    let unknown = "0000000000000000000000000000000000000000";
    let err = block(async { promoted::check(&client(&mock), "staging", unknown).await }).expect_err("404");
    assert_eq!(
        err.to_string(),
        "GitHub does not know the commit `0000000000000000000000000000000000000000`"
    );
    let denied = MockGitHub::start();
    denied
        .on("GET", "/repos/octocat/example/deployments")
        .then(Reply::error(403, "Resource not accessible by integration"));
    let err = block(async { promoted::check(&client(&denied), "staging", LIVE).await }).expect_err("403");
    let failure = slipway::error::Failure::from(err);
    assert!(
        failure.render().contains("Resource not accessible by integration"),
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
        .then(Reply::json(201, fixture("deployment-status.json").to_string()));
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
        .then(Reply::json(201, fixture("deployment-status.json").to_string()));
    let mut book = Bookkeeper::new(|| Some(recorder(&mock)));
    book.record(State::InProgress, "deploying 1.4.2");
    book.record(State::Failure, "1.4.2 failed its health check; 1.4.1 serves");
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
        .then(Reply::json(201, fixture("deployment-status.json").to_string()));
    let mut book = Bookkeeper::new(|| Some(recorder(&mock)));
    book.record(State::Success, "1.4.2 is live");
    assert!(book.warnings.is_empty(), "{:?}", book.warnings);
    assert_eq!(
        bodies(&mock, "POST", "/repos/octocat/example/deployments").len(),
        1
    );
    assert_eq!(
        bodies(&mock, "POST", "/repos/octocat/example/deployments/7/statuses").len(),
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
    let mut book = Bookkeeper::new(|| Some(recorder(&mock)));
    book.record(State::InProgress, "deploying 1.4.2");
    // After the first refusal it stops asking.
    book.record(State::Success, "1.4.2 is live");
    assert_eq!(book.warnings.len(), 1, "{:?}", book.warnings);
    let warning = &book.warnings[0];
    assert!(warning.contains("403 Forbidden"), "{warning}");
    assert!(warning.contains("deployments: write"), "{warning}");
    assert!(warning.contains("the deploy itself is not affected"), "{warning}");
    assert!(!warning.contains("ghs_testtoken"));
    assert_eq!(
        bodies(&mock, "POST", "/repos/octocat/example/deployments/5/statuses").len(),
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
        assert!(reason.starts_with("`health` did not pass within 600ms"), "{reason}");
        assert_eq!(p.live(), "1.4.2");
        let log = p.log();
        // Retried until the deadline, never switched, then the old version back.
        assert!(log.iter().filter(|l| l.starts_with("health v=1.5.0-bad")).count() >= 3, "{log:?}");
        assert!(!log.iter().any(|l| l.starts_with("switch v=1.5.0-bad")), "{log:?}");
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
        assert!(matches!(report.outcome, Outcome::RolledBack { .. }), "{report:?}");
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
