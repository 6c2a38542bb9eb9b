//! Charts of heap figures over time as self-contained SVG files: [`render`] draws panels of
//! lines with marked points; [`svg`] draws a GC log's report with it (per isolate, heap in use
//! before and after each collection, major collections marked).

use std::fmt::Write;

use crate::report::{IsolateReport, Report};

const WIDTH: f64 = 960.0;
const PANEL: f64 = 280.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 40.0;

/// Escapes text for SVG (and HTML).
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A "nice" step for about `n` ticks over `range`.
fn tick_step(range: f64, n: f64) -> f64 {
    let raw = (range / n).max(f64::MIN_POSITIVE);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * power).find(|&s| s >= raw).unwrap_or(10.0 * power)
}

/// One line of a panel: points are (seconds, MB).
pub struct Line {
    /// Legend text.
    pub label: String,
    /// SVG colour.
    pub color: &'static str,
    /// Stroke width.
    pub width: f64,
    /// The points, in time order.
    pub points: Vec<(f64, f64)>,
}

/// One chart panel: lines over time, with some points marked (a dot and a tooltip each).
pub struct Panel {
    /// Title above the plot.
    pub title: String,
    /// The lines.
    pub lines: Vec<Line>,
    /// Marked points: (seconds, MB, tooltip).
    pub marks: Vec<(f64, f64, String)>,
    /// Legend text for the marks.
    pub mark_label: String,
}

/// The SVG document for `report`: one panel per isolate, heap in use before and after each
/// collection, major collections marked.
pub fn svg(report: &Report) -> String {
    let panels: Vec<Panel> = report.isolates.iter().map(isolate_panel).collect();
    render(&panels, "no collections in the log")
}

fn isolate_panel(r: &IsolateReport) -> Panel {
    let series = |value: fn(&crate::report::HeapPoint) -> f64| r.heap.iter().map(|p| (p.time_s, value(p))).collect();
    Panel {
        title: format!("pid {} isolate {}: {} — {}", r.pid, r.isolate, r.verdict.state, r.verdict.explanation),
        lines: vec![
            Line { label: "heap before GC".into(), color: "#b0b0b0", width: 1.0, points: series(|p| p.before_mb) },
            Line { label: "heap after GC".into(), color: "#2a6fdb", width: 1.5, points: series(|p| p.after_mb) },
        ],
        marks: r
            .heap
            .iter()
            .filter(|p| p.major)
            .map(|p| (p.time_s, p.after_mb, format!("major GC at {:.2} s: {:.1} MB after", p.time_s, p.after_mb)))
            .collect(),
        mark_label: "major GC".into(),
    }
}

/// `panels` stacked in one self-contained SVG document; `empty` is shown when there are none.
pub fn render(panels: &[Panel], empty: &str) -> String {
    let height = panels.len().max(1) as f64 * PANEL;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">"#
    );
    out.push_str(r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (i, p) in panels.iter().enumerate() {
        panel(&mut out, p, i as f64 * PANEL);
    }
    if panels.is_empty() {
        let _ = write!(out, r#"<text x="20" y="40">{}</text>"#, escape(empty));
    }
    out.push_str("</svg>\n");
    out
}

fn panel(out: &mut String, p: &Panel, y0: f64) {
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, PANEL - TOP - BOTTOM);
    let all = || p.lines.iter().flat_map(|l| l.points.iter());
    let t0 = all().map(|q| q.0).fold(f64::INFINITY, f64::min);
    let t0 = if t0.is_finite() { t0 } else { 0.0 };
    let t1 = all().map(|q| q.0).fold(t0 + 1e-3, f64::max);
    let max_mb = all().map(|q| q.1).fold(1.0, f64::max) * 1.05;
    let x = |t: f64| LEFT + (t - t0) / (t1 - t0) * plot_w;
    let y = |mb: f64| y0 + TOP + plot_h - mb / max_mb * plot_h;
    let _ = write!(
        out,
        r#"<text x="{LEFT}" y="{}" font-size="12" font-weight="bold">{}</text>"#,
        y0 + 20.0,
        escape(&p.title)
    );
    let step = tick_step(max_mb, 5.0);
    let mut mb = 0.0;
    while mb <= max_mb {
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e5e5e5"/><text x="{}" y="{:.1}" text-anchor="end">{mb} MB</text>"##,
            WIDTH - RIGHT,
            LEFT - 6.0,
            y(mb) + 4.0,
            y = y(mb)
        );
        mb += step;
    }
    let step = tick_step(t1 - t0, 8.0);
    let mut t = (t0 / step).ceil() * step;
    while t <= t1 {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{} s</text>"#,
            x(t),
            y0 + PANEL - BOTTOM + 16.0,
            (t * 1000.0).round() / 1000.0
        );
        t += step;
    }
    for line in &p.lines {
        let points: Vec<String> = line.points.iter().map(|&(t, mb)| format!("{:.1},{:.1}", x(t), y(mb))).collect();
        let _ = write!(
            out,
            r#"<polyline fill="none" stroke="{}" stroke-width="{}" points="{}"/>"#,
            line.color,
            line.width,
            points.join(" ")
        );
    }
    for (t, mb, tip) in &p.marks {
        let _ = write!(
            out,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#d62728"><title>{}</title></circle>"##,
            x(*t),
            y(*mb),
            escape(tip)
        );
    }
    let legend_y = y0 + PANEL - 8.0;
    let _ = write!(out, r#"<text x="{LEFT}" y="{legend_y}">"#);
    for line in &p.lines {
        let _ = write!(out, r#"<tspan fill="{}">━ {}</tspan>   "#, line.color, escape(&line.label));
    }
    if !p.marks.is_empty() {
        let _ = write!(out, r##"<tspan fill="#d62728">● {}</tspan>"##, escape(&p.mark_label));
    }
    out.push_str("</text>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(100.0, 5.0), 20.0);
        assert_eq!(tick_step(7.0, 8.0), 1.0);
        assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
    }
}
