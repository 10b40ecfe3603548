//! `slipway gen-workflows`: renders the six workflows (ci, cd, security, quality, release,
//! rollback) from the embedded minijinja templates, for the detected stacks and `slipway.yml`.
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
                "slipway writes ci, cd, security, quality, release and rollback.yml: rename your own workflows of those names, or replace them with ours (`--replace NAME`, `--force` for all), or write elsewhere with `--output DIR` to compare first".into(),
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
    let existing = read_existing(&settings.output)?;
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
        applied = files::apply(&settings.output, &changes, settings.force).map_err(|source| {
            Error::Io {
                dir: settings.output.clone(),
                source,
            }
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
fn read_existing(dir: &Path) -> Result<Vec<(String, String)>, Error> {
    let io = |source| Error::Io {
        dir: dir.to_path_buf(),
        source,
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(e)),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.map_err(io)?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        if !(name.ends_with(".yml") || name.ends_with(".yaml")) {
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        // A symlink is never followed: it is someone else's file of that name (empty text),
        // replaced by a file of ours only with `--force`, its target never touched.
        if meta.file_type().is_symlink() {
            out.push((name.to_owned(), String::new()));
            continue;
        }
        if !meta.is_file() {
            continue;
        }
        // A file we cannot read as text is not ours; it is never touched.
        if let Ok(text) = std::fs::read_to_string(&path) {
            out.push((name.to_owned(), text));
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
