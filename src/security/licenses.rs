//! Licence policy: SPDX licence expressions (<https://spdx.github.io/spdx-spec/v2.3/SPDX-license-expressions/>)
//! parsed from lockfile metadata and checked against `security.licenses` (`allow` and/or
//! `deny` lists of SPDX licence ids).
//!
//! An expression passes when one of its `OR` choices has every `AND` term acceptable: the
//! user may pick any choice a dual licence offers. A term is acceptable when the `allow` list
//! (if given) names it and the `deny` list does not; `deny` wins over `allow`. A term
//! `X WITH exception` is judged by its licence `X`, or by an entry written `X WITH exception`.
//! Operators are matched as the specification says: `AND`, `OR`, `WITH` in upper case (the
//! all-lower-case forms are accepted too, as npm writes them); licence ids are compared without
//! regard to case. `X+` ("this version or later") is, for the GNU licences, `X-or-later`; the
//! deprecated bare GNU ids (`GPL-3.0`) mean `-only`.

use std::collections::HashSet;
use std::path::Path;

use crate::config::{LicenseSeverity, Licenses};
use crate::generate::files::sha256_hex;
use crate::security::{Finding, Kind, Level, Skipped, deps};

/// Common SPDX licence ids (<https://spdx.org/licenses/>), for checking the ids in
/// `security.licenses` and suggesting the nearest when one is misspelt.
pub const KNOWN_IDS: &[&str] = &[
    "0BSD",
    "AFL-3.0",
    "AGPL-1.0-only",
    "AGPL-1.0-or-later",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.0",
    "Apache-1.1",
    "Apache-2.0",
    "APSL-2.0",
    "Artistic-1.0",
    "Artistic-2.0",
    "BlueOak-1.0.0",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-2-Clause-Patent",
    "BSD-3-Clause",
    "BSD-3-Clause-Clear",
    "BSD-4-Clause",
    "BSL-1.0",
    "BUSL-1.1",
    "CAL-1.0",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-NC-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "CDDL-1.1",
    "CECILL-2.1",
    "CPAL-1.0",
    "CPL-1.0",
    "ECL-2.0",
    "EPL-1.0",
    "EPL-2.0",
    "EUPL-1.1",
    "EUPL-1.2",
    "GFDL-1.3-only",
    "GFDL-1.3-or-later",
    "GPL-1.0-only",
    "GPL-1.0-or-later",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "ISC",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "LPPL-1.3c",
    "MIT",
    "MIT-0",
    "MPL-1.1",
    "MPL-2.0",
    "MPL-2.0-no-copyleft-exception",
    "MS-PL",
    "MS-RL",
    "MulanPSL-2.0",
    "NCSA",
    "ODbL-1.0",
    "OFL-1.1",
    "OpenSSL",
    "OSL-3.0",
    "PHP-3.0",
    "PHP-3.01",
    "PostgreSQL",
    "PSF-2.0",
    "Python-2.0",
    "Ruby",
    "SSPL-1.0",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "Unlicense",
    "UPL-1.0",
    "Vim",
    "W3C",
    "WTFPL",
    "X11",
    "Zlib",
    "ZPL-2.1",
];

/// The GNU family, whose ids carry `-only` / `-or-later`.
const GNU: &[&str] = &["GPL", "LGPL", "AGPL", "GFDL"];

/// Ids of the policy's form: the canonical spelling of a known id (any case), with `+` for
/// "or later" resolved, or a `LicenseRef-...` as written. The error is a message and the
/// nearest known id.
pub fn check_id(text: &str) -> Result<String, (String, Option<&'static str>)> {
    let t = text.trim();
    if t.starts_with("LicenseRef-") && t.len() > "LicenseRef-".len() {
        return Ok(t.to_owned());
    }
    let canon = canonical(t);
    match KNOWN_IDS.iter().find(|k| k.eq_ignore_ascii_case(&canon)) {
        Some(k) => Ok((*k).to_owned()),
        None => Err((
            format!("`{t}` is not a known SPDX licence id"),
            crate::config::diagnostic::suggest(t, KNOWN_IDS),
        )),
    }
}

/// One licence of an expression: `MIT`, `GPL-2.0-or-later`, `GPL-2.0-only WITH
/// Classpath-exception-2.0`; the id is canonical (see [`canonical`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Term {
    pub id: String,
    pub exception: Option<String>,
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Term(Term),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
}

/// `X+` and deprecated GNU ids in their current spelling: `GPL-2.0+` is `GPL-2.0-or-later`,
/// `GPL-3.0` is `GPL-3.0-only`; any other `X+` is `X` (its version is one of the choices).
pub fn canonical(id: &str) -> String {
    let (base, plus) = match id.strip_suffix('+') {
        Some(b) => (b, true),
        None => (id, false),
    };
    let gnu = GNU.iter().any(|g| {
        base.len() > g.len()
            && base[..g.len()].eq_ignore_ascii_case(g)
            && base.as_bytes()[g.len()] == b'-'
            && base[g.len() + 1..].starts_with(|c: char| c.is_ascii_digit())
    });
    let lower = base.to_ascii_lowercase();
    if gnu && !lower.ends_with("-only") && !lower.ends_with("-or-later") {
        return format!("{base}{}", if plus { "-or-later" } else { "-only" });
    }
    base.to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    With,
    Word(String),
}

fn tokens(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Token>| {
        if word.is_empty() {
            return;
        }
        let w = std::mem::take(word);
        out.push(match w.as_str() {
            "AND" | "and" => Token::And,
            "OR" | "or" => Token::Or,
            "WITH" | "with" => Token::With,
            _ => Token::Word(w),
        });
    };
    for c in text.chars() {
        match c {
            '(' | ')' => {
                flush(&mut word, &mut out);
                out.push(if c == '(' { Token::Open } else { Token::Close });
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '+' | ':') => word.push(c),
            c => return Err(format!("`{c}` cannot appear in a licence expression")),
        }
    }
    flush(&mut word, &mut out);
    Ok(out)
}

/// Expressions deeper than this are refused (they come from files a PR author controls).
const MAX_DEPTH: usize = 32;

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn or(&mut self, depth: usize) -> Result<Expr, String> {
        let mut left = self.and(depth)?;
        while self.peek() == Some(&Token::Or) {
            self.at += 1;
            let right = self.and(depth)?;
            left = Expr::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Expr, String> {
        let mut left = self.atom(depth)?;
        while self.peek() == Some(&Token::And) {
            self.at += 1;
            let right = self.atom(depth)?;
            left = Expr::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn atom(&mut self, depth: usize) -> Result<Expr, String> {
        if depth > MAX_DEPTH {
            return Err("too deeply nested".into());
        }
        match self.tokens.get(self.at).cloned() {
            Some(Token::Open) => {
                self.at += 1;
                let inner = self.or(depth + 1)?;
                if self.peek() != Some(&Token::Close) {
                    return Err("a `(` is not closed".into());
                }
                self.at += 1;
                Ok(inner)
            }
            Some(Token::Word(w)) => {
                self.at += 1;
                let exception = if self.peek() == Some(&Token::With) {
                    self.at += 1;
                    match self.tokens.get(self.at).cloned() {
                        Some(Token::Word(e)) if !e.contains('+') => {
                            self.at += 1;
                            Some(e)
                        }
                        _ => return Err("`WITH` must be followed by an exception id".into()),
                    }
                } else {
                    None
                };
                if w.len() > 1 && w[..w.len() - 1].contains('+') {
                    return Err(format!("`{w}`: `+` may only end a licence id"));
                }
                Ok(Expr::Term(Term {
                    id: canonical(&w),
                    exception,
                }))
            }
            Some(t) => Err(format!("expected a licence id, found {t:?}")),
            None => Err("the expression ends too early".into()),
        }
    }
}

/// Parses an SPDX licence expression. `WITH` binds tighter than `AND`, which binds tighter
/// than `OR`.
///
/// ```
/// use slipway::security::licenses::parse;
/// assert!(parse("MIT OR (Apache-2.0 AND BSD-3-Clause)").is_ok());
/// assert!(parse("MIT OR").is_err());
/// ```
pub fn parse(text: &str) -> Result<Expr, String> {
    let tokens = tokens(text)?;
    if tokens.is_empty() {
        return Err("the expression is empty".into());
    }
    let mut p = Parser { tokens, at: 0 };
    let e = p.or(0)?;
    match p.peek() {
        None => Ok(e),
        Some(t) => Err(format!("unexpected {t:?} after a complete expression")),
    }
}

/// More choices than this is not a real licence: such an expression is "unknown".
const MAX_CHOICES: usize = 256;

/// The `OR` choices of an expression, each a list of terms that must all be accepted.
pub fn choices(e: &Expr) -> Option<Vec<Vec<Term>>> {
    Some(match e {
        Expr::Term(t) => vec![vec![t.clone()]],
        Expr::Or(a, b) => {
            let mut x = choices(a)?;
            x.extend(choices(b)?);
            if x.len() > MAX_CHOICES {
                return None;
            }
            x
        }
        Expr::And(a, b) => {
            let (x, y) = (choices(a)?, choices(b)?);
            if x.len().saturating_mul(y.len()) > MAX_CHOICES {
                return None;
            }
            let mut out = Vec::new();
            for l in &x {
                for r in &y {
                    out.push(l.iter().chain(r).cloned().collect());
                }
            }
            out
        }
    })
}

/// The `allow` and `deny` lists, canonical ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub allow: Vec<String>,
    pub deny: Vec<String>,
}

/// Why an expression fails the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    /// Every choice holds a denied licence; the entry is the first one met.
    Denied(String),
    /// No choice has all its licences on the allow list; the licence is the first one missing.
    NotAllowed(String),
}

fn names(entry: &str, t: &Term) -> bool {
    entry.eq_ignore_ascii_case(&t.id)
        || t.exception.as_ref().is_some_and(|e| {
            entry
                .split_once(" WITH ")
                .is_some_and(|(i, x)| i.eq_ignore_ascii_case(&t.id) && x.eq_ignore_ascii_case(e))
        })
}

impl Policy {
    /// Judges a parsed expression.
    pub fn judge(&self, choices: &[Vec<Term>]) -> Verdict {
        let mut denied = None;
        let mut missing = None;
        for choice in choices {
            let deny = choice
                .iter()
                .find_map(|t| self.deny.iter().find(|d| names(d, t)));
            let miss = if self.allow.is_empty() {
                None
            } else {
                choice
                    .iter()
                    .find(|t| !self.allow.iter().any(|a| names(a, t)))
            };
            match (deny, miss) {
                (None, None) => return Verdict::Pass,
                (Some(d), _) => {
                    denied.get_or_insert_with(|| d.clone());
                }
                (None, Some(m)) => {
                    missing.get_or_insert_with(|| match &m.exception {
                        Some(e) => format!("{} WITH {e}", m.id),
                        None => m.id.clone(),
                    });
                }
            }
        }
        match (missing, denied) {
            (Some(m), _) => Verdict::NotAllowed(m),
            (None, Some(d)) => Verdict::Denied(d),
            (None, None) => Verdict::Pass,
        }
    }
}

/// Rule id of a package whose licence the allow list does not name.
pub const NOT_ALLOWED: &str = "license-not-allowed";
/// Rule id of a package whose licence the deny list names, with no other choice.
pub const DENIED: &str = "license-denied";
/// Rule id of a package whose lockfile entry has no licence, or one that does not parse.
pub const UNKNOWN: &str = "license-unknown";

/// The SARIF rules of the licence part: id, name, help.
pub const RULES: &[(&str, &str, &str)] = &[
    (
        NOT_ALLOWED,
        "Dependency licence not on the allow list",
        "No choice in the package's licence expression has all its licences on `security.licenses.allow`: replace the package, add the licence to the list, or accept the package in `security.allow`.",
    ),
    (
        DENIED,
        "Dependency licence on the deny list",
        "Every choice in the package's licence expression includes a licence `security.licenses.deny` lists: replace the package, or accept it in `security.allow`.",
    ),
    (
        UNKNOWN,
        "Dependency licence unknown",
        "The lockfile records no licence for the package, or one that is not an SPDX expression: check the package's licence by hand and accept it in `security.allow`.",
    ),
];

/// What the licence check found.
#[derive(Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    /// Packages whose lockfile records licences (each counted once per lockfile).
    pub packages: usize,
    /// Of those, packages with no licence or one that does not parse.
    pub unknown: usize,
    /// Lockfiles that record licences.
    pub lockfiles: usize,
    /// File names of lockfiles that record no licences, e.g. `Cargo.lock`.
    pub not_recorded: Vec<String>,
}

impl Report {
    /// What the part covered, for people.
    pub fn scope(&self) -> String {
        let mut s = format!(
            "{} packages in {} lockfiles, {} with an unknown licence",
            self.packages, self.lockfiles, self.unknown
        );
        if !self.not_recorded.is_empty() {
            s.push_str(&format!(
                "; licences not recorded in {}: not checked",
                self.not_recorded.join(", ")
            ));
        }
        s
    }
}

/// An expression from a lockfile as a message may show it: one line, no backticks, bounded.
fn shown(expr: &str) -> String {
    let clean: String = expr
        .chars()
        .map(|c| if c.is_control() || c == '`' { ' ' } else { c })
        .take(200)
        .collect();
    clean.trim().to_owned()
}

/// Checks the licences recorded in the lockfiles under `root` against `cfg`.
pub fn check(root: &Path, cfg: &Licenses) -> Report {
    let policy = Policy {
        allow: cfg
            .allow
            .iter()
            .map(|a| a.value.as_str().to_owned())
            .collect(),
        deny: cfg
            .deny
            .iter()
            .map(|a| a.value.as_str().to_owned())
            .collect(),
    };
    let level = match cfg.severity {
        LicenseSeverity::Low => Level::Low,
        LicenseSeverity::Medium => Level::Medium,
        LicenseSeverity::High => Level::High,
        LicenseSeverity::Critical => Level::Critical,
    };
    // Under an allow list an unknown licence is as bad as one not on it; under a deny list
    // alone it is a note to look at.
    let unknown_level = if policy.allow.is_empty() {
        Level::Low
    } else {
        level
    };
    let mut report = Report::default();
    for (rel, path, format) in deps::lockfiles_under(root, &mut report.skipped) {
        let skip = |report: &mut Report, reason: String| {
            report.skipped.push(Skipped {
                file: rel.clone(),
                line: None,
                reason,
            });
        };
        let bytes = match std::fs::metadata(&path) {
            Ok(m) if m.len() > deps::MAX_LOCKFILE_BYTES => {
                skip(&mut report, "too large: licences not checked".into());
                continue;
            }
            Ok(_) => match std::fs::read(&path) {
                Ok(b) => b,
                Err(e) => {
                    skip(
                        &mut report,
                        format!("could not read it: {e}; licences not checked"),
                    );
                    continue;
                }
            },
            Err(e) => {
                skip(
                    &mut report,
                    format!("could not read it: {e}; licences not checked"),
                );
                continue;
            }
        };
        let parsed = match format.read(&bytes) {
            Ok(p) => p,
            Err(m) => {
                skip(
                    &mut report,
                    format!("could not be read ({}): licences not checked", m.reason),
                );
                continue;
            }
        };
        if !parsed.licenses_recorded {
            let name = rel.rsplit('/').next().unwrap_or(&rel).to_owned();
            if !report.not_recorded.contains(&name) {
                report.not_recorded.push(name);
            }
            continue;
        }
        report.lockfiles += 1;
        let mut seen = HashSet::new();
        for l in parsed.licenses {
            if !seen.insert((l.name.clone(), l.version.clone())) {
                continue;
            }
            report.packages += 1;
            let who = format!("`{}` {} ({})", l.name, l.version, l.ecosystem.osv_name());
            let parsed = l.license.as_deref().map(|t| {
                parse(t).and_then(|e| choices(&e).ok_or_else(|| "too many choices".into()))
            });
            let (rule, lvl, message, expr) = match (&l.license, parsed) {
                (Some(text), Some(Ok(choices))) => match policy.judge(&choices) {
                    Verdict::Pass => continue,
                    Verdict::Denied(entry) => (
                        DENIED,
                        level,
                        format!(
                            "{who} is licensed `{}`, and every choice in it includes `{entry}`, which `security.licenses.deny` lists; replace the package or accept it in `security.allow`",
                            shown(text)
                        ),
                        shown(text),
                    ),
                    Verdict::NotAllowed(lic) => (
                        NOT_ALLOWED,
                        level,
                        format!(
                            "{who} is licensed `{}`, and `{lic}` is not in `security.licenses.allow`; replace the package, allow the licence, or accept the package in `security.allow`",
                            shown(text)
                        ),
                        shown(text),
                    ),
                },
                (Some(text), Some(Err(why))) => {
                    report.unknown += 1;
                    (
                        UNKNOWN,
                        unknown_level,
                        format!(
                            "{who} has the licence `{}`, which is not an SPDX expression ({why}); check its licence and accept it in `security.allow`",
                            shown(text)
                        ),
                        shown(text),
                    )
                }
                _ => {
                    report.unknown += 1;
                    (
                        UNKNOWN,
                        unknown_level,
                        format!(
                            "{who} has no licence in the lockfile; check its licence and accept it in `security.allow`"
                        ),
                        String::new(),
                    )
                }
            };
            let key = format!(
                "license\0{rel}\0{}\0{}\0{expr}",
                l.ecosystem.osv_name(),
                deps::osv::normalize_name(l.ecosystem, &l.name)
            );
            report.findings.push(Finding {
                kind: Kind::License,
                rule: rule.to_owned(),
                level: lvl,
                file: rel.clone(),
                line: l.line.unwrap_or(1),
                column: None,
                message,
                excerpt: None,
                commit: None,
                fingerprint: sha256_hex(key.as_bytes())[..32].to_owned(),
                legacy_fingerprint: None,
                advisory: None,
            });
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judge(p: &Policy, text: &str) -> Verdict {
        p.judge(&choices(&parse(text).unwrap()).unwrap())
    }

    fn term(id: &str) -> Expr {
        Expr::Term(Term {
            id: id.into(),
            exception: None,
        })
    }

    #[test]
    fn precedence_is_with_then_and_then_or() {
        let e = parse("MIT OR Apache-2.0 AND GPL-2.0-only WITH Classpath-exception-2.0").unwrap();
        let want = Expr::Or(
            Box::new(term("MIT")),
            Box::new(Expr::And(
                Box::new(term("Apache-2.0")),
                Box::new(Expr::Term(Term {
                    id: "GPL-2.0-only".into(),
                    exception: Some("Classpath-exception-2.0".into()),
                })),
            )),
        );
        assert_eq!(e, want);
        let p = parse("(MIT OR Apache-2.0) AND Zlib").unwrap();
        assert_eq!(
            p,
            Expr::And(
                Box::new(Expr::Or(
                    Box::new(term("MIT")),
                    Box::new(term("Apache-2.0"))
                )),
                Box::new(term("Zlib"))
            )
        );
        assert_eq!(parse("mit or isc").unwrap(), parse("mit OR isc").unwrap());
    }

    #[test]
    fn plus_and_deprecated_gnu_ids_are_canonical() {
        assert_eq!(parse("GPL-2.0+").unwrap(), term("GPL-2.0-or-later"));
        assert_eq!(parse("GPL-3.0").unwrap(), term("GPL-3.0-only"));
        assert_eq!(parse("LGPL-2.1-only").unwrap(), term("LGPL-2.1-only"));
        assert_eq!(parse("Apache-2.0+").unwrap(), term("Apache-2.0"));
    }

    #[test]
    fn broken_expressions_are_errors() {
        for bad in [
            "",
            "MIT OR",
            "(MIT",
            "MIT)",
            "AND MIT",
            "MIT Apache-2.0",
            "MIT WITH",
            "GPL+2.0",
            "MIT/Apache-2.0",
            "MIt And ISC",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let deep = format!("{}MIT{}", "(".repeat(100), ")".repeat(100));
        assert!(parse(&deep).is_err());
    }

    #[test]
    fn an_or_choice_passes_an_allow_list_when_all_its_terms_are_allowed() {
        let p = Policy {
            allow: vec!["MIT".into(), "Apache-2.0".into()],
            deny: vec![],
        };
        assert_eq!(judge(&p, "MIT OR GPL-3.0"), Verdict::Pass);
        assert_eq!(judge(&p, "mit"), Verdict::Pass);
        assert_eq!(
            judge(&p, "MIT AND GPL-3.0-only"),
            Verdict::NotAllowed("GPL-3.0-only".into())
        );
        assert_eq!(
            judge(&p, "(MIT OR ISC) AND (Apache-2.0 OR Zlib)"),
            Verdict::Pass
        );
        assert_eq!(judge(&p, "ISC OR Zlib"), Verdict::NotAllowed("ISC".into()));
    }

    #[test]
    fn a_deny_list_fails_only_when_every_choice_has_a_denied_term() {
        let p = Policy {
            allow: vec![],
            deny: vec!["GPL-3.0-only".into(), "AGPL-3.0-or-later".into()],
        };
        assert_eq!(judge(&p, "MIT OR GPL-3.0"), Verdict::Pass);
        assert_eq!(
            judge(&p, "GPL-3.0-only"),
            Verdict::Denied("GPL-3.0-only".into())
        );
        assert_eq!(
            judge(&p, "(MIT AND GPL-3.0) OR AGPL-3.0+"),
            Verdict::Denied("GPL-3.0-only".into())
        );
        assert_eq!(judge(&p, "GPL-2.0-only"), Verdict::Pass);
    }

    #[test]
    fn deny_wins_over_allow_and_exceptions_are_judged_by_their_licence() {
        let p = Policy {
            allow: vec!["GPL-2.0-only".into(), "MIT".into()],
            deny: vec!["GPL-2.0-only".into()],
        };
        assert_eq!(
            judge(&p, "GPL-2.0-only"),
            Verdict::Denied("GPL-2.0-only".into())
        );
        let p = Policy {
            allow: vec!["GPL-2.0-only WITH Classpath-exception-2.0".into()],
            deny: vec![],
        };
        assert_eq!(
            judge(&p, "GPL-2.0-only WITH Classpath-exception-2.0"),
            Verdict::Pass
        );
        assert_eq!(
            judge(&p, "GPL-2.0-only"),
            Verdict::NotAllowed("GPL-2.0-only".into())
        );
    }

    #[test]
    fn choices_are_bounded() {
        let many = ["(MIT OR ISC)"; 12].join(" AND ");
        assert!(choices(&parse(&many).unwrap()).is_none());
    }

    #[test]
    fn policy_ids_are_checked_with_a_suggestion() {
        assert_eq!(check_id("mit").unwrap(), "MIT");
        assert_eq!(check_id("GPL-3.0").unwrap(), "GPL-3.0-only");
        assert_eq!(check_id("GPL-2.0+").unwrap(), "GPL-2.0-or-later");
        assert_eq!(check_id("LicenseRef-Acme").unwrap(), "LicenseRef-Acme");
        let (msg, near) = check_id("Apache2.0").unwrap_err();
        assert!(msg.contains("`Apache2.0`"), "{msg}");
        assert_eq!(near, Some("Apache-2.0"));
    }
}
