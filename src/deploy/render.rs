//! Human renderings of deploy results: the `deploy status` text and the job summary.

use std::fmt::Write as _;

use super::journal::Entry;
use super::lock::Holder;
use super::{Live, Outcome, Record};
use crate::config::Strategy;
use crate::github::{Priority, Summary};

/// The text of `slipway deploy status`.
pub fn status(
    environment: &str,
    target: &str,
    live: &Live,
    lock: Option<&Holder>,
    interrupted: Option<&Entry>,
    history: &[Record],
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "environment: {environment} ({target} target)");
    let _ = writeln!(
        out,
        "live:        {}{}",
        live.version.as_deref().unwrap_or("nothing deployed"),
        live.color.map(|c| format!(" ({c})")).unwrap_or_default()
    );
    if let Some(url) = &live.url {
        let _ = writeln!(out, "url:         {url}");
    }
    if let Some(d) = &live.disagreement {
        let _ = writeln!(out, "warning:     {d}");
    }
    if live.instances.is_empty() {
        let _ = writeln!(out, "instances:   none");
    } else {
        let _ = writeln!(out, "instances:");
        for i in &live.instances {
            let weight = i
                .weight
                .map(|w| format!("  weight {w}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {:<10} {:<22} {}{weight}",
                i.name, i.address, i.version
            );
        }
    }
    if !live.retained.is_empty() {
        let _ = writeln!(out, "retained:    {}", live.retained.join(", "));
    }
    if let Some(h) = lock {
        let _ = writeln!(out, "locked by:   {}", h.describe());
    }
    if let Some(e) = interrupted {
        let _ = writeln!(
            out,
            "interrupted: {} of {} at step `{}` (the next deploy or rollback recovers it)",
            e.change.operation.as_str(),
            e.change.version,
            e.phase
        );
    }
    if history.is_empty() {
        let _ = writeln!(out, "history:     none");
    } else {
        let _ = writeln!(out, "history (newest first):");
        for r in history.iter().rev() {
            let reason = r
                .reason
                .as_deref()
                .map(|x| format!("  {x}"))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {}  {:<8} {:<14} {:<11} {}{reason}",
                r.started,
                r.change.operation.as_str(),
                r.change.version,
                r.outcome.as_str(),
                r.change.actor
            );
        }
    }
    out
}

/// The job summary of a deploy or rollback.
pub fn summary(
    summary: &mut Summary,
    environment: &str,
    strategy: Option<Strategy>,
    outcome: &Outcome,
) {
    let what = match strategy {
        Some(Strategy::Rolling) => "Deploy (rolling)",
        Some(Strategy::BlueGreen) => "Deploy (blue-green)",
        Some(Strategy::Canary) => "Deploy (canary)",
        None => "Rollback",
    };
    let title = format!("{what} to {environment}: {}", outcome.status.as_str());
    let mut text = String::new();
    let _ = writeln!(
        text,
        "| | |\n|---|---|\n| live version | `{}` |\n| previous version | `{}` |",
        outcome.live.version.as_deref().unwrap_or("none"),
        outcome.previous.as_deref().unwrap_or("none")
    );
    if let Some(c) = outcome.live.color {
        let _ = writeln!(text, "| live colour | {c} |");
    }
    if let Some(url) = &outcome.live.url {
        let _ = writeln!(text, "| url | {url} |");
    }
    if let Some(r) = &outcome.reason {
        let _ = writeln!(text, "\n**Why:** {r}");
    }
    summary.section(Priority::High, Some(&title)).text(&text);
    if !outcome.steps.is_empty() {
        let steps: String = outcome
            .steps
            .iter()
            .enumerate()
            .map(|(i, s)| format!("{}. {s}\n", i + 1))
            .collect();
        summary.section(Priority::Low, Some("Steps")).text(&steps);
    }
}
