//! `slipway security-scan` end to end: the binary over sample repositories with planted
//! secrets, risky workflows, allowlists and baselines; every output checked for leaks.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::git;
use common::slipway;
use serde_json::Value;
use slipway::security::secrets::checks::github_checksum;

/// A GitHub token with a valid checksum, built at run time.
fn github_token() -> String {
    let random = "R9fX2kLm0QpZ7vTb4NcW8sYh1JdA6e";
    let sum = github_checksum(random.as_bytes());
    format!("ghp_{random}{}", std::str::from_utf8(&sum).unwrap())
}

const STRIPE: &str = "sk_live_zymMlopiWfqUyHRSIf8NFmAU";
const AWS_ID: &str = "AKIANXYNJ5LVFF6UZCRA";
const AWS_SECRET: &str = "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";
const SLACK: &str = "xoxb-029296111242-2623857341521-GsaL1dvnyzv0ZzyA0xIfl4c7";
const PASSWORD: &str = "eGs6R3uYEIi75q";
const PEM_BODY: &str = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmwIDAQAB";

/// Every secret planted by [`leaky_repo`], for leak checks.
fn planted() -> Vec<String> {
    vec![
        github_token(),
        STRIPE.into(),
        AWS_ID.into(),
        AWS_SECRET.into(),
        SLACK.into(),
        PASSWORD.into(),
        PEM_BODY.into(),
    ]
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A small application with secrets in the places they usually leak.
fn leaky_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "config/settings.py",
        &format!(
            "import os\n\nDEBUG = False\nSTRIPE_KEY = \"{STRIPE}\"\nSECRET_KEY = os.environ[\"SECRET_KEY\"]\n"
        ),
    );
    write(
        root,
        ".env",
        &format!("AWS_ACCESS_KEY_ID={AWS_ID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"),
    );
    write(
        root,
        "deploy/notify.sh",
        &format!(
            "#!/bin/sh\n# posts to #deploys\ncurl -H \"Authorization: Bearer {SLACK}\" https://slack.com/api/chat.postMessage\n"
        ),
    );
    write(
        root,
        "docker-compose.yml",
        &format!(
            "services:\n  app:\n    environment:\n      DATABASE_URL: postgres://shop:{PASSWORD}@db.prod.example.net:5432/shop\n"
        ),
    );
    write(
        root,
        "keys/deploy_key",
        &format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n{}\n-----END RSA PRIVATE KEY-----\n",
            &PEM_BODY[..64],
            &PEM_BODY[64..]
        ),
    );
    write(
        root,
        "scripts/release.sh",
        &format!("export GH_TOKEN={}\n", github_token()),
    );
    // Known-harmless values: none of these is a finding.
    write(
        root,
        "docs/setup.md",
        "Set `AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE` and `token: ${{ secrets.GITHUB_TOKEN }}`.\npassword: <your-password>\nDATABASE_URL=postgres://postgres:postgres@localhost/app\n",
    );
    write(
        root,
        "package-lock.json",
        "{\"packages\": {\"node_modules/a\": {\"integrity\": \"sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==\", \"token\": \"Zq8vL2mRt5wXy9Kp\"}}}\n",
    );
    write(root, ".gitignore", "target/\n");
    write(root, "target/debug/leak.txt", &format!("{STRIPE}\n"));
    write(root, "assets/logo.png", "\u{0}PNG binary ghp_");
    dir
}

fn json(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{stdout}"))
}

fn rules_at(v: &Value) -> Vec<(String, String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["file"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// No planted secret, and no part of one past its first 4 characters, appears in `text`.
#[track_caller]
fn assert_no_leak(what: &str, text: &str) {
    for s in planted() {
        let tail = &s[4..s.len().min(16)];
        assert!(
            !text.contains(tail),
            "{what} leaks `{tail}…` of a secret:\n{text}"
        );
    }
}

#[test]
fn planted_secrets_are_found_and_never_printed_in_any_output() {
    let repo = leaky_repo();
    let sarif = repo.path().join("out/slipway.sarif");
    let t = slipway()
        .args(["security-scan", "--json", "--no-dependencies", "--sarif"])
        .arg_path(&sarif)
        .arg_path(repo.path())
        .in_actions()
        .run();
    t.code(1);
    let v = json(&t.stdout);
    let mut found = rules_at(&v);
    found.sort();
    let expected: Vec<(String, String, u64)> = vec![
        ("aws-access-key-id", ".env", 1),
        ("aws-secret-access-key", ".env", 2),
        ("generic-secret", "config/settings.py", 4),
        ("github-token", "scripts/release.sh", 1),
        ("private-key", "keys/deploy_key", 1),
        ("slack-token", "deploy/notify.sh", 3),
        ("url-password", "docker-compose.yml", 4),
    ]
    .into_iter()
    .map(|(r, f, l)| (r.to_owned(), f.to_owned(), l))
    .collect();
    // The Stripe key is also a generic assignment; the specific rule wins.
    let mut expected = expected;
    expected.retain(|(r, _, _)| r != "generic-secret");
    expected.push(("stripe-live-key".into(), "config/settings.py".into(), 4));
    expected.sort();
    assert_eq!(found, expected, "{t}");

    let stripe = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "stripe-live-key")
        .unwrap();
    assert_eq!(stripe["kind"], "secret");
    assert_eq!(stripe["level"], "critical");
    assert_eq!(stripe["column"], 15);
    assert_eq!(stripe["excerpt"], "sk_l****");
    assert_eq!(stripe["fingerprint"].as_str().unwrap().len(), 32);
    assert_eq!(v["counts"]["critical"], 4);
    assert_eq!(v["highest"], "critical");
    let skipped: Vec<&str> = v["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["file"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, vec!["assets/logo.png"]);

    let sarif_text = std::fs::read_to_string(&sarif).unwrap();
    for (what, text) in [
        ("stdout", t.stdout.as_str()),
        ("stderr", t.stderr.as_str()),
        ("outputs", t.outputs.as_str()),
        ("summary", t.summary.as_str()),
        ("sarif", sarif_text.as_str()),
    ] {
        assert_no_leak(what, text);
    }
    // The human listing and the baseline file too.
    let t2 = slipway()
        .args(["security-scan", "--no-dependencies"])
        .arg_path(repo.path())
        .run();
    t2.code(1);
    assert!(
        t2.stdout.contains("github-token  scripts/release.sh:1:17"),
        "{t2}"
    );
    assert_no_leak("text listing", &t2.stdout);
    let base = repo.path().join("b.json");
    slipway()
        .args(["security-scan", "baseline", "--no-dependencies", "--output"])
        .arg_path(&base)
        .arg_path(repo.path())
        .run()
        .code(0);
    assert_no_leak("baseline", &std::fs::read_to_string(&base).unwrap());

    // Outputs, annotations and the summary.
    assert!(t.outputs.contains("findings=7\n"), "{}", t.outputs);
    assert!(t.outputs.contains("critical=4\n"), "{}", t.outputs);
    assert!(
        t.outputs.contains("highest-severity=critical\n"),
        "{}",
        t.outputs
    );
    assert!(
        t.outputs.contains(&format!("sarif={}\n", sarif.display())),
        "{}",
        t.outputs
    );
    assert!(
        t.stderr.contains(
            "::error title=critical secret%3A github-token,file=scripts/release.sh,line=1,col=17::"
        ),
        "{}",
        t.stderr
    );
    assert!(
        t.summary
            .contains("❌ 7 findings (4 critical, 2 high, 0 medium, 1 low)")
            || t.summary.contains("❌ 7 findings"),
        "{}",
        t.summary
    );
    assert!(
        t.summary.contains("secrets · critical (4)"),
        "{}",
        t.summary
    );
    assert!(t.summary.contains("dependencies"), "{}", t.summary);
}

#[test]
fn fail_on_sets_the_exit_code_from_flags_the_environment_and_the_config() {
    let repo = tempfile::tempdir().unwrap();
    // One medium finding (a JWT).
    write(
        repo.path(),
        "auth.txt",
        "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n",
    );
    let scan = || {
        slipway()
            .args(["security-scan", "--no-dependencies"])
            .arg_path(repo.path())
    };
    scan().run().code(0);
    scan().args(["--fail-on", "medium"]).run().code(1);
    scan().env("SLIPWAY_FAIL_ON", "low").run().code(1);
    scan()
        .env("SLIPWAY_FAIL_ON", "never")
        .args(["--fail-on", "none"])
        .run()
        .code(0);
    let t = scan().args(["--fail-on", "severe"]).run();
    t.code(2);
    assert!(t.stderr.contains("severe"), "{t}");
    write(
        repo.path(),
        "slipway.yml",
        "version: 1\nsecurity:\n  fail-on: medium\n",
    );
    scan().run().code(1);
    scan().args(["--fail-on", "critical"]).run().code(0);
    // The action's switches.
    scan()
        .env("SLIPWAY_SECRETS", "false")
        .args(["--fail-on", "low"])
        .run()
        .code(0);
    scan()
        .args(["--no-secrets", "--fail-on", "low"])
        .run()
        .code(0);
}

#[test]
fn allowlists_inline_comments_and_the_baseline_silence_accepted_findings() {
    let repo = leaky_repo();
    let root = repo.path();
    write(
        root,
        "slipway.yml",
        "version: 1\nsecurity:\n  allow:\n    - path: keys/**\n      reason: rotated test key\n    - rule: slack-token\n    - regex: \"^AKIA\"\n",
    );
    write(
        root,
        "scripts/release.sh",
        &format!(
            "export GH_TOKEN={} # slipway:allow github-token\n",
            github_token()
        ),
    );
    let t = slipway()
        .args([
            "security-scan",
            "--json",
            "--no-dependencies",
            "--no-workflows",
        ])
        .arg_path(root)
        .run();
    let v = json(&t.stdout);
    let mut rules: Vec<String> = rules_at(&v).into_iter().map(|r| r.0).collect();
    rules.sort();
    assert_eq!(
        rules,
        vec!["aws-secret-access-key", "stripe-live-key", "url-password"],
        "{t}"
    );
    assert_eq!(
        v["allowed"], 0,
        "secrets meet the allowlist before they become findings"
    );

    // Accept the rest in a baseline: then only a new secret counts.
    write(
        root,
        "slipway.yml",
        "version: 1\nsecurity:\n  baseline: .slipway/accepted.json\n",
    );
    let t = slipway()
        .args(["security-scan", "baseline", "--no-dependencies"])
        .arg_path(root)
        .run();
    t.code(0);
    assert!(
        t.stderr.contains("accepted.json with 6 accepted findings"),
        "{t}"
    );
    let t = slipway()
        .args(["security-scan", "--json", "--no-dependencies"])
        .arg_path(root)
        .run();
    t.code(0);
    let v = json(&t.stdout);
    assert_eq!(v["findings"].as_array().unwrap().len(), 0, "{t}");
    assert_eq!(v["baselined"], 6);
    // Moving a secret to another line keeps it accepted; a new one is reported.
    write(
        root,
        ".env",
        &format!("# moved\n\nAWS_ACCESS_KEY_ID={AWS_ID}\nAWS_SECRET_ACCESS_KEY={AWS_SECRET}\n"),
    );
    write(
        root,
        "app/payments.rb",
        "STRIPE = 'sk_live_Q8fLm2Rt5wXy9KpZ3vNb7cHd'\n",
    );
    let t = slipway()
        .args(["security-scan", "--json", "--no-dependencies"])
        .arg_path(root)
        .run();
    t.code(1);
    assert_eq!(
        rules_at(&json(&t.stdout)),
        vec![(
            "stripe-live-key".to_owned(),
            "app/payments.rb".to_owned(),
            1
        )]
    );
}

#[test]
fn bad_inputs_exit_2_naming_the_file_and_what_to_do() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(
        root,
        "slipway.yml",
        "version: 1\nsecurity:\n  allow:\n    - regex: \"(unclosed\"\n",
    );
    let t = slipway().args(["security-scan"]).arg_path(root).run();
    t.code(2);
    assert!(
        t.stderr
            .contains("`security.allow[0]`: invalid regex `(unclosed`"),
        "{t}"
    );
    assert!(t.stderr.contains("hint:"), "{t}");

    write(root, "slipway.yml", "version: 1\n");
    write(
        root,
        "base.json",
        "{\n  \"version\": 1,\n  \"findings\": {}\n}\n",
    );
    let t = slipway()
        .args(["security-scan", "--baseline"])
        .arg_path(root.join("base.json"))
        .arg_path(root)
        .run();
    t.code(2);
    assert!(t.stderr.contains("base.json`:3:"), "{t}");
    assert!(t.stderr.contains("security-scan baseline"), "{t}");

    let t = slipway()
        .args(["security-scan"])
        .arg_path(root.join("missing"))
        .run();
    t.code(2);
    assert!(t.stderr.contains("is not a directory"), "{t}");

    let t = slipway()
        .args(["security-scan", "--osv-db"])
        .arg_path(root.join("no-db"))
        .arg_path(root)
        .run();
    t.code(2);
    assert!(t.stderr.contains("advisory database"), "{t}");
    assert!(t.stderr.contains("hint:"), "{t}");

    // A broken workflow is a note, not a failure of the scan.
    write(
        root,
        ".github/workflows/broken.yml",
        "on: push\njobs:\n  a: [\n",
    );
    let t = slipway()
        .args(["security-scan", "--json"])
        .arg_path(root)
        .run();
    t.code(0);
    let v = json(&t.stdout);
    let s = &v["skipped"][0];
    assert_eq!(s["file"], ".github/workflows/broken.yml");
    assert!(
        s["reason"].as_str().unwrap().contains("not valid YAML"),
        "{s}"
    );
}

#[test]
fn history_reports_the_commit_that_added_a_secret_even_after_it_was_removed() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    git(root, &["init", "-q", "-b", "main"]);
    write(root, "app.py", "print('hello')\n");
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "start"]);
    write(
        root,
        "app.py",
        &format!("print('hello')\n\nSTRIPE = \"{STRIPE}\"\n"),
    );
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "add payments"]);
    let leak = git(root, &["rev-parse", "HEAD"]);
    write(
        root,
        "app.py",
        "import os\nprint('hello')\nSTRIPE = os.environ['STRIPE']\n",
    );
    git(root, &["add", "-A"]);
    git(
        root,
        &["commit", "-qm", "read the key from the environment"],
    );

    let t = slipway()
        .args(["security-scan", "--json", "--no-dependencies"])
        .arg_path(root)
        .run();
    t.code(0);
    let t = slipway()
        .args(["security-scan", "--json", "--no-dependencies", "--history"])
        .arg_path(root)
        .run();
    t.code(1);
    let v = json(&t.stdout);
    let f = &v["findings"][0];
    assert_eq!(
        (f["rule"].as_str(), f["file"].as_str(), f["line"].as_u64()),
        (Some("stripe-live-key"), Some("app.py"), Some(3))
    );
    assert_eq!(f["commit"].as_str(), Some(leak.as_str()));
    assert!(f["message"].as_str().unwrap().contains(&leak[..12]), "{f}");
    assert_no_leak("history json", &t.stdout);

    // Outside a git repository --history cannot run.
    let plain = tempfile::tempdir().unwrap();
    let t = slipway()
        .args(["security-scan", "--history", "--no-dependencies"])
        .arg_path(plain.path())
        .run();
    t.code(2);
    assert!(t.stderr.contains("fetch-depth"), "{t}");
}

#[test]
fn a_large_file_is_scanned_in_bounded_memory() {
    let repo = tempfile::tempdir().unwrap();
    let path = repo.path().join("dump.sql");
    {
        use std::io::Write as _;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let line =
            "INSERT INTO events VALUES (1, 'page_view', '2024-01-01T00:00:00Z', 'anonymous');\n";
        for _ in 0..(200 * 1024 * 1024 / line.len()) {
            f.write_all(line.as_bytes()).unwrap();
        }
        writeln!(f, "-- admin token {}", github_token()).unwrap();
    }
    let size = std::fs::metadata(&path).unwrap().len();
    // Skipped by default, with a note.
    let t = slipway()
        .args(["security-scan", "--json", "--no-dependencies"])
        .arg_path(repo.path())
        .run();
    t.code(0);
    assert!(
        json(&t.stdout)["skipped"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("larger than 8 MiB"),
        "{t}"
    );
    // Scanned with --max-file-size 0, in chunks: peak memory stays far below the file size.
    let out = Command::new("/usr/bin/time")
        .args(["-f", "MAXRSS_KB=%M"])
        .arg(common::bin())
        .args([
            "security-scan",
            "--json",
            "--no-dependencies",
            "--max-file-size",
            "0",
        ])
        .arg(repo.path())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&String::from_utf8_lossy(&out.stdout));
    let f = &v["findings"][0];
    assert_eq!(f["rule"], "github-token");
    let lines = 200 * 1024 * 1024 / 80 + 1;
    assert!(f["line"].as_u64().unwrap() >= lines as u64 - 100_000, "{f}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let kb: u64 = stderr
        .lines()
        .find_map(|l| l.strip_prefix("MAXRSS_KB="))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no MAXRSS_KB in {stderr}"));
    assert!(
        kb * 1024 < size / 4,
        "peak RSS {kb} KiB for a {size}-byte file"
    );
}

#[test]
fn risky_workflows_are_reported_at_their_lines() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/security");
    let repo = tempfile::tempdir().unwrap();
    let wf = repo.path().join(".github/workflows");
    std::fs::create_dir_all(&wf).unwrap();
    for entry in std::fs::read_dir(fixtures.join("workflows")).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, wf.join(p.file_name().unwrap())).unwrap();
    }
    write(
        repo.path(),
        "actions/greet/action.yml",
        &std::fs::read_to_string(fixtures.join("actions/composite/action.yml")).unwrap(),
    );
    let t = slipway()
        .args([
            "security-scan",
            "--json",
            "--no-dependencies",
            "--no-secrets",
            "--fail-on",
            "critical",
        ])
        .arg_path(repo.path())
        .run();
    t.code(1);
    let v = json(&t.stdout);
    let listing: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{:<8} {}:{} {} — {}",
                f["level"].as_str().unwrap(),
                f["file"].as_str().unwrap(),
                f["line"],
                f["rule"].as_str().unwrap(),
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    insta::assert_snapshot!("workflow-findings", listing.join("\n"));
}

/// Every workflow slipway generates, and its own actions, pass its own audit.
#[test]
fn generated_workflows_and_our_actions_have_no_findings() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in [root.join(".github/workflows")].into_iter().chain(
        std::fs::read_dir(root.join("workflows"))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.is_dir()),
    ) {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "yml") {
                files.push((p, ".github/workflows/w.yml"));
            }
        }
    }
    for e in std::fs::read_dir(root.join("actions")).unwrap().flatten() {
        let p = e.path().join("action.yml");
        if p.is_file() {
            files.push((p, "actions/x/action.yml"));
        }
    }
    assert!(files.len() > 20, "{files:?}");
    for (path, as_name) in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let findings = slipway::security::workflows::audit_text(&text, as_name)
            .unwrap_or_else(|s| panic!("{}: {s:?}", path.display()));
        assert!(findings.is_empty(), "{}: {findings:#?}", path.display());
    }
}

/// The validators' venv (its Python has `jsonschema`): `SLIPWAY_VALIDATORS`, else
/// `/tmp/validators`.
fn validators_python() -> Option<PathBuf> {
    let set = std::env::var_os("SLIPWAY_VALIDATORS").map(PathBuf::from);
    let dir = set
        .clone()
        .unwrap_or_else(|| PathBuf::from("/tmp/validators"));
    let bin = dir.join("bin/python");
    if bin.is_file() {
        return Some(bin);
    }
    assert!(
        set.is_none() && std::env::var("CI").as_deref() != Ok("true"),
        "the validators venv is missing in {}: run `scripts/validators.sh install`",
        dir.display()
    );
    eprintln!("skipped: the validators venv is not installed and SLIPWAY_VALIDATORS is unset");
    None
}

/// Validates with the Draft 4 validator directly: the schema as published (2.1.0-rtm.5, from
/// the npm package `@microsoft/jest-sarif`) has one `pattern` (toolComponent.language) that
/// strict metaschema checks reject, which does not affect validating a log.
const VALIDATE: &str = r#"
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
log = json.load(open(sys.argv[2]))
errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(log), key=lambda e: list(e.absolute_path))
for e in errors[:20]:
    print("/".join(str(p) for p in e.absolute_path), e.message)
sys.exit(1 if errors else 0)
"#;

#[test]
fn the_sarif_file_validates_against_the_official_schema() {
    let repo = leaky_repo();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/security");
    std::fs::create_dir_all(repo.path().join(".github/workflows")).unwrap();
    std::fs::copy(
        fixtures.join("workflows/release-unpinned.yml"),
        repo.path().join(".github/workflows/release.yml"),
    )
    .unwrap();
    let sarif = repo.path().join("slipway.sarif");
    slipway()
        .args(["security-scan", "--sarif"])
        .arg_path(&sarif)
        .arg_path(repo.path())
        .run()
        .code(1);
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let runs = v["runs"].as_array().unwrap();
    let names: Vec<&str> = runs
        .iter()
        .map(|r| r["tool"]["driver"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        vec![
            "slipway-secrets",
            "slipway-dependencies",
            "slipway-workflows"
        ]
    );
    for run in runs {
        for r in run["results"].as_array().unwrap() {
            let idx = r["ruleIndex"].as_u64().unwrap() as usize;
            assert_eq!(run["tool"]["driver"]["rules"][idx]["id"], r["ruleId"]);
            assert!(r["partialFingerprints"]["slipwayFingerprint/v1"].is_string());
        }
    }
    let Some(python) = validators_python() else {
        return;
    };
    let out = Command::new(python)
        .args(["-c", VALIDATE])
        .arg(fixtures.join("sarif-schema-2.1.0.json"))
        .arg(&sarif)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// The security-scan action end to end under act (host mode, offline), as tests/actions.rs runs
// the other actions.

#[test]
fn act_security_scan_fails_on_a_planted_secret_with_outputs_summary_and_sarif() {
    let Some(act) = common::act::act() else {
        return;
    };
    let checkout = common::act::CHECKOUT;
    let workflow = format!(
        r#"on: push
permissions: {{}}
jobs:
  scan:
    runs-on: ubuntu-latest
    steps:
      - uses: {checkout}
        with:
          persist-credentials: false
      - id: scan
        uses: ./actions/security-scan
        with:
          dependencies: "false"
          fail-on: critical
      - name: Show the outputs
        if: ${{{{ always() }}}}
        env:
          SARIF: ${{{{ steps.scan.outputs.sarif }}}}
          FINDINGS: ${{{{ steps.scan.outputs.findings }}}}
          HIGHEST: ${{{{ steps.scan.outputs.highest-severity }}}}
        run: |
          echo "OUT sarif=$SARIF findings=$FINDINGS highest=$HIGHEST"
          echo "OUT runs=$(grep -o '"name":"slipway-[a-z]*"' "$SARIF" | tr '\n' ' ')"
          echo "OUT rules=$(grep -o '"ruleId":"[a-z-]*"' "$SARIF" | sort -u | tr '\n' ' ')"
          echo "OUT raw-in-sarif=$(grep -c 'zymMlopiWfq' "$SARIF")"
"#
    );
    let payments = format!("STRIPE_KEY = \"{STRIPE}\"\n");
    let repo = common::act::repo(&[("config/payments.py", &payments)], &workflow);
    let (code, log) = common::act::run(&act, repo.path(), &Default::default());
    assert_ne!(
        code,
        Some(0),
        "a critical finding must fail the job:\n{log}"
    );
    assert!(
        log.contains("OUT sarif=_slipway/security/slipway.sarif findings=1 highest=critical"),
        "{log}"
    );
    assert!(
        log.contains("OUT runs=\"name\":\"slipway-secrets\" \"name\":\"slipway-workflows\""),
        "{log}"
    );
    assert!(log.contains("stripe-live-key"), "{log}");
    // The annotation and the step summary.
    assert!(log.contains("::error title=critical secret%3A stripe-live-key,file=config/payments.py,line=1,col=15::"), "{log}");
    assert!(log.contains("Summary - ### Security scan"), "{log}");
    assert!(
        log.contains(
            "❌ 1 findings (1 critical, 0 high, 0 medium, 0 low): failed (fail-on: critical)"
        ),
        "{log}"
    );
    assert!(
        !log.contains(&STRIPE[4..]),
        "the secret leaked into the log:\n{log}"
    );
    // act runs in a copy of the workspace: the workflow itself looked into the SARIF file.
    assert!(
        log.contains("OUT rules=\"ruleId\":\"stripe-live-key\""),
        "{log}"
    );
    assert!(log.contains("OUT raw-in-sarif=0"), "{log}");
}

#[test]
fn the_listing_and_the_step_summary_are_grouped_by_kind_and_severity() {
    let repo = tempfile::tempdir().unwrap();
    write(
        repo.path(),
        "deploy.sh",
        &format!("export GH_TOKEN={}\n", github_token()),
    );
    write(
        repo.path(),
        "docs/auth.md",
        "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n",
    );
    write(
        repo.path(),
        ".github/workflows/ci.yml",
        "on: pull_request\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          persist-credentials: false\n      - run: echo \"${{ github.head_ref }}\"\n",
    );
    let t = slipway()
        .args(["security-scan", "--osv-db"])
        .arg_path(repo.path())
        .arg_path(repo.path())
        .filter_temp(repo.path())
        .in_actions()
        .run();
    t.code(1);
    insta::assert_snapshot!("listing", t.stdout);
    insta::assert_snapshot!("summary", t.summary);
    insta::assert_snapshot!("outputs", t.outputs);
}

#[test]
fn one_run_reports_secrets_dependencies_and_workflows_together() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let fixtures = root.join("tests/fixtures");
    let repo = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixtures.join("lockfiles/cargo-v3/Cargo.lock"),
        repo.path().join("Cargo.lock"),
    )
    .unwrap();
    write(
        repo.path(),
        "src/billing.rs",
        &format!("const KEY: &str = \"{STRIPE}\";\n"),
    );
    std::fs::create_dir_all(repo.path().join(".github/workflows")).unwrap();
    std::fs::copy(
        fixtures.join("security/workflows/issue-triage.yml"),
        repo.path().join(".github/workflows/triage.yml"),
    )
    .unwrap();
    let sarif = repo.path().join("out.sarif");
    let t = slipway()
        .args(["security-scan", "--json", "--osv-db"])
        .arg_path(fixtures.join("osv"))
        .args(["--sarif"])
        .arg_path(&sarif)
        .arg_path(repo.path())
        .in_actions()
        .run();
    t.code(1);
    let v = json(&t.stdout);
    let findings = v["findings"].as_array().unwrap();
    for kind in ["secret", "dependency", "workflow"] {
        assert!(
            findings.iter().any(|f| f["kind"] == kind),
            "no {kind} finding:\n{t}"
        );
    }
    let dep = findings
        .iter()
        .find(|f| f["kind"] == "dependency" && f["package"] == "rsa")
        .unwrap_or_else(|| panic!("{t}"));
    assert_eq!(dep["id"], "RUSTSEC-2023-0071");
    assert_eq!(dep["rule"], "RUSTSEC-2023-0071");
    assert_eq!(dep["version"], "0.9.6");
    assert_eq!(dep["ecosystem"], "crates.io");
    assert_eq!(dep["file"], "Cargo.lock");
    assert!(
        dep["aliases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "GHSA-c38w-74pg-36hr"),
        "{dep}"
    );
    assert!(dep.get("fixed").is_some(), "{dep}");
    let states: Vec<&str> = v["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, vec!["checked", "checked", "checked"]);

    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    for run in log["runs"].as_array().unwrap() {
        assert!(
            !run["results"].as_array().unwrap().is_empty(),
            "empty run {}",
            run["tool"]["driver"]["name"]
        );
    }
    assert!(t.summary.contains("dependencies · medium"), "{}", t.summary);
    assert_no_leak("combined json", &t.stdout);
    if let Some(python) = validators_python() {
        let out = Command::new(python)
            .args(["-c", VALIDATE])
            .arg(fixtures.join("security/sarif-schema-2.1.0.json"))
            .arg(&sarif)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}

#[test]
fn a_maven_or_gradle_build_without_a_lockfile_is_reported_not_audited_rather_than_clean() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let run = |repo: &Path| {
        slipway()
            .args([
                "security-scan",
                "--no-secrets",
                "--no-workflows",
                "--osv-db",
            ])
            .arg_path(fixtures.join("osv"))
            .arg_path(repo)
            .filter_temp(repo)
            .in_actions()
            .run()
    };
    // Maven alone: nothing was audited, and the listing says so and why.
    let maven = tempfile::tempdir().unwrap();
    write(maven.path(), "pom.xml", "<project/>\n");
    write(maven.path(), "core/pom.xml", "<project/>\n");
    let t = run(maven.path());
    t.code(0);
    assert!(
        t.stdout.contains("dependencies: NOT CHECKED: `pom.xml`: dependencies not audited (no lockfile): Maven keeps no lockfile"),
        "{t}"
    );
    assert!(!t.stdout.contains("checked 0 lockfiles"), "{t}");
    assert!(
        !t.stdout.contains("core/pom.xml"),
        "a module is its build's: {t}"
    );
    assert!(t.summary.contains("dependencies not checked"), "{t}");

    // Gradle without locking says how to turn it on; with a lockfile it is audited.
    let gradle = tempfile::tempdir().unwrap();
    write(
        gradle.path(),
        "settings.gradle.kts",
        "rootProject.name = \"x\"\n",
    );
    write(gradle.path(), "app/build.gradle.kts", "plugins { java }\n");
    let t = run(gradle.path());
    assert!(
        t.stdout.contains("`settings.gradle.kts`: dependencies not audited (no lockfile): turn on Gradle dependency locking"),
        "{t}"
    );
    std::fs::copy(
        fixtures.join("lockfiles/gradle/gradle.lockfile"),
        gradle.path().join("app/gradle.lockfile"),
    )
    .unwrap();
    let t = run(gradle.path());
    assert!(
        t.stdout.contains("dependencies: checked 1 lockfiles"),
        "{t}"
    );
    assert!(!t.stdout.contains("not audited"), "{t}");

    // Beside a lockfile that was audited, the unaudited build is named, not hidden.
    write(gradle.path(), "backend/pom.xml", "<project/>\n");
    let t = run(gradle.path());
    assert!(
        t.stdout
            .contains("; not audited (no lockfile): backend/pom.xml"),
        "{t}"
    );
}

/// The first run of the generated pipeline on a repository that keeps older workflows: it
/// fails on their findings, and says how to accept today's state and fail only on new ones.
#[test]
fn a_first_scan_failing_on_older_workflows_says_how_to_baseline_them() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let old = "name: old\non: push\npermissions: {}\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n        with: { persist-credentials: false }\n      - uses: codecov/codecov-action@v4\n";
    write(root, ".github/workflows/old-ci.yml", old);
    let scan = |root: &Path| {
        slipway()
            .args(["security-scan", "--no-dependencies", "--no-secrets"])
            .arg_path(root)
            .filter_temp(root)
            .run()
    };
    let t = scan(root);
    t.code(1);
    assert!(
        t.stderr.contains("hint: findings in workflows slipway did not generate (`.github/workflows/old-ci.yml`) count toward fail-on too"),
        "{t}"
    );
    assert!(t.stderr.contains("`slipway security-scan baseline`"), "{t}");
    assert!(
        t.stderr
            .contains("`security.baseline: .slipway/security-baseline.json`"),
        "{t}"
    );

    // Following the hint: the baseline accepts today's findings and the scan passes.
    slipway()
        .args([
            "security-scan",
            "baseline",
            "--no-dependencies",
            "--no-secrets",
        ])
        .arg_path(root)
        .run()
        .code(0);
    write(
        root,
        "slipway.yml",
        "security: { baseline: .slipway/security-baseline.json }\n",
    );
    let t = scan(root);
    t.code(0);
    assert!(!t.stderr.contains("hint:"), "{t}");

    // A finding in a file slipway generated is not called an older workflow.
    let dir = tempfile::tempdir().unwrap();
    let generated = slipway::generate::files::with_header(old, "0.1.0");
    write(dir.path(), ".github/workflows/ci.yml", &generated);
    let t = scan(dir.path());
    t.code(1);
    assert!(
        t.stderr
            .contains("hint: fix the findings, or accept today's findings"),
        "{t}"
    );
}

/// A lockfile or a version that cannot be read is not a clean result: one junk line in a
/// pnpm lockfile that pins a vulnerable package used to give "checked 0 lockfiles", exit 0
/// and an empty SARIF file.
#[test]
fn an_unreadable_lockfile_or_version_makes_the_audit_incomplete_and_fails_the_scan() {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    let pnpm = std::fs::read_to_string(fixtures.join("lockfiles/pnpm-v9-workspace/pnpm-lock.yaml"))
        .unwrap();
    let junk_line = pnpm.lines().count() + 1;
    write(root, "web/pnpm-lock.yaml", &format!("{pnpm}}}}} junk\n"));
    let sarif = root.join("out.sarif");
    let run = || {
        slipway()
            .args([
                "security-scan",
                "--json",
                "--no-secrets",
                "--no-workflows",
                "--sarif",
            ])
            .arg_path(&sarif)
            .args(["--osv-db"])
            .arg_path(fixtures.join("osv"))
            .arg_path(root)
            .filter_temp(root)
            .run()
    };
    let t = run();
    t.code(1);
    let v = json(&t.stdout);
    let finding = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "lockfile-unreadable")
        .unwrap_or_else(|| panic!("the unreadable lockfile is a finding: {t}"));
    assert_eq!(finding["file"], "web/pnpm-lock.yaml");
    assert_eq!(finding["level"], "high");
    assert!(
        finding["line"]
            .as_u64()
            .is_some_and(|l| l as usize >= junk_line - 1),
        "{finding}"
    );
    let dependencies = v["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "dependency")
        .unwrap();
    assert_eq!(dependencies["state"], "incomplete", "{t}");
    assert_eq!(v["failed"], true);
    let log: Value = serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let results: Vec<&Value> = log["runs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["results"].as_array().unwrap())
        .collect();
    assert!(
        results
            .iter()
            .any(|r| r["ruleId"] == "lockfile-unreadable" && r["level"] == "error"),
        "{log}"
    );

    // Versions: every Packagist form is read (a pre-release inside a vulnerable range is
    // found), a branch is named as not checkable, and a version nothing reads fails the scan.
    std::fs::remove_file(root.join("web/pnpm-lock.yaml")).unwrap();
    write(
        root,
        "php/composer.lock",
        "{\n  \"packages\": [\n    {\"name\": \"guzzlehttp/guzzle\", \"version\": \"7.4.0-beta.1.1\"},\n    {\"name\": \"twig/twig\", \"version\": \"dev-main\"},\n    {\"name\": \"guzzlehttp/psr7\", \"version\": \"#2.0!\"}\n  ]\n}\n",
    );
    let t = run();
    t.code(1);
    let v = json(&t.stdout);
    let rules = rules_at(&v);
    assert!(
        rules.contains(&("GHSA-q559-8m2m-g699".into(), "php/composer.lock".into(), 3)),
        "{rules:?}"
    );
    assert!(
        rules.contains(&("version-unreadable".into(), "php/composer.lock".into(), 5)),
        "{rules:?}"
    );
    let skipped = v["skipped"].to_string();
    assert!(
        skipped.contains("`twig/twig` is pinned to the branch `dev-main`"),
        "{skipped}"
    );

    // `security.allow` naming what could not be read lets the rest decide.
    write(
        root,
        "slipway.yml",
        "version: 1\nsecurity:\n  fail-on: critical\n  allow:\n    - rule: version-unreadable\n      path: php/composer.lock\n      reason: vendored fork\n",
    );
    let t = run();
    t.code(0);
    assert_eq!(json(&t.stdout)["failed"], false, "{t}");
}

/// A published fingerprint carries nothing about the secret; a baseline of format 1 (hashes
/// over the secrets) still accepts what it accepted, and the scan says how to rewrite it.
#[test]
fn fingerprints_hold_no_secret_and_an_old_baseline_still_works_with_a_notice() {
    let repo = tempfile::tempdir().unwrap();
    let root = repo.path();
    write(
        root,
        "scripts/release.sh",
        &format!("export GH_TOKEN={}\n", github_token()),
    );
    let scan = |baseline: Option<&str>| {
        let mut run = slipway().args([
            "security-scan",
            "--json",
            "--no-dependencies",
            "--no-workflows",
        ]);
        if let Some(b) = baseline {
            run = run.args(["--baseline"]).arg_path(root.join(b));
        }
        run.arg_path(root).run()
    };
    let t = scan(None);
    t.code(1);
    let v = json(&t.stdout);
    let fp = v["findings"][0]["fingerprint"].as_str().unwrap().to_owned();
    let legacy = slipway::security::secrets::legacy_fingerprint(
        "github-token",
        "scripts/release.sh",
        github_token().as_bytes(),
    );
    assert_eq!(
        fp,
        slipway::security::secrets::fingerprint(
            "github-token",
            "scripts/release.sh",
            b"export GH_TOKEN=",
            b""
        ),
        "rule, file and the text around the secret"
    );
    assert!(!t.stdout.contains(&legacy), "{t}");

    // Format 1, as older releases wrote it.
    write(
        root,
        "old.json",
        &format!(
            "{{\"version\": 1, \"findings\": [{{\"fingerprint\": \"{legacy}\", \"rule\": \"github-token\", \"file\": \"scripts/release.sh\"}}]}}\n"
        ),
    );
    let t = scan(Some("old.json"));
    t.code(0);
    assert_eq!(json(&t.stdout)["baselined"], 1, "{t}");
    assert!(
        t.stderr.contains("in format 1") && t.stderr.contains("slipway security-scan baseline"),
        "{t}"
    );
    // A rewritten baseline is format 2 and holds no hash over the secret.
    let t = slipway()
        .args([
            "security-scan",
            "baseline",
            "--no-dependencies",
            "--no-workflows",
            "--output",
        ])
        .arg_path(root.join("new.json"))
        .arg_path(root)
        .run();
    t.code(0);
    let written = std::fs::read_to_string(root.join("new.json")).unwrap();
    assert!(
        written.contains("\"version\": 2") && written.contains(&fp),
        "{written}"
    );
    assert!(!written.contains(&legacy), "{written}");
    let t = scan(Some("new.json"));
    t.code(0);
    assert!(!t.stderr.contains("format 1"), "{t}");
}

// ---------------------------------------------------------------------------------------------
// `slipway security-scan code-scanning-status` against the local GitHub API.

mod code_scanning {
    use super::common::github_mock::{MockGitHub, Reply};
    use super::common::slipway;

    const REPO: &str = "/repos/acme/shop";
    const ANALYSES: &str = "/repos/acme/shop/code-scanning/analyses";
    const TOKEN: &str = "ghs_codeScanningMock0123456789";

    /// The fields of GitHub's `full-repository` the check reads, around them a few others.
    fn repository(visibility: &str) -> String {
        serde_json::json!({
            "id": 1296269,
            "name": "shop",
            "full_name": "acme/shop",
            "owner": { "login": "acme", "id": 1, "type": "Organization" },
            "private": visibility != "public",
            "visibility": visibility,
            "default_branch": "main",
            "archived": false,
        })
        .to_string()
    }

    /// One analysis as the code-scanning API lists it.
    fn analyses() -> String {
        serde_json::json!([{
            "ref": "refs/heads/main",
            "commit_sha": "d99612c3e1f2970085cfbaeadf8f010ef69bad83",
            "analysis_key": ".github/workflows/security.yml:codeql",
            "environment": "{\"language\":\"python\"}",
            "category": "/language:python",
            "error": "",
            "created_at": "2026-11-30T05:23:11Z",
            "results_count": 3,
            "rules_count": 143,
            "id": 201,
            "url": "https://api.github.com/repos/acme/shop/code-scanning/analyses/201",
            "sarif_id": "6c81cd8e-b078-4ac3-a3be-1dad7dbd0b53",
            "tool": { "name": "CodeQL", "guid": null, "version": "2.19.3" },
            "deletable": true,
            "warning": ""
        }])
        .to_string()
    }

    fn status(mock: &MockGitHub) -> super::common::Transcript {
        slipway()
            .args(["security-scan", "code-scanning-status"])
            .in_actions()
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_REPOSITORY", "acme/shop")
            .env("GITHUB_API_URL", mock.url())
            .run()
    }

    fn paths(mock: &MockGitHub) -> Vec<String> {
        mock.requests()
            .iter()
            .map(|r| {
                if r.query.is_empty() {
                    r.path.clone()
                } else {
                    format!("{}?{}", r.path, r.query)
                }
            })
            .collect()
    }

    #[test]
    fn a_public_repository_has_code_scanning_without_asking_the_code_scanning_api() {
        let mock = MockGitHub::start();
        mock.on("GET", REPO)
            .then(Reply::json(200, repository("public")));
        let t = status(&mock);
        t.code(0);
        assert_eq!(t.outputs.trim(), "enabled=true", "{t}");
        assert!(t.stdout.contains("`acme/shop` is public"), "{t}");
        assert!(t.summary.is_empty(), "{t}");
        assert_eq!(paths(&mock), vec![REPO.to_owned()]);
        let req = &mock.requests()[0];
        assert_eq!(
            req.header("authorization"),
            Some(format!("Bearer {TOKEN}").as_str())
        );
        // The token appears only in the runner's mask command, never in text.
        let shown = format!("{t}").replace(&format!("::add-mask::{TOKEN}"), "");
        assert!(!shown.contains(TOKEN), "{t}");
    }

    #[test]
    fn a_private_repository_whose_code_scanning_api_answers_has_it() {
        // Analyses listed, or none yet (404 `no analysis found`): enabled either way.
        for reply in [
            Reply::json(200, analyses()),
            Reply::error(404, "no analysis found"),
        ] {
            let mock = MockGitHub::start();
            mock.on("GET", REPO)
                .then(Reply::json(200, repository("private")));
            mock.on("GET", ANALYSES).then(reply);
            let t = status(&mock);
            t.code(0);
            assert_eq!(t.outputs.trim(), "enabled=true", "{t}");
            assert!(t.stdout.contains("`acme/shop` is private"), "{t}");
            assert_eq!(
                paths(&mock),
                vec![REPO.to_owned(), format!("{ANALYSES}?per_page=1")]
            );
        }
        let mock = MockGitHub::start();
        mock.on("GET", REPO)
            .then(Reply::json(200, repository("internal")));
        mock.on("GET", ANALYSES).then(Reply::json(200, "[]"));
        let t = status(&mock);
        t.code(0);
        assert_eq!(t.outputs.trim(), "enabled=true", "{t}");
        assert!(t.stdout.contains("is internal"), "{t}");
    }

    #[test]
    fn a_private_repository_without_code_security_turns_the_upload_off_and_says_why() {
        for message in [
            "Advanced Security must be enabled for this repository to use code scanning.",
            "Code Security must be enabled for this repository to use code scanning.",
        ] {
            let mock = MockGitHub::start();
            mock.on("GET", REPO)
                .then(Reply::json(200, repository("private")));
            mock.on("GET", ANALYSES).then(Reply::error(403, message));
            let t = status(&mock);
            t.code(0);
            assert_eq!(t.outputs.trim(), "enabled=false", "{t}");
            assert!(t.stdout.contains("code scanning is not available"), "{t}");
            assert!(t.stdout.contains(message), "{t}");
            // A notice annotation and a step summary tell why CodeQL and the upload are skipped.
            assert!(
                t.stdout.contains("::notice title=slipway code scanning::")
                    || t.stderr.contains("::notice title=slipway code scanning::"),
                "{t}"
            );
            assert!(t.summary.contains("### Code scanning"), "{t}");
            assert!(
                t.summary.contains("SARIF upload and CodeQL are skipped"),
                "{t}"
            );
            assert!(t.summary.contains("`fail-on` still fails the job"), "{t}");
        }
    }

    #[test]
    fn a_denied_permission_is_an_error_not_a_guess() {
        let mock = MockGitHub::start();
        mock.on("GET", REPO)
            .then(Reply::json(200, repository("private")));
        mock.on("GET", ANALYSES).then(
            Reply::error(403, "Resource not accessible by integration")
                .header("x-accepted-github-permissions", "security_events=read"),
        );
        let t = status(&mock);
        t.code(2);
        assert!(t.outputs.is_empty(), "no decision may be written:\n{t}");
        assert!(
            t.stderr
                .contains("could not tell whether code scanning is available"),
            "{t}"
        );
        assert!(
            t.stderr.contains("Resource not accessible by integration"),
            "{t}"
        );
        assert!(t.stderr.contains("security-events: read"), "{t}");
        assert!(t.stderr.contains("`security.code-scanning: on`"), "{t}");
    }

    /// A server error that persists through the retries decides nothing: the step fails.
    #[tokio::test]
    async fn a_server_error_after_the_retries_is_an_error_not_a_guess() {
        use slipway::error::Hint;
        use slipway::github::client::{Client, FakeClock, Repo, RetryPolicy, Settings};
        use slipway::security::code_scanning::{Error, check};
        let mock = MockGitHub::start();
        mock.on("GET", REPO)
            .then(Reply::json(200, repository("private")));
        mock.on("GET", ANALYSES)
            .then(Reply::error(502, "Server Error"))
            .then(Reply::error(500, "Server Error"));
        let clock = std::sync::Arc::new(FakeClock::at(1_700_000_000));
        let client = Client::new(Settings {
            api_url: mock.url().to_owned(),
            token: slipway::github::mask::Secret::new(TOKEN),
            repository: Some(Repo::parse("acme/shop").unwrap()),
            retry: RetryPolicy::default(),
            connect_timeout: std::time::Duration::from_secs(5),
            read_timeout: std::time::Duration::from_secs(5),
        })
        .unwrap()
        .with_clock(clock.clone());
        let err = check(&client, None)
            .await
            .expect_err("a 5xx decides nothing");
        let Error::Api(inner) = &err;
        assert!(
            matches!(
                inner,
                slipway::github::client::Error::Server { attempts: 4, .. }
            ),
            "{inner:?}"
        );
        assert_eq!(clock.waits().len(), 3, "retried before giving up");
        let hint = err.hint().unwrap_or_default();
        assert!(hint.contains("`security.code-scanning: on`"), "{hint}");
        // One repository read and four probes.
        assert_eq!(mock.requests().len(), 5);
    }

    #[test]
    fn the_event_payload_spares_the_repository_request() {
        let dir = tempfile::tempdir().unwrap();
        let event = dir.path().join("event.json");
        // Public: decided from the payload alone, without a token or a request.
        std::fs::write(
            &event,
            r#"{"ref": "refs/heads/main", "repository": {"full_name": "acme/shop", "private": false, "visibility": "public"}}"#,
        )
        .unwrap();
        let mock = MockGitHub::start();
        let t = slipway()
            .args(["security-scan", "code-scanning-status"])
            .in_actions()
            .env("GITHUB_REPOSITORY", "acme/shop")
            .env("GITHUB_API_URL", mock.url())
            .env("GITHUB_EVENT_PATH", &event)
            .run();
        t.code(0);
        assert_eq!(t.outputs.trim(), "enabled=true", "{t}");
        assert!(t.stdout.contains("`acme/shop` is public"), "{t}");
        assert!(mock.requests().is_empty());
        // Private: only the code-scanning API is asked.
        std::fs::write(
            &event,
            r#"{"repository": {"full_name": "acme/shop", "private": true, "visibility": "private"}}"#,
        )
        .unwrap();
        mock.on("GET", ANALYSES).then(Reply::error(
            403,
            "Advanced Security must be enabled for this repository to use code scanning.",
        ));
        let t = status_with_event(&mock, &event);
        t.code(0);
        assert_eq!(t.outputs.trim(), "enabled=false", "{t}");
        assert_eq!(paths(&mock), vec![format!("{ANALYSES}?per_page=1")]);
    }

    fn status_with_event(mock: &MockGitHub, event: &std::path::Path) -> super::common::Transcript {
        slipway()
            .args(["security-scan", "code-scanning-status"])
            .in_actions()
            .env("GITHUB_TOKEN", TOKEN)
            .env("GITHUB_REPOSITORY", "acme/shop")
            .env("GITHUB_API_URL", mock.url())
            .env("GITHUB_EVENT_PATH", event)
            .run()
    }

    #[test]
    fn without_a_token_or_a_repository_nothing_is_asked_and_nothing_decided() {
        let mock = MockGitHub::start();
        let t = slipway()
            .args(["security-scan", "code-scanning-status"])
            .in_actions()
            .env("GITHUB_REPOSITORY", "acme/shop")
            .env("GITHUB_API_URL", mock.url())
            .run();
        t.code(2);
        assert!(t.stderr.contains("GITHUB_TOKEN"), "{t}");
        assert!(t.outputs.is_empty(), "{t}");
        assert!(mock.requests().is_empty());
    }
}

// ---------------------------------------------------------------------------------------------
// The generated security workflow (`security.code-scanning: auto`) under act, for a private
// repository without GitHub Code Security: the local GitHub API answers GitHub's 403.

/// Copies `from` into `to` (`cp -R`).
fn copy_tree(from: &Path, to: &Path) {
    let ok = Command::new("cp")
        .arg("-R")
        .arg(from)
        .arg(to)
        .status()
        .unwrap()
        .success();
    assert!(ok, "cp -R {} {}", from.display(), to.display());
}

/// `--local-repository` arguments: slipway's own actions at `commit` from a copy of this
/// checkout's `actions/` and `scripts/`, and the upload-artifact and CodeQL stand-ins of
/// `tests/e2e/stand-ins/` at their pinned commits.
fn local_actions(stage: &Path, commit: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let own = stage.join("slipway-actions");
    std::fs::create_dir_all(&own).unwrap();
    copy_tree(&root.join("actions"), &own);
    copy_tree(&root.join("scripts"), &own);
    let mut args = vec![
        "--local-repository".to_owned(),
        format!("slipway-ci/slipway@{commit}={}", own.display()),
    ];
    let pins = slipway::generate::pins::Pins::embedded();
    for (action, stand_in) in [
        ("actions/upload-artifact", "actions-upload-artifact"),
        ("github/codeql-action/init", "github-codeql-action"),
    ] {
        let dest = stage.join(stand_in);
        copy_tree(&root.join("tests/e2e/stand-ins").join(stand_in), &dest);
        for lib in ["lib.js", "tools.js"] {
            std::fs::copy(root.join("tests/e2e/stand-ins").join(lib), dest.join(lib)).unwrap();
        }
        let pinned = pins.uses(action).expect("pinned");
        let (name, sha) = pinned
            .split(" #")
            .next()
            .and_then(|u| u.split_once('@'))
            .expect("owner/repo@sha");
        let repo = name.split('/').take(2).collect::<Vec<_>>().join("/");
        args.push("--local-repository".to_owned());
        args.push(format!("{repo}@{sha}={}", dest.display()));
    }
    args
}

#[test]
fn act_security_workflow_without_code_scanning_reports_skips_the_upload_and_follows_fail_on() {
    let Some(act) = common::act::act() else {
        return;
    };
    use common::github_mock::{MockGitHub, Reply};
    let mock = MockGitHub::start();
    mock.on("GET", "/repos/acme/shop").then(Reply::json(
        200,
        serde_json::json!({
            "id": 1296269, "name": "shop", "full_name": "acme/shop",
            "owner": { "login": "acme", "id": 1 }, "private": true, "visibility": "private",
        })
        .to_string(),
    ));
    mock.on("GET", "/repos/acme/shop/code-scanning/analyses")
        .then(Reply::error(
            403,
            "Advanced Security must be enabled for this repository to use code scanning.",
        ));
    let config = "version: 1\nsecurity:\n  dependencies: false\n  fail-on: high\n";
    let clean = "def total(prices):\n    return sum(prices)\n";
    let leaky = format!("{clean}STRIPE_KEY = \"{STRIPE}\"\n");
    for (app, red) in [(leaky.as_str(), true), (clean, false)] {
        // The workflow as gen-workflows renders it for this repository (auto is the default).
        let rendered = tempfile::tempdir().unwrap();
        write(rendered.path(), "slipway.yml", config);
        write(rendered.path(), "app.py", app);
        slipway()
            .args(["gen-workflows", "--quiet", "--only", "security"])
            .arg_path(rendered.path())
            .run()
            .code(0);
        let workflow =
            std::fs::read_to_string(rendered.path().join(".github/workflows/security.yml"))
                .unwrap();
        assert!(workflow.contains("code-scanning-status"), "{workflow}");
        let commit = workflow
            .split("slipway-ci/slipway/actions/security-scan@")
            .nth(1)
            .map(|rest| &rest[..40])
            .expect("the scan action's commit");
        let repo = common::act::repo(&[("slipway.yml", config), ("app.py", app)], &workflow);
        let stage = tempfile::tempdir().unwrap();
        let state = stage.path().join("state");
        let mut args = local_actions(stage.path(), commit);
        args.extend(
            [
                "-P",
                "ubuntu-24.04=-self-hosted",
                "-s",
                "GITHUB_TOKEN=ghs_actCodeScanning0123456789",
                "--env",
                &format!("GITHUB_API_URL={}", mock.url()),
                "--env",
                "GITHUB_REPOSITORY=acme/shop",
                "--env",
                &format!("SLIPWAY_E2E_STATE={}", state.display()),
            ]
            .map(str::to_owned),
        );
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // The setup actions inside setup-environment are stubs that fail if they run.
        let options = common::act::Options {
            args: &args,
            stub_remote_actions: true,
            ..Default::default()
        };
        let (code, log) = common::act::run(&act, repo.path(), &options);
        // The check ran first (`scan` needs it) and decided "not available".
        assert!(
            log.contains("code scanning is not available: `acme/shop` is private"),
            "{log}"
        );
        assert!(
            log.contains("::notice title=slipway code scanning::")
                || log.contains("Summary - ### Code scanning"),
            "{log}"
        );
        // The scan ran and reported; the SARIF upload was skipped, the artifact kept.
        assert!(log.contains("Summary - ### Security scan"), "{log}");
        assert!(
            !log.contains("not uploaded (no code scanning here)"),
            "{log}"
        );
        assert!(
            std::fs::read_dir(&state)
                .map(|mut d| d.next().is_some())
                .unwrap_or(false),
            "the SARIF artifact was not kept:\n{log}"
        );
        // CodeQL was skipped by its condition (its stand-in would say it initialised).
        assert!(!log.contains("stand-in: CodeQL initialised"), "{log}");
        assert!(!log.contains(&STRIPE[4..]), "the secret leaked:\n{log}");
        if red {
            assert_ne!(code, Some(0), "a critical finding must fail:\n{log}");
            assert!(
                log.contains("::error title=critical secret%3A stripe-live-key,file=app.py"),
                "{log}"
            );
            assert!(log.contains("failed (fail-on: high)"), "{log}");
        } else {
            assert_eq!(code, Some(0), "a clean repository must be green:\n{log}");
            assert!(log.contains("0 findings"), "{log}");
        }
    }
    // Each run asked once for the repository and once for its analyses.
    let asked: Vec<String> = mock.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(asked.len(), 4, "{asked:?}");
}
