//! Detection for Python: `pyproject.toml` projects (PEP 621, Poetry, PDM, uv and uv workspaces),
//! Pipenv, setuptools and plain `requirements.txt` projects, Django apps, and `.python-version`.
//!
//! What is a project: a directory with a `pyproject.toml` that describes a package or its
//! dependencies (`[project]`, `[build-system]`, `[dependency-groups]`, `[tool.poetry]`,
//! `[tool.pdm]` or `[tool.uv]`; one holding only linter settings is not), a `setup.py`,
//! a `setup.cfg` with `[metadata]` or `[options]`, a `Pipfile`, a lockfile, or a Django
//! `manage.py`. A directory with only `requirements*.txt` is a project too, unless it sits
//! inside another Python project or is a `docs/` (or `doc/`, `documentation/`) directory: those
//! requirements install a documentation toolchain (Sphinx, MkDocs), not an application.
//! Members of a uv workspace (`[tool.uv.workspace] members` minus `exclude`) are subprojects
//! without a test command; the workspace root tests them all.
//!
//! Package manager: `uv.lock` or `[tool.uv]` → uv; `poetry.lock`, `[tool.poetry]` or the
//! poetry build backend → poetry; `pdm.lock` or `[tool.pdm]` → pdm; `Pipfile` → pipenv; else pip.
//! Lockfiles count in the project's directory and, for workspace members, at the root.
//!
//! Tests: the walk keeps `test_*.py`, `*_test.py`, `tests.py` and `conftest.py`, so a project
//! has tests when such a file sits below it (and not inside a nested Python project), or when it
//! configures pytest (`pytest.ini`, `[tool.pytest.ini_options]`, `[tool:pytest]` in `setup.cfg`,
//! `[pytest]` in `tox.ini`). Depending on pytest alone is not enough: pytest exits 5 when it
//! collects nothing. The runner is pytest, except for a Django project (a `manage.py`) that
//! neither configures nor depends on pytest, which runs `python manage.py test`. The command
//! goes through the package manager: `uv run pytest`, `poetry run pytest`, `pdm run pytest`,
//! `pipenv run pytest`, `python -m pytest` for pip (so the project is on `sys.path`), and
//! `uv run --all-packages pytest` at a uv workspace root so every member is installed.
//!
//! Lint: a project whose package manager installs ruff for development (`[dependency-groups]
//! dev`, `[tool.uv] dev-dependencies`, Poetry's `dev-dependencies` or a non-optional group,
//! `[tool.pdm.dev-dependencies]`, or `[project] dependencies`) is linted by that ruff
//! ([`BuildFacts::ruff`]); for a uv workspace, by the root's.
//!
//! Toolchains: `.python-version` (the first version line) is a toolchain file; `requires-python`,
//! the Poetry `python` dependency, Pipfile `python_version` and setup.cfg `python_requires` are
//! manifest fields.

use std::collections::{BTreeMap, BTreeSet};

use super::manifest::{self, Members, ancestors, relative_to, toml_error};
use super::{
    BuildFacts, Index, Language, PackageManager, Project, Scan, Source, dir_of, file_name, join,
};

/// Files that make their directory a project on their own.
const PROJECT_FILES: &[&str] = &[
    "setup.py",
    "Pipfile",
    "Pipfile.lock",
    "poetry.lock",
    "uv.lock",
    "pdm.lock",
    "manage.py",
];

/// True for file names this ecosystem reads.
pub fn interesting(file_name: &str) -> bool {
    matches!(
        file_name,
        "pyproject.toml"
            | "setup.cfg"
            | ".python-version"
            | "pytest.ini"
            | "tox.ini"
            | "conftest.py"
            | "tests.py"
    ) || PROJECT_FILES.contains(&file_name)
        || is_requirements(file_name)
        || is_test_file(file_name)
}

fn is_requirements(name: &str) -> bool {
    name.starts_with("requirements") && name.ends_with(".txt")
}

fn is_test_file(name: &str) -> bool {
    name.ends_with(".py") && (name.starts_with("test_") || name.ends_with("_test.py"))
}

/// What detection needs from one `pyproject.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pyproject {
    /// True when it describes a project rather than only configuring tools.
    pub is_project: bool,
    /// True when it has a `[project]` table (a uv workspace root without one is virtual).
    pub has_project_table: bool,
    /// `project.requires-python`.
    pub requires_python: Option<String>,
    /// `tool.poetry.dependencies.python`.
    pub poetry_python: Option<String>,
    /// Uses Poetry (`[tool.poetry]` or its build backend).
    pub poetry: bool,
    /// Uses uv (`[tool.uv]`).
    pub uv: bool,
    /// Uses PDM (`[tool.pdm]`).
    pub pdm: bool,
    /// `[tool.uv.workspace]`: member globs and exclude globs.
    pub uv_workspace: Option<(Vec<String>, Vec<String>)>,
    /// Configures pytest (`[tool.pytest.ini_options]`) or depends on it.
    pub pytest: bool,
    /// Poetry dependency groups (`[tool.poetry.group.<name>]`), plus `dev` for Poetry 1.1's
    /// `[tool.poetry.dev-dependencies]`.
    pub poetry_groups: Vec<String>,
    /// PEP 735 `[dependency-groups]` names.
    pub dependency_groups: Vec<String>,
    /// `[project.optional-dependencies]` extras (and Poetry's `[tool.poetry.extras]`).
    pub extras: Vec<String>,
    /// `[tool.uv] required-version` as written (`==0.5.4`, `>=0.5`).
    pub uv_required_version: Option<String>,
    /// ruff is among the dependencies the package manager installs by default (see the
    /// module documentation).
    pub ruff: bool,
}

/// Parses a `pyproject.toml`; the error is a warning message naming the line.
pub fn parse_pyproject(text: &str) -> Result<Pyproject, String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
    let tool = table.get("tool").and_then(toml::Value::as_table);
    let tool_has = |name: &str| tool.is_some_and(|t| t.contains_key(name));
    let project = table.get("project").and_then(toml::Value::as_table);
    let backend = table
        .get("build-system")
        .and_then(|b| b.get("build-backend"))
        .and_then(toml::Value::as_str)
        .unwrap_or("");
    let uv_workspace = tool
        .and_then(|t| t.get("uv"))
        .and_then(|u| u.get("workspace"))
        .map(|w| {
            let strings = |key: &str| manifest::toml_strings(w.get(key));
            (strings("members"), strings("exclude"))
        });
    let poetry_python = tool
        .and_then(|t| t.get("poetry"))
        .and_then(|p| p.get("dependencies"))
        .and_then(|d| d.get("python"))
        .and_then(toml::Value::as_str)
        .map(str::to_owned);
    let names = |value: Option<&toml::Value>| -> Vec<String> {
        value
            .and_then(toml::Value::as_table)
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    };
    let poetry = tool.and_then(|t| t.get("poetry"));
    let mut poetry_groups = names(poetry.and_then(|p| p.get("group")));
    if poetry.and_then(|p| p.get("dev-dependencies")).is_some()
        && !poetry_groups.iter().any(|g| g == "dev")
    {
        poetry_groups.push("dev".to_owned());
    }
    let mut extras = names(project.and_then(|p| p.get("optional-dependencies")));
    extras.extend(names(poetry.and_then(|p| p.get("extras"))));
    let installed = |v: Option<&toml::Value>| v.is_some_and(|v| mentions_package(v, "ruff", 1));
    let ruff_in_poetry_groups = poetry
        .and_then(|p| p.get("group"))
        .and_then(toml::Value::as_table)
        .is_some_and(|groups| {
            groups.values().any(|g| {
                g.get("optional").and_then(toml::Value::as_bool) != Some(true)
                    && installed(g.get("dependencies"))
            })
        });
    let ruff = installed(table.get("dependency-groups").and_then(|g| g.get("dev")))
        || installed(project.and_then(|p| p.get("dependencies")))
        || installed(
            tool.and_then(|t| t.get("uv"))
                .and_then(|u| u.get("dev-dependencies")),
        )
        || installed(poetry.and_then(|p| p.get("dependencies")))
        || installed(poetry.and_then(|p| p.get("dev-dependencies")))
        || ruff_in_poetry_groups
        || installed(
            tool.and_then(|t| t.get("pdm"))
                .and_then(|p| p.get("dev-dependencies")),
        );
    Ok(Pyproject {
        ruff,
        poetry_groups,
        dependency_groups: names(table.get("dependency-groups")),
        extras,
        uv_required_version: tool
            .and_then(|t| t.get("uv"))
            .and_then(|u| u.get("required-version"))
            .and_then(toml::Value::as_str)
            .map(str::to_owned),
        is_project: project.is_some()
            || table.contains_key("build-system")
            || table.contains_key("dependency-groups")
            || tool_has("poetry")
            || tool_has("pdm")
            || tool_has("uv"),
        has_project_table: project.is_some(),
        requires_python: project
            .and_then(|p| p.get("requires-python"))
            .and_then(toml::Value::as_str)
            .map(str::to_owned),
        poetry_python,
        poetry: tool_has("poetry") || backend.starts_with("poetry"),
        uv: tool_has("uv"),
        pdm: tool_has("pdm"),
        uv_workspace,
        pytest: table
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("pytest") || mentions_package(v, "pytest", 1)),
    })
}

/// True when a TOML value names `package` as a key or as a requirement string
/// (`pytest>=8`, `pytest[testing]`), anywhere below it.
fn mentions_package(value: &toml::Value, package: &str, depth: usize) -> bool {
    // Manifests are shallow; the bound keeps a hostile file from recursing deeply.
    if depth > 16 {
        return false;
    }
    match value {
        toml::Value::String(s) => requirement_name(s) == package,
        toml::Value::Array(items) => items
            .iter()
            .any(|v| mentions_package(v, package, depth + 1)),
        toml::Value::Table(t) => t.iter().any(|(k, v)| {
            k.eq_ignore_ascii_case(package) || mentions_package(v, package, depth + 1)
        }),
        _ => false,
    }
}

/// The lower-cased distribution name at the start of a PEP 508 requirement.
fn requirement_name(requirement: &str) -> String {
    requirement
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect::<String>()
        .to_ascii_lowercase()
        .replace('_', "-")
}

/// The packages a `requirements.txt` names (options, comments and includes skipped).
pub fn parse_requirements(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty() && !l.starts_with('-'))
        .map(requirement_name)
        .filter(|n| !n.is_empty())
        .collect()
}

/// What a `Pipfile` says: its Python version and whether it lists pytest.
pub fn parse_pipfile(text: &str) -> Result<(Option<String>, bool), String> {
    let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
    let python = table
        .get("requires")
        .and_then(|r| {
            r.get("python_version")
                .or_else(|| r.get("python_full_version"))
        })
        .and_then(toml::Value::as_str)
        .map(str::to_owned);
    let pytest = ["packages", "dev-packages"].iter().any(|k| {
        table
            .get(*k)
            .and_then(toml::Value::as_table)
            .is_some_and(|t| t.contains_key("pytest"))
    });
    Ok((python, pytest))
}

/// The section names of an INI file (`setup.cfg`, `tox.ini`) and the value of `key` in any
/// section. INI has no syntax errors worth reporting: unknown lines are skipped.
pub fn parse_ini(text: &str, key: &str) -> (Vec<String>, Option<String>) {
    let mut sections = Vec::new();
    let mut value = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            sections.push(name.trim().to_owned());
        } else if let Some((k, v)) = line.split_once(['=', ':'])
            && k.trim() == key
            && value.is_none()
        {
            let v = v.trim();
            if !v.is_empty() {
                value = Some(v.to_owned());
            }
        }
    }
    (sections, value)
}

/// The Poetry version that wrote a `poetry.lock`, from its first line
/// (`# This file is automatically @generated by Poetry 1.8.3 and should not be changed by hand.`).
pub fn parse_poetry_lock_version(text: &str) -> Option<String> {
    let first = text.lines().next()?;
    let rest = first.split("@generated by Poetry ").nth(1)?;
    let version: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.')
        .collect();
    let version = version.trim_end_matches('.');
    (version.starts_with(|c: char| c.is_ascii_digit())).then(|| version.to_owned())
}

/// The version in a `.python-version`: the first line that is not a comment.
pub fn parse_python_version(text: &str) -> Option<String> {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

/// What one directory holds, gathered from its files.
#[derive(Debug, Default)]
struct Dir {
    pyproject: Option<Pyproject>,
    is_project: bool,
    only_requirements: bool,
    pytest: bool,
    django: bool,
    pipenv: bool,
}

/// Reads this ecosystem's files and reports into the scan.
pub fn scan(scan: &mut Scan<'_>) {
    let index = scan.index();
    for file in index.named(".python-version") {
        if let Some(text) = scan.read(file)
            && let Some(v) = parse_python_version(&text)
        {
            scan.toolchain("python", &v, Source::ToolchainFile, file);
            scan.language(Language::Python, file);
        }
    }

    let mut dirs: BTreeMap<String, Dir> = BTreeMap::new();
    for file in index.files() {
        let name = file_name(file);
        let dir = dir_of(file).to_owned();
        match name {
            "pyproject.toml" => {
                let Some(text) = scan.read(file) else {
                    continue;
                };
                match parse_pyproject(&text) {
                    Ok(p) => {
                        if let Some(v) = &p.requires_python {
                            scan.toolchain("python", v, Source::Manifest, file);
                        }
                        if let Some(v) = &p.poetry_python {
                            scan.toolchain("python", v, Source::Manifest, file);
                        }
                        let d = dirs.entry(dir).or_default();
                        d.is_project |= p.is_project;
                        d.pytest |= p.pytest;
                        d.pyproject = Some(p);
                    }
                    Err(message) => scan.warn(file, message),
                }
            }
            "Pipfile" => {
                let Some(text) = scan.read(file) else {
                    continue;
                };
                match parse_pipfile(&text) {
                    Ok((python, pytest)) => {
                        if let Some(v) = python {
                            scan.toolchain("python", &v, Source::Manifest, file);
                        }
                        let d = dirs.entry(dir).or_default();
                        d.is_project = true;
                        d.pipenv = true;
                        d.pytest |= pytest;
                    }
                    Err(message) => scan.warn(file, message),
                }
            }
            "setup.cfg" | "tox.ini" | "pytest.ini" => {
                let Some(text) = scan.read(file) else {
                    continue;
                };
                let (sections, python_requires) = parse_ini(&text, "python_requires");
                let d = dirs.entry(dir).or_default();
                match name {
                    "setup.cfg" => {
                        d.is_project |= sections.iter().any(|s| s == "metadata" || s == "options");
                        d.pytest |= sections.iter().any(|s| s == "tool:pytest");
                        if let Some(v) = python_requires {
                            scan.toolchain("python", &v, Source::Manifest, file);
                        }
                    }
                    "tox.ini" => d.pytest |= sections.iter().any(|s| s == "pytest"),
                    _ => d.pytest = true,
                }
            }
            "conftest.py" => dirs.entry(dir).or_default().pytest = true,
            "manage.py" => {
                let d = dirs.entry(dir).or_default();
                d.is_project = true;
                d.django = true;
            }
            "Pipfile.lock" => {
                let d = dirs.entry(dir).or_default();
                d.is_project = true;
                d.pipenv = true;
            }
            _ if PROJECT_FILES.contains(&name) => dirs.entry(dir).or_default().is_project = true,
            _ if is_requirements(name) => {
                let Some(text) = scan.read(file) else {
                    continue;
                };
                let packages = parse_requirements(&text);
                let d = dirs.entry(dir).or_default();
                d.only_requirements = true;
                d.pytest |= packages.iter().any(|p| p == "pytest");
            }
            _ => {}
        }
    }
    // A requirements-only directory inside another project is auxiliary (docs, tooling).
    let full: BTreeSet<String> = dirs
        .iter()
        .filter(|(_, d)| d.is_project)
        .map(|(k, _)| k.clone())
        .collect();
    for (dir, d) in &mut dirs {
        if !d.is_project && d.only_requirements {
            let docs = matches!(file_name(dir), "docs" | "doc" | "documentation");
            d.is_project = !docs && !ancestors(dir).iter().any(|a| full.contains(a));
        }
    }
    let projects: BTreeSet<String> = dirs
        .iter()
        .filter(|(_, d)| d.is_project)
        .map(|(k, _)| k.clone())
        .collect();

    // uv workspaces and their members.
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let mut roots: BTreeSet<String> = BTreeSet::new();
    for (root, d) in &dirs {
        let Some((include, exclude)) = d.pyproject.as_ref().and_then(|p| p.uv_workspace.as_ref())
        else {
            continue;
        };
        roots.insert(root.clone());
        let (members, bad) = Members::new(include, exclude);
        for rejected in bad {
            scan.warn(&join(root, "pyproject.toml"), rejected.to_string());
        }
        for dir in &projects {
            if let Some(rel) = relative_to(root, dir)
                && members.contains(&rel)
                && !owner.contains_key(dir)
            {
                owner.insert(dir.clone(), root.clone());
            }
        }
    }

    // Which projects have tests, found in one pass over the files: a test file (or a pytest
    // configuration) belongs to its nearest enclosing project and, for a workspace member, to
    // the workspace root too, whose one command runs it.
    let claimants = |test_dir: &str| -> Vec<String> {
        let nearest = std::iter::once(test_dir.to_owned())
            .chain(ancestors(test_dir))
            .find(|a| projects.contains(a));
        nearest
            .into_iter()
            .flat_map(|n| {
                let root = owner.get(&n).cloned();
                std::iter::once(n).chain(root)
            })
            .collect()
    };
    let mut with_test_files: BTreeSet<String> = BTreeSet::new();
    let mut test_dirs_seen: BTreeSet<&str> = BTreeSet::new();
    for f in index.files() {
        let name = file_name(f);
        if (is_test_file(name) || name == "tests.py" || name == "conftest.py")
            && test_dirs_seen.insert(dir_of(f))
        {
            with_test_files.extend(claimants(dir_of(f)));
        }
    }
    let with_pytest: BTreeSet<String> = dirs
        .iter()
        .filter(|(_, d)| d.pytest)
        .flat_map(|(k, _)| claimants(k))
        .collect();

    // Parents sort before their children, so an enclosing project's manager is known first.
    let mut managers: BTreeMap<&str, PackageManager> = BTreeMap::new();
    for dir in &projects {
        let Some(d) = dirs.get(dir) else {
            continue;
        };
        let root = owner.get(dir);
        let mut pm = package_manager(index, dir, d, root.and_then(|r| dirs.get(r)), root);
        if pm == PackageManager::Pip && !d.only_requirements {
            // Nothing of its own says pip: a project excluded from a workspace, or nested in
            // another, is managed like the project around it.
            if let Some(outer) = ancestors(dir).iter().find_map(|a| managers.get(a.as_str())) {
                pm = *outer;
            }
        }
        managers.insert(dir, pm);
        let test_command = if root.is_some() {
            None
        } else {
            test_command(
                dir,
                with_test_files.contains(dir),
                with_pytest.contains(dir),
                &dirs,
                pm,
                roots.contains(dir),
            )
        };
        let is_virtual_root =
            roots.contains(dir) && d.pyproject.as_ref().is_some_and(|p| !p.has_project_table);
        // A workspace member is linted from the root, with the root's tools.
        let lint_dir = root.map_or(dir.as_str(), String::as_str);
        let ruff = dirs
            .get(lint_dir)
            .and_then(|d| d.pyproject.as_ref())
            .is_some_and(|p| p.ruff);
        scan.build(
            dir,
            Language::Python,
            BuildFacts {
                ruff,
                ..BuildFacts::default()
            },
        );
        if is_virtual_root {
            if let Some(cmd) = test_command {
                scan.root_test(dir, cmd);
            }
            continue;
        }
        scan.project(Project {
            path: dir.clone(),
            stack: Language::Python,
            package_manager: pm,
            test_command,
        });
    }
}

fn package_manager(
    index: &Index,
    dir: &str,
    d: &Dir,
    root: Option<&Dir>,
    root_dir: Option<&String>,
) -> PackageManager {
    let has = |name: &str| index.has(dir, name) || root_dir.is_some_and(|r| index.has(r, name));
    let flag = |f: fn(&Pyproject) -> bool| {
        d.pyproject.as_ref().is_some_and(f)
            || root.and_then(|r| r.pyproject.as_ref()).is_some_and(f)
    };
    if has("uv.lock") || flag(|p| p.uv || p.uv_workspace.is_some()) {
        PackageManager::Uv
    } else if has("poetry.lock") || flag(|p| p.poetry) {
        PackageManager::Poetry
    } else if has("pdm.lock") || flag(|p| p.pdm) {
        PackageManager::Pdm
    } else if d.pipenv {
        PackageManager::Pipenv
    } else {
        PackageManager::Pip
    }
}

/// The command that runs a project's tests, given whether test files or a pytest
/// configuration belong to it.
fn test_command(
    dir: &str,
    has_test_files: bool,
    pytest_configured: bool,
    dirs: &BTreeMap<String, Dir>,
    pm: PackageManager,
    workspace_root: bool,
) -> Option<String> {
    if !has_test_files && !pytest_configured {
        return None;
    }
    let django = dirs.get(dir).is_some_and(|d| d.django);
    let runner = if django && !pytest_configured {
        "python manage.py test"
    } else if pm == PackageManager::Pip {
        "python -m pytest"
    } else {
        "pytest"
    };
    Some(match pm {
        PackageManager::Pip => runner.to_owned(),
        PackageManager::Uv if workspace_root => format!("uv run --all-packages {runner}"),
        other => format!("{} run {runner}", other.as_str()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::manifest::scan_files;
    use proptest::prelude::*;

    fn detect(files: &[(&str, &str)]) -> (crate::detect::Stacks, Vec<crate::detect::Warning>) {
        scan_files(files, super::scan)
    }

    #[test]
    fn a_poetry_project_with_tests() {
        let (s, w) = detect(&[
            (
                "pyproject.toml",
                "[tool.poetry]\nname = \"x\"\n[tool.poetry.dependencies]\npython = \"^3.11\"\n[tool.poetry.group.dev.dependencies]\npytest = \"^8\"\n",
            ),
            ("poetry.lock", "# poetry\n"),
            ("tests/test_api.py", "def test_x(): pass\n"),
            (".python-version", "3.12.4\n"),
        ]);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(s.test_commands, vec!["poetry run pytest"]);
        assert_eq!(s.package_managers, vec![PackageManager::Poetry]);
        assert_eq!(s.toolchains["python"], "3.12.4");
    }

    #[test]
    fn thousands_of_projects_each_get_the_tests_under_them() {
        let files: Vec<(String, &str)> = (0..2_000)
            .flat_map(|i| {
                [
                    (format!("p{i:04}/requirements.txt"), "pytest\n"),
                    (format!("p{i:04}/tests/test_x.py"), "def test(): pass\n"),
                ]
            })
            .chain([("untested/requirements.txt".to_owned(), "flask\n")])
            .collect();
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (p.as_str(), *t)).collect();
        let (s, w) = detect(&files);
        assert!(w.is_empty(), "{w:?}");
        assert_eq!(s.subprojects.len(), 2_001);
        assert_eq!(s.test_commands.len(), 2_000);
        assert_eq!(s.test_commands[0], "cd p0000 && python -m pytest");
    }

    #[test]
    fn ruff_counts_only_where_the_package_manager_installs_it() {
        let ruff = |text: &str| parse_pyproject(text).expect("parses").ruff;
        assert!(ruff(
            "[dependency-groups]\ndev = [\"ruff>=0.6\", \"pytest\"]\n"
        ));
        assert!(ruff("[tool.uv]\ndev-dependencies = [\"ruff==0.6.9\"]\n"));
        assert!(ruff(
            "[tool.poetry.group.lint.dependencies]\nruff = \"^0.6\"\n"
        ));
        assert!(ruff("[tool.pdm.dev-dependencies]\nlint = [\"ruff\"]\n"));
        assert!(!ruff(
            "[tool.poetry.group.lint]\noptional = true\n[tool.poetry.group.lint.dependencies]\nruff = \"^0.6\"\n"
        ));
        assert!(
            !ruff("[dependency-groups]\nlint = [\"ruff\"]\n"),
            "uv installs only `dev`"
        );
        assert!(
            !ruff("[tool.ruff]\nline-length = 100\n"),
            "configuring ruff is not installing it"
        );
        let (s, _) = detect(&[(
            "pyproject.toml",
            "[project]\nname = \"x\"\n[dependency-groups]\ndev = [\"ruff\"]\n",
        )]);
        assert!(s.builds[&(".".to_owned(), Language::Python)].ruff);
    }

    #[test]
    fn tool_config_only_pyproject_is_not_a_project() {
        let (s, _) = detect(&[("pyproject.toml", "[tool.ruff]\nline-length = 100\n")]);
        assert!(s.subprojects.is_empty());
    }

    #[test]
    fn django_without_pytest_runs_manage_py_test() {
        let (s, _) = detect(&[
            (
                "backend/requirements.txt",
                "Django==5.1.2\npsycopg[binary]>=3.2\n",
            ),
            ("backend/manage.py", "#!/usr/bin/env python\n"),
            (
                "backend/shop/tests.py",
                "from django.test import TestCase\n",
            ),
            ("docs/requirements.txt", "sphinx\n"),
        ]);
        let paths: Vec<&str> = s.subprojects.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, vec!["backend"]);
        assert_eq!(s.test_commands, vec!["cd backend && python manage.py test"]);
    }

    #[test]
    fn auxiliary_requirements_inside_a_project_are_not_projects() {
        let (s, _) = detect(&[
            (
                "pyproject.toml",
                "[project]\nname = \"x\"\nrequires-python = \">=3.10\"\n",
            ),
            ("docs/requirements.txt", "sphinx\n"),
            ("tests/test_x.py", ""),
        ]);
        assert_eq!(s.subprojects.len(), 1);
        assert_eq!(s.test_commands, vec!["python -m pytest"]);
        assert_eq!(s.toolchains["python"], ">=3.10");
    }

    #[test]
    fn uv_workspaces_test_from_the_root() {
        let (s, w) = detect(&[
            (
                "pyproject.toml",
                "[tool.uv.workspace]\nmembers = [\"packages/*\"]\nexclude = [\"packages/seeds\"]\n",
            ),
            ("uv.lock", "version = 1\n"),
            ("packages/a/pyproject.toml", "[project]\nname = \"a\"\n"),
            ("packages/a/tests/test_a.py", ""),
            (
                "packages/seeds/pyproject.toml",
                "[project]\nname = \"seeds\"\n",
            ),
        ]);
        assert!(w.is_empty(), "{w:?}");
        let paths: Vec<&str> = s.subprojects.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, vec!["packages/a", "packages/seeds"]);
        assert_eq!(s.test_commands, vec!["uv run --all-packages pytest"]);
        assert_eq!(s.package_managers, vec![PackageManager::Uv]);
    }

    #[test]
    fn malformed_manifests_become_warnings() {
        let (s, w) = detect(&[
            ("pyproject.toml", "[project\nname = \"x\"\n"),
            ("Pipfile", "[packages\n"),
            ("svc/pyproject.toml", "\u{feff}[project]\nname = \"svc\"\n"),
        ]);
        let paths: Vec<&str> = w.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(paths, vec!["Pipfile", "pyproject.toml"]);
        assert_eq!(s.subprojects.len(), 1);
    }

    #[test]
    fn small_parsers() {
        assert_eq!(
            parse_requirements("-r base.txt\nDjango==5.1 # web\npytest_django\n\n"),
            vec!["django", "pytest-django"]
        );
        assert_eq!(
            parse_python_version("# pin\n3.12\n3.11\n").as_deref(),
            Some("3.12")
        );
        let (sections, v) = parse_ini(
            "[metadata]\nname = x\n[options]\npython_requires = >=3.9\n[tool:pytest]\n",
            "python_requires",
        );
        assert_eq!(sections, vec!["metadata", "options", "tool:pytest"]);
        assert_eq!(v.as_deref(), Some(">=3.9"));
        assert_eq!(
            parse_pipfile(
                "[requires]\npython_version = \"3.11\"\n[dev-packages]\npytest = \"*\"\n"
            ),
            Ok((Some("3.11".to_owned()), true))
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_pyproject(&text);
            let _ = parse_pipfile(&text);
            let _ = parse_requirements(&text);
            let _ = parse_ini(&text, "python_requires");
            let _ = parse_python_version(&text);
        }

        #[test]
        fn pyproject_like_text_never_panics(text in "(\\[(project|tool\\.poetry|tool\\.uv\\.workspace|build-system)\\]\n|[a-z-]{1,10} = (\"[a-z0-9>=.*/]{0,8}\"|\\[\"[a-z*/]{0,6}\"\\])\n){0,8}") {
            let _ = parse_pyproject(&text);
        }
    }
}
