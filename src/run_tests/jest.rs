//! jest's own JSON results (`jest --json --outputFile=FILE --testLocationInResults`), read
//! without jest-junit, which a project may not have installed.
//!
//! Format: `testResults[]` per test file (`name` its absolute path, `status`, `message`), each
//! with `assertionResults[]` (`ancestorTitles`, `title`, `status` `passed` | `failed` |
//! `pending` | `todo` | `skipped` | `disabled`, `duration` in ms, `failureMessages`,
//! `location`); <https://jestjs.io/docs/cli#--json>, the `AggregatedResult` type of
//! `@jest/test-result`. A file that failed to run (a syntax error, a failing import) has no
//! assertions and a `message`: it is one errored case.

use std::io::Read;

use serde::Deserialize;

use super::report::{Case, Collector, Outcome};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Aggregated {
    #[serde(default)]
    test_results: Vec<FileResult>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileResult {
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    assertion_results: Vec<Assertion>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Assertion {
    #[serde(default)]
    ancestor_titles: Vec<String>,
    #[serde(default)]
    title: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    duration: Option<f64>,
    #[serde(default)]
    failure_messages: Vec<String>,
    #[serde(default)]
    location: Option<Location>,
}

#[derive(Deserialize)]
struct Location {
    line: u32,
}

/// Reads jest's JSON from `input` into `out`.
pub fn parse<R: Read>(input: R, out: &mut Collector) -> Result<(), String> {
    let all: Aggregated =
        serde_json::from_reader(input).map_err(|e| format!("not jest's `--json` results: {e}"))?;
    for file in &all.test_results {
        let suite = file.name.as_str();
        if file.assertion_results.is_empty() && file.status == "failed" {
            let mut case = Case {
                name: "(test file)".into(),
                classname: suite.to_owned(),
                file: Some(suite.to_owned()),
                ..Case::default()
            };
            let message = strip_ansi(&file.message);
            case.result(
                Outcome::Error,
                "the test file failed to run",
                message.trim(),
            );
            out.case(suite, Some(suite), &case);
            continue;
        }
        for a in &file.assertion_results {
            let outcome = match a.status.as_str() {
                "passed" => Outcome::Passed,
                "failed" => Outcome::Failed,
                _ => Outcome::Skipped,
            };
            let mut name = a.ancestor_titles.join(" > ");
            if !name.is_empty() {
                name.push_str(" > ");
            }
            name.push_str(&a.title);
            let mut case = Case {
                name,
                classname: suite.to_owned(),
                file: Some(suite.to_owned()),
                line: a.location.as_ref().map(|l| l.line),
                time_s: a.duration.unwrap_or(0.0) / 1000.0,
                ..Case::default()
            };
            if outcome == Outcome::Failed {
                let details = strip_ansi(&a.failure_messages.join("\n"));
                let message = details
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("failed")
                    .to_owned();
                case.result(outcome, &message, &details);
            } else {
                case.result(outcome, "", "");
            }
            out.case(suite, Some(suite), &case);
        }
    }
    Ok(())
}

/// `text` without ANSI colour sequences (jest colours its messages).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for n in chars.by_ref() {
                if n.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_that_failed_to_run_are_errors_and_skips_and_todos_are_skipped() {
        let json = r#"{"numFailedTests":1,"testResults":[
          {"name":"/app/src/a.test.js","status":"failed","message":"","assertionResults":[
            {"ancestorTitles":[],"title":"adds","status":"passed","duration":2,"failureMessages":[],"location":{"line":1,"column":1}},
            {"ancestorTitles":["group"],"title":"breaks","status":"failed","duration":18,"failureMessages":["Error: \u001b[2mexpect(\u001b[22mreceived).toBe(expected)\n    at Object.toBe (/app/src/a.test.js:2:62)"],"location":{"line":2,"column":27}},
            {"ancestorTitles":["group"],"title":"later","status":"pending","duration":null,"failureMessages":[]},
            {"ancestorTitles":["group"],"title":"someday","status":"todo","failureMessages":[]}]},
          {"name":"/app/src/b.test.js","status":"failed","message":"  ● Test suite failed to run\n\n    SyntaxError: /app/src/b.test.js: Missing semicolon. (1:6)","assertionResults":[]}]}"#;
        let mut c = Collector::new();
        parse(json.as_bytes(), &mut c).unwrap();
        let r = c.finish();
        let t = &r.totals;
        assert_eq!(
            (t.tests, t.passed, t.failed, t.errors, t.skipped),
            (5, 1, 1, 1, 2)
        );
        let f = &r.failures[0];
        assert_eq!(f.id, "/app/src/a.test.js::group > breaks");
        assert_eq!(f.message, "Error: expect(received).toBe(expected)");
        assert_eq!(f.line, Some(2));
        assert!(r.failures[1].details.contains("Missing semicolon"));
    }
}
