//! How a scan is shown: the terminal listing, `--json`, the step summary, annotations and
//! step outputs. Findings hold only redacted excerpts, so nothing here can print a secret.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::github::{self, Annotation, Emitted, Priority, Runtime, Summary};
use crate::security::{Finding, Kind, Level, Outcome, PartState};

/// `none` or the most severe level found.
pub fn highest(outcome: &Outcome) -> &'static str {
    outcome.highest().map_or("none", Level::as_str)
}

/// The `--json` document: `{"findings": [...], "counts": {...}, "highest": ..., "failed":
/// ..., "parts": [...], "skipped": [...]}`.
pub fn json(outcome: &Outcome, sarif: Option<&str>) -> Value {
    let counts: serde_json::Map<String, Value> = Level::ALL
        .iter()
        .map(|l| (l.as_str().to_owned(), json!(outcome.count(*l))))
        .collect();
    json!({
        "findings": outcome.findings,
        "counts": counts,
        "highest": highest(outcome),
        "failed": outcome.failed(),
        "fail-on": outcome.fail_on,
        "allowed": outcome.allowed,
        "baselined": outcome.baselined,
        "parts": outcome.parts,
        "skipped": outcome.skipped,
        "sarif": sarif,
    })
}

fn location(f: &Finding) -> String {
    match f.column {
        Some(c) => format!("{}:{}:{c}", f.file, f.line),
        None => format!("{}:{}", f.file, f.line),
    }
}

/// The listing for a terminal: one line per finding, then the parts and the verdict.
pub fn text(outcome: &Outcome) -> String {
    let mut out = String::new();
    for f in &outcome.findings {
        let _ = write!(
            out,
            "{:<8}  {:<10}  {}  {}  {}",
            f.level.as_str(),
            f.kind.as_str(),
            f.rule,
            location(f),
            f.message
        );
        if let Some(e) = &f.excerpt {
            let _ = write!(out, "  [{e}]");
        }
        out.push('\n');
    }
    if !outcome.findings.is_empty() {
        out.push('\n');
    }
    for p in &outcome.parts {
        let state = match &p.state {
            PartState::Checked => format!("checked {}", p.scope),
            PartState::Disabled => "disabled".to_owned(),
            PartState::NotChecked(reason) => format!("NOT CHECKED: {reason}"),
            PartState::Incomplete(reason) => format!("INCOMPLETE: {} ({reason})", p.scope),
        };
        let _ = writeln!(out, "{:<13} {state}", format!("{}:", p.kind.part()));
    }
    if !outcome.skipped.is_empty() {
        let _ = writeln!(
            out,
            "skipped:      {} files (see --json)",
            outcome.skipped.len()
        );
    }
    let _ = writeln!(out, "{}", verdict(outcome));
    out
}

/// When a scan fails: how to accept the findings it has today and fail only on new ones, and
/// which of them sit in workflows slipway did not generate (a repository's older workflows,
/// audited on the first run of the generated pipeline). `None` when the scan passed.
pub fn accept_hint(outcome: &Outcome) -> Option<String> {
    if !outcome.failed() {
        return None;
    }
    let mut hint = String::new();
    if !outcome.foreign_workflows.is_empty() {
        let files: Vec<String> = outcome
            .foreign_workflows
            .iter()
            .take(5)
            .map(|f| format!("`{f}`"))
            .collect();
        let more = outcome.foreign_workflows.len().saturating_sub(5);
        let _ = write!(
            hint,
            "findings in workflows slipway did not generate ({}{}) count toward fail-on too; fix them (pin each action to a full commit SHA), or ",
            files.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    } else {
        hint.push_str("fix the findings, or ");
    }
    hint.push_str(
        "accept today's findings and fail only on new ones: run `slipway security-scan baseline`, commit the `.slipway/security-baseline.json` it writes and set `security.baseline: .slipway/security-baseline.json` in slipway.yml; or list `security.allow` entries with a reason",
    );
    Some(hint)
}

/// One sentence: counts, the policy, pass or fail.
pub fn verdict(outcome: &Outcome) -> String {
    let counts: Vec<String> = Level::ALL
        .iter()
        .map(|l| format!("{} {}", outcome.count(*l), l.as_str()))
        .collect();
    let mut s = format!(
        "{} findings ({})",
        outcome.findings.len(),
        counts.join(", ")
    );
    if outcome.allowed > 0 {
        let _ = write!(s, ", {} allowed", outcome.allowed);
    }
    if outcome.baselined > 0 {
        let _ = write!(s, ", {} in the baseline", outcome.baselined);
    }
    let policy = serde_json::to_value(outcome.fail_on)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    if outcome.failed() {
        let _ = write!(s, ": failed (fail-on: {policy})");
    } else {
        let _ = write!(s, ": passed (fail-on: {policy})");
    }
    s
}

/// The step summary: the verdict, a count table by kind and severity, one table per kind,
/// what was not checked.
pub fn summary(
    outcome: &Outcome,
    sarif: Option<&str>,
    unannotated: usize,
    dropped: &[(Kind, usize)],
) -> Summary {
    let mut s = Summary::new();
    let icon = if outcome.failed() { "❌" } else { "✅" };
    let mut head = format!("**{icon} {}**", verdict(outcome));
    if let Some(p) = sarif {
        let _ = write!(head, "\n\nSARIF: `{p}`");
    }
    let not_checked: Vec<String> = outcome
        .parts
        .iter()
        .filter_map(|p| match &p.state {
            PartState::NotChecked(r) => {
                Some(format!("- ⚠️ **{} not checked**: {r}", p.kind.part()))
            }
            PartState::Incomplete(r) => Some(format!("- ⚠️ **{} incomplete**: {r}", p.kind.part())),
            _ => None,
        })
        .collect();
    if !not_checked.is_empty() {
        head.push_str("\n\n");
        head.push_str(&not_checked.join("\n"));
    }
    if let Some(hint) = accept_hint(outcome) {
        head.push_str("\n\n**How to pass:** ");
        head.push_str(&hint);
    }
    let rows: Vec<Vec<String>> = outcome
        .parts
        .iter()
        .map(|p| {
            let mut row = vec![p.kind.part().to_owned()];
            for l in Level::ALL {
                let n = outcome
                    .findings
                    .iter()
                    .filter(|f| f.kind == p.kind && f.level == l)
                    .count();
                row.push(n.to_string());
            }
            row.push(match &p.state {
                PartState::Checked => p.scope.clone(),
                PartState::Disabled => "disabled".into(),
                PartState::NotChecked(_) => "not checked".into(),
                PartState::Incomplete(_) => format!("incomplete: {}", p.scope),
            });
            row
        })
        .collect();
    s.section(Priority::High, Some("Security scan"))
        .text(&head)
        .table(
            &["part", "critical", "high", "medium", "low", "scope"],
            &rows,
        );
    for kind in Kind::ALL {
        for level in Level::ALL {
            let rows: Vec<Vec<String>> = outcome
                .findings
                .iter()
                .filter(|f| f.kind == kind && f.level == level)
                .map(|f| {
                    vec![
                        f.rule.clone(),
                        format!("`{}`", location(f)),
                        f.message.clone(),
                        f.excerpt
                            .as_ref()
                            .map(|e| format!("`{}`", e.replace('`', "'")))
                            .unwrap_or_default(),
                    ]
                })
                .collect();
            if rows.is_empty() {
                continue;
            }
            let priority = if level >= Level::High {
                Priority::Normal
            } else {
                Priority::Low
            };
            let title = format!("{} · {} ({})", kind.part(), level.as_str(), rows.len());
            s.section(priority, Some(&title))
                .table(&["rule", "location", "finding", "excerpt"], &rows);
        }
    }
    let mut notes = Vec::new();
    if unannotated > 0 {
        notes.push(format!("- {unannotated} findings are not annotated inline (GitHub shows at most 10 annotations per level and step); all are listed above"));
    }
    for (kind, n) in dropped {
        notes.push(format!("- {n} {} results were left out of the SARIF file to stay within GitHub's code scanning limits (least severe first)", kind.part()));
    }
    if !notes.is_empty() {
        s.section(Priority::High, Some("Limits"))
            .text(&notes.join("\n"));
    }
    if !outcome.skipped.is_empty() {
        let rows: Vec<Vec<String>> = outcome
            .skipped
            .iter()
            .map(|k| {
                vec![
                    match k.line {
                        Some(l) => format!("`{}:{l}`", k.file),
                        None => format!("`{}`", k.file),
                    },
                    k.reason.clone(),
                ]
            })
            .collect();
        s.section(Priority::Low, Some("Not checked"))
            .table(&["file", "why"], &rows);
    }
    s
}

/// The step outputs, by name.
pub fn outputs(outcome: &Outcome, sarif: Option<&str>) -> Vec<(&'static str, String)> {
    vec![
        ("findings", outcome.findings.len().to_string()),
        ("critical", outcome.count(Level::Critical).to_string()),
        ("high", outcome.count(Level::High).to_string()),
        ("medium", outcome.count(Level::Medium).to_string()),
        ("low", outcome.count(Level::Low).to_string()),
        ("highest-severity", highest(outcome).to_owned()),
        ("sarif", sarif.unwrap_or_default().to_owned()),
    ]
}

/// Writes outputs, annotations (within the per-step caps) and the summary.
pub fn publish(
    rt: &Runtime,
    outcome: &Outcome,
    sarif: Option<&str>,
    dropped: &[(Kind, usize)],
) -> Result<(), github::Error> {
    for (name, value) in outputs(outcome, sarif) {
        rt.set_output(name, &value)?;
    }
    let mut unannotated = 0usize;
    for f in &outcome.findings {
        let message = match &f.excerpt {
            Some(e) if f.kind == Kind::Secret => format!("{} [{e}]", f.message),
            _ => f.message.clone(),
        };
        let a = match f.level {
            Level::Critical | Level::High => Annotation::error(message),
            Level::Medium => Annotation::warning(message),
            Level::Low => Annotation::notice(message),
        };
        let mut a = a
            .title(format!(
                "{} {}: {}",
                f.level.as_str(),
                f.kind.as_str(),
                f.rule
            ))
            .at(f.file.clone(), f.line.max(1));
        if let Some(c) = f.column {
            a = a.col(c);
        }
        if let Emitted::Overflow(_) = rt.annotate(a) {
            unannotated += 1;
        }
    }
    for p in &outcome.parts {
        if let PartState::NotChecked(reason) = &p.state {
            rt.annotate(
                Annotation::warning(format!("{} not checked: {reason}", p.kind.part()))
                    .title("slipway security-scan"),
            );
        }
        if let PartState::Incomplete(reason) = &p.state {
            rt.annotate(
                Annotation::error(format!("{} incomplete: {reason}", p.kind.part()))
                    .title("slipway security-scan"),
            );
        }
    }
    rt.write_summary(&summary(outcome, sarif, unannotated, dropped))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Severity;
    use crate::security::{Part, Skipped};

    fn outcome(n: usize) -> Outcome {
        Outcome {
            findings: (0..n)
                .map(|i| Finding {
                    kind: Kind::Secret,
                    rule: "github-token".into(),
                    level: Level::Critical,
                    file: format!("f{i}.env"),
                    line: 1,
                    column: Some(3),
                    message: "GitHub token found".into(),
                    excerpt: Some("ghp_****".into()),
                    commit: None,
                    fingerprint: format!("{i:032x}"),
                    legacy_fingerprint: None,
                    advisory: None,
                })
                .collect(),
            skipped: vec![Skipped {
                file: "logo.png".into(),
                line: None,
                reason: "binary".into(),
            }],
            parts: vec![Part {
                kind: Kind::Dependency,
                state: PartState::NotChecked("offline".into()),
                scope: String::new(),
            }],
            allowed: 1,
            baselined: 2,
            bytes: 0,
            fail_on: Severity::High,
            foreign_workflows: Vec::new(),
            notices: Vec::new(),
        }
    }

    #[test]
    fn annotations_stop_at_the_cap_and_the_summary_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::for_test(dir.path()).unwrap();
        publish(&rt, &outcome(12), Some("out.sarif"), &[(Kind::Secret, 3)]).unwrap();
        let log = rt.captured();
        assert_eq!(
            log.matches("::error title=critical secret").count(),
            10,
            "{log}"
        );
        assert!(
            log.contains(
                "::warning title=slipway security-scan::dependencies not checked: offline"
            ),
            "{log}"
        );
        let summary = std::fs::read_to_string(dir.path().join("summary")).unwrap();
        assert!(
            summary.contains("2 findings are not annotated inline"),
            "{summary}"
        );
        assert!(
            summary.contains("3 secrets results were left out of the SARIF file"),
            "{summary}"
        );
        assert!(summary.contains("| `logo.png` | binary |"), "{summary}");
        assert!(
            summary.contains("1 allowed, 2 in the baseline"),
            "{summary}"
        );
        let outputs = std::fs::read_to_string(dir.path().join("output")).unwrap();
        assert!(
            outputs.contains("sarif=out.sarif\n") && outputs.contains("findings=12\n"),
            "{outputs}"
        );
    }

    #[test]
    fn json_has_the_documented_top_level_shape() {
        let v = json(&outcome(1), None);
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        for k in [
            "findings", "counts", "highest", "failed", "parts", "skipped",
        ] {
            assert!(keys.contains(&k), "{keys:?}");
        }
        let f = &v["findings"][0];
        assert_eq!(f["kind"], "secret");
        assert_eq!(f["file"], "f0.env");
        assert_eq!(f["line"], 1);
        assert!(f.get("commit").is_none());
        assert_eq!(v["parts"][0]["state"], "not-checked");
        assert_eq!(v["parts"][0]["reason"], "offline");
    }
}
