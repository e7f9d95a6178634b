//! Exercise ch02_content_length: where a body ends (RFC 9110 §8.6, RFC 9112 §6.3).
//! Reread chapters/02-http-by-hand.md, "3. Limits and status codes".
//! The reference is `content_length` in src/ch02_http_by_hand/framing.rs.

use crate::ch02_http_by_hand::framing::FramingError;
use crate::ch02_http_by_hand::head::Headers;

/// The value of `Content-Length` in `headers`, if there is one.
///
/// * No field: `Ok(None)`.
/// * Each value is `1*DIGIT`: no sign, no hex, no spaces inside (spaces and
///   tabs around it are fine); a number too big for `u64` is an error too.
/// * Several fields, or a list (`5, 5`), are accepted only if every value is
///   the same number; otherwise two parsers could disagree on where the next
///   request starts (request smuggling).
///
/// Anything else is `Err(FramingError::BadContentLength)`.
/// `headers.get_all("content-length")` gives every value.
pub fn content_length(headers: &Headers) -> Result<Option<u64>, FramingError> {
    todo!("read and check every Content-Length value")
}
