//! Maven: `pom.xml`, multi-module builds and the `mvnw` wrapper.
//!
//! Every `pom.xml` is a project (`maven`). A pom that no other pom lists in `<modules>` is a
//! build root: it gets `mvn -B verify` (`./mvnw -B verify` when the wrapper sits beside it), which
//! builds and tests the whole reactor. Modules, including nested aggregators and modules named
//! only inside a `<profile>`, are subprojects without a command of their own: the root's reactor
//! already covers them, and building one alone would miss its siblings' artifacts. `verify`
//! rather than `test` so integration tests (failsafe) and packaging checks run too.
//!
//! Stack: Kotlin when the `kotlin-maven-plugin` is configured, Java otherwise.
//!
//! Toolchain (`java`, [`Source::Manifest`]), the first of: the `maven.compiler.release`,
//! `java.version` (Spring Boot's convention), `maven.compiler.source`, `maven.compiler.target`
//! properties, then `<release>`, `<source>` in the maven-compiler-plugin configuration.
//! `${…}` references to the pom's own properties are resolved; `1.8` becomes `8`, the form
//! setup-java takes.
//!
//! Format: <https://maven.apache.org/pom.html>,
//! <https://maven.apache.org/plugins/maven-compiler-plugin/compile-mojo.html>.

pub mod xml;

use std::collections::{BTreeMap, BTreeSet};

use super::{Language, PackageManager, Project, Scan, Source, dir_of, join, normalize};

/// True for file names this ecosystem reads.
pub fn interesting(file_name: &str) -> bool {
    matches!(file_name, "pom.xml" | "mvnw")
}

/// What detection needs from one pom.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pom {
    /// `<module>` entries, as written (directories, or pom files).
    pub modules: Vec<String>,
    /// `<properties>`.
    pub properties: BTreeMap<String, String>,
    /// `<release>` of the maven-compiler-plugin configuration.
    pub compiler_release: Option<String>,
    /// `<source>` of the maven-compiler-plugin configuration.
    pub compiler_source: Option<String>,
    /// True when the kotlin-maven-plugin is configured.
    pub kotlin: bool,
    /// The maven-enforcer `requireJavaVersion` rule's `<version>` as written (`[17,)`).
    pub enforcer_java: Option<String>,
}

impl Pom {
    /// The Java version this pom compiles for, normalised (`1.8` → `8`).
    pub fn java_version(&self) -> Option<String> {
        let from_props = [
            "maven.compiler.release",
            "java.version",
            "maven.compiler.source",
            "maven.compiler.target",
        ]
        .iter()
        .find_map(|k| self.properties.get(*k));
        let raw = from_props
            .or(self.compiler_release.as_ref())
            .or(self.compiler_source.as_ref())?;
        let resolved = self.resolve(raw)?;
        let v = resolved.trim();
        let v = v
            .strip_prefix("1.")
            .filter(|r| !r.contains('.'))
            .unwrap_or(v);
        (!v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.')).then(|| v.to_owned())
    }

    /// The Java range the maven-enforcer plugin requires to run the build (`[17,)`, `17`),
    /// with `${…}` references resolved; `None` without the rule or when it cannot be resolved.
    pub fn required_java(&self) -> Option<String> {
        let mut v = self.enforcer_java.as_deref()?.trim().to_owned();
        // References may sit inside a range (`[${java.min},)`).
        for _ in 0..4 {
            let Some(start) = v.find("${") else {
                return Some(v);
            };
            let end = start + v[start..].find('}')?;
            let value = self.properties.get(&v[start + 2..end])?.trim().to_owned();
            v.replace_range(start..=end, &value);
        }
        (!v.contains("${")).then_some(v)
    }

    /// Resolves `${prop}` references to this pom's properties (a few levels deep).
    fn resolve(&self, value: &str) -> Option<String> {
        let mut v = value.trim().to_owned();
        for _ in 0..4 {
            let Some(name) = v.strip_prefix("${").and_then(|r| r.strip_suffix('}')) else {
                return Some(v);
            };
            v = self.properties.get(name)?.trim().to_owned();
        }
        None
    }
}

/// Reads this ecosystem's files and reports into the scan.
pub fn scan(scan: &mut Scan<'_>) {
    let index = scan.index();
    let mut poms: Vec<(&str, Pom)> = Vec::new();
    for rel in index.named("pom.xml") {
        let pom = match scan.read(rel) {
            Some(text) => match parse(&text) {
                Ok(pom) => pom,
                Err(message) => {
                    scan.warn(rel, message);
                    Pom::default()
                }
            },
            None => Pom::default(),
        };
        poms.push((rel, pom));
    }
    let mut members: BTreeSet<String> = BTreeSet::new();
    for (rel, pom) in &poms {
        for module in &pom.modules {
            let target = join(dir_of(rel), module);
            let dir = if target.ends_with(".xml") {
                dir_of(&target).to_owned()
            } else {
                target
            };
            if let Some(dir) = normalize(&dir)
                && dir != dir_of(rel)
            {
                members.insert(dir);
            }
        }
    }
    for (rel, pom) in &poms {
        let dir = dir_of(rel);
        let test_command = (!members.contains(dir)).then(|| {
            if index.has(dir, "mvnw") {
                "./mvnw -B verify".to_owned()
            } else {
                "mvn -B verify".to_owned()
            }
        });
        scan.project(Project {
            path: dir.to_owned(),
            stack: if pom.kotlin {
                Language::Kotlin
            } else {
                Language::Java
            },
            package_manager: PackageManager::Maven,
            test_command,
        });
        if let Some(v) = pom.java_version() {
            scan.toolchain("java", &v, Source::Manifest, rel);
        }
    }
}

/// Parses a pom with a streaming reader.
pub fn parse(text: &str) -> Result<Pom, String> {
    let mut pom = Pom::default();
    let mut root: Option<String> = None;
    let mut plugin_artifact: Option<String> = None;
    xml::walk(text, |node| match node {
        xml::Node::Open { path, .. } => {
            if path.len() == 1 {
                root = Some(path[0].clone());
            }
            if path.last().is_some_and(|n| n == "plugin") {
                plugin_artifact = None;
            }
        }
        xml::Node::Text { path, text } => {
            let p: Vec<&str> = path.iter().map(String::as_str).collect();
            match p.as_slice() {
                ["project", "modules", "module"]
                | ["project", "profiles", "profile", "modules", "module"] => {
                    pom.modules.push(text.to_owned());
                }
                ["project", "properties", name] => {
                    pom.properties.insert((*name).to_owned(), text.to_owned());
                }
                ["project", "build", .., "plugin", "artifactId"] => {
                    if text == "kotlin-maven-plugin" {
                        pom.kotlin = true;
                    }
                    plugin_artifact = Some(text.to_owned());
                }
                [.., "requireJavaVersion", "version"]
                    if p.first() == Some(&"project") && pom.enforcer_java.is_none() =>
                {
                    pom.enforcer_java = Some(text.to_owned());
                }
                ["project", "build", .., "plugin", "configuration", field]
                    if plugin_artifact.as_deref() == Some("maven-compiler-plugin") =>
                {
                    match *field {
                        "release" => pom.compiler_release = Some(text.to_owned()),
                        "source" => pom.compiler_source = Some(text.to_owned()),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
    })?;
    match root.as_deref() {
        Some("project") => Ok(pom),
        Some(other) => Err(format!(
            "the root element is `<{other}>`, not `<project>`; is this a pom?"
        )),
        None => Err("not valid XML: no root element".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PARENT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <packaging>pom</packaging>
  <modules>
    <module>core</module>
    <module>services</module>
  </modules>
  <profiles><profile><id>e2e</id><modules><module>e2e</module></modules></profile></profiles>
  <properties>
    <java.version>17</java.version>
    <maven.compiler.release>${java.version}</maven.compiler.release>
  </properties>
</project>"#;

    #[test]
    fn modules_and_properties() {
        let pom = parse(PARENT).expect("valid");
        assert_eq!(pom.modules, vec!["core", "services", "e2e"]);
        assert_eq!(pom.java_version().as_deref(), Some("17"));
        assert!(!pom.kotlin);
    }

    #[test]
    fn compiler_plugin_and_kotlin() {
        let text = r#"<project><build><plugins>
          <plugin><groupId>org.jetbrains.kotlin</groupId><artifactId>kotlin-maven-plugin</artifactId>
            <configuration><jvmTarget>17</jvmTarget></configuration></plugin>
          <plugin><artifactId>maven-compiler-plugin</artifactId>
            <configuration><source>1.8</source><target>1.8</target></configuration></plugin>
        </plugins></build></project>"#;
        let pom = parse(text).expect("valid");
        assert!(pom.kotlin);
        assert_eq!(pom.java_version().as_deref(), Some("8"));
    }

    #[test]
    fn the_enforcer_java_rule_is_read_with_properties() {
        let text = r#"<project><properties><jdk.min>17</jdk.min></properties><build><plugins>
          <plugin><artifactId>maven-enforcer-plugin</artifactId><executions><execution>
            <configuration><rules><requireJavaVersion><version>[${jdk.min},)</version>
            </requireJavaVersion></rules></configuration></execution></executions></plugin>
        </plugins></build></project>"#;
        let pom = parse(text).expect("valid");
        assert_eq!(pom.enforcer_java.as_deref(), Some("[${jdk.min},)"));
        assert_eq!(pom.required_java().as_deref(), Some("[17,)"));
        let plain = parse("<project><build><pluginManagement><plugins><plugin><configuration><rules><requireJavaVersion><version>${v}</version></requireJavaVersion></rules></configuration></plugin></plugins></pluginManagement></build><properties><v>[11,18)</v></properties></project>").expect("valid");
        assert_eq!(plain.required_java().as_deref(), Some("[11,18)"));
        assert_eq!(parse("<project/>").expect("valid").required_java(), None);
    }

    #[test]
    fn unresolvable_versions_are_dropped() {
        let pom = parse("<project><properties><maven.compiler.release>${jdk}</maven.compiler.release></properties></project>")
            .expect("valid");
        assert_eq!(pom.java_version(), None);
    }

    #[test]
    fn malformed_poms_are_errors() {
        assert!(parse("<project><modules></project>").is_err());
        assert!(parse("").is_err());
        assert!(parse("<settings/>").is_err());
        assert!(parse("\u{feff}<project/>").is_ok() || parse("<project/>").is_ok());
    }

    proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(pom) = parse(&String::from_utf8_lossy(&bytes)) {
                let _ = pom.java_version();
            }
        }

        #[test]
        fn parse_never_panics_on_pom_soup(text in "(<project>|</project>|<properties>|</properties>|<modules>|<module>|</module>|<java.version>|</java.version>|\\$\\{java.version\\}|1.8|<|>|/| )*") {
            if let Ok(pom) = parse(&text) {
                let _ = pom.java_version();
            }
        }
    }
}
