//! `pnpm-lock.yaml`, lockfile versions 5 to 9, read line by line from its `packages:` section
//! (<https://github.com/pnpm/spec/tree/master/lockfile>). Keys changed shape across versions:
//! v5 `/name/1.2.3_peer@1`, v6 `/name@1.2.3(peer@1)`, v9 `name@1.2.3`.

use super::{Malformed, Package, Parsed, looks_like_version, unquote};
use crate::security::deps::Ecosystem;

/// Name and version from a `packages:` key.
fn key(k: &str, v5: bool) -> Option<(&str, &str)> {
    let k = unquote(k);
    let k = k.strip_prefix('/').unwrap_or(k);
    if v5 {
        let mut parts = k.splitn(3, '/');
        let first = parts.next()?;
        let (name, version) = if first.starts_with('@') {
            let second = parts.next()?;
            (&k[..first.len() + 1 + second.len()], parts.next()?)
        } else {
            (first, k.get(first.len() + 1..)?)
        };
        let version = version.split(['_', '/', '(']).next()?;
        return Some((name, version));
    }
    let k = k.split('(').next()?;
    let at = k.get(1..)?.rfind('@')? + 1;
    Some((&k[..at], &k[at + 1..]))
}

pub fn read(text: &str) -> Result<Parsed, Malformed> {
    let mut out = Parsed::default();
    let mut version: Option<String> = None;
    let mut in_packages = false;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end();
        if line.trim_start().starts_with('#') || line.trim().is_empty() || line == "---" {
            continue;
        }
        if !line.starts_with(' ') {
            let Some((k, v)) = line.split_once(':') else {
                return Err(Malformed::at(line_no, "expected a `key:` at the top level"));
            };
            in_packages = k == "packages";
            if k == "lockfileVersion" {
                version = Some(unquote(v).to_owned());
            }
            continue;
        }
        if !in_packages {
            continue;
        }
        let trimmed = line.trim_start();
        if line.len() - trimmed.len() != 2 {
            continue;
        }
        let Some(k) = trimmed.strip_suffix(':') else {
            // `/a/1.0.0: {resolution: …}` flow style
            let Some((k, _)) = trimmed.split_once(": ") else {
                return Err(Malformed::at(
                    line_no,
                    "expected a package key ending in `:`",
                ));
            };
            push(&mut out, k, version.as_deref(), line_no)?;
            continue;
        };
        push(&mut out, k, version.as_deref(), line_no)?;
    }
    if version.is_none() {
        return Err(Malformed::at(
            1,
            "no `lockfileVersion`: not a pnpm lockfile",
        ));
    }
    Ok(out)
}

fn push(out: &mut Parsed, k: &str, version: Option<&str>, line: usize) -> Result<(), Malformed> {
    let Some(v) = version else {
        return Err(Malformed::at(
            line,
            "`packages:` comes before `lockfileVersion`",
        ));
    };
    let v5 = v.starts_with('5');
    if let Some((name, ver)) = key(k, v5).filter(|(n, v)| !n.is_empty() && looks_like_version(v)) {
        out.packages.push(Package {
            ecosystem: Ecosystem::Npm,
            name: name.to_owned(),
            version: ver.to_owned(),
            line: u32::try_from(line).ok(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_every_version() {
        assert_eq!(key("/lodash/4.17.21", true), Some(("lodash", "4.17.21")));
        assert_eq!(
            key("/@babel/core/7.22.5_supports-color@8.1.1", true),
            Some(("@babel/core", "7.22.5"))
        );
        assert_eq!(key("/semver@7.5.1", false), Some(("semver", "7.5.1")));
        assert_eq!(
            key("'@vitejs/plugin-react@4.0.0(vite@4.3.9)'", false),
            Some(("@vitejs/plugin-react", "4.0.0"))
        );
        assert_eq!(
            key("/@types/node@20.3.1", false),
            Some(("@types/node", "20.3.1"))
        );
    }

    #[test]
    fn reads_packages_only() {
        let text = "lockfileVersion: '9.0'\n\nimporters:\n  .:\n    dependencies:\n      semver:\n        specifier: ^7.5.0\n        version: 7.5.1\n\npackages:\n\n  semver@7.5.1:\n    resolution: {integrity: sha512-x}\n\nsnapshots:\n\n  semver@7.5.1: {}\n";
        let p = read(text).unwrap().packages;
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].line, Some(12));
        assert!(read("packages:\n  /a/1.0.0:\n").is_err());
    }
}
