//! Detection for JavaScript and TypeScript: `package.json` projects and workspaces (npm, yarn,
//! pnpm, bun), Deno, and the Node toolchain files.
//!
//! What is a project:
//! - a workspace root (`workspaces` in `package.json`, as an array or `{ "packages": [...] }`, or a
//!   `pnpm-workspace.yaml`) and each member its globs match (`!` negations exclude);
//! - a `package.json` inside a workspace that no glob matches (a template, an example, a test
//!   stub) is not a project, unless it has its own lockfile and so installs on its own;
//! - a `package.json` in no workspace is a project, except a helper manifest: one with no
//!   `dependencies`, no entry point (`main`, `module`, `exports`, `bin`), no real `test` script
//!   and no `tsconfig.json`, in a directory whose subdirectories hold other projects' manifests
//!   (the root `package.json` of a backend/ + frontend/ repository that only runs both);
//! - a directory with `deno.json(c)` and no `package.json` is a Deno project.
//!
//! Package manager: the `packageManager` field (of the project, then of its workspace root),
//! else a lockfile in the project's directory or up to its workspace root (`pnpm-lock.yaml`,
//! `yarn.lock`, `bun.lock(b)`, `package-lock.json` / `npm-shrinkwrap.json`, in that order;
//! `pnpm-workspace.yaml` means pnpm), else npm.
//!
//! Test commands: only a real `test` script counts (missing, empty, or npm's placeholder
//! `echo "Error: no test specified" && exit 1` is none). A project runs `npm test`,
//! `pnpm run test`, `yarn test` or `bun run test` (not `bun test`, which is bun's own runner and
//! ignores the script). A workspace root with its own `test` script runs that, as monorepos
//! delegate to turbo or nx there; otherwise, when some member has tests, it runs them in every
//! member that has the script: `npm test --workspaces --if-present`,
//! `pnpm -r --if-present run test`, `yarn workspaces foreach --all run test` (yarn 2+, known
//! from `packageManager`; otherwise yarn 1's `yarn workspaces run test`),
//! `bun run --filter '*' test`. When a member keeps npm's failing placeholder, `--if-present`
//! would still run it, so the root names the tested members instead
//! (`pnpm --filter ./apps/web run test`, `npm test --workspace apps/web`; yarn selects by name
//! only and keeps the short form). Members have no command of their own. Deno runs `deno task test` when `tasks.test` exists, else `deno test`.
//!
//! Language: TypeScript when the project has a `tsconfig.json` or depends on `typescript`
//! (Deno projects always), else JavaScript.
//!
//! Build output ([`BuildFacts::outputs`]): only what is certain, as upload paths relative to
//! the project, and nothing for a project that is not deployed. A project with a `build`
//! script whose command runs a framework's build writes where that framework does: `next build`
//! → `.next/` without `.next/cache/` (or `out/` with `output: 'export'`, or the `distDir` of
//! `next.config.*`), `vite build` → `dist/` (or `build.outDir` of `vite.config.*`,
//! `public/build/` with Laravel's plugin; nothing for a `build.lib` library, a `root` option, or
//! a framework that runs as a Vite plugin such as SvelteKit), `react-scripts build` → `build/`, `remix build` → `build/` and
//! `public/build/` (`build/` under Vite), `react-router build` → `build/`, `nuxt build` →
//! `.output/`, `astro build` → `dist/`, `ng build` → `dist/`, `gatsby build` → `public/`.
//! Otherwise a package with an entry point (`main`, `module`, `exports`, `bin`) is a library and
//! ships nothing; an app whose `start` script runs `node dist/…` (or `build/`, `out/`,
//! `lib/`) ships that directory. A workspace root whose `build` script builds its members
//! (turbo, nx, lerna, `-r`, `--workspaces`, `workspaces foreach`, `--filter`) ships what its
//! members ship. Anything else uploads nothing: a wrong guess fails the upload.
//!
//! Toolchains: `.nvmrc` / `.node-version` (a leading `v` dropped; `lts/*` kept), then
//! `engines.node`, `volta.node`, and `packageManager` (`pnpm@9.12.0+sha512…` gives
//! `pnpm: 9.12.0`).

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::manifest::{
    self, CommentSyntax, Members, ancestors, json_error, relative_to, yaml_error,
};
use super::{BuildFacts, Language, PackageManager, Project, Scan, Source, dir_of, file_name, join};

/// Lockfiles by the package manager they mean, in the order they are looked for.
const LOCKFILES: &[(&str, PackageManager)] = &[
    ("pnpm-lock.yaml", PackageManager::Pnpm),
    ("pnpm-workspace.yaml", PackageManager::Pnpm),
    ("yarn.lock", PackageManager::Yarn),
    ("bun.lock", PackageManager::Bun),
    ("bun.lockb", PackageManager::Bun),
    ("package-lock.json", PackageManager::Npm),
    ("npm-shrinkwrap.json", PackageManager::Npm),
    ("deno.lock", PackageManager::Deno),
];

/// Manifests whose presence below a directory makes a root `package.json` there a helper.
const PROJECT_MANIFESTS: &[&str] = &[
    "package.json",
    "deno.json",
    "deno.jsonc",
    "Cargo.toml",
    "pyproject.toml",
    "requirements.txt",
    "setup.py",
    "Pipfile",
    "manage.py",
    "go.mod",
    "pom.xml",
    "build.gradle",
    "build.gradle.kts",
    "Gemfile",
    "composer.json",
];

/// True for file names this ecosystem reads.
pub fn interesting(file_name: &str) -> bool {
    is_build_config(file_name)
        || matches!(
            file_name,
            "package.json"
                | "pnpm-workspace.yaml"
                | "tsconfig.json"
                | "deno.json"
                | "deno.jsonc"
                | ".nvmrc"
                | ".node-version"
        )
        || LOCKFILES.iter().any(|(name, _)| *name == file_name)
}

/// `vite.config.*` and `next.config.*`, read for where the build writes.
fn is_build_config(file_name: &str) -> bool {
    let Some((stem, ext)) = file_name.rsplit_once('.') else {
        return false;
    };
    matches!(stem, "vite.config" | "next.config")
        && matches!(ext, "js" | "mjs" | "cjs" | "ts" | "mts" | "cts")
}

/// What detection needs from one `package.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageJson {
    /// Workspace globs; `None` when the field is absent.
    pub workspaces: Option<Vec<String>>,
    /// `packageManager`: the tool name and version (`pnpm`, `9.12.0`).
    pub package_manager: Option<(String, String)>,
    /// `engines.node`.
    pub engines_node: Option<String>,
    /// `volta.node`.
    pub volta_node: Option<String>,
    /// The `test` script when it is a real one.
    pub test_script: Option<String>,
    /// True when the `test` script is a placeholder that fails (npm's generated one).
    pub placeholder_test: bool,
    /// True when `dependencies` is not empty.
    pub has_dependencies: bool,
    /// True when it declares an entry point (`main`, `module`, `exports`, `bin`).
    pub has_entry_point: bool,
    /// True when `typescript` is a dependency of any kind.
    pub typescript: bool,
    /// The names of its dependencies of every kind.
    pub dependencies: BTreeSet<String>,
    /// The `build` script.
    pub build_script: Option<String>,
    /// The `start` script.
    pub start_script: Option<String>,
}

/// Parses a `package.json`; the error is a warning message.
pub fn parse_package_json(text: &str) -> Result<PackageJson, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| json_error(&e))?;
    let Some(obj) = value.as_object() else {
        return Err("skipped: expected a JSON object at the top level".to_owned());
    };
    let str_at = |v: Option<&serde_json::Value>, key: &str| -> Option<String> {
        v.and_then(|v| v.get(key))
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(serde_json::Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    let workspaces = obj.get("workspaces").map(|w| match w.get("packages") {
        Some(packages) => strings(packages),
        None => strings(w),
    });
    let package_manager = obj
        .get("packageManager")
        .and_then(serde_json::Value::as_str)
        .and_then(parse_package_manager);
    let raw_test = obj
        .get("scripts")
        .and_then(|s| s.get("test"))
        .and_then(serde_json::Value::as_str);
    let placeholder_test = raw_test.is_some_and(|t| !t.trim().is_empty() && is_placeholder(t));
    let test_script = raw_test
        .filter(|t| !is_placeholder(t))
        .map(|t| t.trim().to_owned());
    let has_dependencies = obj
        .get("dependencies")
        .and_then(serde_json::Value::as_object)
        .is_some_and(|d| !d.is_empty());
    let has_entry_point = ["main", "module", "exports", "bin"]
        .iter()
        .any(|k| obj.contains_key(*k));
    let typescript = [
        "dependencies",
        "devDependencies",
        "peerDependencies",
        "optionalDependencies",
    ]
    .iter()
    .any(|k| obj.get(*k).and_then(|d| d.get("typescript")).is_some());
    let dependencies = [
        "dependencies",
        "devDependencies",
        "peerDependencies",
        "optionalDependencies",
    ]
    .iter()
    .filter_map(|k| obj.get(*k).and_then(serde_json::Value::as_object))
    .flat_map(|d| d.keys().cloned())
    .collect();
    let script = |name: &str| {
        obj.get("scripts")
            .and_then(|s| s.get(name))
            .and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    Ok(PackageJson {
        dependencies,
        build_script: script("build"),
        start_script: script("start"),
        workspaces,
        package_manager,
        engines_node: str_at(obj.get("engines"), "node"),
        volta_node: str_at(obj.get("volta"), "node"),
        test_script,
        placeholder_test,
        has_dependencies,
        has_entry_point,
        typescript,
    })
}

/// Splits `pnpm@9.12.0+sha512.abc` into `pnpm` and `9.12.0`.
pub fn parse_package_manager(field: &str) -> Option<(String, String)> {
    let (name, version) = field.trim().split_once('@')?;
    let version = version.split('+').next().unwrap_or("").trim();
    if name.is_empty() || version.is_empty() {
        return None;
    }
    Some((name.to_owned(), version.to_owned()))
}

/// True for a `test` script that tests nothing: empty, npm's generated placeholder, or a bare
/// `exit 1`.
pub fn is_placeholder(script: &str) -> bool {
    let s = script.trim();
    s.is_empty() || s.contains("no test specified") || s == "exit 1" || s == "exit 0"
}

/// The `packages` globs of a `pnpm-workspace.yaml`.
pub fn parse_pnpm_workspace(text: &str) -> Result<Vec<String>, String> {
    #[derive(Deserialize, Default)]
    struct PnpmWorkspace {
        #[serde(default)]
        packages: Option<Vec<String>>,
    }
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Ok(Vec::new());
    }
    let parsed: Option<PnpmWorkspace> = serde_saphyr::from_str(text).map_err(|e| yaml_error(&e))?;
    Ok(parsed.and_then(|p| p.packages).unwrap_or_default())
}

/// The version in `.nvmrc` or `.node-version`: the first line that is not a comment, without a
/// leading `v`.
pub fn parse_version_file(text: &str) -> Option<String> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let line = line.split('#').next().unwrap_or("").trim();
    let version = match line.strip_prefix(['v', 'V']) {
        Some(rest) if rest.starts_with(|c: char| c.is_ascii_digit()) => rest,
        _ => line,
    };
    (!version.is_empty()).then(|| version.to_owned())
}

/// Whether a `deno.json(c)` defines `tasks.test`; comments are allowed (JSONC).
pub fn parse_deno(text: &str) -> Result<bool, String> {
    let value: serde_json::Value =
        serde_json::from_str(&strip_jsonc(text)).map_err(|e| json_error(&e))?;
    Ok(value.get("tasks").and_then(|t| t.get("test")).is_some())
}

/// Removes `//` and `/* */` comments and trailing commas outside strings.
fn strip_jsonc(text: &str) -> String {
    manifest::strip_comments(
        text,
        CommentSyntax {
            quotes: &['"'],
            trailing_commas: true,
        },
    )
}

/// A workspace root and who its members are.
struct Workspace {
    members: Members,
    /// True when declared by `pnpm-workspace.yaml`.
    pnpm: bool,
}

/// Reads this ecosystem's files and reports into the scan.
pub fn scan(scan: &mut Scan<'_>) {
    let index = scan.index();
    let mut version_files = Vec::new();
    for file in index.matching(|n| n == ".nvmrc" || n == ".node-version") {
        if let Some(text) = scan.read(file)
            && let Some(v) = parse_version_file(&text)
        {
            scan.toolchain("node", &v, Source::ToolchainFile, file);
            version_files.push(file);
        }
    }

    let mut manifests: BTreeMap<String, PackageJson> = BTreeMap::new();
    for file in index.named("package.json") {
        let Some(text) = scan.read(file) else {
            continue;
        };
        match parse_package_json(&text) {
            Ok(p) => {
                manifests.insert(dir_of(file).to_owned(), p);
            }
            Err(message) => scan.warn(file, message),
        }
    }

    let mut workspaces: BTreeMap<String, Workspace> = BTreeMap::new();
    for file in index.named("pnpm-workspace.yaml") {
        let Some(text) = scan.read(file) else {
            continue;
        };
        match parse_pnpm_workspace(&text) {
            Ok(globs) => {
                let members = members(scan, file, &globs);
                workspaces.insert(
                    dir_of(file).to_owned(),
                    Workspace {
                        members,
                        pnpm: true,
                    },
                );
            }
            Err(message) => scan.warn(file, message),
        }
    }
    for (dir, p) in &manifests {
        if let Some(globs) = &p.workspaces
            && !workspaces.contains_key(dir)
        {
            let members = members(scan, &join(dir, "package.json"), globs);
            workspaces.insert(
                dir.clone(),
                Workspace {
                    members,
                    pnpm: false,
                },
            );
        }
    }

    // Membership: the nearest enclosing workspace whose globs match.
    let mut owner: BTreeMap<&str, &str> = BTreeMap::new();
    let mut inside_workspace: BTreeSet<&str> = BTreeSet::new();
    for dir in manifests.keys() {
        if workspaces.contains_key(dir) {
            continue;
        }
        for parent in ancestors(dir) {
            let Some((root, ws)) = workspaces.get_key_value(&parent) else {
                continue;
            };
            inside_workspace.insert(dir);
            if relative_to(root, dir).is_some_and(|rel| ws.members.contains(&rel)) {
                owner.insert(dir, root);
                break;
            }
        }
    }

    let has_lockfile = |dir: &str| {
        LOCKFILES
            .iter()
            .any(|(name, _)| *name != "pnpm-workspace.yaml" && index.has(dir, name))
    };
    let mut found_project = false;
    let mut projects = Vec::new();
    for (dir, p) in &manifests {
        let dir = dir.as_str();
        let is_root = workspaces.contains_key(dir);
        let root = owner.get(dir).copied();
        if !is_root && root.is_none() {
            if inside_workspace.contains(dir) && !has_lockfile(dir) {
                // A template or example inside a workspace, installed by nobody.
                continue;
            }
            if is_helper(index, dir, p) {
                continue;
            }
        }
        let root_manifest = root.and_then(|r| manifests.get(r));
        let pm = package_manager(index, dir, root.unwrap_or(dir), p, root_manifest);
        let language = if index.has(dir, "tsconfig.json") || p.typescript {
            Language::Typescript
        } else {
            Language::Javascript
        };
        let test_command = if root.is_some() {
            None
        } else if p.test_script.is_some() {
            Some(script_command(pm))
        } else if is_root && member_tested(&manifests, dir, &owner) {
            Some(recursive_command(
                pm,
                p.package_manager.as_ref(),
                &tested_members(&manifests, dir, &owner),
            ))
        } else {
            None
        };
        report_toolchains(scan, dir, p);
        let outputs = if is_root {
            workspace_outputs(scan, dir, p, &manifests, &owner)
        } else {
            outputs(scan, dir, p)
        };
        scan.build(
            dir,
            language,
            BuildFacts {
                outputs,
                ..BuildFacts::default()
            },
        );
        projects.push(Project {
            path: dir.to_owned(),
            stack: language,
            package_manager: pm,
            test_command,
        });
        found_project = true;
    }
    for project in projects {
        scan.project(project);
    }

    // A pnpm workspace whose root has no package.json still tests its members.
    for (dir, ws) in &workspaces {
        if ws.pnpm && !manifests.contains_key(dir) && member_tested(&manifests, dir, &owner) {
            let tested = tested_members(&manifests, dir, &owner);
            scan.root_test(dir, recursive_command(PackageManager::Pnpm, None, &tested));
        }
    }

    for file in index.matching(|n| n == "deno.json" || n == "deno.jsonc") {
        let dir = dir_of(file);
        if manifests.contains_key(dir)
            || (file_name(file) == "deno.jsonc" && index.has(dir, "deno.json"))
        {
            continue;
        }
        let Some(text) = scan.read(file) else {
            continue;
        };
        match parse_deno(&text) {
            Ok(has_task) => {
                found_project = true;
                scan.project(Project {
                    path: dir.to_owned(),
                    stack: Language::Typescript,
                    package_manager: PackageManager::Deno,
                    test_command: Some(
                        if has_task {
                            "deno task test"
                        } else {
                            "deno test"
                        }
                        .to_owned(),
                    ),
                });
            }
            Err(message) => scan.warn(file, message),
        }
    }

    if !found_project {
        // A lone .nvmrc still says the repository runs on Node.
        for file in version_files {
            scan.language(Language::Javascript, file);
        }
    }
}

/// Where a project's `build` script writes what ships, relative to the project (see the module
/// documentation); empty when not certain.
fn outputs(scan: &mut Scan<'_>, dir: &str, p: &PackageJson) -> Vec<String> {
    let Some(build) = p.build_script.as_deref() else {
        return Vec::new();
    };
    // One command of the script runs `<cli> build`, maybe after `VAR=value`, `npx`, `cross-env`.
    let runs = |cli: &str| {
        build.split(['&', ';', '|', '(', ')']).any(|part| {
            let words: Vec<&str> = part
                .split_whitespace()
                .skip_while(|w| w.contains('=') || matches!(*w, "npx" | "cross-env" | "exec"))
                .take(2)
                .collect();
            words == [cli, "build"]
        })
    };
    let config = |scan: &mut Scan<'_>, stem: &str| -> Option<String> {
        let index = scan.index();
        let file = ["ts", "mts", "js", "mjs", "cjs", "cts"]
            .iter()
            .map(|ext| join(dir, &format!("{stem}.{ext}")))
            .find(|f| index.contains(f))?;
        scan.read(&file)
    };
    let dir_path = |d: &str| format!("{}/", d.trim_start_matches("./").trim_end_matches('/'));
    let has = |name: &str| p.dependencies.contains(name);
    let lines = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    if has("next") && runs("next") {
        let text = config(scan, "next.config").unwrap_or_default();
        if string_option(&text, "output").as_deref() == Some("export") {
            return vec!["out/".to_owned()];
        }
        let dist = dir_path(&string_option(&text, "distDir").unwrap_or_else(|| ".next".into()));
        if !is_plain_relative(&dist) {
            return Vec::new();
        }
        return vec![dist.clone(), format!("!{dist}cache/")];
    }
    if has("@remix-run/dev") && runs("remix") {
        return lines(&["build/", "public/build/"]);
    }
    if has("@remix-run/dev") && build.contains("remix vite:build") {
        return lines(&["build/"]);
    }
    if has("@react-router/dev") && runs("react-router") {
        return lines(&["build/"]);
    }
    if has("react-scripts") && runs("react-scripts") {
        return lines(&["build/"]);
    }
    if (has("nuxt") || has("nuxt3")) && (runs("nuxt") || runs("nuxi")) {
        return lines(&[".output/"]);
    }
    if has("astro") && runs("astro") {
        return lines(&["dist/"]);
    }
    if has("@angular/cli") && runs("ng") {
        return lines(&["dist/"]);
    }
    if has("gatsby") && runs("gatsby") {
        return lines(&["public/"]);
    }
    if has("vite") && (runs("vite") || build.trim() == "vite build") {
        // Laravel's plugin writes into the PHP app's `public/`.
        if has("laravel-vite-plugin") {
            return lines(&["public/build/"]);
        }
        // Frameworks that run as Vite plugins write elsewhere (`.svelte-kit/`, `build/`).
        if ["@sveltejs/kit", "@builder.io/qwik-city", "vike", "vinxi"]
            .iter()
            .any(|f| has(f))
        {
            return Vec::new();
        }
        let text = config(scan, "vite.config").unwrap_or_default();
        // A library build, or a `root` that moves where `outDir` is resolved from.
        if ["lib:", "lib :", "root:", "root :"]
            .iter()
            .any(|k| text.contains(k))
        {
            return Vec::new();
        }
        let out = dir_path(&string_option(&text, "outDir").unwrap_or_else(|| "dist".into()));
        return if is_plain_relative(&out) {
            vec![out]
        } else {
            Vec::new()
        };
    }
    if p.has_entry_point {
        return Vec::new();
    }
    // `node dist/server.js`: the start script runs what the build wrote.
    let started = p.start_script.as_deref().and_then(|start| {
        let mut words = start.split_whitespace();
        (words.next() == Some("node"))
            .then(|| words.find(|w| !w.starts_with('-')))
            .flatten()
    });
    match started.and_then(|path| path.trim_start_matches("./").split_once('/')) {
        Some((top @ ("dist" | "build" | "out" | "lib"), _)) => vec![format!("{top}/")],
        _ => Vec::new(),
    }
}

/// What a workspace root's `build` ships: its own framework's output, else, when the script
/// builds the members, theirs.
fn workspace_outputs(
    scan: &mut Scan<'_>,
    root: &str,
    p: &PackageJson,
    manifests: &BTreeMap<String, PackageJson>,
    owner: &BTreeMap<&str, &str>,
) -> Vec<String> {
    let own = outputs(scan, root, p);
    if !own.is_empty() {
        return own;
    }
    let Some(build) = p.build_script.as_deref() else {
        return Vec::new();
    };
    let delegates = [
        "turbo",
        "nx ",
        "lerna",
        " -r ",
        "--recursive",
        "--workspaces",
    ]
    .iter()
    .any(|w| build.contains(w))
        || build.contains("workspaces foreach")
        || build.contains("--filter")
        || build.starts_with("nx ");
    if !delegates {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (dir, r) in owner {
        if *r != root {
            continue;
        }
        let Some(member) = manifests.get(*dir) else {
            continue;
        };
        let Some(rel) = relative_to(root, dir) else {
            continue;
        };
        for line in outputs(scan, dir, member) {
            out.push(match line.strip_prefix('!') {
                Some(rest) => format!("!{}", join(&rel, rest)),
                None => join(&rel, &line),
            });
        }
    }
    out
}

/// The string value of `key: '…'` (or `"…"`, `` `…` ``) in a JavaScript config, the first one
/// written; good enough for the literal options these files set.
fn string_option(text: &str, key: &str) -> Option<String> {
    let mut rest = text;
    while let Some(at) = rest.find(key) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + key.len()..].trim_start();
        rest = &rest[at + key.len()..];
        if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let Some(value) = after.strip_prefix(':').map(str::trim_start) else {
            continue;
        };
        let Some(quote) = value
            .chars()
            .next()
            .filter(|c| matches!(c, '\'' | '"' | '`'))
        else {
            continue;
        };
        let value = &value[1..];
        let end = value.find(quote)?;
        return Some(value[..end].to_owned());
    }
    None
}

/// True for a relative path that stays inside the project and needs no expansion.
fn is_plain_relative(path: &str) -> bool {
    !path.starts_with('/')
        && !path.split('/').any(|p| p == "..")
        && !path.contains(['$', '*', '?', '[', '{', '!', '\n', '\\'])
}

fn members(scan: &mut Scan<'_>, file: &str, globs: &[String]) -> Members {
    let (members, bad) = Members::new(globs, [""; 0]);
    for rejected in bad {
        scan.warn(file, rejected.to_string());
    }
    members
}

/// True when some member of the workspace at `root` has a real test script.
fn member_tested(
    manifests: &BTreeMap<String, PackageJson>,
    root: &str,
    owner: &BTreeMap<&str, &str>,
) -> bool {
    owner
        .iter()
        .any(|(dir, r)| *r == root && manifests.get(*dir).is_some_and(|m| m.test_script.is_some()))
}

/// The members of the workspace at `root`, relative to it, that have a real test script; `None`
/// when every other member simply has no `test` script (so `--if-present` skips them), as then
/// the short recursive form is right.
fn tested_members(
    manifests: &BTreeMap<String, PackageJson>,
    root: &str,
    owner: &BTreeMap<&str, &str>,
) -> Option<Vec<String>> {
    let members: Vec<(&str, &PackageJson)> = owner
        .iter()
        .filter(|(_, r)| **r == root)
        .filter_map(|(dir, _)| Some((*dir, manifests.get(*dir)?)))
        .collect();
    if !members.iter().any(|(_, m)| m.placeholder_test) {
        return None;
    }
    Some(
        members
            .iter()
            .filter(|(_, m)| m.test_script.is_some())
            .filter_map(|(dir, _)| relative_to(root, dir))
            .collect(),
    )
}

/// A root manifest that only runs the projects below it (see the module docs).
fn is_helper(index: &super::Index, dir: &str, p: &PackageJson) -> bool {
    if p.has_dependencies
        || p.has_entry_point
        || p.test_script.is_some()
        || p.workspaces.is_some()
        || index.has(dir, "tsconfig.json")
    {
        return false;
    }
    index.files().iter().any(|f| {
        let f_dir = dir_of(f);
        f_dir != dir
            && relative_to(dir, f_dir).is_some()
            && PROJECT_MANIFESTS.contains(&file_name(f))
    })
}

fn package_manager(
    index: &super::Index,
    dir: &str,
    root: &str,
    p: &PackageJson,
    root_manifest: Option<&PackageJson>,
) -> PackageManager {
    let declared = p
        .package_manager
        .as_ref()
        .or_else(|| root_manifest.and_then(|r| r.package_manager.as_ref()))
        .and_then(|(name, _)| pm_by_name(name));
    if let Some(pm) = declared {
        return pm;
    }
    let mut dirs = vec![dir.to_owned()];
    if dir != root {
        for parent in ancestors(dir) {
            let stop = parent == root;
            dirs.push(parent);
            if stop {
                break;
            }
        }
    }
    for d in &dirs {
        for (name, pm) in LOCKFILES {
            if index.has(d, name) {
                return *pm;
            }
        }
    }
    PackageManager::Npm
}

fn pm_by_name(name: &str) -> Option<PackageManager> {
    match name {
        "npm" => Some(PackageManager::Npm),
        "pnpm" => Some(PackageManager::Pnpm),
        "yarn" => Some(PackageManager::Yarn),
        "bun" => Some(PackageManager::Bun),
        _ => None,
    }
}

/// How a project runs its own `test` script.
fn script_command(pm: PackageManager) -> String {
    match pm {
        PackageManager::Pnpm => "pnpm run test",
        PackageManager::Yarn => "yarn test",
        PackageManager::Bun => "bun run test",
        PackageManager::Deno => "deno task test",
        _ => "npm test",
    }
    .to_owned()
}

/// How a workspace root runs the `test` script of every member that has one. When some member
/// has a failing placeholder script, `only` names the members to run, as `--if-present` would
/// still run the placeholder.
fn recursive_command(
    pm: PackageManager,
    declared: Option<&(String, String)>,
    only: &Option<Vec<String>>,
) -> String {
    if let Some(dirs) = only {
        let select = |flag: &str| -> String {
            dirs.iter()
                .map(|d| format!("{flag} {d}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        match pm {
            PackageManager::Pnpm => {
                let filters = dirs
                    .iter()
                    .map(|d| format!("--filter ./{d}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                return format!("pnpm {filters} run test");
            }
            PackageManager::Npm => return format!("npm test {}", select("--workspace")),
            PackageManager::Bun => {
                let filters = dirs
                    .iter()
                    .map(|d| format!("--filter ./{d}"))
                    .collect::<Vec<_>>()
                    .join(" ");
                return format!("bun run {filters} test");
            }
            // yarn selects workspaces by name only; it runs every member's script.
            _ => {}
        }
    }
    match pm {
        PackageManager::Pnpm => "pnpm -r --if-present run test",
        PackageManager::Yarn => {
            // Berry projects pin themselves through `packageManager` (corepack); without it,
            // yarn 1 is the one in use.
            let berry = declared.is_some_and(|(name, v)| name == "yarn" && !v.starts_with("1."));
            if berry {
                "yarn workspaces foreach --all run test"
            } else {
                "yarn workspaces run test"
            }
        }
        PackageManager::Bun => "bun run --filter '*' test",
        _ => "npm test --workspaces --if-present",
    }
    .to_owned()
}

fn report_toolchains(scan: &mut Scan<'_>, dir: &str, p: &PackageJson) {
    let file = join(dir, "package.json");
    if let Some(v) = &p.engines_node {
        scan.toolchain("node", v, Source::Manifest, &file);
    }
    if let Some(v) = &p.volta_node {
        scan.toolchain("node", v, Source::Manifest, &file);
    }
    if let Some((name, v)) = &p.package_manager
        && pm_by_name(name).is_some()
    {
        scan.toolchain(name, v, Source::Manifest, &file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::manifest::scan_files;
    use proptest::prelude::*;

    fn detect(files: &[(&str, &str)]) -> (crate::detect::Stacks, Vec<crate::detect::Warning>) {
        scan_files(files, super::scan)
    }

    fn outputs_of(files: &[(&str, &str)], dir: &str) -> Vec<String> {
        let (s, _) = detect(files);
        let facts = s
            .builds
            .iter()
            .find(|((d, _), _)| d == dir)
            .map(|(_, f)| f.clone())
            .expect("build facts");
        facts.outputs
    }

    fn app(deps: &str, build: &str, extra: &str) -> String {
        format!(
            "{{\"name\": \"app\", \"scripts\": {{\"build\": \"{build}\"}}, \"dependencies\": {{{deps}}}{extra}}}"
        )
    }

    #[test]
    fn a_frameworks_build_ships_where_that_framework_writes() {
        let next = app("\"next\": \"15\"", "next build", "");
        assert_eq!(
            outputs_of(&[("package.json", &next)], "."),
            vec![".next/", "!.next/cache/"]
        );
        assert_eq!(
            outputs_of(
                &[
                    ("package.json", &next),
                    ("next.config.mjs", "export default { output: 'export' };\n")
                ],
                "."
            ),
            vec!["out/"]
        );
        let vite = app("\"vite\": \"6\"", "tsc -b && vite build", "");
        assert_eq!(outputs_of(&[("package.json", &vite)], "."), vec!["dist/"]);
        assert_eq!(
            outputs_of(
                &[
                    ("package.json", &vite),
                    (
                        "vite.config.ts",
                        "export default { build: { outDir: \"www\" } }\n"
                    )
                ],
                "."
            ),
            vec!["www/"]
        );
        let laravel = app(
            "\"vite\": \"7\", \"laravel-vite-plugin\": \"2\"",
            "vite build",
            "",
        );
        assert_eq!(
            outputs_of(&[("package.json", &laravel)], "."),
            vec!["public/build/"]
        );
        let kit = app(
            "\"vite\": \"6\", \"@sveltejs/kit\": \"2\"",
            "vite build",
            "",
        );
        assert!(outputs_of(&[("package.json", &kit)], ".").is_empty());
        let cra = app("\"react-scripts\": \"5\"", "react-scripts build", "");
        assert_eq!(outputs_of(&[("package.json", &cra)], "."), vec!["build/"]);
        let remix = app("\"@remix-run/dev\": \"2\"", "remix build", "");
        assert_eq!(
            outputs_of(&[("package.json", &remix)], "."),
            vec!["build/", "public/build/"]
        );
        let env = app("\"next\": \"15\"", "NODE_ENV=production next build", "");
        assert_eq!(outputs_of(&[("package.json", &env)], ".").len(), 2);
    }

    #[test]
    fn a_library_or_an_unknown_build_ships_nothing() {
        let lib = app(
            "\"vite\": \"6\"",
            "vite build",
            ", \"main\": \"dist/index.js\"",
        );
        let lib_config = "export default { build: { lib: { entry: 'src/index.ts' } } }\n";
        assert!(
            outputs_of(
                &[("package.json", &lib), ("vite.config.ts", lib_config)],
                "."
            )
            .is_empty()
        );
        let tsc_lib = app("", "tsc", ", \"exports\": \"./dist/index.js\"");
        assert!(outputs_of(&[("package.json", &tsc_lib)], ".").is_empty());
        let custom = app("\"esbuild\": \"1\"", "node scripts/build.mjs", "");
        assert!(outputs_of(&[("package.json", &custom)], ".").is_empty());
        let server =
            r#"{"name": "api", "scripts": {"build": "tsc", "start": "node dist/server.js"}}"#;
        assert_eq!(outputs_of(&[("package.json", server)], "."), vec!["dist/"]);
    }

    #[test]
    fn a_monorepo_build_ships_what_its_apps_ship() {
        let web = app("\"next\": \"15\"", "next build", "");
        let ui = app("", "tsc", ", \"main\": \"dist/index.js\"");
        let files = [
            (
                "package.json",
                "{\"private\": true, \"workspaces\": [\"apps/*\", \"packages/*\"], \"scripts\": {\"build\": \"turbo run build\"}}",
            ),
            ("apps/web/package.json", web.as_str()),
            ("packages/ui/package.json", ui.as_str()),
        ];
        assert_eq!(
            outputs_of(&files, "."),
            vec!["apps/web/.next/", "!apps/web/.next/cache/"]
        );
    }

    #[test]
    fn the_npm_placeholder_is_not_a_test() {
        let p = parse_package_json(
            r#"{"name":"x","scripts":{"test":"echo \"Error: no test specified\" && exit 1"}}"#,
        )
        .expect("valid");
        assert_eq!(p.test_script, None);
        let (s, _) = detect(&[(
            "package.json",
            r#"{"name":"x","scripts":{"test":"echo \"Error: no test specified\" && exit 1"},"dependencies":{"left-pad":"1"}}"#,
        )]);
        assert!(s.test_commands.is_empty());
        assert_eq!(s.subprojects.len(), 1);
    }

    #[test]
    fn package_manager_field_and_lockfiles() {
        assert_eq!(
            parse_package_manager("pnpm@9.12.0+sha512.abc"),
            Some(("pnpm".into(), "9.12.0".into()))
        );
        assert_eq!(parse_package_manager("pnpm"), None);
        let (s, _) = detect(&[
            (
                "package.json",
                r#"{"scripts":{"test":"vitest run"},"devDependencies":{"typescript":"^5"}}"#,
            ),
            ("yarn.lock", "# yarn lockfile v1\n"),
        ]);
        assert_eq!(s.test_commands, vec!["yarn test"]);
        assert_eq!(s.languages, vec![Language::Typescript]);
        assert_eq!(s.package_managers, vec![PackageManager::Yarn]);
    }

    #[test]
    fn pnpm_workspaces_honour_negations_and_ignore_stubs() {
        let (s, w) = detect(&[
            (
                "package.json",
                r#"{"private":true,"packageManager":"pnpm@9.12.0","engines":{"node":">=20"}}"#,
            ),
            (
                "pnpm-workspace.yaml",
                "packages:\n  - 'apps/*'\n  - 'packages/*'\n  - '!packages/legacy-*'\n",
            ),
            ("pnpm-lock.yaml", "lockfileVersion: '9.0'\n"),
            ("apps/web/package.json", r#"{"scripts":{"test":"vitest"}}"#),
            ("packages/ui/package.json", r#"{"scripts":{"build":"tsc"}}"#),
            (
                "packages/legacy-forms/package.json",
                r#"{"scripts":{"test":"jest"}}"#,
            ),
            (
                "templates/starter/package.json",
                r#"{"scripts":{"test":"jest"}}"#,
            ),
            (".nvmrc", "v20.11.0\n"),
        ]);
        assert!(w.is_empty(), "{w:?}");
        let paths: Vec<&str> = s.subprojects.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, vec![".", "apps/web", "packages/ui"]);
        assert_eq!(s.test_commands, vec!["pnpm -r --if-present run test"]);
        let (s2, _) = detect(&[
            (
                "package.json",
                r#"{"private":true,"workspaces":["packages/*"]}"#,
            ),
            ("packages/a/package.json", r#"{"scripts":{"test":"jest"}}"#),
            (
                "packages/b/package.json",
                r#"{"scripts":{"test":"echo \"Error: no test specified\" && exit 1"}}"#,
            ),
            ("packages/c/package.json", r#"{"scripts":{"test":"jest"}}"#),
        ]);
        assert_eq!(
            s2.test_commands,
            vec!["npm test --workspace packages/a --workspace packages/c"]
        );
        assert_eq!(s.toolchains["node"], "20.11.0");
        assert_eq!(s.toolchains["pnpm"], "9.12.0");
    }

    #[test]
    fn npm_workspaces_in_both_forms() {
        let p =
            parse_package_json(r#"{"workspaces":{"packages":["packages/*"],"nohoist":["**/x"]}}"#)
                .expect("valid");
        assert_eq!(p.workspaces, Some(vec!["packages/*".to_owned()]));
        let (s, _) = detect(&[
            (
                "package.json",
                r#"{"private":true,"workspaces":["packages/*"],"scripts":{"test":"turbo run test"}}"#,
            ),
            ("package-lock.json", "{}"),
            (
                "packages/a/package.json",
                r#"{"scripts":{"test":"node --test"}}"#,
            ),
        ]);
        assert_eq!(s.test_commands, vec!["npm test"]);
    }

    #[test]
    fn yarn_workspaces_pick_the_form_of_their_yarn() {
        let files = |pm: &'static str| {
            vec![
                ("package.json", pm),
                ("yarn.lock", ""),
                ("packages/a/package.json", r#"{"scripts":{"test":"jest"}}"#),
            ]
        };
        let (s, _) = detect(&files(r#"{"workspaces":["packages/*"]}"#));
        assert_eq!(s.test_commands, vec!["yarn workspaces run test"]);
        let (s, _) = detect(&files(
            r#"{"workspaces":["packages/*"],"packageManager":"yarn@4.5.0"}"#,
        ));
        assert_eq!(
            s.test_commands,
            vec!["yarn workspaces foreach --all run test"]
        );
        assert_eq!(s.toolchains["yarn"], "4.5.0");
    }

    #[test]
    fn a_helper_root_manifest_is_not_a_project() {
        let (s, _) = detect(&[
            (
                "package.json",
                r#"{"private":true,"scripts":{"dev":"concurrently \"npm:dev:*\""},"devDependencies":{"concurrently":"^8"}}"#,
            ),
            (
                "frontend/package.json",
                r#"{"dependencies":{"react":"^18"},"scripts":{"test":"vitest run"}}"#,
            ),
            ("frontend/package-lock.json", "{}"),
        ]);
        let paths: Vec<&str> = s.subprojects.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths, vec!["frontend"]);
        assert_eq!(s.test_commands, vec!["cd frontend && npm test"]);
    }

    #[test]
    fn malformed_files_become_warnings() {
        let (s, w) = detect(&[
            ("package.json", "{\"name\": \"x\",,}"),
            ("pnpm-workspace.yaml", "packages: [\n"),
            (
                "a/package.json",
                "\u{feff}{\"scripts\":{\"test\":\"jest\"}}",
            ),
            ("b/package.json", "[1, 2]"),
        ]);
        let paths: Vec<&str> = w.iter().map(|w| w.path.as_str()).collect();
        assert_eq!(
            paths,
            vec!["b/package.json", "package.json", "pnpm-workspace.yaml"]
        );
        assert_eq!(s.test_commands, vec!["cd a && npm test"]);
    }

    #[test]
    fn deno_and_version_files() {
        assert_eq!(parse_version_file("v20.11.0\n").as_deref(), Some("20.11.0"));
        assert_eq!(
            parse_version_file("# pinned\nlts/*\n").as_deref(),
            Some("lts/*")
        );
        assert_eq!(parse_version_file("\n\n"), None);
        assert_eq!(
            parse_deno("{\n // tasks\n \"tasks\": {\"test\": \"deno test -A\",},\n}"),
            Ok(true)
        );
        let (s, _) = detect(&[("deno.json", "{\"imports\":{}}"), ("deno.lock", "{}")]);
        assert_eq!(s.test_commands, vec!["deno test"]);
        assert_eq!(s.package_managers, vec![PackageManager::Deno]);
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_package_json(&text);
            let _ = parse_pnpm_workspace(&text);
            let _ = parse_version_file(&text);
            let _ = parse_deno(&text);
            let _ = parse_package_manager(&text);
        }

        #[test]
        fn json_like_text_never_panics(text in "[{}\\[\\]\",:/* a-z0-9@\n]{0,64}") {
            let _ = parse_package_json(&text);
            let _ = parse_deno(&text);
            let _ = parse_pnpm_workspace(&text);
        }
    }
}
