//! `scripts/install.sh`: real archives of the built binary served over local HTTPS (a private CA
//! made with openssl), plus a corrupted archive, a wrong sum, a 404 and a slow, truncated
//! download; the from-source build, its cache plan, and the attestation check. A bad archive is never extracted
//! nor put on PATH.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;

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

/// A local HTTPS server (tests/support/https_server.py) with a certificate of a private CA
/// made here with openssl; curl trusts it only through `CURL_CA_BUNDLE`. Paths:
/// `/<good|corrupt|truncated>/v<version>/<archive>`, anything else 404.
struct Server {
    dir: tempfile::TempDir,
    port: u16,
    child: std::process::Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// Requests served so far.
    fn hits(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("hits.log"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    fn url(&self, kind: &str) -> String {
        format!("https://127.0.0.1:{}/{kind}", self.port)
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Serves `archive` as `v<version>/<archive_name>` (nothing when empty).
fn serve(archive: Vec<u8>) -> Server {
    let name = format!("v{VERSION}/{}", archive_name());
    if archive.is_empty() {
        serve_files(&[])
    } else {
        serve_files(&[(name.as_str(), archive)])
    }
}

/// Serves each `(path, bytes)` below `/good/`, `/corrupt/` and `/truncated/`.
fn serve_files(files: &[(&str, Vec<u8>)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
    ];
    let mut ca = vec!["req", "-x509"];
    ca.extend(ec);
    ca.extend([
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=slipway test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    ]);
    openssl(d, &ca);
    let mut csr = vec!["req"];
    csr.extend(ec);
    csr.extend([
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    openssl(d, &csr);
    std::fs::write(
        d.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
    let root = d.join("files");
    std::fs::create_dir_all(&root).unwrap();
    for (path, bytes) in files {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/https_server.py");
    let mut child = Command::new("python3")
        .arg(script)
        .arg(&root)
        .arg(d.join("server.pem"))
        .arg(d.join("server.key"))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().parse().expect("the server prints its port");
    Server { dir, port, child }
}

/// How release-checksums.txt pins the release in a sandbox.
struct Pin<'a> {
    version: &'a str,
    /// The checkout's own digest, or another one (a commit between two releases).
    same_sources: bool,
    /// `(sha256, archive)` lines.
    lines: Vec<(String, String)>,
}

/// A copy of the action's checkout (Cargo.toml, src/, scripts/) with release-checksums.txt
/// written by `pin`, a tool cache, stub directory and GITHUB_PATH / GITHUB_OUTPUT files.
struct Sandbox {
    root: tempfile::TempDir,
}

impl Sandbox {
    /// This version's release pinned, built from the checkout's sources, with `sum` for this
    /// runner's archive (none: no archive for the target).
    fn new(sum: Option<&str>) -> Self {
        Self::pinned(Pin {
            version: VERSION,
            same_sources: true,
            lines: sum
                .map(|s| vec![(s.to_owned(), archive_name())])
                .unwrap_or_default(),
        })
    }

    fn pinned(pin: Pin<'_>) -> Self {
        let root = tempfile::tempdir().unwrap();
        let checkout = root.path().join("checkout");
        let scripts = checkout.join("scripts");
        std::fs::create_dir_all(&scripts).unwrap();
        std::fs::create_dir_all(checkout.join("src")).unwrap();
        std::fs::write(
            checkout.join("Cargo.toml"),
            format!("[package]\nname = \"slipway\"\nversion = \"{VERSION}\"\n\n[dependencies]\nx = {{ version = \"9.9.9\" }}\n"),
        )
        .unwrap();
        std::fs::write(checkout.join("src/main.rs"), "fn main() {}\n").unwrap();
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/install.sh");
        std::fs::copy(src, scripts.join("install.sh")).unwrap();
        let digest = if pin.same_sources {
            slipway::release::binary::source_digest(&checkout).unwrap()
        } else {
            "f".repeat(64)
        };
        let mut sums = format!("# test\nversion {}\nsource {digest}\n", pin.version);
        for (sum, name) in &pin.lines {
            sums.push_str(&format!("{sum}  {name}\n"));
        }
        std::fs::write(scripts.join("release-checksums.txt"), sums).unwrap();
        std::fs::create_dir_all(root.path().join("cache")).unwrap();
        std::fs::create_dir_all(root.path().join("stubs")).unwrap();
        std::fs::write(root.path().join("github_path"), "").unwrap();
        std::fs::write(root.path().join("github_output"), "").unwrap();
        Self { root }
    }

    fn path(&self) -> &Path {
        self.root.path()
    }

    fn checkout(&self) -> PathBuf {
        self.path().join("checkout")
    }

    fn tool_dir(&self) -> PathBuf {
        self.path()
            .join(format!("cache/slipway/{VERSION}/{}", target()))
    }

    /// Where a build of the sandbox's sources goes.
    fn source_dir(&self) -> PathBuf {
        let digest = slipway::release::binary::source_digest(&self.checkout()).unwrap();
        self.path().join(format!(
            "cache/slipway/source-{}/{}",
            &digest[..32],
            target()
        ))
    }

    /// A stub executable in front of the system PATH.
    fn stub(&self, name: &str, script: &str) {
        use std::os::unix::fs::PermissionsExt as _;
        let p = self.path().join("stubs").join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{script}\n")).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    fn run(&self, envs: &[(&str, &str)]) -> Outcome {
        self.run_in(None, &[], envs)
    }

    fn plan(&self, envs: &[(&str, &str)]) -> Outcome {
        self.run_in(None, &["--plan"], envs)
    }

    /// Runs install.sh from `cwd` (a workspace), as the action's step does.
    fn run_in(&self, cwd: Option<&Path>, args: &[&str], envs: &[(&str, &str)]) -> Outcome {
        std::fs::write(self.path().join("github_output"), "").unwrap();
        let mut cmd = Command::new("bash");
        if let Some(cwd) = cwd {
            cmd.current_dir(cwd);
        }
        cmd.arg(self.checkout().join("scripts/install.sh"))
            .args(args)
            .env_clear()
            .env(
                "PATH",
                format!("{}:/usr/bin:/bin", self.path().join("stubs").display()),
            )
            .env("HOME", self.path())
            .env("RUNNER_TOOL_CACHE", self.path().join("cache"))
            .env("GITHUB_PATH", self.path().join("github_path"))
            .env("GITHUB_OUTPUT", self.path().join("github_output"));
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        Outcome {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            github_path: std::fs::read_to_string(self.path().join("github_path")).unwrap(),
            github_output: std::fs::read_to_string(self.path().join("github_output")).unwrap(),
        }
    }
}

#[derive(Debug)]
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    github_path: String,
    github_output: String,
}

impl Outcome {
    fn output(&self, name: &str) -> Option<&str> {
        self.github_output
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('='))
    }
}

/// install.sh's environment for downloads from `server` under `kind`, trusting its CA.
fn https(server: &Server, kind: &str) -> [(&'static str, String); 2] {
    [
        ("SLIPWAY_INSTALL_BASE_URL", server.url(kind)),
        ("CURL_CA_BUNDLE", server.ca().display().to_string()),
    ]
}

fn env_refs<'a>(pairs: &'a [(&'static str, String)]) -> Vec<(&'a str, &'a str)> {
    pairs.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[test]
fn a_verified_archive_is_installed_over_https_into_the_tool_cache_and_put_on_path_then_reused() {
    let work = tempfile::tempdir().unwrap();
    let archive = real_archive(work.path());
    let sandbox = Sandbox::new(Some(&sha256(&archive)));
    let server = serve(archive);
    let env = https(&server, "good");
    let plan = sandbox.plan(&env_refs(&env));
    assert_eq!(plan.code, Some(0), "{plan:?}");
    assert_eq!(plan.output("build"), Some("false"), "{plan:?}");
    assert_eq!(plan.output("cache"), Some("false"), "{plan:?}");
    let out = sandbox.run(&env_refs(&env));
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
    assert_eq!(server.hits(), 1);

    // Second run: the tool cache answers, nothing is downloaded.
    let again = sandbox.run(&env_refs(&env));
    assert_eq!(again.code, Some(0), "{again:?}");
    assert!(
        again.stdout.contains("found in the tool cache"),
        "{again:?}"
    );
    assert_eq!(server.hits(), 1);
}

#[test]
fn a_server_certificate_outside_the_trusted_cas_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let archive = real_archive(work.path());
    let sandbox = Sandbox::new(Some(&sha256(&archive)));
    let server = serve(archive);
    let url = server.url("good");
    let out = sandbox.run(&[("SLIPWAY_INSTALL_BASE_URL", &url)]);
    assert_nothing_installed(&sandbox, &out);
    assert!(
        out.stderr.contains(&format!(
            "::error::slipway install: downloading `{url}/v{VERSION}/"
        )),
        "{out:?}"
    );
    assert!(out.stderr.contains("certificate"), "{out:?}");
}

fn assert_nothing_installed(sandbox: &Sandbox, out: &Outcome) {
    assert_eq!(out.code, Some(1), "{out:?}");
    assert_eq!(out.github_path, "", "{out:?}");
    assert!(!sandbox.tool_dir().exists(), "{out:?}");
    assert!(!sandbox.tool_dir().join(".complete").exists());
}

#[test]
fn a_corrupted_archive_fails_with_a_checksum_mismatch_and_is_never_extracted() {
    let work = tempfile::tempdir().unwrap();
    let archive = real_archive(work.path());
    let sum = sha256(&archive);
    let sandbox = Sandbox::new(Some(&sum));
    let server = serve(archive);
    let out = sandbox.run(&env_refs(&https(&server, "corrupt")));
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
fn a_wrong_sum_in_the_pin_file_is_a_mismatch_and_never_falls_back_to_a_build() {
    let work = tempfile::tempdir().unwrap();
    let archive = real_archive(work.path());
    let wrong = "0".repeat(64);
    let sandbox = Sandbox::new(Some(&wrong));
    // A cargo that would succeed: a mismatch must not reach it.
    let log = recording_cargo(&sandbox);
    let server = serve(archive);
    let out = sandbox.run(&env_refs(&https(&server, "good")));
    assert_nothing_installed(&sandbox, &out);
    assert!(
        out.stderr.contains(&format!(
            "checksum mismatch for `{}`: expected `{wrong}`",
            archive_name()
        )),
        "{out:?}"
    );
    assert!(!log.exists(), "cargo ran after a checksum mismatch");
    assert!(!sandbox.source_dir().exists());
}

#[test]
fn a_missing_archive_fails_with_the_url_and_the_404() {
    let work = tempfile::tempdir().unwrap();
    let archive = real_archive(work.path());
    let sandbox = Sandbox::new(Some(&sha256(&archive)));
    let server = serve(archive);
    let url = server.url("missing");
    let out = sandbox.run(&env_refs(&https(&server, "missing")));
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
    let out = sandbox.run(&env_refs(&https(&server, "truncated")));
    assert_nothing_installed(&sandbox, &out);
    assert!(out.stderr.contains("::error::slipway install: "), "{out:?}");
}

#[test]
fn plain_http_is_refused() {
    let sandbox = Sandbox::new(Some(&"0".repeat(64)));
    for url in ["http://example.com/dl", "http://127.0.0.1:8080/good"] {
        let out = sandbox.run(&[("SLIPWAY_INSTALL_BASE_URL", url)]);
        assert_nothing_installed(&sandbox, &out);
        assert!(
            out.stderr.contains(
                "::error::slipway install: `SLIPWAY_INSTALL_BASE_URL` must start with `https://`"
            ),
            "{out:?}"
        );
    }
}

#[test]
fn a_slipway_of_the_same_version_on_path_is_used_as_is() {
    let sandbox = Sandbox::new(Some(&"0".repeat(64)));
    sandbox.stub("slipway", &format!("echo 'slipway {VERSION} (abc1234)'"));
    let plan = sandbox.plan(&[]);
    assert_eq!(plan.output("build"), Some("false"), "{plan:?}");
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
    let out = sandbox.run(&env_refs(&https(&server, "missing")));
    assert_nothing_installed(&sandbox, &out);
    assert!(out.stderr.contains("downloading"), "{out:?}");
}

/// A cargo stand-in that logs its arguments and installs a fake slipway of the right version.
fn logging_cargo(sandbox: &Sandbox) -> PathBuf {
    let log = sandbox.path().join("cargo.log");
    sandbox.stub(
        "cargo",
        &format!(
            "echo \"$@\" >> '{}'\nroot=\"\"\nwhile [ $# -gt 0 ]; do [ \"$1\" = --root ] && root=\"$2\"; shift; done\nmkdir -p \"$root/bin\"\necho '#!/bin/sh' > \"$root/bin/slipway\"\necho \"echo 'slipway {VERSION} (built)'\" >> \"$root/bin/slipway\"\nchmod +x \"$root/bin/slipway\"",
            log.display()
        ),
    );
    log
}

#[test]
fn without_a_listed_archive_it_builds_the_checkout_with_the_action_profile() {
    let sandbox = Sandbox::new(None);
    let log = logging_cargo(&sandbox);
    let plan = sandbox.plan(&[("ImageOS", "ubuntu24")]);
    assert_eq!(plan.code, Some(0), "{plan:?}");
    let digest = slipway::release::binary::source_digest(&sandbox.checkout()).unwrap();
    assert_eq!(plan.output("build"), Some("true"), "{plan:?}");
    assert_eq!(plan.output("cache"), Some("true"), "{plan:?}");
    assert_eq!(
        plan.output("cache-key"),
        Some(format!("slipway-bin-{}-ubuntu24-{digest}", target()).as_str())
    );
    assert_eq!(
        plan.output("cache-path"),
        Some(sandbox.source_dir().display().to_string().as_str())
    );
    let out = sandbox.run(&[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    let args = std::fs::read_to_string(&log).unwrap();
    let checkout = sandbox.checkout().canonicalize().unwrap();
    assert_eq!(
        args.trim(),
        format!(
            "install --locked --profile action --path {} --root {} --bin slipway",
            checkout.display(),
            sandbox.source_dir().display()
        )
    );
    assert!(out.stdout.contains("no archive for"), "{out:?}");
    assert!(out.stdout.contains("installed slipway"), "{out:?}");
    assert_eq!(out.output("built"), Some("true"), "{out:?}");
    assert_eq!(
        out.github_path,
        format!("{}\n", sandbox.source_dir().join("bin").display())
    );

    // The build is in the tool cache (as a restored Actions cache puts it): no second build,
    // and nothing to save.
    let again = sandbox.run(&[]);
    assert_eq!(again.code, Some(0), "{again:?}");
    assert!(
        again
            .stdout
            .contains("built from these sources found in the tool cache"),
        "{again:?}"
    );
    assert_eq!(again.output("built"), Some("false"), "{again:?}");
    assert_eq!(std::fs::read_to_string(&log).unwrap().lines().count(), 1);

    // SLIPWAY_BUILD_FROM_SOURCE wins over a listed archive too.
    let listed = Sandbox::new(Some(&"0".repeat(64)));
    let out = listed.run(&[("SLIPWAY_BUILD_FROM_SOURCE", "true")]);
    assert_eq!(out.code, Some(1), "{out:?}");
    assert!(out.stderr.contains("cargo is not on PATH"), "{out:?}");
}

#[test]
fn workflows_that_ship_and_the_input_turn_the_binary_cache_off() {
    let sandbox = Sandbox::new(None);
    for env in [
        [
            ("SLIPWAY_BINARY_CACHE", "false"),
            ("SLIPWAY_CACHE_INPUT", "true"),
        ],
        [
            ("SLIPWAY_BINARY_CACHE", "true"),
            ("SLIPWAY_CACHE_INPUT", "false"),
        ],
    ] {
        let plan = sandbox.plan(&env);
        assert_eq!(plan.code, Some(0), "{plan:?}");
        assert_eq!(plan.output("build"), Some("true"), "{plan:?}");
        assert_eq!(plan.output("cache"), Some("false"), "{env:?} {plan:?}");
    }
    let plan = sandbox.plan(&[("SLIPWAY_BINARY_CACHE", "no")]);
    assert_eq!(plan.code, Some(1), "{plan:?}");
    assert!(
        plan.stderr
            .contains("`SLIPWAY_BINARY_CACHE` is `no`; expected `true` or `false`"),
        "{plan:?}"
    );
}

#[test]
fn a_release_that_lacks_the_runner_s_target_builds_from_source() {
    let other = if target().starts_with("x86_64") {
        "aarch64-apple-darwin"
    } else {
        "x86_64-apple-darwin"
    };
    let sandbox = Sandbox::pinned(Pin {
        version: VERSION,
        same_sources: true,
        lines: vec![("1".repeat(64), format!("slipway-{VERSION}-{other}.tar.gz"))],
    });
    let log = logging_cargo(&sandbox);
    let out = sandbox.run(&[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains(&format!(
            "no archive for `{}` in release-checksums.txt",
            target()
        )),
        "{out:?}"
    );
    assert!(
        std::fs::read_to_string(log)
            .unwrap()
            .contains("--profile action")
    );
}

#[test]
fn a_commit_between_two_releases_builds_its_own_sources() {
    // The pinned release was built from other sources (commits landed since).
    let between = Sandbox::pinned(Pin {
        version: VERSION,
        same_sources: false,
        lines: vec![("1".repeat(64), archive_name())],
    });
    let log = logging_cargo(&between);
    let out = between.run(&[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains(&format!(
            "this checkout's sources differ from the ones release {VERSION} was built from"
        )),
        "{out:?}"
    );
    assert!(log.exists());

    // Cargo.toml moved to the next version before its release.
    let bumped = Sandbox::pinned(Pin {
        version: "0.0.9",
        same_sources: true,
        lines: vec![("1".repeat(64), format!("slipway-0.0.9-{}.tar.gz", target()))],
    });
    logging_cargo(&bumped);
    let out = bumped.run(&[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        out.stdout.contains(&format!(
            "the pinned release is 0.0.9, this checkout is {VERSION}"
        )),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains(&format!("installed slipway {VERSION} (built)"))
    );
}

#[test]
fn the_shell_and_the_binary_compute_the_same_source_digest_of_this_repository() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new("bash")
        .arg(root.join("scripts/install.sh"))
        .arg("--plan")
        .env("SLIPWAY_BUILD_FROM_SOURCE", "true")
        .env_remove("GITHUB_OUTPUT")
        .env("ImageOS", "img")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let digest = slipway::release::binary::source_digest(root).unwrap();
    assert!(
        stdout.contains(&format!(
            "cache-key=slipway-bin-{}-img-{digest}\n",
            target()
        )),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A source tarball (`git archive`, as GitHub serves them) carries the commit it was made from in
/// `COMMIT`, so a binary built from it pins the generated workflows' actions at that commit.
#[test]
fn a_source_archive_of_this_repository_names_its_commit() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .unwrap()
    };
    let head = git(&["rev-parse", "HEAD"]);
    if !head.status.success() {
        eprintln!("note: skipping: not a git checkout");
        return;
    }
    let head = String::from_utf8_lossy(&head.stdout).trim().to_owned();
    // The tarball of HEAD, `COMMIT` alone, read back with tar.
    let work = tempfile::tempdir().unwrap();
    let tar = work.path().join("src.tar");
    let made = git(&[
        "archive",
        "--format=tar",
        "-o",
        tar.to_str().unwrap(),
        "HEAD",
        "COMMIT",
    ]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let out = Command::new("tar")
        .arg("-xOf")
        .arg(&tar)
        .arg("COMMIT")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), head);
}

/// A gh stand-in that logs its arguments and exits with `code`.
fn logging_gh(sandbox: &Sandbox, code: i32) -> PathBuf {
    let log = sandbox.path().join("gh.log");
    sandbox.stub(
        "gh",
        &format!(
            "echo \"$@\" >> '{}'\necho 'no attestation found' >&2\nexit {code}",
            log.display()
        ),
    );
    log
}

#[test]
fn with_gh_and_a_token_the_archive_s_attestation_is_verified_before_it_is_used() {
    let work = tempfile::tempdir().unwrap();
    let archive = real_archive(work.path());
    let sum = sha256(&archive);
    let sandbox = Sandbox::new(Some(&sum));
    let log = logging_gh(&sandbox, 0);
    let server = serve(archive);
    let good = https(&server, "good");
    let mut env = env_refs(&good);
    env.push(("GH_TOKEN", "ghs_test"));
    let out = sandbox.run(&env);
    assert_eq!(out.code, Some(0), "{out:?}");
    let args = std::fs::read_to_string(&log).unwrap();
    let args: Vec<&str> = args.split_whitespace().collect();
    assert_eq!(args[..2], ["attestation", "verify"]);
    assert!(
        args[2].ends_with(&format!("/{}", archive_name())),
        "{args:?}"
    );
    assert_eq!(
        args[3..],
        [
            "--repo",
            "slipway-ci/slipway",
            "--signer-workflow",
            "slipway-ci/slipway/.github/workflows/release.yml"
        ]
    );

    // An attestation that does not verify: nothing is installed.
    let failing = Sandbox::new(Some(&sum));
    logging_gh(&failing, 1);
    let out = failing.run(&env);
    assert_nothing_installed(&failing, &out);
    assert!(
        out.stderr.contains(&format!(
            "the attestation of `{}` does not verify: no attestation found",
            archive_name()
        )),
        "{out:?}"
    );

    // Without a token gh cannot ask the API: skipped unless required.
    let quiet = Sandbox::new(Some(&sum));
    let log = logging_gh(&quiet, 1);
    let out = quiet.run(&env_refs(&good));
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(!log.exists());
    let mut required = env_refs(&good);
    required.push(("SLIPWAY_VERIFY_ATTESTATION", "true"));
    let strict = Sandbox::new(Some(&sum));
    let out = strict.run(&required);
    assert_nothing_installed(&strict, &out);
    assert!(
        out.stderr
            .contains("SLIPWAY_VERIFY_ATTESTATION is true and gh is not on PATH")
    );
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
    let out = sandbox.run_in(
        Some(workspace.path()),
        &[],
        &[("RUSTUP_TOOLCHAIN", "1.70.0")],
    );
    assert_eq!(out.code, Some(0), "{out:?}");
    let checkout = sandbox.checkout().canonicalize().unwrap();
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
        pinned.checkout().join("rust-toolchain.toml"),
        "[toolchain]\nchannel = \"1.91.0\"\ncomponents = [\"clippy\"]\n",
    )
    .unwrap();
    let log = recording_cargo(&pinned);
    let out = pinned.run_in(Some(workspace.path()), &[], &[]);
    assert_eq!(out.code, Some(0), "{out:?}");
    assert!(
        std::fs::read_to_string(&log)
            .unwrap()
            .starts_with("toolchain=1.91.0 cwd="),
        "{out:?}"
    );
    let legacy = Sandbox::new(None);
    std::fs::write(legacy.checkout().join("rust-toolchain"), "1.90.0\n").unwrap();
    let log = recording_cargo(&legacy);
    let out = legacy.run_in(Some(workspace.path()), &[], &[]);
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

/// `slipway release installer`'s script against a release served over HTTPS: the archive that
/// `slipway release archive` made is verified against SHA256SUMS, then its executables (not
/// its docs) are installed; a corrupted archive installs nothing.
#[test]
fn the_release_installer_verifies_and_installs_the_archive_for_this_machine() {
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    let exe = w.join("hello");
    std::fs::write(&exe, "#!/bin/sh\necho hello 1.2.0\n").unwrap();
    std::fs::write(w.join("README.md"), "# hello\n").unwrap();
    let triple = target(); // the musl archive is the installer's first choice on Linux
    let slipway = env!("CARGO_BIN_EXE_slipway");
    let ok = Command::new(slipway)
        .args([
            "release",
            "archive",
            "--name",
            "hello",
            "--version",
            "1.2.0",
            "--target",
            triple,
            "--docs",
        ])
        .arg(w)
        .arg("--out")
        .arg(w.join("dist"))
        .arg("--")
        .arg(&exe)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(said.contains("files: hello, README.md"), "{said}");
    let ok = Command::new(slipway)
        .args([
            "release",
            "installer",
            "--name",
            "hello",
            "--version",
            "1.2.0",
            "--repository",
            "octo/hello",
            "--tag",
            "v1.2.0",
            "--out",
        ])
        .arg(w.join("dist"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(said.contains("install.sh"), "{said}");
    let archive = format!("hello-1.2.0-{triple}.tar.gz");
    let bytes = std::fs::read(w.join("dist").join(&archive)).unwrap();
    let sums = std::fs::read(w.join("dist").join(format!("{archive}.sha256"))).unwrap();
    let wrong = format!("{}  {archive}\n", "0".repeat(64)).into_bytes();
    let server = serve_files(&[
        (&format!("v1.2.0/{archive}"), bytes.clone()),
        ("v1.2.0/SHA256SUMS", sums),
        (&format!("wrong/v1.2.0/{archive}"), bytes),
        ("wrong/v1.2.0/SHA256SUMS", wrong),
    ]);
    let run = |kind: &str, dest: &Path| {
        Command::new("sh")
            .arg(w.join("dist/install.sh"))
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", w)
            .env("INSTALL_DIR", dest)
            .env("INSTALL_BASE_URL", format!("{}/v1.2.0", server.url(kind)))
            .env("CURL_CA_BUNDLE", server.ca())
            .output()
            .unwrap()
    };
    let dest = w.join("bin");
    let out = run("good", &dest);
    assert!(out.status.success(), "{out:?}");
    let installed: Vec<String> = std::fs::read_dir(&dest)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(installed, ["hello"]);
    let said = Command::new(dest.join("hello")).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&said.stdout), "hello 1.2.0\n");

    // A sum that does not match: nothing is extracted nor installed.
    let bad = w.join("bad");
    let out = run("good/wrong", &bad);
    assert!(!out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "install hello: checksum mismatch for {archive}: expected {}",
            "0".repeat(64)
        )),
        "{err}"
    );
    assert!(!bad.join("hello").exists());
}
