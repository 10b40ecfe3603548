//! `slipway gen-workflows`: renders the seven workflows (ci, cd, security, quality,
//! quality-comment, release, rollback) from the embedded minijinja templates, for the detected
//! stacks and `slipway.yml`.
//!
//! Everything is rendered and checked in memory first; nothing is written unless every
//! selected workflow rendered into valid YAML, so a run never leaves a half-rendered set. Then
//! [`files`] decides per file: create, update, leave, remove a stale one of ours, or refuse to
//! touch one edited by hand (unless `--force`). `--check` writes nothing and reports drift as a
//! unified diff.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::config;
use crate::detect::{self, Warning};
use crate::error::Hint;

pub mod binaries;
pub mod context;
pub mod existing;
pub mod files;
pub mod matrix;
pub mod pins;
pub mod render;
pub mod services;
pub mod stacks;
pub mod summary;

pub use context::WORKFLOWS;
pub use files::Change;

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

/// What the run does with the rendered files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Write the files.
    Write,
    /// Write nothing; report drift (`--check`).
    Check,
    /// Write nothing; show what a write would change (`--dry-run`).
    DryRun,
}

/// What `gen-workflows` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The repository root.
    pub root: PathBuf,
    /// An explicit config file; default `<root>/slipway.yml` when present.
    pub config: Option<PathBuf>,
    /// Where the workflows go; default `<root>/.github/workflows`.
    pub output: PathBuf,
    /// A directory whose files override embedded templates by file name.
    pub templates: Option<PathBuf>,
    /// Render only these workflows (file stems); all when empty (less `workflows.skip`).
    pub only: Vec<String>,
    /// Workflow files of the repository's own that ours replace: removed in the same write
    /// (`--replace`, added to `workflows.replace`).
    pub replace: Vec<String>,
    /// Write, check or dry-run.
    pub mode: Mode,
    /// Replace hand-edited or foreign files.
    pub force: bool,
    /// The commit slipway's own actions are referenced at.
    pub commit: String,
}

/// What a run found and did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The decision per file, sorted by name.
    pub changes: Vec<Change>,
    /// Files written or removed (empty unless [`Mode::Write`]).
    pub applied: Vec<String>,
    /// Problems detection met (files it could not read).
    pub warnings: Vec<Warning>,
    /// Settings slipway.yml leaves out that were read from the repository's git metadata.
    pub derived: Vec<config::Derived>,
    /// The workflows rendered (file stems, in the usual order).
    pub selected: Vec<&'static str>,
    /// Workflows of the repository's own that do the job of one of ours.
    pub overlaps: Vec<existing::Overlap>,
    /// True when no choice was made about the overlaps: theirs were kept, ours of the same
    /// job left out. False: both will run (the overlaps were chosen, or there are none).
    pub kept_theirs: bool,
    /// Files in the workflows directory that were not looked at, and why.
    pub unread: Vec<existing::Skipped>,
    /// What the workflows were rendered from: units, environments, release settings.
    pub context: context::Context,
    /// The config file read, if any.
    pub config_file: Option<PathBuf>,
}

impl Outcome {
    /// True when some file differs from what the generator wants.
    pub fn drifted(&self) -> bool {
        self.changes.iter().any(Change::is_drift)
    }
}

/// Why `gen-workflows` could not run.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// `slipway.yml` could not be loaded.
    #[error(transparent)]
    Config(#[from] config::Error),
    /// The repository could not be walked.
    #[error(transparent)]
    Detect(#[from] detect::Error),
    /// The context could not be built.
    #[error(transparent)]
    Context(#[from] context::Error),
    /// A template failed.
    #[error(transparent)]
    Render(#[from] render::Error),
    /// A template rendered something that is not YAML.
    #[error("`{workflow}.yml` rendered from `{template}` is not valid YAML: {message}")]
    InvalidYaml {
        /// The workflow.
        workflow: String,
        /// The template it came from.
        template: String,
        /// The parser's message.
        message: String,
    },
    /// `--only` named a workflow that does not exist.
    #[error("unknown workflow `{0}`")]
    UnknownWorkflow(String),
    /// `--replace` named a file that is not a workflow of the repository's own.
    #[error("cannot replace `{name}`: {why}")]
    Replace {
        /// The name given.
        name: String,
        /// Why not.
        why: String,
        /// The workflow files that could be replaced.
        candidates: Vec<String>,
    },
    /// Files were edited by hand (or are not ours) and would be replaced.
    #[error("{}", conflicts_message(edited, foreign))]
    Conflicts {
        /// Files we generated that were edited since.
        edited: Vec<String>,
        /// Files of the same name that slipway did not write.
        foreign: Vec<String>,
    },
    /// The output directory could not be read or written.
    #[error("writing workflows to `{}`", dir.display())]
    Io {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Config(e) => e.hint(),
            Self::Detect(e) => e.hint(),
            Self::Context(e) => e.hint(),
            Self::Render(e) => e.hint(),
            Self::InvalidYaml { .. } => Some("fix the template; `--dry-run` shows the rendered output".into()),
            Self::UnknownWorkflow(name) => Some(match config::diagnostic::suggest(name, &WORKFLOWS) {
                Some(near) => format!("did you mean `{near}`? the workflows are: {}", WORKFLOWS.join(", ")),
                None => format!("the workflows are: {}", WORKFLOWS.join(", ")),
            }),
            Self::Replace { name, candidates, .. } => {
                let names: Vec<&str> = candidates.iter().map(String::as_str).collect();
                Some(match (config::diagnostic::suggest(name, &names), names.is_empty()) {
                    (Some(near), _) => format!("did you mean `{near}`? your workflows are: {}", names.join(", ")),
                    (None, true) => "there are no workflows of your own to replace".to_owned(),
                    (None, false) => format!("your workflows are: {}", names.join(", ")),
                })
            }
            Self::Conflicts { edited, .. } if !edited.is_empty() => Some(
                "move your changes into slipway.yml or a template override (`--templates DIR`), or pass --force to replace the files".into(),
            ),
            Self::Conflicts { .. } => Some(
                "slipway writes ci, cd, security, quality, quality-comment, release and rollback.yml: rename your own workflows of those names, or replace them with ours (`--replace NAME`, `--force` for all), or write elsewhere with `--output DIR` to compare first".into(),
            ),
            Self::Io { .. } => Some("check that the directory exists and is writable, or pass `--output DIR`".into()),
        }
    }

    fn location(&self) -> Option<crate::error::Location> {
        match self {
            Self::Config(e) => e.location(),
            _ => None,
        }
    }
}

/// Renders the workflows and writes, checks or previews them.
pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let mut selected = select(&settings.only)?;
    let loaded = config::load(&settings.root, settings.config.as_deref())?;
    // `--only` is explicit; otherwise slipway.yml's `workflows.skip` leaves ours out.
    if settings.only.is_empty() {
        let skip = &loaded.config.workflows.skip;
        selected.retain(|w| !skip.iter().any(|s| s.as_str() == *w));
    }
    let (existing, links) = read_existing(&settings.root, &settings.output)?;
    if let Some(name) = selected
        .iter()
        .map(|n| format!("{n}.yml"))
        .find(|n| links.contains(n))
    {
        return Err(Error::Io {
            dir: settings.output.clone(),
            source: crate::fsutil::Refused::Symlink(settings.output.join(name)).into(),
        });
    }
    let scan = existing::scan(&settings.output).map_err(|source| Error::Io {
        dir: settings.output.clone(),
        source,
    })?;
    let replace = replace_set(
        &settings.replace,
        &loaded.config.workflows.replace,
        &scan,
        &existing,
    )?;
    let overlaps: Vec<existing::Overlap> = scan
        .overlaps(&selected)
        .into_iter()
        .filter(|o| !replace.contains(&o.theirs))
        .collect();
    // No choice made yet (no `--only`, `--replace` or `workflows:` in slipway.yml): theirs
    // are kept and the overlapping ones of ours left out, as `--only` would; the run says so
    // and how to choose otherwise. Nothing of theirs is ever removed unless named.
    let undecided = settings.only.is_empty()
        && settings.replace.is_empty()
        && loaded.config.workflows == config::Workflows::default();
    let kept_theirs = undecided && !overlaps.is_empty();
    if kept_theirs {
        selected = existing::keep_theirs(&selected, &overlaps);
    }
    let detection = detect::detect(&settings.root)?;
    let pins = pins::Pins::embedded();
    let context = context::build(context::Inputs {
        config: &loaded.config,
        stacks: &detection.stacks,
        pins: &pins,
        commit: &settings.commit,
        version: crate::VERSION,
        root: &settings.root,
    })
    .map_err(|e| match e.config_spot() {
        // A key of slipway.yml that only the detected repository shows to be wrong: reported
        // like any config error, at its line.
        Some(spot) => Error::Config(loaded.error_at(spot, e.to_string(), e.hint())),
        None => Error::Context(e),
    })?;
    if selected.contains(&"security") && context.security.is_empty() {
        let spot = &loaded.config.security.code_scanning;
        return Err(Error::Config(loaded.error_at(
            (spot.line, spot.column),
            "`security.code-scanning` is `off`, the scans (`security.secrets`, `security.dependencies`, `security.workflows`) are all false and there is no Dockerfile: the security workflow would have no job".to_owned(),
            Some("turn a scan on, set `security.code-scanning: auto`, or leave the workflow out with `workflows: { skip: [security] }`".to_owned()),
        )));
    }
    let mut templates = render::Templates::new(EMBEDDED.iter().copied());
    if let Some(dir) = &settings.templates {
        templates = templates.with_overrides(dir)?;
    }
    let names: Vec<String> = selected
        .iter()
        .map(|name| format!("workflows/{name}.yml.j2"))
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let bodies = templates.render_all(&refs, &context)?;
    let mut desired = Vec::new();
    for ((name, template), body) in selected.iter().zip(&names).zip(bodies) {
        // The embedded templates are checked by the test suite (snapshots, actionlint, zizmor);
        // a team's override is checked here, before anything is written.
        if settings.templates.is_some() {
            check_yaml(name, template, &body)?;
        }
        let name = format!("{name}.yml");
        // A pin moved to a newer release in a generated file (Dependabot) is kept.
        let body = match existing.iter().find(|(n, _)| *n == name) {
            Some((_, text)) => match files::classify(text) {
                files::Existing::Generated { body: old } => {
                    pins::apply(&body, &pins, &pins::bumped(&old, &pins))
                }
                _ => body,
            },
            None => body,
        };
        desired.push(files::Desired { name, body });
    }
    let managed: Option<BTreeSet<String>> = (!settings.only.is_empty() || kept_theirs)
        .then(|| selected.iter().map(|n| format!("{n}.yml")).collect());
    let changes = files::plan(
        &desired,
        &existing,
        crate::VERSION,
        managed.as_ref(),
        &replace,
    );
    let mut applied = Vec::new();
    if settings.mode == Mode::Write {
        let named = |want: files::ConflictReason| -> Vec<String> {
            changes
                .iter()
                .filter(|c| matches!(c, Change::Conflict { reason, .. } if *reason == want))
                .map(|c| c.name().to_owned())
                .collect()
        };
        let edited = named(files::ConflictReason::Edited);
        let foreign = named(files::ConflictReason::Foreign);
        let any = !edited.is_empty() || !foreign.is_empty();
        if any && !settings.force {
            return Err(Error::Conflicts { edited, foreign });
        }
        applied = files::apply(&settings.root, &settings.output, &changes, settings.force)
            .map_err(|source| Error::Io {
                dir: settings.output.clone(),
                source,
            })?;
    }
    Ok(Outcome {
        changes,
        applied,
        warnings: detection.warnings,
        derived: loaded.derived,
        selected,
        overlaps,
        kept_theirs,
        unread: scan.skipped,
        context,
        config_file: loaded.path,
    })
}

fn conflicts_message(edited: &[String], foreign: &[String]) -> String {
    let list = |names: &[String]| {
        names
            .iter()
            .map(|f| format!("`{f}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut parts = Vec::new();
    if !edited.is_empty() {
        let what = if edited.len() == 1 {
            "a file edited by hand"
        } else {
            "files edited by hand"
        };
        parts.push(format!("{what} would be overwritten: {}", list(edited)));
    }
    if !foreign.is_empty() {
        let what = if foreign.len() == 1 {
            "a workflow slipway did not write"
        } else {
            "workflows slipway did not write"
        };
        parts.push(format!("{what} would be overwritten: {}", list(foreign)));
    }
    parts.join("; ")
}

/// The workflows to render: all, or the `--only` ones in the usual order.
fn select(only: &[String]) -> Result<Vec<&'static str>, Error> {
    for name in only {
        if !WORKFLOWS.contains(&name.as_str()) {
            return Err(Error::UnknownWorkflow(name.clone()));
        }
    }
    Ok(WORKFLOWS
        .iter()
        .copied()
        .filter(|w| only.is_empty() || only.iter().any(|o| o == w))
        .collect())
}

/// The files to replace: every `--replace` name must be a workflow of the repository's own
/// (not ours, not a symlink); a `workflows.replace` name already gone is fine (it was replaced
/// by an earlier run).
fn replace_set(
    flag: &[String],
    config: &[String],
    scan: &existing::Scan,
    existing: &[(String, String)],
) -> Result<BTreeSet<String>, Error> {
    let theirs: Vec<String> = scan.workflows.iter().map(|w| w.name.clone()).collect();
    let mut out = BTreeSet::new();
    for (name, from_flag) in flag
        .iter()
        .map(|n| (n, true))
        .chain(config.iter().map(|n| (n, false)))
    {
        let fail = |why: &str| Error::Replace {
            name: name.clone(),
            why: why.to_owned(),
            candidates: theirs.clone(),
        };
        let plain = !name.is_empty()
            && !name.contains(['/', '\\'])
            && name != ".."
            && (name.ends_with(".yml") || name.ends_with(".yaml"));
        if !plain {
            return Err(fail(
                "name a file of the workflows directory, e.g. `tests.yml`",
            ));
        }
        if theirs.contains(name) {
            out.insert(name.clone());
            continue;
        }
        if scan.skipped.iter().any(|s| s.name == *name) {
            return Err(fail(
                "it was not read (a symlink, unreadable or not YAML); remove it yourself if it should go",
            ));
        }
        match existing.iter().find(|(n, _)| n == name) {
            // A file of ours: a normal run updates or removes it.
            Some((_, text)) if files::classify(text) != files::Existing::Foreign && from_flag => {
                return Err(fail("slipway wrote it; `slipway gen-workflows` updates it"));
            }
            Some((_, text)) if files::classify(text) != files::Existing::Foreign => {}
            Some(_) => {
                out.insert(name.clone());
            }
            None if from_flag => return Err(fail("there is no such workflow")),
            None => {}
        }
    }
    Ok(out)
}

/// Every template output must parse as YAML (a broken override is caught before writing).
fn check_yaml(workflow: &str, template: &str, body: &str) -> Result<(), Error> {
    serde_saphyr::from_str::<serde_json::Value>(body)
        .map(|_| ())
        .map_err(|e| Error::InvalidYaml {
            workflow: workflow.to_owned(),
            template: format!("templates/{template}"),
            message: e.to_string().lines().next().unwrap_or("").to_owned(),
        })
}

/// The `*.yml` / `*.yaml` files now in the output directory (none when it does not exist).
/// The directory is opened from the repository root without following links: a
/// `.github/workflows` that is a link out of the repository is refused, and a workflow file that
/// is a link is neither read nor replaced.
/// Also returns the names of the `*.yml` files that are symbolic links.
#[allow(clippy::type_complexity)]
fn read_existing(root: &Path, dir: &Path) -> Result<(Vec<(String, String)>, Vec<String>), Error> {
    let io = |source| Error::Io {
        dir: dir.to_path_buf(),
        source,
    };
    let (base, rel) = crate::fsutil::Root::anchor(root, dir).map_err(io)?;
    let mut out = Vec::new();
    let mut links = Vec::new();
    for (name, kind) in base.list(&rel).map_err(io)? {
        let Some(name) = name.to_str() else {
            continue;
        };
        if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        // A symlink is never followed, read or replaced: one named like a workflow of ours is
        // refused before anything is written (see `refuse_links`), any other is left alone.
        if kind == crate::fsutil::Kind::Symlink {
            links.push(name.to_owned());
            continue;
        }
        if kind != crate::fsutil::Kind::File {
            continue;
        }
        // A file we cannot read as text is not ours; it is never touched.
        if let Ok(text) = base.read_to_string(&rel.join(name)) {
            out.push((name.to_owned(), text));
        }
    }
    Ok((out, links))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a workflow can grant or run: its top-level keys, `permissions` and `env`, and per
    /// job its keys and permissions. Job ids are left out (they follow unit names).
    struct Shape {
        top: BTreeSet<String>,
        grants: BTreeSet<String>,
        job_keys: BTreeSet<String>,
        jobs: usize,
    }

    fn shape(bodies: &[String]) -> Shape {
        let mut out = Shape {
            top: BTreeSet::new(),
            grants: BTreeSet::new(),
            job_keys: BTreeSet::new(),
            jobs: 0,
        };
        for body in bodies {
            let doc: serde_json::Value = serde_saphyr::from_str(body)
                .unwrap_or_else(|e| panic!("a rendered workflow does not parse: {e}\n{body}"));
            for (k, v) in doc.as_object().expect("a mapping") {
                out.top.insert(k.clone());
                if k == "permissions" || k == "env" {
                    out.grants.insert(format!("{k}: {v}"));
                }
            }
            for (_, job) in doc["jobs"].as_object().into_iter().flatten() {
                out.jobs += 1;
                for (k, v) in job.as_object().expect("a job") {
                    out.job_keys.insert(k.clone());
                    if k == "permissions" {
                        out.grants.insert(format!("{k}: {v}"));
                    }
                }
            }
        }
        out
    }

    /// Renders the six workflows with `value` in field `field` (set directly, past the config
    /// loader's own checks: this tests the templates' barrier alone). `Err` when refused.
    fn render_with(field: usize, value: &str) -> Result<Vec<String>, String> {
        let yaml = "version: 1\nproject: { name: shop }\nenvironments:\n  dev: { branch: develop, strategy: rolling }\n  production: { on: release, approval: true, window: \"Mon-Thu 09:00-16:00 UTC\" }\ndeploy:\n  target: command\n  command: { deploy: ./deploy.sh }\nrelease: { tag-prefix: v, floating-major-tag: true }\n";
        let mut config = crate::config::parse(yaml.as_bytes(), "slipway.yml").expect("config");
        let mut dir = "backend".to_owned();
        let mut command = "uv run pytest".to_owned();
        match field {
            0 => config.project.name = value.to_owned(),
            1 => config.project.default_branch = Some(value.to_owned()),
            2 => {
                let (_, env) = config
                    .environments
                    .0
                    .get_index_mut(0)
                    .expect("an environment");
                env.branch = Some(value.to_owned());
            }
            3 => config.release.tag_prefix = Some(value.to_owned()),
            4 => dir = format!("b{value}"),
            _ => command = format!("pytest {value}"),
        }
        let stacks = crate::detect::Stacks {
            subprojects: vec![
                crate::detect::Subproject {
                    path: dir.clone(),
                    stack: serde_json::from_value(serde_json::json!("python")).expect("stack"),
                    package_manager: serde_json::from_value(serde_json::json!("uv")).expect("pm"),
                },
                crate::detect::Subproject {
                    path: "web".into(),
                    stack: serde_json::from_value(serde_json::json!("typescript")).expect("stack"),
                    package_manager: serde_json::from_value(serde_json::json!("pnpm")).expect("pm"),
                },
            ],
            test_commands: vec![
                format!("cd {dir} && {command}"),
                "cd web && pnpm run test".into(),
            ],
            ..crate::detect::Stacks::default()
        };
        let pins = pins::Pins::embedded();
        let ctx = context::build(context::Inputs {
            config: &config,
            stacks: &stacks,
            pins: &pins,
            commit: "0123456789abcdef0123456789abcdef01234567",
            version: "0.1.0",
            root: Path::new("/nonexistent"),
        })
        .map_err(|e| e.to_string())?;
        let names: Vec<String> = WORKFLOWS
            .iter()
            .map(|w| format!("workflows/{w}.yml.j2"))
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        render::Templates::new(EMBEDDED.iter().copied())
            .render_all(&refs, &ctx)
            .map_err(|e| e.to_string())
    }

    /// Pieces of hostile strings: every line break YAML parsers know, other controls, YAML
    /// syntax, GitHub expressions and keys worth injecting.
    const PIECES: &[&str] = &[
        "\r",
        "\n",
        "\r\n",
        "\u{85}",
        "\u{2028}",
        "\u{2029}",
        "\t",
        "\u{0}",
        "\u{1b}",
        "\u{7f}",
        "\u{feff}",
        "\u{9b}",
        ":",
        ": ",
        " #",
        "'",
        "\"",
        "\\",
        "{",
        "}",
        "[",
        "]",
        ",",
        "- ",
        "&a ",
        "*a",
        "!!str ",
        "|",
        ">",
        "%",
        "@",
        "`",
        "  pwn:",
        "permissions: write-all",
        "jobs:",
        "env: { BASH_ENV: /tmp/x }",
        "${{ github.token }}",
        "x",
        "é",
        "😀",
        " ",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 160, ..Default::default() })]
        #[test]
        fn no_string_in_any_field_adds_jobs_keys_or_permissions(
            field in 0usize..6,
            pieces in proptest::collection::vec(proptest::sample::select(PIECES), 0..8),
        ) {
            let value = format!("a{}", pieces.concat());
            let benign = shape(&render_with(field, "a").expect("benign renders"));
            match render_with(field, &value) {
                Ok(bodies) => {
                    let got = shape(&bodies);
                    proptest::prop_assert!(got.top.is_subset(&benign.top), "{value:?}: {:?}", got.top);
                    proptest::prop_assert!(got.grants.is_subset(&benign.grants), "{value:?}: {:?}", got.grants);
                    proptest::prop_assert!(got.job_keys.is_subset(&benign.job_keys), "{value:?}: {:?}", got.job_keys);
                    proptest::prop_assert!(got.jobs <= benign.jobs, "{value:?}: {} jobs", got.jobs);
                }
                Err(e) => proptest::prop_assert!(
                    e.contains("control character") || e.contains("${{") || e.contains("contains")
                        || e.contains("how the workflow parses"),
                    "{value:?}: an unclear refusal: {e}"
                ),
            }
        }
    }

    #[test]
    fn a_line_break_in_a_subproject_name_is_refused_by_the_templates() {
        for breaker in ["\r", "\u{85}", "\u{2028}", "\u{2029}"] {
            let err = render_with(
                4,
                &format!("{breaker}  pwn:{breaker}    permissions: write-all"),
            )
            .expect_err("refused");
            assert!(err.contains("control character"), "{breaker:?}: {err}");
        }
    }

    #[test]
    fn every_workflow_has_an_embedded_template() {
        for w in WORKFLOWS {
            let name = format!("workflows/{w}.yml.j2");
            assert!(EMBEDDED.iter().any(|(n, _)| *n == name), "missing {name}");
        }
    }

    #[test]
    fn only_accepts_known_workflows() {
        assert_eq!(
            select(&["cd".into(), "ci".into()]).expect("known"),
            vec!["ci", "cd"]
        );
        assert_eq!(
            select(&["deploy".into()]).expect_err("unknown").to_string(),
            "unknown workflow `deploy`"
        );
    }
}
