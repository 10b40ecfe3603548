//! The test report: counted totals, suites, failures with their location, flaky tests,
//! coverage and the gate decisions, built from any number of parsed files.
//!
//! Every parser feeds a [`Collector`]; the totals are always the counted cases, never the
//! totals a file declares (JUnit's `tests=`/`failures=` are often wrong: subtests, reruns,
//! parallel time). Memory stays bounded: suites are merged by name and at most
//! [`MAX_FAILURES`] failures keep their message and details; the rest are only counted.
//!
//! [`Report::summary_json`] is the `--json` shape checks read:
//! `{"totals": {…}, "coverage": {…} | null, "gates": […]}`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::coverage::CoverageData;
use super::deltas::{self, Deltas, OwnerTests, TestIndex};
use super::gates::Gate;

/// Failures kept with their message and details; later ones are only counted.
pub const MAX_FAILURES: usize = 1000;
/// The most bytes of a failure message kept.
pub const MESSAGE_LIMIT: usize = 1024;
/// The most bytes of a failure's details (stack trace, output) kept.
pub const DETAILS_LIMIT: usize = 4096;

/// Case counts and time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counts {
    /// Every counted case.
    pub tests: u64,
    /// Cases that passed (flaky ones included).
    pub passed: u64,
    /// Cases with a failed assertion.
    pub failed: u64,
    /// Cases that errored (an unexpected exception, a crash).
    pub errors: u64,
    /// Cases skipped or disabled.
    pub skipped: u64,
    /// The sum of the case times, in seconds.
    pub time_s: f64,
}

impl Counts {
    /// Adds `other` to these counts.
    pub fn add(&mut self, other: &Counts) {
        self.tests += other.tests;
        self.passed += other.passed;
        self.failed += other.failed;
        self.errors += other.errors;
        self.skipped += other.skipped;
        self.time_s += other.time_s;
    }

    /// Counts one case.
    pub fn count(&mut self, outcome: Outcome, time_s: f64) {
        self.tests += 1;
        match outcome {
            Outcome::Passed => self.passed += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Error => self.errors += 1,
            Outcome::Skipped => self.skipped += 1,
        }
        if time_s.is_finite() && time_s > 0.0 {
            self.time_s += time_s;
        }
    }

    /// 100 × passed / (tests − skipped); 100 when nothing ran.
    pub fn pass_rate(&self) -> f64 {
        let ran = self.tests.saturating_sub(self.skipped);
        if ran == 0 {
            100.0
        } else {
            round2(100.0 * self.passed as f64 / ran as f64)
        }
    }
}

/// The outcome of one case. When a case carries several results the worst wins:
/// error > failure > skipped > passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Ran and held.
    Passed,
    /// Skipped, disabled or not run.
    Skipped,
    /// An assertion failed.
    Failed,
    /// An unexpected error.
    Error,
}

/// A suite: cases grouped by the file's suite element (or package, or test class).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suite {
    /// The suite's name.
    pub name: String,
    /// Its source file, when the result names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// Its counted cases.
    pub counts: Counts,
}

/// A failed or errored case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestFailure {
    /// `classname::name` (or `suite::name`): the identity used across retries and shards.
    pub id: String,
    /// The suite it ran in.
    pub suite: String,
    /// The case name.
    pub name: String,
    /// `failed` or `error`.
    pub outcome: Outcome,
    /// The first line of the failure message.
    pub message: String,
    /// The stack trace or output, shortened.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub details: String,
    /// The source file, relative to the repository when the result says so.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// The line in `file`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// Covered and total lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CoverageTotals {
    /// Lines (Go: statements) run at least once.
    pub covered: u64,
    /// Lines (statements) that could run.
    pub total: u64,
    /// 100 × covered / total, two decimals; 0 when there is nothing to cover.
    pub percent: f64,
}

impl CoverageTotals {
    /// Totals from counts, with the percent computed.
    pub fn new(covered: u64, total: u64) -> Self {
        let percent = if total == 0 {
            0.0
        } else {
            round2(100.0 * covered as f64 / total as f64)
        };
        Self {
            covered,
            total,
            percent,
        }
    }
}

/// A file that could not be read or parsed: the gate fails closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// The file, as found.
    pub file: String,
    /// 1-based line, 0 when not known.
    pub line: usize,
    /// 1-based column, 0 when not known.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "`{}`: {}", self.file, self.message)
        } else {
            write!(
                f,
                "`{}`:{}:{}: {}",
                self.file, self.line, self.column, self.message
            )
        }
    }
}

/// A test command as it ran, and whether it left per-test results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommandRun {
    /// The command (`npm test`, `cd api && pytest`).
    pub command: String,
    /// Its exit code (of its last attempt); `None` when a signal ended it.
    pub exit_code: Option<i32>,
    /// Failed and errored tests in its results.
    pub failed: u64,
    /// The result files it left.
    #[serde(default)]
    pub results: Vec<String>,
    /// Why it left no per-test results, and what to do; `None` when it left some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// A gate that could not be decided, and why; it neither holds nor fails.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotEvaluated {
    /// The gate's id (`pass-rate`, `coverage`).
    pub gate: String,
    /// Why.
    pub reason: String,
}

/// The whole report of one run (or of merged shards).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Counted totals.
    pub totals: Counts,
    /// Line coverage, when coverage files were given.
    pub coverage: Option<CoverageTotals>,
    /// The gate decisions.
    pub gates: Vec<Gate>,
    /// Per-file lines behind `coverage`, which merge by union across shards; absent in
    /// reports of older versions, whose `coverage` is then added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage_data: Option<CoverageData>,
    /// Suites by name, in the order first seen.
    pub suites: Vec<Suite>,
    /// Failures, in the order seen, at most [`MAX_FAILURES`].
    pub failures: Vec<TestFailure>,
    /// Failures counted but not kept.
    #[serde(default)]
    pub failures_omitted: u64,
    /// Ids of tests that failed and then passed on a retry.
    #[serde(default)]
    pub flaky: Vec<String>,
    /// Result and coverage files read.
    #[serde(default)]
    pub files: Vec<String>,
    /// Files that could not be read.
    #[serde(default)]
    pub problems: Vec<Problem>,
    /// Seconds per test source file, for sharding the next run.
    #[serde(default)]
    pub timings: BTreeMap<String, f64>,
    /// The test commands run (empty when results were only read).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<CommandRun>,
    /// Gates that could not be decided (no per-test results, no coverage).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_evaluated: Vec<NotEvaluated>,
    /// Every test's identity and outcome, for the deltas of the next run against this one;
    /// absent in reports of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tests: Option<TestIndex>,
    /// This run's tests against the baseline's, when a baseline was given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deltas: Option<Deltas>,
}

/// The `--json` shape: totals, coverage and gates only.
#[derive(Debug, Serialize)]
pub struct SummaryJson<'a> {
    /// Counted totals.
    pub totals: &'a Counts,
    /// Line coverage or `null`.
    pub coverage: &'a Option<CoverageTotals>,
    /// The gate decisions.
    pub gates: &'a [Gate],
    /// Gates that could not be decided.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub not_evaluated: &'a [NotEvaluated],
}

impl Report {
    /// The compact shape printed by `--json`.
    pub fn summary_json(&self) -> SummaryJson<'_> {
        SummaryJson {
            totals: &self.totals,
            coverage: &self.coverage,
            gates: &self.gates,
            not_evaluated: &self.not_evaluated,
        }
    }

    /// True when every gate held.
    pub fn passed(&self) -> bool {
        self.gates.iter().all(|g| g.ok)
    }

    /// Rounds every time to milliseconds (sums of floats otherwise print as `0.6210000000000001`).
    pub fn round_times(&mut self) {
        let ms = |t: &mut f64| *t = (*t * 1000.0).round() / 1000.0;
        ms(&mut self.totals.time_s);
        for s in &mut self.suites {
            ms(&mut s.counts.time_s);
        }
        for t in self.timings.values_mut() {
            ms(t);
        }
    }

    /// Marks as flaky the failures of this report that a retry ran and did not fail: they
    /// count as passed (in the totals and their suite) and are listed in `flaky`. A retry that
    /// ran nothing proves nothing.
    pub fn mark_flaky(&mut self, retry: &Report) {
        if retry.totals.tests == 0 {
            return;
        }
        let still: std::collections::HashSet<&str> =
            retry.failures.iter().map(|f| f.id.as_str()).collect();
        let mut kept = Vec::new();
        for f in std::mem::take(&mut self.failures) {
            if still.contains(f.id.as_str()) || retry.failures_omitted > 0 {
                kept.push(f);
                continue;
            }
            for counts in std::iter::once(&mut self.totals).chain(
                self.suites
                    .iter_mut()
                    .filter(|s| s.name == f.suite)
                    .map(|s| &mut s.counts),
            ) {
                match f.outcome {
                    Outcome::Error => counts.errors = counts.errors.saturating_sub(1),
                    _ => counts.failed = counts.failed.saturating_sub(1),
                }
                counts.passed += 1;
            }
            if let Some(index) = &mut self.tests {
                index.mark_passed(&f.id);
            }
            if !self.flaky.contains(&f.id) {
                self.flaky.push(f.id);
            }
        }
        self.failures = kept;
    }

    /// The coverage of this report as mergeable data: its line data, or for a report without
    /// any (an older version's), its totals to be added.
    fn take_coverage_data(&mut self) -> Option<CoverageData> {
        match (self.coverage_data.take(), self.coverage) {
            (Some(d), _) => Some(d),
            (None, Some(c)) => Some(CoverageData::summed(c.covered, c.total)),
            (None, None) => None,
        }
    }

    /// A note for the summary when part of the coverage could only be added.
    pub fn coverage_note(&self) -> Option<String> {
        self.coverage_data.as_ref().and_then(CoverageData::note)
    }

    /// Adds the cases of `other` (another shard or file) to this report; gates are not merged.
    /// Coverage merges by union per file and line where both sides carry line data.
    pub fn absorb(&mut self, mut other: Report) {
        let their_coverage = other.take_coverage_data();
        let mut index: BTreeMap<String, usize> = self
            .suites
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect();
        for suite in other.suites {
            match index.get(&suite.name) {
                Some(&i) => self.suites[i].counts.add(&suite.counts),
                None => {
                    index.insert(suite.name.clone(), self.suites.len());
                    self.suites.push(suite);
                }
            }
        }
        let had_tests = self.totals.tests;
        self.totals.add(&other.totals);
        for f in other.failures {
            if self.failures.len() < MAX_FAILURES {
                self.failures.push(f);
            } else {
                self.failures_omitted += 1;
            }
        }
        self.failures_omitted += other.failures_omitted;
        for id in other.flaky {
            if !self.flaky.contains(&id) {
                self.flaky.push(id);
            }
        }
        self.files.extend(other.files);
        self.problems.extend(other.problems);
        for (file, t) in other.timings {
            *self.timings.entry(file).or_default() += t;
        }
        self.commands.extend(other.commands);
        // A side with tests but no index (an older version's report) makes the merged index
        // partial: its tests are counted as omitted.
        match (self.tests.take(), other.tests) {
            (mine, Some(theirs)) => {
                let mut mine = mine.unwrap_or_else(|| TestIndex {
                    omitted: had_tests,
                    ..TestIndex::default()
                });
                mine.merge(theirs);
                self.tests = Some(mine);
            }
            (Some(mut mine), None) => {
                mine.omitted += other.totals.tests;
                self.tests = Some(mine);
            }
            (None, None) => {}
        }
        if let Some(theirs) = their_coverage {
            let mut mine = self.take_coverage_data().unwrap_or_default();
            mine.merge(theirs);
            self.coverage = Some(mine.totals());
            self.coverage_data = Some(mine);
        }
    }
}

/// A case as a parser sees it, before it is counted.
#[derive(Debug, Clone, Default)]
pub struct Case {
    /// The case name.
    pub name: String,
    /// Its class or module, when given.
    pub classname: String,
    /// Its source file.
    pub file: Option<String>,
    /// Its line.
    pub line: Option<u32>,
    /// Seconds.
    pub time_s: f64,
    /// The worst result seen so far.
    pub outcome: Option<Outcome>,
    /// The message of that result.
    pub message: String,
    /// The details of that result.
    pub details: String,
    /// Failed first, then passed on a rerun within the same file (Surefire `flakyFailure`).
    pub flaky: bool,
}

impl Case {
    /// Empties the case, keeping its strings' memory.
    pub fn clear(&mut self) {
        self.name.clear();
        self.classname.clear();
        self.line = None;
        self.time_s = 0.0;
        self.outcome = None;
        self.message.clear();
        self.details.clear();
        self.flaky = false;
    }

    /// Records one result element; the worst result keeps its message.
    pub fn result(&mut self, outcome: Outcome, message: &str, details: &str) {
        if self.outcome.is_some_and(|o| o >= outcome) {
            return;
        }
        self.outcome = Some(outcome);
        self.message.clear();
        self.message.push_str(message);
        self.details.clear();
        self.details.push_str(details);
    }
}

/// Collects the cases of the files of one run into a [`Report`], suite by suite.
#[derive(Debug, Default)]
pub struct Collector {
    report: Report,
    index: BTreeMap<String, usize>,
    /// The suite of the last case: cases come in runs of one suite.
    last: Option<usize>,
    /// The time of the last cases' file, not yet added to the report: cases come in runs of
    /// one file, so the map is touched once per run.
    pending: Option<(String, f64)>,
    /// The tests of the last cases' owner, not yet added to the index (same reason).
    owner: Option<(String, OwnerTests)>,
    /// Tests indexed so far.
    indexed: u64,
    /// Every test seen, by owner.
    tests: TestIndex,
}

impl Collector {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts a case that needs no name: one that passed (and is not flaky) or was skipped,
    /// in the suite `suite` (created with `suite_file` when new); its time goes to `file`, or
    /// else to the suite's file.
    pub fn count(
        &mut self,
        suite: &str,
        suite_file: Option<&str>,
        file: Option<&str>,
        outcome: Outcome,
        time_s: f64,
    ) {
        let last = self
            .last
            .filter(|&i| same(&self.report.suites[i].name, suite));
        let i = match last.or_else(|| self.index.get(suite).copied()) {
            Some(i) => i,
            None => {
                let i = self.report.suites.len();
                self.report.suites.push(Suite {
                    name: suite.to_owned(),
                    file: suite_file.map(str::to_owned),
                    counts: Counts::default(),
                });
                self.index.insert(suite.to_owned(), i);
                i
            }
        };
        self.last = Some(i);
        if let Some(file) = file.or(suite_file)
            && time_s.is_finite()
            && time_s > 0.0
        {
            match &mut self.pending {
                Some((f, t)) if same(f, file) => *t += time_s,
                _ => {
                    self.flush_timing();
                    self.pending = Some((file.to_owned(), time_s));
                }
            }
        }
        self.report.suites[i].counts.count(outcome, time_s);
        self.report.totals.count(outcome, time_s);
    }

    /// Counts `case` in the suite `suite` (created with `suite_file` when new), and keeps it
    /// when it failed or was flaky.
    pub fn case(&mut self, suite: &str, suite_file: Option<&str>, case: &Case) {
        let outcome = case.outcome.unwrap_or(Outcome::Passed);
        self.count(
            suite,
            suite_file,
            case.file.as_deref(),
            outcome,
            case.time_s,
        );
        let owner = if case.classname.is_empty() {
            suite
        } else {
            &case.classname
        };
        self.record(owner, &case.name, outcome);
        let id = || format!("{owner}::{}", case.name);
        if case.flaky && outcome == Outcome::Passed {
            let id = id();
            if !self.report.flaky.contains(&id) {
                self.report.flaky.push(id);
            }
        }
        if matches!(outcome, Outcome::Failed | Outcome::Error) {
            let id = id();
            if self.report.failures.len() >= MAX_FAILURES {
                self.report.failures_omitted += 1;
                return;
            }
            let (mut file, mut line) = (
                case.file.clone().or_else(|| suite_file.map(str::to_owned)),
                case.line,
            );
            // The trace's line in the test's own file is more precise than the line of the
            // test's definition; a trace elsewhere only helps when nothing else is known.
            if let Some((f, l)) = location_in(&case.details, file.as_deref()) {
                let same = file
                    .as_deref()
                    .is_some_and(|p| p.ends_with(f.as_str()) || f.ends_with(p));
                if same || line.is_none() {
                    if !same {
                        file = Some(f);
                    }
                    line = Some(l);
                }
            }
            let message = first_line(&case.message)
                .or_else(|| first_line(&case.details))
                .unwrap_or_default();
            self.report.failures.push(TestFailure {
                id,
                suite: suite.to_owned(),
                name: case.name.clone(),
                outcome,
                message: clip(&message, MESSAGE_LIMIT),
                details: clip(case.details.trim_end(), DETAILS_LIMIT),
                file,
                line,
            });
        }
    }

    /// Counts a case like [`Collector::count`] and indexes it as `owner::name`.
    #[allow(clippy::too_many_arguments)]
    pub fn count_named(
        &mut self,
        suite: &str,
        suite_file: Option<&str>,
        file: Option<&str>,
        owner: &str,
        name: &str,
        outcome: Outcome,
        time_s: f64,
    ) {
        self.count(suite, suite_file, file, outcome, time_s);
        self.record(if owner.is_empty() { suite } else { owner }, name, outcome);
    }

    /// Indexes one test under its owner.
    fn record(&mut self, owner: &str, name: &str, outcome: Outcome) {
        if self.indexed >= deltas::MAX_INDEXED {
            self.tests.omitted += 1;
            return;
        }
        self.indexed += 1;
        match &mut self.owner {
            Some((o, tests)) if same(o, owner) => tests.push(name, outcome),
            _ => {
                self.flush_owner();
                let mut tests = OwnerTests::default();
                tests.push(name, outcome);
                self.owner = Some((owner.to_owned(), tests));
            }
        }
    }

    fn flush_owner(&mut self) {
        if let Some((owner, tests)) = self.owner.take() {
            self.tests.add(&owner, tests);
        }
    }

    fn flush_timing(&mut self) {
        if let Some((file, t)) = self.pending.take() {
            *self.report.timings.entry(file).or_default() += t;
        }
    }

    /// Adds `seconds` to the recorded time of `key` (a test file, or a Go package).
    pub fn timing(&mut self, key: &str, seconds: f64) {
        if !seconds.is_finite() || seconds <= 0.0 {
            return;
        }
        match self.report.timings.get_mut(key) {
            Some(t) => *t += seconds,
            None => {
                self.report.timings.insert(key.to_owned(), seconds);
            }
        }
    }

    /// Records a file that was read.
    pub fn file(&mut self, name: &str) {
        self.report.files.push(name.to_owned());
    }

    /// Records a file that could not be read.
    pub fn problem(&mut self, problem: Problem) {
        self.report.problems.push(problem);
    }

    /// Adds the coverage of one file: union with the lines read so far.
    pub fn coverage(&mut self, c: CoverageData) {
        let data = self
            .report
            .coverage_data
            .get_or_insert_with(CoverageData::default);
        data.merge(c);
        self.report.coverage = Some(data.totals());
    }

    /// Suites seen so far.
    pub fn suite_count(&self) -> usize {
        self.report.suites.len()
    }

    /// The report so far (gates empty), times rounded to milliseconds.
    pub fn finish(mut self) -> Report {
        self.flush_timing();
        self.flush_owner();
        if self.report.totals.tests > 0 {
            let mut index = std::mem::take(&mut self.tests);
            index.normalize();
            self.report.tests = Some(index);
        }
        self.report.round_times();
        self.report
    }
}

/// Whether `a` and `b` are equal. This runs twice per case (its suite and file against the
/// last case's): names of 8 to 16 bytes compare as two overlapping words each, inline,
/// instead of through a call to `memcmp`.
fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if !(8..=16).contains(&n) {
        return a == b;
    }
    let word = |s: &[u8], at: usize| {
        s.get(at..at + 8)
            .and_then(|w| <[u8; 8]>::try_from(w).ok())
            .map(u64::from_ne_bytes)
    };
    word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8)
}

/// The first non-empty line of `s`, trimmed.
fn first_line(s: &str) -> Option<String> {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_owned)
}

/// `s` cut to at most `limit` bytes at a character boundary.
pub fn clip(s: &str, limit: usize) -> String {
    if s.len() <= limit {
        return s.to_owned();
    }
    let mut end = limit;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

/// Source extensions a `file:line` in a stack trace may point at.
const SOURCE_EXTENSIONS: &[&str] = &[
    ".py", ".rs", ".go", ".js", ".ts", ".jsx", ".tsx", ".mjs", ".cjs", ".php", ".rb", ".java",
    ".kt", ".scala", ".cs",
];

/// The first `path/to/file.ext:LINE` in a failure's details (pytest's `tests/test_x.py:12:`,
/// Rust's `panicked at src/lib.rs:10:5`, Go's `x_test.go:8:`, a JS stack's `(src/a.js:3:9)`).
/// When `prefer` names a file, a location in that file wins.
///
/// ```
/// # use slipway::run_tests::report::location_in;
/// let trace = "def test_a():\n>       assert 1 == 2\nE       assert 1 == 2\n\ntests/test_a.py:3: AssertionError";
/// assert_eq!(location_in(trace, None), Some(("tests/test_a.py".to_owned(), 3)));
/// ```
pub fn location_in(details: &str, prefer: Option<&str>) -> Option<(String, u32)> {
    let mut first = None;
    for token in details.split(|c: char| c.is_whitespace() || "()[]<>'\"".contains(c)) {
        let mut parts = token.splitn(3, ':');
        let (Some(file), Some(line)) = (parts.next(), parts.next()) else {
            continue;
        };
        let file = file.trim_start_matches("file://");
        if !SOURCE_EXTENSIONS.iter().any(|e| file.ends_with(e)) || file.contains("://") {
            continue;
        }
        let Ok(line) = line.parse::<u32>() else {
            continue;
        };
        if line == 0 {
            continue;
        }
        let found = (file.to_owned(), line);
        if prefer.is_none_or(|p| p.ends_with(file) || file.ends_with(p)) {
            return Some(found);
        }
        first.get_or_insert(found);
    }
    first
}

/// `x` rounded to two decimals.
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_compare_equal_exactly_when_their_bytes_do() {
        let names = [
            "",
            "a",
            "com.shop",
            "com.shop.Suite0",
            "com.shop.Suite1",
            "Com.shop.Suite0",
            "src/test_0.py",
            "src/test_1.py",
            "a longer name than sixteen",
            "a longer name than sixteeN",
            "exactly sixteen!",
            "exactly sixteen?",
            "é.suite",
            "e.suite",
        ];
        for a in names {
            for b in names {
                assert_eq!(same(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn the_worst_result_of_a_case_wins() {
        let mut c = Case::default();
        c.result(Outcome::Skipped, "skip", "");
        c.result(Outcome::Error, "boom", "trace");
        c.result(Outcome::Failed, "assert", "");
        assert_eq!(c.outcome, Some(Outcome::Error));
        assert_eq!(c.message, "boom");
    }

    #[test]
    fn pass_rate_leaves_skipped_cases_out() {
        let c = Counts {
            tests: 12,
            passed: 9,
            failed: 2,
            errors: 1,
            skipped: 0,
            time_s: 0.0,
        };
        assert_eq!(c.pass_rate(), 75.0);
        let c = Counts {
            tests: 4,
            passed: 3,
            skipped: 1,
            ..Counts::default()
        };
        assert_eq!(c.pass_rate(), 100.0);
    }

    #[test]
    fn locations_are_found_in_stack_traces() {
        assert_eq!(
            location_in("thread 'a' panicked at src/lib.rs:10:5:\nassertion", None),
            Some(("src/lib.rs".into(), 10))
        );
        assert_eq!(
            location_in("    at Object.<anonymous> (src/sum.test.js:4:17)", None),
            Some(("src/sum.test.js".into(), 4))
        );
        assert_eq!(location_in("no place here: 12", None), None);
    }

    #[test]
    fn failures_beyond_the_cap_are_only_counted() {
        let mut c = Collector::new();
        for i in 0..MAX_FAILURES + 5 {
            let mut case = Case {
                name: format!("t{i}"),
                ..Case::default()
            };
            case.result(Outcome::Failed, "no", "");
            c.case("s", None, &case);
        }
        let r = c.finish();
        assert_eq!(r.failures.len(), MAX_FAILURES);
        assert_eq!(r.failures_omitted, 5);
        assert_eq!(r.totals.failed, MAX_FAILURES as u64 + 5);
    }
}
