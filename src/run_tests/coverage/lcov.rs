//! lcov tracefiles (`geninfo`'s `.info`), read line by line.
//!
//! Format: <https://github.com/linux-test-project/lcov/blob/master/man/geninfo.1> ("TRACEFILE
//! FORMAT"). A record runs from `SF:` to `end_of_record`. Its `DA:line,hits` lines are the
//! file's measured lines (covered when hits > 0), merged by union with other records of the
//! same file; a record with only `LF:` / `LH:` counts those, added. Records we
//! do not use (`TN`, `FN`, `FNDA`, `BRDA`, …) are skipped; a line that is no record at all, or a
//! `DA`/`LF`/`LH` whose numbers do not read, is an error at its line and column.

use std::io::BufRead;

use super::CoverageData;
use super::lines::FileLines;
use crate::run_tests::parse::ParseError;

/// Reads an lcov tracefile.
pub fn parse<R: BufRead>(mut input: R) -> Result<CoverageData, ParseError> {
    let mut data = CoverageData::default();
    let mut line = Vec::new();
    let mut number = 0;
    let mut records = 0;
    // Per record: its file, declared LH/LF, and the DA lines (measured, covered).
    let (mut lh, mut lf) = (None::<u64>, None::<u64>);
    let mut file = String::new();
    let (mut measured, mut covered): (Vec<u32>, Vec<u32>) = (Vec::new(), Vec::new());
    let mut in_record = false;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).map_err(ParseError::io)? == 0 {
            break;
        }
        number += 1;
        let text = String::from_utf8_lossy(&line);
        let text = if number == 1 {
            text.trim_start_matches('\u{feff}')
        } else {
            &text
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        if text == "end_of_record" {
            if in_record {
                if !measured.is_empty() {
                    let lines =
                        FileLines::new(std::mem::take(&mut measured), std::mem::take(&mut covered));
                    data.add_file(&file, lines);
                } else if let (Some(h), Some(f)) = (lh, lf) {
                    data.merge(CoverageData::summed(h, f));
                }
                records += 1;
            }
            (lh, lf, in_record) = (None, None, false);
            measured.clear();
            covered.clear();
            continue;
        }
        let Some((key, value)) = text.split_once(':') else {
            return Err(ParseError::at(
                number,
                1,
                format!("not an lcov record: `{}`", clip(text)),
            ));
        };
        let bad = |col: usize, what: &str| {
            ParseError::at(
                number,
                col,
                format!("`{key}` needs {what}, found `{}`", clip(value)),
            )
        };
        let col = key.len() + 2;
        match key {
            "SF" => {
                in_record = true;
                (lh, lf) = (None, None);
                measured.clear();
                covered.clear();
                value.trim().clone_into(&mut file);
            }
            "DA" => {
                let mut parts = value.split(',');
                let (Some(l), Some(h)) = (parts.next(), parts.next()) else {
                    return Err(bad(col, "`line,hits`"));
                };
                let Ok(l) = l.trim().parse::<u32>() else {
                    return Err(bad(col, "`line,hits`"));
                };
                // NOTE: hits may be a float or negative in some generators (gcov "-1" for
                // unexecutable); anything above zero is covered.
                let hits: f64 = h.trim().parse().map_err(|_| bad(col, "`line,hits`"))?;
                measured.push(l);
                if hits > 0.0 {
                    covered.push(l);
                }
            }
            "LH" => lh = Some(value.trim().parse().map_err(|_| bad(col, "a count"))?),
            "LF" => lf = Some(value.trim().parse().map_err(|_| bad(col, "a count"))?),
            _ if key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => {}
            _ => {
                return Err(ParseError::at(
                    number,
                    1,
                    format!("not an lcov record: `{}`", clip(text)),
                ));
            }
        }
    }
    if records == 0 {
        return Err(ParseError::at(
            number.max(1),
            1,
            "no lcov record (`SF:` … `end_of_record`) found".into(),
        ));
    }
    Ok(data)
}

fn clip(s: &str) -> String {
    crate::run_tests::report::clip(s, 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_is_the_sum_of_lh_over_the_sum_of_lf() {
        let info = "TN:\nSF:src/a.js\nDA:1,1\nDA:2,0\nLF:2\nLH:1\nend_of_record\nSF:src/b.js\nDA:1,3\nDA:2,1\nDA:3,0\nend_of_record\n";
        let c = parse(info.as_bytes()).unwrap().totals();
        assert_eq!((c.covered, c.total, c.percent), (3, 5, 60.0));
    }

    #[test]
    fn da_lines_are_kept_per_file_and_records_of_one_file_merge() {
        // Two records of a.js (two test runs appended): lines 1-4, covered 1 and 3, union.
        let info = "SF:a.js\nDA:1,1\nDA:2,0\nDA:3,0\nLF:3\nLH:1\nend_of_record\nSF:a.js\nDA:3,2\nDA:4,0\nend_of_record\nSF:b.js\nLF:10\nLH:5\nend_of_record\n";
        let data = parse(info.as_bytes()).unwrap();
        assert_eq!(data.files["a.js"].lines.render(), "1-4");
        assert_eq!(data.files["a.js"].covered.render(), "1,3");
        let c = data.totals();
        assert_eq!((c.covered, c.total), (7, 14));
        assert!(data.note().is_some());
    }

    #[test]
    fn a_bad_count_is_located() {
        let err = parse("SF:a\nLF:x\nend_of_record\n".as_bytes()).unwrap_err();
        assert_eq!(err.position(), Some((2, 4)));
    }
}
