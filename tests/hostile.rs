//! A hostile repository: names with control characters, line breaks, quotes and `${{`,
//! symbolic links that leave the checkout (manifests, changelog, output directories), odd
//! encodings and a huge file, built at run time (git and other platforms mangle such names when
//! committed). Every command runs over it: no panic, no write outside the repository, no
//! structure injected into a workflow, a clear error.

mod common;

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use common::git;
use common::github_mock::{MockGitHub, Reply, fixture};
use common::slipway;

const SECRET: &str = "GITHUB_TOKEN=ghs_outsideSecret0123456789";

/// A temp dir holding `repo/` (the checkout) and `outside/` (what must never be read or
/// written: a secret file and an empty directory).
struct Scene {
    dir: tempfile::TempDir,
}

impl Scene {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("repo")).expect("repo");
        std::fs::create_dir_all(dir.path().join("outside/dir")).expect("outside");
        std::fs::write(dir.path().join("outside/secret"), SECRET).expect("secret");
        Self { dir }
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("repo")
    }

    fn outside(&self) -> PathBuf {
        self.dir.path().join("outside")
    }

    fn write(&self, rel: &str, text: &str) {
        let path = self.repo().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }

    fn link(&self, rel: &str, target: impl AsRef<Path>) {
        let path = self.repo().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        symlink(target, path).expect("symlink");
    }

    /// Everything under `outside/`, by relative path and content: it must never change.
    fn outside_state(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        let mut stack = vec![self.outside()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("list") {
                let path = entry.expect("entry").path();
                let rel = path
                    .strip_prefix(self.outside())
                    .expect("inside")
                    .display()
                    .to_string();
                if path.is_dir() {
                    stack.push(path);
                    out.push((rel, String::new()));
                } else {
                    out.push((rel, std::fs::read_to_string(&path).unwrap_or_default()));
                }
            }
        }
        out.sort();
        out
    }

    fn init_git(&self) {
        let repo = self.repo();
        git(&repo, &["init", "-q", "-b", "main"]);
        git(&repo, &["config", "commit.gpgSign", "false"]);
        git(&repo, &["config", "tag.gpgSign", "false"]);
    }
}

fn pristine() -> Vec<(String, String)> {
    vec![
        ("dir".to_owned(), String::new()),
        ("secret".to_owned(), SECRET.to_owned()),
    ]
}

// ----- symbolic links: never read, written or published through -----

#[test]
fn release_refuses_a_changelog_that_links_out_and_publishes_nothing() {
    for target in [None, Some("/proc/self/environ")] {
        let scene = Scene::new();
        let remote = tempfile::tempdir().expect("remote");
        git(remote.path(), &["init", "-q", "--bare", "-b", "main"]);
        scene.init_git();
        let repo = scene.repo();
        match target {
            Some(t) => scene.link("CHANGELOG.md", t),
            None => scene.link("CHANGELOG.md", scene.outside().join("secret")),
        }
        git(&repo, &["add", "."]);
        git(&repo, &["commit", "-q", "-m", "chore: init"]);
        git(&repo, &["tag", "v1.0.0"]);
        git(
            &repo,
            &["commit", "-q", "--allow-empty", "-m", "feat: more"],
        );
        git(
            &repo,
            &[
                "remote",
                "add",
                "origin",
                &remote.path().display().to_string(),
            ],
        );
        let mock = MockGitHub::start();
        let releases = "/repos/octo-org/octo-repo/releases";
        mock.on("GET", releases).then(Reply::json(200, "[]"));
        mock.on("POST", releases)
            .then(Reply::json(201, fixture("release-draft.json")));
        let t = slipway()
            .args(["release"])
            .arg_path(&repo)
            .env("CI", "true")
            .env("GITHUB_TOKEN", "ghs_mockToken0123456789")
            .env("GITHUB_API_URL", mock.url())
            .env("GITHUB_REPOSITORY", "octo-org/octo-repo")
            .run();
        t.code(2);
        assert!(t.stderr.contains("symbolic link"), "{t}");
        assert!(!t.to_string().contains("ghs_"), "{t}");
        // Nothing committed, tagged, pushed or published.
        assert_eq!(git(&repo, &["log", "-1", "--format=%s"]), "feat: more");
        assert_eq!(git(&repo, &["tag"]), "v1.0.0");
        assert_eq!(git(remote.path(), &["tag"]), "");
        assert!(mock.requests().iter().all(|r| r.method == "GET"), "{t}");
        assert_eq!(scene.outside_state(), pristine());
    }
}

#[test]
fn gen_workflows_refuses_output_directories_that_link_out() {
    for (link, rel) in [
        (".github/workflows", ".github/workflows"),
        (".github", ".github/workflows"),
    ] {
        let scene = Scene::new();
        scene.write("go.mod", "module example.com/app\n\ngo 1.22\n");
        scene.link(link, scene.outside().join("dir"));
        // The repository named absolutely, and relatively to the working directory.
        for (cwd, arg) in [
            (scene.repo(), scene.repo()),
            (scene.dir.path().to_path_buf(), PathBuf::from("repo")),
            (scene.repo(), PathBuf::from(".")),
        ] {
            let t = slipway()
                .args(["gen-workflows"])
                .arg_path(&arg)
                .current_dir(&cwd)
                .run();
            t.code(2);
            assert!(t.stderr.contains("symbolic link"), "{link} {arg:?}: {t}");
            assert!(t.stderr.contains(rel) || t.stderr.contains(link), "{t}");
            assert_eq!(scene.outside_state(), pristine(), "{link}");
            assert!(
                !scene.repo().join("repo").exists(),
                "{arg:?}: wrote a nested copy"
            );
        }
    }
}

#[test]
fn a_workflow_file_that_links_out_is_neither_read_nor_replaced() {
    let scene = Scene::new();
    scene.write("go.mod", "module example.com/app\n\ngo 1.22\n");
    scene.link(".github/workflows/ci.yml", scene.outside().join("secret"));
    for args in [
        &["gen-workflows"][..],
        &["gen-workflows", "--check"],
        &["gen-workflows", "--force"],
    ] {
        let t = slipway().args(args).arg_path(scene.repo()).run();
        t.code(2);
        assert!(t.stderr.contains("symbolic link"), "{args:?}: {t}");
        assert!(!t.to_string().contains("ghs_"), "{t}");
        assert_eq!(scene.outside_state(), pristine(), "{args:?}");
    }
}

#[test]
fn state_and_report_directories_that_link_out_are_refused() {
    let scene = Scene::new();
    scene.write("go.mod", "module example.com/app\n\ngo 1.22\n");
    scene.write(
        "report.xml",
        "<testsuites><testsuite name=\"a\"><testcase name=\"t\"/></testsuite></testsuites>\n",
    );
    scene.link(".slipway", scene.outside().join("dir"));
    let runs = [
        vec!["run-tests", "--skip-run", "--results", "report.xml"],
        vec!["security-scan", "baseline"],
    ];
    for args in runs {
        let t = slipway()
            .args(&args)
            .arg_path(scene.repo())
            .current_dir(scene.repo())
            .run();
        assert_ne!(t.code, Some(0), "{args:?}: {t}");
        assert!(t.stderr.contains("symbolic link"), "{args:?}: {t}");
        assert_eq!(scene.outside_state(), pristine(), "{args:?}");
    }
}

// ----- line breaks and control characters never add structure -----

/// Characters that end a line for some YAML parser or are not allowed in a scalar.
/// (NUL cannot be in a file name; it is covered where strings come from the config.)
const BREAKERS: [&str; 8] = [
    "\r", "\n", "\u{85}", "\u{2028}", "\u{2029}", "\t", "\u{1b}", "\u{7f}",
];

/// Every `*.yml` under `dir`, parsed: workflow name to (jobs, each job's keys and permissions).
fn structure(dir: &Path) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("read");
        let doc: serde_json::Value = serde_saphyr::from_str(&text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}\n{text}", path.display()));
        let mut keys = Vec::new();
        for (k, v) in doc.as_object().expect("a mapping") {
            keys.push(format!("top {k}"));
            if k == "permissions" || k == "env" {
                keys.push(format!("top {k} = {v}"));
            }
        }
        for (job, body) in doc["jobs"].as_object().into_iter().flatten() {
            for (k, v) in body.as_object().expect("a job") {
                keys.push(format!("{job}.{k}"));
                if k == "permissions" {
                    keys.push(format!("{job}.permissions = {v}"));
                }
            }
        }
        keys.sort();
        out.push((
            path.file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned(),
            keys,
        ));
    }
    out.sort();
    out
}

#[test]
fn control_characters_in_directory_names_never_add_jobs_or_permissions() {
    let benign = {
        let scene = Scene::new();
        scene.write(
            "api/package.json",
            "{\"name\":\"api\",\"scripts\":{\"test\":\"node t.js\"}}",
        );
        scene.write(
            "web/package.json",
            "{\"name\":\"web\",\"scripts\":{\"test\":\"node t.js\"}}",
        );
        slipway()
            .args(["gen-workflows"])
            .arg_path(scene.repo())
            .run()
            .code(0);
        structure(&scene.repo().join(".github/workflows"))
    };
    assert!(!benign.is_empty());
    for breaker in BREAKERS {
        let scene = Scene::new();
        scene.write(
            "api/package.json",
            "{\"name\":\"api\",\"scripts\":{\"test\":\"node t.js\"}}",
        );
        let name = format!(
            "web{b}  pwn:{b}    runs-on: ubuntu-latest{b}    permissions: write-all{b}    steps: [{{run: env}}]{b}#",
            b = breaker
        );
        scene.write(
            &format!("{name}/package.json"),
            "{\"name\":\"web\",\"scripts\":{\"test\":\"node t.js\"}}",
        );
        let t = slipway()
            .args(["gen-workflows"])
            .arg_path(scene.repo())
            .run();
        let written = scene.repo().join(".github/workflows");
        match t.code {
            Some(0) => {
                let got = structure(&written);
                for (file, keys) in &got {
                    assert!(
                        !keys
                            .iter()
                            .any(|k| k.contains("pwn") || k.contains("write-all")),
                        "{breaker:?}: {file}: {keys:?}"
                    );
                }
            }
            Some(2) => {
                assert!(
                    t.stderr.contains("control character")
                        || t.stderr.contains("how the workflow parses"),
                    "{breaker:?}: {t}"
                );
                assert!(
                    !written.exists(),
                    "{breaker:?}: nothing may be written\n{t}"
                );
            }
            _ => panic!("{breaker:?}: {t}"),
        }
    }
}

#[test]
fn config_validate_refuses_what_a_run_would_refuse() {
    let cases: Vec<(String, &str)> =
        vec![
        (
            "release:\n  changelog: ../x.md\n".into(),
            "release.changelog",
        ),
        (
            "project:\n  default-branch: \"a: b\"\n".into(),
            "project.default-branch",
        ),
        (
            "environments:\n  prod:\n    branch: \"main #x\"\n".into(),
            "environments.prod.branch",
        ),
        ("release:\n  tag-prefix: \"v:\"\n".into(), "release.tag-prefix"),
        (
            "release:\n  changelog: /etc/passwd\n".into(),
            "release.changelog",
        ),
        (
            "release:\n  changelog: docs/../../x.md\n".into(),
            "release.changelog",
        ),
        (
            "security:\n  baseline: /tmp/base.json\n".into(),
            "security.baseline",
        ),
        (
            "project:\n  name: \"app\\r\\non: push\"\n".into(),
            "project.name",
        ),
        ("project:\n  name: \"app\\u2028x\"\n".into(), "project.name"),
        (
            "project:\n  default-branch: \"main\\njobs:\"\n".into(),
            "project.default-branch",
        ),
        (
            "release:\n  tag-prefix: \"v\\u0085env:\"\n".into(),
            "release.tag-prefix",
        ),
        (
            "environments:\n  prod:\n    branch: \"main\\r  permissions: write-all\"\n".into(),
            "environments.prod.branch",
        ),
        (
            "environments:\n  prod:\n    branch: main\n    env: { PATH: /tmp }\n".into(),
            "PATH",
        ),
        (
            "environments:\n  prod:\n    branch: main\n    env: { LD_PRELOAD: x.so }\n".into(),
            "LD_PRELOAD",
        ),
        (
            "environments:\n  prod:\n    branch: main\n    env: { \"A\\nB\": x }\n".into(),
            "environments.prod.env",
        ),
        (
            "environments:\n  prod:\n    branch: main\n    env: { A: \"${{ github.token }}\" }\n"
                .into(),
            "${{",
        ),
        (
            "environments:\n  prod:\n    branch: main\n    env: { A: \"x\\nBASH_ENV=y\" }\n".into(),
            "one line",
        ),
    ];
    for (yaml, expected) in &cases {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("slipway.yml"), yaml).expect("write");
        let t = slipway()
            .args(["config", "validate"])
            .current_dir(dir.path())
            .run();
        t.code(2);
        assert!(
            t.stderr.contains(expected),
            "{yaml:?}: expected `{expected}`\n{t}"
        );
        assert!(
            t.stderr.contains("slipway.yml:"),
            "{yaml:?}: names the line\n{t}"
        );
    }
}

// ----- every command over one hostile repository -----

/// Builds the hostile repository: links out of it for manifests, the changelog, the config and
/// the output directories; names with line breaks, quotes and `${{`; a file name that is not
/// UTF-8; a UTF-16 manifest; a 3 GiB sparse lockfile. A git history with one commit.
fn hostile_repository(scene: &Scene) {
    use std::os::unix::ffi::OsStrExt as _;
    let repo = scene.repo();
    let manifest = "{\"name\":\"x\",\"scripts\":{\"test\":\"node t.js\"}}";
    scene.write("api/package.json", manifest);
    scene.write("api/t.js", "");
    for name in [
        "q\"uote'${{ github.token }}",
        "nl\nx:\n  permissions: write-all",
        "cr\r  pwn: 1",
        "ls\u{2028}env:\u{2028}  BASH_ENV: /tmp/x",
        "-dash --flag",
        "wc\n::error file=x::forged\n::stop-commands::t",
    ] {
        scene.write(&format!("{name}/package.json"), manifest);
    }
    let latin1 = repo.join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    std::fs::create_dir_all(&latin1).expect("latin-1 dir");
    std::fs::write(
        latin1.join("Cargo.toml"),
        "[package]\nname = \"x\"\nversion = \"0.1.0\"\n",
    )
    .expect("cargo");
    let utf16: Vec<u8> = "\u{feff}{\"name\":\"w\"}"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    std::fs::create_dir_all(repo.join("utf16")).expect("dir");
    std::fs::write(repo.join("utf16/package.json"), utf16).expect("utf16");
    let huge = std::fs::File::create(repo.join("api/package-lock.json")).expect("huge");
    huge.set_len(3 << 30).expect("sparse");
    scene.link("go.mod", scene.outside().join("secret"));
    scene.link("pyproject.toml", "/proc/self/environ");
    scene.link("svc/Cargo.toml", scene.outside().join("secret"));
    scene.link("CHANGELOG.md", "/proc/self/environ");
    scene.link(".slipway", scene.outside().join("dir"));
    scene.link(".github/workflows", scene.outside().join("dir"));
    scene.link("_slipway", scene.outside().join("dir"));
    scene.init_git();
    git(
        &repo,
        &["commit", "-q", "--allow-empty", "-m", "feat: first"],
    );
}

#[test]
fn every_command_over_a_hostile_repository_fails_clearly_and_writes_nothing_outside() {
    let scene = Scene::new();
    hostile_repository(&scene);
    let repo = scene.repo();
    let commands: Vec<Vec<&str>> = vec![
        vec!["detect"],
        vec!["detect", "--json"],
        vec!["init", "--stdout"],
        vec!["config", "validate"],
        vec!["gen-workflows"],
        vec!["gen-workflows", "--check"],
        vec!["gen-workflows", "--dry-run"],
        vec!["gen-workflows", "--force"],
        vec!["security-scan", "--no-dependencies"],
        vec![
            "security-scan",
            "--no-dependencies",
            "--sarif",
            "_slipway/x.sarif",
        ],
        vec!["security-scan", "baseline"],
        vec!["run-tests", "--skip-run"],
        vec!["release", "--dry-run"],
        vec!["release", "plan", "--notes", ".slipway/notes.md"],
        vec!["quality", "gate", "--report", "_slipway/quality"],
        vec!["setup-environment"],
        vec!["setup-environment", "--json"],
        vec!["deploy", "status", "--env", "staging", "--json"],
        vec!["deploy", "window", "--env", "staging"],
        vec!["init", "--force"],
        vec!["config", "validate"],
    ];
    let mut tried = 0;
    for args in &commands {
        let t = slipway()
            .args(args)
            .current_dir(&repo)
            .env("GITHUB_TOKEN", "ghs_ambientToken0123456789")
            .run();
        tried += 1;
        let text = t.to_string();
        assert!(
            matches!(t.code, Some(0..=2)),
            "{args:?}: ended by a signal or an odd code\n{t}"
        );
        assert!(!text.contains("panicked"), "{args:?}: a panic\n{t}");
        assert!(
            !text.contains("ghs_"),
            "{args:?}: a secret was printed\n{t}"
        );
        // Human output may show hostile names, but never as a workflow command or with a raw
        // carriage return that rewrites the line in a log.
        for line in t.stdout.lines().chain(t.stderr.lines()) {
            assert!(
                !line.trim_start().starts_with("::"),
                "{args:?}: {line:?}\n{t}"
            );
            assert!(!line.contains('\r'), "{args:?}: {line:?}\n{t}");
        }
        if t.code == Some(2) {
            assert!(
                t.stderr.starts_with("error: "),
                "{args:?}: an unclear error\n{t}"
            );
        }
        assert_eq!(
            scene.outside_state(),
            pristine(),
            "{args:?} wrote outside\n{t}"
        );
    }
    assert_eq!(tried, commands.len());
    // Whatever was written inside parses and grants nothing new.
    for (file, keys) in structure(&repo.join(".github/workflows")) {
        assert!(
            !keys.iter().any(|k| k.contains("write-all")),
            "{file}: {keys:?}"
        );
    }
    assert!(
        repo.join("CHANGELOG.md").is_symlink(),
        "the link is left alone"
    );
}

#[test]
fn a_config_that_links_out_is_refused_and_never_shown() {
    for target in [None, Some("/proc/self/environ")] {
        let scene = Scene::new();
        match target {
            Some(t) => scene.link("slipway.yml", t),
            None => scene.link("slipway.yml", scene.outside().join("secret")),
        }
        for args in [&["config", "validate"][..], &["gen-workflows", "--check"]] {
            let t = slipway()
                .args(args)
                .current_dir(scene.repo())
                .env("GITHUB_TOKEN", "ghs_ambientToken0123456789")
                .run();
            t.code(2);
            assert!(t.stderr.contains("symbolic link"), "{args:?}: {t}");
            assert!(!t.to_string().contains("ghs_"), "{args:?}: {t}");
        }
        assert_eq!(scene.outside_state(), pristine());
    }
}
