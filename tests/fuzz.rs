//! Property tests over the readers of untrusted input: lockfiles, test results, coverage
//! reports, commit messages and versions. Each runs a bounded number of cases (seconds in all),
//! so the normal test run keeps them; failing inputs proptest finds are kept in
//! `proptest-regressions/` and replayed first.
//!
//! The properties: no reader panics on any input (arbitrary text, and valid samples cut short,
//! spliced with junk or with lines repeated); what a reader accepts is consistent (line numbers
//! inside the file, non-empty names); a JUnit file written from arbitrary names is counted
//! exactly; version order is antisymmetric.

use std::io::Cursor;

use proptest::prelude::*;
use slipway::release::commits;
use slipway::run_tests::coverage::{self, Format};
use slipway::run_tests::{parse, report::Collector};
use slipway::security::deps::lockfiles::{self, Parsed};
use slipway::security::deps::{Ecosystem, version};

type Reader = fn(&str) -> Result<Parsed, lockfiles::Malformed>;

/// Every lockfile reader with a small valid sample of its format.
const READERS: &[(&str, Reader, &str)] = &[
    (
        "Cargo.lock",
        lockfiles::cargo::read,
        "version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n",
    ),
    (
        "package-lock.json",
        lockfiles::npm::read,
        "{\n  \"name\": \"a\",\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {\"name\": \"a\"},\n    \"node_modules/lodash\": {\"version\": \"4.17.20\"}\n  }\n}\n",
    ),
    (
        "pnpm-lock.yaml",
        lockfiles::pnpm::read,
        "lockfileVersion: '9.0'\n\npackages:\n\n  lodash@4.17.20:\n    resolution: {integrity: sha512-x}\n",
    ),
    (
        "yarn.lock",
        lockfiles::yarn::read,
        "# yarn lockfile v1\n\n\nlodash@^4.17.20:\n  version \"4.17.20\"\n  resolved \"https://registry.yarnpkg.com/lodash/-/lodash-4.17.20.tgz\"\n",
    ),
    (
        "bun.lock",
        lockfiles::bun::read,
        "{\n  \"lockfileVersion\": 1,\n  \"packages\": {\n    \"lodash\": [\"lodash@4.17.20\", \"\", {}, \"sha512-x\"],\n  },\n}\n",
    ),
    (
        "composer.lock",
        lockfiles::composer::read,
        "{\n  \"packages\": [\n    {\"name\": \"guzzlehttp/guzzle\", \"version\": \"7.4.0-beta.1.1\"}\n  ],\n  \"packages-dev\": []\n}\n",
    ),
    (
        "Gemfile.lock",
        lockfiles::gemfile::read,
        "GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.3)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rack\n",
    ),
    (
        "go.mod",
        lockfiles::go::read_mod,
        "module example.com/a\n\ngo 1.22\n\nrequire (\n\tgolang.org/x/text v0.3.7\n)\n",
    ),
    (
        "go.sum",
        lockfiles::go::read_sum,
        "golang.org/x/text v0.3.7 h1:abc=\ngolang.org/x/text v0.3.7/go.mod h1:def=\n",
    ),
    (
        "gradle.lockfile",
        lockfiles::gradle::read,
        "com.google.guava:guava:31.0-jre=compileClasspath\nempty=\n",
    ),
    (
        "packages.lock.json",
        lockfiles::nuget::read,
        "{\n  \"version\": 1,\n  \"dependencies\": {\n    \"net8.0\": {\n      \"Newtonsoft.Json\": {\"type\": \"Direct\", \"resolved\": \"12.0.1\"}\n    }\n  }\n}\n",
    ),
    (
        "Pipfile.lock",
        lockfiles::pipfile::read,
        "{\n  \"_meta\": {},\n  \"default\": {\"django\": {\"version\": \"==3.2.0\"}},\n  \"develop\": {}\n}\n",
    ),
    (
        "poetry.lock",
        lockfiles::python::read,
        "[[package]]\nname = \"django\"\nversion = \"3.2.0\"\n\n[metadata]\nlock-version = \"2.0\"\n",
    ),
    (
        "requirements.txt",
        lockfiles::requirements::read,
        "django==3.2.0\nrequests>=2 # not pinned\n",
    ),
];

/// A valid sample cut, spliced or repeated: the shapes a damaged file takes.
fn damaged(sample: &'static str) -> impl Strategy<Value = String> {
    let n = sample.len();
    prop_oneof![
        (0..=n).prop_map(move |cut| sample[..floor(sample, cut)].to_owned()),
        (0..=n, ".{0,12}").prop_map(move |(at, junk)| {
            let at = floor(sample, at);
            format!("{}{junk}{}", &sample[..at], &sample[at..])
        }),
        (0..8usize, 1..4usize).prop_map(move |(line, times)| {
            let lines: Vec<&str> = sample.lines().collect();
            let i = line % lines.len().max(1);
            let mut out = Vec::new();
            for (k, l) in lines.iter().enumerate() {
                out.push(*l);
                if k == i {
                    out.extend(std::iter::repeat_n(*l, times));
                }
            }
            out.join("\n")
        }),
        "\\PC{0,200}",
    ]
}

/// The largest char boundary at or below `at`.
fn floor(s: &str, mut at: usize) -> usize {
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn check_parsed(file: &str, text: &str, parsed: &Parsed) -> Result<(), TestCaseError> {
    let lines = text.lines().count().max(1) as u32;
    for p in &parsed.packages {
        prop_assert!(!p.name.is_empty(), "{file}: empty name from {text:?}");
        if let Some(line) = p.line {
            prop_assert!(
                (1..=lines + 1).contains(&line),
                "{file}: line {line} of {lines} from {text:?}"
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn lockfile_readers_never_panic_and_report_lines_inside_the_file(
        (reader, text) in (0..READERS.len())
            .prop_flat_map(|r| (Just(r), damaged(READERS[r].2))),
    ) {
        let (file, read, _) = READERS[reader];
        if let Ok(parsed) = read(&text) {
            check_parsed(file, &text, &parsed)?;
        }
    }

    #[test]
    fn every_sample_is_read_whole(reader in 0..READERS.len()) {
        let (file, read, sample) = READERS[reader];
        let parsed = read(sample).map_err(|e| TestCaseError::fail(format!("{file}: {e:?}")))?;
        prop_assert!(!parsed.packages.is_empty(), "{file}: no package in the sample");
        check_parsed(file, sample, &parsed)?;
    }

    #[test]
    fn result_files_never_panic(text in "\\PC{0,300}") {
        let mut out = Collector::new();
        let _ = parse::results(Cursor::new(text.as_bytes()), "suite", &mut out);
        let _ = out.finish();
    }

    #[test]
    fn a_junit_file_cut_anywhere_never_panics_and_never_counts_more(
        names in proptest::collection::vec("\\PC{1,12}", 1..8),
        cut in 0usize..2000,
    ) {
        let (xml, _) = junit(&names);
        let text = &xml[..floor(&xml, cut.min(xml.len()))];
        let mut out = Collector::new();
        let _ = parse::results(Cursor::new(text.as_bytes()), "suite", &mut out);
        prop_assert!(out.finish().totals.tests <= names.len() as u64);
    }

    #[test]
    fn a_junit_file_of_arbitrary_names_is_counted_exactly(
        names in proptest::collection::vec("\\PC{1,16}", 1..12),
    ) {
        let (xml, failed) = junit(&names);
        let mut out = Collector::new();
        parse::results(Cursor::new(xml.as_bytes()), "suite", &mut out)
            .map_err(|e| TestCaseError::fail(format!("{e:?}\n{xml}")))?;
        let report = out.finish();
        prop_assert_eq!(report.totals.tests, names.len() as u64, "{}", xml);
        prop_assert_eq!(report.totals.failed, failed, "{}", xml);
    }

    #[test]
    fn coverage_reports_never_panic(text in "\\PC{0,300}", format in 0..5usize) {
        let format = [Format::Auto, Format::Lcov, Format::Cobertura, Format::Jacoco, Format::Go][format];
        if let Ok(data) = coverage::parse(Cursor::new(text.as_bytes()), format) {
            let totals = data.totals();
            prop_assert!(totals.covered <= totals.total, "{text:?}");
        }
    }

    #[test]
    fn commit_messages_never_panic_and_a_parsed_header_has_a_type(
        subject in "\\PC{0,60}",
        body in "\\PC{0,120}",
    ) {
        if let Some(c) = commits::parse(&subject, &body) {
            prop_assert!(!c.kind.is_empty(), "{subject:?}");
            prop_assert!(subject.contains(':'), "{subject:?}");
        }
    }

    #[test]
    fn a_breaking_footer_always_makes_the_commit_breaking(
        kind in "(feat|fix|chore|docs)",
        description in "[a-z][a-z ]{0,20}",
        footer in "(BREAKING CHANGE|BREAKING-CHANGE)",
        text in "[a-z][a-z ]{0,20}",
    ) {
        let c = commits::parse(&format!("{kind}: {description}"), &format!("\n{footer}: {text}\n"))
            .expect("a conventional header");
        prop_assert!(c.breaking);
    }

    #[test]
    fn version_order_is_antisymmetric(
        eco in 0..Ecosystem::ALL.len(),
        a in "[0-9a-zA-Z.+~-]{0,16}",
        b in "[0-9a-zA-Z.+~-]{0,16}",
    ) {
        let eco = Ecosystem::ALL[eco];
        let ab = version::compare(eco, &a, &b);
        let ba = version::compare(eco, &b, &a);
        prop_assert_eq!(ab, ba.map(std::cmp::Ordering::reverse), "{:?} {:?} {:?}", eco, a, b);
        if ab.is_some() {
            prop_assert_eq!(version::compare(eco, &a, &a), Some(std::cmp::Ordering::Equal));
        }
    }
}

/// A JUnit file with one case per name (every third one failing), names XML-escaped; returns it
/// with the number of failures.
fn junit(names: &[String]) -> (String, u64) {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n<testsuite name=\"s\">\n",
    );
    let mut failed = 0;
    for (i, name) in names.iter().enumerate() {
        let name = escape(name);
        if i % 3 == 2 {
            failed += 1;
            xml.push_str(&format!(
                "<testcase classname=\"c\" name=\"{name}{i}\"><failure message=\"{name}\">{name}</failure></testcase>\n"
            ));
        } else {
            xml.push_str(&format!("<testcase classname=\"c\" name=\"{name}{i}\"/>\n"));
        }
    }
    xml.push_str("</testsuite>\n</testsuites>\n");
    (xml, failed)
}

/// XML text escaping, and characters XML 1.0 cannot hold replaced.
fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&apos;".to_owned(),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => "_".to_owned(),
            c => c.to_string(),
        })
        .collect()
}
