//! `slipway.yml`: the typed configuration, its defaults and its validation.

use std::path::{Path, PathBuf};

use crate::error::Hint;

/// The file name slipway looks for at the repository root.
pub const FILE_NAME: &str = "slipway.yml";

/// The whole configuration.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Schema version; only 1 exists.
    #[serde(default)]
    pub version: Option<u32>,
}

/// A configuration and where it came from.
#[derive(Debug, Clone, Default)]
pub struct Loaded {
    /// The configuration, defaults filled in.
    pub config: Config,
    /// The file it was read from; `None` when no file exists and defaults apply.
    pub path: Option<PathBuf>,
}

/// Why a configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("reading `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl Hint for Error {}

/// Loads `explicit`, or `slipway.yml` under `root` when it exists, or the defaults.
pub fn load(root: &Path, explicit: Option<&Path>) -> Result<Loaded, Error> {
    let _ = (root, explicit);
    Ok(Loaded::default())
}

/// The JSON Schema of `slipway.yml`.
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Config)).unwrap_or_default()
}
