//! `ch01_tcp_echo_server`: sends every byte back (RFC 862), one client at a
//! time or a thread per client. See `chapters/01-sockets.md`.

use std::time::Duration;

use wirebook::ch01_sockets::tcp_echo::{self, EchoConfig, Mode};
use wirebook::cli::{self, Args};

const PROG: &str = "ch01_tcp_echo_server";

fn main() {
    let mut args = Args::from_env(
        PROG,
        "A TCP echo server: every byte a client sends comes back, in order.\n\
         Try it with `nc 127.0.0.1 8888` or ch01_tcp_echo_client.",
        "[--addr HOST:PORT] [--mode sequential|threaded] [--timeout SECS] [--buffer BYTES] [--max-clients N] [--trace]",
    );
    args.describe(
        "--addr HOST:PORT     where to listen (default 127.0.0.1:8888; port 0 = any free port)",
    );
    args.describe("--mode MODE          sequential (one client at a time) or threaded (default)");
    args.describe("--timeout SECS       disconnect a client idle this long (default 30)");
    args.describe(
        "--buffer BYTES       bytes read at a time, the most held per client (default 65536)",
    );
    args.describe("--max-clients N      threaded mode: most clients at once (default 256)");
    args.describe("--trace              show every read and write on stderr");
    args.handle_help();
    let defaults = EchoConfig::default();
    let addr = args.addr("127.0.0.1:8888");
    let mode: Mode = args.parsed("--mode", defaults.mode);
    let timeout: Duration = args.duration("--timeout", defaults.timeout);
    let buffer: usize = args.parsed("--buffer", defaults.buffer);
    let max_clients: usize = args.parsed("--max-clients", defaults.max_clients);
    let trace = args.flag("--trace");
    if buffer == 0 || max_clients == 0 {
        args.fail("--buffer and --max-clients must be at least 1");
    }
    args.finish();
    if trace {
        wirebook::trace::enable();
    }
    let listener = cli::bind_or_exit(PROG, addr);
    cli::announce_addr("tcp", listener.local_addr().expect("bound"));
    let cfg = EchoConfig {
        mode,
        timeout,
        buffer,
        max_clients,
    };
    if let Err(e) = tcp_echo::serve(listener, cfg) {
        eprintln!("{PROG}: error: {e}");
        std::process::exit(1);
    }
}
