//! Template rendering: minijinja with delimiters that leave GitHub's `${{ … }}` untouched.
//!
//! Templates use `{{{ expr }}}`, `{{% stmt %}}` and `{{# comment #}}`. Undefined values are
//! errors (`UndefinedBehavior::Strict`): a typo in a template fails the run instead of printing
//! an empty string into a workflow. A team can override any embedded template or partial by file
//! name with `--templates DIR`; an error in any template names its file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior};

use crate::error::Hint;

/// Where a template's source came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Embedded in the binary (`templates/<name>` in slipway's sources).
    Embedded,
    /// A team's override file.
    Override(PathBuf),
}

/// A set of templates by name (`workflows/ci.yml.j2`, `partials/checkout.yml.j2`).
#[derive(Debug, Clone, Default)]
pub struct Templates {
    sources: BTreeMap<String, (String, Origin)>,
}

/// A template could not be loaded or rendered.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The override directory could not be read.
    #[error("reading templates from `{}`", dir.display())]
    ReadDir {
        /// The directory.
        dir: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// An override file does not replace any template slipway has.
    #[error("`{}` does not override any template", path.display())]
    UnknownOverride {
        /// The file.
        path: PathBuf,
        /// Names that exist, for the hint.
        known: Vec<String>,
    },
    /// A template has a syntax error or failed while rendering.
    #[error("{location}: {message}")]
    Template {
        /// `file:line` of the problem.
        location: String,
        /// What minijinja said.
        message: String,
        /// True when the template is a team's override (the hint differs).
        user: bool,
    },
}

impl Hint for Error {
    fn hint(&self) -> Option<String> {
        match self {
            Self::ReadDir { .. } => Some("pass an existing directory to `--templates`".into()),
            Self::UnknownOverride { path, known } => {
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let near = known
                    .iter()
                    .map(|k| (strsim::jaro_winkler(&name, file_name(k)), k))
                    .filter(|(score, _)| *score > 0.8)
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                Some(match near {
                    Some((_, k)) => format!(
                        "did you mean `{}`? overrides are matched by file name",
                        file_name(k)
                    ),
                    None => format!(
                        "overrides are matched by file name; templates are: {}",
                        known
                            .iter()
                            .map(|k| file_name(k))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                })
            }
            Self::Template { user: true, .. } => {
                Some("fix the template override, or remove it to use slipway's own".into())
            }
            Self::Template { user: false, .. } => None,
        }
    }
}

/// True for a character that must never reach a workflow unescaped: C0 controls (line feed,
/// carriage return, tab …), DEL, the C1 controls (NEL, U+0085, among them), the Unicode line and
/// paragraph separators (U+2028, U+2029) that some YAML parsers read as line breaks, the byte
/// order mark and the non-characters U+FFFE and U+FFFF, which YAML does not allow in a scalar.
/// Printed raw, any of them can end a line early and start a key of the attacker's choosing.
pub fn is_forbidden(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}')
}

/// Quotes `text` as a YAML double-quoted string: quote and backslash escaped, and every
/// [`is_forbidden`] character written as an escape (`\n`, `\u2028`), so the string stays one
/// scalar on one line whatever it holds. The output is also a valid JSON string.
pub fn yaml_quote(text: &str) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_forbidden(c) => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `yaml` filter: a value quoted by [`yaml_quote`], marked safe so the output check lets it
/// through (its escapes are the point).
fn yaml_string(value: &minijinja::Value) -> minijinja::Value {
    let text = value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned);
    minijinja::Value::from_safe_string(yaml_quote(&text))
}

/// Every `{{{ … }}}` goes through here. Values the templates build (macro output, captured
/// blocks) and values quoted by the `yaml` filter are marked safe and printed as they are; any
/// other value (a string from the config, from detection, from a file name; a number) is printed
/// raw only when it holds no [`is_forbidden`] character, and is otherwise an error. So no field
/// of the context, present or added later, can put a line break into a workflow: the check is
/// on the output, not on each field.
fn checked_output(
    out: &mut minijinja::Output,
    _state: &mut minijinja::State,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    let text = value.as_str().map_or_else(
        || std::borrow::Cow::Owned(value.to_string()),
        std::borrow::Cow::Borrowed,
    );
    if !value.is_safe()
        && let Some(c) = text.chars().find(|c| is_forbidden(*c))
    {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!(
                "the value `{}` holds the control character U+{:04X}, which could break or add to the workflow's structure; rename it or remove the character",
                text.escape_debug(),
                u32::from(c)
            ),
        ));
    }
    if !value.is_safe() && (text.contains(": ") || text.ends_with(':')) {
        // Printed raw in a plain scalar, `a: b` starts a mapping: the workflow would not parse,
        // or would parse differently. (Pinned `uses:` values carry a ` # vX.Y.Z` comment.)
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            format!(
                "the value `{}` holds `: ` or a final `:`, which would change how the workflow parses; rename it",
                text.escape_debug()
            ),
        ));
    }
    out.write_str(&text)
        .map_err(|_| minijinja::Error::new(minijinja::ErrorKind::WriteFailure, "writing output"))
}

fn file_name(name: &str) -> &str {
    name.rsplit_once('/').map_or(name, |(_, f)| f)
}

impl Templates {
    /// A set from (name, source) pairs.
    pub fn new<'a>(embedded: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let sources = embedded
            .into_iter()
            .map(|(name, src)| (name.to_owned(), (src.to_owned(), Origin::Embedded)))
            .collect();
        Self { sources }
    }

    /// Replaces templates with the files of `dir` whose file names match (`ci.yml.j2` replaces
    /// `workflows/ci.yml.j2`). Files that match nothing are an error, so a typo is not ignored.
    pub fn with_overrides(mut self, dir: &Path) -> Result<Self, Error> {
        let read_err = |source| Error::ReadDir {
            dir: dir.to_path_buf(),
            source,
        };
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(read_err)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(|source| Error::ReadDir {
                dir: dir.to_path_buf(),
                source,
            })?;
        entries.sort();
        for path in entries {
            if !path.is_file() {
                continue;
            }
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            let key = self.sources.keys().find(|k| file_name(k) == name).cloned();
            let Some(key) = key else {
                return Err(Error::UnknownOverride {
                    path,
                    known: self.sources.keys().cloned().collect(),
                });
            };
            let source = std::fs::read_to_string(&path).map_err(|source| Error::ReadDir {
                dir: dir.to_path_buf(),
                source,
            })?;
            self.sources.insert(key, (source, Origin::Override(path)));
        }
        Ok(self)
    }

    /// Renders template `name` with `context`.
    pub fn render(&self, name: &str, context: &impl serde::Serialize) -> Result<String, Error> {
        let mut out = self.render_all(&[name], context)?;
        Ok(out.pop().unwrap_or_default())
    }

    /// Renders several templates with one context: the templates are parsed and the context
    /// converted once, and the renders share the two cores.
    pub fn render_all(
        &self,
        names: &[&str],
        context: &impl serde::Serialize,
    ) -> Result<Vec<String>, Error> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .block_delimiters("{{%", "%}}")
            .variable_delimiters("{{{", "}}}")
            .comment_delimiters("{{#", "#}}")
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| self.error(&e))?;
        env.set_syntax(syntax);
        env.add_filter("yaml", yaml_string);
        // Auto-escaping on (by a name of our own): macro output and captured blocks come back
        // marked safe, and everything else passes the output check.
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Custom("yaml".into()));
        env.set_formatter(checked_output);
        for (key, (source, _)) in &self.sources {
            env.add_template_owned(key.clone(), source.clone())
                .map_err(|e| self.error(&e))?;
        }
        let value = minijinja::Value::from(minijinja::value::Serde(context));
        let env = &env;
        let value = &value;
        let results: Vec<Result<String, minijinja::Error>> = std::thread::scope(|scope| {
            let handles: Vec<_> = names
                .iter()
                .map(|name| scope.spawn(move || env.get_template(name)?.render(value)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(minijinja::Error::new(
                            minijinja::ErrorKind::InvalidOperation,
                            "a template render panicked",
                        ))
                    })
                })
                .collect()
        });
        results
            .into_iter()
            .map(|r| r.map_err(|e| self.error(&e)))
            .collect()
    }

    /// Names the file and line of a minijinja error.
    fn error(&self, err: &minijinja::Error) -> Error {
        // An error inside an included partial arrives wrapped ("could not render include"):
        // report the innermost one, which names the partial, its line and what went wrong.
        let mut err = err;
        while let Some(inner) =
            std::error::Error::source(err).and_then(|e| e.downcast_ref::<minijinja::Error>())
        {
            err = inner;
        }
        let name = err.name().unwrap_or("template");
        let (file, user) = match self.sources.get(name) {
            Some((_, Origin::Override(path))) => (path.display().to_string(), true),
            _ => (format!("templates/{name}"), false),
        };
        let location = match err.line() {
            Some(line) => format!("{file}:{line}"),
            None => file,
        };
        let message = match err.detail() {
            Some(detail) => format!("{}: {detail}", err.kind()),
            None => err.kind().to_string(),
        };
        Error::Template {
            location,
            message,
            user,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> Templates {
        Templates::new([
            (
                "workflows/ci.yml.j2",
                "name: {{{ name }}}\n{{% include \"partials/step.yml.j2\" %}}",
            ),
            ("partials/step.yml.j2", "run: echo \"${{ github.sha }}\"\n"),
        ])
    }

    #[test]
    fn the_yaml_filter_quotes_values_safely() {
        let t = Templates::new([("x.j2", "branches: [{{{ b | yaml }}}]")]);
        let out = t
            .render("x.j2", &serde_json::json!({"b": "main\"]\non: push #"}))
            .expect("render");
        assert_eq!(out, "branches: [\"main\\\"]\\non: push #\"]");
    }

    #[test]
    fn a_raw_value_with_any_line_break_is_refused_and_the_yaml_filter_escapes_it() {
        let t = Templates::new([
            ("raw.j2", "name: {{{ b }}}\n"),
            ("comment.j2", "# on {{{ b | replace(\"\\n\", \" \") }}}\n"),
            ("quoted.j2", "name: {{{ b | yaml }}}\n"),
        ]);
        for breaker in [
            "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}", "\u{0}", "\u{7f}", "\u{1b}",
        ] {
            let b = format!("x{breaker}permissions: write-all");
            for name in ["raw.j2", "comment.j2"] {
                if name == "comment.j2" && breaker == "\n" {
                    // The template replaces this one itself.
                    continue;
                }
                let err = t
                    .render(name, &serde_json::json!({ "b": b }))
                    .expect_err("refused");
                assert!(
                    err.to_string().contains("control character"),
                    "{breaker:?}: {err}"
                );
            }
            let out = t
                .render("quoted.j2", &serde_json::json!({ "b": b }))
                .expect("quoted");
            assert_eq!(out.lines().count(), 1, "{out:?}");
            assert!(
                !out.chars().any(is_forbidden) || out.ends_with('\n'),
                "{out:?}"
            );
            let back: serde_json::Value =
                serde_saphyr::from_str(&out).expect("the quoted value parses");
            assert_eq!(back["name"], serde_json::json!(b));
        }
    }

    #[test]
    fn macro_output_and_captured_blocks_keep_their_own_line_breaks() {
        let t = Templates::new([(
            "m.j2",
            "{{% macro two(x) %}}a: {{{ x | yaml }}}\nb: 1\n{{% endmacro %}}{{{ two(v) | trim }}}\n{{% set c %}}c: 2\nd: 3{{% endset %}}{{{ c }}}\n",
        )]);
        let out = t
            .render("m.j2", &serde_json::json!({ "v": "x\ny" }))
            .expect("render");
        assert_eq!(out, "a: \"x\\ny\"\nb: 1\nc: 2\nd: 3\n");
    }

    #[test]
    fn github_expressions_pass_through_untouched() {
        let out = set()
            .render("workflows/ci.yml.j2", &serde_json::json!({"name": "ci"}))
            .expect("render");
        assert_eq!(out, "name: ci\nrun: echo \"${{ github.sha }}\"\n");
    }

    #[test]
    fn an_undefined_value_is_an_error_naming_the_template_and_line() {
        let err = set()
            .render("workflows/ci.yml.j2", &serde_json::json!({}))
            .expect_err("strict");
        assert!(
            err.to_string()
                .starts_with("templates/workflows/ci.yml.j2:1: undefined value"),
            "{err}"
        );
    }

    #[test]
    fn an_override_replaces_a_template_by_file_name_and_its_errors_name_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("step.yml.j2"),
            "run: make test\n{{% if %}}\n",
        )
        .expect("write");
        let templates = set().with_overrides(dir.path()).expect("override");
        let err = templates
            .render("workflows/ci.yml.j2", &serde_json::json!({"name": "ci"}))
            .expect_err("syntax");
        let text = err.to_string();
        assert!(
            text.starts_with(&format!(
                "{}:2: syntax error",
                dir.path().join("step.yml.j2").display()
            )),
            "{text}"
        );
        assert_eq!(
            err.hint().as_deref(),
            Some("fix the template override, or remove it to use slipway's own")
        );
    }

    #[test]
    fn an_override_that_matches_nothing_suggests_the_close_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("stepp.yml.j2"), "x").expect("write");
        let err = set()
            .with_overrides(dir.path())
            .expect_err("unknown override");
        assert_eq!(
            err.hint().as_deref(),
            Some("did you mean `step.yml.j2`? overrides are matched by file name")
        );
    }
}
