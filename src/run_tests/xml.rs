//! A streaming scan of a result or coverage XML file, shared by every XML parser.
//!
//! Result files are big and simple, so this is a hand-written byte scanner rather than a
//! general XML reader: `memchr` finds the next `<` or `&`, text between tags is skipped unless
//! a parser reads it, comments, processing instructions and CDATA sections are skipped by
//! searching for their end, and attributes are split only on the elements a [`Visitor`] asks
//! for ([`Visitor::wants`]). The file is read in chunks of [`CHUNK`] bytes into one buffer;
//! only a single tag must fit in it (up to [`MAX_TOKEN`]), so memory does not follow the file.
//!
//! It still checks what makes a result file trustworthy: one root element, every tag closed by
//! its own name, no text outside the root, no unterminated construct. A `<!DOCTYPE>` with an
//! internal subset (where entities are declared) is refused, and so is any entity other than
//! the five predefined ones and character references: no billion laughs, no external entities
//! (<https://owasp.org/www-community/vulnerabilities/XML_External_Entity_(XXE)_Processing>).
//! A DOCTYPE that only names an external DTD (JaCoCo's `report.dtd`, Cobertura's
//! `coverage-04.dtd`) is accepted and never fetched. A UTF-8 byte order mark is skipped.
//!
//! Positions in errors are byte offsets; [`locate`] turns them into a line and column by
//! reading the input again, which only happens on the error path.

use std::borrow::Cow;
use std::io::{BufRead, ErrorKind, Read};

use memchr::memmem;

/// The most text kept for one element (a failure's stack trace, a message); the rest is
/// dropped so a huge `system-out` cannot grow memory.
pub const TEXT_LIMIT: usize = 16 * 1024;

/// Bytes read at a time.
pub const CHUNK: usize = 256 * 1024;

/// The longest single tag, entity or DOCTYPE; text, comments and CDATA may be any length.
pub const MAX_TOKEN: usize = 8 * 1024 * 1024;

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
        /// Whether the element is self-closing (`<a/>`): it has no children or text.
        empty: bool,
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

/// What a parser does with the walk.
pub trait Visitor {
    /// Whether the parser reads elements with this local name: the others are still checked
    /// for nesting, but their attributes are not split, their text is not kept and
    /// [`Visitor::node`] does not see them. The root element is always seen.
    fn wants(&self, _name: &str) -> bool {
        true
    }

    /// Whether the text of a wanted element is kept for its [`Node::Close`]; by default all
    /// but captured output ([`SKIPPED_TEXT`]).
    fn keeps_text(&self, name: &str) -> bool {
        !SKIPPED_TEXT.contains(&name)
    }

    /// Handles one node; an error stops the walk at the end of the current tag.
    fn node(&mut self, node: Node<'_>) -> Result<(), String>;
}

/// A closure that sees every element.
struct Every<F>(F);

impl<F: FnMut(Node<'_>) -> Result<(), String>> Visitor for Every<F> {
    fn node(&mut self, node: Node<'_>) -> Result<(), String> {
        (self.0)(node)
    }
}

/// The attributes of one opening tag, split once into spans of the tag's text: nothing is
/// copied unless a value holds an entity.
#[derive(Debug)]
pub struct Attrs<'a> {
    raw: &'a str,
    spans: &'a [Span],
}

/// Byte ranges of one attribute's local name and raw value in the tag's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    key: (usize, usize),
    value: (usize, usize),
    /// Whether the value holds a `&` (an entity to resolve).
    escaped: bool,
}

impl<'a> Attrs<'a> {
    /// The value of the attribute with this local name, entities resolved.
    pub fn get(&self, name: &str) -> Option<Cow<'a, str>> {
        let s = self.spans.iter().find(|s| self.key(s) == name.as_bytes())?;
        Some(self.value(s))
    }

    /// The attributes in order: a hot loop matches each [`Attrs::key`] as bytes (no string
    /// comparison) and resolves only the [`Attrs::value`]s it keeps.
    pub fn spans(&self) -> &'a [Span] {
        self.spans
    }

    /// The local name of the attribute at `span`, as bytes.
    #[inline(always)]
    pub fn key(&self, span: &Span) -> &'a [u8] {
        let raw: &'a str = self.raw;
        raw.as_bytes()
            .get(span.key.0..span.key.1)
            .unwrap_or_default()
    }

    /// The value of the attribute at `span`, entities resolved.
    #[inline(always)]
    pub fn value(&self, span: &Span) -> Cow<'a, str> {
        let raw: &'a str = self.raw;
        let text = raw.get(span.value.0..span.value.1).unwrap_or_default();
        if span.escaped {
            Cow::Owned(unescape_value(text))
        } else {
            Cow::Borrowed(text)
        }
    }

    /// The value parsed as a number, when present and numeric.
    pub fn num(&self, name: &str) -> Option<f64> {
        number(&self.get(name)?)
    }
}

/// An attribute value with its entities resolved; an unknown entity is kept as written: it is
/// never expanded. Out of line: values rarely hold one.
#[cold]
fn unescape_value(text: &str) -> String {
    unescape(text).unwrap_or_else(|| text.to_owned())
}

/// `bytes` as text: a tag is nearly always ASCII, which is checked eight bytes at a time, at
/// less cost than full UTF-8 validation of a tag's hundred bytes.
fn utf8(bytes: &[u8]) -> Result<&str, std::str::Utf8Error> {
    let mut words = bytes.chunks_exact(8);
    let mut any = 0u64;
    for word in words.by_ref() {
        any |= <[u8; 8]>::try_from(word).map_or(u64::MAX, u64::from_le_bytes);
    }
    for &b in words.remainder() {
        any |= u64::from(b);
    }
    if any & 0x8080_8080_8080_8080 == 0 {
        // SAFETY: every ASCII byte sequence is valid UTF-8.
        return Ok(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes)
}

/// `text` as a finite number, surrounding whitespace allowed.
///
/// Plain decimals (`0.013`, `42`), which is what result and coverage files hold in almost every
/// attribute, skip the general parser: with at most 15 digits the digits form an exact
/// integer and 10^k (k <= 14) is exact, so one division gives the correctly rounded value, the
/// same one `str::parse` gives.
pub fn number(text: &str) -> Option<f64> {
    const POW10: [f64; 15] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
    ];
    let b = text.as_bytes();
    if !b.is_empty() && b.len() <= 15 && b[0].is_ascii_digit() {
        let mut digits: u64 = 0;
        let mut point = None;
        let mut plain = true;
        for (i, &c) in b.iter().enumerate() {
            match c {
                b'0'..=b'9' => digits = digits * 10 + u64::from(c - b'0'),
                b'.' if point.is_none() => point = Some(i),
                _ => {
                    plain = false;
                    break;
                }
            }
        }
        if plain {
            let scale = point.map_or(0, |i| b.len() - 1 - i);
            return Some(digits as f64 / POW10[scale]);
        }
    }
    text.trim().parse::<f64>().ok().filter(|v| v.is_finite())
}

/// Where and why a document stopped being acceptable XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    /// Byte offset in the input.
    pub offset: u64,
    /// What went wrong, lower-case.
    pub message: String,
}

fn fail(offset: u64, message: impl Into<String>) -> XmlError {
    XmlError {
        offset,
        message: message.into(),
    }
}

/// The input, read chunk by chunk into one buffer; `buf[..end]` holds the bytes from offset
/// `base` on.
struct Input<R> {
    r: R,
    buf: Vec<u8>,
    end: usize,
    base: u64,
    eof: bool,
}

impl<R: Read> Input<R> {
    /// Drops `buf[..keep]` (indices shift down by `keep`) and reads more after what is left.
    /// False when the input is exhausted and nothing was added.
    fn more(&mut self, keep: usize) -> Result<bool, XmlError> {
        if keep > 0 {
            self.buf.copy_within(keep..self.end, 0);
            self.end -= keep;
            self.base += keep as u64;
        }
        if self.eof {
            return Ok(false);
        }
        if self.end == self.buf.len() {
            if self.buf.len() >= MAX_TOKEN {
                return Err(fail(
                    self.base,
                    format!(
                        "a single tag is longer than {} MiB: not a result file",
                        MAX_TOKEN >> 20
                    ),
                ));
            }
            self.buf.resize((self.buf.len() * 2).min(MAX_TOKEN), 0);
        }
        loop {
            match self.r.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(fail(self.base + self.end as u64, format!("reading: {e}"))),
            }
        }
    }

    /// Makes `buf[pos..]` hold at least `n` bytes unless the input ends first; returns the new
    /// `pos` (0 when the buffer was compacted).
    fn ensure(&mut self, pos: usize, n: usize) -> Result<usize, XmlError> {
        let mut pos = pos;
        while self.end - pos < n {
            let kept = pos;
            pos = 0;
            if !self.more(kept)? {
                break;
            }
        }
        Ok(pos)
    }
}

/// The open elements: local names for the parsers, qualified names to match closing tags,
/// texts being kept. Strings are reused, so a deep walk allocates once per depth.
#[derive(Default)]
struct Stack {
    names: Vec<String>,
    qnames: Vec<Vec<u8>>,
    texts: Vec<Vec<u8>>,
    /// Whether the element is seen by the visitor, and whether its text is kept.
    seen: Vec<(bool, bool)>,
    depth: usize,
}

impl Stack {
    fn push(&mut self, local: &str, qname: &[u8], seen: bool, keep: bool) {
        let d = self.depth;
        if self.names.len() == d {
            self.names.push(String::new());
            self.qnames.push(Vec::new());
            self.texts.push(Vec::new());
            self.seen.push((false, false));
        }
        self.names[d].clear();
        self.names[d].push_str(local);
        self.qnames[d].clear();
        self.qnames[d].extend_from_slice(qname);
        self.texts[d].clear();
        self.seen[d] = (seen, keep);
        self.depth += 1;
    }

    /// Appends text to the innermost element when it keeps text.
    fn text(&mut self, bytes: &[u8]) {
        if let Some(d) = self.depth.checked_sub(1)
            && self.seen[d].1
        {
            let t = &mut self.texts[d];
            let room = TEXT_LIMIT.saturating_sub(t.len());
            t.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
    }
}

/// Walks the document in `input`, calling `f` for each opened and closed element. `f` may
/// stop the walk with an error message (reported at the current position).
pub fn walk<R: Read>(
    input: R,
    f: impl FnMut(Node<'_>) -> Result<(), String>,
) -> Result<(), XmlError> {
    walk_with(input, &mut Every(f))
}

/// Walks the document in `input` for `v`: only the elements it wants are split and shown.
pub fn walk_with<R: Read, V: Visitor + ?Sized>(input: R, v: &mut V) -> Result<(), XmlError> {
    let mut inp = Input {
        r: input,
        buf: vec![0; CHUNK],
        end: 0,
        base: 0,
        eof: false,
    };
    let mut st = Stack::default();
    let mut spans: Vec<Span> = Vec::new();
    let mut text_out = String::new();
    let mut saw_root = false;
    let mut pos = inp.ensure(0, 3)?;
    if inp.buf[pos..inp.end].starts_with(b"\xEF\xBB\xBF") {
        pos += 3;
    }
    loop {
        if pos >= inp.end {
            let kept = pos;
            pos = 0;
            if !inp.more(kept)? {
                break;
            }
            continue;
        }
        let hay = &inp.buf[pos..inp.end];
        // Between tags there is mostly a line break and indentation: a look at the next eight
        // bytes finds the `<` sooner than a vector search, which pays off only on longer text.
        let k = match gap(hay) {
            Some(k) if hay[k] == b'<' => Some(k),
            _ => memchr::memchr2(b'<', b'&', hay),
        };
        let Some(k) = k else {
            text(&mut st, hay, inp.base + pos as u64)?;
            pos = inp.end;
            continue;
        };
        if k > 0 {
            text(&mut st, &hay[..k], inp.base + pos as u64)?;
            pos += k;
        }
        let at = |inp: &Input<R>, pos: usize| inp.base + pos as u64;
        if inp.buf[pos] == b'&' {
            if st.depth == 0 {
                return Err(fail(
                    at(&inp, pos),
                    "not valid XML: text outside the root element",
                ));
            }
            pos = inp.ensure(pos, 64)?;
            let window = &inp.buf[pos + 1..inp.end.min(pos + 64)];
            let Some(semi) = memchr::memchr(b';', window) else {
                return Err(fail(
                    at(&inp, pos),
                    "not valid XML: a `&` that starts no entity (write `&amp;`)",
                ));
            };
            let body = &window[..semi];
            let mut utf8 = [0u8; 4];
            let resolved: &[u8] = match entity(body) {
                Some(c) => c.encode_utf8(&mut utf8).as_bytes(),
                None => {
                    return Err(fail(
                        at(&inp, pos),
                        format!(
                            "entity `&{};` is refused: only the predefined XML entities are read",
                            String::from_utf8_lossy(body)
                        ),
                    ));
                }
            };
            st.text(resolved);
            pos += semi + 2;
            continue;
        }
        // A `<`: what follows says what it starts.
        pos = inp.ensure(pos, 9)?;
        let rest = &inp.buf[pos..inp.end];
        match rest.get(1).copied() {
            None => {
                return Err(fail(
                    at(&inp, pos),
                    "not valid XML: the file ends inside a tag",
                ));
            }
            Some(b'/') => {
                let (gt, p) = find_in(
                    &mut inp,
                    pos,
                    2,
                    |h| memchr::memchr(b'>', h),
                    "a closing tag",
                )?;
                pos = p;
                let qname = inp.buf[pos + 2..gt].trim_ascii();
                let Some(d) = st.depth.checked_sub(1) else {
                    return Err(fail(at(&inp, pos), "not valid XML: unexpected closing tag"));
                };
                if st.qnames[d] != qname {
                    return Err(fail(
                        at(&inp, pos),
                        format!(
                            "not valid XML: expected `</{}>`, found `</{}>`",
                            String::from_utf8_lossy(&st.qnames[d]),
                            String::from_utf8_lossy(qname)
                        ),
                    ));
                }
                st.depth = d;
                if st.seen[d].0 {
                    text_out.clear();
                    text_out.push_str(&utf8_text(&st.texts[d]));
                    v.node(Node::Close {
                        name: &st.names[d],
                        text: &text_out,
                        parents: &st.names[..d],
                    })
                    .map_err(|m| fail(at(&inp, gt + 1), m))?;
                }
                pos = gt + 1;
            }
            Some(b'?') => {
                pos = skip_until(
                    &mut inp,
                    &mut st,
                    pos,
                    2,
                    b"?>",
                    false,
                    "a processing instruction",
                )?;
            }
            Some(b'!') if rest.starts_with(b"<!--") => {
                pos = skip_until(&mut inp, &mut st, pos, 4, b"-->", false, "a comment")?;
            }
            Some(b'!') if rest.starts_with(b"<![CDATA[") => {
                if st.depth == 0 {
                    return Err(fail(
                        at(&inp, pos),
                        "not valid XML: text outside the root element",
                    ));
                }
                pos = skip_until(&mut inp, &mut st, pos, 9, b"]]>", true, "a CDATA section")?;
            }
            Some(b'!') if rest.starts_with(b"<!DOCTYPE") => {
                // Its `>`, or the `[` of an internal subset.
                let (stop, p) = find_in(
                    &mut inp,
                    pos,
                    9,
                    |h| memchr::memchr2(b'>', b'[', h),
                    "a DOCTYPE",
                )?;
                pos = p;
                if inp.buf[stop] == b'[' {
                    return Err(fail(
                        at(&inp, pos),
                        "a DTD with declarations is refused: result files never need one",
                    ));
                }
                pos = stop + 1;
            }
            Some(b'!') => {
                return Err(fail(
                    at(&inp, pos),
                    "not valid XML: `<!` starts no comment, CDATA section or DOCTYPE",
                ));
            }
            Some(_) => {
                let (gt, plain) = match plain_tag(&inp.buf[pos..inp.end], &mut spans) {
                    Some((len, name_len)) => (pos + len, Some(name_len)),
                    None => {
                        let (gt, p) = find_tag_end(&mut inp, pos)?;
                        pos = p;
                        (gt, None)
                    }
                };
                let start = at(&inp, pos);
                let mut tag = &inp.buf[pos + 1..gt];
                let empty = tag.last() == Some(&b'/');
                if empty {
                    tag = &tag[..tag.len() - 1];
                }
                let name_end = plain.unwrap_or_else(|| {
                    tag.iter()
                        .position(|b| b.is_ascii_whitespace())
                        .unwrap_or(tag.len())
                });
                let qname = &tag[..name_end];
                // A plain tag's name stopped before any `<`.
                if qname.is_empty() || (plain.is_none() && qname.contains(&b'<')) {
                    return Err(fail(start, "not valid XML: a `<` that starts no tag"));
                }
                if st.depth == 0 && saw_root {
                    return Err(fail(start, "not valid XML: more than one root element"));
                }
                saw_root = true;
                // The whole tag is validated once; when it is not UTF-8, the name alone must
                // be, and the attributes only matter if the element is seen.
                let (qname_str, tag_str) = match utf8(tag) {
                    Ok(t) => (t.get(..name_end).unwrap_or_default(), Some(t)),
                    Err(_) => match std::str::from_utf8(qname) {
                        Ok(q) => (q, None),
                        Err(_) => {
                            return Err(fail(start, "not valid XML: an element name is not UTF-8"));
                        }
                    },
                };
                let local = match qname.iter().rposition(|&b| b == b':') {
                    Some(c) => &qname_str[c + 1..],
                    None => qname_str,
                };
                let seen = st.depth == 0 || v.wants(local);
                if seen {
                    let Some(tag) = tag_str else {
                        return Err(fail(
                            start,
                            format!("not valid XML: the attributes of `<{local}>` are not UTF-8"),
                        ));
                    };
                    if plain.is_none() {
                        split_attrs(tag, name_end, &mut spans).map_err(|m| {
                            fail(start, format!("not valid XML: in `<{local}>`: {m}"))
                        })?;
                    }
                    let attrs = Attrs {
                        raw: tag,
                        spans: &spans,
                    };
                    let parents = &st.names[..st.depth];
                    v.node(Node::Open {
                        name: local,
                        attrs: &attrs,
                        parents,
                        empty,
                    })
                    .map_err(|m| fail(at(&inp, gt + 1), m))?;
                    if empty {
                        v.node(Node::Close {
                            name: local,
                            text: "",
                            parents,
                        })
                        .map_err(|m| fail(at(&inp, gt + 1), m))?;
                    }
                }
                if !empty {
                    let keep = seen && v.keeps_text(local);
                    st.push(local, qname, seen, keep);
                }
                pos = gt + 1;
            }
        }
    }
    let end = inp.base + inp.end as u64;
    if let Some(d) = st.depth.checked_sub(1) {
        return Err(fail(
            end,
            format!("not valid XML: the file ends inside `<{}>`", st.names[d]),
        ));
    }
    if !saw_root {
        return Err(fail(0, "not valid XML: no root element"));
    }
    Ok(())
}

/// The index of the first byte among the first eight of `bytes` that is not XML white space
/// (space, tab, line feed, carriage return); `None` when all eight are, or fewer remain.
fn gap(bytes: &[u8]) -> Option<usize> {
    let word = u64::from_le_bytes(<[u8; 8]>::try_from(bytes.get(..8)?).ok()?);
    let space = eq_bytes(word, b' ')
        | eq_bytes(word, b'\n')
        | eq_bytes(word, b'\t')
        | eq_bytes(word, b'\r');
    let other = !space & 0x8080_8080_8080_8080;
    (other != 0).then(|| other.trailing_zeros() as usize / 8)
}

/// Text between tags: kept for the innermost element when it keeps text; outside the root
/// only whitespace is allowed.
fn text(st: &mut Stack, bytes: &[u8], offset: u64) -> Result<(), XmlError> {
    if st.depth == 0 {
        if let Some(i) = bytes.iter().position(|b| !b.is_ascii_whitespace()) {
            return Err(fail(
                offset + i as u64,
                "not valid XML: text outside the root element",
            ));
        }
        return Ok(());
    }
    st.text(bytes);
    Ok(())
}

/// Kept text as a string: a character cut by [`TEXT_LIMIT`] is dropped, invalid UTF-8
/// replaced.
fn utf8_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(e) if e.error_len().is_none() => {
            Cow::Borrowed(std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default())
        }
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// Finds the first byte `find` picks at or after `pos + from`, reading more as needed;
/// returns its index and the (possibly moved) `pos`. `what` names the construct for the error
/// when the file ends first.
fn find_in<R: Read>(
    inp: &mut Input<R>,
    mut pos: usize,
    from: usize,
    find: impl Fn(&[u8]) -> Option<usize>,
    what: &str,
) -> Result<(usize, usize), XmlError> {
    let mut from = from;
    loop {
        if let Some(i) = find(&inp.buf[pos + from..inp.end]) {
            return Ok((pos + from + i, pos));
        }
        from = inp.end - pos;
        let kept = pos;
        pos = 0;
        if !inp.more(kept)? {
            return Err(fail(
                inp.base,
                format!("not valid XML: the file ends inside {what}"),
            ));
        }
    }
}

/// Bytes that end an element's name (`ends[0]`) and, with `:` added, bytes that end an
/// attribute's name or its namespace prefix (`ends[1]`), as tables: names are read byte by byte.
static ENDS_NAME: [[bool; 256]; 2] = {
    let mut t = [[false; 256]; 2];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let ends = b.is_ascii_whitespace() || matches!(b, b'=' | b'/' | b'>' | b'"' | b'\'' | b'<');
        t[0][i] = ends;
        t[1][i] = ends || b == b':';
        i += 1;
    }
    t
};

/// How many bytes at the front of `bytes` belong to a name (`ends`: one of [`ENDS_NAME`]);
/// `None` when the name runs to the end.
fn name_end(bytes: &[u8], ends: &[bool; 256]) -> Option<usize> {
    bytes.iter().position(|&b| ends[usize::from(b)])
}

/// The start tag at the front of `bytes` (which begins with `<`), read in one pass when it is
/// plain and whole in `bytes`: a name, then `key="value"` pairs (double quotes, no space
/// around `=`) each after white space, then `>` or `/>`. Returns the index of the closing `>`
/// and the length of the name, with the attributes in `spans` (indices from `bytes[1]`, as
/// [`split_attrs`] gives them). Most tags of a result file are plain; anything else, and a
/// tag cut by the end of the buffer, gives `None` and goes the careful way ([`find_tag_end`],
/// then [`split_attrs`]), which also words the errors.
///
/// This runs once per test case, and a result file is mostly start tags: names are read byte
/// by byte against a table, values eight bytes at a time ([`closing_quote`]).
fn plain_tag(bytes: &[u8], spans: &mut Vec<Span>) -> Option<(usize, usize)> {
    spans.clear();
    let name_len = name_end(bytes.get(1..)?, &ENDS_NAME[0])?;
    if name_len == 0 {
        return None;
    }
    let mut i = 1 + name_len;
    loop {
        // After the name or a value: the end of the tag, or white space.
        match *bytes.get(i)? {
            b'>' => return Some((i, name_len)),
            b'/' => return (*bytes.get(i + 1)? == b'>').then_some((i + 1, name_len)),
            c if c.is_ascii_whitespace() => i += 1,
            _ => return None,
        }
        i += bytes
            .get(i..)?
            .iter()
            .position(|b| !b.is_ascii_whitespace())?;
        if matches!(bytes[i], b'>' | b'/') {
            continue;
        }
        let key = i;
        let mut local = i;
        loop {
            i += name_end(bytes.get(i..)?, &ENDS_NAME[1])?;
            if bytes[i] != b':' {
                break;
            }
            i += 1;
            local = i;
        }
        if i == key || bytes.get(i + 1) != Some(&b'"') || bytes[i] != b'=' {
            return None;
        }
        let (close, escaped) = closing_quote(bytes, i + 2)?;
        spans.push(Span {
            key: (local - 1, i - 1),
            value: (i + 1, close - 1),
            escaped,
        });
        i = close + 1;
    }
}

/// The index of the first `"` at or after `from`, and whether a `&` comes before it: eight
/// bytes at a time ([`eq_bytes`]) while eight remain.
fn closing_quote(bytes: &[u8], from: usize) -> Option<(usize, bool)> {
    let mut i = from;
    let mut amp = false;
    while let Some(word) = bytes.get(i..i + 8) {
        let word = u64::from_le_bytes(<[u8; 8]>::try_from(word).ok()?);
        let (quotes, amps) = (eq_bytes(word, b'"'), eq_bytes(word, b'&'));
        if quotes != 0 {
            // The bits below the first quote's.
            let before = (quotes & quotes.wrapping_neg()) - 1;
            let at = i + quotes.trailing_zeros() as usize / 8;
            return Some((at, amp || amps & before != 0));
        }
        amp |= amps != 0;
        i += 8;
    }
    for (k, &c) in bytes.get(i..)?.iter().enumerate() {
        match c {
            b'"' => return Some((i + k, amp)),
            b'&' => amp = true,
            _ => {}
        }
    }
    None
}

/// Bit 7 of each byte of the result is set where that byte of `word` equals `byte`, and no
/// other bit is: the lower seven bits of each byte of the difference are added to 0x7f, which
/// carries into bit 7 unless they are all zero, and never into the next byte.
fn eq_bytes(word: u64, byte: u8) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let diff = word ^ (u64::from(byte) * 0x0101_0101_0101_0101);
    !(((diff & LOW7) + LOW7) | diff | LOW7)
}

/// Finds the `>` that ends the start tag at `pos`, skipping quoted attribute values.
fn find_tag_end<R: Read>(inp: &mut Input<R>, mut pos: usize) -> Result<(usize, usize), XmlError> {
    let mut from = 1;
    let mut quote: Option<u8> = None;
    loop {
        let hay = &inp.buf[pos + from..inp.end];
        let found = match quote {
            Some(q) => memchr::memchr(q, hay),
            None => memchr::memchr3(b'>', b'"', b'\'', hay),
        };
        match found {
            Some(i) => {
                let at = pos + from + i;
                match (quote, inp.buf[at]) {
                    (None, b'>') => return Ok((at, pos)),
                    (None, q) => quote = Some(q),
                    (Some(_), _) => quote = None,
                }
                from = at + 1 - pos;
            }
            None => {
                from = inp.end - pos;
                let kept = pos;
                pos = 0;
                if !inp.more(kept)? {
                    return Err(fail(inp.base, "not valid XML: the file ends inside a tag"));
                }
            }
        }
    }
}

/// Skips from `pos + from` past the end marker `end` (a comment, CDATA, a processing
/// instruction), streaming: the construct may be longer than the buffer. CDATA's content is
/// kept as text when `keep`.
fn skip_until<R: Read>(
    inp: &mut Input<R>,
    st: &mut Stack,
    pos: usize,
    from: usize,
    end: &[u8],
    keep: bool,
    what: &str,
) -> Result<usize, XmlError> {
    let finder = memmem::Finder::new(end);
    let mut pos = pos + from;
    loop {
        if let Some(i) = finder.find(&inp.buf[pos..inp.end]) {
            if keep {
                st.text(&inp.buf[pos..pos + i]);
            }
            return Ok(pos + i + end.len());
        }
        // Keep the last bytes: the marker may straddle the chunk boundary.
        let safe = inp.end.saturating_sub(end.len() - 1).max(pos);
        if keep {
            st.text(&inp.buf[pos..safe]);
        }
        pos = 0;
        if !inp.more(safe)? {
            return Err(fail(
                inp.base + inp.end as u64,
                format!("not valid XML: the file ends inside {what}"),
            ));
        }
    }
}

/// Splits `name="value"` pairs of `tag` (after its name, at `from`) into `spans`.
fn split_attrs(tag: &str, from: usize, spans: &mut Vec<Span>) -> Result<(), String> {
    spans.clear();
    let b = tag.as_bytes();
    let mut i = from;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            return Ok(());
        }
        let key_start = i;
        while i < b.len() && b[i] != b'=' && !b[i].is_ascii_whitespace() {
            if matches!(b[i], b'"' | b'\'' | b'<' | b'>' | b'/') {
                return Err(format!("`{}` is not an attribute", clip(&tag[key_start..])));
            }
            i += 1;
        }
        let key_end = i;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if key_start == key_end || b.get(i) != Some(&b'=') {
            return Err(format!(
                "attribute `{}` has no `=\"value\"`",
                clip(&tag[key_start..key_end])
            ));
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let q = match b.get(i) {
            Some(&q @ (b'"' | b'\'')) => q,
            _ => {
                return Err(format!(
                    "the value of `{}` is not quoted",
                    clip(&tag[key_start..key_end])
                ));
            }
        };
        let value_start = i + 1;
        let Some(len) = memchr::memchr(q, &b[value_start..]) else {
            return Err(format!(
                "the value of `{}` is not closed",
                clip(&tag[key_start..key_end])
            ));
        };
        let value_end = value_start + len;
        let local = match b[key_start..key_end].iter().rposition(|&c| c == b':') {
            Some(c) => key_start + c + 1,
            None => key_start,
        };
        spans.push(Span {
            key: (local, key_end),
            value: (value_start, value_end),
            escaped: memchr::memchr(b'&', &b[value_start..value_end]).is_some(),
        });
        i = value_end + 1;
        if i < b.len() && !b[i].is_ascii_whitespace() {
            return Err(format!(
                "attributes must be separated by a space after `{}`",
                clip(&tag[key_start..i])
            ));
        }
    }
}

fn clip(s: &str) -> String {
    crate::run_tests::report::clip(s, 40)
}

/// The character an entity reference's body (between `&` and `;`) stands for: one of the
/// five predefined entities or a character reference.
fn entity(body: &[u8]) -> Option<char> {
    match body {
        b"lt" => Some('<'),
        b"gt" => Some('>'),
        b"amp" => Some('&'),
        b"apos" => Some('\''),
        b"quot" => Some('"'),
        [b'#', b'x', hex @ ..] if !hex.is_empty() && hex.len() <= 8 => {
            u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16)
                .ok()
                .filter(|&c| c != 0)
                .and_then(char::from_u32)
        }
        [b'#', dec @ ..] if !dec.is_empty() && dec.len() <= 10 => std::str::from_utf8(dec)
            .ok()?
            .parse::<u32>()
            .ok()
            .filter(|&c| c != 0)
            .and_then(char::from_u32),
        _ => None,
    }
}

/// `text` with its entity references resolved; `None` when one is unknown or unterminated.
fn unescape(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semi = after.find(';')?;
        out.push(entity(&after.as_bytes()[..semi])?);
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    Some(out)
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

    /// A reader that hands out `n` bytes per call, to cross every chunk boundary.
    struct Trickle<'a>(&'a [u8], usize);

    impl Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    fn events<R: Read>(input: R) -> Result<Vec<String>, XmlError> {
        let mut out = Vec::new();
        walk(input, |n| {
            match n {
                Node::Open {
                    name,
                    attrs,
                    parents,
                    ..
                } => out.push(format!(
                    "open {}/{name} id={:?}",
                    parents.join("/"),
                    attrs.get("id")
                )),
                Node::Close { name, text, .. } => out.push(format!("close {name} {text:?}")),
            }
            Ok(())
        })?;
        Ok(out)
    }

    const NASTY: &str = "\u{feff}<?xml version=\"1.0\"?>\n<!-- a > comment -- with <tags> -->\n<!DOCTYPE r SYSTEM \"r.dtd\">\n<r:root xmlns:r=\"u\" id='a &amp; \"b\"'>\n  <case id=\"x > y\" r:n=\"1\"/>\n  <case id=\"é\"><![CDATA[<not a tag> ]] ]]>&#x41;&lt;&#66;</case>\n  <?pi stuff?>\n  <system-out>ignored &amp; dropped</system-out>\n</r:root >\n<!-- after -->\n";

    #[test]
    fn any_chunking_gives_the_same_events() {
        let whole = events(NASTY.as_bytes()).unwrap();
        assert_eq!(
            whole,
            vec![
                "open /root id=Some(\"a & \\\"b\\\"\")",
                "open root/case id=Some(\"x > y\")",
                "close case \"\"",
                "open root/case id=Some(\"é\")",
                "close case \"<not a tag> ]] A<B\"",
                "open root/system-out id=None",
                "close system-out \"\"",
                "close root \"\\n  \\n  \\n  \\n  \\n\"",
            ]
        );
        for n in [1, 2, 3, 7] {
            assert_eq!(events(Trickle(NASTY.as_bytes(), n)).unwrap(), whole, "{n}");
        }
    }

    #[test]
    fn a_tag_longer_than_a_chunk_and_a_cdata_longer_than_the_text_limit_are_read() {
        let long = "v".repeat(CHUNK * 3);
        let xml = format!("<a id=\"{long}\"><b><![CDATA[{long}]]></b><!--{long}--></a>");
        let mut seen = (0, 0);
        walk(xml.as_bytes(), |n| {
            match n {
                Node::Open { attrs, .. } => {
                    seen.0 = seen.0.max(attrs.get("id").map_or(0, |v| v.len()))
                }
                Node::Close {
                    name: "b", text, ..
                } => seen.1 = text.len(),
                Node::Close { .. } => {}
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, (CHUNK * 3, TEXT_LIMIT));
    }

    #[test]
    fn a_tag_beyond_the_token_limit_is_an_error_not_a_buffer() {
        let xml = format!("<a id=\"{}\"/>", "v".repeat(MAX_TOKEN + 10));
        let err = names(&xml).unwrap_err();
        assert!(err.message.contains("longer than 8 MiB"), "{}", err.message);
    }

    #[test]
    fn malformed_documents_are_errors_at_their_place() {
        for (xml, message, at) in [
            ("<a><b></a>", "expected `</b>`, found `</a>`", 6),
            ("<a></a></a>", "unexpected closing tag", 7),
            ("<a/><b/>", "more than one root element", 4),
            ("x<a/>", "text outside the root element", 0),
            ("<a/>&amp;", "text outside the root element", 4),
            ("<a>&b</a>", "starts no entity", 3),
            ("<a>&#0;</a>", "`&#0;` is refused", 3),
            ("<a x=1/>", "the value of `x` is not quoted", 0),
            ("<a x=\"1\"y=\"2\"/>", "separated by a space", 0),
            ("<a \"x\"/>", "is not an attribute", 0),
            ("<a><!-- x", "ends inside a comment", 9),
            ("<a><![CDATA[x", "ends inside a CDATA section", 13),
            ("<a id=\"x", "ends inside a tag", 0),
            ("<a><b>", "ends inside `<b>`", 6),
            ("<!x><a/>", "`<!` starts no comment", 0),
            ("<a>< b/></a>", "a `<` that starts no tag", 3),
            ("", "no root element", 0),
            ("   ", "no root element", 0),
        ] {
            let err = names(xml).unwrap_err();
            assert!(err.message.contains(message), "{xml}: {err:?}");
            assert_eq!(err.offset, at, "{xml}: {err:?}");
        }
    }

    #[test]
    fn unwanted_elements_are_checked_but_not_shown() {
        struct Only(Vec<String>);
        impl Visitor for Only {
            fn wants(&self, name: &str) -> bool {
                name == "testcase"
            }
            fn node(&mut self, node: Node<'_>) -> Result<(), String> {
                if let Node::Open { name, parents, .. } = node {
                    self.0.push(format!("{}/{name}", parents.join("/")));
                }
                Ok(())
            }
        }
        let xml = "<testsuites><testsuite><properties><property name=\"a\" value=\"b\"/></properties><testcase/></testsuite></testsuites>";
        let mut v = Only(Vec::new());
        walk_with(xml.as_bytes(), &mut v).unwrap();
        assert_eq!(v.0, vec!["/testsuites", "testsuites/testsuite/testcase"]);
        // Nesting is still checked in what is not shown, attributes are not.
        let bad = "<testsuites><properties><property x=1></properties></testsuites>";
        let err = walk_with(bad.as_bytes(), &mut Only(Vec::new())).unwrap_err();
        assert!(err.message.contains("expected `</property>`"), "{err:?}");
    }

    #[test]
    fn an_opening_says_whether_the_element_closes_itself() {
        let mut seen = Vec::new();
        let xml = r#"<a><b/><c></c><d x="1" /><e
            y="2"/><f x='1'/></a>"#;
        walk(xml.as_bytes(), |n| {
            if let Node::Open { name, empty, .. } = n {
                seen.push((name.to_owned(), empty));
            }
            Ok(())
        })
        .unwrap();
        let want = [
            ("a", false),
            ("b", true),
            ("c", false),
            ("d", true),
            ("e", true),
            ("f", true),
        ];
        assert_eq!(seen, want.map(|(n, e)| (n.to_owned(), e)));
    }

    /// The careful reading of the start tag at the front of `text`: its `>` outside quotes,
    /// its name's length and its attributes, or the error.
    fn careful_tag(text: &str) -> Result<(usize, usize, Vec<Span>), String> {
        let mut inp = Input {
            r: text.as_bytes(),
            buf: vec![0; text.len().max(1)],
            end: 0,
            base: 0,
            eof: false,
        };
        inp.more(0).map_err(|e| e.message.clone())?;
        let (gt, _) = find_tag_end(&mut inp, 0).map_err(|e| e.message)?;
        let tag = &text[1..gt];
        let tag = tag.strip_suffix('/').unwrap_or(tag);
        let name_len = tag
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(tag.len());
        let mut spans = Vec::new();
        split_attrs(tag, name_len, &mut spans)?;
        Ok((gt, name_len, spans))
    }

    #[test]
    fn plain_tags_are_read_in_one_pass_and_the_rest_left_to_the_careful_path() {
        let mut spans = Vec::new();
        for tag in [
            r#"<testcase classname="a.B" name="t 1" time="0.5"/>"#,
            r#"<testcase name="x" >rest"#,
            r#"<ns:testcase xml:lang="en"  file="a/b.py"/>"#,
            "<testsuites>",
            "<a />",
            r#"<a x="1 > 0" y="it's">"#,
            r#"<a x="&amp;" y="&lt;b&gt;"/>"#,
        ] {
            let (gt, name_len) =
                plain_tag(tag.as_bytes(), &mut spans).unwrap_or_else(|| panic!("{tag} is plain"));
            assert_eq!(Ok((gt, name_len, spans.clone())), careful_tag(tag), "{tag}");
        }
        // Single quotes, spaces around `=`, missing spaces, a tag cut short: each goes the
        // careful way.
        for tag in [
            "<a x='1'>",
            r#"<a x = "1">"#,
            r#"<a x="1"y="2">"#,
            r#"<a x>"#,
            r#"<a x="1"#,
            "< a>",
            r#"<a x="1" /x>"#,
            r#"<a x="1" y z="2">"#,
        ] {
            assert_eq!(plain_tag(tag.as_bytes(), &mut spans), None, "{tag}");
        }
    }

    #[test]
    fn a_gap_ends_at_the_first_byte_that_is_not_white_space() {
        assert_eq!(gap(b"\n    <testcase"), Some(5));
        assert_eq!(gap(b"<a>"), None, "fewer than eight bytes");
        assert_eq!(gap(b"\r\n\t <a></a>"), Some(4));
        assert_eq!(gap(b"        <a>"), None, "eight spaces");
        for b in 0..=255u8 {
            let mut bytes = *b"\n  \t\r   ";
            bytes[3] = b;
            let white = matches!(b, b' ' | b'\n' | b'\t' | b'\r');
            assert_eq!(gap(&bytes), (!white).then_some(3), "{b:#x}");
        }
    }

    #[test]
    fn eq_bytes_marks_exactly_the_equal_bytes() {
        for word in [0u64, u64::MAX, 0x2222_2222_2222_2222, 0x8022_a222_007f_2123] {
            for byte in [0u8, b'"', 0x80, 0xa2, 0xff, 0x21, 0x23] {
                let want = word
                    .to_le_bytes()
                    .iter()
                    .enumerate()
                    .filter(|(_, b)| **b == byte)
                    .fold(0u64, |m, (i, _)| m | 0x80 << (8 * i));
                assert_eq!(eq_bytes(word, byte), want, "{word:#x} {byte:#x}");
            }
        }
    }

    #[test]
    fn plain_decimals_read_as_the_general_parser_reads_them() {
        for text in [
            "0",
            "0.001",
            "12",
            "5.",
            "123456789012345",
            "99999999999999.9",
            "0.1",
            "3.14159",
            " 1.5",
            "1e3",
            "-2",
            ".5",
            "1.2.3",
            "",
            "inf",
            "NaN",
            "1234567890123456",
        ] {
            let want = text.trim().parse::<f64>().ok().filter(|v| v.is_finite());
            assert_eq!(number(text), want, "{text:?}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        #[test]
        fn number_matches_the_general_parser(text in "[0-9]{0,9}(\\.[0-9]{0,9})?") {
            let want = text.trim().parse::<f64>().ok().filter(|v| v.is_finite());
            proptest::prop_assert_eq!(number(&text), want);
        }

        #[test]
        fn tag_text_validates_as_the_standard_library_validates_it(
            bytes in proptest::collection::vec(proptest::prelude::prop_oneof![
                0u8..0x80, proptest::prelude::any::<u8>(),
            ], 0..40)
        ) {
            proptest::prop_assert_eq!(utf8(&bytes), std::str::from_utf8(&bytes));
        }

        #[test]
        fn a_plain_tag_reads_as_the_careful_path_reads_it(
            text in "<[a-z:é;-]{0,10}([ \t]{1,2}([a-z:]{1,3} )?[a-z:é;<-]{1,10}=(\"[a-z >&'é]{0,12}\"|'[a-z]{0,3}'))*[ /]{0,2}>"
        ) {
            let mut spans = Vec::new();
            if let Some((gt, name_len)) = plain_tag(text.as_bytes(), &mut spans) {
                proptest::prop_assert_eq!(Ok((gt, name_len, spans)), careful_tag(&text));
            }
        }

        #[test]
        fn chunking_never_changes_the_outcome(
            parts in proptest::collection::vec(proptest::prelude::prop_oneof![
                proptest::prelude::Just("<a>"), proptest::prelude::Just("</a>"), proptest::prelude::Just("<b x=\"1>\"/>"),
                proptest::prelude::Just("<c y='&amp;'>"), proptest::prelude::Just("</c>"), proptest::prelude::Just("text"),
                proptest::prelude::Just("&lt;"), proptest::prelude::Just("&bogus;"), proptest::prelude::Just("<!-- -->"),
                proptest::prelude::Just("<![CDATA[]]>]]>"), proptest::prelude::Just("<?p?>"), proptest::prelude::Just(" "),
                proptest::prelude::Just("<!DOCTYPE a>"), proptest::prelude::Just("<!DOCTYPE a ["), proptest::prelude::Just("é"),
            ], 0..30),
            n in 1usize..5,
        ) {
            let text: String = parts.concat();
            let whole = events(text.as_bytes());
            let trickled = events(Trickle(text.as_bytes(), n));
            proptest::prop_assert_eq!(whole, trickled);
        }
    }
}
