//! Package scripts: what `npm test`, `pnpm run test`, `yarn test`, `bun run test` or
//! `pnpm -r test` actually run, so the runner behind them gets its reporter.
//!
//! A call is read from the command line ([`parse_call`]), its script from the `package.json`
//! of the directory it runs in ([`Manifest`]), and the script is split into the commands of its
//! `&&` / `;` chain ([`split_chain`]). Each command is a runner slipway knows ([`js_runner`]:
//! vitest, jest, mocha, `node --test`, ava, playwright, node-tap, behind `cross-env`, `VAR=1`,
//! `npx`, `c8` or `nyc`), a call of another script (`npm run unit`, `run-s lint test:*`,
//! `npm-run-all unit e2e`: followed one level), or something else (`tsc`, `eslint .`).
//!
//! How arguments reach a script (checked against npm 10 and pnpm 10): `npm run NAME -- ARGS`
//! (npm eats flags before `--`); pnpm, yarn and bun pass everything after the script name and
//! keep a `--` literally, so they get `pnpm run NAME ARGS`. The arguments are appended to the
//! script's text, so they reach its LAST command only ([`Piece`] rules in `runner.rs`).
//!
//! Workspaces: `npm test --workspaces`, `pnpm -r run test`, `yarn workspaces run test`,
//! `yarn workspaces foreach --all run test` and `bun run --filter '*' test` run the script in
//! every member that has it; the members come from `workspaces` in `package.json` or
//! `pnpm-workspace.yaml` ([`workspace_members`]).

use std::path::Path;

use crate::detect::manifest::Members;

/// A package manager that runs scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pm {
    /// npm.
    Npm,
    /// pnpm.
    Pnpm,
    /// yarn (1 and 2+).
    Yarn,
    /// bun.
    Bun,
}

impl Pm {
    /// The executable.
    pub fn name(self) -> &'static str {
        match self {
            Self::Npm => "npm",
            Self::Pnpm => "pnpm",
            Self::Yarn => "yarn",
            Self::Bun => "bun",
        }
    }

    /// The shell text that runs `script` in the current directory with `args` (already
    /// quoted) appended to it.
    ///
    /// ```
    /// # use slipway::run_tests::scripts::Pm;
    /// assert_eq!(Pm::Npm.run("test", false, "--reporter xunit"), "npm run test -- --reporter xunit");
    /// assert_eq!(Pm::Pnpm.run("test", true, "--tap"), "pnpm run --if-present test --tap");
    /// ```
    pub fn run(self, script: &str, if_present: bool, args: &str) -> String {
        let name = crate::detect::shell_quote(script);
        let present = if if_present { " --if-present" } else { "" };
        let mut out = match self {
            Self::Npm => format!("npm run {name}{present}"),
            Self::Pnpm => format!("pnpm run{present} {name}"),
            Self::Yarn => format!("yarn run {name}"),
            Self::Bun => format!("bun run {name}"),
        };
        if !args.is_empty() {
            out.push_str(if self == Self::Npm { " -- " } else { " " });
            out.push_str(args);
        }
        out
    }
}

/// Where a call runs its script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// In the current directory's package.
    Here,
    /// In every workspace member that has the script (`-r`, `--workspaces`).
    Workspaces,
    /// In the named members (`--workspace apps/web`, `--filter ./apps/web`).
    Only(Vec<String>),
}

/// A package manager running a script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Which one.
    pub pm: Pm,
    /// The script's name.
    pub script: String,
    /// A missing script is fine (`--if-present`).
    pub if_present: bool,
    /// Where.
    pub scope: Scope,
    /// Arguments given to the script on the command line.
    pub args: Vec<String>,
}

/// pnpm and yarn commands that are not scripts (`pnpm install`, `yarn add`).
const BUILTINS: &[&str] = &[
    "add",
    "audit",
    "bin",
    "cache",
    "config",
    "create",
    "dedupe",
    "dlx",
    "exec",
    "fetch",
    "import",
    "info",
    "init",
    "install",
    "i",
    "link",
    "list",
    "ls",
    "outdated",
    "pack",
    "patch",
    "prune",
    "publish",
    "rebuild",
    "remove",
    "rm",
    "root",
    "store",
    "unlink",
    "up",
    "update",
    "upgrade",
    "why",
    "workspace",
    "workspaces",
    "x",
    "set",
    "plugin",
    "node",
    "version",
    "help",
    "licenses",
];

/// Reads a package manager's script call from the words of a command; `None` for anything
/// else (`npm ci`, `pnpm exec vitest`, a flag slipway does not know).
///
/// ```
/// # use slipway::run_tests::scripts::{parse_call, Pm, Scope};
/// let c = parse_call(&["pnpm", "-r", "--if-present", "run", "test"]).unwrap();
/// assert_eq!((c.pm, c.script.as_str(), c.if_present, c.scope), (Pm::Pnpm, "test", true, Scope::Workspaces));
/// let c = parse_call(&["npm", "test", "--", "--grep", "cart"]).unwrap();
/// assert_eq!(c.args, vec!["--grep", "cart"]);
/// assert!(parse_call(&["npm", "ci"]).is_none());
/// ```
pub fn parse_call(words: &[&str]) -> Option<Call> {
    let (&first, rest) = words.split_first()?;
    let pm = match first {
        "npm" => Pm::Npm,
        "pnpm" => Pm::Pnpm,
        "yarn" => Pm::Yarn,
        "bun" => Pm::Bun,
        _ => return None,
    };
    let mut call = Call {
        pm,
        script: String::new(),
        if_present: false,
        scope: Scope::Here,
        args: Vec::new(),
    };
    let mut only = Vec::new();
    let mut i = 0;
    let mut expect_run = false;
    while i < rest.len() {
        let w = rest[i];
        i += 1;
        if !call.script.is_empty() {
            // After the name: npm's flags until `--`, the script's arguments after it; the
            // other managers give the script everything.
            if pm == Pm::Npm {
                match w {
                    "--" => {
                        call.args.extend(rest[i..].iter().map(|s| (*s).to_owned()));
                        break;
                    }
                    "--if-present" => call.if_present = true,
                    "--workspaces" | "-ws" => call.scope = Scope::Workspaces,
                    "--workspace" | "-w" => {
                        only.push(rest.get(i)?.to_string());
                        i += 1;
                    }
                    "--silent" | "-s" | "--no-audit" => {}
                    _ => {
                        if let Some(v) = w.strip_prefix("--workspace=") {
                            only.push(v.to_owned());
                        } else {
                            return None;
                        }
                    }
                }
            } else {
                call.args.push(w.to_owned());
            }
            continue;
        }
        if expect_run && !w.starts_with('-') {
            call.script = w.to_owned();
            continue;
        }
        match (pm, w) {
            (_, "--if-present") => call.if_present = true,
            (_, "--silent" | "-s") => {}
            (Pm::Npm, "--workspaces" | "-ws") => call.scope = Scope::Workspaces,
            (Pm::Npm, "--workspace" | "-w") | (Pm::Pnpm, "--filter" | "-F") => {
                only.push(rest.get(i)?.to_string());
                i += 1;
            }
            (Pm::Pnpm, "-r" | "--recursive") => call.scope = Scope::Workspaces,
            (Pm::Bun, "--filter") => {
                let f = *rest.get(i)?;
                i += 1;
                if f.trim_matches('\'').trim_matches('"') == "*" {
                    call.scope = Scope::Workspaces;
                } else {
                    only.push(f.to_owned());
                }
            }
            (Pm::Yarn, "workspaces") if call.scope == Scope::Here => {
                call.scope = Scope::Workspaces;
                match rest.get(i) {
                    Some(&"run") => {}
                    Some(&"foreach") => {
                        i += 1;
                        // `foreach --all run NAME` (yarn 2+): only whole-workspace runs.
                        let mut all = false;
                        while let Some(&f) = rest.get(i) {
                            match f {
                                "--all" | "-A" => all = true,
                                "-p" | "--parallel" | "-v" | "--verbose" | "-t"
                                | "--topological" | "--topological-dev" => {}
                                _ => break,
                            }
                            i += 1;
                        }
                        if !all {
                            return None;
                        }
                    }
                    _ => return None,
                }
            }
            (Pm::Npm, "test" | "t" | "tst") | (Pm::Pnpm | Pm::Yarn, "test" | "t") => {
                call.script = "test".into();
            }
            (Pm::Bun, "test") => return None,
            (_, "run" | "run-script") if !expect_run => expect_run = true,
            (Pm::Npm, "rum" | "urn") if !expect_run => expect_run = true,
            (_, w) if w.starts_with('-') => {
                if let Some(v) = w
                    .strip_prefix("--workspace=")
                    .or_else(|| w.strip_prefix("--filter="))
                {
                    only.push(v.to_owned());
                } else {
                    return None;
                }
            }
            (Pm::Pnpm | Pm::Yarn, name) if !BUILTINS.contains(&name) => {
                call.script = name.to_owned();
            }
            _ => return None,
        }
    }
    if call.script.is_empty() {
        return None;
    }
    if !only.is_empty() {
        call.scope = Scope::Only(only);
    }
    Some(call)
}

/// The parts of a `package.json` a script call needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifest {
    /// `scripts`, in file order.
    pub scripts: Vec<(String, String)>,
    /// `workspaces` (an array, or `{ "packages": [...] }`).
    pub workspaces: Vec<String>,
}

impl Manifest {
    /// Reads `dir/package.json`; the error says what is wrong, naming the file.
    pub fn read(dir: &Path) -> Result<Self, String> {
        let path = dir.join("package.json");
        let text = std::fs::read_to_string(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                format!("there is no `package.json` in `{}`", dir.display())
            } else {
                format!("cannot read `{}`: {e}", path.display())
            }
        })?;
        Self::parse(&text).map_err(|e| format!("`{}` is not valid JSON: {e}", path.display()))
    }

    /// Parses the text of a `package.json`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let mut m = Self::default();
        if let Some(scripts) = value.get("scripts").and_then(|s| s.as_object()) {
            for (k, v) in scripts {
                if let Some(v) = v.as_str() {
                    m.scripts.push((k.clone(), v.to_owned()));
                }
            }
        }
        let ws = value.get("workspaces");
        let list = ws.and_then(|w| w.as_array()).or_else(|| {
            ws.and_then(|w| w.get("packages"))
                .and_then(|p| p.as_array())
        });
        if let Some(list) = list {
            m.workspaces = list
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
        }
        Ok(m)
    }

    /// The text of script `name`.
    pub fn script(&self, name: &str) -> Option<&str> {
        self.scripts
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The member directories (relative to `root`, sorted) of the workspace rooted at `root`:
/// `pnpm-workspace.yaml`'s `packages`, else `package.json`'s `workspaces`; each one a
/// directory with a `package.json`.
pub fn workspace_members(root: &Path, manifest: &Manifest) -> Vec<String> {
    let globs = std::fs::read_to_string(root.join("pnpm-workspace.yaml"))
        .ok()
        .and_then(|t| crate::detect::node::parse_pnpm_workspace(&t).ok())
        .unwrap_or_else(|| manifest.workspaces.clone());
    let (members, _) = Members::new(&globs, std::iter::empty::<&str>());
    if members.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let walk = ignore::WalkBuilder::new(root)
        .filter_entry(|e| e.file_name() != "node_modules")
        .max_depth(Some(4))
        .build();
    for entry in walk.flatten() {
        if entry.file_name() != "package.json" {
            continue;
        }
        let Some(dir) = entry
            .path()
            .parent()
            .and_then(|d| d.strip_prefix(root).ok())
        else {
            continue;
        };
        let rel = dir.display().to_string();
        if !rel.is_empty() && members.contains(&rel) {
            out.push(rel);
        }
    }
    out.sort();
    out
}

/// The commands of a script's `&&` / `;` chain, trimmed; `None` when the script uses `||`,
/// a pipe or a background `&` outside quotes (its commands cannot be taken apart safely).
///
/// ```
/// # use slipway::run_tests::scripts::split_chain;
/// assert_eq!(split_chain("tsc && mocha 'a && b'").unwrap(), vec!["tsc", "mocha 'a && b'"]);
/// assert!(split_chain("jest || true").is_none());
/// ```
pub fn split_chain(text: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            cur.push(c);
            if c == q {
                quote = None;
            } else if c == '\\'
                && q == '"'
                && let Some(n) = chars.next()
            {
                cur.push(n);
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                cur.push(c);
            }
            '\\' => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '&' if chars.peek() == Some(&'&') => {
                chars.next();
                out.push(std::mem::take(&mut cur));
            }
            ';' => out.push(std::mem::take(&mut cur)),
            '|' | '&' | '`' => return None,
            '$' if chars.peek() == Some(&'(') => return None,
            _ => cur.push(c),
        }
    }
    if quote.is_some() {
        return None;
    }
    out.push(cur);
    let out: Vec<String> = out
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    (!out.is_empty()).then_some(out)
}

/// A JavaScript test runner slipway gives a reporter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsRunner {
    /// vitest (`vitest`, `vitest run`).
    Vitest,
    /// jest.
    Jest,
    /// mocha.
    Mocha,
    /// `node --test`.
    NodeTest,
    /// ava.
    Ava,
    /// `playwright test`.
    Playwright,
    /// node-tap (`tap`).
    NodeTap,
}

impl JsRunner {
    /// Its name as printed.
    pub fn name(self) -> &'static str {
        match self {
            Self::Vitest => "vitest",
            Self::Jest => "jest",
            Self::Mocha => "mocha",
            Self::NodeTest => "node --test",
            Self::Ava => "ava",
            Self::Playwright => "playwright test",
            Self::NodeTap => "tap",
        }
    }
}

/// Words that start a command without being it: `VAR=1`, `cross-env VAR=1`, `npx`,
/// `pnpm exec`, `yarn`/`bunx`, `dotenv --`, coverage wrappers `c8` and `nyc` with their flags.
/// Returns the index of the command's own first word.
pub fn command_start(words: &[&str]) -> usize {
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let base = w.rsplit('/').next().unwrap_or(w);
        let assignment = w.split_once('=').is_some_and(|(k, _)| {
            !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
        if assignment
            || matches!(
                base,
                "cross-env" | "cross-env-shell" | "npx" | "bunx" | "env"
            )
        {
            i += 1;
            // npx's own flags (`--no-install`, `-y`).
            while base == "npx" && words.get(i).is_some_and(|w| w.starts_with('-')) {
                i += 1;
            }
            continue;
        }
        if matches!(base, "pnpm" | "yarn" | "bun") && words.get(i + 1) == Some(&"exec") {
            i += 2;
            continue;
        }
        if base == "dotenv" {
            match words[i..].iter().position(|w| *w == "--") {
                Some(p) => i += p + 1,
                None => return words.len(),
            }
            continue;
        }
        if matches!(base, "c8" | "nyc") {
            i += 1;
            // Their flags; a flag's value is its own word only for `--reporter x` style
            // flags, taken as such when the next word is not a command we know.
            while let Some(f) = words.get(i) {
                if !f.starts_with('-') {
                    break;
                }
                i += 1;
                if !f.contains('=')
                    && words
                        .get(i)
                        .is_some_and(|v| !v.starts_with('-') && !is_runner_word(v))
                    && !matches!(
                        *f,
                        "--all" | "--clean" | "--check-coverage" | "--per-file" | "--skip-full"
                    )
                {
                    i += 1;
                }
            }
            continue;
        }
        break;
    }
    i
}

fn is_runner_word(w: &str) -> bool {
    let base = w.rsplit('/').next().unwrap_or(w);
    matches!(
        base,
        "vitest"
            | "jest"
            | "mocha"
            | "_mocha"
            | "node"
            | "ava"
            | "playwright"
            | "tap"
            | "npm"
            | "pnpm"
            | "yarn"
            | "bun"
    )
}

/// The JavaScript runner a command runs, and the index of its word.
///
/// ```
/// # use slipway::run_tests::scripts::{js_runner, JsRunner};
/// let words: Vec<&str> = "cross-env NODE_ENV=test c8 --reporter lcov mocha --exit".split(' ').collect();
/// assert_eq!(js_runner(&words), Some((JsRunner::Mocha, 5)));
/// assert_eq!(js_runner(&["node", "--import", "tsx", "--test"]), Some((JsRunner::NodeTest, 0)));
/// assert_eq!(js_runner(&["tsc", "--noEmit"]), None);
/// ```
pub fn js_runner(words: &[&str]) -> Option<(JsRunner, usize)> {
    let i = command_start(words);
    let w = *words.get(i)?;
    let base = w.rsplit('/').next().unwrap_or(w);
    let runner = match base {
        "vitest" => {
            // `vitest bench`, `vitest typecheck` are not test runs with results we want;
            // `vitest` and `vitest run` are.
            match words.get(i + 1) {
                Some(&("bench" | "typecheck" | "init" | "list")) => return None,
                _ => JsRunner::Vitest,
            }
        }
        "jest" => JsRunner::Jest,
        "mocha" | "_mocha" => JsRunner::Mocha,
        "ava" => JsRunner::Ava,
        "tap" => JsRunner::NodeTap,
        "playwright" if words.get(i + 1) == Some(&"test") => JsRunner::Playwright,
        "node" if words[i + 1..].contains(&"--test") => JsRunner::NodeTest,
        _ => return None,
    };
    Some((runner, i))
}

/// What one command of a script's chain is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// A runner slipway knows, run directly.
    Runner(JsRunner, String),
    /// A call of another script of the same package, whose last command is `runner` (when
    /// slipway knows it); `text` is the called script.
    Script {
        /// The script's name.
        name: String,
        /// Its text.
        text: String,
        /// The runner of its last command, when known.
        runner: Option<JsRunner>,
        /// Another of its commands runs a runner slipway knows (arguments cannot reach it).
        hidden_runner: bool,
    },
    /// Anything else (`tsc`, `eslint .`, `run-p ...`).
    Other(String),
}

/// The commands of `text` (a script of `manifest`), other scripts it calls followed one
/// level; `None` when the chain cannot be taken apart ([`split_chain`]).
pub fn pieces(text: &str, manifest: &Manifest) -> Option<Vec<Piece>> {
    let mut out = Vec::new();
    for command in split_chain(text)? {
        let words: Vec<&str> = command.split_whitespace().collect();
        if let Some((r, _)) = js_runner(&words) {
            out.push(Piece::Runner(r, command.clone()));
            continue;
        }
        let names = called_scripts(&words, manifest);
        if names.is_empty() {
            out.push(Piece::Other(command.clone()));
            continue;
        }
        for name in names {
            let text = manifest.script(&name).unwrap_or_default().to_owned();
            let inner = split_chain(&text).unwrap_or_default();
            let runners: Vec<Option<JsRunner>> = inner
                .iter()
                .map(|c| js_runner(&c.split_whitespace().collect::<Vec<_>>()).map(|(r, _)| r))
                .collect();
            let runner = runners.last().copied().flatten();
            let hidden_runner = runners.iter().rev().skip(1).any(Option::is_some);
            out.push(Piece::Script {
                name,
                text,
                runner,
                hidden_runner,
            });
        }
    }
    Some(out)
}

/// The scripts a command calls, in order: `npm run a`, `npm test`, `pnpm a`, `yarn a`,
/// `bun run a`, or `run-s a b:*` / `npm-run-all a b` (serial; globs over the script names).
/// Empty for anything else, parallel runs (`run-p`, `npm-run-all -p`) included.
fn called_scripts(words: &[&str], manifest: &Manifest) -> Vec<String> {
    let start = command_start(words);
    let words = &words[start..];
    if let Some(call) = parse_call(words) {
        if call.scope == Scope::Here
            && call.args.is_empty()
            && manifest.script(&call.script).is_some()
        {
            return vec![call.script];
        }
        return Vec::new();
    }
    let Some(&first) = words.first() else {
        return Vec::new();
    };
    if !matches!(first, "run-s" | "npm-run-all") {
        return Vec::new();
    }
    let mut out = Vec::new();
    for w in &words[1..] {
        if matches!(*w, "-p" | "--parallel" | "-r" | "--race") {
            return Vec::new();
        }
        if w.starts_with('-') {
            continue;
        }
        let pattern = w.trim_matches(['\'', '"']);
        // npm-run-all globs: `*` within one `:` segment, `**` across.
        let glob = globset::GlobBuilder::new(&pattern.replace(':', "/"))
            .literal_separator(true)
            .build()
            .map(|g| g.compile_matcher());
        let Ok(glob) = glob else {
            return Vec::new();
        };
        for (name, _) in &manifest.scripts {
            if glob.is_match(name.replace(':', "/")) && !out.contains(name) {
                out.push(name.clone());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(scripts: &[(&str, &str)]) -> Manifest {
        Manifest {
            scripts: scripts
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            workspaces: Vec::new(),
        }
    }

    #[test]
    fn calls_of_every_manager_are_read() {
        let p = |s: &str| parse_call(&s.split(' ').collect::<Vec<_>>());
        assert_eq!(p("npm test").unwrap().script, "test");
        assert!(p("npm run test --if-present").unwrap().if_present);
        assert_eq!(
            p("npm test --workspaces --if-present").unwrap().scope,
            Scope::Workspaces
        );
        assert_eq!(
            p("npm test --workspace apps/web").unwrap().scope,
            Scope::Only(vec!["apps/web".into()])
        );
        assert_eq!(p("pnpm run test").unwrap().script, "test");
        assert_eq!(p("pnpm -r test").unwrap().scope, Scope::Workspaces);
        assert_eq!(p("pnpm -r run test").unwrap().scope, Scope::Workspaces);
        assert_eq!(
            p("pnpm --filter ./apps/web run test").unwrap().scope,
            Scope::Only(vec!["./apps/web".into()])
        );
        assert_eq!(p("pnpm unit --bail").unwrap().args, vec!["--bail"]);
        assert_eq!(p("yarn test").unwrap().pm, Pm::Yarn);
        assert_eq!(
            p("yarn workspaces run test").unwrap().scope,
            Scope::Workspaces
        );
        assert_eq!(
            p("yarn workspaces foreach --all run test").unwrap().scope,
            Scope::Workspaces
        );
        assert_eq!(p("bun run test").unwrap().pm, Pm::Bun);
        assert_eq!(
            p("bun run --filter '*' test").unwrap().scope,
            Scope::Workspaces
        );
        assert!(p("bun test").is_none());
        assert!(p("pnpm install").is_none());
        assert!(p("npm run").is_none());
        assert!(p("npm test --frobnicate").is_none());
    }

    #[test]
    fn chains_split_on_and_and_semicolons_outside_quotes() {
        assert_eq!(
            split_chain("npm run lint && cross-env CI=1 jest; echo \"a && b\"").unwrap(),
            vec!["npm run lint", "cross-env CI=1 jest", "echo \"a && b\""]
        );
        assert!(split_chain("jest | tee out").is_none());
        assert!(split_chain("jest & wait").is_none());
        assert!(split_chain("echo $(jest)").is_none());
    }

    #[test]
    fn runners_are_found_behind_launchers_and_wrappers() {
        let r = |s: &str| js_runner(&s.split(' ').collect::<Vec<_>>()).map(|(r, _)| r);
        assert_eq!(r("vitest run --coverage"), Some(JsRunner::Vitest));
        assert_eq!(r("vitest bench"), None);
        assert_eq!(r("npx jest --ci"), Some(JsRunner::Jest));
        assert_eq!(
            r("NODE_ENV=test nyc --reporter=lcov mocha"),
            Some(JsRunner::Mocha)
        );
        assert_eq!(r("nyc --reporter lcov mocha"), Some(JsRunner::Mocha));
        assert_eq!(r("c8 node --test"), Some(JsRunner::NodeTest));
        assert_eq!(r("./node_modules/.bin/ava --verbose"), Some(JsRunner::Ava));
        assert_eq!(r("playwright test"), Some(JsRunner::Playwright));
        assert_eq!(r("playwright install"), None);
        assert_eq!(r("pnpm exec vitest run"), Some(JsRunner::Vitest));
        assert_eq!(r("dotenv -e .env.test -- jest"), Some(JsRunner::Jest));
        assert_eq!(r("node server.js"), None);
        assert_eq!(r("eslint ."), None);
    }

    #[test]
    fn scripts_called_by_a_chain_are_followed_one_level() {
        let m = manifest(&[
            ("lint", "eslint ."),
            ("test", "run-s lint test:*"),
            ("test:unit", "tsc && mocha"),
            ("test:e2e", "playwright test && echo done"),
        ]);
        let p = pieces(m.script("test").unwrap(), &m).unwrap();
        assert_eq!(
            p,
            vec![
                Piece::Script {
                    name: "lint".into(),
                    text: "eslint .".into(),
                    runner: None,
                    hidden_runner: false
                },
                Piece::Script {
                    name: "test:unit".into(),
                    text: "tsc && mocha".into(),
                    runner: Some(JsRunner::Mocha),
                    hidden_runner: false
                },
                Piece::Script {
                    name: "test:e2e".into(),
                    text: "playwright test && echo done".into(),
                    runner: None,
                    hidden_runner: true
                },
            ]
        );
        let p = pieces("npm run lint && jest", &m).unwrap();
        assert!(matches!(&p[1], Piece::Runner(JsRunner::Jest, c) if c == "jest"));
        let p = pieces("run-p lint test:unit", &m).unwrap();
        assert!(matches!(&p[0], Piece::Other(_)));
    }

    #[test]
    fn workspace_globs_come_from_package_json_or_pnpm_workspace_yaml() {
        let dir = tempfile::tempdir().unwrap();
        for d in [
            "packages/a",
            "packages/b",
            "tools/x",
            "packages/a/node_modules/z",
        ] {
            std::fs::create_dir_all(dir.path().join(d)).unwrap();
            std::fs::write(dir.path().join(d).join("package.json"), "{}").unwrap();
        }
        let m = Manifest {
            workspaces: vec!["packages/*".into()],
            ..Manifest::default()
        };
        assert_eq!(
            workspace_members(dir.path(), &m),
            vec!["packages/a", "packages/b"]
        );
        std::fs::write(
            dir.path().join("pnpm-workspace.yaml"),
            "packages:\n  - 'packages/*'\n  - tools/*\n  - '!packages/b'\n",
        )
        .unwrap();
        assert_eq!(
            workspace_members(dir.path(), &Manifest::default()),
            vec!["packages/a", "tools/x"]
        );
    }
}
