//! `--history`: every commit's added lines, streamed out of `git log -p` (never held whole),
//! scanned hunk by hunk and reported with the commit that added them.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use super::Scanner;
use crate::security::allow::Policy;
use crate::security::{Error, Finding};

/// A diff line longer than this is cut (minified files): memory stays bounded.
const MAX_LINE: usize = 1024 * 1024;
/// Added lines collected before a scan; a longer hunk is scanned in pieces.
const MAX_PENDING: usize = 4 * 1024 * 1024;

/// What the history scan found.
#[derive(Debug, Default)]
pub struct HistoryReport {
    pub findings: Vec<Finding>,
    pub commits: usize,
    pub bytes: u64,
}

/// Scans the added lines of every commit reachable from `HEAD` in the repository at `root`.
pub fn scan(root: &Path, scanner: &Scanner, policy: &Policy) -> Result<HistoryReport, Error> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "-c",
            "core.quotePath=false",
            "log",
            "-p",
            "-U0",
            "--no-color",
            "--no-ext-diff",
            "--no-renames",
            "--no-textconv",
            "--format=%x00commit %H",
            "HEAD",
            "--",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|source| Error::Git {
            root: root.to_path_buf(),
            reason: format!("could not run git: {source}"),
        })?;
    let stdout = child.stdout.take().ok_or_else(|| Error::Git {
        root: root.to_path_buf(),
        reason: "no output from git log".into(),
    })?;
    // stderr is drained on a thread so a chatty git never blocks on a full pipe.
    let stderr = child.stderr.take();
    let err_thread = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut s) = stderr {
            use std::io::Read as _;
            let _ = s.by_ref().take(64 * 1024).read_to_string(&mut text);
            let _ = std::io::copy(&mut s, &mut std::io::sink());
        }
        text
    });
    let mut parser = Parser::new(scanner, policy);
    let mut reader = BufReader::with_capacity(256 * 1024, stdout);
    let mut line = Vec::new();
    loop {
        match read_line_bounded(&mut reader, &mut line, MAX_LINE) {
            Ok(false) => break,
            Ok(true) => parser.line(&line),
            Err(e) => {
                let _ = child.kill();
                return Err(Error::Git {
                    root: root.to_path_buf(),
                    reason: format!("reading git log: {e}"),
                });
            }
        }
    }
    parser.flush();
    let status = child.wait().map_err(|e| Error::Git {
        root: root.to_path_buf(),
        reason: e.to_string(),
    })?;
    let err_text = err_thread.join().unwrap_or_default();
    if !status.success() {
        // A repository without commits has no history to scan.
        if err_text.contains("does not have any commits") || err_text.contains("unknown revision") {
            return Ok(HistoryReport::default());
        }
        return Err(Error::Git {
            root: root.to_path_buf(),
            reason: err_text.trim().to_owned(),
        });
    }
    Ok(parser.report)
}

/// Reads one line (without its `\n`) into `out`, keeping at most `max` bytes of it; `false`
/// at the end of input.
fn read_line_bounded(r: &mut impl BufRead, out: &mut Vec<u8>, max: usize) -> std::io::Result<bool> {
    out.clear();
    let mut any = false;
    loop {
        let (done, used) = {
            let available = match r.fill_buf() {
                Ok(a) => a,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if available.is_empty() {
                return Ok(any);
            }
            any = true;
            match memchr::memchr(b'\n', available) {
                Some(i) => {
                    let room = max.saturating_sub(out.len());
                    out.extend_from_slice(&available[..i.min(room)]);
                    (true, i + 1)
                }
                None => {
                    let room = max.saturating_sub(out.len());
                    out.extend_from_slice(&available[..available.len().min(room)]);
                    (false, available.len())
                }
            }
        };
        r.consume(used);
        if done {
            return Ok(true);
        }
    }
}

/// The state of the diff being read.
struct Parser<'a> {
    scanner: &'a Scanner,
    policy: &'a Policy,
    commit: Option<String>,
    file: Option<String>,
    /// Line number in the new file of the next added line.
    next_line: u32,
    /// Consecutive added lines and the line number of the first.
    pending: Vec<u8>,
    pending_line: u32,
    report: HistoryReport,
}

impl<'a> Parser<'a> {
    fn new(scanner: &'a Scanner, policy: &'a Policy) -> Self {
        Self {
            scanner,
            policy,
            commit: None,
            file: None,
            next_line: 1,
            pending: Vec::new(),
            pending_line: 1,
            report: HistoryReport::default(),
        }
    }

    fn line(&mut self, line: &[u8]) {
        if let Some(rest) = line.strip_prefix(b"\0commit ") {
            self.flush();
            self.commit = Some(String::from_utf8_lossy(rest).trim().to_owned());
            self.file = None;
            self.report.commits += 1;
        } else if line.starts_with(b"diff --git ") {
            self.flush();
            self.file = None;
        } else if let Some(rest) = line.strip_prefix(b"+++ ") {
            self.flush();
            self.file = parse_path(rest);
        } else if line.starts_with(b"@@ ") {
            self.flush();
            self.next_line = hunk_start(line).unwrap_or(1);
        } else if let Some(added) = line.strip_prefix(b"+") {
            if self.file.is_none() {
                return;
            }
            if self.pending.is_empty() {
                self.pending_line = self.next_line;
            }
            self.pending.extend_from_slice(added);
            self.pending.push(b'\n');
            self.next_line = self.next_line.saturating_add(1);
            if self.pending.len() > MAX_PENDING {
                self.flush();
            }
        } else if line.starts_with(b" ") {
            self.flush();
            self.next_line = self.next_line.saturating_add(1);
        } else {
            // `-` lines, `\ No newline`, headers: the added run ends.
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let Some(file) = self.file.clone() else {
            self.pending.clear();
            return;
        };
        self.report.bytes += self.pending.len() as u64;
        let hits = self
            .scanner
            .scan(&self.pending, self.pending.len(), self.pending_line, &file);
        for hit in hits {
            if hit.inline_allowed
                || self
                    .policy
                    .allows_secret(hit.rule().id, &file, &hit.secret_text())
            {
                continue;
            }
            self.report
                .findings
                .push(hit.into_finding(&file, self.commit.clone()));
        }
        self.pending.clear();
    }
}

/// The path of `+++ b/path` (unquoted), or `None` for `/dev/null`.
fn parse_path(rest: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(rest);
    let text = text.trim_end_matches('\t');
    let unquoted = if text.starts_with('"') && text.ends_with('"') && text.len() >= 2 {
        unquote(&text[1..text.len() - 1])
    } else {
        text.to_owned()
    };
    unquoted.strip_prefix("b/").map(str::to_owned)
}

/// Undoes git's C-style quoting of a path (`\"`, `\\`, `\t`, `\n`, octal bytes).
fn unquote(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            let c = bytes[i + 1];
            match c {
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'"' | b'\\' => out.push(c),
                b'0'..=b'7'
                    if i + 3 < bytes.len()
                        && bytes[i + 2..i + 4]
                            .iter()
                            .all(|d| (b'0'..=b'7').contains(d)) =>
                {
                    let value = bytes[i + 1..i + 4]
                        .iter()
                        .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
                    out.push(u8::try_from(value).unwrap_or(b'?'));
                    i += 4;
                    continue;
                }
                _ => out.push(c),
            }
            i += 2;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The new-file start line of `@@ -a,b +c,d @@`.
fn hunk_start(line: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(line).ok()?;
    let plus = text.split(' ').find(|p| p.starts_with('+'))?;
    let n = plus[1..].split(',').next()?;
    n.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunk_headers_and_paths_parse() {
        assert_eq!(hunk_start(b"@@ -0,0 +12,3 @@ fn main"), Some(12));
        assert_eq!(hunk_start(b"@@ -3 +4 @@"), Some(4));
        assert_eq!(hunk_start(b"@@ junk"), None);
        assert_eq!(parse_path(b"b/src/a.rs").as_deref(), Some("src/a.rs"));
        assert_eq!(parse_path(b"/dev/null"), None);
        assert_eq!(
            parse_path(b"\"b/caf\\303\\251 \\\"x\\\".txt\"").as_deref(),
            Some("café \"x\".txt")
        );
    }

    #[test]
    fn bounded_lines_are_cut_not_buffered_whole() {
        let data = format!("{}\nnext\n", "a".repeat(100));
        let mut r = BufReader::with_capacity(8, data.as_bytes());
        let mut line = Vec::new();
        assert!(read_line_bounded(&mut r, &mut line, 10).unwrap());
        assert_eq!(line, b"aaaaaaaaaa");
        assert!(read_line_bounded(&mut r, &mut line, 10).unwrap());
        assert_eq!(line, b"next");
        assert!(!read_line_bounded(&mut r, &mut line, 10).unwrap());
    }

    #[test]
    fn added_lines_carry_their_commit_and_new_file_line() {
        let scanner = Scanner::new();
        let policy = Policy::default();
        let mut p = Parser::new(&scanner, &policy);
        let token =
            crate::security::secrets::checks::github_token("ghp", "R9fX2kLm0QpZ7vTb4NcW8sYh1JdA6e");
        let diff = format!(
            "\0commit 0123456789abcdef0123456789abcdef01234567\n\ndiff --git a/c.env b/c.env\n--- /dev/null\n+++ b/c.env\n@@ -0,0 +7,2 @@\n+A=1\n+T={token}\n"
        );
        for l in diff.lines() {
            p.line(l.as_bytes());
        }
        p.flush();
        assert_eq!(p.report.commits, 1);
        let f = &p.report.findings[0];
        assert_eq!((f.file.as_str(), f.line), ("c.env", 8));
        assert_eq!(
            f.commit.as_deref(),
            Some("0123456789abcdef0123456789abcdef01234567")
        );
    }

    proptest::proptest! {
        #[test]
        fn random_diff_text_never_panics(lines in proptest::collection::vec(proptest::collection::vec(proptest::num::u8::ANY, 0..80), 0..50)) {
            let scanner = Scanner::new();
            let policy = Policy::default();
            let mut p = Parser::new(&scanner, &policy);
            for l in &lines {
                p.line(l);
            }
            p.flush();
            let _ = parse_path(&lines.concat());
            let _ = hunk_start(&lines.concat());
        }
    }
}
