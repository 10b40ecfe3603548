//! Lockfile readers: one module per format, each turning a file's text into the packages it
//! pins. A reader never panics; a file it cannot read is a [`Malformed`] naming the line.

use super::Ecosystem;

pub mod bun;
pub mod cargo;
pub mod composer;
pub mod gemfile;
pub mod go;
pub mod gradle;
pub mod npm;
pub mod nuget;
pub mod pipfile;
pub mod pnpm;
pub mod python;
pub mod requirements;
mod yaml;
pub mod yarn;

/// One pinned package.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Package {
    pub ecosystem: Ecosystem,
    /// As the ecosystem names it: `@scope/name`, `group:artifact`, a Go module path.
    pub name: String,
    /// As the lockfile writes it.
    pub version: String,
    /// 1-based line of the package's entry, when the format allows.
    pub line: Option<u32>,
}

/// What a reader found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub packages: Vec<Package>,
    /// Entries read but not checked (an unpinned requirement), with their line.
    pub notes: Vec<(Option<u32>, String)>,
    /// Each package's licence, when the file records licences (see `licenses_recorded`).
    pub licenses: Vec<Licensed>,
    /// True when the file records licences: then a package without one is "unknown", not
    /// "not recorded".
    pub licenses_recorded: bool,
}

/// A package's licence as its lockfile entry records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Licensed {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    /// 1-based line of the package's entry.
    pub line: Option<u32>,
    /// The SPDX expression as written; `None` when the entry has none.
    pub license: Option<String>,
}

/// A file the reader could not make sense of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub line: Option<u32>,
    pub reason: String,
}

impl Malformed {
    pub(crate) fn at(line: usize, reason: impl Into<String>) -> Self {
        Self {
            line: u32::try_from(line).ok().filter(|l| *l > 0),
            reason: reason.into(),
        }
    }

    pub(crate) fn json(e: &serde_json::Error) -> Self {
        Self::at(e.line(), format!("invalid JSON: {e}"))
    }

    pub(crate) fn toml(text: &str, e: &toml::de::Error) -> Self {
        let line = e.span().map_or(0, |s| line_of(text, s.start));
        Self::at(line, format!("invalid TOML: {}", e.message()))
    }
}

/// A lockfile format, recognised by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Cargo,
    Npm,
    Yarn,
    Pnpm,
    Bun,
    Poetry,
    Uv,
    Pipfile,
    Requirements,
    GoMod,
    GoSum,
    Gemfile,
    Composer,
    NuGet,
    Gradle,
}

impl Format {
    /// The format of a file called `name`, if it is a lockfile.
    pub fn detect(name: &str) -> Option<Self> {
        Some(match name {
            "Cargo.lock" => Self::Cargo,
            "package-lock.json" | "npm-shrinkwrap.json" => Self::Npm,
            "yarn.lock" => Self::Yarn,
            "pnpm-lock.yaml" => Self::Pnpm,
            "bun.lock" => Self::Bun,
            "poetry.lock" => Self::Poetry,
            "uv.lock" => Self::Uv,
            "Pipfile.lock" => Self::Pipfile,
            "go.mod" => Self::GoMod,
            "go.sum" => Self::GoSum,
            "Gemfile.lock" | "gems.locked" => Self::Gemfile,
            "composer.lock" => Self::Composer,
            "packages.lock.json" => Self::NuGet,
            n if n.starts_with("requirements") && n.ends_with(".txt") => Self::Requirements,
            n if n.ends_with("gradle.lockfile") => Self::Gradle,
            _ => return None,
        })
    }

    /// Reads the packages from a file's bytes.
    pub fn read(self, bytes: &[u8]) -> Result<Parsed, Malformed> {
        let text = std::str::from_utf8(bytes).map_err(|e| {
            Malformed::at(
                line_of_bytes(bytes, e.valid_up_to()),
                "not UTF-8 text: a lockfile is always text",
            )
        })?;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        match self {
            Self::Cargo => cargo::read(text),
            Self::Npm => npm::read(text),
            Self::Yarn => yarn::read(text),
            Self::Pnpm => pnpm::read(text),
            Self::Bun => bun::read(text),
            Self::Poetry | Self::Uv => python::read(text),
            Self::Pipfile => pipfile::read(text),
            Self::Requirements => requirements::read(text),
            Self::GoMod => go::read_mod(text),
            Self::GoSum => go::read_sum(text),
            Self::Gemfile => gemfile::read(text),
            Self::Composer => composer::read(text),
            Self::NuGet => nuget::read(text),
            Self::Gradle => gradle::read(text),
        }
    }
}

/// The packages as `(name, version, line)`, for tests.
#[cfg(test)]
pub(crate) fn listed(packages: &[Package]) -> Vec<(&str, &str, Option<u32>)> {
    packages
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.line))
        .collect()
}

/// 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    line_of_bytes(text.as_bytes(), offset)
}

fn line_of_bytes(bytes: &[u8], offset: usize) -> usize {
    let end = offset.min(bytes.len());
    bytes[..end].iter().filter(|b| **b == b'\n').count() + 1
}

/// The line of the first occurrence of `needle` at or after byte `from`.
pub(crate) fn find_line(text: &str, needle: &str, from: usize) -> Option<u32> {
    let start = from.min(text.len());
    let at = text.get(start..)?.find(needle)? + start;
    u32::try_from(line_of(text, at)).ok()
}

/// Removes one layer of `"` or `'` quotes.
pub(crate) fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

/// Whether a version string looks like a version (starts with a digit, or `v` and a digit).
pub(crate) fn looks_like_version(v: &str) -> bool {
    let v = v.strip_prefix('v').unwrap_or(v);
    v.starts_with(|c: char| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_recognised_by_name() {
        assert_eq!(Format::detect("Cargo.lock"), Some(Format::Cargo));
        assert_eq!(
            Format::detect("requirements-dev.txt"),
            Some(Format::Requirements)
        );
        assert_eq!(
            Format::detect("buildscript-gradle.lockfile"),
            Some(Format::Gradle)
        );
        assert_eq!(Format::detect("package.json"), None);
    }

    #[test]
    fn invalid_utf8_names_the_line() {
        let err = Format::Cargo.read(b"# ok\n\xff\xfe").unwrap_err();
        assert_eq!(err.line, Some(2));
    }
}
