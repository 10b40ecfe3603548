//! Committed secrets: the [`Scanner`] finds credentials in text, [`tree`] walks the working
//! tree in parallel and [`history`] streams every commit's added lines out of `git log -p`.
//!
//! A scan runs in two passes per buffer: one Aho-Corasick search for every rule's keywords,
//! then only the rules whose keywords occur run their regex, and only on the lines with a
//! keyword. What the regex matched then passes the rule's format check (a checksum, a JSON
//! header, entropy) and the known-harmless list before it becomes a [`Hit`]. The raw secret
//! lives only inside a `Hit` and is dropped as soon as it has been hashed and redacted.

pub mod checks;
pub mod history;
pub mod rules;
pub mod tree;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::Regex;
use sha2::{Digest as _, Sha256};

use crate::security::allow::Policy;
use crate::security::{Finding, Kind, Level};
use rules::{Check, RULES, Rule};

/// How far past a PEM header its `-----END …-----` line is looked for.
pub const PEM_LOOKAHEAD: usize = 16 * 1024;

/// What a secret regex matched, still holding the secret: never printed, never stored.
pub struct Hit {
    /// Index into [`RULES`].
    pub rule: usize,
    pub level: Level,
    /// 1-based.
    pub line: u32,
    /// 1-based, in bytes.
    pub column: u32,
    /// The secret bytes.
    secret: Vec<u8>,
    /// The matched text with the secret already replaced by its redaction.
    pub excerpt: String,
    /// The whole line carries `slipway:allow`.
    pub inline_allowed: bool,
    /// Byte span of the secret in the scanned buffer.
    span: (usize, usize),
    /// The text of the line before and after the secret, trimmed: what the fingerprint is
    /// made of besides rule and file (never the secret).
    context: (Vec<u8>, Vec<u8>),
}

impl Hit {
    /// The rule that matched.
    pub fn rule(&self) -> &'static Rule {
        &RULES[self.rule]
    }

    /// The secret, for allowlist regexes only.
    pub fn secret_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.secret)
    }

    /// The finding, with the secret reduced to a fingerprint and a redacted excerpt.
    pub fn into_finding(self, file: &str, commit: Option<String>) -> Finding {
        let rule = self.rule();
        let mut message = format!("{} found", rule.name);
        if let Some(c) = &commit {
            let short: String = c.chars().take(12).collect();
            message.push_str(&format!(" (added in commit {short})"));
        }
        Finding {
            kind: Kind::Secret,
            rule: rule.id.to_owned(),
            level: self.level,
            file: file.to_owned(),
            line: self.line,
            column: Some(self.column),
            message,
            excerpt: Some(self.excerpt),
            commit,
            fingerprint: fingerprint(rule.id, file, &self.context.0, &self.context.1),
            legacy_fingerprint: Some(legacy_fingerprint(rule.id, file, &self.secret)),
            advisory: None,
        }
    }
}

impl std::fmt::Debug for Hit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret is never formatted.
        f.debug_struct("Hit")
            .field("rule", &self.rule().id)
            .field("line", &self.line)
            .field("column", &self.column)
            .field("excerpt", &self.excerpt)
            .finish_non_exhaustive()
    }
}

/// A stable id of a secret's place: the rule, the file and the text around the secret on its
/// line (trimmed), never the secret itself, so a published fingerprint (SARIF, JSON, the
/// committed baseline) cannot be used to test a guessed secret offline. The same line keeps
/// its fingerprint whatever line number it moves to; identical lines in one file are told
/// apart by their order ([`crate::security::disambiguate`]).
pub fn fingerprint(rule: &str, file: &str, before: &[u8], after: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"slipway-secret-v2\0");
    for part in [rule.as_bytes(), file.as_bytes(), before, after] {
        h.update(part);
        h.update([0]);
    }
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// The fingerprint of baseline version 1, a hash over the secret itself: computed only to
/// honour an old baseline, never written anywhere.
pub fn legacy_fingerprint(rule: &str, file: &str, secret: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(b"slipway-secret-v1\0");
    h.update(rule.as_bytes());
    h.update([0]);
    h.update(file.as_bytes());
    h.update([0]);
    h.update(secret);
    let digest = h.finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}

/// `secret` redacted: at most its first 4 characters (fewer for short values), then `****`.
pub fn redact(secret: &[u8]) -> String {
    let text = String::from_utf8_lossy(secret);
    let chars = text.chars().count();
    let keep = (chars / 4).min(4);
    let mut out: String = text.chars().take(keep).collect();
    out.push_str("****");
    out
}

/// The compiled rules: one keyword automaton, one regex per rule.
pub struct Scanner {
    /// Leftmost-first: finds the next line with any keyword, fast.
    finder: AhoCorasick,
    /// Standard semantics: every keyword on one line, overlapping.
    keywords: AhoCorasick,
    /// For each keyword pattern, the rule it belongs to.
    keyword_rule: Vec<usize>,
    regexes: Vec<Regex>,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("rules", &self.regexes.len())
            .finish_non_exhaustive()
    }
}

impl Scanner {
    /// Compiles every rule.
    ///
    /// # Panics
    /// Never for the built-in rules, which a unit test compiles.
    pub fn new() -> Self {
        let mut patterns = Vec::new();
        let mut keyword_rule = Vec::new();
        for (i, rule) in RULES.iter().enumerate() {
            for k in rule.keywords {
                patterns.push(*k);
                keyword_rule.push(i);
            }
        }
        let keywords = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&patterns)
            .expect("the built-in keywords compile");
        let finder = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&patterns)
            .expect("the built-in keywords compile");
        let regexes = RULES
            .iter()
            .map(|r| Regex::new(r.pattern).expect("the built-in secret rules compile"))
            .collect();
        Self {
            finder,
            keywords,
            keyword_rule,
            regexes,
        }
    }

    /// Finds secrets in `buf`, whose first byte starts line `first_line`. Only keywords that
    /// start before `region_end` count (a caller scanning in chunks passes the end of the
    /// lines it owns; the rest is look-ahead for PEM blocks). `path` selects file-specific
    /// rules (lockfiles). Hits on the same place are reported once.
    pub fn scan(&self, buf: &[u8], region_end: usize, first_line: u32, path: &str) -> Vec<Hit> {
        let region_end = region_end.min(buf.len());
        let lockfile = checks::is_lockfile(path);
        // (line start, rule) pairs already run, in order of line start.
        let mut done: Vec<(usize, usize)> = Vec::new();
        let mut hits: Vec<Hit> = Vec::new();
        let mut counted_to = 0usize;
        let mut line_no = first_line;
        let mut pos = 0usize;
        // The first keyword anywhere, then every keyword of its line; then on from the next
        // line. Lines without a keyword cost one pass of the leftmost-first automaton.
        while pos < region_end {
            let input = aho_corasick::Input::new(&buf[..region_end]).span(pos..region_end);
            let Some(first) = self.finder.find(input) else {
                break;
            };
            let start = memchr::memrchr(b'\n', &buf[..first.start()]).map_or(0, |p| p + 1);
            let end = memchr::memchr(b'\n', &buf[start..]).map_or(buf.len(), |p| start + p);
            pos = end + 1;
            if start > counted_to {
                line_no = line_no.saturating_add(
                    u32::try_from(memchr::memchr_iter(b'\n', &buf[counted_to..start]).count())
                        .unwrap_or(u32::MAX),
                );
                counted_to = start;
            }
            done.clear();
            for m in self.keywords.find_overlapping_iter(&buf[start..end]) {
                let rule_idx = self.keyword_rule[m.pattern().as_usize()];
                if done.contains(&(start, rule_idx)) {
                    continue;
                }
                done.push((start, rule_idx));
                self.run_rule(rule_idx, buf, start, end, line_no, lockfile, &mut hits);
            }
        }
        dedup(hits)
    }

    /// Runs one rule's regex on the line `buf[start..end]` and keeps what passes its checks.
    #[allow(clippy::too_many_arguments)]
    fn run_rule(
        &self,
        rule_idx: usize,
        buf: &[u8],
        start: usize,
        end: usize,
        line_no: u32,
        lockfile: bool,
        hits: &mut Vec<Hit>,
    ) {
        {
            let rule = &RULES[rule_idx];
            if lockfile && matches!(rule.check, Check::Generic | Check::Jwt) {
                return;
            }
            let line = &buf[start..end];
            if rule.check == Check::Generic && generic_line_skipped(line) {
                return;
            }
            for caps in self.regexes[rule_idx].captures_iter(line) {
                let Some(s) = caps.name("s") else { continue };
                let Some(whole) = caps.get(0) else { continue };
                let (secret, level) = match self.verify(rule, &caps, buf, start + s.start()) {
                    Some(v) => v,
                    None => continue,
                };
                if checks::harmless(&secret) {
                    continue;
                }
                let column = u32::try_from(s.start() + 1).unwrap_or(u32::MAX);
                let excerpt = if rule.check == Check::Pem {
                    format!("{} ****", printable(s.as_bytes(), 60))
                } else {
                    excerpt(
                        line,
                        whole.start(),
                        whole.end(),
                        s.start(),
                        s.end(),
                        &secret,
                    )
                };
                hits.push(Hit {
                    rule: rule_idx,
                    level,
                    line: line_no,
                    column,
                    secret,
                    excerpt,
                    inline_allowed: inline_allowed(line, rule.id) || peer_allowed(line),
                    span: (start + s.start(), start + s.end()),
                    context: (
                        line[..s.start()].trim_ascii().to_vec(),
                        line[s.end().min(line.len())..].trim_ascii().to_vec(),
                    ),
                });
            }
        }
    }

    /// The secret of a match and its level, when the rule's check accepts it.
    fn verify(
        &self,
        rule: &Rule,
        caps: &regex::bytes::Captures<'_>,
        buf: &[u8],
        abs_start: usize,
    ) -> Option<(Vec<u8>, Level)> {
        let s = caps.name("s")?.as_bytes();
        let ok = match rule.check {
            Check::None => true,
            Check::GithubChecksum => checks::github_token_valid(s),
            Check::Jwt => checks::jwt_valid(s),
            Check::Generic => {
                // A quoted value ends at its quote; an unquoted one is cut at the first space.
                checks::generic_value_ok(s)
            }
            Check::Random(bits) => checks::entropy(s) >= bits && checks::classes(s) >= 2,
            Check::UrlPassword => {
                if !checks::url_password_ok(s) {
                    return None;
                }
                let local = caps
                    .name("host")
                    .is_some_and(|h| checks::local_host(h.as_bytes()));
                let level = if local { Level::Low } else { rule.level };
                return Some((s.to_vec(), level));
            }
            Check::Pem => {
                let label = caps.name("label")?.as_bytes();
                return pem_block(buf, abs_start, label).map(|b| (b, rule.level));
            }
        };
        ok.then(|| (s.to_vec(), rule.level))
    }
}

impl Default for Scanner {
    fn default() -> Self {
        Self::new()
    }
}

/// One hit per place: where spans overlap, the most specific rule (the lowest index) wins.
fn dedup(mut hits: Vec<Hit>) -> Vec<Hit> {
    hits.sort_by_key(|h| (h.span.0, h.rule));
    let mut out: Vec<Hit> = Vec::with_capacity(hits.len());
    for h in hits {
        let overlapping = out
            .iter()
            .rposition(|o| o.span.0 < h.span.1 && h.span.0 < o.span.1);
        match overlapping {
            Some(i) if out[i].rule <= h.rule => {}
            Some(i) => out[i] = h,
            None => out.push(h),
        }
    }
    out
}

/// Lines where a generic assignment is not a credential: integrity attributes, hashes,
/// comparisons in documentation tables.
fn generic_line_skipped(line: &[u8]) -> bool {
    let lower = line.to_ascii_lowercase();
    memchr::memmem::find(&lower, b"integrity").is_some()
        || memchr::memmem::find(&lower, b"checksum").is_some()
        || memchr::memmem::find(&lower, b"secrets.").is_some()
}

/// True when the line says `slipway:allow` (for every rule) or `slipway:allow <rule-id>`.
pub fn inline_allowed(line: &[u8], rule: &str) -> bool {
    let Some(at) = memchr::memmem::find(line, b"slipway:allow") else {
        return false;
    };
    let rest = &line[at + "slipway:allow".len()..];
    let rest = String::from_utf8_lossy(rest);
    let ids: Vec<&str> = rest
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
        .collect();
    // `# slipway:allow` alone, or followed by prose, allows every rule; a list of rule ids
    // allows those.
    let known: Vec<&&str> = ids.iter().filter(|w| rules::by_id(w).is_some()).collect();
    known.is_empty() || known.iter().any(|w| **w == rule)
}

/// Markers other secret scanners honour, so a line a repository already vetted with them is
/// not reported again: `gitleaks:allow` (gitleaks), `pragma: allowlist secret`
/// (detect-secrets), `trufflehog:ignore` (TruffleHog), `noqa: S105`/`S106` (Bandit's hard-coded
/// password checks, as Ruff spells them).
pub fn peer_allowed(line: &[u8]) -> bool {
    const MARKERS: &[&[u8]] = &[
        b"gitleaks:allow",
        b"pragma: allowlist secret",
        b"trufflehog:ignore",
        b"noqa: S105",
        b"noqa: S106",
        b"noqa:S105",
        b"noqa:S106",
    ];
    MARKERS
        .iter()
        .any(|m| memchr::memmem::find(line, m).is_some())
}

/// The body of the PEM block whose header starts at `abs_start`, when the matching END line
/// follows with a base64 body of at least 64 characters.
fn pem_block(buf: &[u8], abs_start: usize, label: &[u8]) -> Option<Vec<u8>> {
    let window_end = (abs_start + PEM_LOOKAHEAD).min(buf.len());
    let window = &buf[abs_start..window_end];
    let mut end_marker = b"-----END ".to_vec();
    end_marker.extend_from_slice(label);
    end_marker.extend_from_slice(b"-----");
    let header_len = "-----BEGIN ".len() + label.len() + "-----".len();
    let end = memchr::memmem::find(window, &end_marker)?;
    let body = window.get(header_len..end)?;
    if memchr::memmem::find(body, b"...").is_some() {
        return None;
    }
    let b64 = body
        .iter()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        .count();
    (b64 >= 64).then(|| window[..end + end_marker.len()].to_vec())
}

/// The matched text around the secret, with the secret redacted, at most 160 characters.
fn excerpt(
    line: &[u8],
    whole_start: usize,
    whole_end: usize,
    s_start: usize,
    s_end: usize,
    secret: &[u8],
) -> String {
    let before = &line[whole_start.min(s_start)..s_start];
    let after_end = whole_end.max(s_end).min(line.len());
    // PEM secrets run past the line; show only the header.
    let mut after = if s_end <= line.len() {
        &line[s_end..after_end]
    } else {
        &[][..]
    };
    // The regexes end on one delimiter byte; it says nothing.
    while let Some((last, rest)) = after.split_last() {
        if last.is_ascii_alphanumeric() {
            break;
        }
        after = rest;
    }
    let mut out = String::new();
    out.push_str(&printable(before, 60));
    out.push_str(&redact(secret));
    out.push_str(&printable(after, 40));
    out
}

/// `bytes` as text, control characters replaced, cut to `max` characters.
fn printable(bytes: &[u8], max: usize) -> String {
    String::from_utf8_lossy(bytes)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect()
}

/// Scans one in-memory text (a file already read, a test string): hits filtered through the
/// policy and turned into findings for `path`.
pub fn scan_text(scanner: &Scanner, policy: &Policy, text: &[u8], path: &str) -> Vec<Finding> {
    scanner
        .scan(text, text.len(), 1, path)
        .into_iter()
        .filter(|h| !h.inline_allowed && !policy.allows_secret(h.rule().id, path, &h.secret_text()))
        .map(|h| h.into_finding(path, None))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(text: &str, path: &str) -> Vec<String> {
        scan_text(&Scanner::new(), &Policy::default(), text.as_bytes(), path)
            .into_iter()
            .map(|f| f.rule)
            .collect()
    }

    fn ghp() -> String {
        checks::github_token("ghp", "R9fX2kLm0QpZ7vTb4NcW8sYh1JdA6e")
    }

    #[test]
    fn every_rule_compiles_and_has_keywords() {
        let s = Scanner::new();
        assert_eq!(s.regexes.len(), RULES.len());
        for r in RULES {
            assert!(!r.keywords.is_empty(), "{}", r.id);
            assert!(
                s.keyword_rule.len() <= 64,
                "over 64 keywords: the SIMD prefilter no longer applies"
            );
            let mut ids = RULES.iter().filter(|x| x.id == r.id);
            ids.next();
            assert!(ids.next().is_none(), "duplicate id {}", r.id);
        }
    }

    #[test]
    fn each_format_is_found() {
        let cases: Vec<(&str, String)> = vec![
            ("github-token", format!("TOKEN={}", ghp())),
            (
                "github-fine-grained-token",
                "auth: 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".into(),
            ),
            ("gitlab-token", "GITLAB=glpat-Nx6jvr7SIftRutlZfOjU".into()),
            ("aws-access-key-id", "key_id = AKIA2E3F4G5H6J7K2L3M".into()),
            (
                "aws-secret-access-key",
                "aws_secret_access_key = f8CvgroOx9ye17SWjAEVaSZJ0oVeMmLRLTq10V7s".into(),
            ),
            (
                "slack-token",
                "SLACK=xoxb-263594206564-2343594206574-FGqddMF8t08v8N7Oq4i57vs1".into(),
            ),
            (
                "slack-webhook",
                "url: https://hooks.slack.com/services/T0ABCDEFG/B0HIJKLMN/aB3dE5gH7jK9mN1pQ3sT5vW7".into(),
            ),
            ("stripe-live-key", "STRIPE=sk_live_StEkUdfMI7zcpVMw0qDPAjd6".into()),
            ("google-api-key", "key=AIzaOcZFv1niUK8iO5YAgkBxjd2AsjD7N2kHD9F".into()),
            (
                "azure-storage-key",
                "DefaultEndpointsProtocol=https;AccountName=shop;AccountKey=c92P2+zHd3OC2pYwL82DeaGdyy8Yck0kF4nP47GiCpj7ZfZzp72dpiifA9SHEA8JMOE9mQfHdlNwl9cyhDujSw==;EndpointSuffix=core.windows.net".into(),
            ),
            ("npm-token", "//registry.npmjs.org/:_authToken=npm_mI4ROnl89Sm995ytbxAk7jqevt0MLaMRTvet".into()),
            (
                "pypi-token",
                "password = pypi-AgEIcHlwaS5vcmcCJGI4YmNhZDQ0LWJmMDAtNDk1Yi1hOWQ1LTgzMzc3N2M3ZmFiNwACKlszLCJ".into(),
            ),
            ("dockerhub-token", "DOCKER=dckr_pat_w0tESulEETldq8b8Vw2zbJYAxyL".into()),
            ("twilio-api-key", "TWILIO_API_KEY=SK8e9bb8bdb5eba456bf92d5d98065e575".into()),
            (
                "sendgrid-api-key",
                "SENDGRID=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".into(),
            ),
            ("mailgun-api-key", "MAILGUN=key-af89fc43c5fa52f8b2b19b8f89a50f8a".into()),
            (
                "openai-api-key",
                "OPENAI=sk-proj-1aCcTlN99mhWp708DwGwT3BlbkFJ5HqXDgLVXZx3scB8fnvG".into(),
            ),
            (
                "jwt",
                "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c".into(),
            ),
            (
                "url-password",
                "DATABASE_URL=postgres://shop:Zq8vL2mRt5wXy9@db.prod.internal:5432/shop".into(),
            ),
            ("generic-secret", "api_key = \"Zq8vL2mRt5wXy9Kp\"".into()),
        ];
        for (rule, text) in cases {
            assert_eq!(ids(&text, "src/app.env"), vec![rule.to_owned()], "{text}");
        }
    }

    #[test]
    fn slack_app_config_refresh_and_legacy_tokens_are_found() {
        for text in [
            "SLACK_APP_TOKEN=xapp-1-A0B1C2D3E4F-7391046285173-4f0c9a1e7b2d8c3f6a5e0b9d4c7f1a2e8b3d6c9f0a1e4b7d2c5f8a3e6b9d0c1f",
            "token: xoxe.xoxp-1-Mi0yLTk3MTYyNDM4MDUxNy04ODI0NjE3MzU5MDQtOTE3MzUyODQ2MTA",
            "refresh: xoxe-1-My0xLTk3MTYyNDM4MDUxNy04ODI0NjE3MzU5MDQtOTE3MzUyODQ2MTA",
            "legacy = xoxa-2-730418259-61938275046-8402716395827-c4a9e1f07b3d25",
        ] {
            assert_eq!(ids(text, "x"), vec!["slack-token"], "{text}");
        }
        for placeholder in [
            // Cut short by a placeholder.
            "\"t\": \"xoxp-730418259-619382750-840271639-####\"",
            // Ids that are not ids, a body that is words.
            "\"t\": \"xoxp-1234-1234-1234-4ddbc191d40ee098cbaae6f3523ada2d\"",
            "t: xoxe.xoxp-1-SlackAppConfigurationAccessTokenHere",
        ] {
            assert!(ids(placeholder, "x").is_empty(), "{placeholder}");
        }
    }

    #[test]
    fn anthropic_keys_have_93_characters_and_end_in_aa() {
        let body: String = "Xq7Lm2Rt9Vb4Nc8Wd3Kf6Hj1Pz5Gs0Ty"
            .chars()
            .cycle()
            .take(93)
            .collect();
        for kind in ["api03", "admin01"] {
            let key = format!("sk-ant-{kind}-{body}AA");
            assert_eq!(ids(&format!("KEY={key}"), "x"), vec!["anthropic-api-key"]);
            assert!(ids(&format!("KEY=sk-ant-{kind}-{body}BB"), "x").is_empty());
            assert!(ids(&format!("KEY={key}x"), "x").is_empty());
        }
    }

    #[test]
    fn slack_workflow_webhooks_and_plain_http_ones_are_found() {
        for text in [
            "http://hooks.slack.com/services/T0ABCDEFG/B0HIJKLMN/aB3dE5gH7jK9mN1pQ3sT5vW7",
            "https://hooks.slack.com/workflows/T0ABCDEFG/A0HIJKLMN/493817260518273645/aB3dE5gH7jK9mN1pQ3sT5vW7",
        ] {
            assert_eq!(ids(text, "x"), vec!["slack-webhook"], "{text}");
        }
    }

    #[test]
    fn generic_assignments_of_go_make_php_and_argument_pairs_are_found() {
        for text in [
            "var apiToken string = \"Zq8vL2mRt5wXy9Kp\"",
            "API_TOKEN ::= \"Zq8vL2mRt5wXy9Kp\"",
            "API_TOKEN :::= \"Zq8vL2mRt5wXy9Kp\"",
            "API_TOKEN ?= \"Zq8vL2mRt5wXy9Kp\"",
            "$apiToken .= \"Zq8vL2mRt5wXy9Kp\"",
            "System.setProperty(\"API_TOKEN\", \"Zq8vL2mRt5wXy9Kp\")",
        ] {
            assert_eq!(ids(text, "x"), vec!["generic-secret"], "{text}");
        }
        // A longer name that only starts with a secret word is not the secret's name; a
        // constant and a string in a tuple are not a name and its value.
        assert!(ids("password_hash = \"Zq8vL2mRt5wXy9Kp\"", "x").is_empty());
        assert!(ids("(&rfc::PKCS_TOKEN, \"pkcs-9-at-pkcs15Token\"),", "x").is_empty());
    }

    #[test]
    fn pem_blocks_need_their_end_line_and_a_body() {
        let body = "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFczGkPLPgizskuemMghRniWaoLcyehkd3qqGElvW/VDL5AaWTg0nLVkjRo9z+40RQzuVaE8AkAFmxZzow3x+VJYKdjykkJ0iT9wCS0DRTXu269V264Vf/3jvredZiKRkgwlL9xNAwxXFg0x/XFw005UWVRIkdgcKWTjpBP2dPwVZ4WWC+9aGVd+Gyn1o0CLelf4rEjGoXbAAEgAqeGUxrcIlbjXfbcmwIDAQAB";
        let text =
            format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n");
        let found = scan_text(
            &Scanner::new(),
            &Policy::default(),
            text.as_bytes(),
            "id_rsa",
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].rule, "private-key");
        assert_eq!(found[0].line, 1);
        let excerpt = found[0].excerpt.clone().unwrap();
        assert!(!excerpt.contains("MIIEow"), "{excerpt}");
        assert!(
            ids(
                "-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n",
                "README.md"
            )
            .is_empty()
        );
        assert!(ids(&format!("-----BEGIN RSA PRIVATE KEY-----\n{body}\n"), "x").is_empty());
        assert!(
            ids(
                "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n",
                "x"
            )
            .is_empty()
        );
    }

    #[test]
    fn known_harmless_values_are_not_findings() {
        for text in [
            "aws_access_key_id = AKIAIOSFODNN7EXAMPLE",
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "token: ${{ secrets.GITHUB_TOKEN }}",
            "password = ${DB_PASSWORD}",
            "api_key = \"<your-api-key>\"",
            "password: changeme",
            "secret = xxxxxxxxxxxxxxxx",
            "token = 3f2504e0-4f89-11d3-9a0c-0305e82c3301",
            "commit_token = da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "\"integrity\": \"sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg==\"",
            "token = os.environ['TOKEN']",
            "password = get_password_from_vault()",
            "DATABASE_URL=postgres://postgres:postgres@localhost:5432/app",
            "url = \"postgres://user:${PGPASSWORD}@db/app\"",
            "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "ghp_R9fX2kLm0QpZ7vTb4NcW8sYh1JdA6eABCDEF",
        ] {
            assert!(
                ids(text, "src/config.py").is_empty(),
                "{text}: {:?}",
                ids(text, "x")
            );
        }
    }

    #[test]
    fn lockfile_hashes_are_not_generic_secrets() {
        let text = "checksum = \"Zq8vL2mRt5wXy9Kp\"\ntoken = \"Zq8vL2mRt5wXy9Kp\"\n";
        assert!(ids(text, "Cargo.lock").is_empty());
        assert_eq!(ids(text, "config.toml"), vec!["generic-secret"]);
    }

    #[test]
    fn inline_allow_comments_silence_a_line() {
        let t = ghp();
        assert!(ids(&format!("T={t} # slipway:allow test fixture"), "x").is_empty());
        assert!(ids(&format!("T={t} # slipway:allow github-token"), "x").is_empty());
        assert_eq!(
            ids(&format!("T={t} # slipway:allow jwt"), "x"),
            vec!["github-token"]
        );
    }

    #[test]
    fn lines_and_columns_are_counted_from_one() {
        let text = format!("first\nsecond\n  T={}\n", ghp());
        let f = scan_text(&Scanner::new(), &Policy::default(), text.as_bytes(), "x");
        assert_eq!((f[0].line, f[0].column), (3, Some(5)));
    }

    #[test]
    fn redaction_keeps_at_most_four_characters() {
        assert_eq!(redact(ghp().as_bytes()), "ghp_****");
        assert_eq!(redact(b"hunter2x"), "hu****");
        assert_eq!(redact(b"abc"), "****");
        let f = &scan_text(
            &Scanner::new(),
            &Policy::default(),
            format!("T={}", ghp()).as_bytes(),
            "x",
        )[0];
        assert_eq!(f.excerpt.as_deref(), Some("ghp_****"));
        let json = serde_json::to_string(f).unwrap();
        assert!(!json.contains(&ghp()[4..10]), "{json}");
    }

    #[test]
    fn fingerprints_ignore_the_line_and_depend_on_the_file() {
        let a = scan_text(
            &Scanner::new(),
            &Policy::default(),
            format!("T={}", ghp()).as_bytes(),
            "a",
        );
        let b = scan_text(
            &Scanner::new(),
            &Policy::default(),
            format!("\n\nX = 1\nT={}", ghp()).as_bytes(),
            "a",
        );
        let c = scan_text(
            &Scanner::new(),
            &Policy::default(),
            format!("T={}", ghp()).as_bytes(),
            "b",
        );
        assert_eq!(a[0].fingerprint, b[0].fingerprint);
        assert_ne!(a[0].fingerprint, c[0].fingerprint);
        assert_eq!(a[0].fingerprint.len(), 32);
    }

    #[test]
    fn a_fingerprint_carries_nothing_about_the_secret() {
        // Two different tokens in the same place: one fingerprint, so no guess of the secret
        // can be tested against a published one.
        let scan = |token: &str| {
            scan_text(
                &Scanner::new(),
                &Policy::default(),
                format!("  export GH_TOKEN={token}  # ci\n").as_bytes(),
                "ci/env.sh",
            )
        };
        let first = scan(&ghp());
        let second = scan(&checks::github_token(
            "ghp",
            "Zq3Wm8Rt5Yu2Io9Pa6Sd1Fg4Hj7Kl0",
        ));
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].fingerprint, second[0].fingerprint);
        // It is made of rule, file and the text around the secret, no more.
        assert_eq!(
            first[0].fingerprint,
            fingerprint("github-token", "ci/env.sh", b"export GH_TOKEN=", b"# ci")
        );
        // The hash over the secret exists only to honour an old baseline; it is never output.
        let legacy = legacy_fingerprint("github-token", "ci/env.sh", ghp().as_bytes());
        assert_eq!(
            first[0].legacy_fingerprint.as_deref(),
            Some(legacy.as_str())
        );
        let json = serde_json::to_string(&first[0]).unwrap();
        assert!(!json.contains(&legacy), "{json}");
        // Re-indenting the line or moving it keeps the fingerprint; changing it does not.
        let moved = scan_text(
            &Scanner::new(),
            &Policy::default(),
            format!("#!/bin/sh\n\nexport GH_TOKEN={}  # ci\n", ghp()).as_bytes(),
            "ci/env.sh",
        );
        assert_eq!(moved[0].fingerprint, first[0].fingerprint);
    }

    #[test]
    fn secrets_in_config_code_and_urls_of_every_scheme() {
        let cases = [
            (
                "a.rs",
                "const API_KEY: &str = \"q8Lm2Rt5wXy9KpZ3vNb7cHd4\";",
                "generic-secret",
            ),
            (
                ".env",
                "SECRET_KEY=j7FAc9QeWJKY40uvSwMFLZDe1f8rESQedUStPKR0",
                "generic-secret",
            ),
            (
                "web.config",
                "<add key=\"ApiPassword\" value=\"tr0ub4dor&3xQz\" />",
                "secret-attribute",
            ),
            (
                "a.txt",
                "ftp://deploy:Zq8vL2mRt5w@files.prod.example.net/in",
                "url-password",
            ),
            (
                "a.yml",
                "smtp: smtps://mailer:Zq8vL2mRt5w@smtp.prod.example.net:465",
                "url-password",
            ),
            (
                "a.env",
                "REDIS_URL=redis://:Zq8vL2mRt5w@cache.prod.example.net:6379/0",
                "url-password",
            ),
            (
                "a.env",
                "M=mongodb+srv://admin:Zq8vL2mRt5w@cluster0.abcde.mongodb.net/app",
                "url-password",
            ),
        ];
        for (path, line, rule) in cases {
            let found = scan_text(&Scanner::new(), &Policy::default(), line.as_bytes(), path);
            assert_eq!(
                found.iter().map(|f| f.rule.as_str()).collect::<Vec<_>>(),
                [rule],
                "{line}"
            );
        }
        // Placeholders and references stay quiet.
        for line in [
            "<add key=\"ApiPassword\" value=\"${API_PASSWORD}\" />",
            "password: \"{{ vault_password }}\"",
            "url: https://github.com/org/repo.git",
        ] {
            let found = scan_text(
                &Scanner::new(),
                &Policy::default(),
                line.as_bytes(),
                "c.yml",
            );
            assert!(found.is_empty(), "{line}: {found:?}");
        }
    }

    #[test]
    fn markers_of_other_scanners_silence_a_line() {
        for marker in [
            "# gitleaks:allow",
            "# pragma: allowlist secret",
            "// trufflehog:ignore",
            "# noqa: S105",
        ] {
            let text = format!("TOKEN = \"{}\"  {marker}\n", ghp());
            let found = scan_text(&Scanner::new(), &Policy::default(), text.as_bytes(), "a.py");
            assert!(found.is_empty(), "{marker}: {found:?}");
        }
        let text = format!("TOKEN = \"{}\"  # gitleaks:deny\n", ghp());
        assert_eq!(
            scan_text(&Scanner::new(), &Policy::default(), text.as_bytes(), "a.py").len(),
            1
        );
    }

    #[test]
    fn identical_lines_in_one_file_get_distinct_fingerprints() {
        let text = format!("[a]\ntoken = {}\n[b]\ntoken = {}\n", ghp(), ghp());
        let mut found = scan_text(
            &Scanner::new(),
            &Policy::default(),
            text.as_bytes(),
            "x.ini",
        );
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].fingerprint, found[1].fingerprint);
        crate::security::disambiguate(&mut found);
        assert_ne!(found[0].fingerprint, found[1].fingerprint);
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..4096)) {
            let s = Scanner::new();
            let _ = s.scan(&bytes, bytes.len(), 1, "x");
            let half = bytes.len() / 2;
            let _ = s.scan(&bytes, half, 7, "Cargo.lock");
        }

        #[test]
        fn keyword_soup_never_panics(parts in proptest::collection::vec(proptest::sample::select(vec![
            "ghp_", "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "eyJ", ".", "\n",
            "password=", "postgres://a:", "@", "AKIA", "AAAAAAAAAAAAAAAA", "slipway:allow", "\"private_key\": \"",
            "xoxb-", "AccountKey=", "==", "Zq8vL2mRt5wXy9", "\u{e9}", "\0",
        ]), 0..200)) {
            let text = parts.concat();
            let _ = Scanner::new().scan(text.as_bytes(), text.len(), 1, "x");
        }
    }
}
