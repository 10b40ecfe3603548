//! How a command that could not run is reported.
//!
//! Every capability has its own `Error` enum (thiserror). At the edge it becomes a [`Failure`]:
//! the error with its chain of causes, an optional hint that says what to do, and exit code 2.
//! `main` renders it once, as
//!
//! ```text
//! error: <message>
//!   caused by: <cause>
//!
//! hint: <what to do>
//! ```

use std::error::Error as StdError;
use std::fmt::Write as _;

/// Exit code: the command ran and everything held.
pub const EXIT_OK: u8 = 0;
/// Exit code: the check ran and failed (drift, vulnerable dependency, failing tests, unhealthy
/// deploy).
pub const EXIT_FAILED: u8 = 1;
/// Exit code: the command could not run (usage, config, I/O, network).
pub const EXIT_ERROR: u8 = 2;

/// An error that knows what the user can do about it.
pub trait Hint {
    /// One sentence on how to fix the problem, when we know it.
    fn hint(&self) -> Option<String> {
        None
    }

    /// The place in a file the problem is at, when there is one (a config key, a template
    /// line): inside Actions the error annotation points there.
    fn location(&self) -> Option<Location> {
        None
    }
}

/// A place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as the user named it.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// The problem in one line, without the file and snippet the full message carries.
    pub summary: String,
}

/// A command that could not run: the error, its causes and a hint. Always exit code 2.
#[derive(Debug)]
pub struct Failure {
    error: Box<dyn StdError + Send + Sync + 'static>,
    hint: Option<String>,
    location: Option<Location>,
}

impl Failure {
    /// A failure from any error, with an optional hint.
    pub fn new(
        error: impl Into<Box<dyn StdError + Send + Sync + 'static>>,
        hint: Option<String>,
    ) -> Self {
        Self {
            error: error.into(),
            hint,
            location: None,
        }
    }

    /// A failure with only a message.
    pub fn msg(message: impl Into<String>) -> Self {
        Self::new(message.into(), None)
    }

    /// Replaces the hint.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// The top-level message.
    pub fn message(&self) -> String {
        self.error.to_string()
    }

    /// The hint, if any.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }

    /// Where in a file the problem is, if known.
    pub fn location(&self) -> Option<&Location> {
        self.location.as_ref()
    }

    /// The messages of the causes, outermost first, skipping any already contained in the
    /// message above them (thiserror messages often embed their source).
    pub fn causes(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut above = self.error.to_string();
        let mut next = self.error.source();
        while let Some(cause) = next {
            let text = cause.to_string();
            if !above.contains(&text) {
                out.push(text.clone());
            }
            above = text;
            next = cause.source();
        }
        out
    }

    /// The full human rendering: `error:`, `caused by:` lines, then `hint:`.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "error: {}", self.message());
        for cause in self.causes() {
            let _ = writeln!(out, "  caused by: {cause}");
        }
        if let Some(hint) = &self.hint {
            let _ = write!(out, "\nhint: {hint}\n");
        }
        out
    }
}

impl<E> From<E> for Failure
where
    E: StdError + Hint + Send + Sync + 'static,
{
    fn from(error: E) -> Self {
        let hint = error.hint();
        let location = error.location();
        let mut failure = Self::new(error, hint);
        failure.location = location;
        failure
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("reading `slipway.yml`")]
    struct Outer(#[source] std::io::Error);

    impl Hint for Outer {
        fn hint(&self) -> Option<String> {
            Some("check the file permissions".into())
        }
    }

    #[test]
    fn render_lists_causes_and_the_hint() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let failure = Failure::from(Outer(io));
        assert_eq!(
            failure.render(),
            "error: reading `slipway.yml`\n  caused by: permission denied\n\nhint: check the file permissions\n"
        );
    }

    #[test]
    fn causes_already_in_the_message_are_not_repeated() {
        #[derive(Debug, thiserror::Error)]
        #[error("parsing failed: {0}")]
        struct Wrap(#[source] std::io::Error);
        impl Hint for Wrap {}
        let failure = Failure::from(Wrap(std::io::Error::other("bad byte")));
        assert!(failure.causes().is_empty());
        assert_eq!(failure.render(), "error: parsing failed: bad byte\n");
    }
}
