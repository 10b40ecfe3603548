//! Go coverage profiles (`go test -coverprofile`).
//!
//! Format (`golang.org/x/tools/cover`, <https://pkg.go.dev/golang.org/x/tools/cover#ParseProfiles>):
//! a `mode: set|count|atomic` line, then `file:startLine.startCol,endLine.endCol numStmts count`
//! per block. Go measures statements, so covered = Σ numStmts of blocks with count > 0 and
//! total = Σ numStmts. A block listed more than once (profiles concatenated from several
//! packages with `-coverpkg`) counts once, covered when any copy is.

use std::collections::HashMap;
use std::io::BufRead;

use crate::run_tests::parse::ParseError;
use crate::run_tests::report::CoverageTotals;

/// Reads a Go coverprofile.
pub fn parse<R: BufRead>(mut input: R) -> Result<CoverageTotals, ParseError> {
    let mut blocks: HashMap<String, (u64, bool)> = HashMap::new();
    let mut line = Vec::new();
    let mut number = 0;
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).map_err(ParseError::io)? == 0 {
            break;
        }
        number += 1;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_start_matches('\u{feff}').trim_end();
        if text.trim().is_empty() {
            continue;
        }
        if let Some(mode) = text.strip_prefix("mode:") {
            if !matches!(mode.trim(), "set" | "count" | "atomic") {
                return Err(ParseError::at(
                    number,
                    7,
                    format!("unknown coverage mode `{}`", mode.trim()),
                ));
            }
            continue;
        }
        if number == 1 {
            return Err(ParseError::at(
                1,
                1,
                "a Go coverprofile starts with `mode: set|count|atomic`".into(),
            ));
        }
        // file:1.2,3.4 N C — the file name may contain `:` on Windows, so split from the end.
        let bad = |col: usize| {
            ParseError::at(
                number,
                col,
                "expected `file:start.col,end.col statements count`".into(),
            )
        };
        let mut fields = text.rsplitn(3, ' ');
        let (Some(count), Some(stmts), Some(block)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(bad(1));
        };
        let Some((_, range)) = block.rsplit_once(':') else {
            return Err(bad(1));
        };
        if !range
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
            || !range.contains(',')
        {
            return Err(bad(block.len() - range.len() + 1));
        }
        let stmts: u64 = stmts.parse().map_err(|_| bad(block.len() + 2))?;
        let count: u64 = count
            .parse()
            .map_err(|_| bad(text.len() - count.len() + 1))?;
        let entry = blocks.entry(block.to_owned()).or_insert((stmts, false));
        entry.1 |= count > 0;
    }
    if number == 0 {
        return Err(ParseError::whole("the Go coverprofile is empty"));
    }
    let total: u64 = blocks.values().map(|b| b.0).sum();
    let covered: u64 = blocks.values().filter(|b| b.1).map(|b| b.0).sum();
    Ok(CoverageTotals::new(covered, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_counted_once_per_block() {
        let profile = "mode: set\nm/a.go:3.14,5.2 2 1\nm/a.go:7.1,9.2 3 0\nm/a.go:7.1,9.2 3 1\nm/b.go:1.1,2.2 5 0\n";
        let c = parse(profile.as_bytes()).unwrap();
        assert_eq!((c.covered, c.total), (5, 10));
    }

    #[test]
    fn a_broken_block_is_located() {
        let err = parse("mode: set\nm/a.go:3.14,5.2 two 1\n".as_bytes()).unwrap_err();
        assert_eq!(err.position().map(|p| p.0), Some(2));
    }
}
