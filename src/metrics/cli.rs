//! The `slipway metrics` command line: arguments, settings and output.

use std::path::PathBuf;

use crate::error::{EXIT_FAILED, EXIT_OK, Failure};
use crate::github::client::{self, Client, Repo};
use crate::github::{self, Priority, Summary};

/// Arguments of `slipway metrics`.
#[derive(Debug, clap::Args)]
pub struct MetricsArgs {
    /// The repository, `owner/name`. Default: `GITHUB_REPOSITORY`, then the GitHub `origin`
    /// remote of the current directory.
    #[arg(long, env = "SLIPWAY_REPO", value_name = "OWNER/NAME")]
    pub repo: Option<String>,
    /// The environment whose deployments the DORA figures count, e.g. `--env production`.
    #[arg(
        long = "env",
        env = "SLIPWAY_ENV",
        default_value = "production",
        value_name = "NAME"
    )]
    pub environment: String,
    /// How far back to look: a number and `m`, `h`, `d` or `w`, e.g. `--since 30d`.
    #[arg(
        long,
        env = "SLIPWAY_SINCE",
        default_value = "30d",
        value_name = "SPAN"
    )]
    pub since: String,
    /// Print the report as JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Also write the report as Markdown with mermaid charts, e.g. `--markdown metrics.md`.
    /// Inside Actions the same Markdown goes to the step summary (within its 1 MiB).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Also write one self-contained HTML page with SVG charts, e.g. `--html report.html`.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Where ETags and answers are kept so re-runs cost few requests. Default:
    /// `$XDG_CACHE_HOME/slipway/metrics`, `~/.cache/slipway/metrics`, or under `RUNNER_TEMP`.
    #[arg(long, env = "SLIPWAY_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Do not read or write the cache.
    #[arg(long, conflicts_with = "cache_dir")]
    pub no_cache: bool,
    /// API requests in flight at once, 1 to 32.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=32), value_name = "N")]
    pub concurrency: u16,
    /// Recent completed runs per workflow whose jobs and steps are fetched (0: none).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(0..=100), value_name = "N")]
    pub job_sample: u16,
    /// A directory of downloaded run-tests `report.json` artifacts: flakiest tests and
    /// coverage come from them.
    #[arg(long, env = "SLIPWAY_TEST_REPORTS", value_name = "DIR")]
    pub test_reports: Option<PathBuf>,
    /// Read the run-tests reports from the repository's artifacts instead: those whose name
    /// starts with PREFIX, created in the window, the newest 50, e.g. `--test-artifacts
    /// test-results-` (the generated ci workflow's `test-results-<app>-<shard>`). Each zip is
    /// downloaded once and cached by artifact id; expired ones are skipped with a note.
    #[arg(
        long,
        env = "SLIPWAY_TEST_ARTIFACTS",
        value_name = "PREFIX",
        conflicts_with = "test_reports"
    )]
    pub test_artifacts: Option<String>,
    /// slipway's own deploy history (`history.jsonl` in the target's state directory, e.g.
    /// `~/.local/state/slipway/shop/production/history.jsonl`): its deploys and rollbacks count
    /// for the DORA figures when GitHub lists no deployments for the environment.
    #[arg(long, env = "SLIPWAY_DEPLOY_HISTORY", value_name = "FILE")]
    pub deploy_history: Option<PathBuf>,
    /// Exit 1 when a target of `metrics:` in slipway.yml is missed.
    #[arg(long, env = "SLIPWAY_FAIL_ON_BREACH")]
    pub fail_on_breach: bool,
    /// Send missed targets to the notifiers of `notify:` in slipway.yml.
    #[arg(long)]
    pub notify: bool,
    /// Post the Markdown report as a sticky comment on this issue or pull request.
    #[arg(long, value_name = "NUMBER")]
    pub comment: Option<u64>,
    /// The config file. Default: ./slipway.yml when it exists.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
}

/// Prints `text` on stdout (neutralized); a closed pipe is not an error.
pub(crate) fn print_stdout(text: &str) -> Result<(), Failure> {
    use std::io::Write as _;
    let text = github::safe::neutralize(text);
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::new(e, None)),
        _ => Ok(()),
    }
}

/// A `note:` line on stderr, with secrets redacted.
pub(crate) fn note(text: &str) {
    eprintln!("note: {}", github::safe::neutralize(&github::redact(text)));
}

/// `owner/name` of a GitHub remote URL (`https://github.com/o/r.git`, `git@github.com:o/r`).
pub fn repo_from_remote(url: &str) -> Option<Repo> {
    let url = url.trim();
    let rest = url
        .strip_prefix("git@github.com:")
        .or_else(|| url.strip_prefix("ssh://git@github.com/"))
        .or_else(|| url.strip_prefix("https://github.com/"))
        .or_else(|| url.strip_prefix("http://github.com/"))?;
    let rest = rest.trim_end_matches('/');
    Repo::parse(rest.strip_suffix(".git").unwrap_or(rest)).ok()
}

fn default_repo() -> Option<Repo> {
    if let Some(r) = std::env::var(client::ENV_REPOSITORY)
        .ok()
        .filter(|r| !r.is_empty())
    {
        return Repo::parse(&r).ok();
    }
    let out = std::process::Command::new("git")
        .args(["remote", "get-url", "origin"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    repo_from_remote(&String::from_utf8_lossy(&out.stdout))
}

fn default_cache_dir() -> Option<PathBuf> {
    let env = |k: &str| {
        std::env::var_os(k)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    env("XDG_CACHE_HOME")
        .map(|d| d.join("slipway/metrics"))
        .or_else(|| env("RUNNER_TEMP").map(|d| d.join("slipway-metrics-cache")))
        .or_else(|| env("HOME").map(|d| d.join(".cache/slipway/metrics")))
}

fn write(path: &std::path::Path, text: &str) -> Result<(), Failure> {
    crate::fsutil::write_atomic(path, text.as_bytes()).map_err(|source| {
        Failure::from(super::Error::Write {
            path: path.to_path_buf(),
            source,
        })
    })
}

/// Runs `slipway metrics`.
pub fn run(args: MetricsArgs) -> Result<u8, Failure> {
    let MetricsArgs {
        repo,
        environment,
        since,
        json,
        markdown,
        html,
        cache_dir,
        no_cache,
        concurrency,
        job_sample,
        test_reports,
        test_artifacts,
        deploy_history,
        fail_on_breach,
        notify,
        comment,
        config,
    } = args;
    let since_s = super::time::parse_span(&since).ok_or(super::Error::BadSince(since))?;
    let loaded = crate::config::load(std::path::Path::new("."), config.as_deref())?;
    let mut client_settings = client::Settings::from_env()?;
    let repo = match repo {
        Some(r) => Repo::parse(&r)?,
        None => default_repo().ok_or(super::Error::NoRepository)?,
    };
    client_settings.repository = Some(repo.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::from(super::Error::Runtime(e)))?;
    // octocrab's HTTP stack spawns its worker on the runtime current when it is built.
    let gh = {
        let _entered = rt.enter();
        Client::new(client_settings)?
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let settings = super::Settings {
        repo,
        environment,
        since_s,
        now,
        cache_dir: if no_cache {
            None
        } else {
            cache_dir.or_else(default_cache_dir)
        },
        concurrency: usize::from(concurrency),
        job_sample: usize::from(job_sample),
        test_reports,
        test_artifacts: test_artifacts.filter(|p| !p.is_empty()),
        deploy_history,
        targets: loaded.config.metrics.clone(),
    };
    let report = rt.block_on(super::run(&settings, &gh))?;
    let md = super::render::markdown(&report);
    if let Some(path) = &markdown {
        write(path, &md)?;
    }
    if let Some(path) = &html {
        write(path, &super::html::page(&report))?;
    }
    let runtime = github::runtime();
    if runtime.summary_file().is_some() {
        let mut summary = Summary::new();
        summary.section(Priority::High, None).text(&md);
        runtime.write_summary(&summary)?;
    }
    if let Some(number) = comment {
        let posted = rt.block_on(github::comment::upsert(&gh, number, "slipway-metrics", &md))?;
        note(&format!(
            "{} the report on #{number}: {}",
            if posted.updated { "updated" } else { "posted" },
            posted.url
        ));
    }
    if notify && !report.breaches.is_empty() {
        let notifiers = crate::notify::Notifiers::from_config(
            &loaded.config.notify,
            |k| std::env::var(k).ok(),
            None,
        )?;
        if notifiers.is_empty() {
            note("no notifier configured (`notify:` in slipway.yml): nothing sent");
        } else {
            let sent = crate::notify::send(&notifiers, &crate::notify::breach_message(&report))?;
            note(&format!("sent to {}", sent.delivered.join(", ")));
        }
    }
    if json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| Failure::new(e, None))?;
        print_stdout(&format!("{text}\n"))?;
    } else {
        print_stdout(&super::render::table(&report))?;
    }
    if runtime.in_actions() {
        for b in &report.breaches {
            runtime.annotate(
                github::Annotation::warning(b.message.clone())
                    .title("slipway metrics: target missed"),
            );
        }
    }
    Ok(if fail_on_breach && !report.breaches.is_empty() {
        EXIT_FAILED
    } else {
        EXIT_OK
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_remotes_name_the_repository() {
        for url in [
            "https://github.com/octo/shop.git",
            "git@github.com:octo/shop.git\n",
            "ssh://git@github.com/octo/shop",
            "https://github.com/octo/shop/",
        ] {
            assert_eq!(
                repo_from_remote(url).unwrap().to_string(),
                "octo/shop",
                "{url}"
            );
        }
        assert!(repo_from_remote("https://gitlab.com/octo/shop").is_none());
    }

    proptest::proptest! {
        #[test]
        fn random_remotes_never_panic(s in "\\PC{0,60}") {
            let _ = repo_from_remote(&s);
            let _ = repo_from_remote(&format!("https://github.com/{s}"));
        }
    }
}
