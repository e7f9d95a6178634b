//! `ch01_tcp_echo_client`: sends stdin (or `--message`) to a TCP echo
//! server and prints what comes back. See `chapters/01-sockets.md`.

use std::io::{self, BufRead, Read, Write};
use std::process;

use wirebook::ch01_sockets::load::{self, LoadConfig};
use wirebook::ch01_sockets::tcp_echo;
use wirebook::check::first_difference;
use wirebook::cli::Args;

const PROG: &str = "ch01_tcp_echo_client";

/// Longest piece of stdin sent at once: a line longer than this is sent in
/// pieces, so the client's memory is bounded whatever stdin holds.
const MAX_PIECE: u64 = 64 * 1024;

fn main() {
    let mut args = Args::from_env(
        PROG,
        "Sends each line of stdin (or --message) to a TCP echo server, reads until\n\
         as many bytes came back, and prints them.",
        "[--addr HOST:PORT] [--message TEXT] [--timeout SECS] [--trace]\n       \
         ch01_tcp_echo_client --load [--addr HOST:PORT] [--connections N] [--size BYTES] [--duration SECS]",
    );
    args.describe("--addr HOST:PORT     the server (default 127.0.0.1:8888)");
    args.describe("--message TEXT       send TEXT instead of reading stdin");
    args.describe(&format!(
        "--timeout SECS       connect, read and write timeout (default {})",
        tcp_echo::CLIENT_TIMEOUT.as_secs()
    ));
    args.describe("--trace              show every write and read on stderr");
    args.describe("--load               measure: round trips per second and latency, then exit");
    args.describe(
        "--connections N      --load: connections, all open before the clock starts (default 16)",
    );
    args.describe("--size BYTES         --load: bytes in each message (default 64)");
    args.describe("--duration SECS      --load: how long to run (default 5)");
    args.handle_help();
    let addr = args.addr("127.0.0.1:8888");
    let message = args.value("--message");
    let timeout = args.duration("--timeout", tcp_echo::CLIENT_TIMEOUT);
    let trace = args.flag("--trace");
    let load = args.flag("--load");
    let connections: usize = args.parsed("--connections", 16);
    let size: usize = args.parsed("--size", 64);
    let duration = args.duration("--duration", std::time::Duration::from_secs(5));
    if connections == 0 || size == 0 {
        args.fail("--connections and --size must be at least 1");
    }
    args.finish();
    if load {
        let cfg = LoadConfig {
            connections,
            size,
            duration,
            timeout,
        };
        run_load(addr, &cfg);
        return;
    }
    if trace {
        wirebook::trace::enable();
    }
    let stream = match tcp_echo::connect(addr, timeout) {
        Ok(s) => s,
        Err(e) => fail(format!("cannot connect to tcp://{addr}: {e}")),
    };
    let mut out = io::stdout().lock();
    let mut send = |piece: &[u8]| {
        let (echo, _reads) = match tcp_echo::roundtrip(&stream, piece) {
            Ok(x) => x,
            Err(e) => fail(e),
        };
        let _ = out.write_all(&echo);
        let _ = out.flush();
        if let Some(at) = first_difference(piece, &echo) {
            fail(format!("the echo differs from what was sent at byte {at}"));
        }
    };
    match message {
        Some(m) => send(m.as_bytes()),
        None => {
            let mut stdin = io::stdin().lock();
            let mut piece = Vec::new();
            loop {
                piece.clear();
                match (&mut stdin).take(MAX_PIECE).read_until(b'\n', &mut piece) {
                    Ok(0) => break,
                    Ok(_) => send(&piece),
                    Err(e) => fail(format!("reading stdin: {e}")),
                }
            }
        }
    }
}

/// `--load`: one line a figure, easy to read and to grep.
fn run_load(addr: std::net::SocketAddr, cfg: &LoadConfig) {
    let r = match load::run(addr, cfg) {
        Ok(r) => r,
        Err(e) => fail(format!("load against tcp://{addr}: {e}")),
    };
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "load: tcp://{addr}, {} connections, {}-byte messages, {:.1} s",
        cfg.connections,
        cfg.size,
        r.elapsed.as_secs_f64()
    );
    println!("round trips/s: {:.0}", r.per_second());
    println!("MiB/s echoed: {:.1}", r.mib_per_second());
    println!(
        "latency ms: p50 {:.3}, p99 {:.3}, max {:.3}",
        ms(r.quantile(0.5)),
        ms(r.quantile(0.99)),
        ms(r.quantile(1.0))
    );
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("{PROG}: error: {msg}");
    process::exit(1)
}
