//! The soak's samples as line charts, one panel per measure, in plain SVG
//! (a text format: a few `<polyline>`s, no library).

use std::fmt::Write as _;

use super::sample::Sample;

const WIDTH: f64 = 720.0;
const PANEL_H: f64 = 150.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 30.0;
const GAP: f64 = 40.0;

/// One panel: a title, and its series (name, colour, value of a sample).
type Series<'a> = (&'a str, &'a str, fn(&Sample) -> f64);

/// Draws RSS, fds, threads and the request and message rates over time.
pub fn chart(title: &str, samples: &[Sample], warmup_s: f64) -> String {
    let panels: [(&str, Vec<Series<'_>>); 4] = [
        (
            "RSS (MiB)",
            vec![("rss", "#1f77b4", |s| s.rss_kib as f64 / 1024.0)],
        ),
        (
            "open file descriptors",
            vec![("fds", "#ff7f0e", |s| s.fds as f64)],
        ),
        (
            "threads",
            vec![("threads", "#2ca02c", |s| s.threads as f64)],
        ),
        (
            "per second",
            vec![
                ("requests", "#d62728", |s| s.requests_per_s),
                ("messages", "#9467bd", |s| s.messages_per_s),
            ],
        ),
    ];
    let height = TOP + panels.len() as f64 * (PANEL_H + GAP);
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="18" font-size="14">{}</text>"#,
        escape(title)
    );
    let t_max = samples.iter().map(|s| s.t).fold(1.0, f64::max);
    for (i, (name, series)) in panels.iter().enumerate() {
        let y0 = TOP + i as f64 * (PANEL_H + GAP) + GAP / 2.0;
        panel(&mut out, name, series, samples, y0, t_max, warmup_s);
    }
    out.push_str("</svg>\n");
    out
}

fn panel(
    out: &mut String,
    name: &str,
    series: &[Series<'_>],
    samples: &[Sample],
    y0: f64,
    t_max: f64,
    warmup_s: f64,
) {
    let plot_w = WIDTH - LEFT - RIGHT;
    let v_max = series
        .iter()
        .flat_map(|(_, _, f)| samples.iter().map(f))
        .fold(0.0, f64::max)
        .max(1.0)
        * 1.1;
    let x = |t: f64| LEFT + t / t_max * plot_w;
    let y = |v: f64| y0 + PANEL_H - v / v_max * PANEL_H;
    let _ = writeln!(
        out,
        r##"<rect x="{LEFT}" y="{y0}" width="{plot_w}" height="{PANEL_H}" fill="none" stroke="#999"/>"##
    );
    let wx = x(warmup_s.min(t_max));
    let _ = writeln!(
        out,
        r##"<rect x="{LEFT}" y="{y0}" width="{:.1}" height="{PANEL_H}" fill="#eee"/><text x="{:.1}" y="{:.1}" fill="#888">warm-up</text>"##,
        wx - LEFT,
        LEFT + 4.0,
        y0 + 14.0
    );
    let _ = writeln!(
        out,
        r#"<text x="{LEFT}" y="{:.1}">{}</text>"#,
        y0 - 5.0,
        escape(name)
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{:.0}</text>"#,
        LEFT - 5.0,
        y0 + 10.0,
        v_max
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="end">0</text>"#,
        LEFT - 5.0,
        y0 + PANEL_H
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{:.0} s</text>"#,
        WIDTH - RIGHT,
        y0 + PANEL_H + 14.0,
        t_max
    );
    for (k, (label, colour, f)) in series.iter().enumerate() {
        let points: Vec<String> = samples
            .iter()
            .map(|s| format!("{:.1},{:.1}", x(s.t), y(f(s))))
            .collect();
        let _ = writeln!(
            out,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            points.join(" ")
        );
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" fill="{colour}" text-anchor="end">{label}</text>"#,
            WIDTH - RIGHT - 5.0,
            y0 + 14.0 + k as f64 * 14.0
        );
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_a_line_per_series() {
        let s = |t: f64| Sample {
            t,
            rss_kib: 1000,
            fds: 20,
            threads: 9,
            requests_per_s: 500.0,
            messages_per_s: 80.0,
        };
        let svg = chart("a <b>", &[s(10.0), s(20.0), s(30.0)], 10.0);
        assert_eq!(svg.matches("<polyline").count(), 5);
        assert!(svg.contains("a &lt;b&gt;") && svg.ends_with("</svg>\n"));
    }
}
