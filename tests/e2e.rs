//! The generated pipelines run: for every fixture repository in `tests/fixtures/e2e/`,
//! `scripts/try-pipeline` renders the workflows with the built binary and runs their jobs under
//! act in host mode (slipway's actions from this checkout, third-party actions replaced by the
//! stand-ins in `tests/e2e/stand-ins/`). Each fixture must end green, and turn red in the right
//! job with the right message when its `break` is applied. The stand-ins themselves are tested
//! to fail where the real actions fail.
//!
//! `tests/fixtures/e2e/cases.toml` describes each fixture; a fixture whose toolchain cannot run
//! on this machine (`runs_here = false`) is checked by its exact generated commands instead.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixtures() -> PathBuf {
    root().join("tests/fixtures/e2e")
}

/// One run of `scripts/try-pipeline`: its exit code, printed table and JSON report.
struct Tried {
    code: Option<i32>,
    table: String,
    stderr: String,
    report: Value,
}

impl Tried {
    /// Every job row of every workflow.
    fn jobs(&self) -> Vec<&Value> {
        self.report["workflows"]
            .as_object()
            .into_iter()
            .flat_map(|w| w.values())
            .flat_map(|w| w["jobs"].as_array().into_iter().flatten())
            .collect()
    }

    fn logs(&self) -> String {
        self.report["workflows"]
            .as_object()
            .into_iter()
            .flat_map(|w| w.values())
            .filter_map(|w| w["log"].as_str())
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .collect()
    }

    fn describe(&self) -> String {
        format!(
            "exit {:?}\n{}\n--- stderr\n{}\n--- logs (last 200 lines)\n{}",
            self.code,
            self.table,
            self.stderr,
            self.logs()
                .lines()
                .rev()
                .take(200)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n")
        )
    }
}

/// Runs `scripts/try-pipeline` on `repo` with `args`; `None` when act is not installed and
/// `SLIPWAY_SKIP_ACT` says to skip.
fn try_pipeline(repo: &Path, args: &[&str]) -> Option<Tried> {
    let act = common::act::act()?;
    let out_dir = tempfile::tempdir().expect("tempdir");
    let json = out_dir.path().join("report.json");
    let work = out_dir.path().join("work");
    let mut cmd = Command::new(root().join("scripts/try-pipeline"));
    cmd.args(args)
        .arg("--json")
        .arg(&json)
        .arg("--work")
        .arg(&work)
        .arg(repo)
        .env("SLIPWAY_BIN", common::bin())
        .env("SLIPWAY_ACT", &act)
        .env(
            "SLIPWAY_E2E_CACHE",
            std::env::var_os("SLIPWAY_E2E_CACHE")
                .unwrap_or_else(|| root().join("target/e2e-cache").into_os_string()),
        )
        .env_remove("CARGO_TARGET_DIR");
    if let Some(venv) = act.parent().and_then(Path::parent) {
        cmd.env("SLIPWAY_VALIDATORS", venv);
    }
    let out = cmd.output().expect("scripts/try-pipeline");
    let report = std::fs::read_to_string(&json)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let tried = Tried {
        code: out.status.code(),
        table: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        report,
    };
    // The working directory holds the logs the report points at; keep them until the
    // assertions ran by leaking the temp dir only on failure paths (dropped at process exit).
    std::mem::forget(out_dir);
    Some(tried)
}

/// A case of `cases.toml`.
fn case(name: &str) -> toml::Table {
    let text = std::fs::read_to_string(fixtures().join("cases.toml")).expect("cases.toml");
    let cases: toml::Table = toml::from_str(&text).expect("cases.toml parses");
    cases
        .get(name)
        .and_then(|c| c.as_table())
        .unwrap_or_else(|| panic!("no case `{name}` in cases.toml"))
        .clone()
}

fn str_of<'a>(t: &'a toml::Table, key: &str) -> &'a str {
    t.get(key).and_then(|v| v.as_str()).unwrap_or_default()
}

/// The whole pipeline of one fixture is green; every deliberate breakage turns the named ci
/// job red with the named message.
fn green_then_red(name: &str) {
    let case = case(name);
    let repo = fixtures().join(name);
    assert!(repo.is_dir(), "{} is missing", repo.display());
    if case.get("runs_here").and_then(|v| v.as_bool()) == Some(false) {
        exact_commands(name, &case);
        return;
    }
    // Versions a hosted runner installs that this machine lacks (`python:3.14=3.13`).
    let mut base: Vec<String> = Vec::new();
    for sub in case
        .get("substitute")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str())
    {
        base.push("--substitute".into());
        base.push(sub.into());
    }
    // A fixture that deploys: cd runs too, to a hosts target behind a local nginx.
    let deploy: Vec<&str> = match case.get("deploy").and_then(|v| v.as_str()) {
        Some(start) => vec!["--deploy", start],
        None => Vec::new(),
    };
    let base: Vec<&str> = base.iter().map(String::as_str).collect();
    let Some(green) = try_pipeline(&repo, &[base.clone(), deploy.clone()].concat()) else {
        return;
    };
    assert_eq!(
        green.code,
        Some(0),
        "{name} is not green:\n{}",
        green.describe()
    );
    let jobs = green.jobs();
    for job in &jobs {
        let result = job["result"].as_str().unwrap_or_default();
        assert!(
            matches!(result, "green" | "skipped" | "n/a"),
            "{name}: {job}\n{}",
            green.describe()
        );
    }
    if case.contains_key("deploy") {
        assert!(
            jobs.iter()
                .any(|j| j["job"] == "through-nginx" && j["result"] == "green"),
            "{name}: the deployed app does not answer through nginx:\n{}",
            green.describe()
        );
    }
    // Green must mean something: the ci tests ran and passed (not skipped, not n/a).
    let ci: Vec<&&Value> = jobs.iter().filter(|j| j["workflow"] == "ci").collect();
    assert!(
        ci.iter().any(|j| {
            j["job"].as_str().unwrap_or_default().starts_with("test") && j["result"] == "green"
        }),
        "{name}: no green test job in ci:\n{}",
        green.describe()
    );
    for (key, value) in &case {
        if !key.starts_with("break") {
            continue;
        }
        let b = value.as_table().expect("a break table");
        let (file, find, replace) = (str_of(b, "file"), str_of(b, "find"), str_of(b, "replace"));
        let (job, message) = (str_of(b, "job"), str_of(b, "message"));
        let workflow = b.get("workflow").and_then(|v| v.as_str()).unwrap_or("ci");
        let mut args = base.clone();
        if workflow == "cd" {
            args.extend(&deploy);
        }
        args.extend(["--workflows", workflow, "--break", file, find, replace]);
        let Some(red) = try_pipeline(&repo, &args) else {
            return;
        };
        assert_eq!(red.code, Some(1), "{name} [{key}]:\n{}", red.describe());
        let failed: Vec<&str> = red
            .jobs()
            .iter()
            .filter(|j| j["result"] == "red")
            .filter_map(|j| j["job"].as_str())
            .collect();
        assert!(
            failed.iter().any(|j| j.starts_with(job)),
            "{name} [{key}]: no `{job}` job failed (failed: {failed:?}):\n{}",
            red.describe()
        );
        assert!(
            red.logs().contains(message),
            "{name} [{key}]: `{message}` is not in the logs:\n{}",
            red.describe()
        );
    }
}

/// A fixture that cannot run here: the workflows render, and the commands a runner would run
/// are exactly the ones listed in the case (`commands`).
fn exact_commands(name: &str, case: &toml::Table) {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    copy_dir(&fixtures().join(name), &repo);
    let t = common::slipway()
        .args(["gen-workflows"])
        .current_dir(&repo)
        .run();
    t.code(0);
    let ci = std::fs::read_to_string(repo.join(".github/workflows/ci.yml")).expect("ci.yml");
    for command in case
        .get("commands")
        .and_then(|c| c.as_array())
        .into_iter()
        .flatten()
        .filter_map(|c| c.as_str())
    {
        assert!(
            ci.contains(command),
            "{name}: `{command}` is not in ci.yml:\n{ci}"
        );
    }
}

fn copy_dir(from: &Path, to: &Path) {
    let ok = Command::new("cp")
        .arg("-R")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp")
        .success();
    assert!(ok, "copying {}", from.display());
}

macro_rules! fixtures {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                green_then_red($name);
            }
        )*

        /// Every fixture directory has a case and a test, and every case a directory.
        #[test]
        fn every_fixture_has_a_case_and_a_test() {
            let tested: std::collections::BTreeSet<&str> = [$($name),*].into_iter().collect();
            let text = std::fs::read_to_string(fixtures().join("cases.toml")).expect("cases.toml");
            let cases: toml::Table = toml::from_str(&text).expect("cases.toml parses");
            let dirs: std::collections::BTreeSet<String> = std::fs::read_dir(fixtures())
                .expect("fixtures")
                .flatten()
                .filter(|e| e.path().is_dir())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            let listed: std::collections::BTreeSet<String> = cases.keys().cloned().collect();
            assert_eq!(dirs, listed, "directories and cases.toml differ");
            let tested: std::collections::BTreeSet<String> = tested.into_iter().map(str::to_owned).collect();
            assert_eq!(tested, listed, "tests/e2e.rs and cases.toml differ");
        }
    };
}

fixtures! {
    rust_workspace_goes_green_and_red_where_broken => "rust-workspace",
    rust_library_goes_green_and_red_where_broken => "rust-lib",
    go_library_goes_green_and_red_where_broken => "go-lib",
    go_service_goes_green_and_red_where_broken => "go-service",
    npm_mocha_app_goes_green_and_red_where_broken => "npm-mocha",
    pnpm_monorepo_goes_green_and_red_where_broken => "pnpm-monorepo",
    go_service_deployed_behind_nginx_goes_green_and_red_where_broken => "go-hosts",
    poetry_package_goes_green_and_red_where_broken => "poetry-pkg",
    uv_workspace_goes_green_and_red_where_broken => "uv-workspace",
    django_on_postgres_goes_green_and_red_where_broken => "django-pg",
    next_app_goes_green_and_red_where_broken => "next-app",
    polyglot_compose_repository_goes_green_and_red_where_broken => "polyglot-compose",
    maven_multi_module_build_goes_green_and_red_where_broken => "maven-multi",
    rails_on_postgres_goes_green_and_red_where_broken => "rails-pg",
    laravel_style_php_and_typescript_root_renders_its_exact_commands => "laravel-ts",
    gradle_build_renders_its_exact_commands => "gradle-app",
}

// ---------------------------------------------------------------------------------------------
// The stand-ins fail where the real actions fail.

/// A repository with one hand-written workflow, run as it is (`--existing`).
fn existing(workflow: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let repo = dir.path().join("repo");
    for (path, text) in files
        .iter()
        .chain([(".github/workflows/ci.yml", workflow)].iter())
    {
        let p = repo.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    (dir, repo)
}

fn pinned(action: &str) -> String {
    let pins = slipway::generate::pins::Pins::embedded();
    pins.uses(action)
        .expect("pinned")
        .split(" #")
        .next()
        .expect("uses")
        .to_owned()
}

fn job_result(tried: &Tried, job: &str) -> String {
    tried
        .jobs()
        .iter()
        .find(|j| j["job"] == job)
        .and_then(|j| j["result"].as_str())
        .unwrap_or("missing")
        .to_owned()
}

#[test]
fn setup_stand_ins_fail_for_versions_this_machine_cannot_provide() {
    let (node, python, java) = (
        pinned("actions/setup-node"),
        pinned("actions/setup-python"),
        pinned("actions/setup-java"),
    );
    let workflow = format!(
        r#"name: ci
on: push
permissions: {{}}
jobs:
  node-99:
    runs-on: ubuntu-24.04
    steps:
      - uses: {node}
        with: {{ node-version: "99" }}
  python-pep440-range:
    runs-on: ubuntu-24.04
    steps:
      - uses: {python}
        with: {{ python-version: ">=3.10,<4.0" }}
  java-unknown-distribution:
    runs-on: ubuntu-24.04
    steps:
      - uses: {java}
        with: {{ distribution: openjdk, java-version: "17" }}
  python-installed:
    runs-on: ubuntu-24.04
    steps:
      - id: py
        uses: {python}
        with: {{ python-version: "3.x" }}
      - env: {{ V: "${{{{ steps.py.outputs.python-version }}}}" }}
        run: python --version | grep -F "$V"
"#
    );
    let (_dir, repo) = existing(&workflow, &[]);
    let Some(t) = try_pipeline(&repo, &["--existing", "--workflows", "ci"]) else {
        return;
    };
    assert_eq!(t.code, Some(1), "{}", t.describe());
    for job in [
        "node-99",
        "python-pep440-range",
        "java-unknown-distribution",
    ] {
        assert_eq!(job_result(&t, job), "red", "{job}: {}", t.describe());
    }
    assert_eq!(
        job_result(&t, "python-installed"),
        "green",
        "{}",
        t.describe()
    );
    let logs = t.logs();
    assert!(logs.contains("Unable to find Node version '99'"), "{logs}");
    assert!(
        logs.contains("The version '>=3.10,<4.0' with architecture 'x64' was not found"),
        "{logs}"
    );
    assert!(
        logs.contains("No supported distribution was found for input openjdk"),
        "{logs}"
    );
}

#[test]
fn artifact_and_cache_stand_ins_keep_what_the_hosted_services_keep() {
    let (up, down, restore, save, cache) = (
        pinned("actions/upload-artifact"),
        pinned("actions/download-artifact"),
        pinned("actions/cache/restore"),
        pinned("actions/cache/save"),
        pinned("actions/cache"),
    );
    let workflow = format!(
        r#"name: ci
on: push
permissions: {{}}
jobs:
  hidden-output:
    runs-on: ubuntu-24.04
    steps:
      - run: mkdir -p .next && echo page > .next/index.html
      - uses: {up}
        with: {{ name: next, path: .next/, if-no-files-found: error }}
  upload:
    runs-on: ubuntu-24.04
    steps:
      - run: mkdir -p dist/sub && echo one > dist/a.txt && echo two > dist/sub/b.txt
      - uses: {up}
        with: {{ name: dist, path: dist/, if-no-files-found: error }}
      - uses: {save}
        with: {{ path: dist, key: dist-1 }}
  duplicate:
    needs: upload
    runs-on: ubuntu-24.04
    steps:
      - run: mkdir -p dist && echo x > dist/x.txt
      - uses: {up}
        with: {{ name: dist, path: dist/ }}
  download:
    needs: upload
    runs-on: ubuntu-24.04
    steps:
      - uses: {down}
        with: {{ name: dist, path: got }}
      - run: test "$(cat got/a.txt got/sub/b.txt)" = "$(printf 'one\ntwo')"
      - id: c
        uses: {restore}
        with: {{ path: dist, key: dist-2, restore-keys: dist- }}
      - env: {{ HIT: "${{{{ steps.c.outputs.cache-hit }}}}", MATCHED: "${{{{ steps.c.outputs.cache-matched-key }}}}" }}
        run: test "$HIT" = false && test "$MATCHED" = dist-1 && test -f dist/sub/b.txt
  missing:
    runs-on: ubuntu-24.04
    steps:
      - uses: {down}
        with: {{ name: nothing-here }}
  cache-miss:
    runs-on: ubuntu-24.04
    steps:
      - uses: {cache}
        with: {{ path: nowhere, key: none, fail-on-cache-miss: "true" }}
"#
    );
    let (_dir, repo) = existing(&workflow, &[]);
    let Some(t) = try_pipeline(&repo, &["--existing", "--workflows", "ci"]) else {
        return;
    };
    let expected = [
        ("hidden-output", "red"),
        ("upload", "green"),
        ("duplicate", "red"),
        ("download", "green"),
        ("missing", "red"),
        ("cache-miss", "red"),
    ];
    for (job, result) in expected {
        assert_eq!(job_result(&t, job), result, "{job}: {}", t.describe());
    }
    let logs = t.logs();
    assert!(
        logs.contains("No files were found with the provided path: .next/"),
        "{logs}"
    );
    assert!(
        logs.contains("(409) Conflict: an artifact with this name already exists"),
        "{logs}"
    );
    assert!(
        logs.contains("Artifact not found for name: nothing-here"),
        "{logs}"
    );
    assert!(
        logs.contains("Failed to restore cache entry. Exiting as fail-on-cache-miss is set"),
        "{logs}"
    );
}
