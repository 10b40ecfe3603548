//! Canary on hosts: start the new version beside the live one, then give it a rising share
//! of traffic with nginx `weight=` (`deploy.canary.steps`), each step for `deploy.canary.pause`
//! while its instances are probed and, when `deploy.hosts.nginx.access-log` is set, its error
//! rate is read from nginx's log. The last step (100) is the blue-green switch; a failed step
//! takes all traffic back to the live version.

use serde_json::json;

use super::Hosts;
use super::exec::quote;
use crate::deploy::journal::Entry;
use crate::deploy::{Color, Error, Journal, Outcome, Progress, Request, Status};

/// Deploys `request` with the canary strategy.
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
        progress.step("nothing live to compare with: switching at once");
        return super::bluegreen::deploy(h, state, request, entry, journal, progress);
    }
    let color = Some(state.live_color.map_or(Color::Green, Color::other));
    let new = match super::bluegreen::prepare(
        h, state, request, color, &old, entry, journal, progress,
    )? {
        Ok(n) => n,
        Err(why) => return Ok(h.outcome(state, Status::Failure, previous, Some(why), Vec::new())),
    };
    let max_rate = h.canary.max_error_rate.get();
    for step in h.canary.steps.steps() {
        let share = step.get();
        if share >= 100.0 {
            break;
        }
        // Per-instance weights so that the new instances get `share` percent in total.
        let pct = share.round().clamp(1.0, 99.0) as u32;
        let (wn, wo) = weights(pct, new.len(), old.len());
        journal.advance(
            entry,
            "canary",
            json!({ "old": old, "new": new, "share": pct }),
        )?;
        for p in &mut state.instances {
            if new.contains(&p.name) {
                p.in_lb = true;
                p.weight = Some(wn);
            } else if old.contains(&p.name) {
                p.in_lb = true;
                p.weight = Some(wo);
            }
        }
        let offset = log_size(h);
        h.apply(state, &format!("{} canary {pct}%", request.version))?;
        h.save(state)?;
        progress.step(&format!("{pct}% of traffic on {}", request.version));
        let watched = h.watch(state, &new, h.canary.pause.as_std(), &request.health);
        let rate = offset.and_then(|o| error_rate(h, state, &new, o));
        let failed = match (watched, rate) {
            (Err(why), _) => Some(why),
            (Ok(()), Some((errors, total)))
                if total > 0 && errors as f64 * 100.0 / total as f64 > max_rate =>
            {
                Some(format!(
                    "error rate of {} at {pct}%: {errors} of {total} requests failed (limit {max_rate}%)",
                    request.version
                ))
            }
            _ => None,
        };
        if let Some(why) = failed {
            progress.step(&why);
            for p in &mut state.instances {
                p.in_lb = old.contains(&p.name);
                p.weight = None;
            }
            h.apply(state, previous.as_deref().unwrap_or("previous"))?;
            h.save(state)?;
            progress.step(&format!(
                "all traffic back on {}",
                previous.as_deref().unwrap_or("the previous version")
            ));
            h.stop(state, &new)?;
            return Ok(h.outcome(state, Status::RolledBack, previous, Some(why), Vec::new()));
        }
        if let Some((errors, total)) = rate {
            progress.step(&format!(
                "{pct}%: {errors} of {total} requests to the new version failed"
            ));
        }
    }
    super::bluegreen::switch(
        h, state, request, entry, journal, progress, &new, &old, previous,
    )
}

/// Per-instance nginx weights (new, old) that give `pct` percent to `n_new` instances beside
/// `n_old`, reduced by their common divisor.
///
/// ```
/// use slipway::deploy::hosts::canary::weights;
/// assert_eq!(weights(10, 2, 2), (1, 9));
/// assert_eq!(weights(50, 1, 3), (3, 1));
/// ```
pub fn weights(pct: u32, n_new: usize, n_old: usize) -> (u32, u32) {
    let n_new = u32::try_from(n_new.max(1)).unwrap_or(1);
    let n_old = u32::try_from(n_old.max(1)).unwrap_or(1);
    let wn = pct * n_old;
    let wo = (100 - pct) * n_new;
    let g = gcd(wn, wo).max(1);
    (wn / g, wo / g)
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// The access log's size in bytes, when one is configured and readable.
fn log_size(h: &Hosts) -> Option<u64> {
    let f = h.access_log.as_ref()?;
    let out = h
        .runner
        .exec
        .run(&format!("wc -c < {}", quote(f)), None)
        .ok()?;
    out.stdout.trim().parse().ok()
}

/// (failed, total) requests that nginx sent to `names` since `offset` of the access log.
fn error_rate(
    h: &Hosts,
    state: &super::State,
    names: &[String],
    offset: u64,
) -> Option<(u64, u64)> {
    let f = h.access_log.as_ref()?;
    let out = h
        .runner
        .exec
        .run(&format!("tail -c +{} {}", offset + 1, quote(f)), None)
        .ok()?;
    let addrs: Vec<String> = Hosts::procs(state, names)
        .iter()
        .map(|p| h.addr(p.port))
        .collect();
    Some(count_errors(&out.stdout, &addrs))
}

/// Counts lines of `log_format slipway '$upstream_addr $upstream_status'` whose (last)
/// upstream is one of `addrs`: (5xx or no status, total). Never panics.
///
/// ```
/// use slipway::deploy::hosts::canary::count_errors;
/// let log = "127.0.0.1:8002 200\n127.0.0.1:8002 502\n127.0.0.1:8000 500\n127.0.0.1:8000, 127.0.0.1:8002 502, 200\n";
/// assert_eq!(count_errors(log, &["127.0.0.1:8002".into()]), (1, 3));
/// ```
pub fn count_errors(log: &str, addrs: &[String]) -> (u64, u64) {
    let mut errors = 0;
    let mut total = 0;
    for line in log.lines() {
        // `$upstream_addr` and `$upstream_status` list every upstream tried, comma-separated.
        let (addr_part, status_part) = match line.split_once(' ') {
            Some((a, rest)) if !a.ends_with(',') => (a.to_owned(), rest.to_owned()),
            _ => {
                let words: Vec<&str> = line.split_whitespace().collect();
                let n = words.len();
                if n < 2 {
                    continue;
                }
                // Half the words are addresses, half statuses.
                (words[..n / 2].join(" "), words[n / 2..].join(" "))
            }
        };
        let Some(addr) = addr_part.split(',').map(str::trim).rfind(|a| !a.is_empty()) else {
            continue;
        };
        if !addrs.iter().any(|a| a == addr) {
            continue;
        }
        let status = status_part
            .split(',')
            .map(str::trim)
            .next_back()
            .unwrap_or("-");
        total += 1;
        match status.parse::<u16>() {
            Ok(s) if s < 500 => {}
            _ => errors += 1,
        }
    }
    (errors, total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_give_the_share_whatever_the_instance_counts() {
        for (pct, n_new, n_old) in [(10, 2, 2), (25, 1, 3), (50, 3, 2), (90, 2, 1)] {
            let (wn, wo) = weights(pct, n_new, n_old);
            let share = f64::from(wn) * n_new as f64
                / (f64::from(wn) * n_new as f64 + f64::from(wo) * n_old as f64);
            assert!(
                (share * 100.0 - f64::from(pct)).abs() < 1e-9,
                "{pct} {n_new} {n_old}: {share}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn counting_random_logs_never_panics(text in ".{0,400}") {
            let (e, t) = count_errors(&text, &["127.0.0.1:8002".to_owned()]);
            proptest::prop_assert!(e <= t);
        }
    }
}
