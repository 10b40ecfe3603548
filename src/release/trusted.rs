//! Registry HTTP and trusted publishing: the version checks `release publish-registries` makes
//! before uploading, and the exchange of the workflow's OIDC token for a short-lived registry
//! token.
//!
//! - The OIDC token: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=<aud>` with
//!   `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN` answers `{"value": "<jwt>"}`; both
//!   variables exist only in a job with `permissions: id-token: write`
//!   (<https://docs.github.com/en/actions/reference/security/oidc#methods-for-requesting-the-oidc-token>).
//! - PyPI: `GET /_/oidc/audience` names the audience, `POST /_/oidc/mint-token` with
//!   `{"token": "<jwt>"}` answers `{"token": "pypi-…"}`, an API token valid for 15 minutes
//!   (<https://docs.pypi.org/trusted-publishers/using-a-publisher/>, "the manual way").
//! - crates.io: audience `crates.io`; `POST /api/v1/trusted_publishing/tokens` with
//!   `{"jwt": "<jwt>"}` answers `{"token": "…"}`, valid for 30 minutes, revoked after use with
//!   `DELETE /api/v1/trusted_publishing/tokens` (<https://crates.io/docs/trusted-publishing>).
//! - npm: the npm CLI from 11.5.1 makes the exchange itself when the job may request an OIDC
//!   token (<https://docs.npmjs.com/trusted-publishers>), so nothing is exchanged here.
//!
//! Every token read or minted is registered with the redactor ([`crate::github::mask`]) the
//! moment it is known, so no log line, error or output can show it.

use std::time::Duration;

use http::{Method, Uri};
use octocrab::Octocrab;
use octocrab::service::middleware::retry::RetryConfig;

use crate::github::Secret;
use crate::github::client::USER_AGENT;

/// The variable holding the OIDC token request URL in a job with `id-token: write`.
pub const OIDC_URL_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
/// The variable holding the bearer token of the OIDC token request.
pub const OIDC_TOKEN_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/// An HTTP exchange that failed; its text is redacted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {message}")]
pub struct HttpError {
    /// What was asked, e.g. "GET https://pypi.org/pypi/shop/1.2.0/json".
    pub what: String,
    /// What went wrong (the server's message, or the network error).
    pub message: String,
    /// The HTTP status, when there was an answer.
    pub status: Option<u16>,
}

/// A blocking HTTP/1.1 client for registries (octocrab's stack: hyper with rustls), no GitHub
/// credentials attached.
pub struct Http {
    runtime: tokio::runtime::Runtime,
    retries: u32,
}

/// An answer: status and body text.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: String,
}

impl Http {
    /// A client; `None` when no async runtime can be started.
    pub fn new() -> std::io::Result<Self> {
        Ok(Self {
            runtime: tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?,
            retries: 2,
        })
    }

    /// Sends one request; 5xx answers and network errors are retried twice.
    pub fn send(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<String>,
    ) -> Result<Answer, HttpError> {
        let what = format!("{method} {}", crate::github::redact(url));
        let fail = |message: String, status: Option<u16>| HttpError {
            what: what.clone(),
            message: crate::github::redact(&message).into_owned(),
            status,
        };
        let uri: Uri = url
            .parse()
            .map_err(|_| fail("not a URL".to_owned(), None))?;
        if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.authority().is_none() {
            return Err(fail("only http and https URLs are used".to_owned(), None));
        }
        let origin = format!(
            "{}://{}",
            uri.scheme_str().unwrap_or("https"),
            uri.authority().map(|a| a.as_str()).unwrap_or_default()
        );
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        self.runtime.block_on(async {
            let octo = Octocrab::builder()
                .base_uri(origin.as_str())
                .map_err(|e| fail(e.to_string(), None))?
                .add_retry_config(RetryConfig::None)
                .set_connect_timeout(Some(Duration::from_secs(10)))
                .set_read_timeout(Some(Duration::from_secs(60)))
                .build()
                .map_err(|e| fail(e.to_string(), None))?;
            let mut attempt = 0;
            loop {
                let mut request = http::Request::builder()
                    .method(method.clone())
                    .uri(path.as_str())
                    .header(http::header::USER_AGENT, USER_AGENT);
                if !headers
                    .iter()
                    .any(|(k, _)| k.eq_ignore_ascii_case("accept"))
                {
                    request = request.header(http::header::ACCEPT, "application/json");
                }
                for (k, v) in headers {
                    request = request.header(*k, *v);
                }
                if body.is_some() {
                    request = request.header(http::header::CONTENT_TYPE, "application/json");
                }
                let request = request
                    .body(body.clone().unwrap_or_default())
                    .map_err(|e| fail(e.to_string(), None))?;
                match octo.execute(request).await {
                    Ok(resp) => {
                        let status = resp.status().as_u16();
                        let text = octo.body_to_string(resp).await.unwrap_or_default();
                        if status >= 500 && attempt < self.retries {
                            attempt += 1;
                            tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
                            continue;
                        }
                        return Ok(Answer { status, body: text });
                    }
                    Err(e) => {
                        if attempt < self.retries {
                            attempt += 1;
                            tokio::time::sleep(Duration::from_millis(500 << attempt)).await;
                            continue;
                        }
                        return Err(fail(format!("no answer ({e})"), None));
                    }
                }
            }
        })
    }
}

/// The message of an error answer: a JSON `message`, `detail`, `error`, the first of `errors`,
/// else the body itself, cut short; redacted.
pub fn message_of(body: &str) -> String {
    let v: Option<serde_json::Value> = serde_json::from_str(body).ok();
    let field = v.as_ref().and_then(|v| {
        for key in ["message", "detail", "error", "description"] {
            if let Some(s) = v.get(key).and_then(|m| m.as_str()) {
                return Some(s.to_owned());
            }
        }
        let first = v.get("errors")?.get(0)?;
        first
            .get("description")
            .or_else(|| first.get("detail"))
            .or_else(|| first.get("message"))
            .and_then(|m| m.as_str())
            .map(str::to_owned)
    });
    let text = field.unwrap_or_else(|| body.trim().to_owned());
    let cut: String = text.chars().take(500).collect();
    crate::github::redact(&cut).into_owned()
}

/// Asks GitHub for the job's OIDC token with `audience`; the token is masked before it is
/// returned. `var` reads the environment.
pub fn oidc_token(
    http: &Http,
    audience: &str,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Secret, HttpError> {
    let missing = || HttpError {
        what: "the OIDC token".to_owned(),
        message: format!("`{OIDC_URL_VAR}` and `{OIDC_TOKEN_VAR}` are not set"),
        status: None,
    };
    let url = var(OIDC_URL_VAR)
        .filter(|v| !v.is_empty())
        .ok_or_else(missing)?;
    let bearer = var(OIDC_TOKEN_VAR)
        .filter(|v| !v.is_empty())
        .ok_or_else(missing)?;
    let runtime = crate::github::runtime();
    runtime.mask_str(&bearer);
    let sep = if url.contains('?') { '&' } else { '?' };
    let full = format!(
        "{url}{sep}audience={}",
        crate::github::client::encode(audience)
    );
    let auth = format!("bearer {bearer}");
    let answer = http.send(Method::GET, &full, &[("authorization", &auth)], None)?;
    let token = (answer.status == 200)
        .then(|| serde_json::from_str::<serde_json::Value>(&answer.body).ok())
        .flatten()
        .and_then(|v| v.get("value")?.as_str().map(str::to_owned))
        .filter(|t| !t.is_empty());
    match token {
        Some(t) => {
            runtime.mask_str(&t);
            Ok(Secret::new(t))
        }
        None => Err(HttpError {
            what: "the OIDC token".to_owned(),
            message: format!(
                "GitHub answered {}: {}",
                answer.status,
                message_of(&answer.body)
            ),
            status: Some(answer.status),
        }),
    }
}

/// PyPI: the audience from `<base>/_/oidc/audience`, then a token minted at
/// `<base>/_/oidc/mint-token`.
pub fn pypi_mint(
    http: &Http,
    base: &str,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Secret, HttpError> {
    let base = base.trim_end_matches('/');
    let answer = http.send(Method::GET, &format!("{base}/_/oidc/audience"), &[], None)?;
    let audience = (answer.status == 200)
        .then(|| serde_json::from_str::<serde_json::Value>(&answer.body).ok())
        .flatten()
        .and_then(|v| v.get("audience")?.as_str().map(str::to_owned))
        .ok_or_else(|| HttpError {
            what: format!("GET {base}/_/oidc/audience"),
            message: format!(
                "the registry does not offer trusted publishing (answered {}: {})",
                answer.status,
                message_of(&answer.body)
            ),
            status: Some(answer.status),
        })?;
    let jwt = oidc_token(http, &audience, var)?;
    let url = format!("{base}/_/oidc/mint-token");
    let body = serde_json::json!({ "token": jwt.expose() }).to_string();
    let answer = http.send(Method::POST, &url, &[], Some(body))?;
    minted(answer, &url, "token")
}

/// crates.io: a token from `<api>/api/v1/trusted_publishing/tokens` for the OIDC token with
/// audience `crates.io`.
pub fn crates_mint(
    http: &Http,
    api: &str,
    var: &dyn Fn(&str) -> Option<String>,
) -> Result<Secret, HttpError> {
    let jwt = oidc_token(http, "crates.io", var)?;
    let url = format!(
        "{}/api/v1/trusted_publishing/tokens",
        api.trim_end_matches('/')
    );
    let body = serde_json::json!({ "jwt": jwt.expose() }).to_string();
    let answer = http.send(Method::POST, &url, &[], Some(body))?;
    minted(answer, &url, "token")
}

/// Revokes a crates.io trusted-publishing token (best effort: it expires in 30 minutes).
pub fn crates_revoke(http: &Http, api: &str, token: &Secret) -> Result<(), HttpError> {
    let url = format!(
        "{}/api/v1/trusted_publishing/tokens",
        api.trim_end_matches('/')
    );
    let auth = format!("Bearer {}", token.expose());
    let answer = http.send(Method::DELETE, &url, &[("authorization", &auth)], None)?;
    if (200..300).contains(&answer.status) {
        Ok(())
    } else {
        Err(HttpError {
            what: format!("DELETE {url}"),
            message: format!("answered {}: {}", answer.status, message_of(&answer.body)),
            status: Some(answer.status),
        })
    }
}

/// The token in field `key` of a mint answer, masked; the registry's message otherwise.
fn minted(answer: Answer, url: &str, key: &str) -> Result<Secret, HttpError> {
    let token = (200..300)
        .contains(&answer.status)
        .then(|| serde_json::from_str::<serde_json::Value>(&answer.body).ok())
        .flatten()
        .and_then(|v| v.get(key)?.as_str().map(str::to_owned))
        .filter(|t| !t.is_empty());
    match token {
        Some(t) => {
            crate::github::runtime().mask_str(&t);
            Ok(Secret::new(t))
        }
        None => Err(HttpError {
            what: format!("POST {url}"),
            message: format!(
                "the registry refused the OIDC token ({}): {}",
                answer.status,
                message_of(&answer.body)
            ),
            status: Some(answer.status),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_are_read_from_each_registrys_shape() {
        assert_eq!(
            message_of(r#"{"message": "no such package"}"#),
            "no such package"
        );
        assert_eq!(
            message_of(
                r#"{"message": "Token request failed", "errors": [{"code": "invalid-publisher", "description": "no publisher"}]}"#
            ),
            "Token request failed"
        );
        assert_eq!(
            message_of(r#"{"errors": [{"detail": "crate `x` is not configured"}]}"#),
            "crate `x` is not configured"
        );
        assert_eq!(message_of("  plain text\n"), "plain text");
        assert_eq!(message_of(&"x".repeat(900)).len(), 500);
    }
}
