//! Defaults read from the repository's git metadata: the default branch and the prefix of its
//! version tags. Files under `.git` are read directly (no `git` process: a repository's own git
//! config can run commands), each capped in size, and never through a symbolic link.
//!
//! Sources, per <https://git-scm.com/docs/gitrepository-layout>: `refs/remotes/origin/HEAD`
//! (a symbolic ref written by `git clone` and `git remote set-head`), `HEAD`, loose tags under
//! `refs/tags/` and `packed-refs`. A `.git` file (`gitdir: …`, worktrees and submodules) is
//! followed to its git directory, and `commondir` to the shared refs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The largest ref file read (`HEAD`, a loose ref, `commondir`, a `.git` file).
const MAX_REF_BYTES: u64 = 4 * 1024;

/// The largest `packed-refs` read; beyond it the packed tags are not counted.
const MAX_PACKED_BYTES: u64 = 32 * 1024 * 1024;

/// At most this many loose tags are read.
const MAX_LOOSE_TAGS: usize = 10_000;

/// Where the default branch was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BranchSource {
    /// `refs/remotes/origin/HEAD`: the remote's default branch, as recorded at clone time.
    OriginHead,
    /// The branch checked out (`HEAD`).
    Head,
}

/// A repository's git directory and the directory holding its shared refs.
#[derive(Debug, Clone)]
struct GitDir {
    /// `HEAD` lives here (per worktree).
    dir: PathBuf,
    /// `refs/` and `packed-refs` live here.
    common: PathBuf,
}

/// Reads a small file, refusing symbolic links and anything larger than `cap`.
fn read_small(path: &Path, cap: u64) -> Option<String> {
    use std::io::Read as _;
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.file_type().is_file() || meta.len() > cap {
        return None;
    }
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(cap)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// True when `path` is a real directory (not a link to one).
fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_dir())
}

fn git_dir(root: &Path) -> Option<GitDir> {
    let dot_git = root.join(".git");
    let dir = if is_real_dir(&dot_git) {
        dot_git
    } else {
        // `gitdir: <path>`, relative to the directory holding the `.git` file.
        let text = read_small(&dot_git, MAX_REF_BYTES)?;
        let target = text.strip_prefix("gitdir:")?.trim();
        let path = root.join(target);
        if !is_real_dir(&path) {
            return None;
        }
        path
    };
    let common = match read_small(&dir.join("commondir"), MAX_REF_BYTES) {
        Some(text) => {
            let path = dir.join(text.trim());
            if !is_real_dir(&path) {
                return None;
            }
            path
        }
        None => dir.clone(),
    };
    Some(GitDir { dir, common })
}

/// The branch a symbolic ref file points at under `namespace` (`refs/heads/`).
fn symbolic_target(text: &str, namespace: &str) -> Option<String> {
    let target = text.trim().strip_prefix("ref:")?.trim();
    let branch = target.strip_prefix(namespace)?;
    is_branch_name(branch).then(|| branch.to_owned())
}

/// A plausible branch name: what `git check-ref-format --branch` accepts, minus the rare
/// corners (no control characters, spaces, `..`, `~^:?*[\`, `@{`, no leading `-` or `/`).
pub fn is_branch_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with(['-', '/', '.'])
        && !name.ends_with(['/', '.'])
        && !name.ends_with(".lock")
        && !name.contains("..")
        && !name.contains("@{")
        && !name.contains("//")
        && name
            .chars()
            .all(|c| !c.is_control() && !c.is_whitespace() && !"~^:?*[\\".contains(c))
}

/// The default branch of the repository at `root`: where `origin/HEAD` points, else the
/// checked-out branch. `None` outside git, on a detached `HEAD`, or when neither is readable.
pub fn default_branch(root: &Path) -> Option<(String, BranchSource)> {
    let git = git_dir(root)?;
    let origin = git.common.join("refs/remotes/origin/HEAD");
    if let Some(branch) =
        read_small(&origin, MAX_REF_BYTES).and_then(|t| symbolic_target(&t, "refs/remotes/origin/"))
    {
        return Some((branch, BranchSource::OriginHead));
    }
    let head = read_small(&git.dir.join("HEAD"), MAX_REF_BYTES)?;
    symbolic_target(&head, "refs/heads/").map(|b| (b, BranchSource::Head))
}

/// The names of the repository's tags (loose and packed), sorted, without repeats.
pub fn tags(root: &Path) -> Vec<String> {
    let Some(git) = git_dir(root) else {
        return Vec::new();
    };
    let mut names = std::collections::BTreeSet::new();
    let base = git.common.join("refs/tags");
    let mut stack = vec![(base.clone(), 0usize)];
    while let Some((dir, depth)) = stack.pop() {
        if depth > 8 || names.len() >= MAX_LOOSE_TAGS {
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                stack.push((path, depth + 1));
            } else if kind.is_file()
                && let Ok(rel) = path.strip_prefix(&base)
                && let Some(name) = rel.to_str()
            {
                names.insert(name.replace('\\', "/"));
            }
        }
    }
    if let Some(packed) = read_small(&git.common.join("packed-refs"), MAX_PACKED_BYTES) {
        for line in packed.lines() {
            if let Some((_, name)) = line.split_once(' ')
                && let Some(tag) = name.strip_prefix("refs/tags/")
            {
                names.insert(tag.to_owned());
            }
        }
    }
    names.into_iter().collect()
}

/// Splits a version tag into its prefix and version (`release-1.2` → `release-`, `1.2`): the
/// version is the tail from the first digit, at least `MAJOR.MINOR`, digits and dots, then an
/// optional pre-release or build suffix (`-rc.1`, `+build`). `None` for other tags.
///
/// ```
/// use slipway::config::git::split_version_tag;
/// assert_eq!(split_version_tag("v1.2.3"), Some(("v", "1.2.3")));
/// assert_eq!(split_version_tag("1.2.3-rc.1"), Some(("", "1.2.3-rc.1")));
/// assert_eq!(split_version_tag("release-1.2"), Some(("release-", "1.2")));
/// assert_eq!(split_version_tag("v1"), None);
/// ```
pub fn split_version_tag(tag: &str) -> Option<(&str, &str)> {
    let start = tag.find(|c: char| c.is_ascii_digit())?;
    let (prefix, version) = tag.split_at(start);
    if prefix.len() > 50 || prefix.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let core_end = version
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(version.len());
    let core = &version[..core_end];
    let rest = &version[core_end..];
    let parts: Vec<&str> = core.split('.').collect();
    let numeric = parts.len() >= 2 && parts.iter().all(|p| !p.is_empty());
    let suffix_ok = rest.is_empty() || rest.starts_with(['-', '+']);
    (numeric && suffix_ok).then_some((prefix, version))
}

/// The tag prefix of the newest version among the tags (`v`, empty, `release-`): the scheme in
/// use now, even when older releases were tagged another way. Versions compare by their
/// numbers, a release above its pre-releases; equal versions go to the prefix more tags use,
/// then to `v`. `None` when no tag looks like a version.
///
/// ```
/// use slipway::config::git::tag_prefix;
/// let tags = |t: &[&str]| t.iter().map(|s| s.to_string()).collect::<Vec<_>>();
/// assert_eq!(tag_prefix(&tags(&["4.18.2", "4.19.0", "v5.0.0"])), Some("v".to_owned()));
/// assert_eq!(tag_prefix(&tags(&["nightly", "docs-2"])), None);
/// ```
pub fn tag_prefix(tags: &[String]) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut versions = Vec::new();
    for tag in tags {
        if let Some((prefix, version)) = split_version_tag(tag) {
            *counts.entry(prefix).or_default() += 1;
            let core_end = version
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(version.len());
            let numbers: Vec<u64> = version[..core_end]
                .split('.')
                .map(|n| n.parse().unwrap_or(u64::MAX))
                .collect();
            let release = !version[core_end..].starts_with('-');
            versions.push((numbers, release, prefix));
        }
    }
    versions
        .into_iter()
        .max_by(|(na, ra, a), (nb, rb, b)| {
            na.cmp(nb)
                .then_with(|| ra.cmp(rb))
                .then_with(|| counts[a].cmp(&counts[b]))
                .then_with(|| (*a == "v").cmp(&(*b == "v")))
                .then_with(|| b.cmp(a))
        })
        .map(|(_, _, p)| p.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join(".git/refs/tags")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join(".git/refs/remotes/origin")).expect("mkdir");
        std::fs::write(dir.path().join(".git/HEAD"), "ref: refs/heads/feature/x\n").expect("HEAD");
        dir
    }

    #[test]
    fn origin_head_wins_over_the_checked_out_branch() {
        let dir = repo();
        assert_eq!(
            default_branch(dir.path()),
            Some(("feature/x".to_owned(), BranchSource::Head))
        );
        std::fs::write(
            dir.path().join(".git/refs/remotes/origin/HEAD"),
            "ref: refs/remotes/origin/master\n",
        )
        .expect("origin HEAD");
        assert_eq!(
            default_branch(dir.path()),
            Some(("master".to_owned(), BranchSource::OriginHead))
        );
    }

    #[test]
    fn a_detached_head_or_no_git_gives_nothing() {
        let dir = repo();
        std::fs::write(
            dir.path().join(".git/HEAD"),
            "0123456789abcdef0123456789abcdef01234567\n",
        )
        .expect("HEAD");
        assert_eq!(default_branch(dir.path()), None);
        let plain = tempfile::tempdir().expect("tempdir");
        assert_eq!(default_branch(plain.path()), None);
        assert!(tags(plain.path()).is_empty());
    }

    #[test]
    fn a_worktree_reads_head_from_its_gitdir_and_refs_from_the_common_dir() {
        let main = repo();
        std::fs::write(
            main.path().join(".git/refs/remotes/origin/HEAD"),
            "ref: refs/remotes/origin/trunk\n",
        )
        .expect("origin HEAD");
        std::fs::write(main.path().join(".git/refs/tags/2.0.0"), "x\n").expect("tag");
        let wt_git = main.path().join(".git/worktrees/wt");
        std::fs::create_dir_all(&wt_git).expect("mkdir");
        std::fs::write(wt_git.join("HEAD"), "ref: refs/heads/wt\n").expect("HEAD");
        std::fs::write(wt_git.join("commondir"), "../..\n").expect("commondir");
        let wt = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            wt.path().join(".git"),
            format!("gitdir: {}\n", wt_git.display()),
        )
        .expect(".git file");
        assert_eq!(
            default_branch(wt.path()),
            Some(("trunk".to_owned(), BranchSource::OriginHead))
        );
        assert_eq!(tags(wt.path()), vec!["2.0.0"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_git_directory_behind_a_symlink_is_not_read() {
        let outside = repo();
        let dir = tempfile::tempdir().expect("tempdir");
        std::os::unix::fs::symlink(outside.path().join(".git"), dir.path().join(".git"))
            .expect("symlink");
        assert_eq!(default_branch(dir.path()), None);
        let head = repo();
        std::fs::remove_file(head.path().join(".git/HEAD")).expect("rm");
        std::os::unix::fs::symlink(
            outside.path().join(".git/HEAD"),
            head.path().join(".git/HEAD"),
        )
        .expect("symlink");
        assert_eq!(default_branch(head.path()), None);
    }

    #[test]
    fn tags_come_from_loose_refs_and_packed_refs() {
        let dir = repo();
        std::fs::create_dir_all(dir.path().join(".git/refs/tags/team")).expect("mkdir");
        std::fs::write(dir.path().join(".git/refs/tags/team/1.0.0"), "x\n").expect("tag");
        std::fs::write(
            dir.path().join(".git/packed-refs"),
            "# pack-refs with: peeled fully-peeled sorted\n\
             0123456789abcdef0123456789abcdef01234567 refs/heads/main\n\
             0123456789abcdef0123456789abcdef01234567 refs/tags/1.2.3\n\
             ^89abcdef0123456789abcdef0123456789abcdef\n",
        )
        .expect("packed");
        assert_eq!(tags(dir.path()), vec!["1.2.3", "team/1.0.0"]);
    }

    #[test]
    fn the_prefix_of_the_newest_version_wins() {
        let t = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(tag_prefix(&t(&["v1.2.3", "v1.3.0"])), Some("v".into()));
        // Many old unprefixed tags, then a switch to `v` (expressjs/express).
        assert_eq!(
            tag_prefix(&t(&[
                "4.17.1",
                "4.18.0",
                "4.18.2",
                "5.0.0-beta.2",
                "v5.0.0",
                "v5.2.1"
            ])),
            Some("v".into())
        );
        assert_eq!(
            tag_prefix(&t(&["v1.0.0", "2.0.0-rc.1", "v1.9.0", "1.10.0"])),
            Some(String::new())
        );
        assert_eq!(tag_prefix(&t(&["v2.0.0", "2.0.0-rc.1"])), Some("v".into()));
        assert_eq!(tag_prefix(&t(&["1.2.3"])), Some(String::new()));
        assert_eq!(
            tag_prefix(&t(&["release-1.2", "release-1.3", "v1"])),
            Some("release-".into())
        );
        assert_eq!(tag_prefix(&t(&["1.0.0", "v1.0.0"])), Some("v".into()));
        assert_eq!(tag_prefix(&t(&[])), None);
        assert_eq!(tag_prefix(&t(&["latest", "v2", "1.x"])), None);
        assert_eq!(split_version_tag("v1.2.3junk"), None);
        assert_eq!(split_version_tag("a b1.2"), None);
    }

    #[test]
    fn odd_branch_names_are_refused() {
        for bad in ["", "-x", "a..b", "a b", "a\nb", "x.lock", "a@{1}", "/x"] {
            assert!(!is_branch_name(bad), "{bad:?}");
        }
        for good in ["main", "master", "release/2.x", "dev_1"] {
            assert!(is_branch_name(good), "{good}");
        }
    }
}
