//! `slipway detect` on fixture repositories that mirror real layouts, and on bad input.

mod common;

use common::slipway;

/// Every directory under `tests/fixtures/repos/` is a repository; its `detect --json` output is
/// snapshotted. Adding a case is adding a directory.
#[test]
fn detect_json_for_every_fixture_repository() {
    insta::glob!("fixtures/repos/*", |dir| {
        if !dir.is_dir() {
            return;
        }
        let t = slipway().args(["detect", "--json"]).arg_path(dir).run();
        t.code(0);
        assert!(
            t.stderr.is_empty(),
            "unexpected warnings for {}:\n{}",
            dir.display(),
            t.stderr
        );
        let value: serde_json::Value =
            serde_json::from_str(&t.stdout).expect("detect --json prints JSON");
        insta::assert_json_snapshot!(value);
    });
}

/// Writes `files` (path, contents) under a fresh temporary repository.
fn repo(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (rel, contents) in files {
        let path = dir.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, contents).expect("write");
    }
    dir
}

const GOOD_CRATE: &[u8] = b"[package]\nname = \"api\"\nversion = \"0.1.0\"\nedition = \"2021\"\n";
const GOOD_PACKAGE: &[u8] =
    br#"{"name": "web", "private": true, "scripts": {"test": "vitest run"}}"#;

fn detect_json(dir: &std::path::Path) -> (common::Transcript, serde_json::Value) {
    let t = slipway()
        .args(["detect", "--json"])
        .arg_path(dir)
        .filter_temp(dir)
        .run();
    t.code(0);
    let value = serde_json::from_str(&t.stdout).expect("detect --json prints JSON");
    (t, value)
}

fn subproject_paths(value: &serde_json::Value) -> Vec<String> {
    value["subprojects"]
        .as_array()
        .expect("subprojects")
        .iter()
        .map(|s| s["path"].as_str().expect("path").to_owned())
        .collect()
}

#[test]
fn broken_manifests_become_warnings_and_the_rest_is_still_detected() {
    let dir = repo(&[
        ("api/Cargo.toml", GOOD_CRATE),
        ("web/package.json", GOOD_PACKAGE),
        ("broken-toml/Cargo.toml", b"[package\nname = \"x\""),
        (
            "broken-json/package.json",
            b"{\"name\": \"x\", \"scripts\": {",
        ),
        (
            "broken-py/pyproject.toml",
            b"[project]\nname = 'x'\nrequires-python = >=3.11\n",
        ),
    ]);
    let (t, value) = detect_json(dir.path());
    assert_eq!(subproject_paths(&value), vec!["api", "web"], "{t}");
    for file in [
        "broken-toml/Cargo.toml",
        "broken-json/package.json",
        "broken-py/pyproject.toml",
    ] {
        assert!(
            t.stderr.contains(&format!("warning: {file}: ")),
            "no warning naming {file}:\n{t}"
        );
    }
}

#[test]
fn a_manifest_with_a_bom_is_read_like_any_other() {
    let mut bom_package = b"\xef\xbb\xbf".to_vec();
    bom_package.extend_from_slice(GOOD_PACKAGE);
    let dir = repo(&[("web/package.json", &bom_package)]);
    let (t, value) = detect_json(dir.path());
    assert_eq!(subproject_paths(&value), vec!["web"], "{t}");
    assert!(t.stderr.is_empty(), "{t}");
}

#[test]
fn binary_huge_and_non_utf8_manifests_are_skipped_with_a_warning() {
    let huge = {
        let mut v = b"[project]\nname = \"big\"\ndescription = \"".to_vec();
        v.resize(9 * 1024 * 1024, b'a');
        v.extend_from_slice(b"\"\n");
        v
    };
    let dir = repo(&[
        ("api/Cargo.toml", GOOD_CRATE),
        ("bin/Cargo.toml", b"\x7fELF\x02\x01\x01\0\0\0\0\0"),
        ("big/pyproject.toml", &huge),
        ("latin1/package.json", b"{\"name\": \"caf\xe9\"}"),
    ]);
    let (t, value) = detect_json(dir.path());
    assert_eq!(subproject_paths(&value), vec!["api"], "{t}");
    assert!(
        t.stderr
            .contains("warning: bin/Cargo.toml: skipped: binary content"),
        "{t}"
    );
    assert!(
        t.stderr
            .contains("warning: big/pyproject.toml: skipped: 9 MiB is larger"),
        "{t}"
    );
    assert!(
        t.stderr
            .contains("warning: latin1/package.json: skipped: not valid UTF-8"),
        "{t}"
    );
}

#[cfg(unix)]
#[test]
fn a_manifest_that_is_a_symlink_loop_is_skipped_with_a_warning() {
    let dir = repo(&[("api/Cargo.toml", GOOD_CRATE)]);
    std::fs::create_dir(dir.path().join("loop")).expect("mkdir");
    std::os::unix::fs::symlink("package.json", dir.path().join("loop/package.json"))
        .expect("symlink");
    std::os::unix::fs::symlink("..", dir.path().join("api/parent")).expect("symlink");
    let (t, value) = detect_json(dir.path());
    assert_eq!(subproject_paths(&value), vec!["api"], "{t}");
    assert!(
        t.stderr.contains("warning: loop/package.json: skipped: "),
        "{t}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn a_manifest_under_a_non_utf8_directory_name_is_skipped_with_a_warning() {
    use std::os::unix::ffi::OsStrExt;
    let dir = repo(&[("api/Cargo.toml", GOOD_CRATE)]);
    let bad = dir.path().join(std::ffi::OsStr::from_bytes(b"caf\xe9"));
    std::fs::create_dir(&bad).expect("mkdir");
    std::fs::write(bad.join("package.json"), GOOD_PACKAGE).expect("write");
    let (t, value) = detect_json(dir.path());
    assert_eq!(subproject_paths(&value), vec!["api"], "{t}");
    assert!(t.stderr.contains("not valid UTF-8"), "{t}");
}

#[test]
fn detection_output_is_the_same_on_every_run() {
    let dir = repo(&[
        ("api/Cargo.toml", GOOD_CRATE),
        ("web/package.json", GOOD_PACKAGE),
    ]);
    let (_, first) = detect_json(dir.path());
    for _ in 0..5 {
        assert_eq!(detect_json(dir.path()).1, first);
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_manifest_that_links_outside_the_repository_is_not_read() {
    let dir = repo(&[("api/Cargo.toml", GOOD_CRATE)]);
    std::os::unix::fs::symlink("/etc/hostname", dir.path().join(".nvmrc")).expect("symlink");
    std::fs::create_dir(dir.path().join("proc")).expect("mkdir");
    std::os::unix::fs::symlink("/proc/self/pagemap", dir.path().join("proc/Cargo.toml"))
        .expect("symlink");
    let (t, value) = detect_json(dir.path());
    assert_eq!(subproject_paths(&value), vec!["api"], "{t}");
    assert!(value["toolchains"].get("node").is_none(), "{t}");
    for file in [".nvmrc", "proc/Cargo.toml"] {
        assert!(
            t.stderr.contains(&format!(
                "warning: {file}: skipped: a symbolic link that leaves the repository"
            )),
            "{t}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_manifest_that_links_inside_the_repository_is_read() {
    let dir = repo(&[
        ("shared/node-version", b"22\n"),
        ("api/Cargo.toml", GOOD_CRATE),
    ]);
    std::os::unix::fs::symlink("shared/node-version", dir.path().join(".nvmrc")).expect("symlink");
    let (t, value) = detect_json(dir.path());
    assert_eq!(value["toolchains"]["node"], "22", "{t}");
    assert!(t.stderr.is_empty(), "{t}");
}

#[test]
fn a_manifest_just_over_8_mib_is_skipped_with_a_warning() {
    let mut huge = b"{\"name\": \"big\", \"description\": \"".to_vec();
    huge.resize(8 * 1024 * 1024 + 10, b'a');
    huge.extend_from_slice(b"\"}");
    let dir = repo(&[("api/Cargo.toml", GOOD_CRATE), ("big/package.json", &huge)]);
    let (t, value) = detect_json(dir.path());
    assert_eq!(subproject_paths(&value), vec!["api"], "{t}");
    assert!(
        t.stderr
            .contains("warning: big/package.json: skipped: 8 MiB is larger than the 8 MiB"),
        "{t}"
    );
}

#[test]
fn workspace_members_that_leave_the_root_are_named_in_a_warning() {
    let dir = repo(&[
        (
            "Cargo.toml",
            b"[workspace]\nmembers = [\"crates/*\", \"../../\", \"/etc\"]\n",
        ),
        ("crates/api/Cargo.toml", GOOD_CRATE),
        (
            "etc/Cargo.toml",
            b"[package]\nname = \"etc\"\nversion = \"0.1.0\"\n",
        ),
    ]);
    let (t, _) = detect_json(dir.path());
    for member in ["../../", "/etc"] {
        assert!(
            t.stderr.contains(&format!(
                "warning: Cargo.toml: ignored workspace member `{member}`: it leaves the workspace root"
            )),
            "{t}"
        );
    }
}

#[test]
fn a_directory_with_spaces_or_shell_operators_is_quoted_in_its_test_command() {
    let dir = repo(&[
        ("my app/package.json", GOOD_PACKAGE),
        ("a && b/package.json", GOOD_PACKAGE),
    ]);
    let (_, value) = detect_json(dir.path());
    assert_eq!(
        value["test_commands"],
        serde_json::json!(["cd 'a && b' && npm test", "cd 'my app' && npm test"])
    );
}
