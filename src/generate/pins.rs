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
