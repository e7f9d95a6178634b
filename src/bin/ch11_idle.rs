//! `ch11_idle --addr 127.0.0.1:PORT --connections N [--websocket PATH]`:
//! holds N idle connections to a server (chapter 11) and prints the
//! server's memory per connection, from `/proc`, if `--pid` names it.
//!
//! ```text
//! cargo run --release --bin ch05_server -- --max-connections 20000 --idle-timeout 600s &
//! cargo run --release --bin ch11_idle -- --addr 127.0.0.1:8888 --connections 10000 --pid $!
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use wirebook::ch11_measuring::idle::{self, Kind, MAX_CONNECTIONS};
use wirebook::ch11_measuring::procfs;
use wirebook::cli::Args;

fn main() {
    let mut args = Args::from_env(
        "ch11_idle",
        "Opens N connections, each making one request (GET /hello, or a WebSocket\n\
         handshake with --websocket), and holds them idle for --hold. Connection i\n\
         comes from 127.0.0.2 + i/20000, so more than one source port range is used.",
        "--addr 127.0.0.1:PORT --connections N [--websocket PATH] [--pid PID] [--hold T]",
    );
    args.describe("--addr HOST:PORT     the server (loopback only)")
        .describe(&format!(
            "--connections N      how many to hold (1..={MAX_CONNECTIONS})"
        ))
        .describe("--websocket PATH     make a WebSocket handshake on PATH instead of GET /hello")
        .describe("--pid PID            the server's process: print its memory per connection")
        .describe("--hold T             how long to hold them (default 2s)");
    let addr = args.addr("127.0.0.1:8888");
    let n: usize = args.parsed("--connections", 1000);
    let ws = args.value("--websocket");
    let pid: Option<u32> = args.parsed_opt("--pid");
    let hold = args.duration("--hold", Duration::from_secs(2));
    let SocketAddr::V4(to) = addr else {
        args.fail("--addr must be an IPv4 loopback address")
    };
    if !to.ip().is_loopback() {
        args.fail("--addr must be a loopback address");
    }
    if n == 0 || n > MAX_CONNECTIONS {
        args.fail(format!("--connections must be 1..={MAX_CONNECTIONS}"));
    }
    args.finish();
    let limit = procfs::raise_open_files(n as u64 + 1024);
    if (limit as usize) < n + 64 {
        eprintln!("ch11_idle: note: the open-file limit is {limit}; expect failures past it");
    }
    let kind = match ws {
        Some(path) => Kind::WebSocket { path },
        None => Kind::Http {
            path: "/hello".into(),
        },
    };
    let before = pid.map(|p| procfs::rss_kib(&procfs::tree(p)));
    let held = idle::hold(to, n, &kind);
    println!(
        "held {} of {n} connections ({} failed)",
        held.streams.len(),
        held.failed
    );
    if let Some(e) = &held.first_error {
        println!("first failure: {e}");
    }
    std::thread::sleep(hold);
    let open = held.still_open();
    println!("still open after the hold: {open}");
    if let (Some(p), Some(before)) = (pid, before) {
        let after = procfs::rss_kib(&procfs::tree(p));
        let per = after.saturating_sub(before) as f64 / open.max(1) as f64;
        println!("server RSS {before} KiB -> {after} KiB: {per:.1} KiB per connection");
    }
}
