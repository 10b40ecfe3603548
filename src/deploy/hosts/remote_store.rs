//! The state store of a target reached over ssh: the same files as [`crate::deploy::DirStore`],
//! kept on the host by small shell scripts (atomic `mv` for writes, `ln` for the lock, which
//! fails when the name exists).

use super::exec::{Exec, quote};
use crate::deploy::{Error, Store};

/// A [`Store`] in a directory on an ssh host.
#[derive(Debug, Clone)]
pub struct RemoteStore {
    /// Where scripts run.
    pub exec: Exec,
    /// The directory on the host.
    pub dir: String,
}

impl RemoteStore {
    fn path(&self, name: &str) -> String {
        quote(&format!("{}/{name}", self.dir))
    }
}

impl Store for RemoteStore {
    fn read(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        let f = self.path(name);
        let out = self.exec.run(
            &format!("if [ -f {f} ]; then cat {f}; else exit 3; fi"),
            None,
        )?;
        match out.code {
            Some(0) => Ok(Some(out.stdout.into_bytes())),
            Some(3) => Ok(None),
            _ => Err(self
                .exec
                .failed(&format!("reading `{}/{name}`", self.dir), &out)),
        }
    }

    fn write(&self, name: &str, contents: &[u8]) -> Result<(), Error> {
        let d = quote(&self.dir);
        let f = self.path(name);
        let script = format!("mkdir -p {d} && t={f}.tmp.$$ && cat > \"$t\" && mv -f \"$t\" {f}");
        self.exec
            .check(
                &format!("writing `{}/{name}`", self.dir),
                &script,
                Some(contents),
            )
            .map(|_| ())
    }

    fn create_new(&self, name: &str, contents: &[u8]) -> Result<bool, Error> {
        let d = quote(&self.dir);
        let f = self.path(name);
        let script = format!(
            "mkdir -p {d} && t={f}.tmp.$$ && cat > \"$t\" || exit 2; if ln \"$t\" {f} 2>/dev/null; then rm -f \"$t\"; exit 0; else rm -f \"$t\"; exit 3; fi"
        );
        let out = self.exec.run(&script, Some(contents))?;
        match out.code {
            Some(0) => Ok(true),
            Some(3) => Ok(false),
            _ => Err(self
                .exec
                .failed(&format!("creating `{}/{name}`", self.dir), &out)),
        }
    }

    fn remove(&self, name: &str) -> Result<(), Error> {
        self.exec
            .check(
                &format!("removing `{}/{name}`", self.dir),
                &format!("rm -f {}", self.path(name)),
                None,
            )
            .map(|_| ())
    }

    fn describe(&self) -> String {
        format!("{}:{}", self.exec.describe(), self.dir)
    }

    fn clone_box(&self) -> Box<dyn Store> {
        Box::new(self.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_remote_store_behaves_like_the_local_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = RemoteStore {
            exec: Exec::Local,
            dir: dir.path().join("state dir").display().to_string(),
        };
        assert_eq!(store.read("lock.json").expect("read"), None);
        assert!(store.create_new("lock.json", b"{\"a\":1}").expect("create"));
        assert!(!store.create_new("lock.json", b"other").expect("exists"));
        assert_eq!(
            store.read("lock.json").expect("read"),
            Some(b"{\"a\":1}".to_vec())
        );
        store.write("history.jsonl", b"line\n").expect("write");
        store
            .write("history.jsonl", b"line\nline2\n")
            .expect("rewrite");
        assert_eq!(
            store.read("history.jsonl").expect("read"),
            Some(b"line\nline2\n".to_vec())
        );
        store.remove("lock.json").expect("remove");
        assert_eq!(store.read("lock.json").expect("read"), None);
        let names: Vec<_> = std::fs::read_dir(dir.path().join("state dir"))
            .expect("ls")
            .map(|e| e.expect("e").file_name().into_string().expect("utf8"))
            .collect();
        assert_eq!(names, ["history.jsonl"]);
    }
}
