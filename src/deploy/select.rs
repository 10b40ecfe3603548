//! Where the kubernetes and command targets keep their lock, journal and history.

use std::path::PathBuf;

use super::Error;
use super::cli::Resolved;

/// The variable that moves the state directory (lock, journal, history) of the kubernetes and
/// command targets, e.g. to a cache directory kept between runs.
pub const ENV_STATE_DIR: &str = "SLIPWAY_STATE_DIR";

/// The project's name: `project.name`, else the project directory's name.
pub fn project_name(resolved: &Resolved) -> String {
    let name = resolved.config.project.name.clone();
    if !name.is_empty() {
        return name;
    }
    std::fs::canonicalize(&resolved.root)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "app".to_owned())
}

/// `$SLIPWAY_STATE_DIR/<env>`, else `$XDG_STATE_HOME/slipway/<project>/<env>` (by default
/// `~/.local/state/slipway/<project>/<env>`, as the hosts target); `/<app>` is added for one
/// of several apps.
pub fn state_dir(resolved: &Resolved, app: Option<&str>) -> Result<PathBuf, Error> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let base = match var(ENV_STATE_DIR) {
        Some(dir) => PathBuf::from(dir),
        None => {
            let root = var("XDG_STATE_HOME")
                .map(PathBuf::from)
                .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".local/state")))
                .unwrap_or_else(|| PathBuf::from("/var/tmp"));
            root.join("slipway").join(project_name(resolved))
        }
    };
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

/// `deploy.health` with the environment's overrides: what a target uses before a request
/// brings its own (recovery, status).
pub fn health(resolved: &Resolved) -> super::HealthSettings {
    let base = &resolved.config.deploy.health;
    let over = resolved.env.health.clone().unwrap_or_default();
    super::HealthSettings {
        path: over.path.unwrap_or_else(|| base.path.clone()),
        interval: over.interval.unwrap_or(base.interval).as_std(),
        timeout: over.timeout.unwrap_or(base.timeout).as_std(),
        deadline: over.deadline.unwrap_or(base.deadline).as_std(),
        drain: over.drain.unwrap_or(base.drain).as_std(),
    }
}
