//! Package managers the runner lacks, and the commands that install a unit's dependencies.
//!
//! GitHub's runner images ship pip, npm and (before Node 25) corepack, but not Poetry, uv,
//! PDM, Pipenv, pnpm, Yarn 2+ or Bun; and corepack, which used to fetch pnpm and Yarn, is no
//! longer part of Node from version 25 on (<https://github.com/nodejs/TSC/pull/1697>). So each
//! is installed with the ecosystem's own installer at a pinned version: the one the
//! repository records (`packageManager`, `poetry.lock`'s header, `[tool.uv] required-version`),
//! else the default below, so a run is repeatable.
//!
//! Dependencies include what the tests need, not only the runtime ones: dev and test
//! requirement files, PEP 735 dependency groups, Poetry groups and `test`/`dev` extras.

use std::path::Path;

use crate::detect::{PackageManager, python, shell_quote};

use super::cache::{self, Os};
use super::versions;

/// Versions installed when the repository records none: the newest releases on PyPI and npm
/// when this table was last updated (November 2026).
pub mod defaults {
    /// Poetry.
    pub const POETRY: &str = "2.5.1";
    /// uv.
    pub const UV: &str = "0.13.8";
    /// PDM.
    pub const PDM: &str = "2.29.4";
    /// Pipenv.
    pub const PIPENV: &str = "2026.10.3";
    /// pnpm for a lockfile of format 9 (pnpm 9 and later). pnpm 11 and later stop on Node 20,
    /// which projects still test on, so the newest 10.x.
    pub const PNPM: &str = "10.34.9";
    /// pnpm for a lockfile of format 6 (pnpm 8).
    pub const PNPM_8: &str = "8.15.9";
    /// pnpm for a lockfile of format 5.4 (pnpm 7).
    pub const PNPM_7: &str = "7.33.7";
    /// Yarn classic, for a `yarn.lock` of version 1.
    pub const YARN_CLASSIC: &str = "1.22.22";
    /// Yarn 2 and later (`@yarnpkg/cli-dist`), for a `yarn.lock` with `__metadata`.
    pub const YARN_BERRY: &str = "4.18.1";
    /// Bun.
    pub const BUN: &str = "1.4.4";
}

/// Groups and extras installed besides the default ones, when a project defines them.
const TEST_GROUPS: &[&str] = &["dev", "test", "tests", "testing"];

/// Requirement files with what tests need, in install order, beside `requirements.txt`.
const DEV_REQUIREMENTS: &[&str] = &[
    "requirements-dev.txt",
    "requirements_dev.txt",
    "dev-requirements.txt",
    "requirements-test.txt",
    "requirements_test.txt",
    "test-requirements.txt",
    "requirements-tests.txt",
];

/// Reads a regular file (a symlink is not followed).
fn read(path: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > crate::detect::MAX_MANIFEST_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

fn exact(version: &str) -> Option<String> {
    let v = version.trim().trim_start_matches("==").trim();
    (versions::is_concrete(v)
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+')))
    .then(|| v.to_owned())
}

/// Where the package managers a job installs go, as the shell sees it: under the job's
/// temporary directory, with `bin/` put on `GITHUB_PATH` ([`with_tools_on_path`]).
pub const TOOLS_DIR: &str = "$RUNNER_TEMP/slipway-tools";

/// The install commands, joined, then the tools' `bin/` put on the path of later steps.
pub fn with_tools_on_path(commands: &[String]) -> String {
    if commands.is_empty() {
        return String::new();
    }
    format!(
        "mkdir -p \"{TOOLS_DIR}/bin\" && {} && echo \"{TOOLS_DIR}/bin\" >> \"$GITHUB_PATH\"",
        commands.join(" && ")
    )
}

/// The command that installs `pm` at a pinned version, run in `dir` (the unit's directory);
/// `recorded` is the version the repository names (`packageManager`, `.tool-versions`), if
/// any. Empty for package managers the runner or the setup action already has.
pub fn install_tool(pm: PackageManager, dir: &Path, recorded: Option<&str>) -> String {
    let recorded = recorded.and_then(exact);
    // Each tool goes into the job's own directory ([`TOOLS_DIR`]), never into the runner's
    // shared interpreter or global npm prefix: jobs that share a machine (a self-hosted runner,
    // concurrent jobs on one host) would race and leave tools behind, and a non-root runner
    // cannot write the global prefix at all. pipx gives a Python tool a venv of its own (on
    // the set-up interpreter) and puts only its commands in the bin directory.
    let pip = |name: &str, version: String| {
        format!(
            "PIPX_HOME=\"{TOOLS_DIR}/pipx\" PIPX_BIN_DIR=\"{TOOLS_DIR}/bin\" pipx install --python python {name}=={version}"
        )
    };
    let npm = |package: &str, version: String| {
        format!("npm install --global --prefix \"{TOOLS_DIR}\" {package}@{version}")
    };
    match pm {
        PackageManager::Poetry => {
            let from_lock =
                read(&dir.join("poetry.lock")).and_then(|t| python::parse_poetry_lock_version(&t));
            pip(
                "poetry",
                from_lock.unwrap_or_else(|| defaults::POETRY.to_owned()),
            )
        }
        PackageManager::Uv => {
            let required = read(&dir.join("pyproject.toml"))
                .and_then(|t| python::parse_pyproject(&t).ok())
                .and_then(|p| p.uv_required_version)
                .and_then(|v| v.strip_prefix("==").and_then(exact));
            pip("uv", required.unwrap_or_else(|| defaults::UV.to_owned()))
        }
        PackageManager::Pdm => pip("pdm", defaults::PDM.to_owned()),
        PackageManager::Pipenv => pip("pipenv", defaults::PIPENV.to_owned()),
        PackageManager::Pnpm => {
            let version = recorded.unwrap_or_else(|| {
                let lock = read(&dir.join("pnpm-lock.yaml")).unwrap_or_default();
                let format = lock
                    .lines()
                    .find_map(|l| l.strip_prefix("lockfileVersion:"))
                    .map(|v| v.trim().trim_matches(['\'', '"']).to_owned())
                    .unwrap_or_default();
                match format.split('.').next() {
                    Some("6") => defaults::PNPM_8,
                    Some("5") => defaults::PNPM_7,
                    _ => defaults::PNPM,
                }
                .to_owned()
            });
            npm("pnpm", version)
        }
        PackageManager::Yarn => match recorded {
            Some(v) if v.starts_with("1.") => npm("yarn", v),
            Some(v) => npm("@yarnpkg/cli-dist", v),
            None if yarn_berry(dir) => npm("@yarnpkg/cli-dist", defaults::YARN_BERRY.to_owned()),
            None => npm("yarn", defaults::YARN_CLASSIC.to_owned()),
        },
        PackageManager::Bun => npm("bun", recorded.unwrap_or_else(|| defaults::BUN.to_owned())),
        _ => String::new(),
    }
}

/// True when the unit uses Yarn 2 or later: its `yarn.lock` has a `__metadata` block.
fn yarn_berry(dir: &Path) -> bool {
    read(&dir.join("yarn.lock")).is_some_and(|t| t.contains("\n__metadata:"))
        || read(&dir.join(".yarnrc.yml")).is_some()
}

/// The command that installs the dependencies of the unit in `dir` with `pm`, tests' ones
/// included; empty when there is nothing to run.
pub fn install_dependencies(pm: PackageManager, dir: &Path, recorded: Option<&str>) -> String {
    let pyproject =
        read(&dir.join("pyproject.toml")).and_then(|t| python::parse_pyproject(&t).ok());
    let wanted = |names: &[String]| -> Vec<String> {
        TEST_GROUPS
            .iter()
            .filter(|g| names.iter().any(|n| n == *g))
            .map(|g| (*g).to_owned())
            .collect()
    };
    let extras = pyproject
        .as_ref()
        .map(|p| wanted(&p.extras))
        .unwrap_or_default();
    let groups = pyproject
        .as_ref()
        .map(|p| wanted(&p.dependency_groups))
        .unwrap_or_default();
    match pm {
        PackageManager::Pip => pip_install(dir, pyproject.as_ref(), &extras, &groups),
        PackageManager::Poetry => {
            let mut cmd = "poetry install --no-interaction".to_owned();
            let poetry_groups = pyproject
                .as_ref()
                .map(|p| wanted(&p.poetry_groups))
                .unwrap_or_default();
            // `--with` came in Poetry 1.2; a lock written by 1.1 installs dev dependencies anyway.
            let old = read(&dir.join("poetry.lock"))
                .and_then(|t| python::parse_poetry_lock_version(&t))
                .is_some_and(|v| v.starts_with("1.0") || v.starts_with("1.1."));
            if !poetry_groups.is_empty() && !old {
                cmd.push_str(&format!(" --with {}", poetry_groups.join(",")));
            }
            for e in &extras {
                cmd.push_str(&format!(" --extras {e}"));
            }
            cmd
        }
        PackageManager::Uv => {
            // `uv sync` installs the `dev` group by default.
            let mut cmd = "uv sync".to_owned();
            if dir.join("uv.lock").is_file() {
                cmd.push_str(" --frozen");
            }
            for g in groups.iter().filter(|g| *g != "dev") {
                cmd.push_str(&format!(" --group {g}"));
            }
            for e in &extras {
                cmd.push_str(&format!(" --extra {e}"));
            }
            cmd
        }
        // Both install the dev dependency groups by default.
        PackageManager::Pdm if dir.join("pdm.lock").is_file() => "pdm sync".to_owned(),
        PackageManager::Pdm => "pdm install".to_owned(),
        PackageManager::Pipenv if dir.join("Pipfile.lock").is_file() => {
            "pipenv sync --dev".to_owned()
        }
        PackageManager::Pipenv => "pipenv install --dev".to_owned(),
        PackageManager::Yarn => {
            let classic = match recorded.and_then(exact) {
                Some(v) => v.starts_with("1."),
                None => !yarn_berry(dir),
            };
            match (dir.join("yarn.lock").is_file(), classic) {
                (false, _) => "yarn install".to_owned(),
                (true, true) => "yarn install --frozen-lockfile".to_owned(),
                (true, false) => "yarn install --immutable".to_owned(),
            }
        }
        // Without a lockfile a frozen install fails at once (`npm ci` needs
        // package-lock.json): resolve instead, as the project's own developers do.
        PackageManager::Npm
            if !["package-lock.json", "npm-shrinkwrap.json"]
                .iter()
                .any(|f| dir.join(f).is_file()) =>
        {
            "npm install --no-audit --no-fund".to_owned()
        }
        PackageManager::Pnpm if !dir.join("pnpm-lock.yaml").is_file() => "pnpm install".to_owned(),
        PackageManager::Bun
            if !["bun.lock", "bun.lockb"]
                .iter()
                .any(|f| dir.join(f).is_file()) =>
        {
            "bun install".to_owned()
        }
        PackageManager::Cargo if !dir.join("Cargo.lock").is_file() => "cargo fetch".to_owned(),
        _ => cache::spec(pm, Os::Linux).install.to_owned(),
    }
}

/// pip: the requirement files, dev and test ones included, then the project itself with its
/// test extras when it is installable, then its dependency groups (pip 25.1 and later).
fn pip_install(
    dir: &Path,
    pyproject: Option<&python::Pyproject>,
    extras: &[String],
    groups: &[String],
) -> String {
    let mut args: Vec<String> = Vec::new();
    let mut files: Vec<String> = Vec::new();
    if dir.join("requirements.txt").is_file() {
        files.push("requirements.txt".to_owned());
    }
    files.extend(
        DEV_REQUIREMENTS
            .iter()
            .filter(|f| dir.join(f).is_file())
            .map(|f| (*f).to_owned()),
    );
    if let Ok(entries) = std::fs::read_dir(dir.join("requirements")) {
        let mut names: Vec<String> = entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .filter(|n| {
                n.ends_with(".txt")
                    && (n.starts_with("dev") || n.starts_with("test") || n == "development.txt")
            })
            .collect();
        names.sort();
        files.extend(names.into_iter().map(|n| format!("requirements/{n}")));
    }
    for f in &files {
        args.push(format!("-r {}", shell_quote(f)));
    }
    let installable = pyproject.is_some_and(|p| p.has_project_table)
        || dir.join("setup.py").is_file()
        || dir.join("setup.cfg").is_file();
    if installable {
        let target = if extras.is_empty() {
            ".".to_owned()
        } else {
            format!(".[{}]", extras.join(","))
        };
        args.push(format!("-e {}", shell_quote(&target)));
    }
    for g in groups {
        args.push(format!("--group {g}"));
    }
    if args.is_empty() {
        return String::new();
    }
    let upgrade = if groups.is_empty() {
        ""
    } else {
        "python -m pip install --disable-pip-version-check --upgrade pip && "
    };
    format!(
        "{upgrade}python -m pip install --disable-pip-version-check {}",
        args.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    #[test]
    fn python_tools_are_pinned_from_the_repository_or_the_defaults() {
        let d = repo(&[(
            "poetry.lock",
            "# This file is automatically @generated by Poetry 1.8.3 and should not be changed by hand.\n",
        )]);
        assert_eq!(
            install_tool(PackageManager::Poetry, d.path(), None),
            "PIPX_HOME=\"$RUNNER_TEMP/slipway-tools/pipx\" PIPX_BIN_DIR=\"$RUNNER_TEMP/slipway-tools/bin\" pipx install --python python poetry==1.8.3"
        );
        let d = repo(&[(
            "pyproject.toml",
            "[tool.uv]\nrequired-version = \"==0.5.4\"\n",
        )]);
        assert!(install_tool(PackageManager::Uv, d.path(), None).ends_with(" uv==0.5.4"));
        let d = repo(&[(
            "pyproject.toml",
            "[tool.uv]\nrequired-version = \">=0.5\"\n",
        )]);
        assert!(
            install_tool(PackageManager::Uv, d.path(), None)
                .ends_with(&format!(" uv=={}", defaults::UV))
        );
        assert!(
            install_tool(PackageManager::Poetry, repo(&[]).path(), None)
                .ends_with(&format!("poetry=={}", defaults::POETRY))
        );
        assert!(install_tool(PackageManager::Pdm, repo(&[]).path(), None).ends_with("pdm==2.29.4"));
        assert_eq!(
            install_tool(PackageManager::Pip, repo(&[]).path(), None),
            ""
        );
    }

    #[test]
    fn node_tools_never_go_through_corepack() {
        let empty = repo(&[]);
        let p = empty.path();
        assert_eq!(
            install_tool(PackageManager::Pnpm, p, Some("9.12.0")),
            "npm install --global --prefix \"$RUNNER_TEMP/slipway-tools\" pnpm@9.12.0"
        );
        let v6 = repo(&[("pnpm-lock.yaml", "lockfileVersion: '6.0'\n")]);
        assert!(install_tool(PackageManager::Pnpm, v6.path(), None).ends_with("pnpm@8.15.9"));
        assert!(install_tool(PackageManager::Pnpm, p, None).ends_with("pnpm@10.34.9"));
        assert!(
            install_tool(PackageManager::Yarn, p, Some("4.5.0"))
                .ends_with("@yarnpkg/cli-dist@4.5.0")
        );
        assert!(install_tool(PackageManager::Yarn, p, Some("1.22.19")).ends_with(" yarn@1.22.19"));
        assert!(install_tool(PackageManager::Yarn, p, None).ends_with(" yarn@1.22.22"));
        let berry = repo(&[("yarn.lock", "# x\n\n__metadata:\n  version: 8\n")]);
        assert!(
            install_tool(PackageManager::Yarn, berry.path(), None)
                .ends_with("@yarnpkg/cli-dist@4.18.1")
        );
        assert_eq!(
            install_dependencies(PackageManager::Yarn, berry.path(), None),
            "yarn install --immutable"
        );
        let classic = repo(&[("yarn.lock", "# yarn lockfile v1\n")]);
        assert_eq!(
            install_dependencies(PackageManager::Yarn, classic.path(), None),
            "yarn install --frozen-lockfile"
        );
        assert_eq!(
            install_tool(PackageManager::Bun, p, Some("1.1.30")),
            "npm install --global --prefix \"$RUNNER_TEMP/slipway-tools\" bun@1.1.30"
        );
        assert!(install_tool(PackageManager::Bun, p, None).ends_with("bun@1.4.4"));
        // A recorded version that is not one exact release falls back to the default.
        assert!(install_tool(PackageManager::Pnpm, p, Some("$(id)")).ends_with("pnpm@10.34.9"));
        assert_eq!(install_tool(PackageManager::Npm, p, None), "");
    }

    #[test]
    fn without_a_lockfile_the_install_resolves_instead_of_failing() {
        let empty = repo(&[]);
        let p = empty.path();
        assert_eq!(
            install_dependencies(PackageManager::Npm, p, None),
            "npm install --no-audit --no-fund"
        );
        assert_eq!(
            install_dependencies(PackageManager::Pnpm, p, None),
            "pnpm install"
        );
        assert_eq!(
            install_dependencies(PackageManager::Yarn, p, None),
            "yarn install"
        );
        assert_eq!(
            install_dependencies(PackageManager::Bun, p, None),
            "bun install"
        );
        assert_eq!(
            install_dependencies(PackageManager::Cargo, p, None),
            "cargo fetch"
        );
        let locked = repo(&[("package-lock.json", "{}"), ("Cargo.lock", "version = 4\n")]);
        assert_eq!(
            install_dependencies(PackageManager::Npm, locked.path(), None),
            "npm ci"
        );
        assert_eq!(
            install_dependencies(PackageManager::Cargo, locked.path(), None),
            "cargo fetch --locked"
        );
    }

    #[test]
    fn pip_installs_dev_requirements_and_test_extras() {
        let d = repo(&[
            ("requirements.txt", "django\n"),
            ("requirements-dev.txt", "pytest\n"),
            ("requirements/test.txt", "pytest-django\n"),
            ("requirements/prod.txt", "gunicorn\n"),
            (
                "pyproject.toml",
                "[project]\nname = \"a\"\n[project.optional-dependencies]\ntest = [\"pytest\"]\ndocs = [\"sphinx\"]\n",
            ),
        ]);
        assert_eq!(
            install_dependencies(PackageManager::Pip, d.path(), None),
            "python -m pip install --disable-pip-version-check -r requirements.txt -r requirements-dev.txt -r requirements/test.txt -e '.[test]'"
        );
        let groups = repo(&[(
            "pyproject.toml",
            "[project]\nname = \"a\"\n[dependency-groups]\ndev = [\"pytest\"]\nlint = [\"ruff\"]\n",
        )]);
        assert_eq!(
            install_dependencies(PackageManager::Pip, groups.path(), None),
            "python -m pip install --disable-pip-version-check --upgrade pip && python -m pip install --disable-pip-version-check -e . --group dev"
        );
        assert_eq!(
            install_dependencies(PackageManager::Pip, repo(&[]).path(), None),
            ""
        );
    }

    #[test]
    fn poetry_uv_pdm_and_pipenv_install_the_test_groups() {
        let d = repo(&[(
            "pyproject.toml",
            "[tool.poetry]\nname = \"a\"\n[tool.poetry.group.test.dependencies]\npytest = \"*\"\n[tool.poetry.group.docs.dependencies]\nsphinx = \"*\"\n[tool.poetry.group.dev.dependencies]\nruff = \"*\"\n",
        )]);
        assert_eq!(
            install_dependencies(PackageManager::Poetry, d.path(), None),
            "poetry install --no-interaction --with dev,test"
        );
        let d = repo(&[
            ("uv.lock", "version = 1\n"),
            (
                "pyproject.toml",
                "[project]\nname = \"a\"\n[dependency-groups]\ndev = [\"ruff\"]\ntest = [\"pytest\"]\n",
            ),
        ]);
        assert_eq!(
            install_dependencies(PackageManager::Uv, d.path(), None),
            "uv sync --frozen --group test"
        );
        assert_eq!(
            install_dependencies(PackageManager::Uv, repo(&[]).path(), None),
            "uv sync"
        );
        assert_eq!(
            install_dependencies(PackageManager::Pdm, repo(&[]).path(), None),
            "pdm install"
        );
        assert_eq!(
            install_dependencies(
                PackageManager::Pipenv,
                repo(&[("Pipfile.lock", "{}")]).path(),
                None
            ),
            "pipenv sync --dev"
        );
    }
}
