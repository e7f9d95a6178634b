//! From samples to the report: medians over rounds, ratios to the peer
//! measured in the same round, and the Markdown of `target/bench/report.md`.
//!
//! A ratio is taken within one round (server ÷ peer, both measured minutes
//! apart on the same machine), and only then is the median taken over
//! rounds: a noisy machine moves both figures of a round together.

use std::fmt::Write;

use super::machine::Fact;
use super::plan::Workload;
use super::svg::Bar;

/// One server under one workload in one round.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub round: usize,
    pub workload: String,
    pub server: String,
    /// Throughput (in the workload's unit), or KiB per idle connection.
    pub value: f64,
    pub p50_us: Option<u64>,
    pub p99_us: Option<u64>,
    pub errors: u64,
    /// The server's CPU time (user + system) per request or round trip.
    pub cpu_us: Option<f64>,
    /// Anything else worth a word ("9,998 of 10,000 held").
    pub detail: String,
}

/// Everything a report says.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub date: String,
    pub command: String,
    pub rounds: usize,
    pub duration_secs: u64,
    pub machine: Vec<Fact>,
    pub workloads: Vec<Workload>,
    pub samples: Vec<Sample>,
    pub notes: Vec<String>,
}

/// One server under one workload, over every round.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub workload: String,
    pub server: String,
    pub is_peer: bool,
    pub value: f64,
    pub p50_us: Option<u64>,
    pub p99_us: Option<u64>,
    pub errors: u64,
    pub cpu_us: Option<f64>,
    /// server ÷ peer, one per round in which both were measured.
    pub ratios: Vec<f64>,
    pub detail: String,
}

/// The median (the mean of the middle two for an even count); `None` if
/// empty.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

fn median_u64(values: impl Iterator<Item = Option<u64>>) -> Option<u64> {
    let v: Vec<f64> = values.flatten().map(|x| x as f64).collect();
    median(&v).map(|m| m.round() as u64)
}

impl Report {
    /// One row per workload and server measured, in the plan's order.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows = Vec::new();
        for w in &self.workloads {
            for &server in w.servers {
                let mine: Vec<&Sample> = self
                    .samples
                    .iter()
                    .filter(|s| s.workload == w.id && s.server == server)
                    .collect();
                if mine.is_empty() {
                    continue;
                }
                let peer_in = |round| {
                    self.samples
                        .iter()
                        .find(|s| s.workload == w.id && s.server == w.peer && s.round == round)
                };
                let ratios = mine
                    .iter()
                    .filter_map(|s| peer_in(s.round).map(|p| s.value / p.value))
                    .filter(|r| r.is_finite())
                    .collect();
                let values: Vec<f64> = mine.iter().map(|s| s.value).collect();
                let cpu: Vec<f64> = mine.iter().filter_map(|s| s.cpu_us).collect();
                rows.push(Row {
                    workload: w.id.clone(),
                    server: server.to_string(),
                    is_peer: server == w.peer,
                    value: median(&values).unwrap_or(0.0),
                    p50_us: median_u64(mine.iter().map(|s| s.p50_us)),
                    p99_us: median_u64(mine.iter().map(|s| s.p99_us)),
                    errors: mine.iter().map(|s| s.errors).sum(),
                    cpu_us: median(&cpu),
                    ratios,
                    detail: mine.last().map(|s| s.detail.clone()).unwrap_or_default(),
                });
            }
        }
        rows
    }

    /// The bars of the chart: every measured server but the peer, under
    /// load (idle workloads are memory, shown in the table).
    pub fn bars(&self) -> Vec<Bar> {
        self.rows()
            .into_iter()
            .filter(|r| !r.is_peer && !r.ratios.is_empty())
            .filter_map(|r| {
                let w = self.workloads.iter().find(|w| w.id == r.workload)?;
                if w.is_idle() {
                    return None;
                }
                let lo = r.ratios.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = r.ratios.iter().copied().fold(0.0, f64::max);
                Some(Bar {
                    group: format!("{} (÷ {})", w.title, w.peer),
                    label: r.server.clone(),
                    ratio: median(&r.ratios)?,
                    low: lo,
                    high: hi,
                })
            })
            .collect()
    }
}

/// 1234567.8 → "1,234,568"; below 100, two significant decimals.
pub fn thousands(x: f64) -> String {
    if x.abs() < 100.0 {
        return format!("{x:.2}");
    }
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 { format!("-{out}") } else { out }
}

/// 850 → "850 µs"; 12,345 → "12.3 ms".
pub fn latency(us: Option<u64>) -> String {
    match us {
        None => "–".into(),
        Some(u) if u < 1000 => format!("{u} µs"),
        Some(u) if u < 100_000 => format!("{:.1} ms", u as f64 / 1000.0),
        Some(u) => format!("{:.0} ms", u as f64 / 1000.0),
    }
}

/// Two decimals; three below 0.1, so that a small ratio is not 0.00.
pub fn ratio(r: f64) -> String {
    if r < 0.095 {
        format!("{r:.3}")
    } else {
        format!("{r:.2}")
    }
}

fn ratio_cell(r: &Row) -> String {
    if r.is_peer {
        return "1 (peer)".into();
    }
    let Some(m) = median(&r.ratios) else {
        return "–".into();
    };
    if r.ratios.len() < 2 {
        return ratio(m);
    }
    let lo = r.ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = r.ratios.iter().copied().fold(0.0, f64::max);
    format!("{} ({}–{})", ratio(m), ratio(lo), ratio(hi))
}

fn cpu_cell(cpu: Option<f64>) -> String {
    match cpu {
        None => "–".into(),
        Some(c) if c < 100.0 => format!("{c:.1} µs"),
        Some(c) => format!("{} µs", thousands(c)),
    }
}

/// The tables of the rows of workloads that `pick` selects, each
/// workload's first row naming it.
fn table(out: &mut String, report: &Report, rows: &[Row], idle: bool) {
    if idle {
        out.push_str(
            "| workload | server | connections held | memory per connection | errors | ÷ peer |\n",
        );
        out.push_str("|---|---|---|---:|---:|---|\n");
    } else {
        out.push_str("| workload | server | throughput | p50 | p99 | errors | server CPU per request | ÷ peer |\n");
        out.push_str("|---|---|---:|---:|---:|---:|---:|---|\n");
    }
    let mut last = "";
    for r in rows {
        let Some(w) = report.workloads.iter().find(|w| w.id == r.workload) else {
            continue;
        };
        if w.is_idle() != idle {
            continue;
        }
        let name = if last == r.workload {
            ""
        } else {
            w.title.as_str()
        };
        last = &r.workload;
        let _ = if idle {
            writeln!(
                out,
                "| {name} | {} | {} | {:.1} KiB | {} | {} |",
                r.server,
                r.detail,
                r.value,
                r.errors,
                ratio_cell(r)
            )
        } else {
            writeln!(
                out,
                "| {name} | {} | {} {} | {} | {} | {} | {} | {} |",
                r.server,
                thousands(r.value),
                w.unit(),
                latency(r.p50_us),
                latency(r.p99_us),
                r.errors,
                cpu_cell(r.cpu_us),
                ratio_cell(r)
            )
        };
    }
}

/// The command, the machine, the chart (if `image` is given), the median
/// tables and the notes, under headings of level `h` (`##`, `###`).
fn summary(report: &Report, h: &str, image: Option<&str>) -> String {
    let mut out = String::new();
    let rounds = report.rounds;
    let _ = writeln!(
        out,
        "{}, `{}`: {rounds} round{} of {} s per workload and server, after 1 s of warm-up; \
         the server pinned to CPU 0 (`taskset -c 0`), the load generator to CPU 1. \
         Ratios are taken within a round, then the median over rounds is given \
         (with the lowest and highest ratio when there are several rounds).\n",
        report.date,
        report.command,
        if rounds == 1 { "" } else { "s" },
        report.duration_secs
    );
    let _ = writeln!(out, "{h} Machine\n\n| | |\n|---|---|");
    for (k, v) in &report.machine {
        let _ = writeln!(out, "| {k} | {v} |");
    }
    if let Some(src) = image {
        let _ = writeln!(
            out,
            "\n![Each server's throughput divided by its peer's in the same round]({src})"
        );
    }
    let rows = report.rows();
    let _ = writeln!(out, "\n{h} Under load (median of {rounds})\n");
    table(&mut out, report, &rows, false);
    if report.workloads.iter().any(|w| w.is_idle()) {
        let _ = writeln!(
            out,
            "\n{h} Idle connections (median of {rounds}; less memory is better)\n"
        );
        table(&mut out, report, &rows, true);
    }
    if !report.notes.is_empty() {
        let _ = writeln!(out, "\n{h} Notes\n");
        for n in &report.notes {
            let _ = writeln!(out, "- {n}");
        }
    }
    out
}

/// `report.md`: the summary, then every round's figures.
pub fn markdown(report: &Report) -> String {
    let mut out = String::from("# Benchmark report\n\n");
    out.push_str(&summary(report, "##", None));
    out.push_str("\n## Every round\n\n| round | workload | server | figure | p99 | errors | CPU per request |\n");
    out.push_str("|---:|---|---|---:|---:|---:|---:|\n");
    for s in &report.samples {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            s.round,
            s.workload,
            s.server,
            thousands(s.value),
            latency(s.p99_us),
            s.errors,
            cpu_cell(s.cpu_us)
        );
    }
    out
}

/// Where a chapter holds the figures of one run: between these two
/// comments, which [`splice`] keeps.
pub const RUN_BEGINS: &str = "<!-- bench:run begins";
pub const RUN_ENDS: &str = "<!-- bench:run ends -->";

/// `text` with the block between [`RUN_BEGINS`] (the whole comment) and
/// [`RUN_ENDS`] replaced by the summary of `report`, its chart at `image`.
pub fn splice(text: &str, report: &Report, image: &str) -> Result<String, String> {
    let begin = text
        .find(RUN_BEGINS)
        .ok_or_else(|| format!("no `{RUN_BEGINS} ... -->` marker"))?;
    let body_start = begin
        + text[begin..]
            .find("-->")
            .ok_or("the begin marker is not closed with -->")?
        + 3;
    let end = body_start
        + text[body_start..]
            .find(RUN_ENDS)
            .ok_or_else(|| format!("no `{RUN_ENDS}` marker after the begin marker"))?;
    Ok(format!(
        "{}\n\n{}\n{}",
        &text[..body_start],
        summary(report, "###", Some(image)),
        &text[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ch11_measuring::plan::workloads;

    fn sample(round: usize, workload: &str, server: &str, value: f64) -> Sample {
        Sample {
            round,
            workload: workload.into(),
            server: server.into(),
            value,
            p50_us: Some(400 + round as u64),
            p99_us: Some(2500),
            errors: 0,
            cpu_us: Some(7.5),
            detail: "1,000 of 1,000".into(),
        }
    }

    fn two_rounds() -> Report {
        Report {
            date: "2026-12-05 20:00 UTC".into(),
            command: "make bench".into(),
            rounds: 2,
            duration_secs: 10,
            machine: vec![("CPU".into(), "Some CPU".into())],
            workloads: workloads(&[1000]),
            samples: vec![
                sample(1, "hello-c64", "nginx-w1", 100_000.0),
                sample(1, "hello-c64", "ch05_server", 90_000.0),
                sample(2, "hello-c64", "ch05_server", 120_000.0),
                sample(2, "hello-c64", "nginx-w1", 100_000.0),
                sample(1, "idle-http-1k", "nginx-w1", 2.0),
                sample(1, "idle-http-1k", "ch05_server", 9.0),
            ],
            notes: vec!["tornado: skipped".into()],
        }
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f64::NAN, 1.0]), Some(1.0));
    }

    #[test]
    fn ratios_are_taken_within_a_round_then_the_median() {
        let rows = two_rounds().rows();
        let ours = rows
            .iter()
            .find(|r| r.server == "ch05_server" && r.workload == "hello-c64")
            .unwrap();
        assert_eq!(ours.ratios, vec![0.9, 1.2]);
        assert_eq!(ours.value, 105_000.0);
        assert_eq!(ours.p50_us, Some(402), "401.5 rounds half away from zero");
        let bars = two_rounds().bars();
        assert_eq!(bars.len(), 1, "no bar for the peer nor for idle memory");
        assert!((bars[0].ratio - 1.05).abs() < 1e-9);
        assert_eq!((bars[0].low, bars[0].high), (0.9, 1.2));
    }

    #[test]
    fn the_markdown_has_every_section_and_figure() {
        let md = markdown(&two_rounds());
        for needle in [
            "| CPU | Some CPU |",
            "## Under load (median of 2)",
            "| GET /hello, wrk -c64 | nginx-w1 | 100,000 req/s | 402 µs | 2.5 ms | 0 | 7.5 µs | 1 (peer) |",
            "|  | ch05_server | 105,000 req/s |",
            "1.05 (0.90–1.20)",
            "## Idle connections",
            "| 1k idle keep-alive connections | nginx-w1 | 1,000 of 1,000 | 2.0 KiB |",
            "| 4.50 |",
            "- tornado: skipped",
        ] {
            assert!(md.contains(needle), "missing {needle:?} in\n{md}");
        }
    }

    #[test]
    fn a_chapter_gets_the_run_between_its_markers_again_and_again() {
        let chapter = "# 11\n\nbefore\n\n<!-- bench:run begins: paste here\n     more words -->\nold figures\n<!-- bench:run ends -->\n\nafter\n";
        let once = splice(chapter, &two_rounds(), "ratios.svg").unwrap();
        assert!(once.starts_with(
            "# 11\n\nbefore\n\n<!-- bench:run begins: paste here\n     more words -->\n"
        ));
        assert!(once.ends_with("<!-- bench:run ends -->\n\nafter\n"));
        assert!(!once.contains("old figures"));
        assert!(once.contains("### Under load (median of 2)"));
        assert!(once.contains("](ratios.svg)"));
        assert_eq!(splice(&once, &two_rounds(), "ratios.svg").unwrap(), once);
        assert!(splice("no markers", &two_rounds(), "x.svg").is_err());
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(1_234_567.8), "1,234,568");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(12.345), "12.35");
        assert_eq!(latency(Some(850)), "850 µs");
        assert_eq!(latency(Some(12_345)), "12.3 ms");
        assert_eq!(latency(Some(250_000)), "250 ms");
        assert_eq!(latency(None), "–");
        assert_eq!((ratio(0.004), ratio(0.5)), ("0.004".into(), "0.50".into()));
        assert_eq!(
            (cpu_cell(Some(7.26)), cpu_cell(Some(10_000.0))),
            ("7.3 µs".into(), "10,000 µs".into())
        );
    }
}
