//! Chapter 5: concurrency. See `chapters/05-concurrency.md`.
//!
//! * [`pool`]: a thread pool built by hand;
//! * [`server`]: chapter 4's connection loop on that pool, with a
//!   connection cap, timeouts and graceful shutdown; the server every later
//!   chapter uses;
//! * [`signals`]: SIGINT/SIGTERM as a shutdown, with the self-pipe trick;
//! * [`cli`]: the command line of every server binary from here on.

pub mod checks;
pub mod cli;
pub mod pool;
pub mod server;
pub mod signals;

pub use cli::{ServerArgs, run_server, run_server_with};
pub use server::{Config, Server, ShutdownHandle, handle_signals};

/// The exercises' checks for this chapter (see [`crate::check`]).
pub fn checks() -> Vec<crate::check::Check> {
    checks::checks()
}
