//! Per-file coverage data that merges by union, carried in the report JSON.
//!
//! Shards of one suite usually each run the whole coverage tool, so every shard measures the
//! whole tree: adding their covered and total lines counts each line once per shard. Here a
//! file's measured and covered lines are kept as run-length ranges (`"1-40,42,50-61"`), and
//! merging two reports takes the union per file and line: a line is measured if any report
//! measured it, covered if any covered it. Go measures statements in blocks, so Go files keep
//! their blocks (`"5.30,7.2 2 1"`: range, statements, covered) and merge by block.
//!
//! Coverage read without per-line data (a JaCoCo report with only counters, an lcov record
//! with only `LF`/`LH`, a report written before line data existed) can only be added; it is
//! kept apart in [`Summed`] and the summary says so.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::run_tests::report::CoverageTotals;

/// Sorted, disjoint, non-adjacent inclusive ranges of line numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ranges(Vec<(u32, u32)>);

impl Ranges {
    /// The ranges of `lines`, which must be sorted ascending (duplicates allowed).
    pub fn from_sorted(lines: impl IntoIterator<Item = u32>) -> Self {
        let mut out: Vec<(u32, u32)> = Vec::new();
        for n in lines {
            match out.last_mut() {
                Some((_, end)) if n <= end.saturating_add(1) => *end = (*end).max(n),
                _ => out.push((n, n)),
            }
        }
        Self(out)
    }

    /// The ranges of `lines` in any order.
    pub fn from_unsorted(mut lines: Vec<u32>) -> Self {
        lines.sort_unstable();
        Self::from_sorted(lines)
    }

    /// How many lines the ranges hold.
    pub fn count(&self) -> u64 {
        self.0.iter().map(|(a, b)| u64::from(b - a) + 1).sum()
    }

    /// True when `line` is held.
    pub fn contains(&self, line: u32) -> bool {
        let i = self.0.partition_point(|&(_, end)| end < line);
        self.0.get(i).is_some_and(|&(start, _)| start <= line)
    }

    /// True when no line is held.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The lines in `self` or `other`.
    pub fn union(&self, other: &Ranges) -> Ranges {
        let (mut a, mut b) = (self.0.iter().peekable(), other.0.iter().peekable());
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(self.0.len().max(other.0.len()));
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) if x.0 <= y.0 => a.next(),
                (Some(_), Some(_)) => b.next(),
                (Some(_), None) => a.next(),
                (None, Some(_)) => b.next(),
                (None, None) => break,
            };
            let &(s, e) = next.unwrap_or(&(0, 0));
            match out.last_mut() {
                Some((_, end)) if s <= end.saturating_add(1) => *end = (*end).max(e),
                _ => out.push((s, e)),
            }
        }
        Ranges(out)
    }

    /// The text form: `1-40,42,50-61`.
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(self.0.len() * 6);
        for (i, (a, b)) in self.0.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            if a == b {
                let _ = write!(s, "{a}");
            } else {
                let _ = write!(s, "{a}-{b}");
            }
        }
        s
    }

    /// Reads the text form; ranges must ascend without overlapping.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut out: Vec<(u32, u32)> = Vec::new();
        if text.trim().is_empty() {
            return Ok(Self(out));
        }
        for part in text.split(',') {
            let num = |s: &str| {
                s.trim()
                    .parse::<u32>()
                    .map_err(|_| format!("`{part}` is not a line or a `first-last` range"))
            };
            let (a, b) = match part.split_once('-') {
                Some((a, b)) => (num(a)?, num(b)?),
                None => {
                    let n = num(part)?;
                    (n, n)
                }
            };
            if a > b || out.last().is_some_and(|&(_, end)| a <= end) {
                return Err(format!(
                    "line ranges must ascend without overlapping, found `{part}`"
                ));
            }
            out.push((a, b));
        }
        Ok(Self::join(&out))
    }

    /// Rebuilds from spans known to ascend (adjacent spans are joined).
    fn join(spans: &[(u32, u32)]) -> Self {
        let mut out: Vec<(u32, u32)> = Vec::with_capacity(spans.len());
        for &(s, e) in spans {
            match out.last_mut() {
                Some((_, end)) if s <= end.saturating_add(1) => *end = (*end).max(e),
                _ => out.push((s, e)),
            }
        }
        Self(out)
    }
}

impl Serialize for Ranges {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.render())
    }
}

impl<'de> Deserialize<'de> for Ranges {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ranges::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// The measured and covered lines of one file; covered lines are always measured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileLines {
    /// Lines that could run.
    pub lines: Ranges,
    /// Lines that ran at least once.
    #[serde(default)]
    pub covered: Ranges,
}

impl FileLines {
    /// From line numbers in any order (covered ones are measured too).
    pub fn new(mut measured: Vec<u32>, covered: Vec<u32>) -> Self {
        measured.extend_from_slice(&covered);
        Self {
            lines: Ranges::from_unsorted(measured),
            covered: Ranges::from_unsorted(covered),
        }
    }

    fn union(&self, other: &FileLines) -> FileLines {
        FileLines {
            lines: self.lines.union(&other.lines),
            covered: self.covered.union(&other.covered),
        }
    }
}

/// A Go coverage block: `start.col,end.col`, its statements and whether any run covered it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    /// Start line, start column, end line, end column.
    pub span: (u32, u32, u32, u32),
    /// Statements in the block.
    pub statements: u32,
    /// Run at least once.
    pub covered: bool,
}

impl Serialize for Block {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (a, b, c, d) = self.span;
        s.serialize_str(&format!(
            "{a}.{b},{c}.{d} {} {}",
            self.statements,
            u8::from(self.covered)
        ))
    }
}

impl<'de> Deserialize<'de> for Block {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Block::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a Go block `start.col,end.col statements 0|1`"
            ))
        })
    }
}

impl Block {
    /// Reads `start.col,end.col` (as in a coverprofile) with its statements and hit flag.
    pub fn span_of(range: &str) -> Option<(u32, u32, u32, u32)> {
        let (start, end) = range.split_once(',')?;
        let (a, b) = start.split_once('.')?;
        let (c, d) = end.split_once('.')?;
        Some((
            a.parse().ok()?,
            b.parse().ok()?,
            c.parse().ok()?,
            d.parse().ok()?,
        ))
    }

    fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split(' ');
        let span = Self::span_of(parts.next()?)?;
        let statements = parts.next()?.parse().ok()?;
        let covered = match parts.next()? {
            "0" => false,
            "1" => true,
            _ => return None,
        };
        parts.next().is_none().then_some(Self {
            span,
            statements,
            covered,
        })
    }
}

/// Coverage that can only be added: read without per-line data.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summed {
    /// Covered lines.
    pub covered: u64,
    /// Measured lines.
    pub total: u64,
    /// How many files or reports were added.
    pub sources: u32,
}

/// Coverage as read from files or reports: per-file data merged by union, plus what can only
/// be added.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageData {
    /// Lines per file (lcov, Cobertura, JaCoCo).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub files: BTreeMap<String, FileLines>,
    /// Go blocks per file, sorted by span.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub blocks: BTreeMap<String, Vec<Block>>,
    /// Coverage without per-line data, added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summed: Option<Summed>,
}

impl CoverageData {
    /// Coverage known only as totals.
    pub fn summed(covered: u64, total: u64) -> Self {
        Self {
            summed: Some(Summed {
                covered: covered.min(total),
                total,
                sources: 1,
            }),
            ..Self::default()
        }
    }

    /// Adds the lines of `file` (union with lines already held for it).
    pub fn add_file(&mut self, file: &str, lines: FileLines) {
        match self.files.get_mut(file) {
            Some(have) => *have = have.union(&lines),
            None => {
                self.files.insert(file.to_owned(), lines);
            }
        }
    }

    /// Adds the blocks of a Go `file` (a block covered anywhere is covered).
    pub fn add_blocks(&mut self, file: &str, blocks: Vec<Block>) {
        let have = self.blocks.entry(file.to_owned()).or_default();
        have.extend(blocks);
        have.sort_by_key(|b| b.span);
        have.dedup_by(|later, kept| {
            if later.span == kept.span {
                kept.covered |= later.covered;
                kept.statements = kept.statements.max(later.statements);
                true
            } else {
                false
            }
        });
    }

    /// Merges `other` into this: union per file, line and block; summed parts added.
    pub fn merge(&mut self, other: CoverageData) {
        for (file, lines) in other.files {
            self.add_file(&file, lines);
        }
        for (file, blocks) in other.blocks {
            self.add_blocks(&file, blocks);
        }
        self.add_summed(other.summed);
    }

    fn add_summed(&mut self, s: Option<Summed>) {
        self.summed = match (self.summed, s) {
            (Some(a), Some(b)) => Some(Summed {
                covered: a.covered + b.covered,
                total: a.total + b.total,
                sources: a.sources + b.sources,
            }),
            (a, b) => a.or(b),
        };
    }

    /// True when the data has per-line or per-block parts.
    pub fn has_lines(&self) -> bool {
        !self.files.is_empty() || !self.blocks.is_empty()
    }

    /// Covered and total: lines (Go: statements) of the union, plus the summed part.
    pub fn totals(&self) -> CoverageTotals {
        let (mut covered, mut total) = self.summed.map_or((0, 0), |s| (s.covered, s.total));
        for f in self.files.values() {
            covered += f.covered.count();
            total += f.lines.count();
        }
        for blocks in self.blocks.values() {
            for b in blocks {
                total += u64::from(b.statements);
                if b.covered {
                    covered += u64::from(b.statements);
                }
            }
        }
        CoverageTotals::new(covered, total)
    }

    /// A sentence for the summary when part of the coverage was added rather than merged, and
    /// so may count lines measured by several shards more than once.
    pub fn note(&self) -> Option<String> {
        let s = self.summed?;
        if s.sources < 2 && !self.has_lines() {
            return None;
        }
        Some(format!(
            "{} of {} lines come from {} report(s) without per-line data (an older slipway, a JaCoCo report with counters only, lcov records without `DA` lines): they are added, not merged, so lines measured by several shards count more than once",
            s.covered, s.total, s.sources
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn lines(measured: &[u32], covered: &[u32]) -> FileLines {
        FileLines::new(measured.to_vec(), covered.to_vec())
    }

    #[test]
    fn ranges_render_runs_and_read_back() {
        let r = Ranges::from_unsorted(vec![9, 1, 2, 3, 3, 7, 10, 11, 20]);
        assert_eq!(r.render(), "1-3,7,9-11,20");
        assert_eq!(r.count(), 8);
        assert_eq!(Ranges::parse("1-3,7,9-11,20").unwrap(), r);
        assert_eq!(Ranges::parse("1-3,4").unwrap().render(), "1-4");
        assert!(Ranges::parse("5-3").is_err());
        assert!(Ranges::parse("1-5,4").is_err());
        assert!(Ranges::parse("x").is_err());
        assert_eq!(Ranges::parse("").unwrap(), Ranges::default());
    }

    #[test]
    fn the_same_file_in_two_shards_is_a_union() {
        // Shard 1 covers 1-4 of lines 1-10, shard 2 covers 3-6 of the same 1-10: 6 of 10.
        let mut a = CoverageData::default();
        a.add_file(
            "src/a.rs",
            lines(&(1..=10).collect::<Vec<_>>(), &[1, 2, 3, 4]),
        );
        let mut b = CoverageData::default();
        b.add_file(
            "src/a.rs",
            lines(&(1..=10).collect::<Vec<_>>(), &[3, 4, 5, 6]),
        );
        a.merge(b);
        let t = a.totals();
        assert_eq!((t.covered, t.total, t.percent), (6, 10, 60.0));
        assert_eq!(a.files["src/a.rs"].covered.render(), "1-6");
        assert_eq!(a.note(), None);
    }

    #[test]
    fn disjoint_files_add_up() {
        let mut a = CoverageData::default();
        a.add_file("a.py", lines(&[1, 2, 3, 4], &[1, 2]));
        let mut b = CoverageData::default();
        b.add_file("b.py", lines(&[1, 2, 3, 4, 5, 6], &[1, 2, 3, 4, 5]));
        a.merge(b);
        let t = a.totals();
        assert_eq!((t.covered, t.total), (7, 10));
    }

    #[test]
    fn go_blocks_merge_by_block() {
        let block = |l: u32, n: u32, covered: bool| Block {
            span: (l, 1, l + 2, 2),
            statements: n,
            covered,
        };
        let mut a = CoverageData::default();
        a.add_blocks("m/a.go", vec![block(3, 2, true), block(7, 3, false)]);
        let mut b = CoverageData::default();
        b.add_blocks("m/a.go", vec![block(3, 2, false), block(7, 3, true)]);
        a.merge(b);
        let t = a.totals();
        assert_eq!((t.covered, t.total), (5, 5));
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(
            json,
            r#"{"blocks":{"m/a.go":["3.1,5.2 2 1","7.1,9.2 3 1"]}}"#
        );
        assert_eq!(serde_json::from_str::<CoverageData>(&json).unwrap(), a);
    }

    #[test]
    fn summed_parts_are_added_and_noted() {
        let mut a = CoverageData::default();
        a.add_file("a.py", lines(&[1, 2], &[1]));
        a.merge(CoverageData::summed(8, 10));
        let t = a.totals();
        assert_eq!((t.covered, t.total), (9, 12));
        assert!(a.note().unwrap().contains("8 of 10 lines"));
        assert_eq!(CoverageData::summed(1, 2).note(), None);
    }

    #[test]
    fn bad_ranges_in_a_report_are_refused() {
        let err =
            serde_json::from_str::<CoverageData>(r#"{"files":{"a":{"lines":"3-1"}}}"#).unwrap_err();
        assert!(err.to_string().contains("ascend"), "{err}");
        let err =
            serde_json::from_str::<CoverageData>(r#"{"blocks":{"a":["1.1,2 1 1"]}}"#).unwrap_err();
        assert!(err.to_string().contains("Go block"), "{err}");
    }

    proptest! {
        #[test]
        fn union_counts_like_a_set(a in proptest::collection::vec(0u32..200, 0..80), b in proptest::collection::vec(0u32..200, 0..80)) {
            let ra = Ranges::from_unsorted(a.clone());
            let rb = Ranges::from_unsorted(b.clone());
            let set: std::collections::BTreeSet<u32> = a.into_iter().chain(b).collect();
            let u = ra.union(&rb);
            prop_assert_eq!(u.count(), set.len() as u64);
            prop_assert_eq!(Ranges::parse(&u.render()).unwrap(), u);
        }

        #[test]
        fn random_text_never_panics_the_range_reader(s in "[0-9,\\- ]{0,40}") {
            let _ = Ranges::parse(&s);
            let _ = Block::parse(&s);
        }
    }
}
