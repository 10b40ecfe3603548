//! The `slipway notify` and `slipway quality comment` command lines.

use std::path::PathBuf;

use crate::error::{EXIT_OK, Failure};
use crate::github::{self, Annotation, Client};
use crate::metrics::cli::note;

use super::{DeployEvent, Notifiers, outcomes};

/// `slipway notify` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum NotifyCommand {
    /// Report a deployment: success, or failure and whether it was rolled back.
    #[command(
        disable_version_flag = true,
        after_help = "Examples:\n  slipway notify deploy --environment production --version v1.4.0 \\\n    --status success --deploy success --rollback skipped --url https://shop.example\n  slipway notify deploy --environment staging --apps api,web --version v1.4.0 \\\n    --status failure --deploy success,failure --rollback skipped,success --url \"\"\n\nNotifiers come from `notify:` in slipway.yml; with none configured this prints a note and\nexits 0. Secret values are read from the environment and never printed."
    )]
    Deploy(DeployArgs),
    /// Report a rollback.
    #[command(
        disable_version_flag = true,
        after_help = "Examples:\n  slipway notify rollback --environment production --version v1.3.2 \\\n    --status success --url https://shop.example"
    )]
    Rollback(RollbackArgs),
}

impl NotifyCommand {
    /// `notify deploy` or `notify rollback`.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Deploy(_) => "notify deploy",
            Self::Rollback(_) => "notify rollback",
        }
    }
}

/// Arguments every notification shares.
#[derive(Debug, clap::Args)]
pub struct Common {
    /// The environment, e.g. `production`.
    #[arg(long, value_name = "NAME")]
    pub environment: String,
    /// The apps, comma-separated, when the repository has several, e.g. `--apps api,web`.
    #[arg(long, value_delimiter = ',', value_name = "APP,...")]
    pub apps: Vec<String>,
    /// The version deployed, e.g. `v1.4.0`.
    #[arg(long, value_name = "VERSION")]
    pub version: String,
    /// The job status: `success`, `failure` or `cancelled` (`${{ job.status }}`).
    #[arg(long, value_name = "STATUS")]
    pub status: String,
    /// The environment's address (may be empty).
    #[arg(long, default_value = "", value_name = "URL")]
    pub url: String,
    /// A PEM file of CA certificates the SMTP server's certificate may chain to (a private
    /// mail server); the system roots are always trusted too.
    #[arg(long, env = "SLIPWAY_SMTP_CA", value_name = "FILE")]
    pub smtp_ca: Option<PathBuf>,
    /// The config file. Default: ./slipway.yml when it exists.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Arguments of `slipway notify deploy`.
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    #[command(flatten)]
    common: Common,
    /// The deploy step's outcome, one per app, comma-separated (`${{ steps.deploy.outcome }}`).
    #[arg(long = "deploy", default_value = "", value_name = "OUTCOME")]
    pub deploy: String,
    /// The rollback step's outcome, one per app (`skipped` when no rollback ran).
    #[arg(long = "rollback", default_value = "", value_name = "OUTCOME")]
    pub rollback: String,
}

/// Arguments of `slipway notify rollback`.
#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    #[command(flatten)]
    common: Common,
}

/// Arguments of `slipway quality comment`.
#[derive(Debug, clap::Args)]
pub struct QualityCommentArgs {
    /// The pull request to comment on (not with `--from-artifact`, whose file names it).
    #[arg(
        long,
        env = "SLIPWAY_PULL_REQUEST",
        value_name = "NUMBER",
        required_unless_present = "from_artifact",
        conflicts_with = "from_artifact"
    )]
    pub pull_request: Option<u64>,
    /// The quality report directory; its `summary.md` is posted.
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "from_artifact",
        conflicts_with = "from_artifact"
    )]
    pub report: Option<PathBuf>,
    /// A fork pull request's `quality-comment` artifact, downloaded to DIR (`summary.md` and
    /// `pull-request`): its content is checked as untrusted data, and the number must name a
    /// pull request that `--run-id` built. Used by the quality-comment workflow.
    #[arg(long, value_name = "DIR", requires = "run_id")]
    pub from_artifact: Option<PathBuf>,
    /// The workflow run that uploaded the artifact (`github.event.workflow_run.id`).
    #[arg(long, env = "SLIPWAY_RUN_ID", value_name = "ID")]
    pub run_id: Option<u64>,
    /// The hidden marker that makes the comment sticky: one comment per marker, updated.
    #[arg(long, default_value = "slipway-quality", value_name = "NAME")]
    pub marker: String,
}

fn run_url() -> Option<String> {
    let v = |k: &str| std::env::var(k).ok().filter(|s| !s.is_empty());
    Some(format!(
        "{}/{}/actions/runs/{}",
        v("GITHUB_SERVER_URL").unwrap_or_else(|| "https://github.com".into()),
        v("GITHUB_REPOSITORY")?,
        v("GITHUB_RUN_ID")?
    ))
}

/// `DIR/summary.md`, as `slipway quality gate --report DIR` wrote it.
fn read_summary(report: &std::path::Path) -> Result<String, Failure> {
    let path = report.join("summary.md");
    match std::fs::read_to_string(&path) {
        Ok(t) => Ok(t),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(Failure::msg(format!("no quality summary at `{}`", path.display()))
                .with_hint(format!(
                    "run `slipway quality gate --report {}` first (it writes summary.md), or download the quality-report artifact there",
                    report.display()
                )))
        }
        Err(source) => Err(super::Error::Read { path, source }.into()),
    }
}

/// Runs `slipway notify …`.
pub fn run(command: NotifyCommand) -> Result<u8, Failure> {
    let (kind, common, deploy, rollback) = match command {
        NotifyCommand::Deploy(a) => ("deploy", a.common, a.deploy, a.rollback),
        NotifyCommand::Rollback(a) => {
            let status = a.common.status.clone();
            ("rollback", a.common, status, String::new())
        }
    };
    let Common {
        environment,
        apps,
        version,
        status,
        url,
        smtp_ca,
        config,
    } = common;
    let apps: Vec<String> = apps.into_iter().filter(|a| !a.is_empty()).collect();
    let loaded = crate::config::load(std::path::Path::new("."), config.as_deref())?;
    let notifiers =
        Notifiers::from_config(&loaded.config.notify, |k| std::env::var(k).ok(), smtp_ca)?;
    for var in &notifiers.missing {
        let text = format!(
            "`{var}` is not set: that notifier is skipped (pass the secret to the step as `{var}`)"
        );
        if github::runtime().in_actions() {
            github::runtime().annotate(Annotation::warning(text).title("slipway notify"));
        } else {
            note(&text);
        }
    }
    let event = DeployEvent {
        kind,
        environment,
        apps: outcomes(&apps, &deploy, &rollback),
        version,
        status,
        url,
        repository: std::env::var("GITHUB_REPOSITORY")
            .ok()
            .filter(|s| !s.is_empty()),
        run_url: run_url(),
    };
    let message = event.message();
    if notifiers.is_empty() {
        note(&format!(
            "no notifier configured (`notify:` in slipway.yml): nothing sent for \"{}\"",
            message.title
        ));
        return Ok(EXIT_OK);
    }
    let sent = super::send(&notifiers, &message)?;
    for s in &sent.skipped {
        note(s);
    }
    note(&format!(
        "\"{}\" sent to {}",
        message.title,
        sent.delivered.join(", ")
    ));
    Ok(EXIT_OK)
}

/// Runs `slipway quality comment`.
pub fn run_quality_comment(args: QualityCommentArgs) -> Result<u8, Failure> {
    let QualityCommentArgs {
        pull_request,
        report,
        from_artifact,
        run_id,
        marker,
    } = args;
    // The run an artifact must come from; always checked for an artifact (clap requires
    // `--run-id` with `--from-artifact`).
    let (pull_request, text, verify_run) = match (from_artifact, pull_request, report) {
        (Some(dir), ..) => {
            let run = run_id.ok_or_else(|| {
                Failure::msg("`--from-artifact` needs `--run-id`")
                    .with_hint("pass `github.event.workflow_run.id` through `SLIPWAY_RUN_ID`")
            })?;
            let a = crate::quality::artifact::read(&dir)?;
            (a.number, a.summary, Some(run))
        }
        (None, Some(n), Some(report)) => (n, read_summary(&report)?, None),
        _ => {
            return Err(Failure::msg(
                "give `--pull-request N --report DIR`, or `--from-artifact DIR --run-id ID`",
            )
            .with_hint(
                "e.g. `slipway quality comment --pull-request 42 --report _slipway/quality`",
            ));
        }
    };
    github::comment::marker_line(&marker)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(e, None))?;
    // octocrab's HTTP stack spawns its worker on the runtime current when it is built.
    let gh = {
        let _entered = rt.enter();
        Client::from_env()?
    };
    if let Some(run) = verify_run {
        rt.block_on(crate::quality::artifact::verify(&gh, run, pull_request))?;
    }
    let posted = rt.block_on(github::comment::upsert(&gh, pull_request, &marker, &text))?;
    note(&format!(
        "{} the quality comment on #{pull_request}: {}",
        if posted.updated { "updated" } else { "created" },
        posted.url
    ));
    Ok(EXIT_OK)
}
