//! The one redactor of everything that leaves slipway: log lines, errors, the job summary,
//! annotations, outputs, the deploy history and journal, `--json` documents and API bodies.
//!
//! It hides two kinds of secret:
//!
//! - values it was told about: every secret registered with [`Runtime::mask`]
//!   (`::add-mask::` in Actions), e.g. tokens, the `credentials` input, an environment's
//!   declared secrets and the credentials of a kubeconfig ([`super::mask::redact`] holds them);
//! - secrets it recognises on sight, with slipway's own secret rules
//!   ([`crate::security::secrets`]: GitHub, cloud and API tokens, private keys, JWTs, URL
//!   passwords, `password=` assignments), the password of any `scheme://user:password@` URL
//!   whatever the scheme (a `DATABASE_URL` an app prints while it fails), and the credential
//!   of an `Authorization: Bearer …` header.
//!
//! Sinks call [`super::redact`] (the two passes) or [`redact_json`] for structured documents,
//! whose strings are redacted one by one so a secret is caught whatever JSON escaping it gets.
//!
//! [`Runtime::mask`]: super::Runtime::mask

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;

use super::mask::MASK;
use crate::security::secrets::Scanner;

/// The compiled secret rules, built on first use.
fn scanner() -> &'static Scanner {
    static SCANNER: OnceLock<Scanner> = OnceLock::new();
    SCANNER.get_or_init(Scanner::new)
}

/// `scheme://user:password@`: the password is group `p`, up to the last `@` before the host
/// (an unencoded `@` in a password must not leave its end visible).
fn url_password() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"(?i)\b(?P<head>[a-z][a-z0-9+.\-]{1,30}://[^\s:/@"'<>]{0,256}:)(?P<p>[^\s/"'<>]{1,512})@"#)
            .expect("the URL password pattern compiles")
    })
}

/// `Authorization: Bearer <credential>` (or `Basic`): the credential is group `c`.
fn auth_header() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)\b(?P<head>(?:bearer|basic)\s+)(?P<c>[A-Za-z0-9._~+/\-]{12,}=*)")
            .expect("the authorization pattern compiles")
    })
}

/// True when `value` is already a redaction (ours or the scanner's excerpts).
fn redacted(value: &str) -> bool {
    value.contains("***")
}

/// Replaces the secrets slipway's rules recognise in `text` by `***`; borrows when none.
///
/// ```
/// use slipway::github::redact::redact_detected;
/// assert_eq!(
///     redact_detected("DATABASE_URL=postgres://app:Zq8vK2pLm4@db.internal:5432/shop"),
///     "DATABASE_URL=postgres://app:***@db.internal:5432/shop"
/// );
/// assert_eq!(redact_detected("listening on 127.0.0.1:8000"), "listening on 127.0.0.1:8000");
/// ```
pub fn redact_detected(text: &str) -> Cow<'_, str> {
    let mut out = Cow::Borrowed(text);
    if text.contains("://") && url_password().is_match(text) {
        let replaced = url_password().replace_all(text, |c: &regex::Captures<'_>| {
            if redacted(&c["p"]) {
                c[0].to_owned()
            } else {
                format!("{}{MASK}@", &c["head"])
            }
        });
        if let Cow::Owned(s) = replaced {
            out = Cow::Owned(s);
        }
    }
    if auth_header().is_match(&out) {
        let replaced = auth_header()
            .replace_all(&out, |c: &regex::Captures<'_>| {
                format!("{}{MASK}", &c["head"])
            })
            .into_owned();
        out = Cow::Owned(replaced);
    }
    let hits = scanner().scan(out.as_bytes(), out.len(), 1, "");
    let mut secrets: Vec<String> = hits
        .iter()
        .map(|h| h.secret_text().into_owned())
        .filter(|s| s.len() >= 4 && !redacted(s))
        .collect();
    if secrets.is_empty() {
        return out;
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    let mut text = out.into_owned();
    for s in secrets {
        text = text.replace(&s, MASK);
    }
    Cow::Owned(text)
}

/// Redacts every string (and object key) of a JSON document in place with
/// [`super::redact`].
pub fn redact_json(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::String(s) => {
            if let Cow::Owned(r) = super::redact(s) {
                *s = r;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_json),
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let Some(mut v) = map.remove(&key) else {
                    continue;
                };
                redact_json(&mut v);
                map.insert(super::redact(&key).into_owned(), v);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

/// `value` serialised, its strings redacted: for documents that leave the process.
///
/// # Errors
/// When `value` cannot be serialised.
pub fn to_redacted_value<T: serde::Serialize>(value: &T) -> serde_json::Result<serde_json::Value> {
    let mut v = serde_json::to_value(value)?;
    redact_json(&mut v);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_passwords_of_any_scheme_are_hidden_and_the_rest_kept() {
        assert_eq!(
            redact_detected("connect https://deploy:tr0ub4dor@example.com/x and amqp://u:p4ss@mq"),
            "connect https://deploy:***@example.com/x and amqp://u:***@mq"
        );
        assert_eq!(
            redact_detected("redis://:p@ss:w0rd@cache:6379/0"),
            "redis://:***@cache:6379/0"
        );
        assert_eq!(
            redact_detected("postgres://app:***@db"),
            "postgres://app:***@db",
            "already redacted"
        );
        assert!(matches!(
            redact_detected("GET http://127.0.0.1:8000/up 200"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn tokens_the_secret_rules_know_are_hidden_everywhere_in_the_text() {
        let token =
            crate::security::secrets::checks::github_token("ghp", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5");
        let text = format!("using {token} (again: {token})");
        assert_eq!(redact_detected(&text), "using *** (again: ***)");
        assert_eq!(
            redact_detected("db password=Xk29sLq0vB7 ready"),
            "db password=*** ready"
        );
    }

    #[test]
    fn authorization_headers_an_app_logs_are_hidden() {
        assert_eq!(
            redact_detected("GET /api Authorization: Bearer eyJhbGciOi.x9Zk2Lq7Wm3"),
            "GET /api Authorization: Bearer ***"
        );
        assert_eq!(redact_detected("a token is needed"), "a token is needed");
    }

    #[test]
    fn json_strings_are_redacted_whatever_their_escaping() {
        let mut v = serde_json::json!({
            "reason": "app said: DATABASE_URL=\"postgres://app:Qw3rty9Z@db/x\"",
            "steps": ["ok", "url mysql://root:Zx81pQ@h"],
            "n": 3
        });
        redact_json(&mut v);
        assert_eq!(
            v,
            serde_json::json!({
                "reason": "app said: DATABASE_URL=\"postgres://app:***@db/x\"",
                "steps": ["ok", "url mysql://root:***@h"],
                "n": 3
            })
        );
    }
}
