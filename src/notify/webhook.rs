//! POSTs JSON to a webhook URL (Slack or any receiver), through octocrab's HTTP stack (hyper
//! with rustls) without GitHub credentials: the GitHub token never goes to a webhook.

use std::time::Duration;

use http::Uri;
use octocrab::Octocrab;
use octocrab::service::middleware::retry::RetryConfig;

use super::{Error, Message, Severity};
use crate::github::mask::Secret;

/// Slack's body: a `text` fallback and one section block with the details.
pub fn slack_body(m: &Message) -> serde_json::Value {
    let icon = match m.severity {
        Severity::Success => ":white_check_mark:",
        Severity::Failure => ":x:",
    };
    // NOTE: mrkdwn treats &, < and > as control characters
    // https://api.slack.com/reference/surfaces/formatting#escaping
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    serde_json::json!({
        "text": format!("{icon} {}", esc(&m.title)),
        "blocks": [
            { "type": "section", "text": { "type": "mrkdwn", "text": format!("{icon} *{}*", esc(&m.title)) } },
            { "type": "section", "text": { "type": "mrkdwn", "text": format!("```{}```", esc(m.text.trim_end())) } },
        ],
    })
}

/// POSTs `body` to the URL in `url` (a secret read from `var`); 2xx is success.
pub fn post(
    url: &Secret,
    var: &str,
    kind: &'static str,
    body: &serde_json::Value,
) -> Result<(), Error> {
    let bad = || Error::BadUrl {
        kind,
        var: var.to_owned(),
    };
    let uri: Uri = url.expose().parse().map_err(|_| bad())?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(bad());
    }
    let origin: Uri = format!(
        "{}://{}",
        uri.scheme_str().unwrap_or("https"),
        uri.authority().map(|a| a.as_str()).unwrap_or_default()
    )
    .parse()
    .map_err(|_| bad())?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Unreachable {
            kind,
            message: e.to_string(),
        })?;
    let body = body.to_string();
    runtime.block_on(async move {
        let unreachable = |e: &dyn std::fmt::Display| Error::Unreachable {
            kind,
            // The URL is a secret: errors from the HTTP stack may quote it.
            message: crate::github::mask::redact(&e.to_string()).into_owned(),
        };
        let octo = Octocrab::builder()
            .base_uri(origin)
            .map_err(|e| unreachable(&e))?
            .add_retry_config(RetryConfig::None)
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(20)))
            .build()
            .map_err(|e| unreachable(&e))?;
        let request = http::Request::post(path)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(http::header::USER_AGENT, crate::github::client::USER_AGENT)
            .body(body)
            .map_err(|e| unreachable(&e))?;
        let resp = octo.execute(request).await.map_err(|e| unreachable(&e))?;
        let status = resp.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(Error::Rejected {
                kind,
                status: status.as_u16(),
            })
        }
    })
}
