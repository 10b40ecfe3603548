//! The next version: the latest release, the level of the changes since, the pre-1.0 policy
//! and an optional pre-release channel.
//!
//! Versions follow SemVer 2.0.0 (<https://semver.org/spec/v2.0.0.html>): a breaking change
//! bumps major, a feature minor, a fix patch (items 6 to 8). Below 1.0 "anything may change at
//! any time" (item 4), so the policy is a setting (`release.pre-1-0`): `minor` (the default, as
//! Cargo reads `0.x`) turns breaking changes into minor bumps and features into patches;
//! `major` lets a breaking change release `1.0.0`. Pre-releases are `1.3.0-rc.1`, `rc.2`, …
//! (item 9), which sort below `1.3.0` (item 11).

use semver::{Prerelease, Version};
use serde::Serialize;

use super::commits::Level;
use crate::config::PreOnePolicy;

/// What kind of step the release is, as `--json` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Bump {
    /// `1.2.3` → `2.0.0`.
    Major,
    /// `1.2.3` → `1.3.0`.
    Minor,
    /// `1.2.3` → `1.2.4`.
    Patch,
    /// Only the pre-release part changes: `1.3.0-rc.1` → `1.3.0-rc.2`.
    Prerelease,
    /// Nothing to release.
    None,
}

impl Bump {
    /// `major`, `minor`, `patch`, `prerelease` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Major => "major",
            Self::Minor => "minor",
            Self::Patch => "patch",
            Self::Prerelease => "prerelease",
            Self::None => "none",
        }
    }

    /// The step from `previous` to `next` (a first release counts by its own shape).
    ///
    /// ```
    /// use semver::Version;
    /// use slipway::release::bump::Bump;
    /// let v = |s| Version::parse(s).unwrap();
    /// assert_eq!(Bump::between(Some(&v("1.2.3")), &v("1.3.0")), Bump::Minor);
    /// assert_eq!(Bump::between(Some(&v("1.3.0-rc.1")), &v("1.3.0")), Bump::Prerelease);
    /// assert_eq!(Bump::between(None, &v("0.1.0")), Bump::Minor);
    /// ```
    pub fn between(previous: Option<&Version>, next: &Version) -> Self {
        let zero = Version::new(0, 0, 0);
        let prev = previous.unwrap_or(&zero);
        if next.major != prev.major {
            Self::Major
        } else if next.minor != prev.minor {
            Self::Minor
        } else if next.patch != prev.patch {
            Self::Patch
        } else if next.pre != prev.pre {
            Self::Prerelease
        } else {
            Self::None
        }
    }
}

/// The next stable version from the latest stable release `base` and the level of the changes
/// since; `None` when the level releases nothing.
///
/// A first release is `0.1.0` (policy `minor`) or `1.0.0` (policy `major`).
///
/// ```
/// use semver::Version;
/// use slipway::config::PreOnePolicy::{Major, Minor};
/// use slipway::release::bump::next_stable;
/// use slipway::release::commits::Level;
/// let v = |s| Version::parse(s).unwrap();
/// assert_eq!(next_stable(Some(&v("1.2.3")), Level::Minor, Minor), Some(v("1.3.0")));
/// assert_eq!(next_stable(Some(&v("1.2.3")), Level::Major, Minor), Some(v("2.0.0")));
/// // While 0.x, by default a breaking change is a minor bump and a feature a patch.
/// assert_eq!(next_stable(Some(&v("0.3.1")), Level::Major, Minor), Some(v("0.4.0")));
/// assert_eq!(next_stable(Some(&v("0.3.1")), Level::Minor, Minor), Some(v("0.3.2")));
/// assert_eq!(next_stable(Some(&v("0.3.1")), Level::Major, Major), Some(v("1.0.0")));
/// assert_eq!(next_stable(None, Level::Patch, Minor), Some(v("0.1.0")));
/// assert_eq!(next_stable(Some(&v("1.2.3")), Level::None, Minor), None);
/// ```
pub fn next_stable(base: Option<&Version>, level: Level, policy: PreOnePolicy) -> Option<Version> {
    if level == Level::None {
        return None;
    }
    let Some(base) = base else {
        return Some(match policy {
            PreOnePolicy::Minor => Version::new(0, 1, 0),
            PreOnePolicy::Major => Version::new(1, 0, 0),
        });
    };
    let level = if base.major == 0 {
        match (policy, level) {
            (PreOnePolicy::Minor, Level::Major) => Level::Minor,
            (PreOnePolicy::Minor, Level::Minor) => Level::Patch,
            (_, l) => l,
        }
    } else {
        level
    };
    let (major, minor, patch) = (base.major, base.minor, base.patch);
    Some(match level {
        Level::Major => Version::new(major + 1, 0, 0),
        Level::Minor => Version::new(major, minor + 1, 0),
        Level::Patch | Level::None => Version::new(major, minor, patch + 1),
    })
}

/// A pre-release channel name was not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a pre-release channel")]
pub struct BadChannel(pub String);

/// The next pre-release of `target` on `channel`: `-<channel>.N` with N one above the highest
/// existing one (among `existing`, every version tag of the repository).
///
/// ```
/// use semver::Version;
/// use slipway::release::bump::next_prerelease;
/// let v = |s| Version::parse(s).unwrap();
/// let tags = [v("1.2.3"), v("1.3.0-rc.1"), v("1.3.0-rc.2"), v("1.3.0-beta.7")];
/// assert_eq!(next_prerelease(&v("1.3.0"), "rc", &tags).unwrap(), v("1.3.0-rc.3"));
/// assert_eq!(next_prerelease(&v("2.0.0"), "rc", &tags).unwrap(), v("2.0.0-rc.1"));
/// assert!(next_prerelease(&v("2.0.0"), "r c", &tags).is_err());
/// ```
pub fn next_prerelease(
    target: &Version,
    channel: &str,
    existing: &[Version],
) -> Result<Version, BadChannel> {
    let valid = !channel.is_empty()
        && channel
            .split('.')
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
    if !valid {
        return Err(BadChannel(channel.to_owned()));
    }
    let prefix = format!("{channel}.");
    let highest = existing
        .iter()
        .filter(|v| (v.major, v.minor, v.patch) == (target.major, target.minor, target.patch))
        .filter_map(|v| v.pre.as_str().strip_prefix(&prefix)?.parse::<u64>().ok())
        .max()
        .unwrap_or(0);
    let mut next = Version::new(target.major, target.minor, target.patch);
    next.pre = Prerelease::new(&format!("{channel}.{}", highest + 1))
        .map_err(|_| BadChannel(channel.to_owned()))?;
    Ok(next)
}

/// Parses a version given by hand (`2.0.0`, `v2.0.0` or `<prefix>2.0.0`).
///
/// ```
/// use slipway::release::bump::parse_forced;
/// assert_eq!(parse_forced("mytool-v2.0.0", "mytool-v").unwrap().to_string(), "2.0.0");
/// assert_eq!(parse_forced("v2.0.0-rc.1", "v").unwrap().to_string(), "2.0.0-rc.1");
/// assert!(parse_forced("2.0", "v").is_err());
/// ```
pub fn parse_forced(text: &str, prefix: &str) -> Result<Version, semver::Error> {
    let text = text.trim();
    let text = text.strip_prefix(prefix).unwrap_or(text);
    let text = text.strip_prefix('v').unwrap_or(text);
    Version::parse(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn patch_minor_and_major_follow_semver_from_1_0() {
        let base = v("1.2.3");
        let next = |l| next_stable(Some(&base), l, PreOnePolicy::Minor).unwrap();
        assert_eq!(next(Level::Patch), v("1.2.4"));
        assert_eq!(next(Level::Minor), v("1.3.0"));
        assert_eq!(next(Level::Major), v("2.0.0"));
    }

    #[test]
    fn the_major_policy_keeps_features_minor_below_1_0() {
        let base = v("0.3.1");
        assert_eq!(
            next_stable(Some(&base), Level::Minor, PreOnePolicy::Major),
            Some(v("0.4.0"))
        );
        assert_eq!(
            next_stable(Some(&base), Level::Patch, PreOnePolicy::Major),
            Some(v("0.3.2"))
        );
    }

    #[test]
    fn a_first_release_under_the_major_policy_is_1_0_0() {
        assert_eq!(
            next_stable(None, Level::Minor, PreOnePolicy::Major),
            Some(v("1.0.0"))
        );
    }

    #[test]
    fn pre_release_numbers_count_per_version_and_channel() {
        let tags = [v("1.3.0-rc.9"), v("1.4.0-rc.1")];
        assert_eq!(
            next_prerelease(&v("1.3.0"), "rc", &tags).unwrap(),
            v("1.3.0-rc.10")
        );
        assert_eq!(
            next_prerelease(&v("1.3.0"), "beta", &tags).unwrap(),
            v("1.3.0-beta.1")
        );
    }

    #[test]
    fn a_forced_version_needs_three_numbers() {
        assert!(parse_forced("x", "v").is_err());
        assert_eq!(parse_forced(" 3.0.0 ", "v").unwrap(), v("3.0.0"));
    }

    #[test]
    fn bumps_are_named_by_the_first_number_that_changes() {
        assert_eq!(Bump::between(Some(&v("1.2.3")), &v("2.0.0")), Bump::Major);
        assert_eq!(Bump::between(Some(&v("1.2.3")), &v("1.2.4")), Bump::Patch);
        assert_eq!(Bump::between(None, &v("1.0.0")), Bump::Major);
        assert_eq!(Bump::as_str(Bump::Prerelease), "prerelease");
    }
}
