//! Stack detection: one walk of the repository, turned into typed [`Stacks`].
//!
//! Every capability uses this one result; none walks the tree again on its own. The walk
//! ([`walk`]) keeps only files that some ecosystem finds interesting; each ecosystem module then
//! reads its manifests from that [`Index`] and reports projects, toolchain versions and test
//! commands into a [`Scan`]. [`Scan::finish`] turns those reports into [`Stacks`], whose JSON
//! form is what `slipway detect --json` prints.
//!
//! Malformed manifests never abort detection: each becomes a [`Warning`] naming the file, and
//! the rest of the repository is still detected.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::Hint;

pub mod docker;
pub mod dotnet;
pub mod go;
pub mod gradle;
pub mod manifest;
pub mod maven;
pub mod node;
pub mod php;
pub mod python;
pub mod ruby;
pub mod rust;
pub mod services;
pub mod toolchain_files;
pub mod walk;

/// A programming language that a manifest or toolchain file declares.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Rust,
    Python,
    Javascript,
    Typescript,
    Go,
    Java,
    Kotlin,
    Ruby,
    Php,
    Csharp,
    Fsharp,
}

impl Language {
    /// Every language, in declaration order.
    pub const ALL: [Language; 11] = [
        Self::Rust,
        Self::Python,
        Self::Javascript,
        Self::Typescript,
        Self::Go,
        Self::Java,
        Self::Kotlin,
        Self::Ruby,
        Self::Php,
        Self::Csharp,
        Self::Fsharp,
    ];

    /// The language of a source file, by its extension (`lib.rs` -> Rust). Only used to rank
    /// languages that manifests declare; a source file alone never adds a language.
    pub fn of_source_file(file_name: &str) -> Option<Self> {
        let (_, ext) = file_name.rsplit_once('.')?;
        Some(match ext {
            "rs" => Self::Rust,
            "py" => Self::Python,
            "js" | "jsx" | "mjs" | "cjs" => Self::Javascript,
            "ts" | "tsx" | "mts" | "cts" => Self::Typescript,
            "go" => Self::Go,
            "java" => Self::Java,
            "kt" => Self::Kotlin,
            "rb" => Self::Ruby,
            "php" => Self::Php,
            "cs" => Self::Csharp,
            "fs" | "fsx" => Self::Fsharp,
            _ => return None,
        })
    }

    /// The name used in JSON and config (`rust`, `csharp`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::Python => "python",
            Self::Javascript => "javascript",
            Self::Typescript => "typescript",
            Self::Go => "go",
            Self::Java => "java",
            Self::Kotlin => "kotlin",
            Self::Ruby => "ruby",
            Self::Php => "php",
            Self::Csharp => "csharp",
            Self::Fsharp => "fsharp",
        }
    }
}

/// A package manager, by the names `slipway detect --json` uses.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum PackageManager {
    Cargo,
    Pip,
    Poetry,
    Uv,
    Pdm,
    Pipenv,
    Npm,
    Pnpm,
    Yarn,
    Bun,
    Deno,
    GoModules,
    Maven,
    Gradle,
    Bundler,
    Composer,
    Nuget,
}

impl PackageManager {
    /// The name used in JSON (`go-modules`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cargo => "cargo",
            Self::Pip => "pip",
            Self::Poetry => "poetry",
            Self::Uv => "uv",
            Self::Pdm => "pdm",
            Self::Pipenv => "pipenv",
            Self::Npm => "npm",
            Self::Pnpm => "pnpm",
            Self::Yarn => "yarn",
            Self::Bun => "bun",
            Self::Deno => "deno",
            Self::GoModules => "go-modules",
            Self::Maven => "maven",
            Self::Gradle => "gradle",
            Self::Bundler => "bundler",
            Self::Composer => "composer",
            Self::Nuget => "nuget",
        }
    }
}

/// One buildable unit of the repository: a directory with a manifest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Subproject {
    /// Directory relative to the repository root, `/`-separated; `.` for the root itself.
    pub path: String,
    /// The language of this unit.
    pub stack: Language,
    /// The package manager that installs its dependencies.
    pub package_manager: PackageManager,
}

/// What a repository is made of. Its JSON form is the contract of `slipway detect --json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stacks {
    /// Languages declared by manifests or toolchain files, the primary one first.
    pub languages: Vec<Language>,
    /// Package managers in use, the most used first.
    pub package_managers: Vec<PackageManager>,
    /// Toolchain versions by tool (`rust`, `node`, `python`, `go`, `java`, `ruby`, `php`,
    /// `dotnet`, `bun`, `deno`, `pnpm`, `yarn`...), from toolchain files, then manifest fields,
    /// then Dockerfile base images.
    pub toolchains: BTreeMap<String, String>,
    /// Every project unit, sorted by path.
    pub subprojects: Vec<Subproject>,
    /// True when the repository has a Dockerfile or Containerfile.
    pub has_docker: bool,
    /// Dockerfiles and Containerfiles, relative to the root, sorted.
    pub docker_files: Vec<String>,
    /// What a sensible CI runs to test the repository, with `cd <dir> && ` for subprojects.
    pub test_commands: Vec<String>,
    /// Service containers the tests appear to need (databases, caches, brokers), with the
    /// settings the repository names; none when the tests use Testcontainers.
    pub services: Vec<services::DetectedService>,
    /// Manifests that depend on Testcontainers: those tests start their own containers.
    pub testcontainers: Vec<String>,
    /// The same commands with their directory and stack kept apart, for the generator (not part
    /// of the JSON contract).
    #[serde(skip)]
    pub test_roots: Vec<TestRoot>,
    /// What each project's files say about its build and lint, by directory and language, for
    /// the generator (not part of the JSON contract).
    #[serde(skip)]
    pub builds: BTreeMap<(String, Language), BuildFacts>,
    /// Dockerfiles that build packages (`.deb`, `.rpm`) or a development container rather than
    /// the application's image, relative to the root (not part of the JSON contract).
    #[serde(skip)]
    pub packaging_docker_files: BTreeSet<String>,
    /// The toolchains each Dockerfile's base images name (`node`, `php`), by Dockerfile, for
    /// telling which of several projects in one directory an image is for (not part of the
    /// JSON contract).
    #[serde(skip)]
    pub docker_tools: BTreeMap<String, BTreeSet<String>>,
}

/// What a project's own files say about what its build produces and how it is linted. Every
/// field defaults to "nothing known", which makes the generator build without uploading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BuildFacts {
    /// Rust: some package of the workspace (or the package itself) has a binary target that
    /// `cargo build` builds.
    pub executables: bool,
    /// Rust: the names of those executables, sorted.
    pub bin_names: Vec<String>,
    /// Rust: the repository keeps `Cargo.lock` beside the workspace root, so `--locked` works.
    pub locked: bool,
    /// Go: the module's `main` packages, as `go build` arguments (`.`, `./cmd/app`), sorted.
    pub main_packages: Vec<String>,
    /// JavaScript and TypeScript: what the build writes that ships, as `actions/upload-artifact`
    /// path lines relative to the project (`.next/`, `!.next/cache/`); empty when the project
    /// is not deployed or its output is not certain.
    pub outputs: Vec<String>,
    /// Python: ruff is one of the dependencies the package manager installs for development, so
    /// the project's own ruff (and its configuration) lints it.
    pub ruff: bool,
}

/// A project's language and package manager.
pub type Stack = (Language, PackageManager);

/// One test command, where it runs and what it tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestRoot {
    /// Directory relative to the root (`.` for the root).
    pub dir: String,
    /// The command, run inside `dir`.
    pub command: String,
    /// The stack of the project it tests; `None` for a workspace root that is not a project
    /// itself (its members decide).
    pub stack: Option<Stack>,
}

/// Quotes a path for a POSIX shell when it needs it (`my app` -> `'my app'`).
///
/// ```
/// assert_eq!(slipway::detect::shell_quote("services/api"), "services/api");
/// assert_eq!(slipway::detect::shell_quote("my app"), "'my app'");
/// assert_eq!(slipway::detect::shell_quote("it's"), r"'it'\''s'");
/// ```
pub fn shell_quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./@+%=:,".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Something detection could not read or understand; the rest was still detected.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Warning {
    /// The file or directory, relative to the root.
    pub path: String,
    /// What went wrong and, where useful, what to do.
    pub message: String,
}

impl Warning {
    /// A warning about `path`.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The result of detection: the stacks and what could not be read.
#[derive(Debug, Clone, Default)]
pub struct Detection {
    /// What the repository is made of.
    pub stacks: Stacks,
    /// Files and directories that were skipped or misunderstood.
    pub warnings: Vec<Warning>,
}

/// Detection could not start at all.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The root does not exist or is not a directory.
    #[error("`{}` is not a directory", .0.display())]
    NotADirectory(PathBuf),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::NotADirectory(_) => Some("pass the repository's root directory".to_owned()),
        }
    }
}

/// Where a toolchain version came from; earlier sources win.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// A toolchain file: rust-toolchain(.toml), .python-version, .nvmrc, .node-version,
    /// .ruby-version, .go-version, .java-version, .tool-versions, mise.toml, global.json.
    ToolchainFile,
    /// A manifest field: rust-version, requires-python, engines.node, packageManager, the go
    /// directive, maven.compiler.release, a Java toolchain, composer require.php.
    Manifest,
    /// A Dockerfile base image (`FROM node:20-alpine`).
    Dockerfile,
}

/// One project found by an ecosystem module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Directory relative to the root (`.` for the root).
    pub path: String,
    /// Its language.
    pub stack: Language,
    /// Its package manager.
    pub package_manager: PackageManager,
    /// The command that tests it, run inside `path`; `None` when it has no tests or when a
    /// workspace root's command already covers it.
    pub test_command: Option<String>,
}

/// The interesting files of one walk, with helpers to find and read them.
#[derive(Debug)]
pub struct Index {
    root: PathBuf,
    files: Vec<String>,
    source_files: BTreeMap<Language, u64>,
    /// The root with every link resolved, computed on the first read.
    canonical_root: std::sync::OnceLock<Option<PathBuf>>,
}

/// Manifests larger than this are not parsed: a warning says so.
pub const MAX_MANIFEST_BYTES: u64 = 8 * 1024 * 1024;

impl Index {
    /// An index over already-walked files (sorted, relative, `/`-separated).
    pub fn new(root: impl Into<PathBuf>, mut files: Vec<String>) -> Self {
        files.sort();
        files.dedup();
        Self {
            root: root.into(),
            files,
            source_files: BTreeMap::new(),
            canonical_root: std::sync::OnceLock::new(),
        }
    }

    /// Adds the walk's count of source files per language (ranks the declared languages).
    #[must_use]
    pub fn with_source_files(mut self, counts: BTreeMap<Language, u64>) -> Self {
        self.source_files = counts;
        self
    }

    /// How many source files of `language` the walk saw.
    pub fn source_files(&self, language: Language) -> u64 {
        self.source_files.get(&language).copied().unwrap_or(0)
    }

    /// The repository root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// All interesting files, sorted.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Files whose name is exactly `name`, sorted by path.
    pub fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.files
            .iter()
            .map(String::as_str)
            .filter(move |f| file_name(f) == name)
    }

    /// Files whose name satisfies `pred`, sorted by path.
    pub fn matching<'a>(
        &'a self,
        pred: impl Fn(&str) -> bool + 'a,
    ) -> impl Iterator<Item = &'a str> + 'a {
        self.files
            .iter()
            .map(String::as_str)
            .filter(move |f| pred(file_name(f)))
    }

    /// True when the walk kept `rel` (a path relative to the root).
    pub fn contains(&self, rel: &str) -> bool {
        self.files.binary_search_by(|f| f.as_str().cmp(rel)).is_ok()
    }

    /// True when `dir` directly holds a kept file called `name`.
    pub fn has(&self, dir: &str, name: &str) -> bool {
        self.contains(&join(dir, name))
    }

    /// Kept files directly inside `dir`.
    pub fn in_dir<'a>(&'a self, dir: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.files
            .iter()
            .map(String::as_str)
            .filter(move |f| dir_of(f) == dir)
    }

    /// Reads a kept file as text with the rules of [`read_capped`].
    pub fn read(&self, rel: &str) -> Result<String, Warning> {
        let canonical_root = self
            .canonical_root
            .get_or_init(|| self.root.canonicalize().ok());
        read_under(&self.root, canonical_root.as_deref(), rel)
    }
}

/// Reads `rel` (relative to `root`) as text, as detection reads manifests: a symbolic link must
/// stay inside the repository, the target must be a regular file of at most
/// [`MAX_MANIFEST_BYTES`] (checked while reading, so files whose size the system does not know,
/// like those under `/proc`, are capped too), binary and non-UTF-8 content is refused, a UTF-8
/// BOM is stripped, and every error is a [`Warning`] naming `rel`.
pub fn read_capped(root: &Path, rel: &str) -> Result<String, Warning> {
    let canonical_root = root.canonicalize().ok();
    read_under(root, canonical_root.as_deref(), rel)
}

fn read_under(root: &Path, canonical_root: Option<&Path>, rel: &str) -> Result<String, Warning> {
    let skipped = |e: &std::io::Error| Warning::new(rel, format!("skipped: {}", io_message(e)));
    let path = root.join(rel);
    let link = std::fs::symlink_metadata(&path).map_err(|e| skipped(&e))?;
    // Resolve every link, in the name and in its directories, and open what they lead to, so
    // the check and the read see the same file.
    let resolved = path.canonicalize().map_err(|e| skipped(&e))?;
    let inside = canonical_root.is_some_and(|r| resolved.starts_with(r));
    if !inside {
        let message = if link.file_type().is_symlink() {
            "skipped: a symbolic link that leaves the repository"
        } else {
            "skipped: the path leaves the repository"
        };
        return Err(Warning::new(rel, message));
    }
    let file = std::fs::File::open(&resolved).map_err(|e| skipped(&e))?;
    let meta = file.metadata().map_err(|e| skipped(&e))?;
    if !meta.is_file() {
        return Err(Warning::new(rel, "skipped: not a regular file"));
    }
    if meta.len() > MAX_MANIFEST_BYTES {
        return Err(Warning::new(
            rel,
            format!(
                "skipped: {} MiB is larger than the {} MiB a manifest may be",
                meta.len() / (1024 * 1024),
                MAX_MANIFEST_BYTES / (1024 * 1024)
            ),
        ));
    }
    // The length above may be 0 or stale (`/proc`, a file still growing): cap the read itself.
    let bytes = read_at_most(file, rel)?;
    decode(rel, bytes)
}

/// Reads at most [`MAX_MANIFEST_BYTES`] from `reader`; a warning naming `rel` when there is more.
fn read_at_most(reader: impl std::io::Read, rel: &str) -> Result<Vec<u8>, Warning> {
    use std::io::Read;

    let mut bytes = Vec::new();
    reader
        .take(MAX_MANIFEST_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Warning::new(rel, format!("skipped: {}", io_message(&e))))?;
    if bytes.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(Warning::new(
            rel,
            format!(
                "skipped: the content is larger than the {} MiB a manifest may be",
                MAX_MANIFEST_BYTES / (1024 * 1024)
            ),
        ));
    }
    Ok(bytes)
}

/// Turns a file's bytes into text: BOM stripped, binary and non-UTF-8 content refused.
pub fn decode(rel: &str, bytes: Vec<u8>) -> Result<String, Warning> {
    let head = &bytes[..bytes.len().min(8192)];
    if head.contains(&0) {
        return Err(Warning::new(
            rel,
            "skipped: binary content where a text manifest was expected",
        ));
    }
    let mut text = String::from_utf8(bytes).map_err(|e| {
        Warning::new(
            rel,
            format!(
                "skipped: not valid UTF-8 (at byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    if text.starts_with('\u{feff}') {
        text.drain(..'\u{feff}'.len_utf8());
    }
    Ok(text)
}

fn io_message(e: &std::io::Error) -> String {
    let text = e.to_string();
    // "Permission denied (os error 13)" -> "permission denied (os error 13)"
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => text,
    }
}

/// The file name of a relative path.
pub fn file_name(rel: &str) -> &str {
    rel.rsplit_once('/').map_or(rel, |(_, name)| name)
}

/// The directory of a relative path (`.` for files at the root).
pub fn dir_of(rel: &str) -> &str {
    rel.rsplit_once('/').map_or(".", |(dir, _)| dir)
}

/// Joins a relative directory (`.` for the root) and a relative path.
pub fn join(dir: &str, name: &str) -> String {
    if dir == "." || dir.is_empty() {
        name.trim_start_matches("./").to_owned()
    } else {
        format!("{dir}/{}", name.trim_start_matches("./"))
    }
}

/// Normalises a relative path: drops `.` segments and resolves `..`; `None` when it leaves the
/// root. The root itself is `.`.
pub fn normalize(rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in rel.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    })
}

/// The depth of a relative directory: 0 for `.`.
pub fn depth(dir: &str) -> usize {
    if dir == "." {
        0
    } else {
        dir.split('/').count()
    }
}

/// What the ecosystem modules report while they read the index.
#[derive(Debug)]
pub struct Scan<'a> {
    index: &'a Index,
    projects: Vec<Project>,
    toolchains: Vec<(String, String, Source, String)>,
    languages: Vec<(Language, String)>,
    root_tests: Vec<(String, String)>,
    docker_files: BTreeSet<String>,
    builds: BTreeMap<(String, Language), BuildFacts>,
    packaging_docker_files: BTreeSet<String>,
    docker_tools: BTreeMap<String, BTreeSet<String>>,
    services: Vec<services::DetectedService>,
    testcontainers: Vec<String>,
    warnings: Vec<Warning>,
}

impl<'a> Scan<'a> {
    /// A scan over `index`.
    pub fn new(index: &'a Index) -> Self {
        Self {
            index,
            projects: Vec::new(),
            toolchains: Vec::new(),
            languages: Vec::new(),
            root_tests: Vec::new(),
            docker_files: BTreeSet::new(),
            builds: BTreeMap::new(),
            packaging_docker_files: BTreeSet::new(),
            docker_tools: BTreeMap::new(),
            services: Vec::new(),
            testcontainers: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// The files of the walk.
    pub fn index(&self) -> &'a Index {
        self.index
    }

    /// Reads a file, turning a failure into a warning; `None` when it could not be read.
    pub fn read(&mut self, rel: &str) -> Option<String> {
        match self.index.read(rel) {
            Ok(text) => Some(text),
            Err(w) => {
                self.warnings.push(w);
                None
            }
        }
    }

    /// Records a project unit.
    pub fn project(&mut self, project: Project) {
        self.projects.push(project);
    }

    /// Projects recorded so far (ecosystems that look at others' results run last).
    pub fn projects(&self) -> &[Project] {
        &self.projects
    }

    /// Records the test command of a directory that is not a project itself, such as a virtual
    /// Cargo workspace or a uv workspace without `[project]`: its members are the projects, and
    /// this one command, run inside `dir`, tests them all.
    pub fn root_test(&mut self, dir: &str, command: impl Into<String>) {
        self.root_tests.push((dir.to_owned(), command.into()));
    }

    /// Records a toolchain version for `tool` found in `file` (relative path).
    pub fn toolchain(&mut self, tool: &str, version: &str, source: Source, file: &str) {
        let version = version.trim();
        if version.is_empty() {
            return;
        }
        self.toolchains
            .push((tool.to_owned(), version.to_owned(), source, file.to_owned()));
    }

    /// Records that a toolchain file in `file` declares `language` (a `.python-version` with no
    /// manifest still says the repository is Python).
    pub fn language(&mut self, language: Language, file: &str) {
        self.languages.push((language, file.to_owned()));
    }

    /// Records a Dockerfile or Containerfile.
    pub fn docker_file(&mut self, rel: &str) {
        self.docker_files.insert(rel.to_owned());
    }

    /// Records what a project's files say about its build (see [`BuildFacts`]); a later report
    /// for the same directory and language replaces an earlier one.
    pub fn build(&mut self, dir: &str, language: Language, facts: BuildFacts) {
        self.builds.insert((dir.to_owned(), language), facts);
    }

    /// Records that a Dockerfile builds packages or a development container, not the app.
    pub fn packaging_docker_file(&mut self, rel: &str) {
        self.packaging_docker_files.insert(rel.to_owned());
    }

    /// Records a toolchain a Dockerfile's base image names.
    pub fn docker_tool(&mut self, rel: &str, tool: &str) {
        self.docker_tools
            .entry(rel.to_owned())
            .or_default()
            .insert(tool.to_owned());
    }

    /// Records a service the tests appear to need.
    pub fn service(&mut self, service: services::DetectedService) {
        self.services.push(service);
    }

    /// Records a manifest that depends on Testcontainers.
    pub fn testcontainers(&mut self, rel: &str) {
        self.testcontainers.push(rel.to_owned());
    }

    /// Records a problem with a file.
    pub fn warn(&mut self, path: &str, message: impl Into<String>) {
        self.warnings.push(Warning::new(path, message));
    }

    /// Turns the reports into [`Stacks`].
    pub fn finish(self) -> Detection {
        let mut projects = self.projects;
        projects.sort_by(|a, b| {
            (depth(&a.path) != 0, &a.path, a.stack, a.package_manager).cmp(&(
                depth(&b.path) != 0,
                &b.path,
                b.stack,
                b.package_manager,
            ))
        });
        projects.dedup_by(|a, b| {
            a.path == b.path && a.stack == b.stack && a.package_manager == b.package_manager
        });

        // Languages: the most source files first (as linguist ranks a repository), then the
        // most projects, then the shallowest, then by name. Source files only rank languages
        // that a manifest declares; they never add one.
        let mut lang_rank: BTreeMap<Language, (usize, usize)> = BTreeMap::new();
        for p in &projects {
            let e = lang_rank.entry(p.stack).or_insert((0, usize::MAX));
            e.0 += 1;
            e.1 = e.1.min(depth(&p.path));
        }
        let mut languages: Vec<Language> = lang_rank.keys().copied().collect();
        let sources = |l: &Language| self.index.source_files(*l);
        languages.sort_by(|a, b| {
            let (ca, da) = lang_rank[a];
            let (cb, db) = lang_rank[b];
            sources(b)
                .cmp(&sources(a))
                .then(cb.cmp(&ca))
                .then(da.cmp(&db))
                .then(a.cmp(b))
        });
        let mut declared_only: Vec<(Language, usize)> = Vec::new();
        for (lang, file) in &self.languages {
            if !languages.contains(lang) && !declared_only.iter().any(|(l, _)| l == lang) {
                declared_only.push((*lang, depth(dir_of(file))));
            }
        }
        declared_only.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        languages.extend(declared_only.into_iter().map(|(l, _)| l));

        // Package managers: in the order of the languages they serve, then most projects
        // first, then the shallowest, then by name.
        let mut pm_rank: BTreeMap<PackageManager, (usize, usize, usize)> = BTreeMap::new();
        for p in &projects {
            let lang_pos = languages
                .iter()
                .position(|l| *l == p.stack)
                .unwrap_or(usize::MAX);
            let e = pm_rank
                .entry(p.package_manager)
                .or_insert((usize::MAX, 0, usize::MAX));
            e.0 = e.0.min(lang_pos);
            e.1 += 1;
            e.2 = e.2.min(depth(&p.path));
        }
        let mut package_managers: Vec<PackageManager> = pm_rank.keys().copied().collect();
        package_managers.sort_by(|a, b| {
            let (la, ca, da) = pm_rank[a];
            let (lb, cb, db) = pm_rank[b];
            la.cmp(&lb)
                .then(cb.cmp(&ca))
                .then(da.cmp(&db))
                .then(a.cmp(b))
        });

        // Toolchains: best source, then the shallowest file, then the path.
        let mut best: BTreeMap<String, (Source, usize, String, String)> = BTreeMap::new();
        for (tool, version, source, file) in self.toolchains {
            let key = (source, depth(dir_of(&file)), file.clone());
            let better = match best.get(&tool) {
                None => true,
                Some((s, d, f, _)) => key < (*s, *d, f.clone()),
            };
            if better {
                best.insert(tool, (source, key.1, file, version));
            }
        }
        let toolchains = best
            .into_iter()
            .map(|(tool, (_, _, _, v))| (tool, v))
            .collect();

        // Test commands in project order (the root first, then by path), with the commands of
        // directories that are not projects themselves (virtual workspaces) in their place.
        let mut tests: Vec<(&str, &str, Option<Stack>)> = projects
            .iter()
            .filter_map(|p| {
                Some((
                    p.path.as_str(),
                    p.test_command.as_deref()?,
                    Some((p.stack, p.package_manager)),
                ))
            })
            .chain(
                self.root_tests
                    .iter()
                    .map(|(dir, cmd)| (dir.as_str(), cmd.as_str(), None)),
            )
            .collect();
        tests.sort_by(|a, b| (depth(a.0) != 0, a.0).cmp(&(depth(b.0) != 0, b.0)));
        let mut test_commands: Vec<String> = Vec::new();
        let mut test_roots: Vec<TestRoot> = Vec::new();
        let mut seen_commands: std::collections::HashSet<String> = std::collections::HashSet::new();
        for (path, cmd, stack) in tests {
            let full = if path == "." {
                cmd.to_owned()
            } else {
                format!("cd {} && {cmd}", shell_quote(path))
            };
            if seen_commands.insert(full.clone()) {
                test_commands.push(full);
                test_roots.push(TestRoot {
                    dir: path.to_owned(),
                    command: cmd.to_owned(),
                    stack,
                });
            }
        }

        let subprojects = projects
            .iter()
            .map(|p| Subproject {
                path: p.path.clone(),
                stack: p.stack,
                package_manager: p.package_manager,
            })
            .collect();
        let docker_files: Vec<String> = self.docker_files.into_iter().collect();
        let mut warnings = self.warnings;
        warnings.sort();
        warnings.dedup();
        Detection {
            stacks: Stacks {
                languages,
                package_managers,
                toolchains,
                subprojects,
                has_docker: !docker_files.is_empty(),
                docker_files,
                test_commands,
                test_roots,
                builds: self.builds,
                packaging_docker_files: self.packaging_docker_files,
                docker_tools: self.docker_tools,
                services: self.services,
                testcontainers: self.testcontainers,
            },
            warnings,
        }
    }
}

/// One ecosystem: which file names it reads and how it reads them.
struct Ecosystem {
    /// True for file names the walk must keep for this ecosystem.
    interesting: fn(&str) -> bool,
    /// Reads the kept files and reports into the scan.
    scan: fn(&mut Scan<'_>),
}

/// Every ecosystem, in the order they scan. `docker` runs last: it may look at the projects the
/// others found (compose services point at their directories).
const ECOSYSTEMS: &[Ecosystem] = &[
    Ecosystem {
        interesting: toolchain_files::interesting,
        scan: toolchain_files::scan,
    },
    Ecosystem {
        interesting: rust::interesting,
        scan: rust::scan,
    },
    Ecosystem {
        interesting: node::interesting,
        scan: node::scan,
    },
    Ecosystem {
        interesting: python::interesting,
        scan: python::scan,
    },
    Ecosystem {
        interesting: go::interesting,
        scan: go::scan,
    },
    Ecosystem {
        interesting: maven::interesting,
        scan: maven::scan,
    },
    Ecosystem {
        interesting: gradle::interesting,
        scan: gradle::scan,
    },
    Ecosystem {
        interesting: ruby::interesting,
        scan: ruby::scan,
    },
    Ecosystem {
        interesting: php::interesting,
        scan: php::scan,
    },
    Ecosystem {
        interesting: dotnet::interesting,
        scan: dotnet::scan,
    },
    Ecosystem {
        interesting: docker::interesting,
        scan: docker::scan,
    },
    Ecosystem {
        interesting: services::interesting,
        scan: services::scan,
    },
];

/// True for any file name that some ecosystem reads.
pub fn interesting(file_name: &str) -> bool {
    ECOSYSTEMS.iter().any(|e| (e.interesting)(file_name))
}

/// Detects the stacks of the repository at `root` with one walk.
pub fn detect(root: &Path) -> Result<Detection, Error> {
    if !root.is_dir() {
        return Err(Error::NotADirectory(root.to_path_buf()));
    }
    let walked = walk::walk(root, &interesting);
    let index = Index::new(root, walked.files).with_source_files(walked.source_files);
    let mut detection = scan(&index);
    detection.warnings.extend(walked.warnings);
    detection.warnings.sort();
    detection.warnings.dedup();
    Ok(detection)
}

/// Runs every ecosystem over an index.
pub fn scan(index: &Index) -> Detection {
    let mut scan = Scan::new(index);
    for eco in ECOSYSTEMS {
        (eco.scan)(&mut scan);
    }
    scan.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_and_split() {
        assert_eq!(join(".", "Cargo.toml"), "Cargo.toml");
        assert_eq!(
            join("crates/core", "./Cargo.toml"),
            "crates/core/Cargo.toml"
        );
        assert_eq!(dir_of("Cargo.toml"), ".");
        assert_eq!(dir_of("a/b/Cargo.toml"), "a/b");
        assert_eq!(file_name("a/b/Cargo.toml"), "Cargo.toml");
        assert_eq!(normalize("./a/../b/./c"), Some("b/c".to_owned()));
        assert_eq!(normalize("a/.."), Some(".".to_owned()));
        assert_eq!(normalize("../x"), None);
        assert_eq!(depth("."), 0);
        assert_eq!(depth("a/b"), 2);
    }

    #[test]
    fn a_file_whose_size_is_unknown_is_still_capped_while_reading() {
        // Like `/proc/self/pagemap`: no length up front, and more bytes than anyone should read.
        let w = read_at_most(std::io::repeat(b'a'), "Cargo.toml").expect_err("capped");
        assert_eq!(
            w.to_string(),
            "Cargo.toml: skipped: the content is larger than the 8 MiB a manifest may be"
        );
        assert_eq!(
            read_at_most(&b"[package]"[..], "Cargo.toml").expect("read"),
            b"[package]"
        );
    }

    #[cfg(unix)]
    #[test]
    fn read_capped_refuses_links_that_leave_the_root_and_reads_the_rest() {
        let outside = tempfile::tempdir().expect("tempdir");
        std::fs::write(outside.path().join("secret"), "22").expect("write");
        let root = tempfile::tempdir().expect("tempdir");
        std::fs::write(root.path().join("real"), "\u{feff}20").expect("write");
        std::os::unix::fs::symlink("real", root.path().join("inside")).expect("symlink");
        std::os::unix::fs::symlink(outside.path().join("secret"), root.path().join("out"))
            .expect("symlink");
        std::os::unix::fs::symlink(outside.path(), root.path().join("dir")).expect("symlink");
        assert_eq!(read_capped(root.path(), "inside").expect("read"), "20");
        let w = read_capped(root.path(), "out").expect_err("refused");
        assert_eq!(
            w.to_string(),
            "out: skipped: a symbolic link that leaves the repository"
        );
        let w = read_capped(root.path(), "dir/secret").expect_err("refused");
        assert_eq!(w.path, "dir/secret");
        assert!(w.message.contains("leaves the repository"), "{w}");
        assert!(read_capped(root.path(), "../secret").is_err());
    }

    #[test]
    fn decode_strips_a_bom_and_refuses_binary() {
        assert_eq!(decode("x", b"\xef\xbb\xbf{}".to_vec()).expect("text"), "{}");
        assert!(decode("x", b"a\0b".to_vec()).is_err());
        assert!(decode("x", vec![0xff, 0xfe, b'a']).is_err());
    }

    #[test]
    fn source_files_rank_declared_languages_before_project_counts() {
        let counts = BTreeMap::from([
            (Language::Php, 40),
            (Language::Javascript, 3),
            (Language::Go, 900),
        ]);
        let index = Index::new("/nonexistent", Vec::new()).with_source_files(counts);
        let mut scan = Scan::new(&index);
        for (path, stack, pm) in [
            (".", Language::Javascript, PackageManager::Npm),
            ("tools", Language::Javascript, PackageManager::Npm),
            (".", Language::Php, PackageManager::Composer),
        ] {
            scan.project(Project {
                path: path.into(),
                stack,
                package_manager: pm,
                test_command: None,
            });
        }
        let d = scan.finish();
        // Go has the most files but no manifest: it is not a language of this repository.
        assert_eq!(
            d.stacks.languages,
            vec![Language::Php, Language::Javascript]
        );
        assert_eq!(
            d.stacks.package_managers,
            vec![PackageManager::Composer, PackageManager::Npm]
        );
    }

    #[test]
    fn languages_index_the_all_table_in_declaration_order() {
        for (i, lang) in Language::ALL.iter().enumerate() {
            assert_eq!(*lang as usize, i);
        }
        assert_eq!(
            Language::of_source_file("main.tsx"),
            Some(Language::Typescript)
        );
        assert_eq!(Language::of_source_file("Makefile"), None);
    }

    #[test]
    fn finish_orders_languages_by_count_then_depth() {
        let index = Index::new("/nonexistent", Vec::new());
        let mut scan = Scan::new(&index);
        let project = |path: &str, stack, pm, cmd: Option<&str>| Project {
            path: path.into(),
            stack,
            package_manager: pm,
            test_command: cmd.map(str::to_owned),
        };
        scan.project(project(
            "web",
            Language::Typescript,
            PackageManager::Pnpm,
            Some("pnpm run test"),
        ));
        scan.project(project(
            "api",
            Language::Python,
            PackageManager::Uv,
            Some("uv run pytest"),
        ));
        scan.project(project(
            "worker",
            Language::Python,
            PackageManager::Uv,
            None,
        ));
        scan.toolchain("node", "20", Source::Manifest, "web/package.json");
        scan.toolchain("node", "22", Source::ToolchainFile, ".nvmrc");
        let d = scan.finish();
        assert_eq!(
            d.stacks.languages,
            vec![Language::Python, Language::Typescript]
        );
        assert_eq!(
            d.stacks.package_managers,
            vec![PackageManager::Uv, PackageManager::Pnpm]
        );
        assert_eq!(d.stacks.toolchains["node"], "22");
        assert_eq!(
            d.stacks.test_commands,
            vec!["cd api && uv run pytest", "cd web && pnpm run test"]
        );
    }
}
