//! Detection for Rust: `Cargo.toml` packages and workspaces, `rust-toolchain(.toml)`.
//!
//! Workspaces follow Cargo's rules
//! (<https://doc.rust-lang.org/cargo/reference/workspaces.html>): a package belongs to the
//! nearest enclosing `[workspace]` that does not `exclude` it (or to the one its
//! `package.workspace` key names) when that workspace's `members` globs match it or when it is
//! the root package itself; path dependencies of members that sit inside the workspace are
//! members too.
//!
//! What is reported:
//! - every workspace root runs `cargo test --workspace` once: as its own project when it has
//!   `[package]`, otherwise (a virtual manifest) through [`Scan::root_test`], so `.` is listed
//!   as a subproject only when it is a package. A root package whose workspace has no other
//!   members runs plain `cargo test`;
//! - members are subprojects without a test command: the root's command covers them;
//! - a package in no workspace (standalone, excluded from an enclosing workspace, or inside a
//!   workspace directory without being a member) is its own project running `cargo test`; a
//!   nested workspace (an `examples/` workspace with its own `[workspace]`) is its own test root.
//!
//! Toolchains: the `channel` of `rust-toolchain.toml` or a legacy one-line `rust-toolchain`
//! (a toolchain file), then `package.rust-version`, including one inherited through
//! `rust-version.workspace = true` from `workspace.package.rust-version` (a manifest field).
//! A cargo-fuzz crate (`fuzz/`, marked by `package.metadata.cargo-fuzz`) is a subproject without
//! a test command: it needs nightly and `cargo fuzz`. `Cargo.lock` is not read: it says nothing detection reports.
//!
//! For the build, each test root (a workspace root, a package on its own) reports
//! [`BuildFacts`]: whether `cargo build --workspace` there builds an executable (a member with a
//! `[[bin]]` target that needs no feature, or, unless `autobins = false`, a `src/main.rs` or a
//! `src/bin/` that no `[[bin]]` replaces), and whether the repository keeps `Cargo.lock` beside
//! it (`--locked` fails without one, and libraries often leave it out).
//! Targets: <https://doc.rust-lang.org/cargo/reference/cargo-targets.html#target-auto-discovery>.

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::{self, Members, ancestors, relative_to, toml_error};
use super::{
    BuildFacts, Index, Language, PackageManager, Project, Scan, Source, dir_of, join, normalize,
};

/// True for file names this ecosystem reads (`Cargo.lock` and `main.rs` only for their
/// presence).
pub fn interesting(file_name: &str) -> bool {
    matches!(
        file_name,
        "Cargo.toml" | "rust-toolchain" | "rust-toolchain.toml" | "Cargo.lock" | "main.rs"
    )
}

/// What detection needs from one `Cargo.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// True when it has a `[package]` table.
    pub package: bool,
    /// `package.rust-version` as written.
    pub rust_version: Option<String>,
    /// True for `rust-version.workspace = true`.
    pub rust_version_inherited: bool,
    /// True for a cargo-fuzz crate (`package.metadata.cargo-fuzz = true`): it runs under
    /// `cargo fuzz` on nightly, not `cargo test`.
    pub fuzz: bool,
    /// `package.workspace`: an explicit path to the workspace root.
    pub workspace_path: Option<String>,
    /// Relative `path`s of dependencies (all dependency tables), for implicit members.
    pub path_dependencies: Vec<String>,
    /// The `[workspace]` table, when present.
    pub workspace: Option<Workspace>,
    /// `package.name`.
    pub name: Option<String>,
    /// `[[bin]]` targets: name, path and whether they need features (`required-features`).
    pub bins: Vec<Bin>,
    /// `package.autobins = false`: no binary target is inferred from the files.
    pub no_autobins: bool,
}

/// One `[[bin]]` table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bin {
    /// `name`.
    pub name: Option<String>,
    /// `path`.
    pub path: Option<String>,
    /// True when it lists `required-features` that the default features do not turn on: a
    /// plain `cargo build` skips it.
    pub needs_features: bool,
}

/// The parts of a `[workspace]` table detection reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workspace {
    /// `members` globs.
    pub members: Vec<String>,
    /// `exclude` paths.
    pub exclude: Vec<String>,
    /// `workspace.package.rust-version`.
    pub rust_version: Option<String>,
}

/// Parses a `Cargo.toml`; the error is a warning message naming the line.
pub fn parse_manifest(text: &str) -> Result<Manifest, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
    let mut m = Manifest::default();
    if let Some(package) = table.get("package").and_then(toml::Value::as_table) {
        m.package = true;
        match package.get("rust-version") {
            Some(toml::Value::String(v)) => m.rust_version = Some(v.clone()),
            Some(toml::Value::Table(t)) => {
                m.rust_version_inherited =
                    t.get("workspace").and_then(toml::Value::as_bool) == Some(true);
            }
            _ => {}
        }
        m.fuzz = package
            .get("metadata")
            .and_then(|md| md.get("cargo-fuzz"))
            .and_then(toml::Value::as_bool)
            == Some(true);
        m.workspace_path = package
            .get("workspace")
            .and_then(toml::Value::as_str)
            .map(str::to_owned);
        m.name = package
            .get("name")
            .and_then(toml::Value::as_str)
            .map(str::to_owned);
        m.no_autobins = package.get("autobins").and_then(toml::Value::as_bool) == Some(false);
    }
    let defaults = manifest::toml_strings(table.get("features").and_then(|f| f.get("default")));
    if let Some(bins) = table.get("bin").and_then(toml::Value::as_array) {
        for bin in bins.iter().filter_map(toml::Value::as_table) {
            let text = |key: &str| {
                bin.get(key)
                    .and_then(toml::Value::as_str)
                    .map(str::to_owned)
            };
            m.bins.push(Bin {
                name: text("name"),
                path: text("path"),
                needs_features: manifest::toml_strings(bin.get("required-features"))
                    .iter()
                    .any(|f| !defaults.contains(f)),
            });
        }
    }
    let mut dep_tables: Vec<&toml::Table> = Vec::new();
    for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
        if let Some(t) = table.get(key).and_then(toml::Value::as_table) {
            dep_tables.push(t);
        }
    }
    if let Some(targets) = table.get("target").and_then(toml::Value::as_table) {
        for target in targets.values().filter_map(toml::Value::as_table) {
            for key in ["dependencies", "dev-dependencies", "build-dependencies"] {
                if let Some(t) = target.get(key).and_then(toml::Value::as_table) {
                    dep_tables.push(t);
                }
            }
        }
    }
    for deps in dep_tables {
        for dep in deps.values() {
            if let Some(path) = dep.get("path").and_then(toml::Value::as_str) {
                m.path_dependencies.push(path.to_owned());
            }
        }
    }
    if let Some(ws) = table.get("workspace").and_then(toml::Value::as_table) {
        let strings = |key: &str| manifest::toml_strings(ws.get(key));
        m.workspace = Some(Workspace {
            members: strings("members"),
            exclude: strings("exclude"),
            rust_version: ws
                .get("package")
                .and_then(|p| p.get("rust-version"))
                .and_then(toml::Value::as_str)
                .map(str::to_owned),
        });
    }
    Ok(m)
}

/// What a `rust-toolchain.toml` or legacy `rust-toolchain` file pins.
///
/// Format: <https://rust-lang.github.io/rustup/overrides.html#the-toolchain-file>.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToolchainFile {
    /// `toolchain.channel` (`1.80.0`, `stable`, `nightly-2024-05-01`), `None` when it names none
    /// (a file with only `path`, or only components for the default toolchain).
    pub channel: Option<String>,
    /// `toolchain.components` (`rustfmt`, `clippy`, `rust-src`...).
    pub components: Vec<String>,
    /// `toolchain.targets` (`wasm32-unknown-unknown`...).
    pub targets: Vec<String>,
}

/// Parses a `rust-toolchain.toml` or legacy `rust-toolchain` file; the error is a warning
/// message naming the line.
pub fn parse_toolchain_file(text: &str) -> Result<ToolchainFile, String> {
    let trimmed = text.trim();
    // The legacy file may be a bare channel name on one line.
    if !trimmed.is_empty()
        && !trimmed.contains(['\n', '=', '['])
        && trimmed
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Ok(ToolchainFile {
            channel: Some(trimmed.to_owned()),
            ..ToolchainFile::default()
        });
    }
    let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
    let toolchain = table.get("toolchain");
    // Names go to rustup's command line: keep only what a component or target can be called.
    let names = |key: &str| -> Vec<String> {
        manifest::toml_strings(toolchain.and_then(|t| t.get(key)))
            .into_iter()
            .map(|n| n.trim().to_owned())
            .filter(|n| {
                !n.is_empty()
                    && n.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            })
            .collect()
    };
    Ok(ToolchainFile {
        channel: toolchain
            .and_then(|t| t.get("channel"))
            .and_then(toml::Value::as_str)
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned),
        components: names("components"),
        targets: names("targets"),
    })
}

/// The channel of a `rust-toolchain.toml` or legacy `rust-toolchain` file (`1.80.0`, `stable`,
/// `nightly-2024-05-01`); `None` when it names none.
pub fn parse_toolchain(text: &str) -> Result<Option<String>, String> {
    parse_toolchain_file(text).map(|f| f.channel)
}

/// Reads this ecosystem's files and reports into the scan.
pub fn scan(scan: &mut Scan<'_>) {
    let index = scan.index();
    let mut toolchain_files: Vec<(&str, String)> = Vec::new();
    for file in index.matching(|n| n == "rust-toolchain" || n == "rust-toolchain.toml") {
        let Some(text) = scan.read(file) else {
            continue;
        };
        match parse_toolchain(&text) {
            Ok(Some(channel)) => {
                toolchain_files.push((file, channel));
                scan.language(Language::Rust, file);
            }
            Ok(None) => scan.language(Language::Rust, file),
            Err(message) => scan.warn(file, message),
        }
    }

    // Every readable manifest, by directory.
    let mut manifests: BTreeMap<String, Manifest> = BTreeMap::new();
    for file in index.named("Cargo.toml") {
        let Some(text) = scan.read(file) else {
            continue;
        };
        match parse_manifest(&text) {
            Ok(m) => {
                manifests.insert(dir_of(file).to_owned(), m);
            }
            Err(message) => scan.warn(file, message),
        }
    }

    let mut workspaces: BTreeMap<String, Members> = BTreeMap::new();
    for (dir, m) in &manifests {
        if let Some(ws) = &m.workspace {
            let (members, bad) = Members::new(&ws.members, &ws.exclude);
            for rejected in bad {
                scan.warn(&join(dir, "Cargo.toml"), rejected.to_string());
            }
            workspaces.insert(dir.clone(), members);
        }
    }

    // Which workspace each package belongs to.
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for (dir, m) in manifests.iter().filter(|(_, m)| m.package) {
        if let Some(root) = workspace_of(dir, m, &workspaces) {
            owner.insert(dir.clone(), root);
        }
    }
    // Path dependencies of members inside the workspace directory are members too (Cargo
    // adds them implicitly); repeat until nothing changes, as they may chain.
    loop {
        let mut added = Vec::new();
        for (dir, root) in &owner {
            let Some(m) = manifests.get(dir) else {
                continue;
            };
            for dep in &m.path_dependencies {
                let Some(dep_dir) = normalize(&join(dir, dep)) else {
                    continue;
                };
                let is_package = manifests.get(&dep_dir).is_some_and(|d| d.package);
                let inside = relative_to(root, &dep_dir).is_some();
                let excluded = relative_to(root, &dep_dir)
                    .is_some_and(|rel| workspaces.get(root).is_some_and(|w| w.excludes(&rel)));
                if is_package && inside && !excluded && !owner.contains_key(&dep_dir) {
                    added.push((dep_dir, root.clone()));
                }
            }
        }
        if added.is_empty() {
            break;
        }
        owner.extend(added);
    }

    // A toolchain file pins the builds run from its directory down (rustup looks in the
    // current directory and its parents). One inside a workspace member or a cargo-fuzz crate
    // only pins commands run in that crate, never the workspace's jobs, so it names no
    // toolchain of the repository.
    for (file, channel) in toolchain_files {
        let dir = dir_of(file);
        let member = owner.get(dir).is_some_and(|root| root != dir);
        let fuzz = manifests.get(dir).is_some_and(|m| m.fuzz);
        if !member && !fuzz {
            scan.toolchain("rust", &channel, Source::ToolchainFile, file);
        }
    }

    let mut members_of: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (dir, root) in &owner {
        members_of
            .entry(root.as_str())
            .or_default()
            .insert(dir.as_str());
    }

    for (dir, m) in &manifests {
        let mut version = m.rust_version.clone();
        if m.rust_version_inherited {
            version = owner
                .get(dir)
                .and_then(|root| manifests.get(root))
                .and_then(|r| r.workspace.as_ref())
                .and_then(|w| w.rust_version.clone());
        }
        if let Some(ws) = &m.workspace
            && let Some(v) = &ws.rust_version
        {
            scan.toolchain("rust", v, Source::Manifest, &join(dir, "Cargo.toml"));
        }
        if let Some(v) = version {
            scan.toolchain("rust", &v, Source::Manifest, &join(dir, "Cargo.toml"));
        }

        let others = members_of
            .get(dir.as_str())
            .map_or(0, |set| set.iter().filter(|d| **d != dir.as_str()).count());
        let is_root = m.workspace.is_some();
        let test = if is_root && others > 0 {
            "cargo test --workspace"
        } else {
            "cargo test"
        };
        let facts = |scan: &mut Scan<'_>| {
            let packages = members_of
                .get(dir.as_str())
                .into_iter()
                .flatten()
                .copied()
                .chain(std::iter::once(dir.as_str()));
            let mut bin_names: Vec<String> = packages
                .filter_map(|p| Some((p, manifests.get(p)?)))
                .flat_map(|(p, m)| executable_names(index, p, m))
                .collect();
            bin_names.sort();
            bin_names.dedup();
            let executables = !bin_names.is_empty();
            let locked = index.has(dir, "Cargo.lock");
            scan.build(
                dir,
                Language::Rust,
                BuildFacts {
                    executables,
                    bin_names,
                    locked,
                    ..BuildFacts::default()
                },
            );
        };
        match (m.package, owner.get(dir)) {
            (true, Some(root)) if root != dir => scan.project(rust_project(dir, None)),
            (true, _) if m.fuzz => scan.project(rust_project(dir, None)),
            (true, _) => {
                scan.project(rust_project(dir, Some(test)));
                facts(scan);
            }
            (false, _) if is_root && others > 0 => {
                scan.root_test(dir, test);
                facts(scan);
            }
            // A virtual manifest without members builds nothing.
            (false, _) => {}
        }
    }
}

/// The executables a plain `cargo build` of the package at `dir` builds: each `[[bin]]` that
/// needs no feature, and the binaries Cargo infers from `src/main.rs` (named after the
/// package) or `src/bin/` (unless `autobins = false`, or a `[[bin]]` already takes the file).
fn executable_names(index: &Index, dir: &str, m: &Manifest) -> Vec<String> {
    let mut names = Vec::new();
    if !m.package {
        return names;
    }
    for b in m.bins.iter().filter(|b| !b.needs_features) {
        let name = b.name.clone().or_else(|| m.name.clone());
        names.extend(name);
    }
    if m.no_autobins {
        return names;
    }
    let main_taken = m.bins.iter().any(|b| {
        b.path.as_deref().map(|p| p.trim_start_matches("./")) == Some("src/main.rs")
            || (b.path.is_none() && b.name.is_some() && b.name == m.name)
    });
    if !main_taken && index.contains(&join(dir, "src/main.rs")) {
        names.extend(m.name.clone());
    }
    // `src/bin/` is not in the walk (any file name may be a binary there): look at it directly.
    let bin_dir = index.root().join(join(dir, "src/bin"));
    let taken: Vec<&str> = m.bins.iter().filter_map(|b| b.path.as_deref()).collect();
    if let Ok(entries) = std::fs::read_dir(bin_dir) {
        for e in entries.filter_map(Result::ok) {
            let name = e.file_name();
            let Some(name) = name.to_str() else {
                continue;
            };
            let rel = format!("src/bin/{name}");
            if let Some(stem) = name.strip_suffix(".rs")
                && !taken.contains(&rel.as_str())
            {
                names.push(stem.to_owned());
            }
            let main_rs = format!("{rel}/main.rs");
            if e.path().join("main.rs").is_file() && !taken.contains(&main_rs.as_str()) {
                names.push(name.to_owned());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

fn rust_project(dir: &str, test: Option<&str>) -> Project {
    Project {
        path: dir.to_owned(),
        stack: Language::Rust,
        package_manager: PackageManager::Cargo,
        test_command: test.map(str::to_owned),
    }
}

/// The workspace root a package at `dir` belongs to, if any.
fn workspace_of(dir: &str, m: &Manifest, workspaces: &BTreeMap<String, Members>) -> Option<String> {
    if m.workspace.is_some() {
        return Some(dir.to_owned());
    }
    if let Some(path) = &m.workspace_path {
        let root = normalize(&join(dir, path))?;
        let members = workspaces.get(&root)?;
        let rel = relative_to(&root, dir)?;
        return members.contains(&rel).then_some(root);
    }
    for parent in ancestors(dir) {
        let Some(members) = workspaces.get(&parent) else {
            continue;
        };
        let Some(rel) = relative_to(&parent, dir) else {
            continue;
        };
        if members.excludes(&rel) {
            // Cargo keeps looking further up for an enclosing workspace.
            continue;
        }
        // The nearest workspace decides: a package it does not list is on its own.
        return members.contains(&rel).then_some(parent);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::Stacks;
    use proptest::prelude::*;

    fn detect(files: &[(&str, &str)]) -> (Stacks, Vec<crate::detect::Warning>) {
        crate::detect::manifest::scan_files(files, super::scan)
    }

    #[test]
    fn a_standalone_crate_runs_cargo_test() {
        let (s, w) = detect(&[(
            "Cargo.toml",
            "[package]\nname = \"x\"\nversion = \"0.1.0\"\nrust-version = \"1.75\"\n",
        )]);
        assert!(w.is_empty());
        assert_eq!(s.test_commands, vec!["cargo test"]);
        assert_eq!(s.toolchains["rust"], "1.75");
        assert_eq!(s.subprojects.len(), 1);
    }

    #[test]
    fn a_virtual_workspace_tests_once_and_lists_members() {
        let (s, w) = detect(&[
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"crates/*\"]\nexclude = [\"crates/old\"]\n[workspace.package]\nrust-version = \"1.80\"\n",
            ),
            (
                "crates/a/Cargo.toml",
                "[package]\nname = \"a\"\nrust-version.workspace = true\n[dependencies]\nshared = { path = \"../../shared\" }\n",
            ),
            ("crates/b/Cargo.toml", "[package]\nname = \"b\"\n"),
            ("crates/old/Cargo.toml", "[package]\nname = \"old\"\n"),
            ("shared/Cargo.toml", "[package]\nname = \"shared\"\n"),
            ("rust-toolchain.toml", "[toolchain]\nchannel = \"1.82.0\"\n"),
        ]);
        assert!(w.is_empty(), "{w:?}");
        let paths: Vec<&str> = s.subprojects.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, vec!["crates/a", "crates/b", "crates/old", "shared"]);
        assert_eq!(
            s.test_commands,
            vec!["cargo test --workspace", "cd crates/old && cargo test"]
        );
        assert_eq!(s.toolchains["rust"], "1.82.0");
    }

    #[test]
    fn a_non_member_inside_a_workspace_is_its_own_project() {
        let (s, _) = detect(&[
            (
                "Cargo.toml",
                "[package]\nname = \"app\"\n[workspace]\nmembers = [\"plugins/*\"]\n",
            ),
            ("plugins/p/Cargo.toml", "[package]\nname = \"p\"\n"),
            ("tools/gen/Cargo.toml", "[package]\nname = \"gen\"\n"),
            (
                "examples/Cargo.toml",
                "[workspace]\nmembers = [\"hello\"]\n",
            ),
            ("examples/hello/Cargo.toml", "[package]\nname = \"hello\"\n"),
        ]);
        assert_eq!(
            s.test_commands,
            vec![
                "cargo test --workspace",
                "cd examples && cargo test --workspace",
                "cd tools/gen && cargo test"
            ]
        );
        assert_eq!(s.subprojects[0].path, ".");
    }

    fn facts(s: &Stacks, dir: &str) -> BuildFacts {
        s.builds
            .get(&(dir.to_owned(), Language::Rust))
            .cloned()
            .expect("build facts")
    }

    #[test]
    fn a_workspace_knows_whether_it_builds_an_executable_and_keeps_a_lockfile() {
        let ws = "[workspace]\nmembers = [\"crates/*\"]\n";
        let (libs, _) = detect(&[
            ("Cargo.toml", ws),
            ("crates/a/Cargo.toml", "[package]\nname = \"a\"\n"),
            ("crates/a/src/lib.rs", ""),
            ("crates/b/Cargo.toml", "[package]\nname = \"b\"\n"),
            ("crates/b/src/lib.rs", ""),
        ]);
        assert_eq!(facts(&libs, "."), BuildFacts::default());
        let (bins, _) = detect(&[
            ("Cargo.toml", ws),
            ("Cargo.lock", "version = 4\n"),
            ("crates/a/Cargo.toml", "[package]\nname = \"a\"\n"),
            ("crates/a/src/lib.rs", ""),
            ("crates/cli/Cargo.toml", "[package]\nname = \"cli\"\n"),
            ("crates/cli/src/main.rs", "fn main() {}\n"),
        ]);
        let f = facts(&bins, ".");
        assert!(f.executables && f.locked, "{f:?}");
    }

    #[test]
    fn binaries_come_from_bin_tables_src_bin_and_main_unless_turned_off() {
        let one = |manifest: &str, files: &[(&str, &str)]| {
            let mut all = vec![("Cargo.toml", manifest)];
            all.extend_from_slice(files);
            facts(&detect(&all).0, ".").executables
        };
        let pkg = "[package]\nname = \"x\"\n";
        assert!(one(pkg, &[("src/bin/tool.rs", "fn main() {}")]));
        assert!(one(pkg, &[("src/bin/tool/main.rs", "fn main() {}")]));
        assert!(!one(
            &format!("{pkg}autobins = false\n"),
            &[("src/main.rs", "")]
        ));
        assert!(one(
            &format!("{pkg}autobins = false\n[[bin]]\nname = \"x\"\npath = \"src/main.rs\"\n"),
            &[("src/main.rs", "")]
        ));
        // A binary that needs a feature the defaults leave off is not built by `cargo build`.
        let gated = format!(
            "{pkg}[[bin]]\nname = \"x\"\npath = \"src/main.rs\"\nrequired-features = [\"cli\"]\n"
        );
        assert!(!one(&gated, &[("src/main.rs", "")]));
        assert!(one(
            &format!("{gated}[features]\ndefault = [\"cli\"]\ncli = []\n"),
            &[("src/main.rs", "")]
        ));
    }

    #[test]
    fn a_fuzz_crate_is_not_a_test_root() {
        let (s, _) = detect(&[
            ("Cargo.toml", "[package]\nname = \"x\"\n"),
            (
                "fuzz/Cargo.toml",
                "[package]\nname = \"x-fuzz\"\n[package.metadata]\ncargo-fuzz = true\n[workspace]\nmembers = [\".\"]\n",
            ),
        ]);
        assert_eq!(s.subprojects.len(), 2);
        assert_eq!(s.test_commands, vec!["cargo test"]);
    }

    #[test]
    fn malformed_manifests_become_warnings() {
        let (s, w) = detect(&[
            ("Cargo.toml", "[package\nname = \"x\"\n"),
            ("ok/Cargo.toml", "\u{feff}[package]\nname = \"ok\"\n"),
        ]);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].path, "Cargo.toml");
        assert!(
            w[0].message.contains("invalid TOML at line 1"),
            "{}",
            w[0].message
        );
        assert_eq!(s.test_commands, vec!["cd ok && cargo test"]);
    }

    #[test]
    fn a_toolchain_file_inside_a_member_or_fuzz_crate_pins_nothing() {
        let (s, _) = detect(&[
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"crates/*\"]\n[workspace.package]\nrust-version = \"1.74\"\n",
            ),
            ("crates/a/Cargo.toml", "[package]\nname = \"a\"\n"),
            (
                "crates/a/rust-toolchain.toml",
                "[toolchain]\nchannel = \"nightly\"\n",
            ),
            (
                "fuzz/Cargo.toml",
                "[package]\nname = \"f\"\n[package.metadata]\ncargo-fuzz = true\n[workspace]\n",
            ),
            ("fuzz/rust-toolchain", "nightly-2024-05-01\n"),
        ]);
        assert_eq!(s.toolchains["rust"], "1.74");
        let (s, _) = detect(&[
            ("Cargo.toml", "[package]\nname = \"x\"\n"),
            ("rust-toolchain", "1.82.0\n"),
            ("sub/rust-toolchain", "nightly\n"),
        ]);
        assert_eq!(s.toolchains["rust"], "1.82.0");
    }

    #[test]
    fn toolchain_files_list_components_and_targets() {
        let f = parse_toolchain_file(
            "[toolchain]\nchannel = \"1.80.1\"\ncomponents = [\"rustfmt\", \"rust-src\", \"$(id)\"]\ntargets = [\"wasm32-unknown-unknown\"]\nprofile = \"minimal\"\n",
        )
        .expect("valid");
        assert_eq!(f.channel.as_deref(), Some("1.80.1"));
        assert_eq!(f.components, ["rustfmt", "rust-src"]);
        assert_eq!(f.targets, ["wasm32-unknown-unknown"]);
        assert_eq!(
            parse_toolchain_file("stable\n").expect("legacy").components,
            Vec::<String>::new()
        );
    }

    #[test]
    fn toolchain_files_in_both_forms() {
        assert_eq!(
            parse_toolchain("nightly-2024-05-01\n")
                .expect("ok")
                .as_deref(),
            Some("nightly-2024-05-01")
        );
        assert_eq!(
            parse_toolchain("[toolchain]\nchannel = \"stable\"\ncomponents = [\"clippy\"]\n")
                .expect("ok")
                .as_deref(),
            Some("stable")
        );
        assert_eq!(parse_toolchain("[toolchain]\n").expect("ok"), None);
        assert!(parse_toolchain("[toolchain\n").is_err());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_manifest(&text);
            let _ = parse_toolchain(&text);
        }

        #[test]
        fn manifest_like_text_never_panics(text in "(\\[(package|workspace|dependencies)\\]\n|[a-z-]{1,8} = (\"[a-z0-9./*]{0,6}\"|\\{ ?path = \"[./a-z]{0,6}\" ?\\}|true|\\[\"[a-z*/]{0,5}\"\\])\n){0,8}") {
            let _ = parse_manifest(&text);
        }
    }
}
