//! RSpec's JSON results (`rspec --format progress --format json --out FILE`).
//!
//! Format: the `JsonFormatter` of rspec-core
//! (<https://github.com/rspec/rspec-core/blob/main/lib/rspec/core/formatters/json_formatter.rb>):
//! `{"version", "messages"?, "seed", "examples": [{"id", "description", "full_description",
//! "status": "passed" | "failed" | "pending", "file_path", "line_number", "run_time",
//! "pending_message", "exception": {"class", "message", "backtrace"}}], "summary":
//! {"errors_outside_of_examples_count", …}}`. A failure whose exception is an expectation
//! not met failed; any other exception errored. Errors outside examples (a spec file that
//! does not load) are one errored case carrying `messages`.

use std::io::Read;

use serde::Deserialize;

use super::report::{Case, Collector, Outcome};

#[derive(Deserialize)]
struct Output {
    #[serde(default)]
    messages: Vec<String>,
    #[serde(default)]
    examples: Vec<Example>,
    #[serde(default)]
    summary: Option<Summary>,
}

#[derive(Deserialize)]
struct Summary {
    #[serde(default)]
    errors_outside_of_examples_count: u64,
}

#[derive(Deserialize)]
struct Example {
    #[serde(default)]
    full_description: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    file_path: String,
    #[serde(default)]
    line_number: Option<u32>,
    #[serde(default)]
    run_time: Option<f64>,
    #[serde(default)]
    pending_message: Option<String>,
    #[serde(default)]
    exception: Option<Exception>,
}

#[derive(Deserialize)]
struct Exception {
    #[serde(default)]
    class: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    backtrace: Option<Vec<String>>,
}

/// Reads RSpec's JSON from `input` into `out`.
pub fn parse<R: Read>(input: R, out: &mut Collector) -> Result<(), String> {
    let o: Output =
        serde_json::from_reader(input).map_err(|e| format!("not RSpec's JSON results: {e}"))?;
    for e in &o.examples {
        let file = e.file_path.trim_start_matches("./").to_owned();
        let mut case = Case {
            name: e.full_description.clone(),
            classname: file.clone(),
            file: Some(file.clone()),
            line: e.line_number,
            time_s: e.run_time.unwrap_or(0.0),
            ..Case::default()
        };
        match e.status.as_str() {
            "passed" => case.result(Outcome::Passed, "", ""),
            "failed" => {
                let (class, message, trace) = e.exception.as_ref().map_or(
                    (String::new(), String::new(), String::new()),
                    |x| {
                        (
                            x.class.clone(),
                            x.message.clone(),
                            x.backtrace.clone().unwrap_or_default().join("\n"),
                        )
                    },
                );
                let outcome = if class.is_empty() || class.contains("ExpectationNotMet") {
                    Outcome::Failed
                } else {
                    Outcome::Error
                };
                let first = message
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or(&class)
                    .trim()
                    .to_owned();
                let details = format!("{class}: {}\n{trace}", message.trim());
                case.result(outcome, &first, details.trim());
            }
            _ => case.result(
                Outcome::Skipped,
                e.pending_message.as_deref().unwrap_or_default(),
                "",
            ),
        }
        let suite = if file.is_empty() {
            "rspec"
        } else {
            file.as_str()
        };
        out.case(suite, None, &case);
    }
    let outside = o.summary.map_or(0, |s| s.errors_outside_of_examples_count);
    if outside > 0 {
        let mut case = Case {
            name: "(errors outside of examples)".into(),
            ..Case::default()
        };
        let details = o.messages.join("\n");
        case.result(
            Outcome::Error,
            &format!(
                "{outside} errors occurred outside of examples (a spec file that does not load)"
            ),
            details.trim(),
        );
        out.case("rspec", None, &case);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn examples_and_errors_outside_of_them_are_counted() {
        let json = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/run_tests/formats/rspec.json"
        ))
        .unwrap();
        let mut c = Collector::new();
        parse(json.as_bytes(), &mut c).unwrap();
        let r = c.finish();
        let t = &r.totals;
        assert_eq!(
            (t.tests, t.passed, t.failed, t.errors, t.skipped),
            (4, 1, 1, 1, 1)
        );
        let f = &r.failures[0];
        assert_eq!(f.id, "spec/cart_spec.rb::Cart totals the items");
        assert_eq!(
            (f.file.as_deref(), f.line),
            (Some("spec/cart_spec.rb"), Some(10))
        );
        assert!(f.message.starts_with("expected: 3"), "{f:?}");
        let mut c = Collector::new();
        parse(
            r#"{"version":"3.13.0","messages":["An error occurred while loading ./spec/broken_spec.rb."],"examples":[],"summary":{"example_count":0,"failure_count":0,"pending_count":0,"errors_outside_of_examples_count":1}}"#.as_bytes(),
            &mut c,
        )
        .unwrap();
        let r = c.finish();
        assert_eq!(r.totals.errors, 1);
        assert!(r.failures[0].details.contains("broken_spec.rb"));
    }
}
