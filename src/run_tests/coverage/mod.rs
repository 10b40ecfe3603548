//! Line coverage from lcov, Cobertura, JaCoCo and Go coverprofile files.
//!
//! Each format is one file with a `parse` that streams its input and returns
//! [`CoverageData`]: per-file lines (Go: blocks) wherever the format has them, so shards that
//! each measure the whole tree merge by union ([`lines`]). [`Format::sniff`] picks the format
//! from the first bytes when the user does not say. Line coverage percent = 100 × covered /
//! total.

pub mod cobertura;
pub mod goprofile;
pub mod jacoco;
pub mod lcov;
pub mod lines;

use std::io::BufRead;

pub use lines::CoverageData;

use super::parse::ParseError;
use super::xml::{self, Node};

/// A coverage format; the kebab-case id is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Decide from the content.
    Auto,
    /// lcov tracefile (`SF:`, `DA:`, `LH:`, `LF:`).
    Lcov,
    /// Cobertura XML (coverage.py, Istanbul, gcovr, cargo-llvm-cov).
    Cobertura,
    /// JaCoCo XML (`jacocoTestReport.xml`).
    Jacoco,
    /// Go coverprofile (`go test -coverprofile`).
    Go,
}

impl Format {
    /// The format of a file that starts with `head`.
    pub fn sniff(head: &[u8]) -> Self {
        let text = String::from_utf8_lossy(head);
        let text = text.trim_start_matches('\u{feff}').trim_start();
        if text.starts_with("mode:") {
            Self::Go
        } else if text.starts_with('<') {
            if text.contains("<report") || text.contains("JACOCO") {
                Self::Jacoco
            } else {
                Self::Cobertura
            }
        } else {
            Self::Lcov
        }
    }
}

/// Reads coverage in `format` (sniffed from the content for [`Format::Auto`]).
pub fn parse<R: BufRead>(mut input: R, format: Format) -> Result<CoverageData, ParseError> {
    let format = match format {
        Format::Auto => {
            let head = input.fill_buf().map_err(ParseError::io)?;
            let head = head[..head.len().min(4096)].to_vec();
            Format::sniff(&head)
        }
        f => f,
    };
    match format {
        Format::Auto | Format::Lcov => lcov::parse(input),
        Format::Cobertura => cobertura::parse(input),
        Format::Jacoco => jacoco::parse(input),
        Format::Go => goprofile::parse(input),
    }
}

/// Walks an XML coverage report whose root element must be `root` (`what` names the format in
/// the error), handing `f` the root and the elements named in `wanted`. This is the one root
/// check of the XML coverage formats.
pub(crate) fn walk_report<R: BufRead, F: FnMut(Node<'_>) -> Result<(), String>>(
    input: R,
    root: &str,
    what: &str,
    wanted: &[&str],
    f: F,
) -> Result<(), ParseError> {
    struct Report<'a, F> {
        root: &'a str,
        what: &'a str,
        wanted: &'a [&'a str],
        root_seen: bool,
        f: F,
    }
    impl<F: FnMut(Node<'_>) -> Result<(), String>> xml::Visitor for Report<'_, F> {
        fn wants(&self, name: &str) -> bool {
            self.wanted.contains(&name)
        }
        fn node(&mut self, node: Node<'_>) -> Result<(), String> {
            if !self.root_seen
                && let Node::Open { name, .. } = &node
            {
                self.root_seen = true;
                if *name != self.root {
                    return Err(format!(
                        "not a {}: the root is `<{name}>`, not `<{}>`",
                        self.what, self.root
                    ));
                }
            }
            (self.f)(node)
        }
    }
    let mut v = Report {
        root,
        what,
        wanted,
        root_seen: false,
        f,
    };
    xml::walk_with(input, &mut v).map_err(ParseError::xml)
}
