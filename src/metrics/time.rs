//! Timestamps as GitHub writes them (RFC 3339, `2024-05-01T12:00:00Z`) and spans as users
//! write them (`30d`, `12w`, `48h`), in plain Unix seconds: no time-zone database needed.

/// Seconds since the Unix epoch, from RFC 3339 (`Z` or `±HH:MM`, optional fraction).
///
/// ```
/// use slipway::metrics::time::parse_ts;
/// assert_eq!(parse_ts("1970-01-02T00:00:00Z"), Some(86_400));
/// assert_eq!(parse_ts("2024-02-29T12:30:00+02:00"), Some(1_709_202_600));
/// assert_eq!(parse_ts("yesterday"), None);
/// ```
pub fn parse_ts(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = b.get(r)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (hour, min, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || min > 59
        || sec > 60
    {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
    }
    let offset = match b.get(i)? {
        b'Z' | b'z' if i + 1 == b.len() => 0,
        sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
            let (h, m) = (num(i + 1..i + 3)?, num(i + 4..i + 6)?);
            if h > 23 || m > 59 {
                return None;
            }
            let o = h * 3600 + m * 60;
            if *sign == b'+' { o } else { -o }
        }
        _ => return None,
    };
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec - offset)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number (inverse of [`days_from_civil`]).
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// `YYYY-MM-DD` of a timestamp.
pub fn date(ts: i64) -> String {
    let (y, m, d) = civil_from_days(ts.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// `YYYY-MM-DDTHH:MM:SSZ` of a timestamp.
pub fn rfc3339(ts: i64) -> String {
    let secs = ts.rem_euclid(86_400);
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        date(ts),
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

/// A span such as `30d`, `4w`, `36h` or `90m`, in seconds.
///
/// ```
/// use slipway::metrics::time::parse_span;
/// assert_eq!(parse_span("30d"), Some(30 * 86_400));
/// assert_eq!(parse_span("2w"), Some(14 * 86_400));
/// assert_eq!(parse_span("0d"), None);
/// ```
pub fn parse_span(s: &str) -> Option<i64> {
    let s = s.trim();
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    let mult = match unit {
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    (n > 0 && n <= 3660).then(|| n * mult)
}

/// A short human duration: `45s`, `12m 5s`, `3h 20m`, `2d 4h`.
///
/// ```
/// use slipway::metrics::time::human;
/// assert_eq!(human(75.0), "1m 15s");
/// assert_eq!(human(90_000.0), "1d 1h");
/// assert_eq!(human(900.0), "15m");
/// ```
pub fn human(secs: f64) -> String {
    let s = secs.max(0.0).round() as i64;
    let two = |big: i64, big_unit: &str, small: i64, small_unit: &str| {
        if small == 0 {
            format!("{big}{big_unit}")
        } else {
            format!("{big}{big_unit} {small}{small_unit}")
        }
    };
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        two(s / 60, "m", s % 60, "s")
    } else if s < 86_400 {
        two(s / 3600, "h", s % 3600 / 60, "m")
    } else {
        two(s / 86_400, "d", s % 86_400 / 3600, "h")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dates_round_trip() {
        for ts in [0, 951_782_400, 1_709_164_800, 4_102_444_800, -86_400] {
            assert_eq!(parse_ts(&rfc3339(ts)), Some(ts), "{ts}");
        }
        assert_eq!(date(1_709_164_800), "2024-02-29");
    }

    #[test]
    fn bad_timestamps_are_refused() {
        for bad in [
            "",
            "2024-02-30T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+0100",
            "2024-01-01T00:00:00Zjunk",
            "+024-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_ts(bad), None, "{bad}");
        }
        assert_eq!(
            parse_ts("2024-01-01T00:00:00.123456Z"),
            parse_ts("2024-01-01T00:00:00Z")
        );
    }

    #[test]
    fn spans_need_a_unit_and_a_positive_count() {
        assert_eq!(parse_span("90m"), Some(5400));
        assert_eq!(parse_span("36h"), Some(36 * 3600));
        for bad in ["", "30", "d", "-3d", "3y", "1.5d", "99999d"] {
            assert_eq!(parse_span(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn parsing_random_text_never_panics(s in "\\PC{0,40}") {
            let _ = parse_ts(&s);
            let _ = parse_span(&s);
        }

        #[test]
        fn every_second_round_trips(ts in -10_000_000_000i64..10_000_000_000) {
            prop_assert_eq!(parse_ts(&rfc3339(ts)), Some(ts));
        }
    }
}
