//! Visual Studio / `dotnet test --logger trx` results (`.trx`), read as a stream.
//!
//! The format is the `TestRun` schema of `vstst.xsd`
//! (<https://github.com/microsoft/vstest/blob/main/src/Microsoft.TestPlatform.Extensions.TrxLogger/XML/TrxLoggerXml.xsd>
//! is not published; the logger's writer is
//! <https://github.com/microsoft/vstest/tree/main/src/Microsoft.TestPlatform.Extensions.TrxLogger>).
//! Each `UnitTestResult` is a case; a data-driven test carries its rows as `InnerResults`, and
//! then only the rows are counted. `outcome`: `Passed` (and `PassedButRunAborted`, `Warning`,
//! `Completed`) passed; `Failed` failed; `Error`, `Timeout`, `Aborted` errored; anything else
//! (`NotExecuted`, `Inconclusive`, `Pending`, …) skipped. `duration` is `hh:mm:ss.fffffff`.

use super::report::{Case, Collector, Outcome};
use super::xml::Node;

/// The TRX walker.
#[derive(Debug)]
pub struct Trx {
    suite: String,
    /// Open results (nested through `InnerResults`): the case, its outcome, whether it has rows.
    stack: Vec<(Case, String, bool)>,
}

impl Trx {
    /// A walker whose run is named `default_suite` unless the file names it.
    pub fn new(default_suite: &str) -> Self {
        Self {
            suite: default_suite.to_owned(),
            stack: Vec::new(),
        }
    }

    /// Handles one node of the walk.
    pub fn node(&mut self, node: Node<'_>, out: &mut Collector) -> Result<(), String> {
        match node {
            Node::Open { name, attrs, .. } => match name {
                "TestRun" => {
                    if let Some(n) = attrs.get("name").filter(|n| !n.trim().is_empty()) {
                        self.suite = n.into_owned();
                    }
                }
                "UnitTestResult" => {
                    if let Some(parent) = self.stack.last_mut() {
                        parent.2 = true;
                    }
                    let case = Case {
                        name: attrs.get("testName").unwrap_or_default().into_owned(),
                        time_s: attrs.get("duration").map_or(0.0, |d| duration(&d)),
                        ..Case::default()
                    };
                    let outcome = attrs
                        .get("outcome")
                        .map_or_else(|| "Passed".to_owned(), |o| o.into_owned());
                    self.stack.push((case, outcome, false));
                }
                _ => {}
            },
            Node::Close { name, text, .. } => match name {
                "Message" => {
                    if let Some((case, _, _)) = self.stack.last_mut() {
                        case.message = text.trim().to_owned();
                    }
                }
                "StackTrace" => {
                    if let Some((case, _, _)) = self.stack.last_mut() {
                        case.details = text.to_owned();
                    }
                }
                "UnitTestResult" => {
                    if let Some((mut case, outcome, has_rows)) = self.stack.pop()
                        && !has_rows
                    {
                        let outcome = match outcome.as_str() {
                            "Passed" | "PassedButRunAborted" | "Warning" | "Completed" => {
                                Outcome::Passed
                            }
                            "Failed" => Outcome::Failed,
                            "Error" | "Timeout" | "Aborted" => Outcome::Error,
                            _ => Outcome::Skipped,
                        };
                        let (message, details) = (
                            std::mem::take(&mut case.message),
                            std::mem::take(&mut case.details),
                        );
                        case.result(outcome, &message, &details);
                        out.case(&self.suite, None, &case);
                    }
                }
                _ => {}
            },
        }
        Ok(())
    }
}

/// Seconds in a `hh:mm:ss.fffffff` duration; 0 when it is not one.
///
/// ```
/// # use slipway::run_tests::trx::duration;
/// assert_eq!(duration("00:01:02.5000000"), 62.5);
/// ```
pub fn duration(s: &str) -> f64 {
    let mut total = 0.0;
    for part in s.trim().split(':') {
        let Ok(v) = part.parse::<f64>() else {
            return 0.0;
        };
        total = total * 60.0 + v;
    }
    if total.is_finite() { total } else { 0.0 }
}
