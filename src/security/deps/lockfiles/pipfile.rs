//! `Pipfile.lock` (<https://pipenv.pypa.io/en/latest/pipfile.html>): JSON, `default` and
//! `develop` map each package to `{"version": "==1.2.3"}`; entries without a pinned version
//! (git, editable, path) are left out.

use serde_json::Value;

use super::{Malformed, Package, Parsed, find_line};
use crate::security::deps::Ecosystem;

pub fn read(text: &str) -> Result<Parsed, Malformed> {
    let root: Value = serde_json::from_str(text).map_err(|e| Malformed::json(&e))?;
    if root.get("_meta").is_none() {
        return Err(Malformed::at(1, "no `_meta` section: not a Pipfile.lock"));
    }
    let mut out = Parsed::default();
    for section in ["default", "develop"] {
        let Some(deps) = root.get(section).and_then(Value::as_object) else {
            continue;
        };
        let from = text.find(&format!("\"{section}\"")).unwrap_or(0);
        for (name, entry) in deps {
            let Some(v) = entry.get("version").and_then(Value::as_str) else {
                continue;
            };
            let Some(v) = v.strip_prefix("==") else {
                continue;
            };
            out.packages.push(Package {
                ecosystem: Ecosystem::PyPI,
                name: name.clone(),
                version: v.trim_start_matches('=').to_owned(),
                line: find_line(text, &format!("\"{name}\": {{"), from),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_develop_pins() {
        let text = "{\n  \"_meta\": {},\n  \"default\": {\n    \"jinja2\": {\"version\": \"==3.1.2\"},\n    \"lib\": {\"editable\": true, \"path\": \".\"}\n  },\n  \"develop\": {\n    \"requests\": {\"version\": \"==2.31.0\"}\n  }\n}\n";
        let p = read(text).unwrap().packages;
        let got = super::super::listed(&p);
        assert_eq!(
            got,
            [
                ("jinja2", "3.1.2", Some(4)),
                ("requests", "2.31.0", Some(8))
            ]
        );
        assert!(read("{\"default\": {}}").is_err());
    }
}
