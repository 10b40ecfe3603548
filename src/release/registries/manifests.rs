//! Reading the manifests `release publish-registries` publishes: each unit's name and
//! version from `Cargo.toml`, `package.json` and `pyproject.toml`, checked before anything is
//! uploaded, and the order crates must be published in.

use std::path::Path;

use super::{Error, Registry, Unit};

/// Puts each crate after the crates of the repository it depends on (crates.io refuses a
/// crate whose dependency is not published yet), otherwise keeping the directory order.
pub(super) fn order_crates(units: &mut Vec<Unit>, fs: &crate::fsutil::Root) {
    let (crates, others): (Vec<Unit>, Vec<Unit>) = std::mem::take(units)
        .into_iter()
        .partition(|u| u.registry == Registry::Crates);
    *units = others;
    let names: Vec<String> = crates.iter().map(|u| u.name.clone()).collect();
    let deps: Vec<Vec<usize>> = crates
        .iter()
        .map(|u| {
            let text = fs
                .read_optional(Path::new(&u.manifest))
                .ok()
                .flatten()
                .unwrap_or_default();
            let table = text.parse::<toml::Table>().unwrap_or_default();
            let mut out = Vec::new();
            for section in ["dependencies", "build-dependencies"] {
                if let Some(t) = table.get(section).and_then(|d| d.as_table()) {
                    for (key, spec) in t {
                        let name = spec.get("package").and_then(|p| p.as_str()).unwrap_or(key);
                        if let Some(i) = names.iter().position(|n| n == name) {
                            out.push(i);
                        }
                    }
                }
            }
            out
        })
        .collect();
    let mut placed = vec![false; crates.len()];
    let mut order = Vec::new();
    while order.len() < crates.len() {
        let next = (0..crates.len())
            .find(|&i| !placed[i] && deps[i].iter().all(|&d| placed[d] || d == i))
            // A cycle (only through dev-dependencies in practice): keep the directory order.
            .or_else(|| (0..crates.len()).find(|&i| !placed[i]));
        let Some(i) = next else { break };
        placed[i] = true;
        order.push(i);
    }
    let mut crates: Vec<Option<Unit>> = crates.into_iter().map(Some).collect();
    for i in order {
        if let Some(u) = crates[i].take() {
            units.push(u);
        }
    }
}

/// What a manifest says about publishing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Read {
    /// Not a package (a virtual workspace root).
    NotAUnit,
    /// A package that is not to be published, and why.
    Skip(String),
    /// A package to publish.
    Unit {
        name: String,
        version: String,
        line: Option<usize>,
        public_access: bool,
    },
}

pub(super) fn manifest_error(
    path: &str,
    line: Option<usize>,
    message: String,
    hint: &str,
) -> Error {
    Error::Manifest {
        path: path.to_owned(),
        line,
        message,
        hint: hint.to_owned(),
    }
}

/// The 1-based line of byte `offset` in `text`.
pub(super) fn line_at(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// The line of the first `key = ` (TOML) or `"key":` (JSON) in `text`.
pub(super) fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let t = l.trim_start();
            t.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
                || t.strip_prefix(&format!("\"{key}\""))
                    .is_some_and(|r| r.trim_start().starts_with(':'))
        })
        .map(|i| i + 1)
}

pub(super) fn parse_toml(path: &str, text: &str) -> Result<toml::Table, Error> {
    text.parse::<toml::Table>().map_err(|e| {
        manifest_error(
            path,
            e.span().map(|s| line_at(text, s.start)),
            format!("is not valid TOML: {}", e.message()),
            "fix the syntax (`cargo metadata` or a TOML linter shows the same place)",
        )
    })
}

/// `Cargo.toml`: `[package]` name and version (`version.workspace = true` reads the root's
/// `[workspace.package]`); `publish = false`, or a `publish` list without `crates-io`, skips.
pub(super) fn read_cargo(
    path: &str,
    text: &str,
    workspace: &dyn Fn() -> String,
) -> Result<Read, Error> {
    let table = parse_toml(path, text)?;
    let Some(package) = table.get("package").and_then(|p| p.as_table()) else {
        return Ok(Read::NotAUnit);
    };
    let hint = "give `[package]` a `name` and a `version = \"1.2.3\"`";
    let name = package
        .get("name")
        .and_then(|n| n.as_str())
        .ok_or_else(|| manifest_error(path, None, "`[package]` has no `name`".into(), hint))?;
    check_name(Registry::Crates, path, name)?;
    match package.get("publish") {
        Some(toml::Value::Boolean(false)) => {
            return Ok(Read::Skip("it says `publish = false`".into()));
        }
        Some(toml::Value::Array(list)) if !list.iter().any(|r| r.as_str() == Some("crates-io")) => {
            return Ok(Read::Skip(
                "its `publish` list does not name `crates-io`".into(),
            ));
        }
        _ => {}
    }
    let line = line_of_key(text, "version");
    let version = match package.get("version") {
        Some(toml::Value::String(v)) => v.clone(),
        Some(toml::Value::Table(t))
            if t.get("workspace").and_then(|w| w.as_bool()) == Some(true) =>
        {
            let root = workspace();
            let root_table = parse_toml("Cargo.toml", &root)?;
            root_table
                .get("workspace")
                .and_then(|w| w.get("package"))
                .and_then(|p| p.get("version"))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
                .ok_or_else(|| {
                    manifest_error(
                        path,
                        line,
                        "`version.workspace = true`, but the root `Cargo.toml` has no `[workspace.package]` version".into(),
                        "add `version = \"1.2.3\"` under `[workspace.package]` in the root `Cargo.toml`",
                    )
                })?
        }
        Some(_) => {
            return Err(manifest_error(
                path,
                line,
                "`version` is not a string".into(),
                hint,
            ));
        }
        None => {
            return Err(manifest_error(
                path,
                None,
                "`[package]` has no `version`".into(),
                hint,
            ));
        }
    };
    check_semver(path, line, &version)?;
    Ok(Read::Unit {
        name: name.to_owned(),
        version,
        line,
        public_access: false,
    })
}

/// A package name the registry accepts, checked before it reaches a URL or a command:
/// crates.io takes ASCII letters, digits, `-` and `_`; PyPI also `.`; npm URL-safe characters
/// with an optional `@scope/`.
pub(super) fn check_name(registry: Registry, path: &str, name: &str) -> Result<(), Error> {
    let plain = |s: &str, extra: &[u8]| {
        !s.is_empty()
            && s.len() <= 214
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || extra.contains(&b))
    };
    let ok = match registry {
        Registry::Crates => plain(name, b"-_"),
        Registry::Pypi => plain(name, b"-_."),
        Registry::Npm => {
            let (scope, bare) = match name.strip_prefix('@') {
                Some(scoped) => match scoped.split_once('/') {
                    Some((scope, bare)) => (Some(scope), bare),
                    None => (Some(""), scoped),
                },
                None => (None, name),
            };
            scope.is_none_or(|s| plain(s, b"-_.~"))
                && plain(bare, b"-_.~")
                && !bare.starts_with(['.', '_'])
        }
    };
    if ok {
        Ok(())
    } else {
        Err(manifest_error(
            path,
            None,
            format!(
                "the package name `{}` is not one the registry accepts",
                name.escape_debug()
            ),
            "use ASCII letters, digits, `-` and `_` (npm: also `.` and `~`, with an optional `@scope/`)",
        ))
    }
}

pub(super) fn check_semver(path: &str, line: Option<usize>, version: &str) -> Result<(), Error> {
    semver::Version::parse(version).map(drop).map_err(|e| {
        manifest_error(
            path,
            line,
            format!("the version `{version}` is not a semantic version ({e})"),
            "write three numbers, e.g. `1.2.3` (or `1.2.3-rc.1`)",
        )
    })
}

/// `package.json`: `name` and `version`; `"private": true` skips.
pub(super) fn read_package_json(path: &str, text: &str) -> Result<Read, Error> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        manifest_error(
            path,
            Some(e.line()),
            format!("is not valid JSON: {e}"),
            "fix the syntax (`npm pkg get name` shows whether npm can read it)",
        )
    })?;
    if value.get("private").and_then(serde_json::Value::as_bool) == Some(true) {
        return Ok(Read::Skip("it says `\"private\": true`".into()));
    }
    let hint = "add a top-level `\"name\"` and `\"version\": \"1.2.3\"`";
    let name = value
        .get("name")
        .and_then(|n| n.as_str())
        .filter(|n| !n.is_empty())
        .ok_or_else(|| manifest_error(path, None, "has no `name`".into(), hint))?;
    check_name(Registry::Npm, path, name)?;
    let line = line_of_key(text, "version");
    let version = match value.get("version") {
        Some(serde_json::Value::String(v)) => v.clone(),
        Some(_) => {
            return Err(manifest_error(
                path,
                line,
                "`version` is not a string".into(),
                hint,
            ));
        }
        None => return Err(manifest_error(path, None, "has no `version`".into(), hint)),
    };
    check_semver(path, line, &version)?;
    let public_access = value
        .get("publishConfig")
        .and_then(|p| p.get("access"))
        .is_none();
    Ok(Read::Unit {
        name: name.to_owned(),
        version,
        line,
        public_access,
    })
}

/// `pyproject.toml`: `[project]` (else `[tool.poetry]`) name and version. A `dynamic` version
/// is computed by the build backend (from the tag, with setuptools-scm or hatch-vcs): it is
/// taken to be the released version, which must then be given.
pub(super) fn read_pyproject(
    path: &str,
    text: &str,
    released: Option<&str>,
) -> Result<Read, Error> {
    let table = parse_toml(path, text)?;
    let project = table.get("project").and_then(|p| p.as_table()).or_else(|| {
        table
            .get("tool")
            .and_then(|t| t.get("poetry"))
            .and_then(|p| p.as_table())
    });
    let Some(project) = project else {
        return Ok(Read::NotAUnit);
    };
    let hint = "give `[project]` a `name` and a `version = \"1.2.3\"`";
    let name = project
        .get("name")
        .and_then(|n| n.as_str())
        .ok_or_else(|| manifest_error(path, None, "`[project]` has no `name`".into(), hint))?;
    check_name(Registry::Pypi, path, name)?;
    if project
        .get("classifiers")
        .and_then(|c| c.as_array())
        .is_some_and(|c| {
            c.iter()
                .any(|c| c.as_str() == Some("Private :: Do Not Upload"))
        })
    {
        return Ok(Read::Skip(
            "its classifiers say `Private :: Do Not Upload`".into(),
        ));
    }
    let line = line_of_key(text, "version");
    let dynamic = project
        .get("dynamic")
        .and_then(|d| d.as_array())
        .is_some_and(|d| d.iter().any(|v| v.as_str() == Some("version")));
    let version = match (project.get("version"), dynamic, released) {
        (Some(toml::Value::String(v)), _, _) => v.clone(),
        (Some(_), _, _) => {
            return Err(manifest_error(
                path,
                line,
                "`version` is not a string".into(),
                hint,
            ));
        }
        (None, true, Some(r)) => pep440(r),
        (None, true, None) => {
            return Err(manifest_error(
                path,
                None,
                "the version is `dynamic`: it is not in this file".into(),
                "pass the released version, e.g. `--version 1.2.3`",
            ));
        }
        (None, false, _) => {
            return Err(manifest_error(
                path,
                None,
                "`[project]` has no `version`".into(),
                hint,
            ));
        }
    };
    Ok(Read::Unit {
        name: name.to_owned(),
        version,
        line,
        public_access: false,
    })
}

/// A SemVer version in PEP 440 form: `1.2.3-rc.1` -> `1.2.3rc1`, `-alpha.2` -> `a2`,
/// `-beta.1` -> `b1`; anything else unchanged.
///
/// ```
/// use slipway::release::registries::pep440;
/// assert_eq!(pep440("1.2.3-rc.1"), "1.2.3rc1");
/// assert_eq!(pep440("2.0.0"), "2.0.0");
/// ```
pub fn pep440(version: &str) -> String {
    let Some((core, pre)) = version.split_once('-') else {
        return version.to_owned();
    };
    let (tag, n) = pre.split_once('.').unwrap_or((pre, "0"));
    let short = match tag {
        "rc" => "rc",
        "alpha" | "a" => "a",
        "beta" | "b" => "b",
        _ => return version.to_owned(),
    };
    if n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty() {
        format!("{core}{short}{n}")
    } else {
        version.to_owned()
    }
}

/// Whether a manifest's version is the released one (PyPI compares PEP 440 forms).
pub(super) fn same_version(registry: Registry, manifest: &str, released: &str) -> bool {
    match registry {
        Registry::Pypi => manifest == released || manifest == pep440(released),
        _ => manifest == released,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Hint;

    fn unit(read: Read) -> (String, String) {
        match read {
            Read::Unit { name, version, .. } => (name, version),
            other => panic!("not a unit: {other:?}"),
        }
    }

    #[test]
    fn cargo_manifests_give_name_and_version_or_say_why_not() {
        let none = String::new;
        assert_eq!(
            unit(
                read_cargo(
                    "Cargo.toml",
                    "[package]\nname = \"shop\"\nversion = \"1.2.0\"\n",
                    &none
                )
                .unwrap()
            ),
            ("shop".into(), "1.2.0".into())
        );
        assert_eq!(
            read_cargo("Cargo.toml", "[workspace]\nmembers = [\"a\"]\n", &none).unwrap(),
            Read::NotAUnit
        );
        assert!(matches!(
            read_cargo(
                "Cargo.toml",
                "[package]\nname = \"x\"\nversion = \"1.0.0\"\npublish = false\n",
                &none
            )
            .unwrap(),
            Read::Skip(_)
        ));
        let root = || "[workspace.package]\nversion = \"3.1.0\"\n".to_owned();
        assert_eq!(
            unit(
                read_cargo(
                    "a/Cargo.toml",
                    "[package]\nname = \"a\"\nversion.workspace = true\n",
                    &root
                )
                .unwrap()
            ),
            ("a".into(), "3.1.0".into())
        );
        let err = read_cargo(
            "Cargo.toml",
            "[package]\nname = \"x\"\nversion = \"1.0\"\n",
            &none,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`Cargo.toml` line 3: the version `1.0` is not a semantic version (unexpected end of input while parsing minor version number)"
        );
        let err = read_cargo("Cargo.toml", "[package\nname = 1\n", &none).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("`Cargo.toml` line 1: is not valid TOML"),
            "{err}"
        );
    }

    #[test]
    fn package_json_private_is_skipped_and_a_missing_version_refused() {
        assert!(matches!(
            read_package_json("package.json", r#"{"name": "root", "private": true}"#).unwrap(),
            Read::Skip(_)
        ));
        let err =
            read_package_json("web/package.json", "{\n  \"name\": \"@shop/web\"\n}\n").unwrap_err();
        assert_eq!(err.to_string(), "`web/package.json`: has no `version`");
        assert!(err.hint().unwrap().contains("\"version\""));
        let Read::Unit { public_access, .. } = read_package_json(
            "package.json",
            r#"{"name": "@shop/web", "version": "1.0.0", "publishConfig": {"access": "restricted"}}"#,
        )
        .unwrap() else {
            panic!("a unit")
        };
        assert!(!public_access, "publishConfig.access decides");
    }

    #[test]
    fn pyproject_dynamic_versions_take_the_released_one() {
        let text = "[project]\nname = \"shop\"\ndynamic = [\"version\"]\n";
        assert_eq!(
            unit(read_pyproject("pyproject.toml", text, Some("1.3.0-rc.2")).unwrap()),
            ("shop".into(), "1.3.0rc2".into())
        );
        let err = read_pyproject("pyproject.toml", text, None).unwrap_err();
        assert!(err.to_string().contains("`dynamic`"), "{err}");
        assert_eq!(
            read_pyproject("pyproject.toml", "[tool.ruff]\nline-length = 100\n", None).unwrap(),
            Read::NotAUnit
        );
    }

    #[test]
    fn names_that_could_change_a_url_or_a_command_are_refused() {
        assert!(check_name(Registry::Npm, "package.json", "@shop/web").is_ok());
        assert!(check_name(Registry::Crates, "Cargo.toml", "ledger_core-2").is_ok());
        for (r, bad) in [
            (Registry::Crates, "a\u{e9}b"),
            (Registry::Npm, "../../x"),
            (Registry::Npm, "@shop/web?x=1"),
            (Registry::Pypi, "shop core"),
            (Registry::Npm, ""),
        ] {
            let err = check_name(r, "m", bad).expect_err(bad);
            assert!(
                err.to_string().contains("is not one the registry accepts"),
                "{err}"
            );
        }
        // A non-ASCII crate name never reaches the index path (which slices bytes).
        assert!(
            read_cargo(
                "Cargo.toml",
                "[package]\nname = \"a\u{e9}b\"\nversion = \"1.0.0\"\n",
                &String::new
            )
            .is_err()
        );
    }

    #[test]
    fn versions_compare_in_each_registrys_terms() {
        assert!(same_version(Registry::Pypi, "1.2.0rc1", "1.2.0-rc.1"));
        assert!(!same_version(Registry::Npm, "1.2.0", "1.2.1"));
        assert_eq!(pep440("1.0.0-dev.3"), "1.0.0-dev.3");
    }
}
