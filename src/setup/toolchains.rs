//! The version of each stack's toolchain, from the `version` input, the repository's files
//! (detection's toolchain map, plus the few files of the working directory that decide more
//! than a version: the Rust toolchain file's components, what runs a Maven or Gradle build), or
//! a default.
//!
//! Rules:
//! - Rust: the toolchain file nearest the working directory (itself, then its parents up to
//!   the workspace root, as rustup looks) pins the channel for every job, installed with its
//!   own `components` and `targets` plus rustfmt and clippy, which lint jobs run. Without one,
//!   `stable` with rustfmt and clippy: `rust-version` is the MSRV, which maintainers check in
//!   a matrix entry (through the `version` input), not the toolchain every job runs.
//! - Python, PHP, Ruby: a range resolves to one minor, see [`super::versions`].
//! - Java: a JDK named by `.java-version`, `.tool-versions` or `mise.toml` is used as is; else
//!   the JDK that runs the build, see [`super::versions::java`].

use std::path::Path;

use crate::detect::{gradle, maven, rust, toolchain_files};

use super::Stack;
use super::versions::{self, Flavor, JavaNeeds};

/// Components every Rust job gets: the lint job runs `cargo fmt` and `cargo clippy`.
pub const RUST_COMPONENTS: [&str; 2] = ["rustfmt", "clippy"];

/// What one stack is set up with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolved {
    /// The version handed to the setup action.
    pub version: String,
    /// `input`, `repository` or `default`.
    pub source: &'static str,
    /// Why this version, for the summary (`requires-python >=3.10 → newest maintained 3.14`).
    pub reason: String,
    /// Rust components to install.
    pub components: Vec<String>,
    /// Rust targets to install.
    pub targets: Vec<String>,
    /// Further JDKs to install before the one that runs the build (a Gradle toolchain's).
    pub extra_versions: Vec<String>,
}

/// The files of the working directory a resolution reads, relative to the workspace root.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    /// The workspace root.
    pub root: &'a Path,
    /// The working directory, `.` or `backend`.
    pub working_directory: &'a str,
}

impl Place<'_> {
    /// The working directory and its parents up to the root, nearest first, as absolute paths.
    fn dirs(&self) -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        let mut rel = if self.working_directory == "." {
            String::new()
        } else {
            self.working_directory.to_owned()
        };
        loop {
            out.push(if rel.is_empty() {
                self.root.to_path_buf()
            } else {
                self.root.join(&rel)
            });
            if rel.is_empty() {
                break;
            }
            rel = rel
                .rsplit_once('/')
                .map_or(String::new(), |(p, _)| p.to_owned());
        }
        out
    }

    /// Reads a file of the working directory; `None` when it is absent or unreadable (a
    /// symlink out of the workspace is not followed).
    fn read_wd(&self, name: &str) -> Option<String> {
        read_file(&self.dirs()[0].join(name))
    }
}

/// Reads `path` when it is a regular file of manifest size; a symlink is not followed, so
/// nothing outside the workspace is read through one.
fn read_file(path: &Path) -> Option<String> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() || meta.len() > crate::detect::MAX_MANIFEST_BYTES {
        return None;
    }
    std::fs::read_to_string(path).ok()
}

/// Resolves the toolchain of `stack`. `detected` is detection's version for it, `input` the
/// `version` input.
pub fn resolve(
    stack: Stack,
    place: Place<'_>,
    detected: Option<&str>,
    input: Option<&str>,
) -> Resolved {
    match stack {
        Stack::Rust => rust_toolchain(place, input),
        Stack::Java => java(place, detected, input),
        Stack::Python => ranged(
            stack,
            detected,
            input,
            versions::PYTHON_MINORS,
            Flavor::Default,
        ),
        Stack::Php => ranged(
            stack,
            detected,
            input,
            versions::PHP_MINORS,
            Flavor::Composer,
        ),
        Stack::Ruby => ranged(
            stack,
            detected.map(|v| v.trim_start_matches("ruby-")),
            input,
            versions::RUBY_MINORS,
            Flavor::Default,
        ),
        Stack::Node | Stack::Go | Stack::Dotnet => match (input, detected) {
            (Some(v), _) => given(v),
            (None, Some(v)) => Resolved {
                version: v.to_owned(),
                source: "repository",
                ..Resolved::default()
            },
            (None, None) => default(stack),
        },
    }
}

fn given(version: &str) -> Resolved {
    Resolved {
        version: version.to_owned(),
        source: "input",
        reason: "the `version` input".to_owned(),
        ..Resolved::default()
    }
}

fn default(stack: Stack) -> Resolved {
    Resolved {
        version: stack.default_version().to_owned(),
        source: "default",
        ..Resolved::default()
    }
}

/// Python, PHP, Ruby: a range becomes the newest listed minor it allows.
fn ranged(
    stack: Stack,
    detected: Option<&str>,
    input: Option<&str>,
    minors: &[&str],
    flavor: Flavor,
) -> Resolved {
    let (text, source) = match (input, detected) {
        (Some(v), _) => (v, "input"),
        (None, Some(v)) => (v, "repository"),
        (None, None) => return default(stack),
    };
    match versions::newest_minor(text, minors, flavor) {
        Some(v) if v == text => Resolved {
            version: v,
            source,
            ..Resolved::default()
        },
        Some(v) => Resolved {
            reason: format!("`{text}` allows it (the newest of {})", minors.join(", ")),
            version: v,
            source,
            ..Resolved::default()
        },
        None => Resolved {
            reason: format!("`{text}` is not a version range slipway reads"),
            ..default(stack)
        },
    }
}

/// The Rust toolchain: the nearest toolchain file, else `stable`; rustfmt and clippy always.
fn rust_toolchain(place: Place<'_>, input: Option<&str>) -> Resolved {
    let mut components: Vec<String> = Vec::new();
    let mut targets: Vec<String> = Vec::new();
    let mut pinned: Option<(String, String)> = None;
    'dirs: for dir in place.dirs() {
        for name in ["rust-toolchain.toml", "rust-toolchain"] {
            let Some(text) = read_file(&dir.join(name)) else {
                continue;
            };
            if let Ok(file) = rust::parse_toolchain_file(&text) {
                components = file.components;
                targets = file.targets;
                let rel = dir
                    .strip_prefix(place.root)
                    .ok()
                    .map(|p| p.join(name).to_string_lossy().replace('\\', "/"))
                    .unwrap_or_else(|| name.to_owned());
                pinned = file.channel.map(|c| (c, rel));
            }
            break 'dirs;
        }
    }
    for c in RUST_COMPONENTS {
        if !components.iter().any(|x| x == c) {
            components.push(c.to_owned());
        }
    }
    let (version, source, reason) = match (input, pinned) {
        (Some(v), _) => (v.to_owned(), "input", "the `version` input".to_owned()),
        (None, Some((channel, file))) => (channel, "repository", format!("pinned by `{file}`")),
        (None, None) => (
            "stable".to_owned(),
            "default",
            "no toolchain file; `rust-version` is the MSRV, checked in a matrix entry".to_owned(),
        ),
    };
    Resolved {
        version,
        source,
        reason,
        components,
        targets,
        extra_versions: Vec::new(),
    }
}

/// The JDK that runs the build.
fn java(place: Place<'_>, detected: Option<&str>, input: Option<&str>) -> Resolved {
    if let Some(v) = input {
        return given(v);
    }
    // A version-manager file names the JDK itself, not a bytecode target.
    for dir in place.dirs() {
        let read = |name: &str| read_file(&dir.join(name));
        let named = read(".java-version")
            .and_then(|t| toolchain_files::parse_java_version(&t))
            .or_else(|| {
                read(".tool-versions").and_then(|t| {
                    toolchain_files::parse_tool_versions(&t)
                        .into_iter()
                        .find_map(|(tool, v)| (tool == "java").then_some(v))
                })
            })
            .or_else(|| {
                ["mise.toml", ".mise.toml"].iter().find_map(|n| {
                    let tools = toolchain_files::parse_mise(&read(n)?).ok()?;
                    tools
                        .into_iter()
                        .find_map(|(tool, v)| (tool == "java").then_some(v))
                })
            });
        if let Some(v) = named {
            return Resolved {
                version: v,
                source: "repository",
                reason: "named by a version file".to_owned(),
                ..Resolved::default()
            };
        }
    }
    let needs = java_needs(place, detected);
    let choice = versions::java(&needs);
    let version = choice.version.to_string();
    // A Gradle toolchain compiles with its own JDK: install it too, so Gradle finds it
    // without downloading one.
    let gradle = [
        "build.gradle",
        "build.gradle.kts",
        "settings.gradle",
        "settings.gradle.kts",
    ]
    .iter()
    .any(|n| place.dirs()[0].join(n).is_file());
    let extra_versions = match needs.target {
        Some(t) if gradle && t != choice.version && t >= 8 => vec![t.to_string()],
        _ => Vec::new(),
    };
    let constrained = needs != JavaNeeds::default();
    Resolved {
        version,
        source: if constrained { "repository" } else { "default" },
        reason: choice.reason,
        extra_versions,
        ..Resolved::default()
    }
}

/// What the working directory's build files say about the JDK.
fn java_needs(place: Place<'_>, detected: Option<&str>) -> JavaNeeds {
    let mut needs = JavaNeeds {
        target: detected.and_then(versions::java_feature),
        ..JavaNeeds::default()
    };
    if let Some(pom) = place.read_wd("pom.xml").and_then(|t| maven::parse(&t).ok()) {
        needs.enforcer = pom.required_java();
    }
    needs.gradle = place
        .read_wd("gradle/wrapper/gradle-wrapper.properties")
        .and_then(|t| gradle::parse_wrapper_version(&t));
    needs.agp = [
        "build.gradle",
        "build.gradle.kts",
        "settings.gradle",
        "settings.gradle.kts",
    ]
    .iter()
    .find_map(|n| gradle::parse_agp_version(&place.read_wd(n)?))
    .or_else(|| gradle::parse_catalog_agp(&place.read_wd("gradle/libs.versions.toml")?));
    needs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    fn place<'a>(root: &'a Path, wd: &'a str) -> Place<'a> {
        Place {
            root,
            working_directory: wd,
        }
    }

    #[test]
    fn a_root_toolchain_file_pins_every_job_with_its_components_and_lint_tools() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "rust-toolchain.toml",
            "[toolchain]\nchannel = \"1.80.1\"\ncomponents = [\"rust-src\", \"clippy\"]\ntargets = [\"wasm32-unknown-unknown\"]\n",
        );
        let r = resolve(
            Stack::Rust,
            place(dir.path(), "crates/app"),
            Some("1.70"),
            None,
        );
        assert_eq!(r.version, "1.80.1");
        assert_eq!(r.components, ["rust-src", "clippy", "rustfmt"]);
        assert_eq!(r.targets, ["wasm32-unknown-unknown"]);
        assert_eq!(r.reason, "pinned by `rust-toolchain.toml`");
    }

    #[test]
    fn without_a_toolchain_file_rust_is_stable_even_with_an_msrv() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "Cargo.toml",
            "[package]\nname = \"a\"\nrust-version = \"1.70\"\n",
        );
        let r = resolve(Stack::Rust, place(dir.path(), "."), Some("1.70"), None);
        assert_eq!((r.version.as_str(), r.source), ("stable", "default"));
        assert_eq!(r.components, ["rustfmt", "clippy"]);
        // The `version` input (an MSRV matrix entry) wins over any file.
        let r = resolve(Stack::Rust, place(dir.path(), "."), None, Some("1.70"));
        assert_eq!((r.version.as_str(), r.source), ("1.70", "input"));
        assert_eq!(r.components, ["rustfmt", "clippy"]);
    }

    #[test]
    fn a_member_crate_s_toolchain_file_does_not_pin_the_root() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "fuzz/rust-toolchain", "nightly\n");
        assert_eq!(
            resolve(Stack::Rust, place(dir.path(), "."), None, None).version,
            "stable"
        );
        assert_eq!(
            resolve(Stack::Rust, place(dir.path(), "fuzz"), None, None).version,
            "nightly"
        );
    }

    #[test]
    fn python_ranges_become_one_minor_and_the_input_wins() {
        let dir = tempfile::tempdir().unwrap();
        let p = place(dir.path(), ".");
        let r = resolve(Stack::Python, p, Some(">=3.10,<4.0"), None);
        assert_eq!((r.version.as_str(), r.source), ("3.14", "repository"));
        assert!(r.reason.contains("`>=3.10,<4.0` allows it"), "{}", r.reason);
        assert_eq!(
            resolve(Stack::Python, p, Some("3.12.4"), None).version,
            "3.12.4"
        );
        assert_eq!(
            resolve(Stack::Python, p, Some("^3.10"), Some("3.11")).version,
            "3.11"
        );
        assert_eq!(resolve(Stack::Python, p, None, None).version, "3.14");
        assert_eq!(resolve(Stack::Php, p, Some("^8.1"), None).version, "8.5");
        assert_eq!(
            resolve(Stack::Ruby, p, Some("ruby-3.3.0"), None).version,
            "3.3.0"
        );
        assert_eq!(resolve(Stack::Ruby, p, Some("~> 3.2"), None).version, "3.4");
    }

    #[test]
    fn the_jdk_comes_from_what_runs_the_build() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "pom.xml",
            "<project><build><plugins><plugin><artifactId>maven-enforcer-plugin</artifactId><configuration><rules><requireJavaVersion><version>[11,18)</version></requireJavaVersion></rules></configuration></plugin></plugins></build></project>",
        );
        let r = resolve(Stack::Java, place(dir.path(), "."), Some("8"), None);
        assert_eq!(r.version, "17");
        assert!(r.extra_versions.is_empty());

        let gradle = tempfile::tempdir().unwrap();
        write(
            gradle.path(),
            "app/build.gradle.kts",
            "java { toolchain { languageVersion = JavaLanguageVersion.of(17) } }",
        );
        write(
            gradle.path(),
            "app/gradle/wrapper/gradle-wrapper.properties",
            "distributionUrl=https\\://services.gradle.org/distributions/gradle-8.5-bin.zip\n",
        );
        let r = resolve(Stack::Java, place(gradle.path(), "app"), Some("17"), None);
        assert_eq!(r.version, "21");
        assert_eq!(r.extra_versions, ["17"]);
        assert!(r.reason.contains("Gradle wrapper 8.5"), "{}", r.reason);

        let named = tempfile::tempdir().unwrap();
        write(named.path(), ".java-version", "17\n");
        write(named.path(), "pom.xml", "<project/>");
        assert_eq!(
            resolve(Stack::Java, place(named.path(), "."), Some("8"), None).version,
            "17"
        );
        let r = resolve(Stack::Java, place(named.path(), "."), None, Some("21"));
        assert_eq!((r.version.as_str(), r.source), ("21", "input"));
        let nothing = tempfile::tempdir().unwrap();
        let r = resolve(Stack::Java, place(nothing.path(), "."), None, None);
        assert_eq!((r.version.as_str(), r.source), ("25", "default"));
    }
}
