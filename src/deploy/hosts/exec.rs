//! Where the `hosts` target runs its commands: this machine (`sh -c`) or a host over ssh
//! (`ssh ... 'sh -c <script>'`). Every operation on the host is a small POSIX shell script, so
//! both places take one code path, and a fake `ssh` that runs scripts locally tests the remote
//! one.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::deploy::Error;

/// The longest one host command may take before it is killed (a hung ssh, an nginx that
/// never answers).
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// Where scripts run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exec {
    /// This machine, through `sh -c`.
    Local,
    /// A host over ssh.
    Ssh(Ssh),
}

/// An ssh destination and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ssh {
    /// The ssh program, `ssh` unless `SLIPWAY_SSH` names another.
    pub program: String,
    /// `user@host` or `host`.
    pub destination: String,
    /// A private key file (written from the credentials, mode 0600).
    pub identity: Option<PathBuf>,
}

/// What a script printed and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The exit code; `None` when killed by a signal or the timeout.
    pub code: Option<i32>,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Output {
    /// Exit code 0.
    pub fn ok(&self) -> bool {
        self.code == Some(0)
    }
}

/// `s` as one word for a POSIX shell: single-quoted, with `'` written as `'\''`.
///
/// ```
/// use slipway::deploy::hosts::exec::quote;
/// assert_eq!(quote("a b"), "'a b'");
/// assert_eq!(quote("it's"), r"'it'\''s'");
/// assert_eq!(quote("plain-1.2"), "plain-1.2");
/// ```
pub fn quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,".contains(c))
    {
        return s.to_owned();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

impl Exec {
    /// The program and arguments that run `script`.
    pub fn argv(&self, script: &str) -> Vec<String> {
        match self {
            Self::Local => vec!["sh".to_owned(), "-c".to_owned(), script.to_owned()],
            Self::Ssh(ssh) => {
                let mut argv = vec![
                    ssh.program.clone(),
                    "-o".to_owned(),
                    "BatchMode=yes".to_owned(),
                    "-o".to_owned(),
                    "ConnectTimeout=10".to_owned(),
                    "-o".to_owned(),
                    "ServerAliveInterval=15".to_owned(),
                    // NOTE: a fresh runner has no known_hosts; the first key seen is trusted
                    // and a changed key is refused. Pin keys with a known_hosts file in
                    // ~/.ssh for stronger guarantees.
                    "-o".to_owned(),
                    "StrictHostKeyChecking=accept-new".to_owned(),
                ];
                if let Some(key) = &ssh.identity {
                    argv.extend([
                        "-o".to_owned(),
                        "IdentitiesOnly=yes".to_owned(),
                        "-i".to_owned(),
                        key.display().to_string(),
                    ]);
                }
                // ssh joins its arguments into one command line for the remote login shell:
                // hand it a single, quoted `sh -c` so the script runs under sh whatever that
                // shell is.
                argv.extend([
                    ssh.destination.clone(),
                    "--".to_owned(),
                    format!("sh -c {}", quote(script)),
                ]);
                argv
            }
        }
    }

    /// Where, in words: `this machine` or `deploy@app-1`.
    pub fn describe(&self) -> String {
        match self {
            Self::Local => "this machine".to_owned(),
            Self::Ssh(ssh) => ssh.destination.clone(),
        }
    }

    /// Runs `script`, feeding `stdin`, and waits up to [`COMMAND_TIMEOUT`].
    pub fn run(&self, script: &str, stdin: Option<&[u8]>) -> Result<Output, Error> {
        self.run_timeout(script, stdin, COMMAND_TIMEOUT)
    }

    /// Runs `script` with a timeout; a script still running then is killed.
    pub fn run_timeout(
        &self,
        script: &str,
        stdin: Option<&[u8]>,
        timeout: Duration,
    ) -> Result<Output, Error> {
        let argv = self.argv(script);
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| Error::Command {
            what: format!("cannot run `{}` on {}: {e}", argv[0], self.describe()),
            stderr: String::new(),
        })?;
        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            let bytes = bytes.to_vec();
            std::thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            });
        }
        let mut out_pipe = child.stdout.take();
        let mut err_pipe = child.stderr.take();
        let out_t = std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(p) = out_pipe.as_mut() {
                let _ = p.read_to_string(&mut s);
            }
            s
        });
        let err_t = std::thread::spawn(move || {
            let mut s = String::new();
            if let Some(p) = err_pipe.as_mut() {
                let _ = p.read_to_string(&mut s);
            }
            s
        });
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if started.elapsed() >= timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
                Err(e) => {
                    return Err(Error::Command {
                        what: format!("waiting for `{}`: {e}", argv[0]),
                        stderr: String::new(),
                    });
                }
            }
        };
        let stdout = out_t.join().unwrap_or_default();
        let stderr = err_t.join().unwrap_or_default();
        let Some(status) = status else {
            return Err(Error::Command {
                what: format!(
                    "a command on {} did not finish within {}s",
                    self.describe(),
                    timeout.as_secs()
                ),
                stderr: crate::github::redact(stderr.trim()).into_owned(),
            });
        };
        Ok(Output {
            code: status.code(),
            stdout,
            stderr,
        })
    }

    /// Runs `script` and fails unless it exits 0; `what` names it in the error.
    pub fn check(&self, what: &str, script: &str, stdin: Option<&[u8]>) -> Result<String, Error> {
        let out = self.run(script, stdin)?;
        if out.ok() {
            Ok(out.stdout)
        } else {
            Err(self.failed(what, &out))
        }
    }

    /// The error for a script that ran and failed.
    pub fn failed(&self, what: &str, out: &Output) -> Error {
        // ssh itself exits 255 when it cannot connect or authenticate.
        let unreachable = matches!(self, Self::Ssh(_)) && out.code == Some(255);
        let how = match out.code {
            Some(code) if unreachable => {
                format!("cannot reach {} over ssh (exit {code})", self.describe())
            }
            Some(code) => format!("exit code {code}"),
            None => "killed by a signal".to_owned(),
        };
        let stderr: String = out
            .stderr
            .trim()
            .lines()
            .rev()
            .take(8)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        Error::Command {
            what: format!("{what} on {}: {how}", self.describe()),
            stderr: crate::github::redact(&stderr).into_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_scripts_run_under_sh() {
        let out = Exec::Local
            .run("echo \"$0\"; echo err >&2; exit 3", None)
            .expect("run");
        assert_eq!(out.code, Some(3));
        assert_eq!(out.stdout, "sh\n");
        assert_eq!(out.stderr, "err\n");
        let out = Exec::Local.run("cat", Some(b"piped")).expect("stdin");
        assert_eq!(out.stdout, "piped");
    }

    #[test]
    fn ssh_commands_quote_the_script_once_for_the_remote_shell() {
        let exec = Exec::Ssh(Ssh {
            program: "ssh".to_owned(),
            destination: "deploy@app-1".to_owned(),
            identity: Some(PathBuf::from("/tmp/key")),
        });
        let argv = exec.argv("kill -TERM -- -42 && echo 'done'");
        assert_eq!(
            argv,
            [
                "ssh",
                "-o",
                "BatchMode=yes",
                "-o",
                "ConnectTimeout=10",
                "-o",
                "ServerAliveInterval=15",
                "-o",
                "StrictHostKeyChecking=accept-new",
                "-o",
                "IdentitiesOnly=yes",
                "-i",
                "/tmp/key",
                "deploy@app-1",
                "--",
                r"sh -c 'kill -TERM -- -42 && echo '\''done'\'''",
            ]
        );
        // The remote login shell turns the last argument back into the script.
        let back = Exec::Local
            .run(&format!("printf %s {}", quote(&argv[15])), None)
            .expect("run");
        assert_eq!(back.stdout, argv[15]);
    }

    #[test]
    fn a_script_that_hangs_is_killed_at_the_timeout() {
        let e = Exec::Local
            .run_timeout("sleep 5", None, Duration::from_millis(100))
            .expect_err("timeout");
        assert!(e.to_string().contains("did not finish"), "{e}");
    }

    #[test]
    fn an_unreachable_ssh_host_is_named() {
        let exec = Exec::Ssh(Ssh {
            program: "sh".to_owned(),
            destination: "nowhere".to_owned(),
            identity: None,
        });
        let out = Output {
            code: Some(255),
            stdout: String::new(),
            stderr: "ssh: connect to host nowhere port 22: Connection refused\n".to_owned(),
        };
        let e = exec.failed("starting blue-0", &out);
        assert_eq!(
            e.to_string(),
            "starting blue-0 on nowhere: cannot reach nowhere over ssh (exit 255)"
        );
    }
}
