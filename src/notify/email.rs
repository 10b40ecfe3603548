//! Email over SMTP with STARTTLS required (RFC 3207), through lettre with rustls. The server's
//! certificate is checked against the system roots plus any CA given with `--smtp-ca`;
//! verification is never turned off.

use std::time::Duration;

use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{Message as Mail, SmtpTransport, Transport};

use super::{Error, Message, Smtp};

fn mailbox(s: &str) -> Result<Mailbox, Error> {
    s.parse()
        .map_err(|e| Error::Email(format!("`{s}` is not an email address: {e}")))
}

/// The sender: the SMTP user when it is an address, else `slipway@<host>`.
pub fn sender(smtp: &Smtp) -> String {
    match &smtp.user {
        Some(u) if u.expose().contains('@') => u.expose().to_owned(),
        _ => format!("slipway@{}", smtp.host),
    }
}

/// Sends `message` to every recipient.
pub fn send(smtp: &Smtp, message: &Message) -> Result<(), Error> {
    // The sender comes from secrets (the SMTP user, else the host): an error names the
    // variable, never the value.
    let from: Mailbox = sender(smtp).parse().map_err(|_| {
        Error::Email(match (&smtp.user, &smtp.vars.user) {
            (Some(u), Some(var)) if u.expose().contains('@') => {
                format!("the SMTP user in `{var}` looks like an email address but is not one")
            }
            _ => format!(
                "`slipway@` and the SMTP host in `{}` do not make an email address",
                smtp.vars.host
            ),
        })
    })?;
    let mut builder = Mail::builder()
        .from(from)
        .subject(message.title.clone())
        .header(ContentType::TEXT_PLAIN);
    for to in &smtp.to {
        builder = builder.to(mailbox(to)?);
    }
    let mail = builder
        .body(message.text.clone())
        .map_err(|e| Error::Email(e.to_string()))?;
    let mut tls = TlsParameters::builder(smtp.host.clone());
    if let Some(ca) = &smtp.ca {
        let pem = std::fs::read(ca).map_err(|source| Error::Read {
            path: ca.clone(),
            source,
        })?;
        let cert = Certificate::from_pem(&pem).map_err(|e| {
            Error::Email(format!("`{}` is not a PEM certificate: {e}", ca.display()))
        })?;
        tls = tls.add_root_certificate(cert);
    }
    let tls = tls
        .build_rustls()
        .map_err(|e| Error::Email(crate::github::mask::redact(&e.to_string()).into_owned()))?;
    let mut transport = SmtpTransport::builder_dangerous(smtp.host.as_str())
        .port(smtp.port)
        .tls(Tls::Required(tls))
        .timeout(Some(Duration::from_secs(30)));
    if let (Some(user), Some(password)) = (&smtp.user, &smtp.password) {
        transport = transport.credentials(Credentials::new(
            user.expose().to_owned(),
            password.expose().to_owned(),
        ));
    }
    transport
        .build()
        .send(&mail)
        .map(|_| ())
        .map_err(|e| Error::Email(crate::github::mask::redact(&e.to_string()).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::mask::Secret;

    fn smtp(user: &str, host: &str) -> Smtp {
        Smtp {
            host: host.to_owned(),
            port: 587,
            user: Some(Secret::new(user.to_owned())),
            vars: super::super::SmtpVars {
                host: "SMTP_HOST".into(),
                user: Some("SMTP_USER".into()),
            },
            password: None,
            to: vec!["ops@example.com".into()],
            ca: None,
        }
    }

    fn message() -> Message {
        Message {
            title: "t".into(),
            text: "x".into(),
            severity: super::super::Severity::Success,
            event: serde_json::Value::Null,
        }
    }

    #[test]
    fn a_bad_sender_names_the_variable_and_never_prints_the_value() {
        for (user, host, var) in [
            ("hunter2 s3cr3t@", "mail.example.com", "SMTP_USER"),
            ("plainuser", "bad host s3cr3t", "SMTP_HOST"),
        ] {
            let err = send(&smtp(user, host), &message()).expect_err("bad sender");
            let text = err.to_string();
            assert!(!text.contains("s3cr3t"), "{text}");
            assert!(text.contains(var), "{text}");
        }
    }
}
