//! slipway: a complete, secure GitHub Actions pipeline for application repositories.
//!
//! The binary's subcommands do the work inside CI jobs; this library holds one module per
//! capability. Data flows one way: [`cli`] parses arguments, [`config`] loads `slipway.yml`,
//! [`detect`] reads the repository once, a capability decides, and [`github`] talks to GitHub.

#[cfg(test)]
mod build_commit;
pub mod cli;
pub mod config;
pub mod deploy;
pub mod detect;
pub mod error;
pub mod fsutil;
pub mod generate;
pub mod github;
pub mod init;
pub mod metrics;
pub mod notify;
pub mod quality;
pub mod release;
pub mod run_tests;
pub mod security;
pub mod setup;

/// The version of this build, as in Cargo.toml.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The full commit SHA this binary was built from, or `unknown` when built outside a git
/// checkout without `SLIPWAY_BUILD_COMMIT`.
pub const COMMIT: &str = env!("SLIPWAY_COMMIT");
