//! Chapter 10: beyond blocking, the event loop that Tornado and nginx are
//! built on (`chapters/10-event-loop.md`).
//!
//! * [`epoll`]: the Linux readiness API, declared by hand (std has none).
//! * [`lot`]: the parking lot, where a connection waits without a thread.
//! * [`parking`]: HTTP connections parked between requests, served by
//!   event loops on chapter 5's pool.
//! * [`turn`]: one parked connection's turn on a loop, composed of
//!   chapter 4's sans-I/O request step and chapter 5's rules.
//! * [`server`]: chapter 5's server with its connections parked.
//! * [`cli`]: `--event-loop`, the flag that chooses the design.
//! * [`ws_loop`]: chapter 8's WebSockets served by one event loop.
//! * [`ws_conn`]: a WebSocket that waits without a thread, composed from
//!   chapter 8's sans-I/O pieces;
//! * [`ws_loop`]: WebSockets served by one event loop;
//! * [`ws_design`]: `--event-loop`, the choice between chapter 8's thread
//!   per WebSocket and the loop.

pub mod checks;
pub mod cli;
pub mod epoll;
pub mod lot;
pub mod parking;
pub mod server;
pub mod turn;
pub mod ws_conn;
pub mod ws_design;
pub mod ws_loop;

/// The exercises' checks for this chapter (see [`crate::check`]).
pub fn checks() -> Vec<crate::check::Check> {
    checks::checks()
}
