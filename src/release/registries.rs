//! `slipway release publish-registries`: each released unit published to the registries
//! `release.publish` names, after the GitHub release has its assets.
//!
//! A unit is a directory of the repository (the root or a detected subproject) with the
//! registry's manifest: `Cargo.toml` with a `[package]` for crates.io, `package.json` for npm,
//! `pyproject.toml` with a `[project]` (or `[tool.poetry]`) for PyPI. Every manifest is read
//! and checked before anything is uploaded: a name or version that cannot be found or parsed,
//! or a version that is not the one released, stops the run with the file and what to do, and
//! nothing is pushed. A unit that declares itself unpublishable (`"private": true`,
//! `publish = false`) is skipped with a note; a registry with no publishable unit at all is
//! refused, naming `release.publish`.
//!
//! For each unit the registry is asked first whether the version is there (crates.io's sparse
//! index, <https://doc.rust-lang.org/cargo/reference/registry-index.html#sparse-protocol>; the
//! npm packument, <https://github.com/npm/registry/blob/main/docs/REGISTRY-API.md#getpackage>;
//! PyPI's simple index, <https://peps.python.org/pep-0503/>): a version already published is skipped
//! with a note, so a re-run after a failure finishes the job. The upload uses the ecosystem's
//! own tool (`cargo publish`, `npm publish`, `python -m build` then `twine upload`) with the
//! credential in its environment, never on its command line: a token minted by trusted
//! publishing ([`super::trusted`]), or, only when the workflow passes one, a long-lived token
//! from `CARGO_REGISTRY_TOKEN`, `NODE_AUTH_TOKEN` or `PYPI_API_TOKEN`. Everything the tools
//! print goes through the redactor.

use std::path::{Path, PathBuf};
use std::process::Command;

use http::Method;

use super::trusted::{self, Http, HttpError};
use crate::config::Registry;
use crate::error::Hint;
use crate::github::Secret;

mod manifests;

pub use manifests::pep440;
use manifests::{Read, order_crates, read_cargo, read_package_json, read_pyproject, same_version};

/// Where crates.io's sparse index is (`SLIPWAY_CRATES_INDEX_URL` overrides it; any other
/// index is passed to `cargo publish --index`).
pub const CRATES_INDEX: &str = "https://index.crates.io";
/// crates.io's API, for the trusted-publishing exchange (`SLIPWAY_CRATES_API_URL`).
pub const CRATES_API: &str = "https://crates.io";
/// The npm registry (`SLIPWAY_NPM_REGISTRY_URL`).
pub const NPM_REGISTRY: &str = "https://registry.npmjs.org";
/// PyPI's simple index (`/simple/`) and trusted-publishing endpoints (`SLIPWAY_PYPI_URL`).
pub const PYPI: &str = "https://pypi.org";
/// PyPI's upload endpoint (`SLIPWAY_PYPI_UPLOAD_URL`).
pub const PYPI_UPLOAD: &str = "https://upload.pypi.org/legacy/";
/// The lowest npm that exchanges the OIDC token itself.
pub const NPM_OIDC_MIN: (u64, u64, u64) = (11, 5, 1);

/// What `slipway release publish-registries` is asked to do.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The repository root (the checkout of the released commit).
    pub root: PathBuf,
    /// The registries, in the order `release.publish` lists them.
    pub registries: Vec<Registry>,
    /// The released version: each manifest must say it. `None` publishes what they say.
    pub version: Option<String>,
    /// Check and print, upload nothing, mint nothing.
    pub dry_run: bool,
}

/// One thing to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    /// The registry.
    pub registry: Registry,
    /// The directory, relative to the root (`.` for the root).
    pub dir: String,
    /// The manifest, relative to the root.
    pub manifest: String,
    /// The package name.
    pub name: String,
    /// The version to publish.
    pub version: String,
    /// npm: pass `--access public` (a package that sets `publishConfig.access` decides alone).
    pub public_access: bool,
}

/// The units of a repository and the manifests left out, with why.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Discovery {
    /// The units to publish, by registry then directory.
    pub units: Vec<Unit>,
    /// Notes on manifests skipped (`private`, `publish = false`).
    pub notes: Vec<String>,
}

/// What happened to one unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// Uploaded by this run.
    Published,
    /// The registry had the version already.
    Skipped,
    /// A dry run: would be uploaded with this command.
    Planned(Vec<String>),
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Each unit and what happened to it.
    pub units: Vec<(Unit, Done)>,
    /// Notes: manifests skipped, versions already there, tokens not revoked.
    pub notes: Vec<String>,
}

/// Why publishing could not be done.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `release.publish` is empty.
    #[error("`release.publish` names no registry")]
    Nothing,
    /// A registry with no unit to publish.
    #[error("`release.publish` has `{registry}`, but {why}")]
    NoUnit {
        /// `crates`, `npm` or `pypi`.
        registry: &'static str,
        /// Why: no manifest, or every one is private.
        why: String,
        /// The manifest it needs.
        manifest: &'static str,
    },
    /// A manifest that cannot be read or lacks what publishing needs.
    #[error("`{path}`{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Manifest {
        /// The file, relative to the root.
        path: String,
        /// The 1-based line, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
        /// What to do.
        hint: String,
    },
    /// Detection of the repository's units failed.
    #[error(transparent)]
    Detect(#[from] crate::detect::Error),
    /// No credential for a registry.
    #[error("no credential to publish to {registry}: {why}")]
    NoCredential {
        /// The registry's name.
        registry: &'static str,
        /// What is missing.
        why: String,
        /// The long-lived token variable that would do.
        var: &'static str,
    },
    /// A registry could not be asked, or refused.
    #[error("{registry}: {source}")]
    Http {
        /// The registry's name.
        registry: &'static str,
        /// What failed.
        #[source]
        source: HttpError,
    },
    /// A publishing tool could not be started.
    #[error("could not run `{program}`")]
    Spawn {
        /// The program.
        program: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// npm is too old to exchange the OIDC token itself.
    #[error("npm {found} cannot publish with trusted publishing (it needs npm 11.5.1 or later)")]
    OldNpm {
        /// The version found.
        found: String,
    },
    /// An upload failed; the tool's last lines, redacted.
    #[error("publishing `{unit}` to {registry} failed ({status}):\n{output}")]
    Upload {
        /// The registry's name.
        registry: &'static str,
        /// The package and version, `name@1.2.3`.
        unit: String,
        /// The exit status.
        status: String,
        /// What the tool said (redacted, the last lines).
        output: String,
        /// Units published before this one.
        done: Vec<String>,
    },
    /// A temporary directory could not be made.
    #[error("could not make a temporary directory")]
    Temp(#[source] std::io::Error),
    /// No async runtime could be started for the registry requests.
    #[error("could not start the async runtime")]
    Runtime(#[source] std::io::Error),
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        Some(match self {
            Self::Nothing => "add `publish: [crates, npm, pypi]` (the ones you use) to the `release` section of slipway.yml".into(),
            Self::NoUnit { registry, manifest, .. } => format!(
                "remove `{registry}` from `release.publish`, or add a publishable `{manifest}`"
            ),
            Self::Manifest { hint, .. } => hint.clone(),
            Self::NoCredential { var, .. } => format!(
                "give the job `permissions: id-token: write` and register this workflow as a trusted publisher on the registry, or pass a token in `{var}` (a secret, through `env:`)"
            ),
            Self::Http { source, .. } if source.status == Some(401) || source.status == Some(403) => {
                "check that this repository and workflow (`release.yml`) are registered as a trusted publisher of the package on the registry".into()
            }
            Self::Http { .. } => "run the job again: versions already published are skipped".into(),
            Self::OldNpm { .. } => "use Node.js 24 (npm 11), or run `npm install -g npm@11` before publishing".into(),
            Self::Upload { done, .. } => {
                let done = if done.is_empty() {
                    String::new()
                } else {
                    format!(" ({} published already)", done.join(", "))
                };
                format!("fix what the registry said, then run the job again: versions already published are skipped{done}")
            }
            Self::Spawn { program, .. } => format!("install `{program}` in the job before publishing"),
            Self::Detect(e) => return e.hint(),
            Self::Temp(_) | Self::Runtime(_) => return None,
        })
    }
}

/// The environment variable of a long-lived token for `registry`.
pub fn token_var(registry: Registry) -> &'static str {
    match registry {
        Registry::Crates => "CARGO_REGISTRY_TOKEN",
        Registry::Npm => "NODE_AUTH_TOKEN",
        Registry::Pypi => "PYPI_API_TOKEN",
    }
}

/// The registry's name for people.
pub fn label(registry: Registry) -> &'static str {
    match registry {
        Registry::Crates => "crates.io",
        Registry::Npm => "npm",
        Registry::Pypi => "PyPI",
    }
}

/// Finds the units of `root` for `registries`: the root and every detected subproject with
/// the registry's manifest. Reads every manifest; writes nothing.
pub fn discover(
    root: &Path,
    registries: &[Registry],
    version: Option<&str>,
) -> Result<Discovery, Error> {
    let detection = crate::detect::detect(root)?;
    discover_in(
        root,
        &detection.stacks,
        registries,
        Released::Version(version),
    )
}

/// What the manifests are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Released<'a> {
    /// At release time: the released version, when known.
    Version(Option<&'a str>),
    /// When the workflow is generated: no version yet; a `dynamic` one is fine.
    Unknown,
}

/// [`discover`] over a detection already made (the generator's).
pub fn discover_in(
    root: &Path,
    stacks: &crate::detect::Stacks,
    registries: &[Registry],
    released: Released<'_>,
) -> Result<Discovery, Error> {
    let mut dirs: Vec<String> = vec![".".to_owned()];
    for s in &stacks.subprojects {
        if !dirs.contains(&s.path) {
            dirs.push(s.path.clone());
        }
    }
    dirs.sort();
    let (version, lenient) = match released {
        Released::Version(v) => (v, false),
        Released::Unknown => (None, true),
    };
    let fs = crate::fsutil::Root::open(root).map_err(|e| Error::Manifest {
        path: ".".into(),
        line: None,
        message: format!("the repository cannot be read ({e})"),
        hint: "run in the checkout of the released commit".into(),
    })?;
    let mut out = Discovery::default();
    for &registry in registries {
        let mut found = 0usize;
        let mut private = 0usize;
        for dir in &dirs {
            let manifest = if dir == "." {
                registry.manifest().to_owned()
            } else {
                format!("{dir}/{}", registry.manifest())
            };
            let text = match fs.read_optional(Path::new(&manifest)) {
                Ok(Some(t)) => t,
                Ok(None) => continue,
                Err(e) => {
                    return Err(Error::Manifest {
                        path: manifest,
                        line: None,
                        message: format!("cannot be read ({e})"),
                        hint: "make it a regular file inside the repository".into(),
                    });
                }
            };
            let read = match registry {
                Registry::Crates => {
                    let workspace = || {
                        fs.read_optional(Path::new("Cargo.toml"))
                            .ok()
                            .flatten()
                            .unwrap_or_default()
                    };
                    read_cargo(&manifest, &text, &workspace)?
                }
                Registry::Npm => read_package_json(&manifest, &text)?,
                Registry::Pypi => read_pyproject(
                    &manifest,
                    &text,
                    if lenient { Some("0.0.0") } else { version },
                )?,
            };
            match read {
                Read::NotAUnit => {}
                Read::Skip(why) => {
                    private += 1;
                    out.notes.push(format!(
                        "`{manifest}` is not published to {}: {why}",
                        label(registry)
                    ));
                }
                Read::Unit {
                    name,
                    version: v,
                    line,
                    public_access,
                } => {
                    if let Some(released) = version
                        && !same_version(registry, &v, released)
                    {
                        return Err(Error::Manifest {
                            path: manifest,
                            line,
                            message: format!(
                                "the version is `{v}`, but the release is `{released}`"
                            ),
                            hint: format!(
                                "set the version to `{released}` in the manifest before releasing (`release.trigger: pr` bumps it in the release pull request)"
                            ),
                        });
                    }
                    found += 1;
                    out.units.push(Unit {
                        registry,
                        dir: dir.clone(),
                        manifest,
                        name,
                        version: v,
                        public_access,
                    });
                }
            }
        }
        if registry == Registry::Crates {
            order_crates(&mut out.units, &fs);
        }
        if found == 0 {
            let manifest = registry.manifest();
            let why = if private > 0 {
                format!("every `{manifest}` of the repository says it is not to be published")
            } else {
                format!("the repository has no `{manifest}` to publish")
            };
            return Err(Error::NoUnit {
                registry: registry.as_str(),
                why,
                manifest,
            });
        }
    }
    Ok(out)
}

/// The path of a crate in a sparse index: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd…`
/// (<https://doc.rust-lang.org/cargo/reference/registry-index.html#index-files>).
///
/// ```
/// use slipway::release::registries::index_path;
/// assert_eq!(index_path("Serde"), "se/rd/serde");
/// assert_eq!(index_path("cc"), "2/cc");
/// assert_eq!(index_path("syn"), "3/s/syn");
/// ```
pub fn index_path(name: &str) -> String {
    let n = name.to_ascii_lowercase();
    match n.len() {
        1 => format!("1/{n}"),
        2 => format!("2/{n}"),
        3 => format!("3/{}/{n}", &n[..1]),
        _ => format!("{}/{}/{n}", &n[..2], &n[2..4]),
    }
}

/// A PyPI project name normalised (PEP 503): lower-case, runs of `-`, `_`, `.` as one `-`.
///
/// ```
/// use slipway::release::registries::pypi_name;
/// assert_eq!(pypi_name("Shop_Core..Lib"), "shop-core-lib");
/// ```
pub fn pypi_name(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

/// Whether a PEP 503 project page lists a file of `name` at `version`: a wheel
/// (`name-version-…whl`) or an sdist (`name-version.tar.gz` or `.zip`), names compared
/// normalised, versions without case.
///
/// ```
/// use slipway::release::registries::simple_has_version;
/// let page = r#"<a href="/packages/shop_core-1.2.0-py3-none-any.whl#sha256=ab">shop_core-1.2.0-py3-none-any.whl</a>"#;
/// assert!(simple_has_version(page, "Shop-Core", "1.2.0"));
/// assert!(!simple_has_version(page, "shop-core", "1.2"));
/// ```
pub fn simple_has_version(page: &str, name: &str, version: &str) -> bool {
    let want = pypi_name(name);
    let version = version.to_ascii_lowercase();
    page.split("href=\"").skip(1).any(|rest| {
        let href = rest.split('"').next().unwrap_or_default();
        let href = href.split('#').next().unwrap_or_default();
        let file = href.rsplit('/').next().unwrap_or_default();
        let (n, v) = if let Some(stem) = file.strip_suffix(".whl") {
            let mut parts = stem.split('-');
            (
                parts.next().unwrap_or_default(),
                parts.next().unwrap_or_default(),
            )
        } else if let Some(stem) = file
            .strip_suffix(".tar.gz")
            .or_else(|| file.strip_suffix(".zip"))
        {
            stem.rsplit_once('-').unwrap_or_default()
        } else {
            return false;
        };
        pypi_name(n) == want && v.to_ascii_lowercase() == version
    })
}

/// The registry endpoints, from the environment or the public defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// crates.io's sparse index, or another one.
    pub crates_index: String,
    /// crates.io's API.
    pub crates_api: String,
    /// The npm registry.
    pub npm: String,
    /// PyPI's simple index and trusted-publishing host.
    pub pypi: String,
    /// PyPI's upload URL.
    pub pypi_upload: String,
}

impl Endpoints {
    /// Reads `SLIPWAY_CRATES_INDEX_URL`, `SLIPWAY_CRATES_API_URL`, `SLIPWAY_NPM_REGISTRY_URL`,
    /// `SLIPWAY_PYPI_URL` and `SLIPWAY_PYPI_UPLOAD_URL`, each defaulting to the public registry.
    pub fn from_env(var: &dyn Fn(&str) -> Option<String>) -> Self {
        let get = |k: &str, d: &str| {
            var(k)
                .filter(|v| !v.trim().is_empty())
                .unwrap_or_else(|| d.to_owned())
                .trim_end_matches('/')
                .to_owned()
        };
        Self {
            crates_index: get("SLIPWAY_CRATES_INDEX_URL", CRATES_INDEX),
            crates_api: get("SLIPWAY_CRATES_API_URL", CRATES_API),
            npm: get("SLIPWAY_NPM_REGISTRY_URL", NPM_REGISTRY),
            pypi: get("SLIPWAY_PYPI_URL", PYPI),
            pypi_upload: format!("{}/", get("SLIPWAY_PYPI_UPLOAD_URL", PYPI_UPLOAD)),
        }
    }
}

/// Whether `unit`'s version is on its registry.
pub fn published(http: &Http, ep: &Endpoints, unit: &Unit) -> Result<bool, Error> {
    let registry = label(unit.registry);
    let wrap = |source| Error::Http { registry, source };
    let unexpected = |url: &str, a: &trusted::Answer| HttpError {
        what: format!("GET {url}"),
        message: format!("answered {}: {}", a.status, trusted::message_of(&a.body)),
        status: Some(a.status),
    };
    match unit.registry {
        Registry::Crates => {
            let url = format!("{}/{}", ep.crates_index, index_path(&unit.name));
            let a = http.send(Method::GET, &url, &[], None).map_err(wrap)?;
            match a.status {
                404 | 410 | 451 => Ok(false),
                200 => Ok(a.body.lines().any(|l| {
                    serde_json::from_str::<serde_json::Value>(l)
                        .ok()
                        .and_then(|v| v.get("vers")?.as_str().map(|s| s == unit.version))
                        .unwrap_or(false)
                })),
                _ => Err(wrap(unexpected(&url, &a))),
            }
        }
        Registry::Npm => {
            // Scoped names keep their `@` and encode the `/`.
            let url = format!("{}/{}", ep.npm, unit.name.replace('/', "%2f"));
            let a = http.send(Method::GET, &url, &[], None).map_err(wrap)?;
            match a.status {
                404 => Ok(false),
                200 => Ok(serde_json::from_str::<serde_json::Value>(&a.body)
                    .ok()
                    .and_then(|v| v.get("versions").cloned())
                    .is_some_and(|v| v.get(&unit.version).is_some())),
                _ => Err(wrap(unexpected(&url, &a))),
            }
        }
        Registry::Pypi => {
            // The simple index (PEP 503) every Python index serves, PyPI and local ones alike.
            let url = format!("{}/simple/{}/", ep.pypi, pypi_name(&unit.name));
            let a = http
                .send(Method::GET, &url, &[("accept", "text/html")], None)
                .map_err(wrap)?;
            match a.status {
                404 => Ok(false),
                200 => Ok(simple_has_version(&a.body, &unit.name, &unit.version)),
                _ => Err(wrap(unexpected(&url, &a))),
            }
        }
    }
}

/// How a unit authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Auth {
    /// Trusted publishing: the OIDC token exchanged (npm exchanges it itself).
    Oidc,
    /// A long-lived token the workflow passed in the registry's variable.
    Token,
}

/// Trusted publishing when a long-lived token is not given and the job may request an OIDC
/// token; the token when one is given.
pub fn auth(registry: Registry, var: &dyn Fn(&str) -> Option<String>) -> Result<Auth, Error> {
    if var(token_var(registry)).is_some_and(|t| !t.trim().is_empty()) {
        return Ok(Auth::Token);
    }
    let oidc = var(trusted::OIDC_URL_VAR).is_some_and(|v| !v.is_empty())
        && var(trusted::OIDC_TOKEN_VAR).is_some_and(|v| !v.is_empty());
    if oidc {
        Ok(Auth::Oidc)
    } else {
        Err(Error::NoCredential {
            registry: label(registry),
            why: format!(
                "the job cannot request an OIDC token (`{}` is not set) and `{}` is empty",
                trusted::OIDC_URL_VAR,
                token_var(registry)
            ),
            var: token_var(registry),
        })
    }
}

/// The command that uploads `unit` (for PyPI, the upload of the files `python -m build`
/// wrote to `dist`): program, arguments, working directory. No credential is ever in it.
pub fn upload_command(
    unit: &Unit,
    ep: &Endpoints,
    auth: &Auth,
    python: &str,
    dist: &Path,
) -> (String, Vec<String>, String) {
    match unit.registry {
        Registry::Crates => {
            let mut args = vec![
                "publish".to_owned(),
                "--manifest-path".to_owned(),
                unit.manifest.clone(),
            ];
            if ep.crates_index != CRATES_INDEX {
                args.push("--index".to_owned());
                args.push(format!("sparse+{}/", ep.crates_index));
            }
            ("cargo".to_owned(), args, ".".to_owned())
        }
        Registry::Npm => {
            let mut args = vec![
                "publish".to_owned(),
                "--registry".to_owned(),
                format!("{}/", ep.npm),
            ];
            if unit.public_access {
                args.push("--access".to_owned());
                args.push("public".to_owned());
            }
            if *auth == Auth::Oidc {
                // NOTE: provenance needs the OIDC token too; npm signs it with Sigstore
                // (https://docs.npmjs.com/generating-provenance-statements).
                args.push("--provenance".to_owned());
            }
            ("npm".to_owned(), args, unit.dir.clone())
        }
        Registry::Pypi => {
            let mut files: Vec<String> = std::fs::read_dir(dist)
                .map(|d| {
                    d.filter_map(Result::ok)
                        .map(|e| e.path().display().to_string())
                        .collect()
                })
                .unwrap_or_default();
            files.sort();
            let mut args = vec![
                "-m".to_owned(),
                "twine".to_owned(),
                "upload".to_owned(),
                "--non-interactive".to_owned(),
                "--disable-progress-bar".to_owned(),
                "--repository-url".to_owned(),
                ep.pypi_upload.clone(),
            ];
            args.extend(files);
            (python.to_owned(), args, ".".to_owned())
        }
    }
}

/// Runs a publishing tool in `dir` with `env` (credentials), its output redacted and logged;
/// on failure, the exit status and the last lines it printed.
fn run_tool(
    program: &str,
    args: &[String],
    dir: &Path,
    env: &[(&str, String)],
    remove: &[&str],
) -> Result<(), (String, String)> {
    let runtime = crate::github::runtime();
    runtime.log_plain(&format!("$ {program} {}", args.join(" ")));
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::null());
    for k in remove {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().map_err(|e| {
        (
            "not started".to_owned(),
            format!("could not run `{program}`: {e}"),
        )
    })?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    let text = crate::github::redact(&text).into_owned();
    runtime.log_plain(text.trim_end());
    if out.status.success() {
        return Ok(());
    }
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(15)..].join("\n");
    Err((out.status.to_string(), tail))
}

/// `npm --version` as three numbers.
fn npm_version() -> Result<(String, (u64, u64, u64)), Error> {
    let out = Command::new("npm")
        .arg("--version")
        .output()
        .map_err(|source| Error::Spawn {
            program: "npm".into(),
            source,
        })?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let mut n = text
        .split(['.', '-'])
        .map(|p| p.parse::<u64>().unwrap_or(0));
    let v = (
        n.next().unwrap_or(0),
        n.next().unwrap_or(0),
        n.next().unwrap_or(0),
    );
    Ok((text, v))
}

/// Publishes every unit; see the module docs. `var` reads the environment.
pub fn run(settings: &Settings, var: &dyn Fn(&str) -> Option<String>) -> Result<Outcome, Error> {
    if settings.registries.is_empty() {
        return Err(Error::Nothing);
    }
    let discovery = discover(
        &settings.root,
        &settings.registries,
        settings.version.as_deref(),
    )?;
    let mut outcome = Outcome {
        notes: discovery.notes,
        ..Outcome::default()
    };
    let ep = Endpoints::from_env(var);
    let http = Http::new().map_err(Error::Runtime)?;
    let python = var("SLIPWAY_PYTHON")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "python3".to_owned());
    // Long-lived tokens are secrets from the moment they are read.
    for r in &settings.registries {
        if let Some(t) = var(token_var(*r)) {
            crate::github::runtime().mask_str(&t);
        }
    }
    // Check every credential before the first upload: nothing is pushed when one is missing.
    let mut auths = Vec::new();
    if !settings.dry_run {
        for r in &settings.registries {
            let a = auth(*r, var)?;
            if *r == Registry::Npm && a == Auth::Oidc {
                let (found, v) = npm_version()?;
                if v < NPM_OIDC_MIN {
                    return Err(Error::OldNpm { found });
                }
            }
            auths.push((*r, a));
        }
    }
    let mut done: Vec<String> = Vec::new();
    let mut crates_token: Option<Secret> = None;
    for unit in discovery.units {
        let id = format!("{}@{}", unit.name, unit.version);
        if published(&http, &ep, &unit)? {
            outcome.notes.push(format!(
                "{} has `{id}` already: skipped",
                label(unit.registry)
            ));
            outcome.units.push((unit, Done::Skipped));
            continue;
        }
        let auth = auths
            .iter()
            .find(|(r, _)| *r == unit.registry)
            .map_or(Auth::Oidc, |(_, a)| a.clone());
        if settings.dry_run {
            let dist = Path::new("<dist>");
            let (program, args, dir) = upload_command(&unit, &ep, &auth, &python, dist);
            let mut planned = vec![format!("(in {dir}) {program}")];
            planned.extend(args);
            outcome.units.push((unit, Done::Planned(planned)));
            continue;
        }
        let fail =
            |(status, output): (String, String), unit: &Unit, done: &[String]| Error::Upload {
                registry: label(unit.registry),
                unit: format!("{}@{}", unit.name, unit.version),
                status,
                output,
                done: done.to_vec(),
            };
        let root = &settings.root;
        match unit.registry {
            Registry::Crates => {
                let token = match (&auth, &crates_token) {
                    (Auth::Token, _) => {
                        Secret::new(var(token_var(Registry::Crates)).unwrap_or_default())
                    }
                    (Auth::Oidc, Some(t)) => t.clone(),
                    (Auth::Oidc, None) => {
                        let t =
                            trusted::crates_mint(&http, &ep.crates_api, var).map_err(|source| {
                                Error::Http {
                                    registry: "crates.io",
                                    source,
                                }
                            })?;
                        crates_token = Some(t.clone());
                        t
                    }
                };
                let (program, args, _) = upload_command(&unit, &ep, &auth, &python, root);
                let env = [("CARGO_REGISTRY_TOKEN", token.expose().to_owned())];
                let result = run_tool(&program, &args, root, &env, &[]);
                if let Err(e) = result {
                    revoke(&http, &ep, &mut crates_token, &mut outcome.notes);
                    return Err(fail(e, &unit, &done));
                }
            }
            Registry::Npm => {
                let (program, args, dir) = upload_command(&unit, &ep, &auth, &python, root);
                let tmp = tempfile::tempdir().map_err(Error::Temp)?;
                let mut env: Vec<(&str, String)> = Vec::new();
                let mut remove: Vec<&str> = Vec::new();
                if auth == Auth::Token {
                    // The user config names the variable, not the token: npm reads
                    // `${NODE_AUTH_TOKEN}` from its environment
                    // (https://docs.npmjs.com/cli/v11/configuring-npm/npmrc#auth-related-configuration).
                    let host = ep.npm.split_once("://").map_or(ep.npm.as_str(), |(_, h)| h);
                    let rc = tmp.path().join("npmrc");
                    let text = format!("//{host}/:_authToken=${{NODE_AUTH_TOKEN}}\n");
                    crate::fsutil::write_atomic(&rc, text.as_bytes()).map_err(Error::Temp)?;
                    env.push(("npm_config_userconfig", rc.display().to_string()));
                } else {
                    // An empty NODE_AUTH_TOKEN (setup-node writes one) stops npm's own exchange.
                    remove.push("NODE_AUTH_TOKEN");
                }
                run_tool(&program, &args, &root.join(&dir), &env, &remove)
                    .map_err(|e| fail(e, &unit, &done))?;
            }
            Registry::Pypi => {
                let tmp = tempfile::tempdir().map_err(Error::Temp)?;
                let dist = tmp.path().join("dist");
                let build = [
                    "-m".to_owned(),
                    "build".to_owned(),
                    "--outdir".to_owned(),
                    dist.display().to_string(),
                    ".".to_owned(),
                ];
                run_tool(&python, &build, &root.join(&unit.dir), &[], &[])
                    .map_err(|e| fail(e, &unit, &done))?;
                let token = match auth {
                    Auth::Token => Secret::new(var(token_var(Registry::Pypi)).unwrap_or_default()),
                    Auth::Oidc => {
                        trusted::pypi_mint(&http, &ep.pypi, var).map_err(|source| Error::Http {
                            registry: "PyPI",
                            source,
                        })?
                    }
                };
                let (program, args, _) = upload_command(&unit, &ep, &auth, &python, &dist);
                let env = [
                    ("TWINE_USERNAME", "__token__".to_owned()),
                    ("TWINE_PASSWORD", token.expose().to_owned()),
                ];
                run_tool(
                    &program,
                    &args,
                    root,
                    &env,
                    &["TWINE_REPOSITORY", "TWINE_REPOSITORY_URL"],
                )
                .map_err(|e| fail(e, &unit, &done))?;
            }
        }
        done.push(format!("{} to {}", id, label(unit.registry)));
        outcome.units.push((unit, Done::Published));
    }
    revoke(&http, &ep, &mut crates_token, &mut outcome.notes);
    Ok(outcome)
}

/// Revokes the crates.io token minted by this run, if any; a failure is a note (it expires).
fn revoke(http: &Http, ep: &Endpoints, token: &mut Option<Secret>, notes: &mut Vec<String>) {
    if let Some(t) = token.take()
        && let Err(e) = trusted::crates_revoke(http, &ep.crates_api, &t)
    {
        notes.push(format!(
            "the crates.io token of this run was not revoked ({e}); it expires in 30 minutes"
        ));
    }
}

/// The report: one line per unit.
pub fn render(outcome: &Outcome) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for (unit, done) in &outcome.units {
        let what = match done {
            Done::Published => "published".to_owned(),
            Done::Skipped => "there already".to_owned(),
            Done::Planned(cmd) => format!("would run: {}", cmd.join(" ")),
        };
        let _ = writeln!(
            out,
            "{:<9} {}@{} ({}): {what}",
            unit.registry.as_str(),
            unit.name,
            unit.version,
            unit.manifest
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_prefer_a_given_token_and_otherwise_need_oidc() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let oidc = env(&[
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                "http://x/token?api-version=2.0",
            ),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "req"),
        ]);
        assert_eq!(auth(Registry::Pypi, &oidc).unwrap(), Auth::Oidc);
        let token = env(&[("CARGO_REGISTRY_TOKEN", "cio-secret")]);
        assert_eq!(auth(Registry::Crates, &token).unwrap(), Auth::Token);
        let err = auth(Registry::Npm, &env(&[])).unwrap_err();
        assert!(err.hint().unwrap().contains("id-token: write"));
    }

    #[test]
    fn upload_commands_carry_no_credential() {
        let ep = Endpoints::from_env(&|_| None);
        let u = Unit {
            registry: Registry::Crates,
            dir: "core".into(),
            manifest: "core/Cargo.toml".into(),
            name: "shop-core".into(),
            version: "1.0.0".into(),
            public_access: false,
        };
        let (p, args, _) = upload_command(&u, &ep, &Auth::Oidc, "python3", Path::new("d"));
        assert_eq!(p, "cargo");
        assert_eq!(args, ["publish", "--manifest-path", "core/Cargo.toml"]);
        let npm = Unit {
            registry: Registry::Npm,
            public_access: true,
            ..u.clone()
        };
        let (p, args, dir) = upload_command(&npm, &ep, &Auth::Oidc, "python3", Path::new("d"));
        assert_eq!((p.as_str(), dir.as_str()), ("npm", "core"));
        assert_eq!(
            args,
            [
                "publish",
                "--registry",
                "https://registry.npmjs.org/",
                "--access",
                "public",
                "--provenance"
            ]
        );
        let (_, args, _) = upload_command(&npm, &ep, &Auth::Token, "python3", Path::new("d"));
        assert!(!args.contains(&"--provenance".to_owned()));
    }
}
