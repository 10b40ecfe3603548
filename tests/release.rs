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
    common::git_dated(dir, args, DATE)
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
fn a_breaking_change_inside_a_squash_merge_body_counts_with_squash_bodies() {
    let repo = tagged("v1.2.3");
    repo.write(
        "slipway.yml",
        "version: 1\nrelease:\n  squash-bodies: true\n",
    );
    repo.git(&["add", "slipway.yml"]);
    repo.commit("chore: config");
    repo.commit(
        "feat: new search (#42)\n\n* feat: new search\n\n* refactor!: remove the old endpoint\n\n* fix: typo",
    );
    let t = repo.release(&[]);
    t.code(0);
    insta::assert_snapshot!(t.stdout);
    // Without it, the header decides: a feature.
    repo.write("slipway.yml", "version: 1\n");
    repo.git(&["commit", "-qam", "chore: config"]);
    assert!(repo.json(&[]).contains("\"bump\": \"minor\""));
}

#[test]
fn dependency_updates_release_as_patch_types_say() {
    let repo = tagged("v1.2.3");
    repo.commit("chore(deps): update dependency x to v2 (#5)");
    repo.commit("build(deps): bump y from 1.0 to 2.0 (#6)");
    assert!(repo.json(&[]).contains("\"next\": null"));
    repo.write(
        "slipway.yml",
        "version: 1\nrelease:\n  patch-types: [fix, perf, revert, chore(deps)]\n",
    );
    repo.git(&["add", "slipway.yml"]);
    repo.commit("ci: config");
    assert!(repo.json(&[]).contains("\"next\": \"1.2.4\""));
    let t = repo.release(&[]);
    assert!(t.stdout.contains("### Maintenance"), "{t}");
    repo.write(
        "slipway.yml",
        "version: 1\nrelease:\n  patch-types: [Fix]\n",
    );
    let t = repo.release(&[]);
    t.code(2);
    assert!(t.stderr.contains("`release.patch-types` has `Fix`"), "{t}");
    assert!(t.stderr.contains("slipway.yml:3"), "{t}");
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
fn commits_merged_by_a_pull_request_merge_commit_link_that_pull_request() {
    let repo = tagged("v1.0.0");
    repo.git(&[
        "remote",
        "add",
        "origin",
        "https://github.com/octo/shop.git",
    ]);
    repo.git(&["checkout", "-q", "-b", "search"]);
    repo.commit("feat: search by title");
    repo.git(&["checkout", "-q", "main"]);
    repo.commit("fix: on main directly");
    repo.git(&[
        "merge",
        "-q",
        "--no-ff",
        "search",
        "-m",
        "Merge pull request #31 from octo/search",
    ]);
    let t = repo.release(&[]);
    t.code(0);
    assert!(
        t.stdout.contains("search by title")
            && t.stdout.contains("https://github.com/octo/shop/pull/31"),
        "{t}"
    );
    let main_line = t
        .stdout
        .lines()
        .find(|l| l.contains("on main directly"))
        .expect("the fix is listed");
    assert!(
        !main_line.contains("/pull/31"),
        "only the merged branch's commits link the PR: {main_line}"
    );
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
        target: None,
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

// ----- the split release: `release plan` in a read-only job, `release publish` by API -----

#[test]
fn plan_writes_the_notes_and_the_outputs_for_the_publish_job() {
    let repo = tagged("v1.2.3");
    repo.commit("feat(api): search");
    repo.commit("fix: handle tabs");
    let out = tempfile::tempdir().expect("temp dir");
    let notes = out.path().join("_slipway/release/notes.md");
    let t = slipway()
        .args(["release", "plan", "--tag-prefix", "v", "--notes"])
        .arg_path(&notes)
        .arg_path(repo.path())
        .in_actions()
        .filter_temp(out.path())
        .run();
    t.code(0);
    assert!(t.stdout.contains("next:     v1.3.0 (minor)"), "{t}");
    assert_eq!(
        t.outputs, "release=true\nversion=1.3.0\ntag=v1.3.0\n",
        "{t}"
    );
    let text = std::fs::read_to_string(&notes).expect("notes written");
    assert!(
        text.starts_with("## 1.3.0 (2025-01-02)\n\n### Features\n\n- **api:** search"),
        "{text}"
    );
    assert!(text.contains("handle tabs"), "{text}");
    // The plan changes nothing in the repository.
    assert_eq!(repo.git(&["tag"]), "v1.2.3");
    assert_eq!(repo.git(&["status", "--porcelain"]), "");

    let t = slipway()
        .args(["release", "plan", "--json"])
        .arg_path(repo.path())
        .run();
    t.code(0);
    assert_eq!(
        t.stdout.trim(),
        r#"{"previous": "1.2.3", "next": "1.3.0", "bump": "minor", "commits": 2, "skipped": 0}"#
    );
}

#[test]
fn plan_with_nothing_to_release_sets_release_false_says_why_and_exits_0() {
    let repo = tagged("v1.2.3");
    repo.commit("docs: readme");
    let out = tempfile::tempdir().expect("temp dir");
    let notes = out.path().join("notes.md");
    let t = slipway()
        .args(["release", "plan", "--notes"])
        .arg_path(&notes)
        .arg_path(repo.path())
        .in_actions()
        .run();
    t.code(0);
    assert_eq!(t.outputs, "release=false\n", "{t}");
    assert!(
        t.stderr.contains(
            "nothing to release: none of the 1 commits since `v1.2.3` is a feature, a fix or a breaking change"
        ),
        "{t}"
    );
    assert!(!notes.exists());
}

const TARGET: &str = "c3d0be41ecbe669545ee3e94d31ed9a4bc91ee3c";
const OTHER: &str = "aa218f56b14c9653891f9e74264a383fa43fefbd";
const TAG_OBJECT: &str = "940bd336248efae0f9ee5bc7b2d5c985887b16ac";
const REPO_API: &str = "/repos/octo-org/octo-repo";
const TOKEN: &str = "ghs_mockToken0123456789";

/// A ref `refs/tags/<name>` pointing at `sha` of `kind` (`tag` or `commit`).
fn git_ref(name: &str, kind: &str, sha: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&fixture("git-ref.json")).unwrap();
    v["ref"] = format!("refs/tags/{name}").into();
    v["object"]["type"] = kind.into();
    v["object"]["sha"] = sha.into();
    v.to_string()
}

/// The annotated tag object `name` pointing at `commit`.
fn git_tag(name: &str, commit: &str) -> String {
    let mut v: serde_json::Value = serde_json::from_str(&fixture("git-tag.json")).unwrap();
    v["tag"] = name.into();
    v["object"]["sha"] = commit.into();
    v.to_string()
}

/// Scripts a fresh release of `tag`: no tag, no release, uploads and publish succeed.
fn script_fresh_release(mock: &MockGitHub, tag: &str) {
    mock.on("GET", &format!("{REPO_API}/git/ref/tags/{tag}"))
        .then(Reply::error(404, "Not Found"));
    mock.on("POST", &format!("{REPO_API}/git/tags"))
        .then(Reply::json(201, git_tag(tag, TARGET)));
    mock.on("POST", &format!("{REPO_API}/git/refs"))
        .then(Reply::json(201, git_ref(tag, "tag", TAG_OBJECT)));
    mock.on("GET", RELEASES).then(Reply::json(200, "[]"));
    mock.on("POST", RELEASES)
        .then(Reply::json(201, fixture("release-draft.json")));
    mock.on("GET", ASSETS).then(Reply::json(200, "[]"));
    mock.on("POST", ASSETS)
        .then(Reply::json(201, fixture("release-asset.json")));
    mock.on("PATCH", RELEASE)
        .then(Reply::json(200, fixture("release-published.json")));
}

/// A notes file and an assets directory as the plan and build jobs leave them.
fn publish_inputs() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("notes.md"), "## 1.3.0\n\n- search\n").unwrap();
    let assets = dir.path().join("assets");
    std::fs::create_dir(&assets).unwrap();
    std::fs::write(assets.join("app-1.3.0.tar.gz"), "binary").unwrap();
    let sums = publish::checksums(&[Asset {
        name: "app-1.3.0.tar.gz".into(),
        bytes: b"binary".to_vec(),
    }]);
    std::fs::write(assets.join("SHA256SUMS"), sums).unwrap();
    dir
}

/// `slipway release publish --tag TAG --target TARGET --notes … ARGS` against `mock`.
fn publish_run(mock: &MockGitHub, inputs: &Path, tag: &str, args: &[&str]) -> common::Transcript {
    slipway()
        .args([
            "release", "publish", "--tag", tag, "--target", TARGET, "--notes",
        ])
        .arg_path(inputs.join("notes.md"))
        .args(args)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", mock.url())
        .env("GITHUB_REPOSITORY", "octo-org/octo-repo")
        .filter_temp(inputs)
        .run()
}

fn call_lines(mock: &MockGitHub) -> Vec<String> {
    mock.requests()
        .iter()
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

fn body_of(mock: &MockGitHub, method: &str, path: &str) -> serde_json::Value {
    let req = mock
        .requests()
        .into_iter()
        .find(|r| r.method == method && r.path == path)
        .unwrap_or_else(|| panic!("no {method} {path}"));
    serde_json::from_str(&req.body).unwrap()
}

#[test]
fn publish_tags_releases_moves_the_major_tag_and_dispatches_cd_in_order() {
    let mock = MockGitHub::start();
    script_fresh_release(&mock, "v1.3.0");
    mock.on("GET", &format!("{REPO_API}/git/ref/tags/v1"))
        .then(Reply::json(200, git_ref("v1", "commit", OTHER)));
    mock.on("PATCH", &format!("{REPO_API}/git/refs/tags/v1"))
        .then(Reply::json(200, git_ref("v1", "commit", TARGET)));
    let dispatch = format!("{REPO_API}/actions/workflows/cd.yml/dispatches");
    mock.on("POST", &dispatch).then(Reply::status(204));
    let inputs = publish_inputs();
    let assets = inputs.path().join("assets");
    let t = publish_run(
        &mock,
        inputs.path(),
        "v1.3.0",
        &[
            "--assets",
            &assets.display().to_string(),
            "--floating-major-tag",
            "--dispatch-workflow",
            "cd.yml",
        ],
    );
    t.code(0);
    assert!(!t.to_string().contains("ghs_mockToken"), "{t}");
    assert!(t.stdout.contains("tag:      v1.3.0 (created)"), "{t}");
    assert!(t.stdout.contains("moved:    v1 -> v1.3.0"), "{t}");
    assert!(t.stdout.contains("started:  cd.yml at v1.3.0"), "{t}");
    assert_eq!(
        call_lines(&mock),
        [
            "GET /repos/octo-org/octo-repo/git/ref/tags/v1.3.0",
            "POST /repos/octo-org/octo-repo/git/tags",
            "POST /repos/octo-org/octo-repo/git/refs",
            "GET /repos/octo-org/octo-repo/releases",
            "POST /repos/octo-org/octo-repo/releases",
            "GET /repos/octo-org/octo-repo/releases/1/assets",
            "POST /repos/octo-org/octo-repo/releases/1/assets",
            "POST /repos/octo-org/octo-repo/releases/1/assets",
            "PATCH /repos/octo-org/octo-repo/releases/1",
            "GET /repos/octo-org/octo-repo/git/ref/tags/v1",
            "PATCH /repos/octo-org/octo-repo/git/refs/tags/v1",
            "POST /repos/octo-org/octo-repo/actions/workflows/cd.yml/dispatches",
        ]
    );
    assert_eq!(
        body_of(&mock, "POST", &format!("{REPO_API}/git/tags")),
        serde_json::json!({"tag": "v1.3.0", "message": "v1.3.0", "object": TARGET, "type": "commit"})
    );
    assert_eq!(
        body_of(&mock, "POST", &format!("{REPO_API}/git/refs")),
        serde_json::json!({"ref": "refs/tags/v1.3.0", "sha": TAG_OBJECT})
    );
    let uploads: Vec<String> = mock
        .requests()
        .iter()
        .filter(|r| r.path == ASSETS && r.method == "POST")
        .map(|r| r.query.clone())
        .collect();
    assert_eq!(uploads, ["name=app-1.3.0.tar.gz", "name=SHA256SUMS"]);
    let create = body_of(&mock, "POST", RELEASES);
    assert_eq!(create["body"], "## 1.3.0\n\n- search\n");
    assert_eq!(create["prerelease"], false);
    assert_eq!(body_of(&mock, "PATCH", RELEASE)["make_latest"], "true");
    assert_eq!(
        body_of(&mock, "PATCH", &format!("{REPO_API}/git/refs/tags/v1")),
        serde_json::json!({"sha": TARGET, "force": true})
    );
    assert_eq!(
        body_of(&mock, "POST", &dispatch),
        serde_json::json!({"ref": "v1.3.0", "inputs": {"environment": "release"}})
    );
}

#[test]
fn publish_resumes_after_a_failed_publish_without_a_second_tag_release_or_asset() {
    let mock = MockGitHub::start();
    let tag_ref = format!("{REPO_API}/git/ref/tags/v1.3.0");
    // The second run finds the tag the first one made.
    mock.on("GET", &tag_ref)
        .then(Reply::error(404, "Not Found"))
        .then(Reply::json(200, git_ref("v1.3.0", "tag", TAG_OBJECT)));
    mock.on("GET", &format!("{REPO_API}/git/tags/{TAG_OBJECT}"))
        .then(Reply::json(200, git_tag("v1.3.0", TARGET)));
    mock.on("POST", &format!("{REPO_API}/git/tags"))
        .then(Reply::json(201, git_tag("v1.3.0", TARGET)));
    mock.on("POST", &format!("{REPO_API}/git/refs"))
        .then(Reply::json(201, git_ref("v1.3.0", "tag", TAG_OBJECT)));
    let inputs = publish_inputs();
    let assets = inputs.path().join("assets");
    let sums = std::fs::read(assets.join("SHA256SUMS")).unwrap();
    let listed = serde_json::json!([
        remote_asset(1, "app-1.3.0.tar.gz", b"binary"),
        remote_asset(2, "SHA256SUMS", &sums),
    ]);
    mock.on("GET", RELEASES)
        .then(Reply::json(200, "[]"))
        .then(Reply::json(
            200,
            format!("[{}]", fixture("release-draft.json")),
        ));
    mock.on("POST", RELEASES)
        .then(Reply::json(201, fixture("release-draft.json")));
    mock.on("GET", ASSETS)
        .then(Reply::json(200, "[]"))
        .then(Reply::json(200, listed.to_string()));
    mock.on("POST", ASSETS)
        .then(Reply::json(201, fixture("release-asset.json")));
    mock.on("PATCH", RELEASE)
        .then(Reply::error(500, "Server Error"))
        .then(Reply::json(200, fixture("release-published.json")));
    let args = ["--assets", &assets.display().to_string()];

    let t = publish_run(&mock, inputs.path(), "v1.3.0", &args);
    t.code(2);
    assert!(
        t.stderr.contains("publishing the GitHub release `v1.3.0`"),
        "{t}"
    );
    let first = mock.requests().len();

    let t = publish_run(&mock, inputs.path(), "v1.3.0", &args);
    t.code(0);
    assert!(t.stdout.contains("tag:      v1.3.0 (there already)"), "{t}");
    assert!(t.stdout.contains("assets:   0 uploaded, 2 kept"), "{t}");
    let second: Vec<String> = call_lines(&mock).split_off(first);
    assert_eq!(
        second,
        [
            "GET /repos/octo-org/octo-repo/git/ref/tags/v1.3.0",
            "GET /repos/octo-org/octo-repo/git/tags/940bd336248efae0f9ee5bc7b2d5c985887b16ac",
            "GET /repos/octo-org/octo-repo/releases",
            "GET /repos/octo-org/octo-repo/releases/1/assets",
            "PATCH /repos/octo-org/octo-repo/releases/1",
        ]
    );
    let all = call_lines(&mock);
    for once in [
        "POST /repos/octo-org/octo-repo/git/tags",
        "POST /repos/octo-org/octo-repo/git/refs",
        "POST /repos/octo-org/octo-repo/releases",
    ] {
        assert_eq!(all.iter().filter(|c| *c == once).count(), 1, "{once}");
    }
}

#[test]
fn a_pre_release_is_marked_and_neither_moves_the_major_tag_nor_dispatches() {
    let mock = MockGitHub::start();
    script_fresh_release(&mock, "v1.3.0-rc.1");
    let inputs = publish_inputs();
    let t = publish_run(
        &mock,
        inputs.path(),
        "v1.3.0-rc.1",
        &["--floating-major-tag", "--dispatch-workflow", "cd.yml"],
    );
    t.code(0);
    let create = body_of(&mock, "POST", RELEASES);
    assert_eq!(
        (create["draft"].clone(), create["prerelease"].clone()),
        (true.into(), true.into())
    );
    let patch = body_of(&mock, "PATCH", RELEASE);
    assert_eq!(patch["prerelease"], true);
    assert_eq!(patch["make_latest"], "false");
    let calls = call_lines(&mock);
    assert!(
        !calls
            .iter()
            .any(|c| c.contains("tags/v1\"") || c.ends_with("tags/v1")),
        "{calls:?}"
    );
    assert!(!calls.iter().any(|c| c.contains("dispatches")), "{calls:?}");
    assert!(
        t.stderr
            .contains("note: the floating major tag stays: `v1.3.0-rc.1` is a pre-release"),
        "{t}"
    );
    assert!(
        t.stderr
            .contains("note: `cd.yml` is not dispatched: `v1.3.0-rc.1` is a pre-release"),
        "{t}"
    );
}

#[test]
fn a_missing_floating_tag_is_created_at_the_target() {
    let mock = MockGitHub::start();
    script_fresh_release(&mock, "v2.0.0");
    mock.on("GET", &format!("{REPO_API}/git/ref/tags/v2"))
        .then(Reply::error(404, "Not Found"));
    let inputs = publish_inputs();
    let t = publish_run(&mock, inputs.path(), "v2.0.0", &["--floating-major-tag"]);
    t.code(0);
    let refs: Vec<serde_json::Value> = mock
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == format!("{REPO_API}/git/refs"))
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    assert_eq!(
        refs,
        [
            serde_json::json!({"ref": "refs/tags/v2.0.0", "sha": TAG_OBJECT}),
            serde_json::json!({"ref": "refs/tags/v2", "sha": TARGET}),
        ]
    );
}

#[test]
fn a_tag_that_exists_at_another_commit_is_an_error_naming_both() {
    let mock = MockGitHub::start();
    mock.on("GET", &format!("{REPO_API}/git/ref/tags/v1.3.0"))
        .then(Reply::json(200, git_ref("v1.3.0", "tag", TAG_OBJECT)));
    mock.on("GET", &format!("{REPO_API}/git/tags/{TAG_OBJECT}"))
        .then(Reply::json(200, git_tag("v1.3.0", OTHER)));
    let inputs = publish_inputs();
    let t = publish_run(&mock, inputs.path(), "v1.3.0", &[]);
    t.code(2);
    assert!(
        t.stderr.contains(&format!(
            "error: the tag `v1.3.0` exists at `{OTHER}`, not at the target `{TARGET}`"
        )),
        "{t}"
    );
    assert!(!call_lines(&mock).iter().any(|c| c.contains("releases")));
}

#[test]
fn publish_without_a_token_names_the_variable() {
    let inputs = publish_inputs();
    let t = slipway()
        .args(["release", "publish", "--tag", "v1.3.0", "--target", TARGET])
        .env("GITHUB_REPOSITORY", "octo-org/octo-repo")
        .run();
    t.code(2);
    assert!(t.stderr.contains("`GITHUB_TOKEN`"), "{t}");
    drop(inputs);
}

#[test]
fn a_403_on_the_tag_names_contents_write_and_on_the_dispatch_actions_write() {
    let mock = MockGitHub::start();
    mock.on("GET", &format!("{REPO_API}/git/ref/tags/v1.3.0"))
        .then(Reply::error(404, "Not Found"));
    mock.on("POST", &format!("{REPO_API}/git/tags")).then(
        Reply::error(403, "Resource not accessible by integration")
            .header("x-accepted-github-permissions", "contents=write"),
    );
    let inputs = publish_inputs();
    let t = publish_run(&mock, inputs.path(), "v1.3.0", &[]);
    t.code(2);
    assert!(t.stderr.contains("error: creating the tag `v1.3.0`"), "{t}");
    assert!(
        t.stderr.contains("hint: the token lacks `contents: write`"),
        "{t}"
    );

    let mock = MockGitHub::start();
    script_fresh_release(&mock, "v1.3.0");
    mock.on(
        "POST",
        &format!("{REPO_API}/actions/workflows/cd.yml/dispatches"),
    )
    .then(Reply::error(403, "Resource not accessible by integration"));
    let t = publish_run(
        &mock,
        inputs.path(),
        "v1.3.0",
        &["--dispatch-workflow", "cd.yml"],
    );
    t.code(2);
    assert!(
        t.stderr.contains("error: dispatching `cd.yml` at `v1.3.0`"),
        "{t}"
    );
    assert!(
        t.stderr.contains("hint: the token lacks `actions: write`"),
        "{t}"
    );
    assert!(!t.to_string().contains("ghs_mockToken"), "{t}");
}

// ----- `slipway release` failing at each step, then run again -----

/// A releases API with state: one release at most, its assets, and a step that fails.
#[derive(Default)]
struct FakeReleases {
    release: Option<serde_json::Value>,
    assets: Vec<serde_json::Value>,
    creates: usize,
    uploads: usize,
    fail: Option<&'static str>,
}

fn serve_releases(mock: &MockGitHub) -> Arc<std::sync::Mutex<FakeReleases>> {
    let state = Arc::new(std::sync::Mutex::new(FakeReleases::default()));
    let refused = || Reply::error(403, "Resource not accessible by integration");
    let s = state.clone();
    mock.handle("GET", RELEASES, move |_| {
        let st = s.lock().unwrap();
        Reply::json(
            200,
            serde_json::Value::Array(st.release.iter().cloned().collect()).to_string(),
        )
    });
    let s = state.clone();
    mock.handle("POST", RELEASES, move |req| {
        let mut st = s.lock().unwrap();
        if st.fail == Some("draft") {
            return refused();
        }
        let asked: serde_json::Value = serde_json::from_str(&req.body).unwrap();
        let mut r: serde_json::Value =
            serde_json::from_str(&fixture("release-draft.json")).unwrap();
        r["tag_name"] = asked["tag_name"].clone();
        r["body"] = asked["body"].clone();
        r["target_commitish"] = asked["target_commitish"].clone();
        st.creates += 1;
        st.release = Some(r.clone());
        Reply::json(201, r.to_string())
    });
    let s = state.clone();
    mock.handle("GET", ASSETS, move |_| {
        let st = s.lock().unwrap();
        Reply::json(200, serde_json::Value::Array(st.assets.clone()).to_string())
    });
    let s = state.clone();
    mock.handle("POST", ASSETS, move |req| {
        let mut st = s.lock().unwrap();
        let name = common::github_mock::query_param(req, "name").unwrap();
        if st.fail == Some("asset") && name == "SHA256SUMS" {
            return refused();
        }
        st.uploads += 1;
        let id = 10 + st.assets.len() as u64;
        let a = remote_asset(id, &name, req.body.as_bytes());
        st.assets.push(a.clone());
        Reply::json(201, a.to_string())
    });
    let s = state.clone();
    mock.handle("PATCH", RELEASE, move |req| {
        let mut st = s.lock().unwrap();
        if st.fail == Some("publish") {
            return refused();
        }
        let asked: serde_json::Value = serde_json::from_str(&req.body).unwrap();
        let r = st.release.as_mut().unwrap();
        r["draft"] = false.into();
        r["target_commitish"] = asked["target_commitish"].clone();
        Reply::json(200, r.to_string())
    });
    state
}

/// A bare `origin` whose pre-receive hook refuses `refs/heads/` or `refs/tags/` pushes while
/// the file `refuse` in it names that kind.
fn guarded_origin() -> tempfile::TempDir {
    let remote = tempfile::tempdir().expect("temp dir");
    git_in(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    let hook = remote.path().join("hooks/pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\nkind=$(cat \"$GIT_DIR/refuse\" 2>/dev/null)\n[ -z \"$kind\" ] && exit 0\nwhile read -r old new ref; do\n  case \"$ref\" in refs/$kind/*) echo \"refused $ref\" >&2; exit 1;; esac\ndone\nexit 0\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    remote
}

fn release_with_token(repo: &Repo, mock: &MockGitHub) -> common::Transcript {
    slipway()
        .args(["release", "--asset"])
        .arg_path(repo.path().join("dist/app.tar.gz"))
        .arg_path(repo.path())
        .env("CI", "true")
        .env("GITHUB_TOKEN", "ghs_mockToken0123456789")
        .env("GITHUB_API_URL", mock.url())
        .env("GITHUB_REPOSITORY", "octo-org/octo-repo")
        .run()
}

// ----- `release pin-binary`: the pinned release reaches scripts/release-checksums.txt -----

/// A checkout of released sources and the release's SHA256SUMS.
fn pin_inputs(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let source = dir.join("source");
    std::fs::create_dir_all(source.join("src")).unwrap();
    std::fs::write(source.join("Cargo.toml"), "[package]\nname = \"slipway\"\n").unwrap();
    std::fs::write(source.join("src/main.rs"), "fn main() {}\n").unwrap();
    let sums = dir.join("SHA256SUMS");
    std::fs::write(
        &sums,
        format!(
            "{}  slipway-1.4.0-x86_64-unknown-linux-musl.tar.gz\n{}  slipway-1.4.0-x86_64-pc-windows-msvc.zip\n{}  notes.txt\n",
            "a".repeat(64),
            "b".repeat(64),
            "c".repeat(64)
        ),
    )
    .unwrap();
    (source, sums)
}

fn script_pin(mock: &MockGitHub, branch_exists: bool) {
    mock.on("GET", &format!("{REPO_API}/git/ref/heads/main"))
        .then(Reply::json(
            200,
            format!(r#"{{"ref":"refs/heads/main","object":{{"type":"commit","sha":"{TARGET}"}}}}"#),
        ));
    mock.on("GET", &format!("{REPO_API}/git/commits/{TARGET}"))
        .then(Reply::json(200, r#"{"sha":"c3d0be41ecbe669545ee3e94d31ed9a4bc91ee3c","tree":{"sha":"1111111111111111111111111111111111111111"}}"#));
    mock.on("POST", &format!("{REPO_API}/git/blobs"))
        .then(Reply::json(
            201,
            r#"{"sha":"2222222222222222222222222222222222222222"}"#,
        ));
    mock.on("POST", &format!("{REPO_API}/git/trees"))
        .then(Reply::json(
            201,
            r#"{"sha":"3333333333333333333333333333333333333333"}"#,
        ));
    mock.on("POST", &format!("{REPO_API}/git/commits"))
        .then(Reply::json(201, r#"{"sha":"4444444444444444444444444444444444444444","verification":{"verified":true}}"#));
    if branch_exists {
        mock.on("POST", &format!("{REPO_API}/git/refs"))
            .then(Reply::error(422, "Reference already exists"));
        mock.on(
            "PATCH",
            &format!("{REPO_API}/git/refs/heads/slipway/pin-binary-1.4.0"),
        )
        .then(Reply::json(
            200,
            r#"{"ref":"refs/heads/slipway/pin-binary-1.4.0"}"#,
        ));
        mock.on("POST", &format!("{REPO_API}/pulls"))
            .then(Reply::error(
                422,
                "A pull request already exists for octo-org:slipway/pin-binary-1.4.0.",
            ));
    } else {
        mock.on("POST", &format!("{REPO_API}/git/refs"))
            .then(Reply::json(
                201,
                r#"{"ref":"refs/heads/slipway/pin-binary-1.4.0"}"#,
            ));
        mock.on("POST", &format!("{REPO_API}/pulls"))
            .then(Reply::json(
                201,
                r#"{"number":7,"html_url":"https://github.com/octo-org/octo-repo/pull/7"}"#,
            ));
    }
}

fn pin_run(mock: &MockGitHub, dir: &Path, source: &Path, sums: &Path) -> common::Transcript {
    slipway()
        .args(["release", "pin-binary", "--version", "1.4.0", "--sums"])
        .arg_path(sums)
        .args(["--source"])
        .arg_path(source)
        .env("GITHUB_TOKEN", TOKEN)
        .env("GITHUB_API_URL", mock.url())
        .env("GITHUB_REPOSITORY", "octo-org/octo-repo")
        .filter_temp(dir)
        .run()
}

#[test]
fn a_release_failing_at_any_step_shows_no_tag_without_its_release_and_a_rerun_finishes_it() {
    for step in ["draft", "asset", "push", "publish", "tag"] {
        let remote = guarded_origin();
        let repo = tagged("v1.2.3");
        repo.write(".gitignore", "dist/\n");
        repo.write(
            "slipway.yml",
            "version: 1\nrelease:\n  floating-major-tag: true\n",
        );
        repo.write("CHANGELOG.md", "# Changelog\n\n## 1.2.3\n\n- old\n");
        repo.git(&["add", "."]);
        repo.commit("feat: search");
        let origin = remote.path().display().to_string();
        repo.git(&["remote", "add", "origin", &origin]);
        repo.git(&["push", "-q", "origin", "main", "v1.2.3"]);
        std::fs::create_dir(repo.path().join("dist")).unwrap();
        repo.write("dist/app.tar.gz", "binary");
        let before = repo.git(&["rev-parse", "HEAD"]);
        let mock = MockGitHub::start();
        let fake = serve_releases(&mock);
        match step {
            "push" => std::fs::write(remote.path().join("refuse"), "heads").unwrap(),
            "tag" => std::fs::write(remote.path().join("refuse"), "tags").unwrap(),
            s => fake.lock().unwrap().fail = Some(s),
        }

        let t = release_with_token(&repo, &mock);
        assert_ne!(t.code, Some(0), "{step}: {t}");
        assert!(!t.to_string().contains("ghs_mockToken"), "{t}");
        let remote_tags = git_in(remote.path(), &["tag"]);
        let published = fake
            .lock()
            .unwrap()
            .release
            .as_ref()
            .is_some_and(|r| r["draft"] == false);
        // Never a pushed tag without its published release.
        assert!(
            !remote_tags.contains("v1.3.0") || published,
            "{step}: {remote_tags}"
        );
        let remote_main = git_in(remote.path(), &["rev-parse", "main"]);
        match step {
            "draft" | "asset" | "push" => {
                // Nothing public: the local release commit is undone.
                assert_eq!(repo.git(&["rev-parse", "HEAD"]), before, "{step}");
                assert_eq!(remote_main, before, "{step}");
                assert!(repo.git(&["status", "--porcelain"]).is_empty(), "{step}");
                assert_eq!(
                    std::fs::read_to_string(repo.path().join("CHANGELOG.md")).unwrap(),
                    "# Changelog\n\n## 1.2.3\n\n- old\n"
                );
                assert!(!published, "{step}");
            }
            "publish" => {
                assert_eq!(remote_main, repo.git(&["rev-parse", "HEAD"]));
                assert!(t.stderr.contains("is not finished"), "{t}");
                assert!(t.stderr.contains("run `slipway release` again"), "{t}");
            }
            _ => assert!(published, "{step}"),
        }

        // The cause goes away; the same command finishes the release.
        fake.lock().unwrap().fail = None;
        let _ = std::fs::remove_file(remote.path().join("refuse"));
        let again = release_with_token(&repo, &mock);
        again.code(0);
        let st = fake.lock().unwrap();
        let release = st.release.as_ref().expect("a release");
        assert_eq!(release["draft"], false, "{step}");
        assert_eq!(st.creates, 1, "{step}: one release");
        let names: Vec<&str> = st
            .assets
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["app.tar.gz", "SHA256SUMS"],
            "{step}: no asset twice"
        );
        let head = repo.git(&["rev-parse", "HEAD"]);
        assert_eq!(release["target_commitish"], head.as_str(), "{step}");
        assert_eq!(
            repo.git(&["log", "--format=%s", &format!("{before}..HEAD")]),
            "chore(release): v1.3.0",
            "{step}: one release commit"
        );
        assert_eq!(
            git_in(remote.path(), &["rev-parse", "main"]),
            head,
            "{step}"
        );
        assert_eq!(
            git_in(remote.path(), &["tag"]),
            "v1\nv1.2.3\nv1.3.0",
            "{step}"
        );
        assert_eq!(
            git_in(remote.path(), &["rev-parse", "v1.3.0^{commit}"]),
            head
        );
        assert_eq!(git_in(remote.path(), &["rev-parse", "v1^{commit}"]), head);
        let changelog = std::fs::read_to_string(repo.path().join("CHANGELOG.md")).unwrap();
        assert_eq!(
            changelog.matches("## 1.3.0").count(),
            1,
            "{step}: {changelog}"
        );
        drop(st);

        // A third run has nothing to do and changes nothing.
        let calls = mock.requests().len();
        let third = release_with_token(&repo, &mock);
        third.code(0);
        assert!(third.stdout.contains("next:     none"), "{third}");
        assert_eq!(fake.lock().unwrap().creates, 1);
        assert!(
            mock.requests()[calls..].iter().all(|r| r.method == "GET"),
            "{step}: {:?}",
            &mock.requests()[calls..]
        );
    }
}

// ----- the release pull request -----

fn api_client(mock: &MockGitHub) -> slipway::github::client::Client {
    let settings = Settings {
        api_url: mock.url().to_owned(),
        token: Secret::new("ghs_mockToken0123456789"),
        repository: Some(GhRepo::parse("octo-org/octo-repo").unwrap()),
        retry: RetryPolicy::default(),
        connect_timeout: Duration::from_secs(5),
        read_timeout: Duration::from_secs(5),
    };
    slipway::github::client::Client::new(settings).unwrap()
}

const GIT: &str = "/repos/octo-org/octo-repo/git";

fn pr_input(repo: &Repo) -> slipway::release::pr::Input {
    slipway::release::pr::Input {
        root: repo.path().to_path_buf(),
        head: repo.git(&["rev-parse", "HEAD"]),
        base: "main".into(),
        branch: "slipway/release".into(),
        units: vec![slipway::release::pr::Unit {
            name: None,
            tag: "v1.3.0".into(),
            previous: "1.2.3".into(),
            next: semver::Version::new(1, 3, 0),
            changelog: "CHANGELOG.md".into(),
            notes: "## 1.3.0 (2025-01-02)\n\n### Features\n\n- search\n".into(),
            extra_files: vec![],
            manifests: None,
        }],
    }
}

fn script_base(mock: &MockGitHub, head: &str) {
    mock.on("GET", &format!("{GIT}/ref/heads/main"))
        .then(Reply::json(200, json_ref("refs/heads/main", head)));
    mock.on("GET", &format!("{GIT}/commits/{head}")).then(Reply::json(
        200,
        serde_json::json!({ "sha": head, "tree": { "sha": "7ree0" }, "message": "feat: search", "parents": [{ "sha": "0000" }] })
            .to_string(),
    ));
}

fn json_ref(name: &str, sha: &str) -> String {
    serde_json::json!({ "ref": name, "object": { "type": "commit", "sha": sha } }).to_string()
}

fn writes(mock: &MockGitHub) -> Vec<String> {
    mock.requests()
        .iter()
        .filter(|r| r.method != "GET")
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

#[tokio::test]
async fn the_release_pull_request_is_opened_then_updated_with_api_commits() {
    let repo = tagged("v1.2.3");
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
    repo.commit("feat: search");
    let head = repo.git(&["rev-parse", "HEAD"]);
    let mock = MockGitHub::start();
    script_base(&mock, &head);
    mock.on("GET", &format!("{GIT}/ref/heads/slipway/release"))
        .then(Reply::error(404, "Not Found"))
        .then(Reply::json(
            200,
            json_ref("refs/heads/slipway/release", "c0mm17"),
        ));
    mock.on("GET", &format!("{GIT}/commits/c0mm17")).then(Reply::json(
        200,
        serde_json::json!({ "sha": "c0mm17", "tree": { "sha": "7ree1" }, "message": "chore(release): v1.3.0", "parents": [{ "sha": head }] })
            .to_string(),
    ));
    mock.on("POST", &format!("{GIT}/blobs"))
        .then(Reply::json(201, r#"{"sha":"b10b"}"#));
    mock.on("POST", &format!("{GIT}/trees"))
        .then(Reply::json(201, r#"{"sha":"7ree1"}"#));
    mock.on("POST", &format!("{GIT}/commits"))
        .then(Reply::json(201, r#"{"sha":"c0mm17"}"#));
    mock.on("POST", &format!("{GIT}/refs")).then(Reply::json(
        201,
        json_ref("refs/heads/slipway/release", "c0mm17"),
    ));
    mock.on("PATCH", &format!("{GIT}/refs/heads/slipway/release"))
        .then(Reply::json(
            200,
            json_ref("refs/heads/slipway/release", "c0mm17"),
        ));
    let pulls = "/repos/octo-org/octo-repo/pulls";
    mock.on("GET", pulls)
        .then(Reply::json(200, "[]"))
        .then(Reply::json(200, r#"[{"number": 7}]"#));
    mock.on("POST", pulls)
        .then(Reply::json(201, r#"{"number": 7}"#));
    mock.on("PATCH", &format!("{pulls}/7"))
        .then(Reply::json(200, r#"{"number": 7}"#));

    let client = api_client(&mock);
    let input = pr_input(&repo);
    let first = slipway::release::pr::open_or_update(&client, &input)
        .await
        .unwrap();
    assert!(first.opened);
    assert_eq!(first.number, 7);
    assert_eq!(first.files, ["CHANGELOG.md", "Cargo.toml", "package.json"]);
    assert_eq!(
        writes(&mock),
        [
            format!("POST {GIT}/blobs"),
            format!("POST {GIT}/blobs"),
            format!("POST {GIT}/blobs"),
            format!("POST {GIT}/trees"),
            format!("POST {GIT}/commits"),
            format!("POST {GIT}/refs"),
            "POST /repos/octo-org/octo-repo/pulls".to_owned(),
        ]
    );
    let reqs = mock.requests();
    let blob = |path: &str| {
        reqs.iter()
            .filter(|r| r.path.ends_with("/git/blobs"))
            .map(|r| serde_json::from_str::<serde_json::Value>(&r.body).unwrap())
            .find(|b| b["content"].as_str().unwrap().contains(path))
            .unwrap()
    };
    assert_eq!(
        blob("\"name\": \"shop\"")["content"],
        "{\n  \"name\": \"shop\",\n  \"version\": \"1.3.0\"\n}\n"
    );
    assert!(
        blob("# Changelog")["content"]
            .as_str()
            .unwrap()
            .starts_with("# Changelog\n\n## 1.3.0 (2025-01-02)")
    );
    let tree: serde_json::Value = serde_json::from_str(
        &reqs
            .iter()
            .find(|r| r.path.ends_with("/git/trees"))
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(tree["base_tree"], "7ree0");
    let commit: serde_json::Value = serde_json::from_str(
        &reqs
            .iter()
            .find(|r| r.path.ends_with("/git/commits") && r.method == "POST")
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(commit["message"], "chore(release): v1.3.0");
    assert_eq!(commit["parents"][0], head.as_str());
    // No signature or author of our own: GitHub signs what it commits through the API.
    assert!(commit.get("signature").is_none() && commit.get("author").is_none());
    let pr: serde_json::Value = serde_json::from_str(
        &reqs
            .iter()
            .find(|r| r.path.ends_with("/pulls") && r.method == "POST")
            .unwrap()
            .body,
    )
    .unwrap();
    assert_eq!(
        (pr["head"].as_str(), pr["base"].as_str()),
        (Some("slipway/release"), Some("main"))
    );
    assert!(pr["body"].as_str().unwrap().contains("`Cargo.toml`"));

    // The next push: the branch is moved (force) and the same pull request updated.
    let before = writes(&mock).len();
    let second = slipway::release::pr::open_or_update(&client, &input)
        .await
        .unwrap();
    assert!(!second.opened);
    assert_eq!(second.number, 7);
    let after: Vec<String> = writes(&mock)[before..].to_vec();
    assert_eq!(
        after[after.len() - 2],
        format!("PATCH {GIT}/refs/heads/slipway/release")
    );
    assert_eq!(
        after[after.len() - 1],
        "PATCH /repos/octo-org/octo-repo/pulls/7"
    );

    // Merged: the default branch has the release commit, and the plan releases that version.
    for f in &["Cargo.toml", "package.json"] {
        let text = std::fs::read_to_string(repo.path().join(f)).unwrap();
        repo.write(f, &text.replace("1.2.3", "1.3.0"));
    }
    repo.git(&["commit", "-qam", "chore(release): v1.3.0"]);
    let plan = repo.json(&[]);
    assert!(plan.contains("\"next\": \"1.3.0\""), "{plan}");
}

#[tokio::test]
async fn a_hand_edited_release_branch_or_a_bad_manifest_pushes_nothing() {
    let repo = tagged("v1.2.3");
    repo.write("package.json", "{\n  \"name\": \"shop\"\n}\n");
    repo.git(&["add", "."]);
    repo.commit("feat: search");
    let mock = MockGitHub::start();
    let client = api_client(&mock);
    let err = slipway::release::pr::open_or_update(&client, &pr_input(&repo))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "`package.json`: no top-level `\"version\"`"
    );
    assert!(err.hint().unwrap().contains("\"version\": \"1.2.3\""));
    assert!(mock.requests().is_empty(), "nothing asked, nothing pushed");

    repo.write(
        "package.json",
        "{\n  \"name\": \"shop\",\n  \"version\": \"1.2.3\"\n}\n",
    );
    repo.git(&["commit", "-qam", "fix: version"]);
    let head = repo.git(&["rev-parse", "HEAD"]);
    script_base(&mock, &head);
    mock.on("GET", &format!("{GIT}/ref/heads/slipway/release"))
        .then(Reply::json(
            200,
            json_ref("refs/heads/slipway/release", "h4nd"),
        ));
    mock.on("GET", &format!("{GIT}/commits/h4nd")).then(Reply::json(
        200,
        serde_json::json!({ "sha": "h4nd", "tree": { "sha": "7ree2" }, "message": "fix the changelog wording", "parents": [{ "sha": "c0mm17" }] })
            .to_string(),
    ));
    let err = slipway::release::pr::open_or_update(&client, &pr_input(&repo))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the release branch `slipway/release` has a commit slipway did not make (`fix the changelog wording`)"
    );
    assert!(err.hint().unwrap().contains("nothing was pushed"));
    assert!(writes(&mock).is_empty(), "{:?}", writes(&mock));

    // The default branch moved on since the checkout: nothing is written either.
    let mock = MockGitHub::start();
    script_base(&mock, "1111111111111111111111111111111111111111");
    let err = slipway::release::pr::open_or_update(&api_client(&mock), &pr_input(&repo))
        .await
        .unwrap_err();
    assert!(
        err.to_string().starts_with("`main` is at `1111111"),
        "{err}"
    );
    assert!(writes(&mock).is_empty());
}

#[test]
fn pin_binary_commits_the_pin_file_through_the_git_data_api_and_opens_a_pull_request() {
    let dir = tempfile::tempdir().unwrap();
    let (source, sums) = pin_inputs(dir.path());
    let mock = MockGitHub::start();
    script_pin(&mock, false);
    let t = pin_run(&mock, dir.path(), &source, &sums);
    t.code(0);
    assert!(
        t.stdout
            .contains("pull request: https://github.com/octo-org/octo-repo/pull/7"),
        "{t}"
    );
    assert_eq!(
        call_lines(&mock),
        [
            format!("GET {REPO_API}/git/ref/heads/main"),
            format!("GET {REPO_API}/git/commits/{TARGET}"),
            format!("POST {REPO_API}/git/blobs"),
            format!("POST {REPO_API}/git/trees"),
            format!("POST {REPO_API}/git/commits"),
            format!("POST {REPO_API}/git/refs"),
            format!("POST {REPO_API}/pulls"),
        ]
    );
    let blob = body_of(&mock, "POST", &format!("{REPO_API}/git/blobs"));
    assert_eq!(blob["encoding"], "utf-8");
    let content = blob["content"].as_str().unwrap();
    let digest = slipway::release::binary::source_digest(&source).unwrap();
    let pinned: Vec<&str> = content.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        pinned,
        [
            "version 1.4.0".to_owned(),
            format!("source {digest}"),
            format!(
                "{}  slipway-1.4.0-x86_64-unknown-linux-musl.tar.gz",
                "a".repeat(64)
            ),
            format!(
                "{}  slipway-1.4.0-x86_64-pc-windows-msvc.zip",
                "b".repeat(64)
            ),
        ]
    );
    let tree = body_of(&mock, "POST", &format!("{REPO_API}/git/trees"));
    assert_eq!(
        tree["base_tree"],
        "1111111111111111111111111111111111111111"
    );
    assert_eq!(
        tree["tree"],
        serde_json::json!([{
            "path": "scripts/release-checksums.txt", "mode": "100644", "type": "blob",
            "sha": "2222222222222222222222222222222222222222"
        }])
    );
    let commit = body_of(&mock, "POST", &format!("{REPO_API}/git/commits"));
    assert_eq!(commit["tree"], "3333333333333333333333333333333333333333");
    assert_eq!(commit["parents"], serde_json::json!([TARGET]));
    // No author nor committer: GitHub makes and signs the commit.
    assert!(
        commit.get("author").is_none() && commit.get("committer").is_none(),
        "{commit}"
    );
    let reference = body_of(&mock, "POST", &format!("{REPO_API}/git/refs"));
    assert_eq!(reference["ref"], "refs/heads/slipway/pin-binary-1.4.0");
    assert_eq!(reference["sha"], "4444444444444444444444444444444444444444");
    let pull = body_of(&mock, "POST", &format!("{REPO_API}/pulls"));
    assert_eq!(pull["head"], "slipway/pin-binary-1.4.0");
    assert_eq!(pull["base"], "main");
    for r in mock.requests() {
        assert!(!r.body.contains(TOKEN));
    }
}

#[test]
fn pin_binary_re_run_moves_the_branch_and_keeps_the_open_pull_request() {
    let dir = tempfile::tempdir().unwrap();
    let (source, sums) = pin_inputs(dir.path());
    let mock = MockGitHub::start();
    script_pin(&mock, true);
    let t = pin_run(&mock, dir.path(), &source, &sums);
    t.code(0);
    assert!(t.stdout.contains("pull request: open already"), "{t}");
    let moved = body_of(
        &mock,
        "PATCH",
        &format!("{REPO_API}/git/refs/heads/slipway/pin-binary-1.4.0"),
    );
    assert_eq!(moved["sha"], "4444444444444444444444444444444444444444");
    assert_eq!(moved["force"], true);
}

#[test]
fn pin_binary_refuses_sums_without_an_archive_before_calling_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let (source, _) = pin_inputs(dir.path());
    let sums = dir.path().join("OTHER");
    std::fs::write(&sums, format!("{}  app.tar.gz\n", "a".repeat(64))).unwrap();
    let mock = MockGitHub::start();
    let t = pin_run(&mock, dir.path(), &source, &sums);
    t.code(2);
    assert!(
        t.stderr.contains("lists no slipway-1.4.0-<target> archive"),
        "{t}"
    );
    assert!(mock.requests().is_empty());
}

// ----- `release archive`: real executables archived, extracted with the system tools -----

fn host_target() -> &'static str {
    match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-gnu",
        _ => "x86_64-unknown-linux-gnu",
    }
}

/// A tiny Rust program compiled with rustc, and a Go one with go (skipped without go).
fn tiny_binaries(dir: &Path) -> (std::path::PathBuf, Option<std::path::PathBuf>) {
    let src = dir.join("hello.rs");
    std::fs::write(&src, "fn main() { println!(\"hello from rust\"); }\n").unwrap();
    let rust = dir.join("rust/hello-rs");
    std::fs::create_dir_all(dir.join("rust")).unwrap();
    let ok = Command::new("rustc")
        .arg("-O")
        .arg(&src)
        .arg("-o")
        .arg(&rust)
        .status()
        .unwrap()
        .success();
    assert!(ok, "rustc");
    let go = Command::new("go")
        .arg("version")
        .output()
        .ok()
        .filter(|o| o.status.success());
    let go = go.map(|_| {
        let module = dir.join("gomod");
        std::fs::create_dir_all(&module).unwrap();
        std::fs::write(
            module.join("go.mod"),
            "module example.com/hello-go\n\ngo 1.19\n",
        )
        .unwrap();
        std::fs::write(
            module.join("main.go"),
            "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"hello from go\") }\n",
        )
        .unwrap();
        let out = dir.join("go-out");
        std::fs::create_dir_all(&out).unwrap();
        let status = Command::new("go")
            .args(["build", "-trimpath", "-o"])
            .arg(format!("{}/", out.display()))
            .arg(".")
            .current_dir(&module)
            .env("CGO_ENABLED", "0")
            .env("GOFLAGS", "-mod=mod")
            .status()
            .unwrap();
        assert!(status.success(), "go build");
        out.join("hello-go")
    });
    (rust, go)
}

fn sha256_file(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

#[test]
fn archive_packs_real_rust_and_go_executables_with_docs_and_their_sums() {
    let dir = tempfile::tempdir().unwrap();
    let (rust, go) = tiny_binaries(dir.path());
    let docs = dir.path().join("repo");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join("README.md"), "# hello\n").unwrap();
    std::fs::write(docs.join("LICENSE-MIT"), "MIT\n").unwrap();
    std::fs::write(docs.join("main.rs"), "not a doc\n").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", docs.join("LICENSE-LINKED")).unwrap();
    let out = dir.path().join("out");
    let target = host_target();
    let mut bins = vec![rust.clone()];
    bins.extend(go.clone());
    let t = slipway()
        .args([
            "release",
            "archive",
            "--name",
            "hello",
            "--version",
            "1.2.0",
            "--target",
            target,
            "--docs",
        ])
        .arg_path(&docs)
        .args(["--out"])
        .arg_path(&out)
        .args(["--"])
        .args(bins.iter().map(|b| b.display().to_string()))
        .run();
    t.code(0);
    let archive = out.join(format!("hello-1.2.0-{target}.tar.gz"));
    let sum = sha256_file(&archive);
    assert_eq!(
        std::fs::read_to_string(out.join(format!("hello-1.2.0-{target}.tar.gz.sha256"))).unwrap(),
        format!("{sum}  hello-1.2.0-{target}.tar.gz\n")
    );
    let x = dir.path().join("x");
    std::fs::create_dir_all(&x).unwrap();
    assert!(
        Command::new("tar")
            .arg("-xzf")
            .arg(&archive)
            .arg("-C")
            .arg(&x)
            .status()
            .unwrap()
            .success()
    );
    let stem = x.join(format!("hello-1.2.0-{target}"));
    let mut names: Vec<String> = std::fs::read_dir(&stem)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut want = vec!["LICENSE-MIT", "README.md", "hello-rs"];
    if go.is_some() {
        want.push("hello-go");
        want.sort();
    }
    assert_eq!(names, want, "symlinks and non-doc files stay out");
    let run = |p: &Path| String::from_utf8(Command::new(p).output().unwrap().stdout).unwrap();
    assert_eq!(run(&stem.join("hello-rs")), "hello from rust\n");
    if go.is_some() {
        assert_eq!(run(&stem.join("hello-go")), "hello from go\n");
    }
    // The same inputs give the same bytes.
    let again = dir.path().join("again");
    slipway()
        .args([
            "release",
            "archive",
            "--name",
            "hello",
            "--version",
            "1.2.0",
            "--target",
            target,
            "--docs",
        ])
        .arg_path(&docs)
        .args(["--out"])
        .arg_path(&again)
        .args(["--"])
        .args(bins.iter().map(|b| b.display().to_string()))
        .run()
        .code(0);
    assert_eq!(
        sha256_file(&again.join(format!("hello-1.2.0-{target}.tar.gz"))),
        sum
    );
}

#[test]
fn archive_zips_a_windows_executable_that_unzip_extracts_with_its_mode() {
    let dir = tempfile::tempdir().unwrap();
    // A real Windows executable where go can cross-compile one; else any file stands in.
    let exe = dir.path().join("hello.exe");
    let built = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
        && {
            let module = dir.path().join("gomod");
            std::fs::create_dir_all(&module).unwrap();
            std::fs::write(
                module.join("go.mod"),
                "module example.com/hello\n\ngo 1.19\n",
            )
            .unwrap();
            std::fs::write(module.join("main.go"), "package main\n\nfunc main() {}\n").unwrap();
            Command::new("go")
                .args(["build", "-o"])
                .arg(&exe)
                .arg(".")
                .current_dir(&module)
                .env("GOOS", "windows")
                .env("GOARCH", "amd64")
                .env("CGO_ENABLED", "0")
                .status()
                .unwrap()
                .success()
        };
    if !built {
        std::fs::write(&exe, b"MZ stand-in").unwrap();
    }
    let out = dir.path().join("out");
    slipway()
        .args([
            "release",
            "archive",
            "--name",
            "hello",
            "--version",
            "0.3.0",
            "--target",
            "x86_64-pc-windows-msvc",
            "--out",
        ])
        .arg_path(&out)
        .args(["--"])
        .arg_path(&exe)
        .run()
        .code(0);
    let zip = out.join("hello-0.3.0-x86_64-pc-windows-msvc.zip");
    let test = Command::new("unzip").arg("-t").arg(&zip).output().unwrap();
    assert!(
        test.status.success(),
        "{}",
        String::from_utf8_lossy(&test.stdout)
    );
    let x = dir.path().join("x");
    assert!(
        Command::new("unzip")
            .arg("-q")
            .arg(&zip)
            .arg("-d")
            .arg(&x)
            .status()
            .unwrap()
            .success()
    );
    let extracted = x.join("hello-0.3.0-x86_64-pc-windows-msvc/hello.exe");
    assert_eq!(
        std::fs::read(&extracted).unwrap(),
        std::fs::read(&exe).unwrap()
    );
    use std::os::unix::fs::PermissionsExt as _;
    assert_eq!(
        std::fs::metadata(&extracted).unwrap().permissions().mode() & 0o777,
        0o755
    );
}
