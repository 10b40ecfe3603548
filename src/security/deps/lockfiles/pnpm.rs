//! `pnpm-lock.yaml`, lockfile versions 5 to 9, read with the YAML parser
//! (<https://github.com/pnpm/spec/tree/master/lockfile>). The `packages` keys name what is
//! installed and changed shape across versions:
//! - v5.x `/name/1.2.3`, `/@scope/name/1.2.3_peer@1.0.0+other@2.0.0`
//! - v6   `/name@1.2.3`, `/@scope/name@1.2.3(peer@1.0.0)`
//! - v9   `name@1.2.3`, `'@scope/name@1.2.3'` in `packages`; the same with peer suffixes in
//!   `snapshots`, read only when a file has no `packages`.
//!
//! Entries that are not registry versions (`file:`, `link:`, git or tarball URLs) are left out.
//! pnpm 10 may put a document for its own version first (`---` separated): every document is read.

use std::collections::HashSet;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::yaml::{Entries, Scalar, documents};
use super::{Malformed, Package, Parsed, looks_like_version};
use crate::security::deps::Ecosystem;

#[derive(Debug, Deserialize)]
struct Document {
    #[serde(rename = "lockfileVersion")]
    lockfile_version: Option<Scalar>,
    #[serde(default)]
    packages: Option<Entries<IgnoredAny>>,
    #[serde(default)]
    snapshots: Option<Entries<IgnoredAny>>,
}

/// Name and version from a `packages:` key; `None` for what is not a registry version.
fn key(k: &str, v5: bool) -> Option<(&str, &str)> {
    let k = k.strip_prefix('/').unwrap_or(k);
    let (name, version) = if v5 {
        // `@scope/name/1.0.0_peer`, `name/1.0.0`; the version is the segment after the name.
        let first_len = k.find('/')?;
        let name_len = if k.starts_with('@') {
            first_len + 1 + k[first_len + 1..].find('/')?
        } else {
            first_len
        };
        let version = &k[name_len + 1..];
        let version = version.split(['_', '(']).next()?;
        (&k[..name_len], version)
    } else {
        let k = k.split('(').next()?;
        let at = k.get(1..)?.rfind('@')? + 1;
        (&k[..at], &k[at + 1..])
    };
    let registry = !name.is_empty()
        && !name.contains(':')
        && looks_like_version(version)
        && !version.contains(['/', ':']);
    registry.then_some((name, version))
}

pub fn read(text: &str) -> Result<Parsed, Malformed> {
    let docs: Vec<Document> = documents(text)?;
    if docs.is_empty() {
        return Err(Malformed::at(1, "empty file: not a pnpm lockfile"));
    }
    let mut out = Parsed::default();
    let mut seen = HashSet::new();
    let mut any_version = false;
    for doc in docs {
        let Some(version) = doc.lockfile_version else {
            continue;
        };
        any_version = true;
        let v5 = version.0.starts_with('5');
        let entries = doc.packages.or(doc.snapshots).unwrap_or_default();
        for (k, line, _) in entries.0 {
            let Some((name, ver)) = key(&k, v5) else {
                continue;
            };
            if seen.insert((name.to_owned(), ver.to_owned())) {
                out.packages.push(Package {
                    ecosystem: Ecosystem::Npm,
                    name: name.to_owned(),
                    version: ver.to_owned(),
                    line: Some(line).filter(|l| *l > 0),
                });
            }
        }
    }
    if !any_version {
        return Err(Malformed::at(
            1,
            "no `lockfileVersion`: not a pnpm lockfile",
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::listed;
    use super::*;

    #[test]
    fn keys_of_every_version() {
        assert_eq!(key("/lodash/4.17.21", true), Some(("lodash", "4.17.21")));
        assert_eq!(
            key("/@babel/core/7.22.5_supports-color@8.1.1", true),
            Some(("@babel/core", "7.22.5"))
        );
        assert_eq!(
            key(
                "/@typescript-eslint/parser/5.59.11_ycpbpc6yetojsgtrx3mwntkhsu",
                true
            ),
            Some(("@typescript-eslint/parser", "5.59.11"))
        );
        assert_eq!(key("/semver@7.5.1", false), Some(("semver", "7.5.1")));
        assert_eq!(
            key("@vitejs/plugin-react@4.0.0(vite@4.3.9)", false),
            Some(("@vitejs/plugin-react", "4.0.0"))
        );
        assert_eq!(
            key("/@types/node@20.3.1", false),
            Some(("@types/node", "20.3.1"))
        );
        assert_eq!(
            key("ws@8.13.0(bufferutil@4.0.7)(utf-8-validate@6.0.3)", false),
            Some(("ws", "8.13.0"))
        );
        // not registry versions
        assert_eq!(key("file:packages/util", false), None);
        assert_eq!(key("/my-lib@file:../my-lib", false), None);
        assert_eq!(
            key("github.com/user/repo/6d2d8c4a2e1f0a7b9f0e5cf1", true),
            None
        );
        assert_eq!(
            key("left-pad@https://codeload.github.com/a/b/tar.gz/abc", false),
            None
        );
        assert_eq!(key("/", true), None);
        assert_eq!(key("@", false), None);
    }

    #[test]
    fn v9_reads_packages_not_snapshots() {
        let text = "lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n      semver:\n        specifier: ^7.5.0\n        version: 7.5.1\n\npackages:\n\n  semver@7.5.1:\n    resolution: {integrity: sha512-x}\n\nsnapshots:\n\n  semver@7.5.1: {}\n";
        let p = read(text).unwrap().packages;
        assert_eq!(listed(&p), [("semver", "7.5.1", Some(12))]);
    }

    #[test]
    fn snapshots_when_there_are_no_packages() {
        let text = "lockfileVersion: '9.0'\nsnapshots:\n  ws@8.13.0(bufferutil@4.0.7): {}\n  ws@8.13.0(utf-8-validate@6.0.3): {}\n";
        let p = read(text).unwrap().packages;
        assert_eq!(listed(&p), [("ws", "8.13.0", Some(3))]);
    }

    #[test]
    fn a_pnpm_10_file_with_two_documents() {
        let text = "---\nlockfileVersion: '9.0'\n\nimporters:\n  .:\n    packageManagerDependencies:\n      pnpm:\n        specifier: 10.0.0\n        version: 10.0.0\n\npackages:\n\n  pnpm@10.0.0:\n    resolution: {integrity: sha512-a}\n    hasBin: true\n\n---\nlockfileVersion: '9.0'\n\npackages:\n\n  semver@7.5.1:\n    resolution: {integrity: sha512-b}\n";
        let p = read(text).unwrap().packages;
        assert_eq!(
            listed(&p),
            [("pnpm", "10.0.0", Some(13)), ("semver", "7.5.1", Some(22))]
        );
    }

    #[test]
    fn malformed_yaml_and_non_lockfiles_name_a_line() {
        let err = read("lockfileVersion: '6.0'\npackages:\n  /a@1.0.0:\n    resolution: {integrity: x\n  /b@1.0.0: {}\n").unwrap_err();
        assert!(err.line.is_some_and(|l| l >= 4), "{err:?}");
        assert!(read("packages:\n  /a/1.0.0: {}\n").is_err());
        assert!(read("").is_err());
        assert!(read("lockfileVersion: '9.0'\npackages: 3\n").is_err());
    }
}
