//! `slipway init`: writes a commented `slipway.yml` from detection.
//!
//! The file explains every section and its defaults, with commented-out examples of the optional
//! parts, so a team can read it top to bottom. It never replaces an existing file without
//! `--force`, and it is written atomically.

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::config::{self, Config};
use crate::detect::{self, Stacks};
use crate::error::Hint;
use crate::generate::{self, existing};

/// What `init` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The repository root.
    pub root: PathBuf,
    /// Where to write (default `<root>/slipway.yml`).
    pub output: PathBuf,
    /// Overwrite an existing file.
    pub force: bool,
    /// Print the file on stdout instead of writing it.
    pub stdout: bool,
}

/// What `init` did.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The file written, or that would have been written with `stdout`.
    pub path: PathBuf,
    /// The text of the file.
    pub text: String,
    /// The configuration the text holds (with `project.name` filled in).
    pub config: Config,
    /// Whether an existing file was replaced.
    pub replaced: bool,
}

/// Why `init` could not write the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Detection could not start.
    #[error(transparent)]
    Detect(#[from] detect::Error),
    /// The file exists and `--force` was not given.
    #[error("`{}` already exists", .0.display())]
    Exists(PathBuf),
    /// The file could not be written.
    #[error("writing `{}`", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::Detect(e) => e.hint(),
            Self::Exists(_) => Some(
                "pass --force to replace it, or --stdout to print a fresh one instead".to_owned(),
            ),
            Self::Write { .. } => {
                Some("check that the directory exists and is writable".to_owned())
            }
        }
    }
}

/// Detects the repository and writes (or, with `stdout`, only renders) the file.
pub fn run(settings: &Settings) -> Result<Outcome, Error> {
    let Settings {
        root,
        output,
        force,
        stdout,
    } = settings;
    let exists = output.exists();
    if exists && !force && !stdout {
        return Err(Error::Exists(output.clone()));
    }
    let detection = detect::detect(root)?;
    let name = config::default_project_name(root);
    let facts = Facts::read(root);
    let (text, config) = render(&name, &detection.stacks, &facts);
    if !stdout {
        crate::fsutil::write_atomic(output, text.as_bytes()).map_err(|source| Error::Write {
            path: output.clone(),
            source,
        })?;
    }
    Ok(Outcome {
        path: output.clone(),
        text,
        config,
        replaced: exists && !stdout,
    })
}

/// What `init` reads from the repository's git metadata ([`config::git`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    /// The default branch (`origin/HEAD`, else the checked-out branch, else `main`).
    pub default_branch: String,
    /// Where the branch came from, for the comment.
    pub branch_source: &'static str,
    /// The prefix of the existing version tags, else `v`.
    pub tag_prefix: String,
    /// Where the prefix came from, for the comment.
    pub prefix_source: &'static str,
    /// Workflows the repository already has (in `.github/workflows`) that do the job of one
    /// of ours; recorded as the choice to keep them (`workflows.skip`).
    pub overlaps: Vec<existing::Overlap>,
}

impl Default for Facts {
    fn default() -> Self {
        Self {
            default_branch: config::FALLBACK_BRANCH.to_owned(),
            branch_source: "no branch found in git",
            tag_prefix: config::FALLBACK_TAG_PREFIX.to_owned(),
            prefix_source: "no version tags found",
            overlaps: Vec::new(),
        }
    }
}

impl Facts {
    /// Reads the default branch and the tag prefix of the repository at `root`.
    pub fn read(root: &std::path::Path) -> Self {
        let mut facts = Self::default();
        match config::git::default_branch(root) {
            Some((b, config::git::BranchSource::OriginHead)) => {
                facts.default_branch = b;
                facts.branch_source = "read from refs/remotes/origin/HEAD";
            }
            Some((b, config::git::BranchSource::Head)) => {
                facts.default_branch = b;
                facts.branch_source = "the branch checked out when `slipway init` ran";
            }
            None => {}
        }
        if let Some(p) = config::git::tag_prefix(&config::git::tags(root)) {
            facts.tag_prefix = p;
            facts.prefix_source = "read from the existing version tags";
        }
        // An unreadable directory is no overlap: gen-workflows reports it when it runs.
        if let Ok(scan) = existing::scan(&root.join(".github").join("workflows")) {
            facts.overlaps = scan.overlaps(&generate::WORKFLOWS);
        }
        facts
    }
}

/// Shards for a detected repository: one per test command, at most 4.
fn shards_for(stacks: &Stacks) -> u32 {
    u32::try_from(stacks.test_commands.len().clamp(1, 4)).unwrap_or(1)
}

/// A YAML double-quoted string.
/// Text for a YAML comment: control characters (a newline in a directory name) are shown
/// escaped, so detected values can never end the comment and add keys.
fn comment_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

fn quote(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// `workflows`: the workflows the repository already has that do the job of ours, and the
/// choice to keep them; a commented example when there are none.
fn workflows_section(w: &mut String, overlaps: &[existing::Overlap], config: &mut Config) {
    let _ = writeln!(w);
    if overlaps.is_empty() {
        let _ = writeln!(
            w,
            "# Workflows of your own that do the job of one of ours (none found): `skip` ours, or"
        );
        let _ = writeln!(
            w,
            "# `replace` yours (removed by the next `slipway gen-workflows`)."
        );
        let _ = writeln!(
            w,
            "# workflows: {{ skip: [security], replace: [tests.yml] }}"
        );
        return;
    }
    let _ = writeln!(
        w,
        "# Workflows of your own that do the job of some of ours, found by `slipway init`:"
    );
    let width = overlaps.iter().map(|o| o.ours.len()).max().unwrap_or(0) + 4;
    for o in overlaps {
        let _ = writeln!(
            w,
            "#   {:<width$}  your {} {} ({})",
            format!("{}.yml", o.ours),
            comment_text(&o.theirs),
            o.finding.kind.describe(),
            comment_text(&o.finding.evidence)
        );
    }
    let mut skip: Vec<config::WorkflowName> = Vec::new();
    for o in overlaps {
        if let Ok(name) = serde_json::from_value::<config::WorkflowName>(o.ours.into())
            && !skip.contains(&name)
        {
            skip.push(name);
        }
    }
    let mut theirs: Vec<&str> = overlaps.iter().map(|o| o.theirs.as_str()).collect();
    theirs.sort_unstable();
    theirs.dedup();
    let _ = writeln!(
        w,
        "# Yours are kept and ours of the same job are not generated. To use ours instead, put"
    );
    let _ = writeln!(
        w,
        "# `replace` in place of `skip` (yours are removed by the next `slipway gen-workflows`):"
    );
    let _ = writeln!(
        w,
        "#   replace: [{}]",
        theirs
            .iter()
            .map(|t| comment_text(&quote(t)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(w, "workflows:");
    let _ = writeln!(
        w,
        "  skip: [{}]",
        skip.iter()
            .map(|n| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    config.workflows.skip = skip;
}

/// `ci.services`: the detected ones, or a commented example; a note when the tests use
/// Testcontainers.
fn services_section(w: &mut String, stacks: &Stacks, config: &mut Config) {
    if !stacks.testcontainers.is_empty() {
        let files: Vec<String> = stacks
            .testcontainers
            .iter()
            .map(|f| comment_text(f))
            .collect();
        let _ = writeln!(
            w,
            "  # The tests use Testcontainers ({}), which starts its own containers: no services.",
            files.join(", ")
        );
    }
    if stacks.services.is_empty() {
        let _ = writeln!(
            w,
            "  # Service containers for the tests (postgres, mysql, mariadb, redis, mongodb, rabbitmq):"
        );
        let _ = writeln!(w, "  # services: [postgres, redis]");
        return;
    }
    let _ = writeln!(
        w,
        "  # Service containers for the tests, on localhost with a health check; the variables that"
    );
    let _ = writeln!(
        w,
        "  # point at them (DATABASE_URL, PGHOST, REDIS_URL ...) are set on the test steps. Detected in:"
    );
    for s in &stacks.services {
        let _ = writeln!(w, "  #   {}: {}", s.kind, comment_text(&s.from));
    }
    let _ = writeln!(w, "  services:");
    let mut list = Vec::new();
    for s in &stacks.services {
        let mut parts = Vec::new();
        let st = &s.settings;
        if let Some(v) = &st.version {
            parts.push(format!("version: {}", quote(v.as_str())));
        }
        if let Some(i) = &st.image {
            parts.push(format!("image: {}", quote(i.as_str())));
        }
        for (key, value) in [
            ("database", &st.database),
            ("user", &st.user),
            ("password", &st.password),
        ] {
            if let Some(v) = value {
                parts.push(format!("{key}: {}", quote(v.as_str())));
            }
        }
        let _ = writeln!(w, "    {}: {{ {} }}", s.kind, parts.join(", "));
        list.push(config::Service {
            kind: config::Located::new(s.kind),
            settings: s.settings.clone(),
        });
    }
    config.ci.services = Some(config::Services(list));
}

/// The commented file for project `name` and what detection found, and the config it holds.
pub fn render(name: &str, stacks: &Stacks, facts: &Facts) -> (String, Config) {
    let mut config = Config::default();
    config.project.name = name.to_owned();
    config.project.default_branch = Some(facts.default_branch.clone());
    config.release.tag_prefix = Some(facts.tag_prefix.clone());
    let shards = shards_for(stacks);
    config.ci.shards = config::Shards::try_from(u64::from(shards)).unwrap_or(config.ci.shards);

    // Names inside comments: a newline in a directory name must not end the comment.
    let slug: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let mut out = String::new();
    let w = &mut out;
    let _ = writeln!(
        w,
        "# slipway.yml: how slipway builds, tests, scans and deploys this repository."
    );
    let _ = writeln!(
        w,
        "# Every key is optional; a removed key takes its default. Check the file with"
    );
    let _ = writeln!(
        w,
        "# `slipway config validate`; `slipway config schema` prints a JSON Schema for editors."
    );
    let _ = writeln!(w, "#");
    let _ = writeln!(w, "# Detected by `slipway init`:");
    let list = |items: Vec<&str>| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(", ")
        }
    };
    let _ = writeln!(
        w,
        "#   languages:        {}",
        list(stacks.languages.iter().map(|l| l.as_str()).collect())
    );
    let _ = writeln!(
        w,
        "#   package managers: {}",
        list(stacks.package_managers.iter().map(|p| p.as_str()).collect())
    );
    if stacks.test_commands.is_empty() {
        let _ = writeln!(w, "#   test commands:    none");
    } else {
        let _ = writeln!(w, "#   test commands:");
        for c in &stacks.test_commands {
            let _ = writeln!(w, "#     {}", comment_text(c));
        }
    }
    let _ = writeln!(w, "#");
    let _ = writeln!(
        w,
        "# Next: check the default branch, the release trigger and the services below, then run"
    );
    let _ = writeln!(
        w,
        "#   slipway gen-workflows     writes .github/workflows: ci, cd, security, quality, release,"
    );
    let _ = writeln!(
        w,
        "#                             rollback (less those `workflows.skip` leaves out)"
    );
    let _ = writeln!(
        w,
        "#   slipway config validate   checks this file after an edit"
    );
    let _ = writeln!(
        w,
        "# Nothing deploys until `environments` and `deploy` say where (see below)."
    );
    let _ = writeln!(w, "\nversion: 1\n");

    let _ = writeln!(
        w,
        "# The project's name, used in job names, images and release titles."
    );
    let _ = writeln!(w, "# Default: the name of the repository's directory.");
    let _ = writeln!(w, "project:\n  name: {}", quote(name));
    let _ = writeln!(
        w,
        "  # The branch pull requests merge into ({}).",
        facts.branch_source
    );
    let _ = writeln!(w, "  default-branch: {}\n", quote(&facts.default_branch));

    let _ = writeln!(
        w,
        "# Where slipway's composite actions come from (`owner/name`)."
    );
    let _ = writeln!(w, "actions:\n  repo: {}\n", config.actions.repo.as_str());

    let _ = writeln!(w, "# Tests on every push and pull request.");
    let _ = writeln!(w, "ci:");
    let _ = writeln!(w, "  # Parallel test jobs (1 to 256). Default: 1.");
    let _ = writeln!(w, "  shards: {shards}");
    let _ = writeln!(
        w,
        "  # The share of tests that must pass, 0 to 100. Default: 95."
    );
    let _ = writeln!(w, "  pass-rate: 95");
    let _ = writeln!(
        w,
        "  # Lowest line coverage (0: no floor; raise it once you know where you stand), and the"
    );
    let _ = writeln!(w, "  # largest drop in points against the base branch.");
    let _ = writeln!(w, "  coverage: {{ min: 0, max-drop: 2 }}");
    let _ = writeln!(w, "  # Commands that replace the detected test commands:");
    let _ = writeln!(w, "  # test-commands: [\"cargo test --locked\"]");
    services_section(w, stacks, &mut config);
    let _ = writeln!(
        w,
        "  # Variables and secret names for the steps that build and test:"
    );
    let _ = writeln!(
        w,
        "  # env: {{ DJANGO_SETTINGS_MODULE: app.settings.test }}"
    );
    let _ = writeln!(w, "  # secrets: [STRIPE_KEY]");
    let _ = writeln!(
        w,
        "  # Per unit (`app` when there is one): commands (or `none`), extra steps, a toolchain"
    );
    let _ = writeln!(
        w,
        "  # version and a test matrix (`auto`: the versions the manifest declares):"
    );
    let _ = writeln!(
        w,
        "  # units: {{ app: {{ before-test: [\"npx playwright install --with-deps\"], matrix: auto }} }}"
    );
    let _ = writeln!(w, "  # SonarQube / SonarCloud analysis, off unless set:");
    let _ = writeln!(
        w,
        "  # sonar: {{ project-key: my-org_{slug}, organization: my-org, token-secret: SONAR_TOKEN }}\n"
    );

    let _ = writeln!(
        w,
        "# Scans for leaked secrets, vulnerable dependencies and unsafe workflows."
    );
    let _ = writeln!(w, "security:");
    let _ = writeln!(w, "  secrets: true");
    let _ = writeln!(w, "  dependencies: true");
    let _ = writeln!(w, "  workflows: true");
    let _ = writeln!(
        w,
        "  # The lowest severity that fails: none | low | medium | high | critical."
    );
    let _ = writeln!(w, "  fail-on: high");
    let _ = writeln!(
        w,
        "  # Findings to ignore, by path glob, rule id or regex, with a reason:"
    );
    let _ = writeln!(w, "  # allow:");
    let _ = writeln!(
        w,
        "  #   - {{ path: \"tests/fixtures/**\", reason: fake keys for tests }}"
    );
    let _ = writeln!(w, "  # baseline: .slipway/baseline.json\n");

    let branch = quote(&facts.default_branch);
    let _ = writeln!(
        w,
        "# Deployment environments, in promotion order. None yet: nothing deploys (cd and rollback"
    );
    let _ = writeln!(
        w,
        "# say so) until you list environments here AND give `deploy` a target that can run the"
    );
    let _ = writeln!(
        w,
        "# app (for `hosts`, a `start` command). Each environment deploys on pushes to a `branch`,"
    );
    let _ = writeln!(
        w,
        "# or `on: release` / `on: manual`. strategy: rolling | blue-green | canary. `after` names"
    );
    let _ = writeln!(
        w,
        "# the environment a version must reach first. Uncomment and adapt:"
    );
    let _ = writeln!(w, "environments: {{}}");
    let _ = writeln!(w, "#   staging:");
    let _ = writeln!(w, "#     branch: {branch}");
    let _ = writeln!(w, "#     strategy: rolling");
    let _ = writeln!(w, "#     # url: https://staging.example.com");
    let _ = writeln!(
        w,
        "#     # secrets: [DATABASE_URL]       # names of GitHub secrets the deploy needs"
    );
    let _ = writeln!(
        w,
        "#     # env: {{ LOG_LEVEL: debug }}     # plain variables for the app"
    );
    let _ = writeln!(w, "#   production:");
    let _ = writeln!(w, "#     on: release");
    let _ = writeln!(w, "#     strategy: blue-green");
    let _ = writeln!(w, "#     approval: true");
    let _ = writeln!(w, "#     after: staging");
    let _ = writeln!(
        w,
        "#     # When deploys may start: days, 24-hour times, UTC or an offset like +02:00."
    );
    let _ = writeln!(w, "#     # window: \"Mon-Thu 09:00-16:00 UTC\"\n");

    let _ = writeln!(w, "# How environments are deployed to.");
    let _ = writeln!(w, "deploy:");
    let _ = writeln!(
        w,
        "  # hosts (processes or podman containers behind nginx) | kubernetes | command"
    );
    let _ = writeln!(w, "  target: hosts");
    let _ = writeln!(w, "  hosts:");
    let _ = writeln!(w, "    instances: 2");
    let _ = writeln!(w, "    base-port: 8000");
    let _ = writeln!(
        w,
        "    # How one instance starts (required by `hosts`); {{port}} is replaced by its port:"
    );
    let _ = writeln!(w, "    # start: ./app --port {{port}}");
    let _ = writeln!(
        w,
        "  # kubernetes: {{ namespace: {slug}, deployment: {slug}, service: {slug} }}"
    );
    let _ = writeln!(
        w,
        "  # command: {{ deploy: ./deploy.sh, rollback: ./rollback.sh }}"
    );
    let _ = writeln!(w, "  rolling: {{ max-unavailable: 1, max-surge: 1 }}");
    let _ = writeln!(w, "  canary: {{ steps: [10, 50, 100], pause: 5m }}");
    let _ = writeln!(
        w,
        "  # Durations are a number and a unit: 500ms, 1s, 5m, 1h."
    );
    let _ = writeln!(
        w,
        "  health: {{ path: /up, interval: 1s, timeout: 5s, deadline: 30s, drain: 30s }}"
    );
    let _ = writeln!(w, "  # smoke: {{ paths: [/], command: ./smoke.sh }}\n");

    let _ = writeln!(w, "# Release tags and the changelog.");
    let _ = writeln!(w, "release:");
    let _ = writeln!(
        w,
        "  # What starts the release workflow: manual (run it by hand) | push (every push to"
    );
    let _ = writeln!(
        w,
        "  # {branch} releases when the commits call for a new version) | pr (every push to {branch}"
    );
    let _ = writeln!(
        w,
        "  # opens or updates a release pull request; merging it releases)."
    );
    let _ = writeln!(w, "  trigger: manual");
    let _ = writeln!(
        w,
        "  # Prefix of version tags, e.g. v (v1.2.3) or \"\" (1.2.3); {}.",
        facts.prefix_source
    );
    let _ = writeln!(w, "  tag-prefix: {}", quote(&facts.tag_prefix));
    let _ = writeln!(w, "  changelog: CHANGELOG.md");
    let _ = writeln!(
        w,
        "  floating-major-tag: false   # also move `v1` to each v1.x.y"
    );
    let _ = writeln!(
        w,
        "  pre-1-0: minor               # a breaking change below 1.0 bumps: minor | major"
    );
    let _ = writeln!(w, "  include-other-commits: false\n");

    let _ = writeln!(
        w,
        "# Where to report deployments. Secret NAMES only, never the URL itself."
    );
    let _ = writeln!(w, "# notify:");
    let _ = writeln!(w, "#   slack-webhook-secret: SLACK_WEBHOOK_URL");
    let _ = writeln!(w, "#   email: [ops@example.com]\n");

    let _ = writeln!(
        w,
        "# Targets `slipway metrics` compares the pipeline against."
    );
    let _ = writeln!(
        w,
        "metrics: {{ build-minutes: 5, change-failure-rate: 5, time-to-restore: 15m, coverage: 80 }}\n"
    );

    let _ = writeln!(w, "# Days to keep workflow artifacts (1 to 400).");
    let _ = writeln!(
        w,
        "artifacts: {{ retention-days: 30, release-retention-days: 90 }}"
    );
    workflows_section(w, &facts.overlaps, &mut config);
    (out, config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rendered_file_loads_back_as_what_init_meant() {
        let stacks = Stacks {
            test_commands: vec!["cargo test".into(), "cd web && npm test".into()],
            ..Stacks::default()
        };
        let (text, meant) = render("shop", &stacks, &Facts::default());
        let parsed = config::parse(text.as_bytes(), "slipway.yml").expect("init output parses");
        assert_eq!(parsed, meant);
        assert_eq!(parsed.ci.shards.get(), 2);
    }

    #[test]
    fn overlapping_workflows_are_recorded_as_kept_and_load_back() {
        use crate::generate::existing::{Finding, Kind, Overlap};
        let facts = Facts {
            overlaps: vec![
                Overlap {
                    ours: "ci",
                    theirs: "tests.yml".into(),
                    finding: Finding {
                        kind: Kind::Tests,
                        evidence: "`cargo test`".into(),
                    },
                },
                Overlap {
                    ours: "security",
                    theirs: "odd\nname: x.yml".into(),
                    finding: Finding {
                        kind: Kind::Scanner,
                        evidence: "`trivy fs .`\nworkflows: {}".into(),
                    },
                },
            ],
            ..Facts::default()
        };
        let (text, meant) = render("shop", &Stacks::default(), &facts);
        let parsed = config::parse(text.as_bytes(), "slipway.yml").expect("parses");
        assert_eq!(parsed, meant);
        assert_eq!(
            parsed.workflows.skip,
            vec![config::WorkflowName::Ci, config::WorkflowName::Security]
        );
        assert!(text.contains("#   ci.yml        your tests.yml runs tests (`cargo test`)"));
        assert!(
            text.contains("#   replace: [\"odd\\nname: x.yml\", \"tests.yml\"]"),
            "{text}"
        );
    }

    #[test]
    fn odd_project_names_are_quoted() {
        let (text, meant) = render("a: #b \"c\"", &Stacks::default(), &Facts::default());
        let parsed = config::parse(text.as_bytes(), "slipway.yml").expect("parses");
        assert_eq!(parsed.project.name, "a: #b \"c\"");
        assert_eq!(parsed, meant);
    }
}
