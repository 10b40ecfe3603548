//! `gradle.lockfile` (<https://docs.gradle.org/current/userguide/dependency_locking.html>):
//! one `group:artifact:version=configurations` per line; `empty=` lists configurations
//! without dependencies.

use super::{Malformed, Package, Parsed};
use crate::security::deps::Ecosystem;

pub fn read(text: &str) -> Result<Parsed, Malformed> {
    let mut out = Parsed::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("empty=") {
            continue;
        }
        let coords = line.split('=').next().unwrap_or(line);
        let parts: Vec<&str> = coords.split(':').collect();
        let [group, artifact, version] = parts.as_slice() else {
            return Err(Malformed::at(
                i + 1,
                "expected `group:artifact:version=configurations`",
            ));
        };
        if group.is_empty() || artifact.is_empty() || version.is_empty() {
            return Err(Malformed::at(
                i + 1,
                "expected `group:artifact:version=configurations`",
            ));
        }
        out.packages.push(Package {
            ecosystem: Ecosystem::Maven,
            name: format!("{group}:{artifact}"),
            version: (*version).to_owned(),
            line: u32::try_from(i + 1).ok(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_and_bad_lines() {
        let text = "# This is a Gradle generated file for dependency locking.\norg.apache.logging.log4j:log4j-core:2.14.1=compileClasspath,runtimeClasspath\nempty=annotationProcessor\n";
        let p = read(text).unwrap().packages;
        assert_eq!(
            (p[0].name.as_str(), p[0].version.as_str(), p[0].line),
            ("org.apache.logging.log4j:log4j-core", "2.14.1", Some(2))
        );
        assert_eq!(read("a:b\n").unwrap_err().line, Some(1));
    }
}
