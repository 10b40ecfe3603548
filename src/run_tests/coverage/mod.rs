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
/// the error), handing every node to `f`.
pub(crate) fn walk_report<R: BufRead>(
    input: R,
    root: &str,
    what: &str,
    mut f: impl FnMut(Node<'_>) -> Result<(), String>,
) -> Result<(), ParseError> {
    let mut root_seen = false;
    xml::walk(input, |node| {
        if !root_seen && let Node::Open { name, .. } = &node {
            root_seen = true;
            if *name != root {
                return Err(format!(
                    "not a {what}: the root is `<{name}>`, not `<{root}>`"
                ));
            }
        }
        f(node)
    })
    .map_err(ParseError::xml)
}
