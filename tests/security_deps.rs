//! The dependency audit of `slipway security-scan`: every lockfile format against real OSV
//! advisories in `tests/fixtures/osv/`, the OSV API through a local HTTP server, and bad input.

mod common;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use common::github_mock::{MockGitHub, Reply};
use proptest::prelude::*;
use slipway::error::Hint;
use slipway::security::Level;
use slipway::security::deps::lockfiles::Format;
use slipway::security::deps::{self, Db, Ecosystem, Error, Options, Report, osv};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn osv_dir() -> PathBuf {
    fixtures().join("osv")
}

fn scan_dir(root: &Path, db: PathBuf) -> Report {
    deps::scan(&Options {
        root: root.to_path_buf(),
        db: Db::Dir(db),
    })
    .expect("the scan runs")
}

/// One line per finding and skipped entry, for snapshots.
fn render(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "lockfiles: {:?}", r.lockfiles);
    let _ = writeln!(s, "packages: {}", r.packages);
    for f in &r.findings {
        let Some(a) = f.advisory.as_ref() else {
            let _ = writeln!(
                s,
                "{}:{} {:?} {} {}",
                f.file, f.line, f.level, f.rule, f.message
            );
            continue;
        };
        let _ = writeln!(
            s,
            "{}:{} {:?} {} {} {}@{} fixed={} aliases={} cvss={}",
            f.file,
            f.line,
            f.level,
            f.rule,
            a.ecosystem,
            a.package,
            a.version,
            a.fixed.as_deref().unwrap_or("-"),
            a.aliases.join(","),
            a.cvss.as_deref().unwrap_or("-"),
        );
    }
    for k in &r.skipped {
        let _ = writeln!(
            s,
            "skipped {}:{} {}",
            k.file,
            k.line.map_or("-".into(), |l| l.to_string()),
            k.reason
        );
    }
    s
}

#[test]
fn every_lockfile_format_reports_its_vulnerable_packages() {
    insta::glob!("fixtures/lockfiles/*", |dir| {
        let report = scan_dir(dir, osv_dir());
        insta::assert_snapshot!(render(&report));
    });
}

#[test]
fn findings_carry_message_level_and_a_stable_fingerprint() {
    let dir = fixtures().join("lockfiles/cargo-v3");
    let r = scan_dir(&dir, osv_dir());
    let rsa = r
        .findings
        .iter()
        .find(|f| f.rule == "RUSTSEC-2023-0071")
        .expect("rsa is reported");
    assert_eq!(rsa.level, Level::High); // CVSS 7.4
    assert_eq!(rsa.file, "Cargo.lock");
    assert_eq!(rsa.line, 33);
    assert!(
        rsa.message.contains(
            "`rsa` 0.9.6 (crates.io) is affected by RUSTSEC-2023-0071 (GHSA-c38w-74pg-36hr)"
        ),
        "{}",
        rsa.message
    );
    assert!(
        rsa.message.ends_with("no fixed version is published yet"),
        "{}",
        rsa.message
    );
    let h2 = r
        .findings
        .iter()
        .find(|f| f.rule == "RUSTSEC-2024-0332")
        .expect("h2 is reported");
    assert!(
        h2.message.ends_with("upgrade to 0.3.26 or later"),
        "{}",
        h2.message
    );
    // No CVSS in the record and no severity word: an unrated advisory is medium.
    assert_eq!(h2.level, Level::Medium);

    // The same package moved to another line keeps its fingerprint.
    let tmp = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(dir.join("Cargo.lock")).unwrap();
    std::fs::write(tmp.path().join("Cargo.lock"), format!("\n\n\n{text}")).unwrap();
    let moved = scan_dir(tmp.path(), osv_dir());
    let rsa2 = moved
        .findings
        .iter()
        .find(|f| f.rule == "RUSTSEC-2023-0071")
        .unwrap();
    assert_eq!(rsa2.line, rsa.line + 3);
    assert_eq!(rsa2.fingerprint, rsa.fingerprint);
    let fps: HashSet<_> = r.findings.iter().map(|f| &f.fingerprint).collect();
    assert_eq!(
        fps.len(),
        r.findings.len(),
        "one fingerprint per package and advisory"
    );
}

/// (ecosystem, package, version, advisory, expected: None = not affected, Some(fixed)).
const BOUNDARIES: &[(Ecosystem, &str, &str, &str, Option<&str>)] = &[
    // crates.io, SEMVER ranges
    (
        Ecosystem::CratesIo,
        "rsa",
        "0.1.0",
        "RUSTSEC-2023-0071",
        Some(""),
    ),
    (
        Ecosystem::CratesIo,
        "rsa",
        "0.10.0-pre.1",
        "RUSTSEC-2023-0071",
        Some(""),
    ),
    (
        Ecosystem::CratesIo,
        "rustls",
        "0.21.10",
        "RUSTSEC-2024-0336",
        Some("0.21.11"),
    ),
    (
        Ecosystem::CratesIo,
        "rustls",
        "0.21.11",
        "RUSTSEC-2024-0336",
        None,
    ),
    (
        Ecosystem::CratesIo,
        "rustls",
        "0.22.0",
        "RUSTSEC-2024-0336",
        Some("0.22.4"),
    ),
    (
        Ecosystem::CratesIo,
        "rustls",
        "0.22.4",
        "RUSTSEC-2024-0336",
        None,
    ),
    (
        Ecosystem::CratesIo,
        "rustls",
        "0.23.4",
        "RUSTSEC-2024-0336",
        Some("0.23.5"),
    ),
    (
        Ecosystem::CratesIo,
        "rustls",
        "0.23.5",
        "RUSTSEC-2024-0336",
        None,
    ),
    (
        Ecosystem::CratesIo,
        "tokio",
        "0.1.13",
        "RUSTSEC-2021-0124",
        None,
    ),
    (
        Ecosystem::CratesIo,
        "tokio",
        "0.1.14",
        "RUSTSEC-2021-0124",
        Some("1.8.4"),
    ),
    (
        Ecosystem::CratesIo,
        "tokio",
        "1.8.4",
        "RUSTSEC-2021-0124",
        None,
    ),
    (
        Ecosystem::CratesIo,
        "tokio",
        "1.9.0",
        "RUSTSEC-2021-0124",
        Some("1.13.1"),
    ),
    (
        Ecosystem::CratesIo,
        "tokio",
        "1.13.1",
        "RUSTSEC-2021-0124",
        None,
    ),
    (
        Ecosystem::CratesIo,
        "time",
        "0.1.43",
        "RUSTSEC-2020-0071",
        Some("0.2.0"),
    ),
    (
        Ecosystem::CratesIo,
        "time",
        "0.2.6",
        "RUSTSEC-2020-0071",
        None,
    ),
    (
        Ecosystem::CratesIo,
        "time",
        "0.2.7",
        "RUSTSEC-2020-0071",
        Some("0.2.23"),
    ),
    (
        Ecosystem::CratesIo,
        "time",
        "0.2.23",
        "RUSTSEC-2020-0071",
        None,
    ),
    (
        Ecosystem::CratesIo,
        "tungstenite",
        "0.20.0",
        "RUSTSEC-2023-0065",
        Some("0.20.1"),
    ),
    (
        Ecosystem::CratesIo,
        "tungstenite",
        "0.20.1",
        "RUSTSEC-2023-0065",
        None,
    ),
    // npm
    (
        Ecosystem::Npm,
        "semver",
        "5.7.1",
        "GHSA-c2qf-rxjj-qqgw",
        Some("5.7.2"),
    ),
    (
        Ecosystem::Npm,
        "semver",
        "5.7.2",
        "GHSA-c2qf-rxjj-qqgw",
        None,
    ),
    (
        Ecosystem::Npm,
        "semver",
        "6.0.0",
        "GHSA-c2qf-rxjj-qqgw",
        Some("6.3.1"),
    ),
    (
        Ecosystem::Npm,
        "semver",
        "6.3.1",
        "GHSA-c2qf-rxjj-qqgw",
        None,
    ),
    (
        Ecosystem::Npm,
        "semver",
        "7.5.1",
        "GHSA-c2qf-rxjj-qqgw",
        Some("7.5.2"),
    ),
    (
        Ecosystem::Npm,
        "semver",
        "7.5.2",
        "GHSA-c2qf-rxjj-qqgw",
        None,
    ),
    (
        Ecosystem::Npm,
        "semver",
        "7.5.2-rc.1",
        "GHSA-c2qf-rxjj-qqgw",
        Some("7.5.2"),
    ),
    (
        Ecosystem::Npm,
        "lodash",
        "3.6.0",
        "GHSA-p6mc-m468-83gw",
        Some("4.17.20"),
    ),
    (
        Ecosystem::Npm,
        "lodash",
        "4.17.19",
        "GHSA-p6mc-m468-83gw",
        Some("4.17.20"),
    ),
    (
        Ecosystem::Npm,
        "lodash",
        "4.17.20",
        "GHSA-p6mc-m468-83gw",
        None,
    ),
    (
        Ecosystem::Npm,
        "lodash.template",
        "4.5.1",
        "GHSA-35jh-r3h4-6jhm",
        None,
    ),
    (
        Ecosystem::Npm,
        "@babel/traverse",
        "7.23.1",
        "GHSA-67hx-6x53-jw92",
        Some("7.23.2"),
    ),
    (
        Ecosystem::Npm,
        "@babel/traverse",
        "7.23.2",
        "GHSA-67hx-6x53-jw92",
        None,
    ),
    (
        Ecosystem::Npm,
        "@babel/traverse",
        "8.0.0-alpha.3",
        "GHSA-67hx-6x53-jw92",
        Some("8.0.0-alpha.4"),
    ),
    (
        Ecosystem::Npm,
        "@babel/traverse",
        "8.0.0-alpha.4",
        "GHSA-67hx-6x53-jw92",
        None,
    ),
    (
        Ecosystem::Npm,
        "braces",
        "3.0.3",
        "GHSA-grv7-fg5c-xmjg",
        None,
    ),
    (
        Ecosystem::Npm,
        "micromatch",
        "4.0.7",
        "GHSA-952p-6rrq-rcjv",
        Some("4.0.8"),
    ),
    // PyPI, PEP 440 and PEP 503 names
    (
        Ecosystem::PyPI,
        "requests",
        "2.2.1",
        "GHSA-j8r2-6x86-q33q",
        None,
    ),
    (
        Ecosystem::PyPI,
        "requests",
        "2.3.0",
        "GHSA-j8r2-6x86-q33q",
        Some("2.31.0"),
    ),
    (
        Ecosystem::PyPI,
        "Requests",
        "2.31.0rc1",
        "GHSA-j8r2-6x86-q33q",
        Some("2.31.0"),
    ),
    (
        Ecosystem::PyPI,
        "requests",
        "2.31.0",
        "GHSA-j8r2-6x86-q33q",
        None,
    ),
    (
        Ecosystem::PyPI,
        "requests",
        "2.30.0",
        "PYSEC-2023-74",
        Some("2.31.0"),
    ),
    (Ecosystem::PyPI, "requests", "2.31.0", "PYSEC-2023-74", None),
    (
        Ecosystem::PyPI,
        "urllib3",
        "1.26.16",
        "GHSA-v845-jxx5-vc9f",
        Some("1.26.17"),
    ),
    (
        Ecosystem::PyPI,
        "urllib3",
        "1.26.17",
        "GHSA-v845-jxx5-vc9f",
        None,
    ),
    (
        Ecosystem::PyPI,
        "urllib3",
        "2.0.5",
        "GHSA-v845-jxx5-vc9f",
        Some("2.0.6"),
    ),
    (
        Ecosystem::PyPI,
        "urllib3",
        "2.0.6",
        "GHSA-v845-jxx5-vc9f",
        None,
    ),
    (
        Ecosystem::PyPI,
        "Jinja2",
        "3.1.2",
        "GHSA-h5c8-rqwp-cp95",
        Some("3.1.3"),
    ),
    (
        Ecosystem::PyPI,
        "jinja2",
        "3.1.3",
        "GHSA-h5c8-rqwp-cp95",
        None,
    ),
    (
        Ecosystem::PyPI,
        "jinja2",
        "3.1.3",
        "GHSA-h75v-3vvj-5mfj",
        Some("3.1.4"),
    ),
    // Go, with pseudo-versions and +incompatible
    (
        Ecosystem::Go,
        "golang.org/x/net",
        "v0.6.0",
        "GO-2023-1571",
        Some("0.7.0"),
    ),
    (
        Ecosystem::Go,
        "golang.org/x/net",
        "v0.0.0-20220722155237-a158d28d115b",
        "GO-2023-1571",
        Some("0.7.0"),
    ),
    (
        Ecosystem::Go,
        "golang.org/x/net",
        "v0.7.0",
        "GO-2023-1571",
        None,
    ),
    (
        Ecosystem::Go,
        "github.com/gin-gonic/gin",
        "v1.3.0",
        "GO-2023-1737",
        None,
    ),
    (
        Ecosystem::Go,
        "github.com/gin-gonic/gin",
        "v1.3.1-0.20190301021747-ccb9e902956d",
        "GO-2023-1737",
        Some("1.9.1"),
    ),
    (
        Ecosystem::Go,
        "github.com/gin-gonic/gin",
        "v1.3.1-0.20190201000000-000000000000",
        "GO-2023-1737",
        None,
    ),
    (
        Ecosystem::Go,
        "github.com/gin-gonic/gin",
        "v1.9.0",
        "GO-2023-1737",
        Some("1.9.1"),
    ),
    (
        Ecosystem::Go,
        "github.com/gin-gonic/gin",
        "v1.9.1",
        "GO-2023-1737",
        None,
    ),
    (
        Ecosystem::Go,
        "github.com/dgrijalva/jwt-go",
        "v3.2.0+incompatible",
        "GO-2020-0017",
        Some(""),
    ),
    (
        Ecosystem::Go,
        "github.com/dgrijalva/jwt-go",
        "v0.0.0-20150101000000-000000000000",
        "GO-2020-0017",
        None,
    ),
    (
        Ecosystem::Go,
        "github.com/dgrijalva/jwt-go/v4",
        "v4.0.0-preview1",
        "GO-2020-0017",
        None,
    ),
    (
        Ecosystem::Go,
        "golang.org/x/text",
        "v0.3.6",
        "GO-2021-0113",
        Some("0.3.7"),
    ),
    (
        Ecosystem::Go,
        "golang.org/x/text",
        "v0.3.7",
        "GO-2021-0113",
        None,
    ),
    // Maven, ComparableVersion
    (
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.0-beta8",
        "GHSA-jfh8-c2jp-5v3q",
        Some("2.3.1"),
    ),
    (
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.0-beta9",
        "GHSA-jfh8-c2jp-5v3q",
        Some("2.3.1"),
    ),
    (
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.0",
        "GHSA-jfh8-c2jp-5v3q",
        Some("2.3.1"),
    ),
    (
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.3.1",
        "GHSA-jfh8-c2jp-5v3q",
        None,
    ),
    (
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.12.1",
        "GHSA-jfh8-c2jp-5v3q",
        Some("2.12.2"),
    ),
    (
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.12.2",
        "GHSA-jfh8-c2jp-5v3q",
        None,
    ),
    (
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.14.1",
        "GHSA-jfh8-c2jp-5v3q",
        Some("2.15.0"),
    ),
    (
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.15.0-rc1",
        "GHSA-jfh8-c2jp-5v3q",
        Some("2.15.0"),
    ),
    (
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.15.0",
        "GHSA-jfh8-c2jp-5v3q",
        None,
    ),
    (
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.15.0",
        "GHSA-7rjr-3q55-vv33",
        Some("2.16.0"),
    ),
    (
        Ecosystem::Maven,
        "org.springframework:spring-beans",
        "5.2.19.RELEASE",
        "GHSA-36p3-wjmg-h94x",
        Some("5.2.20.RELEASE"),
    ),
    (
        Ecosystem::Maven,
        "org.springframework:spring-beans",
        "5.2.20.RELEASE",
        "GHSA-36p3-wjmg-h94x",
        None,
    ),
    (
        Ecosystem::Maven,
        "org.springframework:spring-beans",
        "5.3.17",
        "GHSA-36p3-wjmg-h94x",
        Some("5.3.18"),
    ),
    (
        Ecosystem::Maven,
        "org.springframework:spring-beans",
        "5.3.18",
        "GHSA-36p3-wjmg-h94x",
        None,
    ),
    // RubyGems, 4-part versions and prerelease letters
    (
        Ecosystem::RubyGems,
        "nokogiri",
        "1.13.3",
        "GHSA-crjr-9rc5-ghw8",
        Some("1.13.4"),
    ),
    (
        Ecosystem::RubyGems,
        "nokogiri",
        "1.13.4.rc1",
        "GHSA-crjr-9rc5-ghw8",
        Some("1.13.4"),
    ),
    (
        Ecosystem::RubyGems,
        "nokogiri",
        "1.13.4",
        "GHSA-crjr-9rc5-ghw8",
        None,
    ),
    (
        Ecosystem::RubyGems,
        "actionpack",
        "6.1.7",
        "GHSA-8xww-x3g3-6jcv",
        Some("6.1.7.1"),
    ),
    (
        Ecosystem::RubyGems,
        "actionpack",
        "6.1.7.1",
        "GHSA-8xww-x3g3-6jcv",
        None,
    ),
    (
        Ecosystem::RubyGems,
        "actionpack",
        "7.0.4",
        "GHSA-8xww-x3g3-6jcv",
        Some("7.0.4.1"),
    ),
    (
        Ecosystem::RubyGems,
        "actionpack",
        "7.0.4.1",
        "GHSA-8xww-x3g3-6jcv",
        None,
    ),
    (
        Ecosystem::RubyGems,
        "rack",
        "2.2.8",
        "GHSA-54rr-7fvw-6x8f",
        Some("2.2.8.1"),
    ),
    (
        Ecosystem::RubyGems,
        "rack",
        "2.2.8.1",
        "GHSA-54rr-7fvw-6x8f",
        None,
    ),
    (
        Ecosystem::RubyGems,
        "rack",
        "3.0.0.beta1",
        "GHSA-54rr-7fvw-6x8f",
        None,
    ),
    // Packagist, composer normalisation
    (
        Ecosystem::Packagist,
        "guzzlehttp/guzzle",
        "6.5.7",
        "GHSA-q559-8m2m-g699",
        Some("6.5.8"),
    ),
    (
        Ecosystem::Packagist,
        "guzzlehttp/guzzle",
        "v6.5.8",
        "GHSA-q559-8m2m-g699",
        None,
    ),
    (
        Ecosystem::Packagist,
        "GuzzleHttp/Guzzle",
        "7.4.4",
        "GHSA-q559-8m2m-g699",
        Some("7.4.5"),
    ),
    (
        Ecosystem::Packagist,
        "guzzlehttp/guzzle",
        "7.4.5",
        "GHSA-q559-8m2m-g699",
        None,
    ),
    (
        Ecosystem::Packagist,
        "guzzlehttp/guzzle",
        "7.0.0-beta.1",
        "GHSA-q559-8m2m-g699",
        None,
    ),
    // NuGet, 4-part and case-insensitive names
    (
        Ecosystem::NuGet,
        "Newtonsoft.Json",
        "13.0.1-beta1",
        "GHSA-5crp-9r3c-p9vr",
        Some("13.0.1"),
    ),
    (
        Ecosystem::NuGet,
        "Newtonsoft.Json",
        "13.0.1",
        "GHSA-5crp-9r3c-p9vr",
        None,
    ),
    // Published records: each boundary of each range, on both sides
    (
        Ecosystem::Go,
        "github.com/dgrijalva/jwt-go/v4",
        "v4.0.0-20190408214815-ec0a89a131e3",
        "GO-2020-0017",
        Some("4.0.0-preview1"),
    ),
    (
        Ecosystem::Go,
        "stdlib",
        "1.19.5",
        "GO-2023-1571",
        Some("1.19.6"),
    ),
    (Ecosystem::Go, "stdlib", "1.19.6", "GO-2023-1571", None),
    (
        Ecosystem::Go,
        "stdlib",
        "1.20.0",
        "GO-2023-1571",
        Some("1.20.1"),
    ),
    (Ecosystem::Go, "stdlib", "1.20.1", "GO-2023-1571", None),
    (
        Ecosystem::Npm,
        "babel-traverse",
        "6.26.0",
        "GHSA-67hx-6x53-jw92",
        Some(""),
    ),
    (
        Ecosystem::Npm,
        "braces",
        "3.0.2",
        "GHSA-grv7-fg5c-xmjg",
        Some("3.0.3"),
    ),
    (
        Ecosystem::Npm,
        "micromatch",
        "4.0.8",
        "GHSA-952p-6rrq-rcjv",
        None,
    ),
    (Ecosystem::PyPI, "requests", "2.2.1", "PYSEC-2023-74", None),
    (
        Ecosystem::PyPI,
        "requests",
        "2.3.0",
        "PYSEC-2023-74",
        Some("2.31.0"),
    ),
    (
        Ecosystem::PyPI,
        "requests",
        "2.32.1",
        "GHSA-9wx4-h78v-vm56",
        Some("2.32.2"),
    ),
    (
        Ecosystem::PyPI,
        "requests",
        "2.32.2",
        "GHSA-9wx4-h78v-vm56",
        None,
    ),
    (
        Ecosystem::PyPI,
        "Jinja2",
        "3.1.3",
        "GHSA-h75v-3vvj-5mfj",
        Some("3.1.4"),
    ),
    (
        Ecosystem::RubyGems,
        "rack",
        "3.0.9",
        "GHSA-54rr-7fvw-6x8f",
        Some("3.0.9.1"),
    ),
    (
        Ecosystem::RubyGems,
        "rack",
        "2.0.9.3",
        "GHSA-54rr-7fvw-6x8f",
        Some("2.0.9.4"),
    ),
    (
        Ecosystem::RubyGems,
        "actionpack",
        "6.0.6",
        "GHSA-8xww-x3g3-6jcv",
        Some("6.0.6.1"),
    ),
    (
        Ecosystem::RubyGems,
        "actionpack",
        "6.0.6.1",
        "GHSA-8xww-x3g3-6jcv",
        None,
    ),
    (
        Ecosystem::Maven,
        "org.apache.logging.log4j:log4j-core",
        "2.3.1",
        "GHSA-7rjr-3q55-vv33",
        Some("2.12.2"),
    ),
    (
        Ecosystem::NuGet,
        "System.Text.Json",
        "6.0.0",
        "GHSA-hh2w-p6rv-4g7w",
        None,
    ),
    (
        Ecosystem::NuGet,
        "System.Text.Json",
        "8.0.3",
        "GHSA-hh2w-p6rv-4g7w",
        Some("8.0.4"),
    ),
    (
        Ecosystem::NuGet,
        "System.Text.Json",
        "8.0.4",
        "GHSA-hh2w-p6rv-4g7w",
        None,
    ),
    (
        Ecosystem::NuGet,
        "Microsoft.Data.SqlClient",
        "5.1.2",
        "GHSA-98g6-xh36-x2p7",
        Some("5.1.3"),
    ),
    (
        Ecosystem::NuGet,
        "Microsoft.Data.SqlClient",
        "5.1.3",
        "GHSA-98g6-xh36-x2p7",
        None,
    ),
    (
        Ecosystem::NuGet,
        "System.Data.SqlClient",
        "4.8.5",
        "GHSA-98g6-xh36-x2p7",
        Some("4.8.6"),
    ),
    (
        Ecosystem::Packagist,
        "twig/twig",
        "v3.11.0",
        "GHSA-6j75-5wfj-gh66",
        Some("3.11.1"),
    ),
    (
        Ecosystem::Packagist,
        "twig/twig",
        "v3.11.1",
        "GHSA-6j75-5wfj-gh66",
        None,
    ),
    (
        Ecosystem::Packagist,
        "twig/twig",
        "3.13.0",
        "GHSA-6j75-5wfj-gh66",
        Some("3.14.0"),
    ),
    (
        Ecosystem::Packagist,
        "twig/twig",
        "v1.44.7",
        "GHSA-6j75-5wfj-gh66",
        Some("1.44.8"),
    ),
    (
        Ecosystem::Packagist,
        "guzzlehttp/psr7",
        "2.4.4",
        "GHSA-wxmh-65f7-jcvw",
        Some("2.4.5"),
    ),
    (
        Ecosystem::Packagist,
        "guzzlehttp/psr7",
        "1.9.1",
        "GHSA-wxmh-65f7-jcvw",
        None,
    ),
    (
        Ecosystem::CratesIo,
        "time",
        "0.1.44",
        "RUSTSEC-2020-0071",
        Some("0.2.0"),
    ),
    (
        Ecosystem::CratesIo,
        "h2",
        "0.4.3",
        "RUSTSEC-2024-0332",
        Some("0.4.4"),
    ),
];

#[test]
fn ranges_match_on_both_sides_of_every_boundary() {
    let wanted: HashSet<_> = BOUNDARIES
        .iter()
        .map(|(e, n, ..)| (*e, osv::normalize_name(*e, n)))
        .collect();
    let loaded = osv::load_dir(&osv_dir(), &wanted).unwrap();
    assert!(loaded.skipped.is_empty(), "{:?}", loaded.skipped);
    let mut failures = Vec::new();
    for (eco, name, version, id, expected) in BOUNDARIES {
        let v = loaded
            .vulns
            .iter()
            .find(|v| v.id == *id)
            .unwrap_or_else(|| panic!("{id} is a fixture"));
        let got = v
            .affects(*eco, name, version)
            .map(|h| h.fixed.unwrap_or_default());
        if got.as_deref() != *expected {
            failures.push(format!(
                "{id} {name}@{version}: expected {expected:?}, got {got:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn levels_come_from_cvss_then_the_severity_word() {
    let wanted: HashSet<_> = [
        (
            Ecosystem::Maven,
            "org.apache.logging.log4j:log4j-core".to_owned(),
        ),
        (Ecosystem::Npm, "semver".to_owned()),
        (Ecosystem::Go, "golang.org/x/net".to_owned()),
        (Ecosystem::PyPI, "requests".to_owned()),
    ]
    .into_iter()
    .collect();
    let loaded = osv::load_dir(&osv_dir(), &wanted).unwrap();
    let level = |id: &str, eco, name| {
        loaded
            .vulns
            .iter()
            .find(|v| v.id == id)
            .unwrap()
            .level(eco, name)
    };
    assert_eq!(
        level(
            "GHSA-jfh8-c2jp-5v3q",
            Ecosystem::Maven,
            "org.apache.logging.log4j:log4j-core"
        ),
        Level::Critical
    );
    assert_eq!(
        level("GHSA-c2qf-rxjj-qqgw", Ecosystem::Npm, "semver"),
        Level::Medium
    );
    // Go's database rates nothing: medium.
    assert_eq!(
        level("GO-2023-1571", Ecosystem::Go, "golang.org/x/net"),
        Level::Medium
    );
    // PYSEC gives no vector: medium; its GHSA twin has CVSS 6.1.
    assert_eq!(
        level("PYSEC-2023-74", Ecosystem::PyPI, "requests"),
        Level::Medium
    );
    assert_eq!(
        level("GHSA-j8r2-6x86-q33q", Ecosystem::PyPI, "requests"),
        Level::Medium
    );
}

/// Copies the fixture database into `dst` as one flat directory (as `all.zip` unpacks).
fn flatten(dst: &Path) {
    for eco in std::fs::read_dir(osv_dir()).unwrap() {
        for f in std::fs::read_dir(eco.unwrap().path()).unwrap() {
            let f = f.unwrap();
            std::fs::copy(f.path(), dst.join(f.file_name())).unwrap();
        }
    }
}

#[test]
fn a_flat_database_gives_the_same_findings_as_the_export_layout() {
    let db = tempfile::tempdir().unwrap();
    flatten(db.path());
    for case in ["cargo-v3", "npm-v3", "gradle", "go"] {
        let root = fixtures().join("lockfiles").join(case);
        assert_eq!(
            render(&scan_dir(&root, db.path().into())),
            render(&scan_dir(&root, osv_dir())),
            "{case}"
        );
    }
}

#[test]
fn withdrawn_advisories_are_ignored() {
    let db = tempfile::tempdir().unwrap();
    flatten(db.path());
    let path = db.path().join("RUSTSEC-2023-0071.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    v["withdrawn"] = "2024-01-10T00:00:00Z".into();
    std::fs::write(&path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let r = scan_dir(&fixtures().join("lockfiles/cargo-v3"), db.path().into());
    assert!(r.findings.iter().all(|f| f.rule != "RUSTSEC-2023-0071"));
    assert!(r.findings.iter().any(|f| f.rule == "RUSTSEC-2024-0332"));
}

#[test]
fn a_malformed_advisory_is_skipped_with_its_line_and_the_rest_is_used() {
    let db = tempfile::tempdir().unwrap();
    flatten(db.path());
    std::fs::write(
        db.path().join("RUSTSEC-2099-0001.json"),
        "{\n  \"id\": \"RUSTSEC-2099-0001\",\n  \"affected\": [ { \"package\": 7 } ]\n}\n",
    )
    .unwrap();
    let r = scan_dir(&fixtures().join("lockfiles/cargo-v3"), db.path().into());
    let s = r
        .skipped
        .iter()
        .find(|s| s.file.ends_with("RUSTSEC-2099-0001.json"))
        .expect("skipped");
    assert_eq!(s.line, Some(3));
    assert!(
        s.reason.starts_with("not a valid OSV advisory"),
        "{}",
        s.reason
    );
    assert!(r.findings.iter().any(|f| f.rule == "RUSTSEC-2023-0071"));
}

#[test]
fn malformed_lockfiles_are_error_findings_with_file_and_line_and_the_scan_goes_on() {
    let root = tempfile::tempdir().unwrap();
    let w = |rel: &str, text: &[u8]| {
        let p = root.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w(
        "svc/Cargo.lock",
        b"version = 3\n\n[[package]]\nname = \"rsa\"\nversion = 0.9.6\n",
    );
    w("web/package-lock.json", b"{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"node_modules/x\": { \"version\": \"1.0.0\" },,\n  }\n}\n");
    w(
        "web/yarn.lock",
        b"# yarn lockfile v1\n\nlodash@^4:\n  version \"4.17.15\"\nthis is not yarn\n",
    );
    w("py/uv.lock", b"[[package]\nname = \"x\"\n");
    w(
        "gems/Gemfile.lock",
        b"GEM\n  remote: https://rubygems.org/\n  specs:\n    rack 2.2.8\n",
    );
    w(
        "go/go.mod",
        b"module x\n\nrequire (\n\tgolang.org/x/net\n)\n",
    );
    w("bin/pnpm-lock.yaml", b"\xff\xfe\x00binary");
    w(
        "ok/Cargo.lock",
        &std::fs::read(fixtures().join("lockfiles/cargo-v3/Cargo.lock")).unwrap(),
    );
    let r = scan_dir(root.path(), osv_dir());
    insta::assert_snapshot!(render(&r));
    assert!(r.findings.iter().any(|f| f.file == "ok/Cargo.lock"));
}

#[test]
fn malformed_yaml_lockfiles_are_error_findings_with_file_and_line_and_the_scan_goes_on() {
    let root = tempfile::tempdir().unwrap();
    let w = |rel: &str, text: &str| {
        let p = root.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    // An unclosed flow mapping on line 6.
    w(
        "web/pnpm-lock.yaml",
        "lockfileVersion: '6.0'\n\npackages:\n\n  /semver@7.5.1:\n    resolution: {integrity: sha512-x\n\n  /braces@3.0.2:\n    resolution: {integrity: sha512-y}\n",
    );
    // A berry entry whose quoted key never closes, from line 8.
    w(
        "app/yarn.lock",
        "# This file is generated by running \"yarn install\" inside your project.\n\n__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\"lodash@npm:^4.17.15\":\n  resolution: \"lodash@npm:4.17.15\n  languageName: node\n",
    );
    // Valid YAML, but not a pnpm lockfile.
    w("tools/pnpm-lock.yaml", "name: tools\nversion: 1.0.0\n");
    w(
        "ok/pnpm-lock.yaml",
        &std::fs::read_to_string(fixtures().join("lockfiles/pnpm-v9-workspace/pnpm-lock.yaml"))
            .unwrap(),
    );
    let r = scan_dir(root.path(), osv_dir());
    let unreadable = |file: &str| {
        r.findings
            .iter()
            .find(|f| f.file == file && f.rule == deps::LOCKFILE_UNREADABLE)
            .unwrap_or_else(|| panic!("{file} is an error finding: {:?}", r.findings))
    };
    let pnpm = unreadable("web/pnpm-lock.yaml");
    assert!((6..=8).contains(&pnpm.line), "{pnpm:?}");
    assert!(pnpm.message.contains("invalid YAML"), "{pnpm:?}");
    assert_eq!(pnpm.level, Level::High);
    let berry = unreadable("app/yarn.lock");
    assert!(berry.line >= 8, "{berry:?}");
    assert!(berry.message.contains("invalid YAML"), "{berry:?}");
    let tools = unreadable("tools/pnpm-lock.yaml");
    assert!(tools.message.contains("lockfileVersion"), "{tools:?}");
    // The good lockfile beside them is still audited.
    assert!(
        r.findings
            .iter()
            .any(|f| f.file == "ok/pnpm-lock.yaml" && f.rule == "GHSA-952p-6rrq-rcjv"),
        "{:?}",
        r.findings
            .iter()
            .map(|f| (&f.file, &f.rule))
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_v4_only_advisory_takes_its_level_from_the_cvss_v4_score() {
    // The semver ReDoS advisory as GitHub now rates it: a CVSS v4 vector and no v3 one,
    // no severity word. CVSS 4.0 base score 8.7: high (unscored it would be medium).
    let db = fixtures().join("security/osv-cvss4");
    let r = scan_dir(&fixtures().join("lockfiles/pnpm-v9-workspace"), db);
    let f = r
        .findings
        .iter()
        .find(|f| f.rule == "GHSA-c2qf-rxjj-qqgw")
        .expect("semver 7.5.1 is reported");
    assert_eq!(f.level, Level::High);
    let a = f.advisory.as_ref().unwrap();
    assert_eq!(
        a.cvss.as_deref(),
        Some("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N")
    );
    assert_eq!(
        deps::cvss::base_score(a.cvss.as_deref().unwrap()),
        Some(8.7)
    );
}

#[test]
fn the_walk_honours_gitignore_and_skips_dependency_directories() {
    let root = tempfile::tempdir().unwrap();
    let lock = std::fs::read(fixtures().join("lockfiles/npm-v2/package-lock.json")).unwrap();
    for rel in [
        "app",
        "app/node_modules/dep",
        "vendor/x",
        "ignored",
        "target/pkg",
    ] {
        std::fs::create_dir_all(root.path().join(rel)).unwrap();
        std::fs::write(root.path().join(rel).join("package-lock.json"), &lock).unwrap();
    }
    std::fs::write(root.path().join(".gitignore"), "/ignored/\n").unwrap();
    let r = scan_dir(root.path(), osv_dir());
    assert_eq!(r.lockfiles, ["app/package-lock.json"]);
}

#[test]
fn go_sum_is_read_only_without_a_go_mod_beside_it() {
    let r = scan_dir(&fixtures().join("lockfiles/go"), osv_dir());
    assert_eq!(r.lockfiles, ["go.mod"]);
    let r = scan_dir(&fixtures().join("lockfiles/go-sum-only"), osv_dir());
    assert_eq!(r.lockfiles, ["go.sum"]);
}

#[test]
fn a_missing_database_is_an_error_with_a_hint() {
    let root = fixtures().join("lockfiles/cargo-v3");
    let missing = fixtures().join("no-such-osv-dir");
    let err = deps::scan(&Options {
        root: root.clone(),
        db: Db::Dir(missing.clone()),
    })
    .unwrap_err();
    assert!(
        matches!(err, Error::DbMissing(ref p) if *p == missing),
        "{err}"
    );
    assert!(err.to_string().contains("does not exist"));
    assert!(err.hint().unwrap().contains("all.zip"));
    let file = fixtures().join("lockfiles/cargo-v3/Cargo.lock");
    let err = deps::scan(&Options {
        root,
        db: Db::Dir(file),
    })
    .unwrap_err();
    assert!(matches!(err, Error::DbNotDir(_)), "{err}");
}

#[test]
fn the_osv_api_is_queried_in_one_batch_then_once_per_advisory() {
    let mock = MockGitHub::start();
    // Cargo.lock in cargo-v3 holds bytes, h2, rsa, time, tokio, tungstenite (crates.io only).
    let results = serde_json::json!({"results": [
        {},
        {"vulns": [{"id": "RUSTSEC-2024-0332", "modified": "2024-06-01T00:00:00Z"}]},
        {"vulns": [{"id": "RUSTSEC-2023-0071", "modified": "2024-06-01T00:00:00Z"}]},
        {"vulns": [{"id": "RUSTSEC-2020-0071", "modified": "2024-06-01T00:00:00Z"}]},
        {},
        {},
    ]});
    mock.on("POST", "/v1/querybatch")
        .then(Reply::json(200, results.to_string()));
    for id in [
        "RUSTSEC-2024-0332",
        "RUSTSEC-2023-0071",
        "RUSTSEC-2020-0071",
    ] {
        let body = std::fs::read_to_string(osv_dir().join(format!("crates.io/{id}.json"))).unwrap();
        mock.on("GET", &format!("/v1/vulns/{id}"))
            .then(Reply::json(200, body));
    }
    let root = fixtures().join("lockfiles/cargo-v3");
    let api = deps::scan(&Options {
        root: root.clone(),
        db: Db::Api {
            url: mock.url().to_owned(),
        },
    })
    .unwrap();
    let local = scan_dir(&root, osv_dir());
    assert_eq!(render(&api), render(&local));

    let requests = mock.requests();
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.path == "/v1/querybatch")
            .count(),
        1
    );
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.path.starts_with("/v1/vulns/"))
            .count(),
        3
    );
    let batch: serde_json::Value = serde_json::from_str(&requests[0].body).unwrap();
    assert_eq!(
        batch["queries"][2],
        serde_json::json!({"package": {"name": "rsa", "ecosystem": "crates.io"}, "version": "0.9.6"})
    );
}

#[test]
fn an_api_failure_is_an_error_naming_the_request() {
    let mock = MockGitHub::start();
    mock.on("POST", "/v1/querybatch").then(Reply::json(
        500,
        "{\"code\": 13, \"message\": \"internal\"}",
    ));
    let err = deps::scan(&Options {
        root: fixtures().join("lockfiles/cargo-v3"),
        db: Db::Api {
            url: mock.url().to_owned(),
        },
    })
    .unwrap_err();
    assert!(err.to_string().contains("POST /v1/querybatch"), "{err}");
    assert!(err.hint().is_some());
    let err = deps::scan(&Options {
        root: fixtures().join("lockfiles/cargo-v3"),
        db: Db::Api {
            url: "ftp://example.com".into(),
        },
    })
    .unwrap_err();
    assert!(matches!(err, Error::ApiUrl(_)));
}

const FORMATS: &[Format] = &[
    Format::Cargo,
    Format::Npm,
    Format::Yarn,
    Format::Pnpm,
    Format::Bun,
    Format::Poetry,
    Format::Uv,
    Format::Pipfile,
    Format::Requirements,
    Format::GoMod,
    Format::GoSum,
    Format::Gemfile,
    Format::Composer,
    Format::NuGet,
    Format::Gradle,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn no_lockfile_reader_panics_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        for f in FORMATS {
            let _ = f.read(&bytes);
        }
    }

    #[test]
    fn no_lockfile_reader_panics_on_lockfile_shaped_text(
        text in "[\\[\\]{}()\"':=@/,. \\n\\ta-z0-9_#-]{0,300}"
    ) {
        for f in FORMATS {
            let _ = f.read(text.as_bytes());
        }
    }

    #[test]
    fn yaml_lockfile_readers_do_not_panic_on_mutated_real_lockfiles(
        at in 0usize..8000,
        cut in 0usize..64,
        junk in "[\\[\\]{}:'\"|>&*!%@#?, \\n\\t-]{0,24}",
    ) {
        for (format, file) in [
            (Format::Pnpm, "lockfiles/pnpm-v5/pnpm-lock.yaml"),
            (Format::Pnpm, "lockfiles/pnpm-v6/pnpm-lock.yaml"),
            (Format::Pnpm, "lockfiles/pnpm-v9-workspace/pnpm-lock.yaml"),
            (Format::Yarn, "lockfiles/yarn-berry-workspace/yarn.lock"),
        ] {
            let text = std::fs::read_to_string(fixtures().join(file)).unwrap();
            let mut start = at % text.len();
            while !text.is_char_boundary(start) {
                start -= 1;
            }
            let mut end = (start + cut).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let mutated = format!("{}{junk}{}", &text[..start], &text[end..]);
            let _ = format.read(mutated.as_bytes());
        }
    }

    #[test]
    fn the_berry_reader_does_not_panic_on_yaml_shaped_text(
        text in "[\\[\\]{}()\"':=@/,. \\n\\ta-z0-9_#&*!|>%-]{0,300}"
    ) {
        let _ = Format::Yarn.read(format!("__metadata:\n  version: 8\n{text}").as_bytes());
        let _ = Format::Pnpm.read(format!("lockfileVersion: '9.0'\npackages:\n{text}").as_bytes());
    }

    #[test]
    fn the_advisory_loader_does_not_panic_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let wanted: HashSet<_> = [(Ecosystem::Npm, "semver".to_owned())].into_iter().collect();
        let mut out = osv::Loaded::default();
        osv::load_file(Path::new("x.json"), &bytes, &wanted, &mut out);
    }

    #[test]
    fn version_comparisons_never_panic(a in "[0-9a-zA-Z.+!_-]{0,24}", b in "[0-9a-zA-Z.+!_-]{0,24}") {
        for eco in Ecosystem::ALL {
            let _ = deps::version::compare(eco, &a, &b);
        }
    }
}

#[test]
fn only_the_ecosystems_the_lockfiles_use_are_read_from_an_export() {
    let db = tempfile::tempdir().unwrap();
    for eco in ["crates.io", "npm", "Debian:12"] {
        std::fs::create_dir_all(db.path().join(eco)).unwrap();
    }
    for f in std::fs::read_dir(osv_dir().join("crates.io")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), db.path().join("crates.io").join(f.file_name())).unwrap();
    }
    // Broken files where nothing should look: they would be reported as skipped if read.
    std::fs::write(db.path().join("npm/GHSA-xxxx-xxxx-xxxx.json"), "{ broken").unwrap();
    std::fs::write(db.path().join("Debian:12/DSA-5000-1.json"), "{ broken").unwrap();
    let r = scan_dir(&fixtures().join("lockfiles/cargo-v3"), db.path().into());
    assert!(r.skipped.is_empty(), "{:?}", r.skipped);
    assert_eq!(r.findings.len(), 3);
    // An npm lockfile does read npm/.
    let r = scan_dir(&fixtures().join("lockfiles/npm-v2"), db.path().into());
    assert_eq!(r.skipped.len(), 1, "{:?}", r.skipped);
    assert_eq!(r.skipped[0].line, Some(1));
}

#[test]
fn go_versions_are_sent_to_the_api_without_their_v() {
    let mock = MockGitHub::start();
    // go.mod in the go fixture: jwt-go, gin, x/net, then four more modules.
    let mut results = vec![serde_json::json!({}); 7];
    results[2] = serde_json::json!({"vulns": [{"id": "GO-2023-1571"}]});
    mock.on("POST", "/v1/querybatch").then(Reply::json(
        200,
        serde_json::json!({ "results": results }).to_string(),
    ));
    let body = std::fs::read_to_string(osv_dir().join("Go/GO-2023-1571.json")).unwrap();
    mock.on("GET", "/v1/vulns/GO-2023-1571")
        .then(Reply::json(200, body));
    let r = deps::scan(&Options {
        root: fixtures().join("lockfiles/go"),
        db: Db::Api {
            url: mock.url().to_owned(),
        },
    })
    .unwrap();
    let batch: serde_json::Value = serde_json::from_str(&mock.requests()[0].body).unwrap();
    assert_eq!(batch["queries"][2]["package"]["name"], "golang.org/x/net");
    assert_eq!(batch["queries"][2]["version"], "0.6.0");
    assert_eq!(r.findings.len(), 1);
    let a = r.findings[0].advisory.as_ref().unwrap();
    assert_eq!(
        (a.version.as_str(), a.fixed.as_deref()),
        ("v0.6.0", Some("0.7.0"))
    );
}

/// Every advisory fixture is a published record (an extract of its identity, dates, aliases,
/// severity and affected ranges), and `osv-sources.tsv` names the database file and commit it
/// was taken from, so each one can be checked against its source.
#[test]
fn every_advisory_fixture_names_its_published_source() {
    let sources = std::fs::read_to_string(fixtures().join("osv-sources.tsv")).unwrap();
    let listed: HashSet<(String, String)> = sources
        .lines()
        .skip(1)
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(cols.len(), 4, "four columns: {l}");
            assert_eq!(cols[3].len(), 40, "a full commit id: {l}");
            assert!(
                cols[2].contains(cols[1]),
                "the source path names the id: {l}"
            );
            (cols[0].to_owned(), cols[1].to_owned())
        })
        .collect();
    let mut found = HashSet::new();
    for eco in std::fs::read_dir(osv_dir()).unwrap() {
        let eco = eco.unwrap();
        for f in std::fs::read_dir(eco.path()).unwrap() {
            let name = f.unwrap().file_name().to_string_lossy().into_owned();
            let id = name.strip_suffix(".json").unwrap().to_owned();
            found.insert((eco.file_name().to_string_lossy().into_owned(), id));
        }
    }
    assert_eq!(found, listed);
    assert!(found.len() >= 30, "a few dozen published advisories");
}

/// A copy of `tests/fixtures/licenses/repo` (package-lock.json, composer.lock, Cargo.lock)
/// with `slipway.yml` holding `config`.
fn licence_repo(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for f in std::fs::read_dir(fixtures().join("licenses/repo")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), dir.path().join(f.file_name())).unwrap();
    }
    std::fs::write(dir.path().join("slipway.yml"), config).unwrap();
    dir
}

/// Runs the scan with licences only in view (no secrets, no workflows; the local OSV export,
/// which has no advisory for the fixture packages) and returns the transcript and `--json`.
fn licence_scan(repo: &Path, extra: &[&str]) -> (common::Transcript, serde_json::Value) {
    let t = common::slipway()
        .args(["security-scan", "--json", "--no-secrets", "--no-workflows"])
        .args(extra)
        .args(["--osv-db"])
        .arg_path(osv_dir())
        .arg_path(repo)
        .run();
    let v = serde_json::from_str(&t.stdout).unwrap_or(serde_json::Value::Null);
    (t, v)
}

/// `(rule, file, line, level, message)` of the licence findings, sorted by file and line.
fn licence_findings(v: &serde_json::Value) -> Vec<(String, String, u64, String, String)> {
    let mut out: Vec<_> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "license")
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                f["file"].as_str().unwrap().to_owned(),
                f["line"].as_u64().unwrap(),
                f["level"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    out.sort_by(|a, b| (&a.1, a.2).cmp(&(&b.1, b.2)));
    out
}

#[test]
fn an_allow_list_fails_packages_off_it_and_unknown_licences_but_passes_a_dual_licence() {
    let repo = licence_repo("security:\n  licenses:\n    allow: [MIT]\n");
    let (t, v) = licence_scan(repo.path(), &[]);
    t.code(1);
    let got: Vec<(String, String, u64, String)> = licence_findings(&v)
        .into_iter()
        .map(|(r, f, l, lv, _)| (r, f, l, lv))
        .collect();
    let want = [
        ("license-not-allowed", "composer.lock", 4, "high"),
        ("license-not-allowed", "package-lock.json", 7, "high"),
        ("license-unknown", "package-lock.json", 8, "high"),
        ("license-unknown", "package-lock.json", 10, "high"),
    ]
    .map(|(r, f, l, lv)| (r.to_owned(), f.to_owned(), l, lv.to_owned()));
    assert_eq!(got, want, "{t}");
    let all = licence_findings(&v);
    assert!(
        all[1]
            .4
            .contains("`gpl-pkg` 2.0.0 (npm) is licensed `GPL-3.0-only`")
            && all[1]
                .4
                .contains("`GPL-3.0-only` is not in `security.licenses.allow`"),
        "{}",
        all[1].4
    );
    assert!(
        all[0].4.contains("`acme/gpl` 2.0.0 (Packagist)"),
        "{}",
        all[0].4
    );
    assert!(all[2].4.contains("has no licence"), "{}", all[2].4);
    assert!(all[3].4.contains("not an SPDX expression"), "{}", all[3].4);
    let part = v["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "license")
        .unwrap_or_else(|| panic!("{t}"));
    assert_eq!(part["state"], "checked");
    assert_eq!(
        part["scope"],
        "7 packages in 2 lockfiles, 2 with an unknown licence; licences not recorded in Cargo.lock: not checked"
    );
    // `fail-on: none` reports and passes; a `low` severity stays under `fail-on: high`.
    let (t, _) = licence_scan(repo.path(), &["--fail-on", "none"]);
    t.code(0);
    let low = licence_repo("security:\n  licenses:\n    allow: [MIT]\n    severity: low\n");
    let (t, v) = licence_scan(low.path(), &[]);
    t.code(0);
    assert_eq!(licence_findings(&v).len(), 4, "{t}");
    let (t, _) = licence_scan(low.path(), &["--fail-on", "low"]);
    t.code(1);
}

#[test]
fn a_deny_list_fails_only_packages_without_another_choice_and_unknowns_are_low() {
    let repo = licence_repo("security:\n  licenses:\n    deny: [GPL-3.0-only, AGPL-3.0-only]\n");
    let (t, v) = licence_scan(repo.path(), &[]);
    t.code(1);
    let got: Vec<(String, String, u64, String)> = licence_findings(&v)
        .into_iter()
        .map(|(r, f, l, lv, _)| (r, f, l, lv))
        .collect();
    let want = [
        ("license-denied", "composer.lock", 4, "high"),
        ("license-denied", "package-lock.json", 7, "high"),
        ("license-unknown", "package-lock.json", 8, "low"),
        ("license-unknown", "package-lock.json", 10, "low"),
    ]
    .map(|(r, f, l, lv)| (r.to_owned(), f.to_owned(), l, lv.to_owned()));
    assert_eq!(got, want, "{t}");
    // Denying a licence nobody uses alone leaves only the low unknowns: the scan passes.
    let other = licence_repo("security:\n  licenses:\n    deny: [SSPL-1.0]\n");
    let (t, v) = licence_scan(other.path(), &[]);
    t.code(0);
    assert!(
        licence_findings(&v)
            .iter()
            .all(|f| f.0 == "license-unknown"),
        "{t}"
    );
}

#[test]
fn security_allow_accepts_a_package_whose_licence_fails_the_policy() {
    let repo = licence_repo(
        "security:\n  licenses:\n    deny: [GPL-3.0-only, AGPL-3.0-only]\n  allow:\n    - rule: license-denied\n      regex: '`gpl-pkg`'\n      reason: vetted by legal\n    - rule: license-denied\n      path: composer.lock\n      reason: vetted by legal\n",
    );
    let (t, v) = licence_scan(repo.path(), &[]);
    t.code(0);
    assert_eq!(v["allowed"], 2, "{t}");
    assert!(
        licence_findings(&v)
            .iter()
            .all(|f| f.0 == "license-unknown"),
        "{t}"
    );
}

#[test]
fn licence_findings_have_their_own_sarif_run_and_rule_ids() {
    let repo =
        licence_repo("security:\n  licenses:\n    allow: [MIT]\n    deny: [AGPL-3.0-only]\n");
    let out = tempfile::tempdir().unwrap();
    let sarif = out.path().join("out.sarif");
    let (t, _) = licence_scan(repo.path(), &["--sarif", sarif.to_str().unwrap()]);
    t.code(1);
    let log: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    let run = log["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tool"]["driver"]["name"] == "slipway-licenses")
        .unwrap_or_else(|| panic!("no licence run: {log}"));
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        ["license-not-allowed", "license-denied", "license-unknown"]
    );
    let mut results: Vec<(&str, &str, u64)> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap(),
                loc["artifactLocation"]["uri"].as_str().unwrap(),
                loc["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect();
    results.sort();
    // `acme/gpl`: neither choice is on the allow list (`GPL-3.0-only` is met first).
    assert_eq!(
        results,
        [
            ("license-not-allowed", "composer.lock", 4),
            ("license-not-allowed", "package-lock.json", 7),
            ("license-unknown", "package-lock.json", 8),
            ("license-unknown", "package-lock.json", 10),
        ]
    );
}

#[test]
fn an_unknown_licence_id_in_the_policy_is_a_config_error_with_a_suggestion() {
    let repo = licence_repo("security:\n  licenses:\n    allow: [MIT, Apache2.0]\n");
    let (t, _) = licence_scan(repo.path(), &[]);
    t.code(2);
    assert!(t.stderr.contains("slipway.yml:3"), "{t}");
    assert!(
        t.stderr
            .contains("`Apache2.0` is not a known SPDX licence id"),
        "{t}"
    );
    assert!(t.stderr.contains("did you mean `Apache-2.0`?"), "{t}");
}

#[test]
fn a_licence_policy_with_no_list_or_no_licence_metadata_is_not_checked() {
    let empty = licence_repo("security:\n  licenses: {}\n");
    let (t, v) = licence_scan(empty.path(), &[]);
    let part = v["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "license")
        .cloned()
        .unwrap_or_else(|| panic!("{t}"));
    assert_eq!(part["state"], "not-checked", "{t}");
    assert!(
        part["reason"]
            .as_str()
            .unwrap()
            .contains("neither `allow` nor `deny`"),
        "{t}"
    );
    let cargo_only = licence_repo("security:\n  licenses:\n    allow: [MIT]\n");
    std::fs::remove_file(cargo_only.path().join("package-lock.json")).unwrap();
    std::fs::remove_file(cargo_only.path().join("composer.lock")).unwrap();
    let (t, v) = licence_scan(cargo_only.path(), &[]);
    let part = v["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "license")
        .cloned()
        .unwrap_or_else(|| panic!("{t}"));
    assert_eq!(part["state"], "not-checked", "{t}");
    assert_eq!(
        part["reason"],
        "licences not recorded in Cargo.lock: not checked"
    );
    assert!(
        t.stdout.contains("licences not recorded in Cargo.lock"),
        "{t}"
    );
}
