//! Small filesystem helpers shared by every capability: atomic writes.

use std::io::Write as _;
use std::path::Path;

/// Writes `contents` to `path` atomically: a temporary file in the same directory, flushed and
/// synced, then renamed over the target. A reader sees the old file or the new one, never a
/// partial write; on error the target is untouched and the temporary file is removed.
///
/// Existing permissions of the target are kept.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    stage(path, contents)?.persist(path).map_err(|e| e.error)?;
    Ok(())
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
