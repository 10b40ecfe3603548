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
    buf.clear();
    loop {
        // Fill up to one chunk plus the PEM look-ahead.
        let want = CHUNK + PEM_LOOKAHEAD;
        let mut eof = false;
        while buf.len() < want {
            let start = buf.len();
            buf.resize(want, 0);
            match file.read(&mut buf[start..]) {
                Ok(0) => {
                    buf.truncate(start);
                    eof = true;
                    break;
                }
                Ok(n) => buf.truncate(start + n),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => buf.truncate(start),
                Err(e) => {
                    buf.truncate(start);
                    return Err(format!("unreadable: {e}"));
                }
            }
        }
        if first {
            first = false;
            if memchr::memchr(0, &buf[..buf.len().min(8192)]).is_some() {
                return Err("binary".to_owned());
            }
        }
        if buf.is_empty() {
            break;
        }
        // The lines this round owns: everything at EOF, else up to the last line break
        // within the first chunk (a line longer than a chunk is cut there).
        let region_end = if eof {
            buf.len()
        } else {
            let cut = CHUNK.min(buf.len());
            memchr::memrchr(b'\n', &buf[..cut]).map_or(cut, |p| p + 1)
        };
        for hit in scanner.scan(buf, region_end, line, rel) {
            if hit.inline_allowed || policy.allows_secret(hit.rule().id, rel, &hit.secret_text()) {
                continue;
            }
            findings.push(hit.into_finding(rel, None));
        }
        total += region_end as u64;
        line = line.saturating_add(
            u32::try_from(memchr::memchr_iter(b'\n', &buf[..region_end]).count())
                .unwrap_or(u32::MAX),
        );
        buf.drain(..region_end);
        if eof && buf.is_empty() {
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
