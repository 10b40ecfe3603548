//! The pull-request comment of a fork's pull request, posted by the `workflow_run` follow-up
//! of the quality workflow (`templates/workflows/quality-comment.yml.j2`).
//!
//! A pull request from a fork runs with a read-only token, so its quality run cannot comment.
//! It uploads the comment instead: an artifact holding `summary.md` and `pull-request` (the
//! number). The follow-up runs in the base repository with `pull-requests: write`, never checks
//! out or runs the fork's code, and treats the artifact as attacker-controlled data: both files
//! are size-capped, the number must be digits, and it must name a pull request the triggering
//! run built, by the run's `pull_requests` or else by the pull request's head SHA being the
//! run's head SHA (`pull_requests` is empty for runs from forks). See
//! <https://docs.github.com/en/actions/reference/workflows-and-actions/events-that-trigger-workflows#workflow_run>
//! and <https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/>.
//!
//! The summary is posted under this repository's token, so whatever the fork wrote in it is made
//! inert first ([`inert`]): no mention, team mention or issue reference that would notify
//! people or write into other issues' timelines, no raw HTML or HTML comment, no link or image,
//! no character entity that could spell any of those, no bidirectional control character.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::github::Client;

/// The artifact's file with the pull-request number.
pub const NUMBER_FILE: &str = "pull-request";
/// The most bytes of `summary.md` accepted: a comment holds 65536 characters.
pub const MAX_SUMMARY: u64 = 65_536;
/// The most bytes of the number file.
const MAX_NUMBER: u64 = 32;

/// Why the artifact's comment is refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file is missing or unreadable.
    #[error("cannot read `{}`: {message}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A file is larger than allowed.
    #[error("`{}` is {size} bytes, more than the {max} allowed", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Its size.
        size: u64,
        /// The cap.
        max: u64,
    },
    /// The number file does not hold a pull-request number.
    #[error("`{}` does not hold a pull-request number (digits only)", path.display())]
    BadNumber {
        /// The file.
        path: PathBuf,
    },
    /// The triggering run did not come from a pull request.
    #[error("workflow run {run} was triggered by `{event}`, not by a pull request")]
    NotPullRequest {
        /// The run id.
        run: u64,
        /// Its event.
        event: String,
    },
    /// The number names a pull request the run did not build.
    #[error(
        "the artifact names pull request #{number}, which workflow run {run} did not build (the run's head is `{run_sha}`, the pull request's `{pr_sha}`): refusing to comment"
    )]
    Forged {
        /// The number claimed.
        number: u64,
        /// The run id.
        run: u64,
        /// The run's head SHA.
        run_sha: String,
        /// The pull request's head SHA (empty when it does not exist).
        pr_sha: String,
    },
    /// The API failed.
    #[error(transparent)]
    Api(#[from] crate::github::client::Error),
}

impl crate::error::Hint for Error {
    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::Read { .. } | Self::TooLarge { .. } | Self::BadNumber { .. } => {
                "the artifact is written by the quality workflow's gate job (`quality-comment`); a changed or foreign artifact is not posted: re-run the pull request's quality workflow".into()
            }
            Self::NotPullRequest { .. } => {
                "the follow-up comments only on runs of `pull_request` events".into()
            }
            Self::Forged { .. } => {
                "the artifact is data from the pull request's run and was not trusted: nothing was posted".into()
            }
            Self::Api(e) => return e.hint(),
        })
    }
}

/// The comment read from an artifact directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The pull request it claims.
    pub number: u64,
    /// The comment body, made [`inert`].
    pub summary: String,
}

fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>, Error> {
    let read = |e: std::io::Error| Error::Read {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    // Not a symlink out of the directory: the artifact's own files only.
    let meta = std::fs::symlink_metadata(path).map_err(read)?;
    if !meta.is_file() {
        return Err(Error::Read {
            path: path.to_path_buf(),
            message: "not a regular file".into(),
        });
    }
    if meta.len() > max {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
            max,
        });
    }
    let bytes = std::fs::read(path).map_err(read)?;
    if bytes.len() as u64 > max {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            size: bytes.len() as u64,
            max,
        });
    }
    Ok(bytes)
}

/// Reads and checks the artifact's files in `dir`.
pub fn read(dir: &Path) -> Result<Artifact, Error> {
    let number_path = dir.join(NUMBER_FILE);
    let raw = read_capped(&number_path, MAX_NUMBER)?;
    let text = std::str::from_utf8(&raw).unwrap_or("").trim();
    let number = (!text.is_empty() && text.len() <= 10 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse::<u64>().ok())
        .flatten()
        .filter(|n| *n > 0)
        .ok_or(Error::BadNumber {
            path: number_path.clone(),
        })?;
    let summary_path = dir.join(super::SUMMARY_FILE);
    let bytes = read_capped(&summary_path, MAX_SUMMARY)?;
    let summary = String::from_utf8(bytes).map_err(|_| Error::Read {
        path: summary_path,
        message: "not UTF-8".into(),
    })?;
    Ok(Artifact {
        number,
        summary: inert(&summary),
    })
}

/// A zero-width space: invisible, and it splits what GitHub's Markdown would otherwise read as
/// a mention, a reference, a tag, an entity or a link, in text and in code alike.
const BREAK: char = '\u{200B}';

/// `text` with everything that would act, rather than show, on GitHub made plain text:
/// - `@name` and `@org/team` (a notification to that person or team): a break after `@`;
/// - `#12`, `GH-12` and `owner/repo#12` (a cross-reference in that issue's timeline): a break
///   before the number;
/// - `<tag …>`, `<!-- … -->` and `<https://…>` (HTML, hidden text, autolinks): a break after
///   `<`, except the bare `<br>` that table cells use for line breaks;
/// - `&#64;`, `&lt;` … (an entity spelling any of the above): a break after `&`;
/// - `[text](url)`, `![alt](url)`, `[text][ref]`, `[ref]: url`: a break after `]`;
///   `https://…` and `www.` (bare autolinks): a break inside them;
/// - bidirectional controls (U+202A–U+202E, U+2066–U+2069), which can make text read other
///   than it is: replaced by U+FFFD.
///
/// The break is invisible, so the comment reads as it was written. Code spans get the same
/// treatment: telling them apart would mean parsing Markdown exactly as GitHub does (tables,
/// escapes, paragraphs), and a mistake there would let a mention through.
///
/// ```
/// use slipway::quality::artifact::inert;
/// assert_eq!(inert("@octocat see #12"), "@\u{200B}octocat see #\u{200B}12");
/// assert_eq!(inert("a<br>b <img src=x>"), "a<br>b <\u{200B}img src=x>");
/// ```
pub fn inert(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let rest = &text[i + c.len_utf8()..];
        match c {
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => {
                out.push('\u{FFFD}');
                continue;
            }
            '<' if rest.starts_with("br>") => out.push(c),
            '@' | '<' | '&' => {
                out.push(c);
                out.push(BREAK);
            }
            '#' | '-' if next.is_some_and(|n| n.is_ascii_digit()) && reference(&text[..i], c) => {
                out.push(c);
                out.push(BREAK);
            }
            ']' if matches!(next, Some('(' | '[' | ':')) => {
                out.push(c);
                out.push(BREAK);
            }
            ':' if rest.starts_with("//") => {
                out.push(c);
                out.push(BREAK);
            }
            '.' if ends_with_ignore_case(&text[..i], "www") => {
                out.push(BREAK);
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Whether `c` (`#` or `-`), followed by a digit after `before`, starts an issue reference:
/// any `#` (`#12`, `owner/repo#12`), or the `-` of `GH-12`.
fn reference(before: &str, c: char) -> bool {
    c == '#' || ends_with_ignore_case(before, "gh")
}

fn ends_with_ignore_case(text: &str, suffix: &str) -> bool {
    text.len() >= suffix.len()
        && text.as_bytes()[text.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
}

#[derive(Debug, Deserialize)]
struct Run {
    event: String,
    head_sha: String,
    #[serde(default)]
    pull_requests: Vec<RunPull>,
}

#[derive(Debug, Deserialize)]
struct RunPull {
    number: u64,
}

#[derive(Debug, Deserialize)]
struct Pull {
    head: Head,
}

#[derive(Debug, Deserialize)]
struct Head {
    sha: String,
}

/// Checks that workflow run `run` built pull request `number`.
pub async fn verify(client: &Client, run: u64, number: u64) -> Result<(), Error> {
    let repo = client.repo()?.to_string();
    let r: Run = client
        .get_json(&format!("/repos/{repo}/actions/runs/{run}"))
        .await?;
    if r.event != "pull_request" {
        return Err(Error::NotPullRequest {
            run,
            event: r.event,
        });
    }
    if r.pull_requests.iter().any(|p| p.number == number) {
        return Ok(());
    }
    let pr_sha = match client
        .get_json::<Pull>(&format!("/repos/{repo}/pulls/{number}"))
        .await
    {
        Ok(p) => p.head.sha,
        Err(crate::github::client::Error::NotFound { .. }) => String::new(),
        Err(e) => return Err(e.into()),
    };
    if !pr_sha.is_empty() && pr_sha == r.head_sha {
        return Ok(());
    }
    Err(Error::Forged {
        number,
        run,
        run_sha: r.head_sha,
        pr_sha,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text with its breaks shown, for readable assertions.
    fn shown(text: &str) -> String {
        inert(text).replace(BREAK, "|")
    }

    #[test]
    fn mentions_references_html_links_and_entities_become_plain_text() {
        let cases = [
            ("cc @octocat and @org/team", "cc @|octocat and @|org/team"),
            ("\\@escaped and `@in-code`", "\\@|escaped and `@|in-code`"),
            (
                "fixes #12, GH-7, gh-8, other/repo#9",
                "fixes #|12, GH-|7, gh-|8, other/repo#|9",
            ),
            ("## Quality gate\n#tag a-1", "## Quality gate\n#tag a-1"),
            (
                "<img src=https://x/t.png><!-- hidden --><a href=x>y</a>",
                "<|img src=https:|//x/t.png><|!-- hidden --><|a href=x>y<|/a>",
            ),
            ("a<br>b", "a<br>b"),
            ("&#64;octocat &lt;b&gt;", "&|#|64;octocat &|lt;b&|gt;"),
            (
                "[win](https://evil) ![px](x.png) [r][1]\n[1]: http://e",
                "[win]|(https:|//evil) ![px]|(x.png) [r]|[1]\n[1]|: http:|//e",
            ),
            (
                "visit www.evil.com or WWW.x.io",
                "visit www|.evil.com or WWW|.x.io",
            ),
            ("left\u{202E}right\u{2066}", "left\u{FFFD}right\u{FFFD}"),
        ];
        for (given, expected) in cases {
            assert_eq!(shown(given), expected, "{given:?}");
        }
    }

    #[test]
    fn the_summary_slipway_writes_reads_the_same() {
        let summary = "### Quality gate\n\n**✅ quality gate passed**: 3 tests, 3 passed, 0 failed, 0 skipped; line coverage 91.00%\n\n| subproject | job | Δ |\n| --- | --- | --- |\n| `api` | success | +0.50 |\n";
        assert_eq!(inert(summary), summary);
    }

    #[test]
    fn the_artifacts_summary_is_read_inert() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(NUMBER_FILE), "7\n").unwrap();
        std::fs::write(dir.path().join("summary.md"), "hi @admin\n").unwrap();
        assert_eq!(read(dir.path()).unwrap().summary, "hi @\u{200B}admin\n");
    }

    #[test]
    fn the_number_must_be_digits_and_the_files_small() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("summary.md"), "ok\n").unwrap();
        for bad in ["", "42; rm -rf /", "-1", "0", "4 2", "99999999999", "0x2a"] {
            std::fs::write(dir.path().join(NUMBER_FILE), bad).unwrap();
            assert!(
                matches!(read(dir.path()), Err(Error::BadNumber { .. })),
                "{bad:?}"
            );
        }
        std::fs::write(dir.path().join(NUMBER_FILE), "42\n").unwrap();
        assert_eq!(read(dir.path()).unwrap().number, 42);
        std::fs::write(
            dir.path().join("summary.md"),
            "x".repeat(MAX_SUMMARY as usize + 1),
        )
        .unwrap();
        assert!(matches!(read(dir.path()), Err(Error::TooLarge { .. })));
    }
}
