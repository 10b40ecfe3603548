//! Turning what a repository asks for into a version a setup action installs.
//!
//! Manifests name ranges (`requires-python = ">=3.10,<4.0"`, composer `"php": "^8.1"`, a
//! Gemfile's `ruby "~> 3.2"`), but `actions/setup-python`, `shivammathur/setup-php` and
//! `ruby/setup-ruby` take one version. [`newest_minor`] picks the newest minor release of a
//! fixed list that a range allows; a concrete version (`3.12.4`, `.python-version`'s
//! `pypy3.10`) is kept as written. [`java`] picks the JDK that runs a Maven or Gradle build
//! from what constrains it. Everything here is pure: the tables below are the only knowledge.
//!
//! Range syntax is read leniently, as the union of what the ecosystems write: PEP 440
//! (`>=3.9,<3.13`, `~=3.11`, `==3.12.*`, `!=3.10.0`), Poetry and Composer (`^3.10`, `~3.10`,
//! `>=8.1 <8.4`, `^8.1 || ^9.0`, `8.2.*`), Bundler (`~> 3.2`, `>= 3.1`) and npm-like
//! wildcards (`3.x`). <https://packaging.python.org/en/latest/specifications/version-specifiers/>,
//! <https://getcomposer.org/doc/articles/versions.md>, <https://guides.rubygems.org/patterns/>.

/// CPython minors a range resolves to, newest first.
///
/// 3.14 is the newest on purpose: it has had a year of binary wheels on PyPI, while a minor
/// released this autumn (3.15, October 2026) still lacks wheels for many compiled
/// dependencies, so a job that installs it builds them from source or fails. The list goes
/// down to 3.9 (end of life October 2025, still built by `actions/setup-python`) for projects
/// that cap their range below 3.10; older minors are reached only through the fallback of
/// [`newest_minor`].
pub const PYTHON_MINORS: &[&str] = &["3.14", "3.13", "3.12", "3.11", "3.10", "3.9"];

/// PHP minors a composer range resolves to, newest first: the stable releases that
/// `shivammathur/setup-php` installs on GitHub-hosted runners (8.6 is a nightly build, so not
/// listed).
pub const PHP_MINORS: &[&str] = &["8.5", "8.4", "8.3", "8.2", "8.1", "8.0", "7.4"];

/// Ruby minors a Gemfile range resolves to, newest first: the CRuby releases that
/// `ruby/setup-ruby` v1.315 builds (up to 4.0).
pub const RUBY_MINORS: &[&str] = &["4.0", "3.4", "3.3", "3.2", "3.1", "3.0", "2.7"];

/// How `~X.Y` reads: Composer takes it as `>=X.Y,<(X+1)`, Poetry and npm as `>=X.Y,<X.(Y+1)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// PEP 440, Poetry, Bundler, npm.
    Default,
    /// Composer.
    Composer,
}

/// A release number: up to three numeric parts; `wildcard` when the text ended in `*` or `x`
/// (or named fewer parts than a comparison needs, for `==`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Release {
    parts: Vec<u64>,
    wildcard: bool,
}

impl Release {
    fn parse(text: &str) -> Option<Self> {
        let text = text.trim().trim_start_matches(['v', 'V']);
        let mut parts = Vec::new();
        let mut wildcard = false;
        for piece in text.split('.') {
            if matches!(piece, "*" | "x" | "X") {
                wildcard = true;
                break;
            }
            // `3.3.0p0` (Gemfile.lock), `3.12.0rc1`, `8.0.404`: the leading digits count.
            let digits: String = piece.chars().take_while(char::is_ascii_digit).collect();
            if digits.is_empty() {
                break;
            }
            parts.push(digits.parse().ok()?);
            if digits.len() != piece.len() || parts.len() == 3 {
                break;
            }
        }
        (!parts.is_empty()).then_some(Self { parts, wildcard })
    }

    fn padded(&self) -> [u64; 3] {
        let mut out = [0; 3];
        for (o, p) in out.iter_mut().zip(&self.parts) {
            *o = *p;
        }
        out
    }

    /// True when `v` starts with these parts.
    fn prefix_of(&self, v: [u64; 3]) -> bool {
        self.parts.iter().zip(v).all(|(a, b)| *a == b)
    }

    /// The release after bumping part `index` (0 major, 1 minor) and zeroing the rest.
    fn bumped(&self, index: usize) -> [u64; 3] {
        let mut out = self.padded();
        out[index] += 1;
        for o in out.iter_mut().skip(index + 1) {
            *o = 0;
        }
        out
    }
}

/// One comparison of a range.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Clause {
    AtLeast([u64; 3]),
    Above([u64; 3]),
    Below([u64; 3]),
    AtMost([u64; 3]),
    Prefix(Release),
    Not(Release),
}

impl Clause {
    fn allows(&self, v: [u64; 3]) -> bool {
        match self {
            Self::AtLeast(b) => v >= *b,
            Self::Above(b) => v > *b,
            Self::Below(b) => v < *b,
            Self::AtMost(b) => v <= *b,
            Self::Prefix(r) => {
                if r.wildcard || r.parts.len() < 3 {
                    r.prefix_of(v)
                } else {
                    v == r.padded()
                }
            }
            Self::Not(r) => !Self::Prefix(r.clone()).allows(v),
        }
    }
}

/// Parses one comparison (`>=3.10`, `^8.1`, `~> 3.2`, `3.11.*`) into clauses that must all hold.
fn clauses(term: &str, flavor: Flavor) -> Option<Vec<Clause>> {
    let term = term.trim();
    let ops = [
        "===", "~=", "~>", ">=", "<=", "==", "!=", "=>", "=<", ">", "<", "^", "~", "=",
    ];
    let (op, rest) = ops
        .iter()
        .find_map(|op| term.strip_prefix(op).map(|rest| (*op, rest)))
        .unwrap_or(("", term));
    let r = Release::parse(rest)?;
    let b = r.padded();
    let n = r.parts.len();
    Some(match op {
        ">=" | "=>" => vec![Clause::AtLeast(b)],
        ">" => vec![Clause::Above(b)],
        "<" => vec![Clause::Below(b)],
        "<=" | "=<" => vec![Clause::AtMost(b)],
        "!=" => vec![Clause::Not(r)],
        // Compatible release: `~=3.11` and `~> 3.2` allow 3.x from there, `~=3.11.2` 3.11.x.
        "~=" | "~>" => vec![
            Clause::AtLeast(b),
            Clause::Below(r.bumped(n.saturating_sub(2).min(1))),
        ],
        "^" => {
            let index = if b[0] == 0 && n > 1 { 1 } else { 0 };
            vec![Clause::AtLeast(b), Clause::Below(r.bumped(index))]
        }
        "~" => {
            let index = match (flavor, n) {
                (Flavor::Composer, 1 | 2) => 0,
                (_, 1) => 0,
                _ => 1,
            };
            vec![Clause::AtLeast(b), Clause::Below(r.bumped(index))]
        }
        _ => vec![Clause::Prefix(r)],
    })
}

/// Parses a range into alternatives, each a list of clauses that must all hold. `None` when a
/// part cannot be read.
fn parse_range(spec: &str, flavor: Flavor) -> Option<Vec<Vec<Clause>>> {
    let mut out = Vec::new();
    for alternative in spec.split("||").flat_map(|a| a.split('|')) {
        let mut all = Vec::new();
        for part in alternative.split(',') {
            // `>= 3.1` and `>=8.1 <8.4`: an operator alone joins the number after it.
            let mut pending = String::new();
            for word in part.split_whitespace() {
                pending.push_str(word);
                if word.chars().any(|c| c.is_ascii_digit() || c == '*') {
                    all.extend(clauses(&pending, flavor)?);
                    pending.clear();
                }
            }
            if !pending.is_empty() {
                all.extend(clauses(&pending, flavor)?);
            }
        }
        if !all.is_empty() {
            out.push(all);
        }
    }
    (!out.is_empty()).then_some(out)
}

/// True when some release of the minor `candidate` (`3.12`) satisfies `spec`.
fn minor_allowed(candidate: &str, ranges: &[Vec<Clause>]) -> bool {
    let Some(c) = Release::parse(candidate) else {
        return false;
    };
    let [major, minor, _] = c.padded();
    // Patch releases of a minor rarely pass 40; a bound on a patch (`>=3.10.2`) is met by a
    // later one.
    (0..=60).any(|patch| {
        ranges
            .iter()
            .any(|all| all.iter().all(|c| c.allows([major, minor, patch])))
    })
}

/// True when `text` names one version rather than a range: `3.12`, `3.12.4`, `pypy3.10`,
/// `3.13t`, `ruby-3.3.0` (as setup actions take them).
pub fn is_concrete(text: &str) -> bool {
    let t = text.trim();
    !t.is_empty()
        && !t.contains(['<', '>', '=', '^', '~', ',', '|', '*', ' ', '!'])
        && !t.ends_with(".x")
        && t.chars().any(|c| c.is_ascii_digit())
}

/// The newest minor of `minors` (newest first) that `spec` allows; a concrete version is kept
/// as written; a range no listed minor satisfies gives its lowest bound (`>=3.15` → `3.15`),
/// so the setup action says clearly that the version does not exist rather than slipway
/// guessing. `None` when the text is neither.
///
/// ```
/// use slipway::setup::versions::{newest_minor, Flavor, PYTHON_MINORS};
/// assert_eq!(newest_minor(">=3.10,<4.0", PYTHON_MINORS, Flavor::Default).as_deref(), Some("3.14"));
/// assert_eq!(newest_minor(">=3.9,<3.12", PYTHON_MINORS, Flavor::Default).as_deref(), Some("3.11"));
/// assert_eq!(newest_minor("3.12.4", PYTHON_MINORS, Flavor::Default).as_deref(), Some("3.12.4"));
/// ```
pub fn newest_minor(spec: &str, minors: &[&str], flavor: Flavor) -> Option<String> {
    let spec = spec.trim();
    if is_concrete(spec) {
        return Some(spec.to_owned());
    }
    let ranges = parse_range(spec, flavor)?;
    if let Some(found) = minors.iter().find(|m| minor_allowed(m, &ranges)) {
        return Some((*found).to_owned());
    }
    // The lowest bound any alternative names, as `major.minor`.
    ranges
        .iter()
        .flatten()
        .filter_map(|c| match c {
            Clause::AtLeast(b) => Some(*b),
            Clause::Prefix(r) => Some(r.padded()),
            _ => None,
        })
        .min()
        .map(|[major, minor, _]| format!("{major}.{minor}"))
}

/// The latest long-term-support JDK, used when nothing constrains the build.
///
/// Java 25 (September 2025) is the current LTS release; the next one, 29, is due in September
/// 2027 (<https://www.oracle.com/java/technologies/java-se-support-roadmap.html>).
pub const JAVA_LATEST_LTS: u32 = 25;

/// Long-term-support JDKs, newest first: a build runs on one of these when its constraints
/// allow it, since `actions/setup-java` distributions and build plugins support them longest.
pub const JAVA_LTS: &[u32] = &[25, 21, 17, 11, 8];

/// What constrains the JDK that runs a Maven or Gradle build.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JavaNeeds {
    /// The bytecode target or Gradle toolchain `languageVersion` (`maven.compiler.release`,
    /// `JavaLanguageVersion.of(17)`): a floor, since a JDK compiles for its own release and
    /// older ones only.
    pub target: Option<u32>,
    /// maven-enforcer `requireJavaVersion`, as written (`[17,)`, `17`, `[11,18)`, `1.8`).
    pub enforcer: Option<String>,
    /// The Android Gradle plugin version (`8.5.0`).
    pub agp: Option<String>,
    /// The Gradle wrapper's version (`8.7`), from `distributionUrl`.
    pub gradle: Option<String>,
}

/// The JDK that runs the build and why, e.g. `(17, "the Gradle wrapper 7.6 runs on Java 19 at most")`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JavaChoice {
    /// The feature release, e.g. `21`.
    pub version: u32,
    /// What decided it, for the summary.
    pub reason: String,
}

/// The highest Java feature release a Gradle version runs on, from Gradle's compatibility
/// matrix (<https://docs.gradle.org/current/userguide/compatibility.html>, "Running Gradle").
fn gradle_max_java(gradle: [u64; 3]) -> u32 {
    const TABLE: &[(u32, [u64; 3])] = &[
        (25, [9, 1, 0]),
        (24, [8, 14, 0]),
        (23, [8, 10, 0]),
        (22, [8, 8, 0]),
        (21, [8, 5, 0]),
        (20, [8, 3, 0]),
        (19, [7, 6, 0]),
        (18, [7, 5, 0]),
        (17, [7, 3, 0]),
        (16, [7, 0, 0]),
        (15, [6, 7, 0]),
        (14, [6, 3, 0]),
        (13, [6, 0, 0]),
        (12, [5, 4, 0]),
        (11, [5, 0, 0]),
    ];
    TABLE
        .iter()
        .find(|(_, since)| gradle >= *since)
        .map_or(8, |(java, _)| *java)
}

/// The Java feature release of a version as Maven and Java write it: `1.8` → 8, `17.0.2` → 17.
pub fn java_feature(text: &str) -> Option<u32> {
    let r = Release::parse(text)?;
    let first = *r.parts.first()?;
    let feature = if first == 1 { *r.parts.get(1)? } else { first };
    u32::try_from(feature).ok()
}

/// Reads a maven-enforcer `requireJavaVersion` range into the lowest and highest feature
/// releases it allows (`[17,)` → (17, none), `[11,18)` → (11, 17), `17` → (17, none)).
/// Maven ranges: <https://maven.apache.org/enforcer/enforcer-rules/versionRanges.html>.
pub fn enforcer_bounds(text: &str) -> (Option<u32>, Option<u32>) {
    let t = text.trim();
    if !t.starts_with(['[', '(']) {
        // A bare version is a minimum.
        return (java_feature(t), None);
    }
    let mut low: Option<u32> = None;
    let mut high: Option<u32> = None;
    // Several ranges (`[1.8,9),[11,)`): the union, so the lowest low and the highest high.
    let mut unbounded = false;
    for range in t.split_inclusive([')', ']']) {
        let range = range.trim().trim_start_matches(',').trim();
        let Some(open) = range.chars().next() else {
            continue;
        };
        let close = range.chars().last().unwrap_or(']');
        let inner = range
            .trim_start_matches(['[', '('])
            .trim_end_matches([')', ']']);
        let (lo, hi) = inner.split_once(',').unwrap_or((inner, inner));
        if let Some(v) = java_feature(lo) {
            let v = if open == '(' && !lo.contains('.') {
                v + 1
            } else {
                v
            };
            low = Some(low.map_or(v, |l| l.min(v)));
        }
        match java_feature(hi) {
            Some(v) => {
                // `)` excludes the bound: `[11,18)` allows up to 17 (and `[11,17.0.5)` 17).
                let exclusive_whole = close == ')'
                    && Release::parse(hi).is_some_and(|r| {
                        r.parts
                            .iter()
                            .skip(if r.parts.first() == Some(&1) { 2 } else { 1 })
                            .all(|p| *p == 0)
                    });
                let v = if exclusive_whole {
                    v.saturating_sub(1)
                } else {
                    v
                };
                high = Some(high.map_or(v, |h| h.max(v)));
            }
            None if hi.trim().is_empty() => unbounded = true,
            None => {}
        }
    }
    (low, if unbounded { None } else { high })
}

/// The Java release the Android Gradle plugin needs to run: AGP 8 and later need 17, AGP 7
/// needs 11 (<https://developer.android.com/build/releases/gradle-plugin#compatibility>).
fn agp_min_java(agp: &str) -> Option<u32> {
    let major = *Release::parse(agp)?.parts.first()?;
    Some(match major {
        0..=6 => 8,
        7 => 11,
        _ => 17,
    })
}

/// Chooses the JDK that runs the build: the newest LTS release between the floor (bytecode
/// target, enforcer minimum, AGP's need, Gradle 9's Java 17) and the ceiling (enforcer maximum,
/// the newest Java the Gradle wrapper runs on); the ceiling itself when no LTS fits; the floor
/// when the two cross, since the build cannot run below it.
///
/// ```
/// use slipway::setup::versions::{java, JavaNeeds};
/// let needs = JavaNeeds { target: Some(17), gradle: Some("7.6".into()), ..JavaNeeds::default() };
/// assert_eq!(java(&needs).version, 17);
/// assert_eq!(java(&JavaNeeds::default()).version, 25);
/// ```
pub fn java(needs: &JavaNeeds) -> JavaChoice {
    let mut floor: (u32, String) = (0, String::new());
    let mut ceiling: Option<(u32, String)> = None;
    let mut raise = |v: u32, why: String| {
        if v > floor.0 {
            floor = (v, why);
        }
    };
    if let Some(t) = needs.target {
        raise(t, format!("the build compiles for Java {t}"));
    }
    let (enforcer_low, enforcer_high) = needs
        .enforcer
        .as_deref()
        .map_or((None, None), enforcer_bounds);
    if let Some(v) = enforcer_low {
        raise(v, format!("maven-enforcer requires Java {v} or later"));
    }
    if let Some(agp) = &needs.agp
        && let Some(v) = agp_min_java(agp)
    {
        raise(
            v,
            format!("the Android Gradle plugin {agp} runs on Java {v} or later"),
        );
    }
    let mut lower = |v: u32, why: String| {
        if ceiling.as_ref().is_none_or(|(c, _)| v < *c) {
            ceiling = Some((v, why));
        }
    };
    if let Some(v) = enforcer_high {
        lower(v, format!("maven-enforcer allows Java {v} at most"));
    }
    if let Some(g) = needs.gradle.as_deref().and_then(Release::parse) {
        let max = gradle_max_java(g.padded());
        let name = needs.gradle.as_deref().unwrap_or_default();
        lower(
            max,
            format!("the Gradle wrapper {name} runs on Java {max} at most"),
        );
        if g.padded()[0] >= 9 {
            raise(
                17,
                format!("the Gradle wrapper {name} runs on Java 17 or later"),
            );
        }
    }
    let top = ceiling.as_ref().map_or(u32::MAX, |(c, _)| *c);
    if floor.0 > top {
        return JavaChoice {
            version: floor.0,
            reason: floor.1,
        };
    }
    if let Some(lts) = JAVA_LTS.iter().find(|l| **l >= floor.0 && **l <= top) {
        let reason = match (&ceiling, floor.0) {
            (Some((c, why)), _) if *c < JAVA_LATEST_LTS => why.clone(),
            (_, 0) => "the latest LTS release (nothing in the build asks for another)".to_owned(),
            _ => format!("the latest LTS release; {}", floor.1),
        };
        return JavaChoice {
            version: *lts,
            reason,
        };
    }
    match ceiling {
        Some((c, why)) => JavaChoice {
            version: c,
            reason: why,
        },
        None => JavaChoice {
            version: floor.0,
            reason: floor.1,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_ranges_resolve_to_the_newest_maintained_minor() {
        let table = [
            (">=3.10,<4.0", "3.14"),
            (">=3.9", "3.14"),
            ("~=3.11", "3.14"),
            ("~=3.11.4", "3.11"),
            (">=3.9,<3.12", "3.11"),
            (">=3.8, <3.11", "3.10"),
            ("^3.10", "3.14"),
            ("~3.10", "3.10"),
            ("==3.12.*", "3.12"),
            (">=3.10,!=3.14.*", "3.13"),
            ("<3.13,>=3.10.2", "3.12"),
            (">3.8", "3.14"),
            ("3.11.*", "3.11"),
            ("3.x", "3.14"),
            (">=3.9, <3.14", "3.13"),
            ("^3.8 || ^4.0", "3.14"),
            ("<=3.11", "3.11"),
            // Concrete versions are kept: `.python-version` and Pipfile `python_version`.
            ("3.12", "3.12"),
            ("3.12.4", "3.12.4"),
            ("pypy3.10", "pypy3.10"),
            ("3.13t", "3.13t"),
            // Nothing listed fits: the lowest bound, for setup-python to report.
            (">=3.15", "3.15"),
            (">=3.6,<3.8", "3.6"),
        ];
        for (spec, want) in table {
            assert_eq!(
                newest_minor(spec, PYTHON_MINORS, Flavor::Default).as_deref(),
                Some(want),
                "{spec}"
            );
        }
        assert_eq!(newest_minor("", PYTHON_MINORS, Flavor::Default), None);
        assert_eq!(newest_minor(">=", PYTHON_MINORS, Flavor::Default), None);
    }

    #[test]
    fn composer_and_bundler_ranges() {
        let php = [
            ("^8.1", "8.5"),
            (">=8.1 <8.4", "8.3"),
            ("~8.1.0 || ~8.2.0", "8.2"),
            ("~8.1", "8.5"),
            ("8.2.*", "8.2"),
            ("^7.4|^8.0", "8.5"),
            (">=7.4", "8.5"),
            ("8.1.0", "8.1.0"),
        ];
        for (spec, want) in php {
            assert_eq!(
                newest_minor(spec, PHP_MINORS, Flavor::Composer).as_deref(),
                Some(want),
                "{spec}"
            );
        }
        let ruby = [
            ("~> 3.2", "3.4"),
            ("~> 3.2.0", "3.2"),
            (">= 3.1", "4.0"),
            ("3.3.0", "3.3.0"),
            (">= 3.1, < 3.4", "3.3"),
        ];
        for (spec, want) in ruby {
            assert_eq!(
                newest_minor(spec, RUBY_MINORS, Flavor::Default).as_deref(),
                Some(want),
                "{spec}"
            );
        }
    }

    #[test]
    fn enforcer_ranges_give_feature_bounds() {
        assert_eq!(enforcer_bounds("[17,)"), (Some(17), None));
        assert_eq!(enforcer_bounds("17"), (Some(17), None));
        assert_eq!(enforcer_bounds("1.8"), (Some(8), None));
        assert_eq!(enforcer_bounds("[1.8,)"), (Some(8), None));
        assert_eq!(enforcer_bounds("[11,18)"), (Some(11), Some(17)));
        assert_eq!(enforcer_bounds("[11,17]"), (Some(11), Some(17)));
        assert_eq!(enforcer_bounds("[17,17.0.5)"), (Some(17), Some(17)));
        assert_eq!(enforcer_bounds("(,18)"), (None, Some(17)));
        assert_eq!(enforcer_bounds("[1.8,9),[11,)"), (Some(8), None));
        assert_eq!(enforcer_bounds("${java.min}"), (None, None));
    }

    #[test]
    fn the_jdk_follows_what_runs_the_build() {
        let needs = |target: Option<u32>,
                     enforcer: Option<&str>,
                     agp: Option<&str>,
                     gradle: Option<&str>| JavaNeeds {
            target,
            enforcer: enforcer.map(str::to_owned),
            agp: agp.map(str::to_owned),
            gradle: gradle.map(str::to_owned),
        };
        let table = [
            // Nothing constrains it: the latest LTS.
            (needs(None, None, None, None), 25),
            // A bytecode target is a floor, not the JDK.
            (needs(Some(8), None, None, None), 25),
            (needs(Some(17), None, None, None), 25),
            (needs(Some(22), None, None, None), 25),
            (needs(Some(26), None, None, None), 26),
            // maven-enforcer.
            (needs(Some(8), Some("[17,)"), None, None), 25),
            (needs(Some(8), Some("[11,18)"), None, None), 17),
            (needs(None, Some("[11,20]"), None, None), 17),
            (needs(None, Some("[22,24]"), None, None), 24),
            // The Gradle wrapper caps the JDK.
            (needs(Some(11), None, None, Some("7.2")), 11),
            (needs(Some(8), None, None, Some("6.9.4")), 11),
            (needs(Some(17), None, None, Some("7.6.4")), 17),
            (needs(Some(17), None, None, Some("8.5")), 21),
            (needs(Some(21), None, None, Some("8.14.3")), 21),
            (needs(None, None, None, Some("9.1.0")), 25),
            (needs(None, None, None, Some("4.10.3")), 8),
            // The Android Gradle plugin needs 17 from 8.x on.
            (needs(Some(11), None, Some("8.5.2"), Some("8.7")), 21),
            (needs(Some(8), None, Some("7.4.2"), Some("7.5")), 17),
            // Crossed constraints: the floor, which at least runs the newer tool.
            (needs(Some(21), None, None, Some("7.6")), 21),
        ];
        for (n, want) in table {
            assert_eq!(java(&n).version, want, "{n:?}: {}", java(&n).reason);
        }
        assert!(
            java(&needs(Some(17), None, None, Some("7.6.4")))
                .reason
                .contains("Gradle wrapper 7.6.4 runs on Java 19 at most")
        );
    }

    #[test]
    fn java_features_from_maven_spellings() {
        assert_eq!(java_feature("1.8"), Some(8));
        assert_eq!(java_feature("17.0.2"), Some(17));
        assert_eq!(java_feature("21"), Some(21));
        assert_eq!(java_feature("x"), None);
    }
}
