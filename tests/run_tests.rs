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
    let gates = json(&t.stdout)["gates"].clone();
    assert_eq!(
        gates[2],
        serde_json::json!({"name": "coverage-drop", "ok": false, "actual": 10.0, "required": 2.0})
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

/// A venv with pytest, or `None` when pip cannot install it here.
fn pytest_venv(dir: &Path) -> Option<PathBuf> {
    let venv = dir.join("venv");
    let ok = std::process::Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .is_ok_and(|s| s.success())
        && std::process::Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "pytest"])
            .status()
            .is_ok_and(|s| s.success());
    ok.then_some(venv)
}

#[test]
fn a_real_pytest_project_is_run_and_a_flaky_test_is_found_by_retries() {
    let dir = tempfile::tempdir().unwrap();
    let Some(venv) = pytest_venv(dir.path()) else {
        eprintln!("skipped: pytest cannot be installed here");
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
        venv.join("bin").display(),
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
