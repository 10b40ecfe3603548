//! The `hosts` target: app instances as processes or containers on this machine or over ssh,
//! behind nginx.

use super::cli::Resolved;
use super::{Error, Target};
use crate::github::Secret;

/// Opens the target configured for `resolved`'s environment.
pub fn open(
    resolved: &Resolved,
    app: Option<&str>,
    credentials: Option<Secret>,
) -> Result<Box<dyn Target>, Error> {
    let _ = (app, credentials);
    Err(Error::Config {
        message: format!(
            "the deploy target of `{}` is not available in this build",
            resolved.environment
        ),
        hint: "set `deploy.target`".to_owned(),
    })
}
