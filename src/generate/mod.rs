//! `slipway gen-workflows`: renders the six workflows from templates, checks and writes them.

pub mod files;
pub mod pins;
pub mod render;
