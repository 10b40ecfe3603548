//! Reading one result or coverage file: pick the parser, turn its error into a [`Problem`]
//! that names the file, line and column.
//!
//! Result files are sniffed, not trusted by name: a first `{` is JSON, told by its first key
//! (`"version"`/`"examples"`: RSpec, `"num…"`/`"testResults"`: jest, else `go test -json`);
//! XML is JUnit (`<testsuites>`, `<testsuite>`), xUnit.net (`<assemblies>`, `<assembly>`) or
//! TRX (`<TestRun>`) by its root element; `TAP version`, `1..N`, `ok`, `not ok` start TAP. A
//! `.tap` file is TAP whatever comes first (a package manager's banner before ava's output).

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::Path;

use super::coverage;
use super::gotest;
use super::junit::{Junit, Xunit};
use super::report::{Collector, Problem};
use super::trx::Trx;
use super::xml::{self, Node, XmlError};
use super::{jest, rspec, tap};

/// Buffer size for reading result and coverage files: enough to sniff the format and to read
/// text formats line by line. It is smaller than the XML walker's own chunk ([`xml::CHUNK`]) on
/// purpose: reads at least this large go straight from the file into the walker's buffer
/// instead of being copied through this one.
const BUFFER: usize = 16 * 1024;

/// Why a file could not be parsed, before we know its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// At a byte offset (XML); located by reading the file again.
    Offset(XmlError),
    /// At a line and column.
    At {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// About the file as a whole.
    Whole(String),
}

impl ParseError {
    /// An error at `line`, `column`.
    pub fn at(line: usize, column: usize, message: String) -> Self {
        Self::At {
            line,
            column,
            message,
        }
    }

    /// An error about the whole file.
    pub fn whole(message: impl Into<String>) -> Self {
        Self::Whole(message.into())
    }

    /// An XML error.
    pub fn xml(e: XmlError) -> Self {
        Self::Offset(e)
    }

    /// A read error.
    pub fn io(e: std::io::Error) -> Self {
        Self::Whole(format!("reading: {e}"))
    }

    /// The line and column, when known without the input.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            Self::At { line, column, .. } => Some((*line, *column)),
            _ => None,
        }
    }

    /// The problem, located in `bytes` (the input) when the error is an offset.
    pub fn locate_in<R: BufRead>(self, file: &str, input: impl FnOnce() -> Option<R>) -> Problem {
        match self {
            Self::Offset(e) => {
                let (line, column) = input().map_or((0, 0), |r| xml::locate(r, e.offset));
                Problem {
                    file: file.to_owned(),
                    line,
                    column,
                    message: e.message,
                }
            }
            Self::At {
                line,
                column,
                message,
            } => Problem {
                file: file.to_owned(),
                line,
                column,
                message,
            },
            Self::Whole(message) => Problem {
                file: file.to_owned(),
                line: 0,
                column: 0,
                message,
            },
        }
    }
}

/// The result formats, by their walker.
enum Walker {
    Junit(Junit),
    Xunit(Xunit),
    Trx(Trx),
}

/// The elements a JUnit walker reads; a JUnit file's properties and captured output are
/// only checked for nesting.
const JUNIT_ELEMENTS: &[&str] = &[
    "testcase",
    "testsuite",
    "testsuites",
    "failure",
    "error",
    "skipped",
    "flakyFailure",
    "flakyError",
];

/// Picks the walker from the root element and hands it the walk.
struct ResultVisitor<'a> {
    walker: Option<Walker>,
    default_suite: &'a str,
    out: &'a mut Collector,
}

impl xml::Visitor for ResultVisitor<'_> {
    fn wants(&self, name: &str) -> bool {
        match self.walker {
            Some(Walker::Junit(_)) => JUNIT_ELEMENTS.contains(&name),
            _ => true,
        }
    }

    fn keeps_text(&self, name: &str) -> bool {
        match self.walker {
            // Only a result's text is read (its trace); suites and cases hold whitespace.
            Some(Walker::Junit(_)) => matches!(name, "failure" | "error" | "skipped"),
            _ => !xml::SKIPPED_TEXT.contains(&name),
        }
    }

    fn node(&mut self, node: Node<'_>) -> Result<(), String> {
        if self.walker.is_none()
            && let Node::Open { name, .. } = &node
        {
            let suite = self.default_suite;
            self.walker = Some(match *name {
                "testsuites" | "testsuite" => Walker::Junit(Junit::new(suite)),
                "assemblies" | "assembly" => Walker::Xunit(Xunit::new(suite)),
                "TestRun" => Walker::Trx(Trx::new(suite)),
                other => {
                    return Err(format!(
                        "not a test result file: the root element is `<{other}>` (expected JUnit `<testsuites>`, xUnit.net `<assemblies>` or TRX `<TestRun>`)"
                    ));
                }
            });
        }
        match self.walker.as_mut() {
            Some(Walker::Junit(w)) => w.node(node, self.out),
            Some(Walker::Xunit(w)) => w.node(node, self.out),
            Some(Walker::Trx(w)) => w.node(node, self.out),
            None => Ok(()),
        }
    }
}

/// Parses the results in `input` into `out`; cases go to suites of the file, or to
/// `default_suite` when the file has none.
pub fn results<R: BufRead>(
    mut input: R,
    default_suite: &str,
    out: &mut Collector,
) -> Result<(), ParseError> {
    let head = input.fill_buf().map_err(ParseError::io)?;
    let first = head
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .unwrap_or(head)
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .copied();
    if tap::sniff(head) {
        return tap_results(input, default_suite, out);
    }
    match first {
        Some(b'{') if matches!(first_key(head).as_deref(), Some("version" | "examples" | "messages" | "seed")) => {
            rspec::parse(input, out).map_err(ParseError::whole)
        }
        Some(b'{') if first_key(head).is_some_and(|k| k.starts_with("num") || k == "testResults") => {
            jest::parse(input, out).map_err(ParseError::whole)
        }
        Some(b'{') => {
            let events = gotest::parse(input, out)
                .map_err(|e| ParseError::at(e.line, e.column, e.message))?;
            if events == 0 {
                return Err(ParseError::whole("no `go test -json` events found"));
            }
            Ok(())
        }
        Some(b'<') => {
            let mut v = ResultVisitor {
                walker: None,
                default_suite,
                out,
            };
            xml::walk_with(input, &mut v).map_err(ParseError::xml)
        }
        None => Err(ParseError::whole("the file is empty")),
        Some(_) => Err(ParseError::at(
            1,
            1,
            "not a test result file: expected JUnit, xUnit.net or TRX XML, TAP, `go test -json`, jest's or RSpec's JSON"
                .into(),
        )),
    }
}

/// TAP from `input`.
fn tap_results<R: BufRead>(input: R, suite: &str, out: &mut Collector) -> Result<(), ParseError> {
    tap::parse(input, suite, out)
        .map(|_| ())
        .map_err(|e| match e.line {
            0 => ParseError::whole(e.message),
            n => ParseError::at(n, 1, e.message),
        })
}

/// The first key of the JSON object that starts `head`.
fn first_key(head: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(&head[..head.len().min(512)])
        .ok()
        .or_else(|| {
            // Cut inside a character: read what is valid.
            let n = head.len().min(512);
            std::str::from_utf8(&head[..n])
                .err()
                .and_then(|e| std::str::from_utf8(&head[..e.valid_up_to()]).ok())
        })?;
    let rest = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .strip_prefix('{')?
        .trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

/// Reads the result file at `path` into `out`; a problem names `label` (the path as shown).
pub fn result_file(path: &Path, label: &str, out: &mut Collector) -> Result<(), Problem> {
    let file = File::open(path).map_err(|e| Problem {
        file: label.to_owned(),
        line: 0,
        column: 0,
        message: format!("cannot open: {e}"),
    })?;
    let suite = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| label.to_owned());
    let reader = BufReader::with_capacity(BUFFER, file);
    let parsed = if path.extension().is_some_and(|e| e == "tap") {
        tap_results(reader, &suite, out)
    } else {
        results(reader, &suite, out)
    };
    parsed.map_err(|e| {
        e.locate_in(label, || {
            File::open(path)
                .ok()
                .map(|f| BufReader::with_capacity(BUFFER, f))
        })
    })?;
    out.file(label);
    Ok(())
}

/// Reads the coverage file at `path`.
pub fn coverage_file(
    path: &Path,
    label: &str,
    format: coverage::Format,
) -> Result<coverage::CoverageData, Problem> {
    let file = File::open(path).map_err(|e| Problem {
        file: label.to_owned(),
        line: 0,
        column: 0,
        message: format!("cannot open: {e}"),
    })?;
    coverage::parse(BufReader::with_capacity(BUFFER, file), format).map_err(|e| {
        e.locate_in(label, || {
            File::open(path)
                .ok()
                .map(|f| BufReader::with_capacity(BUFFER, f))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> Result<super::super::report::Report, ParseError> {
        let mut c = Collector::new();
        results(text.as_bytes(), "file", &mut c)?;
        Ok(c.finish())
    }

    #[test]
    fn counted_cases_win_over_declared_totals() {
        let xml = r#"<testsuites tests="100" failures="0" time="1.0"><testsuite name="s" tests="1" failures="0" time="0.5">
            <testcase name="a" classname="c" time="0.4"/>
            <testcase name="b" classname="c" time="0.4"><failure message="boom">trace</failure></testcase>
            <testcase name="c" classname="c" time="0.4"><skipped/></testcase>
        </testsuite></testsuites>"#;
        let r = parse(xml).unwrap();
        assert_eq!(
            (
                r.totals.tests,
                r.totals.passed,
                r.totals.failed,
                r.totals.skipped
            ),
            (3, 1, 1, 1)
        );
        assert!((r.totals.time_s - 1.2).abs() < 1e-9);
    }

    #[test]
    fn a_self_closing_case_times_its_own_file_or_else_its_suites() {
        let xml = r#"<testsuites><testsuite name="s" file="tests/s.php">
            <testcase name="a" file="tests/a.py" time="0.25"/>
            <testcase name="b" time="0.5"/>
            <testcase name="c" file="tests/a.py" time="0.25" status="skipped"/>
        </testsuite></testsuites>"#;
        let r = parse(xml).unwrap();
        assert_eq!(
            (r.totals.tests, r.totals.passed, r.totals.skipped),
            (3, 2, 1)
        );
        assert_eq!(r.timings.get("tests/a.py"), Some(&0.5));
        assert_eq!(r.timings.get("tests/s.php"), Some(&0.5));
        assert_eq!(r.suites.len(), 1);
        assert_eq!(r.suites[0].file.as_deref(), Some("tests/s.php"));
    }

    #[test]
    fn nothing_of_one_case_leaks_into_the_next() {
        let xml = r#"<testsuite name="s">
            <testcase name="a" classname="A" file="a.py" line="3" time="0.5"><flakyFailure/><failure message="boom">at a.py:7</failure></testcase>
            <testcase name="b" class="B"/>
            <testcase name="c" status="run" result="skipped"/>
            <testcase name="d" disabled="true"/>
            <testcase name="e" classname="" class="E"><error type="Crash"/></testcase>
        </testsuite>"#;
        let r = parse(xml).unwrap();
        assert_eq!(
            (
                r.totals.tests,
                r.totals.passed,
                r.totals.failed,
                r.totals.errors,
                r.totals.skipped
            ),
            (5, 1, 1, 1, 2)
        );
        let ids: Vec<(&str, Option<&str>, Option<u32>, &str)> = r
            .failures
            .iter()
            .map(|f| (f.id.as_str(), f.file.as_deref(), f.line, f.message.as_str()))
            .collect();
        assert_eq!(
            ids,
            vec![
                ("A::a", Some("a.py"), Some(7), "boom"),
                ("E::e", None, None, "Crash"),
            ]
        );
        assert!(r.flaky.is_empty(), "{:?}", r.flaky);
        assert_eq!(r.timings.get("a.py"), Some(&0.5));
    }

    #[test]
    fn an_unknown_root_is_refused() {
        let err = parse("<html/>").unwrap_err();
        assert!(matches!(err, ParseError::Offset(e) if e.message.contains("`<html>`")));
    }

    #[test]
    fn go_test_json_is_sniffed() {
        let r = parse("{\"Action\":\"run\",\"Package\":\"p\",\"Test\":\"TestA\"}\n{\"Action\":\"pass\",\"Package\":\"p\",\"Test\":\"TestA\",\"Elapsed\":0.1}\n").unwrap();
        assert_eq!(r.totals.passed, 1);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn random_bytes_never_panic_a_result_parser(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let mut c = Collector::new();
            let _ = results(bytes.as_slice(), "f", &mut c);
        }

        #[test]
        fn random_xml_like_text_never_panics_a_result_parser(
            parts in proptest::collection::vec(prop_oneof![
                Just("<testsuites>"), Just("</testsuites>"), Just("<testsuite name=\"s\">"), Just("</testsuite>"),
                Just("<testcase name=\"t\" time=\"x\">"), Just("</testcase>"), Just("<failure message=\"m\">"),
                Just("</failure>"), Just("<skipped/>"), Just("<error/>"), Just("&amp;"), Just("&#0;"), Just("\u{feff}"),
                Just("<assemblies>"), Just("<test result=\"Fail\">"), Just("</test>"), Just("<TestRun>"),
                Just("<UnitTestResult outcome=\"Failed\">"), Just("</UnitTestResult>"), Just("<InnerResults>"),
                Just("{\"Action\":\"fail\"}\n"), Just("text"), Just("<![CDATA[x]]>"), Just("<!DOCTYPE a>"),
            ], 0..40)
        ) {
            let text: String = parts.concat();
            let mut c = Collector::new();
            let _ = results(text.as_bytes(), "f", &mut c);
        }

        #[test]
        fn random_bytes_never_panic_a_coverage_parser(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            for format in [coverage::Format::Auto, coverage::Format::Lcov, coverage::Format::Cobertura, coverage::Format::Jacoco, coverage::Format::Go] {
                let _ = coverage::parse(bytes.as_slice(), format);
            }
        }

        #[test]
        fn random_lines_never_panic_the_text_coverage_parsers(
            lines in proptest::collection::vec(prop_oneof![
                Just("mode: set"), Just("a.go:1.1,2.2 3 1"), Just("a.go:1.1,2.2 x"), Just(":"), Just(" "),
                Just("SF:a"), Just("DA:1,1"), Just("DA:,"), Just("LF:3"), Just("LH:9"), Just("end_of_record"),
            ], 0..30)
        ) {
            let text = lines.join("\n");
            let _ = coverage::parse(text.as_bytes(), coverage::Format::Lcov);
            let _ = coverage::parse(text.as_bytes(), coverage::Format::Go);
        }
    }
}
