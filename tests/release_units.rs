//! `slipway release` under `release.units: per-unit` on real monorepos built with the git CLI:
//! one version, tag and changelog per unit from the commits that touch it, linked groups,
//! refusals, and the releases published against the local mock of the REST API.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::{Arc, Mutex};

use common::github_mock::{MockGitHub, Reply, fixture};
use common::slipway;

const DATE: &str = "2025-01-02T10:00:00Z";
const RELEASES: &str = "/repos/octo-org/octo-repo/releases";

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

/// An npm workspace with three packages: `core` (1.0.0), `cli` (0.3.0) and `@acme/web`
/// (2.0.0), committed once; `core` and `cli` are tagged, `@acme/web` never was.
struct Mono {
    dir: tempfile::TempDir,
}

impl Mono {
    fn new(config: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let repo = Self { dir };
        repo.git(&["init", "-q", "-b", "main"]);
        repo.git(&["config", "user.name", "Ada"]);
        repo.git(&["config", "user.email", "ada@example.com"]);
        repo.git(&["config", "commit.gpgSign", "false"]);
        repo.git(&["config", "tag.gpgSign", "false"]);
        repo.write(
            "package.json",
            r#"{ "name": "mono", "private": true, "workspaces": ["packages/*"] }"#,
        );
        repo.write("README.md", "# mono\n");
        repo.write("slipway.yml", config);
        for (dir, name, version) in [
            ("core", "core", "1.0.0"),
            ("cli", "cli", "0.3.0"),
            ("web", "@acme/web", "2.0.0"),
        ] {
            repo.write(
                &format!("packages/{dir}/package.json"),
                &format!("{{\n  \"name\": \"{name}\",\n  \"version\": \"{version}\"\n}}\n"),
            );
            repo.write(&format!("packages/{dir}/index.js"), "// 0\n");
        }
        repo.change("chore: init", &["."]);
        repo.git(&["tag", "core-v1.0.0"]);
        repo.git(&["tag", "cli-v0.3.0"]);
        repo
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn git(&self, args: &[&str]) -> String {
        git_in(self.path(), args)
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// A commit with `message` that changes a file in each of `dirs` (`.` commits everything
    /// staged as it is).
    fn change(&self, message: &str, dirs: &[&str]) -> String {
        for dir in dirs {
            if *dir != "." {
                let file = format!("{dir}/index.js");
                let old = std::fs::read_to_string(self.path().join(&file)).unwrap_or_default();
                self.write(&file, &format!("{old}// {message}\n"));
            }
        }
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }

    fn release(&self, args: &[&str]) -> common::Transcript {
        slipway()
            .args(["release"])
            .args(args)
            .arg_path(self.path())
            .filter_temp(self.path())
            .run()
    }

    fn json(&self) -> serde_json::Value {
        let t = self.release(&["--json"]);
        t.code(0);
        serde_json::from_str(&t.stdout).expect("JSON on stdout")
    }
}

const PER_UNIT: &str = "version: 1\nrelease:\n  units: per-unit\n";

/// The `(name, previous, next, bump, commits, skipped)` of each unit, by name.
fn decisions(v: &serde_json::Value) -> Vec<(String, String, String, String, u64, u64)> {
    let text = |x: &serde_json::Value| x.as_str().unwrap_or("null").to_owned();
    v["units"]
        .as_array()
        .expect("units")
        .iter()
        .map(|u| {
            (
                text(&u["name"]),
                text(&u["previous"]),
                text(&u["next"]),
                text(&u["bump"]),
                u["commits"].as_u64().unwrap(),
                u["skipped"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn d(
    name: &str,
    previous: &str,
    next: &str,
    bump: &str,
    commits: u64,
    skipped: u64,
) -> (String, String, String, String, u64, u64) {
    (
        name.into(),
        previous.into(),
        next.into(),
        bump.into(),
        commits,
        skipped,
    )
}

#[test]
fn each_unit_is_decided_from_the_commits_that_touch_it() {
    let repo = Mono::new(PER_UNIT);
    repo.change("fix(core): handle tabs", &["packages/core"]);
    repo.change("feat: share the config", &["packages/core", "packages/cli"]);
    repo.write("README.md", "# mono\n\nmore\n");
    repo.change("feat!: a root change releases nothing", &["."]);
    repo.change(
        "chore: format everything",
        &["packages/core", "packages/cli", "packages/web"],
    );
    let v = repo.json();
    assert_eq!(
        decisions(&v),
        [
            // Below 1.0 a feature is a patch (`release.pre-1-0: minor`).
            d("cli", "0.3.0", "0.3.1", "patch", 2, 1),
            d("core", "1.0.0", "1.1.0", "minor", 3, 1),
            // Never tagged, no feature or fix: nothing yet.
            d("@acme/web", "null", "null", "none", 2, 2),
        ]
    );
    assert_eq!(v["untracked"], 1, "{v}");
    assert_eq!(v["units"][1]["changelog"], "packages/core/CHANGELOG.md");

    // A first release is the version in the manifest.
    repo.change("fix(web): align the button", &["packages/web"]);
    let v = repo.json();
    assert_eq!(
        decisions(&v)[2],
        d("@acme/web", "null", "2.0.0", "major", 3, 2)
    );
    assert_eq!(v["units"][2]["tag"], "@acme/web-v2.0.0");

    // The human form names each unit's step and prints each changelog section.
    let t = repo.release(&[]);
    t.code(0);
    assert!(
        t.stdout.contains("units:    3 (3 to release)"),
        "{}",
        t.stdout
    );
    assert!(
        t.stdout.contains("next core-v1.1.0 (minor)"),
        "{}",
        t.stdout
    );
    assert!(
        t.stdout
            .contains("core (packages/core/CHANGELOG.md):\n## 1.1.0 (2025-01-02)"),
        "{}",
        t.stdout
    );
    assert!(t.stdout.contains("- **core:** handle tabs"), "{}", t.stdout);
}

#[test]
fn linked_units_take_the_highest_bump_of_their_group() {
    let repo = Mono::new(&format!("{PER_UNIT}  linked: [[core, cli]]\n"));
    repo.change("feat(core): search", &["packages/core"]);
    let v = repo.json();
    assert_eq!(
        decisions(&v)[..2],
        [
            d("cli", "0.3.0", "0.3.1", "patch", 0, 0),
            d("core", "1.0.0", "1.1.0", "minor", 1, 0),
        ]
    );
    assert_eq!(v["units"][0]["linked"], serde_json::json!(["core"]));
    // Without the link, `cli` has nothing to release.
    let unlinked = Mono::new(PER_UNIT);
    unlinked.change("feat(core): search", &["packages/core"]);
    assert_eq!(unlinked.json()["units"][0]["next"], serde_json::Value::Null);
}

#[test]
fn a_linked_name_that_is_no_unit_is_refused_with_its_line() {
    let repo = Mono::new(&format!("{PER_UNIT}  linked: [[core, clii]]\n"));
    let t = repo.release(&[]);
    t.code(2);
    assert!(
        t.stderr.contains(
            "slipway.yml:4:19: `release.linked` names `clii`, which is not a unit of this repository"
        ),
        "{t}"
    );
    assert!(t.stderr.contains("`cli`, `core`, `@acme/web`"), "{t}");
}

#[test]
fn two_units_with_one_name_are_refused_until_an_override_renames_one() {
    let repo = Mono::new(PER_UNIT);
    repo.write(
        "package.json",
        r#"{ "name": "mono", "private": true, "workspaces": ["packages/*", "legacy/*"] }"#,
    );
    repo.write(
        "legacy/core/package.json",
        "{ \"name\": \"core\", \"version\": \"0.9.0\" }\n",
    );
    repo.change("feat: legacy core", &["legacy/core"]);
    let t = repo.release(&[]);
    t.code(2);
    assert!(
        t.stderr.contains(
            "the units `legacy/core` and `packages/core` are both named `core`: their tags `core-v…` would collide"
        ),
        "{t}"
    );
    assert!(t.stderr.contains("release.unit-overrides"), "{t}");
    repo.write(
        "slipway.yml",
        &format!("{PER_UNIT}  unit-overrides:\n    legacy/core: {{ name: core-legacy }}\n"),
    );
    repo.change("chore: rename the legacy tags", &["."]);
    let v = repo.json();
    assert_eq!(v["units"][0]["tag"], "core-legacy-v0.9.0", "{v}");
}

#[test]
fn a_manifest_without_a_semantic_version_is_refused_and_nothing_is_pushed() {
    let remote = tempfile::tempdir().expect("temp dir");
    git_in(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    let repo = Mono::new(PER_UNIT);
    let origin = remote.path().display().to_string();
    repo.git(&["remote", "add", "origin", &origin]);
    repo.git(&["push", "-q", "origin", "main", "core-v1.0.0", "cli-v0.3.0"]);
    repo.write(
        "packages/cli/package.json",
        "{\n  \"name\": \"cli\",\n  \"version\": \"one\"\n}\n",
    );
    repo.change("fix(cli): x", &["packages/cli"]);
    let before = repo.git(&["rev-parse", "HEAD"]);
    let t = slipway()
        .args(["release", "--no-dry-run"])
        .arg_path(repo.path())
        .filter_temp(repo.path())
        .env("GITHUB_TOKEN", "ghs_mockToken0123456789")
        .env("GITHUB_API_URL", "http://127.0.0.1:9")
        .env("GITHUB_REPOSITORY", "octo-org/octo-repo")
        .run();
    t.code(2);
    assert!(
        t.stderr.contains(
            "`packages/cli/package.json` line 3: the version `one` is not a semantic version"
        ),
        "{t}"
    );
    assert!(t.stderr.contains("skip: true"), "{t}");
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), before);
    assert_eq!(git_in(remote.path(), &["tag"]), "cli-v0.3.0\ncore-v1.0.0");
    assert_ne!(git_in(remote.path(), &["rev-parse", "main"]), before);
}

#[test]
fn flags_that_pick_one_version_are_refused_in_per_unit_mode() {
    let repo = Mono::new(PER_UNIT);
    for args in [
        &["--version", "2.0.0"][..],
        &["--pre", "rc"],
        &["plan", "--tag-prefix", "x"],
    ] {
        let t = repo.release(args);
        t.code(2);
        assert!(t.stderr.contains("`release.units: per-unit`"), "{t}");
    }
}

/// Releases kept by the mock: created as drafts, listed, published; `fail_publish` names a
/// tag whose publish is refused once.
#[derive(Default)]
struct Releases {
    list: Vec<serde_json::Value>,
    fail_publish: Option<String>,
}

fn serve(mock: &MockGitHub, ids: u64) -> Arc<Mutex<Releases>> {
    let state = Arc::new(Mutex::new(Releases::default()));
    let s = state.clone();
    mock.handle("GET", RELEASES, move |_| {
        let st = s.lock().unwrap();
        Reply::json(200, serde_json::Value::Array(st.list.clone()).to_string())
    });
    let s = state.clone();
    mock.handle("POST", RELEASES, move |req| {
        let mut st = s.lock().unwrap();
        let asked: serde_json::Value = serde_json::from_str(&req.body).unwrap();
        let mut r: serde_json::Value =
            serde_json::from_str(&fixture("release-draft.json")).unwrap();
        let id = st.list.len() as u64 + 1;
        r["id"] = id.into();
        r["tag_name"] = asked["tag_name"].clone();
        r["name"] = asked["name"].clone();
        r["body"] = asked["body"].clone();
        r["html_url"] = format!("https://github.com/octo-org/octo-repo/releases/{id}").into();
        st.list.push(r.clone());
        Reply::json(201, r.to_string())
    });
    for id in 1..=ids {
        let s = state.clone();
        mock.handle("PATCH", &format!("{RELEASES}/{id}"), move |_| {
            let mut st = s.lock().unwrap();
            let r = st.list[id as usize - 1].clone();
            if st.fail_publish.as_deref() == r["tag_name"].as_str() {
                st.fail_publish = None;
                return Reply::error(403, "Resource not accessible by integration");
            }
            st.list[id as usize - 1]["draft"] = false.into();
            Reply::json(200, st.list[id as usize - 1].to_string())
        });
    }
    state
}

fn real_run(repo: &Mono, mock: &MockGitHub) -> common::Transcript {
    slipway()
        .args(["release", "--no-dry-run"])
        .arg_path(repo.path())
        .filter_temp(repo.path())
        .env("GITHUB_TOKEN", "ghs_mockToken0123456789")
        .env("GITHUB_API_URL", mock.url())
        .env("GITHUB_REPOSITORY", "octo-org/octo-repo")
        .run()
}

fn with_origin(repo: &Mono) -> tempfile::TempDir {
    let remote = tempfile::tempdir().expect("temp dir");
    git_in(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
    let origin = remote.path().display().to_string();
    repo.git(&["remote", "add", "origin", &origin]);
    repo.git(&["push", "-q", "origin", "main", "core-v1.0.0", "cli-v0.3.0"]);
    remote
}

#[test]
fn a_real_run_writes_each_changelog_publishes_each_release_and_pushes_the_tags() {
    let repo = Mono::new(PER_UNIT);
    let remote = with_origin(&repo);
    repo.write(
        "packages/core/CHANGELOG.md",
        "# Changelog\n\n## 1.0.0\n\n- old\n",
    );
    repo.change("feat(core): search", &["packages/core"]);
    repo.change("fix(web): button", &["packages/web"]);
    let mock = MockGitHub::start();
    let state = serve(&mock, 3);
    let t = real_run(&repo, &mock);
    t.code(0);
    assert!(!t.to_string().contains("ghs_mockToken"), "{t}");
    assert!(t.stdout.contains("released core-v1.1.0 (minor)"), "{t}");
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]),
        "chore(release): core-v1.1.0, @acme/web-v2.0.0"
    );
    let core = std::fs::read_to_string(repo.path().join("packages/core/CHANGELOG.md")).unwrap();
    assert!(
        core.starts_with(
            "# Changelog\n\n## 1.1.0 (2025-01-02)\n\n### Features\n\n- **core:** search"
        ),
        "{core}"
    );
    assert!(core.ends_with("## 1.0.0\n\n- old\n"), "{core}");
    let web = std::fs::read_to_string(repo.path().join("packages/web/CHANGELOG.md")).unwrap();
    assert!(web.contains("## 2.0.0 (2025-01-02)"), "{web}");
    assert!(!repo.path().join("packages/cli/CHANGELOG.md").exists());
    let head = repo.git(&["rev-parse", "HEAD"]);
    assert_eq!(git_in(remote.path(), &["rev-parse", "main"]), head);
    assert_eq!(
        git_in(remote.path(), &["tag"]),
        "@acme/web-v2.0.0\ncli-v0.3.0\ncore-v1.0.0\ncore-v1.1.0"
    );
    assert_eq!(
        git_in(remote.path(), &["rev-parse", "core-v1.1.0^{commit}"]),
        head
    );
    {
        let st = state.lock().unwrap();
        let tags: Vec<&str> = st
            .list
            .iter()
            .map(|r| r["tag_name"].as_str().unwrap())
            .collect();
        assert_eq!(tags, ["core-v1.1.0", "@acme/web-v2.0.0"]);
        assert!(st.list.iter().all(|r| r["draft"] == false));
        assert!(st.list[0]["body"].as_str().unwrap().starts_with("## 1.1.0"));
    }
    let creates = mock
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count();
    assert_eq!(creates, 2);
    // Nothing new: a second run releases nothing and calls nothing.
    let calls = mock.requests().len();
    let t = real_run(&repo, &mock);
    t.code(0);
    assert!(t.stdout.contains("units:    3 (0 to release)"), "{t}");
    assert_eq!(mock.requests().len(), calls);
}

#[test]
fn a_run_that_failed_after_the_push_is_finished_without_a_second_release() {
    let repo = Mono::new(PER_UNIT);
    let remote = with_origin(&repo);
    repo.change("fix(core): a", &["packages/core"]);
    repo.change("fix(cli): b", &["packages/cli"]);
    let mock = MockGitHub::start();
    let state = serve(&mock, 3);
    state.lock().unwrap().fail_publish = Some("core-v1.0.1".into());
    let t = real_run(&repo, &mock);
    t.code(2);
    assert!(
        t.stderr.contains("is pushed and its drafts are ready"),
        "{t}"
    );
    assert!(t.stderr.contains("run `slipway release` again"), "{t}");
    let head = repo.git(&["rev-parse", "HEAD"]);
    assert_eq!(git_in(remote.path(), &["rev-parse", "main"]), head);
    // The re-run finishes the same release commit: no second commit, draft or changelog entry.
    let t = real_run(&repo, &mock);
    t.code(0);
    assert!(
        t.stderr
            .contains("finished the release of the commit at HEAD"),
        "{t}"
    );
    assert_eq!(repo.git(&["rev-parse", "HEAD"]), head);
    let st = state.lock().unwrap();
    assert_eq!(st.list.len(), 2);
    assert!(st.list.iter().all(|r| r["draft"] == false));
    drop(st);
    assert_eq!(
        git_in(remote.path(), &["tag"]),
        "cli-v0.3.0\ncli-v0.3.1\ncore-v1.0.0\ncore-v1.0.1"
    );
    let core = std::fs::read_to_string(repo.path().join("packages/core/CHANGELOG.md")).unwrap();
    assert_eq!(core.matches("## 1.0.1").count(), 1, "{core}");
}

#[test]
fn plan_writes_one_notes_file_per_release_and_the_outputs() {
    let repo = Mono::new(PER_UNIT);
    repo.change("fix(web): x", &["packages/web"]);
    let notes = repo.path().join("_notes");
    let t = slipway()
        .args(["release", "plan", "--notes"])
        .arg_path(&notes)
        .arg_path(repo.path())
        .filter_temp(repo.path())
        .in_actions()
        .run();
    t.code(0);
    let text = std::fs::read_to_string(notes.join("@acme%2Fweb-v2.0.0.md")).unwrap();
    assert!(text.starts_with("## 2.0.0"), "{text}");
    assert!(t.outputs.contains("release=true"), "{t}");
    assert!(t.outputs.contains("tags=@acme/web-v2.0.0"), "{t}");
}

#[test]
fn cargo_members_that_share_the_workspace_version_move_together() {
    let dir = tempfile::tempdir().expect("temp dir");
    let repo = Mono { dir };
    repo.git(&["init", "-q", "-b", "main"]);
    repo.git(&["config", "user.name", "Ada"]);
    repo.git(&["config", "user.email", "ada@example.com"]);
    repo.git(&["config", "commit.gpgSign", "false"]);
    repo.write("slipway.yml", PER_UNIT);
    repo.write(
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\nresolver = \"2\"\n\n[workspace.package]\nversion = \"0.4.0\"\n",
    );
    for (name, version) in [
        ("a", "version.workspace = true"),
        ("b", "version.workspace = true"),
        ("c", "version = \"1.2.0\""),
    ] {
        repo.write(
            &format!("crates/{name}/Cargo.toml"),
            &format!("[package]\nname = \"{name}\"\n{version}\nedition = \"2021\"\n"),
        );
        repo.write(&format!("crates/{name}/src/lib.rs"), "\n");
        repo.write(&format!("crates/{name}/index.js"), "// 0\n");
    }
    repo.change("chore: init", &["."]);
    repo.change("feat(a): parse more", &["crates/a"]);
    let v = repo.json();
    assert_eq!(
        decisions(&v),
        [
            // First releases: the version the workspace gives both.
            d("a", "null", "0.4.0", "minor", 2, 1),
            d("b", "null", "0.4.0", "minor", 1, 1),
            d("c", "null", "null", "none", 1, 1),
        ],
        "{v}"
    );
    assert_eq!(v["units"][1]["linked"], serde_json::json!(["a"]));
    repo.git(&["tag", "a-v0.4.0"]);
    repo.git(&["tag", "b-v0.4.0"]);
    repo.change("fix(b): off by one", &["crates/b"]);
    let v = repo.json();
    assert_eq!(v["units"][0]["next"], "0.4.1", "{v}");
    assert_eq!(v["units"][1]["next"], "0.4.1", "{v}");
    assert_eq!(v["units"][2]["next"], serde_json::Value::Null, "{v}");
    let t = repo.release(&[]);
    t.code(0);
    assert!(
        t.stdout.contains("next a-v0.4.1 (patch, linked with b)"),
        "{t}"
    );
}

const PR_PER_UNIT: &str =
    "version: 1\nrelease:\n  units: per-unit\n  trigger: pr\n  linked: [[core, cli]]\n";
const GIT_API: &str = "/repos/octo-org/octo-repo/git";
const PULLS: &str = "/repos/octo-org/octo-repo/pulls";

/// The Git Data and pulls API of a repository whose `main` is at `head` and that has no
/// release branch yet.
fn script_release_pr(mock: &MockGitHub, head: &str) {
    let json_ref = |name: &str, sha: &str| {
        serde_json::json!({ "ref": name, "object": { "type": "commit", "sha": sha } }).to_string()
    };
    mock.on("GET", &format!("{GIT_API}/ref/heads/main"))
        .then(Reply::json(200, json_ref("refs/heads/main", head)));
    mock.on("GET", &format!("{GIT_API}/commits/{head}"))
        .then(Reply::json(
            200,
            serde_json::json!({ "sha": head, "tree": { "sha": "7ree0" }, "message": "fix(web): x", "parents": [] })
                .to_string(),
        ));
    mock.on("GET", &format!("{GIT_API}/ref/heads/slipway/release"))
        .then(Reply::error(404, "Not Found"));
    mock.on("POST", &format!("{GIT_API}/blobs"))
        .then(Reply::json(201, r#"{"sha":"b10b"}"#));
    mock.on("POST", &format!("{GIT_API}/trees"))
        .then(Reply::json(201, r#"{"sha":"7ree1"}"#));
    mock.on("POST", &format!("{GIT_API}/commits"))
        .then(Reply::json(201, r#"{"sha":"c0mm17"}"#));
    mock.on("POST", &format!("{GIT_API}/refs"))
        .then(Reply::json(
            201,
            json_ref("refs/heads/slipway/release", "c0mm17"),
        ));
    mock.on("GET", PULLS).then(Reply::json(200, "[]"));
    mock.on("POST", PULLS)
        .then(Reply::json(201, r#"{"number": 7}"#));
}

fn release_pr(repo: &Mono, mock: &MockGitHub) -> common::Transcript {
    slipway()
        .args(["release", "pr"])
        .arg_path(repo.path())
        .filter_temp(repo.path())
        .in_actions()
        .env("GITHUB_TOKEN", "ghs_mockToken0123456789")
        .env("GITHUB_API_URL", mock.url())
        .env("GITHUB_REPOSITORY", "octo-org/octo-repo")
        .run()
}

fn plan_in_actions(repo: &Mono, notes: &Path) -> common::Transcript {
    slipway()
        .args(["release", "plan", "--notes"])
        .arg_path(notes)
        .arg_path(repo.path())
        .filter_temp(repo.path())
        .in_actions()
        .run()
}

/// Three units, `core` and `cli` linked: `core` gets a feature, `@acme/web` its first release.
fn three_units_to_release() -> Mono {
    let repo = Mono::new(PR_PER_UNIT);
    repo.change("feat(core): search", &["packages/core"]);
    repo.change("fix(web): align the button", &["packages/web"]);
    repo
}

const TAGS: &str = "cli-v0.3.1, core-v1.1.0, @acme/web-v2.0.0";

#[test]
fn release_pr_in_per_unit_mode_opens_one_pull_request_then_its_merge_releases_every_unit() {
    let repo = three_units_to_release();
    let head = repo.git(&["rev-parse", "HEAD"]);
    let mock = MockGitHub::start();
    script_release_pr(&mock, &head);
    let t = release_pr(&repo, &mock);
    t.code(0);
    assert!(
        t.stdout
            .contains("release:  cli: 0.3.0 -> 0.3.1 (cli-v0.3.1)"),
        "{t}"
    );
    assert!(
        t.stdout
            .contains("release:  core: 1.0.0 -> 1.1.0 (core-v1.1.0)"),
        "{t}"
    );
    assert!(
        t.stdout
            .contains("release:  @acme/web: 2.0.0 -> 2.0.0 (@acme/web-v2.0.0)"),
        "{t}"
    );

    // One commit: every changed file as a blob, the tree naming them in the same order.
    let reqs = mock.requests();
    let bodies = |suffix: &str| -> Vec<serde_json::Value> {
        reqs.iter()
            .filter(|r| r.method == "POST" && r.path.ends_with(suffix))
            .map(|r| serde_json::from_str(&r.body).expect("json"))
            .collect()
    };
    let blobs = bodies("/git/blobs");
    let trees = bodies("/git/trees");
    assert_eq!(trees.len(), 1);
    let paths: Vec<&str> = trees[0]["tree"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    // The first release of `@acme/web` is the version its manifest holds: only its changelog.
    assert_eq!(
        paths,
        [
            "packages/cli/CHANGELOG.md",
            "packages/cli/package.json",
            "packages/core/CHANGELOG.md",
            "packages/core/package.json",
            "packages/web/CHANGELOG.md",
        ]
    );
    let files: Vec<(String, String)> = paths
        .iter()
        .zip(&blobs)
        .map(|(p, b)| ((*p).to_owned(), b["content"].as_str().unwrap().to_owned()))
        .collect();
    assert!(
        files[1].1.contains("\"version\": \"0.3.1\""),
        "{}",
        files[1].1
    );
    assert!(
        files[3].1.contains("\"version\": \"1.1.0\""),
        "{}",
        files[3].1
    );
    assert!(files[2].1.contains("## 1.1.0"), "{}", files[2].1);
    assert!(files[2].1.contains("search"), "{}", files[2].1);
    assert!(files[4].1.contains("## 2.0.0"), "{}", files[4].1);
    assert!(!files[4].1.contains("search"), "{}", files[4].1);
    let commits = bodies("/git/commits");
    assert_eq!(commits[0]["message"], format!("chore(release): {TAGS}"));
    let pulls: Vec<serde_json::Value> = bodies("/pulls");
    assert_eq!(pulls.len(), 1);
    let body = pulls[0]["body"].as_str().unwrap();
    for row in [
        "| cli | 0.3.0 | 0.3.1 |",
        "| core | 1.0.0 | 1.1.0 |",
        "| @acme/web | 2.0.0 | 2.0.0 |",
    ] {
        assert!(body.contains(row), "{body}");
    }
    // Nothing changes locally, and a plan before the merge releases nothing.
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
    let notes = repo.path().join("_notes");
    let before = plan_in_actions(&repo, &notes);
    before.code(0);
    assert!(before.outputs.contains("release=false"), "{before}");

    // The merge: the pull request's files land on `main` in one squashed commit.
    for (path, text) in &files {
        repo.write(path, text);
    }
    repo.git(&["add", "-A"]);
    repo.git(&[
        "commit",
        "-q",
        "-m",
        &format!("chore(release): {TAGS} (#7)"),
    ]);
    let t = plan_in_actions(&repo, &notes);
    t.code(0);
    assert!(t.outputs.contains("release=true"), "{t}");
    assert!(
        t.outputs
            .contains("tags=cli-v0.3.1 core-v1.1.0 @acme/web-v2.0.0"),
        "{t}"
    );
    let core = std::fs::read_to_string(notes.join("core-v1.1.0.md")).unwrap();
    assert!(
        core.starts_with("## 1.1.0") && core.contains("search"),
        "{core}"
    );
    assert!(notes.join("cli-v0.3.1.md").is_file());
    assert!(notes.join("@acme%2Fweb-v2.0.0.md").is_file());
    // `release pr` on the merged commit makes no second pull request.
    let again = MockGitHub::start();
    let t = release_pr(&repo, &again);
    t.code(0);
    assert!(t.stderr.contains("merged release commit"), "{t}");
    assert!(again.requests().is_empty(), "{:?}", again.requests());
}

#[test]
fn a_forged_per_unit_release_subject_releases_nothing_and_warns() {
    // The right subject, but no manifest bumped and no changelog written.
    let repo = three_units_to_release();
    repo.write("README.md", "# mono\n\nforged\n");
    repo.git(&["commit", "-qam", &format!("chore(release): {TAGS}")]);
    let notes = repo.path().join("_notes");
    let t = plan_in_actions(&repo, &notes);
    t.code(0);
    assert!(t.outputs.contains("release=false"), "{t}");
    assert!(
        t.outputs.contains("tags=\n") || t.outputs.ends_with("tags="),
        "{t}"
    );
    assert!(
        t.stderr
            .contains("says it releases `cli-v0.3.1`, but `packages/cli/package.json` holds `0.3.0`, not `0.3.1`"),
        "{t}"
    );
    assert!(!notes.exists());

    // A subject naming versions the commits do not call for, with the manifests set to them.
    let repo = three_units_to_release();
    repo.write(
        "packages/core/package.json",
        "{\n  \"name\": \"core\",\n  \"version\": \"9.0.0\"\n}\n",
    );
    repo.write(
        "packages/core/CHANGELOG.md",
        "# Changelog\n\n## 9.0.0\n\n- all\n",
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "chore(release): core-v9.0.0"]);
    let t = plan_in_actions(&repo, &notes);
    t.code(0);
    assert!(t.outputs.contains("release=false"), "{t}");
    assert!(
        t.stderr.contains(
            "says it releases core-v9.0.0, but the commits call for `cli-v0.3.1`, `core-v1.1.0`, `@acme/web-v2.0.0`"
        ),
        "{t}"
    );
}

/// The tag endpoints of the mock: refs read, annotated tags and refs created; a tag made here
/// reads back as a ref to the target.
fn serve_tags(mock: &MockGitHub, tags: &[&str]) -> Arc<Mutex<Vec<String>>> {
    let made = Arc::new(Mutex::new(Vec::<String>::new()));
    let git = "/repos/octo-org/octo-repo/git";
    for tag in tags {
        let (m, tag) = (made.clone(), (*tag).to_owned());
        mock.handle("GET", &format!("{git}/ref/tags/{tag}"), move |_| {
            if m.lock().unwrap().contains(&tag) {
                let mut v: serde_json::Value =
                    serde_json::from_str(&fixture("git-ref.json")).unwrap();
                v["ref"] = format!("refs/tags/{tag}").into();
                v["object"]["type"] = "commit".into();
                v["object"]["sha"] = TARGET.into();
                Reply::json(200, v.to_string())
            } else {
                Reply::error(404, "Not Found")
            }
        });
    }
    mock.handle("POST", &format!("{git}/tags"), |req| {
        let asked: serde_json::Value = serde_json::from_str(&req.body).unwrap();
        let mut v: serde_json::Value = serde_json::from_str(&fixture("git-tag.json")).unwrap();
        v["tag"] = asked["tag"].clone();
        v["object"]["sha"] = asked["object"].clone();
        Reply::json(201, v.to_string())
    });
    let m = made.clone();
    mock.handle("POST", &format!("{git}/refs"), move |req| {
        let asked: serde_json::Value = serde_json::from_str(&req.body).unwrap();
        let name = asked["ref"]
            .as_str()
            .unwrap()
            .trim_start_matches("refs/tags/");
        m.lock().unwrap().push(name.to_owned());
        let mut v: serde_json::Value = serde_json::from_str(&fixture("git-ref.json")).unwrap();
        v["ref"] = asked["ref"].clone();
        Reply::json(201, v.to_string())
    });
    made
}

const TARGET: &str = "4c8f2bd9a1e0c7b6d5e4f3a2b1c0d9e8f7a6b5c4";

fn publish_tags(mock: &MockGitHub, tags: &str, notes: &Path) -> common::Transcript {
    slipway()
        .args([
            "release",
            "publish",
            "--tags",
            tags,
            "--target",
            TARGET,
            "--notes-dir",
        ])
        .arg_path(notes)
        .filter_temp(notes)
        .env("GITHUB_TOKEN", "ghs_mockToken0123456789")
        .env("GITHUB_API_URL", mock.url())
        .env("GITHUB_REPOSITORY", "octo-org/octo-repo")
        .run()
}

#[test]
fn publish_with_tags_releases_each_tag_with_its_notes_and_a_rerun_finishes_without_doubles() {
    let notes = tempfile::tempdir().expect("temp dir");
    for (tag, text) in [
        ("cli-v0.3.1", "## 0.3.1\n\n- linked\n"),
        ("core-v1.1.0", "## 1.1.0\n\n- search\n"),
        ("web-v2.0.0", "## 2.0.0\n\n- align\n"),
    ] {
        std::fs::write(notes.path().join(format!("{tag}.md")), text).unwrap();
    }
    let tags = "cli-v0.3.1 core-v1.1.0 web-v2.0.0";
    let mock = MockGitHub::start();
    let made = serve_tags(&mock, &["cli-v0.3.1", "core-v1.1.0", "web-v2.0.0"]);
    let releases = serve(&mock, 3);
    releases.lock().unwrap().fail_publish = Some("core-v1.1.0".to_owned());

    // The second publish fails: the first stays published and the error says so.
    let t = publish_tags(&mock, tags, notes.path());
    assert_ne!(t.code, Some(0), "{t}");
    assert!(t.stderr.contains("published already: cli-v0.3.1"), "{t}");
    assert!(!t.to_string().contains("ghs_mockToken"), "{t}");

    // The re-run finishes: no tag or release is made twice.
    let t = publish_tags(&mock, tags, notes.path());
    t.code(0);
    assert!(
        t.stdout.contains("tag:      cli-v0.3.1 (there already)"),
        "{t}"
    );
    assert!(
        t.stdout.contains("tag:      core-v1.1.0 (there already)"),
        "{t}"
    );
    assert!(t.stdout.contains("tag:      web-v2.0.0 (created)"), "{t}");
    assert_eq!(
        *made.lock().unwrap(),
        ["cli-v0.3.1", "core-v1.1.0", "web-v2.0.0"]
    );
    let list = releases.lock().unwrap().list.clone();
    let got: Vec<(String, String, bool)> = list
        .iter()
        .map(|r| {
            (
                r["tag_name"].as_str().unwrap().to_owned(),
                r["body"].as_str().unwrap().to_owned(),
                r["draft"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("cli-v0.3.1".into(), "## 0.3.1\n\n- linked\n".into(), false),
            ("core-v1.1.0".into(), "## 1.1.0\n\n- search\n".into(), false),
            ("web-v2.0.0".into(), "## 2.0.0\n\n- align\n".into(), false),
        ]
    );

    // `--tags` with nothing in it is a usage error naming what to pass.
    let t = publish_tags(&mock, " ", notes.path());
    t.code(2);
    assert!(t.stderr.contains("`--tags` names no tag"), "{t}");
}
