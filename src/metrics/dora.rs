//! The four DORA figures from deployments, and their performance bands.
//!
//! - Deployment frequency: successful deployments of the environment (rollbacks excluded: they
//!   undo a change, they do not ship one) per day and per week of the window.
//! - Lead time for changes: first commit of the change (from its pull request) to the first
//!   `success` status of the deployment that shipped it; median and p90 (nearest rank).
//! - Change failure rate: deployments that failed (a `failure`/`error` status), or that the
//!   next deployment of the environment rolled back or hot-fixed, over every deployment that
//!   reached a final state.
//! - Time to restore: from the failure (the failing status, or the moment the bad deployment
//!   went live when it was rolled back or hot-fixed) to the next successful deployment of the
//!   environment.
//!
//! Bands follow the DORA State of DevOps reports (2021 for frequency, lead time and restore,
//! 2023 for the failure rate, whose 2021 bands overlap):
//!
//! | figure | elite | high | medium | low |
//! |---|---|---|---|---|
//! | deployment frequency | ≥ 1 a day | ≥ 1 a week | ≥ 1 a month | less |
//! | lead time (median) | < 1 hour | ≤ 1 week | ≤ 6 months | more |
//! | change failure rate | ≤ 5 % | ≤ 10 % | ≤ 15 % | more |
//! | time to restore (median) | < 1 hour | < 1 day | ≤ 1 week | more |
//!
//! "No data" is not zero: with no deployments there is no frequency band, no failure rate and
//! no lead time, and the report says why.

use serde::Serialize;

use super::model::Deployment;

const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;
const WEEK: f64 = 7.0 * DAY;

/// A DORA performance band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Band {
    /// The best performers.
    Elite,
    /// High performers.
    High,
    /// Medium performers.
    Medium,
    /// Low performers.
    Low,
}

impl Band {
    /// `elite`, `high`, `medium`, `low`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Elite => "elite",
            Self::High => "high",
            Self::Medium => "medium",
            Self::Low => "low",
        }
    }

    /// The band of a deployment rate.
    pub fn of_frequency(per_day: f64) -> Self {
        if per_day >= 1.0 {
            Self::Elite
        } else if per_day * 7.0 >= 1.0 {
            Self::High
        } else if per_day * 30.0 >= 1.0 {
            Self::Medium
        } else {
            Self::Low
        }
    }

    /// The band of a median lead time in seconds.
    pub fn of_lead_time(secs: f64) -> Self {
        if secs < HOUR {
            Self::Elite
        } else if secs <= WEEK {
            Self::High
        } else if secs <= 183.0 * DAY {
            Self::Medium
        } else {
            Self::Low
        }
    }

    /// The band of a change failure rate in percent.
    pub fn of_failure_rate(pct: f64) -> Self {
        if pct <= 5.0 {
            Self::Elite
        } else if pct <= 10.0 {
            Self::High
        } else if pct <= 15.0 {
            Self::Medium
        } else {
            Self::Low
        }
    }

    /// The band of a median time to restore in seconds.
    pub fn of_restore(secs: f64) -> Self {
        if secs < HOUR {
            Self::Elite
        } else if secs < DAY {
            Self::High
        } else if secs <= WEEK {
            Self::Medium
        } else {
            Self::Low
        }
    }
}

/// Deployment frequency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Frequency {
    /// Successful deployments in the window (rollbacks excluded).
    pub deployments: u64,
    /// Per day.
    pub per_day: f64,
    /// Per week.
    pub per_week: f64,
    /// The band.
    pub band: Band,
}

/// Median and p90 of samples, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spread {
    /// How many samples.
    pub samples: u64,
    /// The median.
    pub median_s: f64,
    /// The 90th percentile (nearest rank).
    pub p90_s: f64,
    /// The band of the median.
    pub band: Band,
}

/// Change failure rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureRate {
    /// Deployments that failed or were rolled back or hot-fixed.
    pub failed: u64,
    /// Deployments that reached a final state.
    pub total: u64,
    /// 100 × failed / total.
    pub percent: f64,
    /// The band.
    pub band: Band,
}

/// A failure and when it was restored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Incident {
    /// The failing deployment.
    pub deployment: u64,
    /// `failed`, `rolled-back` or `hot-fixed`.
    pub kind: &'static str,
    /// When it started (Unix seconds).
    pub started: i64,
    /// When the environment was healthy again, if it was.
    pub restored: Option<i64>,
}

/// One week of the window, for charts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Week {
    /// The first day, `YYYY-MM-DD`.
    pub start: String,
    /// Successful deployments.
    pub deployments: u64,
    /// Median lead time of the changes deployed that week.
    pub lead_time_s: Option<f64>,
    /// Failure rate of that week's deployments.
    pub failure_rate: Option<f64>,
    /// Median time to restore of that week's failures.
    pub restore_s: Option<f64>,
}

/// The four figures for one environment and window.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dora {
    /// The environment.
    pub environment: String,
    /// Deployments of the environment in the window, any state.
    pub deployments_seen: u64,
    /// Deployments without a final status yet (left out of every figure).
    pub pending: u64,
    /// Deployment frequency; `None` is "no data".
    pub frequency: Option<Frequency>,
    /// Lead time; `None` when no deployed change could be traced to a first commit.
    pub lead_time: Option<Spread>,
    /// Change failure rate; `None` when no deployment finished.
    pub change_failure_rate: Option<FailureRate>,
    /// Time to restore; `None` when nothing failed or nothing was restored.
    pub time_to_restore: Option<Spread>,
    /// Failures still not restored at the end of the window.
    pub unrestored: u64,
    /// The failures.
    pub incidents: Vec<Incident>,
    /// Weekly series for charts.
    pub weeks: Vec<Week>,
    /// Why a figure is missing, in words.
    pub notes: Vec<String>,
}

/// The `p`th percentile (nearest rank) of sorted samples.
///
/// ```
/// use slipway::metrics::dora::percentile;
/// assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 50.0), Some(2.0));
/// assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 90.0), Some(4.0));
/// assert_eq!(percentile(&[], 50.0), None);
/// ```
pub fn percentile(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

fn spread(mut samples: Vec<f64>, band: fn(f64) -> Band) -> Option<Spread> {
    samples.sort_by(f64::total_cmp);
    let median = percentile(&samples, 50.0)?;
    Some(Spread {
        samples: samples.len() as u64,
        median_s: median,
        p90_s: percentile(&samples, 90.0).unwrap_or(median),
        band: band(median),
    })
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// Computes the figures for `environment` over `[from, to)` (Unix seconds).
pub fn compute(deployments: &[Deployment], environment: &str, from: i64, to: i64) -> Dora {
    let mut all: Vec<&Deployment> = deployments
        .iter()
        .filter(|d| d.environment == environment && d.created >= from && d.created < to)
        .collect();
    all.sort_by_key(|d| (d.created, d.id));
    let mut notes = Vec::new();
    let days = ((to - from) as f64 / DAY).max(1.0);

    let pending = all
        .iter()
        .filter(|d| d.succeeded_at().is_none() && d.failed_at().is_none())
        .count() as u64;
    let changes: Vec<&Deployment> = all.iter().copied().filter(|d| !d.is_rollback()).collect();
    let successful: Vec<&Deployment> = changes
        .iter()
        .copied()
        .filter(|d| d.succeeded_at().is_some())
        .collect();

    let frequency = if all.is_empty() {
        notes.push(format!(
            "no deployments to `{environment}` in the window: frequency, lead time, failure rate and time to restore have no data (not zero)"
        ));
        None
    } else {
        let n = successful.len() as f64;
        Some(Frequency {
            deployments: successful.len() as u64,
            per_day: round2(n / days),
            per_week: round2(n / days * 7.0),
            band: Band::of_frequency(n / days),
        })
    };

    let leads: Vec<f64> = successful
        .iter()
        .filter_map(|d| Some((d.succeeded_at()? - d.first_commit?).max(0) as f64))
        .collect();
    if !successful.is_empty() && leads.is_empty() {
        notes.push(
            "no deployed commit could be traced to a pull request: lead time has no data".into(),
        );
    }
    let lead_time = spread(leads, Band::of_lead_time);

    // Each change deployment that finished is either good or one failure.
    let mut incidents = Vec::new();
    let mut finished = 0u64;
    for (i, d) in all.iter().enumerate() {
        if d.is_rollback() {
            continue;
        }
        let (ok, failed) = (d.succeeded_at(), d.failed_at());
        if ok.is_none() && failed.is_none() {
            continue;
        }
        finished += 1;
        let next = all.get(i + 1);
        let (kind, started) = match (failed, ok, next) {
            (Some(at), _, _) => ("failed", at),
            (None, Some(live), Some(n)) if n.is_rollback() => ("rolled-back", live),
            (None, Some(live), Some(n)) if n.is_hotfix() => ("hot-fixed", live),
            _ => continue,
        };
        let restored = all[i + 1..]
            .iter()
            .filter_map(|n| n.succeeded_at())
            .filter(|&t| t > started)
            .min();
        incidents.push(Incident {
            deployment: d.id,
            kind,
            started,
            restored,
        });
    }
    let change_failure_rate = (finished > 0).then(|| {
        let pct = round2(100.0 * incidents.len() as f64 / finished as f64);
        FailureRate {
            failed: incidents.len() as u64,
            total: finished,
            percent: pct,
            band: Band::of_failure_rate(pct),
        }
    });
    let restores: Vec<f64> = incidents
        .iter()
        .filter_map(|i| Some((i.restored? - i.started) as f64))
        .collect();
    let unrestored = incidents.iter().filter(|i| i.restored.is_none()).count() as u64;
    if unrestored > 0 {
        notes.push(format!(
            "{unrestored} failure(s) not restored by the end of the window: left out of time to restore"
        ));
    }
    if !incidents.is_empty() && restores.is_empty() {
        notes.push("no failure was restored yet: time to restore has no data".into());
    }
    let time_to_restore = spread(restores, Band::of_restore);

    let weeks = weekly(&all, &incidents, from, to);
    Dora {
        environment: environment.to_owned(),
        deployments_seen: all.len() as u64,
        pending,
        frequency,
        lead_time,
        change_failure_rate,
        time_to_restore,
        unrestored,
        incidents,
        weeks,
        notes,
    }
}

fn weekly(all: &[&Deployment], incidents: &[Incident], from: i64, to: i64) -> Vec<Week> {
    let week = 7 * 86_400;
    let mut out = Vec::new();
    let mut start = from;
    while start < to {
        let end = (start + week).min(to);
        let inside = |t: i64| t >= start && t < end;
        let changes: Vec<&&Deployment> = all
            .iter()
            .filter(|d| !d.is_rollback() && inside(d.created))
            .collect();
        let ok: Vec<&&&Deployment> = changes
            .iter()
            .filter(|d| d.succeeded_at().is_some())
            .collect();
        let mut leads: Vec<f64> = ok
            .iter()
            .filter_map(|d| Some((d.succeeded_at()? - d.first_commit?).max(0) as f64))
            .collect();
        leads.sort_by(f64::total_cmp);
        let finished = changes
            .iter()
            .filter(|d| d.succeeded_at().is_some() || d.failed_at().is_some())
            .count();
        let failed = incidents
            .iter()
            .filter(|i| changes.iter().any(|d| d.id == i.deployment))
            .count();
        let mut restores: Vec<f64> = incidents
            .iter()
            .filter(|i| inside(i.started))
            .filter_map(|i| Some((i.restored? - i.started) as f64))
            .collect();
        restores.sort_by(f64::total_cmp);
        out.push(Week {
            start: super::time::date(start),
            deployments: ok.len() as u64,
            lead_time_s: percentile(&leads, 50.0),
            failure_rate: (finished > 0).then(|| round2(100.0 * failed as f64 / finished as f64)),
            restore_s: percentile(&restores, 50.0),
        });
        start = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::model::DeploymentStatus;

    fn dep(id: u64, created: i64, states: &[(&str, i64)]) -> Deployment {
        Deployment {
            id,
            sha: format!("{id:040x}"),
            git_ref: "main".into(),
            environment: "production".into(),
            task: "deploy".into(),
            description: String::new(),
            created,
            statuses: states
                .iter()
                .map(|(s, t)| DeploymentStatus {
                    state: (*s).into(),
                    created: created + t,
                })
                .collect(),
            first_commit: Some(created - 3600 * id as i64),
        }
    }

    #[test]
    fn bands_follow_the_documented_thresholds() {
        assert_eq!(Band::of_frequency(1.0), Band::Elite);
        assert_eq!(Band::of_frequency(0.2), Band::High);
        assert_eq!(Band::of_frequency(0.05), Band::Medium);
        assert_eq!(Band::of_frequency(0.01), Band::Low);
        assert_eq!(Band::of_lead_time(3599.0), Band::Elite);
        assert_eq!(Band::of_lead_time(WEEK), Band::High);
        assert_eq!(Band::of_failure_rate(5.0), Band::Elite);
        assert_eq!(Band::of_failure_rate(15.01), Band::Low);
        assert_eq!(Band::of_restore(DAY - 1.0), Band::High);
        assert_eq!(Band::of_restore(WEEK + 1.0), Band::Low);
    }

    #[test]
    fn no_deployments_is_no_data_not_zero() {
        let d = compute(&[], "production", 0, 30 * 86_400);
        assert_eq!(d.frequency, None);
        assert_eq!(d.change_failure_rate, None);
        assert_eq!(d.lead_time, None);
        assert!(d.notes[0].contains("no data (not zero)"));
    }

    #[test]
    fn a_rollback_marks_the_previous_deployment_failed_and_restores_it() {
        let mut rb = dep(3, 10_000, &[("success", 300)]);
        rb.task = "deploy:rollback".into();
        let ds = [
            dep(1, 1000, &[("in_progress", 10), ("success", 100)]),
            dep(2, 5000, &[("success", 200)]),
            rb,
            dep(4, 20_000, &[("failure", 60)]),
            dep(5, 30_000, &[("success", 60)]),
            dep(6, 40_000, &[("queued", 1)]),
        ];
        let d = compute(&ds, "production", 0, 86_400);
        // 1, 2, 5 succeeded (the rollback is not a change); 6 is pending.
        assert_eq!(d.frequency.as_ref().unwrap().deployments, 3);
        assert_eq!(d.pending, 1);
        let cfr = d.change_failure_rate.unwrap();
        assert_eq!((cfr.failed, cfr.total), (2, 4));
        assert_eq!(cfr.percent, 50.0);
        // 2 went live at 5200 and was rolled back at 10300; 4 failed at 20060, 5 fixed at 30060.
        let ttr = d.time_to_restore.unwrap();
        assert_eq!(ttr.samples, 2);
        assert_eq!(ttr.median_s, 5100.0);
        assert_eq!(ttr.p90_s, 10_000.0);
    }
}
