//! `slipway notify` against a local webhook receiver and a local SMTP server (aiosmtpd, with
//! STARTTLS and a certificate made for the test), and `slipway quality comment` against the
//! GitHub-like server.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::{Arc, Mutex};

use common::github_mock::{MockGitHub, Reply};
use common::slipway;
use serde_json::Value;

/// One POST the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    content_type: String,
    body: Value,
}

/// A webhook receiver: answers `status` to every request and keeps what it got.
fn receiver(status: u16) -> (String, Arc<Mutex<Vec<Received>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let log = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let path = line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            let (mut len, mut content_type) = (0, String::new());
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                let (k, v) = h.split_once(':').unwrap();
                match k.to_ascii_lowercase().as_str() {
                    "content-length" => len = v.trim().parse().unwrap(),
                    "content-type" => content_type = v.trim().to_owned(),
                    _ => {}
                }
            }
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            log.lock().unwrap().push(Received {
                path,
                content_type,
                body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            });
            let mut s = stream;
            let _ = write!(
                s,
                "HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
            );
        }
    });
    (url, got)
}

fn project(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("slipway.yml"), config).unwrap();
    dir
}

const DEPLOY_ARGS: &[&str] = &[
    "notify",
    "deploy",
    "--environment",
    "production",
    "--apps",
    "api,web",
    "--version",
    "v1.4.0",
    "--status",
    "failure",
    "--deploy",
    "success,failure",
    "--rollback",
    "skipped,success",
    "--url",
    "https://shop.example",
];

#[test]
fn a_deploy_goes_to_slack_and_the_json_webhook_without_printing_their_urls() {
    let (slack, slack_got) = receiver(200);
    let (hook, hook_got) = receiver(204);
    let dir = project(
        "version: 1\nnotify:\n  slack-webhook-secret: CHAT_HOOK\n  webhook-secret: EVENTS_HOOK\n",
    );
    let slack_url = format!("{slack}/services/T000/B000/XXXXsecretXXXX");
    let t = slipway()
        .current_dir(dir.path())
        .env("CHAT_HOOK", &slack_url)
        .env("EVENTS_HOOK", format!("{hook}/events?token=hooksecret"))
        .env("GITHUB_REPOSITORY", "octo-org/shop")
        .env("GITHUB_RUN_ID", "77")
        .args(DEPLOY_ARGS)
        .run();
    t.code(0);
    let s = slack_got.lock().unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].path, "/services/T000/B000/XXXXsecretXXXX");
    assert_eq!(s[0].content_type, "application/json");
    let text = s[0].body["text"].as_str().unwrap();
    assert_eq!(
        text,
        ":x: octo-org/shop: v1.4.0 deploy FAILED, rolled back on production"
    );
    let details = s[0].body["blocks"][1]["text"]["text"].as_str().unwrap();
    assert!(
        details.contains("web: deploy failure, rollback success"),
        "{details}"
    );
    assert!(details.contains("run: https://github.com/octo-org/shop/actions/runs/77"));
    let h = hook_got.lock().unwrap();
    assert_eq!(h[0].path, "/events?token=hooksecret");
    assert_eq!(h[0].body["severity"], "failure");
    assert_eq!(h[0].body["event"]["event"], "deploy");
    assert_eq!(h[0].body["event"]["apps"][1]["app"], "web");
    assert_eq!(h[0].body["event"]["apps"][1]["rollback"], "success");
    for out in [&t.stdout, &t.stderr] {
        assert!(!out.contains("secret"), "a webhook URL leaked:\n{out}");
    }
    assert!(t.stderr.contains("sent to slack, webhook"), "{}", t.stderr);
}

#[test]
fn the_workflow_variable_slack_webhook_url_is_read_when_the_secret_name_differs() {
    let (slack, got) = receiver(200);
    let dir = project("version: 1\nnotify: { slack-webhook-secret: TEAM_SLACK }\n");
    let t = slipway()
        .current_dir(dir.path())
        .env("SLACK_WEBHOOK_URL", format!("{slack}/hook"))
        .args([
            "notify",
            "rollback",
            "--environment",
            "staging",
            "--version",
            "v1.3.9",
            "--status",
            "success",
            "--url",
            "",
        ])
        .run();
    t.code(0);
    let got = got.lock().unwrap();
    assert_eq!(
        got[0].body["text"],
        ":white_check_mark: slipway: v1.3.9 rolled back on staging"
    );
}

#[test]
fn nothing_configured_is_a_note_and_success() {
    let dir = project("version: 1\n");
    let t = slipway().current_dir(dir.path()).args(DEPLOY_ARGS).run();
    t.code(0);
    assert!(
        t.stderr.contains("note: no notifier configured"),
        "{}",
        t.stderr
    );
}

#[test]
fn a_secret_that_is_not_passed_is_a_warning_and_the_rest_still_sends() {
    let (hook, got) = receiver(200);
    let dir = project(
        "version: 1\nnotify:\n  slack-webhook-secret: CHAT_HOOK\n  webhook-secret: EVENTS_HOOK\n",
    );
    let t = slipway()
        .current_dir(dir.path())
        .env("EVENTS_HOOK", format!("{hook}/e"))
        .args(DEPLOY_ARGS)
        .run();
    t.code(0);
    assert!(
        t.stderr
            .contains("`CHAT_HOOK` is not set: that notifier is skipped"),
        "{}",
        t.stderr
    );
    assert_eq!(got.lock().unwrap().len(), 1);
}

#[test]
fn a_webhook_that_refuses_fails_the_step_without_showing_the_url() {
    let (hook, _) = receiver(500);
    let dir = project("version: 1\nnotify: { webhook-secret: EVENTS_HOOK }\n");
    let t = slipway()
        .current_dir(dir.path())
        .env("EVENTS_HOOK", format!("{hook}/e?sig=topsecretvalue"))
        .args(DEPLOY_ARGS)
        .run();
    t.code(2);
    assert!(
        t.stderr.contains("error: the webhook answered `500`"),
        "{}",
        t.stderr
    );
    assert!(!t.stderr.contains("topsecretvalue"));
    let dir = project("version: 1\nnotify: { webhook-secret: EVENTS_HOOK }\n");
    let t = slipway()
        .current_dir(dir.path())
        .env("EVENTS_HOOK", "ftp://topsecretvalue")
        .args(DEPLOY_ARGS)
        .run();
    t.code(2);
    assert!(
        t.stderr
            .contains("the webhook URL in `EVENTS_HOOK` is not an http(s) URL"),
        "{}",
        t.stderr
    );
    assert!(!t.stderr.contains("topsecretvalue"));
}

/// A private CA and a server certificate for 127.0.0.1 it signed, made with the openssl CLI.
/// Returns (CA certificate, server certificate, server key).
fn certificates(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=slipway test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "server.ext",
        "-out",
        "server.pem",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    )
}

struct Smtp {
    child: std::process::Child,
    port: u16,
    out: std::path::PathBuf,
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn smtp_server(python: &str, dir: &Path, cert: &Path, key: &Path) -> Smtp {
    let out = dir.join("mail.txt");
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metrics/smtp_server.py");
    let mut child = std::process::Command::new(python)
        .arg(script)
        .args([cert, key, &out])
        .args(["ops@example.com", "smtp-pass-123"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("SLIPWAY_AIOSMTPD={python} does not run: {e}"));
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("aiosmtpd did not start: {line:?}"));
    Smtp { child, port, out }
}

fn aiosmtpd() -> Option<String> {
    match std::env::var("SLIPWAY_AIOSMTPD") {
        Ok(p) if !p.is_empty() => Some(p),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("SLIPWAY_AIOSMTPD is not set on CI: scripts/test.d/metrics.sh installs aiosmtpd")
        }
        _ => {
            eprintln!("note: SLIPWAY_AIOSMTPD not set: email is not tested against an SMTP server");
            None
        }
    }
}

const EMAIL_CONFIG: &str = "version: 1\nnotify:\n  email: [oncall@example.com, lead@example.com]\n  smtp-host-secret: SMTP_HOST\n  smtp-port-secret: SMTP_PORT\n  smtp-user-secret: SMTP_USER\n  smtp-password-secret: SMTP_PASSWORD\n";

#[test]
fn a_failed_deploy_is_emailed_over_starttls_to_a_server_the_given_ca_vouches_for() {
    let Some(python) = aiosmtpd() else { return };
    let dir = project(EMAIL_CONFIG);
    let (ca, cert, key) = certificates(dir.path());
    let server = smtp_server(&python, dir.path(), &cert, &key);
    let run = |ca: Option<&Path>| {
        let mut r = slipway()
            .current_dir(dir.path())
            .env("SMTP_HOST", "127.0.0.1")
            .env("SMTP_PORT", server.port.to_string())
            .env("SMTP_USER", "ops@example.com")
            .env("SMTP_PASSWORD", "smtp-pass-123")
            .args(DEPLOY_ARGS);
        if let Some(ca) = ca {
            r = r.args(["--smtp-ca"]).arg_path(ca);
        }
        r.run()
    };
    // Without the CA the self-signed certificate is refused: verification is never off.
    let t = run(None);
    t.code(2);
    assert!(
        t.stderr.contains("could not send the email"),
        "{}",
        t.stderr
    );
    assert!(
        !std::fs::read_to_string(&server.out)
            .unwrap_or_default()
            .contains("Subject")
    );
    let t = run(Some(&ca));
    t.code(0);
    assert!(t.stderr.contains("sent to email"), "{}", t.stderr);
    let mail = std::fs::read_to_string(&server.out).unwrap();
    assert!(mail.contains("X-Test-TLS: True"), "{mail}");
    assert!(mail.contains("X-Test-Mail-From: ops@example.com"), "{mail}");
    assert!(
        mail.contains("X-Test-Rcpt-To: oncall@example.com,lead@example.com"),
        "{mail}"
    );
    assert!(
        mail.contains("Subject: slipway: v1.4.0 deploy FAILED, rolled back on production"),
        "{mail}"
    );
    assert!(
        mail.contains("web: deploy failure, rollback success"),
        "{mail}"
    );
    for out in [&t.stdout, &t.stderr] {
        assert!(!out.contains("smtp-pass-123"));
    }
}

#[test]
fn a_successful_deploy_is_not_emailed() {
    let dir = project(EMAIL_CONFIG);
    let t = slipway()
        .current_dir(dir.path())
        .env("SMTP_HOST", "127.0.0.1")
        .env("SMTP_PORT", "1")
        .args([
            "notify",
            "deploy",
            "--environment",
            "production",
            "--version",
            "v1",
            "--status",
            "success",
            "--deploy",
            "success",
            "--rollback",
            "skipped",
        ])
        .run();
    t.code(0);
    assert!(
        t.stderr.contains("email: sent for failures only"),
        "{}",
        t.stderr
    );
}

const COMMENTS: &str = "/repos/octo-org/octo-repo/issues/42/comments";

fn comment(id: u64, body: &str) -> Value {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metrics/issue-comment.json");
    let mut c: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    c["id"] = id.into();
    c["body"] = body.into();
    c["html_url"] =
        format!("https://github.com/octo-org/octo-repo/pull/42#issuecomment-{id}").into();
    c
}

fn quality_comment(mock: &MockGitHub, report: &Path) -> common::Transcript {
    slipway()
        .env("GITHUB_TOKEN", "ghs_commenttoken")
        .env("GITHUB_API_URL", mock.url())
        .env("GITHUB_REPOSITORY", "octo-org/octo-repo")
        .args(["quality", "comment", "--pull-request", "42", "--report"])
        .arg_path(report)
        .args(["--marker", "slipway-quality"])
        .run()
}

#[test]
fn the_quality_comment_updates_the_comment_carrying_its_marker() {
    let mock = MockGitHub::start();
    let list = serde_json::json!([
        comment(5, "Looks good"),
        comment(9, "<!-- slipway-quality -->\nold summary"),
    ]);
    mock.on("GET", COMMENTS)
        .then(Reply::json(200, list.to_string()));
    mock.on("PATCH", "/repos/octo-org/octo-repo/issues/comments/9")
        .then(Reply::json(200, comment(9, "x").to_string()));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("summary.md"),
        "## Quality\n\nall gates held\n",
    )
    .unwrap();
    let t = quality_comment(&mock, dir.path());
    t.code(0);
    let reqs = mock.requests();
    let patch = reqs
        .iter()
        .find(|r| r.method == "PATCH")
        .expect("the comment is updated");
    let body: Value = serde_json::from_str(&patch.body).unwrap();
    assert_eq!(
        body["body"],
        "<!-- slipway-quality -->\n## Quality\n\nall gates held\n"
    );
    assert!(!reqs.iter().any(|r| r.method == "POST"));
    assert!(
        t.stderr.contains("updated the quality comment on #42"),
        "{}",
        t.stderr
    );
}

#[test]
fn the_quality_comment_is_created_when_none_carries_the_marker() {
    let mock = MockGitHub::start();
    mock.on("GET", COMMENTS).then(Reply::json(
        200,
        serde_json::json!([comment(5, "a <!-- slipway-quality --> quote")]).to_string(),
    ));
    mock.on("POST", COMMENTS)
        .then(Reply::json(201, comment(10, "x").to_string()));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("summary.md"), "coverage 91%\n").unwrap();
    let t = quality_comment(&mock, dir.path());
    t.code(0);
    let post = mock
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    let body: Value = serde_json::from_str(&post.body).unwrap();
    assert_eq!(body["body"], "<!-- slipway-quality -->\ncoverage 91%\n");
}

#[test]
fn a_missing_summary_says_to_run_the_gate_first() {
    let mock = MockGitHub::start();
    let dir = tempfile::tempdir().unwrap();
    let t = quality_comment(&mock, dir.path());
    t.code(2);
    assert!(
        t.stderr.contains("error: no quality summary at"),
        "{}",
        t.stderr
    );
    assert!(
        t.stderr
            .contains("hint: run `slipway quality gate --report"),
        "{}",
        t.stderr
    );
    assert!(mock.requests().is_empty());
}

#[test]
fn a_token_that_cannot_write_comments_is_explained() {
    let mock = MockGitHub::start();
    mock.on("GET", COMMENTS).then(Reply::json(200, "[]"));
    mock.on("POST", COMMENTS)
        .then(Reply::error(403, "Resource not accessible by integration"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("summary.md"), "x\n").unwrap();
    let t = quality_comment(&mock, dir.path());
    t.code(2);
    assert!(t.stderr.contains("`pull-requests: write`"), "{}", t.stderr);
}

/// A fork pull request's `quality-comment` artifact in a temp dir.
fn artifact(number: &str, summary: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("pull-request"), number).unwrap();
    std::fs::write(dir.path().join("summary.md"), summary).unwrap();
    dir
}

fn comment_from_artifact(mock: &MockGitHub, dir: &Path) -> common::Transcript {
    slipway()
        .env("GITHUB_TOKEN", "ghs_commenttoken")
        .env("GITHUB_API_URL", mock.url())
        .env("GITHUB_REPOSITORY", "octo-org/octo-repo")
        .env("SLIPWAY_RUN_ID", "77")
        .args(["quality", "comment", "--from-artifact"])
        .arg_path(dir)
        .run()
}

/// The triggering run: a pull request from a fork (`pull_requests` is empty for those).
fn fork_run(mock: &MockGitHub) {
    mock.on("GET", "/repos/octo-org/octo-repo/actions/runs/77")
        .then(Reply::json(
            200,
            serde_json::json!({"id": 77, "event": "pull_request", "head_sha": "f00d", "pull_requests": []})
                .to_string(),
        ));
    mock.on("GET", "/repos/octo-org/octo-repo/pulls/42")
        .then(Reply::json(
            200,
            r#"{"number": 42, "head": {"sha": "f00d"}}"#,
        ));
}

#[test]
fn a_fork_pull_requests_artifact_comment_is_created_then_updated() {
    let mock = MockGitHub::start();
    fork_run(&mock);
    mock.on("GET", COMMENTS)
        .then(Reply::json(200, "[]"))
        .then(Reply::json(
            200,
            serde_json::json!([comment(11, "<!-- slipway-quality -->\nfirst")]).to_string(),
        ));
    mock.on("POST", COMMENTS)
        .then(Reply::json(201, comment(11, "x").to_string()));
    mock.on("PATCH", "/repos/octo-org/octo-repo/issues/comments/11")
        .then(Reply::json(200, comment(11, "x").to_string()));
    let dir = artifact("42\n", "first\n");
    let t = comment_from_artifact(&mock, dir.path());
    t.code(0);
    assert!(
        t.stderr.contains("created the quality comment on #42"),
        "{t}"
    );
    let dir = artifact("42", "second\n");
    let t = comment_from_artifact(&mock, dir.path());
    t.code(0);
    assert!(
        t.stderr.contains("updated the quality comment on #42"),
        "{t}"
    );
    let reqs = mock.requests();
    let patch = reqs.iter().find(|r| r.method == "PATCH").unwrap();
    let body: Value = serde_json::from_str(&patch.body).unwrap();
    assert_eq!(body["body"], "<!-- slipway-quality -->\nsecond\n");
}

#[test]
fn an_artifact_naming_a_pull_request_the_run_did_not_build_is_refused() {
    let mock = MockGitHub::start();
    fork_run(&mock);
    mock.on("GET", "/repos/octo-org/octo-repo/pulls/43")
        .then(Reply::json(
            200,
            r#"{"number": 43, "head": {"sha": "beef"}}"#,
        ));
    let dir = artifact("43", "pwned\n");
    let t = comment_from_artifact(&mock, dir.path());
    t.code(2);
    assert!(
        t.stderr
            .contains("the artifact names pull request #43, which workflow run 77 did not build"),
        "{t}"
    );
    // A number that is not one, and an oversized summary: refused before any API call.
    let dir = artifact("43\n--marker x", "hi\n");
    let t = comment_from_artifact(&mock, dir.path());
    t.code(2);
    assert!(
        t.stderr.contains("does not hold a pull-request number"),
        "{t}"
    );
    let dir = artifact("42", &"x".repeat(70_000));
    let t = comment_from_artifact(&mock, dir.path());
    t.code(2);
    assert!(t.stderr.contains("more than the 65536 allowed"), "{t}");
    let reqs = mock.requests();
    assert!(
        !reqs
            .iter()
            .any(|r| r.method == "POST" || r.method == "PATCH"),
        "{reqs:?}"
    );
    assert!(!reqs.iter().any(|r| r.path.contains("/comments")));
}
