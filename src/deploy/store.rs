//! Where a target keeps its lock, journal and history: small files in one state directory.
//!
//! The [`Store`] trait is the interface the orchestration uses; [`DirStore`] keeps the files in
//! a local directory. Every write replaces a whole file atomically ([`crate::fsutil`]), and the
//! lock is created with `O_EXCL`, so two processes never both believe they hold it.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::Error;

/// Small named files of one environment's state.
pub trait Store {
    /// The file `name`, or `None` when it does not exist.
    fn read(&self, name: &str) -> Result<Option<Vec<u8>>, Error>;
    /// Replaces `name` atomically: a reader sees the old or the new contents.
    fn write(&self, name: &str, contents: &[u8]) -> Result<(), Error>;
    /// Creates `name` only when it does not exist; `Ok(false)` when it already did.
    fn create_new(&self, name: &str, contents: &[u8]) -> Result<bool, Error>;
    /// Removes `name`; a missing file is not an error.
    fn remove(&self, name: &str) -> Result<(), Error>;
    /// Where the files are, for messages, e.g. `/var/lib/slipway/shop/staging`.
    fn describe(&self) -> String;
    /// A boxed copy, so the orchestration can hold the store while the target is borrowed.
    fn clone_box(&self) -> Box<dyn Store>;
}

/// A [`Store`] in a local directory, created on first write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirStore {
    dir: PathBuf,
}

impl DirStore {
    /// A store in `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn ensure_dir(&self) -> Result<(), Error> {
        crate::fsutil::create_dir_all(&self.dir).map_err(|source| Error::State {
            what: format!("creating the state directory `{}`", self.dir.display()),
            source,
        })
    }
}

impl Store for DirStore {
    fn read(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        let path = self.path(name);
        match crate::fsutil::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(Error::State {
                what: format!("reading `{}`", path.display()),
                source,
            }),
        }
    }

    fn write(&self, name: &str, contents: &[u8]) -> Result<(), Error> {
        self.ensure_dir()?;
        let path = self.path(name);
        crate::fsutil::write_atomic(&path, contents).map_err(|source| Error::State {
            what: format!("writing `{}`", path.display()),
            source,
        })
    }

    fn create_new(&self, name: &str, contents: &[u8]) -> Result<bool, Error> {
        self.ensure_dir()?;
        let path = self.path(name);
        let err = |source| Error::State {
            what: format!("creating `{}`", path.display()),
            source,
        };
        // Written to a temporary file first and hard-linked into place: `link` fails when the
        // name exists, and a reader never sees a half-written lock.
        let staged = crate::fsutil::stage(&path, contents).map_err(err)?;
        match std::fs::hard_link(staged.path(), &path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
            Err(e) if e.kind() == std::io::ErrorKind::Unsupported => {
                // Filesystems without hard links: O_EXCL.
                match std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                {
                    Ok(mut f) => {
                        f.write_all(contents)
                            .and_then(|()| f.sync_all())
                            .map_err(err)?;
                        Ok(true)
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
                    Err(e) => Err(err(e)),
                }
            }
            Err(e) => Err(err(e)),
        }
    }

    fn remove(&self, name: &str) -> Result<(), Error> {
        let path = self.path(name);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(source) => Err(Error::State {
                what: format!("removing `{}`", path.display()),
                source,
            }),
        }
    }

    fn describe(&self) -> String {
        self.dir.display().to_string()
    }

    fn clone_box(&self) -> Box<dyn Store> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_new_refuses_an_existing_file_and_keeps_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = DirStore::new(dir.path().join("state"));
        assert!(store.create_new("lock", b"one").expect("first"));
        assert!(!store.create_new("lock", b"two").expect("second"));
        assert_eq!(store.read("lock").expect("read"), Some(b"one".to_vec()));
        store.remove("lock").expect("remove");
        store.remove("lock").expect("remove twice");
        assert_eq!(store.read("lock").expect("read"), None);
        let names: Vec<_> = std::fs::read_dir(store.dir())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }
}
