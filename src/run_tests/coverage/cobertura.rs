//! Cobertura XML (coverage.py `coverage xml`, Istanbul `cobertura`, gcovr, cargo-llvm-cov).
//!
//! Schema: <https://github.com/cobertura/web/blob/master/htdocs/xml/coverage-04.dtd>. Lines are
//! read from `class/lines/line` only (a `method/lines/line` repeats a class line), and
//! deduplicated by file name and line number: a file split into several classes (inner classes,
//! Istanbul's per-file classes placed directly under `package`) counts each line once, covered
//! when any copy has `hits > 0`. The declared `line-rate` / `lines-valid` are used only when
//! the file lists no lines at all.

use std::collections::HashMap;
use std::io::BufRead;

use super::CoverageData;
use super::lines::FileLines;
use crate::run_tests::parse::ParseError;
use crate::run_tests::xml::Node;

/// Reads a Cobertura report.
pub fn parse<R: BufRead>(input: R) -> Result<CoverageData, ParseError> {
    let mut files: HashMap<String, Lines> = HashMap::new();
    let mut current: Option<String> = None;
    let mut declared: Option<(u64, u64)> = None;
    super::walk_report(
        input,
        "coverage",
        "Cobertura report",
        &["class", "line"],
        |node| {
            if let Node::Open {
                name,
                attrs,
                parents,
                ..
            } = node
            {
                if parents.is_empty() {
                    // The root: its declared totals are a fallback when no line is listed.
                    if let (Some(v), Some(c)) =
                        (attrs.num("lines-valid"), attrs.num("lines-covered"))
                    {
                        declared = Some((c as u64, v as u64));
                    }
                }
                match name {
                    "class" => current = attrs.get("filename").map(|v| v.into_owned()),
                    "line"
                        if parents.len() >= 2
                            && parents[parents.len() - 1] == "lines"
                            && parents[parents.len() - 2] == "class" =>
                    {
                        let (Some(file), Some(n)) = (current.as_ref(), attrs.num("number")) else {
                            return Ok(());
                        };
                        if !(0.0..=f64::from(u32::MAX)).contains(&n) {
                            return Ok(());
                        }
                        let hit = attrs.num("hits").unwrap_or(0.0) > 0.0;
                        let lines = match files.get_mut(file) {
                            Some(l) => l,
                            None => files.entry(file.clone()).or_default(),
                        };
                        lines.mark(n as u32, hit);
                    }
                    _ => {}
                }
            }
            Ok(())
        },
    )?;
    let total: usize = files.values().map(|l| l.total).sum();
    if total == 0 {
        return Ok(match declared {
            Some((c, v)) => CoverageData::summed(c.min(v), v),
            None => CoverageData::default(),
        });
    }
    let mut data = CoverageData::default();
    for (file, lines) in files {
        data.add_file(&file, lines.into_file_lines());
    }
    Ok(data)
}

/// The lines of one file: a byte per line number (0 unseen, 1 not run, 2 run) for the usual
/// line numbers, a map for absurd ones, so a forged `number="4000000000"` costs no memory.
#[derive(Debug, Default)]
struct Lines {
    dense: Vec<u8>,
    sparse: HashMap<u32, bool>,
    total: usize,
    covered: usize,
}

impl Lines {
    const DENSE_MAX: u32 = 1 << 20;

    fn mark(&mut self, n: u32, hit: bool) {
        let (was, now) = if n < Self::DENSE_MAX {
            let i = n as usize;
            if self.dense.len() <= i {
                self.dense.resize(i + 1, 0);
            }
            let was = self.dense[i];
            let now = was.max(if hit { 2 } else { 1 });
            self.dense[i] = now;
            (was, now)
        } else {
            let entry = self.sparse.entry(n);
            let was = match &entry {
                std::collections::hash_map::Entry::Occupied(o) => 1 + u8::from(*o.get()),
                std::collections::hash_map::Entry::Vacant(_) => 0,
            };
            let v = entry.or_insert(false);
            *v |= hit;
            (was, 1 + u8::from(*v))
        };
        if was == 0 {
            self.total += 1;
        }
        if now == 2 && was != 2 {
            self.covered += 1;
        }
    }

    fn into_file_lines(self) -> FileLines {
        let (mut measured, mut covered) = (Vec::with_capacity(self.total), Vec::new());
        for (n, &state) in self.dense.iter().enumerate() {
            if state > 0 {
                measured.push(n as u32);
            }
            if state == 2 {
                covered.push(n as u32);
            }
        }
        for (&n, &hit) in &self.sparse {
            measured.push(n);
            if hit {
                covered.push(n);
            }
        }
        FileLines::new(measured, covered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_totals_are_summed_when_no_line_is_listed() {
        let data = parse(r#"<coverage lines-valid="10" lines-covered="4"/>"#.as_bytes()).unwrap();
        assert!(!data.has_lines());
        assert_eq!(data.totals().percent, 40.0);
        let err = parse("<report/>".as_bytes()).unwrap_err();
        assert!(
            matches!(err, ParseError::Offset(e) if e.message.contains("not a Cobertura report"))
        );
    }

    #[test]
    fn lines_are_deduplicated_by_file_and_line() {
        let xml = r#"<?xml version="1.0"?>
<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
<coverage lines-valid="99" lines-covered="1"><packages><package name="p"><classes>
  <class name="A" filename="a.py"><methods><method name="m"><lines><line number="1" hits="0"/></lines></method></methods>
    <lines><line number="1" hits="1"/><line number="2" hits="0"/></lines></class>
  <class name="A$Inner" filename="a.py"><lines><line number="2" hits="3"/><line number="3" hits="0"/></lines></class>
</classes></package></packages></coverage>"#;
        let data = parse(xml.as_bytes()).unwrap();
        let c = data.totals();
        assert_eq!((c.covered, c.total), (2, 3));
        assert_eq!(data.files["a.py"].lines.render(), "1-3");
        assert_eq!(data.files["a.py"].covered.render(), "1-2");
    }

    #[test]
    fn istanbul_classes_directly_under_packages_are_read() {
        let xml = r#"<coverage><packages><package name="src"><class name="a.js" filename="src/a.js"><lines><line number="1" hits="1"/><line number="2" hits="0"/></lines></class></package></packages></coverage>"#;
        let c = parse(xml.as_bytes()).unwrap().totals();
        assert_eq!((c.covered, c.total, c.percent), (1, 2, 50.0));
    }
}
