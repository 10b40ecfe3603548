//! Detection for the `python` ecosystem.

use super::Scan;

/// True for file names this ecosystem reads.
pub fn interesting(_file_name: &str) -> bool {
    false
}

/// Reads this ecosystem's files and reports into the scan.
pub fn scan(_scan: &mut Scan<'_>) {}
