//! promoted
