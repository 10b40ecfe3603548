//! `slipway release` on real git repositories built with the git CLI, and the GitHub release
//! publisher against the local mock of the REST API.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use common::github_mock::{MockGitHub, Reply, fixture};
use common::slipway;
use slipway::error::Hint;
use slipway::github::client::{FakeClock, Repo as GhRepo, RetryPolicy, Settings};
use slipway::github::mask::Secret;
use slipway::release::publish::{self, Asset, Publisher, Request};

const DATE: &str = "2025-01-02T10:00:00Z";

/// A git repository in a temp dir with fixed identities and dates (stable SHAs).
struct Repo {
    dir: tempfile::TempDir,
}

fn git_in(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "Ada")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", DATE)
        .env("GIT_COMMITTER_DATE", DATE)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

impl Repo {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = Self { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Ada"]);
        repo.git(&["config", "user.email", "ada@example.com"]);
        repo.git(&["config", "tag.gpgSign", "false"]);
        repo.git(&["config", "commit.gpgSign", "false"]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }

    /// An empty commit with `message` (subject, blank line, body); returns its SHA.
    fn commit(&self, message: &str) -> String {
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    fn tag(&self, name: &str) {
        self.git(&["tag", name]);
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).expect("write file");
    }

    /// `slipway release ARGS DIR`, outside CI.
    fn release(&self, args: &[&str]) -> common::Transcript {
        slipway()
            .args(["release"])
            .args(args)
            .arg_path(self.path())
            .filter_temp(self.path())
            .run()
    }

    fn json(&self, args: &[&str]) -> String {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        let t = self.release(&all);
        t.code(0);
        t.stdout.trim().to_owned()
    }
}

fn tagged(version: &str) -> Repo {
    let repo = Repo::new();
    repo.commit("chore: init");
    repo.tag(version);
    repo
}

#[test]
fn a_fix_is_a_patch_a_feature_minor_and_a_breaking_change_major() {
    let repo = tagged("v1.2.3");
    repo.commit("fix: handle tabs");
    assert_eq!(
        repo.json(&[]),
        r#"{"previous": "1.2.3", "next": "1.2.4", "bump": "patch", "commits": 1, "skipped": 0}"#
    );
    repo.commit("feat(api): search");
    repo.commit("docs: readme");
    assert_eq!(
        repo.json(&[]),
        r#"{"previous": "1.2.3", "next": "1.3.0", "bump": "minor", "commits": 3, "skipped": 1}"#
    );
    repo.commit("refactor: config\n\nBREAKING-CHANGE: `config.toml` moved");
    assert_eq!(
        repo.json(&[]),
        r#"{"previous": "1.2.3", "next": "2.0.0", "bump": "major", "commits": 4, "skipped": 1}"#
    );
}

#[test]
fn below_1_0_a_breaking_change_is_minor_and_a_feature_patch_by_default() {
    let repo = tagged("v0.3.1");
    repo.commit("feat: x");
    assert!(repo.json(&[]).contains(r#""next": "0.3.2""#));
    repo.commit("feat!: y");
    assert!(
        repo.json(&[])
            .contains(r#""next": "0.4.0", "bump": "minor""#)
    );
}

#[test]
fn the_major_policy_from_slipway_yml_lets_a_breaking_change_release_1_0_0() {
    let repo = tagged("v0.3.1");
    repo.write("slipway.yml", "version: 1\nrelease:\n  pre-1-0: major\n");
    repo.git(&["add", "slipway.yml"]);
    repo.commit("feat!: stable api");
    assert!(
        repo.json(&[])
            .contains(r#""next": "1.0.0", "bump": "major""#)
    );
}

#[test]
fn pre_releases_count_up_per_channel_and_then_promote_to_stable() {
    let repo = tagged("v1.2.3");
    repo.commit("feat: search");
    assert!(
        repo.json(&["--pre", "rc"])
            .contains(r#""next": "1.3.0-rc.1""#)
    );
    repo.tag("v1.3.0-rc.1");
    let t = repo.release(&["--pre", "rc"]);
    t.code(0);
    assert!(
        t.stdout
            .contains("no release: no commits since `v1.3.0-rc.1`"),
        "{t}"
    );
    repo.commit("fix: typo");
    assert_eq!(
        repo.json(&["--pre", "rc"]),
        r#"{"previous": "1.3.0-rc.1", "next": "1.3.0-rc.2", "bump": "minor", "commits": 2, "skipped": 0}"#
    );
    repo.tag("v1.3.0-rc.2");
    assert!(
        repo.json(&[])
            .contains(r#""next": "1.3.0", "bump": "minor""#)
    );
}

#[test]
fn a_breaking_change_inside_a_squash_merge_body_is_not_lost() {
    let repo = tagged("v1.2.3");
    repo.commit(
        "feat: new search (#42)\n\n* feat: new search\n\n* refactor!: remove the old endpoint\n\n* fix: typo",
    );
    let t = repo.release(&[]);
    t.code(0);
    insta::assert_snapshot!(t.stdout);
}

#[test]
fn a_revert_cancels_the_feature_it_reverts_and_nothing_is_released() {
    let repo = tagged("v1.2.3");
    let sha = repo.commit("feat: risky");
    repo.commit(&format!(
        "Revert \"feat: risky\"\n\nThis reverts commit {sha}."
    ));
    let t = repo.release(&["--json"]);
    t.code(0);
    assert_eq!(
        t.stdout.trim(),
        r#"{"previous": "1.2.3", "next": null, "bump": "none", "commits": 2, "skipped": 2}"#
    );
    let t = repo.release(&[]);
    t.code(0);
    insta::assert_snapshot!(t.stdout);
}

#[test]
fn a_tag_prefix_selects_the_tags_of_one_tool() {
    let repo = tagged("mytool-v2.0.0");
    repo.tag("v9.0.0");
    repo.tag("other-v5.0.0");
    repo.commit("fix: x");
    assert_eq!(
        repo.json(&["--tag-prefix", "mytool-v"]),
        r#"{"previous": "2.0.0", "next": "2.0.1", "bump": "patch", "commits": 1, "skipped": 0}"#
    );
    let t = slipway()
        .args(["release"])
        .arg_path(repo.path())
        .env("SLIPWAY_TAG_PREFIX", "mytool-v")
        .run();
    assert!(t.stdout.contains("next:     mytool-v2.0.1 (patch)"), "{t}");
}

#[test]
fn commits_from_a_merged_long_lived_branch_are_read_and_the_merge_is_not() {
    let repo = tagged("v1.0.0");
    repo.git(&["checkout", "-q", "-b", "develop"]);
    repo.commit("feat: from develop");
    repo.commit("fix: also from develop");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit("fix: on main");
    repo.git(&[
        "merge",
        "-q",
        "--no-ff",
        "develop",
        "-m",
        "Merge branch 'develop'",
    ]);
    assert_eq!(
        repo.json(&[]),
        r#"{"previous": "1.0.0", "next": "1.1.0", "bump": "minor", "commits": 3, "skipped": 0}"#
    );
}

#[test]
fn a_repository_without_tags_gets_a_first_release() {
    let repo = Repo::new();
    repo.commit("feat: first");
    repo.commit("initial import");
    // The transcript filters the crate's own version, which may be `0.1.0` too.
    let expected =
        r#"{"previous": null, "next": "0.1.0", "bump": "minor", "commits": 2, "skipped": 1}"#
            .replace(env!("CARGO_PKG_VERSION"), "[VERSION]");
    assert_eq!(repo.json(&[]), expected);
}

#[test]
fn a_forced_version_wins_over_the_commits() {
    let repo = tagged("v1.2.3");
    repo.commit("fix: x");
    assert!(
        repo.json(&["--version", "2.0.0"])
            .contains(r#""next": "2.0.0", "bump": "major""#)
    );
    let t = repo.release(&["--version", "1.0.0"]);
    t.code(2);
    assert!(
        t.stderr
            .contains("is not above the previous version `1.2.3`"),
        "{t}"
    );
}

#[test]
fn a_tag_that_is_not_semver_is_ignored_with_a_note() {
    let repo = tagged("v1.2.3");
    repo.commit("fix: x");
    repo.tag("v1.3");
    let t = repo.release(&["--json"]);
    t.code(0);
    assert!(t.stdout.contains(r#""next": "1.2.4""#), "{t}");
    assert!(
        t.stderr
            .contains("note: ignoring the tag `v1.3`: not a semantic version"),
        "{t}"
    );
}

#[test]
fn a_shallow_clone_is_detected_and_explained() {
    let repo = tagged("v1.2.3");
    repo.commit("fix: x");
    let clone = tempfile::tempdir().expect("temp dir");
    let url = format!("file://{}", repo.path().display());
    git_in(
        clone.path(),
        &["clone", "-q", "--depth", "1", &url, "shallow"],
    );
    let t = slipway()
        .args(["release"])
        .arg_path(clone.path().join("shallow"))
        .filter_temp(clone.path())
        .run();
    t.code(2);
    insta::assert_snapshot!(t.stderr);
}

#[test]
fn a_dirty_work_tree_refuses_to_tag() {
    let repo = tagged("v1.2.3");
    repo.write("app.txt", "one");
    repo.git(&["add", "app.txt"]);
    repo.commit("feat: app");
    repo.write("app.txt", "two");
    let t = repo.release(&["--no-dry-run"]);
    t.code(2);
    assert!(t.stderr.contains("uncommitted changes: app.txt"), "{t}");
    assert!(t.stderr.contains("hint: commit or stash"), "{t}");
    assert!(!repo.git(&["tag"]).contains("v1.3.0"));
}

#[test]
fn in_ci_a_release_without_a_token_names_the_variable_and_changes_nothing() {
    let repo = tagged("v1.2.3");
    repo.commit("feat: app");
    let t = slipway()
        .args(["release"])
        .arg_path(repo.path())
        .env("CI", "true")
        .run();
    t.code(2);
    assert!(t.stderr.contains("`GITHUB_TOKEN`"), "{t}");
    assert_eq!(repo.git(&["tag"]), "v1.2.3");
    assert!(!repo.path().join("CHANGELOG.md").exists());
}

#[test]
fn the_human_output_shows_the_decision_and_the_changelog_with_github_links() {
    let repo = tagged("v1.2.3");
    repo.git(&[
        "remote",
        "add",
        "origin",
        "https://github.com/octo/shop.git",
    ]);
    repo.commit("feat(api): search (#12)");
    repo.commit("fix: handle tabs");
    repo.commit("perf: cache the index");
    repo.commit("chore: bump deps");
    let t = repo.release(&[]);
    t.code(0);
    insta::assert_snapshot!(t.to_string());
}

#[test]
fn outside_a_git_repository_the_error_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let t = slipway()
        .args(["release"])
        .arg_path(dir.path())
        .filter_temp(dir.path())
        .run();
    t.code(2);
    assert!(t.stderr.contains("is not a git repository"), "{t}");
}

// ----- a full release against the mock API -----

#[test]
fn a_real_run_writes_the_changelog_tags_pushes_and_publishes_in_order() {
    let remote = tempfile::tempdir().expect("temp dir");
    git_in(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    let repo = tagged("v1.2.3");
    repo.write(
        "slipway.yml",
        "version: 1\nrelease:\n  floating-major-tag: true\n",
    );
    repo.write("CHANGELOG.md", "# Changelog\n\n## 1.2.3\n\n- old\n");
    repo.git(&["add", "."]);
    repo.commit("feat: search");
    repo.git(&[
        "remote",
        "add",
        "origin",
        &remote.path().display().to_string(),
    ]);
    repo.git(&["push", "-q", "origin", "main", "v1.2.3"]);
    repo.write("app.tar.gz", "binary");
    repo.git(&["add", "app.tar.gz"]);
    repo.commit("chore: build output");

    let mock = MockGitHub::start();
    let releases = "/repos/octo-org/octo-repo/releases";
    mock.on("GET", releases).then(Reply::json(200, "[]"));
    mock.on("POST", releases)
        .then(Reply::json(201, fixture("release-draft.json")));
    mock.on("GET", "/repos/octo-org/octo-repo/releases/1/assets")
        .then(Reply::json(200, "[]"));
    mock.on("POST", "/repos/octo-org/octo-repo/releases/1/assets")
        .then(Reply::json(201, fixture("release-asset.json")));
    mock.on("PATCH", "/repos/octo-org/octo-repo/releases/1")
        .then(Reply::json(200, fixture("release-published.json")));

    let t = slipway()
        .args(["release", "--asset"])
        .arg_path(repo.path().join("app.tar.gz"))
        .arg_path(repo.path())
        .env("CI", "true")
        .env("GITHUB_TOKEN", "ghs_mockToken0123456789")
        .env("GITHUB_API_URL", mock.url())
        .env("GITHUB_REPOSITORY", "octo-org/octo-repo")
        .run();
    t.code(0);
    assert!(!t.to_string().contains("ghs_mockToken"), "{t}");
    assert!(t.stdout.contains("released: v1.3.0 (minor)"), "{t}");
    let changelog = std::fs::read_to_string(repo.path().join("CHANGELOG.md")).unwrap();
    assert!(
        changelog.starts_with("# Changelog\n\n## 1.3.0 (2025-01-02)\n\n### Features\n\n- search"),
        "{changelog}"
    );
    assert!(changelog.ends_with("## 1.2.3\n\n- old\n"), "{changelog}");
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]),
        "chore(release): v1.3.0"
    );
    let remote_tags = git_in(remote.path(), &["tag"]);
    assert_eq!(remote_tags, "v1\nv1.2.3\nv1.3.0");
    assert_eq!(
        git_in(remote.path(), &["rev-parse", "v1^{commit}"]),
        git_in(remote.path(), &["rev-parse", "v1.3.0^{commit}"])
    );
    let calls: Vec<String> = mock
        .requests()
        .iter()
        .map(|r| format!("{} {}?{}", r.method, r.path, r.query))
        .collect();
    assert_eq!(
        calls,
        [
            "GET /repos/octo-org/octo-repo/releases?per_page=100",
            "POST /repos/octo-org/octo-repo/releases?",
            "GET /repos/octo-org/octo-repo/releases/1/assets?per_page=100",
            "POST /repos/octo-org/octo-repo/releases/1/assets?name=app.tar.gz",
            "POST /repos/octo-org/octo-repo/releases/1/assets?name=SHA256SUMS",
            "PATCH /repos/octo-org/octo-repo/releases/1?",
        ]
    );
    let create: serde_json::Value = serde_json::from_str(&mock.requests()[1].body).unwrap();
    assert_eq!(create["draft"], true);
    assert!(create["body"].as_str().unwrap().starts_with("## 1.3.0"));
    let sums = &mock.requests()[4].body;
    assert!(sums.ends_with("  app.tar.gz\n"), "{sums}");
    let publish: serde_json::Value = serde_json::from_str(&mock.requests()[5].body).unwrap();
    assert_eq!(publish["draft"], false);
    assert_eq!(publish["make_latest"], "true");
}

// ----- the publisher on its own -----

const RELEASES: &str = "/repos/octo-org/octo-repo/releases";
const ASSETS: &str = "/repos/octo-org/octo-repo/releases/1/assets";
const RELEASE: &str = "/repos/octo-org/octo-repo/releases/1";

fn publisher(mock: &MockGitHub) -> (Publisher, Arc<FakeClock>) {
    let clock = Arc::new(FakeClock::at(1_700_000_000));
    let settings = Settings {
        api_url: mock.url().to_owned(),
        token: Secret::new("ghs_mockToken0123456789"),
        repository: Some(GhRepo::parse("octo-org/octo-repo").unwrap()),
        retry: RetryPolicy::default(),
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(5),
    };
    (Publisher::new(settings, clock.clone()).unwrap(), clock)
}

fn request(prerelease: bool) -> Request {
    Request {
        tag: "v1.3.0".into(),
        name: "v1.3.0".into(),
        body: "## 1.3.0\n".into(),
        prerelease,
        assets: vec![Asset {
            name: "app.tar.gz".into(),
            bytes: b"binary".to_vec(),
        }],
    }
}

fn calls(mock: &MockGitHub) -> Vec<String> {
    mock.requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// An uploaded asset as the list endpoint shows it, with the sha256 of `bytes`.
fn remote_asset(id: u64, name: &str, bytes: &[u8]) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(&fixture("release-asset.json")).unwrap();
    v["id"] = id.into();
    v["name"] = name.into();
    v["digest"] = format!("sha256:{}", slipway::generate::files::sha256_hex(bytes)).into();
    v
}

#[tokio::test]
async fn a_server_error_while_listing_is_retried_and_the_release_is_published() {
    let mock = MockGitHub::start();
    mock.on("GET", RELEASES)
        .then(Reply::error(502, "Server Error"))
        .then(Reply::json(200, "[]"));
    mock.on("POST", RELEASES)
        .then(Reply::json(201, fixture("release-draft.json")));
    mock.on("GET", ASSETS).then(Reply::json(200, "[]"));
    mock.on("POST", ASSETS)
        .then(Reply::error(502, "Server Error"))
        .then(Reply::json(201, fixture("release-asset.json")));
    mock.on("PATCH", RELEASE)
        .then(Reply::json(200, fixture("release-published.json")));
    let (p, clock) = publisher(&mock);
    let out = p.publish(&request(false)).await.unwrap();
    assert!(!out.resumed);
    assert_eq!(out.uploaded, ["app.tar.gz", "SHA256SUMS"]);
    assert_eq!(
        clock.waits(),
        [Duration::from_secs(1), Duration::from_secs(1)]
    );
    assert_eq!(
        calls(&mock),
        [
            "GET /repos/octo-org/octo-repo/releases",
            "GET /repos/octo-org/octo-repo/releases",
            "POST /repos/octo-org/octo-repo/releases",
            "GET /repos/octo-org/octo-repo/releases/1/assets",
            "POST /repos/octo-org/octo-repo/releases/1/assets",
            "POST /repos/octo-org/octo-repo/releases/1/assets",
            "POST /repos/octo-org/octo-repo/releases/1/assets",
            "PATCH /repos/octo-org/octo-repo/releases/1",
        ]
    );
}

#[tokio::test]
async fn a_422_already_exists_on_create_reuses_the_draft_another_run_made() {
    let mock = MockGitHub::start();
    let draft = format!("[{}]", fixture("release-draft.json"));
    mock.on("GET", RELEASES)
        .then(Reply::json(200, "[]"))
        .then(Reply::json(200, draft));
    mock.on("POST", RELEASES).then(Reply::json(
        422,
        r#"{"message":"Validation Failed","errors":[{"resource":"Release","code":"already_exists","field":"tag_name"}],"documentation_url":"https://docs.github.com/rest/releases/releases#create-a-release","status":"422"}"#,
    ));
    mock.on("GET", ASSETS).then(Reply::json(200, "[]"));
    mock.on("POST", ASSETS)
        .then(Reply::json(201, fixture("release-asset.json")));
    mock.on("PATCH", RELEASE)
        .then(Reply::json(200, fixture("release-published.json")));
    let (p, _) = publisher(&mock);
    let out = p.publish(&request(false)).await.unwrap();
    assert!(out.resumed);
    assert_eq!(
        calls(&mock)
            .iter()
            .filter(|c| *c == "POST /repos/octo-org/octo-repo/releases")
            .count(),
        1
    );
}

#[tokio::test]
async fn a_failure_between_upload_and_publish_resumes_without_duplicates() {
    // First run: draft created, assets uploaded, publishing fails.
    let mock = MockGitHub::start();
    mock.on("GET", RELEASES).then(Reply::json(200, "[]"));
    mock.on("POST", RELEASES)
        .then(Reply::json(201, fixture("release-draft.json")));
    mock.on("GET", ASSETS).then(Reply::json(200, "[]"));
    mock.on("POST", ASSETS)
        .then(Reply::json(201, fixture("release-asset.json")));
    mock.on("PATCH", RELEASE)
        .then(Reply::error(500, "Server Error"));
    let (p, _) = publisher(&mock);
    let err = p.publish(&request(false)).await.unwrap_err();
    assert!(err.to_string().contains("500"), "{err}");

    // Second run: the draft and both assets are found; only the publish is sent.
    let mock = MockGitHub::start();
    let req = request(false);
    let sums = publish::checksums(&req.assets);
    mock.on("GET", RELEASES).then(Reply::json(
        200,
        format!("[{}]", fixture("release-draft.json")),
    ));
    let listed = serde_json::json!([
        remote_asset(1, "app.tar.gz", b"binary"),
        remote_asset(2, "SHA256SUMS", sums.as_bytes()),
    ]);
    mock.on("GET", ASSETS)
        .then(Reply::json(200, listed.to_string()));
    mock.on("PATCH", RELEASE)
        .then(Reply::json(200, fixture("release-published.json")));
    let (p, _) = publisher(&mock);
    let out = p.publish(&req).await.unwrap();
    assert!(out.resumed);
    assert!(out.uploaded.is_empty());
    assert_eq!(out.kept, ["app.tar.gz", "SHA256SUMS"]);
    assert_eq!(
        calls(&mock),
        [
            "GET /repos/octo-org/octo-repo/releases",
            "GET /repos/octo-org/octo-repo/releases/1/assets",
            "PATCH /repos/octo-org/octo-repo/releases/1",
        ]
    );
}

#[tokio::test]
async fn an_asset_with_another_checksum_is_replaced() {
    let mock = MockGitHub::start();
    mock.on("GET", RELEASES).then(Reply::json(
        200,
        format!("[{}]", fixture("release-draft.json")),
    ));
    let listed = serde_json::json!([remote_asset(7, "app.tar.gz", b"old build")]);
    mock.on("GET", ASSETS)
        .then(Reply::json(200, listed.to_string()));
    mock.on("DELETE", "/repos/octo-org/octo-repo/releases/assets/7")
        .then(Reply::status(204));
    mock.on("POST", ASSETS)
        .then(Reply::json(201, fixture("release-asset.json")));
    mock.on("PATCH", RELEASE)
        .then(Reply::json(200, fixture("release-published.json")));
    let (p, _) = publisher(&mock);
    let out = p.publish(&request(false)).await.unwrap();
    assert_eq!(out.uploaded, ["app.tar.gz", "SHA256SUMS"]);
    assert!(
        calls(&mock).contains(&"DELETE /repos/octo-org/octo-repo/releases/assets/7".to_owned())
    );
}

#[tokio::test]
async fn a_published_release_is_left_alone() {
    let mock = MockGitHub::start();
    mock.on("GET", RELEASES).then(Reply::json(
        200,
        format!("[{}]", fixture("release-published.json")),
    ));
    let (p, _) = publisher(&mock);
    let out = p.publish(&request(false)).await.unwrap();
    assert!(out.resumed);
    assert_eq!(calls(&mock), ["GET /repos/octo-org/octo-repo/releases"]);
}

#[tokio::test]
async fn a_pre_release_is_marked_and_never_latest() {
    let mock = MockGitHub::start();
    mock.on("GET", RELEASES).then(Reply::json(200, "[]"));
    mock.on("POST", RELEASES)
        .then(Reply::json(201, fixture("release-draft.json")));
    mock.on("PATCH", RELEASE)
        .then(Reply::json(200, fixture("release-published.json")));
    let (p, _) = publisher(&mock);
    let mut req = request(true);
    req.assets.clear();
    p.publish(&req).await.unwrap();
    let reqs = mock.requests();
    let create: serde_json::Value = serde_json::from_str(&reqs[1].body).unwrap();
    assert_eq!(
        (create["draft"].clone(), create["prerelease"].clone()),
        (true.into(), true.into())
    );
    let patch: serde_json::Value = serde_json::from_str(&reqs[2].body).unwrap();
    assert_eq!(patch["make_latest"], "false");
    assert_eq!(patch["prerelease"], true);
}

#[tokio::test]
async fn a_403_names_the_missing_contents_write_permission() {
    let mock = MockGitHub::start();
    mock.on("GET", RELEASES).then(Reply::json(200, "[]"));
    mock.on("POST", RELEASES).then(
        Reply::error(403, "Resource not accessible by integration")
            .header("x-accepted-github-permissions", "contents=write"),
    );
    let (p, _) = publisher(&mock);
    let err = p.publish(&request(false)).await.unwrap_err();
    assert!(err.to_string().contains("403"), "{err}");
    assert!(err.hint().unwrap().contains("`contents: write`"));
}

#[test]
fn help_lists_every_flag_with_its_variable_and_an_example() {
    let t = slipway().args(["release", "--help"]).run();
    t.code(0);
    insta::assert_snapshot!(t.stdout);
}
