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
//! Format: <https://go.dev/ref/mod#go-mod-file>, <https://go.dev/ref/mod#go-work-file>,
//! <https://go.dev/doc/toolchain>.

use super::{Language, PackageManager, Project, Scan, Source, dir_of, join, normalize};

/// The command that tests one module.
pub const TEST_COMMAND: &str = "go test ./...";

/// True for file names this ecosystem reads.
pub fn interesting(file_name: &str) -> bool {
    matches!(file_name, "go.mod" | "go.work" | ".go-version")
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
    for rel in index.named("go.mod") {
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
