//! Step outputs: `GITHUB_OUTPUT`.
//!
//! One `name=value` line for a single-line value, `name<<DELIM` … `DELIM` with a random
//! delimiter otherwise, as the toolkit writes them (`packages/core/src/file-command.ts`).
//! See <https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#setting-an-output-parameter>
//! and <https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#multiline-strings>.
//!
//! Without a `GITHUB_OUTPUT` file (a local run) the output is printed on stderr as
//! `output name: value`, continuation lines indented by two spaces.

use super::{Error, Runtime, key_value, random_delimiter, redact};

/// Checks an output name: letters, digits, `-` and `_`, starting with a letter or `_`.
// NOTE: output ids follow the rules of step and job ids, which GitHub documents as "must start
// with a letter or `_` and contain only alphanumeric characters, `-`, or `_`"
// https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax#jobsjob_id
pub fn validate_name(name: &str) -> Result<(), Error> {
    let invalid = |reason| {
        Err(Error::InvalidName {
            kind: "output",
            name: name.to_owned(),
            reason,
        })
    };
    let Some(first) = name.chars().next() else {
        return invalid("it is empty");
    };
    if !(first.is_ascii_alphabetic() || first == '_') {
        return invalid("it must start with a letter or `_`");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return invalid("only letters, digits, `-` and `_` are allowed");
    }
    Ok(())
}

impl Runtime {
    /// Sets the step output `name` to `value` (any text, multi-line included).
    pub fn set_output(&self, name: &str, value: &str) -> Result<(), Error> {
        validate_name(name)?;
        match self.output_file() {
            Some(path) => super::append(path, &key_value(name, value, random_delimiter)?),
            None => {
                let mut lines = value.lines();
                let mut text = format!("output {name}: {}", lines.next().unwrap_or_default());
                for line in lines {
                    text.push_str("\n  ");
                    text.push_str(line);
                }
                self.log_plain(&redact(&text));
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_names_are_checked() {
        for ok in ["version", "dry-run", "_x", "a1_b-2"] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1abc", "-x", "a b", "a=b", "a<<b", "naïve", "a\nb"] {
            assert!(validate_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn outputs_append_to_the_output_file() {
        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::for_test(dir.path()).unwrap();
        rt.set_output("version", "1.2.3").unwrap();
        rt.set_output("notes", "a\nb").unwrap();
        let text = std::fs::read_to_string(dir.path().join("output")).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("version=1.2.3"));
        let delim = lines.next().unwrap().strip_prefix("notes<<").unwrap();
        assert_eq!(
            text,
            format!("version=1.2.3\nnotes<<{delim}\na\nb\n{delim}\n")
        );
    }

    #[test]
    fn outside_actions_outputs_are_plain_lines() {
        let rt = Runtime::plain_for_test();
        rt.set_output("version", "1.2.3").unwrap();
        rt.set_output("notes", "a\nb").unwrap();
        assert_eq!(
            rt.captured(),
            "output version: 1.2.3\noutput notes: a\n  b\n"
        );
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::from_vars(|name| {
            (name == "GITHUB_OUTPUT").then(|| dir.path().join("nope/output").into_os_string())
        });
        let err = rt.set_output("a", "b").unwrap_err();
        assert!(err.to_string().contains("nope/output"), "{err}");
    }
}
