//! Chapter 4's notes app, one thread per connection (chapter 5 replaces
//! that with a pool). `cargo run --bin ch04_notes`, then
//! `curl -i http://127.0.0.1:8888/hello`.

use std::sync::Arc;

use wirebook::ch04_methods_and_routing::{conn, notes};
use wirebook::cli::{self, Args};

fn main() {
    let mut args = Args::from_env(
        "ch04_notes",
        "Serves GET /hello, POST /echo and an in-memory notes resource (/notes, /notes/{id}).",
        "[--addr HOST:PORT] [--quiet] [--trace]",
    );
    args.describe("--addr HOST:PORT   where to listen (default 127.0.0.1:8888)")
        .describe("--quiet            no access log on stderr")
        .describe("--trace            dump the bytes on the wire to stderr");
    args.handle_help();
    let addr = args.addr("127.0.0.1:8888");
    let quiet = args.flag("--quiet");
    if args.flag("--trace") {
        wirebook::trace::enable();
    }
    args.finish();
    let listener = cli::bind_or_exit("ch04_notes", addr);
    cli::announce(&listener);
    if let Err(e) = conn::serve(listener, Arc::new(notes::app()), quiet) {
        eprintln!("ch04_notes: error: {e}");
        std::process::exit(1);
    }
}
