//! CVSS base scores from a vector string, and the level a score maps to.
//!
//! v3.0/v3.1 follow the CVSS v3.1 specification, section 7
//! (<https://www.first.org/cvss/v3.1/specification-document>), including its `Roundup`
//! definition (section A.2) that avoids floating-point surprises; v4.0 vectors are scored by
//! [`super::cvss4`].

use crate::security::Level;

/// The base score (0.0 to 10.0) of a `CVSS:3.x/AV:N/AC:L/...` or `CVSS:4.0/AV:N/...` vector;
/// `None` when the vector is neither or lacks a base metric.
pub fn base_score(vector: &str) -> Option<f64> {
    let mut parts = vector.trim().split('/');
    let version = parts.next()?;
    if version == "CVSS:4.0" {
        return super::cvss4::score(vector);
    }
    if version != "CVSS:3.0" && version != "CVSS:3.1" {
        return None;
    }
    let (mut av, mut ac, mut pr, mut ui, mut s, mut c, mut i, mut a) =
        (None, None, None, None, None, None, None, None);
    for part in parts {
        let (k, v) = part.split_once(':')?;
        let slot = match k {
            "AV" => &mut av,
            "AC" => &mut ac,
            "PR" => &mut pr,
            "UI" => &mut ui,
            "S" => &mut s,
            "C" => &mut c,
            "I" => &mut i,
            "A" => &mut a,
            _ => continue, // temporal and environmental metrics do not change the base score
        };
        if slot.is_some() {
            return None; // a metric given twice: not a valid vector
        }
        *slot = Some(v);
    }
    let changed = match s? {
        "U" => false,
        "C" => true,
        _ => return None,
    };
    let av = match av? {
        "N" => 0.85,
        "A" => 0.62,
        "L" => 0.55,
        "P" => 0.2,
        _ => return None,
    };
    let ac = match ac? {
        "L" => 0.77,
        "H" => 0.44,
        _ => return None,
    };
    let pr = match (pr?, changed) {
        ("N", _) => 0.85,
        ("L", false) => 0.62,
        ("L", true) => 0.68,
        ("H", false) => 0.27,
        ("H", true) => 0.5,
        _ => return None,
    };
    let ui = match ui? {
        "N" => 0.85,
        "R" => 0.62,
        _ => return None,
    };
    let cia = |m: Option<&str>| match m? {
        "H" => Some(0.56),
        "L" => Some(0.22),
        "N" => Some(0.0),
        _ => None,
    };
    let (c, i, a) = (cia(c)?, cia(i)?, cia(a)?);
    let iss = 1.0 - ((1.0 - c) * (1.0 - i) * (1.0 - a));
    let impact = if changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02_f64).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Some(0.0);
    }
    Some(if changed {
        roundup((1.08 * (impact + exploitability)).min(10.0))
    } else {
        roundup((impact + exploitability).min(10.0))
    })
}

/// CVSS v3.1 `Roundup`: the smallest number with one decimal that is >= `x`.
fn roundup(x: f64) -> f64 {
    let int_input = (x * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) + 1) as f64 / 10.0
    }
}

/// The qualitative rating of a score (CVSS v3.1 section 5); `None` for 0.0.
pub fn level(score: f64) -> Option<Level> {
    Some(match score {
        s if s >= 9.0 => Level::Critical,
        s if s >= 7.0 => Level::High,
        s if s >= 4.0 => Level::Medium,
        s if s > 0.0 => Level::Low,
        _ => return None,
    })
}

/// A database-specific severity word (`LOW`, `MODERATE`, `HIGH`, `CRITICAL`) as a level.
pub fn level_from_word(word: &str) -> Option<Level> {
    Some(match word.trim().to_ascii_lowercase().as_str() {
        "low" => Level::Low,
        "moderate" | "medium" => Level::Medium,
        "high" | "important" => Level::High,
        "critical" => Level::Critical,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_nvd_for_known_cves() {
        // Log4Shell, CVE-2021-44228
        assert_eq!(
            base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"),
            Some(10.0)
        );
        // Marvin (RUSTSEC-2023-0071, GHSA-c38w-74pg-36hr)
        assert_eq!(
            base_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N"),
            Some(5.9)
        );
        // semver ReDoS, CVE-2022-25883
        assert_eq!(
            base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"),
            Some(7.5)
        );
        // requests Proxy-Authorization leak, CVE-2023-32681
        assert_eq!(
            base_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:N"),
            Some(6.1)
        );
        assert_eq!(
            base_score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            Some(9.8)
        );
        assert_eq!(
            base_score("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N"),
            Some(6.4)
        );
        assert_eq!(
            base_score("CVSS:3.1/AV:L/AC:L/PR:H/UI:R/S:U/C:L/I:N/A:N"),
            Some(2.0)
        );
        assert_eq!(
            base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N"),
            Some(0.0)
        );
    }

    #[test]
    fn v4_vectors_are_scored_too() {
        assert_eq!(
            base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"),
            Some(9.3)
        );
        assert_eq!(level(9.3), Some(Level::Critical));
    }

    #[test]
    fn roundup_avoids_float_artefacts() {
        assert_eq!(roundup(4.000_000_01), 4.0);
        assert_eq!(roundup(4.02), 4.1);
        assert_eq!(roundup(4.0), 4.0);
    }

    #[test]
    fn rejects_other_versions_and_broken_vectors() {
        assert_eq!(base_score("CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P"), None);
        assert_eq!(
            base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N"),
            None
        );
        assert_eq!(base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"), None);
        assert_eq!(
            base_score("CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            None
        );
        assert_eq!(
            base_score("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"),
            None
        );
        assert_eq!(base_score(""), None);
    }

    #[test]
    fn levels_follow_the_qualitative_scale() {
        assert_eq!(level(0.0), None);
        assert_eq!(level(3.9), Some(Level::Low));
        assert_eq!(level(4.0), Some(Level::Medium));
        assert_eq!(level(7.0), Some(Level::High));
        assert_eq!(level(9.0), Some(Level::Critical));
        assert_eq!(level_from_word("MODERATE"), Some(Level::Medium));
        assert_eq!(level_from_word("unknown"), None);
    }
}
