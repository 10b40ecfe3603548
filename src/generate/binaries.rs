//! The release workflow's binary matrix: one job per unit that builds executables (Rust
//! binaries, Go `main` packages) and target of `release.targets`.
//!
//! Names come from the repository (Cargo.toml, directory names), which a pull request author
//! controls: they reach the workflow only as quoted matrix values, then scripts through
//! `env:`, and must look like file names.

use std::path::Path;

use serde::Serialize;

use super::context::Unit;
use crate::config::targets::{self, Linker};
use crate::detect::{BuildFacts, Language};

/// One matrix entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Binary {
    /// The unit's id (empty for the only unit).
    pub unit: String,
    /// The archive's name: the unit id, else the project name.
    pub name: String,
    /// The unit's directory.
    pub dir: String,
    /// `rust` or `go`.
    pub lang: &'static str,
    /// The target triple.
    pub target: &'static str,
    /// The runner label.
    pub runner: &'static str,
    /// Rust: `native`, `musl` or `cross`; Go: `go`.
    pub kind: &'static str,
    /// The executables, space-separated (Rust: binary names; Go: package arguments).
    pub bins: String,
    /// Go: GOOS, GOARCH, GOARM, CGO_ENABLED.
    pub goos: &'static str,
    /// Go: GOARCH.
    pub goarch: &'static str,
    /// Go: GOARM.
    pub goarm: &'static str,
    /// Go: `0`, or `1` when the module needs cgo.
    pub cgo: &'static str,
    /// `.exe` on Windows.
    pub exe: &'static str,
}

/// Why the matrix cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Two units build an executable of the same name.
    #[error(
        "the executable `{name}` is built by two units (`{first}` and `{second}`); their archives would hold the same file"
    )]
    Collision {
        /// The name.
        name: String,
        /// The units' directories.
        first: String,
        /// The other unit.
        second: String,
    },
    /// A name a workflow must not carry.
    #[error("the executable name `{name}` in `{dir}` has characters a file name should not")]
    BadName {
        /// The name.
        name: String,
        /// The unit's directory.
        dir: String,
    },
    /// A cgo module and a target without a C cross toolchain.
    #[error(
        "`release.targets` has `{target}`, but the Go module in `{dir}` needs cgo, whose C linker the release workflow can provide only on a runner of the target's own OS and architecture"
    )]
    CgoCross {
        /// The target.
        target: String,
        /// The unit's directory.
        dir: String,
    },
}

/// True for names made of `A-Z a-z 0-9 . _ -` (not starting with `.` or `-`).
fn plain(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(['.', '-'])
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The Go binary names of `packages` (`.`, `./cmd/app`) in the module at `dir`.
fn go_names(root: &Path, dir: &str, packages: &[String]) -> Vec<String> {
    packages
        .iter()
        .map(|p| {
            if p == "." {
                let module =
                    std::fs::read_to_string(root.join(dir).join("go.mod")).unwrap_or_default();
                module
                    .lines()
                    .find_map(|l| l.trim().strip_prefix("module "))
                    .map(|m| m.trim().trim_matches('"'))
                    .and_then(|m| m.rsplit('/').next())
                    .unwrap_or(dir)
                    .to_owned()
            } else {
                p.rsplit('/').next().unwrap_or(p).to_owned()
            }
        })
        .collect()
}

/// True when a Go file of the module at `dir` imports "C" (vendor, testdata and hidden
/// directories aside).
fn needs_cgo(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    for e in entries.filter_map(Result::ok) {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            let skipped = name.starts_with(['.', '_'])
                || name == "vendor"
                || name == "testdata"
                || e.path().join("go.mod").exists();
            if !skipped && needs_cgo(&e.path()) {
                return true;
            }
        } else if kind.is_file() && name.ends_with(".go") && !name.ends_with("_test.go") {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            if text.lines().any(|l| l.trim() == "import \"C\"") {
                return true;
            }
        }
    }
    false
}

/// The matrix for `units` (their build facts in `builds`) and `target_list`, already checked
/// by the config (known, buildable, unique).
pub fn matrix(
    units: &[Unit],
    builds: &std::collections::BTreeMap<(String, Language), BuildFacts>,
    target_list: &[String],
    project: &str,
    root: &Path,
) -> Result<Vec<Binary>, Error> {
    let mut out = Vec::new();
    let mut owners: Vec<(String, String)> = Vec::new();
    for unit in units {
        let Some(facts) = builds.get(&(unit.dir.clone(), unit.language)) else {
            continue;
        };
        let (lang, names, bins) = match unit.language {
            Language::Rust if !facts.bin_names.is_empty() => {
                ("rust", facts.bin_names.clone(), facts.bin_names.join(" "))
            }
            Language::Go if !facts.main_packages.is_empty() => (
                "go",
                go_names(root, &unit.dir, &facts.main_packages),
                facts.main_packages.join(" "),
            ),
            _ => continue,
        };
        for name in &names {
            if !plain(name) {
                return Err(Error::BadName {
                    name: name.clone(),
                    dir: unit.dir.clone(),
                });
            }
            if let Some((_, first)) = owners.iter().find(|(n, _)| n == name) {
                return Err(Error::Collision {
                    name: name.clone(),
                    first: first.clone(),
                    second: unit.dir.clone(),
                });
            }
            owners.push((name.clone(), unit.dir.clone()));
        }
        for p in facts.main_packages.iter() {
            if p.contains(char::is_whitespace) {
                return Err(Error::BadName {
                    name: p.clone(),
                    dir: unit.dir.clone(),
                });
            }
        }
        let cgo = lang == "go" && needs_cgo(&root.join(&unit.dir));
        let name = if unit.id.is_empty() {
            project
        } else {
            &unit.id
        };
        for t in target_list {
            // The config checked every triple; an unknown one here is a programming error.
            let Ok(spec) = targets::lookup(t) else {
                continue;
            };
            if cgo && !spec.native() {
                return Err(Error::CgoCross {
                    target: t.clone(),
                    dir: unit.dir.clone(),
                });
            }
            out.push(Binary {
                unit: unit.id.clone(),
                name: name.to_owned(),
                dir: unit.dir.clone(),
                lang,
                target: spec.triple,
                runner: spec.runner,
                kind: if lang == "go" {
                    "go"
                } else {
                    match spec.linker {
                        Linker::Native => "native",
                        Linker::Musl => "musl",
                        Linker::Cross => "cross",
                    }
                },
                bins: bins.clone(),
                goos: spec.goos,
                goarch: spec.goarch,
                goarm: spec.goarm,
                cgo: if cgo { "1" } else { "0" },
                exe: spec.exe(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_binaries_are_named_after_their_package_or_module() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("go.mod"),
            "module example.com/tools/hello\n\ngo 1.22\n",
        )
        .unwrap();
        assert_eq!(
            go_names(
                dir.path(),
                ".",
                &[".".to_owned(), "./cmd/worker".to_owned()]
            ),
            ["hello", "worker"]
        );
    }

    #[test]
    fn cgo_is_found_in_the_module_but_not_in_vendor_or_tests() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("vendor/x")).unwrap();
        std::fs::write(root.join("vendor/x/x.go"), "package x\nimport \"C\"\n").unwrap();
        std::fs::write(root.join("a_test.go"), "package main\nimport \"C\"\n").unwrap();
        std::fs::write(root.join("main.go"), "package main\nfunc main() {}\n").unwrap();
        assert!(!needs_cgo(root));
        std::fs::create_dir_all(root.join("internal/c")).unwrap();
        std::fs::write(root.join("internal/c/c.go"), "package c\n\nimport \"C\"\n").unwrap();
        assert!(needs_cgo(root));
    }

    #[test]
    fn names_are_plain_file_names() {
        assert!(plain("my-tool_2.x"));
        for bad in ["", "-rf", ".hidden", "a b", "a/b", "x${{y}}", "a\nb"] {
            assert!(!plain(bad), "{bad:?}");
        }
    }
}
