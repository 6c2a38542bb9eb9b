//! The leak report as one self-contained HTML file: the verdict, each group with its retainer
//! path, source lines, pattern and fix, class growth tables, and charts drawn as inline SVG. No
//! script, no network, no external asset; every string from a heap is escaped.

use std::fmt::Write;

use heaplens_gctrace::chart::escape;
use heaplens_graph::format_bytes as bytes;
use heaplens_leaks::{LeakGroup, LeakReport};

const STYLE: &str = include_str!("../assets/report.css");

/// The report for the snapshots named `names` (in time order).
pub fn render_html(report: &LeakReport, names: &[String]) -> String {
    let mut html = String::new();
    let verdict = if report.verdict == "leak" { "Leak" } else { "No leak" };
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
         <title>heaplens: {verdict}</title><style>{STYLE}</style></head><body>\n"
    );
    let class = if report.verdict == "leak" { "leak" } else { "clean" };
    let _ = writeln!(
        html,
        "<header class=\"{class}\"><h1>{verdict} <small>({:?} confidence)</small></h1><p>{}</p></header>",
        report.confidence,
        escape(&report.reason)
    );
    snapshots_section(&mut html, report, names);
    for (i, group) in report.groups.iter().enumerate() {
        group_section(&mut html, i + 1, group);
    }
    let engine: Vec<String> = report.engine_internals.iter().map(|a| bytes(a.bytes)).collect();
    let _ = writeln!(
        html,
        "<section><h2>V8 internals</h2><p>Compiled code, feedback, shapes and engine strings added per interval \
         and still alive: {} (not counted as leaks).</p></section>",
        escape(&engine.join(", "))
    );
    html.push_str("<footer>Written by heaplens.</footer></body></html>\n");
    html
}

fn snapshots_section(html: &mut String, report: &LeakReport, names: &[String]) {
    html.push_str("<section><h2>Snapshots</h2><table><thead><tr><th>#</th><th>File</th><th>Nodes</th><th>Heap</th></tr></thead><tbody>");
    for (i, (figures, name)) in report.snapshots.iter().zip(names).enumerate() {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            i + 1,
            escape(name),
            figures.node_count,
            bytes(figures.total_size)
        );
    }
    let _ =
        write!(html, "</tbody></table><p>A leak keeps at least {} per interval alive.</p>", bytes(report.min_growth));
    let labels: Vec<String> = (1..=report.snapshots.len()).map(|i| format!("#{i}")).collect();
    let sizes: Vec<u64> = report.snapshots.iter().map(|s| s.total_size).collect();
    html.push_str(&bar_chart("Heap size per snapshot", &labels, &sizes));
    html.push_str("</section>\n");
}

fn group_section(html: &mut String, rank: usize, group: &LeakGroup) {
    let status = if group.leak { "leak" } else { "not a leak" };
    let _ = write!(
        html,
        "<section class=\"group {}\"><h2>{rank}. {} in {} <small>[{status}, {:?} confidence]</small></h2>",
        if group.leak { "leak" } else { "suspect" },
        escape(&group.primary_class),
        escape(&group.container.name),
        group.confidence
    );
    let _ = write!(
        html,
        "<dl><dt>Pattern</dt><dd>{}</dd><dt>Growth</dt><dd>{} per interval still alive; retains {}</dd>\
         <dt>Why</dt><dd>{}</dd><dt>Container</dt><dd>{} ({}, @{})</dd>",
        escape(&group.pattern.title),
        bytes(group.growth_per_interval),
        bytes(group.retained_size),
        escape(&group.reason),
        escape(&group.container.name),
        escape(&group.container.kind),
        group.container.id
    );
    if !group.container.path.is_empty() {
        let _ = write!(html, "<dt>Held by</dt><dd>{}</dd>", path_list(&group.container.path));
    }
    let _ = write!(html, "<dt>Example @{}</dt><dd>{}</dd>", group.example.id, path_list(&group.example.path));
    for source in &group.sources {
        let _ = write!(
            html,
            "<dt>{}</dt><dd><code>{}</code> {}",
            escape(source.role),
            escape(&source.name),
            escape(&source.location)
        );
        if let Some(line) = &source.line {
            let _ = write!(html, "<pre>{}</pre>", escape(line));
        }
        html.push_str("</dd>");
    }
    let _ = write!(html, "<dt>Fix</dt><dd>{}</dd></dl>", escape(&group.pattern.fix));
    html.push_str("<table><thead><tr><th>Class</th>");
    for i in 1..=group.added.len() {
        let _ = write!(html, "<th>interval {i}</th>");
    }
    html.push_str("</tr></thead><tbody>");
    for class in &group.classes {
        let _ = write!(html, "<tr><td>{}</td>", escape(&class.name));
        for a in &class.added {
            let _ = write!(html, "<td class=\"n\">+{} ({})</td>", a.count, bytes(a.bytes));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
    let labels: Vec<String> = (1..=group.added.len()).map(|i| format!("interval {i}")).collect();
    let added: Vec<u64> = group.added.iter().map(|a| a.bytes).collect();
    html.push_str(&bar_chart("Added per interval and still alive", &labels, &added));
    html.push_str("</section>\n");
}

/// A bar per value, labelled below and with its size above, as inline SVG.
fn bar_chart(title: &str, labels: &[String], values: &[u64]) -> String {
    const BAR: f64 = 90.0;
    const GAP: f64 = 30.0;
    const HEIGHT: f64 = 140.0;
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let width = values.len() as f64 * (BAR + GAP) + GAP;
    let mut svg = format!(
        "<figure><figcaption>{}</figcaption><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" \
         height=\"{}\" font-family=\"sans-serif\" font-size=\"11\">",
        escape(title),
        HEIGHT + 40.0
    );
    for (i, (label, &value)) in labels.iter().zip(values).enumerate() {
        let h = (value as f64 / max * HEIGHT).max(1.0);
        let x = GAP + i as f64 * (BAR + GAP);
        let y = 20.0 + HEIGHT - h;
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{y:.1}\" width=\"{BAR}\" height=\"{h:.1}\" fill=\"#2a6fdb\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x + BAR / 2.0,
            y - 5.0,
            escape(&bytes(value)),
            x + BAR / 2.0,
            HEIGHT + 36.0,
            escape(label)
        );
    }
    svg.push_str("</svg></figure>");
    svg
}

fn path_list(steps: &[String]) -> String {
    let items: String = steps.iter().map(|s| format!("<li>{}</li>", escape(s))).collect();
    format!("<ol class=\"path\">{items}</ol>")
}
