//! The `command` target.
