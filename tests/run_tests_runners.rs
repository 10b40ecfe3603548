//! `slipway run-tests` over the real JavaScript runners: yarn scripts, playwright's test runner
//! and node-tap run for real, then every node runner (jest, vitest, mocha, `node --test`, ava,
//! playwright, node-tap) passing, failing, crashing before any test and run through a package
//! script, end to end under act through the run-tests action.

mod common;

use std::path::{Path, PathBuf};

use common::slipway;

/// The `node_modules` of the pinned runners (`SLIPWAY_NODE_RUNNERS`, set by
/// scripts/test.d/node-runners.sh); `None` only outside CI when the variable is unset.
fn node_runners() -> Option<PathBuf> {
    let script = "scripts/test.d/node-runners.sh";
    let Some(dir) = std::env::var_os("SLIPWAY_NODE_RUNNERS").map(PathBuf::from) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "SLIPWAY_NODE_RUNNERS is not set: {script} installs the runners and sets it"
        );
        eprintln!("skipped: SLIPWAY_NODE_RUNNERS is not set ({script} sets it)");
        return None;
    };
    let bin = dir.join("node_modules/.bin");
    for tool in ["jest", "vitest", "playwright", "tap", "yarn", "pnpm"] {
        // node-tap resolves itself from the directory it runs in.
        let works = std::process::Command::new(bin.join(tool))
            .arg("--version")
            .current_dir(&dir)
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            works,
            "SLIPWAY_NODE_RUNNERS={} has no working `{tool}`: run {script} again",
            dir.display()
        );
    }
    Some(dir.join("node_modules"))
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).expect("stdout is JSON")
}

/// Tests, passed, failed, errors and skipped of a `--json` report.
fn counts(v: &serde_json::Value) -> [u64; 5] {
    ["tests", "passed", "failed", "errors", "skipped"]
        .map(|k| v["totals"][k].as_u64().unwrap_or(u64::MAX))
}

/// Writes `files` under `root`.
fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// A node project at `root`: `package.json`, `files`, the runners linked in as its
/// `node_modules`.
fn node_project(root: &Path, modules: &Path, package_json: &str, files: &[(&str, &str)]) {
    write_tree(root, files);
    write_tree(root, &[("package.json", package_json)]);
    std::os::unix::fs::symlink(modules, root.join("node_modules")).unwrap();
}

/// `slipway run-tests --json --command COMMAND` in `root`, the runners first on `PATH`.
fn run_command(root: &Path, modules: &Path, command: &str) -> common::Transcript {
    let path = format!(
        "{}:{}",
        modules.join(".bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    slipway()
        .args(["run-tests", "--json", "--command", command])
        .arg_path(root)
        .env("PATH", path)
        .current_dir(root)
        .run()
}

/// The report a run wrote under `root`.
fn written_report(root: &Path) -> serde_json::Value {
    let path = root.join(".slipway/test-results/report.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// `id`, `file:line` and message of the report's first failure.
fn first_failure(root: &Path) -> (String, String, String) {
    let report = written_report(root);
    let f = &report["failures"][0];
    (
        f["id"].as_str().unwrap_or_default().to_owned(),
        format!("{}:{}", f["file"].as_str().unwrap_or_default(), f["line"]),
        f["message"].as_str().unwrap_or_default().to_owned(),
    )
}

const MOCHA_FAIL: &str = "const assert = require('assert');\ndescribe('cart', () => {\n  it('adds', () => assert.equal(1 + 1, 2));\n  it('totals', () => assert.equal(1 + 1, 3));\n});\n";

#[test]
fn yarn_scripts_run_mocha_and_jest_with_their_reporters() {
    let Some(modules) = node_runners() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    node_project(
        &root,
        &modules,
        r#"{"name": "shop", "version": "1.0.0", "private": true, "jest": {"testEnvironment": "node", "testMatch": ["**/src/**/*.test.js"]}, "scripts": {"test": "mocha", "unit": "jest"}}"#,
        &[
            ("test/cart.test.js", MOCHA_FAIL),
            (
                "src/price.test.js",
                "test('adds', () => { expect(1 + 1).toBe(2); });\ntest.skip('later', () => {});\n",
            ),
        ],
    );
    let t = run_command(&root, &modules, "yarn test");
    t.code(1);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 1, 0, 0], "{t}");
    assert_eq!(
        first_failure(&root),
        (
            "cart::totals".into(),
            "test/cart.test.js:4".into(),
            "2 == 3".into()
        ),
        "{t}"
    );
    // The script's own arguments reach mocha beside the reporter's.
    let t = run_command(&root, &modules, "yarn test --grep adds");
    t.code(0);
    assert_eq!(counts(&json(&t.stdout)), [1, 1, 0, 0, 0], "{t}");
    // `yarn run NAME` and yarn's shorthand `yarn NAME`.
    for command in ["yarn run unit", "yarn unit"] {
        let t = run_command(&root, &modules, command);
        t.code(0);
        assert_eq!(counts(&json(&t.stdout)), [2, 1, 0, 0, 1], "{command}\n{t}");
    }
}

const PLAYWRIGHT_PASS: &str = "const { test, expect } = require('@playwright/test');\ntest('adds', () => { expect(1 + 1).toBe(2); });\ntest.skip('later', () => {});\n";
const PLAYWRIGHT_FAIL: &str = "const { test, expect } = require('@playwright/test');\ntest('adds', () => { expect(1 + 1).toBe(2); });\ntest('totals', () => { expect(1 + 1).toBe(3); });\n";
const PLAYWRIGHT_CRASH: &str =
    "const { test } = require('@playwright/test');\ntest('adds', () => { const x = ; });\n";

#[test]
fn playwright_test_reports_a_pass_a_failure_and_a_spec_that_does_not_load() {
    let Some(modules) = node_runners() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    node_project(
        &root,
        &modules,
        r#"{"name": "shop", "private": true, "scripts": {"test": "playwright test"}}"#,
        &[("tests/cart.spec.js", PLAYWRIGHT_PASS)],
    );
    let t = run_command(&root, &modules, "npx playwright test");
    t.code(0);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 0, 0, 1], "{t}");
    write_tree(&root, &[("tests/cart.spec.js", PLAYWRIGHT_FAIL)]);
    let t = run_command(&root, &modules, "npm test");
    t.code(1);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 1, 0, 0], "{t}");
    let (id, at, message) = first_failure(&root);
    assert_eq!(
        (id.as_str(), at.as_str()),
        ("tests/cart.spec.js::totals", "tests/cart.spec.js:3"),
        "{t}"
    );
    assert!(message.contains("toBe"), "{message}");
    // A spec that does not parse: playwright writes a JUnit file with no test and exits 1,
    // which is one errored case, not an empty run.
    write_tree(&root, &[("tests/cart.spec.js", PLAYWRIGHT_CRASH)]);
    let t = run_command(&root, &modules, "npx playwright test");
    t.code(1);
    assert_eq!(counts(&json(&t.stdout)), [1, 0, 0, 1, 0], "{t}");
    let (id, _, message) = first_failure(&root);
    assert_eq!(id, "npx playwright test::(command)", "{t}");
    assert!(
        message.contains("exited with 1 and its test results hold no test"),
        "{message}"
    );
    assert!(t.stderr.contains("SyntaxError"), "{t}");
}

const TAP_SUM: &str = "exports.sum = (a, b) => a + b;\n";
const TAP_PASS: &str = "const t = require('tap');\nconst { sum } = require('../src/sum.js');\nt.test('adds', async t => { t.equal(sum(1, 1), 2); });\nt.test('later', { skip: 'not yet' }, async () => {});\n";
const TAP_FAIL: &str = "const t = require('tap');\nconst { sum } = require('../src/sum.js');\nt.test('adds', async t => { t.equal(sum(1, 1), 2); });\nt.test('totals', async t => { t.equal(sum(1, 1), 3, 'sum'); });\n";
const TAP_CRASH: &str = "const t = require('tap');\nconst x = ;\n";

#[test]
fn node_tap_reports_a_pass_a_failure_and_a_file_that_does_not_load() {
    let Some(modules) = node_runners() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    // node-tap fails a run below full coverage: the tests cover all of src/sum.js.
    node_project(
        &root,
        &modules,
        r#"{"name": "shop", "private": true, "scripts": {"test": "tap"}}"#,
        &[("src/sum.js", TAP_SUM), ("test/cart.test.js", TAP_PASS)],
    );
    let t = run_command(&root, &modules, "npm test");
    t.code(0);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 0, 0, 1], "{t}");
    write_tree(&root, &[("test/cart.test.js", TAP_FAIL)]);
    let t = run_command(&root, &modules, "tap");
    t.code(1);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 1, 0, 0], "{t}");
    assert_eq!(
        first_failure(&root),
        (
            "test/cart.test.js::totals > sum".into(),
            "test/cart.test.js:4".into(),
            "sum".into()
        ),
        "{t}"
    );
    write_tree(&root, &[("test/cart.test.js", TAP_CRASH)]);
    let t = run_command(&root, &modules, "npm test");
    t.code(1);
    assert_eq!(counts(&json(&t.stdout)), [1, 0, 1, 0, 0], "{t}");
    // Its own point: node prints the syntax error's line on stderr, not in the TAP.
    let (id, at, message) = first_failure(&root);
    assert_eq!(
        (id.as_str(), at.as_str(), message.as_str()),
        (
            "test/cart.test.js::(test file)",
            "test/cart.test.js:null",
            "the test file exited with code 1"
        ),
        "{t}"
    );
}

// ---------------------------------------------------------------------------------------------
// Every node runner under act, through the run-tests action: one workflow, one job per case.

/// One runner's sample project: its `package.json`, the test file and its text when the suite
/// passes, fails and cannot load, other files, the command that runs it directly (the passing
/// and the crashing suite), and the package-script call that runs the failing suite.
struct Runner {
    name: &'static str,
    package_json: &'static str,
    test_file: &'static str,
    pass: &'static str,
    fail: &'static str,
    crash: &'static str,
    other: &'static [(&'static str, &'static str)],
    direct: &'static str,
    script: &'static str,
    /// The failing test as the summary's failure table names it (its end: jest's file is the
    /// repository's path).
    failure: &'static str,
}

const RUNNERS: &[Runner] = &[
    Runner {
        name: "jest",
        package_json: r#"{"name": "app", "private": true, "jest": {"testEnvironment": "node"}, "scripts": {"test": "jest"}}"#,
        test_file: "src/cart.test.js",
        pass: "test('adds', () => { expect(1 + 1).toBe(2); });\ntest.skip('later', () => {});\n",
        fail: "test('adds', () => { expect(1 + 1).toBe(2); });\ntest('totals', () => { expect(1 + 1).toBe(3); });\n",
        crash: "const x = ;\n",
        other: &[],
        direct: "jest",
        script: "npm test",
        failure: "src/cart.test.js::totals",
    },
    Runner {
        name: "vitest",
        package_json: r#"{"name": "app", "private": true, "type": "module", "scripts": {"test": "vitest run"}}"#,
        test_file: "test/cart.test.js",
        pass: "import { test, expect } from 'vitest';\ntest('adds', () => { expect(1 + 1).toBe(2); });\ntest.skip('later', () => {});\n",
        fail: "import { test, expect } from 'vitest';\ntest('adds', () => { expect(1 + 1).toBe(2); });\ntest('totals', () => { expect(1 + 1).toBe(3); });\n",
        crash: "import { test } from 'vitest';\nconst x = ;\n",
        other: &[],
        direct: "vitest run",
        script: "yarn test",
        failure: "test/cart.test.js::totals",
    },
    Runner {
        name: "mocha",
        package_json: r#"{"name": "app", "private": true, "scripts": {"test": "mocha"}}"#,
        test_file: "test/cart.test.js",
        pass: "const assert = require('assert');\ndescribe('cart', () => {\n  it('adds', () => assert.equal(1 + 1, 2));\n  it.skip('later', () => {});\n});\n",
        fail: MOCHA_FAIL,
        crash: "describe('cart', () => {\n",
        other: &[],
        direct: "mocha",
        script: "pnpm test",
        failure: "cart::totals",
    },
    Runner {
        name: "node-test",
        package_json: r#"{"name": "app", "private": true, "scripts": {"test": "node --test"}}"#,
        test_file: "test/cart.test.js",
        pass: "const test = require('node:test');\nconst assert = require('node:assert');\ntest('adds', () => assert.equal(1 + 1, 2));\ntest.skip('later', () => {});\n",
        fail: "const test = require('node:test');\nconst assert = require('node:assert');\ntest('adds', () => assert.equal(1 + 1, 2));\ntest('totals', () => assert.equal(1 + 1, 3));\n",
        crash: "const x = ;\n",
        other: &[],
        direct: "node --test",
        script: "npm test",
        failure: "test::totals",
    },
    Runner {
        name: "ava",
        package_json: r#"{"name": "app", "private": true, "scripts": {"test": "ava"}}"#,
        test_file: "test/cart.test.mjs",
        pass: "import test from 'ava';\ntest('adds', t => { t.is(1 + 1, 2); });\ntest.skip('later', t => { t.pass(); });\n",
        fail: "import test from 'ava';\ntest('adds', t => { t.is(1 + 1, 2); });\ntest('totals', t => { t.is(1 + 1, 3); });\n",
        crash: "import test from 'ava';\nconst x = ;\n",
        other: &[],
        direct: "ava",
        script: "npm test",
        failure: "totals",
    },
    Runner {
        name: "playwright",
        package_json: r#"{"name": "app", "private": true, "scripts": {"test": "playwright test"}}"#,
        test_file: "tests/cart.spec.js",
        pass: PLAYWRIGHT_PASS,
        fail: PLAYWRIGHT_FAIL,
        crash: PLAYWRIGHT_CRASH,
        other: &[],
        direct: "npx playwright test",
        script: "yarn test",
        failure: "tests/cart.spec.js::totals",
    },
    Runner {
        name: "tap",
        package_json: r#"{"name": "app", "private": true, "scripts": {"test": "tap"}}"#,
        test_file: "test/cart.test.js",
        pass: TAP_PASS,
        fail: TAP_FAIL,
        crash: TAP_CRASH,
        other: &[("src/sum.js", TAP_SUM)],
        direct: "tap",
        script: "npm test",
        failure: "test/cart.test.js::totals > sum",
    },
];

/// What a case's job must show.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Outcome {
    /// Green: 2 tests, 1 passed, 1 skipped.
    Pass,
    /// Red: 2 tests, 1 passed, 1 failed, the failure named.
    Fail,
    /// Red: nothing passed, at least one failure or error.
    Crash,
}

/// One job: a runner's project in its own directory, run by `command`.
struct Case {
    job: String,
    runner: &'static Runner,
    command: &'static str,
    outcome: Outcome,
}

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for r in RUNNERS {
        // The failing suite runs through the package script: its counts and failure prove the
        // reporter reached the runner behind the script.
        for (kind, command, outcome) in [
            ("pass", r.direct, Outcome::Pass),
            ("fail", r.script, Outcome::Fail),
            ("crash", r.direct, Outcome::Crash),
        ] {
            out.push(Case {
                job: format!("{}-{kind}", r.name),
                runner: r,
                command,
                outcome,
            });
        }
    }
    out
}

/// The sample repository: each case's project under its job's name, and one job per case that
/// links the runners in, runs the action and prints its outputs.
fn runners_repo(cases: &[Case]) -> tempfile::TempDir {
    let checkout = common::act::CHECKOUT;
    let mut workflow = String::from("name: runners\non: push\npermissions: {}\njobs:\n");
    let mut files: Vec<(String, String)> = vec![(
        ".gitignore".into(),
        "_slipway/\nnode_modules\n.tap/\ntest-results/\n".into(),
    )];
    for c in cases {
        let job = &c.job;
        let r = c.runner;
        let test = match c.outcome {
            Outcome::Pass => r.pass,
            Outcome::Fail => r.fail,
            Outcome::Crash => r.crash,
        };
        files.push((format!("{job}/package.json"), r.package_json.into()));
        files.push((format!("{job}/{}", r.test_file), test.into()));
        for (path, text) in r.other {
            files.push((format!("{job}/{path}"), (*text).into()));
        }
        workflow.push_str(&format!(
            r#"  {job}:
    runs-on: ubuntu-latest
    steps:
      - uses: {checkout}
        with:
          persist-credentials: false
      - name: Link the runners
        env:
          DIR: {job}
        run: ln -s "$NODE_RUNNERS_MODULES" "$DIR/node_modules"
      - id: tests
        uses: ./actions/run-tests
        with:
          stack: node
          working-directory: {job}
          command: {command}
          results: _slipway/results/{job}
      - name: Show the outputs
        if: ${{{{ always() }}}}
        env:
          TESTS: ${{{{ steps.tests.outputs.tests }}}}
          PASSED: ${{{{ steps.tests.outputs.passed }}}}
          FAILED: ${{{{ steps.tests.outputs.failed }}}}
          SKIPPED: ${{{{ steps.tests.outputs.skipped }}}}
        run: echo "OUT tests=$TESTS passed=$PASSED failed=$FAILED skipped=$SKIPPED"
"#,
            command = c.command,
        ));
    }
    let files: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    common::act::repo(&files, &workflow)
}

/// The lines act logged for `job`, without their `[runners/job  ]` prefix (act pads the job
/// names to one width), each with whether it continues the entry above it (a line without a
/// prefix: a summary of several lines is one entry).
fn job_log<'a>(log: &'a str, job: &str) -> Vec<(bool, &'a str)> {
    let mut current = "";
    let mut out = Vec::new();
    for line in log.lines() {
        let (continued, rest) = match line
            .strip_prefix("[runners/")
            .and_then(|l| l.split_once(']'))
        {
            Some((name, rest)) => {
                current = name.trim();
                (false, rest)
            }
            None if line.starts_with('[') => {
                current = "";
                (false, line)
            }
            None => (true, line),
        };
        if current == job {
            out.push((continued, rest.trim()));
        }
    }
    out
}

/// What one job showed against what its case expects; `None` when it holds.
fn check(case: &Case, log: &[(bool, &str)]) -> Option<String> {
    let lines: Vec<&str> = log.iter().map(|(_, l)| *l).collect();
    let has = |s: &str| lines.iter().any(|l| l.contains(s));
    let green = has("🏁  Job succeeded");
    let red = has("🏁  Job failed");
    let out = lines
        .iter()
        .find_map(|l| l.split("OUT ").nth(1))
        .unwrap_or_default();
    // The summary: from act's `Summary - ` entry to the next line it logged itself.
    let mut summary: Vec<&str> = Vec::new();
    let mut inside = false;
    for (continued, l) in log {
        if let Some(first) = l.strip_prefix("⚙  Summary - ") {
            inside = true;
            summary.push(first);
        } else if inside && *continued {
            summary.push(l);
        } else {
            inside = false;
        }
    }
    let in_summary = |s: &str| summary.iter().any(|l| l.contains(s));
    let mut wrong = Vec::new();
    let (want_green, want_out, want_summary): (bool, &str, Vec<String>) = match case.outcome {
        Outcome::Pass => (
            true,
            "tests=2 passed=1 failed=0 skipped=1",
            vec!["**✅ tests passed**: 2 tests, 1 passed, 0 failed, 0 errors, 1 skipped".into()],
        ),
        Outcome::Fail => (
            false,
            "tests=2 passed=1 failed=1 skipped=0",
            vec![
                "**❌ tests failed**: 2 tests, 1 passed, 1 failed, 0 errors, 0 skipped".into(),
                format!("{} |", case.runner.failure),
            ],
        ),
        Outcome::Crash => (false, "passed=0", vec!["**❌ tests failed**".into()]),
    };
    if want_green != green || want_green == red {
        wrong.push(format!(
            "the job should be {}",
            if want_green { "green" } else { "red" }
        ));
    }
    if !out.contains(want_out) {
        wrong.push(format!("outputs `{out}`, not `{want_out}`"));
    }
    if case.outcome == Outcome::Crash && (out.contains("failed=0") || !out.contains("tests=")) {
        wrong.push(format!("outputs `{out}`: a crash must count a failure"));
    }
    for s in &want_summary {
        if !in_summary(s) {
            wrong.push(format!("the summary lacks `{s}`"));
        }
    }
    (!wrong.is_empty()).then(|| format!("{} (`{}`): {}", case.job, case.command, wrong.join("; ")))
}

#[test]
fn act_run_tests_runs_every_node_runner_green_red_and_crashed() {
    let Some(act) = common::act::act() else {
        return;
    };
    let Some(modules) = node_runners() else {
        return;
    };
    let cases = cases();
    let repo = runners_repo(&cases);
    let bin = modules.join(".bin");
    let env = format!("NODE_RUNNERS_MODULES={}", modules.display());
    let started = std::time::Instant::now();
    let (code, log) = common::act::run(
        &act,
        repo.path(),
        &common::act::Options {
            args: &["--env", &env],
            path: &[&bin],
            ..Default::default()
        },
    );
    eprintln!(
        "act ran {} jobs in {:.1}s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
    // Some jobs are red on purpose.
    assert_eq!(code, Some(1), "{log}");
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|c| {
            let lines = job_log(&log, &c.job);
            check(c, &lines).map(|w| {
                let text: Vec<&str> = lines.iter().map(|(_, l)| *l).collect();
                format!("{w}\n    {}", text.join("\n    "))
            })
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
