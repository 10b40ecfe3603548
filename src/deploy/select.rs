//! Which [`Target`] serves an environment: `deploy.target` in slipway.yml.

use std::path::PathBuf;

use super::cli::Resolved;
use super::{Error, Target};
use crate::config;
use crate::github::Secret;

/// The variable that moves the state directory (lock, journal, history) of the kubernetes and
/// command targets, e.g. to a cache directory kept between runs.
pub const ENV_STATE_DIR: &str = "SLIPWAY_STATE_DIR";

/// Opens the target `deploy.target` names for `resolved`'s environment.
pub fn open(
    resolved: &Resolved,
    app: Option<&str>,
    credentials: Option<Secret>,
) -> Result<Box<dyn Target>, Error> {
    match resolved.config.deploy.target {
        config::Target::Hosts => super::hosts::open(resolved, app, credentials),
        config::Target::Kubernetes => Ok(Box::new(super::kubernetes::KubeTarget::open(
            resolved,
            app,
            credentials,
        )?)),
        config::Target::Command => Ok(Box::new(super::command::CommandDeploy::open(
            resolved, app,
        )?)),
    }
}

/// The state directory of the kubernetes and command targets: `$SLIPWAY_STATE_DIR/<env>`, else
/// `.slipway/deploy/<env>` under the project root (`/<app>` added for one of several apps).
pub fn state_dir(resolved: &Resolved, app: Option<&str>) -> Result<PathBuf, Error> {
    let base = std::env::var_os(ENV_STATE_DIR)
        .filter(|v| !v.is_empty())
        .map_or_else(|| resolved.root.join(".slipway/deploy"), PathBuf::from);
    let dir = base.join(&resolved.environment);
    match app {
        Some(app) => {
            // The same safe alphabet as versions: no `/`, no leading `.`.
            super::check_version(app).map_err(|_| Error::Config {
                message: format!("`{app}` is not a usable app name"),
                hint: "use letters, digits, `.`, `-` and `_`, e.g. `--app backend`".into(),
            })?;
            Ok(dir.join(app))
        }
        None => Ok(dir),
    }
}
