//! Chapter 5: concurrency. See `chapters/05-concurrency.md`.
//!
//! * [`pool`]: a thread pool built by hand;
//! * [`policy`]: the rules a pooled server serves by (fair share, the
//!   minimum body rate, what pressure means) and the state they read;
//! * [`worker`]: chapter 4's connection loop on a worker, under those rules;
//! * [`server`]: the acceptor, the connection cap and graceful shutdown;
//!   the server every later chapter uses;
//! * [`signals`]: SIGINT/SIGTERM as a shutdown, with the self-pipe trick;
//! * [`cli`]: the command line of every server binary from here on.

pub mod checks;
pub mod cli;
pub mod policy;
pub mod pool;
pub mod server;
pub mod signals;
pub mod worker;

pub use cli::{ServerArgs, run_server, run_server_with};
pub use server::{Config, Server, ShutdownHandle, handle_signals};

/// The exercises' checks for this chapter (see [`crate::check`]).
pub fn checks() -> Vec<crate::check::Check> {
    checks::checks()
}
