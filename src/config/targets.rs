//! `release.targets`: the target triples the release workflow builds executables for, where each
//! builds and how its linker is provided.
//!
//! A triple is known when rustc knows it (`rustc --print target-list` of the toolchain slipway
//! is built with, in `rustc-targets.txt`). The workflow can build a known triple only when it
//! is in [`SPECS`]: natively on a GitHub-hosted runner of that OS and architecture, with the
//! musl tools on Ubuntu, with the MSVC cross tools on Windows, or in a `cross` container.

/// The triples built when `release.targets` is not set.
pub const DEFAULT_TARGETS: [&str; 6] = [
    "x86_64-unknown-linux-gnu",
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

/// How the workflow gets a linker for a Rust target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linker {
    /// The runner's own toolchain (`rustup target add` for the triple).
    Native,
    /// Ubuntu's `musl-tools` (`musl-gcc`).
    Musl,
    /// A `cross` container image for the triple (Linux runner).
    Cross,
}

impl Linker {
    /// The matrix value the template switches on.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Native => "native",
            Self::Musl => "musl",
            Self::Cross => "cross",
        }
    }
}

/// One buildable target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spec {
    /// The triple, e.g. `aarch64-apple-darwin`.
    pub triple: &'static str,
    /// The GitHub-hosted runner label that builds it.
    pub runner: &'static str,
    /// Rust: how the linker is provided.
    pub linker: Linker,
    /// Go: `GOOS`.
    pub goos: &'static str,
    /// Go: `GOARCH`.
    pub goarch: &'static str,
    /// Go: `GOARM` (32-bit ARM only).
    pub goarm: &'static str,
}

impl Spec {
    /// `.exe` on Windows.
    pub fn exe(&self) -> &'static str {
        if self.goos == "windows" { ".exe" } else { "" }
    }

    /// The archive format: `zip` on Windows, else `tar.gz`.
    pub fn archive_ext(&self) -> &'static str {
        if self.goos == "windows" {
            "zip"
        } else {
            "tar.gz"
        }
    }

    /// True when the runner's OS and architecture are the target's (a C toolchain for cgo).
    pub fn native(&self) -> bool {
        self.linker == Linker::Native && !self.triple.starts_with("aarch64-pc-windows")
    }
}

const fn spec(
    triple: &'static str,
    runner: &'static str,
    linker: Linker,
    go: (&'static str, &'static str, &'static str),
) -> Spec {
    Spec {
        triple,
        runner,
        linker,
        goos: go.0,
        goarch: go.1,
        goarm: go.2,
    }
}

/// Every target the release workflow can build.
pub const SPECS: &[Spec] = &[
    spec(
        "x86_64-unknown-linux-gnu",
        "ubuntu-24.04",
        Linker::Native,
        ("linux", "amd64", ""),
    ),
    spec(
        "x86_64-unknown-linux-musl",
        "ubuntu-24.04",
        Linker::Musl,
        ("linux", "amd64", ""),
    ),
    spec(
        "aarch64-unknown-linux-gnu",
        "ubuntu-24.04-arm",
        Linker::Native,
        ("linux", "arm64", ""),
    ),
    spec(
        "aarch64-unknown-linux-musl",
        "ubuntu-24.04-arm",
        Linker::Musl,
        ("linux", "arm64", ""),
    ),
    spec(
        "armv7-unknown-linux-gnueabihf",
        "ubuntu-24.04",
        Linker::Cross,
        ("linux", "arm", "7"),
    ),
    spec(
        "armv7-unknown-linux-musleabihf",
        "ubuntu-24.04",
        Linker::Cross,
        ("linux", "arm", "7"),
    ),
    spec(
        "riscv64gc-unknown-linux-gnu",
        "ubuntu-24.04",
        Linker::Cross,
        ("linux", "riscv64", ""),
    ),
    spec(
        "x86_64-apple-darwin",
        "macos-15-intel",
        Linker::Native,
        ("darwin", "amd64", ""),
    ),
    spec(
        "aarch64-apple-darwin",
        "macos-14",
        Linker::Native,
        ("darwin", "arm64", ""),
    ),
    spec(
        "x86_64-pc-windows-msvc",
        "windows-latest",
        Linker::Native,
        ("windows", "amd64", ""),
    ),
    spec(
        "aarch64-pc-windows-msvc",
        "windows-latest",
        Linker::Native,
        ("windows", "arm64", ""),
    ),
];

/// Why a triple cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// rustc does not know it.
    Unknown {
        /// The closest known triple, if any is close.
        suggestion: Option<&'static str>,
    },
    /// rustc knows it, but the workflow has no runner nor linker for it.
    NoLinker,
}

/// The spec of `triple`, or why it cannot be built.
pub fn lookup(triple: &str) -> Result<&'static Spec, Problem> {
    if let Some(spec) = SPECS.iter().find(|s| s.triple == triple) {
        return Ok(spec);
    }
    let known = include_str!("rustc-targets.txt");
    if known.lines().any(|l| l == triple) {
        return Err(Problem::NoLinker);
    }
    let suggestion = known
        .lines()
        .map(|l| (strsim::levenshtein(l, triple), l))
        .filter(|(d, _)| *d <= 3)
        .min()
        .map(|(_, l)| l);
    Err(Problem::Unknown { suggestion })
}

/// The buildable triples, for hints.
pub fn buildable() -> String {
    SPECS
        .iter()
        .map(|s| format!("`{}`", s.triple))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_and_buildable_target_is_a_real_rustc_triple() {
        let known = include_str!("rustc-targets.txt");
        for spec in SPECS {
            assert!(known.lines().any(|l| l == spec.triple), "{}", spec.triple);
        }
        for t in DEFAULT_TARGETS {
            assert!(lookup(t).is_ok(), "{t}");
        }
    }

    #[test]
    fn unknown_triples_and_triples_without_a_linker_are_told_apart() {
        assert_eq!(
            lookup("x86_64-unknown-linux-mus"),
            Err(Problem::Unknown {
                suggestion: Some("x86_64-unknown-linux-musl")
            })
        );
        assert_eq!(lookup("pdp11"), Err(Problem::Unknown { suggestion: None }));
        assert_eq!(lookup("x86_64-unknown-freebsd"), Err(Problem::NoLinker));
        let mac = lookup("aarch64-apple-darwin").unwrap();
        assert_eq!(
            (mac.runner, mac.archive_ext(), mac.exe()),
            ("macos-14", "tar.gz", "")
        );
        let win = lookup("x86_64-pc-windows-msvc").unwrap();
        assert_eq!(
            (win.archive_ext(), win.exe(), win.goos),
            ("zip", ".exe", "windows")
        );
    }
}
