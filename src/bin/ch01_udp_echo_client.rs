//! `ch01_udp_echo_client`: sends each line of stdin (or `--message`) as one
//! datagram and prints the echo, with a timeout and retries. See
//! `chapters/01-sockets.md`.

use std::io::{self, BufRead, Read, Write};
use std::process;
use std::time::Duration;

use wirebook::ch01_sockets::retry::RetryPolicy;
use wirebook::ch01_sockets::udp_echo;
use wirebook::cli::Args;

const PROG: &str = "ch01_udp_echo_client";

fn main() {
    let mut args = Args::from_env(
        PROG,
        "Sends each line of stdin (without its line end), or --message, or --size\n\
         bytes, as one UDP datagram; waits for the echo, sending again after each\n\
         timeout; prints the echo.",
        "[--addr HOST:PORT] [--message TEXT | --size BYTES] [--timeout SECS] [--retries N] [--trace]",
    );
    args.describe("--addr HOST:PORT     the server (default 127.0.0.1:8888, UDP)");
    args.describe("--message TEXT       send TEXT instead of reading stdin");
    args.describe("--size BYTES         send one datagram of BYTES bytes; print only its size");
    args.describe("--timeout SECS       wait this long for each echo (default 1)");
    args.describe("--retries N          send again up to N times (default 2)");
    args.describe("--trace              show every datagram on stderr");
    args.handle_help();
    let defaults = RetryPolicy::default();
    let addr = args.addr("127.0.0.1:8888");
    let message = args.value("--message");
    let size: Option<usize> = args.value("--size").map(|v| match v.parse() {
        Ok(n) => n,
        Err(e) => args.fail(format!("invalid value `{v}` for --size: {e}")),
    });
    let timeout: Duration = args.duration("--timeout", defaults.timeout);
    let retries: u32 = args.parsed("--retries", defaults.retries);
    let trace = args.flag("--trace");
    if message.is_some() && size.is_some() {
        args.fail("--message and --size exclude each other");
    }
    args.finish();
    if trace {
        wirebook::trace::enable();
    }
    let policy = RetryPolicy { timeout, retries };
    let socket = match udp_echo::connect(addr) {
        Ok(s) => s,
        Err(e) => fail(format!("cannot open a UDP socket for udp://{addr}: {e}")),
    };
    let send = |payload: &[u8]| match udp_echo::roundtrip(&socket, payload, &policy) {
        Ok(tries) => {
            if tries > 1 {
                eprintln!("{PROG}: echo after {tries} tries");
            }
        }
        Err(e) => fail(e),
    };
    let mut out = io::stdout().lock();
    if let Some(n) = size {
        let payload: Vec<u8> = (0..n).map(|i| b'0' + (i % 10) as u8).collect();
        send(&payload);
        let _ = writeln!(out, "echoed {n} bytes");
        return;
    }
    if let Some(m) = message {
        send(m.as_bytes());
        let _ = out.write_all(m.as_bytes());
        let _ = writeln!(out);
        return;
    }
    let mut stdin = io::stdin().lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        // A line longer than the largest datagram cannot be sent anyway;
        // reading one byte more lets roundtrip() say so.
        let limit = udp_echo::MAX_PAYLOAD_V6 as u64 + 2;
        match (&mut stdin).take(limit).read_until(b'\n', &mut line) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => fail(format!("reading stdin: {e}")),
        }
        let payload = line
            .strip_suffix(b"\n")
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .unwrap_or(&line);
        send(payload);
        let _ = out.write_all(payload);
        let _ = writeln!(out);
        let _ = out.flush();
    }
}

fn fail(msg: impl std::fmt::Display) -> ! {
    eprintln!("{PROG}: error: {msg}");
    process::exit(1)
}
