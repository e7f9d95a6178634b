//! The chart of ratios, `target/bench/ratios.svg`, drawn by hand.
//!
//! One horizontal bar per server and workload: its throughput divided by
//! the peer's in the same round (median over rounds), a whisker from the
//! lowest to the highest round, and a dashed line at 1.0, where a server
//! is exactly as fast as its peer. Horizontal bars leave room for long
//! labels. The file sets its own size and a white background, and uses
//! only plain SVG 1.1, so browsers and GitHub show it the same way.

use std::fmt::Write;

/// One bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// The workload, a heading over its bars.
    pub group: String,
    /// The server.
    pub label: String,
    pub ratio: f64,
    pub low: f64,
    pub high: f64,
}

const WIDTH: f64 = 880.0;
const LABEL_RIGHT: f64 = 230.0;
const PLOT_LEFT: f64 = 240.0;
const PLOT_RIGHT: f64 = 840.0;
const TOP: f64 = 64.0;
const HEADING: f64 = 26.0;
const ROW: f64 = 22.0;
const BOTTOM: f64 = 44.0;
const FONT: &str = "font-family=\"Helvetica, Arial, sans-serif\"";

/// `&`, `<`, `>` and `"` escaped for XML text and attributes.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The axis: from 0 to a round number above every whisker, and the step
/// between ticks.
fn axis(bars: &[Bar]) -> (f64, f64) {
    let top = bars
        .iter()
        .flat_map(|b| [b.ratio, b.high])
        .filter(|x| x.is_finite())
        .fold(1.0f64, f64::max)
        * 1.08;
    let step = if top <= 2.0 {
        0.25
    } else if top <= 5.0 {
        0.5
    } else if top <= 10.0 {
        1.0
    } else {
        (top / 10.0).ceil()
    };
    ((top / step).ceil() * step, step)
}

/// The whole SVG document.
pub fn ratio_chart(title: &str, subtitle: &str, bars: &[Bar]) -> String {
    let groups = bars
        .iter()
        .enumerate()
        .filter(|(i, b)| *i == 0 || bars[i - 1].group != b.group)
        .count();
    let height = TOP + groups as f64 * HEADING + bars.len() as f64 * ROW + BOTTOM;
    let (max, step) = axis(bars);
    let x = |r: f64| PLOT_LEFT + (r.clamp(0.0, max) / max) * (PLOT_RIGHT - PLOT_LEFT);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" {FONT} font-size=\"13\">"
    );
    let _ = writeln!(s, "<title>{}</title>", escape(title));
    let _ = writeln!(s, "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>");
    let _ = writeln!(
        s,
        "<text x=\"20\" y=\"26\" font-size=\"17\" font-weight=\"bold\" fill=\"#111\">{}</text>",
        escape(title)
    );
    let _ = writeln!(
        s,
        "<text x=\"20\" y=\"46\" fill=\"#555\">{}</text>",
        escape(subtitle)
    );
    let plot_bottom = height - BOTTOM;
    // Grid and tick labels.
    let mut t = 0.0;
    while t <= max + 1e-9 {
        let _ = writeln!(
            s,
            "<line x1=\"{0:.1}\" y1=\"{TOP}\" x2=\"{0:.1}\" y2=\"{plot_bottom}\" stroke=\"#e4e4e4\"/>\n\
             <text x=\"{0:.1}\" y=\"{1}\" text-anchor=\"middle\" fill=\"#333\">{t}</text>",
            x(t),
            plot_bottom + 18.0
        );
        t += step;
    }
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{}\" text-anchor=\"middle\" fill=\"#333\">ratio to the peer in the same round (higher is faster)</text>",
        (PLOT_LEFT + PLOT_RIGHT) / 2.0,
        plot_bottom + 36.0
    );
    // The line at 1.0 first, so that bars and figures are drawn over it.
    let one = x(1.0);
    let _ = writeln!(
        s,
        "<line x1=\"{one:.1}\" y1=\"{TOP}\" x2=\"{one:.1}\" y2=\"{plot_bottom}\" stroke=\"#111\" stroke-width=\"1.5\" stroke-dasharray=\"5 4\"/>"
    );
    let mut y = TOP;
    for (i, b) in bars.iter().enumerate() {
        if i == 0 || bars[i - 1].group != b.group {
            // A white band under the heading interrupts the grid lines.
            let _ = writeln!(
                s,
                "<rect x=\"0\" y=\"{y:.1}\" width=\"{WIDTH}\" height=\"{HEADING}\" fill=\"#ffffff\"/>\n\
                 <text x=\"20\" y=\"{:.1}\" font-weight=\"bold\" fill=\"#111\">{}</text>",
                y + 18.0,
                escape(&b.group)
            );
            y += HEADING;
        }
        let mid = y + ROW / 2.0;
        let colour = if b.ratio >= 1.0 { "#2b6cb0" } else { "#dd6b20" };
        let (text_y, bar_y, bar_h) = (mid + 4.5, y + 4.0, ROW - 8.0);
        let bar_w = (x(b.ratio) - PLOT_LEFT).max(1.0);
        let (lo, hi, cap_top, cap_bottom) = (x(b.low), x(b.high), mid - 5.0, mid + 5.0);
        // The figure gets a white halo, so the line at 1.0 never crosses it.
        let value_x = x(b.ratio.max(b.high)) + 6.0;
        let label = escape(&b.label);
        let _ = writeln!(
            s,
            "<text x=\"{LABEL_RIGHT}\" y=\"{text_y:.1}\" text-anchor=\"end\" fill=\"#222\">{label}</text>\n\
             <rect x=\"{PLOT_LEFT}\" y=\"{bar_y:.1}\" width=\"{bar_w:.1}\" height=\"{bar_h:.1}\" fill=\"{colour}\"/>\n\
             <line x1=\"{lo:.1}\" y1=\"{mid:.1}\" x2=\"{hi:.1}\" y2=\"{mid:.1}\" stroke=\"#111\" stroke-width=\"1.5\"/>\n\
             <line x1=\"{lo:.1}\" y1=\"{cap_top:.1}\" x2=\"{lo:.1}\" y2=\"{cap_bottom:.1}\" stroke=\"#111\" stroke-width=\"1.5\"/>\n\
             <line x1=\"{hi:.1}\" y1=\"{cap_top:.1}\" x2=\"{hi:.1}\" y2=\"{cap_bottom:.1}\" stroke=\"#111\" stroke-width=\"1.5\"/>\n\
             <text x=\"{value_x:.1}\" y=\"{text_y:.1}\" fill=\"#111\" stroke=\"#ffffff\" stroke-width=\"3\" paint-order=\"stroke\">{:.2}</text>",
            b.ratio
        );
        y += ROW;
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(group: &str, label: &str, ratio: f64) -> Bar {
        Bar {
            group: group.into(),
            label: label.into(),
            ratio,
            low: ratio * 0.9,
            high: ratio * 1.1,
        }
    }

    #[test]
    fn the_chart_is_a_sized_white_svg_with_every_label() {
        let bars = [
            bar("GET /hello (÷ nginx-w1)", "ch05_server", 0.98),
            bar("GET /hello (÷ nginx-w1)", "ch05_server --event-loop", 1.02),
            bar("echo <16> & more", "ch08_ws_echo", 2.6),
        ];
        let svg = ratio_chart("wirebook ÷ peers", "2 rounds", &bars);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"880\""));
        assert!(svg.contains("viewBox=\"0 0 880 "));
        assert!(svg.contains("fill=\"#ffffff\""));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("ch05_server --event-loop"));
        assert!(
            svg.contains("echo &lt;16&gt; &amp; more"),
            "labels are escaped"
        );
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
        // Height: 64 top + 2 headings + 3 rows + 44 bottom.
        assert!(svg.contains("height=\"226\""), "{svg}");
        // The axis reaches past the highest whisker (2.86 → 3.5 with 0.5 steps).
        assert!(svg.contains(">3.5</text>"));
        // Every element opened is closed.
        let opened = svg.matches('<').count();
        let closed = svg.matches("/>").count() + svg.matches("</").count() * 2;
        assert_eq!(opened, closed, "unbalanced tags");
    }

    #[test]
    fn an_empty_chart_still_draws_an_axis_past_one() {
        let svg = ratio_chart("t", "s", &[]);
        assert_eq!(axis(&[]), (1.25, 0.25));
        assert!(svg.contains(">1.25</text>"));
    }
}
