//! The pin table: every third-party action the generated workflows use, pinned to a full commit
//! SHA with its release tag (`templates/action-pins.toml`, embedded in the binary).
//!
//! A workflow that names an action by tag runs whatever the tag points to on the day; a SHA
//! cannot move. See <https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions#using-third-party-actions>.

use std::collections::BTreeMap;

/// The embedded pin table.
pub const PINS_TOML: &str = include_str!("../../templates/action-pins.toml");

/// One pinned action.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Pin {
    /// The release tag the SHA belongs to (`v7.0.1`), written as a comment after the SHA.
    pub tag: String,
    /// The full 40-hex commit SHA.
    pub sha: String,
}

/// The pin table, by action (`owner/repo` or `owner/repo/path`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pins(BTreeMap<String, Pin>);

/// The pin table is malformed, or an action is missing from it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The table is not valid TOML of the expected shape.
    #[error("`{file}` is not a valid pin table: {message}")]
    Parse {
        /// The file (`templates/action-pins.toml` or an override).
        file: String,
        /// What the TOML parser said.
        message: String,
    },
    /// An entry's SHA is not 40 hex digits, or its name is not `owner/repo[/path]`.
    #[error("`{file}`: `{action}`: {problem}")]
    Invalid {
        /// The file.
        file: String,
        /// The action name.
        action: String,
        /// What is wrong.
        problem: String,
    },
    /// A template uses an action that has no pin.
    #[error("action `{0}` has no pin in the pin table")]
    Missing(String),
}

impl Pins {
    /// The embedded table. It is checked by the tests, so it always parses.
    pub fn embedded() -> Self {
        Self::parse(PINS_TOML, "templates/action-pins.toml")
            .expect("the embedded pin table is checked by tests")
    }

    /// Parses a pin table; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, Error> {
        let table: BTreeMap<String, Pin> = toml::from_str(text).map_err(|e| Error::Parse {
            file: file.to_owned(),
            message: e.to_string().trim().to_owned(),
        })?;
        for (action, pin) in &table {
            let invalid = |problem: &str| Error::Invalid {
                file: file.to_owned(),
                action: action.clone(),
                problem: problem.to_owned(),
            };
            if !is_full_sha(&pin.sha) {
                return Err(invalid("`sha` must be a full 40-hex commit SHA"));
            }
            let parts: Vec<&str> = action.split('/').collect();
            if parts.len() < 2
                || parts
                    .iter()
                    .any(|p| p.is_empty() || p.contains(char::is_whitespace) || p.contains('@'))
            {
                return Err(invalid(
                    "the name must be `owner/repo` or `owner/repo/path`",
                ));
            }
            if pin.tag.trim().is_empty() || pin.tag.contains(char::is_whitespace) {
                return Err(invalid("`tag` must be the release tag the SHA belongs to"));
            }
        }
        Ok(Self(table))
    }

    /// The pin of `action`.
    pub fn get(&self, action: &str) -> Result<&Pin, Error> {
        self.0
            .get(action)
            .ok_or_else(|| Error::Missing(action.to_owned()))
    }

    /// The `uses:` value with its tag comment: `actions/checkout@<sha> # v7.0.1`.
    pub fn uses(&self, action: &str) -> Result<String, Error> {
        let pin = self.get(action)?;
        Ok(format!("{action}@{} # {}", pin.sha, pin.tag))
    }

    /// Every pinned action, sorted.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Pin)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }
}

/// The pins of a generated file that moved past the table's: for each action of the table
/// that `existing` (a generated body whose hash checks) pins to a different full SHA, with a
/// version comment not older than the table's tag, that pin. An action pinned two different
/// ways in one file keeps the table's pin.
///
/// The version comment is what Dependabot writes (`# v7.1.0`); it is compared as numbers
/// (`v7.10.0` is newer than `v7.9.1`). A tag that is not a version (`stable`) is kept only
/// when it is the table's own tag.
pub fn bumped(existing: &str, table: &Pins) -> BTreeMap<String, Pin> {
    let mut seen: BTreeMap<String, Option<Pin>> = BTreeMap::new();
    for line in existing.lines() {
        let Some((_, action, sha, tag)) = super::files::pinned_uses(line) else {
            continue;
        };
        let Ok(current) = table.get(action) else {
            continue;
        };
        let found = Pin {
            tag: tag.to_owned(),
            sha: sha.to_ascii_lowercase(),
        };
        let keep =
            found.sha != current.sha.to_ascii_lowercase() && not_older(&found.tag, &current.tag);
        let entry = seen
            .entry(action.to_owned())
            .or_insert_with(|| Some(found.clone()));
        // Two different pins of one action in one file: neither is taken.
        if entry.as_ref() != Some(&found) || !keep {
            *entry = None;
        }
    }
    seen.into_iter()
        .filter_map(|(action, pin)| pin.map(|p| (action, p)))
        .collect()
}

/// `body` with the table's pin of each action in `bumped` replaced by the bumped one.
pub fn apply(body: &str, table: &Pins, bumped: &BTreeMap<String, Pin>) -> String {
    let mut body = body.to_owned();
    for (action, pin) in bumped {
        if let Ok(current) = table.get(action) {
            let from = format!("uses: {action}@{} # {}\n", current.sha, current.tag);
            let to = format!("uses: {action}@{} # {}\n", pin.sha, pin.tag);
            body = body.replace(&from, &to);
        }
    }
    body
}

/// True when the version comment `found` is the same or a later release than `table`.
fn not_older(found: &str, table: &str) -> bool {
    match (version_key(found), version_key(table)) {
        (Some(f), Some(t)) => {
            let n = f.len().max(t.len());
            let pad = |v: &[u64]| {
                (0..n)
                    .map(|i| v.get(i).copied().unwrap_or(0))
                    .collect::<Vec<_>>()
            };
            pad(&f) >= pad(&t)
        }
        _ => found == table,
    }
}

/// `v7.1.0` → `[7, 1, 0]`; `None` for a tag that is not a plain release version.
fn version_key(tag: &str) -> Option<Vec<u64>> {
    let v = tag.strip_prefix('v').unwrap_or(tag);
    v.split('.').map(|p| p.parse::<u64>().ok()).collect()
}

/// True for a full 40-hex commit SHA.
pub fn is_full_sha(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_parses_and_pins_full_shas() {
        let pins = Pins::embedded();
        assert!(pins.iter().count() >= 20);
        assert_eq!(
            pins.uses("actions/checkout").expect("checkout is pinned"),
            "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
        );
    }

    #[test]
    fn sub_actions_share_their_repository_sha() {
        let pins = Pins::embedded();
        let mut by_repo: BTreeMap<String, &str> = BTreeMap::new();
        for (action, pin) in pins.iter() {
            let repo: String = action.split('/').take(2).collect::<Vec<_>>().join("/");
            let sha = by_repo.entry(repo.clone()).or_insert(pin.sha.as_str());
            assert_eq!(
                *sha, pin.sha,
                "`{action}` and its repository `{repo}` disagree"
            );
        }
    }

    #[test]
    fn a_short_sha_is_refused_with_the_action_named() {
        let err = Pins::parse(
            "[\"actions/checkout\"]\ntag = \"v7\"\nsha = \"3d3c42e\"\n",
            "pins.toml",
        )
        .expect_err("short sha");
        assert_eq!(
            err.to_string(),
            "`pins.toml`: `actions/checkout`: `sha` must be a full 40-hex commit SHA"
        );
    }

    #[test]
    fn an_unknown_action_is_an_error() {
        let err = Pins::embedded()
            .uses("evil/action")
            .expect_err("not pinned");
        assert_eq!(
            err.to_string(),
            "action `evil/action` has no pin in the pin table"
        );
    }

    const NEW_SHA: &str = "1111111111111111111111111111111111111111";

    fn body(uses: &str) -> String {
        format!("jobs:\n  a:\n    steps:\n      - uses: {uses}\n        with:\n          x: 1\n")
    }

    #[test]
    fn a_newer_pin_of_the_same_action_is_kept_and_an_older_one_is_not() {
        let pins = Pins::embedded();
        let table = pins.uses("actions/checkout").expect("pinned");
        let newer = body(&format!("actions/checkout@{NEW_SHA} # v7.1.0"));
        let got = bumped(&newer, &pins);
        assert_eq!(
            got.get("actions/checkout"),
            Some(&Pin {
                tag: "v7.1.0".into(),
                sha: NEW_SHA.into()
            })
        );
        assert_eq!(apply(&body(&table), &pins, &got), newer);
        for older in ["v7.0.0", "v6.9.9", "v7", "latest"] {
            let text = body(&format!("actions/checkout@{NEW_SHA} # {older}"));
            assert!(bumped(&text, &pins).is_empty(), "{older}");
        }
        assert!(
            bumped(&body(&table), &pins).is_empty(),
            "the table's own pin"
        );
        assert!(not_older("v7.10.0", "v7.9.1"));
    }

    #[test]
    fn two_pins_of_one_action_or_an_unknown_action_are_not_taken() {
        let pins = Pins::embedded();
        let text = format!(
            "{}{}",
            body(&format!("actions/checkout@{NEW_SHA} # v7.1.0")),
            body("actions/checkout@2222222222222222222222222222222222222222 # v7.2.0")
        );
        assert!(bumped(&text, &pins).is_empty());
        let other = body(&format!("evil/checkout@{NEW_SHA} # v99.0.0"));
        assert!(bumped(&other, &pins).is_empty());
        let short = body("actions/checkout@v7.1.0 # v7.1.0");
        assert!(bumped(&short, &pins).is_empty());
    }

    #[test]
    fn malformed_toml_names_the_file() {
        let err = Pins::parse("[\"a/b\"\ntag=", "pins.toml").expect_err("bad toml");
        assert!(
            err.to_string()
                .starts_with("`pins.toml` is not a valid pin table"),
            "{err}"
        );
    }
}
