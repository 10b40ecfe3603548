//! What CI does for each stack: how to set it up, check formatting, lint, build and test it.
//!
//! These are decisions, so they live in Rust and the templates only print them. A command is
//! chosen only when it works on a fresh checkout of a typical project of that stack without
//! extra configuration: the project's own scripts where the ecosystem has a convention for them
//! (`npm run lint --if-present`), or the toolchain's own checks (`cargo fmt`, `gofmt`, `go vet`).
//! Opinionated linters a project may not use (eslint configs, rubocop) are not imposed.

use crate::detect::{BuildFacts, Language, PackageManager};

/// How CI handles one stack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipe {
    /// The `stacks` input of the setup-environment action (`rust`, `python`, `node`, `go`,
    /// `java`, `ruby`, `php`, `dotnet`).
    pub setup: &'static str,
    /// The toolchain as people name it, for step names (`Python and uv`).
    pub setup_label: String,
    /// A formatting check that changes nothing.
    pub format_check: Option<String>,
    /// A linter run that needs no configuration the project may lack.
    pub lint: Option<String>,
    /// A slower static check for the quality workflow (docs, types).
    pub deep_lint: Option<String>,
    /// A build of what would ship.
    pub build: Option<String>,
    /// Where the build writes what ships, relative to the project directory.
    pub build_output: Option<String>,
    /// The CodeQL language, when CodeQL supports the stack.
    pub codeql: Option<&'static str>,
}

/// The ruff release CI runs when the project does not pin its own.
///
/// Pinned, because a new ruff may add rules or change defaults, and isolated
/// (`--isolated`: no configuration file is read), because a project's `[tool.ruff]` written for
/// another release may select hundreds of rules, or name options this release does not know.
/// The rules are the ones any working project passes: syntax errors (`E9`), comparisons that
/// are always wrong (`F63`), statements in the wrong place (`F7`), undefined names (`F82`).
/// A project that keeps ruff among its development dependencies is linted by its own ruff
/// with its own configuration instead.
pub const RUFF: &str = "pipx run ruff==0.17.5 check --isolated --select E9,F63,F7,F82 .";

/// The recipe of a project's language and package manager, given what its files say about its
/// build ([`BuildFacts`]; the default knows nothing and uploads nothing).
pub fn recipe(language: Language, pm: PackageManager, facts: &BuildFacts) -> Recipe {
    let s = |v: &str| Some(v.to_owned());
    match language {
        Language::Rust => {
            // Without a committed Cargo.lock (libraries often leave it out) `--locked` fails.
            let locked = if facts.locked { " --locked" } else { "" };
            // Only the executables ship, not the whole target directory (deps, incremental
            // state). The target directory may be a workspace's or configured elsewhere, so
            // Cargo names them: a second, fresh build lists every artifact as JSON, and the
            // `executable` of each binary target is copied (no jq: sed reads the one field).
            // A workspace without a binary target has nothing to ship: no release build runs,
            // as clippy and the tests already compile every target and a library is published
            // from source.
            let build = facts.executables.then(|| {
                format!(
                    "cargo build{locked} --release --workspace && mkdir -p dist && \
                     cargo build{locked} --release --workspace --message-format=json \
                     | sed -n 's/.*\"executable\":\"\\([^\"]*\\)\".*/\\1/p' \
                     | while IFS= read -r exe; do cp -- \"$exe\" dist/; done"
                )
            });
            Recipe {
                setup: "rust",
                setup_label: "Rust".into(),
                format_check: s("cargo fmt --all -- --check"),
                lint: Some(format!("cargo clippy{locked} --all-targets -- -D warnings")),
                deep_lint: Some(format!("cargo doc{locked} --no-deps")),
                build_output: build.as_ref().map(|_| "dist/".to_owned()),
                build,
                codeql: Some("rust"),
            }
        }
        Language::Python => {
            let run = match pm {
                PackageManager::Uv => "uv run --frozen",
                PackageManager::Poetry => "poetry run",
                PackageManager::Pdm => "pdm run",
                PackageManager::Pipenv => "pipenv run",
                _ => "",
            };
            let build = match pm {
                PackageManager::Uv => "uv build --out-dir dist",
                PackageManager::Poetry => "poetry build",
                PackageManager::Pdm => "pdm build",
                _ => "python -m build --outdir dist",
            };
            Recipe {
                setup: "python",
                setup_label: format!("Python and {}", pm.as_str()),
                format_check: None,
                // The project's own ruff where its package manager installs it; otherwise a
                // pinned one with rules every project passes (see `RUFF`).
                lint: Some(match pm {
                    PackageManager::Uv
                    | PackageManager::Poetry
                    | PackageManager::Pdm
                    | PackageManager::Pipenv
                        if facts.ruff =>
                    {
                        format!("{run} ruff check .")
                    }
                    _ => RUFF.to_owned(),
                }),
                deep_lint: Some(
                    format!("{run} python -m compileall -q .")
                        .trim_start()
                        .to_owned(),
                ),
                build: (pm != PackageManager::Pipenv && pm != PackageManager::Pip)
                    .then(|| build.to_owned()),
                build_output: (pm != PackageManager::Pipenv && pm != PackageManager::Pip)
                    .then(|| "dist/".to_owned()),
                codeql: Some("python"),
            }
        }
        Language::Javascript | Language::Typescript => {
            let (label, run) = match pm {
                PackageManager::Pnpm => ("pnpm", "pnpm run --if-present"),
                PackageManager::Yarn => ("yarn", "yarn run"),
                PackageManager::Bun => ("Bun", "bun run --if-present"),
                PackageManager::Deno => ("Deno", "deno task"),
                _ => ("npm", "npm run --if-present"),
            };
            let (format_check, lint, build) = if pm == PackageManager::Deno {
                (s("deno fmt --check"), s("deno lint"), None)
            } else {
                (
                    None,
                    Some(format!("{run} lint")),
                    Some(format!("{run} build")),
                )
            };
            Recipe {
                setup: if pm == PackageManager::Deno {
                    "deno"
                } else {
                    "node"
                },
                setup_label: if pm == PackageManager::Deno {
                    "Deno".into()
                } else {
                    format!("Node.js and {label}")
                },
                format_check,
                lint,
                deep_lint: (language == Language::Typescript && pm != PackageManager::Deno)
                    .then(|| format!("{} tsc --noEmit", exec(pm))),
                // Only a build whose output is certain uploads it (see `BuildFacts::outputs`).
                build_output: (build.is_some() && !facts.outputs.is_empty())
                    .then(|| facts.outputs.join("\n")),
                build,
                codeql: Some("javascript-typescript"),
            }
        }
        Language::Go => Recipe {
            setup: "go",
            setup_label: "Go".into(),
            format_check: s("test -z \"$(gofmt -l .)\" || { gofmt -l .; exit 1; }"),
            lint: s("go vet ./..."),
            deep_lint: None,
            // `go build -o bin/ ./...` fails on a module without a `main` package ("no main
            // packages to build"): the main packages are named, and a library only compiles.
            build: Some(if facts.main_packages.is_empty() {
                "go build ./...".to_owned()
            } else {
                format!(
                    "go build -trimpath -o bin/ {}",
                    facts.main_packages.join(" ")
                )
            }),
            build_output: (!facts.main_packages.is_empty()).then(|| "bin/".to_owned()),
            codeql: Some("go"),
        },
        Language::Java | Language::Kotlin => {
            // What ships is the packaged archives, found in every module of a multi-module
            // build (a parent pom or a root Gradle project may package nothing itself): a glob,
            // where `**/` also matches the root.
            let (build, output, label) = if pm == PackageManager::Gradle {
                (
                    "./gradlew assemble",
                    "**/build/libs/*.jar",
                    "Java and Gradle",
                )
            } else {
                (
                    "./mvnw -B package -DskipTests",
                    "**/target/*.jar",
                    "Java and Maven",
                )
            };
            Recipe {
                setup: "java",
                setup_label: label.into(),
                format_check: None,
                lint: None,
                deep_lint: None,
                build: s(build),
                build_output: s(output),
                codeql: Some("java-kotlin"),
            }
        }
        Language::Ruby => Recipe {
            setup: "ruby",
            setup_label: "Ruby and Bundler".into(),
            format_check: None,
            lint: None,
            deep_lint: None,
            build: None,
            build_output: None,
            codeql: Some("ruby"),
        },
        Language::Php => Recipe {
            setup: "php",
            setup_label: "PHP and Composer".into(),
            format_check: None,
            lint: s("composer validate --no-check-publish"),
            deep_lint: None,
            build: None,
            build_output: None,
            codeql: None,
        },
        Language::Csharp | Language::Fsharp => Recipe {
            setup: "dotnet",
            setup_label: ".NET".into(),
            format_check: None,
            lint: None,
            deep_lint: None,
            build: s("dotnet build --configuration Release"),
            build_output: s("bin/Release/"),
            codeql: Some("csharp"),
        },
    }
}

/// How the package manager runs a tool from the project's dependencies.
fn exec(pm: PackageManager) -> &'static str {
    match pm {
        PackageManager::Pnpm => "pnpm exec",
        PackageManager::Yarn => "yarn exec",
        PackageManager::Bun => "bunx",
        _ => "npx --no-install",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(language: Language, pm: PackageManager) -> Recipe {
        recipe(language, pm, &BuildFacts::default())
    }

    #[test]
    fn every_language_has_a_setup_and_uploads_only_what_it_builds() {
        for lang in Language::ALL {
            let r = plain(lang, PackageManager::Npm);
            assert!(!r.setup.is_empty());
            assert!(r.build.is_some() || r.build_output.is_none(), "{lang:?}");
        }
    }

    #[test]
    fn a_rust_workspace_with_binaries_copies_only_its_executables() {
        let facts = BuildFacts {
            executables: true,
            locked: true,
            ..BuildFacts::default()
        };
        let r = recipe(Language::Rust, PackageManager::Cargo, &facts);
        let build = r.build.expect("build");
        assert_eq!(
            build,
            "cargo build --locked --release --workspace && mkdir -p dist && \
             cargo build --locked --release --workspace --message-format=json \
             | sed -n 's/.*\"executable\":\"\\([^\"]*\\)\".*/\\1/p' \
             | while IFS= read -r exe; do cp -- \"$exe\" dist/; done"
        );
        // GNU find wants `{}` right before `+`; nothing here depends on find or jq.
        assert!(!build.contains("find ") && !build.contains("jq"), "{build}");
        assert_eq!(r.build_output.as_deref(), Some("dist/"));
        assert_eq!(
            r.lint.as_deref(),
            Some("cargo clippy --locked --all-targets -- -D warnings")
        );
    }

    #[test]
    fn a_rust_library_builds_nothing_to_upload_and_without_a_lockfile_is_not_locked() {
        let r = plain(Language::Rust, PackageManager::Cargo);
        assert_eq!(r.build, None);
        assert_eq!(r.build_output, None);
        assert_eq!(
            r.lint.as_deref(),
            Some("cargo clippy --all-targets -- -D warnings")
        );
        assert_eq!(r.deep_lint.as_deref(), Some("cargo doc --no-deps"));
    }

    #[test]
    fn go_builds_its_main_packages_into_bin_and_a_library_only_compiles() {
        let library = plain(Language::Go, PackageManager::GoModules);
        assert_eq!(library.build.as_deref(), Some("go build ./..."));
        assert_eq!(library.build_output, None);
        let facts = BuildFacts {
            main_packages: vec![".".into(), "./cmd/api".into()],
            ..BuildFacts::default()
        };
        let app = recipe(Language::Go, PackageManager::GoModules, &facts);
        assert_eq!(
            app.build.as_deref(),
            Some("go build -trimpath -o bin/ . ./cmd/api")
        );
        assert_eq!(app.build_output.as_deref(), Some("bin/"));
    }

    #[test]
    fn python_lints_with_the_projects_own_ruff_or_a_pinned_isolated_one() {
        let pinned = plain(Language::Python, PackageManager::Uv);
        assert_eq!(pinned.lint.as_deref(), Some(RUFF));
        assert!(
            RUFF.contains("ruff==") && RUFF.contains("--isolated"),
            "{RUFF}"
        );
        let own = BuildFacts {
            ruff: true,
            ..BuildFacts::default()
        };
        let uv = recipe(Language::Python, PackageManager::Uv, &own);
        assert_eq!(uv.lint.as_deref(), Some("uv run --frozen ruff check ."));
        let poetry = recipe(Language::Python, PackageManager::Poetry, &own);
        assert_eq!(poetry.lint.as_deref(), Some("poetry run ruff check ."));
        // pip installs only `requirements.txt`: nothing says ruff is there.
        let pip = recipe(Language::Python, PackageManager::Pip, &own);
        assert_eq!(pip.lint.as_deref(), Some(RUFF));
    }

    #[test]
    fn node_uploads_only_an_output_detection_is_sure_of() {
        let unsure = plain(Language::Typescript, PackageManager::Npm);
        assert_eq!(unsure.build.as_deref(), Some("npm run --if-present build"));
        assert_eq!(unsure.build_output, None);
        let next = BuildFacts {
            outputs: vec![".next/".into(), "!.next/cache/".into()],
            ..BuildFacts::default()
        };
        let r = recipe(Language::Typescript, PackageManager::Npm, &next);
        assert_eq!(r.build_output.as_deref(), Some(".next/\n!.next/cache/"));
    }

    #[test]
    fn python_commands_follow_the_package_manager() {
        let uv = plain(Language::Python, PackageManager::Uv);
        assert_eq!(uv.build.as_deref(), Some("uv build --out-dir dist"));
        assert_eq!(uv.setup_label, "Python and uv");
        let pip = plain(Language::Python, PackageManager::Pip);
        assert_eq!(
            pip.build, None,
            "a requirements.txt app has no package to build"
        );
    }

    #[test]
    fn jvm_builds_upload_the_archives_of_every_module() {
        for pm in [PackageManager::Maven, PackageManager::Gradle] {
            let r = recipe(Language::Java, pm, &Default::default());
            let out = r.build_output.expect("an output");
            assert!(out.starts_with("**/") && out.ends_with("/*.jar"), "{out}");
        }
    }

    #[test]
    fn node_scripts_run_only_when_present() {
        let r = plain(Language::Typescript, PackageManager::Pnpm);
        assert_eq!(r.lint.as_deref(), Some("pnpm run --if-present lint"));
        assert_eq!(r.deep_lint.as_deref(), Some("pnpm exec tsc --noEmit"));
    }
}
