//! The report as one self-contained HTML page: inline CSS and SVG charts drawn here, no
//! script, no external request (fonts, styles and images included), so it opens from an
//! artifact or a mail attachment as it is.

use std::fmt::Write as _;

use super::Report;
use super::render::dora_rows;
use super::time::human;

/// The series colours; each chart has its own so a test can find every one on a screenshot.
pub const COLORS: [(&str, &str); 5] = [
    ("deployments", "#1f77b4"),
    ("lead-time", "#2ca02c"),
    ("failure-rate", "#d62728"),
    ("restore", "#9467bd"),
    ("durations", "#ff7f0e"),
];

const W: f64 = 460.0;
const H: f64 = 220.0;
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 36.0;
const TOP: f64 = 28.0;

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A bar chart: one bar per label, `None` values drawn as gaps, `fmt` writes the axis maximum.
fn bars(
    id: &str,
    title: &str,
    color: &str,
    labels: &[String],
    values: &[Option<f64>],
    fmt: &dyn Fn(f64) -> String,
) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<figure class="chart" id="{id}"><svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" role="img" aria-label="{t}"><title>{t}</title><text x="{LEFT}" y="18" class="title">{t}</text>"#,
        t = esc(title)
    );
    let max = values.iter().flatten().copied().fold(0.0_f64, f64::max);
    let plot_w = W - LEFT - 10.0;
    let plot_h = H - TOP - BOTTOM;
    let _ = write!(
        s,
        r##"<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{y0}" stroke="#888"/><line x1="{LEFT}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#888"/><text x="{lx}" y="{ty}" class="axis" text-anchor="end">{m}</text><text x="{lx}" y="{y0}" class="axis" text-anchor="end">0</text>"##,
        y0 = TOP + plot_h,
        x1 = LEFT + plot_w,
        lx = LEFT - 4.0,
        ty = TOP + 8.0,
        m = esc(&fmt(max))
    );
    if max <= 0.0 || labels.is_empty() {
        let _ = write!(
            s,
            r#"<text x="{x}" y="{y}" class="nodata" text-anchor="middle">no data</text>"#,
            x = LEFT + plot_w / 2.0,
            y = TOP + plot_h / 2.0
        );
    } else {
        let slot = plot_w / labels.len() as f64;
        let every = (labels.len() / 8).max(1);
        for (i, (label, v)) in labels.iter().zip(values).enumerate() {
            let x = LEFT + slot * i as f64 + slot * 0.15;
            if let Some(v) = v {
                let h = (v / max * plot_h).max(if *v > 0.0 { 2.0 } else { 0.0 });
                let _ = write!(
                    s,
                    r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{color}"><title>{l}: {val}</title></rect>"#,
                    y = TOP + plot_h - h,
                    w = slot * 0.7,
                    l = esc(label),
                    val = esc(&fmt(*v))
                );
            }
            if i % every == 0 {
                let _ = write!(
                    s,
                    r#"<text x="{cx:.1}" y="{ly}" class="axis" text-anchor="middle">{l}</text>"#,
                    cx = x + slot * 0.35,
                    ly = TOP + plot_h + 14.0,
                    l = esc(label)
                );
            }
        }
    }
    s.push_str("</svg></figure>\n");
    s
}

/// The page.
pub fn page(r: &Report) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<h1>Delivery metrics: {}</h1><p class=\"window\">environment <code>{}</code>, {} .. {}</p>",
        esc(&r.repository),
        esc(&r.dora.environment),
        esc(&r.from),
        esc(&r.to)
    );
    body.push_str(
        "<table><thead><tr><th>figure</th><th>value</th><th>DORA band</th></tr></thead><tbody>",
    );
    for [a, b, c] in dora_rows(r) {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td class=\"band {c}\">{}</td></tr>",
            esc(&a),
            esc(&b),
            esc(&c),
            c = esc(&c)
        );
    }
    body.push_str("</tbody></table>\n<section class=\"grid\">\n");
    let weeks = &r.dora.weeks;
    let labels: Vec<String> = weeks.iter().map(|w| w.start[5..].to_owned()).collect();
    let count = |v: f64| format!("{v:.0}");
    let pct = |v: f64| format!("{v:.0}%");
    let dur = |v: f64| human(v);
    body.push_str(&bars(
        "deployments",
        "Deployments per week",
        COLORS[0].1,
        &labels,
        &weeks
            .iter()
            .map(|w| Some(w.deployments as f64))
            .collect::<Vec<_>>(),
        &count,
    ));
    body.push_str(&bars(
        "lead-time",
        "Lead time for changes (weekly median)",
        COLORS[1].1,
        &labels,
        &weeks.iter().map(|w| w.lead_time_s).collect::<Vec<_>>(),
        &dur,
    ));
    body.push_str(&bars(
        "failure-rate",
        "Change failure rate (weekly)",
        COLORS[2].1,
        &labels,
        &weeks.iter().map(|w| w.failure_rate).collect::<Vec<_>>(),
        &pct,
    ));
    body.push_str(&bars(
        "restore",
        "Time to restore (weekly median)",
        COLORS[3].1,
        &labels,
        &weeks.iter().map(|w| w.restore_s).collect::<Vec<_>>(),
        &dur,
    ));
    let wf = &r.pipelines.workflows;
    body.push_str(&bars(
        "durations",
        "Workflow duration (median)",
        COLORS[4].1,
        &wf.iter().map(|w| w.workflow.clone()).collect::<Vec<_>>(),
        &wf.iter().map(|w| w.p50_s).collect::<Vec<_>>(),
        &dur,
    ));
    body.push_str("</section>\n<h2>Pipelines</h2><table><thead><tr><th>workflow</th><th>runs</th><th>success</th><th>p50</th><th>p95</th><th>queue p50</th><th>reruns</th></tr></thead><tbody>");
    let h = |v: Option<f64>| v.map_or_else(|| "-".into(), human);
    for w in wf {
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&w.workflow),
            w.runs,
            w.success_rate
                .map_or_else(|| "-".into(), |p| format!("{p}%")),
            h(w.p50_s),
            h(w.p95_s),
            h(w.queue_p50_s),
            w.reruns
        );
    }
    body.push_str("</tbody></table>");
    if !r.breaches.is_empty() {
        body.push_str("<h2>Targets missed</h2><ul>");
        for b in &r.breaches {
            let _ = write!(
                body,
                "<li><b>{}</b>: {}</li>",
                esc(b.target),
                esc(&b.message)
            );
        }
        body.push_str("</ul>");
    }
    if !r.notes.is_empty() {
        body.push_str("<ul class=\"notes\">");
        for n in &r.notes {
            let _ = write!(body, "<li>{}</li>", esc(n));
        }
        body.push_str("</ul>");
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\"><title>Delivery metrics: {}</title><style>{CSS}</style></head><body>\n{body}\n</body></html>\n",
        esc(&r.repository)
    )
}

const CSS: &str = "body{font-family:system-ui,sans-serif;margin:16px;color:#222;background:#fff}\
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}\
.grid{display:grid;grid-template-columns:repeat(2,460px);gap:12px}.chart{margin:0;border:1px solid #ddd;width:460px;height:220px}\
.title{font-size:13px;font-weight:600}.axis{font-size:10px;fill:#555}.nodata{font-size:14px;fill:#999}\
.band.elite{color:#1a7f37}.band.low{color:#cf222e}.notes{color:#555}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn a_chart_without_data_says_so() {
        let svg = bars("x", "T", "#000", &[], &[], &|v| v.to_string());
        assert!(svg.contains("no data"));
        assert!(!svg.contains("<rect"));
    }
}
