//! Workflow-command annotations (`::error title=…::message`).

/// Prints an error annotation when running in Actions; nothing otherwise.
pub fn error(title: &str, message: &str) {
    if super::in_actions() {
        println!("::error title={title}::{message}");
    }
}
