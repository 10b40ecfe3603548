//! A streaming walk over an XML manifest (pom.xml, .csproj, Directory.Build.props, .slnx).
//!
//! quick-xml reads events without building a tree, never loads DTDs and never expands
//! entities beyond the five predefined ones and character references, so a hostile file can
//! neither blow up memory nor reach the network. Callers see element paths by local name
//! (namespace prefixes dropped), the attributes of each opening tag, and the text of each leaf.

use quick_xml::Reader;
use quick_xml::events::Event;

/// One thing seen in the document.
#[derive(Debug)]
pub enum Node<'a> {
    /// An element opened (or an empty element): its path from the root, including itself,
    /// and its attributes.
    Open {
        /// Local names from the root element to this one.
        path: &'a [String],
        /// Attributes, local name and value.
        attrs: &'a [(String, String)],
    },
    /// The trimmed text of an element that just closed, when not empty.
    Text {
        /// Local names from the root element to this one.
        path: &'a [String],
        /// Its text, entities resolved.
        text: &'a str,
    },
}

/// Walks `text`, calling `f` for each element and each leaf text; an `Err` describes where the
/// document stopped being XML (what was seen before it was already reported).
pub fn walk(text: &str, mut f: impl FnMut(Node<'_>)) -> Result<(), String> {
    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut buf = String::new();
    let mut attrs: Vec<(String, String)> = Vec::new();
    let mut saw_root = false;
    loop {
        let event = reader.read_event().map_err(|e| {
            format!(
                "not valid XML at byte {}: {}",
                reader.error_position(),
                lower_first(&e.to_string())
            )
        })?;
        match event {
            Event::Start(e) | Event::Empty(e) if path.is_empty() && saw_root => {
                let _ = e;
                return Err("not valid XML: more than one root element".to_owned());
            }
            Event::Start(e) => {
                saw_root = true;
                path.push(e.local_name().as_ref().to_owned());
                read_attrs(&e, &mut attrs);
                f(Node::Open {
                    path: &path,
                    attrs: &attrs,
                });
                buf.clear();
            }
            Event::Empty(e) => {
                saw_root = true;
                path.push(e.local_name().as_ref().to_owned());
                read_attrs(&e, &mut attrs);
                f(Node::Open {
                    path: &path,
                    attrs: &attrs,
                });
                path.pop();
                buf.clear();
            }
            Event::Text(t) if !path.is_empty() => buf.push_str(&t.xml10_content()),
            Event::CData(t) if !path.is_empty() => buf.push_str(&t),
            Event::GeneralRef(r) => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    buf.push(c);
                } else {
                    let name: &str = &r;
                    match quick_xml::escape::resolve_predefined_entity(name) {
                        Some(s) => buf.push_str(s),
                        None => {
                            return Err(format!("not valid XML: unknown entity `&{name};`"));
                        }
                    }
                }
            }
            Event::End(_) => {
                let trimmed = buf.trim();
                if !trimmed.is_empty() {
                    f(Node::Text {
                        path: &path,
                        text: trimmed,
                    });
                }
                buf.clear();
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(open) = path.last() {
        return Err(format!("not valid XML: the file ends inside `<{open}>`"));
    }
    if !saw_root {
        return Err("not valid XML: no root element".to_owned());
    }
    Ok(())
}

fn read_attrs(e: &quick_xml::events::BytesStart<'_>, out: &mut Vec<(String, String)>) {
    out.clear();
    for attr in e.attributes().flatten() {
        let key = attr.key.local_name().as_ref().to_owned();
        let value = attr
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map(|v| v.into_owned())
            .unwrap_or_else(|_| attr.value.clone().into_owned());
        out.push((key, value));
    }
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
    use proptest::prelude::*;

    fn texts(xml: &str) -> Result<Vec<(String, String)>, String> {
        let mut out = Vec::new();
        walk(xml, |node| {
            if let Node::Text { path, text } = node {
                out.push((path.join("/"), text.to_owned()));
            }
        })?;
        Ok(out)
    }

    #[test]
    fn leaf_texts_with_entities_and_namespaces() {
        let xml = "<?xml version=\"1.0\"?>\n<p:project xmlns:p=\"x\"><a><b> x &amp; y&#33; </b><c/></a></p:project>";
        assert_eq!(
            texts(xml).expect("valid"),
            vec![("project/a/b".to_owned(), "x & y!".to_owned())]
        );
    }

    #[test]
    fn malformed_documents_are_errors() {
        assert!(texts("<a><b></a>").is_err());
        assert!(texts("<a>").is_err());
        assert!(texts("plain text").is_err());
        assert!(texts("<a>&bogus;</a>").is_err());
        assert!(texts("<a/><b/>").is_err());
        assert!(texts("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>").is_err());
    }

    proptest! {
        #[test]
        fn walk_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = texts(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn walk_never_panics_on_tag_soup(text in "(<|>|/|a|b|=|\"|&|;|#|!|\\[|\\]| |x)*") {
            let _ = texts(&text);
        }
    }
}
