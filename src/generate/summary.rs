//! What `gen-workflows` tells a user after a run: what the workflows were generated for, the
//! settings they will likely want to check, the choice about workflows they already have, and
//! the next commands. Pure text from the [`Outcome`](super::Outcome); the CLI prints it on
//! stderr (`--quiet` leaves it out).

use std::fmt::Write as _;

use super::Outcome;
use super::context::Context;
use super::existing::{self, Overlap};

/// The overlap report: which of ours do the job of which of theirs, what this run did about
/// it, and the commands for the other choice. `cmd` is how the user called the generator
/// (`slipway gen-workflows ../shop`). Empty when nothing overlaps.
pub fn overlaps(outcome: &Outcome, cmd: &str) -> String {
    let list = &outcome.overlaps;
    if list.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let mut ours: Vec<&str> = list.iter().map(|o| o.ours).collect();
    ours.dedup();
    if outcome.kept_theirs {
        let _ = writeln!(
            out,
            "kept your workflows; not generated: {} (yours do the same job):",
            ours.iter()
                .map(|o| format!("{o}.yml"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    } else {
        let _ = writeln!(
            out,
            "warning: both yours and ours will run (as chosen with --only, --replace or slipway.yml):"
        );
    }
    let width = list.iter().map(|o| o.ours.len()).max().unwrap_or(0) + 4;
    for Overlap {
        ours,
        theirs,
        finding,
    } in list
    {
        let _ = writeln!(
            out,
            "  {:<width$}  your {theirs} {} ({})",
            format!("{ours}.yml"),
            finding.kind.describe(),
            finding.evidence
        );
    }
    let mut theirs: Vec<&str> = list.iter().map(|o| o.theirs.as_str()).collect();
    theirs.sort_unstable();
    theirs.dedup();
    let keep = existing::keep_theirs(&outcome.selected, list);
    let _ = writeln!(
        out,
        "  use ours instead (yours removed in the same write):  {cmd} --replace {}",
        theirs.join(",")
    );
    if outcome.kept_theirs {
        let _ = writeln!(
            out,
            "  record the choice in slipway.yml (`slipway init` writes it):  workflows: {{ skip: [{}] }}",
            ours.join(", ")
        );
    } else if !keep.is_empty() {
        let _ = writeln!(out, "  keep yours only:  {cmd} --only {}", keep.join(","));
    }
    out
}

/// The closing summary: generated for what, the settings to check, the next commands.
pub fn next_steps(outcome: &Outcome, label: &str, cmd: &str) -> String {
    let ctx = &outcome.context;
    let mut out = String::new();
    let _ = writeln!(out, "\ngenerated {} for:", outcome.selected.join(", "));
    let _ = writeln!(out, "  units:         {}", units(ctx));
    let _ = writeln!(out, "  deployments:   {}", environments(ctx));
    let _ = writeln!(out, "settings to check:");
    let branch_source = outcome
        .derived
        .iter()
        .find(|d| d.key == "project.default-branch")
        .map(|d| format!(", from {}", d.source))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  default branch: {}{branch_source}",
        ctx.default_branch
    );
    let release = match ctx.release.trigger {
        "push" => format!(
            "on every push to {} (release.trigger: push)",
            ctx.default_branch
        ),
        "pr" => format!(
            "by merging the release pull request each push to {} updates (release.trigger: pr)",
            ctx.default_branch
        ),
        _ => "by hand, from the Actions tab (release.trigger: manual)".to_owned(),
    };
    let _ = writeln!(out, "  releases:       {release}");
    let _ = writeln!(out, "  services:       {}", services(ctx));
    let secrets = secrets(ctx);
    if !secrets.is_empty() {
        let _ = writeln!(
            out,
            "  secrets:        {} (add them under Settings > Secrets and variables > Actions)",
            secrets.join(", ")
        );
    }
    let _ = writeln!(out, "next:");
    let _ = writeln!(
        out,
        "  git add {label} && git commit -m \"ci: add the slipway pipeline\""
    );
    if outcome.config_file.is_none() {
        let _ = writeln!(
            out,
            "  slipway init   write slipway.yml to pin these settings and add deployments"
        );
    }
    let _ = writeln!(
        out,
        "  {cmd} --check   in CI: fail when the files drift from slipway.yml"
    );
    out
}

fn units(ctx: &Context) -> String {
    if ctx.units.is_empty() {
        return "none detected: ci runs no tests (set `ci.units` in slipway.yml)".to_owned();
    }
    ctx.units
        .iter()
        .map(|u| match &u.test_command {
            Some(cmd) => format!("{} (`{cmd}`)", u.label),
            None => format!("{} (no test command found)", u.label),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn environments(ctx: &Context) -> String {
    if ctx.environments.is_empty() {
        return "none: add environments and a deploy target to slipway.yml to deploy".to_owned();
    }
    ctx.environments
        .iter()
        .map(|e| {
            let when = match (e.trigger, &e.branch) {
                ("branch", Some(b)) => format!("on push to {b}"),
                ("release", _) => "on release".to_owned(),
                _ => "by hand".to_owned(),
            };
            let approval = if e.approval { ", approval" } else { "" };
            format!("{} ({}, {when}{approval})", e.name, e.strategy)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn services(ctx: &Context) -> String {
    let mut list: Vec<String> = Vec::new();
    for u in &ctx.units {
        for s in &u.ci.services {
            list.push(format!("{} for {}", s.image, u.label));
        }
    }
    if list.is_empty() {
        "none detected (tests that need a database: set `ci.services` in slipway.yml)".to_owned()
    } else {
        list.join(", ")
    }
}

fn secrets(ctx: &Context) -> Vec<String> {
    let mut all: Vec<String> = ctx
        .units
        .iter()
        .flat_map(|u| u.ci.secrets.iter().cloned())
        .chain(
            ctx.environments
                .iter()
                .flat_map(|e| e.secrets.iter().cloned()),
        )
        .chain(ctx.notify.secrets.iter().cloned())
        .collect();
    all.sort();
    all.dedup();
    all
}
