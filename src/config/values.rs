//! Value types of `slipway.yml` that are parsed and checked from plain YAML scalars: durations
//! (`500ms`, `5m`), deployment windows (`Mon-Thu 09:00-16:00 UTC`), percentages, secret names.
//!
//! Each type rejects bad input while the file is read, so the error points at the value.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Implements `Serialize` via `Display` and `Deserialize` via `FromStr` with a `String` error.
macro_rules! string_value {
    ($ty:ty) => {
        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = String::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

/// A length of time written with a unit: `500ms`, `1s`, `5m`, `2h`, or a sum such as `1m30s`.
///
/// ```
/// use slipway::config::Duration;
/// let d: Duration = "1m30s".parse().unwrap();
/// assert_eq!(d.as_std(), std::time::Duration::from_secs(90));
/// assert_eq!(d.to_string(), "90s");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(std::time::Duration);

impl Duration {
    /// A duration of whole seconds.
    pub const fn from_secs(secs: u64) -> Self {
        Self(std::time::Duration::from_secs(secs))
    }

    /// A duration of milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Self(std::time::Duration::from_millis(ms))
    }

    /// The standard library form.
    pub const fn as_std(self) -> std::time::Duration {
        self.0
    }
}

/// The longest duration a config may hold: a week, so arithmetic on it never overflows.
const MAX_DURATION_MS: u128 = 7 * 24 * 3600 * 1000;

impl std::str::FromStr for Duration {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{text}` is not a duration{HINT_MARK}write a number and a unit, e.g. `500ms`, `1s`, `5m`, `1h`"
            )
        };
        let s = text.trim();
        if s.is_empty() {
            return Err(bad());
        }
        let mut total_ms: u128 = 0;
        let mut rest = s;
        while !rest.is_empty() {
            let digits = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            if digits == 0 || digits > 12 {
                return Err(bad());
            }
            let number: u128 = rest[..digits].parse().map_err(|_| bad())?;
            rest = &rest[digits..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(rest.len());
            let factor: u128 = match &rest[..unit_len] {
                "ms" => 1,
                "s" => 1000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => return Err(bad()),
            };
            rest = &rest[unit_len..];
            total_ms = total_ms.saturating_add(number.saturating_mul(factor));
        }
        if total_ms > MAX_DURATION_MS {
            return Err(format!(
                "`{text}` is longer than the maximum of a week (`168h`)"
            ));
        }
        let ms = u64::try_from(total_ms).map_err(|_| bad())?;
        Ok(Self::from_millis(ms))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms == 0 {
            f.write_str("0s")
        } else if ms.is_multiple_of(3_600_000) {
            write!(f, "{}h", ms / 3_600_000)
        } else if ms.is_multiple_of(60_000) {
            write!(f, "{}m", ms / 60_000)
        } else if ms.is_multiple_of(1000) {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

string_value!(Duration);

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A length of time: a number and a unit (`ms`, `s`, `m`, `h`), e.g. `500ms`, `1s`, `5m`, `1m30s`.",
            "type": "string",
            "pattern": "^([0-9]+(ms|s|m|h))+$",
            "examples": ["500ms", "5s", "15m"]
        })
    }
}

/// A day of the week, Monday first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Weekday {
    /// Monday.
    Mon,
    /// Tuesday.
    Tue,
    /// Wednesday.
    Wed,
    /// Thursday.
    Thu,
    /// Friday.
    Fri,
    /// Saturday.
    Sat,
    /// Sunday.
    Sun,
}

impl Weekday {
    /// All days, Monday first.
    pub const ALL: [Self; 7] = [
        Self::Mon,
        Self::Tue,
        Self::Wed,
        Self::Thu,
        Self::Fri,
        Self::Sat,
        Self::Sun,
    ];

    /// The three-letter English name (`Mon`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mon => "Mon",
            Self::Tue => "Tue",
            Self::Wed => "Wed",
            Self::Thu => "Thu",
            Self::Fri => "Fri",
            Self::Sat => "Sat",
            Self::Sun => "Sun",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(text))
    }
}

/// When deployments to an environment may start: days of the week, a time range and a time
/// zone, e.g. `Mon-Thu 09:00-16:00 UTC`, `Mon,Wed,Fri 08:30-17:00 +02:00`, `Mon-Fri,Sun
/// 22:00-23:59 -05:00`. The end is exclusive and must be after the start.
///
/// ```
/// use slipway::config::Window;
/// let w: Window = "Mon-Thu 09:00-16:00 UTC".parse().unwrap();
/// // 2024-01-01T10:00:00Z was a Monday.
/// assert!(w.contains_unix(1_704_103_200));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Window {
    days: [bool; 7],
    start_minute: u16,
    end_minute: u16,
    offset_minutes: i16,
}

impl Window {
    /// The days on which the window opens, Monday first.
    pub fn days(&self) -> Vec<Weekday> {
        Weekday::ALL
            .into_iter()
            .filter(|d| self.days[d.index()])
            .collect()
    }

    /// Start and end as minutes after local midnight; the end is exclusive.
    pub fn minutes(&self) -> (u16, u16) {
        (self.start_minute, self.end_minute)
    }

    /// The fixed offset from UTC in minutes (`+02:00` is 120).
    pub fn offset_minutes(&self) -> i16 {
        self.offset_minutes
    }

    /// Whether the instant `unix_seconds` (seconds since 1970-01-01T00:00:00Z) is inside.
    pub fn contains_unix(&self, unix_seconds: i64) -> bool {
        let local = unix_seconds + i64::from(self.offset_minutes) * 60;
        let days = local.div_euclid(86_400);
        let minute = local.rem_euclid(86_400) / 60;
        // 1970-01-01 was a Thursday: index 3 with Monday = 0.
        let weekday = (days + 3).rem_euclid(7);
        let Ok(weekday) = usize::try_from(weekday) else {
            return false;
        };
        self.days[weekday]
            && minute >= i64::from(self.start_minute)
            && minute < i64::from(self.end_minute)
    }
}

fn parse_hhmm(text: &str) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m > 59 {
        return None;
    }
    // `24:00` is the end of the day.
    if h > 24 || (h == 24 && m != 0) {
        return None;
    }
    Some(h * 60 + m)
}

fn parse_offset(text: &str) -> Option<i16> {
    if text.eq_ignore_ascii_case("UTC") || text == "Z" {
        return Some(0);
    }
    let sign = match text.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let minutes = parse_hhmm(&text[1..])?;
    if minutes > 14 * 60 {
        return None;
    }
    i16::try_from(minutes).ok().map(|m| sign * m)
}

impl std::str::FromStr for Window {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let example = "e.g. `Mon-Thu 09:00-16:00 UTC` or `Mon,Wed 08:00-12:00 +02:00`";
        let hint = format!("{HINT_MARK}write days, a 24-hour time range and a zone, {example}");
        let parts: Vec<&str> = text.split_whitespace().collect();
        let [days, times, zone] = parts.as_slice() else {
            return Err(format!("`{text}` is not a window{hint}"));
        };
        let mut set = [false; 7];
        for item in days.split(',') {
            let (from, to) = item.split_once('-').unwrap_or((item, item));
            let (Some(from), Some(to)) = (Weekday::parse(from), Weekday::parse(to)) else {
                return Err(format!(
                    "`{item}` is not a day or day range{HINT_MARK}use `Mon` to `Sun`, e.g. `Mon-Fri` or `Mon,Wed`"
                ));
            };
            if from > to {
                return Err(format!(
                    "day range `{item}` runs backwards{HINT_MARK}weeks start on Monday: write `Mon-Fri`, or list days with commas, e.g. `Thu,Fri,Mon`"
                ));
            }
            for d in &mut set[from.index()..=to.index()] {
                *d = true;
            }
        }
        let (start, end) = times
            .split_once('-')
            .and_then(|(a, b)| Some((parse_hhmm(a)?, parse_hhmm(b)?)))
            .ok_or_else(|| {
                format!(
                    "`{times}` is not a time range; use 24-hour `HH:MM-HH:MM`, e.g. `09:00-16:00`"
                )
            })?;
        if end <= start {
            return Err(format!(
                "time range `{times}` ends before it starts{HINT_MARK}windows cannot cross midnight: split the range or pick other hours"
            ));
        }
        let offset = parse_offset(zone).ok_or_else(|| {
            format!("`{zone}` is not a time zone{HINT_MARK}use `UTC` or a fixed offset such as `+02:00`; named zones are ambiguous around daylight saving changes")
        })?;
        Ok(Self {
            days: set,
            start_minute: start,
            end_minute: end,
            offset_minutes: offset,
        })
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Days as maximal runs: `Mon-Thu,Sat`.
        let mut runs = Vec::new();
        let mut i = 0;
        while i < 7 {
            if self.days[i] {
                let start = i;
                while i + 1 < 7 && self.days[i + 1] {
                    i += 1;
                }
                let (a, b) = (Weekday::ALL[start].as_str(), Weekday::ALL[i].as_str());
                runs.push(if start == i {
                    a.to_owned()
                } else {
                    format!("{a}-{b}")
                });
            }
            i += 1;
        }
        let hm = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        let zone = if self.offset_minutes == 0 {
            "UTC".to_owned()
        } else {
            let sign = if self.offset_minutes < 0 { '-' } else { '+' };
            format!("{sign}{}", hm(self.offset_minutes.unsigned_abs()))
        };
        write!(
            f,
            "{} {}-{} {zone}",
            runs.join(","),
            hm(self.start_minute),
            hm(self.end_minute)
        )
    }
}

string_value!(Window);

impl JsonSchema for Window {
    fn schema_name() -> Cow<'static, str> {
        "Window".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "When deployments may start: days (`Mon-Thu`, `Mon,Wed,Fri`), a 24-hour time range (`09:00-16:00`, end exclusive) and `UTC` or a fixed offset (`+02:00`).",
            "type": "string",
            "pattern": "^\\S+ [0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2} (UTC|Z|[+-][0-9]{2}:[0-9]{2})$",
            "examples": ["Mon-Thu 09:00-16:00 UTC", "Mon,Wed,Fri 08:30-17:00 +02:00"]
        })
    }
}

/// A percentage from 0 to 100 inclusive, e.g. `95` or `99.5`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Percent(f64);

impl Percent {
    /// A percentage; `value` must be within 0..=100.
    pub const fn new_unchecked(value: f64) -> Self {
        Self(value)
    }

    /// The value, 0 to 100.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Percent {
    type Error = String;

    fn try_from(value: f64) -> Result<Self, String> {
        if (0.0..=100.0).contains(&value) {
            Ok(Self(value))
        } else {
            Err(format!(
                "`{value}` is not a percentage from 0 to 100{HINT_MARK}write a number such as `95` or `99.5`"
            ))
        }
    }
}

impl From<Percent> for f64 {
    fn from(p: Percent) -> f64 {
        p.0
    }
}

impl JsonSchema for Percent {
    fn schema_name() -> Cow<'static, str> {
        "Percent".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A percentage from 0 to 100.",
            "type": "number",
            "minimum": 0,
            "maximum": 100
        })
    }
}

/// A non-negative number of percentage points, e.g. the allowed coverage drop `2` or `0.5`.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct Points(f64);

impl Points {
    /// Points; `value` must be finite and at least 0.
    pub const fn new_unchecked(value: f64) -> Self {
        Self(value)
    }

    /// The value, at least 0.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Points {
    type Error = String;

    fn try_from(value: f64) -> Result<Self, String> {
        if value.is_finite() && (0.0..=100.0).contains(&value) {
            Ok(Self(value))
        } else {
            Err(format!(
                "`{value}` is not a number of points from 0 to 100{HINT_MARK}write a non-negative number such as `2` or `0.5`"
            ))
        }
    }
}

impl From<Points> for f64 {
    fn from(p: Points) -> f64 {
        p.0
    }
}

impl JsonSchema for Points {
    fn schema_name() -> Cow<'static, str> {
        "Points".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Percentage points, 0 or more (at most 100).",
            "type": "number",
            "minimum": 0,
            "maximum": 100
        })
    }
}

/// Defines a `u32` newtype checked against an inclusive range while it is read.
macro_rules! bounded_u32 {
    ($(#[$doc:meta])* $name:ident, $min:expr, $max:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "u64", into = "u32")]
        pub struct $name(u32);

        impl $name {
            /// The smallest allowed value.
            pub const MIN: u32 = $min;
            /// The largest allowed value.
            pub const MAX: u32 = $max;

            /// The value; panics in const context when out of range.
            pub const fn new(value: u32) -> Self {
                assert!(value >= $min && value <= $max, "value out of range");
                Self(value)
            }

            /// The value.
            pub fn get(self) -> u32 {
                self.0
            }
        }

        impl TryFrom<u64> for $name {
            type Error = String;

            fn try_from(value: u64) -> Result<Self, String> {
                match u32::try_from(value) {
                    Ok(v) if (Self::MIN..=Self::MAX).contains(&v) => Ok(Self(v)),
                    _ => Err(format!(
                        "`{value}` is out of range{HINT_MARK}{} must be from {} to {}",
                        $what,
                        Self::MIN,
                        Self::MAX
                    )),
                }
            }
        }

        impl From<$name> for u32 {
            fn from(v: $name) -> u32 {
                v.0
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({
                    "type": "integer",
                    "minimum": $min,
                    "maximum": $max
                })
            }
        }
    };
}

bounded_u32!(
    /// A count of parallel test shards, 1 to 256.
    Shards,
    1,
    256,
    "the shard count"
);
bounded_u32!(
    /// A count of app instances, 1 to 1000.
    Instances,
    1,
    1000,
    "the instance count"
);
bounded_u32!(
    /// Days to keep workflow artifacts, 1 to 400 (the GitHub maximum).
    RetentionDays,
    1,
    400,
    "the retention in days"
);

/// The name of a GitHub Actions secret, e.g. `SLACK_WEBHOOK_URL`: letters, digits and `_`, not
/// starting with a digit or `GITHUB_`. Config holds names only; the value lives in GitHub.
///
/// A value that looks like a secret itself (a URL, a token) is rejected without being echoed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SecretName(String);

/// Separates a value error's message from its hint inside a serde custom error.
pub(crate) const HINT_MARK: &str = "\u{1f}hint: ";

/// The message of the error for a value that looks like a secret.
pub(crate) const LOOKS_LIKE_SECRET: &str =
    "this looks like a secret value, not the name of a secret";

/// The message of the error for a value that breaks GitHub's secret-name rules. It never holds
/// the value: a rejected "name" may well be a credential pasted into the wrong field.
pub(crate) const NOT_A_SECRET_NAME: &str = "this is not a secret name";

/// True for every message a [`SecretName`] error starts with; such errors mask their snippet.
pub(crate) fn is_secret_name_error(message: &str) -> bool {
    message == LOOKS_LIKE_SECRET || message == NOT_A_SECRET_NAME
}

impl SecretName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Prefixes of well-known credentials, compared case-sensitively as the issuers write them:
/// Stripe (`sk_live_`, `sk_test_`, `rk_`), npm, GitLab, Slack, GitHub, OpenAI, and JWTs (whose
/// base64 header always starts `eyJ`).
const CREDENTIAL_PREFIXES: &[&str] = &[
    "sk_live_",
    "sk_test_",
    "sk-",
    "rk_",
    "npm_",
    "glpat-",
    "xox",
    "xapp-",
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "ghr_",
    "github_pat_",
    "eyJ",
];

/// Whether `text` looks like a credential or URL rather than a secret's name.
fn looks_like_secret(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    CREDENTIAL_PREFIXES.iter().any(|p| text.starts_with(p))
        || is_aws_access_key_id(text)
        || lower.starts_with("hooks.")
        || text.contains(['.', '/', ':', '@'])
        || (text.len() >= 32 && !text.contains('_'))
}

/// An AWS access key id: `AKIA` (long-term) or `ASIA` (temporary) and 16 upper-case letters
/// or digits. Names such as `ASIAN_MARKET_KEY` do not match.
fn is_aws_access_key_id(text: &str) -> bool {
    (text.starts_with("AKIA") || text.starts_with("ASIA"))
        && text.len() == 20
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl TryFrom<String> for SecretName {
    type Error = String;

    /// Follows GitHub's rules for secret names: letters, digits and `_`, not starting with a
    /// digit or with `GITHUB_` in any case
    /// (<https://docs.github.com/en/actions/security-guides/using-secrets-in-github-actions#naming-your-secrets>).
    /// No error repeats the value.
    fn try_from(text: String) -> Result<Self, String> {
        if looks_like_secret(&text) {
            return Err(LOOKS_LIKE_SECRET.to_owned());
        }
        let valid = text
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Err(format!(
                "{NOT_A_SECRET_NAME}{HINT_MARK}secret names use letters, digits and `_`, and do not start with a digit, e.g. `DATABASE_URL`"
            ));
        }
        if text.to_ascii_uppercase().starts_with("GITHUB_") {
            return Err(format!(
                "{NOT_A_SECRET_NAME}{HINT_MARK}names starting with `GITHUB_` are reserved by GitHub"
            ));
        }
        Ok(Self(text))
    }
}

impl From<SecretName> for String {
    fn from(s: SecretName) -> String {
        s.0
    }
}

impl JsonSchema for SecretName {
    fn schema_name() -> Cow<'static, str> {
        "SecretName".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "The name of a GitHub Actions secret (never its value), e.g. `SLACK_WEBHOOK_URL`.",
            "type": "string",
            "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"
        })
    }
}

/// Deserializes a name that lands in workflows on one line (`project.name`,
/// `project.default-branch`, `environments.*.branch`, `release.tag-prefix`): a line break or any
/// other control character is refused while the file is read, so `config validate` fails on it,
/// not `gen-workflows`. The check is the one the templates apply to everything they print
/// ([`crate::generate::render::is_forbidden`]).
pub(crate) fn one_line<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    check_one_line(&text)?;
    Ok(text)
}

/// [`one_line`] for an optional key.
pub(crate) fn one_line_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = Option::<String>::deserialize(d)?;
    if let Some(text) = &text {
        check_one_line(text)?;
    }
    Ok(text)
}

fn check_one_line<E: serde::de::Error>(text: &str) -> Result<(), E> {
    match text
        .chars()
        .find(|c| crate::generate::render::is_forbidden(*c))
    {
        Some(c) => Err(E::custom(format!(
            "the value holds the control character U+{:04X} (a line break or similar), which would change the structure of the generated workflows{HINT_MARK}write the value on one line, without control characters",
            u32::from(c)
        ))),
        None => Ok(()),
    }
}

/// Deserializes a git branch name (`project.default-branch`, `environments.*.branch`): one line,
/// and the rules of `git check-ref-format` (no space, `~ ^ : ? * [ \\`, `..`, `@{`, no leading
/// `-` or `/`, no trailing `/`, `.` or `.lock`). A name git refuses could never match a push, and
/// `: ` in one would change how a workflow's `if:` parses.
pub(crate) fn branch_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = one_line_opt(d)?;
    if let Some(text) = &text {
        if text.is_empty() {
            return Err(serde::de::Error::custom(format!(
                "the branch name is empty{HINT_MARK}name a branch, e.g. `main`"
            )));
        }
        check_ref_part(text)?;
    }
    Ok(text)
}

/// Deserializes `release.tag-prefix`: one line, and nothing git refuses in a tag name (empty is
/// fine: tags are then bare versions).
pub(crate) fn tag_prefix_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = one_line_opt(d)?;
    if let Some(text) = text.as_deref().filter(|t| !t.is_empty()) {
        check_ref_part(text)?;
    }
    Ok(text)
}

fn check_ref_part<E: serde::de::Error>(text: &str) -> Result<(), E> {
    let bad = text
        .chars()
        .find(|c| matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
        .map(|c| format!("`{c}`"))
        .or_else(|| text.contains("..").then(|| "`..`".to_owned()))
        .or_else(|| text.contains("@{").then(|| "`@{`".to_owned()))
        .or_else(|| {
            (text.starts_with(['-', '/', '.'])
                || text.ends_with(['/', '.'])
                || text.ends_with(".lock"))
            .then(|| "a leading `-`, `/` or `.`, or a trailing `/`, `.` or `.lock`".to_owned())
        });
    match bad {
        Some(what) => Err(E::custom(format!(
            "git does not allow {what} in a branch or tag name{HINT_MARK}use the name exactly as git shows it (`git branch -a`)"
        ))),
        None => Ok(()),
    }
}

/// Deserializes a path that must stay inside the repository (`release.changelog`,
/// `security.baseline`): relative, without `..`. Refused while the file is read, so
/// `config validate` fails on it, not the run that would write it.
pub(crate) fn repo_path<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let text = String::deserialize(d)?;
    check_repo_path(&text)?;
    Ok(text)
}

/// [`repo_path`] for an optional key.
pub(crate) fn repo_path_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let text = Option::<String>::deserialize(d)?;
    if let Some(text) = &text {
        check_repo_path(text)?;
    }
    Ok(text)
}

fn check_repo_path<E: serde::de::Error>(text: &str) -> Result<(), E> {
    crate::fsutil::check_relative(text).map_err(|why| {
        E::custom(format!(
            "{why}{HINT_MARK}slipway reads and writes only files inside the repository: give a path relative to its root"
        ))
    })?;
    if let Some(c) = text
        .chars()
        .find(|c| crate::generate::render::is_forbidden(*c))
    {
        return Err(E::custom(format!(
            "the path holds the control character U+{:04X}{HINT_MARK}remove it",
            u32::from(c)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pieces of hostile strings: line breaks of every kind, other controls, YAML syntax, paths
    /// that climb out, names that change how processes run, GitHub expressions.
    const PIECES: &[&str] = &[
        "\r",
        "\n",
        "\u{85}",
        "\u{2028}",
        "\u{2029}",
        "\t",
        "\u{0}",
        "\u{1b}",
        "\u{7f}",
        "\u{feff}",
        "/",
        "..",
        "../",
        "/etc/passwd",
        "C:",
        "\\",
        ":",
        "#",
        "'",
        "\"",
        "{",
        "[",
        "PATH",
        "LD_PRELOAD",
        "BASH_ENV",
        "GITHUB_",
        "${{ github.token }}",
        "x",
        "_",
        "é",
        " ",
    ];

    /// A config with `value` at one of the keys that reach workflows or the file system.
    fn config_with(field: usize, value: &str) -> String {
        let v = crate::generate::render::yaml_quote(value);
        let key = crate::generate::render::yaml_quote(&format!("A{value}"));
        match field {
            0 => format!("project: {{ name: {v} }}\n"),
            1 => format!("project: {{ default-branch: {v} }}\n"),
            2 => format!("environments:\n  prod: {{ branch: {v} }}\n"),
            3 => format!("release: {{ tag-prefix: {v} }}\n"),
            4 => format!("release: {{ changelog: {v} }}\n"),
            5 => format!("security: {{ baseline: {v} }}\n"),
            6 => format!("environments:\n  prod: {{ branch: main, env: {{ {key}: x }} }}\n"),
            7 => format!("environments:\n  prod: {{ branch: main, env: {{ A: {v} }} }}\n"),
            _ => format!("ci: {{ env: {{ {key}: {v} }} }}\n"),
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Whatever the loader accepts is what every later step accepts: no control character
        /// in a one-line value, no path out of the repository, no refused variable name.
        #[test]
        fn the_loader_accepts_only_what_the_run_accepts(
            field in 0usize..9,
            pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..6),
        ) {
            let value = format!("a{}", pieces.concat());
            let yaml = config_with(field, &value);
            let Ok(config) = crate::config::parse(yaml.as_bytes(), "slipway.yml") else {
                return Ok(());
            };
            let bad = |s: &str| s.chars().any(crate::generate::render::is_forbidden);
            proptest::prop_assert!(!bad(&config.project.name), "{yaml}");
            proptest::prop_assert!(!config.project.default_branch.as_deref().is_some_and(bad), "{yaml}");
            proptest::prop_assert!(!config.release.tag_prefix.as_deref().is_some_and(bad), "{yaml}");
            proptest::prop_assert!(crate::fsutil::check_relative(&config.release.changelog).is_ok(), "{yaml}");
            proptest::prop_assert!(!bad(&config.release.changelog), "{yaml}");
            if let Some(b) = &config.security.baseline {
                proptest::prop_assert!(crate::fsutil::check_relative(b).is_ok() && !bad(b), "{yaml}");
            }
            for (_, env) in config.environments.iter() {
                proptest::prop_assert!(!env.branch.as_deref().is_some_and(bad), "{yaml}");
                for (k, v) in &env.env {
                    proptest::prop_assert!(crate::github::env::validate_name(k.as_str()).is_ok(), "{yaml}");
                    proptest::prop_assert!(!v.as_str().contains(['\n', '\r']) && !v.as_str().contains("${{"), "{yaml}");
                }
            }
        }

        /// Arbitrary bytes never panic the loader.
        #[test]
        fn arbitrary_bytes_never_panic_the_loader(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..256)) {
            let _ = crate::config::parse(&bytes, "slipway.yml");
        }
    }

    #[test]
    fn durations_parse_units_and_sums() {
        let ms = |s: &str| s.parse::<Duration>().map(|d| d.as_std().as_millis());
        assert_eq!(ms("500ms"), Ok(500));
        assert_eq!(ms("1s"), Ok(1000));
        assert_eq!(ms("5m"), Ok(300_000));
        assert_eq!(ms("2h"), Ok(7_200_000));
        assert_eq!(ms("1m30s"), Ok(90_000));
        assert_eq!(ms("0s"), Ok(0));
    }

    #[test]
    fn durations_without_a_unit_or_with_junk_are_errors() {
        for bad in [
            "",
            "5",
            "s",
            "1.5s",
            "5 m",
            "-1s",
            "1d",
            "1sec",
            "99999999999999s",
        ] {
            assert!(bad.parse::<Duration>().is_err(), "{bad:?} parsed");
        }
        assert_eq!(
            "5".parse::<Duration>(),
            Err(format!(
                "`5` is not a duration{HINT_MARK}write a number and a unit, e.g. `500ms`, `1s`, `5m`, `1h`"
            ))
        );
    }

    #[test]
    fn durations_print_in_the_largest_exact_unit() {
        for (text, shown) in [
            ("500ms", "500ms"),
            ("60s", "1m"),
            ("90s", "90s"),
            ("120m", "2h"),
        ] {
            assert_eq!(text.parse::<Duration>().expect(text).to_string(), shown);
        }
    }

    #[test]
    fn windows_parse_day_ranges_lists_times_and_zones() {
        let w: Window = "Mon-Thu 09:00-16:00 UTC".parse().expect("parse");
        assert_eq!(
            w.days(),
            vec![Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu]
        );
        assert_eq!(w.minutes(), (540, 960));
        assert_eq!(w.offset_minutes(), 0);
        let w: Window = "Mon,Wed-Fri 08:30-17:00 +02:00".parse().expect("parse");
        assert_eq!(w.to_string(), "Mon,Wed-Fri 08:30-17:00 +02:00");
        assert_eq!(w.offset_minutes(), 120);
        let w: Window = "sun 00:00-24:00 -05:30".parse().expect("parse");
        assert_eq!(w.to_string(), "Sun 00:00-24:00 -05:30");
    }

    #[test]
    fn windows_reject_bad_days_times_and_zones() {
        for bad in [
            "",
            "Mon-Thu",
            "Mon-Thu 09:00-16:00",
            "Mon-Thu 09:00-16:00 CET",
            "Thu-Mon 09:00-16:00 UTC",
            "Mon-Thu 16:00-09:00 UTC",
            "Mon-Thu 9:00-16:00 UTC",
            "Mon-Thu 09:00-25:00 UTC",
            "Mon-Thu 09:60-16:00 UTC",
            "Moo 09:00-16:00 UTC",
            "Mon 09:00-16:00 +15:00",
            "Mon 09:00-16:00 UTC extra",
        ] {
            assert!(bad.parse::<Window>().is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn window_contains_checks_day_time_and_offset() {
        let w: Window = "Mon-Thu 09:00-16:00 UTC".parse().expect("parse");
        let monday_10 = 1_704_103_200; // 2024-01-01T10:00:00Z
        assert!(w.contains_unix(monday_10));
        assert!(!w.contains_unix(monday_10 + 6 * 3600)); // 16:00 is the exclusive end
        assert!(!w.contains_unix(monday_10 + 4 * 86_400)); // Friday
        let plus2: Window = "Mon 11:00-12:00 +02:00".parse().expect("parse");
        assert!(plus2.contains_unix(monday_10 - 1800)); // 09:30Z is 11:30 local
        assert!(!plus2.contains_unix(monday_10 + 1800)); // 10:30Z is 12:30 local
    }

    #[test]
    fn secret_names_reject_urls_tokens_and_bad_names() {
        assert!(SecretName::try_from("SLACK_WEBHOOK_URL".to_owned()).is_ok());
        for secret in [
            "https://hooks.slack.com/services/T000/B000/XXXX",
            "xoxb-1234-abcd",
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        ] {
            assert_eq!(
                SecretName::try_from(secret.to_owned()),
                Err(LOOKS_LIKE_SECRET.to_owned())
            );
        }
        assert!(SecretName::try_from("1ABC".to_owned()).is_err());
        assert!(SecretName::try_from("MY-SECRET".to_owned()).is_err());
        assert!(SecretName::try_from("GITHUB_TOKEN".to_owned()).is_err());
        assert!(SecretName::try_from("github_token".to_owned()).is_err());
    }

    #[test]
    fn credentials_of_every_known_shape_are_refused_without_being_echoed() {
        for secret in [
            "sk_live_0123456789abcdef",
            "sk_test_0123456789abcdef",
            "rk_live_0123456789abcdef",
            "npm_AbCdEf0123456789",
            "AKIAIOSFODNN7EXAMPLE",
            "ASIAIOSFODNN7EXAMPLE",
            "glpat-0123456789abcdefghij",
            "xoxe.xoxp-1-abc",
            "ghp_abc",
            "gho_abc",
            "ghs_abc",
            "github_pat_11ABC_def",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature",
            "eyJhbGciOiJIUzI1NiJ9",
            "token.with.dots",
            "a/b",
            "user:pass",
        ] {
            assert_eq!(
                SecretName::try_from(secret.to_owned()),
                Err(LOOKS_LIKE_SECRET.to_owned()),
                "{secret}"
            );
        }
        for bad in ["MY-SECRET", "1ABC", "GITHUB_X", "", "with space"] {
            let err = SecretName::try_from(bad.to_owned()).expect_err(bad);
            assert!(err.starts_with(NOT_A_SECRET_NAME), "{err}");
            assert!(
                bad.is_empty() || !err.contains(bad),
                "{bad} echoed in {err}"
            );
        }
        for name in ["ASIAN_MARKET_KEY", "RK_DEPLOY_KEY", "NPM_TOKEN", "_X", "a1"] {
            assert!(SecretName::try_from(name.to_owned()).is_ok(), "{name}");
        }
    }

    #[test]
    fn bounded_numbers_check_their_range() {
        assert!(Shards::try_from(0).is_err());
        assert!(Shards::try_from(1).is_ok());
        assert!(Shards::try_from(257).is_err());
        assert!(Percent::try_from(100.5).is_err());
        assert!(Percent::try_from(f64::NAN).is_err());
        assert!(Points::try_from(-1.0).is_err());
    }
}
