//! The command line: clap types, one `<Name>Args` per subcommand, and the dispatch.
//!
//! Clap types stop here: each command turns its args into the capability's `Settings` and calls
//! its `run`. Data goes to stdout, logs and warnings to stderr. Exit codes: 0 done, 1 the check
//! ran and failed, 2 the command could not run.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::error::{EXIT_ERROR, EXIT_OK, Failure};
use crate::{config, detect, github, init};

/// The version line: the crate version and the commit the binary was built from.
const VERSION_LINE: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("SLIPWAY_COMMIT"), ")");

/// slipway gives a repository a complete, secure GitHub Actions pipeline in one command.
#[derive(Debug, Parser)]
#[command(
    name = "slipway",
    version = VERSION_LINE,
    propagate_version = true,
    after_help = "Examples:\n  slipway detect              what is this repository made of?\n  slipway init                write a commented slipway.yml from detection\n  slipway config validate     check slipway.yml\n\nDocumentation: https://github.com/slipway-ci/slipway#readme"
)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Every subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Detect the languages, package managers, toolchains and test commands of a repository.
    #[command(
        after_help = "Examples:\n  slipway detect\n  slipway detect --json path/to/repo | jq .test_commands"
    )]
    Detect(DetectArgs),
    /// Write a commented slipway.yml from what detection finds.
    #[command(after_help = "Examples:\n  slipway init\n  slipway init --force path/to/repo")]
    Init(InitArgs),
    /// Inspect and check slipway.yml.
    #[command(subcommand)]
    Config(ConfigCommand),
}

/// Arguments of `slipway detect`.
#[derive(Debug, Args)]
pub struct DetectArgs {
    /// The repository root to look at, e.g. `.` or `../shop`.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// Print the result as JSON on stdout, e.g. `slipway detect --json | jq .languages`.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `slipway init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// The repository root to write slipway.yml into, e.g. `.` or `../shop`.
    #[arg(default_value = ".", value_name = "DIR")]
    pub dir: PathBuf,
    /// Replace an existing slipway.yml, e.g. `slipway init --force`.
    #[arg(long)]
    pub force: bool,
    /// Print the file on stdout instead of writing it, e.g. `slipway init --stdout | less`.
    #[arg(long)]
    pub stdout: bool,
}

/// `slipway config` subcommands.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the JSON Schema of slipway.yml, for editor completion and validation.
    #[command(
        after_help = "Examples:\n  slipway config schema > slipway.schema.json\n\nIn VS Code (YAML extension), add to slipway.yml:\n  # yaml-language-server: $schema=./slipway.schema.json"
    )]
    Schema,
    /// Check a slipway.yml: syntax, unknown keys, value ranges, references between sections.
    #[command(
        after_help = "Examples:\n  slipway config validate\n  slipway config validate deploy/slipway.yml"
    )]
    Validate(ValidateArgs),
}

/// Arguments of `slipway config validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The file to check, e.g. `slipway.yml` or `deploy/slipway.yml`.
    #[arg(default_value = config::FILE_NAME, value_name = "FILE")]
    pub file: PathBuf,
}

impl Command {
    /// The subcommand's name, for annotations (`slipway detect`).
    fn name(&self) -> &'static str {
        match self {
            Self::Detect(_) => "detect",
            Self::Init(_) => "init",
            Self::Config(ConfigCommand::Schema) => "config schema",
            Self::Config(ConfigCommand::Validate(_)) => "config validate",
        }
    }
}

/// Parses the process arguments, runs the command and renders any failure.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let name = cli.command.name();
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => {
            report(name, &failure);
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Renders a failure on stderr, and as an annotation when running in Actions.
fn report(command: &str, failure: &Failure) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(failure.render().as_bytes());
    let _ = stderr.flush();
    let runtime = github::runtime();
    if runtime.in_actions() {
        // NOTE: stderr already has the full rendering; the annotation puts the message on the
        // run's page (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#setting-an-error-message).
        let annotation = match failure.location() {
            Some(at) => {
                let message = match failure.hint() {
                    Some(hint) => format!("{}\n\nhint: {hint}", at.summary),
                    None => at.summary.clone(),
                };
                github::Annotation::error(message)
                    .at(&at.file, u32::try_from(at.line).unwrap_or(u32::MAX))
                    .col(u32::try_from(at.column).unwrap_or(u32::MAX))
            }
            None => github::Annotation::error(failure.message()),
        };
        runtime.annotate(annotation.title(format!("slipway {command}")));
    }
}

/// Runs one parsed command; returns the exit code on completion.
pub fn run(cli: Cli) -> Result<u8, Failure> {
    match cli.command {
        Command::Detect(args) => run_detect(args),
        Command::Init(args) => run_init(args),
        Command::Config(ConfigCommand::Schema) => {
            let schema = serde_json::to_string_pretty(&config::schema())
                .map_err(|e| Failure::new(e, None))?;
            print_stdout(&format!("{schema}\n"))
        }
        Command::Config(ConfigCommand::Validate(args)) => run_validate(args),
    }
}

fn run_detect(args: DetectArgs) -> Result<u8, Failure> {
    let DetectArgs { dir, json } = args;
    let detection = detect::detect(&dir)?;
    for warning in &detection.warnings {
        eprintln!("warning: {warning}");
    }
    let text = if json {
        let mut s =
            serde_json::to_string_pretty(&detection.stacks).map_err(|e| Failure::new(e, None))?;
        s.push('\n');
        s
    } else {
        render_stacks(&detection.stacks)
    };
    print_stdout(&text)
}

fn run_init(args: InitArgs) -> Result<u8, Failure> {
    let InitArgs { dir, force, stdout } = args;
    let settings = init::Settings {
        output: dir.join(config::FILE_NAME),
        root: dir,
        force,
        stdout,
    };
    let outcome = init::run(&settings)?;
    if stdout {
        return print_stdout(&outcome.text);
    }
    let verb = if outcome.replaced {
        "replaced"
    } else {
        "wrote"
    };
    eprint!("{}", outcome.text);
    eprintln!("\n{verb} {}", outcome.path.display());
    Ok(EXIT_OK)
}

fn run_validate(args: ValidateArgs) -> Result<u8, Failure> {
    let ValidateArgs { file } = args;
    // `slipway.yml` has the parent ``; the project root is then the current directory.
    let root = match file.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    config::load(&root, Some(&file))?;
    eprintln!("{}: ok", file.display());
    Ok(EXIT_OK)
}

/// Writes data to stdout; a closed pipe (`| head`) is not an error.
fn print_stdout(text: &str) -> Result<u8, Failure> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(EXIT_OK),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(EXIT_OK),
        Err(e) => Err(Failure::new(e, None)),
    }
}

/// The human form of detection: one aligned block.
fn render_stacks(stacks: &detect::Stacks) -> String {
    use std::fmt::Write as _;
    let none = || "none".to_owned();
    let join = |items: Vec<&str>| {
        if items.is_empty() {
            none()
        } else {
            items.join(", ")
        }
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "languages:        {}",
        join(stacks.languages.iter().map(|l| l.as_str()).collect())
    );
    let _ = writeln!(
        out,
        "package managers: {}",
        join(stacks.package_managers.iter().map(|p| p.as_str()).collect())
    );
    let toolchains: Vec<String> = stacks
        .toolchains
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let _ = writeln!(
        out,
        "toolchains:       {}",
        join(toolchains.iter().map(String::as_str).collect())
    );
    let _ = writeln!(
        out,
        "docker files:     {}",
        join(stacks.docker_files.iter().map(String::as_str).collect())
    );
    if stacks.subprojects.is_empty() {
        let _ = writeln!(out, "subprojects:      none");
    } else {
        let _ = writeln!(out, "subprojects:");
        let width = stacks
            .subprojects
            .iter()
            .map(|s| s.path.len())
            .max()
            .unwrap_or(1);
        for s in &stacks.subprojects {
            let _ = writeln!(
                out,
                "  {:<width$}  {:<10}  {}",
                s.path,
                s.stack.as_str(),
                s.package_manager.as_str()
            );
        }
    }
    if stacks.test_commands.is_empty() {
        let _ = writeln!(out, "test commands:    none");
    } else {
        let _ = writeln!(out, "test commands:");
        for c in &stacks.test_commands {
            let _ = writeln!(out, "  {c}");
        }
    }
    out
}
