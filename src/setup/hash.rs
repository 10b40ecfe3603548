//! Cache-key hashes with the semantics of GitHub's `hashFiles()`.
//!
//! `hashFiles(patterns)` takes the sha256 of each matching regular file, then the sha256 over
//! those raw digests, in the order of the files' paths, and prints it in lower-case hex; no
//! match gives an empty string, for which we use the [`NO_LOCKFILE`] sentinel instead (an empty
//! segment would make every lockfile-less repository share one key).
//! See <https://docs.github.com/en/actions/reference/workflows-and-actions/expressions#hashfiles>
//! and the runner's `src/Misc/expressionFunc/hashFiles/src/hashFiles.ts`.
//!
//! Patterns are [`globset`] globs relative to the working directory (`Cargo.lock`,
//! `**/pom.xml`). Like the runner we do not honour `.gitignore`; unlike it we never descend
//! into `.git` or `node_modules` (no lockfile there belongs to the project, and they are large).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The hash segment of a cache key when no file matches.
pub const NO_LOCKFILE: &str = "no-lockfile";

/// Directories that are never searched for lockfiles.
const SKIPPED_DIRS: &[&str] = &[".git", "node_modules"];

/// What hashing can fail on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A pattern is not a valid glob (a bug in the package-manager table).
    #[error("invalid lockfile pattern `{pattern}`")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// The glob error.
        #[source]
        source: globset::Error,
    },
    /// A matching file could not be read.
    #[error("reading `{}` for the cache key", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// The files under `dir` that match any of `patterns`, as `/`-separated paths relative to
/// `dir`, sorted.
pub fn matching_files(dir: &Path, patterns: &[&str]) -> Result<Vec<String>, Error> {
    let mut builder = globset::GlobSetBuilder::new();
    for pattern in patterns {
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|source| Error::Pattern {
                pattern: (*pattern).to_owned(),
                source,
            })?;
        builder.add(glob);
    }
    let set = builder.build().map_err(|source| Error::Pattern {
        pattern: patterns.join(", "),
        source,
    })?;
    // Only walk deep when a pattern can match below the top level.
    let deep = patterns.iter().any(|p| p.contains('/'));
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((abs, rel)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&abs) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let path = if rel.is_empty() {
                name.to_owned()
            } else {
                format!("{rel}/{name}")
            };
            if kind.is_dir() {
                if deep && !SKIPPED_DIRS.contains(&name) {
                    stack.push((entry.path(), path));
                }
            } else if kind.is_file() && set.is_match(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The `hashFiles()` value of `files` (relative to `dir`, already sorted), or
/// [`NO_LOCKFILE`] when there are none.
pub fn hash_files(dir: &Path, files: &[String]) -> Result<String, Error> {
    if files.is_empty() {
        return Ok(NO_LOCKFILE.to_owned());
    }
    let mut outer = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    for rel in files {
        let path = dir.join(rel);
        let read = |source| Error::Read {
            path: path.clone(),
            source,
        };
        let mut file = std::fs::File::open(&path).map_err(read)?;
        let mut inner = Sha256::new();
        loop {
            let n = file.read(&mut buf).map_err(read)?;
            if n == 0 {
                break;
            }
            inner.update(&buf[..n]);
        }
        outer.update(inner.finalize());
    }
    Ok(hex(&outer.finalize()))
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sha(bytes: &[u8]) -> Vec<u8> {
        Sha256::digest(bytes).to_vec()
    }

    #[test]
    fn the_hash_is_the_sha256_of_the_sorted_file_digests() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b")).unwrap();
        std::fs::write(dir.path().join("b/pom.xml"), "two").unwrap();
        std::fs::write(dir.path().join("pom.xml"), "one").unwrap();
        std::fs::create_dir_all(dir.path().join("node_modules/x")).unwrap();
        std::fs::write(dir.path().join("node_modules/x/pom.xml"), "skip").unwrap();
        let files = matching_files(dir.path(), &["**/pom.xml"]).unwrap();
        assert_eq!(files, ["b/pom.xml", "pom.xml"]);
        let mut both = sha(b"two");
        both.extend(sha(b"one"));
        assert_eq!(hash_files(dir.path(), &files).unwrap(), hex(&sha(&both)));
    }

    #[test]
    fn a_top_level_pattern_does_not_match_nested_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/Cargo.lock"), "x").unwrap();
        assert!(
            matching_files(dir.path(), &["Cargo.lock"])
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn no_match_gives_the_sentinel() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(hash_files(dir.path(), &[]).unwrap(), NO_LOCKFILE);
    }

    #[test]
    fn the_known_value_of_one_empty_file() {
        // sha256(sha256("")) as hashFiles computes it for one empty file.
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("uv.lock"), "").unwrap();
        assert_eq!(
            hash_files(dir.path(), &["uv.lock".to_owned()]).unwrap(),
            "5df6e0e2761359d30a8275058e299fcc0381534545f55cf43e41983f5d4c9456"
        );
    }
}
