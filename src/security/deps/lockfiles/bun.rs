//! `bun.lock`, Bun's text lockfile (JSONC: comments and trailing commas allowed)
//! (<https://bun.sh/docs/install/lockfile>). Each `packages` entry is an array whose first item
//! is `"name@version"`; workspace, link, file and git entries are left out.

use serde_json::Value;

use super::{Malformed, Package, Parsed, find_line, looks_like_version};
use crate::security::deps::Ecosystem;

/// JSONC to JSON with the same line numbers: comments become spaces, trailing commas go.
pub fn strip_jsonc(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    let mut in_str = false;
    while i < b.len() {
        let c = b[i];
        if in_str {
            out.push(c);
            if c == b'\\' && i + 1 < b.len() {
                out.push(b[i + 1]);
                i += 1;
            } else if c == b'"' {
                in_str = false;
            }
            i += 1;
            continue;
        }
        match (c, b.get(i + 1)) {
            (b'"', _) => {
                in_str = true;
                out.push(c);
                i += 1;
            }
            (b'/', Some(b'/')) => {
                while i < b.len() && b[i] != b'\n' {
                    out.push(b' ');
                    i += 1;
                }
            }
            (b'/', Some(b'*')) => {
                out.extend_from_slice(b"  ");
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    out.push(if b[i] == b'\n' { b'\n' } else { b' ' });
                    i += 1;
                }
                if i < b.len() {
                    out.extend_from_slice(b"  ");
                    i += 2;
                }
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    // Trailing commas: a `,` whose next non-blank byte closes an object or array.
    let mut j = 0;
    let mut in_str = false;
    while j < out.len() {
        let c = out[j];
        if in_str {
            if c == b'\\' {
                j += 1;
            } else if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b',' {
            let next = out[j + 1..].iter().find(|x| !x.is_ascii_whitespace());
            if matches!(next, Some(b'}' | b']')) {
                out[j] = b' ';
            }
        }
        j += 1;
    }
    // Only ASCII bytes were replaced by ASCII bytes, so the text stays UTF-8.
    String::from_utf8(out).unwrap_or_default()
}

pub fn read(text: &str) -> Result<Parsed, Malformed> {
    let json = strip_jsonc(text);
    let root: Value = serde_json::from_str(&json).map_err(|e| Malformed::json(&e))?;
    if root
        .get("lockfileVersion")
        .and_then(Value::as_u64)
        .is_none()
    {
        return Err(Malformed::at(
            1,
            "no `lockfileVersion`: not a bun.lock file",
        ));
    }
    let mut out = Parsed::default();
    let Some(packages) = root.get("packages").and_then(Value::as_object) else {
        return Ok(out);
    };
    for (key, entry) in packages {
        let Some(id) = entry.get(0).and_then(Value::as_str) else {
            continue;
        };
        let Some(at) = id.get(1..).and_then(|s| s.rfind('@')).map(|a| a + 1) else {
            continue;
        };
        let (name, version) = (&id[..at], &id[at + 1..]);
        if !looks_like_version(version) {
            continue;
        }
        out.packages.push(Package {
            ecosystem: Ecosystem::Npm,
            name: name.to_owned(),
            version: version.to_owned(),
            line: find_line(text, &format!("\"{key}\": ["), 0),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonc_keeps_lines_and_strings() {
        let s = strip_jsonc("{\n // c\n \"a\": \"x // y\", /* z\n */ \"b\": [1,],\n}");
        let v: Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["a"], "x // y");
        assert_eq!(s.lines().count(), 5);
    }

    #[test]
    fn reads_packages() {
        let text = "{\n  \"lockfileVersion\": 1,\n  \"workspaces\": { \"\": { \"name\": \"app\", }, },\n  \"packages\": {\n    \"semver\": [\"semver@7.5.1\", \"\", {}, \"sha512-x\"],\n    \"app-lib\": [\"app-lib@workspace:packages/lib\"],\n  },\n}\n";
        let p = read(text).unwrap().packages;
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].name.as_str(), p[0].line), ("semver", Some(5)));
    }
}
