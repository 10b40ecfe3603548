//! Python unittest's verbose output turned into JUnit XML: `python -m unittest -v`, Django's
//! `manage.py test --verbosity 2`, `nose2 -v`, which all print through unittest's
//! `TextTestResult` (<https://docs.python.org/3/library/unittest.html#unittest.TextTestResult>).
//!
//! Per test, on stderr: `test_x (pkg.mod.Class.test_x) ... ok` (Python 3.11+; older ones
//! print `(pkg.mod.Class)`), the first docstring line on its own line before ` ... ` when the
//! test has one, `FAIL`, `ERROR`, `skipped 'why'`, `expected failure`, `unexpected success`;
//! a failed subtest as an indented `  test_x (…) (i=2) ... FAIL`; a class or module that
//! cannot load as `setUpClass (pkg.mod.Class) ... ERROR` or `pkg.mod
//! (unittest.loader._FailedTest.pkg.mod) ... ERROR`. A test that prints to stderr pushes its
//! status further along the line or to a line of its own; both are read. Then, per failure,
//! a block `=====` / `FAIL: <the same header>` / `-----` / traceback, whose last line is the
//! message and whose last frame outside the standard library and site-packages is the
//! location.

use super::libtest::{TextCase, TextOutcome, write_junit};

const RULE_EQ: &str = "======================================================================";
const RULE_DASH: &str = "----------------------------------------------------------------------";

/// The status at the end of a result line.
fn status(tail: &str) -> Option<(TextOutcome, String)> {
    let t = tail.trim_end();
    for (word, outcome) in [
        ("ok", TextOutcome::Passed),
        ("FAIL", TextOutcome::Failed),
        ("ERROR", TextOutcome::Error),
        ("expected failure", TextOutcome::Passed),
        ("unexpected success", TextOutcome::Failed),
    ] {
        if t == word || t.ends_with(&format!(" {word}")) {
            let message = if word == "unexpected success" {
                "unexpected success".to_owned()
            } else {
                String::new()
            };
            return Some((outcome, message));
        }
    }
    let at = t.rfind("skipped ")?;
    let reason = t[at + "skipped ".len()..].trim();
    let quoted = reason.len() >= 2
        && ((reason.starts_with('\'') && reason.ends_with('\''))
            || (reason.starts_with('"') && reason.ends_with('"')));
    (quoted && (at == 0 || t.as_bytes()[at - 1] == b' '))
        .then(|| (TextOutcome::Skipped, reason[1..reason.len() - 1].to_owned()))
}

/// `name (dotted.id)` with an optional subtest part: (name, classname, header).
fn header(text: &str) -> Option<(String, String)> {
    let t = text.trim();
    let open = t.find(" (")?;
    let name = &t[..open];
    if name.is_empty() || name.contains(' ') {
        return None;
    }
    let rest = &t[open + 2..];
    let close = rest.find(')')?;
    let id = &rest[..close];
    if id.is_empty() || id.contains(' ') {
        return None;
    }
    let params = rest[close + 1..].trim();
    let class = id
        .strip_suffix(name)
        .and_then(|c| c.strip_suffix('.'))
        .filter(|c| !c.is_empty())
        .unwrap_or(id);
    let name = if params.is_empty() {
        name.to_owned()
    } else {
        format!("{name} {params}")
    };
    Some((name, class.to_owned()))
}

/// The cases in unittest's verbose output.
pub fn parse(output: &str) -> Vec<TextCase> {
    let mut cases: Vec<(String, TextCase)> = Vec::new();
    let mut previous = "";
    let mut pending: Option<String> = None;
    let lines: Vec<&str> = output.lines().collect();
    let mut i = 0;
    let add =
        |head: &str, outcome: TextOutcome, message: String, cases: &mut Vec<(String, TextCase)>| {
            if let Some((name, suite)) = header(head) {
                cases.push((
                    head.trim().to_owned(),
                    TextCase {
                        suite,
                        name,
                        outcome,
                        message,
                        details: String::new(),
                        file: None,
                        line: None,
                        time_s: 0.0,
                    },
                ));
            }
        };
    while i < lines.len() {
        let line = lines[i];
        i += 1;
        if line == RULE_EQ {
            // A failure block: `FAIL: header`, docstring lines, dashes, traceback.
            let Some(title) = lines.get(i) else { break };
            let Some((_, head)) = title.split_once(": ") else {
                continue;
            };
            i += 1;
            while i < lines.len() && lines[i] != RULE_DASH {
                i += 1;
            }
            i += 1;
            let start = i;
            while i < lines.len()
                && lines[i] != RULE_EQ
                && !(lines[i] == RULE_DASH
                    && lines.get(i + 1).is_some_and(|l| l.starts_with("Ran ")))
            {
                i += 1;
            }
            let trace = lines[start.min(lines.len())..i].join("\n");
            if let Some((_, case)) = cases.iter_mut().find(|(h, _)| h == head.trim()) {
                let trace = trace.trim_end();
                case.message = trace
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty() && !l.starts_with(' '))
                    .unwrap_or_default()
                    .to_owned();
                if let Some((f, l)) = frame(trace) {
                    case.file = Some(f);
                    case.line = Some(l);
                }
                case.details = trace.to_owned();
            }
            continue;
        }
        if let Some((head, tail)) = line.split_once(" ... ") {
            let head = if header(head).is_some() {
                head
            } else if header(previous).is_some() {
                // The docstring line: the test is named on the line before.
                previous
            } else {
                previous = line;
                continue;
            };
            match status(tail) {
                Some((outcome, message)) => add(head, outcome, message, &mut cases),
                None => pending = Some(head.to_owned()),
            }
            previous = line;
            continue;
        }
        let t = line.trim();
        let bare = matches!(
            t,
            "ok" | "FAIL" | "ERROR" | "expected failure" | "unexpected success"
        ) || t.starts_with("skipped ");
        if bare && let Some(head) = pending.take() {
            match status(t) {
                Some((outcome, message)) => add(&head, outcome, message, &mut cases),
                None => pending = Some(head),
            }
        }
        previous = line;
    }
    // A test whose subtests failed has no status of its own: its subtests are its cases.
    cases.into_iter().map(|(_, c)| c).collect()
}

/// The last `File "x.py", line N` of a traceback outside the standard library and
/// site-packages (else the last one).
fn frame(trace: &str) -> Option<(String, u32)> {
    let mut last = None;
    let mut own = None;
    for l in trace.lines() {
        let Some(rest) = l.trim_start().strip_prefix("File \"") else {
            continue;
        };
        let Some((file, rest)) = rest.split_once("\", line ") else {
            continue;
        };
        let n: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let Ok(n) = n.parse::<u32>() else { continue };
        let found = (file.to_owned(), n);
        if !(file.contains("/lib/python")
            || file.contains("site-packages")
            || file.starts_with('<'))
        {
            own = Some(found.clone());
        }
        last = Some(found);
    }
    own.or(last)
}

/// The JUnit XML of unittest's verbose output; `None` when it has no result line.
pub fn to_junit(output: &str) -> Option<String> {
    let cases = parse(output);
    (!cases.is_empty()).then(|| write_junit(&cases))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_tests::report::Collector;

    /// Python 3.11's output, a test printing to stderr included.
    const OUTPUT: &str = "setUpClass (tests.test_a.Broken) ... ERROR
test_doc (tests.test_a.T.test_doc)
Checks the doc line. ... FAIL
test_err (tests.test_a.T.test_err) ... ERROR
test_ok (tests.test_a.T.test_ok) ... noise to stderr ok
test_noisy (tests.test_a.T.test_noisy) ... a line of its own
ok
test_skip (tests.test_a.T.test_skip) ... skipped 'later'
test_sub (tests.test_a.T.test_sub) ... 
  test_sub (tests.test_a.T.test_sub) (i=2) ... FAIL
test_xfail (tests.test_a.T.test_xfail) ... expected failure
tests.test_b (unittest.loader._FailedTest.tests.test_b) ... ERROR

======================================================================
ERROR: setUpClass (tests.test_a.Broken)
----------------------------------------------------------------------
Traceback (most recent call last):
  File \"/app/tests/test_a.py\", line 24, in setUpClass
    def setUpClass(cls): raise ValueError(\"setup broke\")
ValueError: setup broke

======================================================================
FAIL: test_doc (tests.test_a.T.test_doc)
Checks the doc line.
----------------------------------------------------------------------
Traceback (most recent call last):
  File \"/app/tests/test_a.py\", line 11, in test_doc
    self.assertEqual(1, 2)
  File \"/usr/lib/python3.11/unittest/case.py\", line 873, in assertEqual
    assertion_func(first, second, msg=msg)
AssertionError: 1 != 2

======================================================================
FAIL: test_sub (tests.test_a.T.test_sub) (i=2)
----------------------------------------------------------------------
Traceback (most recent call last):
  File \"/app/tests/test_a.py\", line 21, in test_sub
    self.assertLess(i, 2)
AssertionError: 2 not less than 2

----------------------------------------------------------------------
Ran 8 tests in 0.001s

FAILED (failures=2, errors=3, skipped=1, expected failures=1)
";

    #[test]
    fn verbose_unittest_output_becomes_cases_with_their_tracebacks() {
        let cases = parse(OUTPUT);
        let got: Vec<(&str, &str, TextOutcome)> = cases
            .iter()
            .map(|c| (c.suite.as_str(), c.name.as_str(), c.outcome))
            .collect();
        assert_eq!(
            got,
            vec![
                ("tests.test_a.Broken", "setUpClass", TextOutcome::Error),
                ("tests.test_a.T", "test_doc", TextOutcome::Failed),
                ("tests.test_a.T", "test_err", TextOutcome::Error),
                ("tests.test_a.T", "test_ok", TextOutcome::Passed),
                ("tests.test_a.T", "test_noisy", TextOutcome::Passed),
                ("tests.test_a.T", "test_skip", TextOutcome::Skipped),
                ("tests.test_a.T", "test_sub (i=2)", TextOutcome::Failed),
                ("tests.test_a.T", "test_xfail", TextOutcome::Passed),
                (
                    "unittest.loader._FailedTest",
                    "tests.test_b",
                    TextOutcome::Error
                ),
            ]
        );
        let doc = &cases[1];
        assert_eq!(doc.message, "AssertionError: 1 != 2");
        assert_eq!(
            (doc.file.as_deref(), doc.line),
            (Some("/app/tests/test_a.py"), Some(11))
        );
        assert_eq!(cases[5].message, "later");
        let xml = to_junit(OUTPUT).unwrap();
        let mut c = Collector::new();
        crate::run_tests::parse::results(xml.as_bytes(), "x", &mut c).unwrap();
        let r = c.finish();
        assert_eq!(
            (r.totals.tests, r.totals.failed, r.totals.errors),
            (9, 2, 3)
        );
    }

    #[test]
    fn python_before_3_11_names_the_class_only() {
        let cases = parse("test_a (tests.test_x.T) ... ok\n");
        assert_eq!(
            (cases[0].suite.as_str(), cases[0].name.as_str()),
            ("tests.test_x.T", "test_a")
        );
    }

    #[test]
    fn output_without_result_lines_gives_nothing() {
        assert!(to_junit("Ran 3 tests in 0.1s\n\nOK\n").is_none());
    }
}
