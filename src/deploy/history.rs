//! The history of an environment: one JSON line per deploy and rollback, in the target's
//! state (`history.jsonl`). `slipway deploy status` shows it and `rollback` reads it to find
//! the version to return to.
//!
//! The file is rewritten atomically with the new line appended (under the environment's lock),
//! so a crash never leaves a torn line. Lines that cannot be read (edited by hand, written by a
//! newer slipway) are skipped when reading and kept when appending.

use serde::{Deserialize, Serialize};

use super::{Error, Status, Store};
use crate::config::Strategy;

/// The history file's name in the store.
pub const FILE: &str = "history.jsonl";

/// The most records kept; older lines are dropped when a new one is appended.
pub const MAX_RECORDS: usize = 1000;

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Operation {
    /// A deploy of a new version.
    Deploy,
    /// A return to a retained version.
    Rollback,
}

impl Operation {
    /// `deploy` or `rollback`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deploy => "deploy",
            Self::Rollback => "rollback",
        }
    }
}

/// How it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordOutcome {
    /// The version is live and healthy.
    Success,
    /// The new version failed before taking traffic; the old one kept it.
    Failure,
    /// The new version took traffic, failed, and the old one has it back.
    RolledBack,
    /// The deploy was killed half-way; the next run reverted it.
    Interrupted,
    /// The target could not be driven (a command or file operation failed).
    Error,
}

impl From<Status> for RecordOutcome {
    fn from(s: Status) -> Self {
        match s {
            Status::Success => Self::Success,
            Status::Failure => Self::Failure,
            Status::RolledBack => Self::RolledBack,
        }
    }
}

impl RecordOutcome {
    /// The kebab-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::RolledBack => "rolled-back",
            Self::Interrupted => "interrupted",
            Self::Error => "error",
        }
    }
}

/// What a deploy or rollback changes and who started it: the part of a history record that
/// the journal of a running operation already holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// Deploy or rollback.
    pub operation: Operation,
    /// The environment.
    pub environment: String,
    /// The deployable, when the repository has several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    /// The version deployed, or rolled back to.
    pub version: String,
    /// The version live before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<String>,
    /// The strategy of a deploy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub strategy: Option<Strategy>,
    /// Who started it.
    pub actor: String,
    /// The commit deployed, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
}

impl Change {
    /// A deploy of `request`, replacing `previous`.
    pub fn deploy(request: &super::Request, previous: Option<String>) -> Self {
        Self {
            operation: Operation::Deploy,
            environment: request.environment.clone(),
            app: request.app.clone(),
            version: request.version.clone(),
            previous,
            strategy: Some(request.strategy),
            actor: request.actor.clone(),
            commit: request.commit.clone(),
        }
    }

    /// A rollback of `request` to `to`, replacing `previous`.
    pub fn rollback(request: &super::RollbackRequest, to: &str, previous: Option<String>) -> Self {
        Self {
            operation: Operation::Rollback,
            environment: request.environment.clone(),
            app: request.app.clone(),
            version: to.to_owned(),
            previous,
            strategy: None,
            actor: request.actor.clone(),
            commit: None,
        }
    }
}

/// One deploy or rollback. The JSON line keeps the fields of [`Change`] at the top level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// What changed and who started it.
    #[serde(flatten)]
    pub change: Change,
    /// Start, RFC 3339 UTC.
    pub started: String,
    /// End, RFC 3339 UTC.
    pub ended: String,
    /// How it ended.
    pub outcome: RecordOutcome,
    /// Why it failed or was rolled back, or the reason given (`--reason`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Appends `record`, keeping the last [`MAX_RECORDS`] lines.
pub fn append(store: &dyn Store, record: &Record) -> Result<(), Error> {
    let existing = store.read(FILE)?.unwrap_or_default();
    let text = String::from_utf8_lossy(&existing);
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    // The reason may quote an app's or a command's output: redacted before it is stored.
    let line = crate::github::redact::to_redacted_value(record)
        .and_then(|v| serde_json::to_string(&v))
        .map_err(|e| Error::Corrupt {
            path: FILE.to_owned(),
            detail: e.to_string(),
        })?;
    lines.push(&line);
    let skip = lines.len().saturating_sub(MAX_RECORDS);
    let mut out = lines[skip..].join("\n");
    out.push('\n');
    store.write(FILE, out.as_bytes())
}

/// Every readable record, oldest first.
pub fn read(store: &dyn Store) -> Result<Vec<Record>, Error> {
    let bytes = store.read(FILE)?.unwrap_or_default();
    Ok(parse(&bytes))
}

/// The readable records of a history file, oldest first. Never panics.
pub fn parse(bytes: &[u8]) -> Vec<Record> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The version a rollback returns to: the newest successful deploy or rollback whose version
/// differs from `live`.
pub fn previous_success(records: &[Record], live: Option<&str>) -> Option<String> {
    records
        .iter()
        .rev()
        .filter(|r| r.outcome == RecordOutcome::Success)
        .map(|r| r.change.version.as_str())
        .find(|v| Some(*v) != live)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::DirStore;

    fn record(version: &str, outcome: RecordOutcome) -> Record {
        Record {
            change: Change {
                operation: Operation::Deploy,
                environment: "staging".to_owned(),
                app: None,
                version: version.to_owned(),
                previous: None,
                strategy: Some(Strategy::BlueGreen),
                actor: "alice".to_owned(),
                commit: Some("0123abc".to_owned()),
            },
            started: "2024-01-01T10:00:00Z".to_owned(),
            ended: "2024-01-01T10:01:00Z".to_owned(),
            outcome,
            reason: None,
        }
    }

    #[test]
    fn records_are_appended_as_json_lines_and_bad_lines_are_kept_but_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = DirStore::new(dir.path());
        append(&store, &record("1.0.0", RecordOutcome::Success)).expect("append");
        let mut text = std::fs::read_to_string(dir.path().join(FILE)).expect("read");
        text.push_str("not json\n");
        std::fs::write(dir.path().join(FILE), text).expect("write");
        append(&store, &record("1.1.0", RecordOutcome::Failure)).expect("append");
        let versions: Vec<String> = read(&store)
            .expect("read")
            .into_iter()
            .map(|r| r.change.version)
            .collect();
        assert_eq!(versions, ["1.0.0", "1.1.0"]);
        let raw = std::fs::read_to_string(dir.path().join(FILE)).expect("read");
        assert_eq!(raw.lines().count(), 3);
        assert!(raw.lines().nth(1) == Some("not json"));
    }

    #[test]
    fn rollback_goes_to_the_newest_success_other_than_the_live_version() {
        let records = vec![
            record("1.0.0", RecordOutcome::Success),
            record("1.1.0", RecordOutcome::Success),
            record("1.2.0", RecordOutcome::Failure),
            record("1.2.1", RecordOutcome::Success),
        ];
        assert_eq!(
            previous_success(&records, Some("1.2.1")).as_deref(),
            Some("1.1.0")
        );
        assert_eq!(
            previous_success(&records, Some("1.1.0")).as_deref(),
            Some("1.2.1")
        );
        assert_eq!(previous_success(&records[..1], Some("1.0.0")), None);
    }

    proptest::proptest! {
        #[test]
        fn parsing_random_bytes_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse(&bytes);
        }
    }
}
