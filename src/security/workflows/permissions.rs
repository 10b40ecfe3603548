//! The `excessive-permissions` audit: what the `GITHUB_TOKEN` of each job may do, from the
//! workflow's and the jobs' `permissions:` blocks
//! (<https://docs.github.com/en/actions/writing-workflows/workflow-syntax-for-github-actions#permissions>).
//!
//! A job without `permissions:` inherits the workflow's; with neither it gets the repository's
//! default token, which is read and write to every scope on many repositories. The rule agrees
//! with zizmor's `excessive-permissions` audit (its default persona):
//!
//! - the workflow level is judged only when it reaches a job: some job has no `permissions:` of
//!   its own, the workflow has more than one job (with one, the workflow block is that job's
//!   block), and the workflow is not only a reusable workflow (its caller's token caps it).
//!   Then no block, `read-all`, `write-all` and each `<scope>: write` are findings;
//! - a job is judged on its own block: `read-all` and `write-all` are findings, and no block
//!   under a workflow without one; jobs of a workflow that is only `workflow_call` are left to
//!   their caller, except the reusable workflow calls they make.
//!
//! One difference on purpose: `write-all` is always a finding where a job gets it (zizmor keeps
//! it for its pedantic persona in a one-job workflow and in the jobs of a reusable workflow):
//! the workflow block of a one-job workflow is that job's, and a caller that grants more than
//! the reusable workflow needs should not find every scope taken.

use super::{Auditor, Node, Value};
use crate::security::Level;

const RULE: &str = "excessive-permissions";

/// How much a `<scope>: write` grant at the workflow level weighs: `contents`, `packages`,
/// `id-token` and the like publish or impersonate; `statuses` and `models` do little.
fn write_level(scope: &str) -> Level {
    match scope {
        "actions" | "attestations" | "contents" | "deployments" | "id-token" | "issues"
        | "packages" | "pages" | "pull-requests" => Level::High,
        "models" | "statuses" => Level::Low,
        _ => Level::Medium,
    }
}

impl Auditor<'_> {
    /// Reports the token permissions of the workflow `doc` with these `jobs`, started by these
    /// `triggers`.
    pub(super) fn excessive_permissions(
        &mut self,
        doc: &Node,
        jobs: &[(String, Node)],
        triggers: &[String],
    ) {
        let reusable_only = triggers.len() == 1 && triggers[0] == "workflow_call";
        let top = doc.get("permissions");
        let every_job_has_its_own = jobs.iter().all(|(_, j)| j.get("permissions").is_some());
        // The workflow block is read by some job and is not its caller's business.
        let reaches_a_job = !every_job_has_its_own && !reusable_only;
        let judged = reaches_a_job && jobs.len() > 1;
        match top {
            None if judged => self.push(
                RULE,
                Level::Medium,
                self.first_content_line(),
                "the workflow has no `permissions:`, so its jobs without their own run with the repository's default token permissions (often read and write to everything)".to_owned(),
                "default:workflow",
            ),
            None => {}
            Some(p) => match &p.value {
                Value::Scalar(s) if s == "write-all" && reaches_a_job => {
                    self.write_all(p, "workflow");
                }
                Value::Scalar(s) if s == "read-all" && judged => self.read_all(p, "workflow"),
                Value::Map(scopes) if judged => {
                    let heirs: Vec<&str> = jobs
                        .iter()
                        .filter(|(_, j)| j.get("permissions").is_none())
                        .map(|(id, _)| id.as_str())
                        .collect();
                    for (scope, grant) in scopes {
                        if grant.str() == Some("write") {
                            self.push(
                                RULE,
                                write_level(scope),
                                grant.line,
                                format!(
                                    "`{scope}: write` at the workflow level reaches every job without its own `permissions:` (`{}`): grant it in the job that needs it",
                                    heirs.join("`, `")
                                ),
                                &format!("write:workflow:{scope}"),
                            );
                        }
                    }
                }
                _ => {}
            },
        }
        for (job_id, job) in jobs {
            let whose = format!("job `{job_id}`");
            // A reusable workflow call is the caller's to scope, even in a reusable workflow.
            let own = job.get("uses").is_some() || !reusable_only;
            match job.get("permissions") {
                Some(p) if p.str() == Some("write-all") => self.write_all(p, &whose),
                Some(p) if p.str() == Some("read-all") && own => self.read_all(p, &whose),
                Some(_) => {}
                None if top.is_none() && own => self.push(
                    RULE,
                    Level::Medium,
                    self.key_line(job, job_id),
                    format!(
                        "job `{job_id}` runs with the repository's default token permissions (often read and write to everything): no `permissions:` in the job or the workflow"
                    ),
                    &format!("default:{job_id}"),
                ),
                None => {}
            }
        }
    }

    fn write_all(&mut self, p: &Node, whose: &str) {
        self.push(
            RULE,
            Level::High,
            p.line,
            format!("{whose} grants `permissions: write-all`: every step can push code, publish releases and change settings"),
            &format!("write-all:{whose}"),
        );
    }

    fn read_all(&mut self, p: &Node, whose: &str) {
        self.push(
            RULE,
            Level::Medium,
            p.line,
            format!("{whose} grants `permissions: read-all`: every step can read every scope (code, packages, security alerts, deployments); grant only the scopes it uses"),
            &format!("read-all:{whose}"),
        );
    }

    /// The first line of the document that is not blank, a comment, `---` or a directive.
    fn first_content_line(&self) -> u32 {
        self.lines
            .iter()
            .position(|l| {
                let t = l.trim();
                !(t.is_empty() || t.starts_with('#') || t.starts_with('%') || t == "---")
            })
            .and_then(|i| u32::try_from(i + 1).ok())
            .unwrap_or(1)
    }

    /// The line of the key `id:` whose value is `node`: the value of a block mapping starts on
    /// a later line than its key, with comments or blank lines between.
    fn key_line(&self, node: &Node, id: &str) -> u32 {
        let keys = [format!("{id}:"), format!("\"{id}\":"), format!("'{id}':")];
        let at = node.line.max(1) as usize;
        for i in (at.saturating_sub(64)..at).rev() {
            let t = self.lines.get(i).map_or("", |l| l.trim_start());
            if keys.iter().any(|k| t.starts_with(k.as_str())) {
                return u32::try_from(i + 1).unwrap_or(node.line);
            }
        }
        node.line.saturating_sub(1).max(1)
    }
}

#[cfg(test)]
mod tests {
    use crate::security::Level;
    use crate::security::workflows::audit_text;

    /// The excessive-permissions findings of a workflow: line and level.
    fn findings(text: &str) -> Vec<(u32, Level)> {
        audit_text(text, ".github/workflows/x.yml")
            .unwrap()
            .into_iter()
            .filter(|f| f.rule == "excessive-permissions")
            .map(|f| (f.line, f.level))
            .collect()
    }

    const STEPS: &str = "    runs-on: ubuntu-latest\n    steps:\n      - run: echo hi\n";

    fn two_jobs(top: &str, a: &str, b: &str) -> String {
        format!("on: push\n{top}jobs:\n  a:\n{a}{STEPS}  b:\n{b}{STEPS}")
    }

    #[test]
    fn no_block_anywhere_is_reported_at_the_workflow_and_each_job() {
        let text = format!("# comment\n\n{}", two_jobs("", "", ""));
        assert_eq!(
            findings(&text),
            vec![(3, Level::Medium), (5, Level::Medium), (9, Level::Medium)]
        );
    }

    #[test]
    fn a_job_without_a_block_is_reported_at_its_key_past_comments() {
        let text = format!("on: push\njobs:\n  a:\n    # why\n\n{STEPS}");
        assert_eq!(findings(&text), vec![(3, Level::Medium)]);
    }

    #[test]
    fn one_job_without_blocks_is_reported_once_at_the_job() {
        let text = format!("---\non: push\njobs:\n  a:\n{STEPS}");
        assert_eq!(findings(&text), vec![(4, Level::Medium)]);
    }

    #[test]
    fn the_workflow_block_covers_jobs_without_their_own() {
        let text = two_jobs("permissions:\n  contents: read\n", "", "");
        assert_eq!(findings(&text), vec![]);
        let text = two_jobs("permissions: {}\n", "", "");
        assert_eq!(findings(&text), vec![]);
    }

    #[test]
    fn write_scopes_at_the_workflow_level_are_reported_when_a_job_inherits_them() {
        let top = "permissions:\n  contents: write\n  statuses: write\n  checks: read\n";
        assert_eq!(
            findings(&two_jobs(top, "", "")),
            vec![(3, Level::High), (4, Level::Low)]
        );
        // Every job has its own block: the workflow block reaches none.
        let own = "    permissions:\n      contents: read\n";
        assert_eq!(findings(&two_jobs(top, own, own)), vec![]);
        // One job: the workflow block is that job's.
        let one = format!("on: push\n{top}jobs:\n  a:\n{STEPS}");
        assert_eq!(findings(&one), vec![]);
    }

    #[test]
    fn read_all_and_write_all_are_reported_at_the_workflow_and_the_job() {
        assert_eq!(
            findings(&two_jobs("permissions: read-all\n", "", "")),
            vec![(2, Level::Medium)]
        );
        assert_eq!(
            findings(&two_jobs("permissions: write-all\n", "", "")),
            vec![(2, Level::High)]
        );
        let job = "    permissions: write-all\n";
        let text = two_jobs("permissions: {}\n", job, "    permissions: read-all\n");
        assert_eq!(findings(&text), vec![(5, Level::High), (10, Level::Medium)]);
    }

    #[test]
    fn write_all_of_a_one_job_workflow_is_reported_but_read_all_is_not() {
        let text = format!("on: push\npermissions: write-all\njobs:\n  a:\n{STEPS}");
        assert_eq!(findings(&text), vec![(2, Level::High)]);
        let text = format!("on: push\npermissions: read-all\njobs:\n  a:\n{STEPS}");
        assert_eq!(findings(&text), vec![]);
    }

    #[test]
    fn jobs_of_a_reusable_workflow_are_left_to_its_caller() {
        let text = format!(
            "on:\n  workflow_call:\njobs:\n  a:\n{STEPS}  b:\n    permissions: read-all\n{STEPS}  c:\n    uses: org/repo/.github/workflows/w.yml@0123456789012345678901234567890123456789\n"
        );
        // Only the reusable workflow call `c` is judged.
        assert_eq!(findings(&text), vec![(13, Level::Medium)]);
        // With a second trigger, the workflow runs on its own too.
        let text = format!("on:\n  workflow_call:\n  push:\njobs:\n  a:\n{STEPS}");
        assert_eq!(findings(&text), vec![(5, Level::Medium)]);
    }

    #[test]
    fn write_all_in_a_reusable_workflow_is_still_reported() {
        let text = format!("on: workflow_call\njobs:\n  a:\n    permissions: write-all\n{STEPS}");
        assert_eq!(findings(&text), vec![(4, Level::High)]);
    }

    #[test]
    fn flow_and_quoted_job_keys_are_found() {
        let text = "on: push\njobs:\n  \"a\":\n    runs-on: x\n    steps: [{run: echo}]\n  b: {runs-on: x, steps: [{run: echo}]}\n";
        assert_eq!(
            findings(text),
            vec![(1, Level::Medium), (3, Level::Medium), (6, Level::Medium)]
        );
    }

    #[test]
    fn a_zizmor_ignore_comment_silences_the_finding() {
        let text = format!(
            "on: push\npermissions: # zizmor: ignore[excessive-permissions]\n  contents: write # zizmor: ignore[excessive-permissions]\njobs:\n  a:\n{STEPS}  b:\n{STEPS}"
        );
        assert_eq!(findings(&text), vec![]);
    }
}
