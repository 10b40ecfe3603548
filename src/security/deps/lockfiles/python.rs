//! `poetry.lock` (<https://python-poetry.org/docs/basic-usage/#committing-your-poetrylock-file-to-version-control>)
//! and `uv.lock` (<https://docs.astral.sh/uv/concepts/projects/layout/#the-lockfile>): TOML with
//! `[[package]]` tables of `name` and `version`. Packages from git, a path or a URL, and the
//! project itself (uv's `editable`/`virtual` sources), are not on PyPI and are left out.
//! Neither records licences, so `security.licenses` cannot check them.

use std::collections::HashMap;

use serde::Deserialize;

use super::{Malformed, Package, Parsed, unquote};
use crate::security::deps::Ecosystem;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<Pkg>,
}

#[derive(Deserialize)]
struct Pkg {
    name: String,
    #[serde(default)]
    version: Option<String>,
    #[serde(default)]
    source: Option<toml::Table>,
}

fn from_index(source: Option<&toml::Table>) -> bool {
    let Some(s) = source else { return true };
    // poetry: `[package.source] type = "git" | "directory" | "file" | "url" | "legacy"`
    if let Some(t) = s.get("type").and_then(toml::Value::as_str) {
        return t == "legacy";
    }
    // uv: `source = { registry = "https://pypi.org/simple" }` (or editable, virtual, git, path, url)
    s.contains_key("registry")
}

pub fn read(text: &str) -> Result<Parsed, Malformed> {
    let lock: Lock = toml::from_str(text).map_err(|e| Malformed::toml(text, &e))?;
    let mut lines: HashMap<&str, u32> = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        if let Some(n) = line.strip_prefix("name = ") {
            lines
                .entry(unquote(n))
                .or_insert(u32::try_from(i + 1).unwrap_or(u32::MAX));
        }
    }
    let packages = lock
        .package
        .iter()
        .filter(|p| from_index(p.source.as_ref()))
        .filter_map(|p| {
            Some(Package {
                ecosystem: Ecosystem::PyPI,
                name: p.name.clone(),
                version: p.version.clone()?,
                line: lines.get(p.name.as_str()).copied(),
            })
        })
        .collect();
    Ok(Parsed {
        packages,
        ..Parsed::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uv_and_poetry_sources() {
        let uv = "version = 1\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\nsource = { editable = \".\" }\n\n[[package]]\nname = \"jinja2\"\nversion = \"3.1.2\"\nsource = { registry = \"https://pypi.org/simple\" }\n";
        let p = read(uv).unwrap().packages;
        assert_eq!(p.len(), 1);
        assert_eq!((p[0].name.as_str(), p[0].line), ("jinja2", Some(9)));
        let poetry = "[[package]]\nname = \"lib\"\nversion = \"1.0\"\n\n[package.source]\ntype = \"git\"\nurl = \"https://example.com/lib.git\"\n\n[[package]]\nname = \"urllib3\"\nversion = \"1.26.5\"\n";
        let p = read(poetry).unwrap().packages;
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].name, "urllib3");
    }
}
