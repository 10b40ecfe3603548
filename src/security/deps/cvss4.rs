//! CVSS v4.0 scores from a vector string, per the FIRST specification
//! (<https://www.first.org/cvss/v4-0/specification-document>, section 8.2 "CVSS v4.0 Scoring").
//!
//! v4.0 has no formula like v3: the metrics are grouped into six equivalence classes
//! (EQ1..EQ6), whose levels form a "macro vector" such as `001100`. FIRST's experts scored
//! each of the 270 macro vectors (`MACRO_SCORES`); a vector's score is its macro vector's
//! score lowered by its mean severity distance from the highest vector of the same macro
//! vector, in proportion to the gap to the next lower macro vector of each class.
//!
//! Threat (`E`) and environmental (`CR`, `MAV`, ...) metrics are honoured when present, so a
//! `CVSS-BTE` vector scores as FIRST's calculator scores it; supplemental metrics (`S`, `AU`,
//! `R`, `V`, `RE`, `U`) are validated and do not change the score.

/// The metrics in the order the specification lists them (a vector must keep this order),
/// with their allowed values; the first eleven are mandatory.
const METRICS: &[(&str, &[&str])] = &[
    ("AV", &["N", "A", "L", "P"]),
    ("AC", &["L", "H"]),
    ("AT", &["N", "P"]),
    ("PR", &["N", "L", "H"]),
    ("UI", &["N", "P", "A"]),
    ("VC", &["H", "L", "N"]),
    ("VI", &["H", "L", "N"]),
    ("VA", &["H", "L", "N"]),
    ("SC", &["H", "L", "N"]),
    ("SI", &["H", "L", "N"]),
    ("SA", &["H", "L", "N"]),
    ("E", &["X", "A", "P", "U"]),
    ("CR", &["X", "H", "M", "L"]),
    ("IR", &["X", "H", "M", "L"]),
    ("AR", &["X", "H", "M", "L"]),
    ("MAV", &["X", "N", "A", "L", "P"]),
    ("MAC", &["X", "L", "H"]),
    ("MAT", &["X", "N", "P"]),
    ("MPR", &["X", "N", "L", "H"]),
    ("MUI", &["X", "N", "P", "A"]),
    ("MVC", &["X", "H", "L", "N"]),
    ("MVI", &["X", "H", "L", "N"]),
    ("MVA", &["X", "H", "L", "N"]),
    ("MSC", &["X", "H", "L", "N"]),
    ("MSI", &["X", "S", "H", "L", "N"]),
    ("MSA", &["X", "S", "H", "L", "N"]),
    ("S", &["X", "N", "P"]),
    ("AU", &["X", "N", "Y"]),
    ("R", &["X", "A", "U", "I"]),
    ("V", &["X", "D", "C"]),
    ("RE", &["X", "L", "M", "H"]),
    ("U", &["X", "Clear", "Green", "Amber", "Red"]),
];
const MANDATORY: usize = 11;

/// A parsed vector: one value per entry of [`METRICS`], `X` where not given.
struct Vector<'a>([&'a str; METRICS.len()]);

impl<'a> Vector<'a> {
    fn parse(vector: &'a str) -> Option<Self> {
        let mut parts = vector.trim().split('/');
        if parts.next()? != "CVSS:4.0" {
            return None;
        }
        let mut values = ["X"; METRICS.len()];
        let mut next = 0; // metrics must appear in the specification's order, once each
        for part in parts {
            let (key, value) = part.split_once(':')?;
            let at = next + METRICS[next..].iter().position(|(k, _)| *k == key)?;
            if at > next && next < MANDATORY {
                return None; // a mandatory metric was skipped
            }
            if !METRICS[at].1.contains(&value) {
                return None;
            }
            values[at] = value;
            next = at + 1;
        }
        (next >= MANDATORY).then_some(Self(values))
    }

    fn raw(&self, key: &str) -> &'a str {
        METRICS
            .iter()
            .position(|(k, _)| *k == key)
            .map_or("X", |i| self.0[i])
    }

    /// The value the score uses: a modified (`M..`) metric overrides the base one, and an
    /// unset `E`, `CR`, `IR`, `AR` counts as its worst case.
    fn get(&self, key: &str) -> &'a str {
        let value = self.raw(key);
        match (key, value) {
            ("E", "X") => return "A",
            ("CR" | "IR" | "AR", "X") => return "H",
            _ => {}
        }
        let modified = match key {
            "AV" => "MAV",
            "AC" => "MAC",
            "AT" => "MAT",
            "PR" => "MPR",
            "UI" => "MUI",
            "VC" => "MVC",
            "VI" => "MVI",
            "VA" => "MVA",
            "SC" => "MSC",
            "SI" => "MSI",
            "SA" => "MSA",
            _ => return value,
        };
        match self.raw(modified) {
            "X" => value,
            m => m,
        }
    }

    /// The macro vector: the level (0 = most severe) of each equivalence class, spec table 24.
    fn macro_vector(&self) -> [u8; 6] {
        let g = |k| self.get(k);
        let (av, pr, ui) = (g("AV"), g("PR"), g("UI"));
        let eq1 = if av == "N" && pr == "N" && ui == "N" {
            0
        } else if (av == "N" || pr == "N" || ui == "N") && av != "P" {
            1
        } else {
            2
        };
        let eq2 = u8::from(!(g("AC") == "L" && g("AT") == "N"));
        let (vc, vi, va) = (g("VC"), g("VI"), g("VA"));
        let eq3 = if vc == "H" && vi == "H" {
            0
        } else if vc == "H" || vi == "H" || va == "H" {
            1
        } else {
            2
        };
        let eq4 = if self.raw("MSI") == "S" || self.raw("MSA") == "S" {
            0
        } else if g("SC") == "H" || g("SI") == "H" || g("SA") == "H" {
            1
        } else {
            2
        };
        let eq5 = match g("E") {
            "A" => 0,
            "P" => 1,
            _ => 2,
        };
        let eq6 = u8::from(
            !((g("CR") == "H" && vc == "H")
                || (g("IR") == "H" && vi == "H")
                || (g("AR") == "H" && va == "H")),
        );
        [eq1, eq2, eq3, eq4, eq5, eq6]
    }
}

/// The severity of a metric value, in tenths: 0 is the most severe (spec section 8.2).
fn level(key: &str, value: &str) -> Option<i32> {
    Some(match (key, value) {
        ("AV" | "PR" | "UI", "N") | ("AC", "L") | ("AT", "N") => 0,
        ("AV", "A") | ("PR", "L") | ("UI", "P") | ("AC", "H") | ("AT", "P") => 1,
        ("AV", "L") | ("PR", "H") | ("UI", "A") => 2,
        ("AV", "P") => 3,
        ("VC" | "VI" | "VA" | "CR" | "IR" | "AR", "H") => 0,
        ("VC" | "VI" | "VA", "L") | ("CR" | "IR" | "AR", "M") => 1,
        ("VC" | "VI" | "VA", "N") | ("CR" | "IR" | "AR", "L") => 2,
        ("SI" | "SA", "S") => 0,
        ("SC" | "SI" | "SA", "H") => 1,
        ("SC" | "SI" | "SA", "L") => 2,
        ("SC" | "SI" | "SA", "N") => 3,
        ("E", "A") => 0,
        ("E", "P") => 1,
        ("E", "U") => 2,
        _ => return None,
    })
}

/// The metrics whose distances are summed per class, in the order of the highest vectors.
const DISTANCE_METRICS: [&str; 15] = [
    "AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "CR", "IR", "AR", "SC", "SI", "SA", "E",
];

/// The highest-severity vectors of each level of each class (FIRST's `max_composed`), as
/// values of [`DISTANCE_METRICS`] in the order listed there.
const EQ1_MAX: [&[[&str; 3]]; 3] = [
    &[["N", "N", "N"]],
    &[["A", "N", "N"], ["N", "L", "N"], ["N", "N", "P"]],
    &[["P", "N", "N"], ["A", "L", "P"]],
];
const EQ2_MAX: [&[[&str; 2]]; 2] = [&[["L", "N"]], &[["H", "N"], ["L", "P"]]];
/// EQ3 and EQ6 together, indexed `[eq3][eq6]`: VC, VI, VA, CR, IR, AR.
const EQ3_EQ6_MAX: [[&[[&str; 6]]; 2]; 3] = [
    [
        &[["H", "H", "H", "H", "H", "H"]],
        &[
            ["H", "H", "L", "M", "M", "H"],
            ["H", "H", "H", "M", "M", "M"],
        ],
    ],
    [
        &[
            ["L", "H", "H", "H", "H", "H"],
            ["H", "L", "H", "H", "H", "H"],
        ],
        &[
            ["L", "H", "L", "H", "M", "H"],
            ["L", "H", "H", "H", "M", "M"],
            ["H", "L", "H", "M", "H", "M"],
            ["H", "L", "L", "M", "H", "H"],
            ["L", "L", "H", "H", "H", "M"],
        ],
    ],
    [&[], &[["L", "L", "L", "H", "H", "H"]]],
];
const EQ4_MAX: [[&str; 3]; 3] = [["H", "S", "S"], ["H", "H", "H"], ["L", "L", "L"]];
const EQ5_MAX: [&str; 3] = ["A", "P", "U"];

/// The depth of each level of each class, in tenths (FIRST's `max_severity`).
const EQ1_DEPTH: [i32; 3] = [1, 4, 5];
const EQ2_DEPTH: [i32; 2] = [1, 2];
const EQ3_EQ6_DEPTH: [[i32; 2]; 3] = [[7, 6], [8, 8], [0, 10]];
const EQ4_DEPTH: [i32; 3] = [6, 5, 4];

/// The base score (0.0 to 10.0) of a `CVSS:4.0/AV:N/AC:L/AT:N/...` vector; `None` when the
/// vector is not a valid CVSS v4.0 vector.
pub fn score(vector: &str) -> Option<f64> {
    let v = Vector::parse(vector)?;
    if ["VC", "VI", "VA", "SC", "SI", "SA"]
        .iter()
        .all(|k| v.get(k) == "N")
    {
        return Some(0.0);
    }
    let mv = v.macro_vector();
    let value = macro_score(mv)?;
    let [eq1, eq2, eq3, eq4, eq5, eq6] = mv;

    // The score of the next lower macro vector of each class, when there is one.
    let lower = |i: usize| {
        let mut m = mv;
        m[i] += 1;
        macro_score(m)
    };
    let lower_eq3_eq6 = match (eq3, eq6) {
        (0, 0) => match (lower(5), lower(2)) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        },
        (1, 0) => lower(5),
        (0 | 1, 1) => lower(2),
        _ => None, // 21 has nothing lower
    };
    let lowers = [lower(0), lower(1), lower_eq3_eq6, lower(3), lower(4)];

    // The severity distance from the first highest vector of the macro vector that the
    // vector does not exceed in any metric.
    let mine: Vec<i32> = DISTANCE_METRICS
        .iter()
        .map(|k| level(k, v.get(k)))
        .collect::<Option<_>>()?;
    let mut distances = None;
    for m1 in EQ1_MAX[usize::from(eq1)] {
        for m2 in EQ2_MAX[usize::from(eq2)] {
            for m36 in EQ3_EQ6_MAX[usize::from(eq3)][usize::from(eq6)] {
                let m4 = EQ4_MAX[usize::from(eq4)];
                let m5 = EQ5_MAX[usize::from(eq5)];
                let max = [
                    m1[0], m1[1], m1[2], m2[0], m2[1], m36[0], m36[1], m36[2], m36[3], m36[4],
                    m36[5], m4[0], m4[1], m4[2], m5,
                ];
                let d: Option<Vec<i32>> = DISTANCE_METRICS
                    .iter()
                    .zip(max)
                    .zip(&mine)
                    .map(|((k, mx), me)| Some(me - level(k, mx)?))
                    .collect();
                let d = d?;
                if d.iter().all(|x| *x >= 0) {
                    distances = Some(d);
                    break;
                }
            }
            if distances.is_some() {
                break;
            }
        }
        if distances.is_some() {
            break;
        }
    }
    let d = distances?;
    let sum = |r: std::ops::Range<usize>| f64::from(d[r].iter().sum::<i32>()) * 0.1;
    let current = [sum(0..3), sum(3..5), sum(5..11), sum(11..14)];
    let depths = [
        EQ1_DEPTH[usize::from(eq1)],
        EQ2_DEPTH[usize::from(eq2)],
        EQ3_EQ6_DEPTH[usize::from(eq3)][usize::from(eq6)],
        EQ4_DEPTH[usize::from(eq4)],
    ];

    let mut n = 0;
    let mut total = 0.0;
    for (i, lower) in lowers.iter().enumerate() {
        let Some(lower) = lower else { continue };
        n += 1;
        // EQ5's proportion is always 0: its levels have no depth.
        if i < 4 {
            let available = value - lower;
            total += available * (current[i] / (f64::from(depths[i]) * 0.1));
        }
    }
    let mean = if n == 0 { 0.0 } else { total / f64::from(n) };
    let score = (value - mean).clamp(0.0, 10.0);
    // FIRST rounds half up after a 1e-6 nudge, so 4.45 stored as 4.4499999 still gives 4.5.
    Some(((score + 1e-6) * 10.0).round() / 10.0)
}

fn macro_score(mv: [u8; 6]) -> Option<f64> {
    let key: u32 = mv.iter().fold(0, |acc, d| acc * 10 + u32::from(*d));
    MACRO_SCORES
        .binary_search_by_key(&key, |(k, _)| *k)
        .ok()
        .map(|i| f64::from(MACRO_SCORES[i].1) / 10.0)
}

/// The score of every macro vector, in tenths, as FIRST published it with the
/// specification (the `cvss_lookup.js` of the reference calculator), sorted by macro vector.
#[rustfmt::skip]
const MACRO_SCORES: [(u32, u8); 270] = [
    (0, 100), (1, 99), (10, 98), (11, 95), (20, 95), (21, 92), (100, 100), (101, 96),
    (110, 93), (111, 87), (120, 91), (121, 81), (200, 93), (201, 90), (210, 89), (211, 80),
    (220, 81), (221, 68), (1000, 98), (1001, 95), (1010, 95), (1011, 92), (1020, 90),
    (1021, 84), (1100, 93), (1101, 92), (1110, 89), (1111, 81), (1120, 81), (1121, 65),
    (1200, 88), (1201, 80), (1210, 78), (1211, 70), (1220, 69), (1221, 48), (2001, 92),
    (2011, 82), (2021, 72), (2101, 79), (2111, 69), (2121, 50), (2201, 69), (2211, 55),
    (2221, 27), (10000, 99), (10001, 97), (10010, 95), (10011, 92), (10020, 92), (10021, 85),
    (10100, 95), (10101, 91), (10110, 90), (10111, 83), (10120, 84), (10121, 71), (10200, 92),
    (10201, 81), (10210, 82), (10211, 71), (10220, 72), (10221, 53), (11000, 95), (11001, 93),
    (11010, 92), (11011, 85), (11020, 85), (11021, 73), (11100, 92), (11101, 82), (11110, 80),
    (11111, 72), (11120, 70), (11121, 59), (11200, 84), (11201, 70), (11210, 71), (11211, 52),
    (11220, 50), (11221, 30), (12001, 86), (12011, 75), (12021, 52), (12101, 71), (12111, 52),
    (12121, 29), (12201, 63), (12211, 29), (12221, 17),
    (100000, 98), (100001, 95), (100010, 94), (100011, 87), (100020, 91), (100021, 81),
    (100100, 94), (100101, 89), (100110, 86), (100111, 74), (100120, 77), (100121, 64),
    (100200, 87), (100201, 75), (100210, 74), (100211, 63), (100220, 63), (100221, 49),
    (101000, 94), (101001, 89), (101010, 88), (101011, 77), (101020, 76), (101021, 67),
    (101100, 86), (101101, 76), (101110, 74), (101111, 58), (101120, 59), (101121, 50),
    (101200, 72), (101201, 57), (101210, 57), (101211, 52), (101220, 52), (101221, 25),
    (102001, 83), (102011, 70), (102021, 54), (102101, 65), (102111, 58), (102121, 26),
    (102201, 53), (102211, 21), (102221, 13),
    (110000, 95), (110001, 90), (110010, 88), (110011, 76), (110020, 76), (110021, 70),
    (110100, 90), (110101, 77), (110110, 75), (110111, 62), (110120, 61), (110121, 53),
    (110200, 77), (110201, 66), (110210, 68), (110211, 59), (110220, 52), (110221, 30),
    (111000, 89), (111001, 78), (111010, 76), (111011, 67), (111020, 62), (111021, 58),
    (111100, 74), (111101, 59), (111110, 57), (111111, 57), (111120, 47), (111121, 23),
    (111200, 61), (111201, 52), (111210, 57), (111211, 29), (111220, 24), (111221, 16),
    (112001, 71), (112011, 59), (112021, 30), (112101, 58), (112111, 26), (112121, 15),
    (112201, 23), (112211, 13), (112221, 6),
    (200000, 93), (200001, 87), (200010, 86), (200011, 72), (200020, 75), (200021, 58),
    (200100, 86), (200101, 74), (200110, 74), (200111, 61), (200120, 56), (200121, 34),
    (200200, 70), (200201, 54), (200210, 52), (200211, 40), (200220, 40), (200221, 22),
    (201000, 85), (201001, 75), (201010, 74), (201011, 55), (201020, 62), (201021, 51),
    (201100, 72), (201101, 57), (201110, 55), (201111, 41), (201120, 46), (201121, 19),
    (201200, 53), (201201, 36), (201210, 34), (201211, 19), (201220, 19), (201221, 8),
    (202001, 64), (202011, 51), (202021, 20), (202101, 47), (202111, 21), (202121, 11),
    (202201, 24), (202211, 9), (202221, 4),
    (210000, 88), (210001, 75), (210010, 73), (210011, 53), (210020, 60), (210021, 50),
    (210100, 73), (210101, 55), (210110, 59), (210111, 40), (210120, 41), (210121, 20),
    (210200, 54), (210201, 43), (210210, 45), (210211, 22), (210220, 20), (210221, 11),
    (211000, 75), (211001, 55), (211010, 58), (211011, 45), (211020, 40), (211021, 21),
    (211100, 61), (211101, 51), (211110, 48), (211111, 18), (211120, 20), (211121, 9),
    (211200, 46), (211201, 18), (211210, 17), (211211, 7), (211220, 8), (211221, 2),
    (212001, 53), (212011, 24), (212021, 14), (212101, 24), (212111, 12), (212121, 5),
    (212201, 10), (212211, 3), (212221, 1),
];

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn scores_of_well_known_vectors() {
        // FIRST's specification and calculator: every impact high, on both systems.
        let cases = [
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
                10.0,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
                9.3,
            ),
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N",
                6.9,
            ),
            // No impact anywhere is 0 whatever the exploitability.
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
                0.0,
            ),
            // The least severe macro vector, 212221.
            (
                "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:L/VA:L/SC:L/SI:L/SA:L/E:U",
                0.1,
            ),
            // Threat: an unreported exploit lowers the score.
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U",
                8.1,
            ),
            // Supplemental metrics do not change it.
            (
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/S:P/AU:Y/U:Red",
                9.3,
            ),
        ];
        for (v, want) in cases {
            assert_eq!(score(v), Some(want), "{v}");
        }
    }

    #[test]
    fn matches_the_reference_algorithm_on_1500_vectors() {
        let table = include_str!("../../../tests/fixtures/security/cvss4/vectors.tsv");
        let mut checked = 0;
        let mut wrong = vec![];
        for line in table.lines().filter(|l| !l.starts_with('#')) {
            let (vector, want) = line.split_once('\t').expect("vector<TAB>score");
            let want: f64 = want.parse().expect("a score");
            let got = score(vector);
            if got != Some(want) {
                wrong.push(format!("{vector}: got {got:?}, want {want}"));
            }
            checked += 1;
        }
        assert_eq!(checked, 1500);
        assert!(
            wrong.is_empty(),
            "{} differ:\n{}",
            wrong.len(),
            wrong.join("\n")
        );
    }

    #[test]
    fn the_table_is_sorted_and_complete() {
        assert!(MACRO_SCORES.windows(2).all(|w| w[0].0 < w[1].0));
        // EQ1 0-2, EQ2 0-1, EQ3/EQ6 00 01 10 11 21, EQ4 0-2, EQ5 0-2: 3*2*5*3*3 = 270.
        for eq1 in 0..3u8 {
            for eq2 in 0..2u8 {
                for (eq3, eq6) in [(0u8, 0u8), (0, 1), (1, 0), (1, 1), (2, 1)] {
                    for eq4 in 0..3u8 {
                        for eq5 in 0..3u8 {
                            let mv = [eq1, eq2, eq3, eq4, eq5, eq6];
                            assert!(macro_score(mv).is_some(), "{mv:?}");
                        }
                    }
                }
            }
        }
        assert_eq!(macro_score([2, 0, 2, 0, 0, 0]), None);
    }

    #[test]
    fn invalid_vectors_are_refused() {
        for v in [
            "",
            "CVSS:4.0",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            // a mandatory metric missing
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
            "CVSS:4.0/AV:N/AC:L/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            // out of order, repeated, unknown value, unknown metric
            "CVSS:4.0/AC:L/AV:N/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "CVSS:4.0/AV:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "CVSS:4.0/AV:X/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/ZZ:1",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:S/SA:N",
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/",
        ] {
            assert_eq!(score(v), None, "{v}");
        }
    }

    proptest! {
        #[test]
        fn random_text_never_panics(s in "\\PC{0,200}") {
            let _ = score(&s);
        }

        #[test]
        fn every_valid_vector_scores_within_range(
            idx in proptest::collection::vec(0usize..5, METRICS.len()),
            keep in proptest::collection::vec(any::<bool>(), METRICS.len()),
        ) {
            let mut v = String::from("CVSS:4.0");
            for (i, (k, values)) in METRICS.iter().enumerate() {
                if i < MANDATORY || keep[i] {
                    v.push_str(&format!("/{k}:{}", values[idx[i] % values.len()]));
                }
            }
            let s = score(&v);
            prop_assert!(s.is_some_and(|s| (0.0..=10.0).contains(&s)), "{v}: {s:?}");
        }
    }
}
