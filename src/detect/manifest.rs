//! Helpers shared by the manifest parsers: parse-error messages that name a line, and workspace
//! member globs.
//!
//! Member globs follow the tools that read them: Cargo `workspace.members` / `exclude`
//! (<https://doc.rust-lang.org/cargo/reference/workspaces.html#the-members-and-exclude-fields>),
//! npm / yarn / bun `workspaces` (<https://docs.npmjs.com/cli/using-npm/workspaces>), pnpm
//! `pnpm-workspace.yaml` `packages` with `!` negations
//! (<https://pnpm.io/pnpm-workspace_yaml>) and uv `tool.uv.workspace`
//! (<https://docs.astral.sh/uv/concepts/projects/workspaces/>). `*` never crosses a `/`; `**`
//! does. An excluded directory also excludes everything below it, as Cargo's `exclude` does.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use super::normalize;

/// A TOML parse error as a warning message: `invalid TOML at line 3: expected `=``.
pub fn toml_error(text: &str, err: &toml::de::Error) -> String {
    let message = first_line(err.message());
    match err.span() {
        Some(span) => format!(
            "skipped: invalid TOML at line {}: {message}",
            line_of(text, span.start)
        ),
        None => format!("skipped: invalid TOML: {message}"),
    }
}

/// A JSON parse error as a warning message.
pub fn json_error(err: &serde_json::Error) -> String {
    format!("skipped: invalid JSON: {}", first_line(&err.to_string()))
}

/// A YAML parse error as a warning message.
pub fn yaml_error(err: &serde_saphyr::Error) -> String {
    format!("skipped: invalid YAML: {}", first_line(&err.to_string()))
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or("").trim()
}

/// The 1-based line of a byte offset (clamped to the text).
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}
/// The strings of a TOML array (non-strings skipped); empty when absent or not an array.
pub fn toml_strings(array: Option<&toml::Value>) -> Vec<String> {
    array
        .and_then(toml::Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(toml::Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Which C-family syntax [`strip_comments`] understands.
#[derive(Debug, Clone, Copy)]
pub struct CommentSyntax {
    /// Characters that open and close a string literal (`"` for JSON, `"` and `'` for Groovy
    /// and Kotlin build scripts).
    pub quotes: &'static [char],
    /// Also drop trailing commas before `}` or `]` (JSONC: tsconfig.json, deno.jsonc).
    pub trailing_commas: bool,
}

/// Replaces `//` and `/* */` comments outside string literals with a space, keeping every line
/// break so that parse errors still name the right line. Linear in the input.
pub fn strip_comments(text: &str, syntax: CommentSyntax) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            out.push(c);
            if c == '\\' {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            } else if c == q || c == '\n' {
                quote = None;
            }
            continue;
        }
        match (c, chars.peek()) {
            ('/', Some('/')) => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut prev = ' ';
                for n in chars.by_ref() {
                    if prev == '*' && n == '/' {
                        break;
                    }
                    if n == '\n' {
                        out.push('\n');
                    }
                    prev = n;
                }
                out.push(' ');
            }
            (',', _) if syntax.trailing_commas => {
                // A trailing comma: the next significant character closes the container.
                let next = chars.clone().find(|n| !n.is_whitespace());
                if !matches!(next, Some('}' | ']')) {
                    out.push(c);
                }
            }
            (c, _) if syntax.quotes.contains(&c) => {
                quote = Some(c);
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// A workspace member pattern that was left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// The pattern as written.
    pub pattern: String,
    /// Why it was left out: `not a valid glob`, `it leaves the workspace root`.
    pub reason: &'static str,
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ignored workspace member `{}`: {}",
            self.pattern, self.reason
        )
    }
}

/// Which directories below a workspace root are its members.
#[derive(Debug, Clone)]
pub struct Members {
    include: GlobSet,
    exclude: GlobSet,
    empty: bool,
}

impl Members {
    /// Members from `include` patterns (a leading `!` turns one into an exclusion) and
    /// `exclude` patterns. Returns the patterns left out beside the result: those that are not
    /// valid globs and those that leave the workspace root (`../../`, `/etc`).
    pub fn new<I, E>(include: I, exclude: E) -> (Self, Vec<Rejected>)
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
        E: IntoIterator,
        E::Item: AsRef<str>,
    {
        let mut bad = Vec::new();
        let mut inc = GlobSetBuilder::new();
        let mut exc = GlobSetBuilder::new();
        let mut empty = true;
        let add = |builder: &mut GlobSetBuilder, raw: &str, bad: &mut Vec<Rejected>| -> bool {
            let pattern = match clean(raw) {
                Ok(Some(pattern)) => pattern,
                Ok(None) => return false,
                Err(reason) => {
                    bad.push(Rejected {
                        pattern: raw.to_owned(),
                        reason,
                    });
                    return false;
                }
            };
            match GlobBuilder::new(&pattern)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
            {
                Ok(glob) => {
                    builder.add(glob);
                    true
                }
                Err(_) => {
                    bad.push(Rejected {
                        pattern: raw.to_owned(),
                        reason: "not a valid glob",
                    });
                    false
                }
            }
        };
        for raw in include {
            let raw = raw.as_ref().trim();
            if let Some(negated) = raw.strip_prefix('!') {
                add(&mut exc, negated, &mut bad);
            } else if add(&mut inc, raw, &mut bad) {
                empty = false;
            }
        }
        for raw in exclude {
            add(
                &mut exc,
                raw.as_ref().trim().trim_start_matches('!'),
                &mut bad,
            );
        }
        let members = Self {
            include: inc.build().unwrap_or_else(|_| GlobSet::empty()),
            exclude: exc.build().unwrap_or_else(|_| GlobSet::empty()),
            empty,
        };
        (members, bad)
    }

    /// True when no include pattern was given.
    pub fn is_empty(&self) -> bool {
        self.empty
    }

    /// True when `rel` (a directory relative to the workspace root) is a member.
    pub fn contains(&self, rel: &str) -> bool {
        rel != "." && self.include.is_match(rel) && !self.excludes(rel)
    }

    /// True when `rel` or one of its parent directories is excluded.
    pub fn excludes(&self, rel: &str) -> bool {
        let mut cur = rel;
        loop {
            if self.exclude.is_match(cur) {
                return true;
            }
            match cur.rsplit_once('/') {
                Some((parent, _)) => cur = parent,
                None => return false,
            }
        }
    }
}

/// A pattern relative to the workspace root; `None` when it is empty or the root itself, an
/// error when it leaves the root (`../shared/*`, or an absolute path such as `/etc`, which
/// would otherwise match a directory of the same name inside the repository).
fn clean(raw: &str) -> Result<Option<String>, &'static str> {
    const LEAVES: &str = "it leaves the workspace root";
    let raw = raw.trim();
    let absolute = raw.starts_with(['/', '\\'])
        || raw.as_bytes().get(1) == Some(&b':') && raw.as_bytes()[0].is_ascii_alphabetic();
    if absolute {
        return Err(LEAVES);
    }
    let raw = raw.trim_end_matches('/');
    if raw.is_empty() {
        return Ok(None);
    }
    // `normalize` would turn `**` segments into themselves and drop `./`; a glob that climbs
    // out of the root (`../shared/*`) cannot name anything the walk saw.
    let pattern = normalize(raw).ok_or(LEAVES)?;
    Ok((pattern != ".").then_some(pattern))
}

/// `dir` relative to `root` (both relative to the repository root), or `None` when `dir` is not
/// inside `root`. `root` itself is `.`.
pub fn relative_to(root: &str, dir: &str) -> Option<String> {
    if root == "." {
        return Some(dir.to_owned());
    }
    if dir == root {
        return Some(".".to_owned());
    }
    dir.strip_prefix(root)
        .and_then(|rest| rest.strip_prefix('/'))
        .map(str::to_owned)
}

/// The parent directories of `dir`, nearest first, ending with `.`; empty for `.`.
pub fn ancestors(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    if dir == "." {
        return out;
    }
    let mut cur = dir;
    while let Some((parent, _)) = cur.rsplit_once('/') {
        out.push(parent.to_owned());
        cur = parent;
    }
    out.push(".".to_owned());
    out
}

/// Test support: runs one ecosystem's scan over files written to a temporary directory.
#[cfg(test)]
pub(crate) fn scan_files(
    files: &[(&str, &str)],
    scan: fn(&mut super::Scan<'_>),
) -> (super::Stacks, Vec<super::Warning>) {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, text).expect("write");
    }
    let index = super::Index::new(
        dir.path(),
        files.iter().map(|(p, _)| (*p).to_owned()).collect(),
    );
    let mut s = super::Scan::new(&index);
    scan(&mut s);
    let d = s.finish();
    (d.stacks, d.warnings)
}

#[cfg(test)]
mod tests {

    #[test]
    fn strip_comments_keeps_strings_lines_and_drops_trailing_commas() {
        let jsonc = "{\n  // a comment\n  \"url\": \"http://x/*y*/\", /* block\n spanning */\n  \"a\": [1, 2,],\n}\n";
        let json = CommentSyntax {
            quotes: &['"'],
            trailing_commas: true,
        };
        let out = strip_comments(jsonc, json);
        assert_eq!(out.lines().count(), jsonc.lines().count());
        let value: serde_json::Value =
            serde_json::from_str(&out).expect("valid JSON after stripping");
        assert_eq!(value["url"], "http://x/*y*/");
        assert_eq!(value["a"], serde_json::json!([1, 2]));
        let groovy = CommentSyntax {
            quotes: &['"', '\''],
            trailing_commas: false,
        };
        assert_eq!(
            strip_comments("include 'a//b' // c\n", groovy),
            "include 'a//b' \n"
        );
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn globs_do_not_cross_directories_and_negations_exclude() {
        let (m, bad) = Members::new(["apps/*", "packages/*", "!packages/legacy-*"], [""; 0]);
        assert!(bad.is_empty());
        assert!(m.contains("apps/web"));
        assert!(m.contains("packages/ui"));
        assert!(!m.contains("packages/legacy-forms"));
        assert!(!m.contains("apps/web/nested"));
        assert!(!m.contains("examples/basic"));
        assert!(!m.contains("."));
    }

    #[test]
    fn double_star_crosses_directories_and_exclude_covers_children() {
        let (m, _) = Members::new(["./crates/**", "tools/xtask/"], ["crates/legacy"]);
        assert!(m.contains("crates/a"));
        assert!(m.contains("crates/a/b"));
        assert!(m.contains("tools/xtask"));
        assert!(!m.contains("crates/legacy"));
        assert!(!m.contains("crates/legacy/inner"));
    }

    #[test]
    fn bad_and_escaping_patterns_are_reported_or_ignored() {
        let (m, bad) = Members::new(
            [
                "crates/[",
                "../outside/*",
                "ok",
                "../../",
                "/etc",
                "C:\\x",
                ".",
            ],
            [""; 0],
        );
        let bad: Vec<String> = bad.iter().map(ToString::to_string).collect();
        assert_eq!(
            bad,
            vec![
                "ignored workspace member `crates/[`: not a valid glob",
                "ignored workspace member `../outside/*`: it leaves the workspace root",
                "ignored workspace member `../../`: it leaves the workspace root",
                "ignored workspace member `/etc`: it leaves the workspace root",
                "ignored workspace member `C:\\x`: it leaves the workspace root",
            ]
        );
        assert!(m.contains("ok"));
        assert!(!m.contains("outside/x"));
        assert!(!m.contains("etc"));
    }

    #[test]
    fn paths_relative_to_a_root() {
        assert_eq!(relative_to(".", "a/b").as_deref(), Some("a/b"));
        assert_eq!(relative_to("a", "a/b").as_deref(), Some("b"));
        assert_eq!(relative_to("a", "a").as_deref(), Some("."));
        assert_eq!(relative_to("a", "ab/c"), None);
        assert_eq!(ancestors("a/b/c"), vec!["a/b", "a", "."]);
        assert!(ancestors(".").is_empty());
    }

    #[test]
    fn toml_errors_name_the_line() {
        let text = "[package]\nname = \"x\"\nversion = \n";
        let err = toml::from_str::<toml::Table>(text).expect_err("broken");
        assert!(toml_error(text, &err).starts_with("skipped: invalid TOML at line 3"));
    }

    /// Every manifest name the Rust, Node and Python detectors read, at the root and one level
    /// down, so workspace logic runs too.
    const MANIFESTS: &[&str] = &[
        "Cargo.toml",
        "rust-toolchain",
        "rust-toolchain.toml",
        "package.json",
        "pnpm-workspace.yaml",
        "deno.json",
        ".nvmrc",
        "pyproject.toml",
        "Pipfile",
        "setup.cfg",
        "tox.ini",
        "requirements.txt",
        ".python-version",
    ];

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        #[test]
        fn detection_never_panics_on_random_manifests(
            contents in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..256), MANIFESTS.len() * 2)
        ) {
            let dir = tempfile::tempdir().expect("temp dir");
            std::fs::create_dir_all(dir.path().join("pkg")).expect("mkdir");
            for (i, bytes) in contents.iter().enumerate() {
                let name = MANIFESTS[i % MANIFESTS.len()];
                let rel = if i < MANIFESTS.len() { name.to_owned() } else { format!("pkg/{name}") };
                std::fs::write(dir.path().join(rel), bytes).expect("write");
            }
            let detection = crate::detect::detect(dir.path()).expect("a directory");
            for w in &detection.warnings {
                prop_assert!(!w.message.is_empty());
            }
        }
    }

    proptest! {
        #[test]
        fn member_globs_never_panic(patterns in proptest::collection::vec(".{0,12}", 0..4), dir in ".{0,20}") {
            let (m, _) = Members::new(&patterns, &patterns);
            let _ = m.contains(&dir);
        }
    }
}
