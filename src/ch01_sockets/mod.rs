//! Chapter 1: sockets. See `chapters/01-sockets.md`.
//!
//! * [`tcp_echo`]: a TCP echo server (one client at a time, then a thread
//!   per client) and client: byte streams, partial reads, timeouts;
//! * [`udp_echo`]: a UDP echo server and client: datagrams, loss, size
//!   limits, retries;
//! * [`dns`]: DNS queries and answers built and parsed by hand (RFC 1035),
//!   sans-I/O;
//! * [`lookup`]: names to addresses, with the system resolver or with a
//!   hand-made query over UDP;
//! * [`retry`]: request and reply over UDP, with a timeout and retries
//!   (shared by the echo client and the lookup);
//! * [`checks`]: the exercises' checks, run against any TCP echo server.

pub mod checks;
pub mod dns;
pub mod lookup;
pub mod retry;
pub mod tcp_echo;
pub mod udp_echo;

/// The exercises' checks for this chapter (see [`crate::check`]): they test
/// a TCP echo server.
pub fn checks() -> Vec<crate::check::Check> {
    checks::all()
}
