//! How a config error points at the file: `file:line:column`, the offending line under a
//! line-number gutter with a caret, and "did you mean" suggestions.

use std::fmt;

/// A problem at one place in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// The file, as the user named it.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong, lower-case, values in backticks.
    pub message: String,
    /// The offending line(s) with a gutter and a caret, no trailing newline.
    pub snippet: String,
    /// What to do about it.
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}\n  --> {}:{}:{}\n{}",
            self.message, self.file, self.line, self.column, self.snippet
        )
    }
}

/// The longest stretch of a line shown in a snippet, in characters.
const MAX_SHOWN: usize = 100;

/// Renders line `line` (1-based) of `source` with the line before it for context, and a caret
/// under the token that starts at `column`. With `mask`, that token is shown as `***`, so a
/// secret value never reaches the terminal or a CI log.
pub fn snippet(source: &str, line: usize, column: usize, mask: bool) -> String {
    let lines: Vec<&str> = source.split('\n').collect();
    let line = line.clamp(1, lines.len().max(1));
    let text = lines
        .get(line - 1)
        .copied()
        .unwrap_or("")
        .trim_end_matches('\r');
    let gutter = line.to_string().len();
    let mut out = String::new();
    let pad = " ".repeat(gutter);
    out.push_str(&format!("{pad} |\n"));
    if line >= 2 {
        let before = lines[line - 2].trim_end_matches('\r');
        if !before.trim().is_empty() {
            let (shown, _) = window(before, 1);
            out.push_str(&format!("{:>gutter$} | {shown}\n", line - 1));
        }
    }
    let chars: Vec<char> = text.chars().collect();
    let start = column.saturating_sub(1).min(chars.len());
    let depth: i32 = chars[..start]
        .iter()
        .map(|c| match c {
            '{' | '[' => 1,
            '}' | ']' => -1,
            _ => 0,
        })
        .sum();
    let width = token_width(&chars[start..], depth > 0).max(1);
    let shown_chars: Vec<char> = if mask {
        let mut c = chars[..start].to_vec();
        c.extend("***".chars());
        c.extend_from_slice(&chars[(start + width).min(chars.len())..]);
        c
    } else {
        chars.clone()
    };
    let caret_width = if mask { 3 } else { width };
    let shown_line: String = shown_chars.iter().collect();
    let (shown, skipped) = window(&shown_line, start + 1);
    out.push_str(&format!("{line:>gutter$} | {shown}\n"));
    // Keep tabs in the caret line so the caret lines up under a tab-indented token.
    let lead: String = shown_chars
        .iter()
        .take(start)
        .skip(skipped)
        .map(|&c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    let lead = if skipped > 0 {
        format!("…{lead}")
    } else {
        lead
    };
    out.push_str(&format!(
        "{pad} | {lead}{}",
        "^".repeat(
            caret_width
                .min(MAX_SHOWN.saturating_sub(start.saturating_sub(skipped)))
                .max(1)
        )
    ));
    out
}

/// The part of `text` shown around character `column` (1-based), and how many characters were
/// cut from its start.
fn window(text: &str, column: usize) -> (String, usize) {
    let count = text.chars().count();
    if count <= MAX_SHOWN {
        return (text.to_owned(), 0);
    }
    let start = column
        .saturating_sub(MAX_SHOWN / 2)
        .min(count - MAX_SHOWN / 2);
    let body: String = text.chars().skip(start).take(MAX_SHOWN).collect();
    let prefix = if start > 0 { "…" } else { "" };
    let suffix = if start + MAX_SHOWN < count { "…" } else { "" };
    (format!("{prefix}{body}{suffix}"), start)
}

/// The length in characters of the YAML token at the start of `chars`: a quoted string up to
/// its closing quote; in a flow collection up to a separator; otherwise a plain scalar that may
/// hold spaces, up to a comment or the end of the line.
fn token_width(chars: &[char], in_flow: bool) -> usize {
    match chars.first() {
        None => 0,
        Some(&q @ ('"' | '\'')) => chars[1..]
            .iter()
            .position(|&c| c == q)
            .map_or(chars.len(), |i| i + 2),
        Some(_) if !in_flow && !chars.contains(&':') => {
            let text: String = chars.iter().collect();
            let body = text.split(" #").next().unwrap_or("");
            body.trim_end().chars().count()
        }
        Some(_) => {
            let mut n = 0;
            while n < chars.len() {
                let c = chars[n];
                let next = chars.get(n + 1).copied();
                if c.is_whitespace()
                    || matches!(c, ',' | '}' | ']' | '#')
                    || (c == ':' && next.is_none_or(char::is_whitespace))
                {
                    break;
                }
                n += 1;
            }
            n
        }
    }
}

/// `key_name` lower-cased without `-` and `_`, so `pass_rate`, `passRate` and `pass-rate` meet.
fn normalize(word: &str) -> String {
    word.chars()
        .filter(|c| *c != '-' && *c != '_')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The candidate closest to `word`, when one is close enough to be a likely typo.
pub fn suggest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let norm = normalize(word);
    if let Some(exact) = candidates.iter().find(|c| normalize(c) == norm) {
        return Some(exact);
    }
    candidates
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&norm, &normalize(c)), *c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Candidates as `` `a`, `b`, `c` ``.
pub fn list(candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_catch_typos_and_other_spellings() {
        let keys = ["shards", "pass-rate", "coverage", "test-commands", "sonar"];
        assert_eq!(suggest("shard", &keys), Some("shards"));
        assert_eq!(suggest("pass_rate", &keys), Some("pass-rate"));
        assert_eq!(suggest("passRate", &keys), Some("pass-rate"));
        assert_eq!(suggest("covrage", &keys), Some("coverage"));
        assert_eq!(suggest("deploy", &keys), None);
        let strategies = ["rolling", "blue-green", "canary"];
        assert_eq!(suggest("bluegreen", &strategies), Some("blue-green"));
        assert_eq!(suggest("blue_green", &strategies), Some("blue-green"));
        assert_eq!(suggest("x", &strategies), None);
    }

    #[test]
    fn snippets_show_the_line_before_a_gutter_and_a_caret_under_the_token() {
        let src = "version: 1\nci: { shard: 2 }\n";
        assert_eq!(
            snippet(src, 2, 7, false),
            "  |\n1 | version: 1\n2 | ci: { shard: 2 }\n  |       ^^^^^"
        );
    }

    #[test]
    fn snippets_underline_quoted_strings_whole_and_keep_tabs() {
        let src = "a:\n\tb: \"x y\" # c";
        assert_eq!(
            snippet(src, 2, 5, false),
            "  |\n1 | a:\n2 | \tb: \"x y\" # c\n  | \t   ^^^^^"
        );
    }

    #[test]
    fn masked_snippets_hide_the_value() {
        let src = "notify:\n  slack-webhook-secret: https://hooks.slack.com/services/T0/B0/X\n";
        let s = snippet(src, 2, 25, true);
        assert!(!s.contains("hooks.slack.com"), "{s}");
        assert!(s.contains("slack-webhook-secret: ***"), "{s}");
    }

    #[test]
    fn snippets_survive_positions_past_the_end_and_long_lines() {
        assert_eq!(snippet("", 5, 9, false), "  |\n1 | \n  | ^");
        let long = format!("key: {}", "x".repeat(500));
        let s = snippet(&long, 1, 300, false);
        assert!(s.lines().all(|l| l.chars().count() < 120), "{s}");
    }
}
