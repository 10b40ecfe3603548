//! Line coverage from lcov, Cobertura, JaCoCo and Go coverprofile files.
//!
//! Each format is one file with a `parse` that streams its input and returns
//! [`CoverageTotals`]; [`Format::sniff`] picks the format from the first bytes when the user
//! does not say. Line coverage percent = 100 × covered / total.

pub mod cobertura;
pub mod goprofile;
pub mod jacoco;
pub mod lcov;

use std::io::BufRead;

use super::parse::ParseError;
use super::report::CoverageTotals;

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
pub fn parse<R: BufRead>(mut input: R, format: Format) -> Result<CoverageTotals, ParseError> {
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
