//! JaCoCo XML (`jacocoTestReport.xml`, `jacoco.xml`).
//!
//! Schema: <https://www.jacoco.org/jacoco/trunk/coverage/report.dtd>. Each
//! `package/sourcefile/line` (`nr`, missed instructions `mi`, covered instructions `ci`) is a
//! line of `package/sourcefile`: measured, and covered when `ci > 0`, as JaCoCo's own LINE
//! counter counts it. A report without line elements (written from class files without debug
//! information) falls back to the report-level `<counter type="LINE" missed="…"
//! covered="…"/>` (a direct child of `<report>`), which can only be added to other reports.
//! The DOCTYPE names `report.dtd`, which is never fetched.

use std::collections::HashMap;
use std::io::BufRead;

use super::CoverageData;
use super::lines::FileLines;
use crate::run_tests::parse::ParseError;
use crate::run_tests::xml::Node;

/// Reads a JaCoCo report.
pub fn parse<R: BufRead>(input: R) -> Result<CoverageData, ParseError> {
    let mut found = None;
    let mut package = String::new();
    let mut source: Option<String> = None;
    let mut files: HashMap<String, (Vec<u32>, Vec<u32>)> = HashMap::new();
    super::walk_report(
        input,
        "report",
        "JaCoCo report",
        &["package", "sourcefile", "line", "counter"],
        |node| {
            let Node::Open {
                name,
                attrs,
                parents,
                ..
            } = node
            else {
                return Ok(());
            };
            match name {
                "package" if parents.len() == 1 => {
                    package = attrs.get("name").unwrap_or_default().into_owned();
                }
                "sourcefile" if parents.len() == 2 => {
                    let file = attrs.get("name").unwrap_or_default();
                    source = Some(if package.is_empty() {
                        file.into_owned()
                    } else {
                        format!("{package}/{file}")
                    });
                }
                "line" if parents.len() == 3 && parents[2] == "sourcefile" => {
                    let (Some(file), Some(nr)) = (source.as_ref(), attrs.num("nr")) else {
                        return Err(
                            "a `<line>` needs a numeric `nr` inside a `<sourcefile>`".into()
                        );
                    };
                    let (mi, ci) = (
                        attrs.num("mi").unwrap_or(0.0),
                        attrs.num("ci").unwrap_or(0.0),
                    );
                    if mi + ci <= 0.0 || !(0.0..=f64::from(u32::MAX)).contains(&nr) {
                        return Ok(());
                    }
                    let entry = match files.get_mut(file) {
                        Some(e) => e,
                        None => files.entry(file.clone()).or_default(),
                    };
                    entry.0.push(nr as u32);
                    if ci > 0.0 {
                        entry.1.push(nr as u32);
                    }
                }
                "counter" if parents.len() == 1 && attrs.get("type").as_deref() == Some("LINE") => {
                    let (Some(missed), Some(covered)) = (attrs.num("missed"), attrs.num("covered"))
                    else {
                        return Err(
                            "the report's LINE counter needs numeric `missed` and `covered`".into(),
                        );
                    };
                    found = Some((covered as u64, missed as u64));
                }
                _ => {}
            }
            Ok(())
        },
    )?;
    if !files.is_empty() {
        let mut data = CoverageData::default();
        for (file, (measured, covered)) in files {
            data.add_file(&file, FileLines::new(measured, covered));
        }
        return Ok(data);
    }
    match found {
        Some((covered, missed)) => Ok(CoverageData::summed(covered, covered + missed)),
        None => Err(ParseError::whole(
            "the JaCoCo report has no report-level LINE counter",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_level_line_counter_is_the_total() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd"><report name="shop"><package name="a"><counter type="LINE" missed="5" covered="5"/></package><counter type="INSTRUCTION" missed="1" covered="1"/><counter type="LINE" missed="10" covered="30"/></report>"#;
        let data = parse(xml.as_bytes()).unwrap();
        let c = data.totals();
        assert_eq!((c.covered, c.total, c.percent), (30, 40, 75.0));
        assert!(!data.has_lines());
    }

    #[test]
    fn source_file_lines_are_read_per_file() {
        let xml = r#"<report name="shop"><package name="com/shop"><class name="com/shop/Cart" sourcefilename="Cart.java"><counter type="LINE" missed="1" covered="2"/></class>
<sourcefile name="Cart.java"><line nr="3" mi="0" ci="4" mb="0" cb="0"/><line nr="4" mi="2" ci="1" mb="0" cb="0"/><line nr="7" mi="3" ci="0" mb="0" cb="0"/><line nr="9" mi="0" ci="0" mb="0" cb="0"/><counter type="LINE" missed="1" covered="2"/></sourcefile></package>
<counter type="LINE" missed="1" covered="2"/></report>"#;
        let data = parse(xml.as_bytes()).unwrap();
        let f = &data.files["com/shop/Cart.java"];
        assert_eq!(
            (f.lines.render().as_str(), f.covered.render().as_str()),
            ("3-4,7", "3-4")
        );
        assert_eq!(data.totals().percent, 66.67);
    }

    #[test]
    fn another_root_is_refused() {
        let err = parse("<coverage/>".as_bytes()).unwrap_err();
        assert!(
            matches!(err, ParseError::Offset(e) if e.message.contains("not a JaCoCo report: the root is `<coverage>`"))
        );
    }
}
