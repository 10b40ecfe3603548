//! One deploy per environment: a lock file naming its holder.
//!
//! The lock is a JSON file (`lock.json`) in the environment's state store, created only when
//! absent. It names the owner (the actor), the command, the process id, the host and the start
//! time, so the error of a second deploy says who holds it. A lock is stale, and taken over,
//! when its process is gone (same host) or it is older than [`STALE_AFTER`]: a deploy killed
//! with `kill -9` never blocks the environment for good.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{Error, Store, now_unix, rfc3339};

/// The lock file's name in the store.
pub const FILE: &str = "lock.json";

/// A lock older than this is stale whatever its process: no deploy runs this long (the
/// generated workflows time deploy jobs out after 30 minutes).
pub const STALE_AFTER: Duration = Duration::from_secs(2 * 3600);

/// Who holds a lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    /// Who started the deploy (`GITHUB_ACTOR` or the login name).
    pub owner: String,
    /// What it does, e.g. `deploy 1.4.2`.
    pub command: String,
    /// The process id.
    pub pid: u32,
    /// The host name.
    pub host: String,
    /// When it started, seconds since the epoch.
    pub started: u64,
    /// The workflow run, when in Actions (`GITHUB_RUN_ID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
}

impl Holder {
    /// This process, for `owner` doing `command`.
    pub fn current(owner: &str, command: &str) -> Self {
        Self {
            owner: owner.to_owned(),
            command: command.to_owned(),
            pid: std::process::id(),
            host: hostname(),
            started: now_unix(),
            run: std::env::var("GITHUB_RUN_ID")
                .ok()
                .filter(|r| !r.is_empty()),
        }
    }

    /// The holder in words: `alice (deploy 1.4.2, pid 4242 on runner-1, since 2024-01-01T10:00:00Z)`.
    pub fn describe(&self) -> String {
        let run = self
            .run
            .as_ref()
            .map(|r| format!(", workflow run {r}"))
            .unwrap_or_default();
        format!(
            "{} ({}, pid {} on {}{run}, since {})",
            self.owner,
            self.command,
            self.pid,
            self.host,
            rfc3339(self.started)
        )
    }

    /// Whether the lock can be taken over: its process is gone or it is too old.
    pub fn is_stale(&self, now: u64) -> bool {
        if now.saturating_sub(self.started) > STALE_AFTER.as_secs() {
            return true;
        }
        self.host == hostname() && !process_alive(self.pid)
    }
}

/// A held lock; released when dropped.
pub struct Lock<'a> {
    store: &'a dyn Store,
    released: bool,
}

impl std::fmt::Debug for Lock<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lock")
            .field("store", &self.store.describe())
            .finish()
    }
}

impl<'a> Lock<'a> {
    /// Takes the lock of `environment` in `store` for `holder`. A live holder makes it fail at
    /// once, or after `wait` when given; a stale one is taken over.
    pub fn acquire(
        store: &'a dyn Store,
        environment: &str,
        holder: Holder,
        wait: Option<Duration>,
    ) -> Result<Self, Error> {
        let body = serde_json::to_vec_pretty(&holder).map_err(|e| Error::Corrupt {
            path: FILE.to_owned(),
            detail: e.to_string(),
        })?;
        let deadline = wait.map(|w| std::time::Instant::now() + w);
        loop {
            if store.create_new(FILE, &body)? {
                return Ok(Self {
                    store,
                    released: false,
                });
            }
            match read(store)? {
                None => continue, // released between our two calls
                Some(current) if current.is_stale(now_unix()) => {
                    // Take over: remove only if it is still the same stale holder.
                    if read(store)?.as_ref() == Some(&current) {
                        store.remove(FILE)?;
                    }
                }
                Some(current) => match deadline {
                    Some(d) if std::time::Instant::now() < d => {
                        std::thread::sleep(Duration::from_millis(200));
                    }
                    _ => {
                        return Err(Error::Locked {
                            environment: environment.to_owned(),
                            holder: current.describe(),
                        });
                    }
                },
            }
        }
    }

    /// Releases the lock now, reporting errors (dropping releases it silently).
    pub fn release(mut self) -> Result<(), Error> {
        self.released = true;
        self.store.remove(FILE)
    }
}

impl Drop for Lock<'_> {
    fn drop(&mut self) {
        if !self.released {
            let _ = self.store.remove(FILE);
        }
    }
}

/// The current holder, if any. A lock file that cannot be parsed (a crash while it was
/// written cannot leave one: it is written before it is linked into place) is treated as
/// stale.
pub fn read(store: &dyn Store) -> Result<Option<Holder>, Error> {
    let Some(bytes) = store.read(FILE)? else {
        return Ok(None);
    };
    Ok(Some(serde_json::from_slice(&bytes).unwrap_or(Holder {
        owner: "unknown".to_owned(),
        command: "unreadable lock file".to_owned(),
        pid: 0,
        host: String::new(),
        started: 0,
        run: None,
    })))
}

/// The host name, from the kernel; `localhost` when it cannot be read.
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".to_owned())
}

/// Whether process `pid` exists on this machine.
pub fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks that the process exists and may be signalled.
    let rc = unsafe { libc::kill(pid, 0) };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deploy::DirStore;

    fn holder(pid: u32, started: u64) -> Holder {
        Holder {
            owner: "alice".to_owned(),
            command: "deploy 1.4.2".to_owned(),
            pid,
            host: hostname(),
            started,
            run: None,
        }
    }

    #[test]
    fn a_second_deploy_fails_naming_the_holder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = DirStore::new(dir.path());
        let first = Lock::acquire(
            &store,
            "staging",
            holder(std::process::id(), now_unix()),
            None,
        )
        .expect("first");
        let err = Lock::acquire(&store, "staging", Holder::current("bob", "deploy 2"), None)
            .expect_err("second");
        let text = err.to_string();
        assert!(
            text.contains("`staging` is being deployed by alice (deploy 1.4.2, pid"),
            "{text}"
        );
        first.release().expect("release");
        Lock::acquire(&store, "staging", Holder::current("bob", "deploy 2"), None).expect("after");
    }

    #[test]
    fn a_lock_whose_process_is_gone_is_taken_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = DirStore::new(dir.path());
        // A child that has exited and been reaped: its pid is gone.
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let pid = child.id();
        child.wait().expect("wait");
        let body = serde_json::to_vec(&holder(pid, now_unix())).expect("json");
        store.write(FILE, &body).expect("seed");
        let lock = Lock::acquire(&store, "staging", Holder::current("bob", "deploy 2"), None)
            .expect("stale lock taken over");
        assert_eq!(read(&store).expect("read").expect("held").owner, "bob");
        drop(lock);
        assert_eq!(read(&store).expect("read"), None);
    }

    #[test]
    fn an_old_lock_is_stale_even_when_its_pid_exists() {
        let live = holder(std::process::id(), now_unix());
        assert!(!live.is_stale(now_unix()));
        let old = holder(std::process::id(), now_unix() - STALE_AFTER.as_secs() - 1);
        assert!(old.is_stale(now_unix()));
        let elsewhere = Holder {
            host: "another-host".to_owned(),
            pid: u32::MAX,
            ..live
        };
        assert!(
            !elsewhere.is_stale(now_unix()),
            "other hosts' pids are not checked"
        );
    }
}
