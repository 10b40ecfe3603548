//! `slipway run-tests`: result and coverage parsing end to end, gates, `--json`, GitHub
//! reporting, merge of shards, and real suites run by the binary.

mod common;

use std::path::{Path, PathBuf};

use common::slipway;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/run_tests")
}

fn fixture(rel: &str) -> String {
    fixtures().join(rel).display().to_string()
}

/// `slipway run-tests --skip-run` in a temp root, writing its report there.
fn skip_run(dir: &Path) -> common::Run {
    slipway()
        .args(["run-tests", "--skip-run", "--report"])
        .arg_path(dir.join("report.json"))
        .current_dir(dir)
        .filter_temp(dir)
        .env("FIXTURES", fixtures())
}

fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).expect("stdout is JSON")
}

/// The gate `name` of a `--json` output (`null` when absent).
fn gate(v: &serde_json::Value, name: &str) -> serde_json::Value {
    v["gates"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["name"] == name))
        .cloned()
        .unwrap_or_default()
}

#[test]
fn skip_run_prints_totals_coverage_and_gates_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let t = skip_run(dir.path())
        .args(["--json", "--results", &fixture("results/*")])
        .args(["--coverage", &fixture("coverage/*")])
        .run();
    t.code(1);
    insta::assert_snapshot!(t.stdout);
}

#[test]
fn every_dialect_is_counted_from_its_cases_not_its_declared_totals() {
    // file, tests, passed, failed, errors, skipped
    let cases = [
        ("surefire.xml", 4, 2, 1, 0, 1),
        ("pytest.xml", 6, 3, 1, 1, 1),
        ("jest.xml", 3, 1, 1, 0, 1),
        ("phpunit.xml", 4, 2, 0, 1, 1),
        ("mocha.xml", 3, 1, 1, 0, 1),
        ("gradle-scalatest.xml", 4, 2, 0, 0, 2),
        ("xunit-net.xml", 3, 1, 1, 0, 1),
        ("dotnet.trx", 5, 2, 1, 1, 1),
        ("go-test.json", 3, 2, 1, 0, 0),
    ];
    for (file, tests, passed, failed, errors, skipped) in cases {
        let dir = tempfile::tempdir().unwrap();
        let t = skip_run(dir.path())
            .args(["--json", "--pass-rate", "0", "--results"])
            .arg_path(fixtures().join("results").join(file))
            .run();
        t.code(0);
        let totals = &json(&t.stdout)["totals"];
        let got = [
            &totals["tests"],
            &totals["passed"],
            &totals["failed"],
            &totals["errors"],
            &totals["skipped"],
        ]
        .map(|v| v.as_u64().unwrap());
        assert_eq!(got, [tests, passed, failed, errors, skipped], "{file}");
    }
}

#[test]
fn every_coverage_format_gives_covered_over_total_lines() {
    let cases = [
        ("lcov.info", 4, 5),
        ("cobertura.xml", 4, 5),
        ("jacoco.xml", 8, 10),
        ("cover.out", 5, 10),
    ];
    for (file, covered, total) in cases {
        let dir = tempfile::tempdir().unwrap();
        let t = skip_run(dir.path())
            .args(["--json", "--allow-empty", "--coverage"])
            .arg_path(fixtures().join("coverage").join(file))
            .run();
        let c = &json(&t.stdout)["coverage"];
        assert_eq!(
            (c["covered"].as_u64(), c["total"].as_u64()),
            (Some(covered), Some(total)),
            "{file}\n{t}"
        );
    }
}

#[test]
fn a_malformed_file_is_located_and_fails_the_gates_while_the_others_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let t = skip_run(dir.path())
        .args(["--json", "--pass-rate", "0", "--results"])
        .arg_path(fixtures().join("malformed/broken.xml"))
        .arg_path(fixtures().join("results/jest.xml"))
        .run();
    t.code(1);
    assert!(t.stderr.contains("broken.xml`:5:3: not valid XML"), "{t}");
    let v = json(&t.stdout);
    assert_eq!(v["totals"]["tests"], 3);
    let readable = v["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "readable")
        .expect("a readable gate");
    assert_eq!(readable["ok"], false);
}

#[test]
fn entity_declarations_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let t = skip_run(dir.path())
        .args(["--results"])
        .arg_path(fixtures().join("malformed/billion-laughs.xml"))
        .run();
    t.code(1);
    assert!(
        t.stderr.contains("a DTD with declarations is refused"),
        "{t}"
    );
}

#[test]
fn no_results_at_all_exits_2_unless_empty_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let t = skip_run(dir.path())
        .args(["--results", "nothing/*.xml"])
        .run();
    t.code(2);
    insta::assert_snapshot!(t.stderr);
    let t = skip_run(dir.path())
        .args(["--results", "nothing/*.xml", "--allow-empty", "--json"])
        .run();
    t.code(0);
    assert_eq!(json(&t.stdout)["totals"]["tests"], 0);
}

#[test]
fn in_actions_failures_become_annotations_outputs_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let t = skip_run(dir.path())
        .in_actions()
        .args(["--results", &fixture("results/*")])
        .args(["--coverage", &fixture("coverage/lcov.info")])
        .run();
    t.code(1);
    insta::assert_snapshot!(t.to_string());
}

#[test]
fn annotations_stop_at_ten_and_the_rest_go_to_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let mut xml = String::from("<testsuite name=\"many\">");
    for i in 0..15 {
        xml.push_str(&format!(
            "<testcase name=\"t{i}\" file=\"src/a.py\" line=\"{}\"><failure message=\"no {i}\"/></testcase>",
            i + 1
        ));
    }
    xml.push_str("</testsuite>");
    std::fs::write(dir.path().join("many.xml"), xml).unwrap();
    let t = skip_run(dir.path())
        .in_actions()
        .args(["--results", "many.xml"])
        .run();
    t.code(1);
    assert_eq!(t.stderr.matches("::error ").count(), 10, "{t}");
    assert!(t.summary.contains("5 failures are not annotated"), "{t}");
}

#[test]
fn the_coverage_drop_gate_compares_with_a_baseline_report() {
    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("base.json");
    std::fs::write(
        &baseline,
        r#"{"coverage": {"covered": 9, "total": 10, "percent": 90.0}}"#,
    )
    .unwrap();
    let t = skip_run(dir.path())
        .args([
            "--json",
            "--allow-empty",
            "--coverage-min",
            "0",
            "--baseline",
        ])
        .arg_path(&baseline)
        .args(["--coverage", &fixture("coverage/lcov.info")])
        .run();
    t.code(1);
    let v = json(&t.stdout);
    assert_eq!(
        gate(&v, "coverage-drop"),
        serde_json::json!({"name": "coverage-drop", "ok": false, "actual": 10.0, "required": 2.0})
    );
    // No test ran: the pass rate is not evaluated, neither held nor failed.
    assert_eq!(v["not_evaluated"][0]["gate"], "pass-rate", "{t}");
}

#[test]
fn the_baseline_can_be_a_downloaded_artifact_directory() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = dir.path().join("previous");
    // A previous run's artifact: one shard report with coverage.
    let t = slipway()
        .args([
            "run-tests",
            "--skip-run",
            "--allow-empty",
            "--coverage-min",
            "0",
        ])
        .args(["--shard", "1/1", "--output-dir"])
        .arg_path(&artifact)
        .args(["--coverage", &fixture("coverage/lcov.info")])
        .current_dir(dir.path())
        .run();
    t.code(0);
    let t = skip_run(dir.path())
        .args([
            "--json",
            "--allow-empty",
            "--coverage-min",
            "0",
            "--baseline",
        ])
        .arg_path(&artifact)
        .args(["--coverage", &fixture("coverage/lcov.info")])
        .run();
    t.code(0);
    let v = json(&t.stdout);
    assert_eq!(gate(&v, "coverage-drop")["actual"], 0.0, "{t}");
    // An empty directory is no baseline: said, not skipped.
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let t = skip_run(dir.path())
        .args(["--allow-empty", "--baseline"])
        .arg_path(&empty)
        .run();
    t.code(2);
    assert!(
        t.stderr
            .contains("holds no `quality.json` or `report*.json`"),
        "{t}"
    );
}

#[test]
fn merge_combines_shard_reports_into_one_decision() {
    let dir = tempfile::tempdir().unwrap();
    for (shard, file) in [("1", "jest.xml"), ("2", "mocha.xml")] {
        slipway()
            .args(["run-tests", "--skip-run", "--pass-rate", "0", "--report"])
            .arg_path(dir.path().join(format!("shard-{shard}/report.json")))
            .args(["--results", &fixture(&format!("results/{file}"))])
            .current_dir(dir.path())
            .run()
            .code(0);
    }
    let t = slipway()
        .args(["run-tests", "merge", "--json", "--report"])
        .arg_path(dir.path().join("merged.json"))
        .arg_path(dir.path().join("shard-*/report.json"))
        .current_dir(dir.path())
        .run();
    t.code(1);
    let v = json(&t.stdout);
    assert_eq!(v["totals"]["tests"], 6);
    assert_eq!(v["totals"]["failed"], 2);
    assert_eq!(v["gates"][0]["actual"], 50.0);
    let merged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("merged.json")).unwrap())
            .unwrap();
    assert_eq!(merged["failures"].as_array().unwrap().len(), 2);
}

/// Writes shard reports from the lcov files under `coverage/shards` and merges them.
fn merge_coverage(dir: &Path, shards: &[&str], extra_reports: &[PathBuf]) -> serde_json::Value {
    for (i, info) in shards.iter().enumerate() {
        slipway()
            .args([
                "run-tests",
                "--skip-run",
                "--allow-empty",
                "--coverage-min",
                "0",
            ])
            .args(["--report"])
            .arg_path(dir.join(format!("shard-{i}/report.json")))
            .args(["--coverage", &fixture(&format!("coverage/shards/{info}"))])
            .current_dir(dir)
            .run()
            .code(0);
    }
    let t = slipway()
        .args([
            "run-tests",
            "merge",
            "--json",
            "--coverage-min",
            "0",
            "--report",
        ])
        .arg_path(dir.join("merged.json"))
        .arg_path(dir.join("shard-*/report.json"))
        .args(extra_reports)
        .in_actions()
        .current_dir(dir)
        .filter_temp(dir)
        .run();
    t.code(0);
    let mut v = json(&t.stdout);
    v["stderr"] = serde_json::Value::String(t.stderr.clone());
    v["summary"] = serde_json::Value::String(t.summary.clone());
    v
}

#[test]
fn shards_measuring_the_same_files_merge_coverage_by_union_per_line() {
    // shard-1: cart.js covers 1-4,7 of 1-10, price.js 1-2 of 1-6 (7 of 16).
    // shard-2: cart.js covers 3-7 of 1-10, price.js 1-4 of 1-6 (9 of 16).
    // Union: cart.js 1-7 of 10, price.js 1-4 of 6: 11 of 16 = 68.75% (the sum said 16 of 32).
    let dir = tempfile::tempdir().unwrap();
    let v = merge_coverage(dir.path(), &["shard-1.info", "shard-2.info"], &[]);
    assert_eq!(v["coverage"]["covered"], 11, "{v}");
    assert_eq!(v["coverage"]["total"], 16, "{v}");
    assert_eq!(v["coverage"]["percent"], 68.75, "{v}");
    let merged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("merged.json")).unwrap())
            .unwrap();
    let cart = &merged["coverage_data"]["files"]["src/cart.js"];
    assert_eq!(cart["lines"], "1-10", "{merged}");
    assert_eq!(cart["covered"], "1-7", "{merged}");
    assert!(
        !v["summary"]
            .as_str()
            .unwrap()
            .contains("without per-line data")
    );
}

#[test]
fn shards_measuring_disjoint_files_add_up() {
    // shard-1: 7 of 16 in cart.js and price.js; shard-3: tax.js 3 of 4. 10 of 20.
    let dir = tempfile::tempdir().unwrap();
    let v = merge_coverage(dir.path(), &["shard-1.info", "shard-3.info"], &[]);
    assert_eq!(
        (&v["coverage"]["covered"], &v["coverage"]["total"]),
        (&serde_json::json!(10), &serde_json::json!(20)),
        "{v}"
    );
    assert_eq!(v["coverage"]["percent"], 50.0);
}

#[test]
fn a_report_without_line_data_is_added_and_the_summary_says_so() {
    // An older report (8 of 10, no line data) with shard-1 (7 of 16): 15 of 26 = 57.69%.
    let dir = tempfile::tempdir().unwrap();
    let v = merge_coverage(
        dir.path(),
        &["shard-1.info"],
        &[fixtures().join("coverage/shards/old-report.json")],
    );
    assert_eq!(v["coverage"]["covered"], 15, "{v}");
    assert_eq!(v["coverage"]["total"], 26, "{v}");
    assert_eq!(v["coverage"]["percent"], 57.69, "{v}");
    let summary = v["summary"].as_str().unwrap();
    assert!(
        summary.contains("8 of 10 lines come from 1 report(s) without per-line data"),
        "{summary}"
    );
}

#[test]
fn a_report_with_corrupt_line_data_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("report-bad.json");
    std::fs::write(
        &bad,
        r#"{"totals":{"tests":0,"passed":0,"failed":0,"errors":0,"skipped":0,"time_s":0},"coverage":null,"gates":[],"suites":[],"failures":[],"coverage_data":{"files":{"a.js":{"lines":"9-3"}}}}"#,
    )
    .unwrap();
    let t = slipway()
        .args(["run-tests", "merge", "--report"])
        .arg_path(dir.path().join("merged.json"))
        .arg_path(&bad)
        .current_dir(dir.path())
        .filter_temp(dir.path())
        .run();
    t.code(2);
    assert!(t.stderr.contains("report-bad.json"), "{t}");
    assert!(t.stderr.contains("ascend"), "{t}");
    assert!(!dir.path().join("merged.json").exists());
}

#[test]
fn flags_read_their_slipway_environment_variables() {
    let dir = tempfile::tempdir().unwrap();
    let t = skip_run(dir.path())
        .env(
            "SLIPWAY_RESULTS",
            format!(
                "{}\n{}",
                fixture("results/jest.xml"),
                fixture("results/mocha.xml")
            ),
        )
        .env("SLIPWAY_PASS_RATE", "50")
        .args(["--json"])
        .run();
    t.code(0);
    assert_eq!(json(&t.stdout)["totals"]["tests"], 6);
    let t = slipway()
        .args(["run-tests", "--skip-run"])
        .env("SLIPWAY_SHARD", "5/4")
        .run();
    t.code(2);
    assert!(
        t.stderr.contains("between 1 and the number of shards"),
        "{t}"
    );
}

#[test]
fn malformed_action_inputs_name_the_input_and_the_expected_form() {
    let dir = tempfile::tempdir().unwrap();
    let run = |var: &str, value: &str| {
        slipway()
            .args(["run-tests"])
            .arg_path(dir.path())
            .env(var, value)
            .filter_temp(dir.path())
            .run()
    };
    let t = run("SLIPWAY_STACK", "cobol");
    t.code(2);
    assert!(t.stderr.contains("invalid input `stack`: `cobol`"), "{t}");
    assert!(t.stderr.contains("`auto` or one of `rust`"), "{t}");
    let t = run("SLIPWAY_COLLECT_COVERAGE", "yes");
    t.code(2);
    assert!(
        t.stderr
            .contains("invalid input `coverage`: `yes`; expected `true` or `false`"),
        "{t}"
    );
    let t = run("SLIPWAY_WORKING_DIRECTORY", "../elsewhere");
    t.code(2);
    assert!(
        t.stderr.contains("invalid input `working-directory`"),
        "{t}"
    );
    let t = run("SLIPWAY_WORKING_DIRECTORY", "missing");
    t.code(2);
    assert!(
        t.stderr
            .contains("the working directory `missing` does not exist"),
        "{t}"
    );
}

#[test]
fn the_command_runs_in_the_working_directory_and_the_shard_names_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("sub/tests")).unwrap();
    // A stand-in runner: writes JUnit where jest-junit is told to, from the working directory.
    std::fs::write(
        root.join("sub/run.sh"),
        "test -f marker || exit 9
printf '<testsuite name=\"s\"><testcase name=\"a\" file=\"tests/a.js\"><failure message=\"no\"/></testcase><testcase name=\"b\"/></testsuite>' > \"$JEST_JUNIT_OUTPUT_DIR/$JEST_JUNIT_OUTPUT_NAME\"\n",
    )
    .unwrap();
    std::fs::write(root.join("sub/marker"), "").unwrap();
    std::fs::write(root.join("sub/tests/a.js"), "").unwrap();
    let out = root.join("out");
    let t = slipway()
        .args(["run-tests", "--json"])
        .arg_path(root)
        .env("SLIPWAY_WORKING_DIRECTORY", "sub")
        .env("SLIPWAY_COMMAND", "sh run.sh")
        .env("SLIPWAY_SHARD", "2/3")
        .env("SLIPWAY_OUTPUT_DIR", &out)
        .env("SLIPWAY_TIMINGS", "")
        .filter_temp(root)
        .run();
    t.code(1);
    assert_eq!(json(&t.stdout)["totals"]["tests"], 2, "{t}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report-2.json")).unwrap()).unwrap();
    // The path in the result is relative to `sub`; the report makes it the repository's.
    assert_eq!(report["failures"][0]["file"], "sub/tests/a.js", "{report}");
    assert!(out.join("shard-2/attempt-1/command-0.xml").is_file());
    let timings: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("timings.json")).unwrap()).unwrap();
    assert_eq!(timings["version"], 1, "{timings}");
}

#[test]
fn a_real_cargo_project_is_run_with_its_doctests_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("src")).unwrap();
    std::fs::write(
        root.join("Cargo.toml"),
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(
        root.join("src/lib.rs"),
        "/// ```\n/// assert_eq!(demo::add(1, 1), 2);\n/// ```\npub fn add(a: i32, b: i32) -> i32 { a + b }\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn adds() { assert_eq!(super::add(2, 2), 4); }\n    #[test]\n    fn breaks() { assert_eq!(super::add(2, 2), 5, \"math\"); }\n}\n",
    )
    .unwrap();
    let t = slipway()
        .args(["run-tests", "--json", "--pass-rate", "60"])
        .arg_path(root)
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("CARGO_TARGET_DIR", root.join("target"))
        .current_dir(root)
        .run();
    t.code(0);
    let v = json(&t.stdout);
    // Two unit tests (nextest or libtest) and one doctest.
    assert_eq!(v["totals"]["tests"], 3, "{t}");
    assert_eq!(v["totals"]["failed"], 1, "{t}");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(".slipway/test-results/report.json")).unwrap(),
    )
    .unwrap();
    let failure = &report["failures"][0];
    assert!(
        failure["id"].as_str().unwrap().ends_with("breaks"),
        "{failure}"
    );
    assert_eq!(failure["file"], "src/lib.rs", "{failure}");
}

/// The directory of a Python with pytest and pytest-cov (`SLIPWAY_PYTEST`, set by
/// scripts/test.d/pytest.sh); `None` only outside CI when the variable is unset.
fn pytest_bin() -> Option<PathBuf> {
    let Some(python) = std::env::var_os("SLIPWAY_PYTEST").map(PathBuf::from) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "SLIPWAY_PYTEST is not set: scripts/test.d/pytest.sh installs pytest and sets it"
        );
        eprintln!("skipped: SLIPWAY_PYTEST is not set (scripts/test.d/pytest.sh sets it)");
        return None;
    };
    let ok = std::process::Command::new(&python)
        .args(["-c", "import pytest, pytest_cov"])
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "SLIPWAY_PYTEST={} cannot import pytest and pytest_cov: run scripts/test.d/pytest.sh",
        python.display()
    );
    Some(
        python
            .parent()
            .expect("python is in a bin directory")
            .to_path_buf(),
    )
}

#[test]
fn a_real_pytest_project_is_run_and_a_flaky_test_is_found_by_retries() {
    let dir = tempfile::tempdir().unwrap();
    let Some(bin) = pytest_bin() else {
        return;
    };
    let root = dir.path().join("app");
    std::fs::create_dir_all(root.join("tests")).unwrap();
    std::fs::write(root.join("pytest.ini"), "[pytest]\n").unwrap();
    std::fs::write(
        root.join("tests/test_app.py"),
        "import os\n\ndef test_ok():\n    assert 1 + 1 == 2\n\ndef test_flaky():\n    marker = os.path.join(os.path.dirname(__file__), '.ran')\n    first = not os.path.exists(marker)\n    open(marker, 'w').close()\n    assert not first\n\ndef test_broken():\n    assert 2 * 2 == 5\n",
    )
    .unwrap();
    std::fs::write(
        root.join("slipway.yml"),
        "version: 1\nci:\n  test-commands: [\"pytest\"]\n",
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let t = slipway()
        .args(["run-tests", "--retries", "1", "--json"])
        .arg_path(&root)
        .env("PATH", path)
        .current_dir(&root)
        .run();
    t.code(1);
    let v = json(&t.stdout);
    assert_eq!(v["totals"]["tests"], 3, "{t}");
    assert_eq!(v["totals"]["passed"], 2, "{t}");
    assert_eq!(v["totals"]["failed"], 1, "{t}");
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join(".slipway/test-results/report.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        report["flaky"],
        serde_json::json!(["tests.test_app::test_flaky"]),
        "{t}"
    );
    assert_eq!(report["failures"][0]["line"], 13, "{t}");
}

/// A tool directory from `var` (set by a scripts/test.d file); `None` only outside CI when the
/// variable is unset. `check` must hold for the directory, or the test fails with `fix`.
fn tool_dir(var: &str, script: &str, check: impl FnOnce(&Path) -> bool) -> Option<PathBuf> {
    let Some(dir) = std::env::var_os(var).map(PathBuf::from) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{var} is not set: {script} installs the tool and sets it"
        );
        eprintln!("skipped: {var} is not set ({script} sets it)");
        return None;
    };
    assert!(
        check(&dir),
        "{var}={} does not work: run {script} again",
        dir.display()
    );
    Some(dir)
}

/// The `node_modules` with jest, jest-junit and vitest (`SLIPWAY_NODE_RUNNERS`).
fn node_runners() -> Option<PathBuf> {
    tool_dir(
        "SLIPWAY_NODE_RUNNERS",
        "scripts/test.d/node-runners.sh",
        |dir| {
            ["jest", "vitest"].iter().all(|bin| {
                std::process::Command::new(dir.join("node_modules/.bin").join(bin))
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            })
        },
    )
    .map(|d| d.join("node_modules"))
}

/// The directory of the `go` binary (`SLIPWAY_GO`).
fn go_dir() -> Option<PathBuf> {
    tool_dir("SLIPWAY_GO", "scripts/test.d/go.sh", |go| {
        std::process::Command::new(go)
            .arg("version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
    .map(|go| go.parent().expect("go is in a directory").to_path_buf())
}

/// Writes `files` under `root`.
fn write_tree(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
}

/// `PATH` with `dir` first.
fn path_with(dir: &Path) -> String {
    format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Tests, passed, failed and skipped of a `--json` report.
fn counts(v: &serde_json::Value) -> [u64; 4] {
    ["tests", "passed", "failed", "skipped"].map(|k| v["totals"][k].as_u64().unwrap_or(u64::MAX))
}

/// Writes the node project `files` at `root`, links the installed runners in as its
/// `node_modules`, and runs `slipway run-tests --collect-coverage true --json` there.
fn run_node_project(root: &Path, modules: &Path, files: &[(&str, &str)]) -> common::Transcript {
    write_tree(root, files);
    std::os::unix::fs::symlink(modules, root.join("node_modules")).unwrap();
    slipway()
        .args(["run-tests", "--collect-coverage", "true", "--json"])
        .arg_path(root)
        .env("PATH", path_with(&modules.join(".bin")))
        .current_dir(root)
        .run()
}

/// The report a run wrote under `root`.
fn written_report(root: &Path, name: &str) -> serde_json::Value {
    let path = root.join(".slipway/test-results").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

const PRICE_JS: &str = "function total(items) {\n  let sum = 0;\n  for (const item of items) {\n    sum += item.price * item.qty;\n  }\n  return sum;\n}\n\nfunction discount(sum, code) {\n  if (code === \"HALF\") {\n    return sum / 2;\n  }\n  return sum;\n}\n\nmodule.exports = { total, discount };\n";

#[test]
fn a_real_jest_project_reports_counts_the_failure_location_and_coverage() {
    let Some(modules) = node_runners() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("shop");
    let t = run_node_project(
        &root,
        &modules,
        &[
            (
                "package.json",
                "{\"name\": \"shop\", \"private\": true, \"jest\": {\"testEnvironment\": \"node\"}}\n",
            ),
            ("src/price.js", PRICE_JS),
            (
                "src/price.test.js",
                "const { total, discount } = require(\"./price\");\n\ntest(\"totals the items\", () => {\n  expect(total([{ price: 2, qty: 3 }])).toBe(6);\n});\n\ntest(\"halves with the code\", () => {\n  expect(discount(10, \"HALF\")).toBe(4);\n});\n\ntest.skip(\"rounds to cents\", () => {});\n",
            ),
            (
                "slipway.yml",
                "version: 1\nci:\n  test-commands: [\"jest\"]\n",
            ),
        ],
    );
    t.code(1);
    let v = json(&t.stdout);
    assert_eq!(
        v["totals"],
        serde_json::json!({"tests": 3, "passed": 1, "failed": 1, "errors": 0, "skipped": 1, "time_s": v["totals"]["time_s"]}),
        "{t}"
    );
    // Statements on lines 2-4, 6, 10, 11, 13, 16; `return sum` on 13 never runs: 7 of 8.
    assert_eq!(
        v["coverage"],
        serde_json::json!({"covered": 7, "total": 8, "percent": 87.5}),
        "{t}"
    );
    let report = written_report(&root, "report.json");
    let failure = &report["failures"][0];
    assert_eq!(
        failure["id"], "src/price.test.js::halves with the code",
        "{failure}"
    );
    assert_eq!(failure["file"], "src/price.test.js", "{failure}");
    assert_eq!(failure["line"], 8, "{failure}");
    assert_eq!(
        report["coverage_data"]["files"]["src/price.js"]["covered"],
        "2-4,6,10-11,16"
    );
}

#[test]
fn a_real_vitest_project_reports_counts_the_failure_location_and_coverage() {
    let Some(modules) = node_runners() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("cart");
    let t = run_node_project(
        &root,
        &modules,
        &[
            (
                "package.json",
                "{\"name\": \"cart\", \"private\": true, \"type\": \"module\"}\n",
            ),
            (
                "src/cart.js",
                "export function add(cart, item) {\n  return [...cart, item];\n}\n\nexport function count(cart) {\n  return cart.length;\n}\n\nexport function clear(cart) {\n  if (cart.length === 0) {\n    return cart;\n  }\n  return [];\n}\n",
            ),
            (
                "test/cart.test.js",
                "import { describe, expect, test } from \"vitest\";\nimport { add, count } from \"../src/cart.js\";\n\ndescribe(\"cart\", () => {\n  test(\"adds an item\", () => {\n    expect(add([], \"apple\")).toEqual([\"apple\"]);\n  });\n\n  test(\"counts the items\", () => {\n    expect(count([\"a\", \"b\"])).toBe(3);\n  });\n\n  test.skip(\"clears\", () => {});\n});\n",
            ),
            (
                "slipway.yml",
                "version: 1\nci:\n  test-commands: [\"vitest run\"]\n",
            ),
        ],
    );
    t.code(1);
    let v = json(&t.stdout);
    assert_eq!(counts(&v), [3, 1, 1, 1], "{t}");
    // V8 counts every non-blank line of cart.js (12); clear() never runs (10-14): 7 of 12,
    // written although a test failed.
    assert_eq!(
        v["coverage"],
        serde_json::json!({"covered": 7, "total": 12, "percent": 58.33}),
        "{t}"
    );
    let report = written_report(&root, "report.json");
    let failure = &report["failures"][0];
    assert_eq!(failure["name"], "cart > counts the items", "{failure}");
    assert_eq!(failure["file"], "test/cart.test.js", "{failure}");
    assert_eq!(failure["line"], 10, "{failure}");
}

/// A Go module with two packages, each with a failing test.
fn go_module(root: &Path) {
    write_tree(
        root,
        &[
            ("go.mod", "module example.com/shop\n\ngo 1.19\n"),
            (
                "cart/cart.go",
                "package cart\n\n// Count returns how many items the cart holds.\nfunc Count(items []string) int {\n\treturn len(items)\n}\n\n// Empty reports whether the cart holds nothing.\nfunc Empty(items []string) bool {\n\tif len(items) == 0 {\n\t\treturn true\n\t}\n\treturn false\n}\n",
            ),
            (
                "cart/cart_test.go",
                "package cart\n\nimport \"testing\"\n\nfunc TestCount(t *testing.T) {\n\tif Count([]string{\"a\"}) != 1 {\n\t\tt.Fatal(\"one item\")\n\t}\n}\n\nfunc TestEmpty(t *testing.T) {\n\tif Empty(nil) {\n\t\tt.Errorf(\"nil cart reported empty\")\n\t}\n}\n",
            ),
            (
                "price/price.go",
                "package price\n\n// Total adds the prices.\nfunc Total(prices []int) int {\n\tsum := 0\n\tfor _, p := range prices {\n\t\tsum += p\n\t}\n\treturn sum\n}\n\n// Half halves a price.\nfunc Half(p int) int {\n\treturn p / 2\n}\n",
            ),
            (
                "price/price_test.go",
                "package price\n\nimport \"testing\"\n\nfunc TestTotal(t *testing.T) {\n\tif Total([]int{1, 2}) != 3 {\n\t\tt.Fatal(\"total\")\n\t}\n}\n\nfunc TestHalf(t *testing.T) {\n\tif got := Half(5); got != 3 {\n\t\tt.Errorf(\"Half(5) = %d, want 3\", got)\n\t}\n}\n\nfunc TestSkipped(t *testing.T) {\n\tt.Skip(\"later\")\n}\n",
            ),
            (
                "slipway.yml",
                "version: 1\nci:\n  test-commands: [\"go test ./...\"]\n",
            ),
        ],
    );
}

fn run_go(root: &Path, go: &Path, extra: &[&str]) -> common::Run {
    let cache = root.join("../gocache");
    slipway()
        .args(["run-tests", "--collect-coverage", "true", "--json"])
        .args(extra)
        .arg_path(root)
        .env("PATH", path_with(go))
        .env("GOCACHE", &cache)
        .current_dir(root)
}

#[test]
fn a_real_go_module_reports_both_packages_and_its_statement_coverage() {
    let Some(go) = go_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("shop");
    go_module(&root);
    let t = run_go(&root, &go, &[]).run();
    t.code(1);
    let v = json(&t.stdout);
    assert_eq!(counts(&v), [5, 2, 2, 1], "{t}");
    // Statements: cart 4 (`return false` never runs), price 5, all run: 8 of 9.
    assert_eq!(
        v["coverage"],
        serde_json::json!({"covered": 8, "total": 9, "percent": 88.89}),
        "{t}"
    );
    let report = written_report(&root, "report.json");
    let mut failures: Vec<String> = report["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}",
                f["id"].as_str().unwrap(),
                f["file"].as_str().unwrap(),
                f["line"]
            )
        })
        .collect();
    failures.sort();
    assert_eq!(
        failures,
        vec![
            "example.com/shop/cart::TestEmpty cart_test.go:13",
            "example.com/shop/price::TestHalf price_test.go:13",
        ],
        "{t}"
    );
}

#[test]
fn go_shards_partition_the_packages_and_merge_to_the_whole_run() {
    let Some(go) = go_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("shop");
    go_module(&root);
    let mut packages = Vec::new();
    for k in 1..=2 {
        let t = run_go(&root, &go, &["--shard", &format!("{k}/2")]).run();
        t.code(1);
        let report = written_report(&root, &format!("report-{k}.json"));
        let mine: Vec<String> = report["suites"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            mine.len(),
            1,
            "each shard runs one of the two packages: {t}"
        );
        packages.extend(mine);
    }
    packages.sort();
    assert_eq!(
        packages,
        vec!["example.com/shop/cart", "example.com/shop/price"]
    );
    // Each shard measured its own package: the merge adds disjoint files, 8 of 9 as a whole run.
    let t = slipway()
        .args([
            "run-tests",
            "merge",
            "--json",
            "--coverage-min",
            "0",
            "--pass-rate",
            "0",
        ])
        .arg_path(root.join(".slipway/test-results/report-*.json"))
        .current_dir(&root)
        .run();
    t.code(0);
    let v = json(&t.stdout);
    assert_eq!(v["totals"]["tests"], 5, "{t}");
    assert_eq!(
        v["coverage"],
        serde_json::json!({"covered": 8, "total": 9, "percent": 88.89}),
        "{t}"
    );
}

// ---------------------------------------------------------------------------------------------
// The run-tests action end to end under act (host mode, offline), over real suites.

/// A git repository with the actions and scripts, `files`, and a workflow that runs the
/// run-tests action with `with` and prints its outputs.
fn action_repo(files: &[(&str, &str)], with: &str) -> tempfile::TempDir {
    let checkout = common::act::CHECKOUT;
    let workflow = format!(
        r#"on: push
permissions: {{}}
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: {checkout}
        with:
          persist-credentials: false
      - id: tests
        uses: ./actions/run-tests
        with:
{with}
      - name: Show the outputs
        if: ${{{{ always() }}}}
        env:
          TESTS: ${{{{ steps.tests.outputs.tests }}}}
          PASSED: ${{{{ steps.tests.outputs.passed }}}}
          FAILED: ${{{{ steps.tests.outputs.failed }}}}
          SKIPPED: ${{{{ steps.tests.outputs.skipped }}}}
          RATE: ${{{{ steps.tests.outputs.pass-rate }}}}
          COVERAGE: ${{{{ steps.tests.outputs.coverage }}}}
          FLAKY: ${{{{ steps.tests.outputs.flaky }}}}
          REPORT: ${{{{ steps.tests.outputs.report }}}}
        run: |
          echo "OUT tests=$TESTS passed=$PASSED failed=$FAILED skipped=$SKIPPED rate=$RATE coverage=[$COVERAGE] flaky=$FLAKY report=$REPORT"
          test -f "$REPORT" && echo "REPORT EXISTS"
          ls _slipway/results/app | sed 's/^/RESULT FILE /'
"#
    );
    let mut all = files.to_vec();
    all.push((".gitignore", "_slipway/\ntarget/\n__pycache__/\n"));
    common::act::repo(&all, &workflow)
}

/// act with the built binary (and `extra_path`) first on PATH.
fn run_act(act: &Path, repo: &Path, extra_path: Option<&Path>) -> (Option<i32>, String) {
    let path: Vec<&Path> = extra_path.into_iter().collect();
    common::act::run(
        act,
        repo,
        &common::act::Options {
            path: &path,
            ..Default::default()
        },
    )
}

#[test]
fn act_run_tests_runs_a_cargo_crate_with_its_doctests() {
    let Some(act) = common::act::act() else {
        return;
    };
    let repo = action_repo(
        &[
            (
                "core/Cargo.toml",
                "[package]\nname = \"core\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
            ),
            (
                "core/src/lib.rs",
                "/// ```\n/// assert_eq!(core::double(2), 4);\n/// ```\npub fn double(x: i32) -> i32 { x * 2 }\n\n#[cfg(test)]\nmod tests {\n    #[test]\n    fn doubles() { assert_eq!(super::double(3), 6); }\n}\n",
            ),
        ],
        "          stack: rust\n          working-directory: core\n          results: _slipway/results/app\n",
    );
    let (code, log) = run_act(&act, repo.path(), None);
    assert_eq!(code, Some(0), "{log}");
    assert!(
        log.contains("OUT tests=2 passed=2 failed=0 skipped=0 rate=100.00 coverage=[] flaky=0 report=_slipway/results/app/report-1.json"),
        "{log}"
    );
    assert!(log.contains("REPORT EXISTS"), "{log}");
    assert!(log.contains("RESULT FILE timings.json"), "{log}");
    // The unit test and the doctest, each in its suite of the step summary.
    assert!(log.contains("tests passed"), "{log}");
    assert!(log.contains("| gate | ok | actual | required |"), "{log}");
}

#[test]
fn act_run_tests_runs_pytest_with_coverage_in_a_subproject() {
    let Some(act) = common::act::act() else {
        return;
    };
    let Some(bin) = pytest_bin() else {
        return;
    };
    let repo = action_repo(
        &[
            ("api/pytest.ini", "[pytest]\n"),
            (
                "api/calc.py",
                "def add(a, b):\n    return a + b\n\n\ndef unused(a):\n    if a:\n        return 1\n    return 2\n",
            ),
            (
                "api/tests/test_calc.py",
                "import pytest\n\nfrom calc import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n\n\n@pytest.mark.skip(reason='later')\ndef test_later():\n    pass\n",
            ),
            ("api/tests/__init__.py", ""),
            ("api/conftest.py", ""),
            // Coverage is asked of pytest only when the project declares pytest-cov.
            ("api/requirements-dev.txt", "pytest\npytest-cov\n"),
            // The gate reads slipway.yml at the root.
            ("slipway.yml", "version: 1\nci:\n  coverage:\n    min: 60\n"),
        ],
        "          stack: python\n          working-directory: api\n          command: python -m pytest\n          shard: 1/1\n          results: _slipway/results/app\n          coverage: \"true\"\n",
    );
    let (code, log) = run_act(&act, repo.path(), Some(&bin));
    assert_eq!(code, Some(0), "{log}");
    // calc.py: 6 statements, 4 run; the test files and conftest are measured too.
    let line = log
        .lines()
        .find(|l| l.contains("OUT tests="))
        .unwrap_or_else(|| panic!("{log}"));
    assert!(
        line.contains("OUT tests=2 passed=1 failed=0 skipped=1 rate=100.00 coverage=["),
        "{line}"
    );
    let coverage: f64 = line
        .split("coverage=[")
        .nth(1)
        .and_then(|r| r.split(']').next())
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(coverage > 50.0 && coverage < 100.0, "{line}");
    assert!(log.contains("RESULT FILE coverage-1.xml"), "{log}");
    assert!(log.contains("line coverage"), "{log}");
    assert!(log.contains("gate coverage: ok (actual"), "{log}");
}

#[test]
fn act_run_tests_fails_the_job_on_a_failing_node_test_and_names_it_in_the_summary() {
    let Some(act) = common::act::act() else {
        return;
    };
    let repo = action_repo(
        &[
            (
                "web/package.json",
                "{\"name\": \"web\", \"private\": true, \"scripts\": {\"test\": \"node --test\"}}\n",
            ),
            ("web/src/sum.js", "exports.sum = (a, b) => a + b;\n"),
            (
                "web/test/sum.test.js",
                "const test = require('node:test');\nconst assert = require('node:assert');\nconst { sum } = require('../src/sum.js');\n\ntest('adds', () => {\n  assert.strictEqual(sum(1, 2), 3);\n});\n\ntest('adds negatives', () => {\n  assert.strictEqual(sum(-1, -2), -4);\n});\n",
            ),
        ],
        "          stack: node\n          working-directory: web\n          command: node --test\n          shard: 1/1\n          results: _slipway/results/app\n",
    );
    let (code, log) = run_act(&act, repo.path(), None);
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("OUT tests=2 passed=1 failed=1 skipped=0 rate=50.00 coverage=[] flaky=0 report=_slipway/results/app/report-1.json"),
        "{log}"
    );
    assert!(log.contains("tests failed"), "{log}");
    assert!(log.contains("adds negatives"), "{log}");
    // The failure is annotated at its line in the repository's file.
    assert!(log.contains("file=web/test/sum.test.js,line=10"), "{log}");
}

/// Runs `slipway run-tests --json --command COMMAND` in `root`, with `bin` first on `PATH`.
fn run_command(
    root: &Path,
    command: &str,
    bin: Option<&Path>,
    extra: &[&str],
) -> common::Transcript {
    let mut cmd = slipway()
        .args(["run-tests", "--json", "--command", command])
        .args(extra)
        .arg_path(root)
        .current_dir(root);
    if let Some(bin) = bin {
        cmd = cmd.env("PATH", path_with(bin));
    }
    cmd.run()
}

/// A node project at `root` with `package.json` scripts and `files`, the runners linked in.
fn node_project(root: &Path, modules: &Path, scripts: &str, files: &[(&str, &str)]) {
    write_tree(root, files);
    write_tree(
        root,
        &[(
            "package.json",
            &format!(
                "{{\"name\": \"shop\", \"version\": \"1.0.0\", \"private\": true, \"scripts\": {{{scripts}}}}}\n"
            ),
        )],
    );
    std::os::unix::fs::symlink(modules, root.join("node_modules")).unwrap();
}

const MOCHA_PASS: &str = "const assert = require('assert');\ndescribe('cart', () => {\n  it('adds', () => assert.equal(1 + 1, 2));\n  it.skip('later', () => {});\n});\n";
const MOCHA_FAIL: &str = "const assert = require('assert');\ndescribe('cart', () => {\n  it('adds', () => assert.equal(1 + 1, 2));\n  it('totals', () => assert.equal(1 + 1, 3));\n});\n";

#[test]
fn npm_test_running_mocha_reports_a_passing_suite_as_passed() {
    let Some(modules) = node_runners() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    node_project(
        &root,
        &modules,
        r#""test": "mocha""#,
        &[("test/cart.test.js", MOCHA_PASS)],
    );
    let t = run_command(&root, "npm test", None, &[]);
    t.code(0);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 0, 1], "{t}");
    // Failing, then crashing before any test.
    write_tree(&root, &[("test/cart.test.js", MOCHA_FAIL)]);
    let t = run_command(&root, "npm test", None, &[]);
    t.code(1);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 1, 0], "{t}");
    let report = written_report(&root, "report.json");
    assert_eq!(report["failures"][0]["id"], "cart::totals", "{report}");
    assert_eq!(
        report["failures"][0]["file"], "test/cart.test.js",
        "{report}"
    );
    assert_eq!(report["failures"][0]["line"], 4, "{report}");
    write_tree(
        &root,
        &[("test/cart.test.js", "describe('cart', () => {\n")],
    );
    let t = run_command(&root, "npm test", None, &[]);
    t.code(1);
    assert_eq!(json(&t.stdout)["totals"]["errors"], 1, "{t}");
}

#[test]
fn mocha_run_directly_and_through_a_chain_whose_runner_is_not_last() {
    let Some(modules) = node_runners() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    node_project(
        &root,
        &modules,
        r#""test": "mocha && npm run lint", "lint": "node -e 0""#,
        &[("test/cart.test.js", MOCHA_FAIL)],
    );
    let t = run_command(&root, "mocha", Some(&modules.join(".bin")), &[]);
    t.code(1);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 1, 0], "{t}");
    let t = run_command(&root, "npm test", None, &[]);
    t.code(1);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 1, 0], "{t}");
    assert!(t.stderr.contains("runs command by command"), "{t}");
    // The lint after the tests still runs when they pass, and its failure fails the run.
    write_tree(&root, &[("test/cart.test.js", MOCHA_PASS)]);
    let t = run_command(&root, "npm test", None, &[]);
    t.code(0);
    std::fs::write(
        root.join("package.json"),
        r#"{"name": "shop", "scripts": {"test": "mocha && npm run lint", "lint": "node -e 'process.exit(3)'"}}"#,
    )
    .unwrap();
    let t = run_command(&root, "npm test", None, &[]);
    t.code(1);
    assert_eq!(gate(&json(&t.stdout), "exit-code")["ok"], false, "{t}");
}

#[test]
fn ava_through_npm_test_reports_its_tap_output() {
    let Some(modules) = node_runners() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    node_project(
        &root,
        &modules,
        r#""test": "ava""#,
        &[(
            "test/cart.test.mjs",
            "import test from 'ava';\ntest('adds', t => { t.is(1 + 1, 2); });\ntest.skip('later', t => { t.pass(); });\n",
        )],
    );
    let t = run_command(&root, "npm test", None, &[]);
    t.code(0);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 0, 1], "{t}");
    write_tree(
        &root,
        &[(
            "test/cart.test.mjs",
            "import test from 'ava';\ntest('adds', t => { t.is(1 + 1, 2); });\ntest('totals', t => { t.is(1 + 1, 3); });\n",
        )],
    );
    let t = run_command(&root, "npm test", None, &[]);
    t.code(1);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 1, 0], "{t}");
    write_tree(
        &root,
        &[(
            "test/cart.test.mjs",
            "import test from 'ava';\nthrow new Error('boom');\n",
        )],
    );
    let t = run_command(&root, "npm test", None, &[]);
    t.code(1);
    let v = json(&t.stdout);
    assert!(
        v["totals"]["failed"].as_u64().unwrap() + v["totals"]["errors"].as_u64().unwrap() >= 1,
        "{t}"
    );
}

#[test]
fn node_test_through_a_script_is_told_through_node_options() {
    let Some(modules) = node_runners() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    let pass = "const test = require('node:test');\nconst assert = require('node:assert');\ntest('adds', () => assert.equal(1 + 1, 2));\n";
    node_project(
        &root,
        &modules,
        r#""test": "node --test test/""#,
        &[("test/a.test.js", pass)],
    );
    let t = run_command(&root, "npm test", None, &[]);
    t.code(0);
    assert_eq!(counts(&json(&t.stdout)), [1, 1, 0, 0], "{t}");
    // Directly, with a directory argument: the reporter flags go before it.
    let t = run_command(&root, "node --test test/", None, &[]);
    t.code(0);
    assert_eq!(counts(&json(&t.stdout)), [1, 1, 0, 0], "{t}");
    write_tree(
        &root,
        &[(
            "test/a.test.js",
            &format!("{pass}test('totals', () => assert.equal(1 + 1, 3));\n"),
        )],
    );
    let t = run_command(&root, "npm test", None, &[]);
    t.code(1);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 1, 0], "{t}");
    write_tree(&root, &[("test/a.test.js", "const x = ;\n")]);
    let t = run_command(&root, "npm test", None, &[]);
    t.code(1);
}

#[test]
fn jest_and_vitest_through_package_scripts() {
    let Some(modules) = node_runners() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    node_project(
        &root,
        &modules,
        r#""test": "cross-env-free=1 jest", "unit": "vitest run""#,
        &[
            (
                "src/a.test.js",
                "test('adds', () => { expect(1 + 1).toBe(2); });\n",
            ),
            (
                "vitest.config.mjs",
                "export default { test: { include: ['v/**/*.test.mjs'] } };\n",
            ),
            (
                "v/b.test.mjs",
                "import { test, expect } from 'vitest';\ntest('adds', () => { expect(1 + 1).toBe(2); });\ntest('totals', () => { expect(1 + 1).toBe(3); });\n",
            ),
        ],
    );
    std::fs::write(
        root.join("package.json"),
        r#"{"name": "shop", "private": true, "jest": {"testEnvironment": "node", "testMatch": ["**/src/**/*.test.js"]}, "scripts": {"test": "jest", "unit": "vitest run"}}"#,
    )
    .unwrap();
    let t = run_command(&root, "npm test", None, &[]);
    t.code(0);
    assert_eq!(counts(&json(&t.stdout)), [1, 1, 0, 0], "{t}");
    let t = run_command(&root, "npm run unit", None, &[]);
    t.code(1);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 1, 0], "{t}");
    // pnpm takes the arguments without `--`.
    let t = run_command(&root, "pnpm run unit", Some(&modules.join(".bin")), &[]);
    t.code(1);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 1, 0], "{t}");
}

#[test]
fn a_script_without_a_known_runner_passes_by_its_exit_code_and_says_why() {
    let Some(modules) = node_runners() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    node_project(
        &root,
        &modules,
        r#""test": "node check.js""#,
        &[("check.js", "process.exit(Number(process.env.CODE || 0));\n")],
    );
    let t = run_command(&root, "npm test", None, &[]);
    t.code(0);
    let v = json(&t.stdout);
    assert_eq!(v["gates"], serde_json::json!([]), "{t}");
    assert_eq!(v["not_evaluated"][0]["gate"], "pass-rate", "{t}");
    assert!(
        v["not_evaluated"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("recognises no test runner"),
        "{t}"
    );
    assert!(t.stderr.contains("note: `npm test`"), "{t}");
    // `--allow-empty=false`: no results is an error.
    let t = run_command(&root, "npm test", None, &["--allow-empty=false"]);
    t.code(2);
    assert!(t.stderr.contains("no test results found"), "{t}");
    // The same script failing is a failed run, not "no results".
    let t = slipway()
        .args(["run-tests", "--json", "--command", "npm test"])
        .arg_path(&root)
        .env("CODE", "1")
        .current_dir(&root)
        .run();
    t.code(1);
    // A command that does not exist could not run.
    let t = run_command(&root, "no-such-runner --all", None, &[]);
    t.code(2);
    assert!(t.stderr.contains("a command was not found"), "{t}");
}

#[test]
fn a_truncated_result_file_fails_with_a_note_naming_it_and_the_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    // A stand-in jest that passes and leaves half a JSON file where it was told to write.
    write_tree(
        &root,
        &[(
            "bin/jest",
            "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --outputFile=*) printf '{\"numFailedTests\": 0, \"testResults\": [' > \"${a#--outputFile=}\";; esac; done\nexit 0\n",
        )],
    );
    let bin = root.join("bin");
    std::fs::set_permissions(
        bin.join("jest"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let t = run_command(&root, "jest", Some(&bin), &[]);
    t.code(1);
    assert!(
        t.stderr.contains("command-0.jest.json` cannot be read"),
        "{t}"
    );
    assert!(t.stderr.contains("exited with 0"), "{t}");
}

#[test]
fn python_unittest_and_django_report_their_verbose_results() {
    let Some(bin) = pytest_bin() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    write_tree(
        &root,
        &[
            ("tests/__init__.py", ""),
            (
                "tests/test_cart.py",
                "import unittest\n\nclass Cart(unittest.TestCase):\n    def test_adds(self):\n        self.assertEqual(1 + 1, 2)\n\n    @unittest.skip('later')\n    def test_later(self):\n        pass\n",
            ),
        ],
    );
    let t = run_command(&root, "python -m unittest", Some(&bin), &[]);
    t.code(0);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 0, 1], "{t}");
    write_tree(
        &root,
        &[(
            "tests/test_total.py",
            "import unittest\n\nclass Total(unittest.TestCase):\n    def test_totals(self):\n        self.assertEqual(1 + 1, 3)\n",
        )],
    );
    let t = run_command(&root, "python -m unittest", Some(&bin), &[]);
    t.code(1);
    assert_eq!(counts(&json(&t.stdout)), [3, 1, 1, 1], "{t}");
    let report = written_report(&root, "report.json");
    assert_eq!(
        report["failures"][0]["file"], "tests/test_total.py",
        "{report}"
    );
    assert_eq!(report["failures"][0]["line"], 5, "{report}");
    // A module that does not import: one errored case.
    write_tree(&root, &[("tests/test_total.py", "import missing_module\n")]);
    let t = run_command(&root, "python -m unittest", Some(&bin), &[]);
    t.code(1);
    assert_eq!(json(&t.stdout)["totals"]["errors"], 1, "{t}");
    // Django, when installed beside pytest.
    let django = std::process::Command::new(bin.join("python"))
        .args(["-c", "import django"])
        .status()
        .is_ok_and(|s| s.success());
    if !django {
        eprintln!("skipped Django: not installed in {}", bin.display());
        return;
    }
    let site = dir.path().join("site");
    write_tree(
        &site,
        &[
            (
                "manage.py",
                "import os, sys\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'site_settings')\nfrom django.core.management import execute_from_command_line\nexecute_from_command_line(sys.argv)\n",
            ),
            (
                "site_settings.py",
                "SECRET_KEY = 'test'\nINSTALLED_APPS = ['shop']\nDATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', 'NAME': ':memory:'}}\nUSE_TZ = True\n",
            ),
            ("shop/__init__.py", ""),
            (
                "shop/tests.py",
                "from django.test import SimpleTestCase\n\nclass Cart(SimpleTestCase):\n    def test_adds(self):\n        self.assertEqual(1 + 1, 2)\n\n    def test_totals(self):\n        self.assertEqual(1 + 1, 3)\n",
            ),
        ],
    );
    let t = run_command(&site, "python manage.py test", Some(&bin), &[]);
    t.code(1);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 1, 0], "{t}");
    let report = written_report(&site, "report.json");
    assert_eq!(
        report["failures"][0]["id"], "shop.tests.Cart::test_totals",
        "{report}"
    );
}

/// The `ruby` binary's directory, when Ruby is installed.
fn ruby_dir() -> Option<PathBuf> {
    let ok = std::process::Command::new("ruby")
        .args(["-e", "require 'minitest'"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: ruby with minitest is not installed");
    }
    ok.then(|| PathBuf::from("/usr/bin"))
}

#[test]
fn minitest_run_by_ruby_and_rake_reports_its_verbose_results() {
    let Some(_) = ruby_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    let pass = "require 'minitest/autorun'\n\nclass CartTest < Minitest::Test\n  def test_adds\n    assert_equal 2, 1 + 1\n  end\n\n  def test_later\n    skip 'later'\n  end\nend\n";
    write_tree(
        &root,
        &[
            ("test/cart_test.rb", pass),
            (
                "Rakefile",
                "require 'rake/testtask'\nRake::TestTask.new(:test) { |t| t.libs << 'test'; t.pattern = 'test/**/*_test.rb' }\n",
            ),
        ],
    );
    let t = run_command(&root, "ruby -Itest test/cart_test.rb", None, &[]);
    t.code(0);
    assert_eq!(counts(&json(&t.stdout)), [2, 1, 0, 1], "{t}");
    write_tree(
        &root,
        &[(
            "test/cart_test.rb",
            &pass.replace("assert_equal 2, 1 + 1", "assert_equal 3, 1 + 1"),
        )],
    );
    let t = run_command(&root, "rake test", None, &[]);
    t.code(1);
    assert_eq!(counts(&json(&t.stdout)), [2, 0, 1, 1], "{t}");
    let report = written_report(&root, "report.json");
    assert_eq!(
        report["failures"][0]["id"], "CartTest::test_adds",
        "{report}"
    );
    assert_eq!(
        report["failures"][0]["file"], "test/cart_test.rb",
        "{report}"
    );
    assert_eq!(report["failures"][0]["line"], 5, "{report}");
    write_tree(
        &root,
        &[(
            "test/cart_test.rb",
            "require 'minitest/autorun'\nclass CartTest < Minitest::Test\n",
        )],
    );
    let t = run_command(&root, "rake test", None, &[]);
    t.code(1);
    assert_eq!(json(&t.stdout)["totals"]["errors"], 1, "{t}");
}

#[test]
fn rspec_gets_its_json_formatter_beside_progress() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    // A stand-in `bin/rspec` that checks its arguments and writes RSpec's JSON where told.
    let fixture_json = fixture("formats/rspec.json");
    write_tree(
        &root,
        &[(
            "bin/rspec",
            &format!(
                "#!/bin/sh\n[ \"$1 $2 $3 $4 $5\" = \"--format progress --format json --out\" ] || {{ echo \"unexpected: $*\" >&2; exit 9; }}\ncp '{fixture_json}' \"$6\"\nexit 1\n"
            ),
        )],
    );
    std::fs::set_permissions(
        root.join("bin/rspec"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let t = run_command(&root, "bin/rspec", None, &[]);
    t.code(1);
    let v = json(&t.stdout);
    assert_eq!(v["totals"]["tests"], 4, "{t}");
    assert_eq!(v["totals"]["errors"], 1, "{t}");
}

#[test]
fn tap_from_prove_and_bats_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("app");
    write_tree(
        &root,
        &[
            (
                "results/math.tap",
                "1..3\nok 1 adds\nnot ok 2 breaks\n# (in test file test/math.bats, line 7)\nok 3 later # skip no database\n",
            ),
            ("results/short.tap", "TAP version 14\n1..3\nok 1 - a\n"),
        ],
    );
    let t = slipway()
        .args([
            "run-tests",
            "--skip-run",
            "--json",
            "--results",
            "results/*.tap",
        ])
        .arg_path(&root)
        .current_dir(&root)
        .run();
    t.code(1);
    let v = json(&t.stdout);
    assert_eq!(
        v["totals"],
        serde_json::json!({"tests": 5, "passed": 2, "failed": 1, "errors": 1, "skipped": 1, "time_s": 0.0}),
        "{t}"
    );
    let perl = std::process::Command::new("prove")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !perl {
        eprintln!("skipped prove: not installed");
        return;
    }
    write_tree(
        &root,
        &[
            (
                "t/basic.t",
                "use Test::More tests => 2;\nok(1, 'adds');\nok(1, 'totals');\n",
            ),
            ("t/more.t", "use Test::More;\nok(1, 'x');\ndone_testing;\n"),
        ],
    );
    let t = run_command(&root, "prove t", None, &[]);
    t.code(0);
    assert_eq!(counts(&json(&t.stdout)), [3, 3, 0, 0], "{t}");
    write_tree(
        &root,
        &[(
            "t/basic.t",
            "use Test::More tests => 2;\nok(1, 'adds');\nok(0, 'totals');\n",
        )],
    );
    let t = run_command(&root, "prove t", None, &[]);
    t.code(1);
    assert_eq!(counts(&json(&t.stdout)), [3, 2, 1, 0], "{t}");
    write_tree(
        &root,
        &[("t/basic.t", "use Test::More tests => 2;\ndie 'boom';\n")],
    );
    let t = run_command(&root, "prove t", None, &[]);
    t.code(1);
}
