//! `yarn.lock`, classic (v1) and berry (v2+).
//!
//! Classic has its own format, read line by line: an entry header at column 0 lists the specs
//! it resolves (`"lodash@^4.17.0", lodash@^4.17.20:`), and its indented `version "4.17.21"`
//! line gives the version (<https://classic.yarnpkg.com/lang/en/docs/yarn-lock/>).
//!
//! Berry's is YAML with a `__metadata` entry, read with the YAML parser: each entry's
//! `resolution` (`"lodash@npm:4.17.21"`) names the package and version it resolved to, whatever
//! the specs in its key (`"lodash@npm:^4.17.0, lodash@npm:^4.17.20"`, aliases
//! `"alias@npm:lodash@^4"`). Workspace, patch, link, portal, file, git and exec resolutions are
//! not registry packages and are left out (a `patch:` entry has its `npm:` entry beside it).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

use super::yaml::{Entries, Scalar, documents};
use super::{Malformed, Package, Parsed, looks_like_version, unquote};
use crate::security::deps::Ecosystem;

/// Whether `text` is a berry lockfile: a `__metadata:` key at the top level.
fn is_berry(text: &str) -> bool {
    text.lines()
        .any(|l| l == "__metadata:" || l.starts_with("__metadata: "))
}

pub fn read(text: &str) -> Result<Parsed, Malformed> {
    if is_berry(text) {
        read_berry(text)
    } else {
        read_classic(text)
    }
}

/// A berry entry's `resolution`; any other value (the `__metadata` mapping's fields, a stray
/// scalar) is ignored rather than failing the file.
#[derive(Debug, Default)]
struct Entry {
    resolution: Option<String>,
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct E;
        impl<'de> Visitor<'de> for E {
            type Value = Entry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a lockfile entry")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entry, A::Error> {
                let mut entry = Entry::default();
                while let Some(k) = map.next_key::<Scalar>()? {
                    if k.0 == "resolution" {
                        entry.resolution = Some(map.next_value::<Scalar>()?.0);
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(entry)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Entry, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Entry::default())
            }
            fn visit_str<Er: de::Error>(self, _: &str) -> Result<Entry, Er> {
                Ok(Entry::default())
            }
            fn visit_bool<Er: de::Error>(self, _: bool) -> Result<Entry, Er> {
                Ok(Entry::default())
            }
            fn visit_i64<Er: de::Error>(self, _: i64) -> Result<Entry, Er> {
                Ok(Entry::default())
            }
            fn visit_u64<Er: de::Error>(self, _: u64) -> Result<Entry, Er> {
                Ok(Entry::default())
            }
            fn visit_f64<Er: de::Error>(self, _: f64) -> Result<Entry, Er> {
                Ok(Entry::default())
            }
            fn visit_unit<Er: de::Error>(self) -> Result<Entry, Er> {
                Ok(Entry::default())
            }
        }
        d.deserialize_any(E)
    }
}

/// Name and version of a berry `resolution` when it is a registry package:
/// `@babel/core@npm:7.22.5` gives `("@babel/core", "7.22.5")`.
fn resolution(r: &str) -> Option<(&str, &str)> {
    let at = r.get(1..)?.find('@')? + 1;
    let (name, rest) = (&r[..at], &r[at + 1..]);
    let version = rest.strip_prefix("npm:")?;
    (!name.is_empty() && looks_like_version(version) && !version.contains(['/', ':', '#']))
        .then_some((name, version))
}

fn read_berry(text: &str) -> Result<Parsed, Malformed> {
    let docs: Vec<Entries<Entry>> = documents(text)?;
    let mut out = Parsed::default();
    for doc in docs {
        for (key, line, entry) in doc.0 {
            if key == "__metadata" {
                continue;
            }
            let Some((name, version)) = entry.resolution.as_deref().and_then(resolution) else {
                continue;
            };
            out.packages.push(Package {
                ecosystem: Ecosystem::Npm,
                name: name.to_owned(),
                version: version.to_owned(),
                line: Some(line).filter(|l| *l > 0),
            });
        }
    }
    Ok(out)
}

/// The package name a spec resolves: `lodash@^4`, `@types/node@npm:^20`, and aliases
/// `alias@npm:real@^1`. `None` for workspace, link, portal, file and git sources.
fn spec_name(spec: &str) -> Option<&str> {
    // Berry quotes a whole list (`"a@npm:^1, a@npm:^1.2":`), classic each spec.
    let spec = spec.trim().trim_matches('"');
    let at = spec.get(1..)?.find('@')? + 1;
    let (name, range) = (&spec[..at], &spec[at + 1..]);
    if let Some(r) = range.strip_prefix("npm:") {
        if let Some(a) = r.get(1..).and_then(|s| s.find('@')) {
            return Some(&r[..a + 1]);
        }
        return Some(name);
    }
    let protocol = range.split_once(':').map(|(p, _)| p);
    match protocol {
        None | Some("patch") => Some(name),
        Some(p) if p.starts_with("http") => Some(name),
        _ => None,
    }
}

fn read_classic(text: &str) -> Result<Parsed, Malformed> {
    let mut out = Parsed::default();
    let mut current: Option<(Option<&str>, usize)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim_end();
        if line.trim_start().starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if !line.starts_with(' ') {
            let Some(header) = line.strip_suffix(':') else {
                return Err(Malformed::at(
                    line_no,
                    "expected an entry header ending in `:`",
                ));
            };
            if header == "__metadata" {
                current = None;
                continue;
            }
            let first = header.split(", ").next().unwrap_or(header);
            current = Some((spec_name(first), line_no));
            continue;
        }
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if indent != 2 {
            continue;
        }
        let version = trimmed
            .strip_prefix("version:")
            .or_else(|| trimmed.strip_prefix("version "));
        if let (Some(v), Some((name, at))) = (version, current) {
            let v = unquote(v.trim());
            if let Some(name) = name.filter(|_| looks_like_version(v)) {
                out.packages.push(Package {
                    ecosystem: Ecosystem::Npm,
                    name: name.to_owned(),
                    version: v.to_owned(),
                    line: u32::try_from(at).ok(),
                });
            }
            current = None;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::listed;
    use super::*;

    #[test]
    fn spec_names() {
        assert_eq!(spec_name("lodash@^4.17.0"), Some("lodash"));
        assert_eq!(spec_name("\"@babel/core@npm:^7.0.0\""), Some("@babel/core"));
        assert_eq!(spec_name("alias@npm:semver@^7"), Some("semver"));
        assert_eq!(spec_name("app@workspace:."), None);
        assert_eq!(spec_name("x@https://example.com/x.tgz"), Some("x"));
        assert_eq!(spec_name("\"lodash@npm:^4.17.15"), Some("lodash"));
    }

    #[test]
    fn classic_and_berry_entries() {
        let classic = "# yarn lockfile v1\n\n\n\"@babel/code-frame@^7.0.0\", \"@babel/code-frame@^7.22.5\":\n  version \"7.22.5\"\n  resolved \"https://registry.yarnpkg.com/x\"\n";
        let p = read(classic).unwrap().packages;
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str(), p[0].line),
            ("@babel/code-frame", "7.22.5", Some(4))
        );
        let berry = "__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\"semver@npm:^7.5.0\":\n  version: 7.5.1\n  resolution: \"semver@npm:7.5.1\"\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n";
        let p = read(berry).unwrap().packages;
        assert_eq!(p.len(), 1);
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str(), p[0].line),
            ("semver", "7.5.1", Some(5))
        );
    }

    #[test]
    fn berry_resolutions() {
        assert_eq!(
            resolution("@babel/core@npm:7.22.5"),
            Some(("@babel/core", "7.22.5"))
        );
        assert_eq!(
            resolution("lodash@npm:4.17.21"),
            Some(("lodash", "4.17.21"))
        );
        assert_eq!(resolution("app@workspace:."), None);
        assert_eq!(resolution("app@workspace:packages/app"), None);
        assert_eq!(
            resolution(
                "resolve@patch:resolve@npm%3A1.22.8#optional!builtin<compat/resolve>::version=1.22.8&hash=c3c19d"
            ),
            None
        );
        assert_eq!(
            resolution("dep@link:../dep::locator=app%40workspace%3A."),
            None
        );
        assert_eq!(resolution("x@https://example.com/x-1.0.0.tgz"), None);
        assert_eq!(
            resolution("y@git+https://example.com/y.git#commit=abc"),
            None
        );
        assert_eq!(resolution("z@npm:latest"), None);
        assert_eq!(resolution("@"), None);
    }

    #[test]
    fn berry_reads_resolutions_with_their_lines() {
        let text = "# This file is generated by running \"yarn install\" inside your project.\n# Manual changes might be lost - proceed with caution!\n\n__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\"string-width-cjs@npm:string-width@^4.2.0, string-width@npm:^4.1.0\":\n  version: 4.2.3\n  resolution: \"string-width@npm:4.2.3\"\n  languageName: node\n  linkType: hard\n\n\"lodash@npm:^4.17.0, lodash@npm:^4.17.20\":\n  version: 4.17.21\n  resolution: \"lodash@npm:4.17.21\"\n\n\"app@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"app@workspace:.\"\n";
        let p = read(text).unwrap().packages;
        assert_eq!(
            listed(&p),
            [
                ("string-width", "4.2.3", Some(8)),
                ("lodash", "4.17.21", Some(14))
            ]
        );
    }

    #[test]
    fn berry_malformed_yaml_names_the_line() {
        let text = "__metadata:\n  version: 8\n\n\"a@npm:^1\":\n  resolution: \"a@npm:1.0.0\n\"b@npm:^1\":\n  resolution: b\n";
        let err = read(text).unwrap_err();
        assert!(err.line.is_some_and(|l| l >= 5), "{err:?}");
    }

    #[test]
    fn a_stray_line_is_malformed() {
        assert_eq!(
            read("a@1:\n  version \"1\"\ngarbage\n").unwrap_err().line,
            Some(3)
        );
    }
}
