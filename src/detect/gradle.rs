//! Gradle: `settings.gradle(.kts)`, `build.gradle(.kts)`, the `gradlew` wrapper and the
//! version catalog `gradle/libs.versions.toml`, for the Groovy and the Kotlin DSL alike.
//!
//! Build scripts are programs, so they are not evaluated: a small scanner strips comments and
//! looks for the literal forms real projects use: `include(":app", ":lib")`,
//! `include ':a', ':b'` (continued over lines after a comma), `include(":services:api")`
//! (→ `services/api`), `project(":x").projectDir = file("path")`, `includeBuild("build-logic")`;
//! `kotlin("jvm")`, `id("org.jetbrains.kotlin.jvm")`, `apply plugin: 'kotlin'` or a catalog alias
//! of a Kotlin plugin (`alias(libs.plugins.kotlin.jvm)`); `JavaLanguageVersion.of(21)`,
//! `jvmToolchain(17)`, then `sourceCompatibility` / `targetCompatibility`
//! (`JavaVersion.VERSION_1_8` → `8`). Projects added by code (loops over directories) are missed.
//!
//! A settings file makes its directory a build root: one project with `./gradlew test` (or
//! `gradle test` without the wrapper), which runs the tests of every included project. Included
//! projects, included builds and `buildSrc` are subprojects without a command of their own. A
//! build script outside any settings file's builds is a single-project build with its own
//! command. Stack: Kotlin when the project applies a Kotlin plugin; a root without such a
//! signal takes the majority of its members; Java otherwise. The Java toolchain is reported as
//! `java` with [`Source::Manifest`].
//!
//! Format: <https://docs.gradle.org/current/userguide/settings_file_basics.html>,
//! <https://docs.gradle.org/current/userguide/toolchains.html>,
//! <https://docs.gradle.org/current/userguide/platforms.html>.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use super::manifest::{self, CommentSyntax};
use super::{Language, PackageManager, Project, Scan, Source, dir_of, file_name, join, normalize};

/// True for file names this ecosystem reads.
pub fn interesting(file_name: &str) -> bool {
    matches!(
        file_name,
        "settings.gradle"
            | "settings.gradle.kts"
            | "build.gradle"
            | "build.gradle.kts"
            | "gradlew"
            | "libs.versions.toml"
    )
}

/// What a settings file declares.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// Included projects as directories relative to the settings file (`services/api`).
    pub projects: Vec<String>,
    /// Included builds, as written.
    pub included_builds: Vec<String>,
}

/// What a build script says about its project.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Build {
    /// A Kotlin plugin is applied.
    pub kotlin: bool,
    /// The Java version from a toolchain or source/target compatibility.
    pub java: Option<String>,
}

/// Reads this ecosystem's files and reports into the scan.
pub fn scan(scan: &mut Scan<'_>) {
    let index = scan.index();
    // Catalog aliases of Kotlin plugins, as build scripts spell them (`kotlin.jvm`).
    let mut kotlin_aliases: BTreeSet<String> = BTreeSet::new();
    for rel in index.named("libs.versions.toml") {
        if file_name(dir_of(rel)) != "gradle" {
            continue;
        }
        if let Some(text) = scan.read(rel) {
            match parse_catalog(&text) {
                Ok(aliases) => kotlin_aliases.extend(aliases),
                Err(message) => scan.warn(rel, message),
            }
        }
    }

    let mut builds: BTreeMap<String, Build> = BTreeMap::new();
    for rel in index.matching(|n| n == "build.gradle" || n == "build.gradle.kts") {
        let Some(text) = scan.read(rel) else {
            builds.entry(dir_of(rel).to_owned()).or_default();
            continue;
        };
        let build = parse_build(&text, &kotlin_aliases);
        let entry = builds.entry(dir_of(rel).to_owned()).or_default();
        entry.kotlin |= build.kotlin;
        if entry.java.is_none() {
            entry.java = build.java;
        }
        if let Some(v) = &entry.java {
            scan.toolchain("java", v, Source::Manifest, rel);
        }
    }

    // Build roots and the directories each one covers.
    let mut roots: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut covered: BTreeSet<String> = BTreeSet::new();
    for rel in index.matching(|n| n == "settings.gradle" || n == "settings.gradle.kts") {
        let dir = dir_of(rel).to_owned();
        let settings = scan
            .read(rel)
            .map(|t| parse_settings(&t))
            .unwrap_or_default();
        let mut members = Vec::new();
        let build_src = join(&dir, "buildSrc");
        let listed = settings
            .projects
            .iter()
            .chain(&settings.included_builds)
            .filter_map(|p| normalize(&join(&dir, p)))
            .chain(std::iter::once(build_src));
        for member in listed {
            if member != dir && !members.contains(&member) && index.root().join(&member).is_dir() {
                covered.insert(member.clone());
                members.push(member);
            }
        }
        // `include(":services:api")` also makes `services` a project; it is covered, and
        // listed only when it has a build script of its own.
        for member in &settings.projects {
            let mut parent = normalize(&join(&dir, member));
            while let Some(p) = parent {
                let up = super::dir_of(&p).to_owned();
                if p == dir || up == p {
                    break;
                }
                covered.insert(p);
                parent = Some(up);
            }
        }
        roots.entry(dir).or_default().extend(members);
    }

    let stack = |kotlin: bool| {
        if kotlin {
            Language::Kotlin
        } else {
            Language::Java
        }
    };
    let command = |dir: &str| {
        if index.has(dir, "gradlew") {
            "./gradlew test".to_owned()
        } else {
            "gradle test".to_owned()
        }
    };
    for (dir, members) in &roots {
        let own = builds.get(dir).is_some_and(|b| b.kotlin);
        let kotlin_members = members
            .iter()
            .filter(|m| builds.get(*m).is_some_and(|b| b.kotlin))
            .count();
        let java_members = members.len() - kotlin_members;
        scan.project(Project {
            path: dir.clone(),
            stack: stack(own || kotlin_members > java_members),
            package_manager: PackageManager::Gradle,
            test_command: (!covered.contains(dir)).then(|| command(dir)),
        });
        for member in members {
            scan.project(Project {
                path: member.clone(),
                stack: stack(builds.get(member).is_some_and(|b| b.kotlin)),
                package_manager: PackageManager::Gradle,
                test_command: None,
            });
        }
    }
    for (dir, build) in &builds {
        if roots.contains_key(dir) {
            continue;
        }
        let member = covered.contains(dir);
        scan.project(Project {
            path: dir.clone(),
            stack: stack(build.kotlin),
            package_manager: PackageManager::Gradle,
            test_command: (!member).then(|| command(dir)),
        });
    }
}

/// Parses a settings script (Groovy or Kotlin DSL).
pub fn parse_settings(text: &str) -> Settings {
    let code = strip_comments(text);
    let mut out = Settings::default();
    let mut project_dirs: BTreeMap<String, String> = BTreeMap::new();
    for at in word_positions(&code, "project") {
        // project(":x").projectDir = file("path")
        let rest = &code[at..];
        let Some((name, after)) = call_string(rest) else {
            continue;
        };
        let after = after.trim_start();
        let Some(after) = after.strip_prefix(").projectDir") else {
            continue;
        };
        let after = after.trim_start();
        let Some(after) = after.strip_prefix('=') else {
            continue;
        };
        let line = after.lines().next().unwrap_or("");
        if let Some(path) = last_string(line) {
            project_dirs.insert(gradle_path_to_dir(&name), path);
        }
    }
    // Sets beside the lists keep file order without a linear search per include.
    let mut seen: HashSet<String> = HashSet::new();
    for at in word_positions(&code, "include") {
        for name in string_list(&code[at..]) {
            let dir = gradle_path_to_dir(&name);
            let dir = project_dirs.get(&dir).cloned().unwrap_or(dir);
            if !dir.is_empty() && seen.insert(dir.clone()) {
                out.projects.push(dir);
            }
        }
    }
    let mut seen: HashSet<String> = HashSet::new();
    for at in word_positions(&code, "includeBuild") {
        if let Some(first) = string_list(&code[at..]).into_iter().next()
            && seen.insert(first.clone())
        {
            out.included_builds.push(first);
        }
    }
    out
}

/// Parses a build script (Groovy or Kotlin DSL); `kotlin_aliases` are catalog plugin aliases
/// that apply Kotlin (`kotlin.jvm`).
pub fn parse_build(text: &str, kotlin_aliases: &BTreeSet<String>) -> Build {
    let code = strip_comments(text);
    let kotlin = code.contains("kotlin(\"")
        || code.contains("org.jetbrains.kotlin")
        || code.contains("plugin: 'kotlin")
        || code.contains("plugin: \"kotlin")
        || code.contains("libs.plugins.kotlin")
        || code.contains("`kotlin-dsl`")
        // Convention plugins from build-logic are named after what they apply
        // (`id("inventory.kotlin-conventions")`).
        || word_positions(&code, "id").into_iter().any(|at| {
            string_list(&code[at..])
                .first()
                .is_some_and(|id| id.contains("kotlin"))
        })
        || kotlin_aliases
            .iter()
            .any(|a| code.contains(&format!("libs.plugins.{a})")));
    let toolchain = ["JavaLanguageVersion.of(", "jvmToolchain("]
        .iter()
        .flat_map(|needle| code.match_indices(needle).map(|(i, n)| i + n.len()))
        .min()
        .and_then(|at| leading_number(code[at..].trim_start().trim_start_matches(['"', '\''])));
    let compat = || {
        ["sourceCompatibility", "targetCompatibility"]
            .iter()
            .find_map(|word| {
                word_positions(&code, word)
                    .into_iter()
                    .find_map(|at| compatibility_value(&code[at + word.len()..]))
            })
    };
    Build {
        kotlin,
        java: toolchain.or_else(compat),
    }
}

/// The Gradle version of a wrapper's `gradle-wrapper.properties`, from its `distributionUrl`
/// (`…/distributions/gradle-8.7-bin.zip` → `8.7`).
pub fn parse_wrapper_version(text: &str) -> Option<String> {
    let url = text.lines().find_map(|l| {
        let (k, v) = l.split_once(['=', ':'])?;
        (k.trim() == "distributionUrl").then_some(v.trim())
    })?;
    let name = url.rsplit('/').next()?;
    let rest = name.strip_prefix("gradle-")?;
    let version: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .collect();
    let version = version
        .trim_end_matches(".zip")
        .trim_end_matches("-bin")
        .trim_end_matches("-all");
    version
        .starts_with(|c: char| c.is_ascii_digit())
        .then(|| version.to_owned())
}

/// The leading version characters of `s` (`8.5.2"` → `8.5.2`).
fn version_prefix(s: &str) -> Option<String> {
    let v: String = s
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        .collect();
    v.starts_with(|c: char| c.is_ascii_digit()).then_some(v)
}

/// The Android Gradle plugin version a build script names: the buildscript classpath
/// `com.android.tools.build:gradle:8.5.2`, or `id("com.android.application") version "8.5.2"`.
pub fn parse_agp_version(text: &str) -> Option<String> {
    let code = strip_comments(text);
    if let Some((_, rest)) = code.split_once("com.android.tools.build:gradle:")
        && let Some(v) = version_prefix(rest)
    {
        return Some(v);
    }
    code.lines().find_map(|line| {
        let at = line
            .find("com.android.application")
            .or_else(|| line.find("com.android.library"))?;
        let after = &line[at..];
        let (_, rest) = after.split_once("version")?;
        version_prefix(rest.trim_start().trim_start_matches(['"', '\'', '(', ' ']))
    })
}

/// The Android Gradle plugin version of a version catalog: a `com.android.*` plugin or the
/// `com.android.tools.build:gradle` library, with `version` or `version.ref`.
pub fn parse_catalog_agp(text: &str) -> Option<String> {
    let doc: toml::Table = toml::from_str(text).ok()?;
    let versions = doc.get("versions").and_then(toml::Value::as_table);
    let version_of = |entry: &toml::Table| -> Option<String> {
        match entry.get("version")? {
            toml::Value::String(v) => Some(v.clone()),
            toml::Value::Table(t) => {
                let key = t.get("ref")?.as_str()?;
                versions?.get(key)?.as_str().map(str::to_owned)
            }
            _ => None,
        }
    };
    let plugins = doc.get("plugins").and_then(toml::Value::as_table);
    let libraries = doc.get("libraries").and_then(toml::Value::as_table);
    for entry in plugins.into_iter().flat_map(|t| t.values()) {
        match entry {
            toml::Value::String(s) if s.starts_with("com.android.") => {
                if let Some((_, v)) = s.split_once(':') {
                    return Some(v.to_owned());
                }
            }
            toml::Value::Table(t)
                if t.get("id")
                    .and_then(toml::Value::as_str)
                    .is_some_and(|id| id.starts_with("com.android.")) =>
            {
                if let Some(v) = version_of(t) {
                    return Some(v);
                }
            }
            _ => {}
        }
    }
    for entry in libraries.into_iter().flat_map(|t| t.values()) {
        match entry {
            toml::Value::String(s) => {
                if let Some(v) = s.strip_prefix("com.android.tools.build:gradle:") {
                    return Some(v.to_owned());
                }
            }
            toml::Value::Table(t) => {
                let module = t
                    .get("module")
                    .and_then(toml::Value::as_str)
                    .map(str::to_owned)
                    .or_else(|| {
                        Some(format!(
                            "{}:{}",
                            t.get("group")?.as_str()?,
                            t.get("name")?.as_str()?
                        ))
                    });
                if module.as_deref() == Some("com.android.tools.build:gradle")
                    && let Some(v) = version_of(t)
                {
                    return Some(v);
                }
            }
            _ => {}
        }
    }
    None
}

/// The Kotlin plugin aliases of a version catalog, in accessor form (`kotlin-jvm` →
/// `kotlin.jvm`).
pub fn parse_catalog(text: &str) -> Result<Vec<String>, String> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| {
        format!(
            "not valid TOML: {}",
            e.message().trim_end_matches('.').to_lowercase()
        )
    })?;
    let mut out = Vec::new();
    if let Some(toml::Value::Table(plugins)) = doc.get("plugins") {
        for (alias, value) in plugins {
            let id = match value {
                toml::Value::String(s) => s.split(':').next().unwrap_or(""),
                toml::Value::Table(t) => t.get("id").and_then(toml::Value::as_str).unwrap_or(""),
                _ => "",
            };
            if id.starts_with("org.jetbrains.kotlin") {
                out.push(alias.replace(['-', '_'], "."));
            }
        }
    }
    Ok(out)
}

/// `:services:api` → `services/api`; `app` → `app`.
pub fn gradle_path_to_dir(path: &str) -> String {
    path.split(':')
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

/// Comments in Groovy and Kotlin build scripts; strings use either quote.
const GRADLE_SYNTAX: CommentSyntax = CommentSyntax {
    quotes: &['"', '\''],
    trailing_commas: false,
};

/// Build-script text without comments (line breaks kept).
fn strip_comments(text: &str) -> String {
    manifest::strip_comments(text, GRADLE_SYNTAX)
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

/// Byte offsets where `word` occurs as a whole identifier.
fn word_positions(code: &str, word: &str) -> Vec<usize> {
    code.match_indices(word)
        .filter(|(i, _)| {
            let before = code[..*i].chars().next_back();
            let after = code[i + word.len()..].chars().next();
            !before.is_some_and(|c| is_ident(c) || c == '.') && !after.is_some_and(is_ident)
        })
        .map(|(i, _)| i)
        .collect()
}

/// Reads a string literal at the start of `s` (after whitespace); returns it and the rest.
fn string_at(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start();
    let q = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &s[1..];
    let end = body.find([q, '\n'])?;
    if !body[end..].starts_with(q) {
        return None;
    }
    Some((body[..end].to_owned(), &body[end + 1..]))
}

/// For `word("x")…` or `word('x')…` at the start of `s`: the string and what follows it.
fn call_string(s: &str) -> Option<(String, &str)> {
    let s = s.trim_start_matches(is_ident).trim_start();
    let s = s.strip_prefix('(')?;
    string_at(s)
}

/// The strings after a call word: `include(":a", ":b")`, `include ':a', ':b'`, `include(
/// "a",\n "b")`; stops at the first token that is not a string.
fn string_list(s: &str) -> Vec<String> {
    let mut rest = s.trim_start_matches(is_ident);
    let trimmed = rest.trim_start();
    rest = trimmed.strip_prefix('(').unwrap_or(
        // Groovy's command syntax needs the first argument on the same line.
        if rest.starts_with([' ', '\t']) {
            trimmed
        } else {
            ""
        },
    );
    let mut out = Vec::new();
    while let Some((value, after)) = string_at(rest) {
        out.push(value);
        match after.trim_start().strip_prefix(',') {
            Some(next) => rest = next,
            None => break,
        }
    }
    out
}

/// The last string literal on a line (`file("path")`, `new File(settingsDir, 'path')`).
fn last_string(line: &str) -> Option<String> {
    let mut found = None;
    let mut rest = line;
    while let Some(i) = rest.find(['"', '\'']) {
        match string_at(&rest[i..]) {
            Some((value, after)) => {
                found = Some(value);
                rest = after;
            }
            None => break,
        }
    }
    found
}

fn leading_number(s: &str) -> Option<String> {
    let n: String = s
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let n = n.trim_end_matches('.');
    (!n.is_empty() && n.starts_with(|c: char| c.is_ascii_digit())).then(|| n.to_owned())
}

/// The value after `sourceCompatibility`: `= JavaVersion.VERSION_17`, `= '17'`, ` = 1.8`,
/// `.set(JavaVersion.VERSION_21)`.
fn compatibility_value(s: &str) -> Option<String> {
    let s = s.trim_start();
    let s = s
        .strip_prefix('=')
        .or_else(|| s.strip_prefix(".set("))
        .unwrap_or(s)
        .trim_start();
    let raw = if let Some(v) = s.strip_prefix("JavaVersion.VERSION_") {
        let v: String = v
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '_')
            .collect();
        v.replace('_', ".")
    } else {
        leading_number(s.trim_start_matches(['"', '\'']))?
    };
    let v = raw
        .strip_prefix("1.")
        .filter(|r| !r.contains('.'))
        .unwrap_or(&raw);
    leading_number(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrapper_and_android_plugin_versions() {
        let props = "distributionBase=GRADLE_USER_HOME\ndistributionUrl=https\\://services.gradle.org/distributions/gradle-8.7-bin.zip\n";
        assert_eq!(parse_wrapper_version(props).as_deref(), Some("8.7"));
        assert_eq!(
            parse_wrapper_version("distributionUrl=https://x/gradle-7.6.4-all.zip").as_deref(),
            Some("7.6.4")
        );
        assert_eq!(parse_wrapper_version("foo=bar"), None);
        assert_eq!(
            parse_agp_version(
                "buildscript { dependencies { classpath 'com.android.tools.build:gradle:7.4.2' } }"
            )
            .as_deref(),
            Some("7.4.2")
        );
        assert_eq!(
            parse_agp_version(
                "plugins {\n  id(\"com.android.application\") version \"8.5.2\" apply false\n}"
            )
            .as_deref(),
            Some("8.5.2")
        );
        assert_eq!(parse_agp_version("plugins { id 'java' }"), None);
        let catalog = "[versions]\nagp = \"8.6.0\"\n[plugins]\nandroid-application = { id = \"com.android.application\", version.ref = \"agp\" }\n";
        assert_eq!(parse_catalog_agp(catalog).as_deref(), Some("8.6.0"));
        let library = "[libraries]\nagp = { module = \"com.android.tools.build:gradle\", version = \"8.1.0\" }\n";
        assert_eq!(parse_catalog_agp(library).as_deref(), Some("8.1.0"));
        assert_eq!(
            parse_catalog_agp("[plugins]\nk = \"org.jetbrains.kotlin.jvm:2.0.0\"\n"),
            None
        );
    }

    #[test]
    fn twenty_thousand_includes_are_kept_once_each_in_file_order() {
        let mut text = String::new();
        for i in (0..20_000).rev() {
            text.push_str(&format!("include(\":m{i}\")\ninclude ':m{i}'\n"));
        }
        text.push_str("includeBuild('a')\nincludeBuild('a')\n");
        let settings = parse_settings(&text);
        assert_eq!(settings.projects.len(), 20_000);
        assert_eq!(
            settings.projects.first().map(String::as_str),
            Some("m19999")
        );
        assert_eq!(settings.projects.last().map(String::as_str), Some("m0"));
        assert_eq!(settings.included_builds, vec!["a"]);
    }
    use proptest::prelude::*;

    #[test]
    fn kotlin_dsl_settings() {
        let text = r#"
pluginManagement { includeBuild("build-logic") }
rootProject.name = "shop"
// include(":old")
include(":app", ":lib")
include(
    ":services:api", /* the HTTP API */
    ":services:worker",
)
include(":docs")
project(":docs").projectDir = file("documentation")
"#;
        let s = parse_settings(text);
        assert_eq!(
            s.projects,
            vec![
                "app",
                "lib",
                "services/api",
                "services/worker",
                "documentation"
            ]
        );
        assert_eq!(s.included_builds, vec!["build-logic"]);
    }

    #[test]
    fn groovy_settings() {
        let text = "rootProject.name = 'shop'\ninclude 'core', ':web',\n        'cli'\ninclude('a:b')\nincludeFlat 'sibling'\n\
                    project(':cli').projectDir = new File(settingsDir, 'tools/cli')\n";
        let s = parse_settings(text);
        assert_eq!(s.projects, vec!["core", "web", "tools/cli", "a/b"]);
    }

    #[test]
    fn build_scripts_kotlin_and_java_versions() {
        let none = BTreeSet::new();
        let kts =
            "plugins {\n  kotlin(\"jvm\") version \"1.9.22\"\n}\nkotlin { jvmToolchain(17) }\n";
        assert_eq!(
            parse_build(kts, &none),
            Build {
                kotlin: true,
                java: Some("17".into())
            }
        );
        let groovy = "plugins { id 'java' }\njava {\n  toolchain {\n    languageVersion = JavaLanguageVersion.of(21)\n  }\n}\nsourceCompatibility = '11'\n";
        assert_eq!(
            parse_build(groovy, &none),
            Build {
                kotlin: false,
                java: Some("21".into())
            }
        );
        let old = "apply plugin: 'java'\nsourceCompatibility = JavaVersion.VERSION_1_8\n";
        assert_eq!(parse_build(old, &none).java.as_deref(), Some("8"));
        let plain = "java { sourceCompatibility = 1.8; targetCompatibility = 1.8 }";
        assert_eq!(parse_build(plain, &none).java.as_deref(), Some("8"));
        assert!(parse_build("plugins { id 'acme.kotlin-library' }", &none).kotlin);
        assert!(parse_build("plugins {\n    `kotlin-dsl`\n}", &none).kotlin);
        let commented = "// kotlin(\"jvm\")\nplugins { java }";
        assert!(!parse_build(commented, &none).kotlin);
        let aliases: BTreeSet<String> = ["kt.jvm".to_owned()].into();
        assert!(parse_build("plugins { alias(libs.plugins.kt.jvm) }", &aliases).kotlin);
    }

    #[test]
    fn catalogs() {
        let text = "[versions]\nkotlin = \"1.9.22\"\n[plugins]\nkotlin-jvm = { id = \"org.jetbrains.kotlin.jvm\", version.ref = \"kotlin\" }\nspring = \"org.springframework.boot:3.2.0\"\n";
        assert_eq!(parse_catalog(text).expect("valid"), vec!["kotlin.jvm"]);
        assert!(parse_catalog("[plugins\n").is_err());
    }

    #[test]
    fn gradle_paths() {
        assert_eq!(gradle_path_to_dir(":services:api"), "services/api");
        assert_eq!(gradle_path_to_dir("app"), "app");
        assert_eq!(gradle_path_to_dir(":"), "");
    }

    proptest! {
        #[test]
        fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = parse_settings(&text);
            let _ = parse_build(&text, &BTreeSet::new());
            let _ = parse_catalog(&text);
        }

        #[test]
        fn parsers_never_panic_on_dsl_soup(text in "(include|includeBuild|project|projectDir|=|\\(|\\)|\"|'|:|,|\n| |/|\\*|file|jvmToolchain|JavaLanguageVersion.of|sourceCompatibility|JavaVersion.VERSION_|1|_|é)*") {
            let _ = parse_settings(&text);
            let _ = parse_build(&text, &BTreeSet::new());
        }
    }
}
