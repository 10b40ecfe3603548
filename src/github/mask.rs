//! Secrets: the [`Secret`] type, `::add-mask::` and redaction of everything we print.
//!
//! A registered secret is masked by the runner (`::add-mask::value`, one command per line of a
//! multi-line secret, because the runner masks log lines one at a time) and remembered by this
//! process, so [`redact`] hides it in lines we print ourselves, in Actions or not.
//! See <https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#masking-a-value-in-a-log>.

use std::borrow::Cow;
use std::fmt;
use std::sync::RwLock;

use super::Runtime;
use super::annotations::escape_data;

/// What a secret prints as, in `Debug`, `Display` and redacted text.
pub const MASK: &str = "***";

/// A value that must never be printed: `Debug` and `Display` show `***`; [`Secret::expose`]
/// gives the value to the code that uses it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself; use it, never print it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(MASK)
    }
}

/// Every secret registered in this process, longest first.
static SECRETS: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers `value` (and each of its lines) for [`redact`]; returns the pieces to mask.
fn remember(value: &str) -> Vec<String> {
    let mut pieces: Vec<String> = value
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.trim().is_empty())
        .map(str::to_owned)
        .collect();
    if value.contains('\n') && !value.trim().is_empty() {
        pieces.push(value.to_owned());
    }
    if let Ok(mut secrets) = SECRETS.write() {
        for piece in &pieces {
            if !secrets.contains(piece) {
                secrets.push(piece.clone());
            }
        }
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    }
    pieces
}

/// Replaces every registered secret in `text`, and every secret slipway's rules recognise
/// ([`super::redact::redact_detected`]), by `***`; borrows when nothing matched. This is the
/// one redactor every sink uses.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    if let Ok(secrets) = SECRETS.read() {
        for secret in secrets.iter() {
            if out.contains(secret.as_str()) {
                out = Cow::Owned(out.replace(secret.as_str(), MASK));
            }
        }
    }
    match out {
        Cow::Borrowed(t) => super::redact::redact_detected(t),
        Cow::Owned(t) => Cow::Owned(super::redact::redact_detected(&t).into_owned()),
    }
}

impl Runtime {
    /// Registers a secret: `::add-mask::` for each of its lines in Actions, and redaction of
    /// our own log lines everywhere. Empty or blank secrets are ignored.
    pub fn mask(&self, secret: &Secret) {
        self.mask_str(secret.expose());
    }

    /// [`Runtime::mask`] for a value that is not (yet) a [`Secret`], e.g. a token read from
    /// a response.
    pub fn mask_str(&self, value: &str) {
        let pieces = remember(value);
        if self.in_actions() {
            // NOTE: one command per line; a multi-line value in one `add-mask` only hides the
            // whole value, never its lines as they appear in the log
            // (actions/toolkit packages/core/src/core.ts, setSecret).
            for piece in pieces.iter().filter(|p| !p.contains('\n')) {
                self.log_line(&format!("::add-mask::{}", escape_data(piece)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_print_as_stars() {
        let s = Secret::new("ghp_abcdef");
        assert_eq!(format!("{s}"), "***");
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(format!("{:?}", Some(&s)), "Some(***)");
        assert_eq!(s.expose(), "ghp_abcdef");
    }

    #[test]
    fn masking_a_multi_line_secret_masks_each_line() {
        let rt = Runtime::plain_for_test();
        let mut actions = Runtime::plain_for_test();
        actions.actions = true;
        actions.mask(&Secret::new("line-one-A1\nline-two-B2\n"));
        assert_eq!(
            actions.captured(),
            "::add-mask::line-one-A1\n::add-mask::line-two-B2\n"
        );
        rt.mask_str("plain-secret-C3");
        assert_eq!(rt.captured(), "", "nothing printed outside actions");
    }

    #[test]
    fn redact_hides_registered_secrets_in_our_logs() {
        let rt = Runtime::plain_for_test();
        rt.mask_str("s3cr3t-redact-test");
        rt.mask_str("multi-x9\nline-y8");
        assert_eq!(
            redact("token s3cr3t-redact-test and multi-x9 / line-y8"),
            "token *** and *** / ***"
        );
        assert!(matches!(redact("nothing here"), Cow::Borrowed(_)));
        rt.log_plain("using s3cr3t-redact-test");
        assert_eq!(rt.captured(), "using ***\n");
    }

    #[test]
    fn blank_secrets_are_ignored() {
        let mut rt = Runtime::plain_for_test();
        rt.actions = true;
        rt.mask_str("  \n\n");
        assert_eq!(rt.captured(), "");
        assert_eq!(redact("a  b"), "a  b");
    }
}
