//! `slipway config schema` and `slipway config validate` on good and bad files, and the parser
//! on random input.

mod common;

use common::slipway;
use proptest::prelude::*;

/// The JSON Schema editors use to complete and check `slipway.yml`.
#[test]
fn schema_prints_the_json_schema_of_slipway_yml() {
    let t = slipway().args(["config", "schema"]).run();
    t.code(0);
    assert!(t.stderr.is_empty(), "{t}");
    let schema: serde_json::Value = serde_json::from_str(&t.stdout).expect("the schema is JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["title"], "slipway.yml");
    insta::assert_json_snapshot!(schema);
}

/// Every property in the schema is described, so editors show help on hover.
#[test]
fn schema_describes_every_property() {
    fn walk(value: &serde_json::Value, at: &str, missing: &mut Vec<String>) {
        if let Some(props) = value.get("properties").and_then(|p| p.as_object()) {
            for (key, prop) in props {
                if prop.get("description").is_none() {
                    missing.push(format!("{at}.{key}"));
                }
            }
        }
        if let Some(map) = value.as_object() {
            for (key, child) in map {
                walk(child, &format!("{at}/{key}"), missing);
            }
        }
    }
    let mut missing = Vec::new();
    walk(&slipway::config::schema(), "", &mut missing);
    assert!(missing.is_empty(), "undocumented properties: {missing:?}");
}

/// Every file under `tests/fixtures/config/bad/` is rejected with exit code 2 and a precise
/// error; its whole transcript is snapshotted. Adding a case is adding a file.
#[test]
fn validate_exits_2_with_a_located_error_for_every_bad_file() {
    insta::glob!("fixtures/config/bad/*.yml", |path| {
        let dir = path.parent().expect("fixture directory");
        let t = slipway()
            .args(["config", "validate"])
            .arg_path(path)
            .filter_temp(dir)
            .run();
        t.code(2);
        assert!(t.stdout.is_empty(), "{t}");
        let name = path.file_name().and_then(|n| n.to_str()).expect("name");
        assert!(
            t.stderr.contains(&format!("--> [TEMP]/{name}:")),
            "no file:line:column in\n{t}"
        );
        assert!(t.stderr.contains("\nhint: "), "no hint in\n{t}");
        insta::assert_snapshot!(t.to_string());
    });
}

/// Every file under `tests/fixtures/config/good/` validates.
#[test]
fn validate_accepts_every_good_file() {
    insta::glob!("fixtures/config/good/*.yml", |path| {
        let t = slipway().args(["config", "validate"]).arg_path(path).run();
        t.code(0);
        assert!(t.stderr.ends_with(": ok\n"), "{t}");
    });
}

#[test]
fn validate_reads_slipway_yml_in_the_current_directory_by_default() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("slipway.yml"), "ci: { shards: 2 }\n").expect("write");
    let t = slipway()
        .args(["config", "validate"])
        .current_dir(dir.path())
        .run();
    t.code(0);
    assert_eq!(t.stderr, "slipway.yml: ok\n");
}

#[test]
fn validate_exits_2_when_the_file_does_not_exist() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = slipway()
        .args(["config", "validate"])
        .arg_path(dir.path().join("missing.yml"))
        .filter_temp(dir.path())
        .run();
    t.code(2);
    insta::assert_snapshot!(t.to_string());
}

#[test]
fn validate_exits_2_when_the_file_is_huge() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("slipway.yml");
    let mut text = String::from("ci:\n");
    while text.len() <= 1024 * 1024 {
        text.push_str("  # padding padding padding padding padding padding padding padding\n");
    }
    std::fs::write(&path, text).expect("write");
    let t = slipway()
        .args(["config", "validate"])
        .arg_path(&path)
        .filter_temp(dir.path())
        .run();
    t.code(2);
    insta::assert_snapshot!(t.to_string());
}

#[test]
fn validate_never_echoes_a_secret_value() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/config/bad/secret-value-instead-of-name.yml");
    let t = slipway().args(["config", "validate"]).arg_path(&path).run();
    t.code(2);
    assert!(!t.stderr.contains("hooks.slack.com"), "{t}");
    assert!(!t.stderr.contains("XXXX"), "{t}");
}

/// A JWT has no `/`, `:` or `@`, and a token can hold `.` and `_`: none of them may come
/// back in the error, in the snippet or anywhere else.
#[test]
fn a_jwt_in_a_secret_name_field_is_never_echoed() {
    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U";
    for yaml in [
        format!("notify:\n  slack-webhook-secret: {JWT}\n"),
        format!("environments:\n  production:\n    on: release\n    secrets: [DB_URL, {JWT}]\n"),
        "notify:\n  slack-webhook-secret: npm_AbCdEf0123456789\n".to_owned(),
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("slipway.yml");
        std::fs::write(&path, &yaml).expect("write");
        let t = slipway().args(["config", "validate"]).arg_path(&path).run();
        t.code(2);
        for piece in [JWT, "eyJhbGci", "dozjgNry", "npm_AbCd"] {
            assert!(!t.stdout.contains(piece), "{t}");
            assert!(!t.stderr.contains(piece), "{t}");
        }
        assert!(t.stderr.contains("***"), "the snippet is masked:\n{t}");
    }
}

/// A name GitHub refuses is reported without repeating it, and the snippet is masked: it may
/// be a value pasted into the wrong field.
#[test]
fn an_invalid_secret_name_is_not_repeated_in_the_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("slipway.yml");
    std::fs::write(&path, "notify:\n  slack-webhook-secret: GITHUB_hunter2\n").expect("write");
    let t = slipway().args(["config", "validate"]).arg_path(&path).run();
    t.code(2);
    assert!(!t.stderr.contains("hunter2"), "{t}");
    assert!(t.stderr.contains("`GITHUB_`"), "{t}");
}

#[test]
fn load_without_a_file_gives_the_defaults_named_after_the_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("shop");
    std::fs::create_dir(&root).expect("mkdir");
    let loaded = slipway::config::load(&root, None).expect("defaults");
    assert_eq!(loaded.path, None);
    let c = loaded.config;
    assert_eq!(c.project.name, "shop");
    assert_eq!(c.actions.repo.as_str(), "slipway-ci/slipway");
    assert_eq!(c.ci.shards.get(), 1);
    assert_eq!(c.ci.pass_rate.get(), 95.0);
    assert_eq!(c.ci.coverage.min.get(), 0.0);
    assert_eq!(c.ci.coverage.max_drop.get(), 2.0);
    assert_eq!(c.security.fail_on, slipway::config::Severity::High);
    assert!(
        c.environments.is_empty(),
        "nothing deploys until configured"
    );
    assert_eq!(c.project.default_branch(), "main", "no git: the fallback");
    assert_eq!(
        c.release.trigger.value,
        slipway::config::ReleaseTrigger::Manual
    );
    assert_eq!(c.deploy.health.deadline.to_string(), "30s");
    assert_eq!(c.release.tag_prefix(), "v");
    assert!(!c.release.floating_major_tag);
    assert_eq!(c.artifacts.retention_days.get(), 30);
    assert_eq!(c.artifacts.release_retention_days.get(), 90);
}

#[test]
fn load_keeps_environments_in_file_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("slipway.yml"),
        "environments:\n  zeta: { branch: main }\n  alpha: { on: release, after: zeta }\n",
    )
    .expect("write");
    let loaded = slipway::config::load(dir.path(), None).expect("load");
    let envs: Vec<&str> = loaded
        .config
        .environments
        .iter()
        .map(|(n, _)| n.as_str())
        .collect();
    assert_eq!(envs, ["zeta", "alpha"]);
    assert_eq!(loaded.path, Some(dir.path().join("slipway.yml")));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any bytes at all: an error or a config, never a panic.
    #[test]
    fn the_parser_never_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = slipway::config::parse(&bytes, "slipway.yml");
    }

    /// YAML-looking text built from config keys, values and YAML punctuation.
    #[test]
    fn the_parser_never_panics_on_yaml_like_text(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("version: ".to_owned()), Just("ci:".to_owned()), Just("shards: ".to_owned()),
                Just("environments:".to_owned()), Just("staging:".to_owned()),
                Just("after: ".to_owned()), Just("window: ".to_owned()), Just("strategy: ".to_owned()),
                Just("\n".to_owned()), Just("  ".to_owned()), Just("\t".to_owned()), Just("- ".to_owned()),
                Just("{".to_owned()), Just("}".to_owned()), Just("[".to_owned()), Just("]".to_owned()),
                Just(", ".to_owned()), Just("&a ".to_owned()), Just("*a".to_owned()), Just("<<: ".to_owned()),
                Just("\"".to_owned()), Just("'".to_owned()), Just("#".to_owned()), Just("---\n".to_owned()),
                Just("!!str ".to_owned()), Just("1".to_owned()), Just("-7".to_owned()), Just("1e999".to_owned()),
                Just("Mon-Thu 09:00-16:00 UTC".to_owned()), Just("5m".to_owned()), Just("\u{FEFF}".to_owned()),
                "[a-z:\\- \\n]{0,12}",
            ],
            0..40,
        )
    ) {
        let text: String = parts.concat();
        let _ = slipway::config::parse(text.as_bytes(), "slipway.yml");
    }
}

#[test]
fn inside_actions_a_config_error_is_an_annotation_at_the_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("slipway.yml");
    std::fs::write(&file, "version: 1\nci:\n  shard: 2\n").expect("write");
    let t = slipway()
        .in_actions()
        .args(["config", "validate"])
        .arg_path(&file)
        .filter_temp(dir.path())
        .run();
    t.code(2);
    let annotation = t
        .stderr
        .lines()
        .find(|l| l.starts_with("::error "))
        .expect("an error annotation");
    assert_eq!(
        annotation,
        "::error title=slipway config validate,file=[TEMP]/slipway.yml,line=3,col=3::unknown key `shard` in `ci`%0A%0Ahint: did you mean `shards`? valid keys: `shards`, `pass-rate`, `coverage`, `tests`, `test-commands`, `sonar`, `services`, `env`, `secrets`, `units`"
    );
}
