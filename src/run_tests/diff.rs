//! The lines a change adds, from a unified diff as `git diff --unified=0 BASE...HEAD` prints it.
//!
//! Only the new side matters for patch coverage: a hunk `@@ -a,b +c,d @@` adds (or changes:
//! with `--unified=0` a changed line is a deletion plus an addition) the new lines `c` to
//! `c+d-1`; moved lines are additions at their new place; deleted files, pure deletions, mode
//! changes and binary files add nothing. Paths follow git's rules: `diff --git a/X b/Y`, then
//! `rename to`, `+++ b/Y` (`/dev/null` for a deletion) and C-quoted names (`"b/sp\303\251cial
//! \"x\".rs"`) for names with unusual bytes. A hunk whose line counts do not match its body, or
//! a hunk outside any file, is an error naming the line: never a silently empty patch.
//! See <https://git-scm.com/docs/git-diff#_generating_patch_text_with_p> and
//! <https://git-scm.com/docs/git-config#Documentation/git-config.txt-corequotePath>.

use std::collections::BTreeMap;

/// A diff that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct DiffError {
    /// 1-based line of the diff.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// The lines added per file (new path, as in the repository), sorted.
pub type Added = BTreeMap<String, Vec<u32>>;

/// Reads a unified diff; returns the added lines of each file that has any.
///
/// ```
/// # use slipway::run_tests::diff::parse;
/// let diff = "diff --git a/src/a.rs b/src/a.rs\n--- a/src/a.rs\n+++ b/src/a.rs\n@@ -3 +3,2 @@\n-old\n+new\n+more\n";
/// assert_eq!(parse(diff).unwrap()["src/a.rs"], [3, 4]);
/// ```
pub fn parse(text: &str) -> Result<Added, DiffError> {
    let mut out = Added::new();
    // The current file's new path (`None`: deleted or binary), and the remaining lines of the
    // current hunk: old side, new side, next new line number.
    let mut file: Option<Option<String>> = None;
    let mut hunk: Option<(u32, u32, u32)> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let n = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let err = |message: String| DiffError { line: n, message };
        if let Some((old, new, next)) = hunk.as_mut() {
            if *old > 0 || *new > 0 {
                match line.as_bytes().first() {
                    Some(b'+') if *new > 0 => {
                        if let Some(Some(path)) = &file {
                            out.entry(path.clone()).or_default().push(*next);
                        }
                        *next += 1;
                        *new -= 1;
                    }
                    Some(b'-') if *old > 0 => *old -= 1,
                    Some(b' ') if *old > 0 && *new > 0 => {
                        *old -= 1;
                        *new -= 1;
                        *next += 1;
                    }
                    Some(b'\\') => {}
                    _ => {
                        return Err(err(format!(
                            "the hunk ends early: {old} removed and {new} added line(s) missing (a truncated diff?)"
                        )));
                    }
                }
                continue;
            }
            if line.starts_with('\\') {
                // `\ No newline at end of file` after the hunk's last line.
                continue;
            }
            hunk = None;
        }
        if let Some(rest) = line.strip_prefix("diff --git ") {
            file = Some(git_header_path(rest).map_err(err)?);
        } else if let Some(rest) = line.strip_prefix("+++ ") {
            let path = unquote(rest.trim_end_matches('\t')).map_err(err)?;
            file = Some(if path == "/dev/null" {
                None
            } else {
                Some(strip_prefix(&path))
            });
        } else if let Some(rest) = line.strip_prefix("rename to ") {
            file = Some(Some(unquote(rest).map_err(err)?));
        } else if line.starts_with("Binary files ")
            || line == "GIT binary patch"
            || line.starts_with("deleted file mode ")
        {
            file = Some(None);
        } else if let Some(rest) = line.strip_prefix("@@ ") {
            if file.is_none() {
                return Err(err("a hunk before any file header".into()));
            }
            let (old, new, start) = hunk_header(rest).ok_or_else(|| {
                err(format!(
                    "`@@ {rest}` is not a hunk header `@@ -a,b +c,d @@`"
                ))
            })?;
            hunk = Some((old, new, start));
        }
    }
    if let Some((old, new, _)) = hunk
        && (old > 0 || new > 0)
    {
        return Err(DiffError {
            line: text.split('\n').count(),
            message: format!(
                "the diff ends inside a hunk: {old} removed and {new} added line(s) missing (a truncated diff?)"
            ),
        });
    }
    for lines in out.values_mut() {
        lines.sort_unstable();
        lines.dedup();
    }
    Ok(out)
}

/// `-a[,b] +c[,d] @@…` → (b, d, c); a count left out is 1.
fn hunk_header(rest: &str) -> Option<(u32, u32, u32)> {
    let (ranges, _) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(' ')?;
    let range = |r: &str| -> Option<(u32, u32)> {
        match r.split_once(',') {
            Some((s, c)) => Some((s.parse().ok()?, c.parse().ok()?)),
            None => Some((r.parse().ok()?, 1)),
        }
    };
    let (_, old_count) = range(old.strip_prefix('-')?)?;
    let (start, new_count) = range(new.strip_prefix('+')?)?;
    Some((old_count, new_count, start))
}

/// The new path of `diff --git a/X b/Y` (either may be quoted). Unquoted names with spaces
/// are ambiguous here; `+++` or `rename to` lines, which follow when the content changed,
/// settle them, so the split takes the middle ` b/`.
fn git_header_path(rest: &str) -> Result<Option<String>, String> {
    let new = if let Some(open) = rest.strip_suffix('"') {
        let start = open
            .rfind(" \"")
            .ok_or_else(|| format!("cannot read the paths of `diff --git {rest}`"))?;
        unquote(&rest[start + 1..])?
    } else if let Some(i) = rest.find(" b/") {
        rest[i + 1..].to_owned()
    } else {
        return Err(format!("cannot read the paths of `diff --git {rest}`"));
    };
    Ok(Some(strip_prefix(&new)))
}

/// `b/path` → `path` (also `a/`, and the `i/` `w/` `c/` `o/` of `diff.mnemonicPrefix`).
fn strip_prefix(path: &str) -> String {
    for p in ["b/", "a/", "w/", "i/", "c/", "o/"] {
        if let Some(rest) = path.strip_prefix(p) {
            return rest.to_owned();
        }
    }
    path.to_owned()
}

/// A path as git prints it: as is, or C-quoted (`"..."` with `\\`, `\"`, `\t`, `\n`, octal
/// bytes `\303\251`).
fn unquote(s: &str) -> Result<String, String> {
    let Some(inner) = s.strip_prefix('"').and_then(|r| r.strip_suffix('"')) else {
        return Ok(s.to_owned());
    };
    let mut bytes = Vec::with_capacity(inner.len());
    let mut it = inner.bytes().peekable();
    while let Some(b) = it.next() {
        if b != b'\\' {
            bytes.push(b);
            continue;
        }
        let e = it
            .next()
            .ok_or_else(|| format!("a quoted path ends in `\\`: {s}"))?;
        bytes.push(match e {
            b'\\' => b'\\',
            b'"' => b'"',
            b't' => b'\t',
            b'n' => b'\n',
            b'r' => b'\r',
            b'a' => 0x07,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'v' => 0x0b,
            b'0'..=b'3' => {
                let mut v = u32::from(e - b'0');
                for _ in 0..2 {
                    match it.next() {
                        Some(d @ b'0'..=b'7') => v = v * 8 + u32::from(d - b'0'),
                        _ => return Err(format!("a bad octal escape in the quoted path {s}")),
                    }
                }
                u8::try_from(v).map_err(|_| format!("a bad octal escape in {s}"))?
            }
            other => {
                return Err(format!(
                    "an unknown escape `\\{}` in the quoted path {s}",
                    other as char
                ));
            }
        });
    }
    String::from_utf8(bytes).map_err(|_| format!("the quoted path {s} is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_changed_and_deleted_lines() {
        // Line 2 changed, lines 5-6 added after 4, old lines 9-10 deleted, and a change at the
        // end of a file without a final newline.
        let diff = "\
diff --git a/src/lib.rs b/src/lib.rs
index 1111111..2222222 100644
--- a/src/lib.rs
+++ b/src/lib.rs
@@ -2 +2 @@ fn a() {
-    let x = 1;
+    let x = 2;
@@ -4,0 +5,2 @@ fn b() {
+    one();
+    two();
@@ -9,2 +10,0 @@ fn c() {
-    gone();
-    gone();
@@ -20 +19 @@
-}
\\ No newline at end of file
+}
\\ No newline at end of file
";
        let a = parse(diff).unwrap();
        assert_eq!(a["src/lib.rs"], [2, 5, 6, 19]);
        assert_eq!(a.len(), 1);
    }

    #[test]
    fn renamed_deleted_binary_and_new_files() {
        let diff = "\
diff --git a/old name.py b/new name.py
similarity index 90%
rename from old name.py
rename to new name.py
index 3333333..4444444 100644
--- a/old name.py
+++ b/new name.py
@@ -7 +7 @@
-x = 1
+x = 2
diff --git a/moved.py b/elsewhere/moved.py
similarity index 100%
rename from moved.py
rename to elsewhere/moved.py
diff --git a/gone.py b/gone.py
deleted file mode 100644
index 5555555..0000000
--- a/gone.py
+++ /dev/null
@@ -1,2 +0,0 @@
-a
-b
diff --git a/logo.png b/logo.png
new file mode 100644
index 0000000..6666666
Binary files /dev/null and b/logo.png differ
diff --git a/new.py b/new.py
new file mode 100644
index 0000000..7777777
--- /dev/null
+++ b/new.py
@@ -0,0 +1,3 @@
+a = 1
+
+b = 2
";
        let a = parse(diff).unwrap();
        assert_eq!(a["new name.py"], [7]);
        assert_eq!(a["new.py"], [1, 2, 3]);
        assert_eq!(a.len(), 2, "{a:?}");
    }

    #[test]
    fn quoted_paths_follow_gits_escapes() {
        let diff = "\
diff --git \"a/sp\\303\\251cial \\\"x\\\".rs\" \"b/sp\\303\\251cial \\\"x\\\".rs\"
--- \"a/sp\\303\\251cial \\\"x\\\".rs\"
+++ \"b/sp\\303\\251cial \\\"x\\\".rs\"
@@ -1 +1 @@
-a
+b
diff --git \"a/tab\\there\" \"b/tab\\there\"
--- \"a/tab\\there\"
+++ \"b/tab\\there\"
@@ -0,0 +1 @@
+x
";
        let a = parse(diff).unwrap();
        assert_eq!(a["spécial \"x\".rs"], [1]);
        assert_eq!(a["tab\there"], [1]);
    }

    #[test]
    fn a_truncated_or_malformed_diff_is_an_error_with_its_line() {
        let cut = "diff --git a/a.rs b/a.rs\n--- a/a.rs\n+++ b/a.rs\n@@ -1,0 +1,3 @@\n+a\n+b\n";
        let e = parse(cut).unwrap_err();
        assert!(e.message.contains("truncated"), "{e}");
        let e = parse("@@ -1 +1 @@\n-a\n+b\n").unwrap_err();
        assert_eq!(e.line, 1);
        let e = parse("diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -x +1 @@\n").unwrap_err();
        assert!(e.message.contains("not a hunk header"), "{e}");
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn context_lines_advance_the_new_side() {
        let diff =
            "diff --git a/a b/a\n--- a/a\n+++ b/a\n@@ -1,3 +1,4 @@\n ctx\n+new\n ctx\n ctx\n";
        assert_eq!(parse(diff).unwrap()["a"], [2]);
    }
}
