//! Exercise ch06_path_segments: a request path made safe (step 1 and 2 of path safety).
//! Reread chapters/06-static-files.md, "1. The prefix check, and why it fails"
//! and "2. Paths done right".
//! The reference is `segments` in src/ch06_static_files/path.rs.

#[allow(unused_imports)]
use crate::ch03_urls_and_clients::percent::percent_decode;
use crate::ch06_static_files::path::PathError;

/// The segments of a request path, percent-decoded once and checked:
/// `/a/b%20c/` gives `["a", "b c"]`, `/` gives `[]`. One trailing slash is
/// allowed (a directory URL).
///
/// Refuse, with the variant that says why:
/// * a bad `%` escape, or decoded bytes that are not UTF-8: `BadEncoding`;
/// * a decoded NUL: `Nul`; a backslash, raw or decoded: `Backslash`;
/// * a `.` or `..` segment, raw or decoded (`%2e%2e`): `DotSegment`;
/// * no leading `/`, or an empty segment (`/a//b`): `NotOriginForm`.
///
/// Decode once only: `%252e` is the segment `%2e`, a file name like any other.
pub fn segments(raw_path: &str) -> Result<Vec<String>, PathError> {
    todo!("split and check {raw_path:?}")
}
