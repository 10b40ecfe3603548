//! Small filesystem helpers shared by every capability: atomic writes, and [`Root`], the one way
//! slipway reads and writes files inside a repository.
//!
//! A repository is hostile input: a pull request can turn `CHANGELOG.md`, `.github/workflows` or
//! `.slipway` into a symbolic link to `/proc/self/environ` or to a file outside the checkout.
//! [`Root`] opens every path one component at a time from a directory handle of the repository
//! root (`openat` with `O_NOFOLLOW`), so a symbolic link anywhere in the path is refused at the
//! moment it is opened: there is no gap between a check and the use in which a link could be
//! swapped in. Paths are relative and may not climb out with `..`.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Component, Path, PathBuf};

/// A path was refused because following it could leave the repository.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// A component of the path is a symbolic link.
    #[error(
        "`{}` is a symbolic link; slipway does not read or write through links in the repository",
        .0.display()
    )]
    Symlink(PathBuf),
    /// The path is absolute or climbs out with `..`.
    #[error("`{}` is not a path inside the repository (absolute, or with `..`)", .0.display())]
    Outside(PathBuf),
    /// The path names something other than a regular file (a FIFO, a device, a directory).
    #[error("`{}` is not a regular file", .0.display())]
    NotAFile(PathBuf),
}

impl From<Refused> for std::io::Error {
    fn from(r: Refused) -> Self {
        let kind = match r {
            Refused::NotAFile(_) => std::io::ErrorKind::InvalidInput,
            _ => std::io::ErrorKind::PermissionDenied,
        };
        std::io::Error::new(kind, r)
    }
}

/// True when `err` is a refusal of [`Root`] (a link, a path outside, not a regular file).
pub fn is_refusal(err: &std::io::Error) -> bool {
    err.get_ref().is_some_and(|e| e.is::<Refused>())
}

/// Checks that a path from configuration stays inside the repository: relative, no `..`, no
/// empty name. Used by config validation so a bad path is refused when the config loads, not when
/// the file is written.
pub fn check_relative(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    if path.contains('\0') {
        return Err("the path holds a NUL byte".into());
    }
    if path.starts_with('/') || path.starts_with('\\') || Path::new(path).is_absolute() {
        return Err(format!(
            "`{}` is absolute; give a path relative to the repository root",
            path.escape_debug()
        ));
    }
    // `C:` and `C:\…` are absolute on Windows whatever platform reads the config.
    let bytes = path.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Err(format!(
            "`{}` is absolute; give a path relative to the repository root",
            path.escape_debug()
        ));
    }
    if path.split(['/', '\\']).any(|c| c == "..") {
        return Err(format!(
            "`{}` climbs out with `..`; give a path inside the repository",
            path.escape_debug()
        ));
    }
    Ok(())
}

/// The components of a relative path, `.` dropped; `..`, a root or a prefix is refused.
fn components(rel: &Path) -> std::io::Result<Vec<OsString>> {
    let mut out = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(name) => out.push(name.to_os_string()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(Refused::Outside(rel.to_path_buf()).into());
            }
        }
    }
    Ok(out)
}

/// The directory of a repository, opened once; every read and write below it refuses symbolic
/// links in any component of the path (see the module documentation).
#[derive(Debug)]
pub struct Root {
    path: PathBuf,
    fd: std::os::fd::OwnedFd,
}

/// A file written and synced beside its target, not yet in place: [`Staged::persist`] renames it
/// over the target; dropping it removes it. Writers of several files stage them all first.
#[derive(Debug)]
pub struct Staged {
    display: PathBuf,
    dir: std::os::fd::OwnedFd,
    tmp: std::ffi::CString,
    name: std::ffi::CString,
    done: bool,
}

/// The kind of an entry of [`Root::list`], links not followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (never followed).
    Symlink,
    /// Anything else (FIFO, socket, device).
    Other,
}

impl Root {
    /// Opens `path` (the repository root, or a directory the operator named on the command line;
    /// a link in `path` itself is followed: it is the caller's choice, not the repository's).
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::File::open(path)?;
        if !file.metadata()?.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::NotADirectory,
                format!("`{}` is not a directory", path.display()),
            ));
        }
        Ok(Self {
            path: path.to_path_buf(),
            fd: file.into(),
        })
    }

    /// A root for `path` as given on the command line: when it lies inside `repo` (relative, or
    /// absolute below it), the root is `repo` and the rest is checked component by component;
    /// otherwise the operator named a place outside the repository, and the root is the nearest
    /// existing ancestor of `path`.
    pub fn anchor(repo: &Path, path: &Path) -> std::io::Result<(Self, PathBuf)> {
        // Relative paths are relative to the working directory, whatever `repo` is.
        let cwd = std::env::current_dir()?;
        let absolute = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                cwd.join(p)
            }
        };
        let (repo_abs, path_abs) = (absolute(repo), absolute(path));
        if let Ok(rel) = path_abs.strip_prefix(&repo_abs)
            && components(rel).is_ok()
        {
            return Ok((Self::open(repo)?, rel.to_path_buf()));
        }
        // Outside the repository: anchor at the deepest existing directory that is not a link,
        // so a link below it is still refused. The system's temporary directory is taken as the
        // system resolves it (`/tmp` and `/var` are links on macOS).
        let temp = std::env::temp_dir();
        let mut base = match (path_abs.strip_prefix(&temp), temp.canonicalize()) {
            (Ok(rest), Ok(real)) => real.join(rest),
            _ => path_abs,
        };
        let mut rest = Vec::new();
        while !std::fs::symlink_metadata(&base).is_ok_and(|m| m.is_dir()) {
            let Some(name) = base.file_name().map(OsString::from) else {
                break;
            };
            rest.push(name);
            if !base.pop() {
                break;
            }
        }
        if base.as_os_str().is_empty() {
            base = PathBuf::from(".");
        }
        let rel: PathBuf = rest.into_iter().rev().collect();
        Ok((Self::open(&base)?, rel))
    }

    /// The directory this root was opened at.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `rel` joined to the root, for messages.
    pub fn display(&self, rel: &Path) -> PathBuf {
        self.path.join(rel)
    }

    /// Reads a regular file. A link in any component, or a target that is not a regular file
    /// (a FIFO would block, a device would never end), is refused.
    pub fn read(&self, rel: &Path) -> std::io::Result<Vec<u8>> {
        self.read_limited(rel, u64::MAX)
    }

    /// [`Root::read`] as UTF-8 text.
    pub fn read_to_string(&self, rel: &Path) -> std::io::Result<String> {
        String::from_utf8(self.read(rel)?)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }

    /// [`Root::read_to_string`], `None` when the file does not exist.
    pub fn read_optional(&self, rel: &Path) -> std::io::Result<Option<String>> {
        match self.read_to_string(rel) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Reads at most `limit` bytes; more is an error (`FileTooLarge`).
    pub fn read_limited(&self, rel: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
        use std::io::Read as _;
        let file = self.open_file(rel)?;
        let mut bytes = Vec::new();
        file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
        if bytes.len() as u64 > limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                format!("`{}` is larger than {limit} bytes", rel.display()),
            ));
        }
        Ok(bytes)
    }

    /// Writes `contents` to `rel` atomically (see [`write_atomic`]), creating missing parent
    /// directories. A link in any component, the target included, is refused: the file is never
    /// written through a link, and a link is never silently replaced.
    pub fn write_atomic(&self, rel: &Path, contents: &[u8]) -> std::io::Result<()> {
        self.stage(rel, contents)?.persist()
    }

    /// [`Root::write_atomic`] into an existing directory: a missing parent is an error.
    pub fn replace(&self, rel: &Path, contents: &[u8]) -> std::io::Result<()> {
        self.stage_in(rel, contents, false)?.persist()
    }

    /// Creates `rel` and its missing parents, refusing links on the way.
    pub fn create_dir_all(&self, rel: &Path) -> std::io::Result<()> {
        let names = components(rel)?;
        self.walk(rel, &names, true).map(drop)
    }

    /// Removes the file `rel` (a link there is removed itself, never its target). A missing file
    /// is not an error: the answer is false then.
    pub fn remove_file(&self, rel: &Path) -> std::io::Result<bool> {
        let (dir, name) = self.parent(rel, false)?;
        match sys::unlink(&dir, &name) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The kind of `rel` without following a link there; `None` when it does not exist. Links in
    /// the directories above it are refused.
    pub fn kind(&self, rel: &Path) -> std::io::Result<Option<Kind>> {
        let (dir, name) = match self.parent(rel, false) {
            Ok(found) => found,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        sys::kind(&dir, &name)
    }

    /// The entries of directory `rel` (none when it does not exist), sorted by name, with their
    /// kinds; links are reported, never followed.
    pub fn list(&self, rel: &Path) -> std::io::Result<Vec<(OsString, Kind)>> {
        let names = components(rel)?;
        let dir = match self.walk(rel, &names, false) {
            Ok(dir) => dir,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        for name in sys::names(&dir)? {
            let cname = sys::cstring(&name)?;
            if let Some(kind) = sys::kind(&dir, &cname)? {
                out.push((name, kind));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// Stages `contents` for `rel` (see [`Staged`]), creating missing parent directories.
    pub fn stage(&self, rel: &Path, contents: &[u8]) -> std::io::Result<Staged> {
        self.stage_in(rel, contents, true)
    }

    fn stage_in(&self, rel: &Path, contents: &[u8], create: bool) -> std::io::Result<Staged> {
        let (dir, name) = self.parent(rel, create)?;
        let mode = match sys::lstat(&dir, &name)? {
            Some(st) if sys::is_link(&st) => {
                return Err(Refused::Symlink(self.display(rel)).into());
            }
            Some(st) if sys::is_dir(&st) => return Err(Refused::NotAFile(self.display(rel)).into()),
            Some(st) => Some(st.st_mode & 0o7777),
            None => None,
        };
        let (tmp, file) = sys::create_temp(&dir, &name)?;
        let mut staged = Staged {
            display: self.display(rel),
            dir,
            tmp,
            name,
            done: false,
        };
        let mut file = file;
        file.write_all(contents)?;
        if let Some(mode) = mode {
            use std::os::unix::fs::PermissionsExt as _;
            file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        }
        file.sync_all()?;
        staged.done = false;
        Ok(staged)
    }

    fn open_file(&self, rel: &Path) -> std::io::Result<std::fs::File> {
        let (dir, name) = self.parent(rel, false)?;
        let file =
            sys::open_nofollow(&dir, &name).map_err(|e| self.refusal(e, &dir, &name, rel))?;
        if !file.metadata()?.is_file() {
            return Err(Refused::NotAFile(self.display(rel)).into());
        }
        sys::clear_nonblock(&file)?;
        Ok(file)
    }

    /// The directory holding `rel`'s last component, opened without following links, and that
    /// name.
    fn parent(
        &self,
        rel: &Path,
        create: bool,
    ) -> std::io::Result<(std::os::fd::OwnedFd, std::ffi::CString)> {
        let mut names = components(rel)?;
        let Some(last) = names.pop() else {
            return Err(Refused::NotAFile(self.display(rel)).into());
        };
        let dir = self.walk(rel, &names, create)?;
        Ok((dir, sys::cstring(&last)?))
    }

    /// Opens the directories `names` one by one from the root, never following a link;
    /// `create` makes the missing ones.
    fn walk(
        &self,
        rel: &Path,
        names: &[OsString],
        create: bool,
    ) -> std::io::Result<std::os::fd::OwnedFd> {
        let mut dir = sys::reopen(&self.fd)?;
        for name in names {
            let cname = sys::cstring(name)?;
            let next = match sys::open_dir(&dir, &cname) {
                Err(e) if create && e.kind() == std::io::ErrorKind::NotFound => {
                    sys::mkdir(&dir, &cname)?;
                    sys::open_dir(&dir, &cname)
                }
                other => other,
            };
            dir = next.map_err(|e| self.refusal(e, &dir, &cname, rel))?;
        }
        Ok(dir)
    }

    /// Turns the error of an `O_NOFOLLOW` open into a [`Refused::Symlink`] when the name is a
    /// link (Linux says `ELOOP`, some systems `ENOTDIR` or `EMLINK`).
    fn refusal(
        &self,
        err: std::io::Error,
        dir: &std::os::fd::OwnedFd,
        name: &std::ffi::CStr,
        rel: &Path,
    ) -> std::io::Error {
        if err.kind() == std::io::ErrorKind::NotFound {
            return err;
        }
        match sys::lstat(dir, name) {
            Ok(Some(st)) if sys::is_link(&st) => Refused::Symlink(self.display(rel)).into(),
            _ => err,
        }
    }
}

impl Staged {
    /// Renames the staged file over its target. The target is checked again: a link that
    /// appeared there since staging is refused (and `renameat` would replace the link itself,
    /// never write through it).
    pub fn persist(mut self) -> std::io::Result<()> {
        if let Some(st) = sys::lstat(&self.dir, &self.name)?
            && sys::is_link(&st)
        {
            return Err(Refused::Symlink(self.display.clone()).into());
        }
        sys::rename(&self.dir, &self.tmp, &self.name)?;
        self.done = true;
        Ok(())
    }

    /// The target's path, for messages.
    pub fn path(&self) -> &Path {
        &self.display
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = sys::unlink(&self.dir, &self.tmp);
        }
    }
}

/// The few system calls [`Root`] needs, each checked.
mod sys {
    use std::ffi::{CStr, CString, OsStr, OsString};
    use std::os::fd::{AsRawFd as _, FromRawFd as _, OwnedFd};
    use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};

    use super::Kind;

    fn check(ret: libc::c_int) -> std::io::Result<libc::c_int> {
        if ret < 0 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(ret)
        }
    }

    pub fn cstring(name: &OsStr) -> std::io::Result<CString> {
        CString::new(name.as_bytes()).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "a path holds a NUL byte")
        })
    }

    fn openat(
        dir: &OwnedFd,
        name: &CStr,
        flags: libc::c_int,
        mode: libc::c_uint,
    ) -> std::io::Result<OwnedFd> {
        // SAFETY: `name` is NUL-terminated; the returned descriptor is new and owned here.
        let fd = check(unsafe {
            libc::openat(
                dir.as_raw_fd(),
                name.as_ptr(),
                flags | libc::O_CLOEXEC,
                mode,
            )
        })?;
        // SAFETY: `fd` was just returned by `openat` and nothing else owns it.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    pub fn reopen(dir: &OwnedFd) -> std::io::Result<OwnedFd> {
        openat(dir, c".", libc::O_RDONLY | libc::O_DIRECTORY, 0)
    }

    pub fn open_dir(dir: &OwnedFd, name: &CStr) -> std::io::Result<OwnedFd> {
        openat(
            dir,
            name,
            libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW,
            0,
        )
    }

    /// Opens a file for reading without following a link, without blocking on a FIFO and
    /// without making a terminal the controlling one.
    pub fn open_nofollow(dir: &OwnedFd, name: &CStr) -> std::io::Result<std::fs::File> {
        let fd = openat(
            dir,
            name,
            libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY,
            0,
        )?;
        Ok(fd.into())
    }

    pub fn clear_nonblock(file: &std::fs::File) -> std::io::Result<()> {
        // SAFETY: plain fcntl calls on a descriptor we own.
        let flags = check(unsafe { libc::fcntl(file.as_raw_fd(), libc::F_GETFL) })?;
        check(unsafe { libc::fcntl(file.as_raw_fd(), libc::F_SETFL, flags & !libc::O_NONBLOCK) })?;
        Ok(())
    }

    pub fn mkdir(dir: &OwnedFd, name: &CStr) -> std::io::Result<()> {
        // SAFETY: `name` is NUL-terminated.
        match check(unsafe { libc::mkdirat(dir.as_raw_fd(), name.as_ptr(), 0o777) }) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            other => other.map(drop),
        }
    }

    pub fn lstat(dir: &OwnedFd, name: &CStr) -> std::io::Result<Option<libc::stat>> {
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: `st` is written by fstatat on success and read only then.
        let ret = unsafe {
            libc::fstatat(
                dir.as_raw_fd(),
                name.as_ptr(),
                st.as_mut_ptr(),
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        match check(ret) {
            // SAFETY: fstatat succeeded and filled `st`.
            Ok(_) => Ok(Some(unsafe { st.assume_init() })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn is_link(st: &libc::stat) -> bool {
        st.st_mode & libc::S_IFMT == libc::S_IFLNK
    }

    pub fn is_dir(st: &libc::stat) -> bool {
        st.st_mode & libc::S_IFMT == libc::S_IFDIR
    }

    pub fn kind(dir: &OwnedFd, name: &CStr) -> std::io::Result<Option<Kind>> {
        Ok(lstat(dir, name)?.map(|st| match st.st_mode & libc::S_IFMT {
            libc::S_IFREG => Kind::File,
            libc::S_IFDIR => Kind::Dir,
            libc::S_IFLNK => Kind::Symlink,
            _ => Kind::Other,
        }))
    }

    /// A new file `.<name>.<random>.tmp` in `dir`, created exclusively (never an existing file
    /// or link), mode 0644 before the umask.
    pub fn create_temp(dir: &OwnedFd, name: &CStr) -> std::io::Result<(CString, std::fs::File)> {
        let base = String::from_utf8_lossy(name.to_bytes()).into_owned();
        for _ in 0..16 {
            let mut random = [0u8; 8];
            getrandom::fill(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
            let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
            let tmp = CString::new(format!(".{base}.{suffix}.tmp")).map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "a path holds a NUL byte")
            })?;
            match openat(
                dir,
                &tmp,
                libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW,
                0o644,
            ) {
                Ok(fd) => return Ok((tmp, fd.into())),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "no free temporary file name",
        ))
    }

    pub fn rename(dir: &OwnedFd, from: &CStr, to: &CStr) -> std::io::Result<()> {
        // SAFETY: both names are NUL-terminated; both are relative to `dir`.
        check(unsafe {
            libc::renameat(dir.as_raw_fd(), from.as_ptr(), dir.as_raw_fd(), to.as_ptr())
        })
        .map(drop)
    }

    pub fn unlink(dir: &OwnedFd, name: &CStr) -> std::io::Result<()> {
        // SAFETY: `name` is NUL-terminated.
        check(unsafe { libc::unlinkat(dir.as_raw_fd(), name.as_ptr(), 0) }).map(drop)
    }

    /// The names in `dir` (without `.` and `..`).
    pub fn names(dir: &OwnedFd) -> std::io::Result<Vec<OsString>> {
        let fd = reopen(dir)?;
        // SAFETY: fdopendir takes ownership of the descriptor on success.
        let stream = unsafe { libc::fdopendir(fd.as_raw_fd()) };
        if stream.is_null() {
            return Err(std::io::Error::last_os_error());
        }
        std::mem::forget(fd);
        let mut out = Vec::new();
        loop {
            // SAFETY: `stream` is a valid open directory stream until closedir below.
            let entry = unsafe { libc::readdir(stream) };
            if entry.is_null() {
                break;
            }
            // SAFETY: `d_name` is a NUL-terminated name inside the entry readdir returned.
            let name = unsafe { CStr::from_ptr((*entry).d_name.as_ptr()) };
            let bytes = name.to_bytes();
            if bytes != b"." && bytes != b".." {
                out.push(OsString::from_vec(bytes.to_vec()));
            }
        }
        // SAFETY: `stream` came from fdopendir and is closed once.
        unsafe { libc::closedir(stream) };
        Ok(out)
    }
}

/// Writes `contents` to `path` atomically: a temporary file in the same directory, flushed and
/// synced, then renamed over the target. A reader sees the old file or the new one, never a
/// partial write; on error the target is untouched and the temporary file is removed.
///
/// Existing permissions of the target are kept. The path goes through [`Root`] from the working
/// directory (see [`Root::anchor`]): a link in any component below it, the target included, is
/// refused. The directory must exist.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let (root, rel) = Root::anchor(&std::env::current_dir()?, path)?;
    root.replace(&rel, contents)
}

/// [`write_atomic`] that first creates the missing parent directories, as [`create_dir_all`].
pub fn write_creating(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let (root, rel) = Root::anchor(&std::env::current_dir()?, path)?;
    root.write_atomic(&rel, contents)
}

/// Creates `path` and its missing parents through [`Root`] from the working directory: a link
/// on the way (a `.slipway` that points out of the repository) is refused.
pub fn create_dir_all(path: &Path) -> std::io::Result<()> {
    let (root, rel) = Root::anchor(&std::env::current_dir()?, path)?;
    root.create_dir_all(&rel)
}

/// [`read`] of at most `limit` bytes; more is a `FileTooLarge` error.
pub fn read_limited(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let (root, rel) = Root::anchor(&std::env::current_dir()?, path)?;
    root.read_limited(&rel, limit)
}

/// Reads a regular file through [`Root`] from the working directory: a link in any component
/// below it is refused.
pub fn read(path: &Path) -> std::io::Result<Vec<u8>> {
    let (root, rel) = Root::anchor(&std::env::current_dir()?, path)?;
    root.read(&rel)
}

/// The first half of [`write_atomic`]: `contents` written and synced to a temporary file beside
/// `path`, with `path`'s permissions when it exists. `persist(path)` puts it in place; dropping
/// it removes it. Writers of several files stage them all before renaming any.
pub fn stage(path: &Path, contents: &[u8]) -> std::io::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(contents)?;
    tmp.as_file().sync_all()?;
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    Ok(tmp)
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::os::unix::fs::symlink;

    /// A repository with a secret outside it and links that point at it.
    fn hostile() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).expect("outside");
        std::fs::write(outside.join("secret"), "TOKEN=s3cr3t").expect("secret");
        let repo = dir.path().join("repo");
        std::fs::create_dir(&repo).expect("repo");
        (dir, repo, outside)
    }

    #[test]
    fn a_linked_file_is_never_read_through() {
        let (_dir, repo, outside) = hostile();
        symlink(outside.join("secret"), repo.join("CHANGELOG.md")).expect("link");
        symlink("/proc/self/environ", repo.join("environ")).expect("link");
        let root = Root::open(&repo).expect("root");
        for name in ["CHANGELOG.md", "environ"] {
            let err = root.read(Path::new(name)).expect_err("a link");
            assert!(is_refusal(&err), "{err}");
            assert!(err.to_string().contains("symbolic link"), "{err}");
        }
        // Missing stays NotFound, so callers can tell "absent" from "refused".
        let missing = root.read_optional(Path::new("nope.md")).expect("missing");
        assert_eq!(missing, None);
    }

    #[test]
    fn a_linked_directory_is_refused_at_every_component() {
        let (_dir, repo, outside) = hostile();
        std::fs::create_dir(repo.join(".github")).expect("dir");
        symlink(&outside, repo.join(".github/workflows")).expect("link");
        symlink(&outside, repo.join(".slipway")).expect("link");
        let root = Root::open(&repo).expect("root");
        let rels = [
            ".github/workflows/ci.yml",
            ".slipway/baseline.json",
            ".slipway/a/b/c",
        ];
        for rel in rels {
            let rel = Path::new(rel);
            assert!(is_refusal(
                &root.read(&rel.with_file_name("secret")).expect_err("read")
            ));
            assert!(is_refusal(
                &root.write_atomic(rel, b"x").expect_err("write")
            ));
            assert!(is_refusal(&root.stage(rel, b"x").expect_err("stage")));
        }
        assert!(is_refusal(
            &root
                .create_dir_all(Path::new(".slipway/x"))
                .expect_err("mkdir")
        ));
        assert!(is_refusal(
            &root.list(Path::new(".github/workflows")).expect_err("list")
        ));
        // Nothing was written outside.
        let names: Vec<_> = std::fs::read_dir(&outside)
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("secret")]);
    }

    #[test]
    fn a_link_at_the_target_is_refused_and_left_alone() {
        let (_dir, repo, outside) = hostile();
        symlink(outside.join("secret"), repo.join("CHANGELOG.md")).expect("link");
        let root = Root::open(&repo).expect("root");
        let err = root
            .write_atomic(Path::new("CHANGELOG.md"), b"new")
            .expect_err("link");
        assert!(is_refusal(&err), "{err}");
        assert_eq!(
            std::fs::read_to_string(outside.join("secret")).expect("read"),
            "TOKEN=s3cr3t"
        );
        assert!(repo.join("CHANGELOG.md").is_symlink());
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(&repo).expect("list").count(), 1);
    }

    #[test]
    fn a_link_swapped_in_after_staging_is_refused_at_rename() {
        let (_dir, repo, outside) = hostile();
        let root = Root::open(&repo).expect("root");
        let staged = root.stage(Path::new("out.txt"), b"new").expect("stage");
        symlink(outside.join("secret"), repo.join("out.txt")).expect("link");
        assert!(is_refusal(&staged.persist().expect_err("swapped")));
        assert_eq!(
            std::fs::read_to_string(outside.join("secret")).expect("read"),
            "TOKEN=s3cr3t"
        );
    }

    #[test]
    fn paths_that_climb_out_are_refused() {
        let (_dir, repo, _outside) = hostile();
        let root = Root::open(&repo).expect("root");
        for rel in ["../outside/secret", "/etc/passwd", "a/../../outside/secret"] {
            let err = root.read(Path::new(rel)).expect_err("outside");
            assert!(is_refusal(&err), "{rel}: {err}");
            assert!(is_refusal(
                &root.write_atomic(Path::new(rel), b"x").expect_err("w")
            ));
        }
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let (_dir, repo, _outside) = hostile();
        let fifo = std::ffi::CString::new(repo.join("pipe").as_os_str().as_encoded_bytes())
            .expect("cstring");
        // SAFETY: a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        let root = Root::open(&repo).expect("root");
        let err = root.read(Path::new("pipe")).expect_err("fifo");
        assert!(err.to_string().contains("not a regular file"), "{err}");
    }

    #[test]
    fn writes_create_parents_keep_modes_and_list_reports_links() {
        let (_dir, repo, outside) = hostile();
        let root = Root::open(&repo).expect("root");
        root.write_atomic(Path::new(".github/workflows/ci.yml"), b"one")
            .expect("write");
        assert_eq!(
            root.read_to_string(Path::new(".github/workflows/ci.yml"))
                .expect("read"),
            "one"
        );
        {
            use std::os::unix::fs::PermissionsExt;
            let path = repo.join(".github/workflows/ci.yml");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
            root.write_atomic(Path::new(".github/workflows/ci.yml"), b"two")
                .expect("write");
            let mode = std::fs::metadata(&path).expect("stat").permissions().mode();
            assert_eq!(mode & 0o777, 0o640);
        }
        symlink(outside.join("secret"), repo.join(".github/workflows/x.yml")).expect("link");
        let listed = root.list(Path::new(".github/workflows")).expect("list");
        assert_eq!(
            listed,
            vec![
                ("ci.yml".into(), Kind::File),
                ("x.yml".into(), Kind::Symlink)
            ]
        );
        root.remove_file(Path::new(".github/workflows/x.yml"))
            .expect("rm");
        assert!(outside.join("secret").exists());
        assert_eq!(root.list(Path::new("missing")).expect("list"), vec![]);
    }

    #[test]
    fn config_paths_must_stay_inside_the_repository() {
        for ok in ["CHANGELOG.md", "docs/CHANGES.md", "./a", ".slipway/b.json"] {
            assert_eq!(check_relative(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "../x",
            "/etc/passwd",
            "a/../../x",
            "C:\\x",
            "\\\\server\\x",
            "a\0b",
        ] {
            assert!(check_relative(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("slipway.yml");
        std::fs::write(&target, "old").expect("seed");
        write_atomic(&target, b"new").expect("write");
        assert_eq!(std::fs::read_to_string(&target).expect("read"), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("slipway.yml")]);
    }

    #[cfg(unix)]
    #[test]
    fn write_atomic_keeps_the_targets_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("run.sh");
        std::fs::write(&target, "old").expect("seed");
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o751)).expect("chmod");
        write_atomic(&target, b"new").expect("write");
        let mode = std::fs::metadata(&target)
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o751);
        // A new file is not writable by others.
        let fresh = dir.path().join("fresh");
        write_atomic(&fresh, b"x").expect("write");
        let mode = std::fs::metadata(&fresh)
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o022, 0, "{mode:o}");
    }

    #[test]
    fn a_missing_directory_is_an_error_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("missing").join("slipway.yml");
        assert!(write_atomic(&target, b"x").is_err());
        assert!(!target.exists());
    }
}
