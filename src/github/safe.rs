//! Keeping untrusted text from becoming a workflow command.
//!
//! The runner reads every line a step prints, trims leading whitespace, and treats a line that
//! then starts with `::` as a command (`::error::`, `::add-mask::`, `::stop-commands::`). Paths,
//! YAML keys and manifest values are chosen by whoever wrote the repository, so a directory
//! named `a⏎::error file=x::y` would otherwise forge an annotation or switch commands off. Every
//! line slipway prints that may hold such text goes through [`neutralize`].
//! <https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands>

use std::borrow::Cow;

/// Returns `text` with carriage returns shown as `\r` and a `\` put before every line that the
/// runner would read as a command. Text without either comes back unchanged, borrowed.
pub fn neutralize(text: &str) -> Cow<'_, str> {
    let risky = text.contains('\r') || text.split('\n').any(is_command_like);
    if !risky {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.replace('\r', "\\r").split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if is_command_like(line) {
            out.push('\\');
        }
        out.push_str(line);
    }
    Cow::Owned(out)
}

/// True for a line the runner would parse as a workflow command.
fn is_command_like(line: &str) -> bool {
    // NOTE: the runner trims with .NET's `TrimStart()`, i.e. every Unicode white space.
    line.trim_start().starts_with("::")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        assert!(matches!(
            neutralize("warning: a/b: skipped\n"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn a_forged_command_on_its_own_line_is_defused() {
        let text =
            "warning: x\n::error file=evil.rs,line=1::injected\n  \u{3000}::stop-commands::t";
        assert_eq!(
            neutralize(text),
            "warning: x\n\\::error file=evil.rs,line=1::injected\n\\  \u{3000}::stop-commands::t"
        );
    }

    #[test]
    fn carriage_returns_are_shown_not_obeyed() {
        assert_eq!(neutralize("a\r::error::x"), "a\\r::error::x");
    }
}
