//! The command line every server binary from chapter 5 on shares.

use std::net::SocketAddr;
use std::sync::Arc;

use super::server::{Config, Server, ShutdownHandle, handle_signals};
use crate::ch04_methods_and_routing::Service;
use crate::cli::{Args, announce_addr};

/// Where to listen and how.
#[derive(Debug, Clone)]
pub struct ServerArgs {
    pub addr: SocketAddr,
    pub config: Config,
}

/// Chapter 5's flags take durations as every binary does.
pub use crate::cli::parse_duration;

impl ServerArgs {
    /// Takes `--addr`, `--threads`, `--max-connections`, `--idle-timeout`,
    /// `--head-timeout`, `--drain-timeout`, `--quiet` and
    /// `--trace` from
    /// `args` (enabling [`crate::trace`] for `--trace`) and describes them
    /// for `--help`.
    pub fn parse(args: &mut Args, default_addr: &str) -> ServerArgs {
        let d = Config::default();
        args.describe(&format!(
            "--addr HOST:PORT      where to listen (default {default_addr}; port 0 = any free port)"
        ))
        .describe(&format!(
            "--threads N          worker threads (default {})",
            d.threads
        ))
        .describe(&format!(
            "--max-connections N  open connections at most; more get 503 (default {})",
            d.max_connections
        ))
        .describe(&format!(
            "--idle-timeout T     close a kept-alive connection idle this long (default {}s)",
            d.idle_timeout.as_secs_f64()
        ))
        .describe(&format!(
            "--head-timeout T     total time allowed for a request head (default {}s)",
            d.head_timeout.as_secs_f64()
        ))
        .describe(&format!(
            "--drain-timeout T    time in-flight requests get at shutdown (default {}s)",
            d.drain_timeout.as_secs_f64()
        ))
        .describe("--quiet              no access log on stderr")
        .describe("--trace              dump the bytes on the wire to stderr");
        // `--help` is answered by `args.finish()`, so that a binary can
        // describe its own options after these.
        if args.help_requested() {
            return ServerArgs {
                addr: crate::cli::resolve_addr(default_addr)
                    .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0))),
                config: d,
            };
        }
        let addr = args.addr(default_addr);
        let mut config = d;
        config.threads = args.parsed("--threads", config.threads);
        if config.threads == 0 {
            args.fail("--threads must be at least 1");
        }
        config.max_connections = args.parsed("--max-connections", config.max_connections);
        if config.max_connections == 0 {
            args.fail("--max-connections must be at least 1");
        }
        for (flag, slot) in [
            ("--idle-timeout", &mut config.idle_timeout),
            ("--head-timeout", &mut config.head_timeout),
            ("--drain-timeout", &mut config.drain_timeout),
        ] {
            if let Some(t) = args.duration_opt(flag) {
                *slot = t;
            }
        }
        config.quiet = args.flag("--quiet");
        if args.flag("--trace") {
            crate::trace::enable();
        }
        ServerArgs { addr, config }
    }
}

/// Binds (exit 1 with a clear message on failure), prints `listening on
/// http://ADDR`, handles SIGINT/SIGTERM, runs `service`, and exits 0 after a
/// clean drain (1 if the drain timed out).
pub fn run_server(prog: &str, sa: ServerArgs, service: Arc<dyn Service>) -> ! {
    run_server_with(prog, sa, move |_| service)
}

/// [`run_server`], handing `make` the [`ShutdownHandle`] before the server
/// runs (to start something when shutdown begins).
pub fn run_server_with(
    prog: &str,
    sa: ServerArgs,
    make: impl FnOnce(ShutdownHandle) -> Arc<dyn Service>,
) -> ! {
    run_server_then(prog, sa, make, || {})
}

/// [`run_server_with`], calling `finish` after the drain and before the
/// process exits: connections the server handed over after a `101` are
/// not its to drain, so chapter 8's `live::run_server` waits there for
/// its WebSockets' close handshakes.
pub fn run_server_then(
    prog: &str,
    sa: ServerArgs,
    make: impl FnOnce(ShutdownHandle) -> Arc<dyn Service>,
    finish: impl FnOnce(),
) -> ! {
    run_server_via(prog, sa, make, finish, Server::run)
}

/// [`run_server_then`], running the bound server with `run` instead of
/// [`Server::run`].
pub fn run_server_via(
    prog: &str,
    sa: ServerArgs,
    make: impl FnOnce(ShutdownHandle) -> Arc<dyn Service>,
    finish: impl FnOnce(),
    run: impl FnOnce(Server, Arc<dyn Service>) -> std::io::Result<()>,
) -> ! {
    serve_bound(prog, bind_or_exit(prog, sa), make, finish, run)
}

/// Binds as `sa` says, or exits 1 with a clear message.
pub fn bind_or_exit(prog: &str, sa: ServerArgs) -> Server {
    match Server::bind(sa.addr, sa.config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{prog}: error: cannot listen on {}: {e}", sa.addr);
            std::process::exit(1)
        }
    }
}

/// [`run_server_via`] for a server already bound.
pub fn serve_bound(
    prog: &str,
    server: Server,
    make: impl FnOnce(ShutdownHandle) -> Arc<dyn Service>,
    finish: impl FnOnce(),
    run: impl FnOnce(Server, Arc<dyn Service>) -> std::io::Result<()>,
) -> ! {
    let handle = server.shutdown_handle();
    handle_signals(handle.clone());
    let service = make(handle);
    announce_addr("http", server.local_addr());
    let result = run(server, service);
    finish();
    match result {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("{prog}: {e}");
            std::process::exit(1)
        }
    }
}
