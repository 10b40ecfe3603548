//! `scripts/install.sh`: real archives of the built binary served over local HTTP, plus a
//! corrupted archive, a 404 and a slow, truncated download. A bad archive is never extracted
//! nor put on PATH.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The target install.sh picks on this machine.
fn target() -> &'static str {
    match (std::env::consts::OS, std::env::consts::ARCH) {
        ("linux", "x86_64") => "x86_64-unknown-linux-musl",
        ("linux", "aarch64") => "aarch64-unknown-linux-musl",
        ("macos", "x86_64") => "x86_64-apple-darwin",
        ("macos", "aarch64") => "aarch64-apple-darwin",
        other => panic!("no slipway target for {other:?}"),
    }
}

fn archive_name() -> String {
    format!("slipway-{VERSION}-{}.tar.gz", target())
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A real release archive: `slipway-<v>-<target>/slipway`, gzipped tar, of the built binary.
fn real_archive(dir: &Path) -> Vec<u8> {
    let stage = dir.join(format!("slipway-{VERSION}-{}", target()));
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_slipway"), stage.join("slipway")).unwrap();
    let out = dir.join("archive.tar.gz");
    let status = Command::new("tar")
        .arg("-czf")
        .arg(&out)
        .arg("-C")
        .arg(dir)
        .arg(stage.file_name().unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(out).unwrap()
}

/// How the server answers under a path prefix.
#[derive(Clone, Copy)]
enum Answer {
    Good,
    Corrupt,
    NotFound,
    Truncated,
}

/// A local HTTP server: `/<good|corrupt|missing|truncated>/v<version>/<archive>`.
struct Server {
    port: u16,
    hits: Arc<AtomicUsize>,
}

fn serve(archive: Vec<u8>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let archive = Arc::new(archive);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let archive = Arc::clone(&archive);
            counter.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request = String::new();
                reader.read_line(&mut request).unwrap();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                }
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let answer = match path.split('/').nth(1) {
                    Some("good") => Answer::Good,
                    Some("corrupt") => Answer::Corrupt,
                    Some("truncated") => Answer::Truncated,
                    _ => Answer::NotFound,
                };
                let wanted = format!("/v{VERSION}/{}", archive_name());
                let answer = if path.ends_with(&wanted) {
                    answer
                } else {
                    Answer::NotFound
                };
                let head = |len: usize| {
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/gzip\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n"
                    )
                };
                let _ = match answer {
                    Answer::Good => stream
                        .write_all(head(archive.len()).as_bytes())
                        .and_then(|()| stream.write_all(&archive)),
                    Answer::Corrupt => {
                        let mut bytes = archive.to_vec();
                        let mid = bytes.len() / 2;
                        bytes[mid] ^= 0xff;
                        stream
                            .write_all(head(bytes.len()).as_bytes())
                            .and_then(|()| stream.write_all(&bytes))
                    }
                    Answer::Truncated => {
                        // Slow, then the connection drops before the announced length.
                        let half = &archive[..archive.len() / 2];
                        let r = stream
                            .write_all(head(archive.len()).as_bytes())
                            .and_then(|()| stream.write_all(&half[..half.len() / 2]));
                        std::thread::sleep(std::time::Duration::from_millis(700));
                        r.and_then(|()| stream.write_all(&half[half.len() / 2..]))
                    }
                    Answer::NotFound => stream.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found",
                    ),
                };
            });
        }
    });
    Server { port, hits }
}

/// A copy of the action's scripts with release-checksums.txt listing `sum` for this target.
struct Sandbox {
    root: tempfile::TempDir,
}

impl Sandbox {
    fn new(sum: Option<&str>) -> Self {
        let root = tempfile::tempdir().unwrap();
        let scripts = root.path().join("checkout/scripts");
        std::fs::create_dir_all(&scripts).unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install.sh");
        std::fs::copy(src, scripts.join("install.sh")).unwrap();
        let mut sums = format!("# test\nversion {VERSION}\n");
        if let Some(sum) = sum {
            sums.push_str(&format!("{sum}  {}\n", archive_name()));
        }
        std::fs::write(scripts.join("release-checksums.txt"), sums).unwrap();
        std::fs::create_dir_all(root.path().join("cache")).unwrap();
        std::fs::create_dir_all(root.path().join("stubs")).unwrap();
        std::fs::write(root.path().join("github_path"), "").unwrap();
        Self { root }
    }

    fn path(&self) -> &Path {
        self.root.path()
    }

    fn tool_dir(&self) -> PathBuf {
        self.path()
            .join(format!("cache/slipway/{VERSION}/{}", target()))
    }

    /// A stub executable in front of the system PATH.
    fn stub(&self, name: &str, script: &str) {
        use std::os::unix::fs::PermissionsExt as _;
        let p = self.path().join("stubs").join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn run(&self, envs: &[(&str, &str)]) -> Outcome {
        self.run_in(None, envs)
    }

    /// Runs install.sh from `cwd` (a workspace), as the action's step does.
    fn run_in(&self, cwd: Option<&Path>, envs: &[(&str, &str)]) -> Outcome {
        let mut cmd = Command::new("bash");
        if let Some(cwd) = cwd {
            cmd.current_dir(cwd);
        }
        cmd.arg(self.path().join("checkout/scripts/install.sh"))
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.path().join("stubs").display()),
            )
            .env("HOME", self.path())
            .env("RUNNER_TOOL_CACHE", self.path().join("cache"))
            .env("GITHUB_PATH", self.path().join("github_path"));
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        Outcome {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            github_path: std::fs::read_to_string(self.path().join("github_path")).unwrap(),
        }
    }
}

#[derive(Debug)]
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    github_path: String,
}

fn test_url(server: &Server, kind: &str) -> String {
    format!("http://127.0.0.1:{}/{kind}", server.port)
}

#[test]
fn a_verified_archive_is_installed_into_the_tool_cache_and_put_on_path_then_reused() {
    let work = tempfile::tempdir().unwrap();
    let archive = real_archive(work.path());
    let sandbox = Sandbox::new(Some(&sha256(&archive)));
    let server = serve(archive);
    let url = test_url(&server, "good");
    let env = [("SLIPWAY_INSTALL_INSECURE_TEST_URL", url.as_str())];
    let out = sandbox.run(&env);
    assert_eq!(out.code, Some(0), "{out:?}");
    let bin = sandbox.tool_dir().join("bin");
    assert_eq!(out.github_path, format!("{}\n", bin.display()));
    assert!(
        out.stdout
            .contains(&format!("installed slipway {VERSION} (")),
        "{out:?}"
    );
    let version = Command::new(bin.join("slipway"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with(&format!("slipway {VERSION}")));
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);

    // Second run: the tool cache answers, nothing is downloaded.
    let again = sandbox.run(&env);
    assert_eq!(again.code, Some(0), "{again:?}");
    assert!(
        again.stdout.contains("found in the tool cache"),
        "{again:?}"
    );
    assert_eq!(server.hits.load(Ordering::SeqCst), 1);
}

fn assert_nothing_installed(sandbox: &Sandbox, out: &Outcome) {
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.github_path, "", "{out:?}");
    assert!(!sandbox.tool_dir().exists(), "{out:?}");
    assert!(
        !sandbox
            .path()
            .join(format!("cache/slipway/{VERSION}/{}.complete", target()))
            .exists()
    );
}

#[test]
fn a_corrupted_archive_fails_with_a_checksum_mismatch_and_is_never_extracted() {
    let work = tempfile::tempdir().unwrap();
    let archive = real_archive(work.path());
    let sum = sha256(&archive);
    let sandbox = Sandbox::new(Some(&sum));
    let server = serve(archive);
    let url = test_url(&server, "corrupt");
    let out = sandbox.run(&[("SLIPWAY_INSTALL_INSECURE_TEST_URL", &url)]);
    assert_nothing_installed(&sandbox, &out);
    assert!(
        out.stderr.contains(&format!(
            "::error::slipway install: checksum mismatch for `{}`: expected `{sum}`",
            archive_name()
        )),
        "{out:?}"
    );
}

#[test]
fn a_missing_archive_fails_with_the_url_and_the_404() {
    let work = tempfile::tempdir().unwrap();
    let archive = real_archive(work.path());
    let sandbox = Sandbox::new(Some(&sha256(&archive)));
    let server = serve(archive);
    let url = test_url(&server, "missing");
    let out = sandbox.run(&[("SLIPWAY_INSTALL_INSECURE_TEST_URL", &url)]);
    assert_nothing_installed(&sandbox, &out);
    assert!(
        out.stderr.contains(&format!(
            "::error::slipway install: downloading `{url}/v{VERSION}/"
        )),
        "{out:?}"
    );
    assert!(out.stderr.contains("404"), "{out:?}");
}

#[test]
fn a_slow_truncated_download_is_a_hard_failure() {
    let work = tempfile::tempdir().unwrap();
    let archive = real_archive(work.path());
    let sandbox = Sandbox::new(Some(&sha256(&archive)));
    let server = serve(archive);
    let url = test_url(&server, "truncated");
    let out = sandbox.run(&[("SLIPWAY_INSTALL_INSECURE_TEST_URL", &url)]);
    assert_nothing_installed(&sandbox, &out);
    assert!(out.stderr.contains("::error::slipway install: "), "{out:?}");
}

#[test]
fn plain_http_is_refused_outside_the_loopback_test_escape() {
    let sandbox = Sandbox::new(Some(&"0".repeat(64)));
    let out = sandbox.run(&[("SLIPWAY_INSTALL_BASE_URL", "http://example.com/dl")]);
    assert_nothing_installed(&sandbox, &out);
    assert!(
        out.stderr.contains(
            "::error::slipway install: `SLIPWAY_INSTALL_BASE_URL` must start with `https://`"
        ),
        "{out:?}"
    );
    let out = sandbox.run(&[("SLIPWAY_INSTALL_INSECURE_TEST_URL", "http://example.com:80")]);
    assert_nothing_installed(&sandbox, &out);
    assert!(
        out.stderr
            .contains("`SLIPWAY_INSTALL_INSECURE_TEST_URL` only accepts `http://127.0.0.1:<port>`"),
        "{out:?}"
    );
}

#[test]
fn a_slipway_of_the_same_version_on_path_is_used_as_is() {
    let sandbox = Sandbox::new(Some(&"0".repeat(64)));
    sandbox.stub("slipway", &format!("echo 'slipway {VERSION} (abc1234)'"));
    let out = sandbox.run(&[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout
            .contains(&format!("slipway {VERSION} is already on PATH")),
        "{out:?}"
    );
    assert!(!sandbox.tool_dir().exists());
}

#[test]
fn another_version_on_path_is_not_used() {
    let sandbox = Sandbox::new(Some(&"0".repeat(64)));
    sandbox.stub("slipway", "echo 'slipway 0.0.1 (abc1234)'");
    let server = serve(Vec::new());
    let url = test_url(&server, "missing");
    let out = sandbox.run(&[("SLIPWAY_INSTALL_INSECURE_TEST_URL", &url)]);
    assert_nothing_installed(&sandbox, &out);
    assert!(out.stderr.contains("downloading"), "{out:?}");
}

#[test]
fn without_a_listed_archive_it_builds_the_checkout_with_cargo() {
    let sandbox = Sandbox::new(None);
    let log = sandbox.path().join("cargo.log");
    sandbox.stub(
        "cargo",
        &format!(
            "echo \"$@\" > '{}'\nroot=\"\"\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=\"$2\"; shift; done\nmkdir -p \"$root/bin\"\necho '#!/bin/sh' > \"$root/bin/slipway\"\necho \"echo 'slipway {VERSION} (built)'\" >> \"$root/bin/slipway\"\nchmod +x \"$root/bin/slipway\"",
            log.display()
        ),
    );
    let out = sandbox.run(&[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let args = std::fs::read_to_string(&log).unwrap();
    let checkout = sandbox.path().join("checkout").canonicalize().unwrap();
    assert_eq!(
        args.trim(),
        format!(
            "install --locked --path {} --root {} --bin slipway",
            checkout.display(),
            sandbox.tool_dir().display()
        )
    );
    assert!(out.stdout.contains("no archive for"), "{out:?}");
    assert!(out.stdout.contains("installed slipway"), "{out:?}");
    assert_eq!(
        out.github_path,
        format!("{}\n", sandbox.tool_dir().join("bin").display())
    );

    // SLIPWAY_BUILD_FROM_SOURCE wins over a listed archive too.
    let listed = Sandbox::new(Some(&"0".repeat(64)));
    let out = listed.run(&[("SLIPWAY_BUILD_FROM_SOURCE", "true")]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("cargo is not on PATH"), "{out:?}");
}

/// A cargo stand-in that records the toolchain rustup would pick and where it ran, then
/// installs a fake slipway of the right version.
fn recording_cargo(sandbox: &Sandbox) -> PathBuf {
    let log = sandbox.path().join("cargo-env.log");
    sandbox.stub(
        "cargo",
        &format!(
            "echo \"toolchain=${{RUSTUP_TOOLCHAIN:-}} cwd=$(pwd -P)\" > '{}'\nroot=\"\"\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=\"$2\"; shift; done\nmkdir -p \"$root/bin\"\necho '#!/bin/sh' > \"$root/bin/slipway\"\necho \"echo 'slipway {VERSION} (built)'\" >> \"$root/bin/slipway\"\nchmod +x \"$root/bin/slipway\"",
            log.display()
        ),
    );
    log
}

#[test]
fn a_build_from_source_ignores_the_workspace_s_pinned_toolchain() {
    // The workspace pins an old toolchain: rustup would use it for a build started there.
    let workspace = tempfile::tempdir().unwrap();
    std::fs::write(
        workspace.path().join("rust-toolchain.toml"),
        "[toolchain]\nchannel = \"1.70.0\"\n",
    )
    .unwrap();
    let sandbox = Sandbox::new(None);
    let log = recording_cargo(&sandbox);
    let out = sandbox.run_in(Some(workspace.path()), &[("RUSTUP_TOOLCHAIN", "1.70.0")]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let checkout = sandbox.path().join("checkout").canonicalize().unwrap();
    assert_eq!(
        std::fs::read_to_string(&log).unwrap().trim(),
        format!("toolchain=stable cwd={}", checkout.display())
    );
    assert!(
        out.stdout.contains("building with the stable toolchain"),
        "{out:?}"
    );

    // The action's own checkout pins its toolchain: that one builds it.
    let pinned = Sandbox::new(None);
    std::fs::write(
        pinned.path().join("checkout/rust-toolchain.toml"),
        "[toolchain]\nchannel = \"1.91.0\"\ncomponents = [\"clippy\"]\n",
    )
    .unwrap();
    let log = recording_cargo(&pinned);
    let out = pinned.run_in(Some(workspace.path()), &[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .starts_with("toolchain=1.91.0 cwd="),
        "{out:?}"
    );
    let legacy = Sandbox::new(None);
    std::fs::write(legacy.path().join("checkout/rust-toolchain"), "1.90.0\n").unwrap();
    let log = recording_cargo(&legacy);
    let out = legacy.run_in(Some(workspace.path()), &[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .starts_with("toolchain=1.90.0 cwd="),
        "{out:?}"
    );
}

#[test]
fn an_unsupported_runner_names_the_supported_ones() {
    let sandbox = Sandbox::new(Some(&"0".repeat(64)));
    sandbox.stub(
        "uname",
        "case \"$1\" in -s) echo SunOS;; -m) echo sparc64;; esac",
    );
    let out = sandbox.run(&[]);
    assert_nothing_installed(&sandbox, &out);
    assert!(
        out.stderr.contains(
            "::error::slipway install: unsupported runner `SunOS`/`sparc64`; supported: Linux x86_64 and aarch64, macOS x86_64 and arm64, Windows x86_64"
        ),
        "{out:?}"
    );
}
