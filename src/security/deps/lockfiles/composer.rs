//! `composer.lock` (<https://getcomposer.org/doc/01-basic-usage.md#commit-your-composer-lock-file-to-version-control>):
//! JSON arrays `packages` and `packages-dev` of `{"name", "version"}`.

use serde_json::Value;

use super::{Malformed, Package, Parsed, line_of};
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
            out.packages.push(Package {
                ecosystem: Ecosystem::Packagist,
                name: name.to_owned(),
                version: version.to_owned(),
                line: {
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
                },
            });
        }
    }
    Ok(out)
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
}
