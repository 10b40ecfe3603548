//! Patch coverage: line coverage of the lines a pull request adds or changes.
//!
//! The added lines come from the diff ([`super::diff`]); the coverage is the per-line data
//! merged across shards ([`super::coverage::CoverageData`]). A changed line counts only when
//! the coverage measured it: a line of a file no report covers, a comment, a blank line or a
//! brace the tool does not count is *not measurable*, neither covered nor uncovered. Coverage
//! paths are matched to the diff's repository paths as given, or by a whole-component suffix
//! (a report written in a subproject says `src/a.py` for `api/src/a.py`; one written by the
//! runner may be absolute).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::coverage::CoverageData;
use super::coverage::lines::FileLines;
use super::diff::Added;
use super::report::round2;

/// Uncovered lines listed (as ranges per file) in the summary; the rest are counted.
pub const LISTED_FILES: usize = 50;

/// The patch coverage of one change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PatchCoverage {
    /// Lines added or changed.
    pub changed: u64,
    /// Of those, lines the coverage measured.
    pub measured: u64,
    /// Of those, lines run at least once.
    pub covered: u64,
    /// 100 × covered / measured, two decimals; `None` when nothing measurable changed.
    pub percent: Option<f64>,
    /// Uncovered changed lines per file, sorted.
    pub uncovered: BTreeMap<String, Vec<u32>>,
}

/// One file's coverage as a lookup: measured and covered lines.
enum Lines<'a> {
    Ranges(&'a FileLines),
    Blocks(&'a [super::coverage::lines::Block]),
}

impl Lines<'_> {
    /// (measured, covered) of `line`.
    fn at(&self, line: u32) -> (bool, bool) {
        match self {
            Self::Ranges(f) => (f.lines.contains(line), f.covered.contains(line)),
            Self::Blocks(blocks) => {
                let mut measured = false;
                for b in blocks.iter() {
                    if b.span.0 <= line && line <= b.span.2 {
                        measured = true;
                        if b.covered {
                            return (true, true);
                        }
                    }
                }
                (measured, false)
            }
        }
    }
}

/// Whether coverage path `cov` names repository path `repo`: equal, or one ends with the other
/// at a `/` boundary.
fn same_file(cov: &str, repo: &str) -> bool {
    let cov = cov.strip_prefix("./").unwrap_or(cov);
    cov == repo
        || cov
            .strip_suffix(repo)
            .is_some_and(|p| p.ends_with('/') || p.ends_with('\\'))
        || repo.strip_suffix(cov).is_some_and(|p| p.ends_with('/'))
}

/// Computes the patch coverage of `added` under `coverage`.
///
/// ```
/// # use slipway::run_tests::{coverage::{CoverageData, lines::FileLines}, patch::compute};
/// let mut cov = CoverageData::default();
/// cov.add_file("src/a.py", FileLines::new(vec![1, 2, 3], vec![1, 2]));
/// let added = [("src/a.py".to_owned(), vec![2, 3, 4])].into_iter().collect();
/// let p = compute(&added, &cov);
/// assert_eq!((p.changed, p.measured, p.covered), (3, 2, 1));
/// assert_eq!(p.uncovered["src/a.py"], [3]);
/// ```
pub fn compute(added: &Added, coverage: &CoverageData) -> PatchCoverage {
    // Files by base name first: a coverage file is compared only with diff files of the same
    // name, so a 10,000-file diff is not a 10,000 × files loop.
    let mut by_name: BTreeMap<&str, Vec<(&str, Lines<'_>)>> = BTreeMap::new();
    for (f, l) in &coverage.files {
        by_name
            .entry(base_name(f))
            .or_default()
            .push((f, Lines::Ranges(l)));
    }
    for (f, b) in &coverage.blocks {
        by_name
            .entry(base_name(f))
            .or_default()
            .push((f, Lines::Blocks(b)));
    }
    let mut p = PatchCoverage::default();
    for (file, lines) in added {
        p.changed += lines.len() as u64;
        let candidates = by_name.get(base_name(file));
        let Some((_, cov)) = candidates.and_then(|c| {
            c.iter()
                .find(|(f, _)| *f == file)
                .or_else(|| c.iter().find(|(f, _)| same_file(f, file)))
        }) else {
            continue;
        };
        for &line in lines {
            match cov.at(line) {
                (true, true) => {
                    p.measured += 1;
                    p.covered += 1;
                }
                (true, false) => {
                    p.measured += 1;
                    p.uncovered.entry(file.clone()).or_default().push(line);
                }
                _ => {}
            }
        }
    }
    p.percent = (p.measured > 0).then(|| round2(100.0 * p.covered as f64 / p.measured as f64));
    p
}

fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// `3-5,9` for sorted lines.
pub fn ranges(lines: &[u32]) -> String {
    super::coverage::lines::Ranges::from_sorted(lines.iter().copied()).render()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run_tests::coverage::lines::Block;
    use crate::run_tests::diff;

    #[test]
    fn lines_without_coverage_data_are_not_counted() {
        // Hand-computed: a.py adds lines 2-5 (2, 3 measured: 2 covered; 4 a comment; 5 covered),
        // README.md adds 1-2 (no coverage data), b.py (absolute path in the report) adds 10.
        let d = "\
diff --git a/api/a.py b/api/a.py
--- a/api/a.py
+++ b/api/a.py
@@ -1,0 +2,4 @@
+x = 1
+y = f()
+# why
+z = 3
diff --git a/README.md b/README.md
--- a/README.md
+++ b/README.md
@@ -0,0 +1,2 @@
+hello
+world
diff --git a/api/b.py b/api/b.py
--- a/api/b.py
+++ b/api/b.py
@@ -9,0 +10 @@
+return None
";
        let added = diff::parse(d).unwrap();
        let mut cov = CoverageData::default();
        cov.add_file("a.py", FileLines::new(vec![1, 2, 3, 5], vec![1, 2, 5]));
        cov.add_file(
            "/home/runner/work/app/app/api/b.py",
            FileLines::new(vec![10], vec![]),
        );
        let p = compute(&added, &cov);
        // `a.py` alone is a suffix of `api/a.py` at a `/` boundary.
        assert_eq!(p.changed, 7);
        assert_eq!(p.measured, 4);
        assert_eq!(p.covered, 2);
        assert_eq!(p.percent, Some(50.0));
        assert_eq!(p.uncovered["api/a.py"], [3]);
        assert_eq!(p.uncovered["api/b.py"], [10]);
    }

    #[test]
    fn go_blocks_cover_the_lines_they_span() {
        let mut cov = CoverageData::default();
        cov.add_blocks(
            "example.com/m/x.go",
            vec![
                Block {
                    span: (3, 10, 5, 2),
                    statements: 2,
                    covered: true,
                },
                Block {
                    span: (7, 1, 8, 2),
                    statements: 1,
                    covered: false,
                },
            ],
        );
        let added = [("x.go".to_owned(), vec![4, 6, 8])].into_iter().collect();
        let p = compute(&added, &cov);
        assert_eq!((p.measured, p.covered), (2, 1));
        assert_eq!(p.uncovered["x.go"], [8]);
    }

    #[test]
    fn nothing_measurable_has_no_percent() {
        let added = [("docs/a.md".to_owned(), vec![1])].into_iter().collect();
        let p = compute(&added, &CoverageData::default());
        assert_eq!(p.percent, None);
        assert_eq!(p.changed, 1);
        assert!(!same_file("xa.py", "a.py"));
    }
}
