//! `ch11_wsload URL CONNECTIONS BYTES SECONDS`: WebSocket ping-pong load on
//! chapter 8's client (chapter 11). Prints a human summary on stderr and one
//! `BENCH ...` line on stdout.
//!
//! ```text
//! cargo run --release --bin ch08_ws_echo &
//! taskset -c 1 target/release/ch11_wsload ws://127.0.0.1:8765/ 16 64 5
//! ```

use std::time::Duration;

use wirebook::ch11_measuring::wsload::{self, MAX_CONNECTIONS, MAX_DURATION, MAX_MESSAGE, Spec};
use wirebook::cli::Args;

fn main() {
    let mut args = Args::from_env(
        "ch11_wsload",
        &format!(
            "WebSocket load: CONNECTIONS connections (1..={MAX_CONNECTIONS}) each send a binary\n\
             message of BYTES bytes (1..={MAX_MESSAGE}) and wait for its echo, for SECONDS\n\
             (at most {}). Only loopback URLs are accepted.",
            MAX_DURATION.as_secs()
        ),
        "URL CONNECTIONS BYTES SECONDS",
    );
    if args.help_requested() {
        args.finish(); // prints the help and exits
        return;
    }
    let url = args.positional("URL");
    let number = |args: &mut Args, what: &str| -> usize {
        let v = args.positional(what);
        v.parse()
            .unwrap_or_else(|_| args.fail(format!("{what} must be a number, not `{v}`")))
    };
    let connections = number(&mut args, "CONNECTIONS");
    let message_bytes = number(&mut args, "BYTES");
    let secs: f64 = {
        let v = args.positional("SECONDS");
        v.parse()
            .unwrap_or_else(|_| args.fail(format!("SECONDS must be a number, not `{v}`")))
    };
    if !(secs > 0.0 && secs <= MAX_DURATION.as_secs_f64()) {
        args.fail(format!(
            "SECONDS must be above 0 and at most {}",
            MAX_DURATION.as_secs()
        ));
    }
    let loopback = [
        "ws://127.",
        "ws://localhost:",
        "ws://localhost/",
        "ws://[::1]",
    ];
    if !loopback.iter().any(|p| url.starts_with(p)) {
        args.fail("only loopback targets (ws://127.x.x.x, ws://localhost, ws://[::1])");
    }
    args.finish();
    let spec = Spec {
        url,
        connections,
        message_bytes,
        duration: Duration::from_secs_f64(secs),
    };
    if let Err(e) = spec.check() {
        eprintln!("ch11_wsload: error: {e}");
        std::process::exit(2);
    }
    // A last resort: every read and write has a timeout, but a run must end.
    let limit = spec.duration + Duration::from_secs(30);
    std::thread::spawn(move || {
        std::thread::sleep(limit);
        eprintln!("ch11_wsload: still running after {limit:?}; giving up");
        std::process::exit(1);
    });
    match wsload::run(&spec) {
        Ok(s) => {
            eprintln!(
                "{} round trips in {:.2} s: {:.0}/s, {:.1} MiB/s echoed; p50 {} µs, p99 {} µs, max {} µs; {} errors",
                s.count,
                s.secs,
                s.per_sec(),
                s.mib_per_sec(),
                s.p50_us,
                s.p99_us,
                s.max_us,
                s.errors
            );
            println!("{s}");
        }
        Err(e) => {
            eprintln!("ch11_wsload: error: {e}");
            std::process::exit(1);
        }
    }
}
