//! The version in manifests, rewritten in place for a release pull request: only the version
//! text changes, every other byte of the file stays as it was.
//!
//! - `Cargo.toml`: `version` of `[package]` or `[workspace.package]` (a member with
//!   `version.workspace = true` follows the workspace and is left alone);
//! - `Cargo.lock`: each local package (no `source`) at the previous version;
//! - `package.json`: the top-level `"version"`;
//! - `pyproject.toml`: `version` of `[project]` or `[tool.poetry]`;
//! - `pom.xml`: the `<version>` that is a child of `<project>` (not of `<parent>`);
//! - `gradle.properties`: `version=`;
//! - `VERSION`: the whole file;
//! - any other file (`release.extra-files`): each line holding the marker
//!   `slipway-release-version` has its SemVer version replaced.
//!
//! A manifest whose version cannot be found or is not SemVer is an error naming the file, the
//! line and what to do; nothing is written by this module.

use semver::Version;

/// The marker that puts a line of an extra file under release.
pub const MARKER: &str = "slipway-release-version";

/// Why a manifest could not be bumped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{path}`{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct Error {
    /// The file, relative to the repository root.
    pub path: String,
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub hint: String,
}

impl crate::error::Hint for Error {
    fn hint(&self) -> Option<String> {
        Some(self.hint.clone())
    }
}

/// A manifest with its version replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bumped {
    /// The version found, when the file holds one of its own.
    pub previous: Option<String>,
    /// The new text (the same as before when the file follows another, e.g. a workspace).
    pub text: String,
}

/// Rewrites the version in `text`, the contents of `path` (its file name picks the format).
/// `previous` is the version being released from, used where a file holds several
/// (`Cargo.lock`).
pub fn bump(path: &str, text: &str, previous: &str, next: &Version) -> Result<Bumped, Error> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let err = |line: Option<usize>, message: String, hint: &str| Error {
        path: path.to_owned(),
        line,
        message,
        hint: hint.to_owned(),
    };
    let next = next.to_string();
    match name {
        "Cargo.toml" => toml_version(text, &["package", "workspace.package"], &next)
            .map_err(|(line, m)| {
                err(line, m, "give `[package]` a `version = \"1.2.3\"` (or `version.workspace = true` and a `[workspace.package]` version)")
            }),
        "pyproject.toml" => toml_version(text, &["project", "tool.poetry"], &next).map_err(
            |(line, m)| {
                err(line, m, "give `[project]` a static `version = \"1.2.3\"`; a version computed at build time (`dynamic`) lives in another file: list that file in `release.extra-files` with a `slipway-release-version` comment on its line")
            },
        ),
        "Cargo.lock" => Ok(cargo_lock(text, previous, &next)),
        "package.json" => json_version(text, &next)
            .map_err(|(line, m)| err(line, m, "add a top-level `\"version\": \"1.2.3\"`")),
        "pom.xml" => pom_version(text, &next).map_err(|(line, m)| {
            err(line, m, "give `<project>` its own `<version>1.2.3</version>`")
        }),
        "gradle.properties" => gradle_version(text, &next)
            .map_err(|(line, m)| err(line, m, "add a line `version=1.2.3`")),
        "VERSION" => {
            let found = text.trim();
            check(found).map_err(|m| err(Some(1), m, "write the version alone, e.g. `1.2.3`"))?;
            Ok(Bumped {
                previous: Some(found.to_owned()),
                text: text.replacen(found, &next, 1),
            })
        }
        _ => marked(text, &next).map_err(|(line, m)| {
            err(line, m, "put `slipway-release-version` in a comment on the line that holds the version, e.g. `__version__ = \"1.2.3\"  # slipway-release-version`")
        }),
    }
}

type Found = Result<Bumped, (Option<usize>, String)>;

fn check(found: &str) -> Result<(), String> {
    Version::parse(found)
        .map(drop)
        .map_err(|e| format!("the version `{found}` is not a semantic version ({e})"))
}

/// Byte offset of each line start.
fn lines(text: &str) -> impl Iterator<Item = (usize, usize, &str)> {
    let mut offset = 0;
    text.split_inclusive('\n').enumerate().map(move |(i, l)| {
        let start = offset;
        offset += l.len();
        (i + 1, start, l)
    })
}

/// The string value of `key = "…"` on `line`: its byte range within the line.
fn toml_string(line: &str, key: &str) -> Option<(usize, usize)> {
    let rest = line.trim_start();
    let indent = line.len() - rest.len();
    let after = rest.strip_prefix(key)?;
    let eq = after.trim_start();
    if !eq.starts_with('=') {
        return None;
    }
    let value = eq[1..].trim_start();
    let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let start = indent + key.len() + (after.len() - value.len()) + 1;
    let len = value[1..].find(quote)?;
    Some((start, start + len))
}

fn toml_version(text: &str, tables: &[&str], next: &str) -> Found {
    let mut table = String::new();
    let mut dynamic = false;
    for (no, start, line) in lines(text) {
        let t = line.trim();
        if t.starts_with('[') && !t.starts_with("[[") {
            table = t
                .trim_start_matches('[')
                .split(']')
                .next()
                .unwrap_or("")
                .replace(' ', "");
            continue;
        }
        if t.starts_with("[[") {
            table.clear();
            continue;
        }
        if !tables.contains(&table.as_str()) {
            continue;
        }
        if t.starts_with("version.workspace") || t.starts_with("version = {") {
            // Follows the workspace's version: nothing of its own to change.
            return Ok(Bumped {
                previous: None,
                text: text.to_owned(),
            });
        }
        if t.starts_with("dynamic") && t.contains("\"version\"") {
            dynamic = true;
        }
        if let Some((a, b)) = toml_string(line, "version") {
            let found = &line[a..b];
            check(found).map_err(|m| (Some(no), m))?;
            let mut out = text.to_owned();
            out.replace_range(start + a..start + b, next);
            return Ok(Bumped {
                previous: Some(found.to_owned()),
                text: out,
            });
        }
    }
    let what = tables
        .iter()
        .map(|t| format!("`[{t}]`"))
        .collect::<Vec<_>>()
        .join(" or ");
    Err((
        None,
        if dynamic {
            "the version is `dynamic`: it is not in this file".to_owned()
        } else {
            format!("no `version` in {what}")
        },
    ))
}

fn cargo_lock(text: &str, previous: &str, next: &str) -> Bumped {
    // Blocks of `[[package]]`: local ones have no `source`.
    let mut out = String::with_capacity(text.len());
    for block in text.split_inclusive("\n\n") {
        let local = block.contains("[[package]]") && !block.contains("\nsource = ");
        let mut done = false;
        for line in block.split_inclusive('\n') {
            if local
                && !done
                && let Some((a, b)) = toml_string(line, "version")
                && &line[a..b] == previous
            {
                out.push_str(&line[..a]);
                out.push_str(next);
                out.push_str(&line[b..]);
                done = true;
            } else {
                out.push_str(line);
            }
        }
    }
    Bumped {
        previous: None,
        text: out,
    }
}

/// The top-level `"version"` string of a JSON object, found by a scan that tracks strings and
/// nesting (the rest of the file is kept byte for byte).
fn json_version(text: &str, next: &str) -> Found {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    let line_of = |at: usize| text[..at].matches('\n').count() + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i + 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                let end = i.min(bytes.len());
                // A key at depth 1 named `version`, followed by `:` and a string.
                if depth == 1 && &text[start..end] == "version" {
                    let rest = &text[end + 1..];
                    let after_colon = rest.trim_start().strip_prefix(':').map(str::trim_start);
                    if let Some(value) = after_colon {
                        let vstart = text.len() - value.len();
                        let Some(body) = value.strip_prefix('"') else {
                            return Err((
                                Some(line_of(vstart)),
                                "`version` is not a string".into(),
                            ));
                        };
                        let Some(len) = body.find('"') else {
                            return Err((Some(line_of(vstart)), "unterminated string".into()));
                        };
                        let found = &body[..len];
                        check(found).map_err(|m| (Some(line_of(vstart)), m))?;
                        let mut out = text.to_owned();
                        out.replace_range(vstart + 1..vstart + 1 + len, next);
                        return Ok(Bumped {
                            previous: Some(found.to_owned()),
                            text: out,
                        });
                    }
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Err((None, "no top-level `\"version\"`".into()))
}

/// The `<version>` child of `<project>`.
fn pom_version(text: &str, next: &str) -> Found {
    let mut path: Vec<String> = Vec::new();
    let mut i = 0;
    let line_of = |at: usize| text[..at].matches('\n').count() + 1;
    while let Some(open) = text[i..].find('<') {
        let at = i + open;
        let rest = &text[at..];
        if rest.starts_with("<!--") {
            i = at + rest.find("-->").map_or(rest.len(), |e| e + 3);
            continue;
        }
        if rest.starts_with("<?") || rest.starts_with("<!") {
            i = at + rest.find('>').map_or(rest.len(), |e| e + 1);
            continue;
        }
        let Some(close) = rest.find('>') else { break };
        let tag = &rest[1..close];
        i = at + close + 1;
        if let Some(name) = tag.strip_prefix('/') {
            if path.last().map(String::as_str) == Some(name.trim()) {
                path.pop();
            }
            continue;
        }
        if tag.ends_with('/') {
            continue;
        }
        let name = tag.split_whitespace().next().unwrap_or("").to_owned();
        if name == "version" && path.len() == 1 && path[0] == "project" {
            let end = text[i..]
                .find("</version>")
                .ok_or((Some(line_of(at)), "`<version>` is not closed".to_owned()))?;
            let found = text[i..i + end].trim();
            check(found).map_err(|m| (Some(line_of(at)), m))?;
            let lead = text[i..i + end].len() - text[i..i + end].trim_start().len();
            let mut out = text.to_owned();
            out.replace_range(i + lead..i + lead + found.len(), next);
            return Ok(Bumped {
                previous: Some(found.to_owned()),
                text: out,
            });
        }
        path.push(name);
    }
    Err((None, "no `<version>` directly under `<project>`".into()))
}

fn gradle_version(text: &str, next: &str) -> Found {
    for (no, start, line) in lines(text) {
        let t = line.trim_start();
        let Some(rest) = t.strip_prefix("version") else {
            continue;
        };
        let Some(value) = rest.trim_start().strip_prefix(['=', ':']) else {
            continue;
        };
        let found = value.trim();
        check(found).map_err(|m| (Some(no), m))?;
        let a = start + line.len() - line.trim_start().len()
            + (t.len() - value.len())
            + (value.len() - value.trim_start().len());
        let mut out = text.to_owned();
        out.replace_range(a..a + found.len(), next);
        return Ok(Bumped {
            previous: Some(found.to_owned()),
            text: out,
        });
    }
    Err((None, "no `version=` line".into()))
}

/// Each line holding [`MARKER`]: its first SemVer version replaced.
fn marked(text: &str, next: &str) -> Found {
    let mut out = String::with_capacity(text.len());
    let mut previous = None;
    for (no, _, line) in lines(text) {
        if !line.contains(MARKER) {
            out.push_str(line);
            continue;
        }
        let found = line
            .char_indices()
            .filter(|(i, c)| {
                c.is_ascii_digit()
                    && line[..*i]
                        .chars()
                        .last()
                        .is_none_or(|p| !p.is_ascii_alphanumeric() && p != '.')
            })
            .find_map(|(i, _)| {
                let end = line[i..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+')))
                    .map_or(line.len(), |e| i + e);
                Version::parse(&line[i..end]).ok().map(|_| (i, end))
            });
        let Some((a, b)) = found else {
            return Err((Some(no), "the marked line holds no semantic version".into()));
        };
        previous.get_or_insert_with(|| line[a..b].to_owned());
        out.push_str(&line[..a]);
        out.push_str(next);
        out.push_str(&line[b..]);
    }
    if previous.is_none() {
        return Err((None, format!("no line is marked `{MARKER}`")));
    }
    Ok(Bumped {
        previous,
        text: out,
    })
}

/// The manifests at the repository root that exist, in a stable order, then the members of a
/// Cargo workspace (`members = ["a", "crates/*"]`), then `extra` files (which must exist).
/// Symbolic links are refused: a manifest is read and written inside the repository only.
pub fn find(root: &std::path::Path, extra: &[String]) -> Result<Vec<String>, Error> {
    const ROOT_FILES: [&str; 7] = [
        "Cargo.toml",
        "Cargo.lock",
        "package.json",
        "pyproject.toml",
        "pom.xml",
        "gradle.properties",
        "VERSION",
    ];
    let mut out: Vec<String> = Vec::new();
    let mut push = |rel: String, required: bool| -> Result<(), Error> {
        let path = root.join(&rel);
        match std::fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_symlink() => Err(Error {
                path: rel,
                line: None,
                message: "is a symbolic link".into(),
                hint: "list the file it points to instead".into(),
            }),
            Ok(m) if m.is_file() => {
                if !out.contains(&rel) {
                    out.push(rel);
                }
                Ok(())
            }
            _ if required => Err(Error {
                path: rel,
                line: None,
                message: "does not exist".into(),
                hint: "fix the path in `release.extra-files` (relative to the repository root)"
                    .into(),
            }),
            _ => Ok(()),
        }
    };
    for name in ROOT_FILES {
        push(name.to_owned(), false)?;
    }
    if let Ok(text) = std::fs::read_to_string(root.join("Cargo.toml")) {
        for member in workspace_members(&text) {
            let dirs: Vec<String> = match member.strip_suffix("/*") {
                Some(parent) => {
                    let mut d: Vec<String> = std::fs::read_dir(root.join(parent))
                        .into_iter()
                        .flatten()
                        .flatten()
                        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                        .map(|e| format!("{parent}/{}", e.file_name().to_string_lossy()))
                        .collect();
                    d.sort();
                    d
                }
                None => vec![member],
            };
            for dir in dirs {
                push(format!("{dir}/Cargo.toml"), false)?;
            }
        }
    }
    for rel in extra {
        if rel.split('/').any(|part| part == ".." || part.is_empty()) || rel.starts_with('/') {
            return Err(Error {
                path: rel.clone(),
                line: None,
                message: "is outside the repository".into(),
                hint: "give a path inside the repository, e.g. `src/shop/__init__.py`".into(),
            });
        }
        push(rel.clone(), true)?;
    }
    Ok(out)
}

/// The `members` of `[workspace]` (plain paths and `dir/*`).
fn workspace_members(text: &str) -> Vec<String> {
    let mut in_workspace = false;
    let mut collecting = false;
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') && !collecting {
            in_workspace = t == "[workspace]";
            continue;
        }
        if !in_workspace {
            continue;
        }
        let rest = if collecting {
            Some(t)
        } else {
            t.strip_prefix("members")
                .and_then(|r| r.trim_start().strip_prefix('='))
                .map(str::trim_start)
        };
        let Some(rest) = rest else { continue };
        collecting = !rest.contains(']');
        for part in rest.split(',') {
            let p = part
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .trim();
            let p = p.trim_matches('"').trim_matches('\'');
            if !p.is_empty() && !p.contains("..") && !p.starts_with('/') {
                out.push(p.to_owned());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_are_found_with_workspace_members_and_extra_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\n  \"crates/*\",\n  \"tool\",\n]\n",
        )
        .unwrap();
        std::fs::write(root.join("Cargo.lock"), "version = 4\n").unwrap();
        for d in ["crates/b", "crates/a", "tool"] {
            std::fs::create_dir_all(root.join(d)).unwrap();
            std::fs::write(root.join(d).join("Cargo.toml"), "[package]\n").unwrap();
        }
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(
            root.join("src/v.py"),
            "V = \"1.0.0\"  # slipway-release-version\n",
        )
        .unwrap();
        let found = find(root, &["src/v.py".to_owned()]).unwrap();
        assert_eq!(
            found,
            [
                "Cargo.toml",
                "Cargo.lock",
                "crates/a/Cargo.toml",
                "crates/b/Cargo.toml",
                "tool/Cargo.toml",
                "src/v.py"
            ]
        );
        let err = find(root, &["../etc/passwd".to_owned()]).unwrap_err();
        assert!(err.to_string().contains("outside the repository"), "{err}");
        let err = find(root, &["src/missing.py".to_owned()]).unwrap_err();
        assert_eq!(err.to_string(), "`src/missing.py`: does not exist");
        std::os::unix::fs::symlink("/etc/hostname", root.join("VERSION")).unwrap();
        let err = find(root, &[]).unwrap_err();
        assert_eq!(err.to_string(), "`VERSION`: is a symbolic link");
    }

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn bumped(path: &str, text: &str) -> String {
        bump(path, text, "1.2.3", &v("1.3.0")).unwrap().text
    }

    #[test]
    fn cargo_toml_changes_the_package_version_only() {
        let text = "[package]\nname = \"shop\"\nversion = \"1.2.3\" # ours\n\n[dependencies]\nserde = { version = \"1.2.3\" }\n";
        assert_eq!(
            bumped("Cargo.toml", text),
            text.replacen("\"1.2.3\" # ours", "\"1.3.0\" # ours", 1)
        );
        let ws = "[workspace]\nmembers = [\"a\"]\n\n[workspace.package]\nversion = '1.2.3'\n";
        assert!(bumped("Cargo.toml", ws).contains("version = '1.3.0'"));
        let member = "[package]\nname = \"a\"\nversion.workspace = true\n";
        assert_eq!(bumped("crates/a/Cargo.toml", member), member);
    }

    #[test]
    fn cargo_lock_changes_local_packages_at_the_previous_version() {
        let text = "version = 4\n\n[[package]]\nname = \"a\"\nversion = \"1.2.3\"\ndependencies = [\n \"serde\",\n]\n\n[[package]]\nname = \"serde\"\nversion = \"1.2.3\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"b\"\nversion = \"0.4.0\"\n";
        let out = bumped("Cargo.lock", text);
        assert!(out.contains("name = \"a\"\nversion = \"1.3.0\""), "{out}");
        assert!(
            out.contains("name = \"serde\"\nversion = \"1.2.3\""),
            "{out}"
        );
        assert!(out.contains("name = \"b\"\nversion = \"0.4.0\""), "{out}");
    }

    #[test]
    fn package_json_changes_the_top_level_version_and_keeps_the_layout() {
        let text = "{\n  \"name\": \"shop\",\n  \"engines\": { \"version\": \"9.9.9\" },\n  \"version\"  :  \"1.2.3\",\n  \"x\": \"\\\"version\\\": 1\"\n}\n";
        let out = bumped("web/package.json", text);
        assert_eq!(out, text.replace("\"1.2.3\"", "\"1.3.0\""));
        let err = bump("package.json", "{\"name\": \"x\"}", "1.2.3", &v("1.3.0")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`package.json`: no top-level `\"version\"`"
        );
    }

    #[test]
    fn pyproject_reads_project_or_poetry_and_explains_a_dynamic_version() {
        let text = "[project]\nname = \"shop\"\nversion = \"1.2.3\"\n";
        assert!(bumped("pyproject.toml", text).contains("version = \"1.3.0\""));
        let poetry = "[tool.poetry]\nversion = \"1.2.3\"\n";
        assert!(bumped("pyproject.toml", poetry).contains("\"1.3.0\""));
        let dynamic = "[project]\nname = \"x\"\ndynamic = [\"version\"]\n";
        let err = bump("pyproject.toml", dynamic, "1.2.3", &v("1.3.0")).unwrap_err();
        assert!(err.message.contains("dynamic"), "{err}");
        assert!(err.hint.contains("release.extra-files"), "{err:?}");
    }

    #[test]
    fn pom_changes_the_project_version_not_the_parent_s() {
        let text = "<?xml version=\"1.0\"?>\n<project>\n  <!-- <version>0.0.1</version> -->\n  <parent>\n    <version>1.2.3</version>\n  </parent>\n  <artifactId>shop</artifactId>\n  <version>1.2.3</version>\n  <dependencies><dependency><version>1.2.3</version></dependency></dependencies>\n</project>\n";
        let out = bumped("pom.xml", text);
        assert_eq!(
            out,
            text.replace(
                "</artifactId>\n  <version>1.2.3",
                "</artifactId>\n  <version>1.3.0"
            )
        );
    }

    #[test]
    fn gradle_version_and_plain_files() {
        assert_eq!(
            bumped("gradle.properties", "group=x\nversion = 1.2.3\n"),
            "group=x\nversion = 1.3.0\n"
        );
        assert_eq!(bumped("VERSION", "1.2.3\n"), "1.3.0\n");
        let err = bump("VERSION", "latest\n", "1.2.3", &v("1.3.0")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("`VERSION` line 1: the version `latest`"),
            "{err}"
        );
    }

    #[test]
    fn extra_files_change_marked_lines_only() {
        let text = "A = \"1.2.3\"\n__version__ = \"1.2.3\"  # slipway-release-version\n";
        assert_eq!(
            bumped("src/shop/__init__.py", text),
            "A = \"1.2.3\"\n__version__ = \"1.3.0\"  # slipway-release-version\n"
        );
        let err = bump("src/x.py", "A = 1\n", "1.2.3", &v("1.3.0")).unwrap_err();
        assert!(err.to_string().contains("no line is marked"), "{err}");
    }

    #[test]
    fn a_version_that_is_not_semver_names_file_and_line() {
        let err = bump(
            "Cargo.toml",
            "[package]\nname = \"x\"\nversion = \"1.2\"\n",
            "1.2.3",
            &v("1.3.0"),
        )
        .unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(
            err.to_string()
                .starts_with("`Cargo.toml` line 3: the version `1.2`"),
            "{err}"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_text_never_panics(s in "\\PC{0,200}") {
            for name in ["Cargo.toml", "Cargo.lock", "package.json", "pyproject.toml", "pom.xml", "gradle.properties", "VERSION", "x.py"] {
                let _ = bump(name, &s, "1.2.3", &Version::new(1, 3, 0));
            }
        }
    }
}
