//! Test deltas against the base branch: which tests fail now and did not before (new
//! failures), which already failed on the base, which were added and which removed.
//!
//! A report keeps every test's identity and outcome in a [`TestIndex`]: names grouped by their
//! class or suite (the owner), one list per outcome, so a suite of 10,000 tests costs about
//! its names once. `quality.json` keeps the merged index of each subproject; on the default
//! branch it becomes the baseline, and the next pull request is compared with it
//! ([`compare`]). A test's identity is `owner::name`, the id failures already use.
//!
//! When the base has no index (it is missing, or was written by an older version), the deltas
//! are *not evaluated*: the summary says so and `fail-on: regressions` falls back to failing
//! on any failure. Never "no regressions" for lack of data.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use super::report::Outcome;

/// Tests kept in an index; beyond it tests are only counted (`omitted`).
pub const MAX_INDEXED: u64 = 200_000;
/// Ids listed per kind of delta in the summary; the rest are counted.
pub const LISTED: usize = 20;

/// What fails the pass-rate decision: any failing test, or only new failures against the base.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    clap::ValueEnum,
    schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum FailOn {
    /// The pass-rate gate decides (every failure counts).
    #[default]
    Any,
    /// Only tests that fail now and passed (or did not exist) on the base branch fail the run;
    /// failures the base already has are listed, not gated.
    Regressions,
}

impl FailOn {
    /// The value as written in `slipway.yml`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::Regressions => "regressions",
        }
    }
}

/// The tests of one owner (class, module or suite), by outcome; names sorted and unique, a
/// name in one list only (the worst outcome wins).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerTests {
    /// Passed (flaky ones included).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub passed: Vec<String>,
    /// Failed or errored.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<String>,
    /// Skipped.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<String>,
}

impl OwnerTests {
    /// Adds one test.
    pub fn push(&mut self, name: &str, outcome: Outcome) {
        match outcome {
            Outcome::Passed => &mut self.passed,
            Outcome::Skipped => &mut self.skipped,
            Outcome::Failed | Outcome::Error => &mut self.failed,
        }
        .push(name.to_owned());
    }

    fn extend(&mut self, other: OwnerTests) {
        self.passed.extend(other.passed);
        self.failed.extend(other.failed);
        self.skipped.extend(other.skipped);
    }

    /// Sorts, removes duplicates, and keeps each name under its worst outcome only.
    fn normalize(&mut self) {
        for v in [&mut self.passed, &mut self.failed, &mut self.skipped] {
            if !strictly_sorted(v) {
                v.sort_unstable_by(|a, b| by_name(a, b));
                v.dedup();
            }
        }
        self.worst_wins();
    }

    /// Whether every list is sorted with each name once, as [`OwnerTests::normalize`] leaves
    /// them.
    fn is_normal(&self) -> bool {
        [&self.passed, &self.failed, &self.skipped]
            .into_iter()
            .all(|v| strictly_sorted(v))
    }

    /// Adds `other`'s tests and normalizes. Two normalized sides (every file's index, every
    /// shard's) merge list by list in one pass, without sorting again.
    fn merge(&mut self, other: OwnerTests) {
        if !(self.is_normal() && other.is_normal()) {
            self.extend(other);
            self.normalize();
            return;
        }
        self.passed = union(std::mem::take(&mut self.passed), other.passed);
        self.failed = union(std::mem::take(&mut self.failed), other.failed);
        self.skipped = union(std::mem::take(&mut self.skipped), other.skipped);
        self.worst_wins();
    }

    /// With sorted, unique lists: removes from `passed` and `skipped` the names a worse list
    /// holds.
    fn worst_wins(&mut self) {
        remove_sorted(&mut self.skipped, &self.failed);
        remove_sorted(&mut self.passed, &self.failed);
        remove_sorted(&mut self.passed, &self.skipped);
    }

    fn len(&self) -> u64 {
        (self.passed.len() + self.failed.len() + self.skipped.len()) as u64
    }
}

/// Whether `v` is sorted and holds each name once.
fn strictly_sorted(v: &[String]) -> bool {
    v.windows(2).all(|w| by_name(&w[0], &w[1]).is_lt())
}

/// The order of names, the same as `str`'s (byte by byte). Most names differ in their first
/// eight bytes, which compare as one big-endian integer (zero-padded) with no call to
/// `memcmp`; only names equal there compare in full.
#[inline]
fn by_name(a: &str, b: &str) -> std::cmp::Ordering {
    fn head(s: &str) -> u64 {
        let b = s.as_bytes();
        let mut word = [0u8; 8];
        let n = b.len().min(8);
        word[..n].copy_from_slice(&b[..n]);
        u64::from_be_bytes(word)
    }
    head(a).cmp(&head(b)).then_with(|| a.cmp(b))
}

/// Removes from `from` the names `drop` holds; both sorted and unique, walked side by side.
fn remove_sorted(from: &mut Vec<String>, drop: &[String]) {
    if drop.is_empty() || from.is_empty() {
        return;
    }
    let mut d = drop.iter().peekable();
    from.retain(|n| {
        while d.next_if(|x| by_name(x, n).is_lt()).is_some() {}
        d.peek().is_none_or(|x| by_name(x, n).is_ne())
    });
}

/// The sorted union of two sorted lists of unique names, each name once.
fn union(a: Vec<String>, b: Vec<String>) -> Vec<String> {
    if b.is_empty() {
        return a;
    }
    if a.is_empty() {
        return b;
    }
    let mut out = Vec::with_capacity(a.len().max(b.len()));
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) => match by_name(x, y) {
                std::cmp::Ordering::Less => a.next(),
                std::cmp::Ordering::Greater => b.next(),
                std::cmp::Ordering::Equal => {
                    b.next();
                    a.next()
                }
            },
            (Some(_), None) => a.next(),
            (None, Some(_)) => b.next(),
            (None, None) => break,
        };
        out.extend(next);
    }
    out
}

/// Every test's identity and outcome, grouped by owner.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestIndex {
    /// Tests by owner.
    #[serde(default)]
    pub owners: BTreeMap<String, OwnerTests>,
    /// Tests counted but not indexed (past [`MAX_INDEXED`]): the index is partial.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub omitted: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl TestIndex {
    /// Tests indexed.
    pub fn len(&self) -> u64 {
        self.owners.values().map(OwnerTests::len).sum()
    }

    /// True when nothing is indexed.
    pub fn is_empty(&self) -> bool {
        self.owners.is_empty()
    }

    /// Adds the tests of `owner` collected in one run of cases.
    pub fn add(&mut self, owner: &str, tests: OwnerTests) {
        match self.owners.get_mut(owner) {
            Some(have) => have.extend(tests),
            None => {
                self.owners.insert(owner.to_owned(), tests);
            }
        }
    }

    /// Merges another index (another shard or file) into this one.
    pub fn merge(&mut self, other: TestIndex) {
        for (owner, tests) in other.owners {
            match self.owners.get_mut(&owner) {
                Some(have) => have.merge(tests),
                None => {
                    self.owners.insert(owner, tests);
                }
            }
        }
        self.omitted += other.omitted;
        // Owners only one side has are normalized too (a report read from disk may not be);
        // that is a check of each list when they already are.
        self.normalize();
    }

    /// Sorts and deduplicates every owner's lists; the worst outcome of a name wins.
    pub fn normalize(&mut self) {
        for t in self.owners.values_mut() {
            t.normalize();
        }
    }

    /// Moves `id` (`owner::name`) from failed to passed: it passed on a retry.
    pub fn mark_passed(&mut self, id: &str) {
        for (owner, t) in &mut self.owners {
            let Some(name) = id
                .strip_prefix(owner.as_str())
                .and_then(|r| r.strip_prefix("::"))
            else {
                continue;
            };
            if let Ok(i) = t.failed.binary_search_by(|n| n.as_str().cmp(name)) {
                let n = t.failed.remove(i);
                if let Err(j) = t.passed.binary_search(&n) {
                    t.passed.insert(j, n);
                }
                return;
            }
        }
    }

    /// Every test as `(id, outcome)`, the outcome `Passed`, `Skipped` or `Failed`.
    fn ids(&self) -> HashMap<String, Outcome> {
        let mut out = HashMap::with_capacity(self.len() as usize);
        for (owner, t) in &self.owners {
            for (names, outcome) in [
                (&t.passed, Outcome::Passed),
                (&t.skipped, Outcome::Skipped),
                (&t.failed, Outcome::Failed),
            ] {
                for n in names {
                    out.insert(format!("{owner}::{n}"), outcome);
                }
            }
        }
        out
    }
}

/// Ids of one kind of delta: the first [`LISTED`] and how many there are.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listed {
    /// How many.
    pub count: u64,
    /// The first ones, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ids: Vec<String>,
}

impl Listed {
    fn from(mut ids: Vec<String>) -> Self {
        ids.sort_unstable();
        let count = ids.len() as u64;
        ids.truncate(LISTED);
        Self { count, ids }
    }
}

/// This run's tests against the base branch's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deltas {
    /// False when the base has no per-test results: nothing below is known.
    pub evaluated: bool,
    /// Why the deltas are not (or only partly) evaluated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Fail now; passed, were skipped or did not exist on the base.
    #[serde(default)]
    pub new_failures: Listed,
    /// Fail now and failed on the base too.
    #[serde(default)]
    pub known_failures: Listed,
    /// In this run, not on the base.
    #[serde(default)]
    pub added: Listed,
    /// On the base, not in this run (not evaluated when this run's index is partial).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub removed: Option<Listed>,
}

impl Deltas {
    /// Deltas that could not be computed, and why.
    pub fn not_evaluated(note: impl Into<String>) -> Self {
        Self {
            evaluated: false,
            note: Some(note.into()),
            ..Self::default()
        }
    }
}

/// Compares `now` with `base`. `complete` says whether `now` holds the whole suite (not one
/// shard of several, no shard missing): only then are base tests absent from it removed.
///
/// ```
/// # use slipway::run_tests::deltas::{compare, OwnerTests, TestIndex};
/// let index = |passed: &[&str], failed: &[&str]| {
///     let mut i = TestIndex::default();
///     i.add("t", OwnerTests {
///         passed: passed.iter().map(|s| s.to_string()).collect(),
///         failed: failed.iter().map(|s| s.to_string()).collect(),
///         skipped: vec![],
///     });
///     i.normalize();
///     i
/// };
/// let d = compare(&index(&["a"], &["b", "c"]), &index(&["b", "d"], &["c"]), true);
/// assert_eq!(d.new_failures.ids, ["t::b"]);
/// assert_eq!(d.known_failures.ids, ["t::c"]);
/// assert_eq!(d.added.ids, ["t::a"]);
/// assert_eq!(d.removed.unwrap().ids, ["t::d"]);
/// ```
pub fn compare(now: &TestIndex, base: &TestIndex, complete: bool) -> Deltas {
    let base_ids = base.ids();
    let (mut new, mut known, mut added) = (Vec::new(), Vec::new(), Vec::new());
    let mut seen = 0u64;
    for (owner, t) in &now.owners {
        for (names, failed) in [(&t.passed, false), (&t.skipped, false), (&t.failed, true)] {
            for n in names {
                let id = format!("{owner}::{n}");
                let was = base_ids.get(&id).copied();
                if was.is_some() {
                    seen += 1;
                } else {
                    added.push(id.clone());
                }
                if failed {
                    if was == Some(Outcome::Failed) {
                        known.push(id);
                    } else {
                        new.push(id);
                    }
                }
            }
        }
    }
    let mut notes = Vec::new();
    if base.omitted > 0 {
        notes.push(format!(
            "the base indexed {} tests and only counted {} more: a failure among those counts as new",
            base.len(),
            base.omitted
        ));
    }
    let removed = if complete && now.omitted == 0 {
        let now_ids = now.ids();
        let gone: Vec<String> = base_ids
            .into_keys()
            .filter(|id| !now_ids.contains_key(id))
            .collect();
        debug_assert!(gone.len() as u64 + seen == base.len());
        Some(Listed::from(gone))
    } else {
        notes.push("removed tests are not evaluated: this run's results are partial".into());
        None
    };
    Deltas {
        evaluated: true,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
        new_failures: Listed::from(new),
        known_failures: Listed::from(known),
        added: Listed::from(added),
        removed,
    }
}

/// The deltas as Markdown lines for a summary (a bullet list, capped).
pub fn markdown(d: &Deltas) -> String {
    use std::fmt::Write as _;
    if !d.evaluated {
        return format!(
            "- test deltas not evaluated: {}\n",
            d.note.as_deref().unwrap_or("no base results")
        );
    }
    let mut out = String::new();
    let mut kind = |label: &str, l: &Listed| {
        let _ = write!(out, "- {label}: {}", l.count);
        if l.count > 0 {
            let ids: Vec<String> = l.ids.iter().map(|i| format!("`{i}`")).collect();
            let _ = write!(out, " ({}", ids.join(", "));
            if l.count > l.ids.len() as u64 {
                let _ = write!(out, ", and {} more", l.count - l.ids.len() as u64);
            }
            out.push(')');
        }
        out.push('\n');
    };
    kind("new failures (pass or absent on the base)", &d.new_failures);
    kind("failures the base already has", &d.known_failures);
    kind("tests added", &d.added);
    if let Some(r) = &d.removed {
        kind("tests removed", r);
    }
    if let Some(n) = &d.note {
        let _ = writeln!(out, "- _note: {n}_");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(cases: &[(&str, &str, Outcome)]) -> TestIndex {
        let mut i = TestIndex::default();
        for (owner, name, outcome) in cases {
            let mut t = OwnerTests::default();
            t.push(name, *outcome);
            i.add(owner, t);
        }
        i.normalize();
        i
    }

    #[test]
    fn the_worst_outcome_of_a_name_wins_and_names_are_unique() {
        let i = index(&[
            ("a", "x", Outcome::Passed),
            ("a", "x", Outcome::Failed),
            ("a", "y", Outcome::Passed),
            ("a", "y", Outcome::Skipped),
            ("a", "z", Outcome::Passed),
            ("a", "z", Outcome::Passed),
        ]);
        let a = &i.owners["a"];
        assert_eq!(a.failed, ["x"]);
        assert_eq!(a.skipped, ["y"]);
        assert_eq!(a.passed, ["z"]);
        assert_eq!(i.len(), 3);
    }

    #[test]
    fn names_order_as_strings_do() {
        let names = [
            "",
            "a",
            "a\0",
            "a\0\0\0\0\0\0\0b",
            "test_1",
            "test_10",
            "test_100",
            "test_1000",
            "test_10000",
            "test_1000\0",
            "test_2",
            "Test",
            "é",
            "ée",
            "e\u{ff}",
            "zzzzzzzz",
            "zzzzzzzzz",
            "zzzzzzzy",
            "::",
            "a::b",
        ];
        for a in names {
            for b in names {
                assert_eq!(by_name(a, b), a.cmp(b), "{a:?} {b:?}");
            }
        }
        let mut t = OwnerTests {
            passed: names.iter().rev().map(|s| s.to_string()).collect(),
            failed: vec!["test_10".into(), "a".into()],
            skipped: vec!["zzzzzzzzz".into(), "test_10".into(), "zzzzzzzzz".into()],
        };
        t.normalize();
        let mut passed: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| !["test_10", "a", "zzzzzzzzz"].contains(n))
            .collect();
        passed.sort();
        assert_eq!(t.passed, passed);
        assert_eq!(t.failed, ["a", "test_10"]);
        assert_eq!(t.skipped, ["zzzzzzzzz"]);
    }

    #[test]
    fn merging_indexes_matches_normalizing_all_their_tests() {
        let outcomes = [
            Outcome::Passed,
            Outcome::Failed,
            Outcome::Skipped,
            Outcome::Error,
        ];
        let side = |seed: usize| {
            let mut cases = Vec::new();
            for k in 0..60 {
                let owner = ["a", "b", "c"][(k * 7 + seed) % 3];
                let name = format!("t{}", (k * 13 + seed * 5) % 23);
                cases.push((owner, name, outcomes[(k + seed) % 4]));
            }
            cases
        };
        let (left, right) = (side(1), side(2));
        let build = |cases: &[(&str, String, Outcome)]| {
            let cases: Vec<(&str, &str, Outcome)> =
                cases.iter().map(|(o, n, x)| (*o, n.as_str(), *x)).collect();
            index(&cases)
        };
        let mut merged = build(&left);
        merged.merge(build(&right));
        let all: Vec<_> = left.iter().chain(&right).cloned().collect();
        assert_eq!(merged, build(&all));
        // A side that is not normalized (a hand-edited report) is normalized in the merge.
        let mut raw = TestIndex::default();
        raw.add(
            "a",
            OwnerTests {
                passed: vec!["t9".into(), "t1".into(), "t1".into()],
                failed: vec!["t9".into()],
                skipped: vec![],
            },
        );
        let mut merged = build(&left);
        merged.merge(raw.clone());
        let mut expected = build(&left);
        expected.add("a", raw.owners.remove("a").unwrap());
        expected.normalize();
        assert_eq!(merged, expected);
        assert!(merged.owners["a"].failed.contains(&"t9".to_owned()));
    }

    #[test]
    fn a_failure_the_base_passed_skipped_or_lacked_is_new() {
        let base = index(&[
            ("s", "passed", Outcome::Passed),
            ("s", "skipped", Outcome::Skipped),
            ("s", "broken", Outcome::Failed),
            ("s", "gone", Outcome::Passed),
        ]);
        let now = index(&[
            ("s", "passed", Outcome::Failed),
            ("s", "skipped", Outcome::Error),
            ("s", "broken", Outcome::Failed),
            ("s", "fresh", Outcome::Failed),
            ("s", "fresh-ok", Outcome::Passed),
        ]);
        let d = compare(&now, &base, true);
        assert!(d.evaluated);
        assert_eq!(d.new_failures.ids, ["s::fresh", "s::passed", "s::skipped"]);
        assert_eq!(d.known_failures.ids, ["s::broken"]);
        assert_eq!(d.added.ids, ["s::fresh", "s::fresh-ok"]);
        assert_eq!(d.removed.unwrap().ids, ["s::gone"]);
    }

    #[test]
    fn a_partial_run_does_not_call_base_tests_removed() {
        let base = index(&[("s", "a", Outcome::Passed), ("s", "b", Outcome::Passed)]);
        let now = index(&[("s", "a", Outcome::Passed)]);
        let d = compare(&now, &base, false);
        assert_eq!(d.removed, None);
        assert!(d.note.unwrap().contains("partial"));
    }

    #[test]
    fn long_lists_are_capped_and_counted() {
        let base = TestIndex::default();
        let cases: Vec<(String, Outcome)> = (0..LISTED + 7)
            .map(|i| (format!("t{i:03}"), Outcome::Failed))
            .collect();
        let mut now = TestIndex::default();
        let mut t = OwnerTests::default();
        for (n, o) in &cases {
            t.push(n, *o);
        }
        now.add("s", t);
        now.normalize();
        let d = compare(&now, &base, true);
        assert_eq!(d.new_failures.count, (LISTED + 7) as u64);
        assert_eq!(d.new_failures.ids.len(), LISTED);
        let md = markdown(&d);
        assert!(
            md.contains("new failures (pass or absent on the base): 27"),
            "{md}"
        );
        assert!(md.contains("and 7 more"), "{md}");
    }

    #[test]
    fn a_test_passing_on_retry_moves_to_passed() {
        let mut i = index(&[("pkg::mod", "t", Outcome::Failed)]);
        i.mark_passed("pkg::mod::t");
        assert_eq!(i.owners["pkg::mod"].passed, ["t"]);
        assert!(i.owners["pkg::mod"].failed.is_empty());
    }

    #[test]
    fn deltas_without_a_base_say_not_evaluated() {
        let md = markdown(&Deltas::not_evaluated("no baseline at `x`"));
        assert!(md.contains("not evaluated: no baseline at `x`"), "{md}");
        assert!(!md.contains("new failures"));
    }
}
