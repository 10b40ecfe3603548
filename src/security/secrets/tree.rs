//! The working tree: every file `git` would see (`.gitignore` honoured, hidden files
//! included, `.git` skipped), scanned in parallel, each read in bounded chunks.

use std::io::Read as _;
use std::path::Path;
use std::sync::Mutex;

use super::{PEM_LOOKAHEAD, Scanner};
use crate::security::allow::Policy;
use crate::security::{Finding, Skipped};

/// Files larger than this are skipped with a note unless the limit is raised.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// Bytes read per chunk; a chunk is cut at its last line break.
const CHUNK: usize = 1024 * 1024;

/// What the tree scan found and what it could not check.
#[derive(Debug, Default)]
pub struct TreeReport {
    pub findings: Vec<Finding>,
    pub skipped: Vec<Skipped>,
    /// Files scanned.
    pub files: usize,
    /// Bytes scanned.
    pub bytes: u64,
}

/// Scans every file under `root`. `max_file_bytes` = 0 means no limit.
pub fn scan(root: &Path, scanner: &Scanner, policy: &Policy, max_file_bytes: u64) -> TreeReport {
    let report = Mutex::new(TreeReport::default());
    let walker = ignore::WalkBuilder::new(root)
        .hidden(false)
        .git_ignore(true)
        .git_exclude(true)
        .git_global(false)
        .require_git(false)
        .parents(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build_parallel();
    walker.run(|| {
        let report = &report;
        let mut buf = Vec::with_capacity(CHUNK + PEM_LOOKAHEAD);
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return ignore::WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return ignore::WalkState::Continue;
            }
            let rel = relative(root, entry.path());
            let outcome = scan_file(
                entry.path(),
                &rel,
                scanner,
                policy,
                max_file_bytes,
                &mut buf,
            );
            if let Ok(mut r) = report.lock() {
                match outcome {
                    Ok((findings, bytes)) => {
                        r.files += 1;
                        r.bytes += bytes;
                        r.findings.extend(findings);
                    }
                    Err(reason) => r.skipped.push(Skipped {
                        file: rel,
                        line: None,
                        reason,
                    }),
                }
            }
            ignore::WalkState::Continue
        })
    });
    let mut report = report.into_inner().unwrap_or_default();
    report
        .findings
        .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
    report.skipped.sort_by(|a, b| a.file.cmp(&b.file));
    report
}

/// `path` relative to `root`, with `/` separators.
pub fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// Scans one file in chunks. `Err` says why it was skipped (binary, too large, unreadable).
pub fn scan_file(
    path: &Path,
    rel: &str,
    scanner: &Scanner,
    policy: &Policy,
    max_file_bytes: u64,
    buf: &mut Vec<u8>,
) -> Result<(Vec<Finding>, u64), String> {
    let mut file = std::fs::File::open(path).map_err(|e| format!("unreadable: {e}"))?;
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if max_file_bytes > 0 && len > max_file_bytes {
        return Err(format!(
            "larger than {} MiB ({} MiB); raise --max-file-size to scan it",
            max_file_bytes / (1024 * 1024),
            len / (1024 * 1024)
        ));
    }
    let mut findings = Vec::new();
    let mut total = 0u64;
    let mut line = 1u32;
    let mut first = true;
    // The buffer is zeroed once per thread, not once per file: reads fill it, `filled` says
    // how much of it holds this file's bytes.
    let want = CHUNK + PEM_LOOKAHEAD;
    if buf.len() < want {
        buf.resize(want, 0);
    }
    let mut filled = 0usize;
    loop {
        // Fill up to one chunk plus the PEM look-ahead.
        let mut eof = false;
        while filled < want {
            // A file read up to the size it had when opened is done: no extra `read` for
            // the end of every small file.
            if total + filled as u64 == len && len > 0 {
                eof = true;
                break;
            }
            match file.read(&mut buf[filled..want]) {
                Ok(0) => {
                    eof = true;
                    break;
                }
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("unreadable: {e}")),
            }
        }
        if first {
            first = false;
            if memchr::memchr(0, &buf[..filled.min(8192)]).is_some() {
                return Err("binary".to_owned());
            }
        }
        if filled == 0 {
            break;
        }
        let data = &buf[..filled];
        // The lines this round owns: everything at EOF, else up to the last line break
        // within the first chunk (a line longer than a chunk is cut there).
        let region_end = if eof {
            filled
        } else {
            let cut = CHUNK.min(filled);
            memchr::memrchr(b'\n', &data[..cut]).map_or(cut, |p| p + 1)
        };
        for hit in scanner.scan(data, region_end, line, rel) {
            if hit.inline_allowed || policy.allows_secret(hit.rule().id, rel, &hit.secret_text()) {
                continue;
            }
            findings.push(hit.into_finding(rel, None));
        }
        total += region_end as u64;
        line = line.saturating_add(
            u32::try_from(memchr::memchr_iter(b'\n', &data[..region_end]).count())
                .unwrap_or(u32::MAX),
        );
        buf.copy_within(region_end..filled, 0);
        filled -= region_end;
        if eof && filled == 0 {
            break;
        }
    }
    Ok((findings, total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_past_the_first_chunk_keeps_its_line_number() {
        let dir = tempfile::tempdir().unwrap();
        let token =
            crate::security::secrets::checks::github_token("ghp", "R9fX2kLm0QpZ7vTb4NcW8sYh1JdA6e");
        let mut text = String::new();
        for i in 0..60_000 {
            text.push_str(&format!("let x{i} = {i}; // filler line\n"));
        }
        text.push_str(&format!("T={token}\n"));
        let lines = text.lines().count();
        std::fs::write(dir.path().join("big.rs"), &text).unwrap();
        std::fs::write(dir.path().join("blob.bin"), b"\0\x01ghp_").unwrap();
        let r = scan(dir.path(), &Scanner::new(), &Policy::default(), 0);
        assert_eq!(r.findings.len(), 1, "{:?}", r.findings);
        assert_eq!(r.findings[0].line as usize, lines);
        assert_eq!(r.findings[0].file, "big.rs");
        assert_eq!(r.skipped.len(), 1);
        assert_eq!(r.skipped[0].reason, "binary");
        assert!(text.len() > CHUNK);
    }

    #[test]
    fn a_reused_buffer_never_leaks_bytes_of_the_previous_file() {
        let dir = tempfile::tempdir().unwrap();
        let token =
            crate::security::secrets::checks::github_token("ghp", "R9fX2kLm0QpZ7vTb4NcW8sYh1JdA6e");
        // A long file with a token near its end, then a short clean one, an empty one and
        // one that holds only the token: each scan sees its own bytes only.
        let mut long = "x = 1\n".repeat(200_000);
        long.push_str(&format!("T={token}\n"));
        std::fs::write(dir.path().join("long.txt"), &long).unwrap();
        std::fs::write(dir.path().join("short.txt"), "y = 2\n").unwrap();
        std::fs::write(dir.path().join("empty.txt"), "").unwrap();
        std::fs::write(dir.path().join("only.txt"), format!("T={token}")).unwrap();
        let scanner = Scanner::new();
        let policy = Policy::default();
        let mut buf = Vec::new();
        let mut run = |name: &str| {
            let path = dir.path().join(name);
            scan_file(&path, name, &scanner, &policy, 0, &mut buf).unwrap()
        };
        let (f, bytes) = run("long.txt");
        assert_eq!((f.len(), bytes), (1, long.len() as u64));
        assert_eq!(f[0].line, 200_001);
        let (f, bytes) = run("short.txt");
        assert_eq!((f.len(), bytes), (0, 6));
        let (f, bytes) = run("empty.txt");
        assert_eq!((f.len(), bytes), (0, 0));
        let (f, _) = run("only.txt");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].line, 1);
    }

    #[test]
    fn large_files_are_skipped_with_a_note_and_gitignored_ones_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitignore"), "ignored.env\n").unwrap();
        std::fs::write(
            dir.path().join("ignored.env"),
            "api_key = \"Zq8vL2mRt5wXy9Kp\"\n",
        )
        .unwrap();
        std::fs::write(dir.path().join(".env"), "api_key = \"Zq8vL2mRt5wXy9Kp\"\n").unwrap();
        std::fs::write(dir.path().join("huge.txt"), vec![b'a'; 2048]).unwrap();
        let r = scan(dir.path(), &Scanner::new(), &Policy::default(), 1024);
        let files: Vec<&str> = r.findings.iter().map(|f| f.file.as_str()).collect();
        assert_eq!(files, vec![".env"]);
        assert_eq!(r.skipped.len(), 1);
        assert!(
            r.skipped[0].reason.contains("larger than"),
            "{:?}",
            r.skipped
        );
    }
}
