//! `slipway init`: writes a commented `slipway.yml` from detection.

use std::path::PathBuf;

use crate::error::Hint;

/// What `init` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The repository root.
    pub root: PathBuf,
    /// Where to write (default `<root>/slipway.yml`).
    pub output: PathBuf,
    /// Overwrite an existing file.
    pub force: bool,
}

/// What `init` did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The file written.
    pub path: PathBuf,
}

/// Why `init` could not write the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not implemented yet.
    #[error("init is not available")]
    Unavailable,
}

impl Hint for Error {}

/// Writes the file.
pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let _ = settings;
    Err(Error::Unavailable)
}
