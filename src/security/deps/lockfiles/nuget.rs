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
