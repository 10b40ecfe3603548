//! NuGet `packages.lock.json` (<https://learn.microsoft.com/nuget/consume-packages/package-references-in-project-files#locking-dependencies>):
//! `dependencies` per target framework, each package with its `resolved` version; `Project`
//! references are the solution's own projects and are left out.

use serde_json::Value;

use super::{Malformed, Package, Parsed, find_line};
use crate::security::deps::Ecosystem;

pub fn read(text: &str) -> Result<Parsed, Malformed> {
    let root: Value = serde_json::from_str(text).map_err(|e| Malformed::json(&e))?;
    let Some(frameworks) = root.get("dependencies").and_then(Value::as_object) else {
        return Err(Malformed::at(
            1,
            "no `dependencies` object: not a NuGet packages.lock.json",
        ));
    };
    let mut out = Parsed::default();
    for (tfm, deps) in frameworks {
        let Some(deps) = deps.as_object() else {
            continue;
        };
        let from = text.find(&format!("\"{tfm}\"")).unwrap_or(0);
        for (name, entry) in deps {
            if entry.get("type").and_then(Value::as_str) == Some("Project") {
                continue;
            }
            let Some(version) = entry.get("resolved").and_then(Value::as_str) else {
                continue;
            };
            out.packages.push(Package {
                ecosystem: Ecosystem::NuGet,
                name: name.clone(),
                version: version.to_owned(),
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
    fn every_framework_and_no_projects() {
        let text = "{\n  \"version\": 1,\n  \"dependencies\": {\n    \"net6.0\": {\n      \"Newtonsoft.Json\": {\"type\": \"Direct\", \"resolved\": \"12.0.3\"},\n      \"App.Core\": {\"type\": \"Project\"}\n    },\n    \"net8.0\": {\n      \"Newtonsoft.Json\": {\"type\": \"Direct\", \"resolved\": \"13.0.3\"}\n    }\n  }\n}\n";
        let p = read(text).unwrap().packages;
        let got: Vec<_> = p.iter().map(|p| (p.version.as_str(), p.line)).collect();
        assert_eq!(got, [("12.0.3", Some(5)), ("13.0.3", Some(9))]);
        assert!(read("[]").is_err());
    }
}
