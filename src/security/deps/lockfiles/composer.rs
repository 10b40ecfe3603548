//! `composer.lock` (<https://getcomposer.org/doc/01-basic-usage.md#commit-your-composer-lock-file-to-version-control>):
//! JSON arrays `packages` and `packages-dev` of `{"name", "version"}`.

use serde_json::Value;

use super::{Licensed, Malformed, Package, Parsed, line_of};
use crate::security::deps::Ecosystem;

pub fn read(text: &str) -> Result<Parsed, Malformed> {
    let root: Value = serde_json::from_str(text).map_err(|e| Malformed::json(&e))?;
    if !root.is_object() || root.get("packages").is_none() {
        return Err(Malformed::at(1, "no `packages` array: not a composer.lock"));
    }
    let mut out = Parsed::default();
    // Entries appear in file order: each name is looked for after the previous one, so a
    // lockfile of many thousand packages is read in one pass.
    let mut from = 0;
    let mut counted = (0usize, 1usize); // (byte offset, its line)
    let bytecount = |b: &[u8]| b.iter().filter(|c| **c == b'\n').count();
    for section in ["packages", "packages-dev"] {
        let Some(list) = root.get(section).and_then(Value::as_array) else {
            continue;
        };
        for entry in list {
            let (Some(name), Some(version)) = (
                entry.get("name").and_then(Value::as_str),
                entry.get("version").and_then(Value::as_str),
            ) else {
                continue;
            };
            let line = {
                let needle = format!("\"name\": \"{name}\"");
                let at = text
                    .get(from..)
                    .and_then(|t| t.find(&needle))
                    .map(|i| i + from)
                    .or_else(|| text.find(&needle));
                at.and_then(|at| {
                    // Lines are counted from the previous hit when moving forward.
                    if at >= counted.0 {
                        counted.1 += bytecount(&text.as_bytes()[counted.0..at]);
                    } else {
                        counted.1 = line_of(text, at);
                    }
                    counted.0 = at;
                    from = at + needle.len();
                    u32::try_from(counted.1).ok()
                })
            };
            out.packages.push(Package {
                ecosystem: Ecosystem::Packagist,
                name: name.to_owned(),
                version: version.to_owned(),
                line,
            });
            out.licenses.push(Licensed {
                ecosystem: Ecosystem::Packagist,
                name: name.to_owned(),
                version: version.to_owned(),
                line,
                license: license(entry),
            });
        }
    }
    out.licenses_recorded = true;
    Ok(out)
}

/// `license`: an array of SPDX expressions, any of which the user may pick
/// (<https://getcomposer.org/doc/04-schema.md#license>), or a single string.
fn license(entry: &Value) -> Option<String> {
    match entry.get("license")? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Array(list) => {
            let items: Vec<&str> = list
                .iter()
                .filter_map(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect();
            if items.is_empty() || items.len() != list.len() {
                return None;
            }
            if items.len() == 1 {
                return Some(items[0].to_owned());
            }
            Some(format!("({})", items.join(") OR (")))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packages_and_dev_packages() {
        let text = "{\n  \"packages\": [\n    {\"name\": \"guzzlehttp/guzzle\", \"version\": \"7.4.3\"}\n  ],\n  \"packages-dev\": [\n    {\"name\": \"phpunit/phpunit\", \"version\": \"v10.5.10\"}\n  ]\n}\n";
        let p = read(text).unwrap().packages;
        let got = super::super::listed(&p);
        assert_eq!(
            got,
            [
                ("guzzlehttp/guzzle", "7.4.3", Some(3)),
                ("phpunit/phpunit", "v10.5.10", Some(6))
            ]
        );
        assert!(read("{\"name\": \"app\"}").is_err());
    }

    #[test]
    fn license_arrays_are_choices() {
        let text = r#"{"packages": [
  {"name": "a/dual", "version": "1.0.0", "license": ["MIT", "GPL-3.0-or-later"]},
  {"name": "a/one", "version": "1.0.0", "license": ["BSD-3-Clause"]},
  {"name": "a/none", "version": "1.0.0"},
  {"name": "a/empty", "version": "1.0.0", "license": []}
]}"#;
        let p = read(text).unwrap();
        assert!(p.licenses_recorded);
        let got: Vec<_> = p
            .licenses
            .iter()
            .map(|l| (l.name.as_str(), l.license.as_deref(), l.line))
            .collect();
        assert_eq!(
            got,
            [
                ("a/dual", Some("(MIT) OR (GPL-3.0-or-later)"), Some(2)),
                ("a/one", Some("BSD-3-Clause"), Some(3)),
                ("a/none", None, Some(4)),
                ("a/empty", None, Some(5)),
            ]
        );
    }
}
