//! The one walk of the repository.
//!
//! It honours `.gitignore`, `.ignore` and `.git/info/exclude` (even outside a git checkout, so a
//! template or an unpacked archive behaves the same), never the user's global excludes (results
//! must not depend on the machine), and skips vendored, generated and test-fixture trees. It
//! keeps only the files some ecosystem finds interesting, so memory stays small on huge trees.
//! Unreadable directories, symlink loops and non-UTF-8 names become warnings; the walk goes on.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{WalkBuilder, WalkState};

use super::Warning;

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
        .parents(true)
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
        let mut sink = Sink { found: &found, local: Walked::default() };
        Box::new(move |result| {
            let local = &mut sink.local;
            match result {
                Ok(entry) => {
                    let is_file = entry
                        .file_type()
                        .is_some_and(|t| t.is_file() || t.is_symlink());
                    if is_file {
                        match entry.file_name().to_str() {
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
                    } else if entry.depth() > 0
                        && entry.file_type().is_some_and(|t| t.is_dir())
                        && entry.path().to_str().is_none()
                    {
                        local.warnings.push(Warning::new(
                            lossy(root, entry.path()),
                            "skipped: the directory name is not valid UTF-8",
                        ));
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
}

impl Sink<'_> {
    fn flush(&mut self) {
        let mut all = self
            .found
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        all.files.append(&mut self.local.files);
        all.warnings.append(&mut self.local.warnings);
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
