//! Collapsible log groups: `::group::title` … `::endgroup::`.
//!
//! [`Runtime::group`] returns a guard that closes the group when dropped, so an early return
//! or `?` never leaves a group open. Outside Actions a group is a `== title ==` heading.
//! See <https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#grouping-log-lines>.

use super::Runtime;
use super::annotations::escape_data;

/// An open log group; dropping it ends the group.
#[must_use = "the group ends when this guard is dropped"]
#[derive(Debug)]
pub struct Group<'a> {
    runtime: &'a Runtime,
}

impl Runtime {
    /// Opens a log group titled `title` until the returned guard is dropped. Groups do not
    /// nest in the Actions log; open one at a time.
    pub fn group(&self, title: &str) -> Group<'_> {
        let title = super::redact(title);
        if self.in_actions() {
            self.log_line(&format!("::group::{}", escape_data(&title)));
        } else {
            self.log_line(&format!("== {title} =="));
        }
        Group { runtime: self }
    }
}

impl Drop for Group<'_> {
    fn drop(&mut self) {
        if self.runtime.in_actions() {
            self.runtime.log_line("::endgroup::");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_ends_when_its_guard_drops() {
        let mut rt = Runtime::plain_for_test();
        rt.actions = true;
        {
            let _g = rt.group("install\ntools");
            rt.log_line("inside");
        }
        assert_eq!(
            rt.captured(),
            "::group::install%0Atools\ninside\n::endgroup::\n"
        );
    }

    #[test]
    fn outside_actions_a_group_is_a_heading() {
        let rt = Runtime::plain_for_test();
        drop(rt.group("tests"));
        assert_eq!(rt.captured(), "== tests ==\n");
    }
}
