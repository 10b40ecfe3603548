//! The plain output of `cargo test` (libtest's default "pretty" format) turned into JUnit XML,
//! so doctests (which cargo-nextest does not run) and crates tested without nextest are
//! reported like everything else.
//!
//! libtest prints `test NAME ... ok|FAILED|ignored` per test, `Running unittests src/lib.rs
//! (…)` / `Doc-tests NAME` before each binary, and a `---- NAME stdout ----` block per failure
//! (<https://doc.rust-lang.org/cargo/commands/cargo-test.html>; the stable text format of
//! `library/test/src/formatters/pretty.rs`).

use std::fmt::Write as _;

/// The JUnit XML of one `cargo test` output.
pub fn to_junit(output: &str) -> String {
    let mut suites: Vec<(String, Vec<(String, &'static str)>)> = Vec::new();
    let mut details: Vec<(String, String)> = Vec::new();
    let mut current_detail: Option<(String, String)> = None;
    for line in output.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("Running ") {
            let name = rest.split(" (").next().unwrap_or(rest).to_owned();
            suites.push((name, Vec::new()));
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("Doc-tests ") {
            suites.push((format!("doctests {rest}"), Vec::new()));
            continue;
        }
        if let Some(name) = trimmed
            .strip_prefix("---- ")
            .and_then(|r| r.strip_suffix(" stdout ----"))
        {
            if let Some(d) = current_detail.take() {
                details.push(d);
            }
            current_detail = Some((name.to_owned(), String::new()));
            continue;
        }
        if let Some((_, text)) = current_detail.as_mut() {
            if trimmed == "failures:" || trimmed.starts_with("test result:") {
                if let Some(d) = current_detail.take() {
                    details.push(d);
                }
            } else {
                text.push_str(line);
                text.push('\n');
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("test ")
            && let Some((name, result)) = rest.rsplit_once(" ... ")
        {
            let outcome = match result.trim() {
                "ok" => "ok",
                "FAILED" => "failed",
                r if r.starts_with("ignored") => "ignored",
                _ => continue,
            };
            if suites.is_empty() {
                suites.push(("tests".into(), Vec::new()));
            }
            if let Some((_, cases)) = suites.last_mut() {
                cases.push((name.trim().to_owned(), outcome));
            }
        }
    }
    if let Some(d) = current_detail.take() {
        details.push(d);
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for (suite, cases) in suites.iter().filter(|(_, c)| !c.is_empty()) {
        let _ = writeln!(out, "  <testsuite name=\"{}\">", escape(suite));
        for (name, outcome) in cases {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\"",
                escape(name),
                escape(suite)
            );
            match *outcome {
                "failed" => {
                    let detail = details
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, d)| d.as_str())
                        .unwrap_or_default();
                    let message = detail
                        .lines()
                        .find(|l| !l.trim().is_empty() && !l.contains("panicked at"))
                        .unwrap_or("failed");
                    let _ = writeln!(
                        out,
                        "><failure message=\"{}\">{}</failure></testcase>",
                        escape(message.trim()),
                        escape(detail)
                    );
                }
                "ignored" => out.push_str("><skipped/></testcase>\n"),
                _ => out.push_str("/>\n"),
            }
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// How a case read from a runner's text output ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOutcome {
    /// Passed.
    Passed,
    /// An assertion failed.
    Failed,
    /// An unexpected error.
    Error,
    /// Skipped.
    Skipped,
}

/// A case read from a runner's text output (unittest's or minitest's verbose lines).
#[derive(Debug, Clone, PartialEq)]
pub struct TextCase {
    /// The suite (a test class).
    pub suite: String,
    /// The case's name.
    pub name: String,
    /// How it ended.
    pub outcome: TextOutcome,
    /// The failure or skip message.
    pub message: String,
    /// The trace.
    pub details: String,
    /// Its source file, when the output names it.
    pub file: Option<String>,
    /// The line in `file`.
    pub line: Option<u32>,
    /// Seconds, 0 when not printed.
    pub time_s: f64,
}

/// The JUnit XML of `cases`, one `<testsuite>` per suite in the order first seen.
pub fn write_junit(cases: &[TextCase]) -> String {
    let mut suites: Vec<&str> = Vec::new();
    for c in cases {
        if !suites.contains(&c.suite.as_str()) {
            suites.push(&c.suite);
        }
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    for suite in suites {
        let _ = writeln!(out, "  <testsuite name=\"{}\">", escape(suite));
        for c in cases.iter().filter(|c| c.suite == suite) {
            let _ = write!(
                out,
                "    <testcase name=\"{}\" classname=\"{}\" time=\"{}\"",
                escape(&c.name),
                escape(&c.suite),
                c.time_s
            );
            if let Some(f) = &c.file {
                let _ = write!(out, " file=\"{}\"", escape(f));
            }
            if let Some(l) = c.line {
                let _ = write!(out, " line=\"{l}\"");
            }
            let element = match c.outcome {
                TextOutcome::Passed => {
                    out.push_str("/>\n");
                    continue;
                }
                TextOutcome::Failed => "failure",
                TextOutcome::Error => "error",
                TextOutcome::Skipped => "skipped",
            };
            let _ = writeln!(
                out,
                "><{element} message=\"{}\">{}</{element}></testcase>",
                escape(&c.message),
                escape(&c.details)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// `s` escaped for XML text and attributes, control characters dropped.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push('\t'),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_tests::report::Collector;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any output, however mangled, becomes JUnit that our own parser reads.
        #[test]
        fn random_output_never_panics_and_gives_readable_junit(
            lines in proptest::collection::vec(prop_oneof![
                Just("test a ... ok".to_owned()), Just("test b ... FAILED".to_owned()),
                Just("test c ... ignored, slow".to_owned()), Just("---- b stdout ----".to_owned()),
                Just("failures:".to_owned()), Just("test result: FAILED".to_owned()),
                Just("     Running unittests src/lib.rs (x)".to_owned()), Just("   Doc-tests demo".to_owned()),
                Just("<&\"'>]]>".to_owned()), "\\PC{0,20}",
            ], 0..30)
        ) {
            let xml = to_junit(&lines.join("\n"));
            let mut c = Collector::new();
            prop_assert!(crate::run_tests::parse::results(xml.as_bytes(), "f", &mut c).is_ok(), "{}", xml);
        }
    }

    #[test]
    fn cargo_test_output_becomes_junit() {
        let output = "\
     Running unittests src/lib.rs (target/debug/deps/demo-1)

running 3 tests
test tests::adds ... ok
test tests::breaks ... FAILED
test tests::later ... ignored, not yet

failures:

---- tests::breaks stdout ----

thread 'tests::breaks' panicked at src/lib.rs:12:9:
assertion `left == right` failed
  left: 1
 right: 2

failures:
    tests::breaks

test result: FAILED. 1 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out

   Doc-tests demo

running 1 test
test src/lib.rs - add (line 3) ... ok
";
        let xml = to_junit(output);
        let mut c = Collector::new();
        crate::run_tests::parse::results(xml.as_bytes(), "x", &mut c).unwrap();
        let r = c.finish();
        assert_eq!(
            (
                r.totals.tests,
                r.totals.passed,
                r.totals.failed,
                r.totals.skipped
            ),
            (4, 2, 1, 1)
        );
        let f = &r.failures[0];
        assert_eq!(f.message, "assertion `left == right` failed");
        assert_eq!((f.file.as_deref(), f.line), (Some("src/lib.rs"), Some(12)));
    }
}
