//! The chart: per isolate, heap in use before and after each collection over time, major
//! collections marked, as one self-contained SVG file.

use std::fmt::Write;

use crate::report::{IsolateReport, Report};

const WIDTH: f64 = 960.0;
const PANEL: f64 = 280.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 40.0;

/// Escapes text for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A "nice" step for about `n` ticks over `range`.
fn tick_step(range: f64, n: f64) -> f64 {
    let raw = (range / n).max(f64::MIN_POSITIVE);
    let power = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * power).find(|&s| s >= raw).unwrap_or(10.0 * power)
}

/// The SVG document for `report`.
pub fn svg(report: &Report) -> String {
    let panels = report.isolates.len().max(1) as f64;
    let height = panels * PANEL;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">"#
    );
    out.push_str(r#"<rect width="100%" height="100%" fill="white"/>"#);
    for (i, isolate) in report.isolates.iter().enumerate() {
        panel(&mut out, isolate, i as f64 * PANEL);
    }
    if report.isolates.is_empty() {
        out.push_str(r#"<text x="20" y="40">no collections in the log</text>"#);
    }
    out.push_str("</svg>\n");
    out
}

fn panel(out: &mut String, r: &IsolateReport, y0: f64) {
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, PANEL - TOP - BOTTOM);
    let t0 = r.heap.first().map_or(0.0, |p| p.time_s);
    let t1 = r.heap.last().map_or(1.0, |p| p.time_s).max(t0 + 1e-3);
    let max_mb = r.heap.iter().map(|p| p.before_mb.max(p.after_mb)).fold(1.0, f64::max) * 1.05;
    let x = |t: f64| LEFT + (t - t0) / (t1 - t0) * plot_w;
    let y = |mb: f64| y0 + TOP + plot_h - mb / max_mb * plot_h;
    let title = format!("pid {} isolate {}: {} — {}", r.pid, r.isolate, r.verdict.state, r.verdict.explanation);
    let _ = write!(
        out,
        r#"<text x="{LEFT}" y="{}" font-size="12" font-weight="bold">{}</text>"#,
        y0 + 20.0,
        escape(&title)
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
    let line = |values: &dyn Fn(&crate::report::HeapPoint) -> f64| -> String {
        r.heap.iter().map(|p| format!("{:.1},{:.1}", x(p.time_s), y(values(p)))).collect::<Vec<_>>().join(" ")
    };
    let _ = write!(
        out,
        r##"<polyline fill="none" stroke="#b0b0b0" stroke-width="1" points="{}"/>"##,
        line(&|p| p.before_mb)
    );
    let _ = write!(
        out,
        r##"<polyline fill="none" stroke="#2a6fdb" stroke-width="1.5" points="{}"/>"##,
        line(&|p| p.after_mb)
    );
    for p in r.heap.iter().filter(|p| p.major) {
        let _ = write!(
            out,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#d62728"><title>major GC at {:.2} s: {:.1} MB after</title></circle>"##,
            x(p.time_s),
            y(p.after_mb),
            p.time_s,
            p.after_mb
        );
    }
    let legend_y = y0 + PANEL - 8.0;
    let _ = write!(
        out,
        r##"<text x="{LEFT}" y="{legend_y}"><tspan fill="#b0b0b0">━ heap before GC</tspan>   <tspan fill="#2a6fdb">━ heap after GC</tspan>   <tspan fill="#d62728">● major GC</tspan></text>"##
    );
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
