//! Version ordering per ecosystem, as OSV ranges need it.
//!
//! Each scheme parses a version into a key that compares with `Ord`; a version a scheme cannot
//! parse compares with nothing ([`compare`] returns `None`), so it never matches a range by
//! accident. Rules followed:
//! - SemVer 2.0.0 (<https://semver.org/#spec-item-11>) for crates.io, npm, Go and OSV `SEMVER`
//!   ranges, leniently: a leading `v`, missing minor/patch. Go pseudo-versions
//!   (`v0.0.0-20210101000000-abcdef123456`) are pre-releases and `+incompatible` is build
//!   metadata, which is exactly how Go orders them (<https://go.dev/ref/mod#pseudo-versions>).
//! - PEP 440 (<https://peps.python.org/pep-0440/>) for PyPI: epochs, pre/post/dev, local.
//! - `Gem::Version` for RubyGems: segments, a letter segment makes a pre-release.
//! - Composer's `VersionParser` for Packagist: `v` prefix, 4 numeric parts, stabilities
//!   `dev < alpha < beta < RC < stable < patch`.
//! - Maven's `ComparableVersion`: qualifiers `alpha < beta < milestone < rc < snapshot < "" < sp`.
//! - NuGet's SemVer 2 with a 4th part, pre-release labels compared case-insensitively.

use std::cmp::Ordering;

use super::Ecosystem;

/// Orders two versions of `ecosystem`; `None` when either does not parse.
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Option<Ordering> {
    match ecosystem {
        Ecosystem::CratesIo | Ecosystem::Npm | Ecosystem::Go => {
            Some(SemVer::parse(a, 3, false)?.cmp(&SemVer::parse(b, 3, false)?))
        }
        Ecosystem::NuGet => Some(SemVer::parse(a, 4, true)?.cmp(&SemVer::parse(b, 4, true)?)),
        Ecosystem::PyPI => Some(Pep440::parse(a)?.cmp(&Pep440::parse(b)?)),
        Ecosystem::RubyGems => Some(Gem::parse(a)?.cmp(&Gem::parse(b)?)),
        Ecosystem::Packagist => Some(Composer::parse(a)?.cmp(&Composer::parse(b)?)),
        Ecosystem::Maven => Some(Maven::parse(a)?.cmp(&Maven::parse(b)?)),
    }
}

/// Whether a pinned version can be matched against advisory ranges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readable {
    /// It parses in its ecosystem's scheme.
    Yes,
    /// A branch, not a release (Composer's `dev-main`, `2.x-dev`): no range can say whether
    /// it is affected.
    Branch,
    /// It does not parse: nothing can be said about it.
    No,
}

/// Whether `version` of `ecosystem` can be checked.
pub fn readable(ecosystem: Ecosystem, version: &str) -> Readable {
    let v = version.trim();
    if ecosystem == Ecosystem::Packagist {
        let lower = v.to_ascii_lowercase();
        if lower.starts_with("dev-")
            || lower.ends_with(".x-dev")
            || lower.ends_with("-dev") && lower.contains(".x")
        {
            return Readable::Branch;
        }
    }
    if compare(ecosystem, v, v).is_some() {
        Readable::Yes
    } else {
        Readable::No
    }
}

/// Orders two versions under OSV's `SEMVER` range type, whatever the ecosystem.
pub fn compare_semver(a: &str, b: &str) -> Option<Ordering> {
    Some(SemVer::parse(a, 3, false)?.cmp(&SemVer::parse(b, 3, false)?))
}

// ---------------------------------------------------------------------------------------------
// SemVer (and NuGet)

/// A non-negative integer of any length (registries publish 30-digit version parts; a
/// version that overflows 64 bits must still order, not drop out of every range).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Num(String);

impl Num {
    /// Digits only, at least one; leading zeros do not count (`007` == `7`).
    pub(crate) fn parse(s: &str) -> Option<Self> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let t = s.trim_start_matches('0');
        Some(Self(if t.is_empty() {
            "0".to_owned()
        } else {
            t.to_owned()
        }))
    }

    fn zero() -> Self {
        Self("0".to_owned())
    }

    fn is_zero(&self) -> bool {
        self.0 == "0"
    }
}

impl Ord for Num {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0
            .len()
            .cmp(&other.0.len())
            .then_with(|| self.0.cmp(&other.0))
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ident {
    Num(Num),
    Alpha(String),
}

impl Ord for Ident {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Ident::Num(a), Ident::Num(b)) => a.cmp(b),
            (Ident::Num(_), Ident::Alpha(_)) => Ordering::Less,
            (Ident::Alpha(_), Ident::Num(_)) => Ordering::Greater,
            (Ident::Alpha(a), Ident::Alpha(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A SemVer-shaped version: `parts` numeric release parts, then pre-release identifiers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SemVer {
    release: Vec<Num>,
    pre: Vec<Ident>,
}

impl SemVer {
    fn parse(s: &str, parts: usize, fold_case: bool) -> Option<Self> {
        let s = s.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        // Build metadata never affects precedence (`+incompatible`, `+build.5`).
        let s = s.split_once('+').map_or(s, |(v, _)| v);
        let (core, pre) = match s.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (s, None),
        };
        let mut release = Vec::with_capacity(parts);
        for part in core.split('.') {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            release.push(Num::parse(part)?);
        }
        if release.is_empty() || release.len() > parts {
            return None;
        }
        release.resize(parts, Num::zero());
        let mut ids = Vec::new();
        if let Some(pre) = pre {
            for id in pre.split('.') {
                if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                    return None;
                }
                ids.push(if let Some(n) = Num::parse(id) {
                    Ident::Num(n)
                } else if fold_case {
                    Ident::Alpha(id.to_ascii_lowercase())
                } else {
                    Ident::Alpha(id.to_owned())
                });
            }
        }
        Some(Self { release, pre: ids })
    }
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        self.release.cmp(&other.release).then_with(|| {
            // A release ranks above its pre-releases; otherwise identifiers left to right and
            // a longer list wins a tie (spec item 11.4.4).
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            }
        })
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

// ---------------------------------------------------------------------------------------------
// PEP 440

/// A PEP 440 version as a sort key (the order of `packaging.version._cmpkey`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Pep440 {
    epoch: Num,
    /// Trailing zeros removed: `1.0` == `1.0.0`.
    release: Vec<Num>,
    pre: PreKey,
    post: Option<Num>,
    dev: DevKey,
    local: Vec<Ident>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum PreKey {
    /// `1.0.dev0`: before every pre-release of 1.0.
    DevOnly,
    /// `a` = 0, `b` = 1, `rc` = 2.
    Pre(u8, Num),
    /// A final release (or a post-release).
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum DevKey {
    Dev(Num),
    None,
}

impl Pep440 {
    fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        let s = s.strip_prefix('v').unwrap_or(&s);
        let (public, local) = match s.split_once('+') {
            Some((p, l)) => (p, Some(l)),
            None => (s, None),
        };
        let (epoch, rest) = match public.split_once('!') {
            Some((e, r)) => (Num::parse(e)?, r),
            None => (Num::zero(), public),
        };
        let bytes = rest.as_bytes();
        let mut i = 0;
        let mut release = Vec::new();
        loop {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            if start == i {
                return None;
            }
            release.push(Num::parse(&rest[start..i])?);
            if i + 1 < bytes.len() && bytes[i] == b'.' && bytes[i + 1].is_ascii_digit() {
                i += 1;
            } else {
                break;
            }
        }
        let mut pre = None;
        let mut post = None;
        let mut dev = None;
        // Each optional part: a separator, a spelling, an optional separator and number.
        let mut rest = &rest[i..];
        let take_num = |r: &mut &str| -> Num {
            let t = r.trim_start_matches(['.', '-', '_']);
            let n = t.bytes().take_while(u8::is_ascii_digit).count();
            if n == 0 {
                return Num::zero();
            }
            let v = Num::parse(&t[..n]).unwrap_or_else(Num::zero);
            *r = &t[n..];
            v
        };
        const PRE: &[(&str, u8)] = &[
            ("alpha", 0),
            ("a", 0),
            ("beta", 1),
            ("b", 1),
            ("preview", 2),
            ("pre", 2),
            ("rc", 2),
            ("c", 2),
        ];
        const POST: &[&str] = &["post", "rev", "r"];
        while !rest.is_empty() {
            let t = rest.trim_start_matches(['.', '-', '_']);
            if pre.is_none()
                && post.is_none()
                && dev.is_none()
                && let Some((word, rank)) = PRE.iter().find(|(w, _)| t.starts_with(w))
            {
                let mut r = &t[word.len()..];
                pre = Some((*rank, take_num(&mut r)));
                rest = r;
                continue;
            }
            if post.is_none() && dev.is_none() {
                if let Some(word) = POST.iter().find(|w| t.starts_with(**w)) {
                    let mut r = &t[word.len()..];
                    post = Some(take_num(&mut r));
                    rest = r;
                    continue;
                }
                // The implicit post-release: `1.0-1`.
                if rest.starts_with('-') && t.starts_with(|c: char| c.is_ascii_digit()) {
                    let mut r = t;
                    post = Some(take_num(&mut r));
                    rest = r;
                    continue;
                }
            }
            if dev.is_none() && t.starts_with("dev") {
                let mut r = &t[3..];
                dev = Some(take_num(&mut r));
                rest = r;
                continue;
            }
            return None;
        }
        while release.len() > 1 && release.last().is_some_and(Num::is_zero) {
            release.pop();
        }
        let pre = match (pre, &post, &dev) {
            (None, None, Some(_)) => PreKey::DevOnly,
            (Some((r, n)), _, _) => PreKey::Pre(r, n),
            _ => PreKey::None,
        };
        let mut local_ids = Vec::new();
        if let Some(local) = local {
            for seg in local.split(['.', '-', '_']) {
                if seg.is_empty() || !seg.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return None;
                }
                // Numeric local segments sort above alphanumeric ones (PEP 440 "Local version
                // identifiers"); `Ident` orders Num below Alpha, so flip by wrapping.
                local_ids.push(match Num::parse(seg) {
                    Some(n) => Ident::Alpha(format!("\u{10FFFF}{:0>40}", n.0)),
                    None => Ident::Alpha(seg.to_owned()),
                });
            }
        }
        Some(Self {
            epoch,
            release,
            pre,
            post,
            dev: dev.map_or(DevKey::None, DevKey::Dev),
            local: local_ids,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// RubyGems

/// A `Gem::Version` as its canonical segments: numbers and letter runs, with trailing zeros
/// dropped from the release part and from the pre-release part separately
/// (`Gem::Version#canonical_segments`), so `1.0.0.a` == `1.a` and `3.0.0.beta4` < `3.0.pre`.
#[derive(Debug, Clone)]
struct Gem(Vec<Ident>);

impl Gem {
    fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        // Gem::Version::ANCHORED_VERSION_PATTERN:
        // `[0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?`; an empty string is "0".
        if !s.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let (release, pre) = match s.split_once('-') {
            Some((r, p)) => (r, Some(p)),
            None => (s, None),
        };
        let valid = |part: &str, dash: bool| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || (dash && b == b'-'))
        };
        if !release.split('.').all(|p| valid(p, false))
            || !pre.is_none_or(|p| p.split('.').all(|q| valid(q, true)))
        {
            return None;
        }
        // `-` means a pre-release: `1.0-beta` == `1.0.pre.beta`.
        let text = match pre {
            Some(p) => format!("{release}.pre.{}", p.replace('-', ".pre.")),
            None => release.to_owned(),
        };
        // Segments: `/[0-9]+|[a-z]+/i`, so `rc1` is "rc", 1.
        let mut segments = Vec::new();
        let b = text.as_bytes();
        let mut start = 0;
        for i in 1..=b.len() {
            let boundary = i == b.len()
                || b[i] == b'.'
                || b[i - 1] == b'.'
                || b[i].is_ascii_digit() != b[i - 1].is_ascii_digit();
            if boundary {
                let seg = &text[start..i];
                if seg != "." && !seg.is_empty() {
                    segments.push(match Num::parse(seg) {
                        Some(n) => Ident::Num(n),
                        None => Ident::Alpha(seg.to_owned()),
                    });
                }
                start = i;
            }
        }
        // canonical_segments: split at the first letter segment, drop trailing zeros of each.
        let first_alpha = segments
            .iter()
            .position(|x| matches!(x, Ident::Alpha(_)))
            .unwrap_or(segments.len());
        let mut letters = segments.split_off(first_alpha);
        let trim = |v: &mut Vec<Ident>| {
            while matches!(v.last(), Some(Ident::Num(n)) if n.is_zero()) {
                v.pop();
            }
        };
        trim(&mut segments);
        trim(&mut letters);
        segments.extend(letters);
        Some(Self(segments))
    }
}

impl Ord for Gem {
    fn cmp(&self, other: &Self) -> Ordering {
        // Gem::Version#<=>: missing segments are 0; a letter segment sorts below any number.
        let zero = Ident::Num(Num::zero());
        let n = self.0.len().max(other.0.len());
        for i in 0..n {
            let a = self.0.get(i).unwrap_or(&zero);
            let b = other.0.get(i).unwrap_or(&zero);
            let o = match (a, b) {
                (Ident::Num(x), Ident::Num(y)) => x.cmp(y),
                (Ident::Alpha(_), Ident::Num(_)) => Ordering::Less,
                (Ident::Num(_), Ident::Alpha(_)) => Ordering::Greater,
                (Ident::Alpha(x), Ident::Alpha(y)) => x.cmp(y),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for Gem {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Gem {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Gem {}

// ---------------------------------------------------------------------------------------------
// Packagist (Composer)

/// A Composer version, ordered as OSV orders Packagist ranges: PHP's `version_compare` over
/// Composer's normalised form. The leading numbers are padded to Composer's four
/// (`7.4.5` == `7.4.5.0`); the rest is split at `.`, `-`, `_`, `+` and at every change between
/// digits and letters, so `4.0.0-beta.1.1`, `3.0.0-RC17.1` and `1.25.0-beta2.1` all order.
/// Letter parts rank `dev < alpha (a) < beta (b) < RC < (a number) < patch (p, pl)`.
#[derive(Debug, Clone)]
struct Composer(Vec<Php>);

#[derive(Debug, Clone)]
enum Php {
    Num(Num),
    /// The rank of a letter part; a number ranks 4.
    Special(u8),
}

fn php_rank(word: &str) -> u8 {
    // PHP's `compare_special_version_forms` matches by prefix; an unknown word ranks with dev.
    const FORMS: &[(&str, u8)] = &[
        ("dev", 0),
        ("alpha", 1),
        ("a", 1),
        ("beta", 2),
        ("b", 2),
        ("rc", 3),
        ("#", 4),
        ("pl", 5),
        ("p", 5),
    ];
    FORMS
        .iter()
        .find(|(f, _)| word.starts_with(f))
        .map_or(0, |(_, r)| *r)
}

impl Composer {
    fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        let s = s.strip_prefix('v').unwrap_or(&s);
        if !s.starts_with(|c: char| c.is_ascii_digit())
            || !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'+'))
        {
            return None;
        }
        let mut parts = Vec::new();
        for chunk in s.split(['.', '-', '_', '+']).filter(|c| !c.is_empty()) {
            let b = chunk.as_bytes();
            let mut start = 0;
            for i in 1..=b.len() {
                if i == b.len() || b[i].is_ascii_digit() != b[i - 1].is_ascii_digit() {
                    let piece = &chunk[start..i];
                    start = i;
                    if piece == "stable" {
                        continue; // Composer drops it: `1.0.0-stable` == `1.0.0`
                    }
                    parts.push(match Num::parse(piece) {
                        Some(n) => Php::Num(n),
                        None => Php::Special(php_rank(piece)),
                    });
                }
            }
        }
        let leading = parts
            .iter()
            .take_while(|p| matches!(p, Php::Num(_)))
            .count();
        if leading > 4 {
            return None;
        }
        for _ in leading..4 {
            parts.insert(leading, Php::Num(Num::zero()));
        }
        Some(Self(parts))
    }
}

fn php_cmp(a: &Php, b: &Php) -> Ordering {
    match (a, b) {
        (Php::Num(x), Php::Num(y)) => x.cmp(y),
        (Php::Num(_), Php::Special(r)) => 4.cmp(r),
        (Php::Special(r), Php::Num(_)) => r.cmp(&4),
        (Php::Special(x), Php::Special(y)) => x.cmp(y),
    }
}

fn php_list(a: &[Php], b: &[Php]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = php_cmp(x, y);
        if o != Ordering::Equal {
            return o;
        }
    }
    // The longer one wins when its next part is a number; a letter part is weighed against
    // a number (`1.0-beta` < `1.0`, `1.0-p1` > `1.0`).
    let number = [Php::Special(4)];
    match a.len().cmp(&b.len()) {
        Ordering::Equal => Ordering::Equal,
        Ordering::Greater => match &a[b.len()] {
            Php::Num(_) => Ordering::Greater,
            Php::Special(_) => php_list(&a[b.len()..], &number),
        },
        Ordering::Less => match &b[a.len()] {
            Php::Num(_) => Ordering::Less,
            Php::Special(_) => php_list(&number, &b[a.len()..]),
        },
    }
}

impl Ord for Composer {
    fn cmp(&self, other: &Self) -> Ordering {
        php_list(&self.0, &other.0)
    }
}

impl PartialOrd for Composer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Composer {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Composer {}

// ---------------------------------------------------------------------------------------------
// Maven ComparableVersion
// <https://maven.apache.org/ref/3-LATEST/maven-artifact/apidocs/org/apache/maven/artifact/versioning/ComparableVersion.html>

#[derive(Debug, Clone)]
enum Item {
    Int(Num),
    Str(String),
    List(Vec<Item>),
}

/// A parsed Maven version.
#[derive(Debug, Clone)]
struct Maven(Vec<Item>);

fn qualifier_key(q: &str) -> String {
    const ORDER: &[&str] = &["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];
    let q = match q {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        other => other,
    };
    match ORDER.iter().position(|o| *o == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{q}", ORDER.len()),
    }
}

const RELEASE_KEY: &str = "5";

fn is_null(item: &Item) -> bool {
    match item {
        Item::Int(n) => n.is_zero(),
        Item::Str(s) => qualifier_key(s) == RELEASE_KEY,
        Item::List(l) => l.is_empty(),
    }
}

fn normalize(list: &mut Vec<Item>) {
    // ListItem.normalize(): from the end, null items go, a non-null list is stepped over,
    // anything else stops the trim.
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if is_null(&list[i]) {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

impl Maven {
    fn parse(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_graphic()) {
            return None;
        }
        // A stack of lists; `-` opens a nested list, `.` continues the current one.
        let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
        let mut buf = String::new();
        let mut digit = false;
        let push_token = |stack: &mut Vec<Vec<Item>>, buf: &mut String, digit: bool| {
            let top = stack
                .last_mut()
                .expect("the stack always holds the root list");
            if buf.is_empty() {
                top.push(Item::Int(Num::zero()));
            } else if digit {
                top.push(Item::Int(Num::parse(buf).unwrap_or_else(Num::zero)));
            } else {
                // `a1` means alpha-1, `b1` beta-1, `m1` milestone-1 when a digit follows.
                top.push(Item::Str(buf.clone()));
            }
            buf.clear();
        };
        let chars: Vec<char> = s.chars().collect();
        for &c in &chars {
            match c {
                '.' => push_token(&mut stack, &mut buf, digit),
                '-' => {
                    push_token(&mut stack, &mut buf, digit);
                    stack.push(Vec::new());
                }
                c if c.is_ascii_digit() => {
                    if !digit && !buf.is_empty() {
                        // letters then digits: `rc1` -> rc, 1 in a nested list
                        let q = match buf.as_str() {
                            "a" => "alpha",
                            "b" => "beta",
                            "m" => "milestone",
                            other => other,
                        }
                        .to_owned();
                        buf = q;
                        push_token(&mut stack, &mut buf, false);
                        stack.push(Vec::new());
                    }
                    digit = true;
                    buf.push(c);
                }
                c => {
                    if digit && !buf.is_empty() {
                        push_token(&mut stack, &mut buf, true);
                        stack.push(Vec::new());
                    }
                    digit = false;
                    buf.push(c);
                }
            }
        }
        if !buf.is_empty() {
            push_token(&mut stack, &mut buf, digit);
        }
        while stack.len() > 1 {
            let mut inner = stack.pop().expect("len > 1");
            normalize(&mut inner);
            stack.last_mut().expect("len > 1").push(Item::List(inner));
        }
        let mut root = stack.pop().expect("root list");
        normalize(&mut root);
        Some(Self(root))
    }
}

fn cmp_item(a: Option<&Item>, b: Option<&Item>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (Some(x), None) => cmp_to_null(x),
        (None, Some(y)) => cmp_to_null(y).reverse(),
        (Some(x), Some(y)) => match (x, y) {
            (Item::Int(p), Item::Int(q)) => p.cmp(q),
            (Item::Int(_), _) => Ordering::Greater,
            (Item::Str(_), Item::Int(_)) => Ordering::Less,
            (Item::Str(p), Item::Str(q)) => qualifier_key(p).cmp(&qualifier_key(q)),
            (Item::Str(_), Item::List(_)) => Ordering::Less,
            (Item::List(_), Item::Int(_)) => Ordering::Less,
            (Item::List(_), Item::Str(_)) => Ordering::Greater,
            (Item::List(p), Item::List(q)) => cmp_list(p, q),
        },
    }
}

fn cmp_to_null(x: &Item) -> Ordering {
    match x {
        Item::Int(n) => n.cmp(&Num::zero()),
        Item::Str(s) => qualifier_key(s).as_str().cmp(RELEASE_KEY),
        Item::List(l) => l.first().map_or(Ordering::Equal, cmp_to_null),
    }
}

fn cmp_list(a: &[Item], b: &[Item]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let o = cmp_item(a.get(i), b.get(i));
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

impl Ord for Maven {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_list(&self.0, &other.0)
    }
}

impl PartialOrd for Maven {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Maven {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Maven {}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::{Equal, Greater, Less};

    /// Each slice is strictly ascending.
    fn ascending(eco: Ecosystem, versions: &[&str]) {
        for w in versions.windows(2) {
            assert_eq!(
                compare(eco, w[0], w[1]),
                Some(Less),
                "{eco:?}: {} < {}",
                w[0],
                w[1]
            );
            assert_eq!(
                compare(eco, w[1], w[0]),
                Some(Greater),
                "{eco:?}: {} > {}",
                w[1],
                w[0]
            );
        }
    }

    #[test]
    fn semver_orders_pre_releases_below_releases() {
        ascending(
            Ecosystem::Npm,
            &[
                "1.0.0-alpha",
                "1.0.0-alpha.1",
                "1.0.0-alpha.beta",
                "1.0.0-beta",
                "1.0.0-beta.2",
                "1.0.0-beta.11",
                "1.0.0-rc.1",
                "1.0.0",
                "1.0.1",
                "1.2.0",
                "1.10.0",
                "2.0.0",
            ],
        );
        assert_eq!(
            compare(Ecosystem::CratesIo, "1.0.0+build.1", "1.0.0"),
            Some(Equal)
        );
        assert_eq!(compare(Ecosystem::Npm, "v1.2", "1.2.0"), Some(Equal));
        assert_eq!(compare(Ecosystem::Npm, "1.x", "1.0.0"), None);
    }

    #[test]
    fn go_pseudo_versions_and_incompatible_order_like_go() {
        ascending(
            Ecosystem::Go,
            &[
                "v0.0.0-20200101000000-abcdefabcdef",
                "v0.0.0-20210101000000-abcdefabcdef",
                "v0.1.0",
                "v0.1.1-0.20220101000000-0123456789ab",
                "v0.1.1",
                "v2.0.0+incompatible",
                "v2.1.0+incompatible",
            ],
        );
        assert_eq!(
            compare(Ecosystem::Go, "v2.0.0+incompatible", "2.0.0"),
            Some(Equal)
        );
    }

    #[test]
    fn pep440_orders_epochs_pre_post_dev_and_local() {
        ascending(
            Ecosystem::PyPI,
            &[
                "1.0.dev0",
                "1.0a1.dev1",
                "1.0a1",
                "1.0b2",
                "1.0rc1",
                "1.0",
                "1.0+local.1",
                "1.0+local.2",
                "1.0.post1.dev0",
                "1.0.post1",
                "1.0.1",
                "1.1",
                "2!0.1",
            ],
        );
        assert_eq!(compare(Ecosystem::PyPI, "1.0", "1.0.0"), Some(Equal));
        assert_eq!(compare(Ecosystem::PyPI, "1.0-1", "1.0.post1"), Some(Equal));
        assert_eq!(compare(Ecosystem::PyPI, "1.0alpha1", "1.0a1"), Some(Equal));
        assert_eq!(compare(Ecosystem::PyPI, "1.0.RC1", "1.0rc1"), Some(Equal));
        assert_eq!(compare(Ecosystem::PyPI, "1.0+abc", "1.0+1"), Some(Less));
        assert_eq!(compare(Ecosystem::PyPI, "not-a-version", "1.0"), None);
    }

    #[test]
    fn rubygems_letters_make_pre_releases() {
        ascending(
            Ecosystem::RubyGems,
            &[
                "1.0.0.a",
                "1.0.0.beta1",
                "1.0.0.beta2",
                "1.0.0.rc1",
                "1.0.0",
                "1.0.1",
                "1.10",
            ],
        );
        assert_eq!(compare(Ecosystem::RubyGems, "1.0", "1.0.0"), Some(Equal));
        assert_eq!(
            compare(Ecosystem::RubyGems, "1.0-beta", "1.0.pre.beta"),
            Some(Equal)
        );
    }

    #[test]
    fn packagist_normalises_like_composer() {
        ascending(
            Ecosystem::Packagist,
            &[
                "1.0.0-dev",
                "1.0.0-alpha1",
                "1.0.0-beta2",
                "1.0.0-RC1",
                "1.0.0",
                "1.0.0-p1",
                "1.0.1",
            ],
        );
        assert_eq!(
            compare(Ecosystem::Packagist, "v7.4.5", "7.4.5.0"),
            Some(Equal)
        );
        assert_eq!(compare(Ecosystem::Packagist, "dev-master", "1.0"), None);
    }

    #[test]
    fn packagist_orders_every_published_pre_release_form() {
        ascending(
            Ecosystem::Packagist,
            &[
                "1.25.0-beta2",
                "1.25.0-beta2.1",
                "1.25.0-beta3",
                "3.0.0-RC17",
                "3.0.0-RC17.1",
                "3.0.0-RC18",
                "3.0.0",
                "4.0.0-beta.1",
                "4.0.0-beta.1.1",
                "4.0.0-beta.2",
                "4.0.0",
            ],
        );
        for v in [
            "4.0.0-beta.1.1",
            "3.0.0-RC17.1",
            "1.25.0-beta2.1",
            "v2.0.0-stable",
        ] {
            assert_eq!(readable(Ecosystem::Packagist, v), Readable::Yes, "{v}");
        }
        assert_eq!(
            compare(Ecosystem::Packagist, "1.0.0-stable", "1.0.0"),
            Some(Equal)
        );
        for v in ["dev-master", "dev-feature/x", "2.x-dev", "1.0.x-dev"] {
            assert_eq!(readable(Ecosystem::Packagist, v), Readable::Branch, "{v}");
        }
        assert_eq!(readable(Ecosystem::Packagist, "@junk!"), Readable::No);
    }

    #[test]
    fn numbers_beyond_64_bits_still_order() {
        let big = "123456789012345678901234567890";
        for eco in Ecosystem::ALL {
            assert_eq!(readable(eco, &format!("1.{big}")), Readable::Yes, "{eco:?}");
            assert_eq!(
                compare(eco, &format!("1.{big}"), &format!("1.{big}1")),
                Some(Less),
                "{eco:?}"
            );
            assert_eq!(
                compare(eco, "1.99999999999999999999", &format!("1.{big}")),
                Some(Less),
                "{eco:?}"
            );
        }
        assert_eq!(
            compare(Ecosystem::Npm, &format!("1.0.0-rc.{big}"), "1.0.0-rc.2"),
            Some(Greater)
        );
    }

    #[test]
    fn rubygems_drops_trailing_zeros_before_a_pre_release() {
        assert_eq!(
            compare(Ecosystem::RubyGems, "3.0.0.beta4", "3.0.pre"),
            Some(Less)
        );
        assert_eq!(compare(Ecosystem::RubyGems, "1.0.0.a", "1.a"), Some(Equal));
        assert_eq!(
            compare(Ecosystem::RubyGems, "1.0.0.rc1", "1.0.rc1"),
            Some(Equal)
        );
        assert_eq!(
            compare(Ecosystem::RubyGems, "1.0.0.beta.0", "1.0.0.beta"),
            Some(Equal)
        );
        assert_eq!(
            compare(Ecosystem::RubyGems, "1.0.a.1", "1.0.a"),
            Some(Greater)
        );
        assert_eq!(readable(Ecosystem::RubyGems, "1.0..0"), Readable::No);
        assert_eq!(readable(Ecosystem::RubyGems, "x1.0"), Readable::No);
    }

    #[test]
    fn maven_follows_comparable_version() {
        ascending(
            Ecosystem::Maven,
            &[
                "1.0-alpha1",
                "1.0-beta1",
                "1.0-milestone1",
                "1.0-rc1",
                "1.0-SNAPSHOT",
                "1.0",
                "1.0-sp1",
                "1.0.1",
                "2.0",
                "2.15.0",
                "2.17.0",
            ],
        );
        assert_eq!(compare(Ecosystem::Maven, "1.0", "1.0.0"), Some(Equal));
        assert_eq!(compare(Ecosystem::Maven, "1.0-ga", "1.0"), Some(Equal));
        assert_eq!(compare(Ecosystem::Maven, "1.0-final", "1"), Some(Equal));
        assert_eq!(compare(Ecosystem::Maven, "1.0-cr1", "1.0-rc1"), Some(Equal));
        assert_eq!(
            compare(Ecosystem::Maven, "1.0a1", "1.0-alpha-1"),
            Some(Equal)
        );
        assert_eq!(
            compare(Ecosystem::Maven, "2.0.0.RELEASE", "2.0.0"),
            Some(Equal)
        );
        assert_eq!(
            compare(Ecosystem::Maven, "1.0-foo", "1.0-sp"),
            Some(Greater)
        );
    }

    #[test]
    fn nuget_has_four_parts_and_case_insensitive_labels() {
        ascending(
            Ecosystem::NuGet,
            &[
                "4.0.0-preview.1",
                "4.0.0-RC.1",
                "4.0.0",
                "4.0.0.1",
                "4.5.1",
                "5.0.0",
            ],
        );
        assert_eq!(
            compare(Ecosystem::NuGet, "1.0.0-Beta", "1.0.0-beta"),
            Some(Equal)
        );
        assert_eq!(compare(Ecosystem::NuGet, "1.0", "1.0.0.0"), Some(Equal));
    }
}
