//! `slipway setup-environment`: plan a job's environment from detection and config.
//!
//! The plan says which toolchains to install and at which versions (from the repository's own
//! toolchain files and manifest fields, see [`crate::detect`]), which dependency cache to
//! restore (keys and paths per package manager, hashed like `hashFiles()`, see [`hash`] and
//! [`cache`]), which variables of the deploy environment to export, and which of its secrets
//! must be present. The composite action `actions/setup-environment` applies the plan with
//! pinned setup actions (`actions/setup-*`, `ruby/setup-ruby`, `shivammathur/setup-php`),
//! rustup, and `actions/cache` steps that read the outputs [`publish`] writes. Versions are
//! resolved in [`toolchains`] (ranges to one release in [`versions`]); package managers the
//! runner lacks and the dependency install commands come from [`tools`].
//!
//! Inputs arrive as `SLIPWAY_<INPUT>` variables (`SLIPWAY_STACKS=rust,node`); a malformed one
//! is an [`Error::Input`] naming the input and the form it expects. Secrets are read from the
//! variable named like the secret (the calling step passes `env: { NAME: ${{ secrets.NAME }} }`)
//! and masked before anything is logged.

pub mod cache;
pub mod hash;
pub mod toolchains;
pub mod tools;
pub mod versions;

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use crate::config;
use crate::detect::{self, Language, PackageManager};
use crate::error::Hint;
use crate::github::{self, Runtime, Secret, Summary};

pub use cache::Os;

/// A toolchain the action knows how to set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stack {
    /// rustup, with rustfmt and clippy.
    Rust,
    /// `actions/setup-python`.
    Python,
    /// `actions/setup-node` (JavaScript and TypeScript).
    Node,
    /// `actions/setup-go`.
    Go,
    /// `actions/setup-java` (Java and Kotlin).
    Java,
    /// `actions/setup-dotnet`.
    Dotnet,
    /// `ruby/setup-ruby`.
    Ruby,
    /// `shivammathur/setup-php`.
    Php,
}

impl Stack {
    /// Every stack, in output order.
    pub const ALL: [Stack; 8] = [
        Self::Rust,
        Self::Python,
        Self::Node,
        Self::Go,
        Self::Java,
        Self::Dotnet,
        Self::Ruby,
        Self::Php,
    ];

    /// The name in inputs, outputs and detection's toolchain map (`node`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rust => "rust",
            Self::Python => "python",
            Self::Node => "node",
            Self::Go => "go",
            Self::Java => "java",
            Self::Dotnet => "dotnet",
            Self::Ruby => "ruby",
            Self::Php => "php",
        }
    }

    /// The stack named `name`.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The stack that builds a language.
    pub fn of(language: Language) -> Self {
        match language {
            Language::Rust => Self::Rust,
            Language::Python => Self::Python,
            Language::Javascript | Language::Typescript => Self::Node,
            Language::Go => Self::Go,
            Language::Java | Language::Kotlin => Self::Java,
            Language::Ruby => Self::Ruby,
            Language::Php => Self::Php,
            Language::Csharp | Language::Fsharp => Self::Dotnet,
        }
    }

    /// The version used when the repository names none: the setup action's floating "latest
    /// stable" spelling where it has one that cannot move to a release too new for the
    /// ecosystem (`stable`, `lts/*`), else the newest release of [`versions`]' tables, and
    /// the current LTS of Java and .NET (.NET 10, November 2025).
    pub fn default_version(self) -> &'static str {
        match self {
            Self::Rust | Self::Go => "stable",
            Self::Python => versions::PYTHON_MINORS[0],
            Self::Node => "lts/*",
            Self::Java => "25",
            Self::Dotnet => "10.0.x",
            Self::Ruby => versions::RUBY_MINORS[0],
            Self::Php => versions::PHP_MINORS[0],
        }
    }

    /// The stack of a package manager.
    pub fn of_package_manager(pm: PackageManager) -> Self {
        use PackageManager as P;
        match pm {
            P::Cargo => Self::Rust,
            P::Pip | P::Poetry | P::Uv | P::Pdm | P::Pipenv => Self::Python,
            P::Npm | P::Pnpm | P::Yarn | P::Bun | P::Deno => Self::Node,
            P::GoModules => Self::Go,
            P::Maven | P::Gradle => Self::Java,
            P::Bundler => Self::Ruby,
            P::Composer => Self::Php,
            P::Nuget => Self::Dotnet,
        }
    }
}

/// The `stacks` input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// `auto`: what detection finds in the working directory.
    Auto,
    /// `none`: no toolchain, only slipway (and the environment's variables and secrets).
    None,
    /// An explicit list, e.g. `rust,node`.
    Only(Vec<Stack>),
}

/// The form of the `stacks` input, for messages.
const STACKS_FORM: &str = "`auto`, `none`, or a comma list of `rust`, `python`, `node`, `go`, `java`, `dotnet`, `ruby`, `php`";

impl Selection {
    /// Parses the `stacks` input; empty means `auto`.
    ///
    /// ```
    /// use slipway::setup::{Selection, Stack};
    /// assert_eq!(Selection::parse(" rust, node ").unwrap(), Selection::Only(vec![Stack::Rust, Stack::Node]));
    /// assert_eq!(Selection::parse("").unwrap(), Selection::Auto);
    /// assert!(Selection::parse("rust,cobol").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, Error> {
        let text = text.trim();
        match text {
            "" | "auto" => return Ok(Self::Auto),
            "none" => return Ok(Self::None),
            _ => {}
        }
        let mut out = Vec::new();
        for item in text.split(',').map(str::trim) {
            let stack = Stack::parse(item).ok_or_else(|| Error::Input {
                input: "stacks",
                value: text.to_owned(),
                expected: format!(
                    "{STACKS_FORM}; `{item}` is not one{}",
                    if item == "auto" || item == "none" {
                        " inside a list"
                    } else {
                        ""
                    }
                ),
            })?;
            if !out.contains(&stack) {
                out.push(stack);
            }
        }
        Ok(Self::Only(out))
    }
}

/// Parses a boolean input: `true` or `false` (empty means `default`).
pub fn parse_bool(input: &'static str, value: &str, default: bool) -> Result<bool, Error> {
    match value.trim() {
        "" => Ok(default),
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(Error::Input {
            input,
            value: other.to_owned(),
            expected: "`true` or `false`".to_owned(),
        }),
    }
}

/// Parses the `version` input: empty is `None`; otherwise one version as setup actions spell
/// them (`1.78`, `3.11`, `21`, `lts/*`, `nightly-2024-05-01`, `>=3.10` for a range slipway
/// resolves).
///
/// ```
/// use slipway::setup::parse_version;
/// assert_eq!(parse_version(" 3.11 ").unwrap().as_deref(), Some("3.11"));
/// assert_eq!(parse_version("").unwrap(), None);
/// assert!(parse_version("1.78; curl x").is_err());
/// ```
pub fn parse_version(value: &str) -> Result<Option<String>, Error> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    let ok = v.len() <= 64
        && v.chars().any(|c| c.is_ascii_alphanumeric())
        && v.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(
                    c,
                    '.' | '-' | '_' | '+' | '*' | '/' | '<' | '>' | '=' | '^' | '~' | ','
                )
        });
    if !ok {
        return Err(Error::Input {
            input: "version",
            value: v.to_owned(),
            expected: "one toolchain version, e.g. `1.78`, `3.11` or `21`, or empty for the one the repository's files name".to_owned(),
        });
    }
    Ok(Some(v.to_owned()))
}

/// Normalises the `working-directory` input: a relative path inside the workspace, `/`-separated,
/// `.` for the root.
pub fn parse_working_directory(value: &str) -> Result<String, Error> {
    let bad = |why: &str| Error::Input {
        input: "working-directory",
        value: value.to_owned(),
        expected: format!("a directory relative to the workspace, e.g. `backend`; {why}"),
    };
    let value_trimmed = value.trim();
    if value_trimmed.is_empty() {
        return Ok(".".to_owned());
    }
    let mut parts = Vec::new();
    for component in Path::new(value_trimmed).components() {
        match component {
            Component::Normal(p) => {
                parts.push(p.to_str().ok_or_else(|| bad("it is not UTF-8"))?.to_owned());
            }
            Component::CurDir => {}
            Component::ParentDir => return Err(bad("it must not leave the workspace with `..`")),
            Component::RootDir | Component::Prefix(_) => {
                return Err(bad("it must not be absolute"));
            }
        }
    }
    Ok(if parts.is_empty() {
        ".".to_owned()
    } else {
        parts.join("/")
    })
}

/// Everything `run` needs, already validated.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The workspace root.
    pub root: PathBuf,
    /// An explicit config file, else `slipway.yml` in the root when present.
    pub config: Option<PathBuf>,
    /// Which stacks to set up.
    pub stacks: Selection,
    /// The subproject, relative to the root (`.` for the root).
    pub working_directory: String,
    /// Plan a dependency cache.
    pub cache: bool,
    /// Plan the dependency install command.
    pub install_dependencies: bool,
    /// The deploy environment whose variables and secrets apply, if any.
    pub environment: Option<String>,
    /// The runner's OS (`RUNNER_OS`).
    pub os: Os,
    /// The runner's architecture (`RUNNER_ARCH`, e.g. `X64`).
    pub arch: String,
    /// The `version` input: the toolchain version of the one stack set up, instead of the
    /// repository's.
    pub version: Option<String>,
}

/// One toolchain of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Toolchain {
    /// The stack.
    pub stack: Stack,
    /// The version to install, e.g. `1.80.1`, or the stack's default spelling.
    pub version: String,
    /// `input` for the `version` input, `repository` when a file named it, `default`
    /// otherwise.
    pub source: &'static str,
    /// Why this version, when more than a file's value decided it (a resolved range, what
    /// runs a Java build); empty otherwise.
    pub reason: String,
}

/// The dependency cache of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CachePlan {
    /// The primary key.
    pub key: String,
    /// Prefixes tried, in order, when the primary key misses.
    pub restore_keys: Vec<String>,
    /// Directories to cache (`~/…` or workspace-relative).
    pub paths: Vec<String>,
    /// The files that were hashed, relative to the working directory.
    pub lockfiles: Vec<String>,
}

/// What the job needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The stacks set up, in [`Stack::ALL`] order.
    pub stacks: Vec<Stack>,
    /// Their toolchains.
    pub toolchains: Vec<Toolchain>,
    /// Package managers in use in the working directory, for the selected stacks.
    pub package_managers: Vec<PackageManager>,
    /// The `package-manager` output: `cargo`, `pnpm@9.12.0`, comma-separated when several.
    pub package_manager: String,
    /// Rust components to install with the toolchain (`rustfmt`, `clippy`, the toolchain
    /// file's own).
    pub rust_components: Vec<String>,
    /// Rust targets to install with the toolchain (the toolchain file's).
    pub rust_targets: Vec<String>,
    /// Every JDK to install, the one that runs the build last (setup-java makes the last one
    /// `JAVA_HOME`).
    pub java_versions: Vec<String>,
    /// The command that installs the package managers the runner lacks, pinned
    /// (`npm install --global --force pnpm@9.12.0`); empty when none is needed.
    pub tools_command: String,
    /// The working directory, workspace-relative.
    pub working_directory: String,
    /// The dependency cache, when enabled and a package manager is in use.
    pub cache: Option<CachePlan>,
    /// The command that installs dependencies (empty: nothing to run).
    pub install_command: String,
    /// Variables exported for later steps (names and values; none is secret).
    pub env: Vec<(String, String)>,
    /// Names of the secrets checked (never their values).
    pub secrets: Vec<String>,
}

impl Plan {
    /// The version planned for `stack`, or empty.
    pub fn version(&self, stack: Stack) -> &str {
        self.toolchains
            .iter()
            .find(|t| t.stack == stack)
            .map_or("", |t| t.version.as_str())
    }

    /// The `stacks` output: a JSON array of stack names, e.g. `["rust","node"]`.
    pub fn stacks_json(&self) -> String {
        let names: Vec<&str> = self.stacks.iter().map(|s| s.as_str()).collect();
        serde_json::to_string(&names).unwrap_or_else(|_| "[]".to_owned())
    }
}

/// The result of a run.
#[derive(Debug)]
pub struct Outcome {
    /// The plan.
    pub plan: Plan,
    /// Things worth telling: no stack found, warnings of detection.
    pub notes: Vec<String>,
}

/// Why there is no plan.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input that does not have the expected form.
    #[error("invalid input `{input}`: `{value}`; expected {expected}")]
    Input {
        /// The input's name as in action.yml (`stacks`).
        input: &'static str,
        /// The value given.
        value: String,
        /// The form expected.
        expected: String,
    },
    /// The working directory does not exist.
    #[error("the working directory `{0}` does not exist in the workspace")]
    NoWorkingDirectory(String),
    /// The environment is not defined in the config.
    #[error("the environment `{name}` is not defined in slipway.yml (defined: {known})")]
    UnknownEnvironment {
        /// The name asked for.
        name: String,
        /// The names defined, in backticks.
        known: String,
    },
    /// Required secrets are not set.
    #[error("the environment `{environment}` needs the secret{} {names}, which {} not set", if *count == 1 { "" } else { "s" }, if *count == 1 { "is" } else { "are" })]
    MissingSecrets {
        /// The environment.
        environment: String,
        /// The missing names, in backticks.
        names: String,
        /// How many are missing.
        count: usize,
        /// The first missing name, for the hint.
        first: String,
    },
    /// slipway.yml could not be loaded.
    #[error(transparent)]
    Config(#[from] config::Error),
    /// Detection could not run.
    #[error(transparent)]
    Detect(#[from] detect::Error),
    /// Hashing the lockfiles failed.
    #[error(transparent)]
    Hash(#[from] hash::Error),
    /// Writing outputs, variables or the summary failed.
    #[error(transparent)]
    Github(#[from] github::Error),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Input { input, .. } => Some(format!(
                "set the action's `{input}` input (the `SLIPWAY_{}` variable) to one of the forms above",
                input.to_ascii_uppercase().replace('-', "_")
            )),
            Self::NoWorkingDirectory(_) => Some(
                "`working-directory` is relative to the workspace root; check out the repository first"
                    .into(),
            ),
            Self::UnknownEnvironment { .. } => {
                Some("add it under `environments:` or fix the `environment` input".into())
            }
            Self::MissingSecrets { first, .. } => Some(format!(
                "pass each secret to the step, e.g. `env: {{ {first}: ${{{{ secrets.{first} }}}} }}`, and define it in the repository or environment settings"
            )),
            Self::Config(e) => e.hint(),
            Self::Detect(e) => e.hint(),
            Self::Github(e) => e.hint(),
            Self::Hash(_) => None,
        }
    }

    fn location(&self) -> Option<crate::error::Location> {
        match self {
            Self::Config(e) => e.location(),
            _ => None,
        }
    }
}

/// Plans the environment. `var` looks up the secrets' values (the process environment in the
/// binary); every value found is masked on `runtime` at once, before any check can fail.
pub fn run(
    settings: &Settings,
    runtime: &Runtime,
    var: impl Fn(&str) -> Option<String>,
) -> Result<Outcome, Error> {
    let mut notes = Vec::new();
    let mut plan = Plan {
        working_directory: settings.working_directory.clone(),
        ..Plan::default()
    };
    let loaded = config::load(&settings.root, settings.config.as_deref())?;
    if let Some(name) = settings.environment.as_deref() {
        let Some(env) = loaded.config.environments.get(name) else {
            let known: Vec<String> = loaded
                .config
                .environments
                .iter()
                .map(|(k, _)| format!("`{k}`"))
                .collect();
            return Err(Error::UnknownEnvironment {
                name: name.to_owned(),
                known: if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                },
            });
        };
        let mut missing = Vec::new();
        for secret in &env.secrets {
            match var(secret.as_str()).filter(|v| !v.is_empty()) {
                Some(value) => runtime.mask(&Secret::new(value)),
                None => missing.push(secret.as_str().to_owned()),
            }
            plan.secrets.push(secret.as_str().to_owned());
        }
        if let Some(first) = missing.first() {
            return Err(Error::MissingSecrets {
                environment: name.to_owned(),
                first: first.clone(),
                count: missing.len(),
                names: missing
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        plan.env = env
            .env
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.as_str().to_owned()))
            .collect();
    }
    if settings.stacks == Selection::None {
        return Ok(Outcome { plan, notes });
    }
    let wd = &settings.working_directory;
    let wd_abs = if wd == "." {
        settings.root.clone()
    } else {
        settings.root.join(wd)
    };
    if !wd_abs.is_dir() {
        return Err(Error::NoWorkingDirectory(wd.clone()));
    }
    let detection = detect::detect(&settings.root)?;
    for w in &detection.warnings {
        notes.push(format!("detection: `{}`: {}", w.path, w.message));
    }
    let stacks = detection.stacks;
    let inside = |path: &str| wd == "." || path == wd || path.starts_with(&format!("{wd}/"));
    let units: Vec<&detect::Subproject> = stacks
        .subprojects
        .iter()
        .filter(|s| inside(&s.path))
        .collect();
    let mut chosen: Vec<Stack> = match &settings.stacks {
        Selection::Only(list) => list.clone(),
        _ => units.iter().map(|u| Stack::of(u.stack)).collect(),
    };
    chosen.sort();
    chosen.dedup();
    if chosen.is_empty() {
        notes.push(format!(
            "no stack detected in `{wd}`: nothing to set up (set the `stacks` input, e.g. `rust,node`, to choose)"
        ));
        return Ok(Outcome { plan, notes });
    }
    if settings.version.is_some() && chosen.len() != 1 {
        let names: Vec<&str> = chosen.iter().map(|s| s.as_str()).collect();
        return Err(Error::Input {
            input: "version",
            value: settings.version.clone().unwrap_or_default(),
            expected: format!(
                "a version for exactly one stack, but this job sets up {} (`{}`): set `stacks` to the one it is for, or leave `version` empty",
                names.len(),
                names.join("`, `")
            ),
        });
    }
    let place = toolchains::Place {
        root: &settings.root,
        working_directory: wd,
    };
    for &stack in &chosen {
        let r = toolchains::resolve(
            stack,
            place,
            stacks.toolchains.get(stack.as_str()).map(String::as_str),
            settings.version.as_deref(),
        );
        match stack {
            Stack::Rust => {
                plan.rust_components = r.components.clone();
                plan.rust_targets = r.targets.clone();
                // A toolchain file overrides `rustup default`; the variable overrides both,
                // so an explicit version (an MSRV matrix entry) is what every later step runs.
                if r.source == "input" {
                    plan.env
                        .push(("RUSTUP_TOOLCHAIN".to_owned(), r.version.clone()));
                }
            }
            Stack::Java => {
                plan.java_versions = r.extra_versions.clone();
                plan.java_versions.push(r.version.clone());
            }
            _ => {}
        }
        plan.toolchains.push(Toolchain {
            stack,
            version: r.version,
            source: r.source,
            reason: r.reason,
        });
    }
    plan.stacks = chosen;
    let mut managers: Vec<PackageManager> = units
        .iter()
        .map(|u| u.package_manager)
        .filter(|pm| plan.stacks.contains(&Stack::of_package_manager(*pm)))
        .collect();
    managers.sort();
    managers.dedup();
    plan.package_manager = managers
        .iter()
        .map(|pm| match stacks.toolchains.get(pm.as_str()) {
            Some(v) if matches!(pm, PackageManager::Pnpm | PackageManager::Yarn) => {
                format!("{}@{v}", pm.as_str())
            }
            _ => pm.as_str().to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",");
    let with_managers: Vec<(String, PackageManager)> = units
        .iter()
        .filter(|u| {
            plan.stacks
                .contains(&Stack::of_package_manager(u.package_manager))
        })
        .map(|u| {
            // A workspace root in the working directory (a virtual Cargo manifest is not a
            // unit of its own) installs and locks every member below it.
            let root_marker = match u.package_manager {
                PackageManager::Cargo => Some("Cargo.toml"),
                PackageManager::GoModules => Some("go.work"),
                _ => None,
            };
            match root_marker {
                Some(m) if wd_abs.join(m).is_file() => (wd.clone(), u.package_manager),
                _ => (u.path.clone(), u.package_manager),
            }
        })
        .collect();
    // A unit under another unit of the same package manager is a workspace member: the
    // workspace root's lockfile and install cover it.
    let with_managers: Vec<(String, PackageManager)> = with_managers
        .iter()
        .filter(|(path, pm)| {
            !with_managers.iter().any(|(other, other_pm)| {
                other_pm == pm
                    && other != path
                    && (other == "." || path.starts_with(&format!("{other}/")))
            })
        })
        .cloned()
        .collect();
    let mut with_managers = with_managers;
    with_managers.dedup();
    let mut tool_commands: Vec<String> = Vec::new();
    for (unit, pm) in &with_managers {
        let recorded = stacks.toolchains.get(pm.as_str()).map(String::as_str);
        let command = tools::install_tool(*pm, &settings.root.join(unit), recorded);
        if !command.is_empty() && !tool_commands.contains(&command) {
            tool_commands.push(command);
        }
    }
    plan.tools_command = tools::with_tools_on_path(&tool_commands);
    if settings.install_dependencies {
        plan.install_command = install_command(settings, &with_managers, &stacks.toolchains);
    }
    plan.package_managers = managers;
    if settings.cache && !with_managers.is_empty() {
        plan.cache = Some(plan_cache(settings, &plan, &with_managers, &wd_abs)?);
    }
    Ok(Outcome { plan, notes })
}

/// The cache of the `units` (subprojects under the working directory, with their package
/// managers): each unit's lockfiles, relative to the working directory, key one cache.
fn plan_cache(
    settings: &Settings,
    plan: &Plan,
    units: &[(String, PackageManager)],
    wd_abs: &Path,
) -> Result<CachePlan, Error> {
    let wd = settings.working_directory.as_str();
    let mut patterns: Vec<String> = Vec::new();
    let mut paths: Vec<String> = Vec::new();
    for (unit, pm) in units {
        let spec = cache::spec(*pm, settings.os);
        // The unit's directory relative to the working directory ("" for itself).
        let rel = if wd == "." {
            unit.trim_start_matches('.').to_owned()
        } else {
            unit.strip_prefix(wd)
                .unwrap_or("")
                .trim_start_matches('/')
                .to_owned()
        };
        let join = |base: &str, p: &str| {
            if base.is_empty() || base == "." {
                p.to_owned()
            } else {
                format!("{base}/{p}")
            }
        };
        for p in spec.lockfiles {
            let p = join(&rel, p);
            if !patterns.contains(&p) {
                patterns.push(p);
            }
        }
        for p in spec.paths {
            let p = if p.starts_with('~') {
                p.to_owned()
            } else {
                join(unit, p)
            };
            if !paths.contains(&p) {
                paths.push(p);
            }
        }
    }
    let patterns: Vec<&str> = patterns.iter().map(String::as_str).collect();
    let files = hash::matching_files(wd_abs, &patterns)?;
    let digest = hash::hash_files(wd_abs, &files)?;
    let names: Vec<&str> = plan.package_managers.iter().map(|pm| pm.as_str()).collect();
    let tools: Vec<String> = plan.toolchains.iter().map(|t| t.version.clone()).collect();
    let (key, restore_keys) = cache::key(
        settings.os,
        &settings.arch,
        &names,
        wd,
        &tools.join("_"),
        &digest,
    );
    Ok(CachePlan {
        key,
        restore_keys,
        paths,
        lockfiles: files,
    })
}

/// The install commands of the `units`, each in its directory relative to the working
/// directory (`(cd backend && uv sync --frozen)`), joined with `&&`.
fn install_command(
    settings: &Settings,
    units: &[(String, PackageManager)],
    recorded: &BTreeMap<String, String>,
) -> String {
    let wd = settings.working_directory.as_str();
    let mut parts: Vec<String> = Vec::new();
    for (unit, pm) in units {
        let dir_abs = settings.root.join(unit);
        let command = tools::install_dependencies(
            *pm,
            &dir_abs,
            recorded.get(pm.as_str()).map(String::as_str),
        );
        if command.is_empty() {
            continue;
        }
        let rel = if wd == "." {
            unit.as_str()
        } else {
            unit.strip_prefix(wd).unwrap_or("").trim_start_matches('/')
        };
        let command = if rel.is_empty() || rel == "." {
            command
        } else {
            format!("(cd {rel} && {command})")
        };
        if !parts.contains(&command) {
            parts.push(command);
        }
    }
    parts.join(" && ")
}

/// The `slipway-version` output: `0.1.0 (0123456)`, the version and the short commit.
pub fn version_line() -> String {
    let commit = crate::COMMIT.get(..7).unwrap_or(crate::COMMIT);
    format!("{} ({commit})", crate::VERSION)
}

/// Every output the action declares, in order, with its value.
pub fn outputs(plan: &Plan) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("slipway-version", version_line()),
        ("stacks", plan.stacks_json()),
        ("working-directory", plan.working_directory.clone()),
    ];
    for (name, stack) in [
        ("rust-version", Stack::Rust),
        ("python-version", Stack::Python),
        ("node-version", Stack::Node),
        ("go-version", Stack::Go),
        ("java-version", Stack::Java),
        ("dotnet-version", Stack::Dotnet),
        ("ruby-version", Stack::Ruby),
        ("php-version", Stack::Php),
    ] {
        out.push((name, plan.version(stack).to_owned()));
    }
    out.push(("rust-components", plan.rust_components.join(",")));
    out.push(("rust-targets", plan.rust_targets.join(",")));
    out.push(("java-versions", plan.java_versions.join("\n")));
    out.push((
        "java-distribution",
        if plan.stacks.contains(&Stack::Java) {
            "temurin".to_owned()
        } else {
            String::new()
        },
    ));
    out.push(("package-manager", plan.package_manager.clone()));
    let cache = plan.cache.as_ref();
    out.push((
        "cache-key",
        cache.map(|c| c.key.clone()).unwrap_or_default(),
    ));
    out.push((
        "cache-restore-keys",
        cache.map(|c| c.restore_keys.join("\n")).unwrap_or_default(),
    ));
    out.push((
        "cache-paths",
        cache.map(|c| c.paths.join("\n")).unwrap_or_default(),
    ));
    out.push(("tools-command", plan.tools_command.clone()));
    out.push(("install-command", plan.install_command.clone()));
    out
}

/// Writes the outputs, exports the environment's variables and writes the step summary.
pub fn publish(runtime: &Runtime, outcome: &Outcome) -> Result<(), Error> {
    let plan = &outcome.plan;
    for (name, value) in outputs(plan) {
        runtime.set_output(name, &value)?;
    }
    // Every name is checked before the first is written: a refused name never leaves the
    // earlier ones exported.
    for (name, _) in &plan.env {
        github::env::validate_name(name)?;
    }
    for (name, value) in &plan.env {
        runtime.export_env(name, value)?;
    }
    runtime.write_summary(&summary(outcome))?;
    Ok(())
}

/// The step summary: one table of toolchains, the cache and the environment.
pub fn summary(outcome: &Outcome) -> Summary {
    let plan = &outcome.plan;
    let mut s = Summary::new();
    let section = s.section(github::Priority::High, Some("slipway setup-environment"));
    if plan.stacks.is_empty() {
        section.text("No toolchain to set up.\n\n");
    } else {
        let rows: Vec<Vec<String>> = plan
            .toolchains
            .iter()
            .map(|t| {
                vec![
                    t.stack.as_str().to_owned(),
                    format!("`{}`", t.version),
                    if t.reason.is_empty() {
                        t.source.to_owned()
                    } else {
                        format!("{}: {}", t.source, t.reason)
                    },
                ]
            })
            .collect();
        section.table(&["stack", "version", "from"], &rows);
    }
    let mut facts: BTreeMap<&str, String> = BTreeMap::new();
    facts.insert("working directory", format!("`{}`", plan.working_directory));
    if !plan.package_manager.is_empty() {
        facts.insert("package manager", format!("`{}`", plan.package_manager));
    }
    facts.insert(
        "cache key",
        plan.cache
            .as_ref()
            .map_or_else(|| "none".to_owned(), |c| format!("`{}`", c.key)),
    );
    if !plan.env.is_empty() {
        let names: Vec<String> = plan.env.iter().map(|(k, _)| format!("`{k}`")).collect();
        facts.insert("variables exported", names.join(", "));
    }
    if !plan.secrets.is_empty() {
        let names: Vec<String> = plan.secrets.iter().map(|k| format!("`{k}`")).collect();
        facts.insert("secrets present", names.join(", "));
    }
    let rows: Vec<Vec<String>> = facts
        .into_iter()
        .map(|(k, v)| vec![k.to_owned(), v])
        .collect();
    section.text("\n");
    section.table(&["", ""], &rows);
    for note in &outcome.notes {
        section.text(&format!("\n> {note}\n"));
    }
    s
}

/// The plan for people, outside Actions.
pub fn render(outcome: &Outcome) -> String {
    let mut out = String::new();
    for (name, value) in outputs(&outcome.plan) {
        if value.contains('\n') {
            out.push_str(&format!("{name}:\n"));
            for line in value.lines() {
                out.push_str(&format!("  {line}\n"));
            }
        } else {
            out.push_str(&format!("{name}: {value}\n"));
        }
    }
    for (name, _) in &outcome.plan.env {
        out.push_str(&format!("export: {name}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(root: &Path) -> Settings {
        Settings {
            root: root.to_path_buf(),
            config: None,
            stacks: Selection::Auto,
            working_directory: ".".into(),
            cache: true,
            install_dependencies: true,
            environment: None,
            os: Os::Linux,
            arch: "X64".into(),
            version: None,
        }
    }

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn stacks_input_names_the_input_and_the_form() {
        let e = Selection::parse("rust,cobol").unwrap_err().to_string();
        assert!(e.contains("`stacks`") && e.contains("`cobol`"), "{e}");
        assert!(Selection::parse("rust,none").is_err());
        assert_eq!(Selection::parse("none").unwrap(), Selection::None);
    }

    #[test]
    fn booleans_are_true_or_false() {
        assert!(parse_bool("cache", "true", false).unwrap());
        assert!(!parse_bool("cache", "", false).unwrap());
        let e = parse_bool("cache", "yes", true).unwrap_err().to_string();
        assert_eq!(
            e,
            "invalid input `cache`: `yes`; expected `true` or `false`"
        );
    }

    #[test]
    fn the_working_directory_stays_inside_the_workspace() {
        assert_eq!(parse_working_directory("./backend/").unwrap(), "backend");
        assert_eq!(parse_working_directory("").unwrap(), ".");
        assert!(parse_working_directory("../x").is_err());
        assert!(parse_working_directory("/etc").is_err());
    }

    #[test]
    fn a_rust_repository_plans_its_toolchain_and_cache() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "Cargo.toml",
            "[package]\nname = \"a\"\nversion = \"0.1.0\"\n",
        );
        write(dir.path(), "Cargo.lock", "version = 4\n");
        write(
            dir.path(),
            "rust-toolchain.toml",
            "[toolchain]\nchannel = \"1.80.1\"\n",
        );
        let rt = Runtime::plain_for_test();
        let out = run(&settings(dir.path()), &rt, |_| None).unwrap();
        assert_eq!(out.plan.stacks, [Stack::Rust]);
        assert_eq!(out.plan.version(Stack::Rust), "1.80.1");
        assert_eq!(out.plan.package_manager, "cargo");
        assert_eq!(out.plan.install_command, "cargo fetch --locked");
        let cache = out.plan.cache.unwrap();
        assert_eq!(cache.lockfiles, ["Cargo.lock", "rust-toolchain.toml"]);
        assert!(
            cache
                .key
                .starts_with("slipway-v1-Linux-X64-cargo-root-1.80.1-"),
            "{}",
            cache.key
        );
        assert!(cache.paths.contains(&"target".to_owned()));
    }

    #[test]
    fn no_stack_gives_an_empty_plan_and_a_note() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "README.md", "hi");
        let out = run(&settings(dir.path()), &Runtime::plain_for_test(), |_| None).unwrap();
        assert!(out.plan.stacks.is_empty() && out.plan.cache.is_none());
        assert!(out.notes[0].starts_with("no stack detected in `.`"));
    }

    #[test]
    fn a_missing_secret_is_named_and_present_ones_are_masked_first() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "slipway.yml",
            "version: 1\nenvironments:\n  staging:\n    branch: main\n    secrets: [DB_URL, API_KEY]\n",
        );
        let rt = Runtime::plain_for_test();
        let mut s = settings(dir.path());
        s.environment = Some("staging".into());
        s.stacks = Selection::None;
        let e = run(&s, &rt, |name| {
            (name == "DB_URL").then(|| "postgres://u:hunter2@db".to_owned())
        })
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "the environment `staging` needs the secret `API_KEY`, which is not set"
        );
        assert!(!rt.captured().contains("hunter2"));
        assert!(!e.to_string().contains("hunter2"));
    }

    #[test]
    fn an_unknown_environment_lists_the_defined_ones() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "slipway.yml",
            "environments:\n  staging: { branch: main }\n  production: { on: release }\n",
        );
        let mut s = settings(dir.path());
        s.environment = Some("prod".into());
        let e = run(&s, &Runtime::plain_for_test(), |_| None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the environment `prod` is not defined in slipway.yml (defined: `staging`, `production`)"
        );
    }
}
