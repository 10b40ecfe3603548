//! `slipway init`: writes a commented `slipway.yml`, refuses to overwrite, `--force`, `--stdout`.

mod common;

use common::slipway;

fn repo() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("shop");
    std::fs::create_dir(&root).expect("mkdir");
    (dir, root)
}

#[test]
fn init_writes_a_commented_file_that_loads_back() {
    let (dir, root) = repo();
    let t = slipway()
        .args(["init"])
        .arg_path(&root)
        .filter_temp(dir.path())
        .run();
    t.code(0);
    assert!(t.stdout.is_empty(), "{t}");
    assert!(
        t.stderr.ends_with("\nwrote [TEMP]/shop/slipway.yml\n"),
        "{t}"
    );
    let text = std::fs::read_to_string(root.join("slipway.yml")).expect("written");
    insta::assert_snapshot!(text);
    let loaded = slipway::config::load(&root, None).expect("the written file loads");
    let (_, meant) = slipway::init::render("shop", &slipway::detect::Stacks::default());
    assert_eq!(loaded.config, meant);
    assert_eq!(loaded.config.project.name, "shop");
    // Everything init writes equals the defaults, apart from detection-derived values.
    let mut defaults = slipway::config::Config::default();
    defaults.project.name = "shop".into();
    assert_eq!(loaded.config, defaults);
}

#[test]
fn init_exits_2_and_keeps_the_file_when_it_exists() {
    let (dir, root) = repo();
    std::fs::write(root.join("slipway.yml"), "ci: { shards: 3 }\n").expect("seed");
    let t = slipway()
        .args(["init"])
        .arg_path(&root)
        .filter_temp(dir.path())
        .run();
    t.code(2);
    insta::assert_snapshot!(t.to_string());
    assert_eq!(
        std::fs::read_to_string(root.join("slipway.yml")).expect("read"),
        "ci: { shards: 3 }\n"
    );
}

#[test]
fn init_with_force_replaces_the_file() {
    let (dir, root) = repo();
    std::fs::write(root.join("slipway.yml"), "ci: { shards: 3 }\n").expect("seed");
    let t = slipway()
        .args(["init", "--force"])
        .arg_path(&root)
        .filter_temp(dir.path())
        .run();
    t.code(0);
    assert!(
        t.stderr.ends_with("\nreplaced [TEMP]/shop/slipway.yml\n"),
        "{t}"
    );
    let loaded = slipway::config::load(&root, None).expect("loads");
    assert_eq!(loaded.config.ci.shards.get(), 1);
}

#[test]
fn init_with_stdout_prints_and_writes_nothing() {
    let (_dir, root) = repo();
    let t = slipway().args(["init", "--stdout"]).arg_path(&root).run();
    t.code(0);
    assert!(t.stdout.starts_with("# slipway.yml: "), "{t}");
    assert!(!root.join("slipway.yml").exists());
    let parsed = slipway::config::parse(t.stdout.as_bytes(), "stdout").expect("parses");
    assert_eq!(parsed.project.name, "shop");
}

#[test]
fn init_exits_2_when_the_directory_does_not_exist() {
    let (dir, root) = repo();
    let t = slipway()
        .args(["init"])
        .arg_path(root.join("missing"))
        .filter_temp(dir.path())
        .run();
    t.code(2);
    insta::assert_snapshot!(t.to_string());
}

#[test]
fn init_exits_2_and_leaves_everything_as_it_was_when_the_write_fails() {
    // A directory where the file should go makes the final rename fail for every user,
    // root included (permission bits would not stop root).
    let (dir, root) = repo();
    std::fs::create_dir(root.join("slipway.yml")).expect("mkdir");
    std::fs::write(root.join("slipway.yml/keep"), "x").expect("seed");
    let t = slipway()
        .args(["init", "--force"])
        .arg_path(&root)
        .filter_temp(dir.path())
        .run();
    t.code(2);
    assert!(root.join("slipway.yml").is_dir());
    assert_eq!(
        std::fs::read_to_string(root.join("slipway.yml/keep")).expect("kept"),
        "x"
    );
    let names: Vec<String> = std::fs::read_dir(&root)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        vec!["slipway.yml"],
        "no temporary file is left behind"
    );
    assert!(
        t.stderr
            .starts_with("error: writing `[TEMP]/shop/slipway.yml`\n  caused by: "),
        "{t}"
    );
}

#[cfg(unix)]
#[test]
fn detected_paths_with_newlines_stay_in_comments() {
    let (dir, root) = repo();
    let evil = root.join("x\nnotify: { webhook-secret: EVIL }\n#");
    std::fs::create_dir_all(&evil).expect("mkdir");
    std::fs::write(
        evil.join("package.json"),
        r#"{"name": "x", "scripts": {"test": "vitest run"}}"#,
    )
    .expect("write");
    let t = slipway()
        .args(["init"])
        .arg_path(&root)
        .filter_temp(dir.path())
        .run();
    t.code(0);
    let loaded = slipway::config::load(&root, None).expect("the written file loads");
    assert_eq!(
        loaded.config.notify.webhook_secret, None,
        "a directory name added a key"
    );
}
