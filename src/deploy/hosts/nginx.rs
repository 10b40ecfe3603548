//! The nginx in front of the instances: slipway writes one file, the `upstream` block that
//! your config includes, and reloads nginx gracefully.
//!
//! Every change goes through one script on the host: keep a copy of the current file, put the
//! new one in place atomically (temporary file + `mv`), `nginx -t`, then `nginx -s reload`. When
//! the test or the reload fails, the copy is moved back, so a config that fails `nginx -t`
//! never stays in place. A graceful reload lets old workers finish the requests they hold
//! (<https://nginx.org/en/docs/control.html#reconfiguration>).

use std::fmt::Write as _;

use super::exec::{Exec, quote};
use crate::deploy::Error;

/// One `server` line of the upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    /// `host:port`.
    pub address: String,
    /// An nginx `weight=`, when traffic is split (canary).
    pub weight: Option<u32>,
}

/// How to drive one nginx.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nginx {
    /// Where it runs.
    pub exec: Exec,
    /// The binary.
    pub binary: String,
    /// `-c`.
    pub config: Option<String>,
    /// `-p`.
    pub prefix: Option<String>,
    /// The upstream file slipway owns.
    pub upstream_file: String,
    /// The upstream's name.
    pub upstream: String,
}

/// The upstream block for `servers`. `note` (environment and version) goes into a comment.
///
/// ```
/// use slipway::deploy::hosts::nginx::{render, Server};
/// let s = render("shop-staging", &[Server { address: "127.0.0.1:8000".into(), weight: None }], "1.4.2");
/// assert!(s.contains("upstream shop-staging {\n    server 127.0.0.1:8000;\n"));
/// ```
pub fn render(upstream: &str, servers: &[Server], note: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Written by slipway deploy: {note}. Do not edit; the next deploy replaces it."
    );
    let _ = writeln!(out, "upstream {upstream} {{");
    for s in servers {
        match s.weight {
            Some(w) => {
                let _ = writeln!(out, "    server {} weight={w};", s.address);
            }
            None => {
                let _ = writeln!(out, "    server {};", s.address);
            }
        }
    }
    if servers.is_empty() {
        // nginx refuses an empty upstream; a closed port answers 502 until a deploy fills it.
        let _ = writeln!(out, "    server 127.0.0.1:1 down;");
    }
    let _ = writeln!(out, "    keepalive 32;");
    let _ = writeln!(out, "}}");
    out
}

/// The `server` addresses in an upstream file written by [`render`] (`down` ones skipped).
/// Never panics.
pub fn parse_servers(text: &str) -> Vec<Server> {
    text.lines()
        .filter_map(|l| {
            let l = l.trim().strip_prefix("server ")?.trim_end_matches(';');
            let mut words = l.split_whitespace();
            let address = words.next()?.to_owned();
            let mut weight = None;
            for w in words {
                if w == "down" {
                    return None;
                }
                if let Some(v) = w.strip_prefix("weight=") {
                    weight = v.parse().ok();
                }
            }
            Some(Server { address, weight })
        })
        .collect()
}

/// An upstream name nginx accepts: letters, digits, `-`, `_`, `.`.
pub fn upstream_name(raw: &str) -> String {
    let s: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    if s.is_empty() { "app".to_owned() } else { s }
}

impl Nginx {
    /// `nginx [-p P] [-c C]` as a shell fragment.
    fn base(&self) -> String {
        let mut s = quote(&self.binary);
        if let Some(p) = &self.prefix {
            s.push_str(" -p ");
            s.push_str(&quote(p));
        }
        if let Some(c) = &self.config {
            s.push_str(" -c ");
            s.push_str(&quote(c));
        }
        s
    }

    /// The script that puts `contents` (on stdin) in place, tests and reloads, restoring the
    /// previous file when either fails, and waits until the reload took effect. Exit codes: 10
    /// cannot write, 11 `-t` failed, 12 reload failed.
    ///
    /// `nginx -s reload` only signals the master; the master then starts workers with the new
    /// config and tells the old ones to stop accepting connections, which renames them
    /// `worker process is shutting down`. The script waits (up to 10 s) until every worker
    /// the master had before the reload is renamed or gone: from then on every new request
    /// gets the new upstream. The master's pid file comes from `nginx -T` (the `pid`
    /// directive) or the compiled-in `--pid-path`; without it, or without `/proc`, nothing is
    /// waited for.
    pub fn apply_script(&self) -> String {
        let f = quote(&self.upstream_file);
        let base = self.base();
        let prefix = self.prefix.as_deref().map(quote).unwrap_or_default();
        format!(
            r#"f={f}; tmp="$f.slipway-new.$$"; bak="$f.slipway-previous"
had=0; if [ -f "$f" ]; then cp -p "$f" "$bak" || exit 10; had=1; fi
restore() {{ if [ "$had" = 1 ]; then mv -f "$bak" "$f"; else rm -f "$f"; fi; }}
if ! cat > "$tmp" || ! mv -f "$tmp" "$f"; then rm -f "$tmp"; echo "cannot write $f" >&2; exit 10; fi
if ! out=$({base} -t 2>&1); then restore; printf '%s\n' "$out" >&2; exit 11; fi
pf=$({base} -T 2>/dev/null | sed -n 's/^[[:space:]]*pid[[:space:]][[:space:]]*\([^;]*\);.*/\1/p' | head -n 1)
[ -n "$pf" ] || pf=$({base} -V 2>&1 | sed -n 's/.*--pid-path=\([^ ]*\).*/\1/p')
case "$pf" in ''|/*) ;; *) p={prefix}; pf="${{p:-.}}/$pf" ;; esac
master=$(cat "$pf" 2>/dev/null); old=""
if [ -n "$master" ] && [ -r "/proc/$master/task/$master/children" ]; then
  old=$(cat "/proc/$master/task/$master/children")
elif [ -n "$master" ] && [ -d /proc ]; then
  old=$(awk -v m="$master" 'FNR == 1 {{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); if (f[2] == m) {{ p = FILENAME; sub("^/proc/", "", p); sub("/stat$", "", p); print p }} }}' /proc/[0-9]*/stat 2>/dev/null)
fi
if ! out=$({base} -s reload 2>&1); then restore; printf '%s\n' "$out" >&2; exit 12; fi
rm -f "$bak"
i=0; while [ -n "$old" ] && [ $i -lt 1000 ]; do
  left=""
  for p in $old; do
    t=$(tr '\000' ' ' < /proc/$p/cmdline 2>/dev/null) || continue
    case "$t" in ""|*"shutting down"*) ;; *) left="$left $p" ;; esac
  done
  old=$left; [ -z "$old" ] && break
  sleep 0.01; i=$((i+1))
done
exit 0"#
        )
    }

    /// Writes the upstream file, tests and reloads; on failure the previous file is back and
    /// the error carries nginx's message.
    pub fn apply(&self, contents: &str) -> Result<(), Error> {
        let out = self
            .exec
            .run(&self.apply_script(), Some(contents.as_bytes()))?;
        if out.ok() {
            return Ok(());
        }
        let what = match out.code {
            Some(10) => format!("writing `{}`", self.upstream_file),
            Some(11) => format!(
                "`nginx -t` rejected the new upstream in `{}` (the previous file was restored)",
                self.upstream_file
            ),
            Some(12) => {
                "`nginx -s reload` failed (the previous upstream file was restored)".to_owned()
            }
            _ => "updating nginx".to_owned(),
        };
        Err(self.exec.failed(&what, &out))
    }

    /// The current upstream file, or `None` before the first deploy.
    pub fn read(&self) -> Result<Option<String>, Error> {
        let f = quote(&self.upstream_file);
        let out = self.exec.run(
            &format!("if [ -f {f} ]; then cat {f}; else exit 3; fi"),
            None,
        )?;
        match out.code {
            Some(0) => Ok(Some(out.stdout)),
            Some(3) => Ok(None),
            _ => Err(self
                .exec
                .failed(&format!("reading `{}`", self.upstream_file), &out)),
        }
    }

    /// Checks that change nothing: the binary runs, the upstream file's directory is
    /// writable, and the current config passes `nginx -t` (when the upstream file exists;
    /// before the first deploy your config's `include` of it cannot resolve yet).
    pub fn preflight(&self) -> Result<(), Error> {
        let f = quote(&self.upstream_file);
        let bin = quote(&self.binary);
        let base = self.base();
        let script = format!(
            r#"command -v {bin} >/dev/null 2>&1 || exit 20
d=$(dirname {f}); [ -d "$d" ] && [ -w "$d" ] || exit 21
if [ -f {f} ]; then {base} -t 2>&1 || exit 22; fi
exit 0"#
        );
        let out = self.exec.run(&script, None)?;
        match out.code {
            Some(0) => Ok(()),
            Some(20) => Err(Error::Preflight {
                message: format!("nginx not found: `{}` on {}", self.binary, self.exec.describe()),
                hint: Some(
                    "install nginx (`apt-get install nginx`) or set `deploy.hosts.nginx.binary` to its path"
                        .to_owned(),
                ),
            }),
            Some(21) => Err(Error::Preflight {
                message: format!(
                    "cannot write the upstream file `{}`: its directory is missing or not writable",
                    self.upstream_file
                ),
                hint: Some(
                    "create the directory, or set `deploy.hosts.nginx.upstream-file` to a writable path included by your nginx config"
                        .to_owned(),
                ),
            }),
            Some(22) => Err(Error::Preflight {
                message: "the current nginx configuration fails `nginx -t`".to_owned(),
                hint: Some(format!(
                    "fix it first; nginx said: {}",
                    out.stdout.trim().lines().last().unwrap_or("")
                )),
            }),
            _ => Err(self.exec.failed("checking nginx", &out)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nginx(dir: &std::path::Path, binary: &str) -> Nginx {
        Nginx {
            exec: Exec::Local,
            binary: binary.to_owned(),
            config: Some(dir.join("nginx.conf").display().to_string()),
            prefix: Some(dir.display().to_string()),
            upstream_file: dir.join("upstream.conf").display().to_string(),
            upstream: "shop".to_owned(),
        }
    }

    fn fake_nginx(dir: &std::path::Path, test_ok: bool) -> String {
        let path = dir.join("fake-nginx");
        let t = if test_ok {
            "exit 0"
        } else {
            "echo 'nginx: [emerg] invalid parameter' >&2; exit 1"
        };
        std::fs::write(
            &path,
            format!("#!/bin/sh\necho \"$@\" >> {}/calls\nfor a; do [ \"$a\" = -t ] && {{ {t}; }}; done\nexit 0\n", dir.display()),
        )
        .expect("write");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        path.display().to_string()
    }

    #[test]
    fn servers_round_trip_through_the_file() {
        let servers = vec![
            Server {
                address: "127.0.0.1:8000".into(),
                weight: Some(90),
            },
            Server {
                address: "127.0.0.1:8002".into(),
                weight: Some(10),
            },
        ];
        let text = render("shop", &servers, "staging 1.4.2");
        assert_eq!(parse_servers(&text), servers);
        assert!(parse_servers(&render("shop", &[], "none")).is_empty());
        insta::assert_snapshot!(text);
    }

    #[test]
    fn a_config_that_fails_the_test_is_replaced_by_the_previous_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        let n = nginx(dir.path(), &fake_nginx(dir.path(), false));
        std::fs::write(&n.upstream_file, "previous").expect("seed");
        let e = n.apply("broken").expect_err("rejected");
        assert!(e.to_string().contains("rejected the new upstream"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&n.upstream_file).expect("read"),
            "previous"
        );
        let calls = std::fs::read_to_string(dir.path().join("calls")).expect("calls");
        assert!(!calls.contains("reload"), "{calls}");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("e").file_name().into_string().expect("utf8"))
            .filter(|n| n.contains("slipway"))
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn a_first_file_that_fails_the_test_is_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let n = nginx(dir.path(), &fake_nginx(dir.path(), false));
        assert!(n.apply("broken").is_err());
        assert!(!std::path::Path::new(&n.upstream_file).exists());
        assert_eq!(n.read().expect("read"), None);
    }

    #[test]
    fn a_good_config_is_tested_then_reloaded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let n = nginx(dir.path(), &fake_nginx(dir.path(), true));
        n.apply("upstream shop { server 127.0.0.1:8000; }")
            .expect("apply");
        assert_eq!(
            n.read().expect("read").as_deref(),
            Some("upstream shop { server 127.0.0.1:8000; }")
        );
        let calls = std::fs::read_to_string(dir.path().join("calls")).expect("calls");
        let prefix = dir.path().display();
        assert_eq!(
            calls,
            format!(
                "-p {prefix} -c {prefix}/nginx.conf -t\n-p {prefix} -c {prefix}/nginx.conf -T\n-p {prefix} -c {prefix}/nginx.conf -V\n-p {prefix} -c {prefix}/nginx.conf -s reload\n"
            )
        );
    }

    #[test]
    fn a_missing_binary_is_a_preflight_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let n = nginx(dir.path(), "/nonexistent/nginx");
        let e = n.preflight().expect_err("missing");
        assert_eq!(
            e.to_string(),
            "nginx not found: `/nonexistent/nginx` on this machine"
        );
    }

    proptest::proptest! {
        #[test]
        fn parsing_random_text_never_panics(text in ".{0,300}") {
            let _ = parse_servers(&text);
        }
    }
}
