//! Deployments.

pub mod command;
pub mod github;
pub mod kubernetes;
pub mod promoted;
pub mod window;
