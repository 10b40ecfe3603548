//! The composite actions in `actions/<name>/action.yml`: their interface (the inputs and outputs
//! the generated workflows use, documented with defaults), how they install and pass inputs
//! (statically, from the parsed files), and `setup-environment` end to end under `act`.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const ACTIONS: &[&str] = &["setup-environment", "run-tests", "security-scan", "deploy"];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn action(name: &str) -> Value {
    let path = root().join("actions").join(name).join("action.yml");
    let text = std::fs::read_to_string(&path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

/// The interface of each action: the contract the generated workflows rely on.
fn contract(name: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    match name {
        "setup-environment" => (
            set(&[
                "stacks",
                "working-directory",
                "cache",
                "install-dependencies",
                "environment",
            ]),
            set(&[
                "slipway-version",
                "stacks",
                "rust-version",
                "python-version",
                "node-version",
                "go-version",
                "java-version",
                "package-manager",
                "cache-key",
                "cache-hit",
            ]),
        ),
        "run-tests" => (
            set(&[
                "stack",
                "working-directory",
                "command",
                "shard",
                "results",
                "coverage",
                "timings",
                "github-token",
            ]),
            set(&[
                "tests",
                "passed",
                "failed",
                "skipped",
                "pass-rate",
                "coverage",
                "flaky",
                "report",
            ]),
        ),
        "security-scan" => (
            set(&[
                "secrets",
                "dependencies",
                "workflows",
                "fail-on",
                "sarif",
                "github-token",
            ]),
            set(&["sarif", "findings", "highest-severity"]),
        ),
        "deploy" => (
            set(&[
                "environment",
                "app",
                "version",
                "artifact",
                "strategy",
                "mode",
                "health-path",
                "health-interval",
                "health-timeout",
                "health-deadline",
                "drain-timeout",
                "credentials",
                "github-token",
            ]),
            set(&[
                "previous-version",
                "deployed-version",
                "url",
                "deployment-id",
                "status",
            ]),
        ),
        other => panic!("unknown action {other}"),
    }
}

#[test]
fn every_action_declares_its_contract_with_documented_defaults() {
    for name in ACTIONS {
        let a = action(name);
        for field in ["name", "description", "author"] {
            assert!(
                a[field].as_str().is_some_and(|s| !s.is_empty()),
                "{name}: {field}"
            );
        }
        assert!(a["branding"]["icon"].is_string() && a["branding"]["color"].is_string());
        let (inputs, outputs) = contract(name);
        assert_eq!(keys(&a["inputs"]), inputs, "{name} inputs");
        assert_eq!(keys(&a["outputs"]), outputs, "{name} outputs");
        for (input, spec) in a["inputs"].as_object().unwrap() {
            let description = spec["description"].as_str().unwrap_or_default();
            let required = spec["required"].as_bool().unwrap_or(false);
            if required {
                assert!(spec.get("default").is_none(), "{name}.{input}");
                assert!(description.contains("Required"), "{name}.{input}");
            } else {
                assert!(spec["default"].is_string(), "{name}.{input} has no default");
                assert!(
                    description.contains("Default"),
                    "{name}.{input}: {description}"
                );
            }
        }
        for (output, spec) in a["outputs"].as_object().unwrap() {
            assert!(spec["description"].is_string(), "{name}.{output}");
            assert!(
                spec["value"]
                    .as_str()
                    .unwrap_or_default()
                    .starts_with("${{ steps."),
                "{name}.{output}"
            );
        }
    }
}

/// `with:` keys the gallery workflows pass to each slipway action.
#[test]
fn every_input_the_gallery_workflows_pass_is_declared() {
    let mut checked = 0;
    for entry in walk(&root().join("workflows")) {
        if entry.extension().is_none_or(|e| e != "yml") {
            continue;
        }
        let text = std::fs::read_to_string(&entry).unwrap();
        let Ok(doc) = serde_saphyr::from_str::<Value>(&text) else {
            continue;
        };
        for job in doc["jobs"].as_object().into_iter().flat_map(|m| m.values()) {
            for step in job["steps"].as_array().into_iter().flatten() {
                let Some(uses) = step["uses"].as_str() else {
                    continue;
                };
                let Some(name) = ACTIONS
                    .iter()
                    .find(|n| uses.contains(&format!("/actions/{n}@")) && uses.contains("slipway"))
                else {
                    continue;
                };
                let declared = keys(&action(name)["inputs"]);
                for key in keys(&step["with"]) {
                    assert!(
                        declared.contains(&key),
                        "{}: {name} has no input `{key}`",
                        entry.display()
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 100, "only {checked} inputs checked");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The env name an input arrives under: `SLIPWAY_<INPUT>`, except the documented ones.
fn env_name(action: &str, input: &str) -> String {
    match (action, input) {
        (_, "github-token") => "GITHUB_TOKEN".to_owned(),
        ("run-tests", "results") => "SLIPWAY_OUTPUT_DIR".to_owned(),
        ("run-tests", "coverage") => "SLIPWAY_COLLECT_COVERAGE".to_owned(),
        _ => format!("SLIPWAY_{}", input.to_ascii_uppercase().replace('-', "_")),
    }
}

#[test]
fn each_action_installs_then_runs_its_command_with_every_input_through_env() {
    let pins = slipway::generate::pins::Pins::embedded();
    for name in ACTIONS {
        let a = action(name);
        assert_eq!(a["runs"]["using"], "composite");
        let steps = a["runs"]["steps"].as_array().unwrap();
        assert_eq!(
            steps[0]["run"].as_str().unwrap().trim(),
            r#"bash "$GITHUB_ACTION_PATH/../../scripts/install.sh""#,
            "{name}"
        );
        let run = &steps[1];
        assert_eq!(
            run["run"].as_str().unwrap().trim(),
            format!("slipway {name}")
        );
        let env = run["env"].as_object().unwrap();
        let inputs = keys(&a["inputs"]);
        for input in &inputs {
            let var = env_name(name, input);
            assert_eq!(
                env.get(&var).and_then(Value::as_str),
                Some(format!("${{{{ inputs.{input} }}}}").as_str()),
                "{name}: input `{input}` must arrive as `{var}`"
            );
        }
        assert_eq!(env.len(), inputs.len(), "{name}: unexpected env entries");
        // The outputs read the command's step.
        let id = run["id"].as_str().unwrap();
        for (output, spec) in a["outputs"].as_object().unwrap() {
            let value = spec["value"].as_str().unwrap();
            if value != "${{ steps.cache.outputs.cache-hit }}" {
                assert_eq!(value, format!("${{{{ steps.{id}.outputs.{output} }}}}"));
            }
        }
        for step in steps {
            if let Some(script) = step["run"].as_str() {
                assert!(!script.contains("${{"), "{name}: expression inside run:");
            }
            if let Some(uses) = step["uses"].as_str() {
                let (action, rest) = uses.split_once('@').unwrap();
                let pinned = pins.uses(action).unwrap();
                assert_eq!(
                    pinned.split(" #").next().unwrap(),
                    format!("{action}@{rest}"),
                    "{name}: {uses} is not the pinned SHA"
                );
            }
        }
    }
}

#[test]
fn the_setup_steps_read_only_outputs_the_binary_writes() {
    let written: BTreeSet<String> = slipway::setup::outputs(&slipway::setup::Plan::default())
        .into_iter()
        .map(|(k, _)| k.to_owned())
        .collect();
    let text =
        std::fs::read_to_string(root().join("actions/setup-environment/action.yml")).unwrap();
    let mut seen = 0;
    for piece in text.split("steps.plan.outputs.").skip(1) {
        let name: String = piece
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if name.is_empty() {
            continue; // `steps.plan.outputs.*` in a comment
        }
        assert!(
            written.contains(&name),
            "`{name}` is read but never written"
        );
        seen += 1;
    }
    assert!(seen > 15);
    let a = action("setup-environment");
    let steps = a["runs"]["steps"].as_array().unwrap();
    let conditional: Vec<&str> = steps[2..]
        .iter()
        .map(|s| s["if"].as_str().unwrap_or_default())
        .collect();
    assert!(conditional.iter().all(|c| !c.is_empty()), "{conditional:?}");
}

// ---------------------------------------------------------------------------------------------
// End to end under act (host mode, offline).

/// The act binary: `SLIPWAY_ACT`, else the validators' venv.
fn act() -> Option<PathBuf> {
    let path = std::env::var_os("SLIPWAY_ACT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/tmp/validators/bin/act"));
    path.is_file().then_some(path)
}

/// A git repository with the actions and scripts copied in, `files` and one workflow.
fn sample_repo(files: &[(&str, &str)], workflow: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let copy = |from: &Path, to: &Path| {
        let status = Command::new("cp")
            .arg("-R")
            .arg(from)
            .arg(to)
            .status()
            .unwrap();
        assert!(status.success());
    };
    copy(&root().join("actions"), dir.path());
    copy(&root().join("scripts"), dir.path());
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let wf = dir.path().join(".github/workflows/sample.yml");
    std::fs::create_dir_all(wf.parent().unwrap()).unwrap();
    std::fs::write(wf, workflow).unwrap();
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
        let status = Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .status()
            .unwrap();
        assert!(status.success());
    }
    dir
}

/// True when act is installed. Without it the end-to-end tests fail, unless
/// `SLIPWAY_SKIP_ACT=1` says so explicitly (a machine without PyPI access).
fn act_available() -> bool {
    if act().is_some() {
        return true;
    }
    assert!(
        std::env::var_os("SLIPWAY_SKIP_ACT").is_some(),
        "act not found: run `scripts/validators.sh install` (scripts/test does), or set SLIPWAY_SKIP_ACT=1 to skip the end-to-end action tests"
    );
    eprintln!("skipped: act not found and SLIPWAY_SKIP_ACT is set");
    false
}

/// Runs `act push` in host mode with the built binary's directory on PATH (install.sh then
/// finds slipway of the right version and skips the download). Remote actions cannot be
/// fetched offline: each pinned one is replaced by a stub that fails if it ever runs, so a
/// passing job also proves those steps were skipped by their conditions.
fn run_act(repo: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let act = act().expect("act");
    let outside = tempfile::tempdir().unwrap();
    let stub = outside.path().join("stub");
    std::fs::create_dir_all(&stub).unwrap();
    std::fs::write(
        stub.join("action.yml"),
        "name: stub\ndescription: stands in for a remote action\nruns:\n  using: composite\n  steps:\n    - shell: bash\n      run: echo 'STUB RAN' >&2; exit 1\n",
    )
    .unwrap();
    let pins = slipway::generate::pins::Pins::embedded();
    let mut cmd = Command::new(act);
    cmd.args([
        "push",
        "-P",
        "ubuntu-latest=-self-hosted",
        "--action-offline-mode",
    ]);
    for name in [
        "actions/checkout",
        "actions/setup-node",
        "actions/setup-python",
        "actions/setup-go",
        "actions/setup-java",
        "actions/cache",
    ] {
        let pinned = pins.uses(name).unwrap();
        let uses = pinned.split(" #").next().unwrap();
        let target = if name == "actions/checkout" {
            String::new()
        } else {
            format!("={}", stub.display())
        };
        if !target.is_empty() {
            cmd.arg("--local-repository").arg(format!("{uses}{target}"));
        }
    }
    let bin_dir = common::bin().parent().unwrap().to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    cmd.args(extra)
        .current_dir(repo)
        .env("PATH", path)
        .env("HOME", outside.path().join("home"))
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_STEP_SUMMARY");
    let out = cmd.output().unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), log)
}

const CHECKOUT: &str = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1";

#[test]
fn act_setup_environment_on_a_repository_without_a_stack() {
    if !act_available() {
        return;
    }
    let workflow = format!(
        r#"on: push
permissions: {{}}
jobs:
  setup:
    runs-on: ubuntu-latest
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
      - id: setup
        uses: ./actions/setup-environment
      - name: Show the outputs
        env:
          STACKS: ${{{{ steps.setup.outputs.stacks }}}}
          VERSION: ${{{{ steps.setup.outputs.slipway-version }}}}
          KEY: ${{{{ steps.setup.outputs.cache-key }}}}
          RUST: ${{{{ steps.setup.outputs.rust-version }}}}
        run: |
          echo "OUT stacks=$STACKS key=[$KEY] rust=[$RUST] version=$VERSION"
          slipway --version
"#
    );
    let repo = sample_repo(&[("README.md", "# docs only\n")], &workflow);
    let (code, log) = run_act(repo.path(), &[]);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("Job succeeded"), "{log}");
    assert!(!log.contains("STUB RAN"), "{log}");
    assert!(log.contains("is already on PATH"), "{log}");
    let version = slipway::setup::version_line();
    assert!(
        log.contains(&format!("OUT stacks=[] key=[] rust=[] version={version}")),
        "{log}"
    );
    // The step summary.
    assert!(log.contains("No toolchain to set up."), "{log}");
    assert!(log.contains("no stack detected in `.`"), "{log}");
}

#[test]
fn act_setup_environment_exports_variables_and_fails_on_a_missing_secret() {
    if !act_available() {
        return;
    }
    let workflow = format!(
        r#"on: push
permissions: {{}}
jobs:
  deploy-setup:
    runs-on: ubuntu-latest
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
      - id: setup
        uses: ./actions/setup-environment
        with:
          stacks: none
          environment: staging
        env:
          DEPLOY_KEY: ${{{{ secrets.DEPLOY_KEY }}}}
      - name: Use the variables
        run: echo "OUT level=$LOG_LEVEL stacks=${{STACKS}}"
        env:
          STACKS: ${{{{ steps.setup.outputs.stacks }}}}
"#
    );
    let config = "version: 1\nenvironments:\n  staging:\n    branch: main\n    secrets: [DEPLOY_KEY]\n    env:\n      LOG_LEVEL: debug\n";
    let repo = sample_repo(&[("slipway.yml", config)], &workflow);

    let (code, log) = run_act(repo.path(), &["-s", "DEPLOY_KEY=k3y-material-123"]);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("OUT level=debug stacks=[]"), "{log}");
    assert!(
        !log.contains("k3y-material-123"),
        "the secret leaked:\n{log}"
    );

    let (code, log) = run_act(repo.path(), &[]);
    assert_ne!(code, Some(0), "{log}");
    assert!(
        log.contains("the environment `staging` needs the secret `DEPLOY_KEY`, which is not set"),
        "{log}"
    );
    assert!(!log.contains("OUT level="), "{log}");
}
