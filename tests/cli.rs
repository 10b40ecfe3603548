//! The command line itself: help on every command, the version line, usage errors.

mod common;

use common::slipway;

/// Every command and subcommand, as typed.
const COMMANDS: &[&[&str]] = &[
    &[],
    &["detect"],
    &["init"],
    &["gen-workflows"],
    &["config"],
    &["config", "schema"],
    &["config", "validate"],
    &["release"],
    &["release", "plan"],
    &["release", "publish"],
    &["release", "pr"],
    &["run-tests"],
    &["run-tests", "merge"],
    &["setup-environment"],
    &["metrics"],
    &["notify"],
    &["notify", "deploy"],
    &["notify", "rollback"],
    &["quality"],
    &["quality", "comment"],
    &["quality", "gate"],
    &["deploy"],
    &["deploy", "rollback"],
    &["deploy", "status"],
    &["deploy", "window"],
    &["deploy", "promoted"],
    &["security-scan"],
    &["security-scan", "baseline"],
    &["security-scan", "code-scanning-status"],
];

#[test]
fn help_explains_every_command_with_examples() {
    for command in COMMANDS {
        let t = slipway().args(*command).arg_path("--help").run();
        t.code(0);
        let name = if command.is_empty() {
            "slipway".to_owned()
        } else {
            command.join("-")
        };
        if !command.is_empty() && *command != ["config"] {
            assert!(
                t.stdout.contains("Examples:"),
                "`slipway {} --help` has no examples:\n{}",
                command.join(" "),
                t.stdout
            );
        }
        insta::assert_snapshot!(format!("help-{name}"), t.stdout);
    }
}

#[test]
fn version_names_the_version_and_the_full_commit() {
    let t = slipway().arg_path("--version").run();
    t.code(0);
    let line = t.stdout.trim();
    let rest = line
        .strip_prefix("slipway [VERSION] (")
        .expect("starts with the version");
    let commit = rest.strip_suffix(')').expect("ends with the commit");
    assert!(
        commit == "unknown"
            || (commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit())),
        "not a full commit SHA: {commit}"
    );
}

#[test]
fn version_matches_git_head_when_built_from_a_checkout() {
    let head = std::process::Command::new("git")
        .args(["-C", env!("CARGO_MANIFEST_DIR"), "rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let Some(head) = head else { return };
    let t = slipway().arg_path("--version").run();
    assert_eq!(t.stdout.trim(), format!("slipway [VERSION] ({head})"));
}

#[test]
fn an_unknown_command_is_a_usage_error_with_exit_2() {
    let t = slipway().args(["deploy-everything"]).run();
    t.code(2);
    assert!(t.stderr.contains("unrecognized subcommand"), "{t}");
}

#[test]
fn an_unknown_flag_is_a_usage_error_with_exit_2() {
    let t = slipway().args(["detect", "--jsn"]).run();
    t.code(2);
    assert!(
        t.stderr.contains("--json"),
        "clap suggests the close flag: {t}"
    );
}

#[test]
fn detect_on_a_missing_directory_exits_2_with_a_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope");
    let t = slipway()
        .args(["detect"])
        .arg_path(&missing)
        .filter_temp(dir.path())
        .run();
    t.code(2);
    insta::assert_snapshot!(t.to_string());
}

#[test]
fn errors_become_annotations_inside_actions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("nope");
    let t = slipway()
        .in_actions()
        .args(["detect"])
        .arg_path(&missing)
        .filter_temp(dir.path())
        .run();
    t.code(2);
    let annotation = "::error title=slipway detect::";
    assert!(
        t.stdout.contains(annotation) || t.stderr.contains(annotation),
        "{t}"
    );
}

#[test]
fn detect_json_on_an_empty_directory_prints_the_empty_shape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = slipway()
        .args(["detect", "--json"])
        .arg_path(dir.path())
        .run();
    t.code(0);
    let value: serde_json::Value = serde_json::from_str(&t.stdout).expect("json");
    assert_eq!(
        value,
        serde_json::json!({
            "languages": [], "package_managers": [], "toolchains": {}, "subprojects": [],
            "has_docker": false, "docker_files": [], "test_commands": [],
            "services": [], "testcontainers": []
        })
    );
}

/// A line the runner would read as a command, other than slipway's own annotations.
fn forged_commands(text: &str) -> Vec<&str> {
    text.lines()
        .filter(|l| l.trim_start().starts_with("::") && l.contains("evil"))
        // slipway's own annotation: its message is escaped, one line.
        .filter(|l| !l.starts_with("::error title=slipway "))
        .collect()
}

#[cfg(unix)]
#[test]
fn no_output_line_can_be_forged_into_a_workflow_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    for name in [
        "a\n::error file=evil.rs,line=1::injected\n",
        "::stop-commands::evil",
    ] {
        let sub = dir.path().join(name);
        std::fs::create_dir_all(&sub).expect("mkdir");
        std::fs::write(
            sub.join("package.json"),
            r#"{"name": "x", "scripts": {"test": "vitest run"}}"#,
        )
        .expect("write");
        std::fs::write(sub.join("Cargo.toml"), "[package\n").expect("write");
    }
    let t = slipway()
        .in_actions()
        .args(["detect"])
        .arg_path(dir.path())
        .run();
    t.code(0);
    assert!(
        forged_commands(&t.stdout).is_empty() && forged_commands(&t.stderr).is_empty(),
        "{t}"
    );

    let config = dir.path().join("slipway.yml");
    std::fs::write(
        &config,
        "ci:\n  \"x\\n::error file=evil.rs::injected\": 1\n",
    )
    .expect("write");
    let t = slipway()
        .in_actions()
        .args(["config", "validate"])
        .arg_path(&config)
        .run();
    t.code(2);
    assert!(
        forged_commands(&t.stdout).is_empty() && forged_commands(&t.stderr).is_empty(),
        "{t}"
    );
}
