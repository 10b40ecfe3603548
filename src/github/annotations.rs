//! Annotations: `::error file=…,line=…,title=…::message`, escaped, with the per-step caps.
//!
//! Escaping follows the toolkit (`packages/core/src/command.ts`): the message escapes `%`, CR
//! and LF; property values also escape `:` and `,`. GitHub shows at most 10 error, 10 warning
//! and 10 notice annotations per step (and 50 per job); the rest are dropped silently, so we
//! count per level, print the overflow as plain log lines and keep it for the job summary
//! ([`Runtime::overflow`]).
//! See <https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#setting-an-error-message>
//! and <https://docs.github.com/en/rest/checks/runs#update-a-check-run> (annotation limits).
//!
//! Outside Actions an annotation is a plain line on stderr:
//! `error: src/main.rs:3:7: title: message`.

use std::fmt::Write as _;

use super::{Runtime, redact};

/// Annotations of one level GitHub shows per step; later ones are dropped by GitHub.
// NOTE: "a maximum of 10 warning annotations and 10 error annotations per step"
// https://docs.github.com/en/actions/reference/limits (annotations), same for notices.
pub const MAX_PER_STEP: usize = 10;

/// The severity of an annotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// `::notice::`
    Notice,
    /// `::warning::`
    Warning,
    /// `::error::`
    Error,
}

impl Level {
    /// The workflow command and plain prefix: `notice`, `warning`, `error`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Notice => "notice",
            Self::Warning => "warning",
            Self::Error => "error",
        }
    }
}

/// One annotation: a message, optionally attached to a file region and titled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    /// The severity.
    pub level: Level,
    /// The message (may span lines).
    pub message: String,
    /// A short title shown above the message.
    pub title: Option<String>,
    /// The file, relative to the repository root.
    pub file: Option<String>,
    /// The first line (1-based).
    pub line: Option<u32>,
    /// The last line.
    pub end_line: Option<u32>,
    /// The first column (1-based).
    pub col: Option<u32>,
    /// The last column.
    pub end_column: Option<u32>,
}

impl Annotation {
    /// An annotation of `level` with `message` and nothing else.
    pub fn new(level: Level, message: impl Into<String>) -> Self {
        Self {
            level,
            message: message.into(),
            title: None,
            file: None,
            line: None,
            end_line: None,
            col: None,
            end_column: None,
        }
    }

    /// An error annotation.
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Level::Error, message)
    }

    /// A warning annotation.
    pub fn warning(message: impl Into<String>) -> Self {
        Self::new(Level::Warning, message)
    }

    /// A notice annotation.
    pub fn notice(message: impl Into<String>) -> Self {
        Self::new(Level::Notice, message)
    }

    /// Sets the title.
    #[must_use]
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Sets the file and the first line.
    #[must_use]
    pub fn at(mut self, file: impl Into<String>, line: u32) -> Self {
        self.file = Some(file.into());
        self.line = Some(line);
        self
    }

    /// Sets the first column.
    #[must_use]
    pub fn col(mut self, col: u32) -> Self {
        self.col = Some(col);
        self
    }

    /// Sets the last line and column.
    #[must_use]
    pub fn end(mut self, end_line: u32, end_column: Option<u32>) -> Self {
        self.end_line = Some(end_line);
        self.end_column = end_column;
        self
    }

    /// The workflow command, e.g. `::error file=a.rs,line=3,title=x::message`.
    pub fn to_command(&self) -> String {
        // NOTE: property order and names as in actions/toolkit packages/core/src/core.ts
        // (toCommandProperties): title, file, line, endLine, col, endColumn.
        let mut props: Vec<(&str, String)> = Vec::new();
        if let Some(t) = &self.title {
            props.push(("title", t.clone()));
        }
        if let Some(f) = &self.file {
            props.push(("file", f.clone()));
        }
        let mut num = |key, v: Option<u32>| {
            if let Some(v) = v {
                props.push((key, v.to_string()));
            }
        };
        num("line", self.line);
        num("endLine", self.end_line);
        num("col", self.col);
        num("endColumn", self.end_column);
        let mut out = format!("::{}", self.level.as_str());
        for (i, (key, value)) in props.iter().enumerate() {
            out.push(if i == 0 { ' ' } else { ',' });
            let _ = write!(out, "{key}={}", escape_property(value));
        }
        let _ = write!(out, "::{}", escape_data(&self.message));
        out
    }

    /// The plain form: `error: file:line:col: title: message`, continuation lines indented.
    pub fn to_plain(&self) -> String {
        let mut out = format!("{}: ", self.level.as_str());
        if let Some(file) = &self.file {
            out.push_str(file);
            if let Some(line) = self.line {
                let _ = write!(out, ":{line}");
                if let Some(col) = self.col {
                    let _ = write!(out, ":{col}");
                }
            }
            out.push_str(": ");
        }
        if let Some(title) = &self.title {
            let _ = write!(out, "{title}: ");
        }
        let mut lines = self.message.lines();
        out.push_str(lines.next().unwrap_or_default());
        for line in lines {
            let _ = write!(out, "\n  {line}");
        }
        out
    }
}

/// Escapes a command's message: `%`, CR, LF.
// NOTE: actions/toolkit packages/core/src/command.ts, escapeData.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a command property value: `%`, CR, LF, `:` and `,`.
// NOTE: actions/toolkit packages/core/src/command.ts, escapeProperty.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

/// What [`Runtime::annotate`] did with an annotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Emitted {
    /// Printed as a workflow command, or as a plain line outside Actions.
    Shown,
    /// Over the per-step cap: printed as a plain log line and kept in
    /// [`Runtime::overflow`]; put it in the job summary.
    Overflow(Annotation),
}

/// Annotations emitted per level by one runtime, and the overflow.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    notice: usize,
    warning: usize,
    error: usize,
    overflow: Vec<Annotation>,
}

impl Runtime {
    /// Emits an annotation: a workflow command in Actions (up to [`MAX_PER_STEP`] per level),
    /// a plain line on stderr otherwise. Text is redacted of registered secrets.
    pub fn annotate(&self, annotation: Annotation) -> Emitted {
        let mut annotation = annotation;
        annotation.message = redact(&annotation.message).into_owned();
        annotation.title = annotation.title.map(|t| redact(&t).into_owned());
        if !self.in_actions() {
            self.log_line(&annotation.to_plain());
            return Emitted::Shown;
        }
        let over = match self.annotations.lock() {
            Ok(mut counts) => {
                let n = match annotation.level {
                    Level::Notice => &mut counts.notice,
                    Level::Warning => &mut counts.warning,
                    Level::Error => &mut counts.error,
                };
                *n += 1;
                let over = *n > MAX_PER_STEP;
                if over {
                    counts.overflow.push(annotation.clone());
                }
                over
            }
            Err(_) => false,
        };
        if over {
            self.log_line(&annotation.to_plain());
            Emitted::Overflow(annotation)
        } else {
            self.log_line(&annotation.to_command());
            Emitted::Shown
        }
    }

    /// The annotations GitHub would not have shown, in order, for the job summary.
    pub fn overflow(&self) -> Vec<Annotation> {
        self.annotations
            .lock()
            .map(|c| c.overflow.clone())
            .unwrap_or_default()
    }
}

/// Emits an error annotation titled `title` on the process runtime; in Actions only, since the
/// plain rendering of errors is the caller's.
pub fn error(title: &str, message: &str) {
    let rt = super::runtime();
    if rt.in_actions() {
        rt.annotate(Annotation::error(message).title(title));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_escapes_percent_cr_and_lf() {
        assert_eq!(escape_data("100%\r\nok: a,b"), "100%25%0D%0Aok: a,b");
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn a_full_annotation_lists_properties_in_toolkit_order() {
        let a = Annotation::error("bad\nthing 50%")
            .title("slipway detect: x,y")
            .at("src/a:b.rs", 3)
            .col(7)
            .end(4, Some(2));
        assert_eq!(
            a.to_command(),
            "::error title=slipway detect%3A x%2Cy,file=src/a%3Ab.rs,line=3,endLine=4,col=7,endColumn=2::bad%0Athing 50%25"
        );
    }

    #[test]
    fn a_bare_annotation_has_no_properties() {
        assert_eq!(Annotation::notice("hi").to_command(), "::notice::hi");
    }

    #[test]
    fn plain_form_reads_like_a_compiler_message() {
        let a = Annotation::warning("unused\nsecond line")
            .at("src/main.rs", 3)
            .col(7);
        assert_eq!(
            a.to_plain(),
            "warning: src/main.rs:3:7: unused\n  second line"
        );
        assert_eq!(
            Annotation::error("boom").title("slipway deploy").to_plain(),
            "error: slipway deploy: boom"
        );
    }

    #[test]
    fn more_than_ten_of_one_level_overflow_and_are_kept() {
        let mut rt = Runtime::plain_for_test();
        rt.actions = true;
        for i in 0..12 {
            let emitted = rt.annotate(Annotation::error(format!("e{i}")));
            assert_eq!(matches!(emitted, Emitted::Shown), i < 10, "annotation {i}");
        }
        for i in 0..3 {
            assert_eq!(
                rt.annotate(Annotation::warning(format!("w{i}"))),
                Emitted::Shown
            );
        }
        let overflow: Vec<String> = rt.overflow().into_iter().map(|a| a.message).collect();
        assert_eq!(overflow, ["e10", "e11"]);
        let log = rt.captured();
        assert_eq!(log.matches("::error::").count(), 10);
        assert!(log.contains("error: e11\n"), "{log}");
        assert_eq!(log.matches("::warning::").count(), 3);
    }

    #[test]
    fn outside_actions_every_annotation_is_a_plain_line() {
        let rt = Runtime::plain_for_test();
        for i in 0..12 {
            assert_eq!(
                rt.annotate(Annotation::error(format!("e{i}"))),
                Emitted::Shown
            );
        }
        assert_eq!(rt.captured().lines().count(), 12);
        assert!(rt.overflow().is_empty());
    }
}
