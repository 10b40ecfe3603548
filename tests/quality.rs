//! `slipway quality gate`: every subproject's run-tests reports merged and gated against the
//! default branch's baseline, as the quality workflow's gate job runs it.

mod common;

use std::path::Path;

use common::slipway;

fn fixture(rel: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/run_tests")
        .join(rel)
        .display()
        .to_string()
}

/// Writes the report of shard `k` of `n` of `subproject` under `root/results/<subproject>`, the
/// way the run-tests action does, from real result and coverage files.
fn shard_report(root: &Path, subproject: &str, k: u32, n: u32, results: &str, coverage: &str) {
    let t = slipway()
        .args(["run-tests", "--skip-run", "--allow-empty", "--shard"])
        .args([format!("{k}/{n}")])
        .args(["--output-dir"])
        .arg_path(root.join("results").join(subproject))
        .args([
            "--results",
            &fixture(results),
            "--coverage",
            &fixture(coverage),
        ])
        .current_dir(root)
        .run();
    assert!(matches!(t.code, Some(0 | 1)), "{t}");
    assert!(
        root.join(format!("results/{subproject}/report-{k}.json"))
            .is_file(),
        "{t}"
    );
}

fn gate(root: &Path) -> common::Run {
    slipway()
        .args(["quality", "gate", "--results"])
        .arg_path(root.join("results"))
        .args(["--report"])
        .arg_path(root.join("quality"))
        .current_dir(root)
        .filter_temp(root)
}

fn quality(root: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(root.join("quality/quality.json")).unwrap())
        .unwrap()
}

fn output<'a>(outputs: &'a str, name: &str) -> Option<&'a str> {
    outputs
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
}

#[test]
fn shards_are_merged_and_a_first_run_without_baseline_passes_and_becomes_the_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // jest.xml and mocha.xml pass; lcov.info covers 31 of 34 lines... per fixture.
    shard_report(root, "web", 1, 2, "results/jest.xml", "coverage/lcov.info");
    shard_report(root, "web", 2, 2, "results/mocha.xml", "coverage/lcov.info");
    let t = gate(root)
        .in_actions()
        .args([
            "--subproject",
            "web=success",
            "--coverage-min",
            "50",
            "--pass-rate",
            "50",
        ])
        .args(["--baseline"])
        .arg_path(root.join("baseline/quality.json"))
        .run();
    t.code(0);
    let q = quality(root);
    assert_eq!(q["passed"], true, "{t}");
    assert_eq!(q["subprojects"][0]["source"], "run");
    assert_eq!(q["subprojects"][0]["reports"].as_array().unwrap().len(), 2);
    assert_eq!(q["totals"]["tests"], 6, "{q}");
    assert!(t.stderr.contains("no baseline at"), "{t}");
    let report = output(&t.outputs, "report").unwrap();
    assert!(report.ends_with("quality/quality.json"), "{t}");
    assert_eq!(output(&t.outputs, "baseline"), Some(report), "{t}");
    // The pull-request comment and the step summary say the same.
    let md = std::fs::read_to_string(root.join("quality/summary.md")).unwrap();
    assert!(md.contains("✅ quality gate passed"), "{md}");
    assert!(t.summary.contains("✅ quality gate passed"), "{t}");
}

#[test]
fn shards_of_one_subproject_merge_coverage_by_line_and_subprojects_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // web: shard 1 covers 7 of 16 lines, shard 2 9 of the same 16; the union is 11 of 16.
    shard_report(
        root,
        "web",
        1,
        2,
        "results/jest.xml",
        "coverage/shards/shard-1.info",
    );
    shard_report(
        root,
        "web",
        2,
        2,
        "results/mocha.xml",
        "coverage/shards/shard-2.info",
    );
    // api: tax.js, 3 of 4, a different tree: added to web's for the overall figure.
    shard_report(
        root,
        "api",
        1,
        1,
        "results/jest.xml",
        "coverage/shards/shard-3.info",
    );
    let t = gate(root)
        .in_actions()
        .args(["--subproject", "web=success", "--subproject", "api=success"])
        .args(["--coverage-min", "0", "--pass-rate", "0"])
        .run();
    t.code(0);
    let q = quality(root);
    let web = &q["subprojects"][0];
    assert_eq!(web["name"], "web", "{q}");
    assert_eq!(
        (&web["coverage"]["covered"], &web["coverage"]["total"]),
        (&serde_json::json!(11), &serde_json::json!(16)),
        "{q}"
    );
    assert_eq!(web["coverage"]["percent"], 68.75);
    assert_eq!(q["coverage"]["covered"], 14, "{q}");
    assert_eq!(q["coverage"]["total"], 20, "{q}");
    assert!(!t.summary.contains("without per-line data"), "{t}");
}

#[test]
fn a_coverage_drop_against_the_baseline_fails_and_an_untouched_subproject_comes_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    shard_report(
        root,
        "api",
        1,
        1,
        "results/pytest.xml",
        "coverage/cobertura.xml",
    );
    // The first run: api measured, web measured; its quality.json becomes the baseline.
    shard_report(root, "web", 1, 1, "results/jest.xml", "coverage/lcov.info");
    let t = gate(root)
        .args(["--subproject", "api=success", "--subproject", "web=success"])
        .args(["--coverage-min", "0", "--pass-rate", "0", "--json"])
        .run();
    t.code(0);
    let mut baseline = quality(root);
    // Pretend the default branch had better coverage in api.
    let api_percent = baseline["subprojects"][0]["coverage"]["percent"]
        .as_f64()
        .unwrap();
    baseline["subprojects"][0]["coverage"]["percent"] = serde_json::json!(api_percent + 5.0);
    std::fs::create_dir_all(root.join("baseline")).unwrap();
    std::fs::write(root.join("baseline/quality.json"), baseline.to_string()).unwrap();
    // This pull request touches only api.
    std::fs::remove_dir_all(root.join("results/web")).unwrap();
    let t = gate(root)
        .in_actions()
        .args(["--subproject", "api=success", "--subproject", "web=skipped"])
        .args(["--coverage-min", "0", "--pass-rate", "0", "--max-drop", "2"])
        .args(["--baseline"])
        .arg_path(root.join("baseline/quality.json"))
        .run();
    t.code(1);
    let q = quality(root);
    let api = &q["subprojects"][0];
    let drop = api["gates"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "coverage-drop")
        .unwrap_or_else(|| panic!("{q}"));
    assert_eq!(drop["ok"], false, "{q}");
    assert_eq!(drop["actual"], 5.0, "{q}");
    let web = &q["subprojects"][1];
    assert_eq!(web["source"], "baseline", "{q}");
    assert_eq!(
        web["totals"]["tests"],
        baseline["subprojects"][1]["totals"]["tests"]
    );
    let md = std::fs::read_to_string(root.join("quality/summary.md")).unwrap();
    assert!(md.contains("❌ quality gate failed"), "{md}");
    assert!(
        md.contains("line coverage dropped 5.00 points against the baseline (at most 2)"),
        "{md}"
    );
    assert!(md.contains("not changed (baseline)"), "{md}");
    assert!(
        t.stderr
            .contains("::error title=slipway quality gate::api:coverage-drop"),
        "{t}"
    );
}

#[test]
fn a_cancelled_job_or_a_missing_report_fails_closed_and_is_no_baseline() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    shard_report(root, "api", 1, 2, "results/jest.xml", "coverage/lcov.info");
    let t = gate(root)
        .in_actions()
        .args([
            "--subproject",
            "api=cancelled",
            "--subproject",
            "worker=success",
        ])
        .args(["--coverage-min", "0", "--pass-rate", "0"])
        .run();
    t.code(1);
    let q = quality(root);
    let failed: Vec<&str> = q["gates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["ok"] == false)
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["api:job", "worker:readable"], "{q}");
    assert_eq!(output(&t.outputs, "baseline"), Some(""), "{t}");
    let md = std::fs::read_to_string(root.join("quality/summary.md")).unwrap();
    assert!(
        md.contains("the coverage job finished with `cancelled`"),
        "{md}"
    );
    assert!(md.contains("no run-tests report under"), "{md}");
}

#[test]
fn a_failing_test_is_listed_with_its_location() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    shard_report(
        root,
        "api",
        1,
        1,
        "results/pytest.xml",
        "coverage/cobertura.xml",
    );
    let t = gate(root)
        .args(["--subproject", "api=failure", "--coverage-min", "0"])
        .run();
    t.code(1);
    let md = std::fs::read_to_string(root.join("quality/summary.md")).unwrap();
    assert!(md.contains("### Failed tests"), "{md}");
    assert!(md.contains("pass rate"), "{md}");
}

#[test]
fn malformed_arguments_and_a_corrupt_baseline_exit_2_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let t = gate(root).args(["--subproject", "api=passed"]).run();
    t.code(2);
    assert!(
        t.stderr
            .contains("invalid `--subproject api=passed`: expected NAME=RESULT"),
        "{t}"
    );
    let t = gate(root)
        .args(["--subproject", "api=success", "--coverage-min", "180"])
        .run();
    t.code(2);
    assert!(
        t.stderr.contains("`--coverage-min 180` is not a percent"),
        "{t}"
    );
    std::fs::write(root.join("bad.json"), "{\n  \"version\": 1,\n  oops\n}").unwrap();
    let t = gate(root)
        .args(["--subproject", "api=skipped", "--baseline"])
        .arg_path(root.join("bad.json"))
        .run();
    t.code(2);
    assert!(
        t.stderr
            .contains("cannot read the baseline `[TEMP]/bad.json`: line 3"),
        "{t}"
    );
    assert!(
        t.stderr
            .contains("hint: the baseline is the `quality.json`"),
        "{t}"
    );
    assert!(!root.join("quality/quality.json").exists());
}
