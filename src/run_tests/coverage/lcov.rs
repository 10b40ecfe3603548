//! lcov tracefiles (`geninfo`'s `.info`), read line by line.
//!
//! Format: <https://github.com/linux-test-project/lcov/blob/master/man/geninfo.1> ("TRACEFILE
//! FORMAT"). A record runs from `SF:` to `end_of_record`; coverage is ΣLH / ΣLF over the
//! records. A record without `LF:` / `LH:` counts its `DA:line,hits` lines instead. Records we
//! do not use (`TN`, `FN`, `FNDA`, `BRDA`, …) are skipped; a line that is no record at all, or a
//! `DA`/`LF`/`LH` whose numbers do not read, is an error at its line and column.

use std::io::BufRead;

use crate::run_tests::parse::ParseError;
use crate::run_tests::report::CoverageTotals;

/// Reads an lcov tracefile.
pub fn parse<R: BufRead>(mut input: R) -> Result<CoverageTotals, ParseError> {
    let (mut covered, mut total) = (0u64, 0u64);
    let mut line = Vec::new();
    let mut number = 0;
    let mut records = 0;
    // Per record: declared LH/LF, and DA counts as a fallback.
    let (mut lh, mut lf, mut da_hit, mut da_all) = (None::<u64>, None::<u64>, 0u64, 0u64);
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
                let (c, t) = match (lh, lf) {
                    (Some(h), Some(f)) => (h, f),
                    _ => (da_hit, da_all),
                };
                covered += c;
                total += t;
                records += 1;
            }
            (lh, lf, da_hit, da_all, in_record) = (None, None, 0, 0, false);
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
                (lh, lf, da_hit, da_all) = (None, None, 0, 0);
            }
            "DA" => {
                let mut parts = value.split(',');
                let (Some(l), Some(h)) = (parts.next(), parts.next()) else {
                    return Err(bad(col, "`line,hits`"));
                };
                if l.trim().parse::<u64>().is_err() {
                    return Err(bad(col, "`line,hits`"));
                }
                // NOTE: hits may be a float or negative in some generators (gcov "-1" for
                // unexecutable); anything above zero is covered.
                let hits: f64 = h.trim().parse().map_err(|_| bad(col, "`line,hits`"))?;
                da_all += 1;
                if hits > 0.0 {
                    da_hit += 1;
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
    Ok(CoverageTotals::new(covered.min(total), total))
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
        let c = parse(info.as_bytes()).unwrap();
        assert_eq!((c.covered, c.total, c.percent), (3, 5, 60.0));
    }

    #[test]
    fn a_bad_count_is_located() {
        let err = parse("SF:a\nLF:x\nend_of_record\n".as_bytes()).unwrap_err();
        assert_eq!(err.position(), Some((2, 4)));
    }
}
