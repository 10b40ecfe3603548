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

/// A JUnit file of suite `s` with `cases` as (name, passed).
fn junit(cases: &[(&str, bool)]) -> String {
    let mut x = String::from("<testsuites><testsuite name=\"s\">\n");
    for (name, ok) in cases {
        if *ok {
            x.push_str(&format!("<testcase classname=\"s\" name=\"{name}\"/>\n"));
        } else {
            x.push_str(&format!(
                "<testcase classname=\"s\" name=\"{name}\"><failure message=\"no\"/></testcase>\n"
            ));
        }
    }
    x + "</testsuite></testsuites>\n"
}

/// Runs the tests of `cases` as the one shard of subproject `api` into `root/results`.
fn tests_report(root: &Path, cases: &[(&str, bool)]) {
    let _ = std::fs::remove_dir_all(root.join("results"));
    std::fs::write(root.join("junit.xml"), junit(cases)).unwrap();
    let t = slipway()
        .args(["run-tests", "--skip-run", "--shard", "1/1", "--output-dir"])
        .arg_path(root.join("results/api"))
        .args(["--results"])
        .arg_path(root.join("junit.xml"))
        .current_dir(root)
        .run();
    assert!(matches!(t.code, Some(0 | 1)), "{t}");
}

fn gate_against_base(root: &Path, fail_on: &str) -> common::Transcript {
    gate(root)
        .in_actions()
        .args(["--subproject", "api=success", "--pass-rate", "100"])
        .args(["--fail-on", fail_on, "--baseline"])
        .arg_path(root.join("baseline/quality.json"))
        .run()
}

#[test]
fn deltas_name_new_and_known_failures_added_and_removed_tests() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    // The default branch: `broken` already fails.
    tests_report(
        root,
        &[("a", true), ("broken", false), ("c", true), ("gone", true)],
    );
    let t = gate_against_base(root, "any");
    t.code(1);
    let q = quality(root);
    let d = &q["subprojects"][0]["deltas"];
    assert_eq!(d["evaluated"], false, "{q}");
    assert!(
        d["note"].as_str().unwrap().contains("no baseline at"),
        "{q}"
    );
    // Without a base, never "no regressions": the summary says the deltas are unknown.
    assert!(t.summary.contains("test deltas not evaluated"), "{t}");
    assert!(!t.summary.contains("new failures"), "{t}");
    std::fs::create_dir_all(root.join("baseline")).unwrap();
    std::fs::copy(
        root.join("quality/quality.json"),
        root.join("baseline/quality.json"),
    )
    .unwrap();

    // The pull request: `c` breaks, `fresh` is added, `gone` removed.
    tests_report(
        root,
        &[
            ("a", true),
            ("broken", false),
            ("c", false),
            ("fresh", true),
        ],
    );
    let t = gate_against_base(root, "regressions");
    t.code(1);
    let d = &quality(root)["subprojects"][0]["deltas"];
    assert_eq!(d["evaluated"], true);
    assert_eq!(d["new_failures"]["ids"], serde_json::json!(["s::c"]));
    assert_eq!(d["known_failures"]["ids"], serde_json::json!(["s::broken"]));
    assert_eq!(d["added"]["ids"], serde_json::json!(["s::fresh"]));
    assert_eq!(d["removed"]["ids"], serde_json::json!(["s::gone"]));
    let md = std::fs::read_to_string(root.join("quality/summary.md")).unwrap();
    assert!(md.contains("### Tests against the base branch"), "{md}");
    assert!(
        md.contains("- new failures (pass or absent on the base): 1 (`s::c`)"),
        "{md}"
    );
    assert!(md.contains("`api` 1 test(s) fail that passed"), "{md}");

    // Only the failure the base already has: `regressions` passes, and says why.
    tests_report(root, &[("a", true), ("broken", false), ("c", true)]);
    let t = gate_against_base(root, "regressions");
    t.code(0);
    assert!(
        t.summary
            .contains("the 1 failing test(s) already fail on the base branch"),
        "{t}"
    );
    let gates = &quality(root)["gates"];
    assert_eq!(gates[0]["name"], "api:regressions", "{gates}");
    // The same run under `any` fails its pass rate.
    gate_against_base(root, "any").code(1);
}

#[test]
fn a_baseline_without_per_test_results_or_truncated_never_passes_as_no_regressions() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    tests_report(root, &[("a", true), ("broken", false)]);
    gate_against_base(root, "any").code(1);
    let mut q = quality(root);
    // As an older version wrote it: no `tests`.
    q["subprojects"][0].as_object_mut().unwrap().remove("tests");
    std::fs::create_dir_all(root.join("baseline")).unwrap();
    let text = serde_json::to_string_pretty(&q).unwrap();
    std::fs::write(root.join("baseline/quality.json"), &text).unwrap();
    let t = gate_against_base(root, "regressions");
    t.code(1);
    let d = &quality(root)["subprojects"][0]["deltas"];
    assert_eq!(d["evaluated"], false);
    assert!(d["note"].as_str().unwrap().contains("older slipway"), "{d}");
    assert!(t.summary.contains("every failure counts"), "{t}");
    assert_eq!(quality(root)["gates"][0]["name"], "api:pass-rate");

    // Cut short mid-file: an error naming the file, never a pass.
    std::fs::write(root.join("baseline/quality.json"), &text[..text.len() / 2]).unwrap();
    let t = gate_against_base(root, "regressions");
    t.code(2);
    assert!(
        t.stderr
            .contains("cannot read the baseline `[TEMP]/baseline/quality.json`"),
        "{t}"
    );
}

#[test]
fn patch_coverage_counts_measurable_changed_lines_and_annotates_uncovered_ones() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::write(root.join("junit.xml"), junit(&[("a", true)])).unwrap();
    // Measured: 1, 2, 3, 5 (4 is a comment); covered: 1, 3.
    std::fs::write(
        root.join("lcov.info"),
        "TN:\nSF:src/a.js\nDA:1,1\nDA:2,0\nDA:3,1\nDA:5,0\nend_of_record\n",
    )
    .unwrap();
    let t = slipway()
        .args(["run-tests", "--skip-run", "--shard", "1/1", "--output-dir"])
        .arg_path(root.join("results/web"))
        .args(["--results"])
        .arg_path(root.join("junit.xml"))
        .args(["--coverage"])
        .arg_path(root.join("lcov.info"))
        .current_dir(root)
        .run();
    t.code(0);
    // The change: lines 2-5 of src/a.js, a new docs file, a deleted line elsewhere.
    std::fs::write(
        root.join("change.diff"),
        "\
diff --git a/src/a.js b/src/a.js
--- a/src/a.js
+++ b/src/a.js
@@ -1,0 +2,4 @@
+let x = f();
+g(x);
+// why
+return x;
diff --git a/docs/a b.md b/docs/a b.md
new file mode 100644
--- /dev/null
+++ b/docs/a b.md
@@ -0,0 +1 @@
+hello
diff --git a/src/c.js b/src/c.js
--- a/src/c.js
+++ b/src/c.js
@@ -7 +6,0 @@
-gone();
",
    )
    .unwrap();
    let run = |min: &str| {
        gate(root)
            .in_actions()
            .args(["--subproject", "web=success", "--patch-min", min])
            .args(["--diff"])
            .arg_path(root.join("change.diff"))
            .run()
    };
    // A push: the workflow sets SLIPWAY_DIFF empty, which is no diff.
    gate(root)
        .env("SLIPWAY_DIFF", "")
        .args(["--subproject", "web=success"])
        .run()
        .code(0);
    assert!(quality(root).get("patch_coverage").is_none());
    let t = run("0");
    t.code(0);
    let p = &quality(root)["patch_coverage"];
    // Hand-computed: 5 changed lines, 3 measurable (2, 3, 5), 1 covered (3).
    assert_eq!(p["changed"], 5, "{p}");
    assert_eq!(p["measured"], 3, "{p}");
    assert_eq!(p["covered"], 1, "{p}");
    assert_eq!(p["percent"], 33.33, "{p}");
    assert_eq!(p["uncovered"]["src/a.js"], serde_json::json!([2, 5]));
    assert!(
        t.stderr.contains(
            "::warning title=slipway patch coverage,file=src/a.js,line=2::this changed line is not covered by any test"
        ),
        "{t}"
    );
    assert!(t.stderr.contains("file=src/a.js,line=5::"), "{t}");
    assert!(t.summary.contains("`src/a.js`: 2,5"), "{t}");
    // With a floor, the gate fails.
    let t = run("50");
    t.code(1);
    assert!(
        t.summary.contains("patch coverage 33.33% is below 50%"),
        "{t}"
    );
    // A diff cut mid-hunk: an error naming the file, no result.
    let text = std::fs::read_to_string(root.join("change.diff")).unwrap();
    std::fs::write(root.join("change.diff"), &text[..100]).unwrap();
    let t = run("50");
    t.code(2);
    assert!(
        t.stderr
            .contains("cannot read the diff `[TEMP]/change.diff`: line"),
        "{t}"
    );
    assert!(t.stderr.contains("git diff --unified=0"), "{t}");
}
