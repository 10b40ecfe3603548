//! What the YAML lockfile readers share: parsing with serde-saphyr (every document of the
//! file, limits scaled to the file so a large monorepo lockfile is not refused), mappings read
//! in file order with the line of each key, and YAML errors as [`Malformed`] with their line.

use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;

use super::Malformed;

/// A mapping in file order: each key with its 1-based line, and its value.
#[derive(Debug)]
pub struct Entries<V>(pub Vec<(String, u32, V)>);

impl<V> Default for Entries<V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for Entries<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V2<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for V2<V> {
            type Value = Entries<V>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Entries(Vec::new())) // `packages:` with nothing under it
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<Spanned<Key>>()? {
                    let value = map.next_value::<V>()?;
                    let line = u32::try_from(key.referenced.line()).unwrap_or(0);
                    out.push((key.value.0, line, value));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_any(V2(PhantomData))
    }
}

/// A mapping key as text, whatever scalar YAML made of it (`1.0.0:` is a float to YAML).
struct Key(String);

impl<'de> Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Scalar::deserialize(d).map(|s| Key(s.0))
    }
}

/// Any scalar as text: `lockfileVersion: 5.4` and `lockfileVersion: '9.0'` alike.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Scalar(pub String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct S;
        impl Visitor<'_> for S {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
                Ok(Scalar(v.to_owned()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
                Ok(Scalar(format!("{v:?}")))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
                Ok(Scalar(String::new()))
            }
        }
        d.deserialize_any(S)
    }
}

/// Every document of `text` as a `T`. Limits grow with the file: the defaults suit config
/// files, and a lockfile of a large monorepo holds millions of nodes.
pub fn documents<'de, T: Deserialize<'de>>(text: &'de str) -> Result<Vec<T>, Malformed> {
    let mut options = serde_saphyr::Options::default();
    let mut budget = serde_saphyr::Budget::default();
    budget.max_events = budget.max_events.max(text.len());
    budget.max_nodes = budget.max_nodes.max(text.len() / 2);
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(text.len());
    options.budget = Some(budget);
    options.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
    serde_saphyr::from_multiple_with_options(text, options).map_err(|e| {
        let e = e.without_snippet();
        let line = e
            .location()
            .map_or(0, |l| usize::try_from(l.line()).unwrap_or(0));
        let message = e.to_string();
        // The message repeats the location; keep the reason.
        let reason = message
            .split_once(" at line ")
            .map_or(message.as_str(), |(m, _)| m)
            .trim()
            .to_owned();
        Malformed::at(line.max(1), format!("invalid YAML: {reason}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::IgnoredAny;

    #[derive(Debug, Deserialize)]
    struct Doc {
        #[serde(default)]
        packages: Entries<IgnoredAny>,
        #[serde(default)]
        version: Option<Scalar>,
    }

    #[test]
    fn keys_keep_their_lines_and_order() {
        let docs: Vec<Doc> =
            documents("version: 5.4\npackages:\n  b: {}\n\n  'a@1': 1\n  1.10: x\n").unwrap();
        let keys: Vec<(&str, u32)> = docs[0]
            .packages
            .0
            .iter()
            .map(|(k, l, _)| (k.as_str(), *l))
            .collect();
        assert_eq!(keys, [("b", 3), ("a@1", 5), ("1.1", 6)]);
        assert_eq!(docs[0].version, Some(Scalar("5.4".into())));
    }

    #[test]
    fn errors_name_the_line() {
        let err = documents::<Doc>("version: 1\npackages:\n  a: [1\n  b: 2\n").unwrap_err();
        assert!(err.line.is_some_and(|l| l >= 3), "{err:?}");
        assert!(err.reason.starts_with("invalid YAML"), "{err:?}");
    }
}
