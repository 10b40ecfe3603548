//! The job summary: Markdown appended to `GITHUB_STEP_SUMMARY`, kept under 1 MiB per step.
//!
//! GitHub refuses a step summary over 1 MiB ("$GITHUB_STEP_SUMMARY upload aborted, supports
//! content up to a size of 1024k") and shows nothing of it, so a [`Summary`] is built from
//! sections with a [`Priority`] and shortened deliberately before writing: the least important
//! sections (and, among equals, the later ones) are cut first, at line or table-row boundaries
//! and never inside a UTF-8 character, and a note at the end says what was shortened. What the
//! step already wrote to the file counts against the limit.
//! See <https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#adding-a-job-summary>
//! (step isolation and limits).
//!
//! Without a `GITHUB_STEP_SUMMARY` file the Markdown is printed on stderr.

use std::fmt::Write as _;

use super::{Error, Runtime, redact};

/// The most a step may write to its summary file, in bytes (1 MiB).
// NOTE: "Job summaries are isolated between steps and each step is restricted to a maximum
// size of 1MiB" https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#adding-a-job-summary
pub const MAX_BYTES: usize = 1024 * 1024;

/// Room kept for the closing note when a summary has to be shortened.
const NOTE_RESERVE: usize = 4096;
/// Room kept in a shortened section for its "… more rows omitted" line.
const OMISSION_RESERVE: usize = 160;
/// A section that would keep less than this is dropped rather than shortened.
const MIN_SECTION: usize = 512;
/// Sections named individually in the closing note.
const NOTE_ENTRIES: usize = 20;

/// How much a section matters when the summary must be shortened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// Details: cut first.
    Low,
    /// The usual content.
    Normal,
    /// The verdict and what to do: cut last.
    High,
}

/// One piece of a section: a fixed head, items that may be dropped from the end, a fixed tail.
#[derive(Debug, Clone)]
struct Part {
    head: String,
    items: Vec<String>,
    tail: String,
    /// What an item is called in the omission line: `lines`, `rows`.
    noun: &'static str,
    /// Whether a single item may be cut inside (text), or only kept whole (table rows).
    splittable: bool,
}

impl Part {
    fn len(&self) -> usize {
        self.head.len() + self.items.iter().map(String::len).sum::<usize>() + self.tail.len()
    }
}

/// A titled section of the summary.
#[derive(Debug, Clone)]
pub struct Section {
    title: Option<String>,
    priority: Priority,
    parts: Vec<Part>,
}

impl Section {
    /// Appends Markdown text (paragraphs, lists); it may be cut between lines, or inside a
    /// very long line at a character boundary.
    pub fn text(&mut self, markdown: &str) -> &mut Self {
        let markdown = redact(markdown);
        let mut items: Vec<String> = markdown.lines().map(|l| format!("{l}\n")).collect();
        if items.is_empty() {
            return self;
        }
        items.push("\n".into());
        self.parts.push(Part {
            head: String::new(),
            items,
            tail: String::new(),
            noun: "lines",
            splittable: true,
        });
        self
    }

    /// Appends a table; it may lose rows from the end, never the header or half a row. Cells
    /// are escaped (`|`, line breaks).
    pub fn table<S: AsRef<str>>(&mut self, header: &[S], rows: &[Vec<String>]) -> &mut Self {
        let row = |cells: &mut dyn Iterator<Item = &str>| {
            let mut out = String::from("|");
            for c in cells {
                let _ = write!(out, " {} |", escape_cell(&redact(c)));
            }
            out.push('\n');
            out
        };
        let mut head = row(&mut header.iter().map(AsRef::as_ref));
        head.push('|');
        for _ in header {
            head.push_str(" --- |");
        }
        head.push('\n');
        self.parts.push(Part {
            head,
            items: rows
                .iter()
                .map(|r| row(&mut r.iter().map(String::as_str)))
                .collect(),
            tail: "\n".into(),
            noun: "rows",
            splittable: false,
        });
        self
    }

    /// Appends a fenced code block; it may lose lines from the end and stays closed.
    pub fn code(&mut self, lang: &str, text: &str) -> &mut Self {
        let text = redact(text);
        let lang = one_line(&redact(lang));
        // NOTE: a fence longer than any backtick run inside stays closed
        // (https://spec.commonmark.org/0.31.2/#fenced-code-blocks).
        let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        self.parts.push(Part {
            head: format!("{fence}{lang}\n"),
            items: text.lines().map(|l| format!("{l}\n")).collect(),
            tail: format!("{fence}\n\n"),
            noun: "lines",
            splittable: true,
        });
        self
    }

    fn heading(&self) -> String {
        self.title
            .as_ref()
            .map(|t| format!("### {}\n\n", one_line(t)))
            .unwrap_or_default()
    }

    fn render(&self) -> String {
        let mut out = self.heading();
        for p in &self.parts {
            out.push_str(&p.head);
            for i in &p.items {
                out.push_str(i);
            }
            out.push_str(&p.tail);
        }
        out
    }

    fn len(&self) -> usize {
        self.heading().len() + self.parts.iter().map(Part::len).sum::<usize>()
    }

    fn item_count(&self) -> usize {
        self.parts.iter().map(|p| p.items.len()).sum()
    }

    /// The section cut to at most `limit` bytes, with an omission line; `None` when even the
    /// heading does not fit.
    fn shortened(&self, limit: usize) -> Option<(String, usize, &'static str)> {
        let mut out = self.heading();
        let room = limit.checked_sub(OMISSION_RESERVE)?;
        if out.len() > room {
            return None;
        }
        let mut omitted = 0;
        let mut noun = "lines";
        let mut full = true;
        for p in &self.parts {
            if !full {
                omitted += p.items.len();
                continue;
            }
            if out.len() + p.len() <= room {
                out.push_str(&p.head);
                p.items.iter().for_each(|i| out.push_str(i));
                out.push_str(&p.tail);
                continue;
            }
            full = false;
            noun = p.noun;
            if out.len() + p.head.len() + p.tail.len() > room {
                omitted += p.items.len();
                continue;
            }
            out.push_str(&p.head);
            let budget = room - p.tail.len();
            let mut kept = 0;
            for item in &p.items {
                if out.len() + item.len() > budget {
                    break;
                }
                out.push_str(item);
                kept += 1;
            }
            if kept < p.items.len() && p.splittable {
                // Cut the first item that does not fit at a character boundary, so a single
                // huge line still shows its beginning.
                let item = &p.items[kept];
                let space = budget.saturating_sub(out.len() + "…\n".len());
                if space > 0 {
                    out.push_str(&item[..floor_char_boundary(item, space)]);
                    out.push_str("…\n");
                }
            }
            omitted += p.items.len() - kept;
            out.push_str(&p.tail);
        }
        let _ = writeln!(
            out,
            "_… {omitted} more {noun} omitted to stay under the 1 MiB summary limit_\n"
        );
        Some((out, omitted, noun))
    }
}

/// A job summary under construction: sections in order, each with a priority.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    sections: Vec<Section>,
}

/// What shortening did to one section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shortening {
    /// The section was left out.
    Dropped {
        /// Its title.
        title: String,
    },
    /// The section lost items from its end.
    Shortened {
        /// Its title.
        title: String,
        /// Items (lines, rows) left out.
        omitted: usize,
        /// Items it had.
        total: usize,
        /// What the items are: `lines`, `rows`.
        noun: &'static str,
    },
}

/// A summary rendered within a byte budget.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The Markdown to append.
    pub markdown: String,
    /// What was cut, least important first; empty when everything fit.
    pub shortened: Vec<Shortening>,
}

impl Summary {
    /// An empty summary.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a section with an optional title (rendered as `### title`) and returns it to fill.
    pub fn section(&mut self, priority: Priority, title: Option<&str>) -> &mut Section {
        self.sections.push(Section {
            title: title.map(|t| redact(t).into_owned()),
            priority,
            parts: Vec::new(),
        });
        let last = self.sections.len() - 1;
        &mut self.sections[last]
    }

    /// The whole summary, unshortened.
    pub fn render(&self) -> String {
        self.sections.iter().map(Section::render).collect()
    }

    /// The summary in at most `budget` bytes: least important sections (later first among
    /// equals) are shortened or dropped, and a closing note lists what was cut.
    pub fn render_within(&self, budget: usize) -> Rendered {
        let full = self.render();
        if full.len() <= budget {
            return Rendered {
                markdown: full,
                shortened: Vec::new(),
            };
        }
        let avail = budget.saturating_sub(NOTE_RESERVE);
        let mut sizes: Vec<usize> = self.sections.iter().map(Section::len).collect();
        let mut texts: Vec<Option<String>> =
            self.sections.iter().map(|s| Some(s.render())).collect();
        let mut order: Vec<usize> = (0..self.sections.len()).collect();
        order.sort_by_key(|&i| (self.sections[i].priority, std::cmp::Reverse(i)));
        let mut shortened = Vec::new();
        for i in order {
            let total: usize = sizes.iter().sum();
            if total <= avail {
                break;
            }
            let section = &self.sections[i];
            let title = section.title.clone().unwrap_or_else(|| "untitled".into());
            let target = sizes[i].saturating_sub(total - avail);
            match (target >= MIN_SECTION)
                .then(|| section.shortened(target))
                .flatten()
            {
                Some((text, omitted, noun)) => {
                    sizes[i] = text.len();
                    texts[i] = Some(text);
                    shortened.push(Shortening::Shortened {
                        title,
                        omitted,
                        total: section.item_count(),
                        noun,
                    });
                }
                None => {
                    sizes[i] = 0;
                    texts[i] = None;
                    shortened.push(Shortening::Dropped { title });
                }
            }
        }
        let mut markdown: String = texts.into_iter().flatten().collect();
        let note = note(&shortened);
        if markdown.len() + note.len() <= budget {
            markdown.push_str(&note);
        }
        Rendered {
            markdown,
            shortened,
        }
    }
}

/// The closing note that says what was cut.
fn note(shortened: &[Shortening]) -> String {
    let mut out = String::from(
        "> [!NOTE]\n> This summary was shortened to stay under GitHub's 1 MiB step summary limit:\n",
    );
    for s in shortened.iter().take(NOTE_ENTRIES) {
        let _ = match s {
            Shortening::Dropped { title } => writeln!(out, "> - left out: {}", clip(title)),
            Shortening::Shortened {
                title,
                omitted,
                total,
                noun,
            } => writeln!(
                out,
                "> - shortened: {} ({omitted} of {total} {noun} left out)",
                clip(title)
            ),
        };
    }
    if shortened.len() > NOTE_ENTRIES {
        let _ = writeln!(
            out,
            "> - and {} more sections",
            shortened.len() - NOTE_ENTRIES
        );
    }
    out.push_str(">\n> The full details are in the step log.\n");
    out
}

/// A title on one line, at most 80 bytes.
fn clip(title: &str) -> String {
    let t = one_line(title);
    if t.len() <= 80 {
        t
    } else {
        format!("{}…", &t[..floor_char_boundary(&t, 80)])
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// A table cell on one line with its pipes escaped.
fn escape_cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace("\r\n", "<br>")
        .replace(['\n', '\r'], "<br>")
}

/// The largest index `<= at` that is a char boundary of `s`.
fn floor_char_boundary(s: &str, at: usize) -> usize {
    if at >= s.len() {
        return s.len();
    }
    (0..=at).rev().find(|&i| s.is_char_boundary(i)).unwrap_or(0)
}

impl Runtime {
    /// Appends `summary` to the step summary, shortened so that the file stays within
    /// [`MAX_BYTES`] (what the step already wrote counts). Without a summary file the
    /// Markdown is printed on stderr. Returns what was shortened.
    pub fn write_summary(&self, summary: &Summary) -> Result<Vec<Shortening>, Error> {
        match self.summary_file() {
            Some(path) => {
                let used = match std::fs::metadata(path) {
                    Ok(m) => usize::try_from(m.len()).unwrap_or(usize::MAX),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
                    Err(source) => {
                        return Err(Error::Read {
                            path: path.to_path_buf(),
                            source,
                        });
                    }
                };
                // Sections redact their content as it is added, so the sizes measured here
                // are those written: a cut cannot split a secret, nor `***` outgrow the cap.
                // Redacting again only matters for a secret registered after the summary was
                // built; hiding it then matters more than the size.
                let rendered = summary.render_within(MAX_BYTES.saturating_sub(used));
                super::append(path, &redact(&rendered.markdown))?;
                Ok(rendered.shortened)
            }
            None => {
                let rendered = summary.render_within(MAX_BYTES);
                self.log_plain(rendered.markdown.trim_end());
                Ok(rendered.shortened)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: usize, width: usize) -> Vec<Vec<String>> {
        (0..n)
            .map(|i| vec![format!("row {i}"), "é".repeat(width)])
            .collect()
    }

    #[test]
    fn a_small_summary_is_written_as_is() {
        let mut s = Summary::new();
        s.section(Priority::High, Some("Result"))
            .text("all good")
            .table(&["a", "b"], &[vec!["x|y".into(), "1\n2".into()]]);
        let r = s.render_within(MAX_BYTES);
        assert!(r.shortened.is_empty());
        assert_eq!(
            r.markdown,
            "### Result\n\nall good\n\n| a | b |\n| --- | --- |\n| x\\|y | 1<br>2 |\n\n"
        );
    }

    #[test]
    fn an_oversized_summary_loses_its_least_important_section_first() {
        let mut s = Summary::new();
        s.section(Priority::High, Some("Verdict")).text("deploy ok");
        s.section(Priority::Low, Some("Every test"))
            .table(&["test", "detail"], &rows(20_000, 40));
        s.section(Priority::Normal, Some("Slow tests"))
            .table(&["test", "detail"], &rows(100, 10));
        assert!(s.render().len() > MAX_BYTES);
        let r = s.render_within(MAX_BYTES);
        let md = &r.markdown;
        assert!(md.len() <= MAX_BYTES, "{}", md.len());
        assert!(md.contains("deploy ok"));
        assert!(md.contains("| row 99 |"), "normal section intact");
        assert!(md.contains("This summary was shortened"));
        assert!(
            md.contains("> - shortened: Every test ("),
            "{}",
            &md[md.len() - 400..]
        );
        match &r.shortened[..] {
            [
                Shortening::Shortened {
                    title,
                    omitted,
                    total,
                    noun,
                },
            ] => {
                assert_eq!(
                    (title.as_str(), *total, *noun),
                    ("Every test", 20_000, "rows")
                );
                assert!(*omitted > 0 && *omitted < 20_000);
            }
            other => panic!("{other:?}"),
        }
        for line in md.lines().filter(|l| l.starts_with("| row")) {
            assert!(line.ends_with(" |"), "cut table row: {line}");
        }
        assert!(md.len() > MAX_BYTES - NOTE_RESERVE - OMISSION_RESERVE - 200);
    }

    #[test]
    fn a_huge_line_of_multi_byte_characters_is_cut_at_a_character_boundary() {
        for budget in [MAX_BYTES, MAX_BYTES - 1, MAX_BYTES - 2, MAX_BYTES - 3] {
            let mut s = Summary::new();
            s.section(Priority::High, Some("Verdict")).text("ok");
            s.section(Priority::Low, Some("Log"))
                .text(&"日本🚀é".repeat(200_000));
            let r = s.render_within(budget);
            assert!(r.markdown.len() <= budget);
            assert!(r.markdown.contains("日本🚀é日本"));
            assert!(r.markdown.contains("…\n"));
            assert!(
                r.markdown.contains("1 more lines omitted")
                    || r.markdown.contains("more lines omitted")
            );
        }
    }

    #[test]
    fn what_the_step_already_wrote_counts_against_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::for_test(dir.path()).unwrap();
        let file = dir.path().join("summary");
        std::fs::write(&file, "x".repeat(MAX_BYTES - 10_000)).unwrap();
        let mut s = Summary::new();
        s.section(Priority::Normal, Some("Big"))
            .code("text", &"line\n".repeat(10_000));
        let cut = rt.write_summary(&s).unwrap();
        assert_eq!(cut.len(), 1);
        let written = std::fs::read_to_string(&file).unwrap();
        assert!(written.len() <= MAX_BYTES, "{}", written.len());
        let tail = &written[MAX_BYTES - 10_000..];
        assert!(tail.starts_with("### Big\n\n```text\nline\n"), "{tail}");
        assert!(tail.contains("```\n\n_…"), "code fence closed: {tail}");
    }

    #[test]
    fn a_secret_cut_by_shortening_is_still_redacted() {
        const SECRET: &str = "cut-secret-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKLMNOP";
        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::for_test(dir.path()).unwrap();
        rt.mask_str(SECRET);
        let file = dir.path().join("summary");
        std::fs::write(&file, "x".repeat(MAX_BYTES - 10_000)).unwrap();
        // One long line that the cut falls inside of, around the secret's middle.
        let line = format!("{}{SECRET}{}", "a".repeat(5_700), "b".repeat(20_000));
        let mut s = Summary::new();
        s.section(Priority::Low, Some("Log")).text(&line);
        rt.write_summary(&s).unwrap();
        let written = std::fs::read_to_string(&file).unwrap();
        assert!(written.len() <= MAX_BYTES, "{}", written.len());
        assert!(written.contains("omitted"), "the section was shortened");
        assert!(
            !written.contains(&SECRET[..12]),
            "a prefix of the secret leaked"
        );
    }

    #[test]
    fn a_short_secret_redacted_to_stars_does_not_push_the_summary_past_the_cap() {
        // Two bytes that become three once redacted.
        const SECRET: &str = "\u{1c2}";
        let dir = tempfile::tempdir().unwrap();
        let rt = Runtime::for_test(dir.path()).unwrap();
        rt.mask_str(SECRET);
        let file = dir.path().join("summary");
        std::fs::write(&file, "x".repeat(MAX_BYTES - 10_000)).unwrap();
        let mut s = Summary::new();
        s.section(Priority::Low, Some("Tokens"))
            .text(&format!("{}\n", SECRET.repeat(4)).repeat(1_000));
        rt.write_summary(&s).unwrap();
        let written = std::fs::read_to_string(&file).unwrap();
        assert!(written.len() <= MAX_BYTES, "{}", written.len() - MAX_BYTES);
        assert!(!written.contains(SECRET));
    }

    #[test]
    fn titles_cells_and_code_are_redacted_as_they_are_added() {
        let rt = Runtime::plain_for_test();
        rt.mask_str("added-secret-77");
        let mut s = Summary::new();
        s.section(Priority::High, Some("for added-secret-77"))
            .table(&["k"], &[vec!["added-secret-77".into()]])
            .code("sh", "echo added-secret-77");
        assert!(!s.render().contains("added-secret-77"), "{}", s.render());
    }

    #[test]
    fn a_full_file_drops_everything_and_keeps_the_limit() {
        let mut s = Summary::new();
        s.section(Priority::High, Some("A")).text(&"a".repeat(3000));
        let r = s.render_within(100);
        assert!(r.markdown.len() <= 100);
        assert_eq!(r.shortened, [Shortening::Dropped { title: "A".into() }]);
    }

    #[test]
    fn code_fences_outgrow_backticks_in_the_code() {
        let mut s = Summary::new();
        s.section(Priority::Normal, None)
            .code("md", "```\ninner\n```");
        assert_eq!(s.render(), "````md\n```\ninner\n```\n````\n\n");
    }

    #[test]
    fn outside_actions_the_summary_is_printed() {
        let rt = Runtime::plain_for_test();
        let mut s = Summary::new();
        s.section(Priority::High, Some("Done")).text("ok");
        rt.write_summary(&s).unwrap();
        assert_eq!(rt.captured(), "### Done\n\nok\n");
    }
}
