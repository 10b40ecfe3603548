//! The dependency cache of each package manager: which files key it, which directories hold
//! it, and how its dependencies are installed. One table, [`spec`]; [`key`] builds the key.
//!
//! Keys follow `actions/cache` rules: at most 512 characters and no commas
//! (<https://github.com/actions/cache#cache-version>, `restore` rejects longer keys and
//! commas). Directories use `~`, which `actions/cache` expands; those relative to the working
//! directory are returned workspace-relative.

use crate::detect::PackageManager;

/// The longest key `actions/cache` accepts.
pub const MAX_KEY_LEN: usize = 512;

/// Bumped when the layout of the cached directories changes, so old caches are not restored.
pub const KEY_VERSION: &str = "v1";

/// The runner's operating system, as `RUNNER_OS` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    /// `Linux`.
    Linux,
    /// `macOS`.
    MacOs,
    /// `Windows`.
    Windows,
}

impl Os {
    /// From `RUNNER_OS` (`Linux`, `macOS`, `Windows`); anything else is Linux, where the
    /// action is tested.
    pub fn from_runner(value: Option<&str>) -> Self {
        match value {
            Some("macOS") => Self::MacOs,
            Some("Windows") => Self::Windows,
            _ => Self::Linux,
        }
    }

    /// The name in keys.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Linux => "Linux",
            Self::MacOs => "macOS",
            Self::Windows => "Windows",
        }
    }
}

/// What one package manager caches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spec {
    /// Globs, relative to the working directory, whose content keys the cache.
    pub lockfiles: &'static [&'static str],
    /// Directories to cache; `~/…` are in the home directory, others are relative to the
    /// working directory.
    pub paths: Vec<&'static str>,
    /// The command that installs the dependencies from the lockfile, run in the working
    /// directory; empty when the package manager has none worth running.
    pub install: &'static str,
}

/// The cache table.
pub fn spec(pm: PackageManager, os: Os) -> Spec {
    use PackageManager as P;
    let mac = os == Os::MacOs;
    let win = os == Os::Windows;
    let (lockfiles, paths, install): (&[&str], Vec<&str>, &str) = match pm {
        P::Cargo => (
            &["Cargo.lock", "rust-toolchain.toml", "rust-toolchain"],
            vec![
                "~/.cargo/registry/index",
                "~/.cargo/registry/cache",
                "~/.cargo/git/db",
                "target",
            ],
            "cargo fetch --locked",
        ),
        P::Pip => (
            &["requirements*.txt", "pyproject.toml"],
            vec![if mac {
                "~/Library/Caches/pip"
            } else if win {
                "~/AppData/Local/pip/Cache"
            } else {
                "~/.cache/pip"
            }],
            "",
        ),
        P::Poetry => (
            &["poetry.lock"],
            vec![if mac {
                "~/Library/Caches/pypoetry"
            } else if win {
                "~/AppData/Local/pypoetry/Cache"
            } else {
                "~/.cache/pypoetry"
            }],
            "poetry install --no-interaction",
        ),
        P::Uv => (
            &["uv.lock"],
            vec![if win {
                "~/AppData/Local/uv/cache"
            } else {
                "~/.cache/uv"
            }],
            "uv sync --frozen",
        ),
        P::Pdm => (&["pdm.lock"], vec!["~/.cache/pdm"], "pdm sync"),
        P::Pipenv => (
            &["Pipfile.lock"],
            vec!["~/.cache/pipenv"],
            "pipenv sync --dev",
        ),
        P::Npm => (&["package-lock.json"], vec!["~/.npm"], "npm ci"),
        P::Pnpm => (
            &["pnpm-lock.yaml"],
            vec![if mac {
                "~/Library/pnpm/store"
            } else if win {
                "~/AppData/Local/pnpm/store"
            } else {
                "~/.local/share/pnpm/store"
            }],
            "pnpm install --frozen-lockfile",
        ),
        P::Yarn => (
            &["yarn.lock"],
            vec![".yarn/cache", "~/.cache/yarn"],
            "yarn install --immutable",
        ),
        P::Bun => (
            &["bun.lock", "bun.lockb"],
            vec!["~/.bun/install/cache"],
            "bun install --frozen-lockfile",
        ),
        P::Deno => (&["deno.lock"], vec!["~/.cache/deno"], ""),
        P::GoModules => (
            &["**/go.sum"],
            vec![
                "~/go/pkg/mod",
                if mac {
                    "~/Library/Caches/go-build"
                } else if win {
                    "~/AppData/Local/go-build"
                } else {
                    "~/.cache/go-build"
                },
            ],
            "go mod download",
        ),
        P::Maven => (
            &["**/pom.xml"],
            vec!["~/.m2/repository"],
            // No separate install: `dependency:go-offline` downloads a plugin of its own and
            // misses the ones bound later in the lifecycle; the build resolves exactly what it
            // uses, and the cache above keeps it (as Gradle's does).
            "",
        ),
        P::Gradle => (
            &[
                "**/*.gradle*",
                "**/gradle-wrapper.properties",
                "**/gradle.lockfile",
            ],
            vec!["~/.gradle/caches", "~/.gradle/wrapper"],
            "",
        ),
        P::Bundler => (&["Gemfile.lock"], vec!["vendor/bundle"], "bundle install"),
        P::Composer => (
            &["composer.lock"],
            vec!["~/.cache/composer"],
            "composer install --no-interaction --no-progress",
        ),
        P::Nuget => (
            &["**/packages.lock.json", "**/*.csproj", "**/*.fsproj"],
            vec!["~/.nuget/packages"],
            "dotnet restore",
        ),
    };
    Spec {
        lockfiles,
        paths,
        install,
    }
}

/// Replaces every character a key segment should not carry (commas above all) by `_`.
pub fn segment(text: &str) -> String {
    let s: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '+' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() { "_".to_owned() } else { s }
}

/// The primary key and the restore keys (most specific first) for `managers` in
/// `working_directory`, whose lockfiles hash to `hash`.
///
/// ```
/// use slipway::setup::cache::{key, Os};
/// let (primary, restore) = key(Os::Linux, "X64", &["cargo"], ".", "1.80.1", "abc");
/// assert_eq!(primary, "slipway-v1-Linux-X64-cargo-root-1.80.1-abc");
/// assert_eq!(restore, ["slipway-v1-Linux-X64-cargo-root-1.80.1-", "slipway-v1-Linux-X64-cargo-root-"]);
/// ```
pub fn key(
    os: Os,
    arch: &str,
    managers: &[&str],
    working_directory: &str,
    toolchains: &str,
    hash: &str,
) -> (String, Vec<String>) {
    let dir = match working_directory {
        "." | "" => "root".to_owned(),
        d => segment(d),
    };
    let mut base = format!(
        "slipway-{KEY_VERSION}-{}-{}-{}-{}-",
        os.as_str(),
        segment(arch),
        segment(&managers.join("+")),
        dir
    );
    // The hash (64) and the toolchain segment must fit: long directory names are cut.
    let budget = MAX_KEY_LEN - 64 - 1 - 64 - 1;
    if base.len() > budget {
        base.truncate(budget);
        base.push('-');
    }
    let mut tools = segment(toolchains);
    tools.truncate(64);
    let with_tools = format!("{base}{tools}-");
    let primary = format!("{with_tools}{hash}");
    (primary, vec![with_tools, base])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_never_exceed_512_characters_nor_contain_commas() {
        let long = "a,b/".repeat(300);
        let (primary, restore) = key(
            Os::Linux,
            "X64",
            &["npm", "cargo"],
            &long,
            &"1,2".repeat(50),
            &"f".repeat(64),
        );
        assert!(primary.len() <= MAX_KEY_LEN, "{}", primary.len());
        assert!(!primary.contains(','));
        for r in &restore {
            assert!(primary.starts_with(r.as_str()));
            assert!(!r.contains(','));
        }
    }

    #[test]
    fn a_subdirectory_is_one_segment() {
        let (primary, _) = key(Os::MacOs, "ARM64", &["uv"], "services/api", "3.12", "h");
        assert_eq!(primary, "slipway-v1-macOS-ARM64-uv-services_api-3.12-h");
    }

    #[test]
    fn every_package_manager_has_paths_and_lockfiles() {
        use PackageManager as P;
        for pm in [
            P::Cargo,
            P::Pip,
            P::Poetry,
            P::Uv,
            P::Pdm,
            P::Pipenv,
            P::Npm,
            P::Pnpm,
            P::Yarn,
            P::Bun,
            P::Deno,
            P::GoModules,
            P::Maven,
            P::Gradle,
            P::Bundler,
            P::Composer,
            P::Nuget,
        ] {
            for os in [Os::Linux, Os::MacOs, Os::Windows] {
                let s = spec(pm, os);
                assert!(!s.paths.is_empty() && !s.lockfiles.is_empty(), "{pm:?}");
            }
        }
    }
}
