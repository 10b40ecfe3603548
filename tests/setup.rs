//! `slipway setup-environment`: the plan as step outputs, variables, secrets and bad inputs.

mod common;

use common::{repos, slipway};

fn output<'a>(outputs: &'a str, name: &str) -> Option<&'a str> {
    outputs
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
}

fn temp_repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

#[test]
fn a_rust_workspace_gets_its_toolchain_version_cache_key_and_summary() {
    let t = slipway()
        .in_actions()
        .args(["setup-environment"])
        .arg_path(repos().join("rust-virtual-workspace"))
        .run();
    t.code(0);
    assert_eq!(output(&t.outputs, "rust-version"), Some("1.80.1"), "{t}");
    assert_eq!(output(&t.outputs, "node-version"), Some(""), "{t}");
    assert_eq!(output(&t.outputs, "stacks"), Some(r#"["rust"]"#), "{t}");
    assert_eq!(output(&t.outputs, "package-manager"), Some("cargo"), "{t}");
    assert_eq!(
        output(&t.outputs, "install-command"),
        Some("cargo fetch --locked")
    );
    let key = output(&t.outputs, "cache-key").unwrap();
    assert!(
        key.starts_with("slipway-v1-") && key.len() <= 512 && !key.contains(','),
        "{key}"
    );
    assert!(t.outputs.contains("cache-paths<<"), "{t}");
    assert!(t.outputs.contains("~/.cargo/registry/index\n"), "{t}");
    assert!(t.summary.contains("### slipway setup-environment"), "{t}");
    assert!(t.summary.contains("`1.80.1`"), "{t}");
}

#[test]
fn the_cache_key_changes_with_the_lockfile_and_equals_hashfiles() {
    use sha2::{Digest, Sha256};
    let dir = temp_repo(&[
        ("package.json", r#"{"name":"a","version":"1.0.0"}"#),
        ("package-lock.json", r#"{"lockfileVersion":3}"#),
    ]);
    let key = |dir: &std::path::Path| {
        let t = slipway()
            .in_actions()
            .env("RUNNER_OS", "Linux")
            .env("RUNNER_ARCH", "X64")
            .args(["setup-environment"])
            .arg_path(dir)
            .run();
        t.code(0);
        output(&t.outputs, "cache-key").unwrap().to_owned()
    };
    let first = key(dir.path());
    let inner = Sha256::digest(br#"{"lockfileVersion":3}"#);
    let expected: String = Sha256::digest(inner)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(
        first,
        format!("slipway-v1-Linux-X64-npm-root-lts__-{expected}")
    );
    std::fs::write(dir.path().join("package-lock.json"), "{}").unwrap();
    assert_ne!(key(dir.path()), first);
}

#[test]
fn cache_false_plans_no_cache_and_the_working_directory_narrows_the_stacks() {
    let t = slipway()
        .in_actions()
        .env("SLIPWAY_CACHE", "false")
        .env("SLIPWAY_WORKING_DIRECTORY", "frontend")
        .args(["setup-environment"])
        .arg_path(repos().join("uv-bun-fullstack"))
        .run();
    t.code(0);
    assert_eq!(output(&t.outputs, "stacks"), Some(r#"["node"]"#), "{t}");
    assert_eq!(output(&t.outputs, "python-version"), Some(""), "{t}");
    assert_eq!(output(&t.outputs, "cache-key"), Some(""), "{t}");
    assert_eq!(output(&t.outputs, "package-manager"), Some("bun"), "{t}");
}

#[test]
fn a_repository_without_a_stack_gets_a_note_and_an_empty_plan() {
    let dir = temp_repo(&[("README.md", "# docs only\n")]);
    let t = slipway()
        .in_actions()
        .args(["setup-environment"])
        .arg_path(dir.path())
        .run();
    t.code(0);
    assert!(
        t.stderr
            .contains("note: no stack detected in `.`: nothing to set up"),
        "{t}"
    );
    assert_eq!(output(&t.outputs, "stacks"), Some("[]"), "{t}");
    assert_eq!(output(&t.outputs, "cache-key"), Some(""), "{t}");
    assert!(t.summary.contains("No toolchain to set up."), "{t}");
}

#[test]
fn stacks_none_skips_detection_and_still_exports_the_environment() {
    let dir = temp_repo(&[(
        "slipway.yml",
        "version: 1\nenvironments:\n  staging:\n    branch: main\n    env:\n      LOG_LEVEL: debug\n      REGION: eu-west-1\n",
    )]);
    let t = slipway()
        .in_actions()
        .env("SLIPWAY_STACKS", "none")
        .env("SLIPWAY_ENVIRONMENT", "staging")
        .args(["setup-environment"])
        .arg_path(dir.path())
        .run();
    t.code(0);
    assert_eq!(t.env, "LOG_LEVEL=debug\nREGION=eu-west-1\n", "{t}");
    assert_eq!(output(&t.outputs, "stacks"), Some("[]"), "{t}");
    assert!(t.summary.contains("`LOG_LEVEL`, `REGION`"), "{t}");
}

#[test]
fn a_missing_secret_fails_with_its_name_and_present_ones_are_only_masked() {
    let dir = temp_repo(&[(
        "slipway.yml",
        "version: 1\nenvironments:\n  production:\n    on: release\n    secrets: [DATABASE_URL, DEPLOY_KEY]\n",
    )]);
    let secret = "postgres://app:s3cr3t-value@db/prod";
    let t = slipway()
        .in_actions()
        .env("SLIPWAY_STACKS", "none")
        .env("SLIPWAY_ENVIRONMENT", "production")
        .env("DATABASE_URL", secret)
        .args(["setup-environment"])
        .arg_path(dir.path())
        .run();
    t.code(2);
    assert!(
        t.stderr.contains(
            "error: the environment `production` needs the secret `DEPLOY_KEY`, which is not set"
        ),
        "{t}"
    );
    assert!(
        t.stderr.contains("hint: pass each secret to the step"),
        "{t}"
    );
    // The value appears once: in the mask command, before anything else is logged.
    let mask = format!("::add-mask::{secret}");
    assert!(t.stderr.starts_with(&mask), "{t}");
    assert_eq!(t.stderr.matches("s3cr3t-value").count(), 1, "{t}");
    assert!(!t.stdout.contains("s3cr3t") && !t.outputs.contains("s3cr3t"));
    assert!(
        t.stderr
            .contains("::error title=slipway setup-environment::"),
        "{t}"
    );
}

#[test]
fn every_secret_present_passes_and_is_listed_by_name_only() {
    let dir = temp_repo(&[(
        "slipway.yml",
        "version: 1\nenvironments:\n  production:\n    on: release\n    secrets: [DEPLOY_KEY]\n",
    )]);
    let t = slipway()
        .in_actions()
        .env("SLIPWAY_STACKS", "none")
        .env("SLIPWAY_ENVIRONMENT", "production")
        .env("DEPLOY_KEY", "k3y-material")
        .args(["setup-environment"])
        .arg_path(dir.path())
        .run();
    t.code(0);
    assert!(t.summary.contains("`DEPLOY_KEY`"), "{t}");
    assert!(
        !t.summary.contains("k3y") && !t.stdout.contains("k3y"),
        "{t}"
    );
}

#[test]
fn malformed_inputs_name_the_input_and_the_expected_form() {
    for (var, value, message) in [
        (
            "SLIPWAY_STACKS",
            "rust,cobol",
            "error: invalid input `stacks`: `rust,cobol`; expected `auto`, `none`, or a comma list of",
        ),
        (
            "SLIPWAY_CACHE",
            "yes",
            "error: invalid input `cache`: `yes`; expected `true` or `false`",
        ),
        (
            "SLIPWAY_INSTALL_DEPENDENCIES",
            "1",
            "error: invalid input `install-dependencies`: `1`; expected `true` or `false`",
        ),
        (
            "SLIPWAY_WORKING_DIRECTORY",
            "../elsewhere",
            "error: invalid input `working-directory`: `../elsewhere`; expected a directory relative to the workspace",
        ),
    ] {
        let t = slipway()
            .env(var, value)
            .args(["setup-environment"])
            .arg_path(repos().join("go-module"))
            .run();
        t.code(2);
        assert!(t.stderr.starts_with(message), "{var}\n{t}");
    }
    let t = slipway()
        .env("SLIPWAY_WORKING_DIRECTORY", "nowhere")
        .args(["setup-environment"])
        .arg_path(repos().join("go-module"))
        .run();
    t.code(2);
    assert!(
        t.stderr
            .contains("the working directory `nowhere` does not exist"),
        "{t}"
    );
}

#[test]
fn outside_actions_the_plan_is_printed_and_json_is_available() {
    let t = slipway()
        .args(["setup-environment", "--json"])
        .arg_path(repos().join("go-module"))
        .run();
    t.code(0);
    let v: serde_json::Value = serde_json::from_str(&t.stdout).unwrap();
    assert_eq!(v["stacks"], serde_json::json!(["go"]));
    assert_eq!(v["toolchains"][0]["version"], "1.22.3");
    assert!(t.outputs.is_empty());
}

#[test]
fn a_ruby_version_the_runner_lacks_is_a_warning_naming_both_versions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = temp_repo(&[
        ("Gemfile", "source \"https://rubygems.org\"\ngem \"rack\"\n"),
        (
            "Gemfile.lock",
            "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (3.1.8)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack\n",
        ),
        (".ruby-version", "3.3.6\n"),
    ]);
    // A runner whose Ruby is another version: a `ruby` that answers like Ruby 3.2 does.
    let bin = tempfile::tempdir().unwrap();
    let ruby = bin.path().join("ruby");
    std::fs::write(&ruby, "#!/bin/sh\nprintf '3.2.3'\n").unwrap();
    std::fs::set_permissions(&ruby, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let t = slipway()
        .in_actions()
        .env("PATH", &path)
        .args(["setup-environment"])
        .arg_path(dir.path())
        .run();
    t.code(0);
    assert_eq!(output(&t.outputs, "ruby-version"), Some("3.3.6"), "{t}");
    assert!(
        t.stderr.contains("::warning title=setup-environment::the repository asks for Ruby 3.3.6 but this runner has 3.2.3"),
        "{t}"
    );
    assert_eq!(t.stderr.matches("asks for Ruby").count(), 1, "{t}");
    assert!(t.summary.contains("asks for Ruby 3.3.6"), "{t}");
}
