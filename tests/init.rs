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
    let (_, meant) = slipway::init::render(
        "shop",
        &slipway::detect::Stacks::default(),
        &slipway::init::Facts::default(),
    );
    assert_eq!(loaded.config, meant);
    assert_eq!(loaded.config.project.name, "shop");
    assert!(loaded.derived.is_empty(), "init writes what it detected");
    // Everything init writes equals the defaults, apart from detection-derived values.
    let mut defaults = slipway::config::Config::default();
    defaults.project.name = "shop".into();
    slipway::config::derive_from_repository(&mut defaults, &root);
    assert_eq!(loaded.config, defaults);
    assert!(
        loaded.config.environments.is_empty(),
        "nothing deploys by default"
    );
}

#[test]
fn init_writes_the_branch_and_tag_prefix_it_reads_from_git_and_the_pipeline_generates() {
    let (dir, root) = repo();
    std::fs::write(
        root.join("package.json"),
        r#"{"name": "shop", "scripts": {"test": "node --test"}}"#,
    )
    .expect("package.json");
    std::fs::create_dir_all(root.join(".git/refs/tags")).expect("mkdir");
    std::fs::create_dir_all(root.join(".git/refs/remotes/origin")).expect("mkdir");
    std::fs::write(root.join(".git/HEAD"), "ref: refs/heads/topic\n").expect("HEAD");
    std::fs::write(
        root.join(".git/refs/remotes/origin/HEAD"),
        "ref: refs/remotes/origin/master\n",
    )
    .expect("origin HEAD");
    for tag in ["0.9.0", "1.0.0"] {
        std::fs::write(root.join(".git/refs/tags").join(tag), "x\n").expect("tag");
    }
    slipway().args(["init"]).arg_path(&root).run().code(0);
    let text = std::fs::read_to_string(root.join("slipway.yml")).expect("written");
    assert!(text.contains("  default-branch: \"master\"\n"), "{text}");
    assert!(text.contains("  trigger: manual\n"), "{text}");
    assert!(text.contains("  tag-prefix: \"\"\n"), "{text}");
    assert!(
        text.contains("environments: {}\n#   staging:\n#     branch: \"master\"\n"),
        "{text}"
    );
    let loaded = slipway::config::load(&root, None).expect("loads");
    assert_eq!(loaded.config.project.default_branch(), "master");
    assert_eq!(loaded.config.release.tag_prefix(), "");
    assert!(loaded.derived.is_empty());
    // What init writes generates a pipeline, with no note about values read from git.
    let t = slipway()
        .args(["gen-workflows"])
        .arg_path(&root)
        .filter_temp(dir.path())
        .run();
    t.code(0);
    assert!(!t.stderr.contains("note:"), "{t}");
    let ci = std::fs::read_to_string(root.join(".github/workflows/ci.yml")).expect("ci");
    assert!(ci.contains("branches: [\"master\"]"), "{ci}");
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
