//! The units of a repository that release on their own: detection's projects, each named and
//! versioned by its manifest (see [`super`]).

use std::path::Path;

use semver::Version;
use serde::Serialize;

use super::Error;
use crate::config;
use crate::detect::PackageManager;
use crate::release::manifests;

/// One unit that releases: its name, directory and manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unit {
    /// The name in tags and release titles (the manifest's, or its override).
    pub name: String,
    /// Its directory relative to the root, `/`-separated; `.` for the root.
    pub path: String,
    /// The manifest its name and version come from, relative to the root.
    pub manifest: String,
    /// The version the manifest holds (for a Cargo member with `version.workspace = true`,
    /// the workspace's).
    pub version: String,
    /// Its changelog file, relative to the root.
    pub changelog: String,
    /// The Cargo workspace manifest whose version it follows, if it does.
    #[serde(skip)]
    pub follows: Option<String>,
}

impl Unit {
    /// The prefix of its tags: `<name>-v`.
    pub fn tag_prefix(&self) -> String {
        format!("{}-v", self.name)
    }
}

/// The units of a repository, and what was left out and why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Units {
    /// The units, sorted by path.
    pub units: Vec<Unit>,
    /// Directories that are no unit to release, with the reason.
    pub notes: Vec<String>,
}

/// True when `name` can be the front of a git tag (`git check-ref-format` rules, and nothing
/// a shell, a URL or Markdown would read as structure).
///
/// ```
/// use slipway::release::units::is_tag_name;
/// assert!(is_tag_name("@acme/web") && is_tag_name("core_lib.v2"));
/// assert!(!is_tag_name("-x") && !is_tag_name("a..b") && !is_tag_name("a b") && !is_tag_name("x.lock"));
/// ```
pub fn is_tag_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/@+".contains(c))
        && !name.starts_with(['-', '.', '/'])
        && !name.ends_with(['/', '.'])
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("//")
        && !name.contains("/.")
        && !name.contains("@{")
}

/// The manifest detection's package manager reads, when its ecosystem versions units there.
fn manifest_of(pm: PackageManager) -> Option<&'static str> {
    use PackageManager as P;
    match pm {
        P::Cargo => Some("Cargo.toml"),
        P::Npm | P::Pnpm | P::Yarn | P::Bun => Some("package.json"),
        P::Pip | P::Poetry | P::Uv | P::Pdm | P::Pipenv => Some("pyproject.toml"),
        _ => None,
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir == "." {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// Finds the units of the repository at `root` (detection, then each manifest).
pub fn discover(root: &Path, release: &config::Release) -> Result<Units, Error> {
    let detection = crate::detect::detect(root)?;
    let mut out = Units::default();
    let mut dirs: Vec<(String, PackageManager)> = Vec::new();
    for s in &detection.stacks.subprojects {
        if !dirs.iter().any(|(d, _)| *d == s.path) {
            dirs.push((s.path.clone(), s.package_manager));
        } else if let Some(i) = dirs
            .iter()
            .position(|(d, p)| *d == s.path && manifest_of(*p).is_none())
        {
            // A directory with a Go module and a package.json: the versioned manifest wins.
            dirs[i].1 = s.package_manager;
        }
    }
    let known_dirs: Vec<&str> = dirs.iter().map(|(d, _)| d.as_str()).collect();
    for dir in release.unit_overrides.keys() {
        if !known_dirs.contains(&dir.as_str()) {
            return Err(Error::UnknownOverride {
                dir: dir.clone(),
                known: list(known_dirs.iter().copied()),
            });
        }
    }
    for (dir, pm) in &dirs {
        let over = release.unit_overrides.get(dir);
        if over.is_some_and(|o| o.skip) {
            out.notes.push(format!(
                "`{dir}`: left out by `release.unit-overrides` (`skip: true`)"
            ));
            continue;
        }
        let Some(file) = manifest_of(*pm) else {
            out.notes.push(format!(
                "`{dir}`: {} keeps no version in a manifest; not released per unit",
                pm.as_str()
            ));
            continue;
        };
        let rel = join(dir, file);
        let text = match crate::detect::read_capped(root, &rel) {
            Ok(t) => t,
            Err(_) if file == "pyproject.toml" => {
                out.notes.push(format!(
                    "`{dir}`: no `pyproject.toml`, so no name and version; not released per unit"
                ));
                continue;
            }
            Err(w) => {
                return Err(Error::Manifest {
                    path: rel,
                    message: w.message,
                    hint: "make the manifest a readable file inside the repository".into(),
                });
            }
        };
        let Some(name) = read_name(&rel, file, &text, &mut out.notes)? else {
            continue;
        };
        let name = match over.and_then(|o| o.name.as_ref()) {
            Some(n) => {
                if !is_tag_name(&n.value) {
                    return Err(Error::BadName {
                        path: format!("release.unit-overrides.{dir}.name"),
                        name: n.value.escape_default().to_string(),
                    });
                }
                n.value.clone()
            }
            None => {
                if !is_tag_name(&name) {
                    return Err(Error::BadName {
                        path: rel,
                        name: name.escape_default().to_string(),
                    });
                }
                name
            }
        };
        let (version, follows) = read_version(root, dir, &rel, &text)?;
        let changelog = over
            .and_then(|o| o.changelog.clone())
            .unwrap_or_else(|| join(dir, "CHANGELOG.md"));
        out.units.push(Unit {
            name,
            path: dir.clone(),
            manifest: rel,
            version,
            changelog,
            follows,
        });
    }
    out.units.sort_by(|a, b| a.path.cmp(&b.path));
    for (i, a) in out.units.iter().enumerate() {
        if let Some(b) = out.units[i + 1..]
            .iter()
            .find(|b| b.name.eq_ignore_ascii_case(&a.name))
        {
            return Err(Error::Collision {
                name: a.name.clone(),
                first: a.path.clone(),
                second: b.path.clone(),
            });
        }
    }
    Ok(out)
}

/// `a`, `b`, `c` in backticks.
pub(super) fn list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let all: Vec<String> = items.map(|s| format!("`{s}`")).collect();
    if all.is_empty() {
        "none".to_owned()
    } else {
        all.join(", ")
    }
}

/// The unit's name from its manifest; `None` (with a note) when the manifest is no unit.
fn read_name(
    rel: &str,
    file: &str,
    text: &str,
    notes: &mut Vec<String>,
) -> Result<Option<String>, Error> {
    let bad = |message: String, hint: &str| Error::Manifest {
        path: rel.to_owned(),
        message,
        hint: hint.to_owned(),
    };
    let dir = rel.rsplit_once('/').map_or(".", |(d, _)| d);
    match file {
        "package.json" => {
            let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
                bad(
                    format!("is not JSON: {e}"),
                    "fix the JSON (`npm pkg get name` reads it)",
                )
            })?;
            let has_version = value.get("version").is_some();
            if !has_version && value.get("workspaces").is_some() {
                notes.push(format!(
                    "`{dir}`: a workspace root without a version; not released per unit"
                ));
                return Ok(None);
            }
            if !has_version && value.get("private") == Some(&serde_json::Value::Bool(true)) {
                notes.push(format!(
                    "`{dir}`: a private package without a version; not released per unit"
                ));
                return Ok(None);
            }
            match value.get("name").and_then(|n| n.as_str()) {
                Some(n) => Ok(Some(n.to_owned())),
                None => Err(bad(
                    "has no top-level `\"name\"`".into(),
                    "add `\"name\": \"…\"`, or leave the unit out with `release.unit-overrides`",
                )),
            }
        }
        _ => {
            let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
                bad(
                    format!("is not TOML: {}", e.message()),
                    "fix the TOML syntax",
                )
            })?;
            let get = |path: &[&str]| -> Option<&toml::Value> {
                let mut v = table.get(path[0])?;
                for key in &path[1..] {
                    v = v.get(key)?;
                }
                Some(v)
            };
            let name = if file == "Cargo.toml" {
                if get(&["package"]).is_none() {
                    notes.push(format!(
                        "`{dir}`: a Cargo workspace root without `[package]`; its members are the units"
                    ));
                    return Ok(None);
                }
                get(&["package", "name"])
            } else {
                let n = get(&["project", "name"]).or_else(|| get(&["tool", "poetry", "name"]));
                if n.is_none() {
                    notes.push(format!(
                        "`{dir}`: `pyproject.toml` names no project; not released per unit"
                    ));
                    return Ok(None);
                }
                n
            };
            match name.and_then(toml::Value::as_str) {
                Some(n) => Ok(Some(n.to_owned())),
                None => Err(bad(
                    "`[package]` has no `name`".into(),
                    "add `name = \"…\"` to `[package]`",
                )),
            }
        }
    }
}

/// The version in the unit's manifest, or the Cargo workspace's that it follows (with that
/// workspace manifest).
fn read_version(
    root: &Path,
    dir: &str,
    rel: &str,
    text: &str,
) -> Result<(String, Option<String>), Error> {
    let found = manifests::bump(rel, text, "", &Version::new(0, 0, 0)).map_err(|source| {
        Error::Version {
            source,
            dir: dir.to_owned(),
        }
    })?;
    if let Some(v) = found.previous {
        return Ok((v, None));
    }
    // `version.workspace = true`: the nearest enclosing `Cargo.toml` with `[workspace]`.
    let mut at = dir;
    while at != "." {
        at = at.rsplit_once('/').map_or(".", |(d, _)| d);
        let ws = join(at, "Cargo.toml");
        let Ok(text) = crate::detect::read_capped(root, &ws) else {
            continue;
        };
        if !text.lines().any(|l| l.trim() == "[workspace]") {
            continue;
        }
        let found = manifests::bump(&ws, &text, "", &Version::new(0, 0, 0)).map_err(|source| {
            Error::Version {
                source,
                dir: dir.to_owned(),
            }
        })?;
        if let Some(v) = found.previous {
            return Ok((v, Some(ws)));
        }
    }
    Err(Error::Version {
        source: manifests::Error {
            path: rel.to_owned(),
            line: None,
            message: "follows the workspace's version, but no enclosing workspace has one".into(),
            hint:
                "give `[workspace.package]` of the workspace's `Cargo.toml` a `version = \"1.2.3\"`"
                    .into(),
        },
        dir: dir.to_owned(),
    })
}
