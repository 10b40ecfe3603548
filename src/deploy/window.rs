//! Deployment windows: whether a deploy may start now, and when the window opens next.
//!
//! The window value (`Mon-Thu 09:00-16:00 UTC`) is parsed by [`crate::config::Window`]; this
//! module answers the questions a deploy asks of it. [`check`] is what the deploy engine calls
//! before it changes anything (`--force-window --reason` is the engine's decision);
//! `slipway deploy window` prints the same answer for a workflow step, exit 0 inside and 1
//! outside.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use clap::Args;

use crate::config::{self, Window};
use crate::error::{EXIT_FAILED, EXIT_OK, Failure, Hint};
use crate::metrics::time::rfc3339;

/// An instant outside the window, and when the window opens next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} is outside the deployment window `{window}`", rfc3339(*.at))]
pub struct Outside {
    /// The window that was checked.
    pub window: Window,
    /// The instant checked, in seconds since the Unix epoch.
    pub at: i64,
    /// When the window opens next, in seconds since the Unix epoch.
    pub next_open: i64,
}

impl Outside {
    /// The next opening in RFC 3339, UTC (`2024-01-08T09:00:00Z`).
    pub fn next_open_utc(&self) -> String {
        rfc3339(self.next_open)
    }

    /// The next opening in the window's own offset (`2024-01-08T11:00:00+02:00`).
    pub fn next_open_local(&self) -> String {
        let offset = FixedOffset::east_opt(i32::from(self.window.offset_minutes()) * 60)
            .unwrap_or_else(|| FixedOffset::east_opt(0).expect("zero is a valid offset"));
        DateTime::from_timestamp(self.next_open, 0)
            .map(|t| {
                t.with_timezone(&offset)
                    .to_rfc3339_opts(SecondsFormat::Secs, true)
            })
            .unwrap_or_else(|| self.next_open.to_string())
    }
}

impl Hint for Outside {
    fn hint(&self) -> Option<String> {
        Some(format!(
            "the window opens next at {}; deploy then, or pass `--force-window --reason \"...\"` for an urgent fix",
            self.next_open_utc()
        ))
    }
}

/// `Ok` when `now` (seconds since the Unix epoch) is inside `window`, else when it opens next.
///
/// ```
/// use slipway::deploy::window;
/// let w = "Mon-Thu 09:00-16:00 UTC".parse().unwrap();
/// // 2024-01-01T10:00:00Z was a Monday.
/// assert!(window::check(&w, 1_704_103_200).is_ok());
/// let outside = window::check(&w, 1_704_103_200 + 7 * 3600).unwrap_err();
/// assert_eq!(outside.next_open_utc(), "2024-01-02T09:00:00Z");
/// ```
pub fn check(window: &Window, now: i64) -> Result<(), Outside> {
    if window.contains_unix(now) {
        return Ok(());
    }
    Err(Outside {
        window: *window,
        at: now,
        next_open: next_open(window, now),
    })
}

/// The first instant after `now` at which `window` opens. A window always has at least one
/// day, so an opening lies within the next eight local days.
pub fn next_open(window: &Window, now: i64) -> i64 {
    let offset = i64::from(window.offset_minutes()) * 60;
    let local = now.saturating_add(offset);
    let today = local.div_euclid(86_400);
    let (start, _) = window.minutes();
    let days = window.days();
    for ahead in 0..=7 {
        let day = today + ahead;
        // 1970-01-01 was a Thursday: index 3 with Monday = 0.
        let weekday = (day + 3).rem_euclid(7);
        if !days.iter().any(|d| *d as i64 == weekday) {
            continue;
        }
        let opening = day * 86_400 + i64::from(start) * 60 - offset;
        if opening > now {
            return opening;
        }
    }
    // Unreachable for a parsed window (it has a day); a week ahead is a safe answer.
    now + 7 * 86_400
}

/// Parses an RFC 3339 instant (`2024-01-01T10:00:00Z`, `2024-01-01T12:00:00+02:00`).
pub fn parse_instant(text: &str) -> Result<i64, Error> {
    DateTime::parse_from_rfc3339(text.trim())
        .map(|t| t.timestamp())
        .map_err(|_| Error::Instant(text.to_owned()))
}

/// What `slipway deploy window` can fail on before it answers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `--at` is not an RFC 3339 instant.
    #[error("`{0}` is not an RFC 3339 time")]
    Instant(String),
    /// `--window` does not parse.
    #[error("`--window`: {0}")]
    Window(String),
    /// Neither `--window` nor `--env`.
    #[error("no window to check: give `--window` or `--env`")]
    Nothing,
    /// `--env` names an environment the config does not have.
    #[error("environment `{0}` is not in the config")]
    UnknownEnvironment(String),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Instant(_) => Some(
                "write a full time with a zone, e.g. `--at 2024-01-01T10:00:00Z` or `--at 2024-01-01T12:00:00+02:00`"
                    .into(),
            ),
            Self::Window(_) => Some(
                "write days, a 24-hour time range and a zone, e.g. `--window \"Mon-Thu 09:00-16:00 UTC\"`"
                    .into(),
            ),
            Self::Nothing => Some(
                "e.g. `slipway deploy window --window \"Mon-Thu 09:00-16:00 UTC\"` or `slipway deploy window --env production`"
                    .into(),
            ),
            Self::UnknownEnvironment(_) => {
                Some("use a name under `environments:` in slipway.yml".into())
            }
        }
    }
}

/// Arguments of `slipway deploy window`.
#[derive(Debug, Args)]
pub struct WindowArgs {
    /// The window to check, e.g. `--window "Mon-Thu 09:00-16:00 UTC"` or
    /// `--window "Mon,Wed 08:00-12:00 +02:00"`.
    #[arg(long, value_name = "WINDOW", env = "SLIPWAY_WINDOW")]
    pub window: Option<String>,
    /// Read the window of this environment from slipway.yml instead, e.g. `--env production`.
    /// An environment without a window is always open.
    #[arg(long, value_name = "NAME", env = "SLIPWAY_ENVIRONMENT")]
    pub env: Option<String>,
    /// The instant to check instead of now (RFC 3339), e.g. `--at 2024-01-05T17:30:00Z`.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// The config file, for `--env`, e.g. `deploy/slipway.yml`.
    #[arg(long, value_name = "FILE", env = "SLIPWAY_CONFIG")]
    pub config: Option<std::path::PathBuf>,
}

/// Runs `slipway deploy window`: prints whether the instant is inside; exit 0 inside, 1
/// outside (with the next opening), 2 on bad input.
pub fn run(args: WindowArgs) -> Result<u8, Failure> {
    let WindowArgs {
        window,
        env,
        at,
        config: config_file,
    } = args;
    let now = match at.as_deref().filter(|a| !a.trim().is_empty()) {
        Some(text) => parse_instant(text)?,
        None => Utc::now().timestamp(),
    };
    let window: Option<Window> = match (window.filter(|w| !w.trim().is_empty()), env) {
        (Some(text), _) => Some(text.parse().map_err(|e: String| {
            // Config value errors carry their hint after a U+001F marker; this error has its own.
            Error::Window(e.split('\u{1f}').next().unwrap_or_default().to_owned())
        })?),
        (None, Some(name)) => {
            let dir = match config_file.as_deref().and_then(std::path::Path::parent) {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => std::path::PathBuf::from("."),
            };
            let loaded = config::load(&dir, config_file.as_deref())?;
            let environment = loaded
                .config
                .environments
                .get(&name)
                .ok_or_else(|| Error::UnknownEnvironment(name.clone()))?;
            environment.window
        }
        (None, None) => return Err(Error::Nothing.into()),
    };
    let Some(window) = window else {
        println!("open: the environment has no deployment window");
        return Ok(EXIT_OK);
    };
    let runtime = crate::github::runtime();
    match check(&window, now) {
        Ok(()) => {
            println!("inside `{window}` at {}", rfc3339(now));
            if runtime.in_actions() {
                runtime.set_output("inside", "true")?;
            }
            Ok(EXIT_OK)
        }
        Err(outside) => {
            let local = if window.offset_minutes() == 0 {
                String::new()
            } else {
                format!(" ({})", outside.next_open_local())
            };
            println!(
                "outside `{window}` at {}; opens next at {}{local}",
                rfc3339(now),
                outside.next_open_utc(),
            );
            if runtime.in_actions() {
                runtime.set_output("inside", "false")?;
                runtime.set_output("next-open", &outside.next_open_utc())?;
            }
            Ok(EXIT_FAILED)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONDAY_10: i64 = 1_704_103_200; // 2024-01-01T10:00:00Z

    fn w(text: &str) -> Window {
        text.parse().expect("window")
    }

    #[test]
    fn inside_is_ok_and_the_end_is_exclusive() {
        let window = w("Mon-Thu 09:00-16:00 UTC");
        assert!(check(&window, MONDAY_10).is_ok());
        assert!(check(&window, MONDAY_10 - 3600).is_ok()); // 09:00 opens
        let at_end = check(&window, MONDAY_10 + 6 * 3600).expect_err("16:00 is closed");
        assert_eq!(at_end.next_open_utc(), "2024-01-02T09:00:00Z");
    }

    #[test]
    fn before_the_opening_the_same_day_opens_next() {
        let window = w("Mon-Thu 09:00-16:00 UTC");
        let outside = check(&window, MONDAY_10 - 2 * 3600).expect_err("08:00");
        assert_eq!(outside.next_open_utc(), "2024-01-01T09:00:00Z");
    }

    #[test]
    fn after_the_last_day_the_next_week_opens() {
        let window = w("Mon-Thu 09:00-16:00 UTC");
        // Friday 2024-01-05T10:00Z.
        let outside = check(&window, MONDAY_10 + 4 * 86_400).expect_err("Friday");
        assert_eq!(outside.next_open_utc(), "2024-01-08T09:00:00Z");
        // Thursday after closing.
        let outside = check(&window, MONDAY_10 + 3 * 86_400 + 7 * 3600).expect_err("Thu 17:00");
        assert_eq!(outside.next_open_utc(), "2024-01-08T09:00:00Z");
    }

    #[test]
    fn a_single_day_window_opens_a_week_later_once_past() {
        let window = w("Mon 09:00-10:00 UTC");
        let outside = check(&window, MONDAY_10).expect_err("10:00 is the end");
        assert_eq!(outside.next_open_utc(), "2024-01-08T09:00:00Z");
    }

    #[test]
    fn offsets_move_the_opening_and_print_local_time() {
        let window = w("Mon-Fri 09:00-17:00 +02:00");
        // Monday 06:30Z is 08:30 local: opens at 07:00Z.
        let outside = check(&window, MONDAY_10 - 3 * 3600 - 1800).expect_err("early");
        assert_eq!(outside.next_open_utc(), "2024-01-01T07:00:00Z");
        assert_eq!(outside.next_open_local(), "2024-01-01T09:00:00+02:00");
        // Sunday 23:30Z is Monday 01:30 local: the local Monday opens at 07:00Z.
        let outside = check(&window, MONDAY_10 - 10 * 3600 - 1800).expect_err("night");
        assert_eq!(outside.next_open_utc(), "2024-01-01T07:00:00Z");
        let west = w("Sun 22:00-23:00 -05:00");
        // Monday 02:30Z is Sunday 21:30 local.
        let outside = check(&west, MONDAY_10 - 7 * 3600 - 1800).expect_err("before");
        assert_eq!(outside.next_open_utc(), "2024-01-01T03:00:00Z");
        assert_eq!(outside.next_open_local(), "2023-12-31T22:00:00-05:00");
    }

    #[test]
    fn the_error_names_the_instant_window_and_next_opening() {
        let window = w("Mon-Thu 09:00-16:00 UTC");
        let failure = Failure::from(check(&window, MONDAY_10 + 4 * 86_400).expect_err("Fri"));
        assert_eq!(
            failure.render(),
            "error: 2024-01-05T10:00:00Z is outside the deployment window `Mon-Thu 09:00-16:00 UTC`\n\nhint: the window opens next at 2024-01-08T09:00:00Z; deploy then, or pass `--force-window --reason \"...\"` for an urgent fix\n"
        );
    }

    #[test]
    fn instants_parse_with_zones_and_reject_the_rest() {
        assert_eq!(parse_instant("2024-01-01T10:00:00Z").ok(), Some(MONDAY_10));
        assert_eq!(
            parse_instant("2024-01-01T12:00:00+02:00").ok(),
            Some(MONDAY_10)
        );
        for bad in [
            "",
            "2024-01-01",
            "2024-01-01 10:00",
            "yesterday",
            "2024-13-01T00:00:00Z",
        ] {
            assert!(parse_instant(bad).is_err(), "{bad:?} parsed");
        }
    }

    proptest::proptest! {
        #[test]
        fn the_next_opening_is_inside_and_after_now(
            now in -10_000_000_000i64..10_000_000_000,
            start in 0u16..23,
            len in 1u16..60,
            offset in -14i16..14,
            days in 1u8..128,
        ) {
            let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            let list: Vec<&str> = names.iter().enumerate()
                .filter(|(i, _)| days & (1 << i) != 0).map(|(_, n)| *n).collect();
            let sign = if offset < 0 { '-' } else { '+' };
            let text = format!("{} {start:02}:00-{start:02}:{len:02} {sign}{:02}:00",
                list.join(","), offset.unsigned_abs());
            let window: Window = text.parse().expect("generated window");
            let next = next_open(&window, now);
            proptest::prop_assert!(next > now);
            proptest::prop_assert!(window.contains_unix(next), "{text} at {next}");
            proptest::prop_assert!(next - now <= 8 * 86_400);
        }

        #[test]
        fn instants_never_panic(text in ".{0,40}") {
            let _ = parse_instant(&text);
        }
    }
}
