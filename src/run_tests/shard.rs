//! Splitting test files across `n` shards: longest processing time first, by recorded timings.
//!
//! Pure: files and their weights in, one list of files per shard out. The weight of a file is
//! its recorded time (from a previous report's suites) when known; files without a timing get
//! the mean of the known ones, and when nothing is known every file weighs its size in bytes.
//! Files are sorted by weight (heaviest first, then by name) and each goes to the lightest
//! shard so far (the lowest index among equals): Graham's LPT rule, whose makespan is at most
//! 4/3 of the optimum (<https://en.wikipedia.org/wiki/Longest-processing-time-first_scheduling>).
//! The same inputs in any order give the same split, and the shards partition the files.

use std::collections::BTreeMap;

/// One of `n` shards, 1-based: `--shard 2/4`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    /// This shard, 1 to `total`.
    pub index: u32,
    /// The number of shards.
    pub total: u32,
}

impl std::str::FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (k, n) = s
            .split_once('/')
            .ok_or_else(|| format!("expected `k/n` like `2/4`, found `{s}`"))?;
        let parse = |v: &str| {
            v.trim()
                .parse::<u32>()
                .map_err(|_| format!("expected `k/n` like `2/4`, found `{s}`"))
        };
        let (index, total) = (parse(k)?, parse(n)?);
        if total == 0 || index == 0 || index > total {
            return Err(format!(
                "`{s}`: the shard must be between 1 and the number of shards"
            ));
        }
        Ok(Self { index, total })
    }
}

/// A test file and what we know about its cost.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    /// The path, relative to the repository.
    pub path: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its recorded time in seconds, if any.
    pub seconds: Option<f64>,
}

/// The files of every shard: `total` lists, each sorted by path.
///
/// ```
/// # use slipway::run_tests::shard::{split, File};
/// let f = |p: &str, s: f64| File { path: p.into(), size: 0, seconds: Some(s) };
/// let shards = split(&[f("a", 5.0), f("b", 3.0), f("c", 2.0), f("d", 2.0)], 2);
/// assert_eq!(shards, vec![vec!["a".to_string(), "d".into()], vec!["b".into(), "c".into()]]);
/// ```
pub fn split(files: &[File], total: u32) -> Vec<Vec<String>> {
    let total = total.max(1) as usize;
    // Dedupe by path (the last entry wins) so the union is exactly the set of files.
    let files: BTreeMap<&str, &File> = files.iter().map(|f| (f.path.as_str(), f)).collect();
    let known: Vec<f64> = files
        .values()
        .filter_map(|f| f.seconds.filter(|s| s.is_finite() && *s >= 0.0))
        .collect();
    let mean = if known.is_empty() {
        None
    } else {
        Some(known.iter().sum::<f64>() / known.len() as f64)
    };
    let mut weighted: Vec<(f64, &str)> = files
        .values()
        .map(|f| {
            let w = match mean {
                Some(m) => f
                    .seconds
                    .filter(|s| s.is_finite() && *s >= 0.0)
                    .unwrap_or(m),
                None => f.size as f64,
            };
            (w, f.path.as_str())
        })
        .collect();
    weighted.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let mut loads = vec![0.0f64; total];
    let mut shards: Vec<Vec<String>> = vec![Vec::new(); total];
    for (w, path) in weighted {
        let mut best = 0;
        for i in 1..total {
            if loads[i] < loads[best] {
                best = i;
            }
        }
        loads[best] += w;
        shards[best].push(path.to_owned());
    }
    for s in &mut shards {
        s.sort();
    }
    shards
}

/// The files of `shard`.
pub fn files_of(files: &[File], shard: Shard) -> Vec<String> {
    split(files, shard.total)
        .into_iter()
        .nth(shard.index as usize - 1)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn files() -> impl Strategy<Value = Vec<File>> {
        proptest::collection::vec(
            (
                "[a-e]{1,3}",
                0u64..10_000,
                proptest::option::of(0.0f64..100.0),
            ),
            0..40,
        )
        .prop_map(|v| {
            v.into_iter()
                .map(|(path, size, seconds)| File {
                    path,
                    size,
                    seconds,
                })
                .collect()
        })
    }

    #[test]
    fn a_shard_reads_as_k_of_n() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, total: 4 }));
        assert!("0/4".parse::<Shard>().is_err());
        assert!("5/4".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
    }

    #[test]
    fn without_timings_files_weigh_their_size() {
        let f = |p: &str, size| File {
            path: p.into(),
            size,
            seconds: None,
        };
        let s = split(&[f("big", 100), f("a", 40), f("b", 40), f("c", 30)], 2);
        assert_eq!(
            s,
            vec![
                vec!["big".to_string()],
                vec!["a".into(), "b".into(), "c".into()]
            ]
        );
    }

    proptest! {
        #[test]
        fn shards_partition_the_files(files in files(), n in 1u32..8) {
            let shards = split(&files, n);
            prop_assert_eq!(shards.len(), n as usize);
            let mut all: Vec<String> = shards.concat();
            all.sort();
            let mut expected: Vec<String> = files.iter().map(|f| f.path.clone()).collect();
            expected.sort();
            expected.dedup();
            prop_assert_eq!(all, expected);
        }

        #[test]
        fn the_split_does_not_depend_on_input_order(files in files(), n in 1u32..8) {
            // Duplicated paths keep the last entry, so shuffle only distinct paths.
            let mut distinct: Vec<File> = Vec::new();
            for f in files {
                if !distinct.iter().any(|d| d.path == f.path) {
                    distinct.push(f);
                }
            }
            let mut reversed = distinct.clone();
            reversed.reverse();
            prop_assert_eq!(split(&distinct, n), split(&reversed, n));
        }

        #[test]
        fn no_shard_exceeds_the_mean_by_more_than_the_heaviest_file(files in files(), n in 1u32..8) {
            let mut distinct: BTreeMap<String, f64> = BTreeMap::new();
            for f in &files {
                distinct.insert(f.path.clone(), f.seconds.unwrap_or(0.0));
            }
            let timed: Vec<File> = distinct.iter().map(|(p, s)| File { path: p.clone(), size: 0, seconds: Some(*s) }).collect();
            let shards = split(&timed, n);
            let load = |s: &Vec<String>| s.iter().map(|p| distinct[p]).sum::<f64>();
            let total: f64 = distinct.values().sum();
            let heaviest = distinct.values().copied().fold(0.0, f64::max);
            for s in &shards {
                prop_assert!(load(s) <= total / f64::from(n) + heaviest + 1e-6);
            }
        }
    }
}
