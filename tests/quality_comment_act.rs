//! The quality-comment workflow, as `slipway gen-workflows` renders it, run under act for a
//! `workflow_run` event: the artifact comes from the download-artifact stand-in's store of the
//! triggering run, the comment goes to the local GitHub REST mock, and a `slipway` on PATH in
//! front of the built binary lists the job's workspace every time it runs, so the test sees
//! what the job had on disk.
//!
//! The fork's pull request is a real commit in the base repository (as GitHub keeps
//! `refs/pull/N/head`), full of files that would show if anything checked it out.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::github_mock::{MockGitHub, Reply};
use serde_json::{Value, json};

const REPO: &str = "octo-org/octo-repo";
const FORK: &str = "fork-user/octo-repo";
const RUN: u64 = 4242;
const PULL: u64 = 7;
const TOKEN: &str = "ghs_qualitycommenttoken0123456789";
const COMMENTS: &str = "/repos/octo-org/octo-repo/issues/7/comments";

/// The base repository with the generated workflow, the fork's commit, and what act needs.
struct Setup {
    dir: tempfile::TempDir,
    repo: PathBuf,
    fork_sha: String,
    local_repositories: Vec<String>,
    workflow: Value,
}

fn git(repo: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.email=ci@example.com", "-c", "user.name=ci"])
        .args(args)
        .current_dir(repo)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn copy_dir(from: &Path, to: &Path) {
    let ok = Command::new("cp")
        .arg("-R")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp")
        .success();
    assert!(ok, "cp -R {} {}", from.display(), to.display());
}

/// A stand-in from `tests/e2e/stand-ins/NAME`, staged with its shared helpers.
fn stand_in(work: &Path, name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/stand-ins");
    let dest = work.join(name);
    copy_dir(&src.join(name), &dest);
    for lib in ["lib.js", "tools.js"] {
        std::fs::copy(src.join(lib), dest.join(lib)).expect("copy lib");
    }
    dest
}

fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    write(
        &repo.join("Cargo.toml"),
        "[package]\nname = \"shop\"\nversion = \"0.1.0\"\nedition = \"2021\"\n",
    );
    write(
        &repo.join("src/lib.rs"),
        "pub fn add(a: u32, b: u32) -> u32 {\n    a + b\n}\n\n#[test]\nfn adds() {\n    assert_eq!(add(1, 2), 3);\n}\n",
    );
    git(&repo, &["init", "-q", "-b", "main"]);
    let out = common::slipway()
        .args(["gen-workflows", "--quiet", "--only", "quality-comment"])
        .arg_path(&repo)
        .run();
    out.code(0);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "the pipeline"]);
    // The fork's pull request: its own comment files, workflow and binary, none of which may
    // reach the job.
    git(&repo, &["checkout", "-q", "-b", "fork"]);
    write(
        &repo.join("_slipway/comment/summary.md"),
        "FORK TREE SUMMARY\n",
    );
    write(&repo.join("_slipway/comment/pull-request"), "1\n");
    write(
        &repo.join("slipway"),
        "#!/bin/sh\necho FORK BINARY RAN >&2\nexit 0\n",
    );
    write(
        &repo.join(".github/workflows/quality-comment.yml"),
        "on: workflow_run\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo FORK WORKFLOW RAN\n",
    );
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "a pull request"]);
    let fork_sha = git(&repo, &["rev-parse", "HEAD"]);
    git(
        &repo,
        &["update-ref", &format!("refs/pull/{PULL}/head"), &fork_sha],
    );
    git(&repo, &["checkout", "-q", "main"]);
    git(&repo, &["branch", "-q", "-D", "fork"]);

    let text = std::fs::read_to_string(repo.join(".github/workflows/quality-comment.yml"))
        .expect("the generated workflow");
    let workflow: Value = serde_saphyr::from_str(&text).expect("yaml");
    // slipway's own actions from this checkout; the third-party ones from their stand-ins.
    let own = dir.path().join("slipway-actions");
    std::fs::create_dir_all(&own).expect("mkdir");
    for sub in ["actions", "scripts"] {
        copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join(sub), &own);
    }
    let mut local_repositories = Vec::new();
    let steps = workflow["jobs"]["comment"]["steps"]
        .as_array()
        .expect("steps");
    for uses in steps.iter().filter_map(|s| s["uses"].as_str()) {
        let (name, sha) = uses.split_once('@').expect("pinned");
        if let Some(repo) = name.strip_suffix("/actions/setup-environment") {
            local_repositories.push(format!("{repo}@{sha}={}", own.display()));
        }
    }
    // Every other pinned action (the setup actions inside setup-environment, skipped for
    // `stacks: none`) is a stub that fails if it ever runs.
    let stub = dir.path().join("stub");
    write(
        &stub.join("action.yml"),
        "name: stub\ndescription: stands in for a remote action\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo 'STUB RAN' >&2; exit 1\n",
    );
    let pins = slipway::generate::pins::Pins::embedded();
    let mut mapped = std::collections::BTreeSet::new();
    for (action, pin) in pins.iter() {
        let repo = action.split('/').take(2).collect::<Vec<_>>().join("/");
        if !mapped.insert(format!("{repo}@{}", pin.sha)) {
            continue;
        }
        let target = match repo.as_str() {
            "actions/download-artifact" => stand_in(dir.path(), "actions-download-artifact"),
            "actions/cache" => stand_in(dir.path(), "actions-cache"),
            _ => stub.clone(),
        };
        local_repositories.push(format!("{repo}@{}={}", pin.sha, target.display()));
    }
    // `slipway` on PATH: lists the workspace, then runs the built binary.
    let shim = dir.path().join("shim");
    std::fs::create_dir_all(&shim).expect("mkdir");
    write(
        &shim.join("slipway"),
        &format!(
            "#!/bin/sh\n( cd \"$GITHUB_WORKSPACE\" && find . -mindepth 1 | LC_ALL=C sort ) >> '{}'\nexec '{}' \"$@\"\n",
            dir.path().join("workspace.txt").display(),
            common::bin().display()
        ),
    );
    let ok = Command::new("chmod")
        .arg("+x")
        .arg(shim.join("slipway"))
        .status()
        .expect("chmod")
        .success();
    assert!(ok);
    Setup {
        dir,
        repo,
        fork_sha,
        local_repositories,
        workflow,
    }
}

impl Setup {
    /// The triggering run's artifact store, where the download stand-in looks for run `RUN`.
    fn artifact(&self) -> PathBuf {
        self.dir
            .path()
            .join(format!("state/runs/{REPO}/{RUN}/artifacts/quality-comment"))
    }

    /// Writes the artifact the quality workflow's gate job uploads for a fork: a real
    /// `summary.md` of `slipway quality gate`, and the number.
    fn upload(&self, number: &str, summary: Option<&str>) {
        let art = self.artifact();
        let _ = std::fs::remove_dir_all(&art);
        std::fs::create_dir_all(&art).expect("mkdir");
        std::fs::write(art.join("pull-request"), number).expect("write");
        let text = match summary {
            Some(s) => s.to_owned(),
            None => {
                let work = self.dir.path().join("gate");
                let _ = std::fs::remove_dir_all(&work);
                write(
                    &work.join("junit.xml"),
                    "<testsuites><testsuite name=\"shop\"><testcase classname=\"shop\" name=\"adds\"/><testcase classname=\"shop\" name=\"totals\"><failure message=\"expected 3\"/></testcase></testsuite></testsuites>\n",
                );
                common::slipway()
                    .args(["run-tests", "--skip-run", "--shard", "1/1", "--output-dir"])
                    .arg_path(work.join("results/app"))
                    .args(["--results"])
                    .arg_path(work.join("junit.xml"))
                    .run();
                common::slipway()
                    .args([
                        "quality",
                        "gate",
                        "--subproject",
                        "app=success",
                        "--results",
                    ])
                    .arg_path(work.join("results"))
                    .args(["--report"])
                    .arg_path(work.join("quality"))
                    .run()
                    .code(1);
                std::fs::read_to_string(work.join("quality/summary.md")).expect("summary.md")
            }
        };
        std::fs::write(art.join("summary.md"), text).expect("write");
    }

    /// Runs the workflow for a completed run of the quality workflow from `head_repository`;
    /// returns act's exit code and log.
    fn run(&self, mock: &MockGitHub, head_repository: &str) -> (Option<i32>, String) {
        let act = common::act::act().expect("act");
        let event = json!({
            "action": "completed",
            "workflow_run": {
                "id": RUN,
                "name": "quality",
                "event": "pull_request",
                "status": "completed",
                "conclusion": "failure",
                "head_sha": self.fork_sha,
                "head_branch": "main",
                "pull_requests": [],
                "head_repository": {"full_name": head_repository},
                "repository": {"full_name": REPO},
            },
            "repository": {"full_name": REPO, "name": "octo-repo", "owner": {"login": "octo-org"}, "default_branch": "main"},
        });
        let event_file = self.dir.path().join("event.json");
        std::fs::write(&event_file, event.to_string()).expect("event");
        let home = tempfile::tempdir().expect("home");
        let mut path = vec![self.dir.path().join("shim")];
        if let Some(system) = std::env::var_os("PATH") {
            path.extend(std::env::split_paths(&system));
        }
        let mut cmd = Command::new(act);
        cmd.args([
            "workflow_run",
            "-W",
            ".github/workflows/quality-comment.yml",
            "-e",
        ])
        .arg(&event_file)
        .args([
            "-P",
            "ubuntu-24.04=-self-hosted",
            "--action-offline-mode",
            "--no-cache-server",
        ]);
        for l in &self.local_repositories {
            cmd.arg("--local-repository").arg(l);
        }
        cmd.arg("--env")
            .arg(format!(
                "SLIPWAY_E2E_STATE={}",
                self.dir.path().join("state").display()
            ))
            .arg("--env")
            .arg(format!("GITHUB_API_URL={}", mock.url()))
            .arg("--env")
            .arg(format!("GITHUB_REPOSITORY={REPO}"))
            .arg("-s")
            .arg(format!("GITHUB_TOKEN={TOKEN}"))
            .current_dir(&self.repo)
            .env("PATH", std::env::join_paths(path).expect("PATH"))
            .env("HOME", home.path());
        for (key, _) in std::env::vars_os() {
            if key.to_str().is_some_and(|k| {
                ["GITHUB_", "RUNNER_", "ACTIONS_", "SLIPWAY_", "INPUT_"]
                    .iter()
                    .any(|p| k.starts_with(p))
                    || k == "CI"
                    || k == "CARGO_TARGET_DIR"
            }) {
                cmd.env_remove(key);
            }
        }
        let out = cmd.output().expect("act");
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!log.contains(TOKEN), "the token was printed:\n{log}");
        (out.status.code(), log)
    }

    /// What the job's workspace held each time `slipway` ran, then forgotten.
    fn workspace_listings(&self) -> String {
        let path = self.dir.path().join("workspace.txt");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let _ = std::fs::remove_file(path);
        text
    }
}

/// The REST mock: the triggering run (from a fork: `pull_requests` empty), pull requests 7 (the
/// run's head) and 8 (another head), and issue comments kept as GitHub keeps them.
fn mock(fork_sha: &str) -> (MockGitHub, Arc<Mutex<Vec<Value>>>) {
    let mock = MockGitHub::start();
    mock.on("GET", &format!("/repos/{REPO}/actions/runs/{RUN}"))
        .then(Reply::json(
            200,
            json!({"id": RUN, "event": "pull_request", "head_sha": fork_sha, "pull_requests": [],
                   "head_repository": {"full_name": FORK}})
            .to_string(),
        ));
    mock.on("GET", &format!("/repos/{REPO}/pulls/{PULL}"))
        .then(Reply::json(
            200,
            json!({"number": PULL, "head": {"sha": fork_sha}}).to_string(),
        ));
    mock.on("GET", &format!("/repos/{REPO}/pulls/8"))
        .then(Reply::json(
            200,
            json!({"number": 8, "head": {"sha": "0".repeat(40)}}).to_string(),
        ));
    let comments = Arc::new(Mutex::new(Vec::<Value>::new()));
    let store = comments.clone();
    mock.handle("GET", COMMENTS, move |_| {
        Reply::json(200, Value::from(store.lock().unwrap().clone()).to_string())
    });
    let store = comments.clone();
    mock.handle("POST", COMMENTS, move |req| {
        let body: Value = serde_json::from_str(&req.body).unwrap_or_default();
        let mut all = store.lock().unwrap();
        let id = 100 + all.len() as u64;
        let c = json!({"id": id, "body": body["body"],
                       "html_url": format!("https://github.com/{REPO}/pull/{PULL}#issuecomment-{id}"),
                       "user": {"login": "github-actions[bot]", "type": "Bot"}});
        all.push(c.clone());
        Reply::json(201, c.to_string())
    });
    let store = comments.clone();
    mock.handle(
        "PATCH",
        "/repos/octo-org/octo-repo/issues/comments/100",
        move |req| {
            let body: Value = serde_json::from_str(&req.body).unwrap_or_default();
            let mut all = store.lock().unwrap();
            all[0]["body"] = body["body"].clone();
            Reply::json(200, all[0].to_string())
        },
    );
    (mock, comments)
}

fn writes(mock: &MockGitHub) -> Vec<String> {
    mock.requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[test]
fn a_fork_pull_requests_comment_is_created_then_updated_and_nothing_of_the_fork_runs() {
    if common::act::act().is_none() {
        return;
    }
    let s = setup();
    // The job as rendered: no checkout, no cache, nothing of the event inside `run:`.
    let steps = s.workflow["jobs"]["comment"]["steps"].as_array().unwrap();
    for step in steps {
        let uses = step["uses"].as_str().unwrap_or_default();
        assert!(
            !uses.contains("checkout") && !uses.contains("/cache"),
            "{uses}"
        );
        assert!(!step["run"].as_str().unwrap_or_default().contains("${{"));
    }
    let (mock, comments) = mock(&s.fork_sha);
    s.upload(&format!("{PULL}\n"), None);
    let (code, log) = s.run(&mock, FORK);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("created the quality comment on #7"), "{log}");
    let first = comments.lock().unwrap().clone();
    assert_eq!(first.len(), 1, "{first:?}");
    let body = first[0]["body"].as_str().unwrap();
    assert!(body.starts_with("<!-- slipway-quality -->\n"), "{body}");
    assert!(body.contains("quality gate failed"), "{body}");
    assert!(
        body.contains("totals") && body.contains("expected 3"),
        "{body}"
    );
    // The workspace held the artifact and nothing else, every time slipway ran.
    let listings = s.workspace_listings();
    assert!(
        listings.contains("./_slipway/comment/summary.md"),
        "{listings}"
    );
    for line in listings.lines() {
        assert!(
            [
                "./_slipway",
                "./_slipway/comment",
                "./_slipway/comment/pull-request",
                "./_slipway/comment/summary.md"
            ]
            .contains(&line),
            "the job's workspace held `{line}`:\n{listings}"
        );
    }
    for canary in ["FORK TREE SUMMARY", "FORK BINARY RAN", "FORK WORKFLOW RAN"] {
        assert!(!log.contains(canary), "{canary}:\n{log}");
    }
    assert!(!body.contains("FORK TREE"), "{body}");

    // The next run of the pull request updates the same comment.
    s.upload(
        &format!("{PULL}"),
        Some("**✅ quality gate passed**: 2 tests\n"),
    );
    let (code, log) = s.run(&mock, FORK);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("updated the quality comment on #7"), "{log}");
    let all = comments.lock().unwrap().clone();
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(
        all[0]["body"],
        "<!-- slipway-quality -->\n**✅ quality gate passed**: 2 tests\n"
    );
    assert_eq!(
        writes(&mock),
        [
            format!("POST {COMMENTS}"),
            "PATCH /repos/octo-org/octo-repo/issues/comments/100".to_owned()
        ]
    );
    // Every call used the job's token, given to the step, never printed (`run` checks the log).
    for r in mock.requests() {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str()),
            "{} {}",
            r.method,
            r.path
        );
    }
}

#[test]
fn a_tampered_artifact_is_posted_inert_or_refused() {
    if common::act::act().is_none() {
        return;
    }
    let s = setup();
    let (mock, comments) = mock(&s.fork_sha);
    // Mentions, references, HTML, hidden text and links: posted, as plain text.
    s.upload(
        "7",
        Some("ping @octo-org/admins and @octocat, see #1 and GH-2 <img src=https://t.example/p.png><!-- hidden --> [pay](https://evil.example) &#64;x\n"),
    );
    let (code, log) = s.run(&mock, FORK);
    assert_eq!(code, Some(0), "{log}");
    let posted = comments.lock().unwrap()[0]["body"]
        .as_str()
        .unwrap()
        .to_owned();
    let shown = posted.replace('\u{200B}', "|");
    assert_eq!(
        shown,
        "<!-- slipway-quality -->\nping @|octo-org/admins and @|octocat, see #|1 and GH-|2 <|img src=https:|//t.example/p.png><|!-- hidden --> [pay]|(https:|//evil.example) &|#|64;x\n"
    );

    // A number the run did not build, and an oversized summary: red, nothing written.
    let before = writes(&mock);
    s.upload("8", Some("all good\n"));
    let (code, log) = s.run(&mock, FORK);
    assert_ne!(code, Some(0), "{log}");
    assert!(
        log.contains("the artifact names pull request #8, which workflow run 4242 did not build"),
        "{log}"
    );
    s.upload("7", Some(&"x".repeat(70_000)));
    let (code, log) = s.run(&mock, FORK);
    assert_ne!(code, Some(0), "{log}");
    assert!(
        log.contains("is 70000 bytes, more than the 65536 allowed"),
        "{log}"
    );
    assert_eq!(writes(&mock), before);
}

#[test]
fn a_missing_artifact_fails_the_job_and_a_same_repository_run_is_left_alone() {
    if common::act::act().is_none() {
        return;
    }
    let s = setup();
    let (mock, _) = mock(&s.fork_sha);
    let (code, log) = s.run(&mock, FORK);
    assert_ne!(code, Some(0), "{log}");
    assert!(
        log.contains(
            "Unable to download artifact(s): Artifact not found for name: quality-comment"
        ),
        "{log}"
    );
    assert!(!log.contains("Check and post the sticky comment"), "{log}");
    assert!(mock.requests().is_empty(), "{:?}", mock.requests());

    // The quality workflow comments itself on pull requests from the same repository.
    s.upload("7", None);
    let (code, log) = s.run(&mock, REPO);
    assert_eq!(code, Some(0), "{log}");
    // The job did not start: act prints each line of a job under its name.
    assert!(!log.contains("pull-request comment (forks)"), "{log}");
    assert!(mock.requests().is_empty(), "{:?}", mock.requests());
}
