//! Chapter 3: URLs and an HTTP client. See `chapters/03-urls-and-clients.md`.
//!
//! * [`percent`]: percent-encoding and form decoding;
//! * [`body`]: where a message body ends, and the chunked decoder.

pub mod body;
pub mod percent;

/// The exercises' checks for this chapter (see [`crate::check`]).
pub fn checks() -> Vec<crate::check::Check> {
    Vec::new()
}
