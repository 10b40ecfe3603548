//! TAP, the Test Anything Protocol (versions 12 to 14), read line by line: ava `--tap`,
//! node-tap, `node --test --test-reporter=tap`, bats `--tap`, Perl's `prove -v`.
//!
//! Format: <https://testanything.org/tap-version-14-specification.html>. A test point is
//! `ok|not ok [N] [- description] [# SKIP|TODO reason]`; `# SKIP` counts as skipped, a failing
//! `# TODO` as skipped (it is expected to fail); YAML diagnostics (`---` … `...`) and the
//! comment lines after a failure (bats' `# (in test file x.bats, line 7)`) are its details.
//! Subtests are indented: only leaves are counted, a parent is counted only when it failed
//! while every subtest held. `Bail out!` is one errored case. A stream whose plan (`1..N`) does
//! not match its test points, or that has test points and no plan, is incomplete: one errored
//! case says so. Several streams may follow each other: `TAP version` starts a new one, and so
//! does `prove`'s per-file header (`t/basic.t ..`), which names the suite. Any other line is
//! ignored (the spec says so), which also skips a package manager's banner.

use std::io::BufRead;

use super::report::{Case, Collector, Outcome, location_in};
use super::xml::push_capped;

/// A TAP stream that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TapError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Whether `head` (the start of a file) looks like TAP.
pub fn sniff(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&head[..head.len().min(256)]);
    let first = text.trim_start_matches('\u{feff}').trim_start();
    first.starts_with("TAP version")
        || first.starts_with("1..")
        || first.starts_with("ok ")
        || first.starts_with("not ok")
}

/// Whether `text` holds at least one test point or a plan (a stream worth reading).
pub fn has_tests(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim_start();
        point(t).is_some() || plan(t).is_some() || t.starts_with("Bail out!")
    })
}

/// A level of nesting: the top stream or a subtest.
#[derive(Debug, Default)]
struct Level {
    indent: usize,
    name: String,
    planned: Option<u64>,
    points: u64,
    leaves: u64,
    failed: u64,
}

/// A test point read from a line.
struct Point<'a> {
    ok: bool,
    description: &'a str,
    directive: Option<(bool, &'a str)>,
}

/// `ok 3 - adds # SKIP later` read: (ok, description, Some((is_skip, reason))).
fn point(line: &str) -> Option<Point<'_>> {
    let (ok, rest) = if let Some(r) = line.strip_prefix("not ok") {
        (false, r)
    } else if let Some(r) = line.strip_prefix("ok") {
        (true, r)
    } else {
        return None;
    };
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let rest = rest.trim_start();
    let rest = rest
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start();
    let rest = rest
        .strip_prefix("- ")
        .or_else(|| rest.strip_prefix('-'))
        .unwrap_or(rest);
    // The directive: the last unescaped `#` followed by SKIP or TODO.
    let bytes = rest.as_bytes();
    let mut directive = None;
    let mut description = rest.trim();
    for (i, &b) in bytes.iter().enumerate().rev() {
        if b != b'#' || (i > 0 && bytes[i - 1] == b'\\') {
            continue;
        }
        let after = rest[i + 1..].trim_start();
        let word: String = after
            .chars()
            .take(4)
            .collect::<String>()
            .to_ascii_lowercase();
        if word == "skip" || word == "todo" {
            let reason = after[4..].trim_start_matches(|c: char| c.is_ascii_alphabetic());
            directive = Some((word == "skip", reason.trim()));
            description = rest[..i].trim();
        } else if after.starts_with("time=") {
            // node-tap's duration comment (`ok 1 - adds # time=3.4ms`).
            description = rest[..i].trim();
        }
        break;
    }
    Some(Point {
        ok,
        description,
        directive,
    })
}

/// `1..N` (with an optional `# SKIP` reason): N.
fn plan(line: &str) -> Option<u64> {
    let rest = line.strip_prefix("1..")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The parser's state across lines.
struct Tap<'a> {
    default_suite: &'a str,
    suite: String,
    levels: Vec<Level>,
    /// `# Subtest: name` lines seen (with their indent), for the next deeper level.
    subtests: Vec<(usize, String)>,
    /// The last test point, kept until its diagnostics are read.
    pending: Option<(Case, usize)>,
    /// The pending point's description, and whether it came with a YAML block.
    description: String,
    pending_yaml: bool,
    /// Inside a YAML block, at this indent.
    yaml: Option<usize>,
    /// A stream read since the last start (a point, plan or bail out).
    seen: bool,
    /// The stream stopped (`Bail out!`).
    bailed: bool,
    /// The stream came with a prove header: its bare `ok` verdict line is not a test.
    prove: bool,
    points: usize,
}

impl Tap<'_> {
    fn flush(&mut self, out: &mut Collector) {
        let Some((mut case, _)) = self.pending.take() else {
            return;
        };
        let failed = case.outcome == Some(Outcome::Failed);
        if failed && case.file.is_none() {
            let details = case.details.replace("file://", "");
            if let Some((f, l)) = bats_location(&details)
                .or_else(|| location_in(&details, None))
                .filter(|(f, _)| !f.contains("node_modules"))
            {
                case.file = Some(f);
                case.line = Some(l);
            }
        }
        // node-tap's YAML names no message for a failed assertion: its description is one
        // (`should be equal`), and a test file's own point says how its process ended.
        if failed && case.message.is_empty() && self.pending_yaml {
            case.message = exit_message(&case.details)
                .unwrap_or_else(|| std::mem::take(&mut self.description));
        }
        // A test file's cases (node-tap) are a suite of their own, named by the file.
        if case.classname.is_empty() {
            out.case(&self.suite, None, &case);
        } else {
            let file = case.classname.clone();
            out.case(&file, Some(&file), &case);
        }
    }

    /// Closes levels deeper than `indent`; returns the leaves and failures they counted.
    fn close_to(&mut self, indent: usize, out: &mut Collector) -> (u64, u64) {
        let (mut leaves, mut failed) = (0, 0);
        while self.levels.len() > 1 && self.levels.last().is_some_and(|l| l.indent > indent) {
            self.flush(out);
            let level = self.levels.pop().unwrap_or_default();
            self.check_plan(&level, out);
            leaves += level.leaves;
            failed += level.failed;
        }
        (leaves, failed)
    }

    fn check_plan(&mut self, level: &Level, out: &mut Collector) {
        if self.bailed {
            return;
        }
        let message = match level.planned {
            Some(n) if n != level.points => format!(
                "planned {n} tests but {} ran: the output is incomplete",
                level.points
            ),
            None if level.points > 0 && level.indent == 0 => {
                "no plan line (`1..N`): the output is incomplete".to_owned()
            }
            _ => return,
        };
        let mut case = Case {
            name: if level.name.is_empty() {
                "(plan)".into()
            } else {
                format!("{} (plan)", level.name)
            },
            ..Case::default()
        };
        case.result(Outcome::Error, &message, "");
        out.case(&self.suite, None, &case);
    }

    /// Ends the current stream (at a new stream or the end of input).
    fn end_stream(&mut self, out: &mut Collector) {
        self.close_to(0, out);
        self.flush(out);
        if self.seen
            && let Some(top) = self.levels.pop()
        {
            self.check_plan(&top, out);
        }
        self.levels.clear();
        self.levels.push(Level::default());
        self.seen = false;
        self.bailed = false;
        self.subtests.clear();
        self.yaml = None;
    }

    fn line(&mut self, raw: &str, out: &mut Collector) {
        let line = raw.trim_end_matches(['\r', '\n']);
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        let t = line.trim_start();
        if let Some(y) = self.yaml {
            if t == "..." && indent <= y {
                self.yaml = None;
            } else if let Some((case, _)) = self.pending.as_mut() {
                push_capped(
                    &mut case.details,
                    line.get(y.min(line.len())..).unwrap_or(line),
                );
                push_capped(&mut case.details, "\n");
                if case.message.is_empty() {
                    for key in ["message:", "error:"] {
                        if let Some(v) = t.strip_prefix(key) {
                            let v = v.trim().trim_matches(['\'', '"']);
                            if !v.is_empty() && v != "|-" && v != ">-" && v != "|" {
                                case.message = v.to_owned();
                            }
                        }
                    }
                }
                if case.file.is_none()
                    && let Some(v) = t
                        .strip_prefix("location:")
                        .or_else(|| t.strip_prefix("at:"))
                    && let Some((f, l)) = location_in(
                        &v.trim().trim_matches(['\'', '"']).replace("file://", ""),
                        None,
                    )
                    && !f.contains("node_modules")
                {
                    case.file = Some(f);
                    case.line = Some(l);
                }
            }
            return;
        }
        if t == "---" && self.pending.as_ref().is_some_and(|(_, i)| indent > *i) {
            self.yaml = Some(indent);
            self.pending_yaml = true;
            return;
        }
        if t.starts_with("TAP version") {
            if self.seen && indent == 0 {
                self.end_stream(out);
            }
            return;
        }
        if indent == 0
            && let Some(name) = prove_header(t)
        {
            self.end_stream(out);
            self.suite = name.to_owned();
            self.prove = true;
            return;
        }
        if self.bailed {
            return;
        }
        if let Some(rest) = t.strip_prefix("Bail out!") {
            self.flush(out);
            let mut case = Case {
                name: "(bail out)".into(),
                ..Case::default()
            };
            let reason = rest.trim();
            case.result(
                Outcome::Error,
                &if reason.is_empty() {
                    "the run bailed out".to_owned()
                } else {
                    format!("the run bailed out: {reason}")
                },
                "",
            );
            out.case(&self.suite, None, &case);
            self.bailed = true;
            self.seen = true;
            return;
        }
        if let Some(name) = t.strip_prefix("# Subtest:") {
            self.flush(out);
            self.subtests.push((indent, name.trim().to_owned()));
            return;
        }
        if let Some(rest) = t.strip_prefix('#') {
            // A comment after a failure (bats, Test::More) is part of its details.
            if let Some((case, i)) = self.pending.as_mut()
                && *i == indent
                && case.outcome == Some(Outcome::Failed)
            {
                push_capped(&mut case.details, rest.strip_prefix(' ').unwrap_or(rest));
                push_capped(&mut case.details, "\n");
            }
            return;
        }
        if let Some(n) = plan(t) {
            self.flush(out);
            self.open_level(indent, out);
            if let Some(top) = self.levels.last_mut() {
                top.planned = Some(n);
            }
            self.seen = true;
            return;
        }
        if self.prove && (t == "ok" || t.starts_with("skipped:")) && indent == 0 {
            return;
        }
        if self.prove && t.starts_with("Dubious, test returned") {
            let top_failed = self.levels.first().is_some_and(|l| l.failed > 0);
            if !top_failed {
                self.flush(out);
                let mut case = Case {
                    name: "(exit status)".into(),
                    ..Case::default()
                };
                case.result(Outcome::Error, t, "");
                out.case(&self.suite, None, &case);
            }
            return;
        }
        let Some(p) = point(t) else {
            return;
        };
        self.flush(out);
        self.points += 1;
        self.seen = true;
        let (child_leaves, child_failed) = self.close_to(indent, out);
        self.open_level(indent, out);
        let mut path: Vec<String> = self
            .levels
            .iter()
            .skip(1)
            .map(|l| l.name.clone())
            .filter(|n| !n.is_empty())
            .collect();
        let outcome = match p.directive {
            Some((true, _)) => Outcome::Skipped,
            Some((false, _)) if !p.ok => Outcome::Skipped,
            _ if p.ok => Outcome::Passed,
            _ => Outcome::Failed,
        };
        let Some(top) = self.levels.last_mut() else {
            return;
        };
        top.points += 1;
        if child_leaves > 0 {
            top.leaves += child_leaves;
            top.failed += child_failed;
            // A parent: counted only when it failed on its own.
            if !(outcome == Outcome::Failed && child_failed == 0) {
                return;
            }
        } else {
            top.leaves += 1;
        }
        if outcome == Outcome::Failed {
            top.failed += 1;
        }
        let mut description = if p.description.is_empty() {
            format!("test {}", top.points)
        } else {
            p.description.replace("\\#", "#")
        };
        // node-tap runs each test file as a top-level subtest named by the file.
        let mut file = String::new();
        if path.first().is_some_and(|n| is_test_file(n)) {
            file = path.remove(0);
        } else if path.is_empty() && is_test_file(&description) {
            file = std::mem::replace(&mut description, "(test file)".into());
        }
        let name = if path.is_empty() {
            description.clone()
        } else {
            format!("{} > {description}", path.join(" > "))
        };
        let mut case = Case {
            name,
            classname: file,
            ..Case::default()
        };
        let reason = p.directive.map(|(_, r)| r).unwrap_or_default();
        case.result(outcome, reason, "");
        self.pending = Some((case, indent));
        self.description = description;
        self.pending_yaml = false;
    }

    /// Makes sure the innermost level is at `indent`: opens the subtest levels down to it
    /// when deeper, one per `# Subtest:` header read since (a subtest's first line may be
    /// its own subtest's, several levels down).
    fn open_level(&mut self, indent: usize, out: &mut Collector) {
        self.close_to(indent, out);
        let top = self.levels.last().map_or(0, |l| l.indent);
        if !self.levels.is_empty() && indent <= top {
            return;
        }
        // The last header at each indent between the two levels, outermost first.
        let mut heads: Vec<(usize, String)> = Vec::new();
        for (at, name) in self.subtests.drain(..) {
            if at < top || at > indent {
                continue;
            }
            heads.retain(|(i, _)| *i < at);
            heads.push((at, name));
        }
        // node and node-tap put `# Subtest:` at the parent's indent, TAP 14 at the child's.
        let parent_style = heads.first().is_some_and(|(at, _)| *at == top);
        let n = heads.len();
        if n == 0 {
            heads.push((indent, String::new()));
        }
        for j in 0..heads.len() {
            let at = if j + 1 >= n {
                indent
            } else if parent_style {
                heads[j + 1].0
            } else {
                heads[j].0
            };
            if self.levels.last().is_some_and(|l| l.indent >= at) {
                continue;
            }
            self.levels.push(Level {
                indent: at,
                name: std::mem::take(&mut heads[j].1),
                ..Level::default()
            });
        }
    }
}

/// Whether a subtest's name is a JavaScript or TypeScript test file (`test/cart.test.js`).
fn is_test_file(name: &str) -> bool {
    !name.is_empty()
        && !name.contains(char::is_whitespace)
        && [".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx"]
            .iter()
            .any(|e| name.ends_with(e))
}

/// How a test file's process ended, from node-tap's `exitCode:` / `signal:` diagnostics,
/// when it failed.
fn exit_message(details: &str) -> Option<String> {
    let value = |key: &str| {
        details
            .lines()
            .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_owned()))
            .filter(|v| !v.is_empty() && v != "null" && v != "0")
    };
    if let Some(signal) = value("signal:") {
        return Some(format!("the test file was killed by {signal}"));
    }
    value("exitCode:").map(|code| format!("the test file exited with code {code}"))
}

/// `t/basic.t ..` (prove's per-file header): the file.
fn prove_header(line: &str) -> Option<&str> {
    let t = line.trim_end();
    let name = t.strip_suffix("..")?.trim_end_matches('.').trim_end();
    (!name.is_empty() && !name.contains(' ') && t.contains(" ..")).then_some(name)
}

/// bats' `(in test file test/x.bats, line 7)`.
fn bats_location(details: &str) -> Option<(String, u32)> {
    let at = details.find("(in test file ")?;
    let rest = &details[at + "(in test file ".len()..];
    let (file, rest) = rest.split_once(", line ")?;
    let line: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((file.to_owned(), line.parse().ok()?))
}

/// Reads TAP from `input` into `out`, cases in `default_suite` unless prove names their file;
/// returns the number of test points.
pub fn parse<R: BufRead>(
    mut input: R,
    default_suite: &str,
    out: &mut Collector,
) -> Result<usize, TapError> {
    let mut tap = Tap {
        default_suite,
        suite: default_suite.to_owned(),
        levels: vec![Level::default()],
        subtests: Vec::new(),
        pending: None,
        description: String::new(),
        pending_yaml: false,
        yaml: None,
        seen: false,
        bailed: false,
        prove: false,
        points: 0,
    };
    let mut buf = Vec::new();
    let mut number = 0;
    let mut any = false;
    loop {
        buf.clear();
        let n = input.read_until(b'\n', &mut buf).map_err(|e| TapError {
            line: number + 1,
            message: format!("reading: {e}"),
        })?;
        if n == 0 {
            break;
        }
        number += 1;
        // A line is read in place: only one with invalid UTF-8 is copied (lossily).
        let text = String::from_utf8_lossy(&buf);
        let text = if number == 1 {
            text.trim_start_matches('\u{feff}')
        } else {
            &text
        };
        let before = tap.seen;
        tap.line(text, out);
        any |= tap.seen || before;
    }
    tap.end_stream(out);
    let _ = tap.default_suite;
    if !any {
        return Err(TapError {
            line: 0,
            message: "no TAP test lines (`ok`, `not ok`, `1..N`) found".into(),
        });
    }
    Ok(tap.points)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_tests::report::Report;

    fn read(text: &str) -> Report {
        let mut c = Collector::new();
        parse(text.as_bytes(), "suite", &mut c).unwrap();
        c.finish()
    }

    fn counts(r: &Report) -> (u64, u64, u64, u64, u64) {
        let t = &r.totals;
        (t.tests, t.passed, t.failed, t.errors, t.skipped)
    }

    #[test]
    fn ava_tap_counts_skips_todos_and_failures_with_their_yaml() {
        let r = read(
            "\n> av@1.0.0 test\n> ava --tap\n\nTAP version 13\nok 1 - later # SKIP\nnot ok 2 - someday # TODO\nok 3 - adds\nnot ok 4 - breaks\n  ---\n    name: AssertionError\n    message: 'expected 3'\n    at: >-\n      (file:///app/test/a.test.js:3:25)\n  ...\nok 5 - logs\n\n1..5\n# tests 4\n",
        );
        assert_eq!(counts(&r), (5, 2, 1, 0, 2));
        let f = &r.failures[0];
        assert_eq!(
            (f.id.as_str(), f.message.as_str()),
            ("suite::breaks", "expected 3")
        );
        assert_eq!(f.line, Some(3));
    }

    #[test]
    fn subtests_count_their_leaves_and_a_parent_only_when_it_fails_alone() {
        let r = read(
            "TAP version 14\n# Subtest: cart\n    # Subtest: totals\n    ok 1 - totals\n    not ok 2 - rounds\n      ---\n      error: 'off by one'\n      location: '/app/test/cart.test.js:9:3'\n      ...\n    1..2\nnot ok 1 - cart\n# Subtest: setup\n    ok 1 - a\n    1..1\nnot ok 2 - setup\nok 3 - alone\n1..3\n",
        );
        assert_eq!(counts(&r), (5, 3, 2, 0, 0), "{r:?}");
        assert_eq!(r.failures[0].name, "cart > rounds");
        assert_eq!(r.failures[0].message, "off by one");
        assert_eq!(r.failures[0].line, Some(9));
        assert_eq!(r.failures[1].name, "setup");
    }

    #[test]
    fn a_plan_mismatch_a_missing_plan_and_a_bail_out_are_errors() {
        let r = read("1..3\nok 1 - a\nok 2 - b\n");
        assert_eq!(counts(&r), (3, 2, 0, 1, 0));
        assert!(r.failures[0].message.contains("planned 3 tests but 2 ran"));
        let r = read("ok 1 - a\nnot ok 2 - b\n");
        assert_eq!(counts(&r), (3, 1, 1, 1, 0));
        let r = read("1..4\nok 1 - a\nBail out! database down\nok 2 - ignored\n");
        assert_eq!(counts(&r), (2, 1, 0, 1, 0));
        assert!(r.failures[0].message.contains("database down"));
        let r = read("1..0 # SKIP no database\n");
        assert_eq!(counts(&r), (0, 0, 0, 0, 0));
    }

    #[test]
    fn bats_comments_locate_a_failure() {
        let r = read(
            "1..2\nok 1 adds\nnot ok 2 breaks\n# (in test file test/math.bats, line 7)\n#   `[ \"$result\" -eq 5 ]' failed\n",
        );
        assert_eq!(counts(&r), (2, 1, 1, 0, 0));
        let f = &r.failures[0];
        assert_eq!(
            (f.file.as_deref(), f.line),
            (Some("test/math.bats"), Some(7))
        );
        assert!(f.details.contains("failed"), "{f:?}");
    }

    #[test]
    fn prove_streams_are_suites_named_by_file() {
        let r = read(
            "t/basic.t .. \n1..3\nok 1 - a\nnot ok 2 - b\nok 3 - c\nDubious, test returned 1 (wstat 256, 0x100)\nFailed 1/3 subtests \nt/two.t .... \nok 1 - x\n1..1\nok\n\nTest Summary Report\n-------------------\nResult: FAIL\n",
        );
        assert_eq!(counts(&r), (4, 3, 1, 0, 0), "{r:?}");
        let names: Vec<&str> = r.suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, vec!["t/basic.t", "t/two.t"]);
    }

    /// node-tap 21's `--reporter=tap`: each file a subtest, each test a subtest of it, the
    /// assertions its points (from a real run).
    const NODE_TAP: &str = "TAP version 14\n1..2\n# Subtest: test/cart.test.js\n    # Subtest: adds\n        ok 1 - should be equal\n        1..1\n    ok 1 - adds # time=3.416ms\n    \n    # Subtest: totals\n        not ok 1 - sum\n          ---\n          compare: ===\n          at:\n            fileName: test/cart.test.js\n            lineNumber: 3\n            columnNumber: 33\n            typeName: Test\n          stack: |\n            Test.<anonymous> (test/cart.test.js:3:33)\n          diff: |\n            --- expected\n            +++ actual\n            -3\n            +2\n          ...\n        \n        1..1\n    not ok 2 - totals # time=62.36ms\n      ---\n      at:\n        fileName: test/cart.test.js\n        lineNumber: 3\n        columnNumber: 3\n      ...\n    \n    ok 3 - later # SKIP not yet\n    1..3\n    # time=133.333ms\nnot ok 1 - test/cart.test.js # time=133.333ms\n  ---\n  cwd: /app\n  exitCode: 1\n  signal: null\n  ...\n\n# Subtest: test/broken.test.js\n    1..0 # no tests found\nnot ok 2 - test/broken.test.js # time=6945.891ms\n  ---\n  externalID: test/broken.test.js\n  exitCode: 1\n  signal: null\n  ...\n\n# No coverage generated\n# { total: 4, pass: 1, fail: 2, skip: 1 }\n";

    #[test]
    fn node_tap_files_are_suites_and_their_nested_tests_are_named_by_their_path() {
        let r = read(NODE_TAP);
        assert_eq!(counts(&r), (4, 1, 2, 0, 1), "{r:?}");
        let suites: Vec<&str> = r.suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(suites, vec!["test/cart.test.js", "test/broken.test.js"]);
        let f = &r.failures[0];
        assert_eq!(f.id, "test/cart.test.js::totals > sum", "{f:?}");
        assert_eq!(f.message, "sum");
        assert_eq!(
            (f.file.as_deref(), f.line),
            (Some("test/cart.test.js"), Some(3))
        );
        // A file that stopped before any test: its own point, with how its process ended.
        let f = &r.failures[1];
        assert_eq!(f.id, "test/broken.test.js::(test file)", "{f:?}");
        assert_eq!(f.message, "the test file exited with code 1");
        assert_eq!(f.file.as_deref(), Some("test/broken.test.js"));
    }

    #[test]
    fn a_subtest_opening_on_its_own_subtest_names_every_level() {
        // TAP 14 puts the header at the child's indent; node at the parent's.
        for text in [
            "TAP version 14\n    # Subtest: a\n        # Subtest: b\n        not ok 1 - c\n        1..1\n    not ok 1 - b\n    1..1\nnot ok 1 - a\n1..1\n",
            "TAP version 13\n# Subtest: a\n    # Subtest: b\n        not ok 1 - c\n        1..1\n    not ok 1 - b\n    1..1\nnot ok 1 - a\n1..1\n",
        ] {
            let r = read(text);
            assert_eq!(counts(&r), (1, 0, 1, 0, 0), "{text}\n{r:?}");
            assert_eq!(r.failures[0].name, "a > b > c", "{text}");
        }
    }

    #[test]
    fn text_without_tap_is_refused() {
        let mut c = Collector::new();
        assert!(parse("hello\nworld\n".as_bytes(), "s", &mut c).is_err());
    }
}
