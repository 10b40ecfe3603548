//! `slipway security-scan` on the command line: arguments, settings and the edge (stdout,
//! SARIF file, Actions outputs, exit code).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};

use crate::config::{self, Severity};
use crate::error::{EXIT_FAILED, EXIT_OK, Failure};
use crate::github;
use crate::security::{self, Error, allow, code_scanning, report, sarif};

/// The after-help of `slipway security-scan`.
pub const AFTER_HELP: &str = "Examples:\n  slipway security-scan                               secrets, dependencies and workflows of `.`\n  slipway security-scan --json | jq '.findings[] | select(.level == \"critical\")'\n  slipway security-scan --sarif out/slipway.sarif     SARIF 2.1.0 for code scanning\n  slipway security-scan --history                     also every commit's added lines\n  slipway security-scan --fail-on critical            fail only on critical findings\n  slipway security-scan --no-dependencies --osv-db /srv/osv\n  slipway security-scan baseline                      accept today's findings, report only new ones\n\nSecrets are redacted everywhere (at most their first 4 characters are shown).\nSilence a line with a `slipway:allow` comment, or list `security.allow` entries in slipway.yml.\nExit codes: 0 nothing at or above --fail-on, 1 findings at or above it, 2 could not run.";

/// `--fail-on` values; `never` is the action's name for `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Never fail; report only.
    #[value(alias = "never")]
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

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Self {
        match f {
            FailOn::None => Self::None,
            FailOn::Low => Self::Low,
            FailOn::Medium => Self::Medium,
            FailOn::High => Self::High,
            FailOn::Critical => Self::Critical,
        }
    }
}

/// Arguments of `slipway security-scan`.
#[derive(Debug, Args)]
pub struct SecurityScanArgs {
    /// `baseline`, or nothing to scan.
    #[command(subcommand)]
    pub command: Option<SecurityScanCommand>,
    /// What to scan and how.
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Print the findings as JSON on stdout, e.g. `--json | jq '.findings | length'`.
    #[arg(long, env = "SLIPWAY_JSON")]
    pub json: bool,
    /// Write SARIF 2.1.0 here (one run per part), e.g. `--sarif _slipway/security/slipway.sarif`.
    #[arg(long, value_name = "FILE", env = "SLIPWAY_SARIF")]
    pub sarif: Option<PathBuf>,
    /// The lowest severity that fails the scan, e.g. `--fail-on critical` (`none` reports
    /// only; default: `security.fail-on`, `high`).
    #[arg(long, value_enum, value_name = "LEVEL", env = "SLIPWAY_FAIL_ON")]
    pub fail_on: Option<FailOn>,
    /// Accepted findings: only findings not in this file count, e.g. `--baseline
    /// .slipway/security-baseline.json` (default: `security.baseline`).
    #[arg(long, value_name = "FILE", env = "SLIPWAY_BASELINE")]
    pub baseline: Option<PathBuf>,
}

/// What to scan: shared by the scan and `baseline`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// The repository root, e.g. `.` or `../shop`.
    #[arg(default_value = ".", value_name = "PATH")]
    pub dir: PathBuf,
    /// The config file, e.g. `deploy/slipway.yml` (default: `PATH/slipway.yml` when present).
    #[arg(long, value_name = "FILE", env = "SLIPWAY_CONFIG")]
    pub config: Option<PathBuf>,
    /// Also scan the lines every commit added, reachable from HEAD, e.g. `--history` (needs
    /// the full clone: `fetch-depth: 0`).
    #[arg(long, env = "SLIPWAY_HISTORY")]
    pub history: bool,
    /// Scan for secrets, e.g. `--secrets false` (default: `security.secrets`, true).
    #[arg(long, value_name = "BOOL", env = "SLIPWAY_SECRETS")]
    pub secrets: Option<bool>,
    /// Audit lockfiles against advisories, e.g. `--dependencies false` (default:
    /// `security.dependencies`, true).
    #[arg(long, value_name = "BOOL", env = "SLIPWAY_DEPENDENCIES")]
    pub dependencies: Option<bool>,
    /// Audit workflows and actions, e.g. `--workflows false` (default: `security.workflows`, true).
    #[arg(long, value_name = "BOOL", env = "SLIPWAY_WORKFLOWS")]
    pub workflows: Option<bool>,
    /// Skip the secrets part, e.g. `--no-secrets`.
    #[arg(long)]
    pub no_secrets: bool,
    /// Skip the dependency part, e.g. `--no-dependencies`.
    #[arg(long)]
    pub no_dependencies: bool,
    /// Skip the workflow part, e.g. `--no-workflows`.
    #[arg(long)]
    pub no_workflows: bool,
    /// The advisory database: a directory of OSV JSON files (osv.dev's per-ecosystem
    /// exports), e.g. `--osv-db /srv/osv`, or an OSV API URL (default: `https://api.osv.dev`;
    /// when it cannot be reached the dependency part is reported as not checked).
    #[arg(long, value_name = "DIR", env = "SLIPWAY_OSV_DB")]
    pub osv_db: Option<PathBuf>,
    /// Files larger than this many MiB are skipped with a note (0: scan every file), e.g.
    /// `--max-file-size 64`.
    #[arg(
        long,
        value_name = "MIB",
        default_value_t = 8,
        env = "SLIPWAY_MAX_FILE_SIZE"
    )]
    pub max_file_size: u64,
}

/// `slipway security-scan` subcommands.
#[derive(Debug, Subcommand)]
pub enum SecurityScanCommand {
    /// Accept every current finding: write their fingerprints to a baseline file, so later
    /// scans report only new ones.
    #[command(
        after_help = "Examples:\n  slipway security-scan baseline                         write .slipway/security-baseline.json\n  slipway security-scan baseline --output sec/base.json   then set `security.baseline: sec/base.json`\n\nThe file holds fingerprints (hashes of rule, path and the text around a finding, never of a secret), rule ids and paths: commit it."
    )]
    Baseline(BaselineArgs),
    /// Whether GitHub code scanning is available to this repository: writes the step output
    /// `enabled=true|false`, on which the security workflow's SARIF upload and CodeQL depend.
    #[command(
        name = "code-scanning-status",
        after_help = "Examples:\n  slipway security-scan code-scanning-status        in a job with `security-events: read`\n\nA public repository has code scanning; a private or internal one has it with GitHub Code\nSecurity (or Advanced Security), which the code-scanning API tells. Reads the event payload\n(GITHUB_EVENT_PATH: a public repository needs no request), GITHUB_TOKEN, GITHUB_REPOSITORY and\nGITHUB_API_URL.\n\nExit codes: 0 decided (either way), 2 GitHub's answer could not tell (permission, 5xx, network)."
    )]
    CodeScanningStatus,
}

/// Arguments of `slipway security-scan baseline`.
#[derive(Debug, Args)]
pub struct BaselineArgs {
    /// What to scan and how.
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Where to write it, e.g. `--output sec/base.json` (default: `security.baseline`, else
    /// `.slipway/security-baseline.json` under PATH).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

impl SecurityScanArgs {
    /// The command's name for annotations.
    pub fn name(&self) -> &'static str {
        match self.command {
            Some(SecurityScanCommand::Baseline(_)) => "security-scan baseline",
            Some(SecurityScanCommand::CodeScanningStatus) => "security-scan code-scanning-status",
            None => "security-scan",
        }
    }
}

/// Settings from the arguments and the config; `baseline` is filled by the caller.
fn settings(scan: ScanArgs, loaded: &config::Loaded) -> security::Settings {
    let ScanArgs {
        dir,
        config: _,
        history,
        secrets,
        dependencies,
        workflows,
        no_secrets,
        no_dependencies,
        no_workflows,
        osv_db,
        max_file_size,
    } = scan;
    let sec = &loaded.config.security;
    security::Settings {
        config_file: security::config_label(&dir, loaded.path.as_deref()),
        secrets: !no_secrets && secrets.unwrap_or(sec.secrets),
        dependencies: !no_dependencies && dependencies.unwrap_or(sec.dependencies),
        workflows: !no_workflows && workflows.unwrap_or(sec.workflows),
        history,
        max_file_bytes: max_file_size.saturating_mul(1024 * 1024),
        allow: sec.allow.clone(),
        baseline: None,
        osv_db,
        fail_on: sec.fail_on,
        licenses: sec.licenses.clone(),
        root: dir,
    }
}

/// Runs `slipway security-scan` (or its `baseline` subcommand); returns the exit code.
pub fn run(args: SecurityScanArgs) -> Result<u8, Failure> {
    let SecurityScanArgs {
        command,
        scan,
        json,
        sarif: sarif_path,
        fail_on,
        baseline,
    } = args;
    match command {
        Some(SecurityScanCommand::Baseline(b)) => return run_baseline(b),
        Some(SecurityScanCommand::CodeScanningStatus) => return run_code_scanning_status(),
        None => {}
    }
    let loaded = config::load(&scan.dir, scan.config.as_deref())?;
    let mut settings = settings(scan, &loaded);
    if let Some(f) = fail_on {
        settings.fail_on = f.into();
    }
    settings.baseline = allow::baseline_path(
        &settings.root,
        baseline,
        loaded.config.security.baseline.as_deref(),
    );
    let outcome = security::run(&settings)?;
    let mut dropped = Vec::new();
    let sarif_label = match &sarif_path {
        Some(path) => {
            let rendered = sarif::render(&outcome);
            write_file(path, rendered.text.as_bytes())?;
            for (kind, n) in &rendered.dropped {
                warn(&format!(
                    "{n} {} results left out of the SARIF file to stay within GitHub's limits",
                    kind.part()
                ));
            }
            dropped = rendered.dropped;
            Some(path.display().to_string())
        }
        None => None,
    };
    for n in &outcome.notices {
        warn(n);
    }
    for p in &outcome.parts {
        if let security::PartState::NotChecked(reason) = &p.state {
            warn(&format!("{} not checked: {reason}", p.kind.part()));
        }
        if let security::PartState::Incomplete(reason) = &p.state {
            warn(&format!("{} incomplete: {reason}", p.kind.part()));
        }
    }
    let runtime = github::runtime();
    if runtime.in_actions() {
        report::publish(runtime, &outcome, sarif_label.as_deref(), &dropped)?;
    }
    let text = if json {
        let mut s = serde_json::to_string_pretty(&report::json(&outcome, sarif_label.as_deref()))
            .map_err(|e| Failure::new(e, None))?;
        s.push('\n');
        s
    } else {
        report::text(&outcome)
    };
    print_stdout(&text)?;
    if let Some(hint) = report::accept_hint(&outcome) {
        eprintln!("{}", github::safe::neutralize(&format!("hint: {hint}")));
    }
    Ok(if outcome.failed() {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}

fn run_baseline(args: BaselineArgs) -> Result<u8, Failure> {
    let BaselineArgs { scan, output } = args;
    let loaded = config::load(&scan.dir, scan.config.as_deref())?;
    let settings = settings(scan, &loaded);
    let output = output.unwrap_or_else(|| {
        settings.root.join(
            loaded
                .config
                .security
                .baseline
                .as_deref()
                .unwrap_or(allow::DEFAULT_BASELINE),
        )
    });
    let outcome = security::run(&settings)?;
    let baseline = allow::Baseline::of(&outcome.findings);
    baseline.write(&output)?;
    let line = format!(
        "wrote {} with {} accepted findings",
        output.display(),
        baseline.findings.len()
    );
    eprintln!("{}", github::safe::neutralize(&line));
    if loaded.config.security.baseline.is_none() {
        let hint = "set `security.baseline` in slipway.yml (or pass --baseline) so scans use it";
        eprintln!("{}", github::safe::neutralize(hint));
    }
    Ok(EXIT_OK)
}

/// `slipway security-scan code-scanning-status`: asks GitHub, writes `enabled`, says why.
fn run_code_scanning_status() -> Result<u8, Failure> {
    // The runner's event payload says whether the repository is public: no request then.
    let known = std::env::var_os("GITHUB_EVENT_PATH")
        .filter(|p| !p.is_empty())
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|text| code_scanning::visibility_from_event(&text));
    let (status, line) = if known == Some(code_scanning::Visibility::Public) {
        let status = code_scanning::Status::Public;
        let line = match std::env::var(github::client::ENV_REPOSITORY) {
            Ok(r) => match github::client::Repo::parse(&r) {
                Ok(repo) => status.describe(&repo),
                Err(_) => "code scanning is available: the repository is public".to_owned(),
            },
            Err(_) => "code scanning is available: the repository is public".to_owned(),
        };
        (status, line)
    } else {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::new(e, None))?;
        // octocrab's HTTP stack spawns its worker on the runtime current when it is built.
        let client = {
            let _entered = rt.enter();
            github::client::Client::from_env()?
        };
        let repo = client.repo()?.clone();
        let status = rt.block_on(code_scanning::check(&client, known))?;
        let line = status.describe(&repo);
        (status, line)
    };
    let runtime = github::runtime();
    runtime.set_output("enabled", if status.enabled() { "true" } else { "false" })?;
    if runtime.in_actions() && !status.enabled() {
        let what = "the SARIF upload and CodeQL are skipped; the scan's findings are in the job summary and annotations, and `fail-on` still fails the job. Enable GitHub Code Security in the repository's settings to get code scanning, or set `security.code-scanning: off` to stop asking";
        runtime.annotate(
            github::annotations::Annotation::notice(format!("{line}: {what}"))
                .title("slipway code scanning"),
        );
        let mut summary = github::summary::Summary::new();
        summary
            .section(github::summary::Priority::High, Some("Code scanning"))
            .text(&format!("{line}.\n\n{what}."));
        runtime.write_summary(&summary)?;
    }
    print_stdout(&format!("{line}\n"))?;
    Ok(EXIT_OK)
}

fn warn(text: &str) {
    eprintln!("{}", github::safe::neutralize(&format!("warning: {text}")));
}

/// Writes a report file atomically, creating its directory.
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let err = |source| Error::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::fsutil::create_dir_all(dir).map_err(err)?;
    }
    crate::fsutil::write_atomic(path, bytes).map_err(err)
}

/// Writes data to stdout; a closed pipe (`| head`) is not an error.
fn print_stdout(text: &str) -> Result<(), Failure> {
    let text = github::safe::neutralize(text);
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Failure::new(e, None)),
    }
}
