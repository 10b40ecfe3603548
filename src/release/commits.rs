//! Conventional commits: parse messages and turn a range of commits into changes.
//!
//! Follows Conventional Commits 1.0.0 (<https://www.conventionalcommits.org/en/v1.0.0/>):
//! `type(scope)!: description`, an optional body, and footers; `BREAKING CHANGE:` and its
//! synonym `BREAKING-CHANGE:` mark a breaking change (spec items 8 to 16).
//!
//! Two shapes that GitHub produces are read as well:
//! - squash merges: the subject is the pull request title with ` (#12)` appended and the body
//!   lists the squashed commits as `* feat: …` bullets, so a breaking change inside a squash is
//!   not lost (<https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/configuring-pull-request-merges/configuring-commit-squashing-for-pull-requests>);
//! - reverts made by `git revert`: subject `Revert "<subject>"`, body
//!   `This reverts commit <sha>.`; a revert cancels the commit it reverts when both are in the
//!   range.

use std::collections::{HashMap, HashSet};

use serde::Serialize;

/// A commit as read from git.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RawCommit {
    /// The full SHA.
    pub sha: String,
    /// The author's name.
    pub author: String,
    /// The first line of the message.
    pub subject: String,
    /// The rest of the message (may be empty).
    pub body: String,
    /// The pull request whose merge commit (`Merge pull request #N from …`) brought this
    /// commit in, when it came through one.
    pub pr: Option<u64>,
}

/// A parsed conventional message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conventional {
    /// The type, lower-cased: `feat`, `fix`, `perf`, `docs`, …
    pub kind: String,
    /// The scope, e.g. `parser` in `feat(parser): …`.
    pub scope: Option<String>,
    /// The description after `: `, without a trailing ` (#12)`.
    pub description: String,
    /// `!` before the colon, or a breaking-change footer.
    pub breaking: bool,
    /// The text of a `BREAKING CHANGE:` footer, when there is one.
    pub breaking_note: Option<String>,
    /// The pull request number of a squash-merge subject (`… (#12)`).
    pub pr: Option<u64>,
}

/// Parses one commit message (subject and body).
///
/// ```
/// use slipway::release::commits::parse;
/// let c = parse("feat(api)!: drop v1 (#12)", "").unwrap();
/// assert_eq!((c.kind.as_str(), c.scope.as_deref(), c.breaking, c.pr), ("feat", Some("api"), true, Some(12)));
/// assert!(parse("update readme", "").is_none());
/// ```
pub fn parse(subject: &str, body: &str) -> Option<Conventional> {
    let subject = subject.trim();
    let (head, description) = subject.split_once(':')?;
    // The description must follow `: ` (spec item 1 and 5).
    let description = description.strip_prefix(' ')?.trim();
    if description.is_empty() {
        return None;
    }
    let (head, bang) = match head.strip_suffix('!') {
        Some(h) => (h, true),
        None => (head, false),
    };
    let (kind, scope) = match head.split_once('(') {
        Some((k, rest)) => {
            let scope = rest.strip_suffix(')')?.trim();
            if scope.is_empty() || scope.contains(['(', ')']) {
                return None;
            }
            (k, Some(scope.to_owned()))
        }
        None => (head, None),
    };
    if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return None;
    }
    let (description, pr) = split_pr(description);
    let breaking_note = breaking_footer(body);
    Some(Conventional {
        kind: kind.to_ascii_lowercase(),
        scope,
        description: description.to_owned(),
        breaking: bang || breaking_note.is_some(),
        breaking_note,
        pr,
    })
}

/// Splits a trailing ` (#12)` off a squash-merge title.
fn split_pr(description: &str) -> (&str, Option<u64>) {
    if let Some(rest) = description.strip_suffix(')')
        && let Some((text, number)) = rest.rsplit_once(" (#")
        && let Ok(n) = number.parse::<u64>()
    {
        return (text.trim_end(), Some(n));
    }
    (description, None)
}

/// The text of a `BREAKING CHANGE:` / `BREAKING-CHANGE:` footer, up to the next footer or the
/// end of the body (spec items 12 and 16). A footer starts its line: `* BREAKING CHANGE:` in a
/// squash body belongs to a squashed commit, which counts only with `release.squash-bodies`.
fn breaking_footer(body: &str) -> Option<String> {
    let mut lines = body.lines().peekable();
    while let Some(line) = lines.next() {
        let rest = line
            .strip_prefix("BREAKING CHANGE:")
            .or_else(|| line.strip_prefix("BREAKING-CHANGE:"));
        if let Some(rest) = rest {
            let mut note = rest.trim().to_owned();
            while let Some(next) = lines.peek() {
                if next.trim().is_empty() || is_footer(next) {
                    break;
                }
                note.push(' ');
                note.push_str(next.trim());
                lines.next();
            }
            return Some(note);
        }
    }
    None
}

/// `Token: value` or `Token #value` with a token of word characters and `-` (spec item 9).
fn is_footer(line: &str) -> bool {
    let token_end = line.find(": ").or_else(|| line.find(" #"));
    token_end.is_some_and(|i| {
        let token = &line[..i];
        !token.is_empty() && token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    })
}

/// The conventional messages of `* feat: …` bullets in a squash-merge body.
fn bullets(body: &str) -> Vec<(Conventional, String)> {
    let mut out = Vec::new();
    let mut current: Option<(String, String)> = None;
    let flush = |current: &mut Option<(String, String)>, out: &mut Vec<(Conventional, String)>| {
        if let Some((subject, body)) = current.take()
            && let Some(c) = parse(&subject, &body)
        {
            out.push((c, subject));
        }
    };
    for line in body.lines() {
        if let Some(subject) = line.strip_prefix("* ").or_else(|| line.strip_prefix("- ")) {
            flush(&mut current, &mut out);
            current = Some((subject.trim().to_owned(), String::new()));
        } else if let Some((_, body)) = current.as_mut() {
            body.push_str(line.trim());
            body.push('\n');
        }
    }
    flush(&mut current, &mut out);
    out
}

/// The bullets of a squash body read as commits, when the rules say so.
fn squashed(body: &str, rules: &Rules) -> Vec<(Conventional, String)> {
    if rules.squash_bodies {
        bullets(body)
    } else {
        Vec::new()
    }
}

/// The SHA a `git revert` commit reverts: `This reverts commit <sha>.`
fn reverted_sha(body: &str) -> Option<String> {
    body.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("This reverts commit ")?;
        let sha: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
        (sha.len() >= 7).then_some(sha)
    })
}

/// A `release.patch-types` entry: a type, optionally with one scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRule {
    /// The type, lower-case.
    pub kind: String,
    /// The scope, when the rule names one.
    pub scope: Option<String>,
}

impl TypeRule {
    /// Parses `fix` or `chore(deps)`; `None` for anything else.
    ///
    /// ```
    /// use slipway::release::commits::TypeRule;
    /// let r = TypeRule::parse("chore(deps)").unwrap();
    /// assert_eq!((r.kind.as_str(), r.scope.as_deref()), ("chore", Some("deps")));
    /// assert!(TypeRule::parse("Fix: x").is_none());
    /// ```
    pub fn parse(text: &str) -> Option<Self> {
        let word = |w: &str| {
            !w.is_empty()
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        let (kind, scope) = match text.split_once('(') {
            Some((k, rest)) => (k, Some(rest.strip_suffix(')')?)),
            None => (text, None),
        };
        (word(kind) && scope.is_none_or(|s| !s.is_empty() && !s.contains(['(', ')']))).then(|| {
            Self {
                kind: kind.to_owned(),
                scope: scope.map(str::to_owned),
            }
        })
    }

    fn matches(&self, c: &Conventional) -> bool {
        self.kind == c.kind
            && self.scope.as_ref().is_none_or(|s| {
                c.scope
                    .as_deref()
                    .is_some_and(|cs| cs.eq_ignore_ascii_case(s))
            })
    }
}

/// The rules that turn commits into a version step (`release.squash-bodies`,
/// `release.patch-types`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    /// Read `* feat: …` bullets of a body as commits.
    pub squash_bodies: bool,
    /// Types that release a patch.
    pub patch_types: Vec<TypeRule>,
}

impl Default for Rules {
    fn default() -> Self {
        Self {
            squash_bodies: false,
            patch_types: crate::config::DEFAULT_PATCH_TYPES
                .iter()
                .filter_map(|t| TypeRule::parse(t))
                .collect(),
        }
    }
}

impl Rules {
    /// The rules of a `release` section (entries that do not parse were refused on load).
    pub fn from_config(release: &crate::config::Release) -> Self {
        Self {
            squash_bodies: release.squash_bodies,
            patch_types: release
                .patch_types
                .iter()
                .filter_map(|t| TypeRule::parse(&t.value))
                .collect(),
        }
    }

    /// The level of one conventional message.
    pub fn level(&self, c: &Conventional) -> Level {
        if c.breaking {
            Level::Major
        } else if c.kind == "feat" {
            Level::Minor
        } else if self.patch_types.iter().any(|r| r.matches(c)) {
            Level::Patch
        } else {
            Level::None
        }
    }
}

/// How much a change moves the version (before the pre-1.0 policy).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// No release.
    None,
    /// `fix`, `perf`, or a revert of a released commit.
    Patch,
    /// `feat`.
    Minor,
    /// `!` or a breaking-change footer.
    Major,
}

/// One changelog entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The type (`feat`), or `other` for a commit that is not conventional, or `revert`.
    pub kind: String,
    /// The scope, if any.
    pub scope: Option<String>,
    /// What changed.
    pub description: String,
    /// A breaking change.
    pub breaking: bool,
    /// The breaking-change footer, if any.
    pub breaking_note: Option<String>,
    /// The pull request, when known.
    pub pr: Option<u64>,
    /// The commit.
    pub sha: String,
    /// The author's name.
    pub author: String,
    /// What it does to the version.
    pub level: Level,
}

impl Change {
    fn new(c: Conventional, commit: &RawCommit, rules: &Rules) -> Self {
        let level = rules.level(&c);
        Self {
            kind: c.kind,
            scope: c.scope,
            description: c.description,
            breaking: c.breaking,
            breaking_note: c.breaking_note,
            pr: c.pr.or(commit.pr),
            sha: commit.sha.clone(),
            author: commit.author.clone(),
            level,
        }
    }
}

/// What a range of commits amounts to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Analysis {
    /// The changes, oldest first; squash merges may give several.
    pub changes: Vec<Change>,
    /// Commits read.
    pub commits: usize,
    /// Commits that do not move the version: not conventional, a type that releases nothing,
    /// or cancelled by a revert in the range.
    pub skipped: usize,
}

impl Analysis {
    /// The largest level of any change.
    pub fn level(&self) -> Level {
        self.changes
            .iter()
            .map(|c| c.level)
            .max()
            .unwrap_or(Level::None)
    }
}

/// Reads `commits` (oldest first) into changes.
///
/// A revert whose target is in the range cancels both; a revert of a revert brings the
/// original back. A revert of a commit released earlier is a patch-level `revert` change.
///
/// ```
/// use slipway::release::commits::{analyze, Level, RawCommit};
/// let c = |sha: &str, subject: &str, body: &str| RawCommit { sha: sha.into(), author: "a".into(), subject: subject.into(), body: body.into(), pr: None };
/// let a = analyze(&[
///     c("aaaaaaa1", "feat: x", ""),
///     c("bbbbbbb2", "fix: y", ""),
///     c("ccccccc3", "Revert \"feat: x\"", "This reverts commit aaaaaaa1."),
/// ]);
/// assert_eq!((a.level(), a.commits, a.skipped), (Level::Patch, 3, 2));
/// ```
pub fn analyze(commits: &[RawCommit]) -> Analysis {
    analyze_with(commits, &Rules::default())
}

/// [`analyze`] with explicit [`Rules`].
pub fn analyze_with(commits: &[RawCommit], rules: &Rules) -> Analysis {
    // Which commit each revert cancels, resolved oldest first.
    let index: HashMap<&str, usize> = commits
        .iter()
        .enumerate()
        .map(|(i, c)| (c.sha.as_str(), i))
        .collect();
    let find = |sha: &str| -> Option<usize> {
        index.get(sha).copied().or_else(|| {
            commits
                .iter()
                .position(|c| c.sha.starts_with(sha) || sha.starts_with(c.sha.as_str()))
        })
    };
    let mut cancelled: HashSet<usize> = HashSet::new();
    // revert index -> the index it cancelled.
    let mut cancels: HashMap<usize, usize> = HashMap::new();
    let mut outside_reverts: HashSet<usize> = HashSet::new();
    for (i, commit) in commits.iter().enumerate() {
        if !commit.subject.starts_with("Revert \"") {
            continue;
        }
        let Some(target) = reverted_sha(&commit.body) else {
            continue;
        };
        match find(&target) {
            Some(t) if t < i => {
                if cancelled.remove(&t) {
                    // Reverting a revert: the revert was cancelled already; bring its target
                    // back and cancel this one.
                    if let Some(original) = cancels.remove(&t) {
                        cancelled.remove(&original);
                    }
                    cancelled.insert(i);
                } else {
                    cancelled.insert(t);
                    cancelled.insert(i);
                    cancels.insert(i, t);
                }
            }
            _ => {
                outside_reverts.insert(i);
            }
        }
    }
    let mut analysis = Analysis {
        commits: commits.len(),
        ..Analysis::default()
    };
    for (i, commit) in commits.iter().enumerate() {
        if cancelled.contains(&i) {
            analysis.skipped += 1;
            continue;
        }
        let mut found = Vec::new();
        if outside_reverts.contains(&i) {
            let what = commit
                .subject
                .strip_prefix("Revert \"")
                .and_then(|s| s.strip_suffix('"'))
                .unwrap_or(&commit.subject);
            found.push(Change {
                kind: "revert".to_owned(),
                scope: None,
                description: format!("revert \"{what}\""),
                breaking: false,
                breaking_note: None,
                pr: None,
                sha: commit.sha.clone(),
                author: commit.author.clone(),
                level: Level::Patch,
            });
        } else if let Some(c) = parse(&commit.subject, &commit.body) {
            let pr = c.pr;
            let title = c.description.clone();
            found.push(Change::new(c, commit, rules));
            for (mut inner, _) in squashed(&commit.body, rules) {
                if inner.description == title && !inner.breaking {
                    continue;
                }
                inner.pr = inner.pr.or(pr);
                found.push(Change::new(inner, commit, rules));
            }
        } else {
            // A plain squash title (`Update deps (#3)`) with conventional bullets.
            for (mut inner, _) in squashed(&commit.body, rules) {
                inner.pr = inner.pr.or_else(|| split_pr(&commit.subject).1);
                found.push(Change::new(inner, commit, rules));
            }
            if found.is_empty() {
                let (description, pr) = split_pr(commit.subject.trim());
                // A breaking-change footer says what it says even under a header that is not
                // conventional (`v9 (#639)`): a breaking change is never lost.
                let breaking_note = breaking_footer(&commit.body);
                found.push(Change {
                    kind: "other".to_owned(),
                    scope: None,
                    description: description.to_owned(),
                    breaking: breaking_note.is_some(),
                    level: if breaking_note.is_some() {
                        Level::Major
                    } else {
                        Level::None
                    },
                    breaking_note,
                    pr,
                    sha: commit.sha.clone(),
                    author: commit.author.clone(),
                });
            }
        }
        if found.iter().all(|c| c.level == Level::None) {
            analysis.skipped += 1;
        }
        analysis.changes.extend(found);
    }
    analysis
}

#[cfg(test)]
mod tests {
    use super::*;

    fn commit(sha: &str, subject: &str, body: &str) -> RawCommit {
        RawCommit {
            sha: sha.to_owned(),
            author: "Ada".to_owned(),
            subject: subject.to_owned(),
            body: body.to_owned(),
            pr: None,
        }
    }

    #[test]
    fn a_commit_brought_in_by_a_pull_request_merge_links_that_pull_request() {
        let mut c = commit("a1", "feat: search", "");
        c.pr = Some(31);
        let a = analyze(&[c]);
        assert_eq!(a.changes[0].pr, Some(31));
        // A squash title's own number wins over the merge's.
        let mut c = commit("a2", "fix: typo (#40)", "");
        c.pr = Some(31);
        assert_eq!(analyze(&[c]).changes[0].pr, Some(40));
    }

    #[test]
    fn a_type_scope_and_description_are_read() {
        let c = parse("fix(parser): handle tabs", "").unwrap();
        assert_eq!(c.kind, "fix");
        assert_eq!(c.scope.as_deref(), Some("parser"));
        assert_eq!(c.description, "handle tabs");
        assert!(!c.breaking);
    }

    #[test]
    fn a_bang_marks_a_breaking_change_with_or_without_scope() {
        assert!(parse("feat!: x", "").unwrap().breaking);
        assert!(parse("refactor(core)!: x", "").unwrap().breaking);
    }

    #[test]
    fn both_breaking_change_footers_are_read_with_their_text() {
        let c = parse(
            "feat: x",
            "Some body.\n\nBREAKING CHANGE: config moved\nto toml\nRefs: #1",
        )
        .unwrap();
        assert_eq!(c.breaking_note.as_deref(), Some("config moved to toml"));
        let c = parse("fix: y", "BREAKING-CHANGE: gone").unwrap();
        assert!(c.breaking);
    }

    #[test]
    fn a_lower_case_breaking_change_is_not_a_footer() {
        assert!(!parse("fix: y", "breaking change: maybe").unwrap().breaking);
    }

    #[test]
    fn messages_that_are_not_conventional_are_refused() {
        for s in [
            "update readme",
            "feat:x",
            "feat: ",
            "feat(): x",
            "Merge branch 'main'",
            "fe at: x",
        ] {
            assert!(parse(s, "").is_none(), "{s}");
        }
    }

    #[test]
    fn a_squash_title_gives_the_pull_request_number() {
        let c = parse("feat: add search (#12)", "").unwrap();
        assert_eq!((c.description.as_str(), c.pr), ("add search", Some(12)));
    }

    fn squash_rules() -> Rules {
        Rules {
            squash_bodies: true,
            ..Rules::default()
        }
    }

    #[test]
    fn bullets_of_a_squash_body_are_not_commits_by_default() {
        let squash = [commit(
            "a1b2c3d4",
            "feat: new api (#7)",
            "* feat: new api\n\n* refactor!: drop the old endpoints\n\n* fix: typo",
        )];
        let a = analyze(&squash);
        assert_eq!(a.level(), Level::Minor);
        assert_eq!(a.changes.len(), 1);
        let plain = [commit("a1b2c3d4", "Big update (#9)", "* fix: x\n")];
        assert_eq!(analyze(&plain).level(), Level::None);
    }

    #[test]
    fn with_squash_bodies_a_breaking_bullet_makes_the_release_major() {
        let a = analyze_with(
            &[commit(
                "a1b2c3d4",
                "feat: new api (#7)",
                "* feat: new api\n\n* refactor!: drop the old endpoints\n\n* fix: typo",
            )],
            &squash_rules(),
        );
        assert_eq!(a.level(), Level::Major);
        assert_eq!(a.changes.len(), 3);
        assert!(a.changes.iter().all(|c| c.pr == Some(7)));
    }

    #[test]
    fn with_squash_bodies_a_breaking_footer_in_a_bullet_is_read() {
        let squash = [commit(
            "a1b2c3d4",
            "Big update (#9)",
            "* fix: x\n  BREAKING CHANGE: y removed\n",
        )];
        let a = analyze_with(&squash, &squash_rules());
        assert_eq!(a.level(), Level::Major);
        assert_eq!(a.changes[0].pr, Some(9));
        // Without it, an indented footer of a bullet is no footer of the commit.
        assert_eq!(analyze(&squash).level(), Level::None);
    }

    #[test]
    fn a_footer_or_a_bang_makes_any_type_major() {
        for (subject, body) in [
            ("chore!: drop node 14", ""),
            ("build(deps): bump x", "BREAKING CHANGE: node 18 is needed"),
            ("refactor: y", "Some text.\n\nBREAKING-CHANGE: z is gone"),
        ] {
            assert_eq!(
                analyze(&[commit("1", subject, body)]).level(),
                Level::Major,
                "{subject}"
            );
        }
        // A footer starts its line.
        let quoted = commit("1", "docs: y", "See the > BREAKING CHANGE: notes");
        assert_eq!(analyze(&[quoted]).level(), Level::None);
    }

    #[test]
    fn a_breaking_footer_under_a_plain_header_is_major() {
        let a = analyze(&[commit(
            "1",
            "v9 (#639)",
            "BREAKING CHANGE: now a native ES Module\n\nBREAKING CHANGE: Node 14 is no longer supported",
        )]);
        assert_eq!(a.level(), Level::Major);
        assert_eq!(a.changes[0].pr, Some(639));
        assert_eq!(a.skipped, 0);
    }

    #[test]
    fn dependency_updates_follow_the_patch_types() {
        let deps = |subject: &str| analyze(&[commit("1", subject, "")]).level();
        // release-please and semantic-release: a `fix(deps)` is a patch, the others nothing.
        assert_eq!(deps("fix(deps): update dependency x to v2"), Level::Patch);
        assert_eq!(deps("chore(deps): update dependency x to v2"), Level::None);
        assert_eq!(deps("build(deps): bump x from 1 to 2"), Level::None);
        assert_eq!(deps("revert: undo x"), Level::Patch);
        let rules = Rules {
            patch_types: ["fix", "chore(deps)", "build(deps)"]
                .iter()
                .filter_map(|t| TypeRule::parse(t))
                .collect(),
            ..Rules::default()
        };
        let with = |subject: &str| analyze_with(&[commit("1", subject, "")], &rules).level();
        assert_eq!(with("chore(deps): update dependency x to v2"), Level::Patch);
        assert_eq!(with("build(deps): bump x"), Level::Patch);
        assert_eq!(with("chore(ci): x"), Level::None);
        assert_eq!(with("perf: faster"), Level::None);
        assert_eq!(with("feat(deps): x"), Level::Minor);
    }

    #[test]
    fn a_revert_cancels_the_commit_it_reverts() {
        let a = analyze(&[
            commit("1111111aaaa", "feat!: x", ""),
            commit(
                "2222222bbbb",
                "Revert \"feat!: x\"",
                "This reverts commit 1111111aaaa.",
            ),
        ]);
        assert_eq!(a.level(), Level::None);
        assert_eq!((a.commits, a.skipped), (2, 2));
        assert!(a.changes.is_empty());
    }

    #[test]
    fn reverting_a_revert_brings_the_original_back() {
        let a = analyze(&[
            commit("1111111aaaa", "feat: x", ""),
            commit(
                "2222222bbbb",
                "Revert \"feat: x\"",
                "This reverts commit 1111111aaaa.",
            ),
            commit(
                "3333333cccc",
                "Revert \"Revert \"feat: x\"\"",
                "This reverts commit 2222222bbbb.",
            ),
        ]);
        assert_eq!(a.level(), Level::Minor);
        assert_eq!(a.skipped, 2);
    }

    #[test]
    fn a_revert_of_a_released_commit_is_a_patch() {
        let a = analyze(&[commit(
            "2222222bbbb",
            "Revert \"feat: x\"",
            "This reverts commit 9999999ffff.",
        )]);
        assert_eq!(a.level(), Level::Patch);
        assert_eq!(a.changes[0].kind, "revert");
    }

    #[test]
    fn chores_and_plain_commits_are_skipped() {
        let a = analyze(&[
            commit("1", "chore: deps", ""),
            commit("2", "tidy", ""),
            commit("3", "fix: y", ""),
        ]);
        assert_eq!((a.level(), a.commits, a.skipped), (Level::Patch, 3, 2));
        assert_eq!(a.changes[1].kind, "other");
    }
}
