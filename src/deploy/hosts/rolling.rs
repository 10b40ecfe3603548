//! Rolling on hosts: replace the live instances in batches that honour `max-surge` (extra
//! instances while a batch starts) and `max-unavailable` (instances out of nginx at once).
//! Each batch: start the surge part on free ports and check it, then in one reload add it and
//! take the batch's old instances out, let them drain, stop them, and start and check the rest
//! of the batch on the freed ports. The first unhealthy batch stops the rollout and the old
//! version is restored on the instances already replaced.

use serde_json::json;

use super::Hosts;
use crate::deploy::journal::Entry;
use crate::deploy::{Error, Journal, Outcome, Progress, Request, Status};

/// Deploys `request` with the rolling strategy.
pub fn deploy(
    h: &Hosts,
    state: &mut super::State,
    request: &Request,
    entry: &mut Entry,
    journal: &Journal<'_>,
    progress: &mut dyn Progress,
) -> Result<Outcome, Error> {
    let previous = state.live.clone();
    let old = super::bluegreen::live_names(state);
    if old.is_empty() {
        // Nothing to replace: start, check and switch in one go.
        let new = match super::bluegreen::prepare(
            h,
            state,
            request,
            None,
            &[],
            entry,
            journal,
            progress,
        )? {
            Ok(n) => n,
            Err(why) => {
                return Ok(h.outcome(state, Status::Failure, previous, Some(why), Vec::new()));
            }
        };
        return super::bluegreen::switch(
            h,
            state,
            request,
            entry,
            journal,
            progress,
            &new,
            &[],
            previous,
        );
    }
    let leftovers: Vec<String> = state
        .instances
        .iter()
        .filter(|p| !p.in_lb)
        .map(|p| p.name.clone())
        .collect();
    h.stop(state, &leftovers)?;
    let surge = usize::try_from(h.rolling.max_surge)
        .unwrap_or(usize::MAX)
        .min(h.instances);
    let unavailable = usize::try_from(h.rolling.max_unavailable).unwrap_or(usize::MAX);
    let width = (surge + unavailable).max(1);
    let mut remaining = old.clone();
    let mut replaced: Vec<String> = Vec::new();
    let mut had_traffic = false;
    let mut smoked = request.smoke.is_empty();
    let mut batch = 0;
    while !remaining.is_empty() {
        batch += 1;
        let b = remaining.len().min(width);
        let s = b.min(surge);
        journal.advance(
            entry,
            &format!("batch {batch}"),
            json!({ "old": remaining, "new": replaced }),
        )?;
        let fresh = match start_checked(h, state, request, s, &mut smoked, progress)? {
            Ok(f) => f,
            Err(why) => return abort(h, state, request, previous, why, had_traffic, progress),
        };
        let out: Vec<String> = remaining.drain(..b).collect();
        for p in &mut state.instances {
            if fresh.contains(&p.name) {
                p.in_lb = true;
            }
            if out.contains(&p.name) {
                p.in_lb = false;
            }
        }
        h.apply(state, &format!("{} rolling batch {batch}", request.version))?;
        h.save(state)?;
        had_traffic |= !fresh.is_empty();
        replaced.extend(fresh);
        progress.step(&format!(
            "batch {batch}: {} out of nginx, draining {}s",
            out.join(", "),
            request.health.drain.as_secs_f32()
        ));
        if let Err(why) = h.watch(state, &replaced, request.health.drain, &request.health) {
            return abort(h, state, request, previous, why, had_traffic, progress);
        }
        h.stop(state, &out)?;
        let rest = b - s;
        if rest > 0 {
            let fresh = match start_checked(h, state, request, rest, &mut smoked, progress)? {
                Ok(f) => f,
                Err(why) => return abort(h, state, request, previous, why, had_traffic, progress),
            };
            for p in &mut state.instances {
                if fresh.contains(&p.name) {
                    p.in_lb = true;
                }
            }
            h.apply(state, &format!("{} rolling batch {batch}", request.version))?;
            h.save(state)?;
            had_traffic = true;
            replaced.extend(fresh);
        }
        progress.step(&format!(
            "batch {batch} done: {} on {}",
            replaced.len(),
            request.version
        ));
    }
    state.live = Some(request.version.clone());
    state.live_color = None;
    h.save(state)?;
    Ok(h.outcome(state, Status::Success, previous, None, Vec::new()))
}

/// Starts `k` new instances and checks them (and runs the smoke tests once).
fn start_checked(
    h: &Hosts,
    state: &mut super::State,
    request: &Request,
    k: usize,
    smoked: &mut bool,
    progress: &mut dyn Progress,
) -> Result<Result<Vec<String>, String>, Error> {
    if k == 0 {
        return Ok(Ok(Vec::new()));
    }
    let fresh = h.start_many(state, &request.version, None, k, progress)?;
    if let Err(why) = h.check_health(state, &fresh, &request.health) {
        return Ok(Err(why));
    }
    progress.step(&format!("{} healthy", fresh.join(", ")));
    if !*smoked {
        if let Err(why) = h.smoke(state, &fresh, &request.smoke, &request.health) {
            return Ok(Err(why));
        }
        progress.step("smoke tests passed");
        *smoked = true;
    }
    Ok(Ok(fresh))
}

/// Stops the rollout and puts the old version back on every instance.
fn abort(
    h: &Hosts,
    state: &mut super::State,
    request: &Request,
    previous: Option<String>,
    why: String,
    had_traffic: bool,
    progress: &mut dyn Progress,
) -> Result<Outcome, Error> {
    progress.step(&why);
    progress.step(&format!(
        "restoring {} on the instances replaced",
        previous.as_deref().unwrap_or("nothing")
    ));
    h.restore(state, previous.as_deref(), &request.health, progress)?;
    let status = if had_traffic {
        Status::RolledBack
    } else {
        Status::Failure
    };
    Ok(h.outcome(state, status, previous, Some(why), Vec::new()))
}
