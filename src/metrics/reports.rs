//! Flaky and failed tests, and coverage, from the `report.json` files `slipway run-tests`
//! writes (kept as workflow artifacts; download them into one directory).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::Error;
use super::model::TestStat;
use crate::run_tests::report::Report;

/// The most report files read (a guard against pointing at `/`).
const MAX_FILES: usize = 10_000;

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Report {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let path = e.path();
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            collect(&path, out)?;
        } else if kind.is_file()
            && path
                .file_name()
                .is_some_and(|n| n == crate::run_tests::REPORT_FILE)
            && out.len() < MAX_FILES
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Parses one report; errors carry the file, line and column.
pub fn parse(path: &Path, text: &str) -> Result<Report, Error> {
    serde_json::from_str(text).map_err(|e| Error::ReportJson {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })
}

/// Counts per test over every `report.json` under `dir`, and the coverage of the last one
/// (in path order, which sorts dated artifact directories oldest first).
pub fn read_dir(dir: &Path) -> Result<(Vec<TestStat>, Option<f64>), Error> {
    let mut files = Vec::new();
    collect(dir, &mut files)?;
    let mut reports = Vec::with_capacity(files.len());
    for path in &files {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Report {
            path: path.clone(),
            source,
        })?;
        reports.push(parse(path, &text)?);
    }
    Ok(tally(&reports))
}

/// Counts per test over `reports`, and the coverage of the last one that has it (pass them
/// oldest first).
pub fn tally(reports: &[Report]) -> (Vec<TestStat>, Option<f64>) {
    let mut stats: BTreeMap<String, TestStat> = BTreeMap::new();
    let mut coverage = None;
    for report in reports {
        let entry = |stats: &mut BTreeMap<String, TestStat>, id: &str| {
            stats.entry(id.to_owned()).or_insert_with(|| TestStat {
                id: id.to_owned(),
                flaky: 0,
                failed: 0,
                reports: 0,
            });
        };
        for id in &report.flaky {
            entry(&mut stats, id);
            if let Some(s) = stats.get_mut(id) {
                s.flaky += 1;
            }
        }
        for f in &report.failures {
            entry(&mut stats, &f.id);
            if let Some(s) = stats.get_mut(&f.id) {
                s.failed += 1;
            }
        }
        if let Some(c) = &report.coverage {
            coverage = Some(c.percent);
        }
    }
    let n = reports.len() as u64;
    let tests = stats
        .into_values()
        .map(|mut s| {
            s.reports = n;
            s
        })
        .collect();
    (tests, coverage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_broken_report_names_its_line() {
        let err = parse(Path::new("a/report.json"), "{\n  \"totals\": [}").unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("`a/report.json`:2:"), "{text}");
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = parse(Path::new("r.json"), &String::from_utf8_lossy(&bytes));
        }
    }
}
