//! Chapter 3: URLs and an HTTP client. See `chapters/03-urls-and-clients.md`.
//!
//! * [`url`]: URIs parsed, resolved (RFC 3986 §5) and serialised;
//! * [`percent`]: percent-encoding and form decoding;
//! * [`body`]: where a message body ends, and the chunked decoder;
//! * [`client`]: a blocking HTTP/1.1 client with redirects and timeouts;
//! * [`checks`]: the exercises that a server's URL handling must pass.

pub mod body;
pub mod checks;
pub mod client;
pub mod percent;
pub mod url;

/// The exercises' checks for this chapter (see [`crate::check`]).
pub fn checks() -> Vec<crate::check::Check> {
    checks::all()
}
