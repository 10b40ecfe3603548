//! The composite actions in `actions/<name>/action.yml`: their interface (the inputs and outputs
//! the generated workflows use, documented with defaults), how they install and pass inputs
//! (statically, from the parsed files), and `setup-environment` end to end under `act`.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

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
                "version",
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
                "allow-empty",
                "fail-on",
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
                "history",
                "fail-on",
                "sarif",
                "github-token",
            ]),
            set(&[
                "sarif",
                "findings",
                "critical",
                "high",
                "medium",
                "low",
                "highest-severity",
            ]),
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
        let (mut inputs, outputs) = contract(name);
        inputs.insert("slipway-cache".to_owned());
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
        // Plan, restore a build, install, save a build made in this step: nothing of the
        // repository runs in between, and a ship workflow (cache false) skips both cache steps.
        let install = r#"bash "$GITHUB_ACTION_PATH/../../scripts/install.sh""#;
        assert_eq!(steps[0]["id"], "slipway-plan", "{name}");
        assert_eq!(
            steps[0]["run"].as_str().unwrap().trim(),
            format!("{install} --plan"),
            "{name}"
        );
        assert_eq!(
            steps[0]["env"]["SLIPWAY_CACHE_INPUT"], "${{ inputs.slipway-cache }}",
            "{name}"
        );
        let restore = &steps[1];
        assert!(
            restore["uses"]
                .as_str()
                .unwrap()
                .starts_with("actions/cache/restore@"),
            "{name}"
        );
        assert_eq!(restore["if"], "steps.slipway-plan.outputs.cache == 'true'");
        assert_eq!(steps[2]["id"], "slipway-install", "{name}");
        assert_eq!(steps[2]["run"].as_str().unwrap().trim(), install, "{name}");
        let save = &steps[3];
        assert!(
            save["uses"]
                .as_str()
                .unwrap()
                .starts_with("actions/cache/save@"),
            "{name}"
        );
        assert_eq!(
            save["if"],
            "steps.slipway-plan.outputs.cache == 'true' && steps.slipway-install.outputs.built == 'true'"
        );
        for step in [restore, save] {
            assert_eq!(
                step["with"]["path"],
                "${{ steps.slipway-plan.outputs.cache-path }}"
            );
            assert_eq!(
                step["with"]["key"],
                "${{ steps.slipway-plan.outputs.cache-key }}"
            );
        }
        let run = &steps[4];
        assert_eq!(
            run["run"].as_str().unwrap().trim(),
            format!("slipway {name}")
        );
        let env = run["env"].as_object().unwrap();
        let inputs = keys(&a["inputs"]);
        let inputs: BTreeSet<String> = inputs
            .into_iter()
            .filter(|i| i != "slipway-cache")
            .collect();
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
    let conditional: Vec<&str> = steps[5..]
        .iter()
        .map(|s| s["if"].as_str().unwrap_or_default())
        .collect();
    assert!(conditional.iter().all(|c| !c.is_empty()), "{conditional:?}");
}

// ---------------------------------------------------------------------------------------------
// End to end under act (host mode, offline).

/// act with the pinned remote setup actions stubbed: they must be skipped by their conditions.
fn run_act(act: &Path, repo: &Path, args: &[&str]) -> (Option<i32>, String) {
    common::act::run(
        act,
        repo,
        &common::act::Options {
            args,
            stub_remote_actions: true,
            ..Default::default()
        },
    )
}

#[test]
fn act_setup_environment_on_a_repository_without_a_stack() {
    let Some(act) = common::act::act() else {
        return;
    };
    let checkout = common::act::CHECKOUT;
    let workflow = format!(
        r#"on: push
permissions: {{}}
jobs:
  setup:
    runs-on: ubuntu-latest
    steps:
      - uses: {checkout}
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
    let repo = common::act::repo(&[("README.md", "# docs only\n")], &workflow);
    let (code, log) = run_act(&act, repo.path(), &[]);
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
    let Some(act) = common::act::act() else {
        return;
    };
    let checkout = common::act::CHECKOUT;
    let workflow = format!(
        r#"on: push
permissions: {{}}
jobs:
  deploy-setup:
    runs-on: ubuntu-latest
    steps:
      - uses: {checkout}
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
    let repo = common::act::repo(&[("slipway.yml", config)], &workflow);

    let (code, log) = run_act(&act, repo.path(), &["-s", "DEPLOY_KEY=k3y-material-123"]);
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("OUT level=debug stacks=[]"), "{log}");
    assert!(
        !log.contains("k3y-material-123"),
        "the secret leaked:\n{log}"
    );

    let (code, log) = run_act(&act, repo.path(), &[]);
    assert_ne!(code, Some(0), "{log}");
    assert!(
        log.contains("the environment `staging` needs the secret `DEPLOY_KEY`, which is not set"),
        "{log}"
    );
    assert!(!log.contains("OUT level="), "{log}");
}
