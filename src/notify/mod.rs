//! `slipway notify`: tells people about deployments, rollbacks and missed targets.
//!
//! Notifiers come from `notify:` in `slipway.yml`, which holds secret NAMES only; the values
//! are read from the environment variable of that name (the generated workflows pass Slack's
//! as `SLACK_WEBHOOK_URL`, read as a fallback), registered with `::add-mask::` and never
//! printed:
//!
//! - Slack incoming webhook: a POST of `{"text": …}`
//!   (<https://api.slack.com/messaging/webhooks>);
//! - a generic JSON webhook: a POST of the event as JSON;
//! - email over SMTP with STARTTLS required (lettre with rustls), to `notify.email`, for
//!   failures only.
//!
//! Nothing configured is a note and success: a pipeline without notifiers still passes.

pub mod cli;
pub mod email;
pub mod webhook;

use serde::Serialize;

use crate::config;
use crate::error::Hint;
use crate::github::mask::Secret;

/// The Slack variable the generated workflows set.
pub const ENV_SLACK: &str = "SLACK_WEBHOOK_URL";

/// What sending can fail on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A webhook URL that is not http(s).
    #[error("the {kind} URL in `{var}` is not an http(s) URL")]
    BadUrl {
        /// `Slack webhook` or `webhook`.
        kind: &'static str,
        /// The variable (the value is never shown).
        var: String,
    },
    /// A webhook that did not answer 2xx.
    #[error("the {kind} answered `{status}`")]
    Rejected {
        /// Which notifier.
        kind: &'static str,
        /// The status.
        status: u16,
    },
    /// A webhook that could not be reached.
    #[error("could not reach the {kind}")]
    Unreachable {
        /// Which notifier.
        kind: &'static str,
        /// Why (with the URL removed).
        message: String,
    },
    /// Email failed.
    #[error("could not send the email: {0}")]
    Email(String),
    /// Email is configured without its server.
    #[error("`notify.email` is set but `{0}` is not")]
    EmailSetup(String),
    /// Several notifiers failed.
    #[error("{} notifier(s) failed: {}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Several(Vec<Error>),
    /// A file that could not be read.
    #[error("cannot read `{path}`")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::BadUrl { var, .. } => Some(format!(
                "set the secret behind `{var}` to the full webhook URL, starting with https://"
            )),
            Self::Rejected { .. } => Some("check that the webhook URL in the secret is current".into()),
            Self::EmailSetup(key) => Some(format!(
                "add `{key}: <secret name>` to slipway.yml, or remove `notify.email`"
            )),
            Self::Email(_) => Some(
                "check the SMTP secrets; the server must offer STARTTLS with a certificate the system trusts (or pass --smtp-ca)".into(),
            ),
            _ => None,
        }
    }
}

/// Whether the news is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    /// It worked.
    Success,
    /// Something failed or a target was missed.
    Failure,
}

/// One notification: a title and text for people, `event` for machines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// One line.
    pub title: String,
    /// Plain text, a few lines.
    pub text: String,
    /// Good or bad news.
    pub severity: Severity,
    /// The structured event the JSON webhook receives.
    pub event: serde_json::Value,
}

/// An email setup, values read from the environment.
#[derive(Debug, Clone)]
pub struct Smtp {
    /// The server.
    pub host: String,
    /// The port (587 by default).
    pub port: u16,
    /// The user; `None` sends without authentication.
    pub user: Option<Secret>,
    /// The variables the host and the user were read from: errors name them, never the values.
    pub vars: SmtpVars,
    /// The password.
    pub password: Option<Secret>,
    /// Recipients.
    pub to: Vec<String>,
    /// A PEM file of extra CA certificates to trust (a private mail server).
    pub ca: Option<std::path::PathBuf>,
}

/// The names of the variables that hold the SMTP secrets.
#[derive(Debug, Clone, Default)]
pub struct SmtpVars {
    /// The host's variable (`SMTP_HOST`).
    pub host: String,
    /// The user's variable (`SMTP_USER`), when one is set up.
    pub user: Option<String>,
}

/// The notifiers that are set up.
#[derive(Debug, Clone, Default)]
pub struct Notifiers {
    /// The Slack webhook URL.
    pub slack: Option<(String, Secret)>,
    /// The JSON webhook URL.
    pub webhook: Option<(String, Secret)>,
    /// Email.
    pub email: Option<Smtp>,
    /// Configured but without a value: the variables, for a warning.
    pub missing: Vec<String>,
}

impl Notifiers {
    /// True when nothing can be sent.
    pub fn is_empty(&self) -> bool {
        self.slack.is_none() && self.webhook.is_none() && self.email.is_none()
    }

    /// Reads the values named by `cfg` through `var` and masks them.
    pub fn from_config(
        cfg: &config::Notify,
        var: impl Fn(&str) -> Option<String>,
        smtp_ca: Option<std::path::PathBuf>,
    ) -> Result<Self, Error> {
        let var = |n: &str| {
            var(n)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut out = Self::default();
        let secret = |name: &str, out: &mut Self, fallback: Option<&str>| {
            let (used, value) = match (var(name), fallback.and_then(|f| var(f).map(|v| (f, v)))) {
                (Some(v), _) => (name.to_owned(), v),
                (None, Some((f, v))) => (f.to_owned(), v),
                (None, None) => {
                    out.missing.push(name.to_owned());
                    return None;
                }
            };
            crate::github::runtime().mask_str(&value);
            Some((used, Secret::new(value)))
        };
        if let Some(name) = &cfg.slack_webhook_secret {
            let value = secret(name.as_str(), &mut out, Some(ENV_SLACK));
            out.slack = value;
        }
        if let Some(name) = &cfg.webhook_secret {
            let value = secret(name.as_str(), &mut out, None);
            out.webhook = value;
        }
        if !cfg.email.is_empty() {
            let Some(host_name) = &cfg.smtp_host_secret else {
                return Err(Error::EmailSetup("notify.smtp-host-secret".into()));
            };
            // Not passed to the step: skipped with a warning, like the webhooks.
            let Some((_, host)) = secret(host_name.as_str(), &mut out, None) else {
                return Ok(out);
            };
            let port = match &cfg.smtp_port_secret {
                Some(n) => match var(n.as_str()) {
                    Some(p) => p.parse().map_err(|_| {
                        Error::Email(format!("`{}` is not a port number", n.as_str()))
                    })?,
                    None => 587,
                },
                None => 587,
            };
            let user = cfg
                .smtp_user_secret
                .as_ref()
                .and_then(|n| secret(n.as_str(), &mut out, None))
                .map(|(_, s)| s);
            let password = cfg
                .smtp_password_secret
                .as_ref()
                .and_then(|n| secret(n.as_str(), &mut out, None))
                .map(|(_, s)| s);
            out.email = Some(Smtp {
                host: host.expose().to_owned(),
                port,
                user,
                vars: SmtpVars {
                    host: host_name.as_str().to_owned(),
                    user: cfg.smtp_user_secret.as_ref().map(|n| n.as_str().to_owned()),
                },
                password,
                to: cfg.email.clone(),
                ca: smtp_ca,
            });
        }
        Ok(out)
    }
}

/// What was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    /// The notifiers that delivered, e.g. `slack`.
    pub delivered: Vec<&'static str>,
    /// Notifiers skipped on purpose, with why.
    pub skipped: Vec<String>,
}

/// Sends `message` to every notifier; every notifier is tried before an error is returned.
pub fn send(notifiers: &Notifiers, message: &Message) -> Result<Sent, Error> {
    let mut sent = Sent::default();
    let mut errors = Vec::new();
    if let Some((var, url)) = &notifiers.slack {
        match webhook::post(url, var, "Slack webhook", &webhook::slack_body(message)) {
            Ok(()) => sent.delivered.push("slack"),
            Err(e) => errors.push(e),
        }
    }
    if let Some((var, url)) = &notifiers.webhook {
        let body = serde_json::json!({
            "title": message.title,
            "text": message.text,
            "severity": message.severity,
            "event": message.event,
        });
        match webhook::post(url, var, "webhook", &body) {
            Ok(()) => sent.delivered.push("webhook"),
            Err(e) => errors.push(e),
        }
    }
    if let Some(smtp) = &notifiers.email {
        if message.severity == Severity::Failure {
            match email::send(smtp, message) {
                Ok(()) => sent.delivered.push("email"),
                Err(e) => errors.push(e),
            }
        } else {
            sent.skipped.push("email: sent for failures only".into());
        }
    }
    match errors.len() {
        0 => Ok(sent),
        1 => Err(errors.remove(0)),
        _ => Err(Error::Several(errors)),
    }
}

/// The outcome of one app's deploy step in a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppOutcome {
    /// The app (empty for a single-app repository).
    pub app: String,
    /// `success`, `failure`, `cancelled`, `skipped` or empty.
    pub deploy: String,
    /// The rollback step's outcome (`skipped` when none was needed).
    pub rollback: String,
}

/// A deployment or rollback to describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployEvent {
    /// `deploy` or `rollback`.
    pub kind: &'static str,
    /// The environment.
    pub environment: String,
    /// Per app.
    pub apps: Vec<AppOutcome>,
    /// The version.
    pub version: String,
    /// The job status (`success`, `failure`, `cancelled`).
    pub status: String,
    /// The environment's address.
    pub url: String,
    /// `owner/name`, when known.
    pub repository: Option<String>,
    /// The run's page, when known.
    pub run_url: Option<String>,
}

/// Splits `a,b` outcome lists to match `apps` (a single value applies to every app).
pub fn outcomes(apps: &[String], deploy: &str, rollback: &str) -> Vec<AppOutcome> {
    let split = |s: &str| {
        s.split(',')
            .map(|p| p.trim().to_owned())
            .collect::<Vec<_>>()
    };
    let (d, r) = (split(deploy), split(rollback));
    let names: Vec<String> = if apps.is_empty() {
        vec![String::new()]
    } else {
        apps.to_vec()
    };
    names
        .iter()
        .enumerate()
        .map(|(i, app)| AppOutcome {
            app: app.clone(),
            deploy: d.get(i).or(d.first()).cloned().unwrap_or_default(),
            rollback: r.get(i).or(r.first()).cloned().unwrap_or_default(),
        })
        .collect()
}

impl DeployEvent {
    /// The message people read.
    pub fn message(&self) -> Message {
        let ok = self.status == "success" && self.apps.iter().all(|a| a.deploy != "failure");
        let rolled_back = self.apps.iter().any(|a| a.rollback == "success");
        let verb = match (self.kind, ok, rolled_back) {
            ("rollback", true, _) => "rolled back",
            ("rollback", false, _) => "rollback FAILED",
            (_, true, _) => "deployed",
            (_, false, true) => "deploy FAILED, rolled back",
            (_, false, false) => "deploy FAILED",
        };
        let version = if self.version.is_empty() {
            "(unknown version)"
        } else {
            &self.version
        };
        let title = format!(
            "{}: {version} {verb} on {}",
            self.repository.as_deref().unwrap_or("slipway"),
            self.environment
        );
        let mut text = String::new();
        for a in &self.apps {
            let name = if a.app.is_empty() {
                "app".to_owned()
            } else {
                a.app.clone()
            };
            let rb = if a.rollback.is_empty() || a.rollback == "skipped" {
                String::new()
            } else {
                format!(", rollback {}", a.rollback)
            };
            text.push_str(&format!(
                "{name}: {} {}{rb}\n",
                self.kind,
                or_dash(&a.deploy)
            ));
        }
        if !self.url.is_empty() {
            text.push_str(&format!("url: {}\n", self.url));
        }
        if let Some(run) = &self.run_url {
            text.push_str(&format!("run: {run}\n"));
        }
        Message {
            title,
            text,
            severity: if ok {
                Severity::Success
            } else {
                Severity::Failure
            },
            event: serde_json::json!({
                "event": self.kind,
                "environment": self.environment,
                "version": self.version,
                "status": self.status,
                "apps": self.apps,
                "url": self.url,
                "repository": self.repository,
                "run_url": self.run_url,
            }),
        }
    }
}

fn or_dash(s: &str) -> &str {
    if s.is_empty() { "-" } else { s }
}

/// The message for targets `slipway metrics` found missed.
pub fn breach_message(report: &crate::metrics::Report) -> Message {
    let mut text = String::new();
    for b in &report.breaches {
        text.push_str(&format!("{}: {}\n", b.target, b.message));
    }
    Message {
        title: format!(
            "{}: {} delivery target(s) missed",
            report.repository,
            report.breaches.len()
        ),
        text,
        severity: Severity::Failure,
        event: serde_json::json!({
            "event": "metrics-breach",
            "repository": report.repository,
            "environment": report.dora.environment,
            "from": report.from,
            "to": report.to,
            "breaches": report.breaches,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_outcome_applies_to_every_app() {
        let o = outcomes(&["api".into(), "web".into()], "success,failure", "skipped");
        assert_eq!(o[1].deploy, "failure");
        assert_eq!(o[1].rollback, "skipped");
        let single = outcomes(&[], "success", "");
        assert_eq!(single.len(), 1);
    }

    #[test]
    fn a_failed_deploy_that_rolled_back_says_so() {
        let e = DeployEvent {
            kind: "deploy",
            environment: "production".into(),
            apps: outcomes(&[], "failure", "success"),
            version: "v1.2.0".into(),
            status: "failure".into(),
            url: String::new(),
            repository: Some("o/r".into()),
            run_url: None,
        };
        let m = e.message();
        assert_eq!(
            m.title,
            "o/r: v1.2.0 deploy FAILED, rolled back on production"
        );
        assert_eq!(m.severity, Severity::Failure);
    }

    #[test]
    fn missing_secrets_are_listed_not_fatal() {
        let cfg: config::Notify = serde_json::from_value(serde_json::json!({
            "slack-webhook-secret": "CHAT_HOOK",
            "webhook-secret": "HOOK_URL",
        }))
        .unwrap();
        let n = Notifiers::from_config(&cfg, |_| None, None).unwrap();
        assert!(n.is_empty());
        assert_eq!(n.missing, ["CHAT_HOOK", "HOOK_URL"]);
        // The workflow passes Slack's secret as SLACK_WEBHOOK_URL whatever its name.
        let n = Notifiers::from_config(
            &cfg,
            |v| (v == ENV_SLACK).then(|| "https://hooks.example/x".into()),
            None,
        )
        .unwrap();
        assert_eq!(n.slack.as_ref().unwrap().0, ENV_SLACK);
    }

    #[test]
    fn email_without_its_server_key_is_a_config_error_and_without_its_value_a_skip() {
        let cfg: config::Notify =
            serde_json::from_value(serde_json::json!({ "email": ["a@example.com"] })).unwrap();
        let err = Notifiers::from_config(&cfg, |_| None, None).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`notify.email` is set but `notify.smtp-host-secret` is not"
        );
        let cfg: config::Notify = serde_json::from_value(serde_json::json!({
            "email": ["a@example.com"],
            "smtp-host-secret": "SMTP_HOST",
        }))
        .unwrap();
        let n = Notifiers::from_config(&cfg, |_| None, None).unwrap();
        assert!(n.email.is_none());
        assert_eq!(n.missing, ["SMTP_HOST"]);
    }
}
