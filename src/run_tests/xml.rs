//! A streaming walk over a result or coverage XML file, shared by every XML parser.
//!
//! quick-xml reads events into one reused buffer without building a tree, so memory follows
//! the largest single tag or text node, not the file. A `<!DOCTYPE>` with an internal subset
//! (where entities are declared) is refused, and so is any entity other than the five
//! predefined ones and character references: no billion laughs, no external entities
//! (<https://owasp.org/www-community/vulnerabilities/XML_External_Entity_(XXE)_Processing>).
//! A DOCTYPE that only names an external DTD (JaCoCo's `report.dtd`, Cobertura's
//! `coverage-04.dtd`) is accepted and never fetched. A UTF-8 byte order mark is skipped.
//!
//! Positions in errors are byte offsets; [`locate`] turns them into a line and column by
//! reading the input again, which only happens on the error path.

use std::borrow::Cow;
use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// The most text kept for one element (a failure's stack trace, a message); the rest is
/// dropped so a huge `system-out` cannot grow memory.
pub const TEXT_LIMIT: usize = 16 * 1024;

/// One step of the walk.
#[derive(Debug)]
pub enum Node<'a> {
    /// An element opened; for an empty element a [`Node::Close`] follows at once.
    Open {
        /// Local name (namespace prefix dropped).
        name: &'a str,
        /// Attributes by local name, values unescaped.
        attrs: &'a Attrs<'a>,
        /// Elements above this one, outermost first (local names).
        parents: &'a [String],
    },
    /// An element closed.
    Close {
        /// Local name.
        name: &'a str,
        /// Its direct text (CDATA included), at most [`TEXT_LIMIT`] bytes, untrimmed; empty for
        /// elements whose text no parser reads ([`SKIPPED_TEXT`]).
        text: &'a str,
        /// Elements above this one.
        parents: &'a [String],
    },
}

/// Elements whose text is never kept: captured output can be most of a result file, and no
/// report shows it (a failure's own text carries the trace).
pub const SKIPPED_TEXT: &[&str] = &["system-out", "system-err", "StdOut", "StdErr"];

/// The attributes of one opening tag, scanned once into spans of the parser's buffer: nothing
/// is copied unless a value holds an entity.
#[derive(Debug)]
pub struct Attrs<'a> {
    raw: &'a str,
    spans: &'a [Span],
    owned: &'a [(String, String)],
}

/// Byte ranges of one attribute's local name and raw value in the tag's text.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    key: (usize, usize),
    value: (usize, usize),
}

/// Scans the attributes of `e` into `spans` (and `owned`, for values the parser had to copy).
fn scan(e: &BytesStart<'_>, spans: &mut Vec<Span>, owned: &mut Vec<(String, String)>) {
    spans.clear();
    owned.clear();
    let raw: &str = e;
    let base = raw.as_ptr() as usize;
    let within = |s: &str| {
        let start = (s.as_ptr() as usize).wrapping_sub(base);
        (start <= raw.len() && start + s.len() <= raw.len()).then_some((start, start + s.len()))
    };
    for attr in e.attributes().with_checks(false).flatten() {
        let key = attr.key.local_name().into_inner();
        let spanned = match &attr.value {
            Cow::Borrowed(v) => within(key).zip(within(v)),
            Cow::Owned(_) => None,
        };
        match spanned {
            Some((key, value)) => spans.push(Span { key, value }),
            None => owned.push((key.to_owned(), attr.value.into_owned())),
        }
    }
}

impl<'a> Attrs<'a> {
    /// The value of the attribute with this local name, entities resolved.
    pub fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        let raw: &'a str = self.raw;
        let text: Cow<'a, str> = match self
            .spans
            .iter()
            .find(|s| raw.get(s.key.0..s.key.1) == Some(name))
        {
            Some(s) => Cow::Borrowed(raw.get(s.value.0..s.value.1)?),
            None => {
                let owned: &'a [(String, String)] = self.owned;
                Cow::Borrowed(owned.iter().find(|(k, _)| k == name)?.1.as_str())
            }
        };
        if !text.contains('&') {
            return Some(text);
        }
        Some(Cow::Owned(
            quick_xml::escape::unescape(&text)
                .map(Cow::into_owned)
                .unwrap_or_else(|_| text.into_owned()),
        ))
    }

    /// The value parsed as a number, when present and numeric.
    pub fn num(&self, name: &str) -> Option<f64> {
        self.get(name)?
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
    }
}

/// Where and why a document stopped being acceptable XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    /// Byte offset in the input.
    pub offset: u64,
    /// What went wrong, lower-case.
    pub message: String,
}

/// Walks the document in `input`, calling `f` for each opened and closed element. `f` may
/// stop the walk with an error message (reported at the current position).
pub fn walk<R: BufRead>(
    input: R,
    mut f: impl FnMut(Node<'_>) -> Result<(), String>,
) -> Result<(), XmlError> {
    let mut reader = Reader::from_reader(input);
    let mut buf = Vec::with_capacity(64 * 1024);
    // The open elements and their texts; the strings are reused, so a deep walk allocates only
    // once per depth, not once per element.
    let mut path: Vec<String> = Vec::new();
    let mut texts: Vec<String> = Vec::new();
    let mut depth = 0usize;
    // Whether the innermost element keeps its text.
    let mut keep: Vec<bool> = Vec::new();
    let mut saw_root = false;
    let mut after_ref = false;
    let mut spans: Vec<Span> = Vec::new();
    let mut owned: Vec<(String, String)> = Vec::new();
    let at = |reader: &Reader<R>, message: String| XmlError {
        offset: reader.buffer_position(),
        message,
    };
    loop {
        buf.clear();
        let event = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                return Err(XmlError {
                    offset: reader.error_position(),
                    message: format!("not valid XML: {}", lower_first(&e.to_string())),
                });
            }
        };
        let was_ref = std::mem::replace(&mut after_ref, false);
        match event {
            Event::Start(_) | Event::Empty(_) if depth == 0 && saw_root => {
                return Err(at(
                    &reader,
                    "not valid XML: more than one root element".into(),
                ));
            }
            Event::Start(e) => {
                saw_root = true;
                let name = local_name(&e);
                scan(&e, &mut spans, &mut owned);
                let attrs = Attrs {
                    raw: &e,
                    spans: &spans,
                    owned: &owned,
                };
                f(Node::Open {
                    name,
                    attrs: &attrs,
                    parents: &path[..depth],
                })
                .map_err(|m| at(&reader, m))?;
                if path.len() == depth {
                    path.push(String::new());
                    texts.push(String::new());
                }
                path[depth].clear();
                path[depth].push_str(name);
                texts[depth].clear();
                keep.truncate(depth);
                keep.push(!SKIPPED_TEXT.contains(&name));
                depth += 1;
            }
            Event::Empty(e) => {
                saw_root = true;
                let name = local_name(&e);
                scan(&e, &mut spans, &mut owned);
                let attrs = Attrs {
                    raw: &e,
                    spans: &spans,
                    owned: &owned,
                };
                f(Node::Open {
                    name,
                    attrs: &attrs,
                    parents: &path[..depth],
                })
                .map_err(|m| at(&reader, m))?;
                f(Node::Close {
                    name,
                    text: "",
                    parents: &path[..depth],
                })
                .map_err(|m| at(&reader, m))?;
            }
            Event::End(_) => {
                if depth == 0 {
                    return Err(at(&reader, "not valid XML: unexpected closing tag".into()));
                }
                depth -= 1;
                f(Node::Close {
                    name: &path[depth],
                    text: &texts[depth],
                    parents: &path[..depth],
                })
                .map_err(|m| at(&reader, m))?;
            }
            Event::Text(t) => {
                let blank = t.bytes().all(|b| b.is_ascii_whitespace());
                if depth == 0 {
                    if !blank && !t.xml10_content().trim().is_empty() {
                        return Err(at(
                            &reader,
                            "not valid XML: text outside the root element".into(),
                        ));
                    }
                } else if keep[depth - 1]
                    && (!blank || was_ref)
                    && texts[depth - 1].len() < TEXT_LIMIT
                {
                    push_capped(&mut texts[depth - 1], &t.xml10_content());
                }
            }
            Event::CData(t) if depth > 0 && keep[depth - 1] => {
                push_capped(&mut texts[depth - 1], &t);
            }
            Event::GeneralRef(r) => {
                after_ref = true;
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => {
                        let name: String = (*r).to_owned();
                        match quick_xml::escape::resolve_predefined_entity(&name) {
                            Some(s) => s.to_owned(),
                            None => {
                                return Err(at(
                                    &reader,
                                    format!(
                                        "entity `&{name};` is refused: only the predefined XML entities are read"
                                    ),
                                ));
                            }
                        }
                    }
                };
                if depth > 0 && keep[depth - 1] {
                    push_capped(&mut texts[depth - 1], &resolved);
                }
            }
            Event::DocType(d) => {
                let body: &str = &d;
                if body.contains('[') || body.contains("<!ENTITY") {
                    return Err(at(
                        &reader,
                        "a DTD with declarations is refused: result files never need one".into(),
                    ));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if depth > 0 {
        return Err(XmlError {
            offset: reader.buffer_position(),
            message: format!(
                "not valid XML: the file ends inside `<{}>`",
                path[depth - 1]
            ),
        });
    }
    if !saw_root {
        return Err(XmlError {
            offset: 0,
            message: "not valid XML: no root element".into(),
        });
    }
    Ok(())
}

/// The local name of an element (namespace prefix dropped).
fn local_name<'a>(e: &'a BytesStart<'a>) -> &'a str {
    e.local_name().into_inner()
}

/// Appends `s` to `text` while `text` stays within [`TEXT_LIMIT`], cutting at a character
/// boundary.
pub fn push_capped(text: &mut String, s: &str) {
    let room = TEXT_LIMIT.saturating_sub(text.len());
    if room == 0 {
        return;
    }
    if s.len() <= room {
        text.push_str(s);
    } else {
        let mut end = room;
        while end > 0 && !s.is_char_boundary(end) {
            end -= 1;
        }
        text.push_str(&s[..end]);
    }
}

/// The 1-based line and column of byte `offset` in `input` (columns count characters).
pub fn locate<R: BufRead>(mut input: R, offset: u64) -> (usize, usize) {
    let mut line = 1;
    let mut line_start: Vec<u8> = Vec::new();
    let mut seen: u64 = 0;
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) if !c.is_empty() => c,
            _ => break,
        };
        let take = usize::try_from(offset.saturating_sub(seen))
            .unwrap_or(usize::MAX)
            .min(chunk.len());
        for &b in &chunk[..take] {
            if b == b'\n' {
                line += 1;
                line_start.clear();
            } else if line_start.len() < 1 << 20 {
                line_start.push(b);
            }
        }
        input.consume(take);
        seen += take as u64;
        if seen >= offset || take == 0 {
            break;
        }
    }
    let bom = if line == 1 && line_start.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let column = String::from_utf8_lossy(&line_start[bom..]).chars().count() + 1;
    (line, column)
}

fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(xml: &str) -> Result<Vec<String>, XmlError> {
        let mut out = Vec::new();
        walk(xml.as_bytes(), |n| {
            if let Node::Close { name, text, .. } = n {
                out.push(format!("{name}={}", text.trim()));
            }
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn texts_entities_and_cdata_are_read() {
        let got = names("<a><b>x &amp; y&#33;<![CDATA[<z>]]></b><c/></a>").unwrap();
        assert_eq!(got, vec!["b=x & y!<z>", "c=", "a="]);
    }

    #[test]
    fn attributes_are_read_by_local_name_with_entities_resolved() {
        let xml = r#"<a xmlns:x="u" x:name="one &amp; two" time=" 1.5 " empty=""/>"#;
        let mut seen = Vec::new();
        walk(xml.as_bytes(), |n| {
            if let Node::Open { attrs, .. } = n {
                seen.push((
                    attrs.get("name").map(Cow::into_owned),
                    attrs.num("time"),
                    attrs.get("empty").map(Cow::into_owned),
                    attrs.get("missing").map(Cow::into_owned),
                ));
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(
            seen,
            vec![(
                Some("one & two".into()),
                Some(1.5),
                Some(String::new()),
                None
            )]
        );
    }

    #[test]
    fn a_byte_order_mark_is_skipped() {
        let got = names("\u{feff}<?xml version=\"1.0\"?><a/>").unwrap();
        assert_eq!(got, vec!["a="]);
    }

    #[test]
    fn entity_declarations_are_refused() {
        let xml = "<?xml version=\"1.0\"?>\n<!DOCTYPE a [<!ENTITY x \"xxxxxxxx\"><!ENTITY y \"&x;&x;&x;\">]>\n<a>&y;</a>";
        let err = names(xml).unwrap_err();
        assert!(err.message.contains("DTD"), "{}", err.message);
    }

    #[test]
    fn unknown_entities_are_refused() {
        let err = names("<a>&xxe;</a>").unwrap_err();
        assert!(err.message.contains("`&xxe;`"), "{}", err.message);
    }

    #[test]
    fn an_external_doctype_is_accepted_and_not_fetched() {
        let xml =
            "<!DOCTYPE report PUBLIC \"-//JACOCO//DTD Report 1.1//EN\" \"report.dtd\"><report/>";
        assert_eq!(names(xml).unwrap(), vec!["report="]);
    }

    #[test]
    fn errors_are_located_by_line_and_column() {
        let xml = "<a>\n  <b>\n</a>";
        let err = names(xml).unwrap_err();
        let (line, col) = locate(xml.as_bytes(), err.offset);
        assert_eq!((line, col), (3, 1), "{err:?}");
    }

    #[test]
    fn a_truncated_file_is_an_error() {
        let err = names("<a><b>").unwrap_err();
        assert!(err.message.contains("ends inside `<b>`"), "{}", err.message);
    }

    #[test]
    fn long_texts_are_capped() {
        let xml = format!("<a>{}</a>", "é".repeat(TEXT_LIMIT));
        let mut len = 0;
        walk(xml.as_bytes(), |n| {
            if let Node::Close { text, .. } = n {
                len = text.len();
            }
            Ok(())
        })
        .unwrap();
        assert!(len <= TEXT_LIMIT && len > TEXT_LIMIT - 2);
    }
}
