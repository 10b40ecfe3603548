//! Blue-green on hosts: start the new colour beside the live one, health-check and smoke-test
//! it directly, switch nginx to it in one reload, drain the old colour while watching the new
//! one (and switch back if it fails), then stop the old colour; its version stays retained for
//! an instant rollback. A rollback is this same switch to a retained version.

use std::time::Duration;

use serde_json::json;

use super::Hosts;
use super::runner::Proc;
use crate::deploy::journal::Entry;
use crate::deploy::{Color, Error, Journal, Outcome, Progress, Request, Status};

/// Deploys `request` with the blue-green strategy.
pub fn deploy(
    h: &Hosts,
    state: &mut super::State,
    request: &Request,
    entry: &mut Entry,
    journal: &Journal<'_>,
    progress: &mut dyn Progress,
) -> Result<Outcome, Error> {
    let previous = state.live.clone();
    let old = live_names(state);
    let color = if old.is_empty() && state.live_color.is_none() {
        Some(Color::Blue)
    } else {
        Some(state.live_color.map_or(Color::Green, Color::other))
    };
    let new = match prepare(h, state, request, color, &old, entry, journal, progress)? {
        Ok(new) => new,
        Err(why) => {
            return Ok(h.outcome(state, Status::Failure, previous, Some(why), Vec::new()));
        }
    };
    switch(
        h, state, request, entry, journal, progress, &new, &old, previous,
    )
}

/// The instances that take traffic, by port.
pub(super) fn live_names(state: &super::State) -> Vec<String> {
    let mut live: Vec<&Proc> = state.instances.iter().filter(|p| p.in_lb).collect();
    live.sort_by_key(|p| p.port);
    live.iter().map(|p| p.name.clone()).collect()
}

/// Stops leftovers that take no traffic, starts the new instances, checks their health and
/// runs the smoke tests. `Ok(Err(why))`: they failed and were stopped; the live version was
/// never touched.
#[allow(clippy::too_many_arguments)]
pub(super) fn prepare(
    h: &Hosts,
    state: &mut super::State,
    request: &Request,
    color: Option<Color>,
    old: &[String],
    entry: &mut Entry,
    journal: &Journal<'_>,
    progress: &mut dyn Progress,
) -> Result<Result<Vec<String>, String>, Error> {
    let leftovers: Vec<String> = state
        .instances
        .iter()
        .filter(|p| !p.in_lb)
        .map(|p| p.name.clone())
        .collect();
    if !leftovers.is_empty() {
        progress.step(&format!(
            "stopping {} instance(s) without traffic",
            leftovers.len()
        ));
        h.stop(state, &leftovers)?;
    }
    journal.advance(entry, "starting", json!({ "old": old }))?;
    let new = match h.start_many(state, &request.version, color, h.instances, progress) {
        Ok(n) => n,
        Err(e) => {
            abandon(h, state, &request.version)?;
            journal.clear()?;
            return Err(e);
        }
    };
    journal.advance(entry, "checking", json!({ "old": old, "new": new }))?;
    let checked = h.check_health(state, &new, &request.health).and_then(|()| {
        progress.step(&format!("{} healthy", new.join(", ")));
        if request.smoke.is_empty() {
            Ok(())
        } else {
            h.smoke(state, &new, &request.smoke, &request.health)
                .map(|()| progress.step("smoke tests passed"))
        }
    });
    if let Err(why) = checked {
        progress.step(&why);
        h.stop(state, &new)?;
        journal.clear()?;
        return Ok(Err(why));
    }
    Ok(Ok(new))
}

/// Stops every instance of `version` that takes no traffic.
fn abandon(h: &Hosts, state: &mut super::State, version: &str) -> Result<(), Error> {
    let names: Vec<String> = state
        .instances
        .iter()
        .filter(|p| !p.in_lb && p.version == version)
        .map(|p| p.name.clone())
        .collect();
    h.stop(state, &names)
}

/// Moves all traffic from `old` to `new` in one reload, drains `old` while watching `new`,
/// switches back if `new` fails, else stops `old`.
#[allow(clippy::too_many_arguments)]
pub(super) fn switch(
    h: &Hosts,
    state: &mut super::State,
    request: &Request,
    entry: &mut Entry,
    journal: &Journal<'_>,
    progress: &mut dyn Progress,
    new: &[String],
    old: &[String],
    previous: Option<String>,
) -> Result<Outcome, Error> {
    let data = json!({ "old": old, "new": new });
    journal.advance(entry, "switching", data.clone())?;
    let old_color = state.live_color;
    for p in &mut state.instances {
        p.in_lb = new.contains(&p.name);
        p.weight = None;
    }
    if let Err(e) = h.apply(state, &request.version) {
        // nginx kept (or got back) the previous upstream file: the old instances serve.
        for p in &mut state.instances {
            p.in_lb = old.contains(&p.name);
        }
        h.save(state)?;
        h.stop(state, new)?;
        journal.clear()?;
        return Err(e);
    }
    state.live = Some(request.version.clone());
    state.live_color = Hosts::procs(state, new).first().and_then(|p| p.color);
    h.save(state)?;
    progress.step(&format!(
        "all traffic on {}{}",
        request.version,
        state
            .live_color
            .map(|c| format!(" ({c})"))
            .unwrap_or_default()
    ));
    if old.is_empty() {
        return Ok(h.outcome(state, Status::Success, previous, None, Vec::new()));
    }
    if h.background_drain {
        // A rollback: the colour that lost the traffic is the one being rolled back from.
        // Traffic is back now; it drains and stops in a detached process the next run
        // waits for, so the command returns at once.
        journal.advance(entry, "stopping-old", data)?;
        h.stop_later(state, old, request.health.drain)?;
        progress.step(&format!(
            "stopping {} in the background after a {}s drain",
            old.join(", "),
            request.health.drain.as_secs_f32()
        ));
        return Ok(h.outcome(state, Status::Success, previous, None, Vec::new()));
    }
    journal.advance(entry, "draining", data.clone())?;
    progress.step(&format!(
        "draining the old instances for {}s while watching the new ones",
        request.health.drain.as_secs_f32()
    ));
    if let Err(why) = h.watch(state, new, request.health.drain, &request.health) {
        progress.step(&why);
        for p in &mut state.instances {
            p.in_lb = old.contains(&p.name);
        }
        h.apply(state, previous.as_deref().unwrap_or("previous"))?;
        state.live = previous.clone();
        state.live_color = old_color;
        h.save(state)?;
        progress.step(&format!(
            "traffic back on {}",
            previous.as_deref().unwrap_or("the previous version")
        ));
        // The failed colour stops in the background: the traffic is back, nothing waits on it.
        h.stop_later(state, new, Duration::ZERO)?;
        return Ok(h.outcome(state, Status::RolledBack, previous, Some(why), Vec::new()));
    }
    journal.advance(entry, "stopping-old", data)?;
    h.stop(state, old)?;
    progress.step(&format!("stopped {}", old.join(", ")));
    Ok(h.outcome(state, Status::Success, previous, None, Vec::new()))
}
