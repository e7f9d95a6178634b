//! `ch01_udp_echo_server`: sends every datagram back to its sender. See
//! `chapters/01-sockets.md`.

use std::net::UdpSocket;

use wirebook::ch01_sockets::udp_echo::{self, UdpEchoConfig};
use wirebook::cli::{self, Args};

const PROG: &str = "ch01_udp_echo_server";

fn main() {
    let mut args = Args::from_env(
        PROG,
        "A UDP echo server: every datagram goes back to its sender.\n\
         TCP and UDP ports are separate: this can listen on udp://127.0.0.1:8888\n\
         while the TCP echo server listens on tcp://127.0.0.1:8888.",
        "[--addr HOST:PORT] [--buffer BYTES] [--loss PERCENT] [--drop-first N] [--trace]",
    );
    args.describe("--addr HOST:PORT     where to listen (default 127.0.0.1:8888, UDP; port 0 = any free port)");
    args.describe(
        "--buffer BYTES       receive buffer; smaller than a datagram truncates it (default 65536)",
    );
    args.describe("--loss PERCENT       drop this share of datagrams on purpose (default 0)");
    args.describe("--drop-first N       drop the first N datagrams on purpose (default 0)");
    args.describe("--trace              show every datagram on stderr");
    args.handle_help();
    let defaults = UdpEchoConfig::default();
    let addr = args.addr("127.0.0.1:8888");
    let buffer: usize = args.parsed("--buffer", defaults.buffer);
    let loss_percent: u32 = args.parsed("--loss", defaults.loss_percent);
    let drop_first: u64 = args.parsed("--drop-first", defaults.drop_first);
    let trace = args.flag("--trace");
    if buffer == 0 {
        args.fail("--buffer must be at least 1");
    }
    if loss_percent > 100 {
        args.fail("--loss is a percentage, 0 to 100");
    }
    args.finish();
    if trace {
        wirebook::trace::enable();
    }
    let socket = match UdpSocket::bind(addr) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{PROG}: error: cannot bind udp://{addr}: {e}");
            std::process::exit(1);
        }
    };
    cli::announce_addr("udp", socket.local_addr().expect("bound"));
    let cfg = UdpEchoConfig {
        buffer,
        loss_percent,
        drop_first,
    };
    if let Err(e) = udp_echo::serve(socket, cfg) {
        eprintln!("{PROG}: error: {e}");
        std::process::exit(1);
    }
}
