//! The changelog: one section per release, rendered from an embedded minijinja template and
//! prepended to `CHANGELOG.md`; the same text is the GitHub release body.
//!
//! Sections follow the Conventional Commits types (<https://www.conventionalcommits.org/en/v1.0.0/>):
//! breaking changes first, then features, bug fixes, performance, reverts and, when
//! `release.include-other-commits` is on, everything else. The layout follows Keep a Changelog
//! (<https://keepachangelog.com/en/1.1.0/>): newest release on top, one `##` heading per
//! version. Links use GitHub's commit, pull and compare URLs when the remote is on GitHub
//! (<https://docs.github.com/en/pull-requests/committing-changes-to-your-project/viewing-and-comparing-commits/comparing-commits>).

use std::collections::BTreeSet;

use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use super::commits::{Change, Level};

/// The default template.
pub const TEMPLATE: &str = include_str!("changelog.md.j2");

/// The heading a new `CHANGELOG.md` starts with.
pub const HEADING: &str = "# Changelog\n";

/// What the changelog of one release is made from.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// The new version, e.g. `1.3.0`.
    pub version: String,
    /// The new tag, e.g. `v1.3.0`.
    pub tag: String,
    /// The previous tag, if any.
    pub previous_tag: Option<String>,
    /// The release date, `YYYY-MM-DD`.
    pub date: String,
    /// `owner/name` when the remote is on GitHub.
    pub github: Option<String>,
    /// The changes, oldest first.
    pub changes: &'a [Change],
    /// List commits of other types under "Other".
    pub include_other: bool,
}

/// The template context.
#[derive(Debug, Serialize)]
struct Context {
    /// The new version.
    version: String,
    /// The release date.
    date: String,
    /// `https://github.com/o/r/compare/v1.2.3...v1.3.0`, when known.
    compare_url: Option<String>,
    /// Non-empty sections in display order.
    sections: Vec<Section>,
    /// Authors, sorted.
    contributors: Vec<String>,
}

/// One `###` section.
#[derive(Debug, Serialize)]
struct Section {
    /// The heading.
    title: &'static str,
    /// Entries, oldest first.
    entries: Vec<Entry>,
}

/// One line of the changelog.
#[derive(Debug, Serialize)]
struct Entry {
    /// The scope, if any.
    scope: Option<String>,
    /// What changed.
    description: String,
    /// The breaking-change footer text.
    breaking_note: Option<String>,
    /// The first 7 characters of the SHA.
    short_sha: String,
    /// The commit page, on GitHub.
    commit_url: Option<String>,
    /// The pull request number.
    pr: Option<u64>,
    /// The pull request page, on GitHub.
    pr_url: Option<String>,
}

/// The changelog could not be rendered.
#[derive(Debug, thiserror::Error)]
#[error("rendering the changelog template")]
pub struct RenderError(#[source] pub minijinja::Error);

/// Renders the section of one release (Markdown, ending with a newline).
pub fn render(input: &Input<'_>) -> Result<String, RenderError> {
    let base = input
        .github
        .as_ref()
        .map(|slug| format!("https://github.com/{slug}"));
    let entry = |c: &Change| Entry {
        scope: c.scope.clone(),
        description: c.description.clone(),
        breaking_note: c.breaking_note.clone(),
        short_sha: c.sha.chars().take(7).collect(),
        commit_url: base.as_ref().map(|b| format!("{b}/commit/{}", c.sha)),
        pr: c.pr,
        pr_url: base
            .as_ref()
            .and_then(|b| c.pr.map(|n| format!("{b}/pull/{n}"))),
    };
    let pick = |title: &'static str, keep: &dyn Fn(&Change) -> bool| Section {
        title,
        entries: input
            .changes
            .iter()
            .filter(|c| keep(c))
            .map(entry)
            .collect(),
    };
    let known = ["feat", "fix", "perf", "revert"];
    let mut sections = vec![
        pick("Breaking changes", &|c| c.breaking),
        pick("Features", &|c| !c.breaking && c.kind == "feat"),
        pick("Bug fixes", &|c| !c.breaking && c.kind == "fix"),
        pick("Performance", &|c| !c.breaking && c.kind == "perf"),
        pick("Reverts", &|c| !c.breaking && c.kind == "revert"),
        // Types added to `release.patch-types`, e.g. `chore(deps)`.
        pick("Maintenance", &|c| {
            !c.breaking && !known.contains(&c.kind.as_str()) && c.level != Level::None
        }),
    ];
    if input.include_other {
        sections.push(pick("Other", &|c| {
            !c.breaking && !known.contains(&c.kind.as_str()) && c.level == Level::None
        }));
    }
    sections.retain(|s| !s.entries.is_empty());
    let listed = |c: &Change| {
        c.breaking
            || known.contains(&c.kind.as_str())
            || c.level != Level::None
            || input.include_other
    };
    let contributors: BTreeSet<String> = input
        .changes
        .iter()
        .filter(|c| listed(c))
        .map(|c| c.author.clone())
        .filter(|a| !a.is_empty())
        .collect();
    let context = Context {
        version: input.version.clone(),
        date: input.date.clone(),
        compare_url: match (&base, &input.previous_tag) {
            (Some(b), Some(prev)) => Some(format!("{b}/compare/{prev}...{}", input.tag)),
            _ => None,
        },
        sections,
        contributors: contributors.into_iter().collect(),
    };
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    let syntax = minijinja::syntax::SyntaxConfig::builder()
        .trim_blocks(true)
        .build()
        .map_err(RenderError)?;
    env.set_syntax(syntax);
    env.add_template("changelog.md.j2", TEMPLATE)
        .map_err(RenderError)?;
    let text = env
        .get_template("changelog.md.j2")
        .and_then(|t| t.render(minijinja::value::Serde(&context)))
        .map_err(RenderError)?;
    let mut text = text.trim_end().to_owned();
    text.push('\n');
    Ok(text)
}

/// The new `CHANGELOG.md`: `section` on top of what `existing` holds, under its `# ` heading.
///
/// ```
/// use slipway::release::changelog::prepend;
/// let old = "# Changelog\n\n## 1.0.0\n\n- first\n";
/// assert_eq!(prepend(Some(old), "## 1.1.0\n\n- second\n"), "# Changelog\n\n## 1.1.0\n\n- second\n\n## 1.0.0\n\n- first\n");
/// assert_eq!(prepend(None, "## 0.1.0\n"), "# Changelog\n\n## 0.1.0\n");
/// ```
pub fn prepend(existing: Option<&str>, section: &str) -> String {
    let existing = existing.unwrap_or("").trim_start_matches('\u{feff}');
    // Keep a title and any intro text above the first release heading.
    let (head, rest) = match existing.find("\n## ") {
        Some(i) if existing.starts_with("# ") => (&existing[..=i], &existing[i + 1..]),
        _ if existing.starts_with("## ") || existing.trim().is_empty() => (HEADING, existing),
        _ if existing.starts_with("# ") => (existing, ""),
        _ => (HEADING, existing),
    };
    let mut out = head.trim_end().to_owned();
    out.push_str("\n\n");
    out.push_str(section.trim_end());
    out.push('\n');
    if !rest.trim().is_empty() {
        out.push('\n');
        out.push_str(rest.trim_start());
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// The section of `version` in a changelog `prepend` wrote: from its `## ` heading (`## 1.3.0`
/// or `## [1.3.0](…)`) to the next `## ` heading.
///
/// ```
/// use slipway::release::changelog::section;
/// let text = "# Changelog\n\n## [1.3.0](https://x) (2025-01-02)\n\n- a\n\n## 1.2.0\n\n- b\n";
/// assert_eq!(section(text, "1.3.0").unwrap(), "## [1.3.0](https://x) (2025-01-02)\n\n- a\n");
/// assert!(section(text, "1.1.0").is_none());
/// ```
pub fn section(text: &str, version: &str) -> Option<String> {
    let mut lines = text.lines();
    let mut out = String::new();
    for line in lines.by_ref() {
        let Some(rest) = line.strip_prefix("## ") else {
            continue;
        };
        let named = rest.trim_start_matches('[');
        if named
            .strip_prefix(version)
            .is_some_and(|tail| tail.is_empty() || tail.starts_with([']', ' ']))
        {
            out.push_str(line);
            out.push('\n');
            break;
        }
    }
    if out.is_empty() {
        return None;
    }
    for line in lines {
        if line.starts_with("## ") {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    Some(format!("{}\n", out.trim_end()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(kind: &str, scope: Option<&str>, description: &str, breaking: bool) -> Change {
        Change {
            kind: kind.to_owned(),
            scope: scope.map(str::to_owned),
            description: description.to_owned(),
            breaking,
            breaking_note: breaking.then(|| "the old flag is gone".to_owned()),
            pr: Some(12),
            sha: format!("{:0<40}", description.len()),
            author: "Ada".to_owned(),
            level: match (breaking, kind) {
                (true, _) => Level::Major,
                (_, "feat") => Level::Minor,
                (_, "fix" | "perf" | "revert") => Level::Patch,
                _ => Level::None,
            },
        }
    }

    #[test]
    fn types_added_to_the_patch_types_are_listed_under_maintenance() {
        let mut deps = change("chore", Some("deps"), "update x to v2", false);
        deps.level = Level::Patch;
        let changes = [deps, change("chore", None, "tidy", false)];
        let text = render(&input(&changes, false, false)).unwrap();
        assert!(
            text.contains("### Maintenance\n\n- **deps:** update x to v2 (#12)"),
            "{text}"
        );
        assert!(!text.contains("tidy"), "{text}");
    }

    fn input(changes: &[Change], github: bool, include_other: bool) -> Input<'_> {
        Input {
            version: "1.3.0".into(),
            tag: "v1.3.0".into(),
            previous_tag: Some("v1.2.3".into()),
            date: "2025-01-02".into(),
            github: github.then(|| "octo/shop".to_owned()),
            changes,
            include_other,
        }
    }

    #[test]
    fn sections_come_in_order_with_breaking_changes_first_and_links() {
        let changes = [
            change("fix", None, "handle tabs", false),
            change("feat", Some("api"), "search", false),
            change("feat", None, "drop v1", true),
            change("perf", None, "faster", false),
            change("docs", None, "readme", false),
        ];
        let text = render(&input(&changes, true, false)).unwrap();
        insta::assert_snapshot!(text);
    }

    #[test]
    fn without_a_github_remote_there_are_no_links_and_other_is_listed_when_asked() {
        let changes = [
            change("fix", None, "handle tabs", false),
            change("other", None, "tidy up", false),
        ];
        let text = render(&input(&changes, false, true)).unwrap();
        assert!(!text.contains("https://"), "{text}");
        assert!(text.contains("### Other\n\n- tidy up (#12)"), "{text}");
        assert!(text.starts_with("## 1.3.0 (2025-01-02)\n"), "{text}");
    }

    #[test]
    fn prepending_keeps_the_title_and_intro() {
        let old = "# Changelog\n\nAll notable changes.\n\n## 1.0.0\n\n- first\n";
        assert_eq!(
            prepend(Some(old), "## 1.1.0\n"),
            "# Changelog\n\nAll notable changes.\n\n## 1.1.0\n\n## 1.0.0\n\n- first\n"
        );
    }

    #[test]
    fn prepending_to_a_file_without_a_title_adds_one() {
        assert_eq!(
            prepend(Some("some notes\n"), "## 1.1.0\n"),
            "# Changelog\n\n## 1.1.0\n\nsome notes\n"
        );
    }
}
