//! Chapter 2: HTTP/1.1 by hand. See `chapters/02-http-by-hand.md`.
//!
//! * [`head`]: the sans-I/O grammar of request and response heads;
//! * [`date`]: HTTP dates;
//! * [`framing`]: the `Host` rule and where a request body ends;
//! * [`server`]: the first server, one connection at a time;
//! * [`checks`](mod@checks): the exercises, run against any server.

pub mod checks;
pub mod date;
pub mod framing;
pub mod head;
pub mod server;

pub use head::{
    HeadError, HeadLimits, Headers, Parsed, RequestHead, ResponseHead, Version, parse_request,
    parse_response,
};

/// The exercises' checks for this chapter (see [`crate::check`]).
pub fn checks() -> Vec<crate::check::Check> {
    checks::all()
}
