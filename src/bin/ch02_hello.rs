//! `ch02_hello`: the original tutorial's first server (`GET /` answers
//! `Hello, world`), written on a bare `TcpListener` with a hand-written
//! parser. Single-threaded on purpose: chapter 2 explains why that hurts and
//! chapter 5 fixes it.

use wirebook::ch02_http_by_hand::server::{self, Config};
use wirebook::cli::{self, Args};

fn main() {
    let mut args = Args::from_env(
        "ch02_hello",
        "Answers GET / with `Hello, world`, one connection at a time, and every\n\
         bad request with the right status code (400, 404, 405, 408, 411, 413,\n\
         414, 431, 501, 505). Closes the connection after each response.",
        "[--addr HOST:PORT] [--trace] [--quiet] [--read-timeout SECS] [--request-timeout SECS]",
    );
    args.describe(
        "--addr HOST:PORT     where to listen (default 127.0.0.1:8888; port 0 = any free port)",
    );
    args.describe("--trace              dump request and response heads to stderr");
    args.describe("--quiet              no access-log line per request");
    args.describe("--read-timeout SECS  longest wait for one read (default 5)");
    args.describe("--request-timeout SECS  longest time to send a whole request (default 10)");
    args.handle_help();
    let addr = args.addr("127.0.0.1:8888");
    let trace = args.flag("--trace");
    let quiet = args.flag("--quiet");
    let read_timeout = args.duration("--read-timeout", server::READ_TIMEOUT);
    let request_timeout = args.duration("--request-timeout", server::REQUEST_TIMEOUT);
    args.finish();
    if trace {
        wirebook::trace::enable();
    }
    let cfg = Config {
        read_timeout,
        request_timeout,
        quiet,
        ..Config::default()
    };
    let listener = cli::bind_or_exit("ch02_hello", addr);
    cli::announce(&listener);
    if let Err(e) = server::serve(listener, &cfg) {
        eprintln!("ch02_hello: error: {e}");
        std::process::exit(1);
    }
}
