//! Exercise ch03_percent_decode: `%XX` escapes (RFC 3986 §2.1).
//! Reread chapters/03-urls-and-clients.md, "1. URI, URL, URN".
//! The reference is `percent_decode` in src/ch03_urls_and_clients/percent.rs.

use crate::ch03_urls_and_clients::percent::DecodeError;

/// Decodes every `%XX` of `s` (two hex digits, either case) into the byte
/// it names; every other byte stays as it is (`+` too: it is a space only
/// in forms). The result is bytes, not text: `%FF` is the byte 0xFF.
///
/// Strict: a `%` that is not followed by two hex digits is
/// `DecodeError::BadEscape(offset_of_that_percent)`. A lenient decoder that
/// leaves it alone lets two layers disagree on what a path means.
pub fn percent_decode(s: &str) -> Result<Vec<u8>, DecodeError> {
    todo!("decode the escapes of {s:?}")
}
