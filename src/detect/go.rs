//! Go modules: `go.mod`, `go.work` and `.go-version`.
//!
//! Every `go.mod` is a project (`go-modules`) tested with `go test ./...` in its own directory.
//! `./...` stops at nested module boundaries, and a `go.work` is often absent in CI (or
//! switched off with `GOWORK=off`), so a workspace does not get a single command at its root:
//! each module, listed by `use` or not, gets its own. `go.work` still matters for the toolchain
//! and for a warning when a `use` directory holds no `go.mod`.
//!
//! Toolchain (`go`): `.go-version` first ([`Source::ToolchainFile`]); then, from `go.work` or
//! `go.mod`, the `toolchain` directive (`toolchain go1.22.3` → `1.22.3`) over the `go`
//! directive (`go 1.22`), because `toolchain` is the release the go command itself switches
//! to and what `actions/setup-go` installs from `go-version-file`; the `go` line is only the
//! minimum language version.
//!
//! Build: the module's `main` packages ([`BuildFacts::main_packages`]) are the directories of
//! the module (not of a nested one) whose Go files declare `package main`, as the go command
//! sees them: `_test.go` files, `testdata`, `vendor` and directories starting with `.` or `_`
//! are left out, and so are files a build constraint or a non-Linux file name may exclude
//! (`//go:build ignore` generators beside a library are often `package main`). Only the
//! package clause of one file per directory is read. A module without one is a library.
//!
//! Format: <https://go.dev/ref/mod#go-mod-file>, <https://go.dev/ref/mod#go-work-file>,
//! <https://go.dev/doc/toolchain>, <https://pkg.go.dev/cmd/go#hdr-Build_constraints>.

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::relative_to;
use super::{
    BuildFacts, Language, PackageManager, Project, Scan, Source, dir_of, file_name, join, normalize,
};

/// The command that tests one module.
pub const TEST_COMMAND: &str = "go test ./...";

/// True for file names this ecosystem reads.
pub fn interesting(file_name: &str) -> bool {
    matches!(file_name, "go.mod" | "go.work" | ".go-version")
        || (file_name.ends_with(".go") && !file_name.ends_with("_test.go"))
}

/// Operating systems a file name suffix (`_windows.go`, `_darwin_arm64.go`) limits a file to;
/// CI runs on Linux.
const OTHER_GOOS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "wasip1",
    "windows",
    "zos",
];

/// True when the file's name limits it to another operating system.
fn other_os(name: &str) -> bool {
    let stem = name.trim_end_matches(".go");
    let mut parts = stem.rsplit('_');
    let last = parts.next().unwrap_or("");
    let before = parts.next();
    // Only `name_GOOS` or `name_GOOS_GOARCH`, and never the whole name (`windows.go`).
    OTHER_GOOS.contains(&last) && stem != last
        || before.is_some_and(|b| OTHER_GOOS.contains(&b) && stem != format!("{b}_{last}"))
}

/// The package a Go file declares and whether a build constraint line (`//go:build`,
/// `// +build`) precedes it; `None` when no package clause is found.
pub fn package_clause(text: &str) -> Option<(String, bool)> {
    let mut constrained = false;
    let mut in_block = false;
    for raw in text.lines() {
        let mut line = raw.trim();
        if in_block {
            match line.find("*/") {
                Some(end) => {
                    in_block = false;
                    line = line[end + 2..].trim();
                }
                None => continue,
            }
        }
        if line.starts_with("//go:build") || line.starts_with("// +build") {
            constrained = true;
            continue;
        }
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        if let Some(rest) = line.strip_prefix("/*") {
            if !rest.contains("*/") {
                in_block = true;
            }
            continue;
        }
        let name = line.strip_prefix("package")?;
        let name = name.split("//").next().unwrap_or("").trim();
        let name = name.split("/*").next().unwrap_or("").trim();
        return (!name.is_empty()).then(|| (name.to_owned(), constrained));
    }
    None
}

/// The `main` packages of each module, as `go build` arguments relative to the module.
fn main_packages(scan: &mut Scan<'_>, modules: &BTreeSet<String>) -> BTreeMap<String, Vec<String>> {
    let index = scan.index();
    let mut by_dir: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for rel in index.matching(|n| n.ends_with(".go") && !n.ends_with("_test.go")) {
        by_dir.entry(dir_of(rel)).or_default().push(rel);
    }
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (dir, files) in by_dir {
        let module = std::iter::once(dir.to_owned())
            .chain(super::manifest::ancestors(dir))
            .find(|d| modules.contains(d));
        let Some(module) = module else {
            continue;
        };
        let Some(rel) = relative_to(&module, dir) else {
            continue;
        };
        let ignored = rel != "."
            && rel
                .split('/')
                .any(|p| p.starts_with(['.', '_']) || p == "testdata" || p == "vendor");
        if ignored {
            continue;
        }
        let mut package = None;
        for file in files.iter().filter(|f| !other_os(file_name(f))) {
            // Unreadable sources are the compiler's business, not a detection warning.
            let Ok(text) = index.read(file) else {
                continue;
            };
            if let Some((name, false)) = package_clause(&text) {
                package = Some(name);
                break;
            }
        }
        if package.as_deref() == Some("main") {
            let arg = if rel == "." {
                ".".to_owned()
            } else {
                format!("./{rel}")
            };
            out.entry(module).or_default().push(arg);
        }
    }
    // `go build -o bin/` names each binary after its directory: keep one per name, the
    // shallowest, so no binary silently overwrites another.
    for args in out.values_mut() {
        args.sort_by_key(|a| (a.matches('/').count(), a.clone()));
        let mut names = BTreeSet::new();
        args.retain(|a| names.insert(a.rsplit('/').next().unwrap_or(a).to_owned()));
        args.sort();
    }
    out
}

/// What `go.mod` or `go.work` says.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct GoFile {
    /// The `module` path (`go.mod` only).
    pub module: Option<String>,
    /// The `go` directive (`1.22`).
    pub go: Option<String>,
    /// The `toolchain` directive without its `go` prefix (`1.22.3`).
    pub toolchain: Option<String>,
    /// `use` directories (`go.work` only), as written.
    pub uses: Vec<String>,
}

impl GoFile {
    /// The version CI should install: `toolchain` over `go`.
    pub fn version(&self) -> Option<&str> {
        self.toolchain.as_deref().or(self.go.as_deref())
    }
}

/// Reads this ecosystem's files and reports into the scan.
pub fn scan(scan: &mut Scan<'_>) {
    let index = scan.index();
    for rel in index.named(".go-version") {
        if let Some(text) = scan.read(rel)
            && let Some(v) = text.lines().map(str::trim).find(|l| !l.is_empty())
        {
            scan.toolchain("go", v.trim_start_matches("go"), Source::ToolchainFile, rel);
            scan.language(Language::Go, rel);
        }
    }
    let modules: BTreeSet<String> = index
        .named("go.mod")
        .map(|m| dir_of(m).to_owned())
        .collect();
    let mut mains = main_packages(scan, &modules);
    for rel in index.named("go.mod") {
        scan.build(
            dir_of(rel),
            Language::Go,
            BuildFacts {
                main_packages: mains.remove(dir_of(rel)).unwrap_or_default(),
                ..BuildFacts::default()
            },
        );
        scan.project(Project {
            path: dir_of(rel).to_owned(),
            stack: Language::Go,
            package_manager: PackageManager::GoModules,
            test_command: Some(TEST_COMMAND.to_owned()),
        });
        let Some(text) = scan.read(rel) else {
            continue;
        };
        let parsed = parse(&text);
        if parsed.module.is_none() {
            scan.warn(rel, "no `module` directive; is this a go.mod file?");
        }
        if let Some(v) = parsed.version() {
            scan.toolchain("go", v, Source::Manifest, rel);
        }
    }
    for rel in index.named("go.work") {
        let Some(text) = scan.read(rel) else {
            continue;
        };
        let parsed = parse(&text);
        if let Some(v) = parsed.version() {
            scan.toolchain("go", v, Source::Manifest, rel);
        }
        for dir in &parsed.uses {
            let module = normalize(&join(dir_of(rel), dir)).map(|d| join(&d, "go.mod"));
            let exists = module
                .as_deref()
                .is_some_and(|m| index.contains(m) || index.root().join(m).is_file());
            if !exists {
                scan.warn(rel, format!("`use {dir}` names a directory without go.mod"));
            }
        }
    }
}

/// Parses the directives of `go.mod` or `go.work` that detection needs. Unknown directives and
/// malformed lines are ignored, as they do not change what is detected.
pub fn parse(text: &str) -> GoFile {
    let mut out = GoFile::default();
    let mut block: Option<String> = None;
    for raw in text.lines() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if let Some(verb) = &block {
            if line == ")" {
                block = None;
            } else if verb == "use" {
                out.uses.push(unquote(line).to_owned());
            }
            continue;
        }
        let (verb, rest) = line
            .split_once(char::is_whitespace)
            .map_or((line, ""), |(v, r)| (v, r.trim()));
        if rest == "(" {
            block = Some(verb.to_owned());
            continue;
        }
        let value = unquote(rest);
        if value.is_empty() {
            continue;
        }
        match verb {
            "module" => out.module = Some(value.to_owned()),
            "go" => out.go = Some(value.to_owned()),
            // `toolchain default` names no release.
            "toolchain" if value.starts_with("go") => {
                out.toolchain = Some(value.trim_start_matches("go").to_owned());
            }
            "use" => out.uses.push(value.to_owned()),
            _ => {}
        }
    }
    out
}

fn strip_comment(line: &str) -> &str {
    line.find("//").map_or(line, |i| &line[..i])
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| s.strip_prefix('`').and_then(|s| s.strip_suffix('`')))
        .unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn go_mod_directives() {
        let text = "// Service.\nmodule github.com/acme/shop // the module\n\ngo 1.22\n\n\
                    toolchain go1.22.3\n\nrequire (\n\tgithub.com/x/y v1.0.0\n\tgo v1\n)\n";
        let parsed = parse(text);
        assert_eq!(parsed.module.as_deref(), Some("github.com/acme/shop"));
        assert_eq!(parsed.go.as_deref(), Some("1.22"));
        assert_eq!(parsed.version(), Some("1.22.3"));
    }

    #[test]
    fn go_directive_without_toolchain() {
        let parsed = parse("module x\ngo 1.21.0\ntoolchain default\n");
        assert_eq!(parsed.version(), Some("1.21.0"));
    }

    #[test]
    fn go_work_use_lines_and_blocks() {
        let parsed =
            parse("go 1.22\n\nuse (\n\t.\n\t./tools // linters\n\t\"./a b\"\n)\nuse ./cmd\n");
        assert_eq!(parsed.uses, vec![".", "./tools", "./a b", "./cmd"]);
        assert_eq!(parsed.module, None);
    }

    #[test]
    fn package_clauses_after_comments_and_constraints() {
        assert_eq!(
            package_clause("// Copyright\n/* a\n block */\n\npackage main // the app\n"),
            Some(("main".to_owned(), false))
        );
        assert_eq!(
            package_clause("//go:build ignore\n\npackage main\n"),
            Some(("main".to_owned(), true))
        );
        assert_eq!(package_clause("// nothing\n"), None);
        assert!(other_os("service_windows.go"));
        assert!(other_os("poll_darwin_arm64.go"));
        assert!(!other_os("windows.go"));
        assert!(!other_os("main_linux.go"));
    }

    fn detect(files: &[(&str, &str)]) -> crate::detect::Stacks {
        crate::detect::manifest::scan_files(files, super::scan).0
    }

    fn mains(s: &crate::detect::Stacks, dir: &str) -> Vec<String> {
        s.builds[&(dir.to_owned(), Language::Go)]
            .main_packages
            .clone()
    }

    #[test]
    fn main_packages_are_found_per_module_and_a_library_has_none() {
        let s = detect(&[
            ("go.mod", "module example.com/app\ngo 1.22\n"),
            ("main.go", "package main\nfunc main() {}\n"),
            ("cmd/worker/worker.go", "// Worker.\npackage main\n"),
            ("internal/db/db.go", "package db\n"),
            ("internal/db/gen.go", "//go:build ignore\n\npackage main\n"),
            ("tools/svc/svc_windows.go", "package main\n"),
            ("_examples/demo/main.go", "package main\n"),
            ("lib/go.mod", "module example.com/lib\n"),
            ("lib/lib.go", "package lib\n"),
            ("lib/gen/gen.go", "//go:build ignore\npackage main\n"),
        ]);
        assert_eq!(mains(&s, "."), vec![".", "./cmd/worker"]);
        assert!(mains(&s, "lib").is_empty(), "a library has no main package");
    }

    #[test]
    fn garbage_yields_nothing() {
        assert_eq!(parse("\u{feff}}}} ((( \0"), GoFile::default());
        assert_eq!(parse("use (\n"), GoFile::default());
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = parse(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn parse_never_panics_on_shaped_text(text in "(module|go|toolchain|use|\\(|\\)|\"|`|//| |\n|[a-z0-9.])*") {
            let _ = parse(&text);
        }
    }
}
