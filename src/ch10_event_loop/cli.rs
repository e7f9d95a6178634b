//! The flag that chooses the design: `--event-loop` parks connections
//! between requests (this chapter); without it, chapter 5's worker per
//! connection serves them. Server binaries from chapter 5 on parse their
//! server options here.

use std::sync::Arc;

use crate::ch04_methods_and_routing::Service;
use crate::ch05_concurrency::cli::{run_server_via, serve_bound};
use crate::ch05_concurrency::server::Server;
use crate::ch05_concurrency::{ServerArgs, ShutdownHandle};
use crate::cli::Args;

/// Chapter 5's server options, and the design to run them with.
#[derive(Debug, Clone)]
pub struct DesignArgs {
    pub server: ServerArgs,
    /// `--event-loop`: park connections between requests.
    pub event_loop: bool,
    /// `--event-loops N`: how many loops (0: one per CPU).
    pub loops: usize,
}

impl DesignArgs {
    /// Chapter 5's [`ServerArgs::parse`], plus `--event-loop` and
    /// `--event-loops N`.
    pub fn parse(args: &mut Args, default_addr: &str) -> DesignArgs {
        let server = ServerArgs::parse(args, default_addr);
        args.describe("--event-loop         park idle connections in epoll; event loops serve them (chapter 10)")
            .describe("--event-loops N      with --event-loop: how many loops (default: one per CPU)");
        let event_loop = args.flag("--event-loop");
        let loops = args.parsed("--event-loops", 0usize);
        DesignArgs {
            server,
            event_loop,
            loops,
        }
    }
}

/// Chapter 5's [`run_server`](crate::ch05_concurrency::run_server) in the
/// chosen design.
pub fn run_server(prog: &str, da: DesignArgs, service: Arc<dyn Service>) -> ! {
    run_server_with(prog, da, move |_| service)
}

/// [`run_server`], handing `make` the [`ShutdownHandle`] first.
pub fn run_server_with(
    prog: &str,
    da: DesignArgs,
    make: impl FnOnce(ShutdownHandle) -> Arc<dyn Service>,
) -> ! {
    run_server_then(prog, da, make, || {})
}

/// Chapter 5's [`run_server_then`](crate::ch05_concurrency::cli::run_server_then)
/// in the chosen design: `finish` runs after the drain, before the exit.
pub fn run_server_then(
    prog: &str,
    da: DesignArgs,
    make: impl FnOnce(ShutdownHandle) -> Arc<dyn Service>,
    finish: impl FnOnce(),
) -> ! {
    let run = design(da.event_loop, da.loops);
    run_server_via(prog, da.server, make, finish, run)
}

/// How to run a bound server: on `loops` event loops, or chapter 5's way.
fn design(
    event_loop: bool,
    loops: usize,
) -> impl FnOnce(Server, Arc<dyn Service>) -> std::io::Result<()> {
    move |server, service| {
        if event_loop {
            super::server::run(server, service, loops)
        } else {
            server.run(service)
        }
    }
}

/// Serves `service` on event loops: the shape of chapter 5's
/// [`run_server`](crate::ch05_concurrency::run_server), for a binary that
/// has already chosen this design.
pub fn run_server_on_event_loop(prog: &str, sa: ServerArgs, service: Arc<dyn Service>) -> ! {
    run_server_via(
        prog,
        sa,
        move |_| service,
        || {},
        |server, service| super::server::run(server, service, 0),
    )
}

/// [`run_server`] for a server the binary has already bound (from
/// `da.server`, with chapter 5's `bind_or_exit`), to set options on its
/// listening socket first.
pub fn run_bound(prog: &str, da: DesignArgs, server: Server, service: Arc<dyn Service>) -> ! {
    run_bound_then(prog, da, server, move |_| service, || {})
}

/// [`run_server_then`] for a server the binary has already bound.
pub fn run_bound_then(
    prog: &str,
    da: DesignArgs,
    server: Server,
    make: impl FnOnce(ShutdownHandle) -> Arc<dyn Service>,
    finish: impl FnOnce(),
) -> ! {
    serve_bound(prog, server, make, finish, design(da.event_loop, da.loops))
}
