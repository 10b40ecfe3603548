//! The git side of a release, through the `git` command line (no libgit2): version tags, the
//! commits since the last release, shallow and dirty checks, the tag and the push.
//!
//! Commands used: `git tag --list --merged`, `git log`, `git rev-parse
//! --is-shallow-repository`, `git status --porcelain`, `git tag --annotate`, `git push`
//! (<https://git-scm.com/docs>). A shallow clone (`actions/checkout` fetches one commit by
//! default) has no history to read: it is detected and explained rather than misread
//! (<https://github.com/actions/checkout#fetch-all-history-for-all-tags-and-branches>).

use std::path::{Path, PathBuf};
use std::process::Command;

use semver::Version;

use super::commits::RawCommit;
use crate::error::Hint;

/// Field and record separators of our `git log` format (ASCII unit and record separators).
const FIELD: char = '\u{1f}';
const RECORD: char = '\u{1e}';

/// What reading or writing the repository can fail on.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `git` could not be started.
    #[error("could not run `git`")]
    Spawn(#[source] std::io::Error),
    /// The directory is not inside a git work tree.
    #[error("`{}` is not a git repository", dir.display())]
    NotARepository {
        /// The directory.
        dir: PathBuf,
    },
    /// The clone is shallow: tags and commits since the last release are missing.
    #[error("`{}` is a shallow clone: the history since the last release is not there", dir.display())]
    Shallow {
        /// The directory.
        dir: PathBuf,
    },
    /// Uncommitted changes to tracked files.
    #[error("the work tree has uncommitted changes: {files}")]
    Dirty {
        /// The changed files, comma-separated.
        files: String,
    },
    /// A git command failed.
    #[error("`git {args}` failed: {stderr}")]
    Failed {
        /// The arguments.
        args: String,
        /// What git said.
        stderr: String,
    },
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Spawn(_) => Some("install git and make sure it is on `PATH`".into()),
            Self::NotARepository { .. } => {
                Some("run slipway release at the root of a git checkout".into())
            }
            Self::Shallow { .. } => Some(
                "fetch the whole history: `fetch-depth: 0` on `actions/checkout`, or `git fetch --unshallow --tags`"
                    .into(),
            ),
            Self::Dirty { .. } => Some(
                "commit or stash the changes first; a release tags exactly what is committed".into(),
            ),
            Self::Failed { .. } => None,
        }
    }
}

/// A git repository on disk.
#[derive(Debug, Clone)]
pub struct Repo {
    dir: PathBuf,
}

/// A version tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// The tag, e.g. `v1.2.3`.
    pub name: String,
    /// Its version, e.g. `1.2.3`.
    pub version: Version,
}

/// The version tags of a repository.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags {
    /// Tags reachable from `HEAD`, highest version first.
    pub reachable: Vec<Tag>,
    /// Every version tag, for pre-release numbers and collisions.
    pub all: Vec<Tag>,
    /// Tags with the prefix whose rest is not semver (`v1.2`), ignored.
    pub ignored: Vec<String>,
}

impl Repo {
    /// Opens the repository at `dir`, refusing a directory outside git and a shallow clone.
    pub fn open(dir: &Path) -> Result<Self, Error> {
        let repo = Self {
            dir: dir.to_path_buf(),
        };
        match repo.git(&["rev-parse", "--is-inside-work-tree"]) {
            Ok(out) if out.trim() == "true" => {}
            Ok(_) | Err(Error::Failed { .. }) => {
                return Err(Error::NotARepository {
                    dir: dir.to_path_buf(),
                });
            }
            Err(e) => return Err(e),
        }
        if repo.git(&["rev-parse", "--is-shallow-repository"])?.trim() == "true" {
            return Err(Error::Shallow {
                dir: dir.to_path_buf(),
            });
        }
        Ok(repo)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new("git");
        cmd.arg("-C").arg(&self.dir).args(args);
        // NOTE: stable, untranslated output regardless of the user's settings.
        cmd.env("LC_ALL", "C").env("GIT_TERMINAL_PROMPT", "0");
        cmd
    }

    /// Runs git and returns stdout; a non-zero exit is [`Error::Failed`].
    fn git(&self, args: &[&str]) -> Result<String, Error> {
        let out = self.command(args).output().map_err(Error::Spawn)?;
        if !out.status.success() {
            return Err(Error::Failed {
                args: args.join(" "),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_owned(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// The version tags with `prefix` (`v`, `mytool-v`).
    pub fn tags(&self, prefix: &str) -> Result<Tags, Error> {
        let pattern = format!("{prefix}*");
        let parse = |list: &str, ignored: &mut Vec<String>| -> Vec<Tag> {
            let mut tags: Vec<Tag> = list
                .lines()
                .filter_map(|name| {
                    let rest = name.strip_prefix(prefix)?;
                    match Version::parse(rest) {
                        Ok(version) => Some(Tag {
                            name: name.to_owned(),
                            version,
                        }),
                        Err(_) => {
                            // Only tags that look like versions are worth a note.
                            if rest.starts_with(|c: char| c.is_ascii_digit()) {
                                ignored.push(name.to_owned());
                            }
                            None
                        }
                    }
                })
                .collect();
            tags.sort_by(|a, b| b.version.cmp(&a.version));
            tags
        };
        let mut ignored = Vec::new();
        let all = parse(&self.git(&["tag", "--list", &pattern])?, &mut ignored);
        let has_head = self
            .git(&["rev-parse", "--verify", "--quiet", "HEAD"])
            .is_ok();
        let reachable = if has_head {
            parse(
                &self.git(&["tag", "--list", &pattern, "--merged", "HEAD"])?,
                &mut Vec::new(),
            )
        } else {
            Vec::new()
        };
        Ok(Tags {
            reachable,
            all,
            ignored,
        })
    }

    /// The commits reachable from `HEAD` and not from `since`, oldest first: the first-parent
    /// line and the branches merged into it. Merge commits themselves carry no change and are
    /// left out.
    pub fn commits_since(&self, since: Option<&str>) -> Result<Vec<RawCommit>, Error> {
        if self
            .git(&["rev-parse", "--verify", "--quiet", "HEAD"])
            .is_err()
        {
            return Ok(Vec::new());
        }
        let format = format!("--format=%H{FIELD}%an{FIELD}%s{FIELD}%b{RECORD}");
        let range = match since {
            Some(tag) => format!("{tag}..HEAD"),
            None => "HEAD".to_owned(),
        };
        let out = self.git(&[
            "log",
            "--no-merges",
            "--topo-order",
            "--reverse",
            "--no-color",
            &format,
            &range,
            "--",
        ])?;
        let mut commits = parse_log(&out);
        let merged = self.pull_request_merges(&range)?;
        if !merged.is_empty() {
            for c in &mut commits {
                c.pr = merged.get(&c.sha).copied();
            }
        }
        Ok(commits)
    }

    /// For each `Merge pull request #N from …` merge commit on the first-parent line of
    /// `range`, the commits it brought in (`first-parent..second-parent`), mapped to `N`.
    /// GitHub writes that subject for the "create a merge commit" method
    /// (<https://docs.github.com/en/repositories/configuring-branches-and-merges-in-your-repository/configuring-pull-request-merges/about-merge-methods-on-github>).
    fn pull_request_merges(
        &self,
        range: &str,
    ) -> Result<std::collections::HashMap<String, u64>, Error> {
        let format = format!("--format=%P{FIELD}%s{RECORD}");
        let out = self.git(&[
            "log",
            "--merges",
            "--first-parent",
            "--no-color",
            &format,
            range,
            "--",
        ])?;
        let mut map = std::collections::HashMap::new();
        for record in out.split(RECORD) {
            let record = record.trim_start_matches('\n');
            let Some((parents, subject)) = record.split_once(FIELD) else {
                continue;
            };
            let Some(pr) = merge_pr_number(subject) else {
                continue;
            };
            let mut parents = parents.split_whitespace();
            let (Some(first), Some(second)) = (parents.next(), parents.next()) else {
                continue;
            };
            let brought = self.git(&["rev-list", &format!("{first}..{second}")])?;
            for sha in brought.lines() {
                // The newest merge that brought a commit wins; entries are only added once.
                map.entry(sha.trim().to_owned()).or_insert(pr);
            }
        }
        Ok(map)
    }

    /// Tracked files with uncommitted changes (`git status --porcelain`).
    pub fn dirty_files(&self) -> Result<Vec<String>, Error> {
        Ok(self
            .git(&["status", "--porcelain", "--untracked-files=no"])?
            .lines()
            .filter_map(|l| l.get(3..).map(str::to_owned))
            .collect())
    }

    /// Refuses to go on with uncommitted changes to tracked files.
    pub fn ensure_clean(&self) -> Result<(), Error> {
        let files = self.dirty_files()?;
        if files.is_empty() {
            Ok(())
        } else {
            Err(Error::Dirty {
                files: files.join(", "),
            })
        }
    }

    /// The URL of remote `origin`, when there is one.
    pub fn origin_url(&self) -> Option<String> {
        self.git(&["remote", "get-url", "origin"])
            .ok()
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
    }

    /// The full SHA of `HEAD`.
    pub fn head(&self) -> Result<String, Error> {
        Ok(self.git(&["rev-parse", "HEAD"])?.trim().to_owned())
    }

    /// The committer date of `HEAD`, `YYYY-MM-DD`.
    pub fn head_date(&self) -> Result<String, Error> {
        Ok(self
            .git(&["log", "-1", "--format=%cs", "HEAD"])?
            .trim()
            .to_owned())
    }

    /// Commits `paths` with `message` (the release commit that carries the changelog).
    pub fn commit(&self, paths: &[&str], message: &str) -> Result<(), Error> {
        let mut add = vec!["add", "--"];
        add.extend_from_slice(paths);
        self.git(&add)?;
        self.git(&self.identity(&["commit", "--quiet", "-m", message]))?;
        Ok(())
    }

    /// Creates the annotated tag `name` at `HEAD`; `force` moves an existing one (floating
    /// major tags).
    pub fn tag(&self, name: &str, message: &str, force: bool) -> Result<(), Error> {
        let mut args = vec!["tag", "--annotate", "-m", message];
        if force {
            args.push("--force");
        }
        args.push(name);
        self.git(&self.identity(&args))?;
        Ok(())
    }

    /// The subject line of `HEAD`.
    pub fn head_subject(&self) -> Result<String, Error> {
        Ok(self
            .git(&["log", "-1", "--format=%s", "HEAD"])?
            .trim()
            .to_owned())
    }

    /// The subject line of `rev` (e.g. `HEAD^2`), `None` when there is no such commit.
    pub fn subject(&self, rev: &str) -> Result<Option<String>, Error> {
        let spec = format!("{rev}^{{commit}}");
        if self
            .git(&["rev-parse", "--verify", "--quiet", &spec])
            .is_err()
        {
            return Ok(None);
        }
        Ok(Some(
            self.git(&["log", "-1", "--format=%s", &spec, "--"])?
                .trim()
                .to_owned(),
        ))
    }

    /// The commit a tag points at, when the tag exists locally.
    pub fn tag_commit(&self, name: &str) -> Option<String> {
        self.git(&[
            "rev-parse",
            "--verify",
            "--quiet",
            &format!("refs/tags/{name}^{{commit}}"),
        ])
        .ok()
        .map(|s| s.trim().to_owned())
    }

    /// Moves the branch back to `commit`, keeping untracked files (`git reset --keep`): undoes
    /// a release commit that was not pushed.
    pub fn reset_to(&self, commit: &str) -> Result<(), Error> {
        self.git(&["reset", "--quiet", "--keep", commit])?;
        Ok(())
    }

    /// Creates the lightweight tag `name` at `HEAD` (the tag GitHub makes when it publishes a
    /// release whose tag does not exist yet is lightweight too).
    pub fn lightweight_tag(&self, name: &str, force: bool) -> Result<(), Error> {
        let mut args = vec!["tag"];
        if force {
            args.push("--force");
        }
        args.extend([name, "HEAD"]);
        self.git(&args)?;
        Ok(())
    }

    /// The commits tags `names` point at on `origin` (peeled), by name; missing ones absent.
    pub fn remote_tags(
        &self,
        names: &[String],
    ) -> Result<std::collections::BTreeMap<String, String>, Error> {
        let mut args = vec![
            "ls-remote".to_owned(),
            "--tags".to_owned(),
            "origin".to_owned(),
        ];
        for n in names {
            args.push(format!("refs/tags/{n}"));
            args.push(format!("refs/tags/{n}^{{}}"));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut out = std::collections::BTreeMap::new();
        for line in self.git(&args)?.lines() {
            let Some((sha, name)) = line.split_once('\t') else {
                continue;
            };
            let Some(name) = name.strip_prefix("refs/tags/") else {
                continue;
            };
            // A peeled `^{}` line names the commit of an annotated tag: it wins.
            match name.strip_suffix("^{}") {
                Some(n) => {
                    out.insert(n.to_owned(), sha.to_owned());
                }
                None => {
                    out.entry(name.to_owned()).or_insert_with(|| sha.to_owned());
                }
            }
        }
        Ok(out)
    }

    /// Deletes the local tag `name`.
    pub fn delete_tag(&self, name: &str) -> Result<(), Error> {
        self.git(&["tag", "--delete", name])?;
        Ok(())
    }

    /// Pushes the current branch to `origin` (no tag).
    pub fn push_head(&self) -> Result<(), Error> {
        self.git(&["push", "origin", "HEAD"])?;
        Ok(())
    }

    /// Pushes `tags` (refused when the remote has another commit under the name) and `forced`
    /// tags (floating major tags) to `origin` in one atomic push.
    pub fn push_tags(&self, tags: &[String], forced: &[String]) -> Result<(), Error> {
        let mut refspecs: Vec<String> = tags.iter().map(|t| format!("refs/tags/{t}")).collect();
        refspecs.extend(forced.iter().map(|t| format!("+refs/tags/{t}")));
        let mut args = vec!["push", "--atomic", "origin"];
        args.extend(refspecs.iter().map(String::as_str));
        self.git(&args)?;
        Ok(())
    }

    /// Pushes the current branch and `tags` to `origin` in one atomic push; `forced` tags
    /// (floating major tags) replace the remote ones.
    pub fn push(&self, tags: &[String], forced: &[String]) -> Result<(), Error> {
        let mut refspecs: Vec<String> = vec!["HEAD".to_owned()];
        refspecs.extend(tags.iter().map(|t| format!("refs/tags/{t}")));
        refspecs.extend(forced.iter().map(|t| format!("+refs/tags/{t}")));
        let mut args = vec!["push", "--atomic", "origin"];
        args.extend(refspecs.iter().map(String::as_str));
        self.git(&args)?;
        Ok(())
    }

    /// Adds a committer identity for CI runners that have none configured (the identity GitHub
    /// documents for `github-actions[bot]`), leaving configured identities alone.
    fn identity<'a>(&self, args: &[&'a str]) -> Vec<&'a str> {
        let configured = self
            .git(&["config", "user.email"])
            .is_ok_and(|s| !s.trim().is_empty());
        let mut out = Vec::new();
        if !configured {
            out.extend([
                "-c",
                "user.name=github-actions[bot]",
                "-c",
                "user.email=41898282+github-actions[bot]@users.noreply.github.com",
            ]);
        }
        out.extend_from_slice(args);
        out
    }
}

/// The number in a GitHub merge-commit subject: `Merge pull request #42 from owner/branch`.
///
/// ```
/// use slipway::release::git::merge_pr_number;
/// assert_eq!(merge_pr_number("Merge pull request #42 from acme/search"), Some(42));
/// assert_eq!(merge_pr_number("Merge branch 'main' into feature"), None);
/// ```
pub fn merge_pr_number(subject: &str) -> Option<u64> {
    let rest = subject.strip_prefix("Merge pull request #")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if rest[digits.len()..].starts_with(" from ") {
        digits.parse().ok()
    } else {
        None
    }
}

/// Parses our `git log` format into commits (in the order given).
pub fn parse_log(out: &str) -> Vec<RawCommit> {
    out.split(RECORD)
        .filter_map(|record| {
            let record = record.trim_start_matches('\n');
            if record.is_empty() {
                return None;
            }
            let mut fields = record.splitn(4, FIELD);
            Some(RawCommit {
                sha: fields.next()?.to_owned(),
                author: fields.next().unwrap_or_default().to_owned(),
                subject: fields.next().unwrap_or_default().to_owned(),
                body: fields.next().unwrap_or_default().trim_end().to_owned(),
                pr: None,
            })
        })
        .collect()
}

/// `owner/name` of a GitHub remote URL (https, ssh or scp-like), for links.
///
/// ```
/// use slipway::release::git::github_slug;
/// assert_eq!(github_slug("git@github.com:octo/shop.git").as_deref(), Some("octo/shop"));
/// assert_eq!(github_slug("https://github.com/octo/shop").as_deref(), Some("octo/shop"));
/// assert_eq!(github_slug("https://gitlab.com/octo/shop.git"), None);
/// ```
pub fn github_slug(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("git@github.com:")
        .or_else(|| url.strip_prefix("ssh://git@github.com/"))
        .or_else(|| url.strip_prefix("https://github.com/"))
        .or_else(|| {
            // `https://x-access-token:…@github.com/o/r` as set by actions/checkout.
            let (_, after) = url.strip_prefix("https://")?.split_once("@github.com/")?;
            Some(after)
        })?;
    let rest = rest.trim_end_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    let (owner, name) = rest.split_once('/')?;
    (!owner.is_empty() && !name.is_empty() && !name.contains('/'))
        .then(|| format!("{owner}/{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_records_split_into_commits_with_multi_line_bodies() {
        let out = format!(
            "abc{FIELD}Ada{FIELD}feat: x{FIELD}line 1\nline 2\n{RECORD}\ndef{FIELD}Bob{FIELD}fix: y{FIELD}{RECORD}\n"
        );
        let commits = parse_log(&out);
        assert_eq!(commits.len(), 2);
        assert_eq!(commits[0].body, "line 1\nline 2");
        assert_eq!(commits[1].author, "Bob");
        assert_eq!(commits[1].body, "");
    }

    #[test]
    fn remote_urls_with_credentials_still_give_the_slug() {
        assert_eq!(
            github_slug("https://x-access-token:abc@github.com/o/r.git").as_deref(),
            Some("o/r")
        );
        assert_eq!(
            github_slug("ssh://git@github.com/o/r.git").as_deref(),
            Some("o/r")
        );
    }
}
