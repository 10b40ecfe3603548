//! `slipway.yml`: the typed configuration, its defaults and its validation.
//!
//! Everything has a default, so a repository without the file gets a working pipeline. The file
//! is read once ([`load`]) and passed down by reference. Keys are kebab-case; unknown keys,
//! unknown values, wrong types and out-of-range numbers are errors that name
//! `file:line:column`, show the line and suggest a fix. Later capabilities (deploy, release,
//! metrics) read their sections from here, so new keys must be optional with a default.
//!
//! Secrets: the file only ever holds secret NAMES (`SLACK_WEBHOOK_URL`); their values live in
//! the repository's GitHub secrets
//! (<https://docs.github.com/en/actions/security-guides/using-secrets-in-github-actions>).

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::Hint;

mod ci;
pub(crate) mod diagnostic;
pub mod git;
pub mod targets;
mod values;

pub use ci::{
    Command, Image, KeySpots, Matrix, RunnerLabel, Service, ServiceKind, ServiceSettings, Services,
    StepSecret, ToolVersion, UnitSettings, Units, VarName, VarValue, Versions, Word, is_version,
};

pub use diagnostic::{Diagnostic, list, suggest};
pub use values::{
    Duration, Instances, Percent, Points, RetentionDays, SecretName, Shards, Weekday, Window,
};

/// The file name slipway looks for at the repository root.
pub const FILE_NAME: &str = "slipway.yml";

/// The largest config file slipway reads; anything bigger is a mistake, not a config.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The address of the published JSON Schema (its `$id`).
pub const SCHEMA_ID: &str = "https://github.com/slipway-ci/slipway/raw/main/slipway.schema.json";

use values::HINT_MARK;

/// The whole configuration: what `slipway.yml` holds, defaults filled in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
#[schemars(
    title = "slipway.yml",
    description = "Configuration of slipway: the GitHub Actions pipeline (CI, security, deployments, releases) of one repository. Every key is optional."
)]
pub struct Config {
    /// Schema version of this file; only `1` exists.
    pub version: Version,
    /// The project itself.
    pub project: Project,
    /// Where slipway's composite actions come from.
    pub actions: Actions,
    /// Tests on every push and pull request: sharding, pass rate, coverage.
    pub ci: Ci,
    /// Scans for leaked secrets, vulnerable dependencies and unsafe workflows.
    pub security: Security,
    /// Deployment environments in promotion order (file order). None by default: nothing is
    /// deployed until environments and a `deploy` target that can run the app are configured.
    pub environments: Environments,
    /// How an environment is deployed to: target, health checks, strategy settings.
    pub deploy: Deploy,
    /// Release tagging and the changelog.
    pub release: Release,
    /// Where to report deployments and failures.
    pub notify: Notify,
    /// Targets that `slipway metrics` compares the pipeline against.
    pub metrics: Metrics,
    /// How long workflow artifacts are kept.
    pub artifacts: Artifacts,
    /// Workflows the repository already has that do the job of one of ours: keep theirs and
    /// skip ours, or replace theirs.
    pub workflows: Workflows,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            version: Version,
            project: Project::default(),
            actions: Actions::default(),
            ci: Ci::default(),
            security: Security::default(),
            environments: Environments::default(),
            deploy: Deploy::default(),
            release: Release::default(),
            notify: Notify::default(),
            metrics: Metrics::default(),
            artifacts: Artifacts::default(),
            workflows: Workflows::default(),
        }
    }
}

/// The config schema version. Only `1` exists; any other number is an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "u64", into = "u64")]
pub struct Version;

impl TryFrom<u64> for Version {
    type Error = String;

    fn try_from(v: u64) -> Result<Self, String> {
        if v == 1 {
            Ok(Self)
        } else {
            Err(format!(
                "unsupported config version `{v}`: this slipway reads version 1{HINT_MARK}set `version: 1`, or upgrade slipway if the file was written for a newer one"
            ))
        }
    }
}

impl From<Version> for u64 {
    fn from(_: Version) -> u64 {
        1
    }
}

impl JsonSchema for Version {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Version".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({ "description": "Schema version; only `1` exists.", "const": 1 })
    }
}

/// The project itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Project {
    /// The project's name, used in job names, images and release titles. Default: the name of
    /// the repository's directory.
    #[serde(
        skip_serializing_if = "String::is_empty",
        deserialize_with = "values::one_line"
    )]
    pub name: String,
    /// The branch pull requests merge into: CI runs on pushes to it, and code scanning and
    /// coverage baselines come from it. Default: read from git (`refs/remotes/origin/HEAD`,
    /// else the checked-out branch), else `main`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "values::branch_opt"
    )]
    pub default_branch: Option<String>,
}

/// The branch used when neither the config nor the repository names one.
pub const FALLBACK_BRANCH: &str = "main";

impl Project {
    /// The default branch: the configured or detected one, else `main`.
    pub fn default_branch(&self) -> &str {
        self.default_branch.as_deref().unwrap_or(FALLBACK_BRANCH)
    }
}

/// Where slipway's composite actions come from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Actions {
    /// The GitHub repository (`owner/name`) that publishes the composite actions.
    pub repo: ActionsRepo,
}

impl Default for Actions {
    fn default() -> Self {
        Self {
            repo: ActionsRepo("slipway-ci/slipway".to_owned()),
        }
    }
}

/// A GitHub repository as `owner/name`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String", extend("pattern" = r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$"))]
pub struct ActionsRepo(String);

impl ActionsRepo {
    /// `owner/name`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ActionsRepo {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        let ok_part = |p: &str| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        };
        match s.split_once('/') {
            Some((owner, name)) if ok_part(owner) && ok_part(name) => Ok(Self(s)),
            _ => Err(format!(
                "`{s}` is not a GitHub repository{HINT_MARK}write it as `owner/name`, e.g. `slipway-ci/slipway`"
            )),
        }
    }
}

impl From<ActionsRepo> for String {
    fn from(r: ActionsRepo) -> String {
        r.0
    }
}

/// Tests on every push and pull request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Ci {
    /// Parallel test jobs the suite is split into, 1 to 256. Default: 1.
    pub shards: Shards,
    /// The share of tests that must pass, 0 to 100. Default: 95.
    pub pass_rate: Percent,
    /// Coverage gates.
    pub coverage: Coverage,
    /// What failing tests fail the run.
    pub tests: Tests,
    /// Commands that run the tests, replacing the detected ones, e.g. `["cargo test --locked"]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub test_commands: Vec<String>,
    /// SonarQube / SonarCloud analysis in the quality workflow; off when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sonar: Option<Sonar>,
    /// Service containers the tests need; the detected ones when absent, none with `[]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services: Option<Services>,
    /// Plain variables for the steps that build and test, e.g. `{ DJANGO_SETTINGS_MODULE:
    /// app.settings.test }`. They override the variables of `services` of the same name.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(with = "std::collections::BTreeMap<VarName, VarValue>")]
    pub env: IndexMap<VarName, VarValue>,
    /// Names of repository secrets passed to the steps that build and test, each as a variable
    /// of the same name, e.g. `[STRIPE_KEY]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<StepSecret>,
    /// Settings per unit, by unit id (`slipway detect` lists them; `app` when there is one):
    /// commands that replace the detected ones, extra steps, the toolchain version, a matrix.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub units: Units,
    /// Where the keys of `units` and `services` are in the file (not configuration).
    #[serde(skip)]
    #[schemars(skip)]
    pub key_spots: KeySpots,
}

impl Default for Ci {
    fn default() -> Self {
        Self {
            shards: Shards::new(1),
            pass_rate: Percent::new_unchecked(95.0),
            coverage: Coverage::default(),
            tests: Tests::default(),
            test_commands: Vec::new(),
            sonar: None,
            services: None,
            env: IndexMap::new(),
            secrets: Vec::new(),
            units: Units::new(),
            key_spots: KeySpots::default(),
        }
    }
}

/// Coverage gates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Coverage {
    /// The lowest line coverage accepted, 0 to 100. Default: 0, no floor: a repository's first
    /// push is not failed for the coverage it already has; the drop against the base branch
    /// (`max-drop`) is gated from the start. Set a floor once you know where you stand.
    pub min: Percent,
    /// The largest drop in coverage, in percentage points, against the base branch. Default: 2.
    pub max_drop: Points,
    /// The lowest line coverage of the lines a pull request adds or changes, 0 to 100 (lines
    /// without coverage data, such as comments or files no report measures, are not counted).
    /// Default: 0, off: patch coverage is reported, not gated.
    pub patch_min: Percent,
}

impl Default for Coverage {
    fn default() -> Self {
        Self {
            min: Percent::new_unchecked(0.0),
            max_drop: Points::new_unchecked(2.0),
            patch_min: Percent::new_unchecked(0.0),
        }
    }
}

/// What failing tests fail the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Tests {
    /// `any`: the pass rate (`pass-rate`) decides, every failure counts. `regressions`: only
    /// tests that fail now and passed (or did not exist) on the base branch fail the run;
    /// failures the base already has are listed, not gated. Without base results, `any`
    /// applies. Default: `any`.
    pub fail_on: crate::run_tests::deltas::FailOn,
}

/// SonarQube / SonarCloud settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Sonar {
    /// The project key in Sonar.
    pub project_key: String,
    /// The organization (SonarCloud only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization: Option<String>,
    /// The server; default `https://sonarcloud.io`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_url: Option<String>,
    /// The name of the secret holding the Sonar token. Default: `SONAR_TOKEN`.
    #[serde(default = "default_sonar_token")]
    pub token_secret: SecretName,
}

fn default_sonar_token() -> SecretName {
    SecretName::try_from("SONAR_TOKEN".to_owned()).expect("`SONAR_TOKEN` is a valid secret name")
}

/// Security scans.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Security {
    /// Scan the history and the tree for leaked secrets. Default: true.
    pub secrets: bool,
    /// Check lockfiles against vulnerability advisories. Default: true.
    pub dependencies: bool,
    /// Audit the workflow files themselves. Default: true.
    pub workflows: bool,
    /// The lowest severity that fails the scan. Default: `high`.
    pub fail_on: Severity,
    /// Findings to ignore, each matched by path, rule or regex, with a reason.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<Allow>,
    /// A file of accepted existing findings, relative to the root; new findings still fail.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "values::repo_path_opt"
    )]
    pub baseline: Option<String>,
    /// GitHub code scanning: uploading the SARIF files and running CodeQL. A private or
    /// internal repository has it only with GitHub Code Security (or Advanced Security).
    /// `auto`: each run asks GitHub first (public: yes; private or internal: whether the
    /// code-scanning API answers) and skips the upload and CodeQL when it is not available;
    /// `on`: always upload and run CodeQL; `off`: never, and the jobs get no
    /// `security-events` permission. Without code scanning the findings still reach the job
    /// summary and annotations, and `fail-on` still fails the job. Default: `auto`.
    pub code_scanning: Located<CodeScanning>,
    /// Licence policy for dependencies, checked from lockfile metadata where the ecosystem
    /// records it (`package-lock.json` v2/v3, `composer.lock`); Cargo.lock, yarn.lock,
    /// pnpm-lock.yaml, poetry.lock, uv.lock and the others record no licence and are not
    /// checked.
    /// Give `allow`, `deny` or both: a package passes when one of the `OR` choices of its SPDX
    /// expression has every licence on `allow` (when given) and none on `deny` (`deny` wins).
    /// A package without a licence, or with one that does not parse, is a `license-unknown`
    /// finding: at `severity` under an `allow` list, `low` under a `deny` list alone.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub licenses: Option<Licenses>,
}

/// `security.licenses`: which SPDX licences dependencies may carry.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Licenses {
    /// Only these licences are accepted, e.g. `[MIT, Apache-2.0, BSD-3-Clause, ISC]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allow: Vec<Located<LicenseId>>,
    /// These licences are refused, e.g. `[GPL-3.0-only, AGPL-3.0-or-later]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub deny: Vec<Located<LicenseId>>,
    /// The severity of a licence finding; with the default `fail-on: high` the default
    /// `high` fails the scan. Default: `high`.
    pub severity: LicenseSeverity,
}

/// The severity of a licence finding.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum LicenseSeverity {
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High: fails the default `fail-on`.
    #[default]
    High,
    /// Critical.
    Critical,
}

/// An SPDX licence id (<https://spdx.org/licenses/>), e.g. `MIT`, `GPL-3.0-only`, or a
/// `LicenseRef-...`; held in its canonical spelling (`GPL-2.0+` is `GPL-2.0-or-later`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LicenseId(String);

impl LicenseId {
    /// The canonical id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for LicenseId {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        crate::security::licenses::check_id(&text)
            .map(Self)
            .map_err(|(msg, near)| {
                let mark = values::HINT_MARK;
                match near {
                    Some(n) => format!(
                        "{msg}{mark}did you mean `{n}`? write an id from <https://spdx.org/licenses/>, or `LicenseRef-<name>` for your own"
                    ),
                    None => format!(
                        "{msg}{mark}write an id from <https://spdx.org/licenses/>, or `LicenseRef-<name>` for your own"
                    ),
                }
            })
    }
}

impl From<LicenseId> for String {
    fn from(id: LicenseId) -> Self {
        id.0
    }
}

impl JsonSchema for LicenseId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LicenseId".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An SPDX licence id, e.g. `MIT`, `GPL-3.0-only`, or `LicenseRef-<name>`.",
            "type": "string"
        })
    }
}

impl Default for Security {
    fn default() -> Self {
        Self {
            secrets: true,
            dependencies: true,
            workflows: true,
            fail_on: Severity::High,
            allow: Vec::new(),
            baseline: None,
            code_scanning: Located::new(CodeScanning::Auto),
            licenses: None,
        }
    }
}

/// Whether the security workflow uses GitHub code scanning (SARIF upload, CodeQL).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum CodeScanning {
    /// Decided when the workflow runs: GitHub is asked whether the repository has code
    /// scanning.
    #[default]
    Auto,
    /// Always: the repository is public or has GitHub Code Security.
    On,
    /// Never: findings go to the job summary and annotations only.
    Off,
}

impl CodeScanning {
    /// `auto`, `on` or `off`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auto => "auto",
            Self::On => "on",
            Self::Off => "off",
        }
    }
}

/// The lowest severity that fails a scan.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// Never fail; report only.
    None,
    /// Fail on low and above.
    Low,
    /// Fail on medium and above.
    Medium,
    /// Fail on high and critical.
    High,
    /// Fail on critical only.
    Critical,
}

/// A finding to ignore. At least one of `path`, `rule`, `regex` is required; all given must
/// match.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Allow {
    /// A glob of files, e.g. `tests/fixtures/**`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A finding id, e.g. `aws-access-key` or `RUSTSEC-2024-0001`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// A regular expression the matched text must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Why this is safe to ignore.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Deployment environments in promotion order (file order).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct Environments(pub IndexMap<EnvName, Environment>);

impl Environments {
    /// The environments in promotion order.
    pub fn iter(&self) -> impl Iterator<Item = (&EnvName, &Environment)> {
        self.0.iter()
    }

    /// One environment by name.
    pub fn get(&self, name: &str) -> Option<&Environment> {
        self.0
            .iter()
            .find(|(k, _)| k.as_str() == name)
            .map(|(_, v)| v)
    }

    /// No environments: CI only.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Default for Environments {
    /// No environments: a repository deploys nothing until it says where and how.
    fn default() -> Self {
        Self(IndexMap::new())
    }
}

/// An environment name: letters, digits, `-` and `_`, e.g. `staging`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String", extend("pattern" = r"^[A-Za-z0-9_-]+$"))]
pub struct EnvName(String);

impl EnvName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for EnvName {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        if !s.is_empty()
            && s.len() <= 100
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            Ok(Self(s))
        } else {
            Err(format!(
                "`{s}` is not an environment name{HINT_MARK}use letters, digits, `-` and `_`, e.g. `staging`"
            ))
        }
    }
}

impl From<EnvName> for String {
    fn from(n: EnvName) -> String {
        n.0
    }
}

impl std::fmt::Display for EnvName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A value with the place it was read from (line and column, 1-based; 0 when it came from a
/// default). Equality and serialization look at the value only.
#[derive(Debug, Clone)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// 1-based line, 0 when not read from a file.
    pub line: usize,
    /// 1-based column, 0 when not read from a file.
    pub column: usize,
}

impl<T> Located<T> {
    /// A value that did not come from a file.
    pub fn new(value: T) -> Self {
        Self {
            value,
            line: 0,
            column: 0,
        }
    }
}

impl<T: PartialEq> PartialEq for Located<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Located<T> {}

impl<T: std::hash::Hash> std::hash::Hash for Located<T> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

impl<T: Serialize> Serialize for Located<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = serde_saphyr::Spanned::<T>::deserialize(d)?;
        let to_usize = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        Ok(Self {
            line: to_usize(spanned.referenced.line()),
            column: to_usize(spanned.referenced.column()),
            value: spanned.value,
        })
    }
}

impl<T: JsonSchema> JsonSchema for Located<T> {
    fn inline_schema() -> bool {
        true
    }

    fn schema_name() -> std::borrow::Cow<'static, str> {
        T::schema_name()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        generator.subschema_for::<T>()
    }
}

/// One deployment environment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Environment {
    /// Deploy on every push to this branch, e.g. `main`. Not together with `on`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "values::branch_opt"
    )]
    pub branch: Option<String>,
    /// Deploy on an event instead of a branch push: `release` or `manual`. Not together with
    /// `branch`. With neither, the environment is deployed by hand only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on: Option<Located<Trigger>>,
    /// How the new version replaces the old one. Default: `rolling`.
    pub strategy: Strategy,
    /// Require a reviewer's approval (a GitHub environment protection rule). Default: false.
    pub approval: bool,
    /// When deployments may start, e.g. `Mon-Thu 09:00-16:00 UTC`; any time when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// The environment's URL, shown on the deployment in GitHub.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Health-check settings that replace `deploy.health` for this environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub health: Option<HealthOverride>,
    /// Names of the GitHub secrets this environment's deploy needs; checked before deploying.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<SecretName>,
    /// Plain (non-secret) variables for the deployed app. Names and values follow the rules of
    /// `ci.env` (checked when the file loads, as `setup-environment` exports them).
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(with = "std::collections::BTreeMap<VarName, VarValue>")]
    pub env: IndexMap<VarName, VarValue>,
    /// The environment this one promotes from: a version reaches this environment only after
    /// it was deployed there. Must name an environment defined above this one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Located<EnvName>>,
}

/// An event that deploys an environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Trigger {
    /// When a release is published (`slipway release`).
    Release,
    /// Only when started by hand (`workflow_dispatch`).
    Manual,
}

/// How a new version replaces the old one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Replace instances in batches (`deploy.rolling`), health-checking each batch.
    #[default]
    Rolling,
    /// Start the new color beside the live one, check it, switch traffic at once, keep the old
    /// one for instant rollback.
    BlueGreen,
    /// Shift traffic to the new version in steps (`deploy.canary.steps`), checking health at
    /// each.
    Canary,
}

/// Health-check settings of one environment; absent keys come from `deploy.health`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct HealthOverride {
    /// The HTTP path that answers 2xx when the app is healthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Time between checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    /// Time one check may take.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Time the app has to become healthy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Duration>,
    /// Time the old version keeps serving in-flight requests after traffic moved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub drain: Option<Duration>,
}

/// How environments are deployed to.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Deploy {
    /// Where the app runs. Default: `hosts`.
    pub target: Target,
    /// Settings of the `hosts` target.
    pub hosts: Hosts,
    /// Settings of the `kubernetes` target.
    pub kubernetes: Kubernetes,
    /// Settings of the `command` target.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<CommandTarget>,
    /// Batch sizes of the `rolling` strategy.
    pub rolling: Rolling,
    /// Traffic steps of the `canary` strategy.
    pub canary: Canary,
    /// How a new version is checked before it gets traffic.
    pub health: Health,
    /// Requests that must succeed against a new version before it gets traffic.
    #[serde(skip_serializing_if = "Smoke::is_empty")]
    pub smoke: Smoke,
}

/// Where the app runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// App processes or podman containers behind nginx, on the runner's machine or over ssh.
    #[default]
    Hosts,
    /// A Kubernetes cluster through kubectl.
    Kubernetes,
    /// Your own commands (`deploy.command`), e.g. a PaaS CLI.
    Command,
}

/// Settings of the `hosts` target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Hosts {
    /// App instances per color. Default: 2.
    pub instances: Instances,
    /// The first port; blue instances listen on `base-port + n`, green ones (and rolling
    /// replacements) on the ports after them, up to `base-port + 2 * instances - 1`. Default:
    /// 8000.
    pub base_port: u16,
    /// How one instance starts; `{port}` is replaced by its port, `{version}` by the version
    /// and `{dir}` by the directory of the retained artifact, e.g. `./app --port {port}`. It
    /// runs in `{dir}` with `SLIPWAY_PORT` and `SLIPWAY_VERSION` set. Required with
    /// `runtime: process`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<PortCommand>,
    /// The nginx upstream that receives traffic. Default: `<project>-<environment>`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// How instances run: `process` (the `start` command), `podman` or `docker` (the image
    /// given as the deploy's artifact, or `image:version`). Default: `process`.
    #[serde(skip_serializing_if = "is_process")]
    pub runtime: HostsRuntime,
    /// The image of `podman` / `docker` instances without an artifact, e.g.
    /// `ghcr.io/acme/shop` (the version is the tag).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The port the app listens on inside its container. Default: 8080.
    #[serde(skip_serializing_if = "is_8080")]
    pub container_port: u16,
    /// Run instances and nginx on this host over ssh, e.g. `deploy@app-1.internal`; the
    /// `credentials` input is the private key. Default: this machine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ssh: Option<String>,
    /// The address instances are health-checked at. Default: `127.0.0.1`, or the host of
    /// `ssh`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Where the lock, journal, history and retained versions live (on the `ssh` host when
    /// set); one directory per environment is made inside. Default:
    /// `$XDG_STATE_HOME/slipway/<project>` (`~/.local/state/slipway/<project>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_dir: Option<String>,
    /// The nginx that routes traffic to the instances.
    #[serde(skip_serializing_if = "Nginx::is_default")]
    pub nginx: Nginx,
}

fn is_process(r: &HostsRuntime) -> bool {
    *r == HostsRuntime::Process
}

fn is_8080(p: &u16) -> bool {
    *p == 8080
}

impl Default for Hosts {
    fn default() -> Self {
        Self {
            instances: Instances::new(2),
            base_port: 8000,
            start: None,
            upstream: None,
            runtime: HostsRuntime::Process,
            image: None,
            container_port: 8080,
            ssh: None,
            address: None,
            state_dir: None,
            nginx: Nginx::default(),
        }
    }
}

/// How `hosts` instances run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum HostsRuntime {
    /// A process started with `deploy.hosts.start`.
    #[default]
    Process,
    /// A podman container.
    Podman,
    /// A docker container.
    Docker,
}

/// The nginx in front of `hosts` instances. slipway writes only the upstream file; your nginx
/// config includes it and proxies to the upstream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Nginx {
    /// The nginx binary. Default: `nginx`.
    pub binary: String,
    /// The main config file, passed as `-c` to `nginx -t` and `nginx -s reload`. Default:
    /// nginx's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<String>,
    /// The prefix, passed as `-p` (a non-root nginx keeps its pid file and logs there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// The file slipway writes the `upstream` block to, included by your config. Default:
    /// `/etc/nginx/conf.d/<upstream>.upstream.conf`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_file: Option<String>,
    /// An access log written with `log_format slipway '$upstream_addr $upstream_status';`:
    /// the canary strategy reads the new version's error rate from it. Default: none (the
    /// error rate comes from health probes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log: Option<String>,
}

impl Default for Nginx {
    fn default() -> Self {
        Self {
            binary: "nginx".to_owned(),
            config: None,
            prefix: None,
            upstream_file: None,
            access_log: None,
        }
    }
}

impl Nginx {
    fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// A command template that must contain `{port}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String", extend("pattern" = r"\{port\}"))]
pub struct PortCommand(String);

impl PortCommand {
    /// The command with `{port}` replaced.
    pub fn render(&self, port: u16) -> String {
        self.0.replace("{port}", &port.to_string())
    }
}

impl TryFrom<String> for PortCommand {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        if s.contains("{port}") {
            Ok(Self(s))
        } else {
            Err(format!(
                "the start command has no `{{port}}`{HINT_MARK}put `{{port}}` where the instance's port goes, e.g. `./app --port {{port}}`"
            ))
        }
    }
}

impl From<PortCommand> for String {
    fn from(c: PortCommand) -> String {
        c.0
    }
}

/// Settings of the `kubernetes` target.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Kubernetes {
    /// The namespace. Default: the kubectl context's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// The Deployment name (blue-green adds `-blue` / `-green`). Default: the project name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deployment: Option<String>,
    /// The Service whose selector is switched. Default: the project name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The name of the secret holding the kubeconfig. Default: `KUBECONFIG`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubeconfig_secret: Option<SecretName>,
}

/// Settings of the `command` target: shell commands slipway runs with `sh -c`. Each sees
/// `$SLIPWAY_VERSION`, `$SLIPWAY_ENVIRONMENT`, `$SLIPWAY_PREVIOUS_VERSION` (empty on a first
/// deploy) and `$SLIPWAY_STRATEGY`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CommandTarget {
    /// Deploys the version in `$SLIPWAY_VERSION` to `$SLIPWAY_ENVIRONMENT`, e.g.
    /// `fly deploy --image registry.fly.io/shop:$SLIPWAY_VERSION`.
    pub deploy: String,
    /// Moves traffic back to `$SLIPWAY_VERSION` (the version to restore). Default: `deploy`
    /// run again with that version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollback: Option<String>,
    /// Exits 0 when the new version is healthy; retried every `deploy.health.interval` until
    /// `deploy.health.deadline`. A failure rolls back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health: Option<String>,
    /// Moves traffic to the new version after it is healthy (blue-green on a platform that
    /// deploys beside the live version), e.g. `fly releases promote`. A failure rolls back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub switch: Option<String>,
    /// The longest one command may run before it is stopped. Default: `10m`.
    #[serde(default = "default_command_timeout")]
    pub timeout: Duration,
}

fn default_command_timeout() -> Duration {
    Duration::from_secs(600)
}

/// Batch sizes of the `rolling` strategy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Rolling {
    /// Instances that may be down at once. Default: 1.
    pub max_unavailable: u32,
    /// Extra instances that may run during the rollout. Default: 1.
    pub max_surge: u32,
}

impl Default for Rolling {
    fn default() -> Self {
        Self {
            max_unavailable: 1,
            max_surge: 1,
        }
    }
}

/// Traffic steps of the `canary` strategy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Canary {
    /// Shares of traffic on the new version, rising, ending at 100. Default: `[10, 50, 100]`.
    pub steps: CanarySteps,
    /// Time each step runs before the next. Default: `5m`.
    pub pause: Duration,
    /// The highest share of failed requests (5xx or no answer) of the new version during a
    /// step, 0 to 100; above it the canary is rolled back. Default: 1.
    pub max_error_rate: Percent,
}

impl Default for Canary {
    fn default() -> Self {
        Self {
            steps: CanarySteps(vec![
                Percent::new_unchecked(10.0),
                Percent::new_unchecked(50.0),
                Percent::new_unchecked(100.0),
            ]),
            pause: Duration::from_secs(300),
            max_error_rate: Percent::new_unchecked(1.0),
        }
    }
}

/// Rising traffic shares that end at 100.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "Vec<Percent>", into = "Vec<Percent>")]
#[schemars(with = "Vec<Percent>")]
pub struct CanarySteps(Vec<Percent>);

impl CanarySteps {
    /// The steps.
    pub fn steps(&self) -> &[Percent] {
        &self.0
    }
}

impl TryFrom<Vec<Percent>> for CanarySteps {
    type Error = String;

    fn try_from(steps: Vec<Percent>) -> Result<Self, String> {
        let rising = steps.windows(2).all(|w| w[0].get() < w[1].get());
        if rising && steps.last().is_some_and(|p| p.get() == 100.0) {
            Ok(Self(steps))
        } else {
            Err(format!(
                "canary steps must rise and end at 100{HINT_MARK}e.g. `steps: [10, 50, 100]`"
            ))
        }
    }
}

impl From<CanarySteps> for Vec<Percent> {
    fn from(s: CanarySteps) -> Self {
        s.0
    }
}

/// How a new version is checked before it gets traffic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Health {
    /// The HTTP path that answers 2xx when the app is healthy. Default: `/up`.
    pub path: String,
    /// Time between checks. Default: `1s`.
    pub interval: Duration,
    /// Time one check may take. Default: `5s`.
    pub timeout: Duration,
    /// Time the app has to become healthy. Default: `30s`.
    pub deadline: Duration,
    /// Time the old version keeps serving in-flight requests after traffic moved. Default: `30s`.
    pub drain: Duration,
}

impl Default for Health {
    fn default() -> Self {
        Self {
            path: "/up".to_owned(),
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(5),
            deadline: Duration::from_secs(30),
            drain: Duration::from_secs(30),
        }
    }
}

/// Requests that must succeed against a new version before it gets traffic.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Smoke {
    /// Paths that must answer 2xx, e.g. `["/", "/api/status"]`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// A command that must exit 0; `$SLIPWAY_URL` is the new version's address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
}

impl Smoke {
    /// No smoke tests configured.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty() && self.command.is_none()
    }
}

/// Release tagging and the changelog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Release {
    /// What starts the release workflow: `manual` (run it by hand from the Actions tab),
    /// `push` (every push to the default branch releases when commits call for a new version)
    /// or `pr` (every push to the default branch opens or updates one release pull request that
    /// bumps the manifests and the changelog; merging it tags and publishes that version).
    /// Default: `manual`.
    pub trigger: Located<ReleaseTrigger>,
    /// Prefix of version tags, e.g. `v` (`v1.2.3`) or `` (`1.2.3`). Default: the prefix of the
    /// repository's newest version tag, else `v`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "values::tag_prefix_opt"
    )]
    pub tag_prefix: Option<String>,
    /// The changelog file, relative to the root. Default: `CHANGELOG.md`.
    #[serde(deserialize_with = "values::repo_path")]
    pub changelog: String,
    /// Also move a `v1` tag to each `v1.x.y` release. Default: false.
    pub floating_major_tag: bool,
    /// How breaking changes bump a version below 1.0. Default: `minor`.
    pub pre_1_0: PreOnePolicy,
    /// List commits that are not conventional (`feat:`, `fix:`) under "Other". Default: false.
    pub include_other_commits: bool,
    /// Read `* feat: …` / `- fix: …` bullets in a commit body (GitHub's squash-merge body) as
    /// commits of their own. Default: false: only the header and the footers of each commit
    /// decide, as Conventional Commits 1.0 says.
    pub squash_bodies: bool,
    /// Commit types that release a patch: `type` (any scope) or `type(scope)`, e.g.
    /// `chore(deps)` for Renovate's dependency updates. `feat` is always minor and a breaking
    /// change always major. Default: `[fix, perf, revert]`, what release-please and
    /// semantic-release release: Dependabot's and Renovate's `fix(deps)` releases a patch,
    /// `chore(deps)` and `build(deps)` release nothing.
    pub patch_types: Vec<Located<String>>,
    /// More files whose version a release pull request bumps, relative to the root: each line
    /// holding `slipway-release-version` (in a comment) has its version replaced, e.g.
    /// `src/shop/__init__.py`. The manifests at the root (`Cargo.toml` and its workspace
    /// members, `Cargo.lock`, `package.json`, `pyproject.toml`, `pom.xml`,
    /// `gradle.properties`, `VERSION`) are found without being listed. Default: none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub extra_files: Vec<Located<String>>,
    /// Target triples the release builds the repository's executables for (Rust binaries, Go
    /// `main` packages), e.g. `[x86_64-unknown-linux-musl, aarch64-apple-darwin]`; one archive
    /// per unit and target, `<name>-<version>-<target>.tar.gz` (`.zip` on Windows). Default:
    /// x86_64 Linux (gnu and musl), aarch64 Linux (musl), x86_64 and arm64 macOS, x86_64
    /// Windows. A repository without executables builds none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub targets: Option<Vec<Located<String>>>,
    /// Attach `install.sh` to the release: it picks the user's target, downloads its archive
    /// and verifies it against `SHA256SUMS`. Default: false.
    pub installer: bool,
    /// After the release is published, open a pull request pinning its archives in
    /// `scripts/release-checksums.txt` (`slipway release pin-binary`), for a repository whose
    /// composite actions install its own binary, as slipway's do. Default: false.
    pub pin_binary: bool,
    /// One version for the repository (`single`) or one per released unit (`per-unit`): each
    /// Cargo package, npm/pnpm/yarn workspace package and Python project that `slipway detect`
    /// lists gets its own version from the commits that touch its directory, its own tag
    /// `<name>-v1.2.3` (the name from its manifest) and its own `<unit>/CHANGELOG.md`.
    /// Default: `single`, the behaviour of a repository with one unit; tags like `v1.2.3` do not
    /// say which unit they release, so moving to per-unit tags is a choice the file makes.
    #[serde(skip_serializing_if = "ReleaseUnits::is_single")]
    pub units: ReleaseUnits,
    /// With `units: per-unit`: groups of unit names that always release together, e.g.
    /// `[[core, cli]]`; the highest bump of the group applies to every member. A unit is in
    /// one group at most. Default: none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub linked: Vec<Vec<Located<String>>>,
    /// With `units: per-unit`: settings of single units, by the unit's directory as
    /// `slipway detect` lists it, e.g. `{ tools/cli: { name: cli-legacy } }`. Default: none.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub unit_overrides: IndexMap<String, UnitRelease>,
    /// Package registries each released unit is published to after the GitHub release, e.g.
    /// `[crates, npm, pypi]`: crates.io for a `Cargo.toml` package, the npm registry for a
    /// `package.json`, PyPI for a `pyproject.toml` project. The release workflow's
    /// `publish-registries` job uses trusted publishing (OIDC, no stored token) and skips a
    /// version the registry has already. Default: none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub publish: Vec<Located<Registry>>,
}

/// How many versions a repository releases (`release.units`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReleaseUnits {
    /// One version, tag and changelog for the whole repository.
    #[default]
    Single,
    /// A version, tag and changelog per released unit.
    PerUnit,
}

impl ReleaseUnits {
    /// The default, left out when the config is written back.
    pub fn is_single(&self) -> bool {
        *self == Self::Single
    }
}

/// The release settings of one unit (`release.unit-overrides.<dir>`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct UnitRelease {
    /// The name in tags, `release.linked` and release titles instead of the manifest's, e.g.
    /// `cli-legacy` for tags `cli-legacy-v1.2.3`: two units whose manifests give one name need
    /// one of these.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Located<String>>,
    /// The changelog file, relative to the repository root. Default: `<dir>/CHANGELOG.md`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        default,
        deserialize_with = "values::repo_path_opt"
    )]
    pub changelog: Option<String>,
    /// Never release this unit (an example or a private tool). Default: false.
    pub skip: bool,
}

/// A package registry `release.publish` names.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum Registry {
    /// crates.io, for Rust packages (`Cargo.toml`).
    Crates,
    /// The npm registry, for JavaScript packages (`package.json`).
    Npm,
    /// PyPI, for Python projects (`pyproject.toml`).
    Pypi,
}

impl Registry {
    /// `crates`, `npm` or `pypi`: the name in `release.publish`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Crates => "crates",
            Self::Npm => "npm",
            Self::Pypi => "pypi",
        }
    }

    /// The manifest a unit needs to be published to this registry.
    pub fn manifest(self) -> &'static str {
        match self {
            Self::Crates => "Cargo.toml",
            Self::Npm => "package.json",
            Self::Pypi => "pyproject.toml",
        }
    }
}

impl Release {
    /// The targets to build: the configured ones, else [`targets::DEFAULT_TARGETS`].
    pub fn target_list(&self) -> Vec<String> {
        match &self.targets {
            Some(t) => t.iter().map(|l| l.value.clone()).collect(),
            None => targets::DEFAULT_TARGETS.map(str::to_owned).to_vec(),
        }
    }
}

/// The default of `release.patch-types`.
pub const DEFAULT_PATCH_TYPES: [&str; 3] = ["fix", "perf", "revert"];

/// The tag prefix used when neither the config nor the repository's tags name one.
pub const FALLBACK_TAG_PREFIX: &str = "v";

impl Release {
    /// The tag prefix: the configured or detected one, else `v`.
    pub fn tag_prefix(&self) -> &str {
        self.tag_prefix.as_deref().unwrap_or(FALLBACK_TAG_PREFIX)
    }
}

impl Default for Release {
    fn default() -> Self {
        Self {
            trigger: Located::new(ReleaseTrigger::Manual),
            tag_prefix: None,
            changelog: "CHANGELOG.md".to_owned(),
            floating_major_tag: false,
            pre_1_0: PreOnePolicy::Minor,
            include_other_commits: false,
            squash_bodies: false,
            patch_types: DEFAULT_PATCH_TYPES
                .iter()
                .map(|t| Located::new((*t).to_owned()))
                .collect(),
            extra_files: Vec::new(),
            targets: None,
            installer: false,
            pin_binary: false,
            units: ReleaseUnits::Single,
            linked: Vec::new(),
            unit_overrides: IndexMap::new(),
            publish: Vec::new(),
        }
    }
}

/// What starts the release workflow.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReleaseTrigger {
    /// Run by hand (`workflow_dispatch`) on the default branch.
    #[default]
    Manual,
    /// Every push to the default branch (a release happens when the commits since the last
    /// tag call for one).
    Push,
    /// Every push to the default branch opens or updates a release pull request (its commit
    /// made through the API, so GitHub signs it); the push of its merged commit releases.
    Pr,
}

impl ReleaseTrigger {
    /// `manual`, `push` or `pr`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Manual => "manual",
            Self::Push => "push",
            Self::Pr => "pr",
        }
    }
}

/// How a breaking change bumps a version below 1.0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum PreOnePolicy {
    /// `0.3.1` becomes `0.4.0` (Cargo's convention).
    #[default]
    Minor,
    /// `0.3.1` becomes `1.0.0`.
    Major,
}

/// Where to report deployments and failures. Secret NAMES only, never URLs or tokens.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Notify {
    /// The name of the secret holding a Slack incoming-webhook URL, e.g. `SLACK_WEBHOOK_URL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub slack_webhook_secret: Option<SecretName>,
    /// Addresses that get an email on failed deployments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub email: Vec<String>,
    /// The name of the secret holding a URL that receives a JSON POST per deployment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_secret: Option<SecretName>,
    /// The name of the secret holding the SMTP server's host name (email needs it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_host_secret: Option<SecretName>,
    /// The name of the secret holding the SMTP port. Default when unset: 587 (STARTTLS).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_port_secret: Option<SecretName>,
    /// The name of the secret holding the SMTP user name (also the sender when it is an
    /// address).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_user_secret: Option<SecretName>,
    /// The name of the secret holding the SMTP password.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtp_password_secret: Option<SecretName>,
}

/// Targets that `slipway metrics` compares the pipeline against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Metrics {
    /// The longest a CI run should take, in minutes. Default: 5.
    pub build_minutes: u32,
    /// The highest share of deployments that may fail, 0 to 100. Default: 5.
    pub change_failure_rate: Percent,
    /// The longest a failed deployment should take to recover. Default: `15m`.
    pub time_to_restore: Duration,
    /// The coverage to reach, 0 to 100. Default: 80.
    pub coverage: Percent,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            build_minutes: 5,
            change_failure_rate: Percent::new_unchecked(5.0),
            time_to_restore: Duration::from_secs(15 * 60),
            coverage: Percent::new_unchecked(80.0),
        }
    }
}

/// How long workflow artifacts are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Artifacts {
    /// Days to keep build and test artifacts, 1 to 400. Default: 30.
    pub retention_days: RetentionDays,
    /// Days to keep release artifacts, 1 to 400. Default: 90.
    pub release_retention_days: RetentionDays,
}

impl Default for Artifacts {
    fn default() -> Self {
        Self {
            retention_days: RetentionDays::new(30),
            release_retention_days: RetentionDays::new(90),
        }
    }
}

/// What to do about workflows the repository already has (`slipway gen-workflows` reports
/// which of its files overlap which of ours).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case", default)]
pub struct Workflows {
    /// Our workflows not to generate because one of yours does the job, e.g. `[ci, security]`.
    pub skip: Vec<WorkflowName>,
    /// Your workflow files (in `.github/workflows`) that ours replace: removed when ours are
    /// written, e.g. `[tests.yml, codeql.yml]`. A file already gone is fine.
    pub replace: Vec<String>,
}

/// One of the workflows slipway generates.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum WorkflowName {
    /// `ci.yml`: tests on every push and pull request.
    Ci,
    /// `cd.yml`: deployments.
    Cd,
    /// `security.yml`: secrets, dependencies, workflows, CodeQL, containers.
    Security,
    /// `quality.yml`: coverage and pass-rate gates.
    Quality,
    /// `quality-comment.yml`: the quality comment on pull requests from forks.
    QualityComment,
    /// `release.yml`: versions, changelog, GitHub releases.
    Release,
    /// `rollback.yml`: manual rollback of an environment.
    Rollback,
}

impl WorkflowName {
    /// The file stem (`ci`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ci => "ci",
            Self::Cd => "cd",
            Self::Security => "security",
            Self::Quality => "quality",
            Self::QualityComment => "quality-comment",
            Self::Release => "release",
            Self::Rollback => "rollback",
        }
    }
}

/// A configuration and where it came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The configuration, defaults filled in.
    pub config: Config,
    /// The file it was read from; `None` when no file exists and defaults apply.
    pub path: Option<PathBuf>,
    /// The file's text, for diagnostics found after loading (unit ids checked against the
    /// detected units); empty without a file.
    pub text: String,
    /// Values the file does not set that were read from the repository instead.
    pub derived: Vec<Derived>,
}

/// A setting the config file leaves out, filled from the repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    /// The key, e.g. `project.default-branch`.
    pub key: &'static str,
    /// The value used.
    pub value: String,
    /// Where it came from, e.g. `refs/remotes/origin/HEAD`.
    pub source: &'static str,
}

impl Loaded {
    /// An error at `line`:`column` of the file, found after loading, shown like a load error.
    pub fn error_at(
        &self,
        (line, column): (usize, usize),
        message: String,
        hint: Option<String>,
    ) -> Error {
        let file = self
            .path
            .as_ref()
            .map_or_else(|| FILE_NAME.to_owned(), |p| p.display().to_string());
        Error::Invalid(Box::new(Diagnostic {
            file,
            line: line.max(1),
            column: column.max(1),
            message,
            snippet: diagnostic::snippet(&self.text, line.max(1), column.max(1), false),
            hint,
        }))
    }
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file named on the command line does not exist.
    #[error("`{}` does not exist", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// The file could not be read.
    #[error("reading `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_FILE_BYTES`].
    #[error("`{}` is larger than the limit of {} KiB", path.display(), MAX_FILE_BYTES / 1024)]
    TooLarge {
        /// The file.
        path: PathBuf,
    },
    /// The file was read but is not a valid configuration.
    #[error("{0}")]
    Invalid(Box<Diagnostic>),
}

impl Error {
    /// The diagnostic, when the error points into the file.
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            Self::Invalid(d) => Some(d),
            _ => None,
        }
    }
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::NotFound { .. } => Some(format!(
                "check the path, or run `slipway init` to write a `{FILE_NAME}`"
            )),
            Self::Read { .. } => Some("check that the file is readable".to_owned()),
            Self::TooLarge { .. } => Some(format!(
                "`{FILE_NAME}` holds settings only; check that this is the right file"
            )),
            Self::Invalid(d) => d.hint.clone(),
        }
    }

    fn location(&self) -> Option<crate::error::Location> {
        self.diagnostic().map(|d| crate::error::Location {
            file: d.file.clone(),
            line: d.line,
            column: d.column,
            summary: d.message.clone(),
        })
    }
}

/// Loads `explicit` (which must exist), or `slipway.yml` under `root` when it exists, or the
/// defaults. `project.name` defaults to the name of `root`.
pub fn load(root: &Path, explicit: Option<&Path>) -> Result<Loaded, Error> {
    let path = match explicit {
        Some(p) => {
            if !p.exists() {
                return Err(Error::NotFound {
                    path: p.to_path_buf(),
                });
            }
            p.to_path_buf()
        }
        None => {
            let p = root.join(FILE_NAME);
            if !p.exists() {
                let mut config = Config::default();
                config.project.name = default_project_name(root);
                let derived = derive_from_repository(&mut config, root);
                return Ok(Loaded {
                    config,
                    path: None,
                    text: String::new(),
                    derived,
                });
            }
            p
        }
    };
    let bytes = read_limited(&path)?;
    let mut config = parse(&bytes, &path.display().to_string()).map_err(Error::Invalid)?;
    if config.project.name.is_empty() {
        config.project.name = default_project_name(root);
    }
    let derived = derive_from_repository(&mut config, root);
    let text = String::from_utf8_lossy(&bytes)
        .trim_start_matches('\u{feff}')
        .to_owned();
    Ok(Loaded {
        config,
        path: Some(path),
        text,
        derived,
    })
}

/// Fills `project.default-branch` and `release.tag-prefix`, when the file leaves them out, from
/// the repository's git metadata ([`git`]); returns what was filled and from where.
pub fn derive_from_repository(config: &mut Config, root: &Path) -> Vec<Derived> {
    let mut derived = Vec::new();
    if config.project.default_branch.is_none() {
        let (value, source) = match git::default_branch(root) {
            Some((b, git::BranchSource::OriginHead)) => (b, "refs/remotes/origin/HEAD"),
            Some((b, git::BranchSource::Head)) => (b, "the checked-out branch"),
            None => (
                FALLBACK_BRANCH.to_owned(),
                "the fallback (no branch found in git)",
            ),
        };
        config.project.default_branch = Some(value.clone());
        derived.push(Derived {
            key: "project.default-branch",
            value,
            source,
        });
    }
    if config.release.tag_prefix.is_none() {
        let (value, source) = match git::tag_prefix(&git::tags(root)) {
            Some(p) => (p, "the repository's version tags"),
            None => (
                FALLBACK_TAG_PREFIX.to_owned(),
                "the fallback (no version tags found)",
            ),
        };
        config.release.tag_prefix = Some(value.clone());
        derived.push(Derived {
            key: "release.tag-prefix",
            value,
            source,
        });
    }
    derived
}

/// The name of the directory `root`, or `app` when it has none (`/`).
pub fn default_project_name(root: &Path) -> String {
    let resolved = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    resolved
        .file_name()
        .and_then(|n| n.to_str())
        .map_or_else(|| "app".to_owned(), str::to_owned)
}

fn read_limited(path: &Path) -> Result<Vec<u8>, Error> {
    let read_err = |source| Error::Read {
        path: path.to_path_buf(),
        source,
    };
    // Through the repository root: a `slipway.yml` that links to `/proc/self/environ` is
    // refused, so its content never reaches an error snippet.
    match crate::fsutil::read_limited(path, MAX_FILE_BYTES) {
        Err(e) if e.kind() == std::io::ErrorKind::FileTooLarge => Err(Error::TooLarge {
            path: path.to_path_buf(),
        }),
        other => other.map_err(read_err),
    }
}

/// Parses and validates config text. `file` names it in errors. `project.name` stays empty when
/// the file does not set it. Never panics, whatever the bytes.
pub fn parse(bytes: &[u8], file: &str) -> Result<Config, Box<Diagnostic>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let good = String::from_utf8_lossy(&bytes[..e.valid_up_to()]);
            let line = good.matches('\n').count() + 1;
            let column = good.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let lossy = String::from_utf8_lossy(bytes);
            return Err(Box::new(Diagnostic {
                file: file.to_owned(),
                line,
                column,
                message: "the file is not valid UTF-8".to_owned(),
                snippet: diagnostic::snippet(&lossy, line, column, false),
                hint: Some("save the file as UTF-8".to_owned()),
            }));
        }
    };
    let mut path = None;
    let result = serde_saphyr::with_deserializer_from_str_with_options(text, options(), |de| {
        let mut track = serde_path_to_error::Track::new();
        let out =
            Option::<Config>::deserialize(serde_path_to_error::Deserializer::new(de, &mut track));
        path = Some(track.path());
        out
    });
    let mut config = match result {
        Ok(c) => c.unwrap_or_default(),
        Err(e) => {
            let path = path.map(|p| p.to_string()).unwrap_or_default();
            return Err(Box::new(convert(&e, &path, text, file)));
        }
    };
    if text.contains("units") || text.contains("services") {
        config.ci.key_spots = KeySpots::read(text);
        if let Some(services) = config.ci.services.as_mut() {
            for svc in &mut services.0 {
                let spot = config
                    .ci
                    .key_spots
                    .get(&format!("services.{}", svc.kind.value));
                if svc.kind.line == 0 {
                    (svc.kind.line, svc.kind.column) = spot;
                }
            }
        }
    }
    check(&config).map_err(|(loc, message, hint)| {
        Box::new(Diagnostic {
            file: file.to_owned(),
            line: loc.0,
            column: loc.1,
            message,
            snippet: diagnostic::snippet(text, loc.0, loc.1, false),
            hint,
        })
    })?;
    Ok(config)
}

/// `release.targets`: known triples the workflow can build, each once.
fn check_targets(release: &Release) -> Result<(), Problem> {
    let Some(list) = &release.targets else {
        return Ok(());
    };
    for (i, t) in list.iter().enumerate() {
        let at = (t.line, t.column);
        match targets::lookup(&t.value) {
            Ok(_) => {}
            Err(targets::Problem::Unknown { suggestion }) => {
                return Err((
                    at,
                    format!(
                        "`release.targets` has `{}`, which is not a target triple",
                        t.value
                    ),
                    Some(match suggestion {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!(
                            "use a triple of `rustc --print target-list`, e.g. one of {}",
                            targets::buildable()
                        ),
                    }),
                ));
            }
            Err(targets::Problem::NoLinker) => {
                return Err((
                    at,
                    format!(
                        "`release.targets` has `{}`, whose linker the release workflow cannot provide (no GitHub-hosted runner, musl tools or `cross` image for it)",
                        t.value
                    ),
                    Some(format!("remove it, or use one of {}", targets::buildable())),
                ));
            }
        }
        if list[..i].iter().any(|o| o.value == t.value) {
            return Err((
                at,
                format!("`release.targets` lists `{}` twice", t.value),
                Some("remove one".to_owned()),
            ));
        }
    }
    Ok(())
}

/// `release.linked`: only with `units: per-unit`; groups of two
/// or more names, each name in one group once. Whether the names are units is known only when
/// the repository is read (`slipway release`).
fn check_release_units(release: &Release) -> Result<(), Problem> {
    let per_unit = release.units == ReleaseUnits::PerUnit;
    let first = release.linked.iter().flatten().next();
    if let (false, Some(name)) = (per_unit, first) {
        return Err((
            (name.line, name.column),
            "`release.linked` groups units, but `release.units` is `single`".to_owned(),
            Some("set `release.units: per-unit`, or remove `release.linked`".to_owned()),
        ));
    }
    let mut seen: Vec<&str> = Vec::new();
    for group in &release.linked {
        if let [only] = group.as_slice() {
            return Err((
                (only.line, only.column),
                format!("`release.linked` has a group of one unit, `{}`", only.value),
                Some("a group links two units or more: add the others, or remove it".to_owned()),
            ));
        }
        for name in group {
            if seen.contains(&name.value.as_str()) {
                return Err((
                    (name.line, name.column),
                    format!("`release.linked` names `{}` twice", name.value),
                    Some(
                        "a unit is in one group at most: merge the groups that share it".to_owned(),
                    ),
                ));
            }
            seen.push(&name.value);
        }
    }
    Ok(())
}

fn options() -> serde_saphyr::Options {
    let mut o = serde_saphyr::Options::default();
    o.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::Error;
    o
}

type Problem = ((usize, usize), String, Option<String>);

/// Rules that span several keys: services that share a port, services with runners that
/// cannot start them, environment triggers and promotion order.
fn check(config: &Config) -> Result<(), Problem> {
    for t in &config.release.patch_types {
        if crate::release::commits::TypeRule::parse(&t.value).is_none() {
            return Err((
                (t.line, t.column),
                format!("`release.patch-types` has `{}`, which is not a commit type", t.value),
                Some(
                    "give a type (`fix`) or a type and scope (`chore(deps)`): lower-case letters, digits and `-`"
                        .to_owned(),
                ),
            ));
        }
    }
    for f in &config.release.extra_files {
        let p = f.value.as_str();
        if p.is_empty() || p.starts_with('/') || p.split(['/', '\\']).any(|part| part == "..") {
            return Err((
                (f.line, f.column),
                format!("`release.extra-files` has `{p}`, which is not inside the repository"),
                Some(
                    "give a path relative to the repository root, e.g. `src/shop/__init__.py`"
                        .to_owned(),
                ),
            ));
        }
    }
    check_targets(&config.release)?;
    check_release_units(&config.release)?;
    let publish = &config.release.publish;
    for (i, r) in publish.iter().enumerate() {
        if publish[..i].iter().any(|o| o.value == r.value) {
            return Err((
                (r.line, r.column),
                format!("`release.publish` lists `{}` twice", r.value.as_str()),
                Some("remove one".to_owned()),
            ));
        }
    }
    check_ci(&config.ci)?;
    let mut seen: Vec<&str> = Vec::new();
    for (name, env) in config.environments.iter() {
        if let (Some(_), Some(on)) = (&env.branch, &env.on) {
            return Err((
                (on.line, on.column),
                format!("`environments.{name}` has both `branch` and `on`"),
                Some("deploy either on pushes to a branch or on an event: remove one".to_owned()),
            ));
        }
        if let Some(after) = &env.after {
            let target = after.value.as_str();
            if !seen.contains(&target) {
                let defined: Vec<&str> = config
                    .environments
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect();
                let (message, hint) = if target == name.as_str() {
                    (
                        format!("`environments.{name}.after` names the environment itself"),
                        "name the environment this one promotes from".to_owned(),
                    )
                } else if defined.contains(&target) {
                    (
                        format!("`environments.{name}.after` names `{target}`, which comes later"),
                        format!(
                            "environments are promoted in file order: move `{target}` above `{name}`"
                        ),
                    )
                } else {
                    let hint = match diagnostic::suggest(target, &seen) {
                        Some(s) => format!(
                            "did you mean `{s}`? environments defined above: {}",
                            diagnostic::list(&seen)
                        ),
                        None if seen.is_empty() => {
                            "remove `after`: no environment is defined above this one".to_owned()
                        }
                        None => format!("environments defined above: {}", diagnostic::list(&seen)),
                    };
                    (
                        format!(
                            "`environments.{name}.after` names `{target}`, which is not defined"
                        ),
                        hint,
                    )
                };
                return Err(((after.line, after.column), message, Some(hint)));
            }
        }
        seen.push(name.as_str());
    }
    Ok(())
}

fn check_ci(ci: &Ci) -> Result<(), Problem> {
    let services = ci.services.as_ref();
    let mut port_of: Vec<(u16, ServiceKind)> = Vec::new();
    for svc in services.iter().flat_map(|s| s.iter()) {
        let kind = svc.kind.value;
        if let Some((_, other)) = port_of.iter().find(|(p, _)| *p == kind.port()) {
            return Err((
                (svc.kind.line, svc.kind.column),
                format!(
                    "`ci.services` has both `{other}` and `{kind}`, which listen on the same port ({})",
                    kind.port()
                ),
                Some(format!("keep one of `{other}` and `{kind}`")),
            ));
        }
        port_of.push((kind.port(), kind));
    }
    let has_services = services.is_some_and(|s| !s.is_empty());
    for (id, unit) in &ci.units {
        let Some(matrix) = &unit.matrix else {
            continue;
        };
        if let Some(os) = matrix.os.iter().find(|o| !o.value.is_linux())
            && has_services
        {
            return Err((
                (os.line, os.column),
                format!(
                    "`ci.units.{}.matrix.os` has `{}`, but `ci.services` needs Linux runners",
                    id,
                    os.value.as_str()
                ),
                Some(
                    "GitHub starts service containers on Linux runners only: run this unit on Linux, or drop `ci.services`"
                        .to_owned(),
                ),
            ));
        }
    }
    Ok(())
}

/// Turns a YAML or serde error into a diagnostic at its location.
fn convert(error: &serde_saphyr::Error, path: &str, text: &str, file: &str) -> Diagnostic {
    use serde_saphyr::Error as E;
    use serde_saphyr::MessageFormatter as _;
    let error = error.without_snippet();
    let (line, column) = error
        .location()
        .map(|l| {
            let n = |v: u64| usize::try_from(v).unwrap_or(usize::MAX).max(1);
            (n(l.line()), n(l.column()))
        })
        .unwrap_or((1, 1));
    // `Located` values add a `.value` segment that is not a key in the file.
    let path = path.strip_suffix(".value").unwrap_or(path);
    let path = path.replace(".value[", "[").replace(".value.", ".");
    let path = path.as_str();
    // The root's path prints as `.`.
    let path = if path == "." { "" } else { path };
    let at = if path.is_empty() || path == "?" {
        "the top level".to_owned()
    } else {
        format!("`{path}`")
    };
    let mut mask = false;
    let (message, hint) = match error {
        E::SerdeUnknownField {
            field, expected, ..
        } => {
            // The path ends with the unknown key itself, which may hold dots of its own.
            let parent = path
                .strip_suffix(field.as_str())
                .map_or("", |p| p.strip_suffix('.').unwrap_or(p));
            let parent = if parent.is_empty() {
                "at the top level".to_owned()
            } else {
                format!("in `{parent}`")
            };
            (
                format!("unknown key `{field}` {parent}"),
                Some(did_you_mean(field, expected, "keys")),
            )
        }
        E::SerdeUnknownVariant {
            variant, expected, ..
        } => (
            format!("unknown value `{variant}` for {at}"),
            Some(did_you_mean(variant, expected, "values")),
        ),
        E::SerdeInvalidType {
            unexpected,
            expected,
            ..
        } => {
            if path.is_empty() {
                (
                    format!(
                        "the file must be a mapping of keys such as `version:` and `ci:`, found {unexpected}"
                    ),
                    Some(format!(
                        "run `slipway init` to write a commented `{FILE_NAME}`"
                    )),
                )
            } else {
                (
                    format!(
                        "wrong type for {at}: expected {}, found {unexpected}",
                        describe(expected)
                    ),
                    None,
                )
            }
        }
        E::SerdeInvalidValue {
            unexpected,
            expected,
            ..
        } => (
            format!(
                "invalid value for {at}: expected {}, found {unexpected}",
                describe(expected)
            ),
            None,
        ),
        E::SerdeMissingField { field, .. } => (
            format!("missing key `{field}` in {at}"),
            Some(format!("add `{field}:`")),
        ),
        E::DuplicateMappingKey { key, .. } => (
            match key {
                Some(k) => format!("duplicate key `{k}`"),
                None => "duplicate key".to_owned(),
            },
            Some(
                "each key may appear once in a mapping: remove or merge the repeated one"
                    .to_owned(),
            ),
        ),
        E::Message { msg, .. } => {
            let (msg, hint) = match msg.split_once(HINT_MARK) {
                Some((m, h)) => (m, Some(h.to_owned())),
                None => (msg.as_str(), None),
            };
            if values::is_secret_name_error(msg) {
                // Never show the rejected text: it may be a credential in the wrong field.
                mask = true;
            }
            if msg == values::LOOKS_LIKE_SECRET {
                (
                    format!("{at} holds what looks like a secret value, not the name of a secret"),
                    Some("store the value as a GitHub secret (Settings > Secrets and variables > Actions) and put its name here, e.g. `SLACK_WEBHOOK_URL`; if the value was committed, rotate it".to_owned()),
                )
            } else if msg.starts_with("unsupported config version") {
                (msg.to_owned(), hint)
            } else {
                (format!("invalid value for {at}: {msg}"), hint)
            }
        }
        E::Unexpected { expected, .. } if path.is_empty() && *expected == "mapping start" => (
            "the file must be a mapping of keys such as `version:` and `ci:`".to_owned(),
            Some(format!(
                "run `slipway init --stdout` to see a commented `{FILE_NAME}`"
            )),
        ),
        E::Unexpected { expected, .. } if expected.ends_with(" start") => {
            let (what, hint) = if expected.starts_with("sequence") {
                ("a list", "write a list: `[a, b]`, or one `- item` per line")
            } else {
                (
                    "a mapping",
                    "write a mapping: `{ key: value }`, or one `key: value` per line, indented",
                )
            };
            (
                format!("wrong type for {at}: expected {what}"),
                Some(hint.to_owned()),
            )
        }
        E::InvalidScalar { ty, .. } => {
            let (what, example) = match *ty {
                "bool" => ("`true` or `false`", "true"),
                "f64" | "f32" => ("a number", "95"),
                "u64" | "u32" | "u16" | "u8" | "i64" | "i32" => ("a whole number", "2"),
                other => (other, ""),
            };
            let hint = if example.is_empty() {
                None
            } else {
                Some(format!("write {what}, e.g. `{example}`"))
            };
            (format!("wrong type for {at}: expected {what}"), hint)
        }
        E::UnknownAnchor { .. } => (
            "unknown alias: no anchor of that name is defined above".to_owned(),
            Some("define the anchor (`&name`) before using it (`*name`)".to_owned()),
        ),
        E::Budget { .. } => (
            "the file is too deeply nested or too large to be a config".to_owned(),
            None,
        ),
        other => {
            let msg = serde_saphyr::UserMessageFormatter
                .format_message(other)
                .into_owned();
            (format!("invalid YAML: {msg}"), None)
        }
    };
    let line_text = text.split('\n').nth(line.saturating_sub(1)).unwrap_or("");
    let hint = hint.or_else(|| {
        if text.contains('\t') && (line_text.contains('\t') || message.contains("invalid YAML")) {
            Some("YAML does not allow tabs for indentation: use spaces".to_owned())
        } else if message.starts_with("invalid YAML") {
            Some("check the indentation and quoting on this line and the one above".to_owned())
        } else {
            Some("`slipway config schema` describes every key and the values it accepts".to_owned())
        }
    });
    Diagnostic {
        file: file.to_owned(),
        line,
        column,
        message,
        snippet: diagnostic::snippet(text, line, column, mask),
        hint,
    }
}

fn did_you_mean(word: &str, expected: &[&str], what: &str) -> String {
    let valid = format!("valid {what}: {}", diagnostic::list(expected));
    match diagnostic::suggest(word, expected) {
        Some(s) => format!("did you mean `{s}`? {valid}"),
        None => valid,
    }
}

/// Serde's "expected" phrases in user terms.
fn describe(expected: &str) -> String {
    let expected = expected.trim();
    if expected.starts_with("struct ") || expected.starts_with("a map") || expected == "map" {
        "a mapping".to_owned()
    } else if expected == "u64"
        || expected == "u32"
        || expected == "u16"
        || expected.contains("integer")
    {
        "a whole number".to_owned()
    } else if expected == "f64" || expected.contains("float") {
        "a number".to_owned()
    } else if expected == "a sequence" || expected.starts_with("a sequence") {
        "a list".to_owned()
    } else {
        expected.to_owned()
    }
}

/// The JSON Schema of `slipway.yml`, with `$id` and `title`, for editors (yaml-language-server)
/// and `slipway config schema`.
pub fn schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Config);
    schema.insert(
        "$id".to_owned(),
        serde_json::Value::String(SCHEMA_ID.to_owned()),
    );
    serde_json::to_value(schema).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Result<Config, Box<Diagnostic>> {
        parse(text.as_bytes(), "slipway.yml")
    }

    #[test]
    fn an_empty_file_means_defaults() {
        assert_eq!(parse_str("").expect("empty"), Config::default());
        assert_eq!(
            parse_str("# only a comment\n").expect("comment"),
            Config::default()
        );
    }

    #[test]
    fn the_design_sketch_parses() {
        let text = r#"
version: 1
project: { name: shop }
actions: { repo: slipway-ci/slipway }
ci: { shards: 2, pass-rate: 95, coverage: { min: 80, max-drop: 2 } }
security: { secrets: true, dependencies: true, workflows: true, fail-on: high }
environments:
  dev:        { branch: develop, strategy: rolling }
  staging:    { branch: main,    strategy: blue-green, after: dev }
  production: { on: release, strategy: blue-green, approval: true, window: "Mon-Thu 09:00-16:00 UTC" }
deploy:
  target: hosts
  health: { path: /up, interval: 1s, timeout: 5s, deadline: 30s, drain: 30s }
release: { tag-prefix: v, changelog: CHANGELOG.md, floating-major-tag: true }
notify: { slack-webhook-secret: SLACK_WEBHOOK_URL }
"#;
        let c = parse_str(text).expect("sketch");
        assert_eq!(c.ci.shards.get(), 2);
        let names: Vec<&str> = c.environments.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["dev", "staging", "production"]);
        let staging = c.environments.get("staging").expect("staging");
        assert_eq!(
            staging.after.as_ref().map(|a| (a.line, a.column)),
            Some((9, 63))
        );
    }

    #[test]
    fn notify_names_the_smtp_secrets_and_refuses_their_values() {
        let c = parse_str(
            "version: 1\nnotify:\n  email: [ops@example.com]\n  smtp-host-secret: SMTP_HOST\n  smtp-port-secret: SMTP_PORT\n  smtp-user-secret: SMTP_USER\n  smtp-password-secret: SMTP_PASSWORD\n",
        )
        .expect("smtp keys");
        assert_eq!(
            c.notify
                .smtp_password_secret
                .as_ref()
                .map(SecretName::as_str),
            Some("SMTP_PASSWORD")
        );
        assert_eq!(Notify::default().smtp_host_secret, None);
        let e = parse_str("version: 1\nnotify:\n  smtp-password-secret: hunter2 with spaces\n")
            .expect_err("a value, not a name");
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn release_publish_names_known_registries_once() {
        let c = parse(b"release: { publish: [crates, pypi] }\n", "slipway.yml").expect("valid");
        let names: Vec<&str> = c.release.publish.iter().map(|r| r.value.as_str()).collect();
        assert_eq!(names, ["crates", "pypi"]);
        let e = parse(b"release:\n  publish: [npm, npm]\n", "slipway.yml").expect_err("twice");
        assert_eq!(e.message, "`release.publish` lists `npm` twice");
        assert_eq!((e.line, e.hint.as_deref()), (2, Some("remove one")));
    }

    #[test]
    fn unknown_keys_name_the_section_and_suggest() {
        let e = parse_str("version: 1\nci:\n  cover.age: 2\n").expect_err("unknown");
        assert_eq!(e.message, "unknown key `cover.age` in `ci`");
        let e = parse_str("version: 1\nci:\n  shard: 2\n").expect_err("unknown");
        assert_eq!(e.message, "unknown key `shard` in `ci`");
        assert_eq!((e.line, e.column), (3, 3));
        assert!(
            e.hint
                .as_deref()
                .is_some_and(|h| h.starts_with("did you mean `shards`?")),
            "{e:?}"
        );
    }

    #[test]
    fn the_hosts_target_reads_its_runtime_ssh_state_and_nginx_keys() {
        let c = parse_str(
            r#"
deploy:
  hosts:
    instances: 3
    base-port: 9000
    start: ./app --port {port}
    runtime: podman
    image: ghcr.io/acme/shop
    container-port: 3000
    ssh: deploy@app-1.internal
    address: 10.0.0.5
    state-dir: /var/lib/slipway
    nginx:
      binary: /usr/sbin/nginx
      config: /etc/nginx/nginx.conf
      upstream-file: /etc/nginx/conf.d/shop.upstream.conf
      access-log: /var/log/nginx/slipway.log
  canary: { steps: [25, 100], max-error-rate: 0.5 }
"#,
        )
        .expect("hosts");
        let h = &c.deploy.hosts;
        assert_eq!(h.runtime, HostsRuntime::Podman);
        assert_eq!(h.container_port, 3000);
        assert_eq!(h.ssh.as_deref(), Some("deploy@app-1.internal"));
        assert_eq!(h.nginx.binary, "/usr/sbin/nginx");
        assert_eq!(h.nginx.prefix, None);
        assert_eq!(c.deploy.canary.max_error_rate.get(), 0.5);
        let e = parse_str("deploy:\n  hosts:\n    runtime: lxc\n").expect_err("runtime");
        assert_eq!(e.message, "unknown value `lxc` for `deploy.hosts.runtime`");
        assert_eq!((e.line, e.column), (3, 14));
        let e = parse_str("deploy:\n  hosts:\n    nginx: { upstream: x }\n").expect_err("key");
        assert_eq!(e.message, "unknown key `upstream` in `deploy.hosts.nginx`");
        let e = parse_str("deploy:\n  hosts:\n    start: ./app\n").expect_err("port");
        assert!(e.message.contains("has no `{port}`"), "{e:?}");
    }

    #[test]
    fn ci_services_are_a_list_or_a_mapping_with_settings() {
        let c = parse_str("ci:\n  services: [postgres, redis, postgres]\n").expect("list");
        let kinds: Vec<ServiceKind> =
            c.ci.services
                .as_ref()
                .expect("services")
                .iter()
                .map(|s| s.kind.value)
                .collect();
        assert_eq!(kinds, [ServiceKind::Postgres, ServiceKind::Redis]);
        let c = parse_str(
            "ci:\n  services:\n    postgres: { version: \"16\", database: app_test }\n    redis:\n",
        )
        .expect("mapping");
        let services = c.ci.services.expect("services");
        let pg = &services.0[0];
        assert_eq!((pg.kind.line, pg.kind.column), (3, 5));
        assert_eq!(
            pg.settings.version.as_ref().map(ToolVersion::as_str),
            Some("16")
        );
        assert_eq!(
            pg.settings.database.as_ref().map(Word::as_str),
            Some("app_test")
        );
        assert_eq!(services.0[1].settings, ServiceSettings::default());
        let c = parse_str("ci:\n  services: []\n").expect("none");
        assert!(c.ci.services.expect("explicit").is_empty());
        assert_eq!(Config::default().ci.services, None);
    }

    #[test]
    fn an_unsupported_service_names_the_key_and_suggests() {
        let e = parse_str("ci:\n  services: [postgress]\n").expect_err("unknown");
        assert_eq!(e.message, "unknown value `postgress` for `ci.services[0]`");
        assert_eq!((e.line, e.column), (2, 14));
        assert!(
            e.hint
                .as_deref()
                .is_some_and(|h| h.starts_with("did you mean `postgres`?")),
            "{e:?}"
        );
        let e = parse_str("ci:\n  services:\n    mongo: {}\n").expect_err("unknown key");
        assert_eq!(e.message, "unknown value `mongo` for `ci.services`");
        assert_eq!((e.line, e.column), (3, 5));
        assert!(
            e.hint.as_deref().is_some_and(|h| h.contains("`mongodb`")),
            "{e:?}"
        );
        let e = parse_str("ci:\n  services:\n    postgres: { versoin: \"16\" }\n")
            .expect_err("unknown setting");
        assert_eq!(e.message, "unknown key `versoin` in `ci.services.postgres`");
        let e = parse_str("ci:\n  services:\n    postgres: { image: postgres }\n")
            .expect_err("untagged");
        assert!(e.message.contains("has no fixed tag"), "{e:?}");
        let e = parse_str("ci:\n  services: [mysql, redis, mariadb]\n").expect_err("port");
        assert_eq!((e.line, e.column), (2, 28));
        assert!(e.message.contains("same port (3306)"), "{e:?}");
        let e = parse_str("ci:\n  services:\n    postgres: { database: \"app test\" }\n")
            .expect_err("word");
        assert!(e.message.contains("ci.services.postgres.database"), "{e:?}");
    }

    #[test]
    fn ci_env_and_secrets_are_checked_once_at_load() {
        let c = parse_str(
            "ci:\n  env: { DJANGO_SETTINGS_MODULE: app.settings.test, DEBUG: 1 }\n  secrets: [STRIPE_KEY]\n",
        )
        .expect("env");
        let env: Vec<(&str, &str)> =
            c.ci.env
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
        assert_eq!(
            env,
            [
                ("DJANGO_SETTINGS_MODULE", "app.settings.test"),
                ("DEBUG", "1")
            ]
        );
        assert_eq!(c.ci.secrets[0].as_str(), "STRIPE_KEY");
        for (text, needle, at) in [
            (
                "ci:\n  env: { PATH: /x }\n",
                "`PATH` cannot be set",
                (2, 10),
            ),
            (
                "ci:\n  env:\n    GITHUB_TOKEN: x\n",
                "`GITHUB_TOKEN` cannot be set",
                (3, 5),
            ),
            (
                "ci:\n  env: { A: \"x\\ny\" }\n",
                "must be one line",
                (2, 13),
            ),
            (
                "ci:\n  env: { A: \"${{ github.token }}\" }\n",
                "evaluate as an expression",
                (2, 13),
            ),
            (
                "ci:\n  secrets: [LD_PRELOAD]\n",
                "`LD_PRELOAD` cannot be set",
                (2, 13),
            ),
        ] {
            let e = parse_str(text).expect_err(text);
            assert!(e.message.contains(needle), "{text}: {e:?}");
            assert_eq!((e.line, e.column), at, "{text}: {e:?}");
        }
    }

    #[test]
    fn ci_units_take_commands_steps_a_toolchain_and_a_matrix() {
        let c = parse_str(
            r#"
ci:
  units:
    web:
      install: npm install --legacy-peer-deps
      build: none
      before-test: ["npx playwright install --with-deps"]
      toolchain: "22"
      matrix: [3.10, "3.13"]
    api:
      matrix: { version: auto, os: [ubuntu-24.04, macos-15] }
    app:
      matrix: none
"#,
        )
        .expect("units");
        let (id, web) = c.ci.units.get_index(0).expect("web");
        assert_eq!(id, "web");
        assert_eq!(c.ci.key_spots.get("units.web"), (4, 5));
        assert_eq!(web.build.as_ref().and_then(Command::get), None);
        assert_eq!(web.toolchain.as_ref().map(ToolVersion::as_str), Some("22"));
        let m = web.matrix.as_ref().expect("matrix");
        let Some(Versions::List(list)) = &m.versions else {
            panic!("{m:?}")
        };
        let v: Vec<&str> = list.iter().map(|v| v.value.as_str()).collect();
        assert_eq!(v, ["3.10", "3.13"], "3.10 stays 3.10");
        let api = &c.ci.units[1];
        let m = api.matrix.as_ref().expect("matrix");
        assert_eq!(m.versions, Some(Versions::Auto));
        assert_eq!(m.os.len(), 2);
        assert_eq!(
            c.ci.units[2]
                .matrix
                .as_ref()
                .and_then(|m| m.versions.clone()),
            Some(Versions::None)
        );
        let back = serde_saphyr::to_string(&c).expect("serialize");
        assert_eq!(parse_str(&back).expect("parse back"), c, "{back}");
    }

    #[test]
    fn bad_unit_settings_name_the_key() {
        for (text, needle, at) in [
            (
                "ci:\n  units:\n    web: { matrix: [\"3.x.1\"] }\n",
                "`ci.units.web.matrix[0]`: `3.x.1` is not a version",
                (3, 21),
            ),
            (
                "ci:\n  units:\n    web: { matrix: latest }\n",
                "`latest` is not a matrix",
                (3, 20),
            ),
            (
                "ci:\n  units:\n    web: { matrix: [] }\n",
                "list of versions is empty",
                (3, 20),
            ),
            (
                "ci:\n  units:\n    web: { toolchain: lts }\n",
                "`lts` is not a version",
                (3, 23),
            ),
            (
                "ci:\n  units:\n    web: { tests: x }\n",
                "unknown key `tests` in `ci.units.web`",
                (3, 12),
            ),
            (
                "ci:\n  units:\n    web: { build: \"\" }\n",
                "the command is empty",
                (3, 19),
            ),
            (
                "ci:\n  units:\n    web: { matrix: { os: [\"Mac OS\"] } }\n",
                "not a runner label",
                (3, 27),
            ),
            (
                "ci:\n  services: [redis]\n  units:\n    web: { matrix: { os: [macos-15] } }\n",
                "needs Linux runners",
                (4, 27),
            ),
        ] {
            let e = parse_str(text).expect_err(text);
            assert!(e.message.contains(needle), "{text}: {e:?}");
            assert_eq!((e.line, e.column), at, "{text}: {e:?}");
            assert!(e.hint.is_some(), "{text}: {e:?}");
        }
    }

    #[test]
    fn licenses_read_allow_deny_and_severity_in_canonical_spelling() {
        let c = parse_str(
            "security:\n  licenses:\n    allow: [mit, Apache-2.0, LicenseRef-Acme]\n    deny: [GPL-3.0, AGPL-3.0+]\n    severity: medium\n",
        )
        .expect("valid");
        let l = c.security.licenses.expect("given");
        let ids = |v: &[Located<LicenseId>]| -> Vec<String> {
            v.iter().map(|i| i.value.as_str().to_owned()).collect()
        };
        assert_eq!(ids(&l.allow), ["MIT", "Apache-2.0", "LicenseRef-Acme"]);
        assert_eq!(ids(&l.deny), ["GPL-3.0-only", "AGPL-3.0-or-later"]);
        assert_eq!(l.severity, LicenseSeverity::Medium);
        assert_eq!(l.allow[1].line, 3);
        let d = parse_str("security: { licenses: { deny: [GPL-3.0-only] } }\n").expect("flow");
        assert_eq!(
            d.security.licenses.expect("given").severity,
            LicenseSeverity::High
        );
        assert!(Config::default().security.licenses.is_none());
    }

    #[test]
    fn an_unknown_licence_id_is_a_located_error_with_a_suggestion() {
        let e = parse_str("security:\n  licenses:\n    allow: [MIT, Apache2.0]\n")
            .expect_err("unknown id");
        assert_eq!(e.line, 3);
        assert!(
            e.message.contains(
                "`security.licenses.allow[1]`: `Apache2.0` is not a known SPDX licence id"
            ),
            "{e:?}"
        );
        let hint = e.hint.clone().unwrap_or_default();
        assert!(hint.contains("did you mean `Apache-2.0`?"), "{hint}");
        let e = parse_str("security:\n  licenses:\n    alow: [MIT]\n").expect_err("typo");
        assert_eq!(e.message, "unknown key `alow` in `security.licenses`");
    }

    #[test]
    fn code_scanning_is_auto_by_default_and_reads_on_and_off() {
        assert_eq!(
            Config::default().security.code_scanning.value,
            CodeScanning::Auto
        );
        for (text, want) in [
            ("auto", CodeScanning::Auto),
            ("on", CodeScanning::On),
            ("off", CodeScanning::Off),
        ] {
            let c = parse_str(&format!("version: 1\nsecurity:\n  code-scanning: {text}\n"))
                .expect(text);
            assert_eq!(c.security.code_scanning.value, want);
            assert_eq!(want.as_str(), text);
            assert_eq!(
                (
                    c.security.code_scanning.line,
                    c.security.code_scanning.column
                ),
                (3, 18)
            );
        }
        let c = parse_str("security: { code-scanning: off, fail-on: critical }\n").expect("flow");
        assert_eq!(c.security.code_scanning.value, CodeScanning::Off);
        assert_eq!(c.security.fail_on, Severity::Critical);
    }

    #[test]
    fn a_wrong_code_scanning_value_is_located_and_suggests_the_nearest() {
        let e = parse_str("version: 1\nsecurity:\n  secrets: true\n  code-scanning: offf\n")
            .expect_err("offf");
        assert_eq!(
            e.message,
            "unknown value `offf` for `security.code-scanning`"
        );
        assert_eq!((e.line, e.column), (4, 18));
        let hint = e.hint.as_deref().unwrap_or_default();
        assert!(hint.starts_with("did you mean `off`?"), "{hint}");
        assert!(hint.contains("`auto`") && hint.contains("`on`"), "{hint}");
        let e = parse_str("security:\n  code-scanning: true\n").expect_err("a bool");
        assert!(e.message.contains("`security.code-scanning`"), "{e:?}");
        assert_eq!(e.line, 2);
        let e = parse_str("security:\n  code_scanning: on\n").expect_err("snake case");
        assert_eq!(e.message, "unknown key `code_scanning` in `security`");
        assert!(
            e.hint
                .as_deref()
                .is_some_and(|h| h.starts_with("did you mean `code-scanning`?")),
            "{e:?}"
        );
    }

    #[test]
    fn the_release_trigger_is_manual_by_default_and_can_be_push_or_pr() {
        assert_eq!(
            Config::default().release.trigger.value,
            ReleaseTrigger::Manual
        );
        assert!(Config::default().environments.is_empty());
        let c = parse_str("release: { trigger: push, tag-prefix: \"\" }\n").expect("push");
        assert_eq!(c.release.trigger.value, ReleaseTrigger::Push);
        assert_eq!(c.release.tag_prefix(), "");
        let c = parse_str("release:\n  trigger: pr\n").expect("pr");
        assert_eq!(c.release.trigger.value, ReleaseTrigger::Pr);
        assert_eq!((c.release.trigger.line, c.release.trigger.column), (2, 12));
        let e = parse_str("release:\n  trigger: pull-request\n").expect_err("unknown");
        assert!(e.message.contains("pull-request"), "{e:?}");
        let e = parse_str("release:\n  extra-files: [src/v.py, ../outside.txt]\n")
            .expect_err("outside");
        assert_eq!(
            e.message,
            "`release.extra-files` has `../outside.txt`, which is not inside the repository"
        );
        assert_eq!(e.line, 2);
        let e = parse_str("release:\n  patch-types: [fix, \"chore(deps\"]\n").expect_err("type");
        assert!(e.message.contains("`chore(deps`"), "{}", e.message);
        let c = parse_str("release:\n  patch-types: [fix, chore(deps)]\n  squash-bodies: true\n")
            .expect("rules");
        assert!(c.release.squash_bodies);
        assert_eq!(c.release.patch_types[1].value, "chore(deps)");
    }

    #[test]
    fn per_unit_releases_take_linked_groups_of_two_or_more_names_each_named_once() {
        assert_eq!(Config::default().release.units, ReleaseUnits::Single);
        let c = parse_str(
            "release:\n  units: per-unit\n  linked: [[core, cli], [web, api]]\n  unit-overrides:\n    tools/old: { name: old-cli, skip: true }\n",
        )
        .expect("per-unit");
        assert_eq!(c.release.units, ReleaseUnits::PerUnit);
        assert_eq!(c.release.linked[1][0].value, "web");
        assert_eq!(
            (c.release.linked[1][0].line, c.release.linked[1][0].column),
            (3, 26)
        );
        let o = &c.release.unit_overrides["tools/old"];
        assert_eq!(o.name.as_ref().map(|n| n.value.as_str()), Some("old-cli"));
        assert!(o.skip);
        let e = parse_str("release:\n  units: per-unit\n  linked: [[core, cli], [cli, web]]\n")
            .expect_err("twice");
        assert_eq!(e.message, "`release.linked` names `cli` twice");
        assert_eq!((e.line, e.column), (3, 26));
        let e = parse_str("release:\n  units: per-unit\n  linked: [[core]]\n").expect_err("one");
        assert_eq!(
            e.message,
            "`release.linked` has a group of one unit, `core`"
        );
        let e = parse_str("release:\n  linked: [[core, cli]]\n").expect_err("single");
        assert!(
            e.message.contains("`release.units` is `single`"),
            "{}",
            e.message
        );
        let e = parse_str(
            "release:\n  units: per-unit\n  unit-overrides: { a: { changelog: ../x.md } }\n",
        )
        .expect_err("outside");
        assert!(e.line == 3, "{e:?}");
    }

    #[test]
    fn release_targets_must_be_known_buildable_and_listed_once() {
        let c = parse_str("release:\n  targets: [x86_64-unknown-linux-musl, aarch64-apple-darwin]\n  installer: true\n")
            .expect("targets");
        assert_eq!(
            c.release.target_list(),
            ["x86_64-unknown-linux-musl", "aarch64-apple-darwin"]
        );
        assert!(c.release.installer);
        assert_eq!(Config::default().release.target_list().len(), 6);
        let e = parse_str("release:\n  targets:\n    - x86_64-unknown-linux-musl\n    - x86_64-unknown-linux-mus\n")
            .expect_err("unknown");
        assert_eq!(
            e.message,
            "`release.targets` has `x86_64-unknown-linux-mus`, which is not a target triple"
        );
        assert_eq!(e.line, 4);
        assert_eq!(
            e.hint.as_deref(),
            Some("did you mean `x86_64-unknown-linux-musl`?")
        );
        let e =
            parse_str("release: { targets: [x86_64-unknown-freebsd] }\n").expect_err("no linker");
        assert!(
            e.message.contains(
                "`x86_64-unknown-freebsd`, whose linker the release workflow cannot provide"
            ),
            "{}",
            e.message
        );
        let e = parse_str("release: { targets: [aarch64-apple-darwin, aarch64-apple-darwin] }\n")
            .expect_err("twice");
        assert_eq!(
            e.message,
            "`release.targets` lists `aarch64-apple-darwin` twice"
        );
    }

    #[test]
    fn the_default_branch_and_tag_prefix_come_from_git_unless_configured() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join(".git/refs/tags")).expect("mkdir");
        std::fs::write(dir.path().join(".git/HEAD"), "ref: refs/heads/master\n").expect("HEAD");
        std::fs::write(dir.path().join(".git/refs/tags/1.4.0"), "x\n").expect("tag");
        let loaded = load(dir.path(), None).expect("defaults");
        assert_eq!(loaded.config.project.default_branch(), "master");
        assert_eq!(loaded.config.release.tag_prefix(), "");
        assert_eq!(loaded.derived.len(), 2);
        std::fs::write(
            dir.path().join(FILE_NAME),
            "project: { default-branch: trunk }\nrelease: { tag-prefix: v }\n",
        )
        .expect("config");
        let loaded = load(dir.path(), None).expect("file");
        assert_eq!(loaded.config.project.default_branch(), "trunk");
        assert_eq!(loaded.config.release.tag_prefix(), "v");
        assert!(loaded.derived.is_empty());
    }

    #[test]
    fn defaults_serialize_and_parse_back_unchanged() {
        let text = serde_saphyr::to_string(&Config::default()).expect("serialize");
        assert_eq!(parse_str(&text).expect("parse"), Config::default());
    }

    #[test]
    fn the_schema_has_an_id_a_title_and_descriptions() {
        let s = schema();
        assert_eq!(s["$id"], SCHEMA_ID);
        assert_eq!(s["title"], "slipway.yml");
        assert!(s["properties"]["ci"]["description"].is_string());
    }
}
