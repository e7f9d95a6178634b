//! Where this chapter starts: a server that serves one connection at a
//! time, like chapter 2's. It is correct, and useless as soon as two people
//! use it: while it waits for one client's bytes, nobody else is served.
//! `tests/ch05_concurrency.rs` shows a fresh client waiting behind a client
//! that sent half a request.

use std::io;
use std::net::TcpListener;

use crate::ch04_methods_and_routing::Service;
use crate::ch04_methods_and_routing::conn::{ConnOptions, StderrLog, serve_connection};

/// Accepts a connection, serves it until it closes, accepts the next.
pub fn serve_sequentially(listener: TcpListener, service: &dyn Service) -> io::Result<()> {
    let opts = ConnOptions::default();
    loop {
        let (stream, peer) = listener.accept()?;
        serve_connection(stream, peer, service, &opts, &StderrLog { quiet: true });
    }
}
