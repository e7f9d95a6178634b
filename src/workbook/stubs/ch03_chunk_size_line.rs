//! Exercise ch03_chunk_size_line: the line that starts each chunk (RFC 9112 §7.1).
//! Reread chapters/03-urls-and-clients.md, "The three framings".
//! The reference is `parse_size_line` in src/ch03_urls_and_clients/body.rs.

use crate::ch02_http_by_hand::framing::FramingError;

/// Parses `chunk-size [ chunk-ext ] CRLF`, given the line without its LF
/// (so it must still end with `\r`), and returns the size.
///
/// * `chunk-size` is 1 or more hex digits (either case); more than 15 digits
///   is too large (a size that does not fit in a `u64` never will);
/// * then optional spaces or tabs, and either nothing or a `;` that starts
///   chunk extensions, which are ignored, but may not hold control bytes
///   (below 0x20, except tab, or 0x7F);
/// * anything else (no digits, `0x10`, `+5`, junk after the size, a
///   missing `\r`) is `Err(FramingError::BadChunk(why))`.
pub fn parse_size_line(line: &[u8]) -> Result<u64, FramingError> {
    todo!("parse the chunk-size line {line:?}")
}
