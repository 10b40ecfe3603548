//! `slipway release pr` and the merged release commit (`release.trigger: pr`), run as the
//! binary on git repositories built with the git CLI, against the local mock of the REST API.

mod common;

use std::path::Path;
use std::process::Command;

use common::github_mock::{MockGitHub, Reply};
use common::slipway;

const TOKEN: &str = "ghs_releasePrToken0123456789";
const GIT: &str = "/repos/octo-org/octo-repo/git";
const PULLS: &str = "/repos/octo-org/octo-repo/pulls";

struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    /// A repository on `main` whose last release is `v1.2.3`, with a `Cargo.toml`, a
    /// `package.json` and a changelog at that version, released as a pull request.
    fn released() -> Self {
        let repo = Self::empty();
        repo.write("slipway.yml", "version: 1\nrelease: { trigger: pr }\n");
        repo.write(
            "Cargo.toml",
            "[package]\nname = \"shop\"\nversion = \"1.2.3\"\n",
        );
        repo.write(
            "package.json",
            "{\n  \"name\": \"shop\",\n  \"version\": \"1.2.3\"\n}\n",
        );
        repo.write("CHANGELOG.md", "# Changelog\n\n## 1.2.3\n\n- old\n");
        repo.git(&["add", "."]);
        repo.git(&["commit", "-qm", "chore: init"]);
        repo.git(&["tag", "v1.2.3"]);
        repo
    }

    /// A new repository on `main`, no commits.
    fn empty() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = Self { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) -> String {
        let out = Command::new("git")
            .arg("-C")
            .arg(self.path())
            .args(["-c", "user.name=Ada", "-c", "user.email=ada@example.com"])
            .args(["-c", "commit.gpgSign=false", "-c", "tag.gpgSign=false"])
            .args(args)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_DATE", "2025-01-02T10:00:00Z")
            .env("GIT_COMMITTER_DATE", "2025-01-02T10:00:00Z")
            .env("HOME", self.path())
            .output()
            .expect("git");
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).expect("write");
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path().join(name)).expect("read")
    }

    fn commit(&self, message: &str) -> String {
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    /// What merging the release pull request of `version` brings: the manifests at `version`,
    /// the changelog section on top, one commit with `subject`.
    fn merge_release(&self, version: &str, subject: &str) {
        for f in ["Cargo.toml", "package.json"] {
            let text = self.read(f).replace("1.2.3", version);
            self.write(f, &text);
        }
        let changelog = self.read("CHANGELOG.md").replace(
            "# Changelog\n\n",
            &format!("# Changelog\n\n## {version} (2025-01-02)\n\n### Features\n\n- search\n\n"),
        );
        self.write("CHANGELOG.md", &changelog);
        self.git(&["commit", "-qam", subject]);
    }

    /// `slipway release pr ARGS DIR` with a token for the mock.
    fn pr(&self, mock: &MockGitHub, args: &[&str]) -> common::Transcript {
        slipway()
            .args(["release", "pr"])
            .args(args)
            .arg_path(self.path())
            .env("GITHUB_API_URL", mock.url())
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_REPOSITORY", "octo-org/octo-repo")
            .filter_temp(self.path())
            .run()
    }

    /// `slipway release plan --notes NOTES DIR` as the release workflow runs it.
    fn plan(&self, notes: &Path) -> common::Transcript {
        slipway()
            .args(["release", "plan", "--notes"])
            .arg_path(notes)
            .arg_path(self.path())
            .in_actions()
            .filter_temp(self.path())
            .run()
    }
}

fn json_ref(name: &str, sha: &str) -> String {
    serde_json::json!({ "ref": name, "object": { "type": "commit", "sha": sha } }).to_string()
}

/// The API of a repository whose `main` is at `head`; the release branch is `branch_head`'s
/// commit with `branch_subject` once it exists.
fn script(mock: &MockGitHub, head: &str, branch: Option<(&str, &str)>) {
    script_in(mock, "octo-org/octo-repo", head, branch);
}

/// [`script`] for the repository `slug`.
fn script_in(mock: &MockGitHub, slug: &str, head: &str, branch: Option<(&str, &str)>) {
    let git = format!("/repos/{slug}/git");
    let pulls = format!("/repos/{slug}/pulls");
    let (git, pulls) = (git.as_str(), pulls.as_str());
    mock.on("GET", &format!("{git}/ref/heads/main"))
        .then(Reply::json(200, json_ref("refs/heads/main", head)));
    mock.on("GET", &format!("{git}/commits/{head}")).then(Reply::json(
        200,
        serde_json::json!({ "sha": head, "tree": { "sha": "7ree0" }, "message": "feat: search", "parents": [] })
            .to_string(),
    ));
    let release_ref = mock.on("GET", &format!("{git}/ref/heads/slipway/release"));
    match branch {
        None => {
            release_ref
                .then(Reply::error(404, "Not Found"))
                .then(Reply::json(
                    200,
                    json_ref("refs/heads/slipway/release", "c0mm17"),
                ));
            mock.on("GET", &format!("{git}/commits/c0mm17")).then(Reply::json(
                200,
                serde_json::json!({ "sha": "c0mm17", "tree": { "sha": "7ree1" }, "message": "chore(release): v1.3.0", "parents": [{ "sha": head }] })
                    .to_string(),
            ));
        }
        Some((sha, subject)) => {
            release_ref.then(Reply::json(
                200,
                json_ref("refs/heads/slipway/release", sha),
            ));
            mock.on("GET", &format!("{git}/commits/{sha}")).then(Reply::json(
                200,
                serde_json::json!({ "sha": sha, "tree": { "sha": "7ree2" }, "message": subject, "parents": [{ "sha": "0ld" }] })
                    .to_string(),
            ));
        }
    }
    mock.on("POST", &format!("{git}/blobs"))
        .then(Reply::json(201, r#"{"sha":"b10b"}"#));
    mock.on("POST", &format!("{git}/trees"))
        .then(Reply::json(201, r#"{"sha":"7ree1"}"#));
    mock.on("POST", &format!("{git}/commits"))
        .then(Reply::json(201, r#"{"sha":"c0mm17"}"#));
    mock.on("POST", &format!("{git}/refs")).then(Reply::json(
        201,
        json_ref("refs/heads/slipway/release", "c0mm17"),
    ));
    mock.on("PATCH", &format!("{git}/refs/heads/slipway/release"))
        .then(Reply::json(
            200,
            json_ref("refs/heads/slipway/release", "c0mm17"),
        ));
    mock.on("GET", pulls)
        .then(Reply::json(200, "[]"))
        .then(Reply::json(200, r#"[{"number": 7}]"#));
    mock.on("POST", pulls)
        .then(Reply::json(201, r#"{"number": 7}"#));
    mock.on("PATCH", &format!("{pulls}/7"))
        .then(Reply::json(200, r#"{"number": 7}"#));
}

fn writes(mock: &MockGitHub) -> Vec<String> {
    mock.requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn no_token(t: &common::Transcript) {
    let all = format!("{}{}{}", t.stdout, t.stderr, t.outputs);
    assert!(!all.contains(TOKEN), "the token leaked:\n{t}");
}

#[test]
fn release_pr_opens_the_pull_request_then_updates_it_on_the_next_push() {
    let repo = Repo::released();
    let head = repo.commit("feat: search");
    let mock = MockGitHub::start();
    script(&mock, &head, None);

    let first = repo.pr(&mock, &["--base", "main"]);
    first.code(0);
    no_token(&first);
    assert!(
        first.stdout.contains("release:  1.2.3 -> 1.3.0 (v1.3.0)"),
        "{first}"
    );
    assert!(
        first
            .stdout
            .contains("files:    CHANGELOG.md, Cargo.toml, package.json"),
        "{first}"
    );
    assert!(
        first.stdout.contains("pull request: #7 (opened)"),
        "{first}"
    );
    assert_eq!(
        writes(&mock),
        [
            format!("POST {GIT}/blobs"),
            format!("POST {GIT}/blobs"),
            format!("POST {GIT}/blobs"),
            format!("POST {GIT}/trees"),
            format!("POST {GIT}/commits"),
            format!("POST {GIT}/refs"),
            format!("POST {PULLS}"),
        ]
    );
    let reqs = mock.requests();
    let commit: serde_json::Value = serde_json::from_str(
        &reqs
            .iter()
            .find(|r| r.method == "POST" && r.path.ends_with("/git/commits"))
            .expect("a commit")
            .body,
    )
    .expect("json");
    assert_eq!(commit["message"], "chore(release): v1.3.0");
    assert_eq!(commit["parents"][0], head.as_str());
    let pull: serde_json::Value = serde_json::from_str(
        &reqs
            .iter()
            .find(|r| r.method == "POST" && r.path == PULLS)
            .expect("a pull request")
            .body,
    )
    .expect("json");
    assert_eq!(pull["title"], "chore(release): v1.3.0");
    assert_eq!(pull["head"], "slipway/release");
    let body = pull["body"].as_str().unwrap_or_default();
    assert!(body.contains("| (repository) | 1.2.3 | 1.3.0 |"), "{body}");
    assert!(body.contains("- search"), "{body}");
    // Nothing changes locally: the commit exists on GitHub only.
    assert!(repo.read("Cargo.toml").contains("1.2.3"));
    assert_eq!(repo.git(&["status", "--porcelain"]), "");

    // The next push: the branch moves to a fresh commit and the same pull request is updated.
    let before = writes(&mock).len();
    let second = repo.pr(&mock, &["--base", "main", "--json"]);
    second.code(0);
    let out: serde_json::Value = serde_json::from_str(second.stdout.trim()).expect("json");
    assert_eq!(out["pull_request"], 7);
    assert_eq!(out["opened"], false);
    assert_eq!(out["units"][0]["next"], "1.3.0");
    let after = writes(&mock)[before..].to_vec();
    assert_eq!(
        after[after.len() - 2..],
        [
            format!("PATCH {GIT}/refs/heads/slipway/release"),
            format!("PATCH {PULLS}/7"),
        ]
    );
    let patch: serde_json::Value = serde_json::from_str(
        &mock
            .requests()
            .iter()
            .find(|r| r.method == "PATCH" && r.path.ends_with("/refs/heads/slipway/release"))
            .expect("patch")
            .body,
    )
    .expect("json");
    assert_eq!(patch["force"], true);
}

#[test]
fn release_pr_refuses_a_hand_edited_release_branch_and_pushes_nothing() {
    let repo = Repo::released();
    let head = repo.commit("fix: rounding");
    let mock = MockGitHub::start();
    script(&mock, &head, Some(("h4nd", "fix the changelog wording")));
    let t = repo.pr(&mock, &[]);
    t.code(2);
    no_token(&t);
    assert!(
        t.stderr.contains(
            "error: the release branch `slipway/release` has a commit slipway did not make (`fix the changelog wording`)"
        ),
        "{t}"
    );
    assert!(t.stderr.contains("hint: merge or close the release pull request, or delete the branch `slipway/release`; nothing was pushed"), "{t}");
    assert!(writes(&mock).is_empty(), "{:?}", writes(&mock));
}

#[test]
fn release_pr_with_nothing_releasable_writes_nothing_and_names_an_open_pull_request() {
    let repo = Repo::released();
    repo.commit("docs: readme");
    let mock = MockGitHub::start();
    mock.on("GET", PULLS)
        .then(Reply::json(200, r#"[{"number": 7}]"#));
    let t = repo.pr(&mock, &[]);
    t.code(0);
    assert!(
        t.stderr.contains("nothing to release: none of the 1 commits since `v1.2.3` is a feature, a fix or a breaking change; no pull request"),
        "{t}"
    );
    assert!(
        t.stderr
            .contains("note: the release pull request #7 is left open"),
        "{t}"
    );
    assert!(writes(&mock).is_empty(), "{:?}", writes(&mock));
    let query = &mock.requests()[0].query;
    assert!(
        query.contains("head=octo-org%3Aslipway%2Frelease"),
        "{query}"
    );
}

#[test]
fn release_pr_dry_run_calls_no_api_and_changes_nothing() {
    let repo = Repo::released();
    repo.commit("feat: search");
    let mock = MockGitHub::start();
    let t = slipway()
        .args(["release", "pr", "--dry-run", "--json"])
        .arg_path(repo.path())
        .env("GITHUB_API_URL", mock.url())
        .run();
    t.code(0);
    let out: serde_json::Value = serde_json::from_str(t.stdout.trim()).expect("json");
    assert_eq!(out["dry_run"], true);
    assert_eq!(out["units"][0]["tag"], "v1.3.0");
    assert_eq!(
        out["files"],
        serde_json::json!(["CHANGELOG.md", "Cargo.toml", "package.json"])
    );
    assert!(out["pull_request"].is_null());
    assert!(mock.requests().is_empty());
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn release_pr_refuses_a_changelog_that_is_a_link() {
    let repo = Repo::released();
    repo.commit("feat: search");
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(outside.path().join("secret"), "TOKEN=hunter2\n").expect("write");
    std::fs::remove_file(repo.path().join("CHANGELOG.md")).expect("rm");
    std::os::unix::fs::symlink(
        outside.path().join("secret"),
        repo.path().join("CHANGELOG.md"),
    )
    .expect("symlink");
    let mock = MockGitHub::start();
    let t = repo.pr(&mock, &["--dry-run"]);
    t.code(2);
    assert!(t.stderr.contains("reading `CHANGELOG.md`"), "{t}");
    assert!(!t.stdout.contains("hunter2") && !t.stderr.contains("hunter2"));
    assert!(mock.requests().is_empty());
}

#[test]
fn the_merged_release_commit_is_published_without_a_second_bump() {
    let repo = Repo::released();
    repo.commit("feat: search");
    // A squash merge of the release pull request.
    repo.merge_release("1.3.0", "chore(release): v1.3.0 (#7)");
    let notes = repo.path().join("_out/notes.md");
    let t = repo.plan(&notes);
    t.code(0);
    assert!(t.outputs.contains("release=true"), "{t}");
    assert!(t.outputs.contains("version=1.3.0"), "{t}");
    assert!(t.outputs.contains("tag=v1.3.0"), "{t}");
    assert_eq!(
        std::fs::read_to_string(&notes).expect("notes"),
        "## 1.3.0 (2025-01-02)\n\n### Features\n\n- search\n"
    );
    // `release pr` on the same push leaves it to the publish job.
    let mock = MockGitHub::start();
    let t = repo.pr(&mock, &[]);
    t.code(0);
    assert!(
        t.stderr
            .contains("`HEAD` is the merged release commit of `v1.3.0`"),
        "{t}"
    );
    assert!(mock.requests().is_empty());

    // Published (tagged): the next push has nothing to release and no second bump.
    repo.git(&["tag", "v1.3.0"]);
    repo.commit("chore: tidy");
    let t = repo.plan(&notes);
    t.code(0);
    assert!(t.outputs.contains("release=false"), "{t}");
}

#[test]
fn a_merge_commit_of_the_release_pull_request_is_recognised() {
    let repo = Repo::released();
    repo.commit("feat: search");
    repo.git(&["checkout", "-qb", "slipway/release"]);
    repo.merge_release("1.3.0", "chore(release): v1.3.0");
    repo.git(&["checkout", "-q", "main"]);
    repo.git(&[
        "merge",
        "-q",
        "--no-ff",
        "-m",
        "Merge pull request #7 from octo-org/slipway/release",
        "slipway/release",
    ]);
    let t = repo.plan(&repo.path().join("_out/notes.md"));
    t.code(0);
    assert!(t.outputs.contains("release=true"), "{t}");
    assert!(t.outputs.contains("tag=v1.3.0"), "{t}");
}

#[test]
fn a_forged_release_commit_is_not_released() {
    // A contributor's commit names a version the commits do not call for.
    let repo = Repo::released();
    repo.commit("feat: search");
    repo.commit("chore(release): v9.9.9");
    let notes = repo.path().join("_out/notes.md");
    let t = repo.plan(&notes);
    t.code(0);
    assert!(t.outputs.contains("release=false"), "{t}");
    assert!(
        t.stderr.contains("warning: `chore(release): v9.9.9` says it releases v9.9.9, but the commits call for `v1.3.0`: not released"),
        "{t}"
    );
    assert!(
        t.stderr
            .contains("::warning title=slipway release plan::`chore(release): v9.9.9`"),
        "{t}"
    );
    assert!(!notes.exists());

    // The right version in the subject, but the manifests were never bumped.
    let repo = Repo::released();
    repo.commit("feat: search");
    repo.commit("chore(release): v1.3.0");
    let t = repo.plan(&notes);
    t.code(0);
    assert!(t.outputs.contains("release=false"), "{t}");
    assert!(
        t.stderr
            .contains("`Cargo.toml` holds `1.2.3`, not `1.3.0`: not released"),
        "{t}"
    );

    // Manifests bumped by hand to a version of the author's choosing.
    let repo = Repo::released();
    repo.commit("fix: rounding");
    repo.merge_release("9.9.9", "chore(release): v9.9.9");
    let t = repo.plan(&notes);
    t.code(0);
    assert!(t.outputs.contains("release=false"), "{t}");
    assert!(t.stderr.contains("the commits call for `v1.2.4`"), "{t}");

    // An ordinary push under `trigger: pr` releases nothing: the pull request carries it.
    let repo = Repo::released();
    repo.commit("feat: search");
    let t = repo.plan(&notes);
    t.code(0);
    assert!(t.outputs.contains("release=false"), "{t}");
    assert!(
        t.stderr
            .contains("the release pull request carries `v1.3.0`"),
        "{t}"
    );
}

// ----- the generated release workflow under act -----

/// `scripts/try-pipeline --existing --workflows release --job JOB` on `repo` with the API at
/// `mock`; the report (JSON) and the log.
fn try_release(repo: &Path, job: &str, mock: &MockGitHub) -> Option<(serde_json::Value, String)> {
    let act = common::act::act()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().expect("tempdir");
    let json = out.path().join("report.json");
    let run = Command::new(root.join("scripts/try-pipeline"))
        .args([
            "--existing",
            "--workflows",
            "release",
            "--job",
            job,
            "--json",
        ])
        .arg(&json)
        .arg("--work")
        .arg(out.path().join("work"))
        .arg("--act-arg=--env")
        .arg(format!("--act-arg=GITHUB_API_URL={}", mock.url()))
        // No such remote: act names the repository `nektos/act` (its default), not after the
        // path of the local clone try-pipeline runs.
        .arg("--act-arg=--remote-name=no-such-remote")
        .arg("--act-arg=-s")
        .arg(format!("--act-arg=GITHUB_TOKEN={TOKEN}"))
        .arg(repo)
        .env("SLIPWAY_BIN", common::bin())
        .env("SLIPWAY_ACT", &act)
        .env(
            "SLIPWAY_VALIDATORS",
            act.parent().and_then(Path::parent).expect("venv"),
        )
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .expect("scripts/try-pipeline");
    let report: serde_json::Value = std::fs::read_to_string(&json)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let log = report["workflows"]["release"]["log"]
        .as_str()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
    let text = format!(
        "exit {:?}\n{}{}\n--- log\n{log}",
        run.status.code(),
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    Some((report, text))
}

fn job_result(report: &serde_json::Value, job: &str) -> String {
    report["workflows"]["release"]["jobs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|j| j["job"] == job)
        .and_then(|j| j["result"].as_str())
        .unwrap_or("missing")
        .to_owned()
}

#[test]
fn the_generated_release_workflow_opens_the_pull_request_then_publishes_its_merge() {
    // npm-mocha (package.json at 0.4.0) released as `v0.4.0`, then a feature.
    let repo = Repo::empty();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/e2e/npm-mocha");
    let ok = Command::new("cp")
        .arg("-R")
        .arg(format!("{}/.", fixture.display()))
        .arg(repo.path())
        .status()
        .expect("cp")
        .success();
    assert!(ok);
    repo.write("CHANGELOG.md", "# Changelog\n\n## 0.4.0\n\n- first\n");
    repo.write("slipway.yml", "version: 1\nrelease: { trigger: pr }\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "chore: npm-mocha"]);
    repo.git(&["tag", "v0.4.0"]);
    slipway()
        .args(["gen-workflows", "--only", "release"])
        .arg_path(repo.path())
        .run()
        .code(0);
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "feat: links expire"]);
    let head = repo.git(&["rev-parse", "HEAD"]);
    // What act names the repository when it has no remote to read (see `try_release`).
    let slug = "nektos/act";
    let mock = MockGitHub::start();
    script_in(&mock, slug, &head, None);

    // The push of the feature: the plan releases nothing, the release pull request opens
    // (below 1.0 a feature is a patch).
    let Some((report, log)) = try_release(repo.path(), "release-pr", &mock) else {
        return;
    };
    assert_eq!(job_result(&report, "plan"), "green", "{log}");
    assert_eq!(job_result(&report, "release-pr"), "green", "{log}");
    assert!(!log.contains(TOKEN), "the token leaked");
    let git = format!("/repos/{slug}/git");
    assert_eq!(
        writes(&mock),
        [
            format!("POST {git}/blobs"),
            format!("POST {git}/blobs"),
            format!("POST {git}/trees"),
            format!("POST {git}/commits"),
            format!("POST {git}/refs"),
            format!("POST /repos/{slug}/pulls"),
        ],
        "{log}"
    );
    let reqs = mock.requests();
    assert!(
        reqs.iter()
            .all(|r| r.header("authorization") == Some(&format!("Bearer {TOKEN}"))),
        "every call carries the job's token"
    );
    let bumped = reqs
        .iter()
        .filter(|r| r.path.ends_with("/git/blobs"))
        .any(|r| r.body.contains(r#"\"version\": \"0.4.1\""#));
    assert!(bumped, "{:?}", reqs);

    // The merge (squash) of that pull request: the plan recognises it, publish tags 0.4.1.
    let text = repo.read("package.json").replace("\"0.4.0\"", "\"0.4.1\"");
    repo.write("package.json", &text);
    repo.write(
        "CHANGELOG.md",
        "# Changelog\n\n## 0.4.1 (2025-01-02)\n\n### Features\n\n- links expire\n\n## 0.4.0\n\n- first\n",
    );
    repo.git(&["commit", "-qam", "chore(release): v0.4.1 (#7)"]);
    let merged = repo.git(&["rev-parse", "HEAD"]);
    let mock = MockGitHub::start();
    let api = format!("/repos/{slug}");
    mock.on("GET", &format!("{api}/git/ref/tags/v0.4.1"))
        .then(Reply::error(404, "Not Found"));
    mock.on("POST", &format!("{api}/git/tags")).then(Reply::json(
        201,
        serde_json::json!({ "sha": "7a90b1", "tag": "v0.4.1", "object": { "type": "commit", "sha": merged } })
            .to_string(),
    ));
    mock.on("POST", &format!("{api}/git/refs")).then(Reply::json(
        201,
        serde_json::json!({ "ref": "refs/tags/v0.4.1", "object": { "type": "tag", "sha": "7a90b1" } })
            .to_string(),
    ));
    mock.on("GET", &format!("{api}/releases"))
        .then(Reply::json(200, "[]"));
    let mut release: serde_json::Value =
        serde_json::from_str(&common::github_mock::fixture("release-draft.json")).expect("json");
    release["tag_name"] = "v0.4.1".into();
    release["target_commitish"] = merged.as_str().into();
    release["assets"] = serde_json::json!([]);
    release["upload_url"] =
        format!("{{base}}/repos/{slug}/releases/1/assets{{?name,label}}").into();
    mock.on("POST", &format!("{api}/releases"))
        .then(Reply::json(201, release.to_string()));
    let id = release["id"].as_u64().expect("id");
    mock.on("GET", &format!("{api}/releases/{id}/assets"))
        .then(Reply::json(200, "[]"));
    let mut published = release.clone();
    published["draft"] = false.into();
    mock.on("PATCH", &format!("{api}/releases/{id}"))
        .then(Reply::json(200, published.to_string()));
    let Some((report, log)) = try_release(repo.path(), "publish", &mock) else {
        return;
    };
    assert_eq!(job_result(&report, "plan"), "green", "{log}");
    assert_eq!(job_result(&report, "publish"), "green", "{log}");
    let calls: Vec<String> = mock
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        calls.contains(&format!("POST {api}/releases")),
        "{calls:?}\n{log}"
    );
    let created = mock
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == format!("{api}/releases"))
        .expect("release");
    let body: serde_json::Value = serde_json::from_str(&created.body).expect("json");
    assert_eq!(body["tag_name"], "v0.4.1", "{log}");
    assert!(
        body["body"]
            .as_str()
            .unwrap_or_default()
            .contains("links expire"),
        "{body}"
    );
    assert!(
        !calls
            .iter()
            .any(|c| c.contains("/pulls") || c.contains("/blobs")),
        "no second bump: {calls:?}"
    );
}

#[test]
fn release_pr_help_explains_the_flow_and_the_token_permissions() {
    let t = slipway().args(["release", "pr", "--help"]).run();
    t.code(0);
    for needle in [
        "Open or update the release pull request",
        "slipway release pr --dry-run",
        "Needs GITHUB_TOKEN with `contents: write` (the branch and its commit) and `pull-requests: write`",
        "is left as it is (merging it releases nothing)",
        "--base <BRANCH>",
        "--json",
    ] {
        assert!(t.stdout.contains(needle), "{needle}:\n{t}");
    }
    let t = slipway().args(["release", "--help"]).run();
    assert!(t.stdout.contains("  pr "), "{t}");
}

#[test]
fn release_pr_refuses_a_second_pull_request_for_a_merged_release_that_was_not_published() {
    let repo = Repo::released();
    repo.commit("feat: search");
    repo.merge_release("1.3.0", "chore(release): v1.3.0 (#7)");
    // The publish job never ran, and a fix landed on top.
    repo.commit("fix: rounding");
    let mock = MockGitHub::start();
    let t = repo.pr(&mock, &[]);
    t.code(2);
    assert!(
        t.stderr.contains(
            "error: `CHANGELOG.md` has a section for `v1.3.0` already, but there is no tag `v1.3.0`"
        ),
        "{t}"
    );
    assert!(
        t.stderr
            .contains("hint: a merged release pull request was not published"),
        "{t}"
    );
    assert!(mock.requests().is_empty());
}

#[test]
fn release_pr_on_a_forged_release_commit_proposes_what_the_commits_call_for() {
    let repo = Repo::released();
    repo.commit("feat: search");
    repo.commit("chore(release): v9.9.9");
    let mock = MockGitHub::start();
    let t = repo.pr(&mock, &["--dry-run", "--json"]);
    t.code(0);
    let out: serde_json::Value = serde_json::from_str(t.stdout.trim()).expect("json");
    assert_eq!(out["units"][0]["tag"], "v1.3.0", "{t}");
    assert!(out["merged"].is_null(), "{t}");
    assert!(mock.requests().is_empty());
}

#[test]
fn the_generated_per_unit_release_workflow_publishes_every_unit_of_the_merged_commit() {
    // An npm workspace: `core` 1.0.0 and `cli` 0.3.0 (linked, both tagged), `web` 2.0.0.
    let repo = Repo::empty();
    repo.write(
        "package.json",
        r#"{ "name": "mono", "private": true, "workspaces": ["packages/*"] }"#,
    );
    let manifest = |name: &str, version: &str| {
        format!("{{\n  \"name\": \"{name}\",\n  \"version\": \"{version}\"\n}}\n")
    };
    for (name, version) in [("core", "1.0.0"), ("cli", "0.3.0"), ("web", "2.0.0")] {
        std::fs::create_dir_all(repo.path().join("packages").join(name)).expect("mkdir");
        repo.write(
            &format!("packages/{name}/package.json"),
            &manifest(name, version),
        );
        repo.write(&format!("packages/{name}/index.js"), "// 0\n");
    }
    repo.write(
        "slipway.yml",
        "version: 1\nrelease:\n  units: per-unit\n  trigger: pr\n  linked: [[core, cli]]\n",
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "chore: init"]);
    repo.git(&["tag", "core-v1.0.0"]);
    repo.git(&["tag", "cli-v0.3.0"]);
    slipway()
        .args(["gen-workflows", "--only", "release"])
        .arg_path(repo.path())
        .run()
        .code(0);
    repo.write("packages/core/index.js", "// search\n");
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "feat(core): search"]);
    repo.write("packages/web/index.js", "// align\n");
    repo.git(&["commit", "-qam", "fix(web): align the button"]);
    // The merge (squash) of the release pull request `release pr` makes for these commits.
    repo.write("packages/core/package.json", &manifest("core", "1.1.0"));
    repo.write("packages/cli/package.json", &manifest("cli", "0.3.1"));
    for (name, section) in [
        (
            "core",
            "## 1.1.0 (2025-01-02)\n\n### Features\n\n- search\n",
        ),
        ("cli", "## 0.3.1 (2025-01-02)\n\nReleased with `core`.\n"),
        (
            "web",
            "## 2.0.0 (2025-01-02)\n\n### Bug Fixes\n\n- align the button\n",
        ),
    ] {
        repo.write(
            &format!("packages/{name}/CHANGELOG.md"),
            &format!("# Changelog\n\n{section}"),
        );
    }
    repo.git(&["add", "-A"]);
    repo.git(&[
        "commit",
        "-qm",
        "chore(release): cli-v0.3.1, core-v1.1.0, web-v2.0.0 (#7)",
    ]);
    let slug = "nektos/act";
    let api = format!("/repos/{slug}");
    let mock = MockGitHub::start();
    for tag in ["cli-v0.3.1", "core-v1.1.0", "web-v2.0.0"] {
        mock.on("GET", &format!("{api}/git/ref/tags/{tag}"))
            .then(Reply::error(404, "Not Found"));
    }
    mock.handle("POST", &format!("{api}/git/tags"), |req| {
        let asked: serde_json::Value = serde_json::from_str(&req.body).expect("json");
        Reply::json(
            201,
            serde_json::json!({ "sha": "7a90b1", "tag": asked["tag"], "object": { "type": "commit", "sha": asked["object"] } })
                .to_string(),
        )
    });
    mock.handle("POST", &format!("{api}/git/refs"), |req| {
        let asked: serde_json::Value = serde_json::from_str(&req.body).expect("json");
        Reply::json(
            201,
            serde_json::json!({ "ref": asked["ref"], "object": { "type": "tag", "sha": "7a90b1" } })
                .to_string(),
        )
    });
    mock.on("GET", &format!("{api}/releases"))
        .then(Reply::json(200, "[]"));
    let created = std::sync::Arc::new(std::sync::Mutex::new(Vec::<serde_json::Value>::new()));
    let list = created.clone();
    let slug_owned = slug.to_owned();
    mock.handle("POST", &format!("{api}/releases"), move |req| {
        let asked: serde_json::Value = serde_json::from_str(&req.body).expect("json");
        let mut release: serde_json::Value =
            serde_json::from_str(&common::github_mock::fixture("release-draft.json"))
                .expect("json");
        let mut all = list.lock().expect("lock");
        let id = all.len() as u64 + 1;
        release["id"] = id.into();
        release["tag_name"] = asked["tag_name"].clone();
        release["name"] = asked["name"].clone();
        release["body"] = asked["body"].clone();
        release["assets"] = serde_json::json!([]);
        release["upload_url"] =
            format!("{{base}}/repos/{slug_owned}/releases/{id}/assets{{?name,label}}").into();
        all.push(release.clone());
        Reply::json(201, release.to_string())
    });
    for id in 1..=3u64 {
        mock.on("GET", &format!("{api}/releases/{id}/assets"))
            .then(Reply::json(200, "[]"));
        let list = created.clone();
        mock.handle("PATCH", &format!("{api}/releases/{id}"), move |_| {
            let mut all = list.lock().expect("lock");
            all[id as usize - 1]["draft"] = false.into();
            Reply::json(200, all[id as usize - 1].to_string())
        });
    }
    let Some((report, log)) = try_release(repo.path(), "publish", &mock) else {
        return;
    };
    assert_eq!(job_result(&report, "plan"), "green", "{log}");
    assert_eq!(job_result(&report, "publish"), "green", "{log}");
    assert!(!log.contains(TOKEN), "the token leaked");
    let all = created.lock().expect("lock").clone();
    let got: Vec<(String, bool, bool)> = all
        .iter()
        .map(|r| {
            let tag = r["tag_name"].as_str().unwrap_or_default().to_owned();
            let body = r["body"].as_str().unwrap_or_default();
            let own = match tag.as_str() {
                "core-v1.1.0" => body.contains("- search"),
                "cli-v0.3.1" => body.contains("Released with `core`"),
                _ => body.contains("- align the button"),
            };
            (tag, own, r["draft"] == false)
        })
        .collect();
    assert_eq!(
        got,
        [
            ("cli-v0.3.1".to_owned(), true, true),
            ("core-v1.1.0".to_owned(), true, true),
            ("web-v2.0.0".to_owned(), true, true),
        ],
        "{log}"
    );
    let calls: Vec<String> = mock
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        !calls
            .iter()
            .any(|c| c.contains("/pulls") || c.contains("/blobs")),
        "no second bump: {calls:?}"
    );
}
