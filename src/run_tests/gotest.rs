//! `go test -json` output: one JSON event per line (`test2json`).
//!
//! Format: <https://pkg.go.dev/cmd/test2json> — `{"Time", "Action", "Package", "Test",
//! "Elapsed", "Output"}` with actions `start`, `run`, `pause`, `cont`, `output`, `pass`,
//! `fail`, `skip`, `bench`, `build-output`, `build-fail`. Subtests are named `Parent/sub`; only
//! leaves are counted, so a parent whose subtests ran is not counted again (unless it failed
//! on its own while every subtest passed). A package that fails without any test (a build
//! failure, a panic in `TestMain`) counts as one errored case. Lines that are not JSON objects
//! (build output printed by `go vet`) are skipped; a line that starts as an object but is not
//! valid JSON is an error.

use std::collections::HashMap;
use std::io::BufRead;

use serde::Deserialize;

use super::report::{Case, Collector, Outcome};
use super::xml::push_capped;

/// A line of `go test -json` that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Event {
    action: String,
    #[serde(default)]
    package: String,
    #[serde(default)]
    test: Option<String>,
    #[serde(default)]
    elapsed: Option<f64>,
    #[serde(default)]
    output: Option<String>,
}

#[derive(Debug, Default)]
struct Running {
    output: String,
    has_children: bool,
    child_failed: bool,
}

/// Reads `go test -json` from `input` into `out`; returns the number of events read.
pub fn parse<R: BufRead>(mut input: R, out: &mut Collector) -> Result<usize, LineError> {
    let mut running: HashMap<(String, String), Running> = HashMap::new();
    let mut counted: HashMap<String, u64> = HashMap::new();
    let mut package_output: HashMap<String, String> = HashMap::new();
    let mut line = Vec::new();
    let mut number = 0;
    let mut events = 0;
    loop {
        line.clear();
        let n = input.read_until(b'\n', &mut line).map_err(|e| LineError {
            line: number + 1,
            column: 1,
            message: format!("reading: {e}"),
        })?;
        if n == 0 {
            break;
        }
        number += 1;
        let text = String::from_utf8_lossy(&line);
        let trimmed = text.trim_start_matches('\u{feff}').trim();
        if !trimmed.starts_with('{') {
            continue;
        }
        let event: Event = serde_json::from_str(trimmed).map_err(|e| LineError {
            line: number,
            column: e.column().max(1),
            message: format!("not a `go test -json` event: {e}"),
        })?;
        events += 1;
        let pkg = event.package.clone();
        let Some(test) = event.test.clone() else {
            match event.action.as_str() {
                "output" => push_capped(
                    package_output.entry(pkg).or_default(),
                    event.output.as_deref().unwrap_or_default(),
                ),
                "fail" if counted.get(&pkg).copied().unwrap_or(0) == 0 => {
                    let mut case = Case {
                        name: "(package)".into(),
                        classname: pkg.clone(),
                        time_s: event.elapsed.unwrap_or(0.0),
                        ..Case::default()
                    };
                    let output = package_output.remove(&pkg).unwrap_or_default();
                    case.result(
                        Outcome::Error,
                        "the package failed without running a test",
                        &output,
                    );
                    out.case(&pkg, None, &case);
                    counted.insert(pkg, 1);
                }
                "pass" | "fail" | "skip" => {
                    package_output.remove(&pkg);
                    // Packages are go's unit of sharding: their time weighs the next split.
                    if let Some(t) = event.elapsed {
                        out.timing(&pkg, t);
                    }
                }
                _ => {}
            }
            continue;
        };
        let key = (pkg.clone(), test.clone());
        match event.action.as_str() {
            "run" => {
                running.entry(key).or_default();
                let mut name = test.as_str();
                while let Some((parent, _)) = name.rsplit_once('/') {
                    if let Some(p) = running.get_mut(&(pkg.clone(), parent.to_owned())) {
                        p.has_children = true;
                    }
                    name = parent;
                }
            }
            "output" => {
                let entry = running.entry(key).or_default();
                let text = event.output.as_deref().unwrap_or_default();
                // NOTE: `=== RUN` / `--- FAIL` framing lines are noise in a failure message.
                if !text.starts_with("=== ") && !text.trim_start().starts_with("--- ") {
                    push_capped(&mut entry.output, text);
                }
            }
            action @ ("pass" | "fail" | "skip") => {
                let entry = running.remove(&key).unwrap_or_default();
                let outcome = match action {
                    "pass" => Outcome::Passed,
                    "fail" => Outcome::Failed,
                    _ => Outcome::Skipped,
                };
                if outcome == Outcome::Failed
                    && let Some((parent, _)) = test.rsplit_once('/')
                    && let Some(p) = running.get_mut(&(pkg.clone(), parent.to_owned()))
                {
                    p.child_failed = true;
                }
                if entry.has_children && (outcome != Outcome::Failed || entry.child_failed) {
                    continue;
                }
                let mut case = Case {
                    name: test,
                    classname: pkg.clone(),
                    time_s: event.elapsed.unwrap_or(0.0),
                    ..Case::default()
                };
                let message = if outcome == Outcome::Failed {
                    entry
                        .output
                        .lines()
                        .map(str::trim)
                        .find(|l| !l.is_empty())
                        .unwrap_or("failed")
                        .to_owned()
                } else {
                    String::new()
                };
                case.result(outcome, &message, &entry.output);
                out.case(&pkg, None, &case);
                *counted.entry(pkg).or_default() += 1;
            }
            _ => {}
        }
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(action: &str, test: Option<&str>, output: Option<&str>) -> String {
        serde_json::json!({"Action": action, "Package": "example.com/m", "Test": test, "Output": output, "Elapsed": 0.01})
            .to_string()
    }

    #[test]
    fn subtests_are_counted_as_leaves() {
        let lines = [
            ev("run", Some("TestA"), None),
            ev("run", Some("TestA/one"), None),
            ev(
                "output",
                Some("TestA/one"),
                Some("    a_test.go:9: want 2, got 3\n"),
            ),
            ev("fail", Some("TestA/one"), None),
            ev("run", Some("TestA/two"), None),
            ev("pass", Some("TestA/two"), None),
            ev("fail", Some("TestA"), None),
            ev("run", Some("TestB"), None),
            ev("skip", Some("TestB"), None),
            ev("fail", None, None),
        ]
        .join("\n");
        let mut c = Collector::new();
        parse(lines.as_bytes(), &mut c).unwrap();
        let r = c.finish();
        assert_eq!(
            (
                r.totals.tests,
                r.totals.failed,
                r.totals.passed,
                r.totals.skipped
            ),
            (3, 1, 1, 1)
        );
        assert_eq!(r.failures[0].message, "a_test.go:9: want 2, got 3");
        assert_eq!(r.failures[0].file.as_deref(), Some("a_test.go"));
        assert_eq!(r.failures[0].line, Some(9));
    }

    #[test]
    fn a_package_that_fails_to_build_is_one_error() {
        let lines = [
            ev(
                "output",
                None,
                Some("# example.com/m\n./a.go:3:1: syntax error\n"),
            ),
            ev("fail", None, None),
        ]
        .join("\n");
        let mut c = Collector::new();
        parse(lines.as_bytes(), &mut c).unwrap();
        assert_eq!(c.finish().totals.errors, 1);
    }

    #[test]
    fn a_broken_event_is_located() {
        let err = parse(
            "{\"Action\":\"run\"}\n{\"Action\": }\n".as_bytes(),
            &mut Collector::new(),
        )
        .unwrap_err();
        assert_eq!((err.line, err.column), (2, 12));
    }
}
