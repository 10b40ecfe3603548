//! `package-lock.json` and `npm-shrinkwrap.json`, lockfile versions 1 to 3
//! (<https://docs.npmjs.com/cli/v10/configuring-npm/package-lock-json>). Versions 2 and 3 list
//! every installed package under `packages` keyed by its `node_modules/` path; version 1 nests
//! `dependencies`. Links, bundled workspace members and non-registry sources are left out.

use serde_json::Value;

use super::{Licensed, Malformed, Package, Parsed, find_line, looks_like_version};
use crate::security::deps::Ecosystem;

const MAX_DEPTH: usize = 64;

pub fn read(text: &str) -> Result<Parsed, Malformed> {
    let root: Value = serde_json::from_str(text).map_err(|e| Malformed::json(&e))?;
    let Some(obj) = root.as_object() else {
        return Err(Malformed::at(1, "expected a JSON object at the top"));
    };
    let version = obj.get("lockfileVersion").and_then(Value::as_u64);
    let mut out = Parsed::default();
    match (version, obj.get("packages")) {
        (Some(2 | 3), Some(Value::Object(packages))) => {
            for (key, entry) in packages {
                let Some(at) = key.rfind("node_modules/") else {
                    continue;
                };
                if entry.get("link").and_then(Value::as_bool) == Some(true) {
                    continue;
                }
                let name = entry
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or(&key[at + "node_modules/".len()..]);
                let Some(version) = entry.get("version").and_then(Value::as_str) else {
                    continue;
                };
                if !looks_like_version(version) {
                    continue;
                }
                let line = find_line(text, &format!("\"{key}\""), 0);
                out.packages.push(Package {
                    ecosystem: Ecosystem::Npm,
                    name: name.to_owned(),
                    version: version.to_owned(),
                    line,
                });
                out.licenses.push(Licensed {
                    ecosystem: Ecosystem::Npm,
                    name: name.to_owned(),
                    version: version.to_owned(),
                    line,
                    license: license(entry),
                });
            }
            out.licenses_recorded = true;
        }
        (Some(1) | None, _) => {
            if let Some(deps) = obj.get("dependencies") {
                v1(text, deps, 0, &mut out);
            }
        }
        (Some(v), _) => {
            return Err(Malformed::at(
                find_line(text, "\"lockfileVersion\"", 0).unwrap_or(0) as usize,
                format!("lockfileVersion {v} is not known (1 to 3 are), or `packages` is missing"),
            ));
        }
    }
    Ok(out)
}

/// `license` as npm copies it from `package.json`: an SPDX string, or the legacy
/// `{"type": "MIT"}` object. The deprecated `licenses` array becomes an `OR` of its types.
fn license(entry: &Value) -> Option<String> {
    match entry.get("license") {
        Some(Value::String(s)) if !s.trim().is_empty() => return Some(s.trim().to_owned()),
        Some(Value::Object(o)) => {
            return o
                .get("type")
                .and_then(Value::as_str)
                .map(|s| s.trim().to_owned());
        }
        _ => {}
    }
    let types: Vec<&str> = entry
        .get("licenses")?
        .as_array()?
        .iter()
        .filter_map(|l| l.get("type").and_then(Value::as_str))
        .collect();
    (!types.is_empty()).then(|| format!("({})", types.join(") OR (")))
}

fn v1(text: &str, deps: &Value, depth: usize, out: &mut Parsed) {
    let Some(deps) = deps.as_object() else { return };
    if depth > MAX_DEPTH {
        return;
    }
    for (name, entry) in deps {
        if let Some(version) = entry.get("version").and_then(Value::as_str) {
            // An alias: `"npm:real-name@1.2.3"`.
            let (name, version) = match version.strip_prefix("npm:").and_then(|r| {
                let at = r.rfind('@').filter(|a| *a > 0)?;
                Some((&r[..at], &r[at + 1..]))
            }) {
                Some((n, v)) => (n, v),
                None => (name.as_str(), version),
            };
            if looks_like_version(version) && entry.get("bundled") != Some(&Value::Bool(true)) {
                out.packages.push(Package {
                    ecosystem: Ecosystem::Npm,
                    name: name.to_owned(),
                    version: version.to_owned(),
                    line: find_line(text, &format!("\"{name}\": {{"), 0),
                });
            }
        }
        if let Some(nested) = entry.get("dependencies") {
            v1(text, nested, depth + 1, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v3_keys_give_names_including_scopes_and_nesting() {
        let text = r#"{
  "name": "app",
  "lockfileVersion": 3,
  "packages": {
    "": { "name": "app", "version": "1.0.0" },
    "node_modules/@babel/traverse": { "version": "7.22.5" },
    "node_modules/a/node_modules/semver": { "version": "5.7.1" },
    "node_modules/local": { "resolved": "packages/local", "link": true }
  }
}"#;
        let p = read(text).unwrap().packages;
        let got = super::super::listed(&p);
        assert_eq!(
            got,
            [
                ("@babel/traverse", "7.22.5", Some(6)),
                ("semver", "5.7.1", Some(7))
            ]
        );
    }

    #[test]
    fn v3_records_each_packages_license() {
        let text = r#"{
  "lockfileVersion": 3,
  "packages": {
    "": { "name": "app", "version": "1.0.0", "license": "MIT" },
    "node_modules/a": { "version": "1.0.0", "license": "MIT OR Apache-2.0" },
    "node_modules/b": { "version": "2.0.0" },
    "node_modules/c": { "version": "3.0.0", "license": { "type": "ISC" } },
    "node_modules/d": { "version": "4.0.0", "licenses": [{ "type": "MIT" }, { "type": "GPL-2.0" }] }
  }
}"#;
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
                ("a", Some("MIT OR Apache-2.0"), Some(5)),
                ("b", None, Some(6)),
                ("c", Some("ISC"), Some(7)),
                ("d", Some("(MIT) OR (GPL-2.0)"), Some(8)),
            ]
        );
        let v1 = read(r#"{"lockfileVersion": 1, "dependencies": {"a": {"version": "1.0.0"}}}"#);
        assert!(!v1.unwrap().licenses_recorded);
    }

    #[test]
    fn v1_nests_and_resolves_aliases() {
        let text = r#"{"lockfileVersion": 1, "dependencies": {
  "a": {"version": "1.0.0", "dependencies": {"b": {"version": "npm:semver@7.5.1"}}},
  "c": {"version": "github:o/r#abc"}
}}"#;
        let p = read(text).unwrap().packages;
        let got: Vec<_> = p
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str()))
            .collect();
        assert_eq!(got, [("a", "1.0.0"), ("semver", "7.5.1")]);
    }

    #[test]
    fn unknown_versions_and_broken_json_are_malformed() {
        assert!(
            read("{\"lockfileVersion\": 7}")
                .unwrap_err()
                .reason
                .contains('7')
        );
        assert_eq!(read("{\n\"a\": [}\n").unwrap_err().line, Some(2));
    }
}
