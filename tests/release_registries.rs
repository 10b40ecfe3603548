//! `slipway release publish-registries` against local registries: pypiserver (PyPI) and
//! verdaccio (npm), installed by `scripts/test.d/registries.sh`, and a scripted stand-in of
//! GitHub's OIDC token endpoint and crates.io's trusted-publishing API.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::github_mock::{MockGitHub, Reply};
use common::slipway;

/// A tool `scripts/test.d/registries.sh` installs: `$var`, else `default`; it must exist.
fn installed(var: &str, default: &str) -> PathBuf {
    let p = std::env::var_os(var).map_or_else(|| PathBuf::from(default), PathBuf::from);
    assert!(
        p.exists(),
        "{} is missing: run `scripts/test` (scripts/test.d/registries.sh installs it)",
        p.display()
    );
    p
}

/// The venv with pypiserver, build and twine (`SLIPWAY_REGISTRY_PYTHON`).
fn python() -> PathBuf {
    installed("SLIPWAY_REGISTRY_PYTHON", "/tmp/validators/bin/python")
}

/// verdaccio's launcher (`SLIPWAY_VERDACCIO`).
fn verdaccio_bin() -> PathBuf {
    installed(
        "SLIPWAY_VERDACCIO",
        "/tmp/validators/verdaccio/node_modules/.bin/verdaccio",
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A server process killed when dropped.
struct Server {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `path` on the server answers 200.
fn wait_ready(url: &str, path: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the registry exited early: {status}");
        }
        if get(url, path).0 == 200 {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("{url} did not start in 60 s");
}

/// A plain HTTP/1.1 request: status and body.
fn request(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let Ok(mut s) = TcpStream::connect(host) else {
        return (0, String::new());
    };
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    req.push_str(body);
    if s.write_all(req.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    (status, body)
}

fn get(url: &str, path: &str) -> (u16, String) {
    request(url, "GET", path, &[], "")
}

/// pypiserver on a free port, uploads open to anyone (`-a . -P .`).
fn pypiserver() -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let mut child = Command::new(python())
        .args([
            "-m",
            "pypiserver",
            "run",
            "-p",
            &port.to_string(),
            "-i",
            "127.0.0.1",
            "-a",
            ".",
            "-P",
            ".",
            "--disable-fallback",
        ])
        .arg(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("pypiserver starts");
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&url, "/simple/", &mut child);
    Server {
        child,
        url,
        _dir: dir,
    }
}

/// verdaccio on a free port, storage in a temp directory, no uplinks, users may register.
fn verdaccio() -> Server {
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "storage: {}/storage\nauth:\n  htpasswd:\n    file: {}/htpasswd\n    max_users: 100\nuplinks: {{}}\npackages:\n  '**':\n    access: $all\n    publish: $authenticated\nlogs: {{ type: stdout, format: pretty, level: error }}\n",
            dir.path().display(),
            dir.path().display()
        ),
    )
    .expect("config");
    let mut child = Command::new(verdaccio_bin())
        .args(["--config"])
        .arg(&config)
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("verdaccio starts");
    let url = format!("http://127.0.0.1:{port}");
    wait_ready(&url, "/-/ping", &mut child);
    Server {
        child,
        url,
        _dir: dir,
    }
}

/// Registers a verdaccio user and returns its token.
fn npm_user(url: &str) -> String {
    let body = r#"{"name": "ci", "password": "ci-password-1"}"#;
    let (status, text) = request(
        url,
        "PUT",
        "/-/user/org.couchdb.user:ci",
        &[("content-type", "application/json")],
        body,
    );
    assert_eq!(status, 201, "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).expect("json");
    v["token"].as_str().expect("a token").to_owned()
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

/// A Python project `shop-core` at `version`, publishable by `python -m build`.
fn python_repo(root: &Path, version: &str) {
    write(
        root,
        "slipway.yml",
        "version: 1\nrelease: { publish: [pypi] }\n",
    );
    write(
        root,
        "pyproject.toml",
        &format!(
            "[build-system]\nrequires = [\"setuptools>=61\"]\nbuild-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"shop-core\"\nversion = \"{version}\"\n"
        ),
    );
    write(root, "shop_core/__init__.py", "VALUE = 1\n");
}

#[test]
fn pypi_publishes_to_a_local_index_then_a_second_run_skips_the_version() {
    let server = pypiserver();
    let repo = tempfile::tempdir().expect("tempdir");
    python_repo(repo.path(), "1.2.0");
    let token = "pypi-AgEIcHlwaS5vcmcCJGZha2UtdG9rZW4tZm9yLXRlc3Rz-secret-7731";
    let run = || {
        slipway()
            .args(["release", "publish-registries", "--version", "1.2.0"])
            .arg_path(repo.path())
            .env("SLIPWAY_PYTHON", python())
            .env("SLIPWAY_PYPI_URL", &server.url)
            .env("SLIPWAY_PYPI_UPLOAD_URL", &server.url)
            .env("PYPI_API_TOKEN", token)
            .run()
    };
    let first = run();
    first.code(0);
    assert!(
        first
            .stdout
            .contains("pypi      shop-core@1.2.0 (pyproject.toml): published"),
        "{first}"
    );
    let (status, page) = get(&server.url, "/simple/shop-core/");
    assert_eq!(status, 200);
    assert!(page.contains("shop_core-1.2.0-py3-none-any.whl"), "{page}");
    assert!(page.contains("shop_core-1.2.0.tar.gz"), "{page}");
    let second = run();
    second.code(0);
    assert!(
        second
            .stdout
            .contains("shop-core@1.2.0 (pyproject.toml): there already"),
        "{second}"
    );
    assert!(
        second
            .stderr
            .contains("note: PyPI has `shop-core@1.2.0` already: skipped"),
        "{second}"
    );
    for t in [&first, &second] {
        assert!(
            !t.stdout.contains(token) && !t.stderr.contains(token),
            "{t}"
        );
    }
}

#[test]
fn npm_publishes_to_verdaccio_and_a_bad_token_fails_with_the_registrys_message() {
    let server = verdaccio();
    let token = npm_user(&server.url);
    let repo = tempfile::tempdir().expect("tempdir");
    write(
        repo.path(),
        "slipway.yml",
        "version: 1\nrelease: { publish: [npm] }\n",
    );
    write(
        repo.path(),
        "package.json",
        r#"{"name": "@shop/web", "version": "2.0.1", "files": ["index.js"]}"#,
    );
    write(repo.path(), "index.js", "module.exports = 1;\n");
    let run = |token: &str| {
        slipway()
            .args(["release", "publish-registries", "--version", "2.0.1"])
            .arg_path(repo.path())
            .env("SLIPWAY_NPM_REGISTRY_URL", &server.url)
            .env("NODE_AUTH_TOKEN", token)
            .env("npm_config_cache", repo.path().join(".npm-cache"))
            .run()
    };
    let bad = "npm_Zb7kQ2xLp9RfT4vW8yN3mC6hJ1sD5gA0eU";
    let refused = run(bad);
    refused.code(2);
    assert!(
        refused
            .stderr
            .contains("error: publishing `@shop/web@2.0.1` to npm failed"),
        "{refused}"
    );
    assert!(
        refused.stderr.contains("E401") || refused.stderr.contains("401"),
        "{refused}"
    );
    assert!(
        !refused.stderr.contains(bad) && !refused.stdout.contains(bad),
        "{refused}"
    );
    assert_eq!(get(&server.url, "/@shop%2fweb").0, 404, "nothing published");

    let published = run(&token);
    published.code(0);
    assert!(
        published
            .stdout
            .contains("npm       @shop/web@2.0.1 (package.json): published"),
        "{published}"
    );
    let (status, packument) = get(&server.url, "/@shop%2fweb");
    assert_eq!(status, 200);
    assert!(packument.contains("\"2.0.1\""), "{packument}");
    let again = run(&token);
    again.code(0);
    assert!(again.stdout.contains("there already"), "{again}");
    assert!(!published.stderr.contains(&token) && !again.stderr.contains(&token));
}

#[test]
fn a_bad_manifest_is_refused_before_anything_is_published() {
    let server = pypiserver();
    let repo = tempfile::tempdir().expect("tempdir");
    python_repo(repo.path(), "1.2.0");
    write(
        repo.path(),
        "slipway.yml",
        "version: 1\nrelease: { publish: [pypi, npm] }\n",
    );
    write(
        repo.path(),
        "web/package.json",
        "{\n  \"name\": \"web\",\n  \"version\": \"two\"\n}\n",
    );
    let t = slipway()
        .args(["release", "publish-registries", "--version", "1.2.0"])
        .arg_path(repo.path())
        .env("SLIPWAY_PYTHON", python())
        .env("SLIPWAY_PYPI_URL", &server.url)
        .env("SLIPWAY_PYPI_UPLOAD_URL", &server.url)
        .env("PYPI_API_TOKEN", "pypi-unused")
        .env("NODE_AUTH_TOKEN", "unused")
        .run();
    t.code(2);
    assert!(
        t.stderr.contains(
            "error: `web/package.json` line 3: the version `two` is not a semantic version"
        ),
        "{t}"
    );
    assert!(t.stderr.contains("hint: write three numbers"), "{t}");
    assert_eq!(
        get(&server.url, "/simple/shop-core/").0,
        404,
        "nothing published: {t}"
    );

    // A manifest that is not the released version is refused the same way.
    write(
        repo.path(),
        "slipway.yml",
        "version: 1\nrelease: { publish: [pypi] }\n",
    );
    let t = slipway()
        .args(["release", "publish-registries", "--version", "1.3.0"])
        .arg_path(repo.path())
        .env("PYPI_API_TOKEN", "pypi-unused")
        .run();
    t.code(2);
    assert!(
        t.stderr.contains(
            "error: `pyproject.toml` line 7: the version is `1.2.0`, but the release is `1.3.0`"
        ),
        "{t}"
    );
}

#[test]
fn a_registry_with_nothing_to_publish_is_refused_naming_the_key() {
    let repo = tempfile::tempdir().expect("tempdir");
    write(
        repo.path(),
        "slipway.yml",
        "version: 1\nrelease: { publish: [npm] }\n",
    );
    write(
        repo.path(),
        "package.json",
        r#"{"name": "root", "private": true}"#,
    );
    let t = slipway()
        .args(["release", "publish-registries"])
        .arg_path(repo.path())
        .args(["--dry-run"])
        .run();
    t.code(2);
    assert!(
        t.stderr.contains("error: `release.publish` has `npm`, but every `package.json` of the repository says it is not to be published"),
        "{t}"
    );
    write(
        repo.path(),
        "slipway.yml",
        "version: 1\nrelease: { publish: [npn] }\n",
    );
    let t = slipway()
        .args(["release", "publish-registries"])
        .arg_path(repo.path())
        .args(["--dry-run"])
        .run();
    t.code(2);
    assert!(t.stderr.contains("did you mean `npm`?"), "{t}");
}

#[test]
fn crates_trusted_publishing_mints_a_token_passes_it_in_the_environment_and_revokes_it() {
    let mock = MockGitHub::start();
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vciJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg";
    let minted = "cio_trustpub_Xq83LmZ0aP2vR9sT4wY7";
    mock.on("GET", "/oidc/token")
        .then(Reply::json(200, format!(r#"{{"value": "{jwt}"}}"#)));
    mock.on("POST", "/api/v1/trusted_publishing/tokens")
        .then(Reply::json(200, format!(r#"{{"token": "{minted}"}}"#)));
    mock.on("DELETE", "/api/v1/trusted_publishing/tokens")
        .then(Reply::status(204));
    let repo = tempfile::tempdir().expect("tempdir");
    write(
        repo.path(),
        "slipway.yml",
        "version: 1\nrelease: { publish: [crates] }\n",
    );
    write(
        repo.path(),
        "Cargo.toml",
        "[package]\nname = \"ledger-core\"\nversion = \"0.4.2\"\nedition = \"2021\"\n",
    );
    write(repo.path(), "src/lib.rs", "");
    // A `cargo` that records its arguments and the token it was given, as cargo would read it.
    let bin = tempfile::tempdir().expect("tempdir");
    let log = bin.path().join("argv");
    let seen = bin.path().join("token");
    write(
        bin.path(),
        "cargo",
        &format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{}'\ntr '\\0' ' ' < /proc/$$/cmdline >> '{}'\nprintf '%s' \"$CARGO_REGISTRY_TOKEN\" > '{}'\necho \"Uploading ledger-core v0.4.2 with $CARGO_REGISTRY_TOKEN\"\n",
            log.display(),
            log.display(),
            seen.display()
        ),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            bin.path().join("cargo"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("chmod");
    }
    let path = format!(
        "{}:{}",
        bin.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let t = slipway()
        .args(["release", "publish-registries", "--version", "0.4.2"])
        .arg_path(repo.path())
        .env("PATH", path)
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            format!("{}/oidc/token?api-version=2.0", mock.url()),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-bearer-5f2e9c")
        .env("SLIPWAY_CRATES_API_URL", mock.url())
        .env("SLIPWAY_CRATES_INDEX_URL", format!("{}/index", mock.url()))
        .run();
    t.code(0);
    assert!(
        t.stdout
            .contains("crates    ledger-core@0.4.2 (Cargo.toml): published"),
        "{t}"
    );
    assert!(
        t.stderr.contains("Uploading ledger-core v0.4.2 with ***"),
        "{t}"
    );
    for secret in [jwt, minted, "request-bearer-5f2e9c"] {
        assert!(
            !t.stdout.contains(secret) && !t.stderr.contains(secret),
            "{secret} leaked: {t}"
        );
    }
    let argv = std::fs::read_to_string(&log).expect("cargo ran");
    assert!(!argv.contains(minted) && !argv.contains(jwt), "{argv}");
    assert!(
        argv.starts_with("publish\n--manifest-path\nCargo.toml\n--index\nsparse+"),
        "{argv}"
    );
    assert_eq!(std::fs::read_to_string(&seen).expect("token"), minted);
    let requests = mock.requests();
    let oidc = requests
        .iter()
        .find(|r| r.path == "/oidc/token")
        .expect("OIDC asked");
    assert_eq!(oidc.query, "api-version=2.0&audience=crates.io");
    assert_eq!(
        oidc.header("authorization"),
        Some("bearer request-bearer-5f2e9c")
    );
    let exchange = requests
        .iter()
        .find(|r| r.method == "POST")
        .expect("exchanged");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&exchange.body).expect("json"),
        serde_json::json!({ "jwt": jwt })
    );
    let revoke = requests
        .iter()
        .find(|r| r.method == "DELETE")
        .expect("revoked");
    assert_eq!(
        revoke.header("authorization"),
        Some(format!("Bearer {minted}").as_str())
    );
    assert!(
        requests
            .iter()
            .any(|r| r.path == "/index/le/dg/ledger-core"),
        "the index was asked first"
    );
}

#[test]
fn pypi_trusted_publishing_mints_a_token_that_never_reaches_a_command_line() {
    let server = pypiserver();
    let mock = MockGitHub::start();
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJweXBpIn0.c2lnbmF0dXJlLXB5cGk";
    let minted = "pypi-AgENdGVzdC5weXBpLm9yZwIkbWludGVkLXRva2Vu";
    mock.on("GET", "/oidc/token")
        .then(Reply::json(200, format!(r#"{{"value": "{jwt}"}}"#)));
    mock.on("GET", "/_/oidc/audience")
        .then(Reply::json(200, r#"{"audience": "pypi"}"#));
    mock.on("POST", "/_/oidc/mint-token").then(Reply::json(
        200,
        format!(r#"{{"success": true, "token": "{minted}"}}"#),
    ));
    // The simple index says the version is new; the upload goes to the real local index.
    let repo = tempfile::tempdir().expect("tempdir");
    python_repo(repo.path(), "0.9.0");
    let bin = tempfile::tempdir().expect("tempdir");
    let log = bin.path().join("argv");
    write(
        bin.path(),
        "python",
        &format!(
            "#!/bin/sh\ntr '\\0' ' ' < /proc/$$/cmdline >> '{log}'\necho >> '{log}'\n[ \"$TWINE_PASSWORD\" = '{minted}' ] && echo token-in-env >> '{log}'\nexec '{py}' \"$@\"\n",
            log = log.display(),
            py = python().display()
        ),
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            bin.path().join("python"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("chmod");
    }
    let t = slipway()
        .args(["release", "publish-registries", "--version", "0.9.0"])
        .arg_path(repo.path())
        .env("SLIPWAY_PYTHON", bin.path().join("python"))
        .env(
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            format!("{}/oidc/token?api-version=2.0", mock.url()),
        )
        .env("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-bearer-91ab")
        .env("SLIPWAY_PYPI_URL", mock.url())
        .env("SLIPWAY_PYPI_UPLOAD_URL", &server.url)
        .run();
    // pypiserver takes any password (`-a . -P .`): the upload itself is real.
    t.code(0);
    for secret in [jwt, minted, "request-bearer-91ab"] {
        assert!(
            !t.stdout.contains(secret) && !t.stderr.contains(secret),
            "{secret} leaked: {t}"
        );
    }
    let argv = std::fs::read_to_string(&log).expect("python ran");
    assert!(argv.contains("-m twine upload"), "{argv}");
    assert!(argv.contains("token-in-env"), "{argv}");
    assert!(!argv.contains(minted) && !argv.contains(jwt), "{argv}");
    let requests = mock.requests();
    let mint = requests
        .iter()
        .find(|r| r.path == "/_/oidc/mint-token")
        .expect("minted");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&mint.body).expect("json"),
        serde_json::json!({ "token": jwt })
    );
    let oidc = requests
        .iter()
        .find(|r| r.path == "/oidc/token")
        .expect("OIDC asked");
    assert_eq!(oidc.query, "api-version=2.0&audience=pypi");
    assert_eq!(get(&server.url, "/simple/shop-core/").0, 200, "uploaded");
}

#[test]
fn gen_workflows_refuses_a_registry_the_repository_has_nothing_for_and_renders_the_job_otherwise() {
    let repo = tempfile::tempdir().expect("tempdir");
    write(
        repo.path(),
        "slipway.yml",
        "version: 1\nrelease: { publish: [pypi, npm] }\n",
    );
    python_repo(repo.path(), "1.0.0");
    write(
        repo.path(),
        "slipway.yml",
        "version: 1\nrelease: { publish: [pypi, npm] }\n",
    );
    let out = tempfile::tempdir().expect("tempdir");
    let t = slipway()
        .args(["gen-workflows", "--only", "release", "--output"])
        .arg_path(out.path())
        .arg_path(repo.path())
        .run();
    t.code(2);
    assert!(
        t.stderr.contains("error: `release.publish` has `npm`, but the repository has no `package.json` to publish"),
        "{t}"
    );
    assert!(
        t.stderr
            .contains("hint: remove `npm` from `release.publish`"),
        "{t}"
    );
    write(
        repo.path(),
        "slipway.yml",
        "version: 1\nrelease: { publish: [pypi] }\n",
    );
    let t = slipway()
        .args(["gen-workflows", "--only", "release", "--output"])
        .arg_path(out.path())
        .arg_path(repo.path())
        .run();
    t.code(0);
    let release = std::fs::read_to_string(out.path().join("release.yml")).expect("rendered");
    let job = release
        .split("\n  publish-registries:\n")
        .nth(1)
        .expect("the publish-registries job");
    assert!(job.contains("    needs: [plan, publish]\n"), "{job}");
    assert!(
        job.contains("    permissions:\n      contents: read # check out the released commit\n      id-token: write #"),
        "{job}"
    );
    assert!(job.contains("stacks: python"), "{job}");
    assert!(
        job.contains("run: slipway release publish-registries --version \"$VERSION\""),
        "{job}"
    );
    assert!(!job.contains("cache: \"true\""), "{job}");
    assert_eq!(release.matches("id-token: write").count(), 1, "{release}");
}
