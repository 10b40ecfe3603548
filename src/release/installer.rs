//! `slipway release installer`: the `install.sh` attached to a release (`release.installer`),
//! with the project's name, version, repository and tag written in. Each value must be plain
//! (letters, digits and `.`, `_`, `+`, `-`; one `/` in the repository), so none can change
//! the script.

use std::path::{Path, PathBuf};

use crate::error::Hint;

const TEMPLATE: &str = include_str!("installer.sh");

/// Why the script could not be written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value that is not plain.
    #[error("`--{key} {value}` is not a plain name")]
    BadValue {
        /// The option.
        key: &'static str,
        /// Its value.
        value: String,
    },
    /// The script could not be written.
    #[error("writing `{}`", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl Hint for Error {}

fn plain(s: &str, slashes: usize) -> bool {
    !s.is_empty()
        && !s.starts_with(['.', '-', '/'])
        && s.matches('/').count() == slashes
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'+' | b'/'))
}

/// The script for these values.
pub fn script(name: &str, version: &str, repository: &str, tag: &str) -> Result<String, Error> {
    for (key, value, slashes) in [
        ("name", name, 0),
        ("version", version, 0),
        ("repository", repository, 1),
        ("tag", tag, 0),
    ] {
        if !plain(value, slashes) {
            return Err(Error::BadValue {
                key,
                value: value.to_owned(),
            });
        }
    }
    Ok(TEMPLATE
        .replace("@NAME@", name)
        .replace("@VERSION@", version)
        .replace("@REPOSITORY@", repository)
        .replace("@TAG@", tag))
}

/// Writes `out/install.sh`.
pub fn write(
    name: &str,
    version: &str,
    repository: &str,
    tag: &str,
    out: &Path,
) -> Result<PathBuf, Error> {
    let text = script(name, version, repository, tag)?;
    let path = out.join("install.sh");
    std::fs::create_dir_all(out)
        .and_then(|()| crate::fsutil::write_atomic(&path, text.as_bytes()))
        .map_err(|source| Error::Write {
            path: path.clone(),
            source,
        })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_in_and_hostile_ones_refused() {
        let s = script("mytool", "1.2.0", "octo/mytool", "v1.2.0").unwrap();
        assert!(s.contains("name='mytool'\nversion='1.2.0'\n"));
        assert!(s.contains(
            "base=\"${INSTALL_BASE_URL:-https://github.com/octo/mytool/releases/download/v1.2.0}\""
        ));
        assert!(!s.contains('@'));
        for (n, r) in [("a'b", "o/r"), ("a", "o/r/x"), ("a", "o"), ("$(x)", "o/r")] {
            assert!(script(n, "1.0.0", r, "v1").is_err(), "{n} {r}");
        }
    }
}
