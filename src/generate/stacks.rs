//! What CI does for each stack: how to set it up, check formatting, lint, build and test it.
//!
//! These are decisions, so they live in Rust and the templates only print them. A command is
//! chosen only when it works on a fresh checkout of a typical project of that stack without
//! extra configuration: the project's own scripts where the ecosystem has a convention for them
//! (`npm run lint --if-present`), or the toolchain's own checks (`cargo fmt`, `gofmt`, `go vet`).
//! Opinionated linters a project may not use (eslint configs, rubocop) are not imposed.

use crate::detect::{Language, PackageManager};

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

/// The recipe of a project's language and package manager.
pub fn recipe(language: Language, pm: PackageManager) -> Recipe {
    let s = |v: &str| Some(v.to_owned());
    match language {
        Language::Rust => Recipe {
            setup: "rust",
            setup_label: "Rust".into(),
            format_check: s("cargo fmt --all -- --check"),
            lint: s("cargo clippy --locked --all-targets -- -D warnings"),
            deep_lint: s("cargo doc --locked --no-deps"),
            // Only the executables ship, not the whole target directory (deps, incremental
            // state); the target directory may be a workspace's, above the crate.
            build: s(concat!(
                "cargo build --locked --release && mkdir -p dist && ",
                "find \"$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)/release\" ",
                "-maxdepth 1 -type f -perm -u+x -exec cp {} dist/ +"
            )),
            build_output: s("dist/"),
            codeql: Some("rust"),
        },
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
                // ruff's default rule set (pyflakes and syntax errors) holds for any project;
                // pipx runs it without adding it to the project's dependencies.
                lint: s("pipx run ruff check ."),
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
                build,
                build_output: s("dist/"),
                codeql: Some("javascript-typescript"),
            }
        }
        Language::Go => Recipe {
            setup: "go",
            setup_label: "Go".into(),
            format_check: s("test -z \"$(gofmt -l .)\" || { gofmt -l .; exit 1; }"),
            lint: s("go vet ./..."),
            deep_lint: None,
            build: s("go build -trimpath -o bin/ ./..."),
            build_output: s("bin/"),
            codeql: Some("go"),
        },
        Language::Java | Language::Kotlin => {
            let (build, output, label) = if pm == PackageManager::Gradle {
                ("./gradlew assemble", "build/libs/", "Java and Gradle")
            } else {
                ("./mvnw -B package -DskipTests", "target/", "Java and Maven")
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

    #[test]
    fn every_language_has_a_setup_and_ships_something_or_says_why() {
        for lang in Language::ALL {
            let r = recipe(lang, PackageManager::Npm);
            assert!(!r.setup.is_empty());
            assert_eq!(r.build.is_some(), r.build_output.is_some(), "{lang:?}");
        }
    }

    #[test]
    fn python_commands_follow_the_package_manager() {
        let uv = recipe(Language::Python, PackageManager::Uv);
        assert_eq!(uv.build.as_deref(), Some("uv build --out-dir dist"));
        assert_eq!(uv.setup_label, "Python and uv");
        let pip = recipe(Language::Python, PackageManager::Pip);
        assert_eq!(
            pip.build, None,
            "a requirements.txt app has no package to build"
        );
    }

    #[test]
    fn node_scripts_run_only_when_present() {
        let r = recipe(Language::Typescript, PackageManager::Pnpm);
        assert_eq!(r.lint.as_deref(), Some("pnpm run --if-present lint"));
        assert_eq!(r.deep_lint.as_deref(), Some("pnpm exec tsc --noEmit"));
    }
}
