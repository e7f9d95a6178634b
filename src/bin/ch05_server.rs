//! Chapter 4's notes app on chapter 5's server: a thread pool, keep-alive,
//! limits, graceful shutdown. The binary the benchmarks measure.
//! `--sequential` runs chapter 5's starting point instead (one connection at
//! a time), to see the problem the pool solves.

use std::sync::Arc;

use wirebook::ch04_methods_and_routing::notes;
use wirebook::ch05_concurrency::sequential::serve_sequentially;
use wirebook::ch05_concurrency::{ServerArgs, run_server};
use wirebook::cli::{self, Args};

fn main() {
    let mut args = Args::from_env(
        "ch05_server",
        "Chapter 4's notes app (GET /hello, POST /echo, /notes) on a thread pool with \
         keep-alive, connection limits, timeouts and graceful shutdown on Ctrl-C/SIGTERM.",
        "[--addr HOST:PORT] [--threads N] [--max-connections N] [--idle-timeout T] [--quiet] [--trace] [--sequential]",
    );
    let sa = ServerArgs::parse(&mut args, "127.0.0.1:8888");
    args.describe(
        "--sequential         serve one connection at a time, like chapter 2 (to see the problem)",
    );
    let sequential = args.flag("--sequential");
    args.finish();
    if sequential {
        let listener = cli::bind_or_exit("ch05_server", sa.addr);
        cli::announce(&listener);
        if let Err(e) = serve_sequentially(listener, &notes::app()) {
            eprintln!("ch05_server: error: {e}");
            std::process::exit(1);
        }
        return;
    }
    run_server("ch05_server", sa, Arc::new(notes::app()));
}
