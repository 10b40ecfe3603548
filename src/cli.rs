//! The command line: clap types, one `<Name>Args` per subcommand, and the dispatch.
//!
//! Clap types stop here: each command turns its args into the capability's `Settings` and calls
//! its `run`. Data goes to stdout, logs and warnings to stderr. Exit codes: 0 done, 1 the check
//! ran and failed, 2 the command could not run.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::error::{EXIT_ERROR, EXIT_OK, Failure};
use crate::{config, detect, github, init};

/// `eprintln!` for lines that may hold untrusted text (paths, keys, values): they can never
/// start a workflow command (see [`github::safe`]).
macro_rules! say {
    ($($arg:tt)*) => {{
        let line = format!($($arg)*);
        eprintln!("{}", crate::github::safe::neutralize(&line));
    }};
}

/// The version line: the crate version and the commit the binary was built from.
const VERSION_LINE: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("SLIPWAY_COMMIT"), ")");

/// slipway gives a repository a complete, secure GitHub Actions pipeline in one command.
#[derive(Debug, Parser)]
#[command(
    name = "slipway",
    version = VERSION_LINE,
    propagate_version = true,
    after_help = "Examples:\n  slipway gen-workflows       write .github/workflows for this repository\n  slipway detect              what is this repository made of?\n  slipway init                write a commented slipway.yml from detection\n  slipway config validate     check slipway.yml\n\nDocumentation: https://github.com/slipway-ci/slipway#readme"
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Every subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Detect the languages, package managers, toolchains and test commands of a repository.
    #[command(
        after_help = "Examples:\n  slipway detect\n  slipway detect --json path/to/repo | jq .test_commands"
    )]
    Detect(DetectArgs),
    /// Write a commented slipway.yml from what detection finds.
    #[command(after_help = "Examples:\n  slipway init\n  slipway init --force path/to/repo")]
    Init(InitArgs),
    /// Render the ci, cd, security, quality, quality-comment, release and rollback workflows into .github/workflows.
    #[command(
        name = "gen-workflows",
        after_help = "Examples:\n  slipway gen-workflows                 write or update .github/workflows/*.yml\n  slipway gen-workflows --check         exit 1 with a diff when a file is stale or edited\n  slipway gen-workflows --dry-run       show what would change, write nothing\n  slipway gen-workflows --only ci,cd    render a subset\n  slipway gen-workflows --templates .slipway/templates   override templates by file name\n\nGenerated files start with a header and the sha256 of their body: a file edited by hand is\nnever overwritten without --force, and files of other tools are never touched."
    )]
    GenWorkflows(GenWorkflowsArgs),
    /// Inspect and check slipway.yml.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Decide the next version from conventional commits, write the changelog, tag and publish.
    #[command(
        disable_version_flag = true,
        args_conflicts_with_subcommands = true,
        after_help = "Examples:\n  slipway release                       print the next version (dry run outside CI)\n  slipway release --json                the decision as JSON for scripts\n  slipway release --pre rc              the next 1.3.0-rc.N\n  slipway release --version 2.0.0       force a version\n  slipway release --no-dry-run --asset dist/app.tar.gz\n                                        tag, push and publish the GitHub release\n  slipway release plan --notes notes.md\n                                        decide in a read-only job (workflows)\n  slipway release publish --tag v1.3.0 --target \"$GITHUB_SHA\" --notes notes.md\n                                        tag and publish through the API (workflows)\n\nA real run needs GITHUB_TOKEN with `contents: write` and the full history (`fetch-depth: 0`)."
    )]
    Release(ReleaseArgs),
    /// Run the test suites, read their results and coverage, gate and report.
    #[command(
        name = "run-tests",
        args_conflicts_with_subcommands = true,
        after_help = "Examples:\n  slipway run-tests                                  run the detected suites, gate, report\n  slipway run-tests --shard 2/4 --retries 2          one matrix job of four, failed tests retried\n  slipway run-tests --skip-run --results 'reports/**/*.xml' --coverage lcov.info --json\n  slipway run-tests merge shard-*/report.json        one report and one decision for all shards\n\nExit codes: 0 every gate held, 1 a gate failed, 2 could not run."
    )]
    RunTests(Box<crate::run_tests::cli::RunTestsArgs>),
    /// Plan a job's toolchains, dependency cache, variables and secrets (the setup-environment action).
    #[command(
        name = "setup-environment",
        after_help = "Examples:\n  slipway setup-environment                              plan from detection, print it\n  slipway setup-environment --stacks rust,node --json    the plan as JSON\n  SLIPWAY_WORKING_DIRECTORY=backend slipway setup-environment\n  slipway setup-environment --environment staging        check its secrets, export its variables\n\nIn Actions the plan becomes step outputs (rust-version, node-version, cache-key ...) that the\nsetup-environment action feeds to pinned setup actions and actions/cache."
    )]
    SetupEnvironment(SetupEnvironmentArgs),
    /// DORA figures and pipeline health from the GitHub API, checked against the targets.
    #[command(
        after_help = "Examples:\n  slipway metrics                                   the last 30 days of production, as a table\n  slipway metrics --since 12w --env staging --json  machine-readable\n  slipway metrics --html report.html --markdown metrics.md\n  slipway metrics --repo octo/shop --fail-on-breach --notify\n  slipway metrics --test-reports artifacts/ --comment 17\n  slipway metrics --test-artifacts test-results-     flaky tests from report artifacts\n\nNeeds GITHUB_TOKEN with `actions: read` and `deployments: read` (and `pull-requests: read`\nfor lead time). Answers are cached with their ETags, so a re-run costs few requests.\nExit codes: 0 done, 1 a target missed with --fail-on-breach, 2 could not run."
    )]
    Metrics(Box<crate::metrics::cli::MetricsArgs>),
    /// Send deployment and rollback notifications to Slack, a JSON webhook and email.
    #[command(
        subcommand,
        after_help = "Examples:\n  slipway notify deploy --environment production --version v1.4.0 --status success \\\n    --deploy success --rollback skipped --url https://shop.example\n  slipway notify rollback --environment production --version v1.3.2 --status success --url \"\""
    )]
    Notify(crate::notify::cli::NotifyCommand),
    /// Repository-wide quality decisions over every subproject's test reports.
    #[command(
        subcommand,
        after_help = "Examples:\n  slipway quality gate --subproject api=success --subproject web=skipped --baseline base/quality.json\n  slipway quality comment --pull-request 42 --report _slipway/quality\n\nThe quality workflow's gate job runs `slipway quality gate` after the coverage jobs."
    )]
    Quality(crate::quality::cli::QualityCommand),
    /// Deploy a version to an environment with health checks and automatic rollback.
    #[command(
        disable_version_flag = true,
        args_conflicts_with_subcommands = true,
        after_help = "Examples:\n  slipway deploy --env staging --version 1.4.2          the environment's strategy\n  slipway deploy --env staging --version 1.4.2 --artifact dist/ --strategy blue-green\n  slipway deploy --env production --version 1.4.2 --dry-run    print the plan\n  slipway deploy --env production --version 1.4.2 --force-window --reason \"hotfix\"\n  slipway deploy rollback --env production              back to the previous version\n  slipway deploy status --env production                live version, instances, history\n\nExit codes: 0 the version is live and healthy, 1 it failed its checks and the previous\nversion serves, 2 could not run (nothing was changed when the error says so)."
    )]
    Deploy(Box<crate::deploy::cli::DeployArgs>),
    /// Scan for committed secrets, vulnerable dependencies and risky workflows; SARIF, summary, exit code by severity.
    #[command(
        name = "security-scan",
        args_conflicts_with_subcommands = true,
        after_help = crate::security::cli::AFTER_HELP
    )]
    SecurityScan(Box<crate::security::cli::SecurityScanArgs>),
}

/// Arguments of `slipway setup-environment`. Values are strings validated by
/// [`crate::setup`], so a malformed action input is reported with its input name.
#[derive(Debug, Args)]
pub struct SetupEnvironmentArgs {
    /// The workspace root, e.g. `.` or `../shop`.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// The config file, e.g. `deploy/slipway.yml` (default: `DIR/slipway.yml` when present).
    #[arg(long, value_name = "FILE", env = "SLIPWAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// `auto` (detect), `none` (only slipway), or a comma list, e.g. `--stacks rust,node`.
    #[arg(
        long,
        value_name = "STACKS",
        env = "SLIPWAY_STACKS",
        default_value = "auto"
    )]
    pub stacks: String,
    /// The subproject whose toolchain files and lockfiles are read, e.g. `--working-directory backend`.
    #[arg(
        long,
        value_name = "DIR",
        env = "SLIPWAY_WORKING_DIRECTORY",
        default_value = "."
    )]
    pub working_directory: String,
    /// Plan the dependency cache, e.g. `--cache false` (`true` or `false`).
    #[arg(
        long,
        value_name = "BOOL",
        env = "SLIPWAY_CACHE",
        default_value = "true"
    )]
    pub cache: String,
    /// Plan the dependency install command, e.g. `--install-dependencies false`.
    #[arg(
        long,
        value_name = "BOOL",
        env = "SLIPWAY_INSTALL_DEPENDENCIES",
        default_value = "true"
    )]
    pub install_dependencies: String,
    /// The deploy environment whose secrets are checked and variables exported, e.g.
    /// `--environment staging`.
    #[arg(long, value_name = "NAME", env = "SLIPWAY_ENVIRONMENT")]
    pub environment: Option<String>,
    /// The toolchain version of the one stack set up, instead of the repository's, e.g.
    /// `--toolchain-version 1.78` (the action's `version` input).
    #[arg(
        long = "toolchain-version",
        value_name = "VERSION",
        env = "SLIPWAY_VERSION",
        default_value = ""
    )]
    pub toolchain_version: String,
    /// Print the plan as JSON on stdout, e.g. `--json | jq .cache.key`.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `slipway release`.
#[derive(Debug, Args)]
pub struct ReleaseArgs {
    /// `plan` or `publish`, or nothing to decide and release from this checkout.
    #[command(subcommand)]
    pub command: Option<ReleaseCommand>,
    /// The decision.
    #[command(flatten)]
    pub decision: ReleaseDecisionArgs,
    /// Decide and print, change nothing, e.g. `--dry-run` or `--dry-run=false`; the default
    /// outside CI (when `CI` is not `true`).
    #[arg(long, env = "SLIPWAY_DRY_RUN", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub dry_run: Option<bool>,
    /// Make the release even outside CI, e.g. `slipway release --no-dry-run`.
    #[arg(long, conflicts_with = "dry_run")]
    pub no_dry_run: bool,
    /// A file to attach to the GitHub release, e.g. `--asset dist/app.tar.gz` (repeat it, or
    /// separate with commas in `SLIPWAY_ASSET`).
    #[arg(
        long,
        env = "SLIPWAY_ASSET",
        value_delimiter = ',',
        value_name = "FILE"
    )]
    pub asset: Vec<PathBuf>,
}

/// `slipway release` subcommands: the two halves of a release split by privilege.
#[derive(Debug, Subcommand)]
pub enum ReleaseCommand {
    /// Decide the next version in a read-only job: print it, write the notes and the outputs
    /// `release`, `version` and `tag`.
    #[command(
        disable_version_flag = true,
        after_help = "Examples:\n  slipway release plan --notes _slipway/release/notes.md\n  slipway release plan --tag-prefix mytool-v --json\n\nIn Actions it sets the step outputs `release` (`true` or `false`), `version` and `tag`.\nWith nothing to release it sets `release=false`, says why and exits 0."
    )]
    Plan(ReleasePlanArgs),
    /// Create the tag and publish the GitHub release through the API, with no checkout.
    #[command(
        after_help = "Examples:\n  slipway release publish --tag v1.3.0 --target \"$GITHUB_SHA\" --notes notes.md\n  slipway release publish --tag v1.3.0 --target \"$GITHUB_SHA\" --notes notes.md \\\n    --assets _slipway/assets --floating-major-tag --dispatch-workflow cd.yml\n  slipway release publish --tags \"$TAGS\" --target \"$GITHUB_SHA\" --notes-dir _slipway/release/notes\n\nNeeds GITHUB_TOKEN with `contents: write` (and `actions: write` for --dispatch-workflow) and\nGITHUB_REPOSITORY. A re-run after a failure resumes: nothing is created twice."
    )]
    Publish(ReleasePublishArgs),
    /// Open or update the release pull request (`release.trigger: pr`): one branch and one
    /// pull request bumping the version in every manifest and prepending the changelog
    /// section, its commit made through the API so GitHub signs it. Merging it releases: the
    /// push of the merged commit makes `release plan` publish that version.
    #[command(
        after_help = "Examples:\n  slipway release pr --dry-run          print the version, the files and the notes; change nothing\n  slipway release pr --base main        open or update the pull request (in the release workflow)\n  slipway release pr --dry-run --json   the same as JSON for scripts\n\nThe version comes from the commits since the last tag, as for `release plan` (a `BREAKING CHANGE`\nfooter makes a major). With nothing to release it writes nothing, says why and exits 0; a release\npull request already open is left as it is (merging it releases nothing) and named. When `HEAD` is\nthe merged release commit it does nothing: the release workflow publishes it. A release branch\nwith a commit slipway did not make is refused, and nothing is pushed.\n\nNeeds GITHUB_TOKEN with `contents: write` (the branch and its commit) and `pull-requests: write`,\nGITHUB_REPOSITORY, and the full history (`fetch-depth: 0`). A pull request opened with the\nworkflow's GITHUB_TOKEN starts no `pull_request` workflows."
    )]
    Pr(ReleasePrArgs),
    /// Pin a published slipway release for the composite actions: a pull request (its commit
    /// made and signed by GitHub) writing the version, source digest and archive sums to
    /// `scripts/release-checksums.txt`.
    #[command(
        name = "pin-binary",
        after_help = "Example:\n  slipway release pin-binary --version 1.3.0 --sums _slipway/assets/SHA256SUMS --base main\n\nNeeds GITHUB_TOKEN with `contents: write` and `pull-requests: write`, and GITHUB_REPOSITORY.\nA re-run moves the pull request's branch to a fresh commit."
    )]
    PinBinary(ReleasePinBinaryArgs),
    /// Archive built executables for one target with the README and licence files:
    /// `<name>-<version>-<target>.tar.gz` (`.zip` for Windows) and its `.sha256`.
    #[command(
        after_help = "Example:\n  slipway release archive --name mytool --version 1.3.0 --target x86_64-unknown-linux-musl \\\n    --docs . --out _slipway/binaries -- target/x86_64-unknown-linux-musl/release/mytool"
    )]
    Archive(ReleaseArchiveArgs),
    /// Write the `install.sh` attached to a release: it picks the user's target, downloads the
    /// archive and verifies it against the release's `SHA256SUMS`.
    #[command(
        after_help = "Example:\n  slipway release installer --name mytool --version 1.3.0 --repository octo/mytool --tag v1.3.0 --out _slipway/binaries"
    )]
    Installer(ReleaseInstallerArgs),
    /// Publish each released unit to the registries `release.publish` names (crates.io, npm,
    /// PyPI) with trusted publishing; a version already there is skipped.
    #[command(
        name = "publish-registries",
        after_help = "Examples:\n  slipway release publish-registries --version 1.3.0\n  slipway release publish-registries --version 1.3.0 --dry-run\n\nRun it in the checkout of the released commit, after the GitHub release is published.\nTrusted publishing (no stored token) needs the job's `permissions: id-token: write`\n(ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN) and the workflow registered\nas a trusted publisher on each registry; npm needs npm 11.5.1 or later. A long-lived token\nis used instead only when the job passes one: CARGO_REGISTRY_TOKEN, NODE_AUTH_TOKEN or\nPYPI_API_TOKEN. Tokens reach the tools through their environment, never their arguments.\nThe tools must be installed: cargo, npm, python with `build` and `twine`\n(SLIPWAY_PYTHON names the python). A re-run skips every version already published."
    )]
    PublishRegistries(ReleasePublishRegistriesArgs),
}

/// Arguments of `slipway release publish-registries`.
#[derive(Debug, Args)]
pub struct ReleasePublishRegistriesArgs {
    /// The repository root, e.g. `.`.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// The config file, e.g. `deploy/slipway.yml` (default: `DIR/slipway.yml` when present).
    #[arg(long, value_name = "FILE", env = "SLIPWAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// The released version every manifest must say, e.g. `--version 1.3.0` (the `version`
    /// output of `slipway release plan`).
    #[arg(long, env = "SLIPWAY_VERSION", value_name = "VERSION")]
    pub version: Option<String>,
    /// Check the manifests and the registries and print the commands; upload nothing.
    #[arg(long, env = "SLIPWAY_DRY_RUN", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub dry_run: Option<bool>,
}

/// Arguments of `slipway release pr`.
#[derive(Debug, Args)]
pub struct ReleasePrArgs {
    /// The repository root, a checkout of the default branch, e.g. `.`.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// The config file, e.g. `deploy/slipway.yml` (default: `DIR/slipway.yml` when present).
    #[arg(long, value_name = "FILE", env = "SLIPWAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// The tag prefix, e.g. `--tag-prefix mytool-v` (default: `release.tag-prefix`, `v`).
    #[arg(long, env = "SLIPWAY_TAG_PREFIX", value_name = "PREFIX")]
    pub tag_prefix: Option<String>,
    /// The default branch the pull request targets, e.g. `--base main`.
    #[arg(
        long,
        env = "SLIPWAY_BASE",
        default_value = "main",
        value_name = "BRANCH"
    )]
    pub base: String,
    /// The release branch, e.g. `--branch slipway/release`.
    #[arg(long, env = "SLIPWAY_BRANCH", default_value = crate::release::pr::DEFAULT_BRANCH, value_name = "BRANCH")]
    pub branch: String,
    /// Print what would be released and which files change; call no API and change nothing.
    #[arg(long, env = "SLIPWAY_DRY_RUN")]
    pub dry_run: bool,
    /// Print the outcome as JSON on stdout, e.g. `--json | jq .pull_request`.
    #[arg(long, env = "SLIPWAY_JSON")]
    pub json: bool,
}

/// Arguments of `slipway release archive`.
#[derive(Debug, Args)]
pub struct ReleaseArchiveArgs {
    /// The archive's name, e.g. `--name mytool`.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The version, e.g. `--version 1.3.0`.
    #[arg(long, value_name = "VERSION")]
    pub version: String,
    /// The target triple, e.g. `--target aarch64-apple-darwin`.
    #[arg(long, value_name = "TRIPLE")]
    pub target: String,
    /// A directory whose README and licence files go in, e.g. `--docs .` (repeatable; the
    /// first file of a name wins).
    #[arg(long, value_name = "DIR")]
    pub docs: Vec<PathBuf>,
    /// Where the archive goes, e.g. `--out _slipway/binaries`.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The executables.
    #[arg(value_name = "BIN", required = true)]
    pub bins: Vec<PathBuf>,
}

/// Arguments of `slipway release installer`.
#[derive(Debug, Args)]
pub struct ReleaseInstallerArgs {
    /// The archives' name, e.g. `--name mytool`.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// The version, e.g. `--version 1.3.0`.
    #[arg(long, value_name = "VERSION")]
    pub version: String,
    /// The repository, e.g. `--repository octo/mytool`.
    #[arg(long, value_name = "OWNER/NAME")]
    pub repository: String,
    /// The release's tag, e.g. `--tag v1.3.0`.
    #[arg(long, value_name = "TAG")]
    pub tag: String,
    /// Where `install.sh` goes, e.g. `--out _slipway/binaries`.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

/// Arguments of `slipway release pin-binary`.
#[derive(Debug, Args)]
pub struct ReleasePinBinaryArgs {
    /// The published version, e.g. `--version 1.3.0` (the `version` output of
    /// `slipway release plan`).
    #[arg(long, env = "SLIPWAY_VERSION", value_name = "VERSION")]
    pub version: String,
    /// The release's `SHA256SUMS`, e.g. `--sums _slipway/assets/SHA256SUMS`.
    #[arg(long, value_name = "FILE")]
    pub sums: PathBuf,
    /// The checkout of the released commit, whose build inputs are digested, e.g. `--source .`.
    #[arg(long, default_value = ".", value_name = "DIR")]
    pub source: PathBuf,
    /// The branch the pull request targets, e.g. `--base main`.
    #[arg(long, default_value = "main", value_name = "BRANCH")]
    pub base: String,
}

/// What decides the next version: shared by `slipway release` and `slipway release plan`.
#[derive(Debug, Args)]
pub struct ReleaseDecisionArgs {
    /// The repository root, e.g. `.` or `../shop`.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// The config file, e.g. `deploy/slipway.yml` (default: `DIR/slipway.yml` when present).
    #[arg(long, value_name = "FILE", env = "SLIPWAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Print the decision as JSON on stdout, e.g. `slipway release --json | jq -r .next`.
    #[arg(long, env = "SLIPWAY_JSON")]
    pub json: bool,
    /// A pre-release channel, e.g. `--pre rc` for `1.3.0-rc.1`, then `rc.2`.
    #[arg(long, env = "SLIPWAY_PRE", value_name = "CHANNEL")]
    pub pre: Option<String>,
    /// Release this version instead of the computed one, e.g. `--version 2.0.0`.
    #[arg(long, env = "SLIPWAY_VERSION", value_name = "VERSION")]
    pub version: Option<String>,
    /// The tag prefix, e.g. `--tag-prefix mytool-v` (default: `release.tag-prefix`, `v`).
    #[arg(long, env = "SLIPWAY_TAG_PREFIX", value_name = "PREFIX")]
    pub tag_prefix: Option<String>,
}

/// Arguments of `slipway release plan`.
#[derive(Debug, Args)]
pub struct ReleasePlanArgs {
    /// The decision.
    #[command(flatten)]
    pub decision: ReleaseDecisionArgs,
    /// Where to write the changelog section of the next release, e.g.
    /// `--notes _slipway/release/notes.md` (nothing is written when there is no release).
    #[arg(long, value_name = "FILE", env = "SLIPWAY_NOTES")]
    pub notes: Option<PathBuf>,
}

/// Arguments of `slipway release publish`.
#[derive(Debug, Args)]
pub struct ReleasePublishArgs {
    /// The tag to create, a prefix and a version, e.g. `--tag v1.3.0` (the `tag` output of
    /// `slipway release plan`).
    #[arg(
        long,
        env = "SLIPWAY_TAG",
        value_name = "TAG",
        required_unless_present = "tags",
        conflicts_with = "tags"
    )]
    pub tag: Option<String>,
    /// Several tags, one release each, separated by spaces, e.g. `--tags "$TAGS"` (the `tags`
    /// output of `slipway release plan` under `release.units: per-unit`). Each is published in
    /// turn; a re-run skips what an earlier run finished.
    #[arg(long, env = "SLIPWAY_TAGS", value_name = "TAGS", conflicts_with_all = ["notes", "assets", "floating_major_tag", "dispatch_workflow"])]
    pub tags: Option<String>,
    /// With `--tags`: the directory of release notes, one `<tag>.md` per tag (`/` written
    /// `%2F`), e.g. `--notes-dir _slipway/release/notes` (written by `slipway release plan`).
    #[arg(long, env = "SLIPWAY_NOTES_DIR", value_name = "DIR", requires = "tags")]
    pub notes_dir: Option<PathBuf>,
    /// The full SHA of the commit to tag, e.g. `--target "$GITHUB_SHA"`.
    #[arg(long, env = "SLIPWAY_TARGET", value_name = "SHA")]
    pub target: String,
    /// The release notes, e.g. `--notes _slipway/release/notes.md` (written by
    /// `slipway release plan`).
    #[arg(long, env = "SLIPWAY_NOTES", value_name = "FILE")]
    pub notes: Option<PathBuf>,
    /// A directory whose files are attached, with a `SHA256SUMS`, e.g. `--assets _slipway/assets`.
    #[arg(long, env = "SLIPWAY_ASSETS", value_name = "DIR")]
    pub assets: Option<PathBuf>,
    /// Move the major tag (`v1`) to the target for a stable release, e.g. `--floating-major-tag`.
    #[arg(long, env = "SLIPWAY_FLOATING_MAJOR_TAG")]
    pub floating_major_tag: bool,
    /// Start this workflow at the tag with `environment: release` (stable releases only), e.g.
    /// `--dispatch-workflow cd.yml`.
    #[arg(long, env = "SLIPWAY_DISPATCH_WORKFLOW", value_name = "FILE")]
    pub dispatch_workflow: Option<String>,
    /// Print what was published as JSON on stdout, e.g. `--json | jq -r .url`.
    #[arg(long, env = "SLIPWAY_JSON")]
    pub json: bool,
}

/// Arguments of `slipway gen-workflows`.
#[derive(Debug, Args)]
pub struct GenWorkflowsArgs {
    /// The repository root, e.g. `.` or `../shop`.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// The config file, e.g. `deploy/slipway.yml` (default: `DIR/slipway.yml` when present).
    #[arg(long, value_name = "FILE", env = "SLIPWAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Where to write the workflows, e.g. `--output /tmp/wf` (default: `DIR/.github/workflows`).
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Write nothing; exit 1 with a unified diff when any file is stale, missing or edited, e.g.
    /// in CI: `slipway gen-workflows --check`.
    #[arg(long, conflicts_with = "dry_run")]
    pub check: bool,
    /// Write nothing; print what would change as a diff, e.g. `slipway gen-workflows --dry-run`.
    #[arg(long)]
    pub dry_run: bool,
    /// Replace files that were edited by hand or not generated by slipway, e.g. `--force`.
    #[arg(long)]
    pub force: bool,
    /// Render only these workflows, e.g. `--only ci,cd` (ci, cd, security, quality, release,
    /// rollback).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub only: Vec<String>,
    /// Workflows of your own that ours replace, removed in the same write, e.g.
    /// `--replace tests.yml,codeql.yml` (a run lists the ones that overlap ours).
    #[arg(long, value_delimiter = ',', value_name = "FILES")]
    pub replace: Vec<String>,
    /// Print only what changed and warnings: no summary of what was generated or next steps.
    #[arg(long, short)]
    pub quiet: bool,
    /// A directory of template overrides, matched by file name, e.g.
    /// `--templates .slipway/templates` with a `ci.yml.j2` inside.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
}

/// Arguments of `slipway detect`.
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// The repository root to look at, e.g. `.` or `../shop`.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// Print the result as JSON on stdout, e.g. `slipway detect --json | jq .languages`.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `slipway init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The repository root to write slipway.yml into, e.g. `.` or `../shop`.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// Replace an existing slipway.yml, e.g. `slipway init --force`.
    #[arg(long)]
    pub force: bool,
    /// Print the file on stdout instead of writing it, e.g. `slipway init --stdout | less`.
    #[arg(long)]
    pub stdout: bool,
    /// Print only the path written, not the file's text (its comments say what to do next).
    #[arg(long, short)]
    pub quiet: bool,
}

/// `slipway config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the JSON Schema of slipway.yml, for editor completion and validation.
    #[command(
        after_help = "Examples:\n  slipway config schema > slipway.schema.json\n\nIn VS Code (YAML extension), add to slipway.yml:\n  # yaml-language-server: $schema=./slipway.schema.json"
    )]
    Schema,
    /// Check a slipway.yml: syntax, unknown keys, value ranges, references between sections.
    #[command(
        after_help = "Examples:\n  slipway config validate\n  slipway config validate deploy/slipway.yml"
    )]
    Validate(ValidateArgs),
}

/// Arguments of `slipway config validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The file to check, e.g. `slipway.yml` or `deploy/slipway.yml`.
    #[arg(default_value = config::FILE_NAME, value_name = "FILE")]
    pub file: PathBuf,
}

impl Command {
    /// The subcommand's name, for annotations (`slipway detect`).
    fn name(&self) -> &'static str {
        match self {
            Self::Detect(_) => "detect",
            Self::Init(_) => "init",
            Self::GenWorkflows(_) => "gen-workflows",
            Self::Config(ConfigCommand::Schema) => "config schema",
            Self::Config(ConfigCommand::Validate(_)) => "config validate",
            Self::Release(a) => match a.command {
                Some(ReleaseCommand::Plan(_)) => "release plan",
                Some(ReleaseCommand::Publish(_)) => "release publish",
                Some(ReleaseCommand::PinBinary(_)) => "release pin-binary",
                Some(ReleaseCommand::Pr(_)) => "release pr",
                Some(ReleaseCommand::Archive(_)) => "release archive",
                Some(ReleaseCommand::Installer(_)) => "release installer",
                Some(ReleaseCommand::PublishRegistries(_)) => "release publish-registries",
                None => "release",
            },
            Self::RunTests(a) if a.command.is_some() => "run-tests merge",
            Self::RunTests(_) => "run-tests",
            Self::SetupEnvironment(_) => "setup-environment",
            Self::Metrics(_) => "metrics",
            Self::Notify(c) => c.name(),
            Self::Quality(crate::quality::cli::QualityCommand::Gate(_)) => "quality gate",
            Self::Quality(crate::quality::cli::QualityCommand::Comment(_)) => "quality comment",
            Self::Deploy(a) => a.name(),
            Self::SecurityScan(a) => a.name(),
        }
    }
}

/// Parses the process arguments, runs the command and renders any failure. Called through a
/// link named `gen-workflows` (`ln -s slipway gen-workflows`), it runs `slipway gen-workflows`.
pub fn main() -> ExitCode {
    main_from(with_alias(std::env::args_os().collect()))
}

/// The program names that stand for a subcommand: a link of that name to the one binary.
const ALIASES: &[&str] = &["gen-workflows"];

/// The arguments with the subcommand inserted when the program was called by an alias name
/// (`gen-workflows --check` becomes `slipway gen-workflows --check`); unchanged otherwise.
fn with_alias(mut args: Vec<std::ffi::OsString>) -> Vec<std::ffi::OsString> {
    let alias = args
        .first()
        .and_then(|program| std::path::Path::new(program).file_stem())
        .and_then(|stem| stem.to_str())
        .and_then(|stem| ALIASES.iter().find(|a| **a == stem));
    if let Some(alias) = alias {
        args.insert(1, (*alias).into());
    }
    args
}

/// Like [`main`], with explicit arguments (the first is the program name).
pub fn main_from<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = Cli::parse_from(args);
    let name = cli.command.name();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            report(name, &failure);
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Renders a failure on stderr, and as an annotation when running in Actions.
fn report(command: &str, failure: &Failure) {
    let mut stderr = std::io::stderr().lock();
    let rendered = failure.render();
    let _ = stderr.write_all(github::safe::neutralize(&rendered).as_bytes());
    let _ = stderr.flush();
    let runtime = github::runtime();
    if runtime.in_actions() {
        // NOTE: stderr already has the full rendering; the annotation puts the message on the
        // run's page (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#setting-an-error-message).
        let annotation = match failure.location() {
            Some(at) => {
                let message = match failure.hint() {
                    Some(hint) => format!("{}\n\nhint: {hint}", at.summary),
                    None => at.summary.clone(),
                };
                github::Annotation::error(message)
                    .at(&at.file, u32::try_from(at.line).unwrap_or(u32::MAX))
                    .col(u32::try_from(at.column).unwrap_or(u32::MAX))
            }
            None => github::Annotation::error(failure.message()),
        };
        runtime.annotate(annotation.title(format!("slipway {command}")));
    }
}

/// Runs one parsed command; returns the exit code on completion.
pub fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Detect(args) => run_detect(args),
        Command::Init(args) => run_init(args),
        Command::GenWorkflows(args) => run_gen_workflows(args),
        Command::Config(ConfigCommand::Schema) => {
            let schema = serde_json::to_string_pretty(&config::schema())
                .map_err(|e| Failure::new(e, None))?;
            print_stdout(&format!("{schema}\n"))
        }
        Command::Config(ConfigCommand::Validate(args)) => run_validate(args),
        Command::Release(args) => run_release(args),
        Command::RunTests(args) => crate::run_tests::cli::run(*args),
        Command::SetupEnvironment(args) => run_setup_environment(args),
        Command::Metrics(args) => crate::metrics::cli::run(*args),
        Command::Notify(command) => crate::notify::cli::run(command),
        Command::Quality(command) => crate::quality::cli::run(command),
        Command::Deploy(args) => crate::deploy::cli::run(*args),
        Command::SecurityScan(args) => crate::security::cli::run(*args),
    }
}

fn run_setup_environment(args: SetupEnvironmentArgs) -> Result<u8, Failure> {
    use crate::setup;
    let SetupEnvironmentArgs {
        dir,
        config,
        stacks,
        working_directory,
        cache,
        install_dependencies,
        environment,
        toolchain_version,
        json,
    } = args;
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let arch = var("RUNNER_ARCH").unwrap_or_else(|| {
        match std::env::consts::ARCH {
            "x86_64" => "X64",
            "aarch64" => "ARM64",
            other => other,
        }
        .to_owned()
    });
    let settings = setup::Settings {
        root: dir,
        config,
        stacks: setup::Selection::parse(&stacks)?,
        working_directory: setup::parse_working_directory(&working_directory)?,
        cache: setup::parse_bool("cache", &cache, true)?,
        install_dependencies: setup::parse_bool(
            "install-dependencies",
            &install_dependencies,
            true,
        )?,
        environment: environment.filter(|e| !e.trim().is_empty()),
        os: setup::Os::from_runner(var("RUNNER_OS").as_deref().or(match std::env::consts::OS {
            "macos" => Some("macOS"),
            "windows" => Some("Windows"),
            _ => None,
        })),
        arch,
        version: setup::parse_version(&toolchain_version)?,
    };
    let runtime = github::runtime();
    let outcome = setup::run(&settings, runtime, var)?;
    for note in &outcome.notes {
        eprintln!("note: {note}");
    }
    if runtime.in_actions() {
        setup::publish(runtime, &outcome)?;
    }
    let text = if json {
        let mut s =
            serde_json::to_string_pretty(&outcome.plan).map_err(|e| Failure::new(e, None))?;
        s.push('\n');
        s
    } else {
        setup::render(&outcome)
    };
    print_stdout(&text)
}

fn run_release(args: ReleaseArgs) -> Result<u8, Failure> {
    use crate::release;
    let ReleaseArgs {
        command,
        decision:
            ReleaseDecisionArgs {
                dir,
                config,
                json,
                pre,
                version,
                tag_prefix,
            },
        dry_run,
        no_dry_run,
        asset,
    } = args;
    match command {
        Some(ReleaseCommand::Plan(a)) => return run_release_plan(a),
        Some(ReleaseCommand::Publish(a)) => return run_release_publish(a),
        Some(ReleaseCommand::PinBinary(a)) => return run_release_pin_binary(a),
        Some(ReleaseCommand::Pr(a)) => return run_release_pr(a),
        Some(ReleaseCommand::Archive(a)) => return run_release_archive(a),
        Some(ReleaseCommand::PublishRegistries(a)) => return run_release_publish_registries(a),
        Some(ReleaseCommand::Installer(a)) => {
            let path = crate::release::installer::write(
                &a.name,
                &a.version,
                &a.repository,
                &a.tag,
                &a.out,
            )?;
            return print_stdout(&format!("wrote {}\n", path.display()));
        }
        None => {}
    }
    let loaded = config::load(&dir, config.as_deref())?;
    let release = loaded.config.release;
    // NOTE: `CI=true` is set by GitHub Actions and most CI services
    // (https://docs.github.com/en/actions/reference/workflows-and-actions/variables#default-environment-variables).
    let in_ci = std::env::var("CI").is_ok_and(|v| v == "true");
    let dry_run = match (dry_run, no_dry_run) {
        (_, true) => false,
        (Some(d), false) => d,
        (None, false) => !in_ci,
    };
    if release.units == config::ReleaseUnits::PerUnit {
        let file = config_name(loaded.path.as_deref());
        let single = [
            ("--pre", pre.as_ref().is_some_and(|p| !p.is_empty())),
            ("--version", version.as_ref().is_some_and(|v| !v.is_empty())),
            ("--tag-prefix", tag_prefix.is_some()),
            ("--asset", !asset.is_empty()),
        ];
        return run_release_units(dir, release, &file, json, single, dry_run, None);
    }
    let settings = release::Settings {
        root: dir,
        tag_prefix: tag_prefix.unwrap_or_else(|| release.tag_prefix().to_owned()),
        release,
        dry_run,
        pre: pre.filter(|p| !p.is_empty()),
        version: version.filter(|v| !v.is_empty()),
        assets: asset,
    };
    let outcome = release::run(&settings)?;
    let plan = &outcome.plan;
    for tag in &plan.ignored_tags {
        say!("note: ignoring the tag `{tag}`: not a semantic version");
    }
    if json {
        print_stdout(&format!("{}\n", plan.summary().to_json()))?;
    } else {
        print_stdout(&release::render_plan(plan, dry_run))?;
    }
    if dry_run && plan.next.is_some() {
        say!("dry run: nothing was changed (`--no-dry-run` makes the release)");
    }
    if let Some(p) = &outcome.published {
        say!("published {}", p.html_url);
    }
    if let Some(tag) = &plan.tag {
        let runtime = github::runtime();
        if runtime.in_actions() {
            runtime.set_output("tag", tag)?;
            if let Some(next) = &plan.next {
                runtime.set_output("version", &next.to_string())?;
            }
        }
    }
    Ok(EXIT_OK)
}

fn run_release_plan(args: ReleasePlanArgs) -> Result<u8, Failure> {
    use crate::release;
    let ReleasePlanArgs {
        decision:
            ReleaseDecisionArgs {
                dir,
                config,
                json,
                pre,
                version,
                tag_prefix,
            },
        notes,
    } = args;
    let loaded = config::load(&dir, config.as_deref())?;
    let release = loaded.config.release;
    if release.units == config::ReleaseUnits::PerUnit {
        let file = config_name(loaded.path.as_deref());
        let single = [
            ("--pre", pre.as_ref().is_some_and(|p| !p.is_empty())),
            ("--version", version.as_ref().is_some_and(|v| !v.is_empty())),
            ("--tag-prefix", tag_prefix.is_some()),
            ("--asset", false),
        ];
        return run_release_units(dir, release, &file, json, single, true, Some(notes));
    }
    let settings = release::Settings {
        root: dir,
        tag_prefix: tag_prefix.unwrap_or_else(|| release.tag_prefix().to_owned()),
        release,
        dry_run: true,
        pre: pre.filter(|p| !p.is_empty()),
        version: version.filter(|v| !v.is_empty()),
        assets: Vec::new(),
    };
    let plan = if settings.release.trigger.value == config::ReleaseTrigger::Pr {
        let (plan, warning) = release::run_merged_plan(&settings, notes.as_deref())?;
        if let Some(warning) = warning {
            say!("warning: {warning}");
            let runtime = github::runtime();
            if runtime.in_actions() {
                runtime
                    .annotate(github::Annotation::warning(warning).title("slipway release plan"));
            }
        }
        plan
    } else {
        release::run_plan(&settings, notes.as_deref())?
    };
    for tag in &plan.ignored_tags {
        say!("note: ignoring the tag `{tag}`: not a semantic version");
    }
    if json {
        print_stdout(&format!("{}\n", plan.summary().to_json()))?;
    } else {
        print_stdout(&release::render_plan(&plan, true))?;
    }
    let runtime = github::runtime();
    match (&plan.next, &plan.tag) {
        (Some(next), Some(tag)) => {
            runtime.set_output("release", "true")?;
            runtime.set_output("version", &next.to_string())?;
            runtime.set_output("tag", tag)?;
            if let Some(path) = &notes {
                say!("wrote the release notes to {}", path.display());
            }
        }
        _ => {
            runtime.set_output("release", "false")?;
            let reason = plan.reason.as_deref().unwrap_or("no version to release");
            say!("nothing to release: {reason}");
        }
    }
    Ok(EXIT_OK)
}

/// The config file as errors name it.
fn config_name(path: Option<&std::path::Path>) -> String {
    path.map_or_else(|| config::FILE_NAME.to_owned(), |p| p.display().to_string())
}

/// `slipway release` (`plan: None`) and `slipway release plan` (`plan: Some(notes)`) under
/// `release.units: per-unit`. Flags that pick one version or one release (`single`, by name
/// and whether given) are refused.
fn run_release_units(
    dir: PathBuf,
    release: config::Release,
    config_file: &str,
    json: bool,
    single: [(&str, bool); 4],
    dry_run: bool,
    plan: Option<Option<PathBuf>>,
) -> Result<u8, Failure> {
    use crate::release;
    if let Some((flag, _)) = single.iter().find(|(_, given)| *given) {
        return Err(Failure::msg(format!(
            "`{flag}` picks one version or release, but `release.units: per-unit` releases each unit with its own"
        ))
        .with_hint(format!(
            "leave `{flag}` out; each unit's version comes from the commits that touch it"
        )));
    }
    let settings = release::Settings {
        root: dir,
        tag_prefix: String::new(),
        release,
        dry_run,
        pre: None,
        version: None,
        assets: Vec::new(),
    };
    let (outcome, notes) = match &plan {
        Some(notes) => {
            let decided = if settings.release.trigger.value == config::ReleaseTrigger::Pr {
                let (decided, warning) =
                    release::run_units_merged_plan(&settings, config_file, notes.as_deref())?;
                if let Some(warning) = warning {
                    say!("warning: {warning}");
                    let runtime = github::runtime();
                    if runtime.in_actions() {
                        runtime.annotate(
                            github::Annotation::warning(warning).title("slipway release plan"),
                        );
                    }
                }
                decided
            } else {
                release::run_units_plan(&settings, config_file, notes.as_deref())?
            };
            (
                release::UnitsOutcome {
                    plan: decided,
                    published: Vec::new(),
                    resumed: false,
                },
                notes.as_ref(),
            )
        }
        None => (release::run_units(&settings, config_file)?, None),
    };
    let plan_data = &outcome.plan;
    for note in &plan_data.notes {
        say!("note: {note}");
    }
    for tag in &plan_data.ignored_tags {
        say!("note: ignoring the tag `{tag}`: not a semantic version");
    }
    if json {
        print_stdout(&format!("{}\n", plan_data.to_json()))?;
    } else {
        print_stdout(&release::units::render_plan(plan_data, dry_run))?;
    }
    if outcome.resumed {
        say!("finished the release of the commit at HEAD, made by an earlier run");
    }
    for (tag, p) in &outcome.published {
        say!("published {tag}: {}", p.html_url);
    }
    let tags: Vec<&str> = plan_data
        .releases()
        .filter_map(|u| u.tag.as_deref())
        .collect();
    if dry_run && !tags.is_empty() && plan.is_none() {
        say!("dry run: nothing was changed (`--no-dry-run` makes the releases)");
    }
    if let (Some(path), false) = (notes, tags.is_empty()) {
        say!("wrote the release notes to {}", path.display());
    }
    let runtime = github::runtime();
    if runtime.in_actions() {
        runtime.set_output("release", if tags.is_empty() { "false" } else { "true" })?;
        runtime.set_output("tags", &tags.join(" "))?;
    }
    Ok(EXIT_OK)
}

fn run_release_publish(args: ReleasePublishArgs) -> Result<u8, Failure> {
    use crate::release::remote::{self, TagState};
    let ReleasePublishArgs {
        tag,
        tags,
        notes_dir,
        target,
        notes,
        assets,
        floating_major_tag,
        dispatch_workflow,
        json,
    } = args;
    if let Some(tags) = tags {
        return run_release_publish_tags(&tags, &target, notes_dir.as_deref(), json);
    }
    let settings = remote::Settings {
        tag: tag.unwrap_or_default(),
        target,
        notes,
        assets,
        floating_major_tag,
        dispatch_workflow: dispatch_workflow.filter(|w| !w.is_empty()),
    };
    let outcome = remote::run(&settings)?;
    for note in &outcome.notes {
        say!("note: {note}");
    }
    let release = &outcome.release;
    if json {
        let value = serde_json::json!({
            "tag": outcome.tag,
            "version": outcome.version.to_string(),
            "tag_created": outcome.tag_state == TagState::Created,
            "url": release.html_url,
            "resumed": release.resumed,
            "uploaded": release.uploaded,
            "kept": release.kept,
            "floating_tag": outcome.floating_tag,
            "dispatched": outcome.dispatched,
        });
        print_stdout(&format!("{value}\n"))?;
    } else {
        use std::fmt::Write as _;
        let mut out = String::new();
        let state = match outcome.tag_state {
            TagState::Created => "created",
            TagState::Existing => "there already",
        };
        let _ = writeln!(out, "tag:      {} ({state})", outcome.tag);
        let _ = writeln!(out, "release:  {}", release.html_url);
        let _ = writeln!(
            out,
            "assets:   {} uploaded, {} kept",
            release.uploaded.len(),
            release.kept.len()
        );
        if let Some(major) = &outcome.floating_tag {
            let _ = writeln!(out, "moved:    {major} -> {}", outcome.tag);
        }
        if let Some(workflow) = &outcome.dispatched {
            let _ = writeln!(out, "started:  {workflow} at {}", outcome.tag);
        }
        print_stdout(&out)?;
    }
    let runtime = github::runtime();
    if runtime.in_actions() {
        runtime.set_output("url", &release.html_url)?;
    }
    Ok(EXIT_OK)
}

/// `slipway release publish --tags`: one release per tag of a per-unit plan, in order. Each
/// publish is resumable on its own, so a re-run after a failure finishes the remaining tags
/// and leaves the finished ones as they are.
fn run_release_publish_tags(
    tags: &str,
    target: &str,
    notes_dir: Option<&std::path::Path>,
    json: bool,
) -> Result<u8, Failure> {
    use crate::release::remote::{self, TagState};
    let tags: Vec<&str> = tags.split_whitespace().collect();
    if tags.is_empty() {
        return Err(Failure::msg("`--tags` names no tag").with_hint(
            "pass the `tags` output of `slipway release plan` when its `release` output is `true`",
        ));
    }
    let mut published = Vec::new();
    let mut text = String::new();
    for (i, tag) in tags.iter().enumerate() {
        let settings = remote::Settings {
            tag: (*tag).to_owned(),
            target: target.to_owned(),
            notes: notes_dir.map(|d| d.join(format!("{}.md", tag.replace('/', "%2F")))),
            assets: None,
            floating_major_tag: false,
            dispatch_workflow: None,
        };
        let outcome = remote::run(&settings).map_err(|e| {
            let done = tags[..i].join(", ");
            let failure = Failure::from(e);
            if done.is_empty() {
                failure
            } else {
                failure.with_hint(format!(
                    "published already: {done}; a re-run keeps those and publishes the rest"
                ))
            }
        })?;
        for note in &outcome.notes {
            say!("note: {note}");
        }
        let state = match outcome.tag_state {
            TagState::Created => "created",
            TagState::Existing => "there already",
        };
        text.push_str(&format!(
            "tag:      {} ({state})\nrelease:  {}\n",
            outcome.tag, outcome.release.html_url
        ));
        published.push(serde_json::json!({
            "tag": outcome.tag,
            "version": outcome.version.to_string(),
            "tag_created": outcome.tag_state == TagState::Created,
            "url": outcome.release.html_url,
            "resumed": outcome.release.resumed,
        }));
    }
    if json {
        print_stdout(&format!("{}\n", serde_json::Value::Array(published)))?;
    } else {
        print_stdout(&text)?;
    }
    Ok(EXIT_OK)
}

fn run_release_pr(args: ReleasePrArgs) -> Result<u8, Failure> {
    use crate::release::{self, pr};
    let ReleasePrArgs {
        dir,
        config,
        tag_prefix,
        base,
        branch,
        dry_run,
        json,
    } = args;
    let loaded = config::load(&dir, config.as_deref())?;
    let release = loaded.config.release;
    let config_file = config_name(loaded.path.as_deref());
    let settings = pr::Settings {
        release: release::Settings {
            root: dir,
            tag_prefix: tag_prefix.unwrap_or_else(|| release.tag_prefix().to_owned()),
            release,
            dry_run,
            pre: None,
            version: None,
            assets: Vec::new(),
        },
        base,
        branch,
        config_file,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(e, None))?;
    let report = runtime.block_on(pr::run(
        &settings,
        dry_run,
        github::client::Client::from_env,
    ))?;
    for tag in &report.plan.ignored_tags {
        say!("note: ignoring the tag `{tag}`: not a semantic version");
    }
    let number = report.pull_request.as_ref().map(|p| p.number);
    if json {
        let units: Vec<serde_json::Value> = report
            .units
            .iter()
            .map(|u| {
                serde_json::json!({
                    "unit": u.name,
                    "tag": u.tag,
                    "previous": u.previous,
                    "next": u.next.to_string(),
                    "changelog": u.changelog,
                })
            })
            .collect();
        let value = serde_json::json!({
            "dry_run": dry_run,
            "units": units,
            "files": report.files,
            "merged": report.merged,
            "reason": (report.units.is_empty() && report.merged.is_none()).then(|| report.plan.reason.clone()).flatten(),
            "left_open": report.left_open,
            "pull_request": number,
            "opened": report.pull_request.as_ref().map(|p| p.opened),
            "commit": report.pull_request.as_ref().map(|p| p.commit.clone()),
        });
        print_stdout(&format!("{value}\n"))?;
    } else {
        print_stdout(&render_release_pr(&report, dry_run))?;
    }
    if let Some(merged) = &report.merged {
        say!(
            "`HEAD` is the merged release commit of `{merged}`: the release workflow publishes it; no pull request"
        );
    } else if report.units.is_empty() {
        let reason = report
            .plan
            .reason
            .as_deref()
            .unwrap_or("no version to release");
        say!("nothing to release: {reason}; no pull request");
        if let Some(n) = report.left_open {
            say!(
                "note: the release pull request #{n} is left open; merging it releases nothing until the commits call for its version, close it if it is not wanted"
            );
        }
    } else if dry_run {
        say!(
            "dry run: nothing was changed (without `--dry-run` the pull request is opened or updated)"
        );
    }
    let gh = github::runtime();
    if gh.in_actions() {
        if let Some(n) = number {
            gh.set_output("pull-request", &n.to_string())?;
        }
        if let Some(u) = report.units.first() {
            gh.set_output("tag", &u.tag)?;
            gh.set_output("version", &u.next.to_string())?;
        }
        if report.units.iter().any(|u| u.name.is_some()) {
            let tags: Vec<&str> = report.units.iter().map(|u| u.tag.as_str()).collect();
            gh.set_output("tags", &tags.join(" "))?;
        }
    }
    Ok(EXIT_OK)
}

fn run_release_publish_registries(args: ReleasePublishRegistriesArgs) -> Result<u8, Failure> {
    use crate::release::registries;
    let ReleasePublishRegistriesArgs {
        dir,
        config,
        version,
        dry_run,
    } = args;
    let loaded = config::load(&dir, config.as_deref())?;
    let settings = registries::Settings {
        root: dir,
        registries: loaded
            .config
            .release
            .publish
            .iter()
            .map(|r| r.value)
            .collect(),
        version: version.filter(|v| !v.is_empty()),
        dry_run: dry_run.unwrap_or(false),
    };
    let var = |k: &str| std::env::var(k).ok();
    let outcome = registries::run(&settings, &var)?;
    for note in &outcome.notes {
        say!("note: {}", github::redact(note));
    }
    print_stdout(&github::redact(&registries::render(&outcome)))?;
    if settings.dry_run {
        say!("dry run: nothing was uploaded");
    }
    Ok(EXIT_OK)
}

/// The human form of `slipway release pr`.
fn render_release_pr(report: &crate::release::pr::Report, dry_run: bool) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for u in &report.units {
        let name = u
            .name
            .as_deref()
            .map(|n| format!("{n}: "))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "release:  {name}{} -> {} ({})",
            u.previous, u.next, u.tag
        );
    }
    if !report.files.is_empty() {
        let _ = writeln!(out, "files:    {}", report.files.join(", "));
    }
    match &report.pull_request {
        Some(p) => {
            let verb = if p.opened { "opened" } else { "updated" };
            let _ = writeln!(out, "pull request: #{} ({verb})", p.number);
            let _ = writeln!(out, "commit:   {}", p.commit);
        }
        None if dry_run && !report.units.is_empty() => {
            let _ = writeln!(out, "pull request: not touched (dry run)");
        }
        None => {}
    }
    for u in &report.units {
        if !u.notes.is_empty() {
            let _ = write!(out, "\n{}", u.notes);
        }
    }
    out
}

fn run_release_archive(args: ReleaseArchiveArgs) -> Result<u8, Failure> {
    let ReleaseArchiveArgs {
        name,
        version,
        target,
        docs,
        out,
        bins,
    } = args;
    let outcome = crate::release::archive::run(&crate::release::archive::Settings {
        name,
        version,
        target,
        bins,
        docs,
        out,
    })?;
    print_stdout(&format!(
        "{}  {}\nfiles: {}\n",
        outcome.sha256,
        outcome.archive.display(),
        outcome.files.join(", ")
    ))
}

fn run_release_pin_binary(args: ReleasePinBinaryArgs) -> Result<u8, Failure> {
    let ReleasePinBinaryArgs {
        version,
        sums,
        source,
        base,
    } = args;
    let outcome = crate::release::binary::pin(&crate::release::binary::PinSettings {
        version,
        sums,
        source_dir: source,
        base,
    })?;
    let pr = outcome
        .pull_request
        .clone()
        .unwrap_or_else(|| "open already (its branch moved)".to_owned());
    print_stdout(&format!(
        "branch:       {}\ncommit:       {}\npull request: {pr}\n",
        outcome.branch, outcome.commit
    ))?;
    let runtime = github::runtime();
    if runtime.in_actions()
        && let Some(url) = &outcome.pull_request
    {
        runtime.set_output("pull-request", url)?;
    }
    Ok(EXIT_OK)
}

fn run_detect(args: DetectArgs) -> Result<u8, Failure> {
    let DetectArgs { dir, json } = args;
    let detection = detect::detect(&dir)?;
    for warning in &detection.warnings {
        say!("warning: {warning}");
    }
    let text = if json {
        let mut s =
            serde_json::to_string_pretty(&detection.stacks).map_err(|e| Failure::new(e, None))?;
        s.push('\n');
        s
    } else {
        render_stacks(&detection.stacks)
    };
    print_stdout(&text)
}

fn run_gen_workflows(args: GenWorkflowsArgs) -> Result<u8, Failure> {
    use crate::generate::{self, Change, Mode};
    let GenWorkflowsArgs {
        dir,
        config,
        output,
        check,
        dry_run,
        force,
        only,
        replace,
        quiet,
        templates,
    } = args;
    let output = output.unwrap_or_else(|| dir.join(".github").join("workflows"));
    let mode = match (check, dry_run) {
        (true, _) => Mode::Check,
        (_, true) => Mode::DryRun,
        _ => Mode::Write,
    };
    // How the user called us, for commands in hints (`slipway gen-workflows ../shop`).
    let invocation = if dir == std::path::Path::new(".") {
        "slipway gen-workflows".to_owned()
    } else {
        format!("slipway gen-workflows {}", dir.display())
    };
    let settings = generate::Settings {
        root: dir,
        config,
        output: output.clone(),
        templates,
        only,
        replace,
        mode,
        force,
        commit: crate::COMMIT.to_owned(),
    };
    let outcome = generate::run(&settings)?;
    for warning in &outcome.warnings {
        say!("warning: {warning}");
    }

    // A value read from git depends on the checkout (a CI clone has no `origin/HEAD` and may
    // have no tags): say so, so the team pins it in slipway.yml.
    for d in outcome
        .derived
        .iter()
        .filter(|d| !d.source.starts_with("the fallback"))
    {
        say!(
            "note: `{}` is `{}`, read from {}; set it in slipway.yml (`slipway init` writes it) so every checkout renders the same",
            d.key,
            d.value,
            d.source
        );
    }
    // `./.github/workflows` reads better as `.github/workflows`.
    let label = output
        .strip_prefix(".")
        .unwrap_or(&output)
        .display()
        .to_string();
    for unread in &outcome.unread {
        say!(
            "warning: `{}/{}` {}",
            label.trim_end_matches('/'),
            unread.name,
            unread.reason
        );
    }
    match mode {
        Mode::Check | Mode::DryRun => {
            let mut diff = String::new();
            for change in &outcome.changes {
                diff.push_str(&change.diff(&label));
            }
            print_stdout(&diff)?;
            for change in &outcome.changes {
                say!("{}", describe(change, &label, mode));
            }
            let overlaps = generate::summary::overlaps(&outcome, &invocation);
            if !overlaps.is_empty() {
                say!("{}", overlaps.trim_end());
            }
            if mode == Mode::Check && outcome.drifted() {
                say!(
                    "\nhint: run `slipway gen-workflows` to update the files (`--force` for files edited by hand)"
                );
                return Ok(crate::error::EXIT_FAILED);
            }
            Ok(EXIT_OK)
        }
        Mode::Write => {
            for change in &outcome.changes {
                if !matches!(change, Change::Unchanged { .. }) || outcome.applied.is_empty() {
                    say!("{}", describe(change, &label, mode));
                }
            }
            let overlaps = generate::summary::overlaps(&outcome, &invocation);
            if !overlaps.is_empty() {
                say!("{}", overlaps.trim_end());
            }
            if !quiet {
                say!(
                    "{}",
                    generate::summary::next_steps(&outcome, &label, &invocation).trim_end()
                );
            }
            Ok(EXIT_OK)
        }
    }
}

/// One line per file: what happened (or would happen) to it.
fn describe(change: &crate::generate::Change, dir: &str, mode: crate::generate::Mode) -> String {
    use crate::generate::{Change, Mode, files::ConflictReason};
    let would = mode != Mode::Write;
    let path = format!("{}/{}", dir.trim_end_matches('/'), change.name());
    let verb = match change {
        Change::Create { .. } if would => "missing",
        Change::Create { .. } => "created",
        Change::Update { .. } if would => "stale",
        Change::Update { .. } => "updated",
        Change::Unchanged { .. } => "up to date",
        Change::Remove { .. } if would => "no longer generated",
        Change::Remove { .. } => "removed",
        Change::Conflict {
            reason: ConflictReason::Edited,
            ..
        } if would => "edited by hand",
        Change::Conflict {
            reason: ConflictReason::Foreign,
            ..
        } if would => "not generated by slipway",
        Change::Conflict { .. } => "replaced (--force)",
        Change::Replace { text: Some(_), .. } if would => "would be replaced by ours",
        Change::Replace { text: Some(_), .. } => "replaced by ours",
        Change::Replace { .. } if would => "would be removed (replaced)",
        Change::Replace { .. } => "removed (replaced)",
    };
    format!("{verb:>24}  {path}")
}

fn run_init(args: InitArgs) -> Result<u8, Failure> {
    let InitArgs {
        dir,
        force,
        stdout,
        quiet,
    } = args;
    let settings = init::Settings {
        output: dir.join(config::FILE_NAME),
        root: dir,
        force,
        stdout,
    };
    let outcome = init::run(&settings)?;
    if stdout {
        return print_stdout(&outcome.text);
    }
    let verb = if outcome.replaced {
        "replaced"
    } else {
        "wrote"
    };
    if !quiet {
        eprintln!("{}", outcome.text);
    }
    say!("{verb} {}", outcome.path.display());
    Ok(EXIT_OK)
}

fn run_validate(args: ValidateArgs) -> Result<u8, Failure> {
    let ValidateArgs { file } = args;
    // `slipway.yml` has the parent ``; the project root is then the current directory.
    let root = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    config::load(&root, Some(&file))?;
    say!("{}: ok", file.display());
    Ok(EXIT_OK)
}

/// Writes data to stdout; a closed pipe (`| head`) is not an error.
fn print_stdout(text: &str) -> Result<u8, Failure> {
    let text = github::safe::neutralize(text);
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(EXIT_OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(EXIT_OK),
        Err(e) => Err(Failure::new(e, None)),
    }
}

/// The human form of detection: one aligned block.
fn render_stacks(stacks: &detect::Stacks) -> String {
    use std::fmt::Write as _;
    let none = || "none".to_owned();
    let join = |items: Vec<&str>| {
        if items.is_empty() {
            none()
        } else {
            items.join(", ")
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "languages:        {}",
        join(stacks.languages.iter().map(|l| l.as_str()).collect())
    );
    let _ = writeln!(
        out,
        "package managers: {}",
        join(stacks.package_managers.iter().map(|p| p.as_str()).collect())
    );
    let toolchains: Vec<String> = stacks
        .toolchains
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(
        out,
        "toolchains:       {}",
        join(toolchains.iter().map(String::as_str).collect())
    );
    let _ = writeln!(
        out,
        "docker files:     {}",
        join(stacks.docker_files.iter().map(String::as_str).collect())
    );
    if stacks.subprojects.is_empty() {
        let _ = writeln!(out, "subprojects:      none");
    } else {
        let _ = writeln!(out, "subprojects:");
        let width = stacks
            .subprojects
            .iter()
            .map(|s| s.path.len())
            .max()
            .unwrap_or(1);
        for s in &stacks.subprojects {
            let _ = writeln!(
                out,
                "  {:<width$}  {:<10}  {}",
                s.path,
                s.stack.as_str(),
                s.package_manager.as_str()
            );
        }
    }
    if stacks.test_commands.is_empty() {
        let _ = writeln!(out, "test commands:    none");
    } else {
        let _ = writeln!(out, "test commands:");
        for c in &stacks.test_commands {
            let _ = writeln!(out, "  {c}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<std::ffi::OsString> {
        list.iter().map(Into::into).collect()
    }

    #[test]
    fn a_link_named_gen_workflows_runs_the_subcommand() {
        assert_eq!(
            with_alias(args(&["/usr/local/bin/gen-workflows", "--check", "."])),
            args(&[
                "/usr/local/bin/gen-workflows",
                "gen-workflows",
                "--check",
                "."
            ])
        );
        assert_eq!(
            with_alias(args(&["gen-workflows.exe"])),
            args(&["gen-workflows.exe", "gen-workflows"])
        );
        for unchanged in [
            args(&["slipway", "detect"]),
            args(&["/opt/gen-workflows-old/slipway", "init"]),
            args(&["gen-workflows2", "detect"]),
            args(&[]),
        ] {
            assert_eq!(with_alias(unchanged.clone()), unchanged);
        }
    }
}
