//! JUnit XML in its dialects, and xUnit.net's own XML (`<assemblies>`), read as a stream.
//!
//! There is no single JUnit schema; we follow the union of what tools write:
//! - the Ant / Surefire shape (<https://maven.apache.org/surefire/maven-surefire-plugin/xsd/surefire-test-report-3.0.xsd>),
//!   including Surefire's `flakyFailure` / `flakyError` (failed, then passed on a rerun);
//! - the Jenkins schema (<https://github.com/jenkinsci/xunit-plugin/blob/master/src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/junit-10.xsd>):
//!   nested `testsuite`s, `properties`, `system-out` / `system-err`;
//! - pytest (`file`, `line` on xunit1 cases; <https://docs.pytest.org/en/stable/how-to/output.html#creating-junitxml-format-files>),
//!   Jest (jest-junit), Mocha (mocha-junit-reporter), PHPUnit (`--log-junit`, nested suites with
//!   `file`), ScalaTest, Gradle, cargo-nextest and googletest (`status="notrun"`, `result="skipped"`);
//! - xUnit.net v2 XML (<https://xunit.net/docs/format-xml-v2>): `assembly` / `collection` /
//!   `test result="Pass|Fail|Skip|NotRun"`.
//!
//! Only counted cases matter: the `tests=`, `failures=` and `time=` a suite declares are ignored.
//! A case with several result elements takes the worst (error > failure > skipped > passed);
//! `status` (`skipped`, `notrun`, `disabled`) and `disabled="true"` make a case skipped.

use std::borrow::Cow;

use super::report::{Case, Collector, Outcome};
use super::xml::{Attrs, Node, number};

/// `status` / `result` values that make a case skipped.
const SKIPPED_STATUS: &[&str] = &[
    "skipped",
    "skip",
    "notrun",
    "disabled",
    "ignored",
    "suppressed",
];

/// The JUnit walker: suites on a stack, the current case, the result element being read.
#[derive(Debug)]
pub struct Junit {
    default_suite: String,
    suites: Vec<(String, Option<String>)>,
    /// The case being read, when `in_case`; its strings are reused from case to case, so a
    /// file of a million cases allocates a handful of times.
    case: Case,
    in_case: bool,
    /// A self-closing case was counted at its opening: its closing, which comes next, is
    /// passed over.
    counted: bool,
    /// The result element being read: its outcome (None for a flaky rerun) and message.
    result: Option<(Option<Outcome>, String)>,
}

impl Junit {
    /// A walker whose suite-less cases go to `default_suite` (the file name).
    pub fn new(default_suite: &str) -> Self {
        Self {
            default_suite: default_suite.to_owned(),
            suites: Vec::new(),
            case: Case::default(),
            in_case: false,
            counted: false,
            result: None,
        }
    }

    fn suite(&self) -> (&str, Option<&str>) {
        let name = self
            .suites
            .iter()
            .rev()
            .map(|(n, _)| n.as_str())
            .find(|n| !n.is_empty())
            .unwrap_or(&self.default_suite);
        let file = self.suites.iter().rev().find_map(|(_, f)| f.as_deref());
        (name, file)
    }

    /// Handles one node of the walk.
    pub fn node(&mut self, node: Node<'_>, out: &mut Collector) -> Result<(), String> {
        match node {
            Node::Open {
                name, attrs, empty, ..
            } => self.open(name, attrs, empty, out),
            Node::Close { .. } if std::mem::take(&mut self.counted) => {}
            Node::Close {
                name,
                text,
                parents,
            } => self.close(name, text, parents.last().map(String::as_str), out),
        }
        Ok(())
    }

    fn open(&mut self, name: &str, attrs: &Attrs, empty: bool, out: &mut Collector) {
        match (name, self.in_case) {
            ("testsuite", false) => self.suites.push((
                attrs.get("name").unwrap_or_default().trim().to_owned(),
                attrs.get("file").map(|v| v.into_owned()),
            )),
            ("testcase", false) => self.testcase(attrs, empty, out),
            (_, true) => {
                let case = &mut self.case;
                let outcome = match name {
                    "failure" => Some(Outcome::Failed),
                    "error" => Some(Outcome::Error),
                    "skipped" => Some(Outcome::Skipped),
                    "flakyFailure" | "flakyError" => {
                        case.flaky = true;
                        None
                    }
                    _ => return,
                };
                let message = attrs
                    .get("message")
                    .filter(|m| !m.trim().is_empty())
                    .or_else(|| attrs.get("type"))
                    .unwrap_or_default()
                    .into_owned();
                self.result = Some((outcome, message));
            }
            _ => {}
        }
    }

    /// A `<testcase>`, its attributes read in one pass. A self-closing one, which is most of a
    /// file (a case that passed), is counted at once from the tag's own text; one with children
    /// is copied into the reused `self.case` for them to complete.
    fn testcase(&mut self, attrs: &Attrs<'_>, empty: bool, out: &mut Collector) {
        let (mut name, mut classname) = (Cow::Borrowed(""), Cow::Borrowed(""));
        let (mut class, mut file, mut line) = (None, None, None);
        let mut time_s = 0.0;
        let mut skipped = false;
        // Names are matched byte by byte (slice patterns need no string comparison).
        for span in attrs.spans() {
            let value = || attrs.value(span);
            match attrs.key(span) {
                [b'n', b'a', b'm', b'e'] => name = value(),
                [b'c', b'l', b'a', b's', b's', b'n', b'a', b'm', b'e'] => classname = value(),
                [b'c', b'l', b'a', b's', b's'] => class = Some(value()),
                [b'f', b'i', b'l', b'e'] => file = Some(value()),
                [b'l', b'i', b'n', b'e'] if !empty => {
                    line = number(&value())
                        .filter(|l| *l >= 1.0 && *l <= f64::from(u32::MAX))
                        .map(|l| l as u32);
                }
                [b't', b'i', b'm', b'e'] => time_s = number(&value()).unwrap_or(0.0),
                b"status" | b"result" => {
                    let v = value();
                    skipped |= SKIPPED_STATUS.iter().any(|k| v.eq_ignore_ascii_case(k));
                }
                b"disabled" => skipped |= value() == "true",
                _ => {}
            }
        }
        if empty {
            // Without a result element, a case passed or was skipped by its status: its line
            // is not needed (it was not read), only its identity, suite, file and time.
            let outcome = if skipped {
                Outcome::Skipped
            } else {
                Outcome::Passed
            };
            let owner = match &class {
                Some(class) if classname.is_empty() => class,
                _ => &classname,
            };
            let (suite, suite_file) = self.suite();
            out.count_named(
                suite,
                suite_file,
                file.as_deref(),
                owner,
                &name,
                outcome,
                time_s,
            );
            self.counted = true;
            return;
        }
        let case = &mut self.case;
        case.clear();
        case.name.push_str(&name);
        match class {
            Some(class) if classname.is_empty() => case.classname.push_str(&class),
            _ => case.classname.push_str(&classname),
        }
        case.line = line;
        case.time_s = time_s;
        match (file, &mut case.file) {
            (Some(f), Some(have)) => {
                have.clear();
                have.push_str(&f);
            }
            (Some(f), None) => case.file = Some(f.into_owned()),
            (None, have) => *have = None,
        }
        if skipped {
            case.result(Outcome::Skipped, "disabled", "");
        }
        self.in_case = true;
    }

    fn close(&mut self, name: &str, text: &str, parent: Option<&str>, out: &mut Collector) {
        match name {
            "testcase" if self.in_case => {
                self.in_case = false;
                let (suite, file) = self.suite();
                out.case(suite, file, &self.case);
            }
            "testsuite" if !self.in_case => {
                self.suites.pop();
            }
            "failure" | "error" | "skipped" if parent == Some("testcase") => {
                if let (true, Some((Some(outcome), message))) = (self.in_case, self.result.take()) {
                    self.case.result(outcome, &message, text);
                }
            }
            _ => {}
        }
    }
}

/// The xUnit.net v2 walker.
#[derive(Debug)]
pub struct Xunit {
    default_suite: String,
    suites: Vec<String>,
    case: Option<(Case, String)>,
}

impl Xunit {
    /// A walker whose collection-less tests go to `default_suite`.
    pub fn new(default_suite: &str) -> Self {
        Self {
            default_suite: default_suite.to_owned(),
            suites: Vec::new(),
            case: None,
        }
    }

    /// Handles one node of the walk.
    pub fn node(&mut self, node: Node<'_>, out: &mut Collector) -> Result<(), String> {
        match node {
            Node::Open { name, attrs, .. } => match name {
                "assembly" | "collection" => self
                    .suites
                    .push(attrs.get("name").unwrap_or_default().into_owned()),
                "test" => {
                    let case = Case {
                        name: attrs.get("name").unwrap_or_default().into_owned(),
                        classname: attrs.get("type").unwrap_or_default().into_owned(),
                        file: attrs.get("source-file").map(|v| v.into_owned()),
                        line: attrs.num("source-line").map(|l| l as u32),
                        time_s: attrs.num("time").unwrap_or(0.0),
                        ..Case::default()
                    };
                    let result = attrs
                        .get("result")
                        .map_or_else(|| "Pass".to_owned(), |r| r.into_owned());
                    self.case = Some((case, result));
                }
                "failure" => {
                    if let Some((case, _)) = self.case.as_mut() {
                        case.message = attrs.get("exception-type").unwrap_or_default().into_owned();
                    }
                }
                _ => {}
            },
            Node::Close {
                name,
                text,
                parents,
            } => match name {
                "assembly" | "collection" => {
                    self.suites.pop();
                }
                "message" | "reason" => {
                    if let Some((case, _)) = self.case.as_mut()
                        && matches!(parents.last().map(String::as_str), Some("failure" | "test"))
                    {
                        case.message = text.trim().to_owned();
                    }
                }
                "stack-trace" => {
                    if let Some((case, _)) = self.case.as_mut() {
                        case.details = text.to_owned();
                    }
                }
                "test" => {
                    if let Some((mut case, result)) = self.case.take() {
                        let outcome = match result.as_str() {
                            "Fail" => Outcome::Failed,
                            "Skip" | "NotRun" => Outcome::Skipped,
                            _ => Outcome::Passed,
                        };
                        let (message, details) = (
                            std::mem::take(&mut case.message),
                            std::mem::take(&mut case.details),
                        );
                        case.result(outcome, &message, &details);
                        let suite = self
                            .suites
                            .iter()
                            .rev()
                            .find(|s| !s.is_empty())
                            .unwrap_or(&self.default_suite)
                            .clone();
                        out.case(&suite, None, &case);
                    }
                }
                _ => {}
            },
        }
        Ok(())
    }
}
