//! The typed context the workflow templates render: every decision made here, in Rust, from
//! the config, the detected stacks and the pin table. Templates loop, branch and print.
//!
//! Strings that come from the user (branch names, URLs, commands) reach the templates already
//! checked: a `${{` in any of them is refused, because GitHub would evaluate it as an expression
//! wherever it lands in a workflow. Templates print them through the `yaml` filter, which
//! quotes them as YAML strings.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;

use super::pins::{self, Pins};
use super::stacks;
use crate::config::{Config, HostsRuntime, Strategy, Target, Trigger};
use crate::detect::{Language, PackageManager, Stack, Stacks, Subproject};
use crate::error::Hint;

/// The six workflows, by file stem, in the order they are written.
pub const WORKFLOWS: [&str; 7] = [
    "ci",
    "cd",
    "security",
    "quality",
    "quality-comment",
    "release",
    "rollback",
];

/// Everything a workflow template can use.
#[derive(Debug, Clone, Serialize)]
pub struct Context {
    /// The slipway version that renders (`0.1.0`).
    pub version: String,
    /// The project's name.
    pub project: String,
    /// The branch pull requests merge into.
    pub default_branch: String,
    /// Every `uses:` value: third-party actions pinned by SHA, slipway's own at its commit.
    pub uses: Uses,
    /// Days to keep build and test artifacts.
    pub retention_days: u32,
    /// Days to keep release artifacts.
    pub release_retention_days: u32,
    /// What CI builds and tests: one unit per test root (a workspace, a standalone project).
    pub units: Vec<Unit>,
    /// True when there are several units: a `changes` job decides which ones run.
    pub path_filters: bool,
    /// Test and coverage settings.
    pub ci: Ci,
    /// Security scanning settings.
    pub security: Security,
    /// Deployment environments in promotion order (empty: no cd jobs).
    pub environments: Vec<Environment>,
    /// The units that deploy (with a build output or a Dockerfile), in unit order.
    pub apps: Vec<String>,
    /// Release settings.
    pub release: Release,
    /// Notification settings.
    pub notify: Notify,
    /// Environments deployed only by hand, for the cd dispatch choice.
    pub manual_environments: Vec<String>,
    /// The release's binary matrix: one entry per unit with executables and target.
    pub binaries: Vec<super::binaries::Binary>,
}

/// `uses:` values, each a full reference with its tag comment where it has one.
#[derive(Debug, Clone, Serialize)]
pub struct Uses {
    /// actions/checkout.
    pub checkout: String,
    /// actions/upload-artifact.
    pub upload_artifact: String,
    /// actions/download-artifact.
    pub download_artifact: String,
    /// actions/cache/restore.
    pub cache_restore: String,
    /// actions/cache/save.
    pub cache_save: String,
    /// github/codeql-action/init.
    pub codeql_init: String,
    /// github/codeql-action/analyze.
    pub codeql_analyze: String,
    /// github/codeql-action/upload-sarif.
    pub upload_sarif: String,
    /// aquasecurity/trivy-action.
    pub trivy: String,
    /// SonarSource/sonarqube-scan-action.
    pub sonarqube: String,
    /// docker/setup-buildx-action.
    pub buildx: String,
    /// docker/login-action.
    pub docker_login: String,
    /// docker/build-push-action.
    pub build_push: String,
    /// actions/attest-build-provenance.
    pub attest: String,
    /// taiki-e/install-action (pinned tools such as `cross`).
    pub install_action: String,
    /// slipway's setup-environment action at the binary's commit.
    pub setup_environment: String,
    /// slipway's run-tests action.
    pub run_tests: String,
    /// slipway's security-scan action.
    pub security_scan: String,
    /// slipway's deploy action.
    pub deploy: String,
}

/// One thing CI builds and tests.
#[derive(Debug, Clone, Serialize)]
pub struct Unit {
    /// Job-id suffix, unique, kebab-case (`backend`, `services-api`); empty for the only unit.
    pub id: String,
    /// Shown in job names (`backend`); the project name for a unit at the root.
    pub label: String,
    /// Directory relative to the root (`.` for the root).
    pub dir: String,
    /// Its language (`python`).
    pub language: Language,
    /// Its package manager (`uv`).
    pub package_manager: PackageManager,
    /// The setup-environment `stacks` input (`python`).
    pub setup: String,
    /// Step name of the setup (`Python and uv`).
    pub setup_label: String,
    /// Formatting check, run in `dir`.
    pub format_check: Option<String>,
    /// Linter, run in `dir`.
    pub lint: Option<String>,
    /// Slower static checks for the quality workflow.
    pub deep_lint: Option<String>,
    /// Build command, run in `dir`.
    pub build: Option<String>,
    /// What the build writes, relative to the root (for artifacts).
    pub build_output: Option<String>,
    /// The test command, run in `dir`; `None` when the unit has no tests.
    pub test_command: Option<String>,
    /// Path prefixes whose changes run this unit's jobs (`backend/`); empty for the root.
    pub paths: Vec<String>,
    /// A Dockerfile that builds this unit's image, relative to the root.
    pub docker_file: Option<String>,
    /// The CodeQL language of the unit.
    pub codeql: Option<String>,
    /// What its test and build jobs need beyond the recipe: services, variables, extra steps,
    /// a toolchain version, a matrix (`ci.services`, `ci.env`, `ci.units.<id>`).
    pub ci: UnitCi,
}

/// What a unit's jobs need beyond the recipe.
#[derive(Debug, Clone, Default, Serialize)]
pub struct UnitCi {
    /// Service containers of its test jobs.
    pub services: Vec<super::services::Service>,
    /// Variables of the steps that run its tests (services' first, then `ci.env`).
    pub test_env: Vec<super::services::Var>,
    /// Variables of the steps that build it (`ci.env`).
    pub build_env: Vec<super::services::Var>,
    /// Secrets passed to the steps that build and test, each under its own name.
    pub secrets: Vec<String>,
    /// True when `install` replaces the setup action's own dependency install.
    pub install_override: bool,
    /// The install command that replaces it; `None` with `install: none`.
    pub install: Option<String>,
    /// Commands before the toolchain and dependencies are set up.
    pub before_install: Vec<String>,
    /// Commands before the build.
    pub before_build: Vec<String>,
    /// Commands before the tests.
    pub before_test: Vec<String>,
    /// The toolchain version instead of the repository's, for the setup action's `version`.
    pub toolchain: Option<String>,
    /// Versions of the test matrix (empty: none); each passed as the setup action's `version`.
    pub versions: Vec<String>,
    /// Runner labels of the test matrix (empty: `ubuntu-24.04`).
    pub os: Vec<String>,
    /// The MSRV a Rust unit's `msrv` job checks with `cargo check`.
    pub msrv: Option<String>,
}

/// Test settings.
#[derive(Debug, Clone, Serialize)]
pub struct Ci {
    /// Number of shards.
    pub shards: u32,
    /// `[1, 2, …, shards]` for the matrix.
    pub shard_list: Vec<u32>,
    /// Required pass rate in percent.
    pub pass_rate: f64,
    /// Minimum line coverage in percent.
    pub coverage_min: f64,
    /// Largest allowed coverage drop in points.
    pub coverage_max_drop: f64,
    /// `any` or `regressions` (`ci.tests.fail-on`).
    pub fail_on: &'static str,
    /// SonarQube settings, when configured.
    pub sonar: Option<Sonar>,
}

/// SonarQube settings.
#[derive(Debug, Clone, Serialize)]
pub struct Sonar {
    /// Project key.
    pub project_key: String,
    /// Organization (SonarCloud).
    pub organization: Option<String>,
    /// Server URL.
    pub host_url: String,
    /// Name of the token secret.
    pub token_secret: String,
}

/// Security scanning settings.
#[derive(Debug, Clone, Serialize)]
pub struct Security {
    /// Scan for secrets.
    pub secrets: bool,
    /// Audit dependencies.
    pub dependencies: bool,
    /// Audit workflows.
    pub workflows: bool,
    /// Severity that fails the scan (`high`; `never` for none).
    pub fail_on: String,
    /// CodeQL languages, sorted, `actions` included.
    pub codeql_languages: Vec<String>,
    /// Units with a Dockerfile, for the container scan.
    pub containers: Vec<String>,
    /// The file of accepted findings (`security.baseline`), when set.
    pub baseline: Option<String>,
    /// `security.code-scanning`: `auto` (a job asks GitHub when the workflow runs), `on` or
    /// `off` (no SARIF upload, no CodeQL, no `security-events` permission).
    pub code_scanning: &'static str,
}

impl Security {
    /// True when the security workflow would have no job: no scan, no CodeQL (code scanning
    /// `off`) and no Dockerfile for a container scan.
    pub fn is_empty(&self) -> bool {
        !(self.secrets || self.dependencies || self.workflows)
            && self.code_scanning == "off"
            && self.containers.is_empty()
    }
}

/// One deployment environment.
#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    /// Its name (`production`).
    pub name: String,
    /// Job id (`production`, `eu-west`).
    pub id: String,
    /// `branch`, `release` or `manual`.
    pub trigger: &'static str,
    /// The branch for `branch` triggers.
    pub branch: Option<String>,
    /// The job's `if:` expression body (without `${{ }}`).
    pub condition: String,
    /// `rolling`, `blue-green` or `canary`.
    pub strategy: &'static str,
    /// Whether approval is required (configured on the GitHub environment).
    pub approval: bool,
    /// The deployment window, normalised (`Mon-Thu 09:00-16:00 UTC`).
    pub window: Option<String>,
    /// The environment URL, when configured.
    pub url: Option<String>,
    /// Health settings: path, interval, timeout, deadline, drain.
    pub health: Health,
    /// Secret names the deploy checks for.
    pub secrets: Vec<String>,
    /// The environment this one promotes from.
    pub after: Option<String>,
    /// The GitHub expression of the version deployed (`github.sha` or `github.ref_name`).
    pub version_expr: &'static str,
}

/// Health-check settings as the deploy action takes them.
#[derive(Debug, Clone, Serialize)]
pub struct Health {
    /// HTTP path.
    pub path: String,
    /// Between probes.
    pub interval: String,
    /// One probe.
    pub timeout: String,
    /// Until healthy.
    pub deadline: String,
    /// Draining the old version.
    pub drain: String,
}

/// Release settings.
#[derive(Debug, Clone, Serialize)]
pub struct Release {
    /// What starts the release workflow: `manual` or `push`.
    pub trigger: &'static str,
    /// Tag prefix (`v`).
    pub tag_prefix: String,
    /// Each unit released on its own (`release.units: per-unit`): the plan lists several tags
    /// and the publish job releases each.
    pub per_unit: bool,
    /// Changelog file.
    pub changelog: String,
    /// Move the floating major tag.
    pub floating_major_tag: bool,
    /// Attach an install script for the binaries.
    pub installer: bool,
    /// Pin the published archives in `scripts/release-checksums.txt` by pull request.
    pub pin_binary: bool,
    /// The registries the `publish-registries` job publishes to, each with the toolchain it
    /// sets up (`rust`, `node`, `python`) and the directory of its first unit.
    pub publish: Vec<PublishTo>,
}

/// One registry of `release.publish`.
#[derive(Debug, Clone, Serialize)]
pub struct PublishTo {
    /// `crates`, `npm` or `pypi`.
    pub registry: &'static str,
    /// The `stacks` input of setup-environment.
    pub stack: &'static str,
    /// The directory of the first unit published there (`.` for the root).
    pub dir: String,
}

/// Notification settings.
#[derive(Debug, Clone, Serialize)]
pub struct Notify {
    /// Every secret `slipway notify` reads (webhooks, SMTP), each passed to the notify step
    /// under its own name.
    pub secrets: Vec<String>,
}

/// The context could not be built from this config and repository.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value would be evaluated as a GitHub expression.
    #[error("`{key}` contains `${{{{`, which GitHub would evaluate as an expression")]
    Expression {
        /// The config key or detected item.
        key: String,
    },
    /// An action the templates need has no pin.
    #[error(transparent)]
    Pin(#[from] pins::Error),
    /// The release's binary matrix cannot be built.
    #[error(transparent)]
    Binaries(#[from] super::binaries::Error),
    /// `release.publish` names a registry the repository has nothing to publish to.
    #[error(transparent)]
    Publish(Box<crate::release::registries::Error>),
    /// The own-actions commit is unknown (a build outside git without `SLIPWAY_BUILD_COMMIT`).
    #[error("this slipway binary does not know the commit it was built from")]
    UnknownCommit,
    /// `ci.units` names a unit that was not detected.
    #[error("`ci.units.{id}` names no unit of this repository")]
    UnknownUnit {
        /// The key.
        id: String,
        /// The unit ids that exist.
        valid: Vec<String>,
        /// Where the key is in the config file.
        spot: (usize, usize),
    },
    /// `matrix: auto` found no versions in the unit's manifest.
    #[error("`ci.units.{id}.matrix` is `auto`, but {what}")]
    NoAutoVersions {
        /// The unit.
        id: String,
        /// What was missing (`` `pyproject.toml` (requires-python) declares no range of versions ``).
        what: String,
        /// Where the matrix is in the config file.
        spot: (usize, usize),
    },
    /// Detected services would run on a runner that cannot start them.
    #[error(
        "`ci.units.{id}.matrix.os` has `{label}`, but the tests need service containers ({services}), which GitHub starts on Linux runners only"
    )]
    ServicesNeedLinux {
        /// The unit.
        id: String,
        /// The runner label.
        label: String,
        /// The services.
        services: String,
        /// Where the label is in the config file.
        spot: (usize, usize),
    },
    /// An environment is configured, but the deploy target could not deploy it.
    #[error("{problem}")]
    Undeployable {
        /// The config key to change.
        key: String,
        /// What would fail.
        problem: String,
        /// What to do.
        hint: String,
    },
}

impl Error {
    /// The place in `slipway.yml` the error is about, when it is about a key there.
    pub fn config_spot(&self) -> Option<(usize, usize)> {
        match self {
            Self::UnknownUnit { spot, .. }
            | Self::NoAutoVersions { spot, .. }
            | Self::ServicesNeedLinux { spot, .. } => Some(*spot),
            _ => None,
        }
    }
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Expression { .. } => Some("remove the `${{`; values in slipway.yml are plain text".into()),
            Self::Pin(_) => Some("add the action to `templates/action-pins.toml` with its full commit SHA".into()),
            Self::UnknownCommit => Some(
                "install slipway from a git checkout or a release, or set SLIPWAY_BUILD_COMMIT to the 40-hex commit when building".into(),
            ),
            Self::UnknownUnit { id, valid, .. } => {
                let ids: Vec<&str> = valid.iter().map(String::as_str).collect();
                let list = crate::config::list(&ids);
                Some(match crate::config::suggest(id, &ids) {
                    Some(s) => format!("did you mean `{s}`? the units of this repository are: {list}"),
                    None => format!("the units of this repository are: {list}"),
                })
            }
            Self::NoAutoVersions { .. } => Some(
                "list the versions instead, e.g. `matrix: [\"3.10\", \"3.13\"]`, or declare the range in the manifest".into(),
            ),
            Self::ServicesNeedLinux { .. } => Some(
                "keep this unit on Linux runners, or set `ci.services: []` if its tests do not need the services".into(),
            ),
            Self::Undeployable { hint, .. } => Some(hint.clone()),
            Self::Publish(e) => e.hint(),
            Self::Binaries(super::binaries::Error::Collision { .. }) => Some(
                "rename one executable (`[[bin]] name` in Cargo.toml, or the Go package's directory)".into(),
            ),
            Self::Binaries(super::binaries::Error::BadName { .. }) => Some(
                "name executables with letters, digits, `.`, `_` and `-` only".into(),
            ),
            Self::Binaries(super::binaries::Error::CgoCross { .. }) => Some(
                "list only targets with a native runner in `release.targets` (x86_64/aarch64 Linux gnu, macOS, x86_64 Windows), or drop cgo".into(),
            ),
        }
    }
}

/// What the context is built from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The loaded configuration.
    pub config: &'a Config,
    /// The detected stacks.
    pub stacks: &'a Stacks,
    /// The pin table.
    pub pins: &'a Pins,
    /// The commit slipway's own actions are referenced at.
    pub commit: &'a str,
    /// slipway's version.
    pub version: &'a str,
    /// The repository root (to read `package.json` scripts for a unit).
    pub root: &'a Path,
}

/// Builds the context.
pub fn build(inputs: Inputs<'_>) -> Result<Context, Error> {
    let Inputs {
        config,
        stacks,
        pins,
        commit,
        version,
        root,
    } = inputs;
    if !pins::is_full_sha(commit) {
        return Err(Error::UnknownCommit);
    }
    let own = |name: &str| format!("{}/actions/{name}@{commit}", config.actions.repo.as_str());
    let uses = Uses {
        checkout: pins.uses("actions/checkout")?,
        upload_artifact: pins.uses("actions/upload-artifact")?,
        download_artifact: pins.uses("actions/download-artifact")?,
        cache_restore: pins.uses("actions/cache/restore")?,
        cache_save: pins.uses("actions/cache/save")?,
        codeql_init: pins.uses("github/codeql-action/init")?,
        codeql_analyze: pins.uses("github/codeql-action/analyze")?,
        upload_sarif: pins.uses("github/codeql-action/upload-sarif")?,
        trivy: pins.uses("aquasecurity/trivy-action")?,
        sonarqube: pins.uses("SonarSource/sonarqube-scan-action")?,
        buildx: pins.uses("docker/setup-buildx-action")?,
        docker_login: pins.uses("docker/login-action")?,
        build_push: pins.uses("docker/build-push-action")?,
        attest: pins.uses("actions/attest-build-provenance")?,
        install_action: pins.uses("taiki-e/install-action")?,
        setup_environment: own("setup-environment"),
        run_tests: own("run-tests"),
        security_scan: own("security-scan"),
        deploy: own("deploy"),
    };

    let project = config.project.name.clone();
    let mut units = units(config, stacks, root, &project);
    apply_ci(&mut units, config, stacks, root)?;
    let ci = Ci {
        shards: config.ci.shards.get(),
        shard_list: (1..=config.ci.shards.get()).collect(),
        pass_rate: config.ci.pass_rate.get(),
        coverage_min: config.ci.coverage.min.get(),
        coverage_max_drop: config.ci.coverage.max_drop.get(),
        fail_on: config.ci.tests.fail_on.as_str(),
        sonar: config.ci.sonar.as_ref().map(|s| Sonar {
            project_key: s.project_key.clone(),
            organization: s.organization.clone(),
            host_url: s
                .host_url
                .clone()
                .unwrap_or_else(|| "https://sonarcloud.io".to_owned()),
            token_secret: s.token_secret.as_str().to_owned(),
        }),
    };
    let mut codeql: BTreeSet<String> = units.iter().filter_map(|u| u.codeql.clone()).collect();
    codeql.insert("actions".to_owned());
    let security = Security {
        secrets: config.security.secrets,
        dependencies: config.security.dependencies,
        workflows: config.security.workflows,
        fail_on: match config.security.fail_on {
            crate::config::Severity::None => "never",
            crate::config::Severity::Low => "low",
            crate::config::Severity::Medium => "medium",
            crate::config::Severity::High => "high",
            crate::config::Severity::Critical => "critical",
        }
        .to_owned(),
        codeql_languages: codeql.into_iter().collect(),
        containers: units
            .iter()
            .filter(|u| u.docker_file.is_some())
            .map(|u| u.id.clone())
            .collect(),
        baseline: config.security.baseline.clone(),
        code_scanning: config.security.code_scanning.value.as_str(),
    };
    let environments = environments(config)?;
    check_deploy(config, &units)?;
    let manual_environments = environments
        .iter()
        .filter(|e| e.trigger == "manual")
        .map(|e| e.name.clone())
        .collect();
    let apps = units
        .iter()
        .filter(|u| u.docker_file.is_some() || u.build_output.is_some())
        .map(|u| u.id.clone())
        .collect();
    let binaries = super::binaries::matrix(
        &units,
        &stacks.builds,
        &config.release.target_list(),
        &project,
        root,
    )?;
    let publish = publish_targets(config, stacks, root)?;
    let context = Context {
        binaries,
        version: version.to_owned(),
        project,
        default_branch: config.project.default_branch().to_owned(),
        uses,
        retention_days: config.artifacts.retention_days.get(),
        release_retention_days: config.artifacts.release_retention_days.get(),
        path_filters: units.len() > 1,
        units,
        ci,
        security,
        environments,
        apps,
        release: Release {
            trigger: config.release.trigger.value.as_str(),
            tag_prefix: config.release.tag_prefix().to_owned(),
            per_unit: config.release.units == crate::config::ReleaseUnits::PerUnit,
            changelog: config.release.changelog.clone(),
            floating_major_tag: config.release.floating_major_tag,
            installer: config.release.installer,
            pin_binary: config.release.pin_binary,
            publish,
        },
        notify: Notify {
            secrets: notify_secrets(&config.notify),
        },
        manual_environments,
    };
    refuse_expressions(&serde_json::to_value(&context).unwrap_or_default(), "")?;
    Ok(context)
}

/// Refuses `${{` in any string of the context (keys are named as JSON paths).
fn refuse_expressions(value: &serde_json::Value, path: &str) -> Result<(), Error> {
    match value {
        serde_json::Value::String(s) if s.contains("${{") => Err(Error::Expression {
            key: path.trim_start_matches('.').to_owned(),
        }),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| refuse_expressions(v, &format!("{path}[{i}]"))),
        serde_json::Value::Object(map) => map
            .iter()
            .try_for_each(|(k, v)| refuse_expressions(v, &format!("{path}.{k}"))),
        _ => Ok(()),
    }
}

/// Splits `cd dir && cmd` into (`dir`, `cmd`); a command without the prefix runs at the root.
fn split_command(command: &str) -> (String, String) {
    let Some(rest) = command.strip_prefix("cd ") else {
        return (".".to_owned(), command.trim().to_owned());
    };
    // A directory as `shell_quote` writes it: plain, or single-quoted with `'\''` for quotes.
    if let Some(quoted) = rest.strip_prefix('\'') {
        let mut dir = String::new();
        let mut tail = quoted;
        while let Some(end) = tail.find('\'') {
            dir.push_str(&tail[..end]);
            tail = &tail[end + 1..];
            if let Some(after) = tail.strip_prefix("\\''") {
                dir.push('\'');
                tail = after;
            } else if let Some(cmd) = tail.strip_prefix(" && ") {
                return (dir, cmd.trim().to_owned());
            } else {
                break;
            }
        }
    } else if let Some((dir, cmd)) = rest.split_once(" && ") {
        return (dir.trim().to_owned(), cmd.trim().to_owned());
    }
    (".".to_owned(), command.trim().to_owned())
}

/// True when `path` is `dir` or inside it (`.` contains everything).
fn is_under(path: &str, dir: &str) -> bool {
    dir == "."
        || path == dir
        || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

/// `a/b/c`, `a/b`, `a`: the path and the directories above it (the root excluded).
fn self_and_ancestors(path: &str) -> impl Iterator<Item = &str> {
    std::iter::successors(Some(path).filter(|p| *p != "."), |p| {
        p.rsplit_once('/').map(|(head, _)| head)
    })
}

/// One unit per test root, then one per top-level project no test root covers.
fn units(config: &Config, stacks: &Stacks, root: &Path, project: &str) -> Vec<Unit> {
    type Root = (String, Option<String>, Option<(Language, PackageManager)>);
    let mut roots: Vec<Root> = Vec::new();
    if config.ci.test_commands.is_empty() && !stacks.test_roots.is_empty() {
        for t in &stacks.test_roots {
            roots.push((t.dir.clone(), Some(t.command.clone()), t.stack));
        }
    } else {
        // The team's own commands (or plain strings without roots): each belongs to the stack
        // its first word names (`vendor/bin/phpunit` is PHP, `npx vitest` is Node), so a PHP
        // and a TypeScript command in one directory are two units, each set up for its own
        // toolchain; a command that names none (`make test`) is the directory's project's.
        // Commands of one stack in one directory run in one job.
        let commands = if config.ci.test_commands.is_empty() {
            &stacks.test_commands
        } else {
            &config.ci.test_commands
        };
        for command in commands {
            let (dir, cmd) = split_command(command);
            let stack = command_stack(&cmd).map(|family| family.resolve(stacks, &dir));
            match roots.iter_mut().find(|(d, _, s)| *d == dir && *s == stack) {
                Some((_, Some(existing), _)) => {
                    existing.push_str(" && ");
                    existing.push_str(&cmd);
                }
                Some((_, none, _)) => *none = Some(cmd),
                None => roots.push((dir, Some(cmd), stack)),
            }
        }
    }
    // Projects no test root covers still get lint and build. A root covers the projects below
    // it, and the project in its own directory when the stack is the same (a Laravel app with a
    // Vue front end at the root is two units). Sets and ancestor walks keep this linear in the
    // number of projects (monorepos have thousands).
    let root_dirs: BTreeSet<&str> = roots.iter().map(|(d, _, _)| d.as_str()).collect();
    let same_dir: BTreeSet<(&str, Option<Language>)> = roots
        .iter()
        .map(|(d, _, s)| (d.as_str(), s.map(|(l, _)| l)))
        .collect();
    let sub_paths: BTreeSet<&str> = stacks.subprojects.iter().map(|s| s.path.as_str()).collect();
    let mut extra = Vec::new();
    for sub in &stacks.subprojects {
        let below_a_root = (sub.path != "." && root_dirs.contains("."))
            || self_and_ancestors(&sub.path)
                .skip(1)
                .any(|a| root_dirs.contains(a));
        let at_a_root = same_dir.contains(&(sub.path.as_str(), Some(sub.stack)))
            || same_dir.contains(&(sub.path.as_str(), None));
        let nested = self_and_ancestors(&sub.path)
            .skip(1)
            .any(|a| sub_paths.contains(a));
        if !below_a_root && !at_a_root && !nested {
            extra.push((
                sub.path.clone(),
                None,
                Some((sub.stack, sub.package_manager)),
            ));
        }
    }
    let mut by_dir: Vec<Root> = roots;
    by_dir.extend(extra);
    by_dir.sort_by(|a, b| (a.0 != ".", &a.0, a.2).cmp(&(b.0 != ".", &b.0, b.2)));
    let single = by_dir.len() == 1;
    let mut per_dir: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (dir, _, _) in &by_dir {
        *per_dir.entry(dir.as_str()).or_insert(0) += 1;
    }
    let shared: BTreeSet<String> = per_dir
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(d, _)| d.to_owned())
        .collect();
    // Each unit's stack: its own, or that of the project that leads its directory.
    let resolved: Vec<(String, Option<String>, Stack)> = by_dir
        .into_iter()
        .filter_map(|(dir, test_command, stack)| {
            let lead = lead_subproject(stacks, &dir)?;
            let stack = stack.unwrap_or((lead.stack, lead.package_manager));
            Some((dir, test_command, stack))
        })
        .collect();
    let docker_files = assign_docker_files(stacks, &resolved);
    let mut seen_ids = BTreeSet::new();
    resolved
        .into_iter()
        .zip(docker_files)
        .map(
            |((dir, test_command, (language, package_manager)), docker_file)| {
                let sub = Subproject {
                    path: dir.clone(),
                    stack: language,
                    package_manager,
                };
                let sub = &sub;
                let facts = stacks
                    .builds
                    .get(&(dir.clone(), sub.stack))
                    .cloned()
                    .unwrap_or_default();
                let recipe = stacks::recipe(sub.stack, sub.package_manager, &facts);
                let scripts = node_scripts(root, &dir, sub.stack);
                let node_script = |command: &Option<String>, name: &str| match &scripts {
                    Some(scripts) if !scripts.contains(name) => None,
                    _ => command.clone(),
                };
                let build = node_script(&recipe.build, "build");
                let lint = node_script(&recipe.lint, "lint");
                let build_output = build
                    .as_ref()
                    .and(recipe.build_output.as_deref())
                    .map(|out| output_paths(&dir, out));
                let build = build.map(|b| wrapper_aware(&b, test_command.as_deref()));
                let base = if dir == "." { project } else { &dir };
                let shares_dir = shared.contains(&dir);
                let mut id = if single {
                    String::new()
                } else if shares_dir {
                    slug(&format!("{base}-{}", sub.stack.as_str()))
                } else {
                    slug(base)
                };
                while !single && !seen_ids.insert(id.clone()) {
                    id.push_str("-2");
                }
                Unit {
                    label: if shares_dir {
                        format!("{base} ({})", sub.stack.as_str())
                    } else {
                        base.to_owned()
                    },
                    paths: if dir == "." {
                        Vec::new()
                    } else {
                        vec![format!("{dir}/")]
                    },
                    id,
                    language: sub.stack,
                    package_manager: sub.package_manager,
                    setup: recipe.setup.to_owned(),
                    setup_label: recipe.setup_label,
                    format_check: recipe.format_check,
                    lint,
                    deep_lint: recipe.deep_lint,
                    build,
                    build_output,
                    test_command,
                    docker_file,
                    codeql: recipe.codeql.map(str::to_owned),
                    ci: UnitCi::default(),
                    dir,
                }
            },
        )
        .collect()
}

/// The Dockerfile each unit builds, so that one Dockerfile is built (and scanned) once: each
/// application Dockerfile (not a packaging one) goes to the deepest unit whose directory holds
/// it and, among units sharing that directory, to the one whose toolchain its base image names
/// (a `FROM php` image is the PHP unit's, not the front end's beside it), else the first. A
/// unit builds the shallowest of its Dockerfiles.
fn assign_docker_files(
    stacks: &Stacks,
    units: &[(String, Option<String>, Stack)],
) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = vec![None; units.len()];
    for file in &stacks.docker_files {
        if stacks.packaging_docker_files.contains(file) {
            continue;
        }
        let Some(depth) = units
            .iter()
            .filter(|(dir, _, _)| is_under(file, dir))
            .map(|(dir, _, _)| crate::detect::depth(dir))
            .max()
        else {
            continue;
        };
        let candidates: Vec<usize> = (0..units.len())
            .filter(|&i| is_under(file, &units[i].0) && crate::detect::depth(&units[i].0) == depth)
            .collect();
        let tools = stacks.docker_tools.get(file);
        let image_of = |i: &usize| {
            let (language, pm) = units[*i].2;
            let setup = stacks::recipe(language, pm, &crate::detect::BuildFacts::default()).setup;
            tools.is_some_and(|t| t.contains(setup) || (setup == "node" && t.contains("bun")))
        };
        let Some(&chosen) = candidates
            .iter()
            .find(|i| image_of(i))
            .or(candidates.first())
        else {
            continue;
        };
        let better = out[chosen].as_ref().is_none_or(|current| {
            (file.matches('/').count(), file) < (current.matches('/').count(), current)
        });
        if better {
            out[chosen] = Some(file.clone());
        }
    }
    out
}

/// A family of stacks a test command can belong to, named by its first word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Family {
    /// The languages of the family, the one to assume first.
    languages: &'static [Language],
    /// The package manager when no project of the family is in the directory.
    package_manager: PackageManager,
}

impl Family {
    /// The stack of the family's project at `dir` (or the shallowest below it), else the
    /// family's own default.
    fn resolve(self, stacks: &Stacks, dir: &str) -> Stack {
        let of_family = |s: &&Subproject| self.languages.contains(&s.stack);
        stacks
            .subprojects
            .iter()
            .filter(of_family)
            .find(|s| s.path == dir)
            .or_else(|| {
                stacks
                    .subprojects
                    .iter()
                    .filter(of_family)
                    .filter(|s| is_under(&s.path, dir))
                    .min_by_key(|s| (s.path.matches('/').count(), s.path.clone()))
            })
            .map_or((self.languages[0], self.package_manager), |s| {
                (s.stack, s.package_manager)
            })
    }
}

/// The stack family whose toolchain a test command needs, from its first word (after
/// `VAR=value` assignments); `None` for commands that name no toolchain (`make test`).
fn command_stack(command: &str) -> Option<Family> {
    use Language as L;
    use PackageManager as P;
    const NODE: &[Language] = &[L::Typescript, L::Javascript];
    let family = |languages: &'static [Language], package_manager| Family {
        languages,
        package_manager,
    };
    let mut words = command
        .split_whitespace()
        .skip_while(|w| w.contains('=') && !w.starts_with('-'));
    let first = words.next()?;
    let tool = first.trim_start_matches("./");
    Some(match tool {
        _ if tool.starts_with("vendor/bin/") => family(&[L::Php], P::Composer),
        "php" | "composer" | "phpunit" | "pest" => family(&[L::Php], P::Composer),
        _ if tool.starts_with("node_modules/.bin/") => family(NODE, P::Npm),
        "npm" | "npx" | "node" | "vitest" | "jest" | "mocha" | "playwright" | "turbo" | "nx" => {
            family(NODE, P::Npm)
        }
        "pnpm" => family(NODE, P::Pnpm),
        "yarn" => family(NODE, P::Yarn),
        "bun" | "bunx" => family(NODE, P::Bun),
        "deno" => family(&[L::Typescript], P::Deno),
        "pytest" | "python" | "python3" | "tox" | "nox" | "coverage" | "hatch" => {
            family(&[L::Python], P::Pip)
        }
        "uv" => family(&[L::Python], P::Uv),
        "poetry" => family(&[L::Python], P::Poetry),
        "pdm" => family(&[L::Python], P::Pdm),
        "pipenv" => family(&[L::Python], P::Pipenv),
        "cargo" => family(&[L::Rust], P::Cargo),
        "go" => family(&[L::Go], P::GoModules),
        "bundle" | "rails" | "rake" | "rspec" | "ruby" | "bin/rails" | "bin/rspec" => {
            family(&[L::Ruby], P::Bundler)
        }
        "mvn" | "mvnw" => family(&[L::Java, L::Kotlin], P::Maven),
        "gradle" | "gradlew" => family(&[L::Java, L::Kotlin], P::Gradle),
        "dotnet" => family(&[L::Csharp, L::Fsharp], P::Nuget),
        "bin/phpunit" => family(&[L::Php], P::Composer),
        _ => return None,
    })
}

/// The project that decides a unit's stack: the one at `dir`, else the shallowest below it.
fn lead_subproject<'a>(stacks: &'a Stacks, dir: &str) -> Option<&'a Subproject> {
    stacks
        .subprojects
        .iter()
        .find(|s| s.path == dir)
        .or_else(|| {
            stacks
                .subprojects
                .iter()
                .filter(|s| is_under(&s.path, dir))
                .min_by_key(|s| (s.path.matches('/').count(), s.path.clone()))
        })
}

/// `package.json` script names of a JavaScript unit; `None` for other stacks or when unreadable
/// (then the `--if-present` forms decide at run time).
fn node_scripts(root: &Path, dir: &str, language: Language) -> Option<BTreeSet<String>> {
    if !matches!(language, Language::Javascript | Language::Typescript) {
        return None;
    }
    // Same rules as detection: capped, BOM stripped, never through a link out of the root.
    let text = crate::detect::read_capped(root, &crate::detect::join(dir, "package.json")).ok()?;
    let value: serde_json::Value = serde_json::from_str(&text).ok()?;
    let scripts = value.get("scripts")?.as_object()?;
    Some(scripts.keys().cloned().collect())
}

/// The secret names `slipway notify` reads, in a stable order without repeats. The SMTP ones
/// only when email is configured: without addresses nothing reads them.
fn notify_secrets(notify: &crate::config::Notify) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let email = !notify.email.is_empty();
    for name in [
        notify.slack_webhook_secret.as_ref(),
        notify.webhook_secret.as_ref(),
        notify.smtp_host_secret.as_ref().filter(|_| email),
        notify.smtp_port_secret.as_ref().filter(|_| email),
        notify.smtp_user_secret.as_ref().filter(|_| email),
        notify.smtp_password_secret.as_ref().filter(|_| email),
    ]
    .into_iter()
    .flatten()
    {
        if !names.iter().any(|n| n == name.as_str()) {
            names.push(name.as_str().to_owned());
        }
    }
    names
}

/// Maven and Gradle builds use the wrapper only when the tests do.
fn wrapper_aware(build: &str, test_command: Option<&str>) -> String {
    let uses = |w: &str| test_command.is_some_and(|t| t.starts_with(w));
    if let Some(rest) = build.strip_prefix("./mvnw ").filter(|_| !uses("./mvnw")) {
        return format!("mvn {rest}");
    }
    if let Some(rest) = build
        .strip_prefix("./gradlew ")
        .filter(|_| !uses("./gradlew"))
    {
        return format!("gradle {rest}");
    }
    build.to_owned()
}

/// Build output lines (`actions/upload-artifact` paths, `!` for exclusions) relative to the
/// project, made relative to the root.
fn output_paths(dir: &str, spec: &str) -> String {
    spec.lines()
        .map(|line| match line.strip_prefix('!') {
            Some(rest) => format!("!{}", join(dir, rest)),
            None => join(dir, line),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn join(dir: &str, rel: &str) -> String {
    if dir == "." {
        rel.to_owned()
    } else {
        format!("{dir}/{rel}")
    }
}

/// The registries of `release.publish`, each checked against the repository's manifests.
fn publish_targets(config: &Config, stacks: &Stacks, root: &Path) -> Result<Vec<PublishTo>, Error> {
    use crate::config::Registry;
    use crate::release::registries;
    let list: Vec<Registry> = config.release.publish.iter().map(|r| r.value).collect();
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let found = registries::discover_in(root, stacks, &list, registries::Released::Unknown)
        .map_err(|e| Error::Publish(Box::new(e)))?;
    Ok(list
        .iter()
        .map(|r| PublishTo {
            registry: r.as_str(),
            stack: match r {
                Registry::Crates => "rust",
                Registry::Npm => "node",
                Registry::Pypi => "python",
            },
            dir: found
                .units
                .iter()
                .find(|u| u.registry == *r)
                .map_or_else(|| ".".to_owned(), |u| u.dir.clone()),
        })
        .collect())
}

/// A job-id-safe slug: lower-case ASCII letters, digits and `-`.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_owned();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        format!("u-{out}")
    } else {
        out
    }
}

/// Escapes a value for a single-quoted string in a GitHub expression.
fn expr_str(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The id `ci.units` names a unit by: its job suffix, or `app` for the only unit.
pub fn unit_key(unit: &Unit) -> &str {
    if unit.id.is_empty() { "app" } else { &unit.id }
}

/// Applies `ci.services`, `ci.env`, `ci.secrets` and `ci.units.<id>` to the units. Configured
/// services go to every unit's tests; detected ones to the units that contain the file they
/// were found in, or that it contains (a root Compose file serves every unit).
fn apply_ci(
    units: &mut [Unit],
    config: &Config,
    stacks: &Stacks,
    root: &Path,
) -> Result<(), Error> {
    use super::services::{self as svc, Var};
    let ci = &config.ci;
    let valid: Vec<String> = units.iter().map(|u| unit_key(u).to_owned()).collect();
    for id in ci.units.keys() {
        if !valid.contains(id) {
            return Err(Error::UnknownUnit {
                id: id.clone(),
                valid,
                spot: ci.key_spots.get(&format!("units.{id}")),
            });
        }
    }
    let services: Vec<(svc::Resolved, String, Option<String>)> = match &ci.services {
        Some(list) => list
            .iter()
            .map(|s| {
                (
                    svc::resolve(s.kind.value, &s.settings),
                    crate::config::FILE_NAME.to_owned(),
                    None,
                )
            })
            .collect(),
        None => stacks
            .services
            .iter()
            .map(|d| {
                let dir = crate::detect::dir_of(&d.from).to_owned();
                (svc::resolve(d.kind, &d.settings), d.from.clone(), Some(dir))
            })
            .collect(),
    };
    let plain: Vec<Var> = ci
        .env
        .iter()
        .map(|(k, v)| Var {
            name: k.as_str().to_owned(),
            value: v.as_str().to_owned(),
        })
        .collect();
    let secrets: Vec<String> = ci.secrets.iter().map(|s| s.as_str().to_owned()).collect();
    let list = |cmds: &[crate::config::Command]| -> Vec<String> {
        cmds.iter()
            .filter_map(|c| c.get().map(str::to_owned))
            .collect()
    };
    for unit in units.iter_mut() {
        let mut extra = UnitCi {
            secrets: secrets.clone(),
            build_env: plain.clone(),
            ..UnitCi::default()
        };
        for (resolved, from, scope) in &services {
            let serves = scope
                .as_deref()
                .is_none_or(|d| is_under(d, &unit.dir) || is_under(&unit.dir, d));
            if serves {
                extra.services.push(svc::container(resolved, from));
                svc::merge(
                    &mut extra.test_env,
                    svc::test_env(resolved, unit.language),
                    false,
                );
            }
        }
        svc::merge(&mut extra.test_env, plain.clone(), true);
        let key = unit_key(unit).to_owned();
        let settings = ci.units.get(&key);
        let toolchain_default = stacks.toolchains.get(unit.setup.as_str()).cloned();
        let mut no_versions = false;
        if let Some(us) = settings {
            let cmd =
                |c: &Option<crate::config::Command>| c.as_ref().map(|c| c.get().map(str::to_owned));
            if let Some(install) = cmd(&us.install) {
                extra.install_override = true;
                extra.install = install;
            }
            if let Some(lint) = cmd(&us.lint) {
                unit.lint = lint;
            }
            if let Some(format) = cmd(&us.format) {
                unit.format_check = format;
            }
            if let Some(build) = cmd(&us.build) {
                if build.is_none() {
                    unit.build_output = None;
                }
                unit.build = build;
            }
            if let Some(test) = cmd(&us.test) {
                unit.test_command = test;
            }
            extra.before_install = list(&us.before_install);
            extra.before_build = list(&us.before_build);
            extra.before_test = list(&us.before_test);
            extra.toolchain = us.toolchain.as_ref().map(|t| t.as_str().to_owned());
            if let Some(m) = &us.matrix {
                extra.os = m.os.iter().map(|o| o.value.as_str().to_owned()).collect();
                if let (Some(non_linux), false) = (
                    m.os.iter().find(|o| !o.value.is_linux()),
                    extra.services.is_empty(),
                ) {
                    return Err(Error::ServicesNeedLinux {
                        id: key,
                        label: non_linux.value.as_str().to_owned(),
                        services: extra
                            .services
                            .iter()
                            .map(|s| s.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", "),
                        spot: (non_linux.line, non_linux.column),
                    });
                }
                match &m.versions {
                    Some(crate::config::Versions::Auto) => {
                        extra.versions =
                            super::matrix::auto_versions(root, &unit.dir, unit.language);
                        if extra.versions.is_empty() {
                            let read = match unit.language {
                                Language::Rust => Some(("Cargo.toml", "rust-version")),
                                Language::Python => Some(("pyproject.toml", "requires-python")),
                                Language::Javascript | Language::Typescript => {
                                    Some(("package.json", "engines.node"))
                                }
                                Language::Go => Some(("go.mod", "go")),
                                _ => None,
                            };
                            return Err(Error::NoAutoVersions {
                                id: key,
                                what: match read {
                                    Some((file, field)) => format!(
                                        "`{}` ({field}) declares no range of versions",
                                        join(&unit.dir, file)
                                    ),
                                    None => format!(
                                        "slipway reads no range of versions for {}",
                                        unit.language.as_str()
                                    ),
                                },
                                spot: (m.line, m.column),
                            });
                        }
                    }
                    Some(crate::config::Versions::List(list)) => {
                        extra.versions = list.iter().map(|v| v.value.as_str().to_owned()).collect();
                    }
                    Some(crate::config::Versions::None) => no_versions = true,
                    None => {}
                }
            }
        }
        if unit.language == Language::Rust && extra.versions.is_empty() && !no_versions {
            let toolchain = extra.toolchain.clone().or(toolchain_default);
            extra.msrv = super::matrix::msrv(root, &unit.dir, toolchain.as_deref());
        }
        unit.ci = extra;
    }
    Ok(())
}

/// Refuses environments the configured deploy target cannot deploy: each would fail on the
/// first push that reaches it. `units` are the CI units; the deployed ones are those with a
/// Dockerfile or a build output, as in [`build`].
fn check_deploy(config: &Config, units: &[Unit]) -> Result<(), Error> {
    let Some((first, _)) = config.environments.iter().next() else {
        return Ok(());
    };
    let deploy = &config.deploy;
    let undeployable = |key: &str, problem: String, hint: &str| Error::Undeployable {
        key: key.to_owned(),
        problem,
        hint: hint.to_owned(),
    };
    let apps: Vec<&Unit> = units
        .iter()
        .filter(|u| u.docker_file.is_some() || u.build_output.is_some())
        .collect();
    match deploy.target {
        Target::Hosts => match deploy.hosts.runtime {
            HostsRuntime::Process => {
                if deploy.hosts.start.is_none() {
                    return Err(undeployable(
                        "deploy.hosts.start",
                        format!(
                            "`environments.{first}` cannot deploy: the `hosts` target starts the app with `deploy.hosts.start`, which is not set"
                        ),
                        "set how one instance starts, e.g. `deploy: { hosts: { start: \"./app --port {port}\" } }`, or choose another `deploy.target` (`kubernetes`, `command`); `environments: {}` turns deployments off",
                    ));
                }
                if let Some(u) = apps.iter().find(|u| u.docker_file.is_some()) {
                    let label = if u.id.is_empty() { &u.label } else { &u.id };
                    return Err(undeployable(
                        "deploy.hosts.runtime",
                        format!(
                            "`deploy.hosts.runtime` is `process`, but `{label}` is deployed as an image (it has a Dockerfile)"
                        ),
                        "set `deploy.hosts.runtime: podman` (or `docker`) to run the image, or choose another `deploy.target`",
                    ));
                }
            }
            HostsRuntime::Podman | HostsRuntime::Docker => {
                if let Some(u) = apps.iter().find(|u| u.docker_file.is_none()) {
                    let label = if u.id.is_empty() { &u.label } else { &u.id };
                    return Err(undeployable(
                        "deploy.hosts.runtime",
                        format!(
                            "`deploy.hosts.runtime` runs containers, but `{label}` has no Dockerfile to build its image from"
                        ),
                        "add a Dockerfile for it, or set `deploy.hosts.runtime: process` with `deploy.hosts.start`",
                    ));
                }
                if apps.is_empty() && deploy.hosts.image.is_none() {
                    return Err(undeployable(
                        "deploy.hosts.image",
                        format!(
                            "`environments.{first}` cannot deploy: the `hosts` target runs containers, but no Dockerfile was found and `deploy.hosts.image` is not set"
                        ),
                        "set the image to run, e.g. `deploy: { hosts: { image: ghcr.io/acme/shop } }`",
                    ));
                }
            }
        },
        Target::Command => {
            if deploy.command.is_none() {
                return Err(undeployable(
                    "deploy.command",
                    "`deploy.target` is `command`, but `deploy.command` is not set".to_owned(),
                    "add `deploy: { command: { deploy: ./deploy.sh } }`; the command sees $SLIPWAY_VERSION and $SLIPWAY_ENVIRONMENT",
                ));
            }
        }
        Target::Kubernetes => {
            if let Some((name, _)) = config
                .environments
                .iter()
                .find(|(_, e)| e.strategy == Strategy::Canary)
            {
                return Err(undeployable(
                    &format!("environments.{name}.strategy"),
                    format!(
                        "`environments.{name}.strategy` is `canary`, which the `kubernetes` target does not support"
                    ),
                    "use `rolling` or `blue-green`",
                ));
            }
        }
    }
    Ok(())
}

fn environments(config: &Config) -> Result<Vec<Environment>, Error> {
    let base = &config.deploy.health;
    let prefix = config.release.tag_prefix();
    let mut out = Vec::new();
    for (name, env) in config.environments.iter() {
        let name = name.as_str().to_owned();
        let release_condition = format!(
            "(github.event_name == 'release' && !github.event.release.prerelease) || (github.event_name == 'workflow_dispatch' && inputs.environment == 'release' && startsWith(github.ref, {}))",
            expr_str(&format!("refs/tags/{prefix}"))
        );
        let (trigger, condition, version_expr) =
            match (&env.branch, env.on.as_ref().map(|l| l.value)) {
                (Some(branch), _) => (
                    "branch",
                    format!(
                        "github.event_name == 'push' && github.ref == {}",
                        expr_str(&format!("refs/heads/{branch}"))
                    ),
                    "github.sha",
                ),
                (None, Some(Trigger::Release)) => ("release", release_condition, "github.ref_name"),
                (None, Some(Trigger::Manual) | None) => (
                    "manual",
                    format!(
                        "github.event_name == 'workflow_dispatch' && inputs.environment == {}",
                        expr_str(&name)
                    ),
                    "github.sha",
                ),
            };
        let o = env.health.as_ref();
        let pick = |v: Option<crate::config::Duration>, d: crate::config::Duration| {
            v.unwrap_or(d).to_string()
        };
        out.push(Environment {
            id: slug(&name),
            trigger,
            branch: env.branch.clone(),
            condition,
            strategy: match env.strategy {
                Strategy::Rolling => "rolling",
                Strategy::BlueGreen => "blue-green",
                Strategy::Canary => "canary",
            },
            approval: env.approval,
            window: env.window.as_ref().map(ToString::to_string),
            url: env.url.clone(),
            health: Health {
                path: o
                    .and_then(|h| h.path.clone())
                    .unwrap_or_else(|| base.path.clone()),
                interval: pick(o.and_then(|h| h.interval), base.interval),
                timeout: pick(o.and_then(|h| h.timeout), base.timeout),
                deadline: pick(o.and_then(|h| h.deadline), base.deadline),
                drain: pick(o.and_then(|h| h.drain), base.drain),
            },
            secrets: env.secrets.iter().map(|s| s.as_str().to_owned()).collect(),
            after: env.after.as_ref().map(|a| a.value.as_str().to_owned()),
            version_expr,
            name,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_passes_every_secret_it_reads_once_and_smtp_only_with_addresses() {
        let name = |n: &str| Some(crate::config::SecretName::try_from(n.to_owned()).unwrap());
        let mut notify = crate::config::Notify {
            slack_webhook_secret: name("HOOKS"),
            webhook_secret: name("HOOKS"),
            smtp_host_secret: name("SMTP_HOST"),
            smtp_password_secret: name("SMTP_PASSWORD"),
            ..Default::default()
        };
        assert_eq!(notify_secrets(&notify), ["HOOKS"]);
        notify.email = vec!["ops@example.com".into()];
        assert_eq!(
            notify_secrets(&notify),
            ["HOOKS", "SMTP_HOST", "SMTP_PASSWORD"]
        );
    }

    fn stacks(json: serde_json::Value) -> Stacks {
        let subprojects = json["subprojects"]
            .as_array()
            .expect("subprojects")
            .iter()
            .map(|s| Subproject {
                path: s["path"].as_str().expect("path").to_owned(),
                stack: serde_json::from_value(s["stack"].clone()).expect("stack"),
                package_manager: serde_json::from_value(s["package_manager"].clone()).expect("pm"),
            })
            .collect();
        Stacks {
            subprojects,
            test_commands: serde_json::from_value(json["test_commands"].clone()).expect("commands"),
            docker_files: serde_json::from_value(json["docker_files"].clone()).unwrap_or_default(),
            ..Stacks::default()
        }
    }

    fn build_for(config: &Config, stacks: &Stacks) -> Result<Context, Error> {
        build(Inputs {
            config,
            stacks,
            pins: &Pins::embedded(),
            commit: "0123456789abcdef0123456789abcdef01234567",
            version: "0.1.0",
            root: Path::new("/nonexistent"),
        })
    }

    #[test]
    fn a_monorepo_gets_one_unit_per_test_root_and_path_filters() {
        let s = stacks(serde_json::json!({
            "subprojects": [
                {"path": "backend", "stack": "python", "package_manager": "uv"},
                {"path": "frontend", "stack": "typescript", "package_manager": "pnpm"}
            ],
            "test_commands": ["cd backend && uv run pytest", "cd frontend && pnpm run test"],
            "docker_files": ["backend/Dockerfile"]
        }));
        let mut config = Config::default();
        config.project.name = "shop".into();
        let c = build_for(&config, &s).expect("context");
        assert!(c.path_filters);
        let ids: Vec<&str> = c.units.iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, vec!["backend", "frontend"]);
        assert_eq!(c.units[0].test_command.as_deref(), Some("uv run pytest"));
        assert_eq!(c.units[0].paths, vec!["backend/"]);
        assert_eq!(
            c.units[0].docker_file.as_deref(),
            Some("backend/Dockerfile")
        );
        assert_eq!(
            c.security.codeql_languages,
            vec!["actions", "javascript-typescript", "python"]
        );
        assert_eq!(
            c.uses.run_tests,
            "slipway-ci/slipway/actions/run-tests@0123456789abcdef0123456789abcdef01234567"
        );
    }

    #[test]
    fn a_workspace_is_one_unit_and_members_are_not_repeated() {
        let s = stacks(serde_json::json!({
            "subprojects": [
                {"path": "crates/core", "stack": "rust", "package_manager": "cargo"},
                {"path": "crates/cli", "stack": "rust", "package_manager": "cargo"}
            ],
            "test_commands": ["cargo test --workspace"]
        }));
        let c = build_for(&Config::default(), &s).expect("context");
        assert_eq!(c.units.len(), 1);
        assert_eq!(c.units[0].id, "");
        assert_eq!(c.units[0].dir, ".");
        assert!(!c.path_filters);
    }

    fn parsed(yaml: &str) -> Config {
        crate::config::parse(yaml.as_bytes(), "slipway.yml").expect("config")
    }

    const TWO_ENVIRONMENTS: &str = "environments:\n  staging: { branch: main }\n  production: { on: release, strategy: blue-green, after: staging }\n";

    #[test]
    fn there_are_no_environments_by_default() {
        let c = build_for(&Config::default(), &Stacks::default()).expect("context");
        assert!(c.environments.is_empty());
        assert_eq!(c.release.trigger, "manual");
        assert_eq!(c.release.tag_prefix, "v");
        assert_eq!(c.default_branch, "main");
    }

    #[test]
    fn an_environment_the_target_cannot_deploy_is_refused_with_the_key() {
        let cases = [
            ("", "deploy.hosts.start"),
            ("deploy: { target: command }\n", "deploy.command"),
            (
                "deploy: { hosts: { runtime: podman } }\n",
                "deploy.hosts.image",
            ),
            (
                "deploy: { target: kubernetes }\nenvironments:\n  edge: { on: manual, strategy: canary }\n",
                "environments.edge.strategy",
            ),
        ];
        for (extra, key) in cases {
            let yaml = if extra.contains("environments:") {
                extra.to_owned()
            } else {
                format!("{TWO_ENVIRONMENTS}{extra}")
            };
            let err = build_for(&parsed(&yaml), &Stacks::default()).expect_err(key);
            assert!(
                matches!(&err, Error::Undeployable { key: k, .. } if k == key),
                "{yaml}: {err:?}"
            );
            assert!(
                err.to_string().contains(&format!("`{key}")) || err.to_string().contains(key),
                "{err}"
            );
            assert!(err.hint().is_some());
        }
        let fine = format!(
            "{TWO_ENVIRONMENTS}deploy: {{ hosts: {{ start: \"./app --port {{port}}\" }} }}\n"
        );
        build_for(&parsed(&fine), &Stacks::default()).expect("a start command deploys");
    }

    #[test]
    fn an_image_on_a_process_target_is_refused() {
        let s = stacks(serde_json::json!({
            "subprojects": [{"path": ".", "stack": "ruby", "package_manager": "bundler"}],
            "test_commands": ["bundle exec rspec"],
            "docker_files": ["Dockerfile"]
        }));
        let yaml = format!(
            "{TWO_ENVIRONMENTS}deploy: {{ hosts: {{ start: \"./app --port {{port}}\" }} }}\n"
        );
        let err = build_for(&parsed(&yaml), &s).expect_err("image on processes");
        assert!(
            matches!(&err, Error::Undeployable { key, .. } if key == "deploy.hosts.runtime"),
            "{err:?}"
        );
        let podman = format!("{TWO_ENVIRONMENTS}deploy: {{ hosts: {{ runtime: podman }} }}\n");
        build_for(&parsed(&podman), &s).expect("the image runs in podman");
    }

    #[test]
    fn the_release_trigger_reaches_the_context() {
        let c = build_for(
            &parsed("release: { trigger: push, tag-prefix: \"\" }\n"),
            &Stacks::default(),
        )
        .expect("context");
        assert_eq!(c.release.trigger, "push");
        assert_eq!(c.release.tag_prefix, "");
    }

    #[test]
    fn environments_get_conditions_from_their_triggers() {
        let config = parsed(&format!(
            "{TWO_ENVIRONMENTS}deploy: {{ hosts: {{ start: \"./app --port {{port}}\" }} }}\n"
        ));
        let c = build_for(&config, &Stacks::default()).expect("context");
        let names: Vec<&str> = c.environments.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, vec!["staging", "production"]);
        assert_eq!(
            c.environments[0].condition,
            "github.event_name == 'push' && github.ref == 'refs/heads/main'"
        );
        assert_eq!(c.environments[1].trigger, "release");
        assert!(
            c.environments[1]
                .condition
                .contains("startsWith(github.ref, 'refs/tags/v')")
        );
    }

    #[test]
    fn a_github_expression_in_config_is_refused() {
        let mut config = Config::default();
        config.ci.test_commands = vec!["echo ${{ secrets.TOKEN }}".into()];
        let s = stacks(
            serde_json::json!({"subprojects": [{"path": ".", "stack": "rust", "package_manager": "cargo"}], "test_commands": []}),
        );
        let err = build_for(&config, &s).expect_err("expression");
        assert_eq!(
            err.to_string(),
            "`units[0].test_command` contains `${{`, which GitHub would evaluate as an expression"
        );
    }

    #[test]
    fn quoted_directories_split_back_into_directory_and_command() {
        for dir in ["my app", "it's", "a && b", "plain/dir"] {
            let command = format!("cd {} && npm test", crate::detect::shell_quote(dir));
            assert_eq!(
                split_command(&command),
                (dir.to_owned(), "npm test".to_owned()),
                "{command}"
            );
        }
        assert_eq!(
            split_command("cargo test"),
            (".".to_owned(), "cargo test".to_owned())
        );
    }

    #[test]
    fn two_stacks_tested_in_one_directory_are_two_units() {
        let mut s = stacks(serde_json::json!({
            "subprojects": [
                {"path": ".", "stack": "javascript", "package_manager": "npm"},
                {"path": ".", "stack": "php", "package_manager": "composer"}
            ],
            "test_commands": ["npm test", "vendor/bin/phpunit"]
        }));
        s.test_roots = vec![
            crate::detect::TestRoot {
                dir: ".".into(),
                command: "npm test".into(),
                stack: Some((Language::Javascript, PackageManager::Npm)),
            },
            crate::detect::TestRoot {
                dir: ".".into(),
                command: "vendor/bin/phpunit".into(),
                stack: Some((Language::Php, PackageManager::Composer)),
            },
        ];
        let mut config = Config::default();
        config.project.name = "helpdesk".into();
        let c = build_for(&config, &s).expect("context");
        let units: Vec<(&str, &str, &str)> = c
            .units
            .iter()
            .map(|u| (u.id.as_str(), u.setup.as_str(), u.label.as_str()))
            .collect();
        assert_eq!(
            units,
            vec![
                ("helpdesk-javascript", "node", "helpdesk (javascript)"),
                ("helpdesk-php", "php", "helpdesk (php)")
            ]
        );
    }

    #[test]
    fn configured_commands_in_one_directory_are_split_by_the_stack_they_run() {
        let s = stacks(serde_json::json!({
            "subprojects": [
                {"path": ".", "stack": "php", "package_manager": "composer"},
                {"path": ".", "stack": "typescript", "package_manager": "pnpm"},
                {"path": "api", "stack": "typescript", "package_manager": "npm"}
            ],
            "test_commands": []
        }));
        let mut config = Config::default();
        config.project.name = "shop".into();
        config.ci.test_commands = vec![
            "php artisan test".into(),
            "pnpm run test:unit".into(),
            "vendor/bin/phpstan analyse".into(),
            "cd api && uv run pytest".into(),
            "make check".into(),
        ];
        let c = build_for(&config, &s).expect("context");
        let units: Vec<(&str, &str, Option<&str>)> = c
            .units
            .iter()
            .map(|u| (u.dir.as_str(), u.setup.as_str(), u.test_command.as_deref()))
            .collect();
        assert_eq!(
            units,
            vec![
                (".", "php", Some("make check")),
                (".", "node", Some("pnpm run test:unit")),
                (
                    ".",
                    "php",
                    Some("php artisan test && vendor/bin/phpstan analyse")
                ),
                // A Python command is set up for Python even where only Node was detected.
                ("api", "python", Some("uv run pytest")),
            ]
        );
        assert_eq!(c.units[1].package_manager, PackageManager::Pnpm);
        assert_eq!(c.units[3].package_manager, PackageManager::Uv);
    }

    #[test]
    fn a_dockerfile_is_built_by_one_unit_and_a_packaging_one_by_none() {
        let mut s = stacks(serde_json::json!({
            "subprojects": [
                {"path": ".", "stack": "javascript", "package_manager": "npm"},
                {"path": ".", "stack": "php", "package_manager": "composer"},
                {"path": "worker", "stack": "go", "package_manager": "go-modules"}
            ],
            "test_commands": ["npm test", "vendor/bin/phpunit", "cd worker && go test ./..."],
            "docker_files": ["Dockerfile", "Dockerfile.deb", "worker/Dockerfile"]
        }));
        s.docker_tools
            .insert("Dockerfile".into(), BTreeSet::from(["php".to_owned()]));
        s.packaging_docker_files.insert("Dockerfile.deb".into());
        let c = build_for(&Config::default(), &s).expect("context");
        let docker: Vec<(&str, Option<&str>)> = c
            .units
            .iter()
            .map(|u| (u.setup.as_str(), u.docker_file.as_deref()))
            .collect();
        assert_eq!(
            docker,
            vec![
                ("node", None),
                ("php", Some("Dockerfile")),
                ("go", Some("worker/Dockerfile"))
            ]
        );
        assert_eq!(c.security.containers.len(), 2);
    }

    #[test]
    fn build_facts_decide_the_build_and_what_is_uploaded() {
        let mut s = stacks(serde_json::json!({
            "subprojects": [
                {"path": "cli", "stack": "rust", "package_manager": "cargo"},
                {"path": "lib", "stack": "rust", "package_manager": "cargo"},
                {"path": "web", "stack": "typescript", "package_manager": "npm"}
            ],
            "test_commands": ["cd cli && cargo test", "cd lib && cargo test", "cd web && npm test"]
        }));
        s.builds.insert(
            ("cli".into(), Language::Rust),
            crate::detect::BuildFacts {
                executables: true,
                locked: true,
                ..Default::default()
            },
        );
        s.builds.insert(
            ("web".into(), Language::Typescript),
            crate::detect::BuildFacts {
                outputs: vec![".next/".into(), "!.next/cache/".into()],
                ..Default::default()
            },
        );
        let c = build_for(&Config::default(), &s).expect("context");
        let out: Vec<Option<&str>> = c.units.iter().map(|u| u.build_output.as_deref()).collect();
        assert_eq!(
            out,
            vec![
                Some("cli/dist/"),
                None,
                Some("web/.next/\n!web/.next/cache/")
            ]
        );
        assert_eq!(c.units[1].build, None, "a library has no release build");
        assert_eq!(c.apps, vec!["cli", "web"]);
    }

    #[test]
    fn quotes_in_branch_names_are_escaped_in_expressions() {
        assert_eq!(expr_str("refs/heads/it's"), "'refs/heads/it''s'");
        assert_eq!(slug("services/api"), "services-api");
        assert_eq!(slug("Billing.Api"), "billing-api");
        assert_eq!(slug("1st"), "u-1st");
    }

    #[test]
    fn an_unknown_commit_is_an_error_with_a_hint() {
        let err = build(Inputs {
            config: &Config::default(),
            stacks: &Stacks::default(),
            pins: &Pins::embedded(),
            commit: "unknown",
            version: "0.1.0",
            root: Path::new("."),
        })
        .expect_err("unknown commit");
        assert!(err.hint().is_some());
    }
}
