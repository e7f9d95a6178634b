//! Chapter 4's notes app on chapter 5's server: a thread pool, keep-alive,
//! limits, graceful shutdown. The binary the benchmarks measure.

use std::sync::Arc;

use wirebook::ch04_methods_and_routing::notes;
use wirebook::ch10_event_loop::cli::{DesignArgs, run_server};
use wirebook::cli::Args;

fn main() {
    let mut args = Args::from_env(
        "ch05_server",
        "Chapter 4's notes app (GET /hello, POST /echo, /notes) on a thread pool,\n\
         with keep-alive, connection limits, timeouts and graceful shutdown\n\
         on Ctrl-C/SIGTERM.",
        "[--addr HOST:PORT] [--threads N] [--max-connections N] [--idle-timeout T] \
         [--head-timeout T] [--drain-timeout T] [--quiet] [--trace] [--event-loop]",
    );
    let sa = DesignArgs::parse(&mut args, "127.0.0.1:8888");
    args.finish();
    run_server("ch05_server", sa, Arc::new(notes::app()));
}
