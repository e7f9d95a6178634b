//! `ch11_bench`: every workload against every server, alternating, and the
//! report (`target/bench/report.md`) and chart (`target/bench/ratios.svg`)
//! of chapter 11. `make bench` builds everything and runs it.

use std::path::PathBuf;
use std::time::Duration;

use wirebook::ch02_http_by_hand::date::format_http_date;
use wirebook::ch11_measuring::{machine, report, run};
use wirebook::cli::Args;

fn main() {
    let mut args = Args::from_env(
        "ch11_bench",
        "Runs every workload against every server: each server pinned to CPU 0, the load\n\
         generator (wrk, ch11_wsload) to CPU 1, servers alternating within a round.\n\
         Needs wrk and taskset; nginx and Tornado rows are skipped with a note if missing.\n\
         Run from the crate's root after `cargo build --release --bins --examples`.",
        "[--duration SECONDS] [--rounds N] [--only ID,ID] [--idle N,N] [--out DIR] [--chapter FILE]",
    );
    args.describe("--duration SECONDS   measured seconds per workload and server (default 10)")
        .describe("--rounds N           rounds, order reversed every other round (default 2)")
        .describe("--only ID,ID         only these workloads (hello-c64, small, ws-16x64, idle-http-1k, ...)")
        .describe("--idle N,N           idle connection counts (default 1000,10000,50000)")
        .describe("--out DIR            where the report goes (default target/bench)")
        .describe("--chapter FILE       also put the run into FILE's bench:run block, the chart beside it");
    let secs: u64 = args.parsed("--duration", 10);
    let rounds: usize = args.parsed("--rounds", 2);
    let only = args.value("--only").unwrap_or_default();
    let idle = args
        .value("--idle")
        .unwrap_or_else(|| "1000,10000,50000".into());
    let out = PathBuf::from(args.value("--out").unwrap_or_else(|| "target/bench".into()));
    let chapter = args.value("--chapter").map(PathBuf::from);
    let chapter_text = chapter.as_ref().map(|c| {
        std::fs::read_to_string(c)
            .unwrap_or_else(|e| args.fail(format!("--chapter {}: {e}", c.display())))
    });
    if !(1..=600).contains(&secs) {
        args.fail("--duration must be 1..=600 seconds");
    }
    if !(1..=20).contains(&rounds) {
        args.fail("--rounds must be 1..=20");
    }
    let idle_sizes: Vec<usize> = idle
        .split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse()
                .unwrap_or_else(|_| args.fail(format!("--idle: `{s}` is not a number")))
        })
        .collect();
    args.finish();
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let nginx = run::which("nginx").map_or("nginx".into(), |p| p.display().to_string());
    let opts = run::Options {
        duration: Duration::from_secs(secs),
        rounds,
        out,
        bin: PathBuf::from("target/release"),
        peers: PathBuf::from("tests/peers"),
        python: python.clone(),
        nginx: nginx.clone(),
        only: only
            .split(',')
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect(),
        idle_sizes,
        command: std::env::var("BENCH_COMMAND")
            .unwrap_or_else(|_| format!("ch11_bench --duration {secs} --rounds {rounds}")),
    };
    let facts = machine::describe(&python, &nginx);
    for (k, v) in &facts {
        eprintln!("{k}: {v}");
    }
    let mut report = match run::run(&opts, facts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("ch11_bench: error: {e}");
            std::process::exit(1);
        }
    };
    report.date = format_http_date(std::time::SystemTime::now());
    let (md, svg) = run::write(&report, &opts.out).unwrap_or_else(|e| fail(&e));
    eprintln!("wrote {} and {}", md.display(), svg.display());
    if let (Some(path), Some(text)) = (chapter, chapter_text) {
        let beside = path.with_file_name("ratios.svg");
        let spliced = report::splice(&text, &report, "ratios.svg").unwrap_or_else(|e| fail(&e));
        std::fs::write(&path, spliced).unwrap_or_else(|e| fail(&e.to_string()));
        std::fs::copy(&svg, &beside).unwrap_or_else(|e| fail(&e.to_string()));
        eprintln!(
            "put the run into {} and {}",
            path.display(),
            beside.display()
        );
    }
}

fn fail(e: &str) -> ! {
    eprintln!("ch11_bench: error: {e}");
    std::process::exit(1)
}
