//! Exercise ch07_content_range: what a 206 says it sent (RFC 9110 §14.4).
//! Reread chapters/07-downloads-and-uploads.md, "3. Resuming: `Range` + `If-Range`".
//! The reference is `parse_content_range` in src/ch07_downloads_and_uploads/download.rs.

/// Parses `Content-Range: bytes FIRST-LAST/TOTAL` into
/// `(first, last, Some(total))`; a total of `*` (unknown) is `None`.
/// Anything else, including the `bytes */TOTAL` of a 416 and other units,
/// is `None`. Surrounding whitespace is fine.
pub fn parse_content_range(v: &str) -> Option<(u64, u64, Option<u64>)> {
    todo!("parse {v:?}")
}
