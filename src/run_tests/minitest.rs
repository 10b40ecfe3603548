//! Ruby minitest's verbose output turned into JUnit XML: `rails test -v`, `ruby -Itest
//! test/x_test.rb -v`, `TESTOPTS=-v rake test`.
//!
//! Per test, on stdout, minitest's `ProgressReporter` in verbose mode prints
//! `Class#test_name = 0.01 s = .` (`.` passed, `F` failed, `E` errored, `S` skipped;
//! <https://github.com/minitest/minitest/blob/master/lib/minitest.rb>, `ProgressReporter#record`).
//! Failures are described in blocks, either at the end (`  1) Failure:`) or, with Rails'
//! reporter, right after the test (`Failure:`): a header (`Failure:`, `Error:`, `Skipped:`),
//! then `Class#test_name [file:line]:` (errors: `Class#test_name:` and the backtrace), then
//! the message, up to a blank line before `rails test file:line`, the next block or the
//! summary.

use super::libtest::{TextCase, TextOutcome, write_junit};
use super::report::location_in;

/// `Class#name = 0.01 s = .`: (class, name, seconds, outcome).
fn result_line(line: &str) -> Option<(&str, &str, f64, TextOutcome)> {
    let (rest, code) = line.trim_end().rsplit_once(" = ")?;
    let outcome = match code {
        "." => TextOutcome::Passed,
        "F" => TextOutcome::Failed,
        "E" => TextOutcome::Error,
        "S" => TextOutcome::Skipped,
        _ => return None,
    };
    let (id, time) = rest.rsplit_once(" = ")?;
    let secs: f64 = time.strip_suffix(" s")?.trim().parse().ok()?;
    let (class, name) = id.split_once('#')?;
    Some((class, name, secs, outcome))
}

/// A block header: `Failure:`, `  1) Error:`, `Skipped:`.
fn block_header(line: &str) -> bool {
    let t = line.trim();
    let t = match t.split_once(") ") {
        Some((n, rest)) if n.chars().all(|c| c.is_ascii_digit()) && !n.is_empty() => rest,
        _ => t,
    };
    matches!(t, "Failure:" | "Error:" | "Skipped:")
}

/// The cases in minitest's verbose output.
pub fn parse(output: &str) -> Vec<TextCase> {
    let mut cases: Vec<TextCase> = Vec::new();
    let lines: Vec<&str> = output.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if let Some((class, name, time_s, outcome)) = result_line(line) {
            cases.push(TextCase {
                suite: class.to_owned(),
                name: name.to_owned(),
                outcome,
                message: String::new(),
                details: String::new(),
                file: None,
                line: None,
                time_s,
            });
            continue;
        }
        if !block_header(line) {
            continue;
        }
        let Some(id_line) = lines.get(i) else { break };
        i += 1;
        let id_line = id_line.trim();
        let (id, location) = match id_line.strip_suffix(':') {
            Some(head) => match head.rsplit_once(" [") {
                Some((id, loc)) => (id, loc.strip_suffix(']')),
                None => (head, None),
            },
            None => continue,
        };
        let mut body = Vec::new();
        while i < lines.len() {
            let l = lines[i];
            let t = l.trim_start();
            if block_header(l)
                || result_line(l).is_some()
                || t.starts_with("rails test ")
                || t.starts_with("bin/rails test ")
                || t.starts_with("Finished in ")
            {
                break;
            }
            body.push(l);
            i += 1;
        }
        let details = body.join("\n").trim().to_owned();
        let Some((class, name)) = id.split_once('#') else {
            continue;
        };
        if let Some(case) = cases
            .iter_mut()
            .rev()
            .find(|c| c.suite == class && c.name == name)
        {
            case.message = details
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or_default()
                .trim()
                .to_owned();
            let found = location
                .and_then(|l| l.rsplit_once(':'))
                .and_then(|(f, n)| Some((f.to_owned(), n.parse().ok()?)))
                .or_else(|| location_in(&details, None));
            if let Some((f, l)) = found {
                case.file = Some(f);
                case.line = Some(l);
            }
            case.details = details;
        }
    }
    cases
}

/// The JUnit XML of minitest's verbose output; `None` when it has no result line.
pub fn to_junit(output: &str) -> Option<String> {
    let cases = parse(output);
    (!cases.is_empty()).then(|| write_junit(&cases))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With Rails' reporter (blocks right after each test).
    const RAILS: &str = "Run options: -v --seed 835

# Running:

Spec style#test_0001_works fine = 0.00 s = .
CartTest#test_errors = 0.00 s = E


Error:
CartTest#test_errors:
ArgumentError: boom
    test/cart_test.rb:10:in `test_errors'

rails test test/cart_test.rb:9

CartTest#test_skips = 0.00 s = S


Skipped:
CartTest#test_skips [test/cart_test.rb:13]:
later

rails test test/cart_test.rb:12

CartTest#test_adds = 0.01 s = .
CartTest#test_breaks = 0.00 s = F


Failure:
CartTest#test_breaks [test/cart_test.rb:7]:
math.
Expected: 3
  Actual: 2

rails test test/cart_test.rb:6


Finished in 0.001910s, 2617.7051 runs/s, 1570.6231 assertions/s.
5 runs, 3 assertions, 1 failures, 1 errors, 1 skips
";

    /// Plain minitest (blocks at the end).
    const PLAIN: &str = "Run options: -v --seed 1

# Running:

CartTest#test_breaks = 0.00 s = F
CartTest#test_errors = 0.00 s = E
CartTest#test_adds = 0.00 s = .

Finished in 0.001s, 1 runs/s, 1 assertions/s.

  1) Failure:
CartTest#test_breaks [test/cart_test.rb:7]:
math.
Expected: 3
  Actual: 2

  2) Error:
CartTest#test_errors:
ArgumentError: boom
    test/cart_test.rb:10:in `test_errors'

3 runs, 2 assertions, 1 failures, 1 errors, 0 skips
";

    #[test]
    fn rails_and_plain_minitest_output_give_the_same_cases() {
        for (text, n) in [(RAILS, 5), (PLAIN, 3)] {
            let cases = parse(text);
            assert_eq!(cases.len(), n, "{cases:?}");
            let broken = cases.iter().find(|c| c.name == "test_breaks").unwrap();
            assert_eq!(broken.outcome, TextOutcome::Failed);
            assert_eq!(broken.message, "math.");
            assert_eq!(
                (broken.file.as_deref(), broken.line),
                (Some("test/cart_test.rb"), Some(7))
            );
            let err = cases.iter().find(|c| c.name == "test_errors").unwrap();
            assert_eq!(err.outcome, TextOutcome::Error);
            assert_eq!(err.message, "ArgumentError: boom");
            assert_eq!(
                (err.file.as_deref(), err.line),
                (Some("test/cart_test.rb"), Some(10))
            );
        }
        let spec = &parse(RAILS)[0];
        assert_eq!(
            (spec.suite.as_str(), spec.name.as_str()),
            ("Spec style", "test_0001_works fine")
        );
    }

    #[test]
    fn output_without_result_lines_gives_nothing() {
        assert!(to_junit("test/cart_test.rb:3: syntax error, unexpected end-of-input\n").is_none());
    }
}
