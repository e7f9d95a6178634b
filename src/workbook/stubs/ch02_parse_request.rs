//! Exercise ch02_parse_request: the request line and the head (RFC 9112 §2–§5).
//! Reread chapters/02-http-by-hand.md, "2. Why parse bytes, not lines" and
//! "3. Limits and status codes".
//! The reference is `parse_request` in src/ch02_http_by_hand/head.rs.

#[allow(unused_imports)]
use crate::ch02_http_by_hand::head::{
    HeadError, HeadLimits, Headers, Parsed, RequestHead, Version, is_token, parse_fields,
};

/// Parses a request head from the start of `buf`, which holds whatever
/// bytes have arrived so far.
///
/// * `Ok(Parsed::Incomplete)`: the head is not all there yet (no blank line).
/// * `Ok(Parsed::Complete(head, n))`: a whole head, `n` bytes long (through
///   the blank line); bytes after it belong to the body or the next request.
/// * `Err(e)`: the head can never become valid; `e.status()` is the answer.
///
/// The request line is `METHOD SP TARGET SP HTTP/x.y CRLF`, one space each:
/// * the method is a token (`is_token`), else `HeadError::BadStartLine`;
/// * the target is non-empty visible ASCII (0x21..=0x7E), at most
///   `limits.max_target_bytes` long, else `HeadError::TargetTooLong` (414);
/// * the version is `HTTP/` DIGIT `.` DIGIT: `1.0` is `Version::Http10`,
///   any other `1.x` is `Version::Http11`, a major other than 1 is
///   `HeadError::UnsupportedVersion` (505), anything else `BadStartLine`.
///
/// Also:
/// * empty lines before the request line are skipped (RFC 9112 §2.2);
/// * a line may end with CRLF or a bare LF; a CR anywhere else is an error;
/// * errors are reported as soon as the bytes prove them, even before the
///   line is complete (a method with a space-less 10 KB target need not be
///   waited for); a head longer than `limits.max_head_bytes` is
///   `HeadError::HeadTooLarge` (431), complete or not;
/// * the header fields after the request line can be left to
///   `parse_fields(buf, offset_after_request_line, limits, &mut headers)`,
///   which returns `Ok(Some(end))` at the blank line, `Ok(None)` if it is
///   not there yet.
pub fn parse_request(buf: &[u8], limits: &HeadLimits) -> Result<Parsed<RequestHead>, HeadError> {
    todo!("parse the request line, then the fields")
}
