//! `soak [--seconds N] [--server BIN] [--server-args "ARGS"]`: the capstone
//! under mixed load for N seconds, then SIGTERM; exits 1 unless it passed
//! (see `wirebook::soak`).

use std::path::PathBuf;
use std::time::Duration;

use wirebook::cli::Args;
use wirebook::soak::{Config, run};

fn main() {
    let mut args = Args::from_env(
        "soak",
        "Runs a server (by default the release capstone) under keep-alive and pipelined\n\
         HTTP, uploads and downloads, WebSocket echo and chat, slowloris, resets, garbage\n\
         and reconnect storms, all at once, sampling its memory, fds and threads; then\n\
         sends SIGTERM. Loopback only. Exits 0 on a pass, 1 with a summary otherwise.",
        "[--seconds N] [--every N] [--server BIN] [--server-args \"ARGS\"] [--out DIR]",
    );
    args.describe("--seconds N          how long the load runs (default 600)");
    args.describe("--every N            seconds between samples (default 10)");
    args.describe(
        "--server BIN         the server (default target/release/wirebook); it must take",
    );
    args.describe("                     --addr, --root and --uploads, which the soak adds");
    args.describe("--server-args ARGS   more arguments, split at spaces (default --quiet)");
    args.describe("--clients N          clients of each kind (default 3)");
    args.describe("--only KINDS         only these loads, comma-separated: keepalive, pipelined,");
    args.describe("                     transfers, slowloris, echo, chat, resets, garbage, storm");
    args.describe("--allocator-caches   keep glibc's per-thread malloc caches on in the server");
    args.describe(
        "                     (off by default: their slow, bounded fill looks like a leak)",
    );
    args.describe("--out DIR            samples.csv and soak.svg go here (default target/soak)");
    args.handle_help();
    let mut cfg = Config::new(
        args.value("--server")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("target/release/wirebook")),
    );
    cfg.duration = Duration::from_secs(args.parsed("--seconds", 600u64));
    cfg.sample_every = Duration::from_secs(args.parsed("--every", 10u64).max(1));
    if let Some(a) = args.value("--server-args") {
        cfg.server_args = a.split_whitespace().map(String::from).collect();
    }
    cfg.clients = args.parsed("--clients", cfg.clients).max(1);
    if let Some(only) = args.value("--only") {
        cfg.only = only.split(',').map(|k| k.trim().to_string()).collect();
        if let Some(bad) = cfg
            .only
            .iter()
            .find(|k| !wirebook::soak::KINDS.contains(&k.as_str()))
        {
            args.fail(format!("unknown load `{bad}` for --only"));
        }
    }
    cfg.allocator_caches = args.flag("--allocator-caches");
    if let Some(out) = args.value("--out") {
        cfg.out_dir = PathBuf::from(out);
    }
    args.finish();
    if !cfg.server.is_file() {
        eprintln!(
            "soak: error: no server at {} (build it: cargo build --release)",
            cfg.server.display()
        );
        std::process::exit(2);
    }
    match run(&cfg) {
        Ok(report) => {
            print!("{}", report.summary());
            println!("samples: {}", cfg.out_dir.join("samples.csv").display());
            std::process::exit(if report.passed() { 0 } else { 1 });
        }
        Err(e) => {
            eprintln!("soak: error: {e}");
            std::process::exit(2);
        }
    }
}
