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

fn plan(files: &[(&str, &str)], env: &[(&str, &str)]) -> common::Transcript {
    let dir = temp_repo(files);
    let mut cmd = slipway().in_actions();
    for (k, v) in env {
        cmd = cmd.env(k, v);
    }
    let t = cmd.args(["setup-environment"]).arg_path(dir.path()).run();
    t.code(0);
    t
}

#[test]
fn ruby_php_and_dotnet_are_set_up_at_the_version_the_repository_asks_for() {
    let t = plan(
        &[
            (
                "Gemfile",
                "source \"https://rubygems.org\"\nruby \"~> 3.2\"\ngem \"rack\"\n",
            ),
            (".ruby-version", "ruby-3.3.6\n"),
        ],
        &[],
    );
    assert_eq!(output(&t.outputs, "ruby-version"), Some("3.3.6"), "{t}");
    assert!(!t.stderr.contains("::warning"), "{t}");
    let t = plan(
        &[(
            "Gemfile",
            "source \"https://rubygems.org\"\nruby \"~> 3.2\"\n",
        )],
        &[],
    );
    assert_eq!(output(&t.outputs, "ruby-version"), Some("3.4"), "{t}");
    let t = plan(
        &[(
            "composer.json",
            r#"{"require":{"php":"^8.1 || ^9.0"},"config":{"platform":{"php":"8.2.12"}}}"#,
        )],
        &[],
    );
    assert_eq!(output(&t.outputs, "php-version"), Some("8.2.12"), "{t}");
    let t = plan(
        &[("composer.json", r#"{"require":{"php":">=8.1 <8.4"}}"#)],
        &[],
    );
    assert_eq!(output(&t.outputs, "php-version"), Some("8.3"), "{t}");
    let t = plan(
        &[
            (
                "global.json",
                r#"{"sdk":{"version":"8.0.404","rollForward":"latestFeature"}}"#,
            ),
            (
                "App/App.csproj",
                "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup></Project>",
            ),
        ],
        &[],
    );
    assert_eq!(output(&t.outputs, "dotnet-version"), Some("8.0.404"), "{t}");
}

#[test]
fn a_root_toolchain_file_is_installed_with_its_components_and_the_lint_tools() {
    let t = plan(
        &[
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"crates/*\"]\n[workspace.package]\nrust-version = \"1.74\"\n",
            ),
            (
                "crates/a/Cargo.toml",
                "[package]\nname = \"a\"\nrust-version.workspace = true\n",
            ),
            (
                "crates/a/rust-toolchain.toml",
                "[toolchain]\nchannel = \"nightly\"\n",
            ),
            (
                "rust-toolchain.toml",
                "[toolchain]\nchannel = \"1.82.0\"\ncomponents = [\"rust-src\"]\ntargets = [\"wasm32-unknown-unknown\"]\n",
            ),
        ],
        &[],
    );
    assert_eq!(output(&t.outputs, "rust-version"), Some("1.82.0"), "{t}");
    assert_eq!(
        output(&t.outputs, "rust-components"),
        Some("rust-src,rustfmt,clippy"),
        "{t}"
    );
    assert_eq!(
        output(&t.outputs, "rust-targets"),
        Some("wasm32-unknown-unknown"),
        "{t}"
    );
    assert!(t.summary.contains("pinned by `rust-toolchain.toml`"), "{t}");
    assert!(!t.env.contains("RUSTUP_TOOLCHAIN"), "{t}");
}

#[test]
fn an_msrv_alone_is_not_installed_and_a_member_s_toolchain_file_is_ignored() {
    let t = plan(
        &[
            (
                "Cargo.toml",
                "[workspace]\nmembers = [\"crates/*\"]\n[workspace.package]\nrust-version = \"1.74\"\n",
            ),
            (
                "crates/a/Cargo.toml",
                "[package]\nname = \"a\"\nrust-version.workspace = true\n",
            ),
            (
                "crates/a/rust-toolchain.toml",
                "[toolchain]\nchannel = \"nightly\"\n",
            ),
        ],
        &[],
    );
    assert_eq!(output(&t.outputs, "rust-version"), Some("stable"), "{t}");
    assert_eq!(
        output(&t.outputs, "rust-components"),
        Some("rustfmt,clippy"),
        "{t}"
    );
    assert_eq!(output(&t.outputs, "rust-targets"), Some(""), "{t}");
}

#[test]
fn the_version_input_replaces_the_repository_s_version_for_one_stack() {
    let rust = [
        (
            "Cargo.toml",
            "[package]\nname = \"a\"\nrust-version = \"1.74\"\n",
        ),
        ("rust-toolchain.toml", "[toolchain]\nchannel = \"1.82.0\"\n"),
    ];
    let t = plan(&rust, &[("SLIPWAY_VERSION", "1.74")]);
    assert_eq!(output(&t.outputs, "rust-version"), Some("1.74"), "{t}");
    assert_eq!(
        output(&t.outputs, "rust-components"),
        Some("rustfmt,clippy"),
        "{t}"
    );
    // The toolchain file would override `rustup default`; the variable overrides it.
    assert!(
        t.env.contains("RUSTUP_TOOLCHAIN<<") || t.env.contains("RUSTUP_TOOLCHAIN=1.74"),
        "{t}"
    );
    assert!(t.env.contains("1.74"), "{t}");
    let t = plan(
        &[(
            "pom.xml",
            "<project><properties><maven.compiler.release>17</maven.compiler.release></properties></project>",
        )],
        &[("SLIPWAY_VERSION", "21")],
    );
    assert_eq!(output(&t.outputs, "java-version"), Some("21"), "{t}");
    assert!(t.summary.contains("the `version` input"), "{t}");
    let t = plan(
        &[(
            "pyproject.toml",
            "[project]\nname = \"a\"\nrequires-python = \">=3.10\"\n",
        )],
        &[("SLIPWAY_VERSION", "3.11")],
    );
    assert_eq!(output(&t.outputs, "python-version"), Some("3.11"), "{t}");

    // Two stacks: the version would be ambiguous.
    let dir = temp_repo(&[
        ("Cargo.toml", "[package]\nname = \"a\"\n"),
        ("package.json", r#"{"name":"a"}"#),
    ]);
    let t = slipway()
        .env("SLIPWAY_VERSION", "1.74")
        .args(["setup-environment"])
        .arg_path(dir.path())
        .run();
    t.code(2);
    assert!(
        t.stderr.starts_with("error: invalid input `version`: `1.74`; expected a version for exactly one stack, but this job sets up 2 (`rust`, `node`)"),
        "{t}"
    );
    assert!(t.stderr.contains("SLIPWAY_VERSION"), "{t}");
    let t = slipway()
        .env("SLIPWAY_STACKS", "rust")
        .env("SLIPWAY_VERSION", "1.74")
        .args(["setup-environment"])
        .arg_path(dir.path())
        .run();
    t.code(0);
    let t = slipway()
        .env("SLIPWAY_VERSION", "1.74 && curl evil")
        .args(["setup-environment"])
        .arg_path(dir.path())
        .run();
    t.code(2);
    assert!(
        t.stderr.starts_with("error: invalid input `version`"),
        "{t}"
    );
}

#[test]
fn a_requires_python_range_becomes_one_minor_and_poetry_is_pinned_from_its_lock() {
    let t = plan(
        &[
            (
                "pyproject.toml",
                "[tool.poetry]\nname = \"a\"\n[tool.poetry.dependencies]\npython = \">=3.10,<4.0\"\n[tool.poetry.group.test.dependencies]\npytest = \"*\"\n",
            ),
            (
                "poetry.lock",
                "# This file is automatically @generated by Poetry 1.8.3 and should not be changed by hand.\n",
            ),
        ],
        &[],
    );
    assert_eq!(output(&t.outputs, "python-version"), Some("3.14"), "{t}");
    assert_eq!(
        output(&t.outputs, "tools-command"),
        Some(
            "mkdir -p \"$RUNNER_TEMP/slipway-tools/bin\" && PIPX_HOME=\"$RUNNER_TEMP/slipway-tools/pipx\" PIPX_BIN_DIR=\"$RUNNER_TEMP/slipway-tools/bin\" pipx install --python python poetry==1.8.3 && echo \"$RUNNER_TEMP/slipway-tools/bin\" >> \"$GITHUB_PATH\""
        ),
        "{t}"
    );
    assert_eq!(
        output(&t.outputs, "install-command"),
        Some("poetry install --no-interaction --with test"),
        "{t}"
    );
    // `.python-version` wins over the range.
    let t = plan(
        &[
            (
                "pyproject.toml",
                "[project]\nname = \"a\"\nrequires-python = \"~=3.11\"\n[project.optional-dependencies]\ntest = [\"pytest\"]\n",
            ),
            (".python-version", "3.12\n"),
            ("requirements-dev.txt", "pytest\n"),
        ],
        &[],
    );
    assert_eq!(output(&t.outputs, "python-version"), Some("3.12"), "{t}");
    assert_eq!(output(&t.outputs, "tools-command"), Some(""), "{t}");
    assert_eq!(
        output(&t.outputs, "install-command"),
        Some(
            "python -m pip install --disable-pip-version-check -r requirements-dev.txt -e '.[test]'"
        ),
        "{t}"
    );
}

#[test]
fn pnpm_yarn_and_bun_are_installed_pinned_without_corepack() {
    let t = plan(
        &[
            (
                "package.json",
                r#"{"name":"a","packageManager":"pnpm@9.12.0+sha512.abc"}"#,
            ),
            ("pnpm-lock.yaml", "lockfileVersion: '9.0'\n"),
        ],
        &[],
    );
    assert_eq!(
        output(&t.outputs, "tools-command"),
        Some(
            "mkdir -p \"$RUNNER_TEMP/slipway-tools/bin\" && npm install --global --prefix \"$RUNNER_TEMP/slipway-tools\" pnpm@9.12.0 && echo \"$RUNNER_TEMP/slipway-tools/bin\" >> \"$GITHUB_PATH\""
        ),
        "{t}"
    );
    assert_eq!(
        output(&t.outputs, "install-command"),
        Some("pnpm install --frozen-lockfile"),
        "{t}"
    );
    assert!(!t.outputs.contains("corepack"), "{t}");
    let t = plan(
        &[("package.json", r#"{"name":"a"}"#), ("bun.lock", "{}\n")],
        &[],
    );
    assert_eq!(
        output(&t.outputs, "tools-command"),
        Some(
            "mkdir -p \"$RUNNER_TEMP/slipway-tools/bin\" && npm install --global --prefix \"$RUNNER_TEMP/slipway-tools\" bun@1.4.4 && echo \"$RUNNER_TEMP/slipway-tools/bin\" >> \"$GITHUB_PATH\""
        ),
        "{t}"
    );
    assert_eq!(
        output(&t.outputs, "install-command"),
        Some("bun install --frozen-lockfile"),
        "{t}"
    );
}

#[test]
fn the_jdk_is_the_one_that_runs_the_build_not_the_bytecode_target() {
    let t = plan(
        &[(
            "pom.xml",
            "<project><properties><maven.compiler.release>8</maven.compiler.release></properties><build><plugins><plugin><artifactId>maven-enforcer-plugin</artifactId><configuration><rules><requireJavaVersion><version>[11,18)</version></requireJavaVersion></rules></configuration></plugin></plugins></build></project>",
        )],
        &[],
    );
    assert_eq!(output(&t.outputs, "java-version"), Some("17"), "{t}");
    assert!(
        t.summary.contains("maven-enforcer allows Java 17 at most"),
        "{t}"
    );
    let t = plan(
        &[
            ("settings.gradle.kts", "include(\":app\")\n"),
            (
                "app/build.gradle.kts",
                "plugins { id(\"com.android.application\") }\nkotlin { jvmToolchain(11) }\n",
            ),
            (
                "build.gradle.kts",
                "plugins {\n  id(\"com.android.application\") version \"8.5.2\" apply false\n}\n",
            ),
            (
                "gradle/wrapper/gradle-wrapper.properties",
                "distributionUrl=https\\://services.gradle.org/distributions/gradle-8.7-bin.zip\n",
            ),
        ],
        &[],
    );
    assert_eq!(output(&t.outputs, "java-version"), Some("21"), "{t}");
    assert!(t.outputs.contains("java-versions<<"), "{t}");
    assert!(t.outputs.contains("\n11\n21\n"), "{t}");
    let t = plan(&[("pom.xml", "<project/>")], &[]);
    assert_eq!(output(&t.outputs, "java-version"), Some("25"), "{t}");
}
