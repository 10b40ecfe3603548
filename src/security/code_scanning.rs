//! `slipway security-scan code-scanning-status`: whether GitHub code scanning is available to
//! the repository the workflow runs for, asked when the workflow runs (the repository's
//! visibility and its Code Security setting change after the workflow was generated).
//!
//! - A public repository has code scanning: GitHub Code Security is on for every public
//!   repository. The visibility comes from the event payload (`repository.visibility`) when it
//!   has one, else from `GET /repos/{owner}/{repo}`.
//! - A private or internal one has it only with GitHub Code Security (or Advanced Security).
//!   The code-scanning API tells: `GET /repos/{owner}/{repo}/code-scanning/analyses` answers
//!   200 (analyses) or 404 (`no analysis found`: enabled, nothing uploaded yet) when it is
//!   available, and 403 with `Advanced Security must be enabled for this repository to use
//!   code scanning.` (`Code Security must be enabled …`, or `Code scanning is not enabled for
//!   this repository` under an enterprise policy) when it is not.
//! - Anything else (a 403 for a missing permission, a 5xx after the retries, a rate limit, no
//!   network) is an error: the step fails and says why. Guessing "not available" would skip
//!   CodeQL without anyone noticing; guessing "available" would fail later, at the upload,
//!   with a message about SARIF. A red step that names the API answer is the honest outcome;
//!   setting `security.code-scanning` to `on` or `off` removes the question.
//!
//! See <https://docs.github.com/en/rest/code-scanning/code-scanning#list-code-scanning-analyses-for-a-repository>
//! and <https://docs.github.com/en/code-security/code-scanning/troubleshooting-code-scanning/advanced-security-must-be-enabled>.

use serde::Deserialize;

use crate::error::Hint;
use crate::github::client::{self, Client, Repo};

/// Who can see the repository, as `GET /repos/{owner}/{repo}` says (`visibility`, or `private`
/// on servers that do not send it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Anyone.
    Public,
    /// Invited collaborators.
    Private,
    /// Members of the enterprise (GitHub Enterprise).
    Internal,
}

impl Visibility {
    /// `public`, `private` or `internal`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
            Self::Internal => "internal",
        }
    }
}

/// The fields of a repository this check reads.
#[derive(Debug, Deserialize)]
struct RepoInfo {
    #[serde(default)]
    private: bool,
    #[serde(default)]
    visibility: Option<String>,
}

impl RepoInfo {
    fn visibility(&self) -> Visibility {
        match self.visibility.as_deref() {
            Some("public") => Visibility::Public,
            Some("internal") => Visibility::Internal,
            Some("private") => Visibility::Private,
            // An unknown or missing value: `private` decides, and a repository that is not
            // known to be public is probed.
            _ if self.private => Visibility::Private,
            Some(_) => Visibility::Private,
            None => Visibility::Public,
        }
    }
}

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// A public repository: code scanning is available.
    Public,
    /// A private or internal repository whose code-scanning API answers.
    Enabled {
        /// Its visibility.
        visibility: Visibility,
        /// How many analyses the first page listed (0 on a 404 `no analysis found`).
        analyses: usize,
    },
    /// A private or internal repository without GitHub Code Security.
    NotAvailable {
        /// Its visibility.
        visibility: Visibility,
        /// GitHub's message.
        message: String,
    },
}

impl Status {
    /// Whether the SARIF upload and CodeQL can run.
    pub fn enabled(&self) -> bool {
        !matches!(self, Self::NotAvailable { .. })
    }

    /// One line for the log.
    pub fn describe(&self, repo: &Repo) -> String {
        match self {
            Self::Public => format!(
                "code scanning is available: `{repo}` is public (GitHub Code Security is on for every public repository)"
            ),
            Self::Enabled {
                visibility,
                analyses,
            } => format!(
                "code scanning is available: `{repo}` is {} and its code-scanning API answers ({})",
                visibility.as_str(),
                if *analyses == 0 {
                    "no analysis uploaded yet".to_owned()
                } else {
                    "analyses found".to_owned()
                }
            ),
            Self::NotAvailable {
                visibility,
                message,
            } => format!(
                "code scanning is not available: `{repo}` is {} and GitHub answers \"{message}\"",
                visibility.as_str()
            ),
        }
    }
}

/// Why the check could not decide.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A call to the API failed in a way that says nothing about code scanning.
    #[error("could not tell whether code scanning is available")]
    Api(#[source] client::Error),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        let Self::Api(e) = self;
        let specific = match e {
            client::Error::Forbidden { .. } => {
                "grant the job `security-events: read` under `permissions:` (the code-scanning API needs it in private repositories)"
                    .to_owned()
            }
            other => other
                .hint()
                .unwrap_or_else(|| "run the workflow again when GitHub answers".to_owned()),
        };
        Some(format!(
            "{specific}; or decide in slipway.yml: `security.code-scanning: on` (the repository has GitHub Code Security) or `off` (it has not), then run `slipway gen-workflows`"
        ))
    }
}

/// True when a 403 message says code scanning is not enabled for the repository (as opposed
/// to a missing permission or a rate limit).
///
/// ```
/// use slipway::security::code_scanning::says_not_enabled;
/// assert!(says_not_enabled("Advanced Security must be enabled for this repository to use code scanning."));
/// assert!(says_not_enabled("Code Security must be enabled for this repository to use code scanning."));
/// assert!(!says_not_enabled("Resource not accessible by integration"));
/// ```
pub fn says_not_enabled(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("must be enabled for this repository to use code scanning")
        || m.contains("code scanning is not enabled for this repository")
}

/// The repository's visibility from the event payload the runner wrote (`GITHUB_EVENT_PATH`):
/// `repository.visibility`, else `repository.private`. `None` when the payload has no
/// repository (a `schedule` event) or is not JSON.
///
/// ```
/// use slipway::security::code_scanning::{Visibility, visibility_from_event};
/// let push = r#"{"ref": "refs/heads/main", "repository": {"private": true, "visibility": "internal"}}"#;
/// assert_eq!(visibility_from_event(push), Some(Visibility::Internal));
/// assert_eq!(visibility_from_event(r#"{"schedule": "23 5 * * 1"}"#), None);
/// ```
pub fn visibility_from_event(payload: &str) -> Option<Visibility> {
    #[derive(Deserialize)]
    struct Event {
        repository: Option<RepoInfo>,
    }
    let event: Event = serde_json::from_str(payload).ok()?;
    let repo = event.repository?;
    if repo.visibility.is_none() && !repo.private {
        // Neither field: the payload does not say (a minimal or hand-made event).
        return None;
    }
    Some(repo.visibility())
}

/// Asks the API. `known` is the visibility when the event payload told it; otherwise the
/// repository is read first. A public repository needs no further request.
pub async fn check(client: &Client, known: Option<Visibility>) -> Result<Status, Error> {
    let repo = client.repo().map_err(Error::Api)?;
    let visibility = match known {
        Some(v) => v,
        None => {
            let path = format!("/repos/{}/{}", repo.owner, repo.name);
            let info: RepoInfo = client.get_json(&path).await.map_err(Error::Api)?;
            info.visibility()
        }
    };
    if visibility == Visibility::Public {
        return Ok(Status::Public);
    }
    let probe = format!(
        "/repos/{}/{}/code-scanning/analyses?per_page=1",
        repo.owner, repo.name
    );
    match client.get_json::<Vec<serde_json::Value>>(&probe).await {
        Ok(list) => Ok(Status::Enabled {
            visibility,
            analyses: list.len(),
        }),
        // The repository was just read, so a 404 here is the API's `no analysis found`.
        Err(client::Error::NotFound { .. }) => Ok(Status::Enabled {
            visibility,
            analyses: 0,
        }),
        Err(client::Error::Forbidden { message, .. }) if says_not_enabled(&message) => {
            Ok(Status::NotAvailable {
                visibility,
                message,
            })
        }
        Err(e) => Err(Error::Api(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_messages_for_a_repository_without_code_security_are_recognised() {
        for m in [
            "Advanced Security must be enabled for this repository to use code scanning.",
            "Code Security must be enabled for this repository to use code scanning.",
            "GitHub Code Security or GitHub Advanced Security must be enabled for this repository to use code scanning.",
            "Code scanning is not enabled for this repository. Please enable code scanning in the repository settings.",
        ] {
            assert!(says_not_enabled(m), "{m}");
        }
        for m in [
            "Resource not accessible by integration",
            "API rate limit exceeded for installation ID 1.",
            "Must have admin rights to Repository.",
            "",
        ] {
            assert!(!says_not_enabled(m), "{m}");
        }
    }

    #[test]
    fn visibility_comes_from_visibility_then_private() {
        let v = |json: &str| {
            serde_json::from_str::<RepoInfo>(json)
                .expect("json")
                .visibility()
        };
        assert_eq!(
            v(r#"{"private": false, "visibility": "public"}"#),
            Visibility::Public
        );
        assert_eq!(
            v(r#"{"private": true, "visibility": "private"}"#),
            Visibility::Private
        );
        assert_eq!(
            v(r#"{"private": true, "visibility": "internal"}"#),
            Visibility::Internal
        );
        assert_eq!(v(r#"{"private": true}"#), Visibility::Private);
        assert_eq!(v(r#"{"private": false}"#), Visibility::Public);
        // A value this version does not know is never taken for public.
        assert_eq!(
            v(r#"{"private": false, "visibility": "secret"}"#),
            Visibility::Private
        );
    }

    #[test]
    fn the_event_payload_tells_the_visibility_when_it_has_the_repository() {
        let ev = |json: &str| visibility_from_event(json);
        assert_eq!(
            ev(r#"{"repository": {"private": false, "visibility": "public"}}"#),
            Some(Visibility::Public)
        );
        assert_eq!(
            ev(r#"{"repository": {"private": true}}"#),
            Some(Visibility::Private)
        );
        assert_eq!(ev(r#"{"repository": {"full_name": "acme/shop"}}"#), None);
        assert_eq!(ev(r#"{"schedule": "23 5 * * 1"}"#), None);
        assert_eq!(ev("not json"), None);
    }

    #[test]
    fn only_not_available_turns_the_upload_off() {
        assert!(Status::Public.enabled());
        assert!(
            Status::Enabled {
                visibility: Visibility::Private,
                analyses: 0
            }
            .enabled()
        );
        let not = Status::NotAvailable {
            visibility: Visibility::Internal,
            message: "Advanced Security must be enabled for this repository to use code scanning."
                .into(),
        };
        assert!(!not.enabled());
        let repo = Repo::parse("acme/shop").expect("repo");
        assert!(not.describe(&repo).contains("`acme/shop` is internal"));
    }
}
