//! JaCoCo XML (`jacocoTestReport.xml`, `jacoco.xml`).
//!
//! Schema: <https://www.jacoco.org/jacoco/trunk/coverage/report.dtd>. The report-level
//! `<counter type="LINE" missed="…" covered="…"/>` (a direct child of `<report>`) is the
//! total; package, class and method counters are parts of it and are not added again. The
//! DOCTYPE names `report.dtd`, which is never fetched.

use std::io::BufRead;

use crate::run_tests::parse::ParseError;
use crate::run_tests::report::CoverageTotals;
use crate::run_tests::xml::{self, Node};

/// Reads a JaCoCo report.
pub fn parse<R: BufRead>(input: R) -> Result<CoverageTotals, ParseError> {
    let mut found = None;
    let mut root_seen = false;
    xml::walk(input, |node| {
        if let Node::Open {
            name,
            attrs,
            parents,
        } = node
        {
            if !root_seen {
                root_seen = true;
                if name != "report" {
                    return Err(format!(
                        "not a JaCoCo report: the root is `<{name}>`, not `<report>`"
                    ));
                }
            }
            if name == "counter"
                && parents.len() == 1
                && attrs.get("type").as_deref() == Some("LINE")
            {
                let (Some(missed), Some(covered)) = (attrs.num("missed"), attrs.num("covered"))
                else {
                    return Err(
                        "the report's LINE counter needs numeric `missed` and `covered`".into(),
                    );
                };
                found = Some((covered as u64, missed as u64));
            }
        }
        Ok(())
    })
    .map_err(ParseError::xml)?;
    match found {
        Some((covered, missed)) => Ok(CoverageTotals::new(covered, covered + missed)),
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
        let c = parse(xml.as_bytes()).unwrap();
        assert_eq!((c.covered, c.total, c.percent), (30, 40, 75.0));
    }
}
