//! `composer.lock` (<https://getcomposer.org/doc/01-basic-usage.md#commit-your-composer-lock-file-to-version-control>):
//! JSON arrays `packages` and `packages-dev` of `{"name", "version"}`.

use serde_json::Value;

use super::{Malformed, Package, Parsed, find_line};
use crate::security::deps::Ecosystem;

pub fn read(text: &str) -> Result<Parsed, Malformed> {
    let root: Value = serde_json::from_str(text).map_err(|e| Malformed::json(&e))?;
    if !root.is_object() || root.get("packages").is_none() {
        return Err(Malformed::at(1, "no `packages` array: not a composer.lock"));
    }
    let mut out = Parsed::default();
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
                line: find_line(text, &format!("\"name\": \"{name}\""), 0),
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
