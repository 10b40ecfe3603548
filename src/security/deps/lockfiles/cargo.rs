//! `Cargo.lock`, versions 1 to 4 (<https://doc.rust-lang.org/cargo/guide/cargo-toml-vs-cargo-lock.html>).
//! Every version keeps `[[package]]` tables with `name`, `version` and `source`; only packages
//! from crates.io are checked (workspace members, path and git sources are not published
//! there, and a same-named crate elsewhere is a different crate). Cargo.lock records no
//! licences, so `security.licenses` cannot check crates.

use std::collections::HashMap;

use serde::Deserialize;

use super::{Malformed, Package, Parsed, unquote};
use crate::security::deps::Ecosystem;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    package: Vec<Pkg>,
}

#[derive(Deserialize)]
struct Pkg {
    name: String,
    version: String,
    #[serde(default)]
    source: Option<String>,
}

fn from_crates_io(source: &str) -> bool {
    source == "registry+https://github.com/rust-lang/crates.io-index"
        || source == "sparse+https://index.crates.io/"
}

pub fn read(text: &str) -> Result<Parsed, Malformed> {
    let lock: Lock = toml::from_str(text).map_err(|e| Malformed::toml(text, &e))?;
    if let Some(v) = lock.version.filter(|v| !(1..=4).contains(v)) {
        return Err(Malformed::at(
            super::find_line(text, "version", 0).unwrap_or(0) as usize,
            format!("Cargo.lock version {v} is not known (1 to 4 are)"),
        ));
    }
    // Lines: the `name = ` line of each `[[package]]`, keyed by name and version.
    let mut lines: HashMap<(&str, &str), u32> = HashMap::new();
    let mut name: Option<(&str, u32)> = None;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line == "[[package]]" {
            name = None;
        } else if let Some(n) = line.strip_prefix("name = ") {
            name = Some((unquote(n), u32::try_from(i + 1).unwrap_or(u32::MAX)));
        } else if let (Some(v), Some((n, at))) = (line.strip_prefix("version = "), name) {
            lines.entry((n, unquote(v))).or_insert(at);
        }
    }
    let packages = lock
        .package
        .iter()
        .filter(|p| p.source.as_deref().is_some_and(from_crates_io))
        .map(|p| Package {
            ecosystem: Ecosystem::CratesIo,
            line: lines.get(&(p.name.as_str(), p.version.as_str())).copied(),
            name: p.name.clone(),
            version: p.version.clone(),
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
    fn reads_crates_io_packages_with_lines_and_skips_local_ones() {
        let text = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\n\n[[package]]\nname = \"rsa\"\nversion = \"0.9.6\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\nchecksum = \"5d0e5124\"\n";
        let p = read(text).unwrap().packages;
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str(), p[0].line),
            ("rsa", "0.9.6", Some(8))
        );
    }

    #[test]
    fn a_broken_table_names_its_line() {
        let err = read("[[package]]\nname = \"a\"\nversion = \n").unwrap_err();
        assert_eq!(err.line, Some(3));
        let err = read("version = 9\n").unwrap_err();
        assert!(err.reason.contains("version 9"));
    }
}
