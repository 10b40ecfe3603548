//! The versions a unit's tests run on (`ci.units.<unit>.matrix`), and the Rust MSRV check.
//!
//! `matrix: auto` reads what the unit's manifest declares and keeps two versions, the oldest
//! and the newest: the oldest catches code that needs something newer than the project
//! promises, the newest catches removals and deprecations; versions in between rarely break
//! alone, and every extra version is one more test job per shard.
//!
//! - Rust: `rust-version` (the MSRV) and `stable`;
//! - Python: the lower bound of `requires-python` (or the oldest `Programming Language ::
//!   Python :: 3.N` classifier) and the newest classifier, else the upper bound, else
//!   [`NEWEST_PYTHON`];
//! - Node.js: the oldest major `engines.node` allows and the newest it names, or
//!   [`NEWEST_NODE`] for an open range (`>=18`);
//! - Go: the `go` directive of `go.mod` and `stable`.
//!
//! Without a matrix, a Rust unit whose `rust-version` differs from the toolchain its jobs use
//! gets an MSRV job (`cargo check` on `rust-version`), unless `matrix: none`.

use std::path::Path;

use crate::detect::Language;

/// The newest Python minor an open `requires-python` range is tested on.
pub const NEWEST_PYTHON: (u32, u32) = (3, 13);

/// The newest Node.js long-term-support major an open `engines.node` range is tested on.
pub const NEWEST_NODE: u32 = 24;

/// Cargo 1.78 is the first that reads a version 4 `Cargo.lock`.
const LOCKFILE_V4_CARGO: (u32, u32) = (1, 78);

/// The versions `matrix: auto` means for a unit, oldest first; empty when the manifest declares
/// none.
pub fn auto_versions(root: &Path, dir: &str, language: Language) -> Vec<String> {
    let read = |name: &str| crate::detect::read_capped(root, &crate::detect::join(dir, name)).ok();
    let versions = match language {
        Language::Rust => read("Cargo.toml")
            .and_then(|t| rust_version(&t))
            .map(|msrv| vec![msrv, "stable".to_owned()])
            .unwrap_or_default(),
        Language::Python => read("pyproject.toml")
            .map(|t| python_versions(&t))
            .unwrap_or_default(),
        Language::Javascript | Language::Typescript => read("package.json")
            .and_then(|t| {
                let v: serde_json::Value = serde_json::from_str(&t).ok()?;
                v.get("engines")?.get("node")?.as_str().map(node_versions)
            })
            .unwrap_or_default(),
        Language::Go => read("go.mod")
            .and_then(|t| {
                t.lines()
                    .find_map(|l| l.trim().strip_prefix("go ").map(|v| v.trim().to_owned()))
            })
            .filter(|v| crate::config::is_version(v))
            .map(|v| vec![v, "stable".to_owned()])
            .unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut out: Vec<String> = Vec::new();
    for v in versions {
        if crate::config::is_version(&v) && !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// The MSRV a Rust unit gets a check job for: its `rust-version`, when it differs from the
/// toolchain the other jobs use (`toolchain`) and the lockfile can be read by that cargo.
pub fn msrv(root: &Path, dir: &str, toolchain: Option<&str>) -> Option<String> {
    let manifest =
        crate::detect::read_capped(root, &crate::detect::join(dir, "Cargo.toml")).ok()?;
    let msrv = rust_version(&manifest)?;
    if !crate::config::is_version(&msrv) || toolchain.is_some_and(|t| same_release(t, &msrv)) {
        return None;
    }
    // A version 4 lockfile needs cargo 1.78: an older MSRV could not even read it, so the
    // check would fail for a reason the MSRV does not claim.
    let lock = crate::detect::read_capped(root, &crate::detect::join(dir, "Cargo.lock")).ok();
    if lock.as_deref().is_some_and(|l| lockfile_version(l) >= 4)
        && minor(&msrv).is_some_and(|m| m < LOCKFILE_V4_CARGO)
    {
        return None;
    }
    Some(msrv)
}

/// `1.85` and `1.85.0` are the same release for this purpose.
fn same_release(a: &str, b: &str) -> bool {
    let trim = |s: &str| {
        s.strip_suffix(".0")
            .map(str::to_owned)
            .unwrap_or_else(|| s.to_owned())
    };
    a == b || trim(a) == trim(b)
}

/// `package.rust-version`, or `workspace.package.rust-version` of a workspace root.
fn rust_version(manifest: &str) -> Option<String> {
    let value: toml::Table = toml::from_str(manifest).ok()?;
    let direct = value
        .get("package")
        .and_then(|p| p.get("rust-version"))
        .and_then(toml::Value::as_str);
    let workspace = value
        .get("workspace")
        .and_then(|w| w.get("package"))
        .and_then(|p| p.get("rust-version"))
        .and_then(toml::Value::as_str);
    direct.or(workspace).map(str::to_owned)
}

/// `version = 4` of a `Cargo.lock`; 1 when absent (the oldest format).
fn lockfile_version(lock: &str) -> u32 {
    lock.lines()
        .take(8)
        .find_map(|l| l.trim().strip_prefix("version = ")?.trim().parse().ok())
        .unwrap_or(1)
}

/// `(major, minor)` of `3.10`, `1.85.0`, `20`.
fn minor(v: &str) -> Option<(u32, u32)> {
    let mut parts = v.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
    Some((major, minor))
}

/// Oldest and newest Python minors of a `pyproject.toml`.
pub fn python_versions(pyproject: &str) -> Vec<String> {
    let Ok(value) = toml::from_str::<toml::Table>(pyproject) else {
        return Vec::new();
    };
    let project = value.get("project");
    let spec = project
        .and_then(|p| p.get("requires-python"))
        .and_then(toml::Value::as_str)
        .or_else(|| {
            // Poetry: `python = "^3.10"` under its dependencies.
            value
                .get("tool")?
                .get("poetry")?
                .get("dependencies")?
                .get("python")?
                .as_str()
        })
        .unwrap_or("");
    type Minor = Option<(u32, u32)>;
    let (mut lower, mut upper): (Minor, Minor) = (None, None);
    for clause in spec.split(',') {
        let clause = clause.trim();
        let (op, v) = match clause.find(|c: char| c.is_ascii_digit()) {
            Some(i) => (clause[..i].trim(), clause[i..].trim_end_matches(".*")),
            None => continue,
        };
        let Some(m) = minor(v) else { continue };
        match op {
            ">=" | "~=" | "^" | "~" => lower = lower.max(Some(m)),
            ">" => lower = lower.max(Some((m.0, m.1 + 1))),
            "<" => {
                let below = if v.split('.').count() > 2 && !v.ends_with(".0") {
                    m
                } else {
                    (m.0, m.1.saturating_sub(1))
                };
                upper = Some(upper.map_or(below, |u| u.min(below)));
            }
            "<=" => upper = Some(upper.map_or(m, |u| u.min(m))),
            "==" => {
                lower = Some(m);
                upper = Some(m);
            }
            _ => {}
        }
        if op == "^" || op == "~" {
            // Poetry's caret and tilde stay within the major (`^3.10` is `>=3.10,<4`).
            upper = upper.or(Some((m.0, u32::MAX)));
        }
    }
    let classifiers: Vec<(u32, u32)> = project
        .and_then(|p| p.get("classifiers"))
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| {
            c.as_str()?
                .strip_prefix("Programming Language :: Python :: ")
        })
        .filter_map(|v| minor(v).filter(|_| v.contains('.')))
        .filter(|m| lower.is_none_or(|l| *m >= l) && upper.is_none_or(|u| *m <= u))
        .collect();
    let oldest = lower.or_else(|| classifiers.iter().min().copied());
    let Some(oldest) = oldest else {
        return Vec::new();
    };
    let newest = classifiers
        .iter()
        .max()
        .copied()
        .or(upper.map(|u| u.min(NEWEST_PYTHON)))
        .unwrap_or(NEWEST_PYTHON)
        .max(oldest);
    let show = |m: (u32, u32)| format!("{}.{}", m.0, m.1);
    let mut out = vec![show(oldest)];
    if newest != oldest {
        out.push(show(newest));
    }
    out
}

/// Oldest and newest Node.js majors of an `engines.node` range.
pub fn node_versions(range: &str) -> Vec<String> {
    let mut oldest: Option<u32> = None;
    let mut newest: Option<u32> = None;
    let mut open = false;
    for clause in range.split("||") {
        let mut low: Option<u32> = None;
        let mut high: Option<u32> = None;
        let tokens: Vec<&str> = clause.split_whitespace().collect();
        let mut i = 0;
        while i < tokens.len() {
            let mut t = tokens[i].to_owned();
            // `>= 18` with a space.
            if matches!(t.as_str(), ">=" | ">" | "<" | "<=" | "^" | "~" | "=")
                && i + 1 < tokens.len()
            {
                t.push_str(tokens[i + 1]);
                i += 1;
            }
            i += 1;
            if t == "-" {
                continue;
            }
            let digits = t.trim_start_matches(|c: char| !c.is_ascii_digit());
            let op = &t[..t.len() - digits.len()];
            let major: Option<u32> = digits.split('.').next().and_then(|m| m.parse().ok());
            let Some(major) = major else { continue };
            match op {
                ">=" | ">" => low = Some(major),
                "<" => {
                    let minor_zero = digits.split('.').skip(1).all(|p| p == "0" || p == "x");
                    high = Some(if minor_zero {
                        major.saturating_sub(1)
                    } else {
                        major
                    });
                }
                "<=" => high = Some(major),
                _ => {
                    // `^20`, `~20.1`, `20.x`, `20`, `=20.1.0`, and the ends of `18 - 22`.
                    if low.is_none() {
                        low = Some(major);
                    }
                    high = Some(major);
                }
            }
        }
        let Some(low) = low else { continue };
        oldest = Some(oldest.map_or(low, |o| o.min(low)));
        match high {
            Some(h) => newest = Some(newest.map_or(h, |n| n.max(h))),
            None => open = true,
        }
    }
    let Some(oldest) = oldest else {
        return Vec::new();
    };
    let newest = if open {
        NEWEST_NODE.max(newest.unwrap_or(0))
    } else {
        newest.unwrap_or(oldest)
    }
    .max(oldest);
    let mut out = vec![oldest.to_string()];
    if newest != oldest {
        out.push(newest.to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_takes_the_oldest_and_newest_the_project_supports() {
        let p = |s: &str| python_versions(s);
        assert_eq!(
            p("[project]\nrequires-python = \">=3.10\"\n"),
            ["3.10", "3.13"]
        );
        assert_eq!(
            p("[project]\nrequires-python = \">=3.9,<3.12\"\n"),
            ["3.9", "3.11"]
        );
        assert_eq!(
            p(
                "[project]\nrequires-python = \">=3.9\"\nclassifiers = [\"Programming Language :: Python :: 3\", \"Programming Language :: Python :: 3.9\", \"Programming Language :: Python :: 3.12\"]\n"
            ),
            ["3.9", "3.12"]
        );
        assert_eq!(p("[project]\nrequires-python = \"==3.12.*\"\n"), ["3.12"]);
        assert_eq!(
            p("[project]\nrequires-python = \">3.9\"\n"),
            ["3.10", "3.13"]
        );
        assert_eq!(
            p("[tool.poetry.dependencies]\npython = \"^3.11\"\n"),
            ["3.11", "3.13"]
        );
        assert!(p("[project]\nname = \"x\"\n").is_empty());
        assert!(p("not toml [").is_empty());
    }

    #[test]
    fn node_takes_the_oldest_and_newest_majors_of_engines() {
        assert_eq!(node_versions(">=18"), ["18", "24"]);
        assert_eq!(node_versions("^18 || ^20 || ^22"), ["18", "22"]);
        assert_eq!(node_versions("18.x || 20.x"), ["18", "20"]);
        assert_eq!(node_versions(">=18.0.0 <23"), ["18", "22"]);
        assert_eq!(node_versions(">= 20"), ["20", "24"]);
        assert_eq!(node_versions("22"), ["22"]);
        assert!(node_versions("*").is_empty());
    }

    #[test]
    fn rust_versions_and_the_msrv_check() {
        let dir = tempfile::tempdir().unwrap();
        let write = |rel: &str, text: &str| std::fs::write(dir.path().join(rel), text).unwrap();
        write(
            "Cargo.toml",
            "[package]\nname = \"x\"\nrust-version = \"1.80\"\n",
        );
        assert_eq!(
            auto_versions(dir.path(), ".", Language::Rust),
            ["1.80", "stable"]
        );
        assert_eq!(msrv(dir.path(), ".", Some("1.91")), Some("1.80".to_owned()));
        assert_eq!(
            msrv(dir.path(), ".", Some("1.80.0")),
            None,
            "the jobs already use it"
        );
        write(
            "Cargo.toml",
            "[package]\nname = \"x\"\nrust-version = \"1.70\"\n",
        );
        write("Cargo.lock", "# generated\nversion = 4\n");
        assert_eq!(
            msrv(dir.path(), ".", Some("stable")),
            None,
            "cargo 1.70 cannot read a v4 lockfile"
        );
        write("Cargo.lock", "version = 3\n");
        assert_eq!(
            msrv(dir.path(), ".", Some("stable")),
            Some("1.70".to_owned())
        );
        write(
            "Cargo.toml",
            "[workspace]\nmembers = []\n[workspace.package]\nrust-version = \"1.82\"\n",
        );
        assert_eq!(msrv(dir.path(), ".", None), Some("1.82".to_owned()));
    }
}
