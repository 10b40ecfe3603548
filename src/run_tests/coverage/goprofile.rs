//! Go coverage profiles (`go test -coverprofile`).
//!
//! Format (`golang.org/x/tools/cover`, <https://pkg.go.dev/golang.org/x/tools/cover#ParseProfiles>):
//! a `mode: set|count|atomic` line, then `file:startLine.startCol,endLine.endCol numStmts count`
//! per block. Go measures statements, so covered = Σ numStmts of blocks with count > 0 and
//! total = Σ numStmts. A block listed more than once (profiles concatenated from several
//! packages with `-coverpkg`) counts once, covered when any copy is. Blocks are kept per file
//! so that shards merge by block.

use std::collections::HashMap;
use std::io::BufRead;

use super::CoverageData;
use super::lines::Block;
use crate::run_tests::parse::ParseError;

/// Reads a Go coverprofile.
pub fn parse<R: BufRead>(mut input: R) -> Result<CoverageData, ParseError> {
    let mut blocks: HashMap<String, Vec<Block>> = HashMap::new();
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
        let Some((file, range)) = block.rsplit_once(':') else {
            return Err(bad(1));
        };
        let Some(span) = Block::span_of(range) else {
            return Err(bad(block.len() - range.len() + 1));
        };
        let statements: u32 = stmts.parse().map_err(|_| bad(block.len() + 2))?;
        let count: u64 = count
            .parse()
            .map_err(|_| bad(text.len() - count.len() + 1))?;
        let block = Block {
            span,
            statements,
            covered: count > 0,
        };
        match blocks.get_mut(file) {
            Some(b) => b.push(block),
            None => {
                blocks.insert(file.to_owned(), vec![block]);
            }
        }
    }
    if number == 0 {
        return Err(ParseError::whole("the Go coverprofile is empty"));
    }
    let mut data = CoverageData::default();
    for (file, b) in blocks {
        data.add_blocks(&file, b);
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_are_counted_once_per_block() {
        let profile = "mode: set\nm/a.go:3.14,5.2 2 1\nm/a.go:7.1,9.2 3 0\nm/a.go:7.1,9.2 3 1\nm/b.go:1.1,2.2 5 0\n";
        let data = parse(profile.as_bytes()).unwrap();
        let c = data.totals();
        assert_eq!((c.covered, c.total), (5, 10));
        assert_eq!(data.blocks["m/a.go"].len(), 2);
    }

    #[test]
    fn a_broken_block_is_located() {
        let err = parse("mode: set\nm/a.go:3.14,5.2 two 1\n".as_bytes()).unwrap_err();
        assert_eq!(err.position().map(|p| p.0), Some(2));
    }
}
