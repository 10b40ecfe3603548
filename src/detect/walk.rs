//! The one walk of the repository.
//!
//! It honours `.gitignore`, `.ignore` and `.git/info/exclude` (even outside a git checkout, so a
//! template or an unpacked archive behaves the same), never the user's global excludes nor ignore
//! files in directories above the root (results must not depend on the machine), and skips
//! vendored, generated and test-fixture trees. It keeps only the files some ecosystem finds
//! interesting, so memory stays small on huge trees.
//! Unreadable directories, symlink loops and non-UTF-8 names become warnings; the walk goes on.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use std::collections::BTreeMap;

use super::{Language, Warning};

/// Directory names never descended into: dependencies, build output, caches, virtualenvs and
/// test-fixture trees (a `pyproject.toml` under `tests/fixtures/` is not a subproject).
pub const SKIPPED_DIRS: &[&str] = &[
    // vendored dependencies
    "node_modules",
    "bower_components",
    "jspm_packages",
    "vendor",
    "third_party",
    "third-party",
    "Pods",
    "Carthage",
    "site-packages",
    // build output and caches
    "target",
    "dist",
    "build",
    "obj",
    "__pycache__",
    "venv",
    "generated",
    "__generated__",
    // test fixtures and sample data
    "fixtures",
    "__fixtures__",
    "testdata",
    "test-fixtures",
    "test_fixtures",
    "__snapshots__",
];

/// What one walk found: the interesting files, relative to the root, `/`-separated and sorted.
#[derive(Debug, Default)]
pub struct Walked {
    /// Relative paths of interesting files.
    pub files: Vec<String>,
    /// Problems met on the way, each naming a path.
    pub warnings: Vec<Warning>,
    /// Source files seen per language (counted, not kept).
    pub source_files: BTreeMap<Language, u64>,
}

/// Walks `root` once and keeps the files for which `interesting(file_name)` is true.
pub fn walk(root: &Path, interesting: &(dyn Fn(&str) -> bool + Sync)) -> Walked {
    let found = Mutex::new(Walked::default());
    let root_buf: PathBuf = root.to_path_buf();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().min(8));
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        .git_global(false)
        .git_ignore(true)
        .git_exclude(true)
        .ignore(true)
        // NOTE: with `require_git(false)`, parent ignore files would apply even far above the
        // repository (a `*.json` in the home directory's `.gitignore` hid `package.json`); only
        // the repository's own files count.
        .parents(false)
        .require_git(false)
        .follow_links(false)
        .threads(threads)
        .filter_entry(|entry| {
            if entry.depth() == 0 {
                return true;
            }
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if !is_dir {
                return true;
            }
            match entry.file_name().to_str() {
                Some(name) => !skip_dir(name, entry.path()),
                None => true,
            }
        });
    builder.build_parallel().run(|| {
        let root = &root_buf;
        let mut sink = Sink {
            sources: [0; Language::ALL.len()], found: &found, local: Walked::default() };
        Box::new(move |result| {
            let local = &mut sink.local;
            match result {
                Ok(entry) => {
                    let is_file = entry
                        .file_type()
                        .is_some_and(|t| t.is_file() || t.is_symlink());
                    if is_file {
                        let name = entry.file_name().to_str();
                        if let Some(lang) = name.and_then(Language::of_source_file) {
                            sink.sources[lang as usize] += 1;
                        }
                        match name {
                            Some(name) if interesting(name) => {
                                match relative(root, entry.path()) {
                                    Some(rel) => local.files.push(rel),
                                    None => local.warnings.push(Warning::new(
                                        lossy(root, entry.path()),
                                        "skipped: the path is not valid UTF-8; rename it to detect what it holds",
                                    )),
                                }
                            }
                            Some(_) => {}
                            None => {
                                // A non-UTF-8 name can never be a manifest name; nothing lost.
                            }
                        }
                    }
                }
                Err(err) => local.warnings.push(walk_warning(root, &err)),
            }
            if local.files.len() + local.warnings.len() >= 256 {
                sink.flush();
            }
            WalkState::Continue
        })
    });
    let mut walked = found
        .into_inner()
        .unwrap_or_else(|poison| poison.into_inner());
    walked.files.sort();
    walked.files.dedup();
    walked
        .warnings
        .sort_by(|a, b| a.path.cmp(&b.path).then(a.message.cmp(&b.message)));
    walked
}

/// One walker thread's findings, handed over in batches and, when the thread's visitor is
/// dropped at the end of the walk, for the last time.
struct Sink<'a> {
    found: &'a Mutex<Walked>,
    local: Walked,
    sources: [u64; Language::ALL.len()],
}

impl Sink<'_> {
    fn flush(&mut self) {
        let mut all = self
            .found
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        all.files.append(&mut self.local.files);
        all.warnings.append(&mut self.local.warnings);
        for (lang, count) in Language::ALL.iter().zip(&mut self.sources) {
            if *count > 0 {
                *all.source_files.entry(*lang).or_insert(0) += std::mem::take(count);
            }
        }
    }
}

impl Drop for Sink<'_> {
    fn drop(&mut self) {
        self.flush();
    }
}

/// True when the walk must not descend into this directory.
fn skip_dir(name: &str, path: &Path) -> bool {
    if name.starts_with('.') {
        // .git, .venv, .tox, .gradle, .next, .cache ...: never project sources.
        return true;
    }
    if SKIPPED_DIRS.contains(&name) {
        return true;
    }
    // A virtualenv under any name.
    path.join("pyvenv.cfg").is_file()
}

fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut out = String::new();
    for part in rel.components() {
        let part = part.as_os_str().to_str()?;
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(part);
    }
    Some(out)
}

fn lossy(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

fn walk_warning(root: &Path, err: &ignore::Error) -> Warning {
    let mut path = None;
    let mut loop_ = false;
    let mut cur = err;
    loop {
        match cur {
            ignore::Error::WithPath { path: p, err } => {
                path.get_or_insert_with(|| lossy(root, p));
                cur = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                cur = err
            }
            ignore::Error::Loop { child, .. } => {
                path.get_or_insert_with(|| lossy(root, child));
                loop_ = true;
                break;
            }
            _ => break,
        }
    }
    let path = path.unwrap_or_else(|| ".".to_owned());
    let message = if loop_ {
        "skipped: symbolic link loop".to_owned()
    } else {
        format!("skipped: {}", inner_message(err))
    };
    Warning::new(path, message)
}

fn inner_message(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => inner_message(err),
        ignore::Error::Io(io) => io.to_string().to_lowercase(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn manifests(name: &str) -> bool {
        name == "Cargo.toml" || name == "package.json" || name == ".nvmrc"
    }

    fn touch(root: &Path, rel: &str) {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, "x").expect("write");
    }

    #[test]
    fn keeps_interesting_files_and_skips_vendored_and_fixture_trees() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        for rel in [
            "Cargo.toml",
            ".nvmrc",
            "crates/core/Cargo.toml",
            "crates/core/src/lib.rs",
            "web/package.json",
            "web/node_modules/left-pad/package.json",
            "vendor/github.com/x/Cargo.toml",
            "tests/fixtures/decoy/Cargo.toml",
            "target/debug/build/Cargo.toml",
            ".git/Cargo.toml",
            ".venv/package.json",
            "env2/pyvenv.cfg",
            "env2/lib/package.json",
        ] {
            touch(root, rel);
        }
        let walked = walk(root, &manifests);
        assert_eq!(
            walked.files,
            vec![
                ".nvmrc",
                "Cargo.toml",
                "crates/core/Cargo.toml",
                "web/package.json"
            ]
        );
        assert!(walked.warnings.is_empty(), "{:?}", walked.warnings);
    }

    #[test]
    fn ignore_files_above_the_repository_do_not_apply() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join(".gitignore"), "*.json\nCargo.toml\n").expect("write");
        fs::write(dir.path().join(".ignore"), "web/\n").expect("write");
        let root = dir.path().join("repo");
        touch(&root, "package.json");
        touch(&root, "Cargo.toml");
        touch(&root, "web/package.json");
        let walked = walk(&root, &manifests);
        assert_eq!(
            walked.files,
            vec!["Cargo.toml", "package.json", "web/package.json"]
        );
    }

    #[test]
    fn honours_gitignore_without_a_git_checkout() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        fs::write(root.join(".gitignore"), "/generated-app/\n").expect("write");
        touch(root, "generated-app/package.json");
        touch(root, "app/package.json");
        let walked = walk(root, &manifests);
        assert_eq!(walked.files, vec!["app/package.json"]);
    }

    #[test]
    fn the_root_itself_is_never_skipped_by_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("fixtures");
        touch(&root, "Cargo.toml");
        assert_eq!(walk(&root, &manifests).files, vec!["Cargo.toml"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlink_loops_do_not_stop_the_walk() {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        touch(root, "app/Cargo.toml");
        std::os::unix::fs::symlink("..", root.join("app/up")).expect("symlink");
        std::os::unix::fs::symlink("self", root.join("self")).expect("symlink");
        let walked = walk(root, &manifests);
        assert_eq!(walked.files, vec!["app/Cargo.toml"]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn an_interesting_file_under_a_non_utf8_name_becomes_a_warning() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        let bad = root.join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
        fs::create_dir(&bad).expect("mkdir");
        fs::write(bad.join("Cargo.toml"), "x").expect("write");
        fs::write(bad.join("README.md"), "x").expect("write");
        touch(root, "ok/Cargo.toml");
        let walked = walk(root, &manifests);
        assert_eq!(walked.files, vec!["ok/Cargo.toml"]);
        assert_eq!(walked.warnings.len(), 1, "{:?}", walked.warnings);
        assert_eq!(walked.warnings[0].path, "caf\u{fffd}/Cargo.toml");
        assert!(walked.warnings[0].message.contains("not valid UTF-8"));
    }

    #[test]
    fn walk_errors_name_the_path_and_the_cause() {
        let root = Path::new("/repo");
        let err = ignore::Error::WithPath {
            path: PathBuf::from("/repo/secret-dir"),
            err: Box::new(ignore::Error::Io(std::io::Error::from(
                std::io::ErrorKind::PermissionDenied,
            ))),
        };
        let w = walk_warning(root, &err);
        assert_eq!(w.path, "secret-dir");
        assert_eq!(w.message, "skipped: permission denied");
        let looped = ignore::Error::WithDepth {
            depth: 3,
            err: Box::new(ignore::Error::Loop {
                ancestor: PathBuf::from("/repo/a"),
                child: PathBuf::from("/repo/a/b/a"),
            }),
        };
        let w = walk_warning(root, &looped);
        assert_eq!(
            (w.path.as_str(), w.message.as_str()),
            ("a/b/a", "skipped: symbolic link loop")
        );
    }

    #[cfg(unix)]
    #[test]
    fn an_unreadable_directory_becomes_a_warning_and_the_rest_is_walked() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        touch(root, "locked/Cargo.toml");
        touch(root, "open/Cargo.toml");
        fs::set_permissions(root.join("locked"), fs::Permissions::from_mode(0o000)).expect("chmod");
        let readable_anyway = fs::read_dir(root.join("locked")).is_ok(); // root ignores modes
        let walked = walk(root, &manifests);
        fs::set_permissions(root.join("locked"), fs::Permissions::from_mode(0o755))
            .expect("chmod back");
        if readable_anyway {
            assert_eq!(walked.files, vec!["locked/Cargo.toml", "open/Cargo.toml"]);
        } else {
            assert_eq!(walked.files, vec!["open/Cargo.toml"]);
            assert_eq!(walked.warnings.len(), 1, "{:?}", walked.warnings);
            assert_eq!(walked.warnings[0].path, "locked");
        }
    }
}
