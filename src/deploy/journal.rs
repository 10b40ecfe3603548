//! The journal of a running deploy: what it is doing and how far it got.
//!
//! Before each step that changes what serves traffic, a target writes the step (`phase`) and
//! the facts needed to undo or finish it (`data`: which colour was live, which instances were
//! started) to `journal.json`, atomically. A deploy that ends, well or badly, clears it. A
//! journal found by the next run means the last one was killed half-way: the target's
//! [`super::Target::recover`] reads it and completes or reverts that deploy first.

use serde::{Deserialize, Serialize};

use super::history::Change;
use super::{Error, Store};

/// The journal file's name in the store.
pub const FILE: &str = "journal.json";

/// One operation in progress. The JSON keeps the fields of [`Change`] at the top level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// What is changing and who started it.
    #[serde(flatten)]
    pub change: Change,
    /// When it started, seconds since the epoch.
    pub started: u64,
    /// The step it reached, in the target's words, e.g. `switching`.
    pub phase: String,
    /// What the target needs to finish or undo the step.
    #[serde(default)]
    pub data: serde_json::Value,
}

impl Entry {
    /// An entry for `change` starting now at `phase`, with no data yet.
    pub fn new(change: Change, phase: &str) -> Self {
        Self {
            change,
            started: super::now_unix(),
            phase: phase.to_owned(),
            data: serde_json::Value::Null,
        }
    }
}

/// The journal of one environment.
pub struct Journal<'a> {
    store: &'a dyn Store,
}

impl std::fmt::Debug for Journal<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("store", &self.store.describe())
            .finish()
    }
}

impl<'a> Journal<'a> {
    /// The journal in `store`.
    pub fn new(store: &'a dyn Store) -> Self {
        Self { store }
    }

    /// The operation in progress, if any.
    pub fn read(&self) -> Result<Option<Entry>, Error> {
        let Some(bytes) = self.store.read(FILE)? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| Error::Corrupt {
                path: format!("{}/{FILE}", self.store.describe()),
                detail: e.to_string(),
            })
    }

    /// Records `entry` (its phase and data) before the step it names is taken.
    pub fn write(&self, entry: &Entry) -> Result<(), Error> {
        let body = crate::github::redact::to_redacted_value(entry)
            .and_then(|v| serde_json::to_vec_pretty(&v))
            .map_err(|e| Error::Corrupt {
                path: FILE.to_owned(),
                detail: e.to_string(),
            })?;
        self.store.write(FILE, &body)
    }

    /// Moves `entry` to `phase` with `data` and records it.
    pub fn advance(
        &self,
        entry: &mut Entry,
        phase: &str,
        data: serde_json::Value,
    ) -> Result<(), Error> {
        entry.phase = phase.to_owned();
        entry.data = data;
        self.write(entry)
    }

    /// The operation ended: nothing to recover.
    pub fn clear(&self) -> Result<(), Error> {
        self.store.remove(FILE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::DirStore;

    #[test]
    fn an_entry_survives_a_round_trip_and_clear_removes_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = DirStore::new(dir.path());
        let journal = Journal::new(&store);
        assert_eq!(journal.read().expect("empty"), None);
        let mut entry = Entry::new(
            Change {
                operation: crate::deploy::Operation::Deploy,
                environment: "staging".to_owned(),
                app: None,
                version: "1.4.2".to_owned(),
                previous: Some("1.4.1".to_owned()),
                strategy: Some(crate::config::Strategy::BlueGreen),
                actor: "alice".to_owned(),
                commit: None,
            },
            "starting",
        );
        journal.write(&entry).expect("write");
        // The file keeps one flat object, as journals written before `Change` existed.
        let text = std::fs::read_to_string(dir.path().join(FILE)).expect("journal file");
        let flat: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(flat["version"], "1.4.2");
        assert_eq!(flat["phase"], "starting");
        assert!(flat.get("change").is_none(), "{flat}");
        journal
            .advance(&mut entry, "switching", serde_json::json!({"to": "green"}))
            .expect("advance");
        assert_eq!(journal.read().expect("read"), Some(entry));
        journal.clear().expect("clear");
        assert_eq!(journal.read().expect("read"), None);
    }

    #[test]
    fn a_corrupt_journal_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = DirStore::new(dir.path());
        store.write(FILE, b"{\"operation\":").expect("seed");
        let err = Journal::new(&store).read().expect_err("corrupt");
        assert!(err.to_string().contains("journal.json"), "{err}");
    }
}
