//! SARIF 2.1.0 for GitHub code scanning: one run per part (secrets, dependencies,
//! workflows), rules with help text and `security-severity`, stable `partialFingerprints`,
//! and GitHub's ingestion limits respected.
//!
//! Limits (<https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning#file-limits>):
//! at most 25,000 results per run (only the first 5,000 are shown, so results come most
//! severe first), at most 20 runs, and 10 MB per file gzip-compressed. The file is kept under
//! 10 MB before compression, which bounds the compressed size; results cut to fit are counted
//! in the run's notifications and in [`Sarif::dropped`].

use serde_json::{Value, json};

use crate::security::{Finding, Kind, Level, Outcome, PartState};

/// The most results GitHub accepts in one run.
pub const MAX_RESULTS_PER_RUN: usize = 25_000;
/// The most bytes written; the gzip-compressed upload limit is 10 MB.
pub const MAX_BYTES: usize = 10_000_000;

/// The schema URI the file declares.
pub const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// A rendered SARIF log.
#[derive(Debug)]
pub struct Sarif {
    /// The JSON text.
    pub text: String,
    /// Results left out to respect the limits, per part.
    pub dropped: Vec<(Kind, usize)>,
}

/// A rule as SARIF describes it.
struct RuleMeta {
    id: String,
    name: String,
    help: String,
    level: Level,
}

/// `error` for high and critical, `warning` for medium, `note` for low.
pub fn sarif_level(level: Level) -> &'static str {
    match level {
        Level::Critical | Level::High => "error",
        Level::Medium => "warning",
        Level::Low => "note",
    }
}

/// GitHub's `security-severity` score for a level (critical > 9, high 7-8.9, medium 4-6.9).
fn security_severity(level: Level) -> &'static str {
    match level {
        Level::Critical => "9.5",
        Level::High => "8.0",
        Level::Medium => "5.5",
        Level::Low => "2.0",
    }
}

fn rules_for(kind: Kind, findings: &[&Finding]) -> Vec<RuleMeta> {
    let mut out: Vec<RuleMeta> = match kind {
        Kind::Secret => crate::security::secrets::rules::RULES
            .iter()
            .map(|r| RuleMeta {
                id: r.id.into(),
                name: r.name.into(),
                help: r.help.into(),
                level: r.level,
            })
            .collect(),
        Kind::Workflow => crate::security::workflows::RULES
            .iter()
            .map(|r| RuleMeta {
                id: r.id.into(),
                name: r.name.into(),
                help: r.help.into(),
                level: Level::High,
            })
            .collect(),
        Kind::Dependency => Vec::new(),
        Kind::License => crate::security::licenses::RULES
            .iter()
            .map(|(id, name, help)| RuleMeta {
                id: (*id).into(),
                name: (*name).into(),
                help: (*help).into(),
                level: Level::High,
            })
            .collect(),
    };
    // Advisories are rules of their own; so is any id a part reports that is not listed.
    for f in findings {
        if out.iter().any(|r| r.id == f.rule) {
            continue;
        }
        let (name, help) = match &f.advisory {
            Some(a) => (
                a.summary
                    .clone()
                    .unwrap_or_else(|| format!("{} in {}", a.id, a.package)),
                match &a.fixed {
                    Some(v) => format!(
                        "Upgrade `{}` to {v} or later. Advisory: {}{}",
                        a.package,
                        a.id,
                        aliases(&a.aliases)
                    ),
                    None => format!(
                        "No fixed version of `{}` is known: replace it or accept the risk in `security.allow`. Advisory: {}{}",
                        a.package,
                        a.id,
                        aliases(&a.aliases)
                    ),
                },
            ),
            None => (f.rule.clone(), f.message.clone()),
        };
        out.push(RuleMeta {
            id: f.rule.clone(),
            name,
            help,
            level: f.level,
        });
    }
    out
}

fn aliases(a: &[String]) -> String {
    if a.is_empty() {
        String::new()
    } else {
        format!(" ({})", a.join(", "))
    }
}

fn result(f: &Finding, rule_index: usize) -> Value {
    let mut region = json!({ "startLine": f.line.max(1) });
    if let Some(c) = f.column {
        region["startColumn"] = json!(c.max(1));
    }
    if let Some(e) = &f.excerpt {
        region["snippet"] = json!({ "text": e });
    }
    let mut message = f.message.clone();
    if let Some(a) = &f.advisory {
        message = format!(
            "{} {} is affected by {}{}{}",
            a.package,
            a.version,
            a.id,
            aliases(&a.aliases),
            a.fixed
                .as_ref()
                .map_or_else(String::new, |v| format!("; fixed in {v}"))
        );
    }
    let mut r = json!({
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": sarif_level(f.level),
        "message": { "text": message },
        "locations": [{
            "physicalLocation": {
                "artifactLocation": { "uri": uri(&f.file), "uriBaseId": "%SRCROOT%" },
                "region": region,
            }
        }],
        "partialFingerprints": { "slipwayFingerprint/v1": f.fingerprint },
        "properties": { "severity": f.level.as_str() },
    });
    if let Some(c) = &f.commit {
        r["properties"]["commit"] = json!(c);
    }
    r
}

/// A relative path as a URI reference: `%`, spaces and other reserved bytes escaped.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~' | b'@' | b'+')
        {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn run(kind: Kind, findings: &[&Finding], state: &PartState, keep: usize) -> (Value, usize) {
    let rules = rules_for(kind, findings);
    let rule_values: Vec<Value> = rules
        .iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.id,
                "shortDescription": { "text": r.name },
                "fullDescription": { "text": r.name },
                "help": { "text": r.help, "markdown": r.help },
                "defaultConfiguration": { "level": sarif_level(r.level) },
                "properties": {
                    "tags": ["security", kind.part()],
                    "security-severity": security_severity(r.level),
                    "precision": "high",
                },
            })
        })
        .collect();
    let kept = findings.len().min(keep);
    let results: Vec<Value> = findings[..kept]
        .iter()
        .map(|f| {
            let index = rules.iter().position(|r| r.id == f.rule).unwrap_or(0);
            result(f, index)
        })
        .collect();
    let dropped = findings.len() - kept;
    let mut notifications = Vec::new();
    if dropped > 0 {
        notifications.push(json!({
            "level": "warning",
            "message": { "text": format!("{dropped} of {} results were left out to stay within GitHub's code scanning limits; the least severe went first", findings.len()) },
        }));
    }
    if let PartState::NotChecked(reason) | PartState::Incomplete(reason) = state {
        let word = if matches!(state, PartState::NotChecked(_)) {
            "not checked"
        } else {
            "incomplete"
        };
        notifications.push(json!({
            "level": "error",
            "message": { "text": format!("{word}: {reason}") },
        }));
    }
    let mut invocation = json!({
        "executionSuccessful": !matches!(state, PartState::NotChecked(_) | PartState::Incomplete(_))
    });
    if !notifications.is_empty() {
        invocation["toolExecutionNotifications"] = Value::Array(notifications);
    }
    let value = json!({
        "tool": {
            "driver": {
                "name": format!("slipway-{}", kind.part()),
                "fullName": format!("slipway security-scan ({})", kind.part()),
                "version": crate::VERSION,
                "semanticVersion": crate::VERSION,
                "informationUri": "https://github.com/slipway-ci/slipway",
                "rules": rule_values,
            }
        },
        "automationDetails": { "id": format!("slipway-security-scan/{}/", kind.part()) },
        "invocations": [invocation],
        "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "The repository root" } } },
        "results": results,
        "columnKind": "utf16CodeUnits",
    });
    (value, dropped)
}

/// The SARIF log of a scan: one run per part that ran or could not run (disabled parts
/// have no run), results most severe first, cut to GitHub's limits.
pub fn render(outcome: &Outcome) -> Sarif {
    let mut keep = MAX_RESULTS_PER_RUN;
    loop {
        let mut runs = Vec::new();
        let mut dropped = Vec::new();
        for part in &outcome.parts {
            if part.state == PartState::Disabled {
                continue;
            }
            let findings: Vec<&Finding> = outcome
                .findings
                .iter()
                .filter(|f| f.kind == part.kind)
                .collect();
            let (value, n) = run(part.kind, &findings, &part.state, keep);
            if n > 0 {
                dropped.push((part.kind, n));
            }
            runs.push(value);
        }
        let log = json!({ "$schema": SCHEMA, "version": "2.1.0", "runs": runs });
        let text = serde_json::to_string(&log).unwrap_or_else(|_| "{}".to_owned());
        if text.len() <= MAX_BYTES || keep == 0 {
            return Sarif { text, dropped };
        }
        // Too large: keep fewer results per run until it fits.
        keep = keep.min(outcome.findings.len()) * 3 / 4;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Severity;
    use crate::security::Part;

    fn finding(i: usize, level: Level) -> Finding {
        Finding {
            kind: Kind::Workflow,
            rule: "unpinned-action".into(),
            level,
            file: format!(".github/workflows/w {i}.yml"),
            line: 3,
            column: None,
            message: "m".repeat(200),
            excerpt: Some("uses: x/y@v1".into()),
            commit: None,
            fingerprint: format!("{i:032x}"),
            legacy_fingerprint: None,
            advisory: None,
        }
    }

    fn outcome(n: usize) -> Outcome {
        Outcome {
            findings: (0..n)
                .map(|i| finding(i, if i < 10 { Level::High } else { Level::Low }))
                .collect(),
            skipped: Vec::new(),
            parts: vec![
                Part {
                    kind: Kind::Secret,
                    state: PartState::Checked,
                    scope: String::new(),
                },
                Part {
                    kind: Kind::Dependency,
                    state: PartState::NotChecked("offline".into()),
                    scope: String::new(),
                },
                Part {
                    kind: Kind::Workflow,
                    state: PartState::Checked,
                    scope: String::new(),
                },
            ],
            allowed: 0,
            baselined: 0,
            bytes: 0,
            fail_on: Severity::High,
            foreign_workflows: Vec::new(),
            notices: Vec::new(),
        }
    }

    #[test]
    fn one_run_per_part_with_rules_and_fingerprints() {
        let s = render(&outcome(2));
        let v: Value = serde_json::from_str(&s.text).unwrap();
        assert_eq!(v["version"], "2.1.0");
        let runs = v["runs"].as_array().unwrap();
        assert_eq!(runs.len(), 3);
        let wf = &runs[2];
        assert_eq!(wf["tool"]["driver"]["name"], "slipway-workflows");
        let r = &wf["results"][0];
        assert_eq!(r["level"], "error");
        let idx = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(wf["tool"]["driver"]["rules"][idx]["id"], "unpinned-action");
        assert_eq!(
            r["partialFingerprints"]["slipwayFingerprint/v1"],
            format!("{:032x}", 0)
        );
        assert_eq!(
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            ".github/workflows/w%200.yml"
        );
        assert_eq!(runs[1]["invocations"][0]["executionSuccessful"], false);
    }

    #[test]
    fn results_over_the_run_limit_are_cut_least_severe_first_and_said() {
        let s = render(&outcome(MAX_RESULTS_PER_RUN + 5));
        assert_eq!(s.dropped.len(), 1);
        assert!(s.dropped[0].1 >= 5, "{:?}", s.dropped);
        assert!(s.text.len() <= MAX_BYTES);
        let v: Value = serde_json::from_str(&s.text).unwrap();
        let results = v["runs"][2]["results"].as_array().unwrap();
        assert_eq!(results.len(), MAX_RESULTS_PER_RUN + 5 - s.dropped[0].1);
        assert_eq!(results[0]["level"], "error");
        let note =
            &v["runs"][2]["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"];
        assert!(
            note.as_str()
                .unwrap()
                .contains(&format!("{} of", s.dropped[0].1)),
            "{note}"
        );
    }
}
