//! Promotion gates: is a commit live in an environment?
//!
//! `slipway deploy promoted --from staging --commit SHA` asks GitHub's Deployments API
//! (<https://docs.github.com/en/rest/deployments/deployments#list-deployments>): the live
//! Deployment of an environment is the newest one whose newest status is `success` (a later
//! `failure` or `inactive` means that version no longer serves). The commit is live when it is
//! that Deployment's sha, or an ancestor of it: `compare/SHA...LIVE` answers `ahead` (the live
//! commit contains SHA) or `identical`
//! (<https://docs.github.com/en/rest/commits/commits#compare-two-commits>).

use clap::Args;

use super::github::{Deployment, State, compare, latest_status, list_deployments};
use crate::error::{EXIT_FAILED, EXIT_OK, Failure, Hint};
use crate::github::client::{Client, Error as ApiError};

/// How many of the environment's newest Deployments are searched for the live one.
pub const SEARCH_LIMIT: usize = 50;

/// Whether a commit is live in an environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The live Deployment is this commit.
    Exact {
        /// The live Deployment.
        deployment: Deployment,
    },
    /// The live Deployment is a descendant of the commit.
    Ancestor {
        /// The live Deployment.
        deployment: Deployment,
        /// Commits the live one is ahead of the asked commit.
        ahead_by: u64,
    },
    /// The live Deployment does not contain the commit.
    NotLive {
        /// The live Deployment.
        deployment: Deployment,
        /// The compare status of the live commit against the asked one (`behind`, `diverged`).
        relation: String,
    },
    /// The environment has no successful, still active Deployment.
    NothingLive {
        /// Deployments looked at.
        searched: usize,
    },
}

impl Verdict {
    /// Whether the commit is live.
    pub fn is_live(&self) -> bool {
        matches!(self, Self::Exact { .. } | Self::Ancestor { .. })
    }

    /// One line for people.
    pub fn describe(&self, env: &str, commit: &str) -> String {
        let short = |s: &str| s.chars().take(12).collect::<String>();
        match self {
            Self::Exact { deployment } => format!(
                "`{}` is live in `{env}` (deployment {} at {})",
                short(commit),
                deployment.id,
                deployment.created_at
            ),
            Self::Ancestor {
                deployment,
                ahead_by,
            } => format!(
                "`{}` is live in `{env}`: the live commit `{}` (deployment {}) contains it, {ahead_by} commit(s) later",
                short(commit),
                short(&deployment.sha),
                deployment.id
            ),
            Self::NotLive {
                deployment,
                relation,
            } => format!(
                "`{}` is not live in `{env}`: the live commit `{}` (deployment {}) does not contain it (it is {relation})",
                short(commit),
                short(&deployment.sha),
                deployment.id
            ),
            Self::NothingLive { searched } => format!(
                "`{}` is not live in `{env}`: none of its {searched} newest deployments is successful and active",
                short(commit)
            ),
        }
    }
}

/// What the check can fail on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--commit` is not a hexadecimal commit sha.
    #[error("`{0}` is not a commit sha")]
    Commit(String),
    /// `--from` is not an environment name.
    #[error("`{0}` is not an environment name")]
    Environment(String),
    /// GitHub does not know the commit.
    #[error("GitHub does not know the commit `{0}`")]
    UnknownCommit(String),
    /// The API failed.
    #[error("checking deployments of `{env}` on GitHub")]
    Api {
        /// The environment.
        env: String,
        /// What failed.
        #[source]
        source: ApiError,
    },
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Commit(_) => {
                Some("give 7 to 40 hexadecimal digits, e.g. `--commit \"$GITHUB_SHA\"`".into())
            }
            Self::Environment(_) => {
                Some("use letters, digits, `-` and `_`, e.g. `--from staging`".into())
            }
            Self::UnknownCommit(_) => Some(
                "push the commit first, and check that `--commit` is a sha of this repository"
                    .into(),
            ),
            Self::Api { source, .. } => source.hint().or_else(|| {
                Some("the job needs `permissions: deployments: read` and `contents: read`".into())
            }),
        }
    }
}

/// Checks that `commit` is live in `env`.
pub async fn check(client: &Client, env: &str, commit: &str) -> Result<Verdict, Error> {
    validate(env, commit)?;
    let api = |source| Error::Api {
        env: env.to_owned(),
        source,
    };
    let deployments = list_deployments(client, env, None, SEARCH_LIMIT)
        .await
        .map_err(api)?;
    let mut live = None;
    for deployment in &deployments {
        let status = latest_status(client, deployment.id).await.map_err(api)?;
        if status.is_some_and(|s| s.state == State::Success) {
            live = Some(deployment.clone());
            break;
        }
    }
    let Some(deployment) = live else {
        return Ok(Verdict::NothingLive {
            searched: deployments.len(),
        });
    };
    let commit = commit.to_ascii_lowercase();
    if deployment.sha.to_ascii_lowercase().starts_with(&commit) {
        return Ok(Verdict::Exact { deployment });
    }
    let comparison = match compare(client, &commit, &deployment.sha).await {
        Ok(c) => c,
        Err(ApiError::NotFound { .. }) => return Err(Error::UnknownCommit(commit)),
        // 422: "No common ancestor" or an unknown sha.
        Err(ApiError::Status { status, .. }) if status.as_u16() == 422 => {
            return Err(Error::UnknownCommit(commit));
        }
        Err(e) => return Err(api(e)),
    };
    Ok(match comparison.status.as_str() {
        "identical" => Verdict::Exact { deployment },
        "ahead" => Verdict::Ancestor {
            deployment,
            ahead_by: comparison.ahead_by,
        },
        other => Verdict::NotLive {
            deployment,
            relation: other.to_owned(),
        },
    })
}

fn validate(env: &str, commit: &str) -> Result<(), Error> {
    let hex = commit.chars().all(|c| c.is_ascii_hexdigit());
    if !(7..=40).contains(&commit.len()) || !hex {
        return Err(Error::Commit(commit.to_owned()));
    }
    let name_ok = !env.is_empty()
        && env.len() <= 100
        && env
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !name_ok {
        return Err(Error::Environment(env.to_owned()));
    }
    Ok(())
}

/// Arguments of `slipway deploy promoted`.
#[derive(Debug, Args)]
pub struct PromotedArgs {
    /// The environment the commit must be live in, e.g. `--from staging`.
    #[arg(long, value_name = "ENV", env = "SLIPWAY_FROM")]
    pub from: String,
    /// The commit to look for, e.g. `--commit 6dcb09b` (7 to 40 hex digits; default: the
    /// workflow's `GITHUB_SHA`).
    #[arg(long, value_name = "SHA", env = "GITHUB_SHA")]
    pub commit: String,
}

/// Runs `slipway deploy promoted`: exit 0 when the commit is live in the environment, 1 when
/// it is not, 2 when the check could not run.
pub fn run(args: PromotedArgs) -> Result<u8, Failure> {
    let PromotedArgs { from, commit } = args;
    let (from, commit) = (from.trim().to_owned(), commit.trim().to_owned());
    validate(&from, &commit)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(e, None))?;
    let verdict = runtime.block_on(async {
        let client = Client::from_env()?;
        check(&client, &from, &commit).await.map_err(Failure::from)
    })?;
    let line = verdict.describe(&from, &commit);
    let gh = crate::github::runtime();
    if gh.in_actions() {
        gh.set_output("live", if verdict.is_live() { "true" } else { "false" })?;
    }
    if verdict.is_live() {
        println!("{line}");
        Ok(EXIT_OK)
    } else {
        println!("{line}");
        eprintln!(
            "{}",
            crate::github::safe::neutralize(&format!(
                "hint: deploy `{}` to `{from}` first; promotion only moves versions that are live there",
                commit.chars().take(12).collect::<String>()
            ))
        );
        Ok(EXIT_FAILED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_and_environments_are_checked_before_any_request() {
        assert!(validate("staging", "a84d88e").is_ok());
        assert!(validate("staging", "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d").is_ok());
        for bad in [
            "",
            "a84d88",
            "xyz1234",
            "a84d88e7554fc1fa21bcbc4efae3c782a70d2b9d0",
            "main",
        ] {
            assert!(
                matches!(validate("staging", bad), Err(Error::Commit(_))),
                "{bad}"
            );
        }
        for bad in ["", "stag ing", "../x", "a/b"] {
            assert!(
                matches!(validate(bad, "a84d88e"), Err(Error::Environment(_))),
                "{bad}"
            );
        }
    }
}
